/* Copying QEMU's migration stream between a pipe and an O_DIRECT file in aligned blocks. QEMU's own writes
 * are not aligned, so it never gets the O_DIRECT descriptor itself. */
#include "direct-copy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define BLOCK 4096
#define BUF_SIZE (1024 * 1024)

struct DirectCopy {
        sd_event_source *source;
        int pipe_fd;
        int file_fd;
        uint8_t *buf;
        size_t fill;          /* bytes in buf */
        size_t sent;          /* from_file: bytes of buf already in the pipe */
        bool eof;
        DirectCopyDone done;
        void *userdata;
};

static int write_all(int fd, const uint8_t *p, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

static void finish(DirectCopy *c, int error) {
        (void) sd_event_source_set_enabled(c->source, SD_EVENT_OFF);
        if (c->pipe_fd >= 0) {
                close(c->pipe_fd);
                c->pipe_fd = -1;
        }
        c->done(c, error, c->userdata);
}

/* The tail is not a whole block: write it with O_DIRECT off. */
static int flush_tail(DirectCopy *c) {
        size_t whole = c->fill / BLOCK * BLOCK;
        int flags, r;

        r = write_all(c->file_fd, c->buf, whole);
        if (r < 0 || c->fill == whole)
                return r;
        flags = fcntl(c->file_fd, F_GETFL);
        if (flags < 0 || fcntl(c->file_fd, F_SETFL, flags & ~O_DIRECT) < 0)
                return -errno;
        return write_all(c->file_fd, c->buf + whole, c->fill - whole);
}

static int on_pipe_readable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        DirectCopy *c = userdata;

        for (;;) {
                ssize_t n = read(c->pipe_fd, c->buf + c->fill, BUF_SIZE - c->fill);
                int r;

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        finish(c, -errno);
                        return 0;
                }
                if (n == 0) {
                        r = flush_tail(c);
                        c->fill = 0;
                        finish(c, r);
                        return 0;
                }
                c->fill += (size_t) n;
                if (c->fill == BUF_SIZE) {
                        r = write_all(c->file_fd, c->buf, BUF_SIZE);
                        if (r < 0) {
                                finish(c, r);
                                return 0;
                        }
                        c->fill = 0;
                }
        }
}

static int on_pipe_writable(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        DirectCopy *c = userdata;

        for (;;) {
                ssize_t n;

                if (c->sent == c->fill) {
                        if (c->eof) {
                                finish(c, 0);
                                return 0;
                        }
                        n = read(c->file_fd, c->buf, BUF_SIZE);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0) {
                                finish(c, -errno);
                                return 0;
                        }
                        c->fill = (size_t) n;
                        c->sent = 0;
                        if (n < BUF_SIZE)
                                c->eof = true;
                        continue;
                }
                n = write(c->pipe_fd, c->buf + c->sent, c->fill - c->sent);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        finish(c, -errno);
                        return 0;
                }
                c->sent += (size_t) n;
        }
}

/* C13: says which flags the kernel holds for the image descriptor once O_DIRECT is set, so
 * that a test can check the bypass really happens. The debug log always; the file named by
 * $VMMD_TEST_IO_LOG too (test buses set it; nothing else reads it). */
static void note_flags(int fd, const char *what) {
        g_autofree char *link = g_strdup_printf("/proc/self/fd/%d", fd);
        g_autofree char *target = g_file_read_link(link, NULL);
        g_autofree char *line = NULL;
        const char *log_file = getenv("VMMD_TEST_IO_LOG");
        int flags = fcntl(fd, F_GETFL);

        line = g_strdup_printf("save image %s: fd flags 0%o, O_DIRECT %s: %s\n", what, (unsigned) flags,
                               flags >= 0 && (flags & O_DIRECT) ? "on" : "off", target ? target : "?");
        log_debug("%.*s", (int) strlen(line) - 1, line);
        if (log_file && *log_file) {
                int lfd = open(log_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

                if (lfd >= 0) {
                        (void) !write(lfd, line, strlen(line));
                        close(lfd);
                }
        }
}

static int copy_new(sd_event *event, int pipe_fd, int file_fd, uint32_t events, sd_event_io_handler_t handler,
                    DirectCopyDone done, void *userdata, DirectCopy **ret) {
        g_autoptr(DirectCopy) c = g_new0(DirectCopy, 1);
        int flags, r;

        c->pipe_fd = pipe_fd;
        c->file_fd = file_fd;
        c->done = done;
        c->userdata = userdata;
        if (posix_memalign((void **) &c->buf, BLOCK, BUF_SIZE) != 0)
                return -ENOMEM;
        flags = fcntl(pipe_fd, F_GETFL);
        if (flags < 0 || fcntl(pipe_fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return -errno;
        flags = fcntl(file_fd, F_GETFL);
        if (flags < 0 || fcntl(file_fd, F_SETFL, flags | O_DIRECT) < 0)
                return -errno;
        note_flags(file_fd, events == EPOLLIN ? "write" : "read");
        r = sd_event_add_io(event, &c->source, pipe_fd, events, handler, c);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&c);
        return 0;
}

int direct_copy_to_file(sd_event *event, int pipe_in, int file_fd, DirectCopyDone done, void *userdata,
                        DirectCopy **ret) {
        return copy_new(event, pipe_in, file_fd, EPOLLIN, on_pipe_readable, done, userdata, ret);
}

int direct_copy_from_file(sd_event *event, int file_fd, int pipe_out, DirectCopyDone done, void *userdata,
                          DirectCopy **ret) {
        return copy_new(event, pipe_out, file_fd, EPOLLOUT, on_pipe_writable, done, userdata, ret);
}

void direct_copy_free(DirectCopy *c) {
        if (!c)
                return;
        g_clear_pointer(&c->source, sd_event_source_disable_unref);
        if (c->pipe_fd >= 0)
                close(c->pipe_fd);
        free(c->buf);
        g_free(c);
}
