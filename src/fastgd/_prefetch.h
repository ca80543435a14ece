/* Prefetch a row that the shuffled SGD loop will read soon.  A shuffled epoch
 * is bound by memory latency, not bandwidth, and the rows to come are known in
 * advance, so their cache lines are requested a few rows ahead.
 *
 * The prefetch is a volatile asm statement where we know the instruction:
 * GCC's interprocedural pure/const analysis counts __builtin_prefetch as free
 * of side effects, so a small function made only of prefetches is judged to
 * do nothing and every call to it is deleted (seen with GCC 12 at -O1 and
 * above: the shipped loop had no prefetch instruction at all). */
#ifndef FASTGD_PREFETCH_H
#define FASTGD_PREFETCH_H
#include <stddef.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define FASTGD_PREFETCH_LINE(a) __asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)(a)))
#elif defined(__GNUC__) && defined(__aarch64__)
#define FASTGD_PREFETCH_LINE(a) __asm__ volatile("prfm pldl1keep, %0" : : "Q"(*(const char *)(a)))
#elif defined(__GNUC__) || defined(__clang__)
#define FASTGD_PREFETCH_LINE(a) __builtin_prefetch((a), 0, 3)
#else
#define FASTGD_PREFETCH_LINE(a) ((void)(a))
#endif

static inline void fastgd_prefetch(const void *p, ptrdiff_t nbytes)
{
    const char *c = (const char *)p;
    ptrdiff_t off;
    for (off = 0; off < nbytes; off += 64)
        FASTGD_PREFETCH_LINE(c + off);
}
#endif
