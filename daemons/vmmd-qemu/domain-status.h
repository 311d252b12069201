/* The runtime status file of an active domain (spec F7): state, QEMU pid, monitor, fake-reboot mark, live XML. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

#include "domain-conf.h"

/* A job that must be finished or undone if the daemon dies while it runs: written to the
 * status file before the job starts, so that re-attach knows what QEMU was doing. */
typedef struct DomainStatusJob {
        char *kind;              /* "save" or "snapshot" */
        bool was_running;        /* the guest ran before the job paused it: resume it */
        bool complete;           /* save: the image is complete; the job only has to be finished */
        char *target;            /* save: the file the image is for */
        char *partial;           /* save: the temporary file beside it (NULL: written in place) */
        char *snapshot;          /* snapshot: its name */
        char *parent;            /* snapshot: the current snapshot before it (NULL: none) */
        char *qemu_job;          /* snapshot: QEMU's job id */
} DomainStatusJob;

void domain_status_job_free(DomainStatusJob *job);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainStatusJob, domain_status_job_free)

typedef struct DomainStatus {
        int state, reason;
        pid_t pid;
        int id;
        char *monitor;
        bool fake_reboot;
        bool persistent;
        bool autodestroy;
        DomainDef *def;          /* the live definition */
        const DomainStatusJob *job;  /* format: the job in progress, or NULL */
        DomainStatusJob *parsed_job; /* parse: the job read back, or NULL */
} DomainStatus;

void domain_status_free(DomainStatus *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainStatus, domain_status_free)

char *domain_status_format(const DomainStatus *st);
DomainStatus *domain_status_parse(const char *xml, GError **error);
