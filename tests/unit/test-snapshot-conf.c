/* Unit tests for the domain snapshot conf library: golden round trips, errors, API. */
#include "snapshot-conf.h"
#include "domain-conf.h"
#include "error.h"
#include "unit-conf.h"
#include "unit-util.h"

#include <string.h>

/*
 * Golden convention: tests/data/snapshot/out/NAME.xml = format(parse(in/NAME.xml)), where the
 * file name's prefix picks the flags:
 *   create-…    parse VALIDATE, format 0 (a new snapshot: the creation time is now, so it is
 *               masked as 0, and so is a name generated from it);
 *   redefine-…  parse REDEFINE|VALIDATE, format 0 (secrets of the inner domains hidden);
 *   metadata-…  parse REDEFINE|METADATA|VALIDATE, format SECURE|METADATA (the daemon's files).
 * Set VMMD_TEST_REGENERATE=1 to rewrite the out files (review the diff before committing).
 */

typedef struct {
        unsigned parse;
        unsigned format;
        bool mask_time;
} GoldenFlags;

static GoldenFlags golden_flags(const char *name) {
        if (g_str_has_prefix(name, "redefine-"))
                return (GoldenFlags) { SNAPSHOT_PARSE_REDEFINE | SNAPSHOT_PARSE_VALIDATE, 0, false };
        if (g_str_has_prefix(name, "metadata-"))
                return (GoldenFlags) { SNAPSHOT_PARSE_REDEFINE | SNAPSHOT_PARSE_METADATA | SNAPSHOT_PARSE_VALIDATE,
                                       SNAPSHOT_FORMAT_SECURE | SNAPSHOT_FORMAT_METADATA, false };
        g_assert_true(g_str_has_prefix(name, "create-"));
        return (GoldenFlags) { SNAPSHOT_PARSE_VALIDATE, 0, true };
}

/* A UnitRoundTrip. A new snapshot's time is now; a name generated from it is masked with it. */
static char *round_trip(const char *name, const char *xml, bool golden, GError **error) {
        GoldenFlags f = golden_flags(name);
        g_autoptr(SnapshotDef) def = snapshot_def_parse_string(xml, f.parse, error);

        if (!def)
                return NULL;
        if (f.mask_time) {
                g_autofree char *now = g_strdup_printf("%lld", def->creation_time);

                g_assert_true(def->has_creation_time);
                if (g_strcmp0(def->name, now) == 0) {
                        g_free(def->name);
                        def->name = g_strdup("0");
                }
                def->creation_time = 0;
        }
        return snapshot_def_format(def, f.format);
}

/* --- error cases: tests/data/snapshot/err/NAME.xml --- */

#define REDEFINE SNAPSHOT_PARSE_REDEFINE
#define VALIDATE SNAPSHOT_PARSE_VALIDATE
#define METADATA SNAPSHOT_PARSE_METADATA

static const UnitErrorCase error_cases[] = {
        { "not-well-formed", 0, VMMD_ERROR_XML_DETAIL, "not well formed", "line 5" },
        { "wrong-root", 0, VMMD_ERROR_XML_ERROR, "domainsnapshot", "<domain>" },
        { "entity-declaration", 0, VMMD_ERROR_XML_ERROR, "entity", NULL },
        { "name-slash", 0, VMMD_ERROR_XML_DETAIL, "a/b", NULL },
        { "name-dot", 0, VMMD_ERROR_XML_DETAIL, ".hidden", NULL },
        { "redefine-no-name", REDEFINE, VMMD_ERROR_XML_ERROR, "name", NULL },
        { "redefine-no-creation-time", REDEFINE, VMMD_ERROR_INTERNAL_ERROR, "creationTime", NULL },
        { "redefine-bad-creation-time", REDEFINE, VMMD_ERROR_INTERNAL_ERROR, "creationTime", NULL },
        { "redefine-no-state", REDEFINE, VMMD_ERROR_XML_ERROR, "state", NULL },
        { "redefine-unknown-state", REDEFINE, VMMD_ERROR_CONFIG_UNSUPPORTED, "hibernating", NULL },
        { "redefine-nostate", REDEFINE | METADATA, VMMD_ERROR_CONFIG_UNSUPPORTED, "nostate", NULL },
        { "redefine-offline-memory", REDEFINE, VMMD_ERROR_XML_ERROR, "offline", "disk-only" },
        { "redefine-bad-domain-uuid", REDEFINE, VMMD_ERROR_INTERNAL_ERROR, "not-a-uuid", NULL },
        { "redefine-domain-no-name", REDEFINE, VMMD_ERROR_NO_NAME, "<domain>", NULL },
        { "redefine-inactive-domain-bad-name", REDEFINE, VMMD_ERROR_XML_ERROR, "inactiveDomain", "a/b" },
        { "memory-file-not-external", 0, VMMD_ERROR_XML_ERROR, "/var/lib/vmmd/mem.save", "external" },
        { "memory-file-snapshot-no", 0, VMMD_ERROR_XML_ERROR, "/var/lib/vmmd/mem.save", "external" },
        { "memory-external-no-file", 0, VMMD_ERROR_XML_ERROR, "filename", NULL },
        { "memory-relative-file", 0, VMMD_ERROR_XML_ERROR, "mem.save", "absolute" },
        { "memory-manual", 0, VMMD_ERROR_XML_ERROR, "manual", NULL },
        { "memory-default-value", 0, VMMD_ERROR_XML_ERROR, "default", NULL },
        { "memory-unknown-location", 0, VMMD_ERROR_XML_ERROR, "sideways", NULL },
        { "disk-relative-source", 0, VMMD_ERROR_XML_ERROR, "images/vda.s", "absolute" },
        { "disk-no-name", 0, VMMD_ERROR_INTERNAL_ERROR, "name", NULL },
        { "disk-unknown-location", 0, VMMD_ERROR_XML_ERROR, "elsewhere", NULL },
        { "disk-type-block", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "block", "vda" },
        { "disk-unknown-type", 0, VMMD_ERROR_XML_ERROR, "tape", NULL },
        { "disk-unknown-driver", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "vhdx", NULL },
        { "metadata-bad-active", REDEFINE | METADATA, VMMD_ERROR_XML_ERROR, "active", "yes" },
        { "schema-unknown-element", VALIDATE, VMMD_ERROR_XML_INVALID_SCHEMA, "domainsnapshot.rng", NULL },
        { "schema-inner-domain", REDEFINE | VALIDATE, VMMD_ERROR_XML_INVALID_SCHEMA, "<domain>", "frobnicator" },
};

static void test_error(gconstpointer data) {
        const UnitErrorCase *c = data;
        g_autofree char *path = unit_data_path("snapshot", "err", c->file);
        g_autofree char *xml = unit_read_file(path);
        g_autoptr(GError) error = NULL;
        g_autoptr(SnapshotDef) def = snapshot_def_parse_string(xml, c->flags, &error);

        unit_check_error(c, error, def != NULL);
}

/* Every file in err has a case, and every case a file. */
static void test_error_table_complete(void) {
        unit_assert_error_table_complete("snapshot", error_cases, G_N_ELEMENTS(error_cases));
}

/* Without VALIDATE, what only the schemas refuse parses. */
static void test_schema_only_errors(void) {
        const char *names[] = { "schema-unknown-element", "schema-inner-domain" };

        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                g_autofree char *path = unit_data_path("snapshot", "err", names[i]);
                g_autofree char *xml = unit_read_file(path);
                g_autoptr(GError) error = NULL;
                g_autoptr(SnapshotDef) def = snapshot_def_parse_string(xml, REDEFINE, &error);

                if (i == 0) {
                        /* no state: the schema-only file is a create document */
                        g_clear_error(&error);
                        def = snapshot_def_parse_string(xml, 0, &error);
                }
                g_assert_no_error(error);
                g_assert_nonnull(def);
        }
}

/* --- API behaviour beyond the golden files --- */

static SnapshotDef *parse_in(const char *name) {
        g_autofree char *path = unit_data_path("snapshot", "in", name);
        g_autofree char *xml = unit_read_file(path);
        g_autoptr(GError) error = NULL;
        SnapshotDef *def = snapshot_def_parse_string(xml, golden_flags(name).parse, &error);

        g_assert_no_error(error);
        return def;
}

static void test_create_defaults(void) {
        long long before = g_get_real_time() / G_USEC_PER_SEC;
        g_autoptr(SnapshotDef) def = parse_in("create-minimal");
        long long after = g_get_real_time() / G_USEC_PER_SEC;
        g_autofree char *name = NULL;

        g_assert_true(def->has_creation_time);
        g_assert_cmpint(def->creation_time, >=, before);
        g_assert_cmpint(def->creation_time, <=, after);
        name = g_strdup_printf("%lld", def->creation_time);
        g_assert_cmpstr(def->name, ==, name);
        g_assert_null(def->description);
        g_assert_null(def->state);
        g_assert_cmpint(def->memory, ==, SNAPSHOT_LOCATION_DEFAULT);
        g_assert_cmpuint(def->disks->len, ==, 0);
        g_assert_cmpint(def->active, ==, -1);
}

/* D3: without REDEFINE the output elements are ignored, a supplied creationTime too */
static void test_create_ignores_output(void) {
        g_autoptr(SnapshotDef) def = parse_in("create-ignores-output");

        g_assert_cmpstr(def->name, ==, "s1");
        g_assert_null(def->state);
        g_assert_null(def->parent);
        g_assert_cmpint(def->creation_time, >, 1000);
        g_assert_null(def->domain);
        g_assert_null(def->domain_uuid);
        g_assert_null(def->inactive_domain);
        g_assert_null(def->cookie);
        g_assert_cmpuint(def->revert_disks->len, ==, 0);
}

static void test_disk_fields(void) {
        g_autoptr(SnapshotDef) def = parse_in("create-disks-external");
        const SnapshotDiskDef *d;

        g_assert_cmpuint(def->disks->len, ==, 5);
        d = g_ptr_array_index(def->disks, 0);
        g_assert_cmpstr(d->name, ==, "vda");
        g_assert_cmpint(d->snapshot, ==, SNAPSHOT_LOCATION_EXTERNAL);
        g_assert_cmpstr(d->source_type, ==, "file");
        g_assert_cmpstr(d->driver_type, ==, "qcow2");
        g_assert_cmpstr(d->source_file, ==, "/var/lib/vmmd/images/root.ext");
        d = g_ptr_array_index(def->disks, 1);
        g_assert_cmpstr(d->name, ==, "/var/lib/vmmd/images/data.qcow2");
        g_assert_null(d->source_type);
        g_assert_null(d->source_file);
        /* libvirt: a source file or a driver type alone means external */
        d = g_ptr_array_index(def->disks, 2);
        g_assert_cmpint(d->snapshot, ==, SNAPSHOT_LOCATION_EXTERNAL);
        g_assert_cmpstr(d->source_type, ==, "file");
        d = g_ptr_array_index(def->disks, 3);
        g_assert_cmpint(d->snapshot, ==, SNAPSHOT_LOCATION_EXTERNAL);
        g_assert_null(d->source_file);
        d = g_ptr_array_index(def->disks, 4);
        g_assert_cmpint(d->snapshot, ==, SNAPSHOT_LOCATION_MANUAL);
}

static void test_memory_fields(void) {
        g_autoptr(SnapshotDef) ext = parse_in("create-memory-external");
        g_autoptr(SnapshotDef) implied = parse_in("create-memory-file-implies-external");
        g_autoptr(SnapshotDef) running = parse_in("redefine-uuid-only-domain");
        g_autoptr(SnapshotDef) off = parse_in("redefine-minimal");

        g_assert_cmpint(ext->memory, ==, SNAPSHOT_LOCATION_EXTERNAL);
        g_assert_cmpstr(ext->memory_file, ==, "/var/lib/vmmd/snapshots/web1/mem-external.save");
        g_assert_cmpint(implied->memory, ==, SNAPSHOT_LOCATION_EXTERNAL);
        /* a redefined snapshot without <memory> gets libvirt's default for its state */
        g_assert_cmpint(running->memory, ==, SNAPSHOT_LOCATION_INTERNAL);
        g_assert_cmpint(off->memory, ==, SNAPSHOT_LOCATION_NO);
}

static void test_redefine_fields(void) {
        g_autoptr(SnapshotDef) def = parse_in("redefine-running-full");
        g_autoptr(SnapshotDef) old = parse_in("redefine-uuid-only-domain");

        g_assert_cmpstr(def->name, ==, "s2");
        g_assert_cmpstr(def->description, ==, "live with pending config");
        g_assert_cmpstr(def->state, ==, "running");
        g_assert_cmpstr(def->parent, ==, "s1");
        g_assert_cmpint(def->creation_time, ==, 1700000123);
        g_assert_nonnull(def->domain);
        g_assert_nonnull(def->inactive_domain);
        g_assert_null(def->domain_uuid);
        g_assert_cmpuint(domain_def_get_memory_kib(def->domain), ==, 512 * 1024);
        g_assert_cmpuint(domain_def_get_memory_kib(def->inactive_domain), ==, 1024 * 1024);
        g_assert_cmpstr(domain_def_get_name(def->inactive_domain), ==, "web1");
        g_assert_cmpstr(def->cookie, ==,
                        "<cpu mode=\"custom\" match=\"exact\"><model fallback=\"forbid\">qemu64</model></cpu>"
                        "<allowReboot value=\"yes\"/>");
        g_assert_cmpint(def->active, ==, -1);

        /* D33: an old snapshot's <domain> with only a uuid */
        g_assert_null(old->domain);
        g_assert_cmpstr(old->domain_uuid, ==, "2b3c4d5e-0000-4000-8000-000000000016");
}

static void test_metadata_active(void) {
        g_autoptr(SnapshotDef) cur = parse_in("metadata-current");
        g_autoptr(SnapshotDef) other = parse_in("metadata-not-current");
        g_autoptr(SnapshotDef) none = parse_in("metadata-no-active");
        g_autofree char *path = unit_data_path("snapshot", "in", "metadata-current");
        g_autofree char *xml = unit_read_file(path);
        g_autoptr(GError) error = NULL;
        g_autoptr(SnapshotDef) plain = snapshot_def_parse_string(xml, SNAPSHOT_PARSE_REDEFINE, &error);
        g_autofree char *shown = NULL;
        g_autofree char *stored = NULL;

        g_assert_cmpint(cur->active, ==, 1);
        g_assert_cmpint(other->active, ==, 0);
        g_assert_cmpint(none->active, ==, -1);
        /* <active> is read only for metadata files, and shown only in them (D2) */
        g_assert_no_error(error);
        g_assert_cmpint(plain->active, ==, -1);
        shown = snapshot_def_format(cur, SNAPSHOT_FORMAT_SECURE);
        g_assert_null(strstr(shown, "<active>"));
        stored = snapshot_def_format(cur, SNAPSHOT_FORMAT_METADATA);
        g_assert_true(g_str_has_suffix(stored, "  <active>1</active>\n</domainsnapshot>\n"));
}

/* D2: secrets of the inner domains only with SECURE; the inner domains are inactive. */
static void test_secure(void) {
        g_autoptr(SnapshotDef) def = parse_in("redefine-running-full");
        g_autofree char *plain = snapshot_def_format(def, 0);
        g_autofree char *secure = snapshot_def_format(def, SNAPSHOT_FORMAT_SECURE);
        const char *inactive;

        g_assert_null(strstr(plain, "s3cr"));
        g_assert_nonnull(strstr(secure, "passwd='s3cr&amp;t'"));
        inactive = strstr(secure, "  <inactiveDomain type='kvm'>\n");
        g_assert_nonnull(inactive);
        g_assert_nonnull(strstr(inactive, "passwd='s3cr&amp;t'"));
        g_assert_nonnull(strstr(secure, "  </inactiveDomain>\n  <cookie>"));
}

static void test_copy(void) {
        g_auto(GStrv) names = unit_list_data("snapshot", "in");

        for (char **n = names; *n; n++) {
                g_autoptr(SnapshotDef) def = parse_in(*n);
                g_autoptr(SnapshotDef) copy = snapshot_def_copy(def);
                unsigned flags = SNAPSHOT_FORMAT_SECURE | SNAPSHOT_FORMAT_METADATA;
                g_autofree char *a = snapshot_def_format(def, flags);
                g_autofree char *b = NULL;

                /* the copy must own everything: free the original first */
                g_clear_pointer(&def, snapshot_def_free);
                b = snapshot_def_format(copy, flags);
                g_assert_cmpstr(a, ==, b);
        }
        snapshot_def_free(NULL);
        snapshot_disk_def_free(NULL);
}

/* What the daemon builds in code formats to what REDEFINE reads back. */
static void test_built_in_code(void) {
        g_autoptr(SnapshotDef) def = snapshot_def_new();
        g_autoptr(SnapshotDef) src = parse_in("redefine-disk-snapshot");
        SnapshotDiskDef *disk = snapshot_disk_def_new();
        g_autofree char *xml = NULL;
        g_autofree char *again = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(SnapshotDef) reparsed = NULL;

        def->name = g_strdup("built");
        def->state = g_strdup("running");
        def->creation_time = 42;
        def->has_creation_time = true;
        def->memory = SNAPSHOT_LOCATION_INTERNAL;
        disk->name = g_strdup("vda");
        disk->snapshot = SNAPSHOT_LOCATION_INTERNAL;
        g_ptr_array_add(def->disks, disk);
        def->domain = domain_def_copy(src->domain);
        def->inactive_domain = domain_def_copy(src->domain);
        def->cookie = g_strdup("<cpu mode='host-model'/>");
        def->active = 1;

        xml = snapshot_def_format(def, SNAPSHOT_FORMAT_METADATA);
        g_assert_true(g_str_has_prefix(xml, "<domainsnapshot>\n  <name>built</name>\n  <state>running</state>\n"
                                            "  <creationTime>42</creationTime>\n"
                                            "  <memory snapshot='internal'/>\n"));
        g_assert_nonnull(strstr(xml, "  <inactiveDomain type='qemu'>\n    <name>minimal</name>\n"));
        g_assert_nonnull(strstr(xml, "  <cookie>\n    <cpu mode=\"host-model\"/>\n  </cookie>\n"));
        reparsed = snapshot_def_parse_string(xml, SNAPSHOT_PARSE_REDEFINE | SNAPSHOT_PARSE_METADATA |
                                                  SNAPSHOT_PARSE_VALIDATE, &error);
        g_assert_no_error(error);
        again = snapshot_def_format(reparsed, SNAPSHOT_FORMAT_METADATA);
        g_assert_cmpstr(again, ==, xml);

        /* a cookie that is no XML keeps its bytes as text */
        g_free(def->cookie);
        def->cookie = g_strdup("a < b");
        g_free(xml);
        xml = snapshot_def_format(def, 0);
        g_assert_nonnull(strstr(xml, "  <cookie>a &lt; b</cookie>\n"));
}

static void test_flags_and_empty(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(SnapshotDef) def = snapshot_def_parse_string("<domainsnapshot/>", 1 << 3, &error);

        g_assert_null(def);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG);
        g_clear_error(&error);
        def = snapshot_def_parse_string("", 0, &error);
        g_assert_null(def);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_XML_DETAIL);
        g_clear_error(&error);
        def = snapshot_def_parse_string(NULL, 0, &error);
        g_assert_null(def);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_XML_DETAIL);
        g_clear_error(&error);
        /* an empty name is no name: generated without REDEFINE, refused with it */
        def = snapshot_def_parse_string("<domainsnapshot><name></name></domainsnapshot>", 0, &error);
        g_assert_no_error(error);
        g_assert_true(g_ascii_isdigit(def->name[0]));
        g_clear_pointer(&def, snapshot_def_free);
        def = snapshot_def_parse_string("<domainsnapshot><name></name><state>running</state>"
                                        "<creationTime>1</creationTime></domainsnapshot>",
                                        SNAPSHOT_PARSE_REDEFINE, &error);
        g_assert_null(def);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR);
}

static void test_enums(void) {
        const char *states[] = { "running", "paused", "shutoff", "shutdown", "crashed", "pmsuspended",
                                 "disk-snapshot", "blocked", "nostate" };

        for (size_t i = 0; i < G_N_ELEMENTS(states); i++)
                g_assert_true(snapshot_state_is_valid(states[i]));
        g_assert_false(snapshot_state_is_valid("hibernating"));
        g_assert_false(snapshot_state_is_valid(""));
        g_assert_false(snapshot_state_is_valid(NULL));

        for (int i = 0; i < _SNAPSHOT_LOCATION_MAX; i++)
                g_assert_cmpint(snapshot_location_from_string(snapshot_location_to_string(i)), ==, i);
        g_assert_cmpstr(snapshot_location_to_string(SNAPSHOT_LOCATION_EXTERNAL), ==, "external");
        g_assert_null(snapshot_location_to_string(_SNAPSHOT_LOCATION_MAX));
        g_assert_cmpint(snapshot_location_from_string("sideways"), ==, -1);
}

int main(int argc, char **argv) {
        static const UnitGolden golden = { "snapshot", "/snapshot-conf/golden", "/snapshot-conf/idempotent",
                                           round_trip };

        g_test_init(&argc, &argv, NULL);
        unit_add_golden_tests(&golden);
        for (size_t i = 0; i < G_N_ELEMENTS(error_cases); i++) {
                g_autofree char *path = g_strconcat("/snapshot-conf/error/", error_cases[i].file, NULL);

                g_test_add_data_func(path, &error_cases[i], test_error);
        }
        g_test_add_func("/snapshot-conf/error-table-complete", test_error_table_complete);
        g_test_add_func("/snapshot-conf/schema-only-errors", test_schema_only_errors);
        g_test_add_func("/snapshot-conf/create-defaults", test_create_defaults);
        g_test_add_func("/snapshot-conf/create-ignores-output", test_create_ignores_output);
        g_test_add_func("/snapshot-conf/disk-fields", test_disk_fields);
        g_test_add_func("/snapshot-conf/memory-fields", test_memory_fields);
        g_test_add_func("/snapshot-conf/redefine-fields", test_redefine_fields);
        g_test_add_func("/snapshot-conf/metadata-active", test_metadata_active);
        g_test_add_func("/snapshot-conf/secure", test_secure);
        g_test_add_func("/snapshot-conf/copy", test_copy);
        g_test_add_func("/snapshot-conf/built-in-code", test_built_in_code);
        g_test_add_func("/snapshot-conf/flags-and-empty", test_flags_and_empty);
        g_test_add_func("/snapshot-conf/enums", test_enums);
        return g_test_run();
}
