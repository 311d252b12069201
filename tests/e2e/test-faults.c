/* Failure injection at steps no real condition reaches (issue 9 D21, E16, 0.5 for Save): a
 * test build lets a test arm one QMP command to fail (test-fault.h); QEMU itself then
 * answers with an error and the daemon takes its real failure path. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e-util.h"

#define DOMAIN_IFACE QEMU_DOMAIN_INTERFACE
#define BOOT_MS 60000
#define STOP_MS 30000
#define UUID_A "2f4e6a8c-1b3d-4e5f-8a7b-0f0000000001"

/* Index of the first DomainEvent of that kind for path, whatever its detail, or -1. */
static int find_any_event(TestBus *tb, const char *path, int event) {
        for (int i = 0; (i = test_bus_find_signal(tb, "DomainEvent", path, i)) >= 0; i++)
                if (test_signal(tb, i)->event == event)
                        return i;
        return -1;
}

static void assert_state(TestBus *tb, const char *path, int state, int reason) {
        int s, r;

        test_prop_state(tb, path, &s, &r);
        g_assert_cmpint(s, ==, state);
        g_assert_cmpint(r, ==, reason);
}

/* D21: the snapshot is taken, resuming fails → OperationFailed mentioning resuming,
 * PAUSED/API_ERROR with SUSPENDED/API_ERROR; the snapshot (metadata and image) is kept */
static void test_snapshot_resume_fails(void) {
        g_autofree char *dir = e2e_faults_dir();
        g_autoptr(E2EBus) tb = NULL;
        g_autofree char *disk = NULL, *dev = NULL, *path = NULL, *out = NULL, *meta = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        pid_t pid;

        if (e2e_skip_without_hooks())
                return;
        tb = e2e_bus_with_faults(dir, NULL);
        disk = g_build_filename(tb->dir, "data.qcow2", NULL);
        {
                const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };
                g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        }
        dev = g_strdup_printf("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                              "<source file='%s'/><target dev='vda' bus='virtio'/></disk>", disk);
        path = e2e_boot_guest(tb, "snapfault", UUID_A, dev);
        pid = e2e_qemu_pid(tb, UUID_A);
        test_bus_clear_signals(tb);
        e2e_fault_arm(dir, "cont");
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "SnapshotCreateXML", &e, NULL, "su",
                                  "<domainsnapshot><name>kept</name></domainsnapshot>", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, "snapshot taken", "resuming");
        g_assert_false(e2e_fault_armed(dir, "cont"));
        assert_state(tb, path, DOMAIN_PAUSED, DOMAIN_PAUSED_API_ERROR);
        g_assert_true(e2e_wait_event(tb, path, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_API_ERROR, 5000));
        g_assert_cmpint(find_any_event(tb, path, DOMAIN_EVENT_RESUMED), ==, -1);
        /* the guest is alive in the same QEMU, and the snapshot stays */
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, pid);
        meta = test_root_file(tb, "var/lib/vmmd/qemu/snapshot/snapfault/kept.xml");
        g_assert_true(g_file_test(meta, G_FILE_TEST_IS_REGULAR));
        {
                const char *argv[] = { "qemu-img", "snapshot", "-l", "-U", disk, NULL };
                g_assert_cmpint(test_run(tb, false, &out, NULL, argv), ==, 0);
                g_assert_nonnull(strstr(out, "kept"));
        }
        e2e_faults_dir_remove(dir);
}

/* E16: in a fake reboot, system_reset (or cont) fails → QEMU is killed, SHUTOFF/CRASHED with
 * STOPPED/FAILED; a persistent domain stays defined */
static void reboot_step_fails(const char *point) {
        g_autofree char *dir = e2e_faults_dir();
        g_autoptr(E2EBus) tb = NULL;
        g_autofree char *path = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        pid_t pid;

        if (e2e_skip_without_hooks())
                return;
        tb = e2e_bus_with_faults(dir, NULL);
        path = e2e_boot_guest(tb, "rebootfault", UUID_A, NULL);
        pid = e2e_qemu_pid(tb, UUID_A);
        g_assert_cmpint(pid, >, 0);
        test_bus_clear_signals(tb);
        e2e_fault_arm(dir, point);
        g_assert_cmpint(e2e_domain_call(tb, path, "Reboot", false, 0, &e), >=, 0);
        g_assert_true(e2e_wait_event(tb, path, DOMAIN_EVENT_STOPPED, DOMAIN_EVENT_STOPPED_FAILED, STOP_MS));
        g_assert_false(e2e_fault_armed(dir, point));
        g_assert_true(e2e_wait_pid_exit(pid, STOP_MS));
        assert_state(tb, path, DOMAIN_SHUTOFF, DOMAIN_SHUTOFF_CRASHED);
        g_assert_false(test_prop_bool(tb, path, "Active"));
        g_assert_cmpint(test_prop_int(tb, path, "Id"), ==, -1);
        g_assert_true(test_prop_bool(tb, path, "Persistent"));
        g_assert_cmpint(e2e_serial_count(tb, "rebootfault", "TESTGUEST READY"), ==, 1);
        e2e_faults_dir_remove(dir);
}

static void test_reboot_reset_fails(void) {
        reboot_step_fails("system_reset");
}

static void test_reboot_cont_fails(void) {
        reboot_step_fails("cont");
}

/* E16 for a transient domain: it disappears (InterfacesRemoved after STOPPED/FAILED) */
static void test_reboot_fails_transient(void) {
        g_autofree char *dir = e2e_faults_dir();
        g_autoptr(E2EBus) tb = NULL;
        g_autofree char *xml = NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_auto(GStrv) left = NULL;
        const char *path;
        int stopped, removed;

        if (e2e_skip_without_hooks())
                return;
        tb = e2e_bus_with_faults(dir, NULL);
        xml = e2e_guest_xml(tb, "transfault", UUID_A, NULL, NULL, NULL);
        g_assert_cmpint(test_call(tb, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE, "DomainCreateXML", &e, &reply, "su",
                                  xml, 0), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "o", &path), >=, 0);
        g_assert_true(e2e_wait_serial(tb, "transfault", "TESTGUEST READY", 1, BOOT_MS));
        test_bus_clear_signals(tb);
        e2e_fault_arm(dir, "system_reset");
        g_assert_cmpint(e2e_domain_call(tb, path, "Reboot", false, 0, &e), >=, 0);
        g_assert_true(e2e_wait_event(tb, path, DOMAIN_EVENT_STOPPED, DOMAIN_EVENT_STOPPED_FAILED, STOP_MS));
        g_assert_nonnull(test_bus_wait_signal(tb, "InterfacesRemoved", STOP_MS));
        stopped = e2e_find_event(tb, path, DOMAIN_EVENT_STOPPED, DOMAIN_EVENT_STOPPED_FAILED, 0);
        removed = test_bus_find_signal(tb, "InterfacesRemoved", path, 0);
        g_assert_cmpint(removed, >, stopped);
        left = test_list_domains(tb, 0);
        g_assert_cmpuint(g_strv_length(left), ==, 0);
        e2e_faults_dir_remove(dir);
}

/* 0.5, C10, C12: Save fails at its midpoint (QEMU refuses the migration after the pause and
 * the image's header): the guest runs again (RUNNING/SAVE_CANCELED, RESUMED/UNPAUSED) in the
 * same QEMU, and the file the call created is gone */
static void test_save_midpoint_fails(void) {
        g_autofree char *dir = e2e_faults_dir();
        g_autoptr(E2EBus) tb = NULL;
        g_autofree char *path = NULL, *file = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        pid_t pid;

        if (e2e_skip_without_hooks())
                return;
        tb = e2e_bus_with_faults(dir, NULL);
        path = e2e_boot_guest(tb, "savefault", UUID_A, NULL);
        pid = e2e_qemu_pid(tb, UUID_A);
        file = g_build_filename(tb->dir, "midpoint.save", NULL);
        test_bus_clear_signals(tb);
        e2e_fault_arm(dir, "migrate");
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "Save", &e, NULL, "ssu", file, "", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED);
        g_assert_false(e2e_fault_armed(dir, "migrate"));
        g_assert_true(e2e_wait_state(tb, path, DOMAIN_RUNNING, DOMAIN_RUNNING_SAVE_CANCELED, 5000));
        g_assert_true(e2e_wait_event(tb, path, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED, 5000));
        g_assert_cmpint(e2e_find_event(tb, path, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_PAUSED, 0), >=, 0);
        g_assert_cmpint(find_any_event(tb, path, DOMAIN_EVENT_STOPPED), ==, -1);
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, pid);
        g_assert_false(g_file_test(file, G_FILE_TEST_EXISTS));
        test_assert_no_temp_files(tb->dir);
        g_assert_false(test_prop_bool(tb, path, "HasManagedSaveImage"));
        e2e_faults_dir_remove(dir);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/faults/snapshot-resume-fails", test_snapshot_resume_fails);
        g_test_add_func("/faults/reboot-reset-fails", test_reboot_reset_fails);
        g_test_add_func("/faults/reboot-cont-fails", test_reboot_cont_fails);
        g_test_add_func("/faults/reboot-fails-transient", test_reboot_fails_transient);
        g_test_add_func("/faults/save-midpoint-fails", test_save_midpoint_fails);
        return g_test_run();
}
