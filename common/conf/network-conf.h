/* Virtual network and network port definitions: libvirt's <network> and <networkport> XML, parse/format/validate. */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* --- flags (libvirt's values, so the daemon passes the caller's bits through) --- */

typedef enum {
        NETWORK_DEF_PARSE_VALIDATE = 1 << 0,   /* VIR_NETWORK_DEFINE_VALIDATE: network.rng */
} NetworkDefParseFlags;

typedef enum {
        NETWORK_DEF_FORMAT_INACTIVE = 1 << 0,  /* VIR_NETWORK_XML_INACTIVE: no connections= */
} NetworkDefFormatFlags;

typedef enum {
        NETWORK_PORT_DEF_PARSE_VALIDATE = 1 << 1, /* VIR_NETWORK_PORT_CREATE_VALIDATE: networkport.rng */
} NetworkPortDefParseFlags;

/* forward/@mode; NONE is also "no <forward>". private/vepa/passthrough/hostdev are [later]. */
typedef enum {
        NETWORK_FORWARD_NONE = 0,
        NETWORK_FORWARD_NAT,
        NETWORK_FORWARD_ROUTE,
        NETWORK_FORWARD_OPEN,
        NETWORK_FORWARD_BRIDGE,
        _NETWORK_FORWARD_MAX,
} NetworkForwardMode;
const char *network_forward_mode_to_string(int mode);
int network_forward_mode_from_string(const char *s);

/* An IP address as parsed from the XML: family AF_INET or AF_INET6, bytes in network order
 * (IPv4 uses the first 4). */
typedef struct {
        int family;
        unsigned char bytes[16];
} NetworkAddr;

/* Parses a literal address; false when it is not one. */
bool network_addr_parse(const char *s, NetworkAddr *ret);

typedef struct {
        char *start;
        char *end;
        bool has_lease;          /* a <lease> was given; expiry 0 means infinite */
        unsigned lease_expiry;
        char *lease_unit;        /* "seconds", "minutes", "hours"; NULL when not given */
} NetworkDhcpRange;

typedef struct {
        char *mac;
        char *id;
        char *name;
        char *ip;
        bool has_lease;
        unsigned lease_expiry;
        char *lease_unit;
} NetworkDhcpHost;

typedef struct {
        char *family;            /* "ipv4", "ipv6" or NULL (then taken from the address) */
        char *address;
        char *netmask;           /* as given; NULL when prefix= was used */
        unsigned prefix;         /* effective prefix length (from netmask, prefix or the class default) */
        bool has_prefix;         /* prefix= was given */
        int local_ptr;           /* tristate yes/no */
        char *tftp_root;
        char *bootp_file;
        char *bootp_server;
        GPtrArray *ranges;       /* NetworkDhcpRange* */
        GPtrArray *hosts;        /* NetworkDhcpHost* */
        bool has_dhcp;           /* a <dhcp> element was present */
} NetworkIpDef;

typedef struct {
        char *family;
        char *address;
        char *netmask;
        unsigned prefix;
        bool has_prefix;
        char *gateway;
        unsigned metric;         /* 0: not given */
} NetworkRouteDef;

typedef struct {
        char *addr;
        char *domain;
} NetworkDnsForwarder;

typedef struct {
        char *ip;
        GStrv hostnames;
} NetworkDnsHost;

typedef struct NetworkDef {
        char *name;
        char uuid[37];
        char *title;
        char *description;
        int ipv6;                    /* root @ipv6, tristate */
        int trust_guest_rx_filters;  /* tristate */
        unsigned connections;        /* live XML only */

        NetworkForwardMode forward;
        bool has_forward;            /* a <forward> element was present */
        char *forward_dev;
        char *forward_interface;     /* forward/interface/@dev; at most one */
        char *nat_address_start;
        char *nat_address_end;
        unsigned nat_port_start;
        unsigned nat_port_end;
        int nat_ipv6;                /* tristate */

        char *bridge;                /* bridge/@name, may be a %d template before define */
        int stp;                     /* tristate on/off, absent means on */
        unsigned delay;
        bool has_delay;
        char *mac_table_manager;     /* "kernel" or NULL */

        unsigned mtu;                /* 0: not given */
        char *mac;                   /* lowercase */

        char *domain_name;
        int domain_local_only;       /* tristate */

        int dns_enable;              /* tristate */
        int dns_forward_plain_names; /* tristate */
        GPtrArray *dns_forwarders;   /* NetworkDnsForwarder* */
        GPtrArray *dns_hosts;        /* NetworkDnsHost* */

        GPtrArray *ips;              /* NetworkIpDef* */
        GPtrArray *routes;           /* NetworkRouteDef* */
} NetworkDef;

NetworkDef *network_def_new(void);
void network_def_free(NetworkDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NetworkDef, network_def_free)

/* Parses a whole <network> document. Errors (VMMD_ERROR domain), spec network N2/N3:
 *  XML_ERROR: not well formed, wrong root; a malformed uuid, mac (or a multicast one), mtu,
 *    delay, stp, ipv6 or other yes/no value; an unknown forward mode; nat/route/open without
 *    an <ip>; more than one forward interface; open with a forward dev; stp/delay/mtu on a
 *    bridge-mode network; bridge mode with both a bridge name and a forward dev; a bad ip
 *    address, netmask or prefix; a DHCP range without start or end, not inside the network,
 *    starting at the network address, ending at the broadcast address or ending before it
 *    starts; a DHCP host without ip, an IPv4 host without mac and name, an IPv6 host without
 *    id and name, a mac on an IPv6 host, a multicast host mac, a host name not starting with a
 *    letter or digit; a DNS host without ip or hostname;
 *  NO_NAME: no <name>;  XML_DETAIL: a name with '/' or a newline;
 *  CONFIG_UNSUPPORTED: bridge/@zone; macTableManager other than kernel; a lease under 2 minutes;
 *    bridge mode with <mac>, <ip>, DNS hosts or <domain>; two IPv4 or two IPv6 <ip> with DHCP;
 *  XML_INVALID_SCHEMA: with VALIDATE, the document breaks network.rng;
 *  INVALID_ARG: unknown flag bits.
 * A missing uuid is generated. The bridge name and MAC are left as given (the daemon picks them). */
NetworkDef *network_def_parse_string(const char *xml, unsigned flags, GError **error);

/* The XML; with NETWORK_DEF_FORMAT_INACTIVE no connections= attribute. */
char *network_def_format(const NetworkDef *def, unsigned flags);

/* A deep copy (format + parse cannot fail on our own output, but a copy is cheaper and exact). */
NetworkDef *network_def_copy(const NetworkDef *def);

/* The first IPv4 (family AF_INET) or IPv6 <ip>, or NULL. */
const NetworkIpDef *network_def_get_ip(const NetworkDef *def, int family);

/* --- update (spec §6) --- */

/* What a live update asks of the running network's dnsmasq. */
typedef enum {
        NETWORK_UPDATE_EFFECT_NONE = 0,
        NETWORK_UPDATE_EFFECT_HOSTS,     /* hosts files rewritten, then SIGHUP: same pid */
        NETWORK_UPDATE_EFFECT_RESTART,   /* a new dnsmasq (ranges, DHCP on or off) */
} NetworkUpdateEffect;

/* Applies one Network.Update (command NETWORK_UPDATE_*, section NETWORK_SECTION_*) to def, which the caller
 * owns (a copy: on error def may be half changed and must be thrown away). Built: IP_DHCP_HOST, IP_DHCP_RANGE
 * and DNS_HOST. Errors (U2–U6): OPERATION_UNSUPPORTED for a bad command, a section that cannot be updated
 * (bridge, domain, ip, forward, forward PF, unknown) or a range MODIFY; NO_SUPPORT for a section vmmd does not
 * update yet (forward interface, portgroup, DNS TXT and SRV), naming it; XML_ERROR when xml is not the
 * section's element or is not valid; OPERATION_INVALID for no such <ip>, a family mismatch, a duplicate add,
 * a delete or modify that matches nothing (or, for DNS hosts, more than one). */
bool network_def_update(NetworkDef *def, unsigned command, unsigned section, int parent_index, const char *xml,
                        NetworkUpdateEffect *ret_effect, GError **error);

/* --- ports --- */

typedef struct NetworkPortDef {
        char uuid[37];
        char *owner_name;
        char owner_uuid[37];
        char *mac;
        char *plug_type;         /* "network" or "bridge"; NULL when not plugged yet */
        char *plug_bridge;
        char *plug_mac_table_manager;
} NetworkPortDef;

NetworkPortDef *network_port_def_new(void);
void network_port_def_free(NetworkPortDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NetworkPortDef, network_port_def_free)

/* Parses a <networkport>. XML_ERROR: not well formed, wrong root, a malformed uuid, no owner
 * or an owner without name or a malformed uuid, no mac or a malformed one, an unknown plug type
 * or a plug without bridge; XML_INVALID_SCHEMA with VALIDATE; INVALID_ARG: unknown flag bits.
 * A missing uuid is generated. */
NetworkPortDef *network_port_def_parse_string(const char *xml, unsigned flags, GError **error);
char *network_port_def_format(const NetworkPortDef *def);

/* A MAC in the six-colon-separated-hex-octets form, written lowercase into out[18]. */
bool network_mac_parse(const char *s, char out[18]);
