/* qemu-img: probing images (the header probe, else info --output=json) and running its commands. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#define QEMU_IMG_INFO_TIMEOUT_MS (30 * 1000)
#define QEMU_IMG_QUICK_TIMEOUT_MS (120 * 1000)

typedef struct QemuImgInfo {
        char *format;
        uint64_t virtual_size;
        uint64_t cluster_size;      /* 0 when the format has none */
        char *backing_file;         /* absolute, or NULL */
        char *backing_format;       /* from the header, or NULL */
        char *compat;               /* qcow2 only */
        bool lazy_refcounts;
        bool extended_l2;
        bool encrypted;             /* qcow/qcow2 AES or LUKS */
        bool iso9660;               /* raw with the ISO-9660 signature (S28) */
        char *encrypt_format;       /* qcow2 encryption ("luks"), or NULL */
} QemuImgInfo;

void qemu_img_info_free(QemuImgInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QemuImgInfo, qemu_img_info_free)

/* The qemu-img to run (PATH lookup), or NULL with OperationFailed when it is not installed. */
char *qemu_img_find(GError **error);

/* qemu-img info --output=json -U path, bounded (spec S27); OperationFailed carries stderr. */
QemuImgInfo *qemu_img_info(const char *path, GError **error);

/* What the image at path is: its header read by the daemon itself (common/image-probe.c),
 * and qemu-img info only for a format the probe does not read or a header it refuses (qemu-img
 * is more lenient; when it fails too, the caller reports raw, S29). fd, when not -1, is path
 * opened for reading, and st (may be NULL) its fstat. The backing file comes back absolute, as
 * qemu_img_info gives it. */
QemuImgInfo *qemu_img_probe(const char *path, int fd, const struct stat *st, GError **error);

/* Parses qemu-img's JSON (exposed for tests); dir resolves a relative backing file. */
QemuImgInfo *qemu_img_info_parse(const char *json, const char *dir, GError **error);
