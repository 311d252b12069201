/* The wire contract of vmmd-secret (org.vmmd.secret1): bus name, paths, interfaces and libvirt's numbers for
 * usage types, flags and events. The daemon, vmmctl, the other daemons' clients and the tests include this file. */
#pragma once

#include "error-names.h"

#define SECRET_BUS_NAME "org.vmmd.secret1"
#define SECRET_MANAGER_PATH "/org/vmmd/secret1"
#define SECRET_MANAGER_INTERFACE "org.vmmd.secret1.Manager"
/* daemon-to-daemon (spec §1.3): root-only in the bus policy, checked again by the daemon */
#define SECRET_INTERNAL_INTERFACE "org.vmmd.secret1.Internal"
#define SECRET_PREFIX "/org/vmmd/secret1/secret"
#define SECRET_INTERFACE "org.vmmd.secret1.Secret"

/* virSecretUsageType (spec §2) */
enum {
        SECRET_USAGE_TYPE_NONE = 0,
        SECRET_USAGE_TYPE_VOLUME = 1,
        SECRET_USAGE_TYPE_CEPH = 2,
        SECRET_USAGE_TYPE_ISCSI = 3,
        SECRET_USAGE_TYPE_TLS = 4,
        SECRET_USAGE_TYPE_VTPM = 5,
        SECRET_USAGE_TYPE_LAST = 6,
};

/* virConnectListAllSecretsFlags */
enum {
        SECRET_LIST_EPHEMERAL = 1,
        SECRET_LIST_NO_EPHEMERAL = 2,
        SECRET_LIST_PRIVATE = 4,
        SECRET_LIST_NO_PRIVATE = 8,
        SECRET_LIST_ALL_BITS = 15,
};

enum { SECRET_DEFINE_VALIDATE = 1 };

/* virSecretEventLifecycleType */
enum {
        SECRET_EVENT_DEFINED = 0,
        SECRET_EVENT_UNDEFINED = 1,
};

/* SetValue's limit (spec X6) */
#define SECRET_VALUE_MAX 65536
