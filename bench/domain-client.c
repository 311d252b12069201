/* domain-client: times vmmd-qemu's list calls and its start with many domains, daemon side (raw sd-bus, replies not unmarshalled); bench/domain-scale.sh runs it.
 *
 * Usage:
 *   domain-client ADDRESS lists REPEAT
 *       GetManagedObjects, ListDomains, ListDomainStates and Peer.Ping, REPEAT calls each
 *   domain-client ADDRESS start REPEAT DAEMON [ARG...]
 *       runs DAEMON ARG... REPEAT times: from its exec to its first ListDomains reply, and its
 *       RSS and the CPU time it had used then (start-cpu, all its threads, in 10 ms ticks); each
 *       run is stopped with SIGTERM and waited for with a pidfd
 * Prints one line per row: "ROW name median min max" (ms, or KiB for rss), and before each list
 * row "CPU name daemon MS bus MS": the mean CPU time one call cost vmmd-qemu and dbus-daemon.
 * The client only receives each reply (sd-bus checks its header, not its body), so a row is the
 * daemon's work plus two hops through dbus-daemon; "ping" is those hops alone. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>

#include "bench-rows.h"
#include <time.h>
#include <unistd.h>

#define SERVICE "org.vmmd.qemu1"
#define MANAGER "/org/vmmd/qemu1"

static sd_bus *bus;

static void die(const char *what, const sd_bus_error *e, int r) {
        fprintf(stderr, "domain-client: %s: %s\n", what, e && e->message ? e->message : strerror(-r));
        exit(1);
}

/* one call; with auto_start off a missing daemon is an error instead of an activation */
static int call(const char *path, const char *iface, const char *method, int auto_start, sd_bus_error *e) {
        sd_bus_message *m = NULL, *reply = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, SERVICE, path, iface, method);
        if (r >= 0 && (strcmp(method, "ListDomains") == 0 || strcmp(method, "ListDomainStates") == 0))
                r = sd_bus_message_append(m, "u", 0u);
        if (r >= 0)
                r = sd_bus_message_set_auto_start(m, auto_start);
        if (r < 0)
                die(method, NULL, r);
        r = sd_bus_call(bus, m, 120 * 1000 * 1000ull, e, &reply);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        return r;
}

/* ns a process has run on a CPU, from the scheduler's own account (not the 10 ms ticks of
 * /proc/PID/stat): on a shared machine CPU time says more than wall time */
static double cpu_ms(pid_t pid) {
        char file[64];
        unsigned long long ns = 0;
        FILE *f;

        if (pid <= 0)
                return 0;
        snprintf(file, sizeof(file), "/proc/%d/schedstat", (int) pid);
        f = fopen(file, "r");
        if (!f)
                return 0;
        if (fscanf(f, "%llu", &ns) != 1)
                ns = 0;
        fclose(f);
        return (double) ns / 1e6;
}

static pid_t owner_pid(const char *name) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        uint32_t pid = 0;

        if (sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetConnectionUnixProcessID", &e, &reply, "s", name) >= 0)
                (void) sd_bus_message_read(reply, "u", &pid);
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        return (pid_t) pid;
}

static pid_t daemon_pid, bus_pid;

static void time_calls(const char *name, const char *path, const char *iface, const char *method, int repeat,
                       double *t) {
        double daemon0 = cpu_ms(daemon_pid), bus0 = cpu_ms(bus_pid);

        for (int i = 0; i < repeat; i++) {
                sd_bus_error e = SD_BUS_ERROR_NULL;
                double t0 = now_ms();
                int r = call(path, iface, method, 1, &e);

                if (r < 0)
                        die(method, &e, r);
                t[i] = now_ms() - t0;
        }
        if (!name)
                return;
        /* the mean CPU each call cost the daemon and dbus-daemon */
        printf("CPU %s daemon %.3f bus %.3f\n", name, (cpu_ms(daemon_pid) - daemon0) / repeat,
               (cpu_ms(bus_pid) - bus0) / repeat);
        row(name, t, repeat);
}

static long rss_kib(pid_t pid) {
        char file[64], line[256];
        long kib = 0;
        FILE *f;

        snprintf(file, sizeof(file), "/proc/%d/status", (int) pid);
        f = fopen(file, "r");
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "VmRSS:", 6) == 0)
                        kib = strtol(line + 6, NULL, 10);
        fclose(f);
        return kib;
}

/* CPU time of the whole process so far, its threads (the loader's, joined already) included */
static double process_cpu_ms(pid_t pid) {
        char file[64], buf[1024], *p;
        unsigned long long utime = 0, stime = 0;
        FILE *f;
        size_t n;

        snprintf(file, sizeof(file), "/proc/%d/stat", (int) pid);
        f = fopen(file, "r");
        if (!f)
                return 0;
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        /* after the command's closing parenthesis: state is field 3, utime 14, stime 15 */
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
                return 0;
        return (double) (utime + stime) * 1000.0 / (double) sysconf(_SC_CLK_TCK);
}

static void stop_daemon(pid_t pid) {
        int fd = (int) syscall(SYS_pidfd_open, pid, 0);
        struct pollfd p = { .fd = fd, .events = POLLIN };

        kill(pid, SIGTERM);
        if (fd >= 0) {
                if (poll(&p, 1, 60 * 1000) <= 0)
                        kill(pid, SIGKILL);
                close(fd);
        }
        waitpid(pid, NULL, 0);
}

/* exec to first reply: the daemon is our child, its name appears when it has loaded everything */
static void time_start(int repeat, char **argv) {
        double *t = calloc((size_t) repeat, sizeof(double)), *rss = calloc((size_t) repeat, sizeof(double));
        double *cpu = calloc((size_t) repeat, sizeof(double));

        for (int i = 0; i < repeat; i++) {
                double t0 = now_ms();
                pid_t pid = fork();

                if (pid < 0)
                        die("fork", NULL, -errno);
                if (pid == 0) {
                        int null = open("/dev/null", O_WRONLY);

                        /* its log says "received signal 15" each time: not the bench's output */
                        if (null >= 0)
                                dup2(null, STDERR_FILENO);
                        execv(argv[0], argv);
                        _exit(127);
                }
                for (;;) {
                        sd_bus_error e = SD_BUS_ERROR_NULL;
                        int r = call(MANAGER, "org.vmmd.qemu1.Manager", "ListDomains", 0, &e);

                        if (r >= 0)
                                break;
                        if (!sd_bus_error_has_name(&e, "org.freedesktop.DBus.Error.ServiceUnknown") &&
                            !sd_bus_error_has_name(&e, "org.freedesktop.DBus.Error.NameHasNoOwner"))
                                die("ListDomains", &e, r);
                        sd_bus_error_free(&e);
                        if (waitpid(pid, NULL, WNOHANG) == pid)
                                die("the daemon exited before it answered", NULL, -ECHILD);
                        usleep(200);
                }
                t[i] = now_ms() - t0;
                rss[i] = (double) rss_kib(pid);
                cpu[i] = process_cpu_ms(pid);
                stop_daemon(pid);
        }
        row("start-to-first-reply", t, repeat);
        row("rss-kib", rss, repeat);
        /* in clock ticks (10 ms): a figure for large loads */
        row("start-cpu", cpu, repeat);
        free(cpu);
        free(t);
        free(rss);
}

int main(int argc, char **argv) {
        int repeat, r;
        double *t;

        if (argc < 4 || (strcmp(argv[2], "lists") != 0 && strcmp(argv[2], "start") != 0) ||
            (strcmp(argv[2], "start") == 0 && argc < 5)) {
                fprintf(stderr, "usage: domain-client ADDRESS lists REPEAT\n"
                                "       domain-client ADDRESS start REPEAT DAEMON [ARG...]\n");
                return 2;
        }
        repeat = atoi(argv[3]);
        if (repeat < 1)
                repeat = 1;
        if ((r = sd_bus_new(&bus)) < 0 || (r = sd_bus_set_address(bus, argv[1])) < 0 ||
            (r = sd_bus_set_bus_client(bus, 1)) < 0 || (r = sd_bus_start(bus)) < 0)
                die("connecting to the bus", NULL, r);
        if (strcmp(argv[2], "start") == 0) {
                time_start(repeat, argv + 4);
                sd_bus_flush_close_unref(bus);
                return 0;
        }
        t = calloc((size_t) repeat, sizeof(double));
        /* the first call may activate the daemon: not a row */
        time_calls(NULL, MANAGER, "org.freedesktop.DBus.Peer", "Ping", 1, t);
        daemon_pid = owner_pid(SERVICE);
        bus_pid = owner_pid("org.freedesktop.DBus");
        time_calls("ping", MANAGER, "org.freedesktop.DBus.Peer", "Ping", repeat, t);
        time_calls("list-domains", MANAGER, "org.vmmd.qemu1.Manager", "ListDomains", repeat, t);
        time_calls("list-domain-states", MANAGER, "org.vmmd.qemu1.Manager", "ListDomainStates", repeat, t);
        time_calls("get-managed-objects", MANAGER, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", repeat,
                   t);
        free(t);
        sd_bus_flush_close_unref(bus);
        return 0;
}
