/* Storage pool and volume definitions: libvirt's <pool> and <volume> XML, parse/format/validate. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* --- flags (libvirt's values, so the daemon can pass the caller's bits through) --- */

typedef enum {
        STORAGE_POOL_DEF_PARSE_VALIDATE = 1 << 0,  /* VIR_STORAGE_POOL_DEFINE_VALIDATE: storagepool.rng */
} StoragePoolDefParseFlags;

typedef enum {
        STORAGE_POOL_DEF_FORMAT_INACTIVE = 1 << 0, /* VIR_STORAGE_XML_INACTIVE: no capacity/allocation/available */
} StoragePoolDefFormatFlags;

typedef enum {
        STORAGE_VOL_DEF_PARSE_VALIDATE = 1 << 2,   /* VIR_STORAGE_VOL_CREATE_VALIDATE: storagevol.rng */
        /* libvirt's VIR_VOL_XML_PARSE_NO_CAPACITY: a clone's <capacity> may be omitted (S47);
         * added by the vmmd-storage work, additive */
        STORAGE_VOL_DEF_PARSE_NO_CAPACITY = 1 << 16,
} StorageVolDefParseFlags;

/* --- enums, each with a _to_string (NULL when out of range) / _from_string (-1 when unknown) --- */

/* libvirt's virStoragePoolType order; the daemon answers NoSupport for the ones it lacks (S4). */
typedef enum {
        STORAGE_POOL_DIR = 0,
        STORAGE_POOL_FS,
        STORAGE_POOL_NETFS,
        STORAGE_POOL_LOGICAL,
        STORAGE_POOL_DISK,
        STORAGE_POOL_ISCSI,
        STORAGE_POOL_ISCSI_DIRECT,
        STORAGE_POOL_SCSI,
        STORAGE_POOL_MPATH,
        STORAGE_POOL_RBD,
        STORAGE_POOL_SHEEPDOG,
        STORAGE_POOL_GLUSTER,
        STORAGE_POOL_ZFS,
        STORAGE_POOL_VSTORAGE,
        _STORAGE_POOL_TYPE_MAX,
} StoragePoolType;
const char *storage_pool_type_to_string(int type);
int storage_pool_type_from_string(const char *s);

/* Spec §2.3 numbers (GetInfo's type). */
typedef enum {
        STORAGE_VOL_FILE = 0,
        STORAGE_VOL_BLOCK = 1,
        STORAGE_VOL_DIR = 2,
        STORAGE_VOL_NETWORK = 3,
        STORAGE_VOL_NETDIR = 4,
        STORAGE_VOL_PLOOP = 5,
        _STORAGE_VOL_TYPE_MAX,
} StorageVolType;
const char *storage_vol_type_to_string(int type);
int storage_vol_type_from_string(const char *s);

/* target/format/@type of volumes in file-backed pools (dir, fs, netfs, …); NONE = not given. */
typedef enum {
        STORAGE_FILE_FORMAT_NONE = 0,
        STORAGE_FILE_FORMAT_RAW,
        STORAGE_FILE_FORMAT_DIR,
        STORAGE_FILE_FORMAT_BOCHS,
        STORAGE_FILE_FORMAT_CLOOP,
        STORAGE_FILE_FORMAT_DMG,
        STORAGE_FILE_FORMAT_ISO,
        STORAGE_FILE_FORMAT_VPC,
        STORAGE_FILE_FORMAT_VDI,
        STORAGE_FILE_FORMAT_FAT,
        STORAGE_FILE_FORMAT_VHD,
        STORAGE_FILE_FORMAT_PLOOP,
        STORAGE_FILE_FORMAT_COW,
        STORAGE_FILE_FORMAT_QCOW,
        STORAGE_FILE_FORMAT_QCOW2,
        STORAGE_FILE_FORMAT_QED,
        STORAGE_FILE_FORMAT_VMDK,
        _STORAGE_FILE_FORMAT_MAX,
} StorageFileFormat;
const char *storage_file_format_to_string(int format);
int storage_file_format_from_string(const char *s);

/* <encryption format='…'>; DEFAULT is libvirt's "default". */
typedef enum {
        STORAGE_ENCRYPTION_DEFAULT = 0,
        STORAGE_ENCRYPTION_QCOW,
        STORAGE_ENCRYPTION_LUKS,
        STORAGE_ENCRYPTION_LUKS2,
        STORAGE_ENCRYPTION_LUKS_ANY,
        _STORAGE_ENCRYPTION_FORMAT_MAX,
} StorageEncryptionFormat;
const char *storage_encryption_format_to_string(int format);
int storage_encryption_format_from_string(const char *s);

/* <refresh><volume allocation='…'/>; DEFAULT also when absent. */
typedef enum {
        STORAGE_POOL_REFRESH_ALLOC_DEFAULT = 0,
        STORAGE_POOL_REFRESH_ALLOC_CAPACITY,
        _STORAGE_POOL_REFRESH_ALLOC_MAX,
} StoragePoolRefreshAlloc;
const char *storage_pool_refresh_alloc_to_string(int v);
int storage_pool_refresh_alloc_from_string(const char *s);

/* --- shared pieces --- */

/* target/permissions of a pool, a volume or a backing store. -1 means "not given". */
typedef struct {
        int mode;        /* 0 … 0777 */
        int64_t owner;   /* uid */
        int64_t group;   /* gid */
        char *label;
} StoragePerms;

/* Output-only file times; formatted as seconds[.nnnnnnnnn]. */
typedef struct {
        bool set;
        int64_t sec;
        long nsec;
} StorageTimestamp;

/* --- pools --- */

typedef struct {
        char *path;
        int part_separator;   /* tristate: 0 absent, 1 yes, 2 no */
} StoragePoolSourceDevice;

typedef struct {
        char *name;
        int port;             /* 0 when absent */
} StoragePoolSourceHost;

typedef struct {
        StoragePoolSourceDevice *devices;
        size_t ndevices;
        StoragePoolSourceHost *hosts;
        size_t nhosts;
        char *dir;            /* source/dir/@path (netfs) */
        char *name;           /* source/name (logical VG, rbd pool, …); logical defaults to the pool name */
        char *format;         /* source/format/@type, checked against the pool type's list */
        char *protocol_ver;   /* source/protocol/@ver (netfs) */
        char *vendor;
        char *product;
        char *initiator_iqn;  /* source/initiator/iqn/@name */
        /* source/adapter (scsi) */
        char *adapter_type;
        char *adapter_name;
        char *adapter_parent;
        char *adapter_wwnn;
        char *adapter_wwpn;
        /* source/auth: the password is a secret held by vmmd-secret */
        char *auth_type;        /* chap, ceph */
        char *auth_username;
        char *auth_secret_uuid;
        char *auth_secret_usage;
} StoragePoolSource;

typedef struct {
        StoragePoolType type;
        char *name;
        char uuid[37];        /* lowercase 36-char form; generated when the XML has none */

        /* live figures in bytes; parsed when present (state files), formatted unless INACTIVE */
        uint64_t capacity;
        uint64_t allocation;
        uint64_t available;

        int cow;              /* features/cow/@state tristate: 0 absent, 1 yes, 2 no */
        StoragePoolRefreshAlloc refresh_alloc;

        StoragePoolSource source;
        char *target_path;    /* sanitised: repeated slashes collapsed, trailing slash dropped */
        StoragePerms target_perms;
} StoragePoolDef;

/* Parses a whole <pool> document. Errors (VMMD_ERROR domain; spec storage.md S2–S4):
 *  XML_ERROR: not well formed (S2 says XMLError; message has the line), root is not <pool>,
 *    missing or unknown type, no <name>, '/' in the name, malformed <uuid> (S2), missing
 *    target/path for dir/fs/netfs/disk/iscsi, missing source device/host/dir a type needs,
 *    a mode that is not octal ≤ 0777, a non-numeric owner/group, a bad size or unit;
 *  XML_DETAIL: a newline in the name;
 *  XML_INVALID_SCHEMA: with VALIDATE, the document breaks storagepool.rng;
 *  INVALID_ARG: unknown flag bits.
 * Every libvirt pool type parses; refusing unimplemented ones (NoSupport) is the daemon's job. */
StoragePoolDef *storage_pool_def_parse_string(const char *xml, unsigned flags, GError **error);

/* Formats stably (same def → same bytes), two-space indent, trailing newline, spec §3.1 order. */
char *storage_pool_def_format(const StoragePoolDef *def, unsigned flags);

/* An empty definition for callers that build one in code: permissions -1, everything else 0. */
StoragePoolDef *storage_pool_def_new(void);
StoragePoolDef *storage_pool_def_copy(const StoragePoolDef *def);
void storage_pool_def_free(StoragePoolDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StoragePoolDef, storage_pool_def_free)

/* --- volumes --- */

typedef struct {
        uint64_t start;
        uint64_t end;
} StorageVolExtent;

/* volume/source/device: output only (logical and disk pools' extents). */
typedef struct {
        char *path;
        StorageVolExtent *extents;
        size_t nextents;
} StorageVolSourceDevice;

typedef struct {
        StorageEncryptionFormat format;
        char *secret_type;    /* "passphrase" */
        char *secret_uuid;    /* lowercase 36-char form, or NULL */
        char *secret_usage;
} StorageEncryption;

typedef struct {
        StoragePoolType pool_type;   /* the pool the volume was parsed for: picks format rules */
        StorageVolType type;         /* <volume type='…'>, default file */
        char *name;
        char *key;                   /* output only: the daemon sets it (S38) */

        StorageVolSourceDevice *source_devices;
        size_t nsource_devices;

        /* bytes; *_set tells whether the XML gave the element */
        uint64_t capacity;
        bool capacity_set;
        uint64_t allocation;         /* when absent: equal to capacity (fully allocated), allocation_set false */
        bool allocation_set;
        uint64_t physical;           /* output only */
        bool physical_set;

        struct {
                char *path;                  /* output only (S38), sanitised */
                int format;                  /* StorageFileFormat; RAW by default in file-backed pools */
                StoragePerms perms;
                StorageTimestamp atime, mtime, ctime, btime;   /* output only: not parsed */
                char *compat;                /* "0.10" / "1.1" (qcow2); "1.1" when features are given */
                uint64_t cluster_size;       /* bytes, 0 when absent */
                int nocow;                   /* tristate from <nocow/>: 0 absent, 1 present */
                bool lazy_refcounts;
                bool extended_l2;
                StorageEncryption *encryption;   /* NULL when absent */
        } target;

        struct {
                char *path;                  /* NULL: no backing store */
                int format;                  /* StorageFileFormat; NONE = probe (S43) */
                StoragePerms perms;
        } backing_store;
} StorageVolDef;

/* Parses a whole <volume> document for a pool of pool_type. Errors (VMMD_ERROR; S36, S37, S42):
 *  XML_ERROR: not well formed, root is not <volume>, no <name>, unknown volume type or
 *    format, no <capacity> and no <backingStore> ("missing capacity element"), a malformed
 *    size, a compat that is not N.M, bad permissions;
 *  INVALID_ARG: unknown size unit, a size above 2^63-1 (spec says Overflow; error.h has
 *    no such code yet), unknown flag bits;
 *  CONFIG_UNSUPPORTED: compat/clusterSize/features on a format other than qcow2,
 *    lazy_refcounts/extended_l2 with compat 0.10, an unknown features child;
 *  XML_INVALID_SCHEMA: with VALIDATE, the document breaks storagevol.rng.
 * A '/' in the name is the daemon's OperationInvalid (S37), not a parse error. */
StorageVolDef *storage_vol_def_parse_string(const char *xml, StoragePoolType pool_type,
                                            unsigned flags, GError **error);

/* Formats stably, spec §3.2 order; capacity and allocation always, in bytes. */
char *storage_vol_def_format(const StorageVolDef *def);

/* An empty definition (e.g. for a file found by refresh): type file, format NONE,
 * permissions -1; the caller fills in the rest. */
StorageVolDef *storage_vol_def_new(StoragePoolType pool_type);
StorageVolDef *storage_vol_def_copy(const StorageVolDef *def);
void storage_vol_def_free(StorageVolDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(StorageVolDef, storage_vol_def_free)

/* --- helpers the daemon shares with the parsers --- */

/* A size with libvirt's units (spec §3.2): "b"/"bytes", KB…EB (1000^n), k/KiB … E/EiB
 * (1024^n); NULL or empty unit is bytes. INVALID_ARG for an unknown unit or a result
 * above 2^63-1, XML_ERROR for a value that is not a non-negative integer. */
bool storage_size_parse(const char *value, const char *unit, uint64_t *ret, GError **error);

/* Collapses repeated slashes and drops a trailing one ("/" stays "/"); used for target
 * paths and for StorageVolLookupByPath (S65). */
char *storage_path_sanitize(const char *path);
