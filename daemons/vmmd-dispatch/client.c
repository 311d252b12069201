/* One client connection: peer credentials, reading framed messages without blocking, the ordered output queue, keepalive. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "dispatch-names.h"
#include "dispatch.h"
#include "log.h"
#include "rpc-message.h"
#include "stream.h"

static int client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);

/* RW socket: root, the dispatcher's own user (a session instance), or the admin group. */
static bool peer_privileged(Server *s, int fd, uid_t uid, gid_t gid) {
        gid_t groups[256];
        socklen_t len = sizeof(groups);

        if (uid == 0 || uid == geteuid())
                return true;
        if (s->admin_gid == (gid_t) -1)
                return false;
        if (gid == s->admin_gid)
                return true;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
                return false;
        for (size_t i = 0; i < len / sizeof(gid_t); i++)
                if (groups[i] == s->admin_gid)
                        return true;
        return false;
}

Client *client_new(Server *s, int fd, bool readonly) {
        Client *c = g_new0(Client, 1);
        struct ucred cred = { .uid = (uid_t) -1, .gid = (gid_t) -1 };
        socklen_t len = sizeof(cred);
        int r;

        c->refs = 1;
        c->server = s;
        c->fd = fd;
        c->readonly = readonly;
        c->callbacks = g_array_new(FALSE, TRUE, sizeof(EventCallback));
        c->next_callback_id = 1;
        g_queue_init(&c->out);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                cred.uid = (uid_t) -1;
        c->uid = cred.uid;
        if (!readonly && !peer_privileged(s, fd, cred.uid, cred.gid))
                c->denied = true;
        log_debug("client fd %d uid %d%s%s", fd, (int) cred.uid, readonly ? " (read-only)" : "",
                  c->denied ? " (denied)" : "");
        r = sd_event_add_io(s->event, &c->io, fd, EPOLLIN, client_io, c);
        if (r < 0) {
                log_error("cannot watch client socket: %s", g_strerror(-r));
                close(fd);
                g_array_unref(c->callbacks);
                g_free(c);
                return NULL;
        }
        return c;
}

Client *client_ref(Client *c) {
        c->refs++;
        return c;
}

void client_unref(Client *c) {
        if (!c || --c->refs > 0)
                return;
        g_queue_clear_full(&c->out, (GDestroyNotify) g_bytes_unref);
        g_array_unref(c->callbacks);
        g_free(c->msg);
        g_free(c->uri);
        g_free(c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Client, client_unref)

/* Pending calls keep the Client alive; their replies are dropped once it is closed. */
void client_close(Client *c) {
        if (c->closed)
                return;
        c->closed = true;
        c->io = sd_event_source_disable_unref(c->io);
        streams_free(c);
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        server_client_gone(c->server, c);
        client_unref(c);
}

static void update_events(Client *c) {
        if (!c->closed)
                sd_event_source_set_io_events(c->io, g_queue_is_empty(&c->out) ? EPOLLIN : EPOLLIN | EPOLLOUT);
}

void client_send(Client *c, GBytes *msg) {
        if (!msg)
                return;
        if (c->closed) {
                g_bytes_unref(msg);
                return;
        }
        g_queue_push_tail(&c->out, msg);
        update_events(c);
}

static void send_error(Client *c, const vr_header *h, int code, const char *message) {
        client_send(c, vr_error_encode(h, code, VR_FROM_RPC, message));
}

/* One whole message is in c->msg. */
static void handle_message(Client *c) {
        vr_header h;

        if (!vr_header_decode(c->msg, c->msg_len, &h)) {
                client_close(c);
                return;
        }
        if (h.prog == VR_KEEPALIVE_PROGRAM) {
                if (h.vers == VR_KEEPALIVE_VERSION && h.proc == VR_KEEPALIVE_PING && h.type == VR_MESSAGE) {
                        vr_header pong = { .prog = VR_KEEPALIVE_PROGRAM, .vers = VR_KEEPALIVE_VERSION,
                                           .proc = VR_KEEPALIVE_PONG, .type = VR_MESSAGE, .status = VR_OK };
                        client_send(c, vr_message_encode(&pong, NULL, NULL));
                }
                /* a PONG answers our own pings (we send none); anything else is ignored */
                return;
        }
        if ((h.type == VR_STREAM || h.type == VR_STREAM_HOLE) && h.prog == VR_PROGRAM) {
                stream_from_client(c, &h, c->msg + VR_HEADER_SIZE, c->msg_len - VR_HEADER_SIZE);
                return;
        }
        if (h.type != VR_CALL) {
                /* calls with fds are not served */
                if (h.type == VR_CALL_WITH_FDS)
                        send_error(c, &h, VR_ERR_NO_SUPPORT,
                                   "this function is not supported by the connection driver: passing file descriptors");
                return;
        }
        if (h.prog != VR_PROGRAM || h.vers != VR_PROGRAM_VERSION) {
                g_autofree char *msg = g_strdup_printf("cannot find program %u version %u", h.prog, h.vers);
                send_error(c, &h, VR_ERR_RPC, msg);
                return;
        }
        call_start(c, &h, c->msg + VR_HEADER_SIZE, c->msg_len - VR_HEADER_SIZE);
}

/* Reads what is there; a whole message is handled as soon as it is complete. */
static int client_read(Client *c) {
        for (;;) {
                ssize_t n;

                if (c->len_fill < sizeof(c->len_buf)) {
                        n = read(c->fd, c->len_buf + c->len_fill, sizeof(c->len_buf) - c->len_fill);
                        if (n < 0)
                                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
                        if (n == 0)
                                return -ECONNRESET;
                        c->len_fill += n;
                        if (c->len_fill < sizeof(c->len_buf))
                                continue;
                        int64_t len = vr_frame_length(c->len_buf);
                        if (len < 0) {
                                /* nothing is allocated for a frame whose length is out of range */
                                log_debug("client fd %d: frame length out of range, closing", c->fd);
                                return -EMSGSIZE;
                        }
                        c->msg_len = len;
                        c->msg_fill = 0;
                        c->msg = g_malloc(len);
                }
                n = read(c->fd, c->msg + c->msg_fill, c->msg_len - c->msg_fill);
                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
                if (n == 0)
                        return -ECONNRESET;
                c->msg_fill += n;
                if (c->msg_fill < c->msg_len)
                        continue;
                handle_message(c);
                g_clear_pointer(&c->msg, g_free);
                c->len_fill = 0;
                if (c->closed)
                        return -ECONNRESET;
        }
}

static int client_write(Client *c) {
        while (!g_queue_is_empty(&c->out)) {
                GBytes *b = g_queue_peek_head(&c->out);
                size_t size;
                const uint8_t *data = g_bytes_get_data(b, &size);
                ssize_t n = send(c->fd, data + c->out_offset, size - c->out_offset, MSG_NOSIGNAL);

                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
                c->out_offset += n;
                if (c->out_offset < size)
                        continue;
                g_bytes_unref(g_queue_pop_head(&c->out));
                c->out_offset = 0;
        }
        /* streams held back while the queue was long read again */
        streams_resume(c);
        return 0;
}

static int client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        /* held across the handlers, which may close (and so unref) the client */
        g_autoptr(Client) c = client_ref(userdata);
        int r = 0;

        if (revents & EPOLLOUT)
                r = client_write(c);
        if (r >= 0 && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
                r = client_read(c);
        if (r < 0 || c->closed) {
                client_close(c);
                return 0;
        }
        /* replies made while reading go out at once when the socket takes them */
        r = client_write(c);
        if (r < 0) {
                client_close(c);
                return 0;
        }
        update_events(c);
        return 0;
}
