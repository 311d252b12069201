/* vmmd-dispatch's error words: a daemon's message reaches libvirt's clients behind the text libvirt uses for that error number, once. */
#include "cleanup.h"
#include "dispatch.h"
#include "error.h"

static void assert_message(int code, const char *detail, const char *want) {
        g_autofree char *got = call_error_message(code, detail);

        g_assert_cmpstr(got, ==, want);
}

static void test_prefixes(void) {
        assert_message(VMMD_ERROR_NO_NETWORK, "no network with matching name 'x'",
                       "Network not found: no network with matching name 'x'");
        assert_message(VMMD_ERROR_NO_SECRET, "no secret with matching uuid 'u'", "Secret not found: no secret with matching uuid 'u'");
        assert_message(VMMD_ERROR_INVALID_SECRET, "secret is private", "Invalid secret: secret is private");
        assert_message(VMMD_ERROR_NO_DOMAIN, "no domain with matching name 'd'", "Domain not found: no domain with matching name 'd'");
        assert_message(VMMD_ERROR_OPERATION_INVALID, "network 'n' is not active",
                       "Requested operation is not valid: network 'n' is not active");
        assert_message(VMMD_ERROR_NO_NETWORK_PORT, "gone", "network port not found: gone");
        assert_message(VMMD_ERROR_XML_INVALID_SCHEMA, "line 1: bogus",
                       "XML document failed to validate against schema: line 1: bogus");
}

static void test_unchanged(void) {
        /* the dispatcher's own messages already say it: not twice */
        assert_message(VMMD_ERROR_OPERATION_DENIED, "operation forbidden: read only access prevents virNetworkDestroy",
                       "operation forbidden: read only access prevents virNetworkDestroy");
        assert_message(VMMD_ERROR_NO_SUPPORT, "this function is not supported by the connection driver: procedure 7",
                       "this function is not supported by the connection driver: procedure 7");
        /* libvirt's system errors are the message alone */
        assert_message(VMMD_ERROR_SYSTEM_ERROR, "cannot open /x: No such file", "cannot open /x: No such file");
        /* a prefix that only begins the message is still added */
        assert_message(VMMD_ERROR_INTERNAL_ERROR, "internal errors happen", "internal error: internal errors happen");
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/dispatch-errors/prefixes", test_prefixes);
        g_test_add_func("/dispatch-errors/unchanged", test_unchanged);
        return g_test_run();
}
