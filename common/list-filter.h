/* List methods' filters (spec 0.13, S67): libvirt's pairs of flag bits, and the filtered, sorted list of a table's objects. */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* A pair of bits filters only when exactly one of them is set; then an object passes when
 * value agrees with the bit that is set. value is evaluated only then, so costly ones (a
 * directory scan, a tree walk) cost nothing unasked. */
#define VMMD_FILTER_PAIR(flags, yes, no, value)                                             \
        (!((flags) & (yes)) == !((flags) & (no)) || (((flags) & (yes)) ? !!(value) : !(value)))

/* Whether obj passes the method's flags. */
typedef bool (*VmmdFilterFunc)(const void *obj, unsigned flags);

/* The values of table that pass match (every value when match is NULL), sorted with cmp
 * (which gets pointers to the elements, as g_ptr_array_sort's does). */
GPtrArray *vmmd_filter_table(GHashTable *table, VmmdFilterFunc match, unsigned flags, GCompareFunc cmp);
