/* Network filter and filter binding definitions: libvirt's <filter> and <filterbinding> XML (spec nwfilter.md §2–§4). */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* Rule and filter priorities (spec §2). */
#define NWFILTER_PRIORITY_MIN (-1000)
#define NWFILTER_PRIORITY_MAX 1000
#define NWFILTER_RULE_PRIORITY_DEFAULT 500
#define NWFILTER_CHAIN_NAME_MAX 12
#define NWFILTER_ITERATOR_MAX 1000

typedef enum {
        NWFILTER_ACTION_DROP,
        NWFILTER_ACTION_ACCEPT,
        NWFILTER_ACTION_REJECT,
        NWFILTER_ACTION_RETURN,
        NWFILTER_ACTION_CONTINUE,
        _NWFILTER_ACTION_MAX,
} NWFilterAction;

typedef enum {
        NWFILTER_DIR_IN,
        NWFILTER_DIR_OUT,
        NWFILTER_DIR_INOUT,
        _NWFILTER_DIR_MAX,
} NWFilterDirection;

const char *nwfilter_action_to_string(int value);
int nwfilter_action_from_string(const char *s);
const char *nwfilter_direction_to_string(int value);
int nwfilter_direction_from_string(const char *s);

/* Which rule set a protocol element belongs to: the Ethernet layer (libvirt's ebtables) or the
 * IP layer (libvirt's iptables/ip6tables). */
typedef enum {
        NWFILTER_LAYER_L2,
        NWFILTER_LAYER_L3,
} NWFilterLayer;

/* What an attribute holds; each value is checked against it unless it is a variable. */
typedef enum {
        NWFILTER_VALUE_MAC,
        NWFILTER_VALUE_IPV4,
        NWFILTER_VALUE_IPV4_MASK,      /* prefix 0..32 or a dotted mask */
        NWFILTER_VALUE_IPV6,
        NWFILTER_VALUE_IPV6_MASK,      /* prefix 0..128 or an address mask */
        NWFILTER_VALUE_UINT8,
        NWFILTER_VALUE_UINT16,
        NWFILTER_VALUE_UINT32,
        NWFILTER_VALUE_DSCP,           /* 0..63 */
        NWFILTER_VALUE_ETHERTYPE,      /* arp, rarp, ipv4, ipv6, or a number >= 0x600 */
        NWFILTER_VALUE_IP_PROTOCOL,    /* tcp, udp, … or 0..255 */
        NWFILTER_VALUE_ARP_OPCODE,     /* Request, Reply, … or 0..65535 */
        NWFILTER_VALUE_STATE,          /* NEW,ESTABLISHED,… */
        NWFILTER_VALUE_TCP_FLAGS,      /* MASK/SET */
        NWFILTER_VALUE_BOOLEAN,        /* true, false, 1, 0 */
        NWFILTER_VALUE_IPSET_NAME,
        NWFILTER_VALUE_IPSET_FLAGS,    /* src,dst (1..6 of them) */
} NWFilterValueType;

typedef struct {
        const char *name;
        NWFilterValueType type;
} NWFilterAttrInfo;

typedef struct {
        const char *name;              /* the element name: mac, arp, tcp, icmpv6, … */
        NWFilterLayer layer;
        bool ipv6;                     /* IP-layer element of the IPv6 family, or the ipv6 L2 element */
        const NWFilterAttrInfo *attrs; /* terminated by a NULL name; also the formatting order */
} NWFilterProtocolInfo;

/* The protocol element called name, or NULL when it is not one. */
const NWFilterProtocolInfo *nwfilter_protocol_lookup(const char *name);
/* The attribute of a protocol, or NULL. */
const NWFilterAttrInfo *nwfilter_protocol_attr(const NWFilterProtocolInfo *p, const char *name);

/* A reference to a variable in an attribute value: $NAME, $NAME[index] or $NAME[@iterator]. */
typedef struct {
        char *name;
        int index;                     /* -1 when not given */
        int iterator;                  /* -1 when not given */
} NWFilterVarRef;

/* Parses a value that starts with '$'. False with INVALID_ARG when it is malformed. */
bool nwfilter_var_ref_parse(const char *s, NWFilterVarRef *ret, GError **error);
void nwfilter_var_ref_clear(NWFilterVarRef *ref);

typedef struct {
        const NWFilterAttrInfo *info;
        char *value;                   /* as written (a literal or a variable reference) */
} NWFilterAttr;

typedef struct {
        NWFilterAction action;
        NWFilterDirection direction;
        int priority;
        bool statematch;               /* false with statematch='false' or '0' */
        const NWFilterProtocolInfo *protocol;   /* NULL: every frame at the Ethernet layer */
        bool match_no;                 /* match='no': every attribute negated */
        char *comment;
        GPtrArray *attrs;              /* NWFilterAttr*, in the protocol's table order */
} NWFilterRule;

/* A name=value pair of a filterref or binding; a repeated name makes a list. */
typedef struct {
        char *name;
        char *value;
} NWFilterParam;

typedef struct {
        char *filter;
        GPtrArray *params;             /* NWFilterParam*, in document order */
} NWFilterRef;

typedef struct {
        NWFilterRule *rule;            /* exactly one of rule and ref is set */
        NWFilterRef *ref;
} NWFilterEntry;

typedef struct NWFilterDef {
        char *name;
        char uuid[37];
        char *chain;                   /* "root" when not given */
        int priority;
        GPtrArray *entries;            /* NWFilterEntry*, in document order */
} NWFilterDef;

typedef struct NWFilterBindingDef {
        char *owner_name;
        char owner_uuid[37];
        char *portdev;
        char *linkdev;                 /* NULL when absent */
        char mac[18];                  /* lowercase aa:bb:cc:dd:ee:ff */
        NWFilterRef *filter;
} NWFilterBindingDef;

enum {
        NWFILTER_DEF_PARSE_VALIDATE = 1 << 0,   /* RelaxNG: common/schemas/nwfilter.rng */
};
enum {
        NWFILTER_BINDING_PARSE_VALIDATE = 1 << 0,   /* RelaxNG: common/schemas/nwfilterbinding.rng */
};

/* Parses a <filter> document. Errors (VMMD_ERROR domain, spec W2):
 *  XML_ERROR: not well formed, no name, malformed uuid, missing/unknown action or direction, an
 *    attribute value that does not fit its type, port attributes on ip/ipv6 without a
 *    port-carrying protocol, a filterref without filter;
 *  INVALID_ARG: a bad filter priority, a bad chain name, a malformed variable reference or
 *    parameter, unknown flags;
 *  XML_INVALID_SCHEMA: with VALIDATE, the document breaks nwfilter.rng.
 * A missing <uuid> gets a random one. */
NWFilterDef *nwfilter_def_parse_string(const char *xml, unsigned flags, GError **error);
/* Stable format (spec W8): name, chain, priority (when not 0); uuid; entries in order. */
char *nwfilter_def_format(const NWFilterDef *def);
NWFilterDef *nwfilter_def_copy(const NWFilterDef *def);
void nwfilter_def_free(NWFilterDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NWFilterDef, nwfilter_def_free)

/* The default priority of a chain by its prefix (root 0, mac -800, …, spec §2). */
int nwfilter_chain_default_priority(const char *chain);
/* True when chain is a valid chain name (spec §2). */
bool nwfilter_chain_name_valid(const char *chain);

/* Parses a <filterbinding> document (spec §4, W9 step 1): XML_ERROR for missing or malformed
 * parts, INVALID_ARG for bad parameters or flags, XML_INVALID_SCHEMA with VALIDATE. */
NWFilterBindingDef *nwfilter_binding_def_parse_string(const char *xml, unsigned flags, GError **error);
char *nwfilter_binding_def_format(const NWFilterBindingDef *def);
NWFilterBindingDef *nwfilter_binding_def_copy(const NWFilterBindingDef *def);
void nwfilter_binding_def_free(NWFilterBindingDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NWFilterBindingDef, nwfilter_binding_def_free)

NWFilterRef *nwfilter_ref_copy(const NWFilterRef *ref);
void nwfilter_ref_free(NWFilterRef *ref);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NWFilterRef, nwfilter_ref_free)
/* Checks a literal value against its type: false with XML_ERROR "A has illegal value V". */
bool nwfilter_value_check(const char *attr, NWFilterValueType type, const char *value, GError **error);
