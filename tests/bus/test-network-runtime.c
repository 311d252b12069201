/* Bus tests for running networks: bridge, addresses, nftables and dnsmasq in a network namespace the test makes
 * for itself (spec network.md N9, N10, N16, N18). The test re-executes itself under `unshare --net`; the bus and
 * every daemon it activates run there, and the namespace goes away with them. */
#include "bus-harness.h"
#include "vmmd/network1.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NET NETWORK_BUS_NAME
#define NETNS_ENV "VMMD_TEST_NETWORK_IN_NETNS"
#define UUID1 "6b4f2d3c-0000-4000-8000-000000000001"

static const char nat_xml[] =
        "<network><name>natnet</name><uuid>" UUID1 "</uuid><forward mode='nat'/><bridge name='vmmdtbr0'/>"
        "<dns><host ip='10.77.0.5'><hostname>webhost</hostname></host></dns>"
        "<ip address='10.77.0.1' prefix='24'><dhcp><range start='10.77.0.10' end='10.77.0.20'/></dhcp></ip></network>";

/* The output of a shell command that must succeed. */
static char *sh(const char *cmd) {
        g_autofree char *out = NULL, *err = NULL;
        g_autoptr(GError) error = NULL;
        int status = 0;
        const char *argv[] = { "sh", "-c", cmd, NULL };

        if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error))
                g_error("%s: %s", cmd, error->message);
        if (!g_spawn_check_wait_status(status, NULL))
                g_error("%s failed: %s", cmd, err);
        return g_steal_pointer(&out);
}

/* The same, for commands expected to fail: the exit status. */
static int sh_status(const char *cmd) {
        g_autoptr(GError) error = NULL;
        int status = 0;
        const char *argv[] = { "sh", "-c", cmd, NULL };

        if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                          G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, &error))
                g_error("%s: %s", cmd, error->message);
        return status;
}

static char *net_define(TestBus *tb, const char *xml, sd_bus_error *e) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *o;

        if (test_call_to(tb, NET, NETWORK_MANAGER_PATH, NETWORK_MANAGER_INTERFACE, "NetworkDefineXML", e, &reply, "su",
                         xml, 0) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &o), >=, 0);
        return g_strdup(o);
}

static int net_call0(TestBus *tb, const char *path, const char *member, sd_bus_error *e) {
        return test_call_to(tb, NET, path, NETWORK_INTERFACE, member, e, NULL, "");
}

/* Create that must succeed, with the daemon's message when it does not. */
static void net_start_ok(TestBus *tb, const char *path) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        if (net_call0(tb, path, "Create", &e) < 0)
                g_error("Create %s: %s: %s", path, e.name, e.message);
}

static bool net_active(TestBus *tb, const char *path) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        int b;

        if (sd_bus_get_property(tb->bus, NET, path, NETWORK_INTERFACE, "Active", &e, &reply, "b") < 0)
                g_error("Get Active: %s", e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "b", &b), >=, 0);
        return b;
}

static pid_t dnsmasq_pid(TestBus *tb, const char *name) {
        g_autofree char *rel = g_strdup_printf("run/vmmd/network/%s.pid", name);
        g_autofree char *file = test_root_file(tb, rel);
        g_autofree char *data = test_read_file(file);

        return data ? (pid_t) atoi(data) : 0;
}

/* Kills a dnsmasq a failed test left behind (the namespace lives as long as it does). */
static void kill_leftover_dnsmasq(TestBus *tb, const char *name) {
        pid_t pid = dnsmasq_pid(tb, name);

        if (pid > 1)
                (void) kill(pid, SIGKILL);
}

/* N9, N16: the bridge with its address and MAC, dnsmasq answering, the masquerade rule; Destroy
 * removes all of it. N18: a killed daemon comes back to the same dnsmasq and the same rules. */
static void test_nat_network(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = net_define(tb, nat_xml, &e);
        g_autofree char *link = NULL, *addr = NULL, *rules = NULL, *answer = NULL, *rules_after = NULL;
        g_autofree char *status = test_root_file(tb, "run/vmmd/network/natnet.xml");
        g_autofree char *exe_link = NULL, *exe = NULL;
        pid_t pid;

        g_assert_nonnull(path);
        net_start_ok(tb, path);
        g_assert_true(net_active(tb, path));
        g_assert_true(g_file_test(status, G_FILE_TEST_EXISTS));

        link = sh("ip -d link show vmmdtbr0");
        g_assert_nonnull(strstr(link, "bridge"));
        g_assert_nonnull(strstr(link, ",UP"));
        addr = sh("ip -4 addr show dev vmmdtbr0");
        g_assert_nonnull(strstr(addr, "inet 10.77.0.1/24"));

        pid = dnsmasq_pid(tb, "natnet");
        g_assert_cmpint(pid, >, 1);
        exe_link = g_strdup_printf("/proc/%d/exe", (int) pid);
        exe = g_file_read_link(exe_link, NULL);
        g_assert_nonnull(exe);
        g_assert_true(g_str_has_suffix(exe, "/dnsmasq"));
        /* dnsmasq answers DNS on the bridge address with the network's host entry */
        /* (busybox also asks for AAAA, which nobody upstream answers: its status says nothing) */
        answer = sh("busybox nslookup webhost 10.77.0.1 || true");
        g_assert_nonnull(strstr(answer, "10.77.0.5"));

        rules = sh("nft list table inet vmmd_vmmdtbr0");
        g_assert_nonnull(strstr(rules, "masquerade"));
        g_assert_nonnull(strstr(rules, "10.77.0.0/24"));

        /* N18: kill -9, then any call re-activates the daemon; the network is as it was */
        test_bus_kill_name(tb, NET);
        g_assert_true(net_active(tb, path));
        g_assert_cmpint(dnsmasq_pid(tb, "natnet"), ==, pid);
        g_assert_cmpint(kill(pid, 0), ==, 0);
        rules_after = sh("nft list table inet vmmd_vmmdtbr0");
        g_assert_cmpstr(rules_after, ==, rules);

        /* N16: Destroy removes the bridge, dnsmasq, the rules and the status file */
        g_assert_cmpint(net_call0(tb, path, "Destroy", &e), >=, 0);
        g_assert_false(net_active(tb, path));
        g_assert_true(test_wait_pid_exit(pid, 5000));
        g_assert_cmpint(sh_status("ip link show vmmdtbr0"), !=, 0);
        g_assert_cmpint(sh_status("nft list table inet vmmd_vmmdtbr0"), !=, 0);
        g_assert_false(g_file_test(status, G_FILE_TEST_EXISTS));
        kill_leftover_dnsmasq(tb, "natnet");
}

/* A dnsmasq that dies (kill -9) while its network runs is started again: a new pid in the pid file, and it
 * answers DNS with the network's host entry. */
static void test_dnsmasq_restart(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = net_define(tb, nat_xml, &e);
        g_autofree char *answer = NULL, *exe_link = NULL, *exe = NULL;
        pid_t pid, again = 0;

        g_assert_nonnull(path);
        net_start_ok(tb, path);
        pid = dnsmasq_pid(tb, "natnet");
        g_assert_cmpint(pid, >, 1);
        g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
        g_assert_true(test_wait_pid_exit(pid, 5000));
        /* the daemon restarts it as soon as its pidfd says so: a bounded wait for the new pid file */
        for (int i = 0; i < 200; i++) {
                again = dnsmasq_pid(tb, "natnet");
                if (again > 1 && again != pid)
                        break;
                g_usleep(50 * 1000);
        }
        if (!(again > 1 && again != pid)) {
                (void) net_call0(tb, path, "Destroy", &e);
                g_error("dnsmasq was not restarted (pid file says %d)", (int) again);
        }
        exe_link = g_strdup_printf("/proc/%d/exe", (int) again);
        exe = g_file_read_link(exe_link, NULL);
        answer = sh("busybox nslookup webhost 10.77.0.1 || true");
        g_assert_cmpint(net_call0(tb, path, "Destroy", &e), >=, 0);
        g_assert_nonnull(exe);
        g_assert_true(g_str_has_suffix(exe, "/dnsmasq"));
        g_assert_nonnull(strstr(answer, "10.77.0.5"));
        /* Destroy stops the new one too and does not restart it */
        g_assert_true(test_wait_pid_exit(again, 5000));
        g_assert_cmpint(dnsmasq_pid(tb, "natnet"), ==, 0);
        kill_leftover_dnsmasq(tb, "natnet");
}

static int net_update(TestBus *tb, const char *path, unsigned command, unsigned section, int parent, const char *xml,
                      unsigned flags, sd_bus_error *e) {
        return test_call_to(tb, NET, path, NETWORK_INTERFACE, "Update", e, NULL, "uuisu", command, section, parent, xml,
                            flags);
}

static char *net_xml(TestBus *tb, const char *path, unsigned flags) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        const char *xml;

        if (test_call_to(tb, NET, path, NETWORK_INTERFACE, "GetXMLDesc", &e, &reply, "u", flags) < 0)
                g_error("GetXMLDesc: %s", e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &xml), >=, 0);
        return g_strdup(xml);
}

/* dnsmasq re-reads its hosts on SIGHUP in its own time: a bounded wait for the answer. */
static bool wait_dns(const char *name, const char *want) {
        g_autofree char *cmd = g_strdup_printf("busybox nslookup %s 10.77.0.1 || true", name);

        for (int i = 0; i < 100; i++) {
                g_autofree char *answer = sh(cmd);

                if (strstr(answer, want))
                        return true;
                g_usleep(50 * 1000);
        }
        return false;
}

/* U1–U7: Update on a running network. DHCP and DNS hosts reach dnsmasq by SIGHUP (same pid), a range by a
 * restart (new pid); LIVE and CONFIG change their own copies; bad updates change nothing. */
static void test_update(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = net_define(tb, nat_xml, &e);
        g_autofree char *hostsfile = test_root_file(tb, "var/lib/vmmd/network/dnsmasq/natnet.hostsfile");
        g_autofree char *config = test_root_file(tb, "etc/vmmd/network/natnet.xml");
        g_autofree char *hosts = NULL, *live = NULL, *inactive = NULL, *cfg = NULL, *conf = NULL, *before = NULL;
        g_autofree char *conf_file = test_root_file(tb, "var/lib/vmmd/network/dnsmasq/natnet.conf");
        const char *host = "<host mac='52:54:00:00:00:42' ip='10.77.0.42'/>";
        const unsigned both = NETWORK_UPDATE_AFFECT_LIVE | NETWORK_UPDATE_AFFECT_CONFIG;
        pid_t pid, pid2;

        g_assert_nonnull(path);
        /* LIVE on an inactive network */
        g_assert_cmpint(net_update(tb, path, NETWORK_UPDATE_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST, -1, host,
                                   NETWORK_UPDATE_AFFECT_LIVE, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "not running");
        sd_bus_error_free(&e);
        net_start_ok(tb, path);
        pid = dnsmasq_pid(tb, "natnet");

        /* a DHCP host, live and config: hostsfile rewritten, SIGHUP, both XMLs and the file on disk */
        if (net_update(tb, path, NETWORK_UPDATE_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST, -1, host, both, &e) < 0) {
                kill_leftover_dnsmasq(tb, "natnet");
                g_error("Update: %s: %s", e.name, e.message);
        }
        hosts = test_read_file(hostsfile);
        g_assert_nonnull(strstr(hosts, "52:54:00:00:00:42,10.77.0.42"));
        g_assert_cmpint(dnsmasq_pid(tb, "natnet"), ==, pid);
        g_assert_cmpint(kill(pid, 0), ==, 0);
        live = net_xml(tb, path, 0);
        inactive = net_xml(tb, path, NETWORK_XML_INACTIVE);
        cfg = test_read_file(config);
        g_assert_nonnull(strstr(live, "10.77.0.42"));
        g_assert_nonnull(strstr(inactive, "10.77.0.42"));
        g_assert_nonnull(strstr(cfg, "10.77.0.42"));

        /* the same host again: OperationInvalid, nothing changes */
        g_assert_cmpint(net_update(tb, path, NETWORK_UPDATE_ADD_FIRST, NETWORK_SECTION_IP_DHCP_HOST, -1, host, both,
                                   &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "52:54:00:00:00:42");
        sd_bus_error_free(&e);
        g_free(before);
        before = net_xml(tb, path, 0);
        g_assert_cmpstr(before, ==, live);

        /* a DNS host, live only: dnsmasq answers it, same pid; the stored definition does not have it */
        g_assert_cmpint(net_update(tb, path, NETWORK_UPDATE_ADD_LAST, NETWORK_SECTION_DNS_HOST, -1,
                                   "<host ip='10.77.0.6'><hostname>dbhost</hostname></host>",
                                   NETWORK_UPDATE_AFFECT_LIVE, &e), >=, 0);
        g_assert_true(wait_dns("dbhost", "10.77.0.6"));
        g_assert_cmpint(dnsmasq_pid(tb, "natnet"), ==, pid);
        g_free(inactive);
        inactive = net_xml(tb, path, NETWORK_XML_INACTIVE);
        g_assert_null(strstr(inactive, "dbhost"));
        /* a second host with the same name */
        g_assert_cmpint(net_update(tb, path, NETWORK_UPDATE_ADD_LAST, NETWORK_SECTION_DNS_HOST, -1,
                                   "<host ip='10.77.0.7'><hostname>dbhost</hostname></host>",
                                   NETWORK_UPDATE_AFFECT_LIVE, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "DNS HOST");
        sd_bus_error_free(&e);

        /* a range: a new dnsmasq with it */
        g_assert_cmpint(net_update(tb, path, NETWORK_UPDATE_ADD_LAST, NETWORK_SECTION_IP_DHCP_RANGE, -1,
                                   "<range start='10.77.0.30' end='10.77.0.40'/>", NETWORK_UPDATE_AFFECT_CURRENT, &e),
                        >=, 0);
        pid2 = dnsmasq_pid(tb, "natnet");
        g_assert_cmpint(pid2, >, 1);
        g_assert_cmpint(pid2, !=, pid);
        g_assert_true(test_wait_pid_exit(pid, 5000));
        conf = test_read_file(conf_file);
        g_assert_nonnull(strstr(conf, "10.77.0.30,10.77.0.40"));
        g_assert_true(wait_dns("webhost", "10.77.0.5"));

        /* refused: a range MODIFY, sections that cannot or cannot yet be updated, the wrong element, bad flags,
         * a delete that matches nothing */
        g_assert_cmpint(net_update(tb, path, NETWORK_UPDATE_MODIFY, NETWORK_SECTION_IP_DHCP_RANGE, -1,
                                   "<range start='10.77.0.30' end='10.77.0.40'/>", 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_UNSUPPORTED, "cannot be modified");
        sd_bus_error_free(&e);
        g_assert_cmpint(net_update(tb, path, NETWORK_UPDATE_MODIFY, NETWORK_SECTION_BRIDGE, -1, "<bridge/>", 0, &e),
                        <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_UNSUPPORTED, "bridge", "natnet");
        sd_bus_error_free(&e);
        g_assert_cmpint(net_update(tb, path, NETWORK_UPDATE_ADD_LAST, NETWORK_SECTION_DNS_TXT, -1,
                                   "<txt name='a' value='b'/>", 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_SUPPORT, "dns-txt");
        sd_bus_error_free(&e);
        g_assert_cmpint(net_update(tb, path, NETWORK_UPDATE_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST, -1,
                                   "<range start='10.77.0.50' end='10.77.0.60'/>", 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_XML_ERROR, "host");
        sd_bus_error_free(&e);
        g_assert_cmpint(net_update(tb, path, NETWORK_UPDATE_ADD_LAST, NETWORK_SECTION_IP_DHCP_HOST, -1, host, 4, &e),
                        <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG);
        sd_bus_error_free(&e);
        g_assert_cmpint(net_update(tb, path, NETWORK_UPDATE_DELETE, NETWORK_SECTION_IP_DHCP_HOST, -1,
                                   "<host mac='52:54:00:00:00:99'/>", 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "matching");
        sd_bus_error_free(&e);
        g_assert_cmpint(dnsmasq_pid(tb, "natnet"), ==, pid2);

        /* delete the host by its MAC, live and config */
        g_assert_cmpint(net_update(tb, path, NETWORK_UPDATE_DELETE, NETWORK_SECTION_IP_DHCP_HOST, -1,
                                   "<host mac='52:54:00:00:00:42'/>", both, &e), >=, 0);
        g_free(hosts);
        hosts = test_read_file(hostsfile);
        g_assert_null(strstr(hosts, "10.77.0.42"));
        g_free(cfg);
        cfg = test_read_file(config);
        g_assert_null(strstr(cfg, "10.77.0.42"));
        g_assert_cmpint(dnsmasq_pid(tb, "natnet"), ==, pid2);

        g_assert_cmpint(net_call0(tb, path, "Destroy", &e), >=, 0);
        kill_leftover_dnsmasq(tb, "natnet");
}

/* nft and dnsmasq run beside the event loop: while a start waits for nft (here an nft that waits for the
 * test), the daemon answers other calls, and a second start of the same network is refused. */
static void test_start_does_not_block(void) {
        g_autoptr(TestGate) gate = test_gate_new("nft");
        const char *env[] = { gate->path_env, NULL };
        g_autoptr(TestBus) tb = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_auto(sd_bus_error) reply = SD_BUS_ERROR_NULL;
        g_autofree char *path = NULL;
        pid_t nft;

        tb = test_bus_new(env);
        path = net_define(tb, nat_xml, &e);
        g_assert_nonnull(path);
        g_assert_cmpint(sd_bus_call_method_async(tb->bus, NULL, NET, path, NETWORK_INTERFACE, "Create",
                                                 test_reply_to_error, &reply, ""), >=, 0);
        /* the start is in nft now, which waits at the gate */
        nft = test_gate_wait_held(gate, 5000);
        g_assert_cmpint(nft, >, 1);
        /* the daemon answers meanwhile: a blocked one would answer only once nft was killed at its deadline */
        g_assert_cmpint(test_call_to(tb, NET, NETWORK_MANAGER_PATH, NETWORK_MANAGER_INTERFACE, "ListNetworks", &e,
                                     NULL, "u", 0), >=, 0);
        g_assert_cmpint(net_call0(tb, path, "Create", &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "being started");
        sd_bus_error_free(&e);
        g_assert_cmpint(kill(nft, 0), ==, 0);

        /* through the gate: the start finishes and replies */
        test_gate_open(gate);
        (void) test_wait_reply(tb, &reply, 10000);
        if (!sd_bus_error_has_name(&reply, "ok")) {
                kill_leftover_dnsmasq(tb, "natnet");
                g_error("Create: %s: %s", reply.name, reply.message);
        }
        g_assert_true(net_active(tb, path));
        g_assert_cmpint(net_call0(tb, path, "Destroy", &e), >=, 0);
        g_assert_false(net_active(tb, path));
        kill_leftover_dnsmasq(tb, "natnet");
}

/* N10: dnsmasq refusing to start (its TFTP root does not exist) leaves no bridge, no rules, no
 * status file and no event. */
static void test_failed_start_leaves_nothing(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = net_define(tb,
                "<network><name>broken</name><forward mode='nat'/><bridge name='vmmdtbr1'/>"
                "<ip address='10.78.0.1' prefix='24'><tftp root='/nonexistent/vmmd-tftp'/>"
                "<dhcp><range start='10.78.0.10' end='10.78.0.20'/></dhcp></ip></network>", &e);
        g_autofree char *status = test_root_file(tb, "run/vmmd/network/broken.xml");

        g_assert_nonnull(path);
        test_bus_clear_signals(tb);
        g_assert_cmpint(net_call0(tb, path, "Create", &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_SYSTEM_ERROR, "dnsmasq");
        g_assert_false(net_active(tb, path));
        g_assert_cmpint(sh_status("ip link show vmmdtbr1"), !=, 0);
        g_assert_cmpint(sh_status("nft list table inet vmmd_vmmdtbr1"), !=, 0);
        g_assert_false(g_file_test(status, G_FILE_TEST_EXISTS));
        test_bus_drain(tb);
        g_assert_cmpint(test_bus_find_signal(tb, "NetworkEvent", path, 0), <, 0);
        kill_leftover_dnsmasq(tb, "broken");
}

/* N10: a bridge name that is already a host interface (a veth here) is SystemError, and the
 * veth is left alone. */
static void test_bridge_name_taken(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = NULL;
        g_autofree char *out = NULL;

        out = sh("ip link add vmmdtbr2 type veth peer name vmmdtpeer2");
        path = net_define(tb, "<network><name>taken</name><bridge name='vmmdtbr2'/>"
                          "<ip address='10.79.0.1' prefix='24'/></network>", &e);
        g_assert_nonnull(path);
        g_assert_cmpint(net_call0(tb, path, "Create", &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_SYSTEM_ERROR, "vmmdtbr2");
        g_assert_false(net_active(tb, path));
        g_assert_cmpint(sh_status("ip link show vmmdtbr2"), ==, 0);
        g_free(sh("ip link del vmmdtbr2"));
}

#define PORT_UUID "7c5a3e4d-0000-4000-8000-0000000000aa"
#define OWNER_UUID "8d6b4f5e-0000-4000-8000-0000000000bb"

static char *port_xml(const char *uuid) {
        return g_strdup_printf("<networkport><uuid>%s</uuid><owner><name>guest1</name><uuid>" OWNER_UUID
                               "</uuid></owner><mac address='52:54:00:aa:00:01'/></networkport>", uuid);
}

static char *reclaim_xml(const char *uuid, const char *bridge) {
        return g_strdup_printf("<networkport><uuid>%s</uuid><owner><name>guest1</name><uuid>" OWNER_UUID
                               "</uuid></owner><mac address='52:54:00:aa:00:01'/><plug type='network' bridge='%s'/>"
                               "</networkport>", uuid, bridge);
}

static char **list_ports(TestBus *tb, const char *path, sd_bus_error *e) {
        g_autoptr(sd_bus_message) reply = NULL;
        char **paths = NULL;

        if (test_call_to(tb, NET, path, NETWORK_INTERFACE, "ListPorts", e, &reply, "u", 0) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read_strv(reply, &paths), >=, 0);
        return paths ? paths : g_new0(char *, 1);
}

/* N25, N26: a port is created with its plug, saved, listed, survives a killed daemon, and is
 * deleted; ports of an inactive network are OperationInvalid. */
static void test_ports(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = net_define(tb, "<network><name>iso</name><bridge name='vmmdtbr3'/>"
                                           "<ip address='10.80.0.1' prefix='24'/></network>", &e);
        g_autofree char *xml = port_xml(PORT_UUID);
        g_autofree char *port = NULL, *file = NULL, *desc = NULL, *net_desc = NULL, *found = NULL;
        g_auto(GStrv) ports = NULL, after_restart = NULL, after_delete = NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        const char *s;

        g_assert_nonnull(path);
        net_start_ok(tb, path);
        g_assert_cmpint(test_call_to(tb, NET, path, NETWORK_INTERFACE, "CreatePort", &e, &reply, "su", xml,
                                     NETWORK_PORT_CREATE_VALIDATE), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "o", &s), >=, 0);
        port = g_strdup(s);
        g_clear_pointer(&reply, sd_bus_message_unref);
        g_assert_true(g_str_has_prefix(port, path));
        file = test_root_file(tb, "run/vmmd/network/iso/ports/" PORT_UUID ".xml");
        g_assert_true(g_file_test(file, G_FILE_TEST_EXISTS));
        test_bus_drain(tb);
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesAdded", port, 0), >=, 0);

        g_assert_cmpint(test_call_to(tb, NET, port, NETWORK_PORT_INTERFACE, "GetXMLDesc", &e, &reply, "u", 0), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &s), >=, 0);
        desc = g_strdup(s);
        g_clear_pointer(&reply, sd_bus_message_unref);
        g_assert_nonnull(strstr(desc, "<plug type='network' bridge='vmmdtbr3' macTableManager='kernel'/>"));
        g_assert_nonnull(strstr(desc, "<name>guest1</name>"));
        g_assert_cmpint(test_call_to(tb, NET, path, NETWORK_INTERFACE, "GetXMLDesc", &e, &reply, "u", 0), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &s), >=, 0);
        net_desc = g_strdup(s);
        g_clear_pointer(&reply, sd_bus_message_unref);
        g_assert_nonnull(strstr(net_desc, "connections='1'"));

        ports = list_ports(tb, path, &e);
        g_assert_cmpuint(g_strv_length(ports), ==, 1);
        g_assert_cmpstr(ports[0], ==, port);
        g_assert_cmpint(test_call_to(tb, NET, path, NETWORK_INTERFACE, "LookupPortByUUID", &e, &reply, "s",
                                     PORT_UUID), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "o", &s), >=, 0);
        found = g_strdup(s);
        g_clear_pointer(&reply, sd_bus_message_unref);
        g_assert_cmpstr(found, ==, port);
        {
                g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL;
                g_autofree char *again = port_xml(PORT_UUID);

                g_assert_cmpint(test_call_to(tb, NET, path, NETWORK_INTERFACE, "LookupPortByUUID", &e1, NULL, "s",
                                             OWNER_UUID), <, 0);
                assert_bus_error(&e1, VMMD_DBUS_ERROR_NO_NETWORK_PORT, OWNER_UUID);
                sd_bus_error_free(&e1);
                g_assert_cmpint(test_call_to(tb, NET, path, NETWORK_INTERFACE, "CreatePort", &e1, NULL, "su", again, 0),
                                <, 0);
                assert_bus_error(&e1, VMMD_DBUS_ERROR_OPERATION_FAILED, PORT_UUID);
        }

        /* N18: ports survive a killed daemon */
        test_bus_kill_name(tb, NET);
        after_restart = list_ports(tb, path, &e);
        g_assert_cmpuint(g_strv_length(after_restart), ==, 1);
        g_assert_cmpstr(after_restart[0], ==, port);

        g_assert_cmpint(test_call_to(tb, NET, port, NETWORK_PORT_INTERFACE, "Delete", &e, NULL, "u", 0), >=, 0);
        g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
        {
                /* N24, N27: only a reclaim names a plug, and it must be the network's bridge; then the port
                 * is back under its own uuid, with that plug */
                g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL;
                g_autofree char *plain = port_xml(PORT_UUID);
                g_autofree char *plugged = reclaim_xml(PORT_UUID, "vmmdtbr3");
                g_autofree char *elsewhere = reclaim_xml(PORT_UUID, "vmmdtbr9");
                g_autofree char *again = NULL;
                g_auto(GStrv) reclaimed = NULL;

                g_assert_cmpint(test_call_to(tb, NET, path, NETWORK_INTERFACE, "CreatePort", &e1, NULL, "su", plugged,
                                             0), <, 0);
                assert_bus_error(&e1, VMMD_DBUS_ERROR_INVALID_ARG, "reclaim not requested");
                sd_bus_error_free(&e1);
                g_assert_cmpint(test_call_to(tb, NET, path, NETWORK_INTERFACE, "CreatePort", &e1, NULL, "su", plain,
                                             NETWORK_PORT_CREATE_RECLAIM), <, 0);
                assert_bus_error(&e1, VMMD_DBUS_ERROR_INVALID_ARG, "plug type is none");
                sd_bus_error_free(&e1);
                g_assert_cmpint(test_call_to(tb, NET, path, NETWORK_INTERFACE, "CreatePort", &e1, NULL, "su",
                                             elsewhere, NETWORK_PORT_CREATE_RECLAIM), <, 0);
                assert_bus_error(&e1, VMMD_DBUS_ERROR_OPERATION_FAILED, "vmmdtbr9", "vmmdtbr3");
                sd_bus_error_free(&e1);
                g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
                g_assert_cmpint(test_call_to(tb, NET, path, NETWORK_INTERFACE, "CreatePort", &e1, NULL, "su", plugged,
                                             NETWORK_PORT_CREATE_RECLAIM), >=, 0);
                reclaimed = list_ports(tb, path, &e1);
                g_assert_cmpuint(g_strv_length(reclaimed), ==, 1);
                g_assert_cmpstr(reclaimed[0], ==, port);
                again = test_read_file(file);
                g_assert_nonnull(again);
                g_assert_nonnull(strstr(again, "bridge='vmmdtbr3'"));
                g_assert_cmpint(test_call_to(tb, NET, port, NETWORK_PORT_INTERFACE, "Delete", &e1, NULL, "u", 0), >=, 0);
        }
        after_delete = list_ports(tb, path, &e);
        g_assert_cmpuint(g_strv_length(after_delete), ==, 0);

        g_assert_cmpint(net_call0(tb, path, "Destroy", &e), >=, 0);
        {
                g_auto(sd_bus_error) e2 = SD_BUS_ERROR_NULL;
                g_auto(GStrv) none = list_ports(tb, path, &e2);

                g_assert_null(none);
                assert_bus_error(&e2, VMMD_DBUS_ERROR_OPERATION_INVALID, "not active");
        }
        kill_leftover_dnsmasq(tb, "iso");
}

typedef struct {
        char *iface, *mac, *ip, *hostname;
        int64_t expiry;
        int type;
        uint32_t prefix;
} Lease;

static void lease_clear(Lease *l) {
        g_free(l->iface);
        g_free(l->mac);
        g_free(l->ip);
        g_free(l->hostname);
}

/* GetDHCPLeases: how many leases, the first in *first (when asked and there is one). */
static unsigned get_leases(TestBus *tb, const char *path, const char *mac, Lease *first) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        const char *iface, *lmac, *iaid, *ip, *host, *cid;
        int64_t expiry;
        int32_t type;
        uint32_t prefix;
        unsigned count = 0;

        if (test_call_to(tb, NET, path, NETWORK_INTERFACE, "GetDHCPLeases", &e, &reply, "su", mac, 0) < 0)
                g_error("GetDHCPLeases: %s", e.message);
        g_assert_cmpint(sd_bus_message_enter_container(reply, 'a', "(sxisssuss)"), >=, 0);
        while (sd_bus_message_read(reply, "(sxisssuss)", &iface, &expiry, &type, &lmac, &iaid, &ip, &prefix, &host,
                                   &cid) > 0) {
                if (count++ == 0 && first)
                        *first = (Lease) { g_strdup(iface), g_strdup(lmac), g_strdup(ip), g_strdup(host), expiry,
                                           type, prefix };
        }
        return count;
}

/* The helper writes the lease when dnsmasq runs it, just after the client has it: a bounded wait. */
static unsigned wait_leases(TestBus *tb, const char *path, unsigned want) {
        unsigned n = 0;

        for (int i = 0; i < 100 && (n = get_leases(tb, path, "", NULL)) != want; i++)
                g_usleep(50 * 1000);
        return n;
}

/* L1, L2: a DHCP client on a veth plugged into the bridge gets a lease in the range, which
 * GetDHCPLeases lists with its MAC and hostname; after the client releases it, it is gone. */
static void test_dhcp_lease(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = net_define(tb, "<network><name>dhcpnet</name><forward mode='nat'/>"
                                           "<bridge name='vmmdtbr4' stp='off'/><ip address='10.81.0.1' prefix='24'>"
                                           "<dhcp><range start='10.81.0.10' end='10.81.0.20'/></dhcp></ip></network>", &e);
        g_autofree char *status = test_root_file(tb, "var/lib/vmmd/network/dnsmasq/vmmdtbr4.status");
        g_autofree char *json = NULL, *udhcpc = NULL, *pid_text = NULL, *del = NULL;
        pid_t client;
        g_autofree char *script = g_build_filename(tb->dir, "udhcpc.script", NULL);
        Lease l = { 0 };

        g_assert_nonnull(path);
        net_start_ok(tb, path);
        g_assert_cmpuint(get_leases(tb, path, "", NULL), ==, 0);
        g_free(sh("ip link add vmmdtg0 type veth peer name vmmdtg0b && ip link set vmmdtg0b master vmmdtbr4 && "
                  "ip link set vmmdtg0b up && ip link set vmmdtg0 address 52:54:00:11:22:33 up"));
        /* the client's script puts the address on the interface, so it can release it later */
        test_write_file(script, "#!/bin/sh\ncase \"$1\" in bound) ip addr add \"$ip/$mask\" dev \"$interface\";; "
                                "deconfig) ip addr flush dev \"$interface\";; esac\nexit 0\n");
        g_assert_cmpint(chmod(script, 0755), ==, 0);
        /* in the foreground of its own, so that SIGTERM later makes it release the lease (-R) */
        udhcpc = g_strdup_printf("busybox udhcpc -f -R -i vmmdtg0 -t 10 -T 1 -s %s -x hostname:g1 >/dev/null 2>&1 & "
                                 "echo $!", script);
        pid_text = sh(udhcpc);
        client = atoi(pid_text);
        g_assert_cmpint(client, >, 1);
        g_assert_cmpuint(wait_leases(tb, path, 1), ==, 1);
        g_assert_cmpuint(get_leases(tb, path, "52:54:00:11:22:33", &l), ==, 1);
        g_assert_cmpstr(l.iface, ==, "vmmdtbr4");
        g_assert_cmpint(l.type, ==, NETWORK_IP_ADDR_TYPE_IPV4);
        g_assert_cmpstr(l.mac, ==, "52:54:00:11:22:33");
        g_assert_true(g_str_has_prefix(l.ip, "10.81.0."));
        g_assert_cmpint(atoi(l.ip + strlen("10.81.0.")), >=, 10);
        g_assert_cmpint(atoi(l.ip + strlen("10.81.0.")), <=, 20);
        g_assert_cmpuint(l.prefix, ==, 24);
        g_assert_cmpstr(l.hostname, ==, "g1");
        g_assert_cmpint(l.expiry, >, 0);
        json = test_read_file(status);
        g_assert_nonnull(json);
        g_assert_nonnull(strstr(json, "\"mac-address\" : \"52:54:00:11:22:33\""));
        g_assert_cmpuint(get_leases(tb, path, "52:54:00:99:99:99", NULL), ==, 0);
        {
                g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL;

                g_assert_cmpint(test_call_to(tb, NET, path, NETWORK_INTERFACE, "GetDHCPLeases", &e1, NULL, "su",
                                             "not-a-mac", 0), <, 0);
                assert_bus_error(&e1, VMMD_DBUS_ERROR_INVALID_ARG, "not-a-mac");
        }

        /* dnsmasq's "del" (a client's release) drops it: the client shares our namespace, so its
         * release would reach dnsmasq through lo, which dnsmasq ignores; the helper is run as
         * dnsmasq runs it */
        g_assert_cmpint(kill(client, SIGTERM), ==, 0);
        g_assert_true(test_wait_pid_exit(client, 5000));
        del = g_strdup_printf("VMMD_ROOT=%s DNSMASQ_INTERFACE=vmmdtbr4 %s/daemons/vmmd-network/vmmd-leases-helper "
                              "del 52:54:00:11:22:33 %s", tb->root, g_getenv("VMMD_BUILD_ROOT"), l.ip);
        g_free(sh(del));
        g_assert_cmpuint(get_leases(tb, path, "", NULL), ==, 0);
        lease_clear(&l);

        g_assert_cmpint(net_call0(tb, path, "Destroy", &e), >=, 0);
        kill_leftover_dnsmasq(tb, "dhcpnet");
}

/* N11: a subnet another interface routes (a veth with 10.9.9.2/24 here) is OperationFailed,
 * and no bridge is made. */
static void test_route_collision(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = NULL;

        g_free(sh("ip link add vmmdtc0 type veth peer name vmmdtc1 && ip addr add 10.9.9.2/24 dev vmmdtc0 && "
                  "ip link set vmmdtc0 up"));
        path = net_define(tb, "<network><name>collide</name><forward mode='nat'/><bridge name='vmmdtbr6'/>"
                          "<ip address='10.9.9.1' prefix='24'/></network>", &e);
        g_assert_nonnull(path);
        g_assert_cmpint(net_call0(tb, path, "Create", &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, "already in use by interface vmmdtc0");
        g_assert_cmpint(sh_status("ip link show vmmdtbr6"), !=, 0);
        g_assert_false(net_active(tb, path));
        g_free(sh("ip link del vmmdtc0"));
}

/* vmmctl ARGS... (NULL-terminated) must succeed with nothing on stderr; returns its stdout. */
G_GNUC_NULL_TERMINATED static char *vmmctl_ok(TestBus *tb, ...) {
        g_autofree char *exe = g_build_filename(g_getenv("VMMD_BUILD_ROOT"), "tools", "vmmctl", "vmmctl", NULL);
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_autofree char *err = NULL;
        char *out = NULL;
        va_list ap;
        int rc;

        g_ptr_array_add(argv, exe);
        va_start(ap, tb);
        for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
                g_ptr_array_add(argv, (gpointer) a);
        va_end(ap);
        g_ptr_array_add(argv, NULL);
        rc = test_run(tb, false, &out, &err, (const char *const *) argv->pdata);
        if (rc != 0 || *err)
                g_error("vmmctl failed (exit %d): %s%s", rc, out, err);
        return out;
}

/* The net-* commands a user runs, end to end: define from a file, start, list, info, dumpxml,
 * autostart, port-list, dhcp-leases, update, destroy, undefine. */
static void test_vmmctl_net(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *file = g_build_filename(tb->dir, "net.xml", NULL);
        g_autofree char *out = NULL;

        test_write_file(file, "<network><name>ctlnet</name><forward mode='nat'/><bridge name='vmmdtbr5'/>"
                              "<ip address='10.82.0.1' prefix='24'><dhcp><range start='10.82.0.10' end='10.82.0.20'/>"
                              "</dhcp></ip></network>");
        out = vmmctl_ok(tb, "net-define", file, "--validate", NULL);
        g_assert_nonnull(strstr(out, "Network ctlnet defined from"));
        g_free(out);
        out = vmmctl_ok(tb, "net-list", NULL);
        g_assert_null(strstr(out, "ctlnet"));   /* active ones only by default */
        g_free(out);
        out = vmmctl_ok(tb, "net-list", "--all", NULL);
        g_assert_nonnull(strstr(out, "ctlnet"));
        g_assert_nonnull(strstr(out, "inactive"));
        g_free(out);
        out = vmmctl_ok(tb, "net-start", "ctlnet", NULL);
        g_assert_nonnull(strstr(out, "Network ctlnet started"));
        g_free(out);
        g_assert_cmpint(sh_status("ip link show vmmdtbr5"), ==, 0);
        out = vmmctl_ok(tb, "net-info", "ctlnet", NULL);
        g_assert_nonnull(strstr(out, "Active:         yes"));
        g_assert_nonnull(strstr(out, "Bridge:         vmmdtbr5"));
        g_assert_nonnull(strstr(out, "Forward mode:   nat"));
        g_free(out);
        out = vmmctl_ok(tb, "net-dumpxml", "ctlnet", NULL);
        g_assert_nonnull(strstr(out, "<bridge name='vmmdtbr5'/>"));
        g_free(out);
        out = vmmctl_ok(tb, "net-autostart", "ctlnet", NULL);
        g_assert_nonnull(strstr(out, "marked as autostarted"));
        g_free(out);
        out = vmmctl_ok(tb, "net-list", "--autostart", NULL);
        g_assert_nonnull(strstr(out, "ctlnet"));
        g_free(out);
        out = vmmctl_ok(tb, "net-port-list", "ctlnet", NULL);
        g_assert_nonnull(strstr(out, "UUID"));
        g_free(out);
        out = vmmctl_ok(tb, "net-dhcp-leases", "ctlnet", NULL);
        g_assert_nonnull(strstr(out, "MAC address"));
        g_free(out);
        out = vmmctl_ok(tb, "net-update", "ctlnet", "add", "ip-dhcp-host",
                        "<host mac='52:54:00:00:00:43' name='h43' ip='10.82.0.43'/>", "--live", "--config", NULL);
        g_assert_nonnull(strstr(out, "Updated network ctlnet persistent config and live state"));
        g_free(out);
        out = vmmctl_ok(tb, "net-dumpxml", "ctlnet", "--inactive", NULL);
        g_assert_nonnull(strstr(out, "10.82.0.43"));
        g_free(out);
        out = vmmctl_ok(tb, "net-destroy", "ctlnet", NULL);
        g_assert_nonnull(strstr(out, "Network ctlnet destroyed"));
        g_free(out);
        g_assert_cmpint(sh_status("ip link show vmmdtbr5"), !=, 0);
        out = vmmctl_ok(tb, "net-undefine", "ctlnet", NULL);
        g_assert_nonnull(strstr(out, "undefined"));
        kill_leftover_dnsmasq(tb, "ctlnet");
}

/* Kills whatever still runs in the namespace named by ns ("net:[inode]"): a dnsmasq that a
 * failed test could not destroy. Only processes inside our own private namespace match. */
static void kill_namespace_leftovers(const char *ns) {
        g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
        const char *e;

        while (proc && (e = g_dir_read_name(proc))) {
                g_autofree char *link = NULL, *target = NULL;
                int pid = atoi(e);

                if (pid <= 1)
                        continue;
                link = g_strdup_printf("/proc/%d/ns/net", pid);
                target = g_file_read_link(link, NULL);
                if (target && g_str_equal(target, ns)) {
                        g_printerr("killing leftover process %d in the test's namespace\n", pid);
                        (void) kill(pid, SIGKILL);
                }
        }
}

/* Runs the tests under `unshare --net`, then clears the namespace whatever happened. */
static int run_in_namespace(int argc, char **argv) {
        g_autoptr(GError) error = NULL;
        g_autofree char *ns_file = NULL, *ns = NULL;
        char **args = g_new0(char *, argc + 4);
        int fd, status = 0;

        fd = g_file_open_tmp("vmmd-test-netns-XXXXXX", &ns_file, &error);
        if (fd < 0)
                g_error("%s", error->message);
        close(fd);
        args[0] = (char *) "unshare";
        args[1] = (char *) "--net";
        args[2] = (char *) "--";
        for (int i = 0; i < argc; i++)
                args[3 + i] = argv[i];
        setenv(NETNS_ENV, ns_file, 1);
        if (!g_spawn_sync(NULL, args, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL,
                          NULL, &status, &error))
                g_error("cannot run unshare: %s", error->message);
        if (g_file_get_contents(ns_file, &ns, NULL, NULL) && g_str_has_prefix(ns, "net:"))
                kill_namespace_leftovers(g_strstrip(ns));
        (void) unlink(ns_file);
        g_free(args);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv) {
        const char *ns_file = getenv(NETNS_ENV);
        g_autofree char *ns = NULL;

        /* never the host's network: a namespace of our own, which goes away with us */
        if (!ns_file)
                return run_in_namespace(argc, argv);
        ns = g_file_read_link("/proc/self/ns/net", NULL);
        g_assert_nonnull(ns);
        g_assert_true(g_file_set_contents(ns_file, ns, -1, NULL));
        g_free(sh("ip link set lo up"));
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/network-runtime/nat-network", test_nat_network);
        g_test_add_func("/network-runtime/dnsmasq-restart", test_dnsmasq_restart);
        g_test_add_func("/network-runtime/update", test_update);
        g_test_add_func("/network-runtime/start-does-not-block", test_start_does_not_block);
        g_test_add_func("/network-runtime/failed-start-leaves-nothing", test_failed_start_leaves_nothing);
        g_test_add_func("/network-runtime/bridge-name-taken", test_bridge_name_taken);
        g_test_add_func("/network-runtime/ports", test_ports);
        g_test_add_func("/network-runtime/dhcp-lease", test_dhcp_lease);
        g_test_add_func("/network-runtime/vmmctl", test_vmmctl_net);
        g_test_add_func("/network-runtime/route-collision", test_route_collision);
        return g_test_run();
}
