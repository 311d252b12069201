/* The bus glue of vmmd-nwfilter: the manager, filter and binding vtables, and the listener that turns model changes into signals. */
#pragma once

#include <systemd/sd-bus.h>

#include "bus-object.h"
#include "bus-util.h"
#include "manager.h"
#include "vmmd/nwfilter1.h"

int nwfilter_bus_register(Manager *m, sd_bus *bus);
int nwfilter_object_bus_register(Manager *m, sd_bus *bus);
int binding_object_bus_register(Manager *m, sd_bus *bus);

char *nwfilter_bus_path(const NWFilter *f);
char *binding_bus_path(const Binding *b);

/* The late reply of a call that started a model job: the pending state to pass as the job's
 * userdata (binding: the object it makes is a binding), and the job's done function. */
void *nwfilter_bus_pending_new(sd_bus_message *msg, bool binding);
void nwfilter_bus_job_done(void *userdata, void *object, const GError *error);
