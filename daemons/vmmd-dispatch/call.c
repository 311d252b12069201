/* A call in flight: decoding its arguments, checking access, forwarding it over D-Bus asynchronously, and answering it. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "cleanup.h"
#include "dispatch-names.h"
#include "dispatch.h"
#include "error.h"
#include "log.h"
#include "rpc-message.h"

/* Long jobs (save of a big guest, a slow start under TCG) answer late; the client's own
 * keepalive decides when it gives up, not us. */
#define CALL_TIMEOUT_USEC (3600ull * G_USEC_PER_SEC)

static int error_domain(const Call *c) {
        switch (c->proc ? c->proc->target : TARGET_NONE) {
        case TARGET_QEMU:
                return VR_FROM_QEMU;
        case TARGET_STORAGE:
                return VR_FROM_STORAGE;
        case TARGET_NETWORK:
                return VR_FROM_NETWORK;
        case TARGET_SECRET:
                return VR_FROM_SECRET;
        default:
                return VR_FROM_REMOTE;
        }
}

/* What libvirt puts in front of a message for each error number (its virErrorMsg), so that a
 * client prints "error: Network not found: no network with matching name 'x'" as it would
 * against libvirtd. vmmd's daemons send the detail only; numbers not listed pass unchanged. */
static const struct {
        int code;
        const char *prefix;
} libvirt_prefixes[] = {
        { VMMD_ERROR_INTERNAL_ERROR, "internal error" },
        { VMMD_ERROR_NO_SUPPORT, "this function is not supported by the connection driver" },
        { VMMD_ERROR_INVALID_ARG, "invalid argument" },
        { VMMD_ERROR_OPERATION_FAILED, "operation failed" },
        { VMMD_ERROR_XML_ERROR, "XML error" },
        { VMMD_ERROR_OPERATION_DENIED, "operation forbidden" },
        { VMMD_ERROR_XML_DETAIL, "XML error" },
        { VMMD_ERROR_NO_DOMAIN, "Domain not found" },
        { VMMD_ERROR_NO_NETWORK, "Network not found" },
        { VMMD_ERROR_NO_STORAGE_POOL, "Storage pool not found" },
        { VMMD_ERROR_NO_STORAGE_VOL, "Storage volume not found" },
        { VMMD_ERROR_NO_NWFILTER, "Network filter not found" },
        { VMMD_ERROR_INVALID_SECRET, "Invalid secret" },
        { VMMD_ERROR_NO_SECRET, "Secret not found" },
        { VMMD_ERROR_OPERATION_INVALID, "Requested operation is not valid" },
        { VMMD_ERROR_CONFIG_UNSUPPORTED, "unsupported configuration" },
        { VMMD_ERROR_OPERATION_TIMEOUT, "Timed out during operation" },
        { VMMD_ERROR_NO_DOMAIN_SNAPSHOT, "Domain snapshot not found" },
        { VMMD_ERROR_ARGUMENT_UNSUPPORTED, "argument unsupported" },
        { VMMD_ERROR_STORAGE_POOL_BUILT, "Storage pool already built" },
        { VMMD_ERROR_SNAPSHOT_REVERT_RISKY, "revert requires force" },
        { VMMD_ERROR_OPERATION_ABORTED, "operation aborted" },
        { VMMD_ERROR_OPERATION_UNSUPPORTED, "Operation not supported" },
        { VMMD_ERROR_AGENT_UNRESPONSIVE, "Guest agent is not responding" },
        { VMMD_ERROR_XML_INVALID_SCHEMA, "XML document failed to validate against schema" },
        { VMMD_ERROR_NO_NETWORK_PORT, "network port not found" },
};

char *call_error_message(int code, const char *detail) {
        for (size_t i = 0; i < G_N_ELEMENTS(libvirt_prefixes); i++) {
                const char *prefix = libvirt_prefixes[i].prefix;

                if (libvirt_prefixes[i].code != code)
                        continue;
                /* a message that already says it (the dispatcher's own) is left alone */
                if (g_str_has_prefix(detail, prefix) && detail[strlen(prefix)] == ':')
                        break;
                return g_strdup_printf("%s: %s", prefix, detail);
        }
        return g_strdup(detail);
}

void call_free(Call *c) {
        if (!c)
                return;
        c->slot = sd_bus_slot_unref(c->slot);
        if (c->args) {
                xdr_free(c->proc->args_proc, c->args);
                g_free(c->args);
        }
        if (c->ret) {
                if (c->proc->ret_proc)
                        xdr_free(c->proc->ret_proc, c->ret);
                g_free(c->ret);
        }
        g_free(c->path);
        g_strfreev(c->paths);
        g_free(c->str);
        client_unref(c->client);
        g_free(c);
}

void call_reply(Call *c) {
        vr_header h = c->header;
        GBytes *msg;

        h.type = VR_REPLY;
        h.status = VR_OK;
        msg = vr_message_encode(&h, c->proc->ret_proc, c->ret);
        if (!msg)
                msg = vr_error_encode(&c->header, VR_ERR_RPC, VR_FROM_RPC, "the reply is larger than a message may be");
        client_send(c->client, msg);
        call_free(c);
}

void call_fail(Call *c, int code, const char *fmt, ...) {
        g_autofree char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        msg = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        client_send(c->client, vr_error_encode(&c->header, code, error_domain(c), msg));
        call_free(c);
}

static int on_bus_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Call *c = userdata;
        const sd_bus_error *e;

        c->slot = sd_bus_slot_unref(c->slot);
        if (c->client->closed) {
                call_free(c);
                return 0;
        }
        e = sd_bus_message_get_error(m);
        if (e) {
                g_autoptr(GError) error = NULL;
                g_autofree char *msg = NULL;

                /* vmmd's error names are libvirt's numbers; the message gets libvirt's words in front */
                vmmd_error_from_bus(e, &error);
                msg = call_error_message(error->code, error->message);
                call_fail(c, error->code, "%s", msg);
                return 0;
        }
        c->next(c, m);
        return 0;
}

int call_bus_message(Call *c, CallStep next, sd_bus_message *m) {
        Server *s = c->client->server;
        int r = sd_bus_call_async(s->bus, &c->slot, m, on_bus_reply, c, CALL_TIMEOUT_USEC);

        if (r < 0) {
                call_fail(c, VR_ERR_INTERNAL_ERROR, "cannot call %s.%s: %s", sd_bus_message_get_interface(m),
                          sd_bus_message_get_member(m), g_strerror(-r));
                return r;
        }
        c->next = next;
        return 0;
}

int call_bus(Call *c, CallStep next, const char *dest, const char *path, const char *iface,
             const char *member, const char *types, ...) {
        g_autoptr(sd_bus_message) m = NULL;
        Server *s = c->client->server;
        int r;

        r = sd_bus_message_new_method_call(s->bus, &m, dest, path, iface, member);
        if (r >= 0 && types && *types) {
                va_list ap;

                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
        }
        if (r < 0) {
                call_fail(c, VR_ERR_INTERNAL_ERROR, "cannot call %s.%s: %s", iface, member, g_strerror(-r));
                return r;
        }
        return call_bus_message(c, next, m);
}

void call_start(Client *client, const vr_header *header, const uint8_t *body, size_t len) {
        const Procedure *p = procedure_find(header->proc);
        Call *c = g_new0(Call, 1);

        c->client = client_ref(client);
        c->header = *header;
        if (client->denied) {
                call_fail(c, VR_ERR_OPERATION_DENIED,
                          "operation forbidden: access denied: uid %d may use only the read-only socket", (int) client->uid);
                return;
        }
        if (!p) {
                call_fail(c, VR_ERR_NO_SUPPORT,
                          "this function is not supported by the connection driver: procedure %d", header->proc);
                return;
        }
        /* decided before the body is even decoded, and long before anything is forwarded */
        if (client->readonly && !p->readonly) {
                call_fail(c, VR_ERR_OPERATION_DENIED, "operation forbidden: read only access prevents %s", p->api);
                return;
        }
        c->proc = p;
        if (p->args_proc) {
                c->args = g_malloc0(p->args_size);
                if (!vr_body_decode(body, len, p->args_proc, c->args)) {
                        g_clear_pointer(&c->args, g_free);
                        call_fail(c, VR_ERR_RPC, "cannot decode the arguments of %s", p->api);
                        return;
                }
        } else if (len != 0) {
                call_fail(c, VR_ERR_RPC, "%s takes no arguments", p->api);
                return;
        }
        c->ret = g_malloc0(p->ret_size ? p->ret_size : 1);
        p->handler(c);
}
