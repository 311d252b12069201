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
/* What query-migrate says about the migration. */
typedef struct QemuMonitorMigration {
        const char *status;        /* "setup", "active", "completed", "failed", "cancelled", …; "" unknown */
        const char *error_desc;    /* why it failed, else NULL */
        bool has_ram;
        uint64_t ram_total, ram_remaining;
} QemuMonitorMigration;
/* migration is NULL with error; cb owns neither. */
typedef void (*QemuMonitorMigrationFunc)(Qmp *q, const QemuMonitorMigration *migration, const char *error,
                                         void *userdata);
int qemu_monitor_query_migrate(Qmp *q, QemuMonitorMigrationFunc cb, void *userdata);
int qemu_monitor_migrate_cancel(Qmp *q, QemuMonitorReplyFunc cb, void *userdata);

/* --- the guest CPU --- */

/* One property of a CPU model as QEMU expands it: a feature (boolean) or a value. */
typedef struct QemuMonitorCpuProp {
        char *name;
        int enabled;               /* a feature: 0 or 1; -1 for a value */
        char *value;               /* a value (family, vendor, model-id, …), else NULL */
} QemuMonitorCpuProp;

/* A CPU model QEMU's static expansion gives: a base model and every property, the form
 * QEMU promises to keep the same between versions (what migration needs). */
typedef struct QemuMonitorCpuModel {
        char *name;
        GPtrArray *props;          /* QemuMonitorCpuProp*, by name */
} QemuMonitorCpuModel;

void qemu_monitor_cpu_model_free(QemuMonitorCpuModel *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QemuMonitorCpuModel, qemu_monitor_cpu_model_free)

/* model is NULL with error (QEMU's, or the reply's shape); cb owns neither. */
typedef void (*QemuMonitorCpuModelFunc)(const QemuMonitorCpuModel *model, const char *error, void *userdata);
/* query-cpu-model-expansion, type static, of name with features on and off (NULL-terminated
 * lists, may be NULL): the CPU a -cpu name,f=on,g=off gives the guest. */
int qemu_monitor_expand_cpu_model(Qmp *q, const char *name, const char *const *on, const char *const *off,
                                  QemuMonitorCpuModelFunc cb, void *userdata);

/* --- devices, jobs, snapshots --- */
/* One character device of query-chardev. */
typedef struct QemuMonitorChardev {
        char *label;
        char *filename;            /* "pty:/dev/pts/3", "file:…", … */
} QemuMonitorChardev;
/* chardevs (QemuMonitorChardev*) is NULL with error; cb owns neither. */
typedef void (*QemuMonitorChardevsFunc)(Qmp *q, const GPtrArray *chardevs, const char *error, void *userdata);
int qemu_monitor_query_chardev(Qmp *q, QemuMonitorChardevsFunc cb, void *userdata);
/* One block device of query-block; what follows inserted only with a medium in it. */
typedef struct QemuMonitorBlock {
        char *device;
        bool inserted;
        char *node;                /* the top node's name */
        char *file;                /* the image QEMU has open */
        bool ro;
        int64_t virtual_size;      /* 0 when QEMU does not say */
        char **snapshots;          /* the image's internal snapshots, by name (never NULL) */
} QemuMonitorBlock;
/* blocks (QemuMonitorBlock*) is NULL with error; cb owns neither. */
typedef void (*QemuMonitorBlocksFunc)(Qmp *q, const GPtrArray *blocks, const char *error, void *userdata);
int qemu_monitor_query_block(Qmp *q, QemuMonitorBlocksFunc cb, void *userdata);

/* One job of query-jobs. */
typedef struct QemuMonitorJob {
        char *id;
        char *status;              /* "running", "concluded", "null", … */
        char *error;               /* why it failed, else NULL */
} QemuMonitorJob;
/* jobs (QemuMonitorJob*) is NULL with error; cb owns neither. */
typedef void (*QemuMonitorJobsFunc)(Qmp *q, const GPtrArray *jobs, const char *error, void *userdata);
int qemu_monitor_query_jobs(Qmp *q, QemuMonitorJobsFunc cb, void *userdata);
/* The job called id in jobs, or NULL. */
const QemuMonitorJob *qemu_monitor_find_job(const GPtrArray *jobs, const char *id);
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
