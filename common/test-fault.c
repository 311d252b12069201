/* Failure injection for the test suite: fault points armed through $VMMD_TEST_FAULTS, compiled in only with -Dtest_hooks=true. */
#include "test-fault.h"

#include <errno.h>
#include <glib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#ifdef VMMD_TEST_HOOKS
bool vmmd_test_fault(const char *point) {
        const char *dir = g_getenv("VMMD_TEST_FAULTS");
        g_autofree char *file = NULL;

        if (!dir || !*dir || !point || strchr(point, '/'))
                return false;
        file = g_build_filename(dir, point, NULL);
        /* unlink decides: a fault fires once, even if two calls race for it */
        if (unlink(file) < 0)
                return false;
        log_warning("test fault '%s' fires", point);
        return true;
}
#else
bool vmmd_test_fault(const char *point) {
        return false;
}
#endif
