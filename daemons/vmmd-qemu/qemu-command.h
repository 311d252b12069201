/* Turns a live domain definition into a QEMU command line. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "domain-conf.h"
#include "qemu-caps.h"

typedef struct QemuCommandOptions {
        int monitor_fd;          /* listening QMP socket passed to QEMU (fd number in the child) */
        bool kvm;                /* accel=kvm (checked usable by the caller) */
        /* per <interface>, the fd number of its tap in the child, -1 without one
         * (domain-net.c opens them); NULL: no taps */
        const int *net_fds;
        unsigned n_net_fds;
        /* the -cpu argument to use instead of the definition's: a restore or revert gives the
         * guest the CPU its save image or snapshot recorded (spec C3, D16); NULL: none */
        const char *cpu_arg;
        /* the emulator's probed capabilities: CPU model and feature names are checked against
         * them; NULL: taken as written */
        const QemuCaps *caps;
        /* <memoryBacking><source type='file'>: the directory QEMU makes the guest's RAM file in
         * (unlinked at once); NULL refuses that source */
        const char *memory_dir;
        /* the mount table searched for hugetlbfs; NULL: /proc/mounts */
        const char *mounts_file;
        /* where host PCI devices are listed (/sys/bus/pci/devices): a <hostdev type='pci'> must
         * be there and bound to vfio-pci; NULL: not checked (golden tests) */
        const char *host_pci_dir;
        /* per <disk>, the fd number in the child of the pipe holding the passphrase of its
         * <encryption>, -1 without one (domain-start.c gets them from vmmd-secret); NULL: none */
        const int *disk_secret_fds;
        unsigned n_disk_secret_fds;
} QemuCommandOptions;

/* The argument vector (argv[0] is the emulator), or NULL with CONFIG_UNSUPPORTED naming
 * what QEMU/vmmd cannot do here. */
GPtrArray *qemu_command_build(const DomainDef *def, const QemuCommandOptions *opts, GError **error);

/* The -cpu argument def gives QEMU; for an x86 definition that names no CPU, QEMU's default
 * model (qemu64, qemu32). NULL when def cannot be started or the default is not known. */
char *qemu_command_cpu_arg(const DomainDef *def, bool kvm);

/* One line, shell-quoted, for the log file. */
char *qemu_command_to_string(const GPtrArray *argv);
