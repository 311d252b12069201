/* Small bus helpers every daemon's glue uses: flag checks and PropertiesChanged from a name list. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <glib.h>
#include <systemd/sd-bus.h>

#include "list-filter.h"   /* VMMD_FILTER_PAIR, for the glue that filters itself */

/* spec 0.6: InvalidArg naming the method and the unknown bits in hex; 0 when all are allowed. */
int vmmd_bus_check_flags(const char *method, uint32_t flags, uint32_t allowed, sd_bus_error *error);

/* Reads a method's 'u flags' argument in the order of spec 0.4: a privileged method
 * checks the caller first (OperationDenied), then the flags are read; secure_bits (such as
 * XML_SECURE) need a privileged caller even on a read-only method; then unknown bits are
 * InvalidArg. Returns 0 or the negative value to return from the handler. */
int vmmd_bus_read_flags(sd_bus_message *msg, const char *method, uint32_t allowed, bool privileged,
                        uint32_t secure_bits, uint32_t *ret_flags, sd_bus_error *error);

/* The start of a privileged method whose only argument, if any, is 'u flags': the caller,
 * then (with has_flags) the flags. *ret_flags is 0 without flags. */
int vmmd_bus_begin_privileged(sd_bus_message *msg, const char *method, bool has_flags, uint32_t allowed,
                              uint32_t *ret_flags, sd_bus_error *error);

/* Reads a privileged method's (s text, u flags) in spec 0.4's order: the caller, the flags,
 * then the text must not be empty (what names it in the message: "xml", "name"). */
int vmmd_bus_read_text_and_flags(sd_bus_message *msg, const char *method, const char *what, uint32_t allowed,
                                 const char **ret_text, uint32_t *ret_flags, sd_bus_error *error);

/* The object path of one model object (domain_bus_path, pool_bus_path, …). */
typedef char *(*VmmdBusPathFunc)(const void *object);

/* Replies with the 'ao' of the objects' paths (a list method's answer). */
int vmmd_bus_reply_objects(sd_bus_message *msg, const GPtrArray *objects, VmmdBusPathFunc path_of);

/* The answer of a method that finished later: the error, or the object path when there is
 * one, or an empty return. */
int vmmd_bus_reply_result(sd_bus_message *msg, const GError *error, const char *path);

/* PropertiesChanged for the NULL-terminated property names after first. */
void vmmd_bus_emit_changed_va(sd_bus *bus, const char *path, const char *interface, const char *first, va_list ap);
