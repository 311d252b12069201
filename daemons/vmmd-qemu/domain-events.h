/* How the domain model tells the world what changed: a listener the model owns and the glue installs. No sd-bus here. */
#pragma once

#include "domain.h"

struct Snapshot;

/* What of a domain changed (the glue maps each bit to its property, in one table) */
typedef enum {
        DOMAIN_CHANGED_NAME = 1u << 0,
        DOMAIN_CHANGED_STATE = 1u << 1,
        DOMAIN_CHANGED_ACTIVE = 1u << 2,
        DOMAIN_CHANGED_ID = 1u << 3,
        DOMAIN_CHANGED_PERSISTENT = 1u << 4,
        DOMAIN_CHANGED_AUTOSTART = 1u << 5,
        DOMAIN_CHANGED_UPDATED = 1u << 6,
        DOMAIN_CHANGED_MANAGED_SAVE = 1u << 7,
        DOMAIN_CHANGED_CURRENT_SNAPSHOT = 1u << 8,
        /* a start or a stop: state, activity, id and the pending definition move together */
        DOMAIN_CHANGED_RUN = DOMAIN_CHANGED_STATE | DOMAIN_CHANGED_ACTIVE | DOMAIN_CHANGED_ID | DOMAIN_CHANGED_UPDATED,
} DomainChange;

typedef enum {
        SNAPSHOT_CHANGED_IS_CURRENT = 1u << 0,
} SnapshotChange;

/* Called synchronously, so the spec's order holds: status file, then PropertiesChanged,
 * then DomainEvent, then the method's reply. Any member may be NULL. */
typedef struct DomainListener {
        void (*domain_added)(void *userdata, Domain *d);
        void (*domain_removed)(void *userdata, Domain *d);
        void (*domain_event)(void *userdata, Domain *d, int event, int detail);   /* DOMAIN_EVENT_* */
        void (*domain_changed)(void *userdata, Domain *d, unsigned changes);      /* DomainChange bits */
        void (*domain_reboot)(void *userdata, Domain *d);
        void (*snapshot_added)(void *userdata, struct Snapshot *s);
        void (*snapshot_removed)(void *userdata, struct Snapshot *s);
        void (*snapshot_changed)(void *userdata, struct Snapshot *s, unsigned changes);   /* SnapshotChange bits */
} DomainListener;

/* Installs the listener (NULL: nobody listens). */
void manager_set_listener(Manager *m, const DomainListener *listener, void *userdata);

/* The model's side: each tells the listener, if any. */
void manager_notify_domain_added(Manager *m, Domain *d);
void manager_notify_domain_removed(Manager *m, Domain *d);
void manager_notify_domain_event(Manager *m, Domain *d, int event, int detail);
void manager_notify_domain_changed(Manager *m, Domain *d, unsigned changes);
void manager_notify_domain_reboot(Manager *m, Domain *d);
void manager_notify_snapshot_added(Manager *m, struct Snapshot *s);
void manager_notify_snapshot_removed(Manager *m, struct Snapshot *s);
void manager_notify_snapshot_changed(Manager *m, struct Snapshot *s, unsigned changes);
