/* vmmd-network: the virtual network daemon. */
#include "daemon.h"
#include "network-dbus.h"
#include "vmmd/network1.h"

static void *create(VmmdPaths *paths, const VmmdRuntime *rt, GError **error) {
        NetManager *m = net_manager_new(paths);

        m->event = rt->event;
        return m;
}

static void destroy(void *m) {
        net_manager_set_listener(m, NULL, NULL);   /* the bus is gone: nothing to tell */
        net_manager_free(m);
}

static const VmmdDaemon network_daemon = {
        .name = "vmmd-network", .summary = "Manages virtual networks on D-Bus.", .driver = "network",
        .bus_name = NETWORK_BUS_NAME, .pid_lock = true, .create = create,
        .load = (void (*)(void *)) net_manager_load,
        .register_bus = (int (*)(void *, sd_bus *)) network_bus_register,
        .start = (void (*)(void *)) net_manager_autostart, .destroy = destroy,
};

int main(int argc, char *argv[]) {
        return vmmd_daemon_main(&network_daemon, argc, argv);
}
