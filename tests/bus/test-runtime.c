/* Bus tests for the daemon as a bus service: activation, idle exit, introspection,
 * ObjectManager, and a thousand definitions (DESIGN.md "Activation and lifetime", spec 0.1, A23). */
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
        g_autofree char *xml = test_domain_xml(name, uuid, NULL);
        char *path = test_define(tb, xml, 0, &e);

        if (!path)
                g_error("define %s: %s: %s", name, e.name, e.message);
        return path;
}

/* A second vmmd-qemu on the same root cannot take driver.pid: it says so, exits non-zero and
 * leaves the first one's state alone (the first keeps its name and its domains). */
static void test_single_instance(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "first", UUID1);
        g_autofree char *exe = g_build_filename(g_getenv("VMMD_BUILD_ROOT") ? g_getenv("VMMD_BUILD_ROOT") : "build",
                                                "daemons", "vmmd-qemu", "vmmd-qemu", NULL);
        g_autofree char *root_arg = g_strdup_printf("--root=%s", tb->root);
        g_autofree char *addr_arg = g_strdup_printf("--address=%s", tb->address);
        g_autofree char *before = NULL, *after = NULL, *err = NULL;
        const char *const argv[] = { exe, root_arg, addr_arg, "--timeout=1", NULL };
        g_auto(GStrv) names = NULL;
        pid_t pid = test_bus_name_pid(tb, QEMU_BUS_NAME);

        g_assert_cmpint(pid, >, 0);
        before = test_dir_snapshot(tb->root);
        g_assert_cmpint(test_run(tb, false, NULL, &err, argv), !=, 0);
        g_assert_nonnull(strstr(err, "another vmmd-qemu is running"));
        after = test_dir_snapshot(tb->root);
        g_assert_cmpstr(after, ==, before);
        g_assert_cmpint(test_bus_name_pid(tb, QEMU_BUS_NAME), ==, pid);
        names = test_list_domains(tb, 0);
        g_assert_cmpuint(g_strv_length(names), ==, 1);
        g_assert_cmpstr(names[0], ==, path);
}

/* The daemon exits when idle (--timeout, here VMMD_TIMEOUT=1) and the next call starts it again
 * with every definition. */
static void test_idle_exit(void) {
        const char *const env[] = { "VMMD_TIMEOUT=1", NULL };
        g_autoptr(TestBus) tb = test_bus_new(env);
        g_autofree char *path = define_ok(tb, "idle", UUID1);
        g_autofree char *xml = test_get_xml(tb, path, 3);
        pid_t pid1, pid2;

        pid1 = test_bus_name_pid(tb, QEMU_BUS_NAME);
        g_assert_cmpint(pid1, >, 0);
        /* bounded: it should go after about a second of idleness */
        g_assert_true(test_bus_wait_name_gone(tb, QEMU_BUS_NAME, 10000));
        g_assert_true(test_wait_pid_exit(pid1, 10000));   /* the process goes too, not only the name */

        {
                g_auto(GStrv) list = test_list_domains(tb, 0);   /* activates it again */
                g_autofree char *again = NULL;
                g_autofree char *p = NULL;
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

                g_assert_cmpuint(g_strv_length(list), ==, 1);
                g_assert_cmpstr(list[0], ==, path);
                p = test_lookup(tb, "DomainLookupByName", "idle", &e);
                g_assert_cmpstr(p, ==, path);
                again = test_get_xml(tb, path, 3);
                g_assert_cmpstr(again, ==, xml);
        }
        pid2 = test_bus_name_pid(tb, QEMU_BUS_NAME);
        g_assert_cmpint(pid2, >, 0);
        g_assert_cmpint(pid2, !=, pid1);
        /* and it goes idle again */
        g_assert_true(test_bus_wait_name_gone(tb, QEMU_BUS_NAME, 10000));
}

/* busctl introspect shows the documented interfaces with their members; arguments are named */
static void test_introspect(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "intro", UUID1);
        static const char *const manager_members[] = {
                ".DomainDefineXML", ".DomainCreateXML", ".ListDomains", ".DomainLookupByName",
                ".DomainLookupByUUID", ".DomainLookupByID", ".DomainRestore", ".DomainSaveImageGetXMLDesc",
                ".DomainSaveImageDefineXML", ".GetCapabilities", ".DomainEvent", ".Version",
        };
        static const char *const domain_members[] = {
                ".Create", ".Destroy", ".Shutdown", ".Reboot", ".Reset", ".Suspend", ".Resume", ".Undefine",
                ".GetXMLDesc", ".GetState", ".Rename", ".Save", ".ManagedSave", ".ManagedSaveRemove",
                ".ManagedSaveGetXMLDesc", ".ManagedSaveDefineXML", ".SnapshotCreateXML", ".ListDomainSnapshots",
                ".SnapshotLookupByName", ".SnapshotCurrent", ".OpenConsole", ".Name", ".UUID", ".Id", ".State",
                ".Active", ".Persistent", ".Autostart", ".Updated", ".HasManagedSaveImage", ".HasCurrentSnapshot",
        };
        g_autofree char *out = NULL, *err = NULL;
        int r;

        r = test_run(tb, false, &out, &err,
                     (const char *const[]) { "busctl", "--user", "introspect", "--no-pager", QEMU_BUS_NAME, MANAGER,
                                             NULL });
        g_assert_cmpint(r, ==, 0);
        g_assert_nonnull(strstr(out, QEMU_MANAGER_INTERFACE));
        g_assert_nonnull(strstr(out, "org.freedesktop.DBus.ObjectManager"));
        for (size_t i = 0; i < G_N_ELEMENTS(manager_members); i++)
                if (!strstr(out, manager_members[i]))
                        g_error("busctl introspect %s lacks %s:\n%s", MANAGER, manager_members[i], out);
        {
                /* the method line with its signature and result */
                g_autoptr(GRegex) re = g_regex_new("^\\.DomainDefineXML\\s+method\\s+su\\s+o\\s", G_REGEX_MULTILINE, 0, NULL);
                g_autoptr(GRegex) re2 = g_regex_new("^\\.ListDomains\\s+method\\s+u\\s+ao\\s", G_REGEX_MULTILINE, 0, NULL);
                g_autoptr(GRegex) re3 = g_regex_new("^\\.DomainEvent\\s+signal\\s+oii\\s", G_REGEX_MULTILINE, 0, NULL);
                g_assert_true(g_regex_match(re, out, 0, NULL));
                g_assert_true(g_regex_match(re2, out, 0, NULL));
                g_assert_true(g_regex_match(re3, out, 0, NULL));
        }
        g_free(out), g_free(err);
        out = err = NULL;

        r = test_run(tb, true, &out, &err,   /* anyone may introspect */
                     (const char *const[]) { "busctl", "--user", "introspect", "--no-pager", QEMU_BUS_NAME, path,
                                             NULL });
        g_assert_cmpint(r, ==, 0);
        g_assert_nonnull(strstr(out, QEMU_DOMAIN_INTERFACE));
        for (size_t i = 0; i < G_N_ELEMENTS(domain_members); i++)
                if (!strstr(out, domain_members[i]))
                        g_error("busctl introspect %s lacks %s:\n%s", path, domain_members[i], out);
        {
                g_autoptr(GRegex) re = g_regex_new("^\\.Autostart\\s+property\\s+b\\s+false\\s.*writable",
                                                   G_REGEX_MULTILINE, 0, NULL);
                g_autoptr(GRegex) re2 = g_regex_new("^\\.Name\\s+property\\s+s\\s+\"intro\"", G_REGEX_MULTILINE, 0, NULL);
                g_assert_true(g_regex_match(re, out, 0, NULL));
                g_assert_true(g_regex_match(re2, out, 0, NULL));
        }

        /* argument names in the introspection XML */
        {
                g_autoptr(sd_bus_message) reply = NULL;
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                const char *xml;

                g_assert_cmpint(test_call(tb, MANAGER, "org.freedesktop.DBus.Introspectable", "Introspect", &e, &reply,
                                          NULL), >=, 0);
                g_assert_cmpint(sd_bus_message_read(reply, "s", &xml), >=, 0);
                g_assert_nonnull(strstr(xml, "<method name=\"DomainDefineXML\">\n   <arg type=\"s\" name=\"xml\" direction=\"in\"/>\n"
                                             "   <arg type=\"u\" name=\"flags\" direction=\"in\"/>\n"
                                             "   <arg type=\"o\" name=\"domain\" direction=\"out\"/>"));
                g_assert_nonnull(strstr(xml, "<signal name=\"DomainEvent\">\n   <arg type=\"o\" name=\"domain\"/>"));
                /* the domain objects appear as children of the manager's tree */
                g_assert_nonnull(strstr(xml, "<node name=\"domain\"/>"));
        }
        /* busctl tree lists the domain object */
        g_free(out), g_free(err);
        out = err = NULL;
        r = test_run(tb, false, &out, &err,
                     (const char *const[]) { "busctl", "--user", "tree", "--list", QEMU_BUS_NAME, NULL });
        g_assert_cmpint(r, ==, 0);
        g_assert_nonnull(strstr(out, path));
}

/* ObjectManager.GetManagedObjects lists the defined domains with their properties */
static void test_object_manager(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p1 = define_ok(tb, "om1", UUID1);
        g_autofree char *p2 = define_ok(tb, "om2", UUID2);
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(GHashTable) names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        unsigned n_objects = 0;
        const char *obj;

        g_assert_cmpint(test_set_autostart(tb, p2, true, &e), >=, 0);
        g_assert_cmpint(test_call(tb, MANAGER, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", &e, &reply,
                                  NULL), >=, 0);
        g_assert_cmpint(sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}"), >, 0);
        while (sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
                g_assert_cmpint(sd_bus_message_read(reply, "o", &obj), >=, 0);
                n_objects++;
                g_assert_cmpint(sd_bus_message_enter_container(reply, 'a', "{sa{sv}}"), >, 0);
                while (sd_bus_message_enter_container(reply, 'e', "sa{sv}") > 0) {
                        const char *iface;
                        g_assert_cmpint(sd_bus_message_read(reply, "s", &iface), >=, 0);
                        if (!g_str_equal(iface, DOMAIN_IFACE)) {
                                g_assert_cmpint(sd_bus_message_skip(reply, "a{sv}"), >=, 0);
                        } else {
                                g_autofree char *name = NULL, *uuid = NULL;
                                int persistent = -1, autostart = -1, active = -1;
                                int32_t state = -1, reason = -1, id = 0;
                                g_assert_cmpint(sd_bus_message_enter_container(reply, 'a', "{sv}"), >, 0);
                                while (sd_bus_message_enter_container(reply, 'e', "sv") > 0) {
                                        const char *prop, *s;
                                        g_assert_cmpint(sd_bus_message_read(reply, "s", &prop), >=, 0);
                                        if (g_str_equal(prop, "Name") || g_str_equal(prop, "UUID")) {
                                                g_assert_cmpint(sd_bus_message_read(reply, "v", "s", &s), >=, 0);
                                                if (g_str_equal(prop, "Name"))
                                                        name = g_strdup(s);
                                                else
                                                        uuid = g_strdup(s);
                                        } else if (g_str_equal(prop, "Persistent")) {
                                                g_assert_cmpint(sd_bus_message_read(reply, "v", "b", &persistent), >=, 0);
                                        } else if (g_str_equal(prop, "Autostart")) {
                                                g_assert_cmpint(sd_bus_message_read(reply, "v", "b", &autostart), >=, 0);
                                        } else if (g_str_equal(prop, "Active")) {
                                                g_assert_cmpint(sd_bus_message_read(reply, "v", "b", &active), >=, 0);
                                        } else if (g_str_equal(prop, "Id")) {
                                                g_assert_cmpint(sd_bus_message_read(reply, "v", "i", &id), >=, 0);
                                        } else if (g_str_equal(prop, "State")) {
                                                g_assert_cmpint(sd_bus_message_read(reply, "v", "(ii)", &state, &reason), >=, 0);
                                        } else {
                                                g_assert_cmpint(sd_bus_message_skip(reply, "v"), >=, 0);
                                        }
                                        g_assert_cmpint(sd_bus_message_exit_container(reply), >=, 0);
                                }
                                g_assert_cmpint(sd_bus_message_exit_container(reply), >=, 0);
                                g_assert_nonnull(name);
                                g_assert_nonnull(uuid);
                                g_assert_cmpint(persistent, ==, 1);
                                g_assert_cmpint(active, ==, 0);
                                g_assert_cmpint(id, ==, -1);
                                g_assert_cmpint(state, ==, 5);
                                g_assert_cmpint(reason, ==, 0);
                                g_assert_cmpint(autostart, ==, g_str_equal(name, "om2"));
                                g_hash_table_insert(names, g_strdup(obj), g_strdup_printf("%s %s", name, uuid));
                        }
                        g_assert_cmpint(sd_bus_message_exit_container(reply), >=, 0);
                }
                g_assert_cmpint(sd_bus_message_exit_container(reply), >=, 0);
                g_assert_cmpint(sd_bus_message_exit_container(reply), >=, 0);
        }
        g_assert_cmpuint(g_hash_table_size(names), ==, 2);
        g_assert_cmpstr(g_hash_table_lookup(names, p1), ==, "om1 " UUID1);
        g_assert_cmpstr(g_hash_table_lookup(names, p2), ==, "om2 " UUID2);
        g_assert_cmpuint(n_objects, ==, 2);

        /* and after an undefine it is gone from the managed objects */
        {
                g_autoptr(sd_bus_message) r2 = NULL;
                g_autofree char *out = NULL, *err = NULL;
                int r;
                g_assert_cmpint(test_call(tb, p1, DOMAIN_IFACE, "Undefine", &e, NULL, "u", 0), >=, 0);
                r = test_run(tb, true, &out, &err,
                             (const char *const[]) { "busctl", "--user", "call", QEMU_BUS_NAME, MANAGER,
                                                     "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL });
                g_assert_cmpint(r, ==, 0);
                g_assert_null(strstr(out, p1));
                g_assert_nonnull(strstr(out, p2));
                g_assert_true(g_str_has_prefix(out, "a{oa{sa{sv}}} 1 "));
        }
}

/* A thousand definitions: a thousand files, and ListDomains returns them all. Timings are
 * reported, never asserted. */
static void test_many_domains(void) {
        enum { N = 1000 };
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *cfgdir = NULL;
        g_autoptr(GDir) dir = NULL;
        g_auto(GStrv) list = NULL;
        g_autoptr(GHashTable) listed = g_hash_table_new(g_str_hash, g_str_equal);
        const char *e;
        unsigned files = 0;
        gint64 t0, t1, t2;

        /* activate (and probe QEMU) before timing */
        {
                g_auto(GStrv) empty = test_list_domains(tb, 0);
                g_assert_cmpuint(g_strv_length(empty), ==, 0);
                g_autofree char *warm = define_ok(tb, "warm", UUID1);
                g_auto(sd_bus_error) err = SD_BUS_ERROR_NULL;
                g_assert_cmpint(test_call(tb, warm, DOMAIN_IFACE, "Undefine", &err, NULL, "u", 0), >=, 0);
        }
        t0 = g_get_monotonic_time();
        for (int i = 0; i < N; i++) {
                g_autofree char *name = g_strdup_printf("dom%04d", i);
                g_autofree char *uuid = g_strdup_printf("00000000-0000-4000-8000-%012d", i);
                g_ptr_array_add(paths, define_ok(tb, name, uuid));
                if (tb->signals->len > 256)
                        test_bus_clear_signals(tb);
        }
        t1 = g_get_monotonic_time();
        list = test_list_domains(tb, 0);
        t2 = g_get_monotonic_time();
        g_test_message("%d defines: %.2f ms per define; ListDomains(0) of %u: %.2f ms", N,
                       (double) (t1 - t0) / 1000.0 / N, g_strv_length(list), (double) (t2 - t1) / 1000.0);

        g_assert_cmpuint(g_strv_length(list), ==, N);
        for (char **p = list; *p; p++)
                g_hash_table_add(listed, *p);
        g_assert_cmpuint(g_hash_table_size(listed), ==, N);
        for (guint i = 0; i < paths->len; i++)
                g_assert_true(g_hash_table_contains(listed, g_ptr_array_index(paths, i)));

        cfgdir = test_root_file(tb, "etc/vmmd/qemu");
        dir = g_dir_open(cfgdir, 0, NULL);
        g_assert_nonnull(dir);
        while ((e = g_dir_read_name(dir))) {
                g_autofree char *full = g_build_filename(cfgdir, e, NULL);
                g_assert_false(g_str_has_prefix(e, ".#"));
                if (g_str_has_suffix(e, ".xml") && g_file_test(full, G_FILE_TEST_IS_REGULAR))
                        files++;
        }
        g_assert_cmpuint(files, ==, N);

        /* a filter over all of them, and a lookup at the end of the range */
        {
                g_auto(GStrv) inactive = test_list_domains(tb, DOMAIN_LIST_INACTIVE | DOMAIN_LIST_PERSISTENT | DOMAIN_LIST_SHUTOFF);
                g_auto(GStrv) active = test_list_domains(tb, DOMAIN_LIST_ACTIVE);
                g_auto(sd_bus_error) err = SD_BUS_ERROR_NULL;
                g_autofree char *last = test_lookup(tb, "DomainLookupByName", "dom0999", &err);
                g_assert_cmpuint(g_strv_length(inactive), ==, N);
                g_assert_cmpuint(g_strv_length(active), ==, 0);
                g_assert_cmpstr(last, ==, g_ptr_array_index(paths, N - 1));
        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/runtime/idle-exit", test_idle_exit);
        g_test_add_func("/runtime/single-instance", test_single_instance);
        g_test_add_func("/runtime/introspect", test_introspect);
        g_test_add_func("/runtime/object-manager", test_object_manager);
        g_test_add_func("/runtime/many-domains", test_many_domains);
        return g_test_run();
}
