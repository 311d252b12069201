/* Connection, host and event-registration procedures: answered here, by vmmd-qemu's host facts, or by events.c. */
#include <unistd.h>

#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "dispatch-names.h"
#include "dispatch.h"
#include "log.h"
#include "procedures.h"

/* ---------- connection: answered here ---------- */

static void h_local(Call *c) {
        Client *cl = c->client;

        switch (c->proc->proc) {
        case VR_PROC_CONNECT_OPEN: {
                vr_open_args *a = c->args;
                const char *name = a->name ? *a->name : NULL;

                /* only the QEMU driver lives here; "" and NULL mean the default one */
                if (name && *name && !g_str_has_prefix(name, "qemu")) {
                        call_fail(c, VR_ERR_NO_SUPPORT, "this function is not supported by the connection driver: "
                                  "no driver for %s here (only qemu:///system and qemu:///session)", name);
                        return;
                }
                g_free(cl->uri);
                cl->uri = g_strdup(name && *name ? name : cl->server->default_uri);
                break;
        }
        case VR_PROC_CONNECT_CLOSE:
        case VR_PROC_CONNECT_REGISTER_CLOSE_CALLBACK:
        case VR_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK:
                break;
        case VR_PROC_CONNECT_GET_TYPE:
                ((vr_string *) c->ret)->value = g_strdup("QEMU");
                break;
        case VR_PROC_CONNECT_GET_LIB_VERSION:
                ((vr_hyper *) c->ret)->value = VR_LIB_VERSION;
                break;
        case VR_PROC_CONNECT_GET_HOSTNAME: {
                char host[256] = "";

                gethostname(host, sizeof(host) - 1);
                ((vr_string *) c->ret)->value = g_strdup(host);
                break;
        }
        case VR_PROC_CONNECT_GET_URI:
                ((vr_string *) c->ret)->value = g_strdup(cl->uri ? cl->uri : cl->server->default_uri);
                break;
        case VR_PROC_CONNECT_IS_SECURE:
                /* a unix socket on this host */
                ((vr_int *) c->ret)->value = 1;
                break;
        case VR_PROC_CONNECT_SUPPORTS_FEATURE: {
                int f = ((vr_int *) c->args)->value;

                ((vr_int *) c->ret)->value = f == VR_FEATURE_REMOTE || f == VR_FEATURE_TYPED_PARAM_STRING ||
                                             f == VR_FEATURE_REMOTE_EVENT_CALLBACK ||
                                             f == VR_FEATURE_REMOTE_CLOSE_CALLBACK || f == VR_FEATURE_PROGRAM_KEEPALIVE ||
                                             f == VR_FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER;
                break;
        }
        case VR_PROC_AUTH_LIST: {
                vr_auth_list_ret *r = c->ret;

                /* peer credentials decide, so there is nothing to negotiate: REMOTE_AUTH_NONE */
                r->types.types_len = 1;
                r->types.types_val = g_new0(int, 1);
                break;
        }
        case VR_PROC_NODE_GET_SECURITY_MODEL: {
                vr_security_model *r = c->ret;

                /* libvirt's "none" security driver: the sizes count the terminating NUL, as libvirt's do */
                r->model.model_val = g_strdup("none");
                r->model.model_len = 5;
                r->doi.doi_val = g_strdup("0");
                r->doi.doi_len = 2;
                break;
        }
        case VR_PROC_CONNECT_LIST_ALL_INTERFACES:
        case VR_PROC_CONNECT_LIST_ALL_NODE_DEVICES:
                /* zeroed: empty lists, count 0 */
                break;
        default:
                call_fail(c, VR_ERR_INTERNAL_ERROR, "%s has no local answer", c->proc->api);
                return;
        }
        call_reply(c);
}

/* ---------- host facts (vmmd-qemu) ---------- */

static void step_node_info(Call *c, sd_bus_message *reply) {
        vr_node_info *n = c->ret;
        const char *model;
        uint64_t mem;
        int r = sd_bus_message_read(reply, "stiiiiii", &model, &mem, &n->cpus, &n->mhz, &n->nodes, &n->sockets,
                                    &n->cores, &n->threads);

        if (r < 0) {
                fail_reply(c, r);
                return;
        }
        g_strlcpy(n->model, model, sizeof(n->model));
        n->memory = mem;
        call_reply(c);
}

static void step_memory_stats(Call *c, sd_bus_message *reply) {
        vr_memory_stats_args *a = c->args;
        vr_memory_stats_ret *ret = c->ret;
        GArray *stats = g_array_new(FALSE, TRUE, sizeof(vr_memory_stat));
        const char *field;
        uint64_t value;
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "(st)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(st)", &field, &value)) > 0) {
                vr_memory_stat s = { .field = g_strdup(field), .value = value };

                g_array_append_val(stats, s);
        }
        if (r < 0) {
                for (guint i = 0; i < stats->len; i++)
                        g_free(g_array_index(stats, vr_memory_stat, i).field);
                g_array_unref(stats);
                fail_reply(c, r);
                return;
        }
        /* nparams == 0 asks how many there are */
        ret->nparams = stats->len;
        if (a->nparams == 0) {
                for (guint i = 0; i < stats->len; i++)
                        g_free(g_array_index(stats, vr_memory_stat, i).field);
                g_array_unref(stats);
        } else {
                ret->params.params_len = MIN(stats->len, (guint) VR_MEMORY_STATS_MAX);
                for (guint i = ret->params.params_len; i < stats->len; i++)
                        g_free(g_array_index(stats, vr_memory_stat, i).field);
                ret->params.params_val = (vr_memory_stat *) g_array_free(stats, FALSE);
        }
        call_reply(c);
}

static void step_hyper(Call *c, sd_bus_message *reply) {
        int r = sd_bus_message_read(reply, "t", &((vr_hyper *) c->ret)->value);

        if (r < 0)
                fail_reply(c, r);
        else
                call_reply(c);
}

static void h_host(Call *c) {
        const char *q = DISPATCH_QEMU_BUS, *p = DISPATCH_QEMU_PATH, *i = DISPATCH_QEMU_MANAGER;

        switch (c->proc->proc) {
        case VR_PROC_NODE_GET_INFO:
                call_bus(c, step_node_info, q, p, i, "GetNodeInfo", NULL);
                break;
        case VR_PROC_NODE_GET_MEMORY_STATS: {
                vr_memory_stats_args *a = c->args;

                call_bus(c, step_memory_stats, q, p, i, "GetNodeMemoryStats", "iu", a->cell, a->flags);
                break;
        }
        case VR_PROC_CONNECT_GET_CAPABILITIES:
                call_bus(c, step_string, q, p, i, "GetCapabilities", NULL);
                break;
        case VR_PROC_CONNECT_GET_DOMAIN_CAPABILITIES: {
                vr_domain_caps_args *a = c->args;

                call_bus(c, step_string, q, p, i, "GetDomainCapabilities", "ssssu", a->emulator ? *a->emulator : "",
                         a->arch ? *a->arch : "", a->machine ? *a->machine : "", a->virttype ? *a->virttype : "",
                         a->flags);
                break;
        }
        case VR_PROC_CONNECT_GET_VERSION:
                call_bus(c, step_hyper, q, p, i, "GetHypervisorVersion", NULL);
                break;
        }
}

static const Procedure rows[] = {
        /* connection */
        { VR_PROC_CONNECT_OPEN, "virConnectOpen", RO, X(vr_open_args), NOBODY, h_local },
        { VR_PROC_CONNECT_CLOSE, "virConnectClose", RO, NOBODY, NOBODY, h_local },
        { VR_PROC_CONNECT_GET_TYPE, "virConnectGetType", RO, NOBODY, X(vr_string), h_local },
        { VR_PROC_CONNECT_GET_VERSION, "virConnectGetVersion", RO, NOBODY, X(vr_hyper), h_host, TARGET_QEMU },
        { VR_PROC_CONNECT_GET_LIB_VERSION, "virConnectGetLibVersion", RO, NOBODY, X(vr_hyper), h_local },
        { VR_PROC_CONNECT_GET_HOSTNAME, "virConnectGetHostname", RO, NOBODY, X(vr_string), h_local },
        { VR_PROC_CONNECT_GET_URI, "virConnectGetURI", RO, NOBODY, X(vr_string), h_local },
        { VR_PROC_CONNECT_IS_SECURE, "virConnectIsSecure", RO, NOBODY, X(vr_int), h_local },
        { VR_PROC_CONNECT_SUPPORTS_FEATURE, "virConnectSupportsFeature", RO, X(vr_int), X(vr_int), h_local },
        { VR_PROC_AUTH_LIST, "virConnectAuthList", RO, NOBODY, X(vr_auth_list_ret), h_local },
        { VR_PROC_CONNECT_REGISTER_CLOSE_CALLBACK, "virConnectRegisterCloseCallback", RO, NOBODY, NOBODY, h_local },
        { VR_PROC_CONNECT_UNREGISTER_CLOSE_CALLBACK, "virConnectUnregisterCloseCallback", RO, NOBODY, NOBODY, h_local },
        { VR_PROC_NODE_GET_INFO, "virNodeGetInfo", RO, NOBODY, X(vr_node_info), h_host, TARGET_QEMU },
        { VR_PROC_NODE_GET_MEMORY_STATS, "virNodeGetMemoryStats", RO, X(vr_memory_stats_args), X(vr_memory_stats_ret),
          h_host, TARGET_QEMU },
        { VR_PROC_NODE_GET_SECURITY_MODEL, "virNodeGetSecurityModel", RO, NOBODY, X(vr_security_model), h_local },
        { VR_PROC_CONNECT_GET_CAPABILITIES, "virConnectGetCapabilities", RO, NOBODY, X(vr_string), h_host, TARGET_QEMU },
        { VR_PROC_CONNECT_GET_DOMAIN_CAPABILITIES, "virConnectGetDomainCapabilities", RO, X(vr_domain_caps_args),
          X(vr_string), h_host, TARGET_QEMU },
        { VR_PROC_CONNECT_LIST_ALL_INTERFACES, "virConnectListAllInterfaces", RO, X(vr_list_args), X(vr_interface_list),
          h_local },
        { VR_PROC_CONNECT_LIST_ALL_NODE_DEVICES, "virConnectListAllNodeDevices", RO, X(vr_list_args),
          X(vr_node_device_list), h_local },

        /* events: registering is reading */
        { VR_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, "virConnectDomainEventRegisterAny", RO,
          X(vr_domain_event_register_args), X(vr_int), events_register, TARGET_QEMU },
        { VR_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, "virConnectDomainEventDeregisterAny", RO, X(vr_int),
          NOBODY, events_deregister },
        { VR_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY, "virConnectNetworkEventRegisterAny", RO,
          X(vr_network_event_register_args), X(vr_int), events_register },
        { VR_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY, "virConnectNetworkEventDeregisterAny", RO, X(vr_int), NOBODY,
          events_deregister },
        { VR_PROC_CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY, "virConnectStoragePoolEventRegisterAny", RO,
          X(vr_pool_event_register_args), X(vr_int), events_register },
        { VR_PROC_CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY, "virConnectStoragePoolEventDeregisterAny", RO, X(vr_int),
          NOBODY, events_deregister },
        { VR_PROC_CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY, "virConnectNodeDeviceEventRegisterAny", RO,
          X(vr_node_device_event_register_args), X(vr_int), events_register },
        { VR_PROC_CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY, "virConnectNodeDeviceEventDeregisterAny", RO, X(vr_int),
          NOBODY, events_deregister },
        { VR_PROC_CONNECT_SECRET_EVENT_REGISTER_ANY, "virConnectSecretEventRegisterAny", RO,
          X(vr_secret_event_register_args), X(vr_int), events_register },
        { VR_PROC_CONNECT_SECRET_EVENT_DEREGISTER_ANY, "virConnectSecretEventDeregisterAny", RO, X(vr_int), NOBODY,
          events_deregister },
};

const ProcedureTable procedures_connect = { rows, G_N_ELEMENTS(rows) };
