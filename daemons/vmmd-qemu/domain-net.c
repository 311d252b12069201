/* Guest NICs on bridges: a tap per <interface type='bridge'> or type='network' (in its port's bridge), handed to QEMU. */
#include "domain-net.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "domain-def.h"
#include "error.h"
#include "fileio.h"
#include "netlink.h"
#include "tap.h"

void domain_net_close_taps(DomainNetTaps *fds) {
        vmmd_close_fd_array(fds);
}

/* One tap for net, up and in bridge: its name (the live <target dev>) and *ret_fd, or NULL with error set
 * (no tap left). Everything a tap needs before the guest runs happens here, so that what comes after it
 * (a filter binding) has the tap's name. */
static char *setup_tap(DomainNetDef *net, const char *bridge, int *ret_fd, GError **error) {
        g_autofree char *name = NULL;
        char tap_mac[sizeof(net->mac)];
        int fd, r;

        r = vmmd_netlink_link_is_bridge(bridge);
        if (r <= 0) {
                vmmd_error_set_errno(error, r < 0 ? r : -ENODEV, "interface %s: host bridge '%s' %s", net->mac,
                                     bridge, r < 0 ? "cannot be looked up" : "does not exist");
                return NULL;
        }
        fd = vmmd_tap_open("vnet%d", &name);
        if (fd < 0) {
                vmmd_error_set_errno(error, fd, "interface %s: cannot create a tap device", net->mac);
                return NULL;
        }
        /* the guest's MAC with 0xfe first: the host side never wins the bridge's own address
         * (a bridge takes the lowest MAC of its ports) nor looks like the guest */
        g_strlcpy(tap_mac, net->mac, sizeof(tap_mac));
        memcpy(tap_mac, "fe", 2);
        r = vmmd_netlink_link_set_mac(name, tap_mac);
        /* spec N28.3: the interface's <mtu>, or else the bridge's; set before the tap joins, so that a
         * smaller default never lowers the bridge's */
        if (r >= 0)
                r = net->mtu ? (int) net->mtu : vmmd_netlink_link_get_mtu(bridge);
        if (r >= 0)
                r = vmmd_netlink_link_set_mtu(name, (unsigned) r);
        if (r >= 0)
                r = vmmd_netlink_link_set_master(name, bridge);
        if (r >= 0)
                r = vmmd_netlink_link_set_up(name, true);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "interface %s: cannot set up tap '%s' for bridge '%s'", net->mac, name,
                                     bridge);
                close(fd);   /* not persistent: this removes it */
                return NULL;
        }
        *ret_fd = fd;
        return g_steal_pointer(&name);
}

bool domain_net_open_taps(DomainDef *live, DomainNetTaps **ret_fds, GError **error) {
        DomainNetTaps *fds = g_array_new(FALSE, FALSE, sizeof(int));

        for (guint i = 0; i < domain_list_len(live->nets); i++) {
                DomainNetDef *net = domain_list_at(live->nets, i);
                int fd = -1;

                /* a network NIC's bridge is its port's, which vmmd-network gave before this */
                if (net->type == DOMAIN_NET_TYPE_BRIDGE || net->type == DOMAIN_NET_TYPE_NETWORK) {
                        g_autofree char *tap = NULL;

                        if (!net->src_bridge) {
                                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INTERNAL_ERROR,
                                            "interface %s: network '%s' gave no bridge", net->mac, net->src_network);
                                domain_net_close_taps(fds);
                                return false;
                        }
                        tap = setup_tap(net, net->src_bridge, &fd, error);
                        if (!tap) {
                                domain_net_close_taps(fds);
                                return false;
                        }
                        g_free(net->target_dev);
                        net->target_dev = g_steal_pointer(&tap);
                }
                g_array_append_val(fds, fd);
        }
        *ret_fds = fds;
        return true;
}
