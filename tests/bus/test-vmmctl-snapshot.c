/* vmmctl's snapshot commands against an inactive domain with a qcow2 disk: internal snapshots of
 * an inactive domain are qemu-img work, so no QEMU process is needed (spec domains.md D). */
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "bus-harness.h"

#define UUID1 "5d0c4a3b-2e1f-4a9b-8c7d-6e5f4a3b2c1d"

/* Runs vmmctl ARGS... (NULL-terminated) in tb->dir; returns its exit code. */
static int vmmctl(TestBus *tb, char **ret_out, char **ret_err, ...) {
        g_autofree char *exe = g_build_filename(g_getenv("VMMD_BUILD_ROOT"), "tools", "vmmctl", "vmmctl", NULL);
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        va_list ap;

        g_ptr_array_add(argv, exe);
        va_start(ap, ret_err);
        for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
                g_ptr_array_add(argv, (gpointer) a);
        va_end(ap);
        g_ptr_array_add(argv, NULL);
        return test_run(tb, false, ret_out, ret_err, (const char *const *) argv->pdata);
}

/* vmmctl ARGS... must succeed; returns its stdout. */
#define VMMCTL_OK(tb, ...) vmmctl_ok(tb, __VA_ARGS__, NULL)
static char *vmmctl_ok(TestBus *tb, ...) {
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
        if (rc != 0)
                g_error("vmmctl %s failed (%d): %s", (const char *) argv->pdata[1], rc, err);
        return out;
}

static bool have_tools(void) {
        g_autofree char *exe = NULL;
        g_autofree char *qemu_img = g_find_program_in_path("qemu-img");

        if (!g_getenv("VMMD_BUILD_ROOT") || !qemu_img)
                return false;
        exe = g_build_filename(g_getenv("VMMD_BUILD_ROOT"), "tools", "vmmctl", "vmmctl", NULL);
        return access(exe, X_OK) == 0;
}

static void define_domain(TestBus *tb) {
        g_autofree char *disk = g_build_filename(tb->dir, "data.qcow2", NULL);
        g_autofree char *dev = g_strdup_printf("    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                                               "<source file='%s'/><target dev='vda' bus='virtio'/></disk>\n", disk);
        g_autofree char *xml = test_domain_xml("snapdom", UUID1, dev);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = NULL;
        const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };

        g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        path = test_define(tb, xml, 0, &e);
        if (!path)
                g_error("define: %s: %s", e.name, e.message);
}

static void test_snapshot_commands(void) {
        g_autoptr(TestBus) tb = NULL;
        g_autofree char *o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL, *o5 = NULL, *table = NULL, *tree = NULL;
        g_autofree char *roots = NULL, *json = NULL, *info = NULL, *xml = NULL, *cur = NULL, *parent = NULL;
        g_autofree char *del = NULL, *after = NULL, *from = NULL, *leaves = NULL, *printed = NULL, *o6 = NULL;
        g_autofree char *eout = NULL, *eerr = NULL, *pout = NULL, *perr = NULL, *xout = NULL, *xerr = NULL;
        g_autofree char *file = NULL, *meta = NULL;

        if (!have_tools()) {
                g_test_skip("vmmctl or qemu-img is missing");
                return;
        }
        tb = test_bus_new(NULL);
        define_domain(tb);

        /* s1 → s2 → s3, and s1 → s4 after going back to s1 */
        o1 = VMMCTL_OK(tb, "snapshot-create-as", "snapdom", "s1", "the <first>");
        g_assert_cmpstr(o1, ==, "Domain snapshot s1 created\n");
        o2 = VMMCTL_OK(tb, "snapshot-create-as", "snapdom", "--name", "s2");
        g_assert_cmpstr(o2, ==, "Domain snapshot s2 created\n");
        file = g_build_filename(tb->dir, "s3.xml", NULL);
        test_write_file(file, "<domainsnapshot><name>s3</name></domainsnapshot>\n");
        o3 = VMMCTL_OK(tb, "snapshot-create", "snapdom", "s3.xml");
        g_assert_cmpstr(o3, ==, "Domain snapshot s3 created from 's3.xml'\n");
        g_free(VMMCTL_OK(tb, "snapshot-revert", "snapdom", "s1"));
        o4 = VMMCTL_OK(tb, "snapshot-create-as", "snapdom", "s4");
        g_assert_cmpstr(o4, ==, "Domain snapshot s4 created\n");
        meta = test_root_file(tb, "var/lib/vmmd/qemu/snapshot/snapdom/s4.xml");
        g_assert_true(g_file_test(meta, G_FILE_TEST_EXISTS));

        /* --print-xml sends nothing and makes paths absolute */
        printed = VMMCTL_OK(tb, "snapshot-create-as", "snapdom", "p1", "--print-xml", "--disk-only", "--diskspec",
                            "vda,snapshot=external,driver=qcow2,file=over.qcow2");
        {
                g_autofree char *expect = g_strdup_printf("<domainsnapshot>\n  <name>p1</name>\n  <disks>\n"
                                                          "    <disk name='vda' snapshot='external'>\n"
                                                          "      <driver type='qcow2'/>\n"
                                                          "      <source file='%s/over.qcow2'/>\n"
                                                          "    </disk>\n  </disks>\n</domainsnapshot>\n", tb->dir);
                g_assert_cmpstr(printed, ==, expect);
        }

        table = VMMCTL_OK(tb, "snapshot-list", "snapdom", "--parent");
        g_assert_true(g_str_has_prefix(table, " Name   Creation Time"));
        g_assert_nonnull(strstr(table, "State     Parent\n"));
        g_assert_nonnull(strstr(table, "shutoff   s1\n"));
        g_assert_null(strstr(table, "p1"));

        tree = VMMCTL_OK(tb, "snapshot-list", "snapdom", "--tree");
        g_assert_cmpstr(tree, ==, "s1\n  |\n  +- s2\n  |   |\n  |   +- s3\n  |     \n  +- s4\n    \n");
        roots = VMMCTL_OK(tb, "snapshot-list", "snapdom", "--roots", "--name");
        g_assert_cmpstr(roots, ==, "s1\n");
        leaves = VMMCTL_OK(tb, "snapshot-list", "snapdom", "--leaves", "--name");
        g_assert_cmpstr(leaves, ==, "s3\ns4\n");
        from = VMMCTL_OK(tb, "snapshot-list", "snapdom", "--from", "s1", "--descendants", "--name");
        g_assert_cmpstr(from, ==, "s2\ns3\ns4\n");
        json = VMMCTL_OK(tb, "snapshot-list", "snapdom", "--json");
        g_assert_nonnull(strstr(json, "\"name\" : \"s4\""));
        g_assert_nonnull(strstr(json, "\"parent\" : null"));
        g_assert_nonnull(strstr(json, "\"current\" : true"));
        g_assert_nonnull(strstr(json, "\"state\" : \"shutoff\""));

        info = VMMCTL_OK(tb, "snapshot-info", "snapdom", "s1");
        g_assert_cmpstr(info, ==,
                        "Name:           s1\nDomain:         snapdom\nCurrent:        no\nState:          shutoff\n"
                        "Location:       internal\nParent:         -\nChildren:       2\nDescendants:    3\n"
                        "Metadata:       yes\n");
        xml = VMMCTL_OK(tb, "snapshot-dumpxml", "snapdom", "s1");
        g_assert_nonnull(strstr(xml, "<description>the &lt;first&gt;</description>"));
        cur = VMMCTL_OK(tb, "snapshot-current", "snapdom", "--name");
        g_assert_cmpstr(cur, ==, "s4\n");
        parent = VMMCTL_OK(tb, "snapshot-parent", "snapdom", "--current");
        g_assert_cmpstr(parent, ==, "s1\n");

        /* the daemon's error, exit 1 */
        g_assert_cmpint(vmmctl(tb, &pout, &perr, "snapshot-parent", "snapdom", "s1", NULL), ==, 1);
        g_assert_nonnull(strstr(perr, "error: " VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT ": "));
        /* refused by vmmctl itself */
        g_assert_cmpint(vmmctl(tb, &xout, &xerr, "snapshot-delete", "snapdom", "s1", "--children", "--children-only",
                               NULL), ==, 1);
        g_assert_nonnull(strstr(xerr, "mutually exclusive"));
        g_assert_cmpint(vmmctl(tb, &eout, &eerr, "snapshot-info", "snapdom", NULL), ==, 1);
        g_assert_nonnull(strstr(eerr, "--current"));

        del = VMMCTL_OK(tb, "snapshot-delete", "snapdom", "s2", "--children");
        g_assert_cmpstr(del, ==, "Domain snapshot s2 deleted\n");
        after = VMMCTL_OK(tb, "snapshot-list", "snapdom", "--name");
        g_assert_cmpstr(after, ==, "s1\ns4\n");
        o5 = VMMCTL_OK(tb, "snapshot-delete", "snapdom", "--current");
        g_assert_cmpstr(o5, ==, "Domain snapshot s4 deleted\n");
        g_assert_false(g_file_test(meta, G_FILE_TEST_EXISTS));
        o6 = VMMCTL_OK(tb, "snapshot-current", "snapdom", "--name");
        g_assert_cmpstr(o6, ==, "s1\n");
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/vmmctl-snapshot/commands", test_snapshot_commands);
        return g_test_run();
}
