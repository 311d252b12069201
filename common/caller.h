/* Who may change things: root, the daemon's own uid, and the admin group; everyone else is read-only. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

/* 1 when the sender of m is privileged, 0 when read-only, -errno when its credentials
 * cannot be read. */
int vmmd_caller_is_privileged(sd_bus_message *m);

/* 0 when privileged; otherwise fills error with OperationDenied naming the method
 * and returns its negative value. */
int vmmd_caller_require_privileged(sd_bus_message *m, const char *method, sd_bus_error *error);
