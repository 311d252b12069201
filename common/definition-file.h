/* The files every driver keeps for a persistent object: NAME.xml with its generated-file header, and the autostart link. */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* Writes <dir>/<name>.xml atomically (mode 0600) as the header comment of spec 0.15
 * followed by xml. daemon: "vmmd-qemu"; edit_command: "edit" or "pool-edit"; the
 * command names the object by name when that is safe in a shell, else by uuid;
 * bus_name: "org.vmmd.qemu1". what: "domain definition", for the error message. */
bool vmmd_definition_write(const char *dir, const char *name, const char *uuid, const char *xml,
                           const char *daemon, const char *edit_command, const char *bus_name, const char *what,
                           GError **error);

/* The content vmmd_definition_write writes: the header comment, then xml. */
char *vmmd_definition_format(const char *name, const char *uuid, const char *xml, const char *daemon,
                             const char *edit_command, const char *bus_name);

/* Reads a definition (or state) file whole; NULL with SystemError naming the file. */
char *vmmd_definition_read(const char *file, GError **error);
/* The same for name in dir, opened through dirfd (dir's descriptor): the error names dir/name. */
char *vmmd_definition_read_at(int dirfd, const char *dir, const char *name, GError **error);

/* True when name can stand in a shell command line unquoted (spec 0.15's rule). */
bool vmmd_name_is_shell_safe(const char *name);

/* Creates (on) or removes (off) the autostart link <autostart_dir>/<name>.xml → target. */
bool vmmd_autostart_link_set(const char *autostart_dir, const char *name, const char *target, bool on, GError **error);
