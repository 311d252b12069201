/* Secret procedures: forwarded to vmmd-secret (org.vmmd.secret1), whose own rules (a private secret's value is never handed out) decide. */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "dispatch-names.h"
#include "dispatch.h"
#include "log.h"
#include "procedures.h"

/* Every secret argument struct starts with the secret. */
#define ARG_SECRET(c) ((const vr_secret *) (c)->args)

static char *secret_path(const vr_secret *s) {
        return uuid_path(DISPATCH_SECRET_PREFIX, s->uuid);
}

static bool fill_secret(void *wire, const Props *p) {
        vr_secret *s = wire;

        if (!uuid_parse(p->uuid, s->uuid))
                return false;
        s->usage_type = p->usage_type;
        s->usage_id = g_strdup(p->usage_id ? p->usage_id : "");
        return true;
}

/* ---------- the manager: lookups and define ---------- */

static const ObjectKind secret_kind = { DISPATCH_SECRET_BUS, DISPATCH_SECRET, fill_secret };

static void h_manager_secret(Call *c) {
        const char *q = DISPATCH_SECRET_BUS, *p = DISPATCH_SECRET_PATH, *i = DISPATCH_SECRET_MANAGER;

        c->kind = &secret_kind;
        switch (c->proc->proc) {
        case VR_PROC_SECRET_LOOKUP_BY_UUID: {
                char u[37];

                uuid_format(((vr_uuid_args *) c->args)->uuid, u);
                call_bus(c, step_object_path, q, p, i, "SecretLookupByUUID", "s", u);
                break;
        }
        case VR_PROC_SECRET_LOOKUP_BY_USAGE: {
                vr_usage_args *a = c->args;

                call_bus(c, step_object_path, q, p, i, "SecretLookupByUsage", "is", a->usage_type, a->usage_id);
                break;
        }
        default: {
                vr_xml_flags *a = c->args;

                call_bus(c, step_object_path, q, p, i, "SecretDefineXML", "su", a->xml, a->flags);
        }
        }
}

/* ---------- lists ---------- */

static char *pick_uuid(const Props *p) {
        return p->uuid;
}

static void step_secrets_objects(Call *c, sd_bus_message *reply) {
        int r;
        GHashTable *found = read_objects(reply, DISPATCH_SECRET, &r);

        if (r < 0) {
                objects_free(found);
                fail_reply(c, r);
                return;
        }
        if (c->proc->proc == VR_PROC_CONNECT_LIST_ALL_SECRETS) {
                vr_secret_list *l = c->ret;

                fill_object_list(c, found, &l->secrets.secrets_val, &l->secrets.secrets_len, sizeof(vr_secret));
                l->count = l->secrets.secrets_len;
        } else {
                /* the old call: UUID strings, at most as many as the caller has room for */
                fill_name_list(c, found, c->ret, MIN(((vr_int *) c->args)->value, (int) VR_SECRET_LIST_MAX), pick_uuid);
        }
        objects_free(found);
        call_reply(c);
}

static void step_secrets_paths(Call *c, sd_bus_message *reply) {
        if (!read_paths(c, reply))
                return;
        if (c->proc->proc == VR_PROC_CONNECT_NUM_OF_SECRETS) {
                ((vr_int *) c->ret)->value = g_strv_length(c->paths);
                call_reply(c);
                return;
        }
        if (c->proc->proc == VR_PROC_CONNECT_LIST_ALL_SECRETS && !((vr_list_args *) c->args)->need_results) {
                ((vr_secret_list *) c->ret)->count = g_strv_length(c->paths);
                call_reply(c);
                return;
        }
        call_bus(c, step_secrets_objects, DISPATCH_SECRET_BUS, DISPATCH_SECRET_PATH, OBJMGR, "GetManagedObjects", NULL);
}

static void h_list_secrets(Call *c) {
        uint32_t flags = c->proc->proc == VR_PROC_CONNECT_LIST_ALL_SECRETS ? ((vr_list_args *) c->args)->flags : 0;

        c->kind = &secret_kind;
        call_bus(c, step_secrets_paths, DISPATCH_SECRET_BUS, DISPATCH_SECRET_PATH, DISPATCH_SECRET_MANAGER, "ListSecrets",
                 "u", flags);
}

/* ---------- one secret ---------- */

static void step_value(Call *c, sd_bus_message *reply) {
        vr_secret_value *ret = c->ret;
        const void *data;
        size_t size;
        int r = sd_bus_message_read_array(reply, 'y', &data, &size);

        if (r < 0) {
                fail_reply(c, r);
                return;
        }
        ret->value.value_len = size;
        ret->value.value_val = g_memdup2(data, size ? size : 1);
        call_reply(c);
}

static void h_secret(Call *c) {
        g_autofree char *path = secret_path(ARG_SECRET(c));
        g_autoptr(sd_bus_message) m = NULL;
        const char *q = DISPATCH_SECRET_BUS, *i = DISPATCH_SECRET;
        int r;

        switch (c->proc->proc) {
        case VR_PROC_SECRET_GET_XML_DESC:
                call_bus(c, step_string, q, path, i, "GetXMLDesc", "u", ((vr_sec_flags *) c->args)->flags);
                break;
        case VR_PROC_SECRET_GET_VALUE:
                /* vmmd-secret refuses a private secret's value to everyone, the dispatcher included */
                call_bus(c, step_value, q, path, i, "GetValue", "u", ((vr_sec_flags *) c->args)->flags);
                break;
        case VR_PROC_SECRET_SET_VALUE: {
                vr_secret_set_value_args *a = c->args;

                /* an "ay" goes in through append_array, which the varargs call_bus cannot carry */
                r = sd_bus_message_new_method_call(c->client->server->bus, &m, q, path, i, "SetValue");
                if (r >= 0)
                        r = sd_bus_message_append_array(m, 'y', a->value.value_val, a->value.value_len);
                if (r >= 0)
                        r = sd_bus_message_append(m, "u", a->flags);
                if (r < 0) {
                        call_fail(c, VR_ERR_INTERNAL_ERROR, "cannot build the call: %s", g_strerror(-r));
                        return;
                }
                call_bus_message(c, step_void, m);
                break;
        }
        default:
                call_bus(c, step_void, q, path, i, "Undefine", NULL);
        }
}

static const Procedure rows[] = {
        { VR_PROC_CONNECT_LIST_ALL_SECRETS, "virConnectListAllSecrets", RO, X(vr_list_args), X(vr_secret_list),
          h_list_secrets, TARGET_SECRET },
        { VR_PROC_CONNECT_LIST_SECRETS, "virConnectListSecrets", RO, X(vr_int), X(vr_name_list), h_list_secrets,
          TARGET_SECRET },
        { VR_PROC_CONNECT_NUM_OF_SECRETS, "virConnectNumOfSecrets", RO, NOBODY, X(vr_int), h_list_secrets, TARGET_SECRET },
        { VR_PROC_SECRET_LOOKUP_BY_UUID, "virSecretLookupByUUID", RO, X(vr_uuid_args), X(vr_sec), h_manager_secret,
          TARGET_SECRET },
        { VR_PROC_SECRET_LOOKUP_BY_USAGE, "virSecretLookupByUsage", RO, X(vr_usage_args), X(vr_sec), h_manager_secret,
          TARGET_SECRET },
        { VR_PROC_SECRET_DEFINE_XML, "virSecretDefineXML", RW, X(vr_xml_flags), X(vr_sec), h_manager_secret,
          TARGET_SECRET },
        { VR_PROC_SECRET_GET_XML_DESC, "virSecretGetXMLDesc", RO, X(vr_sec_flags), X(vr_string), h_secret,
          TARGET_SECRET },
        /* a value is never for the read-only socket, as libvirt's ACL has it (secret:read_secure) */
        { VR_PROC_SECRET_GET_VALUE, "virSecretGetValue", RW, X(vr_sec_flags), X(vr_secret_value), h_secret,
          TARGET_SECRET },
        { VR_PROC_SECRET_SET_VALUE, "virSecretSetValue", RW, X(vr_secret_set_value_args), NOBODY, h_secret,
          TARGET_SECRET },
        { VR_PROC_SECRET_UNDEFINE, "virSecretUndefine", RW, X(vr_sec), NOBODY, h_secret, TARGET_SECRET },
};

const ProcedureTable procedures_secret = { rows, G_N_ELEMENTS(rows) };
