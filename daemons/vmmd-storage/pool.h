/* A storage pool: its definitions, state, persistence, the dir backend and the volume scan. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "storage-conf.h"
#include "vmmd/storage1.h"

typedef struct Manager Manager;
typedef struct Pool Pool;
typedef struct Volume Volume;

struct Pool {
        Manager *manager;
        char uuid[37];
        StoragePoolDef *def;        /* the running definition while active, else the persistent one */
        StoragePoolDef *new_def;    /* S6: the persistent definition waiting for the next stop */
        bool active;
        bool persistent;
        bool autostart;
        bool visible;               /* false while a new transient pool is being started */
        unsigned async_jobs;        /* S18 */
        GHashTable *volumes;        /* name → Volume* (owned) */
        char *bus_path;             /* the bus glue's object path, made once (pool-dbus.c) */
};

Pool *pool_new(Manager *m, StoragePoolDef *def);   /* takes def */
void pool_free(Pool *p);

const char *pool_name(const Pool *p);
const char *pool_type_string(const Pool *p);
/* The persistent definition (pending one if any). */
const StoragePoolDef *pool_persistent_def(const Pool *p);

char *pool_config_file(const Manager *m, const char *name);
char *pool_autostart_link(const Manager *m, const char *name);
char *pool_state_file(const Manager *m, const char *name);

bool pool_save_config(const Manager *m, const StoragePoolDef *def, GError **error);
bool pool_save_state(Pool *p, GError **error);

/* Types whose definitions are accepted (the backend of some answers NoSupport, S4). */
bool pool_type_is_definable(StoragePoolType type);

char *pool_get_xml(Pool *p, unsigned flags);

bool pool_build(Pool *p, unsigned flags, GError **error);
/* Create (S10–S12). */
bool pool_start(Pool *p, unsigned flags, GError **error);
bool pool_destroy(Pool *p, GError **error);   /* may free a transient pool */
bool pool_delete(Pool *p, unsigned flags, GError **error);
bool pool_undefine(Pool *p, GError **error);  /* frees p on success */
/* Refresh (S16/S17): a failed refresh stops the pool (which may free a transient pool). */
bool pool_refresh(Pool *p, GError **error);
bool pool_set_autostart(Pool *p, bool autostart, GError **error);

/* Re-reads the file system figures (S22, S23); PropertiesChanged when they moved. */
void pool_update_figures(Pool *p);

/* Startup step 3 (spec §4): the target must exist; then a scan without signals (S70). */
bool pool_recheck(Pool *p, GError **error);

/* Marks a pool inactive after a failed check: state file, volumes, STOPPED; transient pools go. */
void pool_stop_failed(Pool *p, bool emit);

Volume *pool_find_volume(Pool *p, const char *name);
/* The volumes sorted by name. */
GPtrArray *pool_list_volumes(Pool *p);
