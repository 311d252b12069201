/* vmmctl's save-image commands against a hand-made image through the test bus: no QEMU needed. */
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "bus-harness.h"
#include "fileio.h"
#include "saveimage.pb-c.h"

#define UUID1 "7b2e4f10-9a8b-4c6d-8e0f-1a2b3c4d5e6f"

static const char *image_xml(const char *passwd) {
        static char buf[1024];

        g_snprintf(buf, sizeof buf,
                   "<domain type='qemu'>\n  <name>img1</name>\n  <uuid>" UUID1 "</uuid>\n"
                   "  <memory unit='KiB'>131072</memory>\n  <vcpu>1</vcpu>\n"
                   "  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n  </os>\n"
                   "  <devices>\n    <graphics type='vnc' port='5901' passwd='%s'/>\n  </devices>\n</domain>\n",
                   passwd);
        return buf;
}

/* A valid image (spec C1) with a little fake stream; written here, not by the daemon. */
static char *write_image(TestBus *tb, const char *name) {
        Vmmd__SaveImageHeader h = VMMD__SAVE_IMAGE_HEADER__INIT;
        g_autofree char *path = g_strdup_printf("%s/%s", tb->dir, name);
        g_autofree uint8_t *buf = NULL;
        size_t hlen, total;
        uint64_t off;

        h.version = 1;
        h.domain_xml = (char *) image_xml("s3cret");
        h.was_running = true;
        hlen = vmmd__save_image_header__get_packed_size(&h) + 10;
        off = (20 + hlen + 65536 + 4095) / 4096 * 4096;
        h.stream_offset = off;
        hlen = vmmd__save_image_header__get_packed_size(&h);
        total = off + 4096;
        buf = g_malloc0(total);
        memcpy(buf, "VmmdSaveImage\0\0\0", 16);
        for (int i = 0; i < 4; i++)
                buf[16 + i] = (uint8_t) (hlen >> (8 * i));
        vmmd__save_image_header__pack(&h, buf + 20);
        for (size_t i = off; i < total; i++)
                buf[i] = (uint8_t) i;
        g_assert_true(g_file_set_contents(path, (char *) buf, (gssize) total, NULL));
        return g_steal_pointer(&path);
}

static bool image_was_running(const char *file) {
        g_autofree char *data = NULL;
        size_t len = 0;
        Vmmd__SaveImageHeader *h;
        uint32_t hl;
        bool running;

        g_assert_cmpint(vmmd_read_file(file, &data, &len), >=, 0);
        g_assert_cmpuint(len, >=, 20);
        hl = (uint32_t) (uint8_t) data[16] | (uint32_t) (uint8_t) data[17] << 8 | (uint32_t) (uint8_t) data[18] << 16 |
             (uint32_t) (uint8_t) data[19] << 24;
        h = vmmd__save_image_header__unpack(NULL, hl, (const uint8_t *) data + 20);
        g_assert_nonnull(h);
        running = h->was_running;
        vmmd__save_image_header__free_unpacked(h, NULL);
        return running;
}

/* SHA-256 of the whole file: the image is binary, so no string compare. */
static char *file_sum(const char *file) {
        g_autofree char *data = NULL;
        size_t len = 0;

        g_assert_cmpint(vmmd_read_file(file, &data, &len), >=, 0);
        return g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *) data, len);
}

/* Runs vmmctl ARGS... (NULL-terminated) in tb->dir, so relative paths test that vmmctl makes
 * them absolute. */
static int vmmctl(TestBus *tb, char **ret_out, char **ret_err, ...) {
        g_autofree char *exe = g_build_filename(g_getenv("VMMD_BUILD_ROOT"), "tools", "vmmctl", "vmmctl", NULL);
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        va_list ap;

        g_ptr_array_add(argv, exe);
        va_start(ap, ret_err);
        for (const char *a = va_arg(ap, const char *); a; a = va_arg(ap, const char *))
                g_ptr_array_add(argv, (gpointer) a);
        va_end(ap);
        g_ptr_array_add(argv, NULL);
        return test_run(tb, false, ret_out, ret_err, (const char *const *) argv->pdata);
}

static bool have_vmmctl(void) {
        g_autofree char *exe = NULL;

        if (!g_getenv("VMMD_BUILD_ROOT"))
                return false;
        exe = g_build_filename(g_getenv("VMMD_BUILD_ROOT"), "tools", "vmmctl", "vmmctl", NULL);
        return access(exe, X_OK) == 0;
}

static void test_image_dumpxml(void) {
        g_autoptr(TestBus) tb = NULL;
        g_autofree char *file = NULL, *out = NULL, *err = NULL, *sout = NULL, *serr = NULL;

        if (!have_vmmctl()) {
                g_test_skip("vmmctl is not built");
                return;
        }
        tb = test_bus_new(NULL);
        file = write_image(tb, "good.img");
        g_assert_cmpint(vmmctl(tb, &out, &err, "save-image-dumpxml", "good.img", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "<name>img1</name>"));
        g_assert_null(strstr(out, "s3cret"));
        g_assert_cmpint(vmmctl(tb, &sout, &serr, "save-image-dumpxml", "good.img", "--security-info", NULL), ==, 0);
        g_assert_nonnull(strstr(sout, "s3cret"));
}

static void test_image_define(void) {
        g_autoptr(TestBus) tb = NULL;
        g_autofree char *file = NULL, *before = NULL, *after = NULL, *refused = NULL;
        g_autofree char *out = NULL, *err = NULL, *xout = NULL, *xerr = NULL, *mout = NULL, *merr = NULL;
        g_autofree char *dout = NULL, *derr = NULL, *dxml = NULL, *bad = NULL;

        if (!have_vmmctl()) {
                g_test_skip("vmmctl is not built");
                return;
        }
        tb = test_bus_new(NULL);
        file = write_image(tb, "good.img");
        dxml = g_build_filename(tb->dir, "new.xml", NULL);
        test_write_file(dxml, image_xml("n3w"));

        /* refused locally: nothing is sent, the image is untouched */
        before = file_sum(file);
        g_assert_cmpint(vmmctl(tb, &xout, &xerr, "save-image-define", "good.img", "new.xml", "--running", "--paused", NULL),
                        ==, 1);
        g_assert_nonnull(strstr(xerr, "mutually exclusive"));
        refused = file_sum(file);
        g_assert_cmpstr(before, ==, refused);
        g_assert_cmpint(vmmctl(tb, &mout, &merr, "save-image-define", "good.img", "new.xml", "--paused", NULL), ==, 0);
        g_assert_nonnull(strstr(mout, "State file good.img updated."));
        g_assert_false(image_was_running(file));
        g_assert_cmpint(vmmctl(tb, &dout, &derr, "save-image-dumpxml", "good.img", "--security-info", NULL), ==, 0);
        g_assert_nonnull(strstr(dout, "n3w"));

        /* ABI change: the daemon's error, exit 1 */
        bad = g_build_filename(tb->dir, "bad.xml", NULL);
        test_write_file(bad, "<domain type='qemu'><name>img1</name><uuid>" UUID1 "</uuid>"
                             "<memory unit='KiB'>262144</memory><vcpu>1</vcpu>"
                             "<os><type arch='x86_64' machine='pc'>hvm</type></os></domain>");
        g_free(before);
        before = file_sum(file);
        g_assert_cmpint(vmmctl(tb, &out, &err, "save-image-define", "good.img", "bad.xml", NULL), ==, 1);
        g_assert_nonnull(strstr(err, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED));
        after = file_sum(file);
        g_assert_cmpstr(before, ==, after);
}

static void test_image_edit(void) {
        g_autoptr(TestBus) tb = NULL;
        g_autofree char *file = NULL, *out = NULL, *err = NULL, *nout = NULL, *nerr = NULL;
        g_autofree char *dout = NULL, *derr = NULL, *rout = NULL, *rerr = NULL;

        if (!have_vmmctl()) {
                g_test_skip("vmmctl is not built");
                return;
        }
        tb = test_bus_new(NULL);
        file = write_image(tb, "good.img");
        g_unsetenv("VISUAL");

        g_setenv("EDITOR", "true", TRUE);
        g_assert_cmpint(vmmctl(tb, &nout, &nerr, "save-image-edit", "good.img", NULL), ==, 0);
        g_assert_nonnull(strstr(nout, "State file good.img not changed."));
        g_assert_true(image_was_running(file));

        /* the editor sees the secrets (the XML goes back whole) and its change is stored */
        g_setenv("EDITOR", "sed -i s/s3cret/e3d/", TRUE);
        g_assert_cmpint(vmmctl(tb, &out, &err, "save-image-edit", "good.img", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "State file good.img edited."));
        g_assert_cmpint(vmmctl(tb, &dout, &derr, "save-image-dumpxml", "good.img", "--security-info", NULL), ==, 0);
        g_assert_nonnull(strstr(dout, "e3d"));

        /* unchanged XML with --paused still flips the stored state */
        g_setenv("EDITOR", "true", TRUE);
        g_assert_cmpint(vmmctl(tb, &rout, &rerr, "save-image-edit", "good.img", "--paused", NULL), ==, 0);
        g_assert_nonnull(strstr(rout, "State file good.img edited."));
        g_assert_false(image_was_running(file));
        g_unsetenv("EDITOR");
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/vmmctl-save/dumpxml", test_image_dumpxml);
        g_test_add_func("/vmmctl-save/define", test_image_define);
        g_test_add_func("/vmmctl-save/edit", test_image_edit);
        return g_test_run();
}
