/* End-to-end: a guest NIC with <filterref> (spec nwfilter.md §10): vmmd-qemu binds the filter to its tap before the guest runs, the guest still gets its DHCP lease through clean-traffic, and the binding goes with the guest. The test re-executes itself under `unshare --net`. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
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

static int on_create_reply(sd_bus_message *m, void *userdata, sd_bus_error *unused) {
        sd_bus_error *reply = userdata;

        if (sd_bus_message_is_method_error(m, NULL))
                sd_bus_error_copy(reply, sd_bus_message_get_error(m));
        else
                sd_bus_error_set_const(reply, "ok", "ok");
        return 0;
}

/* While vmmd-nwfilter is slow to apply a binding (its nft waits at a gate the test holds), vmmd-qemu answers
 * other calls, refuses a second start, and has no QEMU running: the guest runs only once its rules are in force. */
static void test_slow_binding_does_not_block(void) {
        g_autofree char *gate_dir = g_dir_make_tmp("vmmd-nft-gate.XXXXXX", NULL);
        g_autofree char *real_nft = g_find_program_in_path("nft");
        g_autofree char *script = g_build_filename(gate_dir, "nft", NULL);
        g_autofree char *gate = g_build_filename(gate_dir, "gate", NULL);
        g_autofree char *open_file = g_build_filename(gate_dir, "open", NULL);
        g_autofree char *pid_file = g_build_filename(gate_dir, "pid", NULL);
        g_autofree char *path_env = g_strdup_printf("PATH=%s:%s", gate_dir, g_getenv("PATH"));
        g_autofree char *text = NULL, *nic = nic_xml("clean-traffic"), *xml = NULL, *path = NULL, *live = NULL;
        g_autofree char *tap = NULL, *b = NULL;
        g_autoptr(E2EBus) tb = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_auto(sd_bus_error) reply = SD_BUS_ERROR_NULL;
        const char *t;
        pid_t nft = 0;
        int fd;

        g_assert_nonnull(real_nft);
        text = g_strdup_printf("#!/bin/sh\necho $$ > %s\n[ -e %s ] || read x < %s\nexec %s \"$@\"\n", pid_file,
                               open_file, gate, real_nft);
        g_assert_true(g_file_set_contents(script, text, -1, NULL));
        g_assert_cmpint(chmod(script, 0755), ==, 0);
        g_assert_cmpint(mkfifo(gate, 0600), ==, 0);
        tb = bus_new_with(path_env);
        xml = e2e_guest_xml(tb, "f3", UUID_A, NULL, NULL, nic);
        g_free(run("ip link add " BRIDGE " type bridge"));
        path = test_define(tb, xml, 0, &e);
        g_assert_nonnull(path);
        g_assert_cmpint(sd_bus_call_method_async(tb->bus, NULL, QEMU_BUS_NAME, path, QEMU_DOMAIN_INTERFACE, "Create",
                                                 on_create_reply, &reply, "u", 0), >=, 0);
        /* vmmd-nwfilter is in nft now, which waits at the gate */
        for (int i = 0; i < 3000 && !nft; i++) {
                g_autofree char *data = NULL;

                if (g_file_get_contents(pid_file, &data, NULL, NULL) && atoi(data) > 1)
                        nft = atoi(data);
                else
                        g_usleep(10 * 1000);
        }
        g_assert_cmpint(nft, >, 1);
        /* a blocked vmmd-qemu would answer only when the binding call gave up */
        g_assert_cmpint(test_call_to(tb, QEMU_BUS_NAME, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE, "ListDomains", &e,
                                     NULL, "u", 0), >=, 0);
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), <, 0);
        assert_bus_error(&e, "org.vmmd.Error.OperationInvalid", "being started");
        sd_bus_error_free(&e);
        g_assert_false(sd_bus_error_is_set(&reply));
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, 0);
        g_assert_cmpint(kill(nft, 0), ==, 0);

        /* through the gate: the binding is made, then QEMU starts and the call is answered */
        g_assert_true(g_file_set_contents(open_file, "", 0, NULL));
        fd = open(gate, O_WRONLY | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(write(fd, "go\n", 3), ==, 3);
        close(fd);
        for (int i = 0; i < 6000 && !sd_bus_error_is_set(&reply); i++) {
                if (sd_bus_process(tb->bus, NULL) > 0)
                        continue;
                (void) sd_bus_wait(tb->bus, 10 * 1000);
        }
        if (!sd_bus_error_has_name(&reply, "ok"))
                g_error("Create: %s: %s", reply.name, reply.message);
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), >, 0);
        live = test_get_xml(tb, path, 0);
        t = strstr(live, "<target dev='vnet");
        g_assert_nonnull(t);
        t += strlen("<target dev='");
        tap = g_strndup(t, strcspn(t, "'"));
        b = binding_path(tb, tap, &e);
        if (!b)
                g_error("no binding for %s: %s: %s", tap, e.name, e.message);
        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), >=, 0);
        g_free(run("ip link del " BRIDGE));
        (void) unlink(script);
        (void) unlink(gate);
        (void) unlink(open_file);
        (void) unlink(pid_file);
        (void) rmdir(gate_dir);
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
        g_test_add_func("/guest-nwfilter/slow-binding-does-not-block", test_slow_binding_does_not_block);
        return g_test_run();
}
