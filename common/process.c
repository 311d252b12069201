/* Child processes on the event loop: pidfd exit watches, helpers with captured output, bounded runs of programs. */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"

/* what is kept of a helper's output: any error message fits, a runaway child cannot fill memory */
#define ERR_CAP (64 * 1024)
#define OUT_CAP (16 * 1024 * 1024)

/* --- watching any process --- */

struct VmmdPidWatch {
        pid_t pid;
        int pidfd;
        bool exited;
        sd_event_source *source;
        VmmdPidExitFunc on_exit;
        void *userdata;
};

static int on_pidfd(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        VmmdPidWatch *w = userdata;
        siginfo_t si = { 0 };
        int code = -1;

        /* reaps it when it is our child; a re-attached QEMU is init's */
        if (waitid(P_PIDFD, (id_t) w->pidfd, &si, WEXITED | WNOHANG) == 0 && si.si_pid != 0 &&
            si.si_code == CLD_EXITED)
                code = si.si_status;
        w->exited = true;
        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        if (w->on_exit)
                w->on_exit(w, code, w->userdata);
        return 0;
}

int vmmd_pid_watch_new(sd_event *event, pid_t pid, VmmdPidExitFunc on_exit, void *userdata, VmmdPidWatch **ret) {
        g_autoptr(VmmdPidWatch) w = g_new0(VmmdPidWatch, 1);
        int r;

        w->pid = pid;
        w->on_exit = on_exit;
        w->userdata = userdata;
        w->pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (w->pidfd < 0)
                return -errno;
        r = sd_event_add_io(event, &w->source, w->pidfd, EPOLLIN, on_pidfd, w);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&w);
        return 0;
}

void vmmd_pid_watch_free(VmmdPidWatch *w) {
        if (!w)
                return;
        g_clear_pointer(&w->source, sd_event_source_disable_unref);
        if (w->pidfd >= 0)
                close(w->pidfd);
        g_free(w);
}

pid_t vmmd_pid_watch_pid(const VmmdPidWatch *w) {
        return w->pid;
}

int vmmd_pid_watch_kill(VmmdPidWatch *w, int sig) {
        if (syscall(SYS_pidfd_send_signal, w->pidfd, sig, NULL, 0) < 0)
                return -errno;
        return 0;
}

/* --- helper processes --- */

struct VmmdProcess {
        VmmdPidWatch *watch;
        int out_fd;            /* stdout of vmmd_process_run, else -1 */
        int err_fd;            /* stderr (and stdout of an exec'd helper) */
        sd_event_source *out_source;
        sd_event_source *err_source;
        sd_event_source *timer;
        GString *out;
        GString *err;
        bool timed_out;
        VmmdProcessDoneFunc done;
        void *userdata;
};

typedef enum {
        RUN_FUNCTION,   /* fork and call fn; stdout to /dev/null, stderr captured */
        RUN_MERGED,     /* exec argv; stdout and stderr captured together */
        RUN_SPLIT,      /* exec argv; stdout and stderr captured apart */
} RunMode;

static void drain(int fd, GString *s, size_t cap) {
        char buf[4096];
        ssize_t n;

        if (fd < 0)
                return;
        while ((n = read(fd, buf, sizeof(buf))) > 0)
                if (s->len < cap)
                        g_string_append_len(s, buf, MIN((size_t) n, cap - s->len));
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        VmmdProcess *p = userdata;

        if (fd == p->out_fd)
                drain(fd, p->out, OUT_CAP);
        else
                drain(fd, p->err, ERR_CAP);
        if (revents & (EPOLLHUP | EPOLLERR))
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        return 0;
}

static void on_child_exit(VmmdPidWatch *w, int exit_code, void *userdata) {
        VmmdProcess *p = userdata;

        /* the last words may still sit in the pipes */
        drain(p->out_fd, p->out, OUT_CAP);
        drain(p->err_fd, p->err, ERR_CAP);
        g_strchomp(p->err->str);
        p->err->len = strlen(p->err->str);
        g_clear_pointer(&p->timer, sd_event_source_disable_unref);
        if (p->done)
                p->done(p, p->timed_out ? -ETIMEDOUT : exit_code, p->out->str, p->err->str, p->userdata);
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        VmmdProcess *p = userdata;

        log_warning("helper process %d ran past its deadline; killing it", (int) vmmd_pid_watch_pid(p->watch));
        p->timed_out = true;
        (void) vmmd_pid_watch_kill(p->watch, SIGKILL);
        return 0;
}

/* The child's side of a fork: signals back to default, the standard descriptors set, nothing
 * else of the daemon's kept but keep_fd (as fd 3). */
static void child_setup(int out_fd, int err_fd, int *keep_fd) {
        sigset_t none;
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_IGN);   /* a closed client pipe is EPIPE, reported as such */
        if (null >= 0)
                dup2(null, 0);
        dup2(out_fd >= 0 ? out_fd : null, 1);
        dup2(err_fd, 2);
        if (keep_fd && *keep_fd >= 0) {
                if (*keep_fd == 3)
                        (void) fcntl(3, F_SETFD, 0);
                else
                        (void) dup2(*keep_fd, 3);
                *keep_fd = 3;
        }
        (void) syscall(SYS_close_range, keep_fd && *keep_fd >= 0 ? 4 : 3, ~0U, 0);
}

static VmmdProcess *process_new(VmmdProcessDoneFunc done, void *userdata) {
        VmmdProcess *p = g_new0(VmmdProcess, 1);

        p->out_fd = -1;
        p->err_fd = -1;
        p->out = g_string_new(NULL);
        p->err = g_string_new(NULL);
        p->done = done;
        p->userdata = userdata;
        return p;
}

static void close_pair(int fds[2]) {
        if (fds[0] >= 0)
                close(fds[0]);
        if (fds[1] >= 0)
                close(fds[1]);
}

static int add_reader(sd_event *event, VmmdProcess *p, int fd, sd_event_source **ret) {
        (void) fcntl(fd, F_SETFL, O_NONBLOCK);
        return sd_event_add_io(event, ret, fd, EPOLLIN, on_output, p);
}

static int process_start(sd_event *event, RunMode mode, VmmdProcessFunc fn, void *data, int *keep_fd,
                         const char *const *argv, uint64_t timeout_usec, VmmdProcessDoneFunc done, void *userdata,
                         VmmdProcess **ret) {
        g_autoptr(VmmdProcess) p = process_new(done, userdata);
        int err_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 };
        pid_t pid;
        int r;

        if (pipe2(err_pipe, O_CLOEXEC) < 0)
                return -errno;
        if (mode == RUN_SPLIT && pipe2(out_pipe, O_CLOEXEC) < 0) {
                r = -errno;
                close_pair(err_pipe);
                return r;
        }
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close_pair(err_pipe);
                close_pair(out_pipe);
                return r;
        }
        if (pid == 0) {
                int out = mode == RUN_SPLIT ? out_pipe[1] : mode == RUN_MERGED ? err_pipe[1] : -1;
                child_setup(out, err_pipe[1], keep_fd);
                if (mode == RUN_FUNCTION)
                        _exit(fn(data));
                execvp(argv[0], (char *const *) argv);
                dprintf(2, "cannot execute %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        close(err_pipe[1]);
        p->err_fd = err_pipe[0];
        if (mode == RUN_SPLIT) {
                close(out_pipe[1]);
                p->out_fd = out_pipe[0];
        }
        r = vmmd_pid_watch_new(event, pid, on_child_exit, p, &p->watch);
        if (r < 0) {
                /* not watched means never reaped: take it down now */
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                return r;
        }
        /* after the readers, so that the last words are read before done runs */
        r = sd_event_source_set_priority(p->watch->source, SD_EVENT_PRIORITY_IDLE);
        if (r >= 0)
                r = add_reader(event, p, p->err_fd, &p->err_source);
        if (r >= 0 && p->out_fd >= 0)
                r = add_reader(event, p, p->out_fd, &p->out_source);
        if (r >= 0 && timeout_usec > 0)
                r = sd_event_add_time_relative(event, &p->timer, CLOCK_MONOTONIC, timeout_usec, 0, on_deadline, p);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&p);
        return 0;
}

int vmmd_process_fork(sd_event *event, VmmdProcessFunc fn, void *data, int *keep_fd, VmmdProcessDoneFunc done,
                      void *userdata, VmmdProcess **ret) {
        return process_start(event, RUN_FUNCTION, fn, data, keep_fd, NULL, 0, done, userdata, ret);
}

int vmmd_process_exec(sd_event *event, const char *const *argv, VmmdProcessDoneFunc done, void *userdata,
                      VmmdProcess **ret) {
        return process_start(event, RUN_MERGED, NULL, NULL, NULL, argv, 0, done, userdata, ret);
}

int vmmd_process_exec_fd(sd_event *event, const char *const *argv, int keep_fd, VmmdProcessDoneFunc done,
                         void *userdata, VmmdProcess **ret) {
        return process_start(event, RUN_MERGED, NULL, NULL, &keep_fd, argv, 0, done, userdata, ret);
}

int vmmd_process_run(sd_event *event, const char *const *argv, uint64_t timeout_usec, VmmdProcessDoneFunc done,
                     void *userdata, VmmdProcess **ret) {
        return process_start(event, RUN_SPLIT, NULL, NULL, NULL, argv, timeout_usec, done, userdata, ret);
}

void vmmd_process_free(VmmdProcess *p) {
        if (!p)
                return;
        if (p->watch && !p->watch->exited) {
                siginfo_t si;
                (void) vmmd_pid_watch_kill(p->watch, SIGKILL);
                (void) waitid(P_PIDFD, (id_t) p->watch->pidfd, &si, WEXITED);
        }
        g_clear_pointer(&p->watch, vmmd_pid_watch_free);
        g_clear_pointer(&p->timer, sd_event_source_disable_unref);
        g_clear_pointer(&p->out_source, sd_event_source_disable_unref);
        g_clear_pointer(&p->err_source, sd_event_source_disable_unref);
        if (p->out_fd >= 0)
                close(p->out_fd);
        if (p->err_fd >= 0)
                close(p->err_fd);
        g_string_free(p->out, TRUE);
        g_string_free(p->err, TRUE);
        g_free(p);
}

/* --- the blocking run --- */

int vmmd_process_run_sync(const char *const *argv, unsigned timeout_ms, char **ret_out, char **ret_err) {
        g_autoptr(GString) out = g_string_new(NULL);
        g_autoptr(GString) err = g_string_new(NULL);
        int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
        int status = 0, r = 0;
        bool out_open = true, err_open = true;
        pid_t pid;

        if (pipe2(out_pipe, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(err_pipe, O_CLOEXEC) < 0) {
                r = -errno;
                close_pair(out_pipe);
                return r;
        }
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close_pair(out_pipe);
                close_pair(err_pipe);
                return r;
        }
        if (pid == 0) {
                child_setup(out_pipe[1], err_pipe[1], NULL);
                execvp(argv[0], (char *const *) argv);
                dprintf(2, "cannot execute %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        close(out_pipe[1]);
        close(err_pipe[1]);
        (void) fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
        (void) fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
        while (out_open || err_open) {
                struct pollfd pfd[2] = { { .fd = out_open ? out_pipe[0] : -1, .events = POLLIN },
                                         { .fd = err_open ? err_pipe[0] : -1, .events = POLLIN } };
                gint64 left = (deadline - g_get_monotonic_time()) / 1000;

                if (left <= 0) {
                        r = -ETIMEDOUT;
                        break;
                }
                if (poll(pfd, 2, (int) left) < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
                if (pfd[0].revents) {
                        drain(out_pipe[0], out, OUT_CAP);
                        if (pfd[0].revents & (POLLHUP | POLLERR))
                                out_open = false;
                }
                if (pfd[1].revents) {
                        drain(err_pipe[0], err, ERR_CAP);
                        if (pfd[1].revents & (POLLHUP | POLLERR))
                                err_open = false;
                }
        }
        close(out_pipe[0]);
        close(err_pipe[0]);
        if (r < 0) {
                kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                log_warning("%s did not finish within %u ms; killed", argv[0], timeout_ms);
                return r;
        }
        (void) waitpid(pid, &status, 0);
        if (ret_out)
                *ret_out = g_string_free(g_steal_pointer(&out), FALSE);
        if (ret_err)
                *ret_err = g_strchomp(g_string_free(g_steal_pointer(&err), FALSE));
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
