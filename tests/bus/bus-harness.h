/* Test harness: a private dbus-daemon that activates the build's daemons, a client connection, and signal capture. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "cleanup.h"
#include "vmmd/qemu1.h"
#include "vmmd/storage1.h"

typedef struct TestSignal {
        char *path;
        char *interface;
        char *member;
        char *object;     /* first 'o' argument (DomainEvent, StoragePoolEvent, SecretEvent, SecretValueChanged,
                           * InterfacesAdded/Removed) */
        int event, detail;
        char **changed;   /* PropertiesChanged: names of changed + invalidated properties */
} TestSignal;

typedef struct TestBus {
        char *dir;          /* temp dir: bus socket, config, relocated root */
        char *root;         /* $VMMD_ROOT of the activated daemons */
        char *address;
        GPid daemon_pid;    /* the dbus-daemon */
        sd_bus *bus;        /* client connection (root) */
        GPtrArray *signals; /* TestSignal*, in arrival order */
        GPtrArray *immutable; /* paths made immutable by test_set_immutable, undone at free/abort */
} TestBus;

/* Starts dbus-daemon with the build's activation files; extra_env: NULL-terminated
 * "K=V" strings added to the bus's (and so the daemons') environment. */
TestBus *test_bus_new(const char *const *extra_env);
/* The same with the bus and its daemons running as uid (not root), which owns the test directory */
TestBus *test_bus_new_as(const char *const *extra_env, uid_t uid);
void test_bus_free(TestBus *tb);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestBus, test_bus_free)

/* Dispatches everything already received (signals sent before a reply arrive before it). */
void test_bus_drain(TestBus *tb);
void test_bus_clear_signals(TestBus *tb);
/* Waits (bounded) until a signal with this member arrives; returns it or NULL. */
TestSignal *test_bus_wait_signal(TestBus *tb, const char *member, unsigned timeout_ms);
/* Index of the first captured signal matching member (and object, if non-NULL), or -1. */
int test_bus_find_signal(TestBus *tb, const char *member, const char *object, int from);

/* pid of the process owning name, or 0 */
pid_t test_bus_name_pid(TestBus *tb, const char *name);
/* SIGKILLs the daemon owning name and waits until the name is gone. */
void test_bus_kill_name(TestBus *tb, const char *name);

/* Convenience calls on org.vmmd.qemu1; the error (if any) is left in *error. */
int test_call(TestBus *tb, const char *path, const char *iface, const char *member,
              sd_bus_error *error, sd_bus_message **ret_reply, const char *types, ...);
/* The same for any destination (another daemon's bus name). */
int test_call_to(TestBus *tb, const char *dest, const char *path, const char *iface, const char *member,
                 sd_bus_error *error, sd_bus_message **ret_reply, const char *types, ...);
char *test_define(TestBus *tb, const char *xml, unsigned flags, sd_bus_error *error);
char *test_get_xml(TestBus *tb, const char *path, unsigned flags);
char *test_prop_string(TestBus *tb, const char *path, const char *prop);
int test_prop_int(TestBus *tb, const char *path, const char *prop);
bool test_prop_bool(TestBus *tb, const char *path, const char *prop);
void test_prop_state(TestBus *tb, const char *path, int *state, int *reason);
char **test_list_domains(TestBus *tb, unsigned flags);

/* Runs a command (argv) with the bus address in the environment as
 * DBUS_SESSION_BUS_ADDRESS; optionally as uid 65534 (a read-only caller). Returns the
 * exit status; stdout/stderr returned when asked. */
int test_run(TestBus *tb, bool as_nobody, char **ret_out, char **ret_err, const char *const *argv);

/* Asserts an sd_bus_error's name and that its message contains every substring given. */
#define assert_bus_error(e, name, ...) test_assert_bus_error(__FILE__, __LINE__, (e), (name), ##__VA_ARGS__, NULL)
void test_assert_bus_error(const char *file, int line, const sd_bus_error *e, const char *name, ...);

/* A small valid domain XML: name, optional uuid (NULL: none), and extra XML inside <devices>. */
char *test_domain_xml(const char *name, const char *uuid, const char *devices);

/* Files under the relocated root. */
char *test_config_file(TestBus *tb, const char *name);

/* --- more helpers --- */

/* <root>/rel */
char *test_root_file(TestBus *tb, const char *rel);
/* Whole file, or NULL when it cannot be read. */
char *test_read_file(const char *path);
/* Writes a file (creating parent directories). */
void test_write_file(const char *path, const char *content);
/* Asserts dir holds no atomic-write leftovers (".#*"). */
void test_assert_no_temp_files(const char *dir);
/* The i-th captured signal. */
TestSignal *test_signal(TestBus *tb, int i);
/* Asserts no captured signal concerns object (DomainEvent/InterfacesAdded/InterfacesRemoved/PropertiesChanged). */
void test_assert_no_signal_for(TestBus *tb, const char *object);

bool test_bus_name_has_owner(TestBus *tb, const char *name);
/* Waits (bounded) until process pid has exited; true when it has. */
bool test_wait_pid_exit(pid_t pid, unsigned timeout_ms);
/* A stand-in for program on a daemon's PATH (path_env, a "PATH=…" for test_bus_new) that waits at a gate before
 * it runs the real one, so that a test can look at a daemon while the program is slow. */
typedef struct TestGate {
        char *dir, *script, *fifo, *open_file, *pid_file;
        char *path_env;
} TestGate;

TestGate *test_gate_new(const char *program);
/* Waits (bounded) until a run of the program is held at the gate: its pid, or 0. */
pid_t test_gate_wait_held(TestGate *g, unsigned timeout_ms);
/* Lets the held run and every later one through. */
void test_gate_open(TestGate *g);
void test_gate_free(TestGate *g);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestGate, test_gate_free)

/* An sd_bus reply callback for an asynchronous call whose userdata is an sd_bus_error: the reply's error, or the
 * name "ok" for a method return. */
int test_reply_to_error(sd_bus_message *m, void *userdata, sd_bus_error *unused);
/* Processes the test's bus until reply (filled by test_reply_to_error) is set or timeout_ms passed; true when set. */
bool test_wait_reply(TestBus *tb, sd_bus_error *reply, unsigned timeout_ms);

/* Waits (bounded) until nobody owns name; true when it is gone. */
bool test_bus_wait_name_gone(TestBus *tb, const char *name, unsigned timeout_ms);

/* chattr +i / -i (FS_IOC_SETFLAGS). Paths made immutable are made mutable again by
 * test_bus_free and, if the test aborts, by the abort handler. */
void test_set_immutable(TestBus *tb, const char *path, bool on);

/* Sets the Autostart property; returns the sd-bus result. */
int test_set_autostart(TestBus *tb, const char *path, bool value, sd_bus_error *error);
/* DomainLookupByName / ByUUID: the path, or NULL with *error set. */
char *test_lookup(TestBus *tb, const char *member, const char *arg, sd_bus_error *error);
/* Name of the canonical machine type GetCapabilities gives for alias (e.g. "pc"), or NULL. */
char *test_canonical_machine(TestBus *tb, const char *alias);

/* The same call as test_call, but from a fresh connection as uid/gid 65534 (a read-only
 * caller); forks. The reply is not returned, only success or the error. */
int test_call_nobody(TestBus *tb, const char *path, const char *iface, const char *member,
                     sd_bus_error *error, const char *types, ...);
int test_call_nobody_to(TestBus *tb, const char *dest, const char *path, const char *iface, const char *member,
                        sd_bus_error *error, const char *types, ...);
/* The same as a caller with this uid and gid and, unless extra_gid is (gid_t) -1, that
 * one supplementary group (the admin-group path of the privilege check). */
int test_call_as(TestBus *tb, uid_t uid, gid_t gid, gid_t extra_gid, const char *path, const char *iface,
                 const char *member, sd_bus_error *error, const char *types, ...);
/* A listing of everything under dir (recursive, sorted): names, symlink targets, file
 * contents; "" when dir does not exist. Equal listings mean nothing changed. */
char *test_dir_snapshot(const char *dir);
/* Asserts no DomainEvent, InterfacesAdded/Removed or PropertiesChanged was captured. */
void test_assert_no_domain_signals(TestBus *tb);
