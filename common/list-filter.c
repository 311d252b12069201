/* List methods' filters (spec 0.13, S67): libvirt's pairs of flag bits, and the filtered, sorted list of a table's objects. */
#include "list-filter.h"

GPtrArray *vmmd_filter_table(GHashTable *table, VmmdFilterFunc match, unsigned flags, GCompareFunc cmp) {
        GPtrArray *list = g_ptr_array_new();
        GHashTableIter it;
        gpointer obj;

        g_hash_table_iter_init(&it, table);
        while (g_hash_table_iter_next(&it, NULL, &obj))
                if (!match || match(obj, flags))
                        g_ptr_array_add(list, obj);
        if (cmp)
                g_ptr_array_sort(list, cmp);
        return list;
}
