/* The passphrases of encrypted disks: asked from vmmd-secret at start, handed to QEMU in pipes (issue 14). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "domain-conf.h"

/* True when a disk of def has <encryption>, i.e. a start must fetch passphrases before argv. */
bool disk_secrets_needed(const DomainDef *def);

/* Called once: on success fds holds, per disk of def, the read end of a pipe that holds its
 * passphrase (and nothing else, its write end closed) or -1; the callee owns fds and its
 * descriptors (disk_secrets_close). On failure error names the disk, fds is NULL. */
typedef void (*DiskSecretsFunc)(const GError *error, GArray *fds, void *userdata);

/* Asks vmmd-secret (Internal.GetValue / GetValueByUsage, usage type volume) for the value of
 * every encrypted disk of def, one after the other, on bus's loop; def must live until done. */
void disk_secrets_fetch_async(sd_bus *bus, const DomainDef *def, DiskSecretsFunc done, void *userdata);

/* Closes every descriptor in fds and frees it. */
void disk_secrets_close(GArray *fds);

/* When QEMU's last words (tail of its log) say a LUKS passphrase did not fit, the error a
 * user should see, naming the disk and its secret; NULL otherwise. */
GError *disk_secrets_explain_failure(const DomainDef *def, const char *domain_name, const char *tail);
