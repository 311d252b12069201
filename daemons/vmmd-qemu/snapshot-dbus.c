/* The bus glue of domain snapshots: the Domain's snapshot methods and the DomainSnapshot objects below each domain. */
#include <errno.h>
#include <string.h>

#include "caller.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "qemu-dbus.h"
#include "snapshot.h"


char *snapshot_bus_path(const Snapshot *s) {
        g_autofree char *domain = domain_bus_path(s->domain);
        return vmmd_bus_path_encode_child(domain, QEMU_SNAPSHOT_ELEMENT, s->def->name);
}

/* domain uuid and snapshot name of a snapshot path, or false */
static bool split_snapshot_path(const char *path, char **ret_uuid, char **ret_name) {
        return vmmd_bus_path_decode_child(path, QEMU_DOMAIN_PREFIX, QEMU_SNAPSHOT_ELEMENT, ret_uuid, ret_name);
}

static Snapshot *snapshot_from_path(Manager *m, const char *path, sd_bus_error *error) {
        char *uuid = NULL, *name = NULL;
        Domain *d;
        Snapshot *s = NULL;

        if (!split_snapshot_path(path, &uuid, &name)) {
                vmmd_bus_error_setf(error, VMMD_ERROR_NO_DOMAIN_SNAPSHOT, "no snapshot at '%s'", path);
                return NULL;
        }
        d = manager_find_by_uuid(m, uuid);
        if (!d)
                vmmd_bus_error_setf(error, VMMD_ERROR_NO_DOMAIN, "no domain with uuid '%s'", uuid);
        else if (!(s = domain_snapshot_find(d, name)))
                vmmd_bus_error_setf(error, VMMD_ERROR_NO_DOMAIN_SNAPSHOT, "no domain snapshot with matching name '%s'",
                                  name);
        free(uuid);
        free(name);
        return s;
}

/* any well-formed snapshot path is found: an unknown snapshot answers NoDomainSnapshot (0.3) */
static int snapshot_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                                void **ret_found, sd_bus_error *error) {
        char *uuid = NULL, *name = NULL;

        if (!split_snapshot_path(path, &uuid, &name))
                return 0;
        free(uuid);
        free(name);
        *ret_found = userdata;
        return 1;
}

static void snapshot_nodes(void *userdata, GPtrArray *paths) {
        Manager *m = userdata;
        GHashTableIter it, sit;
        Domain *d;
        Snapshot *s;

        g_hash_table_iter_init(&it, m->domains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &d)) {
                if (!d->snapshots)
                        continue;
                g_hash_table_iter_init(&sit, d->snapshots);
                while (g_hash_table_iter_next(&sit, NULL, (gpointer *) &s))
                        g_ptr_array_add(paths, snapshot_bus_path(s));
        }
}

/* --- methods on the Domain --- */

int method_snapshot_create(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        g_autofree char *name = NULL, *domain = NULL, *path = NULL;
        const char *xml;
        uint32_t flags;
        DomainCall *call;
        bool pending = false;
        Domain *d;
        int r;

        r = vmmd_bus_read_text_and_flags(msg, "SnapshotCreateXML", "xml", SNAPSHOT_CREATE_ALL, &xml, &flags, error);
        if (r < 0)
                return r;
        d = domain_from_message(userdata, msg, error);
        if (!d)
                return -ENOENT;
        call = bus_call_new(msg, NULL);
        if (!domain_snapshot_create(d, xml, flags, call, &name, &pending, &gerr)) {
                bus_call_free(call);
                return vmmd_error_to_bus(gerr, error);
        }
        /* D23: also with NO_METADATA the reply is the path the snapshot would have */
        domain = domain_bus_path(d);
        path = vmmd_bus_path_encode_child(domain, QEMU_SNAPSHOT_ELEMENT, name);
        if (pending) {
                bus_call_set_reply_path(call, g_steal_pointer(&path));
                return 1;
        }
        bus_call_free(call);
        return sd_bus_reply_method_return(msg, "o", path);
}

int method_list_snapshots(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GPtrArray) list = NULL;
        uint32_t flags;
        Domain *d;
        int r;

        r = vmmd_bus_read_flags(msg, "ListDomainSnapshots", SNAPSHOT_LIST_ALL, false, 0, &flags, error);
        if (r < 0)
                return r;
        d = domain_from_message(userdata, msg, error);
        if (!d)
                return -ENOENT;
        list = domain_snapshot_list(d, flags);
        return vmmd_bus_reply_objects(msg, list, (VmmdBusPathFunc) snapshot_bus_path);
}

int method_snapshot_lookup(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autofree char *path = NULL;
        const char *name;
        uint32_t flags;
        Snapshot *s;
        Domain *d;
        int r;

        r = sd_bus_message_read(msg, "su", &name, &flags);
        if (r < 0)
                return r;
        r = vmmd_bus_check_flags("SnapshotLookupByName", flags, 0, error);
        if (r < 0)
                return r;
        d = domain_from_message(userdata, msg, error);
        if (!d)
                return -ENOENT;
        s = domain_snapshot_find(d, name);
        if (!s)
                return vmmd_bus_error_setf(error, VMMD_ERROR_NO_DOMAIN_SNAPSHOT,
                                         "no domain snapshot with matching name '%s'", name);
        path = snapshot_bus_path(s);
        return sd_bus_reply_method_return(msg, "o", path);
}

int method_snapshot_current(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autofree char *path = NULL;
        uint32_t flags;
        Domain *d;
        int r;

        r = vmmd_bus_read_flags(msg, "SnapshotCurrent", 0, false, 0, &flags, error);
        if (r < 0)
                return r;
        d = domain_from_message(userdata, msg, error);
        if (!d)
                return -ENOENT;
        if (!d->current_snapshot)
                return vmmd_bus_error_setf(error, VMMD_ERROR_NO_DOMAIN_SNAPSHOT,
                                         "domain '%s' has no current snapshot", domain_name(d));
        path = snapshot_bus_path(d->current_snapshot);
        return sd_bus_reply_method_return(msg, "o", path);
}

/* --- DomainSnapshot objects --- */

static int snap_get_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autofree char *xml = NULL;
        uint32_t flags;
        Snapshot *s;
        int r;

        r = vmmd_bus_read_flags(msg, "GetXMLDesc", SNAPSHOT_XML_SECURE, false, SNAPSHOT_XML_SECURE, &flags, error);
        if (r < 0)
                return r;
        s = snapshot_from_path(userdata, sd_bus_message_get_path(msg), error);
        if (!s)
                return -ENOENT;
        xml = snapshot_get_xml(s, flags);
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int snap_get_parent(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autofree char *path = NULL;
        uint32_t flags;
        Snapshot *s, *p;
        int r;

        r = vmmd_bus_read_flags(msg, "GetParent", 0, false, 0, &flags, error);
        if (r < 0)
                return r;
        s = snapshot_from_path(userdata, sd_bus_message_get_path(msg), error);
        if (!s)
                return -ENOENT;
        p = snapshot_parent(s);
        if (!p)
                return vmmd_bus_error_setf(error, VMMD_ERROR_NO_DOMAIN_SNAPSHOT, "snapshot '%s' does not have a parent",
                                         s->def->name);
        path = snapshot_bus_path(p);
        return sd_bus_reply_method_return(msg, "o", path);
}

static int snap_list_children(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GPtrArray) list = NULL;
        uint32_t flags;
        Snapshot *s;
        int r;

        r = vmmd_bus_read_flags(msg, "ListChildren", SNAPSHOT_LIST_ALL, false, 0, &flags, error);
        if (r < 0)
                return r;
        s = snapshot_from_path(userdata, sd_bus_message_get_path(msg), error);
        if (!s)
                return -ENOENT;
        list = snapshot_list_children(s, flags);
        return vmmd_bus_reply_objects(msg, list, (VmmdBusPathFunc) snapshot_bus_path);
}

static int snap_revert(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        uint32_t flags;
        DomainCall *call;
        Snapshot *s;
        int r;

        r = vmmd_bus_read_flags(msg, "Revert",
                                SNAPSHOT_REVERT_RUNNING | SNAPSHOT_REVERT_PAUSED | SNAPSHOT_REVERT_FORCE |
                                SNAPSHOT_REVERT_RESET_NVRAM, true, 0, &flags, error);
        if (r < 0)
                return r;
        if ((flags & SNAPSHOT_REVERT_RUNNING) && (flags & SNAPSHOT_REVERT_PAUSED))
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG,
                                        "Revert: flags RUNNING and PAUSED exclude each other");
        s = snapshot_from_path(userdata, sd_bus_message_get_path(msg), error);
        if (!s)
                return -ENOENT;
        call = bus_call_new(msg, NULL);
        if (!snapshot_revert(s, flags, call, &gerr)) {
                bus_call_free(call);
                return vmmd_error_to_bus(gerr, error);
        }
        return 1;
}

static int snap_delete(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        DomainCall *call;
        bool pending = false;
        uint32_t flags;
        Snapshot *s;
        int r;

        r = vmmd_bus_read_flags(msg, "Delete",
                                SNAPSHOT_DELETE_CHILDREN | SNAPSHOT_DELETE_METADATA_ONLY | SNAPSHOT_DELETE_CHILDREN_ONLY,
                                true, 0, &flags, error);
        if (r < 0)
                return r;
        if ((flags & SNAPSHOT_DELETE_CHILDREN) && (flags & SNAPSHOT_DELETE_CHILDREN_ONLY))
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG,
                                        "Delete: flags CHILDREN and CHILDREN_ONLY exclude each other");
        s = snapshot_from_path(userdata, sd_bus_message_get_path(msg), error);
        if (!s)
                return -ENOENT;
        call = bus_call_new(msg, NULL);
        if (!snapshot_delete(s, flags, call, &pending, &gerr)) {
                bus_call_free(call);
                return vmmd_error_to_bus(gerr, error);
        }
        if (pending)
                return 1;
        bus_call_free(call);
        return sd_bus_reply_method_return(msg, NULL);
}

#define SNAP_PROPERTY(fn, body)                                                                         \
        static int fn(sd_bus *bus, const char *path, const char *interface, const char *property,      \
                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {                    \
                Snapshot *s = snapshot_from_path(userdata, path, error);                               \
                if (!s)                                                                                 \
                        return -ENOENT;                                                                 \
                body                                                                                    \
        }

static int append_snap_name(sd_bus_message *reply, const void *obj) {
        return sd_bus_message_append(reply, "s", ((const Snapshot *) obj)->def->name);
}

static int append_snap_domain(sd_bus_message *reply, const void *obj) {
        g_autofree char *p = domain_bus_path(((const Snapshot *) obj)->domain);
        return sd_bus_message_append(reply, "o", p);
}

static int append_snap_current(sd_bus_message *reply, const void *obj) {
        return sd_bus_message_append(reply, "b", snapshot_is_current(obj));
}

/* the vtable's getters and GetManagedObjects share these */
static const VmmdBusProperty snapshot_properties[] = {
        { "Name", "s", append_snap_name },
        { "Domain", "o", append_snap_domain },
        { "IsCurrent", "b", append_snap_current },
};

SNAP_PROPERTY(snap_property_name, return append_snap_name(reply, s);)
SNAP_PROPERTY(snap_property_current, return append_snap_current(reply, s);)
SNAP_PROPERTY(snap_property_domain, return append_snap_domain(reply, s);)

int snapshot_bus_append_managed(sd_bus_message *reply, const Domain *d) {
        GHashTableIter it;
        Snapshot *s;
        int r = 0;

        if (!d->snapshots)
                return 0;
        g_hash_table_iter_init(&it, d->snapshots);
        while (r >= 0 && g_hash_table_iter_next(&it, NULL, (gpointer *) &s)) {
                g_autofree char *path = snapshot_bus_path(s);
                r = vmmd_bus_append_managed_object(reply, path, QEMU_SNAPSHOT_INTERFACE, snapshot_properties,
                                                   G_N_ELEMENTS(snapshot_properties), s);
        }
        return r;
}

static const sd_bus_vtable snapshot_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", snap_property_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Domain", "o", snap_property_domain, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("IsCurrent", "b", snap_property_current, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml), snap_get_xml,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetParent", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("o", snapshot), snap_get_parent,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListChildren", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("ao", snapshots),
                                snap_list_children, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Revert", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, snap_revert,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Delete", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, snap_delete,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int snapshot_bus_register(Manager *m, sd_bus *bus) {
        int r;

        r = sd_bus_add_fallback_vtable(bus, NULL, QEMU_DOMAIN_PREFIX, QEMU_SNAPSHOT_INTERFACE, snapshot_vtable,
                                       snapshot_object_find, m);
        if (r < 0)
                return r;
        return vmmd_bus_add_node_enumerator(bus, QEMU_DOMAIN_PREFIX, snapshot_nodes, m);
}
