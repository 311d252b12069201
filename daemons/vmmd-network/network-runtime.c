/* A running network on the host: the bridge over rtnetlink, one nftables table per network loaded with `nft -f`, and dnsmasq. */
#include "network-runtime.h"
#include "network.h"
#include "error.h"
#include "fileio.h"
#include "log.h"
#include "netlink.h"
#include "process.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <pwd.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Bounds for the helper programs: both answer in milliseconds when healthy. */
#define NFT_TIMEOUT_MS 10000
#define DNSMASQ_TIMEOUT_MS 10000
/* A dnsmasq that dies while its network runs is started again, at most this many times a minute: one that
 * keeps dying (its port taken, its files broken) is left dead, and said so, rather than restarted forever. */
#define DNSMASQ_RESTARTS 5
#define DNSMASQ_RESTART_WINDOW_USEC (60 * G_USEC_PER_SEC)
#define DNSMASQ_RETRY_USEC (G_USEC_PER_SEC / 2)

static const char *bridge_of(const Network *n) {
        return n->def->bridge;
}

static char *dnsmasq_dir(const Network *n) {
        return g_build_filename(n->manager->paths->state_dir, "dnsmasq", NULL);
}

static char *dnsmasq_file(const Network *n, const char *stem, const char *suffix) {
        g_autofree char *dir = dnsmasq_dir(n);
        g_autofree char *base = g_strconcat(stem, suffix, NULL);
        return g_build_filename(dir, base, NULL);
}

static char *pid_file(const Network *n) {
        g_autofree char *base = g_strconcat(n->def->name, ".pid", NULL);
        return g_build_filename(n->manager->paths->run_dir, base, NULL);
}

/* --- sysctls (N9 steps 5 and 10) --- */

/* /proc/sys files cannot be renamed over: plain writes. */
static int set_sysctl(const char *path, const char *value) {
        FILE *f = fopen(path, "we");
        int r = 0;

        if (!f)
                return -errno;
        if (fputs(value, f) < 0)
                r = -errno;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        return r;
}

static void set_bridge_ipv6(const Network *n) {
        bool has_v6 = network_def_get_ip(n->def, AF_INET6) != NULL;
        const struct { const char *key, *value; } settings[] = {
                { "disable_ipv6", has_v6 ? "0" : "1" },
                { "accept_ra", "0" },
                { "autoconf", "0" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(settings); i++) {
                g_autofree char *path = g_strdup_printf("/proc/sys/net/ipv6/conf/%s/%s", bridge_of(n), settings[i].key);
                int r = set_sysctl(path, settings[i].value);

                /* a kernel without IPv6 has none of these: nothing to turn off */
                if (r < 0 && r != -ENOENT)
                        log_warning("cannot set %s: %s", path, g_strerror(-r));
        }
}

static bool enable_forwarding(const Network *n, GError **error) {
        if (n->def->forward == NETWORK_FORWARD_NONE)
                return true;
        if (network_def_get_ip(n->def, AF_INET)) {
                int r = set_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
                if (r < 0) {
                        vmmd_error_set_errno(error, r, "cannot enable IPv4 forwarding");
                        return false;
                }
        }
        if (network_def_get_ip(n->def, AF_INET6)) {
                int r = set_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1");
                if (r < 0) {
                        vmmd_error_set_errno(error, r, "cannot enable IPv6 forwarding");
                        return false;
                }
        }
        return true;
}

/* --- nftables (§8) --- */

/* One table per network, named after its bridge, so a network's rules are replaced or removed
 * in one transaction without touching any other network's or anybody else's. */
static char *nft_table(const Network *n) {
        GString *s = g_string_new("vmmd_");

        for (const char *c = bridge_of(n); *c; c++)
                g_string_append_c(s, g_ascii_isalnum(*c) ? *c : '_');
        return g_string_free(s, FALSE);
}

static char *subnet_of(const NetworkIpDef *ip) {
        NetworkAddr a;
        unsigned bits;

        network_addr_parse(ip->address, &a);
        bits = a.family == AF_INET ? 32 : 128;
        for (unsigned i = ip->prefix; i < bits; i++)
                a.bytes[i / 8] &= (unsigned char) ~(0x80 >> (i % 8));
        {
                char buf[64];

                inet_ntop(a.family, a.bytes, buf, sizeof(buf));
                return g_strdup_printf("%s/%u", buf, ip->prefix);
        }
}

static bool has_firewall(const Network *n) {
        return n->def->forward != NETWORK_FORWARD_OPEN;
}

/* The whole table: "create, delete, define" in one file is an atomic replace. */
static char *nft_ruleset(const Network *n) {
        g_autofree char *table = nft_table(n);
        const char *br = bridge_of(n);
        GString *s = g_string_new(NULL);
        GString *nat = g_string_new(NULL);

        g_string_append_printf(s, "table inet %s\ndelete table inet %s\ntable inet %s {\n", table, table, table);
        g_string_append(s, "\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n");
        for (guint i = 0; i < n->def->ips->len; i++) {
                const NetworkIpDef *ip = n->def->ips->pdata[i];
                g_autofree char *net = subnet_of(ip);
                NetworkAddr a;
                const char *fam;

                network_addr_parse(ip->address, &a);
                fam = a.family == AF_INET ? "ip" : "ip6";
                if (n->def->forward == NETWORK_FORWARD_NAT || n->def->forward == NETWORK_FORWARD_ROUTE)
                        g_string_append_printf(s, "\t\tiifname \"%s\" %s saddr %s accept\n", br, fam, net);
                if (n->def->forward == NETWORK_FORWARD_NAT)
                        g_string_append_printf(s, "\t\toifname \"%s\" %s daddr %s ct state related,established accept\n",
                                               br, fam, net);
                if (n->def->forward == NETWORK_FORWARD_ROUTE)
                        g_string_append_printf(s, "\t\toifname \"%s\" %s daddr %s accept\n", br, fam, net);
                if (n->def->forward == NETWORK_FORWARD_NAT && a.family == AF_INET) {
                        g_string_append_printf(nat, "\t\t%s saddr %s %s daddr 224.0.0.0/24 return\n", fam, net, fam);
                        g_string_append_printf(nat, "\t\t%s saddr %s %s daddr 255.255.255.255 return\n", fam, net, fam);
                        g_string_append_printf(nat, "\t\t%s saddr %s %s daddr != %s masquerade\n", fam, net, fam, net);
                }
        }
        /* guests on the same bridge reach each other; anything else in or out is refused */
        g_string_append_printf(s, "\t\tiifname \"%s\" oifname \"%s\" accept\n", br, br);
        g_string_append_printf(s, "\t\tiifname \"%s\" reject\n\t\toifname \"%s\" reject\n\t}\n", br, br);
        if (nat->len)
                g_string_append_printf(s, "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; "
                                       "policy accept;\n%s\t}\n", nat->str);
        g_string_append(s, "}\n");
        g_string_free(nat, TRUE);
        return g_string_free(s, FALSE);
}

static bool nft_apply(const Network *n, const char *ruleset, GError **error) {
        g_autofree char *base = g_strconcat(n->def->name, ".nft", NULL);
        g_autofree char *file = g_build_filename(n->manager->paths->run_dir, base, NULL);
        g_autofree char *err = NULL;
        const char *argv[] = { "nft", "-f", file, NULL };
        int r;

        r = vmmd_write_file_atomic(file, ruleset, strlen(ruleset), 0600);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot write %s", file);
                return false;
        }
        r = vmmd_process_run_sync(argv, NFT_TIMEOUT_MS, NULL, &err);
        (void) unlink(file);
        if (r != 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR, "nft refused the rules of network '%s': %s",
                            n->def->name, r < 0 ? g_strerror(-r) : g_strstrip(err ? err : g_strdup("")));
                return false;
        }
        return true;
}

static bool firewall_add(const Network *n, GError **error) {
        g_autofree char *ruleset = NULL;

        if (!has_firewall(n))
                return true;
        ruleset = nft_ruleset(n);
        return nft_apply(n, ruleset, error);
}

static void firewall_remove(const Network *n) {
        g_autofree char *table = nft_table(n);
        g_autofree char *ruleset = g_strdup_printf("table inet %s\ndelete table inet %s\n", table, table);
        g_autoptr(GError) error = NULL;

        if (has_firewall(n) && !nft_apply(n, ruleset, &error))
                log_warning("%s", error->message);
}

/* --- dnsmasq (§5.4) --- */

static bool needs_dnsmasq(const Network *n) {
        bool dhcp = false;

        if (n->def->ips->len == 0)
                return false;
        for (guint i = 0; i < n->def->ips->len; i++) {
                const NetworkIpDef *ip = n->def->ips->pdata[i];
                dhcp = dhcp || ip->ranges->len || ip->hosts->len || ip->tftp_root;
        }
        return dhcp || n->def->dns_enable != 2;
}

static char *netmask_string(unsigned prefix) {
        guint32 m = prefix ? htonl(0xffffffffu << (32 - prefix)) : 0;
        char buf[INET_ADDRSTRLEN];

        inet_ntop(AF_INET, &m, buf, sizeof(buf));
        return g_strdup(buf);
}

/* vmmd-leases-helper beside our own executable (the build tree and libexecdir alike), or NULL. */
static char *find_lease_helper(void) {
        g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
        g_autofree char *dir = self ? g_path_get_dirname(self) : NULL;
        g_autofree char *helper = dir ? g_build_filename(dir, "vmmd-leases-helper", NULL) : NULL;

        if (helper && access(helper, X_OK) == 0)
                return g_steal_pointer(&helper);
        log_warning("vmmd-leases-helper not found beside %s: GetDHCPLeases will see no leases", self ? self : "?");
        return NULL;
}

static char *dnsmasq_conf(const Network *n, const char *hostsfile, const char *addnhosts, const char *leasefile) {
        g_autofree char *lease_helper = find_lease_helper();
        GString *s = g_string_new("## generated by vmmd-network; overwritten at every start of the network\n");
        struct passwd *pw = getpwuid(geteuid());
        g_autofree char *pidf = pid_file(n);
        unsigned leases = 0;

        g_string_append_printf(s, "strict-order\npid-file=%s\n", pidf);
        /* told explicitly: started as root it would drop to nobody, who cannot read our files */
        g_string_append_printf(s, "user=%s\n", pw ? pw->pw_name : "root");
        g_string_append_printf(s, "except-interface=lo\nbind-dynamic\ninterface=%s\n", bridge_of(n));
        if (n->def->domain_name) {
                g_string_append_printf(s, "domain=%s\n", n->def->domain_name);
                if (n->def->domain_local_only == 1)
                        g_string_append_printf(s, "local=/%s/\n", n->def->domain_name);
        }
        if (n->def->dns_enable == 2)
                g_string_append(s, "port=0\n");
        if (n->def->forward == NETWORK_FORWARD_NONE)
                g_string_append(s, "dhcp-option=3\nno-resolv\nra-param=*,0,0\n");
        for (guint i = 0; i < n->def->dns_forwarders->len; i++) {
                const NetworkDnsForwarder *f = n->def->dns_forwarders->pdata[i];

                if (f->domain)
                        g_string_append_printf(s, "server=/%s/%s\n", f->domain, f->addr ? f->addr : "#");
                else
                        g_string_append_printf(s, "server=%s\n", f->addr);
        }
        for (guint i = 0; i < n->def->ips->len; i++) {
                const NetworkIpDef *ip = n->def->ips->pdata[i];
                NetworkAddr a;

                network_addr_parse(ip->address, &a);
                for (guint j = 0; j < ip->ranges->len; j++) {
                        const NetworkDhcpRange *r = ip->ranges->pdata[j];

                        if (a.family == AF_INET) {
                                g_autofree char *mask = netmask_string(ip->prefix);
                                g_string_append_printf(s, "dhcp-range=%s,%s,%s\n", r->start, r->end, mask);
                        } else
                                g_string_append_printf(s, "dhcp-range=%s,%s,%u\n", r->start, r->end, ip->prefix);
                        leases += 256;
                }
                if (a.family == AF_INET6 && ip->ranges->len == 0)
                        g_string_append_printf(s, "dhcp-range=%s,ra-only\n", ip->address);
                if (a.family == AF_INET6)
                        g_string_append(s, "enable-ra\n");
                if (ip->tftp_root)
                        g_string_append_printf(s, "enable-tftp\ntftp-root=%s\n", ip->tftp_root);
                if (ip->bootp_file)
                        g_string_append_printf(s, "dhcp-boot=%s%s%s\n", ip->bootp_file, ip->bootp_server ? ",," : "",
                                               ip->bootp_server ? ip->bootp_server : "");
        }
        if (leases)
                g_string_append_printf(s, "dhcp-no-override\ndhcp-authoritative\ndhcp-lease-max=%u\n", leases);
        g_string_append_printf(s, "dhcp-hostsfile=%s\naddn-hosts=%s\n", hostsfile, addnhosts);
        /* leases live in BRIDGE.status, kept by the helper (spec §7); without it, dnsmasq's own file */
        if (lease_helper)
                g_string_append_printf(s, "leasefile-ro\ndhcp-script=%s\n", lease_helper);
        else
                g_string_append_printf(s, "dhcp-leasefile=%s\n", leasefile);
        return g_string_free(s, FALSE);
}

static char *dnsmasq_hostsfile(const Network *n) {
        GString *s = g_string_new(NULL);

        for (guint i = 0; i < n->def->ips->len; i++) {
                const NetworkIpDef *ip = n->def->ips->pdata[i];
                NetworkAddr a;

                network_addr_parse(ip->address, &a);
                for (guint j = 0; j < ip->hosts->len; j++) {
                        const NetworkDhcpHost *h = ip->hosts->pdata[j];

                        g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func(g_free);
                        g_autofree char *line = NULL;

                        /* dnsmasq's dhcp-host syntax: [mac|id:ID],[name],ip ([ip] for IPv6) */
                        if (h->mac)
                                g_ptr_array_add(parts, g_strdup(h->mac));
                        if (h->id)
                                g_ptr_array_add(parts, g_strconcat("id:", h->id, NULL));
                        if (h->name)
                                g_ptr_array_add(parts, g_strdup(h->name));
                        g_ptr_array_add(parts, a.family == AF_INET ? g_strdup(h->ip) : g_strdup_printf("[%s]", h->ip));
                        g_ptr_array_add(parts, NULL);
                        line = g_strjoinv(",", (char **) parts->pdata);
                        g_string_append_printf(s, "%s\n", line);
                }
        }
        return g_string_free(s, FALSE);
}

static char *dnsmasq_addnhosts(const Network *n) {
        GString *s = g_string_new(NULL);

        for (guint i = 0; i < n->def->dns_hosts->len; i++) {
                const NetworkDnsHost *h = n->def->dns_hosts->pdata[i];
                g_autofree char *names = g_strjoinv(" ", h->hostnames);

                g_string_append_printf(s, "%s\t%s\n", h->ip, names);
        }
        return g_string_free(s, FALSE);
}

static bool dnsmasq_start(Network *n, GError **error);
static void dnsmasq_schedule_restart(Network *n, uint64_t delay_usec);

static int on_dnsmasq_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Network *n = userdata;
        g_autoptr(GError) error = NULL;

        n->dnsmasq_retry = sd_event_source_disable_unref(n->dnsmasq_retry);
        if (!n->active || n->dnsmasq)
                return 0;
        log_info("restarting dnsmasq of network '%s' (restart %u of at most %u a minute)", n->def->name,
                 n->dnsmasq_restarts, DNSMASQ_RESTARTS);
        if (dnsmasq_start(n, &error))
                log_info("dnsmasq of network '%s' runs again as pid %d", n->def->name, netrt_dnsmasq_pid(n));
        else {
                log_warning("%s", error->message);
                dnsmasq_schedule_restart(n, DNSMASQ_RETRY_USEC);
        }
        return 0;
}

/* The next restart, unless this minute's are used up. */
static void dnsmasq_schedule_restart(Network *n, uint64_t delay_usec) {
        uint64_t now = (uint64_t) g_get_monotonic_time();
        int r;

        if (n->dnsmasq_retry)
                return;
        if (now - n->dnsmasq_restarts_since > DNSMASQ_RESTART_WINDOW_USEC) {
                n->dnsmasq_restarts_since = now;
                n->dnsmasq_restarts = 0;
        }
        if (n->dnsmasq_restarts >= DNSMASQ_RESTARTS) {
                log_error("dnsmasq of network '%s' died %u times within a minute; not restarting it again: the "
                          "network has no DHCP or DNS until it is restarted", n->def->name, n->dnsmasq_restarts);
                return;
        }
        n->dnsmasq_restarts++;
        r = sd_event_add_time_relative(n->manager->event, &n->dnsmasq_retry, CLOCK_MONOTONIC, delay_usec, 0,
                                       on_dnsmasq_retry, n);
        if (r < 0)
                log_error("cannot schedule a restart of dnsmasq of network '%s': %s", n->def->name, g_strerror(-r));
}

static void on_dnsmasq_exit(VmmdPidWatch *w, int exit_code, void *userdata) {
        Network *n = userdata;

        log_warning("dnsmasq of network '%s' (pid %d) exited with status %d", n->def->name,
                    (int) vmmd_pid_watch_pid(w), exit_code);
        vmmd_pid_watch_free(n->dnsmasq);
        n->dnsmasq = NULL;
        /* a stop frees the watch before dnsmasq goes: this is a dnsmasq that died under a running network */
        if (n->active)
                dnsmasq_schedule_restart(n, 0);
}

/* The pid in the pid file when it is a live dnsmasq (N18), else 0. */
static pid_t read_dnsmasq_pid(const Network *n) {
        g_autofree char *file = pid_file(n);
        g_autofree char *data = NULL, *exe_link = NULL, *exe = NULL;
        gint64 pid;

        if (!g_file_get_contents(file, &data, NULL, NULL))
                return 0;
        pid = g_ascii_strtoll(g_strstrip(data), NULL, 10);
        if (pid <= 1 || pid > G_MAXINT)
                return 0;
        exe_link = g_strdup_printf("/proc/%d/exe", (int) pid);
        exe = g_file_read_link(exe_link, NULL);
        if (!exe || !g_str_has_suffix(exe, "/dnsmasq"))
                return 0;
        return (pid_t) pid;
}

static bool watch_dnsmasq(Network *n, pid_t pid, GError **error) {
        int r = vmmd_pid_watch_new(n->manager->event, pid, on_dnsmasq_exit, n, &n->dnsmasq);

        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot watch dnsmasq (pid %d)", (int) pid);
                return false;
        }
        return true;
}

static bool write_dnsmasq_files(Network *n, char **ret_conf, GError **error) {
        g_autofree char *dir = dnsmasq_dir(n);
        g_autofree char *conf_file = dnsmasq_file(n, n->def->name, ".conf");
        g_autofree char *hosts_file = dnsmasq_file(n, n->def->name, ".hostsfile");
        g_autofree char *addn_file = dnsmasq_file(n, n->def->name, ".addnhosts");
        g_autofree char *lease_file = dnsmasq_file(n, bridge_of(n), ".leases");
        g_autofree char *conf = dnsmasq_conf(n, hosts_file, addn_file, lease_file);
        g_autofree char *hosts = dnsmasq_hostsfile(n);
        g_autofree char *addn = dnsmasq_addnhosts(n);
        int r;

        r = vmmd_mkdir_p(dir, 0755);
        if (r >= 0)
                r = vmmd_write_file_atomic(hosts_file, hosts, strlen(hosts), 0644);
        if (r >= 0)
                r = vmmd_write_file_atomic(addn_file, addn, strlen(addn), 0644);
        if (r >= 0)
                r = vmmd_write_file_atomic(conf_file, conf, strlen(conf), 0600);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot write the dnsmasq files of network '%s' in %s", n->def->name, dir);
                return false;
        }
        *ret_conf = g_steal_pointer(&conf_file);
        return true;
}

static bool dnsmasq_start(Network *n, GError **error) {
        g_autofree char *conf = NULL, *conf_arg = NULL, *err = NULL, *pidf = pid_file(n);
        const char *argv[] = { "dnsmasq", NULL, NULL };
        pid_t pid;
        int r;

        if (!needs_dnsmasq(n))
                return true;
        if (!write_dnsmasq_files(n, &conf, error))
                return false;
        (void) unlink(pidf);
        conf_arg = g_strconcat("--conf-file=", conf, NULL);
        argv[1] = conf_arg;
        /* dnsmasq forks, and its parent exits once the daemon is ready (or with its error) */
        /* the lease helper's "init" runs before dnsmasq knows an interface: it finds the bridge
         * in the environment dnsmasq inherits (the daemon has no other threads to race with) */
        g_setenv("VMMD_BRIDGE_NAME", bridge_of(n), TRUE);
        r = vmmd_process_run_sync(argv, DNSMASQ_TIMEOUT_MS, NULL, &err);
        g_unsetenv("VMMD_BRIDGE_NAME");
        if (r != 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR, "cannot start dnsmasq for network '%s': %s",
                            n->def->name, r < 0 ? g_strerror(-r) : g_strstrip(err ? err : g_strdup("")));
                return false;
        }
        pid = read_dnsmasq_pid(n);
        if (!pid) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR, "dnsmasq of network '%s' wrote no pid to %s",
                            n->def->name, pidf);
                return false;
        }
        return watch_dnsmasq(n, pid, error);
}

/* SIGTERM, and SIGKILL when it is still there after the bridge is gone (N16 steps 1 and 4). */
static void dnsmasq_term(Network *n) {
        if (n->dnsmasq)
                (void) vmmd_pid_watch_kill(n->dnsmasq, SIGTERM);
}

static void dnsmasq_kill(Network *n) {
        g_autofree char *pidf = pid_file(n);

        n->dnsmasq_retry = sd_event_source_disable_unref(n->dnsmasq_retry);
        if (n->dnsmasq) {
                (void) vmmd_pid_watch_kill(n->dnsmasq, SIGKILL);
                vmmd_pid_watch_free(n->dnsmasq);
                n->dnsmasq = NULL;
        }
        (void) unlink(pidf);
}

/* --- start and stop --- */

static bool add_addresses(const Network *n, GError **error) {
        for (guint i = 0; i < n->def->ips->len; i++) {
                const NetworkIpDef *ip = n->def->ips->pdata[i];
                NetworkAddr a;
                int r;

                network_addr_parse(ip->address, &a);
                r = vmmd_netlink_addr_add(bridge_of(n), a.family, a.bytes, ip->prefix);
                if (r < 0) {
                        vmmd_error_set_errno(error, r, "cannot add address %s/%u to bridge '%s'", ip->address,
                                             ip->prefix, bridge_of(n));
                        return false;
                }
        }
        return true;
}

/* N11: a subnet some other interface already routes is taken. */
static bool check_route_collisions(const Network *n, GError **error) {
        for (guint i = 0; i < n->def->ips->len; i++) {
                const NetworkIpDef *ip = n->def->ips->pdata[i];
                g_autofree char *ifname = NULL;
                NetworkAddr a;
                int r;

                network_addr_parse(ip->address, &a);
                if (a.family != AF_INET)
                        continue;
                for (unsigned b = ip->prefix; b < 32; b++)
                        a.bytes[b / 8] &= (unsigned char) ~(0x80 >> (b % 8));
                r = vmmd_netlink_route_find(AF_INET, a.bytes, ip->prefix, &ifname);
                if (r < 0) {
                        vmmd_error_set_errno(error, r, "cannot read the routing table");
                        return false;
                }
                if (r > 0 && g_strcmp0(ifname, bridge_of(n)) != 0) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_OPERATION_FAILED,
                                    "Network is already in use by interface %s", ifname);
                        return false;
                }
        }
        return true;
}

bool netrt_start(Network *n, GError **error) {
        const char *br = bridge_of(n);
        bool bridge_made = false, rules_added = false;
        int r;

        if (!br || strchr(br, '%')) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INTERNAL_ERROR, "network '%s' has no bridge name",
                            n->def->name);
                return false;
        }
        if (!check_route_collisions(n, error))
                return false;
        r = vmmd_netlink_bridge_add(br, n->def->mac, n->def->mtu, n->def->stp != 2, n->def->delay * 100);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot create bridge '%s'", br);
                return false;
        }
        bridge_made = true;
        set_bridge_ipv6(n);
        if (!firewall_add(n, error))
                goto fail;
        rules_added = true;
        if (!add_addresses(n, error))
                goto fail;
        r = vmmd_netlink_link_set_up(br, true);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot set bridge '%s' up", br);
                goto fail;
        }
        if (!enable_forwarding(n, error) || !dnsmasq_start(n, error))
                goto fail;
        return true;
fail:
        dnsmasq_kill(n);
        if (rules_added)
                firewall_remove(n);
        if (bridge_made)
                (void) vmmd_netlink_link_del(br);
        return false;
}

void netrt_stop(Network *n) {
        int r;

        dnsmasq_term(n);
        (void) vmmd_netlink_link_set_up(bridge_of(n), false);
        r = vmmd_netlink_link_del(bridge_of(n));
        if (r < 0 && r != -ENODEV)
                log_warning("cannot delete bridge '%s': %s", bridge_of(n), g_strerror(-r));
        firewall_remove(n);
        dnsmasq_kill(n);
}

void netrt_reattach(Network *n) {
        g_autoptr(GError) error = NULL;
        pid_t pid;

        if (!firewall_add(n, &error)) {
                log_warning("%s", error->message);
                g_clear_error(&error);
        }
        pid = read_dnsmasq_pid(n);
        if (pid) {
                if (!watch_dnsmasq(n, pid, &error))
                        log_warning("%s", error->message);
                else
                        (void) vmmd_pid_watch_kill(n->dnsmasq, SIGHUP);   /* re-reads the hosts files */
                return;
        }
        if (!dnsmasq_start(n, &error))
                log_warning("%s", error->message);
}

/* Waits (bounded) until pid has exited, so that its sockets are free for the next dnsmasq. */
static void wait_exit(pid_t pid) {
        int fd = (int) syscall(SYS_pidfd_open, pid, 0);
        struct pollfd p;

        if (fd < 0)
                return;   /* already gone */
        p = (struct pollfd) { .fd = fd, .events = POLLIN };
        (void) poll(&p, 1, DNSMASQ_TIMEOUT_MS);
        close(fd);
}

bool netrt_update_dnsmasq(Network *n, int effect, GError **error) {
        g_autofree char *conf = NULL;
        pid_t old;

        if (effect == NETWORK_UPDATE_EFFECT_NONE)
                return true;
        if (effect == NETWORK_UPDATE_EFFECT_HOSTS && n->dnsmasq) {
                if (!write_dnsmasq_files(n, &conf, error))
                        return false;
                (void) vmmd_pid_watch_kill(n->dnsmasq, SIGHUP);
                return true;
        }
        old = n->dnsmasq ? vmmd_pid_watch_pid(n->dnsmasq) : 0;
        dnsmasq_kill(n);
        if (old > 0)
                wait_exit(old);
        return dnsmasq_start(n, error);
}

int netrt_dnsmasq_pid(const Network *n) {
        return n->dnsmasq ? (int) vmmd_pid_watch_pid(n->dnsmasq) : 0;
}

void netrt_forget(Network *n) {
        n->dnsmasq_retry = sd_event_source_disable_unref(n->dnsmasq_retry);
        vmmd_pid_watch_free(n->dnsmasq);
        n->dnsmasq = NULL;
}
