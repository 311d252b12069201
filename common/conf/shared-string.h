/* Shared strings: one copy of a value many definitions hold ("hvm", "x86_64", the emulator path…). */
#pragma once

/* Thousands of definitions loaded at once mostly hold the same few values in some fields; a
 * shared string is one reference-counted copy per distinct value. Such a field is a const
 * char *: it can only be set and freed through these functions (g_free() of a const pointer is
 * refused by the build, -Werror=discarded-qualifiers), and vmmd_shared_str_unref() also takes
 * a plain g_malloc()ed string, so a field set some other way is still freed right.
 * Thread-safe: the loader parses definitions in worker threads. */
const char *vmmd_shared_str(const char *s);            /* NULL for NULL */
const char *vmmd_shared_str_take(char *s);             /* frees s */
void vmmd_shared_str_unref(const char *s);
/* *field = shared copy of value, dropping the old one */
void vmmd_shared_str_set(const char **field, const char *value);
