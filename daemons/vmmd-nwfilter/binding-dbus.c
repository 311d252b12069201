/* The bus glue of binding objects: one fallback vtable keyed by port device, the node enumerator, GetXMLDesc and Delete. */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "nwfilter-dbus.h"

char *binding_bus_path(const Binding *b) {
        return vmmd_bus_path_encode(NWFILTER_BINDING_PREFIX, b->def->portdev);
}

static void *find_binding(void *userdata, const char *portdev) {
        return manager_find_binding(userdata, portdev);
}

static Binding *binding_from_path(Manager *m, const char *path, sd_bus_error *error) {
        return vmmd_bus_find_object(path, NWFILTER_BINDING_PREFIX, find_binding, m, VMMD_ERROR_NO_NWFILTER_BINDING,
                                    "no nwfilter binding for port dev '%s'", error);
}

/* W13: a deleted binding has no object; calls on its path get the bus's UnknownObject */
static int binding_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                               void **ret_found, sd_bus_error *error) {
        g_autofree char *portdev = vmmd_bus_path_decode(path, NWFILTER_BINDING_PREFIX);

        if (!portdev || !manager_find_binding(userdata, portdev))
                return 0;
        *ret_found = userdata;
        return 1;
}

static void binding_nodes(void *userdata, GPtrArray *paths) {
        Manager *m = userdata;
        GHashTableIter it;
        Binding *b;

        g_hash_table_iter_init(&it, m->bindings);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &b))
                g_ptr_array_add(paths, binding_bus_path(b));
}

static Binding *find_for_property(void *userdata, const char *path, sd_bus_error *error) {
        return binding_from_path(userdata, path, error);
}

VMMD_BUS_DEFINE_PROPERTY(property_portdev, Binding, find_for_property,
                         { return sd_bus_message_append(reply, "s", obj->def->portdev); })
VMMD_BUS_DEFINE_PROPERTY(property_filter, Binding, find_for_property,
                         { return sd_bus_message_append(reply, "s", obj->def->filter->filter); })
VMMD_BUS_DEFINE_PROPERTY(property_owner_name, Binding, find_for_property,
                         { return sd_bus_message_append(reply, "s", obj->def->owner_name); })
VMMD_BUS_DEFINE_PROPERTY(property_owner_uuid, Binding, find_for_property,
                         { return sd_bus_message_append(reply, "s", obj->def->owner_uuid); })
VMMD_BUS_DEFINE_PROPERTY(property_mac, Binding, find_for_property,
                         { return sd_bus_message_append(reply, "s", obj->def->mac); })
VMMD_BUS_DEFINE_PROPERTY(property_linkdev, Binding, find_for_property,
                         { return sd_bus_message_append(reply, "s", obj->def->linkdev ? obj->def->linkdev : ""); })
VMMD_BUS_DEFINE_PROPERTY(property_state, Binding, find_for_property,
                         { return sd_bus_message_append(reply, "s", binding_state_to_string(obj->state)); })

static int method_get_xml_desc(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autofree char *xml = NULL;
        uint32_t flags;
        Binding *b;
        int r;

        r = vmmd_bus_read_flags(msg, "GetXMLDesc", 0, false, 0, &flags, error);
        if (r < 0)
                return r;
        b = binding_from_path(userdata, sd_bus_message_get_path(msg), error);
        if (!b)
                return -ENOENT;
        xml = nwfilter_binding_def_format(b->def);
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int method_delete(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        Binding *b;
        int r;

        r = vmmd_bus_begin_privileged(msg, "Delete", false, 0, &flags, error);
        if (r < 0)
                return r;
        b = binding_from_path(userdata, sd_bus_message_get_path(msg), error);
        if (!b)
                return -ENOENT;
        manager_binding_delete(userdata, b->def->portdev, nwfilter_bus_job_done, nwfilter_bus_pending_new(msg, true));
        return 1;
}

#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable binding_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("PortDev", "s", property_portdev, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("FilterName", "s", property_filter, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("OwnerName", "s", property_owner_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("OwnerUUID", "s", property_owner_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MAC", "s", property_mac, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("LinkDev", "s", property_linkdev, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml), method_get_xml_desc,
                                UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Delete", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_delete, UNPRIV),
        SD_BUS_VTABLE_END,
};

int binding_object_bus_register(Manager *m, sd_bus *bus) {
        int r = sd_bus_add_fallback_vtable(bus, NULL, NWFILTER_BINDING_PREFIX, NWFILTER_BINDING_INTERFACE,
                                           binding_vtable, binding_object_find, m);

        if (r < 0)
                return r;
        return vmmd_bus_add_node_enumerator(bus, NWFILTER_BINDING_PREFIX, binding_nodes, m);
}
