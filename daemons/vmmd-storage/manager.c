/* The vmmd-storage manager: the set of pools, loading them at start, define and create. */
#include "manager.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "definition-file.h"
#include "error.h"
#include "fileio.h"
#include "listener.h"
#include "list-filter.h"
#include "log.h"
#include "volume.h"

Manager *manager_new(VmmdPaths *paths) {
        Manager *m = g_new0(Manager, 1);

        m->paths = paths;
        m->pools = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) pool_free);
        return m;
}

void manager_free(Manager *m) {
        if (!m)
                return;
        g_clear_pointer(&m->pools, g_hash_table_unref);
        vmmd_paths_free(m->paths);
        g_free(m);
}

Pool *manager_find_by_uuid(Manager *m, const char *uuid) {
        Pool *p = g_hash_table_lookup(m->pools, uuid);
        return p && p->visible ? p : NULL;
}

Pool *manager_find_by_name(Manager *m, const char *name) {
        GHashTableIter it;
        Pool *p;

        g_hash_table_iter_init(&it, m->pools);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &p))
                if (p->visible && g_str_equal(pool_name(p), name))
                        return p;
        return NULL;
}

Pool *manager_find_by_target(Manager *m, const char *path) {
        g_autofree char *clean = storage_path_sanitize(path);
        GHashTableIter it;
        Pool *p;

        g_hash_table_iter_init(&it, m->pools);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &p))
                if (p->visible && p->active && g_strcmp0(p->def->target_path, clean) == 0)
                        return p;
        return NULL;
}

Volume *manager_find_volume(Manager *m, const char *key_or_path) {
        g_autofree char *clean = storage_path_sanitize(key_or_path);
        GHashTableIter it, vit;
        Volume *v;
        Pool *p;

        g_hash_table_iter_init(&it, m->pools);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &p)) {
                if (!p->visible || !p->active)
                        continue;
                g_hash_table_iter_init(&vit, p->volumes);
                while (g_hash_table_iter_next(&vit, NULL, (gpointer *) &v))
                        if (g_strcmp0(v->def->key, clean) == 0 || g_strcmp0(volume_path(v), clean) == 0)
                                return v;
        }
        return NULL;
}

void manager_add_pool(Manager *m, Pool *p) {
        g_hash_table_insert(m->pools, p->uuid, p);
}

void manager_remove_pool(Manager *m, Pool *p) {
        g_hash_table_remove(m->pools, p->uuid);
}

bool manager_is_busy(Manager *m) {
        return m->jobs > 0;
}

/* VIR_CONNECT_LIST_STORAGE_POOLS_<TYPE> of each StoragePoolType */
static uint32_t pool_type_bit(StoragePoolType type) {
        static const uint32_t bits[_STORAGE_POOL_TYPE_MAX] = {
                [STORAGE_POOL_DIR] = POOL_LIST_DIR, [STORAGE_POOL_FS] = POOL_LIST_FS,
                [STORAGE_POOL_NETFS] = POOL_LIST_NETFS, [STORAGE_POOL_LOGICAL] = POOL_LIST_LOGICAL,
                [STORAGE_POOL_DISK] = POOL_LIST_DISK, [STORAGE_POOL_ISCSI] = POOL_LIST_ISCSI,
                [STORAGE_POOL_SCSI] = POOL_LIST_SCSI, [STORAGE_POOL_MPATH] = POOL_LIST_MPATH,
                [STORAGE_POOL_RBD] = POOL_LIST_RBD, [STORAGE_POOL_SHEEPDOG] = POOL_LIST_SHEEPDOG,
                [STORAGE_POOL_GLUSTER] = POOL_LIST_GLUSTER, [STORAGE_POOL_ZFS] = POOL_LIST_ZFS,
                [STORAGE_POOL_VSTORAGE] = POOL_LIST_VSTORAGE, [STORAGE_POOL_ISCSI_DIRECT] = POOL_LIST_ISCSI_DIRECT,
        };
        return (unsigned) type < _STORAGE_POOL_TYPE_MAX ? bits[type] : 0;
}

static bool pool_matches(const void *obj, unsigned flags) {
        const Pool *p = obj;
        unsigned types = flags & POOL_LIST_TYPE_BITS;

        if (!p->visible)   /* a transient pool being started */
                return false;
        /* S67: pairs are ANDed; type bits are ORed */
        if (!VMMD_FILTER_PAIR(flags, POOL_LIST_ACTIVE, POOL_LIST_INACTIVE, p->active) ||
            !VMMD_FILTER_PAIR(flags, POOL_LIST_PERSISTENT, POOL_LIST_TRANSIENT, p->persistent) ||
            !VMMD_FILTER_PAIR(flags, POOL_LIST_AUTOSTART, POOL_LIST_NO_AUTOSTART, p->autostart))
                return false;
        return !types || (types & pool_type_bit(p->def->type));
}

static int pool_name_cmp(gconstpointer a, gconstpointer b) {
        return strcmp(pool_name(*(Pool **) a), pool_name(*(Pool **) b));
}

GPtrArray *manager_list_pools(Manager *m, unsigned flags) {
        return vmmd_filter_table(m->pools, pool_matches, flags, pool_name_cmp);
}

void manager_set_listener(Manager *m, const StorageListener *listener, void *userdata) {
        m->listener = listener;
        m->listener_data = userdata;
}

#define NOTIFY(m, member, ...) VMMD_LISTENER_NOTIFY((m)->listener, (m)->listener_data, member, __VA_ARGS__)

void manager_notify_pool_added(Manager *m, Pool *p) {
        NOTIFY(m, pool_added, p);
}

void manager_notify_pool_removed(Manager *m, Pool *p) {
        NOTIFY(m, pool_removed, p);
}

void manager_notify_pool_event(Manager *m, Pool *p, int event) {
        NOTIFY(m, pool_event, p, event);
}

void manager_notify_pool_changed(Manager *m, Pool *p, unsigned changes) {
        NOTIFY(m, pool_changed, p, changes);
}

void manager_notify_pool_refresh(Manager *m, Pool *p) {
        NOTIFY(m, pool_refresh, p);
}

void manager_notify_volume_added(Manager *m, Volume *v) {
        NOTIFY(m, volume_added, v);
}

void manager_notify_volume_removed(Manager *m, Volume *v) {
        NOTIFY(m, volume_removed, v);
}

static StoragePoolDef *parse_file(const char *file, GError **error) {
        g_autofree char *data = vmmd_definition_read(file, error);

        return data ? storage_pool_def_parse_string(data, 0, error) : NULL;
}

/* Every NAME.xml of dir whose <name> is NAME; fn gets each parsed definition. */
static void load_dir(Manager *m, const char *dir, void (*fn)(Manager *m, StoragePoolDef *def, const char *stem)) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *e;

        if (!d)
                return;
        /* a daemon killed in the middle of a write left its temporary file */
        (void) vmmd_remove_stale_temp_files(dir);
        while ((e = g_dir_read_name(d))) {
                g_autofree char *file = NULL, *stem = NULL;
                g_autoptr(GError) error = NULL;
                g_autoptr(StoragePoolDef) def = NULL;

                if (!g_str_has_suffix(e, ".xml") || e[0] == '.')
                        continue;
                file = g_build_filename(dir, e, NULL);
                def = parse_file(file, &error);
                if (!def) {
                        log_warning("skipping pool file %s: %s", file, error->message);
                        continue;
                }
                stem = g_strndup(e, strlen(e) - strlen(".xml"));
                if (!g_str_equal(stem, def->name)) {
                        log_warning("skipping %s: it defines pool '%s', not '%s'", file, def->name, stem);
                        continue;
                }
                fn(m, g_steal_pointer(&def), stem);
        }
}

static void load_state(Manager *m, StoragePoolDef *def, const char *stem) {
        Pool *p;

        if (g_hash_table_lookup(m->pools, def->uuid)) {
                log_warning("skipping state of pool '%s': uuid %s is used twice", def->name, def->uuid);
                storage_pool_def_free(def);
                return;
        }
        p = pool_new(m, def);
        p->active = true;
        manager_add_pool(m, p);
}

static void load_config(Manager *m, StoragePoolDef *def, const char *stem) {
        g_autofree char *link = pool_autostart_link(m, stem);
        Pool *p = g_hash_table_lookup(m->pools, def->uuid);
        Pool *by_name = manager_find_by_name(m, def->name);

        if ((p && !g_str_equal(pool_name(p), def->name)) || (by_name && by_name != p)) {
                log_warning("skipping definition of pool '%s' (%s): it conflicts with a running pool", def->name,
                            def->uuid);
                storage_pool_def_free(def);
                return;
        }
        if (p)
                p->new_def = def;   /* running with its state file's definition */
        else {
                p = pool_new(m, def);
                manager_add_pool(m, p);
        }
        p->persistent = true;
        p->autostart = access(link, F_OK) == 0;
}

void manager_load(Manager *m) {
        g_autoptr(GPtrArray) list = g_ptr_array_new();
        GHashTableIter it;
        Pool *p;

        load_dir(m, m->paths->run_dir, load_state);
        load_dir(m, m->paths->config_dir, load_config);
        g_hash_table_iter_init(&it, m->pools);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &p))
                if (p->active)
                        g_ptr_array_add(list, p);
        for (guint i = 0; i < list->len; i++) {
                g_autoptr(GError) error = NULL;
                p = g_ptr_array_index(list, i);
                if (!pool_recheck(p, &error)) {
                        log_warning("pool '%s': %s", pool_name(p), error->message);
                        pool_stop_failed(p, false);
                }
        }
        log_debug("loaded %u pools", g_hash_table_size(m->pools));
}

void manager_autostart(Manager *m) {
        g_autoptr(GPtrArray) list = g_ptr_array_new();
        GHashTableIter it;
        Pool *p;

        if (!vmmd_autostart_claim(m->paths->run_dir))
                return;
        g_hash_table_iter_init(&it, m->pools);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &p))
                if (p->autostart && !p->active)
                        g_ptr_array_add(list, p);
        for (guint i = 0; i < list->len; i++) {
                g_autoptr(GError) error = NULL;
                p = g_ptr_array_index(list, i);
                if (!pool_start(p, 0, &error))
                        log_warning("cannot autostart pool '%s': %s", pool_name(p), error->message);
        }
}

/* S5 (and S13): name, uuid and source must agree with what is known */
static bool check_duplicates(Manager *m, const StoragePoolDef *def, Pool **ret_same, GError **error) {
        Pool *by_uuid = manager_find_by_uuid(m, def->uuid);
        Pool *by_name = manager_find_by_name(m, def->name);
        GHashTableIter it;
        Pool *p;

        if (by_uuid && !g_str_equal(pool_name(by_uuid), def->name)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "pool '%s' is already defined with uuid %s", pool_name(by_uuid), def->uuid);
                return false;
        }
        if (by_name && by_name != by_uuid) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "pool '%s' already exists with uuid %s",
                            def->name, by_name->uuid);
                return false;
        }
        g_hash_table_iter_init(&it, m->pools);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &p)) {
                const StoragePoolDef *other = p->def;
                if (p == by_uuid || !p->visible || other->type != def->type)
                        continue;
                if ((def->type == STORAGE_POOL_DIR && g_strcmp0(other->target_path, def->target_path) == 0) ||
                    (p->new_def && def->type == STORAGE_POOL_DIR &&
                     g_strcmp0(p->new_def->target_path, def->target_path) == 0)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                    "Storage source conflict with pool '%s'", pool_name(p));
                        return false;
                }
        }
        *ret_same = by_uuid;
        return true;
}

static StoragePoolDef *parse_for_bus(const char *xml, unsigned parse_flags, GError **error) {
        g_autoptr(StoragePoolDef) def = storage_pool_def_parse_string(xml, parse_flags, error);

        if (!def)
                return NULL;
        if (!pool_type_is_definable(def->type)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_SUPPORT, "storage pool type '%s' is not supported",
                            storage_pool_type_to_string(def->type));
                return NULL;
        }
        return g_steal_pointer(&def);
}

Pool *manager_define_xml(Manager *m, const char *xml, unsigned flags, GError **error) {
        g_autoptr(StoragePoolDef) def = NULL;
        Pool *p = NULL;
        bool was_persistent;

        def = parse_for_bus(xml, flags & POOL_DEFINE_VALIDATE ? STORAGE_POOL_DEF_PARSE_VALIDATE : 0, error);
        if (!def || !check_duplicates(m, def, &p, error))
                return NULL;
        if (!pool_save_config(m, def, error))
                return NULL;
        if (!p) {
                g_autofree char *link = pool_autostart_link(m, def->name);
                (void) unlink(link);   /* a stale link of an earlier pool of that name */
                p = pool_new(m, g_steal_pointer(&def));
                p->persistent = true;
                manager_add_pool(m, p);
                log_info("defined storage pool '%s' (%s)", pool_name(p), p->uuid);
                manager_notify_pool_added(m, p);
                manager_notify_pool_event(m, p, POOL_EVENT_DEFINED);
                return p;
        }
        was_persistent = p->persistent;
        if (p->active) {
                storage_pool_def_free(p->new_def);   /* S6: pending until the next stop */
                p->new_def = g_steal_pointer(&def);
        } else {
                bool type_changed = p->def->type != def->type;
                storage_pool_def_free(p->def);
                p->def = g_steal_pointer(&def);
                if (type_changed)
                        manager_notify_pool_changed(m, p, POOL_CHANGED_TYPE);
        }
        p->persistent = true;
        log_info("updated storage pool '%s' (%s)", pool_name(p), p->uuid);
        manager_notify_pool_event(m, p, POOL_EVENT_DEFINED);
        if (!was_persistent)
                manager_notify_pool_changed(m, p, POOL_CHANGED_PERSISTENT);
        return p;
}

Pool *manager_create_xml(Manager *m, const char *xml, unsigned flags, GError **error) {
        g_autoptr(StoragePoolDef) def = NULL;
        Pool *p = NULL;

        if ((flags & POOL_CREATE_WITH_BUILD_OVERWRITE) && (flags & POOL_CREATE_WITH_BUILD_NO_OVERWRITE)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                            "WITH_BUILD_OVERWRITE and WITH_BUILD_NO_OVERWRITE are mutually exclusive");
                return NULL;
        }
        def = parse_for_bus(xml, 0, error);
        if (!def || !check_duplicates(m, def, &p, error))
                return NULL;
        if (p && p->active) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "pool is already active as '%s'",
                            pool_name(p));
                return NULL;
        }
        if (p) {
                /* an inactive persistent pool runs this definition; its own waits for the stop */
                StoragePoolDef *old = p->def;
                p->def = g_steal_pointer(&def);
                if (!pool_start(p, flags, error)) {
                        storage_pool_def_free(p->def);
                        p->def = old;
                        return NULL;
                }
                storage_pool_def_free(p->new_def);
                p->new_def = old;
                return p;
        }
        p = pool_new(m, g_steal_pointer(&def));
        p->visible = false;
        manager_add_pool(m, p);
        if (!pool_start(p, flags, error)) {
                manager_remove_pool(m, p);   /* S13: nothing remains */
                return NULL;
        }
        return p;
}
