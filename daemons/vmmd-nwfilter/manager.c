/* The vmmd-nwfilter model: filters and bindings on disk, and the jobs that change them, one nft transaction each (spec §5–§8). */
#include "manager.h"
#include "cleanup.h"
#include "error.h"
#include "fileio.h"
#include "log.h"
#include "vmmd/nwfilter1.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#define NFT_TIMEOUT_USEC (30 * G_USEC_PER_SEC)
/* names of shipped filters installed once; one undefined by the admin does not come back */
#define SHIPPED_MARKER ".shipped"

const char *binding_state_to_string(BindingState s) {
        static const char *const names[] = { "active", "no-device", "learning", "failed" };
        return (unsigned) s < G_N_ELEMENTS(names) ? names[s] : "failed";
}

typedef enum { JOB_REBUILD, JOB_DEFINE, JOB_UNDEFINE, JOB_CREATE, JOB_DELETE } JobKind;

/* The new rules of one binding a job will apply. */
typedef struct {
        PortRules *rules;      /* NULL: nothing in the table */
        BindingState state;
} Change;

struct Job {
        JobKind kind;
        char *text;            /* the XML, or the name / portdev */
        unsigned flags;
        ManagerDoneFunc done;
        void *userdata;
        bool retried;          /* rendered again without bridge reject */
        bool ct_refused;       /* a rebuild rendered again with conntrack ports failed closed */
        NWFilterDef *new_def;
        NWFilterBindingDef *new_binding;
        GHashTable *changes;   /* portdev → Change* */
        bool uses_conntrack;
        char *script;          /* NULL: nothing for nft to do */
};

static void change_free(Change *c) {
        port_rules_free(c->rules);
        g_free(c);
}

static void job_reset(Job *j) {
        g_clear_pointer(&j->new_def, nwfilter_def_free);
        g_clear_pointer(&j->new_binding, nwfilter_binding_def_free);
        g_clear_pointer(&j->script, g_free);
        g_hash_table_remove_all(j->changes);
        j->uses_conntrack = false;
}

static void job_free(Job *j) {
        if (!j)
                return;
        job_reset(j);
        g_hash_table_unref(j->changes);
        g_free(j->text);
        g_free(j);
}

static void filter_free(NWFilter *f) {
        nwfilter_def_free(f->def);
        g_free(f);
}

static void binding_free(Binding *b) {
        nwfilter_binding_def_free(b->def);
        port_rules_free(b->applied);
        g_free(b);
}

Manager *manager_new(VmmdPaths *paths, sd_event *event, const char *shipped_dir) {
        Manager *m = g_new0(Manager, 1);

        m->paths = paths;
        m->event = sd_event_ref(event);
        m->shipped_dir = g_strdup(shipped_dir);
        m->binding_dir = g_build_filename(paths->run_dir, "binding", NULL);
        m->filters = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) filter_free);
        m->bindings = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) binding_free);
        m->bridge_reject = true;
        m->jobs = g_queue_new();
        /* the system layout (also relocated under a root) ends in etc/vmmd/nwfilter; the
         * per-user one is XDG's */
        m->session = !g_str_has_suffix(paths->config_dir, "/etc/vmmd/nwfilter");
        return m;
}

void manager_free(Manager *m) {
        if (!m)
                return;
        vmmd_process_free(m->nft);
        job_free(m->current);
        g_queue_free_full(m->jobs, (GDestroyNotify) job_free);
        g_hash_table_unref(m->filters);
        g_hash_table_unref(m->bindings);
        g_free(m->shipped_dir);
        g_free(m->binding_dir);
        sd_event_unref(m->event);
        vmmd_paths_free(m->paths);
        g_free(m);
}

void manager_set_listener(Manager *m, const NWFilterListener *listener, void *userdata) {
        m->listener = listener;
        m->listener_data = userdata;
}

#define NOTIFY(m, fn, ...)                                                       \
        do {                                                                     \
                if ((m)->listener && (m)->listener->fn)                          \
                        (m)->listener->fn((m)->listener_data, __VA_ARGS__);      \
        } while (0)

/* --- lookups --- */

NWFilter *manager_find_filter(Manager *m, const char *name) {
        return g_hash_table_lookup(m->filters, name);
}

NWFilter *manager_find_filter_by_uuid(Manager *m, const char *uuid) {
        GHashTableIter it;
        NWFilter *f;

        g_hash_table_iter_init(&it, m->filters);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &f))
                if (strcmp(f->def->uuid, uuid) == 0)
                        return f;
        return NULL;
}

Binding *manager_find_binding(Manager *m, const char *portdev) {
        return g_hash_table_lookup(m->bindings, portdev);
}

static int cmp_filter(gconstpointer a, gconstpointer b) {
        return strcmp((*(NWFilter *const *) a)->def->name, (*(NWFilter *const *) b)->def->name);
}

static int cmp_binding(gconstpointer a, gconstpointer b) {
        return strcmp((*(Binding *const *) a)->def->portdev, (*(Binding *const *) b)->def->portdev);
}

static GPtrArray *sorted_values(GHashTable *t, GCompareFunc cmp) {
        GPtrArray *a = g_ptr_array_new();
        GHashTableIter it;
        gpointer v;

        g_hash_table_iter_init(&it, t);
        while (g_hash_table_iter_next(&it, NULL, &v))
                g_ptr_array_add(a, v);
        g_ptr_array_sort(a, cmp);
        return a;
}

GPtrArray *manager_list_filters(Manager *m) {
        return sorted_values(m->filters, cmp_filter);
}

GPtrArray *manager_list_bindings(Manager *m) {
        return sorted_values(m->bindings, cmp_binding);
}

bool manager_is_busy(Manager *m) {
        return m->current || !g_queue_is_empty(m->jobs);
}

/* The filters as a job sees them: its new definition in place of the defined one. */
typedef struct {
        Manager *m;
        const NWFilterDef *overlay;
} View;

static const NWFilterDef *view_lookup(void *userdata, const char *name) {
        const View *v = userdata;
        NWFilter *f;

        if (v->overlay && strcmp(v->overlay->name, name) == 0)
                return v->overlay;
        f = g_hash_table_lookup(v->m->filters, name);
        return f ? f->def : NULL;
}

/* True when following filterrefs from `from` reaches `target` (missing filters end a path). */
static bool reaches(const View *v, const char *from, const char *target, GHashTable *seen) {
        const NWFilterDef *def;

        if (strcmp(from, target) == 0)
                return true;
        if (!g_hash_table_add(seen, (gpointer) from))
                return false;
        def = view_lookup((void *) v, from);
        for (guint i = 0; def && i < def->entries->len; i++) {
                const NWFilterEntry *e = g_ptr_array_index(def->entries, i);

                if (e->ref && reaches(v, e->ref->filter, target, seen))
                        return true;
        }
        return false;
}

static bool binding_uses(const View *v, const Binding *b, const char *name) {
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
        return reaches(v, b->def->filter->filter, name, seen);
}

static bool device_exists(const char *portdev) {
        return if_nametoindex(portdev) != 0;
}

/* --- files --- */

static char *filter_file(Manager *m, const char *name) {
        g_autofree char *base = g_strconcat(name, ".xml", NULL);
        return g_build_filename(m->paths->config_dir, base, NULL);
}

static char *binding_file(Manager *m, const char *portdev) {
        g_autofree char *base = g_strconcat(portdev, ".xml", NULL);
        return g_build_filename(m->binding_dir, base, NULL);
}

static bool write_file(const char *dir, const char *file, const char *text, const char *what, GError **error) {
        int r = vmmd_mkdir_p(dir, 0700);

        if (r >= 0)
                r = vmmd_write_file_atomic(file, text, strlen(text), 0600);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot write %s %s", what, file);
                return false;
        }
        return true;
}

static bool remove_file(const char *file, GError **error) {
        if (unlink(file) < 0 && errno != ENOENT) {
                vmmd_error_set_errno(error, -errno, "cannot remove %s", file);
                return false;
        }
        return true;
}

/* --- loading (W14 1–2, §5, §9) --- */

static NWFilterDef *read_filter(const char *file, GError **error) {
        g_autofree char *xml = NULL;
        int r = vmmd_read_file(file, &xml, NULL);

        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot read %s", file);
                return NULL;
        }
        return nwfilter_def_parse_string(xml, 0, error);
}

/* Copies each shipped filter the config directory has never had into it, with a new uuid. */
static void install_shipped(Manager *m) {
        g_autofree char *marker = g_build_filename(m->paths->config_dir, SHIPPED_MARKER, NULL);
        g_autofree char *installed = NULL;
        g_autoptr(GString) names = NULL;
        g_autoptr(GDir) d = NULL;
        g_auto(GStrv) done = NULL;
        const char *e;
        bool changed = false;

        if (!m->shipped_dir || !(d = g_dir_open(m->shipped_dir, 0, NULL)))
                return;
        (void) vmmd_read_file(marker, &installed, NULL);
        names = g_string_new(installed);
        done = g_strsplit(installed ? installed : "", "\n", -1);
        while ((e = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(m->shipped_dir, e, NULL);
                g_autofree char *target = NULL, *xml = NULL;
                g_autoptr(GError) error = NULL;
                g_autoptr(NWFilterDef) def = NULL;

                if (!g_str_has_suffix(e, ".xml"))
                        continue;
                def = read_filter(path, &error);
                if (!def) {
                        log_warning("skipping shipped filter %s: %s", path, error->message);
                        continue;
                }
                if (g_strv_contains((const char *const *) done, def->name))
                        continue;
                target = filter_file(m, def->name);
                if (!g_file_test(target, G_FILE_TEST_EXISTS)) {
                        xml = nwfilter_def_format(def);
                        if (!write_file(m->paths->config_dir, target, xml, "filter definition", &error)) {
                                log_warning("%s", error->message);
                                continue;
                        }
                }
                g_string_append_printf(names, "%s\n", def->name);
                changed = true;
        }
        if (changed && vmmd_write_file_atomic(marker, names->str, names->len, 0600) < 0)
                log_warning("cannot write %s", marker);
}

static void load_filters(Manager *m) {
        g_autoptr(GDir) d = g_dir_open(m->paths->config_dir, 0, NULL);
        const char *e;

        while (d && (e = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(m->paths->config_dir, e, NULL);
                g_autofree char *stem = NULL;
                g_autoptr(GError) error = NULL;
                g_autoptr(NWFilterDef) def = NULL;
                NWFilter *f;

                if (!g_str_has_suffix(e, ".xml") || e[0] == '.')
                        continue;
                stem = g_strndup(e, strlen(e) - 4);
                def = read_filter(path, &error);
                if (!def) {
                        log_warning("skipping filter definition %s: %s", path, error->message);
                        continue;
                }
                if (strcmp(def->name, stem) != 0) {
                        log_warning("skipping %s: it defines filter '%s'", path, def->name);
                        continue;
                }
                if (manager_find_filter_by_uuid(m, def->uuid)) {
                        log_warning("skipping %s: its uuid %s is taken", path, def->uuid);
                        continue;
                }
                f = g_new0(NWFilter, 1);
                f->def = g_steal_pointer(&def);
                g_hash_table_insert(m->filters, f->def->name, f);
        }
}

static void load_bindings(Manager *m) {
        g_autoptr(GDir) d = g_dir_open(m->binding_dir, 0, NULL);
        const char *e;

        while (d && (e = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(m->binding_dir, e, NULL);
                g_autofree char *xml = NULL;
                g_autoptr(GError) error = NULL;
                NWFilterBindingDef *def;
                Binding *b;

                if (!g_str_has_suffix(e, ".xml") || e[0] == '.')
                        continue;
                if (vmmd_read_file(path, &xml, NULL) < 0 ||
                    !(def = nwfilter_binding_def_parse_string(xml, 0, &error))) {
                        log_warning("skipping binding %s: %s", path, error ? error->message : "unreadable");
                        continue;
                }
                b = g_new0(Binding, 1);
                b->def = def;
                b->state = BINDING_NO_DEVICE;
                g_hash_table_insert(m->bindings, b->def->portdev, b);
        }
}

void manager_load(Manager *m) {
        int r;

        if (m->session)
                return;
        r = vmmd_mkdir_p(m->paths->config_dir, 0700);

        if (r < 0)
                log_warning("cannot create %s: %s", m->paths->config_dir, g_strerror(-r));
        (void) vmmd_remove_stale_temp_files(m->paths->config_dir);
        (void) vmmd_remove_stale_temp_files(m->binding_dir);
        install_shipped(m);
        load_filters(m);
        load_bindings(m);
}

/* --- preparing a job: the new state and the one nft script that makes it real --- */

static void add_change(Job *j, const char *portdev, PortRules *rules, BindingState state) {
        Change *c = g_new0(Change, 1);

        c->rules = rules;
        c->state = state;
        if (rules && rules->uses_conntrack)
                j->uses_conntrack = true;
        g_hash_table_replace(j->changes, (gpointer) portdev, c);
}

static BindingState state_of(const PortRules *p) {
        switch (p->kind) {
        case PORT_RULES_LEARNING:
                return BINDING_LEARNING;
        case PORT_RULES_FAILED:
                return BINDING_FAILED;
        default:
                return BINDING_ACTIVE;
        }
}

static int cmp_str(gconstpointer a, gconstpointer b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The script that turns each changed binding's old rules into its new ones, sorted by port
 * so the same change always makes the same script. */
static char *changes_script(Manager *m, Job *j) {
        g_autoptr(GString) s = g_string_new(NULL);

        if (!m->table_ready) {
                /* the first rules since the start: the whole table, with every port's new rules */
                g_autoptr(GPtrArray) list = manager_list_bindings(m);
                g_autoptr(GPtrArray) ports = g_ptr_array_new();
                GHashTableIter it;
                const char *portdev;
                Change *c;

                for (guint i = 0; i < list->len; i++) {
                        Binding *b = g_ptr_array_index(list, i);
                        Change *bc = g_hash_table_lookup(j->changes, b->def->portdev);
                        PortRules *p = bc ? bc->rules : b->applied;

                        if (p)
                                g_ptr_array_add(ports, p);
                }
                g_hash_table_iter_init(&it, j->changes);
                while (g_hash_table_iter_next(&it, (gpointer *) &portdev, (gpointer *) &c))
                        if (!manager_find_binding(m, portdev) && c->rules)
                                g_ptr_array_add(ports, c->rules);
                return ports->len ? nwfilter_render_table(ports) : NULL;
        }
        g_autoptr(GPtrArray) ports = g_ptr_array_new();
        GHashTableIter it;
        gpointer key;

        g_hash_table_iter_init(&it, j->changes);
        while (g_hash_table_iter_next(&it, &key, NULL))
                g_ptr_array_add(ports, key);

        g_ptr_array_sort(ports, cmp_str);
        for (guint i = 0; i < ports->len; i++) {
                const char *portdev = g_ptr_array_index(ports, i);
                Binding *b = manager_find_binding(m, portdev);
                Change *c = g_hash_table_lookup(j->changes, portdev);

                if (b && b->applied && c->rules)
                        port_rules_append_change(s, b->applied, c->rules);
                else if (b && b->applied)
                        port_rules_append_remove(s, b->applied);
                else if (c->rules)
                        port_rules_append_add(s, c->rules);
        }
        return s->len ? g_string_free(g_steal_pointer(&s), FALSE) : NULL;
}

static RenderOptions render_options(Manager *m) {
        RenderOptions o = { .bridge_reject = m->bridge_reject };
        return o;
}

static bool prepare_define(Manager *m, Job *j, GError **error) {
        unsigned pflags = (j->flags & NWFILTER_DEFINE_VALIDATE) ? NWFILTER_DEF_PARSE_VALIDATE : 0;
        g_autoptr(NWFilterDef) def = NULL;
        NWFilter *old, *same_uuid;
        View view = { m, NULL };
        RenderOptions opts = render_options(m);
        GHashTableIter it;
        Binding *b;

        if (m->session) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID, "Can't define NWFilters in session mode");
                return false;
        }
        if (j->flags & ~(unsigned) NWFILTER_DEFINE_VALIDATE) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "NWFilterDefineXML: unsupported flags (0x%x)",
                            j->flags & ~(unsigned) NWFILTER_DEFINE_VALIDATE);
                return false;
        }
        def = nwfilter_def_parse_string(j->text, pflags, error);
        if (!def)
                return false;
        if (!vmmd_is_plain_child_name(def->name) || def->name[0] == '.') {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR, "filter name '%s' cannot name a file", def->name);
                return false;
        }
        same_uuid = manager_find_filter_by_uuid(m, def->uuid);
        if (same_uuid && strcmp(same_uuid->def->name, def->name) != 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                            "filter with same UUID but different name ('%s') already exists", same_uuid->def->name);
                return false;
        }
        old = manager_find_filter(m, def->name);
        if (old && strcmp(old->def->uuid, def->uuid) != 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "filter '%s' already exists with uuid %s",
                            def->name, old->def->uuid);
                return false;
        }
        view.overlay = def;
        /* W4: a reference path from the new definition back to itself */
        for (guint i = 0; i < def->entries->len; i++) {
                const NWFilterEntry *e = g_ptr_array_index(def->entries, i);
                g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

                if (e->ref && reaches(&view, e->ref->filter, def->name, seen)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                    "filter would introduce a loop (through '%s')", e->ref->filter);
                        return false;
                }
        }
        j->new_def = g_steal_pointer(&def);
        if (old) {
                g_autofree char *a = nwfilter_def_format(old->def);
                g_autofree char *b2 = nwfilter_def_format(j->new_def);

                /* W5: the same content re-applies nothing */
                if (strcmp(a, b2) == 0)
                        return true;
        }
        /* W6: every binding that reaches the filter, rendered from the new definition */
        g_hash_table_iter_init(&it, m->bindings);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &b)) {
                g_autoptr(PortRules) p = NULL;
                g_autofree char *old_text = NULL, *new_text = NULL;

                if (!binding_uses(&view, b, j->new_def->name))
                        continue;
                if (!device_exists(b->def->portdev)) {
                        if (b->applied || b->state != BINDING_NO_DEVICE)
                                add_change(j, b->def->portdev, NULL, BINDING_NO_DEVICE);
                        continue;
                }
                p = nwfilter_render_port(b->def, view_lookup, &view, &opts, error);
                if (!p) {
                        g_prefix_error(error, "binding '%s': ", b->def->portdev);
                        return false;
                }
                old_text = b->applied ? port_rules_to_string(b->applied) : NULL;
                new_text = port_rules_to_string(p);
                if (g_strcmp0(old_text, new_text) == 0 && b->state == state_of(p))
                        continue;
                add_change(j, b->def->portdev, g_steal_pointer(&p), state_of(p));
        }
        j->script = changes_script(m, j);
        return true;
}

static bool prepare_undefine(Manager *m, Job *j, GError **error) {
        NWFilter *f = manager_find_filter(m, j->text);
        View view = { m, NULL };
        GHashTableIter it;
        Binding *b;

        if (!f) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_NWFILTER, "no nwfilter with matching name '%s'", j->text);
                return false;
        }
        g_hash_table_iter_init(&it, m->bindings);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &b))
                if (binding_uses(&view, b, f->def->name)) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                                    "nwfilter is in use (by the binding of port '%s')", b->def->portdev);
                        return false;
                }
        return true;
}

static bool prepare_create(Manager *m, Job *j, GError **error) {
        unsigned pflags = (j->flags & NWFILTER_BINDING_CREATE_VALIDATE) ? NWFILTER_BINDING_PARSE_VALIDATE : 0;
        View view = { m, NULL };
        RenderOptions opts = render_options(m);
        PortRules *p;

        if (m->session) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID,
                            "Can't define NWFilter bindings in session mode");
                return false;
        }
        if (j->flags & ~(unsigned) NWFILTER_BINDING_CREATE_VALIDATE) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG,
                            "NWFilterBindingCreateXML: unsupported flags (0x%x)",
                            j->flags & ~(unsigned) NWFILTER_BINDING_CREATE_VALIDATE);
                return false;
        }
        j->new_binding = nwfilter_binding_def_parse_string(j->text, pflags, error);
        if (!j->new_binding)
                return false;
        if (manager_find_binding(m, j->new_binding->portdev)) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED, "binding '%s' already exists",
                            j->new_binding->portdev);
                return false;
        }
        /* W9 3: the tree and its variables are checked even when the port is not there yet */
        p = nwfilter_render_port(j->new_binding, view_lookup, &view, &opts, error);
        if (!p)
                return false;
        if (!device_exists(j->new_binding->portdev)) {
                port_rules_free(p);
                add_change(j, j->new_binding->portdev, NULL, BINDING_NO_DEVICE);
                return true;
        }
        add_change(j, j->new_binding->portdev, p, state_of(p));
        j->script = changes_script(m, j);
        return true;
}

static bool prepare_delete(Manager *m, Job *j, GError **error) {
        Binding *b = manager_find_binding(m, j->text);

        if (!b) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_NO_NWFILTER_BINDING, "no nwfilter binding for port dev '%s'",
                            j->text);
                return false;
        }
        if (b->applied) {
                g_autoptr(GString) s = g_string_new(NULL);

                port_rules_append_remove(s, b->applied);
                j->script = g_string_free(g_steal_pointer(&s), FALSE);
        }
        return true;
}

/* W14: every binding rendered afresh into a new table; what cannot be rendered fails closed. */
static bool prepare_rebuild(Manager *m, Job *j, GError **error) {
        g_autoptr(GPtrArray) list = manager_list_bindings(m);
        g_autoptr(GPtrArray) ports = g_ptr_array_new();
        View view = { m, NULL };
        RenderOptions opts = render_options(m);

        for (guint i = 0; i < list->len; i++) {
                Binding *b = g_ptr_array_index(list, i);
                g_autoptr(GError) err = NULL;
                PortRules *p;

                if (!device_exists(b->def->portdev)) {
                        add_change(j, b->def->portdev, NULL, BINDING_NO_DEVICE);
                        continue;
                }
                p = nwfilter_render_port(b->def, view_lookup, &view, &opts, &err);
                /* a second try after the whole table failed: ports needing conntrack fail closed */
                if (p && j->ct_refused && p->uses_conntrack) {
                        log_error("binding '%s' needs bridge connection tracking (nf_conntrack_bridge), which this "
                                  "kernel refused: its port drops everything", b->def->portdev);
                        g_clear_pointer(&p, port_rules_free);
                        p = nwfilter_render_failed(b->def->portdev);
                }
                if (!p) {
                        log_error("binding '%s' cannot be rendered (%s): its port drops everything",
                                  b->def->portdev, err->message);
                        p = nwfilter_render_failed(b->def->portdev);
                }
                g_ptr_array_add(ports, p);
                add_change(j, b->def->portdev, p, state_of(p));
        }
        /* nothing to apply: the host's nftables stay untouched until the first binding */
        j->script = ports->len ? nwfilter_render_table(ports) : NULL;
        return true;
}

static bool prepare(Manager *m, Job *j, GError **error) {
        job_reset(j);
        switch (j->kind) {
        case JOB_REBUILD:
                return prepare_rebuild(m, j, error);
        case JOB_DEFINE:
                return prepare_define(m, j, error);
        case JOB_UNDEFINE:
                return prepare_undefine(m, j, error);
        case JOB_CREATE:
                return prepare_create(m, j, error);
        case JOB_DELETE:
                return prepare_delete(m, j, error);
        }
        return false;
}

/* --- committing a job: the table has changed (or nothing had to) --- */

static void apply_changes(Manager *m, Job *j) {
        GHashTableIter it;
        const char *portdev;
        Change *c;

        g_hash_table_iter_init(&it, j->changes);
        while (g_hash_table_iter_next(&it, (gpointer *) &portdev, (gpointer *) &c)) {
                Binding *b = manager_find_binding(m, portdev);
                bool state_changed;

                if (!b)
                        continue;
                state_changed = b->state != c->state;
                port_rules_free(b->applied);
                b->applied = g_steal_pointer(&c->rules);
                b->state = c->state;
                if (state_changed)
                        NOTIFY(m, binding_state_changed, b);
        }
}

static void *commit(Manager *m, Job *j, GError **error) {
        switch (j->kind) {
        case JOB_REBUILD:
                apply_changes(m, j);
                return NULL;
        case JOB_DEFINE: {
                g_autofree char *file = filter_file(m, j->new_def->name);
                g_autofree char *xml = nwfilter_def_format(j->new_def);
                NWFilter *f = manager_find_filter(m, j->new_def->name);
                bool added = !f;

                if (!write_file(m->paths->config_dir, file, xml, "filter definition", error))
                        return NULL;
                if (!f) {
                        f = g_new0(NWFilter, 1);
                        f->def = g_steal_pointer(&j->new_def);
                        g_hash_table_insert(m->filters, f->def->name, f);
                } else {
                        NWFilterDef *old = f->def;

                        f->def = g_steal_pointer(&j->new_def);
                        /* the key is the name, which did not change; re-key to the live string */
                        g_hash_table_steal(m->filters, old->name);
                        g_hash_table_insert(m->filters, f->def->name, f);
                        nwfilter_def_free(old);
                }
                apply_changes(m, j);
                if (added)
                        NOTIFY(m, filter_added, f);
                NOTIFY(m, filter_event, f, NWFILTER_EVENT_DEFINED);
                return f;
        }
        case JOB_UNDEFINE: {
                NWFilter *f = manager_find_filter(m, j->text);
                g_autofree char *file = filter_file(m, f->def->name);

                if (!remove_file(file, error))
                        return NULL;
                NOTIFY(m, filter_event, f, NWFILTER_EVENT_UNDEFINED);
                NOTIFY(m, filter_removed, f);
                g_hash_table_remove(m->filters, f->def->name);
                return NULL;
        }
        case JOB_CREATE: {
                g_autofree char *file = binding_file(m, j->new_binding->portdev);
                g_autofree char *xml = nwfilter_binding_def_format(j->new_binding);
                Change *c = g_hash_table_lookup(j->changes, j->new_binding->portdev);
                Binding *b;

                if (!write_file(m->binding_dir, file, xml, "binding", error))
                        return NULL;
                b = g_new0(Binding, 1);
                b->def = g_steal_pointer(&j->new_binding);
                b->applied = g_steal_pointer(&c->rules);
                b->state = c->state;
                g_hash_table_insert(m->bindings, b->def->portdev, b);
                NOTIFY(m, binding_added, b);
                NOTIFY(m, binding_event, b, NWFILTER_BINDING_EVENT_CREATED);
                return b;
        }
        case JOB_DELETE: {
                Binding *b = manager_find_binding(m, j->text);
                g_autofree char *file = binding_file(m, b->def->portdev);

                /* the rules are gone already; a file left behind would bring them back at the
                 * next start, so a failure here is reported */
                g_clear_pointer(&b->applied, port_rules_free);
                if (!remove_file(file, error))
                        return NULL;
                NOTIFY(m, binding_event, b, NWFILTER_BINDING_EVENT_DELETED);
                NOTIFY(m, binding_removed, b);
                g_hash_table_remove(m->bindings, b->def->portdev);
                return NULL;
        }
        }
        return NULL;
}

/* --- running jobs --- */

static void run_next(Manager *m);

static void finish(Manager *m, Job *j, void *object, const GError *error) {
        if (j->done)
                j->done(j->userdata, object, error);
        else if (error)
                log_error("%s", error->message);
        if (m->current == j)
                m->current = NULL;
        job_free(j);
}

static void complete(Manager *m, Job *j) {
        g_autoptr(GError) error = NULL;
        void *object = commit(m, j, &error);

        finish(m, j, object, error);
}

static bool start_nft(Manager *m, Job *j, GError **error);

static void on_nft_done(VmmdProcess *p, int exit_code, const char *out, const char *err, void *userdata) {
        Manager *m = userdata;
        Job *j = m->current;
        g_autoptr(GError) error = NULL;

        /* err lives in the process, which goes now */
        g_autofree char *msg = g_strstrip(g_strdup(err && *err ? err : "no message"));

        vmmd_process_free(m->nft);
        m->nft = NULL;
        if (exit_code == 0) {
                m->table_ready = true;
                complete(m, j);
                run_next(m);
                return;
        }
        if (!j->retried && m->bridge_reject && strstr(j->script, " reject\n")) {
                /* W20: this kernel has no bridge reject; from now on reject renders as drop */
                log_warning("nft refused a bridge reject rule (%s): reject rules become drop rules from now on", msg);
                m->bridge_reject = false;
                j->retried = true;
        } else if (!j->ct_refused && j->kind == JOB_REBUILD && j->uses_conntrack) {
                log_error("nft refused the rebuilt table: %s", msg);
                j->ct_refused = true;
        } else {
                if (exit_code == -ETIMEDOUT)
                        g_set_error(&error, VMMD_ERROR, VMMD_ERROR_BUILD_FIREWALL, "nft did not answer in time");
                else if (j->uses_conntrack)
                        g_set_error(&error, VMMD_ERROR, VMMD_ERROR_BUILD_FIREWALL,
                                    "the rules need bridge connection tracking (nf_conntrack_bridge) for their "
                                    "state matching, which this kernel does not offer; nothing was applied: %s", msg);
                else
                        g_set_error(&error, VMMD_ERROR, VMMD_ERROR_BUILD_FIREWALL,
                                    "nft refused the rules; nothing was applied: %s", msg);
                finish(m, j, NULL, error);
                run_next(m);
                return;
        }
        /* render again with what we learned and try once more */
        if (!prepare(m, j, &error)) {
                finish(m, j, NULL, error);
                run_next(m);
                return;
        }
        if (!j->script) {
                complete(m, j);
                run_next(m);
                return;
        }
        if (!start_nft(m, j, &error)) {
                finish(m, j, NULL, error);
                run_next(m);
        }
}

static bool start_nft(Manager *m, Job *j, GError **error) {
        g_autofree char *file = g_build_filename(m->paths->run_dir, "transaction.nft", NULL);
        const char *argv[] = { "nft", "-f", file, NULL };
        int r;

        /* the script stays on disk after the run: what the last transaction was, for an admin */
        if (!write_file(m->paths->run_dir, file, j->script, "nft script", error))
                return false;
        r = vmmd_process_run(m->event, argv, NFT_TIMEOUT_USEC, on_nft_done, m, &m->nft);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot run nft");
                return false;
        }
        return true;
}

static void run_next(Manager *m) {
        while (!m->current && !g_queue_is_empty(m->jobs)) {
                Job *j = g_queue_pop_head(m->jobs);
                g_autoptr(GError) error = NULL;

                m->current = j;
                if (!prepare(m, j, &error)) {
                        finish(m, j, NULL, error);
                        continue;
                }
                if (!j->script) {
                        complete(m, j);
                        continue;
                }
                if (!start_nft(m, j, &error))
                        finish(m, j, NULL, error);
        }
}

static void submit(Manager *m, JobKind kind, const char *text, unsigned flags, ManagerDoneFunc done, void *userdata) {
        Job *j = g_new0(Job, 1);

        j->kind = kind;
        j->text = g_strdup(text);
        j->flags = flags;
        j->done = done;
        j->userdata = userdata;
        j->changes = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify) change_free);
        g_queue_push_tail(m->jobs, j);
        run_next(m);
}

void manager_start(Manager *m) {
        submit(m, JOB_REBUILD, NULL, 0, NULL, NULL);
}

void manager_define(Manager *m, const char *xml, unsigned flags, ManagerDoneFunc done, void *userdata) {
        submit(m, JOB_DEFINE, xml, flags, done, userdata);
}

void manager_undefine(Manager *m, const char *name, ManagerDoneFunc done, void *userdata) {
        submit(m, JOB_UNDEFINE, name, 0, done, userdata);
}

void manager_binding_create(Manager *m, const char *xml, unsigned flags, ManagerDoneFunc done, void *userdata) {
        submit(m, JOB_CREATE, xml, flags, done, userdata);
}

void manager_binding_delete(Manager *m, const char *portdev, ManagerDoneFunc done, void *userdata) {
        submit(m, JOB_DELETE, portdev, 0, done, userdata);
}
