/* The bus glue of vmmd-network: the manager object, network objects, and the listener that turns model changes into signals. */
#include "network-dbus.h"
#include "bus-object.h"
#include "bus-util.h"
#include "caller.h"
#include "cleanup.h"
#include "config.h"
#include "error.h"
#include "test-fault.h"
#include "uuid.h"
#include "leases.h"

#include <sys/socket.h>
#include "vmmd/network1.h"

#include <errno.h>
#include <string.h>

char *network_bus_path(const Network *n) {
        return vmmd_bus_path_encode(NETWORK_PREFIX, n->def->uuid);
}

static void *find_network(void *userdata, const char *uuid) {
        return net_manager_find_by_uuid(userdata, uuid);
}

static Network *network_from_path(NetManager *m, const char *path, sd_bus_error *error) {
        return vmmd_bus_find_object(path, NETWORK_PREFIX, find_network, m, VMMD_ERROR_NO_NETWORK,
                                    "no network with matching uuid '%s'", error);
}

static Network *network_from_message(NetManager *m, sd_bus_message *msg, sd_bus_error *error) {
        return network_from_path(m, sd_bus_message_get_path(msg), error);
}

static int reply_network_path(sd_bus_message *msg, Network *n) {
        g_autofree char *path = network_bus_path(n);
        return sd_bus_reply_method_return(msg, "o", path);
}

/* --- manager --- */

static int define_or_create(sd_bus_message *msg, NetManager *m, const char *method,
                            Network *(*fn)(NetManager *, const char *, unsigned, GError **), sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        const char *xml;
        uint32_t flags;
        Network *n;
        int r;

        r = vmmd_bus_read_text_and_flags(msg, method, "xml", NETWORK_DEFINE_VALIDATE, &xml, &flags, error);
        if (r < 0)
                return r;
        n = fn(m, xml, flags, &gerr);
        if (!n)
                return vmmd_error_to_bus(gerr, error);
        return reply_network_path(msg, n);
}

static int method_define_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return define_or_create(msg, userdata, "NetworkDefineXML", net_manager_define_xml, error);
}

/* The reply to a start, stop, update or create waits for the helper programs (nft, dnsmasq) it runs. */
static void on_network_done(Network *n, const GError *error, void *userdata) {
        (void) vmmd_pending_reply_finish(userdata, error);
}

static void on_created(Network *n, const GError *error, void *userdata) {
        VmmdPendingReply *reply = userdata;

        if (!error)
                vmmd_pending_reply_set_path(reply, network_bus_path(n));
        (void) vmmd_pending_reply_finish(reply, error);
}

static int method_create_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *xml;
        uint32_t flags;
        int r;

        r = vmmd_bus_read_text_and_flags(msg, "NetworkCreateXML", "xml", NETWORK_CREATE_VALIDATE, &xml, &flags, error);
        if (r < 0)
                return r;
        net_manager_create_xml(userdata, xml, flags, on_created, vmmd_pending_reply_new(msg));
        return 1;
}

static int method_list(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GPtrArray) list = NULL;
        uint32_t flags;
        int r;

        r = vmmd_bus_read_flags(msg, "ListNetworks", NETWORK_LIST_ALL_BITS, false, 0, &flags, error);
        if (r < 0)
                return r;
        list = net_manager_list(userdata, flags);
        return vmmd_bus_reply_objects(msg, list, (VmmdBusPathFunc) network_bus_path);
}

static int method_lookup_by_name(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *name;
        Network *n;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        n = net_manager_find_by_name(userdata, name);
        if (!n)
                return vmmd_bus_error_setf(error, VMMD_ERROR_NO_NETWORK, "no network with matching name '%s'", name);
        return reply_network_path(msg, n);
}

static int method_lookup_by_uuid(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *s;
        char uuid[37];
        Network *n;
        int r;

        r = sd_bus_message_read(msg, "s", &s);
        if (r < 0)
                return r;
        if (!vmmd_uuid_parse(s, uuid))
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG, "NetworkLookupByUUID: malformed uuid '%s'",
                                           s);
        n = net_manager_find_by_uuid(userdata, uuid);
        if (!n)
                return vmmd_bus_error_setf(error, VMMD_ERROR_NO_NETWORK, "no network with matching uuid '%s'", uuid);
        return reply_network_path(msg, n);
}

static int property_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", VMMD_VERSION);
}

#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED
#define EMITS SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("ListNetworks", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("ao", networks), method_list,
                                UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("NetworkLookupByName", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", network),
                                method_lookup_by_name, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("NetworkLookupByUUID", SD_BUS_ARGS("s", uuid), SD_BUS_RESULT("o", network),
                                method_lookup_by_uuid, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("NetworkDefineXML", SD_BUS_ARGS("s", xml, "u", flags), SD_BUS_RESULT("o", network),
                                method_define_xml, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("NetworkCreateXML", SD_BUS_ARGS("s", xml, "u", flags), SD_BUS_RESULT("o", network),
                                method_create_xml, UNPRIV),
        SD_BUS_SIGNAL_WITH_ARGS("NetworkEvent", SD_BUS_ARGS("o", network, "i", event, "i", detail), 0),
        SD_BUS_VTABLE_END,
};

/* --- network objects --- */

static char *port_path(const Network *n, const NetworkPortDef *port);

/* spec: an unknown network has no object; calls on its path get the bus's UnknownObject */
static int network_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                               void **ret_found, sd_bus_error *error) {
        g_autofree char *uuid = vmmd_bus_path_decode(path, NETWORK_PREFIX);

        if (!uuid || !net_manager_find_by_uuid(userdata, uuid))
                return 0;
        *ret_found = userdata;
        return 1;
}

static void network_nodes(void *userdata, GPtrArray *paths) {
        NetManager *m = userdata;
        GHashTableIter it, pit;
        NetworkPortDef *port;
        Network *n;

        g_hash_table_iter_init(&it, m->networks);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &n)) {
                g_ptr_array_add(paths, network_bus_path(n));
                g_hash_table_iter_init(&pit, n->ports);
                while (g_hash_table_iter_next(&pit, NULL, (gpointer *) &port))
                        g_ptr_array_add(paths, port_path(n, port));
        }
}

#define NETWORK_PROPERTY(fn, body) VMMD_BUS_DEFINE_PROPERTY(fn, Network, network_from_path, Network *n = obj; body)

NETWORK_PROPERTY(property_name, return sd_bus_message_append(reply, "s", network_name(n));)
NETWORK_PROPERTY(property_uuid, return sd_bus_message_append(reply, "s", n->def->uuid);)
NETWORK_PROPERTY(property_active, return sd_bus_message_append(reply, "b", n->active);)
NETWORK_PROPERTY(property_persistent, return sd_bus_message_append(reply, "b", n->persistent);)
NETWORK_PROPERTY(property_autostart, return sd_bus_message_append(reply, "b", n->autostart);)
NETWORK_PROPERTY(property_bridge_name, return sd_bus_message_append(reply, "s", network_bridge(n));)
NETWORK_PROPERTY(property_forward_mode,
                 return sd_bus_message_append(reply, "s", network_forward_mode_to_string(n->def->forward));)

static int property_set_autostart(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *value, void *userdata, sd_bus_error *error) {
        return vmmd_bus_set_bool_property(bus, path, property, value, userdata, (VmmdBusLookupFunc) network_from_path,
                                          (VmmdBusSetBoolFunc) network_set_autostart, error);
}

typedef bool (*NetworkFunc)(Network *n, GError **error);
typedef void (*NetworkAsyncFunc)(Network *n, NetworkDoneFunc done, void *userdata);

/* privilege → lookup: the network, or NULL with error set */
static Network *begin_network_method(sd_bus_message *msg, NetManager *m, const char *method, sd_bus_error *error,
                                     int *ret) {
        uint32_t flags;
        Network *n;

        *ret = vmmd_bus_begin_privileged(msg, method, false, 0, &flags, error);
        if (*ret < 0)
                return NULL;
        n = network_from_message(m, msg, error);
        if (!n)
                *ret = -ENOENT;
        return n;
}

/* … → the model → an empty reply */
static int run_network_method(sd_bus_message *msg, NetManager *m, const char *method, NetworkFunc fn,
                              sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        Network *n;
        int r;

        n = begin_network_method(msg, m, method, error, &r);
        if (!n)
                return r;
        if (!fn(n, &gerr))
                return vmmd_error_to_bus(gerr, error);
        return sd_bus_reply_method_return(msg, NULL);
}

/* … → the model, whose work ends later → an empty reply then */
static int run_network_job(sd_bus_message *msg, NetManager *m, const char *method, NetworkAsyncFunc fn,
                           sd_bus_error *error) {
        Network *n;
        int r;

        n = begin_network_method(msg, m, method, error, &r);
        if (!n)
                return r;
        fn(n, on_network_done, vmmd_pending_reply_new(msg));
        return 1;
}

static int method_create(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return run_network_job(msg, userdata, "Create", network_start, error);
}

static int method_destroy(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return run_network_job(msg, userdata, "Destroy", network_destroy, error);
}

static int method_undefine(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return run_network_method(msg, userdata, "Undefine", network_undefine, error);
}

static int method_get_xml_desc(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autofree char *xml = NULL;
        uint32_t flags;
        Network *n;
        int r;

        r = vmmd_bus_read_flags(msg, "GetXMLDesc", NETWORK_XML_INACTIVE, false, 0, &flags, error);
        if (r < 0)
                return r;
        n = network_from_message(userdata, msg, error);
        if (!n)
                return -ENOENT;
        xml = network_get_xml(n, flags);
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int method_get_bridge_name(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Network *n = network_from_message(userdata, msg, error);

        if (!n)
                return -ENOENT;
        if (!n->def->bridge)
                return vmmd_bus_error_setf(error, VMMD_ERROR_INTERNAL_ERROR, "network '%s' does not have a bridge name.",
                                           network_name(n));
        return sd_bus_reply_method_return(msg, "s", n->def->bridge);
}

/* L2: the leases the helper keeps in BRIDGE.status, unexpired, of one MAC or all. */
static int method_get_dhcp_leases(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        NetManager *m = userdata;
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(GPtrArray) leases = NULL;
        g_autofree char *file = NULL;
        const char *mac;
        char want[18] = "";
        uint32_t flags;
        gint64 now = g_get_real_time() / G_USEC_PER_SEC;
        Network *n;
        int r;

        r = sd_bus_message_read(msg, "s", &mac);
        if (r < 0)
                return r;
        r = vmmd_bus_read_flags(msg, "GetDHCPLeases", 0, false, 0, &flags, error);
        if (r < 0)
                return r;
        if (*mac && !network_mac_parse(mac, want))
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG, "GetDHCPLeases: malformed MAC '%s'", mac);
        n = network_from_message(m, msg, error);
        if (!n)
                return -ENOENT;
        if (n->def->bridge) {
                g_autofree char *base = g_strconcat(n->def->bridge, ".status", NULL);
                file = g_build_filename(m->paths->state_dir, "dnsmasq", base, NULL);
                leases = vmmd_leases_read(file);
        } else
                leases = g_ptr_array_new_with_free_func((GDestroyNotify) vmmd_lease_free);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sxisssuss)");
        for (guint i = 0; r >= 0 && i < leases->len; i++) {
                const VmmdLease *l = leases->pdata[i];
                bool v6 = strchr(l->ip, ':') != NULL;
                const NetworkIpDef *ip = network_def_get_ip(n->def, v6 ? AF_INET6 : AF_INET);

                if (l->expiry > 0 && l->expiry < now)
                        continue;
                if (*want && g_ascii_strcasecmp(want, l->mac) != 0)
                        continue;
                r = sd_bus_message_append(reply, "(sxisssuss)", n->def->bridge, (int64_t) l->expiry,
                                          (int32_t) (v6 ? NETWORK_IP_ADDR_TYPE_IPV6 : NETWORK_IP_ADDR_TYPE_IPV4),
                                          l->mac, l->iaid, l->ip, (uint32_t) (ip ? ip->prefix : 0), l->hostname,
                                          l->client_id);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_update(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t command, section, flags, unused;
        int32_t parent_index;
        const char *xml;
        Network *n;
        int r;

        r = vmmd_bus_begin_privileged(msg, "Update", false, 0, &unused, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "uuisu", &command, &section, &parent_index, &xml, &flags);
        if (r < 0)
                return r;
        r = vmmd_bus_check_flags("Update", flags, NETWORK_UPDATE_AFFECT_LIVE | NETWORK_UPDATE_AFFECT_CONFIG, error);
        if (r < 0)
                return r;
        n = network_from_message(userdata, msg, error);
        if (!n)
                return -ENOENT;
        network_update(n, command, section, parent_index, xml, flags, on_network_done, vmmd_pending_reply_new(msg));
        return 1;
}

/* --- ports --- */

/* Port paths carry their network: the port object needs no table of its own. */
typedef struct {
        Network *network;
        NetworkPortDef *port;
} PortRef;

static char *port_path(const Network *n, const NetworkPortDef *port) {
        g_autofree char *parent = network_bus_path(n);
        return vmmd_bus_path_encode_child(parent, NETWORK_PORT_ELEMENT, port->uuid);
}

static bool port_from_path(NetManager *m, const char *path, PortRef *ret, sd_bus_error *error) {
        g_autofree char *net_uuid = NULL, *port_uuid = NULL;

        ret->network = NULL;
        ret->port = NULL;
        if (vmmd_bus_path_decode_child(path, NETWORK_PREFIX, NETWORK_PORT_ELEMENT, &net_uuid, &port_uuid) &&
            (ret->network = net_manager_find_by_uuid(m, net_uuid)) && !ret->network->active) {
                if (error)
                        vmmd_bus_error_setf(error, VMMD_ERROR_OPERATION_INVALID, "network '%s' is not active",
                                            network_name(ret->network));
                return false;
        }
        if (!net_uuid || !ret->network || !(ret->port = network_find_port(ret->network, port_uuid))) {
                if (error)
                        vmmd_bus_error_setf(error, VMMD_ERROR_NO_NETWORK_PORT, "no network port at '%s'", path);
                return false;
        }
        return true;
}

/* N26: the port calls of an inactive network are OperationInvalid */
static Network *active_network(NetManager *m, sd_bus_message *msg, sd_bus_error *error) {
        Network *n = network_from_message(m, msg, error);

        if (n && !n->active) {
                vmmd_bus_error_setf(error, VMMD_ERROR_OPERATION_INVALID, "network '%s' is not active", network_name(n));
                return NULL;
        }
        return n;
}

static int method_create_port(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        g_autofree char *path = NULL;
        const char *xml;
        uint32_t flags;
        NetworkPortDef *port;
        Network *n;
        int r;

        r = vmmd_bus_read_text_and_flags(msg, "CreatePort", "xml",
                                         NETWORK_PORT_CREATE_RECLAIM | NETWORK_PORT_CREATE_VALIDATE, &xml, &flags,
                                         error);
        if (r < 0)
                return r;
        n = network_from_message(userdata, msg, error);
        if (!n)
                return -ENOENT;
        port = network_create_port(n, xml, flags, &gerr);
        if (!port)
                return vmmd_error_to_bus(gerr, error);
        /* a test build may lose the reply (test-fault.h): the caller times out, yet the port exists */
        if (vmmd_test_fault("CreatePort-no-reply"))
                return 1;
        path = port_path(n, port);
        return sd_bus_reply_method_return(msg, "o", path);
}

static int method_list_ports(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GPtrArray) list = NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        uint32_t flags;
        Network *n;
        int r;

        r = vmmd_bus_read_flags(msg, "ListPorts", 0, false, 0, &flags, error);
        if (r < 0)
                return r;
        n = active_network(userdata, msg, error);
        if (!n)
                return -ENOENT;
        list = network_list_ports(n);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "o");
        for (guint i = 0; r >= 0 && i < list->len; i++) {
                g_autofree char *path = port_path(n, list->pdata[i]);
                r = sd_bus_message_append(reply, "o", path);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_lookup_port(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autofree char *path = NULL;
        const char *s;
        char uuid[37];
        NetworkPortDef *port;
        Network *n;
        int r;

        r = sd_bus_message_read(msg, "s", &s);
        if (r < 0)
                return r;
        n = active_network(userdata, msg, error);
        if (!n)
                return -ENOENT;
        if (!vmmd_uuid_parse(s, uuid))
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG, "LookupPortByUUID: malformed uuid '%s'", s);
        port = network_find_port(n, uuid);
        if (!port)
                return vmmd_bus_error_setf(error, VMMD_ERROR_NO_NETWORK_PORT, "no network port with matching uuid '%s'",
                                           uuid);
        path = port_path(n, port);
        return sd_bus_reply_method_return(msg, "o", path);
}

static int port_method_get_xml_desc(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autofree char *xml = NULL;
        uint32_t flags;
        PortRef ref;
        int r;

        r = vmmd_bus_read_flags(msg, "GetXMLDesc", 0, false, 0, &flags, error);
        if (r < 0)
                return r;
        if (!port_from_path(userdata, sd_bus_message_get_path(msg), &ref, error))
                return -ENOENT;
        xml = network_port_def_format(ref.port);
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int port_method_delete(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        uint32_t flags;
        PortRef ref;
        int r;

        r = vmmd_bus_begin_privileged(msg, "Delete", true, 0, &flags, error);
        if (r < 0)
                return r;
        if (!port_from_path(userdata, sd_bus_message_get_path(msg), &ref, error))
                return -ENOENT;
        if (!network_delete_port(ref.network, ref.port, &gerr))
                return vmmd_error_to_bus(gerr, error);
        return sd_bus_reply_method_return(msg, NULL);
}

static int port_method_parameters(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        PortRef ref;

        if (!port_from_path(userdata, sd_bus_message_get_path(msg), &ref, error))
                return -ENOENT;
        return vmmd_bus_error_setf(error, VMMD_ERROR_NO_SUPPORT, "port bandwidth parameters are not implemented yet");
}

#define PORT_PROPERTY(fn, body)                                                                          \
        static int fn(sd_bus *bus, const char *path, const char *interface, const char *property,        \
                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {                      \
                PortRef ref;                                                                             \
                if (!port_from_path(userdata, path, &ref, error))                                        \
                        return -ENOENT;                                                                  \
                body                                                                                     \
        }

PORT_PROPERTY(port_property_uuid, return sd_bus_message_append(reply, "s", ref.port->uuid);)
PORT_PROPERTY(port_property_owner_name, return sd_bus_message_append(reply, "s", ref.port->owner_name);)
PORT_PROPERTY(port_property_owner_uuid, return sd_bus_message_append(reply, "s", ref.port->owner_uuid);)
PORT_PROPERTY(port_property_mac, return sd_bus_message_append(reply, "s", ref.port->mac);)
PORT_PROPERTY(port_property_network, g_autofree char *p = network_bus_path(ref.network);
              return sd_bus_message_append(reply, "o", p);)

static int port_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **ret_found,
                            sd_bus_error *error) {
        PortRef ref;

        if (!port_from_path(userdata, path, &ref, NULL))
                return 0;
        *ret_found = userdata;
        return 1;
}

static const sd_bus_vtable port_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("UUID", "s", port_property_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Network", "o", port_property_network, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("OwnerName", "s", port_property_owner_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("OwnerUUID", "s", port_property_owner_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("MAC", "s", port_property_mac, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml),
                                port_method_get_xml_desc, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Delete", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT, port_method_delete, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("GetParameters", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("a{sv}", params),
                                port_method_parameters, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("SetParameters", SD_BUS_ARGS("a{sv}", params, "u", flags), SD_BUS_NO_RESULT,
                                port_method_parameters, UNPRIV),
        SD_BUS_VTABLE_END,
};

static const sd_bus_vtable network_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_name, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("UUID", "s", property_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Active", "b", property_active, 0, EMITS),
        SD_BUS_PROPERTY("Persistent", "b", property_persistent, 0, EMITS),
        SD_BUS_WRITABLE_PROPERTY("Autostart", "b", property_autostart, property_set_autostart, 0, EMITS | UNPRIV),
        SD_BUS_PROPERTY("BridgeName", "s", property_bridge_name, 0, EMITS),
        SD_BUS_PROPERTY("ForwardMode", "s", property_forward_mode, 0, EMITS),
        SD_BUS_METHOD_WITH_ARGS("Create", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_create, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Destroy", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_destroy, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Undefine", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_undefine, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml), method_get_xml_desc,
                                UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("GetBridgeName", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", bridge), method_get_bridge_name,
                                UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("Update", SD_BUS_ARGS("u", command, "u", section, "i", parentIndex, "s", xml, "u",
                                                      flags), SD_BUS_NO_RESULT, method_update, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("GetDHCPLeases", SD_BUS_ARGS("s", mac, "u", flags),
                                SD_BUS_RESULT("a(sxisssuss)", leases), method_get_dhcp_leases, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("CreatePort", SD_BUS_ARGS("s", xml, "u", flags), SD_BUS_RESULT("o", port),
                                method_create_port, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("ListPorts", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("ao", ports), method_list_ports,
                                UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("LookupPortByUUID", SD_BUS_ARGS("s", uuid), SD_BUS_RESULT("o", port),
                                method_lookup_port, UNPRIV),
        SD_BUS_VTABLE_END,
};

/* --- the model's listener: changes become signals --- */

static const struct {
        unsigned bit;
        const char *property;
} change_properties[] = {
        { NETWORK_CHANGED_ACTIVE, "Active" },
        { NETWORK_CHANGED_PERSISTENT, "Persistent" },
        { NETWORK_CHANGED_AUTOSTART, "Autostart" },
        { NETWORK_CHANGED_BRIDGE, "BridgeName" },
};

static void on_added(void *userdata, Network *n) {
        g_autofree char *path = network_bus_path(n);
        (void) sd_bus_emit_object_added(userdata, path);
}

static void on_removed(void *userdata, Network *n) {
        g_autofree char *path = network_bus_path(n);
        (void) sd_bus_emit_object_removed(userdata, path);
}

static void on_event(void *userdata, Network *n, int event) {
        g_autofree char *path = network_bus_path(n);
        (void) sd_bus_emit_signal(userdata, NETWORK_MANAGER_PATH, NETWORK_MANAGER_INTERFACE, "NetworkEvent", "oii",
                                  path, event, 0);
}

static void on_changed(void *userdata, Network *n, unsigned changes) {
        g_autofree char *path = network_bus_path(n);
        const char *names[G_N_ELEMENTS(change_properties) + 1];
        size_t k = 0;

        for (size_t i = 0; i < G_N_ELEMENTS(change_properties); i++)
                if (changes & change_properties[i].bit)
                        names[k++] = change_properties[i].property;
        names[k] = NULL;
        if (k > 0)
                (void) sd_bus_emit_properties_changed_strv(userdata, path, NETWORK_INTERFACE, (char **) names);
}

static void on_port_added(void *userdata, Network *n, NetworkPortDef *port) {
        g_autofree char *path = port_path(n, port);
        (void) sd_bus_emit_object_added(userdata, path);
}

static void on_port_removed(void *userdata, Network *n, NetworkPortDef *port) {
        g_autofree char *path = port_path(n, port);
        (void) sd_bus_emit_object_removed(userdata, path);
}

static const NetworkListener bus_listener = {
        .port_added = on_port_added,
        .port_removed = on_port_removed,
        .added = on_added,
        .removed = on_removed,
        .event = on_event,
        .changed = on_changed,
};

int network_bus_register(NetManager *m, sd_bus *bus) {
        int r;

        r = sd_bus_add_object_vtable(bus, NULL, NETWORK_MANAGER_PATH, NETWORK_MANAGER_INTERFACE, manager_vtable, m);
        if (r < 0)
                return r;
        r = sd_bus_add_object_manager(bus, NULL, NETWORK_MANAGER_PATH);
        if (r < 0)
                return r;
        r = sd_bus_add_fallback_vtable(bus, NULL, NETWORK_PREFIX, NETWORK_INTERFACE, network_vtable,
                                       network_object_find, m);
        if (r < 0)
                return r;
        r = sd_bus_add_fallback_vtable(bus, NULL, NETWORK_PREFIX, NETWORK_PORT_INTERFACE, port_vtable,
                                       port_object_find, m);
        if (r < 0)
                return r;
        r = vmmd_bus_add_node_enumerator(bus, NETWORK_PREFIX, network_nodes, m);
        if (r < 0)
                return r;
        /* from here on the model's changes are signals; what loading found was not announced */
        net_manager_set_listener(m, &bus_listener, bus);
        return 0;
}
