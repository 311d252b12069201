/* vmmd-qemu: the QEMU/KVM domain daemon. */
#include <stdlib.h>

#include "bus-runtime.h"
#include "error.h"
#include "log.h"
#include "domain-lifecycle.h"
#include "qemu-dbus.h"

int main(int argc, char *argv[]) {
        g_auto(VmmdDaemonOptions) opts = { 0 };
        g_autoptr(GError) error = NULL;
        g_autoptr(Manager) m = NULL;
        VmmdRuntime rt = { 0 };
        int r;

        if (!vmmd_daemon_options_parse(&opts, &argc, &argv, "Manages QEMU/KVM domains on D-Bus.", &error)) {
                g_printerr("vmmd-qemu: %s\n", error->message);
                return EXIT_FAILURE;
        }
        vmmd_log_setup("vmmd-qemu", opts.verbose);
        m = manager_new(vmmd_paths_new("qemu", vmmd_daemon_options_is_session(&opts), opts.root));
        r = vmmd_runtime_open(&rt, &opts);
        if (r < 0) {
                log_error("cannot connect to the bus: %s", g_strerror(-r));
                return EXIT_FAILURE;
        }
        m->event = rt.event;
        m->bus = rt.bus;
        manager_load_domains(m);
        rt.busy = (VmmdBusyFunc) manager_is_busy;
        rt.busy_userdata = m;
        r = manager_bus_register(m);
        if (r >= 0) {
                manager_reattach_domains(m);
                manager_autostart_domains(m);
        }
        if (r >= 0)
                r = vmmd_runtime_run(&rt, QEMU_BUS_NAME);
        if (r < 0)
                log_error("%s", g_strerror(-r));
        m->bus = NULL;
        vmmd_runtime_close(&rt);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
