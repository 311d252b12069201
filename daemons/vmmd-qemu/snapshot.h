/* Domain snapshots: the tree, its metadata files, create, revert and delete (spec domains.md D). No sd-bus here. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "domain.h"
#include "snapshot-conf.h"

typedef struct Snapshot {
        Domain *domain;
        SnapshotDef *def;
} Snapshot;

/* libvirt's flag values (spec 0.7) */
enum {
        SNAPSHOT_CREATE_REDEFINE = 1,
        SNAPSHOT_CREATE_CURRENT = 2,
        SNAPSHOT_CREATE_NO_METADATA = 4,
        SNAPSHOT_CREATE_HALT = 8,
        SNAPSHOT_CREATE_DISK_ONLY = 16,
        SNAPSHOT_CREATE_REUSE_EXT = 32,
        SNAPSHOT_CREATE_QUIESCE = 64,
        SNAPSHOT_CREATE_ATOMIC = 128,
        SNAPSHOT_CREATE_LIVE = 256,
        SNAPSHOT_CREATE_VALIDATE = 512,
        SNAPSHOT_CREATE_ALL = 1023,
};
enum {
        SNAPSHOT_REVERT_RUNNING = 1,
        SNAPSHOT_REVERT_PAUSED = 2,
        SNAPSHOT_REVERT_FORCE = 4,
        SNAPSHOT_REVERT_RESET_NVRAM = 8,
};
enum {
        SNAPSHOT_DELETE_CHILDREN = 1,
        SNAPSHOT_DELETE_METADATA_ONLY = 2,
        SNAPSHOT_DELETE_CHILDREN_ONLY = 4,
};
enum {
        SNAPSHOT_LIST_ROOTS = 1,            /* ListDomainSnapshots; DESCENDANTS for ListChildren */
        SNAPSHOT_LIST_METADATA = 2,
        SNAPSHOT_LIST_LEAVES = 4,
        SNAPSHOT_LIST_NO_LEAVES = 8,
        SNAPSHOT_LIST_NO_METADATA = 16,
        SNAPSHOT_LIST_INACTIVE = 32,
        SNAPSHOT_LIST_ACTIVE = 64,
        SNAPSHOT_LIST_DISK_ONLY = 128,
        SNAPSHOT_LIST_INTERNAL = 256,
        SNAPSHOT_LIST_EXTERNAL = 512,
        SNAPSHOT_LIST_TOPOLOGICAL = 1024,
        SNAPSHOT_LIST_ALL = 2047,
};

/* D25: reads the metadata files of <snapshotDir>/<name> into d (at daemon start). */
void domain_snapshots_load(Domain *d);
/* Re-attach found a snapshot job in the status file (the daemon died during it): waits for
 * and dismisses QEMU's job, keeps the snapshot if the images hold it (else forgets it and
 * makes its parent current again), and resumes the guest the job paused. */
void domain_snapshot_recover(Domain *d);
void domain_snapshots_clear(Domain *d);
/* The snapshot objects go away (InterfacesRemoved for each); the metadata files are the caller's. */
void domain_snapshots_drop(Domain *d);
/* Rewrites every metadata file (after a rename, whose header names the domain). */
void domain_snapshots_save_all(Domain *d);

Snapshot *domain_snapshot_find(Domain *d, const char *name);
unsigned domain_snapshot_total(const Domain *d);

/* SnapshotCreateXML: *ret_name is the snapshot's name. *ret_pending says whether call
 * was taken by a job on the running domain (call->done runs when it is over); otherwise
 * the work is done and the caller answers (call unused). */
bool domain_snapshot_create(Domain *d, const char *xml, unsigned flags, DomainCall *call, char **ret_name,
                            bool *ret_pending, GError **error);
bool snapshot_revert(Snapshot *s, unsigned flags, DomainCall *call, GError **error);
/* *ret_pending: the deletion goes on inside the running QEMU and call->done runs when it
 * is over; otherwise it is done and the caller answers (call unused). */
bool snapshot_delete(Snapshot *s, unsigned flags, DomainCall *call, bool *ret_pending, GError **error);

char *snapshot_get_xml(const Snapshot *s, unsigned flags);
Snapshot *snapshot_parent(const Snapshot *s);
bool snapshot_is_current(const Snapshot *s);

/* Snapshot* lists (not owned): of the domain (ROOTS…) or below a snapshot (DESCENDANTS…). */
GPtrArray *domain_snapshot_list(Domain *d, unsigned flags);
GPtrArray *snapshot_list_children(Snapshot *s, unsigned flags);
