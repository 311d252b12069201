/* Guest NICs on host bridges: a tap per <interface type='bridge'>, in its bridge, handed to QEMU. */
#include "domain-net.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "domain-conf-priv.h"
#include "error.h"
#include "fileio.h"
#include "netlink.h"
#include "tap.h"

void domain_net_close_taps(DomainNetTaps *fds) {
        vmmd_close_fd_array(fds);
}

/* One tap for net, up and in its bridge: its fd, or -1 with error set (no tap left). */
static int open_tap(DomainNetDef *net, GError **error) {
        g_autofree char *name = NULL;
        char tap_mac[sizeof(net->mac)];
        int fd, r;

        r = vmmd_netlink_link_is_bridge(net->src_bridge);
        if (r <= 0) {
                vmmd_error_set_errno(error, r < 0 ? r : -ENODEV, "interface %s: host bridge '%s' %s", net->mac,
                                     net->src_bridge, r < 0 ? "cannot be looked up" : "does not exist");
                return -1;
        }
        fd = vmmd_tap_open("vnet%d", &name);
        if (fd < 0) {
                vmmd_error_set_errno(error, fd, "interface %s: cannot create a tap device", net->mac);
                return -1;
        }
        /* the guest's MAC with 0xfe first: the host side never wins the bridge's own address
         * (a bridge takes the lowest MAC of its ports) nor looks like the guest */
        g_strlcpy(tap_mac, net->mac, sizeof(tap_mac));
        memcpy(tap_mac, "fe", 2);
        r = vmmd_netlink_link_set_mac(name, tap_mac);
        if (r >= 0)
                r = vmmd_netlink_link_set_master(name, net->src_bridge);
        if (r >= 0)
                r = vmmd_netlink_link_set_up(name, true);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "interface %s: cannot set up tap '%s' for bridge '%s'", net->mac, name,
                                     net->src_bridge);
                close(fd);   /* not persistent: this removes it */
                return -1;
        }
        g_free(net->target_dev);
        net->target_dev = g_steal_pointer(&name);
        return fd;
}

bool domain_net_open_taps(DomainDef *live, DomainNetTaps **ret_fds, GError **error) {
        DomainNetTaps *fds = g_array_new(FALSE, FALSE, sizeof(int));

        for (guint i = 0; i < live->nets->len; i++) {
                DomainNetDef *net = g_ptr_array_index(live->nets, i);
                int fd = -1;

                if (net->type == DOMAIN_NET_TYPE_BRIDGE) {
                        fd = open_tap(net, error);
                        if (fd < 0) {
                                domain_net_close_taps(fds);
                                return false;
                        }
                }
                g_array_append_val(fds, fd);
        }
        *ret_fds = fds;
        return true;
}
