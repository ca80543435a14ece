/* How long does a per-sample SGD epoch take when memory costs nothing?  A
 * standalone probe of the sequential epoch's floor: it runs fastgd's own
 * epoch (csrc/sgd_epoch.h) over 200,000 steps three ways, float64 and
 * float32, squared and logistic loss, beside a read of X in sequence (the
 * floor compare.py measures with X.sum()):
 *
 *     memory  rows 0..n-1 in sequence from a 200,000 x 100 X (as compare.py)
 *     in L1   the same steps over 16 rows that stay in L1 (order p mod 16):
 *             the step's own work and chain, with no memory traffic
 *     chain   logistic only: the bare chain of a step, z -> exp(-|z|) ->
 *             sigmoid -> the next z by one multiply-add, no vector work: a
 *             floor for any exact per-sample logistic epoch
 *
 *     gcc -O3 -march=x86-64-v3 -I src/fastgd/kernels/csrc benchmarks/step_floor.c -o /tmp/step_floor -lm
 *
 * (x86-64-v3: the level whose clone of the epoch the package runs on an
 * AVX2 machine; the read of X uses the same four-double vectors.)
 *     /tmp/step_floor
 *
 * Prints the median of 11 passes of each, in ms.  Not part of the package or
 * the tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include "simd.h"
#include "sgd_epoch.h"

#include "probe.h"

static double median(double *t)
{
    qsort(t, PASSES, sizeof t[0], by_value);
    return 1e3 * t[PASSES / 2];
}

/* One probe per dtype: the sum, then each loss from memory and in L1. */
#define PROBE(NAME, TX, EPOCH, LOAD4)                                         \
static void NAME(const ptrdiff_t *in_l1)                                      \
{                                                                             \
    const ptrdiff_t n = N_ROWS, d = N_FEATURES;                               \
    const size_t huge_page = (size_t)1 << 21, bytes = n * d * sizeof(TX);     \
    TX *X = aligned_alloc(huge_page, (bytes + huge_page - 1) / huge_page * huge_page); \
    TX *y = malloc(n * sizeof(TX));                                           \
    double w[N_FEATURES], b[1], times[PASSES], sink = 0.0;                    \
    ptrdiff_t i, p;                                                           \
    madvise(X, bytes, MADV_HUGEPAGE);                                         \
    for (i = 0; i < n * d; i++)                                               \
        X[i] = (TX)(uniform() - 0.5);                                         \
    for (i = 0; i < n; i++)                                                   \
        y[i] = (TX)(uniform() < 0.5);                                         \
    for (p = 0; p < PASSES; p++) {  /* sixteen chains in four vectors */      \
        double start = now();                                                 \
        fastgd_v4d a0 = FASTGD_SPLAT(0.0), a1 = a0, a2 = a0, a3 = a0;         \
        for (i = 0; i < n * d; i += 16) {                                     \
            a0 += LOAD4(X + i); a1 += LOAD4(X + i + 4);                       \
            a2 += LOAD4(X + i + 8); a3 += LOAD4(X + i + 12);                  \
        }                                                                     \
        times[p] = now() - start;                                             \
        sink += fastgd_hsum((a0 + a1) + (a2 + a3));                           \
    }                                                                         \
    printf("%-8s read X in sequence %6.2f ms\n", #TX, median(times));         \
    for (int loss = 0; loss < 2; loss++) {                                    \
        for (int where = 0; where < 2; where++) {                             \
            memset(w, 0, sizeof w);                                           \
            b[0] = 0.0;                                                       \
            for (p = 0; p < PASSES; p++) {                                    \
                fastgd_sgd_epoch e;                                           \
                memset(&e, 0, sizeof e);                                      \
                e.n = n; e.d = d; e.K = 1; e.rate = 1e-3; e.alpha = 1e-4;     \
                e.loss = loss; e.fit_intercept = 1;                           \
                e.order = where ? in_l1 : NULL;                               \
                double start = now();                                         \
                EPOCH(X, y, NULL, w, b, &e);                                  \
                times[p] = now() - start;                                     \
            }                                                                 \
            sink += w[0];                                                     \
            printf("%-8s %-8s epoch, %-6s   %6.2f ms\n", #TX,                  \
                   loss ? "logistic" : "squared", where ? "in L1" : "memory", \
                   median(times));                                            \
        }                                                                     \
    }                                                                         \
    if (sink == 1.5)                                                          \
        printf(" \n");                                                        \
    free(X);                                                                  \
    free(y);                                                                  \
}
PROBE(probe_d, double, fastgd_sgd_epoch_f64, fastgd_load4_d)
PROBE(probe_f, float, fastgd_sgd_epoch_f32, fastgd_load4_f)

int main(void)
{
    ptrdiff_t *in_l1 = malloc(N_ROWS * sizeof *in_l1), p;
    double times[PASSES];
    volatile double a = 0.3, b = -0.7, y = 1.0, step = -1e-3;  /* opaque to the compiler */
    for (p = 0; p < N_ROWS; p++)
        in_l1[p] = p & 15;
    probe_d(in_l1);
    probe_f(in_l1);
    for (int pass = 0; pass < PASSES; pass++) {
        double z = 0.1, start = now();
        for (p = 0; p < N_ROWS; p++) {
            double e = fastgd_exp_neg_abs1(z);
            z = a + (step * (fastgd_sigmoid_given1(z, e) - y)) * b;
        }
        times[pass] = now() - start;
        if (z == 1.5)
            printf(" \n");
    }
    printf("bare logistic chain of %d steps %6.2f ms\n", N_ROWS, median(times));
    free(in_l1);
    return 0;
}
