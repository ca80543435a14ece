# cython: language_level=3
"""Compiled loops of the linear models (squared, logistic, softmax losses).

One loop serves dense and CSR rows: a row is ``m`` values at ``data + start``
with column indices ``indices + start``; for dense input ``indices`` is NULL,
the row is contiguous and ``m`` is the number of features.  The branch on
``indices`` is taken the same way for every row, so it costs nothing.

A model has K outputs: ``W`` is (K, d), C-contiguous, ``b`` has K entries.
Everything is accumulated in double; parameters keep the data's dtype.

These functions trust their input: :mod:`fastgd.kernels` and the estimators
validate shapes, dtypes, index ranges and values before calling them.
"""
import numpy as np

from cython cimport floating
from cython.parallel cimport prange
from libc.math cimport isfinite
from libc.stdint cimport uint64_t
from libc.stdlib cimport malloc, calloc, free
from libc.string cimport memset

from fastgd._loss cimport (loss_and_dz, sigmoid_given, exp_neg_abs, SQUARED, LOGISTIC,
                           SOFTMAX)
from fastgd._numeric cimport all_finite
from fastgd._optim cimport (Rule, UpdateRule, rule_step, scheduled_lr,
                            is_plain_sgd, SCHEDULE_CONSTANT)

cdef extern from "_prefetch.h":
    enum:
        FASTGD_FAR_PREFETCH_AHEAD
        FASTGD_NEAR_PREFETCH_AHEAD
    void fastgd_prefetch(const void* p, Py_ssize_t nbytes) noexcept nogil
    void fastgd_prefetch_rows_ahead(const void* data, const Py_ssize_t* order,
                                    Py_ssize_t p, Py_ssize_t n, Py_ssize_t row_bytes,
                                    bint near) noexcept nogil

cdef extern from "_simd.h":
    double fastgd_dot_d(const double* x, const double* w, Py_ssize_t m) noexcept nogil
    double fastgd_dot_f(const float* x, const float* w, Py_ssize_t m) noexcept nogil
    double fastgd_dot_fd(const float* x, const double* w, Py_ssize_t m) noexcept nogil
    void fastgd_axpy_d(double c, const double* x, double* w, Py_ssize_t m) noexcept nogil
    void fastgd_axpy_f(double c, const float* x, float* w, Py_ssize_t m) noexcept nogil
    void fastgd_axpy_fd(double c, const float* x, double* w, Py_ssize_t m) noexcept nogil
    double fastgd_axpy_dot_d(double c, const double* xa, const double* xb,
                             double* w, Py_ssize_t m) noexcept nogil
    double fastgd_axpy_dot_fd(double c, const float* xa, const float* xb,
                              double* w, Py_ssize_t m) noexcept nogil
    void fastgd_logistic_d(const double* z, const double* y, double* loss, double* dz,
                           Py_ssize_t n) noexcept nogil
    void fastgd_logistic_loss_d(const double* z, const double* y, const double* e,
                                double* loss, Py_ssize_t n) noexcept nogil
    void fastgd_softmax_d(const double* z, const double* y, double* loss, double* dz,
                          Py_ssize_t n, Py_ssize_t K, Py_ssize_t ld) noexcept nogil
    void fastgd_acc4_d(const double* c, const double* x0, const double* x1,
                       const double* x2, const double* x3, double* G, Py_ssize_t m) noexcept nogil
    void fastgd_acc4_f(const double* c, const float* x0, const float* x1,
                       const float* x2, const float* x3, double* G, Py_ssize_t m) noexcept nogil

cdef extern from "_sgd.h":
    const double FASTGD_MIN_WSCALE
    enum:
        FASTGD_LOSS_QUEUE
    ctypedef struct fastgd_sgd1_epoch:
        Py_ssize_t n
        Py_ssize_t d
        const Py_ssize_t* order
        const double* rates
        double rate
        double alpha
        int logistic
        int fit_intercept
        double loss_sum
        double weights
        Py_ssize_t steps
        int nonfinite
    double fastgd_deferred_logistic_losses(double* queue, Py_ssize_t count) noexcept nogil
    void fastgd_sgd1_epoch_d(const double* X, const double* y, const double* sw,
                             double* w, double* b, fastgd_sgd1_epoch* e) noexcept nogil
    void fastgd_sgd1_epoch_f(const float* X, const float* y, const float* sw,
                             double* w, double* b, fastgd_sgd1_epoch* e) noexcept nogil

ctypedef fused real_out:
    float
    double

# How many rows ahead the loops prefetch: see _prefetch.h.  Per-sample plain
# SGD over CSR rows in a shuffled order also requests each row's indptr
# entries and target from FASTGD_FAR_PREFETCH_AHEAD rows ahead (see
# prefetch_ahead).
# Dense rows per block of the full-batch gradient: 32 rows of 100 float64
# features (25 KB) stay in L1 between the block's two passes.
DEF BLOCK_ROWS = 32
# The lazy L2 scale's floor (FASTGD_MIN_WSCALE) and the deferred logistic
# losses (FASTGD_LOSS_QUEUE, fastgd_deferred_logistic_losses): see _sgd.h.

# Status codes of the loops, turned into exceptions by the wrappers.
DEF STATUS_OK = 0
DEF STATUS_NONFINITE = 1        # a loss was non-finite: the step was not taken
DEF STATUS_OVERFLOW = 2         # the last update left non-finite parameters


cdef inline double row_dot(const floating* x, const int* idx, Py_ssize_t m,
                           const real_out* w) noexcept nogil:
    """x . w, accumulated in double."""
    cdef Py_ssize_t j
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
    if idx != NULL:
        # four chains: one accumulator would make the row's latency that of
        # nnz dependent multiply-adds
        for j in range(0, m - 3, 4):
            a0 += <double>x[j] * w[idx[j]]
            a1 += <double>x[j + 1] * w[idx[j + 1]]
            a2 += <double>x[j + 2] * w[idx[j + 2]]
            a3 += <double>x[j + 3] * w[idx[j + 3]]
        for j in range(m - m % 4, m):
            a0 += <double>x[j] * w[idx[j]]
        return (a0 + a1) + (a2 + a3)
    if floating is double and real_out is double:
        return fastgd_dot_d(x, w, m)
    elif floating is float and real_out is float:
        return fastgd_dot_f(x, w, m)
    elif floating is float and real_out is double:
        return fastgd_dot_fd(x, w, m)
    else:   # double data, float weights: no caller does this
        for j in range(m):
            a0 += x[j] * w[j]
        return a0


cdef inline void row_axpy(double c, const floating* x, const int* idx,
                          Py_ssize_t m, real_out* w) noexcept nogil:
    """w += c x, computed in double."""
    cdef Py_ssize_t j
    if idx != NULL:
        for j in range(m):
            w[idx[j]] = w[idx[j]] + c * x[j]
    elif floating is double and real_out is double:
        fastgd_axpy_d(c, x, w, m)
    elif floating is float and real_out is float:
        fastgd_axpy_f(c, x, w, m)
    elif floating is float and real_out is double:
        fastgd_axpy_fd(c, x, w, m)
    else:   # double data into float parameters: no caller does this
        for j in range(m):
            w[j] = <real_out>(w[j] + c * x[j])


cdef inline void scale(double* w, Py_ssize_t n, double factor) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(n):
        w[j] = w[j] * factor


cdef inline void outputs(const floating* x, const int* idx, Py_ssize_t m,
                         const real_out* W, const real_out* b, Py_ssize_t K,
                         Py_ssize_t d, double wscale, double* z,
                         Py_ssize_t stride) noexcept nogil:
    """z[k stride] = wscale (W x)_k + b_k for the K outputs."""
    cdef Py_ssize_t k
    for k in range(K):
        z[k * stride] = wscale * row_dot(x, idx, m, W + k * d) + b[k]


cdef inline void widen(const floating* src, Py_ssize_t n, double* out) noexcept nogil:
    """out[:n] = src[:n] as float64."""
    cdef Py_ssize_t j
    for j in range(n):
        out[j] = src[j]


cdef inline Py_ssize_t locate(const Py_ssize_t* order, const int* indices,
                              const int* indptr, Py_ssize_t p, Py_ssize_t d,
                              Py_ssize_t* start, Py_ssize_t* m,
                              const int** idx) noexcept nogil:
    """The row visited at position p: its index, first value and length."""
    cdef Py_ssize_t i = order[p] if order != NULL else p
    if indptr == NULL:
        start[0], m[0], idx[0] = i * d, d, NULL
    else:
        start[0], m[0] = indptr[i], indptr[i + 1] - indptr[i]
        idx[0] = indices + start[0]
    return i


cdef inline void prefetch_ahead(const floating* data, const int* indices,
                                const Py_ssize_t* order, const int* indptr,
                                const floating* y, Py_ssize_t p, Py_ssize_t n,
                                Py_ssize_t d, bint near) noexcept nogil:
    """Request the rows some positions ahead of p.  Dense rows: as
    fastgd_prefetch_rows_ahead (_prefetch.h) says.  A CSR row (its values
    and its column indices): to L1 from FASTGD_NEAR_PREFETCH_AHEAD ahead, in
    any order; without ``near`` in a shuffled order (per-sample plain SGD),
    its indptr entries and its target first, from FASTGD_FAR_PREFETCH_AHEAD
    ahead: where a row starts is itself a random read, and the row's
    prefetch waited for it (a shuffled 100,000 x 100,000 CSR epoch, 50
    non-zeros a row: 20.2 -> 17.9 ms, median of 9 A/B pairs; adding the
    target's, in a later and quieter spell of the machine: 16.6 -> 15.7 ms,
    6 of 6 pairs faster; for dense rows the target's prefetch made logistic
    epochs 8% slower).  Mini-batch and stateful-rule steps (``near``) were
    not measured with it and go without."""
    cdef Py_ssize_t k, nnz
    if indptr == NULL:
        fastgd_prefetch_rows_ahead(data, order, p, n, d * sizeof(floating), near)
    elif p + FASTGD_NEAR_PREFETCH_AHEAD < n:
        if order != NULL and not near and p + FASTGD_FAR_PREFETCH_AHEAD < n:
            fastgd_prefetch(indptr + order[p + FASTGD_FAR_PREFETCH_AHEAD], 2 * sizeof(int))
            fastgd_prefetch(y + order[p + FASTGD_FAR_PREFETCH_AHEAD], sizeof(floating))
        k = order[p + FASTGD_NEAR_PREFETCH_AHEAD] if order != NULL else p + FASTGD_NEAR_PREFETCH_AHEAD
        nnz = indptr[k + 1] - indptr[k]
        fastgd_prefetch(data + indptr[k], nnz * sizeof(floating))
        fastgd_prefetch(indices + indptr[k], nnz * sizeof(int))


cdef inline Py_ssize_t scratch_size(Py_ssize_t K) noexcept nogil:
    """The doubles of scratch space accumulate needs for K outputs."""
    return 2 * BLOCK_ROWS * (K + 1)


cdef inline const floating* row_at(const floating* data, const Py_ssize_t* order,
                                   Py_ssize_t p, Py_ssize_t d) noexcept nogil:
    """The dense row visited at position p."""
    return data + (order[p] if order != NULL else p) * d


cdef double accumulate(int loss, const floating* data, const int* indices,
                       const int* indptr, Py_ssize_t d, const floating* y,
                       const floating* sw, const real_out* W, const real_out* b,
                       Py_ssize_t K, const Py_ssize_t* order, Py_ssize_t lo,
                       Py_ssize_t hi, Py_ssize_t n, double* G, double* Gb,
                       double* scratch, double* sw_sum) noexcept nogil:
    """Add sum_i s_i dL_i/dz x_i to G and sum_i s_i dL_i/dz to Gb for the rows
    at positions lo:hi of order (rows lo:hi when order is NULL); return
    sum_i s_i L_i and add sum_i s_i to sw_sum.  ``scratch`` holds
    scratch_size(K) doubles.

    Rows go in blocks: every output of the block, then every loss, then
    G += the block's rows (dense rows four at a time).  The rows' dot products and
    losses are then independent work the processor overlaps (one row at a
    time, each step waited for the one before), G is read and written once
    per four rows, and the block is still in cache for its second pass.
    Logistic and softmax losses of a block are computed four samples at a
    time by fastgd_logistic_d and fastgd_softmax_d (_simd.h), the formulas of
    loss_and_dz vectorized; the block's outputs are stored output by output
    (K, BLOCK_ROWS) for them."""
    cdef Py_ssize_t p, r, nb, i, k, start, m
    cdef const int* idx
    cdef double* Z = scratch                    # (K, BLOCK_ROWS) outputs
    cdef double* DZ = scratch + BLOCK_ROWS * K  # (K, BLOCK_ROWS) s dL/dz
    cdef double* Y = DZ + BLOCK_ROWS * K        # (BLOCK_ROWS,) targets
    cdef double* L = Y + BLOCK_ROWS             # (BLOCK_ROWS,) losses
    cdef const floating* x0
    cdef const floating* x1
    cdef const floating* x2
    cdef const floating* x3
    cdef double s, l, loss_sum = 0.0, weights = 0.0
    p = lo
    while p < hi:
        nb = min(BLOCK_ROWS, hi - p)
        for r in range(nb):
            # the full-batch gradient (no order) reads far ahead
            prefetch_ahead(data, indices, order, indptr, y, p + r, n, d, order != NULL)
            i = locate(order, indices, indptr, p + r, d, &start, &m, &idx)
            outputs(data + start, idx, m, W, b, K, d, 1.0, Z + r, BLOCK_ROWS)
        if loss != SQUARED:
            for r in range(nb):
                Y[r] = y[order[p + r] if order != NULL else p + r]
            if loss == LOGISTIC:
                fastgd_logistic_d(Z, Y, L, DZ, nb)
            else:
                fastgd_softmax_d(Z, Y, L, DZ, nb, K, BLOCK_ROWS)
        for r in range(nb):
            i = order[p + r] if order != NULL else p + r
            s = sw[i] if sw != NULL else 1.0
            if loss == SQUARED:
                l = loss_and_dz(loss, Z + r, 1, y[i], DZ + r)
            else:
                l = L[r]
            loss_sum += s * l
            weights += s
            for k in range(K):
                DZ[k * BLOCK_ROWS + r] *= s
                Gb[k] += DZ[k * BLOCK_ROWS + r]
        for k in range(K):
            r = 0
            while indptr == NULL and r + 4 <= nb:
                # this class's s dL/dz of the four rows are contiguous in DZ
                x0, x1 = row_at(data, order, p + r, d), row_at(data, order, p + r + 1, d)
                x2, x3 = row_at(data, order, p + r + 2, d), row_at(data, order, p + r + 3, d)
                if floating is double:
                    fastgd_acc4_d(DZ + k * BLOCK_ROWS + r, x0, x1, x2, x3, G + k * d, d)
                else:
                    fastgd_acc4_f(DZ + k * BLOCK_ROWS + r, x0, x1, x2, x3, G + k * d, d)
                r += 4
            while r < nb:
                locate(order, indices, indptr, p + r, d, &start, &m, &idx)
                row_axpy(DZ[k * BLOCK_ROWS + r], data + start, idx, m, G + k * d)
                r += 1
        p += nb
    sw_sum[0] += weights
    return loss_sum


cdef double half_sq_norm(const floating* w, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t j
    cdef double total = 0.0
    for j in range(n):
        total += <double>w[j] * w[j]
    return 0.5 * total


def loss_gradient(int loss, const floating[::1] data, const int[::1] indices,
                  const int[::1] indptr, Py_ssize_t d, const floating[::1] y,
                  const floating[::1] sample_weight, const floating[:, ::1] W,
                  const floating[::1] b, double alpha, double[:, ::1] grad_W,
                  double[::1] grad_b, int n_jobs):
    """Objective J and its gradient over all rows in one pass over X.

    Rows are split into ``n_jobs`` contiguous chunks, each summed in row order
    into its own buffer and the buffers added in chunk order: the result for a
    given ``n_jobs`` is the same on every run.  Float32 parameters are read
    as a float64 copy, so that a row's dot product converts only the row.
    """
    cdef Py_ssize_t n = y.shape[0], K = W.shape[0]
    # a chunk's buffer, rounded up to whole 64-byte lines and one line more:
    # two threads then never write to one cache line (unpadded, the losses
    # one thread writes for every block sat beside the first gradient
    # entries the next thread writes for every four rows)
    cdef Py_ssize_t width = (K * d + K + scratch_size(K) + 2 + 7) // 8 * 8 + 8
    cdef Py_ssize_t c, j, lo, hi, chunks = max(1, min(n_jobs, n))
    cdef const int* idx_p = &indices[0] if indices is not None else NULL
    cdef const int* ptr_p = &indptr[0] if indptr is not None else NULL
    cdef const floating* sw_p = &sample_weight[0] if sample_weight is not None else NULL
    # the chunks' sums, then (float32) the float64 parameters
    cdef double* buf = <double*> calloc(chunks * width + (K * d + K if floating is float else 0),
                                        sizeof(double))
    cdef double* part
    cdef double* Wd = buf + chunks * width
    cdef double loss_sum = 0.0, weights = 0.0, objective
    if buf == NULL:
        raise MemoryError()
    try:
        with nogil:
            if floating is float:
                widen(&W[0, 0], K * d, Wd)
                widen(&b[0], K, Wd + K * d)
            for c in prange(chunks, num_threads=chunks, schedule="static", chunksize=1):
                part = buf + c * width
                lo = c * n // chunks
                hi = (c + 1) * n // chunks
                # layout of a chunk: G (K d), Gb (K), scratch, loss, weight
                if floating is double:
                    part[width - 2] = accumulate(
                        loss, &data[0], idx_p, ptr_p, d, &y[0], sw_p, &W[0, 0], &b[0],
                        K, NULL, lo, hi, n, part, part + K * d, part + K * d + K,
                        part + width - 1)
                else:
                    part[width - 2] = accumulate(
                        loss, &data[0], idx_p, ptr_p, d, &y[0], sw_p, Wd, Wd + K * d,
                        K, NULL, lo, hi, n, part, part + K * d, part + K * d + K,
                        part + width - 1)
            memset(&grad_W[0, 0], 0, K * d * sizeof(double))
            memset(&grad_b[0], 0, K * sizeof(double))
            for c in range(chunks):
                part = buf + c * width
                for j in range(K * d):
                    grad_W[j // d, j % d] += part[j]
                for j in range(K):
                    grad_b[j] += part[K * d + j]
                loss_sum += part[width - 2]
                weights += part[width - 1]
            for j in range(K * d):
                grad_W[j // d, j % d] = grad_W[j // d, j % d] / weights + alpha * W[j // d, j % d]
            for j in range(K):
                grad_b[j] /= weights
            objective = loss_sum / weights + alpha * half_sq_norm(&W[0, 0], K * d)
    finally:
        free(buf)
    return objective


def epoch(int loss, const floating[::1] data, const int[::1] indices,
          const int[::1] indptr, Py_ssize_t d, const floating[::1] y,
          const floating[::1] sample_weight, floating[:, ::1] W,
          floating[::1] b, const Py_ssize_t[::1] order, Py_ssize_t batch_size,
          double alpha, bint fit_intercept, UpdateRule rule,
          double[:, ::1] state_W, double[:, ::1] state_b, long t,
          const double[::1] lr_table):
    """One pass over the rows (in ``order``, or sequentially when it is None)
    in steps of ``batch_size`` rows; returns (loss_sum, weight_sum, t, status),
    status 1 when a loss was non-finite (that step is not taken), 2 when the
    last update left non-finite parameters.

    A step uses the gradient of the batch's mean loss plus ``alpha`` W.  With
    batch_size 1 and a plain rule, L2 is applied lazily: W is kept as
    ``wscale * V`` so a step costs O(nnz(x)) instead of O(d).  V and the
    intercepts are float64 throughout such an epoch (for float32 parameters a
    working copy, rounded back at the end): a float32 row then needs one
    conversion per value, not three, and the float64 weights are the more
    accurate ones.  Other epochs round the parameters after every step.
    """
    # the number of steps of the epoch: one per entry of order (or per row)
    cdef Py_ssize_t n = order.shape[0] if order is not None else y.shape[0]
    cdef Py_ssize_t K = W.shape[0], KD = W.shape[0] * d
    cdef Py_ssize_t p, i, k, start, m, hi, step_no = 0
    cdef Py_ssize_t i_next, start_next, m_next
    cdef const int* idx = NULL
    cdef const int* idx_next = NULL
    cdef bint fused
    cdef const int* idx_p = &indices[0] if indices is not None else NULL
    cdef const int* ptr_p = &indptr[0] if indptr is not None else NULL
    cdef const floating* sw_p = &sample_weight[0] if sample_weight is not None else NULL
    cdef const Py_ssize_t* order_p = &order[0] if order is not None else NULL
    cdef const double* table = &lr_table[0] if lr_table is not None else NULL
    cdef floating* Wp = &W[0, 0]
    cdef floating* bp = &b[0]
    cdef const Rule* r = &rule.c
    cdef bint lazy = batch_size == 1 and is_plain_sgd(r)
    # per-sample plain SGD over dense rows with one output runs in C (_sgd.h),
    # with a rate for each step unless the rate is constant
    cdef bint single = lazy and ptr_p == NULL and K == 1 and loss != SOFTMAX
    cdef fastgd_sgd1_epoch plan
    cdef double* rates = NULL
    # G (K d), Gb (K), then the scratch of accumulate, whose first 2 K
    # doubles serve as z and dz of the per-sample loop
    cdef double* G = <double*> calloc(KD + K + scratch_size(K) + 5 * FASTGD_LOSS_QUEUE, sizeof(double))
    cdef double* Gb = G + KD
    cdef double* z = Gb + K
    cdef double* dz = z + K
    # the per-sample logistic loop's last outputs, targets, weights and
    # exp(-|z|), whose losses are summed FASTGD_LOSS_QUEUE at a time (see
    # fastgd_deferred_logistic_losses)
    cdef double* Zq = z + scratch_size(K)
    cdef Py_ssize_t queued = 0
    # the lazy loop's float64 weights and intercepts: W and b themselves for
    # float64, a working copy for float32
    cdef double* V = NULL
    cdef double* Vb = NULL
    cdef double* copy = NULL
    cdef double s, l, e, eta, shrink, step, wscale = 1.0, loss_sum = 0.0, weights = 0.0
    cdef double batch_loss, batch_weights
    cdef int status = STATUS_OK
    if lazy:
        if floating is double:
            V, Vb = Wp, bp
        else:
            copy = <double*> malloc((KD + K) * sizeof(double))
            V, Vb = copy, copy + KD
    if single and table == NULL and r.schedule != SCHEDULE_CONSTANT:
        rates = <double*> malloc(max(n, 1) * sizeof(double))
        if rates == NULL:
            free(G)
            G = NULL
    if G == NULL or (lazy and V == NULL):
        free(G)
        free(copy)
        free(rates)
        raise MemoryError()
    with nogil:
        if lazy:
            if floating is float:
                widen(Wp, KD, V)
                widen(bp, K, Vb)
            if single:
                # dense rows, one output: the loop of _sgd.h
                plan.n, plan.d, plan.order, plan.rates = n, d, order_p, table
                plan.rate, plan.alpha = r.lr, alpha
                plan.logistic, plan.fit_intercept = loss == LOGISTIC, fit_intercept
                if rates != NULL:
                    for p in range(n):
                        rates[p] = scheduled_lr(r, t + p + 1)
                    plan.rates = rates
                if floating is double:
                    fastgd_sgd1_epoch_d(&data[0], &y[0], sw_p, V, Vb, &plan)
                else:
                    fastgd_sgd1_epoch_f(&data[0], &y[0], sw_p, V, Vb, &plan)
                loss_sum, weights, t = plan.loss_sum, plan.weights, t + plan.steps
                if plan.nonfinite:
                    status = STATUS_NONFINITE
            else:
                i = locate(order_p, idx_p, ptr_p, 0, d, &start, &m, &idx)
                outputs(&data[start], idx, m, V, Vb, K, d, wscale, z, 1)
                for p in range(n):
                    prefetch_ahead(&data[0], idx_p, order_p, ptr_p, &y[0], p, n, d, False)
                    s = sw_p[i] if sw_p != NULL else 1.0
                    if loss == LOGISTIC:
                        # the step needs only dz; the loss (a log1p, off the
                        # chain of steps but not free) waits to be computed
                        # with others, four lanes at a time.  A logistic loss is
                        # finite exactly when its output is.
                        if not isfinite(z[0]):
                            status = STATUS_NONFINITE
                            break
                        e = exp_neg_abs(z[0])
                        dz[0] = sigmoid_given(z[0], e) - y[i]
                        Zq[queued], Zq[FASTGD_LOSS_QUEUE + queued] = z[0], y[i]
                        Zq[2 * FASTGD_LOSS_QUEUE + queued], Zq[3 * FASTGD_LOSS_QUEUE + queued] = s, e
                        queued += 1
                        if queued == FASTGD_LOSS_QUEUE:
                            loss_sum += fastgd_deferred_logistic_losses(Zq, queued)
                            queued = 0
                    else:
                        l = loss_and_dz(loss, z, K, y[i], dz)
                        if not isfinite(l):
                            status = STATUS_NONFINITE
                            break
                        loss_sum += s * l
                    weights += s
                    t += 1
                    eta = table[p] if table != NULL else scheduled_lr(r, t)
                    # w <- (1 - eta alpha) w - eta s dz x, with w = wscale V
                    shrink = 1.0 - eta * alpha
                    if shrink > FASTGD_MIN_WSCALE:
                        wscale *= shrink
                    else:
                        scale(V, KD, wscale * shrink)
                        wscale = 1.0
                    # the factor of dz in V's update, with its division made
                    # while the row's dot product is still being summed: dz is
                    # the end of the chain each step waits for
                    step = -eta * s / wscale
                    fused = False
                    if p + 1 < n:
                        i_next = locate(order_p, idx_p, ptr_p, p + 1, d, &start_next, &m_next, &idx_next)
                        # dense rows: this step's update and the next row's
                        # outputs in one pass over the weights
                        fused = ptr_p == NULL
                    for k in range(K):
                        if fit_intercept:
                            Vb[k] = Vb[k] - eta * s * dz[k]
                        if fused:
                            if floating is double:
                                z[k] = fastgd_axpy_dot_d(step * dz[k], &data[start],
                                                         &data[start_next], V + k * d, d)
                            else:
                                z[k] = fastgd_axpy_dot_fd(step * dz[k], &data[start],
                                                          &data[start_next], V + k * d, d)
                            z[k] = wscale * z[k] + Vb[k]
                        elif dz[k] != 0.0:
                            row_axpy(step * dz[k], &data[start], idx, m, V + k * d)
                    if wscale < FASTGD_MIN_WSCALE:
                        scale(V, KD, wscale)
                        wscale = 1.0
                    if p + 1 < n:
                        i, start, m, idx = i_next, start_next, m_next, idx_next
                        if not fused:
                            outputs(&data[start], idx, m, V, Vb, K, d, wscale, z, 1)
                loss_sum += fastgd_deferred_logistic_losses(Zq, queued)
                if wscale != 1.0:
                    scale(V, KD, wscale)
            if floating is float:
                for k in range(KD):
                    Wp[k] = <float>V[k]
                for k in range(K):
                    bp[k] = <float>Vb[k]
        else:
            p = 0
            while p < n:
                hi = min(p + batch_size, n)
                memset(G, 0, (KD + K) * sizeof(double))
                batch_weights = 0.0
                batch_loss = accumulate(loss, &data[0], idx_p, ptr_p, d, &y[0],
                                        sw_p, Wp, bp, K, order_p, p, hi, n,
                                        G, Gb, z, &batch_weights)
                if not isfinite(batch_loss):
                    status = STATUS_NONFINITE
                    break
                loss_sum += batch_loss
                weights += batch_weights
                t += 1
                eta = table[step_no] if table != NULL else scheduled_lr(r, t)
                step_no += 1
                m = hi - p
                for k in range(KD):
                    G[k] = G[k] / m + alpha * Wp[k]
                rule_step(r, eta, t, Wp, G, &state_W[0, 0], &state_W[1, 0], KD, True)
                if fit_intercept:
                    for k in range(K):
                        Gb[k] /= m
                    rule_step(r, eta, t, bp, Gb, &state_b[0, 0], &state_b[1, 0], K, False)
                p = hi
        # an update can overflow the parameters at a step whose loss was
        # finite (the last one, say): no later loss would reveal it
        if status == STATUS_OK and not (all_finite(Wp, KD) and all_finite(bp, K)):
            status = STATUS_OVERFLOW
    free(G)
    free(copy)
    free(rates)
    return loss_sum, weights, t, status


cdef inline uint64_t splitmix64(uint64_t* state) noexcept nogil:
    """The next output of SplitMix64 (Steele, Lea and Flood 2014)."""
    cdef uint64_t z
    state[0] += 0x9E3779B97F4A7C15ULL
    z = state[0]
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline uint64_t below(uint64_t bound, uint64_t* state) noexcept nogil:
    """A uniform integer in [0, bound), bound >= 1, without modulo bias:
    Lemire's multiply-and-reject for 32-bit bounds, rejection above."""
    cdef uint64_t x, product, threshold
    if bound <= 0xFFFFFFFFULL:
        product = (splitmix64(state) >> 32) * bound
        if (product & 0xFFFFFFFFULL) < bound:
            threshold = (0x100000000ULL - bound) % bound
            while (product & 0xFFFFFFFFULL) < threshold:
                product = (splitmix64(state) >> 32) * bound
        return product >> 32
    threshold = 0xFFFFFFFFFFFFFFFFULL - 0xFFFFFFFFFFFFFFFFULL % bound
    x = splitmix64(state)
    while x >= threshold:
        x = splitmix64(state)
    return x % bound


def shuffle_into(Py_ssize_t[::1] order, uint64_t seed):
    """Fill ``order`` with a uniformly random permutation of 0..n-1 drawn
    from ``seed`` (inside-out Fisher-Yates, one pass).  numpy's permutation
    of 200,000 rows takes 2.8 ms, a tenth of a shuffled epoch; this about
    0.3 ms."""
    cdef Py_ssize_t i, j, n = order.shape[0]
    cdef uint64_t state = seed
    with nogil:
        for i in range(n):
            j = <Py_ssize_t>below(<uint64_t>i + 1, &state)
            order[i] = order[j]
            order[j] = i


def penalty(const floating[::1] w, double alpha):
    """alpha / 2 ||w||^2 of a flat array of penalized weights (a linear
    model's coef, a network's weight prefix of theta), summed in double
    without a float64 copy."""
    if w.shape[0] == 0:
        return 0.0
    return alpha * half_sq_norm(&w[0], w.shape[0])
