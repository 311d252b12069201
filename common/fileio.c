/* File helpers: atomic writes and directory creation. */
#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const char *data, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, data, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                data += n;
                len -= (size_t) n;
        }
        return 0;
}

static int fsync_directory_of(const char *path) {
        g_autofree char *dir = g_path_get_dirname(path);
        int fd, r = 0;

        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                r = -errno;
        close(fd);
        return r;
}

/* The temp file, its contents and the rename; with durable, an fsync of the file before the rename and of
 * the directory after it. */
static int write_file_replace(const char *path, const char *data, size_t len, mode_t mode, bool durable) {
        g_autofree char *dir = g_path_get_dirname(path);
        g_autofree char *base = g_path_get_basename(path);
        g_autofree char *tmp = g_strdup_printf("%s/.#%s.XXXXXX", dir, base);
        int fd, r;

        fd = mkostemp(tmp, O_CLOEXEC);      /* created 0600 */
        if (fd < 0)
                return -errno;
        r = write_all(fd, data, len);
        if (r == 0 && mode != 0600 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r == 0 && durable && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                unlink(tmp);
                return r;
        }
        return durable ? fsync_directory_of(path) : 0;
}

int vmmd_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode) {
        return write_file_replace(path, data, len, mode, true);
}

int vmmd_write_file_replace(const char *path, const char *data, size_t len, mode_t mode) {
        return write_file_replace(path, data, len, mode, false);
}

bool vmmd_is_atomic_temp_name(const char *name) {
        size_t n = strlen(name);

        /* ".#BASE.XXXXXX", as vmmd_write_file_atomic names them */
        return g_str_has_prefix(name, ".#") && n > 9 && name[n - 7] == '.';
}

int vmmd_remove_stale_temp_files(const char *dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        const char *e;
        int n = 0;

        if (!d)
                return 0;
        while ((e = g_dir_read_name(d))) {
                g_autofree char *path = NULL;

                if (!vmmd_is_atomic_temp_name(e))
                        continue;
                path = g_build_filename(dir, e, NULL);
                if (unlink(path) == 0)
                        n++;
        }
        return n;
}

int vmmd_mkdir_p(const char *path, mode_t mode) {
        if (g_mkdir_with_parents(path, (int) mode) < 0)
                return -errno;
        return 0;
}

static int rm_rf_at(int dirfd, const char *name) {
        struct stat st;
        int fd;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISDIR(st.st_mode))
                return unlinkat(dirfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;

        fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((de = readdir(d))) {
                if (g_str_equal(de->d_name, ".") || g_str_equal(de->d_name, ".."))
                        continue;
                int k = rm_rf_at(fd, de->d_name);
                if (k < 0 && r == 0)
                        r = k;
        }
        closedir(d);
        if (r == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                r = -errno;
        return r;
}

bool vmmd_is_plain_child_name(const char *name) {
        return name && *name && !strchr(name, '/') && !g_str_equal(name, ".") && !g_str_equal(name, "..");
}

int vmmd_rm_rf(const char *path) {
        g_autofree char *trimmed = g_strdup(path);
        const char *last;
        size_t n = strlen(trimmed);

        /* "dir/.." or "dir/." names a directory above or at the one meant: a name that
         * slipped through would take every sibling with it */
        while (n > 1 && trimmed[n - 1] == '/')
                trimmed[--n] = 0;
        last = strrchr(trimmed, '/');
        last = last ? last + 1 : trimmed;
        if (!vmmd_is_plain_child_name(last))
                return -EINVAL;
        return rm_rf_at(AT_FDCWD, path);
}

int vmmd_rm_rf_child(const char *dir, const char *name) {
        g_autofree char *path = NULL;

        if (!vmmd_is_plain_child_name(name))
                return -EINVAL;
        path = g_build_filename(dir, name, NULL);
        return rm_rf_at(AT_FDCWD, path);
}

int vmmd_read_file(const char *path, char **ret_data, size_t *ret_len) {
        g_autoptr(GError) error = NULL;
        gsize len = 0;

        if (!g_file_get_contents(path, ret_data, &len, &error)) {
                int e = errno ? errno : EIO;
                if (error->domain == G_FILE_ERROR)
                        e = error->code == G_FILE_ERROR_NOENT ? ENOENT :
                            error->code == G_FILE_ERROR_ACCES ? EACCES :
                            error->code == G_FILE_ERROR_ISDIR ? EISDIR : EIO;
                return -e;
        }
        if (ret_len)
                *ret_len = len;
        return 0;
}

/* the errno values vmmd_read_file() reports; it maps the rest to EIO */
static int read_errno(int e) {
        return e == ENOENT || e == EACCES || e == EISDIR ? -e : -EIO;
}

int vmmd_read_file_at(int dirfd, const char *name, char **ret_data, size_t *ret_len) {
        g_autofree char *data = NULL;
        size_t len = 0, size;
        bool regular;
        struct stat st;
        int fd, r = 0;

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return read_errno(errno);
        if (fstat(fd, &st) < 0) {
                r = read_errno(errno);
                close(fd);
                return r;
        }
        if (S_ISDIR(st.st_mode)) {
                close(fd);
                return -EISDIR;
        }
        /* a regular file up to the size it had (as g_file_get_contents() reads it): one read */
        regular = S_ISREG(st.st_mode) && st.st_size > 0;
        size = regular ? (size_t) st.st_size : 4096;
        data = g_malloc(size + 1);
        for (;;) {
                ssize_t n;

                if (len == size && regular)
                        break;
                if (len == size) {
                        size *= 2;
                        data = g_realloc(data, size + 1);
                }
                n = read(fd, data + len, size - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        r = read_errno(errno);
                if (n <= 0)
                        break;
                len += (size_t) n;
        }
        close(fd);
        if (r < 0)
                return r;
        data[len] = 0;
        *ret_data = g_steal_pointer(&data);
        if (ret_len)
                *ret_len = len;
        return 0;
}

void vmmd_close_fd_array(GArray *fds) {
        if (!fds)
                return;
        for (guint i = 0; i < fds->len; i++)
                if (g_array_index(fds, int, i) >= 0)
                        close(g_array_index(fds, int, i));
        g_array_unref(fds);
}
