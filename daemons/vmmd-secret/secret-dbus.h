/* The bus glue of vmmd-secret: the manager, internal and secret vtables, and the listener that turns model changes into signals. */
#pragma once

#include <systemd/sd-bus.h>

#include "bus-object.h"
#include "bus-util.h"
#include "manager.h"
#include "vmmd/secret1.h"

/* Everything on bus: the manager object (Manager and Internal), secret objects, the listener. */
int secret_bus_register(Manager *m, sd_bus *bus);
int secret_object_bus_register(Manager *m, sd_bus *bus);

char *secret_bus_path(const Secret *s);

/* Replies with a value: the reply is marked sensitive, so sd-bus clears it when freed (X9). */
int secret_reply_value(sd_bus_message *msg, const uint8_t *value, size_t len);
