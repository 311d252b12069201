/* What the conf unit tests share: golden round trips over tests/data/<kind>/{in,out}/NAME.xml and error tables over err/. */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* tests/data (meson sets $VMMD_TEST_DATA); the test stops without it. */
const char *unit_data_dir(void);
/* tests/data/<kind>/<sub>/<name>.xml */
char *unit_data_path(const char *kind, const char *sub, const char *name);
/* The NAMEs of tests/data/<kind>/<sub>/NAME.xml, sorted (directory order is arbitrary; test order should not
 * be), NULL-terminated; the test stops when the directory cannot be read. */
char **unit_list_data(const char *kind, const char *sub);

/* The test's own parse and format of xml (an input, or a golden file read back), for the file NAME whose
 * rules may depend on its name; golden is true for in → out, false for out → out. Returns the formatted
 * XML, or NULL with error. */
typedef char *(*UnitRoundTrip)(const char *name, const char *xml, bool golden, GError **error);

typedef struct UnitGolden {
        const char *kind;              /* tests/data/<kind> */
        const char *golden_prefix;     /* test path <golden_prefix>/NAME for each in/NAME.xml */
        const char *idempotent_prefix; /* test path <idempotent_prefix>/NAME for each out/NAME.xml */
        UnitRoundTrip round_trip;
} UnitGolden;

/* Adds, for every in/NAME.xml, a test that round_trip(in) is out/NAME.xml (VMMD_TEST_REGENERATE=1 rewrites
 * it instead), and for every out/NAME.xml one that round_trip(out) is out unchanged: our own output is
 * schema-valid, stable and complete. g must outlive the tests (a static). */
void unit_add_golden_tests(const UnitGolden *g);

/* An error case: tests/data/<kind>/err/<file>.xml parsed with flags fails with code, and the message names
 * mention1 and mention2 (each may be NULL). */
typedef struct UnitErrorCase {
        const char *file;
        unsigned flags;
        int code;
        const char *mention1, *mention2;
} UnitErrorCase;

/* Asserts the parse of c failed (parsed is false) with the error c describes. */
void unit_check_error(const UnitErrorCase *c, const GError *error, bool parsed);
/* Every file in tests/data/<kind>/err has a case in cases[n], and every case a file. */
void unit_assert_error_table_complete(const char *kind, const UnitErrorCase *cases, size_t n);
