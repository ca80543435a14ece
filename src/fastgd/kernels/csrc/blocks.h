/* Block-shuffled epochs: the buffers of a block order, and their copies.
 *
 * Layers: _common.pyx draws a block order and checks one given to the
 * public kernels; _linear.pyx's epoch, in block mode, walks the order
 * buffer by buffer with fastgd_scan_buffer and copies each buffer's blocks
 * into a scratch buffer before visiting its rows there.
 *
 * A block order of n rows with blocks of bs rows and buffers of at most bb
 * blocks: block k is rows [k bs, min((k+1) bs, n)); the order visits the
 * rows a buffer at a time, each buffer a few whole blocks, all of its rows
 * before any of the next buffer's (CorgiPile, Xu et al., SIGMOD 2022).
 * _common.pyx draws the blocks of each buffer from all over the data and
 * visits their rows round-robin, the blocks in a fresh random order each
 * round: the steps then read bb sequential streams, which the hardware
 * prefetchers follow, where rows at random places in a buffer wait on
 * memory at every step.
 */
#ifndef FASTGD_BLOCKS_H
#define FASTGD_BLOCKS_H
#include <stddef.h>
#include "prefetch.h"

/* The rows of block b of n rows in blocks of bs. */
static inline ptrdiff_t fastgd_block_rows(ptrdiff_t b, ptrdiff_t bs, ptrdiff_t n)
{
    const ptrdiff_t rest = n - b * bs;
    return rest < bs ? rest : bs;
}

/* Read the buffer of a block order (of n rows, blocks of bs, buffers of at
 * most bb blocks) that begins at position start.  Returns the position
 * where it ends, or -1 when order is not such a block order there.
 *
 * On return blocks[0..*count) are its blocks in the order they were first
 * met, slot[b] the row of the scratch buffer where block b's first row goes
 * (the blocks laid end to end in that order), and local[q] the scratch row
 * of the row visited at position start + q.  slot must hold -1 for every
 * block on entry; the caller puts -1 back for blocks[0..*count) after use
 * (also after a -1 return).  blocks holds bb entries, local bb bs.
 *
 * A buffer ends at the first position where as many positions as the
 * blocks met so far have rows have been read: for a block order, where
 * those blocks' rows are used up.  An order that meets more than bb blocks,
 * or reads bb bs positions without ending, or names a row outside 0..n-1,
 * is refused; one that repeats a row within a buffer visits it again (the
 * copy holds its block).  local never indexes outside the slot of a met
 * block, so no order can make a copy read or write out of bounds. */
static inline ptrdiff_t fastgd_scan_buffer(const ptrdiff_t *order, ptrdiff_t n,
                                           ptrdiff_t start, ptrdiff_t bs, ptrdiff_t bb,
                                           ptrdiff_t *slot, ptrdiff_t *blocks,
                                           ptrdiff_t *count, ptrdiff_t *local)
{
    ptrdiff_t p = start, owed = 0, seen = 0, row, b;
    *count = 0;
    for (;;) {
        if (p > start && p == start + owed)
            return p;
        if (p >= n || p - start >= bb * bs)
            return -1;
        row = order[p];
        if (row < 0 || row >= n)
            return -1;
        b = row / bs;
        if (slot[b] < 0) {
            if (seen == bb)
                return -1;
            slot[b] = owed;
            blocks[seen++] = b;
            *count = seen;
            owed += fastgd_block_rows(b, bs, n);
        }
        local[p - start] = slot[b] + (row - b * bs);
        p++;
    }
}

/* A copy made a little at every step of an epoch: the next buffer's blocks,
 * copied while the steps run on the current one.  An SGD step waits on the
 * one before (see sgd_epoch.h), which leaves the processor idle most of the
 * step: a copy interleaved with the steps is almost free, where the same
 * copy between two buffers adds the time of a pass over X to the epoch.
 * The segments are copied in turn, quota bytes a step. */
typedef struct {
    const char **src;
    char **dst;
    const ptrdiff_t *bytes;
    ptrdiff_t count;            /* segments */
    ptrdiff_t k, done;          /* the segment being copied, its bytes done */
    ptrdiff_t pk, pdone;        /* the segment being prefetched, its bytes requested */
    ptrdiff_t ahead;            /* bytes requested beyond those copied */
    ptrdiff_t quota;            /* bytes a step copies */
} fastgd_copy_job;

/* Bytes the copy requests (to L2) ahead of what it copies: a read from
 * memory takes about as long as ten steps of 100 float64 features, and
 * the hardware prefetcher starts late on each block. */
#ifndef FASTGD_COPY_AHEAD
#define FASTGD_COPY_AHEAD 8192
#endif

/* 32 bytes moved as one (two 16-byte moves without AVX), from and to any
 * address. */
#if defined(__GNUC__) || defined(__clang__)
typedef double fastgd_chunk32 __attribute__((vector_size(32), aligned(1), may_alias));
#endif
#if defined(__GNUC__) || defined(__clang__)
#define FASTGD_KEEP_LOOP() __asm__ volatile("")
#else
#define FASTGD_KEEP_LOOP() ((void)0)
#endif

/* Copy the next bytes of the job (all that is left when bytes is larger),
 * having requested the lines FASTGD_COPY_AHEAD beyond them.  A loop the
 * compiler vectorizes rather than memcpy: a call would spill the values
 * an SGD step keeps in registers. */
static inline void fastgd_copy_some(fastgd_copy_job *job, ptrdiff_t bytes)
{
    ptrdiff_t want = bytes < FASTGD_COPY_AHEAD ? bytes + FASTGD_COPY_AHEAD - job->ahead : bytes;
    while (want > 0 && job->pk < job->count) {
        const ptrdiff_t left = job->bytes[job->pk] - job->pdone;
        const ptrdiff_t m = left < want ? left : want;
        if (FASTGD_COPY_AHEAD > 0)
            fastgd_prefetch_l2(job->src[job->pk] + job->pdone, m);
        job->pdone += m;
        job->ahead += m;
        want -= m;
        if (job->pdone == job->bytes[job->pk]) {
            job->pk++;
            job->pdone = 0;
        }
    }
    while (bytes > 0 && job->k < job->count) {
        const char *restrict src = job->src[job->k] + job->done;
        char *restrict dst = job->dst[job->k] + job->done;
        const ptrdiff_t left = job->bytes[job->k] - job->done;
        const ptrdiff_t m = left < bytes ? left : bytes;
        ptrdiff_t j = 0;
#if defined(__GNUC__) || defined(__clang__)
        for (; j + 32 <= m; j += 32) {
            *(fastgd_chunk32 *)(dst + j) = *(const fastgd_chunk32 *)(src + j);
            /* an empty statement the compiler must keep: without it GCC
             * turns the loop back into a call to memcpy */
            FASTGD_KEEP_LOOP();
        }
#endif
        for (; j < m; j++)
            dst[j] = src[j];
        bytes -= m;
        job->ahead -= m;
        job->done += m;
        if (job->done == job->bytes[job->k]) {
            job->k++;
            job->done = 0;
        }
    }
}
#endif
