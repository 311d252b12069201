/* Creating a snapshot (spec domains.md D7–D23): checks, the disk plan, offline snapshots, redefine. */
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

/* D7, D8 */
static bool check_create_flags(Domain *d, unsigned flags, GError **error) {
        if ((flags & SNAPSHOT_CREATE_CURRENT) && !(flags & SNAPSHOT_CREATE_REDEFINE))
                return snapshot_fail(error, VMMD_ERROR_INVALID_ARG, "flag CURRENT requires REDEFINE");
        if ((flags & SNAPSHOT_CREATE_REDEFINE) && (flags & SNAPSHOT_CREATE_NO_METADATA))
                return snapshot_fail(error, VMMD_ERROR_INVALID_ARG, "flags REDEFINE and NO_METADATA exclude each other");
        if ((flags & SNAPSHOT_CREATE_REDEFINE) && (flags & SNAPSHOT_CREATE_HALT))
                return snapshot_fail(error, VMMD_ERROR_INVALID_ARG, "flags REDEFINE and HALT exclude each other");
        if ((flags & SNAPSHOT_CREATE_QUIESCE) && !(flags & SNAPSHOT_CREATE_DISK_ONLY))
                return snapshot_fail(error, VMMD_ERROR_INVALID_ARG, "flag QUIESCE requires DISK_ONLY");
        if ((flags & SNAPSHOT_CREATE_LIVE) && (flags & SNAPSHOT_CREATE_REDEFINE))
                return snapshot_fail(error, VMMD_ERROR_INVALID_ARG, "flags LIVE and REDEFINE exclude each other");
        if ((flags & SNAPSHOT_CREATE_HALT) && !d->persistent)
                return snapshot_fail(error, VMMD_ERROR_OPERATION_INVALID, "cannot halt after snapshot of transient domain '%s'",
                                     domain_name(d));
        if (d->state == DOMAIN_PMSUSPENDED)
                return snapshot_fail(error, VMMD_ERROR_OPERATION_UNSUPPORTED, "domain '%s' is pmsuspended", domain_name(d));
        return true;
}

static const char *state_name(DomainState state) {
        static const char *const names[] = { "nostate", "running", "blocked", "paused", "shutdown", "shutoff",
                                             "crashed", "pmsuspended" };
        return state < G_N_ELEMENTS(names) ? names[state] : "nostate";
}

/* D27–D30 */
static bool redefine(Domain *d, SnapshotDef *def_in, unsigned flags, GError **error) {
        g_autoptr(SnapshotDef) def = def_in;
        Snapshot *old = domain_snapshot_find(d, def->name);
        bool online = g_str_equal(def->state, "running") || g_str_equal(def->state, "paused");

        if (def->domain && !g_str_equal(domain_def_get_uuid(def->domain), d->uuid))
                return snapshot_fail(error, VMMD_ERROR_INVALID_ARG, "snapshot '%s' is of domain %s, not of '%s'", def->name,
                                     domain_def_get_uuid(def->domain), domain_name(d));
        if (def->parent) {
                Snapshot *p = domain_snapshot_find(d, def->parent);
                if (!p)
                        return snapshot_fail(error, VMMD_ERROR_INVALID_ARG, "parent '%s' of snapshot '%s' does not exist",
                                             def->parent, def->name);
                for (; p; p = snapshot_parent(p))
                        if (g_str_equal(p->def->name, def->name))
                                return snapshot_fail(error, VMMD_ERROR_INVALID_ARG,
                                                     "snapshot '%s' would be its own ancestor through parent '%s'", def->name,
                                                     def->parent);
        }
        if ((flags & SNAPSHOT_CREATE_DISK_ONLY) && !g_str_equal(def->state, "disk-snapshot"))
                return snapshot_fail(error, VMMD_ERROR_INVALID_ARG, "disk-only redefine needs state disk-snapshot, not '%s'",
                                     def->state);
        if (old) {
                bool old_online = g_str_equal(old->def->state, "running") || g_str_equal(old->def->state, "paused");
                bool disk_only = g_str_equal(def->state, "disk-snapshot");
                if (online != old_online || disk_only != g_str_equal(old->def->state, "disk-snapshot"))
                        return snapshot_fail(error, VMMD_ERROR_INVALID_ARG,
                                             "cannot change snapshot '%s' between online and offline or disk-only and full",
                                             def->name);
                if (def->domain && old->def->domain &&
                    !domain_def_check_abi_stability_filled(old->def->domain, def->domain, error))
                        return false;
                if (!def->domain && old->def->domain)
                        def->domain = domain_def_copy(old->def->domain);
                /* the table's key is the definition's own name: take it out before freeing it */
                g_hash_table_steal(d->snapshots, old->def->name);
                snapshot_def_free(old->def);
                old->def = g_steal_pointer(&def);
                g_hash_table_insert(d->snapshots, old->def->name, old);
                if (!snapshot_write(old, error))
                        return false;
                if (flags & SNAPSHOT_CREATE_CURRENT)
                        snapshot_set_current(d, old);
                return true;
        }
        return snapshot_record(d, g_steal_pointer(&def), flags & SNAPSHOT_CREATE_CURRENT, error) != NULL;
}

/* D9–D13: completes the disk list and decides internal or external */
static bool plan_disks(Domain *d, SnapshotDef *def, const DomainDef *dom, unsigned flags, bool *ret_external,
                       GError **error) {
        bool active = domain_is_active(d);
        bool external = (flags & SNAPSHOT_CREATE_DISK_ONLY) || def->memory == SNAPSHOT_LOCATION_EXTERNAL;
        bool any_internal = false, any_external = false;
        g_autoptr(GHashTable) overlays = g_hash_table_new(g_str_hash, g_str_equal);

        if (!active)
                for (guint i = 0; i < def->disks->len; i++) {
                        SnapshotDiskDef *dd = g_ptr_array_index(def->disks, i);
                        if (dd->snapshot == SNAPSHOT_LOCATION_EXTERNAL)
                                external = true;
                }
        for (guint i = 0; i < domain_list_len(dom->disks); i++) {
                DomainDiskDef *disk = domain_list_at(dom->disks, i);
                SnapshotDiskDef *dd = snapshot_find_disk(def, disk);

                if (!dd) {
                        dd = snapshot_disk_def_new();
                        dd->name = g_strdup(disk->target_dev);
                        dd->snapshot = !snapshot_disk_has_data(disk) ? SNAPSHOT_LOCATION_NO :
                                       external ? SNAPSHOT_LOCATION_EXTERNAL : SNAPSHOT_LOCATION_INTERNAL;
                        g_ptr_array_add(def->disks, dd);
                } else {
                        g_free(dd->name);
                        dd->name = g_strdup(disk->target_dev);
                        if (dd->snapshot == SNAPSHOT_LOCATION_DEFAULT)
                                dd->snapshot = external ? SNAPSHOT_LOCATION_EXTERNAL : SNAPSHOT_LOCATION_INTERNAL;
                }
                if (dd->snapshot == SNAPSHOT_LOCATION_INTERNAL) {
                        any_internal = true;
                        if (g_strcmp0(disk->driver_type, "qcow2") != 0)
                                return snapshot_fail(error, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                                     "internal snapshot of disk '%s' needs qcow2, not '%s'", disk->target_dev,
                                                     disk->driver_type ? disk->driver_type : "raw");
                        if (active && (flags & SNAPSHOT_CREATE_DISK_ONLY))
                                return snapshot_fail(error, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                                     "disk-only snapshot of a running domain needs external disk '%s'",
                                                     disk->target_dev);
                } else if (dd->snapshot == SNAPSHOT_LOCATION_EXTERNAL) {
                        any_external = true;
                        if (!disk->src_path || disk->type != DOMAIN_DISK_TYPE_FILE)
                                return snapshot_fail(error, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                                     "external snapshot of disk '%s' needs a local file", disk->target_dev);
                        if (!dd->source_file)
                                dd->source_file = snapshot_overlay_name(disk->src_path, def->name);
                        if (!dd->driver_type)
                                dd->driver_type = g_strdup("qcow2");
                        if (!g_str_equal(dd->driver_type, "qcow2"))
                                return snapshot_fail(error, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                                     "external snapshot overlay format '%s' is not supported (qcow2 only)",
                                                     dd->driver_type);
                        if (g_hash_table_contains(overlays, dd->source_file))
                                return snapshot_fail(error, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                                     "two disks would share the overlay '%s'", dd->source_file);
                        g_hash_table_add(overlays, dd->source_file);
                } else if (snapshot_disk_has_data(disk) && !external) {
                        return snapshot_fail(error, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                             "internal snapshots need all disks: writable disk '%s' is excluded",
                                             disk->target_dev);
                }
        }
        if (any_internal && any_external)
                return snapshot_fail(error, VMMD_ERROR_CONFIG_UNSUPPORTED, "mixing internal and external snapshots is not supported");
        if ((flags & SNAPSHOT_CREATE_DISK_ONLY) && !any_external)
                return snapshot_fail(error, VMMD_ERROR_CONFIG_UNSUPPORTED, "disk-only snapshot needs an external disk");
        if (!any_internal && !any_external && def->memory == SNAPSHOT_LOCATION_NO)
                return snapshot_fail(error, VMMD_ERROR_CONFIG_UNSUPPORTED, "nothing selected for the snapshot");
        /* D13 */
        for (guint i = 0; i < def->disks->len; i++) {
                SnapshotDiskDef *dd = g_ptr_array_index(def->disks, i);
                struct stat st;

                if (dd->snapshot != SNAPSHOT_LOCATION_EXTERNAL || !dd->source_file)
                        continue;
                if (flags & SNAPSHOT_CREATE_REUSE_EXT) {
                        if (stat(dd->source_file, &st) < 0)
                                return snapshot_fail(error, VMMD_ERROR_SYSTEM_ERROR, "external overlay '%s' is missing",
                                                     dd->source_file);
                } else if (stat(dd->source_file, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
                        return snapshot_fail(error, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                             "external overlay '%s' already exists; use REUSE_EXT", dd->source_file);
                }
        }
        *ret_external = external;
        return true;
}

/* --- inactive domains (D15, D17): qemu-img on the event loop --- */

typedef struct OfflineJob {
        DomainCall *outer;
        SnapshotDef *def;          /* taken by the record */
        char *name;
        unsigned flags;
        bool external;
        DomainDef *newdef;         /* external: the persistent definition on the overlays */
        GPtrArray *images;         /* internal: the images qemu-img snapshot -c runs on, in order */
        GError *error;             /* what the caller hears once an undo is over */
} OfflineJob;

static void offline_job_free(OfflineJob *job) {
        snapshot_def_free(job->def);
        g_free(job->name);
        domain_def_free(job->newdef);
        g_ptr_array_unref(job->images);
        g_clear_error(&job->error);
        g_free(job);
}

static void offline_reply(OfflineJob *job, const GError *error) {
        DomainCall *outer = job->outer;

        offline_job_free(job);
        if (outer)
                outer->done(outer, error);
}

static void on_undone(Domain *d, GError *ignored, guint n_done, void *userdata) {
        OfflineJob *job = userdata;
        g_autoptr(GError) error = g_steal_pointer(&job->error);

        d->run.job = DOMAIN_JOB_NONE;
        offline_reply(job, error);
}

/* Takes the snapshot out of the first n images again (failures only logged), then answers
 * with error (taken): a create that failed half way (a disk, or the metadata on a full
 * disk) must not leave it in images where nothing refers to it, and the caller hears back
 * once it is gone. */
static void undo_then_reply(Domain *d, OfflineJob *job, guint n, GError *error) {
        SnapshotImgRun *r = snapshot_img_run_new(d, true);

        job->error = error;
        for (guint i = 0; i < n && i < job->images->len; i++) {
                const char *argv[] = { "qemu-img", "snapshot", "-d", job->name, g_ptr_array_index(job->images, i),
                                       NULL };
                snapshot_img_run_add(r, argv);
        }
        d->run.job = DOMAIN_JOB_SNAPSHOT;
        snapshot_img_run_start(r, on_undone, job);
}

/* The images hold the snapshot (or the overlays exist): the definition and the metadata follow. */
static bool offline_commit(Domain *d, OfflineJob *job, GError **error) {
        if (job->external) {
                /* D17: the persistent definition points at the overlays */
                if (!domain_save_config(d->manager, job->newdef, error))
                        return false;
                domain_def_free(d->def);
                d->def = g_steal_pointer(&job->newdef);
        }
        return (job->flags & SNAPSHOT_CREATE_NO_METADATA) ||
               snapshot_record(d, g_steal_pointer(&job->def), true, error);
}

static void on_offline_images(Domain *d, GError *error, guint n_done, void *userdata) {
        OfflineJob *job = userdata;
        g_autoptr(GError) local = NULL;

        d->run.job = DOMAIN_JOB_NONE;
        if (error && !job->external && n_done > 0)
                return undo_then_reply(d, job, n_done, g_error_copy(error));
        if (error)
                return offline_reply(job, error);
        if (!offline_commit(d, job, &local)) {
                /* no metadata (a full disk): the images must not keep what nothing describes */
                if (!job->external)
                        return undo_then_reply(d, job, job->images->len, g_steal_pointer(&local));
                return offline_reply(job, local);
        }
        offline_reply(job, NULL);
}

/* D15: qemu-img snapshot -c on every qcow2 disk; D17: overlays backed by the current images
 * (qemu-img create), unless REUSE_EXT. The domain is busy until they are done. */
static bool create_offline(Domain *d, SnapshotDef *def, unsigned flags, bool external, DomainCall *call,
                           bool *ret_pending, GError **error) {
        OfflineJob *job = g_new0(OfflineJob, 1);
        SnapshotImgRun *r = snapshot_img_run_new(d, false);

        job->outer = call;
        job->def = def;
        job->name = g_strdup(def->name);
        job->flags = flags;
        job->external = external;
        job->images = g_ptr_array_new_with_free_func(g_free);
        if (external)
                job->newdef = domain_def_copy(d->def);
        for (guint i = 0; i < domain_list_len(d->def->disks); i++) {
                DomainDiskDef *disk = domain_list_at(external ? job->newdef->disks : d->def->disks, i);
                SnapshotDiskDef *dd = snapshot_find_disk(def, disk);

                if (!external) {
                        const char *argv[] = { "qemu-img", "snapshot", "-c", def->name, disk->src_path, NULL };
                        if (!snapshot_disk_has_data(disk))
                                continue;
                        snapshot_img_run_add(r, argv);
                        g_ptr_array_add(job->images, g_strdup(disk->src_path));
                        continue;
                }
                if (!dd || dd->snapshot != SNAPSHOT_LOCATION_EXTERNAL)
                        continue;
                if (!(flags & SNAPSHOT_CREATE_REUSE_EXT)) {
                        const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-b", disk->src_path, "-F",
                                               disk->driver_type ? disk->driver_type : "raw", dd->source_file, NULL };
                        snapshot_img_run_add(r, argv);
                }
                g_free(disk->src_path);
                disk->src_path = g_strdup(dd->source_file);
                g_free(disk->driver_type);
                disk->driver_type = g_strdup("qcow2");
        }
        if (snapshot_img_run_length(r) == 0) {
                /* nothing to wait for: the caller answers now */
                bool ok = offline_commit(d, job, error);
                snapshot_img_run_cancel(r);
                offline_job_free(job);
                *ret_pending = false;
                return ok;
        }
        *ret_pending = true;
        d->run.job = DOMAIN_JOB_SNAPSHOT;
        snapshot_img_run_start(r, on_offline_images, job);
        return true;
}

bool domain_snapshot_create(Domain *d, const char *xml, unsigned flags, DomainCall *call, char **ret_name,
                            bool *ret_pending, GError **error) {
        g_autoptr(SnapshotDef) def = NULL;
        unsigned pflags = 0;
        bool active = domain_is_active(d), external = false;
        const DomainDef *dom;
        Snapshot *s = NULL;

        if (!check_create_flags(d, flags, error))
                return false;
        if (flags & SNAPSHOT_CREATE_REDEFINE)
                pflags |= SNAPSHOT_PARSE_REDEFINE;
        if (flags & SNAPSHOT_CREATE_VALIDATE)
                pflags |= SNAPSHOT_PARSE_VALIDATE;
        def = snapshot_def_parse_string(xml, pflags, error);
        if (!def)
                return false;
        *ret_name = g_strdup(def->name);
        if (flags & SNAPSHOT_CREATE_REDEFINE) {
                *ret_pending = false;
                return redefine(d, g_steal_pointer(&def), flags, error);
        }
        if (domain_snapshot_find(d, def->name))
                return snapshot_fail(error, VMMD_ERROR_OPERATION_FAILED, "snapshot '%s' of domain '%s' already exists",
                                     def->name, domain_name(d));
        if (flags & SNAPSHOT_CREATE_LIVE)
                return snapshot_fail(error, VMMD_ERROR_OPERATION_UNSUPPORTED,
                                     "live snapshots need external memory snapshots, which are not supported yet");
        if (def->memory == SNAPSHOT_LOCATION_EXTERNAL)
                return snapshot_fail(error, VMMD_ERROR_OPERATION_UNSUPPORTED, "external memory snapshots are not supported yet");
        /* D5 for what needs the domain's state */
        if (def->memory == SNAPSHOT_LOCATION_INTERNAL && (!active || (flags & SNAPSHOT_CREATE_DISK_ONLY)))
                return snapshot_fail(error, VMMD_ERROR_XML_ERROR, "memory state cannot be saved with an %s snapshot",
                                     active ? "disk-only" : "offline");
        if (flags & SNAPSHOT_CREATE_QUIESCE) {
                g_autofree char *x = domain_def_format(d->def, 0);
                return snapshot_fail(error, strstr(x, "org.qemu.guest_agent.0") ? VMMD_ERROR_AGENT_UNRESPONSIVE
                                                                     : VMMD_ERROR_ARGUMENT_UNSUPPORTED,
                                     "QUIESCE needs the QEMU guest agent, which is %s for domain '%s'",
                                     strstr(x, "org.qemu.guest_agent.0") ? "not connected" : "not configured", domain_name(d));
        }
        if (d->run.job != DOMAIN_JOB_NONE || d->run.call)
                return snapshot_fail(error, VMMD_ERROR_OPERATION_INVALID, "domain '%s' is busy with another operation",
                                     domain_name(d));

        dom = d->def;
        /* D9: an inactive domain has no memory to save */
        if (!active && def->memory == SNAPSHOT_LOCATION_DEFAULT)
                def->memory = SNAPSHOT_LOCATION_NO;
        if (!plan_disks(d, def, dom, flags, &external, error))
                return false;
        if (active && !external && def->memory == SNAPSHOT_LOCATION_NO)
                return snapshot_fail(error, VMMD_ERROR_OPERATION_UNSUPPORTED,
                                     "internal snapshot of a running domain needs its memory state");

        /* D6: what the snapshot records */
        g_free(def->state);
        def->state = g_strdup(external && active ? "disk-snapshot" : state_name(d->state));
        def->memory = active && !external ? SNAPSHOT_LOCATION_INTERNAL : SNAPSHOT_LOCATION_NO;
        def->domain = domain_def_copy(d->def);
        domain_def_set_id(def->domain, -1);
        if (active && d->persistent)
                def->inactive_domain = domain_def_copy(domain_persistent_def(d));
        if (d->current_snapshot)
                def->parent = g_strdup(d->current_snapshot->def->name);
        /* D16: the guest CPU goes with the VM state, for a revert to give the same */
        if (active && !external) {
                g_free(def->cookie);
                def->cookie = g_strdup(d->run.cpu_cookie);
        }

        if (!active)
                return create_offline(d, g_steal_pointer(&def), flags, external, call, ret_pending, error);

        if (external) {
                *ret_pending = true;
                return snapshot_create_running_external(d, g_steal_pointer(&def), flags, call);
        }

        /* a daemon killed from here on leaves this in the status file: re-attach dismisses
         * QEMU's job, settles the metadata and resumes the guest (issue 10) */
        {
                DomainStatusJob *recorded = g_new0(DomainStatusJob, 1);

                recorded->kind = g_strdup("snapshot");
                recorded->was_running = d->state == DOMAIN_RUNNING && !(flags & SNAPSHOT_CREATE_HALT);
                recorded->snapshot = g_strdup(def->name);
                recorded->parent = g_strdup(def->parent);
                recorded->qemu_job = g_strdup_printf("vmmd-snapshot-%s", d->uuid);
                if (!domain_lifecycle_record_job(d, recorded)) {
                        g_clear_pointer(&d->run.recorded_job, domain_status_job_free);
                        return snapshot_fail(error, VMMD_ERROR_OPERATION_FAILED,
                                             "cannot snapshot domain '%s': its status file cannot be written", domain_name(d));
                }
        }

        /* D16: a running (or paused) domain: HMP savevm between stop and cont */
        if (!(flags & SNAPSHOT_CREATE_NO_METADATA)) {
                s = snapshot_record(d, g_steal_pointer(&def), true, error);
                if (!s) {
                        snapshot_forget_recorded_job(d);
                        return false;
                }
        }
        *ret_pending = true;
        return snapshot_create_running_internal(d, s, *ret_name, flags, call);
}
