/* vmmd-qemu: the QEMU/KVM domain daemon. */
#include "daemon.h"
#include "domain-lifecycle.h"
#include "qemu-dbus.h"

static void *create(VmmdPaths *paths, const VmmdRuntime *rt, GError **error) {
        Manager *m = manager_new(paths);
        m->event = rt->event;
        m->bus = rt->bus;   /* a client of vmmd-storage too (volume disks) */
        return m;
}

static void start(void *m) {
        manager_reattach_domains(m);
        manager_autostart_domains(m);
}

static const VmmdDaemon qemu_daemon = {
        .name = "vmmd-qemu", .summary = "Manages QEMU/KVM domains on D-Bus.", .driver = "qemu",
        .bus_name = QEMU_BUS_NAME, .pid_lock = true, .create = create, .load = (void (*)(void *)) manager_load_domains,
        .register_bus = (int (*)(void *, sd_bus *)) manager_bus_register, .start = start,
        .busy = (bool (*)(void *)) manager_is_busy, .destroy = (void (*)(void *)) manager_free,
};

int main(int argc, char *argv[]) {
        return vmmd_daemon_main(&qemu_daemon, argc, argv);
}
