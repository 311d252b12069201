/* The bus glue of the vmmd-storage manager object: define, create, list, lookups, events. */
#include <errno.h>
#include <string.h>

#include "caller.h"
#include "cleanup.h"
#include "config.h"
#include "domain-conf.h"   /* vmmd_uuid_parse */
#include "error.h"
#include "log.h"
#include "storage-dbus.h"


struct BusReply {
        sd_bus_message *msg;
};

BusReply *bus_reply_new(sd_bus_message *msg) {
        BusReply *b = g_new0(BusReply, 1);

        b->msg = sd_bus_message_ref(msg);
        return b;
}

void bus_reply_free(BusReply *b) {
        if (!b)
                return;
        sd_bus_message_unref(b->msg);
        g_free(b);
}

void bus_reply_done(Volume *v, const GError *error, void *userdata) {
        BusReply *b = userdata;

        g_autofree char *path = !error && v ? volume_bus_path(v) : NULL;

        (void) vmmd_bus_reply_result(b->msg, error, path);
        bus_reply_free(b);
}

static int reply_pool_path(sd_bus_message *msg, Pool *p) {
        g_autofree char *path = pool_bus_path(p);
        return sd_bus_reply_method_return(msg, "o", path);
}

static int define_or_create(sd_bus_message *msg, Manager *m, const char *method, uint32_t allowed,
                            Pool *(*fn)(Manager *, const char *, unsigned, GError **), sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        const char *xml;
        uint32_t flags;
        Pool *p;
        int r;

        r = vmmd_caller_require_privileged(msg, method, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "su", &xml, &flags);
        if (r < 0)
                return r;
        r = vmmd_bus_check_flags(method, flags, allowed, error);
        if (r < 0)
                return r;
        if (!*xml)
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG, "%s: xml must not be empty", method);
        p = fn(m, xml, flags, &gerr);
        if (!p)
                return vmmd_error_to_bus(gerr, error);
        return reply_pool_path(msg, p);
}

static int method_define_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return define_or_create(msg, userdata, "StoragePoolDefineXML", POOL_DEFINE_VALIDATE, manager_define_xml,
                                error);
}

static int method_create_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return define_or_create(msg, userdata, "StoragePoolCreateXML",
                                POOL_CREATE_WITH_BUILD | POOL_CREATE_WITH_BUILD_OVERWRITE |
                                POOL_CREATE_WITH_BUILD_NO_OVERWRITE, manager_create_xml, error);
}

/* VIR_CONNECT_LIST_STORAGE_POOLS_<TYPE> of each StoragePoolType */
static uint32_t pool_type_bit(StoragePoolType type) {
        static const uint32_t bits[_STORAGE_POOL_TYPE_MAX] = {
                [STORAGE_POOL_DIR] = POOL_LIST_DIR, [STORAGE_POOL_FS] = POOL_LIST_FS,
                [STORAGE_POOL_NETFS] = POOL_LIST_NETFS, [STORAGE_POOL_LOGICAL] = POOL_LIST_LOGICAL,
                [STORAGE_POOL_DISK] = POOL_LIST_DISK, [STORAGE_POOL_ISCSI] = POOL_LIST_ISCSI,
                [STORAGE_POOL_SCSI] = POOL_LIST_SCSI, [STORAGE_POOL_MPATH] = POOL_LIST_MPATH,
                [STORAGE_POOL_RBD] = POOL_LIST_RBD, [STORAGE_POOL_SHEEPDOG] = POOL_LIST_SHEEPDOG,
                [STORAGE_POOL_GLUSTER] = POOL_LIST_GLUSTER, [STORAGE_POOL_ZFS] = POOL_LIST_ZFS,
                [STORAGE_POOL_VSTORAGE] = POOL_LIST_VSTORAGE, [STORAGE_POOL_ISCSI_DIRECT] = POOL_LIST_ISCSI_DIRECT,
        };
        return (unsigned) type < _STORAGE_POOL_TYPE_MAX ? bits[type] : 0;
}

static bool pool_matches(Pool *p, uint32_t flags) {
        uint32_t types = flags & POOL_LIST_TYPE_BITS;

        /* S67: pairs are ANDed; type bits are ORed */
        if (!VMMD_FILTER_PAIR(flags, POOL_LIST_ACTIVE, POOL_LIST_INACTIVE, p->active) ||
            !VMMD_FILTER_PAIR(flags, POOL_LIST_PERSISTENT, POOL_LIST_TRANSIENT, p->persistent) ||
            !VMMD_FILTER_PAIR(flags, POOL_LIST_AUTOSTART, POOL_LIST_NO_AUTOSTART, p->autostart))
                return false;
        return !types || (types & pool_type_bit(p->def->type));
}

static int pool_name_cmp(gconstpointer a, gconstpointer b) {
        return strcmp(pool_name(*(Pool **) a), pool_name(*(Pool **) b));
}

static int method_list_pools(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        g_autoptr(GPtrArray) list = g_ptr_array_new();
        GHashTableIter it;
        uint32_t flags;
        Pool *p;
        int r;

        r = vmmd_bus_read_flags(msg, "ListStoragePools", POOL_LIST_STATE_BITS | POOL_LIST_TYPE_BITS, false, 0, &flags, error);
        if (r < 0)
                return r;
        g_hash_table_iter_init(&it, m->pools);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &p))
                if (p->visible && pool_matches(p, flags))
                        g_ptr_array_add(list, p);
        g_ptr_array_sort(list, pool_name_cmp);
        return vmmd_bus_reply_objects(msg, list, (VmmdBusPathFunc) pool_bus_path);
}

static int method_lookup_by_name(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *name;
        Pool *p;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        p = manager_find_by_name(userdata, name);
        if (!p)
                return vmmd_bus_error_setf(error, VMMD_ERROR_NO_STORAGE_POOL,
                                         "no storage pool with matching name '%s'", name);
        return reply_pool_path(msg, p);
}

static int method_lookup_by_uuid(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *s;
        char uuid[37];
        Pool *p;
        int r;

        r = sd_bus_message_read(msg, "s", &s);
        if (r < 0)
                return r;
        if (!vmmd_uuid_parse(s, uuid))
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG,
                                         "StoragePoolLookupByUUID: malformed uuid '%s'", s);
        p = manager_find_by_uuid(userdata, uuid);
        if (!p)
                return vmmd_bus_error_setf(error, VMMD_ERROR_NO_STORAGE_POOL,
                                         "no storage pool with matching uuid '%s'", uuid);
        return reply_pool_path(msg, p);
}

static int method_lookup_by_target(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *path;
        Pool *p;
        int r;

        r = sd_bus_message_read(msg, "s", &path);
        if (r < 0)
                return r;
        p = *path ? manager_find_by_target(userdata, path) : NULL;
        if (!p)
                return vmmd_bus_error_setf(error, VMMD_ERROR_NO_STORAGE_POOL,
                                         "no storage pool with matching target path '%s'", path);
        return reply_pool_path(msg, p);
}

static int lookup_volume(sd_bus_message *msg, Manager *m, const char *what, sd_bus_error *error) {
        g_autofree char *path = NULL;
        const char *arg;
        Volume *v;
        int r;

        r = sd_bus_message_read(msg, "s", &arg);
        if (r < 0)
                return r;
        v = *arg ? manager_find_volume(m, arg) : NULL;
        if (!v)
                return vmmd_bus_error_setf(error, VMMD_ERROR_NO_STORAGE_VOL, "no storage vol with matching %s '%s'",
                                         what, arg);
        path = volume_bus_path(v);
        return sd_bus_reply_method_return(msg, "o", path);
}

static int method_vol_lookup_by_key(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return lookup_volume(msg, userdata, "key", error);
}

static int method_vol_lookup_by_path(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return lookup_volume(msg, userdata, "path", error);
}

static int method_find_sources(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        int r = vmmd_caller_require_privileged(msg, "FindStoragePoolSources", error);
        if (r < 0)
                return r;
        return vmmd_bus_error_setf(error, VMMD_ERROR_NO_SUPPORT, "FindStoragePoolSources is not implemented yet");
}

static int method_get_capabilities(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return vmmd_bus_error_setf(error, VMMD_ERROR_NO_SUPPORT, "GetStoragePoolCapabilities is not implemented yet");
}

static int property_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", VMMD_VERSION);
}

#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("ListStoragePools", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("ao", pools),
                                method_list_pools, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("StoragePoolLookupByName", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", pool),
                                method_lookup_by_name, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("StoragePoolLookupByUUID", SD_BUS_ARGS("s", uuid), SD_BUS_RESULT("o", pool),
                                method_lookup_by_uuid, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("StoragePoolLookupByTargetPath", SD_BUS_ARGS("s", path), SD_BUS_RESULT("o", pool),
                                method_lookup_by_target, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("StoragePoolDefineXML", SD_BUS_ARGS("s", xml, "u", flags), SD_BUS_RESULT("o", pool),
                                method_define_xml, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("StoragePoolCreateXML", SD_BUS_ARGS("s", xml, "u", flags), SD_BUS_RESULT("o", pool),
                                method_create_xml, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("StorageVolLookupByKey", SD_BUS_ARGS("s", key), SD_BUS_RESULT("o", volume),
                                method_vol_lookup_by_key, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("StorageVolLookupByPath", SD_BUS_ARGS("s", path), SD_BUS_RESULT("o", volume),
                                method_vol_lookup_by_path, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("FindStoragePoolSources", SD_BUS_ARGS("s", type, "s", srcSpec, "u", flags),
                                SD_BUS_RESULT("s", xml), method_find_sources, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("GetStoragePoolCapabilities", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml),
                                method_get_capabilities, UNPRIV),
        SD_BUS_SIGNAL_WITH_ARGS("StoragePoolEvent", SD_BUS_ARGS("o", pool, "i", event, "i", detail), 0),
        SD_BUS_VTABLE_END,
};

int manager_bus_register(Manager *m) {
        int r;

        r = sd_bus_add_object_vtable(m->bus, NULL, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE, manager_vtable,
                                     m);
        if (r < 0)
                return r;
        r = sd_bus_add_object_manager(m->bus, NULL, STORAGE_MANAGER_PATH);
        if (r < 0)
                return r;
        r = pool_bus_register(m);
        if (r < 0)
                return r;
        return volume_bus_register(m);
}

void manager_emit_pool_event(Manager *m, Pool *p, int event) {
        g_autofree char *path = pool_bus_path(p);

        if (m->bus)
                (void) sd_bus_emit_signal(m->bus, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE, "StoragePoolEvent",
                                          "oii", path, event, 0);
}

void manager_emit_pool_refresh(Manager *m, Pool *p) {
        g_autofree char *path = pool_bus_path(p);

        if (m->bus)
                (void) sd_bus_emit_signal(m->bus, path, STORAGE_POOL_INTERFACE, "Refresh", "");
}

void manager_emit_pool_added(Manager *m, Pool *p) {
        g_autofree char *path = pool_bus_path(p);

        if (m->bus)
                (void) sd_bus_emit_object_added(m->bus, path);
}

void manager_emit_pool_removed(Manager *m, Pool *p) {
        g_autofree char *path = pool_bus_path(p);

        if (m->bus)
                (void) sd_bus_emit_object_removed(m->bus, path);
}

void manager_emit_pool_changed(Manager *m, Pool *p, const char *property, ...) {
        g_autofree char *path = pool_bus_path(p);
        va_list ap;

        if (!p->visible)
                return;
        va_start(ap, property);
        vmmd_bus_emit_changed_va(m->bus, path, STORAGE_POOL_INTERFACE, property, ap);
        va_end(ap);
}

void manager_emit_volume_added(Manager *m, Volume *v) {
        g_autofree char *path = volume_bus_path(v);

        if (m->bus)
                (void) sd_bus_emit_object_added(m->bus, path);
}

void manager_emit_volume_removed(Manager *m, Volume *v) {
        g_autofree char *path = volume_bus_path(v);

        if (m->bus)
                (void) sd_bus_emit_object_removed(m->bus, path);
}
