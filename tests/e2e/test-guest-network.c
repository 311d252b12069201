/* End-to-end: guest NICs on vmmd-network's networks (issue 13, spec network.md N28): a port per NIC, the tap in the port's bridge, DHCP leases from the network's dnsmasq, guests reaching each other. The test re-executes itself under `unshare --net`, so the bus and every daemon run in its own namespace. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e-util.h"
#include "vmmd/network1.h"

#define NETNS_ENV "VMMD_TEST_GUEST_NETWORK_IN_NETNS"
#define NET NETWORK_BUS_NAME
#define BOOT_MS 90000
#define BRIDGE "vmmdtbr8"
#define MAC_A "52:54:00:7b:00:0a"
#define MAC_B "52:54:00:7b:00:0b"
#define STATIC_IP "10.78.0.50"
#define UUID_A "5d6e0b5c-64f7-4f5e-9a3c-0a0000000801"
#define UUID_B "5d6e0b5c-64f7-4f5e-9a3c-0a0000000802"
#define UUID_GONE "5d6e0b5c-64f7-4f5e-9a3c-0a0000000899"

static const char nat_xml[] =
        "<network><name>gnat</name><forward mode='nat'/><bridge name='" BRIDGE "' stp='off'/>"
        "<ip address='10.78.0.1' prefix='24'><dhcp><range start='10.78.0.100' end='10.78.0.150'/>"
        "<host mac='" MAC_A "' ip='" STATIC_IP "'/></dhcp></ip></network>";

static char *sh(const char *cmd) {
        g_autofree char *out = NULL;
        g_autoptr(GError) error = NULL;
        int status = 0;
        const char *argv[] = { "sh", "-c", cmd, NULL };

        if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL, &status, &error))
                g_error("%s: %s", cmd, error->message);
        if (!g_spawn_check_wait_status(status, &error))
                g_error("%s: %s", cmd, error->message);
        return g_steal_pointer(&out);
}

static char *net_define(TestBus *tb, const char *xml) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        const char *o;

        if (test_call_to(tb, NET, NETWORK_MANAGER_PATH, NETWORK_MANAGER_INTERFACE, "NetworkDefineXML", &e, &reply, "su",
                         xml, 0) < 0)
                g_error("NetworkDefineXML: %s: %s", e.name, e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "o", &o), >=, 0);
        return g_strdup(o);
}

static void net_call_ok(TestBus *tb, const char *path, const char *member) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        if (test_call_to(tb, NET, path, NETWORK_INTERFACE, member, &e, NULL, "") < 0)
                g_error("%s %s: %s: %s", member, path, e.name, e.message);
}

/* The network's dnsmasq goes with the test, also when an assertion aborts it: the namespace would
 * otherwise live on with it. */
static void kill_dnsmasq(TestBus *tb, const char *name) {
        g_autofree char *rel = g_strdup_printf("run/vmmd/network/%s.pid", name);
        g_autofree char *file = test_root_file(tb, rel);
        g_autofree char *data = test_read_file(file);

        if (data && atoi(data) > 1)
                (void) kill(atoi(data), SIGKILL);
}

/* ListPorts: the ports' XML, one after another. */
static char *ports_xml(TestBus *tb, const char *net, unsigned *ret_count) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(GString) all = g_string_new(NULL);
        const char *p;
        unsigned n = 0;

        if (test_call_to(tb, NET, net, NETWORK_INTERFACE, "ListPorts", &e, &reply, "u", 0) < 0)
                g_error("ListPorts: %s: %s", e.name, e.message);
        g_assert_cmpint(sd_bus_message_enter_container(reply, 'a', "o"), >=, 0);
        while (sd_bus_message_read(reply, "o", &p) > 0) {
                g_autoptr(sd_bus_message) x = NULL;
                const char *xml;

                if (test_call_to(tb, NET, p, NETWORK_PORT_INTERFACE, "GetXMLDesc", &e, &x, "u", 0) < 0) {
                        /* deleted since the list (a reclaim under way) */
                        if (sd_bus_error_has_names(&e, SD_BUS_ERROR_UNKNOWN_OBJECT, "org.vmmd.Error.NoNetworkPort")) {
                                sd_bus_error_free(&e);
                                continue;
                        }
                        g_error("port GetXMLDesc: %s: %s", e.name, e.message);
                }
                g_assert_cmpint(sd_bus_message_read(x, "s", &xml), >=, 0);
                g_string_append(all, xml);
                n++;
        }
        *ret_count = n;
        return g_string_free(g_steal_pointer(&all), FALSE);
}

/* vmmd-qemu deletes or re-registers ports once it is back: a bounded wait until want are listed; the count. */
static unsigned wait_port_count(TestBus *tb, const char *net, unsigned want) {
        unsigned n = 0;

        for (int i = 0; i < 200; i++) {
                g_free(ports_xml(tb, net, &n));
                if (n == want)
                        break;
                g_usleep(50 * 1000);
        }
        return n;
}

/* GetDHCPLeases: "mac ip" per lease, space separated. */
static char *leases(TestBus *tb, const char *net) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(GString) out = g_string_new(NULL);
        const char *iface, *mac, *iaid, *ip, *host, *cid;
        int64_t expiry;
        int32_t type;
        uint32_t prefix;

        if (test_call_to(tb, NET, net, NETWORK_INTERFACE, "GetDHCPLeases", &e, &reply, "su", "", 0) < 0)
                g_error("GetDHCPLeases: %s", e.message);
        g_assert_cmpint(sd_bus_message_enter_container(reply, 'a', "(sxisssuss)"), >=, 0);
        while (sd_bus_message_read(reply, "(sxisssuss)", &iface, &expiry, &type, &mac, &iaid, &ip, &prefix, &host,
                                   &cid) > 0)
                g_string_append_printf(out, "%s %s ", mac, ip);
        return g_string_free(g_steal_pointer(&out), FALSE);
}

/* dnsmasq runs the lease helper just after the client has its address: a bounded wait for it. */
static bool wait_lease(TestBus *tb, const char *net, const char *entry) {
        for (int i = 0; i < 200; i++) {
                g_autofree char *l = leases(tb, net);

                if (strstr(l, entry))
                        return true;
                g_usleep(50 * 1000);
        }
        return false;
}

static char *nic_xml(const char *network, const char *mac) {
        return g_strdup_printf("<interface type='network'><mac address='%s'/><source network='%s'/>"
                               "<model type='virtio'/></interface>", mac, network);
}

/* the value of attribute attr of the first element that has it, in xml */
static char *attr_of(const char *xml, const char *attr) {
        g_autofree char *key = g_strdup_printf(" %s='", attr);
        const char *p = strstr(xml, key);

        if (!p)
                return NULL;
        p += strlen(key);
        return g_strndup(p, strcspn(p, "'"));
}


/* A NAT network with DHCP and a static host: guest A (the static host's MAC) gets the fixed address, guest B
 * one from the range; both show in GetDHCPLeases with their MACs; B pings A. Each guest has a port while it
 * runs, whose plug names the bridge its tap is in; a restarted vmmd-qemu keeps the port and still deletes it
 * at Destroy, when the tap goes too. */
static void test_nat_two_guests(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *net = net_define(tb, nat_xml);
        g_autofree char *nic_a = nic_xml("gnat", MAC_A), *nic_b = nic_xml("gnat", MAC_B);
        g_autofree char *xml_a = e2e_guest_xml(tb, "ga", UUID_A, "testguest.net=dhcp", NULL, nic_a);
        g_autofree char *xml_b = e2e_guest_xml(tb, "gb", UUID_B, "testguest.net=dhcp testguest.ping=" STATIC_IP, NULL,
                                               nic_b);
        g_autofree char *path_a = NULL, *path_b = NULL, *live_a = NULL, *portid_a = NULL, *tap_a = NULL;
        g_autofree char *links = NULL, *ports = NULL, *addr_b = NULL, *entry = NULL, *live_a2 = NULL, *gone = NULL;
        g_autofree char *tap_b = NULL, *live_b = NULL, *after = NULL, *inactive = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        unsigned n;
        int last;

        net_call_ok(tb, net, "Create");
        path_a = test_define(tb, xml_a, 0, &e);
        g_assert_nonnull(path_a);
        path_b = test_define(tb, xml_b, 0, &e);
        g_assert_nonnull(path_b);

        if (e2e_domain_call(tb, path_a, "Create", false, 0, &e) < 0) {
                kill_dnsmasq(tb, "gnat");
                g_error("Create ga: %s: %s", e.name, e.message);
        }
        live_a = test_get_xml(tb, path_a, 0);
        portid_a = attr_of(live_a, "portid");
        g_assert_nonnull(portid_a);
        g_assert_nonnull(strstr(live_a, "bridge='" BRIDGE "'"));
        tap_a = attr_of(strstr(live_a, "<target "), "dev");
        g_assert_true(g_str_has_prefix(tap_a, "vnet"));
        links = sh("ip -o link show master " BRIDGE);
        g_assert_nonnull(strstr(links, tap_a));
        g_assert_nonnull(strstr(links, "link/ether fe:54:00:7b:00:0a"));
        /* the port vmmd-network holds for A: its owner, its MAC, the bridge */
        ports = ports_xml(tb, net, &n);
        g_assert_cmpuint(n, ==, 1);
        g_assert_nonnull(strstr(ports, portid_a));
        g_assert_nonnull(strstr(ports, UUID_A));
        g_assert_nonnull(strstr(ports, MAC_A));
        g_assert_nonnull(strstr(ports, "bridge='" BRIDGE "'"));
        /* the stored definition never names a running guest's port */
        inactive = test_get_xml(tb, path_a, 2 /* INACTIVE */);
        g_assert_null(strstr(inactive, "portid"));

        g_assert_cmpint(e2e_domain_call(tb, path_b, "Create", false, 0, &e), >=, 0);
        g_free(ports);
        ports = ports_xml(tb, net, &n);
        g_assert_cmpuint(n, ==, 2);

        g_assert_true(e2e_wait_serial(tb, "ga", "TESTGUEST IP eth0 " STATIC_IP, 1, BOOT_MS));
        addr_b = e2e_wait_serial_line(tb, "gb", "TESTGUEST IP eth0 ", BOOT_MS);
        g_assert_nonnull(addr_b);
        g_assert_true(g_str_has_prefix(addr_b, "10.78.0."));
        last = atoi(addr_b + strlen("10.78.0."));
        g_assert_cmpint(last, >=, 100);
        g_assert_cmpint(last, <=, 150);
        g_assert_true(wait_lease(tb, net, MAC_A " " STATIC_IP " "));
        entry = g_strdup_printf(MAC_B " %s ", addr_b);
        g_assert_true(wait_lease(tb, net, entry));
        g_assert_true(e2e_wait_serial(tb, "gb", "TESTGUEST PING " STATIC_IP " ok", 1, BOOT_MS));

        /* a restarted vmmd-qemu re-attaches with the port in the live XML and keeps it */
        test_bus_kill_name(tb, QEMU_BUS_NAME);
        live_a2 = test_get_xml(tb, path_a, 0);
        g_assert_nonnull(strstr(live_a2, portid_a));
        g_free(ports);
        ports = ports_xml(tb, net, &n);
        g_assert_cmpuint(n, ==, 2);
        g_assert_nonnull(strstr(ports, portid_a));

        /* Destroy: A's port and tap are gone when the call returns; B's stay */
        g_assert_cmpint(e2e_domain_call(tb, path_a, "Destroy", false, 0, &e), >=, 0);
        g_free(ports);
        ports = ports_xml(tb, net, &n);
        g_assert_cmpuint(n, ==, 1);
        g_assert_null(strstr(ports, portid_a));
        g_assert_nonnull(strstr(ports, UUID_B));
        after = sh("ip -o link show");
        gone = g_strdup_printf(" %s:", tap_a);
        g_assert_null(strstr(after, gone));
        live_b = test_get_xml(tb, path_b, 0);
        tap_b = attr_of(strstr(live_b, "<target "), "dev");
        g_assert_cmpint(e2e_domain_call(tb, path_b, "Destroy", false, 0, &e), >=, 0);
        g_free(ports);
        ports = ports_xml(tb, net, &n);
        g_assert_cmpuint(n, ==, 0);
        g_free(after);
        after = sh("ip -o link show");
        g_assert_null(strstr(after, "vnet"));
        net_call_ok(tb, net, "Destroy");
}

/* A network that does not exist or is not active: a named error at start, and no QEMU, no tap, no port. A
 * second NIC on a missing network takes back the port the first NIC got. */
static void test_network_missing(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *net = net_define(tb, nat_xml);
        g_autofree char *nic_missing = nic_xml("nosuchnet", MAC_A);
        g_autofree char *nics = g_strconcat(nic_xml("gnat", MAC_A), nic_xml("nosuchnet", MAC_B), NULL);
        g_autofree char *xml1 = e2e_guest_xml(tb, "m1", UUID_A, NULL, NULL, nic_missing);
        g_autofree char *xml2 = e2e_guest_xml(tb, "m2", UUID_B, NULL, NULL, nics);
        g_autofree char *path1 = NULL, *path2 = NULL, *links = NULL, *ports = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_auto(sd_bus_error) e2 = SD_BUS_ERROR_NULL;
        g_auto(sd_bus_error) e3 = SD_BUS_ERROR_NULL;
        unsigned n;

        path1 = test_define(tb, xml1, 0, &e);
        g_assert_nonnull(path1);
        g_assert_cmpint(e2e_domain_call(tb, path1, "Create", false, 0, &e), <, 0);
        assert_bus_error(&e, "org.vmmd.Error.NoNetwork", "nosuchnet");
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, 0);

        /* defined but not started */
        path2 = test_define(tb, xml2, 0, &e2);
        g_assert_nonnull(path2);
        g_assert_cmpint(e2e_domain_call(tb, path2, "Create", false, 0, &e2), <, 0);
        assert_bus_error(&e2, "org.vmmd.Error.OperationInvalid", "gnat", "not active");

        net_call_ok(tb, net, "Create");
        g_assert_cmpint(e2e_domain_call(tb, path2, "Create", false, 0, &e3), <, 0);
        ports = ports_xml(tb, net, &n);
        net_call_ok(tb, net, "Destroy");   /* before any assertion can abort */
        assert_bus_error(&e3, "org.vmmd.Error.NoNetwork", "nosuchnet");
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_B), ==, 0);
        g_assert_cmpuint(n, ==, 0);
        links = sh("ip -o link show");
        g_assert_null(strstr(links, "vnet"));
        /* nothing left written down for a reclaim either */
        {
                g_autofree char *dir = test_root_file(tb, "run/vmmd/qemu/ports");
                g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);

                g_assert_true(!d || !g_dir_read_name(d));
        }
}

/* vmmd-network makes the port, but its answer to CreatePort never comes (a test build drops it, as a stalled
 * vmmd-network would look): the start fails with OperationTimeout once vmmd-qemu's call times out (shortened
 * here through sd-bus's $SYSTEMD_BUS_TIMEOUT), and the port is deleted again by its uuid before the reply, so
 * neither a port nor a record for a reclaim stays behind, and no QEMU runs. */
static void test_port_create_no_reply(void) {
        g_autofree char *faults = e2e_faults_dir();
        g_autoptr(E2EBus) tb = NULL;
        g_autofree char *net = NULL, *nic = nic_xml("gnat", MAC_A), *xml = NULL, *path = NULL, *ports = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        unsigned n = 0;

        if (e2e_skip_without_hooks())
                return;
        tb = e2e_bus_with_faults(faults, (const char *const[]) { "SYSTEMD_BUS_TIMEOUT=2s", NULL });
        net = net_define(tb, nat_xml);
        xml = e2e_guest_xml(tb, "nr", UUID_A, NULL, NULL, nic);
        net_call_ok(tb, net, "Create");
        path = test_define(tb, xml, 0, &e);
        g_assert_nonnull(path);
        e2e_fault_arm(faults, "CreatePort-no-reply");
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), <, 0);
        ports = ports_xml(tb, net, &n);
        net_call_ok(tb, net, "Destroy");   /* before any assertion can abort */
        g_assert_false(e2e_fault_armed(faults, "CreatePort-no-reply"));
        g_assert_cmpuint(n, ==, 0);
        assert_bus_error(&e, "org.vmmd.Error.OperationTimeout", "CreatePort", "gnat");
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, 0);
        g_assert_false(test_prop_bool(tb, path, "Active"));
        {
                g_autofree char *dir = test_root_file(tb, "run/vmmd/qemu/ports");
                g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);

                g_assert_true(!d || !g_dir_read_name(d));
        }
        e2e_faults_dir_remove(faults);
}

/* A port vmmd-qemu wrote down but whose guest is gone (the daemon died between CreatePort and the guest's
 * status file): the next vmmd-qemu deletes it when it starts. */
static void test_port_reclaim(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *net = net_define(tb, nat_xml);
        g_autofree char *dir = test_root_file(tb, "run/vmmd/qemu/ports");
        g_autofree char *record = NULL, *ports = NULL, *port_uuid = NULL;
        g_autofree char *port_xml = g_strdup_printf("<networkport><owner><name>gone</name><uuid>" UUID_GONE
                                                    "</uuid></owner><mac address='" MAC_B "'/></networkport>");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        const char *p;
        unsigned n = 0;

        net_call_ok(tb, net, "Create");
        if (test_call_to(tb, NET, net, NETWORK_INTERFACE, "CreatePort", &e, &reply, "su", port_xml, 0) < 0) {
                kill_dnsmasq(tb, "gnat");
                g_error("CreatePort: %s", e.message);
        }
        g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
        ports = ports_xml(tb, net, &n);
        g_assert_cmpuint(n, ==, 1);
        {
                /* the port's own uuid comes first, before its owner's */
                const char *u = strstr(ports, "<uuid>");

                g_assert_nonnull(u);
                port_uuid = g_strndup(u + strlen("<uuid>"), 36);
                g_assert_cmpstr(port_uuid, !=, UUID_GONE);
        }
        g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
        record = g_build_filename(dir, port_uuid, NULL);
        test_write_file(record, "gnat\n");

        /* a fresh vmmd-qemu: re-attach, then the reclaim */
        if (test_bus_name_has_owner(tb, QEMU_BUS_NAME))
                test_bus_kill_name(tb, QEMU_BUS_NAME);
        g_strfreev(test_list_domains(tb, 0));
        n = wait_port_count(tb, net, 0);
        net_call_ok(tb, net, "Destroy");
        g_assert_cmpuint(n, ==, 0);
        g_assert_false(g_file_test(record, G_FILE_TEST_EXISTS));
}

/* A guest whose QEMU died while no vmmd-qemu was there: the next vmmd-qemu finds it gone at re-attach and
 * deletes its port. */
static void test_port_of_dead_guest(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *net = net_define(tb, nat_xml);
        g_autofree char *nic = nic_xml("gnat", MAC_A);
        g_autofree char *xml = e2e_guest_xml(tb, "gd", UUID_A, NULL, NULL, nic);
        g_autofree char *path = NULL, *ports = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        unsigned n = 0;
        pid_t qemu;

        net_call_ok(tb, net, "Create");
        path = test_define(tb, xml, 0, &e);
        g_assert_nonnull(path);
        if (e2e_domain_call(tb, path, "Create", false, 0, &e) < 0) {
                net_call_ok(tb, net, "Destroy");
                g_error("Create gd: %s: %s", e.name, e.message);
        }
        ports = ports_xml(tb, net, &n);
        g_assert_cmpuint(n, ==, 1);
        test_bus_kill_name(tb, QEMU_BUS_NAME);
        qemu = e2e_qemu_pid(tb, UUID_A);
        g_assert_cmpint(qemu, >, 0);
        g_assert_cmpint(kill(qemu, SIGKILL), ==, 0);
        g_assert_true(e2e_wait_pid_exit(qemu, 30000));
        /* the new daemon's re-attach answers only once it has looked at every guest */
        g_strfreev(test_list_domains(tb, 0));
        n = wait_port_count(tb, net, 0);
        net_call_ok(tb, net, "Destroy");
        g_assert_cmpuint(n, ==, 0);
}

/* N28.6: a running guest's port that vmmd-network lost (its file gone while both daemons were away) is
 * re-registered by the re-attaching vmmd-qemu under the same uuid, on the tap's bridge, and goes at stop. */
static void test_lost_port_reclaimed(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *net = net_define(tb, nat_xml);
        g_autofree char *nic = nic_xml("gnat", MAC_A);
        g_autofree char *xml = e2e_guest_xml(tb, "gl", UUID_A, NULL, NULL, nic);
        g_autofree char *path = NULL, *live = NULL, *portid = NULL, *rel = NULL, *file = NULL, *ports = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        unsigned n = 0;

        net_call_ok(tb, net, "Create");
        path = test_define(tb, xml, 0, &e);
        g_assert_nonnull(path);
        if (e2e_domain_call(tb, path, "Create", false, 0, &e) < 0) {
                net_call_ok(tb, net, "Destroy");
                g_error("Create gl: %s: %s", e.name, e.message);
        }
        live = test_get_xml(tb, path, 0);
        portid = attr_of(live, "portid");
        g_assert_nonnull(portid);
        rel = g_strdup_printf("run/vmmd/network/gnat/ports/%s.xml", portid);
        file = test_root_file(tb, rel);
        g_assert_true(g_file_test(file, G_FILE_TEST_EXISTS));

        test_bus_kill_name(tb, QEMU_BUS_NAME);
        test_bus_kill_name(tb, NET);
        g_assert_cmpint(unlink(file), ==, 0);
        g_free(ports_xml(tb, net, &n));
        g_assert_cmpuint(n, ==, 0);
        /* vmmd-qemu comes back, re-attaches, and finds the port missing */
        g_strfreev(test_list_domains(tb, 0));
        n = wait_port_count(tb, net, 1);
        if (n != 1) {
                e2e_kill_qemus(tb);
                net_call_ok(tb, net, "Destroy");
                g_error("the lost port was not reclaimed (%u ports)", n);
        }
        ports = ports_xml(tb, net, &n);
        g_assert_nonnull(strstr(ports, portid));
        g_assert_nonnull(strstr(ports, "<name>gl</name>"));
        g_assert_nonnull(strstr(ports, "bridge='" BRIDGE "'"));
        g_assert_true(g_file_test(file, G_FILE_TEST_EXISTS));

        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), >=, 0);
        n = wait_port_count(tb, net, 0);
        net_call_ok(tb, net, "Destroy");
        g_assert_cmpuint(n, ==, 0);
}

int main(int argc, char **argv) {
        e2e_enter_own_netns(argc, argv, NETNS_ENV);
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/guest-network/nat-two-guests", test_nat_two_guests);
        g_test_add_func("/guest-network/network-missing", test_network_missing);
        g_test_add_func("/guest-network/port-create-no-reply", test_port_create_no_reply);
        g_test_add_func("/guest-network/port-reclaim", test_port_reclaim);
        g_test_add_func("/guest-network/port-of-dead-guest", test_port_of_dead_guest);
        g_test_add_func("/guest-network/lost-port-reclaimed", test_lost_port_reclaimed);
        return g_test_run();
}
