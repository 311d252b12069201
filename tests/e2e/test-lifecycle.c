/* End-to-end lifecycle tests: real QEMU running the tiny guest, driven through vmmd-qemu on a private bus (spec E, F). */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e-util.h"
#include "qemu-process.h"

#define MANAGER QEMU_MANAGER_PATH
#define MANAGER_IFACE QEMU_MANAGER_INTERFACE
#define BOOT_MS 60000      /* TCG boot is ~4 s here; the bound is generous for a loaded CI */
#define STOP_MS 30000

#define UUID_A "5d6e0b5c-64f7-4f5e-9a3c-0a0000000001"
#define UUID_B "5d6e0b5c-64f7-4f5e-9a3c-0a0000000002"

static char *define_and_start(TestBus *tb, const char *xml, unsigned flags) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *path = test_define(tb, xml, 0, &e);

        if (!path)
                g_error("define: %s: %s", e.name, e.message);
        if (e2e_domain_call(tb, path, "Create", false, flags, &e) < 0)
                g_error("Create: %s: %s", e.name, e.message);
        return path;
}

static char *status_file(TestBus *tb, const char *name) {
        return g_strdup_printf("%s/run/vmmd/qemu/%s.xml", tb->root, name);
}

/* start → READY; RUNNING/BOOTED; PropertiesChanged, RESUMED/UNPAUSED, STARTED/BOOTED in that order (F1, F5) */
static void test_start(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, NULL, NULL, NULL);
        g_autofree char *path = NULL, *status = status_file(tb, "g1");
        int state, reason, changed, resumed, started;

        test_bus_clear_signals(tb);
        path = define_and_start(tb, xml, 0);
        g_assert_true(e2e_wait_serial(tb, "g1", "TESTGUEST READY", 1, BOOT_MS));
        test_prop_state(tb, path, &state, &reason);
        g_assert_cmpint(state, ==, 1);
        g_assert_cmpint(reason, ==, 1);
        g_assert_true(test_prop_bool(tb, path, "Active"));
        g_assert_cmpint(test_prop_int(tb, path, "Id"), >, 0);
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), >, 0);
        g_assert_true(g_file_test(status, G_FILE_TEST_EXISTS));

        resumed = e2e_find_event(tb, path, 4, 0, 0);
        started = e2e_find_event(tb, path, 2, 0, 0);
        changed = test_bus_find_signal(tb, "PropertiesChanged", path, 0);
        g_assert_cmpint(resumed, >=, 0);
        g_assert_cmpint(started, >, resumed);
        g_assert_cmpint(changed, >=, 0);
        g_assert_cmpint(changed, <, resumed);
        g_assert_cmpint(e2e_find_event(tb, path, 2, 0, started + 1), ==, -1);

        /* an active domain cannot be started again (E1) */
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "already active");
        }
}

/* Shutdown → the guest honours the power button → SHUTDOWN/x then STOPPED/SHUTDOWN, QEMU gone (E18) */
static void test_shutdown(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, NULL, NULL, NULL);
        g_autofree char *path = define_and_start(tb, xml, 0), *status = status_file(tb, "g1");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        pid_t pid;
        int sd, stopped;

        g_assert_true(e2e_wait_serial(tb, "g1", "TESTGUEST READY", 1, BOOT_MS));
        pid = e2e_qemu_pid(tb, UUID_A);
        g_assert_cmpint(pid, >, 0);
        test_bus_clear_signals(tb);
        g_assert_cmpint(e2e_domain_call(tb, path, "Shutdown", false, 0, &e), >=, 0);
        g_assert_true(e2e_wait_event(tb, path, 5, 0, STOP_MS));
        g_assert_true(e2e_wait_serial(tb, "g1", "TESTGUEST POWER-BUTTON", 1, 1000));
        sd = test_bus_find_signal(tb, "DomainEvent", path, 0);
        g_assert_cmpint(sd, >=, 0);
        TestSignal *s = g_ptr_array_index(tb->signals, sd);
        g_assert_cmpint(s->event, ==, 6);
        g_assert_cmpint(s->detail, ==, 1);   /* guest-initiated after the power button */
        stopped = e2e_find_event(tb, path, 5, 0, 0);
        g_assert_cmpint(stopped, >, sd);
        g_assert_true(e2e_wait_state(tb, path, 5, 1, 1000));
        g_assert_false(test_prop_bool(tb, path, "Active"));
        g_assert_cmpint(test_prop_int(tb, path, "Id"), ==, -1);
        g_assert_true(e2e_wait_pid_exit(pid, 5000));
        g_assert_false(g_file_test(status, G_FILE_TEST_EXISTS));

        /* inactive: further power requests are refused (E8) */
        sd_bus_error_free(&e);
        g_assert_cmpint(e2e_domain_call(tb, path, "Shutdown", false, 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "not running");
}

/* Reboot: the guest boots again inside the same QEMU; RUNNING at every poll; only Reboot() (E13–E15) */
static void test_fake_reboot(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, NULL, NULL, NULL);
        g_autofree char *path = define_and_start(tb, xml, 0);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        gint64 deadline;
        int polls = 0, id;
        pid_t pid;

        g_assert_true(e2e_wait_serial(tb, "g1", "TESTGUEST READY", 1, BOOT_MS));
        pid = e2e_qemu_pid(tb, UUID_A);
        id = test_prop_int(tb, path, "Id");
        test_bus_clear_signals(tb);
        g_assert_cmpint(e2e_domain_call(tb, path, "Reboot", false, 0, &e), >=, 0);

        deadline = g_get_monotonic_time() + (gint64) BOOT_MS * 1000;
        while (e2e_serial_count(tb, "g1", "TESTGUEST READY") < 2) {
                int state, reason;
                g_assert_cmpint(g_get_monotonic_time(), <, deadline);
                test_prop_state(tb, path, &state, &reason);
                g_assert_cmpint(state, ==, 1);
                g_assert_cmpint(reason, ==, 1);
                polls++;
                (void) sd_bus_wait(tb->bus, 50000);   /* poll every 50 ms, or sooner on a signal */
                test_bus_drain(tb);
        }
        g_assert_cmpint(polls, >, 10);
        g_assert_cmpint(e2e_serial_count(tb, "g1", "TESTGUEST POWEROFF"), ==, 1);
        g_assert_cmpint(test_prop_int(tb, path, "Id"), ==, id);
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, pid);
        g_assert_cmpint(test_bus_find_signal(tb, "DomainEvent", NULL, 0), ==, -1);
        g_assert_cmpint(test_bus_find_signal(tb, "Reboot", path, 0), >=, 0);
        g_assert_cmpint(test_bus_find_signal(tb, "Reboot", path, test_bus_find_signal(tb, "Reboot", path, 0) + 1),
                        ==, -1);
        for (guint i = 0; i < tb->signals->len; i++) {
                TestSignal *s = g_ptr_array_index(tb->signals, i);
                g_assert_false(g_str_equal(s->member, "PropertiesChanged") && s->changed &&
                               g_strv_contains((const char *const *) s->changed, "State"));
        }
}

/* guest-initiated poweroff → SHUTDOWN then STOPPED/SHUTDOWN (E18) */
static void test_guest_poweroff(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, "testguest.action=poweroff", NULL, NULL);
        g_autofree char *path = define_and_start(tb, xml, 0);

        g_assert_true(e2e_wait_event(tb, path, 5, 0, BOOT_MS));
        g_assert_cmpint(e2e_find_event(tb, path, 6, 1, 0), >=, 0);
        g_assert_true(e2e_wait_state(tb, path, 5, 1, 1000));
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, 0);
}

/* guest reboot with on_reboot restart: same QEMU, one Reboot(), no DomainEvent (E19) */
static void test_guest_reboot(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, "testguest.action=reboot", NULL, NULL);
        g_autofree char *path = define_and_start(tb, xml, 0);
        pid_t pid;

        g_assert_true(e2e_wait_serial(tb, "g1", "TESTGUEST READY", 1, BOOT_MS));
        pid = e2e_qemu_pid(tb, UUID_A);
        test_bus_clear_signals(tb);
        g_assert_true(e2e_wait_serial(tb, "g1", "TESTGUEST READY", 2, BOOT_MS));
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, pid);
        g_assert_cmpint(test_bus_find_signal(tb, "Reboot", path, 0), >=, 0);
        g_assert_cmpint(test_bus_find_signal(tb, "DomainEvent", NULL, 0), ==, -1);
        g_assert_true(e2e_wait_state(tb, path, 1, 1, 1000));
}

/* guest reboot with on_reboot destroy: the reboot is a poweroff and the domain stops (E2) */
static void test_guest_reboot_destroy(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, "testguest.action=reboot",
                                             "  <on_reboot>destroy</on_reboot>\n", NULL);
        g_autofree char *path = define_and_start(tb, xml, 0);

        g_assert_true(e2e_wait_event(tb, path, 5, 0, BOOT_MS));
        g_assert_true(e2e_wait_state(tb, path, 5, 1, 1000));
        g_assert_cmpint(e2e_serial_count(tb, "g1", "TESTGUEST READY"), ==, 1);
}

/* guest panic with <panic/>: CRASHED/PANICKED then, on_crash destroy, STOPPED/CRASHED (E23) */
static void test_panic_destroy(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, "testguest.action=panic", NULL,
                                             "    <panic model='isa'/>\n");
        g_autofree char *path = define_and_start(tb, xml, 0);
        int crashed, stopped;

        g_assert_true(e2e_wait_event(tb, path, 5, 2, BOOT_MS));
        crashed = e2e_find_event(tb, path, 8, 0, 0);
        stopped = e2e_find_event(tb, path, 5, 2, 0);
        g_assert_cmpint(crashed, >=, 0);
        g_assert_cmpint(stopped, >, crashed);
        g_assert_true(e2e_wait_state(tb, path, 5, 3, 1000));
}

/* on_crash preserve: stays CRASHED/PANICKED; Resume is allowed from there (E5, E23) */
static void test_panic_preserve(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, "testguest.action=panic",
                                             "  <on_crash>preserve</on_crash>\n", "    <panic model='isa'/>\n");
        g_autofree char *path = define_and_start(tb, xml, 0);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        g_assert_true(e2e_wait_event(tb, path, 8, 0, BOOT_MS));
        g_assert_true(e2e_wait_state(tb, path, 6, 1, 1000));
        g_assert_true(test_prop_bool(tb, path, "Active"));
        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), >=, 0);
        g_assert_true(e2e_wait_state(tb, path, 5, 2, 1000));
}

/* Suspend stops the guest's clock ticks, Resume continues them (E4, E5) */
static void test_suspend_resume(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, "testguest.tick=1", NULL, NULL);
        g_autofree char *path = define_and_start(tb, xml, 0);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int ticks;

        g_assert_true(e2e_wait_serial(tb, "g1", "TESTGUEST TICK", 1, BOOT_MS));
        test_bus_clear_signals(tb);
        g_assert_cmpint(e2e_domain_call(tb, path, "Suspend", true, 0, &e), >=, 0);
        g_assert_true(e2e_wait_state(tb, path, 3, 1, 0));
        g_assert_cmpint(e2e_find_event(tb, path, 3, 0, 0), >=, 0);
        ticks = e2e_serial_count(tb, "g1", "TESTGUEST TICK");
        /* a paused guest prints nothing: no tick within three tick periods */
        g_assert_false(e2e_wait_serial(tb, "g1", "TESTGUEST TICK", ticks + 1, 3000));

        /* suspending a paused domain succeeds without an event (E4, F2) */
        test_bus_clear_signals(tb);
        g_assert_cmpint(e2e_domain_call(tb, path, "Suspend", true, 0, &e), >=, 0);
        g_assert_cmpint(test_bus_find_signal(tb, "DomainEvent", NULL, 0), ==, -1);

        g_assert_cmpint(e2e_domain_call(tb, path, "Resume", true, 0, &e), >=, 0);
        g_assert_true(e2e_wait_state(tb, path, 1, 5, 0));
        g_assert_cmpint(e2e_find_event(tb, path, 4, 0, 0), >=, 0);
        g_assert_true(e2e_wait_serial(tb, "g1", "TESTGUEST TICK", ticks + 1, 10000));

        g_assert_cmpint(e2e_domain_call(tb, path, "Resume", true, 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "already running");
}

/* a guest that ignores the power button: Shutdown has no effect, Destroy ends it (E3, E17) */
static void test_destroy_ignoring_guest(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, "testguest.ignorepwr=1", NULL, NULL);
        g_autofree char *path = define_and_start(tb, xml, 0);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        pid_t pid;

        g_assert_true(e2e_wait_serial(tb, "g1", "TESTGUEST READY", 1, BOOT_MS));
        pid = e2e_qemu_pid(tb, UUID_A);
        g_assert_cmpint(e2e_domain_call(tb, path, "Shutdown", false, 0, &e), >=, 0);
        g_assert_true(e2e_wait_serial(tb, "g1", "TESTGUEST POWER-BUTTON", 1, 10000));
        g_assert_true(e2e_wait_state(tb, path, 1, 1, 0));
        test_bus_clear_signals(tb);
        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), >=, 0);
        /* the reply comes once QEMU is gone */
        g_assert_true(e2e_wait_pid_exit(pid, 1000));
        g_assert_true(e2e_wait_state(tb, path, 5, 2, 0));
        g_assert_cmpint(e2e_find_event(tb, path, 5, 1, 0), >=, 0);

        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "not running");
}

/* kill -9 of the daemon with two guests: the next call re-activates it; both RUNNING with the same Id (E22) */
static void test_daemon_restart(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xa = e2e_guest_xml(tb, "ga", UUID_A, NULL, NULL, NULL);
        g_autofree char *xb = e2e_guest_xml(tb, "gb", UUID_B, NULL, NULL, NULL);
        g_autofree char *pa = define_and_start(tb, xa, 0);
        g_autofree char *pb = define_and_start(tb, xb, 0);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int ida, idb;
        pid_t qa, qb;

        g_assert_true(e2e_wait_serial(tb, "ga", "TESTGUEST READY", 1, BOOT_MS));
        g_assert_true(e2e_wait_serial(tb, "gb", "TESTGUEST READY", 1, BOOT_MS));
        ida = test_prop_int(tb, pa, "Id");
        idb = test_prop_int(tb, pb, "Id");
        qa = e2e_qemu_pid(tb, UUID_A);
        qb = e2e_qemu_pid(tb, UUID_B);
        g_assert_cmpint(ida, !=, idb);

        test_bus_kill_name(tb, QEMU_BUS_NAME);
        g_assert_cmpint(kill(qa, 0), ==, 0);
        g_assert_cmpint(kill(qb, 0), ==, 0);

        {
                g_auto(GStrv) list = test_list_domains(tb, 1);   /* ACTIVE: re-activates the daemon */
                g_assert_cmpuint(g_strv_length(list), ==, 2);
        }
        g_assert_true(e2e_wait_state(tb, pa, 1, -1, 5000));
        g_assert_true(e2e_wait_state(tb, pb, 1, -1, 5000));
        g_assert_cmpint(test_prop_int(tb, pa, "Id"), ==, ida);
        g_assert_cmpint(test_prop_int(tb, pb, "Id"), ==, idb);

        test_bus_clear_signals(tb);
        g_assert_cmpint(e2e_domain_call(tb, pa, "Shutdown", false, 0, &e), >=, 0);
        g_assert_cmpint(e2e_domain_call(tb, pb, "Shutdown", false, 0, &e), >=, 0);
        g_assert_true(e2e_wait_event(tb, pa, 5, 0, STOP_MS));
        g_assert_true(e2e_wait_event(tb, pb, 5, 0, STOP_MS));
        g_assert_true(e2e_wait_pid_exit(qa, 5000));
        g_assert_true(e2e_wait_pid_exit(qb, 5000));
}

/* a QEMU killed behind the daemon's back: SHUTOFF/CRASHED, STOPPED/FAILED, status file gone (E21) */
static void test_qemu_killed(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, NULL, NULL, NULL);
        g_autofree char *path = define_and_start(tb, xml, 0), *status = status_file(tb, "g1");
        pid_t pid;

        g_assert_true(e2e_wait_serial(tb, "g1", "TESTGUEST READY", 1, BOOT_MS));
        pid = e2e_qemu_pid(tb, UUID_A);
        test_bus_clear_signals(tb);
        g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
        g_assert_true(e2e_wait_event(tb, path, 5, 5, 10000));
        g_assert_true(e2e_wait_state(tb, path, 5, 3, 0));
        g_assert_false(g_file_test(status, G_FILE_TEST_EXISTS));
}

/* DomainCreateXML: a transient domain, gone after Destroy (A25, E3) */
static void test_transient(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "t1", UUID_A, NULL, NULL, NULL);
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *config = test_config_file(tb, "t1");
        const char *p;
        g_autofree char *path = NULL;
        int added, removed, stopped;

        g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainCreateXML", &e, &reply, "su", xml, 0), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
        path = g_strdup(p);
        added = test_bus_find_signal(tb, "InterfacesAdded", path, 0);
        g_assert_cmpint(added, >=, 0);
        g_assert_cmpint(e2e_find_event(tb, path, 2, 0, 0), >, added);
        g_assert_false(test_prop_bool(tb, path, "Persistent"));
        g_assert_true(test_prop_bool(tb, path, "Active"));
        g_assert_false(g_file_test(config, G_FILE_TEST_EXISTS));
        g_assert_true(e2e_wait_serial(tb, "t1", "TESTGUEST READY", 1, BOOT_MS));

        /* Undefine of a transient domain is refused (B5) */
        g_assert_cmpint(e2e_domain_call(tb, path, "Undefine", false, 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID, "transient");
        sd_bus_error_free(&e);

        test_bus_clear_signals(tb);
        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), >=, 0);
        stopped = e2e_find_event(tb, path, 5, 1, 0);
        removed = test_bus_find_signal(tb, "InterfacesRemoved", path, 0);
        g_assert_cmpint(stopped, >=, 0);
        g_assert_cmpint(removed, >, stopped);
        {
                g_auto(GStrv) list = test_list_domains(tb, 0);
                g_assert_cmpuint(g_strv_length(list), ==, 0);
        }
        g_assert_cmpint(test_call(tb, path, QEMU_DOMAIN_INTERFACE, "GetState", &e, NULL, "u", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN);
}

/* START_PAUSED: STARTED/BOOTED then SUSPENDED/PAUSED, PAUSED/USER (A25, F5) */
static void test_start_paused(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, NULL, NULL, NULL);
        g_autofree char *path = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int started, suspended;

        test_bus_clear_signals(tb);
        path = define_and_start(tb, xml, 1);
        g_assert_true(e2e_wait_state(tb, path, 3, 1, 0));
        started = e2e_find_event(tb, path, 2, 0, 0);
        suspended = e2e_find_event(tb, path, 3, 0, 0);
        g_assert_cmpint(started, >=, 0);
        g_assert_cmpint(suspended, >, started);
        g_assert_cmpint(e2e_domain_call(tb, path, "Resume", true, 0, &e), >=, 0);
        g_assert_true(e2e_wait_serial(tb, "g1", "TESTGUEST READY", 1, BOOT_MS));
}

/* a running persistent domain redefined keeps its live definition until it stops (A18, A22) */
static void test_redefine_running(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, NULL, NULL, NULL);
        g_autofree char *xml2 = e2e_guest_xml(tb, "g1", UUID_A, NULL, NULL, NULL);
        g_autofree char *path = define_and_start(tb, xml, 0);
        g_autofree char *live = NULL, *inactive = NULL, *after = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *p;

        g_assert_false(test_prop_bool(tb, path, "Updated"));
        /* 256 MiB for the next boot */
        p = strstr(xml2, "<memory unit='MiB'>128</memory>");
        g_assert_nonnull(p);
        memcpy(p, "<memory unit='MiB'>256</memory>", strlen("<memory unit='MiB'>256</memory>"));
        test_bus_clear_signals(tb);
        g_free(test_define(tb, xml2, 0, &e));
        g_assert_false(sd_bus_error_is_set(&e));
        g_assert_true(test_prop_bool(tb, path, "Updated"));
        /* F1: PropertiesChanged (Updated), then DEFINED/UPDATED */
        {
                int changed = test_bus_find_signal(tb, "PropertiesChanged", path, 0);
                int ev = e2e_find_event(tb, path, 0, 1, 0);
                g_assert_cmpint(changed, >=, 0);
                g_assert_cmpint(ev, >, changed);
        }
        live = test_get_xml(tb, path, 0);
        inactive = test_get_xml(tb, path, 2);
        g_assert_nonnull(strstr(live, "131072"));
        g_assert_nonnull(strstr(inactive, "262144"));
        g_assert_nonnull(strstr(live, "<domain type='qemu' id='"));
        g_assert_null(strstr(inactive, " id='"));

        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), >=, 0);
        g_assert_false(test_prop_bool(tb, path, "Updated"));
        after = test_get_xml(tb, path, 0);
        g_assert_nonnull(strstr(after, "262144"));
}

/* Undefine of a running domain: it keeps running, transient; it vanishes when it stops (B13, B14) */
static void test_undefine_running(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, NULL, NULL, NULL);
        g_autofree char *path = define_and_start(tb, xml, 0), *config = test_config_file(tb, "g1");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        pid_t pid = e2e_qemu_pid(tb, UUID_A);

        test_bus_clear_signals(tb);
        g_assert_cmpint(e2e_domain_call(tb, path, "Undefine", false, 0, &e), >=, 0);
        /* F1: PropertiesChanged (Persistent), then UNDEFINED/REMOVED */
        {
                int changed = test_bus_find_signal(tb, "PropertiesChanged", path, 0);
                int ev = e2e_find_event(tb, path, 1, 0, 0);
                g_assert_cmpint(changed, >=, 0);
                g_assert_cmpint(ev, >, changed);
        }
        g_assert_false(g_file_test(config, G_FILE_TEST_EXISTS));
        g_assert_false(test_prop_bool(tb, path, "Persistent"));
        g_assert_true(test_prop_bool(tb, path, "Active"));
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, pid);
        test_bus_clear_signals(tb);
        g_assert_cmpint(e2e_domain_call(tb, path, "Destroy", false, 0, &e), >=, 0);
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesRemoved", path, 0), >, e2e_find_event(tb, path, 5, 1, 0));
}

/* type='kvm' fails clearly when KVM cannot run guests here */
static void test_kvm_refused(void) {
        g_autoptr(E2EBus) tb = NULL;
        g_autofree char *xml = NULL, *path = NULL, *reason = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        if (qemu_kvm_usable(&reason)) {
                g_test_skip("KVM can run guests on this host");
                return;
        }
        tb = e2e_bus_new(NULL);
        xml = e2e_guest_xml(tb, "k1", UUID_A, NULL, NULL, NULL);
        memcpy(strstr(xml, "type='qemu'"), "type='kvm' ", strlen("type='kvm' "));
        path = test_define(tb, xml, 0, &e);
        g_assert_nonnull(path);
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "KVM");
        g_assert_false(test_prop_bool(tb, path, "Active"));
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, 0);
}

/* A CPU feature flag QEMU does not know is refused by name before QEMU runs, not a QEMU
 * start failure: ConfigUnsupported, the domain stays inactive, no process */
static void test_cpu_feature_refused(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *base = e2e_guest_xml(tb, "cf", UUID_A, NULL, NULL, NULL);
        g_auto(GStrv) halves = g_strsplit(base, "  </os>\n", 2);
        g_autofree char *xml = g_strconcat(halves[0], "  </os>\n  <cpu><model>qemu64</model>"
                                           "<feature policy='require' name='no-such-flag'/></cpu>\n",
                                           halves[1], NULL);
        g_autofree char *path = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        g_assert_nonnull(halves[1]);
        path = test_define(tb, xml, 0, &e);
        g_assert_nonnull(path);
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "no-such-flag");
        g_assert_false(test_prop_bool(tb, path, "Active"));
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, 0);
}

/* Autostart runs once per host boot: a daemon start without the boot marker starts the
 * autostart domains; later activations in the same boot start nothing (A35, A36) */
static void test_autostart(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xa = e2e_guest_xml(tb, "ga", UUID_A, NULL, NULL, NULL);
        g_autofree char *xb = e2e_guest_xml(tb, "gb", UUID_B, NULL, NULL, NULL);
        g_autofree char *marker = g_strdup_printf("%s/run/vmmd/qemu/autostarted", tb->root);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *pa = test_define(tb, xa, 0, &e);
        g_autofree char *pb = test_define(tb, xb, 0, &e);

        g_assert_nonnull(pa);
        g_assert_true(g_file_test(marker, G_FILE_TEST_EXISTS));   /* the first activation wrote it */
        g_assert_cmpint(sd_bus_set_property(tb->bus, QEMU_BUS_NAME, pa, QEMU_DOMAIN_INTERFACE, "Autostart",
                                            &e, "b", 1), >=, 0);

        /* same boot: a restarted daemon starts nothing */
        test_bus_kill_name(tb, QEMU_BUS_NAME);
        g_assert_false(test_prop_bool(tb, pa, "Active"));

        /* a new boot: the marker is gone */
        g_assert_cmpint(unlink(marker), ==, 0);
        test_bus_kill_name(tb, QEMU_BUS_NAME);
        g_assert_true(e2e_wait_state(tb, pa, 1, 1, BOOT_MS));
        g_assert_true(e2e_wait_serial(tb, "ga", "TESTGUEST READY", 1, BOOT_MS));
        g_assert_false(test_prop_bool(tb, pb, "Active"));
        g_assert_true(g_file_test(marker, G_FILE_TEST_EXISTS));
}

/* Reads fd (bounded) until text appears in what was read. */
static bool read_until(int fd, GString *seen, const char *text, unsigned timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

        while (!strstr(seen->str, text)) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                gint64 left = deadline - g_get_monotonic_time();
                char buf[4096];
                ssize_t n;

                if (left <= 0 || poll(&p, 1, (int) (left / 1000) + 1) <= 0)
                        return false;
                n = read(fd, buf, sizeof(buf));
                if (n <= 0)
                        return false;
                g_string_append_len(seen, buf, n);
        }
        return true;
}

/* OpenConsole hands over the guest's serial console: a live, interactive pty */
static void test_console(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "c1", UUID_A, "testguest.shell=1", NULL, NULL);
        g_autofree char *file_serial = NULL, *path = NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(GString) seen = g_string_new(NULL);
        char *start, *end;
        int fd;

        /* the guest's console on a pty instead of the usual file */
        start = strstr(xml, "    <serial type='file'>");
        end = strstr(start, "</serial>\n") + strlen("</serial>\n");
        file_serial = g_strndup(start, end - start);
        {
                g_autoptr(GString) x = g_string_new(xml);
                g_string_replace(x, file_serial, "    <serial type='pty'><target port='0'/></serial>\n", 1);
                g_free(xml);
                xml = g_string_free(g_steal_pointer(&x), FALSE);
        }
        path = define_and_start(tb, xml, 0);
        g_assert_cmpint(test_call(tb, path, QEMU_DOMAIN_INTERFACE, "OpenConsole", &e, &reply, "su", "", 0), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "h", &fd), >=, 0);
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        g_assert_cmpint(fd, >=, 0);
        g_assert_true(read_until(fd, seen, "TESTGUEST READY", BOOT_MS));
        /* the shell answers what we type */
        g_assert_cmpint(write(fd, "echo CONSOLE-$((6*7))\n", 22), ==, 22);
        g_assert_true(read_until(fd, seen, "CONSOLE-42", 10000));
        close(fd);

        g_assert_cmpint(test_call(tb, path, QEMU_DOMAIN_INTERFACE, "OpenConsole", &e, NULL, "su", "serial7", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "serial7");
}

static char *storage_call_o(TestBus *tb, const char *path, const char *iface, const char *method, sd_bus_error *e,
                            const char *types, const char *a, unsigned flags) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *o;

        if (test_call_to(tb, STORAGE_BUS_NAME, path, iface, method, e, &reply, types, a, flags) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &o), >=, 0);
        return g_strdup(o);
}

/* <disk type='volume'>: vmmd-qemu asks vmmd-storage (activated by the bus) for the path (storage.md §8) */
static void test_volume_disk(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *pooldir = g_strdup_printf("%s/pool", tb->dir);
        g_autofree char *pool_xml = g_strdup_printf("<pool type='dir'><name>p1</name><target><path>%s</path></target></pool>",
                                                    pooldir);
        const char *vol_xml = "<volume><name>v1.qcow2</name><capacity unit='MiB'>16</capacity>"
                              "<target><format type='qcow2'/></target></volume>";
        const char *disk = "    <disk type='volume' device='disk'><source pool='p1' volume='v1.qcow2'/>"
                           "<target dev='vda' bus='virtio'/></disk>\n";
        g_autofree char *xml = e2e_guest_xml(tb, "v1", UUID_A, NULL, NULL, disk);
        g_autofree char *pool = NULL, *vol = NULL, *path = NULL, *inactive = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        path = test_define(tb, xml, 0, &e);
        g_assert_nonnull(path);
        /* no such pool yet: vmmd-storage's error comes through unchanged */
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_STORAGE_POOL);
        sd_bus_error_free(&e);

        pool = storage_call_o(tb, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE, "StoragePoolDefineXML", &e, "su",
                              pool_xml, 0);
        g_assert_nonnull(pool);
        g_assert_cmpint(test_call_to(tb, STORAGE_BUS_NAME, pool, STORAGE_POOL_INTERFACE, "Build", &e, NULL,
                                     "u", 0), >=, 0);
        /* an inactive pool is refused */
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED, "not active");
        sd_bus_error_free(&e);

        g_assert_cmpint(test_call_to(tb, STORAGE_BUS_NAME, pool, STORAGE_POOL_INTERFACE, "Create", &e, NULL,
                                     "u", 0), >=, 0);
        vol = storage_call_o(tb, pool, STORAGE_POOL_INTERFACE, "StorageVolCreateXML", &e, "su", vol_xml, 0);
        g_assert_nonnull(vol);

        /* a new transient domain whose volume cannot be resolved goes away again (A28) */
        {
                g_autofree char *bad = e2e_guest_xml(tb, "vt", "5d6e0b5c-64f7-4f5e-9a3c-0a00000000aa", NULL, NULL,
                                                     "    <disk type='volume' device='disk'><source pool='nope' "
                                                     "volume='x'/><target dev='vda' bus='virtio'/></disk>\n");
                g_assert_cmpint(test_call(tb, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE, "DomainCreateXML", &e, NULL,
                                          "su", bad, 0), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_NO_STORAGE_POOL);
                sd_bus_error_free(&e);
                g_auto(GStrv) list = test_list_domains(tb, 0);
                g_assert_cmpuint(g_strv_length(list), ==, 1);
        }

        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), >=, 0);
        /* the guest sees a 16 MiB virtio disk: 32768 sectors */
        g_assert_true(e2e_wait_serial(tb, "v1", "TESTGUEST DISK vda sectors=32768", 1, BOOT_MS));
        inactive = test_get_xml(tb, path, 2);
        g_assert_nonnull(strstr(inactive, "<source pool='p1' volume='v1.qcow2'/>"));
}

/* E6: Reset restarts the guest in place: one Reboot(), state unchanged */
static void test_reset(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, NULL, NULL, NULL);
        g_autofree char *path = define_and_start(tb, xml, 0);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        pid_t pid;

        g_assert_true(e2e_wait_serial(tb, "g1", "TESTGUEST READY", 1, BOOT_MS));
        pid = e2e_qemu_pid(tb, UUID_A);
        test_bus_clear_signals(tb);
        g_assert_cmpint(e2e_domain_call(tb, path, "Reset", false, 0, &e), >=, 0);
        g_assert_true(e2e_wait_serial(tb, "g1", "TESTGUEST READY", 2, BOOT_MS));
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, pid);
        g_assert_cmpint(test_bus_find_signal(tb, "Reboot", path, 0), >=, 0);
        g_assert_cmpint(test_bus_find_signal(tb, "Reboot", path, test_bus_find_signal(tb, "Reboot", path, 0) + 1),
                        ==, -1);
        g_assert_cmpint(test_bus_find_signal(tb, "DomainEvent", NULL, 0), ==, -1);
        g_assert_true(e2e_wait_state(tb, path, 1, 1, 0));
}

/* E12: Shutdown with on_poweroff restart is a reboot */
static void test_poweroff_restart(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, NULL, "  <on_poweroff>restart</on_poweroff>\n", NULL);
        g_autofree char *path = define_and_start(tb, xml, 0);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        g_assert_true(e2e_wait_serial(tb, "g1", "TESTGUEST READY", 1, BOOT_MS));
        test_bus_clear_signals(tb);
        g_assert_cmpint(e2e_domain_call(tb, path, "Shutdown", false, 0, &e), >=, 0);
        g_assert_true(e2e_wait_serial(tb, "g1", "TESTGUEST READY", 2, BOOT_MS));
        g_assert_cmpint(test_bus_find_signal(tb, "DomainEvent", NULL, 0), ==, -1);
        g_assert_true(e2e_wait_state(tb, path, 1, 1, 0));
}

/* E23: on_crash restart: CRASHED/PANICKED, then RUNNING/CRASHED with RESUMED/UNPAUSED */
static void test_panic_restart(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, "testguest.action=panic",
                                             "  <on_crash>restart</on_crash>\n", "    <panic model='isa'/>\n");
        g_autofree char *path = define_and_start(tb, xml, 0);
        int crashed, resumed;

        gint64 deadline;

        g_assert_true(e2e_wait_event(tb, path, 8, 0, BOOT_MS));
        crashed = e2e_find_event(tb, path, 8, 0, 0);
        /* the boot's own RESUMED came before; the restart's comes after the crash */
        deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
        while ((resumed = e2e_find_event(tb, path, 4, 0, crashed + 1)) < 0 && g_get_monotonic_time() < deadline) {
                (void) sd_bus_wait(tb->bus, 200000);
                test_bus_drain(tb);
        }
        g_assert_cmpint(resumed, >, crashed);
        g_assert_true(e2e_wait_state(tb, path, 1, 9, 0));
        g_assert_true(e2e_wait_serial(tb, "g1", "TESTGUEST READY", 2, BOOT_MS));
}

/* A28: QEMU cannot start (a disk file is missing): the error comes back, SHUTOFF/FAILED */
static void test_start_failure(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *missing = g_strdup_printf("    <disk type='file' device='disk'><driver name='qemu' type='raw'/>"
                                                   "<source file='%s/nope.img'/><target dev='vda' bus='virtio'/></disk>\n",
                                                   tb->dir);
        g_autofree char *xml = e2e_guest_xml(tb, "g1", UUID_A, NULL, NULL, missing);
        g_autofree char *xml2 = e2e_guest_xml(tb, "t1", "5d6e0b5c-64f7-4f5e-9a3c-0a0000000009", NULL, NULL, missing);
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = test_define(tb, xml, 0, &e);

        g_assert_nonnull(path);
        g_assert_cmpint(e2e_domain_call(tb, path, "Create", false, 0, &e), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, "nope.img");
        sd_bus_error_free(&e);
        g_assert_true(e2e_wait_state(tb, path, 5, 6, 0));
        g_assert_cmpint(e2e_qemu_pid(tb, UUID_A), ==, 0);
        /* a new transient domain goes away again */
        test_bus_clear_signals(tb);
        g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainCreateXML", &e, &reply, "su", xml2, 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED);
        {
                g_auto(GStrv) list = test_list_domains(tb, 0);
                g_assert_cmpuint(g_strv_length(list), ==, 1);
        }
}

/* A29: START_AUTODESTROY: the domain goes when the client that started it disconnects */
static void test_autodestroy(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        g_autofree char *xml = e2e_guest_xml(tb, "a1", UUID_A, NULL, NULL, NULL);
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *path = NULL;
        sd_bus *client = NULL;
        const char *p;
        pid_t pid;

        g_assert_cmpint(sd_bus_new(&client), >=, 0);
        g_assert_cmpint(sd_bus_set_address(client, tb->address), >=, 0);
        g_assert_cmpint(sd_bus_set_bus_client(client, 1), >=, 0);
        g_assert_cmpint(sd_bus_start(client), >=, 0);
        g_assert_cmpint(sd_bus_call_method(client, QEMU_BUS_NAME, MANAGER, MANAGER_IFACE, "DomainCreateXML", &e,
                                           &reply, "su", xml, 2 /* AUTODESTROY */), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
        path = g_strdup(p);
        g_assert_true(e2e_wait_state(tb, path, 1, 1, 0));
        pid = e2e_qemu_pid(tb, UUID_A);
        g_assert_cmpint(pid, >, 0);
        test_bus_clear_signals(tb);
        sd_bus_flush_close_unref(client);
        g_assert_true(e2e_wait_event(tb, path, 5, 1, 20000));   /* STOPPED/DESTROYED */
        g_assert_true(e2e_wait_pid_exit(pid, 5000));
        g_assert_nonnull(test_bus_wait_signal(tb, "InterfacesRemoved", 5000));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/e2e/start", test_start);
        g_test_add_func("/e2e/start-paused", test_start_paused);
        g_test_add_func("/e2e/shutdown", test_shutdown);
        g_test_add_func("/e2e/fake-reboot", test_fake_reboot);
        g_test_add_func("/e2e/guest-poweroff", test_guest_poweroff);
        g_test_add_func("/e2e/guest-reboot", test_guest_reboot);
        g_test_add_func("/e2e/guest-reboot-destroy", test_guest_reboot_destroy);
        g_test_add_func("/e2e/panic-destroy", test_panic_destroy);
        g_test_add_func("/e2e/panic-preserve", test_panic_preserve);
        g_test_add_func("/e2e/suspend-resume", test_suspend_resume);
        g_test_add_func("/e2e/destroy-ignoring-guest", test_destroy_ignoring_guest);
        g_test_add_func("/e2e/daemon-restart", test_daemon_restart);
        g_test_add_func("/e2e/qemu-killed", test_qemu_killed);
        g_test_add_func("/e2e/transient", test_transient);
        g_test_add_func("/e2e/redefine-running", test_redefine_running);
        g_test_add_func("/e2e/undefine-running", test_undefine_running);
        g_test_add_func("/e2e/kvm-refused", test_kvm_refused);
        g_test_add_func("/e2e/cpu-feature-refused", test_cpu_feature_refused);
        g_test_add_func("/e2e/autostart", test_autostart);
        g_test_add_func("/e2e/console", test_console);
        g_test_add_func("/e2e/volume-disk", test_volume_disk);
        g_test_add_func("/e2e/reset", test_reset);
        g_test_add_func("/e2e/poweroff-restart", test_poweroff_restart);
        g_test_add_func("/e2e/panic-restart", test_panic_restart);
        g_test_add_func("/e2e/start-failure", test_start_failure);
        g_test_add_func("/e2e/autodestroy", test_autodestroy);
        return g_test_run();
}
