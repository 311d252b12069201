/* Tap devices for guest NICs through /dev/net/tun (TUNSETIFF). */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <glib.h>

int vmmd_tap_open(const char *name_template, char **ret_name) {
        struct ifreq ifr = { 0 };
        int fd, err;

        if (!name_template || strlen(name_template) >= IFNAMSIZ)
                return -EINVAL;
        fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* IFF_VNET_HDR lets QEMU's virtio-net pass offloads through; no packet-info header */
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
        g_strlcpy(ifr.ifr_name, name_template, sizeof(ifr.ifr_name));
        if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
                err = -errno;
                close(fd);
                return err;
        }
        if (ret_name)
                *ret_name = g_strndup(ifr.ifr_name, IFNAMSIZ);
        return fd;
}
