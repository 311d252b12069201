/* End-to-end regression tests for the vmmd-qemu defects of issue 9: each failed on the code before its fix. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e-util.h"
#include "fileio.h"

#define MANAGER "/org/vmmd/qemu1"
#define MANAGER_IFACE "org.vmmd.qemu1.Manager"
#define DOMAIN_IFACE "org.vmmd.qemu1.Domain"
#define SNAP_IFACE "org.vmmd.qemu1.DomainSnapshot"
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
        test_bus_kill_name(tb, "org.vmmd.qemu1");
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

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/defects/autostart-restores-managed-save", test_autostart_restores_managed_save);
        return g_test_run();
}
