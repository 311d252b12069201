/* vmmd-dispatch's server: the RW and RO sockets (socket activation by name, or bound with --listen), accepting clients; the process around it is common/daemon.c's. */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "config.h"
#include "dispatch.h"
#include "log.h"

typedef struct Listener {
        Server *server;
        int fd;
        bool readonly;
        char *path;        /* bound by us (--listen): removed again on exit */
        sd_event_source *source;
} Listener;

static void listener_free(Listener *l) {
        sd_event_source_disable_unref(l->source);
        if (l->fd >= 0)
                close(l->fd);
        if (l->path)
                unlink(l->path);
        g_free(l->path);
        g_free(l);
}

char *server_socket_dir(const char *root, bool session) {
        if (root)
                return g_build_filename(root, "run", "vmmd", NULL);
        if (session) {
                const char *xdg = g_getenv("XDG_RUNTIME_DIR");

                return g_build_filename(xdg && *xdg ? xdg : g_get_user_runtime_dir(), "vmmd", NULL);
        }
        return g_strdup("/run/vmmd");
}

void server_client_gone(Server *s, Client *c) {
        GList *l = g_list_find(s->clients, c);

        if (l)
                s->clients = g_list_delete_link(s->clients, l);
}

static int on_accept(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Listener *l = userdata;
        Server *s = l->server;
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        Client *c;

        if (cfd < 0) {
                if (errno != EAGAIN && errno != EINTR)
                        log_warning("accept: %s", g_strerror(errno));
                return 0;
        }
        c = client_new(s, cfd, l->readonly);
        if (c)
                s->clients = g_list_prepend(s->clients, c);
        return 0;
}

static int add_listener(Server *s, int fd, bool readonly, const char *path) {
        Listener *l = g_new0(Listener, 1);
        int r;

        l->server = s;
        l->fd = fd;
        l->readonly = readonly;
        l->path = g_strdup(path);
        r = sd_event_add_io(s->event, &l->source, fd, EPOLLIN, on_accept, l);
        if (r < 0) {
                listener_free(l);
                return r;
        }
        g_ptr_array_add(s->listeners, l);
        return 0;
}

/* A socket file left by a dead dispatcher is replaced; a live one is not. */
static int bind_socket(const char *path, mode_t mode, gid_t group) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0) {
                close(fd);
                return -EADDRINUSE;
        }
        close(fd);
        unlink(path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || chmod(path, mode) < 0 ||
            (group != (gid_t) -1 && chown(path, (uid_t) -1, group) < 0 && errno != EPERM) || listen(fd, 64) < 0) {
                r = -errno;
                close(fd);
                return r;
        }
        return fd;
}

int server_listen(Server *s, const char *dir) {
        g_autofree char *rw = g_build_filename(dir, "libvirt-sock", NULL);
        g_autofree char *ro = g_build_filename(dir, "libvirt-sock-ro", NULL);
        bool group = s->admin_gid != (gid_t) -1 && geteuid() == 0;
        int fd, r;

        if (g_mkdir_with_parents(dir, 0755) < 0)
                return -errno;
        fd = bind_socket(rw, group ? 0660 : 0600, group ? s->admin_gid : (gid_t) -1);
        if (fd < 0) {
                log_error("cannot listen on %s: %s", rw, g_strerror(-fd));
                return fd;
        }
        r = add_listener(s, fd, false, rw);
        if (r < 0)
                return r;
        fd = bind_socket(ro, 0666, (gid_t) -1);
        if (fd < 0) {
                log_error("cannot listen on %s: %s", ro, g_strerror(-fd));
                return fd;
        }
        return add_listener(s, fd, true, ro);
}

int server_listen_activated(Server *s) {
        char **names = NULL;
        int n = sd_listen_fds_with_names(true, &names);

        for (int i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;
                /* FileDescriptorName= in the socket unit: the read-only one ends in "-ro" */
                bool readonly = names && names[i] && g_str_has_suffix(names[i], "-ro");

                fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
                add_listener(s, fd, readonly, NULL);
        }
        g_strfreev(names);
        return n;
}

int server_init(Server *s, sd_event *event, sd_bus *bus, bool session) {
        /* the same group the daemons let change things (common/caller.c) */
        const char *admin = getenv("VMMD_ADMIN_GROUP");
        struct group *g = getgrnam(admin && *admin ? admin : VMMD_ADMIN_GROUP);

        s->event = event;
        s->bus = bus;
        s->listeners = g_ptr_array_new_with_free_func((GDestroyNotify) listener_free);
        s->default_uri = g_strdup(session ? "qemu:///session" : "qemu:///system");
        s->admin_gid = g ? g->gr_gid : (gid_t) -1;
        events_init(s);
        /* a client gone mid-reply is an EPIPE, not a dead dispatcher */
        signal(SIGPIPE, SIG_IGN);
        return 0;
}

bool server_busy(Server *s) {
        return s->clients != NULL;
}

void server_done(Server *s) {
        while (s->clients)
                client_close(s->clients->data);
        events_free(s);
        g_clear_pointer(&s->listeners, g_ptr_array_unref);
        g_clear_pointer(&s->default_uri, g_free);
}
