/* Streams: a console or a volume transfer carried as STREAM messages, between the client and a file descriptor a daemon handed over or reads. */
#include "stream.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "dispatch-names.h"
#include "error.h"
#include "log.h"
#include "rpc-message.h"

/* per STREAM message; libvirt's own servers send at most 256 KiB */
#define STREAM_CHUNK 65536
/* stop reading the descriptor while this many messages wait for a slow client */
#define STREAM_BACKLOG 32

struct Stream {
        Client *client;            /* the client owns its streams (client->streams) */
        int proc;
        uint32_t serial;
        int fd;                    /* our end */
        sd_event_source *io;
        bool tx;                   /* bytes go to the client (console output, download) */
        bool rx;                   /* bytes come from the client (console input, upload) */
        bool eof;                  /* the descriptor said EOF */
        bool eof_sent;             /* the client was told (an empty data message, or an error) */
        GQueue in;                 /* GBytes from the client, not yet written to fd */
        size_t in_offset;
        bool closing_in;           /* the client finished: close fd once `in` is written */
        /* a volume transfer: the daemon's reply ends it */
        sd_bus_slot *job;
        bool job_running;
        int job_code;              /* 0 = ok; else libvirt's error number */
        char *job_message;
        bool finish_waiting;       /* the client's finish waits for the job */
};

static void stream_update(Stream *s);

static void send_data(Stream *s, int status, const void *data, size_t len) {
        vr_header h = { .prog = VR_PROGRAM, .vers = VR_PROGRAM_VERSION, .proc = s->proc, .type = VR_STREAM,
                        .serial = s->serial, .status = status };
        size_t total = VR_LEN_SIZE + VR_HEADER_SIZE + len;
        uint8_t *buf = g_malloc(total);
        XDR xdr;

        /* the body of a data message is the bytes themselves, not XDR */
        buf[0] = total >> 24;
        buf[1] = total >> 16;
        buf[2] = total >> 8;
        buf[3] = total;
        xdrmem_create(&xdr, (char *) buf + VR_LEN_SIZE, VR_HEADER_SIZE, XDR_ENCODE);
        xdr_vr_header(&xdr, &h);
        xdr_destroy(&xdr);
        if (len)
                memcpy(buf + VR_LEN_SIZE + VR_HEADER_SIZE, data, len);
        client_send(s->client, g_bytes_new_take(buf, total));
}

static void send_error(Stream *s, int type, int code, const char *message) {
        vr_header h = { .prog = VR_PROGRAM, .vers = VR_PROGRAM_VERSION, .proc = s->proc, .type = type,
                        .serial = s->serial };
        GBytes *b = vr_error_encode(&h, code, s->proc == VR_PROC_DOMAIN_OPEN_CONSOLE ? VR_FROM_QEMU : VR_FROM_STORAGE,
                                    message);

        client_send(s->client, b);
}

static void stream_close_fd(Stream *s) {
        s->io = sd_event_source_disable_unref(s->io);
        if (s->fd >= 0)
                close(s->fd);
        s->fd = -1;
}

void stream_free(Stream *s) {
        if (!s)
                return;
        stream_close_fd(s);
        s->job = sd_bus_slot_unref(s->job);
        g_queue_clear_full(&s->in, (GDestroyNotify) g_bytes_unref);
        g_free(s->job_message);
        g_free(s);
}

static void stream_remove(Stream *s) {
        s->client->streams = g_list_remove(s->client->streams, s);
        stream_free(s);
}

/* The transfer is over once its bytes are through and the daemon has answered. */
static void maybe_end_tx(Stream *s) {
        if (!s->tx || s->eof_sent || !s->eof || s->job_running)
                return;
        s->eof_sent = true;
        /* end of data is an empty CONTINUE; STREAM OK is only ever the answer to the client's finish */
        if (s->job_code)
                send_error(s, VR_STREAM, s->job_code, s->job_message);
        else
                send_data(s, VR_CONTINUE, NULL, 0);
}

static void maybe_answer_finish(Stream *s) {
        if (!s->finish_waiting || s->job_running || s->fd >= 0)
                return;
        if (s->job_code)
                send_error(s, VR_REPLY, s->job_code, s->job_message);
        else
                send_data(s, VR_OK, NULL, 0);
        stream_remove(s);
}

static int stream_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        Stream *s = userdata;

        if (s->rx && (revents & (EPOLLOUT | EPOLLERR)) && !g_queue_is_empty(&s->in)) {
                while (!g_queue_is_empty(&s->in)) {
                        GBytes *b = g_queue_peek_head(&s->in);
                        size_t size;
                        const uint8_t *data = g_bytes_get_data(b, &size);
                        ssize_t n = write(s->fd, data + s->in_offset, size - s->in_offset);

                        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                                break;
                        if (n < 0) {
                                /* the far side is gone: drop what the client still sends */
                                g_queue_clear_full(&s->in, (GDestroyNotify) g_bytes_unref);
                                s->rx = false;
                                break;
                        }
                        s->in_offset += n;
                        if (s->in_offset == size) {
                                g_bytes_unref(g_queue_pop_head(&s->in));
                                s->in_offset = 0;
                        }
                }
        }
        if (s->tx && !s->eof && (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
                uint8_t buf[STREAM_CHUNK];
                ssize_t n = read(s->fd, buf, sizeof(buf));

                if (n > 0)
                        send_data(s, VR_CONTINUE, buf, n);
                else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                        /* EOF, or EIO from a console whose guest went away */
                        s->eof = true;
                        maybe_end_tx(s);
                }
        }
        if (s->closing_in && g_queue_is_empty(&s->in)) {
                stream_close_fd(s);
                maybe_answer_finish(s);
                return 0;
        }
        stream_update(s);
        return 0;
}

static void stream_update(Stream *s) {
        uint32_t events = 0;

        if (s->fd < 0 || !s->io)
                return;
        if (s->tx && !s->eof && g_queue_get_length(&s->client->out) < STREAM_BACKLOG)
                events |= EPOLLIN;
        if (s->rx && !g_queue_is_empty(&s->in))
                events |= EPOLLOUT;
        sd_event_source_set_io_events(s->io, events);
        sd_event_source_set_enabled(s->io, events ? SD_EVENT_ON : SD_EVENT_OFF);
}

void streams_resume(Client *c) {
        for (GList *l = c->streams; l; l = l->next)
                stream_update(l->data);
}

Stream *stream_new(Client *c, const vr_header *call, int fd, bool tx, bool rx) {
        Stream *s = g_new0(Stream, 1);
        int r;

        s->client = c;
        s->proc = call->proc;
        s->serial = call->serial;
        s->fd = fd;
        s->tx = tx;
        s->rx = rx;
        g_queue_init(&s->in);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        r = sd_event_add_io(c->server->event, &s->io, fd, 0, stream_io, s);
        if (r < 0) {
                stream_free(s);
                return NULL;
        }
        sd_event_source_set_enabled(s->io, SD_EVENT_OFF);
        c->streams = g_list_prepend(c->streams, s);
        return s;
}

void stream_start(Stream *s) {
        stream_update(s);
}

static int on_job_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Stream *s = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        s->job = sd_bus_slot_unref(s->job);
        s->job_running = false;
        if (e) {
                g_autoptr(GError) error = NULL;

                vmmd_error_from_bus(e, &error);
                s->job_code = error->code;
                s->job_message = g_strdup(error->message);
                if (s->rx && !s->finish_waiting) {
                        /* an upload that failed early: tell the client now, take no more bytes */
                        send_error(s, VR_STREAM, s->job_code, s->job_message);
                        g_queue_clear_full(&s->in, (GDestroyNotify) g_bytes_unref);
                        s->rx = false;
                        stream_close_fd(s);
                        return 0;
                }
        }
        maybe_end_tx(s);
        maybe_answer_finish(s);
        return 0;
}

int stream_send_job(Stream *s, sd_bus_message *m) {
        int r = sd_bus_call_async(s->client->server->bus, &s->job, m, on_job_reply, s, 0);

        if (r >= 0)
                s->job_running = true;
        return r;
}

static Stream *stream_find(Client *c, const vr_header *h) {
        for (GList *l = c->streams; l; l = l->next) {
                Stream *s = l->data;

                if (s->proc == h->proc && s->serial == h->serial)
                        return s;
        }
        return NULL;
}

void stream_from_client(Client *c, const vr_header *h, const uint8_t *body, size_t len) {
        Stream *s = stream_find(c, h);

        if (!s) {
                /* libvirt answers a stray stream message with an error of the same serial */
                client_send(c, vr_error_encode(h, VR_ERR_RPC, VR_FROM_RPC, "no stream is open for this serial"));
                return;
        }
        if (h->type == VR_STREAM_HOLE) {
                send_error(s, VR_STREAM, VR_ERR_RPC, "Unexpected stream hole");
                return;
        }
        switch (h->status) {
        case VR_CONTINUE:
                /* data: no reply */
                if (s->rx && len > 0) {
                        g_queue_push_tail(&s->in, g_bytes_new(body, len));
                        stream_update(s);
                }
                return;
        case VR_OK:
                /* finish: answered once what came is written and, for a transfer, the daemon agreed */
                s->finish_waiting = true;
                s->tx = false;
                if (s->fd >= 0 && s->rx && !g_queue_is_empty(&s->in)) {
                        s->closing_in = true;
                        stream_update(s);
                        return;
                }
                stream_close_fd(s);
                maybe_answer_finish(s);
                return;
        default:
                /* abort: confirmed at once; a transfer still running is cut off */
                s->job = sd_bus_slot_unref(s->job);
                s->job_running = false;
                s->job_code = 0;
                send_data(s, VR_OK, NULL, 0);
                stream_remove(s);
                return;
        }
}

void streams_free(Client *c) {
        g_list_free_full(g_steal_pointer(&c->streams), (GDestroyNotify) stream_free);
}
