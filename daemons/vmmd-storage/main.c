/* vmmd-storage: the storage pool and volume daemon. */
#include <errno.h>
#include <stdlib.h>

#include "bus-runtime.h"
#include "error.h"
#include "log.h"
#include "storage-dbus.h"

int main(int argc, char *argv[]) {
        g_auto(VmmdDaemonOptions) opts = { 0 };
        g_autoptr(GError) error = NULL;
        g_autoptr(Manager) m = NULL;
        VmmdRuntime rt = { 0 };
        int r;

        if (!vmmd_daemon_options_parse(&opts, &argc, &argv, "Manages storage pools and volumes on D-Bus.", &error)) {
                g_printerr("vmmd-storage: %s\n", error->message);
                return EXIT_FAILURE;
        }
        vmmd_log_setup("vmmd-storage", opts.verbose);
        m = manager_new(vmmd_paths_new("storage", vmmd_daemon_options_is_session(&opts), opts.root));
        r = manager_lock(m);
        if (r < 0) {
                log_error(r == -EBUSY ? "another vmmd-storage is running (driver.pid is locked)" :
                                        "cannot take the driver lock: %s", g_strerror(-r));
                return EXIT_FAILURE;
        }
        r = vmmd_runtime_open(&rt, &opts);
        if (r < 0) {
                log_error("cannot connect to the bus: %s", g_strerror(-r));
                return EXIT_FAILURE;
        }
        m->event = rt.event;
        manager_load(m);
        m->bus = rt.bus;
        rt.busy = (VmmdBusyFunc) manager_is_busy;
        rt.busy_userdata = m;
        r = manager_bus_register(m);
        if (r >= 0)
                manager_autostart(m);
        if (r >= 0)
                r = vmmd_runtime_run(&rt, STORAGE_BUS_NAME);
        if (r < 0)
                log_error("%s", g_strerror(-r));
        m->bus = NULL;
        vmmd_runtime_close(&rt);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
