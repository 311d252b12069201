/* The data movers of long volume operations. They run in a helper process, so plain
 * blocking I/O is fine here; they must never touch the daemon's bus or loop. */
#include "transfer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

#define CHUNK (1024 * 1024)

TransferSpec *transfer_spec_new(TransferKind kind, const char *path) {
        TransferSpec *t = g_new0(TransferSpec, 1);

        t->kind = kind;
        t->path = g_strdup(path);
        t->fd = -1;
        t->mode = 0600;
        t->uid = (uid_t) -1;
        t->gid = (gid_t) -1;
        return t;
}

void transfer_spec_free(TransferSpec *t) {
        if (!t)
                return;
        if (t->fd >= 0)
                close(t->fd);
        g_free(t->path);
        g_free(t->source);
        g_free(t);
}

G_GNUC_PRINTF(2, 3)
static int fail(int code, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vdprintf(2, fmt, ap);
        va_end(ap);
        dprintf(2, "\n");
        return code;
}

static int pwrite_all(int fd, const char *buf, size_t len, uint64_t off) {
        while (len > 0) {
                ssize_t n = pwrite(fd, buf, len, (off_t) off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                buf += n;
                len -= (size_t) n;
                off += (uint64_t) n;
        }
        return 0;
}

static int write_all(int fd, const char *buf, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, buf, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                buf += n;
                len -= (size_t) n;
        }
        return 0;
}

/* pread that fills the buffer unless the file ends first */
static ssize_t pread_full(int fd, char *buf, size_t len, uint64_t off) {
        size_t got = 0;

        while (got < len) {
                ssize_t n = pread(fd, buf + got, len - got, (off_t) (off + got));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                got += (size_t) n;
        }
        return (ssize_t) got;
}

static bool is_zero(const char *buf, size_t len) {
        return len == 0 || (buf[0] == 0 && memcmp(buf, buf + 1, len - 1) == 0);
}

static int write_zeros(int fd, uint64_t off, uint64_t len, size_t block) {
        g_autofree char *zero = g_malloc0(block);

        while (len > 0) {
                size_t n = MIN(len, block);
                int r = pwrite_all(fd, zero, n, off);
                if (r < 0)
                        return r;
                off += n;
                len -= n;
        }
        return 0;
}

/* spec S39: fallocate, or zeros where the file system cannot */
static int allocate(int fd, uint64_t off, uint64_t len) {
        if (len == 0)
                return 0;
        if (fallocate(fd, 0, (off_t) off, (off_t) len) == 0)
                return 0;
        if (errno != EOPNOTSUPP && errno != ENOSYS)
                return -errno;
        return write_zeros(fd, off, len, CHUNK);
}

static int punch_hole(int fd, uint64_t off, uint64_t len) {
        struct stat st;

        if (len == 0)
                return 0;
        if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t) off, (off_t) len) == 0)
                return 0;
        if (errno != EOPNOTSUPP && errno != ENOSYS)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (off >= (uint64_t) st.st_size)
                return 0;
        return write_zeros(fd, off, MIN(len, (uint64_t) st.st_size - off), CHUNK);
}

/* The next data extent of fd in [pos, end): *ret_data..*ret_end; false when only holes remain. */
static bool next_data(int fd, uint64_t pos, uint64_t end, uint64_t *ret_data, uint64_t *ret_end) {
        off_t data = lseek(fd, (off_t) pos, SEEK_DATA);
        off_t hole;

        if (data < 0) {
                if (errno == ENXIO)
                        return false;
                /* no SEEK_DATA here: everything is data */
                *ret_data = pos;
                *ret_end = end;
                return pos < end;
        }
        if ((uint64_t) data >= end)
                return false;
        hole = lseek(fd, data, SEEK_HOLE);
        *ret_data = (uint64_t) data;
        *ret_end = hole < 0 ? end : MIN((uint64_t) hole, end);
        return true;
}

static int open_new(const TransferSpec *t) {
        int fd = open(t->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, t->mode);

        if (fd < 0)
                return -errno;
        if (fchmod(fd, t->mode) < 0 || ((t->uid != (uid_t) -1 || t->gid != (gid_t) -1) &&
                                         fchown(fd, t->uid, t->gid) < 0)) {
                int r = -errno;
                close(fd);
                unlink(t->path);
                return r;
        }
        return fd;
}

static int create_raw(TransferSpec *t) {
        int fd = open_new(t), r = 0;

        if (fd < 0)
                return fail(VMMD_ERROR_SYSTEM_ERROR, "cannot create volume '%s': %s", t->path, strerror(-fd));
        if (ftruncate(fd, (off_t) t->capacity) < 0)
                r = -errno;
        if (r == 0)
                r = allocate(fd, 0, MIN(t->allocation, t->capacity));
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        close(fd);
        if (r < 0) {
                unlink(t->path);
                return fail(VMMD_ERROR_SYSTEM_ERROR, "cannot allocate volume '%s': %s", t->path, strerror(-r));
        }
        return 0;
}

/* spec S48: zero runs are skipped (they are holes of a sparse copy, or already
 * allocated zeros of a full one) */
static int clone_raw(TransferSpec *t) {
        g_autofree char *buf = g_malloc(CHUNK);
        struct stat st;
        uint64_t len, pos = 0, data, end;
        int in, out, r = 0;

        in = open(t->source, O_RDONLY | O_CLOEXEC);
        if (in < 0 || fstat(in, &st) < 0)
                return fail(VMMD_ERROR_SYSTEM_ERROR, "cannot open source volume '%s': %s", t->source, strerror(errno));
        out = open_new(t);
        if (out < 0) {
                close(in);
                return fail(VMMD_ERROR_SYSTEM_ERROR, "cannot create volume '%s': %s", t->path, strerror(-out));
        }
        if (ftruncate(out, (off_t) t->capacity) < 0)
                r = -errno;
        if (r == 0 && t->allocation >= t->capacity)
                r = allocate(out, 0, t->capacity);
        len = MIN((uint64_t) st.st_size, t->capacity);
        while (r == 0 && next_data(in, pos, len, &data, &end)) {
                for (pos = data; r == 0 && pos < end;) {
                        ssize_t n = pread_full(in, buf, MIN(CHUNK, end - pos), pos);
                        if (n <= 0) {
                                r = n < 0 ? (int) n : -EIO;
                                break;
                        }
                        if (!is_zero(buf, (size_t) n))
                                r = pwrite_all(out, buf, (size_t) n, pos);
                        pos += (uint64_t) n;
                }
        }
        if (r == 0 && fdatasync(out) < 0)
                r = -errno;
        close(in);
        close(out);
        if (r < 0) {
                unlink(t->path);
                return fail(VMMD_ERROR_SYSTEM_ERROR, "cannot copy '%s' to '%s': %s", t->source, t->path,
                            strerror(-r));
        }
        return 0;
}

static int wipe_zero(TransferSpec *t) {
        struct stat st;
        int fd, r = 0;

        fd = open(t->path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
                return fail(VMMD_ERROR_SYSTEM_ERROR, "cannot open volume '%s' for wiping: %s", t->path,
                            strerror(errno));
        if ((uint64_t) st.st_blocks * 512 < (uint64_t) st.st_size) {
                /* sparse: dropping every block leaves zeros and keeps it sparse */
                if (ftruncate(fd, 0) < 0 || ftruncate(fd, st.st_size) < 0)
                        r = -errno;
        } else {
                uint64_t allocation = MIN((uint64_t) st.st_blocks * 512, (uint64_t) st.st_size);
                r = write_zeros(fd, 0, allocation, st.st_blksize > 0 ? (size_t) st.st_blksize : 4096);
        }
        if (r == 0 && fdatasync(fd) < 0)
                r = -errno;
        close(fd);
        if (r < 0)
                return fail(VMMD_ERROR_SYSTEM_ERROR, "failed to wipe volume '%s': %s", t->path, strerror(-r));
        return 0;
}

static int upload_sparse(TransferSpec *t, int out, char *buf) {
        struct stat st;
        off_t base = lseek(t->fd, 0, SEEK_CUR);
        uint64_t end, want, pos, data, dend;
        int r = 0;

        if (base < 0 || fstat(t->fd, &st) < 0)
                return fail(VMMD_ERROR_INVALID_ARG, "sparse upload needs a seekable file: %s", strerror(errno));
        want = t->length ? (uint64_t) base + t->length : (uint64_t) st.st_size;
        end = MIN(want, (uint64_t) st.st_size);
        for (pos = (uint64_t) base; r == 0 && pos < end; pos = dend) {
                if (!next_data(t->fd, pos, end, &data, &dend))
                        data = dend = end;
                r = punch_hole(out, t->offset + (pos - (uint64_t) base), data - pos);
                for (uint64_t p = data; r == 0 && p < dend;) {
                        ssize_t n = pread_full(t->fd, buf, MIN(CHUNK, dend - p), p);
                        if (n <= 0) {
                                r = n < 0 ? (int) n : -EIO;
                                break;
                        }
                        r = pwrite_all(out, buf, (size_t) n, t->offset + (p - (uint64_t) base));
                        p += (uint64_t) n;
                }
        }
        if (r < 0)
                return fail(VMMD_ERROR_SYSTEM_ERROR, "upload into '%s' failed: %s", t->path, strerror(-r));
        /* a trailing hole still counts: the volume grows to cover it, never shrinks */
        if (fstat(out, &st) == 0 && (uint64_t) st.st_size < t->offset + (end - (uint64_t) base) &&
            ftruncate(out, (off_t) (t->offset + (end - (uint64_t) base))) < 0)
                return fail(VMMD_ERROR_SYSTEM_ERROR, "upload into '%s' failed: %s", t->path, strerror(errno));
        (void) lseek(t->fd, (off_t) end, SEEK_SET);
        if (end < want)
                return fail(VMMD_ERROR_OPERATION_ABORTED, "upload input ended after %" G_GUINT64_FORMAT
                            " of %" G_GUINT64_FORMAT " bytes", end - (uint64_t) base, t->length);
        return 0;
}

static int upload_stream(TransferSpec *t, int out, char *buf) {
        uint64_t pos = 0;

        while (t->length == 0 || pos < t->length) {
                size_t want = t->length ? MIN(CHUNK, t->length - pos) : CHUNK;
                ssize_t n = read(t->fd, buf, want);
                int r;

                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return fail(VMMD_ERROR_SYSTEM_ERROR, "cannot read the upload stream: %s", strerror(errno));
                if (n == 0)
                        break;
                r = pwrite_all(out, buf, (size_t) n, t->offset + pos);
                if (r < 0)
                        return fail(VMMD_ERROR_SYSTEM_ERROR, "upload into '%s' failed: %s", t->path, strerror(-r));
                pos += (uint64_t) n;
        }
        if (t->length && pos < t->length)
                return fail(VMMD_ERROR_OPERATION_ABORTED, "the client closed the stream after %" G_GUINT64_FORMAT
                            " of %" G_GUINT64_FORMAT " bytes", pos, t->length);
        return 0;
}

static int upload(TransferSpec *t) {
        g_autofree char *buf = g_malloc(CHUNK);
        int out, r;

        out = open(t->path, O_WRONLY | O_CLOEXEC);
        if (out < 0)
                return fail(VMMD_ERROR_SYSTEM_ERROR, "cannot open volume '%s': %s", t->path, strerror(errno));
        r = t->sparse ? upload_sparse(t, out, buf) : upload_stream(t, out, buf);
        if (fdatasync(out) < 0 && r == 0)
                r = fail(VMMD_ERROR_SYSTEM_ERROR, "cannot sync volume '%s': %s", t->path, strerror(errno));
        close(out);
        return r;
}

static int download(TransferSpec *t) {
        g_autofree char *buf = g_malloc(CHUNK);
        struct stat st;
        uint64_t end, pos, data, dend;
        off_t base = 0;
        int in, r = 0;

        in = open(t->path, O_RDONLY | O_CLOEXEC);
        if (in < 0 || fstat(in, &st) < 0)
                return fail(VMMD_ERROR_SYSTEM_ERROR, "cannot open volume '%s': %s", t->path, strerror(errno));
        end = (uint64_t) st.st_size;
        if (t->length && t->offset + t->length < end)
                end = t->offset + t->length;
        if (t->sparse) {
                base = lseek(t->fd, 0, SEEK_CUR);
                if (base < 0) {
                        close(in);
                        return fail(VMMD_ERROR_INVALID_ARG, "sparse download needs a seekable file: %s",
                                    strerror(errno));
                }
        }
        for (pos = t->offset; r == 0 && pos < end; pos = dend) {
                if (t->sparse) {
                        if (!next_data(in, pos, end, &data, &dend))
                                break;
                } else {
                        data = pos;
                        dend = end;
                }
                for (uint64_t p = data; r == 0 && p < dend;) {
                        ssize_t n = pread_full(in, buf, MIN(CHUNK, dend - p), p);
                        if (n <= 0) {
                                r = n < 0 ? (int) n : -EIO;
                                break;
                        }
                        r = t->sparse ? pwrite_all(t->fd, buf, (size_t) n, (uint64_t) base + (p - t->offset)) :
                                        write_all(t->fd, buf, (size_t) n);
                        p += (uint64_t) n;
                }
        }
        close(in);
        if (r == -EPIPE || r == -ECONNRESET)
                return fail(VMMD_ERROR_OPERATION_ABORTED, "the client closed the stream");
        if (r < 0)
                return fail(VMMD_ERROR_SYSTEM_ERROR, "download of '%s' failed: %s", t->path, strerror(-r));
        if (t->sparse && end > t->offset) {
                uint64_t size = (uint64_t) base + (end - t->offset);
                if (ftruncate(t->fd, (off_t) size) < 0)
                        return fail(VMMD_ERROR_SYSTEM_ERROR, "cannot extend the download file: %s", strerror(errno));
                (void) lseek(t->fd, (off_t) size, SEEK_SET);
        }
        return 0;
}

int transfer_run(void *data) {
        TransferSpec *t = data;

        switch (t->kind) {
        case TRANSFER_CREATE_RAW:
                return create_raw(t);
        case TRANSFER_CLONE_RAW:
                return clone_raw(t);
        case TRANSFER_WIPE_ZERO:
                return wipe_zero(t);
        case TRANSFER_UPLOAD:
                return upload(t);
        case TRANSFER_DOWNLOAD:
                return download(t);
        }
        return fail(VMMD_ERROR_INTERNAL_ERROR, "unknown transfer kind %d", (int) t->kind);
}
