/* What a running network is on the host: its bridge, addresses, nftables table and dnsmasq (spec network N9–N18). */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef struct Network Network;

/* Each step that runs a helper program (nft, dnsmasq) runs it on the event loop; done is called once, from the
 * loop or before the function returns. The model keeps one job per network at a time. */
typedef void (*NetrtDoneFunc)(Network *n, const GError *error, void *userdata);

/* N9 steps 2–11 for a network with its own bridge; on failure everything done is undone before done (N10). */
void netrt_start(Network *n, NetrtDoneFunc done, void *userdata);
/* N16 steps 1–4: dnsmasq, the bridge, the rules. Never fails: what is gone is gone. */
void netrt_stop(Network *n, NetrtDoneFunc done, void *userdata);
/* N18 for a network found active at daemon start: dnsmasq re-found through its pid file (or
 * started again), the rules applied again in one transaction. Never fails (logged). */
void netrt_reattach(Network *n, NetrtDoneFunc done, void *userdata);
/* After a live update: the dnsmasq files written again, then SIGHUP (EFFECT_HOSTS: the same dnsmasq re-reads
 * its hosts) or a new dnsmasq once the old one is gone (EFFECT_RESTART). SystemError when it cannot start. */
void netrt_update_dnsmasq(Network *n, int effect, NetrtDoneFunc done, void *userdata);
/* The dnsmasq pid of a running network, 0 when none. */
int netrt_dnsmasq_pid(const Network *n);
/* Frees the runtime part of n without touching the host (daemon exit); a helper in flight is dropped. */
void netrt_forget(Network *n);
