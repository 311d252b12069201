/* libvirt's RPC framing: the length check, the header, and XDR bodies in and out of byte buffers (no I/O). */
#include "rpc-message.h"

#include <errno.h>
#include <string.h>

#include "dispatch-names.h"

int64_t vr_frame_length(const uint8_t word[4]) {
        uint32_t total = (uint32_t) word[0] << 24 | (uint32_t) word[1] << 16 | (uint32_t) word[2] << 8 | word[3];

        if (total < VR_LEN_SIZE + VR_HEADER_SIZE || total > VR_MESSAGE_MAX)
                return -EMSGSIZE;
        return total - VR_LEN_SIZE;
}

bool vr_header_decode(const uint8_t *buf, size_t len, vr_header *header) {
        XDR xdr;
        bool ok;

        if (len < VR_HEADER_SIZE)
                return false;
        xdrmem_create(&xdr, (char *) buf, VR_HEADER_SIZE, XDR_DECODE);
        ok = xdr_vr_header(&xdr, header);
        xdr_destroy(&xdr);
        return ok;
}

bool vr_body_decode(const uint8_t *body, size_t len, xdrproc_t proc, void *obj) {
        XDR xdr;
        bool ok;

        /* xdrmem takes an unsigned int length; frames are far below that (VR_MESSAGE_MAX) */
        xdrmem_create(&xdr, (char *) body, (unsigned) len, XDR_DECODE);
        ok = proc(&xdr, obj, 0);
        /* trailing garbage is as wrong as a short body: the client and we disagree on the shape */
        if (ok && xdr_getpos(&xdr) != len)
                ok = false;
        xdr_destroy(&xdr);
        if (!ok)
                xdr_free(proc, obj);
        return ok;
}

GBytes *vr_message_encode(const vr_header *header, xdrproc_t proc, const void *obj) {
        unsigned long body = proc ? xdr_sizeof(proc, (void *) obj) : 0;
        size_t total = VR_LEN_SIZE + VR_HEADER_SIZE + body;
        uint8_t *buf;
        XDR xdr;

        if (total > VR_MESSAGE_MAX)
                return NULL;
        buf = g_malloc(total);
        buf[0] = total >> 24;
        buf[1] = total >> 16;
        buf[2] = total >> 8;
        buf[3] = total;
        xdrmem_create(&xdr, (char *) buf + VR_LEN_SIZE, total - VR_LEN_SIZE, XDR_ENCODE);
        if (!xdr_vr_header(&xdr, (vr_header *) header) || (proc && !proc(&xdr, (void *) obj, 0))) {
                xdr_destroy(&xdr);
                g_free(buf);
                return NULL;
        }
        xdr_destroy(&xdr);
        return g_bytes_new_take(buf, total);
}

GBytes *vr_error_encode(const vr_header *call, int code, int domain, const char *message) {
        vr_header h = *call;
        char *msg = (char *) (message ? message : "unknown error");
        vr_error err = {
                .code = code,
                .domain = domain,
                .message = &msg,
                .level = VR_ERR_LEVEL_ERROR,
        };

        h.type = VR_REPLY;
        h.status = VR_ERROR;
        return vr_message_encode(&h, (xdrproc_t) xdr_vr_error, &err);
}
