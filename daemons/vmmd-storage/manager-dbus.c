/* The bus glue of the vmmd-storage manager object: define, create, list, lookups, events. */
#include <errno.h>
#include <string.h>

#include "caller.h"
#include "cleanup.h"
#include "config.h"
#include "uuid.h"
#include "error.h"
#include "log.h"
#include "storage-dbus.h"


void volume_done_reply(Volume *v, const GError *error, void *userdata) {
        VmmdPendingReply *reply = userdata;

        if (!error && v)
                vmmd_pending_reply_set_path(reply, volume_bus_path(v));
        (void) vmmd_pending_reply_finish(reply, error);
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

        r = vmmd_bus_read_text_and_flags(msg, method, "xml", allowed, &xml, &flags, error);
        if (r < 0)
                return r;
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
        int r;

        /* a start: its volumes are announced after the reply, as for StoragePool.Create */
        storage_bus_hold_volume_signals(userdata);
        r = define_or_create(msg, userdata, "StoragePoolCreateXML",
                             POOL_CREATE_WITH_BUILD | POOL_CREATE_WITH_BUILD_OVERWRITE |
                             POOL_CREATE_WITH_BUILD_NO_OVERWRITE, manager_create_xml, error);
        storage_bus_send_held_volume_signals(userdata);
        return r;
}

static int method_list_pools(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GPtrArray) list = NULL;
        uint32_t flags;
        int r;

        r = vmmd_bus_read_flags(msg, "ListStoragePools", POOL_LIST_STATE_BITS | POOL_LIST_TYPE_BITS, false, 0, &flags,
                                error);
        if (r < 0)
                return r;
        list = manager_list_pools(userdata, flags);
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

/* --- the model's listener: changes become signals --- */

/* the property each PoolChange bit stands for, in the order PropertiesChanged lists them */
static const struct {
        unsigned bit;
        const char *property;
} pool_change_properties[] = {
        { POOL_CHANGED_TYPE, "Type" },
        { POOL_CHANGED_ACTIVE, "Active" },
        { POOL_CHANGED_PERSISTENT, "Persistent" },
        { POOL_CHANGED_AUTOSTART, "Autostart" },
        { POOL_CHANGED_CAPACITY, "Capacity" },
        { POOL_CHANGED_ALLOCATION, "Allocation" },
        { POOL_CHANGED_AVAILABLE, "Available" },
};

static void on_pool_added(void *userdata, Pool *p) {
        g_autofree char *path = pool_bus_path(p);
        (void) sd_bus_emit_object_added(userdata, path);
}

static void on_pool_removed(void *userdata, Pool *p) {
        g_autofree char *path = pool_bus_path(p);
        (void) sd_bus_emit_object_removed(userdata, path);
}

static void on_pool_event(void *userdata, Pool *p, int event) {
        g_autofree char *path = pool_bus_path(p);
        (void) sd_bus_emit_signal(userdata, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE, "StoragePoolEvent", "oii",
                                  path, event, 0);
}

static void on_pool_changed(void *userdata, Pool *p, unsigned changes) {
        g_autofree char *path = NULL;
        const char *names[G_N_ELEMENTS(pool_change_properties) + 1];
        size_t n = 0;

        /* a transient pool being started is not on the bus yet */
        if (!p->visible)
                return;
        for (size_t i = 0; i < G_N_ELEMENTS(pool_change_properties); i++)
                if (changes & pool_change_properties[i].bit)
                        names[n++] = pool_change_properties[i].property;
        names[n] = NULL;
        if (n == 0)
                return;
        path = pool_bus_path(p);
        (void) sd_bus_emit_properties_changed_strv(userdata, path, STORAGE_POOL_INTERFACE, (char **) names);
}

static void on_pool_refresh(void *userdata, Pool *p) {
        g_autofree char *path = pool_bus_path(p);
        (void) sd_bus_emit_signal(userdata, path, STORAGE_POOL_INTERFACE, "Refresh", "");
}

/* --- volume objects: InterfacesAdded/Removed, built from the model, held back while asked --- */

typedef struct {
        char *path;
        char pool[37];   /* the uuid of the volume's pool */
        char *name;      /* InterfacesAdded of this volume; NULL: InterfacesRemoved */
} HeldSignal;

/* one daemon, one bus: what storage_bus_hold_volume_signals holds back */
static struct {
        bool holding;
        GArray *signals;   /* HeldSignal, in the order the model told them */
} held;

static void hold(char *path, const Volume *v, bool added) {
        HeldSignal h = { .path = path, .name = added ? g_strdup(volume_name(v)) : NULL };

        g_strlcpy(h.pool, v->pool->uuid, sizeof(h.pool));
        if (!held.signals)
                held.signals = g_array_new(false, false, sizeof(HeldSignal));
        g_array_append_val(held.signals, h);
}

static void on_volume_added(void *userdata, Volume *v) {
        g_autofree char *path = volume_bus_path(v);

        if (held.holding)
                hold(g_steal_pointer(&path), v, true);
        else
                (void) volume_bus_emit_added(userdata, v, path);
}

static void on_volume_removed(void *userdata, Volume *v) {
        g_autofree char *path = volume_bus_path(v);

        if (held.holding)
                hold(g_steal_pointer(&path), v, false);
        else
                (void) vmmd_bus_emit_interfaces_removed(userdata, STORAGE_MANAGER_PATH, path, STORAGE_VOL_INTERFACE);
}

void storage_bus_hold_volume_signals(Manager *m) {
        held.holding = true;
}

void storage_bus_send_held_volume_signals(Manager *m) {
        held.holding = false;
        for (guint i = 0; held.signals && i < held.signals->len; i++) {
                HeldSignal *h = &g_array_index(held.signals, HeldSignal, i);
                Pool *p = h->name ? manager_find_by_uuid(m, h->pool) : NULL;
                /* the volume as it is now; one that went meanwhile has its InterfacesRemoved later in the list */
                Volume *v = p && p->active ? pool_find_volume(p, h->name) : NULL;

                if (v)
                        (void) volume_bus_emit_added(m->bus, v, h->path);
                else if (!h->name)
                        (void) vmmd_bus_emit_interfaces_removed(m->bus, STORAGE_MANAGER_PATH, h->path,
                                                                STORAGE_VOL_INTERFACE);
                g_free(h->path);
                g_free(h->name);
        }
        if (held.signals)
                g_array_set_size(held.signals, 0);
}

/* GetManagedObjects from the model: the visible pools and the volumes of the active ones, as
 * the node enumerator lists them, without sd-bus decoding a path per object and property */
static int append_managed_objects(void *userdata, sd_bus_message *reply) {
        Manager *m = userdata;
        GHashTableIter it, vit;
        Volume *v;
        Pool *p;
        int r = 0;

        g_hash_table_iter_init(&it, m->pools);
        while (r >= 0 && g_hash_table_iter_next(&it, NULL, (gpointer *) &p)) {
                if (!p->visible)
                        continue;
                r = pool_bus_append_managed(reply, p);
                if (!p->active)
                        continue;
                g_hash_table_iter_init(&vit, p->volumes);
                while (r >= 0 && g_hash_table_iter_next(&vit, NULL, (gpointer *) &v))
                        r = volume_bus_append_managed(reply, v);
        }
        return r;
}

static const StorageListener bus_listener = {
        .pool_added = on_pool_added,
        .pool_removed = on_pool_removed,
        .pool_event = on_pool_event,
        .pool_changed = on_pool_changed,
        .pool_refresh = on_pool_refresh,
        .volume_added = on_volume_added,
        .volume_removed = on_volume_removed,
};

int storage_bus_register(Manager *m, sd_bus *bus) {
        int r;

        r = sd_bus_add_object_vtable(bus, NULL, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE, manager_vtable, m);
        if (r < 0)
                return r;
        r = sd_bus_add_object_manager(bus, NULL, STORAGE_MANAGER_PATH);
        if (r < 0)
                return r;
        r = vmmd_bus_add_managed_objects(bus, STORAGE_MANAGER_PATH, append_managed_objects, m);
        if (r < 0)
                return r;
        r = pool_bus_register(m, bus);
        if (r < 0)
                return r;
        r = volume_bus_register(m, bus);
        if (r < 0)
                return r;
        /* from here on the model's changes are signals; what loading found was not announced */
        manager_set_listener(m, &bus_listener, bus);
        return 0;
}
