/* Snapshot work on an inactive domain's images (qemu-img) runs beside the daemon's event loop:
 * while a qemu-img run is held at a gate the daemon still answers, and the domain refuses
 * what would change its images or definition underneath (issue 11, spec 0.5). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-harness.h"

#define UUID1 "7a1c4a3b-2e1f-4a9b-8c7d-6e5f4a3b2c1e"

typedef struct Gate {
        char *dir;        /* holds the qemu-img wrapper, the fifo "gate" and the marker "held" */
        char *gate, *held;
} Gate;

/* A qemu-img first on PATH that, for the subcommand `snapshot`, says so (held) and waits until
 * the test writes a line into the gate; everything else goes straight to the real one. */
static void gate_init(Gate *g, const char *dir) {
        g_autofree char *real = g_find_program_in_path("qemu-img");
        g_autofree char *wrapper = NULL, *script = NULL;

        g->dir = g_build_filename(dir, "bin", NULL);
        g->gate = g_build_filename(g->dir, "gate", NULL);
        g->held = g_build_filename(g->dir, "held", NULL);
        g_assert_cmpint(g_mkdir_with_parents(g->dir, 0755), ==, 0);
        wrapper = g_build_filename(g->dir, "qemu-img", NULL);
        script = g_strdup_printf("#!/bin/sh\n"
                                 "if [ \"$1\" = snapshot ] && [ -p '%s' ]; then : > '%s'; read _ < '%s'; fi\n"
                                 "exec '%s' \"$@\"\n",
                                 g->gate, g->held, g->gate, real);
        test_write_file(wrapper, script);
        g_assert_cmpint(chmod(wrapper, 0755), ==, 0);
}

static void gate_close(Gate *g) {
        g_assert_cmpint(mkfifo(g->gate, 0600), ==, 0);
        (void) unlink(g->held);
}

/* Waits (bounded) until the daemon's qemu-img reached the gate. */
static void gate_wait_held(const Gate *g) {
        gint64 deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;

        while (access(g->held, F_OK) < 0) {
                if (g_get_monotonic_time() > deadline)
                        g_error("qemu-img never reached the gate");
                g_usleep(10000);
        }
}

/* Lets the waiting qemu-img go on; later runs pass freely. */
static void gate_open(Gate *g) {
        int fd = open(g->gate, O_WRONLY | O_NONBLOCK);

        g_assert_cmpint(fd, >=, 0);   /* the wrapper has it open for reading */
        g_assert_cmpint(write(fd, "\n", 1), ==, 1);
        close(fd);
        g_assert_cmpint(unlink(g->gate), ==, 0);
}

static void gate_free(Gate *g) {
        g_autofree char *wrapper = g_build_filename(g->dir, "qemu-img", NULL);

        (void) unlink(g->gate);
        (void) unlink(g->held);
        (void) unlink(wrapper);
        (void) rmdir(g->dir);
        g_free(g->dir);
        g_free(g->gate);
        g_free(g->held);
}

typedef struct AsyncReply {
        bool done;
        sd_bus_error error;
        char *path;
} AsyncReply;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        AsyncReply *a = userdata;
        const char *path = NULL;

        a->done = true;
        if (sd_bus_message_is_method_error(m, NULL))
                sd_bus_error_copy(&a->error, sd_bus_message_get_error(m));
        else if (sd_bus_message_peek_type(m, NULL, NULL) > 0 && sd_bus_message_read(m, "o", &path) > 0)
                a->path = g_strdup(path);
        return 0;
}

/* Processes the client connection until the reply came (bounded). */
static void wait_reply(TestBus *tb, AsyncReply *a) {
        gint64 deadline = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;

        while (!a->done) {
                if (g_get_monotonic_time() > deadline)
                        g_error("no reply from vmmd-qemu");
                if (sd_bus_process(tb->bus, NULL) == 0)
                        (void) sd_bus_wait(tb->bus, 100000);
        }
}

/* While qemu-img is held: the daemon answers, and start, define and undefine are refused. */
static void assert_busy_but_answering(TestBus *tb, const char *dom, const char *xml) {
        g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL, e3 = SD_BUS_ERROR_NULL;
        int state, reason;

        test_prop_state(tb, dom, &state, &reason);
        g_assert_cmpint(state, ==, 5);   /* SHUTOFF */
        g_assert_cmpint(test_call(tb, dom, QEMU_DOMAIN_INTERFACE, "Create", &e1, NULL, "u", 0), <, 0);
        assert_bus_error(&e1, VMMD_DBUS_ERROR_OPERATION_INVALID, "busy");
        g_assert_null(test_define(tb, xml, 0, &e2));
        assert_bus_error(&e2, VMMD_DBUS_ERROR_OPERATION_INVALID, "busy");
        g_assert_cmpint(test_call(tb, dom, QEMU_DOMAIN_INTERFACE, "Undefine", &e3, NULL, "u", 0), <, 0);
        assert_bus_error(&e3, VMMD_DBUS_ERROR_OPERATION_INVALID, "busy");
}

static bool image_lists(TestBus *tb, const char *image, const char *snap) {
        const char *argv[] = { "qemu-img", "snapshot", "-l", image, NULL };
        g_autofree char *out = NULL;

        g_assert_cmpint(test_run(tb, false, &out, NULL, argv), ==, 0);
        return strstr(out, snap) != NULL;
}

static void test_inactive_snapshot_does_not_block(void) {
        g_autoptr(TestBus) tb = NULL;
        g_autofree char *path_env = NULL, *disk = NULL, *dev = NULL, *xml = NULL, *dom = NULL, *snap = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *tmp = g_dir_make_tmp("vmmd-gate-XXXXXX", NULL);
        Gate g = { 0 };
        AsyncReply create = { .error = SD_BUS_ERROR_NULL }, revert = { .error = SD_BUS_ERROR_NULL },
                   del = { .error = SD_BUS_ERROR_NULL };

        if (!g_find_program_in_path("qemu-img")) {
                g_test_skip("needs qemu-img");
                return;
        }
        g_assert_nonnull(tmp);
        g_assert_cmpint(chmod(tmp, 0755), ==, 0);
        gate_init(&g, tmp);
        path_env = g_strdup_printf("PATH=%s:%s", g.dir, g_getenv("PATH"));
        tb = test_bus_new((const char *const[]) { path_env, NULL });
        disk = g_build_filename(tb->dir, "data.qcow2", NULL);
        dev = g_strdup_printf("<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                              "<source file='%s'/><target dev='vda' bus='virtio'/></disk>", disk);
        xml = test_domain_xml("gated", UUID1, dev);
        {
                const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };
                g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        }
        dom = test_define(tb, xml, 0, &e);
        g_assert_nonnull(dom);

        /* D15: qemu-img snapshot -c, held */
        gate_close(&g);
        g_assert_cmpint(sd_bus_call_method_async(tb->bus, NULL, QEMU_BUS_NAME, dom, QEMU_DOMAIN_INTERFACE,
                                                 "SnapshotCreateXML", on_reply, &create, "su",
                                                 "<domainsnapshot><name>s1</name></domainsnapshot>", 0), >=, 0);
        gate_wait_held(&g);
        assert_busy_but_answering(tb, dom, xml);
        g_assert_false(create.done);
        gate_open(&g);
        wait_reply(tb, &create);
        g_assert_false(sd_bus_error_is_set(&create.error));
        g_assert_true(image_lists(tb, disk, "s1"));
        snap = g_strdup(create.path);

        /* D37: qemu-img snapshot -a, held */
        gate_close(&g);
        g_assert_cmpint(sd_bus_call_method_async(tb->bus, NULL, QEMU_BUS_NAME, snap, QEMU_SNAPSHOT_INTERFACE, "Revert",
                                                 on_reply, &revert, "u", 0), >=, 0);
        gate_wait_held(&g);
        assert_busy_but_answering(tb, dom, xml);
        gate_open(&g);
        wait_reply(tb, &revert);
        g_assert_false(sd_bus_error_is_set(&revert.error));

        /* D42: qemu-img snapshot -d, held */
        gate_close(&g);
        g_assert_cmpint(sd_bus_call_method_async(tb->bus, NULL, QEMU_BUS_NAME, snap, QEMU_SNAPSHOT_INTERFACE, "Delete",
                                                 on_reply, &del, "u", 0), >=, 0);
        gate_wait_held(&g);
        assert_busy_but_answering(tb, dom, xml);
        gate_open(&g);
        wait_reply(tb, &del);
        g_assert_false(sd_bus_error_is_set(&del.error));
        g_assert_false(image_lists(tb, disk, "s1"));

        /* and the domain takes calls again */
        g_assert_nonnull(test_define(tb, xml, 0, &e));
        sd_bus_error_free(&create.error);
        sd_bus_error_free(&revert.error);
        sd_bus_error_free(&del.error);
        g_free(create.path);
        gate_free(&g);
        (void) rmdir(tmp);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/snapshot-loop/inactive-snapshot-does-not-block", test_inactive_snapshot_does_not_block);
        return g_test_run();
}
