/* The per-sample plain SGD epoch of one linear output (squared or logistic
 * loss) over dense rows: the loop the epoch figures time, written in
 * C so that the whole step is one function compiled for each target_clones
 * level (see _simd.h).
 *
 * Each step waits for the one before: the next row's output needs this
 * row's update, and the update needs this output's derivative.  The same
 * loop in Cython (which still serves CSR rows and softmax's K outputs, in
 * _linear.pyx) compiles without FMA, calls the fused update and dot product
 * through the clone dispatcher and keeps z, dz and the intercept in memory;
 * here they stay in registers, the update and dot product are inlined, and
 * the exponential is _simd.h's inline one, not a call to libm.  Measured on
 * 200,000 x 100 rows (medians of 3 A/B pairs against the Cython loop):
 * float32 epochs, sequential squared 7.1 -> 5.4 ms, sequential logistic
 * 8.6 -> 8.3 ms, shuffled squared 11.4 -> 10.4 ms, shuffled logistic
 * 12.4 -> 11.8 ms; float64 shuffled logistic 25.3 -> 23.0 ms; float64
 * sequential epochs, near the memory floor already, unchanged.
 *
 * Tried and not kept: computing each output a step ahead, as w . x' + c
 * x . x' (the chain of steps then holds only one multiply-add besides the
 * loss): an extra dot product per step, and the loop, already near its
 * instruction throughput, came out slower except for sequential float32
 * logistic epochs, within noise there.
 *
 * The arithmetic is the Cython loop's, step for step: L2 applied lazily,
 * w = wscale v; logistic losses deferred FASTGD_LOSS_QUEUE steps and summed
 * four lanes at a time from the steps' own exp(-|z|).  Up to rounding: in
 * the x86-64-v3 clone GCC contracts multiply-adds into FMAs, which the
 * baseline Cython loop has not (tests hold the two to each other through the
 * CSR and dense paths, and both to the NumPy reference).
 */
#ifndef FASTGD_SGD_H
#define FASTGD_SGD_H
#include <math.h>
#include <stddef.h>
#include <string.h>
#include "_simd.h"
#include "_prefetch.h"

/* Below this the lazy L2 scale is folded back into the weights, long before
 * it can underflow (as scikit-learn's WeightVector does). */
#define FASTGD_MIN_WSCALE 1e-9
/* Per-sample logistic steps whose losses wait to be summed together. */
#define FASTGD_LOSS_QUEUE 32

/* sum_q s_q L_q of the count queued logistic steps, in step order: queue
 * holds FASTGD_LOSS_QUEUE outputs, then targets, then weights, then their
 * exp(-|z|) (computed by the steps' sigmoids), then room for the losses.
 * Only the log1p is left to compute, four lanes at a time. */
static double fastgd_deferred_logistic_losses(double *queue, ptrdiff_t count)
{
    const ptrdiff_t Q = FASTGD_LOSS_QUEUE;
    double total = 0.0;
    ptrdiff_t q;
    if (count == 0)
        return 0.0;
    fastgd_logistic_loss_d(queue, queue + Q, queue + 3 * Q, queue + 4 * Q, count);
    for (q = 0; q < count; q++)
        total += queue[2 * Q + q] * queue[4 * Q + q];
    return total;
}

/* What one epoch is asked to do, and what it did. */
typedef struct {
    ptrdiff_t n;                /* steps: one per entry of order, or per row */
    ptrdiff_t d;                /* features: the length of a row */
    const ptrdiff_t *order;     /* the rows in visiting order, or NULL: in sequence */
    const double *rates;        /* the learning rate of each step, or NULL: rate */
    double rate;
    double alpha;               /* the L2 penalty */
    int logistic;               /* the loss: logistic, or squared */
    int fit_intercept;
    /* out */
    double loss_sum;            /* sum of s L over the steps taken */
    double weights;             /* sum of s over the steps taken */
    ptrdiff_t steps;            /* steps taken: n, or fewer at a non-finite loss */
    int nonfinite;              /* a loss was non-finite: that step was not taken */
} fastgd_sgd1_epoch;

/* One epoch over the rows of X (n_rows x d, C order) with targets y and
 * sample weights sw (or NULL), updating the float64 weights w (d) and
 * intercept *b.  Step p visits row i = order[p] with s = sw[i]:
 *     z = w . x_i + b,  dz = dL/dz,  w <- (1 - eta alpha) w - eta s dz x_i,
 *     b <- b - eta s dz  (with fit_intercept).
 * A step whose loss is non-finite is not taken and ends the epoch. */
#define FASTGD_SGD1_EPOCH(NAME, TX, DOT, AXPY_DOT)                            \
FASTGD_CLONES static void NAME(const TX *restrict X, const TX *restrict y,    \
                               const TX *restrict sw, double *restrict w,     \
                               double *restrict b, fastgd_sgd1_epoch *e)      \
{                                                                             \
    const ptrdiff_t n = e->n, d = e->d, Q = FASTGD_LOSS_QUEUE;                \
    const ptrdiff_t *order = e->order;                                        \
    double queue[5 * FASTGD_LOSS_QUEUE];                                      \
    double wscale = 1.0, loss_sum = 0.0, weights = 0.0, bias = *b;            \
    double z, s, dz, ex, l, eta, shrink, step, target;                        \
    const TX *x, *next;                                                       \
    ptrdiff_t p, i, j, queued = 0;                                            \
    e->nonfinite = 0;                                                         \
    if (n == 0) {                                                             \
        e->loss_sum = e->weights = 0.0;                                       \
        e->steps = 0;                                                         \
        return;                                                               \
    }                                                                         \
    /* the lanes past a partial queue are computed on, and ignored */         \
    memset(queue, 0, sizeof queue);                                           \
    i = order != NULL ? order[0] : 0;                                         \
    x = X + i * d;                                                            \
    z = wscale * DOT(x, w, d) + bias;                                         \
    for (p = 0; p < n; p++) {                                                 \
        fastgd_prefetch_rows_ahead(X, order, p, n, d * (ptrdiff_t)sizeof(TX), 0); \
        s = sw != NULL ? (double)sw[i] : 1.0;                                 \
        target = (double)y[i];                                                \
        if (e->logistic) {                                                    \
            /* only dz is on the chain of steps; a logistic loss is finite \
             * exactly when its output is */                                  \
            if (!isfinite(z)) {                                               \
                e->nonfinite = 1;                                             \
                break;                                                        \
            }                                                                 \
            ex = fastgd_exp_neg_abs1(z);                                      \
            dz = fastgd_sigmoid_given1(z, ex) - target;                       \
            queue[queued] = z;                                                \
            queue[Q + queued] = target;                                       \
            queue[2 * Q + queued] = s;                                        \
            queue[3 * Q + queued] = ex;                                       \
            if (++queued == Q) {                                              \
                loss_sum += fastgd_deferred_logistic_losses(queue, queued);   \
                queued = 0;                                                   \
            }                                                                 \
        } else {                                                              \
            dz = z - target;                                                  \
            l = 0.5 * dz * dz;                                                \
            if (!isfinite(l)) {                                               \
                e->nonfinite = 1;                                             \
                break;                                                        \
            }                                                                 \
            loss_sum += s * l;                                                \
        }                                                                     \
        weights += s;                                                         \
        eta = e->rates != NULL ? e->rates[p] : e->rate;                       \
        /* w <- (1 - eta alpha) w - eta s dz x, with w = wscale v */          \
        shrink = 1.0 - eta * e->alpha;                                        \
        if (shrink > FASTGD_MIN_WSCALE) {                                     \
            wscale *= shrink;                                                 \
        } else {                                                              \
            for (j = 0; j < d; j++)                                           \
                w[j] = w[j] * (wscale * shrink);                              \
            wscale = 1.0;                                                     \
        }                                                                     \
        /* the factor of dz in v's update: its division is made while the \
         * output is still being computed, off the chain of steps */          \
        step = -eta * s / wscale;                                             \
        if (e->fit_intercept)                                                 \
            bias = bias - eta * s * dz;                                       \
        if (p + 1 < n) {                                                      \
            /* this step's update and the next row's output in one pass */    \
            i = order != NULL ? order[p + 1] : p + 1;                         \
            next = X + i * d;                                                 \
            z = wscale * AXPY_DOT(step * dz, x, next, w, d) + bias;           \
            x = next;                                                         \
        } else if (dz != 0.0) {                                               \
            for (j = 0; j < d; j++)                                           \
                w[j] = w[j] + (step * dz) * (double)x[j];                     \
        }                                                                     \
        if (wscale < FASTGD_MIN_WSCALE) {                                     \
            for (j = 0; j < d; j++)                                           \
                w[j] = w[j] * wscale;                                         \
            wscale = 1.0;                                                     \
        }                                                                     \
    }                                                                         \
    loss_sum += fastgd_deferred_logistic_losses(queue, queued);               \
    if (wscale != 1.0)                                                        \
        for (j = 0; j < d; j++)                                               \
            w[j] = w[j] * wscale;                                             \
    *b = bias;                                                                \
    e->loss_sum = loss_sum;                                                   \
    e->weights = weights;                                                     \
    e->steps = p;                                                             \
}

FASTGD_SGD1_EPOCH(fastgd_sgd1_epoch_d, double, fastgd_dot_d_inline, fastgd_axpy_dot_d_inline)
FASTGD_SGD1_EPOCH(fastgd_sgd1_epoch_f, float, fastgd_dot_fd_inline, fastgd_axpy_dot_fd_inline)
#endif
