/* The table that maps vmmd error codes to D-Bus error names. */
#include "error.h"

#include <errno.h>
#include <string.h>

#include "vmmd/error-names.h"

G_DEFINE_QUARK(vmmd-error-quark, vmmd_error)

typedef struct {
        int code;
        const char *name;
        int errnum;     /* what sd-bus maps the name back to, for handlers returning -errno */
} ErrorEntry;

static const ErrorEntry error_table[] = {
        { VMMD_ERROR_INTERNAL_ERROR,        VMMD_DBUS_ERROR_INTERNAL_ERROR,        EIO },
        { VMMD_ERROR_NO_SUPPORT,            VMMD_DBUS_ERROR_NO_SUPPORT,            EOPNOTSUPP },
        { VMMD_ERROR_INVALID_ARG,           VMMD_DBUS_ERROR_INVALID_ARG,           EINVAL },
        { VMMD_ERROR_OPERATION_FAILED,      VMMD_DBUS_ERROR_OPERATION_FAILED,      EIO },
        { VMMD_ERROR_NO_NAME,               VMMD_DBUS_ERROR_NO_NAME,               EINVAL },
        { VMMD_ERROR_XML_ERROR,             VMMD_DBUS_ERROR_XML_ERROR,             EINVAL },
        { VMMD_ERROR_OPERATION_DENIED,      VMMD_DBUS_ERROR_OPERATION_DENIED,      EPERM },
        { VMMD_ERROR_XML_DETAIL,            VMMD_DBUS_ERROR_XML_DETAIL,            EINVAL },
        { VMMD_ERROR_SYSTEM_ERROR,          VMMD_DBUS_ERROR_SYSTEM_ERROR,          EIO },
        { VMMD_ERROR_NO_DOMAIN,             VMMD_DBUS_ERROR_NO_DOMAIN,             ENOENT },
        { VMMD_ERROR_NO_NETWORK,            VMMD_DBUS_ERROR_NO_NETWORK,            ENOENT },
        { VMMD_ERROR_NO_STORAGE_POOL,       VMMD_DBUS_ERROR_NO_STORAGE_POOL,        ENOENT },
        { VMMD_ERROR_NO_STORAGE_VOL,        VMMD_DBUS_ERROR_NO_STORAGE_VOL,         ENOENT },
        { VMMD_ERROR_NO_NWFILTER,           VMMD_DBUS_ERROR_NO_NWFILTER,           ENOENT },
        { VMMD_ERROR_NO_NWFILTER_BINDING,   VMMD_DBUS_ERROR_NO_NWFILTER_BINDING,   ENOENT },
        { VMMD_ERROR_BUILD_FIREWALL,        VMMD_DBUS_ERROR_BUILD_FIREWALL,        EIO },
        { VMMD_ERROR_INVALID_SECRET,        VMMD_DBUS_ERROR_INVALID_SECRET,        EACCES },
        { VMMD_ERROR_NO_SECRET,             VMMD_DBUS_ERROR_NO_SECRET,             ENOENT },
        { VMMD_ERROR_OPERATION_INVALID,     VMMD_DBUS_ERROR_OPERATION_INVALID,     EBUSY },
        { VMMD_ERROR_CONFIG_UNSUPPORTED,    VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED,    EOPNOTSUPP },
        { VMMD_ERROR_OPERATION_TIMEOUT,     VMMD_DBUS_ERROR_OPERATION_TIMEOUT,     ETIMEDOUT },
        { VMMD_ERROR_NO_DOMAIN_SNAPSHOT,    VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT,     ENOENT },
        { VMMD_ERROR_ARGUMENT_UNSUPPORTED,  VMMD_DBUS_ERROR_ARGUMENT_UNSUPPORTED,  EOPNOTSUPP },
        { VMMD_ERROR_STORAGE_POOL_BUILT,    VMMD_DBUS_ERROR_STORAGE_POOL_BUILT,     EEXIST },
        { VMMD_ERROR_SNAPSHOT_REVERT_RISKY, VMMD_DBUS_ERROR_SNAPSHOT_REVERT_RISKY,  EBUSY },
        { VMMD_ERROR_OPERATION_ABORTED,     VMMD_DBUS_ERROR_OPERATION_ABORTED,     ECANCELED },
        { VMMD_ERROR_OPERATION_UNSUPPORTED, VMMD_DBUS_ERROR_OPERATION_UNSUPPORTED, EOPNOTSUPP },
        { VMMD_ERROR_AGENT_UNRESPONSIVE,    VMMD_DBUS_ERROR_AGENT_UNRESPONSIVE,    ETIMEDOUT },
        { VMMD_ERROR_STORAGE_VOL_EXIST,     VMMD_DBUS_ERROR_STORAGE_VOL_EXIST,      EEXIST },
        { VMMD_ERROR_XML_INVALID_SCHEMA,    VMMD_DBUS_ERROR_XML_INVALID_SCHEMA,     EINVAL },
        { VMMD_ERROR_NO_NETWORK_PORT,       VMMD_DBUS_ERROR_NO_NETWORK_PORT,        ENOENT },
};

const char *vmmd_error_dbus_name(int code) {
        for (size_t i = 0; i < G_N_ELEMENTS(error_table); i++)
                if (error_table[i].code == code)
                        return error_table[i].name;
        return NULL;
}

int vmmd_error_register_dbus_map(void) {
        static sd_bus_error_map map[G_N_ELEMENTS(error_table) + 1];
        static gboolean done = FALSE;

        if (done)
                return 0;
        for (size_t i = 0; i < G_N_ELEMENTS(error_table); i++)
                map[i] = (sd_bus_error_map) SD_BUS_ERROR_MAP(error_table[i].name, error_table[i].errnum);
        map[G_N_ELEMENTS(error_table)] = (sd_bus_error_map) SD_BUS_ERROR_MAP_END;
        done = TRUE;
        return sd_bus_error_add_map(map);
}

int vmmd_error_to_bus(const GError *error, sd_bus_error *ret_error) {
        const char *name = NULL;

        if (error && error->domain == VMMD_ERROR)
                name = vmmd_error_dbus_name(error->code);
        if (!name)
                name = VMMD_DBUS_ERROR_INTERNAL_ERROR;
        return sd_bus_error_set(ret_error, name, error ? error->message : "unknown error");
}

int vmmd_bus_error_setf(sd_bus_error *ret_error, VmmdErrorCode code, const char *fmt, ...) {
        const char *name = vmmd_error_dbus_name(code);
        g_autofree char *message = NULL;
        va_list ap;

        va_start(ap, fmt);
        message = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        return sd_bus_error_set(ret_error, name ? name : VMMD_DBUS_ERROR_INTERNAL_ERROR, message);
}

void vmmd_error_from_bus(const sd_bus_error *bus_error, GError **error) {
        int code = VMMD_ERROR_INTERNAL_ERROR;

        for (size_t i = 0; bus_error->name && i < G_N_ELEMENTS(error_table); i++)
                if (g_str_equal(bus_error->name, error_table[i].name)) {
                        code = error_table[i].code;
                        break;
                }
        g_set_error(error, VMMD_ERROR, code, "%s", bus_error->message ? bus_error->message : bus_error->name);
}

void vmmd_error_set_errno(GError **error, int negative_errno, const char *fmt, ...) {
        g_autofree char *what = NULL;
        va_list ap;

        va_start(ap, fmt);
        what = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR, "%s: %s", what, g_strerror(-negative_errno));
}
