/* End-to-end tests of domain snapshots with the tiny guest and a qcow2 data disk (spec domains.md D). */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e-util.h"
#include "fileio.h"

#define DOMAIN_IFACE QEMU_DOMAIN_INTERFACE
#define SNAP_IFACE QEMU_SNAPSHOT_INTERFACE
#define BOOT_MS 60000
#define UUID_A "8c3d2e1f-0a9b-4c8d-9e7f-0c0000000001"

static char *make_qcow2(TestBus *tb, const char *name) {
        g_autofree char *disk = g_strdup_printf("%s/%s", tb->dir, name);
        const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };
        g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        return g_steal_pointer(&disk);
}

static char *disk_xml(const char *path, const char *format) {
        return g_strdup_printf("    <disk type='file' device='disk'><driver name='qemu' type='%s'/>"
                               "<source file='%s'/><target dev='vda' bus='virtio'/></disk>\n", format, path);
}

static char *define(TestBus *tb, const char *name, const char *cmdline, const char *devices) {
        g_autofree char *xml = e2e_guest_xml(tb, name, UUID_A, cmdline, NULL, devices);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *path = test_define(tb, xml, 0, &e);

        if (!path)
                g_error("define: %s: %s", e.name, e.message);
        return path;
}

static char *snapshot_create(TestBus *tb, const char *domain, const char *xml, unsigned flags, sd_bus_error *e) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *p;

        if (test_call(tb, domain, DOMAIN_IFACE, "SnapshotCreateXML", e, &reply, "su", xml, flags) < 0) {
                g_test_message("SnapshotCreateXML: %s: %s", e->name, e->message);
                return NULL;
        }
        g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
        return g_strdup(p);
}

static char *snap_name_xml(const char *name) {
        return g_strdup_printf("<domainsnapshot><name>%s</name></domainsnapshot>", name);
}

static bool qemu_img_lists(TestBus *tb, const char *disk, const char *snap) {
        g_autofree char *out = NULL;
        const char *argv[] = { "qemu-img", "snapshot", "-l", "-U", disk, NULL };

        g_assert_cmpint(test_run(tb, false, &out, NULL, argv), ==, 0);
        return out && strstr(out, snap);
}

static bool snap_bool(TestBus *tb, const char *path, const char *prop) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int v = 0;

        g_assert_cmpint(sd_bus_get_property_trivial(tb->bus, QEMU_BUS_NAME, path, SNAP_IFACE, prop, &e, 'b', &v), >=,
                        0);
        return v;
}

static char **list_snapshots(TestBus *tb, const char *path, const char *iface, const char *method, unsigned flags) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char **paths = NULL;

        g_assert_cmpint(test_call(tb, path, iface, method, &e, &reply, "u", flags), >=, 0);
        g_assert_cmpint(sd_bus_message_read_strv(reply, &paths), >=, 0);
        return paths ? paths : g_new0(char *, 1);
}

/* D15, D22, D24, D42, D47–D50, B6: internal snapshots of an inactive domain */
static void test_internal_offline(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "data.qcow2");
        g_autofree char *dev = disk_xml(disk, "qcow2");
        g_autofree char *path = define(tb, "d1", NULL, dev);
        g_autofree char *x1 = snap_name_xml("s1"), *x2 = snap_name_xml("s2");
        g_autofree char *s1 = NULL, *s2 = NULL, *meta = NULL, *xml = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        const char *p;

        g_assert_false(test_prop_bool(tb, path, "HasCurrentSnapshot"));
        test_bus_clear_signals(tb);
        s1 = snapshot_create(tb, path, x1, 0, &e);
        g_assert_nonnull(s1);
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesAdded", s1, 0), >=, 0);
        g_assert_cmpint(test_bus_find_signal(tb, "DomainEvent", NULL, 0), ==, -1);   /* no lifecycle event */
        g_assert_true(qemu_img_lists(tb, disk, "s1"));
        meta = g_strdup_printf("%s/var/lib/vmmd/qemu/snapshot/d1/s1.xml", tb->root);
        g_assert_cmpint(vmmd_read_file(meta, &xml, NULL), >=, 0);
        g_assert_true(g_str_has_prefix(xml, "<!--"));
        g_assert_nonnull(strstr(xml, "  vmmctl snapshot-edit d1 s1\n"));
        g_assert_nonnull(strstr(xml, "<state>shutoff</state>"));
        g_assert_nonnull(strstr(xml, "<active>1</active>"));
        g_assert_true(test_prop_bool(tb, path, "HasCurrentSnapshot"));
        g_assert_true(snap_bool(tb, s1, "IsCurrent"));

        s2 = snapshot_create(tb, path, x2, 0, &e);
        g_assert_nonnull(s2);
        g_assert_false(snap_bool(tb, s1, "IsCurrent"));
        g_assert_true(snap_bool(tb, s2, "IsCurrent"));
        g_assert_cmpint(test_call(tb, s2, SNAP_IFACE, "GetParent", &e, &reply, "u", 0), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
        g_assert_cmpstr(p, ==, s1);
        g_assert_cmpint(test_call(tb, s1, SNAP_IFACE, "GetParent", &e, NULL, "u", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT, "parent");
        sd_bus_error_free(&e);
        {
                g_auto(GStrv) all = list_snapshots(tb, path, DOMAIN_IFACE, "ListDomainSnapshots", 0);
                g_auto(GStrv) roots = list_snapshots(tb, path, DOMAIN_IFACE, "ListDomainSnapshots", 1);
                g_auto(GStrv) leaves = list_snapshots(tb, path, DOMAIN_IFACE, "ListDomainSnapshots", 4);
                g_auto(GStrv) kids = list_snapshots(tb, s1, SNAP_IFACE, "ListChildren", 0);
                g_auto(GStrv) nometa = list_snapshots(tb, path, DOMAIN_IFACE, "ListDomainSnapshots", 16);
                g_assert_cmpuint(g_strv_length(all), ==, 2);
                g_assert_cmpuint(g_strv_length(roots), ==, 1);
                g_assert_cmpstr(roots[0], ==, s1);
                g_assert_cmpuint(g_strv_length(leaves), ==, 1);
                g_assert_cmpstr(leaves[0], ==, s2);
                g_assert_cmpuint(g_strv_length(kids), ==, 1);
                g_assert_cmpuint(g_strv_length(nometa), ==, 0);
        }
        /* D14 */
        g_assert_null(snapshot_create(tb, path, x1, 0, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, "s1");
        sd_bus_error_free(&e);

        /* B6: snapshots block undefine */
        g_assert_cmpint(e2e_domain_call(tb, path, "Undefine", false, 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "2 snapshot");
        sd_bus_error_free(&e);

        /* D25: a restarted daemon finds the tree and the current snapshot again */
        test_bus_kill_name(tb, QEMU_BUS_NAME);
        g_assert_true(snap_bool(tb, s2, "IsCurrent"));
        g_assert_true(test_prop_bool(tb, path, "HasCurrentSnapshot"));

        /* D42: deleting s1 removes its data, s2 moves up to the root */
        g_assert_cmpint(test_call(tb, s1, SNAP_IFACE, "Delete", &e, NULL, "u", 0), >=, 0);
        g_assert_false(qemu_img_lists(tb, disk, " s1 "));
        g_assert_cmpint(test_call(tb, s2, SNAP_IFACE, "GetParent", &e, NULL, "u", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT);
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call(tb, s1, SNAP_IFACE, "GetXMLDesc", &e, NULL, "u", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT, "s1");
        sd_bus_error_free(&e);

        /* D43: METADATA_ONLY keeps the data */
        g_assert_cmpint(test_call(tb, s2, SNAP_IFACE, "Delete", &e, NULL, "u", 2), >=, 0);
        g_assert_true(qemu_img_lists(tb, disk, "s2"));
        g_assert_false(test_prop_bool(tb, path, "HasCurrentSnapshot"));
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "SnapshotCurrent", &e, NULL, "u", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT, "current snapshot");
}

/* True when, within timeout_ms, one of the ticks 1..last (those printed before a revert) is printed a
 * second time. Which one depends on when the snapshot paused the guest: after TICK 2, but on a busy
 * machine the pause can come a tick or more later. */
static bool wait_tick_again(E2EBus *tb, const char *name, int last, unsigned timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

        for (;;) {
                gint64 left = deadline - g_get_monotonic_time();

                for (int k = 1; k <= last; k++) {
                        g_autofree char *marker = g_strdup_printf("TESTGUEST TICK %d\r", k);

                        if (e2e_serial_count(tb, name, marker) >= 2)
                                return true;
                }
                if (left <= 0)
                        return false;
                /* the guest ticks once a second: wait for its next tick line */
                (void) e2e_wait_serial(tb, name, "TESTGUEST TICK ", e2e_serial_count(tb, name, "TESTGUEST TICK ") + 1,
                                       (unsigned) MIN(left / 1000 + 1, 2000));
        }
}

/* D16, D36, D40: a snapshot of the running guest; revert brings its memory back */
static void test_internal_running_revert(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "data.qcow2");
        g_autofree char *dev = disk_xml(disk, "qcow2");
        g_autofree char *path = define(tb, "r1", "testguest.tick=1", dev);
        g_autofree char *x1 = snap_name_xml("s1"), *s1 = NULL, *snapxml = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        const char *x;
        int paused, resumed, stopped, started, defined, ticks_before;

        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), >=, 0);
        g_assert_true(e2e_wait_serial(tb, "r1", "TESTGUEST TICK 2", 1, BOOT_MS));
        test_bus_clear_signals(tb);
        s1 = snapshot_create(tb, path, x1, 0, &e);
        g_assert_nonnull(s1);
        paused = e2e_find_event(tb, path, 3, 0, 0);
        resumed = e2e_find_event(tb, path, 4, 0, 0);
        g_assert_cmpint(paused, >=, 0);
        g_assert_cmpint(resumed, >, paused);
        g_assert_true(e2e_wait_state(tb, path, 1, 5, 0));
        g_assert_true(qemu_img_lists(tb, disk, "s1"));
        g_assert_cmpint(test_call(tb, s1, SNAP_IFACE, "GetXMLDesc", &e, &reply, "u", 0), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &x), >=, 0);
        snapxml = g_strdup(x);
        g_assert_nonnull(strstr(snapxml, "<state>running</state>"));
        g_assert_nonnull(strstr(snapxml, "<inactiveDomain"));   /* D6: active and persistent */

        /* the guest runs on; the revert takes it back to the snapshot's moment */
        g_assert_true(e2e_wait_serial(tb, "r1", "TESTGUEST TICK 6", 1, 20000));
        test_bus_clear_signals(tb);
        ticks_before = e2e_serial_count(tb, "r1", "TESTGUEST TICK ");
        g_assert_cmpint(test_call(tb, s1, SNAP_IFACE, "Revert", &e, NULL, "u", 0), >=, 0);
        stopped = e2e_find_event(tb, path, 5, 6, 0);
        started = e2e_find_event(tb, path, 2, 3, 0);
        resumed = e2e_find_event(tb, path, 4, 2, 0);
        defined = e2e_find_event(tb, path, 0, 3, 0);
        g_assert_cmpint(stopped, >=, 0);
        g_assert_cmpint(started, >, stopped);
        g_assert_cmpint(resumed, >, started);
        g_assert_cmpint(defined, >, resumed);
        g_assert_true(e2e_wait_state(tb, path, 1, 4, 0));
        g_assert_true(snap_bool(tb, s1, "IsCurrent"));
        /* the tick counter restarts from the snapshot: a tick printed before the revert comes again */
        g_assert_true(wait_tick_again(tb, "r1", ticks_before, 20000));
        g_assert_cmpint(e2e_serial_count(tb, "r1", "TESTGUEST READY"), ==, 1);
}

/* D35: live and persistent configurations after a revert */
static void test_revert_configurations(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "data.qcow2");
        g_autofree char *dev = disk_xml(disk, "qcow2");
        g_autofree char *path = define(tb, "c1", NULL, dev);
        g_autofree char *xml = e2e_guest_xml(tb, "c1", UUID_A, NULL, NULL, dev);
        g_autofree char *x1 = snap_name_xml("S"), *s = NULL, *live = NULL, *inactive = NULL, *file = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        GString *g;

        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), >=, 0);
        g = g_string_new(xml);
        g_string_replace(g, "<memory unit='MiB'>128</memory>", "<memory unit='MiB'>256</memory>", 1);
        g_free(test_define(tb, g->str, 0, &e));
        s = snapshot_create(tb, path, x1, 0, &e);
        g_assert_nonnull(s);
        g_string_replace(g, "<memory unit='MiB'>256</memory>", "<memory unit='MiB'>384</memory>", 1);
        g_free(test_define(tb, g->str, 0, &e));
        g_string_free(g, TRUE);

        g_assert_cmpint(test_call(tb, s, SNAP_IFACE, "Revert", &e, NULL, "u", 0), >=, 0);
        live = test_get_xml(tb, path, 0);
        inactive = test_get_xml(tb, path, 2);
        g_assert_nonnull(strstr(live, "<memory unit='KiB'>131072</memory>"));
        g_assert_nonnull(strstr(inactive, "<memory unit='KiB'>262144</memory>"));
        g_assert_true(test_prop_bool(tb, path, "Updated"));
        file = test_read_file(test_config_file(tb, "c1"));
        g_assert_nonnull(strstr(file, "<memory unit='KiB'>262144</memory>"));
}

/* D17, D45: an external disk-only snapshot of an inactive domain */
static void test_external_offline(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "data.qcow2");
        g_autofree char *dev = disk_xml(disk, "qcow2");
        g_autofree char *path = define(tb, "x1", NULL, dev);
        g_autofree char *x1 = snap_name_xml("ext1"), *s = NULL, *overlay = NULL, *def = NULL, *info = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *argv[] = { "qemu-img", "info", "-U", NULL, NULL };

        s = snapshot_create(tb, path, x1, 16 /* DISK_ONLY */, &e);
        g_assert_nonnull(s);
        overlay = g_strdup_printf("%s/data.ext1", tb->dir);
        g_assert_true(g_file_test(overlay, G_FILE_TEST_EXISTS));
        argv[3] = overlay;
        g_assert_cmpint(test_run(tb, false, &info, NULL, argv), ==, 0);
        g_assert_nonnull(strstr(info, disk));   /* backed by the old image */
        def = test_get_xml(tb, path, 2);
        g_assert_nonnull(strstr(def, overlay));
        /* the guest boots from the overlay */
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), >=, 0);
        g_assert_true(e2e_wait_serial(tb, "x1", "TESTGUEST DISK vda", 1, BOOT_MS));
        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), >=, 0);

        /* D38: a revert puts the disk on a fresh overlay over the snapshot's image */
        {
                g_autofree char *after = NULL, *snapxml = NULL;
                g_autoptr(sd_bus_message) reply = NULL;
                const char *x;
                g_assert_cmpint(test_call(tb, s, SNAP_IFACE, "Revert", &e, NULL, "u", 0), >=, 0);
                g_autofree char *quoted = g_strdup_printf("'%s'", overlay);
                after = test_get_xml(tb, path, 2);
                g_assert_null(strstr(after, quoted));
                g_assert_nonnull(strstr(after, "/data.ext1-"));
                g_assert_cmpint(test_call(tb, s, SNAP_IFACE, "GetXMLDesc", &e, &reply, "u", 0), >=, 0);
                g_assert_cmpint(sd_bus_message_read(reply, "s", &x), >=, 0);
                snapxml = g_strdup(x);
                g_assert_nonnull(strstr(snapxml, "<revertDisks>"));
                g_assert_true(g_file_test(overlay, G_FILE_TEST_EXISTS));   /* left on disk */
        }
        g_assert_cmpint(test_call(tb, s, SNAP_IFACE, "Delete", &e, NULL, "u", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_UNSUPPORTED, "external");
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call(tb, s, SNAP_IFACE, "Delete", &e, NULL, "u", 2), >=, 0);
        g_assert_true(g_file_test(overlay, G_FILE_TEST_EXISTS));
}

/* D18: an external disk-only snapshot of a running guest; it keeps running on the overlay */
static void test_external_running(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "data.qcow2");
        g_autofree char *dev = disk_xml(disk, "qcow2");
        g_autofree char *path = define(tb, "xr", "testguest.tick=1", dev);
        g_autofree char *x1 = snap_name_xml("live1"), *s = NULL, *overlay = NULL, *info = NULL, *live = NULL;
        g_autofree char *file = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *argv[] = { "qemu-img", "info", "-U", NULL, NULL };
        int ticks;

        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), >=, 0);
        g_assert_true(e2e_wait_serial(tb, "xr", "TESTGUEST TICK 2", 1, BOOT_MS));
        test_bus_clear_signals(tb);
        s = snapshot_create(tb, path, x1, 16 /* DISK_ONLY */, &e);
        g_assert_nonnull(s);
        g_assert_cmpint(test_bus_find_signal(tb, "DomainEvent", NULL, 0), ==, -1);   /* no pause */
        overlay = g_strdup_printf("%s/data.live1", tb->dir);
        argv[3] = overlay;
        g_assert_cmpint(test_run(tb, false, &info, NULL, argv), ==, 0);
        g_assert_nonnull(strstr(info, disk));
        live = test_get_xml(tb, path, 0);
        g_assert_nonnull(strstr(live, overlay));
        file = test_read_file(test_config_file(tb, "xr"));
        g_assert_nonnull(strstr(file, overlay));
        ticks = e2e_serial_count(tb, "xr", "TESTGUEST TICK");
        g_assert_true(e2e_wait_serial(tb, "xr", "TESTGUEST TICK", ticks + 2, 20000));
        {
                g_autoptr(sd_bus_message) reply = NULL;
                const char *x;
                g_assert_cmpint(test_call(tb, s, SNAP_IFACE, "GetXMLDesc", &e, &reply, "u", 0), >=, 0);
                g_assert_cmpint(sd_bus_message_read(reply, "s", &x), >=, 0);
                g_assert_nonnull(strstr(x, "<state>disk-snapshot</state>"));
        }
        /* revert: the guest is stopped and its disk goes on a fresh overlay over the snapshot's image */
        g_assert_cmpint(test_call(tb, s, SNAP_IFACE, "Revert", &e, NULL, "u", 1 /* RUNNING */), >=, 0);
        g_assert_true(e2e_wait_state(tb, path, 1, -1, 0));
        g_free(live);
        live = test_get_xml(tb, path, 0);
        g_assert_nonnull(strstr(live, "/data.live1-"));
        g_assert_true(e2e_wait_serial(tb, "xr", "TESTGUEST READY", 2, BOOT_MS));
}

/* D7, D9, D12, D20, D23, D27–D30 */
static void test_flags_and_redefine(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "data.qcow2");
        g_autofree char *raw = g_strdup_printf("%s/raw.img", tb->dir);
        g_autofree char *dev = disk_xml(disk, "qcow2");
        g_autofree char *path = define(tb, "f1", NULL, dev);
        g_autofree char *x1 = snap_name_xml("s1"), *xh = snap_name_xml("halt"), *s1 = NULL, *xml = NULL, *again = NULL;
        g_autofree char *nometa = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        const char *x;

        g_assert_null(snapshot_create(tb, path, x1, 2 /* CURRENT without REDEFINE */, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "REDEFINE");
        sd_bus_error_free(&e);
        g_assert_null(snapshot_create(tb, path, x1, 64 /* QUIESCE */, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "DISK_ONLY");
        sd_bus_error_free(&e);
        g_assert_null(snapshot_create(tb, path, "<domainsnapshot><name>a/b</name></domainsnapshot>", 0, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_XML_DETAIL);
        sd_bus_error_free(&e);
        g_assert_null(snapshot_create(tb, path, "<domainsnapshot><name>m</name><memory snapshot='internal'/>"
                                                "</domainsnapshot>", 0, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_XML_ERROR, "offline");
        sd_bus_error_free(&e);

        /* D23: NO_METADATA: the data, not the record */
        nometa = snapshot_create(tb, path, "<domainsnapshot><name>nm</name></domainsnapshot>", 4, &e);
        g_assert_nonnull(nometa);
        g_assert_true(qemu_img_lists(tb, disk, "nm"));
        g_assert_cmpint(test_call(tb, nometa, SNAP_IFACE, "GetXMLDesc", &e, NULL, "u", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT);
        sd_bus_error_free(&e);

        /* D27–D30: redefine what was recorded */
        s1 = snapshot_create(tb, path, x1, 0, &e);
        g_assert_nonnull(s1);
        g_assert_cmpint(test_call(tb, s1, SNAP_IFACE, "GetXMLDesc", &e, &reply, "u", 1), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &x), >=, 0);
        xml = g_strdup(x);
        g_assert_cmpint(test_call(tb, s1, SNAP_IFACE, "Delete", &e, NULL, "u", 2), >=, 0);
        g_assert_null(snapshot_create(tb, path, "<domainsnapshot><name>r</name></domainsnapshot>", 1, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_INTERNAL_ERROR, "creationTime");
        sd_bus_error_free(&e);
        again = snapshot_create(tb, path, xml, 1 | 2 /* REDEFINE|CURRENT */, &e);
        g_assert_nonnull(again);
        g_assert_cmpstr(again, ==, s1);
        g_assert_true(snap_bool(tb, s1, "IsCurrent"));
        /* redefining the existing one again keeps it usable (its name is the table's key) */
        g_free(again);
        again = snapshot_create(tb, path, xml, 1 | 2, &e);
        g_assert_nonnull(again);
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "SnapshotLookupByName", &e, NULL, "su", "s1", 0), >=, 0);
        g_assert_cmpint(test_call(tb, s1, SNAP_IFACE, "GetXMLDesc", &e, NULL, "u", 0), >=, 0);

        /* D12: internal snapshots need qcow2 on every writable disk */
        {
                const char *argv[] = { "qemu-img", "create", "-q", "-f", "raw", raw, "8M", NULL };
                g_autofree char *rawdev = disk_xml(raw, "raw");
                g_autofree char *p2 = NULL;
                g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
                {
                        g_autofree char *xml2 = e2e_guest_xml(tb, "f2", "8c3d2e1f-0a9b-4c8d-9e7f-0c0000000002", NULL,
                                                              NULL, rawdev);
                        p2 = test_define(tb, xml2, 0, &e);
                }
                g_assert_null(snapshot_create(tb, p2, x1, 0, &e));
                assert_bus_error(&e, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "qcow2");
                sd_bus_error_free(&e);
        }

        /* D20: HALT after the snapshot of a running domain */
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), >=, 0);
        test_bus_clear_signals(tb);
        g_assert_nonnull(snapshot_create(tb, path, xh, 8 /* HALT */, &e));
        g_assert_true(e2e_wait_state(tb, path, 5, 7, 0));
        g_assert_cmpint(e2e_find_event(tb, path, 5, 6, 0), >=, 0);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/snapshot/internal-offline", test_internal_offline);
        g_test_add_func("/snapshot/internal-running-revert", test_internal_running_revert);
        g_test_add_func("/snapshot/revert-configurations", test_revert_configurations);
        g_test_add_func("/snapshot/external-offline", test_external_offline);
        g_test_add_func("/snapshot/flags-redefine", test_flags_and_redefine);
        g_test_add_func("/snapshot/external-running", test_external_running);
        return g_test_run();
}
