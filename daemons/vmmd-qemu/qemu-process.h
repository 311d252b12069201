/* QEMU processes: spawning one detached from the daemon, watching its exit with a pidfd, signalling it. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

typedef struct QemuProcess QemuProcess;
typedef void (*QemuProcessExitFunc)(QemuProcess *p, void *userdata);

/* A listening unix socket at path (replacing a stale one) for QEMU's monitor. */
int qemu_monitor_listen(const char *path);

/* Starts argv in its own session with stdout/stderr appended to log_fd and the
 * monitor socket as fd 3; returns the pid. */
int qemu_process_spawn(const GPtrArray *argv, int monitor_fd, int log_fd, pid_t *ret_pid);
/* The same, with n_extra more fds (taps) as fds 4, 5, … in the child. */
int qemu_process_spawn_fds(const GPtrArray *argv, int monitor_fd, int log_fd, const int *extra_fds, unsigned n_extra,
                           pid_t *ret_pid);

/* Watches pid (child or not) with a pidfd: on_exit runs once when it has exited. */
int qemu_process_watch(sd_event *event, pid_t pid, QemuProcessExitFunc on_exit, void *userdata, QemuProcess **ret);
void qemu_process_free(QemuProcess *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QemuProcess, qemu_process_free)

pid_t qemu_process_pid(const QemuProcess *p);
int qemu_process_kill(QemuProcess *p, int sig);

/* True when pid runs a QEMU started for this uuid (guards against pid reuse after a restart). */
bool qemu_process_matches(pid_t pid, const char *uuid);

/* Is KVM able to run guests here? Probed once per daemon; reason says why not. */
bool qemu_kvm_usable(char **ret_reason);
