/* Golden tests for the QEMU command-line builder, and the same command lines run by the real QEMU. */
#include "domain-conf.h"
#include "error.h"
#include "qemu-command.h"
#include "qemu-process.h"
#include "unit-util.h"
#include "vmmd/error-names.h"

#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * tests/data/qemuargv/:
 *   in/NAME.xml   → out/NAME.args: qemu_command_build(post_parse(parse(in))) with
 *                   monitor_fd 3 and TCG, one argument per line. The machine type in the
 *                   XML is already canonical (the daemon canonicalises; this test does not).
 *   err/NAME.xml  → a refusal. The file starts with a comment naming the error and a
 *                   substring of its message:  <!-- expect ConfigUnsupported: needs vmmd-network -->
 *                   (the name is the D-Bus error name without VMMD_ERROR_PREFIX).
 * Paths may contain @TMPDIR@. The golden files keep it verbatim; the run group replaces it
 * with a fresh directory, creates the disk images (qemu-img, format from the XML) and a
 * stub bzImage for <kernel>/<initrd> there, then starts the real emulator with the
 * listening QMP socket as fd 3 and asks it to quit: the argv is one QEMU 7.2 accepts.
 * Cases that need something this host cannot give are listed in not_runnable[].
 *   built/NAME.xml → built/NAME.args: KVM and host-device definitions, built with accel=kvm
 *                   and compared, never run (or refused, with an expect comment as in err/).
 * VMMD_TEST_REGENERATE=1 rewrites the out files: review the diff.
 */

#define RUN_TIMEOUT_US (10 * G_USEC_PER_SEC)

/* in/ cases the run group skips, and why */
static const struct {
        const char *name, *why;
} not_runnable[] = {
        { "disk-block", "needs a block device" },
        { "serial-unix-connect", "needs a listener on the socket" },
        { "memory-backing-hugepages", "needs free huge pages" },
};

static const char *data_dir(void) {
        const char *d = g_getenv("VMMD_TEST_DATA");

        if (!d)
                g_error("VMMD_TEST_DATA is not set (meson sets it)");
        return d;
}

static char *case_path(const char *sub, const char *name, const char *ext) {
        g_autofree char *file = g_strconcat(name, ext, NULL);
        return g_build_filename(data_dir(), "qemuargv", sub, file, NULL);
}

static char *read_file(const char *path) {
        g_autoptr(GError) error = NULL;
        char *contents = NULL;

        if (!g_file_get_contents(path, &contents, NULL, &error))
                g_error("%s", error->message);
        return contents;
}

static DomainDef *load_def(const char *xml, GError **error) {
        g_autoptr(DomainDef) def = domain_def_parse_string(xml, 0, error);

        if (!def || !domain_def_post_parse(def, error))
                return NULL;
        return g_steal_pointer(&def);
}

/* tests/data/qemuargv/mounts: the mount table the hugepage cases see (a hugetlbfs of 2 MiB pages) */
static char *mounts_file(void) {
        return g_build_filename(data_dir(), "qemuargv", "mounts", NULL);
}

static GPtrArray *build_accel(const char *xml, bool kvm, GError **error) {
        g_autoptr(DomainDef) def = load_def(xml, error);
        g_autofree char *mounts = mounts_file();
        QemuCommandOptions opts = { .monitor_fd = 3, .kvm = kvm, .memory_dir = "/dev/shm", .mounts_file = mounts };

        if (!def)
                return NULL;
        return qemu_command_build(def, &opts, error);
}

static GPtrArray *build(const char *xml, GError **error) {
        return build_accel(xml, false, error);
}

/* issue 14: an encrypted disk's passphrase is a secret object read from the fd it is given,
 * and its qcow2 blockdev opens the LUKS layer with it */
static void test_luks_fd(void) {
        g_autofree char *path = case_path("err", "disk-luks-no-passphrase", ".xml");
        g_autofree char *xml = read_file(path);
        g_autoptr(GError) error = NULL;
        g_autoptr(DomainDef) def = load_def(xml, &error);
        const int fds[] = { -1, 9 };
        QemuCommandOptions opts = { .monitor_fd = 3, .disk_secret_fds = fds, .n_disk_secret_fds = 2 };
        g_autoptr(GPtrArray) argv = NULL;
        int object = -1, blockdev = -1;

        g_assert_no_error(error);
        argv = qemu_command_build(def, &opts, &error);
        g_assert_no_error(error);
        for (guint i = 0; i + 1 < argv->len; i++) {
                const char *a = g_ptr_array_index(argv, i), *next = g_ptr_array_index(argv, i + 1);
                if (g_str_equal(a, "-object") && g_str_has_prefix(next, "secret,")) {
                        g_assert_cmpint(object, ==, -1);
                        g_assert_cmpstr(next, ==, "secret,id=libvirt-2-format-encryption-secret0,file=/dev/fd/9");
                        object = (int) i;
                }
                if (g_str_equal(a, "-blockdev") && strstr(next, "\"encrypt\"")) {
                        g_assert_cmpint(blockdev, ==, -1);
                        g_assert_nonnull(strstr(next, "\"node-name\":\"libvirt-2-format\""));
                        g_assert_nonnull(strstr(next, "\"encrypt\":{\"format\":\"luks\","
                                                      "\"key-secret\":\"libvirt-2-format-encryption-secret0\"}"));
                        blockdev = (int) i;
                }
        }
        /* the secret object exists before the blockdev that names it */
        g_assert_cmpint(object, >=, 0);
        g_assert_cmpint(blockdev, >, object);
}

static char *argv_to_lines(const GPtrArray *argv) {
        g_autoptr(GString) s = g_string_new(NULL);

        for (guint i = 0; i < argv->len; i++) {
                const char *a = g_ptr_array_index(argv, i);
                g_assert_null(strchr(a, '\n'));
                g_string_append_printf(s, "%s\n", a);
        }
        return g_string_free(g_steal_pointer(&s), FALSE);
}

static void test_golden(gconstpointer data) {
        const char *name = data;
        g_autofree char *in_path = case_path("in", name, ".xml");
        g_autofree char *out_path = case_path("out", name, ".args");
        g_autofree char *input = read_file(in_path);
        g_autofree char *actual = NULL;
        g_autoptr(GPtrArray) argv = NULL;
        g_autoptr(GError) error = NULL;

        argv = build(input, &error);
        g_assert_no_error(error);
        actual = argv_to_lines(argv);
        unit_check_golden(out_path, actual);
}

/* "ConfigUnsupported" → VMMD_ERROR_CONFIG_UNSUPPORTED, through the one error table */
static int error_code_from_name(const char *name) {
        g_autofree char *full = g_strconcat(VMMD_ERROR_PREFIX, name, NULL);

        for (int code = 1; code < 1000; code++)
                if (g_strcmp0(vmmd_error_dbus_name(code), full) == 0)
                        return code;
        g_error("unknown error name '%s'", name);
}

static void test_error(gconstpointer data) {
        const char *name = data;
        g_autofree char *path = case_path("err", name, ".xml");
        g_autofree char *input = read_file(path);
        g_autoptr(GRegex) re = g_regex_new("^\\s*<!--\\s*expect\\s+(\\w+):\\s*(.*?)\\s*-->", 0, 0, NULL);
        g_autoptr(GMatchInfo) m = NULL;
        g_autofree char *code_name = NULL, *substring = NULL;
        g_autoptr(GPtrArray) argv = NULL;
        g_autoptr(GError) error = NULL;

        if (!g_regex_match(re, input, 0, &m))
                g_error("%s does not start with <!-- expect ErrorName: message substring -->", path);
        code_name = g_match_info_fetch(m, 1);
        substring = g_match_info_fetch(m, 2);

        argv = build(input, &error);
        g_assert_null(argv);
        g_assert_error(error, VMMD_ERROR, error_code_from_name(code_name));
        if (!strstr(error->message, substring))
                g_error("message \"%s\" does not contain \"%s\"", error->message, substring);
}

/* built/NAME.xml: what cannot run on this host (KVM, host devices): the command line as
 * built with accel=kvm is the golden built/NAME.args; a file starting with an expect
 * comment is a refusal as in err/ */
static void test_built(gconstpointer data) {
        const char *name = data;
        g_autofree char *in_path = case_path("built", name, ".xml");
        g_autofree char *out_path = case_path("built", name, ".args");
        g_autofree char *input = read_file(in_path);
        g_autoptr(GRegex) re = g_regex_new("^\\s*<!--\\s*expect\\s+(\\w+):\\s*(.*?)\\s*-->", 0, 0, NULL);
        g_autoptr(GMatchInfo) m = NULL;
        g_autoptr(GPtrArray) argv = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *actual = NULL;

        argv = build_accel(input, true, &error);
        if (g_regex_match(re, input, 0, &m)) {
                g_autofree char *code_name = g_match_info_fetch(m, 1);
                g_autofree char *substring = g_match_info_fetch(m, 2);

                g_assert_null(argv);
                g_assert_error(error, VMMD_ERROR, error_code_from_name(code_name));
                if (!strstr(error->message, substring))
                        g_error("message \"%s\" does not contain \"%s\"", error->message, substring);
                return;
        }
        g_assert_no_error(error);
        actual = argv_to_lines(argv);
        g_assert_nonnull(strstr(actual, "\nkvm\n"));
        unit_check_golden(out_path, actual);
}

/* --- the run group: the real emulator --- */

/* A bzImage header QEMU's x86 loader accepts (boot protocol 2.06); the guest never runs
 * under -S, but QEMU reads the kernel and initrd while it builds the machine. */
static void write_stub_kernel(const char *path) {
        g_autofree guint8 *k = g_malloc0(64 * 1024);
        g_autoptr(GError) error = NULL;

        k[0x1f1] = 4;                           /* setup_sects */
        memcpy(k + 0x202, "HdrS", 4);
        k[0x206] = 0x06, k[0x207] = 0x02;       /* version 2.06 */
        k[0x211] = 0x01;                        /* loadflags: LOADED_HIGH */
        k[0x22c] = 0xff, k[0x22d] = 0xff, k[0x22e] = 0xff, k[0x22f] = 0x37;     /* initrd_addr_max */
        if (!g_file_set_contents(path, (const char *) k, 64 * 1024, &error))
                g_error("%s", error->message);
}

static void run_qemu_img(const char *format, const char *path) {
        const char *argv[] = { "qemu-img", "create", "-q", "-f", format, path, "16M", NULL };
        g_autoptr(GError) error = NULL;
        g_autofree char *err = NULL;
        int status;

        if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                          NULL, &err, &status, &error))
                g_error("qemu-img: %s", error->message);
        if (!g_spawn_check_wait_status(status, &error))
                g_error("qemu-img create %s %s: %s", format, path, err);
}

/* The files under dir that the definition needs to exist before QEMU starts. */
static void create_files(const char *xml, const char *dir) {
        g_autoptr(GRegex) disk_re = g_regex_new("<driver[^>]*type='(\\w+)'[^>]*/>\\s*<source file='([^']*)'", 0, 0, NULL);
        g_autoptr(GRegex) boot_re = g_regex_new("<(kernel|initrd)>([^<]*)</", 0, 0, NULL);
        g_autoptr(GRegex) nvram_re = g_regex_new("<nvram template='([^']*)'>([^<]*)</nvram>", 0, 0, NULL);
        g_autoptr(GMatchInfo) m = NULL;

        for (g_regex_match(disk_re, xml, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL)) {
                g_autofree char *format = g_match_info_fetch(m, 1);
                g_autofree char *path = g_match_info_fetch(m, 2);
                if (g_str_has_prefix(path, dir) && !g_file_test(path, G_FILE_TEST_EXISTS))
                        run_qemu_img(format, path);
        }
        g_clear_pointer(&m, g_match_info_free);
        /* a UEFI variable store starts as a copy of its template */
        for (g_regex_match(nvram_re, xml, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL)) {
                g_autofree char *template = g_match_info_fetch(m, 1);
                g_autofree char *path = g_match_info_fetch(m, 2);
                g_autofree char *data = NULL;
                gsize len = 0;

                if (!g_str_has_prefix(path, dir))
                        continue;
                g_assert_true(g_file_get_contents(template, &data, &len, NULL));
                g_assert_true(g_file_set_contents(path, data, (gssize) len, NULL));
        }
        g_clear_pointer(&m, g_match_info_free);
        for (g_regex_match(boot_re, xml, 0, &m); g_match_info_matches(m); g_match_info_next(m, NULL)) {
                g_autofree char *path = g_match_info_fetch(m, 2);
                if (g_str_has_prefix(path, dir))
                        write_stub_kernel(path);
        }
}

/* A fixed VNC or SPICE port of a case becomes one free right now: test runs of other build
 * directories may be running the same case at the same time. */
static char *free_vnc_port(const char *xml) {
        g_autoptr(GRegex) re = g_regex_new("(<graphics type='(?:vnc|spice)' port=')\\d+'", 0, 0, NULL);

        for (unsigned port = 5900 + 100 + g_random_int_range(0, 1000); port < 5900 + 4000; port++) {
                struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
                                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
                int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                bool ok = fd >= 0 && bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;

                if (fd >= 0)
                        close(fd);
                if (ok) {
                        g_autofree char *repl = g_strdup_printf("\\g<1>%u'", port);
                        return g_regex_replace(re, xml, -1, 0, repl, 0, NULL);
                }
        }
        g_error("no free VNC port");
}

/* Reads one line (a QMP message) before the deadline; NULL on EOF or timeout. */
static char *qmp_read_line(int fd, gint64 deadline) {
        g_autoptr(GString) line = g_string_new(NULL);
        char ch;

        for (;;) {
                gint64 left = deadline - g_get_monotonic_time();
                struct timeval tv = { .tv_sec = left / G_USEC_PER_SEC, .tv_usec = left % G_USEC_PER_SEC };
                ssize_t n;

                if (left <= 0)
                        return NULL;
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                n = read(fd, &ch, 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return NULL;
                if (ch == '\n')
                        return g_string_free(g_steal_pointer(&line), FALSE);
                g_string_append_c(line, ch);
        }
}

/* Next reply (not an event) to a command we sent. */
static char *qmp_reply(int fd, gint64 deadline) {
        for (;;) {
                g_autofree char *line = qmp_read_line(fd, deadline);
                if (!line)
                        return NULL;
                if (!strstr(line, "\"event\""))
                        return g_steal_pointer(&line);
        }
}

/* Waits for pid until the deadline; kills it if it is still there. Returns the wait status. */
static int reap(pid_t pid, gint64 deadline) {
        int status = 0;

        while (g_get_monotonic_time() < deadline) {
                pid_t r = waitpid(pid, &status, WNOHANG);
                if (r == pid)
                        return status;
                g_usleep(10 * 1000);
        }
        kill(pid, SIGKILL);
        (void) waitpid(pid, &status, 0);
        return -1;
}

static void test_run(gconstpointer data) {
        const char *name = data;
        g_autofree char *in_path = case_path("in", name, ".xml");
        g_autofree char *template = read_file(in_path);
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = NULL;
        g_autofree char *joined = NULL, *xml = NULL, *sock_path = NULL, *log_path = NULL, *log = NULL;
        g_autofree char *greeting = NULL, *caps = NULL;
        g_autoptr(GPtrArray) argv = NULL;
        g_auto(GStrv) parts = NULL, lines = NULL;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        gint64 deadline;
        int listen_fd, log_fd, fd, status;
        pid_t pid;

        for (size_t i = 0; i < G_N_ELEMENTS(not_runnable); i++)
                if (g_str_equal(not_runnable[i].name, name)) {
                        g_test_skip(not_runnable[i].why);
                        return;
                }
        if (!g_file_test("/usr/bin/qemu-system-x86_64", G_FILE_TEST_IS_EXECUTABLE)) {
                g_test_skip("no /usr/bin/qemu-system-x86_64");
                return;
        }
        dir = g_dir_make_tmp("qemuargv-XXXXXX", &error);
        g_assert_no_error(error);
        parts = g_strsplit(template, "@TMPDIR@", -1);
        joined = g_strjoinv(dir, parts);
        xml = free_vnc_port(joined);
        create_files(xml, dir);
        argv = build(xml, &error);
        g_assert_no_error(error);

        sock_path = g_build_filename(dir, "qmp.sock", NULL);
        log_path = g_build_filename(dir, "qemu.log", NULL);
        listen_fd = qemu_monitor_listen(sock_path);
        g_assert_cmpint(listen_fd, >=, 0);
        log_fd = open(log_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        g_assert_cmpint(log_fd, >=, 0);
        g_assert_cmpint(qemu_process_spawn(argv, listen_fd, log_fd, &pid), ==, 0);
        close(log_fd);
        deadline = g_get_monotonic_time() + RUN_TIMEOUT_US;

        /* the listening socket is QEMU's now: connecting queues us until it accepts */
        g_strlcpy(sa.sun_path, sock_path, sizeof(sa.sun_path));
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        close(listen_fd);
        /* no assertion until QEMU is reaped: a failed test must not leave it behind */
        if (fd >= 0 && connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0)
                greeting = qmp_read_line(fd, deadline);
        if (greeting && strstr(greeting, "\"QMP\"")) {
                const char *cmd = "{\"execute\":\"qmp_capabilities\"}\n";
                if (write(fd, cmd, strlen(cmd)) == (ssize_t) strlen(cmd))
                        caps = qmp_reply(fd, deadline);
                cmd = "{\"execute\":\"quit\"}\n";
                if (caps && write(fd, cmd, strlen(cmd)) == (ssize_t) strlen(cmd))
                        /* its reply and events, until QEMU closes the monitor on exit */
                        for (char *line; (line = qmp_read_line(fd, deadline)); )
                                g_free(line);
        }
        if (fd >= 0)
                close(fd);
        status = reap(pid, deadline);

        log = read_file(log_path);
        if (*log)
                g_test_message("QEMU said:\n%s", log);
        if (!greeting || !strstr(greeting, "\"QMP\""))
                g_error("no QMP greeting (wait status %d); QEMU said:\n%s", status, log);
        if (!caps || !strstr(caps, "\"return\""))
                g_error("qmp_capabilities failed (%s, wait status %d); QEMU said:\n%s", caps ? caps : "no reply",
                        status, log);
        if (status != 0)
                g_error("QEMU did not quit cleanly (wait status %d); QEMU said:\n%s", status, log);
        /* QEMU warns about what it ignores, deprecates or emulates badly: a clean start only
         * says where its ptys and VNC server are */
        lines = g_strsplit(log, "\n", -1);
        for (char **l = lines; *l; l++)
                if (**l && !g_str_has_prefix(*l, "char device redirected to ") &&
                    !g_str_has_prefix(*l, "VNC server running on "))
                        g_error("QEMU accepted the command line but said:\n%s", log);

        {
                g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
                const char *f;
                while (d && (f = g_dir_read_name(d))) {
                        g_autofree char *p = g_build_filename(dir, f, NULL);
                        (void) unlink(p);
                }
                (void) rmdir(dir);
        }
}

/* The -cpu argument built with the capabilities probed from the real emulator, or NULL with error. */
static char *cpu_arg_with_caps(const char *cpu_xml, GError **error) {
        static QemuCaps *caps;
        g_autofree char *xml = g_strdup_printf("<domain type='qemu'><name>cpu</name><memory unit='MiB'>64</memory>"
                                               "<os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os>"
                                               "%s<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>"
                                               "</devices></domain>", cpu_xml);
        g_autoptr(DomainDef) def = NULL;
        g_autoptr(GPtrArray) argv = NULL;
        QemuCommandOptions opts = { .monitor_fd = 3 };

        if (!caps) {
                g_autoptr(GError) probe_error = NULL;
                caps = qemu_caps_get("/usr/bin/qemu-system-x86_64", NULL, &probe_error);
                g_assert_no_error(probe_error);
                g_assert_nonnull(caps->cpu_features);
                g_assert_nonnull(caps->cpu_models);
        }
        opts.caps = caps;
        def = load_def(xml, error);
        g_assert_nonnull(def);
        argv = qemu_command_build(def, &opts, error);
        if (!argv)
                return NULL;
        for (guint i = 0; i + 1 < argv->len; i++)
                if (g_str_equal(g_ptr_array_index(argv, i), "-cpu"))
                        return g_strdup(g_ptr_array_index(argv, i + 1));
        return g_strdup("");
}

/* A feature QEMU does not know is refused by name at start (not a QEMU failure later);
 * one the guest need not have, or must not have, is left out as libvirt does. */
static void test_cpu_features_checked(void) {
        g_autoptr(GError) error = NULL;
        g_autofree char *cpu = NULL;

        cpu = cpu_arg_with_caps("<cpu><model>core2duo</model><feature policy='require' name='sse4.1'/>"
                                "<feature policy='disable' name='lahf_lm'/></cpu>", &error);
        g_assert_no_error(error);
        g_assert_cmpstr(cpu, ==, "core2duo,sse4.1=on,lahf_lm=off");
        g_clear_pointer(&cpu, g_free);

        cpu = cpu_arg_with_caps("<cpu><model>core2duo</model><feature policy='optional' name='osxsave'/>"
                                "<feature policy='disable' name='pconfig'/><feature policy='require' name='pcid'/>"
                                "</cpu>", &error);
        g_assert_no_error(error);
        g_assert_cmpstr(cpu, ==, "core2duo,pcid=on");
        g_clear_pointer(&cpu, g_free);

        cpu = cpu_arg_with_caps("<cpu><model>core2duo</model><feature policy='require' name='no-such-flag'/></cpu>",
                                &error);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED);
        g_assert_nonnull(strstr(error->message, "CPU feature 'no-such-flag'"));
        g_assert_null(cpu);
        g_clear_error(&error);

        /* no policy in custom mode is 'require' */
        cpu = cpu_arg_with_caps("<cpu mode='maximum'><feature name='ospke'/></cpu>", &error);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED);
        g_assert_nonnull(strstr(error->message, "'ospke'"));
        g_clear_error(&error);

        cpu = cpu_arg_with_caps("<cpu><model>NoSuchCPU</model></cpu>", &error);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED);
        g_assert_nonnull(strstr(error->message, "CPU model 'NoSuchCPU'"));
}

/* A <hostdev type='pci'> starts only when the host device exists and vfio-pci owns it: a
 * sysfs-like directory stands for /sys/bus/pci/devices */
static void test_hostdev_host_check(void) {
        static const char xml[] = "<domain type='kvm'><name>h</name><memory unit='MiB'>64</memory>"
                                  "<os><type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type></os><devices>"
                                  "<emulator>/usr/bin/qemu-system-x86_64</emulator>"
                                  "<hostdev mode='subsystem' type='pci'><source>"
                                  "<address domain='0x0000' bus='0x06' slot='0x12' function='0x%x'/>"
                                  "</source></hostdev></devices></domain>";
        g_autofree char *dir = g_dir_make_tmp("vmmd-sysfs-XXXXXX", NULL);
        const struct {
                unsigned function;
                const char *driver;     /* NULL: no such device; "": no driver */
                bool ok;
                const char *mention;
        } cases[] = {
                { 5, "vfio-pci", true, NULL },
                { 6, "e1000e", false, "not bound to vfio-pci" },
                { 4, "", false, "not bound to vfio-pci" },
                { 3, NULL, false, "no PCI device 0000:06:12.3" },
        };

        g_assert_nonnull(dir);
        for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *text = g_strdup_printf(xml, cases[i].function);
                g_autofree char *dev = g_strdup_printf("%s/0000:06:12.%x", dir, cases[i].function);
                g_autoptr(DomainDef) def = NULL;
                g_autoptr(GPtrArray) argv = NULL;
                g_autoptr(GError) error = NULL;
                QemuCommandOptions opts = { .monitor_fd = 3, .kvm = true, .host_pci_dir = dir };

                if (cases[i].driver) {
                        g_assert_cmpint(g_mkdir_with_parents(dev, 0755), ==, 0);
                        if (*cases[i].driver) {
                                g_autofree char *link = g_strdup_printf("%s/driver", dev);
                                g_autofree char *target = g_strdup_printf("../../../bus/pci/drivers/%s",
                                                                          cases[i].driver);
                                g_assert_cmpint(symlink(target, link), ==, 0);
                        }
                }
                def = load_def(text, &error);
                g_assert_no_error(error);
                argv = qemu_command_build(def, &opts, &error);
                if (cases[i].ok) {
                        g_assert_no_error(error);
                        g_assert_nonnull(argv);
                } else {
                        g_assert_null(argv);
                        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED);
                        g_assert_nonnull(strstr(error->message, cases[i].mention));
                }
        }
        for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *dev = g_strdup_printf("%s/0000:06:12.%x", dir, cases[i].function);
                g_autofree char *link = g_strdup_printf("%s/driver", dev);
                (void) unlink(link);
                (void) rmdir(dev);
        }
        g_assert_cmpint(rmdir(dir), ==, 0);
}

/* Case names (files without extension) in a data subdirectory, sorted. */
static GPtrArray *list_cases(const char *sub) {
        g_autofree char *dir_path = g_build_filename(data_dir(), "qemuargv", sub, NULL);
        g_autoptr(GDir) dir = g_dir_open(dir_path, 0, NULL);
        GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
        const char *f;

        while (dir && (f = g_dir_read_name(dir)))
                if (g_str_has_suffix(f, ".xml"))
                        g_ptr_array_add(names, g_strndup(f, strlen(f) - 4));
        return names;
}

static int compare_names(gconstpointer a, gconstpointer b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int main(int argc, char **argv) {
        g_autoptr(GPtrArray) golden = NULL, errors = NULL, built = NULL;

        g_test_init(&argc, &argv, NULL);
        golden = list_cases("in");
        errors = list_cases("err");
        built = list_cases("built");
        g_ptr_array_sort(built, compare_names);
        g_ptr_array_sort(golden, compare_names);
        g_ptr_array_sort(errors, compare_names);
        g_assert_cmpuint(golden->len, >=, 30);

        for (guint i = 0; i < golden->len; i++) {
                const char *name = g_ptr_array_index(golden, i);
                g_autofree char *path = g_strdup_printf("/qemuargv/golden/%s", name);
                g_test_add_data_func(path, name, test_golden);
        }
        for (guint i = 0; i < errors->len; i++) {
                const char *name = g_ptr_array_index(errors, i);
                g_autofree char *path = g_strdup_printf("/qemuargv/error/%s", name);
                g_test_add_data_func(path, name, test_error);
        }
        g_test_add_func("/qemuargv/luks-fd", test_luks_fd);
        for (guint i = 0; i < golden->len; i++) {
                const char *name = g_ptr_array_index(golden, i);
                g_autofree char *path = g_strdup_printf("/qemuargv/run/%s", name);
                g_test_add_data_func(path, name, test_run);
        }
        for (guint i = 0; i < built->len; i++) {
                const char *name = g_ptr_array_index(built, i);
                g_autofree char *path = g_strdup_printf("/qemuargv/built/%s", name);
                g_test_add_data_func(path, name, test_built);
        }
        g_test_add_func("/qemuargv/caps/cpu-features", test_cpu_features_checked);
        g_test_add_func("/qemuargv/hostdev-host-check", test_hostdev_host_check);
        return g_test_run();
}
