/* Bus tests for volume Upload and Download over a passed descriptor: sparse round trips,
 * pipes, aborts, the in-use rules while a transfer runs, and the daemon answering other
 * calls meanwhile (spec storage.md S18, S34, S35, S60–S64, S72). */
#include <fcntl.h>
#include <sys/wait.h>

#include "test-storage-common.h"

#define MiB (1024 * 1024)

static char *vol_file(TestBus *tb, const char *pool, const char *name) {
        g_autofree char *dir = st_pool_dir(tb, pool);
        return g_build_filename(dir, name, NULL);
}

/* A sparse file of size bytes with n chunks of random data at spread offsets. */
static void make_sparse(const char *path, uint64_t size, int n, uint64_t chunk) {
        g_autofree char *buf = g_malloc(chunk);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(ftruncate(fd, (off_t) size), ==, 0);
        for (int i = 0; i < n; i++) {
                uint64_t off = (size / n) * i + (i % 3) * 4096;
                for (uint64_t j = 0; j < chunk; j++)
                        buf[j] = (char) g_random_int();
                g_assert_cmpint(pwrite(fd, buf, chunk, (off_t) MIN(off, size - chunk)), ==, (ssize_t) chunk);
        }
        close(fd);
}

static char *checksum(const char *path) {
        g_autoptr(GChecksum) c = g_checksum_new(G_CHECKSUM_SHA256);
        g_autofree char *buf = g_malloc(MiB);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        g_assert_cmpint(fd, >=, 0);
        while ((n = read(fd, buf, MiB)) > 0)
                g_checksum_update(c, (const guchar *) buf, n);
        close(fd);
        return g_strdup(g_checksum_get_string(c));
}

static uint64_t blocks_bytes(const char *path) {
        struct stat st;

        g_assert_cmpint(stat(path, &st), ==, 0);
        return (uint64_t) st.st_blocks * 512;
}

static int transfer(TestBus *tb, const char *vol, const char *member, int fd, uint64_t offset, uint64_t length,
                    unsigned flags, sd_bus_error *error) {
        return st_call(tb, vol, ST_VOL_IFACE, member, error, NULL, "httu", fd, offset, length, flags);
}

typedef struct {
        bool done;
        char *error;
} AsyncResult;

static int on_async_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        AsyncResult *a = userdata;

        a->done = true;
        if (sd_bus_message_is_method_error(m, NULL))
                a->error = g_strdup_printf("%s: %s", sd_bus_message_get_error(m)->name,
                                           sd_bus_message_get_error(m)->message);
        return 0;
}

static sd_bus_slot *transfer_async(TestBus *tb, const char *vol, const char *member, int fd, uint64_t offset,
                                   uint64_t length, unsigned flags, AsyncResult *a) {
        g_autoptr(sd_bus_message) m = NULL;
        sd_bus_slot *slot = NULL;

        g_assert_cmpint(sd_bus_message_new_method_call(tb->bus, &m, ST, vol, ST_VOL_IFACE, member), >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "httu", fd, offset, length, flags), >=, 0);
        g_assert_cmpint(sd_bus_call_async(tb->bus, &slot, m, on_async_reply, a, 120 * G_USEC_PER_SEC), >=, 0);
        return slot;
}

/* StorageVolCreateXMLFrom(xml, source) in pool, its reply to a */
static sd_bus_slot *clone_async(TestBus *tb, const char *pool, const char *xml, const char *source, AsyncResult *a) {
        g_autoptr(sd_bus_message) m = NULL;
        sd_bus_slot *slot = NULL;

        g_assert_cmpint(sd_bus_message_new_method_call(tb->bus, &m, ST, pool, ST_POOL_IFACE, "StorageVolCreateXMLFrom"),
                        >=, 0);
        g_assert_cmpint(sd_bus_message_append(m, "sou", xml, source, 0), >=, 0);
        g_assert_cmpint(sd_bus_call_async(tb->bus, &slot, m, on_async_reply, a, 120 * G_USEC_PER_SEC), >=, 0);
        return slot;
}

static void wait_async(TestBus *tb, AsyncResult *a) {
        gint64 deadline = g_get_monotonic_time() + 120 * G_USEC_PER_SEC;

        while (!a->done && g_get_monotonic_time() < deadline) {
                test_bus_drain(tb);
                if (!a->done)
                        (void) sd_bus_wait(tb->bus, 100 * 1000);
        }
        g_assert_true(a->done);
}

/* ListStoragePools round trip in microseconds */
static gint64 list_latency(TestBus *tb) {
        gint64 t0 = g_get_monotonic_time();
        g_auto(GStrv) list = st_list_pools(tb, 0);

        g_assert_cmpuint(g_strv_length(list), >=, 1);
        return g_get_monotonic_time() - t0;
}

static int cmp_gint64(gconstpointer a, gconstpointer b) {
        gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
        return x < y ? -1 : x > y;
}

/* 256 MiB with holes: sparse upload, sparse download, identical bytes and blocks; the full
 * (non-sparse) upload of the same file while the daemon answers ListStoragePools. */
static void test_round_trip_256(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *src = g_build_filename(tb->dir, "source.img", NULL);
        g_autofree char *back = g_build_filename(tb->dir, "back.img", NULL);
        g_autofree char *full_back = g_build_filename(tb->dir, "full-back.img", NULL);
        g_autofree char *copy = g_build_filename(tb->dir, "cp.img", NULL);
        g_autofree char *x1 = st_vol_xml("sparse.img", 256 * MiB, 0, "raw", NULL);
        g_autofree char *x2 = st_vol_xml("full.img", 256 * MiB, 0, "raw", NULL);
        g_autofree char *v1 = st_vol_create_ok(tb, p, x1, 0);
        g_autofree char *v2 = st_vol_create_ok(tb, p, x2, 0);
        g_autofree char *f1 = vol_file(tb, "p", "sparse.img"), *f2 = vol_file(tb, "p", "full.img");
        g_autofree char *sum = NULL, *sum1 = NULL, *sum_back = NULL, *sum2 = NULL, *sum_full_back = NULL;
        g_autoptr(GArray) lat = g_array_new(FALSE, FALSE, sizeof(gint64));
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        AsyncResult a = { 0 };
        sd_bus_slot *slot;
        gint64 t0, t_up, t_down, t_full, t_cp;
        int fd;

        make_sparse(src, 256 * MiB, 16, MiB);
        sum = checksum(src);
        g_test_message("source: 256 MiB, %" G_GUINT64_FORMAT " KiB allocated", blocks_bytes(src) / 1024);

        /* sparse upload */
        fd = open(src, O_RDONLY | O_CLOEXEC);
        t0 = g_get_monotonic_time();
        if (transfer(tb, v1, "Upload", fd, 0, 0, 1, &e) < 0)
                g_error("Upload: %s: %s", e.name, e.message);
        t_up = g_get_monotonic_time() - t0;
        close(fd);
        sum1 = checksum(f1);
        g_assert_cmpstr(sum1, ==, sum);
        g_assert_cmpuint(blocks_bytes(f1), <=, blocks_bytes(src) + MiB);

        /* sparse download into an empty file */
        fd = open(back, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        t0 = g_get_monotonic_time();
        if (transfer(tb, v1, "Download", fd, 0, 0, 1, &e) < 0)
                g_error("Download: %s: %s", e.name, e.message);
        t_down = g_get_monotonic_time() - t0;
        close(fd);
        sum_back = checksum(back);
        g_assert_cmpstr(sum_back, ==, sum);
        {
                struct stat st;
                g_assert_cmpint(stat(back, &st), ==, 0);
                g_assert_cmpint(st.st_size, ==, 256 * MiB);
        }
        g_assert_cmpuint(blocks_bytes(back), <=, blocks_bytes(src) + MiB);

        /* the whole 256 MiB written (no SPARSE), with ListStoragePools calls meanwhile */
        fd = open(src, O_RDONLY | O_CLOEXEC);
        t0 = g_get_monotonic_time();
        slot = transfer_async(tb, v2, "Upload", fd, 0, 0, 0, &a);
        close(fd);
        while (!a.done) {
                gint64 l = list_latency(tb);
                if (!a.done)
                        g_array_append_val(lat, l);
                g_usleep(5000);
        }
        t_full = g_get_monotonic_time() - t0;
        sd_bus_slot_unref(slot);
        if (a.error)
                g_error("full Upload: %s", a.error);
        sum2 = checksum(f2);
        g_assert_cmpstr(sum2, ==, sum);
        g_assert_cmpuint(blocks_bytes(f2), >=, 255 * MiB);   /* zeros were written, not skipped */
        g_array_sort(lat, cmp_gint64);
        if (lat->len > 0)
                g_test_message("ListStoragePools during a 256 MiB upload: %u calls, median %.2f ms, max %.2f ms",
                               lat->len, g_array_index(lat, gint64, lat->len / 2) / 1000.0,
                               g_array_index(lat, gint64, lat->len - 1) / 1000.0);
        else
                g_test_message("the 256 MiB upload finished before the first ListStoragePools call returned");

        /* plain download (no SPARSE) of the full volume, for its throughput */
        fd = open(full_back, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        t0 = g_get_monotonic_time();
        if (transfer(tb, v2, "Download", fd, 0, 0, 0, &e) < 0)
                g_error("Download: %s: %s", e.name, e.message);
        {
                gint64 t_full_down = g_get_monotonic_time() - t0;
                close(fd);
                sum_full_back = checksum(full_back);
                g_assert_cmpstr(sum_full_back, ==, sum);
                t0 = g_get_monotonic_time();
                {
                        g_autofree char *cmd = g_strdup_printf("cp --sparse=never '%s' '%s' && sync '%s'", src, copy,
                                                               copy);
                        g_free(st_sh(cmd));
                }
                t_cp = g_get_monotonic_time() - t0;
                g_test_message("256 MiB: sparse upload %.0f ms (%.0f MiB/s), sparse download %.0f ms (%.0f MiB/s), "
                               "full upload %.0f ms (%.0f MiB/s), full download %.0f ms (%.0f MiB/s), "
                               "cp --sparse=never + sync %.0f ms (%.0f MiB/s)",
                               t_up / 1000.0, 256e6 / t_up, t_down / 1000.0, 256e6 / t_down, t_full / 1000.0,
                               256e6 / t_full, t_full_down / 1000.0, 256e6 / t_full_down, t_cp / 1000.0, 256e6 / t_cp);
        }
}

/* S63's own case: 100 MiB holding 1 MiB, downloaded sparse; and the same through a pipe (S60) */
static void test_download(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *f = vol_file(tb, "p", "v.img");
        g_autofree char *out = g_build_filename(tb->dir, "out.img", NULL);
        g_autofree char *piped = g_build_filename(tb->dir, "piped.img", NULL);
        g_autofree char *vsum = NULL, *osum = NULL, *psum = NULL, *v = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        int fd, fds[2];
        pid_t pid;
        struct stat st;

        make_sparse(f, 100 * MiB, 1, MiB);
        st_ok(tb, p, ST_POOL_IFACE, "Refresh", "u", 0);
        v = st_vol_lookup(tb, p, "v.img", &e);
        vsum = checksum(f);

        fd = open(out, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (transfer(tb, v, "Download", fd, 0, 0, 1, &e) < 0)
                g_error("Download: %s: %s", e.name, e.message);
        close(fd);
        g_assert_cmpint(stat(out, &st), ==, 0);
        g_assert_cmpint(st.st_size, ==, 100 * MiB);
        g_assert_cmpuint(blocks_bytes(out), <=, 2 * MiB);
        osum = checksum(out);
        g_assert_cmpstr(osum, ==, vsum);

        /* a pipe: a reader process drains it while the call waits */
        g_assert_cmpint(pipe2(fds, O_CLOEXEC), ==, 0);
        pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid == 0) {
                char buf[65536];
                ssize_t n;
                int o = open(piped, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                close(fds[1]);
                while ((n = read(fds[0], buf, sizeof(buf))) > 0)
                        if (write(o, buf, n) != n)
                                _exit(1);
                _exit(n < 0 ? 1 : 0);
        }
        close(fds[0]);
        if (transfer(tb, v, "Download", fds[1], 0, 0, 0, &e) < 0)
                g_error("Download to a pipe: %s: %s", e.name, e.message);
        close(fds[1]);
        {
                int status = 0;
                g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
                g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        psum = checksum(piped);
        g_assert_cmpstr(psum, ==, vsum);

        /* offset and length, never past the end */
        {
                g_autofree char *part = g_build_filename(tb->dir, "part.img", NULL);
                int pf = open(part, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (transfer(tb, v, "Download", pf, 100 * MiB - 10, 1000, 0, &e) < 0)
                        g_error("Download: %s: %s", e.name, e.message);
                close(pf);
                g_assert_cmpint(stat(part, &st), ==, 0);
                g_assert_cmpint(st.st_size, ==, 10);
        }
        /* S63: sparse needs a seekable descriptor; S62: flag bits */
        {
                g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL;
                int pp[2];
                g_assert_cmpint(pipe2(pp, O_CLOEXEC), ==, 0);
                g_assert_cmpint(transfer(tb, v, "Download", pp[1], 0, 0, 1, &e1), <, 0);
                assert_bus_error(&e1, VMMD_DBUS_ERROR_INVALID_ARG, "seekable");
                g_assert_cmpint(transfer(tb, v, "Download", pp[1], 0, 0, 2, &e2), <, 0);
                assert_bus_error(&e2, VMMD_DBUS_ERROR_INVALID_ARG);
                close(pp[0]);
                /* S62: the client closed its end early */
                {
                        g_auto(sd_bus_error) e3 = SD_BUS_ERROR_NULL;
                        g_assert_cmpint(transfer(tb, v, "Download", pp[1], 0, 0, 0, &e3), <, 0);
                        assert_bus_error(&e3, VMMD_DBUS_ERROR_OPERATION_ABORTED);
                }
                close(pp[1]);
        }
}

/* S61, S64: an upload of qcow2 bytes turns the raw volume into a qcow2 one after the refresh */
static void test_upload_qcow2(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *img = g_build_filename(tb->dir, "img.qcow2", NULL);
        g_autofree char *cmd = g_strdup_printf("qemu-img create -q -f qcow2 -o preallocation=full '%s' 2M", img);
        g_autofree char *x = st_vol_xml("v.img", 4 * MiB, 0, "raw", NULL);
        g_autofree char *v = st_vol_create_ok(tb, p, x, 0);
        g_autofree char *xml = NULL, *fmt = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        struct stat st;
        int fd;

        g_free(st_sh(cmd));
        g_assert_cmpint(stat(img, &st), ==, 0);
        g_assert_cmpint(st.st_size, >=, 2 * MiB);
        test_bus_clear_signals(tb);
        fd = open(img, O_RDONLY | O_CLOEXEC);
        if (transfer(tb, v, "Upload", fd, 0, 0, 0, &e) < 0)
                g_error("Upload: %s: %s", e.name, e.message);
        close(fd);
        g_assert_true(st_wait_signal_for(tb, "Refresh", p, 5000));
        xml = st_get_xml(tb, v, ST_VOL_IFACE, 0);
        fmt = st_xpath(xml, "/volume/target/format/@type");
        g_assert_cmpstr(fmt, ==, "qcow2");
        {
                /* never truncating: the volume keeps its 4 MiB */
                g_autofree char *f = vol_file(tb, "p", "v.img");
                g_assert_cmpint(stat(f, &st), ==, 0);
                g_assert_cmpint(st.st_size, ==, 4 * MiB);
        }
        {
                /* at an offset, with a length longer than the input: aborted, the bytes stay */
                g_auto(sd_bus_error) e2 = SD_BUS_ERROR_NULL;
                g_autofree char *small = g_build_filename(tb->dir, "small", NULL);
                g_autofree char *f = vol_file(tb, "p", "v.img");
                g_autofree char *data = NULL;
                gsize len;
                test_write_file(small, "hello");
                fd = open(small, O_RDONLY | O_CLOEXEC);
                g_assert_cmpint(transfer(tb, v, "Upload", fd, 5 * MiB, 100, 0, &e2), <, 0);
                assert_bus_error(&e2, VMMD_DBUS_ERROR_OPERATION_ABORTED);
                close(fd);
                g_assert_true(g_file_get_contents(f, &data, &len, NULL));
                g_assert_cmpuint(len, ==, 5 * MiB + 5);
                g_assert_cmpmem(data + 5 * MiB, 5, "hello", 5);
        }
}

/* S18, S34, S72: while an upload waits for its data, the volume is in use, the pool has a job,
 * the daemon stays (even with a one-second idle timeout) and answers other calls. */
static void test_in_use(void) {
        const char *const env[] = { "VMMD_TIMEOUT=1", NULL };
        g_autoptr(TestBus) tb = test_bus_new(env);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *x = st_vol_xml("v.img", 4 * MiB, 0, "raw", NULL);
        g_autofree char *x2 = st_vol_xml("w.img", MiB, 0, "raw", NULL);
        g_autofree char *v = st_vol_create_ok(tb, p, x, 0);
        g_autofree char *w = st_vol_create_ok(tb, p, x2, 0);
        g_autofree char *f = vol_file(tb, "p", "v.img");
        g_autofree char *data = NULL;
        AsyncResult a = { 0 };
        sd_bus_slot *slot;
        pid_t pid;
        int fds[2];
        gsize len;

        g_assert_cmpint(pipe2(fds, O_CLOEXEC), ==, 0);
        slot = transfer_async(tb, v, "Upload", fds[0], 0, 0, 0, &a);
        close(fds[0]);
        g_assert_cmpint(write(fds[1], "abc", 3), ==, 3);
        pid = test_bus_name_pid(tb, ST);
        g_assert_cmpint(pid, >, 0);
        {
                static const struct {
                        const char *member, *types;
                } vol_calls[] = { { "Delete", "u" }, { "Wipe", "u" }, { "Resize", "tu" }, { "Upload", "httu" } };
                for (size_t i = 0; i < G_N_ELEMENTS(vol_calls); i++) {
                        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                        int r;
                        if (g_str_equal(vol_calls[i].types, "u"))
                                r = st_call(tb, v, ST_VOL_IFACE, vol_calls[i].member, &e, NULL, "u", 0);
                        else if (g_str_equal(vol_calls[i].types, "tu"))
                                r = st_call(tb, v, ST_VOL_IFACE, vol_calls[i].member, &e, NULL, "tu",
                                            (uint64_t) 8 * MiB, 0);
                        else
                                r = st_call(tb, v, ST_VOL_IFACE, vol_calls[i].member, &e, NULL, "httu", fds[1],
                                            (uint64_t) 0, (uint64_t) 0, 0);
                        g_assert_cmpint(r, <, 0);
                        if (!g_str_equal(e.name, VMMD_DBUS_ERROR_OPERATION_INVALID) || !strstr(e.message, "in use"))
                                g_error("%s during an upload: %s: %s", vol_calls[i].member, e.name, e.message);
                }
        }
        {
                static const char *const pool_calls[] = { "Destroy", "Refresh", "Undefine" };
                for (size_t i = 0; i < G_N_ELEMENTS(pool_calls); i++) {
                        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
                        int r = g_str_equal(pool_calls[i], "Refresh") ?
                                st_call(tb, p, ST_POOL_IFACE, pool_calls[i], &e, NULL, "u", 0) :
                                st_call(tb, p, ST_POOL_IFACE, pool_calls[i], &e, NULL, NULL);
                        g_assert_cmpint(r, <, 0);
                        if (g_str_equal(pool_calls[i], "Undefine"))
                                assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_INVALID);   /* active comes first */
                        else
                                assert_bus_error(&e, VMMD_DBUS_ERROR_OPERATION_FAILED, "asynchronous jobs running");
                }
        }
        /* another volume of the pool is not in use; reads of the busy one work */
        st_ok(tb, w, ST_VOL_IFACE, "Resize", "tu", (uint64_t) 2 * MiB, 0);
        {
                int type;
                uint64_t cap, alloc;
                st_vol_info(tb, v, 0, &type, &cap, &alloc);
                g_assert_cmpuint(cap, ==, 4 * MiB);
        }
        /* S72: three idle-timeouts later the daemon is still there */
        g_usleep(3 * G_USEC_PER_SEC);
        test_bus_drain(tb);
        g_assert_false(a.done);
        g_assert_cmpint(test_bus_name_pid(tb, ST), ==, pid);
        g_assert_cmpint(write(fds[1], "def", 3), ==, 3);
        close(fds[1]);
        wait_async(tb, &a);
        sd_bus_slot_unref(slot);
        if (a.error)
                g_error("Upload: %s", a.error);
        g_assert_true(g_file_get_contents(f, &data, &len, NULL));
        g_assert_cmpuint(len, ==, 4 * MiB);
        g_assert_cmpmem(data, 6, "abcdef", 6);
        /* and now it may go */
        g_assert_true(test_bus_wait_name_gone(tb, ST, 10000));
}

/* S34, S35: a clone in progress — the new volume is building, its source in use; GetInfo
 * reports the allocation so far. Whether a call met the clone running is told by the order
 * of replies on the one connection: a reply that arrives before the clone's reply was
 * answered while the clone ran. */
static void test_building(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *dir = st_pool_dir(tb, "p");
        g_autofree char *cmd = g_strdup_printf("dd if=/dev/urandom of='%s/big.img' bs=1M count=192 status=none", dir);
        g_autofree char *src = NULL, *copy = NULL, *x = st_vol_xml("copy.img", 0, -1, "raw", NULL);
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL;
        AsyncResult a = { 0 };
        sd_bus_slot *slot = NULL;
        unsigned met = 0;

        g_free(st_sh(cmd));
        st_ok(tb, p, ST_POOL_IFACE, "Refresh", "u", 0);
        src = st_vol_lookup(tb, p, "big.img", &e);
        copy = g_strdup_printf("%s/volume/copy_2eimg", p);
        slot = clone_async(tb, p, x, src, &a);
        {
                int type;
                uint64_t cap, alloc;
                st_vol_info(tb, copy, 0, &type, &cap, &alloc);
                if (!a.done) {
                        met++;
                        g_assert_cmpuint(cap, ==, 192 << 20);
                        g_assert_cmpuint(alloc, <=, 192 << 20);
                        g_test_message("a building volume reports %" G_GUINT64_FORMAT " KiB allocated so far",
                                       alloc / 1024);
                }
        }
        {
                g_auto(sd_bus_error) e1 = SD_BUS_ERROR_NULL, e2 = SD_BUS_ERROR_NULL, e3 = SD_BUS_ERROR_NULL,
                                     e4 = SD_BUS_ERROR_NULL, e5 = SD_BUS_ERROR_NULL;
                g_autofree char *x2 = st_vol_xml("copy2.img", 0, -1, "raw", NULL);
                int r;

                r = st_call(tb, copy, ST_VOL_IFACE, "Delete", &e1, NULL, "u", 0);
                if (!a.done) {
                        met++;
                        g_assert_cmpint(r, <, 0);
                        assert_bus_error(&e1, VMMD_DBUS_ERROR_OPERATION_INVALID, "still being allocated");
                }
                r = st_call(tb, src, ST_VOL_IFACE, "Wipe", &e2, NULL, "u", 0);
                if (!a.done) {
                        met++;
                        g_assert_cmpint(r, <, 0);
                        assert_bus_error(&e2, VMMD_DBUS_ERROR_OPERATION_INVALID, "still in use");
                }
                g_free(st_vol_clone(tb, p, x2, copy, 0, &e3));
                if (!a.done) {
                        met++;
                        assert_bus_error(&e3, VMMD_DBUS_ERROR_OPERATION_INVALID, "still being allocated");
                }
                r = st_call(tb, copy, ST_VOL_IFACE, "Download", &e4, NULL, "httu", 1, (uint64_t) 0, (uint64_t) 0, 0);
                if (!a.done) {
                        met++;
                        g_assert_cmpint(r, <, 0);
                        assert_bus_error(&e4, VMMD_DBUS_ERROR_OPERATION_INVALID, "still being allocated");
                }
                r = st_call(tb, p, ST_POOL_IFACE, "Destroy", &e5, NULL, NULL);
                if (!a.done) {
                        met++;
                        g_assert_cmpint(r, <, 0);
                        assert_bus_error(&e5, VMMD_DBUS_ERROR_OPERATION_FAILED, "asynchronous jobs running");
                }
        }
        g_test_message("%u of 6 checks met the clone still running", met);
        wait_async(tb, &a);
        sd_bus_slot_unref(slot);
        if (a.error)
                g_error("clone: %s", a.error);
        {
                g_autofree char *f1 = g_build_filename(dir, "big.img", NULL);
                g_autofree char *f2 = g_build_filename(dir, "copy.img", NULL);
                g_autofree char *c1 = checksum(f1), *c2 = checksum(f2);
                g_assert_cmpstr(c1, ==, c2);
                g_assert_cmpuint(blocks_bytes(f2), >=, 192 << 20);
        }
}

/* issue 11: qemu-img jobs (a convert, then the resize of a clone to a larger qcow2) run beside
 * the loop: while one runs the daemon answers, and refuses to delete the volume being built */
static void test_qemu_img_job(void) {
        g_autoptr(TestBus) tb = test_bus_new(NULL);
        g_autofree char *p = st_dir_pool(tb, "p", UUID1, true);
        g_autofree char *dir = st_pool_dir(tb, "p");
        g_autofree char *cmd = g_strdup_printf("dd if=/dev/urandom of='%s/big.img' bs=1M count=128 status=none", dir);
        g_autofree char *src = NULL, *x = st_vol_xml("big.qcow2", 256 << 20, -1, "qcow2", NULL);
        g_autofree char *copy = NULL, *info = NULL;
        g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL, e1 = SD_BUS_ERROR_NULL;
        AsyncResult a = { 0 };
        sd_bus_slot *slot = NULL;
        int r;

        g_free(st_sh(cmd));
        st_ok(tb, p, ST_POOL_IFACE, "Refresh", "u", 0);
        src = st_vol_lookup(tb, p, "big.img", &e);
        copy = g_strdup_printf("%s/volume/big_2eqcow2", p);
        slot = clone_async(tb, p, x, src, &a);
        (void) list_latency(tb);
        r = st_call(tb, copy, ST_VOL_IFACE, "Delete", &e1, NULL, "u", 0);
        g_assert_cmpint(r, <, 0);
        assert_bus_error(&e1, VMMD_DBUS_ERROR_OPERATION_INVALID, "still being allocated");
        wait_async(tb, &a);
        sd_bus_slot_unref(slot);
        if (a.error)
                g_error("clone: %s", a.error);
        cmd = (g_free(cmd), g_strdup_printf("qemu-img info --output=json '%s/big.qcow2'", dir));
        info = st_sh(cmd);
        g_assert_nonnull(strstr(info, "\"virtual-size\": 268435456"));
}

int main(int argc, char *argv[]) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/storage/transfer/round-trip-256", test_round_trip_256);
        g_test_add_func("/storage/transfer/download", test_download);
        g_test_add_func("/storage/transfer/upload-qcow2", test_upload_qcow2);
        g_test_add_func("/storage/transfer/in-use", test_in_use);
        g_test_add_func("/storage/transfer/building", test_building);
        g_test_add_func("/storage/transfer/qemu-img-job", test_qemu_img_job);
        return g_test_run();
}
