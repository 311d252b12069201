/* Torture: the daemons' whole state root on a small full tmpfs. Every mutating call that needs
 * space fails with a clear error, and what was there before is intact (issue 10). Needs root (it
 * mounts the tmpfs, in a mount namespace of its own that the bus and the daemons inherit). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-harness.h"
#include "fileio.h"

#define QEMU QEMU_BUS_NAME
#define STORAGE STORAGE_BUS_NAME
#define DOM_UUID "9a1b0000-0000-4000-8000-000000000001"
#define POOL_UUID "9a1b0000-0000-4000-8000-000000000002"

static char *call_path(TestBus *tb, const char *dest, const char *path, const char *iface, const char *member,
                       sd_bus_error *e, const char *types, const char *s, unsigned flags) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *o;
        int r = g_str_equal(types, "s") ? sd_bus_call_method(tb->bus, dest, path, iface, member, e, &reply, "s", s)
                                        : sd_bus_call_method(tb->bus, dest, path, iface, member, e, &reply, "su", s,
                                                             flags);

        if (r < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &o), >=, 0);
        return g_strdup(o);
}

static void ok(int r, const sd_bus_error *e, const char *what) {
        if (r < 0)
                g_error("%s: %s: %s", what, e->name, e->message);
}

/* A refusal a user can act on: one of vmmd's errors, saying the disk is full. */
static void assert_disk_full(int r, const sd_bus_error *e, const char *what) {
        if (r >= 0)
                g_error("%s succeeded on a full disk", what);
        if (!g_str_has_prefix(e->name, VMMD_ERROR_PREFIX) || !strstr(e->message, "No space left on device"))
                g_error("%s: unclear error on a full disk: %s: %s", what, e->name, e->message);
        g_test_message("%s: %s: %s", what, e->name, e->message);
}

static char *state_tree(TestBus *tb) {
        g_autofree char *etc = test_root_file(tb, "etc");
        g_autofree char *lib = test_root_file(tb, "var/lib");
        g_autofree char *pools = test_root_file(tb, "pools");
        g_autofree char *a = test_dir_snapshot(etc), *b = test_dir_snapshot(lib), *c = test_dir_snapshot(pools);

        return g_strconcat("[etc]\n", a, "[var/lib]\n", b, "[pools]\n", c, NULL);
}

static void fill(const char *file) {
        static char block[4096];
        int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        g_assert_cmpint(fd, >=, 0);
        while (write(fd, block, sizeof(block)) > 0)
                ;
        /* the last partial page too */
        while (write(fd, block, 1) > 0)
                ;
        g_assert_cmpint(errno, ==, ENOSPC);
        close(fd);
}

/* Every mutating call that needs space on the full disk is refused clearly; how many were. */
static unsigned refuse_all(TestBus *tb, const char *dom, const char *dom_xml, const char *pool, const char *pool_dir) {
        unsigned refused = 0;

        {
                g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL;
                g_autofree char *x = test_domain_xml("new1", NULL, NULL);
                g_autofree char *p = test_define(tb, x, 0, &e1);
                assert_disk_full(p ? 0 : -1, &e1, "DomainDefineXML of a new domain");
                refused++;
        }
        {
                g_auto(sd_bus_error) e2 = SD_BUS_ERROR_NULL;
                g_autofree char *p = NULL, *dom_xml2 = NULL;

                dom_xml2 = g_strdup_printf("%.*s  <description>changed</description>\n</domain>\n",
                                           (int) (strstr(dom_xml, "</domain>") - dom_xml), dom_xml);
                p = test_define(tb, dom_xml2, 0, &e2);
                assert_disk_full(p ? 0 : -1, &e2, "DomainDefineXML of an update");
                refused++;
        }
        {
                g_auto(sd_bus_error) e3 = SD_BUS_ERROR_NULL;
                assert_disk_full(sd_bus_call_method(tb->bus, QEMU, dom, QEMU_DOMAIN_INTERFACE, "SnapshotCreateXML",
                                                    &e3, NULL, "su",
                                                    "<domainsnapshot><name>s2</name></domainsnapshot>", 0),
                                 &e3, "SnapshotCreateXML");
                refused++;
        }
        {
                g_auto(sd_bus_error) e4 = SD_BUS_ERROR_NULL;
                assert_disk_full(sd_bus_call_method(tb->bus, QEMU, dom, QEMU_DOMAIN_INTERFACE, "Rename", &e4, NULL,
                                                    "su", "renamed", 0), &e4, "Rename");
                refused++;
        }
        {
                g_auto(sd_bus_error) e5 = SD_BUS_ERROR_NULL;
                g_autofree char *x = g_strdup_printf("<pool type='dir'><name>new2</name><target><path>%s/new2</path>"
                                                     "</target></pool>", pool_dir);
                g_autofree char *p = call_path(tb, STORAGE, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE,
                                               "StoragePoolDefineXML", &e5, "su", x, 0);
                assert_disk_full(p ? 0 : -1, &e5, "StoragePoolDefineXML");
                refused++;
        }
        {
                g_auto(sd_bus_error) e6 = SD_BUS_ERROR_NULL;
                g_autofree char *p = call_path(tb, STORAGE, pool, STORAGE_POOL_INTERFACE,
                                               "StorageVolCreateXML", &e6, "su",
                                               "<volume><name>nv</name><capacity unit='MiB'>4</capacity>"
                                               "<allocation unit='MiB'>4</allocation></volume>", 0);
                assert_disk_full(p ? 0 : -1, &e6, "StorageVolCreateXML");
                refused++;
        }
        return refused;
}

static void test_disk_full(void) {
        g_autoptr(TestBus) tb = NULL;
        g_autofree char *dom_xml = NULL, *pool_xml = NULL, *pool_dir = NULL, *filler = NULL;
        g_autofree char *dom = NULL, *pool = NULL, *before = NULL, *after = NULL, *xml_before = NULL;
        g_autofree char *xml_after = NULL, *link = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        unsigned refused = 0;

        if (geteuid() != 0) {
                g_test_skip("needs root to mount a tmpfs");
                return;
        }
        {
                g_autofree char *qemu_img = g_find_program_in_path("qemu-img");
                if (!qemu_img) {
                        g_test_skip("qemu-img is missing");
                        return;
                }
        }
        /* the bus and the daemons it activates inherit this namespace and see the tmpfs */
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                g_test_skip("cannot make a private mount namespace");
                return;
        }
        tb = test_bus_new(NULL);
        g_assert_cmpint(vmmd_mkdir_p(tb->root, 0755), ==, 0);
        g_assert_cmpint(mount("tmpfs", tb->root, "tmpfs", 0, "size=1m,mode=0755"), ==, 0);
        pool_dir = test_root_file(tb, "pools/keep");

        /* what exists before the disk fills up; the domain's disk image is not on the tmpfs */
        {
                g_autofree char *disk = g_build_filename(tb->dir, "keep.qcow2", NULL);
                g_autofree char *dev = g_strdup_printf("    <disk type='file' device='disk'><driver name='qemu' "
                                                       "type='qcow2'/><source file='%s'/><target dev='vda' "
                                                       "bus='virtio'/></disk>\n", disk);
                const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };

                g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
                dom_xml = test_domain_xml("keep", DOM_UUID, dev);
        }
        dom = test_define(tb, dom_xml, 0, &e);
        ok(dom ? 0 : -1, &e, "define keep");
        ok(sd_bus_call_method(tb->bus, QEMU, dom, QEMU_DOMAIN_INTERFACE, "SnapshotCreateXML", &e, NULL, "su",
                              "<domainsnapshot><name>s1</name></domainsnapshot>", 0), &e, "snapshot s1");
        pool_xml = g_strdup_printf("<pool type='dir'><name>keep</name><uuid>%s</uuid><target><path>%s</path></target>"
                                   "</pool>", POOL_UUID, pool_dir);
        pool = call_path(tb, STORAGE, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE, "StoragePoolDefineXML", &e,
                         "su", pool_xml, 0);
        ok(pool ? 0 : -1, &e, "define pool keep");
        ok(sd_bus_call_method(tb->bus, STORAGE, pool, STORAGE_POOL_INTERFACE, "Build", &e, NULL, "u", 0), &e,
           "build");
        ok(sd_bus_call_method(tb->bus, STORAGE, pool, STORAGE_POOL_INTERFACE, "Create", &e, NULL, "u", 0), &e,
           "start");
        {
                g_autofree char *v = call_path(tb, STORAGE, pool, STORAGE_POOL_INTERFACE,
                                               "StorageVolCreateXML", &e, "su",
                                               "<volume><name>kv</name><capacity unit='KiB'>16</capacity>"
                                               "<allocation>0</allocation></volume>", 0);
                ok(v ? 0 : -1, &e, "volume kv");
        }
        xml_before = test_get_xml(tb, dom, 0);

        filler = test_root_file(tb, "filler");
        fill(filler);
        before = state_tree(tb);

        /* every call that needs space is refused clearly */
        refused += refuse_all(tb, dom, dom_xml, pool, pool_dir);
        after = state_tree(tb);
        g_assert_cmpstr(before, ==, after);
        /* a refused snapshot is not left half made in the disk image either */
        {
                g_autofree char *disk = g_build_filename(tb->dir, "keep.qcow2", NULL);
                g_autofree char *out = NULL;
                const char *argv[] = { "qemu-img", "snapshot", "-l", "-U", disk, NULL };

                g_assert_cmpint(test_run(tb, false, &out, NULL, argv), ==, 0);
                g_assert_nonnull(strstr(out, "s1"));
                g_assert_null(strstr(out, "s2"));
        }
        /* Autostart is a symbolic link, which may fit in the inode: either it is made or nothing is */
        {
                g_auto(sd_bus_error) e7 = SD_BUS_ERROR_NULL;
                int r = test_set_autostart(tb, dom, true, &e7);
                link = test_root_file(tb, "etc/vmmd/qemu/autostart/keep.xml");
                if (r < 0) {
                        assert_disk_full(r, &e7, "Set Autostart");
                        g_assert_false(g_file_test(link, G_FILE_TEST_EXISTS));
                        refused++;
                } else {
                        g_assert_true(test_prop_bool(tb, dom, "Autostart"));
                        g_assert_cmpint(test_set_autostart(tb, dom, false, &e7), >=, 0);
                }
        }
        xml_after = test_get_xml(tb, dom, 0);
        g_assert_cmpstr(xml_before, ==, xml_after);

        /* the daemons come back with it all, and work again once there is room */
        test_bus_kill_name(tb, QEMU);
        test_bus_kill_name(tb, STORAGE);
        g_assert_cmpint(unlink(filler), ==, 0);
        {
                g_autofree char *again = test_get_xml(tb, dom, 0);
                g_auto(sd_bus_error) e8 = SD_BUS_ERROR_NULL;
                g_autofree char *x = test_domain_xml("new1", NULL, NULL);
                g_autofree char *p = NULL;

                g_assert_cmpstr(again, ==, xml_before);
                p = test_define(tb, x, 0, &e8);
                ok(p ? 0 : -1, &e8, "define after the disk has room again");
        }
        printf("# torture-diskfull: %u mutating calls refused with a clear error, state unchanged\n", refused);
        test_bus_kill_name(tb, QEMU);
        test_bus_kill_name(tb, STORAGE);
        (void) umount2(tb->root, MNT_DETACH);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/torture/disk-full", test_disk_full);
        return g_test_run();
}
