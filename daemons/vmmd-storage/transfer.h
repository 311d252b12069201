/* The data movers of long volume operations; each runs in a helper process (common/process.h). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum {
        TRANSFER_CREATE_RAW,   /* path: new file; capacity, allocation, mode, uid, gid */
        TRANSFER_CLONE_RAW,    /* source → path (new file); capacity, allocation, mode, uid, gid */
        TRANSFER_WIPE_ZERO,    /* path (spec S55) */
        TRANSFER_UPLOAD,       /* fd → path at offset; length (0: to EOF); sparse (S61–S63) */
        TRANSFER_DOWNLOAD,     /* path from offset → fd; length (0: to the end); sparse (S60, S63) */
} TransferKind;

typedef struct TransferSpec {
        TransferKind kind;
        char *path;
        char *source;
        int fd;                /* the client's descriptor, owned */
        uint64_t offset, length;
        uint64_t capacity, allocation;
        bool sparse;
        mode_t mode;
        uid_t uid;             /* (uid_t) -1: leave */
        gid_t gid;
} TransferSpec;

TransferSpec *transfer_spec_new(TransferKind kind, const char *path);
void transfer_spec_free(TransferSpec *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TransferSpec, transfer_spec_free)

/* A HelperFunc: does the work of spec, writes an error message to stderr and returns its
 * VmmdErrorCode on failure. A new file (create, clone) is removed again on failure. */
int transfer_run(void *spec);
