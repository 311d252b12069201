/* End-to-end: a guest NIC with <filterref> (spec nwfilter.md §10): vmmd-qemu binds the filter to its tap before the guest runs, the guest still gets its DHCP lease through clean-traffic, and the binding goes with the guest. The test re-executes itself under `unshare --net`. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "e2e-util.h"
#include "vmmd/nwfilter1.h"

#define NETNS_ENV "VMMD_TEST_GUEST_NWFILTER_IN_NETNS"
#define BOOT_MS 60000
#define STOP_MS 30000
#define BRIDGE "vmmdtbr8"
#define MAC "52:54:00:7a:00:08"
#define UUID_A "5d6e0b5c-64f7-4f5e-9a3c-0a0000000801"

static char *run(const char *cmd) {
        g_autofree char *out = NULL;
        g_autoptr(GError) error = NULL;
        int status = 0;

        if (!g_spawn_command_line_sync(cmd, &out, NULL, &status, &error))
                g_error("%s: %s", cmd, error->message);
        if (!g_spawn_check_wait_status(status, &error))
                g_error("%s: %s", cmd, error->message);
        return g_steal_pointer(&out);
}

/* dnsmasq goes with the test, also when an assertion aborts it */
static void die_with_test(gpointer unused) {
        (void) unused;
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static GPid host_bridge_up(const char *dir) {
        g_autoptr(GError) error = NULL;
        g_autofree char *leases = g_build_filename(dir, "leases", NULL);
        g_autofree char *lease_opt = g_strdup_printf("--dhcp-leasefile=%s", leases);
        const char *argv[] = { "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0",
                               "--bind-interfaces", "--interface=" BRIDGE, "--except-interface=lo",
                               "--dhcp-range=10.78.0.100,10.78.0.150,255.255.255.0", "--pid-file=", lease_opt,
                               "--user=root", NULL };
        GPid pid;

        g_free(run("ip link add " BRIDGE " type bridge"));
        g_free(run("ip addr add 10.78.0.1/24 dev " BRIDGE));
        g_free(run("ip link set " BRIDGE " up"));
        if (!g_spawn_async(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, die_with_test, NULL,
                           &pid, &error))
                g_error("dnsmasq: %s", error->message);
        return pid;
}

static TestBus *bus_new(void) {
        g_autofree char *shipped = g_build_filename(g_getenv("VMMD_SOURCE_ROOT"), "daemons", "vmmd-nwfilter", "filters",
                                                    NULL);
        g_autofree char *env = g_strconcat("VMMD_NWFILTER_SHIPPED_DIR=", shipped, NULL);
        const char *extra[] = { env, NULL };

        return e2e_bus_new(extra);
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
        g_autofree char *path = NULL, *live = NULL, *tap = NULL, *b = NULL, *owner = NULL, *state = NULL;
        g_autofree char *table = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        TestSignal *sig;
        const char *t;
        GPid dnsmasq = host_bridge_up(tb->dir);

        path = test_define(tb, xml, 0, &e);
        if (!path)
                g_error("define: %s: %s", e.name, e.message);
        if (e2e_domain_call(tb, path, "Create", false, 0, &e) < 0)
                g_error("Create: %s: %s", e.name, e.message);
        live = test_get_xml(tb, path, 0);
        t = strstr(live, "<target dev='vnet");
        g_assert_nonnull(t);
        t += strlen("<target dev='");
        tap = g_strndup(t, strcspn(t, "'"));

        b = binding_path(tb, tap, &e);
        if (!b)
                g_error("no binding for %s: %s: %s", tap, e.name, e.message);
        owner = binding_prop(tb, b, "OwnerName");
        g_assert_cmpstr(owner, ==, "f1");
        state = binding_prop(tb, b, "State");
        g_assert_cmpstr(state, ==, "learning");
        table = run("nft list table bridge vmmd_nwfilter");
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
        table = run("nft list table bridge vmmd_nwfilter");
        g_assert_null(strstr(table, tap));
        kill(dnsmasq, SIGTERM);
        g_assert_true(e2e_wait_pid_exit(dnsmasq, STOP_MS));
        g_spawn_close_pid(dnsmasq);
        g_free(run("ip link del " BRIDGE));
}

/* A filter that does not exist: the start fails with vmmd-nwfilter's error, no QEMU, no tap (§10.1). */
static void test_missing_filter(void) {
        g_autoptr(E2EBus) tb = bus_new();
        g_autofree char *nic = nic_xml("no-such-filter");
        g_autofree char *xml = e2e_guest_xml(tb, "f2", UUID_A, NULL, NULL, nic);
        g_autofree char *path = NULL, *links = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        g_free(run("ip link add " BRIDGE " type bridge"));
        path = test_define(tb, xml, 0, &e);
        g_assert_nonnull(path);
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), <, 0);
        assert_bus_error(&e, "org.vmmd.Error.NoNWFilter", "no-such-filter");
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, 0);
        links = run("ip -o link show");
        g_assert_null(strstr(links, "vnet"));
        g_free(run("ip link del " BRIDGE));
}

int main(int argc, char **argv) {
        /* never the host's network: a namespace of our own, which goes away with us */
        if (!getenv(NETNS_ENV)) {
                char **args = g_new0(char *, argc + 4);

                args[0] = (char *) "unshare";
                args[1] = (char *) "--net";
                args[2] = (char *) "--";
                for (int i = 0; i < argc; i++)
                        args[3 + i] = argv[i];
                setenv(NETNS_ENV, "1", 1);
                execvp("unshare", args);
                g_error("cannot run unshare");
        }
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/guest-nwfilter/clean-traffic-dhcp", test_clean_traffic_dhcp);
        g_test_add_func("/guest-nwfilter/missing-filter", test_missing_filter);
        return g_test_run();
}
