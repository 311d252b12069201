/* Small bus helpers every daemon's glue uses: flag checks and PropertiesChanged from a name list. */
#include "bus-util.h"

#include <glib.h>

#include "caller.h"
#include "cleanup.h"
#include "error.h"

int vmmd_bus_check_flags(const char *method, uint32_t flags, uint32_t allowed, sd_bus_error *error) {
        if (flags & ~allowed)
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG, "%s: unsupported flags (0x%x)", method,
                                         flags & ~allowed);
        return 0;
}

int vmmd_bus_read_flags(sd_bus_message *msg, const char *method, uint32_t allowed, bool privileged,
                        uint32_t secure_bits, uint32_t *ret_flags, sd_bus_error *error) {
        uint32_t flags;
        int r;

        if (privileged) {
                r = vmmd_caller_require_privileged(msg, method, error);
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_read(msg, "u", &flags);
        if (r < 0)
                return r;
        if (!privileged && (flags & secure_bits)) {
                g_autofree char *what = g_strdup_printf("%s with flags 0x%x", method, flags & secure_bits);
                r = vmmd_caller_require_privileged(msg, what, error);
                if (r < 0)
                        return r;
        }
        r = vmmd_bus_check_flags(method, flags, allowed, error);
        if (r < 0)
                return r;
        *ret_flags = flags;
        return 0;
}

int vmmd_bus_begin_privileged(sd_bus_message *msg, const char *method, bool has_flags, uint32_t allowed,
                              uint32_t *ret_flags, sd_bus_error *error) {
        *ret_flags = 0;
        if (has_flags)
                return vmmd_bus_read_flags(msg, method, allowed, true, 0, ret_flags, error);
        return vmmd_caller_require_privileged(msg, method, error);
}

int vmmd_bus_read_text_and_flags(sd_bus_message *msg, const char *method, const char *what, uint32_t allowed,
                                 const char **ret_text, uint32_t *ret_flags, sd_bus_error *error) {
        const char *text;
        uint32_t flags;
        int r;

        r = vmmd_caller_require_privileged(msg, method, error);
        if (r < 0)
                return r;
        r = sd_bus_message_read(msg, "su", &text, &flags);
        if (r < 0)
                return r;
        r = vmmd_bus_check_flags(method, flags, allowed, error);
        if (r < 0)
                return r;
        if (!*text)
                return vmmd_bus_error_setf(error, VMMD_ERROR_INVALID_ARG, "%s: %s must not be empty", method, what);
        *ret_text = text;
        *ret_flags = flags;
        return 0;
}

int vmmd_bus_reply_objects(sd_bus_message *msg, const GPtrArray *objects, VmmdBusPathFunc path_of) {
        g_autoptr(sd_bus_message) reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "o");
        for (guint i = 0; r >= 0 && i < objects->len; i++) {
                g_autofree char *path = path_of(g_ptr_array_index(objects, i));
                r = sd_bus_message_append(reply, "o", path);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

int vmmd_bus_reply_result(sd_bus_message *msg, const GError *error, const char *path) {
        if (error) {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                vmmd_error_to_bus(error, &e);
                return sd_bus_reply_method_error(msg, &e);
        }
        if (path)
                return sd_bus_reply_method_return(msg, "o", path);
        return sd_bus_reply_method_return(msg, NULL);
}

void vmmd_bus_emit_changed_va(sd_bus *bus, const char *path, const char *interface, const char *first, va_list ap) {
        g_autoptr(GPtrArray) names = g_ptr_array_new();

        if (!bus)
                return;
        for (const char *p = first; p; p = va_arg(ap, const char *))
                g_ptr_array_add(names, (gpointer) p);
        g_ptr_array_add(names, NULL);
        (void) sd_bus_emit_properties_changed_strv(bus, path, interface, (char **) names->pdata);
}
