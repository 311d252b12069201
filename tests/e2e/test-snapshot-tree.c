/* End-to-end tests of domain snapshots: the tree and its lists, disk contents after a revert, REDEFINE
 * without <inactiveDomain>, and undefine with snapshots (the errors are test-snapshot-errors.c). */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "snapshot-util.h"

/* --- helpers --- */

static int qemu_io(TestBus *tb, const char *disk, const char *cmd) {
        const char *argv[] = { "qemu-io", "-f", "qcow2", "-c", cmd, disk, NULL };
        g_autofree char *out = NULL, *err = NULL;
        int r = test_run(tb, false, &out, &err, argv);

        g_test_message("qemu-io -c '%s': %d: %s%s", cmd, r, out ? out : "", err ? err : "");
        if (r == 0 && out && strstr(out, "Pattern verification failed"))
                r = 1;
        return r;
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

static char **list_children(TestBus *tb, const char *snap, unsigned flags) {
        return list_call(tb, snap, SNAP_IFACE, "ListChildren", flags);
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

int main(int argc, char *argv[]) {
        static const SnapshotCase cases[] = {
                { "/snapshot-tree/tree", test_tree },
                { "/snapshot-tree/list-filters", test_list_filters },
                { "/snapshot-tree/disk-contents", test_disk_contents },
                { "/snapshot-tree/revert-without-inactive-domain", test_revert_without_inactive_domain },
                { "/snapshot-tree/undefine", test_undefine },
        };

        return snapshot_tests_run(argc, argv, cases, G_N_ELEMENTS(cases));
}
