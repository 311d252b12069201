/* image-probe: the header readers for raw, qcow, qcow2, qed, vmdk (sparse and descriptor), vdi and vpc.
 * Every number read from the file is checked before it is used as an offset or a length. */
#include "image-probe.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

/* One read covers the fixed headers of every format and, usually, qcow2's extensions (qemu-img puts them
 * and the backing file name right after the header); the rest is read where it lies. */
#define HEAD_SIZE 1024
/* A vmdk descriptor (its own file or embedded) is a few hundred bytes; anything longer is refused. */
#define VMDK_DESC_MAX (64 * 1024)
#define SECTOR 512u

typedef struct Source {
        int fd;                 /* -1 when data is set */
        const uint8_t *data;
        uint64_t size;
        const char *name;
        uint8_t head[HEAD_SIZE];
        size_t head_len;
} Source;

void vmmd_image_info_free(VmmdImageInfo *info) {
        if (!info)
                return;
        g_free(info->backing_file);
        g_free(info->backing_format);
        g_free(info);
}

const char *vmmd_image_format_name(VmmdImageFormat format) {
        static const char *const names[] = {
                [VMMD_IMAGE_RAW] = "raw",   [VMMD_IMAGE_QCOW] = "qcow", [VMMD_IMAGE_QCOW2] = "qcow2",
                [VMMD_IMAGE_QED] = "qed",   [VMMD_IMAGE_VMDK] = "vmdk", [VMMD_IMAGE_VDI] = "vdi",
                [VMMD_IMAGE_VPC] = "vpc",   [VMMD_IMAGE_OTHER] = "other",
        };
        return (unsigned) format < G_N_ELEMENTS(names) ? names[format] : "other";
}

static uint16_t be16(const uint8_t *p) {
        return (uint16_t) (p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p) {
        return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p) {
        return (uint64_t) be32(p) << 32 | be32(p + 4);
}

static uint32_t le32(const uint8_t *p) {
        return (uint32_t) p[3] << 24 | (uint32_t) p[2] << 16 | (uint32_t) p[1] << 8 | p[0];
}

static uint64_t le64(const uint8_t *p) {
        return (uint64_t) le32(p + 4) << 32 | le32(p);
}

static bool is_pow2(uint64_t v) {
        return v && !(v & (v - 1));
}

G_GNUC_PRINTF(3, 4)
static bool fail(GError **error, const Source *s, const char *fmt, ...) {
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "image '%s': %s", s->name, msg);
        return false;
}

/* Exactly len bytes at off, or false when the file is shorter (or cannot be read). */
static bool src_read(const Source *s, uint64_t off, void *buf, size_t len) {
        size_t done = 0;

        if (off > s->size || len > s->size - off)
                return false;
        if (len == 0)
                return true;
        if (off + len <= s->head_len) {
                memcpy(buf, s->head + off, len);
                return true;
        }
        if (s->data) {
                memcpy(buf, s->data + off, len);
                return true;
        }
        while (done < len) {
                ssize_t n = pread(s->fd, (uint8_t *) buf + done, len - done, (off_t) (off + done));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return false;
                done += (size_t) n;
        }
        return true;
}

static bool read_header(const Source *s, const char *format, void *buf, size_t len, GError **error) {
        if (src_read(s, 0, buf, len))
                return true;
        return fail(error, s, "the %s header is cut short (%zu bytes needed, the file has %" G_GUINT64_FORMAT ")",
                    format, len, s->size);
}

/* A name stored in a header: at most max bytes, inside the file, no NUL, valid UTF-8 (a
 * backing file name is shown in XML and used as a path). */
static char *read_name(const Source *s, uint64_t off, uint64_t len, uint64_t max, const char *what,
                       GError **error) {
        g_autofree char *name = NULL;

        if (len > max) {
                fail(error, s, "the %s is too long (%" G_GUINT64_FORMAT " bytes, at most %" G_GUINT64_FORMAT ")",
                     what, len, max);
                return NULL;
        }
        name = g_malloc((size_t) len + 1);
        if (!src_read(s, off, name, (size_t) len)) {
                fail(error, s, "the %s (%" G_GUINT64_FORMAT " bytes at offset %" G_GUINT64_FORMAT
                     ") lies beyond the end of the file", what, len, off);
                return NULL;
        }
        name[len] = 0;
        if (memchr(name, 0, (size_t) len) || !g_utf8_validate(name, (gssize) len, NULL)) {
                fail(error, s, "the %s is not a valid UTF-8 string", what);
                return NULL;
        }
        return g_steal_pointer(&name);
}

/* --- qcow2 --- */

#define QCOW2_EXT_END 0u
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau
#define QCOW2_EXT_CRYPTO_HEADER 0x0537be77u
#define QCOW2_INCOMPAT_KNOWN 0x1fu    /* dirty, corrupt, data file, compression, extended L2 */
#define QCOW2_INCOMPAT_EXTENDED_L2 (1u << 4)
#define QCOW2_BACKING_FORMAT_MAX 15   /* qemu keeps it in 16 bytes */

static bool probe_qcow2(const Source *s, VmmdImageInfo *info, GError **error) {
        uint8_t h[104];
        uint32_t version, cluster_bits, crypt, header_length = 72, backing_len;
        uint64_t cluster, backing_off, incompat = 0, off, end;
        bool crypto_header = false;

        if (!read_header(s, "qcow2", h, 72, error))
                return false;
        version = be32(h + 4);
        if (version != 2 && version != 3)
                return fail(error, s, "qcow2 version %u is not supported", version);
        cluster_bits = be32(h + 20);
        if (cluster_bits < 9 || cluster_bits > 21)
                return fail(error, s, "qcow2 cluster bits %u out of range 9..21", cluster_bits);
        cluster = 1ull << cluster_bits;
        info->virtual_size = be64(h + 24);
        if (info->virtual_size > G_MAXINT64)
                return fail(error, s, "qcow2 virtual size %" G_GUINT64_FORMAT " is too large", info->virtual_size);
        info->virtual_size &= ~(uint64_t) (SECTOR - 1);
        crypt = be32(h + 32);
        if (crypt > 2)
                return fail(error, s, "qcow2 encryption method %u is not known", crypt);
        info->encryption = crypt == 1 ? VMMD_IMAGE_ENCRYPTION_AES :
                           crypt == 2 ? VMMD_IMAGE_ENCRYPTION_LUKS : VMMD_IMAGE_ENCRYPTION_NONE;
        if (version == 3) {
                if (!read_header(s, "qcow2 v3", h, sizeof(h), error))
                        return false;
                incompat = be64(h + 72);
                if (incompat & ~(uint64_t) QCOW2_INCOMPAT_KNOWN)
                        return fail(error, s, "qcow2 has unknown incompatible features 0x%" G_GINT64_MODIFIER "x",
                                    incompat & ~(uint64_t) QCOW2_INCOMPAT_KNOWN);
                info->lazy_refcounts = be64(h + 80) & 1;
                info->extended_l2 = incompat & QCOW2_INCOMPAT_EXTENDED_L2;
                if (be32(h + 96) > 6)
                        return fail(error, s, "qcow2 refcount order %u is out of range", be32(h + 96));
                header_length = be32(h + 100);
                if (header_length < 104 || header_length > cluster)
                        return fail(error, s, "qcow2 header length %u out of range 104..%" G_GUINT64_FORMAT,
                                    header_length, cluster);
        }
        info->compat = version == 2 ? "0.10" : "1.1";
        info->cluster_size = cluster;

        backing_off = be64(h + 8);
        backing_len = be32(h + 16);
        if (backing_off) {
                if (backing_off > cluster)
                        return fail(error, s, "qcow2 backing file name offset %" G_GUINT64_FORMAT
                                    " lies beyond the first cluster", backing_off);
                if (backing_len > cluster - backing_off)
                        return fail(error, s, "qcow2 backing file name runs past the first cluster");
                if (backing_len) {
                        info->backing_file = read_name(s, backing_off, backing_len, VMMD_IMAGE_BACKING_NAME_MAX,
                                                       "backing file name", error);
                        if (!info->backing_file)
                                return false;
                }
        }

        /* header extensions: from the end of the header up to the backing name or the cluster end;
         * what lies past the end of the file reads as the end marker, as qemu sees it */
        end = backing_off ? backing_off : cluster;
        for (off = header_length; off + 8 <= end;) {
                uint8_t e[8];
                uint32_t type, len;

                if (!src_read(s, off, e, sizeof(e)))
                        break;
                type = be32(e);
                len = be32(e + 4);
                off += 8;
                if (type == QCOW2_EXT_END)
                        break;
                if (len > end - off)
                        return fail(error, s, "qcow2 header extension 0x%08x runs past the header", type);
                if (type == QCOW2_EXT_BACKING_FORMAT) {
                        g_free(info->backing_format);
                        info->backing_format = read_name(s, off, len, QCOW2_BACKING_FORMAT_MAX,
                                                         "backing file format", error);
                        if (!info->backing_format)
                                return false;
                } else if (type == QCOW2_EXT_CRYPTO_HEADER) {
                        if (crypt != 2)
                                return fail(error, s, "qcow2 has a LUKS header pointer but is not LUKS encrypted");
                        if (len < 16)
                                return fail(error, s, "qcow2 LUKS header pointer is cut short");
                        crypto_header = true;
                }
                off += ((uint64_t) len + 7) & ~(uint64_t) 7;
        }
        if (crypt == 2 && !crypto_header)
                return fail(error, s, "qcow2 is LUKS encrypted but has no LUKS header pointer");
        if (info->backing_format && !info->backing_file)
                g_clear_pointer(&info->backing_format, g_free);
        return true;
}

/* --- qcow (version 1) --- */

static bool probe_qcow(const Source *s, VmmdImageInfo *info, GError **error) {
        uint8_t h[48];
        uint64_t backing_off;
        uint32_t backing_len, crypt;

        if (!read_header(s, "qcow", h, sizeof(h), error))
                return false;
        info->virtual_size = be64(h + 24);
        if (info->virtual_size <= 1 || info->virtual_size > G_MAXINT64)
                return fail(error, s, "qcow virtual size %" G_GUINT64_FORMAT " out of range", info->virtual_size);
        info->virtual_size &= ~(uint64_t) (SECTOR - 1);
        if (h[32] < 9 || h[32] > 16)
                return fail(error, s, "qcow cluster bits %u out of range 9..16", h[32]);
        if (h[33] < 6 || h[33] > 16)
                return fail(error, s, "qcow L2 bits %u out of range 6..16", h[33]);
        info->cluster_size = 1ull << h[32];
        crypt = be32(h + 36);
        if (crypt > 1)
                return fail(error, s, "qcow encryption method %u is not known", crypt);
        info->encryption = crypt ? VMMD_IMAGE_ENCRYPTION_AES : VMMD_IMAGE_ENCRYPTION_NONE;
        backing_off = be64(h + 8);
        backing_len = be32(h + 16);
        if (backing_off && backing_len) {
                info->backing_file = read_name(s, backing_off, backing_len, VMMD_IMAGE_BACKING_NAME_MAX,
                                               "backing file name", error);
                if (!info->backing_file)
                        return false;
        }
        return true;
}

/* --- qed --- */

#define QED_F_BACKING_FILE 1u
#define QED_F_NEED_CHECK 2u
#define QED_F_BACKING_FORMAT_NO_PROBE 4u

static bool probe_qed(const Source *s, VmmdImageInfo *info, GError **error) {
        uint8_t h[64];
        uint32_t cluster, table_size, header_clusters, bf_off, bf_len;
        uint64_t features, table_entries, max_size;

        if (!read_header(s, "qed", h, sizeof(h), error))
                return false;
        cluster = le32(h + 4);
        table_size = le32(h + 8);
        header_clusters = le32(h + 12);
        features = le64(h + 16);
        if (!is_pow2(cluster) || cluster < 4096 || cluster > 64u * 1024 * 1024)
                return fail(error, s, "qed cluster size %u is not a power of two in 4 KiB..64 MiB", cluster);
        if (!is_pow2(table_size) || table_size > 16)
                return fail(error, s, "qed table size %u is not a power of two in 1..16", table_size);
        if (features & ~(uint64_t) (QED_F_BACKING_FILE | QED_F_NEED_CHECK | QED_F_BACKING_FORMAT_NO_PROBE))
                return fail(error, s, "qed has unknown features 0x%" G_GINT64_MODIFIER "x", features);
        if (header_clusters == 0)
                return fail(error, s, "qed header size is 0 clusters");
        info->virtual_size = le64(h + 48);
        /* what two levels of tables can address (both factors are powers of two, at most 2^51) */
        table_entries = (uint64_t) table_size * cluster / 8;
        max_size = table_entries * table_entries > G_MAXINT64 / cluster ? G_MAXINT64 :
                   table_entries * table_entries * cluster;
        if (info->virtual_size % SECTOR || info->virtual_size > max_size)
                return fail(error, s, "qed image size %" G_GUINT64_FORMAT " is not valid", info->virtual_size);
        info->cluster_size = cluster;
        if (features & QED_F_BACKING_FILE) {
                bf_off = le32(h + 56);
                bf_len = le32(h + 60);
                if ((uint64_t) bf_off + bf_len > (uint64_t) cluster * header_clusters)
                        return fail(error, s, "qed backing file name runs past the header");
                if (bf_len == 0)
                        return true;   /* an empty name is no backing file, as qemu reads it */
                info->backing_file = read_name(s, bf_off, bf_len, VMMD_IMAGE_BACKING_NAME_MAX, "backing file name",
                                               error);
                if (!info->backing_file)
                        return false;
                if (features & QED_F_BACKING_FORMAT_NO_PROBE)
                        info->backing_format = g_strdup("raw");
        }
        return true;
}

/* --- vdi --- */

#define VDI_SIGNATURE 0xbeda107fu
#define VDI_VERSION_1_1 0x00010001u
#define VDI_BLOCK_SIZE (1024u * 1024)
#define VDI_BLOCKS_MAX 0x3fffffffu

static bool all_zero(const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (p[i])
                        return false;
        return true;
}

static bool probe_vdi(const Source *s, VmmdImageInfo *info, GError **error) {
        uint8_t h[0x1c8];
        uint32_t version, block_size, blocks;
        uint64_t disk_size;

        if (!read_header(s, "vdi", h, sizeof(h), error))
                return false;
        version = le32(h + 0x44);
        if (version != VDI_VERSION_1_1)
                return fail(error, s, "vdi version %u.%u is not supported", version >> 16, version & 0xffff);
        if (le32(h + 0x154) % SECTOR || le32(h + 0x158) % SECTOR)
                return fail(error, s, "vdi block map or data offset is not sector aligned");
        if (le32(h + 0x168) != SECTOR)
                return fail(error, s, "vdi sector size %u is not 512", le32(h + 0x168));
        block_size = le32(h + 0x178);
        if (block_size != VDI_BLOCK_SIZE)
                return fail(error, s, "vdi block size %u is not 1 MiB", block_size);
        blocks = le32(h + 0x180);
        disk_size = le64(h + 0x170);
        if (blocks > VDI_BLOCKS_MAX || disk_size > (uint64_t) blocks * block_size)
                return fail(error, s, "vdi disk size %" G_GUINT64_FORMAT " does not fit its %u blocks", disk_size,
                            blocks);
        if (!all_zero(h + 0x1a8, 32))
                return fail(error, s, "vdi images with a parent are not supported");
        info->virtual_size = disk_size & ~(uint64_t) (SECTOR - 1);
        info->cluster_size = block_size;
        return true;
}

/* --- vpc (Virtual PC / VHD) --- */

#define VHD_FIXED 2u
#define VHD_DYNAMIC 3u
#define VHD_MAX_SECTORS 0xff000000ull
#define VHD_MAX_GEOMETRY (65535ull * 16 * 255)

static bool probe_vpc(const Source *s, VmmdImageInfo *info, GError **error) {
        uint8_t f[512], d[40];
        uint32_t sum = 0, type;
        uint64_t sectors;

        if (!read_header(s, "vpc", f, sizeof(f), error))
                return false;
        for (size_t i = 0; i < sizeof(f); i++)
                if (i < 64 || i >= 68)
                        sum += f[i];
        if (~sum != be32(f + 64))
                return fail(error, s, "vpc footer checksum does not match");
        type = be32(f + 60);
        if (type != VHD_FIXED && type != VHD_DYNAMIC)
                return fail(error, s, "vpc disk type %u is not supported", type);
        /* Virtual PC sizes a disk by its geometry; the tools named here use the stated size */
        sectors = (uint64_t) be16(f + 56) * f[58] * f[59];
        if (!memcmp(f + 28, "win ", 4) || !memcmp(f + 28, "qem2", 4) || !memcmp(f + 28, "d2v ", 4) ||
            !memcmp(f + 28, "CTXS", 4) || !memcmp(f + 28, "tap", 4) || sectors == VHD_MAX_GEOMETRY)
                sectors = be64(f + 48) / SECTOR;
        if (sectors >= VHD_MAX_SECTORS)
                return fail(error, s, "vpc disk of %" G_GUINT64_FORMAT " sectors is too large", sectors);
        info->virtual_size = sectors * SECTOR;
        if (type == VHD_DYNAMIC) {
                uint64_t off = be64(f + 16);
                uint32_t block, entries;

                if (!src_read(s, off, d, sizeof(d)) || memcmp(d, "cxsparse", 8) != 0)
                        return fail(error, s, "vpc dynamic disk header at offset %" G_GUINT64_FORMAT " is missing",
                                    off);
                entries = be32(d + 28);
                block = be32(d + 32);
                if (!is_pow2(block) || block < SECTOR)
                        return fail(error, s, "vpc block size %u is not a power of two", block);
                if (entries > G_MAXINT32 / 4 || (uint64_t) entries * block < sectors * SECTOR)
                        return fail(error, s, "vpc block table is too small for the disk");
                info->cluster_size = block;
        }
        return true;
}

/* --- vmdk --- */

#define VMDK4_MAGIC "KDMV"

/* A descriptor: the sum of its extents and its parent hint. Lines are "key=value" or
 * "ACCESS SECTORS TYPE ["FILE" [OFFSET]]"; anything else is ignored. */
static bool parse_vmdk_descriptor(const Source *s, const char *text, size_t len, bool extents,
                                  VmmdImageInfo *info, GError **error) {
        g_autofree char *copy = g_strndup(text, len);
        g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
        uint64_t sectors = 0;
        bool any = false;

        for (char **l = lines; *l; l++) {
                char *line = g_strstrip(*l);
                const char *hint = "parentFileNameHint=\"";

                if (g_str_has_prefix(line, hint)) {
                        const char *name = line + strlen(hint);
                        const char *q = strchr(name, '"');
                        size_t n;

                        if (!q)
                                return fail(error, s, "vmdk parentFileNameHint has no closing quote");
                        n = (size_t) (q - name);
                        if (n > VMMD_IMAGE_BACKING_NAME_MAX)
                                return fail(error, s, "the backing file name is too long (%zu bytes)", n);
                        if (!g_utf8_validate(name, (gssize) n, NULL))
                                return fail(error, s, "the backing file name is not a valid UTF-8 string");
                        g_free(info->backing_file);
                        g_clear_pointer(&info->backing_format, g_free);
                        info->backing_file = n ? g_strndup(name, n) : NULL;
                        /* a vmdk's parent is a vmdk: its format has no field of its own */
                        if (n)
                                info->backing_format = g_strdup("vmdk");
                        continue;
                }
                if (extents && (g_str_has_prefix(line, "RW ") || g_str_has_prefix(line, "RDONLY ") ||
                                g_str_has_prefix(line, "NOACCESS "))) {
                        const char *p = strchr(line, ' ');
                        char *endp;
                        guint64 n;

                        while (*p == ' ' || *p == '\t')
                                p++;
                        if (!g_ascii_isdigit(*p))
                                return fail(error, s, "vmdk extent line without a sector count");
                        errno = 0;
                        n = g_ascii_strtoull(p, &endp, 10);
                        if (errno || n > (G_MAXINT64 / SECTOR) - sectors)
                                return fail(error, s, "vmdk extents add up to more than a disk can hold");
                        sectors += n;
                        any = true;
                }
        }
        if (extents && !any)
                return fail(error, s, "vmdk descriptor lists no extent");
        if (extents)
                info->virtual_size = sectors * SECTOR;
        return true;
}

/* qemu's rule for a text descriptor: comments and blank lines, then "version=1|2|3". */
static bool looks_like_vmdk_descriptor(const uint8_t *buf, size_t len) {
        const char *p = (const char *) buf, *end = p + len;

        while (p < end) {
                if (*p == '#') {
                        while (p < end && *p != '\n')
                                p++;
                        p++;
                        continue;
                }
                if (*p == ' ' || *p == '\r' || *p == '\n') {
                        while (p < end && (*p == ' ' || *p == '\r'))
                                p++;
                        if (p == end || *p != '\n')
                                return false;
                        p++;
                        continue;
                }
                return (size_t) (end - p) >= 10 && strncmp(p, "version=", 8) == 0 && p[8] >= '1' && p[8] <= '3' &&
                       (p[9] == '\n' || p[9] == '\r');
        }
        return false;
}

static bool probe_vmdk_text(const Source *s, VmmdImageInfo *info, GError **error) {
        g_autofree char *text = NULL;

        if (s->size > VMDK_DESC_MAX)
                return fail(error, s, "vmdk descriptor file of %" G_GUINT64_FORMAT " bytes is too large", s->size);
        text = g_malloc((size_t) s->size + 1);
        if (!src_read(s, 0, text, (size_t) s->size))
                return fail(error, s, "cannot read the vmdk descriptor");
        if (memchr(text, 0, (size_t) s->size))
                return fail(error, s, "vmdk descriptor holds a NUL byte");
        return parse_vmdk_descriptor(s, text, (size_t) s->size, true, info, error);
}

static bool probe_vmdk_sparse(const Source *s, VmmdImageInfo *info, GError **error) {
        uint8_t h[77];
        uint64_t capacity, grain, desc_off, desc_len;
        uint32_t version;

        if (!read_header(s, "vmdk", h, sizeof(h), error))
                return false;
        version = le32(h + 4);
        if (version > 3)
                return fail(error, s, "vmdk version %u is not supported", version);
        capacity = le64(h + 12);
        grain = le64(h + 20);
        if (!is_pow2(grain) || grain > 0x200000)
                return fail(error, s, "vmdk grain of %" G_GUINT64_FORMAT " sectors is not valid", grain);
        if (le32(h + 44) > 512 || le32(h + 44) == 0)
                return fail(error, s, "vmdk grain table size %u out of range 1..512", le32(h + 44));
        if (capacity > G_MAXINT64 / SECTOR)
                return fail(error, s, "vmdk capacity of %" G_GUINT64_FORMAT " sectors is too large", capacity);
        info->virtual_size = capacity * SECTOR;
        info->cluster_size = grain * SECTOR;
        desc_off = le64(h + 28);
        desc_len = le64(h + 36);
        if (desc_off && desc_len) {
                g_autofree char *text = NULL;
                size_t len;

                if (desc_off > s->size / SECTOR)
                        return fail(error, s, "vmdk embedded descriptor lies beyond the end of the file");
                len = (size_t) MIN(MIN(desc_len, VMDK_DESC_MAX / SECTOR) * SECTOR, s->size - desc_off * SECTOR);
                text = g_malloc(len + 1);
                if (!src_read(s, desc_off * SECTOR, text, len))
                        return fail(error, s, "cannot read the vmdk embedded descriptor");
                /* the descriptor ends at its first NUL (the rest of its sectors is padding) */
                len = strnlen(text, len);
                if (!parse_vmdk_descriptor(s, text, len, false, info, error))
                        return false;
        }
        return true;
}

/* --- the signatures --- */

/* formats qemu-img reads and this probe does not: left to qemu-img */
static bool other_signature(const uint8_t *h, size_t len, const char *name) {
        static const struct {
                const char *magic;
                size_t len;
        } others[] = {
                { "LUKS\xba\xbe", 6 },              /* raw LUKS */
                { "vhdxfile", 8 },                  /* vhdx */
                { "WithoutFreeSpace", 16 },         /* parallels */
                { "WithouFreSpacExt", 16 },         /* parallels, large */
                { "Bochs Virtual HD Image", 22 },   /* bochs */
                { "COWD", 4 },                      /* vmdk version 3 */
                { "#!/bin/sh\n#V2.0 Format\n", 23 }, /* cloop */
        };

        for (size_t i = 0; i < G_N_ELEMENTS(others); i++)
                if (len >= others[i].len && memcmp(h, others[i].magic, others[i].len) == 0)
                        return true;
        return name && g_str_has_suffix(name, ".dmg");
}

static VmmdImageInfo *probe(Source *s, GError **error) {
        g_autoptr(VmmdImageInfo) info = g_new0(VmmdImageInfo, 1);
        const uint8_t *h = s->head;
        size_t n = s->head_len;
        bool ok = true;

        if (n >= 8 && memcmp(h, "QFI\xfb", 4) == 0 && be32(h + 4) == 1) {
                info->format = VMMD_IMAGE_QCOW;
                ok = probe_qcow(s, info, error);
        } else if (n >= 4 && memcmp(h, "QFI\xfb", 4) == 0) {
                info->format = VMMD_IMAGE_QCOW2;
                ok = probe_qcow2(s, info, error);
        } else if (n >= 4 && memcmp(h, "QED\0", 4) == 0) {
                info->format = VMMD_IMAGE_QED;
                ok = probe_qed(s, info, error);
        } else if (n >= 4 && memcmp(h, VMDK4_MAGIC, 4) == 0) {
                info->format = VMMD_IMAGE_VMDK;
                ok = probe_vmdk_sparse(s, info, error);
        } else if (n >= 68 && le32(h + 64) == VDI_SIGNATURE) {
                info->format = VMMD_IMAGE_VDI;
                ok = probe_vdi(s, info, error);
        } else if (n >= 8 && memcmp(h, "conectix", 8) == 0) {
                info->format = VMMD_IMAGE_VPC;
                ok = probe_vpc(s, info, error);
        } else if (other_signature(h, n, s->name)) {
                info->format = VMMD_IMAGE_OTHER;
        } else if (looks_like_vmdk_descriptor(h, MIN(n, (size_t) 512))) {
                info->format = VMMD_IMAGE_VMDK;
                ok = probe_vmdk_text(s, info, error);
        } else {
                char iso[5];

                info->format = VMMD_IMAGE_RAW;
                /* qemu counts a raw file in whole sectors */
                info->virtual_size = s->size > G_MAXUINT64 - (SECTOR - 1) ? s->size :
                                     (s->size + SECTOR - 1) & ~(uint64_t) (SECTOR - 1);
                info->iso9660 = src_read(s, 32769, iso, sizeof(iso)) && memcmp(iso, "CD001", 5) == 0;
        }
        if (!ok)
                return NULL;
        return g_steal_pointer(&info);
}

VmmdImageInfo *vmmd_image_probe_fd(int fd, const char *name, GError **error) {
        struct stat st;

        if (fstat(fd, &st) < 0) {
                vmmd_error_set_errno(error, -errno, "cannot stat image '%s'", name ? name : "(unnamed)");
                return NULL;
        }
        return vmmd_image_probe_fd_sized(fd, (uint64_t) st.st_size, name, error);
}

VmmdImageInfo *vmmd_image_probe_fd_sized(int fd, uint64_t size, const char *name, GError **error) {
        g_autofree Source *s = g_new(Source, 1);
        ssize_t n;

        s->fd = fd;
        s->data = NULL;
        s->name = name ? name : "(unnamed)";
        s->size = size;
        do
                n = pread(fd, s->head, sizeof(s->head), 0);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                vmmd_error_set_errno(error, -errno, "cannot read image '%s'", s->name);
                return NULL;
        }
        /* a file that grows or shrinks while we read: trust only what we saw */
        s->head_len = (size_t) MIN((uint64_t) n, s->size);
        if ((uint64_t) n < sizeof(s->head) && (uint64_t) n < s->size)
                s->size = (uint64_t) n;
        return probe(s, error);
}

VmmdImageInfo *vmmd_image_probe_data(const void *data, size_t size, const char *name, GError **error) {
        g_autofree Source *s = g_new(Source, 1);

        s->fd = -1;
        s->data = data;
        s->size = size;
        s->name = name ? name : "(buffer)";
        s->head_len = MIN(size, sizeof(s->head));
        if (s->head_len)
                memcpy(s->head, data, s->head_len);
        return probe(s, error);
}
