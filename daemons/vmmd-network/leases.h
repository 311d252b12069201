/* A network's DHCP leases as the lease helper keeps them in BRIDGE.status (JSON), read by the daemon and written by the helper. */
#pragma once

#include <glib.h>
#include <stdint.h>

typedef struct {
        char *ip;
        char *mac;
        char *hostname;
        char *client_id;
        char *iaid;
        char *server_duid;
        int64_t expiry;          /* seconds since the epoch; 0 = never */
} VmmdLease;

void vmmd_lease_free(VmmdLease *l);

/* The leases in file (VmmdLease*, owned); empty when the file is missing or unreadable. */
GPtrArray *vmmd_leases_read(const char *file);
/* Writes them atomically, mode 0644. 0 or negative errno. */
int vmmd_leases_write(const char *file, const GPtrArray *leases);
