/* A QMP (QEMU Machine Protocol) client on sd-event: greeting, capabilities, commands with replies by id, events, fd passing. */
#pragma once

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

typedef struct Qmp Qmp;

/* ret is the "return" member on success; on failure ret is NULL and error says why
 * (QMP's "desc", or the connection's end). */
typedef void (*QmpReplyFunc)(Qmp *q, JsonNode *ret, const char *error, void *userdata);
typedef void (*QmpEventFunc)(Qmp *q, const char *event, JsonObject *data, void *userdata);
/* The monitor closed (QEMU exited or closed it). */
typedef void (*QmpClosedFunc)(Qmp *q, void *userdata);

/* Connects (non-blocking) to the monitor socket and sends qmp_capabilities at once;
 * commands go out behind it in order, without waiting for QEMU's greeting or for the
 * negotiation's reply (QEMU runs them in order once its main loop runs). */
int qmp_connect(sd_event *event, const char *socket_path, QmpEventFunc on_event, QmpClosedFunc on_closed,
                void *userdata, Qmp **ret);
void qmp_free(Qmp *q);
/* free_fn(userdata) runs when q is freed (a caller's context that lives as long as q). */
void qmp_set_userdata_free(Qmp *q, GDestroyNotify free_fn);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Qmp, qmp_free)

/* Sends {"execute": cmd, "arguments": args}; args is taken (may be NULL). With
 * fd >= 0 the fd is passed along (SCM_RIGHTS) with the command (getfd, add-fd). */
int qmp_command(Qmp *q, const char *cmd, JsonObject *args, int fd, QmpReplyFunc cb, void *userdata);

bool qmp_is_ready(const Qmp *q);
