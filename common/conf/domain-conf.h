/* Domain definitions: the parsed form of libvirt's <domain> XML, and its parse/format/validate API. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "uuid.h"   /* a definition's uuid is read and made with these */

/* --- the API the daemons use (keep stable; the struct below may grow) --- */

typedef enum {
        DOMAIN_DEF_PARSE_VALIDATE = 1 << 0,   /* RelaxNG-validate against common/schemas/domain.rng */
} DomainDefParseFlags;

typedef enum {
        DOMAIN_DEF_FORMAT_SECURE = 1 << 0,      /* include secrets (graphics passwd, …) */
        DOMAIN_DEF_FORMAT_INACTIVE = 1 << 1,    /* no id='N', no live-only state */
        DOMAIN_DEF_FORMAT_MIGRATABLE = 1 << 2,  /* drop implicit devices as libvirt does for migration */
} DomainDefFormatFlags;

typedef enum {
        DOMAIN_LIFECYCLE_DESTROY = 0,
        DOMAIN_LIFECYCLE_RESTART,
        DOMAIN_LIFECYCLE_RENAME_RESTART,
        DOMAIN_LIFECYCLE_PRESERVE,
        DOMAIN_LIFECYCLE_COREDUMP_DESTROY,
        DOMAIN_LIFECYCLE_COREDUMP_RESTART,
        _DOMAIN_LIFECYCLE_MAX,
} DomainLifecycleAction;

typedef struct DomainDef DomainDef;

/* Parses a whole document. Errors (VMMD_ERROR domain, spec domains.md A3–A6, A10, A11):
 *  XML_DETAIL (not well formed; message has the line), XML_ERROR (root not <domain>,
 *  '/' in name, duplicate PCI address, static seclabel without label),
 *  XML_INVALID_SCHEMA (with VALIDATE), NO_NAME, INTERNAL_ERROR (bad uuid),
 *  CONFIG_UNSUPPORTED (dynamic seclabel relabel='no', refused lifecycle actions E24).
 * A missing <uuid> is generated. */
DomainDef *domain_def_parse_string(const char *xml, unsigned flags, GError **error);

/* Formats stably (same def → same bytes), two-space indent, trailing newline. */
char *domain_def_format(const DomainDef *def, unsigned flags);

DomainDef *domain_def_copy(const DomainDef *def);
/* TRUE when both format to the same inactive secure XML. */
bool domain_def_equal(const DomainDef *a, const DomainDef *b);
void domain_def_free(DomainDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DomainDef, domain_def_free)

/* Post-parse steps that need no host knowledge: implicit devices (root PCI controller
 * pci-root for i440fx / pcie-root for q35, …) and PCI addresses for every PCI device
 * without one (stable: devices that have one keep it; no collisions). Call after the
 * caller has filled in the canonical machine type. */
bool domain_def_post_parse(DomainDef *def, GError **error);

/* Accessors and setters the daemons need. */
const char *domain_def_get_name(const DomainDef *def);
void domain_def_set_name(DomainDef *def, const char *name);
const char *domain_def_get_uuid(const DomainDef *def);       /* lowercase 36-char form */
const char *domain_def_get_virt_type(const DomainDef *def);  /* "qemu", "kvm" */
const char *domain_def_get_arch(const DomainDef *def);       /* may be NULL: caller defaults */
void domain_def_set_arch(DomainDef *def, const char *arch);
const char *domain_def_get_machine(const DomainDef *def);    /* may be NULL */
void domain_def_set_machine(DomainDef *def, const char *machine);
const char *domain_def_get_emulator(const DomainDef *def);   /* may be NULL */
void domain_def_set_emulator(DomainDef *def, const char *path);
unsigned long long domain_def_get_memory_kib(const DomainDef *def);
unsigned long long domain_def_get_current_memory_kib(const DomainDef *def);
unsigned domain_def_get_vcpus(const DomainDef *def);          /* the ones running now */
const char *domain_def_get_vnc_password(const DomainDef *def);   /* NULL when none */
int domain_def_get_id(const DomainDef *def);                 /* -1 when none */
void domain_def_set_id(DomainDef *def, int id);              /* formatted as <domain id='N'> unless INACTIVE */
DomainLifecycleAction domain_def_get_on_poweroff(const DomainDef *def);
DomainLifecycleAction domain_def_get_on_reboot(const DomainDef *def);
DomainLifecycleAction domain_def_get_on_crash(const DomainDef *def);
const char *domain_lifecycle_action_to_string(DomainLifecycleAction a);
int domain_lifecycle_action_from_string(const char *s);     /* -1 when unknown */

/* Seclabels whose model the host may not have; the daemon refuses them at start. */
/* (list of models) — returns a NULL-terminated array owned by def */
const char *const *domain_def_get_seclabel_models(const DomainDef *def);

/* Spec C37: everything the guest can see is equal (host-side details such as a disk's
 * source path may differ); otherwise CONFIG_UNSUPPORTED naming the property and both values. */
bool domain_def_check_abi_stability(const DomainDef *src, const DomainDef *dst, GError **error);
/* The same for definitions of different ages: a definition stored by an older vmmd lacks
 * what post-parse fills in today (a PCI controller's model name and chassisNr, the address
 * of PIIX3's IDE, a model-less USB controller's model) while one parsed now has it, so both
 * are compared as copies with those filled in alike: only what the two say differently
 * counts. The daemon compares a held definition with a caller's through this one. */
bool domain_def_check_abi_stability_filled(const DomainDef *src, const DomainDef *dst, GError **error);
