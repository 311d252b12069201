/* Resolving <disk type='volume'> through vmmd-storage on the bus (spec storage.md §8). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "domain-conf.h"

/* For every volume disk of def (a live definition), asks vmmd-storage for the volume's
 * path and format and records them in def for the command line; the formatted XML keeps
 * the volume form. Errors are vmmd-storage's (NoStoragePool, NoStorageVol) or
 * ConfigUnsupported for an inactive pool or an unsupported pool type. */
bool storage_resolve_volumes(sd_bus *bus, DomainDef *def, GError **error);
