/* Network links and addresses through rtnetlink: bridges, veths' peers, addresses and link state, without running `ip`. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Every call talks to the kernel of the caller's network namespace and waits for its ack
 * (a kernel answer, never a process); the result is 0 or the kernel's negative errno. */

/* Creates bridge name (RTM_NEWLINK, kind "bridge", NLM_F_EXCL: -EEXIST when the name is
 * taken). mac: "aa:bb:cc:dd:ee:ff" or NULL; mtu 0: the default; stp and delay_cs (forward
 * delay in centiseconds, the kernel's unit) are set at creation. */
int vmmd_netlink_bridge_add(const char *name, const char *mac, unsigned mtu, bool stp, unsigned delay_cs);
/* Deletes a link by name; -ENODEV when there is none. */
int vmmd_netlink_link_del(const char *name);
/* Sets a link up or down. */
int vmmd_netlink_link_set_up(const char *name, bool up);
/* Sets the link's MAC ("aa:bb:cc:dd:ee:ff"). */
int vmmd_netlink_link_set_mac(const char *name, const char *mac);
/* Sets the link's MTU (IFLA_MTU). */
int vmmd_netlink_link_set_mtu(const char *name, unsigned mtu);
/* The link's MTU, or negative errno (-ENODEV when there is no such link). */
int vmmd_netlink_link_get_mtu(const char *name);
/* Enslaves link name to bridge master (IFLA_MASTER); master NULL frees it again. */
int vmmd_netlink_link_set_master(const char *name, const char *master);
/* Adds addr/prefix (family AF_INET or AF_INET6, bytes in network order) to the link; IPv4
 * gets its broadcast address too. */
int vmmd_netlink_addr_add(const char *name, int family, const unsigned char *addr, unsigned prefix);
/* 1 when a link of that name exists, 0 when not, negative errno on failure. */
int vmmd_netlink_link_exists(const char *name);
/* 1 when the link exists and is a bridge, 0 when not (or absent), negative errno on failure. */
int vmmd_netlink_link_is_bridge(const char *name);
/* The interface holding a route to exactly addr/prefix (family AF_INET or AF_INET6), in the
 * main table: 1 with its name in ret_ifname (g_free), 0 when there is none, negative errno. */
int vmmd_netlink_route_find(int family, const unsigned char *addr, unsigned prefix, char **ret_ifname);
