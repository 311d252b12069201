/* Per-object bus glue every daemon shares: object paths, the object a path names, node enumeration,
 * property getters and replies that are sent later. */
#include "bus-object.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "caller.h"
#include "cleanup.h"

char *vmmd_bus_path_encode(const char *prefix, const char *id) {
        char *path = NULL;

        if (sd_bus_path_encode(prefix, id, &path) < 0)
                g_error("out of memory");
        return path;
}

/* sd_bus_path_encode's escaping (systemd's bus_label_escape): a-z, A-Z and, past the first
 * character, 0-9 stay; every other byte is _ and two lowercase hex digits; "" is "_". The unit
 * test holds the two equal. */
void vmmd_bus_path_encode_append(GString *out, const char *prefix, const char *id) {
        static const char hex[] = "0123456789abcdef";
        size_t start = out->len, plen = strlen(prefix), n = strlen(id);
        char *p;

        /* room for the longest: every byte escaped */
        g_string_set_size(out, start + plen + 1 + MAX(3 * n, 1));
        p = out->str + start;
        memcpy(p, prefix, plen);
        p += plen;
        *p++ = '/';
        if (!*id)
                *p++ = '_';
        for (const unsigned char *c = (const unsigned char *) id; *c; c++) {
                if (g_ascii_isalpha(*c) || (c > (const unsigned char *) id && g_ascii_isdigit(*c)))
                        *p++ = (char) *c;
                else {
                        *p++ = '_';
                        *p++ = hex[*c >> 4];
                        *p++ = hex[*c & 15];
                }
        }
        g_string_truncate(out, (gsize) (p - out->str));
}

char *vmmd_bus_path_encode_child(const char *parent, const char *element, const char *id) {
        g_autofree char *prefix = g_strconcat(parent, "/", element, NULL);
        return vmmd_bus_path_encode(prefix, id);
}

/* an id is a non-empty element; one that decodes to a '/' was never one of ours */
static bool id_ok(const char *id) {
        return id && *id && !strchr(id, '/');
}

char *vmmd_bus_path_decode(const char *path, const char *prefix) {
        char *id = NULL;

        if (sd_bus_path_decode(path, prefix, &id) <= 0 || !id_ok(id)) {
                free(id);
                return NULL;
        }
        return id;
}

bool vmmd_bus_path_decode_child(const char *path, const char *prefix, const char *element, char **ret_parent_id,
                                char **ret_child_id) {
        g_autofree char *pattern = g_strconcat(prefix, "/%/", element, "/%", NULL);
        char *parent = NULL, *child = NULL;

        if (sd_bus_path_decode_many(path, pattern, &parent, &child) <= 0 || !id_ok(parent) || !id_ok(child)) {
                free(parent);
                free(child);
                return false;
        }
        *ret_parent_id = parent;
        *ret_child_id = child;
        return true;
}

void *vmmd_bus_find_object(const char *path, const char *prefix, VmmdBusFindFunc find, void *userdata,
                           VmmdErrorCode not_found, const char *missing_fmt, sd_bus_error *error) {
        g_autofree char *id = vmmd_bus_path_decode(path, prefix);
        void *obj = id ? find(userdata, id) : NULL;

        if (!obj) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
                vmmd_bus_error_setf(error, not_found, missing_fmt, id ? id : path);
#pragma GCC diagnostic pop
        }
        return obj;
}

typedef struct {
        VmmdBusNodesFunc nodes;
        void *userdata;
} NodeEnumerator;

static int on_enumerate(sd_bus *bus, const char *path, void *userdata, char ***ret_nodes, sd_bus_error *error) {
        NodeEnumerator *e = userdata;
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);

        e->nodes(e->userdata, paths);
        g_ptr_array_add(paths, NULL);
        /* sd-bus frees the array and its strings with free(), which is g_free's allocator */
        *ret_nodes = (char **) g_ptr_array_steal(paths, NULL);
        return 1;
}

static void node_enumerator_free(void *p) {
        g_free(p);
}

int vmmd_bus_add_node_enumerator(sd_bus *bus, const char *prefix, VmmdBusNodesFunc nodes, void *userdata) {
        g_autoptr(sd_bus_slot) slot = NULL;
        NodeEnumerator *e = g_new0(NodeEnumerator, 1);
        int r;

        e->nodes = nodes;
        e->userdata = userdata;
        r = sd_bus_add_node_enumerator(bus, &slot, prefix, on_enumerate, e);
        if (r < 0) {
                g_free(e);
                return r;
        }
        /* the enumerator lives as long as the bus: the slot is floating and frees e with itself */
        (void) sd_bus_slot_set_destroy_callback(slot, node_enumerator_free);
        return sd_bus_slot_set_floating(slot, 1);
}

typedef struct {
        VmmdBusManagedObjectsFunc objects;
        void *userdata;
} ManagedObjects;

static int on_object_manager_call(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        ManagedObjects *mo = userdata;
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        /* anything else, and a GetManagedObjects with arguments, is sd-bus's to answer */
        if (!sd_bus_message_is_method_call(msg, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects") ||
            !g_str_equal(sd_bus_message_get_signature(msg, true), ""))
                return 0;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "{oa{sa{sv}}}");
        if (r < 0)
                return r;
        r = mo->objects(mo->userdata, reply);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        r = sd_bus_send(NULL, reply, NULL);
        return r < 0 ? r : 1;
}

int vmmd_bus_add_managed_objects(sd_bus *bus, const char *path, VmmdBusManagedObjectsFunc objects, void *userdata) {
        g_autoptr(sd_bus_slot) slot = NULL;
        ManagedObjects *mo = g_new0(ManagedObjects, 1);
        int r;

        mo->objects = objects;
        mo->userdata = userdata;
        /* an object callback runs before sd-bus's built-in interfaces and adds none to introspection */
        r = sd_bus_add_object(bus, &slot, path, on_object_manager_call, mo);
        if (r < 0) {
                g_free(mo);
                return r;
        }
        (void) sd_bus_slot_set_destroy_callback(slot, g_free);
        return sd_bus_slot_set_floating(slot, 1);
}

/* An object's a{sa{sv}}, for GetManagedObjects and InterfacesAdded alike. Each step is its own
 * sd-bus call: sd_bus_message_append() parses its format string and copies the signature of
 * every container it opens (profiled at 1000 domains, it was half of the reply's cost).
 *
 * The object's own interface only, not the empty Peer, Introspectable and Properties sd-bus's
 * built-in answer lists: the D-Bus specification makes each entry the GetAll of an interface
 * and asks for none of the standard ones; GDBus's ObjectManager server (the one most clients
 * meet) never lists them, so every ObjectManager client already does without, and sd-bus has
 * no client side that reads them. At 1000 domains they were a fifth of the daemon's time for
 * the reply and more than a quarter of its bytes, which dbus-daemon and each client pay again.
 * The objects still answer all three. */
static int append_interfaces(sd_bus_message *m, const char *interface, const VmmdBusProperty *props, size_t n,
                             const void *obj) {
        int r;

        r = sd_bus_message_open_container(m, 'a', "{sa{sv}}");
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'e', "sa{sv}");
        if (r >= 0)
                r = sd_bus_message_append_basic(m, 's', interface);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "{sv}");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = sd_bus_message_open_container(m, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append_basic(m, 's', props[i].name);
                if (r >= 0)
                        r = sd_bus_message_open_container(m, 'v', props[i].signature);
                if (r >= 0)
                        r = props[i].append(m, obj);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        for (int i = 0; r >= 0 && i < 3; i++)
                r = sd_bus_message_close_container(m);
        return r;
}

int vmmd_bus_append_managed_object(sd_bus_message *reply, const char *path, const char *interface,
                                   const VmmdBusProperty *props, size_t n, const void *obj) {
        int r;

        r = sd_bus_message_open_container(reply, 'e', "oa{sa{sv}}");
        if (r >= 0)
                r = sd_bus_message_append_basic(reply, 'o', path);
        if (r >= 0)
                r = append_interfaces(reply, interface, props, n, obj);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

int vmmd_bus_emit_interfaces_added(sd_bus *bus, const char *manager_path, const char *path, const char *interface,
                                   const VmmdBusProperty *props, size_t n, const void *obj) {
        g_autoptr(sd_bus_message) m = NULL;
        int r;

        r = sd_bus_message_new_signal(bus, &m, manager_path, "org.freedesktop.DBus.ObjectManager", "InterfacesAdded");
        if (r >= 0)
                r = sd_bus_message_append(m, "o", path);
        if (r >= 0)
                r = append_interfaces(m, interface, props, n, obj);
        if (r >= 0)
                r = sd_bus_send(bus, m, NULL);
        return r;
}

int vmmd_bus_emit_interfaces_removed(sd_bus *bus, const char *manager_path, const char *path, const char *interface) {
        g_autoptr(sd_bus_message) m = NULL;
        int r;

        r = sd_bus_message_new_signal(bus, &m, manager_path, "org.freedesktop.DBus.ObjectManager",
                                      "InterfacesRemoved");
        /* sd_bus_emit_object_removed's list: the standard interfaces, then the object's own */
        if (r >= 0)
                r = sd_bus_message_append(m, "o", path);
        if (r >= 0)
                r = sd_bus_message_append(m, "as", 4, "org.freedesktop.DBus.Peer", "org.freedesktop.DBus.Introspectable",
                                          "org.freedesktop.DBus.Properties", interface);
        if (r >= 0)
                r = sd_bus_send(bus, m, NULL);
        return r;
}

int vmmd_bus_set_bool_property(sd_bus *bus, const char *path, const char *property, sd_bus_message *value,
                               void *userdata, VmmdBusLookupFunc lookup, VmmdBusSetBoolFunc set, sd_bus_error *error) {
        g_autofree char *what = g_strconcat("Set ", property, NULL);
        g_autoptr(GError) gerr = NULL;
        void *obj;
        int b, r;

        r = vmmd_caller_require_privileged(sd_bus_get_current_message(bus), what, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(value, "b", &b);
        if (r < 0)
                return r;
        obj = lookup(userdata, path, error);
        if (!obj)
                return -ENOENT;
        if (!set(obj, b, &gerr))
                return vmmd_error_to_bus(gerr, error);
        return 0;
}

struct VmmdPendingReply {
        sd_bus_message *msg;
        char *path;
};

VmmdPendingReply *vmmd_pending_reply_new(sd_bus_message *msg) {
        VmmdPendingReply *p = g_new0(VmmdPendingReply, 1);

        p->msg = sd_bus_message_ref(msg);
        return p;
}

void vmmd_pending_reply_set_path(VmmdPendingReply *p, char *path) {
        g_free(p->path);
        p->path = path;
}

int vmmd_pending_reply_finish(VmmdPendingReply *p, const GError *error) {
        int r = vmmd_bus_reply_result(p->msg, error, p->path);

        vmmd_pending_reply_free(p);
        return r;
}

void vmmd_pending_reply_free(VmmdPendingReply *p) {
        if (!p)
                return;
        sd_bus_message_unref(p->msg);
        g_free(p->path);
        g_free(p);
}
