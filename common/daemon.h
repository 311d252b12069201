/* What every daemon's main() does, once: options, log, paths, the single-instance lock, the bus runtime,
 * load → register → start → serve, and "autostart once per boot". */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-runtime.h"
#include "paths.h"

typedef struct VmmdDaemon {
        const char *name;        /* "vmmd-storage": the log identifier and messages */
        const char *summary;     /* the --help line */
        const char *driver;      /* "storage": the driver directory under /etc/vmmd, /run/vmmd, … */
        /* The well-known name to own; NULL for a daemon that owns none (a bus client serving
         * sockets): it exits when idle without a name to release. */
        const char *bus_name;
        bool pid_lock;           /* take <run_dir>/driver.pid; a second instance exits touching nothing */
        /* The daemon's own command-line options beside the common ones (NULL-terminated, may be
         * NULL); create() finds the common ones in rt->opts. */
        const GOptionEntry *options;

        /* Builds the model on paths (taken). rt->event is the loop; rt->bus the connection, for
         * a model that is itself a client of another daemon. NULL with error stops the daemon. */
        void *(*create)(VmmdPaths *paths, const VmmdRuntime *rt, GError **error);
        /* Reads the state on disk, before anything is on the bus (may be NULL). */
        void (*load)(void *model);
        /* Registers the glue (vtables, enumerators, the model's listener) on the bus. */
        int (*register_bus)(void *model, sd_bus *bus);
        /* After registration, before serving: re-attach, autostart (may be NULL). */
        void (*start)(void *model);
        /* True while the daemon must not exit on idle (may be NULL). */
        bool (*busy)(void *model);
        void (*destroy)(void *model);
} VmmdDaemon;

/* The whole main(): returns the process's exit status. */
int vmmd_daemon_main(const VmmdDaemon *daemon, int argc, char *argv[]);

/* Takes <run_dir>/driver.pid (creating run_dir) and writes our pid into it; *ret_fd holds the
 * lock until it is closed. -EBUSY when another instance holds it. */
int vmmd_pid_lock(const char *run_dir, int *ret_fd);

/* "Autostart once per boot", one meaning for every driver: true when this is the first start
 * in this boot, i.e. <run_dir>/autostarted is missing or names another boot. The marker (the
 * boot id) is written before true is returned, so a daemon killed in the middle of
 * autostarting does not start everything again; when it cannot be written the answer is
 * false (every activation would autostart again otherwise). */
bool vmmd_autostart_claim(const char *run_dir);
