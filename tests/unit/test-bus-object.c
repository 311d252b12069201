/* common/bus-object.c without a bus: object paths of objects and of their children, both ways, and the lookup's errors. */
#include <string.h>

#include "bus-object.h"
#include "cleanup.h"
#include "vmmd/error-names.h"

#define PREFIX "/org/vmmd/test1/thing"

static void test_encode_decode(void) {
        g_autofree char *path = vmmd_bus_path_encode(PREFIX, "5f1c2d3e-4a5b");
        g_autofree char *id = NULL;

        g_assert_cmpstr(path, ==, PREFIX "/_35f1c2d3e_2d4a5b");
        id = vmmd_bus_path_decode(path, PREFIX);
        g_assert_cmpstr(id, ==, "5f1c2d3e-4a5b");
}

static void test_decode_refuses(void) {
        static const char *const refused[] = {
                PREFIX, PREFIX "/", "/org/vmmd/test1/other/x", PREFIX "/a/b", PREFIX "/a_2fb",
        };

        for (size_t i = 0; i < G_N_ELEMENTS(refused); i++) {
                g_autofree char *id = vmmd_bus_path_decode(refused[i], PREFIX);
                g_assert_null(id);
        }
}

static void test_child(void) {
        g_autofree char *parent = vmmd_bus_path_encode(PREFIX, "p-1");
        g_autofree char *path = vmmd_bus_path_encode_child(parent, "volume", "disk 1.img");
        g_autofree char *pid = NULL, *cid = NULL;

        g_assert_true(vmmd_bus_path_decode_child(path, PREFIX, "volume", &pid, &cid));
        g_assert_cmpstr(pid, ==, "p-1");
        g_assert_cmpstr(cid, ==, "disk 1.img");
        g_assert_false(vmmd_bus_path_decode_child(parent, PREFIX, "volume", &pid, &cid));
        g_assert_false(vmmd_bus_path_decode_child(path, PREFIX, "snapshot", &pid, &cid));
}

/* the allocation-free encoder writes exactly what sd_bus_path_encode does, for every byte in
 * every position, the empty id, and the uuids the daemons use */
static void test_encode_append_matches_sd_bus(void) {
        g_autoptr(GString) out = g_string_new(NULL);
        static const char *const ids[] = { "", "a", "0", "9abc", "5f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
                                           "Zz09_-. /~", "disk 1.img", "\xc3\xa9t\xc3\xa9", "_2d" };
        char id[3] = { 0 };

        for (size_t i = 0; i < G_N_ELEMENTS(ids) + 2 * 255; i++) {
                const char *e = ids[i % G_N_ELEMENTS(ids)];
                char *want = NULL;

                if (i >= G_N_ELEMENTS(ids)) {
                        /* each byte first, then after a letter */
                        size_t b = (i - G_N_ELEMENTS(ids)) % 255 + 1;
                        bool second = i - G_N_ELEMENTS(ids) >= 255;
                        id[0] = second ? 'x' : (char) b;
                        id[1] = second ? (char) b : 0;
                        e = id;
                }
                g_assert_cmpint(sd_bus_path_encode(PREFIX, e, &want), >=, 0);
                g_string_truncate(out, 0);
                vmmd_bus_path_encode_append(out, PREFIX, e);
                g_assert_cmpstr(out->str, ==, want);
                free(want);
        }
}

static void *find(void *userdata, const char *id) {
        return g_str_equal(id, "known") ? userdata : NULL;
}

/* the not-found error is the daemon's own, naming the id (or the path when it is not one) */
static void test_find_object(void) {
        g_autofree char *known = vmmd_bus_path_encode(PREFIX, "known");
        g_autofree char *unknown = vmmd_bus_path_encode(PREFIX, "other");
        int marker = 0;

        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_true(vmmd_bus_find_object(known, PREFIX, find, &marker, VMMD_ERROR_NO_DOMAIN, "no thing '%s'",
                                                   &e) == &marker);
                g_assert_false(sd_bus_error_is_set(&e));
        }
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_null(vmmd_bus_find_object(unknown, PREFIX, find, &marker, VMMD_ERROR_NO_STORAGE_POOL,
                                                   "no thing '%s'", &e));
                g_assert_cmpstr(e.name, ==, VMMD_DBUS_ERROR_NO_STORAGE_POOL);
                g_assert_cmpstr(e.message, ==, "no thing 'other'");
        }
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_null(vmmd_bus_find_object("/elsewhere", PREFIX, find, &marker, VMMD_ERROR_NO_DOMAIN,
                                                   "no thing '%s'", &e));
                g_assert_cmpstr(e.name, ==, VMMD_DBUS_ERROR_NO_DOMAIN);
                g_assert_cmpstr(e.message, ==, "no thing '/elsewhere'");
        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/bus-object/encode-decode", test_encode_decode);
        g_test_add_func("/bus-object/decode-refuses", test_decode_refuses);
        g_test_add_func("/bus-object/child", test_child);
        g_test_add_func("/bus-object/encode-append-matches-sd-bus", test_encode_append_matches_sd_bus);
        g_test_add_func("/bus-object/find-object", test_find_object);
        return g_test_run();
}
