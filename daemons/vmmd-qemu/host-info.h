/* Host facts libvirt clients ask for: CPU and memory topology, memory statistics, a QEMU's CPU time, QEMU's version in libvirt's numbering, domain capabilities. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct HostInfo {
        char model[32];        /* the CPU architecture, as libvirt reports it */
        uint64_t memory_kib;
        int cpus, mhz, nodes, sockets, cores, threads;
} HostInfo;

bool host_info_get(HostInfo *info, GError **error);

typedef struct HostMemoryStat {
        const char *field;     /* "total", "free", "buffers", "cached" */
        uint64_t value_kib;
} HostMemoryStat;

/* /proc/meminfo's totals; returns the number filled (at most 4). */
int host_memory_stats(HostMemoryStat stats[4], GError **error);

/* user + system CPU time of a process in nanoseconds; 0 when it cannot be read */
uint64_t host_process_cpu_time_ns(pid_t pid);

/* "7.2.0" → 7002000 (major * 1000000 + minor * 1000 + micro); 0 when unparsable */
uint64_t host_version_number(const char *version);

struct Manager;
/* QEMU's version for the host architecture's emulator, in libvirt's numbering. */
bool host_hypervisor_version(struct Manager *m, uint64_t *ret, GError **error);
/* <domainCapabilities> for an emulator/arch/machine/virttype ("" = the host's default). */
char *host_domain_capabilities_xml(struct Manager *m, const char *emulator, const char *arch, const char *machine,
                                   const char *virttype, GError **error);
