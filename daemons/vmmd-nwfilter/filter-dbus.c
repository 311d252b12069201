/* The bus glue of filter objects: one fallback vtable keyed by uuid, the node enumerator, GetXMLDesc and Undefine. */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "nwfilter-dbus.h"

char *nwfilter_bus_path(const NWFilter *f) {
        return vmmd_bus_path_encode(NWFILTER_PREFIX, f->def->uuid);
}

static void *find_filter(void *userdata, const char *uuid) {
        return manager_find_filter_by_uuid(userdata, uuid);
}

static NWFilter *filter_from_path(Manager *m, const char *path, sd_bus_error *error) {
        return vmmd_bus_find_object(path, NWFILTER_PREFIX, find_filter, m, VMMD_ERROR_NO_NWFILTER,
                                    "no nwfilter with matching uuid '%s'", error);
}

static int filter_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **ret_found,
                              sd_bus_error *error) {
        g_autofree char *uuid = vmmd_bus_path_decode(path, NWFILTER_PREFIX);

        if (!uuid || !manager_find_filter_by_uuid(userdata, uuid))
                return 0;
        *ret_found = userdata;
        return 1;
}

static void filter_nodes(void *userdata, GPtrArray *paths) {
        Manager *m = userdata;
        GHashTableIter it;
        NWFilter *f;

        g_hash_table_iter_init(&it, m->filters);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &f))
                g_ptr_array_add(paths, nwfilter_bus_path(f));
}

static NWFilter *find_for_property(void *userdata, const char *path, sd_bus_error *error) {
        return filter_from_path(userdata, path, error);
}

VMMD_BUS_DEFINE_PROPERTY(property_name, NWFilter, find_for_property,
                         { return sd_bus_message_append(reply, "s", obj->def->name); })
VMMD_BUS_DEFINE_PROPERTY(property_uuid, NWFilter, find_for_property,
                         { return sd_bus_message_append(reply, "s", obj->def->uuid); })
VMMD_BUS_DEFINE_PROPERTY(property_chain, NWFilter, find_for_property,
                         { return sd_bus_message_append(reply, "s", obj->def->chain); })
VMMD_BUS_DEFINE_PROPERTY(property_priority, NWFilter, find_for_property,
                         { return sd_bus_message_append(reply, "i", (int32_t) obj->def->priority); })

static int method_get_xml_desc(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autofree char *xml = NULL;
        uint32_t flags;
        NWFilter *f;
        int r;

        r = vmmd_bus_read_flags(msg, "GetXMLDesc", 0, false, 0, &flags, error);
        if (r < 0)
                return r;
        f = filter_from_path(userdata, sd_bus_message_get_path(msg), error);
        if (!f)
                return -ENOENT;
        xml = nwfilter_def_format(f->def);
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int method_undefine(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        NWFilter *f;
        int r;

        r = vmmd_bus_begin_privileged(msg, "Undefine", false, 0, &flags, error);
        if (r < 0)
                return r;
        f = filter_from_path(userdata, sd_bus_message_get_path(msg), error);
        if (!f)
                return -ENOENT;
        manager_undefine(userdata, f->def->name, nwfilter_bus_job_done, nwfilter_bus_pending_new(msg, false));
        return 1;
}

#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable filter_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("UUID", "s", property_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Chain", "s", property_chain, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_PROPERTY("Priority", "i", property_priority, 0, SD_BUS_VTABLE_PROPERTY_EMITS_INVALIDATION),
        SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml), method_get_xml_desc,
                                UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Undefine", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_undefine, UNPRIV),
        SD_BUS_VTABLE_END,
};

int nwfilter_object_bus_register(Manager *m, sd_bus *bus) {
        int r = sd_bus_add_fallback_vtable(bus, NULL, NWFILTER_PREFIX, NWFILTER_INTERFACE, filter_vtable,
                                           filter_object_find, m);

        if (r < 0)
                return r;
        return vmmd_bus_add_node_enumerator(bus, NWFILTER_PREFIX, filter_nodes, m);
}
