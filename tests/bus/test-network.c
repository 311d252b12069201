/* Bus tests for vmmd-network definitions: define, lookups, lists, autostart, undefine, errors and access
 * (spec network.md §1, N1–N8, N17). Starting networks with their own bridge is tested in a namespace elsewhere. */
#include "bus-harness.h"
#include "vmmd/network1.h"

#include <string.h>

#define NET NETWORK_BUS_NAME
#define UUID1 "5a3e1c2b-0000-4000-8000-000000000001"
#define UUID2 "5a3e1c2b-0000-4000-8000-000000000002"

static char *net_xml(const char *name, const char *uuid, const char *extra) {
        return g_strdup_printf("<network><name>%s</name>%s%s%s<forward mode='nat'/>%s"
                               "<ip address='10.77.0.1' prefix='24'><dhcp><range start='10.77.0.10' end='10.77.0.20'/>"
                               "</dhcp></ip></network>",
                               name, uuid ? "<uuid>" : "", uuid ? uuid : "", uuid ? "</uuid>" : "", extra ? extra : "");
}

static char *call_path(TestBus *tb, const char *path, const char *iface, const char *member, sd_bus_error *e,
                       const char *types, const char *s, uint32_t u) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *o;

        if (test_call_to(tb, NET, path, iface, member, e, &reply, types, s, u) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &o), >=, 0);
        return g_strdup(o);
}

static char *net_define(TestBus *tb, const char *xml, uint32_t flags, sd_bus_error *e) {
        return call_path(tb, NETWORK_MANAGER_PATH, NETWORK_MANAGER_INTERFACE, "NetworkDefineXML", e, "su", xml, flags);
}

static char *net_lookup(TestBus *tb, const char *member, const char *arg, sd_bus_error *e) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *o;

        if (test_call_to(tb, NET, NETWORK_MANAGER_PATH, NETWORK_MANAGER_INTERFACE, member, e, &reply, "s", arg) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &o), >=, 0);
        return g_strdup(o);
}

static int net_call0(TestBus *tb, const char *path, const char *member, sd_bus_error *e) {
        return test_call_to(tb, NET, path, NETWORK_INTERFACE, member, e, NULL, "");
}

static char *net_prop_s(TestBus *tb, const char *path, const char *prop) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *s = NULL;

        if (sd_bus_get_property_string(tb->bus, NET, path, NETWORK_INTERFACE, prop, &e, &s) < 0)
                g_error("Get %s: %s", prop, e.message);
        return s;
}

static bool net_prop_b(TestBus *tb, const char *path, const char *prop) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        int b;

        if (sd_bus_get_property(tb->bus, NET, path, NETWORK_INTERFACE, prop, &e, &reply, "b") < 0)
                g_error("Get %s: %s", prop, e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "b", &b), >=, 0);
        return b;
}

static char *net_xml_desc(TestBus *tb, const char *path, uint32_t flags) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        const char *s;

        if (test_call_to(tb, NET, path, NETWORK_INTERFACE, "GetXMLDesc", &e, &reply, "u", flags) < 0)
                g_error("GetXMLDesc: %s: %s", e.name, e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &s), >=, 0);
        return g_strdup(s);
}

/* NetworkEvent numbers for path, in arrival order, as "0,1" */
static char *net_events(TestBus *tb, const char *path) {
        GString *s = g_string_new(NULL);

        test_bus_drain(tb);
        for (guint i = 0; i < tb->signals->len; i++) {
                TestSignal *sig = g_ptr_array_index(tb->signals, i);

                if (g_str_equal(sig->member, "NetworkEvent") && g_strcmp0(sig->object, path) == 0)
                        g_string_append_printf(s, "%s%d", s->len ? "," : "", sig->event);
        }
        return g_string_free(s, FALSE);
}

static char **net_list(TestBus *tb, uint32_t flags) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        char **paths = NULL;

        g_assert_cmpint(test_call_to(tb, NET, NETWORK_MANAGER_PATH, NETWORK_MANAGER_INTERFACE, "ListNetworks", &e,
                                     &reply, "u", flags), >=, 0);
        g_assert_cmpint(sd_bus_message_read_strv(reply, &paths), >=, 0);
        return paths ? paths : g_new0(char *, 1);   /* an empty array reads as NULL */
}

/* N1: the file, DEFINED and InterfacesAdded; a bridge name and a MAC are chosen and stored */
static void test_net_define(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *xml = net_xml("n1", UUID1, NULL);
        g_autofree char *path = net_define(tb, xml, NETWORK_DEFINE_VALIDATE, &e);
        g_autofree char *file = test_root_file(tb, "etc/vmmd/network/n1.xml");
        g_autofree char *content = NULL, *events = NULL, *uuid = NULL, *mode = NULL, *desc = NULL, *bridge = NULL;

        g_assert_nonnull(path);
        g_assert_true(g_str_has_prefix(path, NETWORK_PREFIX "/"));
        content = test_read_file(file);
        g_assert_nonnull(content);
        g_assert_nonnull(strstr(content, "Generated by vmmd-network"));
        g_assert_nonnull(strstr(content, "<name>n1</name>"));
        g_assert_nonnull(strstr(content, "<bridge name='virbr0'/>"));
        g_assert_nonnull(strstr(content, "<mac address='52:54:00:"));
        test_assert_no_temp_files(test_root_file(tb, "etc/vmmd/network"));
        events = net_events(tb, path);
        g_assert_cmpstr(events, ==, "0");
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesAdded", path, 0), >=, 0);
        g_assert_false(net_prop_b(tb, path, "Active"));
        g_assert_true(net_prop_b(tb, path, "Persistent"));
        g_assert_false(net_prop_b(tb, path, "Autostart"));
        uuid = net_prop_s(tb, path, "UUID");
        g_assert_cmpstr(uuid, ==, UUID1);
        mode = net_prop_s(tb, path, "ForwardMode");
        g_assert_cmpstr(mode, ==, "nat");
        bridge = net_prop_s(tb, path, "BridgeName");
        g_assert_cmpstr(bridge, ==, "");   /* not running */
        desc = net_xml_desc(tb, path, 0);
        g_assert_nonnull(strstr(desc, "<bridge name='virbr0'/>"));

        /* the second network gets the next free bridge; the first keeps its MAC on redefinition */
        {
                g_autofree char *x2 = net_xml("n2", UUID2, NULL);
                g_autofree char *p2 = net_define(tb, x2, 0, &e);
                g_autofree char *d2 = NULL, *again = NULL, *d1 = NULL;
                g_autofree char *mac = g_strndup(strstr(content, "<mac address='"),
                                                 strlen("<mac address='52:54:00:00:00:00'"));

                g_assert_nonnull(p2);
                d2 = net_xml_desc(tb, p2, 0);
                g_assert_nonnull(strstr(d2, "<bridge name='virbr1'/>"));
                again = net_define(tb, xml, 0, &e);
                g_assert_cmpstr(again, ==, path);
                d1 = net_xml_desc(tb, path, 0);
                g_assert_nonnull(strstr(d1, "<bridge name='virbr0'/>"));
                g_assert_nonnull(strstr(d1, mac));
        }
}

/* N2–N4 and flags: named errors, nothing on disk */
static void test_net_define_errors(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *cfg = test_root_file(tb, "etc/vmmd/network");
        g_autofree char *good = net_xml("taken", UUID1, "<bridge name='vbr5'/>");
        g_autofree char *same_name = net_xml("taken", UUID2, NULL);
        g_autofree char *same_uuid = net_xml("other", UUID1, NULL);
        g_autofree char *same_bridge = net_xml("third", UUID2, "<bridge name='vbr5'/>");
        const struct {
                const char *xml;
                uint32_t flags;
                const char *error;
                const char *mention;
        } cases[] = {
                { "<network><name>x</name>", 0, VMMD_DBUS_ERROR_XML_ERROR, "line" },
                { "<network><forward mode='nat'/></network>", 0, VMMD_DBUS_ERROR_NO_NAME, "name" },
                { "<network><name>a/b</name></network>", 0, VMMD_DBUS_ERROR_XML_DETAIL, "a/b" },
                { "<network><name>x</name><forward mode='nat'/></network>", 0, VMMD_DBUS_ERROR_XML_ERROR, "<ip>" },
                { "<network><name>x</name><ip address='10.0.0.1' prefix='24'><dhcp><range start='10.0.0.2' "
                  "end='10.0.1.2'/></dhcp></ip></network>", 0, VMMD_DBUS_ERROR_XML_ERROR, "not entirely within" },
                { "<network><name>x</name><bridge name='b' zone='z'/></network>", 0,
                  VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "zone" },
                { "<network><name>x</name><bogus/></network>", NETWORK_DEFINE_VALIDATE,
                  VMMD_DBUS_ERROR_XML_INVALID_SCHEMA, "bogus" },
                { "<network><name>x</name></network>", 0x10, VMMD_DBUS_ERROR_INVALID_ARG, "0x10" },
                { same_name, 0, VMMD_DBUS_ERROR_OPERATION_FAILED, "already exists with uuid" },
                { same_uuid, 0, VMMD_DBUS_ERROR_OPERATION_FAILED, "taken" },
                { same_bridge, 0, VMMD_DBUS_ERROR_OPERATION_FAILED, "vbr5" },
        };
        g_auto(sd_bus_error) e0 = SD_BUS_ERROR_NULL;
        g_autofree char *first = net_define(tb, good, 0, &e0);
        g_autofree char *before = NULL;

        g_assert_nonnull(first);
        before = test_dir_snapshot(cfg);
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *p = net_define(tb, cases[i].xml, cases[i].flags, &e);
                g_autofree char *after = NULL;

                g_assert_null(p);
                assert_bus_error(&e, cases[i].error, cases[i].mention);
                after = test_dir_snapshot(cfg);
                g_assert_cmpstr(after, ==, before);
        }
}

/* §1.1: lookups by name and uuid, NoNetwork for unknown ones; list filters by state pairs */
static void test_lookup_and_list(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *x1 = net_xml("beta", UUID1, NULL);
        g_autofree char *x2 = net_xml("alpha", UUID2, NULL);
        g_autofree char *p1 = net_define(tb, x1, 0, &e);
        g_autofree char *p2 = net_define(tb, x2, 0, &e);
        g_autofree char *by_name = net_lookup(tb, "NetworkLookupByName", "beta", &e);
        g_autofree char *by_uuid = net_lookup(tb, "NetworkLookupByUUID", UUID2, &e);
        g_auto(GStrv) all = net_list(tb, 0);
        g_auto(GStrv) active = net_list(tb, NETWORK_LIST_ACTIVE);
        g_auto(GStrv) both = net_list(tb, NETWORK_LIST_ACTIVE | NETWORK_LIST_INACTIVE);
        g_auto(GStrv) persistent = net_list(tb, NETWORK_LIST_PERSISTENT);

        g_assert_cmpstr(by_name, ==, p1);
        g_assert_cmpstr(by_uuid, ==, p2);
        g_assert_cmpuint(g_strv_length(all), ==, 2);
        g_assert_cmpstr(all[0], ==, p2);   /* sorted by name */
        g_assert_cmpuint(g_strv_length(active), ==, 0);
        g_assert_cmpuint(g_strv_length(both), ==, 2);
        g_assert_cmpuint(g_strv_length(persistent), ==, 2);
        {
                g_auto(sd_bus_error) e2 = SD_BUS_ERROR_NULL;
                g_autofree char *none = net_lookup(tb, "NetworkLookupByName", "gamma", &e2);

                g_assert_null(none);
                assert_bus_error(&e2, VMMD_DBUS_ERROR_NO_NETWORK, "gamma");
        }
        {
                g_auto(sd_bus_error) e3 = SD_BUS_ERROR_NULL;
                g_autofree char *none = net_lookup(tb, "NetworkLookupByUUID", "not-a-uuid", &e3);

                g_assert_null(none);
                assert_bus_error(&e3, VMMD_DBUS_ERROR_INVALID_ARG, "not-a-uuid");
        }
}

/* N17 and N6: the autostart link, then undefine removes the file and the link and the object */
static void test_autostart_and_undefine(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *xml = net_xml("n1", UUID1, NULL);
        g_autofree char *path = net_define(tb, xml, 0, &e);
        g_autofree char *file = test_root_file(tb, "etc/vmmd/network/n1.xml");
        g_autofree char *link = test_root_file(tb, "etc/vmmd/network/autostart/n1.xml");
        g_autofree char *events = NULL;
        g_auto(GStrv) autostarted = NULL;

        g_assert_nonnull(path);
        g_assert_cmpint(sd_bus_set_property(tb->bus, NET, path, NETWORK_INTERFACE, "Autostart", &e, "b", 1), >=, 0);
        g_assert_true(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
        g_assert_true(net_prop_b(tb, path, "Autostart"));
        autostarted = net_list(tb, NETWORK_LIST_AUTOSTART);
        g_assert_cmpuint(g_strv_length(autostarted), ==, 1);

        g_assert_cmpint(net_call0(tb, path, "Undefine", &e), >=, 0);
        g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
        events = net_events(tb, path);
        g_assert_cmpstr(events, ==, "0,1");
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesRemoved", path, 0), >=, 0);
        {
                g_auto(sd_bus_error) e2 = SD_BUS_ERROR_NULL;
                g_autofree char *gone = net_lookup(tb, "NetworkLookupByName", "n1", &e2);

                g_assert_null(gone);
                assert_bus_error(&e2, VMMD_DBUS_ERROR_NO_NETWORK, "n1");
        }
}

/* N10, N13, N16: Destroy of an inactive network, a host bridge that does not exist; nothing
 * is left behind (no status file, no event) */
static void test_start_errors(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = net_define(tb, "<network><name>hb</name><forward mode='bridge'/>"
                                           "<bridge name='vmmdt-nobr0'/></network>", 0, &e);
        g_autofree char *status = test_root_file(tb, "run/vmmd/network/hb.xml");
        g_autofree char *events = NULL;

        g_assert_nonnull(path);
        {
                g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL;

                g_assert_cmpint(net_call0(tb, path, "Destroy", &e1), <, 0);
                assert_bus_error(&e1, VMMD_DBUS_ERROR_OPERATION_INVALID, "not active");
        }
        {
                g_auto(sd_bus_error) e2 = SD_BUS_ERROR_NULL;

                g_assert_cmpint(net_call0(tb, path, "Create", &e2), <, 0);
                assert_bus_error(&e2, VMMD_DBUS_ERROR_OPERATION_FAILED, "vmmdt-nobr0");
        }
        g_assert_false(g_file_test(status, G_FILE_TEST_EXISTS));
        g_assert_false(net_prop_b(tb, path, "Active"));
        events = net_events(tb, path);
        g_assert_cmpstr(events, ==, "0");
}

/* §1.4: a read-only caller may look but not change */
static void test_read_only_caller(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *xml = net_xml("n1", UUID1, NULL);
        g_autofree char *path = net_define(tb, xml, 0, &e);
        g_autofree char *out = NULL;
        const char *const list[] = { "busctl", "--user", "call", NET, NETWORK_MANAGER_PATH, NETWORK_MANAGER_INTERFACE,
                                     "ListNetworks", "u", "0", NULL };

        g_assert_nonnull(path);
        g_assert_cmpint(test_run(tb, true, &out, NULL, list), ==, 0);
        g_assert_nonnull(strstr(out, path));
        {
                g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL;

                g_assert_cmpint(test_call_nobody_to(tb, NET, path, NETWORK_INTERFACE, "Undefine", &e1, ""), <, 0);
                assert_bus_error(&e1, VMMD_DBUS_ERROR_OPERATION_DENIED, "Undefine");
        }
        {
                g_auto(sd_bus_error) e2 = SD_BUS_ERROR_NULL;
                g_autofree char *x2 = net_xml("n2", UUID2, NULL);

                g_assert_cmpint(test_call_nobody_to(tb, NET, NETWORK_MANAGER_PATH, NETWORK_MANAGER_INTERFACE,
                                                    "NetworkDefineXML", &e2, "su", x2, 0), <, 0);
                assert_bus_error(&e2, VMMD_DBUS_ERROR_OPERATION_DENIED, "NetworkDefineXML");
        }
        g_assert_true(g_file_test(test_root_file(tb, "etc/vmmd/network/n1.xml"), G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(test_root_file(tb, "etc/vmmd/network/n2.xml"), G_FILE_TEST_EXISTS));
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/network/define", test_net_define);
        g_test_add_func("/network/define-errors", test_net_define_errors);
        g_test_add_func("/network/lookup-and-list", test_lookup_and_list);
        g_test_add_func("/network/autostart-and-undefine", test_autostart_and_undefine);
        g_test_add_func("/network/start-errors", test_start_errors);
        g_test_add_func("/network/read-only-caller", test_read_only_caller);
        return g_test_run();
}
