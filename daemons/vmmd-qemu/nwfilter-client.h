/* Guest NICs with a <filterref>: their bindings in vmmd-nwfilter, asked over the bus (spec nwfilter.md §10). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "domain-conf.h"

/* For every NIC of live (a live definition whose taps are up, named by their <target dev>)
 * with a <filterref>: NWFilterBindingCreateXML with the domain as owner, the tap as portdev,
 * the guest MAC and the filterref's parameters as written (§10.1). The call waits for the
 * answer (bounded), because the guest must not run before its rules are in force. On any
 * failure the bindings made so far are deleted again and error holds vmmd-nwfilter's error. */
bool nwfilter_client_bind(sd_bus *bus, const DomainDef *live, GError **error);

/* At guest stop: deletes the binding of every filtered NIC's tap, without waiting; a binding
 * that is not there is no error (§10.2). */
void nwfilter_client_unbind_async(sd_bus *bus, const DomainDef *def);

/* At re-attach to a running guest: creates the binding of every filtered NIC's tap again, in
 * case it is missing; one that exists stays as it is (§10.3). Does not wait. */
void nwfilter_client_rebind_async(sd_bus *bus, const DomainDef *def);
