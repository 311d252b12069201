/* Host resources a start picks for the live definition: graphics ports, listen addresses, channel socket paths. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "domain-conf.h"

typedef struct Manager Manager;

/* Fills the live definition in before the command line is built: a port for each VNC/SPICE
 * graphics with autoport (free on its listen address and not used by another active domain),
 * loopback for a listen without an address, a socket path under the run directory for each
 * unix character device without one (its directory is created). */
bool domain_pick_host_resources(Manager *m, DomainDef *live, GError **error);

/* After QEMU has gone: removes what domain_pick_host_resources created. */
void domain_release_host_resources(Manager *m, const DomainDef *live);

/* Iterates the graphics passwords to set over QMP: start with *index = 0; NULL when done. */
const char *domain_graphics_password(const DomainDef *def, const char **protocol, guint *index);
