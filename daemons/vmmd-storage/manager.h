/* The vmmd-storage manager: every known pool, the daemon's directories, startup and autostart. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "paths.h"
#include "pool.h"
#include "storage-events.h"

struct Manager {
        sd_event *event;
        sd_bus *bus;           /* a client of vmmd-secret too (LUKS volumes) */
        VmmdPaths *paths;
        GHashTable *pools;     /* uuid → Pool* (owned) */
        unsigned jobs;         /* helper processes running: the daemon stays (S72) */
        const struct StorageListener *listener;   /* storage-events.h */
        void *listener_data;
};

Manager *manager_new(VmmdPaths *paths);   /* takes paths */
void manager_free(Manager *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Manager, manager_free)

/* Startup steps 1–3 of spec §4: state files, definitions, autostart links, re-check. */
void manager_load(Manager *m);
/* Step 4: autostart pools once per boot (vmmd_autostart_claim). */
void manager_autostart(Manager *m);

/* Visible pools only (a transient pool being started is not). */
Pool *manager_find_by_uuid(Manager *m, const char *uuid);
Pool *manager_find_by_name(Manager *m, const char *name);
Pool *manager_find_by_target(Manager *m, const char *path);   /* active pools */
/* A volume of an active pool by key or path (spec S65). */
Volume *manager_find_volume(Manager *m, const char *key_or_path);

/* StoragePoolDefineXML (S1–S6) and StoragePoolCreateXML (S13). */
Pool *manager_define_xml(Manager *m, const char *xml, unsigned flags, GError **error);
Pool *manager_create_xml(Manager *m, const char *xml, unsigned flags, GError **error);

void manager_add_pool(Manager *m, Pool *p);
void manager_remove_pool(Manager *m, Pool *p);   /* frees p */

/* ListStoragePools (S67): the visible pools that pass the POOL_LIST_* filters, by name. */
GPtrArray *manager_list_pools(Manager *m, unsigned flags);

/* True while a volume operation runs (S72). */
bool manager_is_busy(Manager *m);
