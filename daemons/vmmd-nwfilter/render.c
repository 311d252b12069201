/* The nwfilter renderer: expands a binding's filter tree with its variables and writes nftables bridge-family rules (spec §8). */
#include "render.h"
#include "error.h"

#include <arpa/inet.h>
#include <string.h>

#define T "bridge " NWFILTER_NFT_TABLE

/* --- objects --- */

static void port_chain_free(PortChain *c) {
        if (!c)
                return;
        g_free(c->name);
        g_ptr_array_unref(c->rules);
        g_free(c);
}

/* nft 1.0.6 takes no quoted chain names, and its bare identifiers are letters, digits, '_', '-',
 * '.' and '/', starting with a letter or '_'. Filter chains may hold ':' and interface names
 * may start with a digit, so anything else is written as .xx (hex), '.' included, which keeps
 * distinct names distinct; a name that does not start with a letter gets a leading '_'. */
static char *nft_ident(const char *s) {
        GString *out = g_string_new(NULL);

        if (!g_ascii_isalpha(s[0]))
                g_string_append_c(out, '_');
        for (const char *p = s; *p; p++) {
                if (g_ascii_isalnum(*p) || *p == '_' || *p == '-')
                        g_string_append_c(out, *p);
                else
                        g_string_append_printf(out, ".%02x", (unsigned char) *p);
        }
        return g_string_free(out, FALSE);
}

static PortChain *port_chain_new(char *name) {
        PortChain *c = g_new0(PortChain, 1);

        c->name = nft_ident(name);
        g_free(name);
        c->rules = g_ptr_array_new_with_free_func(g_free);
        return c;
}

static void port_element_free(PortElement *e) {
        if (!e)
                return;
        g_free(e->chain);
        g_free(e);
}

static PortRules *port_rules_new(const char *portdev, PortRulesKind kind) {
        PortRules *p = g_new0(PortRules, 1);

        p->portdev = g_strdup(portdev);
        p->kind = kind;
        p->chains = g_ptr_array_new_with_free_func((GDestroyNotify) port_chain_free);
        p->elements = g_ptr_array_new_with_free_func((GDestroyNotify) port_element_free);
        return p;
}

void port_rules_free(PortRules *p) {
        if (!p)
                return;
        g_free(p->portdev);
        g_ptr_array_unref(p->chains);
        g_ptr_array_unref(p->elements);
        g_free(p);
}

static void add_element(PortRules *p, const char *map, const char *chain) {
        PortElement *e = g_new0(PortElement, 1);

        e->map = map;
        e->chain = nft_ident(chain);
        g_ptr_array_add(p->elements, e);
}

/* --- the expanded tree --- */

/* A rule as met in the depth-first walk, with the variables in force where it sits. */
typedef struct {
        const NWFilterRule *rule;
        const char *chain;             /* its filter's chain */
        int chain_priority;            /* its filter's priority */
        GHashTable *vars;              /* name → GPtrArray of char* (borrowed from the walk's envs) */
} TreeRule;

typedef struct {
        NWFilterLookupFunc lookup;
        void *userdata;
        GPtrArray *rules;              /* TreeRule* */
        GPtrArray *envs;               /* every env made during the walk, freed at the end */
        GPtrArray *stack;              /* filter names being expanded: loop detection */
        /* the first filter seen for each sub-chain fixes its priority (W19) */
        GHashTable *chain_priorities;  /* chain name → GINT_TO_POINTER(priority + 1) */
} Walk;

static GHashTable *env_new(void) {
        return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
}

static GHashTable *env_copy(GHashTable *env) {
        GHashTable *c = env_new();
        GHashTableIter it;
        gpointer k, v;

        g_hash_table_iter_init(&it, env);
        while (g_hash_table_iter_next(&it, &k, &v))
                g_hash_table_insert(c, g_strdup(k), g_ptr_array_ref(v));
        return c;
}

/* Adds a filterref's parameters, but only for names not set already (W11: inherited values win). */
static void env_fill(GHashTable *env, const NWFilterRef *ref) {
        g_autoptr(GHashTable) fresh = g_hash_table_new(g_str_hash, g_str_equal);

        for (guint i = 0; i < ref->params->len; i++) {
                const NWFilterParam *p = g_ptr_array_index(ref->params, i);
                GPtrArray *list;

                if (g_hash_table_contains(env, p->name) && !g_hash_table_contains(fresh, p->name))
                        continue;
                list = g_hash_table_lookup(env, p->name);
                if (!list) {
                        list = g_ptr_array_new_with_free_func(g_free);
                        g_hash_table_insert(env, g_strdup(p->name), list);
                        g_hash_table_add(fresh, p->name);
                }
                g_ptr_array_add(list, g_strdup(p->value));
        }
}

static bool walk_filter(Walk *w, const NWFilterDef *def, GHashTable *env, GError **error) {
        if (!g_hash_table_contains(w->chain_priorities, def->chain))
                g_hash_table_insert(w->chain_priorities, def->chain, GINT_TO_POINTER(def->priority + 1));
        g_ptr_array_add(w->stack, def->name);
        for (guint i = 0; i < def->entries->len; i++) {
                const NWFilterEntry *e = g_ptr_array_index(def->entries, i);
                const NWFilterDef *child;
                GHashTable *child_env;

                if (e->rule) {
                        TreeRule *r = g_new0(TreeRule, 1);

                        r->rule = e->rule;
                        r->chain = def->chain;
                        r->chain_priority = def->priority;
                        r->vars = env;
                        g_ptr_array_add(w->rules, r);
                        continue;
                }
                child = w->lookup(w->userdata, e->ref->filter);
                if (!child) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_NWFILTER, "referenced filter '%s' is missing",
                                    e->ref->filter);
                        return false;
                }
                for (guint j = 0; j < w->stack->len; j++)
                        if (strcmp(g_ptr_array_index(w->stack, j), child->name) == 0) {
                                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                            "filter '%s' references itself through '%s': a loop", child->name,
                                            def->name);
                                return false;
                        }
                child_env = env_copy(env);
                g_ptr_array_add(w->envs, child_env);
                env_fill(child_env, e->ref);
                if (!walk_filter(w, child, child_env, error))
                        return false;
        }
        g_ptr_array_remove_index(w->stack, w->stack->len - 1);
        return true;
}

/* --- variables: one tree rule becomes k concrete rules (W22) --- */

typedef struct {
        const NWFilterAttr *attr;
        NWFilterVarRef ref;            /* name NULL for a literal */
} AttrUse;

typedef struct {
        char *key;                     /* "V" for $V, "@k" for $V[@k] */
        guint len;
} Dimension;

static void dimension_free(Dimension *d) {
        g_free(d->key);
        g_free(d);
}

static char *dimension_key(const NWFilterVarRef *ref) {
        return ref->iterator >= 0 ? g_strdup_printf("@%d", ref->iterator) : g_strdup(ref->name);
}

/* Concrete attribute values: name → value (borrowed). */
typedef GHashTable Values;

/* Expands r into the list of Values it stands for; names of missing variables go to missing. */
static GPtrArray *expand_rule(const TreeRule *r, GHashTable *missing, GError **error) {
        g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify) g_hash_table_unref);
        g_autoptr(GPtrArray) dims = g_ptr_array_new_with_free_func((GDestroyNotify) dimension_free);
        g_autofree AttrUse *uses = g_new0(AttrUse, r->rule->attrs->len + 1);
        g_autofree guint *pos = NULL;
        guint n = r->rule->attrs->len;
        bool unresolved = false;

        for (guint i = 0; i < n; i++) {
                const NWFilterAttr *a = g_ptr_array_index(r->rule->attrs, i);
                GPtrArray *list;

                uses[i].attr = a;
                if (a->value[0] != '$')
                        continue;
                if (!nwfilter_var_ref_parse(a->value, &uses[i].ref, error))
                        goto fail;
                list = g_hash_table_lookup(r->vars, uses[i].ref.name);
                if (!list || (uses[i].ref.index >= 0 && (guint) uses[i].ref.index >= list->len)) {
                        g_hash_table_add(missing, g_strdup(uses[i].ref.name));
                        unresolved = true;
                        continue;
                }
                if (uses[i].ref.index < 0) {
                        g_autofree char *key = dimension_key(&uses[i].ref);
                        guint d;

                        for (d = 0; d < dims->len; d++) {
                                Dimension *dim = g_ptr_array_index(dims, d);

                                if (strcmp(dim->key, key) == 0) {
                                        if (dim->len != list->len) {
                                                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                                                            "Cardinality of list items must be the same for "
                                                            "processing them in parallel (%s)", a->value);
                                                goto fail;
                                        }
                                        break;
                                }
                        }
                        if (d == dims->len) {
                                Dimension *dim = g_new0(Dimension, 1);

                                dim->key = g_steal_pointer(&key);
                                dim->len = list->len;
                                g_ptr_array_add(dims, dim);
                        }
                }
        }
        if (unresolved)
                goto done;
        /* an odometer over the dimensions, the first one outermost */
        pos = g_new0(guint, dims->len + 1);
        for (;;) {
                Values *v = g_hash_table_new(g_str_hash, g_str_equal);

                for (guint i = 0; i < n; i++) {
                        const char *value = uses[i].attr->value;

                        if (uses[i].ref.name) {
                                GPtrArray *list = g_hash_table_lookup(r->vars, uses[i].ref.name);
                                guint idx = 0;

                                if (uses[i].ref.index >= 0)
                                        idx = uses[i].ref.index;
                                else {
                                        g_autofree char *key = dimension_key(&uses[i].ref);

                                        for (guint d = 0; d < dims->len; d++)
                                                if (strcmp(((Dimension *) g_ptr_array_index(dims, d))->key, key) == 0)
                                                        idx = pos[d];
                                }
                                value = g_ptr_array_index(list, idx);
                        }
                        g_hash_table_insert(v, (gpointer) uses[i].attr->info->name, (gpointer) value);
                }
                g_ptr_array_add(out, v);
                {
                        int d = (int) dims->len - 1;

                        for (; d >= 0; d--) {
                                if (++pos[d] < ((Dimension *) g_ptr_array_index(dims, d))->len)
                                        break;
                                pos[d] = 0;
                        }
                        if (d < 0)
                                break;
                }
        }
done:
        for (guint i = 0; i < n; i++)
                nwfilter_var_ref_clear(&uses[i].ref);
        return g_steal_pointer(&out);
fail:
        for (guint i = 0; i < n; i++)
                nwfilter_var_ref_clear(&uses[i].ref);
        return NULL;
}

/* --- nft text for one concrete rule --- */

typedef enum { TO_GUEST, FROM_GUEST } Side;

typedef struct {
        GString *s;
        bool negate;
} Match;

static void m_add(Match *m, const char *left, const char *right) {
        g_string_append_printf(m->s, "%s%s %s%s", m->s->len ? " " : "", left, m->negate ? "!= " : "", right);
}

static void m_raw(Match *m, const char *text) {
        g_string_append_printf(m->s, "%s%s", m->s->len ? " " : "", text);
}

/* src ↔ dst for the swapped placement (W18, W21) */
static const char *swap_name(const char *name, bool swap) {
        static const char *const pairs[][2] = {
                { "srcmacaddr", "dstmacaddr" }, { "srcmacmask", "dstmacmask" },
                { "srcipaddr", "dstipaddr" }, { "srcipmask", "dstipmask" },
                { "srcipfrom", "dstipfrom" }, { "srcipto", "dstipto" },
                { "srcportstart", "dstportstart" }, { "srcportend", "dstportend" },
                { "arpsrcmacaddr", "arpdstmacaddr" }, { "arpsrcipaddr", "arpdstipaddr" },
                { "arpsrcipmask", "arpdstipmask" },
        };

        if (!swap)
                return name;
        for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++) {
                if (strcmp(pairs[i][0], name) == 0)
                        return pairs[i][1];
                if (strcmp(pairs[i][1], name) == 0)
                        return pairs[i][0];
        }
        return name;
}

typedef struct {
        Values *v;
        bool swap;
} Get;

/* The value that lands on the field `name` after the swap. */
static const char *get(const Get *g, const char *name) {
        return g_hash_table_lookup(g->v, swap_name(name, g->swap));
}

static int mask_prefix(const char *mask, bool ipv6) {
        unsigned char buf[16];
        int bits = 0;

        if (!strchr(mask, '.') && !strchr(mask, ':'))
                return atoi(mask);
        if (inet_pton(ipv6 ? AF_INET6 : AF_INET, mask, buf) != 1)
                return ipv6 ? 128 : 32;
        for (int i = 0; i < (ipv6 ? 16 : 4); i++)
                for (int b = 7; b >= 0; b--)
                        if (buf[i] & (1 << b))
                                bits++;
        return bits;
}

static char *lower(const char *s) {
        return g_ascii_strdown(s, -1);
}

static void match_mac(Match *m, const char *field, const char *addr, const char *mask) {
        g_autofree char *a = lower(addr);

        if (mask && g_ascii_strcasecmp(mask, "ff:ff:ff:ff:ff:ff") != 0) {
                g_autofree char *mk = lower(mask);
                g_autofree char *left = g_strdup_printf("%s & %s", field, mk);
                g_autofree char *right = NULL;
                unsigned am[6], mm[6];

                /* compare the masked address: nft wants the right side already masked */
                sscanf(a, "%x:%x:%x:%x:%x:%x", &am[0], &am[1], &am[2], &am[3], &am[4], &am[5]);
                sscanf(mk, "%x:%x:%x:%x:%x:%x", &mm[0], &mm[1], &mm[2], &mm[3], &mm[4], &mm[5]);
                right = g_strdup_printf("%02x:%02x:%02x:%02x:%02x:%02x", am[0] & mm[0], am[1] & mm[1],
                                        am[2] & mm[2], am[3] & mm[3], am[4] & mm[4], am[5] & mm[5]);
                m_add(m, left, right);
                return;
        }
        m_add(m, field, a);
}

static void match_ip(Match *m, const char *field, const char *addr, const char *mask, bool ipv6) {
        int full = ipv6 ? 128 : 32;
        int prefix = mask ? mask_prefix(mask, ipv6) : full;

        if (prefix < full) {
                g_autofree char *v = g_strdup_printf("%s/%d", addr, prefix);
                m_add(m, field, v);
        } else
                m_add(m, field, addr);
}

static void match_range(Match *m, const char *field, const char *start, const char *end) {
        if (!start && !end)
                return;
        if (!start)
                start = "0";
        if (end && strcmp(end, start) != 0) {
                g_autofree char *v = g_strdup_printf("%s-%s", start, end);
                m_add(m, field, v);
        } else
                m_add(m, field, start);
}

static const char *ethertype(const char *v, char buf[16]) {
        if (strcmp(v, "ipv4") == 0)
                return "ip";
        if (strcmp(v, "ipv6") == 0)
                return "ip6";
        if (strcmp(v, "arp") == 0)
                return "arp";
        if (strcmp(v, "rarp") == 0)
                return "0x8035";
        g_snprintf(buf, 16, "0x%04llx", (unsigned long long) g_ascii_strtoull(v, NULL, 0));
        return buf;
}

static const char *arp_opcode(const char *v, char buf[16]) {
        static const char *const names[] = { "Request", "Reply", "Request_Reverse", "Reply_Reverse",
                                             "DRARP_Request", "DRARP_Reply", "DRARP_Error", "InARP_Request",
                                             "ARP_NAK" };
        /* the numbers of RFC 826, 903, 1931, 2390 and 1577 */
        static const int numbers[] = { 1, 2, 3, 4, 5, 6, 7, 8, 10 };

        for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
                if (strcmp(names[i], v) == 0) {
                        g_snprintf(buf, 16, "%d", numbers[i]);
                        return buf;
                }
        g_snprintf(buf, 16, "%llu", (unsigned long long) g_ascii_strtoull(v, NULL, 0));
        return buf;
}

/* nft's names for the ARP operations it knows (W25: `arp operation request`), else the number */
static const char *arp_operation(const char *v, char buf[16]) {
        static const char *const map[][2] = { { "Request", "request" }, { "Reply", "reply" },
                                              { "Request_Reverse", "rrequest" }, { "Reply_Reverse", "rreply" },
                                              { "InARP_Request", "inrequest" }, { "ARP_NAK", "nak" } };

        for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
                if (strcmp(map[i][0], v) == 0)
                        return map[i][1];
        return arp_opcode(v, buf);
}

static const char *ip_proto_name(const char *v) {
        static const char *const map[][2] = { { "6", "tcp" }, { "17", "udp" }, { "132", "sctp" }, { "33", "dccp" },
                                              { "1", "icmp" }, { "58", "icmpv6" }, { "2", "igmp" },
                                              { "136", "udplite" }, { "50", "esp" }, { "51", "ah" } };

        for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
                if (strcmp(map[i][0], v) == 0)
                        return map[i][1];
        return v;
}

static char *num_str(const char *v) {
        return g_strdup_printf("%llu", (unsigned long long) g_ascii_strtoull(v, NULL, 0));
}

static void mac_attrs(Match *m, const Get *g) {
        if (get(g, "srcmacaddr"))
                match_mac(m, "ether saddr", get(g, "srcmacaddr"), get(g, "srcmacmask"));
        if (get(g, "dstmacaddr"))
                match_mac(m, "ether daddr", get(g, "dstmacaddr"), get(g, "dstmacmask"));
}

static void ports(Match *m, const Get *g, const char *proto) {
        g_autofree char *sp = g_strdup_printf("%s sport", proto);
        g_autofree char *dp = g_strdup_printf("%s dport", proto);

        match_range(m, sp, get(g, "srcportstart"), get(g, "srcportend"));
        match_range(m, dp, get(g, "dstportstart"), get(g, "dstportend"));
}

/* A raw 32-bit IPv4 match on the ARP header (rarp and gratuitous ARP, W25). */
static void raw_ipv4(Match *m, int offset, const char *addr) {
        struct in_addr a;
        g_autofree char *left = g_strdup_printf("@nh,%d,32", offset);
        g_autofree char *right = NULL;

        inet_pton(AF_INET, addr, &a);
        right = g_strdup_printf("0x%08x", ntohl(a.s_addr));
        m_add(m, left, right);
}

static void raw_mac(Match *m, int offset, const char *mac) {
        g_autofree char *left = g_strdup_printf("@nh,%d,48", offset);
        g_autofree char *hex = g_strdelimit(lower(mac), ":", ' ');
        g_autoptr(GString) right = g_string_new("0x");

        for (char *p = hex; *p; p++)
                if (*p != ' ')
                        g_string_append_c(right, *p);
        m_add(m, left, right->str);
}

static bool l2_match(Match *m, const NWFilterProtocolInfo *p, const Get *g, GError **error) {
        const char *name = p ? p->name : NULL;
        char buf[16];

        if (!p)
                return true;
        if (strcmp(name, "stp") == 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_SUPPORT, "rendering stp rules is not supported yet");
                return false;
        }
        if (strcmp(name, "mac") == 0) {
                mac_attrs(m, g);
                if (get(g, "protocolid"))
                        m_add(m, "ether type", ethertype(get(g, "protocolid"), buf));
                return true;
        }
        if (strcmp(name, "vlan") == 0) {
                m_raw(m, "ether type vlan");
                mac_attrs(m, g);
                if (get(g, "vlanid")) {
                        g_autofree char *n = num_str(get(g, "vlanid"));
                        m_add(m, "vlan id", n);
                }
                if (get(g, "encap-protocol"))
                        m_add(m, "vlan type", ethertype(get(g, "encap-protocol"), buf));
                return true;
        }
        if (strcmp(name, "arp") == 0 || strcmp(name, "rarp") == 0) {
                bool rarp = name[0] == 'r';
                const char *v;

                /* nft's arp expressions imply ether type arp; RARP uses the same header, read raw */
                m_raw(m, rarp ? "ether type 0x8035" : "ether type arp");
                mac_attrs(m, g);
                if ((v = get(g, "hwtype"))) {
                        g_autofree char *n = num_str(v);
                        m_add(m, rarp ? "@nh,0,16" : "arp htype", n);
                }
                if ((v = get(g, "protocoltype"))) {
                        g_autofree char *n = num_str(v);
                        m_add(m, rarp ? "@nh,16,16" : "arp ptype", n);
                }
                if ((v = get(g, "opcode")))
                        m_add(m, rarp ? "@nh,48,16" : "arp operation", rarp ? arp_opcode(v, buf) : arp_operation(v, buf));
                if ((v = get(g, "arpsrcmacaddr"))) {
                        g_autofree char *l = lower(v);
                        if (rarp)
                                raw_mac(m, 64, v);
                        else
                                m_add(m, "arp saddr ether", l);
                }
                if ((v = get(g, "arpdstmacaddr"))) {
                        g_autofree char *l = lower(v);
                        if (rarp)
                                raw_mac(m, 144, v);
                        else
                                m_add(m, "arp daddr ether", l);
                }
                if ((v = get(g, "arpsrcipaddr"))) {
                        if (rarp)
                                raw_ipv4(m, 112, v);
                        else
                                match_ip(m, "arp saddr ip", v, get(g, "arpsrcipmask"), false);
                }
                if ((v = get(g, "arpdstipaddr"))) {
                        if (rarp)
                                raw_ipv4(m, 192, v);
                        else
                                match_ip(m, "arp daddr ip", v, get(g, "arpdstipmask"), false);
                }
                v = get(g, "gratuitous");
                if (v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)) {
                        /* nft cannot compare two header fields: a gratuitous ARP is one whose target
                         * IP is its sender IP, which we can match when the sender IP is known */
                        const char *src = get(g, "arpsrcipaddr");

                        if (!src) {
                                g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_SUPPORT,
                                            "gratuitous='true' needs arpsrcipaddr to be rendered");
                                return false;
                        }
                        raw_ipv4(m, 192, src);
                }
                return true;
        }
        /* ip and ipv6 */
        {
                bool v6 = p->ipv6;
                const char *fam = v6 ? "ip6" : "ip";
                const char *proto = get(g, "protocol");
                g_autofree char *sa = g_strdup_printf("%s saddr", fam);
                g_autofree char *da = g_strdup_printf("%s daddr", fam);

                m_raw(m, v6 ? "ether type ip6" : "ether type ip");
                mac_attrs(m, g);
                if (get(g, "srcipaddr"))
                        match_ip(m, sa, get(g, "srcipaddr"), get(g, "srcipmask"), v6);
                if (get(g, "dstipaddr"))
                        match_ip(m, da, get(g, "dstipaddr"), get(g, "dstipmask"), v6);
                if (proto)
                        m_add(m, v6 ? "ip6 nexthdr" : "ip protocol", ip_proto_name(proto));
                if (proto)
                        ports(m, g, ip_proto_name(proto));
                if (v6 && (get(g, "type") || get(g, "code"))) {
                        match_range(m, "icmpv6 type", get(g, "type"), get(g, "typeend"));
                        match_range(m, "icmpv6 code", get(g, "code"), get(g, "codeend"));
                }
                if (get(g, "dscp")) {
                        g_autofree char *n = num_str(get(g, "dscp"));
                        m_add(m, v6 ? "ip6 dscp" : "ip dscp", n);
                }
                return true;
        }
}

static char *states(const char *v) {
        g_auto(GStrv) parts = g_strsplit(v, ",", -1);
        g_autoptr(GString) s = g_string_new(NULL);

        for (char **p = parts; *p; p++) {
                g_autofree char *l = lower(*p);

                g_string_append_printf(s, "%s%s", s->len ? "," : "", strcmp(l, "none") == 0 ? "untracked" : l);
        }
        return g_string_free(g_steal_pointer(&s), FALSE);
}

static bool l3_match(Match *m, const NWFilterProtocolInfo *p, const Get *g, GError **error) {
        bool v6 = p->ipv6;
        const char *fam = v6 ? "ip6" : "ip";
        g_autofree char *base = g_strndup(p->name, strcspn(p->name, "-"));
        g_autofree char *sa = g_strdup_printf("%s saddr", fam);
        g_autofree char *da = g_strdup_printf("%s daddr", fam);
        const char *v;

        for (const char *const *later = (const char *const[]) { "connlimit-above", "ipset", "ipsetflags", "option",
                                                                  NULL };
             *later; later++)
                if (get(g, *later)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_SUPPORT,
                                    "rendering the %s attribute is not supported yet", *later);
                        return false;
                }
        m_raw(m, v6 ? "ether type ip6" : "ether type ip");
        if (strcmp(base, "all") != 0) {
                const char *proto = strcmp(base, "icmpv6") == 0 ? "ipv6-icmp" : base;
                g_autofree char *left = g_strdup_printf("%s", v6 ? "ip6 nexthdr" : "ip protocol");

                /* the protocol is what the element is: never negated by match='no' */
                g_string_append_printf(m->s, " %s %s", left, proto);
        }
        if (get(g, "srcmacaddr"))
                match_mac(m, "ether saddr", get(g, "srcmacaddr"), NULL);
        if ((v = get(g, "srcipaddr")))
                match_ip(m, sa, v, get(g, "srcipmask"), v6);
        if ((v = get(g, "dstipaddr")))
                match_ip(m, da, v, get(g, "dstipmask"), v6);
        if (get(g, "srcipfrom"))
                match_range(m, sa, get(g, "srcipfrom"), get(g, "srcipto"));
        if (get(g, "dstipfrom"))
                match_range(m, da, get(g, "dstipfrom"), get(g, "dstipto"));
        if (strcmp(base, "tcp") == 0 || strcmp(base, "udp") == 0 || strcmp(base, "sctp") == 0)
                ports(m, g, base);
        if (strcmp(base, "tcp") == 0 && (v = get(g, "flags"))) {
                g_auto(GStrv) parts = g_strsplit(v, "/", 2);
                g_autofree char *mask = g_strdelimit(lower(parts[0]), ",", '|');
                g_autofree char *set = g_strdelimit(lower(parts[1]), ",", '|');
                g_autofree char *left = NULL;

                if (strcmp(mask, "all") == 0)
                        g_free(mask), mask = g_strdup("fin|syn|rst|psh|ack|urg");
                if (strcmp(set, "all") == 0)
                        g_free(set), set = g_strdup("fin|syn|rst|psh|ack|urg");
                if (strcmp(set, "none") == 0)
                        g_free(set), set = g_strdup("0x0");
                left = g_strdup_printf("tcp flags & (%s)", mask);
                m_add(m, left, set);
        }
        if (strcmp(base, "icmp") == 0 || strcmp(base, "icmpv6") == 0) {
                g_autofree char *tl = g_strdup_printf("%s type", base);
                g_autofree char *cl = g_strdup_printf("%s code", base);

                if ((v = get(g, "type"))) {
                        g_autofree char *n = num_str(v);
                        m_add(m, tl, n);
                }
                if ((v = get(g, "code"))) {
                        g_autofree char *n = num_str(v);
                        m_add(m, cl, n);
                }
        }
        if ((v = get(g, "dscp"))) {
                g_autofree char *n = num_str(v);
                g_autofree char *left = g_strdup_printf("%s dscp", fam);
                m_add(m, left, n);
        }
        return true;
}

/* --- placing rules into chains --- */

typedef struct {
        int priority;
        guint seq;                     /* walk order: equal priorities keep it */
        char *text;
} Entry;

static void entry_free(Entry *e) {
        g_free(e->text);
        g_free(e);
}

static int entry_cmp(gconstpointer a, gconstpointer b) {
        const Entry *x = *(Entry *const *) a, *y = *(Entry *const *) b;

        if (x->priority != y->priority)
                return x->priority < y->priority ? -1 : 1;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

typedef struct {
        PortRules *p;
        const RenderOptions *options;
        guint seq;
        /* per side (0 to-guest "in", 1 from-guest "out"): chain name → GPtrArray of Entry */
        GHashTable *l2[2];
        GPtrArray *l2_order[2];        /* sub-chain names in the order first met */
        GPtrArray *l3[2];
} Placer;

static const char *dir_name(Side side) {
        return side == TO_GUEST ? "in" : "out";
}

static void place(Placer *pl, Side side, bool l3, const char *chain, int priority, char *text) {
        Entry *e = g_new0(Entry, 1);
        GPtrArray *list;

        e->priority = priority;
        e->seq = pl->seq++;
        e->text = text;
        if (l3) {
                g_ptr_array_add(pl->l3[side], e);
                return;
        }
        list = g_hash_table_lookup(pl->l2[side], chain);
        if (!list) {
                list = g_ptr_array_new_with_free_func((GDestroyNotify) entry_free);
                g_hash_table_insert(pl->l2[side], g_strdup(chain), list);
                g_ptr_array_add(pl->l2_order[side], g_strdup(chain));
        }
        g_ptr_array_add(list, e);
}

static const char *verdict(Placer *pl, NWFilterAction action, bool l3, Side side) {
        switch (action) {
        case NWFILTER_ACTION_ACCEPT:
                return "accept";
        case NWFILTER_ACTION_DROP:
                return "drop";
        case NWFILTER_ACTION_RETURN:
                return "return";
        case NWFILTER_ACTION_CONTINUE:
                return "counter";
        case NWFILTER_ACTION_REJECT:
                /* W20: only the IP layer from the guest can reject; elsewhere it is drop */
                if (!l3 || side == TO_GUEST)
                        return "drop";
                if (!pl->options->bridge_reject) {
                        pl->p->reject_downgraded = true;
                        return "drop";
                }
                return "reject";
        default:
                return "drop";
        }
}

/* Renders one concrete rule for one side; swap: src/dst exchanged; state: ct states or NULL. */
static bool emit(Placer *pl, const TreeRule *tr, Values *v, Side side, bool swap, const char *state,
                 GError **error) {
        const NWFilterRule *r = tr->rule;
        bool l3 = r->protocol && r->protocol->layer == NWFILTER_LAYER_L3;
        g_autoptr(GString) s = g_string_new(NULL);
        Match m = { s, r->match_no };
        Get g = { v, swap };
        int priority = r->priority;

        if (!(l3 ? l3_match(&m, r->protocol, &g, error) : l2_match(&m, r->protocol, &g, error)))
                return false;
        if (state) {
                m.negate = false;
                m_add(&m, "ct state", state);
                pl->p->uses_conntrack = true;
        }
        g_string_append_printf(s, "%s%s", s->len ? " " : "", verdict(pl, r->action, l3, side));
        /* W19: a rule below its (non-root) chain's priority is raised to it */
        if (!l3 && strcmp(tr->chain, "root") != 0 && priority < tr->chain_priority)
                priority = tr->chain_priority;
        place(pl, side, l3, tr->chain, priority, g_string_free(g_steal_pointer(&s), FALSE));
        return true;
}

static bool place_rule(Placer *pl, const TreeRule *tr, Values *v, GError **error) {
        const NWFilterRule *r = tr->rule;
        bool l3 = r->protocol && r->protocol->layer == NWFILTER_LAYER_L3;
        const char *state_attr = g_hash_table_lookup(v, "state");

        if (!l3) {
                /* W18: out from the guest as written, in to the guest as written, inout both
                 * (written from the to-guest side, swapped in the from-guest chain) */
                if (r->direction != NWFILTER_DIR_IN && !emit(pl, tr, v, FROM_GUEST, r->direction == NWFILTER_DIR_INOUT,
                                                             NULL, error))
                        return false;
                if (r->direction != NWFILTER_DIR_OUT && !emit(pl, tr, v, TO_GUEST, false, NULL, error))
                        return false;
                return true;
        }
        if (state_attr) {
                g_autofree char *st = states(state_attr);

                if (r->direction != NWFILTER_DIR_IN && !emit(pl, tr, v, FROM_GUEST, r->direction == NWFILTER_DIR_INOUT,
                                                             st, error))
                        return false;
                if (r->direction != NWFILTER_DIR_OUT && !emit(pl, tr, v, TO_GUEST, false, st, error))
                        return false;
                return true;
        }
        if (r->direction == NWFILTER_DIR_INOUT)
                return emit(pl, tr, v, FROM_GUEST, true, NULL, error) && emit(pl, tr, v, TO_GUEST, false, NULL, error);
        /* W21: the written direction opens, the other one gets the replies back */
        {
                Side own = r->direction == NWFILTER_DIR_OUT ? FROM_GUEST : TO_GUEST;
                Side other = own == FROM_GUEST ? TO_GUEST : FROM_GUEST;

                if (!r->statematch)
                        return emit(pl, tr, v, own, false, NULL, error) && emit(pl, tr, v, other, true, NULL, error);
                return emit(pl, tr, v, own, false, "new,established", error) &&
                       emit(pl, tr, v, other, true, "established", error);
        }
}

static const char *const sub_guards[][2] = {
        { "mac", NULL }, { "vlan", "ether type vlan" }, { "stp", "ether daddr 01:80:c2:00:00:00" },
        { "arp", "ether type arp" }, { "rarp", "ether type 0x8035" }, { "ipv4", "ether type ip" },
        { "ipv6", "ether type ip6" },
};

static const char *sub_guard(const char *chain) {
        for (size_t i = 0; i < G_N_ELEMENTS(sub_guards); i++)
                if (g_str_has_prefix(chain, sub_guards[i][0]))
                        return sub_guards[i][1];
        return NULL;
}

static void chain_from_entries(PortRules *p, char *name, GPtrArray *entries) {
        PortChain *c = port_chain_new(name);

        g_ptr_array_sort(entries, entry_cmp);
        for (guint i = 0; i < entries->len; i++)
                g_ptr_array_add(c->rules, g_strdup(((Entry *) g_ptr_array_index(entries, i))->text));
        g_ptr_array_add(p->chains, c);
}

static void finish(Placer *pl, GHashTable *chain_priorities) {
        static const char *const l2_maps[] = { "l2_in", "l2_out" };
        static const char *const l3_maps[] = { "l3_in", "l3_out" };

        /* from-guest first: the order chains are added in does not matter to nft, only to readers */
        for (int side = FROM_GUEST; side >= TO_GUEST; side--) {
                g_autofree char *root = g_strdup_printf("%s-l2-%s", pl->p->portdev, dir_name(side));
                g_autoptr(GPtrArray) root_entries = g_ptr_array_new_with_free_func((GDestroyNotify) entry_free);
                GPtrArray *own = g_hash_table_lookup(pl->l2[side], "root");

                for (guint i = 0; own && i < own->len; i++) {
                        Entry *e = g_ptr_array_index(own, i);
                        Entry *c = g_new0(Entry, 1);

                        *c = *e;
                        c->text = g_strdup(e->text);
                        g_ptr_array_add(root_entries, c);
                }
                for (guint i = 0; i < pl->l2_order[side]->len; i++) {
                        const char *chain = g_ptr_array_index(pl->l2_order[side], i);
                        GPtrArray *entries;
                        const char *guard;
                        g_autofree char *ident = NULL;
                        Entry *jump;
                        char *name;

                        if (strcmp(chain, "root") == 0)
                                continue;
                        entries = g_hash_table_lookup(pl->l2[side], chain);
                        name = g_strdup_printf("%s-l2-%s-%s", pl->p->portdev, dir_name(side), chain);
                        ident = nft_ident(name);
                        guard = sub_guard(chain);
                        jump = g_new0(Entry, 1);
                        jump->priority = GPOINTER_TO_INT(g_hash_table_lookup(chain_priorities, chain)) - 1;
                        jump->seq = ((Entry *) g_ptr_array_index(entries, 0))->seq;
                        jump->text = g_strdup_printf("%s%sjump %s", guard ? guard : "", guard ? " " : "", ident);
                        g_ptr_array_add(root_entries, jump);
                        chain_from_entries(pl->p, name, entries);
                }
                if (root_entries->len) {
                        chain_from_entries(pl->p, g_strdup(root), root_entries);
                        add_element(pl->p, l2_maps[side], root);
                }
                if (pl->l3[side]->len) {
                        g_autofree char *l3 = g_strdup_printf("%s-l3-%s", pl->p->portdev, dir_name(side));

                        chain_from_entries(pl->p, g_strdup(l3), pl->l3[side]);
                        add_element(pl->p, l3_maps[side], l3);
                }
        }
}

/* --- interim and fail-closed rules --- */

static void add_chain(PortRules *p, const char *map, const char *suffix, const char *const *rules) {
        g_autofree char *name = g_strdup_printf("%s-%s", p->portdev, suffix);
        PortChain *c = port_chain_new(g_strdup(name));

        for (const char *const *r = rules; *r; r++)
                g_ptr_array_add(c->rules, g_strdup(*r));
        add_element(p, map, name);
        g_ptr_array_add(p->chains, c);
}

/* W12: what applies while the guest's IP is unknown. */
static PortRules *render_learning(const NWFilterBindingDef *b, const char *mac, bool dhcp, const char *dhcpserver) {
        PortRules *p = port_rules_new(b->portdev, PORT_RULES_LEARNING);
        g_autofree char *spoof = g_strdup_printf("ether saddr != %s drop", mac);

        if (!dhcp) {
                const char *out[] = { spoof, "ether type ip accept", "ether type arp accept", "drop", NULL };

                add_chain(p, "l2_out", "l2-out", out);
                return p;
        }
        {
                g_autofree char *out0 = g_strdup_printf("ether saddr %s ether type ip ip protocol udp udp sport 68 "
                                                        "udp dport 67 accept", mac);
                g_autofree char *from = dhcpserver ? g_strdup_printf(" ip saddr %s", dhcpserver) : g_strdup("");
                g_autofree char *in0 = g_strdup_printf("ether daddr { %s, ff:ff:ff:ff:ff:ff } ether type ip%s ip "
                                                       "protocol udp udp sport 67 udp dport 68 accept", mac, from);
                const char *out[] = { out0, "drop", NULL };
                const char *in[] = { in0, "drop", NULL };

                add_chain(p, "l2_out", "l2-out", out);
                add_chain(p, "l2_in", "l2-in", in);
        }
        return p;
}

PortRules *nwfilter_render_failed(const char *portdev) {
        PortRules *p = port_rules_new(portdev, PORT_RULES_FAILED);
        const char *drop[] = { "drop", NULL };

        add_chain(p, "l2_out", "l2-out", drop);
        add_chain(p, "l2_in", "l2-in", drop);
        return p;
}

/* --- the whole port --- */

static int str_ptr_cmp(gconstpointer a, gconstpointer b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static const char *first_value(GHashTable *env, const char *name) {
        GPtrArray *l = g_hash_table_lookup(env, name);
        return l && l->len ? g_ptr_array_index(l, 0) : NULL;
}

PortRules *nwfilter_render_port(const NWFilterBindingDef *binding, NWFilterLookupFunc lookup, void *userdata,
                                const RenderOptions *options, GError **error) {
        g_autoptr(GHashTable) env = env_new();
        g_autoptr(GPtrArray) envs = g_ptr_array_new_with_free_func((GDestroyNotify) g_hash_table_unref);
        g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) stack = g_ptr_array_new();
        g_autoptr(GHashTable) chain_priorities = g_hash_table_new(g_str_hash, g_str_equal);
        g_autoptr(GHashTable) missing = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GPtrArray) expanded = g_ptr_array_new_with_free_func((GDestroyNotify) g_ptr_array_unref);
        g_autoptr(PortRules) p = port_rules_new(binding->portdev, PORT_RULES_ACTIVE);
        Walk w = { lookup, userdata, rules, envs, stack, chain_priorities };
        const NWFilterDef *top = lookup(userdata, binding->filter->filter);
        Placer pl = { p, options, 0, { NULL, NULL }, { NULL, NULL }, { NULL, NULL } };
        bool ok = false;

        if (!top) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_NWFILTER, "no nwfilter with matching name '%s'",
                            binding->filter->filter);
                return NULL;
        }
        env_fill(env, binding->filter);
        if (!g_hash_table_contains(env, "MAC")) {
                GPtrArray *l = g_ptr_array_new_with_free_func(g_free);

                g_ptr_array_add(l, g_strdup(binding->mac));
                g_hash_table_insert(env, g_strdup("MAC"), l);
        }
        if (!walk_filter(&w, top, env, error))
                return NULL;
        for (guint i = 0; i < rules->len; i++) {
                GPtrArray *list = expand_rule(g_ptr_array_index(rules, i), missing, error);

                if (!list)
                        return NULL;
                g_ptr_array_add(expanded, list);
        }
        if (g_hash_table_size(missing) > 0) {
                const char *learning = first_value(env, "CTRL_IP_LEARNING");

                if (g_hash_table_size(missing) == 1 && g_hash_table_contains(missing, "IP") &&
                    g_strcmp0(learning, "none") != 0) {
                        const char *mac = first_value(env, "MAC");

                        return render_learning(binding, mac, g_strcmp0(learning, "dhcp") == 0,
                                               first_value(env, "DHCPSERVER"));
                }
                {
                        g_autoptr(GPtrArray) names = g_ptr_array_new();
                        g_autoptr(GString) list = g_string_new(NULL);
                        GHashTableIter it;
                        gpointer k;

                        g_hash_table_iter_init(&it, missing);
                        while (g_hash_table_iter_next(&it, &k, NULL))
                                g_ptr_array_add(names, k);
                        g_ptr_array_sort(names, str_ptr_cmp);
                        for (guint i = 0; i < names->len; i++)
                                g_string_append_printf(list, "%s%s", i ? " " : "",
                                                       (const char *) g_ptr_array_index(names, i));
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                                    "Cannot instantiate filter due to unresolvable variables or unavailable list "
                                    "elements: %s", list->str);
                        return NULL;
                }
        }
        for (int s = 0; s < 2; s++) {
                pl.l2[s] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
                pl.l2_order[s] = g_ptr_array_new_with_free_func(g_free);
                pl.l3[s] = g_ptr_array_new_with_free_func((GDestroyNotify) entry_free);
        }
        for (guint i = 0; i < rules->len; i++) {
                GPtrArray *list = g_ptr_array_index(expanded, i);

                for (guint j = 0; j < list->len; j++) {
                        Values *v = g_ptr_array_index(list, j);
                        const TreeRule *tr = g_ptr_array_index(rules, i);

                        /* a variable's value must fit the attribute it lands on */
                        for (guint k = 0; k < tr->rule->attrs->len; k++) {
                                const NWFilterAttr *a = g_ptr_array_index(tr->rule->attrs, k);
                                g_autoptr(GError) bad = NULL;

                                if (a->value[0] == '$' &&
                                    !nwfilter_value_check(a->info->name, a->info->type,
                                                          g_hash_table_lookup(v, a->info->name), &bad)) {
                                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "%s (from %s)",
                                                    bad->message, a->value);
                                        goto out;
                                }
                        }
                        if (!place_rule(&pl, tr, v, error))
                                goto out;
                }
        }
        finish(&pl, chain_priorities);
        ok = true;
out:
        for (int s = 0; s < 2; s++) {
                g_hash_table_unref(pl.l2[s]);
                g_ptr_array_unref(pl.l2_order[s]);
                g_ptr_array_unref(pl.l3[s]);
        }
        return ok ? g_steal_pointer(&p) : NULL;
}

/* --- scripts --- */

void port_rules_append_add(GString *script, const PortRules *p) {
        for (guint i = 0; i < p->chains->len; i++) {
                const PortChain *c = g_ptr_array_index(p->chains, i);
                g_string_append_printf(script, "add chain " T " %s\n", c->name);
        }
        for (guint i = 0; i < p->chains->len; i++) {
                const PortChain *c = g_ptr_array_index(p->chains, i);

                for (guint j = 0; j < c->rules->len; j++)
                        g_string_append_printf(script, "add rule " T " %s %s\n", c->name,
                                               (const char *) g_ptr_array_index(c->rules, j));
        }
        for (guint i = 0; i < p->elements->len; i++) {
                const PortElement *e = g_ptr_array_index(p->elements, i);
                g_string_append_printf(script, "add element " T " %s { \"%s\" : jump %s }\n", e->map, p->portdev,
                                       e->chain);
        }
}

void port_rules_append_remove(GString *script, const PortRules *p) {
        for (guint i = 0; i < p->elements->len; i++) {
                const PortElement *e = g_ptr_array_index(p->elements, i);
                g_string_append_printf(script, "delete element " T " %s { \"%s\" }\n", e->map, p->portdev);
        }
        /* flushing first drops the jumps between the port's chains, so any order can delete */
        for (guint i = 0; i < p->chains->len; i++) {
                const PortChain *c = g_ptr_array_index(p->chains, i);
                g_string_append_printf(script, "flush chain " T " %s\n", c->name);
        }
        for (guint i = 0; i < p->chains->len; i++) {
                const PortChain *c = g_ptr_array_index(p->chains, i);
                g_string_append_printf(script, "delete chain " T " %s\n", c->name);
        }
}

static bool has_chain(const PortRules *p, const char *name) {
        for (guint i = 0; i < p->chains->len; i++)
                if (strcmp(((const PortChain *) g_ptr_array_index(p->chains, i))->name, name) == 0)
                        return true;
        return false;
}

static bool has_element(const PortRules *p, const PortElement *e) {
        for (guint i = 0; i < p->elements->len; i++) {
                const PortElement *x = g_ptr_array_index(p->elements, i);

                if (strcmp(x->map, e->map) == 0 && strcmp(x->chain, e->chain) == 0)
                        return true;
        }
        return false;
}

/* A frame that entered a base chain just before a commit runs the rules of that older
 * generation, but the kernel looks the port up in the map with the newer one: a chain
 * created by the commit has no rules in the older generation, so deleting and re-adding a
 * chain or map element that both renderings keep would let such a frame through
 * unfiltered. Kept chains are flushed and refilled in place, kept elements left alone. */
void port_rules_append_change(GString *script, const PortRules *old, const PortRules *new) {
        for (guint i = 0; i < old->elements->len; i++) {
                const PortElement *e = g_ptr_array_index(old->elements, i);

                if (!has_element(new, e))
                        g_string_append_printf(script, "delete element " T " %s { \"%s\" }\n", e->map,
                                               old->portdev);
        }
        /* flushing first drops the jumps between the old chains, so any of them can go */
        for (guint i = 0; i < old->chains->len; i++) {
                const PortChain *c = g_ptr_array_index(old->chains, i);
                g_string_append_printf(script, "flush chain " T " %s\n", c->name);
        }
        for (guint i = 0; i < old->chains->len; i++) {
                const PortChain *c = g_ptr_array_index(old->chains, i);

                if (!has_chain(new, c->name))
                        g_string_append_printf(script, "delete chain " T " %s\n", c->name);
        }
        for (guint i = 0; i < new->chains->len; i++) {
                const PortChain *c = g_ptr_array_index(new->chains, i);

                if (!has_chain(old, c->name))
                        g_string_append_printf(script, "add chain " T " %s\n", c->name);
        }
        for (guint i = 0; i < new->chains->len; i++) {
                const PortChain *c = g_ptr_array_index(new->chains, i);

                for (guint j = 0; j < c->rules->len; j++)
                        g_string_append_printf(script, "add rule " T " %s %s\n", c->name,
                                               (const char *) g_ptr_array_index(c->rules, j));
        }
        for (guint i = 0; i < new->elements->len; i++) {
                const PortElement *e = g_ptr_array_index(new->elements, i);

                if (!has_element(old, e))
                        g_string_append_printf(script, "add element " T " %s { \"%s\" : jump %s }\n", e->map,
                                               new->portdev, e->chain);
        }
}

char *port_rules_to_string(const PortRules *p) {
        GString *s = g_string_new(NULL);

        port_rules_append_add(s, p);
        return g_string_free(s, FALSE);
}

char *nwfilter_render_table(GPtrArray *ports) {
        GString *s = g_string_new(NULL);
        static const char *const maps[] = { "l2_out", "l3_out", "l2_in", "l3_in" };
        static const struct {
                const char *name, *hook;
                int priority;
                const char *rule;
        } bases[] = {
                { "l2_from_guest", "prerouting", -300, "iifname vmap @l2_out" },
                { "l3_from_guest", "prerouting", -150, "iifname vmap @l3_out" },
                { "l2_to_guest", "postrouting", 100, "oifname vmap @l2_in" },
                { "l3_to_guest", "postrouting", 110, "oifname vmap @l3_in" },
        };

        /* add+delete makes the delete safe when there is no table yet; all of it is one transaction */
        g_string_append(s, "add table " T "\ndelete table " T "\nadd table " T "\n");
        for (size_t i = 0; i < G_N_ELEMENTS(maps); i++)
                g_string_append_printf(s, "add map " T " %s { type ifname : verdict; }\n", maps[i]);
        for (size_t i = 0; i < G_N_ELEMENTS(bases); i++) {
                g_string_append_printf(s, "add chain " T " %s { type filter hook %s priority %d; policy accept; }\n",
                                       bases[i].name, bases[i].hook, bases[i].priority);
                g_string_append_printf(s, "add rule " T " %s %s\n", bases[i].name, bases[i].rule);
        }
        for (guint i = 0; ports && i < ports->len; i++)
                port_rules_append_add(s, g_ptr_array_index(ports, i));
        return g_string_free(s, FALSE);
}
