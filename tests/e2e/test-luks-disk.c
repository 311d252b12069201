/* End-to-end: a guest with a LUKS-encrypted qcow2 data disk made by vmmd-storage, its passphrase a vmmd-secret
 * secret that vmmd-qemu hands to QEMU through a pipe; wrong and missing secrets fail the start naming the disk. */
#include <dirent.h>
#include <signal.h>

#include "e2e-util.h"
#include "test-storage-common.h"
#include "vmmd/secret1.h"

#define BOOT_MS 90000      /* TCG boot plus two LUKS key derivations on a loaded machine */
#define UUID_DOM "5d6e0b5c-64f7-4f5e-9a3c-0a00000000e1"
#define SECRET_GOOD "5ec7e700-aaaa-4bbb-8ccc-0000000000e1"
#define SECRET_WRONG "5ec7e700-aaaa-4bbb-8ccc-0000000000e2"
#define SECRET_NONE "5ec7e700-aaaa-4bbb-8ccc-0000000000e3"
/* distinctive: found anywhere, it leaked */
#define PASSPHRASE "e2e-LUKS-q8Zr-walrus-5521"
#define WRONG_PASSPHRASE "e2e-LUKS-not-the-one-8812"

static void define_secret(TestBus *tb, const char *uuid, const char *value) {
        g_autoptr(sd_bus_message) reply = NULL, m = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *xml = g_strdup_printf("<secret ephemeral='no' private='yes'><uuid>%s</uuid></secret>", uuid);
        const char *path;

        if (test_call_to(tb, SECRET_BUS_NAME, SECRET_MANAGER_PATH, SECRET_MANAGER_INTERFACE, "SecretDefineXML", &e,
                         &reply, "su", xml, 0) < 0)
                g_error("SecretDefineXML: %s: %s", e.name, e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "o", &path), >=, 0);
        g_assert_cmpint(sd_bus_message_new_method_call(tb->bus, &m, SECRET_BUS_NAME, path, SECRET_INTERFACE,
                                                       "SetValue"), >=, 0);
        g_assert_cmpint(sd_bus_message_append_array(m, 'y', value, strlen(value)), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "u", 0), >=, 0);
        g_clear_pointer(&reply, sd_bus_message_unref);
        if (sd_bus_call(tb->bus, m, 30 * 1000000, &e, &reply) < 0)
                g_error("SetValue: %s: %s", e.name, e.message);
}

/* A dir pool 'p' with the 16 MiB LUKS qcow2 volume 'enc.qcow2' under secret SECRET_GOOD and a plain
 * 1 MiB raw 'plain.raw' (the guest's vda, so that the encrypted disk is its second, vdb). */
static void make_luks_volume(TestBus *tb) {
        g_autofree char *pool = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *plain = st_vol_create_ok(tb, pool,
                "<volume><name>plain.raw</name><capacity unit='M'>1</capacity></volume>", 0);
        g_autofree char *vol = st_vol_create_ok(tb, pool,
                "<volume><name>enc.qcow2</name><capacity unit='M'>16</capacity><target><format type='qcow2'/>"
                "<encryption format='luks'><secret type='passphrase' uuid='" SECRET_GOOD "'/></encryption>"
                "</target></volume>", 0);
}

static char *luks_disk(const char *secret) {
        return g_strdup_printf("    <disk type='volume' device='disk'>\n"
                               "      <driver name='qemu' type='raw'/>\n"
                               "      <source pool='p' volume='plain.raw'/>\n"
                               "      <target dev='vda' bus='virtio'/>\n"
                               "    </disk>\n"
                               "    <disk type='volume' device='disk'>\n"
                               "      <driver name='qemu' type='qcow2'/>\n"
                               "      <source pool='p' volume='enc.qcow2'/>\n"
                               "      <target dev='vdb' bus='virtio'/>\n"
                               "      <encryption format='luks'><secret type='passphrase' uuid='%s'/></encryption>\n"
                               "    </disk>\n", secret);
}

static bool file_contains(const char *path, const char *needle) {
        g_autofree char *data = NULL;
        gsize len = 0;

        if (!g_file_get_contents(path, &data, &len, NULL))
                return false;
        return memmem(data, len, needle, strlen(needle)) != NULL;
}

/* Every process's command line on the machine: none may hold the passphrase. */
static void assert_no_cmdline_has(const char *needle) {
        g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
        const char *name;
        unsigned seen = 0;

        g_assert_nonnull(proc);
        while ((name = g_dir_read_name(proc))) {
                g_autofree char *file = NULL;

                if (!g_ascii_isdigit(name[0]))
                        continue;
                file = g_strdup_printf("/proc/%s/cmdline", name);
                if (file_contains(file, needle))
                        g_error("the passphrase is on the command line of process %s", name);
                seen++;
        }
        g_assert_cmpuint(seen, >, 1);
}

/* Every regular file under dir: none may hold the passphrase. */
static void assert_no_file_has(const char *dir, const char *needle) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *name;

        if (!d)
                return;
        while ((name = g_dir_read_name(d))) {
                g_autofree char *path = g_build_filename(dir, name, NULL);

                if (g_file_test(path, G_FILE_TEST_IS_SYMLINK))
                        continue;
                if (g_file_test(path, G_FILE_TEST_IS_DIR))
                        assert_no_file_has(path, needle);
                else if (g_file_test(path, G_FILE_TEST_IS_REGULAR) && file_contains(path, needle))
                        g_error("the passphrase is in %s", path);
        }
}

static char *define_domain(TestBus *tb, const char *name, const char *secret) {
        g_autofree char *disk = luks_disk(secret);
        g_autofree char *xml = e2e_guest_xml(tb, name, UUID_DOM, NULL, NULL, disk);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *path = test_define(tb, xml, 0, &e);

        if (!path)
                g_error("define: %s: %s", e.name, e.message);
        return path;
}

/* the guest sees the decrypted disk; nothing anywhere holds the passphrase; re-attach works */
static void test_boot(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *path = NULL, *status = NULL, *log = NULL, *xml = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        pid_t qemu;
        int state, reason;

        define_secret(tb, SECRET_GOOD, PASSPHRASE);
        make_luks_volume(tb);
        path = define_domain(tb, "luks1", SECRET_GOOD);
        if (e2e_domain_call(tb, path, "Create", false, 0, &e) < 0)
                g_error("Create: %s: %s", e.name, e.message);
        /* 16 MiB: the guest reads the plaintext size, not the image's */
        if (!e2e_wait_serial(tb, "luks1", "TESTGUEST READY", 1, BOOT_MS) ||
            !e2e_wait_serial(tb, "luks1", "TESTGUEST DISK vdb sectors=32768", 1, 1000)) {
                g_autofree char *serial = e2e_serial_file(tb, "luks1");
                g_autofree char *out = test_read_file(serial);
                g_autofree char *logf = g_strdup_printf("%s/var/log/vmmd/qemu/luks1.log", tb->root);
                g_autofree char *logs = test_read_file(logf);
                g_error("no 'TESTGUEST DISK vdb sectors=32768' on the console:\n%s\nlog:\n%s", out ? out : "",
                        logs ? logs : "");
        }
        g_assert_true(e2e_wait_serial(tb, "luks1", "TESTGUEST READY", 1, BOOT_MS));
        qemu = e2e_qemu_pid(tb, UUID_DOM);
        g_assert_cmpint(qemu, >, 0);

        /* not on any command line, not in the status file, the logs or anything else under the root */
        assert_no_cmdline_has(PASSPHRASE);
        status = g_strdup_printf("%s/run/vmmd/qemu/luks1.xml", tb->root);
        log = g_strdup_printf("%s/var/log/vmmd/qemu/luks1.log", tb->root);
        g_assert_true(g_file_test(status, G_FILE_TEST_EXISTS));
        g_assert_true(g_file_test(log, G_FILE_TEST_EXISTS));
        g_assert_true(file_contains(log, "encryption-secret0,file=/dev/fd/"));
        assert_no_file_has(tb->dir, PASSPHRASE);
        xml = test_get_xml(tb, path, 1 /* XML_SECURE */);
        g_assert_nonnull(strstr(xml, SECRET_GOOD));
        g_assert_null(strstr(xml, PASSPHRASE));

        /* a restarted vmmd-qemu re-attaches: QEMU already holds the key, nothing is asked again */
        test_bus_kill_name(tb, QEMU_BUS_NAME);
        g_assert_cmpint(kill(qemu, 0), ==, 0);
        {
                g_auto(GStrv) list = test_list_domains(tb, 1);
                g_assert_cmpuint(g_strv_length(list), ==, 1);
        }
        g_assert_true(e2e_wait_state(tb, path, 1, -1, 10000));
        test_prop_state(tb, path, &state, &reason);
        g_assert_cmpint(state, ==, 1);
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_DOM), ==, qemu);
        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), >=, 0);
        g_assert_true(e2e_wait_pid_exit(qemu, 30000));
}

/* a passphrase that does not open the disk, and a secret that does not exist: the start fails
 * naming the disk, and no QEMU is left */
static void test_bad_secrets(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *path = NULL;
        int state, reason;

        define_secret(tb, SECRET_GOOD, PASSPHRASE);
        define_secret(tb, SECRET_WRONG, WRONG_PASSPHRASE);
        make_luks_volume(tb);

        path = define_domain(tb, "luks2", SECRET_WRONG);
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, "disk 'vdb'", SECRET_WRONG, "does not unlock");
                g_assert_null(strstr(e.message, WRONG_PASSPHRASE));
        }
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_DOM), ==, 0);
        test_prop_state(tb, path, &state, &reason);
        g_assert_cmpint(state, ==, 5);
        assert_no_cmdline_has(WRONG_PASSPHRASE);
        assert_no_file_has(tb->dir, WRONG_PASSPHRASE);

        /* redefined with a secret that does not exist: vmmd-secret's NoSecret, naming the disk */
        g_free(path);
        path = define_domain(tb, "luks2", SECRET_NONE);
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_NO_SECRET, "disk 'vdb'", SECRET_NONE);
        }
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_DOM), ==, 0);
        test_prop_state(tb, path, &state, &reason);
        g_assert_cmpint(state, ==, 5);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/e2e/luks/boot", test_boot);
        g_test_add_func("/e2e/luks/bad-secrets", test_bad_secrets);
        return g_test_run();
}
