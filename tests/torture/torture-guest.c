/* Torture: kill -9 of vmmd-qemu at a random moment of Save, ManagedSave, SnapshotCreateXML and
 * snapshot Delete on a running guest (issue 10). After each kill the restarted daemon must leave
 * no guest paused by a job no one runs, no partial image, no image with the partial magic at a
 * target, at most one current snapshot, and every replied call's effect in place; a saved guest
 * is restored from its image for the next trial.
 *
 * VMMD_TORTURE_GUEST_TRIALS: trials (default 3, the CI budget; a full run is 30 or more);
 * VMMD_TORTURE_SEED picks the moments. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "e2e-util.h"
#include "fileio.h"

#define QEMU QEMU_BUS_NAME
#define MANAGER QEMU_MANAGER_PATH
#define MANAGER_IFACE QEMU_MANAGER_INTERFACE
#define DOMAIN_IFACE QEMU_DOMAIN_INTERFACE
#define SNAP_IFACE QEMU_SNAPSHOT_INTERFACE
#define UUID_G "2d3e0000-0000-4000-8000-0000000000a1"
#define BOOT_MS 60000
#define JOB_MS 60000

typedef enum { OP_SAVE, OP_MANAGED_SAVE, OP_SNAPSHOT, OP_SNAPSHOT_DELETE, OP_COUNT } OpKind;
static const char *const op_names[] = { "Save", "ManagedSave", "SnapshotCreateXML", "snapshot Delete" };

typedef struct {
        unsigned trials, replied, refused, cut, recovered_running, saved, restored, booted, snapshots;
} Figures;

static Figures figures;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        sd_bus_error *e = userdata;

        if (sd_bus_message_is_method_error(m, NULL))
                sd_bus_error_copy(e, sd_bus_message_get_error(m));
        else
                sd_bus_error_set_const(e, "test.Ok", "ok");
        return 0;
}

static char *magic_of(const char *file) {
        char buf[16] = { 0 };
        int fd = open(file, O_RDONLY);
        ssize_t n;

        if (fd < 0)
                return NULL;
        n = read(fd, buf, sizeof(buf));
        close(fd);
        return n == 16 ? g_strndup(buf, 16) : g_strdup("short");
}

static void assert_no_partials(const char *dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *e;

        while (d && (e = g_dir_read_name(d)))
                if (strstr(e, ".partial-"))
                        g_error("partial image left: %s/%s", dir, e);
}

static void assert_complete_or_absent(const char *file) {
        g_autofree char *magic = magic_of(file);

        if (magic && memcmp(magic, "VmmdSaveImage\0\0\0", 16) != 0)
                g_error("%s exists but is not a complete image", file);
}

static bool status_has_job(TestBus *tb) {
        g_autofree char *file = g_strdup_printf("%s/run/vmmd/qemu/g.xml", tb->root);
        g_autofree char *data = test_read_file(file);

        return data && strstr(data, "<job ");
}

static char **snapshots(TestBus *tb, const char *path) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char **paths = NULL;

        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "ListDomainSnapshots", &e, &reply, "u", 0), >=, 0);
        g_assert_cmpint(sd_bus_message_read_strv(reply, &paths), >=, 0);
        return paths ? paths : g_new0(char *, 1);
}

/* Runs (or restores) the guest so that the next trial finds it running and ticking. */
static void bring_up(TestBus *tb, const char *path, const char *file) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int state, reason, seen;

        test_prop_state(tb, path, &state, &reason);
        if (state == 5) {
                g_autofree char *magic = magic_of(file);
                if (test_prop_bool(tb, path, "HasManagedSaveImage")) {
                        if (e2e_domain_call(tb, path, "Create", false, 0, &e) < 0)
                                g_error("Create from the managed image: %s: %s", e.name, e.message);
                        figures.restored++;
                } else if (magic) {
                        /* a complete image (the checks made sure) must restore; it is used once */
                        g_autoptr(sd_bus_message) reply = NULL;
                        if (test_call(tb, MANAGER, MANAGER_IFACE, "DomainRestore", &e, &reply, "ssu", file, "", 0) < 0)
                                g_error("a complete image does not restore: %s: %s", e.name, e.message);
                        g_assert_cmpint(unlink(file), ==, 0);
                        figures.restored++;
                } else {
                        if (e2e_domain_call(tb, path, "Create", false, 0, &e) < 0)
                                g_error("Create: %s: %s", e.name, e.message);
                        figures.booted++;
                }
        }
        g_assert_true(e2e_wait_state(tb, path, 1, -1, BOOT_MS));
        seen = e2e_serial_count(tb, "g", "TESTGUEST TICK");
        g_assert_true(e2e_wait_serial(tb, "g", "TESTGUEST TICK", seen + 1, BOOT_MS));
}

static unsigned env_uint(const char *name, unsigned dflt) {
        const char *v = g_getenv(name);
        return v && *v ? (unsigned) g_ascii_strtoull(v, NULL, 10) : dflt;
}

static void test_guest_kills(void) {
        g_autoptr(E2EBus) tb = e2e_bus_new(NULL);
        unsigned trials = env_uint("VMMD_TORTURE_GUEST_TRIALS", 3);
        unsigned seed = env_uint("VMMD_TORTURE_SEED", (unsigned) time(NULL));
        g_autoptr(GRand) rnd = g_rand_new_with_seed(seed);
        g_autofree char *disk = g_strdup_printf("%s/g.qcow2", tb->dir);
        g_autofree char *file = g_strdup_printf("%s/g.img", tb->dir);
        g_autofree char *save_dir = g_strdup_printf("%s/var/lib/vmmd/qemu/save", tb->root);
        g_autofree char *managed = g_strdup_printf("%s/g.save", save_dir);
        g_autofree char *dev = NULL, *xml = NULL, *path = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };
        unsigned snap_seq = 0;

        g_test_message("seed %u, %u trials", seed, trials);
        g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        dev = g_strdup_printf("    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                              "<source file='%s'/><target dev='vda' bus='virtio'/></disk>\n", disk);
        xml = e2e_guest_xml(tb, "g", UUID_G, "testguest.tick=1", NULL, dev);
        path = test_define(tb, xml, 0, &e);
        g_assert_nonnull(path);

        for (unsigned t = 0; t < trials; t++) {
                OpKind op = (OpKind) g_rand_int_range(rnd, 0, OP_COUNT);
                /* a save or snapshot of the small guest takes a few hundred ms */
                unsigned delay_ms = (unsigned) g_rand_int_range(rnd, 0, 500);
                g_auto(sd_bus_error) reply = SD_BUS_ERROR_NULL;
                g_autofree char *before = NULL, *after = NULL, *sxml = NULL;
                g_auto(GStrv) snaps = NULL, snaps_after = NULL;
                gint64 deadline;
                int state, reason, r = 0, current = 0;

                bring_up(tb, path, file);
                before = test_read_file(file);
                snaps = snapshots(tb, path);
                if (op == OP_SNAPSHOT_DELETE && !snaps[0])
                        op = OP_SNAPSHOT;
                test_bus_clear_signals(tb);
                switch (op) {
                case OP_SAVE:
                        r = sd_bus_call_method_async(tb->bus, NULL, QEMU, path, DOMAIN_IFACE, "Save", on_reply, &reply,
                                                     "ssu", file, "", 0);
                        break;
                case OP_MANAGED_SAVE:
                        r = sd_bus_call_method_async(tb->bus, NULL, QEMU, path, DOMAIN_IFACE, "ManagedSave", on_reply,
                                                     &reply, "u", 0);
                        break;
                case OP_SNAPSHOT:
                        sxml = g_strdup_printf("<domainsnapshot><name>k%u</name></domainsnapshot>", snap_seq++);
                        r = sd_bus_call_method_async(tb->bus, NULL, QEMU, path, DOMAIN_IFACE, "SnapshotCreateXML",
                                                     on_reply, &reply, "su", sxml, 0);
                        break;
                case OP_SNAPSHOT_DELETE:
                        r = sd_bus_call_method_async(tb->bus, NULL, QEMU, snaps[0], SNAP_IFACE, "Delete", on_reply,
                                                     &reply, "u", 0);
                        break;
                default:
                        g_assert_not_reached();
                }
                g_assert_cmpint(r, >=, 0);
                deadline = g_get_monotonic_time() + (gint64) delay_ms * 1000;
                while (g_get_monotonic_time() < deadline && !sd_bus_error_is_set(&reply)) {
                        test_bus_drain(tb);
                        (void) sd_bus_wait(tb->bus, 10000);
                }
                test_bus_kill_name(tb, QEMU);
                deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
                while (!sd_bus_error_is_set(&reply) && g_get_monotonic_time() < deadline) {
                        test_bus_drain(tb);
                        (void) sd_bus_wait(tb->bus, 10000);
                }
                g_assert_true(sd_bus_error_is_set(&reply));
                if (g_str_equal(reply.name, "test.Ok"))
                        figures.replied++;
                else if (g_str_has_prefix(reply.name, VMMD_ERROR_PREFIX))
                        figures.refused++;
                else
                        figures.cut++;
                g_test_message("trial %u: %s, kill after %u ms: %s", t, op_names[op], delay_ms, reply.name);

                /* the restarted daemon settles whatever the dead one left */
                test_prop_state(tb, path, &state, &reason);
                deadline = g_get_monotonic_time() + (gint64) JOB_MS * 1000;
                while (status_has_job(tb) && g_get_monotonic_time() < deadline) {
                        test_bus_drain(tb);
                        (void) sd_bus_wait(tb->bus, 50000);
                }
                g_assert_false(status_has_job(tb));
                /* re-attach asks QEMU for its state after it answers its first call: a paused
                 * state read from the status file may still be corrected; wait for that */
                deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
                for (;;) {
                        test_prop_state(tb, path, &state, &reason);
                        if (state != 3 || g_get_monotonic_time() > deadline)
                                break;
                        (void) sd_bus_wait(tb->bus, 50000);
                        test_bus_drain(tb);
                }
                /* nobody asked for a pause: a paused guest is one a dead job left behind */
                if (state != 1 && state != 5)
                        g_error("trial %u (%s): domain left in state (%d, %d)", t, op_names[op], state, reason);
                if (state == 1) {
                        int seen = e2e_serial_count(tb, "g", "TESTGUEST TICK");
                        g_assert_true(e2e_wait_serial(tb, "g", "TESTGUEST TICK", seen + 1, JOB_MS));
                        figures.recovered_running++;
                }
                assert_no_partials(tb->dir);
                assert_no_partials(save_dir);
                assert_complete_or_absent(file);
                assert_complete_or_absent(managed);
                after = test_read_file(file);
                if (op == OP_SAVE && g_str_has_prefix(reply.name, VMMD_ERROR_PREFIX))
                        g_assert_cmpstr(before, ==, after);   /* a refused save kept what was there */
                if ((op == OP_SAVE || op == OP_MANAGED_SAVE) && g_str_equal(reply.name, "test.Ok")) {
                        g_assert_cmpint(state, ==, 5);
                        g_assert_true(op == OP_SAVE ? after != NULL : g_file_test(managed, G_FILE_TEST_EXISTS));
                }
                if (state == 5 && (op == OP_SAVE || op == OP_MANAGED_SAVE))
                        figures.saved++;
                /* at most one current snapshot, and a replied create is there */
                snaps_after = snapshots(tb, path);
                for (char **s = snaps_after; *s; s++) {
                        g_auto(sd_bus_error) pe = SD_BUS_ERROR_NULL;
                        int v = 0;
                        g_assert_cmpint(sd_bus_get_property_trivial(tb->bus, QEMU, *s, SNAP_IFACE, "IsCurrent", &pe,
                                                                    'b', &v), >=, 0);
                        current += v;
                }
                g_assert_cmpint(current, <=, 1);
                if (op == OP_SNAPSHOT && g_str_equal(reply.name, "test.Ok")) {
                        g_autoptr(sd_bus_message) lr = NULL;
                        g_auto(sd_bus_error) le = SD_BUS_ERROR_NULL;
                        g_autofree char *name = g_strdup_printf("k%u", snap_seq - 1);
                        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "SnapshotLookupByName", &le, &lr, "su", name,
                                                  0), >=, 0);
                        figures.snapshots++;
                }
                figures.trials++;
        }
        printf("# torture-guest: seed %u, %u trials (%u kills), %u calls replied ok, %u refused, %u cut by the kill; "
               "%u times the guest ran on after the restart, %u saved, %u restored from an image, %u fresh boots, "
               "%u snapshots taken\n", seed, figures.trials, figures.trials, figures.replied, figures.refused,
               figures.cut, figures.recovered_running, figures.saved, figures.restored, figures.booted,
               figures.snapshots);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/torture/guest-kills", test_guest_kills);
        return g_test_run();
}
