/* Storage pool definitions: parse, format and validate libvirt's <pool> XML. */
#include "storage-conf.h"

#include "error.h"
#include "xml-util.h"

VMMD_ENUM_IMPL(storage_pool_type, "dir", "fs", "netfs", "logical", "disk", "iscsi", "iscsi-direct",
               "scsi", "mpath", "rbd", "sheepdog", "gluster", "zfs", "vstorage")
VMMD_ENUM_IMPL(storage_pool_refresh_alloc, "default", "capacity")

StoragePoolDef *storage_pool_def_parse_string(const char *xml, unsigned flags, GError **error) {
        (void) xml;
        (void) flags;
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_SUPPORT, "storage pool XML is not implemented yet");
        return NULL;
}

char *storage_pool_def_format(const StoragePoolDef *def, unsigned flags) {
        (void) def;
        (void) flags;
        return NULL;
}

StoragePoolDef *storage_pool_def_copy(const StoragePoolDef *def) {
        (void) def;
        return NULL;
}

void storage_pool_def_free(StoragePoolDef *def) {
        g_free(def);
}
