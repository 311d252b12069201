/* vmmctl commands about network filters and their bindings (vmmd-nwfilter, spec nwfilter.md §1), named as in virsh. */
#include "vmmctl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "vmmd/nwfilter1.h"

static int nwf_callv(Ctl *ctl, const char *path, const char *iface, const char *member, sd_bus_message **ret_reply,
                     const char *types, va_list ap) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        int r = ctl_connect(ctl);

        if (r < 0)
                return r;
        r = sd_bus_call_methodv(ctl->bus, NWFILTER_BUS_NAME, path, iface, member, &error, ret_reply, types, ap);
        if (r < 0)
                ctl_print_bus_error(&error, r);
        return r;
}

static int nwf_call(Ctl *ctl, const char *path, const char *iface, const char *member, sd_bus_message **ret_reply,
                    const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = nwf_callv(ctl, path, iface, member, ret_reply, types, ap);
        va_end(ap);
        return r;
}

static int read_path(sd_bus_message *reply, char **ret) {
        const char *path;
        int r = sd_bus_message_read(reply, "o", &path);

        if (r >= 0)
                *ret = g_strdup(path);
        return r;
}

/* A filter is named by its name or its UUID, as in virsh. */
static int filter_lookup(Ctl *ctl, const char *arg, char **ret_path) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        r = nwf_call(ctl, NWFILTER_MANAGER_PATH, NWFILTER_MANAGER_INTERFACE,
                     ctl_is_uuid(arg) ? "NWFilterLookupByUUID" : "NWFilterLookupByName", &reply, "s", arg);
        return r < 0 ? r : read_path(reply, ret_path);
}

static int binding_lookup(Ctl *ctl, const char *portdev, char **ret_path) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        r = nwf_call(ctl, NWFILTER_MANAGER_PATH, NWFILTER_MANAGER_INTERFACE, "NWFilterBindingLookupByPortDev", &reply,
                     "s", portdev);
        return r < 0 ? r : read_path(reply, ret_path);
}

static int get_string(Ctl *ctl, const char *path, const char *iface, const char *prop, char **ret) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        int r = sd_bus_get_property_string(ctl->bus, NWFILTER_BUS_NAME, path, iface, prop, &error, ret);

        if (r < 0)
                ctl_print_bus_error(&error, r);
        return r;
}

static int create_from_file(Ctl *ctl, const CtlArgs *args, const char *method, char **ret_path) {
        g_autofree char *xml = ctl_read_file(ctl_args_pos(args, 0));
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        if (!xml)
                return -EIO;
        r = nwf_call(ctl, NWFILTER_MANAGER_PATH, NWFILTER_MANAGER_INTERFACE, method, &reply, "su", xml, args->flags);
        return r < 0 ? r : read_path(reply, ret_path);
}

static int cmd_nwfilter_define(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *path = NULL, *name = NULL;
        int r = create_from_file(ctl, args, "NWFilterDefineXML", &path);

        if (r >= 0)
                r = get_string(ctl, path, NWFILTER_INTERFACE, "Name", &name);
        if (r < 0)
                return r;
        printf("Network filter %s defined from %s\n\n", name, ctl_args_pos(args, 0));
        return 0;
}

static int cmd_nwfilter_undefine(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *path = NULL, *name = NULL;
        int r = filter_lookup(ctl, ctl_args_pos(args, 0), &path);

        if (r >= 0)
                r = get_string(ctl, path, NWFILTER_INTERFACE, "Name", &name);
        if (r >= 0)
                r = nwf_call(ctl, path, NWFILTER_INTERFACE, "Undefine", NULL, "");
        if (r < 0)
                return r;
        printf("Network filter %s undefined\n\n", name);
        return 0;
}

static int list_table(Ctl *ctl, const char *method, const char *iface, const char *h1, const char *p1, const char *h2,
                      const char *p2) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
        g_auto(GStrv) paths = NULL;
        int r;

        r = nwf_call(ctl, NWFILTER_MANAGER_PATH, NWFILTER_MANAGER_INTERFACE, method, &reply, "u", 0);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(reply, &paths);
        if (r < 0)
                return r;
        g_ptr_array_add(cells, g_strdup(h1));
        g_ptr_array_add(cells, g_strdup(h2));
        for (char **p = paths; p && *p; p++) {
                char *a = NULL, *b = NULL;

                /* an object gone since the list was made is skipped */
                if (get_string(ctl, *p, iface, p1, &a) < 0 || get_string(ctl, *p, iface, p2, &b) < 0) {
                        g_free(a);
                        continue;
                }
                g_ptr_array_add(cells, a);
                g_ptr_array_add(cells, b);
        }
        ctl_print_table(cells, 2);
        return 0;
}

static int cmd_nwfilter_list(Ctl *ctl, const CtlArgs *args) {
        return list_table(ctl, "ListNWFilters", NWFILTER_INTERFACE, "UUID", "UUID", "Name", "Name");
}

static int cmd_nwfilter_dumpxml(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *path = NULL;
        int r = filter_lookup(ctl, ctl_args_pos(args, 0), &path);

        if (r >= 0)
                r = nwf_call(ctl, path, NWFILTER_INTERFACE, "GetXMLDesc", &reply, "u", 0);
        return r < 0 ? r : ctl_print_string_reply(reply);
}

static int cmd_binding_create(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *path = NULL, *port = NULL;
        int r = create_from_file(ctl, args, "NWFilterBindingCreateXML", &path);

        if (r >= 0)
                r = get_string(ctl, path, NWFILTER_BINDING_INTERFACE, "PortDev", &port);
        if (r < 0)
                return r;
        printf("Network filter binding on %s created from %s\n\n", port, ctl_args_pos(args, 0));
        return 0;
}

static int cmd_binding_delete(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *path = NULL;
        int r = binding_lookup(ctl, ctl_args_pos(args, 0), &path);

        if (r >= 0)
                r = nwf_call(ctl, path, NWFILTER_BINDING_INTERFACE, "Delete", NULL, "");
        if (r < 0)
                return r;
        printf("Network filter binding on %s deleted\n\n", ctl_args_pos(args, 0));
        return 0;
}

static int cmd_binding_list(Ctl *ctl, const CtlArgs *args) {
        return list_table(ctl, "ListNWFilterBindings", NWFILTER_BINDING_INTERFACE, "Port Dev", "PortDev", "Filter",
                          "FilterName");
}

static int cmd_binding_dumpxml(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *path = NULL;
        int r = binding_lookup(ctl, ctl_args_pos(args, 0), &path);

        if (r >= 0)
                r = nwf_call(ctl, path, NWFILTER_BINDING_INTERFACE, "GetXMLDesc", &reply, "u", 0);
        return r < 0 ? r : ctl_print_string_reply(reply);
}

static const CtlOpt define_opts[] = {
        { "validate", NULL, NWFILTER_DEFINE_VALIDATE, "validate the XML against the schema" },
        { 0 }
};

static const CtlOpt binding_create_opts[] = {
        { "validate", NULL, NWFILTER_BINDING_CREATE_VALIDATE, "validate the XML against the schema" },
        { 0 }
};

const CtlCommand ctl_nwfilter_commands[] = {
        { "nwfilter-define", cmd_nwfilter_define, "FILE [--validate]", "define or update a network filter from an XML file",
          define_opts, 1, 1 },
        { "nwfilter-undefine", cmd_nwfilter_undefine, "FILTER", "undefine a network filter", NULL, 1, 1 },
        { "nwfilter-list", cmd_nwfilter_list, "", "list network filters", NULL, 0, 0 },
        { "nwfilter-dumpxml", cmd_nwfilter_dumpxml, "FILTER", "print a network filter's XML", NULL, 1, 1 },
        { "nwfilter-binding-create", cmd_binding_create, "FILE [--validate]",
          "bind a network filter to a port from an XML file", binding_create_opts, 1, 1 },
        { "nwfilter-binding-delete", cmd_binding_delete, "PORTDEV", "remove a port's network filter binding", NULL, 1,
          1 },
        { "nwfilter-binding-list", cmd_binding_list, "", "list network filter bindings", NULL, 0, 0 },
        { "nwfilter-binding-dumpxml", cmd_binding_dumpxml, "PORTDEV", "print a network filter binding's XML", NULL, 1,
          1 },
        { 0 }
};
