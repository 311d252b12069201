/* The vmmd-qemu manager: every known domain, the probed QEMUs, the daemon's directories. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "define-commit.h"
#include "domain-events.h"
#include "domain.h"
#include "paths.h"
#include "qemu-caps.h"

struct Manager {
        sd_event *event;
        sd_bus *bus;
        VmmdPaths *paths;
        char *save_dir;        /* managed save images NAME.save */
        char *snapshot_dir;    /* snapshot metadata NAME/SNAP.xml */
        GHashTable *domains;   /* uuid → Domain* (owned) */
        GHashTable *by_name;   /* name → Domain* (borrowed) */
        GHashTable *caps;      /* emulator path → QemuCaps* */
        const struct DomainListener *listener;   /* domain-events.h */
        DefineCommit *commit;  /* new domains' definition files, written by a worker thread */
        GHashTable *defining_names, *defining_uuids;   /* of new domains whose file is being written */
        GQueue *parked;        /* DefineRequest*: defines waiting for one of those writes */
        void *listener_data;
};

Manager *manager_new(VmmdPaths *paths);   /* takes paths */
void manager_free(Manager *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Manager, manager_free)

/* Loads every .xml file of <configDir>; a broken file is logged and skipped, never removed. */
void manager_load_domains(Manager *m);

Domain *manager_find_by_uuid(Manager *m, const char *uuid);
Domain *manager_find_by_name(Manager *m, const char *name);
Domain *manager_find_by_id(Manager *m, int id);

/* The QEMU for an emulator path, probed once (cached on disk). */
const QemuCaps *manager_get_caps(Manager *m, const char *emulator, GError **error);
/* The host's architecture in QEMU's naming (x86_64 …). */
const char *host_arch(void);

/* DomainDefineXML (spec A.1): *ret_added tells a new domain from an updated one. */
Domain *manager_define_xml(Manager *m, const char *xml, unsigned flags, bool *ret_added, GError **error);

/* The same, answered through done on the loop: a new domain's file is written by the
 * group-commit worker, and the domain joins the table only once it is on disk. A define
 * naming a domain whose file is being written waits for that write, so that it sees
 * the same table as one made after it. error is NULL on success. */
typedef void (*ManagerDefineDone)(Manager *m, Domain *d, bool added, GError *error, void *userdata);
void manager_define_xml_async(Manager *m, const char *xml, unsigned flags, ManagerDefineDone done, void *userdata);
/* True while a new domain of this name or uuid (either may be NULL) is being written. */
bool manager_is_defining(Manager *m, const char *name, const char *uuid);

/* GetCapabilities: host arch, emulators, machine types with aliases. */
char *manager_capabilities_xml(Manager *m, GError **error);

void manager_add_domain(Manager *m, Domain *d);
void manager_remove_domain(Manager *m, Domain *d);   /* frees d */
void manager_rename_domain(Manager *m, Domain *d, const char *old_name);

/* ListDomains (spec 0.13): the domains that pass the DOMAIN_LIST_* filters, by name. */
GPtrArray *manager_list_domains(Manager *m, unsigned flags);
/* The names of the domains with a managed save image (NAME.save in save_dir), from one read
 * of the directory: what domain_has_managed_save() says of each, for a list of all of them. */
GHashTable *manager_managed_save_names(Manager *m);

/* True while the daemon must not exit on idle: a domain is active (its QEMU's events
 * must be seen) or a job runs (spec E7). */
bool manager_is_busy(Manager *m);

/* Parses and completes a definition the way DomainDefineXML does (A.1 up to the
 * duplicate checks). */
DomainDef *manager_parse_domain(Manager *m, const char *xml, bool validate, GError **error);

/* DomainCreateXML (spec A.2): the domain to start with def, or NULL with error. */
Domain *manager_prepare_create(Manager *m, DomainDef *def, bool *ret_new, GError **error);
/* The same for DomainCreateXML (A27), which also refuses an inactive domain with a managed
 * save image, as libvirt does: booting it fresh would leave an image of older memory to be
 * restored over disks that moved on. */
Domain *manager_prepare_create_xml(Manager *m, DomainDef *def, bool *ret_new, GError **error);
