/* The domain model: what a domain is, its state, and how its definition is kept on disk. No sd-bus here. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "domain-conf.h"
#include "vmmd/qemu1.h"

typedef struct Manager Manager;

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
        /* a bus caller of a stop hears back once the guest's network ports are deleted (network.md
         * N28.5); an internal continuation (a revert's stop) is called at once */
        bool wait_ports;
};

/* What a domain has while it runs (and while a job on it is in flight): apart from the
 * definition, as libvirt keeps its private runtime data apart from the domain object. */
typedef struct DomainRuntime {
        struct QemuProcess *process;
        struct Qmp *qmp;
        char *monitor_path;
        DomainJob job;
        DomainCall *call;          /* the method call waiting for the job */
        bool start_cont;           /* a start's cont is in QEMU's hands: its RESUME event or its reply ends the start */
        bool fake_reboot;          /* a Reboot is pending: hide the guest's poweroff (spec E.3) */
        bool shutdown_seen;        /* QEMU reported SHUTDOWN; the domain is on its way out */
        bool crash_restart;        /* on_crash restart in progress */
        int stop_reason;           /* SHUTOFF reason to record when QEMU exits */
        int stop_detail;           /* STOPPED detail to emit when QEMU exits */
        bool graceful;             /* DESTROY_GRACEFUL: no SIGKILL */
        sd_event_source *kill_timer;   /* escalating SIGTERM to SIGKILL */
        sd_event_source *job_timer;    /* polling query-migrate */
        struct DomainSaveJob *save;       /* while saving */
        struct DomainRestore *restore;    /* while restoring */
        uint64_t job_processed, job_total; /* bytes of the running migration */
        char *autodestroy_owner;   /* bus name whose disconnect destroys the domain */
        uint64_t last_reset_usec;  /* CLOCK_MONOTONIC of QEMU's last RESET event */
        struct DomainStatusJob *recorded_job; /* the save or snapshot job in the status file */
        struct SnapshotImgRun *img_run;       /* qemu-img steps of a snapshot job in flight */
        char *cpu_cookie;          /* <cpu>…</cpu>: the guest CPU as QEMU reports it (spec C3, D16) */
} DomainRuntime;

typedef struct Domain {
        Manager *manager;
        char uuid[37];
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

        DomainRuntime run;         /* QEMU, its monitor, the job and the timers */
} Domain;

const char *domain_name(const Domain *d);
/* An inactive domain whose images a snapshot job is changing (qemu-img on the loop) takes
 * no start, define or undefine until it is done: OperationInvalid. */
bool domain_check_images_idle(const Domain *d, GError **error);
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
