/* Save images read from what is not a regular file (issue 10): a FIFO once blocked the whole
 * daemon in open(), a directory gave "too short to hold a header". Both are refused clearly. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-harness.h"

#define MANAGER QEMU_MANAGER_PATH
#define MANAGER_IFACE QEMU_MANAGER_INTERFACE

static int restore(TestBus *tb, const char *file, sd_bus_error *e) {
        return test_call(tb, MANAGER, MANAGER_IFACE, "DomainRestore", e, NULL, "ssu", file, "", 0);
}

static void test_restore_from_fifo(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *fifo = g_build_filename(tb->dir, "image.fifo", NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL, g = SD_BUS_ERROR_NULL, d = SD_BUS_ERROR_NULL;
        g_auto(sd_bus_error) l = SD_BUS_ERROR_NULL;
        g_autofree char *none = NULL;
        struct stat st;

        g_assert_cmpint(mkfifo(fifo, 0600), ==, 0);
        g_assert_cmpint(restore(tb, fifo, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "FIFO", "not a regular file");
        g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainSaveImageGetXMLDesc", &g, NULL, "su", fifo, 0),
                        <, 0);
        assert_bus_error(&g, VMMD_DBUS_ERROR_OPERATION_INVALID, "FIFO");
        g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainSaveImageDefineXML", &d, NULL, "ssu", fifo,
                                  "<domain/>", 0), <, 0);
        assert_bus_error(&d, VMMD_DBUS_ERROR_OPERATION_INVALID, "FIFO");
        /* the daemon still answers everyone else */
        none = test_lookup(tb, "DomainLookupByName", "nothing", &l);
        g_assert_null(none);
        assert_bus_error(&l, VMMD_DBUS_ERROR_NO_DOMAIN);
        g_assert_cmpint(lstat(fifo, &st), ==, 0);
        g_assert_true(S_ISFIFO(st.st_mode));
}

static void test_restore_from_directory(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *dir = g_build_filename(tb->dir, "images", NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        g_assert_cmpint(mkdir(dir, 0700), ==, 0);
        g_assert_cmpint(restore(tb, dir, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "is a directory", "not a regular file");
        g_assert_null(strstr(e.message, "too short"));
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/save-targets/restore-from-fifo", test_restore_from_fifo);
        g_test_add_func("/save-targets/restore-from-directory", test_restore_from_directory);
        return g_test_run();
}
