/* The bus runtime every daemon shares: options, bus connection, name, idle exit, signals, sd_notify. */
#include "bus-runtime.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "log.h"

/* How long a stopping daemon waits for the bus to confirm its name is released (a bus that never answers). */
#define STOP_DRAIN_USEC (5 * G_USEC_PER_SEC)

bool vmmd_daemon_options_parse(VmmdDaemonOptions *opts, int *argc, char ***argv,
                               const char *summary, GError **error) {
        return vmmd_daemon_options_parse_with(opts, argc, argv, summary, NULL, error);
}

bool vmmd_daemon_options_parse_with(VmmdDaemonOptions *opts, int *argc, char ***argv, const char *summary,
                                    const GOptionEntry *extra, GError **error) {
        g_autoptr(GOptionContext) ctx = NULL;
        const char *env_timeout = getenv("VMMD_TIMEOUT");
        /* the environment gives the default so a test bus can shorten it for activated daemons */
        int timeout = env_timeout && *env_timeout ? atoi(env_timeout) : 120;
        GOptionEntry entries[] = {
                { "system", 0, 0, G_OPTION_ARG_NONE, &opts->system, "Serve the system bus", NULL },
                { "session", 0, 0, G_OPTION_ARG_NONE, &opts->session, "Serve the session bus", NULL },
                { "address", 0, 0, G_OPTION_ARG_STRING, &opts->address, "Serve a private bus", "ADDR" },
                { "root", 0, 0, G_OPTION_ARG_FILENAME, &opts->root, "Relocate every path under DIR", "DIR" },
                { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "Exit after SECONDS idle (0 = never)", "SECONDS" },
                { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opts->verbose, "Log debug messages", NULL },
                { NULL },
        };

        ctx = g_option_context_new(NULL);
        g_option_context_set_summary(ctx, summary);
        g_option_context_add_main_entries(ctx, entries, NULL);
        if (extra)
                g_option_context_add_main_entries(ctx, extra, NULL);
        if (!g_option_context_parse(ctx, argc, argv, error))
                return false;
        if (opts->system && opts->session) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "--system and --session exclude each other");
                return false;
        }
        if (timeout < 0) {
                g_set_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG, "--timeout must be 0 or more");
                return false;
        }
        opts->timeout_sec = timeout;
        if (!opts->root && getenv("VMMD_ROOT") && *getenv("VMMD_ROOT"))
                opts->root = g_strdup(getenv("VMMD_ROOT"));
        return true;
}

void vmmd_daemon_options_clear(VmmdDaemonOptions *opts) {
        g_clear_pointer(&opts->address, g_free);
        g_clear_pointer(&opts->root, g_free);
}

bool vmmd_daemon_options_is_session(const VmmdDaemonOptions *opts) {
        if (opts->session)
                return true;
        if (opts->system)
                return false;
        return geteuid() != 0;
}

static int open_bus_at(const char *address, sd_bus **ret) {
        g_autoptr(sd_bus) bus = NULL;
        int r;

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r < 0)
                return r;
        r = sd_bus_set_bus_client(bus, 1);
        if (r < 0)
                return r;
        r = sd_bus_negotiate_creds(bus, 1, SD_BUS_CREDS_UID | SD_BUS_CREDS_EUID | SD_BUS_CREDS_PID);
        if (r < 0)
                return r;
        r = sd_bus_start(bus);
        if (r < 0)
                return r;
        *ret = g_steal_pointer(&bus);
        return 0;
}

int vmmd_runtime_open(VmmdRuntime *rt, const VmmdDaemonOptions *opts) {
        const char *starter = getenv("DBUS_STARTER_ADDRESS");
        int r;

        r = sd_event_default(&rt->event);
        if (r < 0)
                return r;
        if (opts->address)
                r = open_bus_at(opts->address, &rt->bus);
        else if (starter && *starter && !opts->system && !opts->session)
                r = open_bus_at(starter, &rt->bus);
        else if (vmmd_daemon_options_is_session(opts))
                r = sd_bus_open_user(&rt->bus);
        else
                r = sd_bus_open_system(&rt->bus);
        if (r < 0)
                return r;
        /* a daemon whose bus went away has nobody left to serve */
        r = sd_bus_set_exit_on_disconnect(rt->bus, true);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(rt->bus, rt->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        rt->idle_usec = (uint64_t) opts->timeout_sec * G_USEC_PER_SEC;
        return vmmd_error_register_dbus_map();
}

static int on_name_released(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        VmmdRuntime *rt = userdata;

        /* Everything the bus queued for us before the release has been dispatched by
         * now (replies are ordered), so nothing a client sent is lost. */
        log_debug("name %s released, exiting", rt->bus_name);
        sd_event_exit(rt->event, 0);
        return 0;
}

static int arm_idle(VmmdRuntime *rt);

static int on_idle(sd_event_source *s, uint64_t usec, void *userdata) {
        VmmdRuntime *rt = userdata;
        int r;

        if (rt->releasing)
                return 0;   /* a signal's release is on its way */
        if (rt->busy && rt->busy(rt->busy_userdata)) {
                rt->was_busy = true;
                return arm_idle(rt);
        }
        /* the work that kept us (a guest, a socket client) may have ended a moment ago without
         * any bus traffic: a whole idle period from now, then */
        if (rt->was_busy) {
                rt->was_busy = false;
                return arm_idle(rt);
        }
        rt->releasing = true;
        (void) sd_notify(false, "STOPPING=1");
        if (!rt->bus_name) {
                /* no name: nothing can be queued for us that we would lose */
                log_debug("idle for %" PRIu64 " s, exiting", rt->idle_usec / G_USEC_PER_SEC);
                return sd_event_exit(rt->event, 0);
        }
        log_debug("idle for %" PRIu64 " s, releasing %s", rt->idle_usec / G_USEC_PER_SEC, rt->bus_name);
        r = sd_bus_release_name_async(rt->bus, NULL, rt->bus_name, on_name_released, rt);
        if (r < 0)
                return sd_event_exit(rt->event, 0);
        return 0;
}

static int arm_idle(VmmdRuntime *rt) {
        uint64_t now;

        if (rt->idle_usec == 0 || rt->releasing)
                return 0;
        (void) sd_event_now(rt->event, CLOCK_MONOTONIC, &now);
        if (!rt->idle_timer)
                return sd_event_add_time(rt->event, &rt->idle_timer, CLOCK_MONOTONIC,
                                         now + rt->idle_usec, 0, on_idle, rt);
        (void) sd_event_source_set_time(rt->idle_timer, now + rt->idle_usec);
        return sd_event_source_set_enabled(rt->idle_timer, SD_EVENT_ONESHOT);
}

static int on_any_message(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        /* any traffic counts as activity: restart the idle countdown */
        (void) arm_idle(userdata);
        return 0;
}

static int on_stop_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        VmmdRuntime *rt = userdata;

        log_warning("the bus did not confirm the release of %s in time, exiting", rt->bus_name);
        return sd_event_exit(rt->event, 0);
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        VmmdRuntime *rt = userdata;
        int r;

        (void) sd_notify(false, "STOPPING=1");
        if (!rt->bus_name || rt->stopping) {
                /* nothing can be queued for a daemon without a name; a second signal means now */
                log_info("received signal %d, exiting", (int) si->ssi_signo);
                return sd_event_exit(rt->event, 0);
        }
        /* as at idle exit: the name goes first and the calls the bus queued for us before the release are
         * answered (on_name_released exits), so that no caller is left with NoReply; the exit then finishes
         * the work in flight (exit sources) */
        log_info("received signal %d, releasing %s and exiting", (int) si->ssi_signo, rt->bus_name);
        rt->stopping = true;
        (void) sd_event_add_time_relative(rt->event, NULL, CLOCK_MONOTONIC, STOP_DRAIN_USEC, 0, on_stop_deadline, rt);
        if (rt->releasing)
                return 0;   /* an idle exit's release is already on its way */
        rt->releasing = true;
        r = sd_bus_release_name_async(rt->bus, NULL, rt->bus_name, on_name_released, rt);
        if (r < 0)
                return sd_event_exit(rt->event, 0);
        return 0;
}

int vmmd_runtime_run(VmmdRuntime *rt, const char *bus_name) {
        sigset_t mask;
        int r;

        rt->bus_name = g_strdup(bus_name);
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_add_signal(rt->event, NULL, SIGTERM, on_signal, rt);
        if (r < 0)
                return r;
        r = sd_event_add_signal(rt->event, NULL, SIGINT, on_signal, rt);
        if (r < 0)
                return r;
        r = sd_bus_add_filter(rt->bus, NULL, on_any_message, rt);
        if (r < 0)
                return r;
        if (bus_name) {
                r = sd_bus_request_name(rt->bus, bus_name, 0);
                if (r < 0) {
                        log_error("cannot own %s: %s", bus_name, g_strerror(-r));
                        return r;
                }
        }
        r = arm_idle(rt);
        if (r < 0)
                return r;
        (void) sd_notify(false, "READY=1\nSTATUS=Serving the bus.");
        log_debug("serving %s", bus_name ? bus_name : "without a bus name");
        r = sd_event_loop(rt->event);
        (void) sd_bus_flush(rt->bus);
        return r;
}

void vmmd_runtime_close(VmmdRuntime *rt) {
        g_clear_pointer(&rt->idle_timer, sd_event_source_unref);
        if (rt->bus) {
                sd_bus_flush_close_unref(rt->bus);
                rt->bus = NULL;
        }
        g_clear_pointer(&rt->event, sd_event_unref);
        g_clear_pointer(&rt->bus_name, g_free);
}
