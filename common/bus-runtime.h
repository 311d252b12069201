/* The bus runtime every daemon shares: options, bus connection, name, idle exit, signals, sd_notify. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

typedef struct VmmdDaemonOptions {
        bool system;
        bool session;
        char *address;     /* private bus */
        char *root;        /* relocated root (or $VMMD_ROOT) */
        int timeout_sec;   /* idle exit; 0 = never */
        bool verbose;
} VmmdDaemonOptions;

/* Parses the common daemon options; exits on --help. Returns FALSE with error on bad args. */
bool vmmd_daemon_options_parse(VmmdDaemonOptions *opts, int *argc, char ***argv,
                               const char *summary, GError **error);
/* The same, with a daemon's own options (a NULL-terminated GOptionEntry array, or NULL) beside the
 * common ones. */
bool vmmd_daemon_options_parse_with(VmmdDaemonOptions *opts, int *argc, char ***argv, const char *summary,
                                    const GOptionEntry *extra, GError **error);
void vmmd_daemon_options_clear(VmmdDaemonOptions *opts);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VmmdDaemonOptions, vmmd_daemon_options_clear)
/* Which instance: a session instance uses XDG paths unless a root is given. */
bool vmmd_daemon_options_is_session(const VmmdDaemonOptions *opts);

typedef bool (*VmmdBusyFunc)(void *userdata);

typedef struct VmmdRuntime {
        sd_event *event;
        sd_bus *bus;
        char *bus_name;
        uint64_t idle_usec;
        sd_event_source *idle_timer;
        VmmdBusyFunc busy;        /* true while the daemon must not exit (e.g. running QEMUs) */
        void *busy_userdata;
        bool was_busy;            /* busy at the last idle check: a full idle period follows */
        bool releasing;           /* the name is being released: the daemon exits once the bus confirms */
        bool stopping;            /* SIGTERM/SIGINT seen: a second one exits at once */
        const VmmdDaemonOptions *opts;  /* what the daemon was started with (vmmd_daemon_main) */
} VmmdRuntime;

/* Opens the event loop and the bus chosen by opts (--address, then the bus that
 * activated us, then --system/--session, default system for root). */
int vmmd_runtime_open(VmmdRuntime *rt, const VmmdDaemonOptions *opts);

/* Requests the name (none when bus_name is NULL: a daemon that is only a bus client),
 * signals READY, runs until SIGTERM/SIGINT or idle exit. Either releases the name first and
 * answers the calls queued before the release; a second signal exits at once. */
int vmmd_runtime_run(VmmdRuntime *rt, const char *bus_name);

void vmmd_runtime_close(VmmdRuntime *rt);
