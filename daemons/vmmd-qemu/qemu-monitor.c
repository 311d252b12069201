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

int qemu_monitor_migrate_incoming(Qmp *q, const char *uri, QemuMonitorReplyFunc cb, void *userdata) {
        return command(q, "migrate-incoming", string_args("uri", uri, NULL), -1, cb, userdata);
}

int qemu_monitor_migrate_set_max_bandwidth(Qmp *q, uint64_t bytes_per_second, QemuMonitorReplyFunc cb,
                                           void *userdata) {
        JsonObject *args = json_object_new();

        json_object_set_int_member(args, "max-bandwidth", (gint64) bytes_per_second);
        return command(q, "migrate-set-parameters", args, -1, cb, userdata);
}

int qemu_monitor_query_migrate(Qmp *q, QemuMonitorReplyFunc cb, void *userdata) {
        return simple(q, "query-migrate", cb, userdata);
}

int qemu_monitor_migrate_cancel(Qmp *q, QemuMonitorReplyFunc cb, void *userdata) {
        return simple(q, "migrate_cancel", cb, userdata);
}

int qemu_monitor_query_chardev(Qmp *q, QemuMonitorReplyFunc cb, void *userdata) {
        return simple(q, "query-chardev", cb, userdata);
}

int qemu_monitor_query_block(Qmp *q, QemuMonitorReplyFunc cb, void *userdata) {
        return simple(q, "query-block", cb, userdata);
}

int qemu_monitor_query_jobs(Qmp *q, QemuMonitorReplyFunc cb, void *userdata) {
        return simple(q, "query-jobs", cb, userdata);
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
