/* The wire contract of vmmd-nwfilter (org.vmmd.nwfilter1): bus name, paths, interfaces, flags and event numbers.
 * The daemon, vmmctl, vmmd-qemu's client and the tests include this file. */
#pragma once

#include "error-names.h"

#define NWFILTER_BUS_NAME "org.vmmd.nwfilter1"
#define NWFILTER_MANAGER_PATH "/org/vmmd/nwfilter1"
#define NWFILTER_MANAGER_INTERFACE "org.vmmd.nwfilter1.Manager"
#define NWFILTER_PREFIX "/org/vmmd/nwfilter1/nwfilter"
#define NWFILTER_INTERFACE "org.vmmd.nwfilter1.NWFilter"
#define NWFILTER_BINDING_PREFIX "/org/vmmd/nwfilter1/binding"
#define NWFILTER_BINDING_INTERFACE "org.vmmd.nwfilter1.NWFilterBinding"

/* VIR_NWFILTER_DEFINE_VALIDATE, VIR_NWFILTER_BINDING_CREATE_VALIDATE */
enum { NWFILTER_DEFINE_VALIDATE = 1 };
enum { NWFILTER_BINDING_CREATE_VALIDATE = 1 };

/* NWFilterEvent (spec §1.1) */
enum {
        NWFILTER_EVENT_DEFINED = 0,
        NWFILTER_EVENT_UNDEFINED = 1,
};

/* NWFilterBindingEvent */
enum {
        NWFILTER_BINDING_EVENT_CREATED = 0,
        NWFILTER_BINDING_EVENT_DELETED = 1,
};
