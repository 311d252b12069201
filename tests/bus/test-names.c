/* The one name rule (issue 10) through every define path of both daemons: domains (define and
 * rename), snapshots, pools and volumes refuse the same names with their kind's error, and a
 * refused name touches nothing on disk. */
#include <string.h>
#include <unistd.h>

#include "test-storage-common.h"

#define QEMU_MANAGER QEMU_MANAGER_PATH
#define QEMU_MANAGER_IFACE QEMU_MANAGER_INTERFACE
#define DOMAIN_IFACE QEMU_DOMAIN_INTERFACE
#define DOM_UUID "2b7e5a10-4c3d-4e2f-9a1b-0c9d8e7f6a51"
#define DOM2_UUID "2b7e5a10-4c3d-4e2f-9a1b-0c9d8e7f6a52"

/* How a name fares: accepted, refused as the kind refuses '/', or refused as it refuses a
 * newline (A5, S2 keep XMLDetail for that one), or empty (each kind's own error). */
typedef enum { ACCEPT, SLASH, NEWLINE, EMPTY } Outcome;

typedef struct {
        const char *label;
        char *name;          /* raw bytes */
        Outcome outcome;
        const char *message; /* a substring the error message must hold */
} NameCase;

typedef struct {
        const char *kind;
        const char *slash_error, *newline_error, *empty_error; /* NULL empty_error: not tried */
} Kind;

static const Kind domain_kind = { "domain", VMMD_DBUS_ERROR_XML_ERROR, VMMD_DBUS_ERROR_XML_DETAIL,
                                  VMMD_DBUS_ERROR_NO_NAME };
static const Kind rename_kind = { "rename", VMMD_DBUS_ERROR_XML_ERROR, VMMD_DBUS_ERROR_XML_DETAIL,
                                  VMMD_DBUS_ERROR_INVALID_ARG };
static const Kind snapshot_kind = { "snapshot", VMMD_DBUS_ERROR_XML_DETAIL, VMMD_DBUS_ERROR_XML_DETAIL, NULL };
static const Kind pool_kind = { "pool", VMMD_DBUS_ERROR_XML_ERROR, VMMD_DBUS_ERROR_XML_DETAIL,
                                VMMD_DBUS_ERROR_XML_ERROR };
static const Kind volume_kind = { "volume", VMMD_DBUS_ERROR_OPERATION_INVALID, VMMD_DBUS_ERROR_OPERATION_INVALID,
                                  VMMD_DBUS_ERROR_XML_ERROR };

static GPtrArray *name_cases(void) {
        GPtrArray *a = g_ptr_array_new();
        static const struct {
                const char *label, *name;
                Outcome outcome;
                const char *message;
        } fixed[] = {
                { "dot", ".", SLASH, "cannot start with '.'" },
                { "dotdot", "..", SLASH, "cannot start with '.'" },
                { "hidden", ".x", SLASH, "cannot start with '.'" },
                { "slash", "a/b", SLASH, "cannot contain '/'" },
                { "root", "/", SLASH, "cannot contain '/'" },
                { "dotdot-slash", "../x", SLASH, "cannot contain '/'" },
                { "newline", "a\nb", NEWLINE, "newline" },
                { "cr", "a\rb", SLASH, "control characters" },
                { "tab", "a\tb", SLASH, "control characters" },
                { "del", "a\x7f" "b", SLASH, "control characters" },
                { "space", " ", SLASH, "empty or only spaces" },
                { "spaces", "    ", SLASH, "empty or only spaces" },
                { "empty", "", EMPTY, "" },
                { "leading-space", " lead", ACCEPT, NULL },
                { "inner-dots", "a..b.", ACCEPT, NULL },
        };
        static const struct {
                size_t len;
                Outcome outcome;
        } lengths[] = { { 200, ACCEPT }, { 201, SLASH }, { 255, SLASH }, { 256, SLASH }, { 4096, SLASH } };

        for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++) {
                NameCase *c = g_new0(NameCase, 1);
                c->label = fixed[i].label;
                c->name = g_strdup(fixed[i].name);
                c->outcome = fixed[i].outcome;
                c->message = fixed[i].message;
                g_ptr_array_add(a, c);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(lengths); i++) {
                NameCase *c = g_new0(NameCase, 1);
                c->label = "long";
                c->name = g_strnfill(lengths[i].len, 'n');
                c->outcome = lengths[i].outcome;
                c->message = "the limit is 200 bytes";
                g_ptr_array_add(a, c);
        }
        return a;
}

static void name_cases_free(GPtrArray *a) {
        for (unsigned i = 0; i < a->len; i++) {
                NameCase *c = a->pdata[i];
                g_free(c->name);
                g_free(c);
        }
        g_ptr_array_free(a, TRUE);
}

/* The name as XML text: control characters as character references (a raw CR would be
 * read back as a newline). */
static char *xml_escape_name(const char *s) {
        GString *out = g_string_new(NULL);

        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                switch (*p) {
                case '&': g_string_append(out, "&amp;"); break;
                case '<': g_string_append(out, "&lt;"); break;
                case '>': g_string_append(out, "&gt;"); break;
                case '\'': g_string_append(out, "&apos;"); break;
                default:
                        if (*p < 0x20 || *p == 0x7f)
                                g_string_append_printf(out, "&#%u;", *p);
                        else
                                g_string_append_c(out, (char) *p);
                }
        }
        return g_string_free(out, FALSE);
}

/* Everything the daemons keep (definitions, state) and the pool directory, as one listing. */
static char *state_tree(TestBus *tb) {
        g_autofree char *etc = test_root_file(tb, "etc");
        g_autofree char *lib = test_root_file(tb, "var/lib");
        g_autofree char *pools = g_build_filename(tb->dir, "pools", NULL);
        g_autofree char *a = test_dir_snapshot(etc), *b = test_dir_snapshot(lib), *c = test_dir_snapshot(pools);

        return g_strconcat("[etc]\n", a, "[var/lib]\n", b, "[pools]\n", c, NULL);
}

static void check_refused(TestBus *tb, const Kind *k, const NameCase *c, const char *before, int r,
                          const sd_bus_error *e) {
        g_autofree char *after = state_tree(tb);
        const char *want = c->outcome == NEWLINE ? k->newline_error : c->outcome == EMPTY ? k->empty_error
                                                                                          : k->slash_error;

        if (r >= 0)
                g_error("%s name '%s' (%s) was accepted", k->kind, g_strescape(c->name, NULL), c->label);
        if (!g_str_equal(e->name, want) || !strstr(e->message, c->message))
                g_error("%s name %s: got %s: %s; want %s with '%s'", k->kind, c->label, e->name, e->message, want,
                        c->message);
        if (!g_str_equal(before, after))
                g_error("%s name %s: the state tree changed:\n--- before\n%s\n--- after\n%s", k->kind, c->label,
                        before, after);
}

static char *domain_xml_named(const char *xml_name, const char *uuid, const char *extra) {
        return g_strdup_printf("<domain type='qemu'>\n  <name>%s</name>\n  <uuid>%s</uuid>\n%s"
                               "  <memory unit='MiB'>64</memory>\n  <os><type arch='x86_64'>hvm</type></os>\n"
                               "</domain>\n", xml_name, uuid, extra ? extra : "");
}

/* Leaves something of another domain's under the state directory, which a '..' once wiped. */
static void plant_sentinels(TestBus *tb) {
        g_autofree char *save = test_root_file(tb, "var/lib/vmmd/qemu/save/other.save");
        g_autofree char *meta = test_root_file(tb, "var/lib/vmmd/qemu/snapshot/other/s1.xml");

        test_write_file(save, "not really an image\n");
        test_write_file(meta, "<domainsnapshot/>\n");
}

static void test_domain_names(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        GPtrArray *cases = name_cases();
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *keep_xml = domain_xml_named("keep", DOM2_UUID, NULL);
        g_autofree char *keep = test_define(tb, keep_xml, 0, &e);

        g_assert_nonnull(keep);
        plant_sentinels(tb);
        for (unsigned i = 0; i < cases->len; i++) {
                NameCase *c = cases->pdata[i];
                g_autofree char *xn = xml_escape_name(c->name);
                g_autofree char *xml = domain_xml_named(xn, DOM_UUID, NULL);
                g_autofree char *before = state_tree(tb);
                g_auto(sd_bus_error) de = SD_BUS_ERROR_NULL, re = SD_BUS_ERROR_NULL, ue = SD_BUS_ERROR_NULL;
                g_autofree char *path = test_define(tb, xml, 0, &de);
                g_autofree char *got = NULL;
                int r;

                if (c->outcome != ACCEPT) {
                        check_refused(tb, &domain_kind, c, before, path ? 0 : -1, &de);
                        /* Rename takes the raw name: the same rule */
                        before = (g_free(before), state_tree(tb));
                        r = test_call(tb, keep, DOMAIN_IFACE, "Rename", &re, NULL, "su", c->name, 0);
                        check_refused(tb, &rename_kind, c, before, r, &re);
                        continue;
                }
                if (!path)
                        g_error("domain name %s refused: %s: %s", c->label, de.name, de.message);
                got = test_prop_string(tb, path, "Name");
                g_assert_cmpstr(got, ==, c->name);
                /* an accepted name is found again by a restarted daemon */
                test_bus_kill_name(tb, QEMU_BUS_NAME);
                {
                        g_auto(sd_bus_error) le = SD_BUS_ERROR_NULL;
                        g_autofree char *found = test_lookup(tb, "DomainLookupByName", c->name, &le);
                        if (!found)
                                g_error("domain %s lost after a restart: %s", c->label, le.message);
                }
                r = test_call(tb, path, DOMAIN_IFACE, "Undefine", &ue, NULL, "u", 0);
                g_assert_cmpint(r, >=, 0);
        }
        name_cases_free(cases);
}

static void test_domain_documents(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL, e3 = SD_BUS_ERROR_NULL;
        g_autofree char *body = domain_xml_named("caf\xc3\xa9", DOM_UUID, NULL);
        g_autofree char *latin = g_strconcat("<?xml version='1.0' encoding='ISO-8859-1'?>\n", body, NULL);
        g_autofree char *utf8 = g_strconcat("<?xml version='1.0' encoding='utf-8'?>\n", body, NULL);
        g_autofree char *foreign = g_strdup_printf(
                "<domain type='qemu' xmlns:x='urn:example'>\n  <x:name>../evil</x:name>\n  <name>plain</name>\n"
                "  <uuid>%s</uuid>\n  <memory unit='MiB'>64</memory>\n  <os><type arch='x86_64'>hvm</type></os>\n"
                "</domain>\n", DOM2_UUID);
        g_autofree char *only_foreign = g_strdup_printf(
                "<domain type='qemu' xmlns:x='urn:example'>\n  <x:name>web</x:name>\n"
                "  <memory unit='MiB'>64</memory>\n  <os><type arch='x86_64'>hvm</type></os>\n</domain>\n");
        g_autofree char *before = state_tree(tb);
        g_autofree char *p1 = test_define(tb, latin, 0, &e1);
        g_autofree char *after = state_tree(tb);
        g_autofree char *p2 = NULL, *p3 = NULL, *p4 = NULL, *name = NULL, *name2 = NULL;

        /* the bus string is UTF-8: a document claiming otherwise would define "cafÃ©" */
        g_assert_null(p1);
        assert_bus_error(&e1, VMMD_DBUS_ERROR_XML_ERROR, "ISO-8859-1", "UTF-8");
        g_assert_cmpstr(before, ==, after);
        p2 = test_define(tb, utf8, 0, &e2);
        g_assert_nonnull(p2);
        name = test_prop_string(tb, p2, "Name");
        g_assert_cmpstr(name, ==, "caf\xc3\xa9");

        /* only the unqualified <name> is the name */
        p3 = test_define(tb, foreign, 0, &e2);
        g_assert_nonnull(p3);
        name2 = test_prop_string(tb, p3, "Name");
        g_assert_cmpstr(name2, ==, "plain");
        p4 = test_define(tb, only_foreign, 0, &e3);
        g_assert_null(p4);
        assert_bus_error(&e3, VMMD_DBUS_ERROR_NO_NAME);
}

static bool have_qemu_img(void) {
        g_autofree char *qemu_img = g_find_program_in_path("qemu-img");
        return qemu_img != NULL;
}

static void test_snapshot_names(void) {
        g_autoptr(TestBus) tb = NULL;
        GPtrArray *cases;
        g_autofree char *disk = NULL, *dev = NULL, *xml = NULL, *dom = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        if (!have_qemu_img()) {
                g_test_skip("qemu-img is missing");
                return;
        }
        tb = test_bus_new(NULL);
        disk = g_build_filename(tb->dir, "data.qcow2", NULL);
        {
                const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };
                g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        }
        dev = g_strdup_printf("  <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                              "<source file='%s'/><target dev='vda' bus='virtio'/></disk></devices>\n", disk);
        xml = domain_xml_named("snapdom", DOM_UUID, dev);
        dom = test_define(tb, xml, 0, &e);
        if (!dom)
                g_error("define: %s: %s", e.name, e.message);
        plant_sentinels(tb);

        cases = name_cases();
        for (unsigned i = 0; i < cases->len; i++) {
                NameCase *c = cases->pdata[i];
                g_autofree char *xn = xml_escape_name(c->name);
                g_autofree char *sxml = g_strdup_printf("<domainsnapshot><name>%s</name></domainsnapshot>", xn);
                g_autofree char *before = state_tree(tb);
                g_autoptr(sd_bus_message) reply = NULL;
                g_auto(sd_bus_error) se = SD_BUS_ERROR_NULL, de = SD_BUS_ERROR_NULL;
                const char *snap;
                int r;

                if (c->outcome == EMPTY)
                        continue;   /* D3: no name means a generated one */
                r = test_call(tb, dom, DOMAIN_IFACE, "SnapshotCreateXML", &se, &reply, "su", sxml, 0);
                if (c->outcome != ACCEPT) {
                        check_refused(tb, &snapshot_kind, c, before, r, &se);
                        continue;
                }
                if (r < 0)
                        g_error("snapshot name %s refused: %s: %s", c->label, se.name, se.message);
                g_assert_cmpint(sd_bus_message_read(reply, "o", &snap), >=, 0);
                {
                        g_autofree char *got = NULL;
                        g_auto(sd_bus_error) ge = SD_BUS_ERROR_NULL;
                        g_assert_cmpint(sd_bus_get_property_string(tb->bus, QEMU_BUS_NAME, snap,
                                                                   QEMU_SNAPSHOT_INTERFACE, "Name", &ge,
                                                                   &got), >=, 0);
                        g_assert_cmpstr(got, ==, c->name);
                }
                g_assert_cmpint(test_call(tb, snap, QEMU_SNAPSHOT_INTERFACE, "Delete", &de, NULL, "u", 0),
                                >=, 0);
        }
        name_cases_free(cases);
}

static void test_storage_names(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        GPtrArray *cases = name_cases();
        g_autofree char *pool = st_dir_pool(tb, "base", UUID1, true);
        g_autofree char *target = st_pool_dir(tb, "other");

        plant_sentinels(tb);
        for (unsigned i = 0; i < cases->len; i++) {
                NameCase *c = cases->pdata[i];
                g_autofree char *xn = xml_escape_name(c->name);
                g_autofree char *pxml = st_pool_xml("dir", xn, UUID2, target, NULL);
                g_autofree char *vxml = g_strdup_printf("<volume><name>%s</name><capacity unit='KiB'>64</capacity>"
                                                        "</volume>", xn);
                g_autofree char *before = state_tree(tb);
                g_auto(sd_bus_error) pe = SD_BUS_ERROR_NULL, ve = SD_BUS_ERROR_NULL;
                g_autofree char *ppath = st_define(tb, pxml, 0, &pe);
                g_autofree char *vpath = NULL;

                if (c->outcome != ACCEPT) {
                        check_refused(tb, &pool_kind, c, before, ppath ? 0 : -1, &pe);
                        before = (g_free(before), state_tree(tb));
                        vpath = st_call_path(tb, pool, ST_POOL_IFACE, "StorageVolCreateXML", &ve, "su", vxml, 0);
                        check_refused(tb, &volume_kind, c, before, vpath ? 0 : -1, &ve);
                        continue;
                }
                if (!ppath)
                        g_error("pool name %s refused: %s: %s", c->label, pe.name, pe.message);
                vpath = st_call_path(tb, pool, ST_POOL_IFACE, "StorageVolCreateXML", &ve, "su", vxml, 0);
                if (!vpath)
                        g_error("volume name %s refused: %s: %s", c->label, ve.name, ve.message);
                /* both are found again by a restarted daemon */
                test_bus_kill_name(tb, ST);
                {
                        g_auto(sd_bus_error) le = SD_BUS_ERROR_NULL, ve2 = SD_BUS_ERROR_NULL;
                        g_autofree char *p = st_call_path(tb, ST_MANAGER, ST_MANAGER_IFACE, "StoragePoolLookupByName",
                                                          &le, "s", c->name, 0);
                        g_autoptr(sd_bus_message) reply = NULL;

                        if (!p)
                                g_error("pool %s lost after a restart: %s", c->label, le.message);
                        if (test_call_to(tb, ST, pool, ST_POOL_IFACE, "StorageVolLookupByName", &ve2, &reply, "s",
                                         c->name) < 0)
                                g_error("volume %s lost after a restart: %s", c->label, ve2.message);
                        st_ok(tb, p, ST_POOL_IFACE, "Undefine", "");
                }
                {
                        g_autoptr(sd_bus_message) reply = NULL;
                        g_auto(sd_bus_error) le = SD_BUS_ERROR_NULL;
                        const char *v;
                        g_assert_cmpint(test_call_to(tb, ST, pool, ST_POOL_IFACE, "StorageVolLookupByName", &le,
                                                     &reply, "s", c->name), >=, 0);
                        g_assert_cmpint(sd_bus_message_read(reply, "o", &v), >=, 0);
                        st_ok(tb, v, ST_VOL_IFACE, "Delete", "u", 0);
                }
        }
        name_cases_free(cases);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/names/domain", test_domain_names);
        g_test_add_func("/names/domain-documents", test_domain_documents);
        g_test_add_func("/names/snapshot", test_snapshot_names);
        g_test_add_func("/names/storage", test_storage_names);
        return g_test_run();
}
