/* Deleting snapshots (spec domains.md D41–D46). */
#include "snapshot-priv.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "definition-file.h"
#include "domain-lifecycle.h"
#include "domain-status.h"
#include "list-filter.h"
#include "error.h"
#include "fileio.h"
#include "log.h"
#include "process.h"
#include "manager.h"
#include "qemu-monitor.h"

/* --- delete --- */

/* Deleting internal snapshots inside a running QEMU: per image, by QMP arguments only,
 * never a monitor command line built from the name. The caller hears back once QEMU
 * has answered every deletion. */
typedef struct RunningDelete {
        DomainCall *outer;
        GPtrArray *names;          /* char* */
        unsigned outstanding;
} RunningDelete;

static void running_delete_unref(RunningDelete *rd) {
        DomainCall *outer;

        if (--rd->outstanding > 0)
                return;
        outer = rd->outer;
        g_ptr_array_unref(rd->names);
        g_free(rd);
        if (outer)
                outer->done(outer, NULL);
}

static void on_internal_deleted(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        /* D42: an image without that snapshot (or a QEMU gone) is not an error */
        if (!ret)
                log_debug("deleting an internal snapshot in QEMU: %s", error);
        running_delete_unref(userdata);
}

static void on_delete_nodes(Qmp *q, const GPtrArray *blocks, const char *error, void *userdata) {
        RunningDelete *rd = userdata;

        if (!blocks) {
                log_warning("cannot list the images to delete internal snapshots from: %s", error);
                return running_delete_unref(rd);
        }
        for (guint i = 0; i < blocks->len; i++) {
                const QemuMonitorBlock *b = g_ptr_array_index(blocks, i);

                if (!b->inserted || b->ro || !b->node)
                        continue;
                for (guint j = 0; j < rd->names->len; j++) {
                        rd->outstanding++;
                        if (qemu_monitor_blockdev_snapshot_delete_internal(q, b->node, g_ptr_array_index(rd->names, j),
                                                                           on_internal_deleted, rd) < 0)
                                rd->outstanding--;
                }
        }
        running_delete_unref(rd);
}

/* r gets a qemu-img snapshot -d per qcow2 image of the domain. */
static void delete_data_offline(Snapshot *s, SnapshotImgRun *r) {
        Domain *d = s->domain;

        for (guint i = 0; i < domain_list_len(d->def->disks); i++) {
                DomainDiskDef *disk = domain_list_at(d->def->disks, i);
                const char *argv[] = { "qemu-img", "snapshot", "-d", s->def->name, disk->src_path, NULL };

                if (snapshot_disk_has_data(disk) && g_strcmp0(disk->driver_type, "qcow2") == 0)
                        snapshot_img_run_add(r, argv);
        }
}

static void forget(Snapshot *s) {
        Domain *d = s->domain;
        g_autofree char *file = snapshot_metadata_file(d, s->def->name);
        GHashTableIter it;
        Snapshot *c;

        /* D42: children move up to the parent */
        g_hash_table_iter_init(&it, d->snapshots);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &c))
                if (g_strcmp0(c->def->parent, s->def->name) == 0) {
                        g_free(c->def->parent);
                        c->def->parent = g_strdup(s->def->parent);
                        snapshot_write_logged(c);
                }
        if (d->current_snapshot == s)
                snapshot_set_current(d, snapshot_parent(s));
        (void) unlink(file);
        manager_notify_snapshot_removed(d->manager, s);
        g_hash_table_remove(d->snapshots, s->def->name);
        if (domain_snapshot_total(d) == 0)
                manager_notify_domain_changed(d->manager, d, DOMAIN_CHANGED_CURRENT_SNAPSHOT);
}

/* The images qemu-img snapshot -d will change hold the snapshot and may be written. */
static bool check_offline_delete(Domain *d, Snapshot *s, SnapshotImgRun *r, GError **error) {
        for (guint i = 0; i < domain_list_len(d->def->disks); i++) {
                DomainDiskDef *disk = domain_list_at(d->def->disks, i);

                if (!snapshot_disk_has_data(disk) || g_strcmp0(disk->driver_type, "qcow2") != 0)
                        continue;
                if (access(disk->src_path, R_OK | W_OK) < 0)
                        return snapshot_fail(error, VMMD_ERROR_OPERATION_FAILED, "cannot delete snapshot '%s' from image '%s': %s",
                                             s->def->name, disk->src_path, g_strerror(errno));
                snapshot_img_run_add_check(r, disk->src_path, s->def->name);
        }
        return true;
}

/* D46: a running QEMU deletes an internal snapshot from the images it has open; when a
 * disk has moved since (an external snapshot, a new source), the snapshot's data is in
 * an image QEMU does not write, and deleting it there is not supported. */
static bool check_disks_in_place(Domain *d, Snapshot *s, GError **error) {
        const DomainDef *dom = s->def->domain;

        if (!dom || snapshot_is_external(s))
                return true;
        for (guint i = 0; i < domain_list_len(dom->disks); i++) {
                DomainDiskDef *then = domain_list_at(dom->disks, i);
                DomainDiskDef *now = NULL;

                if (!snapshot_disk_has_data(then))
                        continue;
                for (guint j = 0; j < domain_list_len(d->def->disks); j++) {
                        DomainDiskDef *c = domain_list_at(d->def->disks, j);
                        if (g_strcmp0(c->target_dev, then->target_dev) == 0)
                                now = c;
                }
                if (!now || g_strcmp0(now->src_path, then->src_path) != 0)
                        return snapshot_fail(error, VMMD_ERROR_OPERATION_UNSUPPORTED,
                                             "cannot delete internal snapshot '%s' of running domain '%s': disk '%s' moved from "
                                             "'%s' to '%s' since; shut the domain down or use METADATA_ONLY",
                                             s->def->name, domain_name(d), then->target_dev, then->src_path,
                                             now && now->src_path ? now->src_path : "nothing");
        }
        return true;
}

/* Deleting from the images of an inactive domain: checks first, then the data of each
 * target; the domain is busy meanwhile. */
typedef struct OfflineDelete {
        DomainCall *outer;
        char *kept;                /* the snapshot deleted with CHILDREN_ONLY (NULL otherwise) */
        GPtrArray *targets;        /* char*: names, in the order they go */
        GArray *ends;              /* guint: the step after which each target's data is gone */
} OfflineDelete;

/* The bookkeeping of D42/D44 for the targets (names) whose data is gone. */
static void forget_all(Domain *d, GPtrArray *names, guint n, const char *kept) {
        Snapshot *keep = kept ? domain_snapshot_find(d, kept) : NULL;
        bool current_deleted = false;

        for (guint i = 0; i < n; i++) {
                Snapshot *t = domain_snapshot_find(d, g_ptr_array_index(names, i));
                if (!t)
                        continue;
                if (t == d->current_snapshot)
                        current_deleted = true;
                forget(t);
        }
        /* D44: with CHILDREN_ONLY the kept snapshot takes over from a deleted current one */
        if (keep && current_deleted)
                snapshot_set_current(d, keep);
}

static void on_offline_deleted(Domain *d, GError *error, guint n_done, void *userdata) {
        OfflineDelete *od = userdata;
        DomainCall *outer = od->outer;
        guint gone = 0;

        d->run.job = DOMAIN_JOB_NONE;
        /* a failure half way: what is gone from the images is forgotten, the rest stays */
        while (gone < od->targets->len && (!error || g_array_index(od->ends, guint, gone) <= n_done))
                gone++;
        forget_all(d, od->targets, gone, od->kept);
        g_ptr_array_unref(od->targets);
        g_array_unref(od->ends);
        g_free(od->kept);
        g_free(od);
        if (outer)
                outer->done(outer, error);
}

static bool delete_offline(Domain *d, Snapshot *s, GPtrArray *targets, unsigned flags, DomainCall *call,
                           bool *ret_pending, GError **error) {
        SnapshotImgRun *r = snapshot_img_run_new(d, false);
        OfflineDelete *od;

        /* 0.5: every image must be able to drop every snapshot before the first goes:
         * otherwise a failure half-way through CHILDREN loses the ones already deleted */
        for (guint i = 0; i < targets->len; i++)
                if (!check_offline_delete(d, g_ptr_array_index(targets, i), r, error)) {
                        snapshot_img_run_cancel(r);
                        return false;
                }
        od = g_new0(OfflineDelete, 1);
        od->outer = call;
        od->kept = (flags & SNAPSHOT_DELETE_CHILDREN_ONLY) ? g_strdup(s->def->name) : NULL;
        od->targets = g_ptr_array_new_with_free_func(g_free);
        od->ends = g_array_new(FALSE, FALSE, sizeof(guint));
        for (guint i = 0; i < targets->len; i++) {
                Snapshot *t = g_ptr_array_index(targets, i);
                guint end;

                delete_data_offline(t, r);
                end = snapshot_img_run_length(r);
                g_ptr_array_add(od->targets, g_strdup(t->def->name));
                g_array_append_val(od->ends, end);
        }
        *ret_pending = true;
        d->run.job = DOMAIN_JOB_SNAPSHOT;
        snapshot_img_run_start(r, on_offline_deleted, od);
        return true;
}

bool snapshot_delete(Snapshot *s, unsigned flags, DomainCall *call, bool *ret_pending, GError **error) {
        Domain *d = s->domain;
        g_autoptr(GPtrArray) targets = g_ptr_array_new();
        bool current_deleted = false;
        RunningDelete *rd = NULL;

        if ((flags & SNAPSHOT_DELETE_CHILDREN) && (flags & SNAPSHOT_DELETE_CHILDREN_ONLY))
                return snapshot_fail(error, VMMD_ERROR_INVALID_ARG, "flags CHILDREN and CHILDREN_ONLY exclude each other");
        if (d->run.job == DOMAIN_JOB_SNAPSHOT)
                return snapshot_fail(error, VMMD_ERROR_OPERATION_INVALID, "domain '%s' is busy with another snapshot",
                                     domain_name(d));
        if (flags & (SNAPSHOT_DELETE_CHILDREN | SNAPSHOT_DELETE_CHILDREN_ONLY))
                snapshot_collect_descendants(d, s->def->name, targets);
        if (!(flags & SNAPSHOT_DELETE_CHILDREN_ONLY))
                g_ptr_array_add(targets, s);
        if (!(flags & SNAPSHOT_DELETE_METADATA_ONLY))
                for (guint i = 0; i < targets->len; i++)
                        if (snapshot_is_external(g_ptr_array_index(targets, i)))
                                return snapshot_fail(error, VMMD_ERROR_OPERATION_UNSUPPORTED,
                                                     "deleting external snapshots is not supported yet (snapshot '%s'); "
                                                     "use METADATA_ONLY",
                                                     ((Snapshot *) g_ptr_array_index(targets, i))->def->name);
        if (!(flags & SNAPSHOT_DELETE_METADATA_ONLY) && domain_is_active(d))
                for (guint i = 0; i < targets->len; i++)
                        if (!check_disks_in_place(d, g_ptr_array_index(targets, i), error))
                                return false;
        if (!(flags & SNAPSHOT_DELETE_METADATA_ONLY) && !domain_is_active(d))
                return delete_offline(d, s, targets, flags, call, ret_pending, error);
        *ret_pending = false;
        if (!(flags & SNAPSHOT_DELETE_METADATA_ONLY) && domain_is_active(d) && d->run.qmp && targets->len > 0) {
                rd = g_new0(RunningDelete, 1);
                rd->outer = call;
                rd->names = g_ptr_array_new_with_free_func(g_free);
                rd->outstanding = 1;   /* query-block */
                for (guint i = 0; i < targets->len; i++)
                        g_ptr_array_add(rd->names, g_strdup(((Snapshot *) g_ptr_array_index(targets, i))->def->name));
        }
        for (guint i = 0; i < targets->len; i++) {
                Snapshot *t = g_ptr_array_index(targets, i);
                if (t == d->current_snapshot && t != s)
                        current_deleted = true;
                forget(t);
        }
        /* D44: with CHILDREN_ONLY the kept snapshot takes over from a deleted current one */
        if ((flags & SNAPSHOT_DELETE_CHILDREN_ONLY) && current_deleted)
                snapshot_set_current(d, s);
        if (rd) {
                *ret_pending = true;
                if (qemu_monitor_query_block(d->run.qmp, on_delete_nodes, rd) < 0)
                        running_delete_unref(rd);
        }
        return true;
}
