/* How fast can the SGD steps of a block order read rows in memory?  A
 * standalone probe of the in-memory block-shuffled epoch
 * (block_shuffle_compare.py): 200,000 x 100 float64 rows, blocks of
 * BLOCK_ROWS rows in a random order, BUFFER_BLOCKS a buffer, each step a
 * dot product in eight chains and an update of a 100-double w, the rows
 * prefetched to L2 AHEAD steps ahead.  It is not part of the package or the
 * tests.
 *
 *     gcc -O3 -march=x86-64-v3 -pthread benchmarks/block_reader.c -o /tmp/block_reader
 *     /tmp/block_reader ORDER READER [BLOCK_ROWS BUFFER_BLOCKS [AHEAD]]
 *
 * ORDER   sequential | blocks (a fresh block order each pass, each buffer's
 *         rows in a random order) | rounds (the same blocks, each buffer's
 *         rows round-robin: row r of every block, the blocks in a fresh
 *         random order each round, as fastgd.kernels.block_order visits them)
 * BLOCK_ROWS, BUFFER_BLOCKS, AHEAD: 5, 64 and 16 unless given
 * READER  none
 *         thread: a second thread reads (a load a line) the two buffers after
 *                 the one the steps are on, and waits for the steps to move on
 *         sweep:  the stepping thread itself prefetches the next buffer's
 *                 lines in address order, an equal share at every step
 *         far:    each row is also prefetched to L2 a whole buffer of steps
 *                 before its own
 *
 * Prints the best and the median time of 11 passes.  X sits on huge pages
 * (madvise), as NumPy's large arrays do. */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "probe.h"

#define READ_AHEAD 2            /* buffers the reading thread keeps ahead */

static ptrdiff_t BLOCK_ROWS = 5, BUFFER_BLOCKS = 64, BUFFER_ROWS, BLOCK_LINES;

static double *X;
static ptrdiff_t *blocks;       /* the block order */
static ptrdiff_t n_blocks, n_buffers;
static _Atomic ptrdiff_t stepping = -1;     /* the buffer the steps are on; -2: stop */
static volatile double reader_sink;

static void read_buffer(ptrdiff_t buffer)
{
    double s = 0.0;
    for (ptrdiff_t k = buffer * BUFFER_BLOCKS; k < (buffer + 1) * BUFFER_BLOCKS && k < n_blocks;
         k++) {
        const char *block = (const char *)(X + blocks[k] * BLOCK_ROWS * N_FEATURES);
        for (ptrdiff_t line = 0; line < BLOCK_LINES; line++)
            s += *(const double *)(block + 64 * line);
    }
    reader_sink = s;
}

static void *reader(void *unused)
{
    ptrdiff_t done = -1, at;
    (void)unused;
    while ((at = atomic_load(&stepping)) != -2) {
        if (at == -1) {                 /* between passes */
            done = -1;
            continue;
        }
        if (done < at + READ_AHEAD && done + 1 < n_buffers)
            read_buffer(++done);
        else
            __builtin_ia32_pause();
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s sequential|blocks|rounds none|thread|sweep|far "
                "[BLOCK_ROWS BUFFER_BLOCKS [AHEAD]]\n", argv[0]);
        return 2;
    }
    const int rounds = strcmp(argv[1], "rounds") == 0;
    const int block_order = rounds || strcmp(argv[1], "blocks") == 0;
    const ptrdiff_t ahead = argc == 6 ? atol(argv[5]) : 16;
    if (argc >= 5) {
        BLOCK_ROWS = atol(argv[3]);
        BUFFER_BLOCKS = atol(argv[4]);
    }
    BUFFER_ROWS = BLOCK_ROWS * BUFFER_BLOCKS;
    BLOCK_LINES = BLOCK_ROWS * N_FEATURES * 8 / 64;
    ptrdiff_t *members = malloc(BUFFER_BLOCKS * sizeof *members);
    const int mode = strcmp(argv[2], "thread") == 0 ? 1 : strcmp(argv[2], "sweep") == 0 ? 2
                   : strcmp(argv[2], "far") == 0 ? 3 : 0;
    const ptrdiff_t n = N_ROWS, d = N_FEATURES, row_bytes = N_FEATURES * sizeof(double);
    const size_t huge_page = (size_t)1 << 21, bytes = (size_t)n * row_bytes;
    const ptrdiff_t buffer_lines = BUFFER_BLOCKS * BLOCK_LINES;
    const ptrdiff_t lines_a_step = (buffer_lines + BUFFER_ROWS - 1) / BUFFER_ROWS;
    double w[N_FEATURES] = {0}, times[PASSES], sink = 0.0;
    ptrdiff_t *order = malloc(n * sizeof *order), i, j, k, p;
    pthread_t thread;
    X = aligned_alloc(huge_page, (bytes + huge_page - 1) / huge_page * huge_page);
    n_blocks = n / BLOCK_ROWS;
    n_buffers = (n_blocks + BUFFER_BLOCKS - 1) / BUFFER_BLOCKS;
    blocks = malloc(n_blocks * sizeof *blocks);
    if (X == NULL || order == NULL || blocks == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    madvise(X, bytes, MADV_HUGEPAGE);
    for (i = 0; i < n * d; i++)
        X[i] = uniform() - 0.5;
    if (mode == 1)
        pthread_create(&thread, NULL, reader, NULL);
    for (int pass = 0; pass < PASSES; pass++) {
        for (k = 0; k < n_blocks; k++)
            blocks[k] = k;
        for (k = n_blocks - 1; block_order && k > 0; k--) {
            j = (ptrdiff_t)(uniform() * (k + 1));
            i = blocks[k]; blocks[k] = blocks[j]; blocks[j] = i;
        }
        for (p = 0, k = 0; k < n_blocks; k++)       /* the blocks' rows, then each buffer's */
            for (i = 0; i < BLOCK_ROWS; i++)        /* rows shuffled */
                order[p++] = blocks[k] * BLOCK_ROWS + i;
        for (; p < n; p++)                          /* the rows past the last whole block */
            order[p] = p;
        for (ptrdiff_t b0 = 0, q = 0; rounds && b0 < n_blocks; b0 += BUFFER_BLOCKS) {
            const ptrdiff_t count = b0 + BUFFER_BLOCKS <= n_blocks ? BUFFER_BLOCKS : n_blocks - b0;
            for (i = 0; i < count; i++)
                members[i] = blocks[b0 + i];
            for (ptrdiff_t r = 0; r < BLOCK_ROWS; r++) {
                for (k = count - 1; k > 0; k--) {
                    j = (ptrdiff_t)(uniform() * (k + 1));
                    i = members[k]; members[k] = members[j]; members[j] = i;
                }
                for (k = 0; k < count; k++)
                    order[q++] = members[k] * BLOCK_ROWS + r;
            }
        }
        for (ptrdiff_t start = 0; block_order && !rounds && start < n; start += BUFFER_ROWS) {
            const ptrdiff_t end = start + BUFFER_ROWS < n ? start + BUFFER_ROWS : n;
            for (p = end - 1; p > start; p--) {
                j = start + (ptrdiff_t)(uniform() * (p - start + 1));
                i = order[p]; order[p] = order[j]; order[j] = i;
            }
        }
        double start = now(), a[8] = {0}, c = 1e-300;
        for (p = 0; p < n; p++) {
            const ptrdiff_t buffer = p / BUFFER_ROWS;
            if (mode == 1 && p % BUFFER_ROWS == 0)
                atomic_store(&stepping, buffer);
            if (mode == 2 && buffer + 1 < n_buffers) {
                const ptrdiff_t first = (p % BUFFER_ROWS) * lines_a_step;
                for (ptrdiff_t l = first; l < first + lines_a_step && l < buffer_lines; l++) {
                    const ptrdiff_t b = (buffer + 1) * BUFFER_BLOCKS + l / BLOCK_LINES;
                    if (b < n_blocks)
                        __asm__ volatile("prefetcht2 %0" : : "m"(*(
                            (const char *)(X + blocks[b] * BLOCK_ROWS * d) + 64 * (l % BLOCK_LINES))));
                }
            }
            if (mode == 3 && p + BUFFER_ROWS < n) {
                const char *r = (const char *)(X + order[p + BUFFER_ROWS] * d);
                for (ptrdiff_t off = 0; off < row_bytes; off += 64)
                    __asm__ volatile("prefetcht2 %0" : : "m"(*(r + off)));
            }
            if (ahead > 0 && p + ahead < n) {
                const char *r = (const char *)(X + order[p + ahead] * d);
                for (ptrdiff_t off = 0; off < row_bytes; off += 64)
                    __asm__ volatile("prefetcht2 %0" : : "m"(*(r + off)));
            }
            const double *x = X + order[p] * d;
            double z;
            for (j = 0; j + 8 <= d; j += 8)
                for (int q = 0; q < 8; q++)
                    a[q] += x[j + q] * w[j + q];
            for (; j < d; j++)
                a[0] += x[j] * w[j];
            z = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
            for (j = 0; j < d; j++)
                w[j] -= c * (z - 1.0) * x[j];
        }
        times[pass] = now() - start;
        if (mode == 1)
            atomic_store(&stepping, -1);
        sink += a[0] + w[0];
    }
    if (mode == 1) {
        atomic_store(&stepping, -2);
        pthread_join(thread, NULL);
    }
    qsort(times, PASSES, sizeof times[0], by_value);
    printf("%s %s %td x %td, ahead %td: best %.2f ms, median %.2f ms%s\n", argv[1], argv[2],
           BLOCK_ROWS, BUFFER_BLOCKS, ahead, 1e3 * times[0], 1e3 * times[PASSES / 2],
           sink == 1.5 ? " " : "");
    free(X);
    free(order);
    free(blocks);
    free(members);
    return 0;
}
