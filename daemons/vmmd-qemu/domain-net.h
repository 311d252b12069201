/* Guest NICs on host bridges: the taps vmmd-qemu makes for <interface type='bridge'>. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "domain-conf.h"

/* The first fd number QEMU gets its taps at (3 is the monitor). */
#define DOMAIN_NET_FIRST_CHILD_FD 4

/* For every <interface type='bridge'> of live, and every type='network' one (whose port gave its bridge,
 * network-client.h): checks that the bridge exists, opens a tap
 * (vnetN, with the guest's MAC but 0xfe first), puts it into the bridge and up, and records its name as the live
 * <target dev>. ret_fds gets one fd per interface (-1 for those without a tap; close them
 * with domain_net_close_taps once QEMU has its copies). The taps are not persistent: they
 * go away when QEMU, their last holder, exits, so nothing is left to clean after a stop,
 * a crash or a re-attach. The vmmd-nwfilter bindings of filtered NICs are the caller's next
 * step (nwfilter-client.h), once every tap is up. Errors (SystemError with the kernel's errno):
 * a bridge that is not there (ENODEV) or not a bridge, or a tap the kernel refuses; then no tap is left. */
typedef GArray DomainNetTaps;   /* of int */

bool domain_net_open_taps(DomainDef *live, DomainNetTaps **ret_fds, GError **error);

/* Closes the daemon's copies (QEMU's keep the taps alive) and frees fds. */
void domain_net_close_taps(DomainNetTaps *fds);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainNetTaps, domain_net_close_taps)
