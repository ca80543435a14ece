/* The vectorized building blocks every linear-model loop shares: the row
 * primitives (dot products, axpy, the fused update-then-dot of two SGD
 * steps, the four-row gradient accumulation; dense and CSR rows), the
 * vectorized logistic and softmax losses, and the scalar exp(-|z|) and
 * sigmoid that the per-sample loop, loss.pxd and the network share.
 *
 * Layers: _linear.pyx's gradient and mini-batch loops and sgd_epoch.h's
 * per-sample epoch call these (sigmoid_layer.h builds the network's layer on
 * them); loss.pxd's per-sample losses are the scalar specification, and
 * tests/kernels/test_csrc.py checks every function here in every build.
 *
 * Written with GCC vector extensions (four doubles a vector) or as loops a
 * compiler vectorizes, with portable flags: several independent
 * accumulators (a reduction in one accumulator cannot be reordered without
 * -ffast-math) and restrict-qualified pointers (no aliasing checks in the
 * loop).  Float32 data is read into double lanes and summed in double: a
 * float32 value converts exactly, and the sums then round as float64 ones.
 *
 * With GCC on x86-64 Linux each function is also compiled for x86-64-v3
 * (AVX2 + FMA) (target_clones, dispatched on the ISA level the CPU reports,
 * not its model name, so virtual machines qualify), and the loader picks the
 * clone: the default build stays portable (no -march flag) and still uses the
 * wide registers where they exist.  Define FASTGD_NO_CLONES to build one
 * version, FASTGD_SCALAR to build the scalar loops compilers without vector
 * extensions get.
 */
#ifndef FASTGD_SIMD_H
#define FASTGD_SIMD_H
#include <math.h>
#include <stddef.h>
#include <string.h>

/* No clones where the build already targets AVX2 (-march=native on such a
 * machine, say): the x86-64-v3 clone would add nothing, and GCC 12 crashes
 * (internal compiler error) building it from an AVX-512 base. */
/* A file that includes this header (a package that cimports loss.pxd, say)
 * uses a few of its functions: the others are not an error. */
#if defined(__GNUC__) || defined(__clang__)
#define FASTGD_UNUSED __attribute__((unused))
#else
#define FASTGD_UNUSED
#endif
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__) && !defined(FASTGD_NO_CLONES) && __GNUC__ >= 11 && \
    !defined(__AVX2__)
#define FASTGD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default"))) FASTGD_UNUSED
#else
#define FASTGD_CLONES FASTGD_UNUSED
#endif
/* GCC notes that a 32-byte vector returned without AVX enabled has another
 * ABI than with it: true across object files, moot for these functions,
 * which are static and inlined into each caller. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

/* The losses of the linear models, numbered as fastgd.kernels.LOSSES gives
 * them (loss.pxd declares these; sgd_epoch.h's loop switches on them). */
enum { FASTGD_SQUARED = 0, FASTGD_LOGISTIC = 1, FASTGD_SOFTMAX = 2 };

#if (defined(__GNUC__) || defined(__clang__)) && !defined(FASTGD_SCALAR)
#include <string.h>
typedef double fastgd_v4d __attribute__((vector_size(32)));
typedef long long fastgd_v4i __attribute__((vector_size(32)));
typedef float fastgd_v4f __attribute__((vector_size(16)));
#define FASTGD_SPLAT(c) ((fastgd_v4d){c, c, c, c})
#define FASTGD_INLINE static inline __attribute__((always_inline))

/* Four consecutive values as doubles (a float32 value converts exactly). */
FASTGD_INLINE fastgd_v4d fastgd_load4_d(const double *p)
{
    fastgd_v4d v;
    memcpy(&v, p, sizeof v);
    return v;
}
FASTGD_INLINE fastgd_v4d fastgd_load4_f(const float *p)
{
    /* element by element: GCC 12 makes this one vcvtps2pd from memory, but
     * __builtin_convertvector two half-width ones and an insert */
    fastgd_v4d v = {p[0], p[1], p[2], p[3]};
    return v;
}
FASTGD_INLINE void fastgd_store4_d(double *p, fastgd_v4d v) { memcpy(p, &v, sizeof v); }
FASTGD_INLINE double fastgd_hsum(fastgd_v4d a) { return (a[0] + a[1]) + (a[2] + a[3]); }

/* x . w in double: four vector accumulators of four lanes.  Sixteen
 * independent chains matter: an SGD step waits for this sum, and with one
 * vector accumulator a 100-feature row is a chain of 25 dependent
 * multiply-adds (about 100 cycles) before the next step can start. */
#define FASTGD_DOT(NAME, TX, LOADX, TW, LOADW)                                \
FASTGD_INLINE double NAME##_inline(const TX *restrict x, const TW *restrict w, \
                                   ptrdiff_t m)                               \
{                                                                             \
    fastgd_v4d a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};                        \
    ptrdiff_t j = 0;                                                          \
    double s;                                                                 \
    for (; j + 16 <= m; j += 16) {                                            \
        a0 += LOADX(x + j) * LOADW(w + j);                                    \
        a1 += LOADX(x + j + 4) * LOADW(w + j + 4);                            \
        a2 += LOADX(x + j + 8) * LOADW(w + j + 8);                            \
        a3 += LOADX(x + j + 12) * LOADW(w + j + 12);                          \
    }                                                                         \
    for (; j + 4 <= m; j += 4)                                                \
        a0 += LOADX(x + j) * LOADW(w + j);                                    \
    s = fastgd_hsum((a0 + a1) + (a2 + a3));                                   \
    for (; j < m; j++)                                                        \
        s += (double)x[j] * w[j];                                             \
    return s;                                                                 \
}                                                                             \
FASTGD_CLONES static double NAME(const TX *restrict x, const TW *restrict w,  \
                                 ptrdiff_t m)                                 \
{                                                                             \
    return NAME##_inline(x, w, m);                                            \
}

/* The two halves of consecutive SGD steps in one pass over the float64
 * weights w: w += c xa, then return xb . w with the updated w.  Reading and
 * writing w once per row instead of twice, with sixteen accumulator chains,
 * is what brings a sequential epoch near the memory floor. */
#define FASTGD_AXPY_DOT(NAME, TX, LOADX)                                      \
FASTGD_INLINE double NAME##_inline(double c, const TX *restrict xa,           \
                                   const TX *restrict xb, double *restrict w, \
                                   ptrdiff_t m)                               \
{                                                                             \
    const fastgd_v4d cv = FASTGD_SPLAT(c);                                    \
    fastgd_v4d a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, w0, w1, w2, w3;        \
    ptrdiff_t j = 0;                                                          \
    double s;                                                                 \
    for (; j + 16 <= m; j += 16) {                                            \
        w0 = fastgd_load4_d(w + j) + cv * LOADX(xa + j);                      \
        w1 = fastgd_load4_d(w + j + 4) + cv * LOADX(xa + j + 4);              \
        w2 = fastgd_load4_d(w + j + 8) + cv * LOADX(xa + j + 8);              \
        w3 = fastgd_load4_d(w + j + 12) + cv * LOADX(xa + j + 12);            \
        fastgd_store4_d(w + j, w0);                                           \
        fastgd_store4_d(w + j + 4, w1);                                       \
        fastgd_store4_d(w + j + 8, w2);                                       \
        fastgd_store4_d(w + j + 12, w3);                                      \
        a0 += LOADX(xb + j) * w0;                                             \
        a1 += LOADX(xb + j + 4) * w1;                                         \
        a2 += LOADX(xb + j + 8) * w2;                                         \
        a3 += LOADX(xb + j + 12) * w3;                                        \
    }                                                                         \
    for (; j + 4 <= m; j += 4) {                                              \
        w0 = fastgd_load4_d(w + j) + cv * LOADX(xa + j);                      \
        fastgd_store4_d(w + j, w0);                                           \
        a0 += LOADX(xb + j) * w0;                                             \
    }                                                                         \
    s = fastgd_hsum((a0 + a1) + (a2 + a3));                                   \
    for (; j < m; j++) {                                                      \
        w[j] = w[j] + c * (double)xa[j];                                      \
        s += (double)xb[j] * w[j];                                            \
    }                                                                         \
    return s;                                                                 \
}                                                                             \
FASTGD_CLONES static double NAME(double c, const TX *restrict xa,             \
                                 const TX *restrict xb, double *restrict w,   \
                                 ptrdiff_t m)                                 \
{                                                                             \
    return NAME##_inline(c, xa, xb, w, m);                                    \
}

/* G += c[0] x0 + c[1] x1 + c[2] x2 + c[3] x3 in double, added in that order
 * (the order of one row at a time): a block of the full-batch gradient
 * reads and writes G once per four rows. */
#define FASTGD_ACC4(NAME, TX, LOADX)                                          \
FASTGD_CLONES static void NAME(const double *restrict c,                      \
                               const TX *restrict x0, const TX *restrict x1,  \
                               const TX *restrict x2, const TX *restrict x3,  \
                               double *restrict G, ptrdiff_t m)               \
{                                                                             \
    const fastgd_v4d c0 = FASTGD_SPLAT(c[0]), c1 = FASTGD_SPLAT(c[1]);        \
    const fastgd_v4d c2 = FASTGD_SPLAT(c[2]), c3 = FASTGD_SPLAT(c[3]);        \
    fastgd_v4d g;                                                             \
    ptrdiff_t j = 0;                                                          \
    for (; j + 4 <= m; j += 4) {                                              \
        g = fastgd_load4_d(G + j) + c0 * LOADX(x0 + j);                       \
        g = g + c1 * LOADX(x1 + j);                                           \
        g = g + c2 * LOADX(x2 + j);                                           \
        fastgd_store4_d(G + j, g + c3 * LOADX(x3 + j));                       \
    }                                                                         \
    for (; j < m; j++)                                                        \
        G[j] = (((G[j] + c[0] * (double)x0[j]) + c[1] * (double)x1[j])        \
                + c[2] * (double)x2[j]) + c[3] * (double)x3[j];               \
}
#else
/* Without GCC vector extensions: the same sums with scalar accumulators. */
#define FASTGD_INLINE static inline
#define FASTGD_DOT(NAME, TX, LOADX, TW, LOADW)                                \
FASTGD_INLINE double NAME##_inline(const TX *restrict x, const TW *restrict w, \
                                   ptrdiff_t m)                               \
{                                                                             \
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;                                    \
    ptrdiff_t j = 0;                                                          \
    for (; j + 4 <= m; j += 4) {                                              \
        a0 += (double)x[j] * w[j];         a1 += (double)x[j + 1] * w[j + 1]; \
        a2 += (double)x[j + 2] * w[j + 2]; a3 += (double)x[j + 3] * w[j + 3]; \
    }                                                                         \
    for (; j < m; j++)                                                        \
        a0 += (double)x[j] * w[j];                                            \
    return (a0 + a1) + (a2 + a3);                                             \
}                                                                             \
FASTGD_UNUSED static double NAME(const TX *restrict x, const TW *restrict w,   \
                                   ptrdiff_t m)                                   \
{                                                                             \
    return NAME##_inline(x, w, m);                                            \
}
#define FASTGD_AXPY_DOT(NAME, TX, LOADX)                                      \
FASTGD_INLINE double NAME##_inline(double c, const TX *restrict xa,           \
                                   const TX *restrict xb, double *restrict w, \
                                   ptrdiff_t m)                               \
{                                                                             \
    double a0 = 0, a1 = 0;                                                    \
    ptrdiff_t j = 0;                                                          \
    for (; j + 2 <= m; j += 2) {                                              \
        w[j] = w[j] + c * (double)xa[j];                                      \
        w[j + 1] = w[j + 1] + c * (double)xa[j + 1];                          \
        a0 += (double)xb[j] * w[j];                                           \
        a1 += (double)xb[j + 1] * w[j + 1];                                   \
    }                                                                         \
    for (; j < m; j++) {                                                      \
        w[j] = w[j] + c * (double)xa[j];                                      \
        a0 += (double)xb[j] * w[j];                                           \
    }                                                                         \
    return a0 + a1;                                                           \
}                                                                             \
FASTGD_UNUSED static double NAME(double c, const TX *restrict xa,              \
                                   const TX *restrict xb,                         \
                   double *restrict w, ptrdiff_t m)                           \
{                                                                             \
    return NAME##_inline(c, xa, xb, w, m);                                    \
}
#define FASTGD_ACC4(NAME, TX, LOADX)                                          \
FASTGD_UNUSED static void NAME(const double *restrict c, const TX *restrict x0, \
                 const TX *restrict x1, const TX *restrict x2,                \
                 const TX *restrict x3, double *restrict G, ptrdiff_t m)      \
{                                                                             \
    ptrdiff_t j;                                                              \
    for (j = 0; j < m; j++)                                                   \
        G[j] = (((G[j] + c[0] * (double)x0[j]) + c[1] * (double)x1[j])        \
                + c[2] * (double)x2[j]) + c[3] * (double)x3[j];               \
}
#endif

FASTGD_DOT(fastgd_dot_d, double, fastgd_load4_d, double, fastgd_load4_d)
FASTGD_DOT(fastgd_dot_f, float, fastgd_load4_f, float, fastgd_load4_f)
FASTGD_DOT(fastgd_dot_fd, float, fastgd_load4_f, double, fastgd_load4_d)
FASTGD_AXPY_DOT(fastgd_axpy_dot_d, double, fastgd_load4_d)
FASTGD_AXPY_DOT(fastgd_axpy_dot_fd, float, fastgd_load4_f)   /* float rows, double w */
FASTGD_ACC4(fastgd_acc4_d, double, fastgd_load4_d)
FASTGD_ACC4(fastgd_acc4_f, float, fastgd_load4_f)

/* The same over a CSR row: m values x at columns idx of w.  Scattered
 * reads do not vectorize; the dot product keeps four chains (one
 * accumulator would make a row's latency that of m dependent multiply-adds).
 * Inline: the per-sample loop of sgd_epoch.h and the blocks of _linear.pyx call
 * them once per row. */
#define FASTGD_SPARSE_DOT(SUFFIX, TX, TW)                                     \
FASTGD_INLINE double fastgd_sparse_dot_##SUFFIX(const TX *restrict x,         \
                                                const int *restrict idx,      \
                                                const TW *restrict w,         \
                                                ptrdiff_t m)                  \
{                                                                             \
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0;                                    \
    ptrdiff_t j = 0;                                                          \
    for (; j + 4 <= m; j += 4) {                                              \
        a0 += (double)x[j] * w[idx[j]];                                       \
        a1 += (double)x[j + 1] * w[idx[j + 1]];                               \
        a2 += (double)x[j + 2] * w[idx[j + 2]];                               \
        a3 += (double)x[j + 3] * w[idx[j + 3]];                               \
    }                                                                         \
    for (; j < m; j++)                                                        \
        a0 += (double)x[j] * w[idx[j]];                                       \
    return (a0 + a1) + (a2 + a3);                                             \
}
/* w += c x into float64 w (a weight vector or a gradient sum) */
#define FASTGD_SPARSE_AXPY(SUFFIX, TX)                                        \
FASTGD_INLINE void fastgd_sparse_axpy_##SUFFIX(double c, const TX *restrict x, \
                                               const int *restrict idx,       \
                                               double *restrict w, ptrdiff_t m) \
{                                                                             \
    ptrdiff_t j;                                                              \
    for (j = 0; j < m; j++)                                                   \
        w[idx[j]] = w[idx[j]] + c * (double)x[j];                             \
}
FASTGD_SPARSE_DOT(d, double, double)
FASTGD_SPARSE_DOT(f, float, float)
FASTGD_SPARSE_DOT(fd, float, double)    /* float values, double weights */
FASTGD_SPARSE_AXPY(d, double)
FASTGD_SPARSE_AXPY(fd, float)

/* G += c x into a float64 sum (a loop without a reduction: compilers
 * vectorize it as it is) */
#define FASTGD_AXPY(NAME, TX)                                                 \
FASTGD_CLONES static void NAME(double c, const TX *restrict x, double *restrict w, \
                               ptrdiff_t m)                                   \
{                                                                             \
    ptrdiff_t j;                                                              \
    for (j = 0; j < m; j++)                                                   \
        w[j] = w[j] + c * (double)x[j];                                       \
}

FASTGD_AXPY(fastgd_axpy_d, double)
FASTGD_AXPY(fastgd_axpy_fd, float)   /* float row into a double sum */

/* Four lanes of e = exp(-|v|), the one exponential of the logistic loss and
 * of the sigmoid.  libm's exp is a scalar call; here e is 2^k exp(r) with
 * k = round(-|v| / ln 2), |r| <= ln2/2, exp(r) by its Taylor polynomial of
 * degree 13 (truncation below 1e-17) and 2^k written into the exponent bits:
 * relative error within a few ulp of libm.  Below
 * -708, where 2^k would leave the normal range, e is 0 (the true value is
 * below 1e-307).  Written with GCC vector extensions, so each target_clones
 * clone uses its own registers; other compilers get scalar loops. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(FASTGD_SCALAR)
/* c[0] x^(n-1) + ... + c[n-1], by Horner's rule (n is a constant where it
 * is called: the loop unrolls) */
FASTGD_INLINE fastgd_v4d fastgd_horner4(fastgd_v4d x, const double *c, int n)
{
    fastgd_v4d p = FASTGD_SPLAT(c[0]);
    int i;
    for (i = 1; i < n; i++)
        p = p * x + FASTGD_SPLAT(c[i]);
    return p;
}

FASTGD_INLINE fastgd_v4d fastgd_exp_neg_abs4(fastgd_v4d v)
{
    const fastgd_v4d shifter = FASTGD_SPLAT(6755399441055744.0);   /* 1.5 * 2^52 */
    fastgd_v4d x = (fastgd_v4d)((fastgd_v4i)v | (fastgd_v4i)FASTGD_SPLAT(-0.0));  /* -|v| */
    fastgd_v4i low = x < FASTGD_SPLAT(-708.0);
    x = (fastgd_v4d)(((fastgd_v4i)FASTGD_SPLAT(-708.0) & low) | ((fastgd_v4i)x & ~low));
    fastgd_v4d t = x * FASTGD_SPLAT(1.4426950408889634) + shifter;   /* k in the low bits */
    fastgd_v4d k = t - shifter;
    fastgd_v4d r = (x - k * FASTGD_SPLAT(6.93147180369123816490e-01))
                   - k * FASTGD_SPLAT(1.90821492927058770002e-10);
    static const double taylor[14] = {
        1.0 / 6227020800.0, 1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0,
        1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0,
        1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0};                 /* 1/13! .. 1/0! */
    fastgd_v4d p = fastgd_horner4(r, taylor, 14);
    fastgd_v4i bits = ((fastgd_v4i)t - (fastgd_v4i)shifter + 1023) << 52;
    return (fastgd_v4d)((fastgd_v4i)(p * (fastgd_v4d)bits) & ~low);
}

/* sigmoid(v) given e = exp(-|v|): 1 / (1 + e) for v >= 0, e / (1 + e)
 * below (loss.pxd's sigmoid_given, four lanes) */
FASTGD_INLINE fastgd_v4d fastgd_sigmoid_given4(fastgd_v4d v, fastgd_v4d e)
{
    fastgd_v4d s = FASTGD_SPLAT(1.0) / (FASTGD_SPLAT(1.0) + e);
    fastgd_v4i neg = v < FASTGD_SPLAT(0.0);
    return (fastgd_v4d)(((fastgd_v4i)(e * s) & neg) | ((fastgd_v4i)s & ~neg));
}

FASTGD_INLINE fastgd_v4d fastgd_sigmoid4(fastgd_v4d v)
{
    return fastgd_sigmoid_given4(v, fastgd_exp_neg_abs4(v));
}

/* log x for positive normal x, four lanes: x is m 2^k with m in
 * [sqrt(1/2), sqrt(2)], log m = 2 atanh(f), f = (m - 1) / (m + 1), |f| < 0.172,
 * by its series to f^23 (truncation below 1e-17); within a few ulp of libm.
 * A NaN stays NaN (its bits would otherwise read as some finite m 2^k). */
FASTGD_INLINE fastgd_v4d fastgd_log4(fastgd_v4d x)
{
    const fastgd_v4d shifter = FASTGD_SPLAT(6755399441055744.0);   /* 1.5 * 2^52 */
    fastgd_v4i bits = (fastgd_v4i)x;
    fastgd_v4i k = (bits >> 52) - 1023;                          /* x >= 0: no sign bit */
    fastgd_v4d m = (fastgd_v4d)((bits & 0x000FFFFFFFFFFFFFLL) | 0x3FF0000000000000LL);
    fastgd_v4i big = m > FASTGD_SPLAT(1.4142135623730951);
    m = m - FASTGD_SPLAT(0.5) * m * (fastgd_v4d)((fastgd_v4i)FASTGD_SPLAT(1.0) & big);
    k = k - big;                                                 /* big is -1 where set */
    fastgd_v4d kd = (fastgd_v4d)((fastgd_v4i)shifter + k) - shifter;
    fastgd_v4d f = (m - FASTGD_SPLAT(1.0)) / (m + FASTGD_SPLAT(1.0));
    fastgd_v4d f2 = f * f;
    static const double atanh_series[11] = {
        1.0 / 23.0, 1.0 / 21.0, 1.0 / 19.0, 1.0 / 17.0, 1.0 / 15.0, 1.0 / 13.0,
        1.0 / 11.0, 1.0 / 9.0, 1.0 / 7.0, 1.0 / 5.0, 1.0 / 3.0};
    fastgd_v4d q = fastgd_horner4(f2, atanh_series, 11);
    /* k ln2 + 2 f (1 + f2 q), ln 2 split so k ln2_hi is exact */
    fastgd_v4d result = kd * FASTGD_SPLAT(6.93147180369123816490e-01)
                        + (FASTGD_SPLAT(2.0) * f + FASTGD_SPLAT(2.0) * f * (f2 * q)
                           + kd * FASTGD_SPLAT(1.90821492927058770002e-10));
    fastgd_v4i number = x == x;
    return (fastgd_v4d)(((fastgd_v4i)result & number) | ((fastgd_v4i)x & ~number));
}

/* log1p(e) for e in [0, 1]: log(1 + e), and (e - (u - 1)) / u restores what
 * rounding u = 1 + e lost.  Within a few ulp of libm's log1p. */
FASTGD_INLINE fastgd_v4d fastgd_log1p_unit4(fastgd_v4d e)
{
    fastgd_v4d u = FASTGD_SPLAT(1.0) + e;
    return fastgd_log4(u) + (e - (u - FASTGD_SPLAT(1.0))) / u;
}

/* The logistic loss max(z, 0) - y z + log1p(e) of four outputs v with
 * targets t, given e = exp(-|v|). */
FASTGD_INLINE fastgd_v4d fastgd_logistic_loss4(fastgd_v4d v, fastgd_v4d t, fastgd_v4d e)
{
    fastgd_v4i neg = v < FASTGD_SPLAT(0.0);
    fastgd_v4d pos = (fastgd_v4d)((fastgd_v4i)v & ~neg);          /* max(z, 0) */
    return (pos + fastgd_log1p_unit4(e)) - t * v;
}

/* The logistic loss of four outputs z with targets y and its derivative:
 * loss = max(z, 0) - y z + log1p(e), dz = sigmoid(z) - y, e = exp(-|z|),
 * the formulas of loss.pxd's scalar loss_and_dz. */
FASTGD_INLINE void fastgd_logistic4(const double *restrict z, const double *restrict y,
                                    double *restrict loss, double *restrict dz)
{
    fastgd_v4d v, t, e, s;
    memcpy(&v, z, sizeof v);
    memcpy(&t, y, sizeof t);
    e = fastgd_exp_neg_abs4(v);
    s = fastgd_sigmoid_given4(v, e);
    v = fastgd_logistic_loss4(v, t, e);
    s = s - t;
    memcpy(loss, &v, sizeof v);
    memcpy(dz, &s, sizeof s);
}

/* The logistic losses and derivatives of n outputs.  Whole groups of four
 * go straight from memory to registers, also the last one: z, y, loss and
 * dz must have room for n rounded up to a multiple of four (the lanes past
 * n are computed on whatever is there, and written): copying a partial group
 * lane by lane would cost more than the loss itself for short blocks (a
 * one-row block is a per-sample step of a stateful rule). */
FASTGD_CLONES static void fastgd_logistic_d(const double *restrict z, const double *restrict y,
                                            double *restrict loss, double *restrict dz,
                                            ptrdiff_t n)
{
    ptrdiff_t i;
    for (i = 0; i < n; i += 4)
        fastgd_logistic4(z + i, y + i, loss + i, dz + i);
}

/* The logistic losses of n outputs z with targets y, given e = exp(-|z|)
 * (the per-sample loop has it from the step's sigmoid): only the log1p is
 * left to compute.  Whole groups of four, as fastgd_logistic_d: z, y, e and
 * loss must have room for n rounded up to a multiple of four. */
FASTGD_CLONES static void fastgd_logistic_loss_d(const double *restrict z,
                                                 const double *restrict y,
                                                 const double *restrict e,
                                                 double *restrict loss, ptrdiff_t n)
{
    fastgd_v4d v;
    ptrdiff_t i;
    for (i = 0; i < n; i += 4) {
        v = fastgd_logistic_loss4(fastgd_load4_d(z + i), fastgd_load4_d(y + i),
                                  fastgd_load4_d(e + i));
        fastgd_store4_d(loss + i, v);
    }
}

/* The softmax losses of n samples of K outputs and their derivatives:
 * loss = log sum_k exp(z_k) - z_y, dz_k = softmax(z)_k - [k == y], the
 * formulas of loss.pxd's softmax and loss_and_dz (the maximum subtracted
 * first).  Four samples a lane each: z and dz are (K, ld), column i holding
 * sample i; y holds the class indices as doubles.  ld, and the room in z,
 * dz, y and loss, must reach n rounded up to a multiple of four (the lanes
 * past n are computed on whatever is there, and not stored). */
FASTGD_CLONES static void fastgd_softmax_d(const double *restrict z, const double *restrict y,
                                           double *restrict loss, double *restrict dz,
                                           ptrdiff_t n, ptrdiff_t K, ptrdiff_t ld)
{
    ptrdiff_t i, j, k, label;
    fastgd_v4d zmax, v, e, total;
    fastgd_v4i gt;
    double lse[4];
    for (i = 0; i < n; i += 4) {
        zmax = fastgd_load4_d(z + i);
        for (k = 1; k < K; k++) {
            v = fastgd_load4_d(z + k * ld + i);
            gt = v > zmax;
            zmax = (fastgd_v4d)(((fastgd_v4i)v & gt) | ((fastgd_v4i)zmax & ~gt));
        }
        total = FASTGD_SPLAT(0.0);
        for (k = 0; k < K; k++) {
            /* z_k - max <= 0, so exp(-|.|) is its exp */
            e = fastgd_exp_neg_abs4(fastgd_load4_d(z + k * ld + i) - zmax);
            fastgd_store4_d(dz + k * ld + i, e);
            total += e;
        }
        fastgd_store4_d(lse, zmax + fastgd_log4(total));
        for (k = 0; k < K; k++)
            fastgd_store4_d(dz + k * ld + i, fastgd_load4_d(dz + k * ld + i) / total);
        for (j = 0; j < 4 && i + j < n; j++) {
            label = (ptrdiff_t)y[i + j];
            loss[i + j] = lse[j] - z[label * ld + i + j];
            dz[label * ld + i + j] -= 1.0;
        }
    }
}

#else
FASTGD_UNUSED static void fastgd_softmax_d(const double *z, const double *y, double *loss, double *dz,
                             ptrdiff_t n, ptrdiff_t K, ptrdiff_t ld)
{
    ptrdiff_t i, k, label;
    for (i = 0; i < n; i++) {
        double zmax = z[i], total = 0.0, e;
        for (k = 1; k < K; k++)
            if (z[k * ld + i] > zmax)
                zmax = z[k * ld + i];
        for (k = 0; k < K; k++) {
            e = exp(z[k * ld + i] - zmax);
            dz[k * ld + i] = e;
            total += e;
        }
        for (k = 0; k < K; k++)
            dz[k * ld + i] /= total;
        label = (ptrdiff_t)y[i];
        loss[i] = (zmax + log(total)) - z[label * ld + i];
        dz[label * ld + i] -= 1.0;
    }
}

/* the logistic loss of one output z with target y, given e = exp(-|z|) */
static inline double fastgd_logistic_loss1(double z, double y, double e)
{
    return ((z >= 0 ? z : 0.0) + log1p(e)) - y * z;
}

FASTGD_UNUSED static void fastgd_logistic_loss_d(const double *z, const double *y, const double *e,
                                   double *loss, ptrdiff_t n)
{
    ptrdiff_t i;
    for (i = 0; i < n; i++)
        loss[i] = fastgd_logistic_loss1(z[i], y[i], e[i]);
}

FASTGD_UNUSED static void fastgd_logistic_d(const double *z, const double *y, double *loss, double *dz,
                              ptrdiff_t n)
{
    ptrdiff_t i;
    for (i = 0; i < n; i++) {
        double e = exp(-fabs(z[i]));
        dz[i] = (z[i] >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e)) - y[i];
        loss[i] = fastgd_logistic_loss1(z[i], y[i], e);
    }
}
#endif

/* e = exp(-|z|) for one z: the exponential on the chain of per-sample
 * logistic steps, whose latency each step waits for.  libm's exp is a call
 * (two, through its wrapper) around which every live register is saved; this
 * one inlines.  2^(j/64) from a table of the 64 correctly rounded values,
 * x = -|z| = (64 k' + j) ln2/64 + r with |r| <= ln2/128 (ln2/64 split in
 * two, so k ln2_hi/64 is exact), exp(r) by its Taylor polynomial of degree 6
 * (truncation below 2e-20) evaluated as a tree rather than in one chain,
 * then scaled: within an ulp or two of libm.
 * Below -708 e is 0 (the true value is below 1e-307), as in
 * fastgd_exp_neg_abs4; a NaN stays NaN. */
static const double fastgd_exp2_64ths[64] = {
    0x1.0000000000000p+0, 0x1.02c9a3e778061p+0, 0x1.059b0d3158574p+0, 0x1.0874518759bc8p+0,
    0x1.0b5586cf9890fp+0, 0x1.0e3ec32d3d1a2p+0, 0x1.11301d0125b51p+0, 0x1.1429aaea92de0p+0,
    0x1.172b83c7d517bp+0, 0x1.1a35beb6fcb75p+0, 0x1.1d4873168b9aap+0, 0x1.2063b88628cd6p+0,
    0x1.2387a6e756238p+0, 0x1.26b4565e27cddp+0, 0x1.29e9df51fdee1p+0, 0x1.2d285a6e4030bp+0,
    0x1.306fe0a31b715p+0, 0x1.33c08b26416ffp+0, 0x1.371a7373aa9cbp+0, 0x1.3a7db34e59ff7p+0,
    0x1.3dea64c123422p+0, 0x1.4160a21f72e2ap+0, 0x1.44e086061892dp+0, 0x1.486a2b5c13cd0p+0,
    0x1.4bfdad5362a27p+0, 0x1.4f9b2769d2ca7p+0, 0x1.5342b569d4f82p+0, 0x1.56f4736b527dap+0,
    0x1.5ab07dd485429p+0, 0x1.5e76f15ad2148p+0, 0x1.6247eb03a5585p+0, 0x1.6623882552225p+0,
    0x1.6a09e667f3bcdp+0, 0x1.6dfb23c651a2fp+0, 0x1.71f75e8ec5f74p+0, 0x1.75feb564267c9p+0,
    0x1.7a11473eb0187p+0, 0x1.7e2f336cf4e62p+0, 0x1.82589994cce13p+0, 0x1.868d99b4492edp+0,
    0x1.8ace5422aa0dbp+0, 0x1.8f1ae99157736p+0, 0x1.93737b0cdc5e5p+0, 0x1.97d829fde4e50p+0,
    0x1.9c49182a3f090p+0, 0x1.a0c667b5de565p+0, 0x1.a5503b23e255dp+0, 0x1.a9e6b5579fdbfp+0,
    0x1.ae89f995ad3adp+0, 0x1.b33a2b84f15fbp+0, 0x1.b7f76f2fb5e47p+0, 0x1.bcc1e904bc1d2p+0,
    0x1.c199bdd85529cp+0, 0x1.c67f12e57d14bp+0, 0x1.cb720dcef9069p+0, 0x1.d072d4a07897cp+0,
    0x1.d5818dcfba487p+0, 0x1.da9e603db3285p+0, 0x1.dfc97337b9b5fp+0, 0x1.e502ee78b3ff6p+0,
    0x1.ea4afa2a490dap+0, 0x1.efa1bee615a27p+0, 0x1.f50765b6e4540p+0, 0x1.fa7c1819e90d8p+0,
};

static inline double fastgd_exp_neg_abs1(double z)
{
    const double shifter = 0x1.8p52;                 /* 1.5 * 2^52 */
    double x = -fabs(z), t, k, r, r2, q, scale;
    long long n;
    unsigned long long bits;
    if (x < -708.0)
        return 0.0;
    t = x * 0x1.71547652b82fep+6 + shifter;          /* 64 / ln2: the rounded n in t's low bits */
    k = t - shifter;
    memcpy(&n, &t, sizeof n);
    n -= 0x4338000000000000LL;                       /* t's bits minus the shifter's */
    r = (x - k * 0x1.62e42fee00000p-7) - k * 0x1.a39ef35793c76p-39;
    r2 = r * r;
    q = r + r2 * ((0.5 + r * (1.0 / 6.0))
                  + r2 * ((1.0 / 24.0 + r * (1.0 / 120.0)) + r2 * (1.0 / 720.0)));
    memcpy(&bits, &fastgd_exp2_64ths[n & 63], sizeof bits);
    bits += (unsigned long long)(n >> 6) << 52;      /* times 2^(n div 64) */
    memcpy(&scale, &bits, sizeof scale);
    return scale + scale * q;
}

/* sigmoid(z) given e = exp(-|z|): 1 / (1 + e) for z >= 0, e / (1 + e) below,
 * so nothing overflows (the one scalar sigmoid: loss.pxd's sigmoid_given is
 * this function).  A select, not a branch: GCC emits bit masks, and the sign
 * of z is a coin toss the branch predictor loses. */
static inline double fastgd_sigmoid_given1(double z, double e)
{
    return (z >= 0 ? 1.0 : e) / (1.0 + e);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif
