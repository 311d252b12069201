/* vmmctl: the virsh-like command-line client of vmmd — global options, command dispatch, help. */
#include "vmmctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "config.h"
#include "error.h"

static const CtlCommand *const command_tables[] = {
        ctl_domain_commands,
        ctl_lifecycle_commands,
        ctl_save_commands,
        ctl_event_commands,
        ctl_console_commands,
        ctl_snapshot_commands,
        ctl_pool_commands,
        ctl_vol_commands,
        ctl_net_commands,
        ctl_secret_commands,
        ctl_nwfilter_commands,
};

static const CtlCommand *command_find(const char *name) {
        for (size_t t = 0; t < G_N_ELEMENTS(command_tables); t++)
                for (const CtlCommand *c = command_tables[t]; c->name; c++)
                        if (g_str_equal(c->name, name))
                                return c;
        return NULL;
}

static void usage(FILE *f) {
        fprintf(f,
                "Usage: vmmctl [-c URI] COMMAND [ARGS...]\n"
                "       vmmctl help [COMMAND]\n"
                "\n"
                "Manages vmmd's QEMU domains (org.vmmd.qemu1) and storage pools and volumes\n"
                "(org.vmmd.storage1) over D-Bus.\n"
                "\n"
                "Options:\n"
                "  -c, --connect URI   dbus:session, dbus:system or dbus:ADDRESS\n"
                "                      (e.g. dbus:unix:path=/tmp/bus), or ssh://[user@]host\n"
                "                      for another host's system bus over ssh\n"
                "  -h, --help          show this help\n"
                "  -v, --version       show the version\n"
                "\n"
                "The bus is, in order: -c, then $VMMD_BUS_ADDRESS, then the system bus\n"
                "when run as root and the session bus otherwise.\n"
                "\n"
                "Commands:\n");
        for (size_t t = 0; t < G_N_ELEMENTS(command_tables); t++)
                for (const CtlCommand *c = command_tables[t]; c->name; c++)
                        fprintf(f, "  %-20s %s\n", c->name, c->help);
        fprintf(f, "\nDomains are named by NAME, UUID or Id. 'vmmctl help COMMAND' shows a command's options.\n");
        fprintf(f, "Pools are named by NAME or UUID; volumes by NAME with --pool POOL, or by key or path.\n");
}

static void command_usage(FILE *f, const CtlCommand *c) {
        fprintf(f, "Usage: vmmctl %s %s\n\n  %s\n", c->name, c->synopsis, c->help);
        if (!c->opts || !c->opts[0].name)
                return;
        fprintf(f, "\nOptions:\n");
        for (const CtlOpt *o = c->opts; o->name; o++) {
                g_autofree char *left = o->value_name ? g_strdup_printf("--%s %s", o->name, o->value_name)
                                                      : g_strdup_printf("--%s", o->name);
                fprintf(f, "  %-24s %s\n", left, o->help);
        }
}

static const CtlOpt *opt_find(const CtlCommand *c, const char *name) {
        for (const CtlOpt *o = c->opts; o && o->name; o++)
                if (g_str_equal(o->name, name))
                        return o;
        return NULL;
}

/* virsh style: options and positionals in any order, --opt=value or --opt value,
 * and "--" ends the options (for a domain whose name starts with "--"). */
static int args_parse(const CtlCommand *c, int argc, char **argv, CtlArgs *args) {
        bool only_pos = false;

        for (int i = 0; i < argc; i++) {
                const char *a = argv[i];

                if (!only_pos && g_str_equal(a, "--")) {
                        only_pos = true;
                        continue;
                }
                if (only_pos || !g_str_has_prefix(a, "--")) {
                        g_ptr_array_add(args->pos, g_strdup(a));
                        continue;
                }

                g_autofree char *name = g_strdup(a + 2);
                char *eq = strchr(name, '=');
                const char *value = NULL;
                const CtlOpt *o;

                if (eq) {
                        *eq = '\0';
                        value = eq + 1;
                }
                o = opt_find(c, name);
                if (!o) {
                        ctl_error("command '%s' doesn't support option --%s", c->name, name);
                        return -1;
                }
                if (o->value_name) {
                        if (!value) {
                                if (i + 1 >= argc) {
                                        ctl_error("option --%s of command '%s' needs a value", name, c->name);
                                        return -1;
                                }
                                value = argv[++i];
                        }
                        g_ptr_array_add(args->seq, g_strdup(name));
                        g_ptr_array_add(args->seq, g_strdup(value));
                } else if (value) {
                        ctl_error("option --%s of command '%s' takes no value", name, c->name);
                        return -1;
                } else {
                        value = "";
                        args->flags |= o->flag;
                }
                g_hash_table_replace(args->opts, g_strdup(name), g_strdup(value));
        }
        if (args->pos->len < c->min_args) {
                ctl_error("command '%s' requires %u argument%s: vmmctl %s %s", c->name, c->min_args,
                          c->min_args == 1 ? "" : "s", c->name, c->synopsis);
                return -1;
        }
        if (args->pos->len > c->max_args) {
                ctl_error("unexpected data '%s' for command '%s'",
                          (const char *) g_ptr_array_index(args->pos, c->max_args), c->name);
                return -1;
        }
        return 0;
}

static int command_run(Ctl *ctl, const CtlCommand *c, int argc, char **argv) {
        CtlArgs args = {
                .opts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free),
                .pos = g_ptr_array_new_with_free_func(g_free),
                .seq = g_ptr_array_new_with_free_func(g_free),
        };
        int ret;

        for (int i = 0; i < argc && !g_str_equal(argv[i], "--"); i++)
                if (g_str_equal(argv[i], "--help") && !opt_find(c, "help")) {
                        command_usage(stdout, c);
                        ret = CTL_EXIT_OK;
                        goto out;
                }
        if (args_parse(c, argc, argv, &args) < 0)
                ret = CTL_EXIT_FAIL;
        else
                ret = c->run(ctl, &args) < 0 ? CTL_EXIT_FAIL : CTL_EXIT_OK;
out:
        g_hash_table_unref(args.opts);
        g_ptr_array_unref(args.pos);
        g_ptr_array_unref(args.seq);
        return ret;
}

int main(int argc, char *argv[]) {
        Ctl ctl = { 0 };
        const CtlCommand *c;
        const char *connect = NULL;
        int i, ret;

        /* Global options come before the command; everything after belongs to it. */
        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                const char *a = argv[i];

                if (g_str_equal(a, "-h") || g_str_equal(a, "--help")) {
                        usage(stdout);
                        return CTL_EXIT_OK;
                } else if (g_str_equal(a, "-v") || g_str_equal(a, "--version")) {
                        printf("%s\n", VMMD_VERSION);
                        return CTL_EXIT_OK;
                } else if (g_str_equal(a, "-c") || g_str_equal(a, "--connect")) {
                        if (++i >= argc) {
                                ctl_error("option %s needs a URI", a);
                                return CTL_EXIT_FAIL;
                        }
                        connect = argv[i];
                } else if (g_str_has_prefix(a, "--connect=")) {
                        connect = a + strlen("--connect=");
                } else if (g_str_equal(a, "--")) {
                        i++;
                        break;
                } else {
                        ctl_error("unknown option %s", a);
                        usage(stderr);
                        return CTL_EXIT_FAIL;
                }
        }
        if (i >= argc) {
                usage(stderr);
                return CTL_EXIT_FAIL;
        }

        if (g_str_equal(argv[i], "help")) {
                if (i + 1 >= argc) {
                        usage(stdout);
                        return CTL_EXIT_OK;
                }
                c = command_find(argv[i + 1]);
                if (!c) {
                        ctl_error("unknown command: '%s'", argv[i + 1]);
                        return CTL_EXIT_FAIL;
                }
                command_usage(stdout, c);
                return CTL_EXIT_OK;
        }

        c = command_find(argv[i]);
        if (!c) {
                ctl_error("unknown command: '%s' (see 'vmmctl --help')", argv[i]);
                return CTL_EXIT_FAIL;
        }

        if (!connect && getenv("VMMD_BUS_ADDRESS") && *getenv("VMMD_BUS_ADDRESS"))
                connect = getenv("VMMD_BUS_ADDRESS");
        ctl.uri = g_strdup(connect);
        /* So the error names we print are the daemon's, also for -errno style failures. */
        (void) vmmd_error_register_dbus_map();

        ret = command_run(&ctl, c, argc - i - 1, argv + i + 1);

        fflush(stdout);
        if (ctl.bus)
                sd_bus_flush_close_unref(ctl.bus);
        g_free(ctl.uri);
        return ret;
}
