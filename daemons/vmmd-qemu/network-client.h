/* Guest NICs on vmmd-network's networks: ports asked for and given back over the bus (spec network.md N28). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "domain-conf.h"

/* True when def has an <interface type='network'>, i.e. a start must get ports before it builds argv. */
bool network_def_has_networks(const DomainDef *def);

/* True when one of def's NICs has the port port_uuid. */
bool network_def_uses_port(const DomainDef *def, const char *port_uuid);

typedef void (*NetworkPortsFunc)(const GError *error, void *userdata);

/* For every <interface type='network'> of def (a live definition): NetworkLookupByName, CreatePort with the
 * domain as owner and the NIC's MAC, then the port's plug; records source/@portid and source/@bridge in def.
 * Each port is first written down under ports_dir (one file per port, named by its uuid) so that a daemon
 * that dies before the guest's status file names the port still finds and deletes it later
 * (network_ports_reclaim). Errors are vmmd-network's (NoNetwork; OperationInvalid for an inactive network)
 * or OperationFailed when it cannot be reached; then the ports already made are deleted again. done runs
 * once, on the bus's event loop; def must live until then. */
void network_ports_allocate_async(sd_bus *bus, const char *ports_dir, DomainDef *def, NetworkPortsFunc done,
                                  void *userdata);

/* Deletes the port of every network NIC of def that has one (Port.Delete; a network or port that is gone is
 * not an error) and clears its portid. done (may be NULL) runs once all deletes have been answered; a port
 * whose delete failed for another reason keeps its file under ports_dir for a later reclaim. */
void network_ports_release_async(sd_bus *bus, const char *ports_dir, DomainDef *def, void (*done)(void *userdata),
                                 void *userdata);

/* Deletes every port recorded under ports_dir whose uuid in_use() does not claim (a port whose guest is gone
 * or never got started). Called once the daemon has re-attached to its running guests. */
void network_ports_reclaim(sd_bus *bus, const char *ports_dir, bool (*in_use)(const char *port_uuid, void *userdata),
                           void *userdata);

/* At re-attach to a running guest (spec N28.6): for every network NIC of def with a port, LookupPortByUUID, and
 * when vmmd-network has lost the port, CreatePort(RECLAIM) with its uuid and the bridge its tap is in. Does not
 * wait; failures are logged (the guest keeps running). */
void network_ports_recheck_async(sd_bus *bus, const DomainDef *def);
