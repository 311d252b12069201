/* vmmctl's pool-* and vol-* commands against the real vmmd-storage: a full round trip through a
 * dir pool, checking what vmmctl prints and what ends up on disk, including a sparse upload and
 * download (spec storage.md §1–§2, issue 6's vmmctl bullet). */
#include <fcntl.h>
#include <stdarg.h>

#include "test-storage-common.h"

#define MiB (1024 * 1024)

/* Runs vmmctl ARGS... (NULL-terminated) in tb->dir, so relative paths test that vmmctl makes them
 * absolute. Returns the exit status; stdout and stderr in *ret_out and *ret_err. */
static int vmmctl_v(TestBus *tb, char **ret_out, char **ret_err, va_list ap) {
        g_autofree char *exe = g_build_filename(g_getenv("VMMD_BUILD_ROOT"), "tools", "vmmctl", "vmmctl", NULL);
        g_autoptr(GPtrArray) argv = g_ptr_array_new();

        g_ptr_array_add(argv, exe);
        for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
                g_ptr_array_add(argv, (gpointer) a);
        g_ptr_array_add(argv, NULL);
        return test_run(tb, false, ret_out, ret_err, (const char *const *) argv->pdata);
}

/* vmmctl ARGS... must succeed with nothing on stderr; returns its stdout. */
G_GNUC_NULL_TERMINATED static char *ok(TestBus *tb, ...) {
        g_autofree char *err = NULL;
        char *out = NULL;
        va_list ap;
        int rc;

        va_start(ap, tb);
        rc = vmmctl_v(tb, &out, &err, ap);
        va_end(ap);
        if (rc != 0 || *err)
                g_error("vmmctl failed (exit %d): %s%s", rc, out, err);
        return out;
}

/* vmmctl ARGS... must exit 1 with stderr starting "error: <prefix>"; returns its stderr. */
G_GNUC_NULL_TERMINATED static char *fails(TestBus *tb, const char *prefix, ...) {
        g_autofree char *out = NULL;
        g_autofree char *want = g_strdup_printf("error: %s", prefix);
        char *err = NULL;
        va_list ap;
        int rc;

        va_start(ap, prefix);
        rc = vmmctl_v(tb, &out, &err, ap);
        va_end(ap);
        if (rc != 1 || !g_str_has_prefix(err, want))
                g_error("expected exit 1 and '%s…', got exit %d: %s%s", want, rc, out, err);
        return err;
}

static bool have_vmmctl(void) {
        g_autofree char *exe = NULL;

        if (!g_getenv("VMMD_BUILD_ROOT"))
                return false;
        exe = g_build_filename(g_getenv("VMMD_BUILD_ROOT"), "tools", "vmmctl", "vmmctl", NULL);
        return access(exe, X_OK) == 0;
}

#define assert_contains(s, sub)                                                                     \
        G_STMT_START {                                                                              \
                if (!strstr((s), (sub)))                                                            \
                        g_error("%s:%d: output does not contain '%s':\n%s", __FILE__, __LINE__, (sub), (s)); \
        } G_STMT_END

static char *file_in(TestBus *tb, const char *rel) {
        return g_build_filename(tb->dir, rel, NULL);
}

static uint64_t file_size(const char *path) {
        struct stat st;

        g_assert_cmpint(stat(path, &st), ==, 0);
        return (uint64_t) st.st_size;
}

static uint64_t file_blocks_bytes(const char *path) {
        struct stat st;

        g_assert_cmpint(stat(path, &st), ==, 0);
        return (uint64_t) st.st_blocks * 512;
}

static char *file_sum(const char *path) {
        g_autofree char *data = NULL;
        size_t len = 0;

        g_assert_cmpint(vmmd_read_file(path, &data, &len), >=, 0);
        return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *) data, len);
}

/* 8 MiB, holes except "hello" at 1 MiB and 64 KiB of random bytes at 5 MiB. */
static void make_sparse_src(const char *path) {
        g_autofree char *buf = g_malloc(64 * 1024);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(ftruncate(fd, 8 * MiB), ==, 0);
        g_assert_cmpint(pwrite(fd, "hello", 5, 1 * MiB), ==, 5);
        for (size_t i = 0; i < 64 * 1024; i++)
                buf[i] = (char) g_random_int();
        g_assert_cmpint(pwrite(fd, buf, 64 * 1024, 5 * MiB), ==, 64 * 1024);
        close(fd);
}

static void check_pools(TestBus *tb) {
        g_autofree char *p1dir = file_in(tb, "pools/p1");
        g_autofree char *p2dir = file_in(tb, "pools/p2");
        g_autofree char *p3dir = file_in(tb, "pools/p3");
        g_autofree char *xml1 = st_pool_xml("dir", "p1", UUID1, p1dir, NULL);
        g_autofree char *xml3 = st_pool_xml("dir", "p3", NULL, p3dir, NULL);
        g_autofree char *xml1_file = file_in(tb, "p1.xml");
        g_autofree char *xml3_file = file_in(tb, "p3.xml");
        g_autofree char *def = test_root_file(tb, "etc/vmmd/storage/p1.xml");
        g_autofree char *link = test_root_file(tb, "etc/vmmd/storage/autostart/p1.xml");
        g_autofree char *out = NULL, *list = NULL, *all = NULL, *details = NULL, *json = NULL, *info = NULL;
        g_autofree char *dump = NULL, *inactive = NULL, *uuid = NULL, *name = NULL, *dump2 = NULL, *want = NULL;
        g_autofree char *o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL, *o5 = NULL, *o6 = NULL, *o7 = NULL;
        g_autofree char *e1 = NULL, *e3 = NULL, *print = NULL;
        struct stat st;

        test_write_file(xml1_file, xml1);
        test_write_file(xml3_file, xml3);

        out = ok(tb, "pool-define", "p1.xml", NULL);
        g_assert_cmpstr(out, ==, "Pool p1 defined from p1.xml\n");
        g_assert_true(g_file_test(def, G_FILE_TEST_IS_REGULAR));
        list = ok(tb, "pool-list", NULL);
        g_assert_cmpstr(list, ==, " Name   State   Autostart\n--------------------------\n\n");
        all = ok(tb, "pool-list", "--all", NULL);
        g_assert_cmpstr(all, ==, " Name   State      Autostart\n"
                                 "-----------------------------\n"
                                 " p1     inactive   no\n\n");

        o1 = ok(tb, "pool-build", "p1", NULL);
        g_assert_cmpstr(o1, ==, "Pool p1 built\n");
        g_assert_true(g_file_test(p1dir, G_FILE_TEST_IS_DIR));
        o2 = ok(tb, "pool-start", "p1", NULL);
        g_assert_cmpstr(o2, ==, "Pool p1 started\n");
        e1 = fails(tb, VMMD_DBUS_ERROR_OPERATION_INVALID ": ", "pool-build", "p1", "--overwrite", NULL);

        info = ok(tb, "pool-info", "p1", NULL);
        want = g_strdup_printf("Name:           p1\nUUID:           %s\nState:          running\n"
                               "Persistent:     yes\nAutostart:      no\nCapacity:       ", UUID1);
        g_assert_true(g_str_has_prefix(info, want));
        assert_contains(info, "\nAllocation:     ");
        assert_contains(info, "\nAvailable:      ");
        assert_contains(info, "iB\n");

        o3 = ok(tb, "pool-autostart", "p1", NULL);
        g_assert_cmpstr(o3, ==, "Pool p1 marked as autostarted\n");
        g_assert_cmpint(lstat(link, &st), ==, 0);
        g_assert_true(S_ISLNK(st.st_mode));
        o4 = ok(tb, "pool-autostart", "p1", "--disable", NULL);
        g_assert_cmpstr(o4, ==, "Pool p1 unmarked as autostarted\n");
        g_assert_cmpint(lstat(link, &st), <, 0);

        uuid = ok(tb, "pool-uuid", "p1", NULL);
        g_assert_cmpstr(uuid, ==, UUID1 "\n");
        name = ok(tb, "pool-name", UUID1, NULL);
        g_assert_cmpstr(name, ==, "p1\n");
        dump = ok(tb, "pool-dumpxml", "p1", NULL);
        assert_contains(dump, "<name>p1</name>");
        assert_contains(dump, "<capacity unit='bytes'>");
        inactive = ok(tb, "pool-dumpxml", "p1", "--inactive", NULL);
        g_assert_null(strstr(inactive, "<capacity"));

        /* pool-define-as and pool-create send absolute target paths */
        print = ok(tb, "pool-define-as", "p2", "dir", "--target", "pools/p2", "--print-xml", NULL);
        want = (g_free(want), g_strdup_printf("<path>%s</path>", p2dir));
        assert_contains(print, want);
        o5 = ok(tb, "pool-define-as", "p2", "dir", "--target", "pools/p2", NULL);
        g_assert_cmpstr(o5, ==, "Pool p2 defined\n");
        o6 = ok(tb, "pool-start", "p2", "--build", NULL);
        g_assert_cmpstr(o6, ==, "Pool p2 started\n");
        dump2 = ok(tb, "pool-dumpxml", "p2", NULL);
        assert_contains(dump2, want);
        o7 = ok(tb, "pool-create", "p3.xml", "--build", NULL);
        g_assert_cmpstr(o7, ==, "Pool p3 created from p3.xml\n");

        details = ok(tb, "pool-list", "--all", "--details", NULL);
        assert_contains(details, " Name   State     Autostart   Persistent   Capacity");
        assert_contains(details, "\n p3     running   no          no           ");
        json = ok(tb, "pool-list", "--json", NULL);
        assert_contains(json, "\"name\" : \"p1\"");
        assert_contains(json, "\"uuid\" : \"" UUID1 "\"");
        assert_contains(json, "\"state\" : \"running\"");
        assert_contains(json, "\"persistent\" : false");

        e3 = fails(tb, VMMD_DBUS_ERROR_NO_STORAGE_POOL ": ", "pool-info", "nosuch", NULL);
}

static void check_volumes(TestBus *tb, bool have_qemu_img) {
        g_autofree char *a = file_in(tb, "pools/p1/a.raw");
        g_autofree char *s = file_in(tb, "pools/p1/s.raw");
        g_autofree char *x = file_in(tb, "pools/p1/x.raw");
        g_autofree char *a2 = file_in(tb, "pools/p1/a2.raw");
        g_autofree char *a3 = file_in(tb, "pools/p2/a3.raw");
        g_autofree char *vxml = file_in(tb, "v.xml");
        g_autofree char *o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL, *o5 = NULL, *o6 = NULL, *o7 = NULL;
        g_autofree char *o8 = NULL, *o9 = NULL, *o10 = NULL, *o11 = NULL, *o12 = NULL, *o13 = NULL, *o14 = NULL;
        g_autofree char *o15 = NULL, *o16 = NULL, *o17 = NULL, *o18 = NULL, *o19 = NULL, *o20 = NULL;
        g_autofree char *list = NULL, *details = NULL, *info = NULL, *sinfo = NULL, *want = NULL;
        g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL;
        char buf[16];
        int fd;

        o1 = ok(tb, "vol-create-as", "p1", "a.raw", "16M", NULL);
        g_assert_cmpstr(o1, ==, "Vol a.raw created\n");
        g_assert_cmpuint(file_size(a), ==, 16 * MiB);
        o2 = ok(tb, "vol-create-as", "p1", "s.raw", "1G", "--allocation", "0", NULL);
        g_assert_cmpstr(o2, ==, "Vol s.raw created\n");
        g_assert_cmpuint(file_size(s), ==, 1024 * MiB);
        g_assert_cmpuint(file_blocks_bytes(s), <, 1 * MiB);
        test_write_file(vxml, "<volume><name>x.raw</name><capacity unit='MiB'>4</capacity>"
                              "<allocation>0</allocation></volume>\n");
        o3 = ok(tb, "vol-create", "p1", "v.xml", NULL);
        g_assert_cmpstr(o3, ==, "Vol x.raw created from v.xml\n");
        g_assert_cmpuint(file_size(x), ==, 4 * MiB);
        e1 = fails(tb, "invalid size", "vol-create-as", "p1", "bad.raw", "12Q", NULL);

        if (have_qemu_img) {
                g_autofree char *q1 = NULL, *q2 = NULL, *dump = NULL, *base = file_in(tb, "pools/p1/base.qcow2");
                g_autofree char *bs = g_strdup_printf("<backingStore>\n    <path>%s</path>\n    <format type='qcow2'/>",
                                                      base);

                q1 = ok(tb, "vol-create-as", "p1", "base.qcow2", "8M", "--format", "qcow2", NULL);
                g_assert_cmpstr(q1, ==, "Vol base.qcow2 created\n");
                q2 = ok(tb, "vol-create-as", "p1", "top.qcow2", "8M", "--format", "qcow2", "--backing-vol",
                        "base.qcow2", "--backing-vol-format", "qcow2", NULL);
                g_assert_cmpstr(q2, ==, "Vol top.qcow2 created\n");
                dump = ok(tb, "vol-dumpxml", "top.qcow2", "--pool", "p1", NULL);
                assert_contains(dump, "<format type='qcow2'/>");
                assert_contains(dump, bs);
        }

        list = ok(tb, "vol-list", "p1", NULL);
        assert_contains(list, " Name ");
        assert_contains(list, a);
        assert_contains(list, x);
        details = ok(tb, "vol-list", "p1", "--details", NULL);
        assert_contains(details, "Type   Capacity");
        assert_contains(details, "   file   16.00 MiB   ");
        assert_contains(details, "   file   1.00 GiB    0.00 B\n");

        info = ok(tb, "vol-info", "a.raw", "--pool", "p1", NULL);
        g_assert_true(g_str_has_prefix(info, "Name:           a.raw\nType:           file\n"
                                             "Capacity:       16.00 MiB\nAllocation:     "));
        /* by path, relative to the working directory, without --pool */
        sinfo = ok(tb, "vol-info", "pools/p1/s.raw", "--bytes", NULL);
        g_assert_cmpstr(sinfo, ==, "Name:           s.raw\nType:           file\n"
                                   "Capacity:       1073741824 bytes\nAllocation:     0 bytes\n");
        o4 = ok(tb, "vol-path", "a.raw", "--pool", "p1", NULL);
        g_assert_cmpstr(g_strchomp(o4), ==, a);
        o5 = ok(tb, "vol-key", "a.raw", "--pool", "p1", NULL);
        g_assert_cmpstr(g_strchomp(o5), ==, a);
        o6 = ok(tb, "vol-name", a, NULL);
        g_assert_cmpstr(o6, ==, "a.raw\n");
        o7 = ok(tb, "vol-pool", "pools/p1/a.raw", NULL);
        g_assert_cmpstr(o7, ==, "p1\n");
        e2 = fails(tb, VMMD_DBUS_ERROR_NO_STORAGE_VOL ": ", "vol-info", "nosuch", "--pool", "p1", NULL);
        e3 = fails(tb, VMMD_DBUS_ERROR_NO_STORAGE_VOL ": ", "vol-info", "nosuch", NULL);
        assert_contains(e3, "specifying --pool might help");
        e4 = fails(tb, "Requested volume", "vol-info", "pools/p1/a.raw", "--pool", "p2", NULL);

        o8 = ok(tb, "vol-clone", "a.raw", "a2.raw", "--pool", "p1", NULL);
        g_assert_cmpstr(o8, ==, "Vol a2.raw cloned from a.raw\n");
        g_assert_cmpuint(file_size(a2), ==, 16 * MiB);
        o9 = ok(tb, "vol-clone", "a.raw", "a3.raw", "--pool", "p1", "--newpool", "p2", NULL);
        g_assert_cmpstr(o9, ==, "Vol a3.raw cloned from a.raw\n");
        g_assert_cmpuint(file_size(a3), ==, 16 * MiB);

        o10 = ok(tb, "vol-resize", "a2.raw", "32M", "--pool", "p1", NULL);
        g_assert_cmpstr(o10, ==, "Size of volume 'a2.raw' successfully changed to 32M\n");
        g_assert_cmpuint(file_size(a2), ==, 32 * MiB);
        o11 = ok(tb, "vol-resize", "x.raw", "1M", "--pool", "p1", "--delta", NULL);
        g_assert_cmpstr(o11, ==, "Size of volume 'x.raw' successfully changed by 1M\n");
        g_assert_cmpuint(file_size(x), ==, 5 * MiB);
        o12 = ok(tb, "vol-resize", "x.raw", "-2M", "--pool", "p1", "--delta", "--shrink", NULL);
        g_assert_cmpuint(file_size(x), ==, 3 * MiB);

        /* wipe: data written behind the daemon's back reads back as zeros */
        fd = open(a, O_WRONLY | O_CLOEXEC);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(pwrite(fd, "junkjunk", 8, MiB), ==, 8);
        close(fd);
        o13 = ok(tb, "vol-wipe", "a.raw", "--pool", "p1", NULL);
        g_assert_cmpstr(o13, ==, "Vol a.raw wiped\n");
        fd = open(a, O_RDONLY | O_CLOEXEC);
        g_assert_cmpint(pread(fd, buf, 8, MiB), ==, 8);
        close(fd);
        g_assert_cmpmem(buf, 8, "\0\0\0\0\0\0\0\0", 8);
        o14 = ok(tb, "vol-wipe", "a.raw", "--pool", "p1", "--algorithm", "zero", NULL);

        /* a volume given by its key, vol-delete prints it as given */
        o15 = ok(tb, "vol-delete", "a2.raw", "--pool", "p1", NULL);
        g_assert_cmpstr(o15, ==, "Vol a2.raw deleted\n");
        g_assert_false(g_file_test(a2, G_FILE_TEST_EXISTS));
        o16 = ok(tb, "vol-delete", "pools/p2/a3.raw", NULL);
        g_assert_cmpstr(o16, ==, "Vol pools/p2/a3.raw deleted\n");
        g_assert_false(g_file_test(a3, G_FILE_TEST_EXISTS));

        /* refresh picks up a file dropped into the directory */
        {
                g_autofree char *dropped = file_in(tb, "pools/p1/dropped.raw");
                test_write_file(dropped, "x");
                o17 = ok(tb, "pool-refresh", "p1", NULL);
                g_assert_cmpstr(o17, ==, "Pool p1 refreshed\n");
                o18 = ok(tb, "vol-list", "p1", NULL);
                assert_contains(o18, dropped);
                o19 = ok(tb, "vol-delete", "dropped.raw", "--pool", "p1", NULL);
        }
        o20 = ok(tb, "vol-list", "p2", NULL);
        g_assert_cmpstr(o20, ==, " Name   Path\n-------------\n\n");
}

static void check_transfers(TestBus *tb) {
        g_autofree char *src = file_in(tb, "src.img");
        g_autofree char *vol = file_in(tb, "pools/p1/up.raw");
        g_autofree char *out = file_in(tb, "out.img");
        g_autofree char *out2 = file_in(tb, "out2.img");
        g_autofree char *part = file_in(tb, "part.img");
        g_autofree char *sum = NULL, *vsum = NULL, *osum = NULL, *o2sum = NULL, *partdata = NULL;
        g_autofree char *o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL, *o5 = NULL, *e1 = NULL, *e2 = NULL;

        make_sparse_src(src);
        sum = file_sum(src);
        o1 = ok(tb, "vol-create-as", "p1", "up.raw", "8M", "--allocation", "0", NULL);

        /* --verbose: progress lines also when stdout is a pipe, ending at 100 % */
        o2 = ok(tb, "vol-upload", "up.raw", "src.img", "--pool", "p1", "--sparse", "--verbose", NULL);
        assert_contains(o2, "Upload: [100 %]     8.0 MiB/8.0 MiB\n");
        vsum = file_sum(vol);
        g_assert_cmpstr(vsum, ==, sum);
        g_assert_cmpuint(file_size(vol), ==, 8 * MiB);
        g_assert_cmpuint(file_blocks_bytes(vol), <=, 1 * MiB);

        o3 = ok(tb, "vol-download", "up.raw", "out.img", "--pool", "p1", "--sparse", NULL);
        g_assert_cmpstr(o3, ==, "");
        osum = file_sum(out);
        g_assert_cmpstr(osum, ==, sum);
        g_assert_cmpuint(file_size(out), ==, 8 * MiB);
        g_assert_cmpuint(file_blocks_bytes(out), <=, 1 * MiB);

        /* not sparse, the volume named by its path; an existing file is truncated */
        test_write_file(out2, "old contents that must go away");
        o4 = ok(tb, "vol-download", vol, "out2.img", "--verbose", NULL);
        assert_contains(o4, "Download: [100 %]     8.0 MiB/8.0 MiB\n");
        o2sum = file_sum(out2);
        g_assert_cmpstr(o2sum, ==, sum);

        o5 = ok(tb, "vol-download", "up.raw", "part.img", "--pool", "p1", "--offset", "1048576", "--length", "5",
                NULL);
        partdata = test_read_file(part);
        g_assert_cmpstr(partdata, ==, "hello");

        e1 = fails(tb, "cannot read", "vol-upload", "up.raw", "nosuch.img", "--pool", "p1", NULL);
        /* a failed download leaves no file it created */
        e2 = fails(tb, VMMD_DBUS_ERROR_NO_STORAGE_VOL, "vol-download", "nosuch", "new.img", "--pool", "p1", NULL);
        {
                g_autofree char *created = file_in(tb, "new.img");
                g_assert_false(g_file_test(created, G_FILE_TEST_EXISTS));
        }
}

static void check_teardown(TestBus *tb) {
        g_autofree char *p1dir = file_in(tb, "pools/p1");
        g_autofree char *p2dir = file_in(tb, "pools/p2");
        g_autofree char *def = test_root_file(tb, "etc/vmmd/storage/p1.xml");
        g_autofree char *o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL, *o5 = NULL, *o6 = NULL, *o7 = NULL;
        g_autofree char *o8 = NULL, *e1 = NULL, *e2 = NULL;

        o1 = ok(tb, "pool-destroy", "p3", NULL);
        g_assert_cmpstr(o1, ==, "Pool p3 destroyed\n");
        o2 = ok(tb, "pool-destroy", "p2", NULL);
        o3 = ok(tb, "pool-delete", "p2", NULL);
        g_assert_cmpstr(o3, ==, "Pool p2 deleted\n");
        g_assert_false(g_file_test(p2dir, G_FILE_TEST_EXISTS));
        o4 = ok(tb, "pool-undefine", "p2", NULL);
        g_assert_cmpstr(o4, ==, "Pool p2 has been undefined\n");

        e1 = fails(tb, VMMD_DBUS_ERROR_OPERATION_INVALID ": ", "pool-undefine", "p1", NULL);
        o5 = ok(tb, "pool-destroy", "p1", NULL);
        e2 = fails(tb, VMMD_DBUS_ERROR_OPERATION_INVALID ": ", "vol-list", "p1", NULL);
        o6 = ok(tb, "pool-list", "--all", "--name", NULL);
        g_assert_cmpstr(o6, ==, "p1\n");
        o7 = ok(tb, "pool-undefine", "p1", NULL);
        g_assert_cmpstr(o7, ==, "Pool p1 has been undefined\n");
        g_assert_false(g_file_test(def, G_FILE_TEST_EXISTS));
        /* undefine leaves the files alone */
        g_assert_true(g_file_test(p1dir, G_FILE_TEST_IS_DIR));
        o8 = ok(tb, "pool-list", "--all", "--name", NULL);
        g_assert_cmpstr(o8, ==, "");
}

static void test_round_trip(void) {
        g_autoptr(TestBus) tb = NULL;
        g_autofree char *qemu_img = g_find_program_in_path("qemu-img");

        if (!have_vmmctl()) {
                g_test_skip("vmmctl is not built");
                return;
        }
        tb = test_bus_new(NULL);
        check_pools(tb);
        check_volumes(tb, qemu_img != NULL);
        check_transfers(tb);
        check_teardown(tb);
}

static void test_usage(void) {
        g_autoptr(TestBus) tb = NULL;
        g_autofree char *e1 = NULL, *e2 = NULL, *e3 = NULL, *help = NULL;

        if (!have_vmmctl()) {
                g_test_skip("vmmctl is not built");
                return;
        }
        tb = test_bus_new(NULL);
        help = ok(tb, "help", "vol-upload", NULL);
        assert_contains(help, "Usage: vmmctl vol-upload VOL FILE");
        e1 = fails(tb, "command 'vol-create-as' requires 3 arguments", "vol-create-as", "p1", "v", NULL);
        e2 = fails(tb, "negative size requires --shrink", "vol-resize", "v", "-1M", "--pool", "p1", NULL);
        e3 = fails(tb, "invalid storage pool type 'bogus'", "pool-list", "--type", "dir,bogus", NULL);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/vmmctl/storage/round-trip", test_round_trip);
        g_test_add_func("/vmmctl/storage/usage", test_usage);
        return g_test_run();
}
