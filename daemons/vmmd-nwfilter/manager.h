/* The vmmd-nwfilter model: filters and bindings, their files, and the one nft transaction at a time that applies them. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

#include "nwfilter-conf.h"
#include "paths.h"
#include "process.h"
#include "render.h"

typedef struct NWFilter {
        NWFilterDef *def;
} NWFilter;

typedef enum {
        BINDING_ACTIVE,
        BINDING_NO_DEVICE,
        BINDING_LEARNING,
        BINDING_FAILED,
} BindingState;

const char *binding_state_to_string(BindingState s);

typedef struct Binding {
        NWFilterBindingDef *def;
        PortRules *applied;    /* what the table holds for the port; NULL: nothing */
        BindingState state;
} Binding;

/* What the model tells its listener (the bus glue). */
typedef struct NWFilterListener {
        void (*filter_added)(void *userdata, NWFilter *f);
        void (*filter_removed)(void *userdata, NWFilter *f);
        void (*filter_event)(void *userdata, NWFilter *f, int event);
        void (*binding_added)(void *userdata, Binding *b);
        void (*binding_removed)(void *userdata, Binding *b);
        void (*binding_event)(void *userdata, Binding *b, int event);
        void (*binding_state_changed)(void *userdata, Binding *b);
} NWFilterListener;

typedef struct Job Job;

typedef struct Manager {
        VmmdPaths *paths;
        sd_event *event;
        char *shipped_dir;         /* the standard filter set, read only */
        char *binding_dir;         /* <run_dir>/binding */
        GHashTable *filters;       /* name → NWFilter* (owned) */
        GHashTable *bindings;      /* portdev → Binding* (owned) */
        bool bridge_reject;        /* cleared once the kernel refuses bridge reject */
        /* our table was made by this daemon: per-port changes can go into it. Until then (no
         * binding yet), nothing is touched, so a daemon without bindings leaves the host's
         * nftables alone. */
        bool table_ready;
        /* a per-user instance: like libvirt, which has no session nwfilter driver, it holds
         * nothing and refuses to define or bind (spec §1.4) */
        bool session;
        GQueue *jobs;              /* Job*, waiting */
        Job *current;              /* the job whose nft runs */
        VmmdProcess *nft;
        const NWFilterListener *listener;
        void *listener_data;
} Manager;

/* The answer of a job: the object (NWFilter* or Binding*; NULL for a delete) or error. */
typedef void (*ManagerDoneFunc)(void *userdata, void *object, const GError *error);

Manager *manager_new(VmmdPaths *paths, sd_event *event, const char *shipped_dir);
void manager_free(Manager *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Manager, manager_free)
void manager_set_listener(Manager *m, const NWFilterListener *listener, void *userdata);

/* Loads the shipped filters missing from the config directory, the filters and the bindings (W14 1–2). */
void manager_load(Manager *m);
/* Rebuilds the whole table from the bindings (W14 3), as the first job. */
void manager_start(Manager *m);
/* True while a job is queued or running (W15). */
bool manager_is_busy(Manager *m);

NWFilter *manager_find_filter(Manager *m, const char *name);
NWFilter *manager_find_filter_by_uuid(Manager *m, const char *uuid);
Binding *manager_find_binding(Manager *m, const char *portdev);
GPtrArray *manager_list_filters(Manager *m);      /* sorted by name */
GPtrArray *manager_list_bindings(Manager *m);     /* sorted by portdev */

/* The mutating calls; each runs as a job in order, done is called from the loop (or at once). */
void manager_define(Manager *m, const char *xml, unsigned flags, ManagerDoneFunc done, void *userdata);
void manager_undefine(Manager *m, const char *name, ManagerDoneFunc done, void *userdata);
void manager_binding_create(Manager *m, const char *xml, unsigned flags, ManagerDoneFunc done, void *userdata);
void manager_binding_delete(Manager *m, const char *portdev, ManagerDoneFunc done, void *userdata);
