/* Torture: 50 clients at once, each with its own connection, making mixed calls to both daemons
 * (lookups, listings, XML, defines and undefines of its own objects): no call may fail and the
 * daemons' memory must stay flat (issue 10).
 *
 * VMMD_TORTURE_CALLS: calls per client (default 20, the CI budget; a full run is 1000). */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-harness.h"

#define QEMU QEMU_BUS_NAME
#define STORAGE STORAGE_BUS_NAME
#define CLIENTS 50

static unsigned env_uint(const char *name, unsigned dflt) {
        const char *v = g_getenv(name);
        return v && *v ? (unsigned) g_ascii_strtoull(v, NULL, 10) : dflt;
}

static long rss_kib(pid_t pid) {
        g_autofree char *file = g_strdup_printf("/proc/%d/status", (int) pid);
        g_autofree char *data = test_read_file(file);
        const char *p = data ? strstr(data, "VmRSS:") : NULL;

        return p ? strtol(p + strlen("VmRSS:"), NULL, 10) : -1;
}

/* One client's calls; returns the number that failed. Runs in a child process. */
static unsigned client(const char *address, unsigned id, unsigned calls) {
        sd_bus *bus = NULL;
        g_autofree char *name = g_strdup_printf("load%u", id);
        g_autofree char *uuid = g_strdup_printf("3c0d0000-0000-4000-8000-%012u", id);
        g_autofree char *xml = test_domain_xml(name, uuid, NULL);
        g_autofree char *pool_xml = g_strdup_printf("<pool type='dir'><name>lp%u</name><target><path>/nonexistent/lp%u"
                                                    "</path></target></pool>", id, id);
        g_autofree char *pool_name = g_strdup_printf("lp%u", id);
        unsigned failed = 0;

        if (sd_bus_new(&bus) < 0 || sd_bus_set_address(bus, address) < 0 || sd_bus_set_bus_client(bus, 1) < 0 ||
            sd_bus_start(bus) < 0)
                return calls;
        for (unsigned i = 0; i < calls; i++) {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autoptr(sd_bus_message) reply = NULL;
                const char *path = NULL;
                int r = 0;

                switch (i % 8) {
                case 0:
                        r = sd_bus_call_method(bus, QEMU, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE,
                                               "DomainDefineXML", &e, &reply, "su", xml, 0);
                        break;
                case 1:
                        r = sd_bus_call_method(bus, QEMU, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE, "ListDomains",
                                               &e, &reply, "u", 0);
                        break;
                case 2:
                case 3:
                        r = sd_bus_call_method(bus, QEMU, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE,
                                               "DomainLookupByName", &e, &reply, "s", name);
                        if (r >= 0 && sd_bus_message_read(reply, "o", &path) >= 0) {
                                g_autoptr(sd_bus_message) x = NULL;
                                g_autofree char *p = g_strdup(path);
                                r = sd_bus_call_method(bus, QEMU, p, QEMU_DOMAIN_INTERFACE,
                                                       i % 8 == 2 ? "GetXMLDesc" : "Undefine", &e, &x, "u", 0);
                        }
                        break;
                case 4:
                        r = sd_bus_call_method(bus, STORAGE, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE,
                                               "StoragePoolDefineXML", &e, &reply, "su", pool_xml, 0);
                        break;
                case 5:
                        r = sd_bus_call_method(bus, STORAGE, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE,
                                               "ListStoragePools", &e, &reply, "u", 0);
                        break;
                case 6:
                        r = sd_bus_call_method(bus, STORAGE, STORAGE_MANAGER_PATH, STORAGE_MANAGER_INTERFACE,
                                               "StoragePoolLookupByName", &e, &reply, "s", pool_name);
                        if (r >= 0 && sd_bus_message_read(reply, "o", &path) >= 0) {
                                g_autoptr(sd_bus_message) x = NULL;
                                g_autofree char *p = g_strdup(path);
                                r = sd_bus_call_method(bus, STORAGE, p, STORAGE_POOL_INTERFACE,
                                                       "Undefine", &e, &x, "");
                        }
                        break;
                case 7:
                        r = sd_bus_call_method(bus, QEMU, QEMU_MANAGER_PATH, QEMU_MANAGER_INTERFACE,
                                               "GetCapabilities", &e, &reply, "");
                        break;
                }
                if (r < 0) {
                        failed++;
                        fprintf(stderr, "client %u call %u: %s: %s\n", id, i, e.name, e.message);
                }
        }
        sd_bus_flush_close_unref(bus);
        return failed;
}

static unsigned run_clients(TestBus *tb, unsigned calls) {
        pid_t pids[CLIENTS];
        unsigned failed = 0;

        for (unsigned c = 0; c < CLIENTS; c++) {
                pids[c] = fork();
                g_assert_cmpint(pids[c], >=, 0);
                if (pids[c] == 0)
                        _exit((int) MIN(client(tb->address, c, calls), 255u));
        }
        for (unsigned c = 0; c < CLIENTS; c++) {
                int status = 0;
                g_assert_cmpint(waitpid(pids[c], &status, 0), ==, pids[c]);
                failed += WIFEXITED(status) ? (unsigned) WEXITSTATUS(status) : calls;
        }
        return failed;
}

static void test_load(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        unsigned calls = env_uint("VMMD_TORTURE_CALLS", 20);
        pid_t qemu, storage;
        long q0, s0, q1, s1;
        unsigned failed;

        /* a first round brings both daemons up and their caches warm */
        g_assert_cmpuint(run_clients(tb, 8), ==, 0);
        qemu = test_bus_name_pid(tb, QEMU);
        storage = test_bus_name_pid(tb, STORAGE);
        q0 = rss_kib(qemu);
        s0 = rss_kib(storage);
        failed = run_clients(tb, calls);
        q1 = rss_kib(qemu);
        s1 = rss_kib(storage);
        printf("# torture-load: %u clients x %u calls, %u failed; RSS vmmd-qemu %ld -> %ld KiB, vmmd-storage %ld -> %ld "
               "KiB\n", CLIENTS, calls, failed, q0, q1, s0, s1);
        g_assert_cmpuint(failed, ==, 0);
        /* the same daemons served everything, and what they hold does not grow with the calls */
        g_assert_cmpint(test_bus_name_pid(tb, QEMU), ==, qemu);
        g_assert_cmpint(test_bus_name_pid(tb, STORAGE), ==, storage);
#ifndef __SANITIZE_ADDRESS__
        /* (AddressSanitizer's quarantine holds freed memory: no bound there) */
        g_assert_cmpint(q1, <=, q0 + 4096 + q0 / 4);
        g_assert_cmpint(s1, <=, s0 + 4096 + s0 / 4);
#endif
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/torture/load", test_load);
        return g_test_run();
}
