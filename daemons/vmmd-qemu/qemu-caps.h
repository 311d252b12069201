/* What an installed QEMU binary can do (machine types and their aliases), probed once and cached on disk. */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef struct QemuMachine {
        char *name;     /* canonical, versioned: pc-i440fx-7.2 */
        char *alias;    /* pc, q35, or NULL */
} QemuMachine;

typedef struct QemuCaps {
        char *emulator;
        char *arch;
        char *version;
        char *default_machine;   /* canonical */
        GPtrArray *machines;     /* QemuMachine* */
        /* names -cpu takes (sets of strings); NULL when this QEMU does not answer the question */
        GHashTable *cpu_models;
        GHashTable *cpu_features;  /* feature flags of the 'max' model, with QEMU's aliases */
} QemuCaps;

void qemu_caps_free(QemuCaps *caps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(QemuCaps, qemu_caps_free)

/* The default emulator for an arch: qemu-system-<arch> on PATH (or /usr/bin); NULL if none. */
char *qemu_caps_find_emulator(const char *arch);

/* Probes emulator (QMP query-machines on a `-machine none -S` QEMU), or loads the
 * cached result when the binary's path and mtime match. cache_dir may be NULL. */
QemuCaps *qemu_caps_get(const char *emulator, const char *cache_dir, GError **error);

/* Whether -cpu takes this model / feature name; true when the QEMU did not say which it takes. */
bool qemu_caps_knows_cpu_model(const QemuCaps *caps, const char *model);
bool qemu_caps_knows_cpu_feature(const QemuCaps *caps, const char *feature);

/* Canonical name for a machine name or alias; NULL if the QEMU does not know it. */
const char *qemu_caps_canonical_machine(const QemuCaps *caps, const char *machine);
