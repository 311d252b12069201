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

bool nwfilter_client_has_filters(const DomainDef *def) {
        for (guint i = 0; def && i < domain_list_len(def->nets); i++)
                if (filtered(domain_list_at(def->nets, i)))
                        return true;
        return false;
}

/* One start's bindings, made one at a time so that a failure knows exactly which ones exist. */
typedef struct {
        sd_bus *bus;
        const DomainDef *live;
        guint next;            /* the NIC whose binding is asked for (or to ask for) */
        NWFilterBindFunc done;
        void *userdata;
        sd_event_source *defer;
} BindRun;

static void bind_run_finish(BindRun *b, const GError *error) {
        if (error)
                /* §10.1: the start fails, and no binding of this guest stays behind */
                for (guint j = 0; j < b->next; j++) {
                        const DomainNetDef *done = domain_list_at(b->live->nets, j);

                        if (filtered(done))
                                delete_binding(b->bus, done->target_dev);
                }
        sd_event_source_disable_unref(b->defer);
        sd_bus_unref(b->bus);
        b->done(error, b->userdata);
        g_free(b);
}

static int on_bind_reply(sd_bus_message *reply, void *userdata, sd_bus_error *unused);

static void bind_next(BindRun *b) {
        g_autoptr(GError) error = NULL;

        for (; b->next < domain_list_len(b->live->nets); b->next++) {
                const DomainNetDef *net = domain_list_at(b->live->nets, b->next);
                g_autoptr(sd_bus_message) m = NULL;
                g_autofree char *xml = NULL;
                int r;

                if (!filtered(net))
                        continue;
                xml = binding_xml(b->live, net);
                r = sd_bus_message_new_method_call(b->bus, &m, NWFILTER_BUS_NAME, NWFILTER_MANAGER_PATH,
                                                   NWFILTER_MANAGER_INTERFACE, "NWFilterBindingCreateXML");
                if (r >= 0)
                        r = sd_bus_message_append(m, "su", xml, 0);
                if (r >= 0)
                        r = sd_bus_call_async(b->bus, NULL, m, on_bind_reply, b, BIND_TIMEOUT_USEC);
                if (r >= 0)
                        return;
                vmmd_error_set_errno(&error, r, "interface %s: filter '%s' on tap '%s': cannot ask vmmd-nwfilter",
                                     net->mac, net->filter, net->target_dev);
                return bind_run_finish(b, error);
        }
        bind_run_finish(b, NULL);
}

static int on_bind_reply(sd_bus_message *reply, void *userdata, sd_bus_error *unused) {
        BindRun *b = userdata;
        const DomainNetDef *net = domain_list_at(b->live->nets, b->next);
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e) {
                g_autoptr(GError) error = NULL;

                vmmd_error_from_bus(e, &error);
                g_prefix_error(&error, "interface %s: filter '%s' on tap '%s': ", net->mac, net->filter,
                               net->target_dev);
                bind_run_finish(b, error);
                return 0;
        }
        log_debug("interface %s: filter '%s' bound to tap '%s'", net->mac, net->filter, net->target_dev);
        b->next++;
        bind_next(b);
        return 0;
}

static int on_bind_start(sd_event_source *s, void *userdata) {
        bind_next(userdata);
        return 0;
}

void nwfilter_client_bind_async(sd_bus *bus, const DomainDef *live, NWFilterBindFunc done, void *userdata) {
        BindRun *b = g_new0(BindRun, 1);
        int r;

        b->bus = sd_bus_ref(bus);
        b->live = live;
        b->done = done;
        b->userdata = userdata;
        /* done never runs inside this call, so the caller's state is settled before it does */
        r = sd_event_add_defer(sd_bus_get_event(bus), &b->defer, on_bind_start, b);
        if (r < 0) {
                g_autoptr(GError) error = NULL;

                sd_bus_unref(b->bus);
                g_free(b);
                vmmd_error_set_errno(&error, r, "cannot schedule the filter bindings");
                done(error, userdata);
                return;
        }
        (void) sd_event_source_set_enabled(b->defer, SD_EVENT_ONESHOT);
}

void nwfilter_client_unbind_async(sd_bus *bus, const DomainDef *def) {
        for (guint i = 0; def && i < domain_list_len(def->nets); i++) {
                const DomainNetDef *net = domain_list_at(def->nets, i);

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
        for (guint i = 0; def && i < domain_list_len(def->nets); i++) {
                const DomainNetDef *net = domain_list_at(def->nets, i);
                g_autofree char *xml = NULL;

                if (!filtered(net))
                        continue;
                xml = binding_xml(def, net);
                (void) sd_bus_call_method_async(bus, NULL, NWFILTER_BUS_NAME, NWFILTER_MANAGER_PATH,
                                                NWFILTER_MANAGER_INTERFACE, "NWFilterBindingCreateXML",
                                                on_rebind_reply, NULL, "su", xml, 0);
        }
}
