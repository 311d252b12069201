/* The bus glue of vmmd-qemu: vtables for the manager and for domain objects. */
#pragma once

#include <systemd/sd-bus.h>

#include "manager.h"
#include "bus-object.h"
#include "vmmd/qemu1.h"

/* Everything on bus: the manager, domain and snapshot objects. */
int manager_bus_register(Manager *m, sd_bus *bus);
/* START_AUTODESTROY (A29): d is destroyed when the sender of msg leaves the bus. */
void manager_bus_track_autodestroy(Manager *m, Domain *d, sd_bus_message *msg);
int snapshot_bus_register(Manager *m, sd_bus *bus);
struct Snapshot;
char *snapshot_bus_path(const struct Snapshot *s);
/* Domain methods about snapshots (snapshot-dbus.c) */
int method_snapshot_create(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_snapshots(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_snapshot_lookup(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_snapshot_current(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int domain_bus_register(Manager *m, sd_bus *bus);

char *domain_bus_path(const Domain *d);
/* the entries of the daemon's own GetManagedObjects reply: every domain (the same properties as
 * GetAll) and its snapshots */
int domain_bus_append_all_managed(sd_bus_message *reply, Manager *m);
/* The replies of ListDomains (their paths) and ListDomainStates (path, name, uuid, state,
 * reason, id, persistent, autostart) for these domains, in their order. */
int domain_bus_reply_paths(sd_bus_message *msg, const GPtrArray *domains);
int domain_bus_reply_states(sd_bus_message *msg, const GPtrArray *domains);
/* the entry of each of d's snapshots */
int snapshot_bus_append_managed(sd_bus_message *reply, const Domain *d);
/* The domain a message's path names; NULL with NoDomain in error when unknown. */
Domain *domain_from_message(Manager *m, sd_bus_message *msg, sd_bus_error *error);

/* A DomainCall that replies to msg (with reply_path as 'o' when given) when the job ends. */
DomainCall *bus_call_new(sd_bus_message *msg, const char *reply_path);
void bus_call_free(DomainCall *call);
/* Sets (takes) the object path the reply carries. */
void bus_call_set_reply_path(DomainCall *call, char *path);

#include "bus-util.h"

/* vmmd_bus_check_flags, and SAVE_RUNNING with SAVE_PAUSED is InvalidArg naming both (spec C). */
int bus_check_save_flags(const char *method, uint32_t flags, uint32_t allowed, sd_bus_error *error);
/* spec 0.11: a non-empty absolute path */
int bus_check_file_arg(const char *method, const char *file, sd_bus_error *error);
