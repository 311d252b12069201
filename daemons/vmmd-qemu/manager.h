/* The vmmd-qemu manager: every known domain, the probed QEMUs, the daemon's directories. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

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

/* GetCapabilities: host arch, emulators, machine types with aliases. */
char *manager_capabilities_xml(Manager *m, GError **error);

void manager_add_domain(Manager *m, Domain *d);
void manager_remove_domain(Manager *m, Domain *d);   /* frees d */
void manager_rename_domain(Manager *m, Domain *d, const char *old_name);

/* Implemented by the bus glue: the model calls these to announce changes. */
void manager_emit_domain_event(Manager *m, Domain *d, int event, int detail);
void manager_emit_domain_added(Manager *m, Domain *d);
void manager_emit_domain_removed(Manager *m, Domain *d);
void manager_emit_domain_changed(Manager *m, Domain *d, const char *property, ...) G_GNUC_NULL_TERMINATED;
void manager_emit_domain_reboot(Manager *m, Domain *d);
struct Snapshot;
void manager_emit_snapshot_added(Manager *m, struct Snapshot *s);
void manager_emit_snapshot_removed(Manager *m, struct Snapshot *s);
void manager_emit_snapshot_changed(Manager *m, struct Snapshot *s, const char *property);

/* True while the daemon must not exit on idle: a domain is active (its QEMU's events
 * must be seen) or a job runs (spec E7). */
bool manager_is_busy(Manager *m);

/* Parses and completes a definition the way DomainDefineXML does (A.1 up to the
 * duplicate checks). */
DomainDef *manager_parse_domain(Manager *m, const char *xml, bool validate, GError **error);

/* DomainCreateXML (spec A.2): the domain to start with def, or NULL with error. */
Domain *manager_prepare_create(Manager *m, DomainDef *def, bool *ret_new, GError **error);
