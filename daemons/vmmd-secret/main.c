/* vmmd-secret: the secret daemon (passphrases and keys, sealed at rest). */
#include <sys/prctl.h>

#include "daemon.h"
#include "secret-dbus.h"

static void *create(VmmdPaths *paths, const VmmdRuntime *rt, GError **error) {
        /* X9: no core dump or ptrace by other users may reveal a value or the master key */
        (void) prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        return manager_new(paths);
}

static void destroy(void *m) {
        manager_set_listener(m, NULL, NULL);   /* the bus is gone: nothing to tell */
        manager_free(m);
}

static const VmmdDaemon secret_daemon = {
        .name = "vmmd-secret", .summary = "Manages secrets (sealed at rest) on D-Bus.", .driver = "secret",
        .bus_name = SECRET_BUS_NAME, .pid_lock = true, .create = create, .load = (void (*)(void *)) manager_load,
        .register_bus = (int (*)(void *, sd_bus *)) secret_bus_register,
        .busy = (bool (*)(void *)) manager_is_busy, .destroy = destroy,
};

int main(int argc, char *argv[]) {
        return vmmd_daemon_main(&secret_daemon, argc, argv);
}
