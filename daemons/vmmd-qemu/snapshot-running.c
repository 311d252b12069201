/* Snapshots of a running domain (D16, D18, D20, D21) and settling one the daemon died in (issue 10). */
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

/* --- create --- */

typedef struct CreateJob {
        DomainCall base;
        DomainCall *outer;
        Domain *domain;
        Snapshot *snapshot;        /* recorded, or NULL with NO_METADATA */
        char *name;
        char *job_id;              /* QEMU's snapshot-save job */
        bool was_running;
        bool halt;
} CreateJob;

static void create_job_done(DomainCall *c, const GError *error) {
        CreateJob *job = (CreateJob *) c;
        DomainCall *outer = job->outer;

        g_free(job->name);
        g_free(job->job_id);
        g_free(job);
        if (outer)
                outer->done(outer, error);
}

/* The snapshot job is over and nothing of it is pending in QEMU (the resume has been
 * answered): the status file no longer needs to name it. */
void snapshot_forget_recorded_job(Domain *d) {
        if (!d->run.recorded_job)
                return;
        if (domain_is_active(d) && d->run.qmp)
                domain_lifecycle_record_job(d, NULL);
        else
                g_clear_pointer(&d->run.recorded_job, domain_status_job_free);
}

static void on_snapshot_resumed(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        d->run.job = DOMAIN_JOB_NONE;
        if (!ret) {
                /* D21: the snapshot stays; the guest does not run */
                domain_lifecycle_set_state(d, DOMAIN_PAUSED, DOMAIN_PAUSED_API_ERROR);
                snapshot_forget_recorded_job(d);
                manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_API_ERROR);
                g_autoptr(GError) e = g_error_new(VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                                  "snapshot taken, but resuming domain '%s' failed: %s",
                                                  domain_name(d), error);
                domain_lifecycle_complete(d, e);
                return;
        }
        /* the state first: a status file never says paused without the job that explains it */
        domain_lifecycle_set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_UNPAUSED);
        snapshot_forget_recorded_job(d);
        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
        domain_lifecycle_complete(d, NULL);
}

static void finish_running(Domain *d, CreateJob *job) {
        if (job->halt) {
                /* D20 */
                domain_lifecycle_kill(d, 7 /* SHUTOFF/FROM_SNAPSHOT */, 6 /* STOPPED/FROM_SNAPSHOT */);
                return;
        }
        if (job->was_running) {
                qemu_monitor_cont(d->run.qmp, on_snapshot_resumed, d);
                return;
        }
        snapshot_forget_recorded_job(d);
        d->run.job = DOMAIN_JOB_NONE;
        domain_lifecycle_complete(d, NULL);
}

static void on_failed_snapshot_resumed(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        snapshot_forget_recorded_job(userdata);
}

/* The VM state is in the images (err NULL) or it is not (err says why). */
static void savevm_finished(Domain *d, const char *err) {
        CreateJob *job = (CreateJob *) d->run.call;

        g_clear_pointer(&d->run.job_timer, sd_event_source_disable_unref);
        if (err) {
                g_autoptr(GError) e = g_error_new(VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                                  "cannot snapshot domain '%s': %s", domain_name(d), err);
                if (job->snapshot) {
                        manager_notify_snapshot_removed(d->manager, job->snapshot);
                        g_autofree char *file = snapshot_metadata_file(d, job->snapshot->def->name);
                        (void) unlink(file);
                        if (d->current_snapshot == job->snapshot)
                                d->current_snapshot = NULL;
                        g_hash_table_remove(d->snapshots, job->snapshot->def->name);
                }
                d->run.job = DOMAIN_JOB_NONE;
                if (job->was_running) {
                        qemu_monitor_cont(d->run.qmp, on_failed_snapshot_resumed, d);
                        domain_lifecycle_set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_UNPAUSED);
                        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
                } else
                        snapshot_forget_recorded_job(d);
                domain_lifecycle_complete(d, e);
                return;
        }
        finish_running(d, job);
}

static void on_job_dismissed(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
}

static int on_save_job_poll(sd_event_source *s, uint64_t usec, void *userdata);

/* query-jobs: wait until snapshot-save has concluded, then read its verdict */
static void on_query_jobs(Qmp *q, const GPtrArray *jobs, const char *error, void *userdata) {
        Domain *d = userdata;
        CreateJob *job = (CreateJob *) d->run.call;
        const QemuMonitorJob *j;
        g_autofree char *err = NULL;

        if (d->run.job != DOMAIN_JOB_SNAPSHOT || !job)
                return;
        if (!jobs)
                return savevm_finished(d, error);
        j = qemu_monitor_find_job(jobs, job->job_id);
        if (!j || (g_strcmp0(j->status, "concluded") != 0 && g_strcmp0(j->status, "null") != 0)) {
                (void) sd_event_source_set_enabled(d->run.job_timer, SD_EVENT_ONESHOT);
                return;
        }
        err = g_strdup(j->error);
        qemu_monitor_job_dismiss(d->run.qmp, job->job_id, on_job_dismissed, d);
        savevm_finished(d, err);
}

static int on_save_job_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Domain *d = userdata;

        (void) sd_event_source_set_time_relative(s, 50 * 1000);
        qemu_monitor_query_jobs(d->run.qmp, on_query_jobs, d);
        return 0;
}

static void on_snapshot_save(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        if (!ret)
                return savevm_finished(d, error);
        (void) sd_event_add_time_relative(d->manager->event, &d->run.job_timer, CLOCK_MONOTONIC,
                                          20 * 1000, 0, on_save_job_poll, d);
}

/* snapshot-save needs the node of every writable image, and one of them for the VM state */
static void on_snapshot_nodes(Qmp *q, const GPtrArray *blocks, const char *error, void *userdata) {
        Domain *d = userdata;
        CreateJob *job = (CreateJob *) d->run.call;
        g_autoptr(GPtrArray) devices = g_ptr_array_new();
        const char *vmstate = NULL;

        if (!blocks)
                return savevm_finished(d, error);
        for (guint i = 0; i < blocks->len; i++) {
                const QemuMonitorBlock *b = g_ptr_array_index(blocks, i);

                if (!b->inserted || b->ro || !b->node)
                        continue;
                g_ptr_array_add(devices, b->node);
                if (!vmstate)
                        vmstate = b->node;
        }
        if (!vmstate)
                return savevm_finished(d, "no writable qcow2 disk to hold the VM state");
        g_ptr_array_add(devices, NULL);
        qemu_monitor_snapshot_save(d->run.qmp, job->job_id, job->name, vmstate, (const char *const *) devices->pdata,
                                   on_snapshot_save, d);
}

/* --- D18: external disk-only snapshot of a running domain --- */

typedef struct ExternalJob {
        DomainCall base;
        DomainCall *outer;
        Domain *domain;
        SnapshotDef *def;
        unsigned flags;
        GArray *disks;             /* QemuMonitorDiskSnapshot, pointing into strings */
        GPtrArray *strings;        /* the node names the disks point at */
} ExternalJob;

static void external_job_done(DomainCall *c, const GError *error) {
        ExternalJob *job = (ExternalJob *) c;
        DomainCall *outer = job->outer;

        snapshot_def_free(job->def);
        g_array_unref(job->disks);
        g_ptr_array_unref(job->strings);
        g_free(job);
        if (outer)
                outer->done(outer, error);
}

static void external_failed(Domain *d, const char *why) {
        g_autoptr(GError) e = g_error_new(VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                          "cannot take disk-only snapshot of domain '%s': %s", domain_name(d), why);
        d->run.job = DOMAIN_JOB_NONE;
        domain_lifecycle_complete(d, e);
}

static void on_transaction(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;
        ExternalJob *job = (ExternalJob *) d->run.call;
        g_autoptr(GError) e = NULL;
        SnapshotDef *def;

        if (!ret)
                return external_failed(d, error);
        /* the guest writes to the overlays now: both definitions follow */
        snapshot_switch_to_overlays(d->def, job->def);
        if (d->new_def) {
                snapshot_switch_to_overlays(d->new_def, job->def);
                if (!domain_save_config(d->manager, d->new_def, &e))
                        log_error("%s", e->message);
        }
        manager_notify_domain_changed(d->manager, d, DOMAIN_CHANGED_UPDATED);
        def = g_steal_pointer(&job->def);
        if (!(job->flags & SNAPSHOT_CREATE_NO_METADATA) && !snapshot_record(d, def, true, &e)) {
                log_error("%s", e->message);
                g_clear_error(&e);
        } else if (job->flags & SNAPSHOT_CREATE_NO_METADATA)
                snapshot_def_free(def);
        if (job->flags & SNAPSHOT_CREATE_HALT) {
                domain_lifecycle_kill(d, 7 /* SHUTOFF/FROM_SNAPSHOT */, 6 /* STOPPED/FROM_SNAPSHOT */);
                return;
        }
        d->run.job = DOMAIN_JOB_NONE;
        domain_lifecycle_complete(d, NULL);
}

static ExternalJob *external_job_of(Domain *d) {
        if (d->run.job != DOMAIN_JOB_SNAPSHOT || !d->run.call || d->run.call->done != external_job_done)
                return NULL;
        return (ExternalJob *) d->run.call;
}

/* The overlays exist: one transaction switches all disks, or none (ATOMIC is how it always works). */
static void on_overlays_created(Domain *d, GError *error, guint n_done, void *userdata) {
        ExternalJob *job = external_job_of(d);

        if (!job || !d->run.qmp)
                return;   /* QEMU went away meanwhile and its exit answered the caller */
        if (error)
                return external_failed(d, error->message);
        qemu_monitor_blockdev_snapshot(d->run.qmp, (const QemuMonitorDiskSnapshot *) job->disks->data,
                                       job->disks->len, on_transaction, d);
}

/* query-block tells, for each image QEMU has open, its top node and size */
static void on_query_block(Qmp *q, const GPtrArray *blocks, const char *error, void *userdata) {
        Domain *d = userdata;
        ExternalJob *job = (ExternalJob *) d->run.call;
        SnapshotImgRun *r;

        if (!blocks)
                return external_failed(d, error);
        r = snapshot_img_run_new(d, false);
        for (guint i = 0; i < domain_list_len(d->def->disks); i++) {
                DomainDiskDef *disk = domain_list_at(d->def->disks, i);
                SnapshotDiskDef *dd = snapshot_find_disk(job->def, disk);
                const char *node = NULL;
                gint64 size = 0;

                if (!dd || dd->snapshot != SNAPSHOT_LOCATION_EXTERNAL)
                        continue;
                for (guint j = 0; j < blocks->len; j++) {
                        const QemuMonitorBlock *b = g_ptr_array_index(blocks, j);

                        if (!b->inserted || g_strcmp0(b->file, disk->src_path) != 0)
                                continue;
                        node = b->node;
                        size = b->virtual_size;
                }
                if (!node || size <= 0) {
                        g_autofree char *why = g_strdup_printf("QEMU does not show disk '%s' (%s)", disk->target_dev,
                                                               disk->src_path);
                        snapshot_img_run_cancel(r);
                        return external_failed(d, why);
                }
                if (!(job->flags & SNAPSHOT_CREATE_REUSE_EXT)) {
                        /* -u: QEMU holds the image; the size comes from QEMU instead */
                        g_autofree char *sz = g_strdup_printf("%" G_GINT64_FORMAT, size);
                        const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-u", "-b", disk->src_path,
                                               "-F", disk->driver_type ? disk->driver_type : "raw", dd->source_file,
                                               sz, NULL };
                        snapshot_img_run_add(r, argv);
                }
                {
                        char *snode = g_strdup_printf("vmmd-%s-%u", job->def->name, i);
                        char *nnode = g_strdup(node);
                        QemuMonitorDiskSnapshot disk_snap = { .node = nnode, .file = dd->source_file,
                                                              .snapshot_node = snode };
                        g_ptr_array_add(job->strings, snode);
                        g_ptr_array_add(job->strings, nnode);
                        g_array_append_val(job->disks, disk_snap);
                }
        }
        /* qemu-img runs beside the loop: the guest and other callers go on meanwhile */
        snapshot_img_run_start(r, on_overlays_created, NULL);
}

bool snapshot_create_running_external(Domain *d, SnapshotDef *def, unsigned flags, DomainCall *call) {
        ExternalJob *job = g_new0(ExternalJob, 1);

        job->base.done = external_job_done;
        job->outer = call;
        job->domain = d;
        job->def = def;
        job->flags = flags;
        job->disks = g_array_new(FALSE, TRUE, sizeof(QemuMonitorDiskSnapshot));
        job->strings = g_ptr_array_new_with_free_func(g_free);
        d->run.job = DOMAIN_JOB_SNAPSHOT;
        d->run.call = &job->base;
        qemu_monitor_query_block(d->run.qmp, on_query_block, d);
        return true;
}

/* QMP snapshot-save (QEMU 6.0+): a job writing the VM state and an internal snapshot of
 * every writable image */
static void take_running_snapshot(Domain *d, const char *name) {
        qemu_monitor_query_block(d->run.qmp, on_snapshot_nodes, d);
}

static void on_snapshot_paused(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;
        CreateJob *job = (CreateJob *) d->run.call;

        if (!ret) {
                g_autoptr(GError) e = g_error_new(VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                                  "cannot pause domain '%s' for the snapshot: %s", domain_name(d), error);
                snapshot_forget_recorded_job(d);
                d->run.job = DOMAIN_JOB_NONE;
                domain_lifecycle_complete(d, e);
                return;
        }
        domain_lifecycle_set_state(d, DOMAIN_PAUSED, DOMAIN_PAUSED_SAVE);
        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_PAUSED);
        take_running_snapshot(d, job->name);
}

bool snapshot_create_running_internal(Domain *d, Snapshot *s, const char *name, unsigned flags, DomainCall *call) {
        CreateJob *job = g_new0(CreateJob, 1);

        job->base.done = create_job_done;
        job->outer = call;
        job->domain = d;
        job->snapshot = s;
        job->name = g_strdup(name);
        job->job_id = g_strdup_printf("vmmd-snapshot-%s", d->uuid);
        job->was_running = d->state == DOMAIN_RUNNING;
        job->halt = flags & SNAPSHOT_CREATE_HALT;
        d->run.job = DOMAIN_JOB_SNAPSHOT;
        d->run.call = &job->base;
        if (job->was_running)
                qemu_monitor_stop(d->run.qmp, on_snapshot_paused, d);
        else
                take_running_snapshot(d, name);
        return true;
}

/* --- a snapshot the daemon died in (issue 10) --- */

static void recover_done(Domain *d) {
        log_info("domain '%s': the interrupted snapshot is settled", domain_name(d));
        d->run.job = DOMAIN_JOB_NONE;
        domain_lifecycle_record_job(d, NULL);
}

static void on_recover_resumed(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        if (ret) {
                if (d->state != DOMAIN_RUNNING) {
                        domain_lifecycle_set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_UNPAUSED);
                        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
                }
        } else {
                log_warning("domain '%s': cannot resume after the interrupted snapshot: %s", domain_name(d), error);
                domain_lifecycle_set_state(d, DOMAIN_PAUSED, DOMAIN_PAUSED_API_ERROR);
                manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_API_ERROR);
        }
        recover_done(d);
}

/* Whether the snapshot is in the images decides: kept and current, or forgotten with the
 * one current before it current again. */
static void on_recover_block(Qmp *q, const GPtrArray *blocks, const char *error, void *userdata) {
        Domain *d = userdata;
        DomainStatusJob *job = d->run.recorded_job;
        Snapshot *s, *parent;
        bool taken = false;

        if (!job)
                return;
        for (guint i = 0; blocks && i < blocks->len && !taken; i++) {
                const QemuMonitorBlock *b = g_ptr_array_index(blocks, i);
                taken = b->inserted && job->snapshot && g_strv_contains((const char *const *) b->snapshots,
                                                                        job->snapshot);
        }
        s = job->snapshot ? domain_snapshot_find(d, job->snapshot) : NULL;
        parent = job->parent ? domain_snapshot_find(d, job->parent) : NULL;
        if (taken) {
                log_info("domain '%s': snapshot '%s' was completed", domain_name(d), job->snapshot);
                if (s)
                        snapshot_set_current(d, s);
        } else {
                log_info("domain '%s': snapshot '%s' was not completed; forgetting it", domain_name(d),
                         job->snapshot);
                if (s) {
                        g_autofree char *file = snapshot_metadata_file(d, s->def->name);

                        manager_notify_snapshot_removed(d->manager, s);
                        (void) unlink(file);
                        if (d->current_snapshot == s)
                                d->current_snapshot = NULL;
                        g_hash_table_remove(d->snapshots, job->snapshot);
                        if (domain_snapshot_total(d) == 0)
                                manager_notify_domain_changed(d->manager, d, DOMAIN_CHANGED_CURRENT_SNAPSHOT);
                }
                snapshot_set_current(d, parent);
        }
        if (job->was_running)
                qemu_monitor_cont(d->run.qmp, on_recover_resumed, d);
        else
                recover_done(d);
}

static int on_recover_poll(sd_event_source *s, uint64_t usec, void *userdata);

static void on_recover_jobs(Qmp *q, const GPtrArray *jobs, const char *error, void *userdata) {
        Domain *d = userdata;
        DomainStatusJob *job = d->run.recorded_job;
        const QemuMonitorJob *j;

        if (!job)
                return;
        j = qemu_monitor_find_job(jobs, job->qemu_job);
        if (j) {
                if (g_strcmp0(j->status, "concluded") != 0 && g_strcmp0(j->status, "null") != 0) {
                        /* still writing: wait for it */
                        (void) sd_event_source_set_enabled(d->run.job_timer, SD_EVENT_ONESHOT);
                        return;
                }
                /* "Job ID already in use" for every later snapshot otherwise */
                qemu_monitor_job_dismiss(d->run.qmp, job->qemu_job, NULL, NULL);
        }
        g_clear_pointer(&d->run.job_timer, sd_event_source_disable_unref);
        qemu_monitor_query_block(d->run.qmp, on_recover_block, d);
}

static int on_recover_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Domain *d = userdata;

        (void) sd_event_source_set_time_relative(s, 50 * 1000);
        qemu_monitor_query_jobs(d->run.qmp, on_recover_jobs, d);
        return 0;
}

void domain_snapshot_recover(Domain *d) {
        log_info("domain '%s': snapshot '%s' was interrupted by the daemon's exit; settling it", domain_name(d),
                 d->run.recorded_job->snapshot ? d->run.recorded_job->snapshot : "?");
        d->run.job = DOMAIN_JOB_SNAPSHOT;
        (void) sd_event_add_time_relative(d->manager->event, &d->run.job_timer, CLOCK_MONOTONIC, 0,
                                          0, on_recover_poll, d);
}
