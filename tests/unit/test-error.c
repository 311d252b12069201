/* The one error table: every code has its D-Bus name, names map back to their codes, and the glue's setter uses the table. */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"
#include "vmmd/error-names.h"

static const struct {
        VmmdErrorCode code;
        const char *name;
} expected[] = {
        { VMMD_ERROR_INTERNAL_ERROR, VMMD_DBUS_ERROR_INTERNAL_ERROR },
        { VMMD_ERROR_NO_SUPPORT, VMMD_DBUS_ERROR_NO_SUPPORT },
        { VMMD_ERROR_INVALID_ARG, VMMD_DBUS_ERROR_INVALID_ARG },
        { VMMD_ERROR_OPERATION_FAILED, VMMD_DBUS_ERROR_OPERATION_FAILED },
        { VMMD_ERROR_NO_NAME, VMMD_DBUS_ERROR_NO_NAME },
        { VMMD_ERROR_XML_ERROR, VMMD_DBUS_ERROR_XML_ERROR },
        { VMMD_ERROR_OPERATION_DENIED, VMMD_DBUS_ERROR_OPERATION_DENIED },
        { VMMD_ERROR_XML_DETAIL, VMMD_DBUS_ERROR_XML_DETAIL },
        { VMMD_ERROR_SYSTEM_ERROR, VMMD_DBUS_ERROR_SYSTEM_ERROR },
        { VMMD_ERROR_NO_DOMAIN, VMMD_DBUS_ERROR_NO_DOMAIN },
        { VMMD_ERROR_NO_NETWORK, VMMD_DBUS_ERROR_NO_NETWORK },
        { VMMD_ERROR_OPERATION_INVALID, VMMD_DBUS_ERROR_OPERATION_INVALID },
        { VMMD_ERROR_NO_STORAGE_POOL, VMMD_DBUS_ERROR_NO_STORAGE_POOL },
        { VMMD_ERROR_NO_STORAGE_VOL, VMMD_DBUS_ERROR_NO_STORAGE_VOL },
        { VMMD_ERROR_CONFIG_UNSUPPORTED, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED },
        { VMMD_ERROR_OPERATION_TIMEOUT, VMMD_DBUS_ERROR_OPERATION_TIMEOUT },
        { VMMD_ERROR_NO_DOMAIN_SNAPSHOT, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT },
        { VMMD_ERROR_ARGUMENT_UNSUPPORTED, VMMD_DBUS_ERROR_ARGUMENT_UNSUPPORTED },
        { VMMD_ERROR_STORAGE_POOL_BUILT, VMMD_DBUS_ERROR_STORAGE_POOL_BUILT },
        { VMMD_ERROR_SNAPSHOT_REVERT_RISKY, VMMD_DBUS_ERROR_SNAPSHOT_REVERT_RISKY },
        { VMMD_ERROR_OPERATION_ABORTED, VMMD_DBUS_ERROR_OPERATION_ABORTED },
        { VMMD_ERROR_INVALID_SECRET, VMMD_DBUS_ERROR_INVALID_SECRET },
        { VMMD_ERROR_NO_SECRET, VMMD_DBUS_ERROR_NO_SECRET },
        { VMMD_ERROR_NO_NWFILTER, VMMD_DBUS_ERROR_NO_NWFILTER },
        { VMMD_ERROR_NO_NWFILTER_BINDING, VMMD_DBUS_ERROR_NO_NWFILTER_BINDING },
        { VMMD_ERROR_BUILD_FIREWALL, VMMD_DBUS_ERROR_BUILD_FIREWALL },
        { VMMD_ERROR_OPERATION_UNSUPPORTED, VMMD_DBUS_ERROR_OPERATION_UNSUPPORTED },
        { VMMD_ERROR_AGENT_UNRESPONSIVE, VMMD_DBUS_ERROR_AGENT_UNRESPONSIVE },
        { VMMD_ERROR_STORAGE_VOL_EXIST, VMMD_DBUS_ERROR_STORAGE_VOL_EXIST },
        { VMMD_ERROR_XML_INVALID_SCHEMA, VMMD_DBUS_ERROR_XML_INVALID_SCHEMA },
        { VMMD_ERROR_NO_NETWORK_PORT, VMMD_DBUS_ERROR_NO_NETWORK_PORT },
};

/* each code ↔ its name, both ways, with the message kept */
static void test_round_trip(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(expected); i++) {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autoptr(GError) in = g_error_new(VMMD_ERROR, expected[i].code, "case %zu", i);
                g_autoptr(GError) out = NULL;

                g_assert_cmpstr(vmmd_error_dbus_name(expected[i].code), ==, expected[i].name);
                g_assert_cmpint(vmmd_error_to_bus(in, &e), <, 0);
                g_assert_cmpstr(e.name, ==, expected[i].name);
                vmmd_error_from_bus(&e, &out);
                g_assert_error(out, VMMD_ERROR, (gint) expected[i].code);
                g_assert_cmpstr(out->message, ==, in->message);
        }
}

/* names are unique: two codes on one name could not map back */
static void test_names_unique(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(expected); i++)
                for (size_t j = i + 1; j < G_N_ELEMENTS(expected); j++)
                        g_assert_cmpstr(expected[i].name, !=, expected[j].name);
}

static void test_unknown(void) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_auto(sd_bus_error) foreign = SD_BUS_ERROR_MAKE_CONST("org.example.Other", "elsewhere");
        g_autoptr(GError) other = g_error_new_literal(G_FILE_ERROR, G_FILE_ERROR_NOENT, "not ours");
        g_autoptr(GError) out = NULL;

        g_assert_null(vmmd_error_dbus_name(12345));
        vmmd_error_to_bus(other, &e);
        g_assert_cmpstr(e.name, ==, VMMD_DBUS_ERROR_INTERNAL_ERROR);
        vmmd_error_from_bus(&foreign, &out);
        g_assert_error(out, VMMD_ERROR, VMMD_ERROR_INTERNAL_ERROR);
}

/* the glue's setter: the name from the table, the message formatted, an errno-like return */
static void test_bus_setter(void) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        g_assert_cmpint(vmmd_error_register_dbus_map(), >=, 0);
        g_assert_cmpint(vmmd_bus_error_setf(&e, VMMD_ERROR_NO_DOMAIN, "no domain '%s'", "web1"), ==, -ENOENT);
        g_assert_cmpstr(e.name, ==, VMMD_DBUS_ERROR_NO_DOMAIN);
        g_assert_cmpstr(e.message, ==, "no domain 'web1'");
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/error/round-trip", test_round_trip);
        g_test_add_func("/error/names-unique", test_names_unique);
        g_test_add_func("/error/unknown", test_unknown);
        g_test_add_func("/error/bus-setter", test_bus_setter);
        return g_test_run();
}
