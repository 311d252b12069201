/* QEMU's monitor as typed calls (cont, stop, migrate, snapshot-save, …) over the QMP client, and QEMU's events
 * through a table of callbacks: no model file builds monitor JSON. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qmp.h"

/* ret is QEMU's "return" on success; NULL with error (QEMU's "desc", or the connection's end). */
typedef QmpReplyFunc QemuMonitorReplyFunc;

/* Why QEMU is about to stop the guest on its own (the event comes right before its STOP). */
typedef enum QemuMonitorPauseCause {
        QEMU_MONITOR_PAUSE_IO_ERROR,   /* BLOCK_IO_ERROR with action "stop" */
        QEMU_MONITOR_PAUSE_WATCHDOG,   /* WATCHDOG with action "pause" */
} QemuMonitorPauseCause;

/* QEMU's events, parsed. userdata is what qemu_monitor_open was given; any member may be NULL. */
typedef struct QemuMonitorCallbacks {
        /* SHUTDOWN: has_guest tells whether QEMU said who asked (guest), reason is QEMU's */
        void (*shutdown)(void *userdata, bool has_guest, bool guest, const char *reason);
        void (*reset)(void *userdata);
        void (*pause_cause)(void *userdata, QemuMonitorPauseCause cause);
        void (*stop)(void *userdata);
        void (*resume)(void *userdata);
        void (*guest_panicked)(void *userdata);
        void (*suspend)(void *userdata);
        void (*wakeup)(void *userdata);
        /* MIGRATION (with the events capability on): the stream's new status ("completed", "failed", …) */
        void (*migration)(void *userdata, const char *status);
        /* the monitor closed: QEMU exited or closed it */
        void (*closed)(void *userdata);
} QemuMonitorCallbacks;

/* Connects (non-blocking) to the monitor socket; calls made before QMP is ready are queued. */
int qemu_monitor_open(sd_event *event, const char *socket_path, const QemuMonitorCallbacks *callbacks,
                      void *userdata, Qmp **ret);

/* --- the run state --- */
int qemu_monitor_cont(Qmp *q, QemuMonitorReplyFunc cb, void *userdata);
int qemu_monitor_stop(Qmp *q, QemuMonitorReplyFunc cb, void *userdata);
int qemu_monitor_system_reset(Qmp *q, QemuMonitorReplyFunc cb, void *userdata);
int qemu_monitor_system_powerdown(Qmp *q, QemuMonitorReplyFunc cb, void *userdata);
int qemu_monitor_quit(Qmp *q, QemuMonitorReplyFunc cb, void *userdata);
int qemu_monitor_query_status(Qmp *q, QemuMonitorReplyFunc cb, void *userdata);
/* query-status's "status" ("running", "paused", "io-error", …), or NULL for a bad reply */
const char *qemu_monitor_status_of(JsonNode *ret);
/* set-action: what QEMU does on a guest reboot ("reset", "shutdown") and a panic ("pause", …) */
int qemu_monitor_set_actions(Qmp *q, const char *reboot, const char *panic, QemuMonitorReplyFunc cb, void *userdata);
int qemu_monitor_balloon(Qmp *q, uint64_t bytes, QemuMonitorReplyFunc cb, void *userdata);
/* set_password for a graphics protocol ("vnc", "spice") */
int qemu_monitor_set_password(Qmp *q, const char *protocol, const char *password, QemuMonitorReplyFunc cb,
                              void *userdata);

/* --- migration streams (save and restore) --- */
/* Passes fd to QEMU under name (SCM_RIGHTS with getfd); fd is taken. */
int qemu_monitor_getfd(Qmp *q, const char *name, int fd, QemuMonitorReplyFunc cb, void *userdata);
int qemu_monitor_closefd(Qmp *q, const char *name, QemuMonitorReplyFunc cb, void *userdata);
int qemu_monitor_migrate(Qmp *q, const char *uri, QemuMonitorReplyFunc cb, void *userdata);
/* migrate-set-capabilities events=on: QEMU tells each status change of a stream (MIGRATION) */
int qemu_monitor_migrate_events(Qmp *q, QemuMonitorReplyFunc cb, void *userdata);
int qemu_monitor_migrate_incoming(Qmp *q, const char *uri, QemuMonitorReplyFunc cb, void *userdata);
int qemu_monitor_migrate_set_max_bandwidth(Qmp *q, uint64_t bytes_per_second, QemuMonitorReplyFunc cb,
                                           void *userdata);
int qemu_monitor_query_migrate(Qmp *q, QemuMonitorReplyFunc cb, void *userdata);
int qemu_monitor_migrate_cancel(Qmp *q, QemuMonitorReplyFunc cb, void *userdata);

/* --- devices, jobs, snapshots --- */
int qemu_monitor_query_chardev(Qmp *q, QemuMonitorReplyFunc cb, void *userdata);
int qemu_monitor_query_block(Qmp *q, QemuMonitorReplyFunc cb, void *userdata);
int qemu_monitor_query_jobs(Qmp *q, QemuMonitorReplyFunc cb, void *userdata);
int qemu_monitor_job_dismiss(Qmp *q, const char *job_id, QemuMonitorReplyFunc cb, void *userdata);
/* snapshot-save (internal snapshot): the VM state goes to vmstate's image; devices is NULL-terminated. */
int qemu_monitor_snapshot_save(Qmp *q, const char *job_id, const char *tag, const char *vmstate,
                               const char *const *devices, QemuMonitorReplyFunc cb, void *userdata);

/* One disk of an external snapshot: node switches to a new qcow2 overlay file (existing) as snapshot_node. */
typedef struct QemuMonitorDiskSnapshot {
        const char *node;
        const char *file;
        const char *snapshot_node;
} QemuMonitorDiskSnapshot;
/* All disks switch in one transaction, or none. */
int qemu_monitor_blockdev_snapshot(Qmp *q, const QemuMonitorDiskSnapshot *disks, size_t n, QemuMonitorReplyFunc cb,
                                   void *userdata);
/* Deletes the internal snapshot name from the image of node device. */
int qemu_monitor_blockdev_snapshot_delete_internal(Qmp *q, const char *device, const char *name,
                                                   QemuMonitorReplyFunc cb, void *userdata);
