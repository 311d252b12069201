/* A storage volume of a dir pool: probing a file, and create, clone, delete, wipe, resize, upload, download. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "pool.h"

struct Volume {
        Pool *pool;
        StorageVolDef *def;         /* what the last probe found (or the request while building) */
        bool building;              /* S34: create or clone running */
        unsigned in_use;            /* S34: source of a clone, upload, download, wipe */
        struct stat probed;         /* S32: the file as the last probe saw it */
        int64_t probed_at;          /* when that probe began (realtime, µs); 0: no probe to trust */
        char *bus_path;             /* the bus glue's object path, made once (volume-dbus.c) */
};

/* Called once when a long operation ends; error is NULL on success. v is the new volume
 * of a create or clone that succeeded, else NULL. */
typedef void (*VolumeDoneFunc)(Volume *v, const GError *error, void *userdata);

Volume *volume_new(Pool *p, StorageVolDef *def);   /* takes def */
void volume_free(Volume *v);

const char *volume_name(const Volume *v);
const char *volume_path(const Volume *v);

/* Probes the entry name of the pool's directory (spec S25–S30); NULL with *ret_skip set
 * for entries that are silently skipped, NULL with error when it cannot be read. */
/* dir_fd: the pool's directory open (a scan), or -1 to look the name up from the target path;
 * d_type: the entry's type as the directory listed it (DT_UNKNOWN when not known);
 * ret_st (may be NULL): the file's stat the probe used */
StorageVolDef *volume_probe(Pool *p, int dir_fd, const char *name, unsigned char d_type, struct stat *ret_st,
                            bool *ret_skip, GError **error);
/* S32: true when v's file (in the pool's open directory) shows no change since its last probe,
 * so that a scan keeps what that probe read; its allocation and access time are updated. */
bool volume_unchanged(Volume *v, int dir_fd);
/* Records the probe of v begun at started (realtime µs) that saw st. */
void volume_probed(Volume *v, const struct stat *st, int64_t started);
/* Probes the volume again in place (S69). */
bool volume_refresh(Volume *v, GError **error);
/* Takes def as v's definition after a new probe of its file (keeping what a header cannot tell). */
void volume_replace_def(Volume *v, StorageVolDef *def);

/* StorageVolCreateXML (S36–S45). Returns the new (building) volume; done runs when its data
 * is in place, or at once for quick creates. */
Volume *volume_create(Pool *p, const char *xml, unsigned flags, VolumeDoneFunc done, void *userdata,
                      GError **error);
/* StorageVolCreateXMLFrom (S46–S50). */
Volume *volume_clone(Pool *p, const char *xml, Volume *source, unsigned flags, VolumeDoneFunc done, void *userdata,
                     GError **error);

/* Delete (S51, S52): false with error, or true; *ret_async tells that done will run later. */
bool volume_delete(Volume *v, unsigned flags, VolumeDoneFunc done, void *userdata, bool *ret_async, GError **error);
bool volume_wipe(Volume *v, unsigned algorithm, VolumeDoneFunc done, void *userdata, GError **error);
/* Resize (S57–S59): a raw file at once; an image format through qemu-img, then *ret_async is
 * set and done runs when it has finished. */
bool volume_resize(Volume *v, uint64_t capacity, unsigned flags, VolumeDoneFunc done, void *userdata, bool *ret_async,
                   GError **error);
/* Upload/Download (S60–S64): fd is taken. */
bool volume_upload(Volume *v, int fd, uint64_t offset, uint64_t length, unsigned flags, VolumeDoneFunc done,
                   void *userdata, GError **error);
bool volume_download(Volume *v, int fd, uint64_t offset, uint64_t length, unsigned flags, VolumeDoneFunc done,
                     void *userdata, GError **error);

/* (type, capacity, allocation or physical) for GetInfo, after a probe (S69; S35 while building). */
bool volume_get_info(Volume *v, unsigned flags, int *ret_type, uint64_t *ret_capacity, uint64_t *ret_alloc,
                     GError **error);
char *volume_get_xml(Volume *v, GError **error);
