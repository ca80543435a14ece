/* Prefetch a row that an SGD loop will read soon.  A shuffled epoch is bound
 * by memory latency, not bandwidth, and the rows to come are known in
 * advance, so their cache lines are requested some rows ahead.  A sequential
 * epoch gains too: each step waits for the one before, so the loop does not
 * run ahead far enough for the hardware prefetcher (measured: 14.6 -> 11.4 ms
 * for a 200,000 x 100 float64 epoch).
 *
 * fastgd_prefetch asks for the lines in L1; fastgd_prefetch_l2 only in the
 * outer caches (prefetcht2: L2 and beyond on the x86 machines measured), not
 * L1, which lets more requests be in flight at once (a 100-feature float64
 * row is 13 lines): the fast dense loops use it, further ahead.
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
#define FASTGD_PREFETCH_L2_LINE(a) __asm__ volatile("prefetcht2 %0" : : "m"(*(const char *)(a)))
#elif defined(__GNUC__) && defined(__aarch64__)
#define FASTGD_PREFETCH_LINE(a) __asm__ volatile("prfm pldl1keep, %0" : : "Q"(*(const char *)(a)))
#define FASTGD_PREFETCH_L2_LINE(a) __asm__ volatile("prfm pldl2keep, %0" : : "Q"(*(const char *)(a)))
#elif defined(__GNUC__) || defined(__clang__)
#define FASTGD_PREFETCH_LINE(a) __builtin_prefetch((a), 0, 3)
#define FASTGD_PREFETCH_L2_LINE(a) __builtin_prefetch((a), 0, 1)
#else
#define FASTGD_PREFETCH_LINE(a) ((void)(a))
#define FASTGD_PREFETCH_L2_LINE(a) ((void)(a))
#endif

static inline void fastgd_prefetch(const void *p, ptrdiff_t nbytes)
{
    const char *c = (const char *)p;
    ptrdiff_t off;
    for (off = 0; off < nbytes; off += 64)
        FASTGD_PREFETCH_LINE(c + off);
}

static inline void fastgd_prefetch_l2(const void *p, ptrdiff_t nbytes)
{
    const char *c = (const char *)p;
    ptrdiff_t off;
    for (off = 0; off < nbytes; off += 64)
        FASTGD_PREFETCH_L2_LINE(c + off);
}

/* How many rows ahead a loop prefetches: far enough to cover the memory
 * latency, near enough to stay in cache.  The fast loops (per-sample plain
 * SGD, the full-batch gradient) send dense rows to L2 from 16 rows ahead
 * (measured best of 4, 8, 16, 32 on 200,000 x 100 rows, sequential and
 * shuffled) and, in sequence, on to L1 from 4 rows ahead (a float32
 * sequential epoch 11% faster than with L2 alone; shuffled epochs 10%
 * slower).  CSR rows, short and scattered (also in sequence: the full-batch
 * CSR gradient measured 11% faster), and the rows of mini-batch steps in a
 * shuffled order, each step long enough to cover the latency, go to L1 from
 * 4 rows ahead (per-sample momentum steps measured 10% slower with the far
 * prefetch), the CSR rows of a shuffled per-sample plain SGD epoch to L2
 * from 8 ahead first; sequential mini-batch steps prefetch as the fast
 * loops. */
#define FASTGD_FAR_PREFETCH_AHEAD 16
#define FASTGD_NEAR_PREFETCH_AHEAD 4
/* A shuffled per-sample CSR epoch also sends each row to L2 from this many
 * rows ahead, between its start's prefetch (far) and its own to L1 (near):
 * see fastgd_prefetch_csr_rows_ahead. */
#define FASTGD_MID_PREFETCH_AHEAD 8

/* Request the dense rows of row_bytes bytes at data some positions ahead of
 * position p of n (rows order[p], or p when order is NULL).  With near, to
 * L1 from FASTGD_NEAR_PREFETCH_AHEAD ahead in a shuffled order; without, to
 * L2 from FASTGD_FAR_PREFETCH_AHEAD ahead in any order and, in sequence, to
 * L1 from FASTGD_NEAR_PREFETCH_AHEAD ahead too. */
static inline void fastgd_prefetch_rows_ahead(const void *data, const ptrdiff_t *order,
                                              ptrdiff_t p, ptrdiff_t n,
                                              ptrdiff_t row_bytes, int near)
{
    const char *rows = (const char *)data;
    if (order == NULL) {
        if (!near) {
            if (p + FASTGD_NEAR_PREFETCH_AHEAD < n)
                fastgd_prefetch(rows + (p + FASTGD_NEAR_PREFETCH_AHEAD) * row_bytes, row_bytes);
            if (p + FASTGD_FAR_PREFETCH_AHEAD < n)
                fastgd_prefetch_l2(rows + (p + FASTGD_FAR_PREFETCH_AHEAD) * row_bytes, row_bytes);
        }
    } else if (near) {
        if (p + FASTGD_NEAR_PREFETCH_AHEAD < n)
            fastgd_prefetch(rows + order[p + FASTGD_NEAR_PREFETCH_AHEAD] * row_bytes, row_bytes);
    } else if (p + FASTGD_FAR_PREFETCH_AHEAD < n) {
        fastgd_prefetch_l2(rows + order[p + FASTGD_FAR_PREFETCH_AHEAD] * row_bytes, row_bytes);
    }
}

/* Request CSR row k's values (of value_bytes each) and column indices: to
 * L2 with to_l2, else to L1. */
static inline void fastgd_prefetch_csr_row(const void *values, ptrdiff_t value_bytes,
                                           const int *indices, const int *indptr,
                                           ptrdiff_t k, int to_l2)
{
    const ptrdiff_t start = indptr[k], nnz = indptr[k + 1] - start;
    const char *row_values = (const char *)values + start * value_bytes;
    if (to_l2) {
        fastgd_prefetch_l2(row_values, nnz * value_bytes);
        fastgd_prefetch_l2(indices + start, nnz * (ptrdiff_t)sizeof(int));
    } else {
        fastgd_prefetch(row_values, nnz * value_bytes);
        fastgd_prefetch(indices + start, nnz * (ptrdiff_t)sizeof(int));
    }
}

/* Request the CSR row some positions ahead of position p of n (its values,
 * of value_bytes each, and its column indices): to L1 from
 * FASTGD_NEAR_PREFETCH_AHEAD ahead, in any order.  Without near, in a
 * shuffled order (per-sample plain SGD), its indptr entries and its target
 * (of target_bytes at targets) first, from FASTGD_FAR_PREFETCH_AHEAD ahead:
 * where a row starts is itself a random read, and the row's prefetch waited
 * for it (a shuffled 100,000 x 100,000 CSR epoch, 50 non-zeros a row:
 * 20.2 -> 17.9 ms, median of 9 A/B pairs; adding the target's, in a later
 * and quieter spell of the machine: 16.6 -> 15.7 ms, 6 of 6 pairs faster;
 * for dense rows the target's prefetch made logistic epochs 8% slower).
 * Then, from FASTGD_MID_PREFETCH_AHEAD ahead, where its start has arrived,
 * the row itself to L2: a row of 50 non-zeros is about 10 lines, and four
 * rows of them sent straight to L1 wait for its few miss buffers (on the
 * AMD EPYC VM of the README, the same epoch: medians of 21 epochs, 6 A/B
 * pairs, 17.1-19.2 -> 11.6-13.5 ms, and 3 pairs later 21.1-21.5 -> 14.2-19.1
 * ms; float32 values, 3 pairs: 14.0-18.8 -> 11.0-15.1 ms; from 12 and 24
 * ahead instead of 8 and 16: 12.4-19.4 ms; 10 and 20: 12.2-17.8 ms; without
 * the L1 prefetch from 4 ahead: 13.3-16.1 ms, no better).  Mini-batch and
 * stateful-rule steps (near) were not measured with these and go without. */
static inline void fastgd_prefetch_csr_rows_ahead(const void *values, ptrdiff_t value_bytes,
                                                  const int *indices, const int *indptr,
                                                  const void *targets, ptrdiff_t target_bytes,
                                                  const ptrdiff_t *order, ptrdiff_t p,
                                                  ptrdiff_t n, int near)
{
    ptrdiff_t k;
    if (p + FASTGD_NEAR_PREFETCH_AHEAD >= n)
        return;
    if (order != NULL && !near) {
        if (p + FASTGD_FAR_PREFETCH_AHEAD < n) {
            k = order[p + FASTGD_FAR_PREFETCH_AHEAD];
            fastgd_prefetch(indptr + k, 2 * (ptrdiff_t)sizeof(int));
            fastgd_prefetch((const char *)targets + k * target_bytes, target_bytes);
        }
        if (p + FASTGD_MID_PREFETCH_AHEAD < n)
            fastgd_prefetch_csr_row(values, value_bytes, indices, indptr,
                                    order[p + FASTGD_MID_PREFETCH_AHEAD], 1);
    }
    k = order != NULL ? order[p + FASTGD_NEAR_PREFETCH_AHEAD] : p + FASTGD_NEAR_PREFETCH_AHEAD;
    fastgd_prefetch_csr_row(values, value_bytes, indices, indptr, k, 0);
}
#endif
