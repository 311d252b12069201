/* End-to-end tests of save, restore and managed save with the tiny guest (spec domains.md C). */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e-util.h"
#include "fileio.h"

#define MANAGER QEMU_MANAGER_PATH
#define MANAGER_IFACE QEMU_MANAGER_INTERFACE
#define DOMAIN_IFACE QEMU_DOMAIN_INTERFACE
#define BOOT_MS 60000
#define JOB_MS 60000
#define UUID_A "6a1f0c4e-1d2b-4c3d-8e9f-0b0000000001"

static char *start_ticking(TestBus *tb, const char *name, const char *devices) {
        g_autofree char *xml = e2e_guest_xml(tb, name, UUID_A, "testguest.tick=1", NULL, devices);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *path = test_define(tb, xml, 0, &e);

        if (!path)
                g_error("define: %s: %s", e.name, e.message);
        if (e2e_domain_call(tb, path, "Create", false, 0, &e) < 0)
                g_error("Create: %s: %s", e.name, e.message);
        g_assert_true(e2e_wait_serial(tb, name, "TESTGUEST TICK 2", 1, BOOT_MS));
        return path;
}

/* the highest "TESTGUEST TICK n" the guest printed so far */
static int last_tick(TestBus *tb, const char *name) {
        g_autofree char *file = e2e_serial_file(tb, name);
        g_autofree char *data = NULL;
        int last = 0;

        if (vmmd_read_file(file, &data, NULL) < 0)
                return 0;
        for (const char *p = data; (p = strstr(p, "TESTGUEST TICK ")); p++)
                last = MAX(last, atoi(p + strlen("TESTGUEST TICK ")));
        return last;
}

/* Waits (bounded) until the guest printed a tick numbered above after. */
static bool tick_after(TestBus *tb, const char *name, int after, unsigned timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

        while (last_tick(tb, name) <= after) {
                gint64 left = deadline - g_get_monotonic_time();
                int seen = e2e_serial_count(tb, name, "TESTGUEST TICK");
                if (left <= 0)
                        return false;
                (void) e2e_wait_serial(tb, name, "TESTGUEST TICK", seen + 1, (unsigned) (left / 1000) + 1);
        }
        return true;
}

static void wait_tick_after(TestBus *tb, const char *name, int after) {
        g_assert_true(tick_after(tb, name, after, 20000));
}

static char *file_magic(const char *path) {
        char buf[16] = { 0 };
        int fd = open(path, O_RDONLY);

        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(read(fd, buf, sizeof(buf)), ==, 16);
        close(fd);
        return g_strndup(buf, 16);
}

static char *file_checksum(const char *path) {
        g_autofree char *data = NULL;
        size_t len = 0;

        g_assert_cmpint(vmmd_read_file(path, &data, &len), >=, 0);
        return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *) data, len);
}

static int save(TestBus *tb, const char *path, const char *file, const char *dxml, unsigned flags, sd_bus_error *e) {
        return test_call(tb, path, DOMAIN_IFACE, "Save", e, NULL, "ssu", file, dxml, flags);
}

static char *restore(TestBus *tb, const char *file, const char *dxml, unsigned flags, sd_bus_error *e) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *p;

        if (test_call(tb, MANAGER, MANAGER_IFACE, "DomainRestore", e, &reply, "ssu", file, dxml, flags) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
        return g_strdup(p);
}

/* Save a running guest, restore it: the same guest goes on ticking (C8, C27, C30) */
static void test_save_restore(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *path = start_ticking(tb, "s1", NULL);
        g_autofree char *file = g_strdup_printf("%s/s1.img", tb->dir);
        g_autofree char *magic = NULL, *restored = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        pid_t pid = e2e_qemu_pid(tb, UUID_A);
        int before, paused, stopped;

        test_bus_clear_signals(tb);
        g_assert_cmpint(save(tb, path, file, "", 0, &e), >=, 0);
        before = last_tick(tb, "s1");
        /* when the reply arrives QEMU is gone and the image is complete */
        g_assert_true(e2e_wait_pid_exit(pid, 1000));
        magic = file_magic(file);
        g_assert_cmpmem(magic, 16, "VmmdSaveImage\0\0\0", 16);
        g_assert_true(e2e_wait_state(tb, path, 5, 5, 0));
        g_assert_cmpint(test_prop_int(tb, path, "Id"), ==, -1);
        paused = e2e_find_event(tb, path, 3, 0, 0);
        stopped = e2e_find_event(tb, path, 5, 4, 0);
        g_assert_cmpint(paused, >=, 0);
        g_assert_cmpint(stopped, >, paused);

        test_bus_clear_signals(tb);
        restored = restore(tb, file, "", 0, &e);
        g_assert_nonnull(restored);
        g_assert_cmpstr(restored, ==, path);   /* the persistent domain runs the image */
        g_assert_true(e2e_wait_state(tb, path, 1, 3, 0));
        g_assert_cmpint(e2e_find_event(tb, path, 4, 2, 0), >, e2e_find_event(tb, path, 2, 2, 0));
        wait_tick_after(tb, "s1", before);
        g_assert_cmpint(e2e_serial_count(tb, "s1", "TESTGUEST READY"), ==, 1);   /* no new boot */
        g_assert_true(test_prop_bool(tb, path, "Persistent"));
        /* C32: the image is still there and still valid */
        g_assert_true(g_file_test(file, G_FILE_TEST_EXISTS));
}

/* --paused: the restored guest stays paused until Resume (C9, C30) */
static void test_save_paused(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *path = start_ticking(tb, "s1", NULL);
        g_autofree char *file = g_strdup_printf("%s/s1.img", tb->dir);
        g_autofree char *restored = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int before;

        g_assert_cmpint(save(tb, path, file, "", 4 /* PAUSED */, &e), >=, 0);
        before = last_tick(tb, "s1");
        test_bus_clear_signals(tb);
        restored = restore(tb, file, "", 0, &e);
        g_assert_nonnull(restored);
        g_assert_true(e2e_wait_state(tb, path, 3, 2, 0));
        g_assert_cmpint(e2e_find_event(tb, path, 3, 4, 0), >, e2e_find_event(tb, path, 2, 2, 0));
        g_assert_false(tick_after(tb, "s1", before, 2500));
        g_assert_cmpint(e2e_domain_call(tb, path, "Resume", true, 0, &e), >=, 0);
        wait_tick_after(tb, "s1", before);

        /* the RUNNING flag at restore overrides the image's paused state */
        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), >=, 0);
        g_free(restored);
        restored = restore(tb, file, "", 2 /* RUNNING */, &e);
        g_assert_nonnull(restored);
        g_assert_true(e2e_wait_state(tb, path, 1, 3, 0));
}

static char *make_disk(TestBus *tb, const char *name) {
        g_autofree char *disk = g_strdup_printf("%s/%s", tb->dir, name);
        const char *argv[] = { "qemu-img", "create", "-q", "-f", "raw", disk, "16M", NULL };
        g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        return g_steal_pointer(&disk);
}

static char *replace(const char *s, const char *old, const char *new) {
        g_autoptr(GString) g = g_string_new(s);
        g_assert_cmpuint(g_string_replace(g, old, new, 0), >, 0);
        return g_string_free(g_steal_pointer(&g), FALSE);
}

/* dxml may move a disk on the host, not change what the guest sees (C28, C37) */
static void test_restore_dxml(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk_a = make_disk(tb, "a.raw");
        g_autofree char *disk_b = g_strdup_printf("%s/b.raw", tb->dir);
        g_autofree char *dev = g_strdup_printf("    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                                               "<source file='%s'/><target dev='vda' bus='virtio'/></disk>\n", disk_a);
        g_autofree char *path = start_ticking(tb, "s1", dev);
        g_autofree char *file = g_strdup_printf("%s/s1.img", tb->dir);
        g_autofree char *xml = NULL, *moved = NULL, *bigger = NULL, *renamed = NULL, *sum = NULL, *sum2 = NULL;
        g_autofree char *live = NULL, *cmdline = NULL, *restored = NULL, *cmdf = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        const char *x;
        const char *cp[] = { "cp", disk_a, disk_b, NULL };

        g_assert_true(e2e_wait_serial(tb, "s1", "TESTGUEST DISK vda", 1, 1000));
        g_assert_cmpint(save(tb, path, file, "", 0, &e), >=, 0);
        g_assert_cmpint(test_run(tb, false, NULL, NULL, cp), ==, 0);
        g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainSaveImageGetXMLDesc", &e, &reply, "su", file, 1),
                        >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &x), >=, 0);
        xml = g_strdup(x);
        g_assert_nonnull(strstr(xml, disk_a));
        sum = file_checksum(file);

        /* memory or name changes are refused, the image untouched */
        bigger = replace(xml, "<memory unit='KiB'>131072</memory>", "<memory unit='KiB'>262144</memory>");
        g_assert_null(restore(tb, file, bigger, 0, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "memory");
        sd_bus_error_free(&e);
        renamed = replace(xml, "<name>s1</name>", "<name>s2</name>");
        g_assert_null(restore(tb, file, renamed, 0, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "name");
        sd_bus_error_free(&e);
        sum2 = file_checksum(file);
        g_assert_cmpstr(sum, ==, sum2);

        moved = replace(xml, disk_a, disk_b);
        restored = restore(tb, file, moved, 0, &e);
        g_assert_nonnull(restored);
        g_assert_true(e2e_wait_state(tb, path, 1, 3, 0));
        live = test_get_xml(tb, path, 0);
        g_assert_nonnull(strstr(live, disk_b));
        g_assert_null(strstr(live, disk_a));
        /* and QEMU itself opened the moved file (the arguments are NUL-separated) */
        cmdf = g_strdup_printf("/proc/%d/cmdline", (int) e2e_qemu_pid(tb, UUID_A));
        {
                size_t len = 0;
                g_assert_cmpint(vmmd_read_file(cmdf, &cmdline, &len), >=, 0);
                for (size_t i = 0; i + 1 < len; i++)
                        if (!cmdline[i])
                                cmdline[i] = ' ';
                g_assert_nonnull(strstr(cmdline, disk_b));
        }
}

/* DomainSaveImageDefineXML edits the image in place; the flags flip was_running (C34–C36) */
static void test_save_image_define(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *disk_a = make_disk(tb, "a.raw");
        g_autofree char *disk_b = g_strdup_printf("%s/b.raw", tb->dir);
        g_autofree char *dev = g_strdup_printf("    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                                               "<source file='%s'/><target dev='vda' bus='virtio'/></disk>\n", disk_a);
        g_autofree char *path = start_ticking(tb, "s1", dev);
        g_autofree char *file = g_strdup_printf("%s/s1.img", tb->dir);
        g_autofree char *xml = NULL, *moved = NULL, *after = NULL, *restored = NULL, *live = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *cp[] = { "cp", disk_a, disk_b, NULL };
        g_autoptr(sd_bus_message) reply = NULL;
        struct stat st1, st2;
        const char *x;

        g_assert_cmpint(save(tb, path, file, "", 0, &e), >=, 0);
        g_assert_cmpint(test_run(tb, false, NULL, NULL, cp), ==, 0);
        g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainSaveImageGetXMLDesc", &e, &reply, "su", file, 1),
                        >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &x), >=, 0);
        xml = g_strdup(x);

        /* the same XML: nothing is written */
        g_assert_cmpint(stat(file, &st1), ==, 0);
        g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainSaveImageDefineXML", &e, NULL, "ssu", file, xml, 0),
                        >=, 0);
        g_assert_cmpint(stat(file, &st2), ==, 0);
        g_assert_cmpint(st1.st_mtim.tv_sec, ==, st2.st_mtim.tv_sec);
        g_assert_cmpint(st1.st_mtim.tv_nsec, ==, st2.st_mtim.tv_nsec);

        moved = replace(xml, disk_a, disk_b);
        g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainSaveImageDefineXML", &e, NULL, "ssu", file, moved,
                                  4 /* PAUSED */), >=, 0);
        sd_bus_message_unref(g_steal_pointer(&reply));
        g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainSaveImageGetXMLDesc", &e, &reply, "su", file, 1),
                        >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &x), >=, 0);
        g_assert_nonnull(strstr(x, disk_b));

        restored = restore(tb, file, "", 0, &e);
        g_assert_nonnull(restored);
        g_assert_true(e2e_wait_state(tb, path, 3, 2, 0));   /* was_running flipped to false */
        live = test_get_xml(tb, path, 0);
        g_assert_nonnull(strstr(live, disk_b));
}

/* kill -9 of QEMU in the middle of a save: the error, and what was at the target is still
 * there (issue 10 overrides C10: the image is written beside it and renamed only when
 * complete; the partial one is removed) */
static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        sd_bus_error *e = userdata;
        if (sd_bus_message_is_method_error(m, NULL))
                sd_bus_error_copy(e, sd_bus_message_get_error(m));
        else
                sd_bus_error_set_const(e, "test.Ok", "ok");
        return 0;
}

static void wait_reply(TestBus *tb, sd_bus_error *e) {
        gint64 deadline = g_get_monotonic_time() + (gint64) JOB_MS * 1000;
        while (!sd_bus_error_is_set(e) && g_get_monotonic_time() < deadline) {
                test_bus_drain(tb);
                if (!sd_bus_error_is_set(e))
                        (void) sd_bus_wait(tb->bus, 200000);
        }
        g_assert_true(sd_bus_error_is_set(e));
}

static void test_save_interrupted(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *path = start_ticking(tb, "s1", NULL);
        g_autofree char *file = g_strdup_printf("%s/s1.img", tb->dir);
        g_autofree char *kept = NULL;
        g_auto(sd_bus_error) reply = SD_BUS_ERROR_NULL, e = SD_BUS_ERROR_NULL;
        pid_t pid = e2e_qemu_pid(tb, UUID_A);
        g_autoptr(GDir) dir = NULL;
        const char *entry;

        test_write_file(file, "what was here before the save\n");
        test_bus_clear_signals(tb);
        g_assert_cmpint(sd_bus_call_method_async(tb->bus, NULL, QEMU_BUS_NAME, path, DOMAIN_IFACE, "Save", on_reply,
                                                 &reply, "ssu", file, "", 0), >=, 0);
        /* the guest is paused for the save: the image exists, the stream is on its way */
        g_assert_true(e2e_wait_event(tb, path, 3, 0, JOB_MS));
        g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
        wait_reply(tb, &reply);
        g_assert_cmpstr(reply.name, !=, "test.Ok");
        g_assert_true(e2e_wait_state(tb, path, 5, -1, 5000));
        kept = test_read_file(file);
        g_assert_cmpstr(kept, ==, "what was here before the save\n");
        dir = g_dir_open(tb->dir, 0, NULL);
        while ((entry = g_dir_read_name(dir)))
                g_assert_null(strstr(entry, ".partial-"));
        g_assert_null(restore(tb, file, "", 0, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, "magic");
}

static char *managed_file(TestBus *tb, const char *name) {
        return g_strdup_printf("%s/var/lib/vmmd/qemu/save/%s.save", tb->root, name);
}

/* ManagedSave; Undefine refuses while the image exists; Create resumes and consumes it (C14–C24, B9) */
static void test_managed_save(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *path = start_ticking(tb, "m1", NULL);
        g_autofree char *image = managed_file(tb, "m1"), *config = test_config_file(tb, "m1");
        g_autofree char *xml = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        int before, changed;

        test_bus_clear_signals(tb);
        g_assert_cmpint(e2e_domain_call(tb, path, "ManagedSave", false, 0, &e), >=, 0);
        before = last_tick(tb, "m1");
        g_assert_true(g_file_test(image, G_FILE_TEST_EXISTS));
        g_assert_true(test_prop_bool(tb, path, "HasManagedSaveImage"));
        g_assert_true(e2e_wait_state(tb, path, 5, 5, 0));
        changed = test_bus_find_signal(tb, "PropertiesChanged", path, 0);
        g_assert_cmpint(changed, >=, 0);
        {
                g_auto(GStrv) list = test_list_domains(tb, 256 /* MANAGEDSAVE */);
                g_assert_cmpuint(g_strv_length(list), ==, 1);
        }

        /* the image's XML, without and with secrets */
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "ManagedSaveGetXMLDesc", &e, &reply, "u", 0), >=, 0);
        {
                const char *x;
                g_assert_cmpint(sd_bus_message_read(reply, "s", &x), >=, 0);
                g_assert_nonnull(strstr(x, "<name>m1</name>"));
        }

        /* B9: no data loss */
        g_assert_cmpint(e2e_domain_call(tb, path, "Undefine", false, 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "managed save");
        sd_bus_error_free(&e);
        g_assert_true(g_file_test(config, G_FILE_TEST_EXISTS));
        g_assert_true(g_file_test(image, G_FILE_TEST_EXISTS));

        /* Create resumes from the image and removes it */
        test_bus_clear_signals(tb);
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), >=, 0);
        g_assert_true(e2e_wait_state(tb, path, 1, 3, 0));
        g_assert_cmpint(e2e_find_event(tb, path, 2, 2, 0), >=, 0);
        g_assert_false(g_file_test(image, G_FILE_TEST_EXISTS));
        g_assert_false(test_prop_bool(tb, path, "HasManagedSaveImage"));
        wait_tick_after(tb, "m1", before);
        g_assert_cmpint(e2e_serial_count(tb, "m1", "TESTGUEST READY"), ==, 1);

        /* again, then Undefine with MANAGED_SAVE removes both files */
        g_assert_cmpint(e2e_domain_call(tb, path, "ManagedSave", false, 0, &e), >=, 0);
        g_assert_cmpint(e2e_domain_call(tb, path, "Undefine", false, 1 /* MANAGED_SAVE */, &e), >=, 0);
        g_assert_false(g_file_test(config, G_FILE_TEST_EXISTS));
        g_assert_false(g_file_test(image, G_FILE_TEST_EXISTS));
}

/* FORCE_BOOT discards the image; a partial image is discarded and the guest boots fresh (C22, C23) */
static void test_managed_save_discarded(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *path = start_ticking(tb, "m1", NULL);
        g_autofree char *image = managed_file(tb, "m1");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL, reply = SD_BUS_ERROR_NULL;

        g_assert_cmpint(e2e_domain_call(tb, path, "ManagedSave", false, 0, &e), >=, 0);
        test_bus_clear_signals(tb);
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 8 /* FORCE_BOOT */, &e), >=, 0);
        g_assert_false(g_file_test(image, G_FILE_TEST_EXISTS));
        g_assert_cmpint(e2e_find_event(tb, path, 2, 0, 0), >=, 0);   /* STARTED/BOOTED */
        g_assert_true(e2e_wait_serial(tb, "m1", "TESTGUEST READY", 2, BOOT_MS));

        /* a managed save cut short by QEMU's death */
        g_assert_true(e2e_wait_serial(tb, "m1", "TESTGUEST TICK 2", 2, BOOT_MS));
        test_bus_clear_signals(tb);
        g_assert_cmpint(sd_bus_call_method_async(tb->bus, NULL, QEMU_BUS_NAME, path, DOMAIN_IFACE, "ManagedSave",
                                                 on_reply, &reply, "u", 0), >=, 0);
        g_assert_true(e2e_wait_event(tb, path, 3, 0, JOB_MS));
        g_assert_cmpint(kill(e2e_qemu_pid(tb, UUID_A), SIGKILL), ==, 0);
        wait_reply(tb, &reply);
        /* issue 10: the image was written beside its place and is gone with the save */
        g_assert_false(g_file_test(image, G_FILE_TEST_EXISTS));
        g_assert_true(e2e_wait_state(tb, path, 5, -1, 5000));
        {
                g_autofree char *dir = g_path_get_dirname(image);
                g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
                const char *entry;
                char partial[64] = "VmmdSavePartial";

                while (d && (entry = g_dir_read_name(d)))
                        g_assert_null(strstr(entry, ".partial-"));
                /* an image with the partial magic (an older vmmd's crash) is still discarded */
                g_assert_true(g_file_set_contents(image, partial, sizeof(partial), NULL));
        }
        test_bus_clear_signals(tb);
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), >=, 0);
        g_assert_false(g_file_test(image, G_FILE_TEST_EXISTS));
        g_assert_cmpint(e2e_find_event(tb, path, 2, 0, 0), >=, 0);
        g_assert_true(e2e_wait_serial(tb, "m1", "TESTGUEST READY", 3, BOOT_MS));
}

/* state errors that need a running QEMU (C7, C15, C25) */
static void test_save_state_errors(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "t1", UUID_A, NULL, NULL, NULL);
        g_autofree char *file = g_strdup_printf("%s/t1.img", tb->dir);
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *p;

        g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainCreateXML", &e, &reply, "su", xml, 0), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
        g_assert_cmpint(e2e_domain_call(tb, p, "ManagedSave", false, 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "transient");
        sd_bus_error_free(&e);
        g_assert_cmpint(e2e_domain_call(tb, p, "Create", false, 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "already running");
        sd_bus_error_free(&e);

        /* a transient domain disappears after its save (C8) and comes back from the image */
        g_assert_cmpint(save(tb, p, file, "", 0, &e), >=, 0);
        {
                g_auto(GStrv) list = test_list_domains(tb, 0);
                g_assert_cmpuint(g_strv_length(list), ==, 0);
        }
        g_autofree char *back = restore(tb, file, "", 0, &e);
        g_assert_nonnull(back);
        g_assert_false(test_prop_bool(tb, back, "Persistent"));
        g_assert_true(e2e_wait_state(tb, back, 1, 3, 0));
        /* C27: restoring the same image while it runs */
        g_assert_null(restore(tb, file, "", 0, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "already active");
}

/* An image QEMU cannot load: the restore fails, the new transient domain goes (C31) */
static void test_restore_truncated(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *path = start_ticking(tb, "s1", NULL);
        g_autofree char *file = g_strdup_printf("%s/s1.img", tb->dir);
        g_autofree char *cut = g_strdup_printf("%s/cut.img", tb->dir);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *cp[] = { "cp", file, cut, NULL };
        const char *trunc[] = { "truncate", "-s", "2000000", cut, NULL };

        g_assert_cmpint(save(tb, path, file, "", 0, &e), >=, 0);
        g_assert_cmpint(test_run(tb, false, NULL, NULL, cp), ==, 0);
        g_assert_cmpint(test_run(tb, false, NULL, NULL, trunc), ==, 0);
        /* the persistent domain: the start fails, it stays SHUTOFF/FAILED */
        g_assert_null(restore(tb, cut, "", 0, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED);
        sd_bus_error_free(&e);
        g_assert_true(e2e_wait_state(tb, path, 5, 6, 0));
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, 0);
        /* without a definition: the transient domain goes away again */
        g_assert_cmpint(e2e_domain_call(tb, path, "Undefine", false, 0, &e), >=, 0);
        g_assert_null(restore(tb, cut, "", 0, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED);
        {
                g_auto(GStrv) list = test_list_domains(tb, 0);
                g_assert_cmpuint(g_strv_length(list), ==, 0);
        }
}

/* C21: a managed save image of another domain is refused and kept */
static void test_managed_save_wrong_owner(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *path = start_ticking(tb, "s1", NULL);
        g_autofree char *file = g_strdup_printf("%s/s1.img", tb->dir);
        g_autofree char *other_xml = e2e_guest_xml(tb, "m2", "6a1f0c4e-1d2b-4c3d-8e9f-0b0000000002", NULL, NULL, NULL);
        g_autofree char *other = NULL, *image = managed_file(tb, "m2");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *dir = g_path_get_dirname(image);
        const char *mk[] = { "mkdir", "-p", dir, NULL };
        const char *cp[] = { "cp", file, image, NULL };

        g_assert_cmpint(save(tb, path, file, "", 0, &e), >=, 0);
        other = test_define(tb, other_xml, 0, &e);
        g_assert_nonnull(other);
        g_assert_cmpint(test_run(tb, false, NULL, NULL, mk), ==, 0);
        g_assert_cmpint(test_run(tb, false, NULL, NULL, cp), ==, 0);
        g_assert_true(test_prop_bool(tb, other, "HasManagedSaveImage"));
        g_assert_cmpint(e2e_domain_call(tb, other, "Create", false, 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, "s1", "m2");
        g_assert_true(g_file_test(image, G_FILE_TEST_EXISTS));
        g_assert_false(test_prop_bool(tb, other, "Active"));
}

/* Lines of the daemon's image-descriptor log (VMMD_TEST_IO_LOG) naming a file under dir that
 * start with prefix ("save image write: " / "save image read: ") and report O_DIRECT on. */
static int io_log_count(const char *log, const char *prefix, const char *dir, bool direct) {
        g_autofree char *data = NULL;
        g_auto(GStrv) lines = NULL;
        g_autofree char *needle = g_strdup_printf("O_DIRECT %s: %s/", direct ? "on" : "off", dir);
        int n = 0;

        if (!g_file_get_contents(log, &data, NULL, NULL))
                return 0;
        lines = g_strsplit(data, "\n", -1);
        for (char **l = lines; *l; l++)
                if (g_str_has_prefix(*l, prefix) && strstr(*l, needle))
                        n++;
        return n;
}

/* BYPASS_CACHE: the image goes through the page cache neither way, and is the same image (C13, C24);
 * the daemon's record of the image descriptor's flags, as the kernel reports them, shows O_DIRECT
 * for each bypassing write and read, and no descriptor of a plain save or restore is direct */
static void test_bypass_cache(void) {
        g_autofree char *logdir = g_dir_make_tmp("vmmd-iolog-XXXXXX", NULL);
        g_autofree char *log = g_build_filename(logdir, "io.log", NULL);
        g_autofree char *env0 = g_strdup_printf("VMMD_TEST_IO_LOG=%s", log);
        const char *env[] = { env0, NULL };
        g_autoptr(E2EBus) tb = e2e_bus_new(env);
        g_autofree char *path = start_ticking(tb, "s1", NULL);
        g_autofree char *file = g_strdup_printf("%s/s1.img", tb->dir);
        g_autofree char *plain = g_strdup_printf("%s/s1-plain.img", tb->dir);
        g_autofree char *magic = NULL, *restored = NULL, *image = managed_file(tb, "s1");
        g_autofree char *save_dir = g_path_get_dirname(image);
        g_autofree char *again = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int before;

        g_assert_nonnull(logdir);
        /* a plain save and restore: no direct copy at all */
        g_assert_cmpint(save(tb, path, plain, "", 0, &e), >=, 0);
        again = restore(tb, plain, "", 0, &e);
        g_assert_nonnull(again);
        g_assert_true(e2e_wait_state(tb, path, 1, 3, 0));
        g_assert_false(g_file_test(log, G_FILE_TEST_EXISTS));

        g_assert_cmpint(save(tb, path, file, "", 1 /* BYPASS_CACHE */, &e), >=, 0);
        g_assert_cmpint(io_log_count(log, "save image write: ", tb->dir, true), ==, 1);
        g_assert_cmpint(io_log_count(log, "save image write: ", tb->dir, false), ==, 0);
        before = last_tick(tb, "s1");
        magic = file_magic(file);
        g_assert_cmpmem(magic, 16, "VmmdSaveImage\0\0\0", 16);
        restored = restore(tb, file, "", 1, &e);
        g_assert_nonnull(restored);
        g_assert_true(e2e_wait_state(tb, path, 1, 3, 0));
        g_assert_cmpint(io_log_count(log, "save image read: ", tb->dir, true), ==, 1);
        wait_tick_after(tb, "s1", before);

        /* managed save and Create with START_BYPASS_CACHE */
        g_assert_cmpint(e2e_domain_call(tb, path, "ManagedSave", false, 1, &e), >=, 0);
        g_assert_cmpint(io_log_count(log, "save image write: ", save_dir, true), ==, 1);
        before = last_tick(tb, "s1");
        g_assert_true(g_file_test(image, G_FILE_TEST_EXISTS));
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 4 /* START_BYPASS_CACHE */, &e), >=, 0);
        g_assert_true(e2e_wait_state(tb, path, 1, 3, 0));
        g_assert_cmpint(io_log_count(log, "save image read: ", save_dir, true), ==, 1);
        wait_tick_after(tb, "s1", before);
        g_assert_cmpint(io_log_count(log, "save image ", "", false), ==, 0);
        (void) unlink(log);
        (void) rmdir(logdir);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/save/save-restore", test_save_restore);
        g_test_add_func("/save/paused", test_save_paused);
        g_test_add_func("/save/restore-dxml", test_restore_dxml);
        g_test_add_func("/save/image-define", test_save_image_define);
        g_test_add_func("/save/interrupted", test_save_interrupted);
        g_test_add_func("/save/managed", test_managed_save);
        g_test_add_func("/save/managed-discarded", test_managed_save_discarded);
        g_test_add_func("/save/state-errors", test_save_state_errors);
        g_test_add_func("/save/bypass-cache", test_bypass_cache);
        g_test_add_func("/save/restore-truncated", test_restore_truncated);
        g_test_add_func("/save/managed-wrong-owner", test_managed_save_wrong_owner);
        return g_test_run();
}
