/* Bus tests for lookups, listing, flags, read-only callers, GetXMLDesc, GetState, Autostart
 * (spec domains.md 0.3, 0.4, 0.6, 0.9–0.13, A33–A35). */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-harness.h"

#define MANAGER QEMU_MANAGER_PATH
#define MANAGER_IFACE QEMU_MANAGER_INTERFACE
#define DOMAIN_IFACE QEMU_DOMAIN_INTERFACE
#define PROPS_IFACE "org.freedesktop.DBus.Properties"
#define UUID1 "c7a5fdbd-cdaf-9455-926a-d65c16db1809"
#define UUID2 "c7a5fdbd-cdaf-9455-926a-d65c16db1802"
#define UUID3 "c7a5fdbd-cdaf-9455-926a-d65c16db1803"
#define UUID4 "c7a5fdbd-cdaf-9455-926a-d65c16db1804"
#define UNKNOWN_UUID "0f0e0d0c-0b0a-4908-8706-050403020100"
#define UNKNOWN_PATH "/org/vmmd/qemu1/domain/0f0e0d0c_2d0b0a_2d4908_2d8706_2d050403020100"

static char *define_ok(TestBus *tb, const char *name, const char *uuid, const char *devices) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *xml = test_domain_xml(name, uuid, devices);
        char *path = test_define(tb, xml, 0, &e);

        if (!path)
                g_error("define %s: %s: %s", name, e.name, e.message);
        return path;
}

/* 0.3: calls and property reads on an unknown domain path → NoDomain naming the uuid */
static void test_unknown_path(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *known = define_ok(tb, "k", UUID1, NULL);
        static const char *const props[] = { "Name", "UUID", "Id", "State", "Active", "Persistent", "Autostart",
                                             "Updated", "HasManagedSaveImage", "HasCurrentSnapshot" };
        struct {
                const char *member, *types;
        } calls[] = {
                { "GetXMLDesc", "u" }, { "GetState", "u" }, { "Undefine", "u" }, { "Create", "u" },
                { "Destroy", "u" },    { "Suspend", "" },   { "Resume", "" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(calls); i++) {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                int r = *calls[i].types ? test_call(tb, UNKNOWN_PATH, DOMAIN_IFACE, calls[i].member, &e, NULL, "u", 0)
                                        : test_call(tb, UNKNOWN_PATH, DOMAIN_IFACE, calls[i].member, &e, NULL, NULL);
                g_assert_cmpint(r, <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN, UNKNOWN_UUID);
        }
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(test_call(tb, UNKNOWN_PATH, DOMAIN_IFACE, "Rename", &e, NULL, "su", "x", 0), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN, UNKNOWN_UUID);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(props); i++) {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(test_call(tb, UNKNOWN_PATH, PROPS_IFACE, "Get", &e, NULL, "ss", DOMAIN_IFACE, props[i]),
                                <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN, UNKNOWN_UUID);
        }
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(test_call(tb, UNKNOWN_PATH, PROPS_IFACE, "GetAll", &e, NULL, "s", DOMAIN_IFACE), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN, UNKNOWN_UUID);
        }
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(test_set_autostart(tb, UNKNOWN_PATH, true, &e), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN, UNKNOWN_UUID);
        }
        /* 0.4: flag errors come before the lookup */
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(test_call(tb, UNKNOWN_PATH, DOMAIN_IFACE, "GetXMLDesc", &e, NULL, "u", 0x10), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "0x10");
        }
        /* and a read-only caller is denied before either */
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(test_call_nobody(tb, UNKNOWN_PATH, DOMAIN_IFACE, "Undefine", &e, "u", 0x1000), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED, "Undefine");
        }
        /* the known domain is untouched */
        g_assert_cmpint(test_prop_int(tb, known, "Id"), ==, -1);
}

/* 0.6: bits outside a method's set → InvalidArg naming the method and the bits in hex */
static void test_flags(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "f", UUID1, NULL);
        g_autofree char *file = test_config_file(tb, "f");
        g_autofree char *before = test_read_file(file);
        struct {
                const char *member;
                uint32_t flags;
                const char *hex;
        } cases[] = {
                { "GetXMLDesc", 0x10, "0x10" },   { "GetXMLDesc", 0x80000000, "0x80000000" },
                { "GetState", 0x1, "0x1" },       { "Undefine", 0x80, "0x80" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, cases[i].member, &e, NULL, "u", cases[i].flags), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, cases[i].member, cases[i].hex);
        }
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "Rename", &e, NULL, "su", "g", 0x2), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "Rename", "0x2");
        }
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "ListDomains", &e, NULL, "u", 0x10000), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "ListDomains", "0x10000");
        }
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *xml = test_domain_xml("f", UUID1, NULL);
                g_assert_null(test_define(tb, xml, 0x6, &e));
                assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "DomainDefineXML", "0x6");
        }
        /* nothing changed */
        {
                g_autofree char *after = test_read_file(file);
                g_autofree char *name = test_prop_string(tb, path, "Name");
                g_assert_cmpstr(before, ==, after);
                g_assert_cmpstr(name, ==, "f");
        }
}

/* 0.11: empty required strings */
static void test_empty_args(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "e", UUID1, NULL);
        g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL, e3 = SD_BUS_ERROR_NULL;
        g_autofree char *p = NULL, *name = NULL;

        g_assert_null(test_define(tb, "", 0, &e1));
        assert_bus_error(&e1, VMMD_DBUS_ERROR_INVALID_ARG);
        p = test_lookup(tb, "DomainLookupByName", "", &e2);
        g_assert_null(p);
        assert_bus_error(&e2, VMMD_DBUS_ERROR_INVALID_ARG);
        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "Rename", &e3, NULL, "su", "", 0), <, 0);
        assert_bus_error(&e3, VMMD_DBUS_ERROR_INVALID_ARG);
        name = test_prop_string(tb, path, "Name");
        g_assert_cmpstr(name, ==, "e");
}

/* 0.12: lookups */
static void test_lookups(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p1 = define_ok(tb, "look", UUID1, NULL);
        g_autofree char *p2 = define_ok(tb, "Look", UUID2, NULL);
        static const char *const good[] = {
                UUID1,
                "C7A5FDBD-CDAF-9455-926A-D65C16DB1809",
                "c7a5fdbdcdaf9455926ad65c16db1809",
                "C7A5FDBDCDAF9455926AD65C16DB1809",
                "c7A5fdBd-CDaf-9455-926a-D65c16dB1809",
        };
        static const char *const malformed[] = {
                "c7a5fdbd-cdaf-9455-926a-d65c16db180",    /* short */
                "c7a5fdbd-cdaf-9455-926a-d65c16db18099",  /* long */
                "g7a5fdbd-cdaf-9455-926a-d65c16db1809",   /* not hex */
                "look",
                "",
        };

        for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *p = test_lookup(tb, "DomainLookupByUUID", good[i], &e);
                if (!p)
                        g_error("DomainLookupByUUID(%s): %s: %s", good[i], e.name, e.message);
                g_assert_cmpstr(p, ==, p1);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(malformed); i++) {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *p = test_lookup(tb, "DomainLookupByUUID", malformed[i], &e);
                g_assert_null(p);
                assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG);
        }
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *p = test_lookup(tb, "DomainLookupByUUID", UNKNOWN_UUID, &e);
                g_assert_null(p);
                assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN, UNKNOWN_UUID);
        }
        {
                /* names are case-sensitive */
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *a = test_lookup(tb, "DomainLookupByName", "look", &e);
                g_autofree char *b = test_lookup(tb, "DomainLookupByName", "Look", &e);
                g_autofree char *c = test_lookup(tb, "DomainLookupByName", "LOOK", &e);
                g_assert_cmpstr(a, ==, p1);
                g_assert_cmpstr(b, ==, p2);
                g_assert_null(c);
                assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN, "LOOK");
        }
        /* ByID: an inactive domain has no id; unknown ids → NoDomain */
        for (int32_t id = -1; id <= 3; id++) {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(test_call(tb, MANAGER, MANAGER_IFACE, "DomainLookupByID", &e, NULL, "i", id), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_NO_DOMAIN);
        }
}

static bool strv_equal_sorted(char **got, const char *const *want) {
        guint n = g_strv_length(got);
        guint m = 0;
        while (want[m])
                m++;
        if (n != m)
                return false;
        for (guint i = 0; i < n; i++)
                if (!g_str_equal(got[i], want[i]))
                        return false;
        return true;
}

/* 0.13: ListDomains filter groups */
static void test_list_filters(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        /* a: autostart, b: managed save image, c: snapshot metadata, d: nothing */
        g_autofree char *a = define_ok(tb, "a", UUID1, NULL);
        g_autofree char *b = define_ok(tb, "b", UUID2, NULL);
        g_autofree char *c = define_ok(tb, "c", UUID3, NULL);
        g_autofree char *d = define_ok(tb, "d", UUID4, NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *const all[] = { a, b, c, d, NULL };
        const char *const none[] = { NULL };
        const char *const only_a[] = { a, NULL }, *const only_b[] = { b, NULL }, *const only_c[] = { c, NULL };
        const char *const not_a[] = { b, c, d, NULL }, *const not_b[] = { a, c, d, NULL }, *const not_c[] = { a, b, d, NULL };
        struct {
                uint32_t flags;
                const char *const *want;
        } cases[] = {
                { 0, all },
                { 1, none },                      /* ACTIVE */
                { 2, all },                       /* INACTIVE */
                { 1 | 2, all },
                { 4, all },                       /* PERSISTENT */
                { 8, none },                      /* TRANSIENT */
                { 4 | 8, all },
                { 16, none },                     /* RUNNING */
                { 32, none },                     /* PAUSED */
                { 64, all },                      /* SHUTOFF */
                { 128, none },                    /* OTHER */
                { 16 | 32, none },
                { 16 | 64, all },
                { 16 | 32 | 64 | 128, all },
                { 256, only_b },                  /* MANAGEDSAVE */
                { 512, not_b },                   /* NO_MANAGEDSAVE */
                { 256 | 512, all },
                { 1024, only_a },                 /* AUTOSTART */
                { 2048, not_a },                  /* NO_AUTOSTART */
                { 1024 | 2048, all },
                { 4096, only_c },                 /* HAS_SNAPSHOT */
                { 8192, not_c },                  /* NO_SNAPSHOT */
                { 4096 | 8192, all },
                { 16384, none },                  /* HAS_CHECKPOINT */
                { 32768, all },                   /* NO_CHECKPOINT */
                { 16384 | 32768, all },
                /* groups are ANDed */
                { 2 | 1024, only_a },
                { 1 | 1024, none },
                { 256 | 1024, none },
                { 512 | 2048 | 8192, (const char *const[]) { d, NULL } },
                { 64 | 4 | 4096 | 512, only_c },
                { 0xffff, all },
        };

        g_assert_cmpint(test_set_autostart(tb, a, true, &e), >=, 0);
        {
                g_autofree char *save = test_root_file(tb, "var/lib/vmmd/qemu/save/b.save");
                g_autofree char *snap = test_root_file(tb, "var/lib/vmmd/qemu/snapshot/c/s1.xml");
                test_write_file(save, "save image placeholder");
                test_write_file(snap, "<domainsnapshot><name>s1</name></domainsnapshot>\n");
        }
        g_assert_true(test_prop_bool(tb, b, "HasManagedSaveImage"));
        g_assert_false(test_prop_bool(tb, a, "HasManagedSaveImage"));

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_auto(GStrv) got = test_list_domains(tb, cases[i].flags);
                if (!strv_equal_sorted(got, cases[i].want)) {
                        g_autofree char *g = g_strjoinv(" ", got);
                        g_autofree char *w = g_strjoinv(" ", (char **) cases[i].want);
                        g_error("ListDomains(0x%x) = [%s], want [%s]", cases[i].flags, g, w);
                }
        }

        /* the same through busctl */
        {
                g_autofree char *out = NULL, *err = NULL, *expect = NULL;
                int r = test_run(tb, false, &out, &err,
                                 (const char *const[]) { "busctl", "--user", "call", QEMU_BUS_NAME, MANAGER,
                                                         MANAGER_IFACE, "ListDomains", "u", "0", NULL });
                g_assert_cmpint(r, ==, 0);
                expect = g_strdup_printf("ao 4 \"%s\" \"%s\" \"%s\" \"%s\"\n", a, b, c, d);
                g_assert_cmpstr(out, ==, expect);
        }
        /* and as a read-only caller */
        {
                g_autofree char *out = NULL, *err = NULL, *expect = NULL;
                int r = test_run(tb, true, &out, &err,
                                 (const char *const[]) { "busctl", "--user", "call", QEMU_BUS_NAME, MANAGER,
                                                         MANAGER_IFACE, "ListDomains", "u", "1024", NULL });
                g_assert_cmpint(r, ==, 0);
                expect = g_strdup_printf("ao 1 \"%s\"\n", a);
                g_assert_cmpstr(out, ==, expect);
        }
}

#define SECRET_DEVICES "    <graphics type='vnc' port='5901' passwd='s3cr&amp;t'/>\n"

/* A33: GetXMLDesc flags */
static void test_get_xml_desc(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "x", UUID1, SECRET_DEVICES);
        g_autofree char *plain = test_get_xml(tb, path, 0);
        g_autofree char *secure = test_get_xml(tb, path, 1);
        g_autofree char *inactive = test_get_xml(tb, path, 2);
        g_autofree char *secure_inactive = test_get_xml(tb, path, 3);
        g_autofree char *update_cpu = test_get_xml(tb, path, 4);
        g_autofree char *migratable = test_get_xml(tb, path, 8);
        g_autofree char *all = test_get_xml(tb, path, 15);
        g_autofree char *file = test_read_file(test_config_file(tb, "x"));

        g_assert_true(g_str_has_prefix(plain, "<domain type='qemu'>"));   /* no id='' while inactive */
        g_assert_null(strstr(plain, "passwd"));
        g_assert_null(strstr(inactive, "passwd"));
        g_assert_null(strstr(update_cpu, "passwd"));
        g_assert_null(strstr(migratable, "passwd"));
        g_assert_nonnull(strstr(secure, "passwd='s3cr&amp;t'"));
        g_assert_nonnull(strstr(secure_inactive, "passwd='s3cr&amp;t'"));
        g_assert_nonnull(strstr(all, "passwd='s3cr&amp;t'"));
        /* an inactive domain: INACTIVE shows the same (persistent) definition */
        g_assert_cmpstr(plain, ==, inactive);
        g_assert_cmpstr(secure, ==, secure_inactive);
        /* A20: the file holds the secure inactive XML */
        g_assert_nonnull(strstr(file, "passwd='s3cr&amp;t'"));
        g_assert_true(g_str_has_suffix(file, secure_inactive));
        for (const char *x = plain; x; x = NULL)
                g_assert_null(strstr(x, " id='"));
        g_assert_nonnull(strstr(migratable, "<name>x</name>"));

        /* read-only callers: without SECURE yes, with SECURE no */
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(test_call_nobody(tb, path, DOMAIN_IFACE, "GetXMLDesc", &e, "u", 0), ==, 0);
                g_assert_cmpint(test_call_nobody(tb, path, DOMAIN_IFACE, "GetXMLDesc", &e, "u", DOMAIN_XML_INACTIVE), ==, 0);
                g_assert_cmpint(test_call_nobody(tb, path, DOMAIN_IFACE, "GetXMLDesc", &e, "u", DOMAIN_XML_SECURE), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED, "GetXMLDesc");
                sd_bus_error_free(&e);
                g_assert_cmpint(test_call_nobody(tb, path, DOMAIN_IFACE, "GetXMLDesc", &e, "u", DOMAIN_XML_SECURE | DOMAIN_XML_INACTIVE), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED, "GetXMLDesc");
        }
        {
                g_autofree char *out = NULL, *err = NULL;
                int r = test_run(tb, true, &out, &err,
                                 (const char *const[]) { "busctl", "--user", "call", QEMU_BUS_NAME, path,
                                                         DOMAIN_IFACE, "GetXMLDesc", "u", "0", NULL });
                g_assert_cmpint(r, ==, 0);
                g_assert_nonnull(strstr(out, "<name>x</name>"));
                g_assert_null(strstr(out, "passwd"));
        }
        {
                g_autofree char *out = NULL, *err = NULL;
                int r = test_run(tb, true, &out, &err,
                                 (const char *const[]) { "busctl", "--user", "call", QEMU_BUS_NAME, path,
                                                         DOMAIN_IFACE, "GetXMLDesc", "u", "1", NULL });
                g_assert_cmpint(r, !=, 0);
                g_assert_true(out == NULL || strstr(out, "passwd") == NULL);
                g_assert_nonnull(strstr(err, "GetXMLDesc"));
        }
}

/* A34: GetState */
static void test_get_state(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "s", UUID1, NULL);
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int32_t state, reason;
        int ps, pr;

        g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "GetState", &e, &reply, "u", 0), >=, 0);
        g_assert_cmpint(sd_bus_message_read(reply, "ii", &state, &reason), >=, 0);
        g_assert_cmpint(state, ==, 5);
        g_assert_cmpint(reason, ==, 0);
        test_prop_state(tb, path, &ps, &pr);
        g_assert_cmpint(ps, ==, state);
        g_assert_cmpint(pr, ==, reason);
        for (uint32_t f = 1; f; f <<= 1) {
                g_auto(sd_bus_error) e2 = SD_BUS_ERROR_NULL;
                g_assert_cmpint(test_call(tb, path, DOMAIN_IFACE, "GetState", &e2, NULL, "u", f), <, 0);
                assert_bus_error(&e2, VMMD_DBUS_ERROR_INVALID_ARG, "GetState");
        }
        /* read-only callers may ask */
        g_assert_cmpint(test_call_nobody(tb, path, DOMAIN_IFACE, "GetState", &e, "u", 0), ==, 0);
        {
                g_autofree char *out = NULL, *err = NULL;
                int r = test_run(tb, true, &out, &err,
                                 (const char *const[]) { "busctl", "--user", "call", QEMU_BUS_NAME, path,
                                                         DOMAIN_IFACE, "GetState", "u", "0", NULL });
                g_assert_cmpint(r, ==, 0);
                g_assert_cmpstr(out, ==, "ii 5 0\n");
        }
}

static int count_props_changed(TestBus *tb, const char *path, const char *prop) {
        int n = 0;
        test_bus_drain(tb);
        for (guint i = 0; i < tb->signals->len; i++) {
                TestSignal *s = g_ptr_array_index(tb->signals, i);
                if (g_str_equal(s->member, "PropertiesChanged") && g_strcmp0(s->path, path) == 0 &&
                    s->changed && g_strv_contains((const char *const *) s->changed, prop))
                        n++;
        }
        return n;
}

/* A35: Autostart */
static void test_autostart(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "auto", UUID1, NULL);
        g_autofree char *link = test_root_file(tb, "etc/vmmd/qemu/autostart/auto.xml");
        g_autofree char *cfg = test_config_file(tb, "auto");
        g_autofree char *target = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        g_assert_false(test_prop_bool(tb, path, "Autostart"));
        test_bus_clear_signals(tb);
        g_assert_cmpint(test_set_autostart(tb, path, true, &e), >=, 0);
        g_assert_true(test_prop_bool(tb, path, "Autostart"));
        g_assert_true(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
        target = g_file_read_link(link, NULL);
        g_assert_cmpstr(target, ==, cfg);
        g_assert_true(g_file_test(link, G_FILE_TEST_IS_REGULAR));   /* resolves */
        g_assert_cmpint(count_props_changed(tb, path, "Autostart"), ==, 1);
        g_assert_cmpint(test_bus_find_signal(tb, "DomainEvent", NULL, 0), ==, -1);

        /* same value: success, nothing happens */
        test_bus_clear_signals(tb);
        g_assert_cmpint(test_set_autostart(tb, path, true, &e), >=, 0);
        g_assert_cmpint(count_props_changed(tb, path, "Autostart"), ==, 0);
        g_assert_true(g_file_test(link, G_FILE_TEST_IS_SYMLINK));

        /* read-only caller: denied, through sd-bus and busctl */
        g_assert_cmpint(test_call_nobody(tb, path, PROPS_IFACE, "Set", &e, "ssv", DOMAIN_IFACE, "Autostart", "b", 0), <, 0);
        assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED, "Autostart");
        sd_bus_error_free(&e);
        {
                g_autofree char *out = NULL, *err = NULL;
                int r = test_run(tb, true, &out, &err,
                                 (const char *const[]) { "busctl", "--user", "set-property", QEMU_BUS_NAME, path,
                                                         DOMAIN_IFACE, "Autostart", "b", "false", NULL });
                g_assert_cmpint(r, !=, 0);
                g_assert_nonnull(strstr(err, "read-only"));
        }
        g_assert_true(test_prop_bool(tb, path, "Autostart"));
        g_assert_true(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
        /* reading it is fine */
        {
                g_autofree char *out = NULL, *err = NULL;
                int r = test_run(tb, true, &out, &err,
                                 (const char *const[]) { "busctl", "--user", "get-property", QEMU_BUS_NAME, path,
                                                         DOMAIN_IFACE, "Autostart", NULL });
                g_assert_cmpint(r, ==, 0);
                g_assert_cmpstr(out, ==, "b true\n");
        }

        test_bus_clear_signals(tb);
        g_assert_cmpint(test_set_autostart(tb, path, false, &e), >=, 0);
        g_assert_false(test_prop_bool(tb, path, "Autostart"));
        g_assert_false(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
        g_assert_cmpint(count_props_changed(tb, path, "Autostart"), ==, 1);
        test_bus_clear_signals(tb);
        g_assert_cmpint(test_set_autostart(tb, path, false, &e), >=, 0);
        g_assert_cmpint(count_props_changed(tb, path, "Autostart"), ==, 0);
        /* the definition itself is untouched */
        g_assert_true(g_file_test(cfg, G_FILE_TEST_IS_REGULAR));
}

/* 0.9, 0.10: what a read-only caller may and may not do */
static void test_read_only_caller(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *path = define_ok(tb, "ro", UUID1, SECRET_DEVICES);
        g_autofree char *xml = test_domain_xml("ro2", UUID2, NULL);
        g_autofree char *cfgdir = test_root_file(tb, "etc/vmmd/qemu");
        g_autofree char *before = test_dir_snapshot(cfgdir);
        g_autofree char *after = NULL;
        struct {
                const char *p, *iface, *member, *types;
        } allowed[] = {
                { MANAGER, MANAGER_IFACE, "ListDomains", "u" },
                { MANAGER, MANAGER_IFACE, "DomainLookupByName", "s" },
                { MANAGER, MANAGER_IFACE, "DomainLookupByUUID", "s" },
                { MANAGER, MANAGER_IFACE, "GetCapabilities", "" },
                { path, DOMAIN_IFACE, "GetXMLDesc", "u" },
                { path, DOMAIN_IFACE, "GetState", "u" },
                { path, PROPS_IFACE, "GetAll", "s" },
        };
        struct {
                const char *p, *iface, *member;
        } denied_u[] = {
                { path, DOMAIN_IFACE, "Undefine" },  { path, DOMAIN_IFACE, "Create" },
                { path, DOMAIN_IFACE, "Destroy" },   { path, DOMAIN_IFACE, "Shutdown" },
                { path, DOMAIN_IFACE, "ManagedSave" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(allowed); i++) {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                int r;
                if (g_str_equal(allowed[i].types, "u"))
                        r = test_call_nobody(tb, allowed[i].p, allowed[i].iface, allowed[i].member, &e, "u", 0);
                else if (g_str_equal(allowed[i].member, "DomainLookupByName"))
                        r = test_call_nobody(tb, allowed[i].p, allowed[i].iface, allowed[i].member, &e, "s", "ro");
                else if (g_str_equal(allowed[i].member, "DomainLookupByUUID"))
                        r = test_call_nobody(tb, allowed[i].p, allowed[i].iface, allowed[i].member, &e, "s", UUID1);
                else if (g_str_equal(allowed[i].member, "GetAll"))
                        r = test_call_nobody(tb, allowed[i].p, allowed[i].iface, allowed[i].member, &e, "s", DOMAIN_IFACE);
                else
                        r = test_call_nobody(tb, allowed[i].p, allowed[i].iface, allowed[i].member, &e, NULL);
                if (r < 0)
                        g_error("read-only %s: %s: %s", allowed[i].member, e.name, e.message);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(denied_u); i++) {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(test_call_nobody(tb, denied_u[i].p, denied_u[i].iface, denied_u[i].member, &e, "u", 0), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED, denied_u[i].member);
        }
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(test_call_nobody(tb, path, DOMAIN_IFACE, "Rename", &e, "su", "other", 0), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED, "Rename");
        }
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(test_call_nobody(tb, MANAGER, MANAGER_IFACE, "DomainCreateXML", &e, "su", xml, 0), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED, "DomainCreateXML");
        }
        {
                /* even without XML_SECURE */
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(test_call_nobody(tb, MANAGER, MANAGER_IFACE, "DomainSaveImageGetXMLDesc", &e, "su",
                                                 "/tmp/x.save", 0), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_DENIED, "DomainSaveImageGetXMLDesc");
        }
        /* busctl as nobody: the mutating calls fail, the lookups work */
        {
                g_autofree char *out = NULL, *err = NULL;
                int r = test_run(tb, true, &out, &err,
                                 (const char *const[]) { "busctl", "--user", "call", QEMU_BUS_NAME, path,
                                                         DOMAIN_IFACE, "Undefine", "u", "0", NULL });
                g_assert_cmpint(r, !=, 0);
                g_assert_nonnull(strstr(err, "Undefine"));
        }
        {
                g_autofree char *out = NULL, *err = NULL, *expect = g_strdup_printf("o \"%s\"\n", path);
                int r = test_run(tb, true, &out, &err,
                                 (const char *const[]) { "busctl", "--user", "call", QEMU_BUS_NAME, MANAGER,
                                                         MANAGER_IFACE, "DomainLookupByName", "s", "ro", NULL });
                g_assert_cmpint(r, ==, 0);
                g_assert_cmpstr(out, ==, expect);
        }
        {
                g_autofree char *out = NULL, *err = NULL, *expect = g_strdup_printf("o \"%s\"\n", path);
                int r = test_run(tb, true, &out, &err,
                                 (const char *const[]) { "busctl", "--user", "call", QEMU_BUS_NAME, MANAGER,
                                                         MANAGER_IFACE, "DomainLookupByUUID", "s",
                                                         "C7A5FDBDCDAF9455926AD65C16DB1809", NULL });
                g_assert_cmpint(r, ==, 0);
                g_assert_cmpstr(out, ==, expect);
        }
        {
                g_autofree char *out = NULL, *err = NULL;
                int r = test_run(tb, true, &out, &err,
                                 (const char *const[]) { "busctl", "--user", "get-property", QEMU_BUS_NAME, path,
                                                         DOMAIN_IFACE, "Name", "State", "Persistent", NULL });
                g_assert_cmpint(r, ==, 0);
                g_assert_cmpstr(out, ==, "s \"ro\"\n(ii) 5 0\nb true\n");
        }
        after = test_dir_snapshot(cfgdir);
        g_assert_cmpstr(before, ==, after);
        g_assert_false(g_file_test(test_config_file(tb, "ro2"), G_FILE_TEST_EXISTS));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/lookup/unknown-path", test_unknown_path);
        g_test_add_func("/lookup/flags", test_flags);
        g_test_add_func("/lookup/empty-args", test_empty_args);
        g_test_add_func("/lookup/lookups", test_lookups);
        g_test_add_func("/lookup/list-filters", test_list_filters);
        g_test_add_func("/lookup/get-xml-desc", test_get_xml_desc);
        g_test_add_func("/lookup/get-state", test_get_state);
        g_test_add_func("/lookup/autostart", test_autostart);
        g_test_add_func("/lookup/read-only-caller", test_read_only_caller);
        return g_test_run();
}
