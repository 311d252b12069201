/* Resolving <disk type='volume'> through vmmd-storage on the bus. vmmd-qemu never reads storage state itself. */
#include "storage-client.h"

#include <string.h>

#include "cleanup.h"
#include "domain-def.h"
#include "error.h"
#include "vmmd/storage1.h"

#define CALL_USEC (30 * G_USEC_PER_SEC)   /* includes activating vmmd-storage */

typedef enum {
        STEP_POOL,        /* StoragePoolLookupByName */
        STEP_ACTIVE,      /* pool Active */
        STEP_TYPE,        /* pool Type */
        STEP_VOLUME,      /* StorageVolLookupByName */
        STEP_PATH,        /* volume Path */
        STEP_FORMAT,      /* volume GetXMLDesc: target format */
} Step;

typedef struct Resolve {
        sd_bus *bus;
        DomainDef *def;
        guint disk;               /* index into def->disks */
        Step step;
        char *pool_path, *vol_path, *pool_type;
        StorageResolvedFunc done;
        void *userdata;
} Resolve;

static void resolve_free(Resolve *r) {
        g_free(r->pool_path);
        g_free(r->vol_path);
        g_free(r->pool_type);
        sd_bus_unref(r->bus);
        g_free(r);
}

bool storage_def_has_volumes(const DomainDef *def) {
        for (guint i = 0; i < domain_list_len(def->disks); i++)
                if (((DomainDiskDef *) domain_list_at(def->disks, i))->type == DOMAIN_DISK_TYPE_VOLUME)
                        return true;
        return false;
}

static void resolve_finish(Resolve *r, GError *error) {
        r->done(error, r->userdata);
        resolve_free(r);
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error);

static void resolve_next(Resolve *r);

/* issues the call of the current step */
static void resolve_call(Resolve *r) {
        DomainDiskDef *disk = domain_list_at(r->def->disks, r->disk);
        int rc;

        switch (r->step) {
        case STEP_POOL:
                rc = sd_bus_call_method_async(r->bus, NULL, STORAGE_BUS_NAME, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE,
                                              "StoragePoolLookupByName", on_reply, r, "s", disk->src_pool);
                break;
        case STEP_ACTIVE:
        case STEP_TYPE:
                rc = sd_bus_call_method_async(r->bus, NULL, STORAGE_BUS_NAME, r->pool_path, "org.freedesktop.DBus.Properties",
                                              "Get", on_reply, r, "ss", STORAGE_POOL_INTERFACE,
                                              r->step == STEP_ACTIVE ? "Active" : "Type");
                break;
        case STEP_VOLUME:
                rc = sd_bus_call_method_async(r->bus, NULL, STORAGE_BUS_NAME, r->pool_path, STORAGE_POOL_INTERFACE,
                                              "StorageVolLookupByName", on_reply, r, "s", disk->src_volume);
                break;
        case STEP_PATH:
                rc = sd_bus_call_method_async(r->bus, NULL, STORAGE_BUS_NAME, r->vol_path, "org.freedesktop.DBus.Properties",
                                              "Get", on_reply, r, "ss", STORAGE_VOL_INTERFACE, "Path");
                break;
        default:
                rc = sd_bus_call_method_async(r->bus, NULL, STORAGE_BUS_NAME, r->vol_path, STORAGE_VOL_INTERFACE,
                                              "GetXMLDesc", on_reply, r, "u", 0);
        }
        if (rc < 0) {
                GError *e = NULL;
                vmmd_error_set_errno(&e, rc, "cannot ask vmmd-storage about disk '%s'", disk->target_dev);
                resolve_finish(r, e);
                g_error_free(e);
        }
}

static char *format_from_xml(const char *xml) {
        g_autoptr(xmlDoc) doc = xmlReadMemory(xml, (int) strlen(xml), "volume.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
        g_autoptr(xmlXPathContext) ctx = NULL;
        g_autoptr(xmlXPathObject) obj = NULL;

        if (!doc)
                return g_strdup("raw");
        ctx = xmlXPathNewContext(doc);
        obj = xmlXPathEvalExpression((const xmlChar *) "string(/volume/target/format/@type)", ctx);
        if (!obj || !obj->stringval || !*obj->stringval)
                return g_strdup("raw");
        return g_strdup((const char *) obj->stringval);
}

static bool pool_type_backs_volumes(const char *t) {
        return g_str_equal(t, "dir") || g_str_equal(t, "fs") || g_str_equal(t, "netfs") || g_str_equal(t, "logical") ||
               g_str_equal(t, "disk");
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Resolve *r = userdata;
        DomainDiskDef *disk = domain_list_at(r->def->disks, r->disk);
        g_autoptr(GError) e = NULL;
        const char *s = NULL;
        int b = 0, rc;

        if (sd_bus_message_is_method_error(m, NULL)) {
                /* vmmd-storage's own errors (NoStoragePool, NoStorageVol) pass through unchanged */
                vmmd_error_from_bus(sd_bus_message_get_error(m), &e);
                resolve_finish(r, e);
                return 0;
        }
        switch (r->step) {
        case STEP_POOL:
        case STEP_VOLUME:
                rc = sd_bus_message_read(m, "o", &s);
                if (rc >= 0)
                        *(r->step == STEP_POOL ? &r->pool_path : &r->vol_path) = g_strdup(s);
                break;
        case STEP_ACTIVE:
                rc = sd_bus_message_read(m, "v", "b", &b);
                if (rc >= 0 && !b) {
                        e = g_error_new(VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                        "storage pool '%s' containing volume '%s' is not active", disk->src_pool,
                                        disk->src_volume);
                        resolve_finish(r, e);
                        return 0;
                }
                break;
        case STEP_TYPE:
                rc = sd_bus_message_read(m, "v", "s", &s);
                if (rc >= 0) {
                        r->pool_type = g_strdup(s);
                        if (disk->src_mode && !g_str_equal(s, "iscsi"))
                                e = g_error_new(VMMD_ERROR, VMMD_ERROR_XML_ERROR,
                                                "disk source mode is only valid for iscsi pools, not for '%s' pool '%s'",
                                                s, disk->src_pool);
                        else if (!pool_type_backs_volumes(s))
                                e = g_error_new(VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                                "using '%s' pools for backing 'volume' disks isn't yet supported", s);
                        if (e) {
                                resolve_finish(r, e);
                                return 0;
                        }
                }
                break;
        case STEP_PATH:
                rc = sd_bus_message_read(m, "v", "s", &s);
                if (rc >= 0) {
                        g_free(disk->src_path);
                        disk->src_path = g_strdup(s);
                }
                break;
        default:
                rc = sd_bus_message_read(m, "s", &s);
                if (rc >= 0 && !disk->driver_type)
                        disk->driver_type = format_from_xml(s);
        }
        if (rc < 0) {
                vmmd_error_set_errno(&e, rc, "bad reply from vmmd-storage for disk '%s'", disk->target_dev);
                resolve_finish(r, e);
                return 0;
        }
        if (r->step == STEP_FORMAT) {
                r->disk++;
                r->step = STEP_POOL;
                g_clear_pointer(&r->pool_path, g_free);
                g_clear_pointer(&r->vol_path, g_free);
                g_clear_pointer(&r->pool_type, g_free);
                resolve_next(r);
        } else {
                r->step++;
                resolve_call(r);
        }
        return 0;
}

/* the next volume disk, or done */
static void resolve_next(Resolve *r) {
        for (; r->disk < domain_list_len(r->def->disks); r->disk++)
                if (((DomainDiskDef *) domain_list_at(r->def->disks, r->disk))->type == DOMAIN_DISK_TYPE_VOLUME) {
                        resolve_call(r);
                        return;
                }
        resolve_finish(r, NULL);
}

void storage_resolve_volumes_async(sd_bus *bus, DomainDef *def, StorageResolvedFunc done, void *userdata) {
        Resolve *r = g_new0(Resolve, 1);

        r->def = def;
        r->done = done;
        r->userdata = userdata;
        if (!bus) {
                g_autoptr(GError) e = g_error_new(VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                                  "volume disks need vmmd-storage, but there is no bus");
                done(e, userdata);
                g_free(r);
                return;
        }
        r->bus = sd_bus_ref(bus);
        resolve_next(r);
}
