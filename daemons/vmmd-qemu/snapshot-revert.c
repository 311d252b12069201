/* Reverting to a snapshot (spec domains.md D31–D40): prepare everything that can fail, then commit. */
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

/* --- revert --- */

/* A revert prepares everything that can fail while the domain, its definition file and
 * its guest are untouched: the definitions to switch to, the snapshot checked in every
 * image, external overlays created, the definition file written (the old one kept to
 * write back). Only then does a running guest stop and the disks revert. */
typedef struct RevertJob {
        DomainCall prep;           /* holds a running domain while qemu-img prepares; hears if QEMU exits */
        DomainCall stop;           /* continues once QEMU is gone */
        DomainCall finish;         /* emits DEFINED/FROM_SNAPSHOT, then answers the caller */
        DomainCall *outer;
        Domain *domain;
        char *snap;
        unsigned flags;
        DomainDef *live;           /* the definition the guest starts with */
        DomainDef *pers;           /* the persistent definition after the revert */
        DomainDef *old_pers;       /* what the definition file held: written back on failure */
        GPtrArray *revert_disks;   /* SnapshotDiskDef*: external overlays made for this revert */
        bool config_written;
        bool holding;              /* prep is the running domain's call */
} RevertJob;

static void revert_job_free(RevertJob *job) {
        g_free(job->snap);
        domain_def_free(job->live);
        domain_def_free(job->pers);
        domain_def_free(job->old_pers);
        if (job->revert_disks)
                g_ptr_array_unref(job->revert_disks);
        g_free(job);
}

/* A failure after the prepare step: the overlays go, the old definition file comes back. */
static void revert_undo(RevertJob *job) {
        g_autoptr(GError) error = NULL;

        for (guint i = 0; job->revert_disks && i < job->revert_disks->len; i++) {
                SnapshotDiskDef *rd = g_ptr_array_index(job->revert_disks, i);
                if (unlink(rd->source_file) < 0 && errno != ENOENT)
                        log_warning("cannot remove revert overlay '%s': %s", rd->source_file, g_strerror(errno));
        }
        if (job->config_written && !domain_save_config(job->domain->manager, job->old_pers, &error))
                log_error("cannot write back the definition of '%s': %s", domain_name(job->domain), error->message);
        job->config_written = false;
}

static void revert_finish(DomainCall *c, const GError *error) {
        RevertJob *job = G_STRUCT_MEMBER_P(c, -G_STRUCT_OFFSET(RevertJob, finish));
        Domain *d = job->domain;
        DomainCall *outer = job->outer;
        Snapshot *s = domain_snapshot_find(d, job->snap);

        d->reverting = false;
        if (!error) {
                /* D40, D35: the target is current; a persistent domain announces its definition last */
                if (s)
                        snapshot_set_current(d, s);
                if (d->persistent)
                        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_DEFINED, DOMAIN_EVENT_DEFINED_FROM_SNAPSHOT);
        }
        revert_job_free(job);
        if (outer)
                outer->done(outer, error);
}

static DomainDef *renamed_copy(const DomainDef *def, const char *name) {
        DomainDef *copy = domain_def_copy(def);
        domain_def_set_name(copy, name);
        domain_def_set_id(copy, -1);
        return copy;
}

/* The internal snapshot is in every image it concerns (-loadvm and qemu-img snapshot -a
 * need it): r gets a check per image. */
static bool check_internal_images(const SnapshotDef *def, SnapshotImgRun *r, GError **error) {
        const DomainDef *dom = def->domain;

        for (guint i = 0; i < domain_list_len(dom->disks); i++) {
                DomainDiskDef *disk = domain_list_at(dom->disks, i);

                if (!snapshot_disk_has_data(disk))
                        continue;
                if (access(disk->src_path, R_OK | W_OK) < 0)
                        return snapshot_fail(error, VMMD_ERROR_OPERATION_FAILED, "cannot revert image '%s': %s",
                                             disk->src_path, g_strerror(errno));
                snapshot_img_run_add_check(r, disk->src_path, def->name);
        }
        return true;
}

/* D38: the snapshot's images stay as they are; fresh overlays on them carry the guest on.
 * r gets a qemu-img create per overlay; the overlays go into job->revert_disks (removed
 * again by revert_undo); live and pers follow them. */
static bool revert_external_disks(RevertJob *job, Snapshot *s, SnapshotImgRun *r, GError **error) {
        g_autofree char *suffix = g_strdup_printf("%s-%lld", s->def->name, (long long) (g_get_real_time() / G_USEC_PER_SEC));
        const DomainDef *dom = s->def->domain;
        g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func((GDestroyNotify) snapshot_disk_def_free);
        SnapshotDef view;

        for (guint i = 0; i < domain_list_len(dom->disks); i++) {
                DomainDiskDef *disk = domain_list_at(dom->disks, i);
                SnapshotDiskDef *dd = snapshot_find_disk(s->def, disk);
                g_autofree char *overlay = NULL;
                SnapshotDiskDef *rd;

                if (!dd || dd->snapshot != SNAPSHOT_LOCATION_EXTERNAL || !disk->src_path)
                        continue;
                overlay = snapshot_overlay_name(disk->src_path, suffix);
                if (access(overlay, F_OK) == 0)
                        return snapshot_fail(error, VMMD_ERROR_OPERATION_FAILED, "revert overlay '%s' exists already",
                                             overlay);
                {
                        const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-b", disk->src_path, "-F",
                                               disk->driver_type ? disk->driver_type : "raw", overlay, NULL };
                        snapshot_img_run_add(r, argv);
                }
                rd = snapshot_disk_def_new();
                rd->name = g_strdup(disk->target_dev);
                rd->snapshot = SNAPSHOT_LOCATION_EXTERNAL;
                rd->source_type = g_strdup("file");
                rd->driver_type = g_strdup("qcow2");
                rd->source_file = g_steal_pointer(&overlay);
                g_ptr_array_add(disks, rd);
        }
        /* only now: revert_undo removes what is listed, and none of these existed before */
        job->revert_disks = g_steal_pointer(&disks);
        view = *s->def;
        view.disks = job->revert_disks;
        snapshot_switch_to_overlays(job->live, &view);
        snapshot_switch_to_overlays(job->pers, &view);
        return true;
}

/* The disks are as the snapshot wants them: switch the definitions, start as the snapshot says. */
static void revert_commit(RevertJob *job, Snapshot *s) {
        Domain *d = job->domain;
        g_autoptr(GError) error = NULL;
        bool online = g_str_equal(s->def->state, "running") || g_str_equal(s->def->state, "paused");
        DomainRestore *restore;
        bool start;

        /* commit: nothing below fails before the start */
        if (job->revert_disks) {
                g_ptr_array_unref(s->def->revert_disks);
                s->def->revert_disks = g_steal_pointer(&job->revert_disks);
                snapshot_write_logged(s);
        }
        domain_def_free(d->def);
        d->def = g_steal_pointer(&job->pers);
        g_clear_pointer(&d->new_def, domain_def_free);

        start = online || (job->flags & (SNAPSHOT_REVERT_RUNNING | SNAPSHOT_REVERT_PAUSED));
        if (!start) {
                job->finish.done(&job->finish, NULL);   /* D37: inactive → inactive */
                return;
        }
        restore = g_new0(DomainRestore, 1);
        restore->from_snapshot = true;
        restore->loadvm = online ? g_strdup(s->def->name) : NULL;
        restore->cpu_cookie = online ? g_strdup(s->def->cookie) : NULL;   /* D16 */
        restore->run = (job->flags & SNAPSHOT_REVERT_RUNNING) ||
                       (g_str_equal(s->def->state, "running") && !(job->flags & SNAPSHOT_REVERT_PAUSED));
        d->reverting = true;
        if (!domain_start_restore(d, g_steal_pointer(&job->live), restore, &job->finish, &error))
                job->finish.done(&job->finish, error);
}

static void on_disks_reverted(Domain *d, GError *error, guint n_done, void *userdata) {
        RevertJob *job = userdata;
        Snapshot *s = domain_snapshot_find(d, job->snap);

        d->run.job = DOMAIN_JOB_NONE;
        if (!error && !s)
                error = g_error_new(VMMD_ERROR, VMMD_ERROR_NO_DOMAIN_SNAPSHOT, "snapshot '%s' went away", job->snap);
        else if (error)
                error = g_error_copy(error);
        if (error) {
                g_autoptr(GError) e = error;
                revert_undo(job);
                job->finish.done(&job->finish, e);
                return;
        }
        revert_commit(job, s);
}

/* QEMU is gone (or never ran): revert the disks (qemu-img snapshot -a on an internal,
 * inactive snapshot; the domain is busy meanwhile), then commit */
static void revert_continue(DomainCall *c, const GError *stop_error) {
        RevertJob *job = G_STRUCT_MEMBER_P(c, -G_STRUCT_OFFSET(RevertJob, stop));
        Domain *d = job->domain;
        Snapshot *s = domain_snapshot_find(d, job->snap);
        const DomainDef *dom;
        SnapshotImgRun *r;
        bool online;

        if (stop_error || !s) {
                revert_undo(job);
                job->finish.done(&job->finish, stop_error);
                return;
        }
        online = g_str_equal(s->def->state, "running") || g_str_equal(s->def->state, "paused");
        if (online || snapshot_is_external(s))
                return revert_commit(job, s);
        dom = s->def->domain;
        r = snapshot_img_run_new(d, false);
        for (guint i = 0; i < domain_list_len(dom->disks); i++) {
                DomainDiskDef *disk = domain_list_at(dom->disks, i);
                const char *argv[] = { "qemu-img", "snapshot", "-a", s->def->name, disk->src_path, NULL };

                if (snapshot_disk_has_data(disk))
                        snapshot_img_run_add(r, argv);
        }
        d->run.job = DOMAIN_JOB_SNAPSHOT;
        snapshot_img_run_start(r, on_disks_reverted, job);
}

/* QEMU exited while the revert prepared: the revert goes on as for an inactive domain. */
static void revert_prep_interrupted(DomainCall *c, const GError *error) {
        RevertJob *job = G_STRUCT_MEMBER_P(c, -G_STRUCT_OFFSET(RevertJob, prep));

        job->holding = false;
}

/* The images are checked (or the overlays made): write the definition file, stop a
 * running guest, revert the disks. */
static void on_prepared(Domain *d, GError *error, guint n_done, void *userdata) {
        RevertJob *job = userdata;
        g_autoptr(GError) local = NULL;

        if (job->holding) {
                d->run.call = NULL;
                job->holding = false;
        } else if (!domain_is_active(d))
                d->run.job = DOMAIN_JOB_NONE;
        if (!error && !domain_snapshot_find(d, job->snap))
                error = local = g_error_new(VMMD_ERROR, VMMD_ERROR_NO_DOMAIN_SNAPSHOT, "snapshot '%s' went away",
                                            job->snap);
        if (!error && d->persistent) {
                job->old_pers = domain_def_copy(domain_persistent_def(d));
                if (domain_save_config(d->manager, job->pers, &local))
                        job->config_written = true;
                else
                        error = local;
        }
        if (error) {
                d->reverting = false;
                revert_undo(job);
                job->finish.done(&job->finish, error);
                return;
        }
        if (domain_is_active(d)) {
                /* D36/D37: the running guest goes first (STOPPED/FROM_SNAPSHOT), the domain stays */
                d->reverting = true;
                d->run.call = &job->stop;
                domain_lifecycle_kill(d, 7 /* SHUTOFF/FROM_SNAPSHOT */, 6 /* STOPPED/FROM_SNAPSHOT */);
                return;
        }
        revert_continue(&job->stop, NULL);
}

/* Everything that can fail before anything changes (see RevertJob): the definitions,
 * then qemu-img (checks or overlays) on the loop while the domain is held busy. */
static bool revert_prepare(RevertJob *job, Snapshot *s, GError **error) {
        Domain *d = job->domain;
        SnapshotImgRun *r = snapshot_img_run_new(d, false);

        job->live = renamed_copy(s->def->domain, domain_name(d));
        /* D35: the persistent configuration is <inactiveDomain> when recorded, else <domain> */
        job->pers = renamed_copy(s->def->inactive_domain ? s->def->inactive_domain : s->def->domain, domain_name(d));
        if (snapshot_is_external(s) ? !revert_external_disks(job, s, r, error)
                                    : !check_internal_images(s->def, r, error)) {
                snapshot_img_run_cancel(r);
                return false;
        }
        if (domain_is_active(d)) {
                /* busy for every other call; a transient domain whose QEMU exits meanwhile stays */
                job->holding = true;
                d->run.call = &job->prep;
                d->reverting = true;
        } else
                d->run.job = DOMAIN_JOB_SNAPSHOT;
        snapshot_img_run_start(r, on_prepared, job);
        return true;
}

bool snapshot_revert(Snapshot *s, unsigned flags, DomainCall *call, GError **error) {
        Domain *d = s->domain;
        const char *state = s->def->state ? s->def->state : "";
        bool online = g_str_equal(state, "running") || g_str_equal(state, "paused");
        RevertJob *job;

        if (!d->persistent && !online && !(flags & (SNAPSHOT_REVERT_RUNNING | SNAPSHOT_REVERT_PAUSED)))
                return snapshot_fail(error, VMMD_ERROR_OPERATION_INVALID,
                                     "transient domain '%s' needs RUNNING or PAUSED to revert to inactive snapshot '%s'",
                                     domain_name(d), s->def->name);
        if (!s->def->domain)
                return snapshot_fail(error, VMMD_ERROR_SNAPSHOT_REVERT_RISKY,
                                     "snapshot '%s' lacks domain rollback info (only a uuid is recorded)", s->def->name);
        /* D39 refuses disk-snapshot reverts; issue 5 asks for them: they go as D38 does, the
         * guest's disks on fresh overlays over the snapshot's images, inactive unless
         * RUNNING or PAUSED boots it */
        if (g_str_equal(state, "disk-snapshot") && !snapshot_is_external(s))
                return snapshot_fail(error, VMMD_ERROR_INTERNAL_ERROR, "cannot revert to snapshot '%s' in state disk-snapshot",
                                     s->def->name);
        if (g_str_equal(state, "pmsuspended"))
                return snapshot_fail(error, VMMD_ERROR_OPERATION_UNSUPPORTED, "cannot revert to pmsuspended snapshot '%s'",
                                     s->def->name);
        if (domain_has_managed_save(d) && !online && !(flags & SNAPSHOT_REVERT_FORCE))
                return snapshot_fail(error, VMMD_ERROR_SNAPSHOT_REVERT_RISKY,
                                     "domain '%s' has a managed save image; reverting to snapshot '%s' without memory state "
                                     "needs FORCE", domain_name(d), s->def->name);
        if (d->run.job != DOMAIN_JOB_NONE || d->run.call)
                return snapshot_fail(error, VMMD_ERROR_OPERATION_INVALID, "domain '%s' is busy with another operation",
                                     domain_name(d));

        job = g_new0(RevertJob, 1);
        job->prep.done = revert_prep_interrupted;
        job->stop.done = revert_continue;
        job->finish.done = revert_finish;
        job->outer = call;
        job->domain = d;
        job->snap = g_strdup(s->def->name);
        job->flags = flags;
        if (!revert_prepare(job, s, error)) {
                revert_job_free(job);
                return false;
        }
        return true;
}
