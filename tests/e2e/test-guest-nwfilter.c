/* End-to-end: a guest NIC with <filterref> (spec nwfilter.md §10): vmmd-qemu binds the filter to its tap before the guest runs, the guest still gets its DHCP lease through clean-traffic, and the binding goes with the guest. The test re-executes itself under `unshare --net`. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "e2e-util.h"
#include "vmmd/nwfilter1.h"
#include "vmmd/qemu1.h"

#define NETNS_ENV "VMMD_TEST_GUEST_NWFILTER_IN_NETNS"
#define BOOT_MS 60000
#define STOP_MS 30000
#define BRIDGE "vmmdtbr8"
#define MAC "52:54:00:7a:00:08"
#define UUID_A "5d6e0b5c-64f7-4f5e-9a3c-0a0000000801"
#define UUID_B "5d6e0b5c-64f7-4f5e-9a3c-0a0000000802"

/* path_env: a PATH= for the daemons, or NULL */
static TestBus *bus_new_with(const char *path_env) {
        g_autofree char *shipped = g_build_filename(g_getenv("VMMD_SOURCE_ROOT"), "daemons", "vmmd-nwfilter", "filters",
                                                    NULL);
        g_autofree char *env = g_strconcat("VMMD_NWFILTER_SHIPPED_DIR=", shipped, NULL);
        const char *extra[] = { env, path_env, NULL };

        return e2e_bus_new(extra);
}

static TestBus *bus_new(void) {
        return bus_new_with(NULL);
}

static char *nic_xml(const char *filter) {
        return g_strdup_printf("<interface type='bridge'><mac address='" MAC "'/><source bridge='" BRIDGE "'/>"
                               "<model type='virtio'/><filterref filter='%s'>"
                               "<parameter name='DHCPSERVER' value='10.78.0.1'/></filterref></interface>", filter);
}

static char *binding_path(TestBus *tb, const char *tap, sd_bus_error *e) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *o;

        if (test_call_to(tb, NWFILTER_BUS_NAME, NWFILTER_MANAGER_PATH, NWFILTER_MANAGER_INTERFACE,
                         "NWFilterBindingLookupByPortDev", e, &reply, "s", tap) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &o), >=, 0);
        return g_strdup(o);
}

static char *binding_prop(TestBus *tb, const char *path, const char *name) {
        g_autoptr(sd_bus_message) reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *v;

        g_assert_cmpint(test_call_to(tb, NWFILTER_BUS_NAME, path, "org.freedesktop.DBus.Properties", "Get", &e, &reply,
                                     "ss", NWFILTER_BINDING_INTERFACE, name), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "v", "s", &v), >=, 0);
        return g_strdup(v);
}

/* clean-traffic without IP: the interim rules (W12) let DHCP through; the binding is the tap's and goes at stop. */
static void test_clean_traffic_dhcp(void) {
        g_autoptr(E2EBus) tb = bus_new();
        g_autofree char *nic = nic_xml("clean-traffic");
        g_autofree char *xml = e2e_guest_xml(tb, "f1", UUID_A, "testguest.net=dhcp", NULL, nic);
        g_autofree char *path = NULL, *tap = NULL, *b = NULL, *owner = NULL, *state = NULL;
        g_autofree char *table = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        TestSignal *sig;
        GPid dnsmasq = e2e_host_bridge_up(tb, BRIDGE, "10.78.0");

        path = test_define(tb, xml, 0, &e);
        if (!path)
                g_error("define: %s: %s", e.name, e.message);
        if (e2e_domain_call(tb, path, "Create", false, 0, &e) < 0)
                g_error("Create: %s: %s", e.name, e.message);
        tap = e2e_live_tap(tb, path);

        b = binding_path(tb, tap, &e);
        if (!b)
                g_error("no binding for %s: %s: %s", tap, e.name, e.message);
        owner = binding_prop(tb, b, "OwnerName");
        g_assert_cmpstr(owner, ==, "f1");
        state = binding_prop(tb, b, "State");
        g_assert_cmpstr(state, ==, "learning");
        table = e2e_run("nft list table bridge vmmd_nwfilter");
        g_assert_nonnull(strstr(table, tap));

        g_assert_true(e2e_wait_serial(tb, "f1", "TESTGUEST IP eth0 10.78.0.", 1, BOOT_MS));

        /* §10.3: the binding lost while both daemons were away comes back when vmmd-qemu re-attaches */
        {
                g_autofree char *rel = g_strdup_printf("run/vmmd/nwfilter/binding/%s.xml", tap);
                g_autofree char *file = g_build_filename(tb->root, rel, NULL);
                g_autofree char *again = NULL, *state2 = NULL;

                test_bus_kill_name(tb, NWFILTER_BUS_NAME);
                test_bus_kill_name(tb, QEMU_BUS_NAME);
                g_assert_cmpint(unlink(file), ==, 0);
                test_bus_drain(tb);
                test_bus_clear_signals(tb);
                g_free(test_get_xml(tb, path, 0));   /* activates vmmd-qemu, which re-attaches */
                sig = test_bus_wait_signal(tb, "NWFilterBindingEvent", STOP_MS);
                g_assert_nonnull(sig);
                g_assert_cmpint(sig->event, ==, NWFILTER_BINDING_EVENT_CREATED);
                again = binding_path(tb, tap, &e);
                g_assert_nonnull(again);
                state2 = binding_prop(tb, again, "State");
                g_assert_cmpstr(state2, ==, "learning");
                g_assert_true(g_file_test(file, G_FILE_TEST_EXISTS));
        }

        test_bus_drain(tb);
        test_bus_clear_signals(tb);
        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), >=, 0);
        /* vmmd-qemu does not wait for the delete: its signal is the bounded wait */
        sig = test_bus_wait_signal(tb, "NWFilterBindingEvent", STOP_MS);
        g_assert_nonnull(sig);
        g_assert_cmpint(sig->event, ==, NWFILTER_BINDING_EVENT_DELETED);
        g_clear_pointer(&b, g_free);
        b = binding_path(tb, tap, &e);
        g_assert_null(b);
        assert_bus_error(&e, "org.vmmd.Error.NoNWFilterBinding", tap);
        g_free(table);
        table = e2e_run("nft list table bridge vmmd_nwfilter");
        g_assert_null(strstr(table, tap));
        kill(dnsmasq, SIGTERM);
        g_assert_true(e2e_wait_pid_exit(dnsmasq, STOP_MS));
        g_spawn_close_pid(dnsmasq);
        g_free(e2e_run("ip link del " BRIDGE));
}

/* A filter that does not exist: the start fails with vmmd-nwfilter's error, no QEMU, no tap (§10.1). */
static void test_missing_filter(void) {
        g_autoptr(E2EBus) tb = bus_new();
        g_autofree char *nic = nic_xml("no-such-filter");
        g_autofree char *xml = e2e_guest_xml(tb, "f2", UUID_A, NULL, NULL, nic);
        g_autofree char *path = NULL, *links = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        g_free(e2e_run("ip link add " BRIDGE " type bridge"));
        path = test_define(tb, xml, 0, &e);
        g_assert_nonnull(path);
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), <, 0);
        assert_bus_error(&e, "org.vmmd.Error.NoNWFilter", "no-such-filter");
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, 0);
        links = e2e_run("ip -o link show");
        g_assert_null(strstr(links, "vnet"));
        g_free(e2e_run("ip link del " BRIDGE));
}

/* While vmmd-nwfilter is slow to apply a binding (its nft waits at a gate the test holds), vmmd-qemu answers
 * other calls, refuses a second start, and has no QEMU running: the guest runs only once its rules are in force. */
static void test_slow_binding_does_not_block(void) {
        g_autoptr(TestGate) gate = test_gate_new("nft");
        g_autoptr(E2EBus) tb = bus_new_with(gate->path_env);
        g_autofree char *nic = nic_xml("clean-traffic");
        g_autofree char *xml = e2e_guest_xml(tb, "f3", UUID_A, NULL, NULL, nic);
        g_autofree char *xml_b = e2e_guest_xml(tb, "f4", UUID_B, NULL, NULL, nic);
        g_autofree char *path = NULL, *tap = NULL, *b = NULL, *path_b = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_auto(sd_bus_error) reply = SD_BUS_ERROR_NULL;
        g_auto(sd_bus_error) reply_b = SD_BUS_ERROR_NULL;
        pid_t nft;

        g_free(e2e_run("ip link add " BRIDGE " type bridge"));
        path = test_define(tb, xml, 0, &e);
        g_assert_nonnull(path);
        g_assert_cmpint(sd_bus_call_method_async(tb->bus, NULL, QEMU_BUS_NAME, path, QEMU_DOMAIN_INTERFACE, "Create",
                                                 test_reply_to_error, &reply, "u", 0), >=, 0);
        /* vmmd-nwfilter is in nft now, which waits at the gate */
        nft = test_gate_wait_held(gate, 30000);
        g_assert_cmpint(nft, >, 1);
        /* a blocked vmmd-qemu would answer only when the binding call gave up */
        g_assert_cmpint(test_call_to(tb, QEMU_BUS_NAME, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE, "ListDomains", &e,
                                     NULL, "u", 0), >=, 0);
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), <, 0);
        assert_bus_error(&e, "org.vmmd.Error.OperationInvalid", "being started");
        sd_bus_error_free(&e);
        /* a transient guest whose start waits behind that binding: a DefineXML of its uuid meanwhile would
         * write a definition for a domain the start then drops (or frees under it), so it is refused */
        g_assert_cmpint(sd_bus_call_method_async(tb->bus, NULL, QEMU_BUS_NAME, QEMU_MANAGER_PATH,
                                                 QEMU_MANAGER_INTERFACE, "DomainCreateXML", test_reply_to_error,
                                                 &reply_b, "su", xml_b, 0), >=, 0);
        g_assert_null(test_define(tb, xml_b, 0, &e));
        assert_bus_error(&e, "org.vmmd.Error.OperationInvalid", "being started");
        sd_bus_error_free(&e);
        g_assert_false(sd_bus_error_is_set(&reply));
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, 0);
        g_assert_cmpint(kill(nft, 0), ==, 0);

        /* through the gate: the binding is made, then QEMU starts and the call is answered */
        test_gate_open(gate);
        (void) test_wait_reply(tb, &reply, 60000);
        if (!sd_bus_error_has_name(&reply, "ok"))
                g_error("Create: %s: %s", reply.name, reply.message);
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), >, 0);
        tap = e2e_live_tap(tb, path);
        b = binding_path(tb, tap, &e);
        if (!b)
                g_error("no binding for %s: %s: %s", tap, e.name, e.message);
        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), >=, 0);
        /* the transient one started too once its binding was made, and it is still transient */
        (void) test_wait_reply(tb, &reply_b, 60000);
        if (!sd_bus_error_has_name(&reply_b, "ok"))
                g_error("DomainCreateXML: %s: %s", reply_b.name, reply_b.message);
        path_b = test_lookup(tb, "DomainLookupByUUID", UUID_B, &e);
        g_assert_nonnull(path_b);
        g_assert_false(test_prop_bool(tb, path_b, "Persistent"));
        g_assert_cmpint(e2e_domain_call(tb, path_b, "Destroy", false, 0, &e), >=, 0);
        g_free(e2e_run("ip link del " BRIDGE));
}

int main(int argc, char **argv) {
        e2e_enter_own_netns(argc, argv, NETNS_ENV);
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/guest-nwfilter/clean-traffic-dhcp", test_clean_traffic_dhcp);
        g_test_add_func("/guest-nwfilter/missing-filter", test_missing_filter);
        g_test_add_func("/guest-nwfilter/slow-binding-does-not-block", test_slow_binding_does_not_block);
        return g_test_run();
}
