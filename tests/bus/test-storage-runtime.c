/* Bus tests for vmmd-storage as a bus service: state across a kill and re-activation,
 * autostart once per boot, the single-instance lock, idle exit, ObjectManager and
 * introspection, and the lookups vmmd-qemu makes (spec storage.md §4, S21, S70–S72, §8). */
#include <fcntl.h>

#include "test-storage-common.h"

/* S70: an active pool with volumes survives kill -9; nothing is emitted on re-activation */
static void test_kill_restart(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *q = st_dir_pool(tb, "q", UUID2, false);
        g_autofree char *x1 = st_vol_xml("a.img", 1 << 20, 0, "raw", NULL);
        g_autofree char *x2 = st_vol_xml("b.qcow2", 1 << 20, -1, "qcow2", NULL);
        g_autofree char *va = st_vol_create_ok(tb, p, x1, 0);
        g_autofree char *vb = st_vol_create_ok(tb, p, x2, 0);
        g_autofree char *xml_before = st_get_xml(tb, vb, ST_VOL_IFACE, 0);
        g_autofree char *pool_before = st_get_xml(tb, p, ST_POOL_IFACE, 1);
        g_autofree char *xml_after = NULL, *pool_after = NULL;
        g_auto(GStrv) vols = NULL, pools = NULL;
        pid_t pid1;

        g_assert_cmpint(sd_bus_set_property(tb->bus, ST, q, ST_POOL_IFACE, "Autostart", NULL, "b", 1), >=, 0);
        pid1 = test_bus_name_pid(tb, ST);
        test_bus_kill_name(tb, ST);
        g_assert_true(test_wait_pid_exit(pid1, 10000));
        test_bus_clear_signals(tb);

        pools = st_list_pools(tb, 0);   /* activates it again */
        g_assert_cmpuint(g_strv_length(pools), ==, 2);
        g_assert_cmpint(test_bus_name_pid(tb, ST), !=, pid1);
        g_assert_true(st_prop_b(tb, p, "Active"));
        g_assert_false(st_prop_b(tb, q, "Active"));   /* autostart ran at the first start only */
        g_assert_true(st_prop_b(tb, q, "Autostart"));
        vols = st_list_vols(tb, p);
        g_assert_cmpuint(g_strv_length(vols), ==, 2);
        g_assert_cmpstr(vols[0], ==, va);
        g_assert_cmpstr(vols[1], ==, vb);
        xml_after = st_get_xml(tb, vb, ST_VOL_IFACE, 0);
        pool_after = st_get_xml(tb, p, ST_POOL_IFACE, 1);
        g_assert_cmpstr(pool_after, ==, pool_before);
        {
                g_autofree char *f1 = st_xpath(xml_before, "/volume/target/format/@type");
                g_autofree char *f2 = st_xpath(xml_after, "/volume/target/format/@type");
                g_assert_cmpstr(f1, ==, f2);
        }
        g_assert_cmpint(test_bus_find_signal(tb, "StoragePoolEvent", NULL, 0), <, 0);
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesAdded", NULL, 0), <, 0);
}

/* S71: a pool whose directory went away while the daemon was down comes back inactive;
 * a transient one is gone */
static void test_restart_lost_dir(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *dir = st_pool_dir(tb, "p");
        g_autofree char *tdir = st_pool_dir(tb, "t");
        g_autofree char *txml = st_pool_xml("dir", "t", UUID2, tdir, NULL);
        g_autofree char *state = test_root_file(tb, "run/vmmd/storage/p.xml");
        g_autofree char *tstate = test_root_file(tb, "run/vmmd/storage/t.xml");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *t = st_call_path(tb, ST_MANAGER, ST_MANAGER_IFACE, "StoragePoolCreateXML", &e, "su", txml,
                                               POOL_CREATE_WITH_BUILD);
        g_auto(GStrv) pools = NULL;

        g_assert_nonnull(t);
        g_assert_true(g_file_test(tstate, G_FILE_TEST_EXISTS));
        test_bus_kill_name(tb, ST);
        g_assert_cmpint(vmmd_rm_rf(dir), ==, 0);
        g_assert_cmpint(vmmd_rm_rf(tdir), ==, 0);
        pools = st_list_pools(tb, 0);
        g_assert_cmpuint(g_strv_length(pools), ==, 1);
        g_assert_cmpstr(pools[0], ==, p);
        g_assert_false(st_prop_b(tb, p, "Active"));
        g_assert_false(g_file_test(state, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(tstate, G_FILE_TEST_EXISTS));
}

/* S21, §4 step 4: autostart at the first start of a boot (no marker), not after re-activation */
static void test_autostart_once(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *a = st_dir_pool(tb, "a", UUID1, false);
        g_autofree char *b = st_dir_pool(tb, "b", UUID2, false);
        g_autofree char *marker = test_root_file(tb, "run/vmmd/storage/autostarted");
        g_autofree char *dira = st_pool_dir(tb, "a");

        st_ok(tb, a, ST_POOL_IFACE, "Build", "u", 0);
        g_assert_cmpint(sd_bus_set_property(tb->bus, ST, a, ST_POOL_IFACE, "Autostart", NULL, "b", 1), >=, 0);
        /* b's directory does not exist: its autostart fails, a's still happens */
        g_assert_cmpint(sd_bus_set_property(tb->bus, ST, b, ST_POOL_IFACE, "Autostart", NULL, "b", 1), >=, 0);
        g_assert_true(g_file_test(marker, G_FILE_TEST_EXISTS));   /* the first start wrote it */

        /* a new boot: the runtime directory is empty again */
        test_bus_kill_name(tb, ST);
        g_assert_cmpint(unlink(marker), ==, 0);
        g_assert_true(st_prop_b(tb, a, "Active"));
        g_assert_false(st_prop_b(tb, b, "Active"));
        g_assert_true(g_file_test(marker, G_FILE_TEST_EXISTS));

        /* the user stops it; a re-activation in the same boot leaves it stopped */
        st_ok(tb, a, ST_POOL_IFACE, "Destroy", NULL);
        test_bus_kill_name(tb, ST);
        g_assert_false(st_prop_b(tb, a, "Active"));
        g_assert_true(g_file_test(dira, G_FILE_TEST_IS_DIR));
}

/* §4: a definition file whose <name> differs from its file name is skipped; a pending
 * definition (S6) is found again next to the state file */
static void test_load_rules(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *other = st_pool_dir(tb, "other");
        g_autofree char *x = st_pool_xml("dir", "p", UUID1, other, NULL);
        g_autofree char *bogus = test_root_file(tb, "etc/vmmd/storage/wrong.xml");
        g_autofree char *bx = st_pool_xml("dir", "right", UUID3, "/tmp/right", NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *again = st_define(tb, x, 0, &e);
        g_autofree char *pending = NULL, *live = NULL, *dir = st_pool_dir(tb, "p");
        g_auto(GStrv) pools = NULL;

        g_assert_cmpstr(again, ==, p);
        test_write_file(bogus, bx);
        test_bus_kill_name(tb, ST);
        pools = st_list_pools(tb, 0);
        g_assert_cmpuint(g_strv_length(pools), ==, 1);
        live = st_get_xml(tb, p, ST_POOL_IFACE, 0);
        pending = st_get_xml(tb, p, ST_POOL_IFACE, 1);
        g_assert_nonnull(strstr(live, dir));
        g_assert_nonnull(strstr(pending, other));
        g_assert_true(g_file_test(bogus, G_FILE_TEST_EXISTS));   /* skipped, never removed */
}

/* §4: a second instance cannot take driver.pid and touches nothing */
static void test_single_instance(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *exe = g_build_filename(g_getenv("VMMD_BUILD_ROOT") ? g_getenv("VMMD_BUILD_ROOT") : "build",
                                                "daemons", "vmmd-storage", "vmmd-storage", NULL);
        g_autofree char *root_arg = g_strdup_printf("--root=%s", tb->root);
        g_autofree char *addr_arg = g_strdup_printf("--address=%s", tb->address);
        g_autofree char *before = test_dir_snapshot(tb->root);
        g_autofree char *after = NULL, *err = NULL;
        const char *const argv[] = { exe, root_arg, addr_arg, "--timeout=1", NULL };
        int status;

        g_assert_true(test_bus_name_pid(tb, ST) > 0);
        status = test_run(tb, false, NULL, &err, argv);
        g_assert_cmpint(status, !=, 0);
        g_assert_nonnull(strstr(err, "another vmmd-storage is running"));
        after = test_dir_snapshot(tb->root);
        g_assert_cmpstr(after, ==, before);
        g_assert_true(st_prop_b(tb, p, "Active"));
}

/* the daemon goes when idle and comes back with everything */
static void test_idle_exit(void) {
        const char *const env[] = { "VMMD_TIMEOUT=1", NULL };
        g_autoptr(TestBus) tb = test_bus_new(env);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        pid_t pid = test_bus_name_pid(tb, ST);
        g_auto(GStrv) pools = NULL;

        g_assert_true(test_bus_wait_name_gone(tb, ST, 10000));
        g_assert_true(test_wait_pid_exit(pid, 10000));
        pools = st_list_pools(tb, POOL_LIST_ACTIVE);
        g_assert_cmpuint(g_strv_length(pools), ==, 1);
        g_assert_cmpstr(pools[0], ==, p);
}

/* ObjectManager lists pools and the volumes of active pools with their interfaces; busctl
 * introspect shows the documented members */
static void test_object_manager(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *q = st_dir_pool(tb, "q", UUID2, false);
        g_autofree char *x = st_vol_xml("v.img", 4096, 0, "raw", NULL);
        g_autofree char *v = st_vol_create_ok(tb, p, x, 0);
        g_autofree char *out = NULL, *err = NULL, *vout = NULL;
        static const char *const pool_members[] = { ".Build", ".Create", ".Destroy", ".Delete", ".Undefine", ".Refresh",
                                                    ".GetInfo", ".GetXMLDesc", ".ListStorageVolumes",
                                                    ".StorageVolLookupByName", ".StorageVolCreateXML",
                                                    ".StorageVolCreateXMLFrom", ".Name", ".UUID", ".Type", ".Active",
                                                    ".Persistent", ".Autostart", ".Capacity", ".Allocation",
                                                    ".Available", ".Refresh" };
        static const char *const vol_members[] = { ".Delete", ".GetInfo", ".GetXMLDesc", ".Resize", ".Wipe",
                                                   ".WipePattern", ".Upload", ".Download", ".Name", ".Key", ".Path",
                                                   ".Type", ".Pool" };
        int r;

        r = test_run(tb, false, &out, &err, (const char *const[]) { "busctl", "--user", "--json=short", "call", ST,
                                                                    ST_MANAGER, "org.freedesktop.DBus.ObjectManager",
                                                                    "GetManagedObjects", NULL });
        g_assert_cmpint(r, ==, 0);
        g_assert_nonnull(strstr(out, p));
        g_assert_nonnull(strstr(out, q));
        g_assert_nonnull(strstr(out, v));
        g_assert_nonnull(strstr(out, ST_VOL_IFACE));
        g_free(out);
        r = test_run(tb, false, &out, &err, (const char *const[]) { "busctl", "--user", "introspect", "--no-pager", ST,
                                                                    p, ST_POOL_IFACE, NULL });
        g_assert_cmpint(r, ==, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(pool_members); i++)
                if (!strstr(out, pool_members[i]))
                        g_error("introspection of a pool lacks %s:\n%s", pool_members[i], out);
        r = test_run(tb, false, &vout, &err, (const char *const[]) { "busctl", "--user", "introspect", "--no-pager", ST,
                                                                     v, ST_VOL_IFACE, NULL });
        g_assert_cmpint(r, ==, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(vol_members); i++)
                if (!strstr(vout, vol_members[i]))
                        g_error("introspection of a volume lacks %s:\n%s", vol_members[i], vout);
        {
                /* later work answers NoSupport */
                g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL;
                g_assert_cmpint(st_call(tb, ST_MANAGER, ST_MANAGER_IFACE, "FindStoragePoolSources", &e1, NULL, "ssu",
                                        "netfs", "", 0), <, 0);
                assert_bus_error(&e1, VMMD_DBUS_ERROR_NO_SUPPORT);
                g_assert_cmpint(st_call(tb, ST_MANAGER, ST_MANAGER_IFACE, "GetStoragePoolCapabilities", &e2, NULL, "u", 0),
                                <, 0);
                assert_bus_error(&e2, VMMD_DBUS_ERROR_NO_SUPPORT);
        }
}

/* §8: what vmmd-qemu asks for a <disk type='volume'>: pool by name, Active, volume by name,
 * its Path and GetInfo type, the pool's type and the volume's format */
static void test_qemu_resolution(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "images", UUID1, true);
        g_autofree char *x = st_vol_xml("disk.qcow2", 16 << 20, -1, "qcow2", NULL);
        g_autofree char *v = st_vol_create_ok(tb, p, x, 0);
        g_autofree char *expect = NULL, *pool_path = NULL, *vol_path = NULL, *path = NULL, *vxml = NULL;
        g_autofree char *pxml = NULL, *fmt = NULL, *ptype = NULL, *dir = st_pool_dir(tb, "images");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL;
        int type;
        uint64_t cap, alloc;

        pool_path = st_lookup(tb, "StoragePoolLookupByName", "images", &e);
        g_assert_cmpstr(pool_path, ==, p);
        g_assert_true(st_prop_b(tb, pool_path, "Active"));
        vol_path = st_vol_lookup(tb, pool_path, "disk.qcow2", &e);
        g_assert_cmpstr(vol_path, ==, v);
        path = st_prop_s(tb, vol_path, ST_VOL_IFACE, "Path");
        expect = g_build_filename(dir, "disk.qcow2", NULL);
        g_assert_cmpstr(path, ==, expect);
        st_vol_info(tb, vol_path, 0, &type, &cap, &alloc);
        g_assert_cmpint(type, ==, 0);
        g_assert_cmpuint(cap, ==, 16 << 20);
        vxml = st_get_xml(tb, vol_path, ST_VOL_IFACE, 0);
        fmt = st_xpath(vxml, "/volume/target/format/@type");
        g_assert_cmpstr(fmt, ==, "qcow2");
        {
                g_autofree char *t = st_prop_s(tb, pool_path, ST_POOL_IFACE, "Type");
                g_assert_cmpstr(t, ==, "dir");
        }
        pxml = st_get_xml(tb, pool_path, ST_POOL_IFACE, 0);
        ptype = st_xpath(pxml, "/pool/@type");
        g_assert_cmpstr(ptype, ==, "dir");
        st_ok(tb, p, ST_POOL_IFACE, "Destroy", NULL);
        g_assert_false(st_prop_b(tb, pool_path, "Active"));
        g_assert_null(st_vol_lookup(tb, pool_path, "disk.qcow2", &e2));
        assert_bus_error(&e2, VMMD_DBUS_ERROR_OPERATION_INVALID, "'images' is not active");
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/storage/runtime/kill-restart", test_kill_restart);
        g_test_add_func("/storage/runtime/restart-lost-dir", test_restart_lost_dir);
        g_test_add_func("/storage/runtime/autostart-once", test_autostart_once);
        g_test_add_func("/storage/runtime/load-rules", test_load_rules);
        g_test_add_func("/storage/runtime/single-instance", test_single_instance);
        g_test_add_func("/storage/runtime/idle-exit", test_idle_exit);
        g_test_add_func("/storage/runtime/object-manager", test_object_manager);
        g_test_add_func("/storage/runtime/qemu-resolution", test_qemu_resolution);
        return g_test_run();
}
