/* What every daemon's main() does, once: options, log, paths, the single-instance lock, the bus runtime,
 * load → register → start → serve, and "autostart once per boot". */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "fileio.h"
#include "log.h"

int vmmd_pid_lock(const char *run_dir, int *ret_fd) {
        g_autofree char *file = g_build_filename(run_dir, "driver.pid", NULL);
        g_autofree char *pid = NULL;
        int fd, r;

        r = vmmd_mkdir_p(run_dir, 0755);
        if (r < 0)
                return r;
        fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                r = errno == EWOULDBLOCK ? -EBUSY : -errno;
                close(fd);
                return r;
        }
        pid = g_strdup_printf("%d\n", (int) getpid());
        if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0)
                log_warning("cannot write %s: %s", file, g_strerror(errno));
        *ret_fd = fd;
        return 0;
}

static char *read_boot_id(void) {
        g_autofree char *id = NULL;

        if (vmmd_read_file("/proc/sys/kernel/random/boot_id", &id, NULL) < 0)
                return g_strdup("unknown");
        return g_strdup(g_strstrip(id));
}

bool vmmd_autostart_claim(const char *run_dir) {
        g_autofree char *marker = g_build_filename(run_dir, "autostarted", NULL);
        g_autofree char *boot_id = read_boot_id();
        g_autofree char *seen = NULL;
        g_autofree char *data = NULL;
        int r;

        if (vmmd_read_file(marker, &seen, NULL) >= 0 && g_str_equal(g_strstrip(seen), boot_id))
                return false;
        data = g_strconcat(boot_id, "\n", NULL);
        r = vmmd_mkdir_p(run_dir, 0755);
        if (r >= 0)
                r = vmmd_write_file_atomic(marker, data, strlen(data), 0644);
        if (r < 0) {
                log_error("cannot write %s, not autostarting: %s", marker, g_strerror(-r));
                return false;
        }
        return true;
}

int vmmd_daemon_main(const VmmdDaemon *daemon, int argc, char *argv[]) {
        g_auto(VmmdDaemonOptions) opts = { 0 };
        g_autoptr(GError) error = NULL;
        g_autoptr(VmmdPaths) paths = NULL;
        VmmdRuntime rt = { 0 };
        void *model = NULL;
        int lock_fd = -1;
        int r;

        if (!vmmd_daemon_options_parse_with(&opts, &argc, &argv, daemon->summary, daemon->options, &error)) {
                g_printerr("%s: %s\n", daemon->name, error->message);
                return EXIT_FAILURE;
        }
        vmmd_log_setup(daemon->name, opts.verbose);
        paths = vmmd_paths_new(daemon->driver, vmmd_daemon_options_is_session(&opts), opts.root);
        if (daemon->pid_lock) {
                r = vmmd_pid_lock(paths->run_dir, &lock_fd);
                if (r < 0) {
                        if (r == -EBUSY)
                                log_error("another %s is running (driver.pid is locked)", daemon->name);
                        else
                                log_error("cannot take the driver lock: %s", g_strerror(-r));
                        return EXIT_FAILURE;
                }
        }
        r = vmmd_runtime_open(&rt, &opts);
        if (r < 0) {
                log_error("cannot connect to the bus: %s", g_strerror(-r));
                goto out;
        }
        rt.opts = &opts;
        model = daemon->create(g_steal_pointer(&paths), &rt, &error);
        if (!model) {
                log_error("%s", error->message);
                r = -EINVAL;
                goto out;
        }
        if (daemon->load)
                daemon->load(model);
        rt.busy = (VmmdBusyFunc) daemon->busy;
        rt.busy_userdata = model;
        r = daemon->register_bus ? daemon->register_bus(model, rt.bus) : 0;
        if (r >= 0 && daemon->start)
                daemon->start(model);
        if (r >= 0)
                r = vmmd_runtime_run(&rt, daemon->bus_name);
        if (r < 0)
                log_error("%s", g_strerror(-r));
out:
        vmmd_runtime_close(&rt);
        if (model)
                daemon->destroy(model);
        if (lock_fd >= 0)
                close(lock_fd);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
