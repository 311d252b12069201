/* Save, restore and managed save of domains, and editing save images (spec domains.md C). */
#pragma once

#include <stdbool.h>

#include "domain.h"

typedef struct Manager Manager;

/* Save (file given) or ManagedSave (file NULL): the reply comes when QEMU is gone (C8, C16). */
bool domain_save(Domain *d, const char *file, const char *dxml, unsigned flags, DomainCall *call, GError **error);

struct DomainRestore;

/* What Create finds in the managed save image of d (C20, C21, C23): a restore and the live
 * definition from the image; both NULL when there is nothing to restore (no image, or an
 * incomplete one, which is removed). False with error for an image that cannot be used or
 * belongs to another domain; it is kept. */
bool domain_managed_save_open(Domain *d, unsigned flags, struct DomainRestore **ret_restore, DomainDef **ret_live,
                              GError **error);

/* DomainRestore (C26–C32): *ret_domain is the domain being restored (the call replies later). */
bool manager_restore(Manager *m, const char *file, const char *dxml, unsigned flags, DomainCall *call,
                     Domain **ret_domain, GError **error);

/* DomainSaveImageGetXMLDesc / DomainSaveImageDefineXML (C33–C36). */
char *save_image_get_xml(const char *file, bool secure, GError **error);
bool save_image_define_xml(Manager *m, const char *file, const char *dxml, unsigned flags, GError **error);

/* The Managed* methods (C18, C19). */
bool domain_managed_save_remove(Domain *d, GError **error);
char *domain_managed_save_get_xml(Domain *d, bool secure, GError **error);
bool domain_managed_save_define_xml(Domain *d, const char *dxml, unsigned flags, GError **error);

/* QEMU's MIGRATION event said a save's stream ended (completed, failed, cancelled). */
void domain_save_migration_ended(Domain *d);

/* QEMU went away during a save: drop the job and the partial image. */
void domain_save_abandon(Domain *d);

/* Re-attach found a save in the status file (the daemon died during it): cancel QEMU's
 * migration, remove the partial image, resume the guest if the save paused it. */
void domain_save_recover(Domain *d);
/* Removes the partial image a recorded save job names (only a name of the partial pattern). */
struct DomainStatusJob;
void domain_save_discard_partial(const struct DomainStatusJob *job);
