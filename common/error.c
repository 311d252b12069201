/* The table that maps vmmd error codes to D-Bus error names. */
#include "error.h"

#include <errno.h>
#include <string.h>

G_DEFINE_QUARK(vmmd-error-quark, vmmd_error)

typedef struct {
        int code;
        const char *name;
        int errnum;     /* what sd-bus maps the name back to, for handlers returning -errno */
} ErrorEntry;

static const ErrorEntry error_table[] = {
        { VMMD_ERROR_INTERNAL_ERROR,        "org.vmmd.Error.InternalError",        EIO },
        { VMMD_ERROR_NO_SUPPORT,            "org.vmmd.Error.NoSupport",            EOPNOTSUPP },
        { VMMD_ERROR_INVALID_ARG,           "org.vmmd.Error.InvalidArg",           EINVAL },
        { VMMD_ERROR_OPERATION_FAILED,      "org.vmmd.Error.OperationFailed",      EIO },
        { VMMD_ERROR_NO_NAME,               "org.vmmd.Error.NoName",               EINVAL },
        { VMMD_ERROR_XML_ERROR,             "org.vmmd.Error.XMLError",             EINVAL },
        { VMMD_ERROR_OPERATION_DENIED,      "org.vmmd.Error.OperationDenied",      EPERM },
        { VMMD_ERROR_XML_DETAIL,            "org.vmmd.Error.XMLDetail",            EINVAL },
        { VMMD_ERROR_SYSTEM_ERROR,          "org.vmmd.Error.SystemError",          EIO },
        { VMMD_ERROR_NO_DOMAIN,             "org.vmmd.Error.NoDomain",             ENOENT },
        { VMMD_ERROR_NO_NETWORK,            "org.vmmd.Error.NoNetwork",            ENOENT },
        { VMMD_ERROR_NO_STORAGE_POOL,       "org.vmmd.Error.NoStoragePool",        ENOENT },
        { VMMD_ERROR_NO_STORAGE_VOL,        "org.vmmd.Error.NoStorageVol",         ENOENT },
        { VMMD_ERROR_NO_NWFILTER,           "org.vmmd.Error.NoNWFilter",           ENOENT },
        { VMMD_ERROR_NO_SECRET,             "org.vmmd.Error.NoSecret",             ENOENT },
        { VMMD_ERROR_OPERATION_INVALID,     "org.vmmd.Error.OperationInvalid",     EBUSY },
        { VMMD_ERROR_CONFIG_UNSUPPORTED,    "org.vmmd.Error.ConfigUnsupported",    EOPNOTSUPP },
        { VMMD_ERROR_OPERATION_TIMEOUT,     "org.vmmd.Error.OperationTimeout",     ETIMEDOUT },
        { VMMD_ERROR_NO_DOMAIN_SNAPSHOT,    "org.vmmd.Error.NoDomainSnapshot",     ENOENT },
        { VMMD_ERROR_ARGUMENT_UNSUPPORTED,  "org.vmmd.Error.ArgumentUnsupported",  EOPNOTSUPP },
        { VMMD_ERROR_STORAGE_POOL_BUILT,    "org.vmmd.Error.StoragePoolBuilt",     EEXIST },
        { VMMD_ERROR_SNAPSHOT_REVERT_RISKY, "org.vmmd.Error.SnapshotRevertRisky",  EBUSY },
        { VMMD_ERROR_OPERATION_ABORTED,     "org.vmmd.Error.OperationAborted",     ECANCELED },
        { VMMD_ERROR_OPERATION_UNSUPPORTED, "org.vmmd.Error.OperationUnsupported", EOPNOTSUPP },
        { VMMD_ERROR_AGENT_UNRESPONSIVE,    "org.vmmd.Error.AgentUnresponsive",    ETIMEDOUT },
        { VMMD_ERROR_STORAGE_VOL_EXIST,     "org.vmmd.Error.StorageVolExist",      EEXIST },
        { VMMD_ERROR_XML_INVALID_SCHEMA,    "org.vmmd.Error.XMLInvalidSchema",     EINVAL },
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
                name = "org.vmmd.Error.InternalError";
        return sd_bus_error_set(ret_error, name, error ? error->message : "unknown error");
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
