/* Resolving <disk type='volume'> through vmmd-storage on the bus. vmmd-qemu never reads storage state itself. */
#include "storage-client.h"

#include <string.h>

#include "cleanup.h"
#include "domain-conf-priv.h"
#include "error.h"

#define STORAGE_BUS "org.vmmd.storage1"
#define CALL_USEC (30 * G_USEC_PER_SEC)   /* includes activating vmmd-storage */

static bool bus_failed(int r, sd_bus_error *e, const char *what, GError **error) {
        if (r >= 0)
                return false;
        if (sd_bus_error_is_set(e))
                vmmd_error_from_bus(e, error);
        else
                vmmd_error_set_errno(error, r, "%s", what);
        return true;
}

static char *call_for_path(sd_bus *bus, const char *path, const char *iface, const char *method, const char *arg,
                           GError **error) {
        g_autoptr(sd_bus_message) m = NULL, reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *o;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, STORAGE_BUS, path, iface, method);
        if (r >= 0)
                r = sd_bus_message_append(m, "s", arg);
        if (r >= 0)
                r = sd_bus_call(bus, m, CALL_USEC, &e, &reply);
        if (bus_failed(r, &e, method, error))
                return NULL;
        if (sd_bus_message_read(reply, "o", &o) < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INTERNAL_ERROR, "bad reply from vmmd-storage %s", method);
                return NULL;
        }
        return g_strdup(o);
}

static bool get_property(sd_bus *bus, const char *path, const char *iface, const char *name, char type, void *ret,
                         GError **error) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int r;

        if (type == 's') {
                char *s = NULL;
                r = sd_bus_get_property_string(bus, STORAGE_BUS, path, iface, name, &e, &s);
                if (r >= 0) {
                        *(char **) ret = g_strdup(s);
                        free(s);
                }
        } else
                r = sd_bus_get_property_trivial(bus, STORAGE_BUS, path, iface, name, &e, type, ret);
        return !bus_failed(r, &e, name, error);
}

/* The <format type='…'/> of the volume's target, from its XML. */
static char *volume_format(sd_bus *bus, const char *vol_path, GError **error) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(xmlDoc) doc = NULL;
        g_autoptr(xmlXPathContext) ctx = NULL;
        g_autoptr(xmlXPathObject) obj = NULL;
        const char *xml;
        int r;

        r = sd_bus_call_method(bus, STORAGE_BUS, vol_path, "org.vmmd.storage1.StorageVol", "GetXMLDesc", &e, &reply,
                               "u", 0);
        if (bus_failed(r, &e, "GetXMLDesc", error) || sd_bus_message_read(reply, "s", &xml) < 0)
                return NULL;
        doc = xmlReadMemory(xml, (int) strlen(xml), "volume.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
        if (!doc)
                return g_strdup("raw");
        ctx = xmlXPathNewContext(doc);
        obj = xmlXPathEvalExpression((const xmlChar *) "string(/volume/target/format/@type)", ctx);
        if (!obj || !obj->stringval || !*obj->stringval)
                return g_strdup("raw");
        return g_strdup((const char *) obj->stringval);
}

static bool resolve_disk(sd_bus *bus, DomainDiskDef *disk, GError **error) {
        g_autofree char *pool = NULL, *vol = NULL, *pool_type = NULL, *path = NULL, *format = NULL;
        int active = 0;

        pool = call_for_path(bus, "/org/vmmd/storage1", "org.vmmd.storage1.Manager", "StoragePoolLookupByName",
                             disk->src_pool, error);
        if (!pool)
                return false;
        if (!get_property(bus, pool, "org.vmmd.storage1.StoragePool", "Active", 'b', &active, error))
                return false;
        if (!active) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "storage pool '%s' containing volume '%s' is not active", disk->src_pool, disk->src_volume);
                return false;
        }
        if (!get_property(bus, pool, "org.vmmd.storage1.StoragePool", "Type", 's', &pool_type, error))
                return false;
        if (disk->src_mode && !g_str_equal(pool_type, "iscsi")) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                            "disk source mode is only valid for iscsi pools, not for '%s' pool '%s'", pool_type,
                            disk->src_pool);
                return false;
        }
        if (!g_str_equal(pool_type, "dir") && !g_str_equal(pool_type, "fs") && !g_str_equal(pool_type, "netfs") &&
            !g_str_equal(pool_type, "logical") && !g_str_equal(pool_type, "disk")) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "using '%s' pools for backing 'volume' disks isn't yet supported", pool_type);
                return false;
        }
        vol = call_for_path(bus, pool, "org.vmmd.storage1.StoragePool", "StorageVolLookupByName", disk->src_volume,
                            error);
        if (!vol)
                return false;
        if (!get_property(bus, vol, "org.vmmd.storage1.StorageVol", "Path", 's', &path, error))
                return false;
        format = volume_format(bus, vol, error);
        if (!format)
                return false;
        g_free(disk->src_path);
        disk->src_path = g_steal_pointer(&path);
        if (!disk->driver_type) {
                disk->driver_type = g_steal_pointer(&format);
        }
        return true;
}

bool storage_resolve_volumes(sd_bus *bus, DomainDef *def, GError **error) {
        for (guint i = 0; i < def->disks->len; i++) {
                DomainDiskDef *disk = g_ptr_array_index(def->disks, i);

                if (disk->type != DOMAIN_DISK_TYPE_VOLUME)
                        continue;
                if (!bus) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                    "disk '%s' uses a storage volume, but there is no bus to ask vmmd-storage",
                                    disk->target_dev);
                        return false;
                }
                if (!resolve_disk(bus, disk, error))
                        return false;
        }
        return true;
}
