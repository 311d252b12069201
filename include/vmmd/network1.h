/* The wire contract of vmmd-network (org.vmmd.network1): bus name, paths, interfaces and libvirt's numbers for
 * flags and events. The daemon, vmmctl, vmmd-qemu's network client and the tests include this file. */
#pragma once

#include "error-names.h"

#define NETWORK_BUS_NAME "org.vmmd.network1"
#define NETWORK_MANAGER_PATH "/org/vmmd/network1"
#define NETWORK_MANAGER_INTERFACE "org.vmmd.network1.Manager"
#define NETWORK_PREFIX "/org/vmmd/network1/network"
#define NETWORK_INTERFACE "org.vmmd.network1.Network"
/* a port lives under its network: <network path>/port/<port uuid> */
#define NETWORK_PORT_ELEMENT "port"
#define NETWORK_PORT_INTERFACE "org.vmmd.network1.NetworkPort"

/* virNetworkEventLifecycleType (spec §2); detail is always 0 */
enum {
        NETWORK_EVENT_DEFINED = 0,
        NETWORK_EVENT_UNDEFINED = 1,
        NETWORK_EVENT_STARTED = 2,
        NETWORK_EVENT_STOPPED = 3,
};

/* virConnectListAllNetworksFlags */
enum {
        NETWORK_LIST_INACTIVE = 1,
        NETWORK_LIST_ACTIVE = 2,
        NETWORK_LIST_PERSISTENT = 4,
        NETWORK_LIST_TRANSIENT = 8,
        NETWORK_LIST_AUTOSTART = 16,
        NETWORK_LIST_NO_AUTOSTART = 32,
        NETWORK_LIST_ALL_BITS = 0x3f,
};

enum { NETWORK_DEFINE_VALIDATE = 1 };
enum { NETWORK_CREATE_VALIDATE = 1 };
enum { NETWORK_XML_INACTIVE = 1 };

/* virNetworkUpdateCommand / Section / flags (spec §6) */
enum {
        NETWORK_UPDATE_MODIFY = 1,
        NETWORK_UPDATE_DELETE = 2,
        NETWORK_UPDATE_ADD_LAST = 3,
        NETWORK_UPDATE_ADD_FIRST = 4,
};
enum {
        NETWORK_SECTION_NONE = 0,
        NETWORK_SECTION_BRIDGE = 1,
        NETWORK_SECTION_DOMAIN = 2,
        NETWORK_SECTION_IP = 3,
        NETWORK_SECTION_IP_DHCP_HOST = 4,
        NETWORK_SECTION_IP_DHCP_RANGE = 5,
        NETWORK_SECTION_FORWARD = 6,
        NETWORK_SECTION_FORWARD_INTERFACE = 7,
        NETWORK_SECTION_FORWARD_PF = 8,
        NETWORK_SECTION_PORTGROUP = 9,
        NETWORK_SECTION_DNS_HOST = 10,
        NETWORK_SECTION_DNS_TXT = 11,
        NETWORK_SECTION_DNS_SRV = 12,
};
enum {
        NETWORK_UPDATE_AFFECT_CURRENT = 0,
        NETWORK_UPDATE_AFFECT_LIVE = 1,
        NETWORK_UPDATE_AFFECT_CONFIG = 2,
};

enum {
        NETWORK_PORT_CREATE_RECLAIM = 1,
        NETWORK_PORT_CREATE_VALIDATE = 2,
};

/* GetDHCPLeases' address type */
enum { NETWORK_IP_ADDR_TYPE_IPV4 = 0, NETWORK_IP_ADDR_TYPE_IPV6 = 1 };
