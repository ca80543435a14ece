/* Block-shuffled epochs: the buffers of a block order, and their copies.
 *
 * Layers: _common.pyx draws a block order and checks one given to the
 * public kernels; _linear.pyx's epoch, in block mode, walks the order
 * buffer by buffer with fastgd_scan_buffer and copies each buffer's blocks
 * into a scratch buffer before visiting its rows there.
 *
 * A block order of n rows with blocks of bs rows and buffers of bb blocks:
 * block k is rows [k bs, min((k+1) bs, n)); the blocks are put in a random
 * order, cut into consecutive groups of bb blocks (the buffers), and the
 * rows of each buffer are visited in a random order (CorgiPile, Xu et al.,
 * SIGMOD 2022).  Why: a buffer's blocks are read in sequence, at the speed
 * of a pass in order, and its rows are then visited at random in a copy
 * that stays in cache; a full permutation waits on memory at every row.
 */
#ifndef FASTGD_BLOCKS_H
#define FASTGD_BLOCKS_H
#include <stddef.h>

/* The rows of block b of n rows in blocks of bs. */
static inline ptrdiff_t fastgd_block_rows(ptrdiff_t b, ptrdiff_t bs, ptrdiff_t n)
{
    const ptrdiff_t rest = n - b * bs;
    return rest < bs ? rest : bs;
}

/* Read the buffer of a block order (of n rows, blocks of bs, buffers of bb
 * blocks) that begins at position start.  Returns the position where it
 * ends, or -1 when order is not such a block order there.
 *
 * On return blocks[0..*count) are its blocks in the order they were first
 * met, slot[b] the row of the scratch buffer where block b's first row goes
 * (the blocks laid end to end in that order), and local[q] the scratch row
 * of the row visited at position start + q.  slot must hold -1 for every
 * block on entry; the caller puts -1 back for blocks[0..*count) after use
 * (also after a -1 return).  blocks holds bb entries, local bb bs.
 *
 * The rows of a buffer are a permutation of its blocks' rows, so the buffer
 * ends exactly where the rows of the blocks met so far are used up and bb
 * blocks have been met (or the order ends).  Any other order fails one of
 * the tests below; local never indexes outside the slot of a met block, so
 * even an order that is not a permutation cannot make a copy read or write
 * out of bounds. */
static inline ptrdiff_t fastgd_scan_buffer(const ptrdiff_t *order, ptrdiff_t n,
                                           ptrdiff_t start, ptrdiff_t bs, ptrdiff_t bb,
                                           ptrdiff_t *slot, ptrdiff_t *blocks,
                                           ptrdiff_t *count, ptrdiff_t *local)
{
    ptrdiff_t p = start, owed = 0, seen = 0, row, b;
    *count = 0;
    for (;;) {
        if (p == start + owed && (seen == bb || p == n))
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
        } else if (p >= start + owed) {
            return -1;      /* a row past the met blocks' rows: a repeat */
        }
        local[p - start] = slot[b] + (row - b * bs);
        p++;
    }
}
#endif
