/* End-to-end tests of domain snapshots: the tree and its lists, disk contents after a revert, REDEFINE
 * without <inactiveDomain>, undefine with snapshots, and the errors of spec domains.md D through the bus. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e-util.h"
#include "fileio.h"

#define MANAGER QEMU_MANAGER_PATH
#define MANAGER_IFACE QEMU_MANAGER_INTERFACE
#define DOMAIN_IFACE QEMU_DOMAIN_INTERFACE
#define SNAP_IFACE QEMU_SNAPSHOT_INTERFACE
#define BOOT_MS 60000

#define UUID_T1 "5a1e7c00-0b1d-4e2a-9c3f-7d0000000001"
#define UUID_T2 "5a1e7c00-0b1d-4e2a-9c3f-7d0000000002"
#define UUID_K1 "5a1e7c00-0b1d-4e2a-9c3f-7d0000000003"
#define UUID_C1 "5a1e7c00-0b1d-4e2a-9c3f-7d0000000004"
#define UUID_U1 "5a1e7c00-0b1d-4e2a-9c3f-7d0000000005"
#define UUID_E1 "5a1e7c00-0b1d-4e2a-9c3f-7d0000000006"
#define UUID_E2 "5a1e7c00-0b1d-4e2a-9c3f-7d0000000007"
#define UUID_E3 "5a1e7c00-0b1d-4e2a-9c3f-7d0000000008"
#define UUID_TR "5a1e7c00-0b1d-4e2a-9c3f-7d0000000009"
#define UUID_E4 "5a1e7c00-0b1d-4e2a-9c3f-7d000000000a"
#define UUID_OTHER "5a1e7c00-0b1d-4e2a-9c3f-7d00000000ff"

/* snapshot create flags */
#define C_REDEFINE 1u
#define C_CURRENT 2u
#define C_NO_METADATA 4u
#define C_HALT 8u
#define C_DISK_ONLY 16u
#define C_REUSE_EXT 32u
#define C_QUIESCE 64u
#define C_LIVE 256u
#define C_VALIDATE 512u
/* list flags */
#define L_ROOTS 1u   /* DESCENDANTS for ListChildren */
#define L_METADATA 2u
#define L_LEAVES 4u
#define L_NO_LEAVES 8u
#define L_NO_METADATA 16u
#define L_INACTIVE 32u
#define L_ACTIVE 64u
#define L_DISK_ONLY 128u
#define L_INTERNAL 256u
#define L_EXTERNAL 512u
#define L_TOPOLOGICAL 1024u
/* delete flags */
#define D_CHILDREN 1u
#define D_METADATA_ONLY 2u
#define D_CHILDREN_ONLY 4u
/* revert flags */
#define R_RUNNING 1u
#define R_PAUSED 2u
#define R_FORCE 4u

/* --- helpers --- */

static char *make_qcow2(TestBus *tb, const char *name) {
        g_autofree char *disk = g_strdup_printf("%s/%s", tb->dir, name);
        const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };
        g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        return g_steal_pointer(&disk);
}

static char *disk_xml(const char *path, const char *format, const char *dev) {
        return g_strdup_printf("    <disk type='file' device='disk'><driver name='qemu' type='%s'/>"
                               "<source file='%s'/><target dev='%s' bus='virtio'/></disk>\n", format, path, dev);
}

static char *define(TestBus *tb, const char *name, const char *uuid, const char *cmdline, const char *devices) {
        g_autofree char *xml = e2e_guest_xml(tb, name, uuid, cmdline, NULL, devices);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *path = test_define(tb, xml, 0, &e);

        if (!path)
                g_error("define %s: %s: %s", name, e.name, e.message);
        return path;
}

static char *snap_create(TestBus *tb, const char *domain, const char *xml, unsigned flags, sd_bus_error *e) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *p;

        if (test_call(tb, domain, DOMAIN_IFACE, "SnapshotCreateXML", e, &reply, "su", xml, flags) < 0) {
                g_test_message("SnapshotCreateXML(flags %u): %s: %s", flags, e->name, e->message);
                return NULL;
        }
        g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
        return g_strdup(p);
}

/* creates a snapshot that must succeed */
static char *snap_ok(TestBus *tb, const char *domain, const char *xml, unsigned flags) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *p = snap_create(tb, domain, xml, flags, &e);

        if (!p)
                g_error("SnapshotCreateXML %s (flags %u): %s: %s", xml, flags, e.name, e.message);
        return p;
}

static char *named(const char *name) {
        return g_strdup_printf("<domainsnapshot><name>%s</name></domainsnapshot>", name);
}

/* a REDEFINE document; extra goes inside the root */
static char *redef_xml(const char *name, const char *state, const char *parent, const char *extra) {
        g_autofree char *p = parent ? g_strdup_printf("<parent><name>%s</name></parent>", parent) : g_strdup("");
        return g_strdup_printf("<domainsnapshot><name>%s</name><state>%s</state>%s"
                               "<creationTime>1700000000</creationTime>%s</domainsnapshot>",
                               name, state, p, extra ? extra : "");
}

/* the tags in `qemu-img snapshot -l` output */
static bool img_has_snap(TestBus *tb, const char *disk, const char *snap) {
        g_autofree char *out = NULL;
        g_auto(GStrv) lines = NULL;
        const char *argv[] = { "qemu-img", "snapshot", "-l", "-U", disk, NULL };

        g_assert_cmpint(test_run(tb, false, &out, NULL, argv), ==, 0);
        lines = g_strsplit(out ? out : "", "\n", -1);
        for (char **l = lines; *l; l++) {
                g_auto(GStrv) tok = g_strsplit_set(g_strstrip(*l), " \t", -1);
                guint n = 0;
                /* ID TAG …: the second non-empty token */
                for (char **t = tok; *t; t++)
                        if (**t && ++n == 2) {
                                if (g_str_equal(*t, snap))
                                        return true;
                                break;
                        }
        }
        return false;
}

static int qemu_io(TestBus *tb, const char *disk, const char *cmd) {
        const char *argv[] = { "qemu-io", "-f", "qcow2", "-c", cmd, disk, NULL };
        g_autofree char *out = NULL, *err = NULL;
        int r = test_run(tb, false, &out, &err, argv);

        g_test_message("qemu-io -c '%s': %d: %s%s", cmd, r, out ? out : "", err ? err : "");
        if (r == 0 && out && strstr(out, "Pattern verification failed"))
                r = 1;
        return r;
}

static bool snap_bool(TestBus *tb, const char *path, const char *prop) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int v = 0;

        if (sd_bus_get_property_trivial(tb->bus, QEMU_BUS_NAME, path, SNAP_IFACE, prop, &e, 'b', &v) < 0)
                g_error("%s.%s: %s: %s", path, prop, e.name, e.message);
        return v;
}

static char *snap_prop_str(TestBus *tb, const char *path, const char *prop, char type) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        const char *v;

        if (sd_bus_get_property(tb->bus, QEMU_BUS_NAME, path, SNAP_IFACE, prop, &e, &reply,
                                type == 'o' ? "o" : "s") < 0)
                g_error("%s.%s: %s: %s", path, prop, e.name, e.message);
        g_assert_cmpint(sd_bus_message_read_basic(reply, type, &v), >=, 0);
        return g_strdup(v);
}

static char **list_call(TestBus *tb, const char *path, const char *iface, const char *method, unsigned flags) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char **paths = NULL;

        if (test_call(tb, path, iface, method, &e, &reply, "u", flags) < 0)
                g_error("%s(%u): %s: %s", method, flags, e.name, e.message);
        g_assert_cmpint(sd_bus_message_read_strv(reply, &paths), >=, 0);
        return paths ? paths : g_new0(char *, 1);
}

static char **list_snaps(TestBus *tb, const char *domain, unsigned flags) {
        return list_call(tb, domain, DOMAIN_IFACE, "ListDomainSnapshots", flags);
}

static char **list_children(TestBus *tb, const char *snap, unsigned flags) {
        return list_call(tb, snap, SNAP_IFACE, "ListChildren", flags);
}

static int strv_index(char **v, const char *s) {
        for (int i = 0; v && v[i]; i++)
                if (g_str_equal(v[i], s))
                        return i;
        return -1;
}

/* asserts got holds exactly the paths given (any order), NULL-terminated */
#define assert_paths(got, ...) assert_paths_impl(__LINE__, #got, (got), ##__VA_ARGS__, NULL)
static void assert_paths_impl(int line, const char *what, char **got, ...) {
        va_list ap;
        guint n = 0;

        va_start(ap, got);
        for (const char *p = va_arg(ap, const char *); p; p = va_arg(ap, const char *)) {
                if (strv_index(got, p) < 0) {
                        g_autofree char *all = g_strjoinv(" ", got);
                        g_error("line %d: %s lacks %s (has: %s)", line, what, p, all);
                }
                n++;
        }
        va_end(ap);
        if (g_strv_length(got) != n) {
                g_autofree char *all = g_strjoinv(" ", got);
                g_error("line %d: %s has %u entries, expected %u (has: %s)", line, what, g_strv_length(got), n, all);
        }
}

/* GetParent: the parent's path, or NULL with *e set */
static char *get_parent(TestBus *tb, const char *snap, sd_bus_error *e) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *p;

        if (test_call(tb, snap, SNAP_IFACE, "GetParent", e, &reply, "u", 0) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
        return g_strdup(p);
}

static void assert_parent(TestBus *tb, const char *snap, const char *parent) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *p = get_parent(tb, snap, &e);

        if (!p)
                g_error("GetParent(%s): %s: %s", snap, e.name, e.message);
        g_assert_cmpstr(p, ==, parent);
}

static char *snap_xml(TestBus *tb, const char *snap, unsigned flags) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *x;

        if (test_call(tb, snap, SNAP_IFACE, "GetXMLDesc", &e, &reply, "u", flags) < 0)
                g_error("GetXMLDesc(%s): %s: %s", snap, e.name, e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &x), >=, 0);
        return g_strdup(x);
}

static int snap_call(TestBus *tb, const char *snap, const char *method, unsigned flags, sd_bus_error *e) {
        return test_call(tb, snap, SNAP_IFACE, method, e, NULL, "u", flags);
}

static void snap_call_ok(TestBus *tb, const char *snap, const char *method, unsigned flags) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        if (snap_call(tb, snap, method, flags, &e) < 0)
                g_error("%s(%s, %u): %s: %s", method, snap, flags, e.name, e.message);
}

static char *meta_dir(TestBus *tb, const char *domain) {
        return g_strdup_printf("%s/var/lib/vmmd/qemu/snapshot/%s", tb->root, domain);
}

static bool meta_exists(TestBus *tb, const char *domain, const char *snap) {
        g_autofree char *f = g_strdup_printf("%s/var/lib/vmmd/qemu/snapshot/%s/%s.xml", tb->root, domain, snap);
        return g_file_test(f, G_FILE_TEST_IS_REGULAR);
}

static char *meta_read(TestBus *tb, const char *domain, const char *snap) {
        g_autofree char *f = g_strdup_printf("%s/var/lib/vmmd/qemu/snapshot/%s/%s.xml", tb->root, domain, snap);
        char *data = test_read_file(f);
        g_assert_nonnull(data);
        return data;
}

/* the <parent><name>…</name></parent> recorded in the metadata file, or NULL */
static char *meta_parent(TestBus *tb, const char *domain, const char *snap) {
        g_autofree char *data = meta_read(tb, domain, snap);
        const char *p = strstr(data, "<parent>"), *n, *end;

        if (!p)
                return NULL;
        n = strstr(p, "<name>");
        end = n ? strstr(n, "</name>") : NULL;
        g_assert_nonnull(end);
        return g_strndup(n + 6, end - n - 6);
}

/* index of a PropertiesChanged for object naming prop, at or after from; -1 if none */
static int find_prop_change(TestBus *tb, const char *object, const char *prop, int from) {
        test_bus_drain(tb);
        for (int i = from; (i = test_bus_find_signal(tb, "PropertiesChanged", object, i)) >= 0; i++) {
                TestSignal *s = test_signal(tb, i);
                if (s->changed && g_strv_contains((const char *const *) s->changed, prop))
                        return i;
        }
        return -1;
}

static int count_signals(TestBus *tb, const char *member, const char *object) {
        int n = 0;

        test_bus_drain(tb);
        for (int i = 0; (i = test_bus_find_signal(tb, member, object, i)) >= 0; i++)
                n++;
        return n;
}

static char *snap_path_of(TestBus *tb, const char *domain, const char *name) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *p;

        if (test_call(tb, domain, DOMAIN_IFACE, "SnapshotLookupByName", &e, &reply, "su", name, 0) < 0)
                g_error("SnapshotLookupByName(%s): %s: %s", name, e.name, e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
        return g_strdup(p);
}

static char *current_of(TestBus *tb, const char *domain) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *p;

        if (test_call(tb, domain, DOMAIN_IFACE, "SnapshotCurrent", &e, &reply, "u", 0) < 0)
                g_error("SnapshotCurrent: %s: %s", e.name, e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
        return g_strdup(p);
}

/* asserts every listed snapshot comes after its parent */
static void assert_topological(TestBus *tb, char **list) {
        for (int i = 0; list[i]; i++) {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *p = get_parent(tb, list[i], &e);
                if (p && strv_index(list, p) >= 0)
                        g_assert_cmpint(strv_index(list, p), <, i);
        }
}

static char *element(const char *xml, const char *name) {
        g_autofree char *open = g_strdup_printf("<%s", name), *close = g_strdup_printf("</%s>", name);
        const char *a = strstr(xml, open), *b;

        if (!a)
                return NULL;
        b = strstr(a, close);
        g_assert_nonnull(b);
        return g_strndup(a, b + strlen(close) - a);
}

/* the xml without the element (and the indentation before it and the newline after it) */
static char *strip_element(const char *xml, const char *name) {
        g_autofree char *open = g_strdup_printf("<%s", name), *close = g_strdup_printf("</%s>", name);
        const char *a = strstr(xml, open), *b;

        g_assert_nonnull(a);
        b = strstr(a, close);
        g_assert_nonnull(b);
        b += strlen(close);
        while (a > xml && a[-1] == ' ')
                a--;
        if (*b == '\n')
                b++;
        g_autofree char *head = g_strndup(xml, a - xml);
        return g_strconcat(head, b, NULL);
}

/* <inactiveDomain …>…</inactiveDomain> as a <domain> document: root renamed, indentation removed */
static char *as_domain_document(const char *elem, const char *from_root) {
        g_autofree char *open = g_strdup_printf("<%s", from_root), *close = g_strdup_printf("</%s>", from_root);
        g_autoptr(GString) g = g_string_new(elem);
        g_auto(GStrv) lines = NULL;
        GString *out = g_string_new(NULL);
        size_t indent = SIZE_MAX;

        g_string_replace(g, open, "<domain", 1);
        g_string_replace(g, close, "</domain>", 1);
        lines = g_strsplit(g->str, "\n", -1);
        for (char **l = lines + 1; *l; l++)
                if (**l)
                        indent = MIN(indent, strspn(*l, " "));
        /* the closing tag is indented like the opening one */
        if (indent == SIZE_MAX)
                indent = 0;
        for (char **l = lines; *l; l++) {
                const char *s = *l;
                if (l != lines)
                        s += MIN(strspn(s, " "), indent);
                g_string_append(out, s);
                g_string_append_c(out, '\n');
        }
        return g_strstrip(g_string_free(out, FALSE));
}

/* ==================== 1. the tree ==================== */

/* D22, D37, D42, D44, D47–D50, D25, ListDomains HAS_SNAPSHOT */
/* test_tree goes through one snapshot tree in steps, each its own function over this state */
typedef struct Tree {
        TestBus *tb;
        char *disk, *dom, *dir;
        char *s1, *s2, *s3, *b1;   /* the snapshots' paths */
} Tree;

/* D22: s1 a root, then s2 and s3 a chain; the current one moves along */
static void tree_chain(Tree *t) {
        TestBus *tb = t->tb;
        const char *dom = t->dom;
        const char *disk = t->disk;
        g_autofree char *x1 = named("s1"), *x2 = named("s2"), *x3 = named("s3");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *s1, *s2, *s3;
        int i, j;

        /* s1: the first snapshot, a root, current */
        g_assert_false(test_prop_bool(tb, dom, "HasCurrentSnapshot"));
        test_bus_clear_signals(tb);
        s1 = snap_ok(tb, dom, x1, 0);
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesAdded", s1, 0), >=, 0);
        g_assert_cmpint(find_prop_change(tb, dom, "HasCurrentSnapshot", 0), >=, 0);
        g_assert_cmpint(find_prop_change(tb, s1, "IsCurrent", 0), >=, 0);
        g_assert_cmpint(test_bus_find_signal(tb, "DomainEvent", NULL, 0), ==, -1);
        g_assert_true(test_prop_bool(tb, dom, "HasCurrentSnapshot"));
        g_assert_true(snap_bool(tb, s1, "IsCurrent"));
        g_assert_true(meta_exists(tb, "t1", "s1"));
        g_assert_true(img_has_snap(tb, disk, "s1"));
        {
                g_autofree char *name = snap_prop_str(tb, s1, "Name", 's');
                g_autofree char *d = snap_prop_str(tb, s1, "Domain", 'o');
                g_autofree char *look = snap_path_of(tb, dom, "s1");
                g_assert_cmpstr(name, ==, "s1");
                g_assert_cmpstr(d, ==, dom);
                g_assert_cmpstr(look, ==, s1);
        }

        /* s2, s3: a chain; the current one moves along, each change announced */
        test_bus_clear_signals(tb);
        s2 = snap_ok(tb, dom, x2, 0);
        i = find_prop_change(tb, s1, "IsCurrent", 0);
        j = find_prop_change(tb, s2, "IsCurrent", 0);
        g_assert_cmpint(i, >=, 0);
        g_assert_cmpint(j, >=, 0);
        g_assert_false(snap_bool(tb, s1, "IsCurrent"));
        g_assert_true(snap_bool(tb, s2, "IsCurrent"));
        {
                g_autofree char *m1 = meta_read(tb, "t1", "s1"), *m2 = meta_read(tb, "t1", "s2");
                g_assert_nonnull(strstr(m1, "<active>0</active>"));
                g_assert_nonnull(strstr(m2, "<active>1</active>"));
        }
        s3 = snap_ok(tb, dom, x3, 0);
        assert_parent(tb, s2, s1);
        assert_parent(tb, s3, s2);
        g_assert_null(get_parent(tb, s1, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT, "s1", "parent");
        sd_bus_error_free(&e);
        t->s1 = s1;
        t->s2 = s2;
        t->s3 = s3;
}

/* D37: an inactive revert, then the branch b1 */
static void tree_revert_and_branch(Tree *t) {
        TestBus *tb = t->tb;
        const char *dom = t->dom;
        const char *s1 = t->s1, *s3 = t->s3;
        g_autofree char *xb = named("b1");
        char *b1;

        /* D37: revert to s1 while inactive: only DEFINED/FROM_SNAPSHOT, s1 current again */
        test_bus_clear_signals(tb);
        snap_call_ok(tb, s1, "Revert", 0);
        g_assert_cmpint(e2e_find_event(tb, dom, 0, 3, 0), >=, 0);
        g_assert_cmpint(count_signals(tb, "DomainEvent", dom), ==, 1);
        g_assert_true(e2e_wait_state(tb, dom, 5, -1, 0));
        g_assert_cmpint(find_prop_change(tb, s3, "IsCurrent", 0), >=, 0);
        g_assert_cmpint(find_prop_change(tb, s1, "IsCurrent", 0), >=, 0);
        g_assert_true(snap_bool(tb, s1, "IsCurrent"));
        g_assert_false(snap_bool(tb, s3, "IsCurrent"));
        {
                g_autofree char *cur = current_of(tb, dom);
                g_assert_cmpstr(cur, ==, s1);
        }

        /* b1: a branch below s1 */
        b1 = snap_ok(tb, dom, xb, 0);
        assert_parent(tb, b1, s1);
        {
                g_autofree char *p = meta_parent(tb, "t1", "b1");
                g_assert_cmpstr(p, ==, "s1");
        }
        g_assert_true(snap_bool(tb, b1, "IsCurrent"));
        t->b1 = b1;
}

/* D47, D48: children, descendants and every list filter group */
static void tree_lists(Tree *t) {
        TestBus *tb = t->tb;
        const char *dom = t->dom;
        const char *s1 = t->s1, *s2 = t->s2, *s3 = t->s3, *b1 = t->b1;

        /* D47: children and descendants */
        {
                g_auto(GStrv) k0 = list_children(tb, s1, 0);
                g_auto(GStrv) kd = list_children(tb, s1, L_ROOTS /* DESCENDANTS */);
                g_auto(GStrv) kt = list_children(tb, s1, L_ROOTS | L_TOPOLOGICAL);
                g_auto(GStrv) kl = list_children(tb, s1, L_ROOTS | L_LEAVES);
                g_auto(GStrv) knl = list_children(tb, s1, L_ROOTS | L_NO_LEAVES);
                g_auto(GStrv) k2 = list_children(tb, s2, 0);
                g_auto(GStrv) k3 = list_children(tb, s3, L_ROOTS);
                assert_paths(k0, s2, b1);
                assert_paths(kd, s2, s3, b1);
                assert_paths(kt, s2, s3, b1);
                g_assert_cmpint(strv_index(kt, s2), <, strv_index(kt, s3));
                assert_paths(kl, s3, b1);
                assert_paths(knl, s2);
                assert_paths(k2, s3);
                assert_paths(k3);
        }
        /* D47, D48: every filter group */
        {
                g_auto(GStrv) all = list_snaps(tb, dom, 0);
                g_auto(GStrv) roots = list_snaps(tb, dom, L_ROOTS);
                g_auto(GStrv) leaves = list_snaps(tb, dom, L_LEAVES);
                g_auto(GStrv) noleaves = list_snaps(tb, dom, L_NO_LEAVES);
                g_auto(GStrv) both = list_snaps(tb, dom, L_LEAVES | L_NO_LEAVES);
                g_auto(GStrv) rootleaves = list_snaps(tb, dom, L_ROOTS | L_LEAVES);
                g_auto(GStrv) rootnoleaves = list_snaps(tb, dom, L_ROOTS | L_NO_LEAVES);
                g_auto(GStrv) meta = list_snaps(tb, dom, L_METADATA);
                g_auto(GStrv) nometa = list_snaps(tb, dom, L_NO_METADATA);
                g_auto(GStrv) anymeta = list_snaps(tb, dom, L_METADATA | L_NO_METADATA);
                g_auto(GStrv) inactive = list_snaps(tb, dom, L_INACTIVE);
                g_auto(GStrv) active = list_snaps(tb, dom, L_ACTIVE);
                g_auto(GStrv) diskonly = list_snaps(tb, dom, L_DISK_ONLY);
                g_auto(GStrv) actdisk = list_snaps(tb, dom, L_ACTIVE | L_DISK_ONLY);
                g_auto(GStrv) internal = list_snaps(tb, dom, L_INTERNAL);
                g_auto(GStrv) external = list_snaps(tb, dom, L_EXTERNAL);
                g_auto(GStrv) topo = list_snaps(tb, dom, L_TOPOLOGICAL);
                g_auto(GStrv) leafint = list_snaps(tb, dom, L_LEAVES | L_INTERNAL | L_INACTIVE | L_METADATA);
                assert_paths(all, s1, s2, s3, b1);
                assert_paths(roots, s1);
                assert_paths(leaves, s3, b1);
                assert_paths(noleaves, s1, s2);
                assert_paths(both, s1, s2, s3, b1);
                assert_paths(rootleaves);
                assert_paths(rootnoleaves, s1);
                assert_paths(meta, s1, s2, s3, b1);
                assert_paths(nometa);
                assert_paths(anymeta, s1, s2, s3, b1);
                assert_paths(inactive, s1, s2, s3, b1);
                assert_paths(active);
                assert_paths(diskonly);
                assert_paths(actdisk);
                assert_paths(internal, s1, s2, s3, b1);
                assert_paths(external);
                assert_paths(topo, s1, s2, s3, b1);
                assert_topological(tb, topo);
                g_assert_cmpint(strv_index(topo, s1), ==, 0);
                assert_paths(leafint, s3, b1);
        }
        /* ListDomains HAS_SNAPSHOT / NO_SNAPSHOT */
        {
                g_auto(GStrv) has = test_list_domains(tb, 4096);
                g_auto(GStrv) hasnot = test_list_domains(tb, 8192);
                g_assert_cmpint(strv_index(has, dom), >=, 0);
                g_assert_cmpint(strv_index(hasnot, dom), <, 0);
        }
}

/* D25: the tree after a daemon restart */
static void tree_restart(Tree *t) {
        TestBus *tb = t->tb;
        const char *dom = t->dom;
        const char *s1 = t->s1, *s2 = t->s2, *s3 = t->s3, *b1 = t->b1;

        /* D25: a restarted daemon has the same tree and the same current snapshot */
        test_bus_kill_name(tb, QEMU_BUS_NAME);
        {
                g_auto(GStrv) all = list_snaps(tb, dom, 0);
                g_auto(GStrv) k0 = list_children(tb, s1, 0);
                g_autofree char *cur = current_of(tb, dom);
                assert_paths(all, s1, s2, s3, b1);
                assert_paths(k0, s2, b1);
                assert_parent(tb, s2, s1);
                assert_parent(tb, s3, s2);
                assert_parent(tb, b1, s1);
                g_assert_cmpstr(cur, ==, b1);
                g_assert_true(snap_bool(tb, b1, "IsCurrent"));
                g_assert_false(snap_bool(tb, s1, "IsCurrent"));
                g_assert_true(test_prop_bool(tb, dom, "HasCurrentSnapshot"));
        }
}

/* D44: Delete with CHILDREN */
static void tree_delete_children(Tree *t) {
        TestBus *tb = t->tb;
        const char *dom = t->dom;
        const char *disk = t->disk, *s1 = t->s1, *s2 = t->s2, *s3 = t->s3, *b1 = t->b1;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        /* D44: CHILDREN takes the subtree; the current one (s3) was in it: current moves to s2's parent */
        snap_call_ok(tb, s3, "Revert", 0);
        g_assert_true(snap_bool(tb, s3, "IsCurrent"));
        test_bus_clear_signals(tb);
        snap_call_ok(tb, s2, "Delete", D_CHILDREN);
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesRemoved", s2, 0), >=, 0);
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesRemoved", s3, 0), >=, 0);
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesRemoved", s1, 0), ==, -1);
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesRemoved", b1, 0), ==, -1);
        g_assert_cmpint(find_prop_change(tb, s1, "IsCurrent", 0), >=, 0);
        g_assert_false(img_has_snap(tb, disk, "s2"));
        g_assert_false(img_has_snap(tb, disk, "s3"));
        g_assert_true(img_has_snap(tb, disk, "s1"));
        g_assert_true(img_has_snap(tb, disk, "b1"));
        g_assert_false(meta_exists(tb, "t1", "s2"));
        g_assert_false(meta_exists(tb, "t1", "s3"));
        g_assert_true(meta_exists(tb, "t1", "s1"));
        g_assert_true(snap_bool(tb, s1, "IsCurrent"));
        g_assert_true(test_prop_bool(tb, dom, "HasCurrentSnapshot"));
        {
                g_autofree char *cur = current_of(tb, dom);
                g_autofree char *m1 = meta_read(tb, "t1", "s1");
                g_auto(GStrv) all = list_snaps(tb, dom, 0);
                g_assert_cmpstr(cur, ==, s1);
                g_assert_nonnull(strstr(m1, "<active>1</active>"));
                assert_paths(all, s1, b1);
        }
        g_assert_cmpint(snap_call(tb, s2, "GetXMLDesc", 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT, "s2");
        sd_bus_error_free(&e);
        g_assert_cmpint(snap_call(tb, s3, "Delete", 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT, "s3");
        sd_bus_error_free(&e);
}

/* D44: Delete with CHILDREN_ONLY, current among the deleted or not */
static void tree_delete_children_only(Tree *t) {
        TestBus *tb = t->tb;
        const char *dom = t->dom;
        const char *disk = t->disk, *s1 = t->s1, *b1 = t->b1;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        /* D44: CHILDREN_ONLY keeps s1, which takes over from the deleted current c1 */
        {
                g_autofree char *xc = named("c1"), *c1 = snap_ok(tb, dom, xc, 0);
                assert_parent(tb, c1, s1);
                g_assert_true(snap_bool(tb, c1, "IsCurrent"));
                test_bus_clear_signals(tb);
                snap_call_ok(tb, s1, "Delete", D_CHILDREN_ONLY);
                g_assert_cmpint(test_bus_find_signal(tb, "InterfacesRemoved", c1, 0), >=, 0);
                g_assert_cmpint(test_bus_find_signal(tb, "InterfacesRemoved", b1, 0), >=, 0);
                g_assert_cmpint(test_bus_find_signal(tb, "InterfacesRemoved", s1, 0), ==, -1);
                g_assert_cmpint(find_prop_change(tb, s1, "IsCurrent", 0), >=, 0);
                g_assert_true(snap_bool(tb, s1, "IsCurrent"));
                g_assert_true(img_has_snap(tb, disk, "s1"));
                g_assert_false(img_has_snap(tb, disk, "b1"));
                g_assert_false(img_has_snap(tb, disk, "c1"));
                g_assert_true(meta_exists(tb, "t1", "s1"));
                g_assert_false(meta_exists(tb, "t1", "b1"));
                g_assert_false(meta_exists(tb, "t1", "c1"));
                {
                        g_auto(GStrv) all = list_snaps(tb, dom, 0);
                        g_auto(GStrv) k = list_children(tb, s1, L_ROOTS);
                        assert_paths(all, s1);
                        assert_paths(k);
                }
        }

        /* CHILDREN_ONLY when the current one is not among the deleted: current stays */
        {
                g_autofree char *xd = named("d1"), *d1 = snap_ok(tb, dom, xd, 0);
                snap_call_ok(tb, s1, "Revert", 0);
                g_assert_true(snap_bool(tb, s1, "IsCurrent"));
                snap_call_ok(tb, s1, "Delete", D_CHILDREN_ONLY);
                g_assert_true(snap_bool(tb, s1, "IsCurrent"));
                g_assert_false(img_has_snap(tb, disk, "d1"));
                g_assert_cmpint(snap_call(tb, d1, "GetXMLDesc", 0, &e), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT, "d1");
                sd_bus_error_free(&e);
        }
}

/* D42, D43: Delete in the middle of a chain, and METADATA_ONLY */
static void tree_delete_middle(Tree *t) {
        TestBus *tb = t->tb;
        const char *dom = t->dom;
        const char *disk = t->disk, *s1 = t->s1;

        /* D42: Delete(0) in the middle: the child moves up to the parent, its file is rewritten */
        {
                g_autofree char *xm2 = named("m2"), *xm3 = named("m3");
                g_autofree char *m2 = snap_ok(tb, dom, xm2, 0), *m3 = snap_ok(tb, dom, xm3, 0), *p = NULL;
                assert_parent(tb, m3, m2);
                snap_call_ok(tb, m2, "Delete", 0);
                assert_parent(tb, m3, s1);
                p = meta_parent(tb, "t1", "m3");
                g_assert_cmpstr(p, ==, "s1");
                g_assert_true(snap_bool(tb, m3, "IsCurrent"));
                g_assert_false(img_has_snap(tb, disk, "m2"));
                g_assert_false(meta_exists(tb, "t1", "m2"));

                /* D43: METADATA_ONLY: the record goes, the data stays; current moves to the parent */
                test_bus_clear_signals(tb);
                snap_call_ok(tb, m3, "Delete", D_METADATA_ONLY);
                g_assert_cmpint(test_bus_find_signal(tb, "InterfacesRemoved", m3, 0), >=, 0);
                g_assert_true(img_has_snap(tb, disk, "m3"));
                g_assert_false(meta_exists(tb, "t1", "m3"));
                g_assert_true(snap_bool(tb, s1, "IsCurrent"));
        }
}

/* the last snapshot goes; nothing comes back after a restart */
static void tree_delete_last(Tree *t) {
        TestBus *tb = t->tb;
        const char *dom = t->dom;
        const char *disk = t->disk, *s1 = t->s1, *dir = t->dir;

        /* the last one: nothing current any more, the directory has no snapshot file left */
        test_bus_clear_signals(tb);
        snap_call_ok(tb, s1, "Delete", D_METADATA_ONLY);
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesRemoved", s1, 0), >=, 0);
        g_assert_cmpint(find_prop_change(tb, dom, "HasCurrentSnapshot", 0), >=, 0);
        g_assert_false(test_prop_bool(tb, dom, "HasCurrentSnapshot"));
        g_assert_true(img_has_snap(tb, disk, "s1"));
        g_assert_false(meta_exists(tb, "t1", "s1"));
        {
                g_auto(GStrv) all = list_snaps(tb, dom, 0);
                g_auto(GStrv) hasnot = test_list_domains(tb, 8192);
                assert_paths(all);
                g_assert_cmpint(strv_index(hasnot, dom), >=, 0);
        }
        test_assert_no_temp_files(dir);
        /* and after another restart nothing comes back */
        test_bus_kill_name(tb, QEMU_BUS_NAME);
        {
                g_auto(GStrv) all = list_snaps(tb, dom, 0);
                assert_paths(all);
                g_assert_false(test_prop_bool(tb, dom, "HasCurrentSnapshot"));
        }
}

static void test_tree(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "tree.qcow2");
        g_autofree char *dev = disk_xml(disk, "qcow2", "vda");
        g_autofree char *dom = define(tb, "t1", UUID_T1, NULL, dev);
        g_autofree char *dir = meta_dir(tb, "t1");
        Tree t = { .tb = tb, .disk = disk, .dom = dom, .dir = dir };

        tree_chain(&t);
        tree_revert_and_branch(&t);
        tree_lists(&t);
        tree_restart(&t);
        tree_delete_children(&t);
        tree_delete_children_only(&t);
        tree_delete_middle(&t);
        tree_delete_last(&t);
        g_free(t.s1);
        g_free(t.s2);
        g_free(t.s3);
        g_free(t.b1);
}

/* D48: the state and location filter groups, on snapshots recorded with REDEFINE */
static void test_list_filters(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "f.qcow2");
        g_autofree char *dev = disk_xml(disk, "qcow2", "vda");
        g_autofree char *dom = define(tb, "t2", UUID_T2, NULL, dev);
        g_autofree char *ext = g_strdup_printf("<memory snapshot='no'/><disks><disk name='vda' snapshot='external'>"
                                               "<driver type='qcow2'/><source file='%s/f.dk'/></disk></disks>",
                                               tb->dir);
        g_autofree char *xoff = redef_xml("off", "shutoff", NULL, "<memory snapshot='no'/>");
        g_autofree char *xon = redef_xml("on", "running", "off", "<memory snapshot='internal'/>");
        g_autofree char *xpa = redef_xml("pa", "paused", "on", "<memory snapshot='internal'/>");
        g_autofree char *xdk = redef_xml("dk", "disk-snapshot", NULL, ext);
        g_autofree char *off = NULL, *on = NULL, *pa = NULL, *dk = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        off = snap_ok(tb, dom, xoff, C_REDEFINE);
        on = snap_ok(tb, dom, xon, C_REDEFINE);
        pa = snap_ok(tb, dom, xpa, C_REDEFINE);
        dk = snap_ok(tb, dom, xdk, C_REDEFINE | C_DISK_ONLY);
        /* D30: REDEFINE without CURRENT leaves the current snapshot alone (none) */
        g_assert_false(test_prop_bool(tb, dom, "HasCurrentSnapshot"));
        g_assert_cmpint(test_call(tb, dom, DOMAIN_IFACE, "SnapshotCurrent", &e, NULL, "u", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT, "current snapshot");
        sd_bus_error_free(&e);
        g_assert_true(meta_exists(tb, "t2", "dk"));
        {
                g_auto(GStrv) all = list_snaps(tb, dom, 0);
                g_auto(GStrv) roots = list_snaps(tb, dom, L_ROOTS);
                g_auto(GStrv) inactive = list_snaps(tb, dom, L_INACTIVE);
                g_auto(GStrv) active = list_snaps(tb, dom, L_ACTIVE);
                g_auto(GStrv) diskonly = list_snaps(tb, dom, L_DISK_ONLY);
                g_auto(GStrv) inact_disk = list_snaps(tb, dom, L_INACTIVE | L_DISK_ONLY);
                g_auto(GStrv) act_inact = list_snaps(tb, dom, L_ACTIVE | L_INACTIVE);
                g_auto(GStrv) allstates = list_snaps(tb, dom, L_ACTIVE | L_INACTIVE | L_DISK_ONLY);
                g_auto(GStrv) internal = list_snaps(tb, dom, L_INTERNAL);
                g_auto(GStrv) external = list_snaps(tb, dom, L_EXTERNAL);
                g_auto(GStrv) bothloc = list_snaps(tb, dom, L_INTERNAL | L_EXTERNAL);
                g_auto(GStrv) act_ext = list_snaps(tb, dom, L_ACTIVE | L_EXTERNAL);
                g_auto(GStrv) leaves = list_snaps(tb, dom, L_LEAVES);
                g_auto(GStrv) leaves_int = list_snaps(tb, dom, L_LEAVES | L_INTERNAL);
                g_auto(GStrv) roots_int = list_snaps(tb, dom, L_ROOTS | L_INTERNAL);
                g_auto(GStrv) nometa_inactive = list_snaps(tb, dom, L_NO_METADATA | L_INACTIVE);
                g_auto(GStrv) meta_ext = list_snaps(tb, dom, L_METADATA | L_EXTERNAL);
                g_auto(GStrv) topo = list_snaps(tb, dom, L_TOPOLOGICAL);
                g_auto(GStrv) k_off_act = list_children(tb, off, L_ROOTS | L_ACTIVE);
                g_auto(GStrv) k_off_inact = list_children(tb, off, L_ROOTS | L_INACTIVE);
                g_auto(GStrv) k_off_leaves = list_children(tb, off, L_ROOTS | L_LEAVES);
                assert_paths(all, off, on, pa, dk);
                assert_paths(roots, off, dk);
                assert_paths(inactive, off);
                assert_paths(active, on, pa);
                assert_paths(diskonly, dk);
                assert_paths(inact_disk, off, dk);
                assert_paths(act_inact, off, on, pa);
                assert_paths(allstates, off, on, pa, dk);
                assert_paths(internal, off, on, pa);
                assert_paths(external, dk);
                assert_paths(bothloc, off, on, pa, dk);
                assert_paths(act_ext);
                assert_paths(leaves, pa, dk);
                assert_paths(leaves_int, pa);
                assert_paths(roots_int, off);
                assert_paths(nometa_inactive);
                assert_paths(meta_ext, dk);
                assert_paths(topo, off, on, pa, dk);
                assert_topological(tb, topo);
                g_assert_cmpint(strv_index(topo, off), <, strv_index(topo, on));
                g_assert_cmpint(strv_index(topo, on), <, strv_index(topo, pa));
                assert_paths(k_off_act, on, pa);
                assert_paths(k_off_inact);
                assert_paths(k_off_leaves, pa);
        }
        /* 0.6: an unknown list bit */
        g_assert_cmpint(test_call(tb, dom, DOMAIN_IFACE, "ListDomainSnapshots", &e, NULL, "u", 2048), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "0x800");
        sd_bus_error_free(&e);
        g_assert_cmpint(snap_call(tb, off, "ListChildren", 2048, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "0x800");
        sd_bus_error_free(&e);

        /* REDEFINE|CURRENT makes it current */
        {
                g_autofree char *again = snap_ok(tb, dom, xon, C_REDEFINE | C_CURRENT);
                g_assert_cmpstr(again, ==, on);
                g_assert_true(snap_bool(tb, on, "IsCurrent"));
                g_assert_true(test_prop_bool(tb, dom, "HasCurrentSnapshot"));
                /* child links kept (D29) */
                g_auto(GStrv) k = list_children(tb, on, 0);
                assert_paths(k, pa);
        }
}

/* ==================== 2. disk contents ==================== */

/* D15, D37: an internal snapshot of an inactive guest brings the disk contents back */
static void test_disk_contents(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "k.qcow2");
        g_autofree char *dev = disk_xml(disk, "qcow2", "vda");
        g_autofree char *dom = define(tb, "k1", UUID_K1, NULL, dev);
        g_autofree char *x1 = named("s1"), *x2 = named("s2"), *s1 = NULL, *s2 = NULL;
        int state, reason;

        g_assert_cmpint(qemu_io(tb, disk, "write -P 0x11 0 64k"), ==, 0);
        test_bus_clear_signals(tb);
        s1 = snap_ok(tb, dom, x1, 0);
        g_assert_cmpint(test_bus_find_signal(tb, "DomainEvent", NULL, 0), ==, -1);
        g_assert_true(img_has_snap(tb, disk, "s1"));

        /* the host changes the disk */
        g_assert_cmpint(qemu_io(tb, disk, "write -P 0xab 0 64k"), ==, 0);
        g_assert_cmpint(qemu_io(tb, disk, "write -P 0xcd 1M 64k"), ==, 0);
        g_assert_cmpint(qemu_io(tb, disk, "read -P 0xab 0 64k"), ==, 0);
        s2 = snap_ok(tb, dom, x2, 0);

        test_bus_clear_signals(tb);
        snap_call_ok(tb, s1, "Revert", 0);
        g_assert_cmpint(qemu_io(tb, disk, "read -P 0x11 0 64k"), ==, 0);
        g_assert_cmpint(qemu_io(tb, disk, "read -P 0xab 0 64k"), !=, 0);
        g_assert_cmpint(qemu_io(tb, disk, "read -P 0 1M 64k"), ==, 0);
        g_assert_cmpint(qemu_io(tb, disk, "read -P 0xcd 1M 64k"), !=, 0);
        /* still inactive, one DEFINED/FROM_SNAPSHOT */
        test_prop_state(tb, dom, &state, &reason);
        g_assert_cmpint(state, ==, 5);
        g_assert_cmpint(e2e_find_event(tb, dom, 0, 3, 0), >=, 0);
        g_assert_cmpint(count_signals(tb, "DomainEvent", dom), ==, 1);
        g_assert_true(snap_bool(tb, s1, "IsCurrent"));
        /* both snapshots still in the image */
        g_assert_true(img_has_snap(tb, disk, "s1"));
        g_assert_true(img_has_snap(tb, disk, "s2"));

        /* and forward again to s2 */
        snap_call_ok(tb, s2, "Revert", 0);
        g_assert_cmpint(qemu_io(tb, disk, "read -P 0xab 0 64k"), ==, 0);
        g_assert_cmpint(qemu_io(tb, disk, "read -P 0xcd 1M 64k"), ==, 0);

        /* D37 RUNNING: revert to an inactive snapshot and boot */
        test_bus_clear_signals(tb);
        snap_call_ok(tb, s1, "Revert", R_RUNNING);
        g_assert_true(e2e_wait_state(tb, dom, 1, 4, 10000));
        g_assert_cmpint(e2e_find_event(tb, dom, 2, 3, 0), >=, 0);
        g_assert_true(e2e_wait_serial(tb, "k1", "TESTGUEST READY", 1, BOOT_MS));
}

/* ==================== 3. configurations after revert ==================== */

/* D6, D30, D35: with <inactiveDomain> the persistent definition comes from it; without, from <domain> */
static void test_revert_without_inactive_domain(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "c.qcow2");
        g_autofree char *dev = disk_xml(disk, "qcow2", "vda");
        g_autofree char *dom = define(tb, "c1", UUID_C1, "testguest.tick=1", dev);
        g_autofree char *xml = e2e_guest_xml(tb, "c1", UUID_C1, "testguest.tick=1", NULL, dev);
        g_autofree char *xs = named("S"), *s = NULL, *full = NULL, *inactive_elem = NULL, *stripped = NULL;
        g_autofree char *cfgfile = test_config_file(tb, "c1");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        GString *g;

        g_assert_cmpint(e2e_domain_call(tb, dom, "Create", false, 0, &e), >=, 0);
        g_assert_true(e2e_wait_serial(tb, "c1", "TESTGUEST TICK 1", 1, BOOT_MS));
        g = g_string_new(xml);
        g_string_replace(g, "<memory unit='MiB'>128</memory>", "<memory unit='MiB'>256</memory>", 1);
        g_free(test_define(tb, g->str, 0, &e));
        g_assert_false(sd_bus_error_is_set(&e));
        g_assert_true(test_prop_bool(tb, dom, "Updated"));
        s = snap_ok(tb, dom, xs, 0);

        full = snap_xml(tb, s, 1 /* SECURE */);
        inactive_elem = element(full, "inactiveDomain");
        g_assert_nonnull(inactive_elem);
        g_assert_nonnull(strstr(inactive_elem, "<memory unit='KiB'>262144</memory>"));
        {
                g_autofree char *d = element(full, "domain");
                g_assert_nonnull(strstr(d, "<memory unit='KiB'>131072</memory>"));
        }

        /* the full variant: the persistent definition after the revert is <inactiveDomain>, to the byte */
        g_string_replace(g, "<memory unit='MiB'>256</memory>", "<memory unit='MiB'>384</memory>", 1);
        g_free(test_define(tb, g->str, 0, &e));
        g_assert_true(e2e_wait_serial(tb, "c1", "TESTGUEST TICK 6\r", 1, 20000));
        test_bus_clear_signals(tb);
        snap_call_ok(tb, s, "Revert", 0);
        g_assert_true(e2e_wait_state(tb, dom, 1, 4, 0));
        g_assert_cmpint(e2e_find_event(tb, dom, 0, 3, 0), >=, 0);
        {
                g_autofree char *inactive = test_get_xml(tb, dom, 2 | 1);
                g_autofree char *want = as_domain_document(inactive_elem, "inactiveDomain");
                g_autofree char *file = test_read_file(cfgfile);
                g_autofree char *live = test_get_xml(tb, dom, 0);
                g_assert_cmpstr(g_strstrip(inactive), ==, want);
                g_assert_nonnull(strstr(file, want));
                g_assert_nonnull(strstr(live, "<memory unit='KiB'>131072</memory>"));
                g_assert_true(test_prop_bool(tb, dom, "Updated"));
        }

        /* the snapshot as older tools wrote it: no <inactiveDomain> */
        stripped = strip_element(full, "inactiveDomain");
        g_assert_null(strstr(stripped, "inactiveDomain"));
        g_assert_nonnull(strstr(stripped, "<state>running</state>"));
        snap_call_ok(tb, s, "Delete", D_METADATA_ONLY);
        g_assert_false(meta_exists(tb, "c1", "S"));
        g_assert_true(img_has_snap(tb, disk, "S"));
        {
                g_autofree char *again = snap_ok(tb, dom, stripped, C_REDEFINE | C_CURRENT);
                g_autofree char *meta = meta_read(tb, "c1", "S");
                g_autofree char *back = snap_xml(tb, again, 1);
                g_assert_cmpstr(again, ==, s);
                g_assert_null(strstr(meta, "inactiveDomain"));
                g_assert_null(strstr(back, "inactiveDomain"));
                g_assert_true(snap_bool(tb, s, "IsCurrent"));
        }
        /* a new pending definition again, then revert: both definitions are <domain>'s */
        g_free(test_define(tb, g->str, 0, &e));
        g_string_free(g, TRUE);
        g_assert_true(test_prop_bool(tb, dom, "Updated"));
        /* the guest runs on past the snapshot's moment once more */
        g_assert_true(e2e_wait_serial(tb, "c1", "TESTGUEST TICK 6\r", 2, 20000));
        test_bus_clear_signals(tb);
        snap_call_ok(tb, s, "Revert", 0);
        g_assert_true(e2e_wait_state(tb, dom, 1, 4, 0));
        g_assert_cmpint(e2e_find_event(tb, dom, 5, 6, 0), >=, 0);
        g_assert_cmpint(e2e_find_event(tb, dom, 2, 3, 0), >=, 0);
        g_assert_cmpint(e2e_find_event(tb, dom, 0, 3, 0), >=, 0);
        {
                g_autofree char *live = test_get_xml(tb, dom, 0);
                g_autofree char *inactive = test_get_xml(tb, dom, 2);
                g_autofree char *file = test_read_file(cfgfile);
                g_assert_nonnull(strstr(live, "<memory unit='KiB'>131072</memory>"));
                g_assert_nonnull(strstr(inactive, "<memory unit='KiB'>131072</memory>"));
                g_assert_null(strstr(inactive, "262144"));
                g_assert_null(strstr(inactive, "393216"));
                g_assert_nonnull(strstr(file, "<memory unit='KiB'>131072</memory>"));
                g_assert_null(strstr(file, "262144"));
                g_assert_null(strstr(file, "393216"));
                g_assert_false(test_prop_bool(tb, dom, "Updated"));
        }
        /* the guest runs from the snapshot's memory: the tick counter went back, a third "TICK 5" */
        g_assert_true(e2e_wait_serial(tb, "c1", "TESTGUEST TICK 5\r", 3, 20000));
        g_assert_cmpint(e2e_serial_count(tb, "c1", "TESTGUEST READY"), ==, 1);
}

/* ==================== 4. undefine ==================== */

/* B6, B7, B12 */
static void test_undefine(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "u.qcow2");
        g_autofree char *dev = disk_xml(disk, "qcow2", "vda");
        g_autofree char *dom = define(tb, "u1", UUID_U1, NULL, dev);
        g_autofree char *x1 = named("s1"), *x2 = named("s2"), *s1 = NULL, *s2 = NULL;
        g_autofree char *dir = meta_dir(tb, "u1"), *before = NULL, *after = NULL, *cfg = test_config_file(tb, "u1");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int ev, rm, snap_removed_1, snap_removed_2;

        s1 = snap_ok(tb, dom, x1, 0);
        s2 = snap_ok(tb, dom, x2, 0);
        before = test_dir_snapshot(dir);
        test_bus_clear_signals(tb);
        g_assert_cmpint(e2e_domain_call(tb, dom, "Undefine", false, 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "2");
        sd_bus_error_free(&e);
        after = test_dir_snapshot(dir);
        g_assert_cmpstr(before, ==, after);
        test_assert_no_domain_signals(tb);
        g_assert_true(g_file_test(cfg, G_FILE_TEST_EXISTS));

        g_assert_cmpint(e2e_domain_call(tb, dom, "Undefine", false, 2 /* SNAPSHOTS_METADATA */, &e), >=, 0);
        g_assert_false(g_file_test(dir, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(cfg, G_FILE_TEST_EXISTS));
        g_assert_true(img_has_snap(tb, disk, "s1"));
        g_assert_true(img_has_snap(tb, disk, "s2"));
        ev = e2e_find_event(tb, dom, 1, 0, 0);
        rm = test_bus_find_signal(tb, "InterfacesRemoved", dom, 0);
        g_assert_cmpint(ev, >=, 0);
        g_assert_cmpint(rm, >, ev);
        g_assert_null(test_lookup(tb, "DomainLookupByName", "u1", &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN, "u1");
        sd_bus_error_free(&e);
        snap_removed_1 = test_bus_find_signal(tb, "InterfacesRemoved", s1, 0);
        snap_removed_2 = test_bus_find_signal(tb, "InterfacesRemoved", s2, 0);

        /* the same name again starts without snapshots, also after a restart */
        g_free(dom);
        dom = define(tb, "u1", UUID_U1, NULL, dev);
        {
                g_auto(GStrv) all = list_snaps(tb, dom, 0);
                assert_paths(all);
        }
        g_assert_false(test_prop_bool(tb, dom, "HasCurrentSnapshot"));
        test_bus_kill_name(tb, QEMU_BUS_NAME);
        {
                g_auto(GStrv) all = list_snaps(tb, dom, 0);
                assert_paths(all);
        }
        /* 0.1: the snapshot objects went away with the domain, announced after its UNDEFINED event */
        g_assert_cmpint(snap_removed_1, >, ev);
        g_assert_cmpint(snap_removed_2, >, ev);
}

/* ==================== 5. errors ==================== */

#define expect_create_error(tb, dom, xml, flags, name, ...)                                     \
        do {                                                                                    \
                g_auto(sd_bus_error) _e = SD_BUS_ERROR_NULL;                                    \
                g_autofree char *_p = snap_create((tb), (dom), (xml), (flags), &_e);            \
                if (_p)                                                                         \
                        g_error("line %d: SnapshotCreateXML(%s, %u) succeeded: %s", __LINE__,  \
                                (xml), (unsigned) (flags), _p);                                 \
                assert_bus_error(&_e, (name), ##__VA_ARGS__);                                   \
        } while (0)

#define expect_snap_error(tb, snap, method, flags, name, ...)                                   \
        do {                                                                                    \
                g_auto(sd_bus_error) _e = SD_BUS_ERROR_NULL;                                    \
                if (snap_call((tb), (snap), (method), (flags), &_e) >= 0)                       \
                        g_error("line %d: %s(%u) succeeded", __LINE__, (method), (unsigned) (flags)); \
                assert_bus_error(&_e, (name), ##__VA_ARGS__);                                   \
        } while (0)

/* test_errors_inactive's steps share one domain with two snapshots */
typedef struct Errs {
        TestBus *tb;
        const char *dom, *disk, *disk2, *dev, *domxml, *dir, *cfgfile;
        const char *s1, *s2, *x1;
} Errs;

/* 0.6, 0.11, D1, D4, D5, D7, D10, D12–D14, D19: SnapshotCreateXML refused */
static void errors_create(const Errs *c) {
        TestBus *tb = c->tb;
        const char *dom = c->dom;
        const char *x1 = c->x1;

        /* 0.6, 0.11, D7 */
        expect_create_error(tb, dom, x1, 1024, VMMD_DBUS_ERROR_INVALID_ARG, "0x400");
        expect_create_error(tb, dom, "", 0, VMMD_DBUS_ERROR_INVALID_ARG);
        expect_create_error(tb, dom, x1, C_REDEFINE | C_NO_METADATA, VMMD_DBUS_ERROR_INVALID_ARG, "REDEFINE",
                            "NO_METADATA");
        expect_create_error(tb, dom, x1, C_REDEFINE | C_HALT, VMMD_DBUS_ERROR_INVALID_ARG, "REDEFINE", "HALT");
        expect_create_error(tb, dom, x1, C_LIVE | C_REDEFINE, VMMD_DBUS_ERROR_INVALID_ARG, "LIVE", "REDEFINE");
        expect_create_error(tb, dom, x1, C_CURRENT, VMMD_DBUS_ERROR_INVALID_ARG, "CURRENT", "REDEFINE");
        expect_create_error(tb, dom, x1, C_QUIESCE, VMMD_DBUS_ERROR_INVALID_ARG, "QUIESCE", "DISK_ONLY");
        /* D10: LIVE always */
        {
                g_autofree char *x = named("live");
                expect_create_error(tb, dom, x, C_LIVE, VMMD_DBUS_ERROR_OPERATION_UNSUPPORTED);
        }
        /* D19: QUIESCE without an agent */
        {
                g_autofree char *x = named("q");
                expect_create_error(tb, dom, x, C_QUIESCE | C_DISK_ONLY, VMMD_DBUS_ERROR_ARGUMENT_UNSUPPORTED,
                                    "agent");
        }
        /* D1: VALIDATE */
        expect_create_error(tb, dom, "<domainsnapshot><name>v</name><bogus/></domainsnapshot>", C_VALIDATE,
                            VMMD_DBUS_ERROR_XML_INVALID_SCHEMA);
        /* D4 */
        expect_create_error(tb, dom, "<domainsnapshot><name>.hidden</name></domainsnapshot>", 0,
                            VMMD_DBUS_ERROR_XML_DETAIL, ".hidden");
        /* D5 */
        expect_create_error(tb, dom, "<domainsnapshot><name>m</name><memory snapshot='internal'/></domainsnapshot>",
                            0, VMMD_DBUS_ERROR_XML_ERROR, "offline");
        expect_create_error(tb, dom, "<domainsnapshot><name>m</name><memory snapshot='no' file='/tmp/x.mem'/></domainsnapshot>", 0,
                            VMMD_DBUS_ERROR_XML_ERROR);
        expect_create_error(tb, dom, "<domainsnapshot><name>m</name><memory snapshot='manual'/></domainsnapshot>", 0,
                            VMMD_DBUS_ERROR_XML_ERROR);
        expect_create_error(tb, dom,
                            "<domainsnapshot><name>m</name><disks><disk name='vda' snapshot='external'>"
                            "<source file='rel.qcow2'/></disk></disks></domainsnapshot>",
                            0, VMMD_DBUS_ERROR_XML_ERROR, "rel.qcow2");
        /* D14 */
        expect_create_error(tb, dom, x1, 0, VMMD_DBUS_ERROR_OPERATION_FAILED, "s1");
        /* D12 */
        expect_create_error(tb, dom,
                            "<domainsnapshot><name>n</name><disks><disk name='vda' snapshot='no'/></disks>"
                            "</domainsnapshot>",
                            0, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "all disks");
        expect_create_error(tb, dom,
                            "<domainsnapshot><name>n</name><disks><disk name='vda' snapshot='no'/></disks>"
                            "</domainsnapshot>",
                            C_DISK_ONLY, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "disk-only");
        {
                g_autofree char *x = g_strdup_printf("<domainsnapshot><name>n</name><disks><disk name='vda' "
                                                     "snapshot='external'><driver type='raw'/><source file='%s/e.n'/>"
                                                     "</disk></disks></domainsnapshot>", tb->dir);
                expect_create_error(tb, dom, x, 0, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "raw");
        }
        /* D13: an existing overlay; REUSE_EXT with a missing one */
        {
                g_autofree char *ov = g_strdup_printf("%s/e.ov", tb->dir), *missing = g_strdup_printf("%s/e.none", tb->dir);
                g_autofree char *x = g_strdup_printf("<domainsnapshot><name>o</name><disks><disk name='vda' "
                                                     "snapshot='external'><source file='%s'/></disk></disks>"
                                                     "</domainsnapshot>", ov);
                g_autofree char *xm = g_strdup_printf("<domainsnapshot><name>o</name><disks><disk name='vda' "
                                                      "snapshot='external'><source file='%s'/></disk></disks>"
                                                      "</domainsnapshot>", missing);
                g_autofree char *ovbefore = NULL, *ovafter = NULL;
                test_write_file(ov, "not empty");
                ovbefore = test_read_file(ov);
                expect_create_error(tb, dom, x, 0, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, ov);
                expect_create_error(tb, dom, x, C_DISK_ONLY, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, ov);
                expect_create_error(tb, dom, xm, C_REUSE_EXT, VMMD_DBUS_ERROR_SYSTEM_ERROR, "missing");
                g_assert_false(g_file_test(missing, G_FILE_TEST_EXISTS));
                ovafter = test_read_file(ov);
                g_assert_cmpstr(ovbefore, ==, ovafter);
        }
}

/* D27–D29: REDEFINE refused */
static void errors_redefine(const Errs *c) {
        TestBus *tb = c->tb;
        const char *dom = c->dom;
        const char *dev = c->dev;

        /* D27 */
        expect_create_error(tb, dom, "<domainsnapshot><state>shutoff</state><creationTime>1</creationTime>"
                                     "</domainsnapshot>",
                            C_REDEFINE, VMMD_DBUS_ERROR_XML_ERROR);
        expect_create_error(tb, dom, "<domainsnapshot><name>r</name><creationTime>1</creationTime></domainsnapshot>",
                            C_REDEFINE, VMMD_DBUS_ERROR_XML_ERROR);
        expect_create_error(tb, dom, "<domainsnapshot><name>r</name><state>shutoff</state></domainsnapshot>",
                            C_REDEFINE, VMMD_DBUS_ERROR_INTERNAL_ERROR, "creationTime");
        {
                g_autofree char *x = redef_xml("r", "dozing", NULL, NULL);
                expect_create_error(tb, dom, x, C_REDEFINE, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED);
        }
        /* D28 */
        {
                g_autofree char *other = e2e_guest_xml(tb, "e1", UUID_OTHER, NULL, NULL, dev);
                g_autofree char *x = redef_xml("r", "shutoff", NULL, other);
                g_autofree char *xp = redef_xml("r", "shutoff", "nosuch", NULL);
                g_autofree char *xa = redef_xml("s1", "shutoff", "s2", NULL);
                g_autofree char *xd = redef_xml("r", "shutoff", NULL, NULL);
                expect_create_error(tb, dom, x, C_REDEFINE, VMMD_DBUS_ERROR_INVALID_ARG);
                expect_create_error(tb, dom, xp, C_REDEFINE, VMMD_DBUS_ERROR_INVALID_ARG, "parent", "nosuch", "r");
                expect_create_error(tb, dom, xa, C_REDEFINE, VMMD_DBUS_ERROR_INVALID_ARG, "s1");
                expect_create_error(tb, dom, xd, C_REDEFINE | C_DISK_ONLY, VMMD_DBUS_ERROR_INVALID_ARG);
        }
        /* D29: an existing offline snapshot cannot become an online one */
        {
                g_autofree char *x = redef_xml("s1", "running", NULL, "<memory snapshot='internal'/>");
                expect_create_error(tb, dom, x, C_REDEFINE, VMMD_DBUS_ERROR_INVALID_ARG);
        }
}

/* D31, D41, D49, 0.4, 0.6, 0.10: calls on snapshots refused; read-only callers may read */
static void errors_snapshot_calls(const Errs *c) {
        TestBus *tb = c->tb;
        const char *dom = c->dom;
        const char *s1 = c->s1, *s2 = c->s2, *x1 = c->x1;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        /* D31, D41, 0.6 */
        expect_snap_error(tb, s1, "Revert", R_RUNNING | R_PAUSED, VMMD_DBUS_ERROR_INVALID_ARG, "RUNNING", "PAUSED");
        expect_snap_error(tb, s1, "Revert", 16, VMMD_DBUS_ERROR_INVALID_ARG, "0x10");
        expect_snap_error(tb, s1, "Delete", D_CHILDREN | D_CHILDREN_ONLY, VMMD_DBUS_ERROR_INVALID_ARG, "CHILDREN",
                          "CHILDREN_ONLY");
        expect_snap_error(tb, s1, "Delete", 8, VMMD_DBUS_ERROR_INVALID_ARG, "0x8");
        expect_snap_error(tb, s1, "GetXMLDesc", 2, VMMD_DBUS_ERROR_INVALID_ARG, "0x2");
        expect_snap_error(tb, s1, "GetParent", 1, VMMD_DBUS_ERROR_INVALID_ARG);
        /* D49 */
        expect_snap_error(tb, s1, "GetParent", 0, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT, "s1", "parent");
        g_assert_cmpint(test_call(tb, dom, DOMAIN_IFACE, "SnapshotLookupByName", &e, NULL, "su", "nosuch", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT, "nosuch");
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call(tb, dom, DOMAIN_IFACE, "SnapshotLookupByName", &e, NULL, "su", "s1", 1), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG);
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call(tb, dom, DOMAIN_IFACE, "SnapshotCurrent", &e, NULL, "u", 1), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG);
        sd_bus_error_free(&e);
        {
                g_autofree char *gone = g_strdup_printf("%s/snapshot/nosuch", dom);
                expect_snap_error(tb, gone, "GetXMLDesc", 0, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT, "nosuch");
                expect_snap_error(tb, gone, "Revert", 0, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT, "nosuch");
                expect_snap_error(tb, gone, "Delete", 0, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT, "nosuch");
        }

        /* 0.10: read-only callers */
        g_assert_cmpint(test_call_nobody(tb, dom, DOMAIN_IFACE, "SnapshotCreateXML", &e, "su", x1, 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED, "SnapshotCreateXML");
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call_nobody(tb, s1, SNAP_IFACE, "Revert", &e, "u", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED, "Revert");
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call_nobody(tb, s1, SNAP_IFACE, "Delete", &e, "u", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED, "Delete");
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call_nobody(tb, s1, SNAP_IFACE, "GetXMLDesc", &e, "u", 1), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED);
        sd_bus_error_free(&e);
        /* 0.4: OperationDenied before InvalidArg */
        g_assert_cmpint(test_call_nobody(tb, s1, SNAP_IFACE, "Delete", &e, "u", D_CHILDREN | D_CHILDREN_ONLY), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED, "Delete");
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call_nobody(tb, s1, SNAP_IFACE, "GetXMLDesc", &e, "u", 0), >=, 0);
        g_assert_cmpint(test_call_nobody(tb, s2, SNAP_IFACE, "GetParent", &e, "u", 0), >=, 0);
        g_assert_cmpint(test_call_nobody(tb, s1, SNAP_IFACE, "ListChildren", &e, "u", L_ROOTS), >=, 0);
        g_assert_cmpint(test_call_nobody(tb, dom, DOMAIN_IFACE, "ListDomainSnapshots", &e, "u", 0), >=, 0);
        g_assert_cmpint(test_call_nobody(tb, dom, DOMAIN_IFACE, "SnapshotLookupByName", &e, "su", "s1", 0), >=, 0);
        g_assert_cmpint(test_call_nobody(tb, dom, DOMAIN_IFACE, "SnapshotCurrent", &e, "u", 0), >=, 0);
        g_assert_cmpint(test_call_nobody(tb, s1, "org.freedesktop.DBus.Properties", "Get", &e, "ss", SNAP_IFACE,
                                         "IsCurrent"), >=, 0);
}

/* D33, D39, D45: reverts and deletes refused for what the snapshot lacks */
static void errors_revert_risky(const Errs *c) {
        TestBus *tb = c->tb;
        const char *dom = c->dom;
        const char *disk = c->disk, *domxml = c->domxml, *dir = c->dir, *s1 = c->s1, *s2 = c->s2;

        /* D33: a snapshot with only the uuid of its domain cannot be reverted, not even with FORCE */
        {
                g_autofree char *x = redef_xml("old", "shutoff", NULL, "<domain><uuid>" UUID_E1 "</uuid></domain>");
                g_autofree char *old = snap_ok(tb, dom, x, C_REDEFINE);
                g_autofree char *back = snap_xml(tb, old, 0);
                g_assert_nonnull(strstr(back, UUID_E1));
                expect_snap_error(tb, old, "Revert", 0, VMMD_DBUS_ERROR_SNAPSHOT_REVERT_RISKY, "rollback");
                expect_snap_error(tb, old, "Revert", R_FORCE, VMMD_DBUS_ERROR_SNAPSHOT_REVERT_RISKY, "rollback");
                snap_call_ok(tb, old, "Delete", D_METADATA_ONLY);
        }
        /* D39: disk-snapshot and pmsuspended states. (A disk-snapshot whose disks are external is
         * reverted as D38 says, the lead's choice following issue 5; one without external disks is refused.) */
        {
                g_autofree char *extra = g_strdup_printf("<memory snapshot='no'/>%s", domxml);
                g_autofree char *x = redef_xml("dk", "disk-snapshot", NULL, extra);
                g_autofree char *xp = redef_xml("pm", "pmsuspended", NULL, domxml);
                g_autofree char *dk = snap_ok(tb, dom, x, C_REDEFINE);
                g_autofree char *pm = snap_ok(tb, dom, xp, C_REDEFINE);
                expect_snap_error(tb, dk, "Revert", 0, VMMD_DBUS_ERROR_INTERNAL_ERROR, "disk-snapshot");
                expect_snap_error(tb, pm, "Revert", 0, VMMD_DBUS_ERROR_OPERATION_UNSUPPORTED);
                /* D45: CHILDREN reaching an external snapshot: refused, nothing changed */
                {
                        g_autofree char *xc = g_strdup_printf("<domainsnapshot><name>xc</name><state>shutoff</state>"
                                                              "<parent><name>s2</name></parent>"
                                                              "<creationTime>1700000001</creationTime>"
                                                              "<memory snapshot='no'/><disks><disk name='vda' "
                                                              "snapshot='external'><source file='%s/e.xc'/></disk>"
                                                              "</disks>%s</domainsnapshot>", tb->dir, domxml);
                        g_autofree char *xcp = snap_ok(tb, dom, xc, C_REDEFINE);
                        g_autofree char *b2 = test_dir_snapshot(dir);
                        g_autofree char *a2 = NULL;
                        test_bus_clear_signals(tb);
                        expect_snap_error(tb, s2, "Delete", D_CHILDREN, VMMD_DBUS_ERROR_OPERATION_UNSUPPORTED,
                                          "external");
                        expect_snap_error(tb, s1, "Delete", D_CHILDREN_ONLY, VMMD_DBUS_ERROR_OPERATION_UNSUPPORTED,
                                          "external");
                        a2 = test_dir_snapshot(dir);
                        g_assert_cmpstr(b2, ==, a2);
                        test_assert_no_domain_signals(tb);
                        g_assert_true(img_has_snap(tb, disk, "s1"));
                        g_assert_true(img_has_snap(tb, disk, "s2"));
                        snap_call_ok(tb, xcp, "Delete", D_METADATA_ONLY);
                }
                snap_call_ok(tb, dk, "Delete", D_METADATA_ONLY);
                snap_call_ok(tb, pm, "Delete", D_METADATA_ONLY);
        }
}

/* D34: a managed save image makes a revert without memory risky unless FORCE */
static void errors_managed_save(const Errs *c) {
        TestBus *tb = c->tb;
        const char *dom = c->dom;
        const char *s1 = c->s1, *s2 = c->s2;

        /* D34: a managed save image and a snapshot without memory: risky unless FORCE */
        {
                g_autofree char *save = test_root_file(tb, "var/lib/vmmd/qemu/save/e1.save");
                test_write_file(save, "a managed save image");
                g_assert_true(test_prop_bool(tb, dom, "HasManagedSaveImage"));
                test_bus_clear_signals(tb);
                expect_snap_error(tb, s1, "Revert", 0, VMMD_DBUS_ERROR_SNAPSHOT_REVERT_RISKY);
                test_assert_no_domain_signals(tb);
                g_assert_true(snap_bool(tb, s2, "IsCurrent"));
                snap_call_ok(tb, s1, "Revert", R_FORCE);
                g_assert_true(snap_bool(tb, s1, "IsCurrent"));
                g_assert_cmpint(e2e_find_event(tb, dom, 0, 3, 0), >=, 0);
                g_assert_cmpint(unlink(save), ==, 0);
        }
}

/* D11, D12: disk plans that cannot work, on other domains */
static void errors_disk_plans(const Errs *c) {
        TestBus *tb = c->tb;
        const char *disk = c->disk, *disk2 = c->disk2, *dev = c->dev;

        /* D12: internal and external mixed; D11: two disks, one overlay name; D12: nothing selected */
        {
                g_autofree char *d2 = disk_xml(disk2, "qcow2", "vdb");
                g_autofree char *devs = g_strconcat(dev, d2, NULL);
                g_autofree char *dom2 = define(tb, "e2", UUID_E2, NULL, devs);
                g_autofree char *raw = g_strdup_printf("%s/e2.img", tb->dir);
                const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", raw, "8M", NULL };
                g_autofree char *va = disk_xml(disk2, "qcow2", "vda"), *vb = disk_xml(raw, "qcow2", "vdb");
                g_autofree char *devs3 = g_strconcat(va, vb, NULL);
                g_autofree char *dom3 = NULL, *dom4 = NULL, *ov = g_strdup_printf("%s/e2.same", tb->dir);

                expect_create_error(tb, dom2,
                                    "<domainsnapshot><name>mx</name><disks><disk name='vda' snapshot='internal'/>"
                                    "<disk name='vdb' snapshot='external'/></disks></domainsnapshot>",
                                    0, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "mixing internal and external");
                g_assert_false(img_has_snap(tb, disk, "mx"));
                g_assert_false(img_has_snap(tb, disk2, "mx"));
                /* e2.qcow2 and e2.img would both get the overlay e2.same */
                g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
                dom3 = define(tb, "e3", UUID_E3, NULL, devs3);
                expect_create_error(tb, dom3, "<domainsnapshot><name>same</name></domainsnapshot>", C_DISK_ONLY,
                                    VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED);
                g_assert_false(g_file_test(ov, G_FILE_TEST_EXISTS));
                /* a domain without disks: nothing to snapshot */
                dom4 = define(tb, "e4", UUID_E4, NULL, NULL);
                expect_create_error(tb, dom4,
                                    "<domainsnapshot><name>none</name><memory snapshot='no'/></domainsnapshot>", 0,
                                    VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "nothing selected");
                /* nothing recorded for any of them */
                for (const char *const *n = (const char *const[]) { "e2", "e3", "e4", NULL }; *n; n++) {
                        g_autofree char *d = meta_dir(tb, *n), *listing = test_dir_snapshot(d);
                        g_assert_cmpstr(listing, ==, "");
                }
        }
}

/* D13: REUSE_EXT uses an existing overlay as it is */
static void reuse_ext_overlay(const Errs *c) {
        TestBus *tb = c->tb;
        const char *dom = c->dom;
        const char *disk = c->disk, *cfgfile = c->cfgfile;

        /* D13: REUSE_EXT uses an existing overlay as it is */
        {
                g_autofree char *ov = g_strdup_printf("%s/e.reuse", tb->dir);
                const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", "-b", disk, "-F", "qcow2", ov, NULL };
                g_autofree char *x = g_strdup_printf("<domainsnapshot><name>reuse</name><disks><disk name='vda' "
                                                     "snapshot='external'><source file='%s'/></disk></disks>"
                                                     "</domainsnapshot>", ov);
                g_autofree char *ovbefore = NULL, *ovafter = NULL, *p = NULL, *def = NULL;
                g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
                ovbefore = test_read_file(ov);
                p = snap_ok(tb, dom, x, C_REUSE_EXT | C_DISK_ONLY);
                ovafter = test_read_file(ov);
                g_assert_true(ovbefore && ovafter && memcmp(ovbefore, ovafter, 512) == 0);
                def = test_get_xml(tb, dom, 2);
                g_assert_nonnull(strstr(def, ov));
                {
                        g_autofree char *file = test_read_file(cfgfile);
                        g_assert_nonnull(strstr(file, ov));
                        g_auto(GStrv) ext = list_snaps(tb, dom, L_EXTERNAL);
                        assert_paths(ext, p);
                }
        }
}

/* D4, D5, D7, D12–D14, D19, D27–D29, D33, D34, D39, D41, D45, D49, 0.5, 0.6, 0.10: an inactive domain */
static void test_errors_inactive(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "e.qcow2");
        g_autofree char *disk2 = make_qcow2(tb, "e2.qcow2");
        g_autofree char *dev = disk_xml(disk, "qcow2", "vda");
        g_autofree char *dom = define(tb, "e1", UUID_E1, NULL, dev);
        g_autofree char *domxml = test_get_xml(tb, dom, 2 | 1);
        g_autofree char *dir = meta_dir(tb, "e1"), *cfgfile = test_config_file(tb, "e1");
        g_autofree char *x1 = named("s1"), *x2 = named("s2"), *s1 = NULL, *s2 = NULL;
        g_autofree char *before = NULL, *after = NULL, *cfg_before = NULL, *cfg_after = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        Errs c = { .tb = tb, .dom = dom, .disk = disk, .disk2 = disk2, .dev = dev, .domxml = domxml, .dir = dir,
                   .cfgfile = cfgfile, .x1 = x1 };

        /* D49 before any snapshot */
        g_assert_cmpint(test_call(tb, dom, DOMAIN_IFACE, "SnapshotCurrent", &e, NULL, "u", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN_SNAPSHOT, "current snapshot");
        sd_bus_error_free(&e);

        s1 = snap_ok(tb, dom, x1, 0);
        s2 = snap_ok(tb, dom, x2, 0);
        c.s1 = s1;
        c.s2 = s2;

        /* everything below fails and changes nothing (0.5) */
        before = test_dir_snapshot(dir);
        cfg_before = test_read_file(cfgfile);
        test_bus_clear_signals(tb);
        errors_create(&c);
        errors_redefine(&c);
        errors_snapshot_calls(&c);
        after = test_dir_snapshot(dir);
        g_assert_cmpstr(before, ==, after);
        cfg_after = test_read_file(cfgfile);
        g_assert_cmpstr(cfg_before, ==, cfg_after);
        test_assert_no_domain_signals(tb);
        test_assert_no_temp_files(dir);
        g_assert_true(img_has_snap(tb, disk, "s1"));
        g_assert_true(img_has_snap(tb, disk, "s2"));
        g_assert_false(img_has_snap(tb, disk, "n"));
        g_assert_false(img_has_snap(tb, disk, "live"));
        g_assert_true(snap_bool(tb, s2, "IsCurrent"));

        errors_revert_risky(&c);
        errors_managed_save(&c);
        errors_disk_plans(&c);
        reuse_ext_overlay(&c);
}

/* D9, D12: an inactive domain without disks: no disk and (inactive) no memory — nothing selected */
static void test_nothing_selected(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *dom = define(tb, "e5", UUID_E4, NULL, NULL);
        g_autofree char *dir = meta_dir(tb, "e5"), *listing = NULL;

        expect_create_error(tb, dom, "<domainsnapshot><name>none</name><memory snapshot='no'/></domainsnapshot>", 0,
                            VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "nothing selected");
        /* the same without saying memory='no': an inactive snapshot's memory is 'no' (D9) */
        expect_create_error(tb, dom, "<domainsnapshot><name>none</name></domainsnapshot>", 0,
                            VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "nothing selected");
        listing = test_dir_snapshot(dir);
        g_assert_cmpstr(listing, ==, "");
}

/* D8–D10, D12, D32: a running transient domain */
static void test_errors_running_transient(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = make_qcow2(tb, "tr.qcow2");
        g_autofree char *dev = disk_xml(disk, "qcow2", "vda");
        g_autofree char *xml = e2e_guest_xml(tb, "tr", UUID_TR, NULL, NULL, dev);
        g_autofree char *dom = NULL, *domxml = NULL, *dir = meta_dir(tb, "tr");
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *p;

        if (test_call(tb, MANAGER, MANAGER_IFACE, "DomainCreateXML", &e, &reply, "su", xml, 0) < 0)
                g_error("DomainCreateXML: %s: %s", e.name, e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
        dom = g_strdup(p);
        g_assert_false(test_prop_bool(tb, dom, "Persistent"));
        g_assert_true(e2e_wait_serial(tb, "tr", "TESTGUEST READY", 1, BOOT_MS));
        domxml = test_get_xml(tb, dom, 2 | 1);

        test_bus_clear_signals(tb);
        {
                g_autofree char *x = named("h");
                /* D8 */
                expect_create_error(tb, dom, x, C_HALT, VMMD_DBUS_ERROR_OPERATION_INVALID, "transient");
                /* D10 */
                expect_create_error(tb, dom, x, C_LIVE, VMMD_DBUS_ERROR_OPERATION_UNSUPPORTED);
        }
        /* D9 */
        expect_create_error(tb, dom, "<domainsnapshot><name>nm</name><memory snapshot='no'/></domainsnapshot>", 0,
                            VMMD_DBUS_ERROR_OPERATION_UNSUPPORTED, "memory state");
        /* D10 */
        {
                g_autofree char *x = g_strdup_printf("<domainsnapshot><name>xm</name><memory snapshot='external' "
                                                     "file='%s/tr.mem'/></domainsnapshot>", tb->dir);
                g_autofree char *mem = g_strdup_printf("%s/tr.mem", tb->dir);
                expect_create_error(tb, dom, x, 0, VMMD_DBUS_ERROR_OPERATION_UNSUPPORTED, "external memory");
                g_assert_false(g_file_test(mem, G_FILE_TEST_EXISTS));
        }
        /* D5: memory with DISK_ONLY */
        expect_create_error(tb, dom, "<domainsnapshot><name>dm</name><memory snapshot='internal'/></domainsnapshot>",
                            C_DISK_ONLY, VMMD_DBUS_ERROR_XML_ERROR, "disk-only");
        /* D12: an internal disk while active with DISK_ONLY */
        expect_create_error(tb, dom,
                            "<domainsnapshot><name>di</name><disks><disk name='vda' snapshot='internal'/></disks>"
                            "</domainsnapshot>",
                            C_DISK_ONLY, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "external");
        g_assert_true(e2e_wait_state(tb, dom, 1, -1, 0));
        test_assert_no_domain_signals(tb);
        g_assert_false(img_has_snap(tb, disk, "nm"));
        {
                g_autofree char *listing = test_dir_snapshot(dir);
                g_assert_cmpstr(listing, ==, "");
        }

        /* D32: a transient domain cannot go back to an inactive snapshot without RUNNING or PAUSED */
        {
                g_autofree char *x = redef_xml("off", "shutoff", NULL, domxml);
                g_autofree char *off = snap_ok(tb, dom, x, C_REDEFINE);
                test_bus_clear_signals(tb);
                expect_snap_error(tb, off, "Revert", 0, VMMD_DBUS_ERROR_OPERATION_INVALID, "transient");
                test_assert_no_domain_signals(tb);
                g_assert_true(e2e_wait_state(tb, dom, 1, -1, 0));
        }
}

typedef struct Case {
        const char *path;
        void (*fn)(void);
} Case;

/* Each test runs in its own process, so that one failing test does not hide the results of
 * the others; the parent only reports. Every wait inside is bounded. */
static void run_isolated(gconstpointer data) {
        const Case *c = data;

        if (g_test_subprocess()) {
                c->fn();
                return;
        }
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDOUT | G_TEST_SUBPROCESS_INHERIT_STDERR);
        g_test_trap_assert_passed();
}

int main(int argc, char *argv[]) {
        static const Case cases[] = {
                { "/snapshot-tree/tree", test_tree },
                { "/snapshot-tree/list-filters", test_list_filters },
                { "/snapshot-tree/disk-contents", test_disk_contents },
                { "/snapshot-tree/revert-without-inactive-domain", test_revert_without_inactive_domain },
                { "/snapshot-tree/undefine", test_undefine },
                { "/snapshot-tree/errors-inactive", test_errors_inactive },
                { "/snapshot-tree/errors-running-transient", test_errors_running_transient },
                { "/snapshot-tree/nothing-selected", test_nothing_selected },
        };

        g_test_init(&argc, &argv, NULL);
        if (!g_test_subprocess())
                g_test_set_nonfatal_assertions();
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
                g_test_add_data_func(cases[i].path, &cases[i], run_isolated);
        return g_test_run();
}
