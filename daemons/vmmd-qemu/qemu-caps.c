/* What an installed QEMU binary can do, probed once per binary and cached on disk. */
#include "qemu-caps.h"

#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "log.h"

extern char **environ;

#define PROBE_TIMEOUT_MS 10000
/* what a cache entry holds; older entries are probed again */
#define CACHE_FORMAT 2

static void qemu_machine_free(QemuMachine *m) {
        g_free(m->name);
        g_free(m->alias);
        g_free(m);
}

void qemu_caps_free(QemuCaps *caps) {
        if (!caps)
                return;
        g_free(caps->emulator);
        g_free(caps->arch);
        g_free(caps->version);
        g_free(caps->default_machine);
        g_clear_pointer(&caps->machines, g_ptr_array_unref);
        g_clear_pointer(&caps->cpu_models, g_hash_table_unref);
        g_clear_pointer(&caps->cpu_features, g_hash_table_unref);
        g_free(caps);
}

static QemuCaps *qemu_caps_new(const char *emulator) {
        QemuCaps *caps = g_new0(QemuCaps, 1);
        g_autofree char *base = g_path_get_basename(emulator);

        caps->emulator = g_strdup(emulator);
        caps->arch = g_strdup(g_str_has_prefix(base, "qemu-system-") ? base + strlen("qemu-system-") : "x86_64");
        caps->machines = g_ptr_array_new_with_free_func((GDestroyNotify) qemu_machine_free);
        return caps;
}

static void qemu_caps_add_machine(QemuCaps *caps, const char *name, const char *alias, bool is_default) {
        QemuMachine *m = g_new0(QemuMachine, 1);

        m->name = g_strdup(name);
        m->alias = alias && *alias ? g_strdup(alias) : NULL;
        g_ptr_array_add(caps->machines, m);
        if (is_default) {
                g_free(caps->default_machine);
                caps->default_machine = g_strdup(name);
        }
}

static GHashTable *name_set_new(void) {
        return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

bool qemu_caps_knows_cpu_model(const QemuCaps *caps, const char *model) {
        return !caps->cpu_models || g_hash_table_contains(caps->cpu_models, model);
}

bool qemu_caps_knows_cpu_feature(const QemuCaps *caps, const char *feature) {
        return !caps->cpu_features || g_hash_table_contains(caps->cpu_features, feature);
}

char *qemu_caps_find_emulator(const char *arch) {
        g_autofree char *bin = g_strdup_printf("qemu-system-%s", arch);
        g_autofree char *usr = g_build_filename("/usr/bin", bin, NULL);
        char *found;

        if (strchr(arch, '/'))
                return NULL;
        found = g_find_program_in_path(bin);
        if (found)
                return found;
        if (access(usr, X_OK) == 0)
                return g_steal_pointer(&usr);
        return NULL;
}

const char *qemu_caps_canonical_machine(const QemuCaps *caps, const char *machine) {
        for (guint i = 0; i < caps->machines->len; i++) {
                QemuMachine *m = g_ptr_array_index(caps->machines, i);
                if (m->alias && g_str_equal(m->alias, machine))
                        return m->name;
        }
        for (guint i = 0; i < caps->machines->len; i++) {
                QemuMachine *m = g_ptr_array_index(caps->machines, i);
                if (g_str_equal(m->name, machine))
                        return m->name;
        }
        return NULL;
}

/* Runs the QEMU with QMP on stdio, feeds it the commands, collects everything it says. */
static bool run_probe(const char *emulator, char **ret_output, GError **error) {
        static const char commands[] =
                "{\"execute\":\"qmp_capabilities\"}\n"
                "{\"execute\":\"query-machines\",\"id\":\"machines\"}\n"
                "{\"execute\":\"query-cpu-definitions\",\"id\":\"cpu-models\"}\n"
                /* a full expansion of 'max' lists every property -cpu takes; the boolean ones
                 * are the feature flags, under all their spellings (sse4.1, sse4_1, sse4-1) */
                "{\"execute\":\"query-cpu-model-expansion\",\"id\":\"cpu-features\","
                "\"arguments\":{\"type\":\"full\",\"model\":{\"name\":\"max\"}}}\n"
                "{\"execute\":\"quit\"}\n";
        const char *argv[] = { emulator, "-machine", "none", "-S", "-nodefaults", "-display", "none",
                               "-no-user-config", "-qmp", "stdio", NULL };
        g_autoptr(GString) out = g_string_new(NULL);
        posix_spawn_file_actions_t fa;
        int in_pipe[2], out_pipe[2], status;
        pid_t pid;
        int r;

        if (pipe2(in_pipe, O_CLOEXEC) < 0 || pipe2(out_pipe, O_CLOEXEC) < 0) {
                vmmd_error_set_errno(error, -errno, "cannot probe %s", emulator);
                return false;
        }
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, in_pipe[0], 0);
        posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        r = posix_spawn(&pid, emulator, &fa, NULL, (char **) argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(in_pipe[0]);
        close(out_pipe[1]);
        if (r != 0) {
                close(in_pipe[1]);
                close(out_pipe[0]);
                vmmd_error_set_errno(error, -r, "cannot run emulator %s", emulator);
                return false;
        }
        /* the commands fit in the pipe buffer: write them all, then read to EOF */
        (void) !write(in_pipe[1], commands, sizeof(commands) - 1);
        close(in_pipe[1]);
        for (;;) {
                struct pollfd p = { .fd = out_pipe[0], .events = POLLIN };
                char buf[4096];
                ssize_t n;

                r = poll(&p, 1, PROBE_TIMEOUT_MS);
                if (r == 0) {
                        kill(pid, SIGKILL);
                        break;
                }
                if (r < 0 && errno == EINTR)
                        continue;
                n = read(out_pipe[0], buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                g_string_append_len(out, buf, n);
        }
        close(out_pipe[0]);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR,
                            "cannot probe emulator %s: it did not answer QMP (exit status %d)", emulator, status);
                return false;
        }
        *ret_output = g_string_free(g_steal_pointer(&out), FALSE);
        return true;
}

static bool parse_probe(QemuCaps *caps, const char *output, GError **error) {
        g_auto(GStrv) lines = g_strsplit(output, "\n", -1);

        for (char **l = lines; *l; l++) {
                g_autoptr(JsonParser) parser = json_parser_new();
                JsonObject *obj;
                JsonNode *ret;
                const char *id;

                if (!**l || !json_parser_load_from_data(parser, *l, -1, NULL))
                        continue;
                if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser)))
                        continue;
                obj = json_node_get_object(json_parser_get_root(parser));
                if (json_object_has_member(obj, "QMP")) {
                        JsonObject *v = json_object_get_object_member(json_object_get_object_member(obj, "QMP"), "version");
                        JsonObject *q = v ? json_object_get_object_member(v, "qemu") : NULL;
                        if (q)
                                caps->version = g_strdup_printf("%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT,
                                                                json_object_get_int_member(q, "major"),
                                                                json_object_get_int_member(q, "minor"),
                                                                json_object_get_int_member(q, "micro"));
                        continue;
                }
                ret = json_object_get_member(obj, "return");
                id = json_object_get_string_member_with_default(obj, "id", "");
                /* an error answer (a QEMU without CPU models) leaves the set NULL: not checked */
                if (ret && g_str_equal(id, "cpu-features") && JSON_NODE_HOLDS_OBJECT(ret)) {
                        JsonObject *model = json_object_get_object_member(json_node_get_object(ret), "model");
                        JsonObject *props = model && json_object_has_member(model, "props")
                                                    ? json_object_get_object_member(model, "props")
                                                    : NULL;
                        g_autoptr(GList) names = props ? json_object_get_members(props) : NULL;

                        caps->cpu_features = name_set_new();
                        for (GList *n = names; n; n = n->next) {
                                JsonNode *v = json_object_get_member(props, n->data);
                                if (JSON_NODE_HOLDS_VALUE(v) && json_node_get_value_type(v) == G_TYPE_BOOLEAN)
                                        g_hash_table_add(caps->cpu_features, g_strdup(n->data));
                        }
                        continue;
                }
                if (!ret || !JSON_NODE_HOLDS_ARRAY(ret))
                        continue;
                JsonArray *arr = json_node_get_array(ret);
                if (g_str_equal(id, "cpu-models")) {
                        caps->cpu_models = name_set_new();
                        for (guint i = 0; i < json_array_get_length(arr); i++) {
                                JsonObject *m = json_array_get_object_element(arr, i);
                                if (m && json_object_has_member(m, "name"))
                                        g_hash_table_add(caps->cpu_models,
                                                         g_strdup(json_object_get_string_member(m, "name")));
                        }
                        continue;
                }
                if (!g_str_equal(id, "machines"))
                        continue;
                for (guint i = 0; i < json_array_get_length(arr); i++) {
                        JsonObject *m = json_array_get_object_element(arr, i);
                        if (!m || !json_object_has_member(m, "name"))
                                continue;
                        qemu_caps_add_machine(caps, json_object_get_string_member(m, "name"),
                                              json_object_get_string_member_with_default(m, "alias", NULL),
                                              json_object_get_boolean_member_with_default(m, "is-default", FALSE));
                }
        }
        if (caps->machines->len == 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR,
                            "cannot probe emulator %s: no machine types reported", caps->emulator);
                return false;
        }
        return true;
}

static int machine_cmp(gconstpointer a, gconstpointer b) {
        const QemuMachine *x = *(QemuMachine **) a, *y = *(QemuMachine **) b;
        return g_strcmp0(x->name, y->name);
}

static char *cache_file(const char *cache_dir) {
        return g_build_filename(cache_dir, "capabilities.ini", NULL);
}

static GHashTable *cache_load_set(GKeyFile *kf, const char *group, const char *key) {
        g_auto(GStrv) names = g_key_file_get_string_list(kf, group, key, NULL, NULL);
        GHashTable *set;

        if (!names)
                return NULL;
        set = name_set_new();
        for (char **n = names; *n; n++)
                if (**n)
                        g_hash_table_add(set, g_strdup(*n));
        return set;
}

static int str_ptr_cmp(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static void cache_store_set(GKeyFile *kf, const char *group, const char *key, GHashTable *set) {
        g_autofree const char **names = NULL;
        guint n;

        if (!set)
                return;
        names = (const char **) g_hash_table_get_keys_as_array(set, &n);
        qsort(names, n, sizeof(char *), str_ptr_cmp);
        g_key_file_set_string_list(kf, group, key, names, n);
}

static QemuCaps *cache_load(const char *emulator, const struct stat *st, const char *cache_dir) {
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autofree char *file = cache_file(cache_dir);
        g_autoptr(QemuCaps) caps = NULL;
        g_auto(GStrv) names = NULL, aliases = NULL;
        gsize n_names = 0, n_aliases = 0;
        g_autofree char *mtime = NULL;
        g_autofree char *want = g_strdup_printf("%lld.%09ld", (long long) st->st_mtim.tv_sec, st->st_mtim.tv_nsec);

        if (!g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, NULL))
                return NULL;
        mtime = g_key_file_get_string(kf, emulator, "mtime", NULL);
        if (!mtime || !g_str_equal(mtime, want))
                return NULL;
        if (g_key_file_get_integer(kf, emulator, "format", NULL) != CACHE_FORMAT)
                return NULL;
        names = g_key_file_get_string_list(kf, emulator, "machines", &n_names, NULL);
        aliases = g_key_file_get_string_list(kf, emulator, "aliases", &n_aliases, NULL);
        if (!names || n_names == 0 || n_names != n_aliases)
                return NULL;
        caps = qemu_caps_new(emulator);
        caps->version = g_key_file_get_string(kf, emulator, "version", NULL);
        caps->default_machine = g_key_file_get_string(kf, emulator, "default", NULL);
        for (gsize i = 0; i < n_names; i++)
                qemu_caps_add_machine(caps, names[i], aliases[i], false);
        caps->cpu_models = cache_load_set(kf, emulator, "cpu-models");
        caps->cpu_features = cache_load_set(kf, emulator, "cpu-features");
        return g_steal_pointer(&caps);
}

static void cache_store(const QemuCaps *caps, const struct stat *st, const char *cache_dir) {
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autofree char *file = cache_file(cache_dir);
        g_autofree char *data = NULL;
        g_autoptr(GPtrArray) names = g_ptr_array_new(), aliases = g_ptr_array_new();
        g_autofree char *mtime = g_strdup_printf("%lld.%09ld", (long long) st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
        gsize len;
        int r;

        (void) g_key_file_load_from_file(kf, file, G_KEY_FILE_NONE, NULL);
        g_key_file_remove_group(kf, caps->emulator, NULL);
        for (guint i = 0; i < caps->machines->len; i++) {
                QemuMachine *m = g_ptr_array_index(caps->machines, i);
                g_ptr_array_add(names, m->name);
                g_ptr_array_add(aliases, m->alias ? m->alias : "");
        }
        g_key_file_set_string(kf, caps->emulator, "mtime", mtime);
        g_key_file_set_integer(kf, caps->emulator, "format", CACHE_FORMAT);
        cache_store_set(kf, caps->emulator, "cpu-models", caps->cpu_models);
        cache_store_set(kf, caps->emulator, "cpu-features", caps->cpu_features);
        g_key_file_set_string(kf, caps->emulator, "version", caps->version ? caps->version : "");
        g_key_file_set_string(kf, caps->emulator, "default", caps->default_machine ? caps->default_machine : "");
        g_key_file_set_string_list(kf, caps->emulator, "machines", (const char *const *) names->pdata, names->len);
        g_key_file_set_string_list(kf, caps->emulator, "aliases", (const char *const *) aliases->pdata, aliases->len);
        data = g_key_file_to_data(kf, &len, NULL);
        r = vmmd_mkdir_p(cache_dir, 0755);
        if (r >= 0)
                r = vmmd_write_file_atomic(file, data, len, 0644);
        if (r < 0)
                log_warning("cannot cache capabilities in %s: %s", file, g_strerror(-r));
}

QemuCaps *qemu_caps_get(const char *emulator, const char *cache_dir, GError **error) {
        g_autoptr(QemuCaps) caps = NULL;
        g_autofree char *output = NULL;
        struct stat st;

        if (stat(emulator, &st) < 0) {
                vmmd_error_set_errno(error, -errno, "cannot find emulator '%s'", emulator);
                return NULL;
        }
        if (cache_dir) {
                caps = cache_load(emulator, &st, cache_dir);
                if (caps)
                        return g_steal_pointer(&caps);
        }
        if (!run_probe(emulator, &output, error))
                return NULL;
        caps = qemu_caps_new(emulator);
        if (!parse_probe(caps, output, error))
                return NULL;
        g_ptr_array_sort(caps->machines, machine_cmp);
        log_debug("probed %s: QEMU %s, default machine %s, %u machine types", emulator,
                  caps->version ? caps->version : "?", caps->default_machine ? caps->default_machine : "none",
                  caps->machines->len);
        if (cache_dir)
                cache_store(caps, &st, cache_dir);
        return g_steal_pointer(&caps);
}
