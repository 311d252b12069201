/* What the command line builder's files share: the argument vector being built, its small
 * helpers, and the builders one file calls in the other. */
#pragma once

#include <errno.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "domain-def.h"
#include "error.h"
#include "qemu-command.h"

typedef struct Cmd {
        GPtrArray *argv;
        const DomainDef *def;
        const QemuCommandOptions *opts;
        GError **error;
        bool failed;
} Cmd;

static inline void arg(Cmd *c, const char *a) {
        g_ptr_array_add(c->argv, g_strdup(a));
}

static inline void G_GNUC_PRINTF(2, 3) argf(Cmd *c, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        g_ptr_array_add(c->argv, g_strdup_vprintf(fmt, ap));
        va_end(ap);
}

static inline bool G_GNUC_PRINTF(2, 3) unsupported(Cmd *c, const char *fmt, ...) {
        va_list ap;

        if (!c->failed) {
                va_start(ap, fmt);
                g_autofree char *msg = g_strdup_vprintf(fmt, ap);
                va_end(ap);
                g_set_error(c->error, VMMD_ERROR, VMMD_ERROR_CONFIG_UNSUPPORTED, "%s", msg);
                c->failed = true;
        }
        return false;
}

/* QEMU's option values escape ',' by doubling it */
static char *opt_escape(const char *s) {
        g_autoptr(GString) out = g_string_new(NULL);

        for (const char *p = s; *p; p++) {
                if (*p == ',')
                        g_string_append_c(out, ',');
                g_string_append_c(out, *p);
        }
        return g_string_free(g_steal_pointer(&out), FALSE);
}

/* ",bus=pci.0,addr=0x3" for a PCI address; "" otherwise */
static char *pci_addr(const DomainDeviceInfo *info) {
        const DomainDeviceAddress *a = &info->addr;

        if (a->type != DOMAIN_ADDRESS_PCI)
                return g_strdup("");
        if (a->function)
                return g_strdup_printf(",bus=pci.%u,addr=0x%x.0x%x", a->bus, a->slot, a->function);
        /* multifunction is a tristate: 1 on */
        return g_strdup_printf(",bus=pci.%u,addr=0x%x%s", a->bus, a->slot,
                               a->multifunction == 1 ? ",multifunction=on" : "");
}

static const char *pci_bus_name(const DomainDef *def) {
        return domain_def_is_q35(def) ? "pcie.0" : "pci.0";
}

/* pci.0 for bus 0 of the root; q35 calls its root bus pcie.0 */
static char *device_addr(const DomainDef *def, const DomainDeviceInfo *info) {
        g_autofree char *a = pci_addr(info);

        if (info->addr.type == DOMAIN_ADDRESS_PCI && info->addr.bus == 0) {
                g_autofree char *tail = g_strdup(strstr(a, ",addr="));
                return g_strdup_printf(",bus=%s%s", pci_bus_name(def), tail);
        }
        return g_steal_pointer(&a);
}

static char *bootindex(const DomainDeviceInfo *info) {
        return info->boot_order ? g_strdup_printf(",bootindex=%u", info->boot_order) : g_strdup("");
}

void build_controllers(Cmd *c);
void build_graphics(Cmd *c);
void build_videos(Cmd *c);
void build_misc_devices(Cmd *c);
void build_other_devices(Cmd *c);
void build_redirdevs(Cmd *c);
bool build_chardev_spice(Cmd *c, const DomainChrSource *src, const char *id, const char *spicevmc);
char *builder_to_string(JsonBuilder *b);
bool have_spice(const DomainDef *def);
