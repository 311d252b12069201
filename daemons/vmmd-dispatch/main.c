/* vmmd-dispatch: serves libvirt's remote protocol on the legacy sockets and forwards each call to the vmmd daemons over D-Bus. */
#include <stdlib.h>
#include <string.h>

#include "bus-runtime.h"
#include "log.h"
#include "server.h"

int main(int argc, char *argv[]) {
        g_auto(VmmdDaemonOptions) opts = { 0 };
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = NULL;
        VmmdRuntime rt = { 0 };
        Server s = { 0 };
        bool listen = false;
        int r, n = 0;

        /* --listen is ours; the rest are every daemon's options */
        for (int i = 1; i < argc; i++)
                if (g_str_equal(argv[i], "--listen")) {
                        listen = true;
                        memmove(&argv[i], &argv[i + 1], (argc - i) * sizeof(char *));
                        argc--;
                        i--;
                }
        if (!vmmd_daemon_options_parse(&opts, &argc, &argv,
                                       "Serves libvirt's remote protocol (virsh, virt-install, libvirt-dbus) in front of "
                                       "the vmmd daemons.\nWithout --listen the sockets come from socket activation.",
                                       &error)) {
                g_printerr("vmmd-dispatch: %s\n", error->message);
                return EXIT_FAILURE;
        }
        vmmd_log_setup("vmmd-dispatch", opts.verbose);
        r = vmmd_runtime_open(&rt, &opts);
        if (r < 0) {
                log_error("cannot connect to the bus: %s", g_strerror(-r));
                return EXIT_FAILURE;
        }
        server_init(&s, rt.event, rt.bus, rt.idle_usec, vmmd_daemon_options_is_session(&opts));
        dir = server_socket_dir(opts.root, vmmd_daemon_options_is_session(&opts));
        if (listen)
                r = server_listen(&s, dir);
        else if ((n = server_listen_activated(&s)) <= 0)
                log_error("no socket was passed: start vmmd-dispatch.socket, or run with --listen");
        if ((listen && r >= 0) || n > 0)
                r = server_run(&s);
        else
                r = -EINVAL;
        server_done(&s);
        vmmd_runtime_close(&rt);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
