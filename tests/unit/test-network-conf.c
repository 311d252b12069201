/* Unit tests for the network and network port conf library: golden round trips, errors, API. */
#include "network-conf.h"
#include "error.h"
#include "unit-conf.h"
#include "unit-util.h"
#include "vmmd/network1.h"

#include <string.h>
#include <sys/socket.h>

/*
 * Golden convention: tests/data/network{,port}/out/NAME.xml = format(parse(in/NAME.xml, VALIDATE)).
 * A definition without <uuid> gets a new one at every parse; the test writes it as zeros.
 * Set VMMD_TEST_REGENERATE=1 to rewrite the out files (review the diff before committing).
 */

#define ZERO_UUID "00000000-0000-0000-0000-000000000000"

/* a UnitRoundTrip */
static char *network_round_trip(const char *name, const char *xml, bool golden, GError **error) {
        g_autoptr(NetworkDef) def = network_def_parse_string(xml, NETWORK_DEF_PARSE_VALIDATE, error);

        if (!def)
                return NULL;
        if (!strstr(xml, "<uuid>"))
                strcpy(def->uuid, ZERO_UUID);
        return network_def_format(def, 0);
}

static char *port_round_trip(const char *name, const char *xml, bool golden, GError **error) {
        g_autoptr(NetworkPortDef) def = network_port_def_parse_string(xml, NETWORK_PORT_DEF_PARSE_VALIDATE, error);

        if (!def)
                return NULL;
        return network_port_def_format(def);
}

/* --- error cases: tests/data/network{,port}/err/NAME.xml --- */

#define VALIDATE NETWORK_DEF_PARSE_VALIDATE

static const UnitErrorCase network_errors[] = {
        { "no-name", 0, VMMD_ERROR_NO_NAME, "name", NULL },
        { "name-slash", 0, VMMD_ERROR_XML_DETAIL, "a/b", NULL },
        { "bad-uuid", 0, VMMD_ERROR_XML_ERROR, "uuid", "not-a-uuid" },
        { "bad-mac", 0, VMMD_ERROR_XML_ERROR, "mac", "52:54:00:zz:00:01" },
        { "multicast-mac", 0, VMMD_ERROR_XML_ERROR, "multicast", NULL },
        { "bad-mtu", 0, VMMD_ERROR_XML_ERROR, "size", "big" },
        { "bad-delay", 0, VMMD_ERROR_XML_ERROR, "delay", "-1" },
        { "bad-ipv6-attr", 0, VMMD_ERROR_XML_ERROR, "ipv6", "maybe" },
        { "unknown-forward", 0, VMMD_ERROR_XML_ERROR, "teleport", NULL },
        { "nat-without-ip", 0, VMMD_ERROR_XML_ERROR, "<ip>", "nat" },
        { "two-forward-interfaces", 0, VMMD_ERROR_XML_ERROR, "more than one forward interface", NULL },
        { "open-with-dev", 0, VMMD_ERROR_XML_ERROR, "open", NULL },
        { "bridge-mode-stp", 0, VMMD_ERROR_XML_ERROR, "stp", NULL },
        { "bridge-mode-mtu", 0, VMMD_ERROR_XML_ERROR, "mtu", NULL },
        { "bridge-mode-name-and-dev", 0, VMMD_ERROR_XML_ERROR, "not both", NULL },
        { "bridge-mode-ip", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "<ip>", NULL },
        { "bridge-zone", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "trusted", NULL },
        { "range-no-end", 0, VMMD_ERROR_XML_ERROR, "missing end", NULL },
        { "range-outside", 0, VMMD_ERROR_XML_ERROR, "not entirely within", "10.0.1.5" },
        { "range-network-address", 0, VMMD_ERROR_XML_ERROR, "network address", "10.0.0.0" },
        { "range-broadcast", 0, VMMD_ERROR_XML_ERROR, "broadcast", "10.0.0.255" },
        { "host-no-ip", 0, VMMD_ERROR_XML_ERROR, "missing ip", NULL },
        { "host-v4-no-mac-name", 0, VMMD_ERROR_XML_ERROR, "mac or a name", "10.0.0.5" },
        { "host-v6-mac", 0, VMMD_ERROR_XML_ERROR, "cannot have a mac", NULL },
        { "host-v6-no-id-name", 0, VMMD_ERROR_XML_ERROR, "id or a name", NULL },
        { "host-multicast-mac", 0, VMMD_ERROR_XML_ERROR, "multicast", NULL },
        { "host-bad-name", 0, VMMD_ERROR_XML_ERROR, "-x", "letter" },
        { "short-lease", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "2 minutes", NULL },
        { "two-dhcp-v4", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "IPv4", NULL },
        { "bad-netmask", 0, VMMD_ERROR_XML_ERROR, "netmask", "255.0.255.0" },
        { "bad-address", 0, VMMD_ERROR_XML_ERROR, "10.0.0.300", NULL },
        { "malformed", 0, VMMD_ERROR_XML_ERROR, "line", NULL },
        { "wrong-root", 0, VMMD_ERROR_XML_ERROR, "network", NULL },
        { "schema-unknown-element", VALIDATE, VMMD_ERROR_XML_INVALID_SCHEMA, "frobnicate", NULL },
};

static const UnitErrorCase port_errors[] = {
        { "no-owner", 0, VMMD_ERROR_XML_ERROR, "owner", NULL },
        { "owner-bad-uuid", 0, VMMD_ERROR_XML_ERROR, "owner uuid", NULL },
        { "no-mac", 0, VMMD_ERROR_XML_ERROR, "mac", NULL },
        { "bad-plug", 0, VMMD_ERROR_XML_ERROR, "direct", NULL },
};

static void test_network_error(gconstpointer data) {
        const UnitErrorCase *c = data;
        g_autofree char *path = unit_data_path("network", "err", c->file);
        g_autofree char *xml = unit_read_file(path);
        g_autoptr(GError) error = NULL;
        g_autoptr(NetworkDef) def = network_def_parse_string(xml, c->flags, &error);

        unit_check_error(c, error, def != NULL);
}

static void test_port_error(gconstpointer data) {
        const UnitErrorCase *c = data;
        g_autofree char *path = unit_data_path("networkport", "err", c->file);
        g_autofree char *xml = unit_read_file(path);
        g_autoptr(GError) error = NULL;
        g_autoptr(NetworkPortDef) def = network_port_def_parse_string(xml, c->flags, &error);

        unit_check_error(c, error, def != NULL);
}

/* Every file in an err directory has a case, and every case a file. */
static void test_error_tables_complete(void) {
        unit_assert_error_table_complete("network", network_errors, G_N_ELEMENTS(network_errors));
        unit_assert_error_table_complete("networkport", port_errors, G_N_ELEMENTS(port_errors));
}

/* --- API behaviour beyond the golden files --- */

/* Without VALIDATE, unknown flag bits are refused rather than ignored. */
static void test_unknown_flags(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(NetworkDef) def = network_def_parse_string("<network><name>n</name></network>", 0x100, &error);

        g_assert_null(def);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG);
}

/* A missing uuid is generated, a different one each time; no forward element means mode none. */
static void test_defaults(void) {
        const char *xml = "<network><name>n</name><ip address='10.0.0.1' prefix='24'/></network>";
        g_autoptr(NetworkDef) a = network_def_parse_string(xml, 0, NULL);
        g_autoptr(NetworkDef) b = network_def_parse_string(xml, 0, NULL);
        const NetworkIpDef *ip;

        g_assert_nonnull(a);
        g_assert_nonnull(b);
        g_assert_cmpuint(strlen(a->uuid), ==, 36);
        g_assert_cmpstr(a->uuid, !=, b->uuid);
        g_assert_cmpint(a->forward, ==, NETWORK_FORWARD_NONE);
        ip = network_def_get_ip(a, AF_INET);
        g_assert_nonnull(ip);
        g_assert_cmpuint(ip->prefix, ==, 24);
        g_assert_null(network_def_get_ip(a, AF_INET6));
}

/* connections= is live-only: INACTIVE drops it, and the copy keeps every field. */
static void test_connections_and_copy(void) {
        g_autofree char *path = unit_data_path("network", "in", "nat-full");
        g_autofree char *xml = unit_read_file(path);
        g_autoptr(NetworkDef) def = network_def_parse_string(xml, 0, NULL);
        g_autoptr(NetworkDef) copy = NULL;
        g_autofree char *live = NULL, *inactive = NULL, *a = NULL, *b = NULL;

        g_assert_nonnull(def);
        def->connections = 3;
        live = network_def_format(def, 0);
        inactive = network_def_format(def, NETWORK_DEF_FORMAT_INACTIVE);
        g_assert_nonnull(strstr(live, "connections='3'"));
        g_assert_null(strstr(inactive, "connections"));
        copy = network_def_copy(def);
        a = network_def_format(def, 0);
        b = network_def_format(copy, 0);
        g_assert_cmpstr(a, ==, b);
}

static void test_mac_parse(void) {
        char mac[18];

        g_assert_true(network_mac_parse("52:54:00:AB:cd:0F", mac));
        g_assert_cmpstr(mac, ==, "52:54:00:ab:cd:0f");
        g_assert_false(network_mac_parse("52:54:00:ab:cd", mac));
        g_assert_false(network_mac_parse("52:54:00:ab:cd:0f:", mac));
        g_assert_false(network_mac_parse("52-54-00-ab-cd-0f", mac));
        g_assert_false(network_mac_parse("+2:54:00:ab:cd:0f", mac));
}

/* network_def_update (spec §6): what each section does to the definition, and what it refuses. */
static void test_update(void) {
        g_autoptr(NetworkDef) def = network_def_parse_string(
                "<network><name>u</name><forward mode='nat'/><bridge name='vbr0'/>"
                "<dns><host ip='10.9.0.5'><hostname>a</hostname></host><host ip='10.9.0.6'><hostname>b</hostname>"
                "</host></dns><ip address='10.9.0.1' prefix='24'/>"
                "<ip address='fd00::1' prefix='64'><dhcp><range start='fd00::10' end='fd00::20'/></dhcp></ip>"
                "</network>", 0, NULL);
        NetworkIpDef *ip4, *ip6;
        NetworkUpdateEffect effect;
        g_autoptr(GError) error = NULL;

        g_assert_nonnull(def);
        ip4 = def->ips->pdata[0];
        ip6 = def->ips->pdata[1];
        /* the default <ip> is the one with DHCP: an IPv4 host there is a family mismatch */
        g_assert_false(network_def_update(def, NETWORK_UPDATE_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST, -1,
                                          "<host mac='52:54:00:00:00:01' ip='10.9.0.9'/>", &effect, &error));
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID);
        g_clear_error(&error);
        /* by index: DHCP goes on for the IPv4 <ip>, which needs a new dnsmasq */
        g_assert_true(network_def_update(def, NETWORK_UPDATE_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST, 0,
                                         "<host mac='52:54:00:00:00:01' ip='10.9.0.9'/>", &effect, &error));
        g_assert_no_error(error);
        g_assert_cmpint(effect, ==, NETWORK_UPDATE_EFFECT_RESTART);
        g_assert_true(ip4->has_dhcp);
        g_assert_cmpuint(ip4->hosts->len, ==, 1);
        g_assert_false(network_def_update(def, NETWORK_UPDATE_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST, 7,
                                          "<host mac='52:54:00:00:00:02' ip='10.9.0.10'/>", &effect, &error));
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID);
        g_clear_error(&error);
        /* modify finds the host by MAC and replaces it: a SIGHUP is enough */
        g_assert_true(network_def_update(def, NETWORK_UPDATE_MODIFY, NETWORK_SECTION_IP_DHCP_HOST, 0,
                                         "<host mac='52:54:00:00:00:01' ip='10.9.0.11'/>", &effect, &error));
        g_assert_cmpint(effect, ==, NETWORK_UPDATE_EFFECT_HOSTS);
        g_assert_cmpstr(((NetworkDhcpHost *) ip4->hosts->pdata[0])->ip, ==, "10.9.0.11");
        /* ranges: add first, duplicate, delete */
        g_assert_true(network_def_update(def, NETWORK_UPDATE_ADD_FIRST, NETWORK_SECTION_IP_DHCP_RANGE, 1,
                                         "<range start='fd00::30' end='fd00::40'/>", &effect, &error));
        g_assert_cmpint(effect, ==, NETWORK_UPDATE_EFFECT_RESTART);
        g_assert_cmpstr(((NetworkDhcpRange *) ip6->ranges->pdata[0])->start, ==, "fd00::30");
        g_assert_false(network_def_update(def, NETWORK_UPDATE_ADD_LAST, NETWORK_SECTION_IP_DHCP_RANGE, 1,
                                          "<range start='fd00::30' end='fd00::40'/>", &effect, &error));
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID);
        g_clear_error(&error);
        g_assert_true(network_def_update(def, NETWORK_UPDATE_DELETE, NETWORK_SECTION_IP_DHCP_RANGE, 1,
                                         "<range start='fd00::10' end='fd00::20'/>", &effect, &error));
        g_assert_cmpuint(ip6->ranges->len, ==, 1);
        /* a range outside the subnet is the XML's fault */
        g_assert_false(network_def_update(def, NETWORK_UPDATE_ADD_LAST, NETWORK_SECTION_IP_DHCP_RANGE, 0,
                                          "<range start='10.8.0.10' end='10.8.0.20'/>", &effect, &error));
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR);
        g_clear_error(&error);
        /* DNS hosts: modify and delete need exactly one match */
        g_assert_true(network_def_update(def, NETWORK_UPDATE_MODIFY, NETWORK_SECTION_DNS_HOST, -1,
                                         "<host ip='10.9.0.5'><hostname>a2</hostname></host>", &effect, &error));
        g_assert_cmpstr(((NetworkDnsHost *) def->dns_hosts->pdata[0])->hostnames[0], ==, "a2");
        g_assert_false(network_def_update(def, NETWORK_UPDATE_DELETE, NETWORK_SECTION_DNS_HOST, -1,
                                          "<host ip='10.9.0.6'><hostname>a2</hostname></host>", &effect, &error));
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID);
        g_assert_nonnull(strstr(error->message, "multiple"));
        g_clear_error(&error);
        g_assert_true(network_def_update(def, NETWORK_UPDATE_DELETE, NETWORK_SECTION_DNS_HOST, -1,
                                         "<host ip='10.9.0.6'><hostname>b</hostname></host>", &effect, &error));
        g_assert_cmpuint(def->dns_hosts->len, ==, 1);
        /* commands and sections outside the table */
        g_assert_false(network_def_update(def, 5, NETWORK_SECTION_DNS_HOST, -1, "<host/>", &effect, &error));
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_UNSUPPORTED);
        g_clear_error(&error);
        g_assert_false(network_def_update(def, NETWORK_UPDATE_ADD_LAST, 42, -1, "<host/>", &effect, &error));
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_UNSUPPORTED);
        g_assert_nonnull(strstr(error->message, "unknown"));
        g_clear_error(&error);
        g_assert_false(network_def_update(def, NETWORK_UPDATE_ADD_LAST, NETWORK_SECTION_PORTGROUP, -1,
                                          "<portgroup name='p'/>", &effect, &error));
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_NO_SUPPORT);
        g_assert_nonnull(strstr(error->message, "portgroup"));
}

int main(int argc, char **argv) {
        static const UnitGolden golden[] = {
                { "network", "/network-conf/golden/network", "/network-conf/idempotent/network",
                  network_round_trip },
                { "networkport", "/network-conf/golden/networkport", "/network-conf/idempotent/networkport",
                  port_round_trip },
        };

        g_test_init(&argc, &argv, NULL);
        for (size_t k = 0; k < G_N_ELEMENTS(golden); k++)
                unit_add_golden_tests(&golden[k]);
        for (size_t i = 0; i < G_N_ELEMENTS(network_errors); i++) {
                g_autofree char *p = g_strdup_printf("/network-conf/error/network/%s", network_errors[i].file);
                g_test_add_data_func(p, &network_errors[i], test_network_error);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(port_errors); i++) {
                g_autofree char *p = g_strdup_printf("/network-conf/error/networkport/%s", port_errors[i].file);
                g_test_add_data_func(p, &port_errors[i], test_port_error);
        }
        g_test_add_func("/network-conf/error-tables-complete", test_error_tables_complete);
        g_test_add_func("/network-conf/unknown-flags", test_unknown_flags);
        g_test_add_func("/network-conf/defaults", test_defaults);
        g_test_add_func("/network-conf/connections-and-copy", test_connections_and_copy);
        g_test_add_func("/network-conf/mac-parse", test_mac_parse);
        g_test_add_func("/network-conf/update", test_update);
        return g_test_run();
}
