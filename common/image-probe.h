/* image-probe: reads the header of a disk image (raw, qcow, qcow2, qed, vmdk, vdi, vpc) without qemu-img. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The probe trusts nothing in the file: every offset and length is checked against the file
 * size and the format's own limits, and it never opens another file (a backing file is a
 * name it reports, so a chain that loops cannot make it loop). */

typedef enum VmmdImageFormat {
        VMMD_IMAGE_RAW,
        VMMD_IMAGE_QCOW,
        VMMD_IMAGE_QCOW2,
        VMMD_IMAGE_QED,
        VMMD_IMAGE_VMDK,
        VMMD_IMAGE_VDI,
        VMMD_IMAGE_VPC,
        /* the signature of a format this probe does not read (luks, vhdx, parallels, ...):
         * the caller asks qemu-img */
        VMMD_IMAGE_OTHER,
} VmmdImageFormat;

typedef enum VmmdImageEncryption {
        VMMD_IMAGE_ENCRYPTION_NONE,
        VMMD_IMAGE_ENCRYPTION_AES,      /* qcow/qcow2 legacy AES-CBC */
        VMMD_IMAGE_ENCRYPTION_LUKS,     /* qcow2 with a LUKS header inside */
} VmmdImageEncryption;

/* The longest backing file name accepted (qemu's own limit) */
#define VMMD_IMAGE_BACKING_NAME_MAX 1023

typedef struct VmmdImageInfo {
        VmmdImageFormat format;
        uint64_t virtual_size;          /* bytes */
        uint64_t cluster_size;          /* 0 when the format has none or the header does not tell */
        char *backing_file;             /* as the header stores it (maybe relative), or NULL */
        char *backing_format;           /* as the header stores it, or NULL */
        VmmdImageEncryption encryption;
        const char *compat;             /* qcow2: "0.10" or "1.1"; else NULL */
        bool lazy_refcounts;            /* qcow2 v3 */
        bool extended_l2;               /* qcow2 v3 */
        bool iso9660;                   /* raw, with the ISO-9660 signature at byte 32769 */
} VmmdImageInfo;

void vmmd_image_info_free(VmmdImageInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmmdImageInfo, vmmd_image_info_free)

/* The name qemu-img gives the format ("raw", "qcow2", ...; "other" for VMMD_IMAGE_OTHER). */
const char *vmmd_image_format_name(VmmdImageFormat format);

/* Probes the open file fd (read with pread; the offset is not moved). name is only used for
 * messages and for formats recognised by their file name suffix. A header that is broken or
 * hostile gives OperationFailed naming what is wrong; anything without a known signature is raw. */
VmmdImageInfo *vmmd_image_probe_fd(int fd, const char *name, GError **error);
/* The same when the caller has just stat'ed fd and knows its size (a pool scan: one syscall less per file). */
VmmdImageInfo *vmmd_image_probe_fd_sized(int fd, uint64_t size, const char *name, GError **error);

/* The same over a buffer holding a whole file (tests, fuzzing). */
VmmdImageInfo *vmmd_image_probe_data(const void *data, size_t size, const char *name, GError **error);
