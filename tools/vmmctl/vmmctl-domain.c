/* vmmctl commands about definitions and what a domain looks like: define, undefine, list, dumpxml, info, edit, rename, autostart. */
#include "vmmctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>


#include "cleanup.h"

static int cmd_define(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(CtlDomainInfo) info = NULL;
        const char *file = ctl_args_pos(args, 0);
        g_autofree char *xml = ctl_read_file(file);
        const char *path = NULL;
        int r;

        if (!xml)
                return -EIO;
        r = ctl_call_manager(ctl, "DomainDefineXML", &reply, "su", xml, args->flags);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return r;
        r = ctl_domain_info_get(ctl, path, &info);
        if (r < 0)
                return r;
        printf("Domain '%s' defined from %s\n", info->name, file);
        return 0;
}

static int cmd_undefine(Ctl *ctl, const CtlArgs *args) {
        const char *dom = ctl_args_pos(args, 0);
        int r;

        r = ctl_call_domain(ctl, dom, "Undefine", NULL, "u", args->flags);
        if (r < 0)
                return r;
        printf("Domain '%s' has been undefined\n", dom);
        return 0;
}

static gint info_compare(gconstpointer a, gconstpointer b) {
        const CtlDomainInfo *x = *(CtlDomainInfo *const *) a;
        const CtlDomainInfo *y = *(CtlDomainInfo *const *) b;

        /* virsh's order: running ones by Id, then the rest by name. */
        if (x->active != y->active)
                return x->active ? -1 : 1;
        if (x->active && x->id != y->id)
                return x->id < y->id ? -1 : 1;
        return g_strcmp0(x->name, y->name);
}

static void list_print_json(GPtrArray *infos) {
        CtlJsonList j;

        ctl_json_list_begin(&j);
        for (guint i = 0; i < infos->len; i++) {
                const CtlDomainInfo *d = g_ptr_array_index(infos, i);

                ctl_json_list_object(&j);
                ctl_json_list_int(&j, "id", d->id);
                ctl_json_list_string(&j, "name", d->name);
                ctl_json_list_string(&j, "uuid", d->uuid);
                ctl_json_list_string(&j, "state", ctl_state_to_string(d->state));
                ctl_json_list_bool(&j, "persistent", d->persistent);
                ctl_json_list_bool(&j, "autostart", d->autostart);
        }
        ctl_json_list_print(&j);
}

static void list_print_table(GPtrArray *infos) {
        int w_id = strlen("Id"), w_name = strlen("Name"), w_state = strlen("State");
        g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);

        for (guint i = 0; i < infos->len; i++) {
                const CtlDomainInfo *d = g_ptr_array_index(infos, i);
                char *id = d->active && d->id >= 0 ? g_strdup_printf("%d", d->id) : g_strdup("-");

                w_id = MAX(w_id, (int) strlen(id));
                w_name = MAX(w_name, (int) g_utf8_strlen(d->name, -1));
                w_state = MAX(w_state, (int) strlen(ctl_state_to_string(d->state)));
                g_ptr_array_add(ids, id);
        }
        printf(" %-*s   %-*s   %s\n", w_id, "Id", w_name, "Name", "State");
        for (int i = 0; i < w_id + w_name + w_state + 8; i++)
                putchar('-');
        putchar('\n');
        for (guint i = 0; i < infos->len; i++) {
                const CtlDomainInfo *d = g_ptr_array_index(infos, i);
                /* printf pads by bytes; pad by characters so non-ASCII names line up. */
                int pad = w_name - (int) g_utf8_strlen(d->name, -1);

                printf(" %-*s   %s%*s   %s\n", w_id, (const char *) g_ptr_array_index(ids, i),
                       d->name, pad, "", ctl_state_to_string(d->state));
        }
        putchar('\n');
}

static int cmd_list(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(GPtrArray) infos = g_ptr_array_new_with_free_func((GDestroyNotify) ctl_domain_info_free);
        uint32_t flags = args->flags;
        int r;

        /* Like virsh: only running domains unless asked otherwise. */
        if (ctl_args_has(args, "all"))
                ;
        else if (ctl_args_has(args, "inactive"))
                flags |= DOMAIN_LIST_INACTIVE;
        else
                flags |= DOMAIN_LIST_ACTIVE;

        /* one call whatever the count: the table's columns come with the list */
        r = ctl_call_manager(ctl, "ListDomainStates", &reply, "u", flags);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(ossiiibb)");
        if (r < 0)
                return r;
        for (;;) {
                g_autoptr(CtlDomainInfo) info = g_new0(CtlDomainInfo, 1);
                const char *path, *name, *uuid;
                int persistent, autostart;

                r = sd_bus_message_read(reply, "(ossiiibb)", &path, &name, &uuid, &info->state, &info->reason,
                                        &info->id, &persistent, &autostart);
                if (r <= 0)
                        break;
                info->path = g_strdup(path);
                info->name = g_strdup(name);
                info->uuid = g_strdup(uuid);
                info->active = info->id > 0;
                info->persistent = persistent;
                info->autostart = autostart;
                g_ptr_array_add(infos, g_steal_pointer(&info));
        }
        if (r < 0)
                return r;
        g_ptr_array_sort(infos, info_compare);

        if (ctl_args_has(args, "json"))
                list_print_json(infos);
        else if (ctl_args_has(args, "name") || ctl_args_has(args, "uuid")) {
                for (guint i = 0; i < infos->len; i++) {
                        const CtlDomainInfo *d = g_ptr_array_index(infos, i);

                        if (ctl_args_has(args, "uuid") && ctl_args_has(args, "name"))
                                printf("%-36s %s\n", d->uuid, d->name);
                        else
                                printf("%s\n", ctl_args_has(args, "uuid") ? d->uuid : d->name);
                }
        } else
                list_print_table(infos);
        return 0;
}

static int cmd_dumpxml(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        r = ctl_call_domain(ctl, ctl_args_pos(args, 0), "GetXMLDesc", &reply, "u", args->flags);
        if (r < 0)
                return r;
        return ctl_print_string_reply(reply);
}

static int cmd_domstate(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        int32_t state = 0, reason = 0;
        int r;

        r = ctl_call_domain(ctl, ctl_args_pos(args, 0), "GetState", &reply, "u", 0u);
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "ii", &state, &reason);
        if (r < 0)
                return r;
        if (ctl_args_has(args, "reason"))
                printf("%s (%s)\n", ctl_state_to_string(state), ctl_state_reason_to_string(state, reason));
        else
                printf("%s\n", ctl_state_to_string(state));
        return 0;
}

/* The parts of dominfo that live in the XML rather than in properties, in virsh's order
 * with the State line after "OS Type" (state may be NULL when it is printed elsewhere). */
static void print_xml_summary(Ctl *ctl, const char *path, const char *state) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        g_autoptr(CtlXml) doc = NULL;
        const char *xml = NULL;
        static const struct { const char *label, *parent, *child; bool kib; } rows[] = {
                { "OS Type", "os", "type", false },
                { "State", NULL, NULL, false },
                { "CPU(s)", "vcpu", NULL, false },
                { "Max memory", "memory", NULL, true },
                { "Used memory", "currentMemory", NULL, true },
        };

        /* dominfo is still useful when the XML cannot be read, so failures stay quiet. */
        if (sd_bus_call_method(ctl->bus, QEMU_BUS_NAME, path, QEMU_DOMAIN_INTERFACE, "GetXMLDesc", &error,
                               &reply, "u", 0u) >= 0 &&
            sd_bus_message_read(reply, "s", &xml) >= 0)
                doc = ctl_xml_parse(xml, NULL);
        if (doc && !g_str_equal(ctl_xml_name(doc), "domain"))
                g_clear_pointer(&doc, ctl_xml_free);
        for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
                g_autofree char *label = g_strdup_printf("%s:", rows[i].label);
                g_autofree char *text = NULL;
                const char *v;

                if (!rows[i].parent)
                        v = state ? state : "";
                else {
                        CtlXml *n;

                        if (!doc)
                                continue;
                        n = ctl_xml_child(doc, rows[i].parent);
                        if (rows[i].child)
                                n = ctl_xml_child(n, rows[i].child);
                        v = text = ctl_xml_text(n);
                }
                if (!*v)
                        continue;
                printf("%-15s %s%s\n", label, v, rows[i].kib ? " KiB" : "");
        }
}

static int cmd_dominfo(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(CtlDomainInfo) d = NULL;
        g_autofree char *path = NULL;
        g_autofree char *id = NULL;
        int r;

        r = ctl_domain_lookup(ctl, ctl_args_pos(args, 0), &path);
        if (r < 0)
                return r;
        r = ctl_domain_info_get(ctl, path, &d);
        if (r < 0)
                return r;
        id = d->active && d->id >= 0 ? g_strdup_printf("%d", d->id) : g_strdup("-");
        printf("%-15s %s\n", "Id:", id);
        printf("%-15s %s\n", "Name:", d->name);
        printf("%-15s %s\n", "UUID:", d->uuid);
        print_xml_summary(ctl, path, ctl_state_to_string(d->state));
        printf("%-15s %s\n", "Persistent:", d->persistent ? "yes" : "no");
        printf("%-15s %s\n", "Autostart:", d->autostart ? "enable" : "disable");
        printf("%-15s %s\n", "Managed save:", d->has_managed_save ? "yes" : "no");
        putchar('\n');
        return 0;
}

static int cmd_edit(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(sd_bus_message) def_reply = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *tmp = NULL;
        g_autofree char *edited = NULL;
        const char *dom = ctl_args_pos(args, 0);
        const char *xml = NULL;
        int fd, r;

        /* Secure and inactive: what define stores, so an unchanged round trip loses nothing. */
        r = ctl_call_domain(ctl, dom, "GetXMLDesc", &reply, "u", (uint32_t) (DOMAIN_XML_SECURE | DOMAIN_XML_INACTIVE));
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "s", &xml);
        if (r < 0)
                return r;
        fd = g_file_open_tmp("vmmctl-edit-XXXXXX.xml", &tmp, &error);
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
        if (ctl_run_editor(tmp) < 0) {
                fprintf(stderr, "The XML is kept in %s\n", tmp);
                return -1;
        }
        if (!g_file_get_contents(tmp, &edited, NULL, &error)) {
                ctl_error("%s", error->message);
                return -EIO;
        }
        if (g_str_equal(edited, xml)) {
                printf("Domain '%s' XML configuration not changed.\n", dom);
                unlink(tmp);
                return 0;
        }
        r = ctl_call_manager(ctl, "DomainDefineXML", &def_reply, "su", edited, 0u);
        if (r < 0) {
                fprintf(stderr, "The edited XML is kept in %s\n", tmp);
                return r;
        }
        unlink(tmp);
        printf("Domain '%s' XML configuration edited.\n", dom);
        return 0;
}

static int cmd_domrename(Ctl *ctl, const CtlArgs *args) {
        int r;

        r = ctl_call_domain(ctl, ctl_args_pos(args, 0), "Rename", NULL, "su", ctl_args_pos(args, 1), 0u);
        if (r < 0)
                return r;
        printf("Domain successfully renamed\n");
        return 0;
}

static int cmd_autostart(Ctl *ctl, const CtlArgs *args) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        g_autofree char *path = NULL;
        const char *dom = ctl_args_pos(args, 0);
        bool enable = !ctl_args_has(args, "disable");
        int r;

        r = ctl_domain_lookup(ctl, dom, &path);
        if (r < 0)
                return r;
        r = sd_bus_set_property(ctl->bus, QEMU_BUS_NAME, path, QEMU_DOMAIN_INTERFACE, "Autostart", &error, "b", (int) enable);
        if (r < 0) {
                ctl_print_bus_error(&error, r);
                return r;
        }
        printf(enable ? "Domain '%s' marked as autostarted\n" : "Domain '%s' unmarked as autostarted\n", dom);
        return 0;
}

static int cmd_capabilities(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        r = ctl_call_manager(ctl, "GetCapabilities", &reply, "");
        if (r < 0)
                return r;
        return ctl_print_string_reply(reply);
}

/* uuid, domname, domid: print one property of a domain. */
static int print_property(Ctl *ctl, const char *dom, const char *what) {
        g_autoptr(CtlDomainInfo) d = NULL;
        g_autofree char *path = NULL;
        int r;

        r = ctl_domain_lookup(ctl, dom, &path);
        if (r < 0)
                return r;
        r = ctl_domain_info_get(ctl, path, &d);
        if (r < 0)
                return r;
        if (g_str_equal(what, "UUID"))
                printf("%s\n", d->uuid);
        else if (g_str_equal(what, "Name"))
                printf("%s\n", d->name);
        else if (d->active && d->id >= 0)
                printf("%d\n", d->id);
        else
                printf("-\n");
        return 0;
}

static int cmd_uuid(Ctl *ctl, const CtlArgs *args) {
        return print_property(ctl, ctl_args_pos(args, 0), "UUID");
}

static int cmd_domname(Ctl *ctl, const CtlArgs *args) {
        return print_property(ctl, ctl_args_pos(args, 0), "Name");
}

static int cmd_domid(Ctl *ctl, const CtlArgs *args) {
        return print_property(ctl, ctl_args_pos(args, 0), "Id");
}

static const CtlOpt define_opts[] = {
        { "validate", NULL, DOMAIN_DEFINE_VALIDATE, "validate the XML against the schema" },
        { 0 }
};

static const CtlOpt undefine_opts[] = {
        { "managed-save", NULL, 1, "remove the managed save image too" },
        { "snapshots-metadata", NULL, 2, "remove the snapshots' metadata too" },
        { "nvram", NULL, 4, "remove the NVRAM file too" },
        { "keep-nvram", NULL, 8, "keep the NVRAM file" },
        { "checkpoints-metadata", NULL, 16, "remove checkpoint metadata too" },
        { "tpm", NULL, 32, "remove the TPM state too" },
        { "keep-tpm", NULL, 64, "keep the TPM state" },
        { 0 }
};

/* ListDomains filter bits (spec 0.13); --all and --inactive are handled by cmd_list. */
static const CtlOpt list_opts[] = {
        { "all", NULL, 0, "list active and inactive domains" },
        { "inactive", NULL, 0, "list inactive domains only" },
        { "persistent", NULL, 4, "persistent domains only" },
        { "transient", NULL, 8, "transient domains only" },
        { "state-running", NULL, 16, "running domains only" },
        { "state-paused", NULL, 32, "paused domains only" },
        { "state-shutoff", NULL, 64, "shut off domains only" },
        { "state-other", NULL, 128, "domains in any other state only" },
        { "with-managed-save", NULL, 256, "domains with a managed save image only" },
        { "without-managed-save", NULL, 512, "domains without a managed save image only" },
        { "autostart", NULL, 1024, "autostarted domains only" },
        { "no-autostart", NULL, 2048, "domains not autostarted only" },
        { "with-snapshot", NULL, 4096, "domains with snapshots only" },
        { "without-snapshot", NULL, 8192, "domains without snapshots only" },
        { "name", NULL, 0, "print names only" },
        { "uuid", NULL, 0, "print UUIDs only" },
        { "json", NULL, 0, "print a JSON array of {id,name,uuid,state,persistent,autostart}" },
        { 0 }
};

static const CtlOpt dumpxml_opts[] = {
        { "inactive", NULL, DOMAIN_XML_INACTIVE, "show the persistent (next boot) definition" },
        { "security-info", NULL, DOMAIN_XML_SECURE, "include security-sensitive data such as passwords" },
        { "update-cpu", NULL, DOMAIN_XML_UPDATE_CPU, "update the guest CPU from the host" },
        { "migratable", NULL, DOMAIN_XML_MIGRATABLE, "format the XML for migration" },
        { 0 }
};

static const CtlOpt domstate_opts[] = {
        { "reason", NULL, 0, "also print the reason for the state" },
        { 0 }
};

static const CtlOpt autostart_opts[] = {
        { "disable", NULL, 0, "do not start the domain when the host boots" },
        { 0 }
};

const CtlCommand ctl_domain_commands[] = {
        { "define", cmd_define, "FILE [--validate]", "define (but don't start) a domain from an XML file", define_opts, 1, 1 },
        { "undefine", cmd_undefine, "DOMAIN [--managed-save] [--snapshots-metadata] [--nvram] [--keep-nvram]",
          "undefine a domain", undefine_opts, 1, 1 },
        { "list", cmd_list, "[--all] [--inactive] [--json] [--name] [--uuid] [filters]", "list domains", list_opts, 0, 0 },
        { "dumpxml", cmd_dumpxml, "DOMAIN [--inactive] [--security-info] [--migratable]",
          "print a domain's XML definition", dumpxml_opts, 1, 1 },
        { "domstate", cmd_domstate, "DOMAIN [--reason]", "print a domain's state", domstate_opts, 1, 1 },
        { "dominfo", cmd_dominfo, "DOMAIN", "print basic information about a domain", NULL, 1, 1 },
        { "edit", cmd_edit, "DOMAIN", "edit a domain's XML with $VISUAL/$EDITOR and redefine it", NULL, 1, 1 },
        { "domrename", cmd_domrename, "DOMAIN NEW-NAME", "rename an inactive domain", NULL, 2, 2 },
        { "autostart", cmd_autostart, "DOMAIN [--disable]", "start a domain when the host boots", autostart_opts, 1, 1 },
        { "capabilities", cmd_capabilities, "", "print the host's and QEMU's capabilities", NULL, 0, 0 },
        { "uuid", cmd_uuid, "DOMAIN", "print a domain's UUID", NULL, 1, 1 },
        { "domuuid", cmd_uuid, "DOMAIN", "print a domain's UUID (virsh's name)", NULL, 1, 1 },
        { "domname", cmd_domname, "UUID|ID", "print a domain's name", NULL, 1, 1 },
        { "domid", cmd_domid, "DOMAIN", "print a running domain's Id", NULL, 1, 1 },
        { 0 }
};
