/* Dense row primitives of the linear kernels, written so that a compiler
 * vectorizes them with portable flags: several independent accumulators
 * (a reduction in one accumulator cannot be reordered without -ffast-math)
 * and restrict-qualified pointers (no aliasing checks in the loop).
 *
 * With GCC on x86-64 Linux each function is also compiled for x86-64-v3 (AVX2 + FMA)
 * (target_clones, dispatched on the ISA level the CPU reports, not its model
 * name, so virtual machines qualify), and the loader picks the clone:
 * the default build stays portable (no -march flag) and still uses the wide
 * registers where they exist.  Define FASTGD_NO_CLONES to build one version.
 *
 * Dot products accumulate in double also for float32 data.
 */
#ifndef FASTGD_SIMD_H
#define FASTGD_SIMD_H
#include <stddef.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__) && !defined(FASTGD_NO_CLONES) && __GNUC__ >= 11
#define FASTGD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define FASTGD_CLONES
#endif

#define FASTGD_DOT(NAME, T)                                                   \
FASTGD_CLONES static double NAME(const T *restrict x, const T *restrict w,   \
                                 ptrdiff_t m)                                 \
{                                                                             \
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;    \
    ptrdiff_t j = 0;                                                          \
    for (; j + 8 <= m; j += 8) {                                              \
        a0 += (double)x[j] * w[j];         a1 += (double)x[j + 1] * w[j + 1]; \
        a2 += (double)x[j + 2] * w[j + 2]; a3 += (double)x[j + 3] * w[j + 3]; \
        a4 += (double)x[j + 4] * w[j + 4]; a5 += (double)x[j + 5] * w[j + 5]; \
        a6 += (double)x[j + 6] * w[j + 6]; a7 += (double)x[j + 7] * w[j + 7]; \
    }                                                                         \
    for (; j < m; j++)                                                        \
        a0 += (double)x[j] * w[j];                                            \
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));                 \
}

/* w += c x, in double, stored back in w's type */
#define FASTGD_AXPY(NAME, T, TW)                                              \
FASTGD_CLONES static void NAME(double c, const T *restrict x, TW *restrict w, \
                               ptrdiff_t m)                                   \
{                                                                             \
    ptrdiff_t j;                                                              \
    for (j = 0; j < m; j++)                                                   \
        w[j] = (TW)(w[j] + c * (double)x[j]);                                 \
}

FASTGD_DOT(fastgd_dot_d, double)
FASTGD_DOT(fastgd_dot_f, float)
FASTGD_AXPY(fastgd_axpy_d, double, double)
FASTGD_AXPY(fastgd_axpy_f, float, float)
FASTGD_AXPY(fastgd_axpy_fd, float, double)   /* float row into a double sum */

/* The two halves of consecutive SGD steps in one pass over w: w += c xa,
 * then return xb . w with the updated w.  Reading and writing w once per row
 * instead of twice is what brings a sequential epoch near the memory floor. */
FASTGD_CLONES static double fastgd_axpy_dot_d(double c, const double *restrict xa,
                                              const double *restrict xb,
                                              double *restrict w, ptrdiff_t m)
{
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    ptrdiff_t j = 0;
    for (; j + 4 <= m; j += 4) {
        double w0 = w[j] + c * xa[j], w1 = w[j + 1] + c * xa[j + 1];
        double w2 = w[j + 2] + c * xa[j + 2], w3 = w[j + 3] + c * xa[j + 3];
        w[j] = w0; w[j + 1] = w1; w[j + 2] = w2; w[j + 3] = w3;
        a0 += xb[j] * w0; a1 += xb[j + 1] * w1;
        a2 += xb[j + 2] * w2; a3 += xb[j + 3] * w3;
    }
    for (; j < m; j++) {
        w[j] = w[j] + c * xa[j];
        a0 += xb[j] * w[j];
    }
    return (a0 + a1) + (a2 + a3);
}
/* The full-batch gradient's counterpart: G += c xa (G in double) and return
 * xb . w, one pass for this row's contribution and the next row's output. */
#define FASTGD_ACC_DOT(NAME, T)                                               \
FASTGD_CLONES static double NAME(double c, const T *restrict xa,              \
                                 double *restrict G, const T *restrict xb,    \
                                 const T *restrict w, ptrdiff_t m)            \
{                                                                             \
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;                                    \
    ptrdiff_t j = 0;                                                          \
    for (; j + 4 <= m; j += 4) {                                              \
        G[j] += c * (double)xa[j];         G[j + 1] += c * (double)xa[j + 1]; \
        G[j + 2] += c * (double)xa[j + 2]; G[j + 3] += c * (double)xa[j + 3]; \
        a0 += (double)xb[j] * w[j];         a1 += (double)xb[j + 1] * w[j + 1]; \
        a2 += (double)xb[j + 2] * w[j + 2]; a3 += (double)xb[j + 3] * w[j + 3]; \
    }                                                                         \
    for (; j < m; j++) {                                                      \
        G[j] += c * (double)xa[j];                                            \
        a0 += (double)xb[j] * w[j];                                           \
    }                                                                         \
    return (a0 + a1) + (a2 + a3);                                             \
}

FASTGD_ACC_DOT(fastgd_acc_dot_d, double)
#endif
