/* Bus tests for vmmd-nwfilter: filters, bindings and real frames through a bridge in network namespaces the test
 * makes (spec nwfilter.md W1–W14, W26–W33). The test re-executes itself under `unshare --net` (the host
 * namespace H of §11: the bus, the daemon and br0); the guest and peer namespaces are held by two `sleep`s
 * that die with the test. Frames are made and counted by nwfilter-frames.py. */
#include "bus-harness.h"
#include "fileio.h"
#include "vmmd/nwfilter1.h"

#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define NWF NWFILTER_BUS_NAME
#define NETNS_ENV "VMMD_TEST_NWFILTER_IN_NETNS"
#define GUEST_MAC "52:54:00:11:22:33"
#define TABLE "bridge vmmd_nwfilter"

static pid_t guest_pid, peer_pid;

static char *sh(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static char *sh(const char *fmt, ...) {
        g_autofree char *cmd = NULL, *err = NULL;
        g_autoptr(GError) error = NULL;
        char *out = NULL;
        int status = 0;
        va_list ap;

        va_start(ap, fmt);
        cmd = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        {
                const char *argv[] = { "sh", "-c", cmd, NULL };

                if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                                  &error))
                        g_error("%s: %s", cmd, error->message);
        }
        if (!g_spawn_check_wait_status(status, NULL))
                g_error("%s failed: %s", cmd, err);
        return out;
}

static char *table_listing(void) {
        return sh("nft list table " TABLE " 2>/dev/null || true");
}

/* --- namespaces (§11) --- */

/* A process sitting in a network namespace of its own, killed when the test dies. */
static pid_t spawn_namespace(void) {
        g_autofree char *ours = g_file_read_link("/proc/self/ns/net", NULL);
        pid_t pid = fork();

        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                execlp("unshare", "unshare", "--net", "sleep", "3600", NULL);
                _exit(127);
        }
        /* unshare execs sleep in the same process once it has its namespace: a bounded wait for that */
        for (int i = 0; i < 5000; i++) {
                g_autofree char *link = g_strdup_printf("/proc/%d/ns/net", pid);
                g_autofree char *ns = g_file_read_link(link, NULL);

                if (ns && g_strcmp0(ns, ours) != 0)
                        return pid;
                g_usleep(1000);
        }
        g_error("the namespace of process %d did not appear", pid);
}

static void setup_network(void) {
        guest_pid = spawn_namespace();
        peer_pid = spawn_namespace();
        g_free(sh("ip link set lo up && ip link add br0 type bridge && ip link set br0 up && "
                  "ip link add vg0 type veth peer name g0 netns %d && ip link add vp0 type veth peer name p0 netns %d "
                  "&& ip link set vg0 master br0 up && ip link set vp0 master br0 up",
                  guest_pid, peer_pid));
        g_free(sh("nsenter -t %d -n sh -c 'ip link set lo up && ip link set g0 address " GUEST_MAC
                  " && ip addr add 10.0.0.2/24 dev g0 && ip link set g0 up'", guest_pid));
        g_free(sh("nsenter -t %d -n sh -c 'ip link set lo up && ip addr add 10.0.0.3/24 dev p0 && ip link set p0 up'",
                  peer_pid));
}

static void teardown_network(void) {
        if (guest_pid > 0)
                kill(guest_pid, SIGKILL), waitpid(guest_pid, NULL, 0);
        if (peer_pid > 0)
                kill(peer_pid, SIGKILL), waitpid(peer_pid, NULL, 0);
}

/* Frames of each kind sent from the guest (mode burst) or to it (burst-in); the counts the other side saw, as
 * "kind=n ..." */
static char *burst_mode(const char *mode, const char *specs) {
        g_autofree char *out = sh("python3 %s/tests/bus/nwfilter-frames.py %s %d %d %s", g_getenv("VMMD_SOURCE_ROOT"),
                                  mode, guest_pid, peer_pid, specs);
        return g_strstrip(g_strdup(out));
}

static char *burst(const char *specs) {
        return burst_mode("burst", specs);
}

static int count_of(const char *counts, const char *kind) {
        g_auto(GStrv) parts = g_strsplit(counts, " ", -1);
        size_t len = strlen(kind);

        g_assert_null(strstr(counts, "timeout"));
        for (char **p = parts; *p; p++)
                if (strncmp(*p, kind, len) == 0 && (*p)[len] == '=')
                        return atoi(*p + len + 1);
        return 0;
}

/* --- bus calls --- */

static TestBus *bus_new(void) {
        g_autofree char *shipped = g_build_filename(g_getenv("VMMD_SOURCE_ROOT"), "daemons", "vmmd-nwfilter", "filters",
                                                    NULL);
        g_autofree char *env = g_strconcat("VMMD_NWFILTER_SHIPPED_DIR=", shipped, NULL);
        const char *extra[] = { env, NULL };

        return test_bus_new(extra);
}

static char *call_o(TestBus *tb, const char *method, sd_bus_error *e, const char *xml) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *o;

        if (test_call_to(tb, NWF, NWFILTER_MANAGER_PATH, NWFILTER_MANAGER_INTERFACE, method, e, &reply, "su", xml, 0) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &o), >=, 0);
        return g_strdup(o);
}

static char *define(TestBus *tb, const char *xml, sd_bus_error *e) {
        return call_o(tb, "NWFilterDefineXML", e, xml);
}

static char *define_ok(TestBus *tb, const char *xml) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char *path = define(tb, xml, &e);

        if (!path)
                g_error("NWFilterDefineXML: %s: %s", e.name, e.message);
        return path;
}

static char *binding_xml(const char *portdev, const char *filter, const char *params) {
        return g_strdup_printf("<filterbinding><owner><name>g1</name><uuid>a1b2c3d4-e5f6-4071-8293-a4b5c6d7e8f9</uuid>"
                               "</owner><portdev name='%s'/><mac address='" GUEST_MAC "'/><filterref filter='%s'>%s"
                               "</filterref></filterbinding>", portdev, filter, params ? params : "");
}

static char *bind(TestBus *tb, const char *portdev, const char *filter, const char *params, sd_bus_error *e) {
        g_autofree char *xml = binding_xml(portdev, filter, params);
        return call_o(tb, "NWFilterBindingCreateXML", e, xml);
}

static char *bind_ok(TestBus *tb, const char *portdev, const char *filter, const char *params) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char *path = bind(tb, portdev, filter, params, &e);

        if (!path)
                g_error("NWFilterBindingCreateXML: %s: %s", e.name, e.message);
        return path;
}

static int delete_binding(TestBus *tb, const char *path, sd_bus_error *e) {
        return test_call_to(tb, NWF, path, NWFILTER_BINDING_INTERFACE, "Delete", e, NULL, "");
}

static int undefine(TestBus *tb, const char *path, sd_bus_error *e) {
        return test_call_to(tb, NWF, path, NWFILTER_INTERFACE, "Undefine", e, NULL, "");
}

static char *get_xml(TestBus *tb, const char *path, const char *iface) {
        g_autoptr(sd_bus_message) reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *xml;

        g_assert_cmpint(test_call_to(tb, NWF, path, iface, "GetXMLDesc", &e, &reply, "u", 0), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &xml), >=, 0);
        return g_strdup(xml);
}

static char *prop(TestBus *tb, const char *path, const char *iface, const char *name) {
        g_autoptr(sd_bus_message) reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *v;

        g_assert_cmpint(test_call_to(tb, NWF, path, "org.freedesktop.DBus.Properties", "Get", &e, &reply, "ss", iface,
                                     name), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "v", "s", &v), >=, 0);
        return g_strdup(v);
}

static char *lookup_name(TestBus *tb, const char *name, sd_bus_error *e) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *o;

        if (test_call_to(tb, NWF, NWFILTER_MANAGER_PATH, NWFILTER_MANAGER_INTERFACE, "NWFilterLookupByName", e, &reply,
                         "s", name) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &o), >=, 0);
        return g_strdup(o);
}

static char **list(TestBus *tb, const char *method) {
        g_autoptr(sd_bus_message) reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char **paths = NULL;

        g_assert_cmpint(test_call_to(tb, NWF, NWFILTER_MANAGER_PATH, NWFILTER_MANAGER_INTERFACE, method, &e, &reply, "u",
                                     0), >=, 0);
        g_assert_cmpint(sd_bus_message_read_strv(reply, &paths), >=, 0);
        return paths ? paths : g_new0(char *, 1);   /* an empty array reads as NULL */
}

static char *root_file(TestBus *tb, const char *rel) {
        return g_build_filename(tb->root, rel, NULL);
}

/* --- filters (W1–W8) --- */

#define UUID_A "11111111-2222-4333-8444-555555555501"
#define UUID_B "11111111-2222-4333-8444-555555555502"

static void test_filters(void) {
        g_autoptr(TestBus) tb = bus_new();
        sd_bus_error e = SD_BUS_ERROR_NULL;
        g_autofree char *a = NULL, *p = NULL, *xml = NULL, *file = NULL, *before = NULL;
        g_auto(GStrv) names = NULL;
        TestSignal *sig;

        /* the shipped set is there, with uuids, at the first start (§9) */
        p = lookup_name(tb, "clean-traffic", &e);
        g_assert_nonnull(p);
        xml = get_xml(tb, p, NWFILTER_INTERFACE);
        g_assert_nonnull(strstr(xml, "<uuid>"));
        g_assert_nonnull(strstr(xml, "<filterref filter='no-mac-spoofing'/>"));
        file = root_file(tb, "etc/vmmd/nwfilter/clean-traffic.xml");
        g_assert_true(g_file_test(file, G_FILE_TEST_EXISTS));
        names = list(tb, "ListNWFilters");
        g_assert_cmpuint(g_strv_length(names), >=, 20);

        /* W1 */
        test_bus_drain(tb);
        test_bus_clear_signals(tb);
        a = define_ok(tb, "<filter name='test-a' chain='ipv4'><uuid>" UUID_A "</uuid>"
                          "<rule action='drop' direction='out'><ip srcipaddr='10.9.9.9'/></rule></filter>");
        g_assert_cmpstr(a, ==, NWFILTER_PREFIX "/" "_311111111_2d2222_2d4333_2d8444_2d555555555501");
        sig = test_bus_wait_signal(tb, "NWFilterEvent", 5000);
        g_assert_nonnull(sig);
        g_assert_cmpint(sig->event, ==, NWFILTER_EVENT_DEFINED);
        g_clear_pointer(&file, g_free);
        file = root_file(tb, "etc/vmmd/nwfilter/test-a.xml");
        g_assert_true(g_file_test(file, G_FILE_TEST_EXISTS));
        g_free(xml);
        xml = prop(tb, a, NWFILTER_INTERFACE, "Chain");
        g_assert_cmpstr(xml, ==, "ipv4");

        /* W2 */
        g_assert_null(define(tb, "<filter chain='root'/>", &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_XML_ERROR, "name");
        sd_bus_error_free(&e);
        g_assert_null(define(tb, "<filter name='x' chain='foo'/>", &e));
        assert_bus_error(&e, "org.vmmd.Error.InvalidArg", "Invalid chain name 'foo'");
        sd_bus_error_free(&e);
        g_assert_null(define(tb, "<filter name='x'><rule action='drop' direction='in'><bogus/></rule><x/></filter>x",
                             &e));
        sd_bus_error_free(&e);

        /* W3 */
        g_assert_null(define(tb, "<filter name='test-other'><uuid>" UUID_A "</uuid></filter>", &e));
        assert_bus_error(&e, "org.vmmd.Error.OperationFailed", "same UUID but different name ('test-a')");
        sd_bus_error_free(&e);
        g_assert_null(define(tb, "<filter name='test-a' chain='ipv4'/>", &e));
        assert_bus_error(&e, "org.vmmd.Error.OperationFailed", "'test-a' already exists with uuid " UUID_A);
        sd_bus_error_free(&e);

        /* W4: a loop through defined filters; a reference to a missing one is fine */
        g_free(define_ok(tb, "<filter name='test-b'><uuid>" UUID_B "</uuid><filterref filter='test-c'/></filter>"));
        g_assert_null(define(tb, "<filter name='test-c'><filterref filter='test-b'/></filter>", &e));
        assert_bus_error(&e, "org.vmmd.Error.OperationFailed", "loop");
        sd_bus_error_free(&e);
        g_assert_null(define(tb, "<filter name='test-b'><uuid>" UUID_B "</uuid><filterref filter='test-b'/></filter>",
                             &e));
        assert_bus_error(&e, "org.vmmd.Error.OperationFailed", "loop");
        sd_bus_error_free(&e);

        /* W8 */
        g_assert_null(lookup_name(tb, "no-such", &e));
        assert_bus_error(&e, "org.vmmd.Error.NoNWFilter", "no-such");
        sd_bus_error_free(&e);

        /* W7: in use by a binding (through a reference) → refused; then allowed */
        g_free(define_ok(tb, "<filter name='test-b'><uuid>" UUID_B "</uuid><filterref filter='test-a'/></filter>"));
        g_free(p);
        p = bind_ok(tb, "vmmdnone0", "test-b", NULL);
        before = prop(tb, p, NWFILTER_BINDING_INTERFACE, "State");
        g_assert_cmpstr(before, ==, "no-device");   /* W10 */
        g_assert_cmpint(undefine(tb, a, &e), <, 0);
        assert_bus_error(&e, "org.vmmd.Error.OperationInvalid", "nwfilter is in use");
        sd_bus_error_free(&e);
        g_assert_true(g_file_test(file, G_FILE_TEST_EXISTS));
        g_assert_cmpint(delete_binding(tb, p, &e), >=, 0);
        test_bus_drain(tb);
        test_bus_clear_signals(tb);
        g_assert_cmpint(undefine(tb, a, &e), >=, 0);
        sig = test_bus_wait_signal(tb, "NWFilterEvent", 5000);
        g_assert_nonnull(sig);
        g_assert_cmpint(sig->event, ==, NWFILTER_EVENT_UNDEFINED);
        g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));

        /* W9: a binding whose tree misses a filter is refused, nothing stays */
        g_assert_null(bind(tb, "vmmdnone0", "test-b", NULL, &e));
        assert_bus_error(&e, "org.vmmd.Error.NoNWFilter", "test-a");
        sd_bus_error_free(&e);
        g_strfreev(names);
        names = list(tb, "ListNWFilterBindings");
        g_assert_cmpuint(g_strv_length(names), ==, 0);
        /* no binding ever had rules: the daemon made no table (installed checks run it on the host) */
        {
                g_autofree char *tables = sh("nft list tables");

                g_assert_null(strstr(tables, "vmmd_nwfilter"));
        }
}

/* --- bindings and traffic (W9–W14, W26–W33) --- */

static void test_clean_traffic(void) {
        g_autoptr(TestBus) tb = bus_new();
        sd_bus_error e = SD_BUS_ERROR_NULL;
        g_autofree char *b = NULL, *counts = NULL, *state = NULL, *file = NULL, *table = NULL, *listing = NULL;
        TestSignal *sig;

        /* W26: before the binding everything passes */
        counts = burst("udp-ok=10 udp-spoof=10 forged=10 garp-peer=5");
        g_assert_cmpint(count_of(counts, "udp-ok"), ==, 10);
        g_assert_cmpint(count_of(counts, "udp-spoof"), ==, 10);
        g_assert_cmpint(count_of(counts, "forged"), ==, 10);

        /* W12: without IP the interim rules apply */
        b = bind_ok(tb, "vg0", "clean-traffic", NULL);
        state = prop(tb, b, NWFILTER_BINDING_INTERFACE, "State");
        g_assert_cmpstr(state, ==, "learning");
        g_free(counts);
        counts = burst("udp-ok=10 udp-forged=10 ownmac=10");
        g_assert_cmpint(count_of(counts, "udp-ok"), ==, 10);
        g_assert_cmpint(count_of(counts, "udp-forged"), ==, 0);
        g_assert_cmpint(count_of(counts, "ownmac"), ==, 0);
        g_assert_cmpint(delete_binding(tb, b, &e), >=, 0);
        g_free(b);

        test_bus_drain(tb);
        test_bus_clear_signals(tb);
        b = bind_ok(tb, "vg0", "clean-traffic", "<parameter name='IP' value='10.0.0.2'/>");
        g_assert_cmpstr(b, ==, NWFILTER_BINDING_PREFIX "/vg0");
        sig = test_bus_wait_signal(tb, "NWFilterBindingEvent", 5000);
        g_assert_nonnull(sig);
        g_assert_cmpint(sig->event, ==, NWFILTER_BINDING_EVENT_CREATED);
        g_free(state);
        state = prop(tb, b, NWFILTER_BINDING_INTERFACE, "State");
        g_assert_cmpstr(state, ==, "active");
        file = root_file(tb, "run/vmmd/nwfilter/binding/vg0.xml");
        g_assert_true(g_file_test(file, G_FILE_TEST_EXISTS));

        g_free(counts);
        counts = burst("udp-ok=10 udp-spoof=10 udp-forged=10 dhcp=5 garp-ok=5 garp-peer=5 ownmac=5");
        g_assert_cmpint(count_of(counts, "udp-ok"), ==, 10);      /* W26 */
        g_assert_cmpint(count_of(counts, "udp-forged"), ==, 0);   /* W27 */
        g_assert_cmpint(count_of(counts, "udp-spoof"), ==, 0);    /* W28 */
        g_assert_cmpint(count_of(counts, "dhcp"), ==, 5);         /* DHCP passes */
        g_assert_cmpint(count_of(counts, "garp-ok"), ==, 5);
        g_assert_cmpint(count_of(counts, "garp-peer"), ==, 0);    /* W29 */
        g_assert_cmpint(count_of(counts, "ownmac"), ==, 0);       /* W30 */
        /* W31: IPv4 to the guest passes (allow-incoming-ipv4), other frames to it do not */
        g_free(counts);
        counts = burst_mode("burst-in", "in-udp=10 in-raw=10");
        g_assert_cmpint(count_of(counts, "in-udp"), ==, 10);
        g_assert_cmpint(count_of(counts, "in-raw"), ==, 0);

        /* a second binding on the same port is refused */
        g_assert_null(bind(tb, "vg0", "clean-traffic", NULL, &e));
        assert_bus_error(&e, "org.vmmd.Error.OperationFailed", "binding 'vg0' already exists");
        sd_bus_error_free(&e);

        /* W14: SIGKILL, the table flushed by hand, any call: the same table is back */
        table = table_listing();
        g_assert_nonnull(strstr(table, "vg0-l2-out"));
        test_bus_kill_name(tb, NWF);
        g_free(sh("nft delete table " TABLE));
        /* a no-op redefinition queues behind the daemon's rebuild, so its reply means the rebuild is done */
        {
                g_autofree char *p = lookup_name(tb, "allow-arp", &e);
                g_autofree char *xml = get_xml(tb, p, NWFILTER_INTERFACE);

                g_free(define_ok(tb, xml));
        }
        listing = table_listing();
        g_assert_cmpstr(listing, ==, table);
        g_free(state);
        state = prop(tb, b, NWFILTER_BINDING_INTERFACE, "State");
        g_assert_cmpstr(state, ==, "active");

        /* W13, W32 */
        test_bus_drain(tb);
        test_bus_clear_signals(tb);
        g_assert_cmpint(delete_binding(tb, b, &e), >=, 0);
        sig = test_bus_wait_signal(tb, "NWFilterBindingEvent", 5000);
        g_assert_nonnull(sig);
        g_assert_cmpint(sig->event, ==, NWFILTER_BINDING_EVENT_DELETED);
        g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
        g_free(listing);
        listing = table_listing();
        g_assert_null(strstr(listing, "vg0"));
        g_free(counts);
        counts = burst("udp-spoof=10");
        g_assert_cmpint(count_of(counts, "udp-spoof"), ==, 10);
        g_assert_cmpint(delete_binding(tb, b, &e), <, 0);
        sd_bus_error_free(&e);
}

/* A custom root filter referenced by the binding, redefined many times under a steady forged stream (W6, W23). */
#define UUID_R "11111111-2222-4333-8444-5555555555aa"

static char *root_filter(int generation) {
        /* every generation changes the port's rules, never what no-mac-spoofing does */
        return g_strdup_printf("<filter name='test-root' chain='root'><uuid>" UUID_R "</uuid>"
                               "<filterref filter='no-mac-spoofing'/>"
                               "<rule action='drop' direction='out' priority='%d'><mac protocolid='0x%04x'/></rule>"
                               "</filter>", generation, 0x9000 + generation);
}

static void test_redefine(void) {
        g_autoptr(TestBus) tb = bus_new();
        sd_bus_error e = SD_BUS_ERROR_NULL;
        g_autofree char *b = NULL, *other = NULL, *before = NULL, *after = NULL, *xml_before = NULL, *xml_after = NULL;
        g_autofree char *f = NULL, *counts = NULL, *handles_before = NULL, *handles_after = NULL, *redefined = NULL;
        g_autofree char *helper = g_build_filename(g_getenv("VMMD_SOURCE_ROOT"), "tests", "bus", "nwfilter-frames.py",
                                                   NULL);
        g_autofree char *gp = g_strdup_printf("%d", guest_pid), *pp = g_strdup_printf("%d", peer_pid);
        const char *argv[] = { "python3", helper, "stream", gp, pp, "forged", "ownmac", NULL };
        g_autoptr(GError) error = NULL;
        char line[512] = "";
        int in_fd, out_fd;
        GPid pid;
        ssize_t n;
        size_t got = 0;

        f = define_ok(tb, root_filter(0));
        b = bind_ok(tb, "vg0", "test-root", NULL);
        /* another port's chains: their handles must not move (W6) */
        g_free(sh("ip link add vx0 type veth peer name vx1"));
        other = bind_ok(tb, "vx0", "no-mac-spoofing", NULL);
        handles_before = sh("nft -a list chain " TABLE " vx0-l2-out");

        g_assert_true(g_spawn_async_with_pipes(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                                               NULL, NULL, &pid, &in_fd, &out_fd, NULL, &error));
        /* bounded wait for "ready" */
        while (!strchr(line, '\n')) {
                struct pollfd pfd = { out_fd, POLLIN, 0 };

                g_assert_cmpint(poll(&pfd, 1, 20000), ==, 1);
                n = read(out_fd, line + got, sizeof(line) - 1 - got);
                g_assert_cmpint(n, >, 0);
                got += n;
                line[got] = '\0';
        }
        g_assert_true(g_str_has_prefix(line, "ready"));
        for (int i = 1; i <= 30; i++) {
                g_autofree char *xml = root_filter(i);

                g_free(define_ok(tb, xml));
        }
        g_assert_cmpint(write(in_fd, "stop\n", 5), ==, 5);
        got = 0;
        line[0] = '\0';
        while (!strchr(line, '\n')) {
                struct pollfd pfd = { out_fd, POLLIN, 0 };

                g_assert_cmpint(poll(&pfd, 1, 30000), ==, 1);
                n = read(out_fd, line + got, sizeof(line) - 1 - got);
                g_assert_cmpint(n, >, 0);
                got += n;
                line[got] = '\0';
        }
        waitpid(pid, NULL, 0);
        close(in_fd);
        close(out_fd);
        counts = g_strstrip(g_strdup(line));
        g_test_message("under 30 redefinitions: %s", counts);
        g_assert_cmpint(count_of(counts, "forged"), ==, 0);
        g_assert_cmpint(count_of(counts, "ownmac"), >, 0);
        handles_after = sh("nft -a list chain " TABLE " vx0-l2-out");
        g_assert_cmpstr(handles_after, ==, handles_before);
        after = table_listing();
        g_assert_nonnull(strstr(after, "ether type 0x901e drop"));

        /* a redefinition that nft refuses leaves the old definition and the old rules */
        before = table_listing();
        xml_before = get_xml(tb, f, NWFILTER_INTERFACE);
        redefined = define(tb, "<filter name='test-root' chain='root'><uuid>" UUID_R "</uuid>"
                               "<filterref filter='no-mac-spoofing'/>"
                               "<rule action='accept' direction='in'><tcp dstportstart='22'/></rule></filter>", &e);
        if (redefined)
                /* a kernel with bridge conntrack takes state matching: nothing to refuse here */
                g_test_message("this kernel has bridge conntrack: the refused redefinition is not checked");
        else {
                /* nft refused the state match: the old definition and the old rules stay */
                assert_bus_error(&e, "org.vmmd.Error.BuildFirewall", "nf_conntrack_bridge");
                g_free(after);
                after = table_listing();
                g_assert_cmpstr(after, ==, before);
                xml_after = get_xml(tb, f, NWFILTER_INTERFACE);
                g_assert_cmpstr(xml_after, ==, xml_before);
        }
        sd_bus_error_free(&e);
        g_assert_cmpint(delete_binding(tb, b, &e), >=, 0);
        g_assert_cmpint(delete_binding(tb, other, &e), >=, 0);
        g_free(sh("ip link del vx0"));
}

/* A filter of its own whose rules need nothing the kernel lacks: no-mac-spoofing alone (§9 test). */
static void test_no_mac_spoofing(void) {
        g_autoptr(TestBus) tb = bus_new();
        sd_bus_error e = SD_BUS_ERROR_NULL;
        g_autofree char *b = bind_ok(tb, "vg0", "no-mac-spoofing", NULL);
        g_autofree char *counts = burst("ownmac=20 forged=20 udp-spoof=5");

        g_assert_cmpint(count_of(counts, "ownmac"), ==, 20);
        g_assert_cmpint(count_of(counts, "forged"), ==, 0);
        g_assert_cmpint(count_of(counts, "udp-spoof"), ==, 5);
        g_assert_cmpint(delete_binding(tb, b, &e), >=, 0);
}

/* W14, W24: a binding whose filter was removed by hand while the daemon was away fails closed at the next start. */
static void test_fail_closed(void) {
        g_autoptr(TestBus) tb = bus_new();
        g_autofree char *b = NULL, *state = NULL, *file = NULL, *table = NULL, *counts = NULL, *p = NULL, *xml = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;

        g_free(define_ok(tb, "<filter name='test-gone' chain='root'><filterref filter='no-mac-spoofing'/></filter>"));
        b = bind_ok(tb, "vg0", "test-gone", NULL);
        counts = burst("ownmac=5 forged=5");
        g_assert_cmpint(count_of(counts, "ownmac"), ==, 5);
        g_assert_cmpint(count_of(counts, "forged"), ==, 0);

        test_bus_kill_name(tb, NWF);
        file = root_file(tb, "etc/vmmd/nwfilter/test-gone.xml");
        g_assert_cmpint(unlink(file), ==, 0);
        /* a no-op redefinition queues behind the rebuild: its reply means the rebuild is done */
        p = lookup_name(tb, "allow-arp", &e);
        xml = get_xml(tb, p, NWFILTER_INTERFACE);
        g_free(define_ok(tb, xml));
        state = prop(tb, b, NWFILTER_BINDING_INTERFACE, "State");
        g_assert_cmpstr(state, ==, "failed");
        table = sh("nft list chain " TABLE " vg0-l2-out");
        /* one rule, drop: nothing of the guest's passes */
        g_assert_nonnull(strstr(table, "\t\tdrop\n"));
        g_assert_null(strstr(table, "jump"));
        g_assert_cmpint(delete_binding(tb, b, &e), >=, 0);
}

/* §1.4: a per-user instance holds no filters and refuses to define or bind, as libvirt has no session driver. */
static void test_session(void) {
        g_autoptr(TestBus) tb = bus_new();
        g_autofree char *exe = g_build_filename(g_getenv("VMMD_BUILD_ROOT"), "daemons", "vmmd-nwfilter", "vmmd-nwfilter",
                                                NULL);
        g_autofree char *home = g_build_filename(tb->dir, "home", NULL);
        g_autofree char *addr = g_strconcat("--address=", tb->address, NULL);
        g_autofree char *xdg_config = g_build_filename(home, ".config", NULL);
        g_autofree char *xdg_run = g_build_filename(home, "run", NULL);
        g_auto(GStrv) env = g_get_environ();
        const char *argv[] = { exe, "--session", addr, "--timeout=0", NULL };
        g_autoptr(GError) error = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        g_auto(GStrv) names = NULL;
        GPid pid;

        g_assert_cmpint(vmmd_mkdir_p(xdg_run, 0700), ==, 0);
        env = g_environ_unsetenv(env, "VMMD_ROOT");
        env = g_environ_setenv(env, "HOME", home, TRUE);
        env = g_environ_setenv(env, "XDG_CONFIG_HOME", xdg_config, TRUE);
        env = g_environ_setenv(env, "XDG_RUNTIME_DIR", xdg_run, TRUE);
        env = g_environ_setenv(env, "VMMD_NWFILTER_SHIPPED_DIR", "/nonexistent", TRUE);
        g_assert_true(g_spawn_async(NULL, (char **) argv, env, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid, &error));
        /* bounded wait for the name */
        for (int i = 0; i < 1000 && test_bus_name_pid(tb, NWF) != pid; i++)
                g_usleep(10000);
        g_assert_cmpint(test_bus_name_pid(tb, NWF), ==, pid);

        g_assert_null(define(tb, "<filter name='x'/>", &e));
        assert_bus_error(&e, "org.vmmd.Error.OperationInvalid", "session mode");
        sd_bus_error_free(&e);
        g_assert_null(bind(tb, "vg0", "clean-traffic", NULL, &e));
        assert_bus_error(&e, "org.vmmd.Error.OperationInvalid", "session mode");
        sd_bus_error_free(&e);
        names = list(tb, "ListNWFilters");
        g_assert_cmpuint(g_strv_length(names), ==, 0);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        g_spawn_close_pid(pid);
}

/* --- vmmctl (item 6 of the issue) --- */

/* vmmctl ARGS... (NULL-terminated): its exit status; stdout and stderr in *out and *err. */
G_GNUC_NULL_TERMINATED static int vmmctl(TestBus *tb, char **out, char **err, ...) {
        g_autofree char *exe = g_build_filename(g_getenv("VMMD_BUILD_ROOT"), "tools", "vmmctl", "vmmctl", NULL);
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        va_list ap;

        g_ptr_array_add(argv, exe);
        va_start(ap, err);
        for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
                g_ptr_array_add(argv, (gpointer) a);
        va_end(ap);
        g_ptr_array_add(argv, NULL);
        return test_run(tb, false, out, err, (const char *const *) argv->pdata);
}

static void test_vmmctl(void) {
        g_autoptr(TestBus) tb = bus_new();
        g_autofree char *dir = g_dir_make_tmp("vmmd-nwf-XXXXXX", NULL);
        g_autofree char *ffile = g_build_filename(dir, "f.xml", NULL);
        g_autofree char *bfile = g_build_filename(dir, "b.xml", NULL);
        g_autofree char *bxml = binding_xml("vg0", "ctl-filter", NULL);
        char *out = NULL, *err = NULL;

        g_assert_true(g_file_set_contents(ffile, "<filter name='ctl-filter' chain='root'><filterref "
                                                 "filter='no-mac-spoofing'/></filter>", -1, NULL));
        g_assert_true(g_file_set_contents(bfile, bxml, -1, NULL));
        g_assert_cmpint(vmmctl(tb, &out, &err, "nwfilter-define", ffile, "--validate", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "Network filter ctl-filter defined from"));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(vmmctl(tb, &out, &err, "nwfilter-list", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "ctl-filter"));
        g_assert_nonnull(strstr(out, "clean-traffic"));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(vmmctl(tb, &out, &err, "nwfilter-dumpxml", "ctl-filter", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "<filterref filter='no-mac-spoofing'/>"));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(vmmctl(tb, &out, &err, "nwfilter-binding-create", bfile, NULL), ==, 0);
        g_assert_nonnull(strstr(out, "Network filter binding on vg0 created from"));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(vmmctl(tb, &out, &err, "nwfilter-binding-list", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "vg0"));
        g_assert_nonnull(strstr(out, "ctl-filter"));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(vmmctl(tb, &out, &err, "nwfilter-binding-dumpxml", "vg0", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "<portdev name='vg0'/>"));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        /* in use: refused, with the daemon's words */
        g_assert_cmpint(vmmctl(tb, &out, &err, "nwfilter-undefine", "ctl-filter", NULL), !=, 0);
        g_assert_nonnull(strstr(err, "nwfilter is in use"));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(vmmctl(tb, &out, &err, "nwfilter-binding-delete", "vg0", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "Network filter binding on vg0 deleted"));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(vmmctl(tb, &out, &err, "nwfilter-undefine", "ctl-filter", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "Network filter ctl-filter undefined"));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(vmmctl(tb, &out, &err, "nwfilter-binding-dumpxml", "vg0", NULL), !=, 0);
        g_assert_nonnull(strstr(err, "NoNWFilterBinding"));
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        (void) vmmd_rm_rf(dir);
}

static int run_in_namespace(int argc, char **argv) {
        char **args = g_new0(char *, argc + 4);
        g_autoptr(GError) error = NULL;
        int status = 0;

        args[0] = (char *) "unshare";
        args[1] = (char *) "--net";
        args[2] = (char *) "--";
        for (int i = 0; i < argc; i++)
                args[3 + i] = argv[i];
        setenv(NETNS_ENV, "1", 1);
        if (!g_spawn_sync(NULL, args, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL, NULL,
                          &status, &error))
                g_error("cannot run unshare: %s", error->message);
        g_free(args);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

/* §11: skip when the kernel cannot load a bridge-family table here */
static bool bridge_tables_work(void) {
        const char *argv[] = { "sh", "-c", "nft add table bridge vmmd_probe && nft delete table bridge vmmd_probe", NULL };
        int status = 0;

        return g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                            G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL) &&
               g_spawn_check_wait_status(status, NULL);
}

int main(int argc, char **argv) {
        int r;

        /* never the host's network: a namespace of our own, which goes away with us */
        if (!getenv(NETNS_ENV))
                return run_in_namespace(argc, argv);
        g_test_init(&argc, &argv, NULL);
        if (!bridge_tables_work()) {
                g_printerr("SKIP: this kernel has no nf_tables bridge family\n");
                return 77;
        }
        setup_network();
        g_test_add_func("/nwfilter/filters", test_filters);
        g_test_add_func("/nwfilter/no-mac-spoofing", test_no_mac_spoofing);
        g_test_add_func("/nwfilter/clean-traffic", test_clean_traffic);
        g_test_add_func("/nwfilter/redefine", test_redefine);
        g_test_add_func("/nwfilter/vmmctl", test_vmmctl);
        g_test_add_func("/nwfilter/fail-closed", test_fail_closed);
        g_test_add_func("/nwfilter/session", test_session);
        r = g_test_run();
        teardown_network();
        return r;
}
