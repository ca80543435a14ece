/* How fast can this machine read the rows of a 200,000 x 100 float64 matrix
 * in a random order, and does that overlap with an SGD-like step?  A
 * standalone probe of the memory floor under a shuffled epoch (compare.py
 * sets shuffled epochs against X.sum()); it is not part of the package or
 * the tests.
 *
 *     gcc -O3 -march=x86-64-v3 benchmarks/random_rows.c -o /tmp/random_rows
 *     /tmp/random_rows ORDER PREFETCH AHEAD WORK
 *
 * ORDER     sequential | random (a fresh permutation each pass)
 * PREFETCH  none | l1 (prefetcht0) | l2 (prefetcht2, as fastgd's loops do)
 * AHEAD     how many rows ahead the prefetch reaches
 * WORK      read: sum the row (read only)
 *           chain: sum the row after a chain of 40 dependent multiply-adds
 *           update: w += c x, then sum x * w, for a 100-double w (an SGD
 *                   step's update and next dot product, with c fixed)
 *
 * Prints the best and the median time of 11 passes.  X sits on huge pages
 * (madvise), as NumPy's large arrays do. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "probe.h"

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s sequential|random none|l1|l2 AHEAD read|chain|update\n", argv[0]);
        return 2;
    }
    const int random_order = strcmp(argv[1], "random") == 0;
    const int prefetch = strcmp(argv[2], "l1") == 0 ? 1 : strcmp(argv[2], "l2") == 0 ? 2 : 0;
    const ptrdiff_t ahead = atol(argv[3]);
    const int work = strcmp(argv[4], "chain") == 0 ? 1 : strcmp(argv[4], "update") == 0 ? 2 : 0;
    const ptrdiff_t n = N_ROWS, d = N_FEATURES, row_bytes = N_FEATURES * sizeof(double);
    const size_t huge_page = (size_t)1 << 21, bytes = (size_t)n * row_bytes;
    /* aligned_alloc wants a whole number of its alignment */
    double *X = aligned_alloc(huge_page, (bytes + huge_page - 1) / huge_page * huge_page);
    double w[N_FEATURES] = {0}, times[PASSES];
    ptrdiff_t *order = malloc(n * sizeof *order), i, j, k, p;
    double sink = 0.0, c = 1e-300;
    if (X == NULL || order == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    madvise(X, bytes, MADV_HUGEPAGE);
    for (i = 0; i < n * d; i++)
        X[i] = uniform() - 0.5;
    for (i = 0; i < n; i++)
        order[i] = i;
    for (int pass = 0; pass < PASSES; pass++) {
        for (i = n - 1; random_order && i > 0; i--) {
            j = (ptrdiff_t)(uniform() * (i + 1));
            k = order[i]; order[i] = order[j]; order[j] = k;
        }
        double start = now(), a0 = 0, a1 = 0, a2 = 0, a3 = 0, t = 0;
        for (p = 0; p < n; p++) {
            if (prefetch && p + ahead < n) {
                const char *r = (const char *)(X + order[p + ahead] * d);
                for (ptrdiff_t off = 0; off < row_bytes; off += 64) {
                    if (prefetch == 1)
                        __asm__ volatile("prefetcht0 %0" : : "m"(*(r + off)));
                    else
                        __asm__ volatile("prefetcht2 %0" : : "m"(*(r + off)));
                }
            }
            const double *x = X + order[p] * d;
            if (work == 1) {    /* the row's sum waits for a chain of 40 */
                t = (a0 + a1) * 1e-30;
                for (int q = 0; q < 40; q++)
                    t = t * 0.999 + 1e-9;
                a0 = a0 * (1.0 + t);
            }
            if (work == 2) {
                for (j = 0; j < d; j += 4) {
                    w[j] += c * x[j]; w[j + 1] += c * x[j + 1];
                    w[j + 2] += c * x[j + 2]; w[j + 3] += c * x[j + 3];
                    a0 += w[j] * x[j]; a1 += w[j + 1] * x[j + 1];
                    a2 += w[j + 2] * x[j + 2]; a3 += w[j + 3] * x[j + 3];
                }
            } else {
                for (j = 0; j < d; j += 4) {
                    a0 += x[j]; a1 += x[j + 1]; a2 += x[j + 2]; a3 += x[j + 3];
                }
            }
        }
        times[pass] = now() - start;
        sink += a0 + a1 + a2 + a3 + w[0];
    }
    qsort(times, PASSES, sizeof times[0], by_value);
    printf("%s %s ahead %ld %s: best %.2f ms, median %.2f ms%s\n", argv[1], argv[2], (long)ahead,
           argv[4], 1e3 * times[0], 1e3 * times[PASSES / 2], sink == 1.5 ? " " : "");
    free(X);
    free(order);
    return 0;
}
