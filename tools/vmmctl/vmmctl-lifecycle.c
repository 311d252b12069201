/* vmmctl commands that change whether and how a domain runs: start, create, destroy, shutdown, reboot, suspend, resume. */
#include "vmmctl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"

static volatile sig_atomic_t hold_interrupted;

static void on_hold_signal(int sig) {
        hold_interrupted = sig;
}

typedef struct Hold {
        const char *path;
        bool stopped;
} Hold;

static int on_hold_event(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Hold *h = userdata;
        const char *path = NULL;
        int32_t event = -1, detail = -1;

        if (sd_bus_message_read(m, "oii", &path, &event, &detail) >= 0 && g_str_equal(path, h->path) &&
            event == DOMAIN_EVENT_STOPPED)
                h->stopped = true;
        return 0;
}

/* DOMAIN_START_AUTODESTROY ties the domain to our bus connection (spec A29). virsh in one-shot mode
 * drops the connection at once, which destroys the guest it just started; from a shell one
 * means "for as long as this command runs", so we stay connected until the domain stops or
 * we are interrupted, then exit and the daemon destroys it. */
static int hold_autodestroy(Ctl *ctl, const char *path, const char *name) {
        g_autoptr(sd_bus_slot) slot = NULL;
        g_autoptr(CtlDomainInfo) info = NULL;
        struct sigaction sa = { .sa_handler = on_hold_signal };   /* no SA_RESTART: wake sd_bus_wait */
        Hold h = { .path = path };
        int r;

        r = sd_bus_match_signal(ctl->bus, &slot, QEMU_BUS_NAME, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE,
                                "DomainEvent", on_hold_event, &h);
        if (r < 0) {
                ctl_error("cannot subscribe to events: %s", g_strerror(-r));
                return r;
        }
        sigemptyset(&sa.sa_mask);
        (void) sigaction(SIGINT, &sa, NULL);
        (void) sigaction(SIGTERM, &sa, NULL);
        (void) sigaction(SIGHUP, &sa, NULL);

        /* It may have stopped before we subscribed (or vanished, if transient). */
        if (ctl_domain_info_get_full(ctl, path, true, &info) < 0 || !info->active) {
                printf("Domain '%s' stopped\n", name);
                return 0;
        }
        printf("Domain '%s' is destroyed when vmmctl exits (--autodestroy); waiting, Ctrl-C to end\n", name);
        fflush(stdout);
        while (!h.stopped && !hold_interrupted) {
                r = sd_bus_process(ctl->bus, NULL);
                if (r < 0) {
                        ctl_error("lost the bus: %s", g_strerror(-r));
                        return r;
                }
                if (r > 0)
                        continue;
                /* bounded, so a signal between the check and the wait costs at most a second */
                r = sd_bus_wait(ctl->bus, G_USEC_PER_SEC);
                if (r < 0 && r != -EINTR) {
                        ctl_error("waiting for events: %s", g_strerror(-r));
                        return r;
                }
        }
        if (h.stopped)
                printf("Domain '%s' stopped\n", name);
        else
                printf("Domain '%s' is being destroyed (vmmctl disconnects)\n", name);
        return 0;
}

/* Domain methods that take (u flags) and only need a line of output. */
static int domain_simple(Ctl *ctl, const CtlArgs *args, const char *member, uint32_t flags, const char *done_fmt) {
        const char *dom = ctl_args_pos(args, 0);
        int r;

        r = ctl_call_domain(ctl, dom, member, NULL, "u", flags);
        if (r < 0)
                return r;
        printf(done_fmt, dom);
        putchar('\n');
        return 0;
}

static int cmd_start(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *path = NULL;
        const char *dom = ctl_args_pos(args, 0);
        int r;

        r = ctl_domain_lookup(ctl, dom, &path);
        if (r < 0)
                return r;
        r = ctl_call(ctl, path, QEMU_DOMAIN_INTERFACE, "Create", NULL, "u", args->flags);
        if (r < 0)
                return r;
        printf("Domain '%s' started\n", dom);
        /* the console holds the connection too: --autodestroy ends with it */
        if (ctl_args_has(args, "console"))
                return ctl_console_attach(ctl, path, NULL, 0);
        if (args->flags & DOMAIN_START_AUTODESTROY)
                return hold_autodestroy(ctl, path, dom);
        return 0;
}

static int cmd_destroy(Ctl *ctl, const CtlArgs *args) {
        return domain_simple(ctl, args, "Destroy", args->flags, "Domain '%s' destroyed");
}

/* virsh's --mode takes a comma-separated list; the bits we have are acpi and agent. */
static int parse_mode(const CtlArgs *args, uint32_t *ret_flags) {
        const char *mode = ctl_args_get(args, "mode");
        g_auto(GStrv) parts = NULL;
        uint32_t flags = 0;

        if (mode) {
                parts = g_strsplit(mode, ",", -1);
                for (char **p = parts; *p; p++) {
                        if (g_str_equal(*p, "acpi"))
                                flags |= DOMAIN_SHUTDOWN_ACPI_POWER_BTN;
                        else if (g_str_equal(*p, "agent"))
                                flags |= DOMAIN_SHUTDOWN_GUEST_AGENT;
                        else if (g_str_equal(*p, "initctl"))
                                flags |= 4;
                        else if (g_str_equal(*p, "signal"))
                                flags |= 8;
                        else if (g_str_equal(*p, "paravirt"))
                                flags |= 16;
                        else {
                                ctl_error("unknown mode '%s' (acpi, agent, initctl, signal, paravirt)", *p);
                                return -EINVAL;
                        }
                }
        }
        *ret_flags = flags;
        return 0;
}

static int cmd_shutdown(Ctl *ctl, const CtlArgs *args) {
        uint32_t flags;

        if (parse_mode(args, &flags) < 0)
                return -EINVAL;
        return domain_simple(ctl, args, "Shutdown", flags, "Domain '%s' is being shutdown");
}

static int cmd_reboot(Ctl *ctl, const CtlArgs *args) {
        uint32_t flags;

        if (parse_mode(args, &flags) < 0)
                return -EINVAL;
        return domain_simple(ctl, args, "Reboot", flags, "Domain '%s' is being rebooted");
}

static int cmd_reset(Ctl *ctl, const CtlArgs *args) {
        return domain_simple(ctl, args, "Reset", 0, "Domain '%s' was reset");
}

static int cmd_suspend(Ctl *ctl, const CtlArgs *args) {
        const char *dom = ctl_args_pos(args, 0);
        int r = ctl_call_domain(ctl, dom, "Suspend", NULL, "");

        if (r < 0)
                return r;
        printf("Domain '%s' suspended\n", dom);
        return 0;
}

static int cmd_resume(Ctl *ctl, const CtlArgs *args) {
        const char *dom = ctl_args_pos(args, 0);
        int r = ctl_call_domain(ctl, dom, "Resume", NULL, "");

        if (r < 0)
                return r;
        printf("Domain '%s' resumed\n", dom);
        return 0;
}

static int cmd_create(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(CtlDomainInfo) info = NULL;
        const char *file = ctl_args_pos(args, 0);
        g_autofree char *xml = ctl_read_file(file);
        const char *path = NULL;
        int r;

        if (!xml)
                return -EIO;
        r = ctl_call_manager(ctl, "DomainCreateXML", &reply, "su", xml, args->flags);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = ctl_domain_info_get(ctl, path, &info);
        if (r < 0)
                return r;
        printf("Domain '%s' created from %s\n", info->name, file);
        if (ctl_args_has(args, "console"))
                return ctl_console_attach(ctl, path, NULL, 0);
        if (args->flags & DOMAIN_START_AUTODESTROY)
                return hold_autodestroy(ctl, path, info->name);
        return 0;
}

static const CtlOpt start_opts[] = {
        { "console", NULL, 0, "attach to the serial console after start" },
        { "paused", NULL, DOMAIN_START_PAUSED, "leave the guest paused after start" },
        { "autodestroy", NULL, DOMAIN_START_AUTODESTROY, "stay connected; the guest is destroyed when vmmctl exits" },
        { "bypass-cache", NULL, DOMAIN_START_BYPASS_CACHE, "avoid the file system cache when restoring" },
        { "force-boot", NULL, DOMAIN_START_FORCE_BOOT, "boot, discarding any managed save image" },
        { "reset-nvram", NULL, DOMAIN_START_RESET_NVRAM, "re-initialize NVRAM from its template" },
        { 0 }
};

static const CtlOpt create_opts[] = {
        { "console", NULL, 0, "attach to the serial console after start" },
        { "paused", NULL, DOMAIN_START_PAUSED, "leave the guest paused after start" },
        { "autodestroy", NULL, DOMAIN_START_AUTODESTROY, "stay connected; the guest is destroyed when vmmctl exits" },
        { "validate", NULL, DOMAIN_START_VALIDATE, "validate the XML against the schema" },
        { "reset-nvram", NULL, DOMAIN_START_RESET_NVRAM, "re-initialize NVRAM from its template" },
        { 0 }
};

static const CtlOpt destroy_opts[] = {
        { "graceful", NULL, 1, "terminate gracefully (SIGTERM only)" },
        { "remove-logs", NULL, 2, "remove the domain's log files" },
        { 0 }
};

static const CtlOpt power_opts[] = {
        { "mode", "MODE", 0, "acpi or agent (comma-separated)" },
        { 0 }
};

const CtlCommand ctl_lifecycle_commands[] = {
        { "start", cmd_start, "DOMAIN [--console] [--paused] [--autodestroy] [--bypass-cache] [--force-boot]",
          "start a defined domain", start_opts, 1, 1 },
        { "create", cmd_create, "FILE [--console] [--paused] [--autodestroy] [--validate]",
          "create and start a transient domain from an XML file", create_opts, 1, 1 },
        { "destroy", cmd_destroy, "DOMAIN [--graceful] [--remove-logs]", "stop a domain immediately", destroy_opts, 1, 1 },
        { "shutdown", cmd_shutdown, "DOMAIN [--mode acpi|agent]", "ask a domain's guest to power off", power_opts, 1, 1 },
        { "reboot", cmd_reboot, "DOMAIN [--mode acpi|agent]", "ask a domain's guest to reboot", power_opts, 1, 1 },
        { "reset", cmd_reset, "DOMAIN", "reset a domain as if by the reset button", NULL, 1, 1 },
        { "suspend", cmd_suspend, "DOMAIN", "pause a domain's CPUs", NULL, 1, 1 },
        { "resume", cmd_resume, "DOMAIN", "resume a paused domain", NULL, 1, 1 },
        { 0 }
};
