/* Bus tests for DomainDefineXML, lookups and listing (spec domains.md 0 and A). */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-harness.h"

#define MANAGER "/org/vmmd/qemu1"
#define MANAGER_IFACE "org.vmmd.qemu1.Manager"
#define DOMAIN_IFACE "org.vmmd.qemu1.Domain"
#define UUID1 "c7a5fdbd-cdaf-9455-926a-d65c16db1809"
#define UUID2 "c7a5fdbd-cdaf-9455-926a-d65c16db1802"

/* A16: a new domain: reply path, properties, file, signals in order */
static void test_define_new(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *xml = test_domain_xml("web1", UUID1, NULL);
        g_autofree char *path = test_define(tb, xml, 0, &e);
        g_autofree char *file = test_config_file(tb, "web1");
        g_autofree char *name = NULL, *uuid = NULL;
        int state, reason, added, event;
        struct stat st;

        g_assert_nonnull(path);
        g_assert_cmpstr(path, ==, "/org/vmmd/qemu1/domain/c7a5fdbd_2dcdaf_2d9455_2d926a_2dd65c16db1809");
        name = test_prop_string(tb, path, "Name");
        uuid = test_prop_string(tb, path, "UUID");
        g_assert_cmpstr(name, ==, "web1");
        g_assert_cmpstr(uuid, ==, UUID1);
        test_prop_state(tb, path, &state, &reason);
        g_assert_cmpint(state, ==, 5);
        g_assert_cmpint(reason, ==, 0);
        g_assert_false(test_prop_bool(tb, path, "Active"));
        g_assert_true(test_prop_bool(tb, path, "Persistent"));
        g_assert_false(test_prop_bool(tb, path, "Autostart"));
        g_assert_cmpint(test_prop_int(tb, path, "Id"), ==, -1);

        g_assert_cmpint(stat(file, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 0777, ==, 0600);

        added = test_bus_find_signal(tb, "InterfacesAdded", path, 0);
        event = test_bus_find_signal(tb, "DomainEvent", path, 0);
        g_assert_cmpint(added, >=, 0);
        g_assert_cmpint(event, >, added);
        TestSignal *s = g_ptr_array_index(tb->signals, event);
        g_assert_cmpint(s->event, ==, 0);
        g_assert_cmpint(s->detail, ==, 0);
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/define/new", test_define_new);
        return g_test_run();
}
