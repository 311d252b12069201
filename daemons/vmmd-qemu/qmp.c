/* A QMP client on sd-event. */
#include "qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

typedef struct QmpPending {
        char *id;
        char *line;            /* serialized command, sent when it reaches the head */
        int fd;                /* to pass with it, or -1 */
        bool sent;
        QmpReplyFunc cb;
        void *userdata;
} QmpPending;

struct Qmp {
        sd_event_source *io;
        int fd;
        bool negotiated;
        bool closed;
        GString *inbuf;
        GString *outbuf;        /* bytes of the command at the head not yet written */
        int out_fd;             /* fd to pass with the first byte of outbuf */
        GQueue *queue;          /* QmpPending*, in order: sent ones first */
        unsigned next_id;
        QmpEventFunc on_event;
        QmpClosedFunc on_closed;
        void *userdata;
        GDestroyNotify userdata_free;
};

static void pending_free(QmpPending *p) {
        g_free(p->id);
        g_free(p->line);
        if (p->fd >= 0)
                close(p->fd);
        g_free(p);
}

static void qmp_update_events(Qmp *q) {
        uint32_t ev = EPOLLIN;

        if (q->outbuf->len > 0)
                ev |= EPOLLOUT;
        if (q->io)
                (void) sd_event_source_set_io_events(q->io, ev);
}

/* Moves the next unsent command into the output buffer (one at a time, so a passed fd
 * travels with the right command). Nothing waits for the greeting or for the reply to
 * qmp_capabilities: QEMU reads what it is sent once it accepted the connection and runs
 * the commands in order, qmp_capabilities (always first in the queue) before the rest, so
 * a start's commands are already in QEMU's queue when its main loop begins. */
static void qmp_fill_output(Qmp *q) {
        if (q->outbuf->len > 0)
                return;
        for (GList *l = q->queue->head; l; l = l->next) {
                QmpPending *p = l->data;
                if (p->sent)
                        continue;
                g_string_append(q->outbuf, p->line);
                q->out_fd = p->fd;
                p->fd = -1;
                p->sent = true;
                return;
        }
}

static void qmp_fail_all(Qmp *q, const char *why) {
        QmpPending *p;

        while ((p = g_queue_pop_head(q->queue))) {
                if (p->cb)
                        p->cb(q, NULL, why, p->userdata);
                pending_free(p);
        }
}

static void qmp_close(Qmp *q) {
        if (q->closed)
                return;
        q->closed = true;
        g_clear_pointer(&q->io, sd_event_source_disable_unref);
        qmp_fail_all(q, "monitor connection closed");
        if (q->on_closed)
                q->on_closed(q, q->userdata);
}

static int qmp_write(Qmp *q) {
        while (q->outbuf->len > 0) {
                struct iovec iov = { .iov_base = q->outbuf->str, .iov_len = q->outbuf->len };
                union {
                        struct cmsghdr h;
                        char buf[CMSG_SPACE(sizeof(int))];
                } control = { 0 };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
                ssize_t n;

                if (q->out_fd >= 0) {
                        mh.msg_control = &control;
                        mh.msg_controllen = sizeof(control.buf);
                        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                        c->cmsg_level = SOL_SOCKET;
                        c->cmsg_type = SCM_RIGHTS;
                        c->cmsg_len = CMSG_LEN(sizeof(int));
                        memcpy(CMSG_DATA(c), &q->out_fd, sizeof(int));
                }
                n = sendmsg(q->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return 0;
                        return -errno;
                }
                if (q->out_fd >= 0) {
                        close(q->out_fd);
                        q->out_fd = -1;
                }
                g_string_erase(q->outbuf, 0, n);
                if (q->outbuf->len == 0)
                        qmp_fill_output(q);
        }
        return 0;
}

static void qmp_handle_message(Qmp *q, JsonObject *obj) {
        if (json_object_has_member(obj, "QMP")) {
                /* the greeting: qmp_capabilities went out without waiting for it */
                return;
        }
        if (json_object_has_member(obj, "event")) {
                JsonObject *data = json_object_has_member(obj, "data") ?
                                   json_object_get_object_member(obj, "data") : NULL;
                if (q->on_event)
                        q->on_event(q, json_object_get_string_member(obj, "event"), data, q->userdata);
                return;
        }
        if (json_object_has_member(obj, "return") || json_object_has_member(obj, "error")) {
                const char *id = json_object_get_string_member_with_default(obj, "id", NULL);
                QmpPending *p = g_queue_peek_head(q->queue);

                if (!p || !p->sent || g_strcmp0(id, p->id) != 0) {
                        log_warning("QMP: unexpected reply id %s", id ? id : "(none)");
                        return;
                }
                g_queue_pop_head(q->queue);
                if (g_str_equal(p->id, "cap"))
                        q->negotiated = json_object_has_member(obj, "return");
                if (p->cb) {
                        if (json_object_has_member(obj, "return"))
                                p->cb(q, json_object_get_member(obj, "return"), NULL, p->userdata);
                        else {
                                JsonObject *err = json_object_get_object_member(obj, "error");
                                const char *desc = err ? json_object_get_string_member_with_default(err, "desc", "error")
                                                       : "error";
                                p->cb(q, NULL, desc, p->userdata);
                        }
                }
                pending_free(p);
                qmp_fill_output(q);
        }
}

static int qmp_read(Qmp *q) {
        char buf[8192];
        ssize_t n;
        char *nl;

        n = recv(q->fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (n == 0)
                return -ECONNRESET;
        g_string_append_len(q->inbuf, buf, n);
        while (!q->closed && (nl = memchr(q->inbuf->str, '\n', q->inbuf->len))) {
                g_autofree char *line = g_strndup(q->inbuf->str, nl - q->inbuf->str);
                g_autoptr(JsonParser) parser = json_parser_new();

                g_string_erase(q->inbuf, 0, nl - q->inbuf->str + 1);
                g_strstrip(line);
                if (!*line)
                        continue;
                if (!json_parser_load_from_data(parser, line, -1, NULL) ||
                    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
                        log_warning("QMP: cannot parse '%s'", line);
                        continue;
                }
                qmp_handle_message(q, json_node_get_object(json_parser_get_root(parser)));
        }
        return 0;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Qmp *q = userdata;
        int r = 0;

        if (revents & EPOLLIN)
                r = qmp_read(q);
        if (r >= 0 && !q->closed && (revents & EPOLLOUT))
                r = qmp_write(q);
        if (r >= 0 && !q->closed && (revents & (EPOLLHUP | EPOLLERR)) && !(revents & EPOLLIN))
                r = -ECONNRESET;
        if (r < 0) {
                qmp_close(q);
                return 0;
        }
        if (!q->closed)
                qmp_update_events(q);
        return 0;
}

static QmpPending *qmp_enqueue(Qmp *q, const char *id, const char *cmd, JsonObject *args, int fd,
                               QmpReplyFunc cb, void *userdata) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonGenerator) gen = json_generator_new();
        g_autoptr(JsonNode) root = NULL;
        g_autofree char *text = NULL;
        QmpPending *p = g_new0(QmpPending, 1);

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "execute");
        json_builder_add_string_value(b, cmd);
        if (args) {
                JsonNode *n = json_node_new(JSON_NODE_OBJECT);
                json_node_take_object(n, args);
                json_builder_set_member_name(b, "arguments");
                json_builder_add_value(b, n);
        }
        json_builder_set_member_name(b, "id");
        json_builder_add_string_value(b, id);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        json_generator_set_root(gen, root);
        text = json_generator_to_data(gen, NULL);

        p->id = g_strdup(id);
        p->line = g_strconcat(text, "\n", NULL);
        p->fd = fd;
        p->cb = cb;
        p->userdata = userdata;
        g_queue_push_tail(q->queue, p);
        qmp_fill_output(q);
        qmp_update_events(q);
        return p;
}

int qmp_connect(sd_event *event, const char *socket_path, QmpEventFunc on_event, QmpClosedFunc on_closed,
                void *userdata, Qmp **ret) {
        g_autoptr(Qmp) q = g_new0(Qmp, 1);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int r;

        q->fd = -1;
        q->out_fd = -1;
        q->inbuf = g_string_new(NULL);
        q->outbuf = g_string_new(NULL);
        q->queue = g_queue_new();
        q->on_event = on_event;
        q->on_closed = on_closed;
        q->userdata = userdata;
        if (strlen(socket_path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, socket_path);
        q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (q->fd < 0)
                return -errno;
        /* a listening socket that QEMU has not accept()ed yet still completes the
         * connect from its backlog */
        if (connect(q->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 && errno != EINPROGRESS)
                return -errno;
        r = sd_event_add_io(event, &q->io, q->fd, EPOLLIN, on_io, q);
        if (r < 0)
                return r;
        qmp_enqueue(q, "cap", "qmp_capabilities", NULL, -1, NULL, NULL);
        *ret = g_steal_pointer(&q);
        return 0;
}

void qmp_free(Qmp *q) {
        if (!q)
                return;
        q->on_closed = NULL;
        g_clear_pointer(&q->io, sd_event_source_disable_unref);
        if (q->queue) {
                /* callers of pending commands learn the monitor went away */
                q->closed = true;
                qmp_fail_all(q, "monitor connection closed");
                g_queue_free(q->queue);
        }
        if (q->fd >= 0)
                close(q->fd);
        if (q->out_fd >= 0)
                close(q->out_fd);
        if (q->inbuf)
                g_string_free(q->inbuf, TRUE);
        if (q->outbuf)
                g_string_free(q->outbuf, TRUE);
        if (q->userdata_free)
                q->userdata_free(q->userdata);
        g_free(q);
}

void qmp_set_userdata_free(Qmp *q, GDestroyNotify free_fn) {
        q->userdata_free = free_fn;
}

int qmp_command(Qmp *q, const char *cmd, JsonObject *args, int fd, QmpReplyFunc cb, void *userdata) {
        g_autofree char *id = NULL;

        if (q->closed) {
                if (args)
                        json_object_unref(args);
                if (fd >= 0)
                        close(fd);
                return -ENOTCONN;
        }
        id = g_strdup_printf("vmmd-%u", ++q->next_id);
        qmp_enqueue(q, id, cmd, args, fd, cb, userdata);
        return 0;
}

bool qmp_is_ready(const Qmp *q) {
        return q->negotiated && !q->closed;
}
