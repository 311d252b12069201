/* Virtual network and network port procedures: forwarded to vmmd-network (org.vmmd.network1). */
#include <errno.h>
#include <string.h>

#include "bus-object.h"
#include "cleanup.h"
#include "dispatch-names.h"
#include "dispatch.h"
#include "log.h"
#include "procedures.h"

/* Every network argument struct starts with the network. */
#define ARG_NETWORK(c) ((const vr_network *) (c)->args)

static char *network_path(const vr_network *n) {
        return uuid_path(DISPATCH_NETWORK_PREFIX, n->uuid);
}

static bool fill_network(void *wire, const Props *p) {
        vr_network *n = wire;

        if (!p->name || !uuid_parse(p->uuid, n->uuid))
                return false;
        n->name = g_strdup(p->name);
        return true;
}

/* ---------- the manager: lookups, define, create ---------- */

static const ObjectKind network_kind = { DISPATCH_NETWORK_BUS, DISPATCH_NETWORK, fill_network };

static void h_manager_network(Call *c) {
        const char *q = DISPATCH_NETWORK_BUS, *p = DISPATCH_NETWORK_PATH, *i = DISPATCH_NETWORK_MANAGER;
        const char *m = c->proc->member;

        c->kind = &network_kind;
        switch (c->proc->proc) {
        case VR_PROC_NETWORK_LOOKUP_BY_UUID: {
                char u[37];

                uuid_format(((vr_uuid_args *) c->args)->uuid, u);
                call_bus(c, step_object_path, q, p, i, m, "s", u);
                break;
        }
        case VR_PROC_NETWORK_LOOKUP_BY_NAME:
                call_bus(c, step_object_path, q, p, i, m, "s", ((vr_string *) c->args)->value);
                break;
        case VR_PROC_NETWORK_DEFINE_XML_FLAGS:
        case VR_PROC_NETWORK_CREATE_XML_FLAGS:
                call_bus(c, step_object_path, q, p, i, m, "su", ((vr_xml_flags *) c->args)->xml,
                         ((vr_xml_flags *) c->args)->flags);
                break;
        default:
                /* the older define and create: the XML alone, no flags on the wire */
                call_bus(c, step_object_path, q, p, i, m, "su", ((vr_string *) c->args)->value, 0);
        }
}

/* ---------- lists ---------- */

static char *pick_name(const Props *p) {
        return p->name;
}

static void step_networks_objects(Call *c, sd_bus_message *reply) {
        int r;
        GHashTable *found = read_objects(reply, DISPATCH_NETWORK, &r);

        if (r < 0) {
                objects_free(found);
                fail_reply(c, r);
                return;
        }
        if (c->proc->proc == VR_PROC_CONNECT_LIST_ALL_NETWORKS) {
                vr_network_list *l = c->ret;

                fill_object_list(c, found, &l->nets.nets_val, &l->nets.nets_len, sizeof(vr_network));
                l->count = l->nets.nets_len;
        } else {
                /* the old calls: names, at most as many as the caller has room for */
                fill_name_list(c, found, c->ret, MIN(((vr_int *) c->args)->value, (int) VR_NETWORK_LIST_MAX), pick_name);
        }
        objects_free(found);
        call_reply(c);
}

static void step_networks_paths(Call *c, sd_bus_message *reply) {
        if (!read_paths(c, reply))
                return;
        switch (c->proc->proc) {
        case VR_PROC_CONNECT_NUM_OF_NETWORKS:
        case VR_PROC_CONNECT_NUM_OF_DEFINED_NETWORKS:
                ((vr_int *) c->ret)->value = g_strv_length(c->paths);
                call_reply(c);
                return;
        case VR_PROC_CONNECT_LIST_ALL_NETWORKS:
                if (!((vr_list_args *) c->args)->need_results) {
                        ((vr_network_list *) c->ret)->count = g_strv_length(c->paths);
                        call_reply(c);
                        return;
                }
                break;
        }
        call_bus(c, step_networks_objects, DISPATCH_NETWORK_BUS, DISPATCH_NETWORK_PATH, OBJMGR, "GetManagedObjects",
                 NULL);
}

static void h_list_networks(Call *c) {
        uint32_t flags;

        switch (c->proc->proc) {
        case VR_PROC_CONNECT_LIST_ALL_NETWORKS:
                flags = ((vr_list_args *) c->args)->flags;
                break;
        case VR_PROC_CONNECT_LIST_NETWORKS:
        case VR_PROC_CONNECT_NUM_OF_NETWORKS:
                flags = NETWORK_LIST_ACTIVE;
                break;
        default:
                flags = NETWORK_LIST_INACTIVE;
        }
        c->kind = &network_kind;
        call_bus(c, step_networks_paths, DISPATCH_NETWORK_BUS, DISPATCH_NETWORK_PATH, DISPATCH_NETWORK_MANAGER,
                 "ListNetworks", "u", flags);
}

/* ---------- one network ---------- */

/* Methods of a network object; proc->arg says whether flags go along. */
static void h_network(Call *c) {
        g_autofree char *path = network_path(ARG_NETWORK(c));
        CallStep next = c->proc->ret_proc == (xdrproc_t) xdr_vr_string ? step_string : step_void;

        if (c->proc->arg == ARG_FLAGS)
                call_bus(c, next, DISPATCH_NETWORK_BUS, path, DISPATCH_NETWORK, c->proc->member, "u",
                         ((vr_net_flags *) c->args)->flags);
        else
                call_bus(c, next, DISPATCH_NETWORK_BUS, path, DISPATCH_NETWORK, c->proc->member, NULL);
}

static void h_network_update(Call *c) {
        vr_net_update_args *a = c->args;
        g_autofree char *path = network_path(&a->net);

        call_bus(c, step_void, DISPATCH_NETWORK_BUS, path, DISPATCH_NETWORK, "Update", "uuisu", a->command, a->section,
                 a->parent_index, a->xml, a->flags);
}

static void h_network_prop(Call *c) {
        g_autofree char *path = network_path(ARG_NETWORK(c));

        call_bus(c, step_bool_prop, DISPATCH_NETWORK_BUS, path, PROPS, "Get", "ss", DISPATCH_NETWORK, c->proc->member);
}

static void h_network_set_autostart(Call *c) {
        vr_net_int *a = c->args;
        g_autofree char *path = network_path(&a->net);

        call_bus(c, step_void, DISPATCH_NETWORK_BUS, path, PROPS, "Set", "ssv", DISPATCH_NETWORK, "Autostart", "b",
                 a->value != 0);
}

static vr_optstr opt_str(const char *s) {
        vr_optstr o;

        if (!*s)
                return NULL;
        o = g_new(char *, 1);
        *o = g_strdup(s);
        return o;
}

/* a(sxisssuss): interface, expiry, type, MAC, IAID, address, prefix, hostname, client id */
static void step_dhcp_leases(Call *c, sd_bus_message *reply) {
        vr_dhcp_leases_ret *ret = c->ret;
        GArray *leases = g_array_new(FALSE, TRUE, sizeof(vr_dhcp_lease));
        const char *iface, *mac, *iaid, *ip, *host, *client;
        int64_t expiry;
        int32_t type;
        uint32_t prefix;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(sxisssuss)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(sxisssuss)", &iface, &expiry, &type, &mac, &iaid, &ip,
                                                 &prefix, &host, &client)) > 0) {
                /* libvirt leaves out what dnsmasq did not know: an absent string, not an empty one */
                vr_dhcp_lease l = {
                        .iface = g_strdup(iface), .expiry_time = expiry, .type = type, .mac = opt_str(mac),
                        .iaid = opt_str(iaid), .ipaddr = g_strdup(ip), .prefix = prefix, .hostname = opt_str(host),
                        .client_id = opt_str(client),
                };

                g_array_append_val(leases, l);
        }
        ret->count = leases->len;
        /* need_results 0 asks how many there are */
        if (!((vr_dhcp_leases_args *) c->args)->need_results) {
                for (guint i = 0; i < leases->len; i++)
                        xdr_free((xdrproc_t) xdr_vr_dhcp_lease, (char *) &g_array_index(leases, vr_dhcp_lease, i));
                g_array_set_size(leases, 0);
        }
        ret->leases.leases_len = leases->len;
        ret->leases.leases_val = (vr_dhcp_lease *) g_array_free(leases, FALSE);
        if (r < 0)
                fail_reply(c, r);
        else
                call_reply(c);
}

static void h_network_dhcp_leases(Call *c) {
        vr_dhcp_leases_args *a = c->args;
        g_autofree char *path = network_path(&a->net);

        call_bus(c, step_dhcp_leases, DISPATCH_NETWORK_BUS, path, DISPATCH_NETWORK, "GetDHCPLeases", "su",
                 a->mac ? *a->mac : "", a->flags);
}

/* ---------- ports: <network path>/port/<port uuid> ---------- */

static char *port_path(const vr_network_port *p) {
        g_autofree char *net = network_path(&p->net);
        char u[37];

        uuid_format(p->uuid, u);
        return vmmd_bus_path_encode_child(net, NETWORK_PORT_ELEMENT, u);
}

/* A port on the wire is its network and its UUID, the last element of its object path. */
static bool fill_port(vr_network_port *port, const vr_network *net, const char *path) {
        g_autofree char *net_uuid = NULL, *port_uuid = NULL;

        if (!vmmd_bus_path_decode_child(path, DISPATCH_NETWORK_PREFIX, NETWORK_PORT_ELEMENT, &net_uuid, &port_uuid) ||
            !uuid_parse(port_uuid, port->uuid))
                return false;
        port->net.name = g_strdup(net->name);
        memcpy(port->net.uuid, net->uuid, 16);
        return true;
}

/* Lookup and create answer the port's path; the network is the one the call named. */
static void step_port_path(Call *c, sd_bus_message *reply) {
        if (!read_path(c, reply))
                return;
        if (!fill_port(&((vr_port *) c->ret)->port, ARG_NETWORK(c), c->path))
                fail_reply(c, -EBADMSG);
        else
                call_reply(c);
}

static void step_ports(Call *c, sd_bus_message *reply) {
        vr_net_list_args *a = c->args;
        vr_port_list *l = c->ret;
        guint n;

        if (!read_paths(c, reply))
                return;
        n = g_strv_length(c->paths);
        l->count = n;
        if (a->need_results) {
                l->ports.ports_val = g_new0(vr_network_port, n);
                for (guint i = 0; i < n; i++)
                        if (fill_port(&l->ports.ports_val[l->ports.ports_len], &a->net, c->paths[i]))
                                l->ports.ports_len++;
                l->count = l->ports.ports_len;
        }
        call_reply(c);
}

static void h_network_ports(Call *c) {
        g_autofree char *path = network_path(ARG_NETWORK(c));
        const char *q = DISPATCH_NETWORK_BUS, *i = DISPATCH_NETWORK;

        switch (c->proc->proc) {
        case VR_PROC_NETWORK_LIST_ALL_PORTS:
                call_bus(c, step_ports, q, path, i, "ListPorts", "u", ((vr_net_list_args *) c->args)->flags);
                break;
        case VR_PROC_NETWORK_PORT_LOOKUP_BY_UUID: {
                char u[37];

                uuid_format(((vr_port_lookup_args *) c->args)->uuid, u);
                call_bus(c, step_port_path, q, path, i, "LookupPortByUUID", "s", u);
                break;
        }
        default: {
                vr_port_create_args *a = c->args;

                call_bus(c, step_port_path, q, path, i, "CreatePort", "su", a->xml, a->flags);
        }
        }
}

/* Methods of a port object: GetXMLDesc and Delete, both with flags. */
static void h_port(Call *c) {
        vr_port_flags *a = c->args;
        g_autofree char *path = port_path(&a->port);

        call_bus(c, c->proc->ret_proc ? step_string : step_void, DISPATCH_NETWORK_BUS, path, NETWORK_PORT_INTERFACE,
                 c->proc->member, "u", a->flags);
}

static const Procedure rows[] = {
        { VR_PROC_CONNECT_LIST_ALL_NETWORKS, "virConnectListAllNetworks", RO, X(vr_list_args), X(vr_network_list),
          h_list_networks, TARGET_NETWORK },
        { VR_PROC_CONNECT_LIST_NETWORKS, "virConnectListNetworks", RO, X(vr_int), X(vr_name_list), h_list_networks,
          TARGET_NETWORK },
        { VR_PROC_CONNECT_LIST_DEFINED_NETWORKS, "virConnectListDefinedNetworks", RO, X(vr_int), X(vr_name_list),
          h_list_networks, TARGET_NETWORK },
        { VR_PROC_CONNECT_NUM_OF_NETWORKS, "virConnectNumOfNetworks", RO, NOBODY, X(vr_int), h_list_networks,
          TARGET_NETWORK },
        { VR_PROC_CONNECT_NUM_OF_DEFINED_NETWORKS, "virConnectNumOfDefinedNetworks", RO, NOBODY, X(vr_int),
          h_list_networks, TARGET_NETWORK },
        { VR_PROC_NETWORK_LOOKUP_BY_NAME, "virNetworkLookupByName", RO, X(vr_string), X(vr_net), h_manager_network,
          TARGET_NETWORK, NULL, "NetworkLookupByName" },
        { VR_PROC_NETWORK_LOOKUP_BY_UUID, "virNetworkLookupByUUID", RO, X(vr_uuid_args), X(vr_net), h_manager_network,
          TARGET_NETWORK, NULL, "NetworkLookupByUUID" },
        { VR_PROC_NETWORK_DEFINE_XML, "virNetworkDefineXML", RW, X(vr_string), X(vr_net), h_manager_network,
          TARGET_NETWORK, NULL, "NetworkDefineXML" },
        { VR_PROC_NETWORK_CREATE_XML, "virNetworkCreateXML", RW, X(vr_string), X(vr_net), h_manager_network,
          TARGET_NETWORK, NULL, "NetworkCreateXML" },
        { VR_PROC_NETWORK_DEFINE_XML_FLAGS, "virNetworkDefineXMLFlags", RW, X(vr_xml_flags), X(vr_net),
          h_manager_network, TARGET_NETWORK, NULL, "NetworkDefineXML" },
        { VR_PROC_NETWORK_CREATE_XML_FLAGS, "virNetworkCreateXMLFlags", RW, X(vr_xml_flags), X(vr_net),
          h_manager_network, TARGET_NETWORK, NULL, "NetworkCreateXML" },
        { VR_PROC_NETWORK_UPDATE, "virNetworkUpdate", RW, X(vr_net_update_args), NOBODY, h_network_update,
          TARGET_NETWORK },
        { VR_PROC_NETWORK_CREATE, "virNetworkCreate", RW, X(vr_net), NOBODY, h_network, TARGET_NETWORK, NULL, "Create",
          ARG_NONE },
        { VR_PROC_NETWORK_DESTROY, "virNetworkDestroy", RW, X(vr_net), NOBODY, h_network, TARGET_NETWORK, NULL,
          "Destroy", ARG_NONE },
        { VR_PROC_NETWORK_UNDEFINE, "virNetworkUndefine", RW, X(vr_net), NOBODY, h_network, TARGET_NETWORK, NULL,
          "Undefine", ARG_NONE },
        { VR_PROC_NETWORK_GET_XML_DESC, "virNetworkGetXMLDesc", RO, X(vr_net_flags), X(vr_string), h_network,
          TARGET_NETWORK, NULL, "GetXMLDesc", ARG_FLAGS },
        { VR_PROC_NETWORK_GET_BRIDGE_NAME, "virNetworkGetBridgeName", RO, X(vr_net), X(vr_string), h_network,
          TARGET_NETWORK, NULL, "GetBridgeName", ARG_NONE },
        { VR_PROC_NETWORK_GET_AUTOSTART, "virNetworkGetAutostart", RO, X(vr_net), X(vr_int), h_network_prop,
          TARGET_NETWORK, NULL, "Autostart" },
        { VR_PROC_NETWORK_SET_AUTOSTART, "virNetworkSetAutostart", RW, X(vr_net_int), NOBODY, h_network_set_autostart,
          TARGET_NETWORK },
        { VR_PROC_NETWORK_IS_ACTIVE, "virNetworkIsActive", RO, X(vr_net), X(vr_int), h_network_prop, TARGET_NETWORK,
          NULL, "Active" },
        { VR_PROC_NETWORK_IS_PERSISTENT, "virNetworkIsPersistent", RO, X(vr_net), X(vr_int), h_network_prop,
          TARGET_NETWORK, NULL, "Persistent" },
        { VR_PROC_NETWORK_GET_DHCP_LEASES, "virNetworkGetDHCPLeases", RO, X(vr_dhcp_leases_args),
          X(vr_dhcp_leases_ret), h_network_dhcp_leases, TARGET_NETWORK },
        { VR_PROC_NETWORK_LIST_ALL_PORTS, "virNetworkListAllPorts", RO, X(vr_net_list_args), X(vr_port_list),
          h_network_ports, TARGET_NETWORK },
        { VR_PROC_NETWORK_PORT_LOOKUP_BY_UUID, "virNetworkPortLookupByUUID", RO, X(vr_port_lookup_args), X(vr_port),
          h_network_ports, TARGET_NETWORK },
        { VR_PROC_NETWORK_PORT_CREATE_XML, "virNetworkPortCreateXML", RW, X(vr_port_create_args), X(vr_port),
          h_network_ports, TARGET_NETWORK },
        { VR_PROC_NETWORK_PORT_GET_XML_DESC, "virNetworkPortGetXMLDesc", RO, X(vr_port_flags), X(vr_string), h_port,
          TARGET_NETWORK, NULL, "GetXMLDesc" },
        { VR_PROC_NETWORK_PORT_DELETE, "virNetworkPortDelete", RW, X(vr_port_flags), NOBODY, h_port, TARGET_NETWORK,
          NULL, "Delete" },
};

const ProcedureTable procedures_network = { rows, G_N_ELEMENTS(rows) };
