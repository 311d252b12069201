/* Domain lifecycle: QEMU stop, guest power requests, the fake reboot, QMP events, re-attach (the start is domain-start.c). */
#include "domain-lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "direct-copy.h"
#include "domain-resources.h"
#include "domain-save.h"
#include "domain-status.h"
#include "error.h"
#include "fileio.h"
#include "log.h"
#include "manager.h"
#include "qemu-process.h"
#include "qemu-monitor.h"
#include "save-image.h"
#include "snapshot.h"
#include "disk-secrets.h"
#include "domain-start.h"
#include "nwfilter-client.h"
#include "network-client.h"

#define STOP_GRACE_USEC (10 * G_USEC_PER_SEC)
/* After a reset, QEMU's firmware path (SeaBIOS + the direct-kernel option ROM) may reset
 * the machine again several times within about a second; one reboot must give one
 * Reboot() signal, so RESETs closer than this to the previous one are the same reboot. */
#define RESET_COALESCE_USEC (3 * G_USEC_PER_SEC)

static void domain_stopped(Domain *d, int reason, int detail);
static const QemuMonitorCallbacks monitor_callbacks;
static void on_monitor_closed(void *userdata);
static void on_qemu_exit(QemuProcess *p, void *userdata);

char *domain_log_file(const Manager *m, const char *name) {
        g_autofree char *file = g_strconcat(name, ".log", NULL);
        return g_build_filename(m->paths->log_dir, file, NULL);
}

char *domain_status_file(const Manager *m, const char *name) {
        g_autofree char *file = g_strconcat(name, ".xml", NULL);
        return g_build_filename(m->paths->run_dir, file, NULL);
}

static void log_to_file(Domain *d, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void log_to_file(Domain *d, const char *fmt, ...) {
        g_autofree char *file = domain_log_file(d->manager, domain_name(d));
        g_autofree char *msg = NULL;
        g_autoptr(GDateTime) now = g_date_time_new_now_utc();
        g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%d %H:%M:%S");
        va_list ap;
        int fd;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return;
        dprintf(fd, "%s.000+0000: %s\n", stamp, msg);
        close(fd);
}

/* --- state, status file, signals --- */

/* The status file describes a QEMU process: a killed daemon re-reads it, a power loss ends the process it
 * describes. So it is replaced atomically but not fsynced (a start or a pause does not wait on the disk),
 * except while it records a job, whose partial files a restarted host must still find. */
static bool write_status_durable(Domain *d, bool durable) {
        Manager *m = d->manager;
        g_autofree char *file = domain_status_file(m, domain_name(d));
        g_autofree char *xml = NULL;
        DomainStatus st = {
                .state = d->state, .reason = d->reason, .pid = d->run.process ? qemu_process_pid(d->run.process) : 0,
                .id = d->id, .monitor = d->run.monitor_path, .fake_reboot = d->run.fake_reboot,
                .persistent = d->persistent, .autodestroy = d->run.autodestroy_owner != NULL, .def = d->def,
                .job = d->run.recorded_job,
        };
        int r;

        xml = domain_status_format(&st);
        r = vmmd_mkdir_p(m->paths->run_dir, 0755);
        if (r >= 0)
                r = durable ? vmmd_write_file_atomic(file, xml, strlen(xml), 0600)
                            : vmmd_write_file_replace(file, xml, strlen(xml), 0600);
        if (r < 0) {
                log_error("cannot write status of domain '%s' to %s: %s", domain_name(d), file, g_strerror(-r));
                return false;
        }
        return true;
}

static bool write_status(Domain *d) {
        return write_status_durable(d, d->run.recorded_job != NULL);
}

bool domain_lifecycle_record_job(Domain *d, DomainStatusJob *job) {
        if (job != d->run.recorded_job) {
                domain_status_job_free(d->run.recorded_job);
                d->run.recorded_job = job;
        }
        /* recording and forgetting a job are both on disk before the job goes on */
        return write_status_durable(d, true);
}

/* Spec F1/F7: status file first, then PropertiesChanged, then the event. */
static void set_state(Domain *d, DomainState state, int reason) {
        bool changed = d->state != state || d->reason != reason;

        d->state = state;
        d->reason = reason;
        if (domain_is_active(d))
                write_status(d);
        if (changed)
                manager_notify_domain_changed(d->manager, d, DOMAIN_CHANGED_STATE);
}

static void call_complete(Domain *d, const GError *error) {
        DomainCall *call = g_steal_pointer(&d->run.call);

        if (call)
                call->done(call, error);
}

static void G_GNUC_PRINTF(3, 4) call_fail(Domain *d, int code, const char *fmt, ...) {
        g_autoptr(GError) error = NULL;
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        error = g_error_new_literal(VMMD_ERROR, code, msg);
        call_complete(d, error);
}

static bool check_active(Domain *d, GError **error) {
        if (domain_is_active(d))
                return true;
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "domain '%s' is not running", domain_name(d));
        return false;
}

static bool check_idle(Domain *d, GError **error) {
        if (d->run.job == DOMAIN_JOB_NONE)
                return true;
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                    "domain '%s' is busy with another operation (%s)", domain_name(d),
                    d->run.job == DOMAIN_JOB_START ? "being started" : d->run.job == DOMAIN_JOB_STOP ? "being stopped" : "a job");
        return false;
}

/* --- stopping QEMU --- */

static int on_kill_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Domain *d = userdata;

        g_clear_pointer(&d->run.kill_timer, sd_event_source_unref);
        if (!d->run.process)
                return 0;
        if (d->run.graceful) {
                /* DESTROY_GRACEFUL: QEMU outlived its grace period; the domain stays active */
                d->run.graceful = false;
                d->run.job = DOMAIN_JOB_NONE;
                d->run.stop_reason = 0;
                call_fail(d, VMMD_ERROR_SYSTEM_ERROR, "QEMU of domain '%s' did not exit within %d s of SIGTERM",
                          domain_name(d), (int) (STOP_GRACE_USEC / G_USEC_PER_SEC));
                return 0;
        }
        log_warning("QEMU of domain '%s' ignored SIGTERM, sending SIGKILL", domain_name(d));
        (void) qemu_process_kill(d->run.process, SIGKILL);
        return 0;
}

/* Ends QEMU (SIGTERM, then SIGKILL after a grace period); domain_stopped() follows
 * from the pidfd with reason/detail. */
static void kill_qemu(Domain *d, int reason, int detail, bool graceful) {
        uint64_t now;

        d->run.job = DOMAIN_JOB_STOP;
        d->run.stop_reason = reason;
        d->run.stop_detail = detail;
        d->run.graceful = graceful;
        if (!d->run.process)
                return;
        (void) qemu_process_kill(d->run.process, SIGTERM);
        if (!d->run.kill_timer) {
                (void) sd_event_now(d->manager->event, CLOCK_MONOTONIC, &now);
                (void) sd_event_add_time(d->manager->event, &d->run.kill_timer, CLOCK_MONOTONIC,
                                         now + STOP_GRACE_USEC, 0, on_kill_timer, d);
        }
}

static void release_runtime(Domain *d) {
        g_clear_pointer(&d->run.qmp, qmp_free);
        g_clear_pointer(&d->run.process, qemu_process_free);
        g_clear_pointer(&d->run.kill_timer, sd_event_source_disable_unref);
        g_clear_pointer(&d->run.job_timer, sd_event_source_disable_unref);
        g_clear_pointer(&d->run.restore, domain_restore_free);
        g_clear_pointer(&d->run.cpu_cookie, g_free);
        if (d->run.save)
                domain_save_abandon(d);
        if (d->run.recorded_job) {
                /* QEMU is gone in the middle of recovering a job: nothing to resume */
                domain_save_discard_partial(d->run.recorded_job);
                g_clear_pointer(&d->run.recorded_job, domain_status_job_free);
        }
        d->run.start_cont = false;
}

void domain_restore_free(DomainRestore *r) {
        if (!r)
                return;
        direct_copy_free(r->copy);
        g_free(r->loadvm);
        g_free(r->cpu_cookie);
        save_image_free(r->image);
        g_free(r->remove_on_success);
        g_free(r);
}

void domain_lifecycle_set_state(Domain *d, DomainState state, int reason) {
        set_state(d, state, reason);
}

void domain_lifecycle_kill(Domain *d, int reason, int detail) {
        kill_qemu(d, reason, detail, false);
}

void domain_lifecycle_complete(Domain *d, const GError *error) {
        call_complete(d, error);
}

bool domain_lifecycle_write_status(Domain *d) {
        return write_status(d);
}

int domain_lifecycle_watch_qemu(Domain *d, pid_t pid) {
        return qemu_process_watch(d->manager->event, pid, on_qemu_exit, d, (QemuProcess **) &d->run.process);
}

int domain_lifecycle_open_monitor(Domain *d) {
        return qemu_monitor_open(d->manager->event, d->run.monitor_path, &monitor_callbacks, d, (Qmp **) &d->run.qmp);
}

void domain_detach(Domain *d) {
        release_runtime(d);
        g_clear_pointer(&d->run.monitor_path, g_free);
}

/* QEMU is gone: the domain becomes inactive (spec E3, E18, E21, B14). */
/* The reply to a stop waits for the guest's network ports to be deleted, so that a caller who hears back
 * finds them gone (spec network.md N28.5). */
typedef struct {
        DomainCall *call;
        unsigned pending;
} StopReply;

static void stop_reply_unref(void *userdata) {
        StopReply *s = userdata;

        if (--s->pending > 0)
                return;
        if (s->call)
                s->call->done(s->call, NULL);
        g_free(s);
}

char *domain_ports_dir(Manager *m) {
        return g_build_filename(m->paths->run_dir, "ports", NULL);
}

static void domain_stopped(Domain *d, int reason, int detail) {
        Manager *m = d->manager;
        g_autofree char *status = domain_status_file(m, domain_name(d));
        g_autofree char *ports = domain_ports_dir(m);
        StopReply *reply = g_new0(StopReply, 1);

        release_runtime(d);
        domain_release_host_resources(m, d->def);
        nwfilter_client_unbind_async(m->bus, d->def);
        reply->pending = 2;
        network_ports_release_async(m->bus, ports, d->def, stop_reply_unref, reply);
        if (d->run.monitor_path)
                (void) unlink(d->run.monitor_path);
        g_clear_pointer(&d->run.monitor_path, g_free);
        (void) unlink(status);
        log_to_file(d, "shutting down, reason=%s",
                    reason == DOMAIN_SHUTOFF_SHUTDOWN ? "shutdown" : reason == DOMAIN_SHUTOFF_DESTROYED ? "destroyed" :
                    reason == DOMAIN_SHUTOFF_CRASHED ? "crashed" : reason == DOMAIN_SHUTOFF_FAILED ? "failed" :
                    reason == DOMAIN_SHUTOFF_SAVED ? "saved" : "other");

        d->id = -1;
        d->run.job = DOMAIN_JOB_NONE;
        d->run.fake_reboot = false;
        d->run.shutdown_seen = false;
        d->run.crash_restart = false;
        d->run.stop_reason = 0;
        d->run.graceful = false;
        g_clear_pointer(&d->run.autodestroy_owner, g_free);
        domain_def_set_id(d->def, -1);
        if (d->new_def) {
                /* A18: the pending definition is the one the next boot uses */
                domain_def_free(d->def);
                d->def = g_steal_pointer(&d->new_def);
        }
        d->state = DOMAIN_SHUTOFF;
        d->reason = reason;
        manager_notify_domain_changed(m, d, DOMAIN_CHANGED_RUN);
        manager_notify_domain_event(m, d, DOMAIN_EVENT_STOPPED, detail);
        reply->call = g_steal_pointer(&d->run.call);
        if (!d->persistent && !d->reverting) {
                g_autofree char *snapdir = domain_snapshot_dir(m, domain_name(d));
                (void) vmmd_rm_rf(snapdir);
                manager_notify_domain_removed(m, d);
                domain_snapshots_drop(d);
                manager_remove_domain(m, d);
        }
        if (reply->call && !reply->call->wait_ports) {
                /* an internal continuation (a revert's stop) goes on at once: meanwhile the domain
                 * would look idle to Create, DefineXML and Undefine */
                DomainCall *c = g_steal_pointer(&reply->call);

                c->done(c, NULL);
        }
        /* a bus caller hears back after every signal of the change, and once the ports are gone */
        stop_reply_unref(reply);
}

/* Tail of the QEMU log, for error messages. */
static char *log_tail(Domain *d) {
        g_autofree char *file = domain_log_file(d->manager, domain_name(d));
        g_autofree char *data = NULL;
        size_t len = 0;
        const char *p;
        int lines = 0;

        if (vmmd_read_file(file, &data, &len) < 0 || len == 0)
                return g_strdup("");
        while (len > 0 && data[len - 1] == '\n')
                data[--len] = 0;
        for (p = data + len; p > data; p--)
                if (p[-1] == '\n' && ++lines == 3)
                        break;
        return g_strdup(p);
}

static void on_qemu_exit(QemuProcess *p, void *userdata) {
        Domain *d = userdata;

        if (d->run.job == DOMAIN_JOB_SAVE) {
                g_autoptr(GError) error = g_error_new(VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                                      "QEMU of domain '%s' exited during the save", domain_name(d));
                DomainCall *call = g_steal_pointer(&d->run.call);

                domain_save_abandon(d);
                domain_stopped(d, DOMAIN_SHUTOFF_CRASHED, 5 /* STOPPED/FAILED */);
                if (call)
                        call->done(call, error);
                return;
        }

        if (d->run.job == DOMAIN_JOB_START) {
                g_autofree char *tail = log_tail(d);
                /* a LUKS passphrase that does not fit is said in the user's terms: which disk, which secret */
                g_autoptr(GError) error = disk_secrets_explain_failure(d->def, domain_name(d), tail);
                DomainCall *call = g_steal_pointer(&d->run.call);

                if (!error)
                        error = g_error_new(VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                            "QEMU of domain '%s' exited while starting: %s", domain_name(d), tail);
                log_warning("%s", error->message);
                domain_stopped(d, DOMAIN_SHUTOFF_FAILED, 5 /* STOPPED/FAILED */);
                if (call)
                        call->done(call, error);
                return;
        }
        if (d->run.stop_reason)
                domain_stopped(d, d->run.stop_reason, d->run.stop_detail);
        else if (d->run.shutdown_seen)
                domain_stopped(d, DOMAIN_SHUTOFF_SHUTDOWN, 0 /* STOPPED/SHUTDOWN */);
        else
                domain_stopped(d, DOMAIN_SHUTOFF_CRASHED, 5 /* STOPPED/FAILED: E21 */);
}

/* The monitor closed before QEMU exited: QEMU is on its way out or broken; make sure it goes. */
static void on_monitor_closed(void *userdata) {
        Domain *d = userdata;

        /* the exit handler fails a save or a start (also a restore) with its own error */
        if ((d->run.job == DOMAIN_JOB_SAVE || d->run.job == DOMAIN_JOB_START) && d->run.process) {
                (void) qemu_process_kill(d->run.process, SIGKILL);
                return;
        }
        if (d->run.process && d->run.job != DOMAIN_JOB_STOP)
                kill_qemu(d, d->run.shutdown_seen ? DOMAIN_SHUTOFF_SHUTDOWN : DOMAIN_SHUTOFF_CRASHED,
                          d->run.shutdown_seen ? DOMAIN_EVENT_STOPPED_SHUTDOWN : DOMAIN_EVENT_STOPPED_FAILED, false);
}

/* --- Create --- */

bool domain_create(Domain *d, unsigned flags, DomainCall *call, GError **error) {
        DomainRestore *restore = NULL;
        DomainDef *live = NULL;

        if (domain_is_active(d)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "domain '%s' is already running (already active)", domain_name(d));
                return false;
        }
        if ((flags & DOMAIN_START_FORCE_BOOT) && domain_has_managed_save(d)) {
                /* C22: the image goes first, then a normal boot */
                g_autofree char *path = domain_managed_save_file(d->manager, domain_name(d));

                if (unlink(path) < 0) {
                        vmmd_error_set_errno(error, -errno, "cannot remove managed save image '%s'", path);
                        return false;
                }
                manager_notify_domain_changed(d->manager, d, DOMAIN_CHANGED_MANAGED_SAVE);
                return domain_start(d, NULL, flags, call, error);
        }
        if (!domain_managed_save_open(d, flags, &restore, &live, error))
                return false;
        if (!restore)
                return domain_start(d, NULL, flags, call, error);
        return domain_start_restore(d, live, restore, call, error);
}

/* --- stop, power requests --- */

bool domain_destroy(Domain *d, unsigned flags, DomainCall *call, GError **error) {
        if (!check_active(d, error))
                return false;
        if (d->run.call && d->run.job != DOMAIN_JOB_START && d->run.job != DOMAIN_JOB_STOP) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "domain '%s' is busy with another operation", domain_name(d));
                return false;
        }
        if (d->run.call && d->run.job == DOMAIN_JOB_START)
                call_fail(d, VMMD_ERROR_OPERATION_FAILED, "domain '%s' was destroyed while starting", domain_name(d));
        if (d->run.call && d->run.job == DOMAIN_JOB_STOP) {
                /* a second destroy while the first waits: answer the first now, this one at exit */
                call_complete(d, NULL);
        }
        d->run.fake_reboot = false;
        d->run.call = call;
        if (flags & DOMAIN_DESTROY_REMOVE_LOGS) {
                g_autofree char *log = domain_log_file(d->manager, domain_name(d));
                (void) unlink(log);
        }
        kill_qemu(d, DOMAIN_SHUTOFF_DESTROYED, DOMAIN_EVENT_STOPPED_DESTROYED, flags & DOMAIN_DESTROY_GRACEFUL);
        return true;
}

static void on_ack(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        if (!ret)
                call_fail(d, VMMD_ERROR_OPERATION_FAILED, "QEMU refused the request for domain '%s': %s",
                          domain_name(d), error);
        else
                call_complete(d, NULL);
}

static bool send_request(Domain *d, int (*request)(Qmp *, QemuMonitorReplyFunc, void *), DomainCall *call,
                         GError **error) {
        if (!d->run.qmp || d->run.call) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "domain '%s' is busy with another operation", domain_name(d));
                return false;
        }
        d->run.call = call;
        if (request(d->run.qmp, on_ack, d) < 0) {
                d->run.call = NULL;
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "monitor of domain '%s' is closed",
                            domain_name(d));
                return false;
        }
        return true;
}

static bool has_agent_channel(const Domain *d) {
        g_autofree char *xml = domain_def_format(d->def, 0);
        return strstr(xml, "org.qemu.guest_agent.0") != NULL;
}

/* E10: no agent is ever connected yet */
static bool check_agent_only(Domain *d, unsigned flags, GError **error) {
        if ((flags & DOMAIN_SHUTDOWN_GUEST_AGENT) && !(flags & DOMAIN_SHUTDOWN_ACPI_POWER_BTN)) {
                if (!has_agent_channel(d))
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_ARGUMENT_UNSUPPORTED,
                                    "QEMU guest agent is not configured for domain '%s'", domain_name(d));
                else
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_AGENT_UNRESPONSIVE,
                                    "QEMU guest agent of domain '%s' is not connected", domain_name(d));
                return false;
        }
        return true;
}

bool domain_reboot(Domain *d, unsigned flags, DomainCall *call, GError **error) {
        if (!check_active(d, error) || !check_agent_only(d, flags, error))
                return false;
        if (domain_def_get_on_reboot(d->def) == DOMAIN_LIFECYCLE_DESTROY) {
                /* E12: the guest powers off and the domain stops */
                d->run.fake_reboot = false;
                return send_request(d, qemu_monitor_system_powerdown, call, error);
        }
        if (!check_idle(d, error))
                return false;
        /* E13: the mark is on disk before the request leaves */
        d->run.fake_reboot = true;
        write_status(d);
        if (!send_request(d, qemu_monitor_system_powerdown, call, error)) {
                d->run.fake_reboot = false;
                write_status(d);
                return false;
        }
        return true;
}

bool domain_shutdown(Domain *d, unsigned flags, DomainCall *call, GError **error) {
        if (!check_active(d, error))
                return false;
        if (d->state != DOMAIN_RUNNING) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "domain '%s' is not running",
                            domain_name(d));
                return false;
        }
        if (!check_agent_only(d, flags, error))
                return false;
        if (domain_def_get_on_poweroff(d->def) == DOMAIN_LIFECYCLE_RESTART)
                return domain_reboot(d, flags, call, error);   /* E12 */
        if (!check_idle(d, error))
                return false;
        /* E17: a Shutdown after an unanswered Reboot really stops the guest */
        if (d->run.fake_reboot) {
                d->run.fake_reboot = false;
                write_status(d);
        }
        return send_request(d, qemu_monitor_system_powerdown, call, error);
}

bool domain_reset(Domain *d, DomainCall *call, GError **error) {
        if (!check_active(d, error) || !check_idle(d, error))
                return false;
        if (d->run.fake_reboot) {
                d->run.fake_reboot = false;
                write_status(d);
        }
        return send_request(d, qemu_monitor_system_reset, call, error);
}

static void on_suspend_reply(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        d->run.job = DOMAIN_JOB_NONE;
        if (!ret) {
                call_fail(d, VMMD_ERROR_OPERATION_FAILED, "cannot pause domain '%s': %s", domain_name(d), error);
                return;
        }
        set_state(d, DOMAIN_PAUSED, DOMAIN_PAUSED_USER);
        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_PAUSED);
        call_complete(d, NULL);
}

bool domain_suspend(Domain *d, DomainCall *call, GError **error) {
        if (!check_active(d, error))
                return false;
        if (d->state == DOMAIN_PMSUSPENDED) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "domain '%s' is pmsuspended",
                            domain_name(d));
                return false;
        }
        if (d->state == DOMAIN_PAUSED) {
                if (call)
                        call->done(call, NULL);   /* E4: already paused, no event */
                return true;
        }
        if (!check_idle(d, error) || d->run.call) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "domain '%s' is busy with another operation", domain_name(d));
                return false;
        }
        d->run.job = DOMAIN_JOB_SUSPEND;
        d->run.call = call;
        qemu_monitor_stop(d->run.qmp, on_suspend_reply, d);
        return true;
}

static void on_resume_reply(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        d->run.job = DOMAIN_JOB_NONE;
        if (!ret) {
                call_fail(d, VMMD_ERROR_OPERATION_FAILED, "cannot resume domain '%s': %s", domain_name(d), error);
                return;
        }
        set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_UNPAUSED);
        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
        call_complete(d, NULL);
}

bool domain_resume(Domain *d, DomainCall *call, GError **error) {
        if (!check_active(d, error))
                return false;
        if (d->state == DOMAIN_RUNNING) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "domain '%s' is already running",
                            domain_name(d));
                return false;
        }
        if (d->state == DOMAIN_PMSUSPENDED) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "domain '%s' is pmsuspended",
                            domain_name(d));
                return false;
        }
        if (d->state != DOMAIN_PAUSED && !(d->state == DOMAIN_CRASHED && d->reason == DOMAIN_CRASHED_PANICKED)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "domain '%s' cannot be resumed in its state",
                            domain_name(d));
                return false;
        }
        if (!check_idle(d, error) || d->run.call) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "domain '%s' is busy with another operation", domain_name(d));
                return false;
        }
        d->run.job = DOMAIN_JOB_RESUME;
        d->run.call = call;
        qemu_monitor_cont(d->run.qmp, on_resume_reply, d);
        return true;
}

/* --- fake reboot and crash restart: system_reset + cont inside the same QEMU --- */

static void on_reset_cont(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        if (!ret) {
                /* E16: the domain stops as a crash */
                log_warning("cannot restart CPUs of domain '%s': %s", domain_name(d), error);
                kill_qemu(d, DOMAIN_SHUTOFF_CRASHED, DOMAIN_EVENT_STOPPED_FAILED, false);
                return;
        }
        d->run.job = DOMAIN_JOB_NONE;
        d->run.shutdown_seen = false;
        if (d->run.crash_restart) {
                d->run.crash_restart = false;
                set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_CRASHED);
                manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
                return;
        }
        if (d->run.fake_reboot) {
                d->run.fake_reboot = false;
        }
        write_status(d);
}

static void on_reset_done(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;

        if (!ret) {
                log_warning("cannot reset domain '%s': %s", domain_name(d), error);
                kill_qemu(d, DOMAIN_SHUTOFF_CRASHED, DOMAIN_EVENT_STOPPED_FAILED, false);
                return;
        }
        qemu_monitor_cont(d->run.qmp, on_reset_cont, d);
}

static void restart_in_place(Domain *d) {
        d->run.job = DOMAIN_JOB_RESET;
        if (qemu_monitor_system_reset(d->run.qmp, on_reset_done, d) < 0)
                kill_qemu(d, DOMAIN_SHUTOFF_CRASHED, DOMAIN_EVENT_STOPPED_FAILED, false);
}

/* --- QMP events --- */

static void handle_shutdown(Domain *d, bool has_guest, bool guest, const char *reason) {
        bool reset_as_poweroff = g_str_equal(reason, "guest-reset");

        if (d->run.job == DOMAIN_JOB_STOP || d->run.job == DOMAIN_JOB_START)
                return;
        if (!reset_as_poweroff && !g_str_equal(reason, "host-qmp-quit") && !g_str_equal(reason, "host-signal") &&
            (d->run.fake_reboot || domain_def_get_on_poweroff(d->def) == DOMAIN_LIFECYCLE_RESTART)) {
                /* E14/E20: hidden; QEMU stopped its CPUs, restart the guest in place */
                d->run.shutdown_seen = true;
                restart_in_place(d);
                return;
        }
        if (d->run.shutdown_seen)
                return;   /* E18: a repeated SHUTDOWN is ignored */
        d->run.shutdown_seen = true;
        set_state(d, DOMAIN_SHUTDOWN, DOMAIN_SHUTDOWN_UNKNOWN);
        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_SHUTDOWN,
                                    !has_guest ? DOMAIN_EVENT_SHUTDOWN_FINISHED :
                                    guest ? DOMAIN_EVENT_SHUTDOWN_GUEST : DOMAIN_EVENT_SHUTDOWN_HOST);
        /* -no-shutdown left QEMU alive and paused: end it */
        d->run.stop_reason = DOMAIN_SHUTOFF_SHUTDOWN;
        d->run.stop_detail = 0;
        if (qemu_monitor_quit(d->run.qmp, NULL, NULL) < 0)
                kill_qemu(d, DOMAIN_SHUTOFF_SHUTDOWN, DOMAIN_EVENT_STOPPED_SHUTDOWN, false);
        else {
                uint64_t now;
                d->run.job = DOMAIN_JOB_STOP;
                (void) sd_event_now(d->manager->event, CLOCK_MONOTONIC, &now);
                if (!d->run.kill_timer)
                        (void) sd_event_add_time(d->manager->event, &d->run.kill_timer,
                                                 CLOCK_MONOTONIC, now + STOP_GRACE_USEC, 0, on_kill_timer, d);
        }
}

static void handle_panic(Domain *d) {
        DomainLifecycleAction action = domain_def_get_on_crash(d->def);

        if (d->state == DOMAIN_CRASHED || d->run.job == DOMAIN_JOB_STOP)
                return;
        set_state(d, DOMAIN_CRASHED, DOMAIN_CRASHED_PANICKED);
        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_CRASHED, DOMAIN_EVENT_CRASHED_PANICKED);
        switch (action) {
        case DOMAIN_LIFECYCLE_PRESERVE:
                break;
        case DOMAIN_LIFECYCLE_RESTART:
        case DOMAIN_LIFECYCLE_COREDUMP_RESTART:
                if (action == DOMAIN_LIFECYCLE_COREDUMP_RESTART)
                        log_info("domain '%s': core dumps are not implemented; restarting", domain_name(d));
                d->run.crash_restart = true;
                restart_in_place(d);
                break;
        default:
                if (action == DOMAIN_LIFECYCLE_COREDUMP_DESTROY)
                        log_info("domain '%s': core dumps are not implemented; destroying", domain_name(d));
                kill_qemu(d, DOMAIN_SHUTOFF_CRASHED, DOMAIN_EVENT_STOPPED_CRASHED, false);
        }
}

static void on_monitor_shutdown(void *userdata, bool has_guest, bool guest, const char *reason) {
        Domain *d = userdata;

        handle_shutdown(d, has_guest, guest, reason);
}

static void on_monitor_reset(void *userdata) {
        Domain *d = userdata;
        uint64_t now = 0, last = d->run.last_reset_usec;

        log_debug("domain '%s': QEMU event RESET", domain_name(d));
        (void) sd_event_now(d->manager->event, CLOCK_MONOTONIC, &now);
        d->run.last_reset_usec = now;
        /* E25: resets during start-up are not reboots */
        if (d->state == DOMAIN_PAUSED && d->reason == DOMAIN_PAUSED_STARTING_UP)
                return;
        if (last && now - last < RESET_COALESCE_USEC)
                return;
        if (d->run.fake_reboot && d->run.job != DOMAIN_JOB_RESET) {
                d->run.fake_reboot = false;   /* E17: every RESET clears the mark */
                write_status(d);
        }
        manager_notify_domain_reboot(d->manager, d);
        if (d->state == DOMAIN_CRASHED && !d->run.crash_restart)
                set_state(d, DOMAIN_PAUSED, DOMAIN_PAUSED_CRASHED);
}

/* F3: QEMU sends BLOCK_IO_ERROR (action stop) and WATCHDOG (action pause) right before the STOP
 * they cause; taking the pause here gives it its reason, and the STOP that follows finds the
 * guest paused already */
static void on_monitor_pause_cause(void *userdata, QemuMonitorPauseCause cause) {
        Domain *d = userdata;
        bool io = cause == QEMU_MONITOR_PAUSE_IO_ERROR;

        log_debug("domain '%s': QEMU event %s", domain_name(d), io ? "BLOCK_IO_ERROR" : "WATCHDOG");
        if (d->run.job != DOMAIN_JOB_NONE || d->run.shutdown_seen || d->state != DOMAIN_RUNNING)
                return;
        set_state(d, DOMAIN_PAUSED, io ? DOMAIN_PAUSED_IOERROR : DOMAIN_PAUSED_WATCHDOG);
        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_SUSPENDED,
                                    io ? DOMAIN_EVENT_SUSPENDED_IOERROR : DOMAIN_EVENT_SUSPENDED_WATCHDOG);
}

static void on_monitor_stop(void *userdata) {
        Domain *d = userdata;

        log_debug("domain '%s': QEMU event STOP", domain_name(d));
        if (d->run.job != DOMAIN_JOB_NONE || d->run.shutdown_seen || d->state != DOMAIN_RUNNING)
                return;
        set_state(d, DOMAIN_PAUSED, DOMAIN_PAUSED_UNKNOWN);
        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_SUSPENDED, DOMAIN_EVENT_SUSPENDED_PAUSED);
}

static void on_monitor_resume(void *userdata) {
        Domain *d = userdata;

        log_debug("domain '%s': QEMU event RESUME", domain_name(d));
        if (d->run.start_cont)
                return domain_start_cont_done(d);
        if (d->run.job != DOMAIN_JOB_NONE || d->state != DOMAIN_PAUSED)
                return;
        set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_UNPAUSED);
        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_RESUMED, DOMAIN_EVENT_RESUMED_UNPAUSED);
}

static void on_monitor_guest_panicked(void *userdata) {
        Domain *d = userdata;

        log_debug("domain '%s': QEMU event GUEST_PANICKED", domain_name(d));
        handle_panic(d);
}

static void on_monitor_suspend(void *userdata) {
        Domain *d = userdata;

        log_debug("domain '%s': QEMU event SUSPEND", domain_name(d));
        set_state(d, DOMAIN_PMSUSPENDED, DOMAIN_PMSUSPENDED_UNKNOWN);
        manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_PMSUSPENDED, DOMAIN_EVENT_PMSUSPENDED_MEMORY);
}

static void on_monitor_wakeup(void *userdata) {
        Domain *d = userdata;

        log_debug("domain '%s': QEMU event WAKEUP", domain_name(d));
        if (d->state == DOMAIN_PMSUSPENDED) {
                set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_WAKEUP);
                manager_notify_domain_event(d->manager, d, DOMAIN_EVENT_STARTED, DOMAIN_EVENT_STARTED_WAKEUP);
        }
}

/* A save's or a restore's stream ended: finish it now rather than at the next poll. */
static void on_monitor_migration(void *userdata, const char *status) {
        Domain *d = userdata;

        log_debug("domain '%s': QEMU event MIGRATION %s", domain_name(d), status);
        if (!g_str_equal(status, "completed") && !g_str_equal(status, "failed") && !g_str_equal(status, "cancelled"))
                return;
        if (d->run.save)
                domain_save_migration_ended(d);
        else if (d->run.restore && d->run.qmp)
                domain_restore_migration_ended(d);
}

static const QemuMonitorCallbacks monitor_callbacks = {
        .shutdown = on_monitor_shutdown,
        .reset = on_monitor_reset,
        .pause_cause = on_monitor_pause_cause,
        .stop = on_monitor_stop,
        .resume = on_monitor_resume,
        .guest_panicked = on_monitor_guest_panicked,
        .suspend = on_monitor_suspend,
        .wakeup = on_monitor_wakeup,
        .migration = on_monitor_migration,
        .closed = on_monitor_closed,
};

/* --- re-attach after a daemon restart --- */

/* A QEMU in prelaunch that the status file says was up: only a system_reset of a
 * restart in place (fake reboot, on_poweroff or on_crash restart) leaves it there. */
static bool reset_in_flight(const Domain *d) {
        if (d->state == DOMAIN_PAUSED && d->reason == DOMAIN_PAUSED_STARTING_UP)
                return false;
        if (d->run.fake_reboot || domain_def_get_on_poweroff(d->def) == DOMAIN_LIFECYCLE_RESTART)
                return true;
        return d->state == DOMAIN_CRASHED && (domain_def_get_on_crash(d->def) == DOMAIN_LIFECYCLE_RESTART ||
                                              domain_def_get_on_crash(d->def) == DOMAIN_LIFECYCLE_COREDUMP_RESTART);
}

static void on_reattach_status(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Domain *d = userdata;
        const char *status;

        status = qemu_monitor_status_of(ret);
        if (!status) {
                log_warning("domain '%s': query-status failed: %s", domain_name(d), error ? error : "bad reply");
                return;
        }
        log_debug("domain '%s' re-attached, QEMU status '%s'", domain_name(d), status);
        if (d->run.recorded_job && !g_str_equal(status, "shutdown")) {
                /* the dead daemon left a job half done: finish or undo it first */
                if (g_str_equal(d->run.recorded_job->kind, "save"))
                        domain_save_recover(d);
                else if (g_str_equal(d->run.recorded_job->kind, "snapshot"))
                        domain_snapshot_recover(d);
                else
                        domain_lifecycle_record_job(d, NULL);
                return;
        }
        if (g_str_equal(status, "shutdown")) {
                /* E22: the guest powered off while no daemon was there */
                if (d->run.fake_reboot || domain_def_get_on_poweroff(d->def) == DOMAIN_LIFECYCLE_RESTART) {
                        d->run.shutdown_seen = true;
                        restart_in_place(d);
                } else {
                        handle_shutdown(d, false, false, "");
                }
        } else if (g_str_equal(status, "prelaunch") && reset_in_flight(d)) {
                /* the daemon went between system_reset and cont of a fake reboot or a restart
                 * in place: finish it, the guest boots again in the same QEMU (E22) */
                log_info("domain '%s': finishing the restart in place the previous daemon began", domain_name(d));
                d->run.shutdown_seen = true;
                d->run.crash_restart = d->state == DOMAIN_CRASHED;
                d->run.job = DOMAIN_JOB_RESET;
                qemu_monitor_cont(d->run.qmp, on_reset_cont, d);
        } else if (g_str_equal(status, "prelaunch") || g_str_equal(status, "inmigrate") ||
                   (d->state == DOMAIN_PAUSED && d->reason == DOMAIN_PAUSED_STARTING_UP)) {
                kill_qemu(d, DOMAIN_SHUTOFF_FAILED, DOMAIN_EVENT_STOPPED_FAILED, false);
        } else if (g_str_equal(status, "running")) {
                if (d->state != DOMAIN_RUNNING)
                        set_state(d, DOMAIN_RUNNING, DOMAIN_RUNNING_UNPAUSED);
        } else if (g_str_equal(status, "guest-panicked")) {
                if (d->state != DOMAIN_CRASHED)
                        set_state(d, DOMAIN_CRASHED, DOMAIN_CRASHED_PANICKED);
        } else if (g_str_equal(status, "paused") || g_str_equal(status, "io-error") || g_str_equal(status, "watchdog")) {
                if (d->state == DOMAIN_RUNNING)
                        set_state(d, DOMAIN_PAUSED, g_str_equal(status, "io-error") ? DOMAIN_PAUSED_IOERROR
                                                    : g_str_equal(status, "watchdog") ? DOMAIN_PAUSED_WATCHDOG
                                                    : DOMAIN_PAUSED_UNKNOWN);
        }
}

static void reattach_one(Manager *m, const char *file) {
        g_autofree char *data = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(DomainStatus) st = NULL;
        Domain *d;
        int r;

        if (vmmd_read_file(file, &data, NULL) < 0)
                return;
        st = domain_status_parse(data, &error);
        if (!st) {
                log_warning("ignoring status file %s: %s", file, error->message);
                return;
        }
        d = manager_find_by_uuid(m, domain_def_get_uuid(st->def));
        if (d && domain_is_active(d))
                return;
        if (!d) {
                d = domain_new(m, domain_def_copy(st->def));
                d->persistent = false;
                manager_add_domain(m, d);
                /* D25 holds for a transient domain too: its snapshots survive the daemon */
                domain_snapshots_load(d);
        } else if (d->persistent) {
                d->new_def = g_steal_pointer(&d->def);
                d->def = domain_def_copy(st->def);
        }
        d->id = st->id > 0 ? st->id : domain_next_id(m);
        domain_def_set_id(d->def, d->id);
        d->state = st->state;
        d->reason = st->reason;
        d->run.fake_reboot = st->fake_reboot;
        d->run.monitor_path = g_strdup(st->monitor);
        domain_status_job_free(d->run.recorded_job);
        d->run.recorded_job = g_steal_pointer(&st->parsed_job);
        if (st->autodestroy)
                log_info("domain '%s' was started with AUTODESTROY; its client is gone, destroying it", domain_name(d));

        if (!qemu_process_matches(st->pid, d->uuid) ||
            qemu_process_watch(m->event, st->pid, on_qemu_exit, d, (QemuProcess **) &d->run.process) < 0) {
                /* F8/E21: QEMU went away while no daemon was watching */
                log_info("QEMU of domain '%s' is gone", domain_name(d));
                if (d->run.recorded_job)
                        domain_save_discard_partial(d->run.recorded_job);
                g_clear_pointer(&d->run.recorded_job, domain_status_job_free);
                if (d->state == DOMAIN_SHUTDOWN)
                        domain_stopped(d, DOMAIN_SHUTOFF_SHUTDOWN, 0);
                else
                        domain_stopped(d, DOMAIN_SHUTOFF_CRASHED, 5);
                return;
        }
        r = qemu_monitor_open(m->event, d->run.monitor_path, &monitor_callbacks, d, (Qmp **) &d->run.qmp);
        if (r < 0) {
                log_warning("cannot reconnect to the monitor of '%s': %s", domain_name(d), g_strerror(-r));
                kill_qemu(d, DOMAIN_SHUTOFF_CRASHED, DOMAIN_EVENT_STOPPED_FAILED, false);
                return;
        }
        nwfilter_client_rebind_async(m->bus, d->def);
        if (st->autodestroy) {
                kill_qemu(d, DOMAIN_SHUTOFF_DESTROYED, DOMAIN_EVENT_STOPPED_DESTROYED, false);
                return;
        }
        domain_learn_cpu(d);
        network_ports_recheck_async(m->bus, d->def);
        qemu_monitor_query_status(d->run.qmp, on_reattach_status, d);
        log_info("re-attached to QEMU %d of domain '%s'", (int) st->pid, domain_name(d));
}

/* A port still belongs to a guest when a running domain's live definition names it. */
static bool port_in_use(const char *port_uuid, void *userdata) {
        Manager *m = userdata;
        GHashTableIter it;
        Domain *d;

        g_hash_table_iter_init(&it, m->domains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &d))
                if (domain_is_active(d) && network_def_uses_port(d->def, port_uuid))
                        return true;
        return false;
}

void manager_reattach_domains(Manager *m) {
        g_autoptr(GDir) dir = g_dir_open(m->paths->run_dir, 0, NULL);
        g_autofree char *ports = NULL;
        const char *e;

        if (!dir)
                return;
        while ((e = g_dir_read_name(dir))) {
                g_autofree char *file = NULL;

                if (!g_str_has_suffix(e, ".xml") || e[0] == '.')
                        continue;
                file = g_build_filename(m->paths->run_dir, e, NULL);
                reattach_one(m, file);
        }
        /* ports made for guests that are gone (or whose start the previous daemon never finished) */
        ports = domain_ports_dir(m);
        network_ports_reclaim(m->bus, ports, port_in_use, m);
}

/* --- autostart --- */

void manager_autostart_domains(Manager *m) {
        g_autoptr(GPtrArray) list = g_ptr_array_new();
        GHashTableIter it;
        Domain *d;

        if (!vmmd_autostart_claim(m->paths->run_dir))
                return;
        g_hash_table_iter_init(&it, m->domains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &d))
                if (d->autostart && d->persistent && !domain_is_active(d))
                        g_ptr_array_add(list, d);
        for (guint i = 0; i < list->len; i++) {
                g_autoptr(GError) error = NULL;
                d = g_ptr_array_index(list, i);
                log_info("autostarting domain '%s'", domain_name(d));
                /* exactly Create(0): a managed save image is restored and consumed (C20) */
                if (!domain_create(d, 0, NULL, &error))
                        log_warning("cannot autostart domain '%s': %s", domain_name(d), error->message);
        }
}
