/* Save, restore and managed save of domains, and editing save images. */
#include "domain-save.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "direct-copy.h"
#include "domain-status.h"
#include "domain-lifecycle.h"
#include "error.h"
#include "fileio.h"
#include "log.h"
#include "manager.h"
#include "qemu-monitor.h"
#include "save-image.h"

/* QEMU's own limit for "unlimited" (INT64_MAX rounded down to whole MiB) */
#define MIGRATE_BANDWIDTH_UNLIMITED 9223372036853727232ULL
#define MIGRATE_POLL_USEC (50 * 1000)
/* A save's end comes with QEMU's MIGRATION event; this poll only refreshes the progress
 * GetJobInfo reports (and ends a save should the event never come). */
#define MIGRATE_PROGRESS_USEC (250 * 1000)

typedef struct DomainSaveJob {
        int fd;
        char *path;
        char *partial;             /* written here, renamed to path when complete; NULL: in place */
        bool managed;
        bool paused_by_us;
        int qemu_fd;               /* what QEMU writes to: the image, or a pipe to the copier */
        DirectCopy *copy;          /* BYPASS_CACHE: pipe → O_DIRECT image */
        bool migrated, copied;
} DomainSaveJob;

static void save_job_free(DomainSaveJob *job) {
        if (!job)
                return;
        if (job->fd >= 0)
                close(job->fd);
        if (job->qemu_fd >= 0)
                close(job->qemu_fd);
        direct_copy_free(job->copy);
        g_free(job->path);
        g_free(job->partial);
        g_free(job);
}

static DomainDef *parse_image_xml(Manager *m, const char *xml, GError **error) {
        return manager_parse_domain(m, xml, false, error);
}

/* C28/C35: the replacement must look the same to the guest as the original. The image holds
 * a migratable definition, so the replacement is compared as a migratable copy first; an
 * image written from a definition that was not migratable may still match dxml as given.
 * Whichever matched is used; when neither does, the first mismatch is reported. */
static DomainDef *parse_replacement(Manager *m, const DomainDef *original, const char *dxml, GError **error) {
        g_autoptr(DomainDef) def = manager_parse_domain(m, dxml, false, error);
        g_autoptr(DomainDef) migratable = NULL;
        g_autoptr(GError) first = NULL;
        g_autofree char *xml = NULL;

        if (!def)
                return NULL;
        xml = domain_def_format(def, DOMAIN_DEF_FORMAT_SECURE | DOMAIN_DEF_FORMAT_INACTIVE | DOMAIN_DEF_FORMAT_MIGRATABLE);
        migratable = manager_parse_domain(m, xml, false, error);
        if (!migratable)
                return NULL;
        if (domain_def_check_abi_stability_filled(original, migratable, &first))
                return g_steal_pointer(&migratable);
        if (domain_def_check_abi_stability_filled(original, def, NULL))
                return g_steal_pointer(&def);
        g_propagate_error(error, g_steal_pointer(&first));
        return NULL;
}

static char *format_for_image(const DomainDef *def) {
        return domain_def_format(def, DOMAIN_DEF_FORMAT_SECURE | DOMAIN_DEF_FORMAT_INACTIVE |
                                      DOMAIN_DEF_FORMAT_MIGRATABLE);
}

/* --- saving --- */

/* The job is over: forget it in the status file too (only while QEMU runs: a stopped
 * domain's status file is gone and must stay gone). */
static void forget_recorded_job(Domain *d) {
        if (!d->run.recorded_job)
                return;
        if (domain_is_active(d) && d->run.qmp)
                domain_lifecycle_record_job(d, NULL);
        else
                g_clear_pointer(&d->run.recorded_job, domain_status_job_free);
}

/* remove_partial: the temporary image goes; what was at the target is never touched
 * (issue 10: a failed save used to delete it). The job stays in the status file until
 * nothing of it is pending in QEMU (a resume, QEMU's exit). */
static void save_cleanup(Domain *d, bool remove_partial) {
        DomainSaveJob *job = d->run.save;

        g_clear_pointer(&d->run.job_timer, sd_event_source_disable_unref);
        if (!job)
                return;
        if (remove_partial && job->partial)
                (void) unlink(job->partial);
        save_job_free(job);
        d->run.save = NULL;
}

static void on_cancel_resumed(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        /* the state first: a status file never says paused without the job that explains it */
        if (ret) {
                domain_lifecycle_set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_SAVE_CANCELED);
                forget_recorded_job(d);
                manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
        } else {
                domain_lifecycle_set_state(d, DOMAIN_PAUSED, DOMAIN_PAUSED_API_ERROR);
                forget_recorded_job(d);
                manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_API_ERROR);
        }
}

/* C12: a failed save resumes the guest it paused, removes the file it created */
static void save_failed(Domain *d, const char *why) {
        g_autoptr(GError) error = g_error_new(VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "cannot save domain '%s': %s",
                                              domain_name(d), why);
        bool resume = d->run.save && d->run.save->paused_by_us;

        /* the monitor closed: QEMU is dying; its exit ends the job and keeps the partial
         * image, as a crash of the whole host would */
        if (!d->run.qmp || !qmp_is_ready(d->run.qmp))
                return;
        log_warning("%s", error->message);
        save_cleanup(d, true);
        d->run.job = DOMAIN_JOB_NONE;
        if (resume && d->run.qmp)
                qemu_monitor_cont(d->run.qmp, on_cancel_resumed, d);   /* forgets the job */
        else
                forget_recorded_job(d);
        domain_lifecycle_complete(d, error);
}

static void save_finish(Domain *d) {
        g_autoptr(GError) error = NULL;
        DomainSaveJob *job = d->run.save;
        bool managed = job->managed;

        if (!save_image_finish(job->fd, job->path, job->partial, &error))
                return save_failed(d, error->message);
        /* from here on a restarted daemon finishes the job rather than undoing it */
        if (d->run.recorded_job) {
                d->run.recorded_job->complete = true;
                if (!domain_lifecycle_record_job(d, d->run.recorded_job))
                        d->run.recorded_job->complete = false;
        }
        if (!d->run.recorded_job || !d->run.recorded_job->complete)
                return save_failed(d, "the status file cannot be written");
        if (!save_image_commit(job->path, job->partial, &error)) {
                /* not complete where it belongs after all: undone, not finished */
                d->run.recorded_job->complete = false;
                (void) domain_lifecycle_record_job(d, d->run.recorded_job);
                return save_failed(d, error->message);
        }
        save_cleanup(d, false);
        if (managed)
                manager_notify_domain_changed(d->manager, d, DOMAIN_CHANGED_MANAGED_SAVE);
        /* the guest is in the image: QEMU goes, the caller hears back when it is gone */
        domain_lifecycle_kill(d, DOMAIN_SHUTOFF_SAVED, 4 /* STOPPED/SAVED */);
}

static int on_save_poll(sd_event_source *s, uint64_t usec, void *userdata);

static void on_save_query(Qmp *q, const QemuMonitorMigration *mig, const char *error, void *userdata) {
        Domain *d = userdata;
        const char *status;

        if (!d->run.save)
                return;
        if (!mig)
                return save_failed(d, error);
        status = mig->status;
        if (mig->has_ram) {
                /* transferred leaves out zero pages; what is done is what no longer remains */
                d->run.job_total = mig->ram_total;
                d->run.job_processed = d->run.job_total - MIN(d->run.job_total, mig->ram_remaining);
        }
        if (g_str_equal(status, "completed")) {
                d->run.save->migrated = true;
                g_clear_pointer(&d->run.job_timer, sd_event_source_disable_unref);
                if (!d->run.save->copy || d->run.save->copied)
                        save_finish(d);
                return;   /* the copier finishes it at the end of the pipe */
        }
        if (g_str_equal(status, "failed") || g_str_equal(status, "cancelled")) {
                g_autofree char *why = g_strdup_printf("migration %s: %s", status,
                                                       mig->error_desc ? mig->error_desc : "no detail");
                return save_failed(d, why);
        }
        (void) sd_event_source_set_enabled(d->run.job_timer, SD_EVENT_ONESHOT);
}

static int on_save_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Domain *d = userdata;

        (void) sd_event_source_set_time_relative(s, MIGRATE_PROGRESS_USEC);
        qemu_monitor_query_migrate(d->run.qmp, on_save_query, d);
        return 0;
}

void domain_save_migration_ended(Domain *d) {
        /* query-migrate says how it ended (the error, the final counts), at once */
        if (d->run.save && d->run.qmp)
                qemu_monitor_query_migrate(d->run.qmp, on_save_query, d);
}

static void on_migrate(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        if (!d->run.save)
                return;
        if (!ret)
                return save_failed(d, error);
        if (!d->run.save->migrated)
                (void) sd_event_add_time_relative(d->manager->event, &d->run.job_timer, CLOCK_MONOTONIC,
                                                  MIGRATE_PROGRESS_USEC, 0, on_save_poll, d);
}

static void on_save_getfd(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        if (!d->run.save)
                return;
        if (!ret)
                return save_failed(d, error);
        /* in order on the monitor: the events first, so the stream's end is announced */
        qemu_monitor_migrate_events(d->run.qmp, NULL, NULL);
        qemu_monitor_migrate(d->run.qmp, "fd:vmmd-save", on_migrate, d);
}

static void on_copied(DirectCopy *c, int error, void *userdata) {
        Domain *d = userdata;

        if (!d->run.save)
                return;
        if (error < 0) {
                g_autofree char *why = g_strdup_printf("writing the image with bypass cache failed: %s",
                                                       g_strerror(-error));
                return save_failed(d, why);
        }
        d->run.save->copied = true;
        if (d->run.save->migrated)
                save_finish(d);
}

static void begin_migrate(Domain *d) {
        /* QEMU's default of 32 MiB/s is for networks, not for a local file */
        qemu_monitor_migrate_set_max_bandwidth(d->run.qmp, MIGRATE_BANDWIDTH_UNLIMITED, NULL, NULL);
        qemu_monitor_getfd(d->run.qmp, "vmmd-save", d->run.save->qemu_fd, on_save_getfd, d);
        d->run.save->qemu_fd = -1;   /* passed on; the copier must see the pipe's end when QEMU closes it */
}

static void on_save_paused(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        if (!d->run.save)
                return;
        if (!ret)
                return save_failed(d, error);
        d->run.save->paused_by_us = true;
        domain_lifecycle_set_state(d, DOMAIN_PAUSED, DOMAIN_PAUSED_SAVE);
        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_PAUSED);
        begin_migrate(d);
}

bool domain_save(Domain *d, const char *file, const char *dxml, unsigned flags, DomainCall *call, GError **error) {
        Manager *m = d->manager;
        g_autofree char *path = NULL, *xml = NULL, *partial = NULL, *cookie = NULL;
        g_autoptr(DomainDef) replacement = NULL;
        DomainStatusJob *recorded;
        DomainSaveJob *job;
        bool was_running;
        int fd, r;

        if (!domain_is_active(d)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "domain '%s' is not running",
                            domain_name(d));
                return false;
        }
        if (!file && !d->persistent) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "cannot do managed save for transient domain '%s'", domain_name(d));
                return false;
        }
        if (d->run.job != DOMAIN_JOB_NONE || d->run.call || !d->run.qmp) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "domain '%s' is busy with another operation", domain_name(d));
                return false;
        }
        if (dxml && *dxml) {
                replacement = parse_replacement(m, d->def, dxml, error);
                if (!replacement)
                        return false;
        }
        xml = format_for_image(replacement ? replacement : d->def);
        was_running = (flags & DOMAIN_SAVE_RUNNING) ? true : (flags & DOMAIN_SAVE_PAUSED) ? false
                                                                                           : d->state == DOMAIN_RUNNING;
        if (file)
                path = g_strdup(file);
        else {
                path = domain_managed_save_file(m, domain_name(d));
                r = vmmd_mkdir_p(m->save_dir, 0700);
                if (r < 0) {
                        vmmd_error_set_errno(error, r, "cannot create directory '%s'", m->save_dir);
                        return false;
                }
        }
        /* C3: the guest CPU QEMU reported, for the restore to give the same */
        cookie = d->run.cpu_cookie ? g_strdup_printf("<cookie>%s</cookie>", d->run.cpu_cookie) : NULL;
        fd = save_image_create(path, xml, was_running, cookie, flags & DOMAIN_SAVE_BYPASS_CACHE, &partial, error);
        if (fd < 0)
                return false;

        job = g_new0(DomainSaveJob, 1);
        job->fd = fd;
        job->qemu_fd = -1;
        job->path = g_steal_pointer(&path);
        job->partial = g_steal_pointer(&partial);
        job->managed = !file;
        if (flags & DOMAIN_SAVE_BYPASS_CACHE) {
                int p[2];
                r = 0;
                if (pipe2(p, O_CLOEXEC) < 0 ||
                    (r = direct_copy_to_file(m->event, p[0], fd, on_copied, d, &job->copy)) < 0) {
                        if (r >= 0)
                                r = -errno;
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                    "cannot bypass cache for '%s': %s", job->path, g_strerror(-r));
                        if (job->partial)
                                (void) unlink(job->partial);
                        save_job_free(job);
                        return false;
                }
                job->qemu_fd = p[1];
        } else
                job->qemu_fd = dup(fd);

        /* a daemon killed from here on leaves this in the status file: re-attach resumes
         * the guest and removes the partial image (issue 10) */
        recorded = g_new0(DomainStatusJob, 1);
        recorded->kind = g_strdup("save");
        recorded->was_running = d->state == DOMAIN_RUNNING;
        recorded->target = g_strdup(job->path);
        recorded->partial = g_strdup(job->partial);
        if (!domain_lifecycle_record_job(d, recorded)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "cannot save domain '%s': its status file cannot be written", domain_name(d));
                if (job->partial)
                        (void) unlink(job->partial);
                save_job_free(job);
                g_clear_pointer(&d->run.recorded_job, domain_status_job_free);
                return false;
        }
        d->run.save = job;
        d->run.job = DOMAIN_JOB_SAVE;
        d->run.call = call;
        d->run.job_processed = d->run.job_total = 0;
        if (d->state == DOMAIN_RUNNING)
                qemu_monitor_stop(d->run.qmp, on_save_paused, d);
        else
                begin_migrate(d);   /* C9: a paused domain is saved as it is, no event */
        return true;
}

/* --- starting from a managed save image --- */

static bool owner_matches(const Domain *d, const DomainDef *image, GError **error) {
        if (g_str_equal(domain_def_get_name(image), domain_name(d)) &&
            g_str_equal(domain_def_get_uuid(image), d->uuid))
                return true;
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                    "managed save image belongs to domain '%s' (%s), not to domain '%s' (%s)",
                    domain_def_get_name(image), domain_def_get_uuid(image), domain_name(d), d->uuid);
        return false;
}

bool domain_managed_save_open(Domain *d, unsigned flags, DomainRestore **ret_restore, DomainDef **ret_live,
                              GError **error) {
        Manager *m = d->manager;
        g_autofree char *path = domain_managed_save_file(m, domain_name(d));
        g_autoptr(SaveImage) img = NULL;
        g_autoptr(DomainDef) def = NULL;
        g_autoptr(GError) local = NULL;
        DomainRestore *restore;
        SaveImageStatus status;

        *ret_restore = NULL;
        *ret_live = NULL;
        if (access(path, F_OK) < 0)
                return true;
        img = save_image_open(path, flags & DOMAIN_START_BYPASS_CACHE, &status, &local);
        if (!img) {
                if (status == SAVE_IMAGE_PARTIAL || status == SAVE_IMAGE_TOO_SHORT) {
                        /* C23: a save that never finished holds nothing to resume */
                        log_info("discarding incomplete managed save image %s: %s", path, local->message);
                        (void) unlink(path);
                        manager_notify_domain_changed(m, d, DOMAIN_CHANGED_MANAGED_SAVE);
                        return true;
                }
                g_propagate_error(error, g_steal_pointer(&local));
                return false;
        }
        def = parse_image_xml(m, img->domain_xml, error);
        if (!def || !owner_matches(d, def, error))
                return false;
        restore = g_new0(DomainRestore, 1);
        restore->run = img->was_running && !(flags & DOMAIN_START_PAUSED);
        restore->start_paused = flags & DOMAIN_START_PAUSED;
        restore->cpu_cookie = g_strdup(img->cookie);
        restore->image = g_steal_pointer(&img);
        restore->remove_on_success = g_steal_pointer(&path);
        restore->bypass_cache = flags & DOMAIN_START_BYPASS_CACHE;
        *ret_restore = restore;
        *ret_live = g_steal_pointer(&def);
        return true;
}

/* --- DomainRestore --- */

bool manager_restore(Manager *m, const char *file, const char *dxml, unsigned flags, DomainCall *call,
                     Domain **ret_domain, GError **error) {
        g_autoptr(SaveImage) img = NULL;
        g_autoptr(DomainDef) def = NULL;
        DomainRestore *restore;
        bool is_new = false;
        Domain *d;

        img = save_image_open(file, flags & DOMAIN_SAVE_BYPASS_CACHE, NULL, error);
        if (!img)
                return false;
        def = parse_image_xml(m, img->domain_xml, error);
        if (!def)
                return false;
        if (dxml && *dxml) {
                DomainDef *replacement = parse_replacement(m, def, dxml, error);
                if (!replacement)
                        return false;
                domain_def_free(def);
                def = replacement;
        }
        d = manager_prepare_create(m, def, &is_new, error);
        if (!d)
                return false;
        restore = g_new0(DomainRestore, 1);
        restore->run = (flags & DOMAIN_SAVE_RUNNING) ? true : (flags & DOMAIN_SAVE_PAUSED) ? false : img->was_running;
        restore->cpu_cookie = g_strdup(img->cookie);
        restore->image = g_steal_pointer(&img);
        restore->bypass_cache = flags & DOMAIN_SAVE_BYPASS_CACHE;
        if (!domain_start_restore(d, g_steal_pointer(&def), restore, call, error)) {
                if (is_new) {
                        /* C31: a new transient domain goes away again */
                        manager_notify_domain_removed(m, d);
                        manager_remove_domain(m, d);
                }
                return false;
        }
        *ret_domain = d;
        return true;
}

/* --- inspecting and editing images --- */

char *save_image_get_xml(const char *file, bool secure, GError **error) {
        g_autoptr(SaveImage) img = save_image_open(file, false, NULL, error);
        g_autoptr(DomainDef) def = NULL;

        if (!img)
                return NULL;
        if (secure)
                return g_strdup(img->domain_xml);
        /* the stored XML carries secrets; without XML_SECURE they are left out */
        def = domain_def_parse_string(img->domain_xml, 0, error);
        if (!def)
                return NULL;
        return domain_def_format(def, DOMAIN_DEF_FORMAT_INACTIVE | DOMAIN_DEF_FORMAT_MIGRATABLE);
}

bool save_image_define_xml(Manager *m, const char *file, const char *dxml, unsigned flags, GError **error) {
        g_autoptr(SaveImage) img = save_image_open(file, false, NULL, error);
        g_autoptr(DomainDef) original = NULL, replacement = NULL;
        g_autofree char *xml = NULL;
        bool running;

        if (!img)
                return false;
        running = (flags & DOMAIN_SAVE_RUNNING) ? true : (flags & DOMAIN_SAVE_PAUSED) ? false : img->was_running;
        if (g_str_equal(dxml, img->domain_xml) && running == img->was_running)
                return true;   /* C34: nothing to write */
        original = parse_image_xml(m, img->domain_xml, error);
        if (!original)
                return false;
        replacement = parse_replacement(m, original, dxml, error);
        if (!replacement)
                return false;
        xml = format_for_image(replacement);
        return save_image_rewrite(img, xml, running, error);
}

static bool require_managed_image(Domain *d, char **ret_path, GError **error) {
        g_autofree char *path = domain_managed_save_file(d->manager, domain_name(d));

        if (access(path, F_OK) < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "domain '%s' has no managed save image", domain_name(d));
                return false;
        }
        *ret_path = g_steal_pointer(&path);
        return true;
}

bool domain_managed_save_remove(Domain *d, GError **error) {
        g_autofree char *path = domain_managed_save_file(d->manager, domain_name(d));

        if (unlink(path) < 0) {
                vmmd_error_set_errno(error, -errno, "cannot remove managed save image '%s'", path);
                return false;
        }
        manager_notify_domain_changed(d->manager, d, DOMAIN_CHANGED_MANAGED_SAVE);
        return true;
}

char *domain_managed_save_get_xml(Domain *d, bool secure, GError **error) {
        g_autofree char *path = NULL;

        if (!require_managed_image(d, &path, error))
                return NULL;
        return save_image_get_xml(path, secure, error);
}

bool domain_managed_save_define_xml(Domain *d, const char *dxml, unsigned flags, GError **error) {
        g_autofree char *path = NULL;

        if (!require_managed_image(d, &path, error))
                return false;
        return save_image_define_xml(d->manager, path, dxml, flags, error);
}

/* QEMU went away in the middle of a save: the partial image goes (one written in place on
 * a block device keeps its partial magic, which readers refuse) and the caller gets an error. */
void domain_save_abandon(Domain *d) {
        save_cleanup(d, true);
}

/* --- a save the daemon died in (issue 10) --- */

void domain_save_discard_partial(const DomainStatusJob *job) {
        g_autofree char *base = NULL;

        if (!job->partial)
                return;
        base = g_path_get_basename(job->partial);
        /* the status file could have been edited: remove nothing but our own pattern */
        if (!save_image_is_partial_name(base)) {
                log_warning("not removing '%s': not a partial save image name", job->partial);
                return;
        }
        if (unlink(job->partial) == 0)
                log_info("removed the partial save image %s of an interrupted save", job->partial);
        else if (errno != ENOENT)
                log_warning("cannot remove the partial save image %s: %s", job->partial, g_strerror(errno));
}

static void recover_done(Domain *d) {
        log_info("domain '%s': the interrupted save is undone", domain_name(d));
        d->run.job = DOMAIN_JOB_NONE;
        domain_lifecycle_record_job(d, NULL);
}

static void on_recover_resumed(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        if (ret) {
                if (d->state != DOMAIN_RUNNING) {
                        domain_lifecycle_set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_SAVE_CANCELED);
                        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
                }
        } else {
                log_warning("domain '%s': cannot resume after the interrupted save: %s", domain_name(d), error);
                domain_lifecycle_set_state(d, DOMAIN_PAUSED, DOMAIN_PAUSED_API_ERROR);
                manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_API_ERROR);
        }
        recover_done(d);
}

static void recover_finish(Domain *d) {
        g_clear_pointer(&d->run.job_timer, sd_event_source_disable_unref);
        /* the fd of a migrate that never started would stay in QEMU */
        qemu_monitor_closefd(d->run.qmp, "vmmd-save", NULL, NULL);
        domain_save_discard_partial(d->run.recorded_job);
        if (d->run.recorded_job->was_running)
                qemu_monitor_cont(d->run.qmp, on_recover_resumed, d);
        else
                recover_done(d);
}

static void on_recover_query(Qmp *q, const QemuMonitorMigration *mig, const char *error, void *userdata) {
        Domain *d = userdata;
        const char *status = mig ? mig->status : "";

        if (!d->run.recorded_job)
                return;
        if (g_str_equal(status, "setup") || g_str_equal(status, "active") || g_str_equal(status, "cancelling") ||
            g_str_equal(status, "pre-switchover") || g_str_equal(status, "device") ||
            g_str_equal(status, "wait-unplug")) {
                (void) sd_event_source_set_enabled(d->run.job_timer, SD_EVENT_ONESHOT);
                return;
        }
        recover_finish(d);
}

static int on_recover_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Domain *d = userdata;

        (void) sd_event_source_set_time_relative(s, MIGRATE_POLL_USEC);
        qemu_monitor_query_migrate(d->run.qmp, on_recover_query, d);
        return 0;
}

static void on_recover_cancelled(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        if (!d->run.recorded_job)
                return;
        /* migrate_cancel returns at once; the migration ends a little later */
        (void) sd_event_add_time_relative(d->manager->event, &d->run.job_timer, CLOCK_MONOTONIC,
                                          0, 0, on_recover_poll, d);
}

/* The image was complete when the daemon died: put it in place if the rename had not
 * happened yet, and end QEMU as the save would have (SHUTOFF/SAVED). */
static void recover_complete(Domain *d) {
        DomainStatusJob *job = d->run.recorded_job;
        g_autofree char *base = job->partial ? g_path_get_basename(job->partial) : NULL;

        log_info("domain '%s': the interrupted save to %s had completed; finishing it", domain_name(d), job->target);
        if (base && save_image_is_partial_name(base) && access(job->partial, F_OK) == 0 &&
            rename(job->partial, job->target) < 0)
                log_warning("cannot rename %s to %s: %s", job->partial, job->target, g_strerror(errno));
        if (g_str_has_prefix(job->target, d->manager->save_dir))
                manager_notify_domain_changed(d->manager, d, DOMAIN_CHANGED_MANAGED_SAVE);
        domain_lifecycle_kill(d, DOMAIN_SHUTOFF_SAVED, 4 /* STOPPED/SAVED */);
}

void domain_save_recover(Domain *d) {
        if (d->run.recorded_job->complete && d->run.recorded_job->target)
                return recover_complete(d);
        log_info("domain '%s': a save to %s was interrupted by the daemon's exit; undoing it", domain_name(d),
                 d->run.recorded_job->target ? d->run.recorded_job->target : "?");
        d->run.job = DOMAIN_JOB_SAVE;
        qemu_monitor_migrate_cancel(d->run.qmp, on_recover_cancelled, d);
}
