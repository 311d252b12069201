/* libvirt's RPC framing: the length check, the header, and XDR bodies in and out of byte buffers (no I/O). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "libvirt-remote.h"

/* Reads the big-endian length word; returns the body size that follows it (header included),
 * or -EMSGSIZE when the length is below a header or over VR_MESSAGE_MAX. Called before anything
 * is allocated for the message. */
int64_t vr_frame_length(const uint8_t word[4]);

/* Decodes the 24-byte header at the start of buf. False when buf is shorter. */
bool vr_header_decode(const uint8_t *buf, size_t len, vr_header *header);

/* Decodes the body that follows the header into obj (zeroed by the caller). Fails when the
 * XDR is malformed, over a limit, or leaves bytes unread; obj is then freed again. */
bool vr_body_decode(const uint8_t *body, size_t len, xdrproc_t proc, void *obj);

/* A whole message (length, header, body encoded with proc; proc NULL = empty body). */
GBytes *vr_message_encode(const vr_header *header, xdrproc_t proc, const void *obj);

/* An ERROR reply to the call in `call`: code, domain and message as libvirt's client shows them. */
GBytes *vr_error_encode(const vr_header *call, int code, int domain, const char *message);
