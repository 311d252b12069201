/* End-to-end: a guest NIC on a host bridge (issue 13): vmmd-qemu's tap in the bridge, a DHCP lease through it, gone with the guest. The test re-executes itself under `unshare --net`. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e-util.h"

#define NETNS_ENV "VMMD_TEST_GUEST_NET_IN_NETNS"
#define BOOT_MS 60000
#define STOP_MS 30000
#define BRIDGE "vmmdtbr7"
#define MAC "52:54:00:7a:00:01"
#define UUID_A "5d6e0b5c-64f7-4f5e-9a3c-0a0000000701"

static char *interface_xml(const char *bridge) {
        return g_strdup_printf("<interface type='bridge'><mac address='" MAC "'/><source bridge='%s'/>"
                               "<model type='virtio'/></interface>", bridge);
}

/* Start: the live XML names the tap, which is in the bridge; the guest gets a lease in the
 * range through it; Destroy takes the tap away, also after vmmd-qemu re-attached. */
static void test_bridge_dhcp(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *nic = interface_xml(BRIDGE);
        g_autofree char *xml = e2e_guest_xml(tb, "n1", UUID_A, "testguest.net=dhcp", NULL, nic);
        g_autofree char *path = NULL, *tap = NULL, *ports = NULL, *after = NULL;
        g_autofree char *inactive = NULL, *live2 = NULL, *tag = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *ip = NULL;
        GPid dnsmasq = e2e_host_bridge_up(tb, BRIDGE, "10.77.0");

        path = test_define(tb, xml, 0, &e);
        if (!path)
                g_error("define: %s: %s", e.name, e.message);
        if (e2e_domain_call(tb, path, "Create", false, 0, &e) < 0)
                g_error("Create: %s: %s", e.name, e.message);
        tap = e2e_live_tap(tb, path);
        ports = e2e_run("ip -o link show master " BRIDGE);
        g_assert_nonnull(strstr(ports, tap));
        g_assert_nonnull(strstr(ports, "link/ether fe:54:00:7a:00:01"));

        ip = e2e_wait_serial_line(tb, "n1", "TESTGUEST IP eth0 ", BOOT_MS);
        g_assert_nonnull(ip);
        g_assert_true(g_str_has_prefix(ip, "10.77.0."));
        {
                int last = atoi(ip + strlen("10.77.0."));

                g_assert_cmpint(last, >=, 100);
                g_assert_cmpint(last, <=, 150);
        }

        /* a restarted vmmd-qemu re-attaches and still names the tap, which QEMU kept */
        test_bus_kill_name(tb, QEMU_BUS_NAME);
        live2 = test_get_xml(tb, path, 0);
        tag = g_strdup_printf("<target dev='%s'/>", tap);
        g_assert_nonnull(strstr(live2, tag));
        g_free(ports);
        ports = e2e_run("ip -o link show master " BRIDGE);
        g_assert_nonnull(strstr(ports, tap));

        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), >=, 0);
        after = e2e_run("ip -o link show");
        g_assert_null(strstr(after, tap));
        /* the tap's name is the running guest's, not the definition's */
        inactive = test_get_xml(tb, path, 0);
        g_assert_null(strstr(inactive, "vnet"));
        kill(dnsmasq, SIGTERM);
        g_assert_true(e2e_wait_pid_exit(dnsmasq, STOP_MS));
        g_spawn_close_pid(dnsmasq);
        g_free(e2e_run("ip link del " BRIDGE));
}

/* A bridge that is not there: a named error, no QEMU, no tap. */
static void test_bridge_missing(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *nic = interface_xml("nosuchbr0");
        g_autofree char *xml = e2e_guest_xml(tb, "n2", UUID_A, NULL, NULL, nic);
        g_autofree char *path = NULL, *links = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        path = test_define(tb, xml, 0, &e);
        g_assert_nonnull(path);
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), <, 0);
        assert_bus_error(&e, "org.vmmd.Error.SystemError", "nosuchbr0", "does not exist");
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, 0);
        links = e2e_run("ip -o link show");
        g_assert_null(strstr(links, "vnet"));
}

/* N28.3: a tap takes its interface's <mtu size=>, or else its bridge's MTU, and never lowers the bridge's. */
static void test_tap_mtu(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        const char *nics = "<interface type='bridge'><mac address='52:54:00:7a:00:11'/><source bridge='" BRIDGE "'/>"
                           "<model type='virtio'/></interface>"
                           "<interface type='bridge'><mac address='52:54:00:7a:00:12'/><source bridge='" BRIDGE "'/>"
                           "<model type='virtio'/><mtu size='1300'/></interface>";
        g_autofree char *xml = e2e_guest_xml(tb, "n3", UUID_A, NULL, NULL, nics);
        g_autofree char *path = NULL, *live = NULL, *bridge = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *t;
        const char *want[] = { "mtu 1400 ", "mtu 1300 " };

        g_free(e2e_run("ip link add " BRIDGE " type bridge"));
        g_free(e2e_run("ip link set " BRIDGE " mtu 1400"));
        path = test_define(tb, xml, 0, &e);
        g_assert_nonnull(path);
        if (e2e_domain_call(tb, path, "Create", false, 0, &e) < 0)
                g_error("Create: %s: %s", e.name, e.message);
        live = test_get_xml(tb, path, 0);
        g_assert_nonnull(strstr(live, "<mtu size='1300'/>"));
        t = live;
        for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
                g_autofree char *tap = NULL, *cmd = NULL, *link = NULL;

                t = strstr(t, "<target dev='vnet");
                g_assert_nonnull(t);
                t += strlen("<target dev='");
                tap = g_strndup(t, strcspn(t, "'"));
                cmd = g_strdup_printf("ip -o link show dev %s", tap);
                link = e2e_run(cmd);
                if (!strstr(link, want[i]))
                        g_error("tap %u: want '%s' in: %s", i, want[i], link);
        }
        bridge = e2e_run("ip -o link show dev " BRIDGE);
        g_assert_nonnull(strstr(bridge, "mtu 1400 "));
        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), >=, 0);
        g_free(e2e_run("ip link del " BRIDGE));
}

int main(int argc, char **argv) {
        e2e_enter_own_netns(argc, argv, NETNS_ENV);
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/guest-net/bridge-dhcp", test_bridge_dhcp);
        g_test_add_func("/guest-net/bridge-missing", test_bridge_missing);
        g_test_add_func("/guest-net/tap-mtu", test_tap_mtu);
        return g_test_run();
}
