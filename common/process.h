/* Child processes on the event loop: pidfd exit watches, helpers with captured output, bounded runs of programs. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

/* --- watching any process --- */

typedef struct VmmdPidWatch VmmdPidWatch;

/* Runs once when the process has exited. exit_code is its exit status when it was our child
 * and exited normally, else -1 (killed by a signal, or somebody else's child: a re-attached
 * QEMU belongs to init). */
typedef void (*VmmdPidExitFunc)(VmmdPidWatch *w, int exit_code, void *userdata);

/* Watches pid with a pidfd (never by polling /proc: init here reaps orphans late). */
int vmmd_pid_watch_new(sd_event *event, pid_t pid, VmmdPidExitFunc on_exit, void *userdata, VmmdPidWatch **ret);
void vmmd_pid_watch_free(VmmdPidWatch *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmmdPidWatch, vmmd_pid_watch_free)
pid_t vmmd_pid_watch_pid(const VmmdPidWatch *w);
/* Signals the watched process through its pidfd (no pid-reuse race). */
int vmmd_pid_watch_kill(VmmdPidWatch *w, int sig);

/* --- helper processes --- */

typedef struct VmmdProcess VmmdProcess;

/* Runs in a forked child with stderr on a pipe to the daemon. Returns the exit code: 0 for
 * success, else a VmmdErrorCode whose message the function wrote to stderr. */
typedef int (*VmmdProcessFunc)(void *data);

/* Called once when the child has exited: exit_code is its exit status, -1 when it was killed
 * by a signal, -ETIMEDOUT when it ran past its deadline (and was killed); out is what it wrote
 * on stdout, err on stderr (both on err for a forked function or vmmd_process_exec). */
typedef void (*VmmdProcessDoneFunc)(VmmdProcess *p, int exit_code, const char *out, const char *err, void *userdata);

/* Forks a child running fn(data). The child dies with the daemon (PR_SET_PDEATHSIG), so a
 * killed daemon leaves no half-finished work behind its back. The child keeps no descriptor
 * of the daemon's but *keep_fd (if given), which it sees as fd 3 (and *keep_fd is set to 3
 * in the child): a client's pipe must not stay open in another job's child. */
int vmmd_process_fork(sd_event *event, VmmdProcessFunc fn, void *data, int *keep_fd, VmmdProcessDoneFunc done,
                      void *userdata, VmmdProcess **ret);

/* Runs argv (argv[0] searched on PATH) the same way, stdout and stderr together on err; no
 * deadline (long copies report progress elsewhere). */
int vmmd_process_exec(sd_event *event, const char *const *argv, VmmdProcessDoneFunc done, void *userdata,
                      VmmdProcess **ret);
/* The same, keeping keep_fd open in the program as fd 3 (a secret's pipe read as /dev/fd/3). */
int vmmd_process_exec_fd(sd_event *event, const char *const *argv, int keep_fd, VmmdProcessDoneFunc done,
                         void *userdata, VmmdProcess **ret);

/* The bounded run of a helper program (qemu-img, dnsmasq, nft): stdout and stderr captured
 * apart, killed at timeout_usec, done called from the loop. Nothing blocks. */
int vmmd_process_run(sd_event *event, const char *const *argv, uint64_t timeout_usec, VmmdProcessDoneFunc done,
                     void *userdata, VmmdProcess **ret);

/* Kills a child that still runs (without calling done) and frees the process. */
void vmmd_process_free(VmmdProcess *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmmdProcess, vmmd_process_free)

/* Runs argv and waits, bounded by timeout_ms (the child is killed at the deadline). This
 * blocks the caller: only for callers whose answer the bus method returns at once (a volume
 * probe); everything that can wait for a reply uses vmmd_process_run. Returns the exit code
 * (-1 for a signal), -ETIMEDOUT, or -errno when it cannot run. */
int vmmd_process_run_sync(const char *const *argv, unsigned timeout_ms, char **ret_out, char **ret_err);
