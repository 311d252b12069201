/* The bus glue of secret objects: one fallback vtable, object lookup from the path, the node enumerator. */
#include <errno.h>
#include <string.h>

#include "caller.h"
#include "cleanup.h"
#include "error.h"
#include "secret-dbus.h"

char *secret_bus_path(const Secret *s) {
        return vmmd_bus_path_encode(SECRET_PREFIX, s->def->uuid);
}

static void *find_secret(void *userdata, const char *uuid) {
        return manager_find_by_uuid(userdata, uuid);
}

static Secret *secret_from_path(Manager *m, const char *path, sd_bus_error *error) {
        return vmmd_bus_find_object(path, SECRET_PREFIX, find_secret, m, VMMD_ERROR_NO_SECRET,
                                    "no secret with matching uuid '%s'", error);
}

static Secret *secret_from_message(Manager *m, sd_bus_message *msg, sd_bus_error *error) {
        return secret_from_path(m, sd_bus_message_get_path(msg), error);
}

/* X13: an undefined secret has no object; calls on its path get the bus's UnknownObject. */
static int secret_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **ret_found,
                              sd_bus_error *error) {
        g_autofree char *uuid = vmmd_bus_path_decode(path, SECRET_PREFIX);

        if (!uuid || !manager_find_by_uuid(userdata, uuid))
                return 0;
        *ret_found = userdata;
        return 1;
}

static void secret_nodes(void *userdata, GPtrArray *paths) {
        Manager *m = userdata;
        GHashTableIter it;
        Secret *s;

        g_hash_table_iter_init(&it, m->secrets);
        while (g_hash_table_iter_next(&it, NULL, (gpointer *) &s))
                g_ptr_array_add(paths, secret_bus_path(s));
}

int secret_reply_value(sd_bus_message *msg, const uint8_t *value, size_t len) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_sensitive(reply);
        if (r < 0)
                return r;
        /* a zero-length value is a valid value: an empty array */
        r = sd_bus_message_append_array(reply, 'y', len ? value : (const void *) "", len);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* --- properties --- */

static Secret *find_for_property(void *userdata, const char *path, sd_bus_error *error) {
        return secret_from_path(userdata, path, error);
}

VMMD_BUS_DEFINE_PROPERTY(property_uuid, Secret, find_for_property,
                         { return sd_bus_message_append(reply, "s", obj->def->uuid); })
VMMD_BUS_DEFINE_PROPERTY(property_usage_type, Secret, find_for_property,
                         { return sd_bus_message_append(reply, "i", (int32_t) obj->def->usage_type); })
VMMD_BUS_DEFINE_PROPERTY(property_usage_id, Secret, find_for_property,
                         { return sd_bus_message_append(reply, "s", obj->def->usage_id ? obj->def->usage_id : ""); })
VMMD_BUS_DEFINE_PROPERTY(property_description, Secret, find_for_property, {
        return sd_bus_message_append(reply, "s", obj->def->description ? obj->def->description : "");
})
VMMD_BUS_DEFINE_PROPERTY(property_ephemeral, Secret, find_for_property,
                         { return sd_bus_message_append(reply, "b", (int) obj->def->ephemeral); })
VMMD_BUS_DEFINE_PROPERTY(property_private, Secret, find_for_property,
                         { return sd_bus_message_append(reply, "b", (int) obj->def->is_private); })
VMMD_BUS_DEFINE_PROPERTY(property_has_value, Secret, find_for_property,
                         { return sd_bus_message_append(reply, "b", (int) obj->has_value); })

/* --- methods --- */

static int method_get_xml_desc(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autofree char *xml = NULL;
        uint32_t flags;
        Secret *s;
        int r;

        r = vmmd_bus_read_flags(msg, "GetXMLDesc", 0, false, 0, &flags, error);
        if (r < 0)
                return r;
        s = secret_from_message(userdata, msg, error);
        if (!s)
                return -ENOENT;
        xml = secret_def_format(s->def);
        return sd_bus_reply_method_return(msg, "s", xml);
}

static int method_set_value(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        const void *value = NULL;
        size_t len = 0;
        uint32_t flags;
        Secret *s;
        int r;

        /* before anything is read: sd-bus clears the message's memory when it frees it */
        r = sd_bus_message_sensitive(msg);
        if (r < 0)
                return r;
        r = vmmd_caller_require_privileged(msg, "SetValue", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read_array(msg, 'y', &value, &len);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0)
                return r;
        r = vmmd_bus_check_flags("SetValue", flags, 0, error);
        if (r < 0)
                return r;
        s = secret_from_message(userdata, msg, error);
        if (!s)
                return -ENOENT;
        if (!manager_set_value(userdata, s, value, len, &gerr))
                return vmmd_error_to_bus(gerr, error);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_get_value(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        const uint8_t *value;
        uint32_t flags;
        size_t len = 0;
        Secret *s;
        int r;

        /* X7: privileged even for a secret that is not private */
        r = vmmd_bus_begin_privileged(msg, "GetValue", true, 0, &flags, error);
        if (r < 0)
                return r;
        s = secret_from_message(userdata, msg, error);
        if (!s)
                return -ENOENT;
        value = manager_get_value(userdata, s, false, &len, &gerr);
        if (!value)
                return vmmd_error_to_bus(gerr, error);
        return secret_reply_value(msg, value, len);
}

static int method_undefine(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        uint32_t flags;
        Secret *s;
        int r;

        r = vmmd_bus_begin_privileged(msg, "Undefine", false, 0, &flags, error);
        if (r < 0)
                return r;
        s = secret_from_message(userdata, msg, error);
        if (!s)
                return -ENOENT;
        if (!manager_undefine(userdata, s, &gerr))
                return vmmd_error_to_bus(gerr, error);
        return sd_bus_reply_method_return(msg, NULL);
}

#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable secret_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("UUID", "s", property_uuid, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("UsageType", "i", property_usage_type, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("UsageID", "s", property_usage_id, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Description", "s", property_description, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Ephemeral", "b", property_ephemeral, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Private", "b", property_private, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HasValue", "b", property_has_value, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_ARGS("GetXMLDesc", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("s", xml), method_get_xml_desc,
                                UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("SetValue", SD_BUS_ARGS("ay", value, "u", flags), SD_BUS_NO_RESULT, method_set_value,
                                UNPRIV | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("GetValue", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("ay", value), method_get_value,
                                UNPRIV | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("Undefine", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_undefine, UNPRIV),
        SD_BUS_VTABLE_END,
};

int secret_object_bus_register(Manager *m, sd_bus *bus) {
        int r;

        r = sd_bus_add_fallback_vtable(bus, NULL, SECRET_PREFIX, SECRET_INTERFACE, secret_vtable, secret_object_find,
                                       m);
        if (r < 0)
                return r;
        return vmmd_bus_add_node_enumerator(bus, SECRET_PREFIX, secret_nodes, m);
}
