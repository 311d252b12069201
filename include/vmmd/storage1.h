/* The wire contract of vmmd-storage (org.vmmd.storage1): bus name, paths, interfaces and libvirt's numbers for
 * flags, states and events. The daemon, vmmctl, vmmd-qemu's storage client and the tests include this file. */
#pragma once

#include "error-names.h"

#define STORAGE_BUS_NAME "org.vmmd.storage1"
#define STORAGE_MANAGER_PATH "/org/vmmd/storage1"
#define STORAGE_MANAGER_INTERFACE "org.vmmd.storage1.Manager"
#define STORAGE_POOL_PREFIX "/org/vmmd/storage1/pool"
#define STORAGE_POOL_INTERFACE "org.vmmd.storage1.StoragePool"
/* a volume lives under its pool: <pool path>/volume/<encoded name> */
#define STORAGE_VOL_ELEMENT "volume"
#define STORAGE_VOL_INTERFACE "org.vmmd.storage1.StorageVol"

/* virStoragePoolEventLifecycleType (spec §2.4) */
enum {
        POOL_EVENT_DEFINED = 0,
        POOL_EVENT_UNDEFINED = 1,
        POOL_EVENT_STARTED = 2,
        POOL_EVENT_STOPPED = 3,
        POOL_EVENT_CREATED = 4,
        POOL_EVENT_DELETED = 5,
};

/* GetInfo's state (spec §2.2) */
enum {
        POOL_STATE_INACTIVE = 0,
        POOL_STATE_BUILDING = 1,
        POOL_STATE_RUNNING = 2,
        POOL_STATE_DEGRADED = 3,
        POOL_STATE_INACCESSIBLE = 4,
};

/* flags of spec §2.1 */
enum {
        POOL_BUILD_NEW = 0,
        POOL_BUILD_REPAIR = 1,
        POOL_BUILD_RESIZE = 2,
        POOL_BUILD_NO_OVERWRITE = 4,
        POOL_BUILD_OVERWRITE = 8,
};
enum {
        POOL_CREATE_WITH_BUILD = 1,
        POOL_CREATE_WITH_BUILD_OVERWRITE = 2,
        POOL_CREATE_WITH_BUILD_NO_OVERWRITE = 4,
};
enum { POOL_DELETE_NORMAL = 0, POOL_DELETE_ZEROED = 1 };
enum { POOL_DEFINE_VALIDATE = 1 };
enum { POOL_XML_INACTIVE = 1 };

/* virConnectListAllStoragePoolsFlags: the state pairs, then one bit per pool type */
enum {
        POOL_LIST_INACTIVE = 1,
        POOL_LIST_ACTIVE = 2,
        POOL_LIST_PERSISTENT = 4,
        POOL_LIST_TRANSIENT = 8,
        POOL_LIST_AUTOSTART = 16,
        POOL_LIST_NO_AUTOSTART = 32,
        POOL_LIST_DIR = 64,
        POOL_LIST_FS = 128,
        POOL_LIST_NETFS = 256,
        POOL_LIST_LOGICAL = 512,
        POOL_LIST_DISK = 1024,
        POOL_LIST_ISCSI = 2048,
        POOL_LIST_SCSI = 4096,
        POOL_LIST_MPATH = 8192,
        POOL_LIST_RBD = 16384,
        POOL_LIST_SHEEPDOG = 32768,
        POOL_LIST_GLUSTER = 65536,
        POOL_LIST_ZFS = 131072,
        POOL_LIST_VSTORAGE = 262144,
        POOL_LIST_ISCSI_DIRECT = 524288,
        POOL_LIST_STATE_BITS = 0x3f,
        POOL_LIST_TYPE_BITS = 0xfffc0,
};

enum {
        VOL_CREATE_PREALLOC_METADATA = 1,
        VOL_CREATE_REFLINK = 2,
        VOL_CREATE_VALIDATE = 4,
};
enum {
        VOL_DELETE_NORMAL = 0,
        VOL_DELETE_ZEROED = 1,
        VOL_DELETE_WITH_SNAPSHOTS = 2,
};
enum {
        VOL_RESIZE_ALLOCATE = 1,
        VOL_RESIZE_DELTA = 2,
        VOL_RESIZE_SHRINK = 4,
};
enum { VOL_GET_PHYSICAL = 1 };
enum { VOL_TRANSFER_SPARSE = 1 };   /* Upload and Download */

/* virStorageVolWipeAlgorithm */
enum {
        VOL_WIPE_ZERO = 0,
        VOL_WIPE_NNSA = 1,
        VOL_WIPE_DOD = 2,
        VOL_WIPE_BSI = 3,
        VOL_WIPE_GUTMANN = 4,
        VOL_WIPE_SCHNEIER = 5,
        VOL_WIPE_PFITZNER7 = 6,
        VOL_WIPE_PFITZNER33 = 7,
        VOL_WIPE_RANDOM = 8,
        VOL_WIPE_TRIM = 9,
        VOL_WIPE_LAST = 10,
};
