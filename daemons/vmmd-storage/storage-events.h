/* How the storage model tells the world what changed: a listener the model owns and the glue installs. No sd-bus here. */
#pragma once

#include "pool.h"

/* What of a pool changed (the glue maps each bit to its property, in one table) */
typedef enum {
        POOL_CHANGED_TYPE = 1u << 0,
        POOL_CHANGED_ACTIVE = 1u << 1,
        POOL_CHANGED_PERSISTENT = 1u << 2,
        POOL_CHANGED_AUTOSTART = 1u << 3,
        POOL_CHANGED_CAPACITY = 1u << 4,
        POOL_CHANGED_ALLOCATION = 1u << 5,
        POOL_CHANGED_AVAILABLE = 1u << 6,
        POOL_CHANGED_FIGURES = POOL_CHANGED_CAPACITY | POOL_CHANGED_ALLOCATION | POOL_CHANGED_AVAILABLE,
} PoolChange;

/* Called synchronously, in the order the spec gives (state on disk first, then these, then
 * the method's reply). Any member may be NULL. */
typedef struct StorageListener {
        void (*pool_added)(void *userdata, Pool *p);
        void (*pool_removed)(void *userdata, Pool *p);
        void (*pool_event)(void *userdata, Pool *p, int event);     /* POOL_EVENT_* */
        void (*pool_changed)(void *userdata, Pool *p, unsigned changes);   /* PoolChange bits */
        void (*pool_refresh)(void *userdata, Pool *p);
        void (*volume_added)(void *userdata, Volume *v);
        void (*volume_removed)(void *userdata, Volume *v);
} StorageListener;

/* Installs the listener (NULL: nobody listens, as while the state is loaded at start). */
void manager_set_listener(Manager *m, const StorageListener *listener, void *userdata);

/* The model's side: each tells the listener, if any. */
void manager_notify_pool_added(Manager *m, Pool *p);
void manager_notify_pool_removed(Manager *m, Pool *p);
void manager_notify_pool_event(Manager *m, Pool *p, int event);
void manager_notify_pool_changed(Manager *m, Pool *p, unsigned changes);
void manager_notify_pool_refresh(Manager *m, Pool *p);
void manager_notify_volume_added(Manager *m, Volume *v);
void manager_notify_volume_removed(Manager *m, Volume *v);
