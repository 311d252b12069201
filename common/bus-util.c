/* Small bus helpers every daemon's glue uses: flag checks and PropertiesChanged from a name list. */
#include "bus-util.h"

#include <glib.h>

int vmmd_bus_check_flags(const char *method, uint32_t flags, uint32_t allowed, sd_bus_error *error) {
        if (flags & ~allowed)
                return sd_bus_error_setf(error, "org.vmmd.Error.InvalidArg", "%s: unsupported flags (0x%x)", method,
                                         flags & ~allowed);
        return 0;
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
