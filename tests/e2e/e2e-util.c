/* End-to-end test helpers: the tiny test guest, its serial console, and the QEMUs a test started. */
#include "e2e-util.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fileio.h"

static const char *guest_dir(void) {
        const char *d = g_getenv("VMMD_TEST_GUEST_DIR");
        g_autofree char *kernel = NULL;

        g_assert_nonnull(d);
        /* say why every case fails when the guest could not be built */
        kernel = g_build_filename(d, "vmlinux", NULL);
        if (!g_file_test(kernel, G_FILE_TEST_EXISTS))
                g_error("the test guest %s is missing: build it with ninja -C <build> tests/e2e/vmlinux "
                        "(tests/guest/make-guest.sh; it needs apt-get download)", kernel);
        return d;
}

char *e2e_serial_file(TestBus *tb, const char *name) {
        return g_strdup_printf("%s/%s.serial", tb->dir, name);
}

char *e2e_guest_xml(TestBus *tb, const char *name, const char *uuid, const char *extra_cmdline,
                    const char *extra_xml, const char *devices) {
        g_autofree char *serial = e2e_serial_file(tb, name);
        g_autofree char *u = uuid ? g_strdup_printf("  <uuid>%s</uuid>\n", uuid) : g_strdup("");

        return g_strdup_printf("<domain type='qemu'>\n"
                               "  <name>%s</name>\n"
                               "%s"
                               "  <memory unit='MiB'>128</memory>\n"
                               "  <vcpu>1</vcpu>\n"
                               "  <os>\n"
                               "    <type arch='x86_64' machine='pc'>hvm</type>\n"
                               "    <kernel>%s/vmlinux</kernel>\n"
                               "    <initrd>%s/initrd.img</initrd>\n"
                               "    <cmdline>console=ttyS0 quiet panic=-1 %s</cmdline>\n"
                               "  </os>\n"
                               "  <features><acpi/></features>\n"
                               "%s"
                               "  <devices>\n"
                               "    <serial type='file'><source path='%s'/><target port='0'/></serial>\n"
                               "%s"
                               "  </devices>\n"
                               "</domain>\n",
                               name, u, guest_dir(), guest_dir(), extra_cmdline ? extra_cmdline : "",
                               extra_xml ? extra_xml : "", serial, devices ? devices : "");
}

int e2e_serial_count(TestBus *tb, const char *name, const char *marker) {
        g_autofree char *file = e2e_serial_file(tb, name);
        g_autofree char *data = NULL;
        int n = 0;

        if (vmmd_read_file(file, &data, NULL) < 0)
                return 0;
        for (const char *p = data; (p = strstr(p, marker)); p += strlen(marker))
                n++;
        return n;
}

/* Waits (bounded, woken by inotify on the directory) until done(tb, name, data) holds. */
static bool wait_serial_until(TestBus *tb, const char *name, bool (*done)(TestBus *, const char *, const void *),
                              const void *data, unsigned timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
        int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        bool ok = false;

        g_assert_cmpint(ino, >=, 0);
        /* watch the directory: the file appears when QEMU opens it */
        g_assert_cmpint(inotify_add_watch(ino, tb->dir, IN_MODIFY | IN_CREATE), >=, 0);
        for (;;) {
                char buf[4096];
                struct pollfd p = { .fd = ino, .events = POLLIN };
                gint64 left;

                if (done(tb, name, data)) {
                        ok = true;
                        break;
                }
                left = deadline - g_get_monotonic_time();
                if (left <= 0)
                        break;
                /* serve bus traffic meanwhile so signals keep their order in tb->signals */
                test_bus_drain(tb);
                if (poll(&p, 1, (int) MIN(left / 1000 + 1, 200)) > 0)
                        while (read(ino, buf, sizeof(buf)) > 0)
                                ;
        }
        close(ino);
        test_bus_drain(tb);
        return ok;
}

typedef struct {
        const char *marker;
        int count;
} MarkerCount;

static bool has_markers(TestBus *tb, const char *name, const void *data) {
        const MarkerCount *mc = data;

        return e2e_serial_count(tb, name, mc->marker) >= mc->count;
}

bool e2e_wait_serial(TestBus *tb, const char *name, const char *marker, int count, unsigned timeout_ms) {
        MarkerCount mc = { marker, count };

        return wait_serial_until(tb, name, has_markers, &mc, timeout_ms);
}

/* The rest of the first line that starts with prefix, once the line is complete; NULL if absent. */
static char *serial_line_rest(TestBus *tb, const char *name, const char *prefix) {
        g_autofree char *file = e2e_serial_file(tb, name);
        g_autofree char *text = NULL;
        const char *p, *end;

        if (vmmd_read_file(file, &text, NULL) < 0 || !(p = strstr(text, prefix)))
                return NULL;
        p += strlen(prefix);
        /* the UART writes a byte at a time: the line is whole only at its newline */
        if (!(end = strchr(p, '\n')))
                return NULL;
        return g_strstrip(g_strndup(p, end - p));
}

static bool has_whole_line(TestBus *tb, const char *name, const void *prefix) {
        g_autofree char *rest = serial_line_rest(tb, name, prefix);

        return rest != NULL;
}

char *e2e_wait_serial_line(TestBus *tb, const char *name, const char *prefix, unsigned timeout_ms) {
        if (!wait_serial_until(tb, name, has_whole_line, prefix, timeout_ms))
                return NULL;
        return serial_line_rest(tb, name, prefix);
}

bool e2e_wait_state(TestBus *tb, const char *path, int state, int reason, unsigned timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

        for (;;) {
                int s, r;
                test_prop_state(tb, path, &s, &r);
                if (s == state && (reason < 0 || r == reason))
                        return true;
                gint64 left = deadline - g_get_monotonic_time();
                if (left <= 0)
                        return false;
                /* state changes are announced: wake on the next signal */
                (void) sd_bus_wait(tb->bus, (uint64_t) MIN(left, 200000));
                test_bus_drain(tb);
        }
}

int e2e_find_event(TestBus *tb, const char *path, int event, int detail, int from) {
        for (int i = from; (i = test_bus_find_signal(tb, "DomainEvent", path, i)) >= 0; i++) {
                TestSignal *s = g_ptr_array_index(tb->signals, i);
                if (s->event == event && s->detail == detail)
                        return i;
        }
        return -1;
}

bool e2e_wait_event(TestBus *tb, const char *path, int event, int detail, unsigned timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

        for (;;) {
                test_bus_drain(tb);
                if (e2e_find_event(tb, path, event, detail, 0) >= 0)
                        return true;
                gint64 left = deadline - g_get_monotonic_time();
                if (left <= 0)
                        return false;
                (void) sd_bus_wait(tb->bus, (uint64_t) left);
        }
}

/* QEMUs (and vmmd-network's dnsmasqs) inherit the daemon's environment, which names this test's root */
static bool is_test_child(TestBus *tb, pid_t pid, const char *program, const char *uuid) {
        g_autofree char *envf = g_strdup_printf("/proc/%d/environ", (int) pid);
        g_autofree char *cmdf = g_strdup_printf("/proc/%d/cmdline", (int) pid);
        g_autofree char *env = NULL, *cmd = NULL;
        g_autofree char *want = g_strdup_printf("VMMD_ROOT=%s", tb->root);
        size_t elen = 0, clen = 0;
        bool root_ok = false, uuid_ok = !uuid;

        if (vmmd_read_file(cmdf, &cmd, &clen) < 0 || !strstr(cmd, program))
                return false;
        if (vmmd_read_file(envf, &env, &elen) < 0)
                return false;
        for (size_t off = 0; off < elen; off += strlen(env + off) + 1)
                if (g_str_equal(env + off, want))
                        root_ok = true;
        for (size_t off = 0; uuid && off < clen; off += strlen(cmd + off) + 1)
                if (g_str_equal(cmd + off, uuid))
                        uuid_ok = true;
        return root_ok && uuid_ok;
}

static GArray *find_children(TestBus *tb, const char *program, const char *uuid) {
        GArray *pids = g_array_new(FALSE, FALSE, sizeof(pid_t));
        DIR *d = opendir("/proc");
        struct dirent *de;

        while (d && (de = readdir(d))) {
                pid_t pid = (pid_t) atoi(de->d_name);
                if (pid > 0 && is_test_child(tb, pid, program, uuid))
                        g_array_append_val(pids, pid);
        }
        if (d)
                closedir(d);
        return pids;
}

pid_t e2e_qemu_pid(TestBus *tb, const char *uuid) {
        g_autoptr(GArray) pids = find_children(tb, "qemu-system", uuid);
        return pids->len ? g_array_index(pids, pid_t, 0) : 0;
}

bool e2e_wait_pid_exit(pid_t pid, unsigned timeout_ms) {
        int fd = (int) syscall(SYS_pidfd_open, pid, 0);
        struct pollfd p;
        int r;

        if (fd < 0)
                return errno == ESRCH;
        p = (struct pollfd) { .fd = fd, .events = POLLIN };
        r = poll(&p, 1, (int) timeout_ms);
        close(fd);
        return r == 1;
}

static void kill_children(TestBus *tb, const char *program) {
        g_autoptr(GArray) pids = find_children(tb, program, NULL);

        for (guint i = 0; i < pids->len; i++) {
                pid_t pid = g_array_index(pids, pid_t, i);
                kill(pid, SIGKILL);
                (void) e2e_wait_pid_exit(pid, 10000);
        }
}

void e2e_kill_qemus(TestBus *tb) {
        kill_children(tb, "qemu-system");
}

char *e2e_boot_guest(TestBus *tb, const char *name, const char *uuid, const char *devices) {
        g_autofree char *xml = e2e_guest_xml(tb, name, uuid, NULL, NULL, devices);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *path = test_define(tb, xml, 0, &e);

        if (!path)
                g_error("define: %s: %s", e.name, e.message);
        if (e2e_domain_call(tb, path, "Create", false, 0, &e) < 0)
                g_error("Create: %s: %s", e.name, e.message);
        g_assert_true(e2e_wait_serial(tb, name, "TESTGUEST READY", 1, 60000));
        return path;
}

int e2e_domain_call(TestBus *tb, const char *path, const char *method, bool no_flags, unsigned flags,
                    sd_bus_error *error) {
        if (no_flags)
                return test_call(tb, path, QEMU_DOMAIN_INTERFACE, method, error, NULL, NULL);
        return test_call(tb, path, QEMU_DOMAIN_INTERFACE, method, error, NULL, "u", flags);
}

static TestBus *current_bus;

static void on_fatal_signal(int sig) {
        /* not async-signal-safe, but the process is dying: leave nothing running */
        if (current_bus) {
                e2e_kill_qemus(current_bus);
                /* a network's dnsmasq outlives vmmd-network by design; not a failed test's */
                kill_children(current_bus, "dnsmasq");
        }
        signal(sig, SIG_DFL);
        raise(sig);
}

char *e2e_run(const char *cmd) {
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

GPid e2e_host_bridge_up(TestBus *tb, const char *bridge, const char *subnet) {
        g_autoptr(GError) error = NULL;
        g_autofree char *leases = g_build_filename(tb->dir, "leases", NULL);
        g_autofree char *lease_opt = g_strdup_printf("--dhcp-leasefile=%s", leases);
        g_autofree char *iface_opt = g_strdup_printf("--interface=%s", bridge);
        g_autofree char *range_opt = g_strdup_printf("--dhcp-range=%s.100,%s.150,255.255.255.0", subnet, subnet);
        g_autofree char *add = g_strdup_printf("ip link add %s type bridge", bridge);
        g_autofree char *addr = g_strdup_printf("ip addr add %s.1/24 dev %s", subnet, bridge);
        g_autofree char *up = g_strdup_printf("ip link set %s up", bridge);
        const char *argv[] = { "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0",
                               "--bind-interfaces", iface_opt, "--except-interface=lo", range_opt, "--pid-file=",
                               lease_opt, "--user=root", NULL };
        GPid pid;

        g_free(e2e_run(add));
        g_free(e2e_run(addr));
        g_free(e2e_run(up));
        if (!g_spawn_async(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, die_with_test, NULL,
                           &pid, &error))
                g_error("dnsmasq: %s", error->message);
        return pid;
}

char *e2e_live_tap(TestBus *tb, const char *path) {
        g_autofree char *live = test_get_xml(tb, path, 0);
        const char *t = strstr(live, "<target dev='vnet");

        g_assert_nonnull(t);
        t += strlen("<target dev='");
        return g_strndup(t, strcspn(t, "'"));
}

void e2e_enter_own_netns(int argc, char **argv, const char *env_name) {
        char **args;

        if (getenv(env_name))
                return;
        args = g_new0(char *, argc + 4);
        args[0] = (char *) "unshare";
        args[1] = (char *) "--net";
        args[2] = (char *) "--";
        for (int i = 0; i < argc; i++)
                args[3 + i] = argv[i];
        setenv(env_name, "1", 1);
        execvp("unshare", args);
        g_error("cannot run unshare: %s", g_strerror(errno));
}

TestBus *e2e_bus_new(const char *const *extra_env) {
        TestBus *tb = test_bus_new(extra_env);

        current_bus = tb;
        signal(SIGABRT, on_fatal_signal);
        signal(SIGTERM, on_fatal_signal);
        signal(SIGINT, on_fatal_signal);
        signal(SIGSEGV, on_fatal_signal);
        return tb;
}

void e2e_bus_free(TestBus *tb) {
        if (!tb)
                return;
        e2e_kill_qemus(tb);
        current_bus = NULL;
        test_bus_free(tb);
}

char *e2e_faults_dir(void) {
        char *dir = g_dir_make_tmp("vmmd-faults-XXXXXX", NULL);

        g_assert_nonnull(dir);
        g_assert_cmpint(chmod(dir, 0755), ==, 0);
        return dir;
}

TestBus *e2e_bus_with_faults(const char *dir, const char *const *extra_env) {
        g_autoptr(GPtrArray) env = g_ptr_array_new_with_free_func(g_free);

        g_ptr_array_add(env, g_strdup_printf("VMMD_TEST_FAULTS=%s", dir));
        for (; extra_env && *extra_env; extra_env++)
                g_ptr_array_add(env, g_strdup(*extra_env));
        g_ptr_array_add(env, NULL);
        return e2e_bus_new((const char *const *) env->pdata);
}

void e2e_fault_arm(const char *dir, const char *point) {
        g_autofree char *file = g_build_filename(dir, point, NULL);
        test_write_file(file, "");
}

bool e2e_fault_armed(const char *dir, const char *point) {
        g_autofree char *file = g_build_filename(dir, point, NULL);
        return access(file, F_OK) == 0;
}

void e2e_faults_dir_remove(const char *dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *e;

        while (d && (e = g_dir_read_name(d))) {
                g_autofree char *f = g_build_filename(dir, e, NULL);
                (void) unlink(f);
        }
        (void) rmdir(dir);
}

bool e2e_skip_without_hooks(void) {
        if (g_getenv("VMMD_TEST_HOOKS"))
                return false;
        g_test_skip("built without -Dtest_hooks: no failure injection");
        return true;
}
