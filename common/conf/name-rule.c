/* The one rule for the names of domains, snapshots, pools and volumes, which become file names. */
#include "name-rule.h"

#include <string.h>

#include "error.h"
#include "xml-util.h"

bool vmmd_name_check(const char *kind, const char *name, int code, int newline_code, GError **error) {
        size_t len = strlen(name);
        const char *p;

        if (len == 0 || strspn(name, " ") == len) {
                g_set_error(error, VMMD_ERROR, code, "%s name must not be empty or only spaces", kind);
                return false;
        }
        /* the length first: a 4 KiB name would make every other message unreadable */
        if (len > VMMD_NAME_MAX) {
                g_set_error(error, VMMD_ERROR, code, "%s name is too long: %zu bytes, the limit is %d bytes", kind,
                            len, VMMD_NAME_MAX);
                return false;
        }
        if (strchr(name, '\n')) {
                g_set_error(error, VMMD_ERROR, newline_code, "invalid character (newline) in %s name", kind);
                return false;
        }
        for (p = name; *p; p++) {
                unsigned char c = (unsigned char) *p;

                if (c < 0x20 || c == 0x7f) {
                        g_autofree char *shown = g_strescape(name, NULL);
                        g_set_error(error, VMMD_ERROR, code,
                                    "%s name '%s' cannot contain control characters (byte 0x%02x)", kind, shown, c);
                        return false;
                }
        }
        if (strchr(name, '/')) {
                g_set_error(error, VMMD_ERROR, code, "%s name '%s' cannot contain '/'", kind, name);
                return false;
        }
        if (name[0] == '.') {
                /* it would be a hidden file: the loaders skip those, and "." and ".." are
                 * the directory itself and its parent */
                g_set_error(error, VMMD_ERROR, code, "%s name '%s' cannot start with '.'", kind, name);
                return false;
        }
        return true;
}

char *vmmd_name_element_text(xmlNodePtr root) {
        if (!root)
                return NULL;
        xml_foreach_child(c, root)
                if (xml_is(c, "name") && !c->ns)
                        return xml_text(c);
        return NULL;
}
