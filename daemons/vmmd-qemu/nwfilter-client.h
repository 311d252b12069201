/* Guest NICs with a <filterref>: their bindings in vmmd-nwfilter, asked over the bus (spec nwfilter.md §10). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "domain-conf.h"

typedef void (*NWFilterBindFunc)(const GError *error, void *userdata);

/* Whether def has a NIC whose tap needs a binding (a <filterref> and a <target dev>). */
bool nwfilter_client_has_filters(const DomainDef *def);

/* For every NIC of live (a live definition whose taps are up, named by their <target dev>)
 * with a <filterref>: NWFilterBindingCreateXML with the domain as owner, the tap as portdev,
 * the guest MAC and the filterref's parameters as written (§10.1), one after the other.
 * done runs (from the event loop, not inside this call, unless it cannot even be scheduled) once every binding is made, or at the first
 * failure with vmmd-nwfilter's error, after the bindings made so far were deleted again.
 * The caller starts the guest only from done without error: its rules must be in force first.
 * live must stay alive until done ran. */
void nwfilter_client_bind_async(sd_bus *bus, const DomainDef *live, NWFilterBindFunc done, void *userdata);

/* At guest stop: deletes the binding of every filtered NIC's tap, without waiting; a binding
 * that is not there is no error (§10.2). */
void nwfilter_client_unbind_async(sd_bus *bus, const DomainDef *def);

/* At re-attach to a running guest: creates the binding of every filtered NIC's tap again, in
 * case it is missing; one that exists stays as it is (§10.3). Does not wait. */
void nwfilter_client_rebind_async(sd_bus *bus, const DomainDef *def);
