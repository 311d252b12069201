/* Per-object bus glue every daemon shares: object paths, the object a path names, node enumeration,
 * property getters and replies that are sent later. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "error.h"

/* --- object paths --- */

/* prefix/<id escaped with sd_bus_path_encode>; g_free() the result. */
char *vmmd_bus_path_encode(const char *prefix, const char *id);
/* Appends prefix/<id escaped> to out, the same path vmmd_bus_path_encode() returns, without an
 * allocation per path: for replies that list every object. */
void vmmd_bus_path_encode_append(GString *out, const char *prefix, const char *id);
/* parent/element/<id escaped>: a child object (a volume under its pool, a snapshot under its domain). */
char *vmmd_bus_path_encode_child(const char *parent, const char *element, const char *id);
/* The id of a path that is exactly prefix/<one non-empty element>, or NULL. */
char *vmmd_bus_path_decode(const char *path, const char *prefix);
/* The ids of prefix/<parent id>/element/<child id>; false when path is not such a path. */
bool vmmd_bus_path_decode_child(const char *path, const char *prefix, const char *element, char **ret_parent_id,
                                char **ret_child_id);

/* --- finding the object of a path --- */

/* The object with this id (a uuid, a name), or NULL when there is none (or it is going away). */
typedef void *(*VmmdBusFindFunc)(void *userdata, const char *id);

/* The object prefix/<id> names. When there is none, fills error with the daemon's own
 * not-found error (NoDomain, NoStoragePool, …: each spec says which), whose message is
 * missing_fmt with the id (or the whole path when it is not one of ours) for its one %s. */
void *vmmd_bus_find_object(const char *path, const char *prefix, VmmdBusFindFunc find, void *userdata,
                           VmmdErrorCode not_found, const char *missing_fmt, sd_bus_error *error);

/* --- node enumeration --- */

/* Adds the paths (g_strdup'ed or vmmd_bus_path_encode'd) of every object under the prefix. */
typedef void (*VmmdBusNodesFunc)(void *userdata, GPtrArray *paths);

/* Registers a node enumerator for prefix that lists what nodes() adds: GetManagedObjects
 * and introspection see every object without one registration per object. */
int vmmd_bus_add_node_enumerator(sd_bus *bus, const char *prefix, VmmdBusNodesFunc nodes, void *userdata);

/* --- ObjectManager answered from the model --- */

/* One property of an object kind, appended from the object itself. The vtable's getter and
 * the daemon's own GetManagedObjects both use it, so the two cannot say different things. */
typedef struct {
        const char *name;
        const char *signature;
        int (*append)(sd_bus_message *reply, const void *obj);
} VmmdBusProperty;

/* Appends every object to reply (an open a{oa{sa{sv}}}) with vmmd_bus_append_managed_object. */
typedef int (*VmmdBusManagedObjectsFunc)(void *userdata, sd_bus_message *reply);

/* Answers ObjectManager.GetManagedObjects on path with what objects() appends, instead of
 * sd-bus walking every node enumerator, vtable and getter (with a path decode and a lookup
 * per property): at 10 000 domains that walk took half a second. Add the object manager
 * itself as usual; introspection and signals stay sd-bus's. */
int vmmd_bus_add_managed_objects(sd_bus *bus, const char *path, VmmdBusManagedObjectsFunc objects, void *userdata);

/* One entry of a GetManagedObjects reply: path with interface and the n properties of obj
 * (without the standard interfaces sd-bus's own answer lists; bus-object.c says why). */
int vmmd_bus_append_managed_object(sd_bus_message *reply, const char *path, const char *interface,
                                   const VmmdBusProperty *props, size_t n, const void *obj);

/* InterfacesAdded for one object from the object manager at manager_path, with what
 * sd_bus_emit_object_added sends (the standard interfaces, then interface with the n
 * properties of obj) but built from obj: sd-bus would find the object and then every
 * property again from the path, which made announcing 1000 volumes half of a pool start. */
int vmmd_bus_emit_interfaces_added(sd_bus *bus, const char *manager_path, const char *path, const char *interface,
                                   const VmmdBusProperty *props, size_t n, const void *obj);
/* InterfacesRemoved for one object that has interface besides the standard ones. */
int vmmd_bus_emit_interfaces_removed(sd_bus *bus, const char *manager_path, const char *path, const char *interface);

/* --- properties --- */

/* Defines an sd-bus property getter fn for objects of type Type, found from the path by
 * find(userdata, path, error) (which fills error when there is none); body uses `obj` and
 * `reply` and returns what sd_bus_message_append returns. */
#define VMMD_BUS_DEFINE_PROPERTY(fn, Type, find, body)                                                   \
        static int fn(sd_bus *bus, const char *path, const char *interface, const char *property,        \
                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {                      \
                Type *obj = find(userdata, path, error);                                                 \
                if (!obj)                                                                                \
                        return -ENOENT;                                                                  \
                body                                                                                     \
        }

/* The object a path names, with the daemon's not-found error in error when there is none. */
typedef void *(*VmmdBusLookupFunc)(void *userdata, const char *path, sd_bus_error *error);
typedef bool (*VmmdBusSetBoolFunc)(void *obj, bool value, GError **error);

/* The setter of a writable boolean property that needs privilege (Autostart): the caller,
 * the value, the object, then set(obj, value). */
int vmmd_bus_set_bool_property(sd_bus *bus, const char *path, const char *property, sd_bus_message *value,
                               void *userdata, VmmdBusLookupFunc lookup, VmmdBusSetBoolFunc set, sd_bus_error *error);

/* --- replies sent later --- */

/* A method call whose reply follows when the work it started ends (a volume copy, a QEMU
 * job). Holds a reference to the call. */
typedef struct VmmdPendingReply VmmdPendingReply;

VmmdPendingReply *vmmd_pending_reply_new(sd_bus_message *msg);
/* Sets (takes) the object path the reply carries as 'o'; no path: an empty reply. */
void vmmd_pending_reply_set_path(VmmdPendingReply *p, char *path);
/* Sends the reply: error's named error, or the return; then frees p. */
int vmmd_pending_reply_finish(VmmdPendingReply *p, const GError *error);
/* Frees p without replying (the handler answers the call itself). */
void vmmd_pending_reply_free(VmmdPendingReply *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmmdPendingReply, vmmd_pending_reply_free)
