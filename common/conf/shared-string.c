/* Shared strings: one reference-counted copy of each distinct value, for fields that thousands of definitions hold alike. */
#include "shared-string.h"

#include <glib.h>
#include <string.h>

typedef struct {
        guint refs;
        char str[];
} SharedStr;

static GMutex lock;
static GHashTable *pool;   /* SharedStr.str → SharedStr; entries go with their last reference */

const char *vmmd_shared_str(const char *s) {
        SharedStr *e;
        size_t len;

        if (!s)
                return NULL;
        g_mutex_lock(&lock);
        if (!pool)
                pool = g_hash_table_new(g_str_hash, g_str_equal);
        e = g_hash_table_lookup(pool, s);
        if (e)
                e->refs++;
        else {
                len = strlen(s);
                e = g_malloc(sizeof(SharedStr) + len + 1);
                e->refs = 1;
                memcpy(e->str, s, len + 1);
                g_hash_table_insert(pool, e->str, e);
        }
        g_mutex_unlock(&lock);
        return e->str;
}

const char *vmmd_shared_str_take(char *s) {
        const char *ret = vmmd_shared_str(s);

        g_free(s);
        return ret;
}

void vmmd_shared_str_unref(const char *s) {
        SharedStr *e;

        if (!s)
                return;
        g_mutex_lock(&lock);
        e = pool ? g_hash_table_lookup(pool, s) : NULL;
        if (e && e->str == s) {
                if (--e->refs == 0) {
                        g_hash_table_remove(pool, e->str);
                        g_free(e);
                }
                g_mutex_unlock(&lock);
                return;
        }
        g_mutex_unlock(&lock);
        /* not from the pool: a string that was set as a plain copy */
        g_free((char *) s);
}

void vmmd_shared_str_set(const char **field, const char *value) {
        const char *old = *field;

        *field = vmmd_shared_str(value);
        vmmd_shared_str_unref(old);
}
