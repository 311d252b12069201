/* Test harness: a private dbus-daemon that activates the build's daemons, a client connection, and signal capture. */
#include "bus-harness.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/fs.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"

static void test_signal_free(TestSignal *s) {
        g_free(s->path);
        g_free(s->interface);
        g_free(s->member);
        g_free(s->object);
        g_strfreev(s->changed);
        g_free(s);
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        TestBus *tb = userdata;
        TestSignal *s = g_new0(TestSignal, 1);
        const char *member = sd_bus_message_get_member(m);

        s->path = g_strdup(sd_bus_message_get_path(m));
        s->interface = g_strdup(sd_bus_message_get_interface(m));
        s->member = g_strdup(member);
        if (g_str_equal(member, "DomainEvent") || g_str_equal(member, "StoragePoolEvent") ||
            g_str_equal(member, "NetworkEvent") || g_str_equal(member, "SecretEvent") ||
            g_str_equal(member, "NWFilterEvent") || g_str_equal(member, "NWFilterBindingEvent")) {
                const char *o;
                int32_t e, d;
                if (sd_bus_message_read(m, "oii", &o, &e, &d) >= 0) {
                        s->object = g_strdup(o);
                        s->event = e;
                        s->detail = d;
                }
        } else if (g_str_equal(member, "InterfacesAdded") || g_str_equal(member, "InterfacesRemoved") ||
                   g_str_equal(member, "SecretValueChanged")) {
                const char *o;
                if (sd_bus_message_read(m, "o", &o) >= 0)
                        s->object = g_strdup(o);
        } else if (g_str_equal(member, "PropertiesChanged")) {
                g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
                const char *iface, *name;
                char **inval = NULL;

                s->object = g_strdup(sd_bus_message_get_path(m));
                if (sd_bus_message_read(m, "s", &iface) >= 0 &&
                    sd_bus_message_enter_container(m, 'a', "{sv}") >= 0) {
                        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                                if (sd_bus_message_read(m, "s", &name) >= 0)
                                        g_ptr_array_add(names, g_strdup(name));
                                sd_bus_message_skip(m, "v");
                                sd_bus_message_exit_container(m);
                        }
                        sd_bus_message_exit_container(m);
                        if (sd_bus_message_read_strv(m, &inval) >= 0 && inval)
                                for (char **i = inval; *i; i++)
                                        g_ptr_array_add(names, g_strdup(*i));
                        g_strfreev(inval);
                }
                g_ptr_array_add(names, NULL);
                s->changed = (char **) g_ptr_array_free(g_steal_pointer(&names), FALSE);
        }
        if (!s->object)   /* object signals (Reboot …) are about their own path */
                s->object = g_strdup(s->path);
        g_ptr_array_add(tb->signals, s);
        return 0;
}

static const char bus_config[] =
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
        "<busconfig>\n"
        "  <type>session</type>\n"
        "  <listen>unix:path=%s/bus</listen>\n"
        "  <servicedir>%s</servicedir>\n"
        "  <auth>EXTERNAL</auth>\n"
        "  <policy context=\"default\">\n"
        "    <allow user=\"*\"/>\n"
        "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
        "    <allow eavesdrop=\"true\"/>\n"
        "    <allow own=\"*\"/>\n"
        "  </policy>\n"
        "</busconfig>\n";

/* Live test buses, so that an aborting test (a failed assertion) still kills its
 * dbus-daemon and the daemons it activated (one process group) and undoes chattr +i. */
#define MAX_LIVE 16
static TestBus *live[MAX_LIVE];

static void set_immutable_fd_path(const char *path, bool on) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        int flags = 0;

        if (fd < 0)
                return;
        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
                flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
                (void) ioctl(fd, FS_IOC_SETFLAGS, &flags);
        }
        close(fd);
}

static void on_abort(int sig) {
        for (int i = 0; i < MAX_LIVE; i++) {
                TestBus *tb = live[i];
                if (!tb)
                        continue;
                for (guint j = 0; tb->immutable && j < tb->immutable->len; j++)
                        set_immutable_fd_path(g_ptr_array_index(tb->immutable, j), false);
                if (tb->daemon_pid > 0) {
                        kill(-tb->daemon_pid, SIGKILL);
                        (void) waitpid(tb->daemon_pid, NULL, 0);
                }
                /* not async-signal-safe, but the process is dying anyway */
                if (tb->dir && !getenv("VMMD_TEST_KEEP"))
                        (void) vmmd_rm_rf(tb->dir);
        }
        signal(sig, SIG_DFL);
        raise(sig);
}

static void live_add(TestBus *tb) {
        static bool installed;

        if (!installed) {
                struct sigaction sa = { .sa_handler = on_abort };
                sigemptyset(&sa.sa_mask);
                sigaction(SIGABRT, &sa, NULL);
                sigaction(SIGTRAP, &sa, NULL);   /* g_error under G_DEBUG=fatal... breaks */
                installed = true;
        }
        for (int i = 0; i < MAX_LIVE; i++)
                if (!live[i]) {
                        live[i] = tb;
                        return;
                }
}

static void live_remove(TestBus *tb) {
        for (int i = 0; i < MAX_LIVE; i++)
                if (live[i] == tb)
                        live[i] = NULL;
}

typedef struct {
        uid_t uid;
        gid_t gid;
} BusUser;

static void child_new_pgrp(gpointer data) {
        const BusUser *as = data;

        (void) setpgid(0, 0);
        /* the bus and the daemons it activates run as that user: a daemon that is not root */
        if (as && as->uid != 0) {
                if (setgroups(0, NULL) < 0 || setgid(as->gid) < 0 || setuid(as->uid) < 0)
                        _exit(127);
        }
        /* a test killed outright (e.g. by a test-runner timeout) still takes its bus down
         * (after setuid: a change of credentials clears the death signal) */
        (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static TestBus *bus_new(const char *const *extra_env, uid_t as_uid);

TestBus *test_bus_new(const char *const *extra_env) {
        return bus_new(extra_env, 0);
}

TestBus *test_bus_new_as(const char *const *extra_env, uid_t uid) {
        return bus_new(extra_env, uid);
}

static TestBus *bus_new(const char *const *extra_env, uid_t as_uid) {
        TestBus *tb = g_new0(TestBus, 1);
        BusUser as = { .uid = as_uid, .gid = 0 };
        g_autofree char *config = NULL, *config_file = NULL;
        g_auto(GStrv) env = g_get_environ();
        g_autoptr(GError) error = NULL;
        const char *argv[] = { "dbus-daemon", "--nofork", "--print-address=1", NULL, NULL };
        g_autofree char *config_arg = NULL;
        char buf[512];
        int out_fd, r;
        ssize_t n;
        size_t len = 0;

        tb->dir = g_dir_make_tmp("vmmd-test-XXXXXX", &error);
        g_assert_no_error(error);
        g_assert_cmpint(chmod(tb->dir, 0755), ==, 0);   /* read-only callers run as nobody */
        if (as_uid != 0) {
                const struct passwd *pw = getpwuid(as_uid);

                as.gid = pw ? pw->pw_gid : (gid_t) as_uid;
                /* the daemons keep their state under it */
                g_assert_cmpint(chown(tb->dir, as_uid, as.gid), ==, 0);
        }
        tb->root = g_build_filename(tb->dir, "root", NULL);
        tb->signals = g_ptr_array_new_with_free_func((GDestroyNotify) test_signal_free);
        tb->immutable = g_ptr_array_new_with_free_func(g_free);

        config = g_strdup_printf(bus_config, tb->dir, VMMD_BUILD_SERVICES_DIR);
        config_file = g_build_filename(tb->dir, "bus.conf", NULL);
        g_assert_true(g_file_set_contents(config_file, config, -1, NULL));
        config_arg = g_strdup_printf("--config-file=%s", config_file);
        argv[3] = config_arg;

        env = g_environ_setenv(env, "VMMD_ROOT", tb->root, TRUE);
        env = g_environ_unsetenv(env, "DBUS_SESSION_BUS_ADDRESS");
        env = g_environ_unsetenv(env, "NOTIFY_SOCKET");
        for (const char *const *e = extra_env; e && *e; e++) {
                g_auto(GStrv) kv = g_strsplit(*e, "=", 2);
                env = g_environ_setenv(env, kv[0], kv[1] ? kv[1] : "", TRUE);
        }
        g_spawn_async_with_pipes(NULL, (char **) argv, env, G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                                 child_new_pgrp, &as, &tb->daemon_pid, NULL, &out_fd, NULL, &error);
        g_assert_no_error(error);
        live_add(tb);
        /* the address line, bounded */
        while (len < sizeof(buf) - 1) {
                struct pollfd p = { .fd = out_fd, .events = POLLIN };
                g_assert_cmpint(poll(&p, 1, 10000), ==, 1);
                n = read(out_fd, buf + len, sizeof(buf) - 1 - len);
                g_assert_cmpint(n, >, 0);
                len += (size_t) n;
                if (memchr(buf, '\n', len))
                        break;
        }
        close(out_fd);
        buf[len] = 0;
        tb->address = g_strstrip(g_strdup(buf));

        r = sd_bus_new(&tb->bus);
        g_assert_cmpint(r, >=, 0);
        g_assert_cmpint(sd_bus_set_address(tb->bus, tb->address), >=, 0);
        g_assert_cmpint(sd_bus_set_bus_client(tb->bus, 1), >=, 0);
        g_assert_cmpint(sd_bus_start(tb->bus), >=, 0);
        g_assert_cmpint(sd_bus_add_match(tb->bus, NULL, "type='signal'", on_signal, tb), >=, 0);
        g_assert_cmpint(vmmd_error_register_dbus_map(), >=, 0);
        return tb;
}

static int pidfd_open_(pid_t pid) {
        return (int) syscall(SYS_pidfd_open, pid, 0);
}

/* Waits for pid to exit, bounded; uses a pidfd (readable at exit, before any reaping). */
static bool wait_exit(pid_t pid, int timeout_ms) {
        int fd = pidfd_open_(pid);
        struct pollfd p;
        int r;

        if (fd < 0)
                return errno == ESRCH;
        p = (struct pollfd) { .fd = fd, .events = POLLIN };
        r = poll(&p, 1, timeout_ms);
        close(fd);
        return r == 1;
}

pid_t test_bus_name_pid(TestBus *tb, const char *name) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        uint32_t pid = 0;

        if (sd_bus_call_method(tb->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetConnectionUnixProcessID", &e, &reply, "s", name) < 0)
                return 0;
        if (sd_bus_message_read(reply, "u", &pid) < 0)
                return 0;
        return (pid_t) pid;
}

static bool name_has_owner(TestBus *tb, const char *name) {
        g_autoptr(sd_bus_message) reply = NULL;
        int has = 0;

        if (sd_bus_call_method(tb->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "NameHasOwner", NULL, &reply, "s", name) < 0)
                return false;
        (void) sd_bus_message_read(reply, "b", &has);
        return has;
}

/* the pid of a daemon that owns name; 0 when nobody does, or when the owner is this test
 * program itself (a connection that stands for a daemon, and that the bus may not yet have
 * seen closing): a test must never signal itself */
static pid_t daemon_pid_of(TestBus *tb, const char *name) {
        pid_t pid = test_bus_name_pid(tb, name);

        return pid == getpid() ? 0 : pid;
}

void test_bus_kill_name(TestBus *tb, const char *name) {
        pid_t pid = daemon_pid_of(tb, name);
        gint64 deadline;

        if (pid <= 0)
                return;
        kill(pid, SIGKILL);
        g_assert_true(wait_exit(pid, 10000));
        /* the bus drops the name when it sees the socket close: bounded wait for that */
        deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
        while (name_has_owner(tb, name) && g_get_monotonic_time() < deadline)
                (void) sd_bus_wait(tb->bus, 10000);
        g_assert_false(name_has_owner(tb, name));
}

void test_bus_free(TestBus *tb) {
        static const char *const names[] = { QEMU_BUS_NAME, STORAGE_BUS_NAME, "org.vmmd.network1",
                                             "org.vmmd.secret1", "org.vmmd.nwfilter1" };
        if (!tb)
                return;
        for (size_t i = 0; tb->bus && i < G_N_ELEMENTS(names); i++) {
                pid_t pid = daemon_pid_of(tb, names[i]);
                if (pid > 0) {
                        kill(pid, SIGTERM);
                        if (!wait_exit(pid, 5000))
                                kill(pid, SIGKILL);
                }
        }
        for (guint i = 0; tb->immutable && i < tb->immutable->len; i++)
                set_immutable_fd_path(g_ptr_array_index(tb->immutable, i), false);
        if (tb->bus)
                sd_bus_flush_close_unref(tb->bus);
        if (tb->daemon_pid > 0) {
                kill(tb->daemon_pid, SIGTERM);
                waitpid(tb->daemon_pid, NULL, 0);
                g_spawn_close_pid(tb->daemon_pid);
                kill(-tb->daemon_pid, SIGKILL);   /* anything the bus activated and is still there */
        }
        live_remove(tb);
        g_clear_pointer(&tb->immutable, g_ptr_array_unref);
        if (tb->dir && !getenv("VMMD_TEST_KEEP"))
                (void) vmmd_rm_rf(tb->dir);
        g_clear_pointer(&tb->signals, g_ptr_array_unref);
        g_free(tb->dir);
        g_free(tb->root);
        g_free(tb->address);
        g_free(tb);
}

void test_bus_drain(TestBus *tb) {
        while (sd_bus_process(tb->bus, NULL) > 0)
                ;
}

void test_bus_clear_signals(TestBus *tb) {
        test_bus_drain(tb);
        g_ptr_array_set_size(tb->signals, 0);
}

int test_bus_find_signal(TestBus *tb, const char *member, const char *object, int from) {
        for (guint i = from < 0 ? 0 : (guint) from; i < tb->signals->len; i++) {
                TestSignal *s = g_ptr_array_index(tb->signals, i);
                if (g_str_equal(s->member, member) && (!object || g_strcmp0(s->object, object) == 0))
                        return (int) i;
        }
        return -1;
}

TestSignal *test_bus_wait_signal(TestBus *tb, const char *member, unsigned timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

        for (;;) {
                int i;
                test_bus_drain(tb);
                i = test_bus_find_signal(tb, member, NULL, 0);
                if (i >= 0)
                        return g_ptr_array_index(tb->signals, i);
                gint64 left = deadline - g_get_monotonic_time();
                if (left <= 0)
                        return NULL;
                (void) sd_bus_wait(tb->bus, (uint64_t) left);
        }
}

static int call_v(TestBus *tb, const char *dest, const char *path, const char *iface, const char *member,
                  sd_bus_error *error, sd_bus_message **ret_reply, const char *types, va_list ap) {
        g_autoptr(sd_bus_message) m = NULL;
        int r;

        r = sd_bus_message_new_method_call(tb->bus, &m, dest, path, iface, member);
        g_assert_cmpint(r, >=, 0);
        if (types) {
                r = sd_bus_message_appendv(m, types, ap);
                g_assert_cmpint(r, >=, 0);
        }
        r = sd_bus_call(tb->bus, m, 30 * G_USEC_PER_SEC, error, ret_reply);
        test_bus_drain(tb);
        return r;
}

int test_call(TestBus *tb, const char *path, const char *iface, const char *member, sd_bus_error *error,
              sd_bus_message **ret_reply, const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = call_v(tb, QEMU_BUS_NAME, path, iface, member, error, ret_reply, types, ap);
        va_end(ap);
        return r;
}

int test_call_to(TestBus *tb, const char *dest, const char *path, const char *iface, const char *member,
                 sd_bus_error *error, sd_bus_message **ret_reply, const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = call_v(tb, dest, path, iface, member, error, ret_reply, types, ap);
        va_end(ap);
        return r;
}

char *test_define(TestBus *tb, const char *xml, unsigned flags, sd_bus_error *error) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *path;

        if (test_call(tb, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE, "DomainDefineXML", error, &reply,
                      "su", xml, flags) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &path), >=, 0);
        return g_strdup(path);
}

char *test_get_xml(TestBus *tb, const char *path, unsigned flags) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *xml;
        int r;

        r = test_call(tb, path, QEMU_DOMAIN_INTERFACE, "GetXMLDesc", &e, &reply, "u", flags);
        if (r < 0)
                g_error("GetXMLDesc(%s): %s: %s", path, e.name, e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &xml), >=, 0);
        return g_strdup(xml);
}

static sd_bus_message *get_prop(TestBus *tb, const char *path, const char *prop, const char *type) {
        sd_bus_message *reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property(tb->bus, QEMU_BUS_NAME, path, QEMU_DOMAIN_INTERFACE, prop, &e, &reply, type);
        if (r < 0)
                g_error("Get %s(%s): %s: %s", prop, path, e.name, e.message);
        test_bus_drain(tb);
        return reply;
}

char *test_prop_string(TestBus *tb, const char *path, const char *prop) {
        g_autoptr(sd_bus_message) reply = get_prop(tb, path, prop, "s");
        const char *s;

        g_assert_cmpint(sd_bus_message_read(reply, "s", &s), >=, 0);
        return g_strdup(s);
}

int test_prop_int(TestBus *tb, const char *path, const char *prop) {
        g_autoptr(sd_bus_message) reply = get_prop(tb, path, prop, "i");
        int32_t v;

        g_assert_cmpint(sd_bus_message_read(reply, "i", &v), >=, 0);
        return v;
}

bool test_prop_bool(TestBus *tb, const char *path, const char *prop) {
        g_autoptr(sd_bus_message) reply = get_prop(tb, path, prop, "b");
        int v;

        g_assert_cmpint(sd_bus_message_read(reply, "b", &v), >=, 0);
        return v;
}

void test_prop_state(TestBus *tb, const char *path, int *state, int *reason) {
        g_autoptr(sd_bus_message) reply = get_prop(tb, path, "State", "(ii)");
        int32_t s, r;

        g_assert_cmpint(sd_bus_message_read(reply, "(ii)", &s, &r), >=, 0);
        *state = s;
        *reason = r;
}

char **test_list_domains(TestBus *tb, unsigned flags) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char **paths = NULL;
        int r;

        r = test_call(tb, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE, "ListDomains", &e, &reply, "u", flags);
        if (r < 0)
                g_error("ListDomains(%u): %s: %s", flags, e.name, e.message);
        g_assert_cmpint(sd_bus_message_read_strv(reply, &paths), >=, 0);
        return paths ? paths : g_new0(char *, 1);   /* an empty list is an empty strv, not NULL */
}

int test_run(TestBus *tb, bool as_nobody, char **ret_out, char **ret_err, const char *const *argv) {
        g_autoptr(GPtrArray) args = g_ptr_array_new();
        g_auto(GStrv) env = g_get_environ();
        g_autoptr(GError) error = NULL;
        int status = -1;

        if (as_nobody) {
                g_ptr_array_add(args, "setpriv");
                g_ptr_array_add(args, "--reuid=65534");
                g_ptr_array_add(args, "--regid=65534");
                g_ptr_array_add(args, "--clear-groups");
        }
        for (const char *const *a = argv; *a; a++)
                g_ptr_array_add(args, (gpointer) *a);
        g_ptr_array_add(args, NULL);
        env = g_environ_setenv(env, "DBUS_SESSION_BUS_ADDRESS", tb->address, TRUE);
        env = g_environ_setenv(env, "VMMD_BUS_ADDRESS", tb->address, TRUE);
        g_spawn_sync(tb->dir, (char **) args->pdata, env, G_SPAWN_SEARCH_PATH, NULL, NULL, ret_out, ret_err,
                     &status, &error);
        g_assert_no_error(error);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void test_assert_bus_error(const char *file, int line, const sd_bus_error *e, const char *name, ...) {
        va_list ap;

        if (!sd_bus_error_is_set(e) || !g_str_equal(e->name, name))
                g_error("%s:%d: expected error %s, got %s: %s", file, line, name,
                        e->name ? e->name : "(no error)", e->message ? e->message : "");
        va_start(ap, name);
        for (const char *sub = va_arg(ap, const char *); sub; sub = va_arg(ap, const char *))
                if (!e->message || !strstr(e->message, sub))
                        g_error("%s:%d: error message '%s' does not mention '%s'", file, line,
                                e->message ? e->message : "", sub);
        va_end(ap);
}

char *test_domain_xml(const char *name, const char *uuid, const char *devices) {
        g_autofree char *u = uuid ? g_strdup_printf("  <uuid>%s</uuid>\n", uuid) : g_strdup("");

        return g_strdup_printf("<domain type='qemu'>\n"
                               "  <name>%s</name>\n"
                               "%s"
                               "  <memory unit='MiB'>128</memory>\n"
                               "  <vcpu>1</vcpu>\n"
                               "  <os>\n"
                               "    <type arch='x86_64' machine='pc'>hvm</type>\n"
                               "  </os>\n"
                               "  <devices>\n"
                               "%s"
                               "  </devices>\n"
                               "</domain>\n",
                               name, u, devices ? devices : "");
}

char *test_config_file(TestBus *tb, const char *name) {
        return g_strdup_printf("%s/etc/vmmd/qemu/%s.xml", tb->root, name);
}

char *test_root_file(TestBus *tb, const char *rel) {
        return g_build_filename(tb->root, rel, NULL);
}

char *test_read_file(const char *path) {
        char *data = NULL;

        if (!g_file_get_contents(path, &data, NULL, NULL))
                return NULL;
        return data;
}

void test_write_file(const char *path, const char *content) {
        g_autofree char *dir = g_path_get_dirname(path);

        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        g_assert_true(g_file_set_contents(path, content, -1, NULL));
}

void test_assert_no_temp_files(const char *dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *e;

        g_assert_nonnull(d);
        while ((e = g_dir_read_name(d)))
                if (g_str_has_prefix(e, ".#"))
                        g_error("temporary file left behind: %s/%s", dir, e);
}

TestSignal *test_signal(TestBus *tb, int i) {
        g_assert_cmpint(i, >=, 0);
        g_assert_cmpint(i, <, (int) tb->signals->len);
        return g_ptr_array_index(tb->signals, i);
}

void test_assert_no_signal_for(TestBus *tb, const char *object) {
        test_bus_drain(tb);
        for (guint i = 0; i < tb->signals->len; i++) {
                TestSignal *s = g_ptr_array_index(tb->signals, i);
                if (g_strcmp0(s->object, object) == 0 || g_strcmp0(s->path, object) == 0)
                        g_error("unexpected signal %s for %s", s->member, object);
        }
}

TestGate *test_gate_new(const char *program) {
        TestGate *g = g_new0(TestGate, 1);
        g_autofree char *real = g_find_program_in_path(program);
        g_autofree char *text = NULL;

        g_assert_nonnull(real);
        g->dir = g_dir_make_tmp("vmmd-gate.XXXXXX", NULL);
        g_assert_nonnull(g->dir);
        g->script = g_build_filename(g->dir, program, NULL);
        g->fifo = g_build_filename(g->dir, "gate", NULL);
        g->open_file = g_build_filename(g->dir, "open", NULL);
        g->pid_file = g_build_filename(g->dir, "pid", NULL);
        g->path_env = g_strdup_printf("PATH=%s:%s", g->dir, g_getenv("PATH"));
        /* the pid is written before the wait; once "open" exists nobody waits any more */
        text = g_strdup_printf("#!/bin/sh\necho $$ > %s\n[ -e %s ] || read x < %s\nexec %s \"$@\"\n", g->pid_file,
                               g->open_file, g->fifo, real);
        test_write_file(g->script, text);
        g_assert_cmpint(chmod(g->script, 0755), ==, 0);
        g_assert_cmpint(mkfifo(g->fifo, 0600), ==, 0);
        return g;
}

pid_t test_gate_wait_held(TestGate *g, unsigned timeout_ms) {
        for (unsigned waited = 0; waited <= timeout_ms; waited += 10) {
                g_autofree char *data = test_read_file(g->pid_file);

                if (data && atoi(data) > 1)
                        return atoi(data);
                g_usleep(10 * 1000);
        }
        return 0;
}

void test_gate_open(TestGate *g) {
        int fd;

        test_write_file(g->open_file, "");
        /* O_NONBLOCK: with nobody held at the gate there is no reader, and nothing to wake */
        fd = open(g->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return;
        g_assert_cmpint(write(fd, "go\n", 3), ==, 3);
        close(fd);
}

void test_gate_free(TestGate *g) {
        if (!g)
                return;
        (void) unlink(g->script);
        (void) unlink(g->fifo);
        (void) unlink(g->open_file);
        (void) unlink(g->pid_file);
        (void) rmdir(g->dir);
        g_free(g->dir);
        g_free(g->script);
        g_free(g->fifo);
        g_free(g->open_file);
        g_free(g->pid_file);
        g_free(g->path_env);
        g_free(g);
}

int test_reply_to_error(sd_bus_message *m, void *userdata, sd_bus_error *unused) {
        sd_bus_error *reply = userdata;

        if (sd_bus_message_is_method_error(m, NULL))
                sd_bus_error_copy(reply, sd_bus_message_get_error(m));
        else
                sd_bus_error_set_const(reply, "ok", "ok");
        return 0;
}

bool test_wait_reply(TestBus *tb, sd_bus_error *reply, unsigned timeout_ms) {
        gint64 end = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

        while (!sd_bus_error_is_set(reply) && g_get_monotonic_time() < end) {
                if (sd_bus_process(tb->bus, NULL) > 0)
                        continue;
                (void) sd_bus_wait(tb->bus, 10 * 1000);
        }
        return sd_bus_error_is_set(reply);
}

bool test_wait_pid_exit(pid_t pid, unsigned timeout_ms) {
        return wait_exit(pid, (int) timeout_ms);
}

bool test_bus_name_has_owner(TestBus *tb, const char *name) {
        return name_has_owner(tb, name);
}

bool test_bus_wait_name_gone(TestBus *tb, const char *name, unsigned timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

        while (name_has_owner(tb, name)) {
                gint64 left = deadline - g_get_monotonic_time();
                if (left <= 0)
                        return false;
                /* NameOwnerChanged wakes us up; the cap keeps the NameHasOwner poll going */
                (void) sd_bus_wait(tb->bus, (uint64_t) MIN(left, 200 * 1000));
                test_bus_drain(tb);
        }
        return true;
}

void test_set_immutable(TestBus *tb, const char *path, bool on) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        int flags = 0;

        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(ioctl(fd, FS_IOC_GETFLAGS, &flags), ==, 0);
        flags = on ? (flags | FS_IMMUTABLE_FL) : (flags & ~FS_IMMUTABLE_FL);
        if (on)   /* recorded first, so an abort between here and the ioctl still undoes it */
                g_ptr_array_add(tb->immutable, g_strdup(path));
        g_assert_cmpint(ioctl(fd, FS_IOC_SETFLAGS, &flags), ==, 0);
        close(fd);
}

int test_set_autostart(TestBus *tb, const char *path, bool value, sd_bus_error *error) {
        int r = sd_bus_set_property(tb->bus, QEMU_BUS_NAME, path, QEMU_DOMAIN_INTERFACE, "Autostart", error,
                                    "b", (int) value);
        test_bus_drain(tb);
        return r;
}

char *test_lookup(TestBus *tb, const char *member, const char *arg, sd_bus_error *error) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *path;

        if (test_call(tb, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE, member, error, &reply, "s", arg) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &path), >=, 0);
        return g_strdup(path);
}

char *test_canonical_machine(TestBus *tb, const char *alias) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(GRegex) re = NULL;
        g_autoptr(GMatchInfo) mi = NULL;
        g_autofree char *pattern = NULL;
        const char *xml;

        if (test_call(tb, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE, "GetCapabilities", &e, &reply, NULL) < 0)
                g_error("GetCapabilities: %s: %s", e.name, e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &xml), >=, 0);
        pattern = g_strdup_printf("<machine canonical='([^']+)'>%s</machine>", alias);
        re = g_regex_new(pattern, 0, 0, NULL);
        if (!g_regex_match(re, xml, 0, &mi))
                return NULL;
        return g_match_info_fetch(mi, 1);
}

static int call_as_v(TestBus *tb, uid_t uid, gid_t gid, gid_t extra_gid, const char *dest, const char *path,
                     const char *iface, const char *member, sd_bus_error *error, const char *types, va_list ap) {
        g_autoptr(GString) out = g_string_new(NULL);
        int fds[2], status = 0;
        char buf[4096];
        ssize_t n;
        pid_t pid;

        g_assert_cmpint(pipe2(fds, O_CLOEXEC), ==, 0);
        pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
                sd_bus *bus = NULL;
                sd_bus_message *m = NULL, *reply = NULL;
                sd_bus_error e = SD_BUS_ERROR_NULL;
                g_autofree char *result = NULL;
                int r;

                close(fds[0]);
                if ((extra_gid == (gid_t) -1 ? setgroups(0, NULL) : setgroups(1, &extra_gid)) < 0 ||
                    setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
                        _exit(2);
                if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, tb->address) < 0 ||
                    sd_bus_set_bus_client(bus, 1) < 0 || sd_bus_start(bus) < 0)
                        _exit(3);
                if (sd_bus_message_new_method_call(bus, &m, dest, path, iface, member) < 0)
                        _exit(4);
                if (types) {
                        r = sd_bus_message_appendv(m, types, ap);
                        if (r < 0)
                                _exit(5);
                }
                r = sd_bus_call(bus, m, 30 * G_USEC_PER_SEC, &e, &reply);
                result = r >= 0 ? g_strdup("OK") : g_strdup_printf("%s\n%s", e.name, e.message ? e.message : "");
                if (write(fds[1], result, strlen(result)) < 0)
                        _exit(6);
                _exit(0);
        }
        close(fds[1]);
        while ((n = read(fds[0], buf, sizeof(buf))) > 0)
                g_string_append_len(out, buf, n);
        close(fds[0]);
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 0);
        test_bus_drain(tb);
        if (g_str_equal(out->str, "OK"))
                return 0;
        {
                g_auto(GStrv) parts = g_strsplit(out->str, "\n", 2);
                return sd_bus_error_set(error, parts[0], parts[1] ? parts[1] : "");
        }
}

static int call_nobody_v(TestBus *tb, const char *dest, const char *path, const char *iface, const char *member,
                         sd_bus_error *error, const char *types, va_list ap) {
        return call_as_v(tb, 65534, 65534, (gid_t) -1, dest, path, iface, member, error, types, ap);
}

int test_call_as(TestBus *tb, uid_t uid, gid_t gid, gid_t extra_gid, const char *path, const char *iface,
                 const char *member, sd_bus_error *error, const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = call_as_v(tb, uid, gid, extra_gid, QEMU_BUS_NAME, path, iface, member, error, types, ap);
        va_end(ap);
        return r;
}

int test_call_nobody(TestBus *tb, const char *path, const char *iface, const char *member,
                     sd_bus_error *error, const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = call_nobody_v(tb, QEMU_BUS_NAME, path, iface, member, error, types, ap);
        va_end(ap);
        return r;
}

int test_call_nobody_to(TestBus *tb, const char *dest, const char *path, const char *iface, const char *member,
                        sd_bus_error *error, const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = call_nobody_v(tb, dest, path, iface, member, error, types, ap);
        va_end(ap);
        return r;
}

static int strptr_cmp(gconstpointer a, gconstpointer b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void dir_snapshot(GString *out, const char *dir, const char *rel) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        const char *e;

        if (!d)
                return;
        while ((e = g_dir_read_name(d)))
                g_ptr_array_add(names, g_strdup(e));
        g_ptr_array_sort(names, strptr_cmp);
        for (guint i = 0; i < names->len; i++) {
                const char *n = g_ptr_array_index(names, i);
                g_autofree char *full = g_build_filename(dir, n, NULL);
                g_autofree char *r = rel ? g_build_filename(rel, n, NULL) : g_strdup(n);
                g_autofree char *target = g_file_read_link(full, NULL);
                struct stat st;

                if (target) {
                        g_string_append_printf(out, "%s -> %s\n", r, target);
                } else if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
                        g_string_append_printf(out, "%s/\n", r);
                        dir_snapshot(out, full, r);
                } else {
                        g_autofree char *content = test_read_file(full);
                        g_string_append_printf(out, "%s %o\n%s\n", r, st.st_mode & 07777, content ? content : "");
                }
        }
}

char *test_dir_snapshot(const char *dir) {
        GString *out = g_string_new(NULL);

        dir_snapshot(out, dir, NULL);
        return g_string_free(out, FALSE);
}

void test_assert_no_domain_signals(TestBus *tb) {
        static const char *const members[] = { "DomainEvent", "InterfacesAdded", "InterfacesRemoved",
                                               "PropertiesChanged" };
        test_bus_drain(tb);
        for (size_t i = 0; i < G_N_ELEMENTS(members); i++) {
                int j = test_bus_find_signal(tb, members[i], NULL, 0);
                if (j >= 0)
                        g_error("unexpected signal %s for %s", members[i], test_signal(tb, j)->object);
        }
}
