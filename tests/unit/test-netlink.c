/* Unit tests for the rtnetlink helpers, run in a network namespace of their own (the test re-executes itself under `unshare --net`). */
#include "netlink.h"
#include "tap.h"

#include <glib.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NETNS_ENV "VMMD_TEST_NETLINK_IN_NETNS"

static char *run(const char *cmd) {
        g_autofree char *out = NULL;
        g_autoptr(GError) error = NULL;
        int status = 0;

        if (!g_spawn_command_line_sync(cmd, &out, NULL, &status, &error))
                g_error("%s: %s", cmd, error->message);
        g_assert_true(g_spawn_check_wait_status(status, NULL));
        return g_steal_pointer(&out);
}

/* A bridge with its MAC, MTU and STP, an address, up, then gone: what `ip` reports. */
static void test_bridge_lifecycle(void) {
        unsigned char a4[4], a6[16];
        g_autofree char *link = NULL, *addr = NULL, *addr6 = NULL, *stp = NULL, *after = NULL;

        g_assert_cmpint(vmmd_netlink_link_exists("vmmdtbr0"), ==, 0);
        g_assert_cmpint(vmmd_netlink_bridge_add("vmmdtbr0", "52:54:00:12:34:56", 1400, true, 300), ==, 0);
        g_assert_cmpint(vmmd_netlink_bridge_add("vmmdtbr0", NULL, 0, false, 0), ==, -EEXIST);
        g_assert_cmpint(vmmd_netlink_link_exists("vmmdtbr0"), ==, 1);
        g_assert_cmpint(vmmd_netlink_link_is_bridge("vmmdtbr0"), ==, 1);
        g_assert_cmpint(vmmd_netlink_link_is_bridge("lo"), ==, 0);
        g_assert_cmpint(vmmd_netlink_link_is_bridge("nosuchlink0"), ==, 0);
        inet_pton(AF_INET, "10.99.0.1", a4);
        inet_pton(AF_INET6, "fd00:99::1", a6);
        g_assert_cmpint(vmmd_netlink_addr_add("vmmdtbr0", AF_INET, a4, 24), ==, 0);
        g_assert_cmpint(vmmd_netlink_addr_add("vmmdtbr0", AF_INET6, a6, 64), ==, 0);
        g_assert_cmpint(vmmd_netlink_link_set_up("vmmdtbr0", true), ==, 0);

        link = run("ip -d link show vmmdtbr0");
        g_assert_nonnull(strstr(link, "52:54:00:12:34:56"));
        g_assert_nonnull(strstr(link, "mtu 1400"));
        g_assert_nonnull(strstr(link, "bridge forward_delay 300"));
        g_assert_nonnull(strstr(link, "stp_state 1"));
        addr = run("ip -4 addr show dev vmmdtbr0");
        g_assert_nonnull(strstr(addr, "inet 10.99.0.1/24 brd 10.99.0.255"));
        addr6 = run("ip -6 addr show dev vmmdtbr0");
        g_assert_nonnull(strstr(addr6, "fd00:99::1/64"));
        g_assert_nonnull(strstr(link, ",UP"));

        g_assert_cmpint(vmmd_netlink_link_set_up("vmmdtbr0", false), ==, 0);
        g_assert_cmpint(vmmd_netlink_link_del("vmmdtbr0"), ==, 0);
        g_assert_cmpint(vmmd_netlink_link_exists("vmmdtbr0"), ==, 0);
        g_assert_cmpint(vmmd_netlink_link_del("vmmdtbr0"), ==, -ENODEV);
        after = run("ip link show");
        g_assert_null(strstr(after, "vmmdtbr0"));
}

static void test_bad_arguments(void) {
        unsigned char a4[4] = { 10, 0, 0, 1 };

        g_assert_cmpint(vmmd_netlink_bridge_add("name-longer-than-15", NULL, 0, false, 0), ==, -EINVAL);
        g_assert_cmpint(vmmd_netlink_bridge_add("vmmdtbr1", "not-a-mac", 0, false, 0), ==, -EINVAL);
        g_assert_cmpint(vmmd_netlink_link_exists("vmmdtbr1"), ==, 0);
        g_assert_cmpint(vmmd_netlink_addr_add("nosuchlink0", AF_INET, a4, 24), ==, -ENODEV);
        g_assert_cmpint(vmmd_netlink_addr_add("lo", AF_INET, a4, 33), ==, -EINVAL);
}

/* The route an address brings is found with its interface; other prefixes are not. */
static void test_route_find(void) {
        unsigned char net[4], other[4];
        g_autofree char *ifname = NULL;
        g_autofree char *out = run("ip link add vmmdtv0 type veth peer name vmmdtv1");

        g_free(run("ip addr add 10.98.0.2/24 dev vmmdtv0"));
        g_free(run("ip link set vmmdtv0 up"));
        inet_pton(AF_INET, "10.98.0.0", net);
        inet_pton(AF_INET, "10.97.0.0", other);
        g_assert_cmpint(vmmd_netlink_route_find(AF_INET, net, 24, &ifname), ==, 1);
        g_assert_cmpstr(ifname, ==, "vmmdtv0");
        g_assert_cmpint(vmmd_netlink_route_find(AF_INET, net, 16, NULL), ==, 0);
        g_assert_cmpint(vmmd_netlink_route_find(AF_INET, other, 24, NULL), ==, 0);
        g_free(run("ip link del vmmdtv0"));
        g_assert_cmpint(vmmd_netlink_route_find(AF_INET, net, 24, NULL), ==, 0);
}

/* A guest's tap: numbered by the kernel, put into a bridge and up, gone when its fd closes. */
static void test_tap_in_bridge(void) {
        g_autofree char *name = NULL, *name2 = NULL, *link = NULL, *freed = NULL, *after = NULL;
        int fd, fd2;

        g_assert_cmpint(vmmd_netlink_bridge_add("vmmdtbr2", NULL, 0, false, 0), ==, 0);
        fd = vmmd_tap_open("vmmdtap%d", &name);
        g_assert_cmpint(fd, >=, 0);
        g_assert_true(g_str_has_prefix(name, "vmmdtap"));
        g_assert_cmpint(vmmd_netlink_link_exists(name), ==, 1);
        fd2 = vmmd_tap_open("vmmdtap%d", &name2);
        g_assert_cmpint(fd2, >=, 0);
        g_assert_cmpstr(name, !=, name2);

        g_assert_cmpint(vmmd_netlink_link_set_mac(name, "fe:54:00:12:34:56"), ==, 0);
        g_assert_cmpint(vmmd_netlink_link_set_mac(name, "not-a-mac"), ==, -EINVAL);
        g_assert_cmpint(vmmd_netlink_link_set_master(name, "vmmdtbr2"), ==, 0);
        g_assert_cmpint(vmmd_netlink_link_set_up(name, true), ==, 0);
        /* sysfs here is the host's (unshare --net does not remount it): ask `ip` */
        link = run("ip -o link show master vmmdtbr2");
        g_assert_nonnull(strstr(link, name));
        g_assert_nonnull(strstr(link, ",UP"));
        g_assert_nonnull(strstr(link, "link/ether fe:54:00:12:34:56"));
        g_assert_null(strstr(link, name2));

        g_assert_cmpint(vmmd_netlink_link_set_master(name, NULL), ==, 0);
        freed = run("ip -o link show master vmmdtbr2");
        g_assert_null(strstr(freed, name));
        g_assert_cmpint(vmmd_netlink_link_set_master(name, "nosuchbr0"), ==, -ENODEV);
        g_assert_cmpint(vmmd_netlink_link_set_master("nosuchlink0", "vmmdtbr2"), ==, -ENODEV);

        /* not persistent: closing the fd is all it takes to remove it */
        close(fd);
        close(fd2);
        g_assert_cmpint(vmmd_netlink_link_exists(name), ==, 0);
        g_assert_cmpint(vmmd_netlink_link_exists(name2), ==, 0);
        after = run("ip link show");
        g_assert_null(strstr(after, "vmmdtap"));
        g_assert_cmpint(vmmd_tap_open("name-longer-than-15", NULL), ==, -EINVAL);
        g_assert_cmpint(vmmd_netlink_link_del("vmmdtbr2"), ==, 0);
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
                g_error("cannot run unshare: %s", g_strerror(errno));
        }
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/netlink/bridge-lifecycle", test_bridge_lifecycle);
        g_test_add_func("/netlink/bad-arguments", test_bad_arguments);
        g_test_add_func("/netlink/route-find", test_route_find);
        g_test_add_func("/netlink/tap-in-bridge", test_tap_in_bridge);
        return g_test_run();
}
