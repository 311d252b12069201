/* vmmd-storage's model without a bus: what it tells its listener, in which order, and its list filters and undefine rules. */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "manager.h"
#include "volume.h"

#define UUID_A "6a0e2ea9-7b10-4b33-8f1c-0d6d2f6e2a01"
#define UUID_B "6a0e2ea9-7b10-4b33-8f1c-0d6d2f6e2a02"

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

static void on_pool_added(void *userdata, Pool *p) {
        rec(userdata, "added %s", pool_name(p));
}

static void on_pool_removed(void *userdata, Pool *p) {
        rec(userdata, "removed %s", pool_name(p));
}

static void on_pool_event(void *userdata, Pool *p, int event) {
        rec(userdata, "event %s %d", pool_name(p), event);
}

static void on_pool_changed(void *userdata, Pool *p, unsigned changes) {
        rec(userdata, "changed %s 0x%x", pool_name(p), changes);
}

static void on_pool_refresh(void *userdata, Pool *p) {
        rec(userdata, "refresh %s", pool_name(p));
}

static void on_volume_added(void *userdata, Volume *v) {
        rec(userdata, "volume-added %s", volume_name(v));
}

static void on_volume_removed(void *userdata, Volume *v) {
        rec(userdata, "volume-removed %s", volume_name(v));
}

static const StorageListener recorder = {
        .pool_added = on_pool_added,
        .pool_removed = on_pool_removed,
        .pool_event = on_pool_event,
        .pool_changed = on_pool_changed,
        .pool_refresh = on_pool_refresh,
        .volume_added = on_volume_added,
        .volume_removed = on_volume_removed,
};

static void fixture_set_up(Fixture *f, gconstpointer data) {
        f->root = g_dir_make_tmp("vmmd-storage-model-XXXXXX", NULL);
        g_assert_nonnull(f->root);
        f->m = manager_new(vmmd_paths_new("storage", false, f->root));
        f->log = g_string_new(NULL);
        manager_set_listener(f->m, &recorder, f);
}

static void fixture_tear_down(Fixture *f, gconstpointer data) {
        manager_free(f->m);
        g_assert_cmpint(vmmd_rm_rf(f->root), ==, 0);
        g_free(f->root);
        g_string_free(f->log, TRUE);
}

/* the listener's record since the last call, then forgotten */
static char *take_log(Fixture *f) {
        char *s = g_strdup(f->log->str);
        g_string_truncate(f->log, 0);
        return s;
}

static char *pool_xml(Fixture *f, const char *name, const char *uuid) {
        return g_strdup_printf("<pool type='dir'><name>%s</name><uuid>%s</uuid>"
                               "<target><path>%s/pools/%s</path></target></pool>", name, uuid, f->root, name);
}

static Pool *define(Fixture *f, const char *name, const char *uuid) {
        g_autofree char *xml = pool_xml(f, name, uuid);
        g_autoptr(GError) error = NULL;
        Pool *p = manager_define_xml(f->m, xml, 0, &error);

        g_assert_no_error(error);
        g_assert_nonnull(p);
        return p;
}

static char *pool_names(GPtrArray *list) {
        g_autoptr(GString) s = g_string_new(NULL);

        for (guint i = 0; i < list->len; i++)
                g_string_append_printf(s, "%s%s", i ? " " : "", pool_name(g_ptr_array_index(list, i)));
        return g_string_free(g_steal_pointer(&s), FALSE);
}

/* S1, S10, S14, S21, S9: each change is told once, object first, then the event, then the properties */
static void test_lifecycle_notifications(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *log = NULL;
        Pool *p = define(f, "a", UUID_A);

        log = take_log(f);
        g_assert_cmpstr(log, ==, "added a\nevent a 0\n");   /* InterfacesAdded, then DEFINED */

        g_assert_true(pool_build(p, 0, &error));
        g_assert_no_error(error);
        g_free(log);
        log = take_log(f);
        g_assert_cmpstr(log, ==, "event a 4\n");   /* CREATED */

        g_assert_true(pool_start(p, 0, &error));
        g_free(log);
        log = take_log(f);
        g_assert_cmpstr(log, ==, "event a 2\nchanged a 0x72\n");   /* STARTED; Active and the figures */

        g_assert_true(pool_set_autostart(p, true, &error));
        g_assert_true(pool_set_autostart(p, true, &error));   /* no change, nothing told */
        g_free(log);
        log = take_log(f);
        g_assert_cmpstr(log, ==, "changed a 0x8\n");

        g_assert_true(pool_destroy(p, &error));
        g_free(log);
        log = take_log(f);
        g_assert_cmpstr(log, ==, "event a 3\nchanged a 0x2\n");   /* STOPPED; Active */

        g_assert_true(pool_undefine(p, &error));
        g_free(log);
        log = take_log(f);
        g_assert_cmpstr(log, ==, "event a 1\nremoved a\n");   /* UNDEFINED, then InterfacesRemoved */
}

/* S13: a transient pool is announced once it runs, with nothing about it before */
static void test_transient_create(Fixture *f, gconstpointer data) {
        g_autofree char *xml = pool_xml(f, "t", UUID_B);
        g_autofree char *dir = g_build_filename(f->root, "pools", "t", NULL);
        g_autoptr(GError) error = NULL;
        g_autofree char *log = NULL;
        Pool *p;

        g_assert_cmpint(vmmd_mkdir_p(dir, 0755), ==, 0);
        p = manager_create_xml(f->m, xml, 0, &error);
        g_assert_no_error(error);
        g_assert_nonnull(p);
        log = take_log(f);
        g_assert_cmpstr(log, ==, "added t\nevent t 2\nchanged t 0x72\n");

        g_assert_true(pool_destroy(p, &error));   /* a transient pool goes with its stop */
        g_free(log);
        log = take_log(f);
        g_assert_cmpstr(log, ==, "event t 3\nchanged t 0x2\nremoved t\n");
        g_assert_null(manager_find_by_name(f->m, "t"));
}

/* S67: pairs filter when one bit is set, pairs are ANDed, type bits ORed; sorted by name */
static void test_list_filters(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        Pool *a = define(f, "a", UUID_A);
        Pool *b = define(f, "b", UUID_B);
        struct {
                unsigned flags;
                const char *expect;
        } cases[] = {
                { 0, "a b" },
                { POOL_LIST_ACTIVE | POOL_LIST_INACTIVE, "a b" },
                { POOL_LIST_ACTIVE, "b" },
                { POOL_LIST_INACTIVE, "a" },
                { POOL_LIST_AUTOSTART, "a" },
                { POOL_LIST_NO_AUTOSTART | POOL_LIST_ACTIVE, "b" },
                { POOL_LIST_TRANSIENT, "" },
                { POOL_LIST_PERSISTENT | POOL_LIST_DIR, "a b" },
                { POOL_LIST_FS | POOL_LIST_LOGICAL, "" },
        };

        g_assert_true(pool_build(b, 0, &error));
        g_assert_true(pool_start(b, 0, &error));
        g_assert_true(pool_set_autostart(a, true, &error));
        g_assert_no_error(error);
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(GPtrArray) list = manager_list_pools(f->m, cases[i].flags);
                g_autofree char *names = pool_names(list);
                g_assert_cmpstr(names, ==, cases[i].expect);
        }
}

/* S9: an active pool cannot be undefined; it stays, and so does its file */
static void test_undefine_active_refused(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *config = g_build_filename(f->root, "etc", "vmmd", "storage", "a.xml", NULL);
        g_autofree char *log = NULL;
        Pool *p = define(f, "a", UUID_A);

        g_assert_true(pool_build(p, 0, &error));
        g_assert_true(pool_start(p, 0, &error));
        g_free(take_log(f));
        g_assert_false(pool_undefine(p, &error));
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_INVALID);
        log = take_log(f);
        g_assert_cmpstr(log, ==, "");
        g_assert_true(manager_find_by_name(f->m, "a") == p);
        g_assert_true(g_file_test(config, G_FILE_TEST_EXISTS));
}

/* §4: what loading finds is not told; a listener installed later hears only what follows */
static void test_load_is_silent(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        Manager *again;
        Pool *p = define(f, "a", UUID_A);

        g_assert_true(pool_build(p, 0, &error));
        g_assert_true(pool_start(p, 0, &error));
        g_free(take_log(f));

        again = manager_new(vmmd_paths_new("storage", false, f->root));
        manager_load(again);
        p = manager_find_by_name(again, "a");
        g_assert_nonnull(p);
        g_assert_true(p->active);
        g_assert_true(p->persistent);
        manager_set_listener(again, &recorder, f);
        g_assert_true(pool_refresh(p, &error));
        g_assert_no_error(error);
        g_autofree char *log = take_log(f);
        g_assert_cmpstr(log, ==, "refresh a\n");
        manager_free(again);
}

static void run_qemu_img(const char *dir, const char *args) {
        g_autofree char *cmd = g_strdup_printf("qemu-img %s", args);
        g_auto(GStrv) argv = g_strsplit(cmd, " ", -1);
        g_autoptr(GError) error = NULL;
        int status;

        g_assert_true(g_spawn_sync(dir, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                                   NULL, NULL, &status, &error));
        g_assert_no_error(error);
        g_assert_true(g_spawn_check_wait_status(status, NULL));
}

/* S27-S31 by the daemon's own header probe: with no qemu-img on PATH a refresh still knows
 * every format it reads, and a broken header is raw (S29) */
static void test_refresh_reads_headers(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = g_build_filename(f->root, "pools", "a", NULL);
        g_autofree char *empty = g_build_filename(f->root, "no-programs", NULL);
        g_autofree char *old_path = g_strdup(g_getenv("PATH"));
        g_autofree char *base = g_build_filename(dir, "base.qcow2", NULL);
        g_autofree char *broken = g_build_filename(dir, "broken.qcow2", NULL);
        g_autofree uint8_t *iso = g_malloc0(40000);
        const StorageVolDef *d;
        Pool *p = define(f, "a", UUID_A);

        g_assert_true(pool_build(p, 0, &error));
        g_assert_true(pool_start(p, 0, &error));
        run_qemu_img(dir, "create -f qcow2 -o compat=0.10 base.qcow2 10M");
        run_qemu_img(dir, "create -f qcow2 -o lazy_refcounts=on -b base.qcow2 -F qcow2 child.qcow2");
        run_qemu_img(dir, "create -f qed -b base.qcow2 -F qcow2 q.qed 20M");
        run_qemu_img(dir, "create -f vdi d.vdi 3M");
        run_qemu_img(dir, "create -f vmdk v.vmdk 5M");
        memcpy(iso + 32769, "CD001", 5);
        g_assert_true(g_file_set_contents(broken, "QFI\xfb\0\0\0\x03", 8, NULL));
        {
                g_autofree char *path = g_build_filename(dir, "cd.iso", NULL);
                g_assert_true(g_file_set_contents(path, (const char *) iso, 40000, NULL));
        }
        g_assert_cmpint(g_mkdir(empty, 0700), ==, 0);
        g_setenv("PATH", empty, TRUE);
        g_assert_true(pool_refresh(p, &error));
        g_setenv("PATH", old_path, TRUE);
        g_assert_no_error(error);

        d = pool_find_volume(p, "base.qcow2")->def;
        g_assert_cmpint(d->target.format, ==, STORAGE_FILE_FORMAT_QCOW2);
        g_assert_cmpuint(d->capacity, ==, 10 << 20);
        g_assert_cmpstr(d->target.compat, ==, "0.10");
        g_assert_cmpuint(d->target.cluster_size, ==, 65536);
        g_assert_null(d->backing_store.path);
        d = pool_find_volume(p, "child.qcow2")->def;
        g_assert_cmpstr(d->target.compat, ==, "1.1");
        g_assert_true(d->target.lazy_refcounts);
        g_assert_cmpuint(d->capacity, ==, 10 << 20);
        g_assert_cmpstr(d->backing_store.path, ==, base);
        g_assert_cmpint(d->backing_store.format, ==, STORAGE_FILE_FORMAT_QCOW2);
        d = pool_find_volume(p, "q.qed")->def;
        g_assert_cmpint(d->target.format, ==, STORAGE_FILE_FORMAT_QED);
        g_assert_cmpuint(d->capacity, ==, 20 << 20);
        /* qed keeps no format for a qcow2 backing file: the backing file itself is probed (S30) */
        g_assert_cmpstr(d->backing_store.path, ==, base);
        g_assert_cmpint(d->backing_store.format, ==, STORAGE_FILE_FORMAT_QCOW2);
        d = pool_find_volume(p, "d.vdi")->def;
        g_assert_cmpint(d->target.format, ==, STORAGE_FILE_FORMAT_VDI);
        g_assert_cmpuint(d->capacity, ==, 3 << 20);
        d = pool_find_volume(p, "v.vmdk")->def;
        g_assert_cmpint(d->target.format, ==, STORAGE_FILE_FORMAT_VMDK);
        g_assert_cmpuint(d->capacity, ==, 5 << 20);
        d = pool_find_volume(p, "cd.iso")->def;
        g_assert_cmpint(d->target.format, ==, STORAGE_FILE_FORMAT_ISO);
        d = pool_find_volume(p, "broken.qcow2")->def;
        g_assert_cmpint(d->target.format, ==, STORAGE_FILE_FORMAT_RAW);
        g_assert_cmpuint(d->capacity, ==, 8);
}

/* S32: a refresh keeps what it read of a file that has not changed, and never misses a change,
 * even one in the same file-time tick as the last probe */
static void test_refresh_cache(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;
        g_autofree char *dir = g_build_filename(f->root, "pools", "a", NULL);
        const StorageVolDef *before;
        Volume *v;
        Pool *p = define(f, "a", UUID_A);

        g_assert_true(pool_build(p, 0, &error));
        g_assert_true(pool_start(p, 0, &error));
        run_qemu_img(dir, "create -f qcow2 c.qcow2 10M");
        g_assert_true(pool_refresh(p, &error));
        v = pool_find_volume(p, "c.qcow2");
        g_assert_cmpuint(v->def->capacity, ==, 10 << 20);

        /* the same file size, header rewritten right after the probe: read again */
        run_qemu_img(dir, "create -f qcow2 c.qcow2 20M");
        g_assert_cmpuint(v->probed.st_size, ==, 196616);
        g_assert_true(pool_refresh(p, &error));
        g_assert_cmpuint(v->def->capacity, ==, 20 << 20);

        /* a probe that began well after the file's last change is kept */
        v->probed_at += 5 * G_USEC_PER_SEC;
        before = v->def;
        g_assert_true(pool_refresh(p, &error));
        g_assert_true(v->def == before);
        g_assert_cmpuint(v->def->capacity, ==, 20 << 20);

        /* and any change is seen: here a resize */
        run_qemu_img(dir, "resize -f qcow2 c.qcow2 30M");
        g_assert_true(pool_refresh(p, &error));
        g_assert_cmpuint(v->def->capacity, ==, 30 << 20);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
        ADD("/storage-model/lifecycle-notifications", test_lifecycle_notifications);
        ADD("/storage-model/transient-create", test_transient_create);
        ADD("/storage-model/list-filters", test_list_filters);
        ADD("/storage-model/undefine-active-refused", test_undefine_active_refused);
        ADD("/storage-model/load-is-silent", test_load_is_silent);
        ADD("/storage-model/refresh-reads-headers", test_refresh_reads_headers);
        ADD("/storage-model/refresh-cache", test_refresh_cache);
        return g_test_run();
}
