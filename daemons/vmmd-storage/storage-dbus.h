/* The bus glue of vmmd-storage: the vtables of the manager, pools and volumes, and the listener that turns model changes into signals. */
#pragma once

#include <systemd/sd-bus.h>

#include "bus-object.h"
#include "bus-util.h"
#include "manager.h"
#include "volume.h"
#include "vmmd/storage1.h"

/* Everything on bus: the manager object, pool and volume objects, and the model's listener. */
int storage_bus_register(Manager *m, sd_bus *bus);
int pool_bus_register(Manager *m, sd_bus *bus);
int volume_bus_register(Manager *m, sd_bus *bus);

char *pool_bus_path(const Pool *p);
char *volume_bus_path(const Volume *v);
/* The same, owned by the object (made on first use) */
const char *pool_object_path(const Pool *p);
const char *volume_object_path(const Volume *v);

/* An object's entry of the daemon's own GetManagedObjects reply (the properties GetAll gives). */
int pool_bus_append_managed(sd_bus_message *reply, const Pool *p);
int volume_bus_append_managed(sd_bus_message *reply, const Volume *v);
/* InterfacesAdded for v, whose object path is path. */
int volume_bus_emit_added(sd_bus *bus, const Volume *v, const char *path);

/* Between these two, the InterfacesAdded/Removed of volumes are kept back (in order) and then
 * sent: a pool start or refresh announces its volumes after its reply and its pool signals. */
void storage_bus_hold_volume_signals(Manager *m);
void storage_bus_send_held_volume_signals(Manager *m);

/* The pool a message's path names; NULL with NoStoragePool. (A volume's methods get the
 * volume itself as userdata from the object lookup.) */
Pool *pool_from_message(Manager *m, sd_bus_message *msg, sd_bus_error *error);
/* The volume an object path names (StorageVolCreateXMLFrom's source); NULL with InvalidArg
 * when it is not a volume path, NoStorageVol when there is no such volume. */
Volume *volume_from_path(Manager *m, const char *path, bool strict, sd_bus_error *error);

/* A VolumeDoneFunc whose userdata is a VmmdPendingReply: replies with the new volume's path
 * when there is one, else empty. */
void volume_done_reply(Volume *v, const GError *error, void *userdata);
