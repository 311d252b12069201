/* Who may change things: root, the daemon's own uid, and the admin group. */
#include "caller.h"

#include <grp.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "cleanup.h"
#include "error.h"

static bool admin_gid(gid_t *ret) {
        const char *name = getenv("VMMD_ADMIN_GROUP");
        struct group *g;

        if (!name || !*name)
                name = VMMD_ADMIN_GROUP;
        g = getgrnam(name);
        if (!g)
                return false;
        *ret = g->gr_gid;
        return true;
}

static int caller_is_privileged(sd_bus_message *m) {
        g_autoptr(sd_bus_creds) creds = NULL;
        const gid_t *gids = NULL;
        uid_t uid;
        gid_t gid, admin;
        int r, n;

        r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_UID | SD_BUS_CREDS_EGID |
                                      SD_BUS_CREDS_SUPPLEMENTARY_GIDS | SD_BUS_CREDS_AUGMENT, &creds);
        if (r < 0)
                return r;
        r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                r = sd_bus_creds_get_uid(creds, &uid);
        if (r < 0)
                return r;
        if (uid == 0 || uid == geteuid())
                return 1;
        if (!admin_gid(&admin))
                return 0;
        if (sd_bus_creds_get_egid(creds, &gid) >= 0 && gid == admin)
                return 1;
        n = sd_bus_creds_get_supplementary_gids(creds, &gids);
        for (int i = 0; i < n; i++)
                if (gids[i] == admin)
                        return 1;
        return 0;
}

int vmmd_caller_require_privileged(sd_bus_message *m, const char *method, sd_bus_error *error) {
        int r = vmmd_caller_is_privileged(m);

        if (r > 0)
                return 0;
        if (r < 0)
                return vmmd_bus_error_setf(error, VMMD_ERROR_OPERATION_DENIED,
                                         "%s: cannot read the caller's credentials", method);
        return vmmd_bus_error_setf(error, VMMD_ERROR_OPERATION_DENIED,
                                 "%s: operation forbidden for a read-only caller", method);
}

/* Answers by connection: a unique name is never reused on its bus and the uid it connected with
 * never changes, so the credentials (a bus round trip and two /proc reads) are read at a
 * connection's first mutating call only. Bounded: the table starts over past this size. */
#define CALLER_CACHE_MAX 4096
static GHashTable *caller_cache;

int vmmd_caller_is_privileged(sd_bus_message *m) {
        const char *sender = sd_bus_message_get_sender(m);
        g_autofree char *key = NULL;
        gpointer cached;
        int r;

        /* a peer-to-peer connection has no unique name to remember */
        if (!sender || sender[0] != ':')
                return caller_is_privileged(m);
        key = g_strdup_printf("%p/%s", (void *) sd_bus_message_get_bus(m), sender);
        if (caller_cache && g_hash_table_lookup_extended(caller_cache, key, NULL, &cached))
                return GPOINTER_TO_INT(cached);
        r = caller_is_privileged(m);
        if (r < 0)
                return r;
        if (!caller_cache)
                caller_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        if (g_hash_table_size(caller_cache) >= CALLER_CACHE_MAX)
                g_hash_table_remove_all(caller_cache);
        g_hash_table_insert(caller_cache, g_steal_pointer(&key), GINT_TO_POINTER(r));
        return r;
}
