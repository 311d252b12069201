/* Network links and addresses through rtnetlink: one request, one ack, in the caller's network namespace. */
#include "netlink.h"

#include <errno.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/ether.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

/* Enough for any request built here (names, a MAC, a few nested attributes). */
#define REQUEST_SIZE 1024

typedef struct {
        struct nlmsghdr *hdr;
        char buf[REQUEST_SIZE];
} Request;

static void *request_init(Request *r, uint16_t type, uint16_t flags, size_t body) {
        memset(r, 0, sizeof(*r));
        r->hdr = (struct nlmsghdr *) r->buf;
        r->hdr->nlmsg_len = NLMSG_LENGTH(body);
        r->hdr->nlmsg_type = type;
        r->hdr->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        return NLMSG_DATA(r->hdr);
}

static struct rtattr *attr_add(Request *r, uint16_t type, const void *data, size_t len) {
        size_t off = NLMSG_ALIGN(r->hdr->nlmsg_len);
        struct rtattr *a = (struct rtattr *) (r->buf + off);

        g_assert(off + RTA_SPACE(len) <= sizeof(r->buf));
        a->rta_type = type;
        a->rta_len = RTA_LENGTH(len);
        if (len)
                memcpy(RTA_DATA(a), data, len);
        r->hdr->nlmsg_len = off + RTA_SPACE(len);
        return a;
}

static void attr_nest_end(Request *r, struct rtattr *nest) {
        nest->rta_len = (char *) r->buf + r->hdr->nlmsg_len - (char *) nest;
}

/* Sends the request and reads until its ack (or error). For RTM_GETLINK, *ret_reply gets the
 * first answer (g_free it). */
static int transact(Request *r, void **ret_reply) {
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        char buf[16384];
        int fd, err = -EIO;
        bool done = false;

        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0)
                return -errno;
        r->hdr->nlmsg_seq = 1;
        if (sendto(fd, r->buf, r->hdr->nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof(kernel)) < 0) {
                err = -errno;
                close(fd);
                return err;
        }
        while (!done) {
                ssize_t n = recv(fd, buf, sizeof(buf), 0);
                int len;

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        err = -errno;
                        break;
                }
                len = (int) n;
                for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                struct nlmsgerr *e = NLMSG_DATA(h);

                                err = e->error;   /* 0 is the ack */
                                done = true;
                                break;
                        }
                        if (ret_reply && !*ret_reply)
                                *ret_reply = g_memdup2(h, h->nlmsg_len);
                }
                if (n == 0)
                        break;
        }
        close(fd);
        return err;
}

static int link_index(const char *name) {
        unsigned idx = if_nametoindex(name);

        return idx ? (int) idx : -ENODEV;
}

int vmmd_netlink_bridge_add(const char *name, const char *mac, unsigned mtu, bool stp, unsigned delay_cs) {
        Request r;
        struct ifinfomsg *ifi = request_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifi));
        struct rtattr *linkinfo, *data;
        uint32_t stp_state = stp ? 1 : 0, delay = delay_cs;

        ifi->ifi_family = AF_UNSPEC;
        if (strlen(name) >= IFNAMSIZ)
                return -EINVAL;
        attr_add(&r, IFLA_IFNAME, name, strlen(name) + 1);
        if (mac) {
                struct ether_addr ea;

                if (!ether_aton_r(mac, &ea))
                        return -EINVAL;
                attr_add(&r, IFLA_ADDRESS, &ea, sizeof(ea));
        }
        if (mtu) {
                uint32_t m = mtu;

                attr_add(&r, IFLA_MTU, &m, sizeof(m));
        }
        linkinfo = attr_add(&r, IFLA_LINKINFO, NULL, 0);
        attr_add(&r, IFLA_INFO_KIND, "bridge", strlen("bridge"));
        data = attr_add(&r, IFLA_INFO_DATA, NULL, 0);
        attr_add(&r, IFLA_BR_FORWARD_DELAY, &delay, sizeof(delay));
        attr_add(&r, IFLA_BR_STP_STATE, &stp_state, sizeof(stp_state));
        attr_nest_end(&r, data);
        attr_nest_end(&r, linkinfo);
        return transact(&r, NULL);
}

int vmmd_netlink_link_del(const char *name) {
        Request r;
        struct ifinfomsg *ifi = request_init(&r, RTM_DELLINK, 0, sizeof(*ifi));
        int idx = link_index(name);

        if (idx < 0)
                return idx;
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = idx;
        return transact(&r, NULL);
}

int vmmd_netlink_link_set_up(const char *name, bool up) {
        Request r;
        struct ifinfomsg *ifi = request_init(&r, RTM_NEWLINK, 0, sizeof(*ifi));
        int idx = link_index(name);

        if (idx < 0)
                return idx;
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = idx;
        ifi->ifi_flags = up ? IFF_UP : 0;
        ifi->ifi_change = IFF_UP;
        return transact(&r, NULL);
}

int vmmd_netlink_link_set_mac(const char *name, const char *mac) {
        Request r;
        struct ifinfomsg *ifi = request_init(&r, RTM_NEWLINK, 0, sizeof(*ifi));
        int idx = link_index(name);
        struct ether_addr ea;

        if (idx < 0)
                return idx;
        if (!mac || !ether_aton_r(mac, &ea))
                return -EINVAL;
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = idx;
        attr_add(&r, IFLA_ADDRESS, &ea, sizeof(ea));
        return transact(&r, NULL);
}

int vmmd_netlink_link_set_mtu(const char *name, unsigned mtu) {
        Request r;
        struct ifinfomsg *ifi = request_init(&r, RTM_NEWLINK, 0, sizeof(*ifi));
        int idx = link_index(name);
        uint32_t m = mtu;

        if (idx < 0)
                return idx;
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = idx;
        attr_add(&r, IFLA_MTU, &m, sizeof(m));
        return transact(&r, NULL);
}

int vmmd_netlink_link_get_mtu(const char *name) {
        struct ifreq ifr = { 0 };
        int fd, r;

        /* an ioctl on a socket of this namespace: /sys/class/net may be another namespace's */
        if (strlen(name) >= IFNAMSIZ)
                return -EINVAL;
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        g_strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
        r = ioctl(fd, SIOCGIFMTU, &ifr) < 0 ? -errno : ifr.ifr_mtu;
        close(fd);
        return r;
}

int vmmd_netlink_link_set_master(const char *name, const char *master) {
        Request r;
        struct ifinfomsg *ifi = request_init(&r, RTM_NEWLINK, 0, sizeof(*ifi));
        int idx = link_index(name), master_idx = 0;
        uint32_t m;

        if (idx < 0)
                return idx;
        if (master) {
                master_idx = link_index(master);
                if (master_idx < 0)
                        return master_idx;
        }
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = idx;
        m = (uint32_t) master_idx;   /* 0 takes the link out of its bridge */
        attr_add(&r, IFLA_MASTER, &m, sizeof(m));
        return transact(&r, NULL);
}

int vmmd_netlink_addr_add(const char *name, int family, const unsigned char *addr, unsigned prefix) {
        Request r;
        struct ifaddrmsg *ifa = request_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
        size_t len = family == AF_INET ? 4 : 16;
        int idx = link_index(name);

        if (idx < 0)
                return idx;
        if ((family != AF_INET && family != AF_INET6) || prefix > len * 8)
                return -EINVAL;
        ifa->ifa_family = family;
        ifa->ifa_prefixlen = prefix;
        ifa->ifa_index = idx;
        ifa->ifa_scope = RT_SCOPE_UNIVERSE;
        attr_add(&r, IFA_LOCAL, addr, len);
        attr_add(&r, IFA_ADDRESS, addr, len);
        if (family == AF_INET && prefix < 31) {
                unsigned char bcast[4];

                for (unsigned i = 0; i < 4; i++) {
                        unsigned bits = prefix > i * 8 ? MIN(prefix - i * 8, 8u) : 0;
                        unsigned char host_mask = (unsigned char) (0xff >> bits);

                        bcast[i] = addr[i] | host_mask;
                }
                attr_add(&r, IFA_BROADCAST, bcast, 4);
        }
        return transact(&r, NULL);
}

int vmmd_netlink_link_exists(const char *name) {
        return if_nametoindex(name) ? 1 : (errno == ENODEV || errno == ENXIO ? 0 : -errno);
}

int vmmd_netlink_link_is_bridge(const char *name) {
        Request r;
        struct ifinfomsg *ifi = request_init(&r, RTM_GETLINK, 0, sizeof(*ifi));
        g_autofree void *reply = NULL;
        struct nlmsghdr *h;
        struct rtattr *a;
        int len, idx = link_index(name), err;

        if (idx < 0)
                return 0;
        ifi->ifi_family = AF_UNSPEC;
        ifi->ifi_index = idx;
        err = transact(&r, &reply);
        if (err < 0 && err != -EIO)
                return err;
        if (!reply)
                return 0;
        h = reply;
        if (h->nlmsg_type != RTM_NEWLINK)
                return 0;
        len = IFLA_PAYLOAD(h);
        for (a = IFLA_RTA(NLMSG_DATA(h)); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
                struct rtattr *i;
                int ilen;

                if (a->rta_type != IFLA_LINKINFO)
                        continue;
                ilen = RTA_PAYLOAD(a);
                for (i = RTA_DATA(a); RTA_OK(i, ilen); i = RTA_NEXT(i, ilen))
                        if (i->rta_type == IFLA_INFO_KIND && RTA_PAYLOAD(i) >= 6 &&
                            memcmp(RTA_DATA(i), "bridge", 6) == 0)
                                return 1;
        }
        return 0;
}

int vmmd_netlink_route_find(int family, const unsigned char *addr, unsigned prefix, char **ret_ifname) {
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        size_t alen = family == AF_INET ? 4 : 16;
        Request r;
        struct rtmsg *rtm = request_init(&r, RTM_GETROUTE, NLM_F_DUMP, sizeof(*rtm));
        char buf[32768];
        int fd, result = 0;
        bool done = false;

        rtm->rtm_family = family;
        r.hdr->nlmsg_flags &= ~NLM_F_ACK;
        fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0)
                return -errno;
        r.hdr->nlmsg_seq = 1;
        if (sendto(fd, r.buf, r.hdr->nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof(kernel)) < 0) {
                result = -errno;
                close(fd);
                return result;
        }
        /* the whole dump is read even after a match, so the socket is left clean */
        while (!done) {
                ssize_t n = recv(fd, buf, sizeof(buf), 0);
                int len;

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        result = -errno;
                        break;
                }
                if (n == 0)
                        break;
                len = (int) n;
                for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
                        struct rtmsg *m;
                        struct rtattr *a;
                        const unsigned char *dst = NULL;
                        int oif = 0, alen_left;

                        if (h->nlmsg_type == NLMSG_DONE) {
                                done = true;
                                break;
                        }
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                struct nlmsgerr *e = NLMSG_DATA(h);
                                if (e->error < 0 && result == 0)
                                        result = e->error;
                                done = true;
                                break;
                        }
                        if (h->nlmsg_type != RTM_NEWROUTE || result != 0)
                                continue;
                        m = NLMSG_DATA(h);
                        if (m->rtm_family != family || m->rtm_dst_len != prefix || m->rtm_table != RT_TABLE_MAIN)
                                continue;
                        alen_left = RTM_PAYLOAD(h);
                        for (a = RTM_RTA(m); RTA_OK(a, alen_left); a = RTA_NEXT(a, alen_left)) {
                                if (a->rta_type == RTA_DST && RTA_PAYLOAD(a) == alen)
                                        dst = RTA_DATA(a);
                                else if (a->rta_type == RTA_OIF)
                                        oif = *(int *) RTA_DATA(a);
                        }
                        if (!dst || !oif || memcmp(dst, addr, alen) != 0)
                                continue;
                        {
                                char name[IF_NAMESIZE];

                                if (if_indextoname((unsigned) oif, name)) {
                                        *ret_ifname = g_strdup(name);
                                        result = 1;
                                }
                        }
                }
        }
        close(fd);
        return result;
}
