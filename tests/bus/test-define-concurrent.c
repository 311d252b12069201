/* Bus tests for concurrent DomainDefineXML: many clients' defines share the daemon's fsyncs (group commit),
 * and each reply still means the definition is on disk. */
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bus-harness.h"

#define CLIENTS 8
#define PER_CLIENT 25
#define DUP_UUID "c7a5fdbd-cdaf-9455-926a-d65c16db1809"
#define DUP_UUID2 "c7a5fdbd-cdaf-9455-926a-d65c16db1802"

typedef struct Call {
        TestBus *tb;
        char *name;        /* the domain the call defines */
        char *path;        /* reply: the object path */
        char *error_name;  /* or the error */
        char *error_message;
        bool replied;
        bool file_at_reply; /* the definition file existed and named the domain when the reply came */
} Call;

static unsigned outstanding;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Call *c = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        c->replied = true;
        outstanding--;
        if (e) {
                c->error_name = g_strdup(e->name);
                c->error_message = g_strdup(e->message);
                return 0;
        }
        {
                g_autofree char *file = test_config_file(c->tb, c->name);
                g_autofree char *data = test_read_file(file);
                g_autofree char *tag = g_strdup_printf("<name>%s</name>", c->name);
                const char *path;

                g_assert_cmpint(sd_bus_message_read(m, "o", &path), >=, 0);
                c->path = g_strdup(path);
                c->file_at_reply = data && strstr(data, tag) && strstr(data, "</domain>");
        }
        return 0;
}

static sd_bus *client_new(TestBus *tb) {
        sd_bus *bus = NULL;

        g_assert_cmpint(sd_bus_new(&bus), >=, 0);
        g_assert_cmpint(sd_bus_set_address(bus, tb->address), >=, 0);
        g_assert_cmpint(sd_bus_set_bus_client(bus, 1), >=, 0);
        g_assert_cmpint(sd_bus_start(bus), >=, 0);
        return bus;
}

static void send_define(sd_bus *bus, Call *c, const char *xml) {
        outstanding++;
        g_assert_cmpint(sd_bus_call_method_async(bus, NULL, QEMU_BUS_NAME, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE,
                                                 "DomainDefineXML", on_reply, c, "su", xml, 0),
                        >=, 0);
}

/* Runs every client until all calls are answered; bounded (60 s) so a lost reply fails */
static void pump(sd_bus **buses, unsigned n) {
        gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;

        while (outstanding > 0) {
                struct pollfd fds[CLIENTS];

                for (unsigned i = 0; i < n; i++) {
                        while (sd_bus_process(buses[i], NULL) > 0)
                                ;
                        fds[i].fd = sd_bus_get_fd(buses[i]);
                        fds[i].events = (short) sd_bus_get_events(buses[i]);
                        fds[i].revents = 0;
                }
                if (outstanding == 0)
                        break;
                g_assert_cmpint(g_get_monotonic_time(), <, deadline);
                (void) poll(fds, n, 100);
        }
}

static void call_clear(Call *c) {
        g_free(c->name);
        g_free(c->path);
        g_free(c->error_name);
        g_free(c->error_message);
}

/* 8 clients define 200 domains at once; one client also sends, pipelined, a redefine and two
 * conflicting defines of a domain whose first define is still being written: they behave as
 * one after the other (updated, refused, refused). Every reply finds its file on disk, and a
 * daemon killed (SIGKILL) right after the last reply finds every replied domain again. */
static void test_define_concurrent(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *cfgdir = test_root_file(tb, "etc/vmmd/qemu");
        sd_bus *buses[CLIENTS];
        Call calls[CLIENTS * PER_CLIENT], dups[4];
        const char *dup_xml_extra[4] = { NULL, "    <graphics type='vnc'/>\n", NULL, NULL };
        const char *dup_names[4] = { "dup", "dup", "dup", "dup2" };
        const char *dup_uuids[4] = { DUP_UUID, DUP_UUID, DUP_UUID2, DUP_UUID };
        g_auto(GStrv) list = NULL;
        g_autofree char *dup_xml = NULL;

        memset(calls, 0, sizeof(calls));
        memset(dups, 0, sizeof(dups));
        for (unsigned i = 0; i < CLIENTS; i++)
                buses[i] = client_new(tb);
        /* activate the daemon first, so that the defines arrive together */
        g_strfreev(test_list_domains(tb, 0));

        for (unsigned j = 0; j < PER_CLIENT; j++)
                for (unsigned i = 0; i < CLIENTS; i++) {
                        Call *c = &calls[i * PER_CLIENT + j];
                        g_autofree char *uuid = g_strdup_printf("5a1e0000-0000-4000-8000-%012x", i * 1000 + j);
                        g_autofree char *xml = NULL;

                        c->tb = tb;
                        c->name = g_strdup_printf("gc-%u-%u", i, j);
                        xml = test_domain_xml(c->name, uuid, NULL);
                        send_define(buses[i], c, xml);
                        if (i == 0 && j == PER_CLIENT / 2)
                                for (unsigned k = 0; k < 4; k++) {
                                        g_autofree char *dx = test_domain_xml(dup_names[k], dup_uuids[k],
                                                                              dup_xml_extra[k]);
                                        dups[k].tb = tb;
                                        dups[k].name = g_strdup(dup_names[k]);
                                        send_define(buses[i], &dups[k], dx);
                                }
                }
        pump(buses, CLIENTS);

        for (unsigned n = 0; n < G_N_ELEMENTS(calls); n++) {
                Call *c = &calls[n];
                if (c->error_name)
                        g_error("define %s failed: %s: %s", c->name, c->error_name, c->error_message);
                g_assert_true(c->replied);
                g_assert_nonnull(c->path);
                g_assert_true(c->file_at_reply);
        }
        /* in-flight duplicates: added, then updated (same object), then the two conflicts refused */
        g_assert_nonnull(dups[0].path);
        g_assert_true(dups[0].file_at_reply);
        g_assert_cmpstr(dups[1].path, ==, dups[0].path);
        g_assert_null(dups[2].path);
        g_assert_cmpstr(dups[2].error_name, ==, VMMD_DBUS_ERROR_OPERATION_FAILED);
        g_assert_nonnull(strstr(dups[2].error_message, "already exists"));
        g_assert_null(dups[3].path);
        g_assert_cmpstr(dups[3].error_name, ==, VMMD_DBUS_ERROR_OPERATION_FAILED);
        g_assert_nonnull(strstr(dups[3].error_message, "already defined"));
        test_assert_no_temp_files(cfgdir);

        test_bus_kill_name(tb, QEMU_BUS_NAME);
        list = test_list_domains(tb, 0);   /* re-activates */
        g_assert_cmpuint(g_strv_length(list), ==, CLIENTS * PER_CLIENT + 1);
        for (unsigned n = 0; n < G_N_ELEMENTS(calls); n++)
                g_assert_true(g_strv_contains((const char *const *) list, calls[n].path));
        dup_xml = test_get_xml(tb, dups[0].path, 2);
        g_assert_nonnull(strstr(dup_xml, "<graphics type='vnc'"));

        for (unsigned i = 0; i < CLIENTS; i++)
                sd_bus_flush_close_unref(buses[i]);
        for (unsigned n = 0; n < G_N_ELEMENTS(calls); n++)
                call_clear(&calls[n]);
        for (unsigned k = 0; k < 4; k++)
                call_clear(&dups[k]);
}

/* A batch whose files cannot be written (an immutable definition directory): every define,
 * and one pipelined behind a failing define of the same name, replies SystemError naming the
 * directory; no domain is in the table, no signal was sent, no temp file is left. */
static void test_define_concurrent_write_failure(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *cfgdir = test_root_file(tb, "etc/vmmd/qemu");
        sd_bus *buses[CLIENTS];
        Call calls[CLIENTS * 4], again;
        g_auto(GStrv) list = NULL;
        g_autofree char *again_xml = NULL;

        memset(calls, 0, sizeof(calls));
        memset(&again, 0, sizeof(again));
        for (unsigned i = 0; i < CLIENTS; i++)
                buses[i] = client_new(tb);
        g_strfreev(test_list_domains(tb, 0));
        g_assert_cmpint(g_mkdir_with_parents(cfgdir, 0755), ==, 0);
        test_set_immutable(tb, cfgdir, true);
        test_bus_clear_signals(tb);

        for (unsigned j = 0; j < 4; j++)
                for (unsigned i = 0; i < CLIENTS; i++) {
                        Call *c = &calls[i * 4 + j];
                        g_autofree char *uuid = g_strdup_printf("5a1e0000-0000-4000-8000-%012x", i * 1000 + j);
                        g_autofree char *xml = NULL;

                        c->tb = tb;
                        c->name = g_strdup_printf("wf-%u-%u", i, j);
                        xml = test_domain_xml(c->name, uuid, NULL);
                        send_define(buses[i], c, xml);
                }
        /* the same name and uuid as the first define of client 0: it waits for that write */
        again.tb = tb;
        again.name = g_strdup("wf-0-0");
        again_xml = test_domain_xml(again.name, "5a1e0000-0000-4000-8000-000000000000", NULL);
        send_define(buses[0], &again, again_xml);
        pump(buses, CLIENTS);
        test_set_immutable(tb, cfgdir, false);

        for (unsigned n = 0; n < G_N_ELEMENTS(calls); n++) {
                g_assert_null(calls[n].path);
                g_assert_cmpstr(calls[n].error_name, ==, VMMD_DBUS_ERROR_SYSTEM_ERROR);
                g_assert_nonnull(strstr(calls[n].error_message, cfgdir));
        }
        g_assert_null(again.path);
        g_assert_cmpstr(again.error_name, ==, VMMD_DBUS_ERROR_SYSTEM_ERROR);
        test_bus_drain(tb);
        test_assert_no_domain_signals(tb);
        list = test_list_domains(tb, 0);
        g_assert_cmpuint(g_strv_length(list), ==, 0);
        test_assert_no_temp_files(cfgdir);

        for (unsigned i = 0; i < CLIENTS; i++)
                sd_bus_flush_close_unref(buses[i]);
        for (unsigned n = 0; n < G_N_ELEMENTS(calls); n++)
                call_clear(&calls[n]);
        call_clear(&again);
}

/* SIGTERM while a batch is on the worker (a test build holds it there until the daemon stops) and more defines
 * wait behind it, one of them a redefine waiting for the held one's name: the daemon answers every call before
 * it exits, each a success whose file is on disk; no caller is left with NoReply, and the next daemon finds
 * every domain. */
static void test_define_sigterm(void) {
        g_autofree char *faults = g_dir_make_tmp("vmmd-faults-XXXXXX", NULL);
        g_autofree char *env = g_strdup_printf("VMMD_TEST_FAULTS=%s", faults);
        g_autofree char *hold = g_build_filename(faults, "define-commit-hold", NULL);
        g_autoptr(TestBus) tb = NULL;
        sd_bus *buses[CLIENTS];
        Call calls[CLIENTS * 4], again;
        g_auto(GStrv) list = NULL;
        g_autofree char *again_xml = NULL;
        gint64 deadline;
        pid_t pid;

        if (!g_getenv("VMMD_TEST_HOOKS")) {
                g_test_skip("built without -Dtest_hooks: no failure injection");
                return;
        }
        g_assert_cmpint(chmod(faults, 0755), ==, 0);
        tb = test_bus_new((const char *const[]) { env, NULL });
        memset(calls, 0, sizeof(calls));
        memset(&again, 0, sizeof(again));
        for (unsigned i = 0; i < CLIENTS; i++)
                buses[i] = client_new(tb);
        g_strfreev(test_list_domains(tb, 0));
        pid = test_bus_name_pid(tb, QEMU_BUS_NAME);
        g_assert_cmpint(pid, >, 0);

        test_write_file(hold, "");
        for (unsigned n = 0; n < G_N_ELEMENTS(calls); n++) {
                Call *c = &calls[n];
                g_autofree char *uuid = g_strdup_printf("5a1e0000-0000-4000-8000-%012x", n);
                g_autofree char *xml = NULL;

                c->tb = tb;
                c->name = g_strdup_printf("st-%u", n);
                xml = test_domain_xml(c->name, uuid, NULL);
                send_define(buses[n % CLIENTS], c, xml);
                if (n > 0)
                        continue;
                /* the worker has the first define's batch and holds it: a bounded wait for the fault to fire */
                deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
                while (g_file_test(hold, G_FILE_TEST_EXISTS)) {
                        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
                        while (sd_bus_process(buses[0], NULL) > 0)
                                ;
                        (void) sd_bus_wait(buses[0], 10 * 1000);
                }
        }
        again.tb = tb;
        again.name = g_strdup("st-0");
        again_xml = test_domain_xml(again.name, "5a1e0000-0000-4000-8000-000000000000", "    <graphics type='vnc'/>\n");
        send_define(buses[0], &again, again_xml);
        /* the bus handles a connection's messages in order: once it answered each client, every define is on
         * its way to the daemon, ahead of the name release the signal starts */
        for (unsigned i = 0; i < CLIENTS; i++)
                g_assert_cmpint(sd_bus_call_method(buses[i], "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                   "org.freedesktop.DBus", "GetId", NULL, NULL, ""), >=, 0);
        g_assert_cmpint(kill(pid, SIGTERM), ==, 0);
        pump(buses, CLIENTS);

        for (unsigned n = 0; n < G_N_ELEMENTS(calls); n++) {
                Call *c = &calls[n];
                if (c->error_name)
                        g_error("define %s: %s: %s", c->name, c->error_name, c->error_message);
                g_assert_true(c->file_at_reply);
        }
        if (again.error_name)
                g_error("redefine st-0: %s: %s", again.error_name, again.error_message);
        g_assert_cmpstr(again.path, ==, calls[0].path);
        g_assert_true(test_wait_pid_exit(pid, 10000));
        test_assert_no_temp_files(test_root_file(tb, "etc/vmmd/qemu"));

        list = test_list_domains(tb, 0);   /* a new daemon */
        g_assert_cmpint(test_bus_name_pid(tb, QEMU_BUS_NAME), !=, pid);
        g_assert_cmpuint(g_strv_length(list), ==, G_N_ELEMENTS(calls));
        for (unsigned n = 0; n < G_N_ELEMENTS(calls); n++)
                g_assert_true(g_strv_contains((const char *const *) list, calls[n].path));
        {
                g_autofree char *xml = test_get_xml(tb, calls[0].path, 2);
                g_assert_nonnull(strstr(xml, "<graphics type='vnc'"));
        }

        for (unsigned i = 0; i < CLIENTS; i++)
                sd_bus_flush_close_unref(buses[i]);
        for (unsigned n = 0; n < G_N_ELEMENTS(calls); n++)
                call_clear(&calls[n]);
        call_clear(&again);
        (void) rmdir(faults);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/define/concurrent", test_define_concurrent);
        g_test_add_func("/define/concurrent-write-failure", test_define_concurrent_write_failure);
        g_test_add_func("/define/sigterm-mid-batch", test_define_sigterm);
        return g_test_run();
}
