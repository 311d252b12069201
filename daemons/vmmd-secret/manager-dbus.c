/* The bus glue of the vmmd-secret manager object: define, list, lookups, events, and the Internal interface. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "caller.h"
#include "cleanup.h"
#include "config.h"
#include "error.h"
#include "log.h"
#include "secret-dbus.h"
#include "uuid.h"

static int reply_secret_path(sd_bus_message *msg, Secret *s) {
        g_autofree char *path = secret_bus_path(s);
        return sd_bus_reply_method_return(msg, "o", path);
}

static int method_define_xml(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        const char *xml;
        uint32_t flags;
        Secret *s;
        int r;

        r = vmmd_bus_read_text_and_flags(msg, "SecretDefineXML", "xml", SECRET_DEFINE_VALIDATE, &xml, &flags, error);
        if (r < 0)
                return r;
        s = manager_define_xml(userdata, xml, flags, &gerr);
        if (!s)
                return vmmd_error_to_bus(gerr, error);
        return reply_secret_path(msg, s);
}

static int method_list(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        g_autoptr(GPtrArray) list = NULL;
        uint32_t flags;
        int r;

        r = vmmd_bus_read_flags(msg, "ListSecrets", SECRET_LIST_ALL_BITS, false, 0, &flags, error);
        if (r < 0)
                return r;
        list = manager_list(userdata, flags);
        return vmmd_bus_reply_objects(msg, list, (VmmdBusPathFunc) secret_bus_path);
}

/* X10: a malformed uuid is InvalidArg, an unknown one NoSecret */
static Secret *lookup_uuid(Manager *m, const char *method, const char *s, sd_bus_error *error) {
        char uuid[37];
        Secret *secret;

        if (!vmmd_uuid_parse(s, uuid)) {
                vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG, "%s: malformed uuid '%s'", method, s);
                return NULL;
        }
        secret = manager_find_by_uuid(m, uuid);
        if (!secret)
                vmmd_bus_error_setf(error, VMMD_ERROR_NO_SECRET, "no secret with matching uuid '%s'", uuid);
        return secret;
}

static Secret *lookup_usage(Manager *m, const char *method, int32_t type, const char *id, sd_bus_error *error) {
        Secret *s;

        if (type < SECRET_USAGE_TYPE_NONE || type >= SECRET_USAGE_TYPE_LAST) {
                vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG, "%s: unknown usage type %d", method, type);
                return NULL;
        }
        s = manager_find_by_usage(m, type, id);
        if (!s)
                vmmd_bus_error_setf(error, VMMD_ERROR_NO_SECRET, "no secret with matching usage '%s'", id);
        return s;
}

static int method_lookup_by_uuid(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *arg;
        Secret *s;
        int r;

        r = sd_bus_message_read(msg, "s", &arg);
        if (r < 0)
                return r;
        s = lookup_uuid(userdata, "SecretLookupByUUID", arg, error);
        if (!s)
                return -ENOENT;
        return reply_secret_path(msg, s);
}

static int method_lookup_by_usage(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *id;
        int32_t type;
        Secret *s;
        int r;

        r = sd_bus_message_read(msg, "is", &type, &id);
        if (r < 0)
                return r;
        s = lookup_usage(userdata, "SecretLookupByUsage", type, id, error);
        if (!s)
                return -ENOENT;
        return reply_secret_path(msg, s);
}

static int method_rotate_master_key(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        uint32_t flags;
        int r = vmmd_bus_begin_privileged(msg, "RotateMasterKey", true, 0, &flags, error);

        if (r < 0)
                return r;
        return vmmd_bus_error_setf(error, VMMD_ERROR_NO_SUPPORT, "RotateMasterKey is not implemented yet");
}

static int property_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", VMMD_VERSION);
}

#define UNPRIV SD_BUS_VTABLE_UNPRIVILEGED

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("ListSecrets", SD_BUS_ARGS("u", flags), SD_BUS_RESULT("ao", secrets), method_list,
                                UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("SecretLookupByUUID", SD_BUS_ARGS("s", uuid), SD_BUS_RESULT("o", secret),
                                method_lookup_by_uuid, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("SecretLookupByUsage", SD_BUS_ARGS("i", usageType, "s", usageID),
                                SD_BUS_RESULT("o", secret), method_lookup_by_usage, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("SecretDefineXML", SD_BUS_ARGS("s", xml, "u", flags), SD_BUS_RESULT("o", secret),
                                method_define_xml, UNPRIV),
        SD_BUS_METHOD_WITH_ARGS("RotateMasterKey", SD_BUS_ARGS("u", flags), SD_BUS_NO_RESULT,
                                method_rotate_master_key, UNPRIV),
        SD_BUS_SIGNAL_WITH_ARGS("SecretEvent", SD_BUS_ARGS("o", secret, "i", event, "i", detail), 0),
        SD_BUS_SIGNAL_WITH_ARGS("SecretValueChanged", SD_BUS_ARGS("o", secret), 0),
        SD_BUS_VTABLE_END,
};

/* --- Internal (X8) --- */

/* 0 when the sender is root (or the daemon's own uid) and owns one of the internal clients'
 * names (asked from the bus at each call); else OperationDenied that says nothing about the
 * secret asked for. */
static int require_internal_client(Manager *m, sd_bus_message *msg, const char *method, sd_bus_error *error) {
        g_autoptr(sd_bus_creds) creds = NULL;
        sd_bus *bus = sd_bus_message_get_bus(msg);
        const char *sender = sd_bus_message_get_sender(msg);
        uid_t uid;
        int r;

        r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID | SD_BUS_CREDS_AUGMENT, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0 || (uid != 0 && uid != geteuid()) || !sender)
                return vmmd_bus_error_setf(error, VMMD_ERROR_OPERATION_DENIED,
                                           "%s is only for vmmd daemons running as root", method);
        for (char **name = m->internal_clients; name && *name; name++) {
                g_autoptr(sd_bus_creds) owner = NULL;
                const char *unique = NULL;

                if (sd_bus_get_name_creds(bus, *name, SD_BUS_CREDS_UNIQUE_NAME, &owner) < 0)
                        continue;
                if (sd_bus_creds_get_unique_name(owner, &unique) >= 0 && g_strcmp0(unique, sender) == 0)
                        return 0;
        }
        return vmmd_bus_error_setf(error, VMMD_ERROR_OPERATION_DENIED,
                                   "%s is only for vmmd daemons (the caller owns none of their bus names)", method);
}

static int internal_reply(sd_bus_message *msg, Manager *m, Secret *s, sd_bus_error *error) {
        g_autoptr(GError) gerr = NULL;
        const uint8_t *value;
        size_t len = 0;

        value = manager_get_value(m, s, true, &len, &gerr);
        if (!value)
                return vmmd_error_to_bus(gerr, error);
        return secret_reply_value(msg, value, len);
}

static int method_internal_get_value(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *arg;
        Secret *s;
        int r;

        r = require_internal_client(userdata, msg, "Internal.GetValue", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "s", &arg);
        if (r < 0)
                return r;
        s = lookup_uuid(userdata, "GetValue", arg, error);
        if (!s)
                return -ENOENT;
        log_debug("value of secret %s handed to %s", s->def->uuid, sd_bus_message_get_sender(msg));
        return internal_reply(msg, userdata, s, error);
}

static int method_internal_get_value_by_usage(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const char *id;
        int32_t type;
        Secret *s;
        int r;

        r = require_internal_client(userdata, msg, "Internal.GetValueByUsage", error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "is", &type, &id);
        if (r < 0)
                return r;
        s = lookup_usage(userdata, "GetValueByUsage", type, id, error);
        if (!s)
                return -ENOENT;
        log_debug("value of secret %s handed to %s", s->def->uuid, sd_bus_message_get_sender(msg));
        return internal_reply(msg, userdata, s, error);
}

static const sd_bus_vtable internal_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("GetValue", SD_BUS_ARGS("s", uuid), SD_BUS_RESULT("ay", value),
                                method_internal_get_value, UNPRIV | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_METHOD_WITH_ARGS("GetValueByUsage", SD_BUS_ARGS("i", usageType, "s", usageID),
                                SD_BUS_RESULT("ay", value), method_internal_get_value_by_usage,
                                UNPRIV | SD_BUS_VTABLE_SENSITIVE),
        SD_BUS_VTABLE_END,
};

/* --- the model's listener: changes become signals --- */

static const struct {
        unsigned bit;
        const char *properties[3];
} change_properties[] = {
        { SECRET_CHANGED_USAGE, { "UsageType", "UsageID", NULL } },
        { SECRET_CHANGED_DESCRIPTION, { "Description", NULL } },
        { SECRET_CHANGED_EPHEMERAL, { "Ephemeral", NULL } },
        { SECRET_CHANGED_PRIVATE, { "Private", NULL } },
        { SECRET_CHANGED_HAS_VALUE, { "HasValue", NULL } },
};

static void on_added(void *userdata, Secret *s) {
        g_autofree char *path = secret_bus_path(s);
        (void) sd_bus_emit_object_added(userdata, path);
}

static void on_removed(void *userdata, Secret *s) {
        g_autofree char *path = secret_bus_path(s);
        (void) sd_bus_emit_object_removed(userdata, path);
}

static void on_event(void *userdata, Secret *s, int event) {
        g_autofree char *path = secret_bus_path(s);
        (void) sd_bus_emit_signal(userdata, SECRET_MANAGER_PATH, SECRET_MANAGER_INTERFACE, "SecretEvent", "oii", path,
                                  event, 0);
}

static void on_changed(void *userdata, Secret *s, unsigned changes) {
        g_autofree char *path = secret_bus_path(s);
        const char *names[2 * G_N_ELEMENTS(change_properties) + 1];
        size_t n = 0;

        for (size_t i = 0; i < G_N_ELEMENTS(change_properties); i++)
                if (changes & change_properties[i].bit)
                        for (const char *const *p = change_properties[i].properties; *p; p++)
                                names[n++] = *p;
        names[n] = NULL;
        if (n > 0)
                (void) sd_bus_emit_properties_changed_strv(userdata, path, SECRET_INTERFACE, (char **) names);
}

static void on_value_changed(void *userdata, Secret *s) {
        g_autofree char *path = secret_bus_path(s);
        (void) sd_bus_emit_signal(userdata, SECRET_MANAGER_PATH, SECRET_MANAGER_INTERFACE, "SecretValueChanged", "o",
                                  path);
}

static const SecretListener bus_listener = {
        .secret_added = on_added,
        .secret_removed = on_removed,
        .secret_event = on_event,
        .secret_changed = on_changed,
        .value_changed = on_value_changed,
};

int secret_bus_register(Manager *m, sd_bus *bus) {
        int r;

        r = sd_bus_add_object_vtable(bus, NULL, SECRET_MANAGER_PATH, SECRET_MANAGER_INTERFACE, manager_vtable, m);
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(bus, NULL, SECRET_MANAGER_PATH, SECRET_INTERNAL_INTERFACE, internal_vtable, m);
        if (r < 0)
                return r;
        r = sd_bus_add_object_manager(bus, NULL, SECRET_MANAGER_PATH);
        if (r < 0)
                return r;
        r = secret_object_bus_register(m, bus);
        if (r < 0)
                return r;
        /* from here on the model's changes are signals; what loading found was not announced */
        manager_set_listener(m, &bus_listener, bus);
        return 0;
}
