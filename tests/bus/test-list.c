/* Domain lists in one call: ListDomainStates, the daemon's own GetManagedObjects against GetAll, and `vmmctl list` making the same number of calls for 3 domains as for 40. */
#include <string.h>
#include <unistd.h>

#include "bus-harness.h"

#define DOMAIN_IFACE QEMU_DOMAIN_INTERFACE
#define MANAGER QEMU_MANAGER_PATH

static char *define_ok(TestBus *tb, const char *name, const char *devices) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *xml = test_domain_xml(name, NULL, devices);
        char *path = test_define(tb, xml, 0, &e);

        if (!path)
                g_error("define %s: %s: %s", name, e.name, e.message);
        return path;
}

typedef struct {
        char *path, *name, *uuid;
        int32_t state, reason, id;
        bool persistent, autostart;
} Row;

static void row_free(Row *r) {
        g_free(r->path);
        g_free(r->name);
        g_free(r->uuid);
        g_free(r);
}

/* ListDomainStates(flags) as Rows, or NULL with error */
static GPtrArray *list_states(TestBus *tb, uint32_t flags, sd_bus_error *error) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func((GDestroyNotify) row_free);
        const char *path, *name, *uuid;
        int32_t state, reason, id;
        int persistent, autostart, r;

        if (test_call(tb, MANAGER, QEMU_MANAGER_INTERFACE, "ListDomainStates", error, &reply, "u", flags) < 0)
                return NULL;
        g_assert_cmpstr(sd_bus_message_get_signature(reply, true), ==, "a(ossiiibb)");
        g_assert_cmpint(sd_bus_message_enter_container(reply, 'a', "(ossiiibb)"), >, 0);
        while ((r = sd_bus_message_read(reply, "(ossiiibb)", &path, &name, &uuid, &state, &reason, &id, &persistent,
                                        &autostart)) > 0) {
                Row *row = g_new0(Row, 1);

                row->path = g_strdup(path);
                row->name = g_strdup(name);
                row->uuid = g_strdup(uuid);
                row->state = state;
                row->reason = reason;
                row->id = id;
                row->persistent = persistent;
                row->autostart = autostart;
                g_ptr_array_add(rows, row);
        }
        g_assert_cmpint(r, ==, 0);
        return g_steal_pointer(&rows);
}

/* the rows' paths are exactly what ListDomains(flags) returns, in the same (name) order */
static void assert_same_as_list_domains(TestBus *tb, uint32_t flags, GPtrArray *rows) {
        g_auto(GStrv) paths = test_list_domains(tb, flags);

        g_assert_cmpuint(g_strv_length(paths), ==, rows->len);
        for (guint i = 0; i < rows->len; i++)
                g_assert_cmpstr(((Row *) g_ptr_array_index(rows, i))->path, ==, paths[i]);
}

static void test_list_domain_states(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *pc = define_ok(tb, "list-c", NULL);
        g_autofree char *pa = define_ok(tb, "list-a", NULL);
        g_autofree char *pb = define_ok(tb, "list-b", NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(GPtrArray) all = NULL, active = NULL, inactive = NULL, autostart = NULL, bad = NULL;
        const char *expect[] = { pa, pb, pc };

        g_assert_cmpint(test_set_autostart(tb, pb, true, &e), >=, 0);
        all = list_states(tb, 0, &e);
        g_assert_nonnull(all);
        g_assert_cmpuint(all->len, ==, 3);
        for (guint i = 0; i < 3; i++) {
                Row *r = g_ptr_array_index(all, i);
                g_autofree char *name = test_prop_string(tb, expect[i], "Name");
                g_autofree char *uuid = test_prop_string(tb, expect[i], "UUID");
                int state, reason;

                test_prop_state(tb, expect[i], &state, &reason);
                /* name order, and each column what the domain's own properties say */
                g_assert_cmpstr(r->path, ==, expect[i]);
                g_assert_cmpstr(r->name, ==, name);
                g_assert_cmpstr(r->uuid, ==, uuid);
                g_assert_cmpint(r->state, ==, state);
                g_assert_cmpint(r->state, ==, DOMAIN_SHUTOFF);
                g_assert_cmpint(r->reason, ==, reason);
                g_assert_cmpint(r->id, ==, -1);
                g_assert_cmpint(r->id, ==, test_prop_int(tb, expect[i], "Id"));
                g_assert_true(r->persistent);
                g_assert_cmpint(r->autostart, ==, expect[i] == pb);
        }
        assert_same_as_list_domains(tb, 0, all);

        /* ListDomains' filters select the same rows */
        active = list_states(tb, DOMAIN_LIST_ACTIVE, &e);
        g_assert_cmpuint(active->len, ==, 0);
        inactive = list_states(tb, DOMAIN_LIST_INACTIVE, &e);
        g_assert_cmpuint(inactive->len, ==, 3);
        autostart = list_states(tb, DOMAIN_LIST_AUTOSTART, &e);
        g_assert_cmpuint(autostart->len, ==, 1);
        g_assert_cmpstr(((Row *) g_ptr_array_index(autostart, 0))->path, ==, pb);
        assert_same_as_list_domains(tb, DOMAIN_LIST_AUTOSTART, autostart);

        /* a flag ListDomains does not know is refused the same way */
        bad = list_states(tb, 1u << 30, &e);
        g_assert_null(bad);
        assert_bus_error(&e, "org.vmmd.Error.InvalidArg", "ListDomainStates");
}

/* a property's value as text ("type:value"), to compare two replies value by value; the domain
 * and snapshot properties are basic types and State's (ii) */
static char *read_variant_text(sd_bus_message *m) {
        const char *contents = NULL, *sv;
        int32_t a, b;
        int bv;
        char type;

        g_assert_cmpint(sd_bus_message_peek_type(m, &type, &contents), >, 0);
        g_assert_cmpint(type, ==, 'v');
        if (g_str_equal(contents, "(ii)")) {
                g_assert_cmpint(sd_bus_message_read(m, "v", "(ii)", &a, &b), >, 0);
                return g_strdup_printf("(ii):%d,%d", a, b);
        }
        switch (contents[0]) {
        case 's': case 'o':
                g_assert_cmpint(sd_bus_message_read(m, "v", contents, &sv), >, 0);
                return g_strdup_printf("%s:%s", contents, sv);
        case 'i':
                g_assert_cmpint(sd_bus_message_read(m, "v", "i", &a), >, 0);
                return g_strdup_printf("i:%d", a);
        case 'b':
                g_assert_cmpint(sd_bus_message_read(m, "v", "b", &bv), >, 0);
                return g_strdup_printf("b:%d", bv);
        default:
                g_error("unexpected property type %s", contents);
        }
}

/* property name -> text of its value, from an a{sv} */
static GHashTable *read_props(sd_bus_message *m) {
        GHashTable *props = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        const char *name;

        g_assert_cmpint(sd_bus_message_enter_container(m, 'a', "{sv}"), >, 0);
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                g_assert_cmpint(sd_bus_message_read(m, "s", &name), >, 0);
                g_hash_table_insert(props, g_strdup(name), read_variant_text(m));
                g_assert_cmpint(sd_bus_message_exit_container(m), >=, 0);
        }
        g_assert_cmpint(sd_bus_message_exit_container(m), >=, 0);
        return props;
}

static void assert_props_equal(GHashTable *a, GHashTable *b, const char *path) {
        GHashTableIter it;
        const char *k, *v;

        g_assert_cmpuint(g_hash_table_size(a), ==, g_hash_table_size(b));
        g_hash_table_iter_init(&it, a);
        while (g_hash_table_iter_next(&it, (gpointer *) &k, (gpointer *) &v)) {
                if (g_strcmp0(v, g_hash_table_lookup(b, k)) != 0)
                        g_error("%s: property %s is %s in GetManagedObjects but %s in GetAll", path, k, v,
                                (const char *) g_hash_table_lookup(b, k));
        }
}

static GHashTable *get_all(TestBus *tb, const char *path, const char *iface) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        g_assert_cmpint(test_call(tb, path, "org.freedesktop.DBus.Properties", "GetAll", &e, &reply, "s", iface), >=, 0);
        return read_props(reply);
}

/* GetManagedObjects (answered by the daemon from its model) says what each object's GetAll says,
 * lists each object's own interface, and has every domain and snapshot */
static void test_object_manager_matches_getall(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *disk = g_build_filename(tb->dir, "om.qcow2", NULL);
        g_autofree char *dev = g_strdup_printf("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                                               "<source file='%s'/><target dev='vda' bus='virtio'/></disk>", disk);
        const char *img[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };
        g_autofree char *p1 = NULL, *p2 = NULL, *snap = NULL;
        g_autoptr(sd_bus_message) reply = NULL, sreply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        unsigned domains = 0, snapshots = 0;
        const char *obj, *snap_path;

        g_assert_cmpint(test_run(tb, false, NULL, NULL, img), ==, 0);
        p1 = define_ok(tb, "om-disk", dev);
        p2 = define_ok(tb, "om-plain", NULL);
        g_assert_cmpint(test_set_autostart(tb, p2, true, &e), >=, 0);
        /* an inactive domain's internal snapshot is qemu-img work: no QEMU needed */
        g_assert_cmpint(test_call(tb, p1, DOMAIN_IFACE, "SnapshotCreateXML", &e, &sreply, "su",
                                  "<domainsnapshot><name>s1</name></domainsnapshot>", 0), >=, 0);
        g_assert_cmpint(sd_bus_message_read(sreply, "o", &snap_path), >, 0);
        snap = g_strdup(snap_path);

        g_assert_cmpint(test_call(tb, MANAGER, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", &e, &reply,
                                  NULL), >=, 0);
        g_assert_cmpstr(sd_bus_message_get_signature(reply, true), ==, "a{oa{sa{sv}}}");
        g_assert_cmpint(sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}"), >, 0);
        while (sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
                g_autoptr(GString) ifaces = g_string_new(NULL);
                bool is_snapshot;
                const char *iface;

                g_assert_cmpint(sd_bus_message_read(reply, "o", &obj), >, 0);
                is_snapshot = g_str_equal(obj, snap);
                if (is_snapshot)
                        snapshots++;
                else {
                        g_assert_true(g_str_equal(obj, p1) || g_str_equal(obj, p2));
                        domains++;
                }
                g_assert_cmpint(sd_bus_message_enter_container(reply, 'a', "{sa{sv}}"), >, 0);
                while (sd_bus_message_enter_container(reply, 'e', "sa{sv}") > 0) {
                        g_autoptr(GHashTable) props = NULL, want = NULL;

                        g_assert_cmpint(sd_bus_message_read(reply, "s", &iface), >, 0);
                        g_string_append_printf(ifaces, "%s ", iface);
                        props = read_props(reply);
                        if (g_str_has_prefix(iface, "org.freedesktop.DBus."))
                                g_assert_cmpuint(g_hash_table_size(props), ==, 0);
                        else {
                                want = get_all(tb, obj, iface);
                                assert_props_equal(props, want, obj);
                        }
                        g_assert_cmpint(sd_bus_message_exit_container(reply), >=, 0);
                }
                /* the object's own interface only: the standard ones carry no properties and the
                 * reply leaves them out (common/bus-object.c says why) */
                g_assert_cmpstr(ifaces->str, ==, is_snapshot ? QEMU_SNAPSHOT_INTERFACE " " : QEMU_DOMAIN_INTERFACE " ");
                g_assert_cmpint(sd_bus_message_exit_container(reply), >=, 0);
                g_assert_cmpint(sd_bus_message_exit_container(reply), >=, 0);
        }
        g_assert_cmpuint(domains, ==, 2);
        g_assert_cmpuint(snapshots, ==, 1);
        /* ... which the objects still answer */
        g_assert_cmpint(test_call(tb, p1, "org.freedesktop.DBus.Peer", "Ping", &e, NULL, NULL), >=, 0);
        g_assert_cmpint(test_call(tb, snap, "org.freedesktop.DBus.Properties", "Get", &e, NULL, "ss",
                                  QEMU_SNAPSHOT_INTERFACE, "Name"), >=, 0);

        /* the built-in ObjectManager still refuses a call with arguments */
        g_assert_cmpint(test_call(tb, MANAGER, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", &e, NULL,
                                  "s", "x"), <, 0);
        g_assert_nonnull(e.name);
}

/* --- vmmctl list: how many calls it makes --- */

/* a monitor connection on the test bus that sees every method call to vmmd-qemu */
static sd_bus *monitor_new(TestBus *tb) {
        g_autoptr(sd_bus_message) m = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        sd_bus *bus = NULL;

        g_assert_cmpint(sd_bus_new(&bus), >=, 0);
        g_assert_cmpint(sd_bus_set_address(bus, tb->address), >=, 0);
        g_assert_cmpint(sd_bus_set_monitor(bus, true), >=, 0);
        g_assert_cmpint(sd_bus_set_bus_client(bus, true), >=, 0);
        g_assert_cmpint(sd_bus_start(bus), >=, 0);
        g_assert_cmpint(sd_bus_message_new_method_call(bus, &m, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                       "org.freedesktop.DBus.Monitoring", "BecomeMonitor"), >=, 0);
        g_assert_cmpint(sd_bus_message_append_strv(m, (char **) (const char *[]) {
                                "type='method_call',destination='" QEMU_BUS_NAME "'", NULL }), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "u", 0), >=, 0);
        g_assert_cmpint(sd_bus_call(bus, m, 0, &e, NULL), >=, 0);
        return bus;
}

/* The calls to vmmd-qemu the monitor saw from others than the test's own connection, up to the
 * marker call the test makes after the command (a bounded wait: the monitor sees it last). */
static unsigned count_calls(TestBus *tb, sd_bus *mon) {
        const char *me = NULL;
        gint64 deadline;
        unsigned n = 0;

        g_assert_cmpint(sd_bus_get_unique_name(tb->bus, &me), >=, 0);
        g_assert_cmpint(test_call(tb, MANAGER, "org.freedesktop.DBus.Peer", "Ping", NULL, NULL, NULL), >=, 0);
        deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
        for (;;) {
                g_autoptr(sd_bus_message) m = NULL;
                int r = sd_bus_process(mon, &m);

                g_assert_cmpint(r, >=, 0);
                if (m && sd_bus_message_is_method_call(m, NULL, NULL)) {
                        if (g_str_equal(sd_bus_message_get_sender(m), me)) {
                                if (sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Peer", "Ping"))
                                        return n;
                        } else
                                n++;
                }
                if (r > 0)
                        continue;
                g_assert_cmpint(g_get_monotonic_time(), <, deadline);
                g_assert_cmpint(sd_bus_wait(mon, 100000), >=, 0);
        }
}

/* The built vmmctl, or NULL with the test skipped when this run has none */
static char *vmmctl_exe(void) {
        g_autofree char *exe = NULL;

        if (!g_getenv("VMMD_BUILD_ROOT")) {
                g_test_skip("VMMD_BUILD_ROOT is not set");
                return NULL;
        }
        exe = g_build_filename(g_getenv("VMMD_BUILD_ROOT"), "tools", "vmmctl", "vmmctl", NULL);
        if (access(exe, X_OK) != 0) {
                g_test_skip("vmmctl is not built");
                return NULL;
        }
        return g_steal_pointer(&exe);
}

static char *vmmctl_list(TestBus *tb, sd_bus *mon, unsigned *ret_calls) {
        g_autofree char *exe = g_build_filename(g_getenv("VMMD_BUILD_ROOT"), "tools", "vmmctl", "vmmctl", NULL);
        const char *argv[] = { exe, "list", "--all", NULL };
        g_autofree char *err = NULL;
        char *out = NULL;

        g_assert_cmpint(test_run(tb, false, &out, &err, argv), ==, 0);
        *ret_calls = count_calls(tb, mon);
        return out;
}

static void test_vmmctl_list_calls(void) {
        g_autoptr(TestBus) tb = NULL;
        g_autofree char *exe = NULL, *out3 = NULL, *out40 = NULL, *pb = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus) mon = NULL;
        g_auto(GStrv) lines = NULL;
        unsigned calls3, calls40;

        if (!(exe = vmmctl_exe()))
                return;
        tb = test_bus_new(NULL);
        g_free(define_ok(tb, "zeta", NULL));
        pb = define_ok(tb, "alpha", NULL);
        g_free(define_ok(tb, "mid", NULL));
        g_assert_cmpint(test_set_autostart(tb, pb, true, &e), >=, 0);
        mon = monitor_new(tb);

        out3 = vmmctl_list(tb, mon, &calls3);
        /* virsh's table: by name for inactive ones, "-" for their id */
        g_assert_cmpstr(out3, ==,
                        " Id   Name    State\n"
                        "-----------------------\n"
                        " -    alpha   shut off\n"
                        " -    mid     shut off\n"
                        " -    zeta    shut off\n"
                        "\n");
        for (int i = 0; i < 37; i++) {
                g_autofree char *name = g_strdup_printf("many%02d", i);
                g_free(define_ok(tb, name, NULL));
        }
        out40 = vmmctl_list(tb, mon, &calls40);
        g_assert_nonnull(strstr(out40, " -    many36   shut off\n"));
        lines = g_strsplit(out40, "\n", -1);
        g_assert_cmpuint(g_strv_length(lines), ==, 40 + 3 + 1);
        /* one call for the whole table, whatever the count */
        g_assert_cmpuint(calls3, >=, 1);
        g_assert_cmpuint(calls3, <=, 2);
        g_assert_cmpuint(calls40, ==, calls3);
}

/* list --json: empty, then a name that needs escaping, laid out as json-glib's pretty printer did
 * (vmmctl writes it itself now) */
static void test_vmmctl_list_json(void) {
        g_autofree char *exe = NULL, *empty = NULL, *out = NULL, *err = NULL, *path = NULL, *want = NULL;
        g_autofree char *uuid = NULL;
        g_autoptr(TestBus) tb = NULL;

        if (!(exe = vmmctl_exe()))
                return;
        tb = test_bus_new(NULL);
        g_assert_cmpint(test_run(tb, false, &empty, &err, (const char *[]) { exe, "list", "--all", "--json", NULL }),
                        ==, 0);
        g_assert_cmpstr(empty, ==, "[]\n");
        path = define_ok(tb, "q\"b\\c \xc3\xa9", NULL);
        uuid = test_prop_string(tb, path, "UUID");
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(test_run(tb, false, &out, &err, (const char *[]) { exe, "list", "--all", "--json", NULL }),
                        ==, 0);
        want = g_strdup_printf("[\n"
                               "  {\n"
                               "    \"id\" : -1,\n"
                               "    \"name\" : \"q\\\"b\\\\c \xc3\xa9\",\n"
                               "    \"uuid\" : \"%s\",\n"
                               "    \"state\" : \"shut off\",\n"
                               "    \"persistent\" : true,\n"
                               "    \"autostart\" : false\n"
                               "  }\n"
                               "]\n", uuid);
        g_assert_cmpstr(out, ==, want);
}

/* dominfo's rows that come from the domain XML (vmmctl reads it with its own small parser) */
static void test_vmmctl_dominfo(void) {
        g_autofree char *exe = NULL, *out = NULL, *err = NULL;
        g_autoptr(TestBus) tb = NULL;

        if (!(exe = vmmctl_exe()))
                return;
        tb = test_bus_new(NULL);
        g_free(define_ok(tb, "info&amp;&lt;1&gt;", NULL));   /* the name is info&<1> */
        g_assert_cmpint(test_run(tb, false, &out, &err, (const char *[]) { exe, "dominfo", "info&<1>", NULL }), ==, 0);
        g_assert_true(g_str_has_prefix(out, "Id:             -\n"
                                            "Name:           info&<1>\n"
                                            "UUID:           "));
        g_assert_nonnull(strstr(out, "\nOS Type:        hvm\n"
                                     "State:          shut off\n"
                                     "CPU(s):         1\n"
                                     "Max memory:     131072 KiB\n"
                                     "Used memory:    131072 KiB\n"));
}

/* A start with enough definitions to be parsed by several threads keeps every load-time check:
 * an unreadable XML, a file named after another domain and a second file with a known uuid are
 * skipped, and of two files with one uuid the first in name order is the one loaded. */
static void test_load_many_checks_each(void) {
        enum { N = 150 };
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_auto(GStrv) listed = NULL;
        g_autofree char *dup_a = NULL, *dup_b = NULL, *bad = NULL, *misnamed = NULL;
        g_autofree char *path = NULL, *name = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        for (int i = 0; i < N; i++) {
                g_autofree char *n = g_strdup_printf("load%03d", i);
                g_free(define_ok(tb, n, NULL));
        }
        /* written behind the daemon's back, as a crash or an editor would leave them */
        test_bus_kill_name(tb, QEMU_BUS_NAME);
        bad = test_config_file(tb, "broken");
        test_write_file(bad, "<domain type='qemu'><name>broken</name>");
        misnamed = test_config_file(tb, "misnamed");
        {
                g_autofree char *xml = test_domain_xml("someone-else", "0a0b0c0d-0000-4000-8000-000000000001", NULL);
                test_write_file(misnamed, xml);
        }
        dup_a = test_config_file(tb, "dup-a");
        dup_b = test_config_file(tb, "dup-b");
        {
                g_autofree char *a = test_domain_xml("dup-a", "0a0b0c0d-0000-4000-8000-000000000002", NULL);
                g_autofree char *b = test_domain_xml("dup-b", "0a0b0c0d-0000-4000-8000-000000000002", NULL);
                test_write_file(dup_a, a);
                test_write_file(dup_b, b);
        }

        listed = test_list_domains(tb, 0);   /* the first call starts the daemon again */
        g_assert_cmpuint(g_strv_length(listed), ==, N + 1);
        for (int i = 0; i < N; i += 37) {
                g_autofree char *n = g_strdup_printf("load%03d", i);
                g_autofree char *p = test_lookup(tb, "DomainLookupByName", n, &e);
                g_assert_nonnull(p);
        }
        path = test_lookup(tb, "DomainLookupByUUID", "0a0b0c0d-0000-4000-8000-000000000002", &e);
        g_assert_nonnull(path);
        name = test_prop_string(tb, path, "Name");
        g_assert_cmpstr(name, ==, "dup-a");
        g_assert_null(test_lookup(tb, "DomainLookupByName", "broken", &e));
        sd_bus_error_free(&e);
        g_assert_null(test_lookup(tb, "DomainLookupByName", "someone-else", &e));
        sd_bus_error_free(&e);
        g_assert_null(test_lookup(tb, "DomainLookupByName", "dup-b", &e));
        sd_bus_error_free(&e);
        /* nothing the daemon skipped was deleted */
        g_assert_true(g_file_test(bad, G_FILE_TEST_EXISTS));
        g_assert_true(g_file_test(misnamed, G_FILE_TEST_EXISTS));
        g_assert_true(g_file_test(dup_b, G_FILE_TEST_EXISTS));
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/list/domain-states", test_list_domain_states);
        g_test_add_func("/list/object-manager-matches-getall", test_object_manager_matches_getall);
        g_test_add_func("/list/vmmctl-list-calls", test_vmmctl_list_calls);
        g_test_add_func("/list/vmmctl-list-json", test_vmmctl_list_json);
        g_test_add_func("/list/vmmctl-dominfo", test_vmmctl_dominfo);
        g_test_add_func("/list/load-many-checks-each", test_load_many_checks_each);
        return g_test_run();
}
