/* Torture: hostile documents through every define path of both daemons (DomainDefineXML,
 * DomainCreateXML, SnapshotCreateXML, StoragePoolDefineXML, StoragePoolCreateXML,
 * StorageVolCreateXML). Each is refused with one of vmmd's errors, the daemons stay up, and
 * nothing under the state root or in the pool changes (a listing of the whole tree before and
 * after each call). Accepted controls show the documents are otherwise fine. */
#include <string.h>
#include <unistd.h>

#include "bus-harness.h"

#define QEMU QEMU_BUS_NAME
#define STORAGE STORAGE_BUS_NAME
#define DOM_UUID "1f2e0000-0000-4000-8000-000000000001"
#define POOL_UUID "1f2e0000-0000-4000-8000-000000000002"

typedef struct {
        const char *label;
        const char *prolog;    /* before the root element */
        const char *root_attrs;
        const char *name;      /* the <name> element, whole (NULL: none) */
        bool accept;           /* a control that must be accepted */
        bool no_name;          /* no <name> in no namespace: a snapshot gets a generated one (D3) */
} Hostile;

static char *long_name(size_t n) {
        g_autofree char *s = g_strnfill(n, 'x');
        return g_strdup_printf("<name>%s</name>", s);
}

static GPtrArray *hostile_table(void) {
        static const Hostile fixed[] = {
                { "xxe", "<!DOCTYPE r [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>\n", "", "<name>&x;</name>", false },
                { "billion-laughs",
                  "<!DOCTYPE r [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
                  "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'><!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'>]>\n",
                  "", "<name>&d;</name>", false },
                { "parameter-entity", "<!DOCTYPE r [<!ENTITY % p SYSTEM 'file:///etc/passwd'> %p;]>\n", "",
                  "<name>p</name>", false },
                { "latin1", "<?xml version='1.0' encoding='ISO-8859-1'?>\n", "", "<name>caf\xc3\xa9</name>", false },
                { "utf16", "<?xml version='1.0' encoding='UTF-16'?>\n", "", "<name>u</name>", false },
                { "ebcdic", "<?xml version='1.0' encoding='EBCDIC-US'?>\n", "", "<name>e</name>", false },
                { "foreign-name-only", "", " xmlns:x='urn:x'", "<x:name>f</x:name>", false, true },
                { "default-namespace-name", "", "", "<name xmlns='urn:x'>f</name>", false, true },
                { "cdata-slash", "", "", "<name><![CDATA[a/b]]></name>", false },
                { "charref-slash", "", "", "<name>a&#47;b</name>", false },
                { "charref-dotdot", "", "", "<name>&#46;&#46;</name>", false },
                { "charref-newline", "", "", "<name>a&#10;b</name>", false },
                { "charref-cr", "", "", "<name>a&#13;b</name>", false },
                { "charref-tab", "", "", "<name>&#9;</name>", false },
                { "comment-dot", "", "", "<name><!-- -->.hidden</name>", false },
                { "not-well-formed", "", "", "<name>a</nam>", false },
                { "utf8-declared", "<?xml version='1.0' encoding='UTF-8'?>\n", "", "<name>ok-utf8</name>", true },
                { "comment-inside", "", "", "<name>ok<!-- c -->name</name>", true },
                { "foreign-and-plain", "", " xmlns:x='urn:x'", "<x:name>../x</x:name><name>ok-plain</name>", true },
        };
        GPtrArray *a = g_ptr_array_new();

        for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++) {
                Hostile *h = g_new(Hostile, 1);
                *h = fixed[i];
                h->name = g_strdup(fixed[i].name);
                g_ptr_array_add(a, h);
        }
        for (size_t n = 0; n < 3; n++) {
                static const size_t lens[] = { 255, 256, 4096 };
                Hostile *h = g_new0(Hostile, 1);
                h->label = "long";
                h->prolog = "";
                h->root_attrs = "";
                h->name = long_name(lens[n]);
                g_ptr_array_add(a, h);
        }
        return a;
}

static void hostile_free(GPtrArray *a) {
        for (unsigned i = 0; i < a->len; i++) {
                Hostile *h = a->pdata[i];
                g_free((char *) h->name);
                g_free(h);
        }
        g_ptr_array_free(a, TRUE);
}

static char *document(const char *kind, const Hostile *h, const char *disk, const char *pool_target) {
        const char *name = h->name ? h->name : "";

        if (g_str_equal(kind, "domain"))
                return g_strdup_printf("%s<domain type='qemu'%s>%s<memory unit='MiB'>64</memory>"
                                       "<os><type arch='x86_64'>hvm</type></os></domain>", h->prolog, h->root_attrs,
                                       name);
        if (g_str_equal(kind, "snapshot"))
                return g_strdup_printf("%s<domainsnapshot%s>%s</domainsnapshot>", h->prolog, h->root_attrs, name);
        if (g_str_equal(kind, "pool")) {
                static unsigned n;   /* two pools may not share a target */
                return g_strdup_printf("%s<pool type='dir'%s>%s<target><path>%s/hp%u</path></target></pool>",
                                       h->prolog, h->root_attrs, name, pool_target, n++);
        }
        return g_strdup_printf("%s<volume%s>%s<capacity unit='KiB'>64</capacity></volume>", h->prolog, h->root_attrs,
                               name);
}

static char *state_tree(TestBus *tb) {
        g_autofree char *etc = test_root_file(tb, "etc");
        g_autofree char *lib = test_root_file(tb, "var/lib");
        g_autofree char *pools = g_build_filename(tb->dir, "pools", NULL);
        g_autofree char *a = test_dir_snapshot(etc), *b = test_dir_snapshot(lib), *c = test_dir_snapshot(pools);

        return g_strconcat("[etc]\n", a, "[var/lib]\n", b, "[pools]\n", c, NULL);
}

typedef struct {
        const char *label, *kind, *dest, *iface, *member;
        bool create;   /* starts something when accepted: only refusals are sent */
} Path;

static void test_hostile_documents(void) {
        g_autoptr(TestBus) tb = NULL;
        g_autofree char *qemu_img = g_find_program_in_path("qemu-img");
        g_autofree char *disk = NULL, *dev = NULL, *dxml = NULL, *dom = NULL, *pool = NULL, *pxml = NULL;
        g_autofree char *pools = NULL, *base = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        GPtrArray *table = hostile_table();
        pid_t qemu_pid, storage_pid;
        unsigned refused = 0, accepted = 0;

        if (!qemu_img) {
                g_test_skip("qemu-img is missing");
                hostile_free(table);
                return;
        }
        tb = test_bus_new(NULL);
        pools = g_build_filename(tb->dir, "pools", NULL);
        base = g_build_filename(pools, "base", NULL);
        disk = g_build_filename(tb->dir, "d.qcow2", NULL);
        {
                const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };
                g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        }
        dev = g_strdup_printf("    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='%s'/>"
                              "<target dev='vda' bus='virtio'/></disk>\n", disk);
        dxml = test_domain_xml("host", DOM_UUID, dev);
        dom = test_define(tb, dxml, 0, &e);
        g_assert_nonnull(dom);
        pxml = g_strdup_printf("<pool type='dir'><name>base</name><uuid>%s</uuid><target><path>%s</path></target></pool>",
                               POOL_UUID, base);
        g_assert_cmpint(sd_bus_path_encode(STORAGE_POOL_PREFIX, POOL_UUID, &pool), >=, 0);
        g_assert_cmpint(sd_bus_call_method(tb->bus, STORAGE, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE,
                                           "StoragePoolDefineXML", &e, NULL, "su", pxml, 0), >=, 0);
        g_assert_cmpint(sd_bus_call_method(tb->bus, STORAGE, pool, STORAGE_POOL_INTERFACE, "Build", &e, NULL,
                                           "u", 0), >=, 0);
        g_assert_cmpint(sd_bus_call_method(tb->bus, STORAGE, pool, STORAGE_POOL_INTERFACE, "Create", &e, NULL,
                                           "u", 0), >=, 0);
        qemu_pid = test_bus_name_pid(tb, QEMU);
        storage_pid = test_bus_name_pid(tb, STORAGE);

        {
                const Path paths[] = {
                        { "DomainDefineXML", "domain", QEMU, QEMU_MANAGER_INTERFACE, "DomainDefineXML", false },
                        { "DomainCreateXML", "domain", QEMU, QEMU_MANAGER_INTERFACE, "DomainCreateXML", true },
                        { "SnapshotCreateXML", "snapshot", QEMU, QEMU_DOMAIN_INTERFACE, "SnapshotCreateXML", false },
                        { "StoragePoolDefineXML", "pool", STORAGE, STORAGE_MANAGER_INTERFACE, "StoragePoolDefineXML",
                          false },
                        { "StoragePoolCreateXML", "pool", STORAGE, STORAGE_MANAGER_INTERFACE, "StoragePoolCreateXML",
                          true },
                        { "StorageVolCreateXML", "volume", STORAGE, STORAGE_POOL_INTERFACE,
                          "StorageVolCreateXML", false },
                };

                for (size_t p = 0; p < G_N_ELEMENTS(paths); p++) {
                        const Path *pa = &paths[p];
                        const char *object = g_str_equal(pa->kind, "snapshot") ? dom
                                             : g_str_equal(pa->kind, "volume") ? pool
                                             : g_str_equal(pa->dest, QEMU) ? QEMU_MANAGER_PATH : STORAGE_MANAGER_PATH;

                        for (unsigned i = 0; i < table->len; i++) {
                                const Hostile *h = table->pdata[i];
                                g_autofree char *doc = NULL, *before = NULL, *after = NULL;
                                g_auto(sd_bus_error) ce = SD_BUS_ERROR_NULL;
                                g_autoptr(sd_bus_message) reply = NULL;
                                /* a generated snapshot name is the time in seconds: a second one in the
                                 * same second exists already, a refusal like any other */
                                bool either = h->no_name && g_str_equal(pa->kind, "snapshot");
                                bool accept = h->accept;
                                int r;

                                if ((accept || either) && pa->create)
                                        continue;
                                doc = document(pa->kind, h, disk, pools);
                                before = state_tree(tb);
                                r = sd_bus_call_method(tb->bus, pa->dest, object, pa->iface, pa->member, &ce, &reply,
                                                       "su", doc, 0);
                                if (accept) {
                                        if (r < 0)
                                                g_error("%s %s: refused: %s: %s", pa->label, h->label, ce.name,
                                                        ce.message);
                                        accepted++;
                                        continue;
                                }
                                if (r >= 0 && either) {
                                        accepted++;
                                        continue;
                                }
                                if (r >= 0)
                                        g_error("%s %s: accepted", pa->label, h->label);
                                if (!g_str_has_prefix(ce.name, VMMD_ERROR_PREFIX))
                                        g_error("%s %s: not a vmmd error: %s: %s", pa->label, h->label, ce.name,
                                                ce.message);
                                after = state_tree(tb);
                                if (!g_str_equal(before, after))
                                        g_error("%s %s: the state tree changed", pa->label, h->label);
                                g_assert_null(strstr(ce.message, "root:x:0:0"));   /* nothing read from a file */
                                refused++;
                        }
                }
        }
        /* the same daemons answered everything */
        g_assert_cmpint(test_bus_name_pid(tb, QEMU), ==, qemu_pid);
        g_assert_cmpint(test_bus_name_pid(tb, STORAGE), ==, storage_pid);
        printf("# torture-hostile: %u hostile documents refused with the state tree unchanged, %u controls accepted\n",
               refused, accepted);
        hostile_free(table);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/torture/hostile-documents", test_hostile_documents);
        return g_test_run();
}
