/* What the conf unit tests share: the golden round-trip loops over tests/data/<kind>/{in,out}, the error tables over err/. */
#include "unit-conf.h"

#include <string.h>

#include "error.h"
#include "unit-util.h"

const char *unit_data_dir(void) {
        const char *d = g_getenv("VMMD_TEST_DATA");

        if (!d)
                g_error("VMMD_TEST_DATA is not set (meson sets it)");
        return d;
}

char *unit_data_path(const char *kind, const char *sub, const char *name) {
        g_autofree char *file = g_strconcat(name, ".xml", NULL);
        return g_build_filename(unit_data_dir(), kind, sub, file, NULL);
}

char **unit_list_data(const char *kind, const char *sub) {
        g_autofree char *path = g_build_filename(unit_data_dir(), kind, sub, NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(GDir) dir = g_dir_open(path, 0, &error);
        g_autoptr(GPtrArray) names = g_ptr_array_new();
        const char *f;

        if (!dir)
                g_error("%s", error->message);
        while ((f = g_dir_read_name(dir)))
                if (g_str_has_suffix(f, ".xml"))
                        g_ptr_array_add(names, g_strndup(f, strlen(f) - strlen(".xml")));
        g_ptr_array_sort(names, (GCompareFunc) g_strcmp0);
        g_ptr_array_add(names, NULL);
        return (char **) g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

typedef struct {
        const UnitGolden *golden;
        char *name;
} GoldenCase;

static void golden_case_free(gpointer data) {
        GoldenCase *c = data;

        g_free(c->name);
        g_free(c);
}

static void test_golden(gconstpointer data) {
        const GoldenCase *c = data;
        g_autofree char *in_path = unit_data_path(c->golden->kind, "in", c->name);
        g_autofree char *out_path = unit_data_path(c->golden->kind, "out", c->name);
        g_autofree char *input = unit_read_file(in_path);
        g_autoptr(GError) error = NULL;
        g_autofree char *actual = c->golden->round_trip(c->name, input, true, &error);

        g_assert_no_error(error);
        unit_check_golden(out_path, actual);
}

static void test_idempotent(gconstpointer data) {
        const GoldenCase *c = data;
        g_autofree char *path = unit_data_path(c->golden->kind, "out", c->name);
        g_autofree char *expected = unit_read_file(path);
        g_autoptr(GError) error = NULL;
        g_autofree char *actual = c->golden->round_trip(c->name, expected, false, &error);

        g_assert_no_error(error);
        g_assert_cmpstr(actual, ==, expected);
}

static void add_cases(const UnitGolden *g, const char *sub, const char *prefix, GTestDataFunc func) {
        g_auto(GStrv) names = unit_list_data(g->kind, sub);

        for (char **n = names; *n; n++) {
                g_autofree char *path = g_strdup_printf("%s/%s", prefix, *n);
                GoldenCase *c = g_new0(GoldenCase, 1);

                c->golden = g;
                c->name = g_strdup(*n);
                /* GTest keeps the pointer past the caller's frame */
                g_test_add_data_func_full(path, c, func, golden_case_free);
        }
}

void unit_add_golden_tests(const UnitGolden *g) {
        add_cases(g, "in", g->golden_prefix, test_golden);
        add_cases(g, "out", g->idempotent_prefix, test_idempotent);
}

void unit_check_error(const UnitErrorCase *c, const GError *error, bool parsed) {
        g_assert_false(parsed);
        g_assert_nonnull(error);
        g_test_message("%s: %s", c->file, error->message);
        g_assert_error((GError *) error, VMMD_ERROR, c->code);
        if (c->mention1)
                g_assert_nonnull(strstr(error->message, c->mention1));
        if (c->mention2)
                g_assert_nonnull(strstr(error->message, c->mention2));
}

void unit_assert_error_table_complete(const char *kind, const UnitErrorCase *cases, size_t n) {
        g_auto(GStrv) files = unit_list_data(kind, "err");

        for (char **f = files; *f; f++) {
                bool found = false;

                for (size_t i = 0; i < n; i++)
                        found = found || strcmp(cases[i].file, *f) == 0;
                if (!found)
                        g_error("%s/err/%s.xml has no error case", kind, *f);
        }
        for (size_t i = 0; i < n; i++)
                if (!g_strv_contains((const char *const *) files, cases[i].file))
                        g_error("error case %s has no file %s/err/%s.xml", cases[i].file, kind, cases[i].file);
}
