/* End-to-end assertions for domain behaviours of the spec that had no test or no working code (issue 9): A15, A19, A26, A27, B11, C1, C11, E7, E9, E10, E13, E17, E25, F7. */
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
#define STOP_MS 30000
#define UUID_A "4b7e1d2c-5a6f-4e3d-9c8b-0e0000000001"

static char *define_ok(TestBus *tb, const char *xml) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *path = test_define(tb, xml, 0, &e);

        if (!path)
                g_error("define: %s: %s", e.name, e.message);
        return path;
}

static void call_ok(TestBus *tb, const char *path, const char *method, unsigned flags) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        if (e2e_domain_call(tb, path, method, false, flags, &e) < 0)
                g_error("%s: %s: %s", method, e.name, e.message);
}

static char *create_xml(TestBus *tb, const char *xml, sd_bus_error *e) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *p;

        if (test_call(tb, MANAGER, MANAGER_IFACE, "DomainCreateXML", e, &reply, "su", xml, 0) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
        return g_strdup(p);
}

/* xml with <memory> set to mib MiB */
static char *with_memory(const char *xml, int mib) {
        const char *m = strstr(xml, "<memory unit='MiB'>128</memory>");

        g_assert_nonnull(m);
        return g_strdup_printf("%.*s<memory unit='MiB'>%d</memory>%s", (int) (m - xml), xml, mib,
                               m + strlen("<memory unit='MiB'>128</memory>"));
}

static char *status_text(TestBus *tb, const char *name) {
        g_autofree char *file = g_strdup_printf("%s/run/vmmd/qemu/%s.xml", tb->root, name);
        char *data = NULL;

        if (vmmd_read_file(file, &data, NULL) < 0)
                return NULL;
        return data;
}

static bool status_has_fake_reboot(TestBus *tb, const char *name) {
        g_autofree char *data = status_text(tb, name);

        g_assert_nonnull(data);
        return strstr(data, "<fakereboot/>") != NULL;
}

/* E13, F7: the mark is in the status file when Reboot replies, the state there is
 * RUNNING, and the mark is gone once the guest has booted again; the file goes with the domain */
static void test_fake_reboot_status_file(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "fr1", UUID_A, "testguest.pwrdelay=1", NULL, NULL);
        g_autofree char *path = define_ok(tb, xml);
        g_autofree char *data = NULL;

        test_bus_clear_signals(tb);
        call_ok(tb, path, "Create", 0);
        g_assert_true(e2e_wait_serial(tb, "fr1", "TESTGUEST READY", 1, BOOT_MS));
        /* E25: resets while the machine starts up are no reboot */
        test_bus_drain(tb);
        g_assert_cmpint(test_bus_find_signal(tb, "Reboot", NULL, 0), ==, -1);
        data = status_text(tb, "fr1");
        g_assert_nonnull(strstr(data, "<domstatus state='1' reason='1'"));
        g_assert_null(strstr(data, "<fakereboot/>"));

        call_ok(tb, path, "Reboot", 0);
        /* the guest waits a second before it powers off: the reply came long before */
        g_assert_cmpint(e2e_serial_count(tb, "fr1", "TESTGUEST READY"), ==, 1);
        g_assert_true(status_has_fake_reboot(tb, "fr1"));
        g_assert_true(e2e_wait_serial(tb, "fr1", "TESTGUEST READY", 2, BOOT_MS));
        g_assert_false(status_has_fake_reboot(tb, "fr1"));
        g_free(data);
        data = status_text(tb, "fr1");
        g_assert_nonnull(strstr(data, "<domstatus state='1'"));

        call_ok(tb, path, "Destroy", 0);
        g_free(data);
        data = status_text(tb, "fr1");
        g_assert_null(data);
}

/* E17: a guest that ignores the power button keeps the mark and stays RUNNING; Shutdown,
 * Reset and Destroy each clear it */
static void test_ignored_power_button(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "ip1", UUID_A, "testguest.ignorepwr=1", NULL, NULL);
        g_autofree char *path = define_ok(tb, xml);
        int presses;

        call_ok(tb, path, "Create", 0);
        g_assert_true(e2e_wait_serial(tb, "ip1", "TESTGUEST READY", 1, BOOT_MS));

        call_ok(tb, path, "Reboot", 0);
        g_assert_true(e2e_wait_serial(tb, "ip1", "TESTGUEST POWER-BUTTON", 1, STOP_MS));
        g_assert_true(status_has_fake_reboot(tb, "ip1"));
        g_assert_true(e2e_wait_state(tb, path, 1, -1, 0));

        /* a Shutdown after the unanswered Reboot clears the mark */
        call_ok(tb, path, "Shutdown", 0);
        g_assert_true(e2e_wait_serial(tb, "ip1", "TESTGUEST POWER-BUTTON", 2, STOP_MS));
        g_assert_false(status_has_fake_reboot(tb, "ip1"));

        /* so does Reset: one Reboot() signal, the guest boots again */
        call_ok(tb, path, "Reboot", 0);
        g_assert_true(e2e_wait_serial(tb, "ip1", "TESTGUEST POWER-BUTTON", 3, STOP_MS));
        g_assert_true(status_has_fake_reboot(tb, "ip1"));
        test_bus_clear_signals(tb);
        call_ok(tb, path, "Reset", 0);
        g_assert_false(status_has_fake_reboot(tb, "ip1"));
        g_assert_nonnull(test_bus_wait_signal(tb, "Reboot", STOP_MS));
        g_assert_true(e2e_wait_serial(tb, "ip1", "TESTGUEST READY", 2, BOOT_MS));
        g_assert_true(e2e_wait_state(tb, path, 1, -1, 0));

        /* and Destroy ends it all */
        call_ok(tb, path, "Reboot", 0);
        presses = e2e_serial_count(tb, "ip1", "TESTGUEST POWER-BUTTON");
        g_assert_cmpint(presses, >=, 3);
        g_assert_true(status_has_fake_reboot(tb, "ip1"));
        call_ok(tb, path, "Destroy", 0);
        g_assert_true(e2e_wait_state(tb, path, 5, 2, 0));
        g_assert_null(status_text(tb, "ip1"));
}

/* E9, E10: Shutdown needs RUNNING; Reboot only an active domain; GUEST_AGENT alone
 * without an agent channel is ArgumentUnsupported */
static void test_power_request_checks(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "pr1", UUID_A, NULL, NULL, NULL);
        g_autofree char *path = define_ok(tb, xml);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        call_ok(tb, path, "Create", 0);
        g_assert_true(e2e_wait_serial(tb, "pr1", "TESTGUEST READY", 1, BOOT_MS));

        g_assert_cmpint(e2e_domain_call(tb, path, "Shutdown", false, 2 /* GUEST_AGENT */, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_ARGUMENT_UNSUPPORTED, "agent");
        sd_bus_error_free(&e);
        g_assert_cmpint(e2e_domain_call(tb, path, "Reboot", false, 2 /* GUEST_AGENT */, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_ARGUMENT_UNSUPPORTED, "agent");
        sd_bus_error_free(&e);
        g_assert_false(status_has_fake_reboot(tb, "pr1"));

        g_assert_cmpint(e2e_domain_call(tb, path, "Suspend", true, 0, &e), >=, 0);
        g_assert_true(e2e_wait_state(tb, path, 3, 1, 0));
        g_assert_cmpint(e2e_domain_call(tb, path, "Shutdown", false, 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "not running");
        sd_bus_error_free(&e);
        /* a paused domain may be asked to reboot; it does once it runs again */
        call_ok(tb, path, "Reboot", 0);
        g_assert_true(status_has_fake_reboot(tb, "pr1"));
        g_assert_true(e2e_wait_state(tb, path, 3, 1, 0));
        g_assert_cmpint(e2e_domain_call(tb, path, "Resume", true, 0, &e), >=, 0);
        g_assert_true(e2e_wait_serial(tb, "pr1", "TESTGUEST READY", 2, BOOT_MS));
        g_assert_true(e2e_wait_state(tb, path, 1, -1, 0));
}

/* A26, A27: DomainCreateXML of an inactive persistent domain starts it with the given
 * XML; the persistent definition stays and is used again after it stops; a second
 * DomainCreateXML while it runs is OperationInvalid "already active" */
static void test_create_xml_over_inactive(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "cx1", UUID_A, NULL, NULL, NULL);
        g_autofree char *path = define_ok(tb, xml);
        g_autofree char *bigger = with_memory(xml, 160);
        g_autofree char *config = test_config_file(tb, "cx1");
        g_autofree char *cfg_before = NULL, *cfg_after = NULL, *started = NULL, *live = NULL, *inactive = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        g_assert_cmpint(vmmd_read_file(config, &cfg_before, NULL), >=, 0);
        started = create_xml(tb, bigger, &e);
        g_assert_nonnull(started);
        g_assert_cmpstr(started, ==, path);
        g_assert_true(e2e_wait_state(tb, path, 1, 1, 0));
        live = test_get_xml(tb, path, 0);
        inactive = test_get_xml(tb, path, 2);
        g_assert_nonnull(strstr(live, "163840"));
        g_assert_nonnull(strstr(inactive, "131072"));
        g_assert_true(test_prop_bool(tb, path, "Persistent"));
        g_assert_cmpint(vmmd_read_file(config, &cfg_after, NULL), >=, 0);
        g_assert_cmpstr(cfg_before, ==, cfg_after);

        g_assert_null(create_xml(tb, bigger, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "cx1", "already active");
        sd_bus_error_free(&e);

        call_ok(tb, path, "Destroy", 0);
        g_free(live);
        live = test_get_xml(tb, path, 0);
        g_assert_nonnull(strstr(live, "131072"));
        g_assert_null(strstr(live, "163840"));
}

/* A19: define over a running transient domain: no restart, Persistent, DEFINED/ADDED;
 * after Destroy it stays, inactive, with the new definition */
static void test_define_over_transient(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "dt1", UUID_A, NULL, NULL, NULL);
        g_autofree char *bigger = with_memory(xml, 160);
        g_autofree char *path = NULL, *defined = NULL, *after = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        pid_t pid;

        path = create_xml(tb, xml, &e);
        g_assert_nonnull(path);
        g_assert_true(e2e_wait_state(tb, path, 1, 1, 0));
        pid = e2e_qemu_pid(tb, UUID_A);
        g_assert_false(test_prop_bool(tb, path, "Persistent"));

        test_bus_clear_signals(tb);
        defined = define_ok(tb, bigger);
        g_assert_cmpstr(defined, ==, path);
        g_assert_true(test_prop_bool(tb, path, "Persistent"));
        g_assert_cmpint(e2e_find_event(tb, path, 0, 0 /* DEFINED/ADDED */, 0), >=, 0);
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, pid);
        g_assert_true(g_file_test(test_config_file(tb, "dt1"), G_FILE_TEST_IS_REGULAR));

        call_ok(tb, path, "Destroy", 0);
        g_assert_true(e2e_wait_state(tb, path, 5, 2, 0));
        {
                g_auto(GStrv) list = test_list_domains(tb, 0);
                g_assert_cmpuint(g_strv_length(list), ==, 1);
        }
        after = test_get_xml(tb, path, 0);
        g_assert_nonnull(strstr(after, "163840"));
}

/* B11, B13, B14: snapshots of an active domain do not block Undefine; their metadata
 * stays while it runs and goes when the now-transient domain stops */
static void test_undefine_running_with_snapshots(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "us1", UUID_A, NULL, NULL, NULL);
        g_autofree char *path = define_ok(tb, xml);
        g_autofree char *snapdir = g_strdup_printf("%s/var/lib/vmmd/qemu/snapshot/us1", tb->root);
        g_autofree char *meta = g_build_filename(snapdir, "s1.xml", NULL);
        g_autofree char *snapxml = g_strdup_printf("<domainsnapshot><name>s1</name><state>running</state>"
                                                   "<creationTime>1700000000</creationTime>"
                                                   "<domain><uuid>%s</uuid></domain></domainsnapshot>", UUID_A);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        call_ok(tb, path, "Create", 0);
        g_assert_true(e2e_wait_state(tb, path, 1, 1, BOOT_MS));
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "SnapshotCreateXML", &e, NULL, "su", snapxml, 1), >=, 0);
        g_assert_true(g_file_test(meta, G_FILE_TEST_IS_REGULAR));

        g_assert_cmpint(e2e_domain_call(tb, path, "Undefine", false, 0, &e), >=, 0);
        g_assert_false(test_prop_bool(tb, path, "Persistent"));
        g_assert_true(g_file_test(meta, G_FILE_TEST_IS_REGULAR));

        test_bus_clear_signals(tb);
        call_ok(tb, path, "Destroy", 0);
        g_assert_nonnull(test_bus_wait_signal(tb, "InterfacesRemoved", 5000));
        g_assert_false(g_file_test(snapdir, G_FILE_TEST_EXISTS));
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        sd_bus_error *e = userdata;

        if (sd_bus_message_is_method_error(m, NULL))
                sd_bus_error_copy(e, sd_bus_message_get_error(m));
        else
                sd_bus_error_set_const(e, "test.Ok", "ok");
        return 0;
}

/* Waits (bounded) for the reply on_reply records. */
static void wait_reply(TestBus *tb, sd_bus_error *e) {
        gint64 deadline = g_get_monotonic_time() + (gint64) STOP_MS * 1000;

        while (!sd_bus_error_is_set(e) && g_get_monotonic_time() < deadline) {
                test_bus_drain(tb);
                if (!sd_bus_error_is_set(e))
                        (void) sd_bus_wait(tb->bus, 200000);
        }
        g_assert_true(sd_bus_error_is_set(e));
}

/* A15: while the QEMU of a domain undefined as it ran is being stopped, the domain is
 * being removed: a define of its UUID is OperationFailed, "being removed" */
static void test_define_while_being_removed(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "rm1", UUID_A, NULL, NULL, NULL);
        g_autofree char *path = define_ok(tb, xml);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL, reply = SD_BUS_ERROR_NULL;
        int state, reason;
        pid_t pid;

        call_ok(tb, path, "Create", 0);
        g_assert_true(e2e_wait_state(tb, path, 1, 1, BOOT_MS));
        call_ok(tb, path, "Undefine", 0);
        g_assert_false(test_prop_bool(tb, path, "Persistent"));
        pid = e2e_qemu_pid(tb, UUID_A);
        g_assert_cmpint(pid, >, 0);

        /* a stopped QEMU cannot act on the SIGTERM of the Destroy: the stop stays in flight */
        g_assert_cmpint(kill(pid, SIGSTOP), ==, 0);
        g_assert_cmpint(sd_bus_call_method_async(tb->bus, NULL, QEMU_BUS_NAME, path, DOMAIN_IFACE, "Destroy",
                                                 on_reply, &reply, "u", 0), >=, 0);
        test_prop_state(tb, path, &state, &reason);   /* a round trip: the Destroy was dispatched */
        g_assert_null(test_define(tb, xml, 0, &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, "being removed");
        g_assert_false(g_file_test(test_config_file(tb, "rm1"), G_FILE_TEST_EXISTS));

        g_assert_cmpint(kill(pid, SIGCONT), ==, 0);
        wait_reply(tb, &reply);
        g_assert_cmpstr(reply.name, ==, "test.Ok");
        g_assert_true(e2e_wait_pid_exit(pid, 5000));
        {
                g_auto(GStrv) list = test_list_domains(tb, 0);
                g_assert_cmpuint(g_strv_length(list), ==, 0);
        }
        /* once it is gone the UUID is free again */
        g_free(define_ok(tb, xml));
}

/* A protobuf varint at *p (bounded by end); false when malformed. */
static bool read_varint(const guint8 **p, const guint8 *end, guint64 *ret) {
        guint64 v = 0;

        for (int shift = 0; *p < end && shift < 64; shift += 7) {
                guint8 b = *(*p)++;
                v |= (guint64) (b & 0x7f) << shift;
                if (!(b & 0x80)) {
                        *ret = v;
                        return true;
                }
        }
        return false;
}

/* C1: the image on disk as the spec lays it out: magic, u32 LE header length, the
 * header, zero padding of at least 64 KiB up to a 4096-aligned stream_offset (field 6
 * of the header, decoded here without the daemon's code), then QEMU's stream ("QEVM") */
static void test_save_image_layout(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "im1", UUID_A, NULL, NULL, NULL);
        g_autofree char *path = define_ok(tb, xml);
        g_autofree char *image = g_strdup_printf("%s/var/lib/vmmd/qemu/save/im1.save", tb->root);
        g_autofree char *data = NULL;
        const guint8 *p, *end;
        guint64 stream_offset = 0;
        guint32 header_len;
        size_t len = 0;

        call_ok(tb, path, "Create", 0);
        g_assert_true(e2e_wait_serial(tb, "im1", "TESTGUEST READY", 1, BOOT_MS));
        call_ok(tb, path, "ManagedSave", 0);
        g_assert_cmpint(vmmd_read_file(image, &data, &len), >=, 0);
        g_assert_cmpuint(len, >, 20);
        g_assert_cmpmem(data, 16, "VmmdSaveImage\0\0\0", 16);
        header_len = (guint32) (guint8) data[16] | (guint32) (guint8) data[17] << 8 |
                     (guint32) (guint8) data[18] << 16 | (guint32) (guint8) data[19] << 24;
        g_assert_cmpuint(20 + (guint64) header_len, <, len);
        p = (const guint8 *) data + 20;
        end = p + header_len;
        while (p < end) {
                guint64 key = 0, v = 0;
                g_assert_true(read_varint(&p, end, &key));
                if ((key & 7) == 0) {
                        g_assert_true(read_varint(&p, end, &v));
                        if (key >> 3 == 6)
                                stream_offset = v;
                } else if ((key & 7) == 2) {
                        g_assert_true(read_varint(&p, end, &v));
                        g_assert_cmpuint(v, <=, (guint64) (end - p));
                        p += v;
                } else {
                        g_error("unexpected wire type %u in the header", (unsigned) (key & 7));
                }
        }
        g_assert_cmpuint(stream_offset % 4096, ==, 0);
        g_assert_cmpuint(stream_offset, >=, 20 + (guint64) header_len + 65536);
        g_assert_cmpuint(stream_offset + 4, <, len);
        for (guint64 i = 20 + header_len; i < stream_offset; i++)
                if (data[i] != 0)
                        g_error("padding byte at %" G_GUINT64_FORMAT " is not zero", i);
        g_assert_cmpmem(data + stream_offset, 4, "QEVM", 4);
}

/* C11: a Save whose dxml is not ABI-compatible (more memory) is ConfigUnsupported; the
 * guest runs on in the same QEMU and no image is left */
static void test_save_incompatible_dxml(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "sx1", UUID_A, NULL, NULL, NULL);
        g_autofree char *path = define_ok(tb, xml);
        g_autofree char *bigger = with_memory(xml, 160);
        g_autofree char *target = g_strdup_printf("%s/sx1.img", tb->dir);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        pid_t pid;

        call_ok(tb, path, "Create", 0);
        g_assert_true(e2e_wait_serial(tb, "sx1", "TESTGUEST READY", 1, BOOT_MS));
        pid = e2e_qemu_pid(tb, UUID_A);
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "Save", &e, NULL, "ssu", target, bigger, 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "memory");
        g_assert_true(e2e_wait_state(tb, path, 1, -1, 10000));
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, pid);
        g_assert_false(g_file_test(target, G_FILE_TEST_EXISTS));
}

/* E7: with a one-second idle timeout the daemon stays while a domain is active (the guest
 * boots and ticks for seconds; the same process answers throughout) and goes once the
 * domain is stopped */
static void test_no_idle_exit_while_active(void) {
        const char *const env[] = { "VMMD_TIMEOUT=1", NULL };
        g_autoptr(E2EBus) tb = e2e_bus_new(env);
        g_autofree char *xml = e2e_guest_xml(tb, "idle1", UUID_A, "testguest.tick=1", NULL, NULL);
        g_autofree char *path = define_ok(tb, xml);
        pid_t pid;

        call_ok(tb, path, "Create", 0);
        pid = test_bus_name_pid(tb, "org.vmmd.qemu1");
        g_assert_cmpint(pid, >, 0);
        /* several idle timeouts pass while the guest boots and ticks three times */
        g_assert_true(e2e_wait_serial(tb, "idle1", "TESTGUEST TICK 3", 1, BOOT_MS));
        g_assert_cmpint(test_bus_name_pid(tb, "org.vmmd.qemu1"), ==, pid);
        g_assert_true(e2e_wait_pid_exit(pid, 0) == false);
        g_assert_true(e2e_wait_state(tb, path, 1, -1, 0));

        call_ok(tb, path, "Destroy", 0);
        /* nothing active: it goes (bounded) */
        g_assert_true(test_bus_wait_name_gone(tb, "org.vmmd.qemu1", 10000));
        g_assert_true(e2e_wait_pid_exit(pid, 10000));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/asserts/fake-reboot-status-file", test_fake_reboot_status_file);
        g_test_add_func("/asserts/ignored-power-button", test_ignored_power_button);
        g_test_add_func("/asserts/power-request-checks", test_power_request_checks);
        g_test_add_func("/asserts/create-xml-over-inactive", test_create_xml_over_inactive);
        g_test_add_func("/asserts/define-over-transient", test_define_over_transient);
        g_test_add_func("/asserts/undefine-running-with-snapshots", test_undefine_running_with_snapshots);
        g_test_add_func("/asserts/define-while-being-removed", test_define_while_being_removed);
        g_test_add_func("/asserts/save-image-layout", test_save_image_layout);
        g_test_add_func("/asserts/save-incompatible-dxml", test_save_incompatible_dxml);
        g_test_add_func("/asserts/no-idle-exit-while-active", test_no_idle_exit_while_active);
        return g_test_run();
}
