/* QEMU's monitor as typed calls (cont, stop, migrate, snapshot-save, …) over the QMP client, and QEMU's events
 * through a table of callbacks: no model file builds monitor JSON. */
#include "qemu-monitor.h"

#include <string.h>

#include "test-fault.h"

typedef struct {
        const QemuMonitorCallbacks *callbacks;
        void *userdata;
} MonitorContext;

/* the table of QEMU's events: name → how it is parsed and which callback it reaches */
static void dispatch_event(Qmp *q, const char *event, JsonObject *data, void *userdata) {
        const MonitorContext *ctx = userdata;
        const QemuMonitorCallbacks *cb = ctx->callbacks;

        if (g_str_equal(event, "SHUTDOWN")) {
                const char *reason = data ? json_object_get_string_member_with_default(data, "reason", "") : "";
                bool has_guest = data && json_object_has_member(data, "guest");
                bool guest = has_guest && json_object_get_boolean_member(data, "guest");
                if (cb->shutdown)
                        cb->shutdown(ctx->userdata, has_guest, guest, reason);
        } else if (g_str_equal(event, "BLOCK_IO_ERROR") || g_str_equal(event, "WATCHDOG")) {
                bool io = g_str_equal(event, "BLOCK_IO_ERROR");
                const char *action = data ? json_object_get_string_member_with_default(data, "action", "") : "";

                if (cb->pause_cause && g_str_equal(action, io ? "stop" : "pause"))
                        cb->pause_cause(ctx->userdata, io ? QEMU_MONITOR_PAUSE_IO_ERROR : QEMU_MONITOR_PAUSE_WATCHDOG);
        } else if (g_str_equal(event, "RESET") && cb->reset)
                cb->reset(ctx->userdata);
        else if (g_str_equal(event, "STOP") && cb->stop)
                cb->stop(ctx->userdata);
        else if (g_str_equal(event, "RESUME") && cb->resume)
                cb->resume(ctx->userdata);
        else if (g_str_equal(event, "GUEST_PANICKED") && cb->guest_panicked)
                cb->guest_panicked(ctx->userdata);
        else if (g_str_equal(event, "SUSPEND") && cb->suspend)
                cb->suspend(ctx->userdata);
        else if (g_str_equal(event, "WAKEUP") && cb->wakeup)
                cb->wakeup(ctx->userdata);
        else if (g_str_equal(event, "MIGRATION") && cb->migration)
                cb->migration(ctx->userdata, data ? json_object_get_string_member_with_default(data, "status", "") : "");
}

static void dispatch_closed(Qmp *q, void *userdata) {
        const MonitorContext *ctx = userdata;

        if (ctx->callbacks->closed)
                ctx->callbacks->closed(ctx->userdata);
}

int qemu_monitor_open(sd_event *event, const char *socket_path, const QemuMonitorCallbacks *callbacks,
                      void *userdata, Qmp **ret) {
        MonitorContext *ctx = g_new0(MonitorContext, 1);
        int r;

        ctx->callbacks = callbacks;
        ctx->userdata = userdata;
        r = qmp_connect(event, socket_path, dispatch_event, dispatch_closed, ctx, ret);
        if (r < 0) {
                g_free(ctx);
                return r;
        }
        qmp_set_userdata_free(*ret, g_free);
        return 0;
}

/* Every command goes through here. A test build may arm a fault on a command name
 * (test-fault.h): the command then carries an argument QEMU does not know, so that QEMU
 * itself answers with an error and the daemon takes its real failure path. */
static int command(Qmp *q, const char *cmd, JsonObject *args, int fd, QemuMonitorReplyFunc cb, void *userdata) {
        if (vmmd_test_fault(cmd)) {
                if (!args)
                        args = json_object_new();
                json_object_set_boolean_member(args, "vmmd-test-fault", TRUE);
        }
        return qmp_command(q, cmd, args, fd, cb, userdata);
}

static int simple(Qmp *q, const char *cmd, QemuMonitorReplyFunc cb, void *userdata) {
        return command(q, cmd, NULL, -1, cb, userdata);
}

/* {"k1": "v1", …} from NULL-terminated key/value pairs */
static JsonObject *string_args(const char *key, const char *value, ...) G_GNUC_NULL_TERMINATED;
static JsonObject *string_args(const char *key, const char *value, ...) {
        JsonObject *o = json_object_new();
        va_list ap;

        va_start(ap, value);
        for (const char *k = key, *v = value; k; k = va_arg(ap, const char *), v = k ? va_arg(ap, const char *) : NULL)
                json_object_set_string_member(o, k, v);
        va_end(ap);
        return o;
}

int qemu_monitor_cont(Qmp *q, QemuMonitorReplyFunc cb, void *userdata) {
        return simple(q, "cont", cb, userdata);
}

int qemu_monitor_stop(Qmp *q, QemuMonitorReplyFunc cb, void *userdata) {
        return simple(q, "stop", cb, userdata);
}

int qemu_monitor_system_reset(Qmp *q, QemuMonitorReplyFunc cb, void *userdata) {
        return simple(q, "system_reset", cb, userdata);
}

int qemu_monitor_system_powerdown(Qmp *q, QemuMonitorReplyFunc cb, void *userdata) {
        return simple(q, "system_powerdown", cb, userdata);
}

int qemu_monitor_quit(Qmp *q, QemuMonitorReplyFunc cb, void *userdata) {
        return simple(q, "quit", cb, userdata);
}

int qemu_monitor_query_status(Qmp *q, QemuMonitorReplyFunc cb, void *userdata) {
        return simple(q, "query-status", cb, userdata);
}

const char *qemu_monitor_status_of(JsonNode *ret) {
        if (!ret || !JSON_NODE_HOLDS_OBJECT(ret))
                return NULL;
        return json_object_get_string_member_with_default(json_node_get_object(ret), "status", NULL);
}

int qemu_monitor_set_actions(Qmp *q, const char *reboot, const char *panic, QemuMonitorReplyFunc cb, void *userdata) {
        return command(q, "set-action", string_args("reboot", reboot, "panic", panic, NULL), -1, cb, userdata);
}

int qemu_monitor_balloon(Qmp *q, uint64_t bytes, QemuMonitorReplyFunc cb, void *userdata) {
        JsonObject *args = json_object_new();

        json_object_set_int_member(args, "value", (gint64) bytes);
        return command(q, "balloon", args, -1, cb, userdata);
}

int qemu_monitor_set_password(Qmp *q, const char *protocol, const char *password, QemuMonitorReplyFunc cb,
                              void *userdata) {
        return command(q, "set_password", string_args("protocol", protocol, "password", password, NULL), -1, cb,
                           userdata);
}

int qemu_monitor_getfd(Qmp *q, const char *name, int fd, QemuMonitorReplyFunc cb, void *userdata) {
        return command(q, "getfd", string_args("fdname", name, NULL), fd, cb, userdata);
}

int qemu_monitor_closefd(Qmp *q, const char *name, QemuMonitorReplyFunc cb, void *userdata) {
        return command(q, "closefd", string_args("fdname", name, NULL), -1, cb, userdata);
}

int qemu_monitor_migrate(Qmp *q, const char *uri, QemuMonitorReplyFunc cb, void *userdata) {
        return command(q, "migrate", string_args("uri", uri, NULL), -1, cb, userdata);
}

int qemu_monitor_migrate_events(Qmp *q, QemuMonitorReplyFunc cb, void *userdata) {
        JsonObject *args = json_object_new();
        JsonArray *caps = json_array_new();
        JsonObject *events = json_object_new();

        json_object_set_string_member(events, "capability", "events");
        json_object_set_boolean_member(events, "state", true);
        json_array_add_object_element(caps, events);
        json_object_set_array_member(args, "capabilities", caps);
        return qmp_command(q, "migrate-set-capabilities", args, -1, cb, userdata);
}

int qemu_monitor_migrate_incoming(Qmp *q, const char *uri, QemuMonitorReplyFunc cb, void *userdata) {
        return command(q, "migrate-incoming", string_args("uri", uri, NULL), -1, cb, userdata);
}

int qemu_monitor_migrate_set_max_bandwidth(Qmp *q, uint64_t bytes_per_second, QemuMonitorReplyFunc cb,
                                           void *userdata) {
        JsonObject *args = json_object_new();

        json_object_set_int_member(args, "max-bandwidth", (gint64) bytes_per_second);
        return command(q, "migrate-set-parameters", args, -1, cb, userdata);
}


int qemu_monitor_migrate_cancel(Qmp *q, QemuMonitorReplyFunc cb, void *userdata) {
        return simple(q, "migrate_cancel", cb, userdata);
}


/* --- the guest CPU --- */

typedef struct CpuExpansion {
        QemuMonitorCpuModelFunc cb;
        void *userdata;
} CpuExpansion;

static void cpu_prop_free(QemuMonitorCpuProp *p) {
        g_free(p->name);
        g_free(p->value);
        g_free(p);
}

void qemu_monitor_cpu_model_free(QemuMonitorCpuModel *m) {
        if (!m)
                return;
        g_free(m->name);
        g_ptr_array_unref(m->props);
        g_free(m);
}

static int by_prop_name(gconstpointer a, gconstpointer b) {
        return strcmp((*(QemuMonitorCpuProp **) a)->name, (*(QemuMonitorCpuProp **) b)->name);
}

/* {"model": {"name": "base", "props": {"cmov": true, "family": 15, …}}} */
static QemuMonitorCpuModel *parse_cpu_model(JsonNode *ret) {
        g_autoptr(QemuMonitorCpuModel) m = g_new0(QemuMonitorCpuModel, 1);
        JsonObject *root, *model, *props;
        g_autoptr(GList) names = NULL;

        if (!ret || !JSON_NODE_HOLDS_OBJECT(ret))
                return NULL;
        root = json_node_get_object(ret);
        model = json_object_has_member(root, "model") ? json_object_get_object_member(root, "model") : NULL;
        if (!model || !json_object_get_string_member_with_default(model, "name", NULL))
                return NULL;
        m->name = g_strdup(json_object_get_string_member(model, "name"));
        m->props = g_ptr_array_new_with_free_func((GDestroyNotify) cpu_prop_free);
        props = json_object_has_member(model, "props") ? json_object_get_object_member(model, "props") : NULL;
        names = props ? json_object_get_members(props) : NULL;
        for (GList *l = names; l; l = l->next) {
                JsonNode *v = json_object_get_member(props, l->data);
                QemuMonitorCpuProp *p;

                if (!JSON_NODE_HOLDS_VALUE(v))
                        continue;
                p = g_new0(QemuMonitorCpuProp, 1);
                p->name = g_strdup(l->data);
                p->enabled = -1;
                if (json_node_get_value_type(v) == G_TYPE_BOOLEAN)
                        p->enabled = json_node_get_boolean(v) ? 1 : 0;
                else if (json_node_get_value_type(v) == G_TYPE_INT64)
                        p->value = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(v));
                else if (json_node_get_value_type(v) == G_TYPE_STRING)
                        p->value = g_strdup(json_node_get_string(v));
                else {
                        cpu_prop_free(p);
                        continue;
                }
                g_ptr_array_add(m->props, p);
        }
        g_ptr_array_sort(m->props, by_prop_name);
        return g_steal_pointer(&m);
}

static void on_cpu_expansion(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        CpuExpansion *x = userdata;
        g_autoptr(QemuMonitorCpuModel) m = ret ? parse_cpu_model(ret) : NULL;

        x->cb(m, m ? NULL : error ? error : "bad query-cpu-model-expansion reply", x->userdata);
        g_free(x);
}

int qemu_monitor_expand_cpu_model(Qmp *q, const char *name, const char *const *on, const char *const *off,
                                  QemuMonitorCpuModelFunc cb, void *userdata) {
        JsonObject *args = string_args("type", "static", NULL);
        JsonObject *model = string_args("name", name, NULL);
        JsonObject *props = json_object_new();
        CpuExpansion *x = g_new0(CpuExpansion, 1);
        int r;

        for (const char *const *f = on; f && *f; f++)
                json_object_set_boolean_member(props, *f, TRUE);
        for (const char *const *f = off; f && *f; f++)
                json_object_set_boolean_member(props, *f, FALSE);
        json_object_set_object_member(model, "props", props);
        json_object_set_object_member(args, "model", model);
        x->cb = cb;
        x->userdata = userdata;
        r = command(q, "query-cpu-model-expansion", args, -1, on_cpu_expansion, x);
        if (r < 0)
                g_free(x);
        return r;
}

/* A typed query: each object of QEMU's reply list parsed into a struct before the caller sees it. */
typedef gpointer (*ItemParser)(JsonObject *o);
typedef void (*ListFunc)(Qmp *q, const GPtrArray *list, const char *error, void *userdata);

typedef struct ListQuery {
        ItemParser parse;
        GDestroyNotify free_item;
        ListFunc cb;
        void *userdata;
        const char *what;
} ListQuery;

static void on_list_reply(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        ListQuery *lq = userdata;
        g_autoptr(GPtrArray) list = NULL;
        g_autofree char *bad = NULL;

        if (ret && JSON_NODE_HOLDS_ARRAY(ret)) {
                JsonArray *a = json_node_get_array(ret);

                list = g_ptr_array_new_with_free_func(lq->free_item);
                for (guint i = 0; i < json_array_get_length(a); i++) {
                        JsonNode *n = json_array_get_element(a, i);
                        if (JSON_NODE_HOLDS_OBJECT(n))
                                g_ptr_array_add(list, lq->parse(json_node_get_object(n)));
                }
        } else if (!error)
                bad = g_strdup_printf("bad %s reply", lq->what);
        lq->cb(q, list, list ? NULL : error ? error : bad, lq->userdata);
        g_free(lq);
}

static int list_query(Qmp *q, const char *cmd, ItemParser parse, GDestroyNotify free_item, ListFunc cb,
                      void *userdata) {
        ListQuery *lq = g_new0(ListQuery, 1);
        int r;

        lq->parse = parse;
        lq->free_item = free_item;
        lq->cb = cb;
        lq->userdata = userdata;
        lq->what = cmd;
        r = command(q, cmd, NULL, -1, on_list_reply, lq);
        if (r < 0)
                g_free(lq);
        return r;
}

static const char *str_member(JsonObject *o, const char *name) {
        return o && json_object_has_member(o, name) ? json_object_get_string_member_with_default(o, name, NULL) : NULL;
}

static JsonObject *obj_member(JsonObject *o, const char *name) {
        JsonNode *n = o && json_object_has_member(o, name) ? json_object_get_member(o, name) : NULL;
        return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

static void block_free(QemuMonitorBlock *b) {
        g_free(b->device);
        g_free(b->node);
        g_free(b->file);
        g_strfreev(b->snapshots);
        g_free(b);
}

static gpointer parse_block(JsonObject *o) {
        JsonObject *ins = obj_member(o, "inserted"), *image = obj_member(ins, "image");
        JsonNode *snaps = image && json_object_has_member(image, "snapshots") ? json_object_get_member(image, "snapshots")
                                                                              : NULL;
        JsonArray *list = snaps && JSON_NODE_HOLDS_ARRAY(snaps) ? json_node_get_array(snaps) : NULL;
        g_autoptr(GPtrArray) names = g_ptr_array_new();
        QemuMonitorBlock *b = g_new0(QemuMonitorBlock, 1);

        b->device = g_strdup(str_member(o, "device"));
        b->inserted = ins != NULL;
        b->node = g_strdup(str_member(ins, "node-name"));
        b->file = g_strdup(str_member(ins, "file"));
        b->ro = ins && json_object_get_boolean_member_with_default(ins, "ro", FALSE);
        b->virtual_size = image ? json_object_get_int_member_with_default(image, "virtual-size", 0) : 0;
        for (guint j = 0; list && j < json_array_get_length(list); j++) {
                JsonNode *s = json_array_get_element(list, j);
                const char *name = JSON_NODE_HOLDS_OBJECT(s) ? str_member(json_node_get_object(s), "name") : NULL;
                if (name)
                        g_ptr_array_add(names, g_strdup(name));
        }
        g_ptr_array_add(names, NULL);
        b->snapshots = (char **) g_ptr_array_steal(names, NULL);
        return b;
}

int qemu_monitor_query_block(Qmp *q, QemuMonitorBlocksFunc cb, void *userdata) {
        return list_query(q, "query-block", parse_block, (GDestroyNotify) block_free, (ListFunc) cb, userdata);
}

static void job_free(QemuMonitorJob *j) {
        g_free(j->id);
        g_free(j->status);
        g_free(j->error);
        g_free(j);
}

static gpointer parse_job(JsonObject *o) {
        QemuMonitorJob *j = g_new0(QemuMonitorJob, 1);

        j->id = g_strdup(str_member(o, "id"));
        j->status = g_strdup(str_member(o, "status"));
        j->error = g_strdup(str_member(o, "error"));
        return j;
}

int qemu_monitor_query_jobs(Qmp *q, QemuMonitorJobsFunc cb, void *userdata) {
        return list_query(q, "query-jobs", parse_job, (GDestroyNotify) job_free, (ListFunc) cb, userdata);
}

const QemuMonitorJob *qemu_monitor_find_job(const GPtrArray *jobs, const char *id) {
        for (guint i = 0; jobs && i < jobs->len; i++) {
                const QemuMonitorJob *j = g_ptr_array_index(jobs, i);
                if (g_strcmp0(j->id, id) == 0)
                        return j;
        }
        return NULL;
}

static void chardev_free(QemuMonitorChardev *c) {
        g_free(c->label);
        g_free(c->filename);
        g_free(c);
}

static gpointer parse_chardev(JsonObject *o) {
        QemuMonitorChardev *c = g_new0(QemuMonitorChardev, 1);

        c->label = g_strdup(str_member(o, "label"));
        c->filename = g_strdup(str_member(o, "filename"));
        return c;
}

int qemu_monitor_query_chardev(Qmp *q, QemuMonitorChardevsFunc cb, void *userdata) {
        return list_query(q, "query-chardev", parse_chardev, (GDestroyNotify) chardev_free, (ListFunc) cb, userdata);
}

typedef struct MigrationQuery {
        QemuMonitorMigrationFunc cb;
        void *userdata;
} MigrationQuery;

static void on_migration_reply(Qmp *q, JsonNode *ret, const char *error, void *userdata) {
        MigrationQuery *mq = userdata;
        JsonObject *o = ret && JSON_NODE_HOLDS_OBJECT(ret) ? json_node_get_object(ret) : NULL;
        JsonObject *ram = obj_member(o, "ram");
        QemuMonitorMigration m = { 0 };

        if (o) {
                m.status = str_member(o, "status") ? str_member(o, "status") : "";
                m.error_desc = str_member(o, "error-desc");
                m.has_ram = ram != NULL;
                m.ram_total = ram ? (uint64_t) json_object_get_int_member_with_default(ram, "total", 0) : 0;
                m.ram_remaining = ram ? (uint64_t) json_object_get_int_member_with_default(ram, "remaining", 0) : 0;
        }
        mq->cb(q, o ? &m : NULL, o ? NULL : error ? error : "bad query-migrate reply", mq->userdata);
        g_free(mq);
}

int qemu_monitor_query_migrate(Qmp *q, QemuMonitorMigrationFunc cb, void *userdata) {
        MigrationQuery *mq = g_new0(MigrationQuery, 1);
        int r;

        mq->cb = cb;
        mq->userdata = userdata;
        r = command(q, "query-migrate", NULL, -1, on_migration_reply, mq);
        if (r < 0)
                g_free(mq);
        return r;
}

int qemu_monitor_job_dismiss(Qmp *q, const char *job_id, QemuMonitorReplyFunc cb, void *userdata) {
        return command(q, "job-dismiss", string_args("id", job_id, NULL), -1, cb, userdata);
}

int qemu_monitor_snapshot_save(Qmp *q, const char *job_id, const char *tag, const char *vmstate,
                               const char *const *devices, QemuMonitorReplyFunc cb, void *userdata) {
        JsonObject *args = string_args("job-id", job_id, "tag", tag, "vmstate", vmstate, NULL);
        JsonArray *list = json_array_new();

        for (const char *const *dev = devices; dev && *dev; dev++)
                json_array_add_string_element(list, *dev);
        json_object_set_array_member(args, "devices", list);
        return command(q, "snapshot-save", args, -1, cb, userdata);
}

int qemu_monitor_blockdev_snapshot(Qmp *q, const QemuMonitorDiskSnapshot *disks, size_t n, QemuMonitorReplyFunc cb,
                                   void *userdata) {
        JsonObject *args = json_object_new();
        JsonArray *actions = json_array_new();

        for (size_t i = 0; i < n; i++) {
                JsonObject *action = json_object_new();
                JsonObject *data = string_args("node-name", disks[i].node, "snapshot-file", disks[i].file,
                                               "snapshot-node-name", disks[i].snapshot_node, "format", "qcow2",
                                               "mode", "existing", NULL);
                json_object_set_string_member(action, "type", "blockdev-snapshot-sync");
                json_object_set_object_member(action, "data", data);
                json_array_add_object_element(actions, action);
        }
        json_object_set_array_member(args, "actions", actions);
        return command(q, "transaction", args, -1, cb, userdata);
}

int qemu_monitor_blockdev_snapshot_delete_internal(Qmp *q, const char *device, const char *name,
                                                   QemuMonitorReplyFunc cb, void *userdata) {
        return command(q, "blockdev-snapshot-delete-internal-sync", string_args("device", device, "name", name, NULL),
                           -1, cb, userdata);
}
