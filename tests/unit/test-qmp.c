/* Unit tests for the QMP client against a scripted monitor socket: what goes out before QEMU greets, and replies matched in order. */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "qemu-process.h"
#include "qmp.h"

/* every wait below ends by this bound, so a client that never sends fails instead of hanging */
#define WAIT_BOUND_USEC (10 * G_USEC_PER_SEC)

typedef struct {
        char *dir;
        char *path;
        sd_event *event;
        int listen_fd;
        int conn_fd;            /* the monitor's end, once accepted */
        GString *got;           /* what the client sent */
        Qmp *q;
} Fixture;

typedef struct {
        const char *name;
        bool called;
        bool ok;
        char *error;
} Reply;

/* what the client handed up, in order: "reply NAME" and "event NAME" lines */
static GString *delivered;

static void on_reply(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        Reply *r = userdata;

        r->called = true;
        r->ok = ret != NULL;
        r->error = g_strdup(error);
        g_string_append_printf(delivered, "reply %s\n", r->name);
}

static void on_event(Qmp *q, const char *event, JsonObject *data, void *userdata) {
        g_string_append_printf(delivered, "event %s\n", event);
}

static void setup(Fixture *f, gconstpointer data) {
        g_autoptr(GError) error = NULL;

        f->dir = g_dir_make_tmp("vmmd-qmp-XXXXXX", &error);
        g_assert_no_error(error);
        f->path = g_build_filename(f->dir, "m.qmp", NULL);
        /* the daemon's own listening socket, as QEMU gets it (fd=N,server=on,wait=off) */
        f->listen_fd = qemu_monitor_listen(f->path);
        g_assert_cmpint(f->listen_fd, >=, 0);
        f->conn_fd = -1;
        f->got = g_string_new(NULL);
        g_assert_cmpint(sd_event_new(&f->event), >=, 0);
        delivered = g_string_new(NULL);
        g_assert_cmpint(qmp_connect(f->event, f->path, on_event, NULL, NULL, &f->q), ==, 0);
        /* QEMU accepts the connection from the backlog when its monitor is up */
        f->conn_fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        g_assert_cmpint(f->conn_fd, >=, 0);
}

static void teardown(Fixture *f, gconstpointer data) {
        g_clear_pointer(&f->q, qmp_free);
        sd_event_unref(f->event);
        if (f->conn_fd >= 0)
                close(f->conn_fd);
        close(f->listen_fd);
        (void) g_unlink(f->path);
        (void) g_rmdir(f->dir);
        g_free(f->path);
        g_free(f->dir);
        g_string_free(f->got, TRUE);
        g_string_free(delivered, TRUE);
        delivered = NULL;
}

static void pump(Fixture *f) {
        char buf[4096];
        ssize_t n;

        g_assert_cmpint(sd_event_run(f->event, 10 * 1000), >=, 0);
        while ((n = recv(f->conn_fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
                g_string_append_len(f->got, buf, n);
        g_assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

static guint lines(const GString *s) {
        guint n = 0;

        for (gsize i = 0; i < s->len; i++)
                n += s->str[i] == '\n';
        return n;
}

/* runs the client's loop until the monitor end got `want` lines (or the bound passed) */
static void wait_lines(Fixture *f, guint want) {
        gint64 end = g_get_monotonic_time() + WAIT_BOUND_USEC;

        while (lines(f->got) < want && g_get_monotonic_time() < end)
                pump(f);
}

static void wait_reply(Fixture *f, const Reply *r) {
        gint64 end = g_get_monotonic_time() + WAIT_BOUND_USEC;

        while (!r->called && g_get_monotonic_time() < end)
                pump(f);
        g_assert_true(r->called);
}

static void say(Fixture *f, const char *text) {
        g_assert_cmpint(send(f->conn_fd, text, strlen(text), MSG_NOSIGNAL), ==, (ssize_t) strlen(text));
}

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}}, \"capabilities\": []}}\r\n"

/* The negotiation and the commands behind it are in QEMU's socket before QEMU greets: a start's
 * commands wait in QEMU's queue for its main loop instead of a round trip each after it. */
static void test_commands_before_greeting(Fixture *f, gconstpointer data) {
        Reply a = { .name = "set-action" }, b = { .name = "cont" };
        g_auto(GStrv) sent = NULL;

        g_assert_cmpint(qmp_command(f->q, "set-action", NULL, -1, on_reply, &a), ==, 0);
        g_assert_cmpint(qmp_command(f->q, "cont", NULL, -1, on_reply, &b), ==, 0);
        wait_lines(f, 3);
        sent = g_strsplit(f->got->str, "\n", -1);
        g_assert_cmpuint(g_strv_length(sent), ==, 4);
        g_assert_nonnull(strstr(sent[0], "\"qmp_capabilities\""));
        g_assert_nonnull(strstr(sent[1], "\"set-action\""));
        g_assert_nonnull(strstr(sent[2], "\"cont\""));
        g_assert_false(qmp_is_ready(f->q));

        /* then QEMU greets and answers in order, an event between the replies */
        say(f, GREETING "{\"return\": {}, \"id\": \"cap\"}\r\n"
               "{\"return\": {}, \"id\": \"vmmd-1\"}\r\n"
               "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESUME\"}\r\n"
               "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}, \"id\": \"vmmd-2\"}\r\n");
        wait_reply(f, &b);
        g_assert_true(a.called && a.ok);
        g_assert_false(b.ok);
        g_assert_cmpstr(b.error, ==, "no");
        /* the event reaches the daemon where QEMU put it, between the replies: a start that ends on
         * RESUME relies on that order */
        g_assert_cmpstr(delivered->str, ==, "reply set-action\nevent RESUME\nreply cont\n");
        g_assert_true(qmp_is_ready(f->q));
        g_free(a.error);
        g_free(b.error);
}

/* A monitor that refuses the negotiation fails the commands behind it (QEMU answers each with an
 * error in that mode) instead of leaving them unsent forever. */
static void test_refused_negotiation(Fixture *f, gconstpointer data) {
        Reply a = { .name = "cont" };

        g_assert_cmpint(qmp_command(f->q, "cont", NULL, -1, on_reply, &a), ==, 0);
        wait_lines(f, 2);
        g_assert_cmpuint(lines(f->got), ==, 2);
        say(f, GREETING "{\"error\": {\"class\": \"GenericError\", \"desc\": \"refused\"}, \"id\": \"cap\"}\r\n"
               "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Expecting capabilities negotiation\"}, "
               "\"id\": \"vmmd-1\"}\r\n");
        wait_reply(f, &a);
        g_assert_false(a.ok);
        g_assert_cmpstr(a.error, ==, "Expecting capabilities negotiation");
        g_assert_false(qmp_is_ready(f->q));
        g_free(a.error);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add("/qmp/commands-before-greeting", Fixture, NULL, setup, test_commands_before_greeting, teardown);
        g_test_add("/qmp/refused-negotiation", Fixture, NULL, setup, test_refused_negotiation, teardown);
        return g_test_run();
}
