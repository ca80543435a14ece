/* What the standalone C probes of benchmarks/ share: the problem's size, a
 * clock, a seeded uniform generator and a sort order for medians. */
#ifndef FASTGD_PROBE_H
#define FASTGD_PROBE_H
#include <time.h>

#define N_ROWS 200000
#define N_FEATURES 100
#define PASSES 11

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static unsigned long long state = 88172645463325252ULL;
static double uniform(void)     /* xorshift64 in [0, 1) */
{
    state ^= state << 13; state ^= state >> 7; state ^= state << 17;
    return (double)(state >> 11) / 9007199254740992.0;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
#endif
