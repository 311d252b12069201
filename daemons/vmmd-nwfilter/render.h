/* The nwfilter renderer: a binding's filter tree expanded into nftables chains and map elements (spec nwfilter.md §8). */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "nwfilter-conf.h"

/* The one table vmmd owns (W16). */
#define NWFILTER_NFT_TABLE "vmmd_nwfilter"

/* The filter defined under name, or NULL. */
typedef const NWFilterDef *(*NWFilterLookupFunc)(void *userdata, const char *name);

typedef enum {
        PORT_RULES_ACTIVE,
        PORT_RULES_LEARNING,   /* W12: the interim rules while IP is unknown */
        PORT_RULES_FAILED,     /* W24: drop everything */
} PortRulesKind;

typedef struct {
        char *name;            /* the nft chain: "<portdev>-l2-out", "<portdev>-l2-out-arp", … */
        GPtrArray *rules;      /* char*: the rule text after the chain name */
} PortChain;

typedef struct {
        const char *map;       /* l2_out, l3_out, l2_in, l3_in */
        char *chain;
} PortElement;

/* Everything one port has in the table. */
typedef struct PortRules {
        char *portdev;
        PortRulesKind kind;
        GPtrArray *chains;     /* PortChain*: sub-chains before the chains that jump to them */
        GPtrArray *elements;   /* PortElement* */
        bool reject_downgraded;  /* a reject became drop because bridge reject is missing */
        bool uses_conntrack;     /* some rule matches ct state (needs nf_conntrack_bridge) */
} PortRules;

typedef struct {
        /* False when the kernel has no bridge reject: reject renders as drop (spec W20). */
        bool bridge_reject;
} RenderOptions;

/* Renders a binding. Errors: NO_NWFILTER for a filter missing anywhere in the tree,
 * OPERATION_FAILED for a reference loop, INVALID_ARG for unresolvable variables or unequal
 * list lengths (W11, W22), NO_SUPPORT for what is [later] (stp, ipset, connlimit, tcp option). */
PortRules *nwfilter_render_port(const NWFilterBindingDef *binding, NWFilterLookupFunc lookup, void *userdata,
                                const RenderOptions *options, GError **error);
/* W24: drop-all chains for a binding that can no longer be rendered. */
PortRules *nwfilter_render_failed(const char *portdev);
void port_rules_free(PortRules *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(PortRules, port_rules_free)

/* nft script lines that add the port's chains, rules and map elements (the table exists). */
void port_rules_append_add(GString *script, const PortRules *p);
/* nft script lines that remove them all: map elements, then flushed chains, then the chains. */
void port_rules_append_remove(GString *script, const PortRules *p);
/* nft script lines that turn the port's old rules into new ones, keeping in place (flushed and
 * refilled) the chains and map elements both have, so no frame passes between the two. */
void port_rules_append_change(GString *script, const PortRules *old, const PortRules *new);
/* The whole port as text, for comparing two renderings (W6: unchanged ports are not touched). */
char *port_rules_to_string(const PortRules *p);

/* The script that replaces the whole table atomically (W14): base chains, maps and every port. */
char *nwfilter_render_table(GPtrArray *ports /* PortRules* */);
