/* vmmctl commands about virtual networks (vmmd-network, spec network.md): define, create, start, destroy,
 * undefine, list, info, dumpxml, autostart, dhcp-leases, port-list, uuid, name. */
#include "vmmctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "vmmd/network1.h"

static int net_callv(Ctl *ctl, const char *path, const char *iface, const char *member, sd_bus_error *error,
                     sd_bus_message **ret_reply, const char *types, va_list ap) {
        int r = ctl_connect(ctl);

        if (r < 0)
                return r;
        return sd_bus_call_methodv(ctl->bus, NETWORK_BUS_NAME, path, iface, member, error, ret_reply, types, ap);
}

/* ctl_call for org.vmmd.network1: prints the error and returns negative on failure. */
static int net_call(Ctl *ctl, const char *path, const char *iface, const char *member, sd_bus_message **ret_reply,
                    const char *types, ...) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        va_list ap;
        int r;

        va_start(ap, types);
        r = net_callv(ctl, path, iface, member, &error, ret_reply, types, ap);
        va_end(ap);
        if (r < 0 && (ctl->bus || sd_bus_error_is_set(&error)))
                ctl_print_bus_error(&error, r);
        return r;
}

/* NAME, then UUID (as ctl_pool_lookup). Prints the error and returns negative when not found. */
static int net_lookup(Ctl *ctl, const char *arg, char **ret_path) {
        static const CtlLookup lookup = {
                NETWORK_BUS_NAME, NETWORK_MANAGER_PATH, NETWORK_MANAGER_INTERFACE,
                "NetworkLookupByName", "NetworkLookupByUUID", VMMD_DBUS_ERROR_NO_NETWORK,
        };

        return ctl_lookup_name_or_uuid(ctl, &lookup, arg, ret_path);
}

static int get_string(Ctl *ctl, const char *path, const char *prop, char **ret) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        int r = sd_bus_get_property_string(ctl->bus, NETWORK_BUS_NAME, path, NETWORK_INTERFACE, prop, &error, ret);

        if (r < 0)
                ctl_print_bus_error(&error, r);
        return r;
}

static int get_bool(Ctl *ctl, const char *path, const char *prop, bool *ret) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        int b = 0, r;

        r = sd_bus_get_property(ctl->bus, NETWORK_BUS_NAME, path, NETWORK_INTERFACE, prop, &error, &reply, "b");
        if (r < 0) {
                ctl_print_bus_error(&error, r);
                return r;
        }
        r = sd_bus_message_read(reply, "b", &b);
        *ret = b;
        return r;
}

static const char *yes_no(bool b) {
        return b ? "yes" : "no";
}

static int define_or_create(Ctl *ctl, const CtlArgs *args, const char *member, const char *verb) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *xml = ctl_read_file(ctl_args_pos(args, 0));
        g_autofree char *name = NULL;
        const char *path;
        int r;

        if (!xml)
                return -EIO;
        r = net_call(ctl, NETWORK_MANAGER_PATH, NETWORK_MANAGER_INTERFACE, member, &reply, "su", xml, args->flags);
        if (r < 0)
                return r;
        if ((r = sd_bus_message_read(reply, "o", &path)) < 0 || (r = get_string(ctl, path, "Name", &name)) < 0)
                return r;
        printf("Network %s %s from %s\n", name, verb, ctl_args_pos(args, 0));
        return 0;
}

static int cmd_net_define(Ctl *ctl, const CtlArgs *args) {
        return define_or_create(ctl, args, "NetworkDefineXML", "defined");
}

static int cmd_net_create(Ctl *ctl, const CtlArgs *args) {
        return define_or_create(ctl, args, "NetworkCreateXML", "created");
}

/* A method without arguments on the named network, then virsh's line about it. */
static int simple(Ctl *ctl, const CtlArgs *args, const char *member, const char *done_fmt) {
        g_autofree char *path = NULL;
        const char *arg = ctl_args_pos(args, 0);
        int r;

        r = net_lookup(ctl, arg, &path);
        if (r < 0)
                return r;
        r = net_call(ctl, path, NETWORK_INTERFACE, member, NULL, "");
        if (r < 0)
                return r;
        printf(done_fmt, arg);
        printf("\n");
        return 0;
}

static int cmd_net_start(Ctl *ctl, const CtlArgs *args) {
        return simple(ctl, args, "Create", "Network %s started");
}

static int cmd_net_destroy(Ctl *ctl, const CtlArgs *args) {
        return simple(ctl, args, "Destroy", "Network %s destroyed");
}

static int cmd_net_undefine(Ctl *ctl, const CtlArgs *args) {
        return simple(ctl, args, "Undefine", "Network %s has been undefined");
}

static int cmd_net_list(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
        g_auto(GStrv) paths = NULL;
        uint32_t flags = args->flags;
        int r;

        /* virsh lists the active networks unless told otherwise */
        if (!ctl_args_has(args, "all") && !(flags & (NETWORK_LIST_INACTIVE | NETWORK_LIST_ACTIVE)))
                flags |= NETWORK_LIST_ACTIVE;
        if (ctl_args_has(args, "all"))
                flags &= ~(uint32_t) (NETWORK_LIST_INACTIVE | NETWORK_LIST_ACTIVE);
        r = net_call(ctl, NETWORK_MANAGER_PATH, NETWORK_MANAGER_INTERFACE, "ListNetworks", &reply, "u", flags);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(reply, &paths);
        if (r < 0)
                return r;
        if (ctl_args_has(args, "name")) {
                for (char **p = paths; p && *p; p++) {
                        g_autofree char *name = NULL;
                        if (get_string(ctl, *p, "Name", &name) >= 0)
                                printf("%s\n", name);
                }
                return 0;
        }
        g_ptr_array_add(cells, g_strdup("Name"));
        g_ptr_array_add(cells, g_strdup("State"));
        g_ptr_array_add(cells, g_strdup("Autostart"));
        g_ptr_array_add(cells, g_strdup("Persistent"));
        for (char **p = paths; p && *p; p++) {
                g_autofree char *name = NULL;
                bool active = false, autostart = false, persistent = false;

                /* a network that vanished since it was listed is not worth an error */
                if (get_string(ctl, *p, "Name", &name) < 0 || get_bool(ctl, *p, "Active", &active) < 0 ||
                    get_bool(ctl, *p, "Autostart", &autostart) < 0 || get_bool(ctl, *p, "Persistent", &persistent) < 0)
                        continue;
                g_ptr_array_add(cells, g_steal_pointer(&name));
                g_ptr_array_add(cells, g_strdup(active ? "active" : "inactive"));
                g_ptr_array_add(cells, g_strdup(yes_no(autostart)));
                g_ptr_array_add(cells, g_strdup(yes_no(persistent)));
        }
        ctl_print_table(cells, 4);
        return 0;
}

static int cmd_net_info(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *path = NULL, *name = NULL, *uuid = NULL, *bridge = NULL, *mode = NULL;
        bool active = false, persistent = false, autostart = false;
        int r;

        r = net_lookup(ctl, ctl_args_pos(args, 0), &path);
        if (r < 0)
                return r;
        if ((r = get_string(ctl, path, "Name", &name)) < 0 || (r = get_string(ctl, path, "UUID", &uuid)) < 0 ||
            (r = get_string(ctl, path, "BridgeName", &bridge)) < 0 ||
            (r = get_string(ctl, path, "ForwardMode", &mode)) < 0 || (r = get_bool(ctl, path, "Active", &active)) < 0 ||
            (r = get_bool(ctl, path, "Persistent", &persistent)) < 0 ||
            (r = get_bool(ctl, path, "Autostart", &autostart)) < 0)
                return r;
        printf("%-15s %s\n", "Name:", name);
        printf("%-15s %s\n", "UUID:", uuid);
        printf("%-15s %s\n", "Active:", yes_no(active));
        printf("%-15s %s\n", "Persistent:", yes_no(persistent));
        printf("%-15s %s\n", "Autostart:", yes_no(autostart));
        printf("%-15s %s\n", "Bridge:", bridge);
        printf("%-15s %s\n", "Forward mode:", mode);
        return 0;
}

static int cmd_net_dumpxml(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autofree char *path = NULL;
        int r;

        r = net_lookup(ctl, ctl_args_pos(args, 0), &path);
        if (r < 0)
                return r;
        r = net_call(ctl, path, NETWORK_INTERFACE, "GetXMLDesc", &reply, "u", args->flags);
        if (r < 0)
                return r;
        return ctl_print_string_reply(reply);
}

static int cmd_net_autostart(Ctl *ctl, const CtlArgs *args) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        g_autofree char *path = NULL;
        bool enable = !ctl_args_has(args, "disable");
        int r;

        r = net_lookup(ctl, ctl_args_pos(args, 0), &path);
        if (r < 0)
                return r;
        r = sd_bus_set_property(ctl->bus, NETWORK_BUS_NAME, path, NETWORK_INTERFACE, "Autostart", &error, "b",
                                (int) enable);
        if (r < 0) {
                ctl_print_bus_error(&error, r);
                return r;
        }
        printf(enable ? "Network %s marked as autostarted\n" : "Network %s unmarked as autostarted\n",
               ctl_args_pos(args, 0));
        return 0;
}

static int cmd_net_dhcp_leases(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *path = NULL;
        const char *mac = ctl_args_get(args, "mac");
        const char *iface, *lmac, *iaid, *ip, *host, *cid;
        int64_t expiry;
        int32_t type;
        uint32_t prefix;
        int r;

        r = net_lookup(ctl, ctl_args_pos(args, 0), &path);
        if (r < 0)
                return r;
        r = net_call(ctl, path, NETWORK_INTERFACE, "GetDHCPLeases", &reply, "su", mac ? mac : "", 0);
        if (r < 0)
                return r;
        for (const char *h = "Expiry Time\nMAC address\nProtocol\nIP address\nHostname\nClient ID or DUID"; h;) {
                const char *nl = strchr(h, '\n');
                g_ptr_array_add(cells, nl ? g_strndup(h, nl - h) : g_strdup(h));
                h = nl ? nl + 1 : NULL;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(sxisssuss)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(reply, "(sxisssuss)", &iface, &expiry, &type, &lmac, &iaid, &ip, &prefix,
                                        &host, &cid)) > 0) {
                time_t t = (time_t) expiry;
                struct tm tm;
                char when[32] = "never";

                if (expiry > 0 && localtime_r(&t, &tm))
                        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
                g_ptr_array_add(cells, g_strdup(when));
                g_ptr_array_add(cells, g_strdup(lmac));
                g_ptr_array_add(cells, g_strdup(type == NETWORK_IP_ADDR_TYPE_IPV6 ? "ipv6" : "ipv4"));
                g_ptr_array_add(cells, g_strdup_printf("%s/%u", ip, prefix));
                g_ptr_array_add(cells, g_strdup(*host ? host : "-"));
                g_ptr_array_add(cells, g_strdup(*cid ? cid : "-"));
        }
        if (r < 0)
                return r;
        ctl_print_table(cells, 6);
        return 0;
}

static int cmd_net_port_list(Ctl *ctl, const CtlArgs *args) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_autoptr(GPtrArray) cells = g_ptr_array_new_with_free_func(g_free);
        g_auto(GStrv) ports = NULL;
        g_autofree char *path = NULL;
        int r;

        r = net_lookup(ctl, ctl_args_pos(args, 0), &path);
        if (r < 0)
                return r;
        r = net_call(ctl, path, NETWORK_INTERFACE, "ListPorts", &reply, "u", 0);
        if (r < 0)
                return r;
        r = sd_bus_message_read_strv(reply, &ports);
        if (r < 0)
                return r;
        g_ptr_array_add(cells, g_strdup("UUID"));
        g_ptr_array_add(cells, g_strdup("Owner"));
        g_ptr_array_add(cells, g_strdup("MAC"));
        for (char **p = ports; p && *p; p++) {
                g_autofree char *uuid = NULL, *owner = NULL, *mac = NULL;

                if (sd_bus_get_property_string(ctl->bus, NETWORK_BUS_NAME, *p, NETWORK_PORT_INTERFACE, "UUID", NULL,
                                               &uuid) < 0 ||
                    sd_bus_get_property_string(ctl->bus, NETWORK_BUS_NAME, *p, NETWORK_PORT_INTERFACE, "OwnerName",
                                               NULL, &owner) < 0 ||
                    sd_bus_get_property_string(ctl->bus, NETWORK_BUS_NAME, *p, NETWORK_PORT_INTERFACE, "MAC", NULL,
                                               &mac) < 0)
                        continue;
                g_ptr_array_add(cells, g_steal_pointer(&uuid));
                g_ptr_array_add(cells, g_steal_pointer(&owner));
                g_ptr_array_add(cells, g_steal_pointer(&mac));
        }
        ctl_print_table(cells, 3);
        return 0;
}

static int print_property(Ctl *ctl, const CtlArgs *args, const char *prop) {
        g_autofree char *path = NULL, *value = NULL;
        int r;

        r = net_lookup(ctl, ctl_args_pos(args, 0), &path);
        if (r < 0 || (r = get_string(ctl, path, prop, &value)) < 0)
                return r;
        printf("%s\n", value);
        return 0;
}

static int cmd_net_uuid(Ctl *ctl, const CtlArgs *args) {
        return print_property(ctl, args, "UUID");
}

static int cmd_net_name(Ctl *ctl, const CtlArgs *args) {
        return print_property(ctl, args, "Name");
}

/* virsh's words for Update's commands and sections */
static const char *const update_commands[] = { [NETWORK_UPDATE_MODIFY] = "modify", [NETWORK_UPDATE_DELETE] = "delete",
                                               [NETWORK_UPDATE_ADD_LAST] = "add-last",
                                               [NETWORK_UPDATE_ADD_FIRST] = "add-first" };
static const char *const update_sections[] = {
        "none", "bridge", "domain", "ip", "ip-dhcp-host", "ip-dhcp-range", "forward", "forward-interface",
        "forward-pf", "portgroup", "dns-host", "dns-txt", "dns-srv",
};

static int word_index(const char *const *words, unsigned n, const char *w) {
        for (unsigned i = 0; i < n; i++)
                if (words[i] && g_str_equal(words[i], w))
                        return (int) i;
        return -1;
}

/* net-update NETWORK COMMAND SECTION XML: XML is the element itself when it starts with '<', else a file. */
static int cmd_net_update(Ctl *ctl, const CtlArgs *args) {
        g_autofree char *path = NULL, *xml = NULL;
        const char *cmd = ctl_args_pos(args, 1), *sect = ctl_args_pos(args, 2), *arg = ctl_args_pos(args, 3);
        const char *index = ctl_args_get(args, "parent-index");
        int command, section, r;
        int32_t parent = -1;
        uint32_t flags = 0;

        command = g_str_equal(cmd, "add") ? NETWORK_UPDATE_ADD_LAST :
                  word_index(update_commands, G_N_ELEMENTS(update_commands), cmd);
        if (command <= 0) {
                ctl_error("unrecognized command name '%s' (add, add-first, add-last, delete, modify)", cmd);
                return -EINVAL;
        }
        section = word_index(update_sections, G_N_ELEMENTS(update_sections), sect);
        if (section <= 0) {
                ctl_error("unrecognized section name '%s'", sect);
                return -EINVAL;
        }
        if (index) {
                gint64 v;

                if (!g_ascii_string_to_signed(index, 10, -1, G_MAXINT32, &v, NULL)) {
                        ctl_error("invalid parent index '%s'", index);
                        return -EINVAL;
                }
                parent = (int32_t) v;
        }
        xml = arg[0] == '<' ? g_strdup(arg) : ctl_read_file(arg);
        if (!xml)
                return -EIO;
        if (ctl_args_has(args, "live"))
                flags |= NETWORK_UPDATE_AFFECT_LIVE;
        if (ctl_args_has(args, "config"))
                flags |= NETWORK_UPDATE_AFFECT_CONFIG;
        r = net_lookup(ctl, ctl_args_pos(args, 0), &path);
        if (r < 0)
                return r;
        r = net_call(ctl, path, NETWORK_INTERFACE, "Update", NULL, "uuisu", (uint32_t) command, (uint32_t) section,
                     parent, xml, flags);
        if (r < 0)
                return r;
        printf("Updated network %s %s\n", ctl_args_pos(args, 0),
               flags == (NETWORK_UPDATE_AFFECT_LIVE | NETWORK_UPDATE_AFFECT_CONFIG) ? "persistent config and live state"
               : flags == NETWORK_UPDATE_AFFECT_LIVE ? "live state" : flags ? "persistent config" : "");
        return 0;
}

static const CtlOpt update_opts[] = {
        { "parent-index", "N", 0, "the <ip> element to change (default: the one with DHCP)" },
        { "live", NULL, 0, "change the running network" },
        { "config", NULL, 0, "change the stored definition" },
        { "current", NULL, 0, "change the running network if it runs, else the stored definition" },
        { 0 }
};

static const CtlOpt define_opts[] = {
        { "validate", NULL, NETWORK_DEFINE_VALIDATE, "validate the XML against the schema" },
        { 0 }
};

static const CtlOpt list_opts[] = {
        { "all", NULL, 0, "active and inactive networks" },
        { "inactive", NULL, NETWORK_LIST_INACTIVE, "inactive networks only" },
        { "persistent", NULL, NETWORK_LIST_PERSISTENT, "persistent networks only" },
        { "transient", NULL, NETWORK_LIST_TRANSIENT, "transient networks only" },
        { "autostart", NULL, NETWORK_LIST_AUTOSTART, "autostarted networks only" },
        { "no-autostart", NULL, NETWORK_LIST_NO_AUTOSTART, "networks not autostarted only" },
        { "name", NULL, 0, "print names only" },
        { 0 }
};

static const CtlOpt dumpxml_opts[] = {
        { "inactive", NULL, NETWORK_XML_INACTIVE, "show the definition the network gets when next started" },
        { 0 }
};

static const CtlOpt autostart_opts[] = {
        { "disable", NULL, 0, "do not start the network when the host boots" },
        { 0 }
};

static const CtlOpt leases_opts[] = {
        { "mac", "MAC", 0, "only the leases of this MAC address" },
        { 0 }
};

const CtlCommand ctl_net_commands[] = {
        { "net-define", cmd_net_define, "FILE [--validate]", "define (but don't start) a network from an XML file",
          define_opts, 1, 1 },
        { "net-create", cmd_net_create, "FILE [--validate]", "create and start a transient network from an XML file",
          define_opts, 1, 1 },
        { "net-start", cmd_net_start, "NETWORK", "start an inactive network", NULL, 1, 1 },
        { "net-destroy", cmd_net_destroy, "NETWORK", "stop a network", NULL, 1, 1 },
        { "net-undefine", cmd_net_undefine, "NETWORK", "undefine a network", NULL, 1, 1 },
        { "net-list", cmd_net_list, "[--all] [--inactive] [filters] [--name]", "list networks", list_opts, 0, 0 },
        { "net-info", cmd_net_info, "NETWORK", "print basic information about a network", NULL, 1, 1 },
        { "net-dumpxml", cmd_net_dumpxml, "NETWORK [--inactive]", "print a network's XML", dumpxml_opts, 1, 1 },
        { "net-autostart", cmd_net_autostart, "NETWORK [--disable]", "start a network when the host boots",
          autostart_opts, 1, 1 },
        { "net-dhcp-leases", cmd_net_dhcp_leases, "NETWORK [--mac MAC]", "print a network's DHCP leases",
          leases_opts, 1, 1 },
        { "net-update", cmd_net_update, "NETWORK COMMAND SECTION XML [--parent-index N] [--live] [--config] [--current]",
          "add, delete or modify a part of a network (dhcp hosts and ranges, dns hosts)", update_opts, 4, 4 },
        { "net-port-list", cmd_net_port_list, "NETWORK", "list a running network's ports", NULL, 1, 1 },
        { "net-uuid", cmd_net_uuid, "NETWORK", "print a network's UUID", NULL, 1, 1 },
        { "net-name", cmd_net_name, "UUID", "print a network's name", NULL, 1, 1 },
        { NULL }
};
