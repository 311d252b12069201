/* Bus tests for Domain.Undefine of inactive domains (spec domains.md B1–B10, B12). */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-harness.h"

#define MANAGER QEMU_MANAGER_PATH
#define MANAGER_IFACE QEMU_MANAGER_INTERFACE
#define DOMAIN_IFACE QEMU_DOMAIN_INTERFACE
#define PROPS_IFACE "org.freedesktop.DBus.Properties"
#define UUID1 "c7a5fdbd-cdaf-9455-926a-d65c16db1809"
#define UUID2 "c7a5fdbd-cdaf-9455-926a-d65c16db1802"
#define UNKNOWN_UUID "0f0e0d0c-0b0a-4908-8706-050403020100"
#define UNKNOWN_PATH "/org/vmmd/qemu1/domain/0f0e0d0c_2d0b0a_2d4908_2d8706_2d050403020100"

static char *define_ok(TestBus *tb, const char *name, const char *uuid) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *xml = test_domain_xml(name, uuid, NULL);
        char *path = test_define(tb, xml, 0, &e);

        if (!path)
                g_error("define %s: %s: %s", name, e.name, e.message);
        return path;
}

static int undefine(TestBus *tb, const char *path, uint32_t flags, sd_bus_error *e) {
        return test_call(tb, path, DOMAIN_IFACE, "Undefine", e, NULL, "u", flags);
}

/* Everything a client could see of the daemon's files. */
static char *state_snapshot(TestBus *tb) {
        g_autofree char *etc = test_root_file(tb, "etc/vmmd/qemu");
        g_autofree char *lib = test_root_file(tb, "var/lib/vmmd/qemu");
        g_autofree char *a = test_dir_snapshot(etc);
        g_autofree char *b = test_dir_snapshot(lib);
        return g_strconcat(a, "----\n", b, NULL);
}

/* 0.5: a refused undefine changes nothing: error, no signal, files, domain still there */
#define UNDEFINE_FAILS(tb, path, flags, name, ...)                                              \
        do {                                                                                    \
                g_auto(sd_bus_error) e_ = SD_BUS_ERROR_NULL;                                    \
                g_autofree char *before_ = state_snapshot(tb);                                  \
                g_autofree char *after_ = NULL;                                                 \
                test_bus_clear_signals(tb);                                                     \
                g_assert_cmpint(undefine((tb), (path), (flags), &e_), <, 0);                    \
                assert_bus_error(&e_, (name), ##__VA_ARGS__);                                   \
                test_assert_no_domain_signals(tb);                                              \
                after_ = state_snapshot(tb);                                                    \
                g_assert_cmpstr(before_, ==, after_);                                           \
        } while (0)

static void assert_domain_gone(TestBus *tb, const char *path, const char *name, const char *uuid) {
        g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL, e3 = SD_BUS_ERROR_NULL;
        g_auto(sd_bus_error) e4 = SD_BUS_ERROR_NULL, e5 = SD_BUS_ERROR_NULL;
        g_autofree char *p1 = test_lookup(tb, "DomainLookupByName", name, &e1);
        g_autofree char *p2 = test_lookup(tb, "DomainLookupByUUID", uuid, &e2);
        g_auto(GStrv) list = test_list_domains(tb, 0);

        g_assert_null(p1);
        assert_bus_error(&e1, VMMD_DBUS_ERROR_NO_DOMAIN, name);
        g_assert_null(p2);
        assert_bus_error(&e2, VMMD_DBUS_ERROR_NO_DOMAIN, uuid);
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "GetXMLDesc", &e3, NULL, "u", 0), <, 0);
        assert_bus_error(&e3, VMMD_DBUS_ERROR_NO_DOMAIN, uuid);
        g_assert_cmpint(test_call(tb, path, PROPS_IFACE, "Get", &e4, NULL, "ss", DOMAIN_IFACE, "Name"), <, 0);
        assert_bus_error(&e4, VMMD_DBUS_ERROR_NO_DOMAIN, uuid);
        g_assert_cmpint(undefine(tb, path, 0, &e5), <, 0);
        assert_bus_error(&e5, VMMD_DBUS_ERROR_NO_DOMAIN, uuid);
        g_assert_false(g_strv_contains((const char *const *) list, path));
}

/* B12: success: files gone, signals DomainEvent(UNDEFINED/REMOVED) then InterfacesRemoved, NoDomain afterwards */
static void test_undefine_success(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "gone", UUID1);
        g_autofree char *other = define_ok(tb, "stays", UUID2);
        g_autofree char *cfg = test_config_file(tb, "gone");
        g_autofree char *link = test_root_file(tb, "etc/vmmd/qemu/autostart/gone.xml");
        g_autofree char *cfgdir = test_root_file(tb, "etc/vmmd/qemu");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int ev, removed;

        g_assert_cmpint(test_set_autostart(tb, path, true, &e), >=, 0);
        g_assert_true(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
        test_bus_clear_signals(tb);
        g_assert_cmpint(undefine(tb, path, 0, &e), >=, 0);

        ev = test_bus_find_signal(tb, "DomainEvent", path, 0);
        removed = test_bus_find_signal(tb, "InterfacesRemoved", path, 0);
        g_assert_cmpint(ev, >=, 0);
        g_assert_cmpint(test_signal(tb, ev)->event, ==, 1);
        g_assert_cmpint(test_signal(tb, ev)->detail, ==, 0);
        g_assert_cmpint(removed, >, ev);
        g_assert_cmpstr(test_signal(tb, removed)->path, ==, MANAGER);
        g_assert_cmpint(test_bus_find_signal(tb, "DomainEvent", NULL, ev + 1), ==, -1);
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesAdded", NULL, 0), ==, -1);

        g_assert_false(g_file_test(cfg, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
        test_assert_no_temp_files(cfgdir);
        assert_domain_gone(tb, path, "gone", UUID1);
        /* the other domain is untouched */
        {
                g_auto(GStrv) list = test_list_domains(tb, 0);
                g_assert_cmpuint(g_strv_length(list), ==, 1);
                g_assert_cmpstr(list[0], ==, other);
                g_assert_true(g_file_test(test_config_file(tb, "stays"), G_FILE_TEST_IS_REGULAR));
        }
        /* the name and uuid can be used again: a new object */
        {
                g_autofree char *again = define_ok(tb, "gone", UUID1);
                g_assert_cmpstr(again, ==, path);
                g_assert_false(test_prop_bool(tb, again, "Autostart"));
        }
}

/* B12: a definition file already missing is fine; so is a missing autostart link */
static void test_undefine_file_missing(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "nofile", UUID1);
        g_autofree char *cfg = test_config_file(tb, "nofile");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        g_assert_cmpint(unlink(cfg), ==, 0);
        test_bus_clear_signals(tb);
        g_assert_cmpint(undefine(tb, path, 0, &e), >=, 0);
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesRemoved", path, 0), >=, 0);
        assert_domain_gone(tb, path, "nofile", UUID1);
}

/* B1: read-only caller; unknown flag bits */
static void test_undefine_denied_and_flags(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "ro", UUID1);
        g_autofree char *before = state_snapshot(tb);
        g_autofree char *after = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        test_bus_clear_signals(tb);
        g_assert_cmpint(test_call_nobody(tb, path, DOMAIN_IFACE, "Undefine", &e, "u", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED, "Undefine");
        {
                g_autofree char *out = NULL, *err = NULL;
                int r = test_run(tb, true, &out, &err,
                                 (const char *const[]) { "busctl", "--user", "call", QEMU_BUS_NAME, path,
                                                         DOMAIN_IFACE, "Undefine", "u", "1", NULL });
                g_assert_cmpint(r, !=, 0);
                g_assert_nonnull(strstr(err, "Undefine"));
                g_assert_nonnull(strstr(err, "read-only"));
        }
        test_assert_no_domain_signals(tb);
        after = state_snapshot(tb);
        g_assert_cmpstr(before, ==, after);

        UNDEFINE_FAILS(tb, path, 0x80, VMMD_DBUS_ERROR_INVALID_ARG, "Undefine", "0x80");
        UNDEFINE_FAILS(tb, path, 0x100 | 1, VMMD_DBUS_ERROR_INVALID_ARG, "Undefine", "0x100");
        /* flags are checked before the NVRAM conflict */
        UNDEFINE_FAILS(tb, path, 0x80 | 4 | 8, VMMD_DBUS_ERROR_INVALID_ARG, "0x80");
        g_assert_cmpint(test_prop_int(tb, path, "Id"), ==, -1);
}

/* B2, B3, B4: NVRAM/TPM conflicts before the lookup; NoDomain after them */
static void test_undefine_conflicts(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "nv", UUID1);

        UNDEFINE_FAILS(tb, UNKNOWN_PATH, 0, VMMD_DBUS_ERROR_NO_DOMAIN, UNKNOWN_UUID);
        UNDEFINE_FAILS(tb, UNKNOWN_PATH, 4 | 8, VMMD_DBUS_ERROR_OPERATION_INVALID, "nvram");
        UNDEFINE_FAILS(tb, UNKNOWN_PATH, 32 | 64, VMMD_DBUS_ERROR_OPERATION_INVALID, "TPM");
        UNDEFINE_FAILS(tb, path, 4 | 8, VMMD_DBUS_ERROR_OPERATION_INVALID, "nvram");
        UNDEFINE_FAILS(tb, path, 32 | 64, VMMD_DBUS_ERROR_OPERATION_INVALID, "TPM");
        UNDEFINE_FAILS(tb, path, 1 | 2 | 4 | 8 | 16 | 32, VMMD_DBUS_ERROR_OPERATION_INVALID, "nvram");
        /* NVRAM before TPM */
        UNDEFINE_FAILS(tb, path, 4 | 8 | 32 | 64, VMMD_DBUS_ERROR_OPERATION_INVALID, "nvram");
        g_assert_true(g_file_test(test_config_file(tb, "nv"), G_FILE_TEST_IS_REGULAR));
}

/* 0.8, B8, B10: NVRAM, KEEP_NVRAM, TPM, KEEP_TPM, CHECKPOINTS_METADATA alone are accepted and do nothing more */
static void test_undefine_accepted_flags(void) {
        static const uint32_t flags[] = { 4, 8, 16, 32, 64, 4 | 32, 8 | 64 | 16, 1 | 2 | 4 | 16 | 32 };
        g_autoptr(TestBus) tb = test_bus_new(NULL);

        for (size_t i = 0; i < G_N_ELEMENTS(flags); i++) {
                g_autofree char *name = g_strdup_printf("fl%zu", i);
                g_autofree char *path = define_ok(tb, name, UUID1);
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

                test_bus_clear_signals(tb);
                if (undefine(tb, path, flags[i], &e) < 0)
                        g_error("Undefine(0x%x): %s: %s", flags[i], e.name, e.message);
                g_assert_cmpint(test_bus_find_signal(tb, "DomainEvent", path, 0), >=, 0);
                g_assert_false(g_file_test(test_config_file(tb, name), G_FILE_TEST_EXISTS));
                assert_domain_gone(tb, path, name, UUID1);
        }
}

/* B6, B7: snapshot metadata of an inactive domain */
static void test_undefine_snapshots(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "snap", UUID1);
        g_autofree char *snapdir = test_root_file(tb, "var/lib/vmmd/qemu/snapshot/snap");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        for (int i = 1; i <= 3; i++) {
                g_autofree char *f = g_strdup_printf("%s/s%d.xml", snapdir, i);
                g_autofree char *x = g_strdup_printf("<domainsnapshot><name>s%d</name></domainsnapshot>\n", i);
                test_write_file(f, x);
        }
        UNDEFINE_FAILS(tb, path, 0, VMMD_DBUS_ERROR_OPERATION_INVALID, "3 snapshot");
        UNDEFINE_FAILS(tb, path, 1, VMMD_DBUS_ERROR_OPERATION_INVALID, "3 snapshot");
        g_assert_true(g_file_test(test_config_file(tb, "snap"), G_FILE_TEST_IS_REGULAR));

        test_bus_clear_signals(tb);
        g_assert_cmpint(undefine(tb, path, 2, &e), >=, 0);
        g_assert_false(g_file_test(snapdir, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(test_config_file(tb, "snap"), G_FILE_TEST_EXISTS));
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesRemoved", path, 0), >,
                        test_bus_find_signal(tb, "DomainEvent", path, 0));
        assert_domain_gone(tb, path, "snap", UUID1);
}

/* B7 (vmmd): a later check failing leaves the snapshot metadata in place */
static void test_undefine_snapshots_kept_on_failure(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "both", UUID1);
        g_autofree char *snap = test_root_file(tb, "var/lib/vmmd/qemu/snapshot/both/s1.xml");
        g_autofree char *save = test_root_file(tb, "var/lib/vmmd/qemu/save/both.save");

        test_write_file(snap, "<domainsnapshot><name>s1</name></domainsnapshot>\n");
        test_write_file(save, "image");
        UNDEFINE_FAILS(tb, path, 2, VMMD_DBUS_ERROR_OPERATION_INVALID, "managed save");
        g_assert_true(g_file_test(snap, G_FILE_TEST_IS_REGULAR));
        g_assert_true(g_file_test(save, G_FILE_TEST_IS_REGULAR));
        /* snapshots are checked before the managed save image */
        UNDEFINE_FAILS(tb, path, 1, VMMD_DBUS_ERROR_OPERATION_INVALID, "1 snapshot");
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(undefine(tb, path, 1 | 2, &e), >=, 0);
                g_assert_false(g_file_test(snap, G_FILE_TEST_EXISTS));
                g_assert_false(g_file_test(save, G_FILE_TEST_EXISTS));
                assert_domain_gone(tb, path, "both", UUID1);
        }
}

/* B9: managed save image */
static void test_undefine_managed_save(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "ms", UUID1);
        g_autofree char *save = test_root_file(tb, "var/lib/vmmd/qemu/save/ms.save");
        g_autofree char *savedir = test_root_file(tb, "var/lib/vmmd/qemu/save");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int ev;

        test_write_file(save, "managed save image");
        g_assert_true(test_prop_bool(tb, path, "HasManagedSaveImage"));
        UNDEFINE_FAILS(tb, path, 0, VMMD_DBUS_ERROR_OPERATION_INVALID, "managed save");
        UNDEFINE_FAILS(tb, path, 2 | 16, VMMD_DBUS_ERROR_OPERATION_INVALID, "managed save");
        g_assert_true(g_file_test(save, G_FILE_TEST_IS_REGULAR));
        g_assert_true(test_prop_bool(tb, path, "HasManagedSaveImage"));

        /* the image cannot be removed → InternalError naming it, nothing else changed */
        test_set_immutable(tb, savedir, true);
        UNDEFINE_FAILS(tb, path, 1, VMMD_DBUS_ERROR_INTERNAL_ERROR, save);
        test_set_immutable(tb, savedir, false);
        g_assert_true(g_file_test(test_config_file(tb, "ms"), G_FILE_TEST_IS_REGULAR));

        test_bus_clear_signals(tb);
        g_assert_cmpint(undefine(tb, path, 1, &e), >=, 0);
        g_assert_false(g_file_test(save, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(test_config_file(tb, "ms"), G_FILE_TEST_EXISTS));
        ev = test_bus_find_signal(tb, "DomainEvent", path, 0);
        g_assert_cmpint(ev, >=, 0);
        g_assert_cmpint(test_signal(tb, ev)->event, ==, 1);
        g_assert_cmpint(test_signal(tb, ev)->detail, ==, 0);
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesRemoved", path, 0), >, ev);
        assert_domain_gone(tb, path, "ms", UUID1);
}

/* B12: undefine while the definition file cannot be removed → the error, nothing changed */
static void test_undefine_remove_failure(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "stuck", UUID1);
        g_autofree char *cfgdir = test_root_file(tb, "etc/vmmd/qemu");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        test_set_immutable(tb, cfgdir, true);
        UNDEFINE_FAILS(tb, path, 0, VMMD_DBUS_ERROR_SYSTEM_ERROR, "stuck.xml");
        test_set_immutable(tb, cfgdir, false);
        g_assert_cmpint(undefine(tb, path, 0, &e), >=, 0);
        assert_domain_gone(tb, path, "stuck", UUID1);
}

/* issue 9 defect 4: Undefine(MANAGED_SAVE) removes the image only after everything else
 * went; a later step failing leaves the image, the definition and the snapshots as they were */
static void test_undefine_managed_save_kept_on_failure(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "img", UUID1);
        g_autofree char *save = test_root_file(tb, "var/lib/vmmd/qemu/save/img.save");
        g_autofree char *snapdir = test_root_file(tb, "var/lib/vmmd/qemu/snapshot/img");
        g_autofree char *snap = g_build_filename(snapdir, "s1.xml", NULL);
        g_autofree char *cfgdir = test_root_file(tb, "etc/vmmd/qemu");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        test_write_file(save, "managed save image");
        test_write_file(snap, "<domainsnapshot><name>s1</name></domainsnapshot>\n");

        /* the definition cannot be removed */
        test_set_immutable(tb, cfgdir, true);
        UNDEFINE_FAILS(tb, path, 1 | 2, VMMD_DBUS_ERROR_SYSTEM_ERROR, "img.xml");
        test_set_immutable(tb, cfgdir, false);
        g_assert_true(g_file_test(save, G_FILE_TEST_IS_REGULAR));
        g_assert_true(test_prop_bool(tb, path, "HasManagedSaveImage"));

        /* the snapshot metadata cannot be removed: the definition comes back, the image stays */
        test_set_immutable(tb, snapdir, true);
        UNDEFINE_FAILS(tb, path, 1 | 2, VMMD_DBUS_ERROR_SYSTEM_ERROR, snapdir);
        test_set_immutable(tb, snapdir, false);
        g_assert_true(g_file_test(save, G_FILE_TEST_IS_REGULAR));
        g_assert_true(g_file_test(test_config_file(tb, "img"), G_FILE_TEST_IS_REGULAR));
        g_assert_true(test_prop_bool(tb, path, "HasManagedSaveImage"));
        test_assert_no_temp_files(test_root_file(tb, "var/lib/vmmd/qemu/save"));

        g_assert_cmpint(undefine(tb, path, 1 | 2, &e), >=, 0);
        g_assert_false(g_file_test(save, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(snapdir, G_FILE_TEST_EXISTS));
        assert_domain_gone(tb, path, "img", UUID1);
        {
                /* nothing left aside either */
                g_autofree char *listing = test_dir_snapshot(test_root_file(tb, "var/lib/vmmd/qemu/save"));
                g_assert_cmpstr(listing, ==, "");
        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/undefine/success", test_undefine_success);
        g_test_add_func("/undefine/file-missing", test_undefine_file_missing);
        g_test_add_func("/undefine/denied-and-flags", test_undefine_denied_and_flags);
        g_test_add_func("/undefine/conflicts", test_undefine_conflicts);
        g_test_add_func("/undefine/accepted-flags", test_undefine_accepted_flags);
        g_test_add_func("/undefine/snapshots", test_undefine_snapshots);
        g_test_add_func("/undefine/snapshots-kept-on-failure", test_undefine_snapshots_kept_on_failure);
        g_test_add_func("/undefine/managed-save", test_undefine_managed_save);
        g_test_add_func("/undefine/remove-failure", test_undefine_remove_failure);
        g_test_add_func("/undefine/managed-save-kept-on-failure", test_undefine_managed_save_kept_on_failure);
        return g_test_run();
}
