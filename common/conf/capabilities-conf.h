/* The capabilities document (GetCapabilities): what the host and its emulators offer, as plain data and its XML. */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef struct CapsMachine {
        char *name;             /* the versioned machine type: pc-i440fx-7.2 */
        char *alias;            /* the short name that stands for it (pc, q35), or NULL */
} CapsMachine;

typedef struct CapsGuest {
        char *arch;
        char *emulator;
        GPtrArray *machines;    /* CapsMachine*, in QEMU's order */
        bool kvm;               /* <domain type='kvm'/> besides 'qemu' */
} CapsGuest;

typedef struct CapsDef {
        char *host_arch;
        GPtrArray *guests;      /* CapsGuest* */
} CapsDef;

CapsDef *caps_def_new(const char *host_arch);
void caps_def_free(CapsDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CapsDef, caps_def_free)

/* Adds a guest arch run by emulator; returns it for its machines. */
CapsGuest *caps_def_add_guest(CapsDef *def, const char *arch, const char *emulator, bool kvm);
void caps_guest_add_machine(CapsGuest *guest, const char *name, const char *alias);

/* <capabilities>: the host's arch, then per guest its aliases (canonical= the type each
 * stands for) followed by every machine type, and the domain types it runs. */
char *caps_def_format(const CapsDef *def);
