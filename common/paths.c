/* Where a driver keeps its state. */
#include "paths.h"

VmmdPaths *vmmd_paths_new(const char *driver, bool session, const char *root) {
        VmmdPaths *p = g_new0(VmmdPaths, 1);

        if (root || !session) {
                const char *r = root ? root : "";
                p->config_dir = g_strdup_printf("%s/etc/vmmd/%s", r, driver);
                p->run_dir = g_strdup_printf("%s/run/vmmd/%s", r, driver);
                p->state_dir = g_strdup_printf("%s/var/lib/vmmd/%s", r, driver);
                p->log_dir = g_strdup_printf("%s/var/log/vmmd/%s", r, driver);
                p->cache_dir = g_strdup_printf("%s/var/cache/vmmd/%s", r, driver);
        } else {
                p->config_dir = g_build_filename(g_get_user_config_dir(), "vmmd", driver, NULL);
                p->run_dir = g_build_filename(g_get_user_runtime_dir(), "vmmd", driver, NULL);
                p->state_dir = g_build_filename(g_get_user_data_dir(), "vmmd", driver, NULL);
                p->log_dir = g_build_filename(p->state_dir, "log", NULL);
                p->cache_dir = g_build_filename(g_get_user_cache_dir(), "vmmd", driver, NULL);
        }
        p->autostart_dir = g_build_filename(p->config_dir, "autostart", NULL);
        return p;
}

void vmmd_paths_free(VmmdPaths *p) {
        if (!p)
                return;
        g_free(p->config_dir);
        g_free(p->autostart_dir);
        g_free(p->run_dir);
        g_free(p->state_dir);
        g_free(p->log_dir);
        g_free(p->cache_dir);
        g_free(p);
}
