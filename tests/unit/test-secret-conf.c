/* Unit tests for the secret conf library: golden round trips, errors, API. */
#include "secret-conf.h"
#include "error.h"
#include "uuid.h"
#include "unit-conf.h"
#include "unit-util.h"

#include <string.h>

/*
 * Golden convention: tests/data/secret/out/NAME.xml = format(parse(in/NAME.xml, VALIDATE)); an
 * input without <uuid> gets a random one, masked as MASK_UUID. Every err/NAME.xml has a case
 * in the error table. VMMD_TEST_REGENERATE=1 rewrites the out files.
 */
#define MASK_UUID "00000000-0000-0000-0000-000000000000"

/* a UnitRoundTrip; a uuid the parser made up is masked */
static char *round_trip(const char *name, const char *xml, bool golden, GError **error) {
        g_autoptr(SecretDef) def = secret_def_parse_string(xml, SECRET_DEF_PARSE_VALIDATE, error);
        g_autofree char *actual = def ? secret_def_format(def) : NULL;

        if (actual && !strstr(xml, "<uuid>")) {
                g_autoptr(GRegex) re = g_regex_new("<uuid>[^<]*</uuid>", 0, 0, NULL);

                return g_regex_replace_literal(re, actual, -1, 0, "<uuid>" MASK_UUID "</uuid>", 0, NULL);
        }
        return g_steal_pointer(&actual);
}

/* --- error cases: tests/data/secret/err/NAME.xml --- */

static const UnitErrorCase errors[] = {
        { "not-well-formed", 0, VMMD_ERROR_XML_ERROR, "line 6", NULL },
        { "wrong-root", 0, VMMD_ERROR_XML_ERROR, "secret", NULL },
        { "bad-ephemeral", 0, VMMD_ERROR_XML_ERROR, "ephemeral", "maybe" },
        { "bad-private", 0, VMMD_ERROR_XML_ERROR, "private", NULL },
        { "bad-uuid", 0, VMMD_ERROR_XML_ERROR, "uuid", "7d1e3f5a-9b2c-4d6e-8f0a-1b3c5d7e9f0" },
        { "unknown-usage", 0, VMMD_ERROR_XML_ERROR, "kerberos", NULL },
        { "usage-no-type", 0, VMMD_ERROR_XML_ERROR, "type", NULL },
        { "volume-no-volume", 0, VMMD_ERROR_XML_ERROR, "volume", NULL },
        { "ceph-no-name", 0, VMMD_ERROR_XML_ERROR, "ceph", "name" },
        { "tls-empty-name", 0, VMMD_ERROR_XML_ERROR, "tls", "name" },
        { "vtpm-no-name", 0, VMMD_ERROR_XML_ERROR, "vtpm", "name" },
        { "iscsi-no-target", 0, VMMD_ERROR_XML_ERROR, "iscsi", "target" },
        { "entity-declaration", 0, VMMD_ERROR_XML_ERROR, "entity", NULL },
        { "schema-unknown-element", SECRET_DEF_PARSE_VALIDATE, VMMD_ERROR_XML_INVALID_SCHEMA, NULL, NULL },
};

static void test_error(gconstpointer data) {
        const UnitErrorCase *c = data;
        g_autofree char *path = unit_data_path("secret", "err", c->file);
        g_autofree char *xml = unit_read_file(path);
        g_autoptr(GError) error = NULL;
        g_autoptr(SecretDef) def = secret_def_parse_string(xml, c->flags, &error);

        unit_check_error(c, error, def != NULL);
}

/* Every file in err/ has a case, and every case a file. */
static void test_error_table_complete(void) {
        unit_assert_error_table_complete("secret", errors, G_N_ELEMENTS(errors));
}

/* --- API behaviour beyond the golden files --- */

static SecretDef *parse_in(const char *name) {
        g_autofree char *path = unit_data_path("secret", "in", name);
        g_autofree char *xml = unit_read_file(path);
        g_autoptr(GError) error = NULL;
        SecretDef *def = secret_def_parse_string(xml, SECRET_DEF_PARSE_VALIDATE, &error);

        g_assert_no_error(error);
        return def;
}

static void test_fields(void) {
        g_autoptr(SecretDef) vol = parse_in("volume");
        g_autoptr(SecretDef) iscsi = parse_in("iscsi");
        g_autoptr(SecretDef) none = parse_in("no-usage");
        g_autoptr(SecretDef) ceph = parse_in("ceph");

        /* any accepted uuid form is stored lowercase with dashes */
        g_assert_cmpstr(vol->uuid, ==, "c3f1b6a2-8f0e-4d2b-9a51-6e0f3b7d2c11");
        g_assert_cmpint(vol->usage_type, ==, SECRET_USAGE_VOLUME);
        g_assert_cmpint(vol->usage_type, ==, 1);
        g_assert_cmpstr(vol->usage_id, ==, "/var/lib/vmmd/images/data.qcow2");
        g_assert_true(vol->is_private);
        g_assert_false(vol->ephemeral);

        g_assert_cmpstr(iscsi->uuid, ==, "5a7e2b91-c4d3-4f0a-8b6e-1c2d3e4f5a6b");
        g_assert_cmpint(iscsi->usage_type, ==, 3);
        g_assert_cmpstr(iscsi->usage_id, ==, "iqn.2013-07.com.example:storage");
        g_assert_cmpstr(iscsi->description, ==, "CHAP & friends <target>");
        g_assert_true(iscsi->ephemeral);

        g_assert_cmpint(none->usage_type, ==, SECRET_USAGE_NONE);
        g_assert_null(none->usage_id);
        g_assert_null(none->description);

        /* both attributes default to no */
        g_assert_false(ceph->ephemeral);
        g_assert_false(ceph->is_private);
        g_assert_cmpint(ceph->usage_type, ==, 2);
}

static void test_generated_uuids_differ(void) {
        g_autoptr(SecretDef) a = parse_in("no-uuid");
        g_autoptr(SecretDef) b = parse_in("no-uuid");
        char check[37];

        g_assert_cmpstr(a->uuid, !=, b->uuid);
        g_assert_true(vmmd_uuid_parse(a->uuid, check));
}

static void test_copy(void) {
        g_autoptr(SecretDef) def = parse_in("iscsi");
        g_autoptr(SecretDef) copy = secret_def_copy(def);
        g_autofree char *a = secret_def_format(def);
        g_autofree char *b = NULL;

        g_assert_true(copy->usage_id != def->usage_id);
        g_clear_pointer(&def, secret_def_free);
        b = secret_def_format(copy);
        g_assert_cmpstr(a, ==, b);
}

static void test_bad_flags(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(SecretDef) def = secret_def_parse_string("<secret/>", 2, &error);

        g_assert_null(def);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG);
}

static void test_usage_names(void) {
        static const char *const names[] = { "volume", "ceph", "iscsi", "tls", "vtpm" };

        for (int i = 0; i < (int) G_N_ELEMENTS(names); i++) {
                g_assert_cmpstr(secret_usage_type_to_string(i + 1), ==, names[i]);
                g_assert_cmpint(secret_usage_type_from_string(names[i]), ==, i + 1);
        }
        g_assert_null(secret_usage_type_to_string(0));
        g_assert_null(secret_usage_type_to_string(6));
        g_assert_null(secret_usage_type_to_string(-1));
        g_assert_cmpint(secret_usage_type_from_string("none"), ==, -1);
        g_assert_null(secret_usage_id_element(SECRET_USAGE_NONE));
        g_assert_cmpstr(secret_usage_id_element(SECRET_USAGE_ISCSI), ==, "target");
}

int main(int argc, char **argv) {
        static const UnitGolden golden = { "secret", "/secret-conf/golden", "/secret-conf/idempotent", round_trip };

        g_test_init(&argc, &argv, NULL);
        unit_add_golden_tests(&golden);
        for (size_t i = 0; i < G_N_ELEMENTS(errors); i++) {
                g_autofree char *p = g_strconcat("/secret-conf/error/", errors[i].file, NULL);
                g_test_add_data_func(p, &errors[i], test_error);
        }
        g_test_add_func("/secret-conf/error-table-complete", test_error_table_complete);
        g_test_add_func("/secret-conf/fields", test_fields);
        g_test_add_func("/secret-conf/generated-uuids-differ", test_generated_uuids_differ);
        g_test_add_func("/secret-conf/copy", test_copy);
        g_test_add_func("/secret-conf/bad-flags", test_bad_flags);
        g_test_add_func("/secret-conf/usage-names", test_usage_names);
        return g_test_run();
}
