/* The bus glue of vmmd-network: registration of the manager and network objects, and object paths. */
#pragma once

#include <systemd/sd-bus.h>

#include "network.h"

/* Everything on bus: the manager object, the network objects, and the model's listener. */
int network_bus_register(NetManager *m, sd_bus *bus);
char *network_bus_path(const Network *n);
