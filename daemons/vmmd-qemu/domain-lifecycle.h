/* Domain lifecycle: QEMU start and stop, guest power requests, the fake reboot, QMP events, re-attach (spec E, F). */
#pragma once

#include <stdbool.h>

#include "domain.h"

struct SaveImage;

/* Starting from a save image instead of booting (spec C.4, C.5). */
typedef struct DomainRestore {
        struct SaveImage *image;
        bool run;                  /* start the CPUs once the memory is in */
        bool start_paused;         /* START_PAUSED was given: SUSPENDED/PAUSED, not RESTORED */
        char *remove_on_success;   /* the managed save image, consumed by a successful start */
        bool bypass_cache;         /* read the image with O_DIRECT through a pipe */
        char *loadvm;              /* instead of an image: this internal snapshot (-loadvm), spec D36 */
        bool from_snapshot;        /* a revert (D36, D37): FROM_SNAPSHOT events; no image */
        char *cpu_cookie;          /* the CPU the image or snapshot recorded (C3, D16): QEMU gets it */
        struct DirectCopy *copy;
} DomainRestore;

void domain_restore_free(DomainRestore *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainRestore, domain_restore_free)

/* Like domain_start, from restore (taken). */
bool domain_start_restore(Domain *d, DomainDef *live, DomainRestore *restore, DomainCall *call, GError **error);

/* Each returns false with error when the request is refused at once (call not used);
 * otherwise call->done runs when the job is over (call may be NULL). */
/* Create (spec C20–C25, E1): restores from the managed save image when there is one. */
bool domain_create(Domain *d, unsigned flags, DomainCall *call, GError **error);
bool domain_start(Domain *d, DomainDef *live, unsigned flags, DomainCall *call, GError **error);
bool domain_destroy(Domain *d, unsigned flags, DomainCall *call, GError **error);
bool domain_shutdown(Domain *d, unsigned flags, DomainCall *call, GError **error);
bool domain_reboot(Domain *d, unsigned flags, DomainCall *call, GError **error);
bool domain_reset(Domain *d, DomainCall *call, GError **error);
bool domain_suspend(Domain *d, DomainCall *call, GError **error);
bool domain_resume(Domain *d, DomainCall *call, GError **error);

/* Reads every status file of the runtime dir and re-attaches to the QEMUs still there
 * (spec E22, F8); call after the persistent definitions are loaded. */
void manager_reattach_domains(Manager *m);

/* A36: once per host boot (a marker with the boot id in the runtime dir), starts every
 * autostart domain as Create(0) would; failures are logged. */
void manager_autostart_domains(Manager *m);

/* The QEMU log of a domain. */
char *domain_log_file(const Manager *m, const char *name);
char *domain_status_file(const Manager *m, const char *name);
/* Where vmmd-qemu writes down the vmmd-network ports it made (network-client.h). */
char *domain_ports_dir(Manager *m);

/* For domain-save.c: the lifecycle's internals it shares. */
void domain_lifecycle_set_state(Domain *d, DomainState state, int reason);
void domain_lifecycle_kill(Domain *d, int reason, int detail);
void domain_lifecycle_complete(Domain *d, const GError *error);
/* Keeps job as the domain's recorded job (NULL: none) and writes the status file; false
 * when it could not be written. Takes ownership of job. */
struct DomainStatusJob;
bool domain_lifecycle_record_job(Domain *d, struct DomainStatusJob *job);

/* Releases runtime resources without touching QEMU (daemon exit). */
void domain_detach(Domain *d);
