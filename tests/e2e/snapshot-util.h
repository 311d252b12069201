/* Helpers the snapshot e2e programs (test-snapshot-tree, test-snapshot-errors) share: a domain with qcow2
 * disks, snapshot calls, lists and the metadata directory, and the flag values of spec domains.md D. */
#pragma once

#include "e2e-util.h"

#define MANAGER QEMU_MANAGER_PATH
#define MANAGER_IFACE QEMU_MANAGER_INTERFACE
#define DOMAIN_IFACE QEMU_DOMAIN_INTERFACE
#define SNAP_IFACE QEMU_SNAPSHOT_INTERFACE
#define BOOT_MS 60000

#define UUID_T1 "5a1e7c00-0b1d-4e2a-9c3f-7d0000000001"
#define UUID_T2 "5a1e7c00-0b1d-4e2a-9c3f-7d0000000002"
#define UUID_K1 "5a1e7c00-0b1d-4e2a-9c3f-7d0000000003"
#define UUID_C1 "5a1e7c00-0b1d-4e2a-9c3f-7d0000000004"
#define UUID_U1 "5a1e7c00-0b1d-4e2a-9c3f-7d0000000005"
#define UUID_E1 "5a1e7c00-0b1d-4e2a-9c3f-7d0000000006"
#define UUID_E2 "5a1e7c00-0b1d-4e2a-9c3f-7d0000000007"
#define UUID_E3 "5a1e7c00-0b1d-4e2a-9c3f-7d0000000008"
#define UUID_TR "5a1e7c00-0b1d-4e2a-9c3f-7d0000000009"
#define UUID_E4 "5a1e7c00-0b1d-4e2a-9c3f-7d000000000a"
#define UUID_OTHER "5a1e7c00-0b1d-4e2a-9c3f-7d00000000ff"

/* snapshot create flags */
#define C_REDEFINE 1u
#define C_CURRENT 2u
#define C_NO_METADATA 4u
#define C_HALT 8u
#define C_DISK_ONLY 16u
#define C_REUSE_EXT 32u
#define C_QUIESCE 64u
#define C_LIVE 256u
#define C_VALIDATE 512u
/* list flags */
#define L_ROOTS 1u   /* DESCENDANTS for ListChildren */
#define L_METADATA 2u
#define L_LEAVES 4u
#define L_NO_LEAVES 8u
#define L_NO_METADATA 16u
#define L_INACTIVE 32u
#define L_ACTIVE 64u
#define L_DISK_ONLY 128u
#define L_INTERNAL 256u
#define L_EXTERNAL 512u
#define L_TOPOLOGICAL 1024u
/* delete flags */
#define D_CHILDREN 1u
#define D_METADATA_ONLY 2u
#define D_CHILDREN_ONLY 4u
/* revert flags */
#define R_RUNNING 1u
#define R_PAUSED 2u
#define R_FORCE 4u

char *make_qcow2(TestBus *tb, const char *name);
char *disk_xml(const char *path, const char *format, const char *dev);
char *define(TestBus *tb, const char *name, const char *uuid, const char *cmdline, const char *devices);
char *snap_create(TestBus *tb, const char *domain, const char *xml, unsigned flags, sd_bus_error *e);
/* creates a snapshot that must succeed */
char *snap_ok(TestBus *tb, const char *domain, const char *xml, unsigned flags);
char *named(const char *name);
/* a REDEFINE document; extra goes inside the root */
char *redef_xml(const char *name, const char *state, const char *parent, const char *extra);
/* the tags in `qemu-img snapshot -l` output */
bool img_has_snap(TestBus *tb, const char *disk, const char *snap);
bool snap_bool(TestBus *tb, const char *path, const char *prop);
char **list_call(TestBus *tb, const char *path, const char *iface, const char *method, unsigned flags);
char **list_snaps(TestBus *tb, const char *domain, unsigned flags);
int strv_index(char **v, const char *s);
/* asserts got holds exactly the paths given (any order), NULL-terminated */
#define assert_paths(got, ...) assert_paths_impl(__LINE__, #got, (got), ##__VA_ARGS__, NULL)
void assert_paths_impl(int line, const char *what, char **got, ...);
char *snap_xml(TestBus *tb, const char *snap, unsigned flags);
int snap_call(TestBus *tb, const char *snap, const char *method, unsigned flags, sd_bus_error *e);
void snap_call_ok(TestBus *tb, const char *snap, const char *method, unsigned flags);
char *meta_dir(TestBus *tb, const char *domain);

typedef struct SnapshotCase {
        const char *path;
        void (*fn)(void);
} SnapshotCase;

/* Registers and runs cases, each in its own process, so that one failing test does not hide the results
 * of the others; the parent only reports. Every wait inside is bounded. */
int snapshot_tests_run(int argc, char *argv[], const SnapshotCase *cases, size_t n);
