/* What a running network is on the host: its bridge, addresses, nftables table and dnsmasq (spec network N9–N18). */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef struct Network Network;

/* N9 steps 2–11 for a network with its own bridge; on failure everything done is undone (N10). */
bool netrt_start(Network *n, GError **error);
/* N16 steps 1–4: dnsmasq, the bridge, the rules. Never fails: what is gone is gone. */
void netrt_stop(Network *n);
/* N18 for a network found active at daemon start: dnsmasq re-found through its pid file (or
 * started again), the rules applied again in one transaction. */
void netrt_reattach(Network *n);
/* After a live update: the dnsmasq files written again, then SIGHUP (EFFECT_HOSTS: the same dnsmasq re-reads
 * its hosts) or a new dnsmasq (EFFECT_RESTART). SystemError when the new one cannot start. */
bool netrt_update_dnsmasq(Network *n, int effect, GError **error);
/* The dnsmasq pid of a running network, 0 when none. */
int netrt_dnsmasq_pid(const Network *n);
/* Frees the runtime part of n without touching the host (daemon exit). */
void netrt_forget(Network *n);
