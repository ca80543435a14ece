/* Prefetch a row that the shuffled SGD loop will read soon.  A shuffled epoch
 * is bound by memory latency, not bandwidth, and the rows to come are known in
 * advance, so their cache lines are requested a few rows ahead.  A no-op on
 * compilers without __builtin_prefetch. */
#ifndef FASTGD_PREFETCH_H
#define FASTGD_PREFETCH_H
#include <stddef.h>

static inline void fastgd_prefetch(const void *p, ptrdiff_t nbytes)
{
#if defined(__GNUC__) || defined(__clang__)
    const char *c = (const char *)p;
    ptrdiff_t off;
    for (off = 0; off < nbytes; off += 64)
        __builtin_prefetch(c + off, 0, 3);
#else
    (void)p; (void)nbytes;
#endif
}
#endif
