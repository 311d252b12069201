/* Small bus helpers every daemon's glue uses: flag checks and PropertiesChanged from a name list. */
#pragma once

#include <stdarg.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

/* spec 0.6: InvalidArg naming the method and the unknown bits in hex; 0 when all are allowed. */
int vmmd_bus_check_flags(const char *method, uint32_t flags, uint32_t allowed, sd_bus_error *error);

/* PropertiesChanged for the NULL-terminated property names after first. */
void vmmd_bus_emit_changed_va(sd_bus *bus, const char *path, const char *interface, const char *first, va_list ap);
