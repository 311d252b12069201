/* The domain model: what a domain is, its state, and how its definition is kept on disk. No sd-bus here. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "domain-conf.h"

typedef struct Manager Manager;

/* libvirt's virDomainState and reasons (spec domains.md 0, "State and reason numbers") */
typedef enum {
        DOMAIN_NOSTATE = 0,
        DOMAIN_RUNNING = 1,
        DOMAIN_BLOCKED = 2,
        DOMAIN_PAUSED = 3,
        DOMAIN_SHUTDOWN = 4,
        DOMAIN_SHUTOFF = 5,
        DOMAIN_CRASHED = 6,
        DOMAIN_PMSUSPENDED = 7,
} DomainState;

typedef enum {
        DOMAIN_SHUTOFF_UNKNOWN = 0,
        DOMAIN_SHUTOFF_SHUTDOWN = 1,
        DOMAIN_SHUTOFF_DESTROYED = 2,
        DOMAIN_SHUTOFF_CRASHED = 3,
        DOMAIN_SHUTOFF_MIGRATED = 4,
        DOMAIN_SHUTOFF_SAVED = 5,
        DOMAIN_SHUTOFF_FAILED = 6,
        DOMAIN_SHUTOFF_FROM_SNAPSHOT = 7,
        DOMAIN_SHUTOFF_DAEMON = 8,
} DomainShutoffReason;

/* libvirt's virDomainEventType and details (spec domains.md 0, "Event and detail numbers") */
typedef enum {
        DOMAIN_EVENT_DEFINED = 0,
        DOMAIN_EVENT_UNDEFINED = 1,
        DOMAIN_EVENT_STARTED = 2,
        DOMAIN_EVENT_SUSPENDED = 3,
        DOMAIN_EVENT_RESUMED = 4,
        DOMAIN_EVENT_STOPPED = 5,
        DOMAIN_EVENT_SHUTDOWN = 6,
        DOMAIN_EVENT_PMSUSPENDED = 7,
        DOMAIN_EVENT_CRASHED = 8,
} DomainEventType;

enum { DOMAIN_EVENT_DEFINED_ADDED = 0, DOMAIN_EVENT_DEFINED_UPDATED = 1, DOMAIN_EVENT_DEFINED_RENAMED = 2 };
enum { DOMAIN_EVENT_UNDEFINED_REMOVED = 0, DOMAIN_EVENT_UNDEFINED_RENAMED = 1 };

/* Flag values are libvirt's (spec domains.md 0.7). */
enum {
        DOMAIN_DEFINE_VALIDATE = 1,
};
enum {
        DOMAIN_START_PAUSED = 1,
        DOMAIN_START_AUTODESTROY = 2,
        DOMAIN_START_BYPASS_CACHE = 4,
        DOMAIN_START_FORCE_BOOT = 8,
        DOMAIN_START_VALIDATE = 16,
        DOMAIN_START_RESET_NVRAM = 32,
};
enum {
        DOMAIN_SAVE_BYPASS_CACHE = 1,
        DOMAIN_SAVE_RUNNING = 2,
        DOMAIN_SAVE_PAUSED = 4,
        DOMAIN_SAVE_RESET_NVRAM = 8,
};
enum {
        DOMAIN_DESTROY_GRACEFUL = 1,
        DOMAIN_DESTROY_REMOVE_LOGS = 2,
};
enum {
        DOMAIN_SHUTDOWN_ACPI_POWER_BTN = 1,
        DOMAIN_SHUTDOWN_GUEST_AGENT = 2,
};
enum {
        DOMAIN_UNDEFINE_MANAGED_SAVE = 1,
        DOMAIN_UNDEFINE_SNAPSHOTS_METADATA = 2,
        DOMAIN_UNDEFINE_NVRAM = 4,
        DOMAIN_UNDEFINE_KEEP_NVRAM = 8,
        DOMAIN_UNDEFINE_CHECKPOINTS_METADATA = 16,
        DOMAIN_UNDEFINE_TPM = 32,
        DOMAIN_UNDEFINE_KEEP_TPM = 64,
        DOMAIN_UNDEFINE_ALL = 127,
};
enum {
        DOMAIN_XML_SECURE = 1,
        DOMAIN_XML_INACTIVE = 2,
        DOMAIN_XML_UPDATE_CPU = 4,
        DOMAIN_XML_MIGRATABLE = 8,
        DOMAIN_XML_ALL = 15,
};

typedef enum {
        DOMAIN_JOB_NONE = 0,
        DOMAIN_JOB_START,
        DOMAIN_JOB_STOP,          /* destroy, or ending QEMU after a guest shutdown */
        DOMAIN_JOB_SUSPEND,
        DOMAIN_JOB_RESUME,
        DOMAIN_JOB_RESET,         /* fake reboot or crash restart: system_reset + cont */
        DOMAIN_JOB_SAVE,          /* migrating the guest's memory into a save image */
        DOMAIN_JOB_SNAPSHOT,      /* taking or reverting to a snapshot */
} DomainJob;

struct Qmp;
struct QemuProcess;
typedef struct DomainCall DomainCall;

/* A caller waiting for a job to finish; the bus glue embeds it and replies in done(). */
struct DomainCall {
        void (*done)(DomainCall *call, const GError *error);
};

typedef struct Domain {
        Manager *manager;
        char uuid[37];
        char *path;            /* D-Bus object path, fixed for the domain's life */
        DomainDef *def;        /* live definition while active, else the persistent one */
        DomainDef *new_def;    /* pending next-boot definition of an active persistent domain */
        bool persistent;
        bool autostart;
        int id;                /* -1 while inactive */
        DomainState state;
        int reason;
        bool removing;
        bool reverting;            /* a snapshot revert stops and starts QEMU: stay, even if transient */
        GHashTable *snapshots;     /* name → Snapshot* (owned) */
        struct Snapshot *current_snapshot;

        /* while active */
        struct QemuProcess *process;
        struct Qmp *qmp;
        char *monitor_path;
        DomainJob job;
        DomainCall *call;          /* the method call waiting for the job */
        bool fake_reboot;          /* a Reboot is pending: hide the guest's poweroff (spec E.3) */
        bool shutdown_seen;        /* QEMU reported SHUTDOWN; the domain is on its way out */
        bool crash_restart;        /* on_crash restart in progress */
        int stop_reason;           /* SHUTOFF reason to record when QEMU exits */
        int stop_detail;           /* STOPPED detail to emit when QEMU exits */
        bool graceful;             /* DESTROY_GRACEFUL: no SIGKILL */
        void *kill_timer;          /* sd_event_source* escalating SIGTERM to SIGKILL */
        void *job_timer;           /* sd_event_source* polling query-migrate */
        struct DomainSaveJob *save;       /* while saving */
        struct DomainRestore *restore;    /* while restoring */
        uint64_t job_processed, job_total; /* bytes of the running migration */
        char *autodestroy_owner;   /* bus name whose disconnect destroys the domain */
        uint64_t last_reset_usec;  /* CLOCK_MONOTONIC of QEMU's last RESET event */
        struct DomainStatusJob *recorded_job; /* the save or snapshot job in the status file */
} Domain;

const char *domain_name(const Domain *d);
bool domain_is_active(const Domain *d);
/* The definition the next boot uses (and GetXMLDesc(INACTIVE) shows). */
const DomainDef *domain_persistent_def(const Domain *d);
/* spec 0.2 Updated: active, persistent, and the pending definition differs from the live one */
bool domain_is_updated(const Domain *d);
bool domain_has_managed_save(const Domain *d);
/* Number of snapshot metadata files (the .xml files in <snapshotDir>/NAME). */
unsigned domain_snapshot_count(const Domain *d);

char *domain_get_xml(const Domain *d, unsigned flags);

/* Paths of the domain's files under the manager's directories. */
char *domain_config_file(const Manager *m, const char *name);
char *domain_autostart_link(const Manager *m, const char *name);
char *domain_managed_save_file(const Manager *m, const char *name);
char *domain_snapshot_dir(const Manager *m, const char *name);

/* Writes <configDir>/NAME.xml atomically with the generated-file header (spec 0.15). */
bool domain_save_config(const Manager *m, const DomainDef *def, GError **error);

bool domain_set_autostart(Domain *d, bool autostart, GError **error);
bool domain_undefine(Domain *d, unsigned flags, GError **error);
bool domain_rename(Domain *d, const char *new_name, GError **error);

Domain *domain_new(Manager *m, DomainDef *def);   /* takes def */
void domain_free(Domain *d);
