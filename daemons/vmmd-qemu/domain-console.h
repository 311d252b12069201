/* Handing a guest's serial console to a client as a file descriptor (Domain.OpenConsole). */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "domain.h"

/* fd is the console (owned by the callee), or -1 with error. */
typedef void (*DomainConsoleFunc)(Domain *d, int fd, const GError *error, void *userdata);

/* device: "" (the first serial port or console), "serial0", "console0", … Unix sockets
 * are connected, ptys opened read-write, files opened read-only. Returns false with
 * error when refused at once; otherwise done runs (maybe before this returns). */
bool domain_open_console(Domain *d, const char *device, DomainConsoleFunc done, void *userdata, GError **error);
