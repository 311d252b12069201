/* The vmmd-secret model: define, undefine, values sealed on disk, lookups, and loading at start (spec secrets.md §5). */
#include "manager.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "list-filter.h"
#include "listener.h"
#include "log.h"
#include "vmmd/secret1.h"

#define NOTIFY(m, member, ...) VMMD_LISTENER_NOTIFY((m)->listener, (m)->listener_data, member, __VA_ARGS__)

const char *secret_uuid(const Secret *s) {
        return s->def->uuid;
}

static void secret_clear_value(Secret *s) {
        secret_buffer_free(s->value, s->value_len);
        s->value = NULL;
        s->value_len = 0;
        s->has_value = false;
        g_clear_pointer(&s->unreadable, g_free);
        s->other_key = false;
}

static void secret_free(Secret *s) {
        if (!s)
                return;
        secret_clear_value(s);
        secret_def_free(s->def);
        g_free(s);
}

/* --- the config file --- */

static const char *const default_internal_clients[] = { "org.vmmd.qemu1", "org.vmmd.storage1", NULL };

char *manager_config_file(const VmmdPaths *paths) {
        g_autofree char *dir = g_path_get_dirname(paths->config_dir);
        return g_build_filename(dir, "vmmd-secret.conf", NULL);
}

/* a well-known (not unique) bus name, as the D-Bus specification has it */
static bool is_well_known_name(const char *name) {
        bool element_start = true;
        unsigned dots = 0;

        if (!*name || strlen(name) > 255)
                return false;
        for (const char *p = name; *p; p++) {
                if (*p == '.') {
                        if (element_start)
                                return false;
                        dots++;
                        element_start = true;
                        continue;
                }
                if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-')
                        return false;
                if (element_start && g_ascii_isdigit(*p))
                        return false;
                element_start = false;
        }
        return dots > 0 && !element_start;
}

char **manager_read_internal_clients(const char *config_file) {
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        g_auto(GStrv) list = NULL;

        if (!g_key_file_load_from_file(kf, config_file, G_KEY_FILE_NONE, &error)) {
                if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
                        log_error("cannot read %s, using the default internal clients: %s", config_file,
                                  error->message);
                return g_strdupv((char **) default_internal_clients);
        }
        list = g_key_file_get_string_list(kf, "secret", "internal_clients", NULL, NULL);
        if (!list)
                return g_strdupv((char **) default_internal_clients);
        for (char **n = list; *n; n++) {
                g_strstrip(*n);
                if (!**n)
                        continue;
                if (!is_well_known_name(*n)) {
                        log_warning("%s: internal_clients: '%s' is not a bus name; left out", config_file, *n);
                        continue;
                }
                g_ptr_array_add(names, g_strdup(*n));
        }
        g_ptr_array_add(names, NULL);
        return (char **) g_ptr_array_free(g_steal_pointer(&names), FALSE);
}

Manager *manager_new(VmmdPaths *paths) {
        Manager *m = g_new0(Manager, 1);
        g_autofree char *key_file = g_build_filename(paths->state_dir, "master.key", NULL);
        g_autofree char *config = manager_config_file(paths);

        m->paths = paths;
        m->internal_clients = manager_read_internal_clients(config);
        m->secrets = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) secret_free);
        m->key = master_key_load(key_file);
        return m;
}

void manager_free(Manager *m) {
        if (!m)
                return;
        g_hash_table_destroy(m->secrets);
        master_key_free(m->key);
        g_strfreev(m->internal_clients);
        vmmd_paths_free(m->paths);
        g_free(m);
}

void manager_set_listener(Manager *m, const SecretListener *listener, void *userdata) {
        m->listener = listener;
        m->listener_data = userdata;
}

/* --- files --- */

static char *secret_file(Manager *m, const char *uuid, const char *suffix) {
        g_autofree char *name = g_strconcat(uuid, suffix, NULL);
        return g_build_filename(m->paths->config_dir, name, NULL);
}

static bool ensure_config_dir(Manager *m, GError **error) {
        int r = vmmd_mkdir_p(m->paths->config_dir, 0700);

        if (r < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR, "cannot create %s: %s", m->paths->config_dir,
                            g_strerror(-r));
                return false;
        }
        return true;
}

static bool write_definition(Manager *m, const SecretDef *def, GError **error) {
        g_autofree char *file = secret_file(m, def->uuid, ".xml");
        g_autofree char *xml = secret_def_format(def);
        int r;

        if (!ensure_config_dir(m, error))
                return false;
        r = vmmd_write_file_atomic(file, xml, strlen(xml), 0600);
        if (r < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR, "cannot write secret definition %s: %s", file,
                            g_strerror(-r));
                return false;
        }
        return true;
}

/* Any sealed value in the config directory, loaded or not: while one exists, a missing key
 * is never replaced by a new one (it would make that value unreadable for good). */
static bool sealed_values_exist(Manager *m) {
        g_autoptr(GDir) d = g_dir_open(m->paths->config_dir, 0, NULL);
        const char *e;

        if (!d)
                return false;
        while ((e = g_dir_read_name(d)))
                if (e[0] != '.' && g_str_has_suffix(e, ".sealed"))
                        return true;
        return false;
}

/* Seals and writes (atomically: the temp file already holds the sealed bytes) uuid's value. */
static bool write_sealed(Manager *m, const char *uuid, const uint8_t *value, size_t len, GError **error) {
        g_autofree char *file = secret_file(m, uuid, ".sealed");
        g_autofree uint8_t *sealed = NULL;
        size_t sealed_len;
        int r;

        if (!master_key_ensure(m->key, !sealed_values_exist(m), error)) {
                g_prefix_error(error, "cannot store the value of secret '%s': ", uuid);
                return false;
        }
        if (!ensure_config_dir(m, error))
                return false;
        sealed = seal_value(m->key, uuid, value, len, &sealed_len);
        r = vmmd_write_file_atomic(file, (const char *) sealed, sealed_len, 0600);
        if (r < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR, "cannot write sealed value %s: %s", file,
                            g_strerror(-r));
                return false;
        }
        return true;
}

static bool remove_file(const char *file, GError **error) {
        if (unlink(file) < 0 && errno != ENOENT) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR, "cannot remove %s: %s", file,
                            g_strerror(errno));
                return false;
        }
        return true;
}

/* --- lookups --- */

Secret *manager_find_by_uuid(Manager *m, const char *uuid) {
        return g_hash_table_lookup(m->secrets, uuid);
}

Secret *manager_find_by_usage(Manager *m, int usage_type, const char *usage_id) {
        GHashTableIter it;
        Secret *s;

        if (usage_type == SECRET_USAGE_NONE || !usage_id)
                return NULL;
        g_hash_table_iter_init(&it, m->secrets);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &s))
                if ((int) s->def->usage_type == usage_type && g_strcmp0(s->def->usage_id, usage_id) == 0)
                        return s;
        return NULL;
}

static bool match_flags(const void *obj, unsigned flags) {
        const Secret *s = obj;

        return VMMD_FILTER_PAIR(flags, SECRET_LIST_EPHEMERAL, SECRET_LIST_NO_EPHEMERAL, s->def->ephemeral) &&
               VMMD_FILTER_PAIR(flags, SECRET_LIST_PRIVATE, SECRET_LIST_NO_PRIVATE, s->def->is_private);
}

static int cmp_uuid(gconstpointer a, gconstpointer b) {
        const Secret *x = *(Secret *const *) a, *y = *(Secret *const *) b;
        return strcmp(x->def->uuid, y->def->uuid);
}

GPtrArray *manager_list(Manager *m, unsigned flags) {
        return vmmd_filter_table(m->secrets, match_flags, flags, cmp_uuid);
}

bool manager_is_busy(Manager *m) {
        GHashTableIter it;
        Secret *s;

        g_hash_table_iter_init(&it, m->secrets);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &s))
                if (s->def->ephemeral)
                        return true;
        return false;
}

/* --- define --- */

static bool check_redefine(const Secret *old, const SecretDef *def, GError **error) {
        if (old->def->usage_type != def->usage_type || g_strcmp0(old->def->usage_id, def->usage_id) != 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "a secret with UUID %s is already defined for use with %s", old->def->uuid,
                            old->def->usage_id ? old->def->usage_id : "nothing");
                return false;
        }
        if (old->def->is_private && !def->is_private) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "cannot change private flag on existing secret");
                return false;
        }
        return true;
}

/* X5: the files of a redefinition; on failure the files are as before. */
static bool redefine_files(Manager *m, const Secret *old, const SecretDef *def, GError **error) {
        g_autofree char *xml_file = secret_file(m, def->uuid, ".xml");
        g_autofree char *sealed_file = secret_file(m, def->uuid, ".sealed");

        if (def->ephemeral && old->def->ephemeral)
                return true;
        if (!def->ephemeral && !old->def->ephemeral)
                return write_definition(m, def, error);
        if (!def->ephemeral) {
                /* ephemeral → persistent: the value first, so a definition never points at nothing */
                if (old->has_value && !write_sealed(m, def->uuid, old->value, old->value_len, error))
                        return false;
                if (!write_definition(m, def, error)) {
                        (void) unlink(sealed_file);
                        return false;
                }
                return true;
        }
        /* persistent → ephemeral: a stored value that cannot be opened here would be lost for good */
        if (old->unreadable) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "the stored value of secret '%s' cannot be decrypted (%s); making the secret ephemeral "
                            "would delete it", old->def->uuid, old->unreadable);
                return false;
        }
        if (!remove_file(xml_file, error))
                return false;
        if (!remove_file(sealed_file, error)) {
                g_autoptr(GError) restore = NULL;

                if (!write_definition(m, old->def, &restore))
                        log_error("secret %s: cannot restore its definition: %s", old->def->uuid, restore->message);
                return false;
        }
        return true;
}

static unsigned def_changes(const SecretDef *a, const SecretDef *b) {
        unsigned c = 0;

        if (a->usage_type != b->usage_type || g_strcmp0(a->usage_id, b->usage_id) != 0)
                c |= SECRET_CHANGED_USAGE;
        if (g_strcmp0(a->description, b->description) != 0)
                c |= SECRET_CHANGED_DESCRIPTION;
        if (a->ephemeral != b->ephemeral)
                c |= SECRET_CHANGED_EPHEMERAL;
        if (a->is_private != b->is_private)
                c |= SECRET_CHANGED_PRIVATE;
        return c;
}

Secret *manager_define_xml(Manager *m, const char *xml, unsigned flags, GError **error) {
        g_autoptr(SecretDef) def = NULL;
        Secret *old, *other, *s;
        unsigned changes;

        if (flags & ~(unsigned) SECRET_DEFINE_VALIDATE) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "SecretDefineXML: unsupported flags (0x%x)",
                            flags & ~(unsigned) SECRET_DEFINE_VALIDATE);
                return NULL;
        }
        def = secret_def_parse_string(xml, (flags & SECRET_DEFINE_VALIDATE) ? SECRET_DEF_PARSE_VALIDATE : 0, error);
        if (!def)
                return NULL;
        old = manager_find_by_uuid(m, def->uuid);
        other = manager_find_by_usage(m, def->usage_type, def->usage_id);
        if (other && other != old) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "a secret with UUID %s already defined for use with %s", other->def->uuid, def->usage_id);
                return NULL;
        }
        if (!old) {
                if (!def->ephemeral && !write_definition(m, def, error))
                        return NULL;
                s = g_new0(Secret, 1);
                s->def = g_steal_pointer(&def);
                g_hash_table_insert(m->secrets, s->def->uuid, s);
                NOTIFY(m, secret_added, s);
                NOTIFY(m, secret_event, s, SECRET_EVENT_DEFINED);
                return s;
        }
        if (!check_redefine(old, def, error) || !redefine_files(m, old, def, error))
                return NULL;
        changes = def_changes(old->def, def);
        /* the table's key is the def's uuid: the same string in the new def */
        g_hash_table_steal(m->secrets, old->def->uuid);
        secret_def_free(old->def);
        old->def = g_steal_pointer(&def);
        g_hash_table_insert(m->secrets, old->def->uuid, old);
        NOTIFY(m, secret_event, old, SECRET_EVENT_DEFINED);
        if (changes)
                NOTIFY(m, secret_changed, old, changes);
        return old;
}

bool manager_undefine(Manager *m, Secret *s, GError **error) {
        if (!s->def->ephemeral) {
                g_autofree char *xml_file = secret_file(m, s->def->uuid, ".xml");
                g_autofree char *sealed_file = secret_file(m, s->def->uuid, ".sealed");
                g_autoptr(GError) sealed_error = NULL;

                if (!remove_file(xml_file, error))
                        return false;
                /* the definition is gone: a value file left behind only costs space */
                if (!remove_file(sealed_file, &sealed_error))
                        log_warning("secret %s: %s", s->def->uuid, sealed_error->message);
        }
        NOTIFY(m, secret_event, s, SECRET_EVENT_UNDEFINED);
        NOTIFY(m, secret_removed, s);
        g_hash_table_remove(m->secrets, s->def->uuid);
        return true;
}

/* --- values --- */

bool manager_set_value(Manager *m, Secret *s, const uint8_t *value, size_t len, GError **error) {
        bool had_value = s->has_value;
        uint8_t *copy;

        if (len > SECRET_VALUE_MAX) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                            "secret value is %zu bytes long, more than the %d allowed", len, SECRET_VALUE_MAX);
                return false;
        }
        if (!s->def->ephemeral) {
                if (s->other_key) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                    "the stored value of secret '%s' was sealed with another master key than %s; "
                                    "it is not overwritten (restore that key)", s->def->uuid, m->key->path);
                        return false;
                }
                if (!write_sealed(m, s->def->uuid, value, len, error))
                        return false;
        }
        copy = g_malloc(len + 1);
        if (len)
                memcpy(copy, value, len);
        secret_clear_value(s);
        s->value = copy;
        s->value_len = len;
        s->has_value = true;
        NOTIFY(m, value_changed, s);
        if (!had_value)
                NOTIFY(m, secret_changed, s, SECRET_CHANGED_HAS_VALUE);
        return true;
}

const uint8_t *manager_get_value(Manager *m, Secret *s, bool internal, size_t *ret_len, GError **error) {
        if (!internal && s->def->is_private) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_SECRET, "secret is private");
                return NULL;
        }
        if (s->unreadable) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "stored value of secret '%s' cannot be decrypted: %s", s->def->uuid, s->unreadable);
                return NULL;
        }
        if (!s->has_value) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_SECRET, "secret '%s' does not have a value",
                            s->def->uuid);
                return NULL;
        }
        *ret_len = s->value_len;
        return s->value;
}

/* --- loading --- */

static void load_value(Manager *m, Secret *s) {
        g_autofree char *file = secret_file(m, s->def->uuid, ".sealed");
        g_autoptr(GError) error = NULL;
        g_autofree char *data = NULL;
        size_t len = 0, value_len = 0;
        uint8_t *value;
        int r;

        r = vmmd_read_file(file, &data, &len);
        if (r == -ENOENT)
                return;
        if (r < 0) {
                s->unreadable = g_strdup_printf("cannot read %s: %s", file, g_strerror(-r));
        } else {
                value = unseal_value(m->key, s->def->uuid, (const uint8_t *) data, len, &value_len, &error);
                if (value) {
                        s->value = value;
                        s->value_len = value_len;
                        s->has_value = true;
                        return;
                }
                s->unreadable = g_strdup_printf("%s: %s", file, error->message);
                s->other_key = seal_needs_other_key(m->key, (const uint8_t *) data, len);
        }
        log_warning("secret %s: stored value cannot be decrypted: %s", s->def->uuid, s->unreadable);
}

void manager_load(Manager *m) {
        g_autoptr(GDir) d = g_dir_open(m->paths->config_dir, 0, NULL);
        const char *e;

        if (!d)
                return;
        while ((e = g_dir_read_name(d))) {
                g_autofree char *file = NULL, *stem = NULL, *data = NULL;
                g_autoptr(GError) error = NULL;
                g_autoptr(SecretDef) def = NULL;
                size_t len;
                Secret *s;
                int r;

                if (!g_str_has_suffix(e, ".xml") || e[0] == '.')
                        continue;
                file = g_build_filename(m->paths->config_dir, e, NULL);
                stem = g_strndup(e, strlen(e) - strlen(".xml"));
                r = vmmd_read_file(file, &data, &len);
                if (r < 0) {
                        log_warning("skipping secret file %s: %s", file, g_strerror(-r));
                        continue;
                }
                def = secret_def_parse_string(data, 0, &error);
                if (!def) {
                        log_warning("skipping secret file %s: %s", file, error->message);
                        continue;
                }
                if (!g_str_equal(stem, def->uuid)) {
                        log_warning("skipping %s: it defines secret %s", file, def->uuid);
                        continue;
                }
                if (def->ephemeral) {
                        log_warning("skipping %s: an ephemeral secret is never stored", file);
                        continue;
                }
                if (manager_find_by_usage(m, def->usage_type, def->usage_id)) {
                        log_warning("skipping %s: another secret has the same usage", file);
                        continue;
                }
                s = g_new0(Secret, 1);
                s->def = g_steal_pointer(&def);
                g_hash_table_insert(m->secrets, s->def->uuid, s);
                load_value(m, s);
        }
}
