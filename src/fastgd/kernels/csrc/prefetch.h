/* Prefetching the rows an SGD loop will read soon.
 *
 * Layers: the kernels' loops (sgd_epoch.h's per-sample epoch, _linear.pyx's
 * full-batch gradient and mini-batch steps) call these; nothing here
 * changes a result, only when memory is requested.
 *
 * Why: a shuffled epoch is bound by memory latency, not bandwidth, and the
 * rows to come are known in advance, so their cache lines are requested
 * some rows ahead.  A sequential epoch gains too: each step waits for the
 * one before, so the loop does not run ahead far enough for the hardware
 * prefetcher to cover the latency.
 *
 * fastgd_prefetch asks for the lines in L1; fastgd_prefetch_l2 only in the
 * outer caches (prefetcht2), not L1, which lets more requests be in flight
 * at once (a 100-feature float64 row is 13 lines): the fast dense loops use
 * it, further ahead.
 *
 * The prefetch is a volatile asm statement where we know the instruction:
 * GCC's interprocedural pure/const analysis counts __builtin_prefetch as free
 * of side effects, so a small function made only of prefetches is judged to
 * do nothing and every call to it is deleted (GCC 12 at -O1 and above). */
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

/* Every 64-byte line that [p, p + nbytes) touches, from the line p lies
 * in: a row need not start on a line (NumPy aligns its arrays to 16 bytes,
 * and a CSR row starts anywhere), and stepping 64 bytes from p itself would
 * skip the last line of every row that ends further into its line than it
 * begins, leaving that line to a miss at the step. */
#define FASTGD_FOR_LINES(p, nbytes, PREFETCH)                                              \
    do {                                                                                   \
        const char *line_ = (const char *)((size_t)(p) & ~(size_t)63);                     \
        const char *end_ = (const char *)(p) + (nbytes);                                   \
        for (; line_ < end_; line_ += 64)                                                  \
            PREFETCH(line_);                                                               \
    } while (0)

static inline void fastgd_prefetch(const void *p, ptrdiff_t nbytes)
{
    FASTGD_FOR_LINES(p, nbytes, FASTGD_PREFETCH_LINE);
}

static inline void fastgd_prefetch_l2(const void *p, ptrdiff_t nbytes)
{
    FASTGD_FOR_LINES(p, nbytes, FASTGD_PREFETCH_L2_LINE);
}

/* How many rows ahead a loop prefetches: far enough to cover the memory
 * latency, near enough that the lines are still in cache when the row is
 * read.  The fast loops (per-sample plain SGD, the full-batch gradient)
 * send dense rows to L2 from FAR ahead and, in sequence, on to L1 from NEAR
 * ahead (in a shuffled order the second request costs more than it saves).
 * CSR rows, short and scattered, and the rows of mini-batch steps in a
 * shuffled order, whose steps are long enough to cover the latency
 * themselves, go to L1 from NEAR ahead; the CSR rows of a shuffled
 * per-sample plain SGD epoch go to L2 from MID ahead first (see
 * fastgd_prefetch_csr_rows_ahead).  Sequential mini-batch steps prefetch
 * as the fast loops do. */
#define FASTGD_FAR_PREFETCH_AHEAD 16
#define FASTGD_NEAR_PREFETCH_AHEAD 4
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
 * shuffled order (per-sample plain SGD), two earlier requests first:
 *  - from FASTGD_FAR_PREFETCH_AHEAD ahead, its indptr entries and its
 *    target (of target_bytes at targets): where a row starts is itself a
 *    random read, and the row's own prefetch would otherwise wait for it;
 *  - from FASTGD_MID_PREFETCH_AHEAD ahead, once its start has arrived, the
 *    row itself to L2.  A row of 50 non-zeros is about 10 lines, and four
 *    such rows sent straight to L1 queue behind its few miss buffers; sent
 *    to L2 first, a shuffled 100,000 x 100,000 epoch of such rows runs
 *    about 30% faster.
 * Mini-batch and stateful-rule steps (near) go without these. */
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
