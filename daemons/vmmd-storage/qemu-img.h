/* qemu-img: probing images (info --output=json) and the argument lists for create, convert and resize. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

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
        char *encrypt_format;       /* qcow2 encryption ("luks"), or NULL */
} QemuImgInfo;

void qemu_img_info_free(QemuImgInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QemuImgInfo, qemu_img_info_free)

/* The qemu-img to run (PATH lookup), or NULL with OperationFailed when it is not installed. */
char *qemu_img_find(GError **error);

/* qemu-img info --output=json -U path, bounded (spec S27); OperationFailed carries stderr. */
QemuImgInfo *qemu_img_info(const char *path, GError **error);

/* Parses qemu-img's JSON (exposed for tests); dir resolves a relative backing file. */
QemuImgInfo *qemu_img_info_parse(const char *json, const char *dir, GError **error);

/* Runs qemu-img with args (argv without the program) synchronously and bounded;
 * OperationFailed with qemu-img's stderr when it fails. */
bool qemu_img_run(const char *const *args, GError **error);
