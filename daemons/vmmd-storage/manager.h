/* The vmmd-storage manager: every known pool, the daemon's directories, startup and autostart. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "paths.h"
#include "pool.h"

struct Manager {
        sd_event *event;
        sd_bus *bus;
        VmmdPaths *paths;
        GHashTable *pools;     /* uuid → Pool* (owned) */
        unsigned jobs;         /* helper processes running: the daemon stays (S72) */
        int lock_fd;
};

Manager *manager_new(VmmdPaths *paths);   /* takes paths */
void manager_free(Manager *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Manager, manager_free)

/* Takes <run_dir>/driver.pid; -EBUSY when another instance holds it (spec §4). */
int manager_lock(Manager *m);

/* Startup steps 1–3 of spec §4: state files, definitions, autostart links, re-check. */
void manager_load(Manager *m);
/* Step 4: autostart pools once per boot (the marker file in the runtime dir). */
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

/* True while a volume operation runs (S72). */
bool manager_is_busy(Manager *m);

/* Implemented by the bus glue: the model announces changes through these. */
void manager_emit_pool_event(Manager *m, Pool *p, int event);
void manager_emit_pool_added(Manager *m, Pool *p);
void manager_emit_pool_removed(Manager *m, Pool *p);
void manager_emit_pool_changed(Manager *m, Pool *p, const char *property, ...) G_GNUC_NULL_TERMINATED;
void manager_emit_pool_refresh(Manager *m, Pool *p);
void manager_emit_volume_added(Manager *m, Volume *v);
void manager_emit_volume_removed(Manager *m, Volume *v);
