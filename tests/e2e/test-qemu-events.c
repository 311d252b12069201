/* End-to-end tests for guest pauses QEMU decides on its own (spec F3): a disk I/O error under error_policy='stop' and a watchdog with action='pause'. */
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e-util.h"

#define BOOT_MS 60000
#define PAUSE_MS 60000
#define UUID_A "4b7e1d2c-5a6f-4e3d-9c8b-0e00000000f3"

#define STATE_PAUSED 3
#define PAUSED_IOERROR 5
#define PAUSED_WATCHDOG 6
#define EVENT_SUSPENDED 3
#define SUSPENDED_PAUSED 0
#define SUSPENDED_IOERROR 2
#define SUSPENDED_WATCHDOG 3

static char *define_ok(TestBus *tb, const char *xml) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *path = test_define(tb, xml, 0, &e);

        if (!path)
                g_error("define: %s: %s", e.name, e.message);
        return path;
}

static void call_ok(TestBus *tb, const char *path, const char *method, unsigned flags) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        if (e2e_domain_call(tb, path, method, false, flags, &e) < 0)
                g_error("%s: %s: %s", method, e.name, e.message);
}

/* F3: the guest writes a raw disk whose file sits on a 4 MiB tmpfs; the first write past
 * the space left fails with ENOSPC in QEMU, which stops the guest: PAUSED/IOERROR and
 * SUSPENDED/IOERROR, and no plain SUSPENDED/PAUSED for the STOP that follows */
static void test_io_error_pauses(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *mnt = g_strdup_printf("%s/small", tb->dir);
        g_autofree char *img = g_strdup_printf("%s/data.raw", mnt);
        g_autofree char *disk = NULL, *xml = NULL, *path = NULL;
        int fd, first, s, r;

        g_assert_cmpint(mkdir(mnt, 0755), ==, 0);
        /* the whole test runs in its own mount namespace (main): the mount goes with it */
        g_assert_cmpint(mount("vmmd-f3", mnt, "tmpfs", 0, "size=4m"), ==, 0);
        fd = open(img, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(ftruncate(fd, 64 << 20), ==, 0);   /* sparse: the guest sees 64 MiB */
        close(fd);

        disk = g_strdup_printf("    <disk type='file' device='disk'>\n"
                               "      <driver name='qemu' type='raw' error_policy='stop'/>\n"
                               "      <source file='%s'/>\n"
                               "      <target dev='vda' bus='virtio'/>\n"
                               "    </disk>\n", img);
        xml = e2e_guest_xml(tb, "ioerr", UUID_A, "testguest.fill=/dev/vda", NULL, disk);
        path = define_ok(tb, xml);
        /* the policy is kept in the definition as written */
        {
                g_autofree char *back = test_get_xml(tb, path, 0);

                g_assert_nonnull(strstr(back, "error_policy='stop'"));
        }

        test_bus_clear_signals(tb);
        call_ok(tb, path, "Create", 0);
        g_assert_true(e2e_wait_serial(tb, "ioerr", "TESTGUEST READY", 1, BOOT_MS));
        g_assert_true(e2e_wait_event(tb, path, EVENT_SUSPENDED, SUSPENDED_IOERROR, PAUSE_MS));
        g_assert_true(e2e_wait_state(tb, path, STATE_PAUSED, PAUSED_IOERROR, 0));
        first = e2e_find_event(tb, path, EVENT_SUSPENDED, SUSPENDED_IOERROR, 0);
        g_assert_cmpint(e2e_find_event(tb, path, EVENT_SUSPENDED, SUSPENDED_PAUSED, 0), ==, -1);
        /* one SUSPENDED only */
        g_assert_cmpint(e2e_find_event(tb, path, EVENT_SUSPENDED, SUSPENDED_IOERROR, first + 1), ==, -1);
        /* the guest never saw the error: it is stopped, not told */
        g_assert_cmpint(e2e_serial_count(tb, "ioerr", "TESTGUEST FILL"), ==, 0);
        test_prop_state(tb, path, &s, &r);
        g_assert_cmpint(s, ==, STATE_PAUSED);
        g_assert_cmpint(r, ==, PAUSED_IOERROR);

        call_ok(tb, path, "Destroy", 0);
        e2e_kill_qemus(tb);
        g_assert_cmpint(umount2(mnt, MNT_DETACH), ==, 0);
}

/* F3: an i6300esb that the guest arms and never feeds fires; with action='pause' the
 * guest pauses: PAUSED/WATCHDOG and SUSPENDED/WATCHDOG */
static void test_watchdog_pauses(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "wd", UUID_A, "testguest.watchdog=1 testguest.wdtime=2", NULL,
                                             "    <watchdog model='i6300esb' action='pause'/>\n");
        g_autofree char *path = define_ok(tb, xml);
        int first;

        test_bus_clear_signals(tb);
        call_ok(tb, path, "Create", 0);
        g_assert_true(e2e_wait_serial(tb, "wd", "TESTGUEST WATCHDOG armed", 1, BOOT_MS));
        g_assert_true(e2e_wait_event(tb, path, EVENT_SUSPENDED, SUSPENDED_WATCHDOG, PAUSE_MS));
        g_assert_true(e2e_wait_state(tb, path, STATE_PAUSED, PAUSED_WATCHDOG, 0));
        first = e2e_find_event(tb, path, EVENT_SUSPENDED, SUSPENDED_WATCHDOG, 0);
        g_assert_cmpint(e2e_find_event(tb, path, EVENT_SUSPENDED, SUSPENDED_PAUSED, 0), ==, -1);
        g_assert_cmpint(e2e_find_event(tb, path, EVENT_SUSPENDED, SUSPENDED_WATCHDOG, first + 1), ==, -1);
        call_ok(tb, path, "Destroy", 0);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        /* a mount namespace of its own, inherited by the bus, the daemon and its QEMUs: the
         * tmpfs of the I/O error test is gone with them even if an assertion aborts the test */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                g_error("cannot make a mount namespace for the test: %s", g_strerror(errno));
        g_test_add_func("/events/io-error-pauses", test_io_error_pauses);
        g_test_add_func("/events/watchdog-pauses", test_watchdog_pauses);
        return g_test_run();
}
