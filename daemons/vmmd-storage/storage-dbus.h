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

/* The pool or volume a message's path names; NULL with NoStoragePool / NoStorageVol. */
Pool *pool_from_message(Manager *m, sd_bus_message *msg, sd_bus_error *error);
Volume *volume_from_message(Manager *m, sd_bus_message *msg, sd_bus_error *error);
/* The volume an object path names (StorageVolCreateXMLFrom's source); NULL with InvalidArg
 * when it is not a volume path, NoStorageVol when there is no such volume. */
Volume *volume_from_path(Manager *m, const char *path, bool strict, sd_bus_error *error);

/* A VolumeDoneFunc whose userdata is a VmmdPendingReply: replies with the new volume's path
 * when there is one, else empty. */
void volume_done_reply(Volume *v, const GError *error, void *userdata);
