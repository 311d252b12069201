/* End-to-end tests for issue 9: regression tests of vmmd-qemu defects (each failed before its fix) and failures injected at the commit step of multi-step methods. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "e2e-util.h"
#include "fileio.h"

#define MANAGER QEMU_MANAGER_PATH
#define MANAGER_IFACE QEMU_MANAGER_INTERFACE
#define DOMAIN_IFACE QEMU_DOMAIN_INTERFACE
#define SNAP_IFACE QEMU_SNAPSHOT_INTERFACE
#define BOOT_MS 60000
#define STOP_MS 30000
#define UUID_A "9e2d7c1b-3f4a-4b5c-8d6e-0d0000000001"

static char *define_ok(TestBus *tb, const char *xml) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *path = test_define(tb, xml, 0, &e);

        if (!path)
                g_error("define: %s: %s", e.name, e.message);
        return path;
}

static void create_ok(TestBus *tb, const char *path, unsigned flags) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        if (e2e_domain_call(tb, path, "Create", false, flags, &e) < 0)
                g_error("Create: %s: %s", e.name, e.message);
}

static char *run_file(TestBus *tb, const char *name) {
        return g_strdup_printf("%s/run/vmmd/qemu/%s", tb->root, name);
}

static char *make_qcow2(TestBus *tb, const char *name) {
        g_autofree char *disk = g_strdup_printf("%s/%s", tb->dir, name);
        const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };

        g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        return g_steal_pointer(&disk);
}

static char *disk_xml(const char *path) {
        return g_strdup_printf("    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                               "<source file='%s'/><target dev='vda' bus='virtio'/></disk>\n", path);
}

static char *snapshot_create(TestBus *tb, const char *domain, const char *xml, unsigned flags) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *p;

        if (test_call(tb, domain, DOMAIN_IFACE, "SnapshotCreateXML", &e, &reply, "su", xml, flags) < 0)
                g_error("SnapshotCreateXML: %s: %s", e.name, e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
        return g_strdup(p);
}

static unsigned snapshot_total(TestBus *tb, const char *domain) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_auto(GStrv) paths = NULL;

        g_assert_cmpint(test_call(tb, domain, DOMAIN_IFACE, "ListDomainSnapshots", &e, &reply, "u", 0), >=, 0);
        g_assert_cmpint(sd_bus_message_read_strv(reply, &paths), >=, 0);
        return paths ? g_strv_length(paths) : 0;
}

static char *qemu_img_snapshots(TestBus *tb, const char *disk) {
        g_autofree char *out = NULL;
        const char *argv[] = { "qemu-img", "snapshot", "-l", "-U", disk, NULL };

        g_assert_cmpint(test_run(tb, false, &out, NULL, argv), ==, 0);
        return g_steal_pointer(&out);
}

static char *file_checksum(const char *path) {
        g_autofree char *data = NULL;
        size_t len = 0;

        g_assert_cmpint(vmmd_read_file(path, &data, &len), >=, 0);
        return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *) data, len);
}

/* Defect 1: autostart is Create(0): a managed save image is restored (RUNNING/RESTORED)
 * and removed, the guest is not booted afresh (C20, A36) */
static void test_autostart_restores_managed_save(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "as1", UUID_A, "testguest.tick=1", NULL, NULL);
        g_autofree char *path = define_ok(tb, xml);
        g_autofree char *image = g_strdup_printf("%s/var/lib/vmmd/qemu/save/as1.save", tb->root);
        g_autofree char *marker = run_file(tb, "autostarted");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        create_ok(tb, path, 0);
        g_assert_true(e2e_wait_serial(tb, "as1", "TESTGUEST TICK 2", 1, BOOT_MS));
        g_assert_cmpint(e2e_domain_call(tb, path, "ManagedSave", false, 0, &e), >=, 0);
        g_assert_true(g_file_test(image, G_FILE_TEST_IS_REGULAR));
        g_assert_cmpint(test_set_autostart(tb, path, true, &e), >=, 0);

        /* a new host boot: the marker is gone, the next activation autostarts */
        g_assert_cmpint(unlink(marker), ==, 0);
        test_bus_kill_name(tb, QEMU_BUS_NAME);
        g_assert_true(e2e_wait_state(tb, path, 1, 3 /* RESTORED */, BOOT_MS));
        g_assert_false(g_file_test(image, G_FILE_TEST_EXISTS));
        g_assert_false(test_prop_bool(tb, path, "HasManagedSaveImage"));
        /* the same guest goes on: it ticks again, and it never booted a second time */
        {
                int seen = e2e_serial_count(tb, "as1", "TESTGUEST TICK");
                g_assert_true(e2e_wait_serial(tb, "as1", "TESTGUEST TICK", seen + 1, 20000));
        }
        g_assert_cmpint(e2e_serial_count(tb, "as1", "TESTGUEST READY"), ==, 1);
}

/* Defect 3: Create with START_AUTODESTROY destroys the guest when the calling
 * connection goes away, as DomainCreateXML does (A29) */
static void test_create_autodestroy(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "ad1", UUID_A, NULL, NULL, NULL);
        g_autofree char *path = define_ok(tb, xml);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        sd_bus *client = NULL;
        pid_t pid;

        g_assert_cmpint(sd_bus_new(&client), >=, 0);
        g_assert_cmpint(sd_bus_set_address(client, tb->address), >=, 0);
        g_assert_cmpint(sd_bus_set_bus_client(client, 1), >=, 0);
        g_assert_cmpint(sd_bus_start(client), >=, 0);
        g_assert_cmpint(sd_bus_call_method(client, QEMU_BUS_NAME, path, DOMAIN_IFACE, "Create", &e, NULL, "u",
                                           2 /* AUTODESTROY */), >=, 0);
        g_assert_true(e2e_wait_state(tb, path, 1, 1, 0));
        pid = e2e_qemu_pid(tb, UUID_A);
        g_assert_cmpint(pid, >, 0);
        test_bus_clear_signals(tb);
        sd_bus_flush_close_unref(client);
        g_assert_true(e2e_wait_event(tb, path, 5, 1 /* STOPPED/DESTROYED */, 20000));
        g_assert_true(e2e_wait_pid_exit(pid, 5000));
        g_assert_true(e2e_wait_state(tb, path, 5, 2 /* SHUTOFF/DESTROYED */, 0));
        /* a persistent domain stays defined */
        g_assert_true(test_prop_bool(tb, path, "Persistent"));
}

/* Defect 5: a re-attached transient domain keeps its snapshots (D25) */
static void test_reattached_transient_keeps_snapshots(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "tr1", UUID_A, NULL, NULL, NULL);
        g_autofree char *snapxml = g_strdup_printf("<domainsnapshot><name>kept</name><state>running</state>"
                                                   "<creationTime>1700000000</creationTime>"
                                                   "<domain><uuid>%s</uuid></domain></domainsnapshot>", UUID_A);
        g_autofree char *meta = g_strdup_printf("%s/var/lib/vmmd/qemu/snapshot/tr1/kept.xml", tb->root);
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = NULL, *snap = NULL;
        const char *p;
        pid_t pid;

        g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainCreateXML", &e, &reply, "su", xml, 0), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
        path = g_strdup(p);
        g_assert_true(e2e_wait_state(tb, path, 1, 1, 0));
        pid = e2e_qemu_pid(tb, UUID_A);
        snap = snapshot_create(tb, path, snapxml, 1 /* REDEFINE */);
        g_assert_cmpuint(snapshot_total(tb, path), ==, 1);
        g_assert_true(g_file_test(meta, G_FILE_TEST_IS_REGULAR));

        test_bus_kill_name(tb, QEMU_BUS_NAME);
        g_assert_true(e2e_wait_state(tb, path, 1, -1, 5000));
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, pid);
        g_assert_cmpuint(snapshot_total(tb, path), ==, 1);
        {
                g_autofree char *name = NULL;
                g_assert_cmpint(sd_bus_get_property_string(tb->bus, QEMU_BUS_NAME, snap, SNAP_IFACE, "Name", &e,
                                                           &name), >=, 0);
                g_assert_cmpstr(name, ==, "kept");
        }
        g_assert_true(g_file_test(meta, G_FILE_TEST_IS_REGULAR));
}

/* --- a minimal blocking QMP client: the test stands in for a daemon that died mid-way --- */

static int qmp_open(const char *socket_path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpuint(strlen(socket_path), <, sizeof(sa.sun_path));
        strcpy(sa.sun_path, socket_path);
        g_assert_cmpint(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), ==, 0);
        return fd;
}

/* Reads (bounded) until a line containing want arrives; returns that line. */
static char *qmp_read_until(int fd, GString *buf, const char *want, unsigned timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

        for (;;) {
                char *nl;
                while ((nl = strchr(buf->str, '\n'))) {
                        g_autofree char *line = g_strndup(buf->str, nl - buf->str);
                        g_string_erase(buf, 0, nl - buf->str + 1);
                        if (strstr(line, want))
                                return g_steal_pointer(&line);
                }
                struct pollfd p = { .fd = fd, .events = POLLIN };
                gint64 left = deadline - g_get_monotonic_time();
                char chunk[4096];
                ssize_t n;

                if (left <= 0 || poll(&p, 1, (int) (left / 1000) + 1) <= 0)
                        return NULL;
                n = read(fd, chunk, sizeof(chunk));
                if (n <= 0)
                        return NULL;
                g_string_append_len(buf, chunk, n);
        }
}

static char *qmp_exec(int fd, GString *buf, const char *cmd) {
        g_autofree char *line = g_strdup_printf("{\"execute\": \"%s\"}\n", cmd);

        g_assert_cmpint(write(fd, line, strlen(line)), ==, (ssize_t) strlen(line));
        return qmp_read_until(fd, buf, "\"return\"", 10000);
}

/* Defect 7: the daemon died between system_reset and cont of a fake reboot (QEMU in
 * prelaunch, <fakereboot/> recorded): re-attach finishes the reboot instead of killing the guest */
static void test_reattach_mid_fake_reboot(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        /* the guest waits a second after the power button: the daemon is surely gone before it powers off */
        g_autofree char *xml = e2e_guest_xml(tb, "fr1", UUID_A, "testguest.pwrdelay=1", NULL, NULL);
        g_autofree char *path = define_ok(tb, xml);
        g_autofree char *status = run_file(tb, "fr1.xml");
        g_autofree char *monitor = g_strdup_printf("%s/run/vmmd/qemu/%s.qmp", tb->root, UUID_A);
        g_autoptr(GString) buf = g_string_new(NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *st = NULL, *reply = NULL, *data = NULL;
        pid_t pid;
        int fd;

        create_ok(tb, path, 0);
        g_assert_true(e2e_wait_serial(tb, "fr1", "TESTGUEST READY", 1, BOOT_MS));
        pid = e2e_qemu_pid(tb, UUID_A);
        g_assert_cmpint(e2e_domain_call(tb, path, "Reboot", false, 0, &e), >=, 0);
        /* the mark is on disk before the request leaves (E13); the daemon dies right after */
        test_bus_kill_name(tb, QEMU_BUS_NAME);
        g_assert_cmpint(vmmd_read_file(status, &data, NULL), >=, 0);
        g_assert_nonnull(strstr(data, "<fakereboot/>"));

        /* what the dead daemon would have done next: wait for the guest's poweroff, then system_reset */
        fd = qmp_open(monitor);
        g_assert_nonnull(qmp_read_until(fd, buf, "\"QMP\"", 10000));
        g_free(qmp_exec(fd, buf, "qmp_capabilities"));
        st = qmp_exec(fd, buf, "query-status");
        g_assert_nonnull(st);
        if (!strstr(st, "\"shutdown\""))
                g_assert_nonnull(qmp_read_until(fd, buf, "\"SHUTDOWN\"", STOP_MS));
        reply = qmp_exec(fd, buf, "system_reset");
        g_assert_nonnull(reply);
        g_free(st);
        st = qmp_exec(fd, buf, "query-status");
        g_assert_nonnull(strstr(st, "\"prelaunch\""));
        close(fd);

        /* the next activation re-attaches: the same QEMU runs the guest again */
        g_assert_true(e2e_wait_state(tb, path, 1, -1, 5000));
        g_assert_true(e2e_wait_serial(tb, "fr1", "TESTGUEST READY", 2, BOOT_MS));
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, pid);
        g_assert_true(test_prop_bool(tb, path, "Active"));
        /* and the mark is cleared once the reboot is over (E13) */
        g_free(data);
        data = NULL;
        g_assert_cmpint(vmmd_read_file(status, &data, NULL), >=, 0);
        g_assert_null(strstr(data, "<fakereboot/>"));
}

/* Defect 8: a snapshot name reaches QEMU as a QMP argument: deleting "a b" from a running
 * domain removes it from the image (a monitor command line would have split the name) */
static void test_delete_running_snapshot_with_space(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "data.qcow2");
        g_autofree char *dev = disk_xml(disk);
        g_autofree char *xml = e2e_guest_xml(tb, "sp1", UUID_A, NULL, NULL, dev);
        g_autofree char *path = define_ok(tb, xml);
        g_autofree char *snap = NULL, *listing = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        create_ok(tb, path, 0);
        g_assert_true(e2e_wait_serial(tb, "sp1", "TESTGUEST READY", 1, BOOT_MS));
        snap = snapshot_create(tb, path, "<domainsnapshot><name>a b</name></domainsnapshot>", 0);
        listing = qemu_img_snapshots(tb, disk);
        g_assert_nonnull(strstr(listing, "a b"));

        /* the reply comes once QEMU has deleted it */
        g_assert_cmpint(test_call(tb, snap, SNAP_IFACE, "Delete", &e, NULL, "u", 0), >=, 0);
        g_free(listing);
        listing = qemu_img_snapshots(tb, disk);
        g_assert_null(strstr(listing, "a b"));
        g_assert_cmpuint(snapshot_total(tb, path), ==, 0);
        g_assert_true(e2e_wait_state(tb, path, 1, -1, 0));
}

/* Defect 2: a Revert that fails (the snapshot is gone from the image behind the daemon's
 * back) leaves the newer definition in memory and on disk, and the disk, as they were */
static void test_failed_revert_changes_nothing(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "data.qcow2");
        g_autofree char *dev = disk_xml(disk);
        g_autofree char *xml = e2e_guest_xml(tb, "rv1", UUID_A, NULL, NULL, dev);
        g_autofree char *path = define_ok(tb, xml);
        g_autofree char *config = test_config_file(tb, "rv1");
        g_autofree char *snap = NULL, *newer = NULL, *xml_before = NULL, *xml_after = NULL;
        g_autofree char *cfg_before = NULL, *cfg_after = NULL, *disk_before = NULL, *disk_after = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        snap = snapshot_create(tb, path, "<domainsnapshot><name>s1</name></domainsnapshot>", 0);
        /* the user moves on: a newer definition (more memory) */
        {
                g_autofree char *x = e2e_guest_xml(tb, "rv1", UUID_A, NULL, NULL, dev);
                char *m = strstr(x, "<memory unit='MiB'>128</memory>");
                g_assert_nonnull(m);
                newer = g_strdup_printf("%.*s<memory unit='MiB'>160</memory>%s", (int) (m - x), x,
                                        m + strlen("<memory unit='MiB'>128</memory>"));
                g_free(define_ok(tb, newer));
        }
        /* the internal snapshot disappears from the image behind the daemon's back */
        {
                const char *argv[] = { "qemu-img", "snapshot", "-d", "s1", disk, NULL };
                g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        }
        xml_before = test_get_xml(tb, path, 1 | 2);
        g_assert_nonnull(strstr(xml_before, "163840"));
        cfg_before = file_checksum(config);
        disk_before = file_checksum(disk);

        test_bus_clear_signals(tb);
        g_assert_cmpint(test_call(tb, snap, SNAP_IFACE, "Revert", &e, NULL, "u", 0), <, 0);
        g_assert_nonnull(e.name);
        g_assert_nonnull(strstr(e.message, "s1"));
        test_assert_no_domain_signals(tb);
        xml_after = test_get_xml(tb, path, 1 | 2);
        g_assert_cmpstr(xml_before, ==, xml_after);
        cfg_after = file_checksum(config);
        g_assert_cmpstr(cfg_before, ==, cfg_after);
        disk_after = file_checksum(disk);
        g_assert_cmpstr(disk_before, ==, disk_after);
        /* and after a restart the daemon reads the same newer definition */
        test_bus_kill_name(tb, QEMU_BUS_NAME);
        g_free(xml_after);
        xml_after = test_get_xml(tb, path, 1 | 2);
        g_assert_cmpstr(xml_before, ==, xml_after);
}

/* Defect 2, running: a failing Revert of a running domain leaves the guest running */
static void test_failed_revert_keeps_guest(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "data.qcow2");
        g_autofree char *dev = disk_xml(disk);
        g_autofree char *xml = e2e_guest_xml(tb, "rv2", UUID_A, NULL, NULL, dev);
        g_autofree char *path = define_ok(tb, xml);
        g_autofree char *config = test_config_file(tb, "rv2");
        g_autofree char *snap = NULL, *cfg_before = NULL, *cfg_after = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        pid_t pid;

        snap = snapshot_create(tb, path, "<domainsnapshot><name>off</name></domainsnapshot>", 0);
        {
                const char *argv[] = { "qemu-img", "snapshot", "-d", "off", disk, NULL };
                g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        }
        create_ok(tb, path, 0);
        g_assert_true(e2e_wait_serial(tb, "rv2", "TESTGUEST READY", 1, BOOT_MS));
        pid = e2e_qemu_pid(tb, UUID_A);
        cfg_before = file_checksum(config);

        test_bus_clear_signals(tb);
        g_assert_cmpint(test_call(tb, snap, SNAP_IFACE, "Revert", &e, NULL, "u", 0), <, 0);
        g_assert_nonnull(strstr(e.message, "off"));
        test_assert_no_domain_signals(tb);
        g_assert_true(e2e_wait_state(tb, path, 1, 1, 0));
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, pid);
        cfg_after = file_checksum(config);
        g_assert_cmpstr(cfg_before, ==, cfg_after);
}

/* D46: deleting an internal snapshot of a running domain whose disk moved since (an
 * external snapshot put it on an overlay) is refused; the snapshot and its data stay */
static void test_delete_internal_after_disk_moved(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "data.qcow2");
        g_autofree char *dev = disk_xml(disk);
        g_autofree char *xml = e2e_guest_xml(tb, "mv1", UUID_A, NULL, NULL, dev);
        g_autofree char *path = define_ok(tb, xml);
        g_autofree char *s1 = NULL, *s2 = NULL, *listing = NULL;
        g_autofree char *meta = g_strdup_printf("%s/var/lib/vmmd/qemu/snapshot/mv1/s1.xml", tb->root);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        create_ok(tb, path, 0);
        g_assert_true(e2e_wait_serial(tb, "mv1", "TESTGUEST READY", 1, BOOT_MS));
        s1 = snapshot_create(tb, path, "<domainsnapshot><name>s1</name></domainsnapshot>", 0);
        s2 = snapshot_create(tb, path, "<domainsnapshot><name>s2</name></domainsnapshot>", 16 /* DISK_ONLY */);

        test_bus_clear_signals(tb);
        g_assert_cmpint(test_call(tb, s1, SNAP_IFACE, "Delete", &e, NULL, "u", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_UNSUPPORTED, "s1", "vda");
        test_assert_no_signal_for(tb, s1);
        g_assert_cmpuint(snapshot_total(tb, path), ==, 2);
        g_assert_true(g_file_test(meta, G_FILE_TEST_IS_REGULAR));
        listing = qemu_img_snapshots(tb, disk);
        g_assert_nonnull(strstr(listing, "s1"));
        g_assert_true(e2e_wait_state(tb, path, 1, -1, 0));
}

/* C12: a save that fails mid-way (ENOSPC on a small tmpfs) resumes the guest it paused:
 * RUNNING/SAVE_CANCELED, RESUMED/UNPAUSED, and the guest goes on */
static void test_failed_save_resumes_guest(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "sv1", UUID_A, "testguest.tick=1", NULL, NULL);
        g_autofree char *path = define_ok(tb, xml);
        g_autofree char *small = g_strdup_printf("%s/small", tb->dir);
        g_autofree char *target = g_strdup_printf("%s/sv1.img", small);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int paused, resumed, seen;
        pid_t pid;

        create_ok(tb, path, 0);
        g_assert_true(e2e_wait_serial(tb, "sv1", "TESTGUEST TICK 2", 1, BOOT_MS));
        pid = e2e_qemu_pid(tb, UUID_A);
        g_assert_cmpint(g_mkdir_with_parents(small, 0755), ==, 0);
        if (mount("tmpfs", small, "tmpfs", 0, "size=256k") < 0) {
                g_test_skip("cannot mount a tmpfs here");
                return;
        }
        test_bus_clear_signals(tb);
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "Save", &e, NULL, "ssu", target, "", 0), <, 0);
        g_assert_cmpint(umount2(small, MNT_DETACH), ==, 0);
        /* the error may come before QEMU has answered the cont */
        g_assert_true(e2e_wait_state(tb, path, 1, 7 /* SAVE_CANCELED */, 10000));
        paused = e2e_find_event(tb, path, 3, 0, 0);
        resumed = e2e_find_event(tb, path, 4, 0, 0);
        g_assert_cmpint(paused, >=, 0);
        g_assert_cmpint(resumed, >, paused);
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, pid);
        seen = e2e_serial_count(tb, "sv1", "TESTGUEST TICK");
        g_assert_true(e2e_wait_serial(tb, "sv1", "TESTGUEST TICK", seen + 1, 20000));
}

/* 0.5, revert of a running domain: the definition file cannot be written (immutable
 * config dir) → the error, the guest untouched, nothing on disk changed */
static void test_revert_config_unwritable_keeps_guest(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "data.qcow2");
        g_autofree char *dev = disk_xml(disk);
        g_autofree char *xml = e2e_guest_xml(tb, "rc1", UUID_A, NULL, NULL, dev);
        g_autofree char *path = define_ok(tb, xml);
        g_autofree char *cfgdir = test_root_file(tb, "etc/vmmd/qemu");
        g_autofree char *snap = NULL, *before = NULL, *after = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        pid_t pid;

        create_ok(tb, path, 0);
        g_assert_true(e2e_wait_serial(tb, "rc1", "TESTGUEST READY", 1, BOOT_MS));
        snap = snapshot_create(tb, path, "<domainsnapshot><name>on</name></domainsnapshot>", 0);
        pid = e2e_qemu_pid(tb, UUID_A);
        before = test_dir_snapshot(cfgdir);

        test_set_immutable(tb, cfgdir, true);
        test_bus_clear_signals(tb);
        g_assert_cmpint(test_call(tb, snap, SNAP_IFACE, "Revert", &e, NULL, "u", 0), <, 0);
        test_set_immutable(tb, cfgdir, false);
        assert_bus_error(&e, VMMD_DBUS_ERROR_SYSTEM_ERROR, "rc1");
        test_assert_no_domain_signals(tb);
        after = test_dir_snapshot(cfgdir);
        g_assert_cmpstr(before, ==, after);
        g_assert_true(e2e_wait_state(tb, path, 1, 5 /* UNPAUSED, as the snapshot left it */, 0));
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, pid);
        /* the guest did not start over */
        g_assert_cmpint(e2e_serial_count(tb, "rc1", "TESTGUEST READY"), ==, 1);
}

/* 0.5, snapshot delete of an inactive domain: the image cannot be changed (immutable)
 * → the error; the snapshot, its metadata and its data stay */
static void test_delete_image_unwritable_changes_nothing(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "data.qcow2");
        g_autofree char *dev = disk_xml(disk);
        g_autofree char *xml = e2e_guest_xml(tb, "dl1", UUID_A, NULL, NULL, dev);
        g_autofree char *path = define_ok(tb, xml);
        g_autofree char *snapdir = g_strdup_printf("%s/var/lib/vmmd/qemu/snapshot/dl1", tb->root);
        g_autofree char *snap = NULL, *before = NULL, *after = NULL, *listing = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        snap = snapshot_create(tb, path, "<domainsnapshot><name>s1</name></domainsnapshot>", 0);
        before = test_dir_snapshot(snapdir);
        test_set_immutable(tb, disk, true);
        test_bus_clear_signals(tb);
        g_assert_cmpint(test_call(tb, snap, SNAP_IFACE, "Delete", &e, NULL, "u", 0), <, 0);
        test_set_immutable(tb, disk, false);
        g_assert_nonnull(e.name);
        test_assert_no_signal_for(tb, snap);
        after = test_dir_snapshot(snapdir);
        g_assert_cmpstr(before, ==, after);
        g_assert_cmpuint(snapshot_total(tb, path), ==, 1);
        listing = qemu_img_snapshots(tb, disk);
        g_assert_nonnull(strstr(listing, "s1"));
}

/* 0.5, define over a running domain: the definition file cannot be written → the
 * error; no pending definition, Updated false, no signal */
static void test_define_running_unwritable_changes_nothing(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "dr1", UUID_A, NULL, NULL, NULL);
        g_autofree char *path = define_ok(tb, xml);
        g_autofree char *cfgdir = test_root_file(tb, "etc/vmmd/qemu");
        g_autofree char *newer = NULL, *inactive_before = NULL, *inactive_after = NULL, *before = NULL,
                        *after = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *m;

        create_ok(tb, path, 0);
        g_assert_true(e2e_wait_state(tb, path, 1, 1, BOOT_MS));
        newer = g_strdup(xml);
        m = strstr(newer, "<memory unit='MiB'>128</memory>");
        g_assert_nonnull(m);
        memcpy(m, "<memory unit='MiB'>192</memory>", strlen("<memory unit='MiB'>192</memory>"));
        inactive_before = test_get_xml(tb, path, 2);
        before = test_dir_snapshot(cfgdir);

        test_set_immutable(tb, cfgdir, true);
        test_bus_clear_signals(tb);
        g_assert_null(test_define(tb, newer, 0, &e));
        test_set_immutable(tb, cfgdir, false);
        assert_bus_error(&e, VMMD_DBUS_ERROR_SYSTEM_ERROR, "dr1");
        test_assert_no_domain_signals(tb);
        g_assert_false(test_prop_bool(tb, path, "Updated"));
        inactive_after = test_get_xml(tb, path, 2);
        g_assert_cmpstr(inactive_before, ==, inactive_after);
        after = test_dir_snapshot(cfgdir);
        g_assert_cmpstr(before, ==, after);
}

/* 0.5, Delete(CHILDREN) of an inactive domain: the parent's data is gone from the image
 * behind the daemon's back → the error before anything is deleted: the child, its
 * data and every metadata file stay (descendants were deleted first, then the failure) */
static void test_delete_children_checks_first(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "data.qcow2");
        g_autofree char *dev = disk_xml(disk);
        g_autofree char *xml = e2e_guest_xml(tb, "dc1", UUID_A, NULL, NULL, dev);
        g_autofree char *path = define_ok(tb, xml);
        g_autofree char *snapdir = g_strdup_printf("%s/var/lib/vmmd/qemu/snapshot/dc1", tb->root);
        g_autofree char *s1 = NULL, *s2 = NULL, *before = NULL, *after = NULL, *listing = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        s1 = snapshot_create(tb, path, "<domainsnapshot><name>s1</name></domainsnapshot>", 0);
        s2 = snapshot_create(tb, path, "<domainsnapshot><name>s2</name></domainsnapshot>", 0);
        {
                const char *argv[] = { "qemu-img", "snapshot", "-d", "s1", disk, NULL };
                g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        }
        before = test_dir_snapshot(snapdir);
        test_bus_clear_signals(tb);
        g_assert_cmpint(test_call(tb, s1, SNAP_IFACE, "Delete", &e, NULL, "u", 1 /* CHILDREN */), <, 0);
        g_assert_nonnull(strstr(e.message, "s1"));
        test_assert_no_signal_for(tb, s2);
        after = test_dir_snapshot(snapdir);
        g_assert_cmpstr(before, ==, after);
        g_assert_cmpuint(snapshot_total(tb, path), ==, 2);
        listing = qemu_img_snapshots(tb, disk);
        g_assert_nonnull(strstr(listing, "s2"));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/defects/autostart-restores-managed-save", test_autostart_restores_managed_save);
        g_test_add_func("/defects/failed-revert-changes-nothing", test_failed_revert_changes_nothing);
        g_test_add_func("/defects/failed-revert-keeps-guest", test_failed_revert_keeps_guest);
        g_test_add_func("/defects/create-autodestroy", test_create_autodestroy);
        g_test_add_func("/defects/reattached-transient-keeps-snapshots", test_reattached_transient_keeps_snapshots);
        g_test_add_func("/defects/reattach-mid-fake-reboot", test_reattach_mid_fake_reboot);
        g_test_add_func("/defects/delete-running-snapshot-with-space", test_delete_running_snapshot_with_space);
        g_test_add_func("/defects/delete-internal-after-disk-moved", test_delete_internal_after_disk_moved);
        g_test_add_func("/defects/failed-save-resumes-guest", test_failed_save_resumes_guest);
        g_test_add_func("/defects/revert-config-unwritable-keeps-guest", test_revert_config_unwritable_keeps_guest);
        g_test_add_func("/defects/delete-image-unwritable-changes-nothing", test_delete_image_unwritable_changes_nothing);
        g_test_add_func("/defects/define-running-unwritable-changes-nothing",
                        test_define_running_unwritable_changes_nothing);
        g_test_add_func("/defects/delete-children-checks-first", test_delete_children_checks_first);
        return g_test_run();
}
