/* The bus glue of pool objects: one fallback vtable, object lookup from the path, the node enumerator. */
#include <errno.h>
#include <string.h>

#include "caller.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "storage-dbus.h"

/* a pool's uuid never changes: its path is encoded once (every volume object names it) */
const char *pool_object_path(const Pool *p) {
        Pool *cache = (Pool *) p;

        if (!cache->bus_path)
                cache->bus_path = vmmd_bus_path_encode(STORAGE_POOL_PREFIX, p->uuid);
        return cache->bus_path;
}

char *pool_bus_path(const Pool *p) {
        return g_strdup(pool_object_path(p));
}

static void *find_pool(void *userdata, const char *uuid) {
        return manager_find_by_uuid(userdata, uuid);
}

static Pool *pool_from_path(Manager *m, const char *path, sd_bus_error *error) {
        return vmmd_bus_find_object(path, STORAGE_POOL_PREFIX, find_pool, m, VMMD_ERROR_NO_STORAGE_POOL,
                                    "no storage pool with matching uuid '%s'", error);
}

Pool *pool_from_message(Manager *m, sd_bus_message *msg, sd_bus_error *error) {
        return pool_from_path(m, sd_bus_message_get_path(msg), error);
}

/* spec S7: an unknown or undefined pool has no object; calls on its path get the bus's
 * UnknownObject (lookups by name or UUID answer NoStoragePool). */
static int pool_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **ret_found,
                            sd_bus_error *error) {
        g_autofree char *uuid = vmmd_bus_path_decode(path, STORAGE_POOL_PREFIX);

        if (!uuid || !manager_find_by_uuid(userdata, uuid))
                return 0;
        *ret_found = userdata;
        return 1;
}

/* Pools and the volumes of active pools: GetManagedObjects and introspection see them all. */
static void pool_nodes(void *userdata, GPtrArray *paths) {
        Manager *m = userdata;
        GHashTableIter it, vit;
        Volume *v;
        Pool *p;

        g_hash_table_iter_init(&it, m->pools);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &p)) {
                if (!p->visible)
                        continue;
                g_ptr_array_add(paths, pool_bus_path(p));
                if (!p->active)
                        continue;
                g_hash_table_iter_init(&vit, p->volumes);
                while (g_hash_table_iter_next(&vit, NULL, (gpointer *) &v))
                        g_ptr_array_add(paths, volume_bus_path(v));
        }
}

/* --- properties --- */

/* Each property appended from the pool: the getters and GetManagedObjects share these. */
static int append_name(sd_bus_message *reply, const void *obj) {
        return sd_bus_message_append_basic(reply, 's', pool_name(obj));
}

static int append_uuid(sd_bus_message *reply, const void *obj) {
        return sd_bus_message_append_basic(reply, 's', ((const Pool *) obj)->uuid);
}

static int append_type(sd_bus_message *reply, const void *obj) {
        return sd_bus_message_append_basic(reply, 's', pool_type_string(obj));
}

static int append_bool(sd_bus_message *reply, bool b) {
        int v = b;
        return sd_bus_message_append_basic(reply, 'b', &v);
}

static int append_active(sd_bus_message *reply, const void *obj) {
        return append_bool(reply, ((const Pool *) obj)->active);
}

static int append_persistent(sd_bus_message *reply, const void *obj) {
        return append_bool(reply, ((const Pool *) obj)->persistent);
}

static int append_autostart(sd_bus_message *reply, const void *obj) {
        return append_bool(reply, ((const Pool *) obj)->autostart);
}

static int append_capacity(sd_bus_message *reply, const void *obj) {
        return sd_bus_message_append_basic(reply, 't', &((const Pool *) obj)->def->capacity);
}

static int append_allocation(sd_bus_message *reply, const void *obj) {
        return sd_bus_message_append_basic(reply, 't', &((const Pool *) obj)->def->allocation);
}

static int append_available(sd_bus_message *reply, const void *obj) {
        return sd_bus_message_append_basic(reply, 't', &((const Pool *) obj)->def->available);
}

/* in the vtable's order: GetAll and GetManagedObjects list them alike */
static const VmmdBusProperty pool_properties[] = {
        { "Name", "s", append_name },
        { "UUID", "s", append_uuid },
        { "Type", "s", append_type },
        { "Active", "b", append_active },
        { "Persistent", "b", append_persistent },
        { "Autostart", "b", append_autostart },
        { "Capacity", "t", append_capacity },
        { "Allocation", "t", append_allocation },
        { "Available", "t", append_available },
};

#define POOL_PROPERTY(fn, append) VMMD_BUS_DEFINE_PROPERTY(fn, Pool, pool_from_path, return append(reply, obj);)

POOL_PROPERTY(property_name, append_name)
POOL_PROPERTY(property_uuid, append_uuid)
POOL_PROPERTY(property_type, append_type)
POOL_PROPERTY(property_active, append_active)
POOL_PROPERTY(property_persistent, append_persistent)
POOL_PROPERTY(property_autostart, append_autostart)
POOL_PROPERTY(property_capacity, append_capacity)
POOL_PROPERTY(property_allocation, append_allocation)
POOL_PROPERTY(property_available, append_available)

int pool_bus_append_managed(sd_bus_message *reply, const Pool *p) {
        return vmmd_bus_append_managed_object(reply, pool_object_path(p), STORAGE_POOL_INTERFACE, pool_properties,
                                              G_N_ELEMENTS(pool_properties), p);
}

static int property_set_autostart(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *value, void *userdata, sd_bus_error *error) {
        return vmmd_bus_set_bool_property(bus, path, property, value, userdata, (VmmdBusLookupFunc) pool_from_path,
                                          (VmmdBusSetBoolFunc) pool_set_autostart, error);
}

/* --- methods --- */

typedef bool (*PoolFunc)(Pool *p, unsigned flags, GError **error);

static bool do_destroy(Pool *p, unsigned flags, GError **error) {
        return pool_destroy(p, error);
}

static bool do_undefine(Pool *p, unsigned flags, GError **error) {
        return pool_undefine(p, error);
}

static bool do_refresh(Pool *p, unsigned flags, GError **error) {
        return pool_refresh(p, error);
}

/* privilege → flags → lookup → the model → an empty reply */
static int run_pool_method(sd_bus_message *msg, Manager *m, const char *method, bool has_flags, uint32_t allowed,
                           PoolFunc fn, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        uint32_t flags;
        Pool *p;
        int r;

        r = vmmd_bus_begin_privileged(msg, method, has_flags, allowed, &flags, error);
        if (r < 0)
                return r;
        p = pool_from_message(m, msg, error);
        if (!p)
                return -ENOENT;
        if (!fn(p, flags, &gerr))
                return vmmd_error_to_bus(gerr, error);
        return sd_bus_reply_method_return(msg, NULL);
}

/* Create and Refresh: the volume objects that appeared or went are announced after the reply,
 * so that the caller does not wait for a thousand signals to be built and routed first. */
static int run_pool_scan(sd_bus_message *msg, Manager *m, const char *method, uint32_t allowed, PoolFunc fn,
                         sd_bus_error *error) {
        int r;

        storage_bus_hold_volume_signals(m);
        r = run_pool_method(msg, m, method, true, allowed, fn, error);
        storage_bus_send_held_volume_signals(m);
        return r;
}

static int method_build(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return run_pool_method(msg, userdata, "Build", true,
                               POOL_BUILD_REPAIR | POOL_BUILD_RESIZE | POOL_BUILD_NO_OVERWRITE | POOL_BUILD_OVERWRITE,
                               pool_build, error);
}

static int method_create(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return run_pool_scan(msg, userdata, "Create",
                             POOL_CREATE_WITH_BUILD | POOL_CREATE_WITH_BUILD_OVERWRITE |
                             POOL_CREATE_WITH_BUILD_NO_OVERWRITE, pool_start, error);
}

static int method_destroy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return run_pool_method(msg, userdata, "Destroy", false, 0, do_destroy, error);
}

static int method_delete(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return run_pool_method(msg, userdata, "Delete", true, POOL_DELETE_ZEROED, pool_delete, error);
}

static int method_undefine(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return run_pool_method(msg, userdata, "Undefine", false, 0, do_undefine, error);
}

static int method_refresh(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return run_pool_scan(msg, userdata, "Refresh", 0, do_refresh, error);
}

static int method_get_info(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Pool *p = pool_from_message(userdata, msg, error);

        if (!p)
                return -ENOENT;
        return sd_bus_reply_method_return(msg, "(ittt)", (int32_t) (p->active ? POOL_STATE_RUNNING :
                                                                                 POOL_STATE_INACTIVE),
                                          p->def->capacity, p->def->allocation, p->def->available);
}

static int method_get_xml_desc(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autofree char *xml = NULL;
        uint32_t flags;
        Pool *p;
        int r;

        r = vmmd_bus_read_flags(msg, "GetXMLDesc", POOL_XML_INACTIVE, false, 0, &flags, error);
        if (r < 0)
                return r;
        p = pool_from_message(userdata, msg, error);
        if (!p)
                return -ENOENT;
        xml = pool_get_xml(p, flags);
        if (!xml)
                return vmmd_bus_error_setf(error, VMMD_ERROR_INTERNAL_ERROR, "cannot format pool '%s'",
                                         pool_name(p));
        return sd_bus_reply_method_return(msg, "s", xml);
}

static Pool *active_pool(Manager *m, sd_bus_message *msg, sd_bus_error *error) {
        Pool *p = pool_from_message(m, msg, error);

        if (p && !p->active) {
                vmmd_bus_error_setf(error, VMMD_ERROR_OPERATION_INVALID, "storage pool '%s' is not active",
                                  pool_name(p));
                return NULL;
        }
        return p;
}

static int method_list_volumes(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GPtrArray) list = NULL;
        uint32_t flags;
        Pool *p;
        int r;

        r = vmmd_bus_read_flags(msg, "ListStorageVolumes", 0, false, 0, &flags, error);
        if (r < 0)
                return r;
        p = active_pool(userdata, msg, error);
        if (!p)
                return -EINVAL;
        list = pool_list_volumes(p);
        return vmmd_bus_reply_objects(msg, list, (VmmdBusPathFunc) volume_bus_path);
}

static int method_vol_lookup_by_name(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autofree char *path = NULL;
        const char *name;
        Volume *v;
        Pool *p;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        p = active_pool(userdata, msg, error);
        if (!p)
                return -EINVAL;
        v = pool_find_volume(p, name);
        if (!v)
                return vmmd_bus_error_setf(error, VMMD_ERROR_NO_STORAGE_VOL, "no storage vol with matching name '%s'",
                                         name);
        path = volume_bus_path(v);
        return sd_bus_reply_method_return(msg, "o", path);
}

static int method_vol_create_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        const char *xml;
        uint32_t flags;
        VmmdPendingReply *reply;
        Pool *p;
        int r;

        r = vmmd_bus_read_text_and_flags(msg, "StorageVolCreateXML", "xml",
                                         VOL_CREATE_PREALLOC_METADATA | VOL_CREATE_VALIDATE, &xml, &flags, error);
        if (r < 0)
                return r;
        p = pool_from_message(userdata, msg, error);
        if (!p)
                return -ENOENT;
        /* the reply (the new path) follows once the data is in place (S38) */
        reply = vmmd_pending_reply_new(msg);
        if (!volume_create(p, xml, flags, volume_done_reply, reply, &gerr)) {
                vmmd_pending_reply_free(reply);
                return vmmd_error_to_bus(gerr, error);
        }
        return 1;
}

static int method_vol_create_xml_from(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        g_autoptr(GError) gerr = NULL;
        const char *xml, *source_path;
        uint32_t flags;
        VmmdPendingReply *reply;
        Volume *source;
        Pool *p;
        int r;

        r = vmmd_caller_require_privileged(msg, "StorageVolCreateXMLFrom", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "sou", &xml, &source_path, &flags);
        if (r < 0)
                return r;
        r = vmmd_bus_check_flags("StorageVolCreateXMLFrom", flags,
                            VOL_CREATE_PREALLOC_METADATA | VOL_CREATE_REFLINK | VOL_CREATE_VALIDATE, error);
        if (r < 0)
                return r;
        if (!*xml)
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG,
                                        "StorageVolCreateXMLFrom: xml must not be empty");
        p = pool_from_message(m, msg, error);
        if (!p)
                return -ENOENT;
        source = volume_from_path(m, source_path, true, error);
        if (!source)
                return -EINVAL;
        if (!p->active)
                return vmmd_bus_error_setf(error, VMMD_ERROR_OPERATION_INVALID, "storage pool '%s' is not active",
                                         pool_name(p));
        reply = vmmd_pending_reply_new(msg);
        if (!volume_clone(p, xml, source, flags, volume_done_reply, reply, &gerr)) {
                vmmd_pending_reply_free(reply);
                return vmmd_error_to_bus(gerr, error);
        }
        return 1;
}

#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE
#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable pool_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("UUID", "s", property_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Type", "s", property_type, 0, EMITS),
        SD_BUS_PROPERTY("Active", "b", property_active, 0, EMITS),
        SD_BUS_PROPERTY("Persistent", "b", property_persistent, 0, EMITS),
        SD_BUS_WRITABLE_PROPERTY("Autostart", "b", property_autostart, property_set_autostart, 0, EMITS | UNPRIV),
        SD_BUS_PROPERTY("Capacity", "t", property_capacity, 0, EMITS),
        SD_BUS_PROPERTY("Allocation", "t", property_allocation, 0, EMITS),
        SD_BUS_PROPERTY("Available", "t", property_available, 0, EMITS),
        SD_BUS_METHOD_WITH_ARGS("Build", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, method_build, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Create", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, method_create, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Destroy", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_destroy, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Delete", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, method_delete, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Undefine", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_undefine, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Refresh", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, method_refresh, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("GetInfo", SD_BUS_NO_ARGS, SD_BUS_RESULT("(ittt)", info), method_get_info, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml), method_get_xml_desc,
                                UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("ListStorageVolumes", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("ao", volumes),
                                method_list_volumes, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("StorageVolLookupByName", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", volume),
                                method_vol_lookup_by_name, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("StorageVolCreateXML", SD_BUS_ARGS("s", xml, "u", flags), SD_BUS_RESULT("o", volume),
                                method_vol_create_xml, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("StorageVolCreateXMLFrom", SD_BUS_ARGS("s", xml, "o", source, "u", flags),
                                SD_BUS_RESULT("o", volume), method_vol_create_xml_from, UNPRIV),
        SD_BUS_SIGNAL("Refresh", "", 0),
        SD_BUS_VTABLE_END,
};

int pool_bus_register(Manager *m, sd_bus *bus) {
        int r;

        r = sd_bus_add_fallback_vtable(bus, NULL, STORAGE_POOL_PREFIX, STORAGE_POOL_INTERFACE, pool_vtable,
                                       pool_object_find, m);
        if (r < 0)
                return r;
        return vmmd_bus_add_node_enumerator(bus, STORAGE_POOL_PREFIX, pool_nodes, m);
}
