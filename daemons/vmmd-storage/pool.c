/* The pool model: state, definition and state files, the dir backend (build, start, stop,
 * delete) and the directory scan that turns files into volumes. */
#include "pool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "definition-file.h"
#include "error.h"
#include "fileio.h"
#include "log.h"
#include "manager.h"
#include "volume.h"

Pool *pool_new(Manager *m, StoragePoolDef *def) {
        Pool *p = g_new0(Pool, 1);

        p->manager = m;
        p->def = def;
        g_strlcpy(p->uuid, def->uuid, sizeof(p->uuid));
        p->visible = true;
        p->volumes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) volume_free);
        return p;
}

void pool_free(Pool *p) {
        if (!p)
                return;
        g_clear_pointer(&p->volumes, g_hash_table_unref);
        storage_pool_def_free(p->def);
        storage_pool_def_free(p->new_def);
        g_free(p->bus_path);
        g_free(p);
}

const char *pool_name(const Pool *p) {
        return p->def->name;
}

const char *pool_type_string(const Pool *p) {
        return storage_pool_type_to_string(p->def->type);
}

const StoragePoolDef *pool_persistent_def(const Pool *p) {
        return p->new_def ? p->new_def : p->def;
}

static char *file_in(const char *dir, const char *name) {
        g_autofree char *file = g_strconcat(name, ".xml", NULL);
        return g_build_filename(dir, file, NULL);
}

char *pool_config_file(const Manager *m, const char *name) {
        return file_in(m->paths->config_dir, name);
}

char *pool_autostart_link(const Manager *m, const char *name) {
        return file_in(m->paths->autostart_dir, name);
}

char *pool_state_file(const Manager *m, const char *name) {
        return file_in(m->paths->run_dir, name);
}

bool pool_type_is_definable(StoragePoolType type) {
        switch (type) {
        case STORAGE_POOL_DIR:
        case STORAGE_POOL_FS:
        case STORAGE_POOL_NETFS:
        case STORAGE_POOL_LOGICAL:
        case STORAGE_POOL_DISK:
        case STORAGE_POOL_ISCSI:
                return true;
        default:
                return false;
        }
}

static bool no_backend(const Pool *p, const char *what, GError **error) {
        if (p->def->type == STORAGE_POOL_DIR)
                return false;
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_SUPPORT, "%s '%s' pools is not supported yet (pool '%s')", what,
                    pool_type_string(p), pool_name(p));
        return true;
}

bool pool_save_config(const Manager *m, const StoragePoolDef *def, GError **error) {
        g_autofree char *xml = storage_pool_def_format(def, POOL_XML_INACTIVE);

        return vmmd_definition_write(m->paths->config_dir, def->name, def->uuid, xml, "vmmd-storage", "pool-edit",
                                     STORAGE_BUS_NAME, "pool definition", error);
}

bool pool_save_state(Pool *p, GError **error) {
        Manager *m = p->manager;
        g_autofree char *file = pool_state_file(m, pool_name(p));
        g_autofree char *xml = storage_pool_def_format(p->def, 0);
        int r;

        r = vmmd_mkdir_p(m->paths->run_dir, 0755);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot create directory '%s'", m->paths->run_dir);
                return false;
        }
        r = vmmd_write_file_atomic(file, xml ? xml : "", xml ? strlen(xml) : 0, 0600);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot write pool state '%s'", file);
                return false;
        }
        return true;
}

char *pool_get_xml(Pool *p, unsigned flags) {
        if (flags & POOL_XML_INACTIVE)
                return storage_pool_def_format(pool_persistent_def(p), POOL_XML_INACTIVE);
        return storage_pool_def_format(p->def, 0);
}

Volume *pool_find_volume(Pool *p, const char *name) {
        return g_hash_table_lookup(p->volumes, name);
}

static int volume_name_cmp(gconstpointer a, gconstpointer b) {
        return strcmp(volume_name(*(Volume **) a), volume_name(*(Volume **) b));
}

GPtrArray *pool_list_volumes(Pool *p) {
        GPtrArray *list = g_ptr_array_new();
        GHashTableIter it;
        Volume *v;

        g_hash_table_iter_init(&it, p->volumes);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &v))
                g_ptr_array_add(list, v);
        g_ptr_array_sort(list, volume_name_cmp);
        return list;
}

static bool check_no_jobs(Pool *p, GError **error) {
        if (p->async_jobs == 0)
                return true;
        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "pool '%s' has asynchronous jobs running",
                    pool_name(p));
        return false;
}

/* --- figures and the scan --- */

static char *read_label(const char *path) {
        char buf[256];
        ssize_t n = lgetxattr(path, "security.selinux", buf, sizeof(buf) - 1);

        if (n <= 0)
                return NULL;
        buf[n] = 0;
        return g_strdup(buf);
}

/* S22, S24: statvfs figures and the directory's actual permissions */
static int read_figures(Pool *p) {
        StoragePoolDef *def = p->def;
        struct statvfs sv;
        struct stat st;

        if (statvfs(def->target_path, &sv) < 0 || stat(def->target_path, &st) < 0)
                return -errno;
        def->capacity = (uint64_t) sv.f_frsize * sv.f_blocks;
        def->available = (uint64_t) sv.f_frsize * sv.f_bfree;
        def->allocation = def->capacity - def->available;
        def->target_perms.mode = (int) (st.st_mode & 0777);
        def->target_perms.owner = st.st_uid;
        def->target_perms.group = st.st_gid;
        g_free(def->target_perms.label);
        def->target_perms.label = read_label(def->target_path);
        return 0;
}

void pool_update_figures(Pool *p) {
        uint64_t c = p->def->capacity, a = p->def->allocation, v = p->def->available;

        if (!p->active || read_figures(p) < 0)
                return;
        if (c != p->def->capacity || a != p->def->allocation || v != p->def->available)
                manager_notify_pool_changed(p->manager, p, POOL_CHANGED_FIGURES);
}

/* S25–S30: one volume per directory entry; building volumes are kept as they are */
static bool scan(Pool *p, bool emit, GError **error) {
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
        g_autoptr(GPtrArray) added = g_ptr_array_new();
        g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func(g_free);
        GHashTableIter it;
        struct dirent *de;
        Volume *v;
        DIR *dir;
        int r;

        dir = opendir(p->def->target_path);
        if (!dir) {
                vmmd_error_set_errno(error, -errno, "cannot open directory '%s'", p->def->target_path);
                return false;
        }
        r = read_figures(p);
        if (r < 0) {
                closedir(dir);
                vmmd_error_set_errno(error, r, "cannot read the file system of '%s'", p->def->target_path);
                return false;
        }
        while ((de = readdir(dir))) {
                g_autoptr(GError) local = NULL;
                StorageVolDef *def;
                bool skip = false;
                int64_t started;
                struct stat st;

                if (g_str_equal(de->d_name, ".") || g_str_equal(de->d_name, ".."))
                        continue;
                v = pool_find_volume(p, de->d_name);
                if (v && v->building) {
                        g_hash_table_add(seen, (gpointer) volume_name(v));
                        continue;
                }
                if (v && volume_unchanged(v, dirfd(dir))) {
                        g_hash_table_add(seen, (gpointer) volume_name(v));
                        continue;
                }
                started = g_get_real_time();
                def = volume_probe(p, dirfd(dir), de->d_name, de->d_type, &st, &skip, &local);
                if (!def) {
                        if (!skip)
                                log_warning("skipping '%s' in pool '%s': %s", de->d_name, pool_name(p),
                                            local->message);
                        continue;
                }
                if (v)
                        volume_replace_def(v, def);
                else {
                        v = volume_new(p, def);
                        g_hash_table_insert(p->volumes, g_strdup(volume_name(v)), v);
                        g_ptr_array_add(added, v);
                }
                volume_probed(v, &st, started);
                g_hash_table_add(seen, (gpointer) volume_name(v));
        }
        closedir(dir);

        g_hash_table_iter_init(&it, p->volumes);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &v))
                if (!g_hash_table_contains(seen, volume_name(v)) && !v->building && !v->in_use)
                        g_ptr_array_add(gone, g_strdup(volume_name(v)));
        for (guint i = 0; i < gone->len; i++) {
                v = pool_find_volume(p, g_ptr_array_index(gone, i));
                if (emit)
                        manager_notify_volume_removed(p->manager, v);
                g_hash_table_remove(p->volumes, g_ptr_array_index(gone, i));
        }
        for (guint i = 0; emit && i < added->len; i++)
                manager_notify_volume_added(p->manager, g_ptr_array_index(added, i));
        return true;
}

static void drop_volumes(Pool *p, bool emit) {
        g_autoptr(GPtrArray) list = pool_list_volumes(p);

        for (guint i = 0; emit && i < list->len; i++)
                manager_notify_volume_removed(p->manager, g_ptr_array_index(list, i));
        g_hash_table_remove_all(p->volumes);
}

/* --- lifecycle --- */

/* S8, S9 (without the active check and the event) */
static bool build_dir(Pool *p, unsigned flags, GError **error) {
        const StoragePoolDef *def = p->def;
        const StoragePerms *perms = &def->target_perms;
        g_autofree char *parent = g_path_get_dirname(def->target_path);
        bool existed;
        int r;

        if ((flags & POOL_BUILD_OVERWRITE) && (flags & POOL_BUILD_NO_OVERWRITE)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                            "Overwrite and no overwrite flags are mutually exclusive");
                return false;
        }
        if (no_backend(p, "building", error))
                return false;
        if (flags & (POOL_BUILD_REPAIR | POOL_BUILD_RESIZE)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                            "REPAIR and RESIZE are not supported for '%s' pools", pool_type_string(p));
                return false;
        }
        if (flags & (POOL_BUILD_OVERWRITE | POOL_BUILD_NO_OVERWRITE)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "No source device specified when formatting pool '%s'", pool_name(p));
                return false;
        }
        r = vmmd_mkdir_p(parent, 0755);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot create path '%s'", parent);
                return false;
        }
        existed = mkdir(def->target_path, perms->mode >= 0 ? (mode_t) perms->mode : 0711) < 0;
        if (existed && errno != EEXIST) {
                vmmd_error_set_errno(error, -errno, "cannot create path '%s'", def->target_path);
                return false;
        }
        /* a new directory gets its mode exactly (umask aside); an old one only what was asked */
        if ((!existed || perms->mode >= 0) &&
            chmod(def->target_path, perms->mode >= 0 ? (mode_t) perms->mode : 0711) < 0) {
                vmmd_error_set_errno(error, -errno, "cannot set mode of '%s'", def->target_path);
                return false;
        }
        if ((perms->owner >= 0 || perms->group >= 0) &&
            chown(def->target_path, perms->owner >= 0 ? (uid_t) perms->owner : (uid_t) -1,
                  perms->group >= 0 ? (gid_t) perms->group : (gid_t) -1) < 0) {
                vmmd_error_set_errno(error, -errno, "cannot set owner of '%s'", def->target_path);
                return false;
        }
        return true;
}

bool pool_build(Pool *p, unsigned flags, GError **error) {
        if (p->active) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "storage pool '%s' is already active",
                            pool_name(p));
                return false;
        }
        if (!build_dir(p, flags, error))
                return false;
        log_info("built storage pool '%s'", pool_name(p));
        manager_notify_pool_event(p->manager, p, POOL_EVENT_CREATED);
        return true;
}

bool pool_start(Pool *p, unsigned flags, GError **error) {
        g_autoptr(GPtrArray) list = NULL;
        unsigned build_flags = 0;
        bool copied = false;

        if (p->active) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "storage pool '%s' is already active",
                            pool_name(p));
                return false;
        }
        if ((flags & POOL_CREATE_WITH_BUILD_OVERWRITE) && (flags & POOL_CREATE_WITH_BUILD_NO_OVERWRITE)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                            "WITH_BUILD_OVERWRITE and WITH_BUILD_NO_OVERWRITE are mutually exclusive");
                return false;
        }
        if (no_backend(p, "starting", error))
                return false;
        if (flags & POOL_CREATE_WITH_BUILD_OVERWRITE)
                build_flags = POOL_BUILD_OVERWRITE;
        else if (flags & POOL_CREATE_WITH_BUILD_NO_OVERWRITE)
                build_flags = POOL_BUILD_NO_OVERWRITE;
        if (flags && !build_dir(p, build_flags, error))
                return false;
        /* the running definition picks up live figures and permissions (S22, S24); the
         * persistent one stays as it was defined */
        if (p->persistent && !p->new_def) {
                p->new_def = storage_pool_def_copy(p->def);
                copied = true;
        }
        if (!scan(p, false, error) || !(p->active = true, pool_save_state(p, error))) {
                p->active = false;
                drop_volumes(p, false);
                if (copied) {
                        storage_pool_def_free(p->def);
                        p->def = g_steal_pointer(&p->new_def);
                }
                return false;
        }
        log_info("started storage pool '%s'", pool_name(p));
        if (!p->visible) {
                p->visible = true;
                manager_notify_pool_added(p->manager, p);
        }
        list = pool_list_volumes(p);
        for (guint i = 0; i < list->len; i++)
                manager_notify_volume_added(p->manager, g_ptr_array_index(list, i));
        manager_notify_pool_event(p->manager, p, POOL_EVENT_STARTED);
        manager_notify_pool_changed(p->manager, p, POOL_CHANGED_ACTIVE | POOL_CHANGED_FIGURES);
        return true;
}

/* S14: the state goes, files stay; a pending definition takes over, a transient pool goes */
static void stop(Pool *p, bool emit) {
        Manager *m = p->manager;
        g_autofree char *state = pool_state_file(m, pool_name(p));

        if (unlink(state) < 0 && errno != ENOENT)
                log_warning("cannot remove pool state '%s': %s", state, g_strerror(errno));
        drop_volumes(p, emit);
        p->active = false;
        if (p->new_def) {
                /* an inactive pool shows the figures of its last refresh (S22) */
                p->new_def->capacity = p->def->capacity;
                p->new_def->allocation = p->def->allocation;
                p->new_def->available = p->def->available;
                storage_pool_def_free(p->def);
                p->def = g_steal_pointer(&p->new_def);
        }
        if (emit) {
                manager_notify_pool_event(m, p, POOL_EVENT_STOPPED);
                manager_notify_pool_changed(m, p, POOL_CHANGED_ACTIVE);
        }
        if (!p->persistent) {
                if (emit)
                        manager_notify_pool_removed(m, p);
                manager_remove_pool(m, p);
        }
}

void pool_stop_failed(Pool *p, bool emit) {
        log_warning("storage pool '%s' is no longer usable; marking it inactive", pool_name(p));
        stop(p, emit);
}

bool pool_destroy(Pool *p, GError **error) {
        if (!p->active) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "storage pool '%s' is not active",
                            pool_name(p));
                return false;
        }
        if (!check_no_jobs(p, error))
                return false;
        log_info("stopped storage pool '%s'", pool_name(p));
        stop(p, true);
        return true;
}

bool pool_delete(Pool *p, unsigned flags, GError **error) {
        if (p->active) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "storage pool '%s' is still active",
                            pool_name(p));
                return false;
        }
        if (!check_no_jobs(p, error))
                return false;
        if (no_backend(p, "deleting", error))
                return false;
        if (flags & POOL_DELETE_ZEROED) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                            "DELETE_ZEROED is not supported for '%s' pools", pool_type_string(p));
                return false;
        }
        if (rmdir(p->def->target_path) < 0) {
                vmmd_error_set_errno(error, -errno, "failed to remove pool '%s'", p->def->target_path);
                return false;
        }
        log_info("deleted the directory of storage pool '%s'", pool_name(p));
        manager_notify_pool_event(p->manager, p, POOL_EVENT_DELETED);
        return true;
}

bool pool_undefine(Pool *p, GError **error) {
        Manager *m = p->manager;
        g_autofree char *config = NULL, *link = NULL;

        if (p->active) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "storage pool '%s' is still active",
                            pool_name(p));
                return false;
        }
        if (!check_no_jobs(p, error))
                return false;
        config = pool_config_file(m, pool_name(p));
        link = pool_autostart_link(m, pool_name(p));
        if (unlink(config) < 0 && errno != ENOENT) {
                vmmd_error_set_errno(error, -errno, "cannot remove pool definition '%s'", config);
                return false;
        }
        if (unlink(link) < 0 && errno != ENOENT)
                log_warning("cannot remove autostart link '%s': %s", link, g_strerror(errno));
        log_info("undefined storage pool '%s'", pool_name(p));
        manager_notify_pool_event(m, p, POOL_EVENT_UNDEFINED);
        manager_notify_pool_removed(m, p);
        manager_remove_pool(m, p);
        return true;
}

bool pool_refresh(Pool *p, GError **error) {
        uint64_t c = p->def->capacity, a = p->def->allocation, v = p->def->available;

        if (!p->active) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "storage pool '%s' is not active",
                            pool_name(p));
                return false;
        }
        if (!check_no_jobs(p, error))
                return false;
        if (!scan(p, true, error)) {
                stop(p, true);   /* S17 */
                return false;
        }
        (void) pool_save_state(p, NULL);
        manager_notify_pool_refresh(p->manager, p);
        if (c != p->def->capacity || a != p->def->allocation || v != p->def->available)
                manager_notify_pool_changed(p->manager, p, POOL_CHANGED_FIGURES);
        return true;
}

/* Startup step 3: the pool is checked and scanned without signals (S70) */
bool pool_recheck(Pool *p, GError **error) {
        struct stat st;

        if (p->def->type != STORAGE_POOL_DIR || stat(p->def->target_path, &st) < 0 || !S_ISDIR(st.st_mode)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR, "target path '%s' of pool '%s' is gone",
                            p->def->target_path, pool_name(p));
                return false;
        }
        return scan(p, false, error);
}

bool pool_set_autostart(Pool *p, bool autostart, GError **error) {
        Manager *m = p->manager;
        g_autofree char *target = pool_config_file(m, pool_name(p));

        if (!p->persistent) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "cannot set autostart for transient storage pool '%s'", pool_name(p));
                return false;
        }
        if (autostart == p->autostart)
                return true;
        if (!vmmd_autostart_link_set(m->paths->autostart_dir, pool_name(p), target, autostart, error))
                return false;
        p->autostart = autostart;
        manager_notify_pool_changed(m, p, POOL_CHANGED_AUTOSTART);
        return true;
}
