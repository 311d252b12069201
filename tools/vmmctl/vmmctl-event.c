/* vmmctl event: prints the daemon's lifecycle and reboot signals as virsh's `event` does. */
#include "vmmctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

typedef struct EventWatch {
        Ctl *ctl;
        GHashTable *names;      /* domain path → last known name: an undefined domain can no longer be asked */
        const char *only_path;  /* NULL: every domain */
        bool loop;
        bool timestamp;
        bool done;
        unsigned count;
} EventWatch;

/* virsh's words for the DomainEvent numbers (spec section 0 event table). */
static const char *const event_names[] = {
        "Defined", "Undefined", "Started", "Suspended", "Resumed", "Stopped", "Shutdown",
        "PMSuspended", "Crashed",
};

static const char *const detail_defined[] = { "Added", "Updated", "Renamed", "Snapshot" };
static const char *const detail_undefined[] = { "Removed", "Renamed" };
static const char *const detail_started[] = { "Booted", "Migrated", "Restored", "Snapshot", "Event wakeup" };
static const char *const detail_suspended[] = {
        "Paused", "Migrated", "I/O Error", "Watchdog", "Restored", "Snapshot", "API error", "Post-copy",
        "Post-copy Error",
};
static const char *const detail_resumed[] = { "Unpaused", "Migrated", "Snapshot", "Post-copy", "Post-copy Error" };
static const char *const detail_stopped[] = {
        "Shutdown", "Destroyed", "Crashed", "Migrated", "Saved", "Failed", "Snapshot",
};
static const char *const detail_shutdown[] = {
        "Finished", "Finished after guest request", "Finished after host request",
};
static const char *const detail_pmsuspended[] = { "Memory", "Disk" };
static const char *const detail_crashed[] = { "Panicked", "Crashloaded" };

static const struct {
        const char *const *names;
        size_t n;
} details[] = {
        { detail_defined, G_N_ELEMENTS(detail_defined) },
        { detail_undefined, G_N_ELEMENTS(detail_undefined) },
        { detail_started, G_N_ELEMENTS(detail_started) },
        { detail_suspended, G_N_ELEMENTS(detail_suspended) },
        { detail_resumed, G_N_ELEMENTS(detail_resumed) },
        { detail_stopped, G_N_ELEMENTS(detail_stopped) },
        { detail_shutdown, G_N_ELEMENTS(detail_shutdown) },
        { detail_pmsuspended, G_N_ELEMENTS(detail_pmsuspended) },
        { detail_crashed, G_N_ELEMENTS(detail_crashed) },
};

static const char *domain_name(EventWatch *w, const char *path, bool refresh) {
        const char *cached = g_hash_table_lookup(w->names, path);
        g_autoptr(CtlDomainInfo) info = NULL;

        if (cached && !refresh)
                return cached;
        if (ctl_domain_info_get_full(w->ctl, path, true, &info) >= 0 && *info->name) {
                g_hash_table_replace(w->names, g_strdup(path), g_strdup(info->name));
                return g_hash_table_lookup(w->names, path);
        }
        if (cached)
                return cached;
        /* Never seen and already gone: the UUID in the path is all there is. */
        g_autofree char *uuid = NULL;
        if (sd_bus_path_decode(path, QEMU_DOMAIN_PREFIX, &uuid) > 0 && uuid) {
                g_hash_table_replace(w->names, g_strdup(path), g_steal_pointer(&uuid));
                return g_hash_table_lookup(w->names, path);
        }
        return path;
}

static void print_prefix(EventWatch *w) {
        if (w->timestamp) {
                g_autoptr(GDateTime) now = g_date_time_new_now_utc();
                g_autofree char *s = g_date_time_format(now, "%Y-%m-%d %H:%M:%S");

                printf("%s.%03d+0000: ", s, g_date_time_get_microsecond(now) / 1000);
        }
}

static void event_seen(EventWatch *w) {
        fflush(stdout);
        w->count++;
        if (!w->loop)
                w->done = true;
}

static int on_domain_event(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        EventWatch *w = userdata;
        const char *path = NULL, *name;
        int32_t event = 0, detail = 0;
        const char *ev = "Unknown", *det = "Unknown";

        if (sd_bus_message_read(m, "oii", &path, &event, &detail) < 0)
                return 0;
        if (w->only_path && !g_str_equal(path, w->only_path))
                return 0;
        /* DEFINED carries a new name after a rename; ask again then. */
        name = domain_name(w, path, event == 0);
        if (event >= 0 && (size_t) event < G_N_ELEMENTS(event_names)) {
                ev = event_names[event];
                if (detail >= 0 && (size_t) detail < details[event].n)
                        det = details[event].names[detail];
        }
        print_prefix(w);
        printf("event 'lifecycle' for domain '%s': %s %s\n", name, ev, det);
        event_seen(w);
        return 0;
}

static int on_reboot(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        EventWatch *w = userdata;
        const char *path = sd_bus_message_get_path(m);

        if (!path || (w->only_path && !g_str_equal(path, w->only_path)))
                return 0;
        print_prefix(w);
        printf("event 'reboot' for domain '%s'\n", domain_name(w, path, false));
        event_seen(w);
        return 0;
}

/* Names known before we start listening, so an undefine can still be shown by name. */
static void names_prime(EventWatch *w) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        const char *path = NULL;

        if (sd_bus_call_method(w->ctl->bus, QEMU_BUS_NAME, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE, "ListDomains",
                               &error, &reply, "u", 0u) < 0)
                return;
        if (sd_bus_message_enter_container(reply, 'a', "o") < 0)
                return;
        while (sd_bus_message_read(reply, "o", &path) > 0)
                (void) domain_name(w, path, true);
}

static int cmd_event(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_slot) slot_event = NULL;
        g_autoptr(sd_bus_slot) slot_reboot = NULL;
        g_autofree char *only_path = NULL;
        g_autoptr(GHashTable) names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        const char *timeout_arg = ctl_args_get(args, "timeout");
        uint64_t deadline = UINT64_MAX;
        EventWatch w = {
                .ctl = ctl,
                .names = names,
                .loop = ctl_args_has(args, "loop"),
                .timestamp = ctl_args_has(args, "timestamp"),
        };
        int r;

        if (timeout_arg) {
                char *end = NULL;
                long sec = strtol(timeout_arg, &end, 10);

                if (!*timeout_arg || *end || sec <= 0) {
                        ctl_error("--timeout needs a positive number of seconds, not '%s'", timeout_arg);
                        return -EINVAL;
                }
                deadline = g_get_monotonic_time() + (uint64_t) sec * G_USEC_PER_SEC;
        }
        r = ctl_connect(ctl);
        if (r < 0)
                return r;
        if (ctl_args_pos(args, 0)) {
                r = ctl_domain_lookup(ctl, ctl_args_pos(args, 0), &only_path);
                if (r < 0)
                        return r;
                w.only_path = only_path;
        }

        /* Match by the well-known name: the bus keeps it working across idle exit and re-activation. */
        r = sd_bus_match_signal(ctl->bus, &slot_event, QEMU_BUS_NAME, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE,
                                "DomainEvent", on_domain_event, &w);
        if (r >= 0)
                r = sd_bus_match_signal(ctl->bus, &slot_reboot, QEMU_BUS_NAME, NULL, QEMU_DOMAIN_INTERFACE, "Reboot",
                                        on_reboot, &w);
        if (r < 0) {
                ctl_error("cannot subscribe to events: %s", g_strerror(-r));
                return r;
        }
        /* Also activates the daemon, so there is someone to send events. */
        names_prime(&w);

        while (!w.done) {
                uint64_t now = g_get_monotonic_time();

                r = sd_bus_process(ctl->bus, NULL);
                if (r < 0) {
                        ctl_error("lost the bus: %s", g_strerror(-r));
                        return r;
                }
                if (r > 0)
                        continue;
                if (now >= deadline) {
                        printf("event loop timed out\n");
                        break;
                }
                r = sd_bus_wait(ctl->bus, deadline == UINT64_MAX ? UINT64_MAX : deadline - now);
                if (r < 0 && r != -EINTR) {
                        ctl_error("waiting for events: %s", g_strerror(-r));
                        return r;
                }
        }
        if (w.loop || w.count != 1)
                printf("events received: %u\n", w.count);
        return 0;
}

static const CtlOpt event_opts[] = {
        { "loop", NULL, 0, "keep printing events until interrupted (or --timeout)" },
        { "timeout", "SECONDS", 0, "stop after this many seconds" },
        { "timestamp", NULL, 0, "print a timestamp before each event" },
        { 0 }
};

const CtlCommand ctl_event_commands[] = {
        { "event", cmd_event, "[DOMAIN] [--loop] [--timeout SECONDS] [--timestamp]",
          "print domain lifecycle events as they happen", event_opts, 0, 1 },
        { 0 }
};
