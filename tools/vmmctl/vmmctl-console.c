/* vmmctl console: attaches the terminal to a domain's serial console through the fd Domain.OpenConsole hands over. */
#include "vmmctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"

#define ESCAPE_CHAR 0x1d        /* Ctrl-], as virsh */

static volatile sig_atomic_t console_quit;

static void on_quit_signal(int sig) {
        console_quit = sig;
}

typedef struct Console {
        const char *path;
        bool stopped;
} Console;

static int on_domain_event(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Console *c = userdata;
        const char *path = NULL;
        int32_t event = -1, detail = -1;

        if (sd_bus_message_read(m, "oii", &path, &event, &detail) >= 0 && g_str_equal(path, c->path) &&
            event == DOMAIN_EVENT_STOPPED)
                c->stopped = true;
        return 0;
}

static int write_all(int fd, const char *buf, size_t n) {
        while (n > 0) {
                ssize_t w = write(fd, buf, n);

                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN) {
                                struct pollfd p = { .fd = fd, .events = POLLOUT };
                                (void) poll(&p, 1, 1000);
                                continue;
                        }
                        return -errno;
                }
                buf += w;
                n -= (size_t) w;
        }
        return 0;
}

/* Copies the console to stdout and the keyboard to the console until Ctrl-], the console
 * closes (QEMU exited), or the domain stops. A <serial type='file'> console comes as the
 * file, read-only: it is followed like `tail -f`. */
static int relay(Ctl *ctl, Console *c, int fd, bool follow_file) {
        bool tty = isatty(STDIN_FILENO);
        bool stdin_open;
        struct termios saved, raw;
        struct sigaction sa = { .sa_handler = on_quit_signal };
        char buf[4096];
        int ret = 0;

        sigemptyset(&sa.sa_mask);
        (void) sigaction(SIGTERM, &sa, NULL);
        (void) sigaction(SIGHUP, &sa, NULL);
        (void) sigaction(SIGINT, &sa, NULL);
        if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
                raw = saved;
                cfmakeraw(&raw);
                (void) tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
        } else
                tty = false;
        /* Only a terminal can type Ctrl-] into a read-only (file) console. */
        stdin_open = follow_file ? tty : true;

        while (!console_quit && !c->stopped) {
                struct pollfd p[2] = {
                        { .fd = fd, .events = follow_file ? 0 : POLLIN },
                        { .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
                };
                int n;

                while (sd_bus_process(ctl->bus, NULL) > 0)
                        ;
                if (follow_file) {
                        ssize_t r = read(fd, buf, sizeof(buf));
                        if (r > 0) {
                                if (write_all(STDOUT_FILENO, buf, (size_t) r) < 0)
                                        break;
                                continue;
                        }
                }
                n = poll(p, 2, 200);
                if (n < 0 && errno != EINTR) {
                        ret = -errno;
                        break;
                }
                if (n <= 0)
                        continue;
                if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t r = read(fd, buf, sizeof(buf));
                        /* EIO: the pty's other side (QEMU) went away */
                        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
                                break;
                        if (r > 0 && write_all(STDOUT_FILENO, buf, (size_t) r) < 0)
                                break;
                }
                if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
                        ssize_t r = read(STDIN_FILENO, buf, sizeof(buf));
                        char *esc;

                        if (r <= 0) {
                                /* end of a piped stdin: keep showing the console */
                                stdin_open = false;
                                continue;
                        }
                        esc = memchr(buf, ESCAPE_CHAR, (size_t) r);
                        if (esc)
                                r = esc - buf;
                        if (r > 0 && !follow_file && write_all(fd, buf, (size_t) r) < 0)
                                break;
                        if (esc)
                                break;
                }
        }
        if (tty)
                (void) tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        return ret;
}

int ctl_console_attach(Ctl *ctl, const char *dom, const char *device, uint32_t flags) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(sd_bus_slot) slot = NULL;
        g_autofree char *path = NULL;
        g_autoptr(CtlDomainInfo) info = NULL;
        Console c = { 0 };
        struct stat st;
        int fd = -1, r;

        /* start --console passes the object path it already has */
        if (dom[0] == '/')
                path = g_strdup(dom);
        else if ((r = ctl_domain_lookup(ctl, dom, &path)) < 0)
                return r;
        c.path = path;
        /* subscribe first, so a stop right after we attach is not missed */
        r = sd_bus_match_signal(ctl->bus, &slot, QEMU_BUS_NAME, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE,
                                "DomainEvent", on_domain_event, &c);
        if (r < 0) {
                ctl_error("cannot subscribe to events: %s", g_strerror(-r));
                return r;
        }
        r = ctl_call(ctl, path, QEMU_DOMAIN_INTERFACE, "OpenConsole", &reply, "su", device ? device : "", flags);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "h", &fd);
        if (r < 0) {
                ctl_error("unexpected reply: %s", g_strerror(-r));
                return r;
        }
        /* the message owns fd; take our own copy */
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) {
                ctl_error("cannot duplicate the console fd: %s", g_strerror(errno));
                return -errno;
        }
        (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (ctl_domain_info_get_full(ctl, path, true, &info) >= 0 && *info->name)
                dom = info->name;

        bool is_file = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
        printf("Connected to domain '%s'\n", dom);
        if (is_file)
                printf("The console is a file (read-only); following it\n");
        printf("Escape character is ^] (Ctrl + ])\n");
        fflush(stdout);
        r = relay(ctl, &c, fd, is_file);
        close(fd);
        /* The console closes when QEMU exits, a moment before the event says why. */
        for (gint64 until = g_get_monotonic_time() + G_USEC_PER_SEC / 2;
             !c.stopped && !console_quit && r >= 0 && g_get_monotonic_time() < until;)
                if (sd_bus_process(ctl->bus, NULL) == 0)
                        (void) sd_bus_wait(ctl->bus, 50 * 1000);
        printf(c.stopped ? "\nDomain '%s' stopped\n" : "\n", dom);
        return r;
}

static int cmd_console(Ctl *ctl, const CtlArgs *args) {
        return ctl_console_attach(ctl, ctl_args_pos(args, 0), ctl_args_get(args, "devname"), args->flags);
}

static const CtlOpt console_opts[] = {
        { "devname", "NAME", 0, "serial0, serial1, … or console0 (default: the first serial port)" },
        { "force", NULL, 1, "take the console even if another client has it" },
        { "safe", NULL, 2, "only connect if the console can be used safely" },
        { 0 }
};

const CtlCommand ctl_console_commands[] = {
        { "console", cmd_console, "DOMAIN [--devname NAME] [--force] [--safe]",
          "attach to a domain's serial console (Ctrl-] to leave)", console_opts, 1, 1 },
        { 0 }
};
