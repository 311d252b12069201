/* Bus tests for LUKS-encrypted volumes and disks: vmmd-storage and vmmd-qemu get the passphrase from
 * vmmd-secret's Internal interface and hand it to qemu-img / QEMU through a pipe (issue 14). */
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <time.h>
#include "test-storage-common.h"
#include "vmmd/secret1.h"

#define SECRET_UUID "5ec7e700-aaaa-4bbb-8ccc-0000000000a1"
#define OTHER_UUID "5ec7e700-aaaa-4bbb-8ccc-0000000000a2"
#define NOVALUE_UUID "5ec7e700-aaaa-4bbb-8ccc-0000000000a3"
/* distinctive, so that a grep for it anywhere is meaningful */
#define PASSPHRASE "luks-Pass-7f3a9c-zebra"

static char *define_secret(TestBus *tb, const char *uuid, const char *usage_volume) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *usage = usage_volume ?
                g_strdup_printf("<usage type='volume'><volume>%s</volume></usage>", usage_volume) : g_strdup("");
        g_autofree char *xml = g_strdup_printf("<secret ephemeral='no' private='yes'><uuid>%s</uuid>%s</secret>",
                                               uuid, usage);
        const char *path;

        if (test_call_to(tb, SECRET_BUS_NAME, SECRET_MANAGER_PATH, SECRET_MANAGER_INTERFACE, "SecretDefineXML", &e,
                         &reply, "su", xml, 0) < 0)
                g_error("SecretDefineXML: %s: %s", e.name, e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "o", &path), >=, 0);
        return g_strdup(path);
}

static void set_secret_value(TestBus *tb, const char *path, const char *value) {
        g_autoptr(sd_bus_message) m = NULL, reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        g_assert_cmpint(sd_bus_message_new_method_call(tb->bus, &m, SECRET_BUS_NAME, path, SECRET_INTERFACE,
                                                       "SetValue"), >=, 0);
        g_assert_cmpint(sd_bus_message_append_array(m, 'y', value, strlen(value)), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "u", 0), >=, 0);
        if (sd_bus_call(tb->bus, m, 30 * 1000000, &e, &reply) < 0)
                g_error("SetValue: %s: %s", e.name, e.message);
}

static char *luks_vol_xml(const char *name, const char *format, const char *encryption) {
        return g_strdup_printf("<volume><name>%s</name><capacity unit='M'>16</capacity>"
                               "<target><format type='%s'/>%s</target></volume>", name, format, encryption);
}

static char *luks_encryption(const char *uuid) {
        return g_strdup_printf("<encryption format='luks'><secret type='passphrase' uuid='%s'/></encryption>", uuid);
}

/* qemu-img opens path with passphrase: exit status 0 when the passphrase unlocks it */
static int qemu_img_unlocks(const char *path, const char *passphrase) {
        g_autofree char *cmd = g_strdup_printf(
                "qemu-img check -q --object secret,id=s0,data='%s' --image-opts "
                "driver=qcow2,file.filename='%s',encrypt.key-secret=s0 >/dev/null 2>&1", passphrase, path);
        int status = system(cmd);

        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* issue 14: pool 'p' with the LUKS volume enc.qcow2 under secret SECRET_UUID, whose usage is the volume's
 * path (libvirt's convention); the volume's object path, the pool's, the file and the secret's path */
static char *luks_volume(TestBus *tb, char **ret_pool, char **ret_file, char **ret_secret) {
        char *pool = *ret_pool = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *enc = luks_encryption(SECRET_UUID);
        g_autofree char *xml = luks_vol_xml("enc.qcow2", "qcow2", enc);

        *ret_file = g_build_filename(tb->dir, "pools", "p", "enc.qcow2", NULL);
        *ret_secret = define_secret(tb, SECRET_UUID, *ret_file);
        set_secret_value(tb, *ret_secret, PASSPHRASE);
        return st_vol_create_ok(tb, pool, xml, 0);
}

static void test_volume_create(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *pool = NULL, *file = NULL, *secret = NULL;
        g_autofree char *vol = luks_volume(tb, &pool, &file, &secret);
        g_autofree char *dump = NULL, *info = NULL, *cmd = NULL;
        uint64_t cap = 0, alloc = 0;
        int type = -1;

        /* a real LUKS image that this passphrase opens and another does not */
        cmd = g_strdup_printf("qemu-img info --output=json -U '%s'", file);
        info = st_sh(cmd);
        g_assert_nonnull(strstr(info, "\"format\": \"luks\""));
        g_assert_cmpint(qemu_img_unlocks(file, PASSPHRASE), ==, 0);
        g_assert_cmpint(qemu_img_unlocks(file, "not-the-passphrase"), !=, 0);
        /* the XML shows how it is encrypted and with which secret; info works without the key */
        dump = st_get_xml(tb, vol, ST_VOL_IFACE, 0);
        {
                g_autofree char *f = st_xpath(dump, "/volume/target/encryption/@format");
                g_autofree char *u = st_xpath(dump, "/volume/target/encryption/secret/@uuid");
                g_autofree char *t = st_xpath(dump, "/volume/target/encryption/secret/@type");
                g_autofree char *fmt = st_xpath(dump, "/volume/target/format/@type");
                g_assert_cmpstr(f, ==, "luks");
                g_assert_cmpstr(u, ==, SECRET_UUID);
                g_assert_cmpstr(t, ==, "passphrase");
                g_assert_cmpstr(fmt, ==, "qcow2");
        }
        g_assert_null(strstr(dump, PASSPHRASE));
        st_vol_info(tb, vol, 0, &type, &cap, &alloc);
        g_assert_cmpuint(cap, ==, 16 * 1024 * 1024);
        /* GetXMLDesc probes again (S69) and keeps the secret; a pool refresh finds the encryption in
         * the header */
        g_free(dump);
        dump = st_get_xml(tb, vol, ST_VOL_IFACE, 0);
        {
                g_autofree char *u = st_xpath(dump, "/volume/target/encryption/secret/@uuid");
                g_assert_cmpstr(u, ==, SECRET_UUID);
        }
        /* the file changed (a new ctime and mtime): the refresh reads its header again, and the secret
         * the create named stays, since a header never tells it */
        {
                struct timespec later[2] = { { .tv_sec = time(NULL) + 5 }, { .tv_sec = time(NULL) + 5 } };
                g_assert_cmpint(utimensat(AT_FDCWD, file, later, 0), ==, 0);
        }
        st_ok(tb, pool, ST_POOL_IFACE, "Refresh", "u", 0);
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *again = st_vol_lookup(tb, pool, "enc.qcow2", &e);
                g_autofree char *x = st_get_xml(tb, again, ST_VOL_IFACE, 0);
                g_autofree char *f = st_xpath(x, "/volume/target/encryption/@format");
                g_autofree char *u = st_xpath(x, "/volume/target/encryption/secret/@uuid");
                g_assert_cmpstr(f, ==, "luks");
                g_assert_cmpstr(u, ==, SECRET_UUID);
        }
}

/* Resize of a LUKS volume opens it with its key: with the secret the create named, and after a
 * restart (when only the header says it is encrypted) with the secret whose usage is its path */
static void test_volume_resize(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *pool = NULL, *file = NULL, *secret = NULL;
        g_autofree char *vol = luks_volume(tb, &pool, &file, &secret);
        g_autofree char *dump = NULL;
        uint64_t cap = 0, alloc = 0;
        int type = -1;

        st_ok(tb, vol, ST_VOL_IFACE, "Resize", "tu", (uint64_t) 32 * 1024 * 1024, 0);
        st_vol_info(tb, vol, 0, &type, &cap, &alloc);
        g_assert_cmpuint(cap, ==, 32 * 1024 * 1024);

        test_bus_kill_name(tb, ST);
        dump = st_get_xml(tb, vol, ST_VOL_IFACE, 0);
        {
                g_autofree char *f = st_xpath(dump, "/volume/target/encryption/@format");
                g_assert_cmpstr(f, ==, "luks");
        }
        st_ok(tb, vol, ST_VOL_IFACE, "Resize", "tu", (uint64_t) 48 * 1024 * 1024, 0);
        st_vol_info(tb, vol, 0, &type, &cap, &alloc);
        g_assert_cmpuint(cap, ==, 48 * 1024 * 1024);
        g_assert_cmpint(qemu_img_unlocks(file, PASSPHRASE), ==, 0);

        /* a clone would need the key on both sides: refused, nothing made */
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *copy = st_vol_clone(tb, pool, "<volume><name>copy.qcow2</name><target>"
                                                     "<format type='qcow2'/></target></volume>", vol, 0, &e);
                g_autofree char *copy_file = g_build_filename(tb->dir, "pools", "p", "copy.qcow2", NULL);
                g_assert_null(copy);
                assert_bus_error(&e, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "enc.qcow2");
                g_assert_false(g_file_test(copy_file, G_FILE_TEST_EXISTS));
        }
        /* without any secret for it, the resize fails and the volume keeps its size */
        test_bus_kill_name(tb, ST);
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                if (test_call_to(tb, SECRET_BUS_NAME, secret, SECRET_INTERFACE, "Undefine", &e, NULL, "") < 0)
                        g_error("Undefine: %s: %s", e.name, e.message);
        }
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(st_call(tb, vol, ST_VOL_IFACE, "Resize", &e, NULL, "tu",
                                        (uint64_t) 64 * 1024 * 1024, 0), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_NO_SECRET, "volume 'enc.qcow2'");
        }
        st_vol_info(tb, vol, 0, &type, &cap, &alloc);
        g_assert_cmpuint(cap, ==, 48 * 1024 * 1024);
}

/* A qemu-img on the daemons' PATH that fails the first `fails` LUKS creates as a qemu-img whose
 * CPU clock did not move while it timed the key derivation, then runs the real one. */
static char *fake_qemu_img(const char *dir, unsigned fails) {
        g_autofree char *real = g_find_program_in_path("qemu-img");
        g_autofree char *bin = g_build_filename(dir, "fakebin", NULL);
        g_autofree char *script = g_build_filename(bin, "qemu-img", NULL);
        g_autofree char *text = g_strdup_printf(
                "#!/bin/sh\n"
                "if [ \"$1\" = create ]; then\n"
                "  echo attempt >> '%s/attempts'\n"
                "  if [ \"$(wc -l < '%s/attempts')\" -le %u ]; then\n"
                "    cat /dev/fd/3 > /dev/null\n"
                "    echo \"qemu-img: $(eval echo \\${$#}): Unable to get accurate CPU usage\" >&2\n"
                "    exit 1\n"
                "  fi\n"
                "fi\n"
                "exec '%s' \"$@\"\n", dir, dir, fails, real);

        g_assert_nonnull(real);
        test_write_file(script, text);
        g_assert_cmpint(chmod(script, 0755), ==, 0);
        return g_strdup_printf("PATH=%s:%s", bin, g_getenv("PATH"));
}

static unsigned count_lines(const char *file) {
        g_autofree char *data = test_read_file(file);
        unsigned n = 0;

        for (const char *p = data; p && *p; p++)
                n += *p == '\n';
        return n;
}

/* qemu-img's "Unable to get accurate CPU usage" (a loaded machine) is retried: 4 attempts in all */
static void test_volume_create_retry(void) {
        g_autofree char *dir = g_dir_make_tmp("vmmd-luks-XXXXXX", NULL);
        g_autofree char *path_env = fake_qemu_img(dir, 5);
        g_autofree char *attempts = g_build_filename(dir, "attempts", NULL);
        const char *const env[] = { path_env, NULL };
        g_autoptr(TestBus) tb = test_bus_new(env);
        g_autofree char *pool = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *pool_dir = st_pool_dir(tb, "p");
        g_autofree char *secret = define_secret(tb, SECRET_UUID, NULL);
        g_autofree char *enc = luks_encryption(SECRET_UUID);
        g_autofree char *xml1 = luks_vol_xml("a.qcow2", "qcow2", enc);
        g_autofree char *xml2 = luks_vol_xml("b.qcow2", "qcow2", enc);
        g_autofree char *file2 = g_build_filename(pool_dir, "b.qcow2", NULL);
        g_autofree char *before = NULL, *after = NULL, *vol = NULL;

        set_secret_value(tb, secret, PASSPHRASE);
        /* fails 4 times in a row (attempts 1–4): the create gives up with qemu-img's words */
        before = test_dir_snapshot(pool_dir);
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_null(st_vol_create(tb, pool, xml1, 0, &e));
                assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, "Unable to get accurate CPU usage");
        }
        g_assert_cmpuint(count_lines(attempts), ==, 4);
        after = test_dir_snapshot(pool_dir);
        g_assert_cmpstr(after, ==, before);
        /* attempt 5 fails, the real qemu-img runs from attempt 6 on: the second create succeeds after
         * one retry (or more, when the real one could not time its key derivation either) */
        vol = st_vol_create_ok(tb, pool, xml2, 0);
        g_assert_cmpuint(count_lines(attempts), >=, 6);
        g_assert_cmpuint(count_lines(attempts), <=, 8);
        g_assert_cmpint(qemu_img_unlocks(file2, PASSPHRASE), ==, 0);
        {
                g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
                g_free(st_sh(rm));
        }
}

/* the secret named by usage (type volume) instead of uuid */
static void test_volume_create_by_usage(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *pool = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *file = g_build_filename(tb->dir, "pools", "p", "u.qcow2", NULL);
        g_autofree char *secret = define_secret(tb, SECRET_UUID, "luks-usage-id");
        g_autofree char *xml = luks_vol_xml("u.qcow2", "qcow2",
                "<encryption format='luks'><secret type='passphrase' usage='luks-usage-id'/></encryption>");
        g_autofree char *vol = NULL;

        set_secret_value(tb, secret, PASSPHRASE);
        vol = st_vol_create_ok(tb, pool, xml, 0);
        g_assert_cmpint(qemu_img_unlocks(file, PASSPHRASE), ==, 0);
}

/* bad requests: a named error, no file, no volume, no signal */
static void test_volume_create_errors(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *pool = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *dir = st_pool_dir(tb, "p");
        g_autofree char *novalue = define_secret(tb, NOVALUE_UUID, NULL);
        g_autofree char *before = NULL, *after = NULL;
        static const struct {
                const char *format, *encryption, *error, *mention;
        } cases[] = {
                { "qcow2", "<encryption format='luks'><secret type='passphrase' uuid='" OTHER_UUID "'/></encryption>",
                  VMMD_DBUS_ERROR_NO_SECRET, OTHER_UUID },
                { "qcow2", "<encryption format='luks'><secret type='passphrase' uuid='" NOVALUE_UUID "'/></encryption>",
                  VMMD_DBUS_ERROR_NO_SECRET, "does not have a value" },
                { "qcow2", "<encryption format='luks'><secret type='passphrase' usage='nobody-uses-this'/></encryption>",
                  VMMD_DBUS_ERROR_NO_SECRET, "nobody-uses-this" },
                { "raw", "<encryption format='luks'><secret type='passphrase' uuid='" OTHER_UUID "'/></encryption>",
                  VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "qcow2" },
                { "qcow2", "<encryption format='luks'/>", VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "secret" },
                { "qcow2", "<encryption format='qcow'><secret type='passphrase' uuid='" OTHER_UUID "'/></encryption>",
                  VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "luks" },
        };

        before = test_dir_snapshot(dir);
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *xml = luks_vol_xml("bad.qcow2", cases[i].format, cases[i].encryption);
                g_autofree char *path = NULL;

                test_bus_clear_signals(tb);
                path = st_vol_create(tb, pool, xml, 0, &e);
                g_assert_null(path);
                assert_bus_error(&e, cases[i].error, cases[i].mention);
                if (g_str_equal(cases[i].error, VMMD_DBUS_ERROR_NO_SECRET))
                        assert_bus_error(&e, cases[i].error, "volume 'bad.qcow2'");
                test_bus_drain(tb);
                g_assert_cmpint(test_bus_find_signal(tb, "InterfacesAdded", NULL, 0), <, 0);
                after = test_dir_snapshot(dir);
                g_assert_cmpstr(after, ==, before);
                g_clear_pointer(&after, g_free);
        }
        /* the name is free again: with a secret that has a value the same create works */
        {
                g_autofree char *secret = define_secret(tb, OTHER_UUID, NULL);
                g_autofree char *xml = luks_vol_xml("bad.qcow2", "qcow2", cases[0].encryption);
                g_autofree char *vol = NULL;
                set_secret_value(tb, secret, PASSPHRASE);
                vol = st_vol_create_ok(tb, pool, xml, 0);
        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/luks/volume-create", test_volume_create);
        g_test_add_func("/luks/volume-create-by-usage", test_volume_create_by_usage);
        g_test_add_func("/luks/volume-resize", test_volume_resize);
        g_test_add_func("/luks/volume-create-retry", test_volume_create_retry);
        g_test_add_func("/luks/volume-create-errors", test_volume_create_errors);
        return g_test_run();
}
