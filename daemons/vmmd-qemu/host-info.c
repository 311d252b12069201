/* Host facts libvirt clients ask for: CPU and memory topology, memory statistics, a QEMU's CPU time, QEMU's version in libvirt's numbering, domain capabilities. */
#include "host-info.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"

static int count_list(const char *list) {
        /* a sysfs CPU list: "0-3,8" */
        g_auto(GStrv) parts = g_strsplit(list, ",", -1);
        int n = 0;

        for (char **p = parts; *p; p++) {
                unsigned a, b;

                if (sscanf(*p, "%u-%u", &a, &b) == 2 && b >= a)
                        n += b - a + 1;
                else if (sscanf(*p, "%u", &a) == 1)
                        n++;
        }
        return n;
}

static uint64_t meminfo_field(const char *meminfo, const char *key) {
        const char *p = strstr(meminfo, key);

        return p ? g_ascii_strtoull(p + strlen(key), NULL, 10) : 0;
}

bool host_info_get(HostInfo *info, GError **error) {
        g_autofree char *meminfo = NULL, *cpuinfo = NULL, *siblings = NULL;
        g_autoptr(GHashTable) packages = g_hash_table_new(g_direct_hash, g_direct_equal);
        struct utsname u;
        int r;

        memset(info, 0, sizeof(*info));
        if (uname(&u) == 0)
                g_strlcpy(info->model, u.machine, sizeof(info->model));
        r = vmmd_read_file("/proc/meminfo", &meminfo, NULL);
        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot read %s", "/proc/meminfo");
                return false;
        }
        info->memory_kib = meminfo_field(meminfo, "MemTotal:");
        info->cpus = (int) sysconf(_SC_NPROCESSORS_ONLN);
        if (vmmd_read_file("/proc/cpuinfo", &cpuinfo, NULL) >= 0) {
                const char *p = strstr(cpuinfo, "cpu MHz");

                if (p && (p = strchr(p, ':')))
                        info->mhz = (int) g_ascii_strtod(p + 1, NULL);
        }
        info->threads = 1;
        if (vmmd_read_file("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list", &siblings, NULL) >= 0)
                info->threads = MAX(1, count_list(g_strstrip(siblings)));
        for (int cpu = 0; cpu < info->cpus; cpu++) {
                g_autofree char *path = g_strdup_printf("/sys/devices/system/cpu/cpu%d/topology/physical_package_id", cpu);
                g_autofree char *id = NULL;

                if (vmmd_read_file(path, &id, NULL) >= 0)
                        g_hash_table_add(packages, GINT_TO_POINTER(atoi(id) + 1));
        }
        info->nodes = 1;
        info->sockets = MAX(1, (int) g_hash_table_size(packages));
        info->cores = MAX(1, info->cpus / (info->sockets * info->threads));
        return true;
}

int host_memory_stats(HostMemoryStat stats[4], GError **error) {
        g_autofree char *meminfo = NULL;
        int r = vmmd_read_file("/proc/meminfo", &meminfo, NULL);

        if (r < 0) {
                vmmd_error_set_errno(error, r, "cannot read %s", "/proc/meminfo");
                return -1;
        }
        stats[0] = (HostMemoryStat) { "total", meminfo_field(meminfo, "MemTotal:") };
        stats[1] = (HostMemoryStat) { "free", meminfo_field(meminfo, "MemFree:") };
        stats[2] = (HostMemoryStat) { "buffers", meminfo_field(meminfo, "Buffers:") };
        stats[3] = (HostMemoryStat) { "cached", meminfo_field(meminfo, "\nCached:") };
        return 4;
}

uint64_t host_process_cpu_time_ns(pid_t pid) {
        g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int) pid);
        g_autofree char *stat = NULL;
        unsigned long long utime = 0, stime = 0;
        const char *p;
        long tick = sysconf(_SC_CLK_TCK);

        if (pid <= 0 || vmmd_read_file(path, &stat, NULL) < 0)
                return 0;
        /* the command name may hold spaces and parentheses: fields resume after the last ')' */
        p = strrchr(stat, ')');
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
                return 0;
        return (utime + stime) * (1000000000ull / (tick > 0 ? tick : 100));
}

uint64_t host_version_number(const char *version) {
        unsigned major = 0, minor = 0, micro = 0;

        if (!version || sscanf(version, "%u.%u.%u", &major, &minor, &micro) < 2)
                return 0;
        return major * 1000000ull + minor * 1000ull + micro;
}

#include "manager.h"
#include "qemu-caps.h"
#include "xml-util.h"

static const QemuCaps *caps_for(Manager *m, const char *emulator, const char *arch, GError **error) {
        g_autofree char *found = NULL;

        if (!emulator || !*emulator) {
                found = qemu_caps_find_emulator(arch && *arch ? arch : host_arch());
                if (!found) {
                        g_set_error(error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED, "no QEMU emulator for architecture %s",
                                    arch && *arch ? arch : host_arch());
                        return NULL;
                }
                emulator = found;
        }
        return manager_get_caps(m, emulator, error);
}

bool host_hypervisor_version(Manager *m, uint64_t *ret, GError **error) {
        const QemuCaps *caps = caps_for(m, NULL, NULL, error);

        if (!caps)
                return false;
        *ret = host_version_number(caps->version);
        return true;
}

char *host_domain_capabilities_xml(Manager *m, const char *emulator, const char *arch, const char *machine,
                                   const char *virttype, GError **error) {
        const QemuCaps *caps;
        const char *canonical;
        g_autoptr(GString) s = NULL;

        if (virttype && *virttype && !g_str_equal(virttype, "qemu") && !g_str_equal(virttype, "kvm")) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "unknown virttype: %s", virttype);
                return NULL;
        }
        caps = caps_for(m, emulator, arch, error);
        if (!caps)
                return NULL;
        canonical = qemu_caps_canonical_machine(caps, machine && *machine ? machine : caps->default_machine);
        if (!canonical) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "the QEMU binary %s does not support machine %s",
                            caps->emulator, machine);
                return NULL;
        }
        s = g_string_new("<domainCapabilities>\n  <path>");
        xml_escape_append(s, caps->emulator, false);
        g_string_append_printf(s, "</path>\n  <domain>%s</domain>\n  <machine>", virttype && *virttype ? virttype : "qemu");
        xml_escape_append(s, canonical, false);
        g_string_append(s, "</machine>\n  <arch>");
        xml_escape_append(s, caps->arch ? caps->arch : host_arch(), false);
        g_string_append(s, "</arch>\n"
                           "  <vcpu max='255'/>\n"
                           "  <iothreads supported='no'/>\n"
                           "  <os supported='yes'>\n"
                           "    <enum name='firmware'/>\n"
                           "    <loader supported='no'/>\n"
                           "  </os>\n"
                           "  <cpu>\n"
                           "    <mode name='host-passthrough' supported='no'/>\n"
                           "    <mode name='maximum' supported='no'/>\n"
                           "    <mode name='host-model' supported='no'/>\n"
                           "    <mode name='custom' supported='no'/>\n"
                           "  </cpu>\n"
                           "  <devices>\n"
                           "    <disk supported='yes'>\n"
                           "      <enum name='diskDevice'><value>disk</value><value>cdrom</value></enum>\n"
                           "      <enum name='bus'><value>virtio</value><value>ide</value><value>sata</value></enum>\n"
                           "    </disk>\n"
                           "    <graphics supported='yes'><enum name='type'><value>vnc</value></enum></graphics>\n"
                           "    <video supported='no'/>\n"
                           "    <hostdev supported='no'/>\n"
                           "  </devices>\n"
                           "  <features>\n"
                           "    <gic supported='no'/>\n"
                           "    <vmcoreinfo supported='no'/>\n"
                           "    <genid supported='no'/>\n"
                           "    <sev supported='no'/>\n"
                           "  </features>\n"
                           "</domainCapabilities>\n");
        return g_string_free(g_steal_pointer(&s), FALSE);
}
