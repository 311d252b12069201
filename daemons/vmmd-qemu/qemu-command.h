/* Turns a live domain definition into a QEMU command line. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "domain-conf.h"

typedef struct QemuCommandOptions {
        int monitor_fd;          /* listening QMP socket passed to QEMU (fd number in the child) */
        bool kvm;                /* accel=kvm (checked usable by the caller) */
        /* per <interface>, the fd number of its tap in the child, -1 without one
         * (domain-net.c opens them); NULL: no taps */
        const int *net_fds;
        unsigned n_net_fds;
        /* per <disk>, the fd number in the child of the pipe holding the passphrase of its
         * <encryption>, -1 without one (domain-lifecycle.c gets them from vmmd-secret); NULL: none */
        const int *disk_secret_fds;
        unsigned n_disk_secret_fds;
} QemuCommandOptions;

/* The argument vector (argv[0] is the emulator), or NULL with CONFIG_UNSUPPORTED naming
 * what QEMU/vmmd cannot do here. */
GPtrArray *qemu_command_build(const DomainDef *def, const QemuCommandOptions *opts, GError **error);

/* One line, shell-quoted, for the log file. */
char *qemu_command_to_string(const GPtrArray *argv);
