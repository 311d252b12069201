/* The guest CPU as QEMU reports it travels with a save image's header and a running
 * snapshot's metadata, and the QEMU that restores them gets that CPU (spec C3, D16). */
#include <string.h>
#include <unistd.h>

#include "cpu-cookie.h"
#include "e2e-util.h"
#include "fileio.h"
#include "save-image.h"

#define DOMAIN_IFACE QEMU_DOMAIN_INTERFACE
#define UUID_A "5e1d3c2b-4a6f-4e3d-9c8b-0d0000000001"

/* The argument after -cpu on the command line of pid, or NULL when there is none. */
static char *qemu_cpu_arg(pid_t pid) {
        g_autofree char *file = g_strdup_printf("/proc/%d/cmdline", (int) pid);
        g_autofree char *data = NULL;
        size_t len = 0;

        g_assert_cmpint(vmmd_read_file(file, &data, &len), >=, 0);
        for (size_t i = 0; i < len; i += strlen(data + i) + 1)
                if (g_str_equal(data + i, "-cpu") && i + 5 < len)
                        return g_strdup(data + i + 5);
        return NULL;
}

/* The cookie records QEMU's static expansion: base model, properties, features. */
static void assert_cpu_cookie(const char *xml) {
        g_autofree char *cookie = g_strdup(xml);

        g_assert_nonnull(cookie);
        g_strdelimit(cookie, "\"", '\'');   /* a metadata file is re-serialised with double quotes */
        g_assert_nonnull(strstr(cookie, "<cpu mode='custom' match='exact'"));
        g_assert_nonnull(strstr(cookie, "<model fallback='forbid'>base</model>"));
        g_assert_nonnull(strstr(cookie, "<property name='family' value="));
        g_assert_nonnull(strstr(cookie, "<feature policy='require' name='sse2'/>"));
}

/* C3: the save image's header carries the cookie; the restored QEMU runs -cpu from it
 * (the domain itself names no CPU, and the QEMU that booted it had no -cpu) */
static void test_save_image_cookie(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *path = e2e_boot_guest(tb, "cookiesave", UUID_A, NULL);
        g_autofree char *file = g_build_filename(tb->dir, "cookie.save", NULL);
        g_autofree char *booted_cpu = NULL, *restored_cpu = NULL, *expected = NULL;
        g_autoptr(SaveImage) img = NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(GError) error = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        pid_t pid;

        booted_cpu = qemu_cpu_arg(e2e_qemu_pid(tb, UUID_A));
        g_assert_null(booted_cpu);
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "Save", &e, NULL, "ssu", file, "", 0), >=, 0);
        img = save_image_open(file, false, NULL, &error);
        g_assert_no_error(error);
        g_assert_nonnull(img->cookie);
        g_assert_true(g_str_has_prefix(img->cookie, "<cookie><cpu "));
        g_assert_true(g_str_has_suffix(img->cookie, "</cpu></cookie>"));
        assert_cpu_cookie(img->cookie);
        g_assert_true(cpu_cookie_to_qemu_arg(img->cookie, &expected, &error));
        g_assert_true(g_str_has_prefix(expected, "base,"));

        g_assert_cmpint(test_call(tb, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE, "DomainRestore", &e, &reply, "ssu",
                                  file, "", 0), >=, 0);
        g_assert_true(e2e_wait_state(tb, path, DOMAIN_RUNNING, DOMAIN_RUNNING_RESTORED, 30000));
        pid = e2e_qemu_pid(tb, UUID_A);
        g_assert_cmpint(pid, >, 0);
        restored_cpu = qemu_cpu_arg(pid);
        g_assert_cmpstr(restored_cpu, ==, expected);
}

/* D16: a running snapshot's metadata carries the cookie in <cookie>; reverting to it starts
 * QEMU with -cpu from it */
static void test_snapshot_cookie(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk = g_build_filename(tb->dir, "data.qcow2", NULL);
        g_autofree char *dev = g_strdup_printf("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                                               "<source file='%s'/><target dev='vda' bus='virtio'/></disk>", disk);
        g_autofree char *path = NULL, *meta = NULL, *data = NULL, *expected = NULL, *reverted_cpu = NULL;
        g_autofree char *cookie = NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(GError) error = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *snap;
        const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };
        pid_t first;

        g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        path = e2e_boot_guest(tb, "cookiesnap", UUID_A, dev);
        first = e2e_qemu_pid(tb, UUID_A);
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "SnapshotCreateXML", &e, &reply, "su",
                                  "<domainsnapshot><name>s1</name></domainsnapshot>", 0), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "o", &snap), >=, 0);
        meta = test_root_file(tb, "var/lib/vmmd/qemu/snapshot/cookiesnap/s1.xml");
        g_assert_cmpint(vmmd_read_file(meta, &data, NULL), >=, 0);
        g_assert_nonnull(strstr(data, "<cookie>"));
        g_assert_nonnull(strstr(data, "</cookie>"));
        cookie = g_strndup(strstr(data, "<cookie>"), strstr(data, "</cookie>") + strlen("</cookie>") - strstr(data, "<cookie>"));
        assert_cpu_cookie(cookie);
        g_assert_true(cpu_cookie_to_qemu_arg(cookie, &expected, &error));
        g_assert_nonnull(expected);

        g_assert_cmpint(test_call(tb, snap, QEMU_SNAPSHOT_INTERFACE, "Revert", &e, NULL, "u", 0), >=, 0);
        g_assert_true(e2e_wait_state(tb, path, DOMAIN_RUNNING, DOMAIN_RUNNING_FROM_SNAPSHOT, 30000));
        g_assert_true(e2e_wait_pid_exit(first, 30000));
        reverted_cpu = qemu_cpu_arg(e2e_qemu_pid(tb, UUID_A));
        g_assert_cmpstr(reverted_cpu, ==, expected);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/cpu-cookie/save-image", test_save_image_cookie);
        g_test_add_func("/cpu-cookie/snapshot", test_snapshot_cookie);
        return g_test_run();
}
