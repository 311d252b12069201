/* The bus glue of the vmmd-nwfilter manager object: define, lists, lookups, binding creation, and the signals. */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "config.h"
#include "error.h"
#include "nwfilter-dbus.h"
#include "uuid.h"

/* The job's object is a filter or a binding: the pending reply knows which path function to use. */
typedef struct {
        VmmdPendingReply *reply;
        bool binding;
} Pending;

void nwfilter_bus_job_done(void *userdata, void *object, const GError *error) {
        Pending *p = userdata;

        if (object)
                vmmd_pending_reply_set_path(p->reply, p->binding ? binding_bus_path(object) : nwfilter_bus_path(object));
        (void) vmmd_pending_reply_finish(p->reply, error);
        g_free(p);
}

void *nwfilter_bus_pending_new(sd_bus_message *msg, bool binding) {
        Pending *p = g_new0(Pending, 1);

        p->reply = vmmd_pending_reply_new(msg);
        p->binding = binding;
        return p;
}

static int method_define_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *xml;
        uint32_t flags;
        int r;

        r = vmmd_bus_read_text_and_flags(msg, "NWFilterDefineXML", "xml", NWFILTER_DEFINE_VALIDATE, &xml, &flags,
                                         error);
        if (r < 0)
                return r;
        manager_define(userdata, xml, flags, nwfilter_bus_job_done, nwfilter_bus_pending_new(msg, false));
        return 1;
}

static int method_binding_create_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *xml;
        uint32_t flags;
        int r;

        r = vmmd_bus_read_text_and_flags(msg, "NWFilterBindingCreateXML", "xml", NWFILTER_BINDING_CREATE_VALIDATE,
                                         &xml, &flags, error);
        if (r < 0)
                return r;
        manager_binding_create(userdata, xml, flags, nwfilter_bus_job_done, nwfilter_bus_pending_new(msg, true));
        return 1;
}

static int method_list_filters(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GPtrArray) list = NULL;
        uint32_t flags;
        int r;

        r = vmmd_bus_read_flags(msg, "ListNWFilters", 0, false, 0, &flags, error);
        if (r < 0)
                return r;
        list = manager_list_filters(userdata);
        return vmmd_bus_reply_objects(msg, list, (VmmdBusPathFunc) nwfilter_bus_path);
}

static int method_list_bindings(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GPtrArray) list = NULL;
        uint32_t flags;
        int r;

        r = vmmd_bus_read_flags(msg, "ListNWFilterBindings", 0, false, 0, &flags, error);
        if (r < 0)
                return r;
        list = manager_list_bindings(userdata);
        return vmmd_bus_reply_objects(msg, list, (VmmdBusPathFunc) binding_bus_path);
}

static int method_lookup_by_name(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autofree char *path = NULL;
        const char *name;
        NWFilter *f;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        f = manager_find_filter(userdata, name);
        if (!f)
                return vmmd_bus_error_setf(error, VMMD_ERROR_NO_NWFILTER, "no nwfilter with matching name '%s'", name);
        path = nwfilter_bus_path(f);
        return sd_bus_reply_method_return(msg, "o", path);
}

static int method_lookup_by_uuid(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autofree char *path = NULL;
        const char *arg;
        char uuid[37];
        NWFilter *f;
        int r;

        r = sd_bus_message_read(msg, "s", &arg);
        if (r < 0)
                return r;
        if (!vmmd_uuid_parse(arg, uuid))
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG, "NWFilterLookupByUUID: malformed uuid '%s'",
                                           arg);
        f = manager_find_filter_by_uuid(userdata, uuid);
        if (!f)
                return vmmd_bus_error_setf(error, VMMD_ERROR_NO_NWFILTER, "no nwfilter with matching uuid '%s'", uuid);
        path = nwfilter_bus_path(f);
        return sd_bus_reply_method_return(msg, "o", path);
}

static int method_binding_lookup(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autofree char *path = NULL;
        const char *portdev;
        Binding *b;
        int r;

        r = sd_bus_message_read(msg, "s", &portdev);
        if (r < 0)
                return r;
        b = manager_find_binding(userdata, portdev);
        if (!b)
                return vmmd_bus_error_setf(error, VMMD_ERROR_NO_NWFILTER_BINDING,
                                           "no nwfilter binding for port dev '%s'", portdev);
        path = binding_bus_path(b);
        return sd_bus_reply_method_return(msg, "o", path);
}

static int property_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", VMMD_VERSION);
}

#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("ListNWFilters", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("ao", nwfilters),
                                method_list_filters, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("NWFilterLookupByName", SD_BUS_ARGS("s", name), SD_BUS_RESULT("o", nwfilter),
                                method_lookup_by_name, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("NWFilterLookupByUUID", SD_BUS_ARGS("s", uuid), SD_BUS_RESULT("o", nwfilter),
                                method_lookup_by_uuid, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("NWFilterDefineXML", SD_BUS_ARGS("s", xml, "u", flags), SD_BUS_RESULT("o", nwfilter),
                                method_define_xml, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("ListNWFilterBindings", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("ao", bindings),
                                method_list_bindings, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("NWFilterBindingLookupByPortDev", SD_BUS_ARGS("s", portdev),
                                SD_BUS_RESULT("o", binding), method_binding_lookup, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("NWFilterBindingCreateXML", SD_BUS_ARGS("s", xml, "u", flags),
                                SD_BUS_RESULT("o", binding), method_binding_create_xml, UNPRIV),
        SD_BUS_SIGNAL_WITH_ARGS("NWFilterEvent", SD_BUS_ARGS("o", nwfilter, "i", event, "i", detail), 0),
        SD_BUS_SIGNAL_WITH_ARGS("NWFilterBindingEvent", SD_BUS_ARGS("o", binding, "i", event, "i", detail), 0),
        SD_BUS_VTABLE_END,
};

/* --- the model's listener --- */

static void on_filter_added(void *userdata, NWFilter *f) {
        g_autofree char *path = nwfilter_bus_path(f);
        (void) sd_bus_emit_object_added(userdata, path);
}

static void on_filter_removed(void *userdata, NWFilter *f) {
        g_autofree char *path = nwfilter_bus_path(f);
        (void) sd_bus_emit_object_removed(userdata, path);
}

static void on_filter_event(void *userdata, NWFilter *f, int event) {
        g_autofree char *path = nwfilter_bus_path(f);
        (void) sd_bus_emit_signal(userdata, NWFILTER_MANAGER_PATH, NWFILTER_MANAGER_INTERFACE, "NWFilterEvent", "oii",
                                  path, event, 0);
}

static void on_binding_added(void *userdata, Binding *b) {
        g_autofree char *path = binding_bus_path(b);
        (void) sd_bus_emit_object_added(userdata, path);
}

static void on_binding_removed(void *userdata, Binding *b) {
        g_autofree char *path = binding_bus_path(b);
        (void) sd_bus_emit_object_removed(userdata, path);
}

static void on_binding_event(void *userdata, Binding *b, int event) {
        g_autofree char *path = binding_bus_path(b);
        (void) sd_bus_emit_signal(userdata, NWFILTER_MANAGER_PATH, NWFILTER_MANAGER_INTERFACE, "NWFilterBindingEvent",
                                  "oii", path, event, 0);
}

static void on_binding_state(void *userdata, Binding *b) {
        g_autofree char *path = binding_bus_path(b);
        (void) sd_bus_emit_properties_changed(userdata, path, NWFILTER_BINDING_INTERFACE, "State", NULL);
}

static const NWFilterListener bus_listener = {
        .filter_added = on_filter_added,
        .filter_removed = on_filter_removed,
        .filter_event = on_filter_event,
        .binding_added = on_binding_added,
        .binding_removed = on_binding_removed,
        .binding_event = on_binding_event,
        .binding_state_changed = on_binding_state,
};

int nwfilter_bus_register(Manager *m, sd_bus *bus) {
        int r;

        r = sd_bus_add_object_vtable(bus, NULL, NWFILTER_MANAGER_PATH, NWFILTER_MANAGER_INTERFACE, manager_vtable, m);
        if (r < 0)
                return r;
        r = sd_bus_add_object_manager(bus, NULL, NWFILTER_MANAGER_PATH);
        if (r < 0)
                return r;
        r = nwfilter_object_bus_register(m, bus);
        if (r < 0)
                return r;
        r = binding_object_bus_register(m, bus);
        if (r < 0)
                return r;
        manager_set_listener(m, &bus_listener, bus);
        return 0;
}
