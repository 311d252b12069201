/* Secret definitions: libvirt's <secret> XML, parse/format/validate (spec secrets.md §3). */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* The numbers are libvirt's VIR_SECRET_USAGE_TYPE_* (spec §2); they cross the bus as is. */
typedef enum {
        SECRET_USAGE_NONE = 0,
        SECRET_USAGE_VOLUME = 1,
        SECRET_USAGE_CEPH = 2,
        SECRET_USAGE_ISCSI = 3,
        SECRET_USAGE_TLS = 4,
        SECRET_USAGE_VTPM = 5,
        _SECRET_USAGE_MAX,
} SecretUsageType;
/* _to_string: NULL when out of range; _from_string: -1 when unknown ("none" is not accepted
 * in XML: no <usage> is NONE). */
const char *secret_usage_type_to_string(int value);
int secret_usage_type_from_string(const char *s);

typedef struct SecretDef {
        char uuid[37];
        char *description;     /* NULL when not set */
        SecretUsageType usage_type;
        char *usage_id;        /* volume path, ceph/tls/vtpm name or iscsi target; NULL for NONE */
        bool ephemeral;
        bool is_private;
} SecretDef;

enum {
        SECRET_DEF_PARSE_VALIDATE = 1 << 0,  /* RelaxNG: common/schemas/secret.rng (VIR_SECRET_DEFINE_VALIDATE) */
};

/* Parses a whole <secret> document. Errors (VMMD_ERROR domain):
 *  XML_ERROR: not well formed (with the line), declared entities, a root other than <secret>,
 *    ephemeral=/private= other than yes/no, a malformed <uuid>, an unknown usage type= (or
 *    none), usage volume without <volume>, ceph/tls/vtpm without <name>, iscsi without
 *    <target> (X2; empty or blank ids count as missing);
 *  XML_INVALID_SCHEMA: with VALIDATE, the document breaks secret.rng;
 *  INVALID_ARG: unknown flag bits.
 * A missing or empty <uuid> gets a new random one; an empty <description> counts as absent.
 * The usage id is kept as written (a volume path is not canonicalised), minus surrounding
 * blanks. */
SecretDef *secret_def_parse_string(const char *xml, unsigned flags, GError **error);

/* Formats stably: both attributes explicit, children uuid, description, usage (§3), two-space
 * indent, trailing newline. A SecretDef never holds a value, so there is nothing to hide. */
char *secret_def_format(const SecretDef *def);

SecretDef *secret_def_new(void);
SecretDef *secret_def_copy(const SecretDef *def);
void secret_def_free(SecretDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SecretDef, secret_def_free)

/* The element under <usage> that carries the id for a usage type ("volume", "name",
 * "target"), or NULL for NONE and out-of-range values. */
const char *secret_usage_id_element(SecretUsageType type);
