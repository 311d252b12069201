/* Bus tests for save images that need no running QEMU: argument checks and every invalid image of spec C5. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-harness.h"
#include "fileio.h"
#include "saveimage.pb-c.h"

#define MANAGER QEMU_MANAGER_PATH
#define MANAGER_IFACE QEMU_MANAGER_INTERFACE
#define DOMAIN_IFACE QEMU_DOMAIN_INTERFACE
#define UUID1 "7b2e4f10-9a8b-4c6d-8e0f-1a2b3c4d5e6f"

typedef struct ImageSpec {
        const char *magic;         /* 16 bytes */
        uint32_t version;
        const char *xml;
        int compression;
        bool was_running;
        int64_t stream_offset;     /* -1: the right one */
        int64_t header_len;        /* -1: the right one */
        size_t truncate_to;        /* 0: no */
        bool garbage_header;
} ImageSpec;

/* Writes an image by hand: the test must not trust the daemon's writer to test its reader. */
static char *write_image(TestBus *tb, const char *name, const ImageSpec *spec) {
        Vmmd__SaveImageHeader h = VMMD__SAVE_IMAGE_HEADER__INIT;
        g_autofree char *path = g_strdup_printf("%s/%s", tb->dir, name);
        g_autofree uint8_t *buf = NULL;
        size_t hlen, total;
        uint64_t off;
        uint32_t hl;

        h.version = spec->version;
        h.domain_xml = (char *) spec->xml;
        h.was_running = spec->was_running;
        h.compression = spec->compression;
        h.stream_offset = 0;
        hlen = vmmd__save_image_header__get_packed_size(&h) + 10;
        off = spec->stream_offset >= 0 ? (uint64_t) spec->stream_offset : (20 + hlen + 65536 + 4095) / 4096 * 4096;
        h.stream_offset = off;
        hlen = vmmd__save_image_header__get_packed_size(&h);
        /* a little "stream"; an offset far away stays beyond the end of the file */
        total = off > (1 << 24) ? 20 + hlen + 4096 : MAX(off, 20 + hlen) + 4096;
        buf = g_malloc0(total);
        memcpy(buf, spec->magic, 16);
        hl = spec->header_len >= 0 ? (uint32_t) spec->header_len : (uint32_t) hlen;
        buf[16] = hl & 0xff;
        buf[17] = (hl >> 8) & 0xff;
        buf[18] = (hl >> 16) & 0xff;
        buf[19] = (hl >> 24) & 0xff;
        vmmd__save_image_header__pack(&h, buf + 20);
        if (spec->garbage_header)
                memset(buf + 20, 0xff, hlen);
        for (size_t i = MIN(off, total); i < total; i++)
                buf[i] = (uint8_t) i;
        g_assert_true(g_file_set_contents(path, (char *) buf, (gssize) (spec->truncate_to ? spec->truncate_to : total),
                                          NULL));
        return g_steal_pointer(&path);
}

static const char *good_xml(void) {
        return "<domain type='qemu'>\n  <name>img1</name>\n  <uuid>" UUID1 "</uuid>\n"
               "  <memory unit='KiB'>131072</memory>\n  <vcpu>1</vcpu>\n"
               "  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n  </os>\n"
               "  <devices>\n    <graphics type='vnc' port='5901' passwd='s3cret'/>\n  </devices>\n</domain>\n";
}

static ImageSpec good_image(void) {
        return (ImageSpec) { .magic = "VmmdSaveImage\0\0\0", .version = 1, .xml = good_xml(), .stream_offset = -1,
                             .header_len = -1 };
}

static int get_xml(TestBus *tb, const char *file, unsigned flags, char **ret_xml, sd_bus_error *e) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *x;
        int r = test_call(tb, MANAGER, MANAGER_IFACE, "DomainSaveImageGetXMLDesc", e, &reply, "su", file, flags);

        if (r >= 0 && ret_xml) {
                g_assert_cmpint(sd_bus_message_read(reply, "s", &x), >=, 0);
                *ret_xml = g_strdup(x);
        }
        return r;
}

/* C5: each broken image is OperationFailed with a message naming what is wrong */
static void test_invalid_images(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        struct {
                const char *name;
                ImageSpec spec;
                const char *mention;
        } cases[] = {
                { "short", { .magic = "VmmdSaveImage\0\0\0", .version = 1, .xml = good_xml(), .stream_offset = -1,
                             .header_len = -1, .truncate_to = 10 }, "header" },
                { "partial", { .magic = "VmmdSavePartial\0", .version = 1, .xml = good_xml(), .stream_offset = -1,
                               .header_len = -1 }, "incomplete" },
                { "libvirt", { .magic = "LibvirtQemudSave", .version = 1, .xml = good_xml(), .stream_offset = -1,
                               .header_len = -1 }, "magic" },
                { "zero-header", { .magic = "VmmdSaveImage\0\0\0", .version = 1, .xml = good_xml(), .stream_offset = -1,
                                   .header_len = 0 }, "header" },
                { "header-past-eof", { .magic = "VmmdSaveImage\0\0\0", .version = 1, .xml = good_xml(),
                                       .stream_offset = -1, .header_len = 10 * 1024 * 1024 }, "header" },
                { "garbage", { .magic = "VmmdSaveImage\0\0\0", .version = 1, .xml = good_xml(), .stream_offset = -1,
                               .header_len = -1, .garbage_header = true }, "header" },
                { "version", { .magic = "VmmdSaveImage\0\0\0", .version = 2, .xml = good_xml(), .stream_offset = -1,
                               .header_len = -1 }, "not supported (2 > 1)" },
                { "no-xml", { .magic = "VmmdSaveImage\0\0\0", .version = 1, .xml = "", .stream_offset = -1,
                              .header_len = -1 }, "domain XML" },
                { "offset-inside-header", { .magic = "VmmdSaveImage\0\0\0", .version = 1, .xml = good_xml(),
                                            .stream_offset = 21, .header_len = -1 }, "header" },
                { "offset-past-eof", { .magic = "VmmdSaveImage\0\0\0", .version = 1, .xml = good_xml(),
                                       .stream_offset = 1 << 30, .header_len = -1 }, "header" },
                { "compression", { .magic = "VmmdSaveImage\0\0\0", .version = 1, .xml = good_xml(),
                                   .compression = 9, .stream_offset = -1, .header_len = -1 }, "compression" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *file = write_image(tb, cases[i].name, &cases[i].spec);
                g_autofree char *before = NULL, *after = NULL;
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

                g_test_message("image %s", cases[i].name);
                g_assert_cmpint(vmmd_read_file(file, &before, NULL), >=, 0);
                g_assert_cmpint(get_xml(tb, file, 0, NULL, &e), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, cases[i].mention);
                sd_bus_error_free(&e);
                g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainRestore", &e, NULL, "ssu", file, "", 0), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, cases[i].mention);
                sd_bus_error_free(&e);
                g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainSaveImageDefineXML", &e, NULL, "ssu", file,
                                          good_xml(), 0), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, cases[i].mention);
                /* refused images are left alone */
                g_assert_cmpint(vmmd_read_file(file, &after, NULL), >=, 0);
                g_assert_cmpstr(before, ==, after);
        }
        {
                g_auto(GStrv) list = test_list_domains(tb, 0);
                g_assert_cmpuint(g_strv_length(list), ==, 0);
        }
}

/* C33: the image's XML, secrets only with XML_SECURE; privileged callers only */
static void test_image_get_xml(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        ImageSpec spec = good_image();
        g_autofree char *file = write_image(tb, "good", &spec);
        g_autofree char *plain = NULL, *secure = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        g_assert_cmpint(get_xml(tb, file, 0, &plain, &e), >=, 0);
        g_assert_cmpint(get_xml(tb, file, 1, &secure, &e), >=, 0);
        g_assert_nonnull(strstr(plain, "<name>img1</name>"));
        g_assert_null(strstr(plain, "s3cret"));
        g_assert_nonnull(strstr(secure, "s3cret"));

        g_assert_cmpint(test_call_nobody(tb, MANAGER, MANAGER_IFACE, "DomainSaveImageGetXMLDesc", &e, "su", file, 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED);
}

/* C6, C26, C34, 0.11: arguments before anything is read */
static void test_arguments(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *xml = test_domain_xml("d1", UUID1, NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = test_define(tb, xml, 0, &e);

        g_assert_nonnull(path);
        g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainRestore", &e, NULL, "ssu", "/tmp/x", "",
                                  DOMAIN_SAVE_RUNNING | DOMAIN_SAVE_PAUSED), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "SAVE_RUNNING", "SAVE_PAUSED");
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainRestore", &e, NULL, "ssu", "rel/x", "", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "absolute");
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainRestore", &e, NULL, "ssu", "", "", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG);
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "Save", &e, NULL, "ssu", "/tmp/x", "", DOMAIN_SAVE_RESET_NVRAM), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "0x8");
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "Save", &e, NULL, "ssu", "/tmp/x", "",
                                  DOMAIN_SAVE_RUNNING | DOMAIN_SAVE_PAUSED), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "SAVE_RUNNING");
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "ManagedSave", &e, NULL, "u", DOMAIN_SAVE_RUNNING | DOMAIN_SAVE_PAUSED), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "SAVE_PAUSED");
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainSaveImageDefineXML", &e, NULL, "ssu", "/tmp/x", "", 0),
                        <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "dxml");
        sd_bus_error_free(&e);

        /* C7: an inactive domain has nothing to save */
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "Save", &e, NULL, "ssu", "/tmp/x", "", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "not running");
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "ManagedSave", &e, NULL, "u", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "not running");
        sd_bus_error_free(&e);

        /* C18, C19: no managed save image */
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "ManagedSaveRemove", &e, NULL, "u", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_SYSTEM_ERROR, "d1.save");
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "ManagedSaveGetXMLDesc", &e, NULL, "u", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "managed save image");
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "ManagedSaveDefineXML", &e, NULL, "su", xml, 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "managed save image");
        sd_bus_error_free(&e);

        /* read-only callers */
        g_assert_cmpint(test_call_nobody(tb, path, DOMAIN_IFACE, "Save", &e, "ssu", "/tmp/x", "", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED);
        sd_bus_error_free(&e);
        g_assert_cmpint(test_call_nobody(tb, MANAGER, MANAGER_IFACE, "DomainRestore", &e, "ssu", "/tmp/x", "", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED);
}

/* C34–C36: editing in place; the stream is untouched; too large an XML is refused */
static void test_define_xml(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        ImageSpec spec = good_image();
        g_autofree char *file = write_image(tb, "good", &spec);
        g_autofree char *data = NULL, *data2 = NULL, *xml = NULL, *huge = NULL, *moved = NULL, *after = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        size_t len = 0, len2 = 0;
        uint64_t stream_offset = 4096;

        g_assert_cmpint(vmmd_read_file(file, &data, &len), >=, 0);
        while (stream_offset < len && data[stream_offset] == 0)
                stream_offset += 4096;
        g_assert_cmpint(get_xml(tb, file, 1, &xml, &e), >=, 0);

        /* a different title is fine for the guest */
        moved = g_strdup(xml);
        {
                g_autoptr(GString) s = g_string_new(xml);
                g_string_replace(s, "</name>", "</name>\n  <title>edited</title>", 1);
                g_free(moved);
                moved = g_string_free(g_steal_pointer(&s), FALSE);
        }
        g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainSaveImageDefineXML", &e, NULL, "ssu", file, moved, 0),
                        >=, 0);
        g_assert_cmpint(get_xml(tb, file, 1, &after, &e), >=, 0);
        g_assert_nonnull(strstr(after, "<title>edited</title>"));
        g_assert_cmpint(vmmd_read_file(file, &data2, &len2), >=, 0);
        g_assert_cmpuint(len2, ==, len);
        g_assert_cmpmem(data2, 16, "VmmdSaveImage\0\0\0", 16);
        /* every byte of the stream is unchanged */
        g_assert_cmpint(memcmp(data + len - 4096, data2 + len - 4096, 4096), ==, 0);

        /* a 128 KiB description cannot fit in front of the stream */
        {
                g_autoptr(GString) s = g_string_new(xml);
                g_autofree char *desc = g_strnfill(128 * 1024, 'x');
                g_autofree char *repl = g_strdup_printf("</name>\n  <description>%s</description>", desc);
                g_string_replace(s, "</name>", repl, 1);
                huge = g_string_free(g_steal_pointer(&s), FALSE);
        }
        g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainSaveImageDefineXML", &e, NULL, "ssu", file, huge, 0),
                        <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, "too large");
        sd_bus_error_free(&e);
        g_free(data);
        g_assert_cmpint(vmmd_read_file(file, &data, &len), >=, 0);
        g_assert_cmpmem(data, len, data2, len2);

        /* a different guest (memory) is refused */
        {
                g_autoptr(GString) s = g_string_new(xml);
                g_string_replace(s, "131072", "262144", 0);
                g_autofree char *bigger = g_string_free(g_steal_pointer(&s), FALSE);
                g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainSaveImageDefineXML", &e, NULL, "ssu", file,
                                          bigger, 0), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "memory");
        }
}

/* C37 through C35: what the guest sees of its generation ID, its timers (by name, not only
 * their count) and its CPU features cannot change in an image; a host-side detail can */
static void test_define_xml_abi(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        static const char xml[] =
                "<domain type='qemu'>\n  <name>img1</name>\n  <uuid>" UUID1 "</uuid>\n"
                "  <genid>43dc0cf8-809b-4adb-9bea-a9abb5f3d90e</genid>\n"
                "  <memory unit='KiB'>131072</memory>\n  <vcpu>1</vcpu>\n"
                "  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n  </os>\n"
                "  <cpu mode='custom'><model>qemu64</model><feature policy='require' name='sse4.2'/></cpu>\n"
                "  <clock offset='utc'><timer name='rtc' tickpolicy='catchup'/></clock>\n"
                "  <devices>\n    <graphics type='vnc' port='5901'/>\n  </devices>\n</domain>\n";
        static const struct {
                const char *from, *to, *mention;
        } cases[] = {
                { "a9abb5f3d90e", "a9abb5f3d90f", "genid" },
                { "name='rtc'", "name='pit'", "timers" },
                { "name='sse4.2'", "name='avx'", "cpu features" },
        };
        ImageSpec spec = good_image();
        g_autofree char *file = NULL, *before = NULL, *after = NULL, *data = NULL, *data2 = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        size_t len = 0, len2 = 0;

        spec.xml = xml;
        file = write_image(tb, "abi", &spec);
        g_assert_cmpint(get_xml(tb, file, 1, &before, &e), >=, 0);
        g_assert_nonnull(strstr(before, "<genid>43dc0cf8-809b-4adb-9bea-a9abb5f3d90e</genid>"));
        g_assert_cmpint(vmmd_read_file(file, &data, &len), >=, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autoptr(GString) changed = g_string_new(before);

                g_assert_cmpuint(g_string_replace(changed, cases[i].from, cases[i].to, 1), ==, 1);
                g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainSaveImageDefineXML", &e, NULL, "ssu", file,
                                          changed->str, 0), <, 0);
                assert_bus_error(&e, "org.vmmd.Error.ConfigUnsupported", cases[i].mention);
                sd_bus_error_free(&e);
                /* nothing on disk changed */
                g_free(data2);
                g_assert_cmpint(vmmd_read_file(file, &data2, &len2), >=, 0);
                g_assert_cmpmem(data, len, data2, len2);
        }
        /* the VNC port is the host's business */
        {
                g_autoptr(GString) changed = g_string_new(before);

                g_assert_cmpuint(g_string_replace(changed, "5901", "5902", 1), ==, 1);
                g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainSaveImageDefineXML", &e, NULL, "ssu", file,
                                          changed->str, 0), >=, 0);
                g_assert_cmpint(get_xml(tb, file, 1, &after, &e), >=, 0);
                g_assert_nonnull(strstr(after, "5902"));
                g_assert_nonnull(strstr(after, "<genid>43dc0cf8-809b-4adb-9bea-a9abb5f3d90e</genid>"));
        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/save-image/invalid", test_invalid_images);
        g_test_add_func("/save-image/get-xml", test_image_get_xml);
        g_test_add_func("/save-image/arguments", test_arguments);
        g_test_add_func("/save-image/define-xml", test_define_xml);
        g_test_add_func("/save-image/define-xml-abi", test_define_xml_abi);
        return g_test_run();
}
