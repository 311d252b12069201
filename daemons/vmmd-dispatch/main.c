/* vmmd-dispatch: serves libvirt's remote protocol on the legacy sockets and forwards each call to the vmmd daemons over D-Bus. */
#include <errno.h>

#include "daemon.h"
#include "error.h"
#include "server.h"

static gboolean listen_here;

static const GOptionEntry options[] = {
        { "listen", 0, 0, G_OPTION_ARG_NONE, &listen_here,
          "Bind the sockets here instead of taking them from socket activation", NULL },
        { NULL },
};

/* The server on the sockets: bound here with --listen, else the ones systemd passed. */
static void *create(VmmdPaths *paths, const VmmdRuntime *rt, GError **error) {
        bool session = vmmd_daemon_options_is_session(rt->opts);
        g_autofree char *dir = server_socket_dir(rt->opts->root, session);
        Server *s = g_new0(Server, 1);
        int r;

        /* nothing of its own on disk: the sockets' directory is libvirt's place, not a driver's */
        vmmd_paths_free(paths);
        server_init(s, rt->event, rt->bus, session);
        if (listen_here) {
                r = server_listen(s, dir);
                if (r < 0)
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR, "cannot listen in %s: %s", dir,
                                    g_strerror(-r));
        } else {
                r = server_listen_activated(s) > 0 ? 0 : -EINVAL;
                if (r < 0)
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                                    "no socket was passed: start vmmd-dispatch.socket, or run with --listen");
        }
        if (r < 0) {
                server_done(s);
                g_free(s);
                return NULL;
        }
        return s;
}

static void destroy(void *model) {
        server_done(model);
        g_free(model);
}

static const VmmdDaemon daemon_def = {
        .name = "vmmd-dispatch",
        .summary = "Serves libvirt's remote protocol (virsh, virt-install, libvirt-dbus) in front of the vmmd daemons.\n"
                   "Without --listen the sockets come from socket activation.",
        .driver = "dispatch",
        /* a client of the other daemons: it owns no name, and exits idle once no client is connected */
        .bus_name = NULL,
        .options = options,
        .create = create,
        .busy = (bool (*)(void *)) server_busy,
        .destroy = destroy,
};

int main(int argc, char *argv[]) {
        return vmmd_daemon_main(&daemon_def, argc, argv);
}
