/* Asking vmmd-secret's Internal interface for a value (secrets.md X18), and handing a value on through a pipe. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* Runs once: value (borrowed, cleared after the call) and its length on success, else error
 * (vmmd-secret's own error — NoSecret, OperationDenied, … — with `what` in front). */
typedef void (*VmmdSecretValueFunc)(const GError *error, const uint8_t *value, size_t len, void *userdata);

/* Asks for the value of secret uuid, or (uuid NULL) of the secret with usage (usage_type, usage_id).
 * `what` names the thing that needs it in errors ("volume 'x'", "disk 'vdb'"). The call is
 * asynchronous on bus's event loop (the bus activates vmmd-secret if needed) and done runs from
 * there; false with error (and done never runs) when the call cannot even be sent. */
bool vmmd_secret_get_value_async(sd_bus *bus, const char *uuid, int usage_type, const char *usage_id,
                                 const char *what, VmmdSecretValueFunc done, void *userdata, GError **error);

/* The read end of a pipe that holds value and whose write end is closed, so that a reader
 * (QEMU or qemu-img through file=/dev/fd/N) sees exactly value and then EOF, and once read the
 * bytes are gone from the kernel too. Never blocks: value must fit the pipe (SECRET_VALUE_MAX
 * does). O_CLOEXEC; negative errno on failure. */
int vmmd_secret_pipe(const uint8_t *value, size_t len);
