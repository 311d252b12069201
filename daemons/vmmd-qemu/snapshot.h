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

/* D25: reads the metadata files of <snapshotDir>/<name> into d (at daemon start). */
void domain_snapshots_load(Domain *d);
/* Re-attach found a snapshot job in the status file (the daemon died during it): waits for
 * and dismisses QEMU's job, keeps the snapshot if the images hold it (else forgets it and
 * makes its parent current again), and resumes the guest the job paused. */
void domain_snapshot_recover(Domain *d);
void domain_snapshots_clear(Domain *d);
/* The domain goes away: its qemu-img run (d->run.img_run) is killed without calling back. */
void snapshot_img_run_cancel(struct SnapshotImgRun *r);
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
