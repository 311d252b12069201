/* vmmd-qemu's model without a bus: what it tells its listener and in which order, its list filters, and undefine's refusals. */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "domain-events.h"
#include "error.h"
#include "fileio.h"
#include "manager.h"

#define UUID_A "7b0e2ea9-7b10-4b33-8f1c-0d6d2f6e2a01"
#define UUID_B "7b0e2ea9-7b10-4b33-8f1c-0d6d2f6e2a02"

typedef struct {
        char *root;
        Manager *m;
        GString *log;   /* one line per call the listener got */
} Fixture;

static void rec(Fixture *f, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void rec(Fixture *f, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        g_string_append_vprintf(f->log, fmt, ap);
        va_end(ap);
        g_string_append_c(f->log, '\n');
}

static void on_added(void *userdata, Domain *d) {
        rec(userdata, "added %s", domain_name(d));
}

static void on_removed(void *userdata, Domain *d) {
        rec(userdata, "removed %s", domain_name(d));
}

static void on_event(void *userdata, Domain *d, int event, int detail) {
        rec(userdata, "event %s %d %d", domain_name(d), event, detail);
}

static void on_changed(void *userdata, Domain *d, unsigned changes) {
        rec(userdata, "changed %s 0x%x", domain_name(d), changes);
}

static const DomainListener recorder = {
        .domain_added = on_added,
        .domain_removed = on_removed,
        .domain_event = on_event,
        .domain_changed = on_changed,
};

static void fixture_set_up(Fixture *f, gconstpointer data) {
        f->root = g_dir_make_tmp("vmmd-qemu-model-XXXXXX", NULL);
        g_assert_nonnull(f->root);
        f->m = manager_new(vmmd_paths_new("qemu", false, f->root));
        f->log = g_string_new(NULL);
        manager_set_listener(f->m, &recorder, f);
}

static void fixture_tear_down(Fixture *f, gconstpointer data) {
        manager_free(f->m);
        g_assert_cmpint(vmmd_rm_rf(f->root), ==, 0);
        g_free(f->root);
        g_string_free(f->log, TRUE);
}

static char *take_log(Fixture *f) {
        char *s = g_strdup(f->log->str);
        g_string_truncate(f->log, 0);
        return s;
}

static Domain *define(Fixture *f, const char *name, const char *uuid, unsigned memory_mib) {
        g_autofree char *xml = g_strdup_printf("<domain type='qemu'><name>%s</name><uuid>%s</uuid>"
                                               "<memory unit='MiB'>%u</memory><os><type>hvm</type></os></domain>",
                                               name, uuid, memory_mib);
        g_autoptr(GError) error = NULL;
        bool added = false;
        Domain *d = manager_define_xml(f->m, xml, 0, &added, &error);

        g_assert_no_error(error);
        g_assert_nonnull(d);
        return d;
}

static char *names_of(GPtrArray *list) {
        g_autoptr(GString) s = g_string_new(NULL);

        for (guint i = 0; i < list->len; i++)
                g_string_append_printf(s, "%s%s", i ? " " : "", domain_name(g_ptr_array_index(list, i)));
        return g_string_free(g_steal_pointer(&s), FALSE);
}

/* A.1, A35, B1: InterfacesAdded before DEFINED/ADDED; a redefinition is DEFINED/UPDATED; autostart is a
 * property change; undefine is UNDEFINED/REMOVED, then the object goes */
static void test_define_undefine(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *log = NULL;
        Domain *d = define(f, "a", UUID_A, 128);

        log = take_log(f);
        g_assert_cmpstr(log, ==, "added a\nevent a 0 0\n");
        g_assert_true(define(f, "a", UUID_A, 256) == d);
        g_free(log);
        log = take_log(f);
        g_assert_cmpstr(log, ==, "event a 0 1\n");

        g_assert_true(domain_set_autostart(d, true, &error));
        g_assert_true(domain_set_autostart(d, true, &error));   /* unchanged: nothing told */
        g_free(log);
        log = take_log(f);
        g_assert_cmpstr(log, ==, "changed a 0x20\n");   /* DOMAIN_CHANGED_AUTOSTART */

        g_assert_true(domain_undefine(d, 0, &error));
        g_assert_no_error(error);
        g_free(log);
        log = take_log(f);
        g_assert_cmpstr(log, ==, "event a 1 0\nremoved a\n");
        g_assert_null(manager_find_by_name(f->m, "a"));
}

/* B: a managed save image is never lost by an undefine that did not ask for it */
static void test_undefine_keeps_managed_save(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *save = NULL;
        g_autofree char *dir = NULL;
        g_autofree char *log = NULL;
        Domain *d = define(f, "a", UUID_A, 128);

        save = domain_managed_save_file(f->m, "a");
        dir = g_path_get_dirname(save);
        g_assert_cmpint(vmmd_mkdir_p(dir, 0700), ==, 0);
        g_assert_true(g_file_set_contents(save, "image", -1, NULL));
        g_free(take_log(f));

        g_assert_false(domain_undefine(d, 0, &error));
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID);
        log = take_log(f);
        g_assert_cmpstr(log, ==, "");
        g_assert_true(g_file_test(save, G_FILE_TEST_EXISTS));
        g_assert_true(manager_find_by_name(f->m, "a") == d);

        g_clear_error(&error);
        g_assert_true(domain_undefine(d, DOMAIN_UNDEFINE_MANAGED_SAVE, &error));
        g_assert_false(g_file_test(save, G_FILE_TEST_EXISTS));
}

/* spec 0.13: a pair filters when one bit is set; pairs are ANDed; sorted by name */
static void test_list_filters(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        Domain *b = define(f, "b", UUID_B, 128);
        struct {
                unsigned flags;
                const char *expect;
        } cases[] = {
                { 0, "a b" },
                { DOMAIN_LIST_INACTIVE, "a b" },
                { DOMAIN_LIST_ACTIVE, "" },
                { DOMAIN_LIST_ACTIVE | DOMAIN_LIST_INACTIVE, "a b" },
                { DOMAIN_LIST_AUTOSTART, "b" },
                { DOMAIN_LIST_NO_AUTOSTART, "a" },
                { DOMAIN_LIST_SHUTOFF | DOMAIN_LIST_PERSISTENT, "a b" },
                { DOMAIN_LIST_RUNNING, "" },
                { DOMAIN_LIST_TRANSIENT, "" },
                { DOMAIN_LIST_NO_SNAPSHOT | DOMAIN_LIST_NO_MANAGEDSAVE, "a b" },
        };

        define(f, "a", UUID_A, 128);
        g_assert_true(domain_set_autostart(b, true, &error));
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(GPtrArray) list = manager_list_domains(f->m, cases[i].flags);
                g_autofree char *names = names_of(list);
                g_assert_cmpstr(names, ==, cases[i].expect);
        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
        ADD("/qemu-model/define-undefine", test_define_undefine);
        ADD("/qemu-model/undefine-keeps-managed-save", test_undefine_keeps_managed_save);
        ADD("/qemu-model/list-filters", test_list_filters);
        return g_test_run();
}
