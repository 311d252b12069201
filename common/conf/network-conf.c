/* Virtual network and network port definitions: parse, format and validate libvirt's <network> and <networkport> XML. */
#include "network-conf.h"
#include "uuid.h"
#include "xml-util.h"
#include "error.h"
#include "cleanup.h"
#include "vmmd/network1.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

VMMD_ENUM_IMPL(network_forward_mode, "none", "nat", "route", "open", "bridge")

/* libvirt's other forward modes: valid XML that vmmd does not build yet. */
static const char *const later_forward_modes[] = { "private", "vepa", "passthrough", "hostdev" };

#define XML_ERR(error, ...) g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, __VA_ARGS__)

/* --- addresses --- */

bool network_addr_parse(const char *s, NetworkAddr *ret) {
        memset(ret, 0, sizeof(*ret));
        if (!s)
                return false;
        if (inet_pton(AF_INET, s, ret->bytes) == 1) {
                ret->family = AF_INET;
                return true;
        }
        if (inet_pton(AF_INET6, s, ret->bytes) == 1) {
                ret->family = AF_INET6;
                return true;
        }
        return false;
}

static unsigned addr_bits(const NetworkAddr *a) {
        return a->family == AF_INET ? 32 : 128;
}

/* Bit i of the address, counted from the most significant. */
static int addr_bit(const NetworkAddr *a, unsigned i) {
        return (a->bytes[i / 8] >> (7 - i % 8)) & 1;
}

static bool addr_same_prefix(const NetworkAddr *a, const NetworkAddr *b, unsigned prefix) {
        for (unsigned i = 0; i < prefix; i++)
                if (addr_bit(a, i) != addr_bit(b, i))
                        return false;
        return true;
}

/* Whether the host part (bits after prefix) is all ones (want 1) or all zeros (want 0). */
static bool addr_host_part_is(const NetworkAddr *a, unsigned prefix, int want) {
        for (unsigned i = prefix; i < addr_bits(a); i++)
                if (addr_bit(a, i) != want)
                        return false;
        return true;
}

static int addr_cmp(const NetworkAddr *a, const NetworkAddr *b) {
        return memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16);
}

/* A netmask's prefix length, or -1 when its ones are not contiguous. */
static int netmask_prefix(const NetworkAddr *mask) {
        unsigned n = 0;

        while (n < addr_bits(mask) && addr_bit(mask, n))
                n++;
        return addr_host_part_is(mask, n, 0) ? (int) n : -1;
}

bool network_mac_parse(const char *s, char out[18]) {
        unsigned v[6];
        char tail;

        if (!s || strlen(s) != 17)
                return false;
        for (int i = 0; i < 6; i++)
                if (!g_ascii_isxdigit(s[i * 3]) || !g_ascii_isxdigit(s[i * 3 + 1]) || (i < 5 && s[i * 3 + 2] != ':'))
                        return false;
        if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
                return false;
        g_snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", v[0], v[1], v[2], v[3], v[4], v[5]);
        return true;
}

static bool mac_is_multicast(const char *mac) {
        return g_ascii_xdigit_value(mac[1]) & 1;
}

/* A MAC attribute: NULL stays NULL; otherwise it must be a unicast MAC. */
static bool parse_mac_prop(xmlNodePtr node, const char *what, char **ret, GError **error) {
        g_autofree char *raw = xml_prop(node, "address");
        char mac[18];

        if (!raw)
                return true;
        if (!network_mac_parse(raw, mac)) {
                XML_ERR(error, "malformed %s mac address '%s'", what, raw);
                return false;
        }
        if (mac_is_multicast(mac)) {
                XML_ERR(error, "%s mac address '%s' is a multicast address", what, raw);
                return false;
        }
        *ret = g_strdup(mac);
        return true;
}

/* --- lifetime --- */

static void dhcp_range_free(NetworkDhcpRange *r) {
        g_free(r->start);
        g_free(r->end);
        g_free(r->lease_unit);
        g_free(r);
}

static void dhcp_host_free(NetworkDhcpHost *h) {
        g_free(h->mac);
        g_free(h->id);
        g_free(h->name);
        g_free(h->ip);
        g_free(h->lease_unit);
        g_free(h);
}

static NetworkIpDef *ip_def_new(void) {
        NetworkIpDef *ip = g_new0(NetworkIpDef, 1);

        ip->ranges = g_ptr_array_new_with_free_func((GDestroyNotify) dhcp_range_free);
        ip->hosts = g_ptr_array_new_with_free_func((GDestroyNotify) dhcp_host_free);
        return ip;
}

static void ip_def_free(NetworkIpDef *ip) {
        g_free(ip->family);
        g_free(ip->address);
        g_free(ip->netmask);
        g_free(ip->tftp_root);
        g_free(ip->bootp_file);
        g_free(ip->bootp_server);
        g_ptr_array_unref(ip->ranges);
        g_ptr_array_unref(ip->hosts);
        g_free(ip);
}

static void route_def_free(NetworkRouteDef *r) {
        g_free(r->family);
        g_free(r->address);
        g_free(r->netmask);
        g_free(r->gateway);
        g_free(r);
}

static void dns_forwarder_free(NetworkDnsForwarder *f) {
        g_free(f->addr);
        g_free(f->domain);
        g_free(f);
}

static void dns_host_free(NetworkDnsHost *h) {
        g_free(h->ip);
        g_strfreev(h->hostnames);
        g_free(h);
}

NetworkDef *network_def_new(void) {
        NetworkDef *def = g_new0(NetworkDef, 1);

        def->dns_forwarders = g_ptr_array_new_with_free_func((GDestroyNotify) dns_forwarder_free);
        def->dns_hosts = g_ptr_array_new_with_free_func((GDestroyNotify) dns_host_free);
        def->ips = g_ptr_array_new_with_free_func((GDestroyNotify) ip_def_free);
        def->routes = g_ptr_array_new_with_free_func((GDestroyNotify) route_def_free);
        return def;
}

void network_def_free(NetworkDef *def) {
        if (!def)
                return;
        g_free(def->name);
        g_free(def->title);
        g_free(def->description);
        g_free(def->forward_dev);
        g_free(def->forward_interface);
        g_free(def->nat_address_start);
        g_free(def->nat_address_end);
        g_free(def->bridge);
        g_free(def->mac_table_manager);
        g_free(def->mac);
        g_free(def->domain_name);
        g_ptr_array_unref(def->dns_forwarders);
        g_ptr_array_unref(def->dns_hosts);
        g_ptr_array_unref(def->ips);
        g_ptr_array_unref(def->routes);
        g_free(def);
}

NetworkDef *network_def_copy(const NetworkDef *def) {
        g_autofree char *xml = network_def_format(def, 0);
        g_autoptr(GError) error = NULL;
        NetworkDef *copy = network_def_parse_string(xml, 0, &error);

        /* our own output always parses; anything else is a formatter bug */
        if (!copy)
                g_error("network_def_copy: own XML does not parse: %s", error->message);
        copy->connections = def->connections;
        return copy;
}

const NetworkIpDef *network_def_get_ip(const NetworkDef *def, int family) {
        for (guint i = 0; i < def->ips->len; i++) {
                const NetworkIpDef *ip = def->ips->pdata[i];
                NetworkAddr a;

                if (network_addr_parse(ip->address, &a) && a.family == family)
                        return ip;
        }
        return NULL;
}

/* --- parse helpers --- */

static bool parse_tristate(xmlNodePtr node, const char *attr, const char *yes, const char *no, int *ret,
                           GError **error) {
        int v = xml_prop_tristate(node, attr, yes, no);

        if (v < 0) {
                g_autofree char *raw = xml_prop(node, attr);

                XML_ERR(error, "invalid value '%s' for %s attribute of <%s>", raw, attr, (const char *) node->name);
                return false;
        }
        *ret = v;
        return true;
}

static bool parse_uint_prop(xmlNodePtr node, const char *attr, unsigned max, unsigned *ret, bool *given,
                            GError **error) {
        int r = xml_prop_uint(node, attr, max, ret);

        if (r < 0) {
                g_autofree char *raw = xml_prop(node, attr);

                XML_ERR(error, "malformed %s attribute '%s' of <%s>", attr, raw, (const char *) node->name);
                return false;
        }
        if (given)
                *given = r > 0;
        return true;
}

/* A lease shorter than 2 minutes makes dnsmasq churn; libvirt refuses it the same way. */
static bool parse_lease(xmlNodePtr parent, bool *has, unsigned *expiry, char **unit, GError **error) {
        xmlNodePtr lease = xml_child(parent, "lease");
        g_autofree char *u = NULL;
        unsigned scale = 60;
        bool given = false;

        if (!lease)
                return true;
        if (!parse_uint_prop(lease, "expiry", G_MAXUINT32, expiry, &given, error))
                return false;
        u = xml_prop(lease, "unit");
        if (u) {
                if (strcmp(u, "seconds") == 0)
                        scale = 1;
                else if (strcmp(u, "minutes") == 0)
                        scale = 60;
                else if (strcmp(u, "hours") == 0)
                        scale = 3600;
                else {
                        XML_ERR(error, "invalid lease unit '%s'", u);
                        return false;
                }
        }
        if (!given) {
                XML_ERR(error, "missing lease expiry");
                return false;
        }
        /* expiry 0 means infinite */
        if (*expiry > 0 && (guint64) *expiry * scale < 120) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "the minimum lease time is 2 minutes (got %u %s)", *expiry, u ? u : "minutes");
                return false;
        }
        *unit = g_steal_pointer(&u);
        *has = true;
        return true;
}

/* Reads address=, netmask=/prefix= and family= shared by <ip> and <route>. */
static bool parse_addr_prefix(xmlNodePtr node, const char *what, char **family, char **address, char **netmask,
                              unsigned *prefix, bool *has_prefix, NetworkAddr *addr, GError **error) {
        g_autofree char *fam = xml_prop(node, "family");
        g_autofree char *a = xml_prop(node, "address");
        g_autofree char *mask = xml_prop(node, "netmask");
        unsigned p = 0;
        bool given = false;

        if (!a) {
                XML_ERR(error, "missing address in network %s", what);
                return false;
        }
        if (!network_addr_parse(a, addr)) {
                XML_ERR(error, "invalid address '%s' in network %s", a, what);
                return false;
        }
        if (fam && strcmp(fam, "ipv4") != 0 && strcmp(fam, "ipv6") != 0) {
                XML_ERR(error, "unknown family '%s' in network %s", fam, what);
                return false;
        }
        if (fam && (strcmp(fam, "ipv4") == 0) != (addr->family == AF_INET)) {
                XML_ERR(error, "address '%s' is not of family %s in network %s", a, fam, what);
                return false;
        }
        if (!parse_uint_prop(node, "prefix", addr_bits(addr), &p, &given, error))
                return false;
        if (mask && given) {
                XML_ERR(error, "network %s '%s' has both netmask and prefix", what, a);
                return false;
        }
        if (mask) {
                NetworkAddr m;
                int n;

                if (addr->family != AF_INET || !network_addr_parse(mask, &m) || m.family != AF_INET ||
                    (n = netmask_prefix(&m)) < 0) {
                        XML_ERR(error, "invalid netmask '%s' in network %s", mask, what);
                        return false;
                }
                p = n;
        } else if (!given) {
                /* the classful default for IPv4, /64 for IPv6, as libvirt does */
                if (addr->family == AF_INET6)
                        p = 64;
                else if (addr->bytes[0] < 128)
                        p = 8;
                else if (addr->bytes[0] < 192)
                        p = 16;
                else
                        p = 24;
        }
        *family = g_steal_pointer(&fam);
        *address = g_steal_pointer(&a);
        *netmask = g_steal_pointer(&mask);
        *prefix = p;
        *has_prefix = given;
        return true;
}

static bool parse_dhcp_range(NetworkIpDef *ip, const NetworkAddr *net, xmlNodePtr node, GError **error) {
        g_autofree char *start = xml_prop(node, "start");
        g_autofree char *end = xml_prop(node, "end");
        NetworkAddr s, e;
        NetworkDhcpRange *r;
        unsigned expiry = 0;
        bool has_lease = false;
        g_autofree char *unit = NULL;

        if (!start || !end) {
                XML_ERR(error, "missing %s in dhcp range of network %s", !start ? "start" : "end", ip->address);
                return false;
        }
        if (!network_addr_parse(start, &s) || !network_addr_parse(end, &e) || s.family != net->family ||
            e.family != net->family) {
                XML_ERR(error, "invalid dhcp range '%s' - '%s' in network %s", start, end, ip->address);
                return false;
        }
        if (!addr_same_prefix(&s, net, ip->prefix) || !addr_same_prefix(&e, net, ip->prefix)) {
                XML_ERR(error, "dhcp range '%s' - '%s' is not entirely within network %s/%u", start, end,
                        ip->address, ip->prefix);
                return false;
        }
        if (ip->prefix < addr_bits(net) && addr_host_part_is(&s, ip->prefix, 0)) {
                XML_ERR(error, "dhcp range start '%s' is the network address of %s/%u", start, ip->address, ip->prefix);
                return false;
        }
        if (net->family == AF_INET && ip->prefix < 32 && addr_host_part_is(&e, ip->prefix, 1)) {
                XML_ERR(error, "dhcp range end '%s' is the broadcast address of %s/%u", end, ip->address, ip->prefix);
                return false;
        }
        if (addr_cmp(&s, &e) > 0) {
                XML_ERR(error, "dhcp range '%s' - '%s' ends before it starts", start, end);
                return false;
        }
        if (!parse_lease(node, &has_lease, &expiry, &unit, error))
                return false;
        r = g_new0(NetworkDhcpRange, 1);
        r->start = g_steal_pointer(&start);
        r->end = g_steal_pointer(&end);
        r->has_lease = has_lease;
        r->lease_expiry = expiry;
        r->lease_unit = g_steal_pointer(&unit);
        g_ptr_array_add(ip->ranges, r);
        return true;
}

static bool parse_dhcp_host(NetworkIpDef *ip, const NetworkAddr *net, xmlNodePtr node, GError **error) {
        g_autofree char *mac_raw = xml_prop(node, "mac");
        g_autofree char *id = xml_prop(node, "id");
        g_autofree char *name = xml_prop(node, "name");
        g_autofree char *addr = xml_prop(node, "ip");
        g_autofree char *unit = NULL;
        unsigned expiry = 0;
        bool has_lease = false;
        char mac[18] = "";
        NetworkAddr a;
        NetworkDhcpHost *h;

        if (!addr) {
                XML_ERR(error, "missing ip in dhcp host of network %s", ip->address);
                return false;
        }
        if (!network_addr_parse(addr, &a) || a.family != net->family) {
                XML_ERR(error, "invalid ip '%s' in dhcp host of network %s", addr, ip->address);
                return false;
        }
        if (mac_raw) {
                if (net->family == AF_INET6) {
                        XML_ERR(error, "dhcp host %s of IPv6 network %s cannot have a mac", addr, ip->address);
                        return false;
                }
                if (!network_mac_parse(mac_raw, mac)) {
                        XML_ERR(error, "malformed mac '%s' in dhcp host of network %s", mac_raw, ip->address);
                        return false;
                }
                if (mac_is_multicast(mac)) {
                        XML_ERR(error, "dhcp host mac '%s' is a multicast address", mac_raw);
                        return false;
                }
        }
        if (net->family == AF_INET && !mac_raw && !name) {
                XML_ERR(error, "dhcp host %s of network %s needs a mac or a name", addr, ip->address);
                return false;
        }
        if (net->family == AF_INET6 && !id && !name) {
                XML_ERR(error, "dhcp host %s of IPv6 network %s needs an id or a name", addr, ip->address);
                return false;
        }
        if (name && !g_ascii_isalnum(name[0])) {
                XML_ERR(error, "dhcp host name '%s' must start with a letter or a digit", name);
                return false;
        }
        if (!parse_lease(node, &has_lease, &expiry, &unit, error))
                return false;
        h = g_new0(NetworkDhcpHost, 1);
        h->mac = mac_raw ? g_strdup(mac) : NULL;
        h->id = g_steal_pointer(&id);
        h->name = g_steal_pointer(&name);
        h->ip = g_steal_pointer(&addr);
        h->has_lease = has_lease;
        h->lease_expiry = expiry;
        h->lease_unit = g_steal_pointer(&unit);
        g_ptr_array_add(ip->hosts, h);
        return true;
}

static bool parse_ip(NetworkDef *def, xmlNodePtr node, GError **error) {
        g_autoptr(GPtrArray) holder = g_ptr_array_new_with_free_func((GDestroyNotify) ip_def_free);
        NetworkIpDef *ip = ip_def_new();
        xmlNodePtr dhcp, tftp;
        NetworkAddr net;

        g_ptr_array_add(holder, ip);
        if (!parse_addr_prefix(node, "ip", &ip->family, &ip->address, &ip->netmask, &ip->prefix, &ip->has_prefix,
                               &net, error))
                return false;
        if (!parse_tristate(node, "localPtr", "yes", "no", &ip->local_ptr, error))
                return false;
        tftp = xml_child(node, "tftp");
        if (tftp) {
                ip->tftp_root = xml_prop(tftp, "root");
                if (!ip->tftp_root) {
                        XML_ERR(error, "missing tftp root in network %s", ip->address);
                        return false;
                }
        }
        dhcp = xml_child(node, "dhcp");
        if (dhcp) {
                ip->has_dhcp = true;
                xml_foreach_child(c, dhcp) {
                        if (xml_is(c, "range")) {
                                if (!parse_dhcp_range(ip, &net, c, error))
                                        return false;
                        } else if (xml_is(c, "host")) {
                                if (!parse_dhcp_host(ip, &net, c, error))
                                        return false;
                        } else if (xml_is(c, "bootp")) {
                                g_free(ip->bootp_file);
                                g_free(ip->bootp_server);
                                ip->bootp_file = xml_prop(c, "file");
                                ip->bootp_server = xml_prop(c, "server");
                                if (!ip->bootp_file) {
                                        XML_ERR(error, "missing bootp file in network %s", ip->address);
                                        return false;
                                }
                        }
                }
        }
        g_ptr_array_add(def->ips, g_ptr_array_steal_index(holder, 0));
        return true;
}

static bool parse_route(NetworkDef *def, xmlNodePtr node, GError **error) {
        g_autoptr(GPtrArray) holder = g_ptr_array_new_with_free_func((GDestroyNotify) route_def_free);
        NetworkRouteDef *r = g_new0(NetworkRouteDef, 1);
        NetworkAddr a, gw;

        g_ptr_array_add(holder, r);
        if (!parse_addr_prefix(node, "route", &r->family, &r->address, &r->netmask, &r->prefix, &r->has_prefix, &a,
                               error))
                return false;
        r->gateway = xml_prop(node, "gateway");
        if (!r->gateway || !network_addr_parse(r->gateway, &gw) || gw.family != a.family) {
                XML_ERR(error, "missing or invalid gateway '%s' of route %s", r->gateway ? r->gateway : "",
                        r->address);
                return false;
        }
        if (!parse_uint_prop(node, "metric", G_MAXUINT32, &r->metric, NULL, error))
                return false;
        g_ptr_array_add(def->routes, g_ptr_array_steal_index(holder, 0));
        return true;
}

static bool parse_dns(NetworkDef *def, xmlNodePtr dns, GError **error) {
        if (!parse_tristate(dns, "enable", "yes", "no", &def->dns_enable, error) ||
            !parse_tristate(dns, "forwardPlainNames", "yes", "no", &def->dns_forward_plain_names, error))
                return false;
        xml_foreach_child(c, dns) {
                if (xml_is(c, "forwarder")) {
                        NetworkDnsForwarder *f = g_new0(NetworkDnsForwarder, 1);
                        NetworkAddr a;

                        f->addr = xml_prop(c, "addr");
                        f->domain = xml_prop(c, "domain");
                        g_ptr_array_add(def->dns_forwarders, f);
                        if (!f->addr && !f->domain) {
                                XML_ERR(error, "dns forwarder needs addr or domain");
                                return false;
                        }
                        if (f->addr && !network_addr_parse(f->addr, &a)) {
                                XML_ERR(error, "invalid dns forwarder address '%s'", f->addr);
                                return false;
                        }
                } else if (xml_is(c, "host")) {
                        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
                        NetworkDnsHost *h = g_new0(NetworkDnsHost, 1);
                        NetworkAddr a;

                        h->ip = xml_prop(c, "ip");
                        xml_foreach_child(n, c) {
                                if (xml_is(n, "hostname")) {
                                        g_autofree char *t = xml_text(n);

                                        if (t && *g_strstrip(t))
                                                g_ptr_array_add(names, g_steal_pointer(&t));
                                }
                        }
                        g_ptr_array_add(names, NULL);
                        h->hostnames = (GStrv) g_ptr_array_free(g_steal_pointer(&names), FALSE);
                        g_ptr_array_add(def->dns_hosts, h);
                        if (!h->ip || !network_addr_parse(h->ip, &a)) {
                                XML_ERR(error, "missing or invalid ip '%s' of dns host", h->ip ? h->ip : "");
                                return false;
                        }
                        if (!h->hostnames[0]) {
                                XML_ERR(error, "dns host %s has no hostname", h->ip);
                                return false;
                        }
                }
        }
        return true;
}

static bool parse_forward(NetworkDef *def, xmlNodePtr fwd, GError **error) {
        g_autofree char *mode = xml_prop(fwd, "mode");
        xmlNodePtr nat;
        unsigned ninterfaces = 0;

        def->has_forward = true;
        if (!mode)
                def->forward = NETWORK_FORWARD_NAT;   /* libvirt: <forward/> alone is nat */
        else {
                int m = network_forward_mode_from_string(mode);

                if (m < 0) {
                        for (size_t i = 0; i < G_N_ELEMENTS(later_forward_modes); i++)
                                if (strcmp(mode, later_forward_modes[i]) == 0) {
                                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                                    "forward mode '%s' is not supported yet", mode);
                                        return false;
                                }
                        XML_ERR(error, "unknown forwarding type '%s'", mode);
                        return false;
                }
                def->forward = m;
        }
        def->forward_dev = xml_prop(fwd, "dev");
        xml_foreach_child(c, fwd) {
                if (!xml_is(c, "interface"))
                        continue;
                if (++ninterfaces > 1) {
                        XML_ERR(error, "network '%s' has more than one forward interface", def->name);
                        return false;
                }
                def->forward_interface = xml_prop(c, "dev");
                if (!def->forward_interface) {
                        XML_ERR(error, "missing dev in forward interface of network '%s'", def->name);
                        return false;
                }
        }
        if (def->forward_dev && def->forward_interface && strcmp(def->forward_dev, def->forward_interface) != 0) {
                XML_ERR(error, "forward dev '%s' differs from forward interface '%s'", def->forward_dev,
                        def->forward_interface);
                return false;
        }
        if (def->forward == NETWORK_FORWARD_OPEN && (def->forward_dev || def->forward_interface)) {
                XML_ERR(error, "forward dev not allowed for a network of mode 'open'");
                return false;
        }
        nat = xml_child(fwd, "nat");
        if (nat) {
                xmlNodePtr addr = xml_child(nat, "address");
                xmlNodePtr port = xml_child(nat, "port");

                if (def->forward != NETWORK_FORWARD_NAT) {
                        XML_ERR(error, "<nat> is only allowed in a network of mode 'nat'");
                        return false;
                }
                if (!parse_tristate(nat, "ipv6", "yes", "no", &def->nat_ipv6, error))
                        return false;
                if (addr) {
                        NetworkAddr s, e;

                        def->nat_address_start = xml_prop(addr, "start");
                        def->nat_address_end = xml_prop(addr, "end");
                        if (!network_addr_parse(def->nat_address_start, &s) || s.family != AF_INET ||
                            !network_addr_parse(def->nat_address_end, &e) || e.family != AF_INET ||
                            addr_cmp(&s, &e) > 0) {
                                XML_ERR(error, "invalid nat address range in network '%s'", def->name);
                                return false;
                        }
                }
                if (port) {
                        bool gs = false, ge = false;

                        if (!parse_uint_prop(port, "start", 65535, &def->nat_port_start, &gs, error) ||
                            !parse_uint_prop(port, "end", 65535, &def->nat_port_end, &ge, error))
                                return false;
                        if (!gs || !ge || def->nat_port_start == 0 || def->nat_port_start > def->nat_port_end) {
                                XML_ERR(error, "invalid nat port range in network '%s'", def->name);
                                return false;
                        }
                }
        }
        return true;
}

static bool parse_bridge(NetworkDef *def, xmlNodePtr br, GError **error) {
        g_autofree char *zone = xml_prop(br, "zone");

        def->bridge = xml_prop(br, "name");
        if (def->bridge && (!*def->bridge || strlen(def->bridge) >= 16 || strchr(def->bridge, '/') ||
                            strpbrk(def->bridge, " \t\n:"))) {
                XML_ERR(error, "invalid bridge name '%s'", def->bridge);
                return false;
        }
        if (def->bridge) {
                const char *p = strchr(def->bridge, '%');

                if (p && (p[1] != 'd' || strchr(p + 1, '%'))) {
                        XML_ERR(error, "bridge name template '%s' may hold only one %%d", def->bridge);
                        return false;
                }
        }
        if (!parse_tristate(br, "stp", "on", "off", &def->stp, error) ||
            !parse_uint_prop(br, "delay", G_MAXUINT32, &def->delay, &def->has_delay, error))
                return false;
        def->mac_table_manager = xml_prop(br, "macTableManager");
        if (def->mac_table_manager && strcmp(def->mac_table_manager, "kernel") != 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "macTableManager '%s' is not supported", def->mac_table_manager);
                return false;
        }
        if (zone) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "firewalld zones are not supported (zone='%s')", zone);
                return false;
        }
        return true;
}

static bool parse_name_uuid(NetworkDef *def, xmlNodePtr root, GError **error) {
        g_autofree char *name = xml_child_text(root, "name");
        g_autofree char *raw = xml_child_text(root, "uuid");
        g_autofree char *uuid = raw ? g_strstrip(g_strdup(raw)) : NULL;

        if (!name || !*name) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_NAME, "missing network name");
                return false;
        }
        if (strchr(name, '/') || strchr(name, '\n')) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_DETAIL,
                            "network name '%s' cannot contain '/' or a newline", name);
                return false;
        }
        def->name = g_steal_pointer(&name);
        if (!uuid || !*uuid)
                vmmd_uuid_generate(def->uuid);
        else if (!vmmd_uuid_parse(uuid, def->uuid)) {
                XML_ERR(error, "malformed uuid element '%s'", uuid);
                return false;
        }
        return true;
}

/* Cross-element rules (N2/N3) once every element is read. */
static bool check_def(NetworkDef *def, GError **error) {
        bool dhcp4 = false, dhcp6 = false;

        if ((def->forward == NETWORK_FORWARD_NAT || def->forward == NETWORK_FORWARD_ROUTE ||
             def->forward == NETWORK_FORWARD_OPEN) && def->ips->len == 0) {
                XML_ERR(error, "network '%s' of mode '%s' needs an <ip> address", def->name,
                        network_forward_mode_to_string(def->forward));
                return false;
        }
        if (def->forward == NETWORK_FORWARD_BRIDGE) {
                if (def->stp || def->has_delay || def->mtu) {
                        XML_ERR(error, "stp, delay and mtu are not allowed on a network of mode 'bridge'");
                        return false;
                }
                if (def->bridge && (def->forward_dev || def->forward_interface)) {
                        XML_ERR(error, "a network of mode 'bridge' takes a bridge name or a forward dev, not both");
                        return false;
                }
                if (!def->bridge && !def->forward_dev && !def->forward_interface) {
                        XML_ERR(error, "a network of mode 'bridge' needs a bridge name");
                        return false;
                }
                if (def->mac || def->ips->len || def->dns_hosts->len || def->domain_name) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                    "<mac>, <ip>, <dns> hosts and <domain> are not supported on a network "
                                    "of mode 'bridge'");
                        return false;
                }
        }
        for (guint i = 0; i < def->ips->len; i++) {
                const NetworkIpDef *ip = def->ips->pdata[i];
                NetworkAddr a;
                bool *seen;

                network_addr_parse(ip->address, &a);
                if (!ip->ranges->len && !ip->hosts->len)
                        continue;
                seen = a.family == AF_INET ? &dhcp4 : &dhcp6;
                if (*seen) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                    "network '%s' has DHCP on more than one %s address", def->name,
                                    a.family == AF_INET ? "IPv4" : "IPv6");
                        return false;
                }
                *seen = true;
        }
        return true;
}

static NetworkDef *network_parse_node(xmlNodePtr root, GError **error) {
        g_autoptr(NetworkDef) def = network_def_new();
        xmlNodePtr n;

        if (!parse_name_uuid(def, root, error))
                return NULL;
        if (!parse_tristate(root, "ipv6", "yes", "no", &def->ipv6, error) ||
            !parse_tristate(root, "trustGuestRxFilters", "yes", "no", &def->trust_guest_rx_filters, error))
                return NULL;
        def->title = xml_child_text(root, "title");
        if (def->title && strchr(def->title, '\n')) {
                XML_ERR(error, "network title cannot contain a newline");
                return NULL;
        }
        def->description = xml_child_text(root, "description");
        if ((n = xml_child(root, "forward")) && !parse_forward(def, n, error))
                return NULL;
        if ((n = xml_child(root, "bridge")) && !parse_bridge(def, n, error))
                return NULL;
        if ((n = xml_child(root, "mtu"))) {
                bool given = false;

                if (!parse_uint_prop(n, "size", 65535, &def->mtu, &given, error))
                        return NULL;
                if (!given || def->mtu == 0) {
                        XML_ERR(error, "mtu size must be a positive number");
                        return NULL;
                }
        }
        if ((n = xml_child(root, "mac")) && !parse_mac_prop(n, "network", &def->mac, error))
                return NULL;
        if ((n = xml_child(root, "domain"))) {
                def->domain_name = xml_prop(n, "name");
                if (!parse_tristate(n, "localOnly", "yes", "no", &def->domain_local_only, error))
                        return NULL;
        }
        if ((n = xml_child(root, "dns")) && !parse_dns(def, n, error))
                return NULL;
        xml_foreach_child(c, root) {
                if (xml_is(c, "ip")) {
                        if (!parse_ip(def, c, error))
                                return NULL;
                } else if (xml_is(c, "route")) {
                        if (!parse_route(def, c, error))
                                return NULL;
                }
        }
        if (!check_def(def, error))
                return NULL;
        return g_steal_pointer(&def);
}

NetworkDef *network_def_parse_string(const char *xml, unsigned flags, GError **error) {
        g_autoptr(xmlDoc) doc = NULL;

        if (flags & ~(unsigned) NETWORK_DEF_PARSE_VALIDATE) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "unsupported flags (0x%x)",
                            flags & ~(unsigned) NETWORK_DEF_PARSE_VALIDATE);
                return NULL;
        }
        doc = xml_doc_read(xml, "network", VMMD_ERROR_XML_ERROR, error);
        if (!doc)
                return NULL;
        if ((flags & NETWORK_DEF_PARSE_VALIDATE) && !xml_doc_validate(doc, "network.rng", error))
                return NULL;
        return network_parse_node(xmlDocGetRootElement(doc), error);
}

/* --- format --- */

static void format_lease(XmlBuf *buf, unsigned expiry, const char *unit, bool given) {
        g_autoptr(GString) a = g_string_new(NULL);

        if (!given)
                return;
        xml_attr_uint(a, "expiry", expiry);
        xml_attr(a, "unit", unit);
        xml_element_empty(buf, "lease", a);
}

static void format_ip(XmlBuf *buf, const NetworkIpDef *ip) {
        g_auto(XmlBuf) body = { 0 };
        g_autoptr(GString) a = g_string_new(NULL);

        xml_buf_init_child(&body, buf);
        xml_attr(a, "family", ip->family);
        xml_attr(a, "address", ip->address);
        xml_attr(a, "netmask", ip->netmask);
        if (ip->has_prefix)
                xml_attr_uint(a, "prefix", ip->prefix);
        xml_attr_yesno(a, "localPtr", ip->local_ptr);
        if (ip->tftp_root) {
                g_autoptr(GString) t = g_string_new(NULL);

                xml_attr(t, "root", ip->tftp_root);
                xml_element_empty(&body, "tftp", t);
        }
        if (ip->has_dhcp) {
                g_auto(XmlBuf) dhcp = { 0 };

                xml_buf_init_child(&dhcp, &body);
                for (guint i = 0; i < ip->ranges->len; i++) {
                        const NetworkDhcpRange *r = ip->ranges->pdata[i];
                        g_auto(XmlBuf) inner = { 0 };
                        g_autoptr(GString) ra = g_string_new(NULL);

                        xml_buf_init_child(&inner, &dhcp);
                        xml_attr(ra, "start", r->start);
                        xml_attr(ra, "end", r->end);
                        format_lease(&inner, r->lease_expiry, r->lease_unit, r->has_lease);
                        if (inner.str->len)
                                xml_element(&dhcp, "range", ra, &inner);
                        else
                                xml_element_empty(&dhcp, "range", ra);
                }
                for (guint i = 0; i < ip->hosts->len; i++) {
                        const NetworkDhcpHost *h = ip->hosts->pdata[i];
                        g_auto(XmlBuf) inner = { 0 };
                        g_autoptr(GString) ha = g_string_new(NULL);

                        xml_buf_init_child(&inner, &dhcp);
                        xml_attr(ha, "mac", h->mac);
                        xml_attr(ha, "id", h->id);
                        xml_attr(ha, "name", h->name);
                        xml_attr(ha, "ip", h->ip);
                        format_lease(&inner, h->lease_expiry, h->lease_unit, h->has_lease);
                        if (inner.str->len)
                                xml_element(&dhcp, "host", ha, &inner);
                        else
                                xml_element_empty(&dhcp, "host", ha);
                }
                if (ip->bootp_file) {
                        g_autoptr(GString) ba = g_string_new(NULL);

                        xml_attr(ba, "file", ip->bootp_file);
                        xml_attr(ba, "server", ip->bootp_server);
                        xml_element_empty(&dhcp, "bootp", ba);
                }
                if (dhcp.str->len)
                        xml_element(&body, "dhcp", NULL, &dhcp);
                else
                        xml_element_empty(&body, "dhcp", NULL);
        }
        if (body.str->len)
                xml_element(buf, "ip", a, &body);
        else
                xml_element_empty(buf, "ip", a);
}

static void format_forward(XmlBuf *buf, const NetworkDef *def) {
        g_auto(XmlBuf) body = { 0 };
        g_autoptr(GString) a = g_string_new(NULL);

        if (!def->has_forward)
                return;
        xml_buf_init_child(&body, buf);
        xml_attr(a, "mode", network_forward_mode_to_string(def->forward));
        xml_attr(a, "dev", def->forward_dev);
        if (def->forward == NETWORK_FORWARD_NAT &&
            (def->nat_ipv6 || def->nat_address_start || def->nat_port_start)) {
                g_auto(XmlBuf) nat = { 0 };
                g_autoptr(GString) na = g_string_new(NULL);

                xml_buf_init_child(&nat, &body);
                xml_attr_yesno(na, "ipv6", def->nat_ipv6);
                if (def->nat_address_start) {
                        g_autoptr(GString) aa = g_string_new(NULL);

                        xml_attr(aa, "start", def->nat_address_start);
                        xml_attr(aa, "end", def->nat_address_end);
                        xml_element_empty(&nat, "address", aa);
                }
                if (def->nat_port_start) {
                        g_autoptr(GString) pa = g_string_new(NULL);

                        xml_attr_uint(pa, "start", def->nat_port_start);
                        xml_attr_uint(pa, "end", def->nat_port_end);
                        xml_element_empty(&nat, "port", pa);
                }
                if (nat.str->len)
                        xml_element(&body, "nat", na, &nat);
                else
                        xml_element_empty(&body, "nat", na);
        }
        if (def->forward_interface) {
                g_autoptr(GString) ia = g_string_new(NULL);

                xml_attr(ia, "dev", def->forward_interface);
                xml_element_empty(&body, "interface", ia);
        }
        if (body.str->len)
                xml_element(buf, "forward", a, &body);
        else
                xml_element_empty(buf, "forward", a);
}

static void format_dns(XmlBuf *buf, const NetworkDef *def) {
        g_auto(XmlBuf) body = { 0 };
        g_autoptr(GString) a = g_string_new(NULL);

        xml_buf_init_child(&body, buf);
        xml_attr_yesno(a, "enable", def->dns_enable);
        xml_attr_yesno(a, "forwardPlainNames", def->dns_forward_plain_names);
        for (guint i = 0; i < def->dns_forwarders->len; i++) {
                const NetworkDnsForwarder *f = def->dns_forwarders->pdata[i];
                g_autoptr(GString) fa = g_string_new(NULL);

                xml_attr(fa, "domain", f->domain);
                xml_attr(fa, "addr", f->addr);
                xml_element_empty(&body, "forwarder", fa);
        }
        for (guint i = 0; i < def->dns_hosts->len; i++) {
                const NetworkDnsHost *h = def->dns_hosts->pdata[i];
                g_auto(XmlBuf) names = { 0 };
                g_autoptr(GString) ha = g_string_new(NULL);

                xml_buf_init_child(&names, &body);
                xml_attr(ha, "ip", h->ip);
                for (char **n = h->hostnames; *n; n++)
                        xml_element_text(&names, "hostname", NULL, *n);
                xml_element(&body, "host", ha, &names);
        }
        xml_element(buf, "dns", a, &body);
}

char *network_def_format(const NetworkDef *def, unsigned flags) {
        g_auto(XmlBuf) top = { 0 };
        g_auto(XmlBuf) body = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);

        xml_buf_init(&top, 0);
        xml_buf_init_child(&body, &top);
        xml_attr_yesno(attrs, "ipv6", def->ipv6);
        xml_attr_yesno(attrs, "trustGuestRxFilters", def->trust_guest_rx_filters);
        if (!(flags & NETWORK_DEF_FORMAT_INACTIVE) && def->connections)
                xml_attr_uint(attrs, "connections", def->connections);
        xml_element_text(&body, "name", NULL, def->name);
        xml_element_text(&body, "uuid", NULL, def->uuid);
        xml_element_text(&body, "title", NULL, def->title);
        xml_element_text(&body, "description", NULL, def->description);
        format_forward(&body, def);
        if (def->bridge || def->stp || def->has_delay || def->mac_table_manager) {
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "name", def->bridge);
                xml_attr_onoff(a, "stp", def->stp);
                if (def->has_delay)
                        xml_attr_uint(a, "delay", def->delay);
                xml_attr(a, "macTableManager", def->mac_table_manager);
                xml_element_empty(&body, "bridge", a);
        }
        if (def->mtu) {
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr_uint(a, "size", def->mtu);
                xml_element_empty(&body, "mtu", a);
        }
        if (def->mac) {
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "address", def->mac);
                xml_element_empty(&body, "mac", a);
        }
        if (def->domain_name || def->domain_local_only) {
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "name", def->domain_name);
                xml_attr_yesno(a, "localOnly", def->domain_local_only);
                xml_element_empty(&body, "domain", a);
        }
        format_dns(&body, def);
        for (guint i = 0; i < def->ips->len; i++)
                format_ip(&body, def->ips->pdata[i]);
        for (guint i = 0; i < def->routes->len; i++) {
                const NetworkRouteDef *r = def->routes->pdata[i];
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "family", r->family);
                xml_attr(a, "address", r->address);
                xml_attr(a, "netmask", r->netmask);
                if (r->has_prefix)
                        xml_attr_uint(a, "prefix", r->prefix);
                xml_attr(a, "gateway", r->gateway);
                if (r->metric)
                        xml_attr_uint(a, "metric", r->metric);
                xml_element_empty(&body, "route", a);
        }
        xml_element(&top, "network", attrs, &body);
        return g_string_free(g_steal_pointer(&top.str), FALSE);
}

/* --- update (spec §6) --- */

#define OP_INVALID(error, ...) g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, __VA_ARGS__)

static const char *const section_names[] = {
        "none", "bridge", "domain", "ip", "ip-dhcp-host", "ip-dhcp-range", "forward", "forward-interface",
        "forward-pf", "portgroup", "dns-host", "dns-txt", "dns-srv",
};

/* U3: the <ip> a DHCP update is for */
static NetworkIpDef *update_ip(NetworkDef *def, int parent_index, GError **error) {
        NetworkIpDef *first4 = NULL, *first6 = NULL;

        if (parent_index >= 0) {
                if ((guint) parent_index >= def->ips->len) {
                        OP_INVALID(error, "couldn't update dhcp host entry - no <ip> element found at index %d in "
                                   "network '%s'", parent_index, def->name);
                        return NULL;
                }
                return def->ips->pdata[parent_index];
        }
        for (guint i = 0; i < def->ips->len; i++) {
                NetworkIpDef *ip = def->ips->pdata[i];
                NetworkAddr a;

                if (ip->has_dhcp)
                        return ip;
                if (network_addr_parse(ip->address, &a)) {
                        if (a.family == AF_INET && !first4)
                                first4 = ip;
                        if (a.family == AF_INET6 && !first6)
                                first6 = ip;
                }
        }
        if (first4 || first6)
                return first4 ? first4 : first6;
        OP_INVALID(error, "couldn't update dhcp host entry - no <ip> element found in network '%s'", def->name);
        return NULL;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NetworkIpDef, ip_def_free)

/* A scratch <ip> like ip, for parsing one <host> or <range> against it. */
static NetworkIpDef *scratch_ip(const NetworkIpDef *ip) {
        NetworkIpDef *t = ip_def_new();

        t->address = g_strdup(ip->address);
        t->prefix = ip->prefix;
        return t;
}

static bool same_family(const NetworkIpDef *ip, const NetworkAddr *net, xmlNodePtr node, const char *attr,
                        GError **error) {
        g_autofree char *v = xml_prop(node, attr);
        NetworkAddr a;

        if (v && network_addr_parse(v, &a) && a.family != net->family) {
                OP_INVALID(error, "the address family of %s '%s' does not match that of network %s", attr, v,
                           ip->address);
                return false;
        }
        return true;
}

static bool str_eq(const char *a, const char *b) {
        return a && b && g_ascii_strcasecmp(a, b) == 0;
}

static bool update_dhcp_host(NetworkDef *def, NetworkIpDef *ip, const NetworkAddr *net, unsigned command,
                             xmlNodePtr node, NetworkUpdateEffect *effect, GError **error) {
        g_autoptr(NetworkIpDef) t = scratch_ip(ip);
        NetworkDhcpHost *h;
        bool had_dhcp = ip->has_dhcp;

        if (!same_family(ip, net, node, "ip", error))
                return false;
        if (command == NETWORK_UPDATE_DELETE) {
                /* matches on the attributes given (at least one) */
                g_autofree char *mac_raw = xml_prop(node, "mac"), *id = xml_prop(node, "id");
                g_autofree char *name = xml_prop(node, "name"), *addr = xml_prop(node, "ip");
                char mac[18] = "";

                if (!mac_raw && !id && !name && !addr) {
                        XML_ERR(error, "dhcp host to delete needs a mac, id, name or ip");
                        return false;
                }
                if (mac_raw && !network_mac_parse(mac_raw, mac)) {
                        XML_ERR(error, "malformed mac '%s' in dhcp host", mac_raw);
                        return false;
                }
                for (guint i = 0; i < ip->hosts->len; i++) {
                        NetworkDhcpHost *o = ip->hosts->pdata[i];

                        if ((!mac_raw || str_eq(o->mac, mac)) && (!id || str_eq(o->id, id)) &&
                            (!name || str_eq(o->name, name)) && (!addr || g_strcmp0(o->ip, addr) == 0)) {
                                g_ptr_array_remove_index(ip->hosts, i);
                                *effect = NETWORK_UPDATE_EFFECT_HOSTS;
                                return true;
                        }
                }
                OP_INVALID(error, "couldn't locate a matching dhcp host entry in network '%s'", def->name);
                return false;
        }
        if (!parse_dhcp_host(t, net, node, error))
                return false;
        h = g_ptr_array_steal_index(t->hosts, 0);
        if (command == NETWORK_UPDATE_MODIFY) {
                for (guint i = 0; i < ip->hosts->len; i++) {
                        NetworkDhcpHost *o = ip->hosts->pdata[i];

                        if (net->family == AF_INET ? str_eq(o->mac, h->mac) :
                            (str_eq(o->id, h->id) || str_eq(o->name, h->name))) {
                                dhcp_host_free(ip->hosts->pdata[i]);
                                ip->hosts->pdata[i] = h;
                                *effect = NETWORK_UPDATE_EFFECT_HOSTS;
                                return true;
                        }
                }
                OP_INVALID(error, "couldn't locate an existing dhcp host entry with \"%s\" in network '%s'",
                           h->mac ? h->mac : h->id ? h->id : h->name ? h->name : h->ip, def->name);
                dhcp_host_free(h);
                return false;
        }
        for (guint i = 0; i < ip->hosts->len; i++) {
                NetworkDhcpHost *o = ip->hosts->pdata[i];

                if (str_eq(o->mac, h->mac) || str_eq(o->name, h->name) || g_strcmp0(o->ip, h->ip) == 0) {
                        OP_INVALID(error, "there is an existing dhcp host entry in network '%s' that matches \"%s\"",
                                   def->name, h->mac ? h->mac : h->name ? h->name : h->ip);
                        dhcp_host_free(h);
                        return false;
                }
        }
        for (guint i = 0; i < def->ips->len; i++) {
                NetworkIpDef *other = def->ips->pdata[i];
                NetworkAddr a;

                if (other != ip && other->has_dhcp && network_addr_parse(other->address, &a) &&
                    a.family == net->family) {
                        OP_INVALID(error, "another <ip> of network '%s' already serves DHCP for this address family",
                                   def->name);
                        dhcp_host_free(h);
                        return false;
                }
        }
        g_ptr_array_insert(ip->hosts, command == NETWORK_UPDATE_ADD_FIRST ? 0 : -1, h);
        ip->has_dhcp = true;
        /* U4: DHCP coming on needs a new dnsmasq */
        *effect = had_dhcp ? NETWORK_UPDATE_EFFECT_HOSTS : NETWORK_UPDATE_EFFECT_RESTART;
        return true;
}

static bool update_dhcp_range(NetworkDef *def, NetworkIpDef *ip, const NetworkAddr *net, unsigned command,
                              xmlNodePtr node, NetworkUpdateEffect *effect, GError **error) {
        g_autoptr(NetworkIpDef) t = scratch_ip(ip);
        NetworkDhcpRange *r;

        if (command == NETWORK_UPDATE_MODIFY) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_UNSUPPORTED,
                            "dhcp ranges cannot be modified, only added or deleted");
                return false;
        }
        if (!same_family(ip, net, node, "start", error) || !same_family(ip, net, node, "end", error) ||
            !parse_dhcp_range(t, net, node, error))
                return false;
        r = t->ranges->pdata[0];
        for (guint i = 0; i < ip->ranges->len; i++) {
                NetworkDhcpRange *o = ip->ranges->pdata[i];
                NetworkAddr os, oe, ns, ne;

                if (!network_addr_parse(o->start, &os) || !network_addr_parse(o->end, &oe) ||
                    !network_addr_parse(r->start, &ns) || !network_addr_parse(r->end, &ne) || addr_cmp(&os, &ns) != 0 ||
                    addr_cmp(&oe, &ne) != 0)
                        continue;
                if (command == NETWORK_UPDATE_DELETE) {
                        g_ptr_array_remove_index(ip->ranges, i);
                        *effect = NETWORK_UPDATE_EFFECT_RESTART;
                        return true;
                }
                OP_INVALID(error, "there is an existing dhcp range entry in network '%s' that matches \"<range "
                           "start='%s' end='%s'/>\"", def->name, r->start, r->end);
                return false;
        }
        if (command == NETWORK_UPDATE_DELETE) {
                OP_INVALID(error, "couldn't locate a matching dhcp range entry in network '%s'", def->name);
                return false;
        }
        g_ptr_array_insert(ip->ranges, command == NETWORK_UPDATE_ADD_FIRST ? 0 : -1,
                           g_ptr_array_steal_index(t->ranges, 0));
        ip->has_dhcp = true;
        *effect = NETWORK_UPDATE_EFFECT_RESTART;
        return true;
}

static bool dns_host_matches(const NetworkDnsHost *o, const NetworkDnsHost *h) {
        if (h->ip && o->ip) {
                NetworkAddr a, b;

                if (network_addr_parse(h->ip, &a) && network_addr_parse(o->ip, &b) ? addr_cmp(&a, &b) == 0 :
                    g_strcmp0(h->ip, o->ip) == 0)
                        return true;
        }
        for (guint i = 0; h->hostnames && h->hostnames[i]; i++)
                for (guint j = 0; o->hostnames && o->hostnames[j]; j++)
                        if (g_ascii_strcasecmp(h->hostnames[i], o->hostnames[j]) == 0)
                                return true;
        return false;
}

static bool update_dns_host(NetworkDef *def, unsigned command, xmlNodePtr node, NetworkUpdateEffect *effect,
                            GError **error) {
        g_autoptr(NetworkDef) t = network_def_new();
        xmlNodePtr wrapper = xmlNewNode(NULL, (const xmlChar *) "dns");
        NetworkDnsHost *h;
        int found = -1, matches = 0;
        bool ok;

        xmlAddChild(wrapper, xmlCopyNode(node, 1));
        ok = parse_dns(t, wrapper, error);
        xmlFreeNode(wrapper);
        if (!ok)
                return false;
        if (t->dns_hosts->len != 1) {
                XML_ERR(error, "dns host needs an ip and a hostname");
                return false;
        }
        h = t->dns_hosts->pdata[0];
        for (guint i = 0; i < def->dns_hosts->len; i++)
                if (dns_host_matches(def->dns_hosts->pdata[i], h)) {
                        if (found < 0)
                                found = (int) i;
                        matches++;
                }
        if (command == NETWORK_UPDATE_ADD_FIRST || command == NETWORK_UPDATE_ADD_LAST) {
                if (matches) {
                        OP_INVALID(error, "there is already at least one DNS HOST record with a matching field in "
                                   "network '%s'", def->name);
                        return false;
                }
                g_ptr_array_insert(def->dns_hosts, command == NETWORK_UPDATE_ADD_FIRST ? 0 : -1,
                                   g_ptr_array_steal_index(t->dns_hosts, 0));
        } else {
                if (matches != 1) {
                        OP_INVALID(error, matches ? "multiple matching DNS HOST records were found in network '%s'" :
                                                    "couldn't locate a matching DNS HOST record in network '%s'",
                                   def->name);
                        return false;
                }
                if (command == NETWORK_UPDATE_DELETE)
                        g_ptr_array_remove_index(def->dns_hosts, found);
                else {
                        dns_host_free(def->dns_hosts->pdata[found]);
                        def->dns_hosts->pdata[found] = g_ptr_array_steal_index(t->dns_hosts, 0);
                }
        }
        *effect = NETWORK_UPDATE_EFFECT_HOSTS;
        return true;
}

bool network_def_update(NetworkDef *def, unsigned command, unsigned section, int parent_index, const char *xml,
                        NetworkUpdateEffect *ret_effect, GError **error) {
        static const char *const roots[] = {
                [NETWORK_SECTION_IP_DHCP_HOST] = "host", [NETWORK_SECTION_IP_DHCP_RANGE] = "range",
                [NETWORK_SECTION_DNS_HOST] = "host",
        };
        g_autoptr(xmlDoc) doc = NULL;
        xmlNodePtr root;
        NetworkIpDef *ip;
        NetworkAddr net;

        *ret_effect = NETWORK_UPDATE_EFFECT_NONE;
        if (command < NETWORK_UPDATE_MODIFY || command > NETWORK_UPDATE_ADD_FIRST) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_UNSUPPORTED,
                            "unrecognized network update command code %u", command);
                return false;
        }
        switch (section) {
        case NETWORK_SECTION_IP_DHCP_HOST:
        case NETWORK_SECTION_IP_DHCP_RANGE:
        case NETWORK_SECTION_DNS_HOST:
                break;
        case NETWORK_SECTION_FORWARD_INTERFACE:
        case NETWORK_SECTION_PORTGROUP:
        case NETWORK_SECTION_DNS_TXT:
        case NETWORK_SECTION_DNS_SRV:
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_SUPPORT,
                            "updating the '%s' section of a network is not supported yet", section_names[section]);
                return false;
        default:
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_UNSUPPORTED, "can't update '%s' section of network '%s'",
                            section < G_N_ELEMENTS(section_names) ? section_names[section] : "unknown", def->name);
                return false;
        }
        doc = xml_doc_read(xml, roots[section], VMMD_ERROR_XML_ERROR, error);
        if (!doc)
                return false;
        root = xmlDocGetRootElement(doc);
        if (section == NETWORK_SECTION_DNS_HOST)
                return update_dns_host(def, command, root, ret_effect, error);
        ip = update_ip(def, parent_index, error);
        if (!ip)
                return false;
        if (!network_addr_parse(ip->address, &net)) {
                OP_INVALID(error, "<ip> '%s' of network '%s' has no usable address", ip->address, def->name);
                return false;
        }
        if (section == NETWORK_SECTION_IP_DHCP_HOST)
                return update_dhcp_host(def, ip, &net, command, root, ret_effect, error);
        return update_dhcp_range(def, ip, &net, command, root, ret_effect, error);
}

/* --- ports --- */

NetworkPortDef *network_port_def_new(void) {
        return g_new0(NetworkPortDef, 1);
}

void network_port_def_free(NetworkPortDef *def) {
        if (!def)
                return;
        g_free(def->owner_name);
        g_free(def->mac);
        g_free(def->plug_type);
        g_free(def->plug_bridge);
        g_free(def->plug_mac_table_manager);
        g_free(def);
}

static NetworkPortDef *port_parse_node(xmlNodePtr root, GError **error) {
        g_autoptr(NetworkPortDef) def = network_port_def_new();
        g_autofree char *raw = xml_child_text(root, "uuid");
        g_autofree char *uuid = raw ? g_strstrip(g_strdup(raw)) : NULL;
        g_autofree char *owner_uuid = NULL;
        xmlNodePtr owner = xml_child(root, "owner");
        xmlNodePtr mac = xml_child(root, "mac");
        xmlNodePtr plug = xml_child(root, "plug");

        if (!uuid || !*uuid)
                vmmd_uuid_generate(def->uuid);
        else if (!vmmd_uuid_parse(uuid, def->uuid)) {
                XML_ERR(error, "malformed port uuid '%s'", uuid);
                return NULL;
        }
        if (!owner) {
                XML_ERR(error, "missing port owner");
                return NULL;
        }
        def->owner_name = xml_child_text(owner, "name");
        owner_uuid = xml_child_text(owner, "uuid");
        if (!def->owner_name || !*def->owner_name) {
                XML_ERR(error, "missing port owner name");
                return NULL;
        }
        if (!owner_uuid || !vmmd_uuid_parse(g_strstrip(owner_uuid), def->owner_uuid)) {
                XML_ERR(error, "missing or malformed port owner uuid");
                return NULL;
        }
        if (!mac || !parse_mac_prop(mac, "port", &def->mac, error) || !def->mac) {
                if (error && !*error)
                        XML_ERR(error, "missing port mac address");
                return NULL;
        }
        if (plug) {
                def->plug_type = xml_prop(plug, "type");
                if (g_strcmp0(def->plug_type, "network") != 0 && g_strcmp0(def->plug_type, "bridge") != 0) {
                        XML_ERR(error, "unsupported port plug type '%s'", def->plug_type ? def->plug_type : "");
                        return NULL;
                }
                def->plug_bridge = xml_prop(plug, "bridge");
                if (!def->plug_bridge) {
                        XML_ERR(error, "missing bridge in port plug");
                        return NULL;
                }
                def->plug_mac_table_manager = xml_prop(plug, "macTableManager");
        }
        return g_steal_pointer(&def);
}

NetworkPortDef *network_port_def_parse_string(const char *xml, unsigned flags, GError **error) {
        g_autoptr(xmlDoc) doc = NULL;

        if (flags & ~(unsigned) NETWORK_PORT_DEF_PARSE_VALIDATE) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "unsupported flags (0x%x)",
                            flags & ~(unsigned) NETWORK_PORT_DEF_PARSE_VALIDATE);
                return NULL;
        }
        doc = xml_doc_read(xml, "networkport", VMMD_ERROR_XML_ERROR, error);
        if (!doc)
                return NULL;
        if ((flags & NETWORK_PORT_DEF_PARSE_VALIDATE) && !xml_doc_validate(doc, "networkport.rng", error))
                return NULL;
        return port_parse_node(xmlDocGetRootElement(doc), error);
}

char *network_port_def_format(const NetworkPortDef *def) {
        g_auto(XmlBuf) top = { 0 };
        g_auto(XmlBuf) body = { 0 };
        g_auto(XmlBuf) owner = { 0 };
        g_autoptr(GString) ma = g_string_new(NULL);

        xml_buf_init(&top, 0);
        xml_buf_init_child(&body, &top);
        xml_buf_init_child(&owner, &body);
        xml_element_text(&body, "uuid", NULL, def->uuid);
        xml_element_text(&owner, "name", NULL, def->owner_name);
        xml_element_text(&owner, "uuid", NULL, def->owner_uuid);
        xml_element(&body, "owner", NULL, &owner);
        xml_attr(ma, "address", def->mac);
        xml_element_empty(&body, "mac", ma);
        if (def->plug_type) {
                g_autoptr(GString) pa = g_string_new(NULL);

                xml_attr(pa, "type", def->plug_type);
                xml_attr(pa, "bridge", def->plug_bridge);
                xml_attr(pa, "macTableManager", def->plug_mac_table_manager);
                xml_element_empty(&body, "plug", pa);
        }
        xml_element(&top, "networkport", NULL, &body);
        return g_string_free(g_steal_pointer(&top.str), FALSE);
}
