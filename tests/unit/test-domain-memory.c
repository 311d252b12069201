/* Unit tests for what keeps loading many definitions cheap: lists made with their first item, shared strings, one parser context per batch. */
#include "domain-def.h"
#include "shared-string.h"

#include <string.h>

static const char minimal_xml[] =
        "<domain type='qemu'><name>m</name><memory unit='MiB'>64</memory>"
        "<os><type arch='x86_64'>hvm</type></os></domain>";

static guint freed;

static void count_free(gpointer p) {
        freed++;
        g_free(p);
}

static void test_list_ops(void) {
        DomainList l = { 0 };
        char *a = g_strdup("a"), *b = g_strdup("b"), *c = g_strdup("c");

        g_assert_cmpuint(domain_list_len(l), ==, 0);
        g_assert_null(l.items_);
        domain_list_clear(&l, count_free);   /* an empty list is cleared as well */
        domain_list_add(&l, a);
        domain_list_add(&l, b);
        domain_list_insert(&l, 0, c);
        g_assert_cmpuint(domain_list_len(l), ==, 3);
        g_assert_true(domain_list_at(l, 0) == c);
        g_assert_true(domain_list_at(l, 1) == a);
        g_assert_true(domain_list_at(l, 2) == b);
        g_assert_true(domain_list_steal(&l, 1) == a);
        g_free(a);
        g_assert_cmpuint(domain_list_len(l), ==, 2);
        freed = 0;
        domain_list_clear(&l, count_free);
        g_assert_cmpuint(freed, ==, 2);
        g_assert_null(l.items_);
        g_assert_cmpuint(domain_list_len(l), ==, 0);
}

/* A definition without devices of a kind holds no array for it: an empty GPtrArray per kind
 * was a third of a loaded definition. */
static void test_minimal_def_lists(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(DomainDef) def = domain_def_parse_string(minimal_xml, 0, &error);

        g_assert_no_error(error);
        g_assert_true(domain_def_post_parse(def, &error));
        g_assert_no_error(error);
        g_assert_null(def->disks.items_);
        g_assert_null(def->nets.items_);
        g_assert_null(def->serials.items_);
        g_assert_null(def->graphics.items_);
        g_assert_null(def->other_devices.items_);
        g_assert_null(def->features.items_);
        g_assert_null(def->os_boot.items_);
        g_assert_null(def->sysinfo.items_);
        g_assert_null(def->numa_cells.items_);
        /* post-parse added the PCI root and the USB controller */
        g_assert_cmpuint(domain_list_len(def->controllers), ==, 2);
}

/* Two definitions share one copy of their common values. */
static void test_defs_share_strings(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(DomainDef) a = domain_def_parse_string(minimal_xml, 0, &error);
        g_autoptr(DomainDef) b = domain_def_parse_string(minimal_xml, 0, &error);

        g_assert_no_error(error);
        g_assert_cmpstr(a->os_arch, ==, "x86_64");
        g_assert_true(a->os_arch == b->os_arch);
        g_assert_true(a->os_type == b->os_type);
        g_assert_true(a->virt_type == b->virt_type);
        g_assert_true(a->clock_offset == b->clock_offset);
        domain_def_set_arch(b, "aarch64");
        g_assert_cmpstr(a->os_arch, ==, "x86_64");
        g_assert_cmpstr(b->os_arch, ==, "aarch64");
}

static void test_shared_str(void) {
        g_autofree char *copy = g_strdup("pc-i440fx-7.2");
        const char *a = vmmd_shared_str("pc-i440fx-7.2");
        const char *b = vmmd_shared_str(copy);
        const char *field = NULL;

        g_assert_null(vmmd_shared_str(NULL));
        g_assert_true(a == b);
        g_assert_true(a != copy);
        /* a plain copy with the same text is freed as such; the shared one stays */
        vmmd_shared_str_unref(g_strdup("pc-i440fx-7.2"));
        vmmd_shared_str_unref(b);
        g_assert_cmpstr(a, ==, "pc-i440fx-7.2");
        b = vmmd_shared_str("pc-i440fx-7.2");
        g_assert_true(a == b);
        vmmd_shared_str_unref(b);
        vmmd_shared_str_unref(a);

        vmmd_shared_str_set(&field, "utc");
        g_assert_cmpstr(field, ==, "utc");
        vmmd_shared_str_set(&field, field);     /* to its own value */
        g_assert_cmpstr(field, ==, "utc");
        vmmd_shared_str_set(&field, NULL);
        g_assert_null(field);
        vmmd_shared_str_unref(NULL);
        g_assert_cmpstr(vmmd_shared_str_take(NULL), ==, NULL);
}

static gpointer share_many(gpointer value) {
        for (int i = 0; i < 20000; i++)
                vmmd_shared_str_unref(vmmd_shared_str(value));
        return NULL;
}

/* the loader parses in worker threads */
static void test_shared_str_threads(void) {
        const char *held = vmmd_shared_str("/usr/bin/qemu-system-x86_64");
        GThread *t1 = g_thread_new("share-1", share_many, (gpointer) "/usr/bin/qemu-system-x86_64");
        GThread *t2 = g_thread_new("share-2", share_many, (gpointer) "/usr/bin/qemu-system-x86_64");
        const char *again;

        g_thread_join(t1);
        g_thread_join(t2);
        again = vmmd_shared_str("/usr/bin/qemu-system-x86_64");
        g_assert_true(again == held);
        g_assert_cmpstr(held, ==, "/usr/bin/qemu-system-x86_64");
        vmmd_shared_str_unref(again);
        vmmd_shared_str_unref(held);
}

/* The loader parses its files with one parser context per thread: the results, errors
 * included, are those of a context per document. */
#define U1 "00000000-0000-0000-0000-000000000001"
#define U2 "00000000-0000-0000-0000-000000000002"
#define U3 "00000000-0000-0000-0000-000000000003"

static void test_parse_batch(void) {
        static const char *const docs[] = {
                "<domain type='qemu'><name>a</name><uuid>" U1 "</uuid><memory>65536</memory></domain>",
                "<domain type='qemu'><name>b</name><memory>65536</memory>",
                "<domain type='qemu'><name>c</name><uuid>" U2 "</uuid><memory>65536</memory></domain>",
                "<domain>\n<name>d</name>&bad;</domain>",
                "<network><name>e</name></network>",
                "<domain type='qemu'><name>f</name><uuid>" U3 "</uuid><memory>1024</memory><title>t</title></domain>",
        };
        char *plain[G_N_ELEMENTS(docs)], *batched[G_N_ELEMENTS(docs)];

        for (int pass = 0; pass < 2; pass++) {
                char **out = pass ? batched : plain;

                if (pass)
                        xml_parse_batch_begin();
                for (size_t i = 0; i < G_N_ELEMENTS(docs); i++) {
                        g_autoptr(GError) error = NULL;
                        g_autoptr(DomainDef) def = domain_def_parse_string(docs[i], 0, &error);

                        out[i] = def ? domain_def_format(def, DOMAIN_DEF_FORMAT_SECURE)
                                     : g_strdup_printf("error %d: %s", error->code, error->message);
                }
                if (pass)
                        xml_parse_batch_end();
        }
        for (size_t i = 0; i < G_N_ELEMENTS(docs); i++) {
                g_assert_cmpstr(batched[i], ==, plain[i]);
                g_free(plain[i]);
                g_free(batched[i]);
        }
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/domain-memory/list-ops", test_list_ops);
        g_test_add_func("/domain-memory/minimal-def-lists", test_minimal_def_lists);
        g_test_add_func("/domain-memory/defs-share-strings", test_defs_share_strings);
        g_test_add_func("/domain-memory/shared-str", test_shared_str);
        g_test_add_func("/domain-memory/shared-str-threads", test_shared_str_threads);
        g_test_add_func("/domain-memory/parse-batch", test_parse_batch);
        return g_test_run();
}
