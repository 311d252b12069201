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

/* --- helper programs, run on the event loop (one at a time per network) --- */

typedef void (*HelperDone)(Network *n, const GError *error, void *userdata);

struct NetrtHelper {
        Network *network;
        VmmdProcess *process;
        char *file;        /* removed once the run is over (nft's ruleset) */
        char *what;        /* how its error message starts */
        HelperDone done;
        void *userdata;
};

static void helper_free(NetrtHelper *h) {
        if (h->file)
                (void) unlink(h->file);
        vmmd_process_free(h->process);
        g_free(h->file);
        g_free(h->what);
        g_free(h);
}

/* A run in flight goes away without telling anyone (a stop, the daemon's exit). */
static void helper_cancel(Network *n) {
        g_clear_pointer(&n->helper, helper_free);
}

static void on_helper_exit(VmmdProcess *p, int code, const char *out, const char *err, void *userdata) {
        NetrtHelper *h = userdata;
        Network *n = h->network;
        HelperDone done = h->done;
        void *done_data = h->userdata;
        g_autoptr(GError) e = NULL;

        if (code != 0)
                e = g_error_new(VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR, "%s: %s", h->what,
                                code == -ETIMEDOUT ? "it did not finish in time" : *err ? err :
                                code < 0 ? "killed by a signal" : "it failed without a message");
        n->helper = NULL;
        helper_free(h);
        done(n, e, done_data);
}

/* Runs argv bounded by timeout_ms; done gets SystemError starting with what (taken) when it fails. */
static void helper_run(Network *n, const char *const *argv, unsigned timeout_ms, char *file, char *what,
                       HelperDone done, void *userdata) {
        NetrtHelper *h = g_new0(NetrtHelper, 1);
        int r;

        g_assert(!n->helper);
        h->network = n;
        h->file = file;
        h->what = what;
        h->done = done;
        h->userdata = userdata;
        if (n->manager->sync_helpers) {
                /* the daemon's start, before its loop serves calls: the first call finds the work done */
                g_autofree char *out = NULL, *err = NULL;

                r = vmmd_process_run_sync(argv, timeout_ms, &out, &err);
                if (r >= 0 || r == -ETIMEDOUT) {
                        n->helper = h;
                        on_helper_exit(NULL, r, out ? out : "", err ? g_strstrip(err) : "", h);
                        return;
                }
        } else
                r = vmmd_process_run(n->manager->event, argv, (uint64_t) timeout_ms * 1000, on_helper_exit, h, &h->process);
        if (r < 0) {
                g_autoptr(GError) e = NULL;

                vmmd_error_set_errno(&e, r, "%s", what);
                helper_free(h);
                done(n, e, userdata);
                return;
        }
        n->helper = h;
}

static void nft_apply(Network *n, const char *ruleset, HelperDone done, void *userdata) {
        g_autofree char *base = g_strconcat(n->def->name, ".nft", NULL);
        char *file = g_build_filename(n->manager->paths->run_dir, base, NULL);
        const char *argv[] = { "nft", "-f", file, NULL };
        int r;

        r = vmmd_write_file_atomic(file, ruleset, strlen(ruleset), 0600);
        if (r < 0) {
                g_autoptr(GError) e = NULL;

                vmmd_error_set_errno(&e, r, "cannot write %s", file);
                g_free(file);
                done(n, e, userdata);
                return;
        }
        helper_run(n, argv, NFT_TIMEOUT_MS, file, g_strdup_printf("nft refused the rules of network '%s'", n->def->name),
                   done, userdata);
}

static void firewall_add(Network *n, HelperDone done, void *userdata) {
        g_autofree char *ruleset = NULL;

        if (!has_firewall(n)) {
                done(n, NULL, userdata);
                return;
        }
        ruleset = nft_ruleset(n);
        nft_apply(n, ruleset, done, userdata);
}

typedef struct {
        HelperDone done;
        void *userdata;
} Then;

static void on_firewall_removed(Network *n, const GError *error, void *userdata) {
        Then t = *(Then *) userdata;

        g_free(userdata);
        if (error)
                log_warning("%s", error->message);
        t.done(n, NULL, t.userdata);
}

/* Never fails: a table that will not go is logged. */
static void firewall_remove(Network *n, HelperDone done, void *userdata) {
        g_autofree char *table = nft_table(n);
        g_autofree char *ruleset = g_strdup_printf("table inet %s\ndelete table inet %s\n", table, table);
        Then *t;

        if (!has_firewall(n)) {
                done(n, NULL, userdata);
                return;
        }
        t = g_new0(Then, 1);
        t->done = done;
        t->userdata = userdata;
        nft_apply(n, ruleset, on_firewall_removed, t);
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

static void dnsmasq_start(Network *n, HelperDone done, void *userdata);
static void dnsmasq_schedule_restart(Network *n, uint64_t delay_usec);

static void on_dnsmasq_restarted(Network *n, const GError *error, void *userdata) {
        if (!error) {
                log_info("dnsmasq of network '%s' runs again as pid %d", n->def->name, netrt_dnsmasq_pid(n));
                return;
        }
        log_warning("%s", error->message);
        dnsmasq_schedule_restart(n, DNSMASQ_RETRY_USEC);
}

static int on_dnsmasq_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Network *n = userdata;

        n->dnsmasq_retry = sd_event_source_disable_unref(n->dnsmasq_retry);
        if (!n->active || n->dnsmasq)
                return 0;
        if (n->helper || n->busy) {
                /* a start, stop or update of the network is under way: it decides, then we look again */
                n->dnsmasq_restarts--;
                dnsmasq_schedule_restart(n, DNSMASQ_RETRY_USEC);
                return 0;
        }
        log_info("restarting dnsmasq of network '%s' (restart %u of at most %u a minute)", n->def->name,
                 n->dnsmasq_restarts, DNSMASQ_RESTARTS);
        dnsmasq_start(n, on_dnsmasq_restarted, NULL);
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
        /* a start, stop or update decides about dnsmasq itself: only one that died under a running network
         * with nothing under way is restarted */
        if (n->active && !n->busy)
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

typedef struct {
        HelperDone done;
        void *userdata;
} DnsmasqStart;

/* dnsmasq forked and its parent exited once the daemon was ready (or with its error) */
static void on_dnsmasq_parent_exit(Network *n, const GError *error, void *userdata) {
        DnsmasqStart ds = *(DnsmasqStart *) userdata;
        g_autoptr(GError) e = NULL;
        g_autofree char *pidf = pid_file(n);
        pid_t pid;

        g_free(userdata);
        if (error) {
                ds.done(n, error, ds.userdata);
                return;
        }
        pid = read_dnsmasq_pid(n);
        if (!pid)
                g_set_error(&e, VMMD_ERROR, VMMD_ERROR_SYSTEM_ERROR, "dnsmasq of network '%s' wrote no pid to %s",
                            n->def->name, pidf);
        else
                (void) watch_dnsmasq(n, pid, &e);
        ds.done(n, e, ds.userdata);
}

static void dnsmasq_start(Network *n, HelperDone done, void *userdata) {
        g_autofree char *conf = NULL, *conf_arg = NULL, *pidf = pid_file(n);
        g_autoptr(GError) e = NULL;
        const char *argv[] = { "dnsmasq", NULL, NULL };
        DnsmasqStart *ds;

        if (!needs_dnsmasq(n)) {
                done(n, NULL, userdata);
                return;
        }
        if (!write_dnsmasq_files(n, &conf, &e)) {
                done(n, e, userdata);
                return;
        }
        (void) unlink(pidf);
        conf_arg = g_strconcat("--conf-file=", conf, NULL);
        argv[1] = conf_arg;
        ds = g_new0(DnsmasqStart, 1);
        ds->done = done;
        ds->userdata = userdata;
        /* the lease helper's "init" runs before dnsmasq knows an interface: it finds the bridge
         * in the environment dnsmasq inherits (the fork happens inside helper_run, and the daemon
         * has no other threads to race with) */
        g_setenv("VMMD_BRIDGE_NAME", bridge_of(n), TRUE);
        helper_run(n, argv, DNSMASQ_TIMEOUT_MS, NULL,
                   g_strdup_printf("cannot start dnsmasq for network '%s'", n->def->name), on_dnsmasq_parent_exit, ds);
        g_unsetenv("VMMD_BRIDGE_NAME");
}

/* SIGTERM, and SIGKILL when it is still there after the bridge is gone (N16 steps 1 and 4). */
static void dnsmasq_term(Network *n) {
        if (n->dnsmasq)
                (void) vmmd_pid_watch_kill(n->dnsmasq, SIGTERM);
}

static void dnsmasq_kill(Network *n) {
        g_autofree char *pidf = pid_file(n);
        pid_t orphan;

        n->dnsmasq_retry = sd_event_source_disable_unref(n->dnsmasq_retry);
        if (n->helper) {
                /* a restart in flight: its dnsmasq may already have written its pid */
                helper_cancel(n);
                orphan = read_dnsmasq_pid(n);
                if (orphan > 0 && (!n->dnsmasq || vmmd_pid_watch_pid(n->dnsmasq) != orphan))
                        (void) kill(orphan, SIGKILL);
        }
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

/* --- start, stop, re-attach, update: one job at a time per network (the model keeps it so) --- */

typedef struct {
        Network *network;
        NetrtDoneFunc done;
        void *userdata;
        bool rules_added;
        GError *error;
} Job;

static Job *job_new(Network *n, NetrtDoneFunc done, void *userdata) {
        Job *j = g_new0(Job, 1);

        j->network = n;
        j->done = done;
        j->userdata = userdata;
        return j;
}

static void job_finish(Job *j, const GError *error) {
        if (j->done)
                j->done(j->network, error, j->userdata);
        g_clear_error(&j->error);
        g_free(j);
}

static void on_start_undone(Network *n, const GError *unused, void *userdata) {
        Job *j = userdata;

        job_finish(j, j->error);
}

/* N10: whatever the start did goes again, then the caller hears why */
static void start_fail(Job *j, const GError *error) {
        Network *n = j->network;

        j->error = g_error_copy(error);
        dnsmasq_kill(n);
        (void) vmmd_netlink_link_del(bridge_of(n));
        if (j->rules_added)
                firewall_remove(n, on_start_undone, j);
        else
                on_start_undone(n, NULL, j);
}

static void on_start_dnsmasq(Network *n, const GError *error, void *userdata) {
        if (error)
                start_fail(userdata, error);
        else
                job_finish(userdata, NULL);
}

static void on_start_rules(Network *n, const GError *error, void *userdata) {
        Job *j = userdata;
        g_autoptr(GError) e = NULL;
        int r;

        if (error) {
                start_fail(j, error);
                return;
        }
        j->rules_added = true;
        if (!add_addresses(n, &e)) {
                start_fail(j, e);
                return;
        }
        r = vmmd_netlink_link_set_up(bridge_of(n), true);
        if (r < 0) {
                vmmd_error_set_errno(&e, r, "cannot set bridge '%s' up", bridge_of(n));
                start_fail(j, e);
                return;
        }
        if (!enable_forwarding(n, &e)) {
                start_fail(j, e);
                return;
        }
        dnsmasq_start(n, on_start_dnsmasq, j);
}

void netrt_start(Network *n, NetrtDoneFunc done, void *userdata) {
        const char *br = bridge_of(n);
        g_autoptr(GError) e = NULL;
        Job *j = job_new(n, done, userdata);
        int r;

        if (!br || strchr(br, '%')) {
                g_set_error(&e, VMMD_ERROR, VMMD_ERROR_INTERNAL_ERROR, "network '%s' has no bridge name", n->def->name);
                job_finish(j, e);
                return;
        }
        if (!check_route_collisions(n, &e)) {
                job_finish(j, e);
                return;
        }
        r = vmmd_netlink_bridge_add(br, n->def->mac, n->def->mtu, n->def->stp != 2, n->def->delay * 100);
        if (r < 0) {
                vmmd_error_set_errno(&e, r, "cannot create bridge '%s'", br);
                job_finish(j, e);
                return;
        }
        set_bridge_ipv6(n);
        firewall_add(n, on_start_rules, j);
}

static void on_stop_rules(Network *n, const GError *unused, void *userdata) {
        dnsmasq_kill(n);
        job_finish(userdata, NULL);
}

void netrt_stop(Network *n, NetrtDoneFunc done, void *userdata) {
        int r;

        dnsmasq_term(n);
        (void) vmmd_netlink_link_set_up(bridge_of(n), false);
        r = vmmd_netlink_link_del(bridge_of(n));
        if (r < 0 && r != -ENODEV)
                log_warning("cannot delete bridge '%s': %s", bridge_of(n), g_strerror(-r));
        if (n->helper) {
                /* a dnsmasq restart in flight: nft runs next, and only one helper at a time */
                dnsmasq_kill(n);
        }
        firewall_remove(n, on_stop_rules, job_new(n, done, userdata));
}

static void on_reattach_dnsmasq(Network *n, const GError *error, void *userdata) {
        if (error)
                log_warning("%s", error->message);
        job_finish(userdata, NULL);
}

static void on_reattach_rules(Network *n, const GError *error, void *userdata) {
        pid_t pid;

        if (error)
                log_warning("%s", error->message);
        pid = read_dnsmasq_pid(n);
        if (pid) {
                g_autoptr(GError) e = NULL;

                if (!watch_dnsmasq(n, pid, &e))
                        log_warning("%s", e->message);
                else
                        (void) vmmd_pid_watch_kill(n->dnsmasq, SIGHUP);   /* re-reads the hosts files */
                job_finish(userdata, NULL);
                return;
        }
        dnsmasq_start(n, on_reattach_dnsmasq, userdata);
}

void netrt_reattach(Network *n, NetrtDoneFunc done, void *userdata) {
        firewall_add(n, on_reattach_rules, job_new(n, done, userdata));
}

static void on_start_dnsmasq_update(Network *n, const GError *error, void *userdata) {
        job_finish(userdata, error);
}

static void on_update_old_gone(VmmdPidWatch *w, int exit_code, void *userdata) {
        Job *j = userdata;

        vmmd_pid_watch_free(w);
        dnsmasq_start(j->network, on_start_dnsmasq_update, j);
}

void netrt_update_dnsmasq(Network *n, int effect, NetrtDoneFunc done, void *userdata) {
        g_autoptr(GError) e = NULL;
        g_autofree char *conf = NULL;
        Job *j = job_new(n, done, userdata);
        VmmdPidWatch *old = NULL;
        pid_t pid;
        int r;

        if (effect == NETWORK_UPDATE_EFFECT_NONE) {
                job_finish(j, NULL);
                return;
        }
        if (effect == NETWORK_UPDATE_EFFECT_HOSTS && n->dnsmasq) {
                if (write_dnsmasq_files(n, &conf, &e))
                        (void) vmmd_pid_watch_kill(n->dnsmasq, SIGHUP);
                job_finish(j, e);
                return;
        }
        /* a new dnsmasq once the old one is gone, so that its sockets are free */
        pid = n->dnsmasq ? vmmd_pid_watch_pid(n->dnsmasq) : 0;
        if (pid > 0 && vmmd_pid_watch_kill(n->dnsmasq, SIGKILL) >= 0 &&
            (r = vmmd_pid_watch_new(n->manager->event, pid, on_update_old_gone, j, &old)) >= 0) {
                dnsmasq_kill(n);   /* forgets the old watch (and a restart in flight) */
                return;
        }
        dnsmasq_kill(n);
        dnsmasq_start(n, on_start_dnsmasq_update, j);
}

int netrt_dnsmasq_pid(const Network *n) {
        return n->dnsmasq ? (int) vmmd_pid_watch_pid(n->dnsmasq) : 0;
}

void netrt_forget(Network *n) {
        helper_cancel(n);
        n->dnsmasq_retry = sd_event_source_disable_unref(n->dnsmasq_retry);
        vmmd_pid_watch_free(n->dnsmasq);
        n->dnsmasq = NULL;
}
