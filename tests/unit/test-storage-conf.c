/* Unit tests for the storage pool and volume conf library: golden round trips, errors, API. */
#include "storage-conf.h"
#include "domain-conf.h"
#include "error.h"
#include "unit-conf.h"
#include "unit-util.h"

#include <string.h>

/*
 * Golden convention:
 *   tests/data/storagepool/out/NAME.xml = storage_pool_def_format(parse(in/NAME.xml, VALIDATE), 0)
 *   tests/data/storagevol/out/NAME.xml  = storage_vol_def_format(parse(in/NAME.xml, POOL, VALIDATE))
 * where POOL is taken from the volume file's name prefix ("logical-", "disk-", "netfs-";
 * anything else is a dir pool), because a volume's format rules depend on its pool.
 * A pool UUID the parser generated is masked as 00000000-0000-0000-0000-000000000000.
 * Set VMMD_TEST_REGENERATE=1 to rewrite the out files (review the diff before committing).
 */

#define MASK_UUID "00000000-0000-0000-0000-000000000000"

/* Inputs the parser accepts (as libvirt does) but the schema does not: they must fail
 * VALIDATE and parse without it. */
static const char *const not_schema_valid[] = {
        "dir-empty-uuid",
        NULL,
};

/* --- pools --- */

/* A UnitRoundTrip. A not_schema_valid input must fail VALIDATE and goes in without it; a uuid the parser made
 * up is masked. */
static char *pool_round_trip(const char *name, const char *xml, bool golden, GError **error) {
        g_autoptr(StoragePoolDef) def = NULL;
        g_autofree char *actual = NULL;
        unsigned flags = STORAGE_POOL_DEF_PARSE_VALIDATE;

        if (golden && g_strv_contains(not_schema_valid, name)) {
                g_autoptr(GError) local = NULL;

                def = storage_pool_def_parse_string(xml, flags, &local);
                g_assert_null(def);
                g_assert_error(local, VMMD_ERROR, VMMD_ERROR_XML_INVALID_SCHEMA);
                flags = 0;
        }
        def = storage_pool_def_parse_string(xml, flags, error);
        actual = def ? storage_pool_def_format(def, 0) : NULL;
        if (actual && golden && (!strstr(xml, "<uuid>") || strstr(xml, "<uuid></uuid>"))) {
                g_autoptr(GRegex) re = g_regex_new("<uuid>[^<]*</uuid>", 0, 0, NULL);

                return g_regex_replace_literal(re, actual, -1, 0, "<uuid>" MASK_UUID "</uuid>", 0, NULL);
        }
        return g_steal_pointer(&actual);
}

/* --- volumes --- */

static StoragePoolType vol_pool_type(const char *name) {
        if (g_str_has_prefix(name, "logical-"))
                return STORAGE_POOL_LOGICAL;
        if (g_str_has_prefix(name, "disk-"))
                return STORAGE_POOL_DISK;
        if (g_str_has_prefix(name, "netfs-"))
                return STORAGE_POOL_NETFS;
        return STORAGE_POOL_DIR;
}

/* a UnitRoundTrip */
static char *vol_round_trip(const char *name, const char *xml, bool golden, GError **error) {
        g_autoptr(StorageVolDef) def = storage_vol_def_parse_string(xml, vol_pool_type(name),
                                                                     STORAGE_VOL_DEF_PARSE_VALIDATE, error);

        return def ? storage_vol_def_format(def) : NULL;
}

/* --- error cases: tests/data/storage{pool,vol}/err/NAME.xml --- */

static const UnitErrorCase pool_errors[] = {
        { "not-well-formed", 0, VMMD_ERROR_XML_ERROR, "line 6", NULL },
        { "wrong-root", 0, VMMD_ERROR_XML_ERROR, "pool", "volume" },
        { "no-name", 0, VMMD_ERROR_XML_ERROR, "name", NULL },
        { "empty-name", 0, VMMD_ERROR_XML_ERROR, "name", NULL },
        { "name-newline", 0, VMMD_ERROR_XML_DETAIL, "name", NULL },
        { "name-slash", 0, VMMD_ERROR_XML_ERROR, "a/b", NULL },
        { "bad-uuid", 0, VMMD_ERROR_XML_ERROR, "uuid", "not-a-uuid" },
        { "no-type", 0, VMMD_ERROR_XML_ERROR, "type", NULL },
        { "unknown-type", 0, VMMD_ERROR_XML_ERROR, "floppy", NULL },
        { "dir-no-target-path", 0, VMMD_ERROR_XML_ERROR, "target path", "dir" },
        { "mode-not-octal", 0, VMMD_ERROR_XML_ERROR, "mode", "0789" },
        { "mode-too-large", 0, VMMD_ERROR_XML_ERROR, "mode", "01777" },
        { "owner-not-numeric", 0, VMMD_ERROR_XML_ERROR, "owner", "qemu" },
        { "group-not-numeric", 0, VMMD_ERROR_XML_ERROR, "group", "-5" },
        { "fs-no-device", 0, VMMD_ERROR_XML_ERROR, "device", "fs" },
        { "fs-bad-format", 0, VMMD_ERROR_XML_ERROR, "ntfs-3000", NULL },
        { "netfs-no-host", 0, VMMD_ERROR_XML_ERROR, "host", "netfs" },
        { "netfs-no-dir", 0, VMMD_ERROR_XML_ERROR, "dir", "netfs" },
        { "host-bad-port", 0, VMMD_ERROR_XML_ERROR, "port", "70000" },
        { "capacity-bad-unit", 0, VMMD_ERROR_INVALID_ARG, "capacity", "furlongs" },
        { "cow-bad-state", 0, VMMD_ERROR_XML_ERROR, "cow", NULL },
        { "cow-on-logical", 0, VMMD_ERROR_XML_ERROR, "cow", "logical" },
        { "refresh-bad-allocation", 0, VMMD_ERROR_XML_ERROR, "sometimes", NULL },
        { "auth-bad-secret-uuid", 0, VMMD_ERROR_XML_ERROR, "1234", NULL },
        { "entity-declaration", 0, VMMD_ERROR_XML_ERROR, "entity", NULL },
        { "schema-unknown-element", STORAGE_POOL_DEF_PARSE_VALIDATE, VMMD_ERROR_XML_INVALID_SCHEMA, "frobnicator", NULL },
        { "schema-bad-mode", STORAGE_POOL_DEF_PARSE_VALIDATE, VMMD_ERROR_XML_INVALID_SCHEMA, "storagepool.rng", NULL },
};

static const UnitErrorCase vol_errors[] = {
        { "not-well-formed", 0, VMMD_ERROR_XML_ERROR, "not well formed", "line " },
        { "wrong-root", 0, VMMD_ERROR_XML_ERROR, "volume", "pool" },
        { "no-name", 0, VMMD_ERROR_XML_ERROR, "name", NULL },
        { "no-capacity", 0, VMMD_ERROR_XML_ERROR, "missing capacity element", NULL },
        { "capacity-bad-unit", 0, VMMD_ERROR_INVALID_ARG, "capacity", "parsecs" },
        { "capacity-malformed", 0, VMMD_ERROR_XML_ERROR, "capacity", "-5" },
        { "capacity-overflow", 0, VMMD_ERROR_INVALID_ARG, "too large", NULL },
        { "capacity-overflow-unit", 0, VMMD_ERROR_INVALID_ARG, "too large", "EiB" },
        { "allocation-bad-unit", 0, VMMD_ERROR_INVALID_ARG, "allocation", "Kb2" },
        { "unknown-type", 0, VMMD_ERROR_XML_ERROR, "tape", NULL },
        { "unknown-format", 0, VMMD_ERROR_XML_ERROR, "vhdx", NULL },
        { "compat-malformed", 0, VMMD_ERROR_XML_ERROR, "compat", "1.1a" },
        { "compat-on-raw", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "compat", "raw" },
        { "clustersize-on-raw", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "clusterSize", "raw" },
        { "features-on-vmdk", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "features", "vmdk" },
        { "lazy-refcounts-compat-010", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "lazy_refcounts", "0.10" },
        { "unknown-feature", 0, VMMD_ERROR_CONFIG_UNSUPPORTED, "turbo", NULL },
        { "mode-not-octal", 0, VMMD_ERROR_XML_ERROR, "mode", NULL },
        { "owner-not-numeric", 0, VMMD_ERROR_XML_ERROR, "owner", "root" },
        { "encryption-bad-format", 0, VMMD_ERROR_XML_ERROR, "rot13", NULL },
        { "encryption-bad-secret-uuid", 0, VMMD_ERROR_XML_ERROR, "xyz", NULL },
        { "encryption-bad-secret-type", 0, VMMD_ERROR_XML_ERROR, "volume", NULL },
        { "backing-store-no-path", 0, VMMD_ERROR_XML_ERROR, "backing store path", NULL },
        { "backing-store-bad-format", 0, VMMD_ERROR_XML_ERROR, "vhdx", NULL },
        { "schema-unknown-element", STORAGE_VOL_DEF_PARSE_VALIDATE, VMMD_ERROR_XML_INVALID_SCHEMA, "frobnicator", NULL },
        { "schema-bad-compat-place", STORAGE_VOL_DEF_PARSE_VALIDATE, VMMD_ERROR_XML_INVALID_SCHEMA, "storagevol.rng", NULL },
        { "entity-declaration", 0, VMMD_ERROR_XML_ERROR, "entity", NULL },
};

static void test_pool_error(gconstpointer data) {
        const UnitErrorCase *c = data;
        g_autofree char *path = unit_data_path("storagepool", "err", c->file);
        g_autofree char *xml = unit_read_file(path);
        g_autoptr(GError) error = NULL;
        g_autoptr(StoragePoolDef) def = storage_pool_def_parse_string(xml, c->flags, &error);

        unit_check_error(c, error, def != NULL);
}

static void test_vol_error(gconstpointer data) {
        const UnitErrorCase *c = data;
        g_autofree char *path = unit_data_path("storagevol", "err", c->file);
        g_autofree char *xml = unit_read_file(path);
        g_autoptr(GError) error = NULL;
        g_autoptr(StorageVolDef) def = storage_vol_def_parse_string(xml, STORAGE_POOL_DIR, c->flags, &error);

        unit_check_error(c, error, def != NULL);
}

/* Every file in an err directory has a case, and every case a file. */
static void test_error_tables_complete(void) {
        unit_assert_error_table_complete("storagepool", pool_errors, G_N_ELEMENTS(pool_errors));
        unit_assert_error_table_complete("storagevol", vol_errors, G_N_ELEMENTS(vol_errors));
}

/* --- API behaviour beyond the golden files --- */

static StoragePoolDef *parse_pool(const char *name) {
        g_autofree char *path = unit_data_path("storagepool", "in", name);
        g_autofree char *xml = unit_read_file(path);
        g_autoptr(GError) error = NULL;
        StoragePoolDef *def = storage_pool_def_parse_string(xml, STORAGE_POOL_DEF_PARSE_VALIDATE, &error);

        g_assert_no_error(error);
        return def;
}

static StorageVolDef *parse_vol(const char *name) {
        g_autofree char *path = unit_data_path("storagevol", "in", name);
        g_autofree char *xml = unit_read_file(path);
        g_autoptr(GError) error = NULL;
        StorageVolDef *def = storage_vol_def_parse_string(xml, vol_pool_type(name), STORAGE_VOL_DEF_PARSE_VALIDATE,
                                                          &error);

        g_assert_no_error(error);
        return def;
}

static void test_pool_fields(void) {
        g_autoptr(StoragePoolDef) def = parse_pool("dir-full");
        g_autoptr(StoragePoolDef) lvm = parse_pool("logical-defaults");
        g_autoptr(StoragePoolDef) nfs = parse_pool("netfs-nfs");

        g_assert_cmpint(def->type, ==, STORAGE_POOL_DIR);
        g_assert_cmpstr(def->name, ==, "images");
        g_assert_cmpstr(def->uuid, ==, "3e3fce45-4f53-4fa7-bb32-11f34168b82b");
        g_assert_cmpuint(def->capacity, ==, 107374182400ULL);
        g_assert_cmpstr(def->target_path, ==, "/srv/images");
        g_assert_cmpint(def->target_perms.mode, ==, 0755);
        g_assert_cmpint(def->target_perms.owner, ==, 107);
        g_assert_cmpint(def->target_perms.group, ==, 107);
        g_assert_cmpstr(def->target_perms.label, ==, "system_u:object_r:virt_image_t:s0");

        /* libvirt's logical defaults: the VG is the pool name, the target /dev/<vg> */
        g_assert_cmpstr(lvm->source.name, ==, "vg_guests");
        g_assert_cmpstr(lvm->target_path, ==, "/dev/vg_guests");
        g_assert_cmpint(lvm->target_perms.mode, ==, -1);

        g_assert_cmpuint(nfs->source.nhosts, ==, 1);
        g_assert_cmpstr(nfs->source.hosts[0].name, ==, "nfs.example.com");
        g_assert_cmpint(nfs->source.hosts[0].port, ==, 2049);
        g_assert_cmpstr(nfs->source.dir, ==, "/export/images");
        g_assert_cmpstr(nfs->source.format, ==, "nfs");
}

static void test_pool_inactive_format(void) {
        g_autoptr(StoragePoolDef) def = parse_pool("dir-full");
        g_autofree char *live = storage_pool_def_format(def, 0);
        g_autofree char *inactive = storage_pool_def_format(def, STORAGE_POOL_DEF_FORMAT_INACTIVE);

        g_assert_nonnull(strstr(live, "<capacity unit='bytes'>107374182400</capacity>"));
        g_assert_null(strstr(inactive, "<capacity"));
        g_assert_null(strstr(inactive, "<allocation"));
        g_assert_null(strstr(inactive, "<available"));
        g_assert_true(g_str_has_prefix(inactive, "<pool type='dir'>\n  <name>images</name>\n"));
        g_assert_true(g_str_has_suffix(inactive, "</pool>\n"));
}

static void test_pool_copy(void) {
        const char *names[] = { "dir-full", "iscsi-chap", "rbd-ceph", "logical-devices", "disk-gpt", "scsi-adapter" };

        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                g_autoptr(StoragePoolDef) def = parse_pool(names[i]);
                g_autoptr(StoragePoolDef) copy = storage_pool_def_copy(def);
                g_autofree char *a = storage_pool_def_format(def, 0);
                g_autofree char *b = NULL;

                /* the copy must own everything: free the original first */
                g_clear_pointer(&def, storage_pool_def_free);
                b = storage_pool_def_format(copy, 0);
                g_assert_cmpstr(a, ==, b);
        }
        storage_pool_def_free(NULL);
}

static void test_pool_generated_uuid(void) {
        g_autoptr(StoragePoolDef) a = parse_pool("dir-minimal");
        g_autoptr(StoragePoolDef) b = parse_pool("dir-minimal");
        char check[37];

        g_assert_cmpuint(strlen(a->uuid), ==, 36);
        g_assert_true(vmmd_uuid_parse(a->uuid, check));
        g_assert_cmpstr(check, ==, a->uuid);
        g_assert_cmpstr(a->uuid, !=, b->uuid);
}

static void test_pool_flags_and_empty(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(StoragePoolDef) def = storage_pool_def_parse_string("<pool type='dir'/>", 0x2, &error);

        g_assert_null(def);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG);
        g_clear_error(&error);
        def = storage_pool_def_parse_string("", 0, &error);
        g_assert_null(def);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR);
        g_clear_error(&error);
        def = storage_pool_def_parse_string(NULL, 0, &error);
        g_assert_null(def);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_XML_ERROR);
}

static void test_vol_fields(void) {
        g_autoptr(StorageVolDef) raw = parse_vol("raw-minimal");
        g_autoptr(StorageVolDef) sparse = parse_vol("raw-sparse");
        g_autoptr(StorageVolDef) child = parse_vol("backing-store-no-capacity");
        g_autoptr(StorageVolDef) probe = parse_vol("backing-store-relative-probe");
        g_autoptr(StorageVolDef) enc = parse_vol("encryption-luks-uuid");
        g_autoptr(StorageVolDef) lazy = parse_vol("qcow2-lazy-refcounts");
        g_autoptr(StorageVolDef) tuned = parse_vol("qcow2-cluster-nocow-l2");

        g_assert_cmpint(raw->type, ==, STORAGE_VOL_FILE);
        g_assert_cmpint(raw->target.format, ==, STORAGE_FILE_FORMAT_RAW);
        g_assert_true(raw->capacity_set);
        g_assert_cmpuint(raw->capacity, ==, 1073741824ULL);
        /* absent allocation means fully allocated, and the daemon can tell it was absent */
        g_assert_false(raw->allocation_set);
        g_assert_cmpuint(raw->allocation, ==, raw->capacity);
        g_assert_null(raw->target.encryption);
        g_assert_null(raw->backing_store.path);
        g_assert_cmpint(raw->target.perms.mode, ==, -1);

        g_assert_true(sparse->allocation_set);
        g_assert_cmpuint(sparse->allocation, ==, 0);

        g_assert_false(child->capacity_set);
        g_assert_cmpstr(child->backing_store.path, ==, "/srv/images/base.qcow2");
        g_assert_cmpint(child->backing_store.format, ==, STORAGE_FILE_FORMAT_QCOW2);
        g_assert_cmpstr(probe->backing_store.path, ==, "base.img");
        g_assert_cmpint(probe->backing_store.format, ==, STORAGE_FILE_FORMAT_NONE);

        g_assert_nonnull(enc->target.encryption);
        g_assert_cmpint(enc->target.encryption->format, ==, STORAGE_ENCRYPTION_LUKS);
        g_assert_cmpstr(enc->target.encryption->secret_uuid, ==, "f52a81b2-424e-490c-823d-6bd4235bc572");

        g_assert_true(lazy->target.lazy_refcounts);
        g_assert_cmpstr(lazy->target.compat, ==, "1.1");
        g_assert_cmpuint(tuned->target.cluster_size, ==, 131072);
        g_assert_cmpint(tuned->target.nocow, ==, 1);
        g_assert_true(tuned->target.extended_l2);
}

static void test_vol_timestamps(void) {
        g_autoptr(StorageVolDef) def = parse_vol("output-form");
        g_autofree char *xml = NULL;

        /* output only: the parser ignores them, the daemon fills them in from stat() */
        g_assert_false(def->target.atime.set);
        def->target.atime = (StorageTimestamp) { true, 1700000000, 123456789 };
        def->target.mtime = (StorageTimestamp) { true, 1700000001, 0 };
        def->target.ctime = (StorageTimestamp) { true, 1700000002, 5 };
        xml = storage_vol_def_format(def);
        g_assert_nonnull(strstr(xml, "    <timestamps>\n"
                                     "      <atime>1700000000.123456789</atime>\n"
                                     "      <mtime>1700000001</mtime>\n"
                                     "      <ctime>1700000002.000000005</ctime>\n"
                                     "    </timestamps>\n"));
        g_assert_null(strstr(xml, "btime"));
}

static void test_vol_copy(void) {
        const char *names[] = { "output-form", "logical-lv", "encryption-qcow-usage", "backing-store-perms",
                                "qcow2-cluster-nocow-l2", "permissions" };

        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                g_autoptr(StorageVolDef) def = parse_vol(names[i]);
                g_autoptr(StorageVolDef) copy = storage_vol_def_copy(def);
                g_autofree char *a = storage_vol_def_format(def);
                g_autofree char *b = NULL;

                g_clear_pointer(&def, storage_vol_def_free);
                b = storage_vol_def_format(copy);
                g_assert_cmpstr(a, ==, b);
        }
        storage_vol_def_free(NULL);
}

static void test_vol_flags(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(StorageVolDef) def = storage_vol_def_parse_string("<volume><name>v</name><capacity>1</capacity></volume>",
                                                                     STORAGE_POOL_DIR, 0x1, &error);

        g_assert_null(def);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG);
        g_clear_error(&error);
        def = storage_vol_def_parse_string("<volume><name>v</name><capacity>1</capacity></volume>",
                                           _STORAGE_POOL_TYPE_MAX, 0, &error);
        g_assert_null(def);
        g_assert_error(error, VMMD_ERROR, VMMD_ERROR_INVALID_ARG);
        g_clear_error(&error);
        /* a '/' in a volume name is the daemon's OperationInvalid (S37), not a parse error */
        def = storage_vol_def_parse_string("<volume><name>a/b</name><capacity>1</capacity></volume>",
                                           STORAGE_POOL_DIR, STORAGE_VOL_DEF_PARSE_VALIDATE, &error);
        g_assert_no_error(error);
        g_assert_cmpstr(def->name, ==, "a/b");
}

static void test_size_parse(void) {
        static const struct { const char *value, *unit; uint64_t bytes; } ok[] = {
                { "1", NULL, 1 }, { "1", "", 1 }, { "7", "b", 7 }, { "7", "bytes", 7 }, { "7", "B", 7 },
                { "1", "k", 1024 }, { "1", "KiB", 1024 }, { "1", "KB", 1000 }, { "1", "kb", 1000 },
                { "1", "M", 1048576 }, { "1", "MiB", 1048576 }, { "1", "MB", 1000000 },
                { "1", "G", 1073741824 }, { "1", "GiB", 1073741824 }, { "1", "GB", 1000000000 },
                { "1", "T", 1099511627776ULL }, { "1", "TiB", 1099511627776ULL }, { "1", "TB", 1000000000000ULL },
                { "1", "P", 1125899906842624ULL }, { "1", "PB", 1000000000000000ULL },
                { "1", "E", 1152921504606846976ULL }, { "1", "EiB", 1152921504606846976ULL },
                { "9", "EB", 9000000000000000000ULL }, { " 12 ", "bytes", 12 },
                { "9223372036854775807", NULL, 9223372036854775807ULL },
        };
        static const struct { const char *value, *unit; int code; } bad[] = {
                { "1", "x", VMMD_ERROR_INVALID_ARG }, { "1", "KiBB", VMMD_ERROR_INVALID_ARG },
                { "1", "Kx", VMMD_ERROR_INVALID_ARG }, { "1", "KXB", VMMD_ERROR_INVALID_ARG },
                { "9223372036854775808", NULL, VMMD_ERROR_INVALID_ARG },
                { "18446744073709551616", NULL, VMMD_ERROR_INVALID_ARG },
                { "8", "EiB", VMMD_ERROR_INVALID_ARG }, { "10", "EB", VMMD_ERROR_INVALID_ARG },
                { "", NULL, VMMD_ERROR_XML_ERROR }, { "-1", NULL, VMMD_ERROR_XML_ERROR },
                { "1.5", "G", VMMD_ERROR_XML_ERROR }, { "0x10", NULL, VMMD_ERROR_XML_ERROR },
                { NULL, NULL, VMMD_ERROR_XML_ERROR },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(ok); i++) {
                g_autoptr(GError) error = NULL;
                uint64_t v = 0;

                g_assert_true(storage_size_parse(ok[i].value, ok[i].unit, &v, &error));
                g_assert_no_error(error);
                g_assert_cmpuint(v, ==, ok[i].bytes);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                g_autoptr(GError) error = NULL;
                uint64_t v = 42;

                g_assert_false(storage_size_parse(bad[i].value, bad[i].unit, &v, &error));
                g_assert_error(error, VMMD_ERROR, bad[i].code);
                g_assert_cmpuint(v, ==, 42);
        }
}

static void test_path_sanitize(void) {
        static const char *const cases[][2] = {
                { "/", "/" }, { "//", "/" }, { "/a/b", "/a/b" }, { "/a/b/", "/a/b" }, { "//a///b//", "/a/b" },
                { "a//b", "a/b" }, { "rel/", "rel" }, { "", "" },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *s = storage_path_sanitize(cases[i][0]);
                g_assert_cmpstr(s, ==, cases[i][1]);
        }
        g_assert_null(storage_path_sanitize(NULL));
}

static void test_enum_strings(void) {
        for (int i = 0; i < _STORAGE_POOL_TYPE_MAX; i++)
                g_assert_cmpint(storage_pool_type_from_string(storage_pool_type_to_string(i)), ==, i);
        for (int i = 0; i < _STORAGE_VOL_TYPE_MAX; i++)
                g_assert_cmpint(storage_vol_type_from_string(storage_vol_type_to_string(i)), ==, i);
        for (int i = 0; i < _STORAGE_FILE_FORMAT_MAX; i++)
                g_assert_cmpint(storage_file_format_from_string(storage_file_format_to_string(i)), ==, i);
        for (int i = 0; i < _STORAGE_ENCRYPTION_FORMAT_MAX; i++)
                g_assert_cmpint(storage_encryption_format_from_string(storage_encryption_format_to_string(i)), ==, i);
        for (int i = 0; i < _STORAGE_POOL_REFRESH_ALLOC_MAX; i++)
                g_assert_cmpint(storage_pool_refresh_alloc_from_string(storage_pool_refresh_alloc_to_string(i)), ==, i);
        g_assert_cmpstr(storage_pool_type_to_string(STORAGE_POOL_ISCSI_DIRECT), ==, "iscsi-direct");
        g_assert_cmpstr(storage_file_format_to_string(STORAGE_FILE_FORMAT_QCOW2), ==, "qcow2");
        g_assert_cmpint(storage_vol_type_from_string("ploop"), ==, 5);
        g_assert_null(storage_pool_type_to_string(_STORAGE_POOL_TYPE_MAX));
        g_assert_cmpint(storage_file_format_from_string("vhdx"), ==, -1);
        g_assert_cmpint(storage_pool_type_from_string(NULL), ==, -1);
}

/* --- registration --- */

int main(int argc, char **argv) {
        static const UnitGolden pools = { "storagepool", "/storage-conf/pool/golden", "/storage-conf/pool/idempotent",
                                          pool_round_trip };
        static const UnitGolden vols = { "storagevol", "/storage-conf/vol/golden", "/storage-conf/vol/idempotent",
                                         vol_round_trip };

        g_test_init(&argc, &argv, NULL);
        unit_add_golden_tests(&pools);
        unit_add_golden_tests(&vols);
        for (size_t i = 0; i < G_N_ELEMENTS(pool_errors); i++) {
                g_autofree char *path = g_strdup_printf("/storage-conf/pool/error/%s", pool_errors[i].file);
                g_test_add_data_func(path, &pool_errors[i], test_pool_error);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(vol_errors); i++) {
                g_autofree char *path = g_strdup_printf("/storage-conf/vol/error/%s", vol_errors[i].file);
                g_test_add_data_func(path, &vol_errors[i], test_vol_error);
        }
        g_test_add_func("/storage-conf/error-tables-complete", test_error_tables_complete);
        g_test_add_func("/storage-conf/pool/fields", test_pool_fields);
        g_test_add_func("/storage-conf/pool/inactive-format", test_pool_inactive_format);
        g_test_add_func("/storage-conf/pool/copy", test_pool_copy);
        g_test_add_func("/storage-conf/pool/generated-uuid", test_pool_generated_uuid);
        g_test_add_func("/storage-conf/pool/flags-and-empty", test_pool_flags_and_empty);
        g_test_add_func("/storage-conf/vol/fields", test_vol_fields);
        g_test_add_func("/storage-conf/vol/timestamps", test_vol_timestamps);
        g_test_add_func("/storage-conf/vol/copy", test_vol_copy);
        g_test_add_func("/storage-conf/vol/flags", test_vol_flags);
        g_test_add_func("/storage-conf/size-parse", test_size_parse);
        g_test_add_func("/storage-conf/path-sanitize", test_path_sanitize);
        g_test_add_func("/storage-conf/enum-strings", test_enum_strings);
        return g_test_run();
}
