/* Unit tests for the image header probe: images made by the real qemu-img of every format, compared
 * field by field with `qemu-img info --output=json`, and hand-made hostile headers that must be refused. */
#include "image-probe.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"

static char *tmpdir;

/* Runs qemu-img with args (space separated, no quoting needed) in tmpdir; the test stops when it fails. */
static char *qemu_img(const char *args) {
        g_autofree char *cmd = g_strdup_printf("qemu-img %s", args);
        g_auto(GStrv) argv = g_strsplit(cmd, " ", -1);
        g_autofree char *err = NULL;
        g_autoptr(GError) error = NULL;
        char *out = NULL;
        int status;

        /* LUKS key setup times PBKDF2 with the thread's CPU clock and gives up when the clock did
         * not tick ("Unable to get accurate CPU usage"): a busy 2-core machine; try again */
        for (int attempt = 0;; attempt++) {
                g_assert_true(g_spawn_sync(tmpdir, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                                           &error));
                g_assert_no_error(error);
                if (g_spawn_check_wait_status(status, NULL))
                        return out;
                if (attempt == 5 || !strstr(err, "accurate CPU usage"))
                        g_error("qemu-img %s failed: %s", args, err);
                g_clear_pointer(&out, g_free);
                g_clear_pointer(&err, g_free);
        }
}

static VmmdImageInfo *probe_file(const char *name, GError **error) {
        g_autofree char *path = g_build_filename(tmpdir, name, NULL);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        VmmdImageInfo *info;

        g_assert_cmpint(fd, >=, 0);
        info = vmmd_image_probe_fd(fd, name, error);
        close(fd);
        return info;
}

static const char *member_string(JsonObject *o, const char *name) {
        return json_object_has_member(o, name) ? json_object_get_string_member(o, name) : NULL;
}

static uint64_t member_int(JsonObject *o, const char *name) {
        return json_object_has_member(o, name) ? (uint64_t) json_object_get_int_member(o, name) : 0;
}

/* The probe of name must say what qemu-img says about it. */
static void check_agrees(const char *name, bool cluster_known) {
        g_autofree char *args = g_strdup_printf("info --output=json -U %s", name);
        g_autofree char *json = qemu_img(args);
        g_autoptr(JsonParser) parser = json_parser_new();
        g_autoptr(VmmdImageInfo) info = NULL;
        g_autoptr(GError) error = NULL;
        JsonObject *o, *data = NULL;
        const char *qformat;

        g_test_message("%s: %s", name, json);
        g_assert_true(json_parser_load_from_data(parser, json, -1, NULL));
        o = json_node_get_object(json_parser_get_root(parser));
        info = probe_file(name, &error);
        g_assert_no_error(error);
        g_assert_nonnull(info);

        qformat = member_string(o, "format");
        g_assert_cmpstr(vmmd_image_format_name(info->format), ==, qformat);
        g_assert_cmpuint(info->virtual_size, ==, member_int(o, "virtual-size"));
        if (cluster_known)
                g_assert_cmpuint(info->cluster_size, ==, member_int(o, "cluster-size"));
        g_assert_cmpstr(info->backing_file, ==, member_string(o, "backing-filename"));
        g_assert_cmpstr(info->backing_format, ==, member_string(o, "backing-filename-format"));
        if (json_object_has_member(o, "format-specific"))
                data = json_object_get_object_member(json_object_get_object_member(o, "format-specific"), "data");
        if (info->format == VMMD_IMAGE_QCOW2) {
                JsonObject *encrypt = json_object_has_member(data, "encrypt") ?
                                      json_object_get_object_member(data, "encrypt") : NULL;
                const char *efmt = encrypt ? member_string(encrypt, "format") : NULL;

                g_assert_cmpstr(info->compat, ==, member_string(data, "compat"));
                g_assert_cmpint(info->lazy_refcounts, ==,
                                json_object_has_member(data, "lazy-refcounts") &&
                                json_object_get_boolean_member(data, "lazy-refcounts"));
                g_assert_cmpint(info->extended_l2, ==,
                                json_object_has_member(data, "extended-l2") &&
                                json_object_get_boolean_member(data, "extended-l2"));
                g_assert_cmpint(info->encryption, ==,
                                !efmt ? VMMD_IMAGE_ENCRYPTION_NONE :
                                g_str_equal(efmt, "luks") ? VMMD_IMAGE_ENCRYPTION_LUKS : VMMD_IMAGE_ENCRYPTION_AES);
        } else
                g_assert_null(info->compat);
        if (json_object_has_member(o, "encrypted") && json_object_get_boolean_member(o, "encrypted"))
                g_assert_cmpint(info->encryption, !=, VMMD_IMAGE_ENCRYPTION_NONE);
}

static void write_file(const char *name, const void *data, size_t len) {
        g_autofree char *path = g_build_filename(tmpdir, name, NULL);
        g_autoptr(GError) error = NULL;

        g_file_set_contents(path, data, (gssize) len, &error);
        g_assert_no_error(error);
}

static void test_raw(void) {
        g_autofree char *out = qemu_img("create -f raw r.raw 1M");
        char odd[1000];
        g_autofree uint8_t *iso = g_malloc0(64 * 1024);

        check_agrees("r.raw", false);
        memset(odd, 'x', sizeof(odd));
        write_file("odd.img", odd, sizeof(odd));
        check_agrees("odd.img", false);
        write_file("empty.img", "", 0);
        check_agrees("empty.img", false);

        /* S28: raw with the ISO-9660 signature */
        memcpy(iso + 32769, "CD001", 5);
        write_file("cd.iso", iso, 64 * 1024);
        check_agrees("cd.iso", false);
        {
                g_autoptr(VmmdImageInfo) info = probe_file("cd.iso", NULL);
                g_autoptr(VmmdImageInfo) plain = probe_file("r.raw", NULL);
                g_assert_true(info->iso9660);
                g_assert_false(plain->iso9660);
        }
}

static void test_qcow2(void) {
        g_free(qemu_img("create -f qcow2 a.qcow2 10M"));
        check_agrees("a.qcow2", true);
        g_free(qemu_img("create -f qcow2 -o compat=0.10 old.qcow2 3G"));
        check_agrees("old.qcow2", true);
        g_free(qemu_img("create -f qcow2 -o cluster_size=4096,lazy_refcounts=on small.qcow2 1000"));
        check_agrees("small.qcow2", true);
        g_free(qemu_img("create -f qcow2 -o extended_l2=on,cluster_size=128k ext.qcow2 1T"));
        check_agrees("ext.qcow2", true);
        g_free(qemu_img("create -f qcow2 -o cluster_size=2M big.qcow2 64P"));
        check_agrees("big.qcow2", true);
}

static void test_qcow2_chain(void) {
        g_free(qemu_img("create -f raw base.raw 4M"));
        g_free(qemu_img("create -f qcow2 -b base.raw -F raw l1.qcow2"));
        g_free(qemu_img("create -f qcow2 -b l1.qcow2 -F qcow2 l2.qcow2 8M"));
        g_free(qemu_img("create -f qcow2 -o compat=0.10 -b l2.qcow2 -F qcow2 l3.qcow2"));
        check_agrees("l1.qcow2", true);
        check_agrees("l2.qcow2", true);
        check_agrees("l3.qcow2", true);
        {
                g_autofree char *abs = g_build_filename(tmpdir, "l1.qcow2", NULL);
                g_autofree char *args = g_strdup_printf("create -f qcow2 -b %s -F qcow2 abs.qcow2", abs);
                g_autoptr(VmmdImageInfo) info = NULL;

                g_free(qemu_img(args));
                check_agrees("abs.qcow2", true);
                info = probe_file("abs.qcow2", NULL);
                g_assert_cmpstr(info->backing_file, ==, abs);
        }
        /* an image backed by itself: the probe reports the name and follows nothing */
        g_free(qemu_img("create -f qcow2 loop.qcow2 1M"));
        g_free(qemu_img("rebase -u -f qcow2 -b loop.qcow2 -F qcow2 loop.qcow2"));
        {
                g_autoptr(VmmdImageInfo) info = probe_file("loop.qcow2", NULL);
                g_assert_nonnull(info);
                g_assert_cmpstr(info->backing_file, ==, "loop.qcow2");
                g_assert_cmpstr(info->backing_format, ==, "qcow2");
        }
}

static void test_qcow2_encrypted(void) {
        g_free(qemu_img("create -f qcow2 --object secret,id=s,data=x "
                        "-o encrypt.format=luks,encrypt.key-secret=s,encrypt.iter-time=10 luks.qcow2 10M"));
        check_agrees("luks.qcow2", true);
        g_free(qemu_img("create -f qcow2 --object secret,id=s,data=x "
                        "-o encrypt.format=aes,encrypt.key-secret=s,compat=0.10 aes.qcow2 10M"));
        check_agrees("aes.qcow2", true);
        {
                g_autoptr(VmmdImageInfo) l = probe_file("luks.qcow2", NULL);
                g_autoptr(VmmdImageInfo) a = probe_file("aes.qcow2", NULL);
                g_assert_cmpint(l->encryption, ==, VMMD_IMAGE_ENCRYPTION_LUKS);
                g_assert_cmpint(a->encryption, ==, VMMD_IMAGE_ENCRYPTION_AES);
        }
        /* raw LUKS is left to qemu-img */
        g_free(qemu_img("create -f luks --object secret,id=s,data=x -o key-secret=s,iter-time=10 plain.luks 1M"));
        {
                g_autoptr(VmmdImageInfo) info = probe_file("plain.luks", NULL);
                g_assert_cmpint(info->format, ==, VMMD_IMAGE_OTHER);
        }
}

static void test_other_formats(void) {
        g_free(qemu_img("create -f qcow2 q.qcow2 1M"));
        g_free(qemu_img("create -f qcow -b q.qcow2 -F qcow2 v1.qcow 10M"));
        check_agrees("v1.qcow", true);
        g_free(qemu_img("create -f qcow plain.qcow 10M"));
        check_agrees("plain.qcow", true);
        g_free(qemu_img("create -f qed d.qed 10M"));
        check_agrees("d.qed", true);
        g_free(qemu_img("create -f qed -b q.qcow2 -F qcow2 child.qed"));
        check_agrees("child.qed", true);
        g_free(qemu_img("create -f raw r2.raw 2M"));
        g_free(qemu_img("create -f qed -b r2.raw -F raw rawchild.qed"));
        check_agrees("rawchild.qed", true);
        g_free(qemu_img("create -f vdi d.vdi 10M"));
        check_agrees("d.vdi", true);
        g_free(qemu_img("create -f vdi -o static=on s.vdi 3M"));
        check_agrees("s.vdi", true);
        g_free(qemu_img("create -f vpc p.vpc 10M"));
        check_agrees("p.vpc", true);
        g_free(qemu_img("create -f vpc -o force_size=on forced.vpc 10M"));
        check_agrees("forced.vpc", true);
        /* a fixed VHD has its footer only at the end: qemu-img and the probe both call it raw */
        g_free(qemu_img("create -f vpc -o subformat=fixed fixed.vpc 1M"));
        check_agrees("fixed.vpc", false);
}

static void test_vmdk(void) {
        g_free(qemu_img("create -f vmdk v.vmdk 10M"));
        check_agrees("v.vmdk", true);
        g_free(qemu_img("create -f vmdk -b v.vmdk -F vmdk child.vmdk"));
        check_agrees("child.vmdk", true);
        /* descriptor files: the extents are other files the probe does not open, so no cluster size */
        g_free(qemu_img("create -f vmdk -o subformat=monolithicFlat flat.vmdk 10M"));
        check_agrees("flat.vmdk", false);
        g_free(qemu_img("create -f vmdk -o subformat=twoGbMaxExtentSparse split.vmdk 3G"));
        check_agrees("split.vmdk", false);
}

/* --- hostile headers --- */

static void put_be32(uint8_t *p, uint32_t v) {
        p[0] = v >> 24;
        p[1] = v >> 16;
        p[2] = v >> 8;
        p[3] = v;
}

static void put_be64(uint8_t *p, uint64_t v) {
        put_be32(p, v >> 32);
        put_be32(p + 4, (uint32_t) v);
}

static void put_le32(uint8_t *p, uint32_t v) {
        p[0] = v;
        p[1] = v >> 8;
        p[2] = v >> 16;
        p[3] = v >> 24;
}

static void put_le64(uint8_t *p, uint64_t v) {
        put_le32(p, (uint32_t) v);
        put_le32(p + 4, v >> 32);
}

/* a sane 4 KiB qcow2 v3 header with a 64 KiB cluster and no backing file */
static uint8_t *qcow2_header(size_t len) {
        uint8_t *h = g_malloc0(len);

        memcpy(h, "QFI\xfb", 4);
        put_be32(h + 4, 3);
        put_be32(h + 20, 16);
        put_be64(h + 24, 1 << 20);
        put_be32(h + 96, 4);
        put_be32(h + 100, 112);
        return h;
}

static void refused(const void *data, size_t len, const char *what) {
        g_autoptr(GError) error = NULL;
        g_autoptr(VmmdImageInfo) info = vmmd_image_probe_data(data, len, "hostile", &error);

        g_test_message("%s: %s", what, error ? error->message : "(accepted)");
        g_assert_null(info);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED);
        g_assert_nonnull(strstr(error->message, "hostile"));
}

static void test_hostile_qcow2(void) {
        const size_t len = 4096;
        g_autofree uint8_t *h = qcow2_header(len);
        g_autoptr(VmmdImageInfo) ok = vmmd_image_probe_data(h, len, "good", NULL);

        g_assert_nonnull(ok);
        g_assert_cmpuint(ok->virtual_size, ==, 1 << 20);

        refused(h, 50, "cut short");
        put_be32(h + 20, 40);
        refused(h, len, "cluster bits");
        put_be32(h + 20, 16);
        put_be32(h + 4, 7);
        refused(h, len, "version");
        put_be32(h + 4, 3);
        put_be64(h + 24, G_MAXUINT64);
        refused(h, len, "size");
        put_be64(h + 24, 1 << 20);
        put_be32(h + 100, 8);
        refused(h, len, "header length below the fixed header");
        put_be32(h + 100, 1 << 20);
        refused(h, len, "header length beyond the cluster");
        put_be32(h + 100, 112);
        put_be64(h + 72, 1ull << 40);
        refused(h, len, "unknown incompatible feature");
        put_be64(h + 72, 0);

        /* backing file name: beyond the file, past the cluster, too long, overflowing, not UTF-8 */
        put_be64(h + 8, 3500);
        put_be32(h + 16, 1000);
        refused(h, len, "backing name beyond the file");
        put_be32(h + 16, 1100);
        refused(h, len, "backing name too long");
        put_be64(h + 8, G_MAXUINT64 - 2);
        put_be32(h + 16, 16);
        refused(h, len, "backing offset overflows");
        put_be64(h + 8, 65530);
        put_be32(h + 16, 16);
        refused(h, len, "backing name past the first cluster");
        put_be64(h + 8, 1024);
        put_be32(h + 16, 4);
        memcpy(h + 1024, "a\xff\xfe" "b", 4);
        refused(h, len, "backing name not UTF-8");
        memcpy(h + 1024, "a\0bc", 4);
        refused(h, len, "backing name with a NUL");
        memcpy(h + 1024, "base", 4);
        {
                g_autoptr(VmmdImageInfo) info = vmmd_image_probe_data(h, len, "good", NULL);
                g_assert_nonnull(info);
                g_assert_cmpstr(info->backing_file, ==, "base");
        }

        /* header extensions */
        put_be32(h + 112, 0xe2792aca);
        put_be32(h + 116, 0x7fffffff);
        refused(h, len, "extension longer than the header");
        put_be32(h + 116, 40);
        refused(h, len, "backing format too long");
        put_be32(h + 116, 5);
        memcpy(h + 120, "qc\x80w2", 5);
        refused(h, len, "backing format not UTF-8");
        memcpy(h + 120, "qcow2", 5);
        {
                g_autoptr(VmmdImageInfo) info = vmmd_image_probe_data(h, len, "good", NULL);
                g_assert_nonnull(info);
                g_assert_cmpstr(info->backing_format, ==, "qcow2");
        }
        put_be32(h + 32, 2);
        refused(h, len, "LUKS without its header pointer");
        put_be32(h + 32, 9);
        refused(h, len, "unknown encryption");
}

static void test_hostile_others(void) {
        uint8_t b[4096];

        /* qed: backing name offset + length wraps a 32-bit sum */
        memset(b, 0, sizeof(b));
        memcpy(b, "QED\0", 4);
        put_le32(b + 4, 65536);
        put_le32(b + 8, 4);
        put_le32(b + 12, 1);
        put_le64(b + 16, 1);
        put_le64(b + 48, 1 << 20);
        put_le32(b + 56, 0xfffffff0);
        put_le32(b + 60, 0x20);
        refused(b, sizeof(b), "qed backing name wraps");
        put_le32(b + 56, 100);
        put_le32(b + 60, 0);
        {
                /* an empty backing name is no backing file (found by fuzz-image-probe) */
                g_autoptr(VmmdImageInfo) info = vmmd_image_probe_data(b, sizeof(b), "empty-name", NULL);
                g_assert_nonnull(info);
                g_assert_null(info->backing_file);
                g_assert_null(info->backing_format);
        }
        put_le32(b + 60, 5000);
        refused(b, sizeof(b), "qed backing name too long");
        put_le32(b + 4, 3000);
        refused(b, sizeof(b), "qed cluster size");
        put_le32(b + 4, 65536);
        put_le64(b + 16, 0x80);
        refused(b, sizeof(b), "qed unknown feature");
        put_le64(b + 16, 0);
        put_le64(b + 48, G_MAXUINT64 - 511);
        refused(b, sizeof(b), "qed size");

        /* vmdk sparse: descriptor far beyond the file, capacity overflowing, bad grain */
        memset(b, 0, sizeof(b));
        memcpy(b, "KDMV", 4);
        put_le32(b + 4, 1);
        put_le64(b + 12, 2048);
        put_le64(b + 20, 128);
        put_le64(b + 28, G_MAXUINT64 / 2);
        put_le64(b + 36, 20);
        put_le32(b + 44, 512);
        refused(b, sizeof(b), "vmdk descriptor offset");
        put_le64(b + 28, 1);
        memcpy(b + 512, "parentFileNameHint=\"no end", 26);
        refused(b, sizeof(b), "vmdk hint without a closing quote");
        memcpy(b + 512, "parentFileNameHint=\"\xc3\x28\"", 24);
        refused(b, sizeof(b), "vmdk hint not UTF-8");
        memset(b + 512, 0, 64);
        put_le64(b + 12, G_MAXUINT64);
        refused(b, sizeof(b), "vmdk capacity");
        put_le64(b + 12, 2048);
        put_le64(b + 20, 3);
        refused(b, sizeof(b), "vmdk grain");

        /* vmdk descriptor whose extents add up past 2^63 */
        {
                const char *text = "# Disk DescriptorFile\nversion=1\n"
                                   "RW 18446744073709551615 FLAT \"a\" 0\nRW 1 FLAT \"b\" 0\n";
                const char *none = "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\n";
                refused(text, strlen(text), "vmdk extents overflow");
                refused(none, strlen(none), "vmdk without extents");
        }

        /* vdi: disk larger than its blocks */
        memset(b, 0, sizeof(b));
        put_le32(b + 0x40, 0xbeda107f);
        put_le32(b + 0x44, 0x00010001);
        put_le32(b + 0x168, 512);
        put_le32(b + 0x178, 1 << 20);
        put_le32(b + 0x180, 1);
        put_le64(b + 0x170, 1ull << 40);
        refused(b, sizeof(b), "vdi size beyond its blocks");
        put_le64(b + 0x170, 1 << 20);
        put_le32(b + 0x178, 4096);
        refused(b, sizeof(b), "vdi block size");

        /* vpc: a wrong checksum; a dynamic header beyond the file */
        memset(b, 0, sizeof(b));
        memcpy(b, "conectix", 8);
        put_be32(b + 60, 3);
        put_be64(b + 16, 1ull << 50);
        refused(b, sizeof(b), "vpc checksum");
        {
                uint32_t sum = 0;
                for (size_t i = 0; i < 512; i++)
                        sum += b[i];
                put_be32(b + 64, ~sum);
        }
        refused(b, sizeof(b), "vpc dynamic header beyond the file");
}

/* Every prefix of real images: refused or probed, never a crash or an overread (ASan builds). */
static void test_truncated(void) {
        const char *names[] = { "a.qcow2", "l2.qcow2", "d.qed", "child.qed", "v.vmdk", "d.vdi", "p.vpc",
                                "v1.qcow", "luks.qcow2" };

        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                g_autofree char *path = g_build_filename(tmpdir, names[i], NULL);
                g_autofree char *data = NULL;
                gsize len;

                if (!g_file_get_contents(path, &data, &len, NULL))
                        continue;   /* made by a test that did not run */
                for (size_t n = 0; n <= MIN(len, (gsize) 4200); n++) {
                        g_autofree uint8_t *copy = g_memdup2(data, n);
                        g_autoptr(VmmdImageInfo) info = vmmd_image_probe_data(copy, n, names[i], NULL);
                        (void) info;
                }
        }
}

int main(int argc, char **argv) {
        g_autoptr(GError) error = NULL;
        int r;

        g_test_init(&argc, &argv, NULL);
        tmpdir = g_dir_make_tmp("vmmd-probe-XXXXXX", &error);
        g_assert_no_error(error);
        g_test_add_func("/image-probe/raw", test_raw);
        g_test_add_func("/image-probe/qcow2", test_qcow2);
        g_test_add_func("/image-probe/qcow2-chain", test_qcow2_chain);
        g_test_add_func("/image-probe/qcow2-encrypted", test_qcow2_encrypted);
        g_test_add_func("/image-probe/qcow-qed-vdi-vpc", test_other_formats);
        g_test_add_func("/image-probe/vmdk", test_vmdk);
        g_test_add_func("/image-probe/hostile-qcow2", test_hostile_qcow2);
        g_test_add_func("/image-probe/hostile-others", test_hostile_others);
        g_test_add_func("/image-probe/truncated", test_truncated);
        r = g_test_run();
        (void) vmmd_rm_rf(tmpdir);
        return r;
}
