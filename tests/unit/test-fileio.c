/* Unit tests for the file helpers: a tree removal never climbs out of the entry it names; a read through a directory descriptor is the read by path; a replace without fsync is still whole. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

static char *make_tree(void) {
        g_autoptr(GError) error = NULL;
        char *top = g_dir_make_tmp("vmmd-fileio-XXXXXX", &error);
        g_autofree char *inner = NULL, *keep = NULL, *deep = NULL, *deep_dir = NULL;

        g_assert_no_error(error);
        inner = g_build_filename(top, "state", "snapshot", NULL);
        g_assert_cmpint(vmmd_mkdir_p(inner, 0700), ==, 0);
        keep = g_build_filename(top, "state", "keep.save", NULL);
        g_assert_true(g_file_set_contents(keep, "data", -1, NULL));
        deep = g_build_filename(inner, "dom", "s1.xml", NULL);
        deep_dir = g_path_get_dirname(deep);
        g_assert_cmpint(vmmd_mkdir_p(deep_dir, 0700), ==, 0);
        g_assert_true(g_file_set_contents(deep, "<x/>", -1, NULL));
        return top;
}

static void test_rm_rf_refuses_dot_entries(void) {
        g_autofree char *top = make_tree();
        g_autofree char *snap = g_build_filename(top, "state", "snapshot", NULL);
        g_autofree char *keep = g_build_filename(top, "state", "keep.save", NULL);
        g_autofree char *dom = g_build_filename(snap, "dom", NULL);
        g_autofree char *up = g_strconcat(snap, "/..", NULL);
        g_autofree char *up_slash = g_strconcat(snap, "/../", NULL);
        g_autofree char *here = g_strconcat(snap, "/.", NULL);

        g_assert_cmpint(vmmd_rm_rf(up), ==, -EINVAL);
        g_assert_cmpint(vmmd_rm_rf(up_slash), ==, -EINVAL);
        g_assert_cmpint(vmmd_rm_rf(here), ==, -EINVAL);
        g_assert_cmpint(vmmd_rm_rf("/"), ==, -EINVAL);
        g_assert_cmpint(vmmd_rm_rf_child(snap, ".."), ==, -EINVAL);
        g_assert_cmpint(vmmd_rm_rf_child(snap, "."), ==, -EINVAL);
        g_assert_cmpint(vmmd_rm_rf_child(snap, ""), ==, -EINVAL);
        g_assert_cmpint(vmmd_rm_rf_child(snap, "dom/../.."), ==, -EINVAL);
        g_assert_true(g_file_test(keep, G_FILE_TEST_EXISTS));
        g_assert_true(g_file_test(dom, G_FILE_TEST_IS_DIR));

        /* a plain child goes, its siblings stay */
        g_assert_cmpint(vmmd_rm_rf_child(snap, "dom"), ==, 0);
        g_assert_false(g_file_test(dom, G_FILE_TEST_EXISTS));
        g_assert_true(g_file_test(keep, G_FILE_TEST_EXISTS));
        g_assert_cmpint(vmmd_rm_rf_child(snap, "missing"), ==, 0);
        g_assert_cmpint(vmmd_rm_rf(top), ==, 0);
}

/* the read through a directory descriptor gives what the read by path gives, errors included */
static void test_read_file_at_matches_read_file(void) {
        g_autofree char *top = make_tree();
        g_autofree char *state = g_build_filename(top, "state", NULL);
        g_autofree char *big = g_strnfill(10000, 'x');
        g_autofree char *big_file = g_build_filename(state, "big", NULL);
        static const char *const names[] = { "keep.save", "big", "missing", "snapshot" };
        int dirfd;

        g_assert_true(g_file_set_contents(big_file, big, -1, NULL));
        dirfd = open(state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        g_assert_cmpint(dirfd, >=, 0);
        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                g_autofree char *path = g_build_filename(state, names[i], NULL);
                g_autofree char *a = NULL, *b = NULL;
                size_t la = 0, lb = 0;
                int ra = vmmd_read_file(path, &a, &la), rb = vmmd_read_file_at(dirfd, names[i], &b, &lb);

                g_assert_cmpint(ra, ==, rb);
                g_assert_cmpstr(a, ==, b);
                g_assert_cmpuint(la, ==, lb);
        }
        {
                g_autofree char *data = NULL;
                size_t len = 0;

                g_assert_cmpint(vmmd_read_file_at(dirfd, "keep.save", &data, &len), ==, 0);
                g_assert_cmpstr(data, ==, "data");
                g_assert_cmpuint(len, ==, 4);
                g_assert_cmpint(vmmd_read_file_at(dirfd, "missing", &data, &len), ==, -ENOENT);
                g_assert_cmpint(vmmd_read_file_at(dirfd, "snapshot", &data, &len), ==, -EISDIR);
        }
        close(dirfd);
        g_assert_cmpint(vmmd_rm_rf(top), ==, 0);
}

/* The write without fsyncs replaces the file whole, with its mode, and leaves no temp file; a
 * failed one leaves what was there and no temp file either. */
static void test_write_file_replace(void) {
        g_autofree char *top = make_tree();
        g_autofree char *file = g_build_filename(top, "status.xml", NULL);
        g_autofree char *missing = g_build_filename(top, "no-such-dir", "status.xml", NULL);
        g_autofree char *busy = g_build_filename(top, "busy.xml", NULL);
        g_autofree char *inside = g_build_filename(busy, "kept", NULL);
        g_autofree char *data = NULL, *kept = NULL;
        g_autoptr(GDir) dir = NULL;
        const char *e;
        struct stat st;

        g_assert_cmpint(vmmd_write_file_replace(file, "<old/>", 6, 0600), ==, 0);
        g_assert_cmpint(vmmd_write_file_replace(file, "<new/>\n", 7, 0640), ==, 0);
        g_assert_true(g_file_get_contents(file, &data, NULL, NULL));
        g_assert_cmpstr(data, ==, "<new/>\n");
        g_assert_cmpint(stat(file, &st), ==, 0);
        g_assert_cmpint(st.st_mode & 07777, ==, 0640);
        g_assert_cmpint(vmmd_write_file_replace(missing, "x", 1, 0600), ==, -ENOENT);
        /* the rename fails at the last step (a non-empty directory is in the way): nothing changes */
        g_assert_cmpint(g_mkdir(busy, 0700), ==, 0);
        g_assert_true(g_file_set_contents(inside, "still here", -1, NULL));
        g_assert_cmpint(vmmd_write_file_replace(busy, "x", 1, 0600), <, 0);
        g_assert_true(g_file_get_contents(inside, &kept, NULL, NULL));
        g_assert_cmpstr(kept, ==, "still here");
        dir = g_dir_open(top, 0, NULL);
        while ((e = g_dir_read_name(dir)))
                g_assert_false(vmmd_is_atomic_temp_name(e));
        g_assert_cmpint(vmmd_rm_rf(top), ==, 0);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/fileio/rm-rf-refuses-dot-entries", test_rm_rf_refuses_dot_entries);
        g_test_add_func("/fileio/read-file-at-matches-read-file", test_read_file_at_matches_read_file);
        g_test_add_func("/fileio/write-file-replace", test_write_file_replace);
        return g_test_run();
}
