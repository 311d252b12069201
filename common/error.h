/* The one error model: GError codes that are libvirt's error numbers, and their D-Bus names. */
#pragma once

#include <glib.h>
#include <systemd/sd-bus.h>

#define VMMD_ERROR (vmmd_error_quark())
GQuark vmmd_error_quark(void);

/* Values are libvirt's virErrorNumber, so callers can carry their knowledge over. */
typedef enum {
        VMMD_ERROR_INTERNAL_ERROR = 1,
        VMMD_ERROR_NO_SUPPORT = 3,
        VMMD_ERROR_INVALID_ARG = 8,
        VMMD_ERROR_OPERATION_FAILED = 9,
        VMMD_ERROR_NO_NAME = 21,
        VMMD_ERROR_XML_ERROR = 27,
        VMMD_ERROR_OPERATION_DENIED = 29,
        VMMD_ERROR_XML_DETAIL = 35,
        VMMD_ERROR_SYSTEM_ERROR = 38,
        VMMD_ERROR_NO_DOMAIN = 42,
        VMMD_ERROR_NO_NETWORK = 43,
        VMMD_ERROR_OPERATION_INVALID = 55,
        VMMD_ERROR_NO_STORAGE_POOL = 49,
        VMMD_ERROR_NO_STORAGE_VOL = 50,
        VMMD_ERROR_CONFIG_UNSUPPORTED = 67,
        VMMD_ERROR_OPERATION_TIMEOUT = 68,
        VMMD_ERROR_NO_DOMAIN_SNAPSHOT = 72,
        VMMD_ERROR_ARGUMENT_UNSUPPORTED = 74,
        VMMD_ERROR_STORAGE_POOL_BUILT = 76,
        VMMD_ERROR_SNAPSHOT_REVERT_RISKY = 77,
        VMMD_ERROR_OPERATION_ABORTED = 78,
        VMMD_ERROR_INVALID_SECRET = 65,
        VMMD_ERROR_NO_SECRET = 66,
        VMMD_ERROR_NO_NWFILTER = 61,
        VMMD_ERROR_BUILD_FIREWALL = 58,
        VMMD_ERROR_NO_NWFILTER_BINDING = 96,
        VMMD_ERROR_OPERATION_UNSUPPORTED = 84,
        VMMD_ERROR_AGENT_UNRESPONSIVE = 86,
        VMMD_ERROR_STORAGE_VOL_EXIST = 90,
        VMMD_ERROR_XML_INVALID_SCHEMA = 92,
        VMMD_ERROR_NO_NETWORK_PORT = 99,
} VmmdErrorCode;

/* VMMD_DBUS_ERROR_NO_DOMAIN for VMMD_ERROR_NO_DOMAIN; NULL for an unknown code. */
const char *vmmd_error_dbus_name(int code);

/* Registers the table with sd-bus so sd_bus_error_set_errno() and friends map both ways. */
int vmmd_error_register_dbus_map(void);

/* Fills ret_error from a GError (VMMD_ERROR domain or any other → InternalError).
 * Returns the negative errno-like value sd-bus handlers return. */
int vmmd_error_to_bus(const GError *error, sd_bus_error *ret_error);

/* The bus glue's way to answer with a named error: the name comes from the table by code, never
 * from a literal. Returns the negative errno-like value a handler returns. */
int vmmd_bus_error_setf(sd_bus_error *ret_error, VmmdErrorCode code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Sets *error from an sd_bus_error received by a client (reverse mapping). */
void vmmd_error_from_bus(const sd_bus_error *bus_error, GError **error);

/* g_set_error with VMMD_ERROR_SYSTEM_ERROR for an -errno from an OS helper; the message
 * mentions what and the path. */
void vmmd_error_set_errno(GError **error, int negative_errno, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
