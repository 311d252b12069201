/* Private to domain-lifecycle.c and domain-start.c: what the start pipeline and the rest of the lifecycle share. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "domain.h"

/* In domain-lifecycle.c, for the start. */
bool domain_lifecycle_write_status(Domain *d);
/* Watches QEMU pid of d through a pidfd; its exit stops the domain. */
int domain_lifecycle_watch_qemu(Domain *d, pid_t pid);
/* Connects to d->run.monitor_path with the lifecycle's QMP event handlers. */
int domain_lifecycle_open_monitor(Domain *d);

/* In domain-start.c, for the rest of the lifecycle. */
/* The id a domain starting now gets: one more than the highest in use. */
int domain_next_id(Manager *m);
/* Asks QEMU which CPU the guest has, for save images and running snapshots to record. */
void domain_learn_cpu(Domain *d);
/* The start's cont took effect (QEMU's RESUME event or its reply): the domain runs and Create returns. */
void domain_start_cont_done(Domain *d);
/* QEMU's MIGRATION event ended a restore's stream: ask for its outcome now. */
void domain_restore_migration_ended(Domain *d);
