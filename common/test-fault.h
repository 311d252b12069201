/* Failure injection for the test suite: fault points armed through $VMMD_TEST_FAULTS, compiled in only with -Dtest_hooks=true. */
#pragma once

#include <stdbool.h>

/* Whether the fault point (a name such as a QMP command) is armed: $VMMD_TEST_FAULTS names a
 * directory, and a file called point in it arms the point for one use; the file is removed
 * as the fault fires, so a test arms exactly the step it means. Always false in a build
 * without test hooks, whatever the environment says. */
bool vmmd_test_fault(const char *point);
