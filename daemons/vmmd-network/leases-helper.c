/* vmmd-leases-helper: dnsmasq's dhcp-script, keeping a network's leases in BRIDGE.status as JSON (spec network §7). */
#include "fileio.h"
#include "leases.h"
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

static const char *env_or_empty(const char *name) {
        const char *v = g_getenv(name);
        return v ? v : "";
}

static int usage(void) {
        fprintf(stderr, "usage: vmmd-leases-helper add|old|del|init [MAC IP [HOSTNAME]]\n");
        return 2;
}

int main(int argc, char **argv) {
        const char *action = argc > 1 ? argv[1] : NULL;
        const char *bridge = g_getenv("DNSMASQ_INTERFACE");
        g_autoptr(VmmdPaths) paths = vmmd_paths_new("network", geteuid() != 0, g_getenv("VMMD_ROOT"));
        g_autofree char *dir = g_build_filename(paths->state_dir, "dnsmasq", NULL);
        g_autofree char *status = NULL, *lock_path = NULL;
        g_autoptr(GPtrArray) leases = NULL;
        int lock_fd, r;

        if (!action)
                return usage();
        if (!bridge || !*bridge)
                bridge = g_getenv("VMMD_BRIDGE_NAME");
        if (!bridge || !*bridge || strchr(bridge, '/')) {
                fprintf(stderr, "vmmd-leases-helper: no bridge (DNSMASQ_INTERFACE or VMMD_BRIDGE_NAME)\n");
                return 1;
        }
        status = g_strdup_printf("%s/%s.status", dir, bridge);
        lock_path = g_strdup_printf("%s/%s.status.lock", dir, bridge);
        if (vmmd_mkdir_p(dir, 0755) < 0)
                return 1;
        /* one run at a time: dnsmasq may start several */
        lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (lock_fd < 0 || flock(lock_fd, LOCK_EX) < 0) {
                fprintf(stderr, "vmmd-leases-helper: cannot lock %s: %s\n", lock_path, g_strerror(errno));
                return 1;
        }
        leases = vmmd_leases_read(status);
        if (g_str_equal(action, "init")) {
                /* dnsmasq's lease-file format, so it keeps its leases across restarts */
                for (guint i = 0; i < leases->len; i++) {
                        VmmdLease *l = leases->pdata[i];

                        if (strchr(l->ip, ':'))
                                continue;
                        printf("%lld %s %s %s %s\n", (long long) l->expiry, l->mac, l->ip,
                               *l->hostname ? l->hostname : "*", *l->client_id ? l->client_id : "*");
                }
                return 0;
        }
        if (argc < 4 || (!g_str_equal(action, "add") && !g_str_equal(action, "old") && !g_str_equal(action, "del")))
                return usage();
        {
                const char *ip = argv[3];
                bool v6 = strchr(ip, ':') != NULL;
                const char *mac = v6 ? env_or_empty("DNSMASQ_MAC") : argv[2];

                for (guint i = 0; i < leases->len; i++)
                        if (g_str_equal(((VmmdLease *) leases->pdata[i])->ip, ip))
                                g_ptr_array_remove_index(leases, i--);
                /* an IPv6 lease with no known MAC is not stored */
                if (!g_str_equal(action, "del") && *mac) {
                        VmmdLease *l = g_new0(VmmdLease, 1);

                        l->ip = g_strdup(ip);
                        l->mac = g_ascii_strdown(mac, -1);
                        l->hostname = g_strdup(argc > 4 ? argv[4] : env_or_empty("DNSMASQ_SUPPLIED_HOSTNAME"));
                        l->client_id = g_strdup(v6 ? argv[2] : env_or_empty("DNSMASQ_CLIENT_ID"));
                        l->iaid = g_strdup(env_or_empty("DNSMASQ_IAID"));
                        l->server_duid = g_strdup(env_or_empty("DNSMASQ_SERVER_DUID"));
                        l->expiry = g_ascii_strtoll(env_or_empty("DNSMASQ_LEASE_EXPIRES"), NULL, 10);
                        g_ptr_array_add(leases, l);
                }
        }
        r = vmmd_leases_write(status, leases);
        if (r < 0) {
                fprintf(stderr, "vmmd-leases-helper: cannot write %s: %s\n", status, g_strerror(-r));
                return 1;
        }
        return 0;
}
