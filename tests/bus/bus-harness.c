/* Test harness: a private dbus-daemon that activates the build's daemons, a client connection, and signal capture. */
#include "bus-harness.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
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
        if (g_str_equal(member, "DomainEvent")) {
                const char *o;
                int32_t e, d;
                if (sd_bus_message_read(m, "oii", &o, &e, &d) >= 0) {
                        s->object = g_strdup(o);
                        s->event = e;
                        s->detail = d;
                }
        } else if (g_str_equal(member, "InterfacesAdded") || g_str_equal(member, "InterfacesRemoved")) {
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

TestBus *test_bus_new(const char *const *extra_env) {
        TestBus *tb = g_new0(TestBus, 1);
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
        tb->root = g_build_filename(tb->dir, "root", NULL);
        tb->signals = g_ptr_array_new_with_free_func((GDestroyNotify) test_signal_free);

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
                                 NULL, NULL, &tb->daemon_pid, NULL, &out_fd, NULL, &error);
        g_assert_no_error(error);
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

void test_bus_kill_name(TestBus *tb, const char *name) {
        pid_t pid = test_bus_name_pid(tb, name);
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
        static const char *const names[] = { "org.vmmd.qemu1", "org.vmmd.storage1", "org.vmmd.network1",
                                             "org.vmmd.secret1", "org.vmmd.nwfilter1" };
        if (!tb)
                return;
        for (size_t i = 0; tb->bus && i < G_N_ELEMENTS(names); i++) {
                pid_t pid = test_bus_name_pid(tb, names[i]);
                if (pid > 0) {
                        kill(pid, SIGTERM);
                        if (!wait_exit(pid, 5000))
                                kill(pid, SIGKILL);
                }
        }
        if (tb->bus)
                sd_bus_flush_close_unref(tb->bus);
        if (tb->daemon_pid > 0) {
                kill(tb->daemon_pid, SIGTERM);
                waitpid(tb->daemon_pid, NULL, 0);
                g_spawn_close_pid(tb->daemon_pid);
        }
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

int test_call(TestBus *tb, const char *path, const char *iface, const char *member, sd_bus_error *error,
              sd_bus_message **ret_reply, const char *types, ...) {
        g_autoptr(sd_bus_message) m = NULL;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(tb->bus, &m, "org.vmmd.qemu1", path, iface, member);
        g_assert_cmpint(r, >=, 0);
        if (types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                g_assert_cmpint(r, >=, 0);
        }
        r = sd_bus_call(tb->bus, m, 30 * G_USEC_PER_SEC, error, ret_reply);
        test_bus_drain(tb);
        return r;
}

char *test_define(TestBus *tb, const char *xml, unsigned flags, sd_bus_error *error) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *path;

        if (test_call(tb, "/org/vmmd/qemu1", "org.vmmd.qemu1.Manager", "DomainDefineXML", error, &reply,
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

        r = test_call(tb, path, "org.vmmd.qemu1.Domain", "GetXMLDesc", &e, &reply, "u", flags);
        if (r < 0)
                g_error("GetXMLDesc(%s): %s: %s", path, e.name, e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &xml), >=, 0);
        return g_strdup(xml);
}

static sd_bus_message *get_prop(TestBus *tb, const char *path, const char *prop, const char *type) {
        sd_bus_message *reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property(tb->bus, "org.vmmd.qemu1", path, "org.vmmd.qemu1.Domain", prop, &e, &reply, type);
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

        r = test_call(tb, "/org/vmmd/qemu1", "org.vmmd.qemu1.Manager", "ListDomains", &e, &reply, "u", flags);
        if (r < 0)
                g_error("ListDomains(%u): %s: %s", flags, e.name, e.message);
        g_assert_cmpint(sd_bus_message_read_strv(reply, &paths), >=, 0);
        return paths;
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
