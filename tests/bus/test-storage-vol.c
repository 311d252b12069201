/* Bus tests for vmmd-storage volumes of dir pools: discovery, create, clone, delete, wipe,
 * resize, lookups (spec storage.md S25–S59, S65, S68, S69). */
#include "test-storage-common.h"

static char *vol_file(TestBus *tb, const char *pool, const char *name) {
        g_autofree char *dir = st_pool_dir(tb, pool);
        return g_build_filename(dir, name, NULL);
}

static char *qemu_img_info(const char *file) {
        g_autofree char *cmd = g_strdup_printf("qemu-img info --output=json -U '%s'", file);
        return st_sh(cmd);
}

static void assert_error(int r, const sd_bus_error *e, const char *name, const char *what) {
        if (r >= 0 || !sd_bus_error_is_set(e) || !g_str_equal(e->name, name))
                g_error("%s: expected %s, got %s: %s", what, name, e->name ? e->name : "success",
                        e->message ? e->message : "");
}

/* S25–S31: what a refresh finds in the directory */
static void test_discovery(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *dir = st_pool_dir(tb, "p");
        g_autofree char *cmd = g_strdup_printf(
                "cd '%s' && truncate -s 1M a.raw && qemu-img create -q -f qcow2 b.qcow2 10M && "
                "qemu-img create -q -f qcow2 -b b.qcow2 -F qcow2 c.qcow2 && mkdir d && mkfifo fifo && "
                "ln -s nowhere dangling && touch \"$(printf 'bad\\nname')\" && "
                "printf 'QFI\\373garbage' > broken.qcow2 && truncate -s 1M broken.qcow2 && "
                "truncate -s 64K disc.iso && printf 'CD001' | dd of=disc.iso bs=1 seek=32769 conv=notrunc status=none",
                dir);
        g_auto(GStrv) vols = NULL;
        g_autoptr(GString) names = g_string_new(NULL);

        g_free(st_sh(cmd));
        st_ok(tb, p, ST_POOL_IFACE, "Refresh", "u", 0);
        vols = st_list_vols(tb, p);
        for (char **v = vols; *v; v++) {
                g_autofree char *n = st_prop_s(tb, *v, ST_VOL_IFACE, "Name");
                g_string_append_printf(names, "%s%s", names->len ? "," : "", n);
        }
        /* S68: sorted by name; fifo, dangling link and the name with a control character skipped */
        g_assert_cmpstr(names->str, ==, "a.raw,b.qcow2,broken.qcow2,c.qcow2,d,disc.iso");
        {
                g_autofree char *a = vol_file(tb, "p", "a.raw");
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *va = st_lookup(tb, "StorageVolLookupByPath", a, &e);
                g_autofree char *xml = st_get_xml(tb, va, ST_VOL_IFACE, 0);
                g_autofree char *fmt = st_xpath(xml, "/volume/target/format/@type");
                g_autofree char *cap = st_xpath(xml, "/volume/capacity");
                g_autofree char *alloc = st_xpath(xml, "/volume/allocation");
                g_autofree char *key = st_xpath(xml, "/volume/key");
                g_assert_cmpstr(fmt, ==, "raw");
                g_assert_cmpstr(cap, ==, "1048576");
                g_assert_cmpuint(g_ascii_strtoull(alloc, NULL, 10), <=, 4096);
                g_assert_cmpstr(key, ==, a);
        }
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *vb = st_vol_lookup(tb, p, "b.qcow2", &e);
                g_autofree char *xml = st_get_xml(tb, vb, ST_VOL_IFACE, 0);
                g_autofree char *fmt = st_xpath(xml, "/volume/target/format/@type");
                g_autofree char *cap = st_xpath(xml, "/volume/capacity");
                g_autofree char *compat = st_xpath(xml, "/volume/target/compat");
                g_assert_cmpstr(fmt, ==, "qcow2");
                g_assert_cmpstr(cap, ==, "10485760");
                g_assert_cmpstr(compat, ==, "1.1");
        }
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *vc = st_vol_lookup(tb, p, "c.qcow2", &e);
                g_autofree char *xml = st_get_xml(tb, vc, ST_VOL_IFACE, 0);
                g_autofree char *bpath = st_xpath(xml, "/volume/backingStore/path");
                g_autofree char *bfmt = st_xpath(xml, "/volume/backingStore/format/@type");
                g_autofree char *b = vol_file(tb, "p", "b.qcow2");
                g_assert_cmpstr(bpath, ==, b);
                g_assert_cmpstr(bfmt, ==, "qcow2");
        }
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *vd = st_vol_lookup(tb, p, "d", &e);
                int type;
                uint64_t cap, alloc;
                st_vol_info(tb, vd, 0, &type, &cap, &alloc);
                g_assert_cmpint(type, ==, 2);
                g_assert_cmpint(test_prop_int_to(tb, vd), ==, 2);
        }
        {
                /* S29: a corrupt image is raw with its file size; S28: ISO signature */
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *vx = st_vol_lookup(tb, p, "broken.qcow2", &e);
                g_autofree char *vi = st_vol_lookup(tb, p, "disc.iso", &e);
                g_autofree char *x1 = st_get_xml(tb, vx, ST_VOL_IFACE, 0);
                g_autofree char *x2 = st_get_xml(tb, vi, ST_VOL_IFACE, 0);
                g_autofree char *f1 = st_xpath(x1, "/volume/target/format/@type");
                g_autofree char *c1 = st_xpath(x1, "/volume/capacity");
                g_autofree char *f2 = st_xpath(x2, "/volume/target/format/@type");
                g_assert_cmpstr(f1, ==, "raw");
                g_assert_cmpstr(c1, ==, "1048576");
                g_assert_cmpstr(f2, ==, "iso");
        }
}

/* S30: a missing backing file is listed with format raw */
static void test_missing_backing(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *dir = st_pool_dir(tb, "p");
        g_autofree char *cmd = g_strdup_printf("cd '%s' && qemu-img create -q -f qcow2 base 1M && "
                                               "qemu-img create -q -f qcow2 -u -b base -F raw child 1M && rm base", dir);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *v = NULL, *xml = NULL, *bfmt = NULL, *bpath = NULL, *base = vol_file(tb, "p", "base");

        g_free(st_sh(cmd));
        st_ok(tb, p, ST_POOL_IFACE, "Refresh", "u", 0);
        v = st_vol_lookup(tb, p, "child", &e);
        g_assert_nonnull(v);
        xml = st_get_xml(tb, v, ST_VOL_IFACE, 0);
        bpath = st_xpath(xml, "/volume/backingStore/path");
        bfmt = st_xpath(xml, "/volume/backingStore/format/@type");
        g_assert_cmpstr(bpath, ==, base);
        g_assert_cmpstr(bfmt, ==, "raw");
}

/* S37–S40: raw volumes, the checks before them */
static void test_create_raw(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *x1 = st_vol_xml("sparse.img", 1ull << 30, 0, NULL, NULL);
        g_autofree char *x2 = st_vol_xml("full.img", 64 << 20, -1, "raw", NULL);
        g_autofree char *v1 = NULL, *v2 = NULL, *f1 = vol_file(tb, "p", "sparse.img"), *f2 = vol_file(tb, "p", "full.img");
        g_autofree char *path = NULL, *key = NULL, *pool = NULL, *xml = NULL;
        struct stat st;

        test_bus_clear_signals(tb);
        v1 = st_vol_create_ok(tb, p, x1, 0);
        g_assert_cmpint(stat(f1, &st), ==, 0);
        g_assert_cmpint(st.st_size, ==, 1 << 30);
        g_assert_cmpint(st.st_blocks, <=, 8);
        g_assert_cmpint(st.st_mode & 07777, ==, 0600);
        path = st_prop_s(tb, v1, ST_VOL_IFACE, "Path");
        key = st_prop_s(tb, v1, ST_VOL_IFACE, "Key");
        g_assert_cmpstr(path, ==, f1);
        g_assert_cmpstr(key, ==, f1);
        {
                g_autoptr(sd_bus_message) reply = NULL;
                const char *o;
                g_assert_cmpint(sd_bus_get_property(tb->bus, ST, v1, ST_VOL_IFACE, "Pool", NULL, &reply, "o"), >=, 0);
                g_assert_cmpint(sd_bus_message_read(reply, "o", &o), >=, 0);
                g_assert_cmpstr(o, ==, p);
        }
        /* S45: no Refresh() for a single create */
        g_assert_cmpint(st_count_signals(tb, "Refresh", p), ==, 0);

        v2 = st_vol_create_ok(tb, p, x2, 0);
        g_assert_cmpint(stat(f2, &st), ==, 0);
        g_assert_cmpint(st.st_size, ==, 64 << 20);
        g_assert_cmpint((int64_t) st.st_blocks * 512, >=, 64 << 20);
        xml = st_get_xml(tb, v2, ST_VOL_IFACE, 0);
        {
                g_autofree char *fmt = st_xpath(xml, "/volume/target/format/@type");
                g_autofree char *mode = st_xpath(xml, "/volume/target/permissions/mode");
                g_assert_cmpstr(fmt, ==, "raw");
                g_assert_cmpstr(mode, ==, "0600");
        }
        {
                /* mode given */
                g_autofree char *x = st_vol_xml("m.img", 4096, 0, "raw", NULL);
                g_autofree char *xm = NULL, *v = NULL, *f = vol_file(tb, "p", "m.img");
                xm = g_strdup("<volume><name>m.img</name><capacity>4</capacity><target><format type='raw'/>"
                              "<permissions><mode>0640</mode></permissions></target></volume>");
                v = st_vol_create_ok(tb, p, xm, 0);
                g_assert_cmpint(stat(f, &st), ==, 0);
                g_assert_cmpint(st.st_mode & 07777, ==, 0640);
                g_assert_cmpint(st.st_size, ==, 4);
                (void) x;
        }

        /* the errors; nothing is created */
        {
                g_autofree char *stray = vol_file(tb, "p", "stray.img");
                g_autofree char *before = NULL, *after = NULL, *dir = st_pool_dir(tb, "p");
                const struct {
                        const char *xml;
                        unsigned flags;
                        const char *error;
                } bad[] = {
                        { "<volume><name>a/b</name><capacity>1</capacity></volume>", 0, VMMD_DBUS_ERROR_OPERATION_INVALID },
                        { "<volume><name>full.img</name><capacity>1</capacity></volume>", 0,
                          VMMD_DBUS_ERROR_STORAGE_VOL_EXIST },
                        { "<volume><name>stray.img</name><capacity>1</capacity></volume>", 0,
                          VMMD_DBUS_ERROR_OPERATION_INVALID },
                        { "<volume><name>nocap</name></volume>", 0, VMMD_DBUS_ERROR_XML_ERROR },
                        { "<volume><name>r</name><capacity>1</capacity></volume>", 1, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED },
                        { "<volume><name>r</name><capacity>1</capacity><backingStore><path>full.img</path>"
                          "</backingStore></volume>", 0, VMMD_DBUS_ERROR_NO_SUPPORT },
                        { "<volume><name>r</name><capacity>1</capacity></volume>", 2, VMMD_DBUS_ERROR_INVALID_ARG },
                        { "<volume><name>r</name><capacity>1</capacity></volume>", 8, VMMD_DBUS_ERROR_INVALID_ARG },
                        { "<volume><name>r</name><capacity>1</capacity><bogus/></volume>", 4,
                          VMMD_DBUS_ERROR_XML_INVALID_SCHEMA },
                        { "<volume><name>r</name><capacity unit='zz'>1</capacity></volume>", 0,
                          VMMD_DBUS_ERROR_INVALID_ARG },
                        { "<volume><name>r</name><capacity>1</capacity><target><format type='vmdk'/></target></volume>", 1,
                          VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED },
                        { "<volume><name>r</name><capacity>1</capacity><target><format type='raw'/><compat>1.1</compat>"
                          "</target></volume>", 0, VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED },
                        { "<volume><name>r</name><capacity>1</capacity><target><format type='qcow2'/><compat>x</compat>"
                          "</target></volume>", 0, VMMD_DBUS_ERROR_XML_ERROR },
                        { "<volume><name>r</name><capacity>1</capacity><target><format type='qcow2'/><compat>0.10"
                          "</compat><features><lazy_refcounts/></features></target></volume>", 0,
                          VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED },
                        { "<volume><name>r</name><target><format type='qcow2'/></target><backingStore><path>nope</path>"
                          "</backingStore></volume>", 0, VMMD_DBUS_ERROR_SYSTEM_ERROR },
                        { "<volume><name>r</name><capacity>1</capacity><target><format type='qcow2'/></target>"
                          "<backingStore><path>full.img</path></backingStore></volume>", 1,
                          VMMD_DBUS_ERROR_CONFIG_UNSUPPORTED },
                };
                test_write_file(stray, "mine");
                before = test_dir_snapshot(dir);
                for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                        g_autofree char *what = g_strdup_printf("case %zu", i);
                        g_autofree char *v = st_vol_create(tb, p, bad[i].xml, bad[i].flags, &e);
                        assert_error(v ? 0 : -1, &e, bad[i].error, what);
                }
                after = test_dir_snapshot(dir);
                g_assert_cmpstr(after, ==, before);
                {
                        g_autofree char *c = test_read_file(stray);
                        g_assert_cmpstr(c, ==, "mine");
                }
        }
}

/* S41–S44: qcow2 through qemu-img, backing stores, directories */
static void test_create_qcow2(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *base = vol_file(tb, "p", "base.qcow2");
        const char *xb = "<volume><name>base.qcow2</name><capacity unit='MiB'>10</capacity>"
                         "<target><format type='qcow2'/><features><lazy_refcounts/></features></target></volume>";
        const char *xc = "<volume><name>child</name><target><format type='qcow2'/></target>"
                         "<backingStore><path>base.qcow2</path></backingStore></volume>";
        const char *xp = "<volume><name>pre.qcow2</name><capacity unit='MiB'>8</capacity><allocation>0</allocation>"
                         "<target><format type='qcow2'/><compat>0.10</compat></target></volume>";
        const char *xd = "<volume><name>sub</name><capacity>0</capacity><target><format type='dir'/>"
                         "<permissions><mode>0755</mode></permissions></target></volume>";
        g_autofree char *vb = st_vol_create_ok(tb, p, xb, 0);
        g_autofree char *info = qemu_img_info(base);
        g_autofree char *vc = NULL, *xml = NULL, *vp = NULL, *vd = NULL;
        struct stat st;

        g_assert_nonnull(strstr(info, "\"format\": \"qcow2\""));
        g_assert_nonnull(strstr(info, "\"virtual-size\": 10485760"));
        g_assert_nonnull(strstr(info, "\"compat\": \"1.1\""));
        g_assert_nonnull(strstr(info, "\"lazy-refcounts\": true"));
        g_assert_cmpint(stat(base, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0600);

        /* S43: no capacity: the backing file's; its format probed; the path made absolute */
        vc = st_vol_create_ok(tb, p, xc, 0);
        xml = st_get_xml(tb, vc, ST_VOL_IFACE, 0);
        {
                g_autofree char *cap = st_xpath(xml, "/volume/capacity");
                g_autofree char *bpath = st_xpath(xml, "/volume/backingStore/path");
                g_autofree char *bfmt = st_xpath(xml, "/volume/backingStore/format/@type");
                g_assert_cmpstr(cap, ==, "10485760");
                g_assert_cmpstr(bpath, ==, base);
                g_assert_cmpstr(bfmt, ==, "qcow2");
        }

        /* S41: preallocation=metadata: the file is as long as the disk, holes aside */
        vp = st_vol_create_ok(tb, p, xp, 1);
        {
                g_autofree char *f = vol_file(tb, "p", "pre.qcow2");
                g_autofree char *i2 = qemu_img_info(f);
                g_assert_nonnull(strstr(i2, "\"compat\": \"0.10\""));
                g_assert_cmpint(stat(f, &st), ==, 0);
                g_assert_cmpint(st.st_size, >=, 8 << 20);
        }

        /* S41: qemu-img's refusal is OperationFailed with its words; no file remains */
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_autofree char *f = vol_file(tb, "p", "bad.qcow2");
                g_autofree char *v = st_vol_create(tb, p, "<volume><name>bad.qcow2</name><capacity>1048576</capacity>"
                                                   "<target><format type='qcow2'/><clusterSize>1000</clusterSize>"
                                                   "</target></volume>", 0, &e);
                g_assert_null(v);
                assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, "luster size");
                g_assert_false(g_file_test(f, G_FILE_TEST_EXISTS));
                g_assert_null(st_vol_lookup(tb, p, "bad.qcow2", &e));
        }

        /* S44 */
        vd = st_vol_create_ok(tb, p, xd, 0);
        {
                g_autofree char *f = vol_file(tb, "p", "sub");
                int type;
                uint64_t cap, alloc;
                g_assert_cmpint(stat(f, &st), ==, 0);
                g_assert_true(S_ISDIR(st.st_mode));
                g_assert_cmpint(st.st_mode & 07777, ==, 0755);
                st_vol_info(tb, vd, 0, &type, &cap, &alloc);
                g_assert_cmpint(type, ==, 2);
        }
}

/* S46–S50: clones within and across pools, raw and through qemu-img */
static void test_clone(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *q = st_dir_pool(tb, "q", UUID2, true);
        g_autofree char *r = st_dir_pool(tb, "r", UUID3, false);
        g_autofree char *dir = st_pool_dir(tb, "p");
        g_autofree char *cmd = g_strdup_printf(
                "cd '%s' && head -c 3M /dev/urandom > data.bin && truncate -s 20M data.bin && "
                "qemu-img convert -f raw -O qcow2 data.bin base.qcow2 && "
                "qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 top.qcow2 && "
                "dd if=/dev/urandom of=sparse.raw bs=1M count=1 "
                "seek=7 status=none && truncate -s 16M sparse.raw", dir);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *src_qcow = NULL, *src_top = NULL, *src_raw = NULL;
        g_autofree char *c1 = NULL, *c2 = NULL, *c3 = NULL;
        g_autofree char *f1 = vol_file(tb, "q", "copy.raw"), *f3 = vol_file(tb, "p", "sparse-copy.raw");
        g_autofree char *fbase = vol_file(tb, "p", "base.qcow2"), *ftop = vol_file(tb, "p", "top.qcow2");
        g_autofree char *fsparse = vol_file(tb, "p", "sparse.raw");
        struct stat st;

        g_free(st_sh(cmd));
        st_ok(tb, p, ST_POOL_IFACE, "Refresh", "u", 0);
        src_qcow = st_vol_lookup(tb, p, "base.qcow2", &e);
        src_top = st_vol_lookup(tb, p, "top.qcow2", &e);
        src_raw = st_vol_lookup(tb, p, "sparse.raw", &e);
        g_assert_nonnull(src_raw);

        /* S50: a 20 MiB qcow2 holding data into a raw volume of another pool */
        {
                g_autofree char *x = st_vol_xml("copy.raw", 0, -1, "raw", NULL);
                g_autofree char *cmp = NULL;
                c1 = st_vol_clone(tb, q, x, src_qcow, 0, &e);
                if (!c1)
                        g_error("clone: %s: %s", e.name, e.message);
                cmp = g_strdup_printf("qemu-img compare -q -f qcow2 -F raw '%s' '%s' && echo same", fbase, f1);
                g_free(cmp);
                cmp = g_strdup_printf("qemu-img compare -f qcow2 -F raw '%s' '%s'", fbase, f1);
                g_free(st_sh(cmp));
                g_assert_cmpint(stat(f1, &st), ==, 0);
                g_assert_cmpint(st.st_size, ==, 20 << 20);
        }
        /* a qcow2 with a backing chain: the clone holds the whole chain's data */
        {
                g_autofree char *x = st_vol_xml("flat.qcow2", 0, -1, "qcow2", NULL);
                g_autofree char *cmp = NULL, *info = NULL, *ff = vol_file(tb, "q", "flat.qcow2");
                c2 = st_vol_clone(tb, q, x, src_top, 0, &e);
                if (!c2)
                        g_error("clone: %s: %s", e.name, e.message);
                cmp = g_strdup_printf("qemu-img compare '%s' '%s'", ftop, ff);
                g_free(st_sh(cmp));
                info = qemu_img_info(ff);
                g_assert_null(strstr(info, "backing-filename"));
        }
        /* S47: a clone to a larger qcow2 is grown by qemu-img resize after the copy (in a second
         * helper, issue 11); the reply comes once it is done */
        {
                g_autofree char *x = st_vol_xml("grown.qcow2", 64 << 20, -1, "qcow2", NULL);
                g_autofree char *info = NULL, *fg = vol_file(tb, "q", "grown.qcow2"), *cmp = NULL;
                g_autofree char *grown = st_vol_clone(tb, q, x, src_qcow, 0, &e);
                int type;
                uint64_t cap, alloc;

                if (!grown)
                        g_error("clone: %s: %s", e.name, e.message);
                info = qemu_img_info(fg);
                g_assert_nonnull(strstr(info, "\"virtual-size\": 67108864"));
                st_vol_info(tb, grown, 0, &type, &cap, &alloc);
                g_assert_cmpuint(cap, ==, 64 << 20);
                cmp = g_strdup_printf("qemu-img compare '%s' '%s'", fbase, fg);
                g_free(st_sh(cmp));
        }
        /* S48: raw to raw in the same pool, sparse where allocation is below the capacity */
        {
                g_autofree char *x = st_vol_xml("sparse-copy.raw", 32 << 20, 0, "raw", NULL);
                g_autofree char *cmp = NULL;
                c3 = st_vol_clone(tb, p, x, src_raw, 0, &e);
                if (!c3)
                        g_error("clone: %s: %s", e.name, e.message);
                g_assert_cmpint(stat(f3, &st), ==, 0);
                g_assert_cmpint(st.st_size, ==, 32 << 20);        /* S47: the larger capacity */
                g_assert_cmpint((int64_t) st.st_blocks * 512, <=, 2 << 20);
                cmp = g_strdup_printf("cmp -n 16777216 '%s' '%s'", fsparse, f3);
                g_free(st_sh(cmp));
        }
        /* the source is never changed and stays listed */
        {
                int type;
                uint64_t cap, alloc;
                st_vol_info(tb, src_qcow, 0, &type, &cap, &alloc);
                g_assert_cmpuint(cap, ==, 20 << 20);
        }
        /* S46, S47, S49: the errors */
        {
                g_autofree char *x = st_vol_xml("copy.raw", 0, -1, "raw", NULL);
                g_autofree char *x2 = st_vol_xml("new.raw", 0, -1, "raw", NULL);
                g_autofree char *gone = g_strdup_printf("%s/volume/nothing", p);
                g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL, e3 = SD_BUS_ERROR_NULL,
                                     e4 = SD_BUS_ERROR_NULL, e5 = SD_BUS_ERROR_NULL, e6 = SD_BUS_ERROR_NULL;
                g_autofree char *f = vol_file(tb, "q", "new.raw");
                g_autofree char *v = st_vol_clone(tb, q, x, src_qcow, 0, &e1);
                assert_error(v ? 0 : -1, &e1, VMMD_DBUS_ERROR_STORAGE_VOL_EXIST, "existing name");
                v = st_vol_clone(tb, q, x2, STORAGE_MANAGER_PATH, 0, &e2);
                assert_error(v ? 0 : -1, &e2, VMMD_DBUS_ERROR_INVALID_ARG, "not a volume path");
                v = st_vol_clone(tb, q, x2, gone, 0, &e3);
                assert_error(v ? 0 : -1, &e3, VMMD_DBUS_ERROR_NO_STORAGE_VOL, "gone source");
                v = st_vol_clone(tb, r, x2, src_raw, 0, &e4);
                assert_error(v ? 0 : -1, &e4, VMMD_DBUS_ERROR_OPERATION_INVALID, "inactive target pool");
                v = st_vol_clone(tb, q, x2, src_raw, 2, &e5);   /* REFLINK: not on ext4/tmpfs */
                if (v)
                        g_test_message("FICLONE is supported here; the reflink clone succeeded");
                else {
                        assert_error(-1, &e5, VMMD_DBUS_ERROR_SYSTEM_ERROR, "reflink");
                        g_assert_false(g_file_test(f, G_FILE_TEST_EXISTS));
                }
                v = st_vol_clone(tb, q, x2, src_raw, 8, &e6);
                assert_error(v ? 0 : -1, &e6, VMMD_DBUS_ERROR_INVALID_ARG, "unknown flag");
        }
        {
                /* S46: the source pool inactive */
                g_auto(sd_bus_error) e7 = SD_BUS_ERROR_NULL;
                g_autofree char *x = st_vol_xml("other.raw", 0, -1, "raw", NULL);
                g_autofree char *v = NULL;
                st_ok(tb, q, ST_POOL_IFACE, "Destroy", NULL);
                v = st_vol_clone(tb, p, x, c1, 0, &e7);
                assert_error(v ? 0 : -1, &e7, VMMD_DBUS_ERROR_OPERATION_INVALID, "inactive source pool");
        }
}

/* S51, S52: delete */
static void test_delete(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *x1 = st_vol_xml("a.img", 8 << 20, -1, "raw", NULL);
        g_autofree char *x2 = st_vol_xml("b.img", 1 << 20, -1, "raw", NULL);
        g_autofree char *xd = g_strdup("<volume><name>d</name><capacity>0</capacity><target><format type='dir'/>"
                                       "</target></volume>");
        g_autofree char *v1 = st_vol_create_ok(tb, p, x1, 0);
        g_autofree char *v2 = st_vol_create_ok(tb, p, x2, 0);
        g_autofree char *vd = st_vol_create_ok(tb, p, xd, 0);
        g_autofree char *f1 = vol_file(tb, "p", "a.img"), *f2 = vol_file(tb, "p", "b.img"), *fd = vol_file(tb, "p", "d");
        g_autofree char *inner = g_build_filename(fd, "x", NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL, e3 = SD_BUS_ERROR_NULL;
        uint64_t before = st_prop_t(tb, p, "Available");
        g_auto(GStrv) vols = NULL;

        test_bus_clear_signals(tb);
        st_ok(tb, v1, ST_VOL_IFACE, "Delete", "u", 0);
        g_assert_false(g_file_test(f1, G_FILE_TEST_EXISTS));
        g_assert_cmpint(test_bus_find_signal(tb, "InterfacesRemoved", v1, 0), >=, 0);
        g_assert_cmpuint(st_prop_t(tb, p, "Available"), >=, before + (7 << 20));   /* S23 */
        g_assert_null(st_vol_lookup(tb, p, "a.img", &e));
        assert_bus_error(&e, VMMD_DBUS_ERROR_NO_STORAGE_VOL);

        /* already gone behind the daemon's back: still fine */
        g_assert_cmpint(unlink(f2), ==, 0);
        g_assert_cmpint(st_call(tb, v2, ST_VOL_IFACE, "Delete", &e2, NULL, "u", VOL_DELETE_WITH_SNAPSHOTS), <, 0);
        assert_bus_error(&e2, VMMD_DBUS_ERROR_INVALID_ARG);
        st_ok(tb, v2, ST_VOL_IFACE, "Delete", "u", 0);

        test_write_file(inner, "x");
        g_assert_cmpint(st_call(tb, vd, ST_VOL_IFACE, "Delete", &e3, NULL, "u", 0), <, 0);
        assert_bus_error(&e3, VMMD_DBUS_ERROR_SYSTEM_ERROR);
        g_assert_cmpint(unlink(inner), ==, 0);
        st_ok(tb, vd, ST_VOL_IFACE, "Delete", "u", 0);
        g_assert_false(g_file_test(fd, G_FILE_TEST_EXISTS));

        /* S52: ZEROED wipes, then removes */
        {
                g_autofree char *x = st_vol_xml("z.img", 4 << 20, -1, "raw", NULL);
                g_autofree char *v = st_vol_create_ok(tb, p, x, 0);
                g_autofree char *f = vol_file(tb, "p", "z.img");
                st_ok(tb, v, ST_VOL_IFACE, "Delete", "u", VOL_DELETE_ZEROED);
                g_assert_false(g_file_test(f, G_FILE_TEST_EXISTS));
        }
        vols = st_list_vols(tb, p);
        g_assert_cmpuint(g_strv_length(vols), ==, 0);
}

static bool file_is_zero(const char *path) {
        g_autofree char *data = NULL;
        gsize len = 0;

        g_assert_true(g_file_get_contents(path, &data, &len, NULL));
        for (gsize i = 0; i < len; i++)
                if (data[i])
                        return false;
        return true;
}

/* S53–S56: wipe */
static void test_wipe(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *dir = st_pool_dir(tb, "p");
        g_autofree char *cmd = g_strdup_printf(
                "cd '%s' && head -c 4M /dev/zero | tr '\\0' '\\252' > aa.img && head -c 64M /dev/urandom > big.img && "
                "dd if=/dev/urandom of=holes.img bs=1M count=1 seek=3 status=none && truncate -s 8M holes.img && "
                "qemu-img create -q -f qcow2 -o preallocation=falloc q.qcow2 1M", dir);
        g_autofree char *aa = vol_file(tb, "p", "aa.img"), *big = vol_file(tb, "p", "big.img");
        g_autofree char *holes = vol_file(tb, "p", "holes.img");
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        g_autofree char *va = NULL, *vb = NULL, *vh = NULL, *vq = NULL;
        struct stat st;

        g_free(st_sh(cmd));
        st_ok(tb, p, ST_POOL_IFACE, "Refresh", "u", 0);
        va = st_vol_lookup(tb, p, "aa.img", &e);
        vb = st_vol_lookup(tb, p, "big.img", &e);
        vh = st_vol_lookup(tb, p, "holes.img", &e);
        vq = st_vol_lookup(tb, p, "q.qcow2", &e);
        g_assert_nonnull(vq);

        {
                g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL, e3 = SD_BUS_ERROR_NULL,
                                     e4 = SD_BUS_ERROR_NULL;
                g_assert_cmpint(st_call(tb, va, ST_VOL_IFACE, "WipePattern", &e1, NULL, "uu", 10, 0), <, 0);
                assert_bus_error(&e1, VMMD_DBUS_ERROR_INVALID_ARG, "wiping algorithm 10 not supported");
                g_assert_cmpint(st_call(tb, va, ST_VOL_IFACE, "WipePattern", &e2, NULL, "uu", 0, 1), <, 0);
                assert_bus_error(&e2, VMMD_DBUS_ERROR_INVALID_ARG);
                g_assert_cmpint(st_call(tb, va, ST_VOL_IFACE, "WipePattern", &e3, NULL, "uu", 9, 0), <, 0);
                assert_bus_error(&e3, VMMD_DBUS_ERROR_ARGUMENT_UNSUPPORTED);
                if (!g_find_program_in_path("scrub")) {
                        g_assert_cmpint(st_call(tb, va, ST_VOL_IFACE, "WipePattern", &e4, NULL, "uu", 1, 0), <, 0);
                        assert_bus_error(&e4, VMMD_DBUS_ERROR_OPERATION_FAILED, "scrub");
                }
        }
        st_ok(tb, va, ST_VOL_IFACE, "Wipe", "u", 0);
        g_assert_true(file_is_zero(aa));
        g_assert_cmpint(stat(aa, &st), ==, 0);
        g_assert_cmpint(st.st_size, ==, 4 << 20);

        st_ok(tb, vb, ST_VOL_IFACE, "WipePattern", "uu", 0, 0);
        g_assert_true(file_is_zero(big));

        /* S55: a sparse file stays sparse */
        st_ok(tb, vh, ST_VOL_IFACE, "Wipe", "u", 0);
        g_assert_true(file_is_zero(holes));
        g_assert_cmpint(stat(holes, &st), ==, 0);
        g_assert_cmpint(st.st_size, ==, 8 << 20);
        g_assert_cmpint(st.st_blocks, ==, 0);

        /* S56: a wiped qcow2 is raw now, its capacity the file size */
        st_ok(tb, vq, ST_VOL_IFACE, "Wipe", "u", 0);
        {
                g_autofree char *xml = st_get_xml(tb, vq, ST_VOL_IFACE, 0);
                g_autofree char *fmt = st_xpath(xml, "/volume/target/format/@type");
                g_autofree char *cap = st_xpath(xml, "/volume/capacity");
                g_autofree char *f = vol_file(tb, "p", "q.qcow2");
                g_assert_cmpstr(fmt, ==, "raw");
                g_assert_cmpint(stat(f, &st), ==, 0);
                g_assert_cmpuint(g_ascii_strtoull(cap, NULL, 10), ==, (uint64_t) st.st_size);
        }
}

/* S57–S59: resize */
static void test_resize(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *xs = st_vol_xml("s.img", 1 << 20, 0, "raw", NULL);
        g_autofree char *xf = st_vol_xml("f.img", 1 << 20, -1, "raw", NULL);
        g_autofree char *xq = st_vol_xml("q.qcow2", 1 << 20, -1, "qcow2", NULL);
        g_autofree char *vs = st_vol_create_ok(tb, p, xs, 0);
        g_autofree char *vf = st_vol_create_ok(tb, p, xf, 0);
        g_autofree char *vq = st_vol_create_ok(tb, p, xq, 0);
        g_autofree char *fq = vol_file(tb, "p", "q.qcow2");
        int type;
        uint64_t cap, alloc;

        st_ok(tb, vs, ST_VOL_IFACE, "Resize", "tu", (uint64_t) 2 << 20, 0);
        st_vol_info(tb, vs, 0, &type, &cap, &alloc);
        g_assert_cmpuint(cap, ==, 2 << 20);
        st_ok(tb, vs, ST_VOL_IFACE, "Resize", "tu", (uint64_t) 1 << 20, VOL_RESIZE_DELTA);
        st_vol_info(tb, vs, 0, &type, &cap, &alloc);
        g_assert_cmpuint(cap, ==, 3 << 20);
        {
                g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                g_assert_cmpint(st_call(tb, vs, ST_VOL_IFACE, "Resize", &e, NULL, "tu", (uint64_t) 1 << 20, 0), <, 0);
                assert_bus_error(&e, VMMD_DBUS_ERROR_INVALID_ARG, "shrink");
        }
        st_ok(tb, vs, ST_VOL_IFACE, "Resize", "tu", (uint64_t) 1 << 20, VOL_RESIZE_SHRINK);
        st_vol_info(tb, vs, 0, &type, &cap, &alloc);
        g_assert_cmpuint(cap, ==, 1 << 20);
        st_ok(tb, vs, ST_VOL_IFACE, "Resize", "tu", (uint64_t) 5 << 20,
              VOL_RESIZE_DELTA | VOL_RESIZE_SHRINK);   /* floored at 0 */
        st_vol_info(tb, vs, 0, &type, &cap, &alloc);
        g_assert_cmpuint(cap, ==, 0);
        st_ok(tb, vs, ST_VOL_IFACE, "Resize", "tu", (uint64_t) 4 << 20, VOL_RESIZE_ALLOCATE);
        st_vol_info(tb, vs, 0, &type, &cap, &alloc);
        g_assert_cmpuint(cap, ==, 4 << 20);
        g_assert_cmpuint(alloc, >=, 4 << 20);
        {
                g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL, e3 = SD_BUS_ERROR_NULL,
                                     e4 = SD_BUS_ERROR_NULL;
                /* a fully allocated raw volume cannot shrink */
                g_assert_cmpint(st_call(tb, vf, ST_VOL_IFACE, "Resize", &e1, NULL, "tu", (uint64_t) 4096, VOL_RESIZE_SHRINK), <, 0);
                assert_bus_error(&e1, VMMD_DBUS_ERROR_INVALID_ARG, "below existing allocation");
                g_assert_cmpint(st_call(tb, vq, ST_VOL_IFACE, "Resize", &e2, NULL, "tu", (uint64_t) 8 << 20, VOL_RESIZE_ALLOCATE), <, 0);
                assert_bus_error(&e2, VMMD_DBUS_ERROR_OPERATION_UNSUPPORTED);
                g_assert_cmpint(st_call(tb, vs, ST_VOL_IFACE, "Resize", &e3, NULL, "tu", (uint64_t) 1 << 62,
                                        VOL_RESIZE_ALLOCATE), <, 0);
                assert_bus_error(&e3, VMMD_DBUS_ERROR_OPERATION_FAILED, "Not enough space");
                g_assert_cmpint(st_call(tb, vs, ST_VOL_IFACE, "Resize", &e4, NULL, "tu", (uint64_t) 1, 8), <, 0);
                assert_bus_error(&e4, VMMD_DBUS_ERROR_INVALID_ARG);
        }
        /* qcow2 through qemu-img resize, rounded to 512 */
        st_ok(tb, vq, ST_VOL_IFACE, "Resize", "tu", (uint64_t) (8 << 20) + 100, 0);
        st_vol_info(tb, vq, 0, &type, &cap, &alloc);
        g_assert_cmpuint(cap, ==, (8 << 20) + 512);
        {
                g_autofree char *info = qemu_img_info(fq);
                g_assert_nonnull(strstr(info, "\"virtual-size\": 8389120"));
        }
}

/* S65, S68, S69: lookups by key and path, listing, info re-probes */
static void test_lookup_info(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *x = st_vol_xml("v.img", 1 << 20, 0, "raw", NULL);
        g_autofree char *v = st_vol_create_ok(tb, p, x, 0);
        g_autofree char *f = vol_file(tb, "p", "v.img");
        g_autofree char *dir = st_pool_dir(tb, "p");
        g_autofree char *messy = g_strdup_printf("%s//v.img", dir);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL, e3 = SD_BUS_ERROR_NULL,
                             e4 = SD_BUS_ERROR_NULL, e5 = SD_BUS_ERROR_NULL;
        g_autofree char *byk = st_lookup(tb, "StorageVolLookupByKey", f, &e);
        g_autofree char *byp = st_lookup(tb, "StorageVolLookupByPath", messy, &e);
        int type;
        uint64_t cap, alloc;

        g_assert_cmpstr(byk, ==, v);
        g_assert_cmpstr(byp, ==, v);
        g_assert_null(st_lookup(tb, "StorageVolLookupByPath", "/nonexistent/v.img", &e2));
        assert_bus_error(&e2, VMMD_DBUS_ERROR_NO_STORAGE_VOL, "path");
        g_assert_null(st_lookup(tb, "StorageVolLookupByKey", "nokey", &e3));
        assert_bus_error(&e3, VMMD_DBUS_ERROR_NO_STORAGE_VOL, "key");

        /* S69: the file changed behind the daemon's back */
        g_assert_cmpint(truncate(f, 3 << 20), ==, 0);
        st_vol_info(tb, v, 0, &type, &cap, &alloc);
        g_assert_cmpint(type, ==, 0);
        g_assert_cmpuint(cap, ==, 3 << 20);
        g_assert_cmpuint(alloc, <=, 4096);
        st_vol_info(tb, v, VOL_GET_PHYSICAL, &type, &cap, &alloc);
        g_assert_cmpuint(alloc, ==, 3 << 20);
        g_assert_cmpint(st_call(tb, v, ST_VOL_IFACE, "GetXMLDesc", &e5, NULL, "u", 1), <, 0);
        assert_bus_error(&e5, VMMD_DBUS_ERROR_INVALID_ARG);

        /* S65: inactive pools are not searched; S33, S68 */
        st_ok(tb, p, ST_POOL_IFACE, "Destroy", NULL);
        g_assert_null(st_lookup(tb, "StorageVolLookupByPath", f, &e4));
        assert_bus_error(&e4, VMMD_DBUS_ERROR_NO_STORAGE_VOL);
        {
                g_auto(sd_bus_error) e6 = SD_BUS_ERROR_NULL, e7 = SD_BUS_ERROR_NULL;
                g_assert_null(st_vol_lookup(tb, p, "v.img", &e6));
                assert_bus_error(&e6, VMMD_DBUS_ERROR_OPERATION_INVALID, "not active");
                g_assert_null(st_list(tb, p, ST_POOL_IFACE, "ListStorageVolumes", 0, &e7));
                assert_bus_error(&e7, VMMD_DBUS_ERROR_OPERATION_INVALID);
        }
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/storage/vol/discovery", test_discovery);
        g_test_add_func("/storage/vol/missing-backing", test_missing_backing);
        g_test_add_func("/storage/vol/create-raw", test_create_raw);
        g_test_add_func("/storage/vol/create-qcow2", test_create_qcow2);
        g_test_add_func("/storage/vol/clone", test_clone);
        g_test_add_func("/storage/vol/delete", test_delete);
        g_test_add_func("/storage/vol/wipe", test_wipe);
        g_test_add_func("/storage/vol/resize", test_resize);
        g_test_add_func("/storage/vol/lookup-info", test_lookup_info);
        return g_test_run();
}
