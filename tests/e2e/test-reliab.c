/* End-to-end tests of issue 10's defects with a running guest: a FIFO as save target, and a
 * daemon killed (kill -9) in the middle of Save and of SnapshotCreateXML. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e-util.h"
#include "fileio.h"

#define QEMU_NAME QEMU_BUS_NAME
#define DOMAIN_IFACE QEMU_DOMAIN_INTERFACE
#define SNAP_IFACE QEMU_SNAPSHOT_INTERFACE
#define BOOT_MS 60000
#define JOB_MS 60000
#define UUID_A "4e6b1c2d-3a4f-4b5c-8d9e-0a0000000010"

static char *start_guest(TestBus *tb, const char *name, const char *devices) {
        g_autofree char *xml = e2e_guest_xml(tb, name, UUID_A, "testguest.tick=1", NULL, devices);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *path = test_define(tb, xml, 0, &e);

        if (!path)
                g_error("define: %s: %s", e.name, e.message);
        if (e2e_domain_call(tb, path, "Create", false, 0, &e) < 0)
                g_error("Create: %s: %s", e.name, e.message);
        g_assert_true(e2e_wait_serial(tb, name, "TESTGUEST TICK 2", 1, BOOT_MS));
        return path;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        sd_bus_error *e = userdata;

        if (sd_bus_message_is_method_error(m, NULL))
                sd_bus_error_copy(e, sd_bus_message_get_error(m));
        else
                sd_bus_error_set_const(e, "test.Ok", "ok");
        return 0;
}

/* Names in dir that have the partial-image pattern ".NAME.partial-XXXXXX". */
static unsigned count_partials(const char *dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *e;
        unsigned n = 0;

        while (d && (e = g_dir_read_name(d)))
                if (e[0] == '.' && strstr(e, ".partial-"))
                        n++;
        return n;
}

/* The status file names no job any more: nothing is left for a next re-attach to undo. */
static bool status_has_job(TestBus *tb, const char *name) {
        g_autofree char *file = g_strdup_printf("%s/run/vmmd/qemu/%s.xml", tb->root, name);
        g_autofree char *data = test_read_file(file);

        return data && strstr(data, "<job ");
}

/* A FIFO as Save target is refused at once (the daemon used to block on open() for ever,
 * and every other client with it); the guest keeps running, the FIFO stays. */
static void test_save_to_fifo(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *path = start_guest(tb, "f1", NULL);
        g_autofree char *fifo = g_strdup_printf("%s/f1.fifo", tb->dir);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        struct stat st;
        int state, reason;

        g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "Save", &e, NULL, "ssu", fifo, "", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "FIFO", "regular file");
        g_assert_cmpint(lstat(fifo, &st), ==, 0);
        g_assert_true(S_ISFIFO(st.st_mode));
        test_prop_state(tb, path, &state, &reason);
        g_assert_cmpint(state, ==, 1);
        g_assert_cmpuint(count_partials(tb->dir), ==, 0);
}

/* A directory as Save target: the same clear refusal. */
static void test_save_to_directory(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *path = start_guest(tb, "f2", NULL);
        g_autofree char *dir = g_strdup_printf("%s/adir", tb->dir);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        g_assert_cmpint(mkdir(dir, 0700), ==, 0);
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "Save", &e, NULL, "ssu", dir, "", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "directory");
        g_assert_true(g_file_test(dir, G_FILE_TEST_IS_DIR));
}

/* Freezes QEMU as soon as the job has paused the guest, kills the daemon, thaws QEMU: the
 * job was in flight when the daemon died. Returns QEMU's pid. */
static pid_t kill_daemon_in_job(TestBus *tb, const char *path, sd_bus_error *reply) {
        pid_t qemu = e2e_qemu_pid(tb, UUID_A);

        g_assert_cmpint(qemu, >, 0);
        g_assert_true(e2e_wait_event(tb, path, 3, 0, JOB_MS));
        g_assert_cmpint(kill(qemu, SIGSTOP), ==, 0);
        test_bus_kill_name(tb, QEMU_NAME);
        g_assert_cmpint(kill(qemu, SIGCONT), ==, 0);
        /* the call dies with the daemon */
        for (int i = 0; i < 50 && !sd_bus_error_is_set(reply); i++) {
                test_bus_drain(tb);
                if (!sd_bus_error_is_set(reply))
                        (void) sd_bus_wait(tb->bus, 100000);
        }
        g_assert_cmpstr(reply->name, !=, "test.Ok");
        return qemu;
}

/* kill -9 of the daemon during Save: the restarted daemon resumes the guest, removes the
 * partial image, leaves what was at the target alone, and a new Save works. */
static void test_daemon_killed_during_save(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *path = start_guest(tb, "k1", NULL);
        g_autofree char *file = g_strdup_printf("%s/k1.img", tb->dir);
        g_autofree char *kept = NULL, *magic = NULL;
        g_auto(sd_bus_error) reply = SD_BUS_ERROR_NULL, e = SD_BUS_ERROR_NULL;
        pid_t qemu;
        int seen;

        test_write_file(file, "an earlier file the save must not destroy\n");
        test_bus_clear_signals(tb);
        g_assert_cmpint(sd_bus_call_method_async(tb->bus, NULL, QEMU_NAME, path, DOMAIN_IFACE, "Save", on_reply,
                                                 &reply, "ssu", file, "", 0), >=, 0);
        qemu = kill_daemon_in_job(tb, path, &reply);
        test_bus_clear_signals(tb);

        /* any call brings the daemon back, which re-attaches and finishes the recovery */
        seen = e2e_serial_count(tb, "k1", "TESTGUEST TICK");
        g_assert_true(e2e_wait_state(tb, path, 1, -1, JOB_MS));
        g_assert_true(e2e_wait_event(tb, path, 4, 0, JOB_MS));
        g_assert_true(e2e_wait_serial(tb, "k1", "TESTGUEST TICK", seen + 2, JOB_MS));
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, qemu);
        kept = test_read_file(file);
        g_assert_cmpstr(kept, ==, "an earlier file the save must not destroy\n");
        g_assert_cmpuint(count_partials(tb->dir), ==, 0);
        for (int i = 0; i < 50 && status_has_job(tb, "k1"); i++)
                g_usleep(20000);   /* the status file is rewritten right after the resume */
        g_assert_false(status_has_job(tb, "k1"));

        /* nothing of the dead job is in the way of the next one */
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "Save", &e, NULL, "ssu", file, "", 0), >=, 0);
        g_assert_true(e2e_wait_pid_exit(qemu, 10000));
        magic = test_read_file(file);
        g_assert_nonnull(magic);
        g_assert_cmpmem(magic, 16, "VmmdSaveImage\0\0\0", 16);
        g_assert_cmpuint(count_partials(tb->dir), ==, 0);
}

static char *make_qcow2(TestBus *tb, const char *name) {
        g_autofree char *disk = g_strdup_printf("%s/%s", tb->dir, name);
        const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };

        g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        return g_steal_pointer(&disk);
}

static char *snapshot_path(TestBus *tb, const char *domain, const char *name, sd_bus_error *e) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *p;

        if (test_call(tb, domain, DOMAIN_IFACE, "SnapshotLookupByName", e, &reply, "su", name, 0) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
        return g_strdup(p);
}

static bool snap_is_current(TestBus *tb, const char *path) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int v = 0;

        g_assert_cmpint(sd_bus_get_property_trivial(tb->bus, QEMU_NAME, path, SNAP_IFACE, "IsCurrent", &e, 'b', &v),
                        >=, 0);
        return v;
}

static int snapshot_create(TestBus *tb, const char *domain, const char *name, sd_bus_error *e) {
        g_autofree char *xml = g_strdup_printf("<domainsnapshot><name>%s</name></domainsnapshot>", name);
        return test_call(tb, domain, DOMAIN_IFACE, "SnapshotCreateXML", e, NULL, "su", xml, 0);
}

/* kill -9 of the daemon during SnapshotCreateXML: the restarted daemon dismisses QEMU's job
 * (a later snapshot used to fail with "Job ID already in use"), keeps exactly one current
 * snapshot (the new one if the images hold it, else the one before), resumes the guest. */
static void test_daemon_killed_during_snapshot(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "k2.qcow2");
        g_autofree char *dev = g_strdup_printf("    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                                               "<source file='%s'/><target dev='vda' bus='virtio'/></disk>\n", disk);
        g_autofree char *path = start_guest(tb, "k2", dev);
        g_autofree char *s1 = NULL, *s2 = NULL, *s3 = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL, reply = SD_BUS_ERROR_NULL, l2 = SD_BUS_ERROR_NULL;
        g_auto(sd_bus_error) e3 = SD_BUS_ERROR_NULL, l1 = SD_BUS_ERROR_NULL, l3 = SD_BUS_ERROR_NULL;
        g_autofree char *xml = g_strdup("<domainsnapshot><name>s2</name></domainsnapshot>");
        int seen;

        g_assert_cmpint(snapshot_create(tb, path, "s1", &e), >=, 0);
        g_assert_true(e2e_wait_state(tb, path, 1, -1, JOB_MS));
        test_bus_clear_signals(tb);
        g_assert_cmpint(sd_bus_call_method_async(tb->bus, NULL, QEMU_NAME, path, DOMAIN_IFACE, "SnapshotCreateXML",
                                                 on_reply, &reply, "su", xml, 0), >=, 0);
        kill_daemon_in_job(tb, path, &reply);

        seen = e2e_serial_count(tb, "k2", "TESTGUEST TICK");
        g_assert_true(e2e_wait_state(tb, path, 1, -1, JOB_MS));
        g_assert_true(e2e_wait_serial(tb, "k2", "TESTGUEST TICK", seen + 2, JOB_MS));
        for (int i = 0; i < 50 && status_has_job(tb, "k2"); i++)
                g_usleep(20000);
        g_assert_false(status_has_job(tb, "k2"));

        /* exactly one current snapshot: s2 if it was taken, else s1 again */
        s1 = snapshot_path(tb, path, "s1", &l1);
        s2 = snapshot_path(tb, path, "s2", &l2);
        g_assert_nonnull(s1);
        if (s2) {
                g_assert_true(snap_is_current(tb, s2));
                g_assert_false(snap_is_current(tb, s1));
        } else {
                assert_bus_error(&l2, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT);
                g_assert_true(snap_is_current(tb, s1));
        }
        g_assert_true(test_prop_bool(tb, path, "HasCurrentSnapshot"));

        /* QEMU's job of the dead daemon is gone: the next snapshot works */
        if (snapshot_create(tb, path, "s3", &e3) < 0)
                g_error("snapshot after the interrupted one: %s: %s", e3.name, e3.message);
        s3 = snapshot_path(tb, path, "s3", &l3);
        g_assert_nonnull(s3);
        g_assert_true(snap_is_current(tb, s3));
        g_assert_true(e2e_wait_state(tb, path, 1, -1, JOB_MS));
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/reliab/save-to-fifo", test_save_to_fifo);
        g_test_add_func("/reliab/save-to-directory", test_save_to_directory);
        g_test_add_func("/reliab/daemon-killed-during-save", test_daemon_killed_during_save);
        g_test_add_func("/reliab/daemon-killed-during-snapshot", test_daemon_killed_during_snapshot);
        return g_test_run();
}
