/* Network filter and binding definitions: parsing, checking and formatting (spec nwfilter.md §2–§4, W2, W8, W9). */
#include "nwfilter-conf.h"
#include "xml-util.h"
#include "uuid.h"
#include "error.h"
#include "cleanup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

VMMD_ENUM_IMPL(nwfilter_action, "drop", "accept", "reject", "return", "continue")
VMMD_ENUM_IMPL(nwfilter_direction, "in", "out", "inout")
G_STATIC_ASSERT(_NWFILTER_ACTION_MAX == 5);
G_STATIC_ASSERT(_NWFILTER_DIR_MAX == 3);

/* --- the protocol tables (spec §3) --- */

#define A(n, t) { n, NWFILTER_VALUE_##t }
#define MAC_ATTRS A("srcmacaddr", MAC), A("srcmacmask", MAC), A("dstmacaddr", MAC), A("dstmacmask", MAC)
#define COMMON_L3(IP, MASK)                                                                                \
        A("srcmacaddr", MAC), A("srcipaddr", IP), A("srcipmask", MASK), A("dstipaddr", IP),               \
                A("dstipmask", MASK), A("srcipfrom", IP), A("srcipto", IP), A("dstipfrom", IP),            \
                A("dstipto", IP), A("dscp", DSCP), A("connlimit-above", UINT16), A("state", STATE),        \
                A("ipset", IPSET_NAME), A("ipsetflags", IPSET_FLAGS)
#define PORTS A("srcportstart", UINT16), A("srcportend", UINT16), A("dstportstart", UINT16), A("dstportend", UINT16)
#define END { NULL, 0 }

static const NWFilterAttrInfo mac_attrs[] = { MAC_ATTRS, A("protocolid", ETHERTYPE), END };
static const NWFilterAttrInfo vlan_attrs[] = { MAC_ATTRS, A("vlanid", UINT16), A("encap-protocol", ETHERTYPE), END };
static const NWFilterAttrInfo stp_attrs[] = {
        A("srcmacaddr", MAC), A("srcmacmask", MAC), A("type", UINT8), A("flags", UINT8),
        A("root-priority", UINT16), A("root-priority-hi", UINT16), A("root-address", MAC),
        A("root-address-mask", MAC), A("root-cost", UINT32), A("root-cost-hi", UINT32),
        A("sender-priority", UINT16), A("sender-priority-hi", UINT16), A("sender-address", MAC),
        A("sender-address-mask", MAC), A("port", UINT16), A("port-hi", UINT16), A("age", UINT16),
        A("age-hi", UINT16), A("max-age", UINT16), A("max-age-hi", UINT16), A("hello-time", UINT16),
        A("hello-time-hi", UINT16), A("forward-delay", UINT16), A("forward-delay-hi", UINT16), END,
};
static const NWFilterAttrInfo arp_attrs[] = {
        MAC_ATTRS, A("hwtype", UINT16), A("protocoltype", UINT16), A("opcode", ARP_OPCODE),
        A("arpsrcmacaddr", MAC), A("arpdstmacaddr", MAC), A("arpsrcipaddr", IPV4), A("arpsrcipmask", IPV4_MASK),
        A("arpdstipaddr", IPV4), A("arpdstipmask", IPV4_MASK), A("gratuitous", BOOLEAN), END,
};
static const NWFilterAttrInfo ip_attrs[] = {
        MAC_ATTRS, A("srcipaddr", IPV4), A("srcipmask", IPV4_MASK), A("dstipaddr", IPV4), A("dstipmask", IPV4_MASK),
        A("protocol", IP_PROTOCOL), PORTS, A("dscp", DSCP), END,
};
static const NWFilterAttrInfo ipv6_attrs[] = {
        MAC_ATTRS, A("srcipaddr", IPV6), A("srcipmask", IPV6_MASK), A("dstipaddr", IPV6), A("dstipmask", IPV6_MASK),
        A("protocol", IP_PROTOCOL), PORTS, A("type", UINT8), A("typeend", UINT8), A("code", UINT8),
        A("codeend", UINT8), A("dscp", DSCP), END,
};
static const NWFilterAttrInfo l3_ports4[] = { COMMON_L3(IPV4, IPV4_MASK), PORTS, END };
static const NWFilterAttrInfo l3_ports6[] = { COMMON_L3(IPV6, IPV6_MASK), PORTS, END };
static const NWFilterAttrInfo l3_tcp4[] = { COMMON_L3(IPV4, IPV4_MASK), PORTS, A("flags", TCP_FLAGS), A("option", UINT8), END };
static const NWFilterAttrInfo l3_tcp6[] = { COMMON_L3(IPV6, IPV6_MASK), PORTS, A("flags", TCP_FLAGS), A("option", UINT8), END };
static const NWFilterAttrInfo l3_plain4[] = { COMMON_L3(IPV4, IPV4_MASK), END };
static const NWFilterAttrInfo l3_plain6[] = { COMMON_L3(IPV6, IPV6_MASK), END };
static const NWFilterAttrInfo l3_icmp4[] = { COMMON_L3(IPV4, IPV4_MASK), A("type", UINT8), A("code", UINT8), END };
static const NWFilterAttrInfo l3_icmp6[] = { COMMON_L3(IPV6, IPV6_MASK), A("type", UINT8), A("code", UINT8), END };

static const NWFilterProtocolInfo protocols[] = {
        { "mac", NWFILTER_LAYER_L2, false, mac_attrs },
        { "vlan", NWFILTER_LAYER_L2, false, vlan_attrs },
        { "stp", NWFILTER_LAYER_L2, false, stp_attrs },
        { "arp", NWFILTER_LAYER_L2, false, arp_attrs },
        { "rarp", NWFILTER_LAYER_L2, false, arp_attrs },
        { "ip", NWFILTER_LAYER_L2, false, ip_attrs },
        { "ipv6", NWFILTER_LAYER_L2, true, ipv6_attrs },
        { "tcp", NWFILTER_LAYER_L3, false, l3_tcp4 },
        { "udp", NWFILTER_LAYER_L3, false, l3_ports4 },
        { "udplite", NWFILTER_LAYER_L3, false, l3_plain4 },
        { "sctp", NWFILTER_LAYER_L3, false, l3_ports4 },
        { "esp", NWFILTER_LAYER_L3, false, l3_plain4 },
        { "ah", NWFILTER_LAYER_L3, false, l3_plain4 },
        { "icmp", NWFILTER_LAYER_L3, false, l3_icmp4 },
        { "igmp", NWFILTER_LAYER_L3, false, l3_plain4 },
        { "all", NWFILTER_LAYER_L3, false, l3_plain4 },
        { "tcp-ipv6", NWFILTER_LAYER_L3, true, l3_tcp6 },
        { "udp-ipv6", NWFILTER_LAYER_L3, true, l3_ports6 },
        { "udplite-ipv6", NWFILTER_LAYER_L3, true, l3_plain6 },
        { "sctp-ipv6", NWFILTER_LAYER_L3, true, l3_ports6 },
        { "esp-ipv6", NWFILTER_LAYER_L3, true, l3_plain6 },
        { "ah-ipv6", NWFILTER_LAYER_L3, true, l3_plain6 },
        { "icmpv6", NWFILTER_LAYER_L3, true, l3_icmp6 },
        { "all-ipv6", NWFILTER_LAYER_L3, true, l3_plain6 },
};

const NWFilterProtocolInfo *nwfilter_protocol_lookup(const char *name) {
        for (size_t i = 0; name && i < G_N_ELEMENTS(protocols); i++)
                if (strcmp(protocols[i].name, name) == 0)
                        return &protocols[i];
        return NULL;
}

const NWFilterAttrInfo *nwfilter_protocol_attr(const NWFilterProtocolInfo *p, const char *name) {
        for (const NWFilterAttrInfo *a = p->attrs; a->name; a++)
                if (strcmp(a->name, name) == 0)
                        return a;
        return NULL;
}

/* --- values --- */

static bool parse_number(const char *s, unsigned long long max, unsigned long long *ret) {
        char *end = NULL;
        unsigned long long v;

        if (!s || !*s || *s == '-' || *s == '+' || g_ascii_isspace(*s))
                return false;
        errno = 0;
        v = g_ascii_strtoull(s, &end, (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10);
        if (errno || !end || *end || v > max)
                return false;
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !s[2])
                return false;
        if (ret)
                *ret = v;
        return true;
}

static bool check_mac(const char *s) {
        if (strlen(s) != 17)
                return false;
        for (int i = 0; i < 17; i++)
                if (i % 3 == 2 ? s[i] != ':' : !g_ascii_isxdigit(s[i]))
                        return false;
        return true;
}

static bool check_ipv4_mask(const char *s) {
        struct in_addr a;
        uint32_t m;

        if (parse_number(s, 32, NULL) && !strchr(s, 'x'))
                return true;
        if (inet_pton(AF_INET, s, &a) != 1)
                return false;
        /* a dotted mask is contiguous ones */
        m = ntohl(a.s_addr);
        return (m & (~m >> 1)) == 0 || ((~m) & ((~m) + 1)) == 0;
}

static bool check_word_list(const char *s, const char *const *words, char sep) {
        g_auto(GStrv) parts = NULL;
        char seps[2] = { sep, 0 };

        if (!*s)
                return false;
        parts = g_strsplit(s, seps, -1);
        for (char **p = parts; *p; p++)
                if (!g_strv_contains(words, *p))
                        return false;
        return true;
}

static const char *const ethertype_names[] = { "arp", "rarp", "ipv4", "ipv6", NULL };
static const char *const ip_protocol_names[] = { "tcp", "udp", "udplite", "esp", "ah", "icmp", "igmp", "sctp",
                                                  "icmpv6", "dccp", NULL };
static const char *const arp_opcode_names[] = { "Request", "Reply", "Request_Reverse", "Reply_Reverse",
                                                 "DRARP_Request", "DRARP_Reply", "DRARP_Error",
                                                 "InARP_Request", "ARP_NAK", NULL };
static const char *const state_names[] = { "NEW", "ESTABLISHED", "RELATED", "INVALID", "NONE", NULL };
static const char *const tcp_flag_names[] = { "SYN", "ACK", "URG", "PSH", "FIN", "RST", "ALL", "NONE", NULL };
static const char *const ipset_flag_names[] = { "src", "dst", NULL };

static bool value_ok(NWFilterValueType type, const char *v) {
        struct in6_addr a6;
        struct in_addr a4;
        unsigned long long n;

        switch (type) {
        case NWFILTER_VALUE_MAC:
                return check_mac(v);
        case NWFILTER_VALUE_IPV4:
                return inet_pton(AF_INET, v, &a4) == 1;
        case NWFILTER_VALUE_IPV4_MASK:
                return check_ipv4_mask(v);
        case NWFILTER_VALUE_IPV6:
                return inet_pton(AF_INET6, v, &a6) == 1;
        case NWFILTER_VALUE_IPV6_MASK:
                return (parse_number(v, 128, NULL) && !strchr(v, 'x')) || inet_pton(AF_INET6, v, &a6) == 1;
        case NWFILTER_VALUE_UINT8:
                return parse_number(v, 0xff, NULL);
        case NWFILTER_VALUE_UINT16:
                return parse_number(v, 0xffff, NULL);
        case NWFILTER_VALUE_UINT32:
                return parse_number(v, 0xffffffffULL, NULL);
        case NWFILTER_VALUE_DSCP:
                return parse_number(v, 63, NULL);
        case NWFILTER_VALUE_ETHERTYPE:
                return g_strv_contains(ethertype_names, v) || (parse_number(v, 0xffff, &n) && n >= 0x600);
        case NWFILTER_VALUE_IP_PROTOCOL:
                return g_strv_contains(ip_protocol_names, v) || parse_number(v, 0xff, NULL);
        case NWFILTER_VALUE_ARP_OPCODE:
                return g_strv_contains(arp_opcode_names, v) || parse_number(v, 0xffff, NULL);
        case NWFILTER_VALUE_STATE:
                return check_word_list(v, state_names, ',');
        case NWFILTER_VALUE_TCP_FLAGS: {
                const char *slash = strchr(v, '/');
                g_autofree char *mask = slash ? g_strndup(v, slash - v) : NULL;

                return slash && check_word_list(mask, tcp_flag_names, ',') &&
                       check_word_list(slash + 1, tcp_flag_names, ',');
        }
        case NWFILTER_VALUE_BOOLEAN:
                return g_str_equal(v, "true") || g_str_equal(v, "false") || g_str_equal(v, "1") ||
                       g_str_equal(v, "0");
        case NWFILTER_VALUE_IPSET_NAME:
                if (!*v || strlen(v) > 31)
                        return false;
                for (const char *p = v; *p; p++)
                        if (!g_ascii_isalnum(*p) && !strchr("_.:-+", *p))
                                return false;
                return true;
        case NWFILTER_VALUE_IPSET_FLAGS: {
                g_auto(GStrv) parts = g_strsplit(v, ",", -1);

                return g_strv_length(parts) <= 6 && check_word_list(v, ipset_flag_names, ',');
        }
        }
        return false;
}

bool nwfilter_value_check(const char *attr, NWFilterValueType type, const char *value, GError **error) {
        if (value_ok(type, value))
                return true;
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "%s has illegal value %s", attr, value);
        return false;
}

static bool var_name_ok(const char *s, size_t len) {
        if (len == 0)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!g_ascii_isalnum(s[i]) && s[i] != '_')
                        return false;
        return true;
}

bool nwfilter_var_ref_parse(const char *s, NWFilterVarRef *ret, GError **error) {
        const char *p = s + 1, *bracket;
        size_t len;

        memset(ret, 0, sizeof(*ret));
        ret->index = ret->iterator = -1;
        if (s[0] != '$')
                goto bad;
        bracket = strchr(p, '[');
        len = bracket ? (size_t) (bracket - p) : strlen(p);
        if (!var_name_ok(p, len))
                goto bad;
        if (bracket) {
                const char *close = strchr(bracket, ']');
                g_autofree char *inner = NULL;
                unsigned long long n;
                bool iter;

                if (!close || close[1] != '\0')
                        goto bad;
                inner = g_strndup(bracket + 1, close - bracket - 1);
                iter = inner[0] == '@';
                if (!g_ascii_isdigit(inner[iter ? 1 : 0]) || !parse_number(inner + (iter ? 1 : 0), NWFILTER_ITERATOR_MAX, &n))
                        goto bad;
                if (iter)
                        ret->iterator = (int) n;
                else
                        ret->index = (int) n;
        }
        ret->name = g_strndup(p, len);
        return true;
bad:
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "malformed variable reference '%s'", s);
        return false;
}

void nwfilter_var_ref_clear(NWFilterVarRef *ref) {
        g_clear_pointer(&ref->name, g_free);
}

/* --- objects --- */

static void attr_free(NWFilterAttr *a) {
        if (!a)
                return;
        g_free(a->value);
        g_free(a);
}

static void rule_free(NWFilterRule *r) {
        if (!r)
                return;
        g_free(r->comment);
        if (r->attrs)
                g_ptr_array_unref(r->attrs);
        g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NWFilterRule, rule_free)

static NWFilterRule *rule_new(void) {
        NWFilterRule *r = g_new0(NWFilterRule, 1);

        r->priority = NWFILTER_RULE_PRIORITY_DEFAULT;
        r->statematch = true;
        r->attrs = g_ptr_array_new_with_free_func((GDestroyNotify) attr_free);
        return r;
}

static void param_free(NWFilterParam *p) {
        if (!p)
                return;
        g_free(p->name);
        g_free(p->value);
        g_free(p);
}

void nwfilter_ref_free(NWFilterRef *ref) {
        if (!ref)
                return;
        g_free(ref->filter);
        if (ref->params)
                g_ptr_array_unref(ref->params);
        g_free(ref);
}

static NWFilterRef *ref_new(void) {
        NWFilterRef *ref = g_new0(NWFilterRef, 1);

        ref->params = g_ptr_array_new_with_free_func((GDestroyNotify) param_free);
        return ref;
}

NWFilterRef *nwfilter_ref_copy(const NWFilterRef *ref) {
        NWFilterRef *c = ref_new();

        c->filter = g_strdup(ref->filter);
        for (guint i = 0; i < ref->params->len; i++) {
                const NWFilterParam *p = g_ptr_array_index(ref->params, i);
                NWFilterParam *q = g_new0(NWFilterParam, 1);

                q->name = g_strdup(p->name);
                q->value = g_strdup(p->value);
                g_ptr_array_add(c->params, q);
        }
        return c;
}

static void entry_free(NWFilterEntry *e) {
        if (!e)
                return;
        rule_free(e->rule);
        nwfilter_ref_free(e->ref);
        g_free(e);
}

void nwfilter_def_free(NWFilterDef *def) {
        if (!def)
                return;
        g_free(def->name);
        g_free(def->chain);
        if (def->entries)
                g_ptr_array_unref(def->entries);
        g_free(def);
}

static NWFilterDef *def_new(void) {
        NWFilterDef *def = g_new0(NWFilterDef, 1);

        def->entries = g_ptr_array_new_with_free_func((GDestroyNotify) entry_free);
        return def;
}

NWFilterDef *nwfilter_def_copy(const NWFilterDef *def) {
        /* formatting is complete (the golden tests hold it to that), so a copy is a re-parse */
        g_autofree char *xml = nwfilter_def_format(def);
        NWFilterDef *c = nwfilter_def_parse_string(xml, 0, NULL);

        g_assert(c);
        return c;
}

void nwfilter_binding_def_free(NWFilterBindingDef *def) {
        if (!def)
                return;
        g_free(def->owner_name);
        g_free(def->portdev);
        g_free(def->linkdev);
        nwfilter_ref_free(def->filter);
        g_free(def);
}

NWFilterBindingDef *nwfilter_binding_def_copy(const NWFilterBindingDef *def) {
        NWFilterBindingDef *c = g_memdup2(def, sizeof(*def));

        c->owner_name = g_strdup(def->owner_name);
        c->portdev = g_strdup(def->portdev);
        c->linkdev = g_strdup(def->linkdev);
        c->filter = nwfilter_ref_copy(def->filter);
        return c;
}

/* --- chains and priorities (spec §2) --- */

static const struct {
        const char *prefix;
        int priority;
} chain_prefixes[] = {
        { "stp", -810 }, { "mac", -800 }, { "vlan", -750 }, { "ipv4", -700 },
        { "ipv6", -600 }, { "arp", -500 }, { "rarp", -400 },
};

int nwfilter_chain_default_priority(const char *chain) {
        for (size_t i = 0; i < G_N_ELEMENTS(chain_prefixes); i++)
                if (g_str_has_prefix(chain, chain_prefixes[i].prefix))
                        return chain_prefixes[i].priority;
        return 0;
}

bool nwfilter_chain_name_valid(const char *chain) {
        size_t len = strlen(chain);

        if (len == 0 || len > NWFILTER_CHAIN_NAME_MAX)
                return false;
        for (const char *p = chain; *p; p++)
                if (!g_ascii_isalnum(*p) && !strchr("_.:-", *p))
                        return false;
        if (strcmp(chain, "root") == 0)
                return true;
        for (size_t i = 0; i < G_N_ELEMENTS(chain_prefixes); i++)
                if (g_str_has_prefix(chain, chain_prefixes[i].prefix))
                        return true;
        return false;
}

/* --- parse --- */

static bool parse_int(const char *s, long *ret) {
        char *end = NULL;
        long v;

        if (!s || !*s)
                return false;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || *end)
                return false;
        *ret = v;
        return true;
}

/* A variable reference or a literal of the attribute's type. */
static bool check_attr_value(const NWFilterAttrInfo *info, const char *value, GError **error) {
        if (value[0] == '$') {
                NWFilterVarRef ref;

                if (!nwfilter_var_ref_parse(value, &ref, error))
                        return false;
                nwfilter_var_ref_clear(&ref);
                return true;
        }
        return nwfilter_value_check(info->name, info->type, value, error);
}

static bool has_ports(const NWFilterRule *r) {
        for (guint i = 0; i < r->attrs->len; i++) {
                const NWFilterAttr *a = g_ptr_array_index(r->attrs, i);

                if (g_str_has_suffix(a->info->name, "portstart") || g_str_has_suffix(a->info->name, "portend"))
                        return true;
        }
        return false;
}

static const char *rule_attr(const NWFilterRule *r, const char *name) {
        for (guint i = 0; i < r->attrs->len; i++) {
                const NWFilterAttr *a = g_ptr_array_index(r->attrs, i);

                if (strcmp(a->info->name, name) == 0)
                        return a->value;
        }
        return NULL;
}

static bool parse_protocol(NWFilterRule *r, xmlNodePtr node, GError **error) {
        const NWFilterProtocolInfo *p = nwfilter_protocol_lookup((const char *) node->name);
        g_autofree char *match = xml_prop(node, "match");

        r->protocol = p;
        if (match) {
                if (strcmp(match, "no") == 0)
                        r->match_no = true;
                else if (strcmp(match, "yes") != 0) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "match has illegal value %s", match);
                        return false;
                }
        }
        r->comment = xml_prop(node, "comment");
        /* unknown attributes are ignored, as libvirt does; known ones are kept in table order */
        for (const NWFilterAttrInfo *a = p->attrs; a->name; a++) {
                g_autofree char *v = xml_prop(node, a->name);
                NWFilterAttr *attr;

                if (!v)
                        continue;
                g_strstrip(v);
                if (!check_attr_value(a, v, error))
                        return false;
                attr = g_new0(NWFilterAttr, 1);
                attr->info = a;
                attr->value = g_steal_pointer(&v);
                g_ptr_array_add(r->attrs, attr);
        }
        if ((strcmp(p->name, "ip") == 0 || strcmp(p->name, "ipv6") == 0) && has_ports(r)) {
                const char *proto = rule_attr(r, "protocol");

                if (!proto || (proto[0] != '$' && !g_strv_contains((const char *const[]) { "tcp", "udp", "dccp",
                                                                                           "sctp", "6", "17", "33",
                                                                                           "132", NULL },
                                                                   proto))) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "%s rule with port attributes needs protocol tcp, udp, dccp or sctp (has %s)",
                                    p->name, proto ? proto : "none");
                        return false;
                }
        }
        return true;
}

static NWFilterRule *parse_rule(xmlNodePtr node, GError **error) {
        g_autoptr(NWFilterRule) r = rule_new();
        g_autofree char *action = xml_prop(node, "action");
        g_autofree char *direction = xml_prop(node, "direction");
        g_autofree char *priority = xml_prop(node, "priority");
        g_autofree char *statematch = xml_prop(node, "statematch");
        int v;

        v = nwfilter_action_from_string(action);
        if (v < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, action ? "unknown rule action '%s'"
                                                                          : "rule without an action%s", action ? action : "");
                return NULL;
        }
        r->action = v;
        v = nwfilter_direction_from_string(direction);
        if (v < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, direction ? "unknown rule direction '%s'"
                                                                                : "rule without a direction%s",
                            direction ? direction : "");
                return NULL;
        }
        r->direction = v;
        if (priority) {
                long p;

                if (!parse_int(priority, &p)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "priority has illegal value %s", priority);
                        return NULL;
                }
                /* spec §2: out of range is silently the default, as in libvirt */
                r->priority = (p < NWFILTER_PRIORITY_MIN || p > NWFILTER_PRIORITY_MAX) ? NWFILTER_RULE_PRIORITY_DEFAULT
                                                                                       : (int) p;
        }
        if (statematch && (strcmp(statematch, "false") == 0 || strcmp(statematch, "0") == 0))
                r->statematch = false;
        xml_foreach_child(child, node) {
                if (!nwfilter_protocol_lookup((const char *) child->name))
                        continue;
                if (!parse_protocol(r, child, error))
                        return NULL;
                break;   /* the first protocol element decides */
        }
        return g_steal_pointer(&r);
}

static bool param_name_ok(const char *s) {
        return s && var_name_ok(s, strlen(s));
}

static bool param_value_ok(const char *s) {
        if (!s || !*s)
                return false;
        for (const char *p = s; *p; p++)
                if (!g_ascii_isalnum(*p) && !strchr("_.:", *p))
                        return false;
        return true;
}

static NWFilterRef *parse_ref(xmlNodePtr node, GError **error) {
        g_autoptr(NWFilterRef) ref = ref_new();

        ref->filter = xml_prop(node, "filter");
        if (!ref->filter || !*ref->filter) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "filterref without a filter attribute");
                return NULL;
        }
        xml_foreach_child(child, node) {
                NWFilterParam *p;

                if (!xml_is(child, "parameter"))
                        continue;
                p = g_new0(NWFilterParam, 1);
                p->name = xml_prop(child, "name");
                p->value = xml_prop(child, "value");
                g_ptr_array_add(ref->params, p);
                if (!param_name_ok(p->name)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "malformed parameter name '%s'",
                                    p->name ? p->name : "");
                        return NULL;
                }
                if (!param_value_ok(p->value)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                                    "malformed value '%s' of parameter %s", p->value ? p->value : "", p->name);
                        return NULL;
                }
        }
        return g_steal_pointer(&ref);
}

static bool parse_uuid_child(xmlNodePtr root, char uuid[37], bool generate, const char *what, GError **error) {
        g_autofree char *raw = xml_child_text(root, "uuid");
        g_autofree char *s = raw ? g_strstrip(g_strdup(raw)) : NULL;

        if (!s || !*s) {
                if (!generate) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "%s uuid is missing", what);
                        return false;
                }
                vmmd_uuid_generate(uuid);
                return true;
        }
        if (!vmmd_uuid_parse(s, uuid)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "malformed %s uuid '%s'", what, s);
                return false;
        }
        return true;
}

static NWFilterDef *parse_filter(xmlNodePtr root, GError **error) {
        g_autoptr(NWFilterDef) def = def_new();
        g_autofree char *chain = xml_prop(root, "chain");
        g_autofree char *priority = xml_prop(root, "priority");

        def->name = xml_prop(root, "name");
        if (!def->name || !*def->name) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "filter has no name");
                return NULL;
        }
        if (!parse_uuid_child(root, def->uuid, true, "filter", error))
                return NULL;
        if (priority) {
                long p;

                if (!parse_int(priority, &p) || p < NWFILTER_PRIORITY_MIN || p > NWFILTER_PRIORITY_MAX) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                                    "filter priority '%s' is not an integer in %d..%d", priority,
                                    NWFILTER_PRIORITY_MIN, NWFILTER_PRIORITY_MAX);
                        return NULL;
                }
                def->priority = (int) p;
        }
        if (chain) {
                if (!nwfilter_chain_name_valid(chain)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                                    "Invalid chain name '%s': at most %d characters of [A-Za-z0-9_.:-], 'root' or "
                                    "starting with mac, vlan, stp, arp, rarp, ipv4 or ipv6",
                                    chain, NWFILTER_CHAIN_NAME_MAX);
                        return NULL;
                }
                def->chain = g_steal_pointer(&chain);
                if (!priority)
                        def->priority = nwfilter_chain_default_priority(def->chain);
        } else {
                /* spec W8: without chain= a priority is dropped, as in libvirt */
                def->chain = g_strdup("root");
                def->priority = 0;
        }
        xml_foreach_child(child, root) {
                NWFilterEntry *e;

                if (xml_is(child, "rule")) {
                        NWFilterRule *r = parse_rule(child, error);

                        if (!r)
                                return NULL;
                        e = g_new0(NWFilterEntry, 1);
                        e->rule = r;
                        g_ptr_array_add(def->entries, e);
                } else if (xml_is(child, "filterref")) {
                        NWFilterRef *ref = parse_ref(child, error);

                        if (!ref)
                                return NULL;
                        e = g_new0(NWFilterEntry, 1);
                        e->ref = ref;
                        g_ptr_array_add(def->entries, e);
                }
        }
        return g_steal_pointer(&def);
}

static bool check_flags(unsigned flags, unsigned allowed, GError **error) {
        if (flags & ~allowed) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "unsupported flags (0x%x)", flags & ~allowed);
                return false;
        }
        return true;
}

NWFilterDef *nwfilter_def_parse_string(const char *xml, unsigned flags, GError **error) {
        g_autoptr(xmlDoc) doc = NULL;

        if (!check_flags(flags, NWFILTER_DEF_PARSE_VALIDATE, error))
                return NULL;
        doc = xml_doc_read(xml, "filter", VMMD_ERROR_XML_ERROR, error);
        if (!doc)
                return NULL;
        if ((flags & NWFILTER_DEF_PARSE_VALIDATE) && !xml_doc_validate(doc, "nwfilter.rng", error))
                return NULL;
        return parse_filter(xmlDocGetRootElement(doc), error);
}

static bool parse_mac(const char *s, char out[18]) {
        if (!s || !check_mac(s))
                return false;
        for (int i = 0; i < 17; i++)
                out[i] = g_ascii_tolower(s[i]);
        out[17] = '\0';
        return true;
}

static char *child_prop(xmlNodePtr root, const char *element, const char *attr) {
        xmlNodePtr n = xml_child(root, element);
        char *v = n ? xml_prop(n, attr) : NULL;

        if (v && !*g_strstrip(v))
                g_clear_pointer(&v, g_free);
        return v;
}

static NWFilterBindingDef *parse_binding(xmlNodePtr root, GError **error) {
        g_autoptr(NWFilterBindingDef) def = g_new0(NWFilterBindingDef, 1);
        xmlNodePtr owner = xml_child(root, "owner");
        xmlNodePtr ref = xml_child(root, "filterref");
        g_autofree char *mac = child_prop(root, "mac", "address");

        def->owner_name = owner ? xml_child_text(owner, "name") : NULL;
        if (def->owner_name)
                g_strstrip(def->owner_name);
        if (!def->owner_name || !*def->owner_name) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "filter binding has no owner name");
                return NULL;
        }
        if (!parse_uuid_child(owner, def->owner_uuid, false, "owner", error))
                return NULL;
        def->portdev = child_prop(root, "portdev", "name");
        if (!def->portdev) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "filter binding has no portdev name");
                return NULL;
        }
        /* it becomes a nft chain name and a path element: an interface name and nothing else */
        if (strlen(def->portdev) >= 16 || strchr(def->portdev, '/') || strchr(def->portdev, '"') ||
            strcmp(def->portdev, ".") == 0 || strcmp(def->portdev, "..") == 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "portdev name '%s' is not an interface name",
                            def->portdev);
                return NULL;
        }
        for (const char *p = def->portdev; *p; p++)
                if (!g_ascii_isgraph(*p)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                    "portdev name '%s' is not an interface name", def->portdev);
                        return NULL;
                }
        def->linkdev = child_prop(root, "linkdev", "name");
        if (!mac) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "filter binding has no mac address");
                return NULL;
        }
        if (!parse_mac(mac, def->mac)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "malformed mac address '%s'", mac);
                return NULL;
        }
        if (!ref) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "filter binding has no filterref");
                return NULL;
        }
        def->filter = parse_ref(ref, error);
        if (!def->filter)
                return NULL;
        return g_steal_pointer(&def);
}

NWFilterBindingDef *nwfilter_binding_def_parse_string(const char *xml, unsigned flags, GError **error) {
        g_autoptr(xmlDoc) doc = NULL;

        if (!check_flags(flags, NWFILTER_BINDING_PARSE_VALIDATE, error))
                return NULL;
        doc = xml_doc_read(xml, "filterbinding", VMMD_ERROR_XML_ERROR, error);
        if (!doc)
                return NULL;
        if ((flags & NWFILTER_BINDING_PARSE_VALIDATE) && !xml_doc_validate(doc, "nwfilterbinding.rng", error))
                return NULL;
        return parse_binding(xmlDocGetRootElement(doc), error);
}

/* --- format --- */

static void format_ref(XmlBuf *buf, const NWFilterRef *ref) {
        g_auto(XmlBuf) body = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);

        xml_buf_init_child(&body, buf);
        xml_attr(attrs, "filter", ref->filter);
        for (guint i = 0; i < ref->params->len; i++) {
                const NWFilterParam *p = g_ptr_array_index(ref->params, i);
                g_autoptr(GString) a = g_string_new(NULL);

                xml_attr(a, "name", p->name);
                xml_attr(a, "value", p->value);
                xml_element_empty(&body, "parameter", a);
        }
        if (body.str->len)
                xml_element(buf, "filterref", attrs, &body);
        else
                xml_element_empty(buf, "filterref", attrs);
}

static void format_rule(XmlBuf *buf, const NWFilterRule *r) {
        g_auto(XmlBuf) body = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);

        xml_buf_init_child(&body, buf);
        xml_attr(attrs, "action", nwfilter_action_to_string(r->action));
        xml_attr(attrs, "direction", nwfilter_direction_to_string(r->direction));
        xml_attr_printf(attrs, "priority", "%d", r->priority);
        if (!r->statematch)
                xml_attr(attrs, "statematch", "false");
        if (r->protocol) {
                g_autoptr(GString) pa = g_string_new(NULL);

                if (r->match_no)
                        xml_attr(pa, "match", "no");
                for (guint i = 0; i < r->attrs->len; i++) {
                        const NWFilterAttr *a = g_ptr_array_index(r->attrs, i);

                        xml_attr(pa, a->info->name, a->value);
                }
                xml_attr(pa, "comment", r->comment);
                xml_element_empty(&body, r->protocol->name, pa);
        }
        if (body.str->len)
                xml_element(buf, "rule", attrs, &body);
        else
                xml_element_empty(buf, "rule", attrs);
}

char *nwfilter_def_format(const NWFilterDef *def) {
        g_auto(XmlBuf) top = { 0 };
        g_auto(XmlBuf) body = { 0 };
        g_autoptr(GString) attrs = g_string_new(NULL);

        xml_buf_init(&top, 0);
        xml_buf_init_child(&body, &top);
        xml_attr(attrs, "name", def->name);
        xml_attr(attrs, "chain", def->chain);
        if (def->priority != 0)
                xml_attr_printf(attrs, "priority", "%d", def->priority);
        xml_element_text(&body, "uuid", NULL, def->uuid);
        for (guint i = 0; i < def->entries->len; i++) {
                const NWFilterEntry *e = g_ptr_array_index(def->entries, i);

                if (e->rule)
                        format_rule(&body, e->rule);
                else
                        format_ref(&body, e->ref);
        }
        xml_element(&top, "filter", attrs, &body);
        return g_string_free(g_steal_pointer(&top.str), FALSE);
}

char *nwfilter_binding_def_format(const NWFilterBindingDef *def) {
        g_auto(XmlBuf) top = { 0 };
        g_auto(XmlBuf) body = { 0 };
        g_auto(XmlBuf) owner = { 0 };
        g_autoptr(GString) a = NULL;

        xml_buf_init(&top, 0);
        xml_buf_init_child(&body, &top);
        xml_buf_init_child(&owner, &body);
        xml_element_text(&owner, "name", NULL, def->owner_name);
        xml_element_text(&owner, "uuid", NULL, def->owner_uuid);
        xml_element(&body, "owner", NULL, &owner);
        a = g_string_new(NULL);
        xml_attr(a, "name", def->portdev);
        xml_element_empty(&body, "portdev", a);
        if (def->linkdev) {
                g_string_truncate(a, 0);
                xml_attr(a, "name", def->linkdev);
                xml_element_empty(&body, "linkdev", a);
        }
        g_string_truncate(a, 0);
        xml_attr(a, "address", def->mac);
        xml_element_empty(&body, "mac", a);
        format_ref(&body, def->filter);
        xml_element(&top, "filterbinding", NULL, &body);
        return g_string_free(g_steal_pointer(&top.str), FALSE);
}
