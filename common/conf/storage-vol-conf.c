/* Storage volume definitions: parse, format and validate libvirt's <volume> XML. */
#include "storage-conf.h"

#include "error.h"
#include "xml-util.h"

VMMD_ENUM_IMPL(storage_vol_type, "file", "block", "dir", "network", "netdir", "ploop")
VMMD_ENUM_IMPL(storage_file_format, "none", "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi",
               "fat", "vhd", "ploop", "cow", "qcow", "qcow2", "qed", "vmdk")
VMMD_ENUM_IMPL(storage_encryption_format, "default", "qcow", "luks", "luks2", "luks-any")

StorageVolDef *storage_vol_def_parse_string(const char *xml, StoragePoolType pool_type,
                                            unsigned flags, GError **error) {
        (void) xml;
        (void) pool_type;
        (void) flags;
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_SUPPORT, "storage volume XML is not implemented yet");
        return NULL;
}

char *storage_vol_def_format(const StorageVolDef *def) {
        (void) def;
        return NULL;
}

StorageVolDef *storage_vol_def_copy(const StorageVolDef *def) {
        (void) def;
        return NULL;
}

void storage_vol_def_free(StorageVolDef *def) {
        g_free(def);
}

bool storage_size_parse(const char *value, const char *unit, uint64_t *ret, GError **error) {
        (void) value;
        (void) unit;
        (void) ret;
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_SUPPORT, "sizes are not implemented yet");
        return false;
}

char *storage_path_sanitize(const char *path) {
        return g_strdup(path);
}
