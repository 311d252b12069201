/* Bus tests for vmmd-secret: define, lookups, lists, values sealed at rest, the Internal interface, the
 * master key's rules, restarts and damaged files (spec secrets.md X1–X16, X22–X24; issue 14). */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-harness.h"
#include "vmmd/secret1.h"

#define UUID_A "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"
#define UUID_B "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#define UUID_C "c0ffee00-1111-4222-8333-444455556666"
#define VALUE_TEXT "correct horse battery staple"

static char *secret_xml(const char *uuid, const char *attrs, const char *usage_type, const char *usage_id) {
        const char *element = !usage_type ? NULL : g_str_equal(usage_type, "volume") ? "volume" :
                              g_str_equal(usage_type, "iscsi") ? "target" : "name";
        g_autofree char *usage = usage_type ? g_strdup_printf("<usage type='%s'><%s>%s</%s></usage>", usage_type,
                                                              element, usage_id, element) : g_strdup("");

        return g_strdup_printf("<secret %s><uuid>%s</uuid><description>test</description>%s</secret>",
                               attrs ? attrs : "", uuid, usage);
}

static char *define(TestBus *tb, const char *xml, unsigned flags, sd_bus_error *error) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *path;

        if (test_call_to(tb, SECRET_BUS_NAME, SECRET_MANAGER_PATH, SECRET_MANAGER_INTERFACE, "SecretDefineXML", error,
                         &reply, "su", xml, flags) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &path), >=, 0);
        return g_strdup(path);
}

static char *define_ok(TestBus *tb, const char *uuid, const char *attrs, const char *type, const char *id) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *xml = secret_xml(uuid, attrs, type, id);
        char *path = define(tb, xml, 0, &e);

        if (!path)
                g_error("SecretDefineXML: %s: %s", e.name, e.message);
        return path;
}

/* SetValue on the secret at path, from the test's own (root) connection */
static int set_value(TestBus *tb, const char *path, const void *value, size_t len, sd_bus_error *error) {
        g_autoptr(sd_bus_message) m = NULL, reply = NULL;

        g_assert_cmpint(sd_bus_message_new_method_call(tb->bus, &m, SECRET_BUS_NAME, path, SECRET_INTERFACE,
                                                       "SetValue"), >=, 0);
        g_assert_cmpint(sd_bus_message_append_array(m, 'y', len ? value : "", len), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "u", 0), >=, 0);
        return sd_bus_call(tb->bus, m, 30 * 1000000, error, &reply);
}

static void set_value_ok(TestBus *tb, const char *path, const void *value, size_t len) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        if (set_value(tb, path, value, len, &e) < 0)
                g_error("SetValue: %s: %s", e.name, e.message);
}

/* The reply's bytes (NULL with *error on failure); *ret_len their count. */
static GBytes *read_value_reply(sd_bus_message *reply) {
        const void *p = NULL;
        size_t n = 0;

        g_assert_cmpint(sd_bus_message_read_array(reply, 'y', &p, &n), >=, 0);
        return g_bytes_new(p, n);
}

static GBytes *get_value(TestBus *tb, const char *path, sd_bus_error *error) {
        g_autoptr(sd_bus_message) reply = NULL;

        if (test_call_to(tb, SECRET_BUS_NAME, path, SECRET_INTERFACE, "GetValue", error, &reply, "u", 0) < 0)
                return NULL;
        return read_value_reply(reply);
}

static void assert_value(TestBus *tb, const char *path, const void *value, size_t len) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(GBytes) got = get_value(tb, path, &e);

        if (!got)
                g_error("GetValue(%s): %s: %s", path, e.name, e.message);
        g_assert_cmpmem(g_bytes_get_data(got, NULL), g_bytes_get_size(got), value, len);
}

static bool prop_b(TestBus *tb, const char *path, const char *name) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int v = 0;

        g_assert_cmpint(sd_bus_get_property_trivial(tb->bus, SECRET_BUS_NAME, path, SECRET_INTERFACE, name, &e, 'b',
                                                    &v), >=, 0);
        return v;
}

static char *prop_s(TestBus *tb, const char *path, const char *name) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *v = NULL;

        g_assert_cmpint(sd_bus_get_property_string(tb->bus, SECRET_BUS_NAME, path, SECRET_INTERFACE, name, &e, &v),
                        >=, 0);
        return v;
}

static char *get_xml(TestBus *tb, const char *path) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *xml;

        g_assert_cmpint(test_call_to(tb, SECRET_BUS_NAME, path, SECRET_INTERFACE, "GetXMLDesc", &e, &reply, "u", 0),
                        >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &xml), >=, 0);
        return g_strdup(xml);
}

static char **list(TestBus *tb, unsigned flags, sd_bus_error *error) {
        g_autoptr(sd_bus_message) reply = NULL;
        char **paths = NULL;

        if (test_call_to(tb, SECRET_BUS_NAME, SECRET_MANAGER_PATH, SECRET_MANAGER_INTERFACE, "ListSecrets", error,
                         &reply, "u", flags) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read_strv(reply, &paths), >=, 0);
        return paths;
}

static char *lookup_uuid(TestBus *tb, const char *uuid, sd_bus_error *error) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *path;

        if (test_call_to(tb, SECRET_BUS_NAME, SECRET_MANAGER_PATH, SECRET_MANAGER_INTERFACE, "SecretLookupByUUID",
                         error, &reply, "s", uuid) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &path), >=, 0);
        return g_strdup(path);
}

static char *lookup_usage(TestBus *tb, int type, const char *id, sd_bus_error *error) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *path;

        if (test_call_to(tb, SECRET_BUS_NAME, SECRET_MANAGER_PATH, SECRET_MANAGER_INTERFACE, "SecretLookupByUsage",
                         error, &reply, "is", type, id) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &path), >=, 0);
        return g_strdup(path);
}

static char *secret_file(TestBus *tb, const char *uuid, const char *suffix) {
        g_autofree char *rel = g_strdup_printf("etc/vmmd/secret/%s%s", uuid, suffix);
        return test_root_file(tb, rel);
}

/* Kills vmmd-secret (SIGKILL) so the next call activates a new one that loads from disk. */
static void restart(TestBus *tb) {
        test_bus_kill_name(tb, SECRET_BUS_NAME);
}

static bool memmem_found(const char *data, size_t len, const char *needle) {
        return memmem(data, len, needle, strlen(needle)) != NULL;
}

/* --- X1–X5: define --- */

static void test_define_secret(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, UUID_A, NULL, "ceph", "client.admin");
        g_autofree char *file = secret_file(tb, UUID_A, ".xml");
        g_autofree char *content = test_read_file(file);
        g_autofree char *xml = get_xml(tb, path);
        g_autofree char *uuid = prop_s(tb, path, "UUID");
        g_autofree char *usage_id = prop_s(tb, path, "UsageID");
        g_autofree char *dir = test_root_file(tb, "etc/vmmd/secret");
        struct stat st;
        int i;

        g_assert_cmpstr(path, ==, SECRET_PREFIX "/" "_36f1c2b3a_2d4d5e_2d4f60_2d8a7b_2d9c0d1e2f3a4b");
        g_assert_nonnull(content);
        g_assert_nonnull(strstr(content, "<usage type='ceph'>"));
        g_assert_cmpint(stat(file, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0600);
        g_assert_cmpint(stat(dir, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0700);
        test_assert_no_temp_files(dir);
        g_assert_cmpstr(xml, ==, "<secret ephemeral='no' private='no'>\n  <uuid>" UUID_A "</uuid>\n"
                                 "  <description>test</description>\n  <usage type='ceph'>\n"
                                 "    <name>client.admin</name>\n  </usage>\n</secret>\n");
        g_assert_cmpstr(uuid, ==, UUID_A);
        g_assert_cmpstr(usage_id, ==, "client.admin");
        g_assert_false(prop_b(tb, path, "HasValue"));
        test_bus_drain(tb);
        i = test_bus_find_signal(tb, "SecretEvent", path, 0);
        g_assert_cmpint(i, >=, 0);
        g_assert_cmpint(test_signal(tb, i)->event, ==, SECRET_EVENT_DEFINED);
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesAdded", path, 0), >=, 0);

        /* without a uuid one is generated */
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *p2 = define(tb, "<secret><usage type='tls'><name>t</name></usage></secret>", 0, &e);
                g_autofree char *u2 = NULL;

                g_assert_nonnull(p2);
                u2 = prop_s(tb, p2, "UUID");
                g_assert_cmpint(strlen(u2), ==, 36);
        }
}

/* X2, X3: bad XML and usage collisions write nothing */
static void test_define_errors(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *first = define_ok(tb, UUID_A, NULL, "volume", "/images/a.qcow2");
        g_autofree char *cfg = test_root_file(tb, "etc/vmmd/secret");
        g_autofree char *before = test_dir_snapshot(cfg);
        g_autofree char *after = NULL;
        static const struct {
                const char *xml;
                unsigned flags;
                const char *error;
                const char *mention;
        } cases[] = {
                { "<secret><uuid>" UUID_B "</uuid>", 0, VMMD_DBUS_ERROR_XML_ERROR, "line" },
                { "<pool/>", 0, VMMD_DBUS_ERROR_XML_ERROR, "secret" },
                { "<secret ephemeral='maybe'/>", 0, VMMD_DBUS_ERROR_XML_ERROR, "ephemeral" },
                { "<secret private='1'/>", 0, VMMD_DBUS_ERROR_XML_ERROR, "private" },
                { "<secret><uuid>nope</uuid></secret>", 0, VMMD_DBUS_ERROR_XML_ERROR, "nope" },
                { "<secret><usage type='krb'/></secret>", 0, VMMD_DBUS_ERROR_XML_ERROR, "krb" },
                { "<secret><usage type='volume'/></secret>", 0, VMMD_DBUS_ERROR_XML_ERROR, "volume" },
                { "<secret><usage type='iscsi'><name>x</name></usage></secret>", 0, VMMD_DBUS_ERROR_XML_ERROR,
                  "target" },
                { "<secret><bogus/></secret>", SECRET_DEFINE_VALIDATE, VMMD_DBUS_ERROR_XML_INVALID_SCHEMA, NULL },
                { "<secret/>", 2, VMMD_DBUS_ERROR_INVALID_ARG, "0x2" },
                /* X3: the same usage under a new uuid */
                { "<secret><uuid>" UUID_B "</uuid><usage type='volume'><volume>/images/a.qcow2</volume></usage>"
                  "</secret>", 0, VMMD_DBUS_ERROR_OPERATION_FAILED, UUID_A },
                /* X4: a new usage id for an existing uuid */
                { "<secret><uuid>" UUID_A "</uuid><usage type='volume'><volume>/images/b.qcow2</volume></usage>"
                  "</secret>", 0, VMMD_DBUS_ERROR_OPERATION_FAILED, "/images/a.qcow2" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *path = define(tb, cases[i].xml, cases[i].flags, &e);

                g_test_message("case %zu: %s", i, cases[i].xml);
                g_assert_null(path);
                if (cases[i].mention)
                        assert_bus_error(&e, cases[i].error, cases[i].mention);
                else
                        assert_bus_error(&e, cases[i].error);
        }
        after = test_dir_snapshot(cfg);
        g_assert_cmpstr(before, ==, after);

        /* the same id under another type, and secrets without usage, do not collide */
        g_free(define_ok(tb, UUID_B, NULL, "ceph", "/images/a.qcow2"));
        g_free(define_ok(tb, UUID_C, NULL, NULL, NULL));
        g_free(define_ok(tb, "11111111-2222-4333-8444-555555555555", NULL, NULL, NULL));
}

/* X4: redefinition keeps the value; private can be set, not cleared */
static void test_redefine(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, UUID_A, "private='no'", "tls", "web");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *xml = NULL;
        int i;

        set_value_ok(tb, path, "v1", 2);
        test_bus_clear_signals(tb);
        g_free(define_ok(tb, UUID_A, "private='yes'", "tls", "web"));
        test_bus_drain(tb);
        i = test_bus_find_signal(tb, "SecretEvent", path, 0);
        g_assert_cmpint(i, >=, 0);
        g_assert_cmpint(test_signal(tb, i)->event, ==, SECRET_EVENT_DEFINED);
        g_assert_cmpint(test_bus_find_signal(tb, "PropertiesChanged", path, 0), >=, 0);
        g_assert_true(prop_b(tb, path, "Private"));
        g_assert_true(prop_b(tb, path, "HasValue"));
        xml = secret_xml(UUID_A, "private='no'", "tls", "web");
        g_assert_null(define(tb, xml, 0, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, "private");
        g_assert_true(prop_b(tb, path, "Private"));
}

/* X5: persistent ↔ ephemeral moves the files and keeps the value */
static void test_redefine_ephemeral(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, UUID_A, NULL, "ceph", "c");
        g_autofree char *xml_file = secret_file(tb, UUID_A, ".xml");
        g_autofree char *sealed_file = secret_file(tb, UUID_A, ".sealed");

        set_value_ok(tb, path, "abc", 3);
        g_assert_true(g_file_test(sealed_file, G_FILE_TEST_EXISTS));
        g_free(define_ok(tb, UUID_A, "ephemeral='yes'", "ceph", "c"));
        g_assert_false(g_file_test(xml_file, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(sealed_file, G_FILE_TEST_EXISTS));
        assert_value(tb, path, "abc", 3);
        g_free(define_ok(tb, UUID_A, "ephemeral='no'", "ceph", "c"));
        g_assert_true(g_file_test(xml_file, G_FILE_TEST_EXISTS));
        g_assert_true(g_file_test(sealed_file, G_FILE_TEST_EXISTS));
        restart(tb);
        assert_value(tb, path, "abc", 3);
}

/* --- X10–X13: lookups, lists, undefine --- */

static void test_lookup_list(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *a = define_ok(tb, UUID_A, "ephemeral='yes' private='yes'", "iscsi", "iqn.x");
        g_autofree char *b = define_ok(tb, UUID_B, NULL, "vtpm", "vm1");
        g_autofree char *c = define_ok(tb, UUID_C, "private='yes'", NULL, NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *p = NULL;
        g_auto(GStrv) all = NULL, eph = NULL, noeph = NULL, priv = NULL, nopriv = NULL, both = NULL;

        p = lookup_uuid(tb, "6F1C2B3A4D5E4F608A7B9C0D1E2F3A4B", &e);
        g_assert_cmpstr(p, ==, a);
        g_clear_pointer(&p, g_free);
        g_assert_null(lookup_uuid(tb, "12345678-1234-4234-8234-123456789abc", &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_SECRET, "12345678-1234-4234-8234-123456789abc");
        sd_bus_error_free(&e);
        g_assert_null(lookup_uuid(tb, "garbage", &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "garbage");
        sd_bus_error_free(&e);

        p = lookup_usage(tb, SECRET_USAGE_TYPE_VTPM, "vm1", &e);
        g_assert_cmpstr(p, ==, b);
        g_clear_pointer(&p, g_free);
        g_assert_null(lookup_usage(tb, SECRET_USAGE_TYPE_TLS, "vm1", &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_SECRET, "vm1");
        sd_bus_error_free(&e);
        g_assert_null(lookup_usage(tb, SECRET_USAGE_TYPE_NONE, "", &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_SECRET);
        sd_bus_error_free(&e);
        g_assert_null(lookup_usage(tb, 6, "vm1", &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG);
        sd_bus_error_free(&e);

        /* sorted by uuid: B (0a…), A (6f…), C (c0…) */
        all = list(tb, 0, &e);
        g_assert_cmpuint(g_strv_length(all), ==, 3);
        g_assert_cmpstr(all[0], ==, b);
        g_assert_cmpstr(all[1], ==, a);
        g_assert_cmpstr(all[2], ==, c);
        eph = list(tb, SECRET_LIST_EPHEMERAL, &e);
        g_assert_cmpuint(g_strv_length(eph), ==, 1);
        g_assert_cmpstr(eph[0], ==, a);
        noeph = list(tb, SECRET_LIST_NO_EPHEMERAL, &e);
        g_assert_cmpuint(g_strv_length(noeph), ==, 2);
        priv = list(tb, SECRET_LIST_PRIVATE | SECRET_LIST_NO_EPHEMERAL, &e);
        g_assert_cmpuint(g_strv_length(priv), ==, 1);
        g_assert_cmpstr(priv[0], ==, c);
        nopriv = list(tb, SECRET_LIST_NO_PRIVATE, &e);
        g_assert_cmpuint(g_strv_length(nopriv), ==, 1);
        g_assert_cmpstr(nopriv[0], ==, b);
        both = list(tb, SECRET_LIST_PRIVATE | SECRET_LIST_NO_PRIVATE, &e);
        g_assert_cmpuint(g_strv_length(both), ==, 3);
        g_assert_null(list(tb, 16, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG);
        sd_bus_error_free(&e);

        /* read-only callers may look up and list */
        g_assert_cmpint(test_call_nobody_to(tb, SECRET_BUS_NAME, SECRET_MANAGER_PATH, SECRET_MANAGER_INTERFACE,
                                            "ListSecrets", &e, "u", 0), >=, 0);
        g_assert_cmpint(test_call_nobody_to(tb, SECRET_BUS_NAME, b, SECRET_INTERFACE, "GetXMLDesc", &e, "u", 0), >=,
                        0);
}

static void test_undefine(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, UUID_A, NULL, "ceph", "c");
        g_autofree char *xml_file = secret_file(tb, UUID_A, ".xml");
        g_autofree char *sealed_file = secret_file(tb, UUID_A, ".sealed");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int i;

        set_value_ok(tb, path, "abc", 3);
        g_assert_cmpint(test_call_nobody_to(tb, SECRET_BUS_NAME, path, SECRET_INTERFACE, "Undefine", &e, ""), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED);
        sd_bus_error_free(&e);
        g_assert_true(g_file_test(xml_file, G_FILE_TEST_EXISTS));
        test_bus_clear_signals(tb);
        g_assert_cmpint(test_call_to(tb, SECRET_BUS_NAME, path, SECRET_INTERFACE, "Undefine", &e, NULL, ""), >=, 0);
        test_bus_drain(tb);
        i = test_bus_find_signal(tb, "SecretEvent", path, 0);
        g_assert_cmpint(i, >=, 0);
        g_assert_cmpint(test_signal(tb, i)->event, ==, SECRET_EVENT_UNDEFINED);
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesRemoved", path, 0), >=, 0);
        g_assert_false(g_file_test(xml_file, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(sealed_file, G_FILE_TEST_EXISTS));
        g_assert_cmpint(test_call_to(tb, SECRET_BUS_NAME, path, SECRET_INTERFACE, "GetXMLDesc", &e, NULL, "u", 0), <,
                        0);
        g_assert_cmpstr(e.name, ==, "org.freedesktop.DBus.Error.UnknownObject");
        sd_bus_error_free(&e);
        g_assert_null(lookup_uuid(tb, UUID_A, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_SECRET);
        sd_bus_error_free(&e);
        /* the usage is free again */
        g_free(define_ok(tb, UUID_B, NULL, "ceph", "c"));
}

/* --- X6, X7, X14, X22: values --- */

static void test_values(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, UUID_A, NULL, "volume", "/images/v.qcow2");
        g_autofree char *sealed_file = secret_file(tb, UUID_A, ".sealed");
        g_autofree char *key_file = test_root_file(tb, "var/lib/vmmd/secret/master.key");
        g_autofree char *key_dir = test_root_file(tb, "var/lib/vmmd/secret");
        g_autofree char *b64 = g_base64_encode((const guchar *) VALUE_TEXT, strlen(VALUE_TEXT));
        g_autofree char *sealed = NULL;
        g_autofree uint8_t *big = g_malloc(SECRET_VALUE_MAX + 1);
        static const uint8_t binary[] = { 0, 1, 0, 0xff, 0, 'x' };
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        gsize sealed_len = 0;
        struct stat st;
        int i;

        g_assert_null(get_value(tb, path, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_SECRET, UUID_A, "does not have a value");
        sd_bus_error_free(&e);
        g_assert_false(g_file_test(key_file, G_FILE_TEST_EXISTS));

        test_bus_clear_signals(tb);
        set_value_ok(tb, path, VALUE_TEXT, strlen(VALUE_TEXT));
        test_bus_drain(tb);
        i = test_bus_find_signal(tb, "SecretValueChanged", path, 0);
        g_assert_cmpint(i, >=, 0);
        g_assert_cmpint(test_bus_find_signal(tb, "PropertiesChanged", path, 0), >=, 0);
        g_assert_true(prop_b(tb, path, "HasValue"));
        assert_value(tb, path, VALUE_TEXT, strlen(VALUE_TEXT));

        /* X22: the key, and the sealed file without the plaintext */
        g_assert_cmpint(stat(key_file, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0600);
        g_assert_cmpint(st.st_size, ==, 32);
        g_assert_cmpint(st.st_uid, ==, geteuid());
        g_assert_cmpint(stat(key_dir, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0700);
        g_assert_cmpint(stat(sealed_file, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0600);
        g_assert_true(g_file_get_contents(sealed_file, &sealed, &sealed_len, NULL));
        g_assert_cmpuint(sealed_len, ==, 46 + strlen(VALUE_TEXT));
        g_assert_cmpmem(sealed, 10, "VMMDSEAL\x01\x01", 10);
        g_assert_false(memmem_found(sealed, sealed_len, VALUE_TEXT));
        g_assert_false(memmem_found(sealed, sealed_len, "horse"));
        g_assert_false(memmem_found(sealed, sealed_len, b64));
        test_assert_no_temp_files(test_root_file(tb, "etc/vmmd/secret"));

        /* exact bytes, embedded NULs, the empty value and the largest one */
        set_value_ok(tb, path, binary, sizeof(binary));
        assert_value(tb, path, binary, sizeof(binary));
        set_value_ok(tb, path, "", 0);
        assert_value(tb, path, "", 0);
        for (size_t k = 0; k < SECRET_VALUE_MAX + 1; k++)
                big[k] = (uint8_t) (k * 7 + 3);
        set_value_ok(tb, path, big, SECRET_VALUE_MAX);
        g_assert_cmpint(set_value(tb, path, big, SECRET_VALUE_MAX + 1, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "65536");
        sd_bus_error_free(&e);
        assert_value(tb, path, big, SECRET_VALUE_MAX);

        /* X14: the value survives a restart, the key is not replaced */
        {
                g_autofree char *key_before = test_read_file(key_file);
                g_autofree char *key_after = NULL;

                restart(tb);
                assert_value(tb, path, big, SECRET_VALUE_MAX);
                set_value_ok(tb, path, binary, sizeof(binary));
                restart(tb);
                assert_value(tb, path, binary, sizeof(binary));
                key_after = test_read_file(key_file);
                g_assert_cmpmem(key_before, 32, key_after, 32);
        }
}

/* X7: GetValue is privileged; a private value is refused even to root */
static void test_value_access(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *pub = define_ok(tb, UUID_A, NULL, "ceph", "c");
        g_autofree char *priv = define_ok(tb, UUID_B, "private='yes'", "ceph", "d");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(GBytes) got = NULL;

        set_value_ok(tb, pub, "public", 6);
        set_value_ok(tb, priv, "hidden", 6);   /* setting a private value is allowed */
        g_assert_null(get_value(tb, priv, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_SECRET, "private");
        g_assert_null(strstr(e.message, "hidden"));
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call_nobody_to(tb, SECRET_BUS_NAME, pub, SECRET_INTERFACE, "GetValue", &e, "u", 0), <,
                        0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED);
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call_nobody_to(tb, SECRET_BUS_NAME, priv, SECRET_INTERFACE, "GetValue", &e, "u", 0), <,
                        0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED);
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call_to(tb, SECRET_BUS_NAME, pub, SECRET_INTERFACE, "GetValue", &e, NULL, "u", 1), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG);
        sd_bus_error_free(&e);
        /* GetXMLDesc never shows a value */
        {
                g_autofree char *xml = get_xml(tb, priv);
                g_assert_null(strstr(xml, "hidden"));
        }
        got = get_value(tb, pub, &e);
        g_assert_nonnull(got);
}

/* X8: Internal is for the sender that owns a vmmd daemon's name */
static void test_internal(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *priv = define_ok(tb, UUID_B, "private='yes'", "iscsi", "iqn.t");
        g_autoptr(sd_bus) daemon = NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(GBytes) got = NULL;

        set_value_ok(tb, priv, "chap-pw", 7);
        /* the test's own connection owns no daemon name */
        g_assert_cmpint(test_call_to(tb, SECRET_BUS_NAME, SECRET_MANAGER_PATH, SECRET_INTERNAL_INTERFACE, "GetValue",
                                     &e, NULL, "s", UUID_B), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED);
        sd_bus_error_free(&e);
        /* nothing about the secret is revealed, not even whether it exists */
        g_assert_cmpint(test_call_to(tb, SECRET_BUS_NAME, SECRET_MANAGER_PATH, SECRET_INTERNAL_INTERFACE, "GetValue",
                                     &e, NULL, "s", UUID_C), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED);
        sd_bus_error_free(&e);

        /* a connection that owns org.vmmd.qemu1 stands for vmmd-qemu */
        g_assert_cmpint(sd_bus_new(&daemon), >=, 0);
        g_assert_cmpint(sd_bus_set_address(daemon, tb->address), >=, 0);
        g_assert_cmpint(sd_bus_set_bus_client(daemon, 1), >=, 0);
        g_assert_cmpint(sd_bus_start(daemon), >=, 0);
        g_assert_cmpint(sd_bus_request_name(daemon, "org.vmmd.qemu1", 0), >=, 0);
        g_assert_cmpint(sd_bus_call_method(daemon, SECRET_BUS_NAME, SECRET_MANAGER_PATH, SECRET_INTERNAL_INTERFACE,
                                           "GetValue", &e, &reply, "s", UUID_B), >=, 0);
        got = read_value_reply(reply);
        g_assert_cmpmem(g_bytes_get_data(got, NULL), g_bytes_get_size(got), "chap-pw", 7);
        g_clear_pointer(&reply, sd_bus_message_unref);
        g_clear_pointer(&got, g_bytes_unref);
        g_assert_cmpint(sd_bus_call_method(daemon, SECRET_BUS_NAME, SECRET_MANAGER_PATH, SECRET_INTERNAL_INTERFACE,
                                           "GetValueByUsage", &e, &reply, "is", SECRET_USAGE_TYPE_ISCSI, "iqn.t"), >=,
                        0);
        got = read_value_reply(reply);
        g_assert_cmpmem(g_bytes_get_data(got, NULL), g_bytes_get_size(got), "chap-pw", 7);
        g_assert_cmpint(sd_bus_call_method(daemon, SECRET_BUS_NAME, SECRET_MANAGER_PATH, SECRET_INTERNAL_INTERFACE,
                                           "GetValue", &e, NULL, "s", UUID_C), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_SECRET);
        sd_bus_error_free(&e);
        /* the name released, the same connection is refused again */
        g_assert_cmpint(sd_bus_release_name(daemon, "org.vmmd.qemu1"), >=, 0);
        g_assert_cmpint(sd_bus_call_method(daemon, SECRET_BUS_NAME, SECRET_MANAGER_PATH, SECRET_INTERNAL_INTERFACE,
                                           "GetValue", &e, NULL, "s", UUID_B), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED);
}

/* A private connection to the test bus that owns name (NULL: none), standing for a daemon. */
static sd_bus *connect_owning(TestBus *tb, const char *name) {
        sd_bus *bus = NULL;

        g_assert_cmpint(sd_bus_new(&bus), >=, 0);
        g_assert_cmpint(sd_bus_set_address(bus, tb->address), >=, 0);
        g_assert_cmpint(sd_bus_set_bus_client(bus, 1), >=, 0);
        g_assert_cmpint(sd_bus_start(bus), >=, 0);
        if (name)
                g_assert_cmpint(sd_bus_request_name(bus, name, 0), >=, 0);
        return bus;
}

static int internal_get(sd_bus *bus, const char *uuid, sd_bus_error *error) {
        return sd_bus_call_method(bus, SECRET_BUS_NAME, SECRET_MANAGER_PATH, SECRET_INTERNAL_INTERFACE, "GetValue",
                                  error, NULL, "s", uuid);
}

/* X8: the internal callers come from the config file's [secret] internal_clients, which replaces
 * the default list; a name that is not a bus name is left out */
static void test_internal_clients_config(void) {
        /* declared first, so freed last: the test bus is torn down while this program still
         * owns org.vmmd.qemu1, and the harness must stop the daemons without signalling it */
        g_autoptr(sd_bus) qemu = NULL, other = NULL, bad = NULL;
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *conf = test_root_file(tb, "etc/vmmd/vmmd-secret.conf");
        g_autofree char *path = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        /* written before the daemon is activated: it reads the file once, at start */
        test_write_file(conf, "# who may read values\n[secret]\n"
                              "internal_clients=org.example.Backup; not a name ;org.example.Other\n");
        path = define_ok(tb, UUID_B, "private='yes'", NULL, NULL);
        set_value_ok(tb, path, "cfg-pw", 6);
        other = connect_owning(tb, "org.example.Other");
        g_assert_cmpint(internal_get(other, UUID_B, &e), >=, 0);
        /* vmmd-qemu's name is no longer on the list */
        qemu = connect_owning(tb, "org.vmmd.qemu1");
        g_assert_cmpint(internal_get(qemu, UUID_B, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED);
        sd_bus_error_free(&e);
        /* owning nothing is not enough either */
        bad = connect_owning(tb, NULL);
        g_assert_cmpint(internal_get(bad, UUID_B, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED);
        sd_bus_error_free(&e);

        /* an empty list: nobody may; a file that is not a key file: the defaults */
        test_write_file(conf, "[secret]\ninternal_clients=\n");
        test_bus_kill_name(tb, SECRET_BUS_NAME);
        g_assert_cmpint(internal_get(other, UUID_B, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED);
        sd_bus_error_free(&e);
        g_assert_cmpint(internal_get(qemu, UUID_B, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED);
        sd_bus_error_free(&e);
        test_write_file(conf, "this is { not a key file\n");
        test_bus_kill_name(tb, SECRET_BUS_NAME);
        g_assert_cmpint(internal_get(qemu, UUID_B, &e), >=, 0);
        g_assert_cmpint(internal_get(other, UUID_B, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED);
}

/* --- X15: ephemeral secrets --- */

static void test_ephemeral(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, UUID_A, "ephemeral='yes'", "tls", "e");
        g_autofree char *root_before = NULL, *root_after = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        root_before = test_dir_snapshot(tb->root);
        set_value_ok(tb, path, "ephemeral-value", 15);
        assert_value(tb, path, "ephemeral-value", 15);
        root_after = test_dir_snapshot(tb->root);
        /* nothing on disk: no definition, no value, no key */
        g_assert_cmpstr(root_before, ==, root_after);
        g_assert_false(g_file_test(test_root_file(tb, "etc/vmmd/secret/" UUID_A ".xml"), G_FILE_TEST_EXISTS));
        restart(tb);
        g_assert_null(lookup_uuid(tb, UUID_A, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_SECRET);
}

/* --- X16, §6.3: damaged and moved sealed files --- */

static void test_damaged_value(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *a = define_ok(tb, UUID_A, NULL, "ceph", "a");
        g_autofree char *b = define_ok(tb, UUID_B, NULL, "ceph", "b");
        g_autofree char *c = define_ok(tb, UUID_C, NULL, "ceph", "c");
        g_autofree char *a_file = secret_file(tb, UUID_A, ".sealed");
        g_autofree char *b_file = secret_file(tb, UUID_B, ".sealed");
        g_autofree char *data = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_auto(GStrv) all = NULL;
        gsize len;

        set_value_ok(tb, a, "value-a", 7);
        set_value_ok(tb, b, "value-b", 7);
        set_value_ok(tb, c, "value-c", 7);
        /* flip one byte of A's ciphertext; B gets A's file */
        g_assert_true(g_file_get_contents(a_file, &data, &len, NULL));
        g_assert_true(g_file_set_contents(b_file, data, len, NULL));
        data[32] ^= 0x01;
        g_assert_true(g_file_set_contents(a_file, data, len, NULL));
        restart(tb);

        all = list(tb, 0, &e);
        g_assert_cmpuint(g_strv_length(all), ==, 3);
        g_assert_false(prop_b(tb, a, "HasValue"));
        g_assert_null(get_value(tb, a, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, UUID_A, "cannot be decrypted");
        g_assert_null(strstr(e.message, "value-a"));
        sd_bus_error_free(&e);
        g_assert_null(get_value(tb, b, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, UUID_B);
        g_assert_null(strstr(e.message, "value-a"));
        sd_bus_error_free(&e);
        assert_value(tb, c, "value-c", 7);
        /* a new value replaces the damaged one */
        set_value_ok(tb, a, "fresh", 5);
        assert_value(tb, a, "fresh", 5);
        restart(tb);
        assert_value(tb, a, "fresh", 5);
}

/* §4: at load, a definition whose <uuid> is not its file name, an ephemeral one (never stored)
 * and one that does not parse are skipped; the others are served with their values */
static void test_load_skips(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *a = define_ok(tb, UUID_A, NULL, "ceph", "a");
        g_autofree char *a_xml = secret_file(tb, UUID_A, ".xml");
        g_autofree char *b_xml = secret_file(tb, UUID_B, ".xml");
        g_autofree char *c_xml = secret_file(tb, UUID_C, ".xml");
        g_autofree char *d_xml = secret_file(tb, "11111111-2222-4333-8444-555555555555", ".xml");
        g_autofree char *data = NULL, *eph = secret_xml("11111111-2222-4333-8444-555555555555", "ephemeral='yes'",
                                                         NULL, NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_auto(GStrv) all = NULL;
        gsize len;

        set_value_ok(tb, a, "value-a", 7);
        g_assert_true(g_file_get_contents(a_xml, &data, &len, NULL));
        g_assert_true(g_file_set_contents(b_xml, data, len, NULL));   /* B's name, A's uuid */
        test_write_file(c_xml, "<secret><uuid>" UUID_C "</uuid>");   /* cut short */
        test_write_file(d_xml, eph);
        restart(tb);

        all = list(tb, 0, &e);
        g_assert_nonnull(all);
        g_assert_cmpuint(g_strv_length(all), ==, 1);
        g_assert_cmpstr(all[0], ==, a);
        assert_value(tb, a, "value-a", 7);
        g_assert_null(lookup_uuid(tb, UUID_B, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_SECRET, UUID_B);
        sd_bus_error_free(&e);
        g_assert_null(lookup_uuid(tb, UUID_C, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_SECRET);
        sd_bus_error_free(&e);
        g_assert_null(lookup_uuid(tb, "11111111-2222-4333-8444-555555555555", &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_SECRET);
        /* skipped files are left as they are: nothing is deleted on a guess */
        g_assert_true(g_file_test(b_xml, G_FILE_TEST_EXISTS));
        g_assert_true(g_file_test(c_xml, G_FILE_TEST_EXISTS));
}

/* --- §6.2 and the notes: the master key --- */

/* X24: a key with group/other access is refused, ephemeral secrets still work */
static void test_key_bad_mode(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *a = define_ok(tb, UUID_A, NULL, "ceph", "a");
        g_autofree char *key_file = test_root_file(tb, "var/lib/vmmd/secret/master.key");
        g_autofree char *eph = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        set_value_ok(tb, a, "value-a", 7);
        g_assert_cmpint(chmod(key_file, 0644), ==, 0);
        restart(tb);
        g_assert_null(get_value(tb, a, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, UUID_A);
        sd_bus_error_free(&e);
        g_assert_cmpint(set_value(tb, a, "x", 1, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, key_file);
        sd_bus_error_free(&e);
        eph = define_ok(tb, UUID_B, "ephemeral='yes'", "ceph", "b");
        set_value_ok(tb, eph, "eph", 3);
        assert_value(tb, eph, "eph", 3);
        /* the key is untouched, and fixed it serves the old value again */
        g_assert_cmpint(chmod(key_file, 0600), ==, 0);
        restart(tb);
        assert_value(tb, a, "value-a", 7);
}

/* Issue 14's note: sealed values exist and the key is gone → no new key over them */
static void test_key_missing(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *a = define_ok(tb, UUID_A, NULL, "ceph", "a");
        g_autofree char *b = define_ok(tb, UUID_B, NULL, "ceph", "b");
        g_autofree char *key_file = test_root_file(tb, "var/lib/vmmd/secret/master.key");
        g_autofree char *sealed_file = secret_file(tb, UUID_A, ".sealed");
        g_autofree char *sealed_before = NULL, *sealed_after = NULL;
        g_autofree char *desc = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        set_value_ok(tb, a, "value-a", 7);
        sealed_before = test_read_file(sealed_file);
        g_assert_cmpint(unlink(key_file), ==, 0);
        restart(tb);
        desc = get_xml(tb, a);   /* definitions are still served */
        g_assert_nonnull(strstr(desc, UUID_A));
        g_assert_null(get_value(tb, a, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, UUID_A, key_file);
        sd_bus_error_free(&e);
        g_assert_cmpint(set_value(tb, a, "x", 1, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, key_file);
        sd_bus_error_free(&e);
        g_assert_cmpint(set_value(tb, b, "x", 1, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, key_file);
        sd_bus_error_free(&e);
        g_assert_false(g_file_test(key_file, G_FILE_TEST_EXISTS));
        sealed_after = test_read_file(sealed_file);
        g_assert_cmpstr(sealed_before, ==, sealed_after);
}

/* X23: the key from $CREDENTIALS_DIRECTORY; no key file is written */
static void test_key_credential(void) {
        g_autofree char *creds = g_dir_make_tmp("vmmd-creds-XXXXXX", NULL);
        g_autofree char *cred_file = g_build_filename(creds, "vmmd-secret-master-key", NULL);
        g_autofree char *env_cred = g_strconcat("CREDENTIALS_DIRECTORY=", creds, NULL);
        const char *env[] = { env_cred, NULL };
        g_autoptr(TestBus) tb = NULL;
        g_autofree char *a = NULL, *key_file = NULL;

        g_assert_true(g_file_set_contents(cred_file, "0123456789abcdef0123456789abcdef", 32, NULL));
        tb = test_bus_new(env);
        a = define_ok(tb, UUID_A, NULL, "ceph", "a");
        key_file = test_root_file(tb, "var/lib/vmmd/secret/master.key");
        set_value_ok(tb, a, "value-a", 7);
        g_assert_false(g_file_test(key_file, G_FILE_TEST_EXISTS));
        restart(tb);
        assert_value(tb, a, "value-a", 7);
        g_assert_cmpint(unlink(cred_file), ==, 0);
        g_assert_cmpint(rmdir(creds), ==, 0);
}

/* Starts vmmd-secret ourselves with argv[1..] and env (NULL: ours), stderr to log_file, and waits
 * (bounded) until it owns its name: its output and environment are then the test's to choose. */
static pid_t spawn_daemon(TestBus *tb, const char *const *args, char **env, const char *log_file) {
        g_autofree char *exe = g_build_filename(g_getenv("VMMD_BUILD_ROOT"), "daemons", "vmmd-secret", "vmmd-secret",
                                                NULL);
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        gint64 deadline;
        pid_t pid;
        int fd;

        g_ptr_array_add(argv, exe);
        for (const char *const *a = args; *a; a++)
                g_ptr_array_add(argv, (gpointer) *a);
        g_ptr_array_add(argv, NULL);
        fd = open(log_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        g_assert_cmpint(fd, >=, 0);
        pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
                dup2(fd, STDERR_FILENO);
                if (env)
                        execve(exe, (char **) argv->pdata, env);
                else
                        execv(exe, (char **) argv->pdata);
                _exit(127);
        }
        close(fd);
        deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
        while (!test_bus_name_has_owner(tb, SECRET_BUS_NAME) && g_get_monotonic_time() < deadline)
                (void) sd_bus_wait(tb->bus, 50000);
        g_assert_true(test_bus_name_has_owner(tb, SECRET_BUS_NAME));
        g_assert_cmpint(test_bus_name_pid(tb, SECRET_BUS_NAME), ==, pid);
        return pid;
}

static void stop_daemon(pid_t pid) {
        kill(pid, SIGTERM);
        g_assert_true(test_wait_pid_exit(pid, 10000));
        (void) waitpid(pid, NULL, 0);
}

/* X9: with debug logging, nothing the daemon prints holds a value (nor its base64) */
static void test_no_value_logged(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *log_file = g_build_filename(tb->dir, "vmmd-secret.log", NULL);
        g_autofree char *addr = g_strconcat("--address=", tb->address, NULL);
        g_autofree char *root = g_strconcat("--root=", tb->root, NULL);
        g_autofree char *log = NULL, *priv = NULL, *pub = NULL, *b64 = NULL;
        const char *args[] = { addr, root, "--verbose", "--timeout=0", NULL };
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus) daemon = NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        pid_t pid = spawn_daemon(tb, args, NULL, log_file);

        priv = define_ok(tb, UUID_A, "private='yes'", "ceph", "a");
        pub = define_ok(tb, UUID_B, NULL, "ceph", "b");
        set_value_ok(tb, priv, VALUE_TEXT, strlen(VALUE_TEXT));
        set_value_ok(tb, pub, VALUE_TEXT, strlen(VALUE_TEXT));
        assert_value(tb, pub, VALUE_TEXT, strlen(VALUE_TEXT));
        g_assert_null(get_value(tb, priv, &e));
        sd_bus_error_free(&e);
        {
                /* an error path too: the value starts with the test text */
                g_autofree char *big = g_malloc0(70000);

                memcpy(big, VALUE_TEXT, strlen(VALUE_TEXT));
                g_assert_cmpint(set_value(tb, pub, big, 70000, &e), <, 0);
        }
        sd_bus_error_free(&e);
        g_assert_cmpint(sd_bus_new(&daemon), >=, 0);
        g_assert_cmpint(sd_bus_set_address(daemon, tb->address), >=, 0);
        g_assert_cmpint(sd_bus_set_bus_client(daemon, 1), >=, 0);
        g_assert_cmpint(sd_bus_start(daemon), >=, 0);
        g_assert_cmpint(sd_bus_request_name(daemon, "org.vmmd.storage1", 0), >=, 0);
        g_assert_cmpint(sd_bus_call_method(daemon, SECRET_BUS_NAME, SECRET_MANAGER_PATH, SECRET_INTERNAL_INTERFACE,
                                           "GetValue", &e, &reply, "s", UUID_A), >=, 0);

        stop_daemon(pid);
        log = test_read_file(log_file);
        g_assert_nonnull(log);
        g_test_message("daemon log:\n%s", log);
        g_assert_nonnull(strstr(log, "value of secret " UUID_A " handed to"));   /* debug lines are there */
        b64 = g_base64_encode((const guchar *) VALUE_TEXT, strlen(VALUE_TEXT));
        g_assert_null(strstr(log, "horse"));
        g_assert_null(strstr(log, b64));
}

/* X25: the per-user instance writes only under the XDG directories */
static void test_session_paths(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *home = g_build_filename(tb->dir, "home", NULL);
        g_autofree char *cfg = g_build_filename(home, "cfg", NULL), *data = g_build_filename(home, "data", NULL);
        g_autofree char *run = g_build_filename(home, "run", NULL), *cache = g_build_filename(home, "cache", NULL);
        g_autofree char *log_file = g_build_filename(tb->dir, "session.log", NULL);
        g_autofree char *path = NULL, *root_before = NULL, *root_after = NULL;
        const char *args[] = { "--session", "--timeout=0", NULL };
        g_auto(GStrv) env = g_get_environ();
        struct stat st;
        pid_t pid;

        g_assert_cmpint(g_mkdir_with_parents(run, 0700), ==, 0);
        env = g_environ_unsetenv(env, "VMMD_ROOT");
        env = g_environ_unsetenv(env, "CREDENTIALS_DIRECTORY");
        env = g_environ_setenv(env, "HOME", home, TRUE);
        env = g_environ_setenv(env, "XDG_CONFIG_HOME", cfg, TRUE);
        env = g_environ_setenv(env, "XDG_DATA_HOME", data, TRUE);
        env = g_environ_setenv(env, "XDG_RUNTIME_DIR", run, TRUE);
        env = g_environ_setenv(env, "XDG_CACHE_HOME", cache, TRUE);
        env = g_environ_setenv(env, "DBUS_SESSION_BUS_ADDRESS", tb->address, TRUE);
        root_before = test_dir_snapshot(tb->root);
        pid = spawn_daemon(tb, args, env, log_file);
        path = define_ok(tb, UUID_A, NULL, "ceph", "a");
        set_value_ok(tb, path, "session", 7);
        stop_daemon(pid);

        g_assert_cmpint(stat(cfg, &st), ==, 0);
        g_assert_true(g_file_test(cfg, G_FILE_TEST_IS_DIR));
        {
                g_autofree char *xml = g_build_filename(cfg, "vmmd", "secret", UUID_A ".xml", NULL);
                g_autofree char *sealed = g_build_filename(cfg, "vmmd", "secret", UUID_A ".sealed", NULL);
                g_autofree char *key = g_build_filename(data, "vmmd", "secret", "master.key", NULL);

                g_assert_true(g_file_test(xml, G_FILE_TEST_IS_REGULAR));
                g_assert_true(g_file_test(sealed, G_FILE_TEST_IS_REGULAR));
                g_assert_true(g_file_test(key, G_FILE_TEST_IS_REGULAR));
        }
        /* HOME holds only the XDG directories; the system layout is untouched */
        {
                g_autoptr(GDir) d = g_dir_open(home, 0, NULL);
                const char *e;

                while ((e = g_dir_read_name(d)))
                        g_assert_true(g_strv_contains((const char *const[]) { "cfg", "data", "run", "cache", NULL }, e));
        }
        root_after = test_dir_snapshot(tb->root);
        g_assert_cmpstr(root_before, ==, root_after);
}

/* X15: the daemon stays while an ephemeral secret exists; it exits on idle once the last is undefined */
static void test_ephemeral_keeps_daemon(void) {
        const char *env[] = { "VMMD_TIMEOUT=1", NULL };
        g_autoptr(TestBus) tb = test_bus_new(env);
        g_autofree char *eph = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        pid_t pid;

        /* without ephemeral secrets an idle daemon goes */
        g_free(define_ok(tb, UUID_B, NULL, NULL, NULL));
        g_assert_true(test_bus_wait_name_gone(tb, SECRET_BUS_NAME, 20000));

        eph = define_ok(tb, UUID_A, "ephemeral='yes'", "tls", "e");
        set_value_ok(tb, eph, "kept", 4);
        pid = test_bus_name_pid(tb, SECRET_BUS_NAME);
        g_assert_cmpint(pid, >, 0);
        /* several idle periods later the same process still holds the value */
        g_assert_false(test_bus_wait_name_gone(tb, SECRET_BUS_NAME, 3000));
        g_assert_cmpint(test_bus_name_pid(tb, SECRET_BUS_NAME), ==, pid);
        assert_value(tb, eph, "kept", 4);
        g_assert_cmpint(test_call_to(tb, SECRET_BUS_NAME, eph, SECRET_INTERFACE, "Undefine", &e, NULL, ""), >=, 0);
        g_assert_true(test_bus_wait_name_gone(tb, SECRET_BUS_NAME, 20000));
}

/* kill -9 in the middle of SetValue leaves the old value or the new one, never a torn one */
static void test_kill_during_set_value(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, UUID_A, NULL, "ceph", "a");
        g_autofree uint8_t *old_value = g_malloc(SECRET_VALUE_MAX), *new_value = g_malloc(SECRET_VALUE_MAX);

        memset(old_value, 'o', SECRET_VALUE_MAX);
        for (int round = 0; round < 10; round++) {
                g_autoptr(sd_bus_message) m = NULL;
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autoptr(GBytes) got = NULL;
                pid_t pid;

                memset(new_value, 'a' + round, SECRET_VALUE_MAX);
                set_value_ok(tb, path, old_value, SECRET_VALUE_MAX);
                pid = test_bus_name_pid(tb, SECRET_BUS_NAME);
                /* send without waiting, then kill at once: the kill lands before, during or after the write */
                g_assert_cmpint(sd_bus_message_new_method_call(tb->bus, &m, SECRET_BUS_NAME, path, SECRET_INTERFACE,
                                                               "SetValue"), >=, 0);
                g_assert_cmpint(sd_bus_message_append_array(m, 'y', new_value, SECRET_VALUE_MAX), >=, 0);
                g_assert_cmpint(sd_bus_message_append(m, "u", 0), >=, 0);
                g_assert_cmpint(sd_bus_send(tb->bus, m, NULL), >=, 0);
                g_assert_cmpint(sd_bus_flush(tb->bus), >=, 0);
                if (round % 2)
                        g_usleep(round * 500);   /* spread the kills over the write; the assertion holds anyway */
                kill(pid, SIGKILL);
                g_assert_true(test_wait_pid_exit(pid, 10000));
                g_assert_true(test_bus_wait_name_gone(tb, SECRET_BUS_NAME, 10000));
                got = get_value(tb, path, &e);
                if (!got)
                        g_error("round %d: GetValue after kill: %s: %s", round, e.name, e.message);
                g_assert_cmpuint(g_bytes_get_size(got), ==, SECRET_VALUE_MAX);
                if (memcmp(g_bytes_get_data(got, NULL), old_value, SECRET_VALUE_MAX) != 0)
                        g_assert_cmpmem(g_bytes_get_data(got, NULL), SECRET_VALUE_MAX, new_value, SECRET_VALUE_MAX);
        }
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/secret/define", test_define_secret);
        g_test_add_func("/secret/define-errors", test_define_errors);
        g_test_add_func("/secret/redefine", test_redefine);
        g_test_add_func("/secret/redefine-ephemeral", test_redefine_ephemeral);
        g_test_add_func("/secret/lookup-list", test_lookup_list);
        g_test_add_func("/secret/undefine", test_undefine);
        g_test_add_func("/secret/values", test_values);
        g_test_add_func("/secret/value-access", test_value_access);
        g_test_add_func("/secret/internal", test_internal);
        g_test_add_func("/secret/ephemeral", test_ephemeral);
        g_test_add_func("/secret/damaged-value", test_damaged_value);
        g_test_add_func("/secret/key-bad-mode", test_key_bad_mode);
        g_test_add_func("/secret/key-missing", test_key_missing);
        g_test_add_func("/secret/key-credential", test_key_credential);
        g_test_add_func("/secret/no-value-logged", test_no_value_logged);
        g_test_add_func("/secret/session-paths", test_session_paths);
        g_test_add_func("/secret/ephemeral-keeps-daemon", test_ephemeral_keeps_daemon);
        g_test_add_func("/secret/kill-during-set-value", test_kill_during_set_value);
        g_test_add_func("/secret/internal-clients-config", test_internal_clients_config);
        g_test_add_func("/secret/load-skips", test_load_skips);
        return g_test_run();
}
