/* End-to-end test helpers: the tiny test guest, its serial console, and the QEMUs a test started. */
#pragma once

#include <stdbool.h>

#include "bus-harness.h"

/* XML of a test guest that boots the tiny kernel under TCG with a file serial console
 * at <tb->dir>/NAME.serial. extra_cmdline: testguest.* options; extra_xml: put before
 * </domain> (lifecycle actions …); devices: extra devices. */
char *e2e_guest_xml(TestBus *tb, const char *name, const char *uuid, const char *extra_cmdline,
                    const char *extra_xml, const char *devices);
char *e2e_serial_file(TestBus *tb, const char *name);

/* Waits (bounded) until the serial file holds at least count lines containing marker. */
bool e2e_wait_serial(TestBus *tb, const char *name, const char *marker, int count, unsigned timeout_ms);
int e2e_serial_count(TestBus *tb, const char *name, const char *marker);
/* Waits for a whole serial line starting with prefix (the guest's UART writes it a byte at a
 * time) and returns the rest of it, trimmed; NULL after timeout_ms. */
char *e2e_wait_serial_line(TestBus *tb, const char *name, const char *prefix, unsigned timeout_ms);

/* Waits (bounded) until the domain's State is (state, reason); reason -1: any. */
bool e2e_wait_state(TestBus *tb, const char *path, int state, int reason, unsigned timeout_ms);

/* Index of the first DomainEvent (event, detail) for path at or after from, or -1. */
int e2e_find_event(TestBus *tb, const char *path, int event, int detail, int from);
/* Waits (bounded) for that event. */
bool e2e_wait_event(TestBus *tb, const char *path, int event, int detail, unsigned timeout_ms);

/* pid of the QEMU running the domain with this uuid, or 0. */
pid_t e2e_qemu_pid(TestBus *tb, const char *uuid);
/* Waits (pidfd, bounded) until pid has exited. */
bool e2e_wait_pid_exit(pid_t pid, unsigned timeout_ms);
/* Kills every QEMU started under this test's root (called on teardown too). */
void e2e_kill_qemus(TestBus *tb);

/* Calls a Domain method with a flags argument (or none when no_flags). */
int e2e_domain_call(TestBus *tb, const char *path, const char *method, bool no_flags, unsigned flags,
                    sd_bus_error *error);

/* The output of a shell command line that must succeed. */
char *e2e_run(const char *cmd);

/* The host side of a guest NIC test, in the test's own network namespace: bridge (made here) up with address
 * SUBNET.1/24 and a DHCP server on it for SUBNET.100-150 (dnsmasq, killed with the test also when it aborts;
 * the caller ends it by the returned pid). subnet: the first three octets, "10.77.0". */
GPid e2e_host_bridge_up(TestBus *tb, const char *bridge, const char *subnet);

/* The tap vmmd-qemu made for the domain's first bridged NIC: the live XML's <target dev='vnet…'>. */
char *e2e_live_tap(TestBus *tb, const char *path);

/* Never the host's network: re-executes the test under `unshare --net` unless env_name is set (which it sets
 * for the new run), so that the test, its bus and every daemon run in a namespace that goes with them. */
void e2e_enter_own_netns(int argc, char **argv, const char *env_name);

/* Defines the test guest NAME (uuid, devices as e2e_guest_xml), starts it and waits (bounded)
 * until it says TESTGUEST READY; returns its path. */
char *e2e_boot_guest(TestBus *tb, const char *name, const char *uuid, const char *devices);

/* Failure injection (common/test-fault.h): a directory for $VMMD_TEST_FAULTS (0755, for daemons of another uid),
 * a bus whose daemons read it (extra_env as e2e_bus_new), arming a point once, whether it is still armed (false
 * once it fired), and the directory's removal. e2e_skip_without_hooks marks the test skipped and says true in a
 * build without -Dtest_hooks. */
char *e2e_faults_dir(void);
TestBus *e2e_bus_with_faults(const char *dir, const char *const *extra_env);
void e2e_fault_arm(const char *dir, const char *point);
bool e2e_fault_armed(const char *dir, const char *point);
void e2e_faults_dir_remove(const char *dir);
bool e2e_skip_without_hooks(void);

/* Starts a test bus for an e2e test; every QEMU under it is killed when the test ends,
 * also when an assertion aborts it or meson's timeout terminates it. */
TestBus *e2e_bus_new(const char *const *extra_env);
void e2e_bus_free(TestBus *tb);
typedef TestBus E2EBus;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(E2EBus, e2e_bus_free)
