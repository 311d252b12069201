/* Helpers shared by the vmmd-storage bus tests (header-only: each test is one program). */
#pragma once

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "bus-harness.h"
#include "fileio.h"

#define ST STORAGE_BUS_NAME
#define ST_MANAGER STORAGE_MANAGER_PATH
#define ST_MANAGER_IFACE STORAGE_MANAGER_INTERFACE
#define ST_POOL_IFACE STORAGE_POOL_INTERFACE
#define ST_VOL_IFACE STORAGE_VOL_INTERFACE

#define UUID1 "8f3d6c0e-3b8a-4f31-9a43-1f0c2b7d9e01"
#define UUID2 "8f3d6c0e-3b8a-4f31-9a43-1f0c2b7d9e02"
#define UUID3 "8f3d6c0e-3b8a-4f31-9a43-1f0c2b7d9e03"

#define st_call(tb, path, iface, member, err, reply, ...) \
        test_call_to((tb), ST, (path), (iface), (member), (err), (reply), __VA_ARGS__)

/* A call that must succeed; the reply is returned (NULL when not wanted). */
#define st_ok(tb, path, iface, member, ...)                                                             \
        G_STMT_START {                                                                                  \
                g_auto(sd_bus_error) e_ = SD_BUS_ERROR_NULL;                                            \
                if (st_call((tb), (path), (iface), (member), &e_, NULL, __VA_ARGS__) < 0)               \
                        g_error("%s.%s(%s): %s: %s", (iface), (member), (path), e_.name, e_.message);   \
        } G_STMT_END

G_GNUC_UNUSED static char *st_pool_dir(TestBus *tb, const char *name) {
        return g_build_filename(tb->dir, "pools", name, NULL);
}

G_GNUC_UNUSED static char *st_pool_xml(const char *type, const char *name, const char *uuid, const char *target,
                                       const char *perms) {
        g_autofree char *u = uuid ? g_strdup_printf("  <uuid>%s</uuid>\n", uuid) : g_strdup("");
        g_autofree char *t = target ? g_strdup_printf("  <target>\n    <path>%s</path>\n%s  </target>\n", target,
                                                      perms ? perms : "") : g_strdup("");

        return g_strdup_printf("<pool type='%s'>\n  <name>%s</name>\n%s%s</pool>\n", type, name, u, t);
}

G_GNUC_UNUSED static char *st_call_path(TestBus *tb, const char *path, const char *iface, const char *member,
                                        sd_bus_error *error, const char *types, const char *s, uint32_t flags) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *o;

        if (test_call_to(tb, ST, path, iface, member, error, &reply, types, s, flags) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &o), >=, 0);
        return g_strdup(o);
}

/* StoragePoolDefineXML: the path, or NULL with *error */
G_GNUC_UNUSED static char *st_define(TestBus *tb, const char *xml, unsigned flags, sd_bus_error *error) {
        return st_call_path(tb, ST_MANAGER, ST_MANAGER_IFACE, "StoragePoolDefineXML", error, "su", xml, flags);
}

/* A dir pool NAME at <tb>/pools/NAME, defined (and built and started when asked). */
G_GNUC_UNUSED static char *st_dir_pool(TestBus *tb, const char *name, const char *uuid, bool start) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *dir = st_pool_dir(tb, name);
        g_autofree char *xml = st_pool_xml("dir", name, uuid, dir, NULL);
        char *path = st_define(tb, xml, 0, &e);

        if (!path)
                g_error("define pool %s: %s: %s", name, e.name, e.message);
        if (start) {
                st_ok(tb, path, ST_POOL_IFACE, "Build", "u", 0);
                st_ok(tb, path, ST_POOL_IFACE, "Create", "u", 0);
        }
        return path;
}

G_GNUC_UNUSED static char *st_lookup(TestBus *tb, const char *member, const char *arg, sd_bus_error *error) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *o;

        if (st_call(tb, ST_MANAGER, ST_MANAGER_IFACE, member, error, &reply, "s", arg) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &o), >=, 0);
        return g_strdup(o);
}

G_GNUC_UNUSED static char *st_vol_lookup(TestBus *tb, const char *pool, const char *name, sd_bus_error *error) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *o;

        if (st_call(tb, pool, ST_POOL_IFACE, "StorageVolLookupByName", error, &reply, "s", name) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &o), >=, 0);
        return g_strdup(o);
}

/* StorageVolCreateXML: the path, or NULL with *error */
G_GNUC_UNUSED static char *st_vol_create(TestBus *tb, const char *pool, const char *xml, unsigned flags,
                                         sd_bus_error *error) {
        return st_call_path(tb, pool, ST_POOL_IFACE, "StorageVolCreateXML", error, "su", xml, flags);
}

/* Waits (bounded) until a signal member about object has been captured. */
G_GNUC_UNUSED static bool st_wait_signal_for(TestBus *tb, const char *member, const char *object, unsigned timeout_ms) {
        gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;

        for (;;) {
                gint64 left;
                test_bus_drain(tb);
                if (test_bus_find_signal(tb, member, object, 0) >= 0)
                        return true;
                left = deadline - g_get_monotonic_time();
                if (left <= 0)
                        return false;
                (void) sd_bus_wait(tb->bus, (uint64_t) left);
        }
}

/* Creates a volume and waits for its InterfacesAdded, which follows the reply (S38). */
G_GNUC_UNUSED static char *st_vol_create_ok(TestBus *tb, const char *pool, const char *xml, unsigned flags) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char *path = st_vol_create(tb, pool, xml, flags, &e);

        if (!path)
                g_error("StorageVolCreateXML: %s: %s\n%s", e.name, e.message, xml);
        g_assert_true(st_wait_signal_for(tb, "InterfacesAdded", path, 10000));
        return path;
}

G_GNUC_UNUSED static char *st_vol_clone(TestBus *tb, const char *pool, const char *xml, const char *source,
                                        unsigned flags, sd_bus_error *error) {
        g_autoptr(sd_bus_message) reply = NULL;
        const char *o;

        if (st_call(tb, pool, ST_POOL_IFACE, "StorageVolCreateXMLFrom", error, &reply, "sou", xml, source, flags) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read(reply, "o", &o), >=, 0);
        return g_strdup(o);
}

/* <volume> with a name, capacity in bytes (0: none), allocation (-1: none), format (NULL: none) */
G_GNUC_UNUSED static char *st_vol_xml(const char *name, uint64_t capacity, int64_t allocation, const char *format,
                                      const char *extra) {
        g_autofree char *cap = capacity ? g_strdup_printf("  <capacity unit='bytes'>%" G_GUINT64_FORMAT
                                                          "</capacity>\n", capacity) : g_strdup("");
        g_autofree char *alloc = allocation >= 0 ? g_strdup_printf("  <allocation>%" G_GINT64_FORMAT "</allocation>\n",
                                                                   allocation) : g_strdup("");
        g_autofree char *fmt = format ? g_strdup_printf("  <target>\n    <format type='%s'/>\n  </target>\n", format) :
                                        g_strdup("");

        return g_strdup_printf("<volume>\n  <name>%s</name>\n%s%s%s%s</volume>\n", name, cap, alloc, fmt,
                               extra ? extra : "");
}

G_GNUC_UNUSED static char *st_get_xml(TestBus *tb, const char *path, const char *iface, unsigned flags) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        const char *xml;

        if (st_call(tb, path, iface, "GetXMLDesc", &e, &reply, "u", flags) < 0)
                g_error("GetXMLDesc(%s): %s: %s", path, e.name, e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "s", &xml), >=, 0);
        return g_strdup(xml);
}

static sd_bus_message *st_get_prop(TestBus *tb, const char *path, const char *iface, const char *prop,
                                   const char *type) {
        sd_bus_message *reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;

        if (sd_bus_get_property(tb->bus, ST, path, iface, prop, &e, &reply, type) < 0)
                g_error("Get %s(%s): %s: %s", prop, path, e.name, e.message);
        test_bus_drain(tb);
        return reply;
}

G_GNUC_UNUSED static char *st_prop_s(TestBus *tb, const char *path, const char *iface, const char *prop) {
        g_autoptr(sd_bus_message) reply = st_get_prop(tb, path, iface, prop, "s");
        const char *s;

        g_assert_cmpint(sd_bus_message_read(reply, "s", &s), >=, 0);
        return g_strdup(s);
}

G_GNUC_UNUSED static int test_prop_int_to(TestBus *tb, const char *vol) {
        g_autoptr(sd_bus_message) reply = st_get_prop(tb, vol, ST_VOL_IFACE, "Type", "i");
        int32_t i;

        g_assert_cmpint(sd_bus_message_read(reply, "i", &i), >=, 0);
        return i;
}

G_GNUC_UNUSED static bool st_prop_b(TestBus *tb, const char *path, const char *prop) {
        g_autoptr(sd_bus_message) reply = st_get_prop(tb, path, ST_POOL_IFACE, prop, "b");
        int b;

        g_assert_cmpint(sd_bus_message_read(reply, "b", &b), >=, 0);
        return b;
}

G_GNUC_UNUSED static uint64_t st_prop_t(TestBus *tb, const char *path, const char *prop) {
        g_autoptr(sd_bus_message) reply = st_get_prop(tb, path, ST_POOL_IFACE, prop, "t");
        uint64_t t;

        g_assert_cmpint(sd_bus_message_read(reply, "t", &t), >=, 0);
        return t;
}

G_GNUC_UNUSED static char **st_list(TestBus *tb, const char *path, const char *iface, const char *member,
                                    unsigned flags, sd_bus_error *error) {
        g_autoptr(sd_bus_message) reply = NULL;
        char **list = NULL;

        if (st_call(tb, path, iface, member, error, &reply, "u", flags) < 0)
                return NULL;
        g_assert_cmpint(sd_bus_message_read_strv(reply, &list), >=, 0);
        return list ? list : g_new0(char *, 1);
}

G_GNUC_UNUSED static char **st_list_pools(TestBus *tb, unsigned flags) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char **list = st_list(tb, ST_MANAGER, ST_MANAGER_IFACE, "ListStoragePools", flags, &e);

        if (!list)
                g_error("ListStoragePools(%u): %s: %s", flags, e.name, e.message);
        return list;
}

G_GNUC_UNUSED static char **st_list_vols(TestBus *tb, const char *pool) {
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        char **list = st_list(tb, pool, ST_POOL_IFACE, "ListStorageVolumes", 0, &e);

        if (!list)
                g_error("ListStorageVolumes: %s: %s", e.name, e.message);
        return list;
}

/* Volume.GetInfo(flags) → type, capacity, allocation */
G_GNUC_UNUSED static void st_vol_info(TestBus *tb, const char *vol, unsigned flags, int *type, uint64_t *cap,
                                      uint64_t *alloc) {
        g_autoptr(sd_bus_message) reply = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int32_t t;

        if (st_call(tb, vol, ST_VOL_IFACE, "GetInfo", &e, &reply, "u", flags) < 0)
                g_error("Volume.GetInfo(%s): %s: %s", vol, e.name, e.message);
        g_assert_cmpint(sd_bus_message_read(reply, "(itt)", &t, cap, alloc), >=, 0);
        *type = t;
}

/* The string value of an XPath expression over xml ("" when it selects nothing). */
G_GNUC_UNUSED static char *st_xpath(const char *xml, const char *expr) {
        g_autoptr(xmlDoc) doc = xmlReadMemory(xml, (int) strlen(xml), "x.xml", NULL, XML_PARSE_NONET);
        g_autoptr(xmlXPathContext) ctx = NULL;
        g_autoptr(xmlXPathObject) obj = NULL;
        g_autofree char *full = g_strdup_printf("string(%s)", expr);
        char *out;

        g_assert_nonnull(doc);
        ctx = xmlXPathNewContext(doc);
        obj = xmlXPathEvalExpression((const xmlChar *) full, ctx);
        g_assert_nonnull(obj);
        out = g_strdup(obj->stringval ? (const char *) obj->stringval : "");
        return out;
}

/* Runs a command and asserts it succeeds; returns stdout. */
G_GNUC_UNUSED static char *st_sh(const char *cmd) {
        g_autofree char *out = NULL, *err = NULL;
        g_autoptr(GError) error = NULL;
        int status = 0;
        const char *argv[] = { "sh", "-c", cmd, NULL };

        g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
        g_assert_no_error(error);
        if (!g_spawn_check_wait_status(status, NULL))
                g_error("'%s' failed: %s", cmd, err);
        return g_steal_pointer(&out);
}

/* StoragePoolEvent signals captured for pool, as a string like "0,2,3". */
G_GNUC_UNUSED static char *st_events(TestBus *tb, const char *pool) {
        GString *s = g_string_new(NULL);

        test_bus_drain(tb);
        for (guint i = 0; i < tb->signals->len; i++) {
                TestSignal *sig = g_ptr_array_index(tb->signals, i);
                if (g_str_equal(sig->member, "StoragePoolEvent") && g_strcmp0(sig->object, pool) == 0)
                        g_string_append_printf(s, "%s%d", s->len ? "," : "", sig->event);
        }
        return g_string_free(s, FALSE);
}

G_GNUC_UNUSED static int st_count_signals(TestBus *tb, const char *member, const char *object) {
        int n = 0;

        test_bus_drain(tb);
        for (int i = test_bus_find_signal(tb, member, object, 0); i >= 0;
             i = test_bus_find_signal(tb, member, object, i + 1))
                n++;
        return n;
}
