/* The one rule for the names of domains, snapshots, pools and volumes, which become file names. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <stdbool.h>

/* Longest name in bytes: leaves room under NAME_MAX (255) for ".xml", ".save" and the
 * temporary-file prefixes and suffixes vmmd puts around a name. */
#define VMMD_NAME_MAX 200

/* Checks name against the rule every object kind shares. Refused: '/', any control
 * character (bytes below 0x20 and 0x7f), a leading '.', an empty or all-space name, and
 * more than VMMD_NAME_MAX bytes. kind ("domain", "snapshot", ...) starts the message;
 * code is the kind's error for a '/' in its name, newline_code the one the spec gives
 * for a newline (the same for most kinds). The message names the rule broken. */
bool vmmd_name_check(const char *kind, const char *name, int code, int newline_code, GError **error);

/* Text of root's <name> child in no namespace (a <x:name> of another vocabulary is not the
 * object's name), or NULL when there is none. */
char *vmmd_name_element_text(xmlNodePtr root);
