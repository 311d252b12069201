/* The runtime status file of an active domain (spec F7): state, QEMU pid, monitor, fake-reboot mark, live XML. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

#include "domain-conf.h"

typedef struct DomainStatus {
        int state, reason;
        pid_t pid;
        int id;
        char *monitor;
        bool fake_reboot;
        bool persistent;
        bool autodestroy;
        DomainDef *def;          /* the live definition */
} DomainStatus;

void domain_status_free(DomainStatus *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainStatus, domain_status_free)

char *domain_status_format(const DomainStatus *st);
DomainStatus *domain_status_parse(const char *xml, GError **error);
