/* The bus glue of domain snapshots: the Domain's snapshot methods and the DomainSnapshot objects below each domain. */
#include <errno.h>
#include <string.h>

#include "caller.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "qemu-dbus.h"
#include "snapshot.h"

#define SNAPSHOT_INTERFACE "org.vmmd.qemu1.DomainSnapshot"

char *snapshot_bus_path(const Snapshot *s) {
        g_autofree char *domain = domain_bus_path(s->domain);
        g_autofree char *prefix = g_strconcat(domain, "/snapshot", NULL);
        char *path = NULL;

        if (sd_bus_path_encode(prefix, s->def->name, &path) < 0)
                g_error("out of memory");
        return path;
}

/* domain uuid and snapshot name of a snapshot path, or FALSE */
static bool split_snapshot_path(const char *path, char **ret_uuid, char **ret_name) {
        const char *rest;
        const char *mid;
        g_autofree char *uuid_enc = NULL;
        g_autofree char *domain_path = NULL, *prefix = NULL;
        char *uuid = NULL, *name = NULL;

        if (!g_str_has_prefix(path, QEMU_DOMAIN_PREFIX "/"))
                return false;
        rest = path + strlen(QEMU_DOMAIN_PREFIX "/");
        mid = strstr(rest, "/snapshot/");
        if (!mid)
                return false;
        uuid_enc = g_strndup(rest, mid - rest);
        if (strchr(uuid_enc, '/'))
                return false;
        domain_path = g_strconcat(QEMU_DOMAIN_PREFIX "/", uuid_enc, NULL);
        prefix = g_strconcat(domain_path, "/snapshot", NULL);
        if (sd_bus_path_decode(domain_path, QEMU_DOMAIN_PREFIX, &uuid) <= 0)
                return false;
        if (sd_bus_path_decode(path, prefix, &name) <= 0 || !*name || strchr(name, '/')) {
                free(uuid);
                free(name);
                return false;
        }
        *ret_uuid = uuid;
        *ret_name = name;
        return true;
}

static Snapshot *snapshot_from_path(Manager *m, const char *path, sd_bus_error *error) {
        char *uuid = NULL, *name = NULL;
        Domain *d;
        Snapshot *s = NULL;

        if (!split_snapshot_path(path, &uuid, &name)) {
                sd_bus_error_setf(error, "org.vmmd.Error.NoDomainSnapshot", "no snapshot at '%s'", path);
                return NULL;
        }
        d = manager_find_by_uuid(m, uuid);
        if (!d)
                sd_bus_error_setf(error, "org.vmmd.Error.NoDomain", "no domain with uuid '%s'", uuid);
        else if (!(s = domain_snapshot_find(d, name)))
                sd_bus_error_setf(error, "org.vmmd.Error.NoDomainSnapshot", "no domain snapshot with matching name '%s'",
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

static int snapshot_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***ret_nodes,
                                    sd_bus_error *error) {
        Manager *m = userdata;
        g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func(free);
        GHashTableIter it, sit;
        Domain *d;
        Snapshot *s;

        g_hash_table_iter_init(&it, m->domains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &d)) {
                if (!d->snapshots)
                        continue;
                g_hash_table_iter_init(&sit, d->snapshots);
                while (g_hash_table_iter_next(&sit, NULL, (gpointer *) &s))
                        g_ptr_array_add(nodes, snapshot_bus_path(s));
        }
        g_ptr_array_add(nodes, NULL);
        *ret_nodes = (char **) g_ptr_array_steal(nodes, NULL);
        return 1;
}

/* --- methods on the Domain --- */

int method_snapshot_create(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        g_autofree char *name = NULL;
        const char *xml;
        uint32_t flags;
        DomainCall *call;
        bool pending = false;
        Domain *d;
        int r;

        r = vmmd_caller_require_privileged(msg, "SnapshotCreateXML", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "su", &xml, &flags);
        if (r < 0)
                return r;
        r = vmmd_bus_check_flags("SnapshotCreateXML", flags, SNAPSHOT_CREATE_ALL, error);
        if (r < 0)
                return r;
        if (!*xml)
                return sd_bus_error_set(error, "org.vmmd.Error.InvalidArg", "SnapshotCreateXML: xml must not be empty");
        d = domain_from_message(userdata, msg, error);
        if (!d)
                return -ENOENT;
        call = bus_call_new(msg, NULL);
        if (!domain_snapshot_create(d, xml, flags, call, &name, &pending, &gerr)) {
                bus_call_free(call);
                return vmmd_error_to_bus(gerr, error);
        }
        /* D23: also with NO_METADATA the reply is the path the snapshot would have */
        {
                g_autofree char *domain = domain_bus_path(d);
                g_autofree char *prefix = g_strconcat(domain, "/snapshot", NULL);
                char *path = NULL;
                if (sd_bus_path_encode(prefix, name, &path) < 0)
                        return -ENOMEM;
                if (pending) {
                        bus_call_set_reply_path(call, path);
                        return 1;
                }
                bus_call_free(call);
                r = sd_bus_reply_method_return(msg, "o", path);
                free(path);
                return r;
        }
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
                return sd_bus_error_setf(error, "org.vmmd.Error.NoDomainSnapshot",
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
                return sd_bus_error_setf(error, "org.vmmd.Error.NoDomainSnapshot",
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

        r = vmmd_bus_read_flags(msg, "GetXMLDesc", 1, false, 1, &flags, error);
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
                return sd_bus_error_setf(error, "org.vmmd.Error.NoDomainSnapshot", "snapshot '%s' does not have a parent",
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

        r = vmmd_bus_read_flags(msg, "Revert", 15, true, 0, &flags, error);
        if (r < 0)
                return r;
        if ((flags & SNAPSHOT_REVERT_RUNNING) && (flags & SNAPSHOT_REVERT_PAUSED))
                return sd_bus_error_set(error, "org.vmmd.Error.InvalidArg",
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

        r = vmmd_bus_read_flags(msg, "Delete", 7, true, 0, &flags, error);
        if (r < 0)
                return r;
        if ((flags & SNAPSHOT_DELETE_CHILDREN) && (flags & SNAPSHOT_DELETE_CHILDREN_ONLY))
                return sd_bus_error_set(error, "org.vmmd.Error.InvalidArg",
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

SNAP_PROPERTY(snap_property_name, return sd_bus_message_append(reply, "s", s->def->name);)
SNAP_PROPERTY(snap_property_current, return sd_bus_message_append(reply, "b", snapshot_is_current(s));)
SNAP_PROPERTY(snap_property_domain, {
        g_autofree char *p = domain_bus_path(s->domain);
        return sd_bus_message_append(reply, "o", p);
})

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

int snapshot_bus_register(Manager *m) {
        int r;

        r = sd_bus_add_fallback_vtable(m->bus, NULL, QEMU_DOMAIN_PREFIX, SNAPSHOT_INTERFACE, snapshot_vtable,
                                       snapshot_object_find, m);
        if (r < 0)
                return r;
        return sd_bus_add_node_enumerator(m->bus, NULL, QEMU_DOMAIN_PREFIX, snapshot_node_enumerator, m);
}

void manager_emit_snapshot_added(Manager *m, Snapshot *s) {
        g_autofree char *path = snapshot_bus_path(s);

        if (m->bus)
                (void) sd_bus_emit_object_added(m->bus, path);
}

void manager_emit_snapshot_removed(Manager *m, Snapshot *s) {
        g_autofree char *path = snapshot_bus_path(s);

        if (m->bus)
                (void) sd_bus_emit_object_removed(m->bus, path);
}

void manager_emit_snapshot_changed(Manager *m, Snapshot *s, const char *property) {
        g_autofree char *path = snapshot_bus_path(s);

        if (m->bus)
                (void) sd_bus_emit_properties_changed(m->bus, path, SNAPSHOT_INTERFACE, property, NULL);
}
