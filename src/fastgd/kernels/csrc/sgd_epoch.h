/* The per-sample plain SGD epoch of the linear models: every loss (squared,
 * logistic, softmax's K outputs), dense and CSR rows, float32 and float64,
 * the one loop that serves them (kernels.sgd_epoch, the estimators'
 * solver='sgd'), written in C so that the whole step is one function
 * compiled for each target_clones level (see simd.h).
 *
 * Each step waits for the one before: the next row's output needs this
 * row's update, and the update needs this output's derivative.  The loop
 * this replaces, in Cython, compiled without FMA, called the row primitives
 * through the clone dispatcher and kept z, dz and the intercept in memory;
 * in the one-output variants they stay in registers, the primitives are
 * inlined, and the logistic exponential is simd.h's inline one, not a call
 * to libm (softmax's K outputs go through scratch and fastgd_softmax_d).
 * Measured on an Intel Xeon VM, 200,000 x 100 dense rows (medians of 3 A/B
 * pairs against the Cython loop): float32 epochs, sequential squared
 * 7.1 -> 5.4 ms, sequential logistic 8.6 -> 8.3 ms, shuffled squared
 * 11.4 -> 10.4 ms, shuffled logistic 12.4 -> 11.8 ms; float64 shuffled
 * logistic 25.3 -> 23.0 ms; float64 sequential epochs, near the memory floor
 * already, unchanged.  On 100,000 x 100,000 CSR rows of 50 non-zeros, a
 * shuffled logistic epoch 17.8, 19.4 -> 17.3, 17.1 ms (compare.py's sparse
 * section, two A/B pairs; 2.8-2.9x -> 3.3-3.4x faster than scikit-learn's
 * SGDClassifier), a sequential one 12.2 -> 10.6 ms.
 *
 * Tried and not kept: computing each output a step ahead, as w . x' + c
 * x . x' (the chain of steps then holds only one multiply-add besides the
 * loss): an extra dot product per step, and the loop, already near its
 * instruction throughput, came out slower except for sequential float32
 * logistic epochs, within noise there.
 *
 * L2 is applied lazily, w = wscale v; logistic losses are deferred
 * FASTGD_LOSS_QUEUE steps and summed four lanes at a time from the steps'
 * own exp(-|z|).  tests/test_simd_builds.py holds the loop to the textbook
 * update in long double in every build, and the Python tests to the NumPy
 * reference.
 */
#ifndef FASTGD_SGD_H
#define FASTGD_SGD_H
#include <math.h>
#include <stddef.h>
#include <string.h>
#include "simd.h"
#include "prefetch.h"

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

/* The doubles of scratch an epoch of K > 1 outputs needs: outputs and
 * derivatives laid out for fastgd_softmax_d's four lanes (K x 4 each), then
 * its class index and loss (4 each). */
#define FASTGD_SGD_SCRATCH(K) (8 * (K) + 8)

/* What one epoch is asked to do, and what it did. */
typedef struct {
    ptrdiff_t n;                /* steps: one per entry of order, or per row */
    ptrdiff_t d;                /* features: the length of a dense row, of w's rows */
    ptrdiff_t K;                /* outputs: 1 for the squared and logistic losses */
    const ptrdiff_t *order;     /* the rows in visiting order, or NULL: in sequence */
    const int *indices;         /* CSR rows: column indices and row starts, */
    const int *indptr;          /*   or both NULL: dense rows */
    const double *rates;        /* the learning rate of each step, or NULL: rate */
    double rate;
    double alpha;               /* the L2 penalty */
    int loss;                   /* FASTGD_SQUARED, FASTGD_LOGISTIC or FASTGD_SOFTMAX */
    int fit_intercept;
    double *scratch;            /* FASTGD_SGD_SCRATCH(K) doubles for softmax (any K) */
    /* out */
    double loss_sum;            /* sum of s L over the steps taken */
    double weights;             /* sum of s over the steps taken */
    ptrdiff_t steps;            /* steps taken: n, or fewer at a non-finite loss */
    int nonfinite;              /* a loss was non-finite: that step was not taken */
} fastgd_sgd_epoch;

/* One epoch over the rows of X (dense: n_rows x d, C order; CSR: the values
 * of e->indices and e->indptr) with targets y (class indices as values for
 * softmax) and sample weights sw (or NULL), updating the float64 weights w
 * (K x d) and intercepts b (K).  Step p visits row i = order[p] with s = sw[i]:
 *     z = W x_i + b,  dz = dL/dz,  W <- (1 - eta alpha) W - eta s dz x_i^T,
 *     b <- b - eta s dz  (with fit_intercept).
 * A step whose loss is non-finite is not taken and ends the epoch.
 *
 * One body, compiled four ways for each dtype: SPARSE (CSR rows) and ONE
 * (K = 1, not softmax) are constants, so each variant keeps only its own
 * branches.  With ONE the outputs, derivatives and intercept are one-entry
 * local arrays, which GCC keeps in registers; dense rows fuse each step's
 * update with the next row's outputs in one pass over w (a CSR row's next
 * columns are others, so there it is an update, then a dot product). */
#define FASTGD_SGD_EPOCH(NAME, TX, SPARSE, ONE, SUFFIX, DOT, AXPY_DOT)        \
FASTGD_CLONES static void NAME(const TX *restrict X, const TX *restrict y,    \
                               const TX *restrict sw, double *restrict w,     \
                               double *restrict b, fastgd_sgd_epoch *e)       \
{                                                                             \
    const ptrdiff_t n = e->n, d = e->d, Q = FASTGD_LOSS_QUEUE;                \
    const ptrdiff_t K = ONE ? 1 : e->K, lanes = ONE ? 1 : 4;                  \
    const ptrdiff_t *order = e->order;                                        \
    /* the plan's settings as locals: the K variants write z and dz through   \
     * e->scratch, which could otherwise alias them and force reloads */      \
    const double *rates = e->rates, rate = e->rate, alpha = e->alpha;         \
    const int loss = e->loss, fit_intercept = e->fit_intercept;               \
    const int *indices = e->indices, *indptr = e->indptr, *idx = NULL;        \
    const int *next_idx = NULL;                                               \
    double queue[5 * FASTGD_LOSS_QUEUE];                                      \
    double z1[1], dz1[1], bias1[1];                                           \
    double *z = ONE ? z1 : e->scratch, *dz = ONE ? dz1 : e->scratch + 4 * K;  \
    double *bias = ONE ? bias1 : b;                                           \
    double wscale = 1.0, loss_sum = 0.0, weights = 0.0;                       \
    double s, ex, l, eta, shrink, step, target;                               \
    const TX *x, *next = NULL;                                                \
    ptrdiff_t p, i, j, k, m, next_m = 0, queued = 0;                          \
    e->nonfinite = 0;                                                         \
    if (n == 0) {                                                             \
        e->loss_sum = e->weights = 0.0;                                       \
        e->steps = 0;                                                         \
        return;                                                               \
    }                                                                         \
    /* the lanes past a partial queue, and softmax's lanes past the first,    \
     * are computed on, and ignored */                                        \
    memset(queue, 0, sizeof queue);                                           \
    if (ONE)                                                                  \
        bias1[0] = b[0];                                                      \
    else                                                                      \
        memset(e->scratch, 0, FASTGD_SGD_SCRATCH(K) * sizeof(double));        \
    i = order != NULL ? order[0] : 0;                                         \
    FASTGD_SGD_LOCATE(SPARSE, i, x, idx, m);                                  \
    for (k = 0; k < K; k++)                                                   \
        z[k * lanes] = wscale * FASTGD_SGD_ROW_DOT(SPARSE, SUFFIX, DOT, x, idx, m, \
                                                   w + k * d) + bias[k];      \
    for (p = 0; p < n; p++) {                                                 \
        if (SPARSE)                                                           \
            fastgd_prefetch_csr_rows_ahead(X, sizeof(TX), indices, indptr, y, \
                                           sizeof(TX), order, p, n, 0);       \
        else                                                                  \
            fastgd_prefetch_rows_ahead(X, order, p, n, d * (ptrdiff_t)sizeof(TX), 0); \
        s = sw != NULL ? (double)sw[i] : 1.0;                                 \
        target = (double)y[i];                                                \
        if (!ONE && loss == FASTGD_SOFTMAX) {                                 \
            e->scratch[8 * K] = target;                                       \
            fastgd_softmax_d(z, e->scratch + 8 * K, e->scratch + 8 * K + 4, dz, \
                             1, K, 4);                                        \
            l = e->scratch[8 * K + 4];                                        \
            if (!isfinite(l)) {                                               \
                e->nonfinite = 1;                                             \
                break;                                                        \
            }                                                                 \
            loss_sum += s * l;                                                \
        } else if (loss == FASTGD_LOGISTIC) {                                 \
            /* only dz is on the chain of steps; a logistic loss is finite    \
             * exactly when its output is */                                  \
            if (!isfinite(z[0])) {                                            \
                e->nonfinite = 1;                                             \
                break;                                                        \
            }                                                                 \
            ex = fastgd_exp_neg_abs1(z[0]);                                   \
            dz[0] = fastgd_sigmoid_given1(z[0], ex) - target;                 \
            queue[queued] = z[0];                                             \
            queue[Q + queued] = target;                                       \
            queue[2 * Q + queued] = s;                                        \
            queue[3 * Q + queued] = ex;                                       \
            if (++queued == Q) {                                              \
                loss_sum += fastgd_deferred_logistic_losses(queue, queued);   \
                queued = 0;                                                   \
            }                                                                 \
        } else {                                                              \
            dz[0] = z[0] - target;                                            \
            l = 0.5 * dz[0] * dz[0];                                          \
            if (!isfinite(l)) {                                               \
                e->nonfinite = 1;                                             \
                break;                                                        \
            }                                                                 \
            loss_sum += s * l;                                                \
        }                                                                     \
        weights += s;                                                         \
        eta = rates != NULL ? rates[p] : rate;                                \
        /* W <- (1 - eta alpha) W - eta s dz x^T, with W = wscale V */        \
        shrink = 1.0 - eta * alpha;                                           \
        if (shrink > FASTGD_MIN_WSCALE) {                                     \
            wscale *= shrink;                                                 \
        } else {                                                              \
            for (j = 0; j < K * d; j++)                                       \
                w[j] = w[j] * (wscale * shrink);                              \
            wscale = 1.0;                                                     \
        }                                                                     \
        /* the factor of dz in V's update: its division is made while the     \
         * output is still being computed, off the chain of steps */          \
        step = -eta * s / wscale;                                             \
        if (p + 1 < n) {                                                      \
            i = order != NULL ? order[p + 1] : p + 1;                         \
            FASTGD_SGD_LOCATE(SPARSE, i, next, next_idx, next_m);             \
        }                                                                     \
        for (k = 0; k < K; k++) {                                             \
            if (fit_intercept)                                                \
                bias[k] = bias[k] - eta * s * dz[k * lanes];                  \
            if (!SPARSE && p + 1 < n) {                                       \
                /* this step's update and the next row's output in one pass */ \
                z[k * lanes] = wscale * AXPY_DOT(step * dz[k * lanes], x, next, \
                                                 w + k * d, d) + bias[k];     \
            } else if (dz[k * lanes] != 0.0) {                                \
                FASTGD_SGD_ROW_AXPY(SPARSE, SUFFIX, step * dz[k * lanes], x, idx, m, \
                                    w + k * d);                               \
            }                                                                 \
        }                                                                     \
        if (wscale < FASTGD_MIN_WSCALE) {                                     \
            for (j = 0; j < K * d; j++)                                       \
                w[j] = w[j] * wscale;                                         \
            wscale = 1.0;                                                     \
        }                                                                     \
        if (p + 1 < n) {                                                      \
            x = next, idx = next_idx, m = next_m;                             \
            for (k = 0; SPARSE && k < K; k++)                                 \
                z[k * lanes] = wscale * FASTGD_SGD_ROW_DOT(SPARSE, SUFFIX, DOT, x, idx, m, \
                                                           w + k * d) + bias[k]; \
        }                                                                     \
    }                                                                         \
    loss_sum += fastgd_deferred_logistic_losses(queue, queued);               \
    if (wscale != 1.0)                                                        \
        for (j = 0; j < K * d; j++)                                           \
            w[j] = w[j] * wscale;                                             \
    if (ONE)                                                                  \
        b[0] = bias1[0];                                                      \
    e->loss_sum = loss_sum;                                                   \
    e->weights = weights;                                                     \
    e->steps = p;                                                             \
}

/* Helpers of FASTGD_SGD_EPOCH's body, expanded inside it: they use its
 * locals X, indices, indptr, d and j.
 * Row i: its values x, column indices idx (NULL for dense rows) and length m. */
#define FASTGD_SGD_LOCATE(SPARSE, i, x, idx, m)                               \
    do {                                                                      \
        if (SPARSE) {                                                         \
            x = X + indptr[i];                                                \
            idx = indices + indptr[i];                                        \
            m = indptr[(i) + 1] - indptr[i];                                  \
        } else {                                                              \
            x = X + (i) * d;                                                  \
            m = d;                                                            \
        }                                                                     \
    } while (0)
#define FASTGD_SGD_ROW_DOT(SPARSE, SUFFIX, DOT, x, idx, m, wk)                \
    ((SPARSE) ? fastgd_sparse_dot_##SUFFIX(x, idx, wk, m) : DOT(x, wk, m))
#define FASTGD_SGD_ROW_AXPY(SPARSE, SUFFIX, c, x, idx, m, wk)                 \
    do {                                                                      \
        if (SPARSE) {                                                         \
            fastgd_sparse_axpy_##SUFFIX(c, x, idx, wk, m);                    \
        } else {                                                              \
            for (j = 0; j < (m); j++)                                         \
                (wk)[j] = (wk)[j] + (c) * (double)(x)[j];                     \
        }                                                                     \
    } while (0)

FASTGD_SGD_EPOCH(fastgd_sgd_epoch_dense1_d, double, 0, 1, d, fastgd_dot_d_inline, fastgd_axpy_dot_d_inline)
FASTGD_SGD_EPOCH(fastgd_sgd_epoch_dense_d, double, 0, 0, d, fastgd_dot_d_inline, fastgd_axpy_dot_d_inline)
FASTGD_SGD_EPOCH(fastgd_sgd_epoch_csr1_d, double, 1, 1, d, fastgd_dot_d_inline, fastgd_axpy_dot_d_inline)
FASTGD_SGD_EPOCH(fastgd_sgd_epoch_csr_d, double, 1, 0, d, fastgd_dot_d_inline, fastgd_axpy_dot_d_inline)
FASTGD_SGD_EPOCH(fastgd_sgd_epoch_dense1_f, float, 0, 1, fd, fastgd_dot_fd_inline, fastgd_axpy_dot_fd_inline)
FASTGD_SGD_EPOCH(fastgd_sgd_epoch_dense_f, float, 0, 0, fd, fastgd_dot_fd_inline, fastgd_axpy_dot_fd_inline)
FASTGD_SGD_EPOCH(fastgd_sgd_epoch_csr1_f, float, 1, 1, fd, fastgd_dot_fd_inline, fastgd_axpy_dot_fd_inline)
FASTGD_SGD_EPOCH(fastgd_sgd_epoch_csr_f, float, 1, 0, fd, fastgd_dot_fd_inline, fastgd_axpy_dot_fd_inline)

/* The per-sample plain SGD epoch of any linear model: the variant for its
 * rows and outputs. */
#define FASTGD_SGD_EPOCH_DISPATCH(SUFFIX, TX)                                 \
static void fastgd_sgd_epoch_##SUFFIX(const TX *X, const TX *y, const TX *sw, \
                                      double *w, double *b, fastgd_sgd_epoch *e) \
{                                                                             \
    int one = e->K == 1 && e->loss != FASTGD_SOFTMAX;                         \
    if (e->indptr != NULL)                                                    \
        (one ? fastgd_sgd_epoch_csr1_##SUFFIX : fastgd_sgd_epoch_csr_##SUFFIX)(X, y, sw, w, b, e); \
    else                                                                      \
        (one ? fastgd_sgd_epoch_dense1_##SUFFIX : fastgd_sgd_epoch_dense_##SUFFIX)(X, y, sw, w, b, e); \
}
FASTGD_SGD_EPOCH_DISPATCH(d, double)
FASTGD_SGD_EPOCH_DISPATCH(f, float)
#endif
