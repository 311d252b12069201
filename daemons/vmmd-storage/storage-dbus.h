/* The bus glue of vmmd-storage: names, paths, and the vtables of the manager, pools and volumes. */
#pragma once

#include <systemd/sd-bus.h>

#include "bus-util.h"
#include "manager.h"
#include "volume.h"

int manager_bus_register(Manager *m);
int pool_bus_register(Manager *m);
int volume_bus_register(Manager *m);

char *pool_bus_path(const Pool *p);
char *volume_bus_path(const Volume *v);

/* The pool or volume a message's path names; NULL with NoStoragePool / NoStorageVol. */
Pool *pool_from_message(Manager *m, sd_bus_message *msg, sd_bus_error *error);
Volume *volume_from_message(Manager *m, sd_bus_message *msg, sd_bus_error *error);
/* The volume an object path names (StorageVolCreateXMLFrom's source); NULL with InvalidArg
 * when it is not a volume path, NoStorageVol when there is no such volume. */
Volume *volume_from_path(Manager *m, const char *path, bool strict, sd_bus_error *error);


/* A VolumeDoneFunc userdata that replies to msg: with the new volume's path when there
 * is one, else empty. */
typedef struct BusReply BusReply;
BusReply *bus_reply_new(sd_bus_message *msg);
void bus_reply_free(BusReply *b);
void bus_reply_done(Volume *v, const GError *error, void *userdata);   /* replies and frees */
