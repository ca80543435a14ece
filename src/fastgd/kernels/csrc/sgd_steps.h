/* The pieces of a shuffled SGDClassifier / SGDRegressor step that simd.h
 * has no primitive for: the dense weight update that also sums the norms
 * scikit-learn's objective reads, the cumulative truncated L1 step on dense
 * and CSR rows, and the averaged step of CSR rows.
 *
 * Layers: _sgd.pyx's epoch calls these for the rows of a shuffled epoch
 * (sequential epochs keep scikit-learn's own order of operations, in the
 * .pyx); fastgd.reference.sgd specifies both; tests/kernels/test_csrc.py
 * holds the CSR loops to scikit-learn's arithmetic in every build.
 *
 * Written with simd.h's four-double vectors and compiled, as its functions
 * are, for x86-64-v3 beside the portable default: a 100-feature step's L1
 * truncation, scalar and with a division a weight as scikit-learn writes
 * it, costs more than the rest of the step.
 */
#ifndef FASTGD_SGD_STEPS_H
#define FASTGD_SGD_STEPS_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "simd.h"

/* The truncated L1 step of one weight v (q: what it has received), w = s v
 * with s > 0: the scalar form of the vector loops below. */
static inline void fastgd_sgd_l1_one(double *v, double *q, double s, double inv_s, double u)
{
    const double z = *v, qs = *q;
    double n = z;
    if (z > 0.0) {
        n = z - (u + qs) * inv_s;
        n = n > 0.0 ? n : 0.0;
    } else if (z < 0.0) {
        n = z + (u - qs) * inv_s;
        n = n < 0.0 ? n : 0.0;
    }
    *q = qs + s * (n - z);
    *v = n;
}

#if (defined(__GNUC__) || defined(__clang__)) && !defined(FASTGD_SCALAR)

FASTGD_INLINE fastgd_v4d fastgd_abs4(fastgd_v4d a)
{
    const fastgd_v4i mask = {0x7fffffffffffffffLL, 0x7fffffffffffffffLL,
                             0x7fffffffffffffffLL, 0x7fffffffffffffffLL};
    return (fastgd_v4d)((fastgd_v4i)a & mask);
}

/* a where the mask is set (all ones), b elsewhere */
FASTGD_INLINE fastgd_v4d fastgd_select4(fastgd_v4i mask, fastgd_v4d a, fastgd_v4d b)
{
    return (fastgd_v4d)(((fastgd_v4i)a & mask) | ((fastgd_v4i)b & ~mask));
}

/* w += c x; *sq = sum w^2 and *l1 = sum |w| of the updated w, in four
 * vector chains each. */
#define FASTGD_AXPY_NORMS(NAME, TX, LOADX)                                    \
FASTGD_CLONES static void NAME(double c, const TX *restrict x, double *restrict w, \
                               ptrdiff_t m, double *sq, double *l1)          \
{                                                                             \
    const fastgd_v4d cv = FASTGD_SPLAT(c);                                    \
    fastgd_v4d s = {0}, a = {0}, w0;                                          \
    ptrdiff_t j = 0;                                                          \
    double ss, aa;                                                            \
    for (; j + 4 <= m; j += 4) {                                              \
        w0 = fastgd_load4_d(w + j) + cv * LOADX(x + j);                       \
        fastgd_store4_d(w + j, w0);                                           \
        s += w0 * w0;                                                         \
        a += fastgd_abs4(w0);                                                 \
    }                                                                         \
    ss = fastgd_hsum(s);                                                      \
    aa = fastgd_hsum(a);                                                      \
    for (; j < m; j++) {                                                      \
        w[j] = w[j] + c * (double)x[j];                                       \
        ss += w[j] * w[j];                                                    \
        aa += w[j] < 0 ? -w[j] : w[j];                                        \
    }                                                                         \
    *sq = ss;                                                                 \
    *l1 = aa;                                                                 \
}
FASTGD_AXPY_NORMS(fastgd_sgd_axpy_norms_d, double, fastgd_load4_d)
FASTGD_AXPY_NORMS(fastgd_sgd_axpy_norms_fd, float, fastgd_load4_f)

/* The truncated L1 step on every weight of w = s v (s > 0, so the sign of
 * s v_j is that of v_j): v_j moves toward zero by what it is owed, (u -
 * q_j) / s for a positive weight, (u + q_j) / s for a negative one, never
 * across zero, and q_j records what it received. */
FASTGD_CLONES static void fastgd_sgd_l1_dense(double *restrict v, double *restrict q,
                                              ptrdiff_t m, double s, double u)
{
    const double inv_s = 1.0 / s;
    const fastgd_v4d zero = {0}, sv = FASTGD_SPLAT(s), uv = FASTGD_SPLAT(u);
    const fastgd_v4d iv = FASTGD_SPLAT(inv_s);
    fastgd_v4d z, qj, a, b, nv;
    ptrdiff_t j = 0;
    for (; j + 4 <= m; j += 4) {
        z = fastgd_load4_d(v + j);
        qj = fastgd_load4_d(q + j);
        a = z - (uv + qj) * iv;
        b = z + (uv - qj) * iv;
        a = fastgd_select4(a > zero, a, zero);
        b = fastgd_select4(b < zero, b, zero);
        nv = fastgd_select4(z > zero, a, fastgd_select4(z < zero, b, z));
        fastgd_store4_d(q + j, qj + sv * (nv - z));
        fastgd_store4_d(v + j, nv);
    }
    for (; j < m; j++)
        fastgd_sgd_l1_one(v + j, q + j, s, inv_s, u);
}

#endif

/* The truncated L1 step on the weights of a CSR row's features, as
 * fastgd_sgd_l1_dense takes it, without branches.  A weight's sign is as
 * random as the features a row holds, and each mispredicted branch cost
 * more than the rest of its update (a shuffled L1 epoch of 100,000 x
 * 100,000 CSR with 50 non-zeros a row spent about 9 ns a non-zero here,
 * against 1 ns for the L2 step). */
static inline uint64_t fastgd_bits(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static inline double fastgd_from_bits(uint64_t b)
{
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* GCC contracts a * b + c into one fused multiply-add wherever the target
 * has one (the x86-64-v3 clones, -march=native builds); the CSR L1 steps
 * below round the product and the sum apart, as scikit-learn's loop does,
 * so that shuffled CSR fits equal its own.  Clang contracts within an
 * expression unless told not to, in the body. */
#if defined(__GNUC__) && !defined(__clang__)
#define FASTGD_NO_FMA __attribute__((optimize("fp-contract=off")))
#define FASTGD_NO_FMA_BODY
#elif defined(__clang__)
#define FASTGD_NO_FMA
#define FASTGD_NO_FMA_BODY _Pragma("clang fp contract(off)")
#else
#define FASTGD_NO_FMA
#define FASTGD_NO_FMA_BODY
#endif

/* Weight z of a CSR row truncated (q_k: what it has received): its new
 * value, with *q_k updated. */
FASTGD_NO_FMA static inline double fastgd_sgd_l1_truncated(double z, double *q_k, double s,
                                                           double u)
{
    FASTGD_NO_FMA_BODY
    const double qk = *q_k;
    /* divided, as scikit-learn divides, so that shuffled CSR fits equal
     * its own */
    const double a = z - (u + qk) / s, b = z + (u - qk) / s;
    /* every choice as a mask: GCC turns "a > 0 ? a : 0" into a branch,
     * and whether a weight reaches zero is as random as its sign */
    const uint64_t pos = (uint64_t)0 - (uint64_t)(z > 0.0);
    const uint64_t neg = (uint64_t)0 - (uint64_t)(z < 0.0);
    const uint64_t a_left = (uint64_t)0 - (uint64_t)(a > 0.0);
    const uint64_t b_left = (uint64_t)0 - (uint64_t)(b < 0.0);
    const double n = fastgd_from_bits((fastgd_bits(a) & a_left & pos)
                                      | (fastgd_bits(b) & b_left & neg)
                                      | (fastgd_bits(z) & ~(pos | neg)));
    *q_k = qk + s * (n - z);
    return n;
}

/* The truncated L1 step on the weights of a CSR row's features idx[0:m],
 * one weight at a time in the row's order (a feature may repeat). */
FASTGD_UNUSED FASTGD_NO_FMA static void fastgd_sgd_l1_sparse(double *restrict v,
                                                              double *restrict q,
                                                              const int *restrict idx,
                                                              ptrdiff_t m, ptrdiff_t stride,
                                                              double s, double u)
{
    FASTGD_NO_FMA_BODY
    ptrdiff_t j;
    for (j = 0; j < m; j++) {
        const ptrdiff_t k = stride * idx[j];
        v[k] = fastgd_sgd_l1_truncated(v[k], q + k, s, u);
    }
}

/* The truncated L1 step on a CSR row's weights, after v_k += c x_j when
 * ADD (u the penalty after this step), for its features k = idx[j], which
 * must be distinct (canonical CSR): fastgd_sgd_l1_truncated on each weight,
 * the same values, four weights at a time.  Why: a weight's step is a chain
 * of a dozen dependent operations with a division in it, and one weight at
 * a time the processor holds the chains of only a few weights in flight (a
 * shuffled L1 epoch of 100,000 x 100,000 CSR with 50 non-zeros a row spent
 * about 3.5 ns a non-zero on the truncation); four at a time it holds four
 * times as many.  The lanes gather their weights one by one and write them
 * back one by one: with distinct features no two lanes touch one weight.
 * One pass per row, where an update and then a truncation read each
 * scattered weight twice. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(FASTGD_SCALAR)
/* The four-lane loop of FASTGD_L1_SPARSE_DISTINCT (compilers without vector
 * extensions take every weight in the scalar loop after it). */
#define FASTGD_L1_SPARSE_FOUR(TX, ADD)                                                 \
    do {                                                                               \
        const fastgd_v4d zero = {0}, sv = FASTGD_SPLAT(s), uv = FASTGD_SPLAT(u);       \
        const fastgd_v4d cv = FASTGD_SPLAT(c);                                         \
        fastgd_v4d z, qj, a, b, n, qn;                                                 \
        for (; j + 4 <= m; j += 4) {                                                   \
            const ptrdiff_t k0 = stride * idx[j], k1 = stride * idx[j + 1];            \
            const ptrdiff_t k2 = stride * idx[j + 2], k3 = stride * idx[j + 3];        \
            z = (fastgd_v4d){v[k0], v[k1], v[k2], v[k3]};                              \
            qj = (fastgd_v4d){q[k0], q[k1], q[k2], q[k3]};                             \
            if (ADD)                                                                   \
                z = z + (fastgd_v4d){(double)x[j], (double)x[j + 1], (double)x[j + 2], \
                                     (double)x[j + 3]} * cv;                           \
            a = z - (uv + qj) / sv;                                                    \
            b = z + (uv - qj) / sv;                                                    \
            a = fastgd_select4(a > zero, a, zero);                                     \
            b = fastgd_select4(b < zero, b, zero);                                     \
            n = fastgd_select4(z > zero, a, fastgd_select4(z < zero, b, z));           \
            qn = qj + sv * (n - z);                                                    \
            v[k0] = n[0]; v[k1] = n[1]; v[k2] = n[2]; v[k3] = n[3];                    \
            q[k0] = qn[0]; q[k1] = qn[1]; q[k2] = qn[2]; q[k3] = qn[3];                \
        }                                                                              \
    } while (0)
#else
#define FASTGD_L1_SPARSE_FOUR(TX, ADD) ((void)0)
#endif
#define FASTGD_L1_SPARSE_DISTINCT(NAME, TX, ADD)                                       \
FASTGD_CLONES FASTGD_NO_FMA static void NAME(double *restrict v, double *restrict q,  \
                                             const int *restrict idx,                 \
                                             const TX *restrict x, ptrdiff_t m,       \
                                             ptrdiff_t stride, double c, double s,    \
                                             double u)                                \
{                                                                                      \
    FASTGD_NO_FMA_BODY                                                                 \
    ptrdiff_t j = 0;                                                                   \
    FASTGD_L1_SPARSE_FOUR(TX, ADD);                                                    \
    for (; j < m; j++) {                                                               \
        const ptrdiff_t k = stride * idx[j];                                           \
        v[k] = fastgd_sgd_l1_truncated(ADD ? v[k] + (double)x[j] * c : v[k], q + k,    \
                                       s, u);                                          \
    }                                                                                  \
}
FASTGD_L1_SPARSE_DISTINCT(fastgd_sgd_add_l1_sparse_d, double, 1)
FASTGD_L1_SPARSE_DISTINCT(fastgd_sgd_add_l1_sparse_f, float, 1)
FASTGD_L1_SPARSE_DISTINCT(fastgd_sgd_l1_sparse_distinct_x, double, 0)

/* The truncation alone of a CSR row's distinct features, four at a time. */
static inline void fastgd_sgd_l1_sparse_distinct(double *v, double *q, const int *idx,
                                                 ptrdiff_t m, ptrdiff_t stride, double s,
                                                 double u)
{
    fastgd_sgd_l1_sparse_distinct_x(v, q, idx, NULL, m, stride, 0.0, s, u);
}

/* A CSR row's step and its averaging step on weights and averages laid
 * side by side (v_k at va[2 k], aw_k at va[2 k + 1]): v_k += x_j c and
 * aw_k += (b x_j) scale, scikit-learn's two loops' values, each pair read
 * and written as one (the weight's product is (x_j c) 1.0, exactly x_j c).
 * A step then stores once a feature, where the two loops stored twice. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(FASTGD_SCALAR)
typedef double fastgd_v2d __attribute__((vector_size(16)));
#define FASTGD_ADD_PAIR(p, xj, c, b, scale)                                            \
    do {                                                                               \
        fastgd_v2d pair;                                                               \
        memcpy(&pair, p, sizeof pair);                                                 \
        pair = pair + ((fastgd_v2d){xj, xj} * (fastgd_v2d){c, b}) * (fastgd_v2d){1.0, scale}; \
        memcpy(p, &pair, sizeof pair);                                                 \
    } while (0)
#else
#define FASTGD_ADD_PAIR(p, xj, c, b, scale)                                            \
    do {                                                                               \
        (p)[0] = (p)[0] + (xj) * (c);                                                  \
        (p)[1] = (p)[1] + (b) * (xj) * (scale);                                        \
    } while (0)
#endif
#define FASTGD_ADD_AVERAGE_PAIRS(NAME, TX)                                             \
FASTGD_CLONES FASTGD_NO_FMA static void NAME(double *restrict va, const int *restrict idx, \
                                             const TX *restrict x, ptrdiff_t m,       \
                                             double c, double b, double scale)        \
{                                                                                      \
    FASTGD_NO_FMA_BODY                                                                 \
    ptrdiff_t j;                                                                       \
    for (j = 0; j < m; j++) {                                                          \
        double *p = va + 2 * (ptrdiff_t)idx[j];                                        \
        const double xj = (double)x[j];                                                \
        FASTGD_ADD_PAIR(p, xj, c, b, scale);                                           \
    }                                                                                  \
}
FASTGD_ADD_AVERAGE_PAIRS(fastgd_sgd_add_average_pairs_d, double)
FASTGD_ADD_AVERAGE_PAIRS(fastgd_sgd_add_average_pairs_f, float)

#if !((defined(__GNUC__) || defined(__clang__)) && !defined(FASTGD_SCALAR))
/* compilers without vector extensions: the same loops, scalar */

#define FASTGD_AXPY_NORMS(NAME, TX)                                           \
static void NAME(double c, const TX *restrict x, double *restrict w,          \
                 ptrdiff_t m, double *sq, double *l1)                         \
{                                                                             \
    ptrdiff_t j;                                                              \
    double ss = 0.0, aa = 0.0;                                                \
    for (j = 0; j < m; j++) {                                                 \
        w[j] = w[j] + c * (double)x[j];                                       \
        ss += w[j] * w[j];                                                    \
        aa += w[j] < 0 ? -w[j] : w[j];                                        \
    }                                                                         \
    *sq = ss;                                                                 \
    *l1 = aa;                                                                 \
}
FASTGD_AXPY_NORMS(fastgd_sgd_axpy_norms_d, double)
FASTGD_AXPY_NORMS(fastgd_sgd_axpy_norms_fd, float)

static void fastgd_sgd_l1_dense(double *restrict v, double *restrict q, ptrdiff_t m,
                                double s, double u)
{
    const double inv_s = 1.0 / s;
    ptrdiff_t j;
    for (j = 0; j < m; j++)
        fastgd_sgd_l1_one(v + j, q + j, s, inv_s, u);
}
#endif
#endif
