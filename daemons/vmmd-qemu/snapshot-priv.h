/* What the snapshot files (snapshot*.c) share among themselves; no other file includes this. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "domain-def.h"
#include "snapshot.h"

/* --- the tree and its metadata files (snapshot.c) --- */

/* name → Snapshot* of d, created on first use */
GHashTable *snapshot_table(Domain *d);
bool snapshot_is_external(const Snapshot *s);
char *snapshot_metadata_file(Domain *d, const char *snap);
bool snapshot_write(Snapshot *s, GError **error);
void snapshot_write_logged(Snapshot *s);
/* Makes s (or none) current: both metadata files rewritten, IsCurrent and HasCurrentSnapshot told. */
void snapshot_set_current(Domain *d, Snapshot *s);
/* Adds def (taken) to the tree and writes its file; NULL (def freed) when the file cannot be written. */
Snapshot *snapshot_record(Domain *d, SnapshotDef *def, bool make_current, GError **error);
/* Every snapshot below name, deepest first. */
void snapshot_collect_descendants(Domain *d, const char *name, GPtrArray *out);

/* --- disks and images --- */

/* The disks of a definition a snapshot concerns: writable, with a file behind them. */
bool snapshot_disk_has_data(const DomainDiskDef *disk);
SnapshotDiskDef *snapshot_find_disk(SnapshotDef *def, const DomainDiskDef *disk);
/* D11: /v/a.qcow2 → /v/a.<snap> */
char *snapshot_overlay_name(const char *path, const char *snap);
/* Points the disks of def that snap made external at their overlays. */
void snapshot_switch_to_overlays(DomainDef *def, SnapshotDef *snap);

/* A sequence of qemu-img runs on the event loop, one after the other, each bounded: the
 * daemon keeps answering while they run. done runs once, always later from the loop, with
 * the first failure (NULL: all went well) and how many steps succeeded before it; the run
 * is freed after it. */
typedef struct SnapshotImgRun SnapshotImgRun;
typedef void (*SnapshotImgDone)(Domain *d, GError *error, guint n_done, void *userdata);
/* keep_going: a failing step is logged and the rest still run (undoing, where every image counts) */
SnapshotImgRun *snapshot_img_run_new(Domain *d, bool keep_going);
void snapshot_img_run_add(SnapshotImgRun *r, const char *const *argv);
/* A step that fails unless image holds the internal snapshot. */
void snapshot_img_run_add_check(SnapshotImgRun *r, const char *image, const char *snapshot);
guint snapshot_img_run_length(const SnapshotImgRun *r);
void snapshot_img_run_start(SnapshotImgRun *r, SnapshotImgDone done, void *userdata);

bool G_GNUC_PRINTF(3, 4) snapshot_fail(GError **error, int code, const char *fmt, ...);

/* --- a running domain (snapshot-running.c) --- */

/* D16: the internal snapshot s (NULL with NO_METADATA) called name is taken inside QEMU;
 * call->done runs when it is over. */
bool snapshot_create_running_internal(Domain *d, Snapshot *s, const char *name, unsigned flags, DomainCall *call);
/* D18: def (taken) is an external disk-only snapshot switched to in one transaction. */
bool snapshot_create_running_external(Domain *d, SnapshotDef *def, unsigned flags, DomainCall *call);
/* The status file no longer names the snapshot job. */
void snapshot_forget_recorded_job(Domain *d);
