/* Bus tests for Domain.Rename of inactive persistent domains (spec domains.md A30–A32). */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-harness.h"

#define MANAGER QEMU_MANAGER_PATH
#define MANAGER_IFACE QEMU_MANAGER_INTERFACE
#define DOMAIN_IFACE QEMU_DOMAIN_INTERFACE
#define UUID1 "c7a5fdbd-cdaf-9455-926a-d65c16db1809"
#define UUID2 "c7a5fdbd-cdaf-9455-926a-d65c16db1802"

static char *define_ok(TestBus *tb, const char *name, const char *uuid) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *xml = test_domain_xml(name, uuid, "    <graphics type='vnc' passwd='pw'/>\n");
        char *path = test_define(tb, xml, 0, &e);

        if (!path)
                g_error("define %s: %s: %s", name, e.name, e.message);
        return path;
}

static int rename_domain(TestBus *tb, const char *path, const char *name, uint32_t flags, sd_bus_error *e) {
        return test_call(tb, path, DOMAIN_IFACE, "Rename", e, NULL, "su", name, flags);
}

static char *state_snapshot(TestBus *tb) {
        g_autofree char *etc = test_root_file(tb, "etc/vmmd/qemu");
        g_autofree char *lib = test_root_file(tb, "var/lib/vmmd/qemu");
        g_autofree char *a = test_dir_snapshot(etc);
        g_autofree char *b = test_dir_snapshot(lib);
        return g_strconcat(a, "----\n", b, NULL);
}

/* a refused rename changes nothing: error, no signal, files, the Name */
#define RENAME_FAILS(tb, path, newname, flags, errname, ...)                                    \
        do {                                                                                    \
                g_auto(sd_bus_error) e_ = SD_BUS_ERROR_NULL;                                    \
                g_autofree char *before_ = state_snapshot(tb);                                  \
                g_autofree char *name_before_ = test_prop_string((tb), (path), "Name");         \
                g_autofree char *after_ = NULL, *name_after_ = NULL;                            \
                test_bus_clear_signals(tb);                                                     \
                g_assert_cmpint(rename_domain((tb), (path), (newname), (flags), &e_), <, 0);    \
                assert_bus_error(&e_, (errname), ##__VA_ARGS__);                                \
                test_assert_no_domain_signals(tb);                                              \
                after_ = state_snapshot(tb);                                                    \
                g_assert_cmpstr(before_, ==, after_);                                           \
                name_after_ = test_prop_string((tb), (path), "Name");                           \
                g_assert_cmpstr(name_before_, ==, name_after_);                                 \
        } while (0)

/* A32: success */
static void test_rename_success(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "old", UUID1);
        g_autofree char *old_cfg = test_config_file(tb, "old"), *new_cfg = test_config_file(tb, "new");
        g_autofree char *old_link = test_root_file(tb, "etc/vmmd/qemu/autostart/old.xml");
        g_autofree char *new_link = test_root_file(tb, "etc/vmmd/qemu/autostart/new.xml");
        g_autofree char *old_snap = test_root_file(tb, "var/lib/vmmd/qemu/snapshot/old");
        g_autofree char *new_snap = test_root_file(tb, "var/lib/vmmd/qemu/snapshot/new");
        g_autofree char *cfgdir = test_root_file(tb, "etc/vmmd/qemu");
        g_autofree char *s1 = g_build_filename(old_snap, "s1.xml", NULL);
        g_autofree char *xml_before = NULL, *xml_after = NULL, *expected = NULL, *name = NULL, *data = NULL;
        g_autofree char *target = NULL, *uuid = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int undef, def, changed;

        g_assert_cmpint(test_set_autostart(tb, path, true, &e), >=, 0);
        test_write_file(s1, "<domainsnapshot><name>s1</name></domainsnapshot>\n");
        xml_before = test_get_xml(tb, path, 1 | 2);

        test_bus_clear_signals(tb);
        if (rename_domain(tb, path, "new", 0, &e) < 0)
                g_error("Rename: %s: %s", e.name, e.message);

        /* same path, new Name, same UUID; definition differs only in the name */
        name = test_prop_string(tb, path, "Name");
        g_assert_cmpstr(name, ==, "new");
        uuid = test_prop_string(tb, path, "UUID");
        g_assert_cmpstr(uuid, ==, UUID1);
        xml_after = test_get_xml(tb, path, 1 | 2);
        {
                g_autoptr(GString) s = g_string_new(xml_before);
                g_string_replace(s, "<name>old</name>", "<name>new</name>", 1);
                expected = g_string_free(g_steal_pointer(&s), FALSE);
        }
        g_assert_cmpstr(xml_after, ==, expected);
        g_assert_true(test_prop_bool(tb, path, "Autostart"));

        /* files */
        g_assert_false(g_file_test(old_cfg, G_FILE_TEST_EXISTS));
        data = test_read_file(new_cfg);
        g_assert_nonnull(data);
        g_assert_nonnull(strstr(data, "\n  vmmctl edit new\n"));
        g_assert_true(g_str_has_suffix(data, xml_after));
        {
                struct stat st;
                g_assert_cmpint(stat(new_cfg, &st), ==, 0);
                g_assert_cmpint(st.st_mode & 0777, ==, 0600);
        }
        g_assert_false(g_file_test(old_link, G_FILE_TEST_IS_SYMLINK));
        g_assert_true(g_file_test(new_link, G_FILE_TEST_IS_SYMLINK));
        target = g_file_read_link(new_link, NULL);
        g_assert_cmpstr(target, ==, new_cfg);
        g_assert_false(g_file_test(old_snap, G_FILE_TEST_EXISTS));
        {
                g_autofree char *n1 = g_build_filename(new_snap, "s1.xml", NULL);
                g_assert_true(g_file_test(n1, G_FILE_TEST_IS_REGULAR));
        }
        test_assert_no_temp_files(cfgdir);

        /* signals: UNDEFINED/RENAMED then DEFINED/RENAMED, PropertiesChanged Name; no object added/removed */
        undef = test_bus_find_signal(tb, "DomainEvent", path, 0);
        g_assert_cmpint(undef, >=, 0);
        g_assert_cmpint(test_signal(tb, undef)->event, ==, 1);
        g_assert_cmpint(test_signal(tb, undef)->detail, ==, 1);
        def = test_bus_find_signal(tb, "DomainEvent", path, undef + 1);
        g_assert_cmpint(def, >, undef);
        g_assert_cmpint(test_signal(tb, def)->event, ==, 0);
        g_assert_cmpint(test_signal(tb, def)->detail, ==, 2);
        g_assert_cmpint(test_bus_find_signal(tb, "DomainEvent", NULL, def + 1), ==, -1);
        changed = test_bus_find_signal(tb, "PropertiesChanged", path, 0);
        g_assert_cmpint(changed, >=, 0);
        g_assert_true(g_strv_contains((const char *const *) test_signal(tb, changed)->changed, "Name"));
        g_assert_cmpint(changed, <, undef);   /* F1: PropertiesChanged before the events */
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesAdded", NULL, 0), ==, -1);
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesRemoved", NULL, 0), ==, -1);

        /* lookups */
        {
                g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL;
                g_autofree char *p_old = test_lookup(tb, "DomainLookupByName", "old", &e1);
                g_autofree char *p_new = test_lookup(tb, "DomainLookupByName", "new", &e2);
                g_assert_null(p_old);
                assert_bus_error(&e1, VMMD_DBUS_ERROR_NO_DOMAIN, "old");
                g_assert_cmpstr(p_new, ==, path);
        }
        {
                g_auto(GStrv) list = test_list_domains(tb, 0);
                g_assert_cmpuint(g_strv_length(list), ==, 1);
                g_assert_cmpstr(list[0], ==, path);
        }

        /* survives a daemon restart under the new name; the old name is free again */
        test_bus_kill_name(tb, QEMU_BUS_NAME);
        {
                g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL;
                g_autofree char *p_new = test_lookup(tb, "DomainLookupByName", "new", &e1);
                g_autofree char *again = NULL;
                g_assert_cmpstr(p_new, ==, path);
                g_assert_true(test_prop_bool(tb, path, "Autostart"));
                again = test_get_xml(tb, path, 1 | 2);
                g_assert_cmpstr(again, ==, xml_after);
        }
        {
                g_autofree char *other = define_ok(tb, "old", UUID2);
                g_assert_cmpstr(other, !=, path);
        }
}

/* A30: argument checks */
static void test_rename_arguments(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "one", UUID1);
        g_autofree char *other = define_ok(tb, "two", UUID2);

        RENAME_FAILS(tb, path, "", 0, VMMD_DBUS_ERROR_INVALID_ARG);
        RENAME_FAILS(tb, path, "a/b", 0, VMMD_DBUS_ERROR_XML_ERROR, "a/b");
        RENAME_FAILS(tb, path, "one", 0, VMMD_DBUS_ERROR_OPERATION_INVALID);
        RENAME_FAILS(tb, path, "two", 0, VMMD_DBUS_ERROR_OPERATION_INVALID, "two");
        RENAME_FAILS(tb, path, "three", 1, VMMD_DBUS_ERROR_INVALID_ARG, "Rename", "0x1");
        /* 0.4: flags before the empty name */
        RENAME_FAILS(tb, path, "", 4, VMMD_DBUS_ERROR_INVALID_ARG, "0x4");
        (void) other;
}

/* A31: managed save image present */
static void test_rename_managed_save(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "ms", UUID1);
        g_autofree char *save = test_root_file(tb, "var/lib/vmmd/qemu/save/ms.save");

        test_write_file(save, "image");
        RENAME_FAILS(tb, path, "ms2", 0, VMMD_DBUS_ERROR_OPERATION_INVALID, "managed save");
        g_assert_true(g_file_test(save, G_FILE_TEST_IS_REGULAR));
        g_assert_false(g_file_test(test_config_file(tb, "ms2"), G_FILE_TEST_EXISTS));
}

/* 0.10: read-only caller */
static void test_rename_read_only(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "ro", UUID1);
        g_autofree char *before = state_snapshot(tb), *after = NULL, *name = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        test_bus_clear_signals(tb);
        g_assert_cmpint(test_call_nobody(tb, path, DOMAIN_IFACE, "Rename", &e, "su", "ro2", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED, "Rename");
        {
                g_autofree char *out = NULL, *err = NULL;
                int r = test_run(tb, true, &out, &err,
                                 (const char *const[]) { "busctl", "--user", "call", QEMU_BUS_NAME, path,
                                                         DOMAIN_IFACE, "Rename", "su", "ro2", "0", NULL });
                g_assert_cmpint(r, !=, 0);
                g_assert_nonnull(strstr(err, "Rename"));
        }
        test_assert_no_domain_signals(tb);
        after = state_snapshot(tb);
        g_assert_cmpstr(before, ==, after);
        name = test_prop_string(tb, path, "Name");
        g_assert_cmpstr(name, ==, "ro");
}

/* A32: on failure the old name and files are intact and nothing is left for the new name */
static void test_rename_failure_rolls_back(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "keep", UUID1);
        g_autofree char *cfgdir = test_root_file(tb, "etc/vmmd/qemu");
        g_autofree char *snap = test_root_file(tb, "var/lib/vmmd/qemu/snapshot/keep/s1.xml");
        g_autofree char *new_snapdir = test_root_file(tb, "var/lib/vmmd/qemu/snapshot/moved");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        g_assert_cmpint(test_set_autostart(tb, path, true, &e), >=, 0);
        test_write_file(snap, "<domainsnapshot><name>s1</name></domainsnapshot>\n");
        /* the new definition cannot be written */
        test_set_immutable(tb, cfgdir, true);
        RENAME_FAILS(tb, path, "moved", 0, VMMD_DBUS_ERROR_SYSTEM_ERROR, cfgdir);
        test_set_immutable(tb, cfgdir, false);
        g_assert_true(g_file_test(snap, G_FILE_TEST_IS_REGULAR));
        g_assert_false(g_file_test(new_snapdir, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(test_config_file(tb, "moved"), G_FILE_TEST_EXISTS));
        {
                g_autofree char *p = test_lookup(tb, "DomainLookupByName", "keep", &e);
                g_assert_cmpstr(p, ==, path);
        }
        /* the autostart link cannot be moved */
        {
                g_autofree char *autodir = test_root_file(tb, "etc/vmmd/qemu/autostart");
                test_set_immutable(tb, autodir, true);
                RENAME_FAILS(tb, path, "moved", 0, VMMD_DBUS_ERROR_SYSTEM_ERROR, "moved.xml");
                test_set_immutable(tb, autodir, false);
                g_assert_true(g_file_test(snap, G_FILE_TEST_IS_REGULAR));
                g_assert_false(g_file_test(new_snapdir, G_FILE_TEST_EXISTS));
                g_assert_false(g_file_test(test_config_file(tb, "moved"), G_FILE_TEST_EXISTS));
                test_assert_no_temp_files(cfgdir);
        }
        /* and now it works */
        g_assert_cmpint(rename_domain(tb, path, "moved", 0, &e), >=, 0);
        g_assert_true(g_file_test(test_config_file(tb, "moved"), G_FILE_TEST_IS_REGULAR));
        g_assert_false(g_file_test(snap, G_FILE_TEST_EXISTS));
}

/* issue 9 defect 6: leftovers of an earlier domain with the new name are never adopted:
 * a stale autostart link goes; a snapshot directory or a managed save image is refused by name */
static void test_rename_leftovers(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "old", UUID1);
        g_autofree char *autodir = test_root_file(tb, "etc/vmmd/qemu/autostart");
        g_autofree char *stale_link = test_root_file(tb, "etc/vmmd/qemu/autostart/new.xml");
        g_autofree char *stale_target = test_config_file(tb, "new");
        g_autofree char *stale_snapdir = test_root_file(tb, "var/lib/vmmd/qemu/snapshot/new2");
        g_autofree char *stale_snap = g_build_filename(stale_snapdir, "s9.xml", NULL);
        g_autofree char *stale_save = test_root_file(tb, "var/lib/vmmd/qemu/save/new3.save");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        g_assert_cmpint(g_mkdir_with_parents(autodir, 0755), ==, 0);
        g_assert_cmpint(symlink(stale_target, stale_link), ==, 0);
        g_assert_false(test_prop_bool(tb, path, "Autostart"));
        g_assert_cmpint(rename_domain(tb, path, "new", 0, &e), >=, 0);
        g_assert_false(g_file_test(stale_link, G_FILE_TEST_EXISTS));
        g_assert_false(test_prop_bool(tb, path, "Autostart"));
        /* and a restarted daemon does not find the renamed domain autostart */
        test_bus_kill_name(tb, QEMU_BUS_NAME);
        g_assert_false(test_prop_bool(tb, path, "Autostart"));

        test_write_file(stale_snap, "<domainsnapshot><name>s9</name></domainsnapshot>\n");
        RENAME_FAILS(tb, path, "new2", 0, VMMD_DBUS_ERROR_OPERATION_INVALID, stale_snapdir);
        g_assert_true(g_file_test(stale_snap, G_FILE_TEST_IS_REGULAR));

        test_write_file(stale_save, "image of an earlier new3");
        RENAME_FAILS(tb, path, "new3", 0, VMMD_DBUS_ERROR_OPERATION_INVALID, stale_save);
        g_assert_true(g_file_test(stale_save, G_FILE_TEST_IS_REGULAR));
        {
                g_autofree char *p = test_lookup(tb, "DomainLookupByName", "new", &e);
                g_assert_cmpstr(p, ==, path);
        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/rename/success", test_rename_success);
        g_test_add_func("/rename/arguments", test_rename_arguments);
        g_test_add_func("/rename/managed-save", test_rename_managed_save);
        g_test_add_func("/rename/read-only", test_rename_read_only);
        g_test_add_func("/rename/failure-rolls-back", test_rename_failure_rolls_back);
        g_test_add_func("/rename/leftovers", test_rename_leftovers);
        return g_test_run();
}
