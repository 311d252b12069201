/* Torture: kill -9 of a daemon at random points of define/undefine, snapshot and pool/volume
 * storms, then check what a user relies on (issue 10): every definition file parses, no temporary
 * file is left, every replied mutation is visible after the restart, a refused one changed nothing.
 *
 * VMMD_TORTURE_TRIALS (default 50, the CI budget, a few seconds; a full run is 500 or more) and
 * VMMD_TORTURE_SEED (default: the time) choose the run; the figures go to stdout. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "bus-harness.h"
#include "domain-conf.h"
#include "fileio.h"
#include "snapshot-conf.h"
#include "storage-conf.h"

#define QEMU QEMU_BUS_NAME
#define STORAGE STORAGE_BUS_NAME
#define QEMU_MANAGER QEMU_MANAGER_PATH
#define DOMAIN_PREFIX QEMU_DOMAIN_PREFIX
#define ST_MANAGER STORAGE_MANAGER_PATH
#define NAMES 5
#define BASE_UUID "5b0c0000-0000-4000-8000-000000000001"
#define BATCH_MAX 12

typedef enum {
        OP_DEFINE, OP_UNDEFINE, OP_SNAP_CREATE, OP_SNAP_DELETE,      /* vmmd-qemu */
        OP_POOL_DEFINE, OP_POOL_UNDEFINE, OP_VOL_CREATE, OP_VOL_DELETE, /* vmmd-storage */
} OpKind;

typedef enum { PENDING, DONE_OK, DONE_REFUSED, DONE_UNKNOWN } OpResult;

typedef struct Model Model;

typedef struct {
        Model *model;
        OpKind kind;
        int name, snap;
        OpResult result;
        sd_bus_slot *slot;
} Op;

/* What the client knows: 1 exists, 0 does not, -1 unknown (a call in flight at the kill). */
struct Model {
        int domain[NAMES];
        int snap[NAMES][NAMES];
        int pool[NAMES];
        int vol[NAMES];
        unsigned replies, refused, unknown;
};

typedef struct {
        unsigned trials, kills, files_checked, replies, refused, unknown, mismatches, snapshots;
} Figures;

static Figures figures;

static const char *base_path(void) {
        static char *path;

        if (!path)
                g_assert_cmpint(sd_bus_path_encode(STORAGE_POOL_PREFIX, BASE_UUID, &path), >=, 0);
        return path;
}

static char *dom_name(int i) { return g_strdup_printf("t%d", i); }
static char *dom_uuid(int i) { return g_strdup_printf("7d0c0000-0000-4000-8000-00000000000%d", i); }

static char *dom_path(int i) {
        g_autofree char *uuid = dom_uuid(i);
        char *p = NULL;

        g_assert_cmpint(sd_bus_path_encode(DOMAIN_PREFIX, uuid, &p), >=, 0);
        return p;
}

static char *snap_path(int d, int s) {
        g_autofree char *dp = dom_path(d);
        g_autofree char *prefix = g_strconcat(dp, "/snapshot", NULL);
        g_autofree char *name = g_strdup_printf("s%d", s);
        char *p = NULL;

        g_assert_cmpint(sd_bus_path_encode(prefix, name, &p), >=, 0);
        return p;
}

static void apply(Model *m, const Op *op) {
        int v = op->result == DONE_OK ? 1 : -1;

        if (op->result == DONE_REFUSED)
                return;   /* a refused call changes nothing */
        switch (op->kind) {
        case OP_DEFINE:
                m->domain[op->name] = v;
                break;
        case OP_UNDEFINE:
                m->domain[op->name] = op->result == DONE_OK ? 0 : -1;
                for (int s = 0; s < NAMES; s++)
                        if (op->result == DONE_OK)
                                m->snap[op->name][s] = 0;
                        else if (m->snap[op->name][s] != 0)
                                m->snap[op->name][s] = -1;
                break;
        case OP_SNAP_CREATE:
                m->snap[op->name][op->snap] = v;
                break;
        case OP_SNAP_DELETE:
                m->snap[op->name][op->snap] = op->result == DONE_OK ? 0 : -1;
                break;
        case OP_POOL_DEFINE:
                m->pool[op->name] = v;
                break;
        case OP_POOL_UNDEFINE:
                m->pool[op->name] = op->result == DONE_OK ? 0 : -1;
                break;
        case OP_VOL_CREATE:
                m->vol[op->name] = v;
                break;
        case OP_VOL_DELETE:
                m->vol[op->name] = op->result == DONE_OK ? 0 : -1;
                break;
        }
}

static int on_reply(sd_bus_message *msg, void *userdata, sd_bus_error *ret_error) {
        Op *op = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(msg);

        if (!e)
                op->result = DONE_OK;
        else if (g_str_has_prefix(e->name, VMMD_ERROR_PREFIX))
                op->result = DONE_REFUSED;
        else
                op->result = DONE_UNKNOWN;   /* NoReply, Disconnected: the daemon died with it */
        apply(op->model, op);
        op->slot = sd_bus_slot_unref(op->slot);
        return 0;
}

static void send_op(TestBus *tb, Op *op, const char *pool_dir) {
        g_autofree char *name = NULL, *xml = NULL, *path = NULL, *uuid = NULL;
        int r = 0;

        switch (op->kind) {
        case OP_DEFINE:
                name = dom_name(op->name);
                uuid = dom_uuid(op->name);
                {
                        g_autofree char *disk = g_strdup_printf("%s/t%d.qcow2", pool_dir, op->name);
                        g_autofree char *dev = g_strdup_printf(
                                "    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
                                "<source file='%s'/><target dev='vda' bus='virtio'/></disk>\n", disk);
                        xml = test_domain_xml(name, uuid, dev);
                }
                r = sd_bus_call_method_async(tb->bus, &op->slot, QEMU, QEMU_MANAGER, QEMU_MANAGER_INTERFACE,
                                             "DomainDefineXML", on_reply, op, "su", xml, 0);
                break;
        case OP_UNDEFINE:
                path = dom_path(op->name);
                r = sd_bus_call_method_async(tb->bus, &op->slot, QEMU, path, QEMU_DOMAIN_INTERFACE, "Undefine",
                                             on_reply, op, "u", 2 /* SNAPSHOTS_METADATA */);
                break;
        case OP_SNAP_CREATE:
                path = dom_path(op->name);
                xml = g_strdup_printf("<domainsnapshot><name>s%d</name></domainsnapshot>", op->snap);
                r = sd_bus_call_method_async(tb->bus, &op->slot, QEMU, path, QEMU_DOMAIN_INTERFACE,
                                             "SnapshotCreateXML", on_reply, op, "su", xml, 0);
                break;
        case OP_SNAP_DELETE:
                path = snap_path(op->name, op->snap);
                r = sd_bus_call_method_async(tb->bus, &op->slot, QEMU, path, QEMU_SNAPSHOT_INTERFACE,
                                             "Delete", on_reply, op, "u", 0);
                break;
        case OP_POOL_DEFINE:
                xml = g_strdup_printf("<pool type='dir'><name>p%d</name><target><path>%s/p%d</path></target></pool>",
                                      op->name, pool_dir, op->name);
                r = sd_bus_call_method_async(tb->bus, &op->slot, STORAGE, ST_MANAGER, STORAGE_MANAGER_INTERFACE,
                                             "StoragePoolDefineXML", on_reply, op, "su", xml, 0);
                break;
        case OP_POOL_UNDEFINE: {
                g_autoptr(sd_bus_message) reply = NULL;
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                const char *p;

                /* the path is looked up first (a refusal when there is no such pool) */
                name = g_strdup_printf("p%d", op->name);
                if (sd_bus_call_method(tb->bus, STORAGE, ST_MANAGER, STORAGE_MANAGER_INTERFACE,
                                       "StoragePoolLookupByName", &e, &reply, "s", name) < 0) {
                        op->result = g_str_has_prefix(e.name, VMMD_ERROR_PREFIX) ? DONE_REFUSED : DONE_UNKNOWN;
                        apply(op->model, op);
                        return;
                }
                g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
                r = sd_bus_call_method_async(tb->bus, &op->slot, STORAGE, p, STORAGE_POOL_INTERFACE,
                                             "Undefine", on_reply, op, "");
                break;
        }
        case OP_VOL_CREATE:
                xml = g_strdup_printf("<volume><name>v%d</name><capacity unit='KiB'>64</capacity></volume>", op->name);
                r = sd_bus_call_method_async(tb->bus, &op->slot, STORAGE, base_path(),
                                             STORAGE_POOL_INTERFACE, "StorageVolCreateXML", on_reply, op,
                                             "su", xml, 0);
                break;
        case OP_VOL_DELETE: {
                g_autoptr(sd_bus_message) reply = NULL;
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                const char *p;

                name = g_strdup_printf("v%d", op->name);
                if (sd_bus_call_method(tb->bus, STORAGE, base_path(),
                                       STORAGE_POOL_INTERFACE, "StorageVolLookupByName", &e, &reply, "s",
                                       name) < 0) {
                        op->result = g_str_has_prefix(e.name, VMMD_ERROR_PREFIX) ? DONE_REFUSED : DONE_UNKNOWN;
                        apply(op->model, op);
                        return;
                }
                g_assert_cmpint(sd_bus_message_read(reply, "o", &p), >=, 0);
                r = sd_bus_call_method_async(tb->bus, &op->slot, STORAGE, p, STORAGE_VOL_INTERFACE, "Delete",
                                             on_reply, op, "u", 0);
                break;
        }
        }
        g_assert_cmpint(r, >=, 0);
}

/* --- what the restarted daemons show --- */

static int exists_call(TestBus *tb, const char *dest, const char *path, const char *iface, const char *member,
                       const char *types, const char *arg, unsigned flags) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        int r = g_str_equal(types, "s") ? sd_bus_call_method(tb->bus, dest, path, iface, member, &e, &reply, "s", arg)
                                        : sd_bus_call_method(tb->bus, dest, path, iface, member, &e, &reply, "su", arg,
                                                             flags);

        if (r >= 0)
                return 1;
        if (g_str_has_prefix(e.name, VMMD_ERROR_PREFIX "No") || g_str_equal(e.name, "org.freedesktop.DBus.Error.UnknownObject"))
                return 0;
        g_error("%s %s(%s): %s: %s", path, member, arg, e.name, e.message);
}

static int domain_exists(TestBus *tb, int i) {
        g_autofree char *name = dom_name(i);
        return exists_call(tb, QEMU, QEMU_MANAGER, QEMU_MANAGER_INTERFACE, "DomainLookupByName", "s", name, 0);
}

static int snap_exists(TestBus *tb, int d, int s) {
        g_autofree char *path = dom_path(d);
        g_autofree char *name = g_strdup_printf("s%d", s);
        return exists_call(tb, QEMU, path, QEMU_DOMAIN_INTERFACE, "SnapshotLookupByName", "su", name, 0);
}

static int pool_exists(TestBus *tb, int i) {
        g_autofree char *name = g_strdup_printf("p%d", i);
        return exists_call(tb, STORAGE, ST_MANAGER, STORAGE_MANAGER_INTERFACE, "StoragePoolLookupByName", "s", name,
                           0);
}

static int vol_exists(TestBus *tb, int i) {
        g_autofree char *name = g_strdup_printf("v%d", i);
        return exists_call(tb, STORAGE, base_path(), STORAGE_POOL_INTERFACE,
                           "StorageVolLookupByName", "s", name, 0);
}

static void check_one(const char *what, int *known, int seen) {
        if (*known >= 0 && *known != seen) {
                figures.mismatches++;
                g_error("%s: a replied call says %s, the restarted daemon shows %s", what,
                        *known ? "it exists" : "it is gone", seen ? "it" : "nothing");
        }
        *known = seen;   /* an unknown outcome is whatever the daemon shows */
}

static void check_model(TestBus *tb, Model *m) {
        for (int i = 0; i < NAMES; i++) {
                g_autofree char *d = g_strdup_printf("domain t%d", i), *p = g_strdup_printf("pool p%d", i);
                g_autofree char *v = g_strdup_printf("volume v%d", i);

                check_one(d, &m->domain[i], domain_exists(tb, i));
                for (int s = 0; s < NAMES; s++) {
                        g_autofree char *sn = g_strdup_printf("snapshot s%d of t%d", s, i);
                        check_one(sn, &m->snap[i][s], m->domain[i] ? snap_exists(tb, i, s) : 0);
                }
                check_one(p, &m->pool[i], pool_exists(tb, i));
                check_one(v, &m->vol[i], vol_exists(tb, i));
        }
}

/* Every file under dir: no temporary leftovers; definitions parse and name their file. */
static void check_files(const char *dir, const char *kind) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *e;

        while (d && (e = g_dir_read_name(d))) {
                g_autofree char *file = g_build_filename(dir, e, NULL);
                g_autofree char *data = NULL;
                g_autoptr(GError) error = NULL;

                if (g_str_has_prefix(e, ".#") || strstr(e, ".partial-"))
                        g_error("temporary file left: %s", file);
                if (g_file_test(file, G_FILE_TEST_IS_DIR) && !g_file_test(file, G_FILE_TEST_IS_SYMLINK)) {
                        check_files(file, kind);
                        continue;
                }
                if (!g_str_has_suffix(e, ".xml") || g_file_test(file, G_FILE_TEST_IS_SYMLINK) || !kind)
                        continue;
                g_assert_cmpint(vmmd_read_file(file, &data, NULL), >=, 0);
                figures.files_checked++;
                if (g_str_equal(kind, "domain")) {
                        g_autoptr(DomainDef) def = domain_def_parse_string(data, 0, &error);
                        if (!def)
                                g_error("%s does not parse: %s", file, error->message);
                } else if (g_str_equal(kind, "snapshot")) {
                        g_autoptr(SnapshotDef) def = snapshot_def_parse_string(
                                data, SNAPSHOT_PARSE_REDEFINE | SNAPSHOT_PARSE_METADATA, &error);
                        if (!def)
                                g_error("%s does not parse: %s", file, error->message);
                } else if (g_str_equal(kind, "pool")) {
                        g_autoptr(StoragePoolDef) def = storage_pool_def_parse_string(data, 0, &error);
                        if (!def)
                                g_error("%s does not parse: %s", file, error->message);
                }
        }
}

static void check_tree(TestBus *tb) {
        g_autofree char *qemu_cfg = test_root_file(tb, "etc/vmmd/qemu");
        g_autofree char *storage_cfg = test_root_file(tb, "etc/vmmd/storage");
        g_autofree char *snaps = test_root_file(tb, "var/lib/vmmd/qemu/snapshot");
        g_autofree char *root = g_strdup(tb->root);

        check_files(qemu_cfg, "domain");
        check_files(storage_cfg, "pool");
        check_files(snaps, "snapshot");
        check_files(root, NULL);   /* temp files anywhere */
}

static unsigned env_uint(const char *name, unsigned dflt) {
        const char *v = g_getenv(name);
        return v && *v ? (unsigned) g_ascii_strtoull(v, NULL, 10) : dflt;
}

static void ensure_base_pool(TestBus *tb, const char *pool_dir) {
        g_autofree char *xml = g_strdup_printf("<pool type='dir'><name>base_pool</name><uuid>%s</uuid><target><path>%s/base</path>"
                                               "</target></pool>", BASE_UUID, pool_dir);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL, b = SD_BUS_ERROR_NULL, c = SD_BUS_ERROR_NULL;
        const char *path = base_path();
        int active = 0;

        if (sd_bus_call_method(tb->bus, STORAGE, ST_MANAGER, STORAGE_MANAGER_INTERFACE, "StoragePoolLookupByName",
                               &e, NULL, "s", "base_pool") < 0) {
                g_auto(sd_bus_error) d = SD_BUS_ERROR_NULL;
                g_assert_cmpint(sd_bus_call_method(tb->bus, STORAGE, ST_MANAGER, STORAGE_MANAGER_INTERFACE,
                                                   "StoragePoolDefineXML", &d, NULL, "su", xml, 0), >=, 0);
                (void) sd_bus_call_method(tb->bus, STORAGE, path, STORAGE_POOL_INTERFACE, "Build", &b, NULL,
                                          "u", 0);
        }
        g_assert_cmpint(sd_bus_get_property_trivial(tb->bus, STORAGE, path, STORAGE_POOL_INTERFACE, "Active",
                                                    &c, 'b', &active), >=, 0);
        if (!active) {
                g_auto(sd_bus_error) s = SD_BUS_ERROR_NULL;
                if (sd_bus_call_method(tb->bus, STORAGE, path, STORAGE_POOL_INTERFACE, "Create", &s, NULL,
                                       "u", 0) < 0)
                        g_error("cannot start the base pool: %s: %s", s.name, s.message);
        }
}

static void test_kill_storms(void) {
        g_autofree char *qemu_img = g_find_program_in_path("qemu-img");
        g_autoptr(TestBus) tb = NULL;
        unsigned trials = env_uint("VMMD_TORTURE_TRIALS", 50);
        unsigned seed = env_uint("VMMD_TORTURE_SEED", (unsigned) time(NULL));
        g_autofree char *pool_dir = NULL;
        g_autoptr(GRand) rnd = g_rand_new_with_seed(seed);
        Model model = { 0 };

        if (!qemu_img) {
                g_test_skip("qemu-img is missing");
                return;
        }
        tb = test_bus_new(NULL);
        pool_dir = g_build_filename(tb->dir, "pools", NULL);
        g_test_message("seed %u, %u trials", seed, trials);
        ensure_base_pool(tb, pool_dir);
        /* each domain has a qcow2 disk, so that its snapshots are qemu-img work */
        for (int i = 0; i < NAMES; i++) {
                g_autofree char *disk = g_strdup_printf("%s/t%d.qcow2", pool_dir, i);
                const char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", disk, "16M", NULL };
                g_assert_cmpint(test_run(tb, false, NULL, NULL, argv), ==, 0);
        }
        for (unsigned t = 0; t < trials; t++) {
                bool qemu = g_rand_boolean(rnd);
                unsigned n = (unsigned) g_rand_int_range(rnd, 1, BATCH_MAX + 1);
                unsigned kill_after = (unsigned) g_rand_int_range(rnd, 0, (gint32) n + 1);
                unsigned delay_us = (unsigned) g_rand_int_range(rnd, 0, 3000);
                Op ops[BATCH_MAX] = { 0 };
                unsigned replied = 0;
                gint64 deadline;

                for (unsigned i = 0; i < n; i++) {
                        Op *op = &ops[i];
                        op->model = &model;
                        op->kind = qemu ? (OpKind) g_rand_int_range(rnd, OP_DEFINE, OP_SNAP_DELETE + 1)
                                        : (OpKind) g_rand_int_range(rnd, OP_POOL_DEFINE, OP_VOL_DELETE + 1);
                        op->name = g_rand_int_range(rnd, 0, NAMES);
                        op->snap = g_rand_int_range(rnd, 0, NAMES);
                        send_op(tb, op, pool_dir);
                }
                /* let some calls finish, then kill -9 in the middle of the rest */
                deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
                while (g_get_monotonic_time() < deadline) {
                        replied = 0;
                        for (unsigned i = 0; i < n; i++)
                                replied += ops[i].result != PENDING;
                        if (replied >= kill_after)
                                break;
                        test_bus_drain(tb);
                        (void) sd_bus_wait(tb->bus, 10000);
                }
                g_usleep(delay_us);
                test_bus_kill_name(tb, qemu ? QEMU : STORAGE);
                figures.kills++;
                /* replies sent before the kill count; the rest fail with the connection */
                deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
                for (;;) {
                        replied = 0;
                        for (unsigned i = 0; i < n; i++)
                                replied += ops[i].result != PENDING;
                        if (replied == n || g_get_monotonic_time() > deadline)
                                break;
                        test_bus_drain(tb);
                        (void) sd_bus_wait(tb->bus, 10000);
                }
                g_assert_cmpuint(replied, ==, n);
                for (unsigned i = 0; i < n; i++) {
                        figures.replies += ops[i].result == DONE_OK;
                        figures.refused += ops[i].result == DONE_REFUSED;
                        figures.unknown += ops[i].result == DONE_UNKNOWN;
                        figures.snapshots += ops[i].result == DONE_OK && ops[i].kind == OP_SNAP_CREATE;
                }
                if (!qemu)
                        ensure_base_pool(tb, pool_dir);
                check_model(tb, &model);
                check_tree(tb);
                figures.trials++;
        }
        printf("# torture-kill: seed %u, %u trials, %u kills, %u calls replied ok, %u refused, %u cut by the kill, "
               "%u snapshots taken, %u definition files checked, %u mismatches\n", seed, figures.trials, figures.kills,
               figures.replies, figures.refused, figures.unknown, figures.snapshots, figures.files_checked,
               figures.mismatches);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/torture/kill-storms", test_kill_storms);
        return g_test_run();
}
