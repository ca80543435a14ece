/* The per-sample plain SGD epoch of the linear models, in C.
 *
 * Layers: the estimators (linear_model) call the fit loop, which calls
 * kernels.sgd_epoch; with batch_size 1 and a plain rule _linear.pyx's epoch
 * hands the whole pass to fastgd_sgd_epoch_f64 / _f32 below.  The NumPy
 * reference (fastgd/reference/) specifies the result; tests/kernels/
 * test_csrc.py also holds this loop to the textbook update in long double.
 *
 * Every loss (squared, logistic, softmax's K outputs), dense and CSR rows,
 * float32 and float64 data: one function, fastgd_sgd_epoch_body, whose
 * row format, output count and dtype are compile-time constants, so that
 * each of its eight instantiations keeps only its own branches and each is
 * compiled whole for every target_clones level (simd.h).
 *
 * Why the loop is shaped so: each step waits for the one before (the next
 * row's output needs this row's update, which needs this output's
 * derivative), so the latency of that chain is the epoch's cost.  Hence:
 * with one output, z, dz and the intercept are locals GCC keeps in
 * registers; the row primitives and the logistic exponential are inlined
 * (a call saves every live register); for dense rows each step's update and
 * the next row's dot product are one pass over w; the division by the lazy
 * L2 scale is made off the chain; and the logistic losses, not on the chain,
 * are queued and summed four lanes at a time.
 *
 * L2 is applied lazily, w = wscale v, so a step costs O(nnz(x)), not O(d).
 * Float32 data trains float64 weights with double accumulation: the caller
 * keeps a float64 working copy, so a row needs one conversion per value and
 * the sums are not rounded to float32 at every step.
 */
#ifndef FASTGD_SGD_EPOCH_H
#define FASTGD_SGD_EPOCH_H
#include <math.h>
#include <stddef.h>
#include <string.h>
#include "simd.h"
#include "prefetch.h"
#include "blocks.h"

/* Below this the lazy L2 scale is folded back into the weights, long before
 * it can underflow (as scikit-learn's WeightVector does). */
#define FASTGD_MIN_WSCALE 1e-9
/* Per-sample logistic steps whose losses wait to be summed together. */
#define FASTGD_LOSS_QUEUE 32

/* The body's compile-time arguments, named at the call sites. */
enum { FASTGD_DENSE_ROWS = 0, FASTGD_CSR_ROWS = 1 };
enum { FASTGD_K_OUTPUTS = 0, FASTGD_ONE_OUTPUT = 1 };
enum { FASTGD_F64 = 0, FASTGD_F32 = 1 };

#if defined(__GNUC__) || defined(__clang__)
#define FASTGD_FORCE_INLINE static inline __attribute__((always_inline))
#else
#define FASTGD_FORCE_INLINE static inline
#endif

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

/* X, y and sample weights of one dtype, float32 when is_f32 (a constant
 * wherever these are called, so each folds to one typed access). */
FASTGD_FORCE_INLINE double fastgd_value_at(const void *values, ptrdiff_t i, int is_f32)
{
    return is_f32 ? (double)((const float *)values)[i] : ((const double *)values)[i];
}

FASTGD_FORCE_INLINE const void *fastgd_values_from(const void *values, ptrdiff_t i,
                                                   int is_f32)
{
    return is_f32 ? (const void *)((const float *)values + i)
                  : (const void *)((const double *)values + i);
}

/* One row of X: its values, its column indices (CSR; NULL for dense rows)
 * and its length. */
typedef struct {
    const void *values;
    const int *columns;
    ptrdiff_t length;
} fastgd_row;

/* Row i of X: dense (n_rows x d, C order) or CSR (indices, indptr). */
FASTGD_FORCE_INLINE fastgd_row fastgd_row_of(const void *X, const int *indices,
                                             const int *indptr, ptrdiff_t d,
                                             ptrdiff_t i, int sparse, int is_f32)
{
    fastgd_row row;
    if (sparse) {
        row.values = fastgd_values_from(X, indptr[i], is_f32);
        row.columns = indices + indptr[i];
        row.length = indptr[i + 1] - indptr[i];
    } else {
        row.values = fastgd_values_from(X, i * d, is_f32);
        row.columns = NULL;
        row.length = d;
    }
    return row;
}

/* x . w in double. */
FASTGD_FORCE_INLINE double fastgd_row_dot(fastgd_row x, const double *w, int sparse,
                                          int is_f32)
{
    if (sparse)
        return is_f32 ? fastgd_sparse_dot_fd(x.values, x.columns, w, x.length)
                      : fastgd_sparse_dot_d(x.values, x.columns, w, x.length);
    return is_f32 ? fastgd_dot_fd_inline(x.values, w, x.length)
                  : fastgd_dot_d_inline(x.values, w, x.length);
}

/* w += c x. */
FASTGD_FORCE_INLINE void fastgd_row_axpy(double c, fastgd_row x, double *w, int sparse,
                                         int is_f32)
{
    ptrdiff_t j;
    if (sparse) {
        if (is_f32)
            fastgd_sparse_axpy_fd(c, x.values, x.columns, w, x.length);
        else
            fastgd_sparse_axpy_d(c, x.values, x.columns, w, x.length);
    } else {
        for (j = 0; j < x.length; j++)
            w[j] = w[j] + c * fastgd_value_at(x.values, j, is_f32);
    }
}

/* w += c x, then return next . w with the updated w: two consecutive dense
 * steps' halves in one pass over w. */
FASTGD_FORCE_INLINE double fastgd_row_axpy_dot(double c, fastgd_row x, fastgd_row next,
                                               double *w, int is_f32)
{
    return is_f32 ? fastgd_axpy_dot_fd_inline(c, x.values, next.values, w, x.length)
                  : fastgd_axpy_dot_d_inline(c, x.values, next.values, w, x.length);
}

/* One epoch over the rows of X (dense: n_rows x d, C order; CSR: the values
 * of e->indices and e->indptr) with targets y (class indices as values for
 * softmax) and sample weights sw (or NULL), updating the float64 weights w
 * (K x d) and intercepts b (K).  Step p visits row i = order[p] with s = sw[i]:
 *     z = W x_i + b,  dz = dL/dz,  W <- (1 - eta alpha) W - eta s dz x_i^T,
 *     b <- b - eta s dz  (with fit_intercept).
 * A step whose loss is non-finite is not taken and ends the epoch.
 *
 * sparse, one_output (K = 1, not softmax) and is_f32 (X, y and sw are
 * float32) must be constants: the function is forced inline into the
 * wrappers below, one per combination.  copy (NULL, a constant, in the
 * plain wrappers) is a copy (blocks.h) made a quota at every step. */
FASTGD_FORCE_INLINE void fastgd_sgd_epoch_body(const void *restrict X, const void *restrict y,
                                               const void *restrict sw, double *restrict w,
                                               double *restrict b, fastgd_sgd_epoch *e,
                                               const int sparse, const int one_output,
                                               const int is_f32, fastgd_copy_job *copy)
{
    const ptrdiff_t n = e->n, d = e->d, Q = FASTGD_LOSS_QUEUE;
    const ptrdiff_t K = one_output ? 1 : e->K, lanes = one_output ? 1 : 4;
    const ptrdiff_t value_bytes = is_f32 ? (ptrdiff_t)sizeof(float) : (ptrdiff_t)sizeof(double);
    const ptrdiff_t *order = e->order;
    /* e's settings as locals: the K-output variants write z and dz through
     * e->scratch, which could otherwise alias them and force reloads */
    const double *rates = e->rates, rate = e->rate, alpha = e->alpha;
    const int loss = e->loss, fit_intercept = e->fit_intercept;
    const int *indices = e->indices, *indptr = e->indptr;
    double queue[5 * FASTGD_LOSS_QUEUE];
    /* with one output, one-entry arrays that GCC keeps in registers */
    double z1[1], dz1[1], bias1[1];
    double *z = one_output ? z1 : e->scratch, *dz = one_output ? dz1 : e->scratch + 4 * K;
    double *bias = one_output ? bias1 : b;
    double wscale = 1.0, loss_sum = 0.0, weights = 0.0;
    double s, ex, l, eta, shrink, step, target;
    fastgd_row x, next = {NULL, NULL, 0};
    ptrdiff_t p, i, j, k, queued = 0;
    e->nonfinite = 0;
    if (n == 0) {
        e->loss_sum = e->weights = 0.0;
        e->steps = 0;
        return;
    }
    /* the lanes past a partial queue, and softmax's lanes past the first,
     * are computed on, and ignored */
    memset(queue, 0, sizeof queue);
    if (one_output)
        bias1[0] = b[0];
    else
        memset(e->scratch, 0, FASTGD_SGD_SCRATCH(K) * sizeof(double));
    i = order != NULL ? order[0] : 0;
    x = fastgd_row_of(X, indices, indptr, d, i, sparse, is_f32);
    for (k = 0; k < K; k++)
        z[k * lanes] = wscale * fastgd_row_dot(x, w + k * d, sparse, is_f32) + bias[k];
    for (p = 0; p < n; p++) {
        if (sparse)
            fastgd_prefetch_csr_rows_ahead(X, value_bytes, indices, indptr, y, value_bytes,
                                           order, p, n, 0);
        else
            fastgd_prefetch_rows_ahead(X, order, p, n, d * value_bytes, 0);
        if (copy != NULL)
            fastgd_copy_some(copy, copy->quota);
        s = sw != NULL ? fastgd_value_at(sw, i, is_f32) : 1.0;
        target = fastgd_value_at(y, i, is_f32);
        if (!one_output && loss == FASTGD_SOFTMAX) {
            e->scratch[8 * K] = target;
            fastgd_softmax_d(z, e->scratch + 8 * K, e->scratch + 8 * K + 4, dz, 1, K, 4);
            l = e->scratch[8 * K + 4];
            if (!isfinite(l)) {
                e->nonfinite = 1;
                break;
            }
            loss_sum += s * l;
        } else if (loss == FASTGD_LOGISTIC) {
            /* only dz is on the chain of steps; a logistic loss is finite
             * exactly when its output is */
            if (!isfinite(z[0])) {
                e->nonfinite = 1;
                break;
            }
            ex = fastgd_exp_neg_abs1(z[0]);
            dz[0] = fastgd_sigmoid_given1(z[0], ex) - target;
            queue[queued] = z[0];
            queue[Q + queued] = target;
            queue[2 * Q + queued] = s;
            queue[3 * Q + queued] = ex;
            if (++queued == Q) {
                loss_sum += fastgd_deferred_logistic_losses(queue, queued);
                queued = 0;
            }
        } else {
            dz[0] = z[0] - target;
            l = 0.5 * dz[0] * dz[0];
            if (!isfinite(l)) {
                e->nonfinite = 1;
                break;
            }
            loss_sum += s * l;
        }
        weights += s;
        eta = rates != NULL ? rates[p] : rate;
        /* W <- (1 - eta alpha) W - eta s dz x^T, with W = wscale V */
        shrink = 1.0 - eta * alpha;
        if (shrink > FASTGD_MIN_WSCALE) {
            wscale *= shrink;
        } else {
            for (j = 0; j < K * d; j++)
                w[j] = w[j] * (wscale * shrink);
            wscale = 1.0;
        }
        /* the factor of dz in V's update: its division is made while the
         * output is still being computed, off the chain of steps */
        step = -eta * s / wscale;
        if (p + 1 < n) {
            i = order != NULL ? order[p + 1] : p + 1;
            next = fastgd_row_of(X, indices, indptr, d, i, sparse, is_f32);
        }
        for (k = 0; k < K; k++) {
            if (fit_intercept)
                bias[k] = bias[k] - eta * s * dz[k * lanes];
            if (!sparse && p + 1 < n) {
                /* this step's update and the next row's output in one pass
                 * (a CSR row's next columns are others: there it is an
                 * update, then a dot product) */
                z[k * lanes] = wscale * fastgd_row_axpy_dot(step * dz[k * lanes], x, next,
                                                            w + k * d, is_f32) + bias[k];
            } else if (dz[k * lanes] != 0.0) {
                fastgd_row_axpy(step * dz[k * lanes], x, w + k * d, sparse, is_f32);
            }
        }
        if (wscale < FASTGD_MIN_WSCALE) {
            for (j = 0; j < K * d; j++)
                w[j] = w[j] * wscale;
            wscale = 1.0;
        }
        if (p + 1 < n) {
            x = next;
            for (k = 0; sparse && k < K; k++)
                z[k * lanes] = wscale * fastgd_row_dot(x, w + k * d, sparse, is_f32) + bias[k];
        }
    }
    loss_sum += fastgd_deferred_logistic_losses(queue, queued);
    if (wscale != 1.0)
        for (j = 0; j < K * d; j++)
            w[j] = w[j] * wscale;
    if (one_output)
        b[0] = bias1[0];
    e->loss_sum = loss_sum;
    e->weights = weights;
    e->steps = p;
}

/* One instantiation of the body, compiled for every target_clones level: a
 * plain one passes copy_arg NULL (a constant: the copy is compiled out), a
 * copying one passes its copy job. */
#define FASTGD_SGD_EPOCH_INSTANCE(name, T, rows, outputs, dtype, copy_arg)                   \
    FASTGD_CLONES static void name(const T *restrict X, const T *restrict y,                \
                                   const T *restrict sw, double *restrict w,                \
                                   double *restrict b, fastgd_sgd_epoch *e,                 \
                                   fastgd_copy_job *copy)                                   \
    {                                                                                       \
        (void)copy;                                                                         \
        fastgd_sgd_epoch_body(X, y, sw, w, b, e, rows, outputs, dtype, copy_arg);           \
    }

/* Whether an epoch has one output (squared, logistic) or K (softmax). */
static int fastgd_sgd_epoch_one_output(const fastgd_sgd_epoch *e)
{
    return e->K == 1 && e->loss != FASTGD_SOFTMAX;
}

/* A family of four instantiations for one dtype (dense or CSR rows, one or
 * K outputs) and the function that picks among them for an epoch. */
#define FASTGD_SGD_EPOCH_FAMILY(family, T, dtype, copy_arg)                                  \
    FASTGD_SGD_EPOCH_INSTANCE(family##_dense_one, T, FASTGD_DENSE_ROWS, FASTGD_ONE_OUTPUT,   \
                              dtype, copy_arg)                                              \
    FASTGD_SGD_EPOCH_INSTANCE(family##_dense_k, T, FASTGD_DENSE_ROWS, FASTGD_K_OUTPUTS,      \
                              dtype, copy_arg)                                              \
    FASTGD_SGD_EPOCH_INSTANCE(family##_csr_one, T, FASTGD_CSR_ROWS, FASTGD_ONE_OUTPUT,       \
                              dtype, copy_arg)                                              \
    FASTGD_SGD_EPOCH_INSTANCE(family##_csr_k, T, FASTGD_CSR_ROWS, FASTGD_K_OUTPUTS,          \
                              dtype, copy_arg)                                              \
    FASTGD_UNUSED static void family(const T *X, const T *y, const T *sw, double *w,        \
                                     double *b, fastgd_sgd_epoch *e, fastgd_copy_job *copy) \
    {                                                                                       \
        if (e->indptr != NULL) {                                                            \
            if (fastgd_sgd_epoch_one_output(e))                                             \
                family##_csr_one(X, y, sw, w, b, e, copy);                                  \
            else                                                                            \
                family##_csr_k(X, y, sw, w, b, e, copy);                                    \
        } else {                                                                            \
            if (fastgd_sgd_epoch_one_output(e))                                             \
                family##_dense_one(X, y, sw, w, b, e, copy);                                \
            else                                                                            \
                family##_dense_k(X, y, sw, w, b, e, copy);                                  \
        }                                                                                   \
    }

/* The sixteen instantiations: plain and copying, float64 and float32. */
FASTGD_SGD_EPOCH_FAMILY(fastgd_sgd_epoch_plain_f64, double, FASTGD_F64, NULL)
FASTGD_SGD_EPOCH_FAMILY(fastgd_sgd_epoch_plain_f32, float, FASTGD_F32, NULL)
FASTGD_SGD_EPOCH_FAMILY(fastgd_sgd_epoch_copying_f64, double, FASTGD_F64, copy)
FASTGD_SGD_EPOCH_FAMILY(fastgd_sgd_epoch_copying_f32, float, FASTGD_F32, copy)

/* The per-sample plain SGD epoch of any linear model, float64 data. */
FASTGD_UNUSED static void fastgd_sgd_epoch_f64(const double *X, const double *y, const double *sw,
                                               double *w, double *b, fastgd_sgd_epoch *e)
{
    fastgd_sgd_epoch_plain_f64(X, y, sw, w, b, e, NULL);
}

/* The same for float32 data (the weights and intercepts are float64). */
FASTGD_UNUSED static void fastgd_sgd_epoch_f32(const float *X, const float *y, const float *sw,
                                               double *w, double *b, fastgd_sgd_epoch *e)
{
    fastgd_sgd_epoch_plain_f32(X, y, sw, w, b, e, NULL);
}

/* fastgd_sgd_epoch_copying_f64 / _f32 (above): the same epoch over a
 * block-shuffled epoch's buffer, making the copy of the next buffer as it
 * goes (blocks.h). */
#endif
