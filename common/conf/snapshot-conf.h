/* Domain snapshot definitions: libvirt's <domainsnapshot> XML, parse/format/validate (spec domains.md D). */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "domain-conf.h"

/* memory/@snapshot and disk/@snapshot; DEFAULT = not given. */
typedef enum {
        SNAPSHOT_LOCATION_DEFAULT = 0,
        SNAPSHOT_LOCATION_NO,
        SNAPSHOT_LOCATION_INTERNAL,
        SNAPSHOT_LOCATION_EXTERNAL,
        SNAPSHOT_LOCATION_MANUAL,
        _SNAPSHOT_LOCATION_MAX,
} SnapshotLocation;
/* _to_string: NULL when out of range; _from_string: -1 when unknown ("default" is not accepted
 * in XML: an absent attribute is DEFAULT). */
const char *snapshot_location_to_string(int value);
int snapshot_location_from_string(const char *s);

typedef struct SnapshotDiskDef {
        char *name;              /* target dev or source path as given */
        SnapshotLocation snapshot;
        char *source_type;       /* "file" or NULL */
        char *driver_type;       /* driver/@type, e.g. "qcow2", or NULL */
        char *source_file;       /* source/@file (absolute) or NULL */
} SnapshotDiskDef;

typedef struct SnapshotDef {
        char *name;
        char *description;
        char *state;             /* "running","paused","shutoff","shutdown","crashed","pmsuspended",
                                  * "disk-snapshot","blocked","nostate"; NULL when not given */
        char *parent;            /* parent snapshot name or NULL */
        long long creation_time;
        bool has_creation_time;
        SnapshotLocation memory;
        char *memory_file;
        GPtrArray *disks;        /* SnapshotDiskDef*, owned */
        GPtrArray *revert_disks; /* SnapshotDiskDef*, owned (<revertDisks>, output of a revert, D38) */
        DomainDef *domain;       /* <domain>, NULL when absent or when it only carries a uuid */
        char *domain_uuid;       /* the uuid of a <domain> that carries only <uuid> (D33), else NULL */
        DomainDef *inactive_domain; /* <inactiveDomain> (same format as <domain>, root renamed) */
        char *cookie;            /* <cookie> kept verbatim (inner XML, blank text dropped) or NULL */
        int active;              /* <active> of the metadata form: -1 absent, 0, 1 */
} SnapshotDef;

enum {
        SNAPSHOT_PARSE_REDEFINE = 1 << 0,  /* read state/parent/creationTime/domain/…; require them (D27) */
        SNAPSHOT_PARSE_VALIDATE = 1 << 1,  /* RelaxNG: common/schemas/domainsnapshot.rng */
        SNAPSHOT_PARSE_METADATA = 1 << 2,  /* accept <active> (the daemon's metadata files) */
};

enum {
        SNAPSHOT_FORMAT_SECURE = 1 << 0,   /* pass DOMAIN_DEF_FORMAT_SECURE to the inner domains */
        SNAPSHOT_FORMAT_METADATA = 1 << 1, /* end with <active>N</active> */
};

/* Parses a whole <domainsnapshot> document. Errors (VMMD_ERROR domain):
 *  XML_DETAIL: not well formed (with the line); a name containing '/' or starting with '.' (D4);
 *  XML_ERROR: root is not <domainsnapshot>; with REDEFINE no <name> or no <state> (D27);
 *    memory file= with a snapshot= other than 'external', snapshot='external' without file,
 *    a relative memory file, memory snapshot='manual', a relative disk <source file> (D5);
 *    with REDEFINE memory internal/external in a shutoff or disk-snapshot snapshot; an
 *    unknown or "default" snapshot= value; an unknown disk type=; a malformed <active>;
 *  INTERNAL_ERROR: with REDEFINE no or a malformed <creationTime> (D27); a disk without
 *    name=; a uuid-only <domain> with a malformed uuid;
 *  CONFIG_UNSUPPORTED: with REDEFINE an unknown state or "nostate" (D27); a disk type= other
 *    than file (block, network, …); an unknown disk driver type;
 *  XML_INVALID_SCHEMA: with VALIDATE, the document breaks domainsnapshot.rng, or a parsed
 *    <domain>/<inactiveDomain> breaks domain.rng;
 *  errors of domain_def_parse_string for <domain>/<inactiveDomain> (message prefixed);
 *  INVALID_ARG: unknown flag bits.
 * Defaults as libvirt's: a memory file without snapshot= is external; a disk with a source
 * file or a driver type and no snapshot= is external of type "file"; with REDEFINE and no
 * <memory>, memory is "no" for shutoff/disk-snapshot and "internal" otherwise. Empty
 * <name>/<description>/<state> count as absent.
 * Without REDEFINE (D3): a missing name becomes the creation time in decimal Unix seconds,
 * creationTime is now, and state/parent/domain/inactiveDomain/cookie/revertDisks are ignored.
 * <active> is read only with METADATA. */
SnapshotDef *snapshot_def_parse_string(const char *xml, unsigned flags, GError **error);

/* Formats stably (same def → same bytes), two-space indent, trailing newline, D2 order.
 * Inner domains are formatted INACTIVE (+SECURE with SNAPSHOT_FORMAT_SECURE); a domain_uuid
 * without domain gives <domain><uuid>…</uuid></domain>; METADATA adds <active>1</active>
 * when active > 0, else <active>0</active>. */
char *snapshot_def_format(const SnapshotDef *def, unsigned flags);

/* An empty definition: memory DEFAULT, active -1, empty disk arrays. */
SnapshotDef *snapshot_def_new(void);
SnapshotDef *snapshot_def_copy(const SnapshotDef *def);
void snapshot_def_free(SnapshotDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SnapshotDef, snapshot_def_free)

SnapshotDiskDef *snapshot_disk_def_new(void);
void snapshot_disk_def_free(SnapshotDiskDef *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SnapshotDiskDef, snapshot_disk_def_free)

/* True for the nine state strings above. */
bool snapshot_state_is_valid(const char *state);
