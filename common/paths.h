/* Where a driver keeps its state: the system layout, the per-user (XDG) layout, or the system layout under a relocated root. */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef struct VmmdPaths {
        char *config_dir;     /* persistent definitions: /etc/vmmd/<driver> */
        char *autostart_dir;  /* <config_dir>/autostart */
        char *run_dir;        /* runtime status: /run/vmmd/<driver> */
        char *state_dir;      /* images, snapshots: /var/lib/vmmd/<driver> */
        char *log_dir;        /* /var/log/vmmd/<driver> */
        char *cache_dir;      /* probed capabilities: /var/cache/vmmd/<driver> */
} VmmdPaths;

/* root: NULL for the real layout, else the system layout under root.
 * session: XDG directories of the calling user (ignored when root is set). */
VmmdPaths *vmmd_paths_new(const char *driver, bool session, const char *root);
void vmmd_paths_free(VmmdPaths *paths);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VmmdPaths, vmmd_paths_free)
