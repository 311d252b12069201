/* The bus glue of the vmmd-qemu manager object: define, list, lookup, capabilities, events. */
#include <errno.h>
#include <string.h>

#include "bus-util.h"
#include "caller.h"
#include "cleanup.h"
#include "config.h"
#include "domain-lifecycle.h"
#include "domain-save.h"
#include "error.h"
#include "host-info.h"
#include "log.h"
#include "qemu-dbus.h"
#include "snapshot.h"

static Manager *track_manager;

static int reply_domain_path(sd_bus_message *msg, Domain *d) {
        g_autofree char *path = domain_bus_path(d);
        return sd_bus_reply_method_return(msg, "o", path);
}

static void on_defined(Manager *m, Domain *d, bool added, GError *gerr, void *userdata) {
        g_autoptr(sd_bus_message) msg = userdata;
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;

        if (gerr) {
                vmmd_error_to_bus(gerr, &error);
                (void) sd_bus_reply_method_error(msg, &error);
                return;
        }
        log_info("%s domain '%s' (%s)", added ? "defined" : "updated", domain_name(d), d->uuid);
        (void) reply_domain_path(msg, d);
}

static int method_define_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *xml;
        uint32_t flags;
        int r;

        r = vmmd_bus_read_text_and_flags(msg, "DomainDefineXML", "xml", DOMAIN_DEFINE_VALIDATE, &xml, &flags, error);
        if (r < 0)
                return r;
        /* the reply comes once the definition is on disk, maybe after other calls */
        manager_define_xml_async(m, xml, flags, on_defined, sd_bus_message_ref(msg));
        return 1;
}

static int on_autodestroy_client_gone(sd_bus_track *track, void *userdata) {
        Manager *m = track_manager;
        g_autofree char *uuid = userdata;
        Domain *d = manager_find_by_uuid(m, uuid);

        /* A29: the client that started the domain disconnected */
        if (d && domain_is_active(d) && d->run.autodestroy_owner) {
                log_info("client of domain '%s' disconnected: destroying it (AUTODESTROY)", domain_name(d));
                (void) domain_destroy(d, 0, NULL, NULL);
        }
        sd_bus_track_unref(track);
        return 0;
}

void manager_bus_track_autodestroy(Manager *m, Domain *d, sd_bus_message *msg) {
        sd_bus_track *track = NULL;

        track_manager = m;
        if (sd_bus_track_new(m->bus, &track, on_autodestroy_client_gone, g_strdup(d->uuid)) < 0)
                return;
        if (sd_bus_track_add_sender(track, msg) < 0) {
                sd_bus_track_unref(track);
                return;
        }
        g_free(d->run.autodestroy_owner);
        d->run.autodestroy_owner = g_strdup(sd_bus_message_get_sender(msg));
}

static int method_create_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        g_autoptr(GError) gerr = NULL;
        g_autoptr(DomainDef) def = NULL;
        g_autofree char *path = NULL;
        const char *xml;
        uint32_t flags;
        bool is_new = false;
        DomainCall *call;
        Domain *d;
        int r;

        r = vmmd_bus_read_text_and_flags(msg, "DomainCreateXML", "xml",
                                         DOMAIN_START_PAUSED | DOMAIN_START_AUTODESTROY | DOMAIN_START_VALIDATE |
                                         DOMAIN_START_RESET_NVRAM, &xml, &flags, error);
        if (r < 0)
                return r;
        def = manager_parse_domain(m, xml, flags & DOMAIN_START_VALIDATE, &gerr);
        if (!def)
                return vmmd_error_to_bus(gerr, error);
        d = manager_prepare_create_xml(m, def, &is_new, &gerr);
        if (!d)
                return vmmd_error_to_bus(gerr, error);
        path = domain_bus_path(d);
        call = bus_call_new(msg, path);
        if (flags & DOMAIN_START_AUTODESTROY)
                manager_bus_track_autodestroy(m, d, msg);
        if (!domain_start(d, g_steal_pointer(&def), flags & DOMAIN_START_PAUSED, call, &gerr)) {
                bus_call_free(call);
                if (is_new) {
                        /* A28: a new transient domain goes away again */
                        manager_notify_domain_removed(m, d);
                        manager_remove_domain(m, d);
                }
                return vmmd_error_to_bus(gerr, error);
        }
        return 1;
}

static int method_list_domains(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        g_autoptr(GPtrArray) list = NULL;
        uint32_t flags;
        int r;

        r = vmmd_bus_read_flags(msg, "ListDomains", DOMAIN_LIST_ALL, false, 0, &flags, error);
        if (r < 0)
                return r;
        list = manager_list_domains(m, flags);
        return domain_bus_reply_paths(msg, list);
}

/* ListDomains with what a table of domains shows, in one reply and in name order: (path, name,
 * uuid, state, reason, id, persistent, autostart), for clients that would otherwise ask each
 * domain (vmmctl list) or take every property of every object (GetManagedObjects). */
static int method_list_domain_states(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        g_autoptr(GPtrArray) list = NULL;
        uint32_t flags;
        int r;

        r = vmmd_bus_read_flags(msg, "ListDomainStates", DOMAIN_LIST_ALL, false, 0, &flags, error);
        if (r < 0)
                return r;
        list = manager_list_domains(m, flags);
        return domain_bus_reply_states(msg, list);
}

static int method_lookup_by_name(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name;
        Domain *d;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        if (!*name)
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG, "DomainLookupByName: name must not be empty");
        d = manager_find_by_name(m, name);
        if (!d || d->removing)
                return vmmd_bus_error_setf(error, VMMD_ERROR_NO_DOMAIN, "no domain with matching name '%s'", name);
        return reply_domain_path(msg, d);
}

static int method_lookup_by_uuid(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *s;
        char uuid[37];
        Domain *d;
        int r;

        r = sd_bus_message_read(msg, "s", &s);
        if (r < 0)
                return r;
        if (!vmmd_uuid_parse(s, uuid))
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG, "DomainLookupByUUID: malformed uuid '%s'", s);
        d = manager_find_by_uuid(m, uuid);
        if (!d || d->removing)
                return vmmd_bus_error_setf(error, VMMD_ERROR_NO_DOMAIN, "no domain with matching uuid '%s'", uuid);
        return reply_domain_path(msg, d);
}

static int method_lookup_by_id(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int32_t id;
        Domain *d;
        int r;

        r = sd_bus_message_read(msg, "i", &id);
        if (r < 0)
                return r;
        d = manager_find_by_id(m, id);
        if (!d)
                return vmmd_bus_error_setf(error, VMMD_ERROR_NO_DOMAIN, "no active domain with id %d", id);
        return reply_domain_path(msg, d);
}

static int method_restore(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        g_autoptr(GError) gerr = NULL;
        const char *file, *dxml;
        uint32_t flags;
        DomainCall *call;
        Domain *d = NULL;
        int r;

        r = vmmd_caller_require_privileged(msg, "DomainRestore", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "ssu", &file, &dxml, &flags);
        if (r < 0)
                return r;
        r = bus_check_save_flags("DomainRestore", flags, DOMAIN_SAVE_BYPASS_CACHE | DOMAIN_SAVE_RUNNING |
                                 DOMAIN_SAVE_PAUSED | DOMAIN_SAVE_RESET_NVRAM, error);
        if (r < 0)
                return r;
        r = bus_check_file_arg("DomainRestore", file, error);
        if (r < 0)
                return r;
        /* the reply names the domain; it is known once the image has been read */
        call = bus_call_new(msg, NULL);
        if (!manager_restore(m, file, dxml, flags, call, &d, &gerr)) {
                bus_call_free(call);
                return vmmd_error_to_bus(gerr, error);
        }
        bus_call_set_reply_path(call, domain_bus_path(d));
        return 1;
}

static int method_save_image_get_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        g_autofree char *xml = NULL;
        const char *file;
        uint32_t flags;
        int r;

        /* C33: the image's contents need privilege even without XML_SECURE */
        r = vmmd_caller_require_privileged(msg, "DomainSaveImageGetXMLDesc", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "su", &file, &flags);
        if (r < 0)
                return r;
        r = vmmd_bus_check_flags("DomainSaveImageGetXMLDesc", flags, DOMAIN_XML_SECURE, error);
        if (r < 0)
                return r;
        r = bus_check_file_arg("DomainSaveImageGetXMLDesc", file, error);
        if (r < 0)
                return r;
        xml = save_image_get_xml(file, flags & DOMAIN_XML_SECURE, &gerr);
        if (!xml)
                return vmmd_error_to_bus(gerr, error);
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int method_save_image_define(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        g_autoptr(GError) gerr = NULL;
        const char *file, *dxml;
        uint32_t flags;
        int r;

        r = vmmd_caller_require_privileged(msg, "DomainSaveImageDefineXML", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "ssu", &file, &dxml, &flags);
        if (r < 0)
                return r;
        r = bus_check_save_flags("DomainSaveImageDefineXML", flags, DOMAIN_SAVE_RUNNING | DOMAIN_SAVE_PAUSED, error);
        if (r < 0)
                return r;
        r = bus_check_file_arg("DomainSaveImageDefineXML", file, error);
        if (r < 0)
                return r;
        if (!*dxml)
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG,
                                        "DomainSaveImageDefineXML: dxml must not be empty");
        if (!save_image_define_xml(m, file, dxml, flags, &gerr))
                return vmmd_error_to_bus(gerr, error);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_get_capabilities(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        g_autoptr(GError) gerr = NULL;
        g_autofree char *xml = manager_capabilities_xml(m, &gerr);

        if (!xml)
                return vmmd_error_to_bus(gerr, error);
        return sd_bus_reply_method_return(msg, "s", xml);
}

/* Host facts for the libvirt protocol front (vmmd-dispatch): NODE_GET_INFO and friends. */
static int method_get_node_info(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        HostInfo info;

        if (!host_info_get(&info, &gerr))
                return vmmd_error_to_bus(gerr, error);
        return sd_bus_reply_method_return(msg, "stiiiiii", info.model, info.memory_kib, info.cpus, info.mhz, info.nodes,
                                          info.sockets, info.cores, info.threads);
}

static int method_get_node_memory_stats(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        HostMemoryStat stats[4];
        int32_t cell;
        uint32_t flags;
        int n, r;

        r = sd_bus_message_read(msg, "iu", &cell, &flags);
        if (r < 0)
                return r;
        if (flags != 0)
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG,
                                         "GetNodeMemoryStats: unsupported flags (0x%x)", flags);
        /* one NUMA cell is all vmmd reports: -1 (all cells) and 0 are the same */
        if (cell != -1 && cell != 0)
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG, "Invalid cell number %d", cell);
        n = host_memory_stats(stats, &gerr);
        if (n < 0)
                return vmmd_error_to_bus(gerr, error);
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(st)");
        for (int i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "(st)", stats[i].field, stats[i].value_kib);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_hypervisor_version(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        uint64_t version;

        if (!host_hypervisor_version(userdata, &version, &gerr))
                return vmmd_error_to_bus(gerr, error);
        return sd_bus_reply_method_return(msg, "t", version);
}

static int method_get_domain_capabilities(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        g_autofree char *xml = NULL;
        const char *emulator, *arch, *machine, *virttype;
        uint32_t flags;
        int r;

        r = sd_bus_message_read(msg, "ssssu", &emulator, &arch, &machine, &virttype, &flags);
        if (r < 0)
                return r;
        if (flags != 0)
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG,
                                         "GetDomainCapabilities: unsupported flags (0x%x)", flags);
        xml = host_domain_capabilities_xml(userdata, emulator, arch, machine, virttype, &gerr);
        if (!xml)
                return vmmd_error_to_bus(gerr, error);
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int property_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", VMMD_VERSION);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("DomainDefineXML", SD_BUS_ARGS("s", xml, "u", flags),
                                SD_BUS_RESULT("o", domain), method_define_xml, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainCreateXML", SD_BUS_ARGS("s", xml, "u", flags),
                                SD_BUS_RESULT("o", domain), method_create_xml, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListDomains", SD_BUS_ARGS("u", flags),
                                SD_BUS_RESULT("ao", domains), method_list_domains, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListDomainStates", SD_BUS_ARGS("u", flags),
                                SD_BUS_RESULT("a(ossiiibb)", domains), method_list_domain_states,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainLookupByName", SD_BUS_ARGS("s", name),
                                SD_BUS_RESULT("o", domain), method_lookup_by_name, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainLookupByUUID", SD_BUS_ARGS("s", uuid),
                                SD_BUS_RESULT("o", domain), method_lookup_by_uuid, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainLookupByID", SD_BUS_ARGS("i", id),
                                SD_BUS_RESULT("o", domain), method_lookup_by_id, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainRestore", SD_BUS_ARGS("s", file, "s", dxml, "u", flags),
                                SD_BUS_RESULT("o", domain), method_restore, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainSaveImageGetXMLDesc", SD_BUS_ARGS("s", file, "u", flags),
                                SD_BUS_RESULT("s", xml), method_save_image_get_xml, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DomainSaveImageDefineXML", SD_BUS_ARGS("s", file, "s", dxml, "u", flags),
                                SD_BUS_NO_RESULT, method_save_image_define, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetCapabilities", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("s", xml), method_get_capabilities, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetNodeInfo", SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("s", model, "t", memory_kib, "i", cpus, "i", mhz, "i", nodes, "i", sockets,
                                              "i", cores, "i", threads),
                                method_get_node_info, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetNodeMemoryStats", SD_BUS_ARGS("i", cell, "u", flags),
                                SD_BUS_RESULT("a(st)", stats_kib), method_get_node_memory_stats,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetHypervisorVersion", SD_BUS_NO_ARGS, SD_BUS_RESULT("t", version),
                                method_get_hypervisor_version, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetDomainCapabilities",
                                SD_BUS_ARGS("s", emulator, "s", arch, "s", machine, "s", virttype, "u", flags),
                                SD_BUS_RESULT("s", xml), method_get_domain_capabilities, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("DomainEvent", SD_BUS_ARGS("o", domain, "i", event, "i", detail), 0),
        SD_BUS_VTABLE_END,
};

/* --- the model's listener: changes become signals --- */

/* the property each DomainChange bit stands for, in the order PropertiesChanged lists them */
static const struct {
        unsigned bit;
        const char *property;
} domain_change_properties[] = {
        { DOMAIN_CHANGED_NAME, "Name" },
        { DOMAIN_CHANGED_STATE, "State" },
        { DOMAIN_CHANGED_ACTIVE, "Active" },
        { DOMAIN_CHANGED_ID, "Id" },
        { DOMAIN_CHANGED_PERSISTENT, "Persistent" },
        { DOMAIN_CHANGED_AUTOSTART, "Autostart" },
        { DOMAIN_CHANGED_UPDATED, "Updated" },
        { DOMAIN_CHANGED_MANAGED_SAVE, "HasManagedSaveImage" },
        { DOMAIN_CHANGED_CURRENT_SNAPSHOT, "HasCurrentSnapshot" },
};

static void on_domain_added(void *userdata, Domain *d) {
        g_autofree char *path = domain_bus_path(d);
        (void) sd_bus_emit_object_added(userdata, path);
}

static void on_domain_removed(void *userdata, Domain *d) {
        g_autofree char *path = domain_bus_path(d);
        (void) sd_bus_emit_object_removed(userdata, path);
}

static void on_domain_event(void *userdata, Domain *d, int event, int detail) {
        g_autofree char *path = domain_bus_path(d);
        (void) sd_bus_emit_signal(userdata, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE, "DomainEvent", "oii", path,
                                  event, detail);
}

static void on_domain_changed(void *userdata, Domain *d, unsigned changes) {
        g_autofree char *path = domain_bus_path(d);
        const char *names[G_N_ELEMENTS(domain_change_properties) + 1];
        size_t n = 0;

        for (size_t i = 0; i < G_N_ELEMENTS(domain_change_properties); i++)
                if (changes & domain_change_properties[i].bit)
                        names[n++] = domain_change_properties[i].property;
        names[n] = NULL;
        if (n > 0)
                (void) sd_bus_emit_properties_changed_strv(userdata, path, QEMU_DOMAIN_INTERFACE, (char **) names);
}

static void on_domain_reboot(void *userdata, Domain *d) {
        g_autofree char *path = domain_bus_path(d);
        (void) sd_bus_emit_signal(userdata, path, QEMU_DOMAIN_INTERFACE, "Reboot", "");
}

static void on_snapshot_added(void *userdata, Snapshot *s) {
        g_autofree char *path = snapshot_bus_path(s);
        (void) sd_bus_emit_object_added(userdata, path);
}

static void on_snapshot_removed(void *userdata, Snapshot *s) {
        g_autofree char *path = snapshot_bus_path(s);
        (void) sd_bus_emit_object_removed(userdata, path);
}

static void on_snapshot_changed(void *userdata, Snapshot *s, unsigned changes) {
        g_autofree char *path = snapshot_bus_path(s);

        if (changes & SNAPSHOT_CHANGED_IS_CURRENT)
                (void) sd_bus_emit_properties_changed(userdata, path, QEMU_SNAPSHOT_INTERFACE, "IsCurrent", NULL);
}

static const DomainListener bus_listener = {
        .domain_added = on_domain_added,
        .domain_removed = on_domain_removed,
        .domain_event = on_domain_event,
        .domain_changed = on_domain_changed,
        .domain_reboot = on_domain_reboot,
        .snapshot_added = on_snapshot_added,
        .snapshot_removed = on_snapshot_removed,
        .snapshot_changed = on_snapshot_changed,
};

/* GetManagedObjects from the model: every domain (but one being undefined, as the node
 * enumerator has it) and every snapshot */
static int append_managed_objects(void *userdata, sd_bus_message *reply) {
        return domain_bus_append_all_managed(reply, userdata);
}

int manager_bus_register(Manager *m, sd_bus *bus) {
        int r;

        r = sd_bus_add_object_vtable(bus, NULL, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE, manager_vtable, m);
        if (r < 0)
                return r;
        r = sd_bus_add_object_manager(bus, NULL, QEMU_MANAGER_PATH);
        if (r < 0)
                return r;
        r = vmmd_bus_add_managed_objects(bus, QEMU_MANAGER_PATH, append_managed_objects, m);
        if (r < 0)
                return r;
        r = domain_bus_register(m, bus);
        if (r < 0)
                return r;
        r = snapshot_bus_register(m, bus);
        if (r < 0)
                return r;
        /* from here on the model's changes are signals; what loading found was not announced */
        manager_set_listener(m, &bus_listener, bus);
        return 0;
}
