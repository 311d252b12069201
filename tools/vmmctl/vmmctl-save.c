/* vmmctl commands about saved state: save, restore, managed save, and reading or editing the XML
 * stored in a save image (spec domains.md C). */
#include "vmmctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

/* How often a waiting save asks for GetJobInfo, and spins the restore indicator. */
#define PROGRESS_POLL_USEC (200 * 1000)
/* A big guest to a slow disk takes minutes; the job, not the bus, decides when it is over. */
#define SAVE_CALL_TIMEOUT_USEC (10ULL * 60 * 1000 * 1000)

/* virsh refuses this pair itself rather than sending it (the daemon would say InvalidArg). */
static int check_state_flags(const CtlArgs *args) {
        if ((args->flags & (DOMAIN_SAVE_RUNNING | DOMAIN_SAVE_PAUSED)) == (DOMAIN_SAVE_RUNNING | DOMAIN_SAVE_PAUSED)) {
                ctl_error("options --running and --paused are mutually exclusive");
                return -EINVAL;
        }
        return 0;
}

/* --- waiting for a long call while showing how far it got --- */

typedef enum ProgressKind {
        PROGRESS_NONE,
        PROGRESS_BAR,           /* bytes and percent from Domain.GetJobInfo */
        PROGRESS_SPINNER,       /* nothing to ask yet: the domain is known only from the reply */
} ProgressKind;

typedef struct Progress {
        Ctl *ctl;
        const char *label;
        const char *job_path;   /* the domain whose GetJobInfo to poll (PROGRESS_BAR) */
        ProgressKind kind;
        bool tty;               /* update one line in place; otherwise one line per whole percent */
        bool shown;             /* something is on the line, so it needs ending */
        int last_percent;
        unsigned spin;
        uint64_t total;         /* the last nonzero total GetJobInfo reported */
        sd_bus_slot *job_slot;  /* the GetJobInfo call on its way, at most one */

        bool done;
        sd_bus_message *reply;
        sd_bus_error error;
} Progress;

static double mib(uint64_t bytes) {
        return (double) bytes / (1024.0 * 1024.0);
}

static void progress_bar(Progress *p, uint64_t processed, uint64_t total) {
        int percent = total ? (int) MIN(processed * 100 / total, 100) : 0;

        if (!p->tty && p->shown && percent == p->last_percent)
                return;
        /* fixed widths, so a shorter update never leaves a longer one's tail behind */
        printf("%s%s: [%3d %%] %7.1f MiB/%.1f MiB%s", p->tty ? "\r" : "", p->label, percent,
               mib(MIN(processed, total)), mib(total), p->tty ? "" : "\n");
        fflush(stdout);
        p->shown = true;
        p->last_percent = percent;
}

static void progress_spin(Progress *p) {
        static const char wheel[] = "|/-\\";

        if (!p->tty)
                return;
        printf("\r%s: [%c]", p->label, wheel[p->spin++ % 4]);
        fflush(stdout);
        p->shown = true;
}

/* Ends the progress line: a full bar on success (the job is gone by then, so GetJobInfo cannot
 * say 100 % itself), the spinner wiped, and a newline so the next output starts clean. */
static void progress_end(Progress *p, bool ok) {
        if (!p->shown)
                return;
        if (p->kind == PROGRESS_SPINNER) {
                printf("\r%*s\r", (int) strlen(p->label) + 5, "");
                fflush(stdout);
                return;
        }
        if (ok && p->total && p->last_percent < 100)
                progress_bar(p, p->total, p->total);
        if (p->tty)
                putchar('\n');
        fflush(stdout);
}

static int on_job_info(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Progress *p = userdata;
        int32_t type = 0;
        uint64_t processed = 0, total = 0;

        p->job_slot = sd_bus_slot_unref(p->job_slot);
        /* an older daemon without GetJobInfo, or a domain already gone: just no progress */
        if (p->done || sd_bus_message_is_method_error(m, NULL))
                return 0;
        if (sd_bus_message_read(m, "itt", &type, &processed, &total) < 0)
                return 0;
        /* type 0: not started yet, or finished between our polls */
        if (type == 1 && total > 0) {
                p->total = total;
                progress_bar(p, processed, total);
        }
        return 0;
}

static void progress_tick(Progress *p) {
        if (p->kind == PROGRESS_SPINNER) {
                progress_spin(p);
                return;
        }
        if (p->job_slot)
                return;   /* the daemon is slow to answer; don't pile up questions */
        if (sd_bus_call_method_async(p->ctl->bus, &p->job_slot, QEMU_BUS_NAME, p->job_path, QEMU_DOMAIN_INTERFACE,
                                     "GetJobInfo", on_job_info, p, "u", 0u) < 0)
                p->job_slot = NULL;
}

static int on_call_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Progress *p = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        p->done = true;
        if (e)
                (void) sd_bus_error_copy(&p->error, e);
        else
                p->reply = sd_bus_message_ref(m);
        return 0;
}

/* Calls a method asynchronously and, while it runs, shows p->kind of progress every
 * PROGRESS_POLL_USEC. On failure prints the error (after ending the progress line). */
static int call_with_progress(Progress *p, const char *path, const char *iface, const char *member,
                              sd_bus_message **ret_reply, const char *types, ...) {
        g_autoptr(sd_bus_message) m = NULL;
        g_autoptr(sd_bus_slot) slot = NULL;
        sd_bus *bus = p->ctl->bus;
        uint64_t next_tick;
        va_list ap;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, QEMU_BUS_NAME, path, iface, member);
        if (r >= 0) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_call_async(bus, &slot, m, on_call_reply, p, SAVE_CALL_TIMEOUT_USEC);
        if (r < 0) {
                ctl_error("cannot call %s: %s", member, g_strerror(-r));
                return r;
        }

        next_tick = g_get_monotonic_time() + PROGRESS_POLL_USEC;
        while (!p->done) {
                uint64_t now;

                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        break;
                if (r > 0)
                        continue;
                now = g_get_monotonic_time();
                if (now >= next_tick) {
                        if (p->kind != PROGRESS_NONE)
                                progress_tick(p);
                        next_tick = now + PROGRESS_POLL_USEC;
                        continue;
                }
                r = sd_bus_wait(bus, next_tick - now);
                if (r < 0 && r != -EINTR)
                        break;
        }
        p->job_slot = sd_bus_slot_unref(p->job_slot);
        if (!p->done) {
                progress_end(p, false);
                ctl_error("lost the bus while waiting for %s: %s", member, g_strerror(-r));
                return r;
        }
        if (sd_bus_error_is_set(&p->error)) {
                progress_end(p, false);
                ctl_print_bus_error(&p->error, -EIO);
                sd_bus_error_free(&p->error);
                return -EIO;
        }
        progress_end(p, true);
        if (ret_reply)
                *ret_reply = g_steal_pointer(&p->reply);
        else
                p->reply = sd_bus_message_unref(p->reply);
        return 0;
}

/* Progress on a terminal, or when asked for with --verbose. */
static void progress_init(Progress *p, Ctl *ctl, const CtlArgs *args, const char *label, ProgressKind kind) {
        *p = (Progress) {
                .ctl = ctl,
                .label = label,
                .tty = isatty(STDOUT_FILENO),
                .last_percent = -1,
                .error = SD_BUS_ERROR_NULL,
        };
        p->kind = p->tty || ctl_args_has(args, "verbose") ? kind : PROGRESS_NONE;
}

/* --- save, restore, managed save --- */

static int cmd_save(Ctl *ctl, const CtlArgs *args) {
        const char *dom = ctl_args_pos(args, 0);
        g_autofree char *file = ctl_absolute_path(ctl_args_pos(args, 1));
        g_autofree char *dxml = NULL;
        g_autofree char *path = NULL;
        Progress p;
        int r;

        if (check_state_flags(args) < 0)
                return -EINVAL;
        if (ctl_read_opt_xml(args, "xml", &dxml) < 0)
                return -EIO;
        r = ctl_domain_lookup(ctl, dom, &path);
        if (r < 0)
                return r;
        progress_init(&p, ctl, args, "Save", PROGRESS_BAR);
        p.job_path = path;
        r = call_with_progress(&p, path, QEMU_DOMAIN_INTERFACE, "Save", NULL, "ssu", file, dxml, args->flags);
        if (r < 0)
                return r;
        printf("Domain '%s' saved to %s\n", dom, ctl_args_pos(args, 1));
        return 0;
}

static int cmd_restore(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *file = ctl_absolute_path(ctl_args_pos(args, 0));
        g_autofree char *dxml = NULL;
        Progress p;
        int r;

        if (check_state_flags(args) < 0)
                return -EINVAL;
        if (ctl_read_opt_xml(args, "xml", &dxml) < 0)
                return -EIO;
        r = ctl_connect(ctl);
        if (r < 0)
                return r;
        progress_init(&p, ctl, args, "Restore", PROGRESS_SPINNER);
        r = call_with_progress(&p, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE, "DomainRestore", NULL, "ssu", file, dxml,
                               args->flags);
        if (r < 0)
                return r;
        printf("Domain restored from %s\n", ctl_args_pos(args, 0));
        return 0;
}

static int cmd_managedsave(Ctl *ctl, const CtlArgs *args) {
        const char *dom = ctl_args_pos(args, 0);
        g_autofree char *path = NULL;
        Progress p;
        int r;

        if (check_state_flags(args) < 0)
                return -EINVAL;
        r = ctl_domain_lookup(ctl, dom, &path);
        if (r < 0)
                return r;
        progress_init(&p, ctl, args, "Save", PROGRESS_BAR);
        p.job_path = path;
        r = call_with_progress(&p, path, QEMU_DOMAIN_INTERFACE, "ManagedSave", NULL, "u", args->flags);
        if (r < 0)
                return r;
        printf("Domain '%s' state saved by vmmd\n", dom);
        return 0;
}

static int cmd_managedsave_remove(Ctl *ctl, const CtlArgs *args) {
        const char *dom = ctl_args_pos(args, 0);
        int r;

        r = ctl_call_domain(ctl, dom, "ManagedSaveRemove", NULL, "u", 0u);
        if (r < 0)
                return r;
        printf("Removed managedsave image for domain '%s'\n", dom);
        return 0;
}

/* --- the XML inside an image --- */

static int read_string(sd_bus_message *reply, char **ret) {
        const char *s = NULL;
        int r = sd_bus_message_read(reply, "s", &s);

        if (r < 0) {
                ctl_error("unexpected reply: %s", g_strerror(-r));
                return r;
        }
        *ret = g_strdup(s);
        return 0;
}

static int managedsave_get_xml(Ctl *ctl, const char *dom, uint32_t flags, char **ret_xml) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r = ctl_call_domain(ctl, dom, "ManagedSaveGetXMLDesc", &reply, "u", flags);

        return r < 0 ? r : read_string(reply, ret_xml);
}

static int image_get_xml(Ctl *ctl, const char *file, uint32_t flags, char **ret_xml) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r = ctl_call_manager(ctl, "DomainSaveImageGetXMLDesc", &reply, "su", file, flags);

        return r < 0 ? r : read_string(reply, ret_xml);
}

static int cmd_managedsave_dumpxml(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        r = ctl_call_domain(ctl, ctl_args_pos(args, 0), "ManagedSaveGetXMLDesc", &reply, "u", args->flags);
        if (r < 0)
                return r;
        return ctl_print_string_reply(reply);
}

static int cmd_managedsave_define(Ctl *ctl, const CtlArgs *args) {
        const char *dom = ctl_args_pos(args, 0);
        g_autofree char *dxml = NULL;
        int r;

        if (check_state_flags(args) < 0)
                return -EINVAL;
        dxml = ctl_read_file(ctl_args_pos(args, 1));
        if (!dxml)
                return -EIO;
        r = ctl_call_domain(ctl, dom, "ManagedSaveDefineXML", NULL, "su", dxml, args->flags);
        if (r < 0)
                return r;
        printf("Managed save state file of domain '%s' updated.\n", dom);
        return 0;
}

static int cmd_save_image_dumpxml(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *file = ctl_absolute_path(ctl_args_pos(args, 0));
        int r;

        r = ctl_call_manager(ctl, "DomainSaveImageGetXMLDesc", &reply, "su", file, args->flags);
        if (r < 0)
                return r;
        return ctl_print_string_reply(reply);
}

static int cmd_save_image_define(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *file = ctl_absolute_path(ctl_args_pos(args, 0));
        g_autofree char *dxml = NULL;
        int r;

        if (check_state_flags(args) < 0)
                return -EINVAL;
        dxml = ctl_read_file(ctl_args_pos(args, 1));
        if (!dxml)
                return -EIO;
        r = ctl_call_manager(ctl, "DomainSaveImageDefineXML", NULL, "ssu", file, dxml, args->flags);
        if (r < 0)
                return r;
        printf("State file %s updated.\n", ctl_args_pos(args, 0));
        return 0;
}

/* Puts xml in a temporary file, runs the editor on it and reads it back. *ret_tmp names the file
 * for the caller to remove (or to point at when the define fails); NULL when none was made. */
static int edit_in_editor(const char *xml, char **ret_edited, char **ret_tmp) {
        g_autoptr(GError) error = NULL;
        g_autofree char *tmp = NULL;
        int fd;

        *ret_tmp = NULL;
        fd = g_file_open_tmp("vmmctl-save-image-XXXXXX.xml", &tmp, &error);
        if (fd < 0) {
                ctl_error("%s", error->message);
                return -EIO;
        }
        close(fd);
        if (!g_file_set_contents(tmp, xml, -1, &error)) {
                ctl_error("%s", error->message);
                unlink(tmp);
                return -EIO;
        }
        *ret_tmp = g_strdup(tmp);
        if (ctl_run_editor(tmp) < 0)
                return -1;
        if (!g_file_get_contents(tmp, ret_edited, NULL, &error)) {
                ctl_error("%s", error->message);
                return -EIO;
        }
        return 0;
}

/* What the two -edit commands share: fetch (secure, so nothing is lost on the way back), edit,
 * define when the XML changed or a --running/--paused asks to change the stored state anyway. */
typedef struct EditOps {
        int (*get)(Ctl *ctl, const char *target, uint32_t flags, char **ret_xml);
        int (*define)(Ctl *ctl, const char *target, const char *xml, uint32_t flags);
} EditOps;

static int edit_image_xml(Ctl *ctl, const CtlArgs *args, const EditOps *ops, const char *target, bool *ret_changed) {
        g_autofree char *xml = NULL;
        g_autofree char *edited = NULL;
        g_autofree char *tmp = NULL;
        int r;

        *ret_changed = false;
        if (check_state_flags(args) < 0)
                return -EINVAL;
        r = ops->get(ctl, target, DOMAIN_XML_SECURE, &xml);
        if (r < 0)
                return r;
        r = edit_in_editor(xml, &edited, &tmp);
        if (r < 0) {
                if (tmp)
                        fprintf(stderr, "The XML is kept in %s\n", tmp);
                return r;
        }
        if (g_str_equal(edited, xml) && !(args->flags & (DOMAIN_SAVE_RUNNING | DOMAIN_SAVE_PAUSED))) {
                unlink(tmp);
                return 0;
        }
        r = ops->define(ctl, target, edited, args->flags);
        if (r < 0) {
                fprintf(stderr, "The edited XML is kept in %s\n", tmp);
                return r;
        }
        unlink(tmp);
        *ret_changed = true;
        return 0;
}

static int image_define(Ctl *ctl, const char *file, const char *xml, uint32_t flags) {
        return ctl_call_manager(ctl, "DomainSaveImageDefineXML", NULL, "ssu", file, xml, flags);
}

static int managedsave_define(Ctl *ctl, const char *dom, const char *xml, uint32_t flags) {
        return ctl_call_domain(ctl, dom, "ManagedSaveDefineXML", NULL, "su", xml, flags);
}

static int cmd_save_image_edit(Ctl *ctl, const CtlArgs *args) {
        static const EditOps ops = { image_get_xml, image_define };
        g_autofree char *file = ctl_absolute_path(ctl_args_pos(args, 0));
        bool changed;
        int r;

        r = edit_image_xml(ctl, args, &ops, file, &changed);
        if (r < 0)
                return r;
        printf("State file %s %s.\n", ctl_args_pos(args, 0), changed ? "edited" : "not changed");
        return 0;
}

static int cmd_managedsave_edit(Ctl *ctl, const CtlArgs *args) {
        static const EditOps ops = { managedsave_get_xml, managedsave_define };
        const char *dom = ctl_args_pos(args, 0);
        bool changed;
        int r;

        r = edit_image_xml(ctl, args, &ops, dom, &changed);
        if (r < 0)
                return r;
        printf("Managed save image of domain '%s' %s.\n", dom, changed ? "edited" : "not changed");
        return 0;
}

static const CtlOpt save_opts[] = {
        { "xml", "FILE", 0, "store this (ABI-compatible) XML in the image instead" },
        { "bypass-cache", NULL, DOMAIN_SAVE_BYPASS_CACHE, "avoid the file system cache" },
        { "running", NULL, DOMAIN_SAVE_RUNNING, "restore into the running state" },
        { "paused", NULL, DOMAIN_SAVE_PAUSED, "restore into the paused state" },
        { "verbose", NULL, 0, "show progress also when stdout is not a terminal" },
        { 0 }
};

static const CtlOpt restore_opts[] = {
        { "xml", "FILE", 0, "restore with this (ABI-compatible) XML" },
        { "bypass-cache", NULL, DOMAIN_SAVE_BYPASS_CACHE, "avoid the file system cache" },
        { "running", NULL, DOMAIN_SAVE_RUNNING, "restore into the running state" },
        { "paused", NULL, DOMAIN_SAVE_PAUSED, "restore into the paused state" },
        { "reset-nvram", NULL, DOMAIN_SAVE_RESET_NVRAM, "re-initialize NVRAM from its template" },
        { 0 }
};

static const CtlOpt managedsave_opts[] = {
        { "bypass-cache", NULL, DOMAIN_SAVE_BYPASS_CACHE, "avoid the file system cache" },
        { "running", NULL, DOMAIN_SAVE_RUNNING, "start running on the next start" },
        { "paused", NULL, DOMAIN_SAVE_PAUSED, "start paused on the next start" },
        { "verbose", NULL, 0, "show progress also when stdout is not a terminal" },
        { 0 }
};

static const CtlOpt image_define_opts[] = {
        { "running", NULL, DOMAIN_SAVE_RUNNING, "restore into the running state" },
        { "paused", NULL, DOMAIN_SAVE_PAUSED, "restore into the paused state" },
        { 0 }
};

static const CtlOpt secure_opts[] = {
        { "security-info", NULL, DOMAIN_XML_SECURE, "include security-sensitive data" },
        { 0 }
};

const CtlCommand ctl_save_commands[] = {
        { "save", cmd_save, "DOMAIN FILE [--xml FILE] [--bypass-cache] [--running|--paused] [--verbose]",
          "save a running domain's state to a file and stop it", save_opts, 2, 2 },
        { "restore", cmd_restore, "FILE [--xml FILE] [--bypass-cache] [--running|--paused] [--reset-nvram]",
          "restore a domain from a saved state file", restore_opts, 1, 1 },
        { "managedsave", cmd_managedsave, "DOMAIN [--bypass-cache] [--running|--paused] [--verbose]",
          "save a domain's state for its next start", managedsave_opts, 1, 1 },
        { "managedsave-remove", cmd_managedsave_remove, "DOMAIN", "remove a domain's managed save image", NULL, 1, 1 },
        { "managedsave-dumpxml", cmd_managedsave_dumpxml, "DOMAIN [--security-info]",
          "print the XML stored in a domain's managed save image", secure_opts, 1, 1 },
        { "managedsave-define", cmd_managedsave_define, "DOMAIN XMLFILE [--running|--paused]",
          "replace the XML stored in a domain's managed save image", image_define_opts, 2, 2 },
        { "managedsave-edit", cmd_managedsave_edit, "DOMAIN [--running|--paused]",
          "edit the XML stored in a domain's managed save image", image_define_opts, 1, 1 },
        { "save-image-dumpxml", cmd_save_image_dumpxml, "FILE [--security-info]",
          "print the XML stored in a saved state file", secure_opts, 1, 1 },
        { "save-image-define", cmd_save_image_define, "FILE XMLFILE [--running|--paused]",
          "replace the XML stored in a saved state file", image_define_opts, 2, 2 },
        { "save-image-edit", cmd_save_image_edit, "FILE [--running|--paused]",
          "edit the XML stored in a saved state file", image_define_opts, 1, 1 },
        { 0 }
};
