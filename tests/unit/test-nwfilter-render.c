/* Unit tests for the nwfilter renderer: golden nft scripts for the shipped filters and test filters, and its errors. */
#include "render.h"
#include "error.h"
#include "unit-util.h"

#include <string.h>

/*
 * Filters come from daemons/vmmd-nwfilter/filters (the shipped set, VMMD_FILTER_DIR) and
 * the XML files in tests/data/nwfilter/render; each case renders one binding and compares the port's
 * nft script with tests/data/nwfilter/render/<case>.nft (clean-traffic.nft is the one the
 * spec names). VMMD_TEST_REGENERATE=1 rewrites the .nft files. No kernel is involved.
 */

static GHashTable *filters;

static void load_dir(const char *dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *f;

        g_assert_nonnull(d);
        while ((f = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(dir, f, NULL);
                g_autofree char *xml = NULL;
                g_autoptr(GError) error = NULL;
                NWFilterDef *def;

                if (!g_str_has_suffix(f, ".xml"))
                        continue;
                xml = unit_read_file(path);
                def = nwfilter_def_parse_string(xml, NWFILTER_DEF_PARSE_VALIDATE, &error);
                g_assert_no_error(error);
                g_hash_table_replace(filters, def->name, def);
        }
}

static const NWFilterDef *lookup(void *userdata, const char *name) {
        return g_hash_table_lookup(filters, name);
}

static char *render_dir(void) {
        return g_build_filename(g_getenv("VMMD_TEST_DATA"), "nwfilter", "render", NULL);
}

static NWFilterBindingDef *binding(const char *filter, const char *const *params) {
        g_autoptr(GString) xml = g_string_new(NULL);

        g_string_append_printf(xml, "<filterbinding><owner><name>g</name><uuid>a1b2c3d4-e5f6-4071-8293-a4b5c6d7e8f9"
                                    "</uuid></owner><portdev name='vnet0'/><mac address='52:54:00:11:22:33'/>"
                                    "<filterref filter='%s'>", filter);
        for (const char *const *p = params; p && *p; p += 2)
                g_string_append_printf(xml, "<parameter name='%s' value='%s'/>", p[0], p[1]);
        g_string_append(xml, "</filterref></filterbinding>");
        {
                g_autoptr(GError) error = NULL;
                NWFilterBindingDef *b = nwfilter_binding_def_parse_string(xml->str, 0, &error);

                g_assert_no_error(error);
                return b;
        }
}

typedef struct {
        const char *name;              /* golden file */
        const char *filter;
        const char *params[15];
        bool no_reject;
        PortRulesKind kind;
} GoldenCase;

static const GoldenCase goldens[] = {
        { "clean-traffic", "clean-traffic", { "IP", "10.0.0.2" }, false, PORT_RULES_ACTIVE },
        { "no-mac-spoofing", "no-mac-spoofing", { NULL }, false, PORT_RULES_ACTIVE },
        { "clean-traffic-gateway", "clean-traffic-gateway", { "IP", "10.0.0.2", "GATEWAY_MAC", "52:54:00:00:00:01" },
          false, PORT_RULES_ACTIVE },
        { "allow-dhcp-server", "allow-dhcp-server", { "DHCPSERVER", "10.0.0.1" }, false, PORT_RULES_ACTIVE },
        { "dhcpv6", "test-ipv6", { "IPV6", "fd00::2", "DHCPSERVER", "fe80::1" }, false, PORT_RULES_ACTIVE },
        { "l3-state", "test-l3-state", { "IP", "10.0.0.2" }, false, PORT_RULES_ACTIVE },
        { "l3-reject-as-drop", "test-l3-state", { "IP", "10.0.0.2" }, true, PORT_RULES_ACTIVE },
        { "lists", "test-lists", { "IP", "10.0.0.2", "IP", "10.0.0.3", "PORT", "22", "PORT", "80", "PORT", "443",
                                   "NET", "10.1.0.0" }, false, PORT_RULES_ACTIVE },
        { "inherit", "test-inherit", { "IP", "10.0.0.2" }, false, PORT_RULES_ACTIVE },
        { "l2-misc", "test-l2-misc", { "IP", "10.0.0.2" }, false, PORT_RULES_ACTIVE },
        { "learning-any", "clean-traffic", { NULL }, false, PORT_RULES_LEARNING },
        { "learning-dhcp", "clean-traffic", { "CTRL_IP_LEARNING", "dhcp", "DHCPSERVER", "10.0.0.1" }, false,
          PORT_RULES_LEARNING },
};

static void test_golden(gconstpointer data) {
        const GoldenCase *c = data;
        g_autoptr(NWFilterBindingDef) b = binding(c->filter, c->params);
        RenderOptions opts = { .bridge_reject = !c->no_reject };
        g_autoptr(GError) error = NULL;
        g_autoptr(PortRules) p = nwfilter_render_port(b, lookup, NULL, &opts, &error);
        g_autofree char *dir = render_dir();
        g_autofree char *file = g_strconcat(c->name, ".nft", NULL);
        g_autofree char *path = g_build_filename(dir, file, NULL);
        g_autofree char *text = NULL;

        g_assert_no_error(error);
        g_assert_cmpint(p->kind, ==, c->kind);
        text = port_rules_to_string(p);
        unit_check_golden(path, text);
        if (c->no_reject)
                g_assert_true(p->reject_downgraded);
}

static void test_table(void) {
        g_autoptr(NWFilterBindingDef) b = binding("no-mac-spoofing", NULL);
        RenderOptions opts = { .bridge_reject = true };
        g_autoptr(GPtrArray) ports = g_ptr_array_new_with_free_func((GDestroyNotify) port_rules_free);
        g_autofree char *dir = render_dir();
        g_autofree char *path = g_build_filename(dir, "table.nft", NULL);
        g_autofree char *text = NULL;
        g_autoptr(GString) remove = g_string_new(NULL);
        g_autofree char *rpath = g_build_filename(dir, "remove.nft", NULL);

        g_ptr_array_add(ports, nwfilter_render_port(b, lookup, NULL, &opts, NULL));
        g_ptr_array_add(ports, nwfilter_render_failed("vnet9"));
        text = nwfilter_render_table(ports);
        unit_check_golden(path, text);
        port_rules_append_remove(remove, g_ptr_array_index(ports, 0));
        unit_check_golden(rpath, remove->str);
}

typedef struct {
        const char *what;
        const char *filter;
        const char *params[5];
        int code;
        const char *mention;
} ErrorCase;

static const ErrorCase errors[] = {
        { "missing-ip-none", "clean-traffic", { "CTRL_IP_LEARNING", "none" }, VMMD_ERROR_INVALID_ARG,
          "unresolvable variables or unavailable list elements: IP" },
        { "missing-two", "clean-traffic-gateway", { NULL }, VMMD_ERROR_INVALID_ARG, "GATEWAY_MAC IP" },
        { "index-out-of-range", "test-index", { "PEER", "10.0.0.2" }, VMMD_ERROR_INVALID_ARG, "PEER" },
        { "cardinality", "test-cardinality", { "A", "10.0.0.1", "B", "1" }, VMMD_ERROR_INVALID_ARG, "Cardinality" },
        { "missing-filter", "test-missing-ref", { NULL }, VMMD_ERROR_NO_NWFILTER, "'no-such-filter'" },
        { "missing-top", "no-such-filter", { NULL }, VMMD_ERROR_NO_NWFILTER, "no-such-filter" },
        { "loop", "test-loop-a", { NULL }, VMMD_ERROR_OPERATION_FAILED, "loop" },
        { "bad-value", "no-ip-spoofing", { "IP", "52:54:00:00:00:01" }, VMMD_ERROR_INVALID_ARG, "srcipaddr" },
        { "stp-later", "test-stp", { NULL }, VMMD_ERROR_NO_SUPPORT, "stp" },
        { "ipset-later", "test-ipset", { NULL }, VMMD_ERROR_NO_SUPPORT, "ipset" },
};

static void test_error(gconstpointer data) {
        const ErrorCase *c = data;
        g_autoptr(NWFilterBindingDef) b = binding(c->filter, c->params);
        RenderOptions opts = { .bridge_reject = true };
        g_autoptr(GError) error = NULL;
        g_autoptr(PortRules) p = nwfilter_render_port(b, lookup, NULL, &opts, &error);

        g_assert_null(p);
        g_test_message("%s: %s", c->what, error->message);
        g_assert_error(error, VMMD_ERROR, c->code);
        g_assert_nonnull(strstr(error->message, c->mention));
}

/* W6 relies on it: the same binding renders to the same text. */
static void test_stable(void) {
        g_autoptr(NWFilterBindingDef) b = binding("clean-traffic", (const char *const[]) { "IP", "10.0.0.2", NULL });
        RenderOptions opts = { .bridge_reject = true };
        g_autoptr(PortRules) p1 = nwfilter_render_port(b, lookup, NULL, &opts, NULL);
        g_autoptr(PortRules) p2 = nwfilter_render_port(b, lookup, NULL, &opts, NULL);
        g_autofree char *t1 = port_rules_to_string(p1);
        g_autofree char *t2 = port_rules_to_string(p2);

        g_assert_cmpstr(t1, ==, t2);
}

/* A redefinition under traffic: chains and map elements that both renderings have stay in
 * place (flushed and refilled), so no frame meets a chain the commit just created. */
static void test_change(void) {
        g_autoptr(NWFilterBindingDef) b1 = binding("clean-traffic", (const char *const[]) { "IP", "10.0.0.2", NULL });
        g_autoptr(NWFilterBindingDef) b2 = binding("clean-traffic", (const char *const[]) { "IP", "10.0.0.3", NULL });
        g_autoptr(NWFilterBindingDef) learning = binding("clean-traffic", NULL);
        RenderOptions opts = { .bridge_reject = true };
        g_autoptr(PortRules) p1 = nwfilter_render_port(b1, lookup, NULL, &opts, NULL);
        g_autoptr(PortRules) p2 = nwfilter_render_port(b2, lookup, NULL, &opts, NULL);
        g_autoptr(PortRules) pl = nwfilter_render_port(learning, lookup, NULL, &opts, NULL);
        g_autoptr(GString) same_shape = g_string_new(NULL);
        g_autoptr(GString) from_learning = g_string_new(NULL);
        g_autofree char *dir = render_dir();
        g_autofree char *path1 = g_build_filename(dir, "change.nft", NULL);
        g_autofree char *path2 = g_build_filename(dir, "change-from-learning.nft", NULL);

        g_assert_cmpint(pl->kind, ==, PORT_RULES_LEARNING);
        port_rules_append_change(same_shape, p1, p2);
        unit_check_golden(path1, same_shape->str);
        /* the same chains: nothing is added or deleted, only refilled */
        g_assert_null(strstr(same_shape->str, "add chain"));
        g_assert_null(strstr(same_shape->str, "delete chain"));
        g_assert_null(strstr(same_shape->str, "element"));
        g_assert_nonnull(strstr(same_shape->str, "10.0.0.3"));
        g_assert_null(strstr(same_shape->str, "10.0.0.2"));

        port_rules_append_change(from_learning, pl, p2);
        unit_check_golden(path2, from_learning->str);
        /* the port's entry from the map stays: its chain keeps its name */
        g_assert_null(strstr(from_learning->str, "delete element bridge " NWFILTER_NFT_TABLE " l2_out"));
        g_assert_null(strstr(from_learning->str, "add chain bridge " NWFILTER_NFT_TABLE " vnet0-l2-out\n"));
}

int main(int argc, char **argv) {
        g_autofree char *dir = NULL;

        g_test_init(&argc, &argv, NULL);
        filters = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) nwfilter_def_free);
        load_dir(g_getenv("VMMD_FILTER_DIR"));
        dir = render_dir();
        load_dir(dir);
        for (size_t i = 0; i < G_N_ELEMENTS(goldens); i++) {
                g_autofree char *p = g_strconcat("/nwfilter-render/golden/", goldens[i].name, NULL);
                g_test_add_data_func(p, &goldens[i], test_golden);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(errors); i++) {
                g_autofree char *p = g_strconcat("/nwfilter-render/error/", errors[i].what, NULL);
                g_test_add_data_func(p, &errors[i], test_error);
        }
        g_test_add_func("/nwfilter-render/table", test_table);
        g_test_add_func("/nwfilter-render/stable", test_stable);
        g_test_add_func("/nwfilter-render/change", test_change);
        return g_test_run();
}
