/* vmmd-nwfilter: the network filter daemon (filters and their bindings to guest ports, rendered to nftables). */
#include <stdlib.h>

#include "daemon.h"
#include "nwfilter-dbus.h"

static void *create(VmmdPaths *paths, const VmmdRuntime *rt, GError **error) {
        /* the standard filter set; tests run the build tree's copy */
        const char *shipped = getenv("VMMD_NWFILTER_SHIPPED_DIR");

        return manager_new(paths, rt->event, shipped ? shipped : VMMD_NWFILTER_SHIPPED_DIR);
}

static void destroy(void *m) {
        manager_set_listener(m, NULL, NULL);   /* the bus is gone: nothing to tell */
        manager_free(m);
}

static const VmmdDaemon nwfilter_daemon = {
        .name = "vmmd-nwfilter", .summary = "Manages network filters and applies them to guest ports on D-Bus.",
        .driver = "nwfilter", .bus_name = NWFILTER_BUS_NAME, .pid_lock = true, .create = create,
        .load = (void (*)(void *)) manager_load,
        .register_bus = (int (*)(void *, sd_bus *)) nwfilter_bus_register,
        .start = (void (*)(void *)) manager_start,
        .busy = (bool (*)(void *)) manager_is_busy, .destroy = destroy,
};

int main(int argc, char *argv[]) {
        return vmmd_daemon_main(&nwfilter_daemon, argc, argv);
}
