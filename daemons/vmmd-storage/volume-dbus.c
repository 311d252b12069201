/* The bus glue of volume objects: a fallback vtable under each pool path, lookup from the path. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "caller.h"
#include "cleanup.h"
#include "error.h"
#include "log.h"
#include "storage-dbus.h"

/* a volume's name never changes: its path is encoded once (lists, GetManagedObjects, signals) */
const char *volume_object_path(const Volume *v) {
        Volume *cache = (Volume *) v;

        if (!cache->bus_path)
                cache->bus_path = vmmd_bus_path_encode_child(pool_object_path(v->pool), STORAGE_VOL_ELEMENT,
                                                             volume_name(v));
        return cache->bus_path;
}

char *volume_bus_path(const Volume *v) {
        return g_strdup(volume_object_path(v));
}

/* uuid and name of a volume path; false when the path is not one */
static bool split_path(const char *path, char **ret_uuid, char **ret_name) {
        return vmmd_bus_path_decode_child(path, STORAGE_POOL_PREFIX, STORAGE_VOL_ELEMENT, ret_uuid, ret_name);
}

Volume *volume_from_path(Manager *m, const char *path, bool strict, sd_bus_error *error) {
        char *uuid = NULL, *name = NULL;
        Volume *v = NULL;
        Pool *p;

        if (!split_path(path, &uuid, &name)) {
                if (strict)
                        vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG, "'%s' is not a storage volume path", path);
                else
                        vmmd_bus_error_setf(error, VMMD_ERROR_NO_STORAGE_VOL, "no storage vol at '%s'", path);
                return NULL;
        }
        p = manager_find_by_uuid(m, uuid);
        if (p && !p->active) {
                if (strict)
                        vmmd_bus_error_setf(error, VMMD_ERROR_OPERATION_INVALID, "storage pool '%s' is not active",
                                          pool_name(p));
                else
                        vmmd_bus_error_setf(error, VMMD_ERROR_NO_STORAGE_VOL,
                                          "no storage vol with matching name '%s' (storage pool '%s' is not active)",
                                          name, pool_name(p));
        } else if (p && !(v = pool_find_volume(p, name)))
                vmmd_bus_error_setf(error, VMMD_ERROR_NO_STORAGE_VOL, "no storage vol with matching name '%s'", name);
        else if (!p)
                vmmd_bus_error_setf(error, VMMD_ERROR_NO_STORAGE_VOL,
                                  "no storage vol with matching name '%s' (no storage pool with uuid '%s')", name, uuid);
        free(uuid);
        free(name);
        return v;
}

/* spec S33: the volumes of an inactive (or unknown) pool, and unknown volumes, have no
 * object; calls on their paths get the bus's UnknownObject. The volume found is what the
 * getters and methods get as userdata: the path is decoded once per message. */
static int volume_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                              void **ret_found, sd_bus_error *error) {
        sd_bus_error ignored = SD_BUS_ERROR_NULL;
        Volume *v = volume_from_path(userdata, path, false, &ignored);

        sd_bus_error_free(&ignored);
        if (!v)
                return 0;
        *ret_found = v;
        return 1;
}

/* --- properties --- */

/* Each property appended from the volume: the getters, GetManagedObjects and InterfacesAdded share these. */
static int append_name(sd_bus_message *reply, const void *obj) {
        return sd_bus_message_append_basic(reply, 's', volume_name(obj));
}

static int append_key(sd_bus_message *reply, const void *obj) {
        return sd_bus_message_append_basic(reply, 's', ((const Volume *) obj)->def->key);
}

static int append_path(sd_bus_message *reply, const void *obj) {
        return sd_bus_message_append_basic(reply, 's', volume_path(obj));
}

static int append_type(sd_bus_message *reply, const void *obj) {
        int32_t type = (int32_t) ((const Volume *) obj)->def->type;
        return sd_bus_message_append_basic(reply, 'i', &type);
}

static int append_pool(sd_bus_message *reply, const void *obj) {
        return sd_bus_message_append_basic(reply, 'o', pool_object_path(((const Volume *) obj)->pool));
}

/* in the vtable's order: GetAll, GetManagedObjects and InterfacesAdded list them alike */
static const VmmdBusProperty volume_properties[] = {
        { "Name", "s", append_name },
        { "Key", "s", append_key },
        { "Path", "s", append_path },
        { "Type", "i", append_type },
        { "Pool", "o", append_pool },
};

#define VOLUME_PROPERTY(fn, append)                                                                      \
        static int fn(sd_bus *bus, const char *path, const char *interface, const char *property,        \
                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {                      \
                return append(reply, userdata);                                                          \
        }

VOLUME_PROPERTY(property_name, append_name)
VOLUME_PROPERTY(property_key, append_key)
VOLUME_PROPERTY(property_path, append_path)
VOLUME_PROPERTY(property_type, append_type)
VOLUME_PROPERTY(property_pool, append_pool)

int volume_bus_append_managed(sd_bus_message *reply, const Volume *v) {
        return vmmd_bus_append_managed_object(reply, volume_object_path(v), STORAGE_VOL_INTERFACE, volume_properties,
                                              G_N_ELEMENTS(volume_properties), v);
}

int volume_bus_emit_added(sd_bus *bus, const Volume *v, const char *path) {
        return vmmd_bus_emit_interfaces_added(bus, STORAGE_MANAGER_PATH, path, STORAGE_VOL_INTERFACE,
                                              volume_properties, G_N_ELEMENTS(volume_properties), v);
}

/* --- methods --- */

/* after the privilege check and the arguments: the flags of the volume the object lookup found */
static Volume *begin(Volume *v, const char *method, uint32_t flags, uint32_t allowed, sd_bus_error *error) {
        if (vmmd_bus_check_flags(method, flags, allowed, error) < 0)
                return NULL;
        return v;
}

static int method_delete(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        VmmdPendingReply *reply;
        uint32_t flags;
        bool async = false;
        Volume *v;
        int r;

        r = vmmd_caller_require_privileged(msg, "Delete", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0)
                return r;
        v = begin(userdata, "Delete", flags, VOL_DELETE_ZEROED | VOL_DELETE_WITH_SNAPSHOTS, error);
        if (!v)
                return -EINVAL;
        reply = vmmd_pending_reply_new(msg);
        if (!volume_delete(v, flags, volume_done_reply, reply, &async, &gerr)) {
                vmmd_pending_reply_free(reply);
                return vmmd_error_to_bus(gerr, error);
        }
        if (async)
                return 1;
        vmmd_pending_reply_free(reply);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_get_info(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        uint64_t capacity, alloc;
        uint32_t flags;
        Volume *v;
        int type, r;

        r = vmmd_bus_read_flags(msg, "GetInfo", VOL_GET_PHYSICAL, false, 0, &flags, error);
        if (r < 0)
                return r;
        v = userdata;
        if (!volume_get_info(v, flags, &type, &capacity, &alloc, &gerr))
                return vmmd_error_to_bus(gerr, error);
        return sd_bus_reply_method_return(msg, "(itt)", (int32_t) type, capacity, alloc);
}

static int method_get_xml_desc(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        g_autofree char *xml = NULL;
        uint32_t flags;
        Volume *v;
        int r;

        r = vmmd_bus_read_flags(msg, "GetXMLDesc", 0, false, 0, &flags, error);
        if (r < 0)
                return r;
        v = userdata;
        xml = volume_get_xml(v, &gerr);
        if (!xml)
                return gerr ? vmmd_error_to_bus(gerr, error) :
                              vmmd_bus_error_setf(error, VMMD_ERROR_INTERNAL_ERROR, "cannot format volume '%s'",
                                                volume_name(v));
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int method_resize(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        g_autoptr(VmmdPendingReply) reply = NULL;
        uint64_t capacity;
        uint32_t flags;
        bool async = false;
        Volume *v;
        int r;

        r = vmmd_caller_require_privileged(msg, "Resize", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "tu", &capacity, &flags);
        if (r < 0)
                return r;
        v = begin(userdata, "Resize", flags, VOL_RESIZE_ALLOCATE | VOL_RESIZE_DELTA | VOL_RESIZE_SHRINK, error);
        if (!v)
                return -EINVAL;
        reply = vmmd_pending_reply_new(msg);
        if (!volume_resize(v, capacity, flags, volume_done_reply, reply, &async, &gerr))
                return vmmd_error_to_bus(gerr, error);
        if (async) {
                g_steal_pointer(&reply);   /* volume_done_reply answers and frees it */
                return 1;
        }
        return sd_bus_reply_method_return(msg, NULL);
}

static int wipe(sd_bus_message *msg, Volume *found, const char *method, uint32_t algorithm, uint32_t flags,
                sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        VmmdPendingReply *reply;
        Volume *v;

        v = begin(found, method, flags, 0, error);
        if (!v)
                return -EINVAL;
        reply = vmmd_pending_reply_new(msg);
        if (!volume_wipe(v, algorithm, volume_done_reply, reply, &gerr)) {
                vmmd_pending_reply_free(reply);
                return vmmd_error_to_bus(gerr, error);
        }
        return 1;
}

static int method_wipe(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        int r;

        r = vmmd_caller_require_privileged(msg, "Wipe", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0)
                return r;
        return wipe(msg, userdata, "Wipe", VOL_WIPE_ZERO, flags, error);
}

static int method_wipe_pattern(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t algorithm, flags;
        int r;

        r = vmmd_caller_require_privileged(msg, "WipePattern", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "uu", &algorithm, &flags);
        if (r < 0)
                return r;
        return wipe(msg, userdata, "WipePattern", algorithm, flags, error);
}

typedef bool (*TransferFunc)(Volume *v, int fd, uint64_t offset, uint64_t length, unsigned flags, VolumeDoneFunc done,
                             void *userdata, GError **error);

/* S60–S62; Download needs privilege too (spec 1.4) */
static int transfer(sd_bus_message *msg, Volume *found, const char *method, TransferFunc fn, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        uint64_t offset, length;
        uint32_t flags;
        VmmdPendingReply *reply;
        Volume *v;
        int fd, copy, r;

        r = vmmd_caller_require_privileged(msg, method, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "httu", &fd, &offset, &length, &flags);
        if (r < 0)
                return r;
        v = begin(found, method, flags, VOL_TRANSFER_SPARSE, error);
        if (!v)
                return -EINVAL;
        copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (copy < 0)
                return sd_bus_error_set_errnof(error, errno, "%s: cannot duplicate the descriptor: %m", method);
        reply = vmmd_pending_reply_new(msg);
        if (!fn(v, copy, offset, length, flags, volume_done_reply, reply, &gerr)) {
                vmmd_pending_reply_free(reply);
                return vmmd_error_to_bus(gerr, error);
        }
        return 1;
}

static int method_upload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return transfer(msg, userdata, "Upload", volume_upload, error);
}

static int method_download(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return transfer(msg, userdata, "Download", volume_download, error);
}

#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable volume_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Key", "s", property_key, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Path", "s", property_path, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Type", "i", property_type, 0, 0),
        SD_BUS_PROPERTY("Pool", "o", property_pool, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("Delete", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, method_delete, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("GetInfo", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("(itt)", info), method_get_info,
                                UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml), method_get_xml_desc,
                                UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Resize", SD_BUS_ARGS("t", capacity, "u", flags), SD_BUS_NO_RESULT, method_resize,
                                UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Wipe", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, method_wipe, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("WipePattern", SD_BUS_ARGS("u", algorithm, "u", flags), SD_BUS_NO_RESULT,
                                method_wipe_pattern, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Upload", SD_BUS_ARGS("h", fd, "t", offset, "t", length, "u", flags), SD_BUS_NO_RESULT,
                                method_upload, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Download", SD_BUS_ARGS("h", fd, "t", offset, "t", length, "u", flags),
                                SD_BUS_NO_RESULT, method_download, UNPRIV),
        SD_BUS_VTABLE_END,
};

int volume_bus_register(Manager *m, sd_bus *bus) {
        return sd_bus_add_fallback_vtable(bus, NULL, STORAGE_POOL_PREFIX, STORAGE_VOL_INTERFACE, volume_vtable,
                                          volume_object_find, m);
}
