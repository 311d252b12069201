/* bench-rows.h: the clock and the "ROW name median min max" lines the bench clients print for compare.py. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static inline int bench_cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

/* sorts t in place and prints its median, min and max */
static inline void row(const char *name, double *t, int n) {
        qsort(t, (size_t) n, sizeof(*t), bench_cmp_double);
        printf("ROW %s %.3f %.3f %.3f\n", name, n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2, t[0], t[n - 1]);
        fflush(stdout);
}
