/* What the unit tests share: reading a test file, and comparing with a golden file that VMMD_TEST_REGENERATE=1 rewrites. */
#pragma once

#include <glib.h>

/* The whole file; the test stops when it cannot be read. */
static inline char *unit_read_file(const char *path) {
        g_autoptr(GError) error = NULL;
        char *contents = NULL;

        if (!g_file_get_contents(path, &contents, NULL, &error))
                g_error("%s", error->message);
        return contents;
}

/* actual must equal the golden file; with VMMD_TEST_REGENERATE=1 (the one switch for every
 * golden test) the file is rewritten instead: review the diff before committing. */
static inline void unit_check_golden(const char *golden_path, const char *actual) {
        g_autofree char *expected = NULL;

        if (g_getenv("VMMD_TEST_REGENERATE")) {
                g_assert_true(g_file_set_contents(golden_path, actual, -1, NULL));
                return;
        }
        expected = unit_read_file(golden_path);
        g_assert_cmpstr(actual, ==, expected);
}
