/* vmmctl's secret-* commands against the real vmmd-secret: define, set and get a value from a file and
 * from base64, list with filters, dumpxml, undefine, and the errors a user sees (issue 14's vmmctl bullet). */
#include <stdarg.h>
#include <string.h>

#include "bus-harness.h"
#include "vmmd/secret1.h"

#define UUID_A "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"
#define UUID_B "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

/* Runs vmmctl ARGS... (NULL-terminated); exit status, stdout and stderr. */
static int vmmctl_v(TestBus *tb, char **ret_out, char **ret_err, va_list ap) {
        g_autofree char *exe = g_build_filename(g_getenv("VMMD_BUILD_ROOT"), "tools", "vmmctl", "vmmctl", NULL);
        g_autoptr(GPtrArray) argv = g_ptr_array_new();

        g_ptr_array_add(argv, exe);
        for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
                g_ptr_array_add(argv, (gpointer) a);
        g_ptr_array_add(argv, NULL);
        return test_run(tb, false, ret_out, ret_err, (const char *const *) argv->pdata);
}

/* vmmctl ARGS... must succeed with nothing on stderr; returns its stdout. */
G_GNUC_NULL_TERMINATED static char *ok(TestBus *tb, ...) {
        g_autofree char *err = NULL;
        char *out = NULL;
        va_list ap;
        int rc;

        va_start(ap, tb);
        rc = vmmctl_v(tb, &out, &err, ap);
        va_end(ap);
        if (rc != 0 || *err)
                g_error("vmmctl failed (exit %d): %s%s", rc, out, err);
        return out;
}

/* vmmctl ARGS... must exit 1 with stderr starting "error: "; returns its stderr. */
G_GNUC_NULL_TERMINATED static char *fails(TestBus *tb, ...) {
        g_autofree char *out = NULL;
        char *err = NULL;
        va_list ap;
        int rc;

        va_start(ap, tb);
        rc = vmmctl_v(tb, &out, &err, ap);
        va_end(ap);
        if (rc != 1 || !g_str_has_prefix(err, "error: "))
                g_error("expected exit 1 and 'error: …', got exit %d: %s%s", rc, out, err);
        return err;
}

static char *write_tmp(TestBus *tb, const char *name, const char *data, gssize len) {
        char *path = g_build_filename(tb->dir, name, NULL);

        g_assert_true(g_file_set_contents(path, data, len, NULL));
        return path;
}

static void test_round_trip(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *xml_a = write_tmp(tb, "a.xml",
                                           "<secret ephemeral='no' private='no'><uuid>" UUID_A "</uuid>"
                                           "<usage type='ceph'><name>client.admin</name></usage></secret>", -1);
        g_autofree char *xml_b = write_tmp(tb, "b.xml",
                                           "<secret ephemeral='yes' private='yes'><uuid>" UUID_B "</uuid>"
                                           "<usage type='volume'><volume>/images/b.qcow2</volume></usage></secret>",
                                           -1);
        static const char raw[] = { 'p', 'w', 0, '\n', (char) 0xff };
        g_autofree char *value_file = write_tmp(tb, "value.bin", raw, sizeof(raw));
        g_autofree char *raw_b64 = g_base64_encode((const guchar *) raw, sizeof(raw));
        g_autofree char *out = NULL, *err = NULL, *want = NULL;
        g_autofree char *sealed = NULL;
        gsize sealed_len;

        g_free(out);
        out = ok(tb, "secret-define", xml_a, NULL);
        g_assert_cmpstr(out, ==, "Secret " UUID_A " created\n\n");
        g_free(out);
        out = ok(tb, "secret-define", "--validate", xml_b, NULL);
        g_assert_cmpstr(out, ==, "Secret " UUID_B " created\n\n");

        g_free(out);
        out = ok(tb, "secret-set-value", UUID_A, "--file", value_file, NULL);
        g_assert_cmpstr(out, ==, "Secret value set\n\n");
        g_free(out);
        out = ok(tb, "secret-get-value", UUID_A, NULL);
        want = g_strconcat(raw_b64, "\n", NULL);
        g_assert_cmpstr(out, ==, want);
        /* the value is sealed on disk: neither the bytes nor their base64 */
        {
                g_autofree char *rel = g_strdup_printf("etc/vmmd/secret/%s.sealed", UUID_A);
                g_autofree char *file = test_root_file(tb, rel);

                g_assert_true(g_file_get_contents(file, &sealed, &sealed_len, NULL));
                g_assert_cmpuint(sealed_len, ==, 46 + sizeof(raw));
                g_assert_null(memmem(sealed, sealed_len, raw, sizeof(raw)));
                g_assert_null(memmem(sealed, sealed_len, raw_b64, strlen(raw_b64)));
        }

        g_free(out);
        out = ok(tb, "secret-set-value", UUID_A, "--base64", "aGVsbG8=", NULL);
        g_free(out);
        out = ok(tb, "secret-get-value", UUID_A, "--plain", NULL);
        g_assert_cmpstr(out, ==, "hello");

        /* a private secret's value is refused */
        g_free(out);
        out = ok(tb, "secret-set-value", UUID_B, "--base64", "aGVsbG8=", NULL);
        g_free(err);
        err = fails(tb, "secret-get-value", UUID_B, NULL);
        g_assert_nonnull(strstr(err, "private"));

        g_free(out);
        out = ok(tb, "secret-list", NULL);
        g_assert_nonnull(strstr(out, "UUID"));
        g_assert_nonnull(strstr(out, UUID_A));
        g_assert_nonnull(strstr(out, "ceph client.admin"));
        g_assert_nonnull(strstr(out, "volume /images/b.qcow2"));
        /* sorted by uuid */
        g_assert_true(strstr(out, UUID_B) < strstr(out, UUID_A));
        g_free(out);
        out = ok(tb, "secret-list", "--ephemeral", NULL);
        g_assert_nonnull(strstr(out, UUID_B));
        g_assert_null(strstr(out, UUID_A));
        g_free(out);
        out = ok(tb, "secret-list", "--no-private", NULL);
        g_assert_nonnull(strstr(out, UUID_A));
        g_assert_null(strstr(out, UUID_B));

        g_free(out);
        out = ok(tb, "secret-dumpxml", UUID_A, NULL);
        g_assert_cmpstr(out, ==, "<secret ephemeral='no' private='no'>\n  <uuid>" UUID_A "</uuid>\n"
                                 "  <usage type='ceph'>\n    <name>client.admin</name>\n  </usage>\n</secret>\n");

        g_free(out);
        out = ok(tb, "secret-undefine", UUID_A, NULL);
        g_assert_cmpstr(out, ==, "Secret " UUID_A " deleted\n\n");
        g_free(err);
        err = fails(tb, "secret-dumpxml", UUID_A, NULL);
        g_assert_nonnull(strstr(err, UUID_A));
}

static void test_errors(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *bad = write_tmp(tb, "bad.xml", "<secret><usage type='ceph'/></secret>", -1);
        g_autofree char *good = write_tmp(tb, "a.xml", "<secret><uuid>" UUID_A "</uuid></secret>", -1);
        g_autofree char *err = NULL, *out = NULL;

        err = fails(tb, "secret-define", bad, NULL);
        g_assert_nonnull(strstr(err, "name"));
        out = ok(tb, "secret-define", good, NULL);
        g_free(err);
        err = fails(tb, "secret-set-value", UUID_A, NULL);
        g_assert_nonnull(strstr(err, "--file"));
        g_free(err);
        err = fails(tb, "secret-set-value", UUID_A, "--base64", "not base64!", NULL);
        g_free(err);
        err = fails(tb, "secret-get-value", UUID_A, NULL);
        g_assert_nonnull(strstr(err, "does not have a value"));
        g_free(err);
        err = fails(tb, "secret-get-value", UUID_B, NULL);
        g_assert_nonnull(strstr(err, UUID_B));
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/vmmctl-secret/round-trip", test_round_trip);
        g_test_add_func("/vmmctl-secret/errors", test_errors);
        return g_test_run();
}
