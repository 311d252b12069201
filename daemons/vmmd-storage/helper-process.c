/* Helper processes for long storage work: a forked C function or an exec'd program, watched on sd-event. */
#include "helper-process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

struct Helper {
        pid_t pid;
        int pidfd;
        int out_fd;            /* read end of the child's stderr (and stdout) */
        sd_event_source *exit_source;
        sd_event_source *out_source;
        GString *output;
        HelperDoneFunc done;
        void *userdata;
};

/* The child's side of a fork: signals back to default, output to the pipe, nothing of the
 * daemon's but the descriptors the work needs. */
static void child_setup(int out_fd, bool with_stdout) {
        sigset_t none;
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_IGN);   /* a closed client pipe is EPIPE, reported as such */
        if (null >= 0)
                dup2(null, 0);
        dup2(with_stdout ? out_fd : null, 1);
        dup2(out_fd, 2);
}

static void read_output(Helper *h) {
        char buf[4096];
        ssize_t n;

        while ((n = read(h->out_fd, buf, sizeof(buf))) > 0)
                if (h->output->len < 64 * 1024)   /* enough for any error message */
                        g_string_append_len(h->output, buf, n);
}

static int on_output(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Helper *h = userdata;

        read_output(h);
        if (revents & (EPOLLHUP | EPOLLERR))
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        return 0;
}

static int on_exit_pidfd(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Helper *h = userdata;
        siginfo_t si = { 0 };
        int code = -1;

        if (waitid(P_PIDFD, (id_t) h->pidfd, &si, WEXITED) == 0 && si.si_code == CLD_EXITED)
                code = si.si_status;
        h->pid = 0;
        (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
        read_output(h);
        g_strchomp(h->output->str);
        h->output->len = strlen(h->output->str);
        if (h->done)
                h->done(h, code, h->output->str, h->userdata);
        return 0;
}

static int helper_watch(sd_event *event, Helper *h) {
        int r;

        h->pidfd = (int) syscall(SYS_pidfd_open, h->pid, 0);
        if (h->pidfd < 0)
                return -errno;
        r = sd_event_add_io(event, &h->out_source, h->out_fd, EPOLLIN, on_output, h);
        if (r < 0)
                return r;
        /* after the output source, so that the last words are read before done runs */
        r = sd_event_add_io(event, &h->exit_source, h->pidfd, EPOLLIN, on_exit_pidfd, h);
        if (r < 0)
                return r;
        return sd_event_source_set_priority(h->exit_source, SD_EVENT_PRIORITY_IDLE);
}

static Helper *helper_new(HelperDoneFunc done, void *userdata) {
        Helper *h = g_new0(Helper, 1);

        h->pidfd = -1;
        h->out_fd = -1;
        h->output = g_string_new(NULL);
        h->done = done;
        h->userdata = userdata;
        return h;
}

static int helper_fork(sd_event *event, HelperFunc fn, void *data, int *keep_fd, const char *const *argv,
                       HelperDoneFunc done, void *userdata, Helper **ret) {
        g_autoptr(Helper) h = helper_new(done, userdata);
        int fds[2];
        int r;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return -errno;
        h->pid = fork();
        if (h->pid < 0) {
                r = -errno;
                close(fds[0]);
                close(fds[1]);
                return r;
        }
        if (h->pid == 0) {
                close(fds[0]);
                child_setup(fds[1], argv != NULL);
                if (keep_fd && *keep_fd >= 0) {
                        if (*keep_fd == 3)
                                (void) fcntl(3, F_SETFD, 0);
                        else
                                (void) dup2(*keep_fd, 3);
                        *keep_fd = 3;
                }
                (void) syscall(SYS_close_range, keep_fd && *keep_fd >= 0 ? 4 : 3, ~0U, 0);
                if (argv) {
                        execvp(argv[0], (char *const *) argv);
                        dprintf(2, "cannot execute %s: %s\n", argv[0], strerror(errno));
                        _exit(127);
                }
                _exit(fn(data));
        }
        close(fds[1]);
        h->out_fd = fds[0];
        (void) fcntl(h->out_fd, F_SETFL, O_NONBLOCK);
        r = helper_watch(event, h);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&h);
        return 0;
}

int helper_start(sd_event *event, HelperFunc fn, void *data, int *keep_fd, HelperDoneFunc done, void *userdata,
                 Helper **ret) {
        return helper_fork(event, fn, data, keep_fd, NULL, done, userdata, ret);
}

int helper_exec(sd_event *event, const char *const *argv, HelperDoneFunc done, void *userdata, Helper **ret) {
        return helper_fork(event, NULL, NULL, NULL, argv, done, userdata, ret);
}

void helper_free(Helper *h) {
        if (!h)
                return;
        if (h->pid > 0 && h->pidfd >= 0) {
                siginfo_t si;
                (void) syscall(SYS_pidfd_send_signal, h->pidfd, SIGKILL, NULL, 0);
                (void) waitid(P_PIDFD, (id_t) h->pidfd, &si, WEXITED);
        }
        g_clear_pointer(&h->exit_source, sd_event_source_disable_unref);
        g_clear_pointer(&h->out_source, sd_event_source_disable_unref);
        if (h->pidfd >= 0)
                close(h->pidfd);
        if (h->out_fd >= 0)
                close(h->out_fd);
        g_string_free(h->output, TRUE);
        g_free(h);
}

static void drain_into(int fd, GString *s) {
        char buf[4096];
        ssize_t n;

        while ((n = read(fd, buf, sizeof(buf))) > 0)
                g_string_append_len(s, buf, n);
}

int helper_run_sync(const char *const *argv, unsigned timeout_ms, char **ret_out, char **ret_err) {
        g_autoptr(GString) out = g_string_new(NULL);
        g_autoptr(GString) err = g_string_new(NULL);
        int out_pipe[2], err_pipe[2];
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
        int status = 0, r = 0;
        bool out_open = true, err_open = true;
        pid_t pid;

        if (pipe2(out_pipe, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(err_pipe, O_CLOEXEC) < 0) {
                r = -errno;
                close(out_pipe[0]);
                close(out_pipe[1]);
                return r;
        }
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(out_pipe[0]);
                close(out_pipe[1]);
                close(err_pipe[0]);
                close(err_pipe[1]);
                return r;
        }
        if (pid == 0) {
                child_setup(err_pipe[1], false);
                dup2(out_pipe[1], 1);
                (void) syscall(SYS_close_range, 3, ~0U, 0);
                execvp(argv[0], (char *const *) argv);
                dprintf(2, "cannot execute %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        close(out_pipe[1]);
        close(err_pipe[1]);
        (void) fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
        (void) fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
        while (out_open || err_open) {
                struct pollfd p[2] = { { .fd = out_open ? out_pipe[0] : -1, .events = POLLIN },
                                       { .fd = err_open ? err_pipe[0] : -1, .events = POLLIN } };
                gint64 left = (deadline - g_get_monotonic_time()) / 1000;

                if (left <= 0) {
                        r = -ETIMEDOUT;
                        break;
                }
                if (poll(p, 2, (int) left) < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
                if (p[0].revents) {
                        drain_into(out_pipe[0], out);
                        if (p[0].revents & (POLLHUP | POLLERR))
                                out_open = false;
                }
                if (p[1].revents) {
                        drain_into(err_pipe[0], err);
                        if (p[1].revents & (POLLHUP | POLLERR))
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
