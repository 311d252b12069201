/* Guest NICs with a <filterref>: creating and deleting their vmmd-nwfilter bindings over the bus (spec nwfilter.md §10). */
#include "nwfilter-client.h"

#include "bus-object.h"
#include "cleanup.h"
#include "domain-def.h"
#include "error.h"
#include "log.h"
#include "xml-util.h"
#include "vmmd/nwfilter1.h"

/* nft for a whole port is quick; the first call may also activate the daemon and rebuild its table */
#define BIND_TIMEOUT_USEC (30 * G_USEC_PER_SEC)

static char *binding_xml(const DomainDef *live, const DomainNetDef *net) {
        g_auto(XmlBuf) top = { 0 };
        g_auto(XmlBuf) body = { 0 };
        g_auto(XmlBuf) owner = { 0 };
        g_auto(XmlBuf) params = { 0 };
        g_autoptr(GString) a = g_string_new(NULL);

        xml_buf_init(&top, 0);
        xml_buf_init_child(&body, &top);
        xml_buf_init_child(&owner, &body);
        xml_buf_init_child(&params, &body);
        xml_element_text(&owner, "name", NULL, live->name);
        xml_element_text(&owner, "uuid", NULL, live->uuid);
        xml_element(&body, "owner", NULL, &owner);
        xml_attr(a, "name", net->target_dev);
        xml_element_empty(&body, "portdev", a);
        g_string_truncate(a, 0);
        xml_attr(a, "address", net->mac);
        xml_element_empty(&body, "mac", a);
        for (guint i = 0; net->filter_params && i < net->filter_params->len; i++) {
                const DomainFilterParam *p = g_ptr_array_index(net->filter_params, i);
                g_autoptr(GString) pa = g_string_new(NULL);

                xml_attr(pa, "name", p->name);
                xml_attr(pa, "value", p->value);
                xml_element_empty(&params, "parameter", pa);
        }
        g_string_truncate(a, 0);
        xml_attr(a, "filter", net->filter);
        if (params.str->len)
                xml_element(&body, "filterref", a, &params);
        else
                xml_element_empty(&body, "filterref", a);
        xml_element(&top, "filterbinding", NULL, &body);
        return g_string_free(g_steal_pointer(&top.str), FALSE);
}

static bool filtered(const DomainNetDef *net) {
        return net->filter && net->target_dev;
}

static void delete_binding(sd_bus *bus, const char *portdev) {
        g_autofree char *path = vmmd_bus_path_encode(NWFILTER_BINDING_PREFIX, portdev);

        /* no callback: the answer (done, or UnknownObject when there is none) does not matter */
        (void) sd_bus_call_method_async(bus, NULL, NWFILTER_BUS_NAME, path, NWFILTER_BINDING_INTERFACE, "Delete", NULL,
                                        NULL, "");
}

bool nwfilter_client_bind(sd_bus *bus, const DomainDef *live, GError **error) {
        for (guint i = 0; i < live->nets->len; i++) {
                const DomainNetDef *net = g_ptr_array_index(live->nets, i);
                g_autoptr(sd_bus_message) m = NULL, reply = NULL;
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *xml = NULL;
                int r;

                if (!filtered(net))
                        continue;
                xml = binding_xml(live, net);
                r = sd_bus_message_new_method_call(bus, &m, NWFILTER_BUS_NAME, NWFILTER_MANAGER_PATH,
                                                   NWFILTER_MANAGER_INTERFACE, "NWFilterBindingCreateXML");
                if (r >= 0)
                        r = sd_bus_message_append(m, "su", xml, 0);
                if (r >= 0)
                        r = sd_bus_call(bus, m, BIND_TIMEOUT_USEC, &e, &reply);
                if (r < 0) {
                        if (sd_bus_error_is_set(&e))
                                vmmd_error_from_bus(&e, error);
                        else
                                vmmd_error_set_errno(error, r, "cannot ask vmmd-nwfilter");
                        g_prefix_error(error, "interface %s: filter '%s' on tap '%s': ", net->mac, net->filter,
                                       net->target_dev);
                        /* §10.1: the start fails, and no binding of this guest stays behind */
                        for (guint j = 0; j < i; j++) {
                                const DomainNetDef *done = g_ptr_array_index(live->nets, j);

                                if (filtered(done))
                                        delete_binding(bus, done->target_dev);
                        }
                        return false;
                }
                log_debug("interface %s: filter '%s' bound to tap '%s'", net->mac, net->filter, net->target_dev);
        }
        return true;
}

void nwfilter_client_unbind_async(sd_bus *bus, const DomainDef *def) {
        for (guint i = 0; def && i < def->nets->len; i++) {
                const DomainNetDef *net = g_ptr_array_index(def->nets, i);

                if (filtered(net))
                        delete_binding(bus, net->target_dev);
        }
}

static int on_rebind_reply(sd_bus_message *reply, void *userdata, sd_bus_error *unused) {
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        /* "already exists" is the usual answer: the binding outlived the daemon */
        if (e && !sd_bus_error_has_name(e, VMMD_DBUS_ERROR_OPERATION_FAILED))
                log_warning("cannot bind the filter of a re-attached guest's tap again: %s", e->message);
        return 0;
}

void nwfilter_client_rebind_async(sd_bus *bus, const DomainDef *def) {
        for (guint i = 0; def && i < def->nets->len; i++) {
                const DomainNetDef *net = g_ptr_array_index(def->nets, i);
                g_autofree char *xml = NULL;

                if (!filtered(net))
                        continue;
                xml = binding_xml(def, net);
                (void) sd_bus_call_method_async(bus, NULL, NWFILTER_BUS_NAME, NWFILTER_MANAGER_PATH,
                                                NWFILTER_MANAGER_INTERFACE, "NWFilterBindingCreateXML",
                                                on_rebind_reply, NULL, "su", xml, 0);
        }
}
