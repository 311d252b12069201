/* vmmd's save image: magic, a protobuf header, zero padding, then QEMU's migration stream (spec domains.md C.1). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SAVE_IMAGE_MAGIC "VmmdSaveImage\0\0\0"
#define SAVE_IMAGE_MAGIC_PARTIAL "VmmdSavePartial\0"
#define SAVE_IMAGE_MAGIC_LEN 16
#define SAVE_IMAGE_VERSION 1
#define SAVE_IMAGE_MIN_PADDING 65536
#define SAVE_IMAGE_ALIGN 4096
/* An image is written to ".NAME.partial-XXXXXX" beside its target NAME and renamed over it
 * when complete (issue 10: a failed save keeps what was there). Only files of this pattern
 * are removed as leftovers: by a failed save, by re-attach (the status file names the one
 * of a save in progress) and, in the managed save directory, by the daemon's start. */
#define SAVE_IMAGE_PARTIAL_INFIX ".partial-"

typedef struct SaveImage {
        char *path;
        int fd;                  /* open; positioned at stream_offset after save_image_open */
        uint32_t version;
        char *domain_xml;
        bool was_running;
        int compression;
        char *cookie;            /* NULL when absent */
        uint64_t stream_offset;
        uint64_t header_len;
} SaveImage;

void save_image_free(SaveImage *img);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SaveImage, save_image_free)

/* Why an image cannot be used (spec C5), for callers that treat a partial image specially. */
typedef enum {
        SAVE_IMAGE_OK = 0,
        SAVE_IMAGE_TOO_SHORT,
        SAVE_IMAGE_PARTIAL,
        SAVE_IMAGE_BAD,
} SaveImageStatus;

/* Opens and validates an image (C5: every failure OperationFailed, or SystemError when it
 * cannot be opened). ret_status, if given, says which kind of failure it was. */
SaveImage *save_image_open(const char *path, bool bypass_cache, SaveImageStatus *ret_status, GError **error);

/* Validates an image already in memory (the fuzz target's entry point). */
SaveImage *save_image_parse(const uint8_t *data, size_t len, uint64_t file_size, SaveImageStatus *ret_status,
                            GError **error);

/* Starts the image for path with the partial magic, the header and the padding; returns
 * the fd positioned at the stream offset, for QEMU to write the stream. A regular file
 * (or a new one) is written as *ret_partial (0600) beside path; a block device in place
 * (*ret_partial NULL); anything else is refused (OperationInvalid). */
int save_image_create(const char *path, const char *domain_xml, bool was_running, const char *cookie,
                      bool bypass_cache, char **ret_partial, GError **error);

/* The stream is complete: fsync, final magic, fsync. */
bool save_image_finish(int fd, const char *path, const char *partial, GError **error);
/* The complete image takes its place: partial (if any) renamed over path, directory fsynced. */
bool save_image_commit(const char *path, const char *partial, GError **error);

/* "a FIFO", "a directory", ... for messages. */
const char *save_image_file_type(mode_t mode);
/* True when base (a file name) has the partial-image pattern ".NAME.partial-XXXXXX". */
bool save_image_is_partial_name(const char *base);

/* Rewrites the header in place (C35, C36): magic final, stream offset and stream unchanged. */
bool save_image_rewrite(SaveImage *img, const char *domain_xml, bool was_running, GError **error);
