/* Unit tests for vmmd_uuid_parse() and vmmd_uuid_generate(). */
#include "uuid.h"

#include <string.h>

static void test_parse_forms(void) {
        static const char *const accepted[] = {
                "5f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5",
                "5F1C2D3E-4A5B-6C7D-8E9F-A0B1C2D3E4F5",
                "5f1c2d3e4a5b6c7d8e9fa0b1c2d3e4f5",
                "  5f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5\n",
        };
        char out[37];

        for (size_t i = 0; i < G_N_ELEMENTS(accepted); i++) {
                memset(out, 'x', sizeof(out));
                g_assert_true(vmmd_uuid_parse(accepted[i], out));
                g_assert_cmpstr(out, ==, "5f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5");
        }
}

static void test_parse_rejects(void) {
        static const char *const refused[] = {
                "",
                "not-a-uuid",
                "5f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f",          /* 31 digits */
                "5f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4f5a",        /* 33 digits */
                "5f1c2d3e-4a5b-6c7d-8e9f-a0b1c2d3e4fg",         /* not hex */
                "5f1c2d3e 4a5b-6c7d-8e9f-a0b1c2d3e4f5",         /* inner space */
        };
        char out[37];

        for (size_t i = 0; i < G_N_ELEMENTS(refused); i++)
                g_assert_false(vmmd_uuid_parse(refused[i], out));
        g_assert_false(vmmd_uuid_parse(NULL, out));
}

static void test_generate(void) {
        char a[37], b[37], again[37];

        vmmd_uuid_generate(a);
        vmmd_uuid_generate(b);
        g_assert_cmpuint(strlen(a), ==, 36);
        g_assert_cmpstr(a, !=, b);
        /* the generated form is already the canonical one */
        g_assert_true(vmmd_uuid_parse(a, again));
        g_assert_cmpstr(a, ==, again);
        /* random (version 4) UUIDs */
        g_assert_cmpint(a[14], ==, '4');
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/uuid/parse-forms", test_parse_forms);
        g_test_add_func("/uuid/parse-rejects", test_parse_rejects);
        g_test_add_func("/uuid/generate", test_generate);
        return g_test_run();
}
