/* End-to-end tests of domain snapshots: the errors of spec domains.md D through the bus (the tree and its
 * lists are test-snapshot-tree.c). */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "snapshot-util.h"

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

int main(int argc, char *argv[]) {
        static const SnapshotCase cases[] = {
                { "/snapshot-errors/errors-inactive", test_errors_inactive },
                { "/snapshot-errors/errors-running-transient", test_errors_running_transient },
                { "/snapshot-errors/nothing-selected", test_nothing_selected },
        };

        return snapshot_tests_run(argc, argv, cases, G_N_ELEMENTS(cases));
}
