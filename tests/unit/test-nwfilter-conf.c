/* Unit tests for the nwfilter conf library: filter and binding golden round trips, errors, variables. */
#include "nwfilter-conf.h"
#include "error.h"
#include "uuid.h"
#include "unit-conf.h"
#include "unit-util.h"

#include <string.h>

/*
 * Golden convention: tests/data/<kind>/out/NAME.xml = format(parse(in/NAME.xml)) for kind
 * nwfilter and nwfilterbinding; in/ files may hold what the schema refuses but the parser
 * ignores (unknown elements and attributes, as libvirt), so they are parsed without VALIDATE,
 * and out/ files must pass VALIDATE and be stable. An input without <uuid> gets a random one,
 * masked as MASK_UUID. Every err/NAME.xml has a case below. VMMD_TEST_REGENERATE=1 rewrites out.
 */
#define MASK_UUID "00000000-0000-0000-0000-000000000000"

#define F "nwfilter"
#define B "nwfilterbinding"

static bool is_binding(const char *kind) {
        return strcmp(kind, "nwfilterbinding") == 0;
}

static char *round_trip(const char *kind, const char *xml, unsigned flags, GError **error) {
        if (is_binding(kind)) {
                g_autoptr(NWFilterBindingDef) def = nwfilter_binding_def_parse_string(xml, flags, error);
                return def ? nwfilter_binding_def_format(def) : NULL;
        } else {
                g_autoptr(NWFilterDef) def = nwfilter_def_parse_string(xml, flags, error);
                return def ? nwfilter_def_format(def) : NULL;
        }
}

/* UnitRoundTrips: the inputs as they are, our own output also through the schema; a filter's uuid the parser
 * made up is masked */
static char *filter_round_trip(const char *name, const char *xml, bool golden, GError **error) {
        g_autofree char *actual = round_trip(F, xml, golden ? 0 : NWFILTER_DEF_PARSE_VALIDATE, error);

        if (actual && golden && !strstr(xml, "<uuid>")) {
                g_autoptr(GRegex) re = g_regex_new("<uuid>[^<]*</uuid>", 0, 0, NULL);

                return g_regex_replace_literal(re, actual, -1, 0, "<uuid>" MASK_UUID "</uuid>", 0, NULL);
        }
        return g_steal_pointer(&actual);
}

static char *binding_round_trip(const char *name, const char *xml, bool golden, GError **error) {
        return round_trip(B, xml, golden ? 0 : NWFILTER_BINDING_PARSE_VALIDATE, error);
}

typedef struct {
        const char *kind;
        const char *file;
        unsigned flags;
        int code;
        const char *mention;
} ErrorCase;

static const ErrorCase errors[] = {
        { F, "no-name", 0, VMMD_ERROR_XML_ERROR, "name" },
        { F, "bad-uuid", 0, VMMD_ERROR_XML_ERROR, "not-a-uuid" },
        { F, "bad-priority", 0, VMMD_ERROR_INVALID_ARG, "abc" },
        { F, "priority-range", 0, VMMD_ERROR_INVALID_ARG, "1001" },
        { F, "chain-too-long", 0, VMMD_ERROR_INVALID_ARG, "Invalid chain name 'ipv4-abcdefghi'" },
        { F, "chain-bad-char", 0, VMMD_ERROR_INVALID_ARG, "Invalid chain name" },
        { F, "chain-bad-prefix", 0, VMMD_ERROR_INVALID_ARG, "Invalid chain name 'foo'" },
        { F, "chain-root-prefix", 0, VMMD_ERROR_INVALID_ARG, "Invalid chain name 'rootx'" },
        { F, "no-action", 0, VMMD_ERROR_XML_ERROR, "action" },
        { F, "bad-action", 0, VMMD_ERROR_XML_ERROR, "allow" },
        { F, "no-direction", 0, VMMD_ERROR_XML_ERROR, "direction" },
        { F, "bad-direction", 0, VMMD_ERROR_XML_ERROR, "both" },
        { F, "bad-mac", 0, VMMD_ERROR_XML_ERROR, "srcmacaddr has illegal value 52:54:00:00:00" },
        { F, "bad-ipv4", 0, VMMD_ERROR_XML_ERROR, "srcipaddr has illegal value 10.0.0.256" },
        { F, "bad-port", 0, VMMD_ERROR_XML_ERROR, "dstportstart has illegal value 65536" },
        { F, "bad-protocolid", 0, VMMD_ERROR_XML_ERROR, "protocolid" },
        { F, "bad-state", 0, VMMD_ERROR_XML_ERROR, "NEW,OLD" },
        { F, "bad-ipv6-in-ip", 0, VMMD_ERROR_XML_ERROR, "fe80::1" },
        { F, "ip-ports-no-protocol", 0, VMMD_ERROR_XML_ERROR, "tcp, udp, dccp or sctp" },
        { F, "ip-ports-icmp", 0, VMMD_ERROR_XML_ERROR, "icmp" },
        { F, "bad-var-index", 0, VMMD_ERROR_INVALID_ARG, "$IP[x]" },
        { F, "bad-var-iterator", 0, VMMD_ERROR_INVALID_ARG, "$IP[@1001]" },
        { F, "bad-var-name", 0, VMMD_ERROR_INVALID_ARG, "$I-P" },
        { F, "filterref-no-filter", 0, VMMD_ERROR_XML_ERROR, "filter" },
        { F, "bad-param-value", 0, VMMD_ERROR_INVALID_ARG, "10.0.0.1/24" },
        { F, "not-well-formed", 0, VMMD_ERROR_XML_ERROR, "line" },
        { F, "wrong-root", 0, VMMD_ERROR_XML_ERROR, "filter" },
        { F, "schema-unknown-element", 1, VMMD_ERROR_XML_INVALID_SCHEMA, NULL },
        { B, "no-owner-name", 0, VMMD_ERROR_XML_ERROR, "owner name" },
        { B, "no-owner-uuid", 0, VMMD_ERROR_XML_ERROR, "owner uuid" },
        { B, "bad-owner-uuid", 0, VMMD_ERROR_XML_ERROR, "zz" },
        { B, "no-portdev", 0, VMMD_ERROR_XML_ERROR, "portdev" },
        { B, "bad-portdev", 0, VMMD_ERROR_XML_ERROR, "../x" },
        { B, "no-mac", 0, VMMD_ERROR_XML_ERROR, "mac" },
        { B, "bad-mac", 0, VMMD_ERROR_XML_ERROR, "52:54:00:00:07" },
        { B, "no-filterref", 0, VMMD_ERROR_XML_ERROR, "filterref" },
        { B, "no-filter", 0, VMMD_ERROR_XML_ERROR, "filter" },
        { B, "schema-extra", 1, VMMD_ERROR_XML_INVALID_SCHEMA, NULL },
};

static void test_error(gconstpointer data) {
        const ErrorCase *c = data;
        g_autofree char *path = unit_data_path(c->kind, "err", c->file);
        g_autofree char *xml = unit_read_file(path);
        g_autoptr(GError) error = NULL;
        g_autofree char *out = round_trip(c->kind, xml, c->flags, &error);

        g_assert_null(out);
        g_assert_nonnull(error);
        g_test_message("%s: %s", c->file, error->message);
        g_assert_error(error, VMMD_ERROR, c->code);
        if (c->mention)
                g_assert_nonnull(strstr(error->message, c->mention));
}

static void test_error_table_complete(void) {
        const char *kinds[] = { F, B };

        for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
                g_auto(GStrv) names = unit_list_data(kinds[k], "err");
                guint n = 0;

                for (size_t i = 0; i < G_N_ELEMENTS(errors); i++)
                        if (strcmp(errors[i].kind, kinds[k]) == 0) {
                                n++;
                                if (!g_strv_contains((const char *const *) names, errors[i].file))
                                        g_error("error case %s has no file", errors[i].file);
                        }
                g_assert_cmpuint(g_strv_length(names), ==, n);
        }
}

/* --- details the golden files show only indirectly --- */

static NWFilterDef *parse_in(const char *name) {
        g_autofree char *path = unit_data_path(F, "in", name);
        g_autofree char *xml = unit_read_file(path);
        g_autoptr(GError) error = NULL;
        NWFilterDef *def = nwfilter_def_parse_string(xml, 0, &error);

        g_assert_no_error(error);
        return def;
}

static void test_priorities(void) {
        g_autoptr(NWFilterDef) nochain = parse_in("no-chain-priority");
        g_autoptr(NWFilterDef) dflt = parse_in("chain-default-priority");
        g_autoptr(NWFilterDef) range = parse_in("rule-priority-out-of-range");
        const NWFilterEntry *e0 = g_ptr_array_index(range->entries, 0);
        const NWFilterEntry *e1 = g_ptr_array_index(range->entries, 1);

        /* W8: a priority without chain= is dropped */
        g_assert_cmpstr(nochain->chain, ==, "root");
        g_assert_cmpint(nochain->priority, ==, 0);
        /* §2: default priority by prefix */
        g_assert_cmpint(dflt->priority, ==, -500);
        g_assert_cmpint(nwfilter_chain_default_priority("mac-x"), ==, -800);
        g_assert_cmpint(nwfilter_chain_default_priority("rarp"), ==, -400);
        g_assert_cmpint(nwfilter_chain_default_priority("stp"), ==, -810);
        g_assert_cmpint(nwfilter_chain_default_priority("root"), ==, 0);
        /* rule priority out of range is 500 */
        g_assert_cmpint(e0->rule->priority, ==, 500);
        g_assert_cmpint(e1->rule->priority, ==, 500);
}

static void test_var_refs(void) {
        static const struct {
                const char *s;
                bool ok;
                const char *name;
                int index, iterator;
        } cases[] = {
                { "$IP", true, "IP", -1, -1 },
                { "$IP[3]", true, "IP", 3, -1 },
                { "$IP[@1000]", true, "IP", -1, 1000 },
                { "$IP[@1001]", false, NULL, 0, 0 },
                { "$IP[", false, NULL, 0, 0 },
                { "$IP[1]x", false, NULL, 0, 0 },
                { "$", false, NULL, 0, 0 },
                { "$A.B", false, NULL, 0, 0 },
                { "$IP[-1]", false, NULL, 0, 0 },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(GError) error = NULL;
                NWFilterVarRef ref;
                bool ok = nwfilter_var_ref_parse(cases[i].s, &ref, &error);

                g_assert_cmpint(ok, ==, cases[i].ok);
                if (!ok) {
                        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG);
                        continue;
                }
                g_assert_cmpstr(ref.name, ==, cases[i].name);
                g_assert_cmpint(ref.index, ==, cases[i].index);
                g_assert_cmpint(ref.iterator, ==, cases[i].iterator);
                nwfilter_var_ref_clear(&ref);
        }
}

static void test_copy(void) {
        g_autoptr(NWFilterDef) def = parse_in("l3-all");
        g_autoptr(NWFilterDef) copy = nwfilter_def_copy(def);
        g_autofree char *a = nwfilter_def_format(def);
        g_autofree char *b = NULL;

        g_clear_pointer(&def, nwfilter_def_free);
        b = nwfilter_def_format(copy);
        g_assert_cmpstr(a, ==, b);
}

static void test_bad_flags(void) {
        g_autoptr(GError) e1 = NULL;
        g_autoptr(GError) e2 = NULL;

        g_assert_null(nwfilter_def_parse_string("<filter name='x'/>", 2, &e1));
        g_assert_error(e1, VMMD_ERROR, VMMD_ERROR_INVALID_ARG);
        g_assert_null(nwfilter_binding_def_parse_string("<filterbinding/>", 2, &e2));
        g_assert_error(e2, VMMD_ERROR, VMMD_ERROR_INVALID_ARG);
}

int main(int argc, char **argv) {
        static const UnitGolden filters = { F, "/nwfilter-conf/" F "/golden", "/nwfilter-conf/" F "/idempotent",
                                            filter_round_trip };
        static const UnitGolden bindings = { B, "/nwfilter-conf/" B "/golden", "/nwfilter-conf/" B "/idempotent",
                                             binding_round_trip };

        g_test_init(&argc, &argv, NULL);
        unit_add_golden_tests(&filters);
        unit_add_golden_tests(&bindings);
        for (size_t i = 0; i < G_N_ELEMENTS(errors); i++) {
                g_autofree char *p = g_strdup_printf("/nwfilter-conf/%s/error/%s", errors[i].kind, errors[i].file);
                g_test_add_data_func(p, &errors[i], test_error);
        }
        g_test_add_func("/nwfilter-conf/error-table-complete", test_error_table_complete);
        g_test_add_func("/nwfilter-conf/priorities", test_priorities);
        g_test_add_func("/nwfilter-conf/var-refs", test_var_refs);
        g_test_add_func("/nwfilter-conf/copy", test_copy);
        g_test_add_func("/nwfilter-conf/bad-flags", test_bad_flags);
        return g_test_run();
}
