/* File helpers: atomic writes and directory creation. OS helpers return -errno. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Writes data to path atomically: a 0600 temp file in the same directory, fsync,
 * rename over path, fsync of the directory. On failure path is unchanged and no
 * temp file is left. */
int vmmd_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode);
/* The same without the fsyncs: a reader (and a restarted daemon) sees the old or the new
 * contents, never a mix, but after a power loss the file may be either or empty. For state
 * that describes processes, which a power loss ends anyway (the status files under the run
 * directory), never for a definition. */
int vmmd_write_file_replace(const char *path, const char *data, size_t len, mode_t mode);

/* True for the temporary names vmmd_write_file_atomic and _replace use (".#BASE.XXXXXX"). */
bool vmmd_is_atomic_temp_name(const char *name);
/* Removes the temporary files of atomic writes a killed process left in dir (not
 * recursive); returns how many went. Only for a daemon's start: a live writer's file
 * would go too. */
int vmmd_remove_stale_temp_files(const char *dir);

/* mkdir -p with the given mode for the directories it creates. */
int vmmd_mkdir_p(const char *path, mode_t mode);

/* Removes a directory tree (rm -rf); a missing path is success. A path whose last
 * component is "." or ".." (or that is "/") is refused with -EINVAL. */
int vmmd_rm_rf(const char *path);
/* The same for dir/name, refused (-EINVAL) unless name is a plain entry of dir: not
 * empty, no '/', not "." or "..". */
int vmmd_rm_rf_child(const char *dir, const char *name);
/* True when name is a plain directory entry name: not empty, no '/', not "." or "..". */
bool vmmd_is_plain_child_name(const char *name);

/* Closes every descriptor (>= 0) in an array of int and frees it; NULL is fine. */
void vmmd_close_fd_array(GArray *fds);

/* Reads a whole file; -errno on failure. */
int vmmd_read_file(const char *path, char **ret_data, size_t *ret_len);
/* The same for name in the directory dirfd (one path lookup instead of the whole path's, for
 * loops over a directory), with the same errors. */
int vmmd_read_file_at(int dirfd, const char *name, char **ret_data, size_t *ret_len);
