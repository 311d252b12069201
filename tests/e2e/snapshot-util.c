/* Helpers the snapshot e2e programs share (snapshot-util.h). */
#include "snapshot-util.h"

#include <string.h>

char *make_qcow2(TestBus *tb, const char *name) {
        g_autofree char *disk = g_strdup_printf("%s/%s", tb->dir, name);
        const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };
        g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        return g_steal_pointer(&disk);
}

char *disk_xml(const char *path, const char *format, const char *dev) {
        return g_strdup_printf("    <disk type='file' device='disk'><driver name='qemu' type='%s'/>"
                               "<source file='%s'/><target dev='%s' bus='virtio'/></disk>\n", format, path, dev);
}

char *define(TestBus *tb, const char *name, const char *uuid, const char *cmdline, const char *devices) {
        g_autofree char *xml = e2e_guest_xml(tb, name, uuid, cmdline, NULL, devices);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *path = test_define(tb, xml, 0, &e);

        if (!path)
                g_error("define %s: %s: %s", name, e.name, e.message);
        return path;
}

char *snap_create(TestBus *tb, const char *domain, const char *xml, unsigned flags, sd_bus_error *e) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *p;

        if (test_call(tb, domain, DOMAIN_IFACE, "SnapshotCreateXML", e, &reply, "su", xml, flags) < 0) {
                g_test_message("SnapshotCreateXML(flags %u): %s: %s", flags, e->name, e->message);
                return NULL;
        }
        g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
        return g_strdup(p);
}

char *snap_ok(TestBus *tb, const char *domain, const char *xml, unsigned flags) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *p = snap_create(tb, domain, xml, flags, &e);

        if (!p)
                g_error("SnapshotCreateXML %s (flags %u): %s: %s", xml, flags, e.name, e.message);
        return p;
}

char *named(const char *name) {
        return g_strdup_printf("<domainsnapshot><name>%s</name></domainsnapshot>", name);
}

char *redef_xml(const char *name, const char *state, const char *parent, const char *extra) {
        g_autofree char *p = parent ? g_strdup_printf("<parent><name>%s</name></parent>", parent) : g_strdup("");
        return g_strdup_printf("<domainsnapshot><name>%s</name><state>%s</state>%s"
                               "<creationTime>1700000000</creationTime>%s</domainsnapshot>",
                               name, state, p, extra ? extra : "");
}

bool img_has_snap(TestBus *tb, const char *disk, const char *snap) {
        g_autofree char *out = NULL;
        g_auto(GStrv) lines = NULL;
        const char *argv[] = { "qemu-img", "snapshot", "-l", "-U", disk, NULL };

        g_assert_cmpint(test_run(tb, false, &out, NULL, argv), ==, 0);
        lines = g_strsplit(out ? out : "", "\n", -1);
        for (char **l = lines; *l; l++) {
                g_auto(GStrv) tok = g_strsplit_set(g_strstrip(*l), " \t", -1);
                guint n = 0;
                /* ID TAG …: the second non-empty token */
                for (char **t = tok; *t; t++)
                        if (**t && ++n == 2) {
                                if (g_str_equal(*t, snap))
                                        return true;
                                break;
                        }
        }
        return false;
}

bool snap_bool(TestBus *tb, const char *path, const char *prop) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int v = 0;

        if (sd_bus_get_property_trivial(tb->bus, QEMU_BUS_NAME, path, SNAP_IFACE, prop, &e, 'b', &v) < 0)
                g_error("%s.%s: %s: %s", path, prop, e.name, e.message);
        return v;
}

char **list_call(TestBus *tb, const char *path, const char *iface, const char *method, unsigned flags) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char **paths = NULL;

        if (test_call(tb, path, iface, method, &e, &reply, "u", flags) < 0)
                g_error("%s(%u): %s: %s", method, flags, e.name, e.message);
        g_assert_cmpint(sd_bus_message_read_strv(reply, &paths), >=, 0);
        return paths ? paths : g_new0(char *, 1);
}

char **list_snaps(TestBus *tb, const char *domain, unsigned flags) {
        return list_call(tb, domain, DOMAIN_IFACE, "ListDomainSnapshots", flags);
}

int strv_index(char **v, const char *s) {
        for (int i = 0; v && v[i]; i++)
                if (g_str_equal(v[i], s))
                        return i;
        return -1;
}

#define assert_paths(got, ...) assert_paths_impl(__LINE__, #got, (got), ##__VA_ARGS__, NULL)
void assert_paths_impl(int line, const char *what, char **got, ...) {
        va_list ap;
        guint n = 0;

        va_start(ap, got);
        for (const char *p = va_arg(ap, const char *); p; p = va_arg(ap, const char *)) {
                if (strv_index(got, p) < 0) {
                        g_autofree char *all = g_strjoinv(" ", got);
                        g_error("line %d: %s lacks %s (has: %s)", line, what, p, all);
                }
                n++;
        }
        va_end(ap);
        if (g_strv_length(got) != n) {
                g_autofree char *all = g_strjoinv(" ", got);
                g_error("line %d: %s has %u entries, expected %u (has: %s)", line, what, g_strv_length(got), n, all);
        }
}

char *snap_xml(TestBus *tb, const char *snap, unsigned flags) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *x;

        if (test_call(tb, snap, SNAP_IFACE, "GetXMLDesc", &e, &reply, "u", flags) < 0)
                g_error("GetXMLDesc(%s): %s: %s", snap, e.name, e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &x), >=, 0);
        return g_strdup(x);
}

int snap_call(TestBus *tb, const char *snap, const char *method, unsigned flags, sd_bus_error *e) {
        return test_call(tb, snap, SNAP_IFACE, method, e, NULL, "u", flags);
}

void snap_call_ok(TestBus *tb, const char *snap, const char *method, unsigned flags) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        if (snap_call(tb, snap, method, flags, &e) < 0)
                g_error("%s(%s, %u): %s: %s", method, snap, flags, e.name, e.message);
}

char *meta_dir(TestBus *tb, const char *domain) {
        return g_strdup_printf("%s/var/lib/vmmd/qemu/snapshot/%s", tb->root, domain);
}

static void run_isolated(gconstpointer data) {
        const SnapshotCase *c = data;

        if (g_test_subprocess()) {
                c->fn();
                return;
        }
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDOUT | G_TEST_SUBPROCESS_INHERIT_STDERR);
        g_test_trap_assert_passed();
}

int snapshot_tests_run(int argc, char *argv[], const SnapshotCase *cases, size_t n) {
        g_test_init(&argc, &argv, NULL);
        if (!g_test_subprocess())
                g_test_set_nonfatal_assertions();
        for (size_t i = 0; i < n; i++)
                g_test_add_data_func(cases[i].path, &cases[i], run_isolated);
        return g_test_run();
}
