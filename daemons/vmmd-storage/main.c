/* vmmd-storage: the storage pool and volume daemon. */
#include "daemon.h"
#include "storage-dbus.h"

static void *create(VmmdPaths *paths, const VmmdRuntime *rt, GError **error) {
        Manager *m = manager_new(paths);
        m->event = rt->event;
        m->bus = rt->bus;
        return m;
}

static void destroy(void *m) {
        manager_set_listener(m, NULL, NULL);   /* the bus is gone: nothing to tell */
        manager_free(m);
}

static const VmmdDaemon storage_daemon = {
        .name = "vmmd-storage", .summary = "Manages storage pools and volumes on D-Bus.", .driver = "storage",
        .bus_name = STORAGE_BUS_NAME, .pid_lock = true, .create = create, .load = (void (*)(void *)) manager_load,
        .register_bus = (int (*)(void *, sd_bus *)) storage_bus_register,
        .start = (void (*)(void *)) manager_autostart, .busy = (bool (*)(void *)) manager_is_busy, .destroy = destroy,
};

int main(int argc, char *argv[]) {
        return vmmd_daemon_main(&storage_daemon, argc, argv);
}
