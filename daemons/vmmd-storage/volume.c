/* The volume model of dir pools: what a file is (probe), and the operations on volumes.
 * Long operations run in a helper process; the daemon's loop only waits for its exit. */
#include "volume.h"
#include "name-rule.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "error.h"
#include "process.h"
#include "log.h"
#include "manager.h"
#include "qemu-img.h"
#include "secret-client.h"
#include "transfer.h"
#include "vmmd/secret1.h"

Volume *volume_new(Pool *p, StorageVolDef *def) {
        Volume *v = g_new0(Volume, 1);

        v->pool = p;
        v->def = def;
        return v;
}

void volume_free(Volume *v) {
        if (!v)
                return;
        storage_vol_def_free(v->def);
        g_free(v->bus_path);
        g_free(v);
}

const char *volume_name(const Volume *v) {
        return v->def->name;
}

const char *volume_path(const Volume *v) {
        return v->def->target.path;
}

/* --- probing (S25–S31) --- */

static void perms_unset(StoragePerms *perms) {
        perms->mode = -1;
        perms->owner = -1;
        perms->group = -1;
}

static void set_time(StorageTimestamp *t, const struct timespec *ts) {
        t->set = true;
        t->sec = ts->tv_sec;
        t->nsec = ts->tv_nsec;
}

static int format_from_qemu(const char *name) {
        int f = storage_file_format_from_string(name);
        return f > STORAGE_FILE_FORMAT_NONE ? f : STORAGE_FILE_FORMAT_RAW;
}

/* S30: the header's format, else a probe; a missing backing file is raw */
static int backing_format(const QemuImgInfo *info) {
        g_autoptr(QemuImgInfo) b = NULL;

        if (info->backing_format)
                return format_from_qemu(info->backing_format);
        if (access(info->backing_file, R_OK) < 0)
                return STORAGE_FILE_FORMAT_RAW;
        b = qemu_img_probe(info->backing_file, -1, NULL, NULL);
        return b ? format_from_qemu(b->format) : STORAGE_FILE_FORMAT_RAW;
}

/* fd: the file, open for reading */
static void probe_file(StorageVolDef *def, int fd, const struct stat *st) {
        g_autoptr(GError) error = NULL;
        g_autoptr(QemuImgInfo) info = qemu_img_probe(def->target.path, fd, st, &error);

        def->capacity = (uint64_t) st->st_size;
        def->target.format = STORAGE_FILE_FORMAT_RAW;
        if (!info) {
                /* S29: listed as raw; the refresh goes on */
                log_warning("cannot probe '%s', reporting it as raw: %s", def->target.path, error->message);
                return;
        }
        def->target.format = format_from_qemu(info->format);
        def->capacity = info->virtual_size;
        if (def->target.format == STORAGE_FILE_FORMAT_RAW && info->iso9660)
                def->target.format = STORAGE_FILE_FORMAT_ISO;
        if (def->target.format == STORAGE_FILE_FORMAT_QCOW2) {
                def->target.cluster_size = info->cluster_size;
                def->target.compat = g_strdup(info->compat);
                def->target.lazy_refcounts = info->lazy_refcounts;
                def->target.extended_l2 = info->extended_l2;
                if (info->encrypt_format) {
                        /* the header says how it is encrypted; which secret opens it only the create knew */
                        int f = storage_encryption_format_from_string(info->encrypt_format);
                        def->target.encryption = g_new0(StorageEncryption, 1);
                        def->target.encryption->format = f >= 0 ? f : STORAGE_ENCRYPTION_DEFAULT;
                }
        }
        if (info->backing_file) {
                def->backing_store.path = g_strdup(info->backing_file);
                def->backing_store.format = backing_format(info);
        }
}

static bool name_is_listable(const char *name) {
        for (const char *c = name; *c; c++)
                if (g_ascii_iscntrl(*c))
                        return false;
        return *name != 0;
}

StorageVolDef *volume_probe(Pool *p, int dir_fd, const char *name, unsigned char d_type, struct stat *ret_st,
                            bool *ret_skip, GError **error) {
        g_autofree char *path = g_build_filename(p->def->target_path, name, NULL);
        /* a scan looks names up in the open directory: no walk of the whole path per file */
        int at = dir_fd >= 0 ? dir_fd : AT_FDCWD;
        const char *rel = dir_fd >= 0 ? name : path;
        g_autoptr(StorageVolDef) def = NULL;
        char label[256];
        struct stat st;
        ssize_t n;
        int fd;

        *ret_skip = false;
        if (!name_is_listable(name) || strchr(name, '/')) {
                *ret_skip = true;
                return NULL;
        }
        /* anything but a plain file is looked at before it is opened (opening a device may do
         * something); a file the directory says is plain is opened and its open file looked at */
        if (d_type != DT_REG && fstatat(at, rel, &st, 0) < 0) {
                /* dangling symlinks and entries we may not look at are not volumes */
                if (errno == ENOENT || errno == EACCES || errno == ELOOP) {
                        *ret_skip = true;
                        return NULL;
                }
                vmmd_error_set_errno(error, -errno, "cannot stat '%s'", path);
                return NULL;
        }
        if (d_type != DT_REG && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
                *ret_skip = true;
                return NULL;
        }
        fd = openat(at, rel, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                *ret_skip = errno == EACCES || errno == ENOENT;
                if (!*ret_skip)
                        vmmd_error_set_errno(error, -errno, "cannot open '%s'", path);
                return NULL;
        }
        if (d_type == DT_REG && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
                /* replaced by something else since the directory was read */
                close(fd);
                *ret_skip = true;
                return NULL;
        }

        def = g_new0(StorageVolDef, 1);
        def->pool_type = p->def->type;
        def->name = g_strdup(name);
        def->key = g_strdup(path);
        def->target.path = g_steal_pointer(&path);
        perms_unset(&def->backing_store.perms);
        if (S_ISDIR(st.st_mode)) {
                def->type = STORAGE_VOL_DIR;
                def->target.format = STORAGE_FILE_FORMAT_DIR;
                def->capacity = (uint64_t) st.st_size;
        } else {
                def->type = STORAGE_VOL_FILE;
                probe_file(def, fd, &st);
        }
        def->capacity_set = true;
        def->allocation = (uint64_t) st.st_blocks * 512;
        def->allocation_set = true;
        def->physical = (uint64_t) st.st_size;
        def->physical_set = true;
        def->target.perms.mode = (int) (st.st_mode & 0777);
        def->target.perms.owner = st.st_uid;
        def->target.perms.group = st.st_gid;
        /* the label of what the volume is (as libvirt reads it, from the open file) */
        n = fgetxattr(fd, "security.selinux", label, sizeof(label) - 1);
        close(fd);
        if (n > 0) {
                label[n] = 0;
                def->target.perms.label = g_strdup(label);
        }
        set_time(&def->target.atime, &st.st_atim);
        set_time(&def->target.mtime, &st.st_mtim);
        set_time(&def->target.ctime, &st.st_ctim);
        if (ret_st)
                *ret_st = st;
        return g_steal_pointer(&def);
}

static int64_t usec_of(const struct timespec *ts) {
        return (int64_t) ts->tv_sec * G_USEC_PER_SEC + ts->tv_nsec / 1000;
}

static bool same_time(const struct timespec *a, const struct timespec *b) {
        return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

void volume_probed(Volume *v, const struct stat *st, int64_t started) {
        v->probed = *st;
        v->probed_at = started;
}

bool volume_unchanged(Volume *v, int dir_fd) {
        const struct stat *old = &v->probed;
        struct stat st;

        /* a backing file's format may have come from probing that file, which may have changed */
        if (!v->probed_at || v->building || v->def->type != STORAGE_VOL_FILE || v->def->backing_store.path)
                return false;
        if (fstatat(dir_fd, volume_name(v), &st, 0) < 0 || !S_ISREG(st.st_mode))
                return false;
        /* any write, truncate, chmod, chown, label change or rename moves ctime */
        if (st.st_dev != old->st_dev || st.st_ino != old->st_ino || st.st_size != old->st_size ||
            !same_time(&st.st_mtim, &old->st_mtim) || !same_time(&st.st_ctim, &old->st_ctim))
                return false;
        /* file times tick coarsely: a change in the same tick as the probe would leave them
         * equal, so a file changed shortly before its last probe is read again */
        if (usec_of(&st.st_ctim) + G_USEC_PER_SEC > v->probed_at)
                return false;
        v->def->allocation = (uint64_t) st.st_blocks * 512;
        set_time(&v->def->target.atime, &st.st_atim);
        v->probed = st;
        return true;
}

bool volume_refresh(Volume *v, GError **error) {
        g_autoptr(GError) local = NULL;
        StorageVolDef *def;
        bool skip = false;
        int64_t started = g_get_real_time();
        struct stat st;

        def = volume_probe(v->pool, -1, volume_name(v), DT_UNKNOWN, &st, &skip, &local);
        if (!def) {
                if (skip)
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR, "cannot read volume '%s'",
                                    volume_path(v));
                else
                        g_propagate_error(error, g_steal_pointer(&local));
                return false;
        }
        volume_replace_def(v, def);
        volume_probed(v, &st, started);
        return true;
}

void volume_replace_def(Volume *v, StorageVolDef *def) {
        /* the secret named at create time is kept while the file is still encrypted the same way:
         * a header tells how an image is encrypted, never with which secret */
        if (def->target.encryption && v->def->target.encryption && v->def->target.encryption->secret_type &&
            !def->target.encryption->secret_type &&
            def->target.encryption->format == v->def->target.encryption->format) {
                StorageEncryption *old = v->def->target.encryption, *enc = def->target.encryption;
                enc->secret_type = g_strdup(old->secret_type);
                enc->secret_uuid = g_strdup(old->secret_uuid);
                enc->secret_usage = g_strdup(old->secret_usage);
        }
        storage_vol_def_free(v->def);
        v->def = def;
}

/* --- checks (S34) --- */

static bool check_idle(Volume *v, bool in_use_ok, GError **error) {
        if (v->building) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "volume '%s' is still being allocated.",
                            volume_name(v));
                return false;
        }
        if (v->in_use && !in_use_ok) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "volume '%s' is still in use.",
                            volume_name(v));
                return false;
        }
        return true;
}

static bool check_pool_active(Pool *p, GError **error) {
        if (p->active)
                return true;
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "storage pool '%s' is not active", pool_name(p));
        return false;
}

/* --- jobs: one helper process each --- */

typedef enum {
        JOB_CREATE,
        JOB_CLONE,
        JOB_WIPE,
        JOB_DELETE_ZEROED,
        JOB_UPLOAD,
        JOB_DOWNLOAD,
        JOB_RESIZE,            /* qemu-img resize of an image format */
} JobKind;

typedef struct VolumeJob {
        JobKind kind;
        Volume *volume;
        Volume *source;          /* clone source, in use while the job runs */
        bool program;            /* exec'd program: a failure is OperationFailed with its output */
        uint64_t grow_to;        /* clone: capacity to reach after qemu-img convert */
        TransferSpec *spec;
        VmmdProcess *helper;
        int key_fd;              /* LUKS create: the pipe holding the passphrase, read as /dev/fd/3 */
        GPtrArray *key_argv;     /* LUKS: the command, kept for a retry (see job_retry_luks) */
        unsigned attempts;
        VolumeDoneFunc done;
        void *userdata;
} VolumeJob;

static void job_free(VolumeJob *j) {
        if (j->key_fd >= 0)
                close(j->key_fd);
        if (j->key_argv)
                g_ptr_array_unref(j->key_argv);
        vmmd_process_free(j->helper);
        transfer_spec_free(j->spec);
        g_free(j);
}

static void job_hold(VolumeJob *j, bool hold) {
        Manager *m = j->volume->pool->manager;
        int d = hold ? 1 : -1;

        m->jobs += d;
        j->volume->pool->async_jobs += d;
        if (j->kind == JOB_WIPE || j->kind == JOB_DELETE_ZEROED || j->kind == JOB_UPLOAD || j->kind == JOB_DOWNLOAD ||
            j->kind == JOB_RESIZE)
                j->volume->in_use += d;
        if (j->source) {
                j->source->in_use += d;
                j->source->pool->async_jobs += d;
        }
}

static void remove_volume(Volume *v, bool emit) {
        Pool *p = v->pool;

        if (emit)
                manager_notify_volume_removed(p->manager, v);
        g_hash_table_remove(p->volumes, volume_name(v));
        pool_update_figures(p);
}

static void apply_perms(const StorageVolDef *def, const char *path) {
        const StoragePerms *perms = &def->target.perms;

        if (chmod(path, perms->mode >= 0 ? (mode_t) perms->mode : 0600) < 0)
                log_warning("cannot set mode of '%s': %s", path, g_strerror(errno));
        if ((perms->owner >= 0 || perms->group >= 0) &&
            chown(path, perms->owner >= 0 ? (uid_t) perms->owner : (uid_t) -1,
                  perms->group >= 0 ? (gid_t) perms->group : (gid_t) -1) < 0)
                log_warning("cannot set owner of '%s': %s", path, g_strerror(errno));
}

/* After a create or clone: the file is in place (and grown by qemu-img if it had to be);
 * probe it, reply, then announce it (S38). */
static bool finish_new_volume(VolumeJob *j, GError **error) {
        Volume *v = j->volume;

        if (j->program)
                apply_perms(v->def, volume_path(v));
        if (j->grow_to && v->def->target.format == STORAGE_FILE_FORMAT_RAW &&
            truncate(volume_path(v), (off_t) j->grow_to) < 0) {
                vmmd_error_set_errno(error, -errno, "cannot resize '%s'", volume_path(v));
                return false;
        }
        return volume_refresh(v, error);
}

static void job_complete(VolumeJob *j, GError *error);

static void grow_done(VmmdProcess *h, int code, const char *out, const char *err, void *userdata) {
        VolumeJob *j = userdata;
        GError *error = NULL;

        j->grow_to = 0;
        if (code == -ETIMEDOUT)
                g_set_error(&error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "qemu-img resize did not finish within %u s",
                            QEMU_IMG_QUICK_TIMEOUT_MS / 1000);
        else if (code != 0)
                g_set_error(&error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "qemu-img resize failed: %s",
                            *err ? err : "killed by a signal");
        job_complete(j, error);
}

/* A clone to a larger image format volume: qemu-img resize in a second helper, so the loop
 * never waits for it (the volume stays building meanwhile). */
static bool start_grow(VolumeJob *j, GError **error) {
        Volume *v = j->volume;
        g_autofree char *prog = qemu_img_find(error);
        g_autofree char *size = g_strdup_printf("%" G_GUINT64_FORMAT, (j->grow_to + 511) / 512 * 512);
        const char *const argv[] = { prog, "resize", "-f", storage_file_format_to_string(v->def->target.format),
                                     volume_path(v), size, NULL };
        int r;

        if (!prog)
                return false;
        g_clear_pointer(&j->helper, vmmd_process_free);
        r = vmmd_process_run(v->pool->manager->event, argv, QEMU_IMG_QUICK_TIMEOUT_MS * 1000ull, grow_done, j,
                             &j->helper);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot run qemu-img resize for volume '%s'", volume_name(v));
                return false;
        }
        return true;
}

static bool job_retry_luks(VolumeJob *j, const char *output);

static void job_done(VmmdProcess *h, int code, const char *out, const char *output, void *userdata) {
        VolumeJob *j = userdata;
        GError *error = NULL;

        if (code != 0 && job_retry_luks(j, output))
                return;

        if (code != 0 && j->kind == JOB_RESIZE)
                g_set_error(&error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "qemu-img resize failed: %s",
                            *output ? output : "killed by a signal");
        else if (code != 0) {
                if (j->program || code < 0)
                        g_set_error(&error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "%s",
                                    *output ? output : "the helper process was killed");
                else
                        g_set_error(&error, VMMD_ERROR, code, "%s", *output ? output : "the helper process failed");
        }
        job_complete(j, error);
}

/* The job's work is over (error set when it failed; taken): settle the volume, reply, announce. */
static void job_complete(VolumeJob *j, GError *error_in) {
        g_autoptr(GError) error = error_in;
        Volume *v = j->volume;
        Pool *p = v->pool;
        bool announce = false;

        if (!error && j->kind == JOB_CLONE && j->grow_to && v->def->target.format != STORAGE_FILE_FORMAT_RAW) {
                if (start_grow(j, &error))
                        return;
        }
        job_hold(j, false);
        switch (j->kind) {
        case JOB_CREATE:
        case JOB_CLONE:
                v->building = false;
                if (!error)
                        (void) finish_new_volume(j, &error);
                if (error) {
                        (void) unlink(volume_path(v));   /* S41, S50: no partial file remains */
                        remove_volume(v, false);
                        v = NULL;
                } else {
                        announce = true;
                        pool_update_figures(p);
                }
                break;
        case JOB_WIPE:
                if (!error)
                        (void) volume_refresh(v, &error);   /* S56 */
                break;
        case JOB_DELETE_ZEROED:
                if (!error && unlink(volume_path(v)) < 0 && errno != ENOENT)
                        vmmd_error_set_errno(&error, -errno, "cannot remove volume '%s'", volume_path(v));
                if (!error)
                        remove_volume(v, true);
                break;
        case JOB_RESIZE:
                if (!error)
                        log_info("resized volume '%s'", volume_path(v));
                (void) volume_refresh(v, NULL);
                pool_update_figures(p);
                break;
        case JOB_UPLOAD:
        case JOB_DOWNLOAD:
                break;
        }
        if (j->done)
                j->done(announce ? v : NULL, error, j->userdata);
        if (announce)
                manager_notify_volume_added(p->manager, v);
        if (j->kind == JOB_UPLOAD) {
                /* S61: after the reply, a refresh: the contents may be another format now */
                g_autoptr(GError) local = NULL;
                if (p->async_jobs == 0) {
                        if (!pool_refresh(p, &local))
                                log_warning("refresh after upload failed: %s", local->message);
                } else {
                        (void) volume_refresh(v, NULL);
                        manager_notify_pool_refresh(p->manager, p);
                }
        }
        job_free(j);
}

static VolumeJob *job_new(JobKind kind, Volume *v, VolumeDoneFunc done, void *userdata) {
        VolumeJob *j = g_new0(VolumeJob, 1);

        j->kind = kind;
        j->volume = v;
        j->key_fd = -1;
        j->done = done;
        j->userdata = userdata;
        return j;
}

/* Starts j with its spec (a forked transfer) or argv (a program); on failure j is freed. */
static bool job_start(VolumeJob *j, const char *const *argv, GError **error) {
        Manager *m = j->volume->pool->manager;
        int r;

        if (argv) {
                j->program = true;
                if (j->key_fd >= 0) {
                        r = vmmd_process_exec_fd(m->event, argv, j->key_fd, job_done, j, &j->helper);
                        /* the child has its copy; the daemon keeps none of the passphrase */
                        close(j->key_fd);
                        j->key_fd = -1;
                } else
                        r = vmmd_process_exec(m->event, argv, job_done, j, &j->helper);
        } else
                r = vmmd_process_fork(m->event, transfer_run, j->spec, &j->spec->fd, job_done, j, &j->helper);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot start a helper process for volume '%s'", volume_name(j->volume));
                job_free(j);
                return false;
        }
        if (j->spec && j->spec->fd >= 0) {
                /* the child has its own copy: the client sees EOF when the child is done */
                close(j->spec->fd);
                j->spec->fd = -1;
        }
        job_hold(j, true);
        return true;
}

/* --- create (S36–S45) and clone (S46–S50) --- */

static bool is_qemu_img_format(int format) {
        switch (format) {
        case STORAGE_FILE_FORMAT_QCOW2:
        case STORAGE_FILE_FORMAT_QCOW:
        case STORAGE_FILE_FORMAT_QED:
        case STORAGE_FILE_FORMAT_VMDK:
        case STORAGE_FILE_FORMAT_VDI:
        case STORAGE_FILE_FORMAT_VPC:
                return true;
        default:
                return false;
        }
}

/* the qemu-img secret object holding a LUKS passphrase; its data comes through fd 3 */
#define VOLUME_KEY_SECRET_ID "vmmd-luks-secret0"

/* S41: -o for qcow2 */
static char *qcow2_options(const StorageVolDef *def, bool prealloc) {
        GString *s = g_string_new(NULL);

        g_string_append_printf(s, "compat=%s", def->target.compat ? def->target.compat : "1.1");
        if (def->target.cluster_size)
                g_string_append_printf(s, ",cluster_size=%" G_GUINT64_FORMAT, def->target.cluster_size);
        if (def->target.lazy_refcounts)
                g_string_append(s, ",lazy_refcounts=on");
        if (def->target.extended_l2)
                g_string_append(s, ",extended_l2=on");
        if (def->target.nocow == 1)
                g_string_append(s, ",nocow=on");
        if (prealloc)
                g_string_append(s, def->allocation >= def->capacity ? ",preallocation=falloc" :
                                                                     ",preallocation=metadata");
        if (def->target.encryption)
                g_string_append(s, ",encrypt.format=luks,encrypt.key-secret=" VOLUME_KEY_SECRET_ID);
        return g_string_free(s, FALSE);
}

/* issue 14: a qcow2 volume encrypted with LUKS, its passphrase a vmmd-secret secret */
static bool check_encryption(const StorageVolDef *def, bool clone, GError **error) {
        const StorageEncryption *enc = def->target.encryption;

        if (clone) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "cloning into an encrypted volume is not supported yet (volume '%s')", def->name);
                return false;
        }
        if (enc->format != STORAGE_ENCRYPTION_LUKS) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "volume '%s': only encryption format 'luks' is supported, not '%s'", def->name,
                            storage_encryption_format_to_string(enc->format));
                return false;
        }
        if (def->target.format != STORAGE_FILE_FORMAT_QCOW2) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "volume '%s': LUKS encryption is only supported for qcow2 volumes, not '%s'", def->name,
                            storage_file_format_to_string(def->target.format));
                return false;
        }
        /* libvirt would make a new random secret; vmmd wants the caller to name one */
        if (!enc->secret_type) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "volume '%s': LUKS encryption needs <secret type='passphrase' uuid='…'/>", def->name);
                return false;
        }
        return true;
}

/* S37, S38: the checks every new volume passes, and its key and path */
static StorageVolDef *parse_new(Pool *p, const char *xml, unsigned flags, bool clone, GError **error) {
        g_autoptr(StorageVolDef) def = NULL;
        g_autofree char *path = NULL;
        struct stat st;

        if (!check_pool_active(p, error))
                return NULL;
        def = storage_vol_def_parse_string(xml, p->def->type,
                                           (flags & VOL_CREATE_VALIDATE ? STORAGE_VOL_DEF_PARSE_VALIDATE : 0) |
                                           (clone ? STORAGE_VOL_DEF_PARSE_NO_CAPACITY : 0), error);
        if (!def)
                return NULL;
        /* S37: OperationInvalid for every broken rule, as for a '/' */
        if (!vmmd_name_check("volume", def->name, VMMD_ERROR_OPERATION_INVALID, VMMD_ERROR_OPERATION_INVALID,
                             error))
                return NULL;
        if (pool_find_volume(p, def->name)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_STORAGE_VOL_EXIST, "storage volume '%s' exists already",
                            def->name);
                return NULL;
        }
        path = g_build_filename(p->def->target_path, def->name, NULL);
        if (lstat(path, &st) == 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "volume target path '%s' already exists",
                            path);
                return NULL;
        }
        if (def->target.encryption && !check_encryption(def, clone, error))
                return NULL;
        g_free(def->key);
        g_free(def->target.path);
        def->key = g_strdup(path);
        def->target.path = g_steal_pointer(&path);
        if (def->target.format == STORAGE_FILE_FORMAT_NONE)
                def->target.format = STORAGE_FILE_FORMAT_RAW;
        if (!def->allocation_set)
                def->allocation = def->capacity;
        return g_steal_pointer(&def);
}

static Volume *add_building(Pool *p, StorageVolDef *def) {
        Volume *v = volume_new(p, def);

        v->building = true;
        g_hash_table_insert(p->volumes, g_strdup(volume_name(v)), v);
        return v;
}

/* S43: relative to the pool, readable, its format probed when not given; capacity from it */
static bool resolve_backing(Pool *p, StorageVolDef *def, GError **error) {
        g_autoptr(QemuImgInfo) info = NULL;
        char *path = def->backing_store.path;

        if (!g_path_is_absolute(path)) {
                def->backing_store.path = g_build_filename(p->def->target_path, path, NULL);
                g_free(path);
        }
        if (access(def->backing_store.path, R_OK) < 0) {
                vmmd_error_set_errno(error, -errno, "inaccessible backing store volume '%s'", def->backing_store.path);
                return false;
        }
        if (def->backing_store.format != STORAGE_FILE_FORMAT_NONE && def->capacity_set)
                return true;
        info = qemu_img_probe(def->backing_store.path, -1, NULL, error);
        if (!info)
                return false;
        if (def->backing_store.format == STORAGE_FILE_FORMAT_NONE)
                def->backing_store.format = format_from_qemu(info->format);
        if (!def->capacity_set) {
                def->capacity = info->virtual_size;
                if (!def->allocation_set)
                        def->allocation = def->capacity;
        }
        return true;
}

static bool create_dir(Pool *p, StorageVolDef *def, GError **error) {
        const StoragePerms *perms = &def->target.perms;
        mode_t mode = perms->mode >= 0 ? (mode_t) perms->mode : 0600;

        if (mkdir(def->target.path, mode) < 0 || chmod(def->target.path, mode) < 0) {
                vmmd_error_set_errno(error, -errno, "cannot create directory '%s'", def->target.path);
                return false;
        }
        if ((perms->owner >= 0 || perms->group >= 0) &&
            chown(def->target.path, perms->owner >= 0 ? (uid_t) perms->owner : (uid_t) -1,
                  perms->group >= 0 ? (gid_t) perms->group : (gid_t) -1) < 0) {
                vmmd_error_set_errno(error, -errno, "cannot set owner of '%s'", def->target.path);
                (void) rmdir(def->target.path);
                return false;
        }
        return true;
}

/* A LUKS create or resize waits for its passphrase from vmmd-secret; the volume is building
 * (create) or in use (resize) meanwhile. */
typedef struct KeyWait {
        VolumeJob *job;
        GPtrArray *argv;
} KeyWait;

/* The create of a volume that did not get started: nothing is on disk yet. */
static void fail_unstarted(Volume *v, VolumeDoneFunc done, void *userdata, const GError *error) {
        v->building = false;
        remove_volume(v, false);
        if (done)
                done(NULL, error, userdata);
}

static void on_create_secret(const GError *error, const uint8_t *value, size_t len, void *userdata) {
        KeyWait *w = userdata;
        g_autoptr(GPtrArray) argv = w->argv;
        g_autoptr(GError) local = NULL;
        VolumeJob *j = w->job;
        Volume *v = j->volume;
        VolumeDoneFunc done = j->done;
        void *done_data = j->userdata;

        bool create = j->kind == JOB_CREATE;

        g_free(w);
        job_hold(j, false);
        if (error) {
                local = g_error_copy(error);
                log_warning("%s", local->message);
        } else if ((j->key_fd = vmmd_secret_pipe(value, len)) < 0)
                vmmd_error_set_errno(&local, j->key_fd, "cannot pass the passphrase of volume '%s' to qemu-img",
                                     volume_name(v));
        if (local)
                job_free(j);
        else if (job_start(j, (const char *const *) argv->pdata, &local))   /* frees j when it fails */
                return;
        if (create)
                fail_unstarted(v, done, done_data, local);
        else if (done)
                done(NULL, local, done_data);
}

/* false with error (j freed) when vmmd-secret cannot even be asked */
static bool start_with_secret(VolumeJob *j, GPtrArray *argv, GError **error);

/* qemu-img times the LUKS key derivation with the thread's CPU clock before it creates the
 * key slot: 2^15 rounds of PBKDF2, then reads the clock again. On a fast machine with nothing
 * else running the rounds end before the scheduler has accounted any CPU time to the thread, and
 * qemu-img gives up with "Unable to get accurate CPU usage" (a QEMU bug, seen on most tries on
 * this machine when quiet: 8 of 20 at load 2, every try in a quiet CI run). Nothing is wrong
 * with the request, so it is made again (with the passphrase asked again: the pipe is spent),
 * LUKS_ATTEMPTS times in all, and the tries after the first derive the key with SHA-512, which
 * few CPUs accelerate (SHA extensions cover SHA-256): its 2^15 rounds outlast the accounting
 * (0 failures in 32 tries at load 2). Any QEMU opens the image alike: the hash is in the LUKS
 * header. True when the job goes on (or has been ended) here. */
#define LUKS_ATTEMPTS 4
#define LUKS_SLOW_HASH ",encrypt.hash-alg=sha512"

static void use_slow_hash(GPtrArray *argv) {
        for (guint i = 0; i < argv->len; i++) {
                char *a = g_ptr_array_index(argv, i);

                if (a && strstr(a, "encrypt.format=luks") && !strstr(a, "encrypt.hash-alg=")) {
                        argv->pdata[i] = g_strconcat(a, LUKS_SLOW_HASH, NULL);
                        g_free(a);
                }
        }
}

static bool job_retry_luks(VolumeJob *j, const char *output) {
        g_autoptr(GError) error = NULL;
        Volume *v = j->volume;
        VolumeDoneFunc done = j->done;
        void *done_data = j->userdata;
        bool create = j->kind == JOB_CREATE;

        if (!j->key_argv || j->attempts + 1 >= LUKS_ATTEMPTS || !strstr(output, "Unable to get accurate CPU usage"))
                return false;
        log_warning("qemu-img could not time the key derivation for '%s'; trying again", volume_path(v));
        j->attempts++;
        job_hold(j, false);
        if (create)
                (void) unlink(volume_path(v));
        g_clear_pointer(&j->helper, vmmd_process_free);
        use_slow_hash(j->key_argv);
        if (start_with_secret(j, g_ptr_array_ref(j->key_argv), &error))
                return true;
        if (create)   /* j is gone */
                fail_unstarted(v, done, done_data, error);
        else if (done)
                done(NULL, error, done_data);
        return true;
}

static bool start_with_secret(VolumeJob *j, GPtrArray *argv, GError **error) {
        const StorageEncryption *enc = j->volume->def->target.encryption;
        KeyWait *w = g_new0(KeyWait, 1);
        g_autofree char *what = g_strdup_printf("volume '%s'", volume_name(j->volume));
        /* a volume found on disk has no secret recorded: libvirt's convention is a secret whose
         * usage (type volume) is the volume's path */
        const char *usage = enc->secret_uuid || enc->secret_usage ? enc->secret_usage : volume_path(j->volume);

        w->job = j;
        w->argv = argv;
        if (!j->key_argv)
                j->key_argv = g_ptr_array_ref(argv);
        if (!vmmd_secret_get_value_async(j->volume->pool->manager->bus, enc->secret_uuid, SECRET_USAGE_TYPE_VOLUME,
                                         usage, what, on_create_secret, w, error)) {
                g_ptr_array_unref(argv);
                g_free(w);
                job_free(j);
                return false;
        }
        /* the daemon stays, and the pool cannot go, while the answer is awaited */
        job_hold(j, true);
        return true;
}

Volume *volume_create(Pool *p, const char *xml, unsigned flags, VolumeDoneFunc done, void *userdata,
                      GError **error) {
        g_autoptr(StorageVolDef) def = parse_new(p, xml, flags, false, error);
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        bool prealloc = flags & VOL_CREATE_PREALLOC_METADATA;
        VolumeJob *j;
        Volume *v;
        int format;

        if (!def)
                return NULL;
        format = def->target.format;
        if (prealloc && format != STORAGE_FILE_FORMAT_QCOW2) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "metadata preallocation is only supported for qcow2 volumes");
                return NULL;
        }
        if (def->backing_store.path && (format == STORAGE_FILE_FORMAT_RAW || format == STORAGE_FILE_FORMAT_DIR)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_SUPPORT, "backing storage not supported for %s volumes",
                            storage_file_format_to_string(format));
                return NULL;
        }
        if (prealloc && def->backing_store.path) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "metadata preallocation conflicts with a backing store");
                return NULL;
        }
        if (format == STORAGE_FILE_FORMAT_DIR) {
                if (!create_dir(p, def, error))
                        return NULL;
                v = volume_new(p, g_steal_pointer(&def));
                g_hash_table_insert(p->volumes, g_strdup(volume_name(v)), v);
                (void) volume_refresh(v, NULL);
                pool_update_figures(p);
                if (done)
                        done(v, NULL, userdata);
                manager_notify_volume_added(p->manager, v);
                return v;
        }
        if (format != STORAGE_FILE_FORMAT_RAW && !is_qemu_img_format(format)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_SUPPORT, "creating '%s' volumes is not supported",
                            storage_file_format_to_string(format));
                return NULL;
        }
        if (def->backing_store.path && !resolve_backing(p, def, error))
                return NULL;
        if (format == STORAGE_FILE_FORMAT_RAW) {
                v = add_building(p, g_steal_pointer(&def));
                j = job_new(JOB_CREATE, v, done, userdata);
                j->spec = transfer_spec_new(TRANSFER_CREATE_RAW, volume_path(v));
                j->spec->capacity = v->def->capacity;
                j->spec->allocation = v->def->allocation;
                if (v->def->target.perms.mode >= 0)
                        j->spec->mode = (mode_t) v->def->target.perms.mode;
                if (v->def->target.perms.owner >= 0)
                        j->spec->uid = (uid_t) v->def->target.perms.owner;
                if (v->def->target.perms.group >= 0)
                        j->spec->gid = (gid_t) v->def->target.perms.group;
                if (!job_start(j, NULL, error)) {
                        remove_volume(v, false);
                        return NULL;
                }
                return v;
        }
        {
                g_autofree char *prog = qemu_img_find(error);
                if (!prog)
                        return NULL;
                g_ptr_array_add(argv, g_steal_pointer(&prog));
        }
        g_ptr_array_add(argv, g_strdup("create"));
        g_ptr_array_add(argv, g_strdup("-f"));
        g_ptr_array_add(argv, g_strdup(storage_file_format_to_string(format)));
        if (def->backing_store.path) {
                g_ptr_array_add(argv, g_strdup("-b"));
                g_ptr_array_add(argv, g_strdup(def->backing_store.path));
                g_ptr_array_add(argv, g_strdup("-F"));
                g_ptr_array_add(argv, g_strdup(storage_file_format_to_string(def->backing_store.format)));
        }
        if (def->target.encryption) {
                /* the passphrase never is on the command line: qemu-img reads it from a pipe */
                g_ptr_array_add(argv, g_strdup("--object"));
                g_ptr_array_add(argv, g_strdup("secret,id=" VOLUME_KEY_SECRET_ID ",file=/dev/fd/3"));
        }
        if (format == STORAGE_FILE_FORMAT_QCOW2) {
                g_ptr_array_add(argv, g_strdup("-o"));
                g_ptr_array_add(argv, qcow2_options(def, prealloc));
        }
        g_ptr_array_add(argv, g_strdup(def->target.path));
        if (def->capacity_set)
                g_ptr_array_add(argv, g_strdup_printf("%" G_GUINT64_FORMAT "K", (def->capacity + 1023) / 1024));
        g_ptr_array_add(argv, NULL);
        v = add_building(p, g_steal_pointer(&def));
        j = job_new(JOB_CREATE, v, done, userdata);
        if (v->def->target.encryption) {
                if (!start_with_secret(j, g_steal_pointer(&argv), error)) {
                        remove_volume(v, false);
                        return NULL;
                }
                return v;
        }
        if (!job_start(j, (const char *const *) argv->pdata, error)) {
                remove_volume(v, false);
                return NULL;
        }
        return v;
}

/* S49: one FICLONE; no partial file remains when the file system cannot */
static bool reflink(const char *src, StorageVolDef *def, GError **error) {
        int in, out, r = 0;

        in = open(src, O_RDONLY | O_CLOEXEC);
        if (in < 0) {
                vmmd_error_set_errno(error, -errno, "cannot open '%s'", src);
                return false;
        }
        out = open(def->target.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                   def->target.perms.mode >= 0 ? (mode_t) def->target.perms.mode : 0600);
        if (out < 0 || ioctl(out, FICLONE, in) < 0 || ftruncate(out, (off_t) def->capacity) < 0)
                r = -errno;
        close(in);
        if (out >= 0)
                close(out);
        if (r < 0) {
                if (out >= 0)
                        (void) unlink(def->target.path);
                vmmd_error_set_errno(error, r, "failed to clone '%s' to '%s' with reflink", src, def->target.path);
                return false;
        }
        apply_perms(def, def->target.path);
        return true;
}

Volume *volume_clone(Pool *p, const char *xml, Volume *source, unsigned flags, VolumeDoneFunc done, void *userdata,
                     GError **error) {
        g_autoptr(StorageVolDef) def = NULL;
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        uint64_t src_capacity;
        int src_format, format;
        VolumeJob *j;
        Volume *v;

        if (!check_pool_active(source->pool, error) || !check_idle(source, true, error))
                return NULL;
        if (!volume_refresh(source, error))
                return NULL;
        if (source->def->target.encryption) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "cloning encrypted volume '%s' is not supported yet", volume_name(source));
                return NULL;
        }
        def = parse_new(p, xml, flags, true, error);
        if (!def)
                return NULL;
        src_format = source->def->target.format;
        src_capacity = source->def->capacity;
        format = def->target.format;
        /* S47: at least the source's size */
        if (!def->capacity_set || def->capacity < src_capacity) {
                bool follow = !def->allocation_set;
                def->capacity = src_capacity;
                if (follow)
                        def->allocation = def->capacity;
        }
        def->capacity_set = true;
        g_clear_pointer(&def->backing_store.path, g_free);   /* S48: ignored */
        if (src_format == STORAGE_FILE_FORMAT_DIR || format == STORAGE_FILE_FORMAT_DIR ||
            (format != STORAGE_FILE_FORMAT_RAW && !is_qemu_img_format(format))) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_SUPPORT, "cloning '%s' to a '%s' volume is not supported",
                            storage_file_format_to_string(src_format), storage_file_format_to_string(format));
                return NULL;
        }
        if ((flags & VOL_CREATE_PREALLOC_METADATA) && format != STORAGE_FILE_FORMAT_QCOW2) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                            "metadata preallocation is only supported for qcow2 volumes");
                return NULL;
        }
        if (src_format == STORAGE_FILE_FORMAT_RAW && format == STORAGE_FILE_FORMAT_RAW) {
                if (flags & VOL_CREATE_REFLINK) {
                        if (!reflink(volume_path(source), def, error))
                                return NULL;
                        v = volume_new(p, g_steal_pointer(&def));
                        g_hash_table_insert(p->volumes, g_strdup(volume_name(v)), v);
                        (void) volume_refresh(v, NULL);
                        pool_update_figures(p);
                        if (done)
                                done(v, NULL, userdata);
                        manager_notify_volume_added(p->manager, v);
                        return v;
                }
                v = add_building(p, g_steal_pointer(&def));
                j = job_new(JOB_CLONE, v, done, userdata);
                j->source = source;
                j->spec = transfer_spec_new(TRANSFER_CLONE_RAW, volume_path(v));
                j->spec->source = g_strdup(volume_path(source));
                j->spec->capacity = v->def->capacity;
                j->spec->allocation = v->def->allocation;
                if (v->def->target.perms.mode >= 0)
                        j->spec->mode = (mode_t) v->def->target.perms.mode;
                if (v->def->target.perms.owner >= 0)
                        j->spec->uid = (uid_t) v->def->target.perms.owner;
                if (v->def->target.perms.group >= 0)
                        j->spec->gid = (gid_t) v->def->target.perms.group;
                if (!job_start(j, NULL, error)) {
                        remove_volume(v, false);
                        return NULL;
                }
                return v;
        }
        if (flags & VOL_CREATE_REFLINK) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "REFLINK needs a raw source and a raw target");
                return NULL;
        }
        {
                g_autofree char *prog = qemu_img_find(error);
                if (!prog)
                        return NULL;
                g_ptr_array_add(argv, g_steal_pointer(&prog));
        }
        g_ptr_array_add(argv, g_strdup("convert"));
        g_ptr_array_add(argv, g_strdup("-f"));
        g_ptr_array_add(argv, g_strdup(storage_file_format_to_string(src_format)));
        g_ptr_array_add(argv, g_strdup("-O"));
        g_ptr_array_add(argv, g_strdup(storage_file_format_to_string(format)));
        if (format == STORAGE_FILE_FORMAT_QCOW2) {
                g_ptr_array_add(argv, g_strdup("-o"));
                g_ptr_array_add(argv, qcow2_options(def, flags & VOL_CREATE_PREALLOC_METADATA));
        }
        g_ptr_array_add(argv, g_strdup(volume_path(source)));
        g_ptr_array_add(argv, g_strdup(def->target.path));
        g_ptr_array_add(argv, NULL);
        v = add_building(p, g_steal_pointer(&def));
        j = job_new(JOB_CLONE, v, done, userdata);
        j->source = source;
        if (v->def->capacity > src_capacity)
                j->grow_to = v->def->capacity;
        if (!job_start(j, (const char *const *) argv->pdata, error)) {
                remove_volume(v, false);
                return NULL;
        }
        return v;
}

/* --- delete (S51, S52), wipe (S53–S56), resize (S57–S59) --- */

bool volume_delete(Volume *v, unsigned flags, VolumeDoneFunc done, void *userdata, bool *ret_async, GError **error) {
        const char *path = volume_path(v);
        VolumeJob *j;

        *ret_async = false;
        if (flags & VOL_DELETE_WITH_SNAPSHOTS) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                            "DELETE_WITH_SNAPSHOTS is only supported for rbd pools");
                return false;
        }
        if (!check_idle(v, false, error))
                return false;
        if ((flags & VOL_DELETE_ZEROED) && v->def->type != STORAGE_VOL_DIR) {
                j = job_new(JOB_DELETE_ZEROED, v, done, userdata);
                j->spec = transfer_spec_new(TRANSFER_WIPE_ZERO, path);
                if (!job_start(j, NULL, error))
                        return false;
                *ret_async = true;
                return true;
        }
        if ((v->def->type == STORAGE_VOL_DIR ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT) {
                vmmd_error_set_errno(error, -errno, "cannot remove volume '%s'", path);
                return false;
        }
        log_info("deleted volume '%s'", path);
        remove_volume(v, true);
        return true;
}

static const char *const scrub_patterns[] = { NULL, "nnsa", "dod", "bsi", "gutmann", "schneier", "pfitzner7",
                                             "pfitzner33", "random" };

bool volume_wipe(Volume *v, unsigned algorithm, VolumeDoneFunc done, void *userdata, GError **error) {
        VolumeJob *j;

        if (algorithm >= VOL_WIPE_LAST) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "wiping algorithm %u not supported", algorithm);
                return false;
        }
        if (!check_idle(v, false, error))
                return false;
        if (algorithm == VOL_WIPE_TRIM) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_ARGUMENT_UNSUPPORTED,
                            "'trim' algorithm not supported for file volume '%s'", volume_name(v));
                return false;
        }
        if (v->def->type == STORAGE_VOL_DIR) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_ARGUMENT_UNSUPPORTED,
                            "cannot wipe directory volume '%s'", volume_name(v));
                return false;
        }
        j = job_new(JOB_WIPE, v, done, userdata);
        if (algorithm != VOL_WIPE_ZERO) {
                g_autofree char *scrub = g_find_program_in_path("scrub");
                const char *argv[] = { scrub, "-f", "-p", scrub_patterns[algorithm], volume_path(v), NULL };
                if (!scrub) {
                        job_free(j);
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                    "wiping algorithm %u needs scrub, which is not installed", algorithm);
                        return false;
                }
                return job_start(j, argv, error);
        }
        j->spec = transfer_spec_new(TRANSFER_WIPE_ZERO, volume_path(v));
        return job_start(j, NULL, error);
}

bool volume_resize(Volume *v, uint64_t capacity, unsigned flags, VolumeDoneFunc done, void *userdata, bool *ret_async,
                   GError **error) {
        Pool *p = v->pool;
        uint64_t cur, size;
        int format;

        if (!check_idle(v, false, error) || !volume_refresh(v, error))
                return false;
        cur = v->def->capacity;
        format = v->def->target.format;
        if (!(flags & VOL_RESIZE_DELTA))
                size = capacity;
        else if (flags & VOL_RESIZE_SHRINK)
                size = cur > capacity ? cur - capacity : 0;
        else if (capacity > G_MAXINT64 - cur) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "capacity %" G_GUINT64_FORMAT " is too large",
                            capacity);
                return false;
        } else
                size = cur + capacity;
        if (v->def->type == STORAGE_VOL_DIR) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_UNSUPPORTED,
                            "cannot resize directory volume '%s'", volume_name(v));
                return false;
        }
        if (size < v->def->allocation) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                            "can't shrink capacity below existing allocation");
                return false;
        }
        if (size < cur && !(flags & VOL_RESIZE_SHRINK)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                            "Can't shrink capacity below current capacity unless shrink flag explicitly specified");
                return false;
        }
        if ((flags & VOL_RESIZE_ALLOCATE) && format != STORAGE_FILE_FORMAT_RAW) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_UNSUPPORTED,
                            "preallocate is only supported for raw type volume");
                return false;
        }
        if ((flags & VOL_RESIZE_ALLOCATE) && size - v->def->allocation > p->def->available) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "Not enough space left in storage pool");
                return false;
        }
        if (format == STORAGE_FILE_FORMAT_RAW) {
                int fd = open(volume_path(v), O_WRONLY | O_CLOEXEC);
                int r = 0;

                if (fd < 0 || ftruncate(fd, (off_t) size) < 0)
                        r = -errno;
                if (r == 0 && (flags & VOL_RESIZE_ALLOCATE) && size > 0 && fallocate(fd, 0, 0, (off_t) size) < 0)
                        r = -errno;
                if (fd >= 0)
                        close(fd);
                if (r < 0) {
                        vmmd_error_set_errno(error, r, "failed to resize volume '%s'", volume_path(v));
                        return false;
                }
        } else {
                /* an image format: qemu-img in a helper, the reply when it is done */
                g_autofree char *s = g_strdup_printf("%" G_GUINT64_FORMAT, (size + 511) / 512 * 512);
                const char *const grow[] = { "qemu-img", "resize", "-f", storage_file_format_to_string(format),
                                             volume_path(v), s, NULL };
                const char *const shrink[] = { "qemu-img", "resize", "--shrink", "-f",
                                               storage_file_format_to_string(format), volume_path(v), s, NULL };
                if (v->def->target.encryption) {
                        /* LUKS: qemu-img must open the image with its key (from a pipe, as at create) */
                        GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
                        g_autofree char *escaped = NULL;
                        g_auto(GStrv) parts = NULL;

                        if (format != STORAGE_FILE_FORMAT_QCOW2 ||
                            v->def->target.encryption->format != STORAGE_ENCRYPTION_LUKS) {
                                g_ptr_array_unref(argv);
                                g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                            "resizing encrypted volume '%s' is only supported for LUKS qcow2",
                                            volume_name(v));
                                return false;
                        }
                        parts = g_strsplit(volume_path(v), ",", -1);   /* ',' is doubled in --image-opts */
                        escaped = g_strjoinv(",,", parts);
                        g_ptr_array_add(argv, g_strdup("qemu-img"));
                        g_ptr_array_add(argv, g_strdup("resize"));
                        if (size < cur)
                                g_ptr_array_add(argv, g_strdup("--shrink"));
                        g_ptr_array_add(argv, g_strdup("--object"));
                        g_ptr_array_add(argv, g_strdup("secret,id=" VOLUME_KEY_SECRET_ID ",file=/dev/fd/3"));
                        g_ptr_array_add(argv, g_strdup("--image-opts"));
                        g_ptr_array_add(argv, g_strdup_printf("driver=qcow2,file.filename=%s,encrypt.key-secret="
                                                              VOLUME_KEY_SECRET_ID, escaped));
                        g_ptr_array_add(argv, g_strdup(s));
                        g_ptr_array_add(argv, NULL);
                        if (!start_with_secret(job_new(JOB_RESIZE, v, done, userdata), argv, error))
                                return false;
                        *ret_async = true;
                        return true;
                }
                if (!job_start(job_new(JOB_RESIZE, v, done, userdata), size < cur ? shrink : grow, error))
                        return false;
                *ret_async = true;
                return true;
        }
        log_info("resized volume '%s' to %" G_GUINT64_FORMAT " bytes", volume_path(v), size);
        (void) volume_refresh(v, NULL);
        pool_update_figures(p);
        return true;
}

/* --- upload and download (S60–S64) --- */

static bool start_transfer(Volume *v, JobKind kind, int fd, uint64_t offset, uint64_t length, unsigned flags,
                           VolumeDoneFunc done, void *userdata, GError **error) {
        bool sparse = flags & VOL_TRANSFER_SPARSE;
        VolumeJob *j;

        if (!check_idle(v, kind == JOB_DOWNLOAD, error) || v->def->type == STORAGE_VOL_DIR) {
                if (v->def->type == STORAGE_VOL_DIR && !(error && *error))
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_UNSUPPORTED,
                                    "cannot transfer data of directory volume '%s'", volume_name(v));
                close(fd);
                return false;
        }
        if (sparse && lseek(fd, 0, SEEK_CUR) < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                            "a sparse stream needs a seekable file descriptor (%s)", g_strerror(errno));
                close(fd);
                return false;
        }
        j = job_new(kind, v, done, userdata);
        j->spec = transfer_spec_new(kind == JOB_UPLOAD ? TRANSFER_UPLOAD : TRANSFER_DOWNLOAD, volume_path(v));
        j->spec->fd = fd;
        j->spec->offset = offset;
        j->spec->length = length;
        j->spec->sparse = sparse;
        return job_start(j, NULL, error);
}

bool volume_upload(Volume *v, int fd, uint64_t offset, uint64_t length, unsigned flags, VolumeDoneFunc done,
                   void *userdata, GError **error) {
        return start_transfer(v, JOB_UPLOAD, fd, offset, length, flags, done, userdata, error);
}

bool volume_download(Volume *v, int fd, uint64_t offset, uint64_t length, unsigned flags, VolumeDoneFunc done,
                     void *userdata, GError **error) {
        return start_transfer(v, JOB_DOWNLOAD, fd, offset, length, flags, done, userdata, error);
}

/* --- reading --- */

bool volume_get_info(Volume *v, unsigned flags, int *ret_type, uint64_t *ret_capacity, uint64_t *ret_alloc,
                     GError **error) {
        if (v->building) {
                /* S35: the allocation so far */
                struct stat st;
                *ret_type = v->def->type;
                *ret_capacity = v->def->capacity;
                *ret_alloc = stat(volume_path(v), &st) == 0 ?
                             ((flags & VOL_GET_PHYSICAL) ? (uint64_t) st.st_size : (uint64_t) st.st_blocks * 512) : 0;
                return true;
        }
        if (!volume_refresh(v, error))
                return false;
        *ret_type = v->def->type;
        *ret_capacity = v->def->capacity;
        *ret_alloc = (flags & VOL_GET_PHYSICAL) ? v->def->physical : v->def->allocation;
        return true;
}

char *volume_get_xml(Volume *v, GError **error) {
        if (!v->building && !volume_refresh(v, error))
                return NULL;
        return storage_vol_def_format(v->def);
}
