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
typedef void (*StorageResolvedFunc)(const GError *error, void *userdata);

/* True when def has a volume disk, i.e. a start must resolve before it builds argv. */
bool storage_def_has_volumes(const DomainDef *def);

/* The same, asynchronously on the bus's event loop; done runs once (def is not owned and
 * must live until then). */
void storage_resolve_volumes_async(sd_bus *bus, DomainDef *def, StorageResolvedFunc done, void *userdata);
