/* vmmd's save image: magic, a protobuf header, zero padding, then QEMU's migration stream. */
#include "save-image.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "saveimage.pb-c.h"

#define HEADER_PREFIX (SAVE_IMAGE_MAGIC_LEN + 4)

void save_image_free(SaveImage *img) {
        if (!img)
                return;
        if (img->fd >= 0)
                close(img->fd);
        g_free(img->path);
        g_free(img->domain_xml);
        g_free(img->cookie);
        g_free(img);
}

static SaveImage *fail(SaveImageStatus status, SaveImageStatus *ret_status, GError **error, const char *fmt, ...)
        G_GNUC_PRINTF(4, 5);
static SaveImage *fail(SaveImageStatus status, SaveImageStatus *ret_status, GError **error, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        g_autofree char *msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        g_set_error_literal(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, msg);
        if (ret_status)
                *ret_status = status;
        return NULL;
}

SaveImage *save_image_parse(const uint8_t *data, size_t len, uint64_t file_size, SaveImageStatus *ret_status,
                            GError **error) {
        g_autoptr(SaveImage) img = NULL;
        Vmmd__SaveImageHeader *h;
        uint32_t hlen;

        if (ret_status)
                *ret_status = SAVE_IMAGE_OK;
        if (len < HEADER_PREFIX)
                return fail(SAVE_IMAGE_TOO_SHORT, ret_status, error, "save image is too short to hold a header");
        if (memcmp(data, SAVE_IMAGE_MAGIC_PARTIAL, SAVE_IMAGE_MAGIC_LEN) == 0)
                return fail(SAVE_IMAGE_PARTIAL, ret_status, error,
                            "save image is incomplete (it was not finished writing)");
        if (memcmp(data, SAVE_IMAGE_MAGIC, SAVE_IMAGE_MAGIC_LEN) != 0)
                return fail(SAVE_IMAGE_BAD, ret_status, error, "save image has a wrong magic: not a vmmd save image");
        hlen = (uint32_t) data[16] | (uint32_t) data[17] << 8 | (uint32_t) data[18] << 16 | (uint32_t) data[19] << 24;
        if (hlen == 0 || (uint64_t) HEADER_PREFIX + hlen > file_size || (uint64_t) HEADER_PREFIX + hlen > len)
                return fail(SAVE_IMAGE_BAD, ret_status, error, "save image header length %u is invalid", hlen);
        h = vmmd__save_image_header__unpack(NULL, hlen, data + HEADER_PREFIX);
        if (!h)
                return fail(SAVE_IMAGE_BAD, ret_status, error, "save image header does not decode");
        img = g_new0(SaveImage, 1);
        img->fd = -1;
        img->version = h->version;
        img->domain_xml = g_strdup(h->domain_xml ? h->domain_xml : "");
        img->was_running = h->was_running;
        img->compression = h->compression;
        img->cookie = h->cookie && *h->cookie ? g_strdup(h->cookie) : NULL;
        img->stream_offset = h->stream_offset;
        img->header_len = hlen;
        vmmd__save_image_header__free_unpacked(h, NULL);

        if (img->version > SAVE_IMAGE_VERSION)
                return fail(SAVE_IMAGE_BAD, ret_status, error, "save image version is not supported (%u > %u)",
                            img->version, SAVE_IMAGE_VERSION);
        if (!*img->domain_xml)
                return fail(SAVE_IMAGE_BAD, ret_status, error, "save image has no domain XML");
        if (img->stream_offset < (uint64_t) HEADER_PREFIX + hlen || img->stream_offset > file_size)
                return fail(SAVE_IMAGE_BAD, ret_status, error, "save image header has an invalid stream offset %" G_GUINT64_FORMAT,
                            img->stream_offset);
        if (img->compression < VMMD__COMPRESSION__RAW || img->compression > VMMD__COMPRESSION__ZSTD)
                return fail(SAVE_IMAGE_BAD, ret_status, error, "save image compression %d is unknown", img->compression);
        if (img->compression != VMMD__COMPRESSION__RAW)
                return fail(SAVE_IMAGE_BAD, ret_status, error,
                            "save image compression %d is not supported by this vmmd (raw only)", img->compression);
        return g_steal_pointer(&img);
}

SaveImage *save_image_open(const char *path, bool bypass_cache, SaveImageStatus *ret_status, GError **error) {
        g_autoptr(SaveImage) img = NULL;
        g_autofree uint8_t *buf = NULL;
        struct stat st;
        size_t want, got = 0;
        int fd;

        if (ret_status)
                *ret_status = SAVE_IMAGE_OK;
        /* O_NONBLOCK: opening a FIFO must not wait for a writer on the event loop */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) {
                vmmd_error_set_errno(error, -errno, "cannot open save image '%s'", path);
                if (ret_status)
                        *ret_status = SAVE_IMAGE_BAD;
                return NULL;
        }
        if (fstat(fd, &st) < 0) {
                vmmd_error_set_errno(error, -errno, "cannot stat save image '%s'", path);
                close(fd);
                return NULL;
        }
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "save image '%s' is %s, not a regular file or a block device", path,
                            save_image_file_type(st.st_mode));
                if (ret_status)
                        *ret_status = SAVE_IMAGE_BAD;
                close(fd);
                return NULL;
        }
        if (S_ISBLK(st.st_mode)) {
                /* a device's st_size is 0: its size is what the end is */
                off_t end = lseek(fd, 0, SEEK_END);
                st.st_size = end > 0 ? end : 0;
        }
        (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        /* the header cannot be longer than the magic, its length and 4 GiB; read what exists
         * of a generous prefix and let parse decide */
        want = (size_t) MIN((uint64_t) st.st_size, (uint64_t) HEADER_PREFIX + 16 * 1024 * 1024);
        buf = g_malloc(want ? want : 1);
        while (got < want) {
                ssize_t n = pread(fd, buf + got, want - got, (off_t) got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t) n;
        }
        img = save_image_parse(buf, got, (uint64_t) st.st_size, ret_status, error);
        if (!img) {
                close(fd);
                return NULL;
        }
        (void) bypass_cache;   /* the reader copies with O_DIRECT itself (direct-copy.c) */
        if (lseek(fd, (off_t) img->stream_offset, SEEK_SET) < 0) {
                vmmd_error_set_errno(error, -errno, "cannot seek in save image '%s'", path);
                close(fd);
                return NULL;
        }
        img->fd = fd;
        img->path = g_strdup(path);
        return g_steal_pointer(&img);
}

const char *save_image_file_type(mode_t mode) {
        return S_ISDIR(mode) ? "a directory" : S_ISFIFO(mode) ? "a FIFO" : S_ISSOCK(mode) ? "a socket" :
               S_ISCHR(mode) ? "a character device" : S_ISBLK(mode) ? "a block device" :
               S_ISLNK(mode) ? "a symbolic link" : S_ISREG(mode) ? "a regular file" : "of an unknown type";
}

bool save_image_is_partial_name(const char *base) {
        const char *p = strstr(base, SAVE_IMAGE_PARTIAL_INFIX);

        return base[0] == '.' && p && strlen(p + strlen(SAVE_IMAGE_PARTIAL_INFIX)) == 6;
}

static uint8_t *pack_header(const char *domain_xml, bool was_running, const char *cookie, uint64_t stream_offset,
                            size_t *ret_len) {
        Vmmd__SaveImageHeader h = VMMD__SAVE_IMAGE_HEADER__INIT;
        uint8_t *buf;

        h.version = SAVE_IMAGE_VERSION;
        h.domain_xml = (char *) domain_xml;
        h.was_running = was_running;
        h.compression = VMMD__COMPRESSION__RAW;
        if (cookie)
                h.cookie = (char *) cookie;
        h.stream_offset = stream_offset;
        *ret_len = vmmd__save_image_header__get_packed_size(&h);
        buf = g_malloc0(HEADER_PREFIX + *ret_len);
        vmmd__save_image_header__pack(&h, buf + HEADER_PREFIX);
        buf[16] = *ret_len & 0xff;
        buf[17] = (*ret_len >> 8) & 0xff;
        buf[18] = (*ret_len >> 16) & 0xff;
        buf[19] = (*ret_len >> 24) & 0xff;
        return buf;
}

static int pwrite_all(int fd, const void *data, size_t len, off_t off) {
        const uint8_t *p = data;

        while (len > 0) {
                ssize_t n = pwrite(fd, p, len, off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += n;
                off += n;
                len -= (size_t) n;
        }
        return 0;
}

/* Where the image of target is written: a block device in place, anything else that
 * exists refused, a regular file (or none yet) through a new temporary file beside it. */
static int open_target(const char *target, char **ret_partial, GError **error) {
        g_autofree char *real = NULL, *dir = NULL, *base = NULL, *tmp = NULL;
        struct stat st;
        int fd;

        *ret_partial = NULL;
        if (stat(target, &st) < 0) {
                if (errno != ENOENT) {
                        vmmd_error_set_errno(error, -errno, "cannot create save image '%s'", target);
                        return -1;
                }
        } else {
                if (S_ISBLK(st.st_mode)) {
                        fd = open(target, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
                        if (fd < 0) {
                                vmmd_error_set_errno(error, -errno, "cannot open save image device '%s'", target);
                                return -1;
                        }
                        /* it could have been swapped for something else since the stat */
                        if (fstat(fd, &st) < 0 || !S_ISBLK(st.st_mode)) {
                                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                                            "save target '%s' changed while being opened", target);
                                close(fd);
                                return -1;
                        }
                        (void) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
                        return fd;
                }
                if (!S_ISREG(st.st_mode)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                                    "save target '%s' is %s, not a regular file or a block device", target,
                                    save_image_file_type(st.st_mode));
                        return -1;
                }
                /* a symbolic link keeps pointing at the file, which is what gets replaced */
                real = realpath(target, NULL);
        }
        dir = g_path_get_dirname(real ? real : target);
        base = g_path_get_basename(real ? real : target);
        tmp = g_strdup_printf("%s/.%s" SAVE_IMAGE_PARTIAL_INFIX "XXXXXX", dir, base);
        fd = mkostemp(tmp, O_CLOEXEC);      /* created 0600 */
        if (fd < 0) {
                vmmd_error_set_errno(error, -errno, "cannot create save image '%s' beside '%s'", tmp, target);
                return -1;
        }
        *ret_partial = g_steal_pointer(&tmp);
        return fd;
}

int save_image_create(const char *path, const char *domain_xml, bool was_running, const char *cookie,
                      bool bypass_cache, char **ret_partial, GError **error) {
        g_autofree uint8_t *hdr = NULL;
        g_autofree uint8_t *zeros = NULL;
        g_autofree char *partial = NULL;
        uint64_t stream_offset;
        size_t hlen;
        int fd, r;

        /* the offset depends on the header length and the header holds the offset: size
         * it with a full-width offset first (varint of at most 10 bytes) */
        g_free(pack_header(domain_xml, was_running, cookie, UINT64_MAX, &hlen));
        stream_offset = (HEADER_PREFIX + hlen + SAVE_IMAGE_MIN_PADDING + SAVE_IMAGE_ALIGN - 1) /
                        SAVE_IMAGE_ALIGN * SAVE_IMAGE_ALIGN;
        hdr = pack_header(domain_xml, was_running, cookie, stream_offset, &hlen);
        memcpy(hdr, SAVE_IMAGE_MAGIC_PARTIAL, SAVE_IMAGE_MAGIC_LEN);

        fd = open_target(path, &partial, error);
        if (fd < 0)
                return -1;
        zeros = g_malloc0(stream_offset);
        memcpy(zeros, hdr, HEADER_PREFIX + hlen);
        r = pwrite_all(fd, zeros, stream_offset, 0);
        if (r >= 0 && lseek(fd, (off_t) stream_offset, SEEK_SET) < 0)
                r = -errno;
        (void) bypass_cache;   /* the writer copies with O_DIRECT itself (direct-copy.c) */
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot write save image '%s'", partial ? partial : path);
                close(fd);
                if (partial)
                        (void) unlink(partial);
                return -1;
        }
        *ret_partial = g_steal_pointer(&partial);
        return fd;
}

bool save_image_finish(int fd, const char *path, const char *partial, GError **error) {
        int flags = fcntl(fd, F_GETFL);
        int r;

        if (flags >= 0 && (flags & O_DIRECT))
                (void) fcntl(fd, F_SETFL, flags & ~O_DIRECT);
        r = fsync(fd) < 0 ? -errno : 0;
        if (r >= 0)
                r = pwrite_all(fd, SAVE_IMAGE_MAGIC, SAVE_IMAGE_MAGIC_LEN, 0);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot complete save image '%s'", partial ? partial : path);
                return false;
        }
        return true;
}

bool save_image_commit(const char *path, const char *partial, GError **error) {
        if (!partial)
                return true;
        /* only a complete image takes the place of what was there */
        if (rename(partial, path) < 0) {
                vmmd_error_set_errno(error, -errno, "cannot rename save image '%s' to '%s'", partial, path);
                return false;
        }
        {
                g_autofree char *dir = g_path_get_dirname(path);
                int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd >= 0) {
                        (void) fsync(dfd);
                        close(dfd);
                }
        }
        return true;
}

bool save_image_rewrite(SaveImage *img, const char *domain_xml, bool was_running, GError **error) {
        g_autofree uint8_t *hdr = NULL;
        g_autofree uint8_t *block = NULL;
        size_t hlen;
        int fd, r;

        hdr = pack_header(domain_xml, was_running, img->cookie, img->stream_offset, &hlen);
        if (HEADER_PREFIX + hlen > img->stream_offset) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "new save image header is too large (%zu bytes, room for %" G_GUINT64_FORMAT ")",
                            HEADER_PREFIX + hlen, img->stream_offset);
                return false;
        }
        memcpy(hdr, SAVE_IMAGE_MAGIC, SAVE_IMAGE_MAGIC_LEN);
        /* header and zeros up to the stream in one write; the stream is not touched */
        block = g_malloc0(img->stream_offset);
        memcpy(block, hdr, HEADER_PREFIX + hlen);
        fd = open(img->path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
                vmmd_error_set_errno(error, -errno, "cannot open save image '%s'", img->path);
                return false;
        }
        r = pwrite_all(fd, block, img->stream_offset, 0);
        if (r >= 0 && fsync(fd) < 0)
                r = -errno;
        close(fd);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot rewrite save image '%s'", img->path);
                return false;
        }
        g_free(img->domain_xml);
        img->domain_xml = g_strdup(domain_xml);
        img->was_running = was_running;
        img->header_len = hlen;
        return true;
}
