/* The vmmd-qemu manager: the set of domains, loading them from disk, and the define flow. */
#include "manager.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "capabilities-conf.h"
#include "definition-file.h"
#include "error.h"
#include "fileio.h"
#include "list-filter.h"
#include "listener.h"
#include "log.h"
#include "save-image.h"
#include "snapshot.h"
#include "xml-util.h"

typedef struct DefineRequest {
        Manager *manager;
        DomainDef *def;
        ManagerDefineDone done;
        void *userdata;
} DefineRequest;

static void define_request_free(DefineRequest *req) {
        domain_def_free(req->def);
        g_free(req);
}

Manager *manager_new(VmmdPaths *paths) {
        Manager *m = g_new0(Manager, 1);

        m->paths = paths;
        m->save_dir = g_build_filename(paths->state_dir, "save", NULL);
        m->snapshot_dir = g_build_filename(paths->state_dir, "snapshot", NULL);
        m->domains = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) domain_free);
        m->by_name = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        m->caps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) qemu_caps_free);
        m->defining_names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        m->defining_uuids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        m->parked = g_queue_new();
        return m;
}

void manager_free(Manager *m) {
        if (!m)
                return;
        /* the writes still queued finish; their replies went out already when the loop
         * ended (define-commit.c answers every pending define before the bus closes) */
        g_clear_pointer(&m->commit, define_commit_free);
        g_clear_pointer(&m->defining_names, g_hash_table_unref);
        g_clear_pointer(&m->defining_uuids, g_hash_table_unref);
        g_queue_free_full(m->parked, (GDestroyNotify) define_request_free);
        g_clear_pointer(&m->by_name, g_hash_table_unref);
        g_clear_pointer(&m->domains, g_hash_table_unref);
        g_clear_pointer(&m->caps, g_hash_table_unref);
        vmmd_paths_free(m->paths);
        g_free(m->save_dir);
        g_free(m->snapshot_dir);
        g_free(m);
}

void manager_set_listener(Manager *m, const DomainListener *listener, void *userdata) {
        m->listener = listener;
        m->listener_data = userdata;
}

#define NOTIFY(m, member, ...) VMMD_LISTENER_NOTIFY((m)->listener, (m)->listener_data, member, __VA_ARGS__)

void manager_notify_domain_added(Manager *m, Domain *d) {
        NOTIFY(m, domain_added, d);
}

void manager_notify_domain_removed(Manager *m, Domain *d) {
        NOTIFY(m, domain_removed, d);
}

void manager_notify_domain_event(Manager *m, Domain *d, int event, int detail) {
        NOTIFY(m, domain_event, d, event, detail);
}

void manager_notify_domain_changed(Manager *m, Domain *d, unsigned changes) {
        NOTIFY(m, domain_changed, d, changes);
}

void manager_notify_domain_reboot(Manager *m, Domain *d) {
        NOTIFY(m, domain_reboot, d);
}

void manager_notify_snapshot_added(Manager *m, struct Snapshot *s) {
        NOTIFY(m, snapshot_added, s);
}

void manager_notify_snapshot_removed(Manager *m, struct Snapshot *s) {
        NOTIFY(m, snapshot_removed, s);
}

void manager_notify_snapshot_changed(Manager *m, struct Snapshot *s, unsigned changes) {
        NOTIFY(m, snapshot_changed, s, changes);
}

Domain *manager_find_by_uuid(Manager *m, const char *uuid) {
        return g_hash_table_lookup(m->domains, uuid);
}

Domain *manager_find_by_name(Manager *m, const char *name) {
        return g_hash_table_lookup(m->by_name, name);
}

Domain *manager_find_by_id(Manager *m, int id) {
        GHashTableIter it;
        Domain *d;

        if (id <= 0)
                return NULL;
        g_hash_table_iter_init(&it, m->domains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &d))
                if (d->id == id)
                        return d;
        return NULL;
}

void manager_add_domain(Manager *m, Domain *d) {
        g_hash_table_insert(m->domains, d->uuid, d);
        g_hash_table_insert(m->by_name, g_strdup(domain_name(d)), d);
}

void manager_remove_domain(Manager *m, Domain *d) {
        g_hash_table_remove(m->by_name, domain_name(d));
        g_hash_table_remove(m->domains, d->uuid);
}

void manager_rename_domain(Manager *m, Domain *d, const char *old_name) {
        g_hash_table_remove(m->by_name, old_name);
        g_hash_table_insert(m->by_name, g_strdup(domain_name(d)), d);
}

const char *host_arch(void) {
        static struct utsname u;

        if (!*u.machine && uname(&u) < 0)
                return "x86_64";
        return u.machine;
}

const QemuCaps *manager_get_caps(Manager *m, const char *emulator, GError **error) {
        QemuCaps *caps = g_hash_table_lookup(m->caps, emulator);

        if (caps)
                return caps;
        caps = qemu_caps_get(emulator, m->paths->cache_dir, error);
        if (!caps)
                return NULL;
        g_hash_table_insert(m->caps, g_strdup(emulator), caps);
        return caps;
}

/* spec A7–A9: emulator, canonical machine type, implicit devices, addresses */
static bool domain_def_post_parse_host(Manager *m, DomainDef *def, GError **error) {
        const char *arch = domain_def_get_arch(def);
        const char *emulator = domain_def_get_emulator(def);
        const char *machine = domain_def_get_machine(def);
        g_autofree char *found = NULL;
        const QemuCaps *caps;
        const char *canonical;

        if (!arch) {
                arch = host_arch();
                domain_def_set_arch(def, arch);
                arch = domain_def_get_arch(def);
        }
        if (!emulator) {
                found = qemu_caps_find_emulator(arch);
                if (!found) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                    "no emulator installed for arch '%s'", arch);
                        return false;
                }
                domain_def_set_emulator(def, found);
                emulator = domain_def_get_emulator(def);
        }
        caps = manager_get_caps(m, emulator, error);
        if (!caps)
                return false;
        if (!machine) {
                if (!caps->default_machine) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                    "emulator '%s' has no default machine type; name one", emulator);
                        return false;
                }
                domain_def_set_machine(def, caps->default_machine);
        } else {
                canonical = qemu_caps_canonical_machine(caps, machine);
                if (!canonical) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED,
                                    "emulator '%s' does not support machine type '%s'", emulator, machine);
                        return false;
                }
                if (!g_str_equal(canonical, machine))
                        domain_def_set_machine(def, canonical);
        }
        return domain_def_post_parse(def, error);
}

static DomainDef *parse_for_load(int dirfd, const char *dir, const char *name, GError **error) {
        g_autofree char *data = vmmd_definition_read_at(dirfd, dir, name, error);

        return data ? domain_def_parse_string(data, 0, error) : NULL;
}

/* Reading and parsing the definitions is most of a start with many domains, and needs only
 * the file: worker threads do that part (no sd-bus, no model, no logging), the loop then
 * checks and adds the results one by one in name order. */
typedef struct {
        const char *dir;
        int dirfd;         /* dir's: a file is opened with one path lookup, not all of dir's */
        char **names;      /* the NAME.xml entries */
        guint n;
        DomainDef **defs;
        GError **errors;
        gint next;
} LoadBatch;

static gpointer load_worker(gpointer p) {
        LoadBatch *b = p;

        xml_parse_batch_begin();   /* the daemon's own files: one parser context for all */
        for (;;) {
                gint i = g_atomic_int_add(&b->next, 1);

                if (i >= (gint) b->n)
                        break;
                b->defs[i] = parse_for_load(b->dirfd, b->dir, b->names[i], &b->errors[i]);
        }
        xml_parse_batch_end();
        return NULL;
}

/* below this many files a thread costs more than it saves */
#define LOAD_PARALLEL_MIN 64
#define LOAD_THREADS_MAX 8

static void load_parse_all(LoadBatch *b) {
        g_autoptr(GPtrArray) threads = g_ptr_array_new();
        guint n_threads = 0;

        b->defs = g_new0(DomainDef *, b->n);
        b->errors = g_new0(GError *, b->n);
        if (b->n >= LOAD_PARALLEL_MIN)
                n_threads = MIN((guint) g_get_num_processors(), LOAD_THREADS_MAX) - 1;
        if (n_threads > 0) {
                xmlInitParser();   /* once, before any thread parses */
                /* GLib makes its C locale on the first g_ascii_strto*() call; a thread that waits
                 * for that can come back with errno set, and the conf parsers read errno after
                 * each number: a valid <memory> was refused and its domain left unloaded
                 * (test-define-concurrent caught it now and then) */
                (void) g_ascii_strtoull("0", NULL, 10);
        }
        for (guint i = 0; i < n_threads; i++) {
                GThread *t = g_thread_try_new("vmmd-load", load_worker, b, NULL);
                if (!t)
                        break;   /* fewer helpers; the loop's own thread parses the rest */
                g_ptr_array_add(threads, t);
        }
        (void) load_worker(b);
        for (guint i = 0; i < threads->len; i++)
                g_thread_join(g_ptr_array_index(threads, i));
}

/* What a killed daemon leaves: managed saves write .NAME.save.partial-XXXXXX in the save directory; a daemon that died
 * during one left it there (a save in progress needs a running daemon, so at start every
 * such file is a leftover). Saves to other paths are cleaned up by re-attach. */
static void remove_leftovers(Manager *m) {
        g_autoptr(GDir) dir = g_dir_open(m->save_dir, 0, NULL);
        g_autoptr(GDir) snaps = g_dir_open(m->snapshot_dir, 0, NULL);
        const char *e;

        /* and the temporary files of atomic writes a killed daemon left behind */
        (void) vmmd_remove_stale_temp_files(m->paths->config_dir);
        (void) vmmd_remove_stale_temp_files(m->paths->run_dir);
        while (snaps && (e = g_dir_read_name(snaps))) {
                g_autofree char *sub = g_build_filename(m->snapshot_dir, e, NULL);
                (void) vmmd_remove_stale_temp_files(sub);
        }
        if (!dir)
                return;
        while ((e = g_dir_read_name(dir))) {
                g_autofree char *file = NULL;

                if (!save_image_is_partial_name(e))
                        continue;
                file = g_build_filename(m->save_dir, e, NULL);
                if (unlink(file) == 0)
                        log_info("removed the partial save image %s of an interrupted managed save", file);
        }
}

static gint compare_names(gconstpointer a, gconstpointer b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* The entries of dir, read once: a lookup per domain of a file that is mostly not there (its
 * autostart link, its snapshot directory) cost a path walk, and GLib's g_dir_open() a
 * translated error message, each time. */
static GHashTable *dir_entries(const char *dir) {
        GHashTable *names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(GDir) d = g_dir_open(dir, 0, &error);
        const char *e;

        if (!d && !g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
                /* NULL: each domain asks for its own entry then, as before the listing */
                log_warning("cannot list %s (%s): looking up each domain's entry instead", dir, error->message);
                g_hash_table_unref(names);
                return NULL;
        }
        while (d && (e = g_dir_read_name(d)))
                g_hash_table_add(names, g_strdup(e));
        return names;
}

/* Whether the listing has name; without a listing, whether path is there. */
static bool listed(GHashTable *entries, const char *name, const char *path) {
        return entries ? g_hash_table_contains(entries, name) : access(path, F_OK) == 0;
}

void manager_load_domains(Manager *m) {
        g_autoptr(GDir) dir = NULL;
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(GHashTable) autostart = NULL, snapshots = NULL;
        LoadBatch batch = { .dir = m->paths->config_dir };
        const char *e;

        remove_leftovers(m);
        dir = g_dir_open(m->paths->config_dir, 0, NULL);
        if (!dir)
                return;
        while ((e = g_dir_read_name(dir)))
                if (g_str_has_suffix(e, ".xml") && e[0] != '.')
                        g_ptr_array_add(names, g_strdup(e));
        /* name order: which of two files claiming one uuid is loaded does not depend on readdir */
        g_ptr_array_sort(names, compare_names);
        batch.names = (char **) names->pdata;
        batch.n = names->len;
        /* should it fail (out of descriptors), each file is read by its path instead */
        batch.dirfd = open(m->paths->config_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        load_parse_all(&batch);
        if (batch.dirfd >= 0)
                close(batch.dirfd);
        autostart = dir_entries(m->paths->autostart_dir);
        snapshots = dir_entries(m->snapshot_dir);

        for (guint i = 0; i < batch.n; i++) {
                g_autoptr(GError) error = g_steal_pointer(&batch.errors[i]);
                g_autoptr(DomainDef) def = g_steal_pointer(&batch.defs[i]);
                g_autofree char *stem = NULL;
                Domain *d;

                if (!def) {
                        g_autofree char *file = g_build_filename(m->paths->config_dir, batch.names[i], NULL);
                        log_warning("skipping domain definition %s: %s", file, error->message);
                        continue;
                }
                stem = g_strndup(batch.names[i], strlen(batch.names[i]) - strlen(".xml"));
                if (!g_str_equal(stem, domain_def_get_name(def))) {
                        g_autofree char *file = g_build_filename(m->paths->config_dir, batch.names[i], NULL);
                        log_warning("skipping %s: it defines domain '%s', not '%s'", file,
                                    domain_def_get_name(def), stem);
                        continue;
                }
                if (manager_find_by_uuid(m, domain_def_get_uuid(def))) {
                        g_autofree char *file = g_build_filename(m->paths->config_dir, batch.names[i], NULL);
                        log_warning("skipping %s: uuid %s is defined twice", file, domain_def_get_uuid(def));
                        continue;
                }
                d = domain_new(m, g_steal_pointer(&def));
                d->persistent = true;
                /* access() as ever for a link that is there: it follows the link to its target */
                {
                        g_autofree char *link = domain_autostart_link(m, stem);
                        g_autofree char *snap = domain_snapshot_dir(m, stem);

                        if (listed(autostart, batch.names[i], link))
                                d->autostart = access(link, F_OK) == 0;
                        manager_add_domain(m, d);
                        if (listed(snapshots, stem, snap))
                                domain_snapshots_load(d);
                }
        }
        g_free(batch.defs);
        g_free(batch.errors);
        log_debug("loaded %u domains from %s", g_hash_table_size(m->domains), m->paths->config_dir);
}

/* A16: leftovers of an earlier domain with this name go before the new one is written */
static bool remove_stale_files(Manager *m, const char *name, GError **error) {
        g_autofree char *config = domain_config_file(m, name);
        g_autofree char *link = domain_autostart_link(m, name);
        g_autofree char *snap = domain_snapshot_dir(m, name);
        int r;

        /* only the name's own entries go; the name rule already refuses anything else */
        if (!vmmd_is_plain_child_name(name)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INTERNAL_ERROR,
                            "refusing to remove stale files of '%s': not a plain file name", name);
                return false;
        }
        if (unlink(config) < 0 && errno != ENOENT) {
                vmmd_error_set_errno(error, -errno, "cannot remove stale definition '%s'", config);
                return false;
        }
        if (unlink(link) < 0 && errno != ENOENT) {
                vmmd_error_set_errno(error, -errno, "cannot remove stale autostart link '%s'", link);
                return false;
        }
        r = vmmd_rm_rf_child(m->snapshot_dir, name);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot remove stale snapshot metadata '%s'", snap);
                return false;
        }
        return true;
}

DomainDef *manager_parse_domain(Manager *m, const char *xml, bool validate, GError **error) {
        g_autoptr(DomainDef) def = NULL;

        def = domain_def_parse_string(xml, validate ? DOMAIN_DEF_PARSE_VALIDATE : 0, error);
        if (!def)
                return NULL;
        if (!domain_def_post_parse_host(m, def, error))
                return NULL;
        return g_steal_pointer(&def);
}

/* A15: a transient domain whose QEMU is being stopped (Destroy, the end of a guest
 * poweroff; e.g. after an Undefine while it ran) disappears once QEMU has gone; a
 * define of its UUID in that window would race with the removal. A restart in place
 * (fake reboot) is no stop. */
static bool being_removed(const Domain *d) {
        if (d->removing)
                return true;
        return domain_is_active(d) && !d->persistent && !d->reverting && d->run.job == DOMAIN_JOB_STOP;
}

/* A13–A15: name and uuid must agree with what is known; returns the domain with that uuid, if any */
static bool check_duplicates(Manager *m, const DomainDef *def, Domain **ret_by_uuid, GError **error) {
        const char *name = domain_def_get_name(def);
        const char *uuid = domain_def_get_uuid(def);
        Domain *by_uuid = manager_find_by_uuid(m, uuid);
        Domain *by_name = manager_find_by_name(m, name);

        if (manager_is_defining(m, name, uuid)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "domain '%s' (uuid %s) is being defined", name, uuid);
                return false;
        }
        if (by_uuid && being_removed(by_uuid)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "domain '%s' with uuid %s is being removed", domain_name(by_uuid), uuid);
                return false;
        }
        if (by_uuid && !g_str_equal(domain_name(by_uuid), name)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "domain '%s' is already defined with uuid %s", domain_name(by_uuid), uuid);
                return false;
        }
        if (by_name && by_name != by_uuid) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "domain '%s' already exists with uuid %s", name, by_name->uuid);
                return false;
        }
        *ret_by_uuid = by_uuid;
        return true;
}

Domain *manager_prepare_create(Manager *m, DomainDef *def, bool *ret_new, GError **error) {
        Domain *d = NULL;

        if (!check_duplicates(m, def, &d, error))
                return NULL;
        if (d) {
                if (d->run.job == DOMAIN_JOB_START) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "domain '%s' is being started",
                                    domain_name(d));
                        return NULL;
                }
                if (domain_is_active(d)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "domain '%s' is already active",
                                    domain_name(d));
                        return NULL;
                }
                *ret_new = false;
                return d;
        }
        d = domain_new(m, domain_def_copy(def));
        d->persistent = false;
        manager_add_domain(m, d);
        manager_notify_domain_added(m, d);
        *ret_new = true;
        return d;
}

Domain *manager_prepare_create_xml(Manager *m, DomainDef *def, bool *ret_new, GError **error) {
        Domain *d = manager_prepare_create(m, def, ret_new, error);

        if (d && !*ret_new && domain_has_managed_save(d)) {
                g_autofree char *image = domain_managed_save_file(m, domain_name(d));
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "domain '%s' has a managed save image '%s'; start it with Create to restore it, "
                            "or remove the image first", domain_name(d), image);
                return NULL;
        }
        return d;
}

/* spec 0.13: within a group no bit or every bit is no filter; groups are ANDed */
static bool domain_matches(const void *obj, unsigned flags) {
        const Domain *d = obj;
        unsigned state_bits = flags & DOMAIN_LIST_STATE_BITS;

        if (d->removing)
                return false;
        if (!VMMD_FILTER_PAIR(flags, DOMAIN_LIST_ACTIVE, DOMAIN_LIST_INACTIVE, domain_is_active(d)))
                return false;
        if (!VMMD_FILTER_PAIR(flags, DOMAIN_LIST_PERSISTENT, DOMAIN_LIST_TRANSIENT, d->persistent))
                return false;
        if (state_bits && state_bits != DOMAIN_LIST_STATE_BITS) {
                bool ok = ((state_bits & DOMAIN_LIST_RUNNING) && d->state == DOMAIN_RUNNING) ||
                          ((state_bits & DOMAIN_LIST_PAUSED) && d->state == DOMAIN_PAUSED) ||
                          ((state_bits & DOMAIN_LIST_SHUTOFF) && d->state == DOMAIN_SHUTOFF) ||
                          ((state_bits & DOMAIN_LIST_OTHER) && d->state != DOMAIN_RUNNING &&
                           d->state != DOMAIN_PAUSED && d->state != DOMAIN_SHUTOFF);
                if (!ok)
                        return false;
        }
        if (!VMMD_FILTER_PAIR(flags, DOMAIN_LIST_MANAGEDSAVE, DOMAIN_LIST_NO_MANAGEDSAVE, domain_has_managed_save(d)))
                return false;
        if (!VMMD_FILTER_PAIR(flags, DOMAIN_LIST_AUTOSTART, DOMAIN_LIST_NO_AUTOSTART, d->autostart))
                return false;
        if (!VMMD_FILTER_PAIR(flags, DOMAIN_LIST_HAS_SNAPSHOT, DOMAIN_LIST_NO_SNAPSHOT, domain_snapshot_count(d) > 0))
                return false;
        /* no checkpoints yet */
        if (!VMMD_FILTER_PAIR(flags, DOMAIN_LIST_HAS_CHECKPOINT, DOMAIN_LIST_NO_CHECKPOINT, false))
                return false;
        return true;
}

typedef struct {
        const char *name;
        Domain *d;
} NamedDomain;

static int named_domain_cmp(const void *a, const void *b) {
        return strcmp(((const NamedDomain *) a)->name, ((const NamedDomain *) b)->name);
}

/* sorted on names taken out once: a comparison that went through each domain's definition for
 * its name was a sixth of ListDomains at 1000 domains */
GPtrArray *manager_list_domains(Manager *m, unsigned flags) {
        g_autoptr(GPtrArray) list = vmmd_filter_table(m->domains, domain_matches, flags, NULL);
        g_autofree NamedDomain *named = g_new(NamedDomain, list->len + 1);
        GPtrArray *sorted = g_ptr_array_sized_new(list->len);

        for (guint i = 0; i < list->len; i++) {
                named[i].d = g_ptr_array_index(list, i);
                named[i].name = domain_name(named[i].d);
        }
        qsort(named, list->len, sizeof(*named), named_domain_cmp);
        for (guint i = 0; i < list->len; i++)
                g_ptr_array_add(sorted, named[i].d);
        return sorted;
}

GHashTable *manager_managed_save_names(Manager *m) {
        GHashTable *names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        DIR *dir = opendir(m->save_dir);
        struct dirent *e;

        if (!dir)
                return names;
        while ((e = readdir(dir))) {
                size_t len = strlen(e->d_name);

                if (len <= strlen(".save") || !g_str_has_suffix(e->d_name, ".save"))
                        continue;
                /* access() follows a symbolic link: a dangling one is no image there either */
                if ((e->d_type == DT_LNK || e->d_type == DT_UNKNOWN) && faccessat(dirfd(dir), e->d_name, F_OK, 0) < 0)
                        continue;
                g_hash_table_add(names, g_strndup(e->d_name, len - strlen(".save")));
        }
        closedir(dir);
        return names;
}

bool manager_is_busy(Manager *m) {
        GHashTableIter it;
        Domain *d;

        if (define_commit_pending(m->commit) > 0 || !g_queue_is_empty(m->parked))
                return true;
        g_hash_table_iter_init(&it, m->domains);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &d))
                if (domain_is_active(d) || d->run.job != DOMAIN_JOB_NONE || d->run.call)
                        return true;
        return false;
}

/* A new domain whose file is on disk joins the table */
static Domain *add_defined_domain(Manager *m, DomainDef *def) {
        Domain *d = domain_new(m, def);

        d->persistent = true;
        manager_add_domain(m, d);
        manager_notify_domain_added(m, d);
        manager_notify_domain_event(m, d, DOMAIN_EVENT_DEFINED, DOMAIN_EVENT_DEFINED_ADDED);
        return d;
}

/* The define after its checks: by_uuid from check_duplicates; takes def */
static Domain *define_checked(Manager *m, DomainDef *def_in, Domain *by_uuid, bool *ret_added, GError **error) {
        g_autoptr(DomainDef) def = def_in;
        Domain *d;

        if (!by_uuid) {
                if (!remove_stale_files(m, domain_def_get_name(def), error))
                        return NULL;
                if (!domain_save_config(m, def, error))
                        return NULL;
                *ret_added = true;
                return add_defined_domain(m, g_steal_pointer(&def));
        }

        d = by_uuid;
        if (!d->persistent && d->run.job == DOMAIN_JOB_START && !domain_is_active(d)) {
                /* a transient domain whose start waits on other daemons (volumes, passphrases, ports,
                 * filters): a definition written now would outlive the domain if the start fails, and
                 * the start frees the transient definition when it succeeds */
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "domain '%s' is being started",
                            domain_name(d));
                return NULL;
        }
        if (!domain_check_images_idle(d, error))
                return NULL;
        if (!domain_save_config(m, def, error))
                return NULL;
        if (domain_is_active(d)) {
                /* A18/A19: the live definition stays; this one is for the next boot */
                bool was_persistent = d->persistent;

                domain_def_free(d->new_def);
                d->new_def = g_steal_pointer(&def);
                d->persistent = true;
                /* F1: PropertiesChanged, then the event */
                manager_notify_domain_changed(m, d, DOMAIN_CHANGED_PERSISTENT | DOMAIN_CHANGED_UPDATED);
                manager_notify_domain_event(m, d, DOMAIN_EVENT_DEFINED,
                                          was_persistent ? DOMAIN_EVENT_DEFINED_UPDATED : DOMAIN_EVENT_DEFINED_ADDED);
                *ret_added = !was_persistent;
                return d;
        }
        domain_def_free(d->def);
        d->def = g_steal_pointer(&def);
        manager_notify_domain_event(m, d, DOMAIN_EVENT_DEFINED, DOMAIN_EVENT_DEFINED_UPDATED);
        *ret_added = false;
        return d;
}

Domain *manager_define_xml(Manager *m, const char *xml, unsigned flags, bool *ret_added, GError **error) {
        g_autoptr(DomainDef) def = NULL;
        Domain *by_uuid;

        def = manager_parse_domain(m, xml, flags & DOMAIN_DEFINE_VALIDATE, error);
        if (!def)
                return NULL;
        if (!check_duplicates(m, def, &by_uuid, error))
                return NULL;
        return define_checked(m, g_steal_pointer(&def), by_uuid, ret_added, error);
}

bool manager_is_defining(Manager *m, const char *name, const char *uuid) {
        return (name && g_hash_table_contains(m->defining_names, name)) ||
               (uuid && g_hash_table_contains(m->defining_uuids, uuid));
}

static void define_request_finish(DefineRequest *req, Domain *d, bool added, GError *error) {
        req->done(req->manager, d, added, error, req->userdata);
        define_request_free(req);
}

static void define_request_run(DefineRequest *req);

static void on_define_committed(int r, void *userdata) {
        DefineRequest *req = userdata;
        Manager *m = req->manager;
        const char *name = domain_def_get_name(req->def);
        g_autoptr(GError) error = NULL;
        g_autoptr(GQueue) parked = NULL;
        Domain *d = NULL;

        g_hash_table_remove(m->defining_names, name);
        g_hash_table_remove(m->defining_uuids, domain_def_get_uuid(req->def));
        if (r < 0) {
                g_autofree char *file = domain_config_file(m, name);
                vmmd_error_set_errno(&error, r, "cannot write domain definition '%s'", file);
        } else
                d = add_defined_domain(m, g_steal_pointer(&req->def));
        define_request_finish(req, d, d != NULL, error);

        /* the defines that waited for this one run now, in their order */
        parked = g_steal_pointer(&m->parked);
        m->parked = g_queue_new();
        while (!g_queue_is_empty(parked))
                define_request_run(g_queue_pop_head(parked));
}

static void define_request_run(DefineRequest *req) {
        Manager *m = req->manager;
        const char *name = domain_def_get_name(req->def), *uuid = domain_def_get_uuid(req->def);
        g_autoptr(GError) error = NULL;
        g_autofree char *xml = NULL, *file = NULL;
        Domain *by_uuid, *d;
        bool added = false;
        int r;

        if (manager_is_defining(m, name, uuid)) {
                g_queue_push_tail(m->parked, req);
                return;
        }
        if (!check_duplicates(m, req->def, &by_uuid, &error)) {
                define_request_finish(req, NULL, false, error);
                return;
        }
        /* redefines stay on the loop: the domain is in the table, other calls write its file */
        if (by_uuid || !m->commit) {
                d = define_checked(m, g_steal_pointer(&req->def), by_uuid, &added, &error);
                define_request_finish(req, d, added, error);
                return;
        }
        if (!remove_stale_files(m, name, &error)) {
                define_request_finish(req, NULL, false, error);
                return;
        }
        r = vmmd_mkdir_p(m->paths->config_dir, 0755);
        if (r < 0) {
                vmmd_error_set_errno(&error, r, "cannot create directory '%s'", m->paths->config_dir);
                define_request_finish(req, NULL, false, error);
                return;
        }
        xml = domain_def_format(req->def, DOMAIN_DEF_FORMAT_SECURE | DOMAIN_DEF_FORMAT_INACTIVE);
        file = domain_config_file(m, name);
        g_hash_table_add(m->defining_names, g_strdup(name));
        g_hash_table_add(m->defining_uuids, g_strdup(uuid));
        define_commit_queue(m->commit, file,
                            vmmd_definition_format(name, uuid, xml, "vmmd-qemu", "edit", QEMU_BUS_NAME),
                            on_define_committed, req);
}

void manager_define_xml_async(Manager *m, const char *xml, unsigned flags, ManagerDefineDone done, void *userdata) {
        g_autoptr(GError) error = NULL;
        DefineRequest *req;
        DomainDef *def;
        int r;

        def = manager_parse_domain(m, xml, flags & DOMAIN_DEFINE_VALIDATE, &error);
        if (!def) {
                done(m, NULL, false, error, userdata);
                return;
        }
        if (!m->commit && m->event) {
                r = define_commit_new(m->event, &m->commit);
                if (r < 0)   /* then one at a time on the loop, as before */
                        log_warning("cannot start the definition writer: %s", g_strerror(-r));
        }
        req = g_new0(DefineRequest, 1);
        req->manager = m;
        req->def = def;
        req->done = done;
        req->userdata = userdata;
        define_request_run(req);
}

char *manager_capabilities_xml(Manager *m, GError **error) {
        static const char *const arches[] = { "x86_64", "i386", "aarch64", "arm", "ppc64", "ppc64le",
                                              "riscv64", "s390x", "mips64el" };
        g_autoptr(CapsDef) def = caps_def_new(host_arch());
        bool kvm = access("/dev/kvm", R_OK | W_OK) == 0;

        for (size_t i = 0; i < G_N_ELEMENTS(arches); i++) {
                g_autofree char *emulator = qemu_caps_find_emulator(arches[i]);
                g_autoptr(GError) local = NULL;
                const QemuCaps *caps;
                CapsGuest *guest;

                if (!emulator)
                        continue;
                caps = manager_get_caps(m, emulator, &local);
                if (!caps) {
                        log_warning("%s", local->message);
                        continue;
                }
                guest = caps_def_add_guest(def, arches[i], emulator, kvm && g_str_equal(arches[i], host_arch()));
                for (guint j = 0; j < caps->machines->len; j++) {
                        const QemuMachine *mt = g_ptr_array_index(caps->machines, j);
                        caps_guest_add_machine(guest, mt->name, mt->alias);
                }
        }
        return caps_def_format(def);
}
