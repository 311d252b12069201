/* Domain start: volumes, passphrases, ports, taps and filter bindings, then QEMU; a restore's incoming migration. */
#include "domain-start.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include "cpu-cookie.h"
#include "daemon.h"
#include "direct-copy.h"
#include "disk-secrets.h"
#include "domain-lifecycle.h"
#include "domain-net.h"
#include "domain-resources.h"
#include "error.h"
#include "fileio.h"
#include "log.h"
#include "manager.h"
#include "network-client.h"
#include "nwfilter-client.h"
#include "qemu-command.h"
#include "qemu-monitor.h"
#include "qemu-process.h"
#include "save-image.h"
#include "storage-client.h"

static const char *seclabel_model_available(const char *model) {
        if (g_str_equal(model, "none") || g_str_equal(model, "dac"))
                return model;
        if (g_str_equal(model, "selinux") && access("/sys/fs/selinux/enforce", F_OK) == 0)
                return model;
        if (g_str_equal(model, "apparmor") && access("/sys/kernel/security/apparmor", F_OK) == 0)
                return model;
        return NULL;
}

/* The guest runs: QEMU sent RESUME for the start's cont (which cannot fail once it has: vm_start is
 * the last step of QEMU's cont) or answered it. RESUME comes first, often by milliseconds, since
 * QEMU answers only after the vCPU threads started and compete for the CPUs. */
void domain_start_cont_done(Domain *d) {
        if (!d->run.start_cont)
                return;
        d->run.start_cont = false;
        d->run.job = DOMAIN_JOB_NONE;
        /* F5: the CPUs start (RESUMED/UNPAUSED), then STARTED/BOOTED */
        domain_lifecycle_set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_BOOTED);
        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_STARTED, DOMAIN_EVENT_STARTED_BOOTED);
        domain_lifecycle_complete(d, NULL);
}

static void on_start_cont(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        if (!d->run.start_cont)
                return;   /* the RESUME event ended the start */
        if (!ret) {
                d->run.start_cont = false;
                log_warning("cannot start CPUs of domain '%s': %s", domain_name(d), error);
                domain_lifecycle_kill(d, DOMAIN_SHUTOFF_FAILED, DOMAIN_EVENT_STOPPED_FAILED);
                d->run.job = DOMAIN_JOB_START;   /* on exit: report the start failure */
                return;
        }
        domain_start_cont_done(d);
}

static void on_start_paused(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        if (!ret) {
                domain_lifecycle_kill(d, DOMAIN_SHUTOFF_FAILED, DOMAIN_EVENT_STOPPED_FAILED);
                d->run.job = DOMAIN_JOB_START;
                return;
        }
        d->run.job = DOMAIN_JOB_NONE;
        domain_lifecycle_set_state(d, DOMAIN_PAUSED, DOMAIN_PAUSED_USER);
        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_STARTED, DOMAIN_EVENT_STARTED_BOOTED);
        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_PAUSED);
        domain_lifecycle_complete(d, NULL);
}

static void on_set_action(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        /* a QEMU that went away meanwhile is dealt with by its exit handler */
        if (!ret && d->run.qmp && qmp_is_ready(d->run.qmp))
                log_warning("setting up domain '%s' after start failed: %s", domain_name(d), error);
}

int domain_next_id(Manager *m) {
        GHashTableIter it;
        Domain *other;
        int id = 1;

        g_hash_table_iter_init(&it, m->domains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &other))
                if (other->id >= id)
                        id = other->id + 1;
        return id;
}

static bool start_common(Domain *d, DomainDef *live_in, unsigned flags, DomainRestore *restore_in, DomainCall *call,
                         GError **error);

bool domain_start(Domain *d, DomainDef *live, unsigned flags, DomainCall *call, GError **error) {
        return start_common(d, live, flags, NULL, call, error);
}

bool domain_start_restore(Domain *d, DomainDef *live, DomainRestore *restore, DomainCall *call, GError **error) {
        return start_common(d, live, restore->start_paused ? DOMAIN_START_PAUSED : 0, restore, call, error);
}

/* --- restoring: migrate-incoming from the image, then the events of spec C30 --- */

static void restore_failed(Domain *d, const char *why) {
        log_warning("restoring domain '%s' failed: %s", domain_name(d), why);
        domain_lifecycle_kill(d, DOMAIN_SHUTOFF_FAILED, DOMAIN_EVENT_STOPPED_FAILED);
        d->run.job = DOMAIN_JOB_START;   /* on exit: report the start failure */
}

static void on_restore_copied(DirectCopy *c, int error, void *userdata) {
        Domain *d = userdata;

        /* at the end QEMU sees the pipe close; a read error shows up as a failed migration */
        if (error < 0)
                log_warning("reading the save image of '%s' with bypass cache failed: %s", domain_name(d),
                            g_strerror(-error));
}

static void on_restore_cont(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        if (!ret)
                return restore_failed(d, error);
        d->run.job = DOMAIN_JOB_NONE;
        /* a save image: RUNNING/RESTORED; a snapshot: RUNNING/FROM_SNAPSHOT; both RESUMED/FROM_SNAPSHOT */
        domain_lifecycle_set_state(d, DOMAIN_RUNNING, d->reverting ? DOMAIN_RUNNING_FROM_SNAPSHOT : DOMAIN_RUNNING_RESTORED);
        d->reverting = false;
        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_FROM_SNAPSHOT);
        domain_lifecycle_complete(d, NULL);
}

static void restore_done(Domain *d) {
        DomainRestore *r = d->run.restore;

        g_clear_pointer(&d->run.job_timer, sd_event_source_disable_unref);
        if (r->remove_on_success) {
                if (unlink(r->remove_on_success) < 0 && errno != ENOENT)
                        log_warning("cannot remove managed save image %s: %s", r->remove_on_success, g_strerror(errno));
                manager_notify_domain_changed(d->manager, d, DOMAIN_CHANGED_MANAGED_SAVE);
        }
        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_STARTED,
                                    r->from_snapshot ? DOMAIN_EVENT_STARTED_FROM_SNAPSHOT : DOMAIN_EVENT_STARTED_RESTORED);
        if (r->run) {
                g_clear_pointer(&d->run.restore, domain_restore_free);
                qemu_monitor_cont(d->run.qmp, on_restore_cont, d);
                return;
        }
        d->run.job = DOMAIN_JOB_NONE;
        if (r->from_snapshot) {
                /* D36: PAUSED/FROM_SNAPSHOT, SUSPENDED/FROM_SNAPSHOT */
                d->reverting = false;
                domain_lifecycle_set_state(d, DOMAIN_PAUSED, DOMAIN_PAUSED_FROM_SNAPSHOT);
                manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_FROM_SNAPSHOT);
        } else {
                domain_lifecycle_set_state(d, DOMAIN_PAUSED, DOMAIN_PAUSED_MIGRATION);
                manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_SUSPENDED,
                                            r->start_paused ? DOMAIN_EVENT_SUSPENDED_PAUSED : DOMAIN_EVENT_SUSPENDED_RESTORED);
        }
        g_clear_pointer(&d->run.restore, domain_restore_free);
        domain_lifecycle_complete(d, NULL);
}

static int on_restore_poll(sd_event_source *s, uint64_t usec, void *userdata);

static void on_restore_query(Qmp *q, const QemuMonitorMigration *mig, const char *error, void *userdata) {
        Domain *d = userdata;
        const char *status;

        if (!d->run.restore)
                return;
        if (!mig)
                return restore_failed(d, error);
        status = mig->status;
        if (g_str_equal(status, "completed"))
                return restore_done(d);
        if (g_str_equal(status, "failed") || g_str_equal(status, "cancelled")) {
                g_autofree char *why = g_strdup_printf("incoming migration %s: %s", status,
                                                       mig->error_desc ? mig->error_desc : "no detail");
                return restore_failed(d, why);
        }
        (void) sd_event_source_set_enabled(d->run.job_timer, SD_EVENT_ONESHOT);
}

static int on_restore_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Domain *d = userdata;

        (void) sd_event_source_set_time_relative(s, 250 * 1000);
        qemu_monitor_query_migrate(d->run.qmp, on_restore_query, d);
        return 0;
}

void domain_restore_migration_ended(Domain *d) {
        qemu_monitor_query_migrate(d->run.qmp, on_restore_query, d);
}

static void on_restore_started(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        if (!d->run.restore)
                return;   /* the MIGRATION event came first and the restore is over */
        if (!ret)
                return restore_failed(d, error);
        /* the end comes with the MIGRATION event; this slow poll only ends a restore whose
         * event never comes */
        (void) sd_event_add_time_relative(d->manager->event, &d->run.job_timer, CLOCK_MONOTONIC,
                                          250 * 1000, 0, on_restore_poll, d);
}

static void on_restore_getfd(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        if (!ret)
                return restore_failed(d, error);
        /* in order on the monitor: the events first, so the stream's end is announced */
        qemu_monitor_migrate_events(d->run.qmp, NULL, NULL);
        qemu_monitor_migrate_incoming(d->run.qmp, "fd:vmmd-restore", on_restore_started, d);
}

typedef struct PendingStart {
        Domain *domain;
        DomainDef *live;
        unsigned flags;
        DomainRestore *restore;
        DomainCall *call;
        bool kvm;
        GArray *secret_fds;     /* the disks' passphrase pipes, once fetched (disk-secrets.h) */
} PendingStart;

static bool start_spawn(Domain *d, DomainDef *live_in, unsigned flags, DomainRestore *restore_in, DomainCall *call,
                        bool kvm, GArray *secret_fds, GError **error);
static void on_volumes_resolved(const GError *error, void *userdata);
static void on_ports_allocated(const GError *error, void *userdata);
static void on_secrets_fetched(const GError *error, GArray *fds, void *userdata);

/* The checks of a start; then, once volume disks are resolved, start_spawn. */
static bool start_common(Domain *d, DomainDef *live_in, unsigned flags, DomainRestore *restore_in, DomainCall *call,
                         GError **error) {
        Manager *m = d->manager;
        g_autoptr(DomainDef) live = live_in;
        g_autoptr(DomainRestore) restore = restore_in;
        g_autofree char *reason = NULL;
        QemuCommandOptions opts = { .monitor_fd = 3 };
        const char *const *models;

        if (d->run.job == DOMAIN_JOB_START) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "domain '%s' is being started",
                            domain_name(d));
                return false;
        }
        if (domain_is_active(d)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "domain '%s' is already running (already active)", domain_name(d));
                return false;
        }
        if (!domain_check_images_idle(d, error))
                return false;
        if (!live)
                live = domain_def_copy(d->def);
        if (g_strcmp0(domain_def_get_virt_type(live), "kvm") == 0) {
                if (!qemu_kvm_usable(&reason)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                    "domain '%s' needs the KVM accelerator, which cannot run guests here (%s); "
                                    "use <domain type='qemu'>", domain_name(d), reason);
                        return false;
                }
                opts.kvm = true;
        }
        models = domain_def_get_seclabel_models(live);
        for (; models && *models; models++)
                if (!seclabel_model_available(*models)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                    "security model '%s' is not available on this host", *models);
                        return false;
                }
        if (storage_def_has_volumes(live) || disk_secrets_needed(live) || network_def_has_networks(live)) {
                /* vmmd-storage (volumes), vmmd-secret (passphrases) and vmmd-network (ports) answer
                 * over the bus; the start goes on when they have */
                PendingStart *ps = g_new0(PendingStart, 1);

                ps->domain = d;
                ps->live = g_steal_pointer(&live);
                ps->flags = flags;
                ps->restore = g_steal_pointer(&restore);
                ps->call = call;
                ps->kvm = opts.kvm;
                d->run.job = DOMAIN_JOB_START;
                if (storage_def_has_volumes(ps->live))
                        storage_resolve_volumes_async(m->bus, ps->live, on_volumes_resolved, ps);
                else
                        on_volumes_resolved(NULL, ps);
                return true;
        }
        return start_spawn(d, g_steal_pointer(&live), flags, g_steal_pointer(&restore), call, opts.kvm, NULL, error);
}

/* A new transient domain that did not start goes away again (A28, C31). */
static void forget_if_never_started(Domain *d) {
        if (!d->persistent && !domain_is_active(d) && !d->reverting) {
                manager_notify_domain_removed(d->manager, d);
                manager_remove_domain(d->manager, d);
        }
}

/* A start that failed after its ports were made: the caller hears of it once they are deleted again. */
typedef struct {
        DomainCall *call;
        GError *error;
} FailedStart;

static void on_failed_start_released(void *userdata) {
        FailedStart *f = userdata;

        if (f->call)
                f->call->done(f->call, f->error);
        g_error_free(f->error);
        g_free(f);
}

/* Every start that fails once it went asynchronous ends here: a transient domain goes, the ports made for
 * live (if any) are deleted, then the caller hears of error. */
static void start_failed(Domain *d, DomainDef *live, DomainCall *call, const GError *error) {
        Manager *m = d->manager;   /* d may be gone after forget_if_never_started */

        forget_if_never_started(d);
        if (!call)
                log_warning("cannot start a domain: %s", error->message);
        if (live && network_def_has_networks(live)) {
                FailedStart *f = g_new0(FailedStart, 1);
                g_autofree char *dir = domain_ports_dir(m);

                f->call = call;
                f->error = g_error_copy(error);
                network_ports_release_async(m->bus, dir, live, on_failed_start_released, f);
        } else if (call)
                call->done(call, error);
}

static void pending_start_finish(PendingStart *ps, const GError *error) {
        Domain *d = ps->domain;
        g_autoptr(GError) local = NULL;
        g_autoptr(DomainDef) ports = NULL;   /* what to give back when the spawn fails */
        DomainCall *call = ps->call;
        bool ok;

        d->run.job = DOMAIN_JOB_NONE;
        if (error)
                ok = false;
        else {
                if (network_def_has_networks(ps->live))
                        ports = domain_def_copy(ps->live);
                ok = start_spawn(d, g_steal_pointer(&ps->live), ps->flags, g_steal_pointer(&ps->restore), call, ps->kvm,
                                 ps->secret_fds, &local);
        }
        disk_secrets_close(ps->secret_fds);
        domain_def_free(ps->live);
        domain_restore_free(ps->restore);
        g_free(ps);
        if (!ok)
                start_failed(d, ports, call, error ? error : local);
}

/* volumes → passphrases → ports → spawn: each step runs when the one before succeeded */
static void on_volumes_resolved(const GError *error, void *userdata) {
        PendingStart *ps = userdata;

        if (!error && disk_secrets_needed(ps->live)) {
                disk_secrets_fetch_async(ps->domain->manager->bus, ps->live, on_secrets_fetched, ps);
                return;
        }
        on_secrets_fetched(error, NULL, ps);
}

/* fds are the pipes with the disks' passphrases (or NULL); the start holds them until the spawn */
static void on_secrets_fetched(const GError *error, GArray *fds, void *userdata) {
        PendingStart *ps = userdata;

        ps->secret_fds = fds;
        if (!error && network_def_has_networks(ps->live)) {
                g_autofree char *dir = domain_ports_dir(ps->domain->manager);

                network_ports_allocate_async(ps->domain->manager->bus, dir, ps->live, on_ports_allocated, ps);
                return;
        }
        pending_start_finish(ps, error);
}

static void on_ports_allocated(const GError *error, void *userdata) {
        pending_start_finish(userdata, error);
}

/* --- the guest CPU (C3, D16) --- */

static void on_cpu_expanded(const QemuMonitorCpuModel *model, const char *error, void *userdata) {
        Domain *d = userdata;

        if (!model) {
                /* save images and snapshots then carry no cookie: restore uses the definition */
                log_warning("cannot learn the guest CPU of domain '%s': %s", domain_name(d), error);
                return;
        }
        if (!d->run.cpu_cookie)
                d->run.cpu_cookie = cpu_cookie_format(model);
}

/* Asks QEMU which CPU the guest has, for save images and running snapshots to record. A
 * QEMU started from a cookie has the CPU the cookie says. */
void domain_learn_cpu(Domain *d) {
        bool kvm = g_strcmp0(domain_def_get_virt_type(d->def), "kvm") == 0;
        g_autofree char *arg = qemu_command_cpu_arg(d->def, kvm);
        g_autoptr(GPtrArray) on = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GPtrArray) off = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *model = NULL;

        if (d->run.cpu_cookie || !d->run.qmp)
                return;
        if (!arg || !cpu_cookie_split_arg(arg, &model, on, off)) {
                log_debug("domain '%s': no CPU cookie for -cpu %s", domain_name(d), arg ? arg : "(none)");
                return;
        }
        g_ptr_array_add(on, NULL);
        g_ptr_array_add(off, NULL);
        qemu_monitor_expand_cpu_model(d->run.qmp, model, (const char *const *) on->pdata,
                                      (const char *const *) off->pdata, on_cpu_expanded, d);
}

/* A cookie as a save image holds it (<cookie><cpu>…</cpu></cookie>) or a snapshot (<cpu>…</cpu>):
 * the <cpu> element, which is what the runtime keeps. */
static char *cookie_cpu(const char *cookie) {
        const char *b = cookie ? strstr(cookie, "<cpu") : NULL;
        const char *e = b ? g_strrstr(b, "</cpu>") : NULL;

        return e ? g_strndup(b, (gsize) (e + strlen("</cpu>") - b)) : NULL;
}

/* --- the start's filter step (spec nwfilter.md §10.1): taps up, then their bindings in force, then QEMU --- */
typedef struct {
        Domain *domain;
        DomainDef *live;
        DomainNetTaps *taps;
        unsigned flags;
        DomainRestore *restore;
        DomainCall *call;
        bool kvm;
        GArray *secret_fds;     /* copies of the disks' passphrase pipes (the start's own close at once) */
} PendingSpawn;

static bool spawn_qemu(Domain *d, DomainDef **live_p, DomainNetTaps *taps_in, unsigned flags,
                       DomainRestore *restore_in, DomainCall *call, bool kvm, GArray *secret_fds, GError **error);

static void on_filters_bound(const GError *error, void *userdata) {
        PendingSpawn *ps = userdata;
        Domain *d = ps->domain;
        Manager *m = d->manager;
        g_autoptr(GError) local = NULL;
        DomainCall *call = ps->call;
        bool ok = false;

        d->run.job = DOMAIN_JOB_NONE;
        if (!error)
                ok = spawn_qemu(d, &ps->live, g_steal_pointer(&ps->taps), ps->flags, g_steal_pointer(&ps->restore),
                                call, ps->kvm, ps->secret_fds, &local);
        else
                domain_release_host_resources(m, ps->live);
        vmmd_close_fd_array(g_steal_pointer(&ps->secret_fds));
        if (!ok && !error)
                /* the rules were for a guest that never ran */
                nwfilter_client_unbind_async(m->bus, ps->live);
        domain_net_close_taps(ps->taps);   /* a failed binding: no tap stays behind */
        domain_restore_free(ps->restore);
        if (!ok)
                start_failed(d, ps->live, call, error ? error : local);
        domain_def_free(ps->live);
        g_free(ps);
}

/* The daemon goes on answering while vmmd-nwfilter applies the rules; the start goes on in on_filters_bound. */
static void start_bind_filters(Domain *d, DomainDef *live, DomainNetTaps *taps, unsigned flags,
                               DomainRestore *restore, DomainCall *call, bool kvm, const GArray *secret_fds) {
        PendingSpawn *ps = g_new0(PendingSpawn, 1);

        if (secret_fds) {
                ps->secret_fds = g_array_new(FALSE, FALSE, sizeof(int));
                for (guint i = 0; i < secret_fds->len; i++) {
                        int fd = g_array_index(secret_fds, int, i);
                        int copy = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3);

                        g_array_append_val(ps->secret_fds, copy);
                }
        }

        ps->domain = d;
        ps->live = live;
        ps->taps = taps;
        ps->flags = flags;
        ps->restore = restore;
        ps->call = call;
        ps->kvm = kvm;
        d->run.job = DOMAIN_JOB_START;
        nwfilter_client_bind_async(d->manager->bus, ps->live, on_filters_bound, ps);
}

/* Host resources and taps for live; then the filter step when a NIC has a <filterref>, else QEMU right away.
 * True when the start goes on (the caller hears at the end through call), false with error when it failed here. */
static bool start_spawn(Domain *d, DomainDef *live_in, unsigned flags, DomainRestore *restore_in, DomainCall *call,
                        bool kvm, GArray *secret_fds, GError **error) {
        Manager *m = d->manager;
        g_autoptr(DomainDef) live = live_in;
        g_autoptr(DomainRestore) restore = restore_in;
        g_autoptr(DomainNetTaps) taps = NULL;

        if (!domain_pick_host_resources(m, live, error))
                return false;
        /* <interface type='bridge'> and type='network': the taps are made here and handed to QEMU as fds 4… */
        if (!domain_net_open_taps(live, &taps, error)) {
                domain_release_host_resources(m, live);
                return false;
        }
        if (nwfilter_client_has_filters(live)) {
                start_bind_filters(d, g_steal_pointer(&live), g_steal_pointer(&taps), flags, g_steal_pointer(&restore),
                                   call, kvm, secret_fds);
                return true;
        }
        return spawn_qemu(d, &live, g_steal_pointer(&taps), flags, g_steal_pointer(&restore), call, kvm, secret_fds,
                          error);
}

/* QEMU for *live_p, with the taps as its fds 4…; on success the domain takes *live_p (it becomes NULL), on failure
 * it stays the caller's. */
static bool spawn_qemu(Domain *d, DomainDef **live_p, DomainNetTaps *taps_in, unsigned flags,
                       DomainRestore *restore_in, DomainCall *call, bool kvm, GArray *secret_fds, GError **error) {
        Manager *m = d->manager;
        DomainDef *live = *live_p;
        g_autoptr(DomainRestore) restore = restore_in;
        g_autoptr(GPtrArray) argv = NULL;
        g_autofree char *cmdline = NULL, *log = NULL;
        QemuCommandOptions opts = { .monitor_fd = 3, .kvm = kvm };
        int monitor_fd = -1, log_fd = -1, r;
        g_autoptr(GArray) tap_child = g_array_new(FALSE, FALSE, sizeof(int));
        g_autoptr(GArray) tap_parent = g_array_new(FALSE, FALSE, sizeof(int));
        g_autoptr(GArray) secret_child = g_array_new(FALSE, FALSE, sizeof(int));
        g_autoptr(DomainNetTaps) taps = taps_in;   /* QEMU holds the taps once it runs */
        g_autofree char *cpu_arg = NULL;
        pid_t pid;

        for (guint i = 0; i < taps->len; i++) {
                int fd = g_array_index(taps, int, i), child = fd < 0 ? -1 : DOMAIN_NET_FIRST_CHILD_FD + (int) tap_parent->len;

                if (fd >= 0)
                        g_array_append_val(tap_parent, fd);
                g_array_append_val(tap_child, child);
        }
        opts.net_fds = (const int *) tap_child->data;
        opts.n_net_fds = tap_child->len;
        if (restore && restore->cpu_cookie) {
                /* C3, D16: the guest gets the CPU it had when the image or snapshot was made */
                if (!cpu_cookie_to_qemu_arg(restore->cpu_cookie, &cpu_arg, error)) {
                        domain_release_host_resources(m, live);
                        return false;
                }
                opts.cpu_arg = cpu_arg;
        }
        /* probed (and cached) when the definition was loaded; without it names go to QEMU as written */
        opts.caps = manager_get_caps(m, domain_def_get_emulator(live), NULL);
        /* a tmpfs: <memoryBacking><source type='file'> RAM stays in memory, as in libvirt's ram dir */
        opts.memory_dir = m->paths->run_dir;
        opts.host_pci_dir = "/sys/bus/pci/devices";
        /* the pipes with the disks' passphrases follow the taps (the caller closes its ends) */
        for (guint i = 0; secret_fds && i < secret_fds->len; i++) {
                int fd = g_array_index(secret_fds, int, i),
                    child = fd < 0 ? -1 : DOMAIN_NET_FIRST_CHILD_FD + (int) tap_parent->len;

                if (fd >= 0)
                        g_array_append_val(tap_parent, fd);
                g_array_append_val(secret_child, child);
        }
        opts.disk_secret_fds = (const int *) secret_child->data;
        opts.n_disk_secret_fds = secret_child->len;
        argv = qemu_command_build(live, &opts, error);
        if (!argv) {
                domain_release_host_resources(m, live);
                return false;
        }
        if (restore && restore->loadvm) {
                g_ptr_array_add(argv, g_strdup("-loadvm"));
                g_ptr_array_add(argv, g_strdup(restore->loadvm));
        } else if (restore && !restore->from_snapshot) {
                g_ptr_array_add(argv, g_strdup("-incoming"));
                g_ptr_array_add(argv, g_strdup("defer"));
        }

        r = vmmd_mkdir_p(m->paths->run_dir, 0755);
        if (r >= 0)
                r = vmmd_mkdir_p(m->paths->log_dir, 0755);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot create the runtime directories of '%s'", domain_name(d));
                goto fail;
        }
        g_free(d->run.monitor_path);
        d->run.monitor_path = g_strdup_printf("%s/%s.qmp", m->paths->run_dir, d->uuid);
        monitor_fd = qemu_monitor_listen(d->run.monitor_path);
        if (monitor_fd < 0) {
                vmmd_error_set_errno(error, monitor_fd, "cannot create monitor socket '%s'", d->run.monitor_path);
                goto fail;
        }
        log = domain_log_file(m, domain_name(d));
        log_fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (log_fd < 0) {
                vmmd_error_set_errno(error, -errno, "cannot open log file '%s'", log);
                close(monitor_fd);
                goto fail;
        }
        cmdline = qemu_command_to_string(argv);
        {
                g_autoptr(GDateTime) now = g_date_time_new_now_utc();
                g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%d %H:%M:%S");
                dprintf(log_fd, "%s.000+0000: starting up\n%s\n", stamp, cmdline);
        }
        r = qemu_process_spawn_fds(argv, monitor_fd, log_fd, (const int *) tap_parent->data, tap_parent->len, &pid);
        close(log_fd);
        close(monitor_fd);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot start QEMU for domain '%s'", domain_name(d));
                goto fail;
        }
        r = domain_lifecycle_watch_qemu(d, pid);
        if (r < 0) {
                kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);   /* our child: gone before its socket and resources are */
                vmmd_error_set_errno(error, r, "cannot watch QEMU of domain '%s'", domain_name(d));
                goto fail;
        }
        log_debug("started QEMU %d for domain '%s': %s", (int) pid, domain_name(d), cmdline);

        /* the live definition takes over; the persistent one waits for the next boot */
        if (d->persistent)
                d->new_def = g_steal_pointer(&d->def);
        else
                domain_def_free(d->def);
        d->def = g_steal_pointer(live_p);
        d->id = domain_next_id(m);
        domain_def_set_id(d->def, d->id);
        d->run.job = DOMAIN_JOB_START;
        d->run.call = call;
        d->state = DOMAIN_PAUSED;
        d->reason = DOMAIN_PAUSED_STARTING_UP;
        domain_lifecycle_write_status(d);
        manager_notify_domain_changed(m, d, DOMAIN_CHANGED_RUN);

        r = domain_lifecycle_open_monitor(d);
        if (r < 0) {
                log_warning("cannot connect to the monitor of '%s': %s", domain_name(d), g_strerror(-r));
                domain_lifecycle_kill(d, DOMAIN_SHUTOFF_FAILED, DOMAIN_EVENT_STOPPED_FAILED);
                d->run.job = DOMAIN_JOB_START;
                return true;
        }
        g_free(d->run.cpu_cookie);
        d->run.cpu_cookie = cpu_arg ? cookie_cpu(restore->cpu_cookie) : NULL;
        domain_learn_cpu(d);
        /* E2: a guest reboot becomes a poweroff when on_reboot is destroy; panics pause so
         * that vmmd applies on_crash itself */
        qemu_monitor_set_actions(d->run.qmp, domain_def_get_on_reboot(d->def) == DOMAIN_LIFECYCLE_DESTROY ? "shutdown" : "reset",
                                 "pause", on_set_action, d);
        /* -m is <memory>; the balloon brings the guest down to <currentMemory> */
        if (domain_def_get_current_memory_kib(d->def) &&
            domain_def_get_current_memory_kib(d->def) < domain_def_get_memory_kib(d->def))
                qemu_monitor_balloon(d->run.qmp, (uint64_t) domain_def_get_current_memory_kib(d->def) * 1024,
                                     on_set_action, d);
        {
                const char *protocol = NULL, *passwd;
                guint gi = 0;

                while ((passwd = domain_graphics_password(d->def, &protocol, &gi)))
                        qemu_monitor_set_password(d->run.qmp, protocol, passwd, on_set_action, d);
        }
        if (restore && restore->from_snapshot) {
                /* -loadvm (or a plain boot) did the work before QMP answered */
                d->run.restore = g_steal_pointer(&restore);
                restore_done(d);
        } else if (restore) {
                int fd = -1, p[2];

                if (!restore->bypass_cache)
                        fd = dup(restore->image->fd);
                else if (pipe2(p, O_CLOEXEC) >= 0) {
                        if (direct_copy_from_file(m->event, restore->image->fd, p[1], on_restore_copied, d,
                                                  &restore->copy) < 0)
                                close(p[0]);
                        else
                                fd = p[0];
                }
                if (fd < 0) {
                        restore_failed(d, "cannot bypass cache for the save image");
                        return true;
                }
                d->run.restore = g_steal_pointer(&restore);
                qemu_monitor_getfd(d->run.qmp, "vmmd-restore", fd, on_restore_getfd, d);
        } else if (flags & DOMAIN_START_PAUSED)
                qemu_monitor_query_status(d->run.qmp, on_start_paused, d);
        else {
                d->run.start_cont = true;
                qemu_monitor_cont(d->run.qmp, on_start_cont, d);
        }
        return true;

fail:
        /* nothing runs: what the start picked and made goes back (the taps close with taps) */
        domain_release_host_resources(m, live);
        if (d->run.monitor_path)
                (void) unlink(d->run.monitor_path);
        g_clear_pointer(&d->run.monitor_path, g_free);
        return false;
}
