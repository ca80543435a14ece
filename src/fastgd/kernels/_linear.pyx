# cython: language_level=3
"""Compiled loops of the linear models (squared, logistic, softmax losses).

Layers: the estimators (fastgd.linear_model) run the fit loop, which calls
:mod:`fastgd.kernels`; that validates its input and calls the functions
here, which trust it.  The NumPy reference (fastgd.reference) specifies
what each computes, and the tests hold them to it.

Two loops: ``loss_gradient`` (the full-batch objective and gradient) and
``epoch`` (one pass of update steps).  A per-sample plain SGD epoch is
handed whole to the C loop of ``csrc/sgd_epoch.h``; every other step sums
a batch's gradient with ``accumulate``.

One loop serves dense and CSR rows: a row is ``m`` values at ``data + start``
with column indices ``indices + start``; for dense input ``indices`` is NULL,
the row is contiguous and ``m`` is the number of features.  The branch on
``indices`` is taken the same way for every row, so it costs nothing.

A model has K outputs: ``W`` is (K, d), C-contiguous, ``b`` has K entries.
Everything is accumulated in double; parameters keep the data's dtype.
"""
import numpy as np

from cython cimport floating
from cython.parallel cimport prange, threadid
from libc.math cimport isfinite
from libc.stdlib cimport malloc, calloc, free
from cpython.pyport cimport PY_SSIZE_T_MAX
from libc.string cimport memcpy, memset

from fastgd.kernels.loss cimport SQUARED, LOGISTIC, SOFTMAX
from fastgd.kernels._numeric cimport all_finite, half_sq_norm
from fastgd.kernels cimport _status
from fastgd.kernels._signals cimport SignalWatch, interrupted, signal_pending, start_watch
from fastgd.kernels.rules cimport (Rule, UpdateRule, rule_state_rows, rule_step3, scheduled_lr,
                            is_plain_sgd, SCHEDULE_CONSTANT)

cdef extern from "csrc/prefetch.h":
    void fastgd_prefetch_rows_ahead(const void* data, const Py_ssize_t* order,
                                    Py_ssize_t p, Py_ssize_t n, Py_ssize_t row_bytes,
                                    bint near) noexcept nogil
    void fastgd_prefetch_csr_rows_ahead(const void* values, Py_ssize_t value_bytes,
                                        const int* indices, const int* indptr,
                                        const void* targets, Py_ssize_t target_bytes,
                                        const Py_ssize_t* order, Py_ssize_t p,
                                        Py_ssize_t n, bint near) noexcept nogil

cdef extern from "csrc/simd.h":
    double fastgd_dot_d(const double* x, const double* w, Py_ssize_t m) noexcept nogil
    double fastgd_dot_f(const float* x, const float* w, Py_ssize_t m) noexcept nogil
    double fastgd_dot_fd(const float* x, const double* w, Py_ssize_t m) noexcept nogil
    void fastgd_axpy_d(double c, const double* x, double* w, Py_ssize_t m) noexcept nogil
    void fastgd_axpy_fd(double c, const float* x, double* w, Py_ssize_t m) noexcept nogil
    double fastgd_sparse_dot_d(const double* x, const int* idx, const double* w,
                               Py_ssize_t m) noexcept nogil
    double fastgd_sparse_dot_f(const float* x, const int* idx, const float* w,
                               Py_ssize_t m) noexcept nogil
    double fastgd_sparse_dot_fd(const float* x, const int* idx, const double* w,
                                Py_ssize_t m) noexcept nogil
    void fastgd_sparse_axpy_d(double c, const double* x, const int* idx, double* w,
                              Py_ssize_t m) noexcept nogil
    void fastgd_sparse_axpy_fd(double c, const float* x, const int* idx, double* w,
                               Py_ssize_t m) noexcept nogil
    void fastgd_logistic_d(const double* z, const double* y, double* loss, double* dz,
                           Py_ssize_t n) noexcept nogil
    void fastgd_softmax_d(const double* z, const double* y, double* loss, double* dz,
                          Py_ssize_t n, Py_ssize_t K, Py_ssize_t ld) noexcept nogil
    void fastgd_acc4_d(const double* c, const double* x0, const double* x1,
                       const double* x2, const double* x3, double* G, Py_ssize_t m) noexcept nogil
    void fastgd_acc4_f(const double* c, const float* x0, const float* x1,
                       const float* x2, const float* x3, double* G, Py_ssize_t m) noexcept nogil

cdef extern from "csrc/blocks.h":
    ctypedef struct fastgd_copy_job:
        const char** src
        char** dst
        const Py_ssize_t* bytes
        Py_ssize_t count
        Py_ssize_t k
        Py_ssize_t done
        Py_ssize_t pk
        Py_ssize_t pdone
        Py_ssize_t ahead
        Py_ssize_t quota
    void fastgd_copy_some(fastgd_copy_job* job, Py_ssize_t bytes) noexcept nogil
    Py_ssize_t fastgd_block_rows(Py_ssize_t b, Py_ssize_t bs, Py_ssize_t n) noexcept nogil
    Py_ssize_t fastgd_scan_buffer(const Py_ssize_t* order, Py_ssize_t n, Py_ssize_t start,
                                  Py_ssize_t bs, Py_ssize_t bb, Py_ssize_t* slot,
                                  Py_ssize_t* blocks, Py_ssize_t* count,
                                  Py_ssize_t* local) noexcept nogil

cdef extern from "csrc/sgd_epoch.h":
    Py_ssize_t FASTGD_SGD_SCRATCH(Py_ssize_t K) noexcept nogil
    ctypedef struct fastgd_sgd_epoch:
        Py_ssize_t n
        Py_ssize_t d
        Py_ssize_t K
        const Py_ssize_t* order
        const int* indices
        const int* indptr
        const double* rates
        double rate
        double alpha
        int loss
        int fit_intercept
        double* scratch
        double loss_sum
        double weights
        Py_ssize_t steps
        int nonfinite
    void fastgd_sgd_epoch_f64(const double* X, const double* y, const double* sw,
                            double* w, double* b, fastgd_sgd_epoch* e) noexcept nogil
    void fastgd_sgd_epoch_f32(const float* X, const float* y, const float* sw,
                            double* w, double* b, fastgd_sgd_epoch* e) noexcept nogil
    void fastgd_sgd_epoch_copying_f64(const double* X, const double* y, const double* sw,
                                      double* w, double* b, fastgd_sgd_epoch* e,
                                      fastgd_copy_job* copy) noexcept nogil
    void fastgd_sgd_epoch_copying_f32(const float* X, const float* y, const float* sw,
                                      double* w, double* b, fastgd_sgd_epoch* e,
                                      fastgd_copy_job* copy) noexcept nogil

# The dtype of the weights a gradient loop reads: the data's, or float64 (the
# float64 copy of float32 parameters that loss_gradient reads, so that a dot
# product converts only the row).  Float64 data always has float64 weights.
ctypedef fused weights_dtype:
    float
    double

cdef enum:
    # Dense rows per block of the full-batch gradient: 32 rows of 100 float64
    # features (25 KB) stay in L1 between the block's two passes.
    BLOCK_ROWS = 32

# The losses by name, numbered as the loops know them (simd.h).
LOSSES = {"squared": SQUARED, "logistic": LOGISTIC, "softmax": SOFTMAX}

# The status codes epoch returns (_status.pxd), as Python ints.
STATUS_OK = _status.STATUS_OK
STATUS_NONFINITE = _status.STATUS_NONFINITE
STATUS_OVERFLOW = _status.STATUS_OVERFLOW
STATUS_BAD_ORDER = _status.STATUS_BAD_ORDER


cdef inline double row_dot(const floating* x, const int* idx, Py_ssize_t m,
                           const double* w) noexcept nogil:
    """x . w for float64 weights, accumulated in double."""
    if idx != NULL:
        if floating is double:
            return fastgd_sparse_dot_d(x, idx, w, m)
        else:
            return fastgd_sparse_dot_fd(x, idx, w, m)
    if floating is double:
        return fastgd_dot_d(x, w, m)
    else:
        return fastgd_dot_fd(x, w, m)


cdef inline double row_dot_f32(const float* x, const int* idx, Py_ssize_t m,
                               const float* w) noexcept nogil:
    """x . w for float32 weights (the mini-batch steps of float32 models),
    accumulated in double."""
    if idx != NULL:
        return fastgd_sparse_dot_f(x, idx, w, m)
    return fastgd_dot_f(x, w, m)


cdef inline void row_axpy(double c, const floating* x, const int* idx,
                          Py_ssize_t m, double* G) noexcept nogil:
    """G += c x, computed in double (G is a float64 gradient sum)."""
    if idx != NULL:
        if floating is double:
            fastgd_sparse_axpy_d(c, x, idx, G, m)
        else:
            fastgd_sparse_axpy_fd(c, x, idx, G, m)
    elif floating is double:
        fastgd_axpy_d(c, x, G, m)
    else:
        fastgd_axpy_fd(c, x, G, m)


cdef inline void copy_to_float64(const floating* src, Py_ssize_t n, double* out) noexcept nogil:
    """out[:n] = src[:n] as float64."""
    cdef Py_ssize_t j
    for j in range(n):
        out[j] = src[j]


cdef inline Py_ssize_t row_at_position(const Py_ssize_t* order, const int* indices,
                                       const int* indptr, Py_ssize_t p, Py_ssize_t d,
                                       Py_ssize_t* start, Py_ssize_t* m,
                                       const int** idx) noexcept nogil:
    """The row visited at position p of order: its index (returned), the
    offset of its first value, its length and its column indices (NULL for
    dense rows)."""
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
    """Request the rows some positions ahead of p, dense or CSR (prefetch.h)."""
    if indptr == NULL:
        fastgd_prefetch_rows_ahead(data, order, p, n, d * sizeof(floating), near)
    else:
        fastgd_prefetch_csr_rows_ahead(data, sizeof(floating), indices, indptr, y,
                                       sizeof(floating), order, p, n, near)


cdef inline Py_ssize_t scratch_size(Py_ssize_t K) noexcept nogil:
    """The doubles of scratch space accumulate needs for K outputs."""
    return 2 * BLOCK_ROWS * (K + 1)


cdef inline const floating* dense_row_at_position(const floating* data,
                                                  const Py_ssize_t* order, Py_ssize_t p,
                                                  Py_ssize_t d) noexcept nogil:
    """The dense row visited at position p."""
    return data + (order[p] if order != NULL else p) * d


cdef double accumulate(int loss, const floating* data, const int* indices,
                       const int* indptr, Py_ssize_t d, const floating* y,
                       const floating* sw, const weights_dtype* W, const weights_dtype* b,
                       Py_ssize_t K, const Py_ssize_t* order, Py_ssize_t lo,
                       Py_ssize_t hi, Py_ssize_t n, double* G, double* Gb,
                       double* scratch, double* sw_sum) noexcept nogil:
    """Add sum_i s_i dL_i/dz x_i to G and sum_i s_i dL_i/dz to Gb for the rows
    at positions lo:hi of order (rows lo:hi when order is NULL); return
    sum_i s_i L_i and add sum_i s_i to sw_sum.  ``scratch`` holds
    scratch_size(K) doubles.

    Rows go in blocks: every output of the block, then every loss, then
    G += the block's rows (dense rows four at a time).  The rows' dot
    products and losses are then independent work the processor overlaps
    (row by row, each would wait for the one before), G is read and written
    once per four rows, and the block is still in cache for its second pass.
    Logistic and softmax losses of a block are computed four samples at a
    time by fastgd_logistic_d and fastgd_softmax_d (simd.h), the formulas of
    loss.pxd's loss_and_dz vectorized; the block's outputs are stored output by output
    (K, BLOCK_ROWS) for them."""
    cdef Py_ssize_t p, r, nb, i, k, start, m
    cdef const int* idx
    cdef const floating* x
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
            i = row_at_position(order, indices, indptr, p + r, d, &start, &m, &idx)
            x = data + start
            for k in range(K):
                # (float64 data with float32 weights: no caller, nothing to do)
                if weights_dtype is double:
                    Z[k * BLOCK_ROWS + r] = row_dot(x, idx, m, W + k * d) + b[k]
                elif floating is float:
                    Z[k * BLOCK_ROWS + r] = row_dot_f32(x, idx, m, W + k * d) + b[k]
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
                DZ[r] = Z[r] - y[i]
                l = 0.5 * DZ[r] * DZ[r]
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
                x0, x1 = dense_row_at_position(data, order, p + r, d), dense_row_at_position(data, order, p + r + 1, d)
                x2, x3 = dense_row_at_position(data, order, p + r + 2, d), dense_row_at_position(data, order, p + r + 3, d)
                if floating is double:
                    fastgd_acc4_d(DZ + k * BLOCK_ROWS + r, x0, x1, x2, x3, G + k * d, d)
                else:
                    fastgd_acc4_f(DZ + k * BLOCK_ROWS + r, x0, x1, x2, x3, G + k * d, d)
                r += 4
            while r < nb:
                row_at_position(order, indices, indptr, p + r, d, &start, &m, &idx)
                row_axpy(DZ[k * BLOCK_ROWS + r], data + start, idx, m, G + k * d)
                r += 1
        p += nb
    sw_sum[0] += weights
    return loss_sum


# The full-batch gradient sums its rows in chunks whose number depends on the
# data alone, never on the number of threads (so that n_jobs never changes a
# result): up to MAX_GRADIENT_CHUNKS, enough for the threads of a large
# machine, but no more than keeps zeroing and adding their buffers (one
# gradient each) under 1/8 of the pass over the stored values.
cdef enum:
    MAX_GRADIENT_CHUNKS = 16


cdef inline Py_ssize_t gradient_chunks(Py_ssize_t n, Py_ssize_t nnz,
                                       Py_ssize_t width) noexcept nogil:
    return max(1, min(<Py_ssize_t>MAX_GRADIENT_CHUNKS, n, nnz // (8 * width)))


# Long passes run in calls of about CALL_VALUES stored values (a few
# milliseconds), between which Ctrl-C is looked for (see _signals.pxd).
cdef enum:
    CALL_VALUES = 1 << 21


cdef inline Py_ssize_t rows_per_call(Py_ssize_t n_rows, Py_ssize_t n_values) noexcept nogil:
    """The rows of a call over about CALL_VALUES of X's n_values stored
    values, a whole number of accumulate's blocks: a split that depends on
    X's shape alone, so that results never depend on how calls are timed."""
    cdef Py_ssize_t per_row = max(1, n_values // max(1, n_rows))
    return max(1, (CALL_VALUES // per_row + BLOCK_ROWS - 1) // BLOCK_ROWS) * BLOCK_ROWS


def loss_gradient(int loss, const floating[::1] data, const int[::1] indices,
                  const int[::1] indptr, Py_ssize_t d, const floating[::1] y,
                  const floating[::1] sample_weight, const floating[:, ::1] W,
                  const floating[::1] b, double alpha, double[:, ::1] grad_W,
                  double[::1] grad_b, Py_ssize_t n_jobs, int max_threads):
    """Objective J and its gradient over all rows in one pass over X.

    Rows are split into contiguous chunks whose number depends on the data's
    shape alone (gradient_chunks), each summed in row order into its own
    buffer, the buffers added in chunk order: the result is bit-identical
    whatever ``n_jobs`` and on every run.  ``n_jobs`` threads share the
    chunks (at most ``max_threads``: the CPUs there are; a thread per chunk
    for a huge n_jobs would fail to start and end the process).  Float32
    parameters are read as a float64 copy, so that a row's dot product
    converts only the row.
    """
    cdef Py_ssize_t n = y.shape[0], K = W.shape[0]
    # a chunk's buffer, rounded up to whole 64-byte lines and one line more:
    # two threads then never write to one cache line (else the losses one
    # thread writes for every block could share a line with the first
    # gradient entries the next thread writes for every four rows)
    cdef Py_ssize_t width = (K * d + K + scratch_size(K) + 2 + 7) // 8 * 8 + 8
    cdef Py_ssize_t c, j, lo, hi
    cdef Py_ssize_t chunks = gradient_chunks(n, indptr[n] if indptr is not None else n * d, width)
    cdef const int* idx_p = &indices[0] if indices is not None else NULL
    cdef const int* ptr_p = &indptr[0] if indptr is not None else NULL
    cdef const floating* sw_p = &sample_weight[0] if sample_weight is not None else NULL
    # the chunks' sums, then (float32) the float64 parameters
    cdef double* buf = <double*> calloc(chunks * width + (K * d + K if floating is float else 0),
                                        sizeof(double))
    cdef double* part
    cdef double* Wd = buf + chunks * width
    cdef double loss_sum = 0.0, weights = 0.0, objective
    cdef Py_ssize_t mid, call_rows = rows_per_call(n, data.shape[0])
    # the stop every thread reads (through a pointer: prange makes the
    # variables a loop assigns private to each thread)
    cdef int stop = 0
    cdef int* stop_p = &stop
    cdef SignalWatch watch
    if buf == NULL:
        raise MemoryError()
    start_watch(&watch)
    try:
        with nogil:
            if floating is float:
                copy_to_float64(&W[0, 0], K * d, Wd)
                copy_to_float64(&b[0], K, Wd + K * d)
            for c in prange(chunks, num_threads=max(1, min(chunks, n_jobs, max_threads)),
                            schedule="static", chunksize=1):
                part = buf + c * width
                lo = c * n // chunks
                hi = (c + 1) * n // chunks
                # layout of a chunk: G (K d), Gb (K), scratch, loss, weight;
                # the chunk in calls of rows_per_call rows, between which the
                # main thread looks for Ctrl-C and every thread for a stop
                while lo < hi and not stop_p[0]:
                    mid = min(hi, lo + call_rows)
                    if floating is double:
                        part[width - 2] += accumulate(
                            loss, &data[0], idx_p, ptr_p, d, &y[0], sw_p, &W[0, 0], &b[0],
                            K, NULL, lo, mid, n, part, part + K * d, part + K * d + K,
                            part + width - 1)
                    else:
                        part[width - 2] += accumulate(
                            loss, &data[0], idx_p, ptr_p, d, &y[0], sw_p, Wd, Wd + K * d,
                            K, NULL, lo, mid, n, part, part + K * d, part + K * d + K,
                            part + width - 1)
                    lo = mid
                    if threadid() == 0 and signal_pending(&watch):
                        stop_p[0] = 1
            if stop:
                with gil:
                    raise KeyboardInterrupt
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


cdef struct BlockBuffer:
    # the geometry of the block order: rows, rows a block, blocks a buffer
    Py_ssize_t n_rows, bs, bb
    # scan_buffer's work: each block's scratch row (-1 when not in the
    # buffer), the buffer's blocks, its rows' scratch rows in visiting order
    Py_ssize_t* slot
    Py_ssize_t* blocks
    Py_ssize_t* local
    # the copy: dense rows, or CSR values, column indices and row starts
    # (from 0); the targets and sample weights (NULL without) of its rows
    void* values
    int* indices
    int* indptr
    void* y
    void* sw
    # the positions of order the buffer holds: start to end
    Py_ssize_t start, end
    # the copy of its rows (CSR: values and indices), a segment a block
    fastgd_copy_job job
    const char** src
    char** dst
    Py_ssize_t* bytes


cdef Py_ssize_t plan_buffer(BlockBuffer* B, const Py_ssize_t* order, const floating* data,
                            const int* indices, const int* indptr, Py_ssize_t d,
                            const floating* y, const floating* sw,
                            Py_ssize_t start) noexcept nogil:
    """Read the buffer of the block order that begins at position start into
    B: its targets, weights and (CSR) row starts are copied, and B.job is
    set to copy its rows, block by block, each in sequence (the caller runs
    it).  Return where the buffer ends, or -1 when order is not a block
    order of B's geometry."""
    cdef Py_ssize_t count, k, b, r0, rows, j, first, at, off = 0, size
    cdef char* values = <char*> B.values
    cdef Py_ssize_t end = fastgd_scan_buffer(order, B.n_rows, start, B.bs, B.bb, B.slot,
                                             B.blocks, &count, B.local)
    B.job.count, B.job.k, B.job.done = 0, 0, 0
    B.job.pk, B.job.pdone, B.job.ahead = 0, 0, 0
    if end >= 0:
        for k in range(count):
            b = B.blocks[k]
            r0, rows, at = b * B.bs, fastgd_block_rows(b, B.bs, B.n_rows), B.slot[b]
            if indptr == NULL:
                size = rows * d * sizeof(floating)
                B.src[B.job.count] = <const char*> (data + r0 * d)
                B.dst[B.job.count] = values + at * d * sizeof(floating)
                B.bytes[B.job.count] = size
                B.job.count += 1
            else:
                first = indptr[r0]
                size = indptr[r0 + rows] - first
                B.src[B.job.count] = <const char*> (data + first)
                B.dst[B.job.count] = values + off * sizeof(floating)
                B.bytes[B.job.count] = size * sizeof(floating)
                B.src[B.job.count + 1] = <const char*> (indices + first)
                B.dst[B.job.count + 1] = <char*> (B.indices + off)
                B.bytes[B.job.count + 1] = size * sizeof(int)
                B.job.count += 2
                for j in range(rows):
                    B.indptr[at + j] = <int>(indptr[r0 + j] - first + off)
                off += size
            memcpy(<floating*> B.y + at, y + r0, rows * sizeof(floating))
            if sw != NULL:
                memcpy(<floating*> B.sw + at, sw + r0, rows * sizeof(floating))
        if indptr != NULL:
            B.indptr[end - start] = <int>off
    for k in range(count):
        B.slot[B.blocks[k]] = -1
    B.start, B.end = start, end
    return end


cdef Py_ssize_t load_buffer(BlockBuffer* B, const Py_ssize_t* order, const floating* data,
                            const int* indices, const int* indptr, Py_ssize_t d,
                            const floating* y, const floating* sw,
                            Py_ssize_t start) noexcept nogil:
    """plan_buffer, then its copy at once; return where the buffer ends
    (-1: not a block order)."""
    cdef Py_ssize_t end = plan_buffer(B, order, data, indices, indptr, d, y, sw, start)
    fastgd_copy_some(&B.job, PY_SSIZE_T_MAX)
    return end


cdef inline void* address(object array):
    """Where the values of a NumPy array the caller keeps alive begin."""
    return <void*> <size_t> array.ctypes.data


cdef object make_buffer(BlockBuffer* B, Py_ssize_t block_size, Py_ssize_t buffer_blocks,
                        object dtype, const int[::1] indptr, Py_ssize_t n_rows, Py_ssize_t d,
                        bint weighted):
    """Allocate B's arrays for a block order of this geometry (its scratch
    buffer holds buffer_blocks blocks: the rows, or for CSR X the non-zeros
    of the buffer_blocks blocks that hold most); return the object that owns
    them, to keep while B is used."""
    cdef Py_ssize_t rows = min(n_rows, block_size * buffer_blocks), b, most = 0
    B.n_rows, B.bs, B.bb = n_rows, block_size, buffer_blocks
    slot = np.full((n_rows + block_size - 1) // block_size, -1, dtype=np.intp)
    blocks = np.empty(buffer_blocks, dtype=np.intp)
    local = np.empty(rows, dtype=np.intp)
    if indptr is None:
        values, indices_copy, indptr_copy = np.empty(rows * d, dtype=dtype), None, None
    else:
        for b in range(0, n_rows, block_size):
            most = max(most, indptr[min(b + block_size, n_rows)] - indptr[b])
        values = np.empty(max(1, min(most * buffer_blocks, indptr[n_rows])), dtype=dtype)
        indices_copy = np.empty(values.shape[0], dtype=np.int32)
        indptr_copy = np.empty(rows + 1, dtype=np.int32)
    y_copy = np.empty(rows, dtype=dtype)
    sw_copy = np.empty(rows, dtype=dtype) if weighted else None
    B.slot = <Py_ssize_t*> address(slot)
    B.blocks = <Py_ssize_t*> address(blocks)
    B.local = <Py_ssize_t*> address(local)
    B.values = address(values)
    B.indices = <int*> address(indices_copy) if indices_copy is not None else NULL
    B.indptr = <int*> address(indptr_copy) if indptr_copy is not None else NULL
    B.y = address(y_copy)
    B.sw = address(sw_copy) if sw_copy is not None else NULL
    B.start = B.end = 0
    segments = np.zeros((3, 2 * buffer_blocks), dtype=np.intp)
    B.src = <const char**> address(segments[0])
    B.dst = <char**> address(segments[1])
    B.bytes = <Py_ssize_t*> address(segments[2])
    B.job.src, B.job.dst, B.job.bytes = B.src, B.dst, B.bytes
    B.job.count = B.job.k = B.job.done = B.job.quota = 0
    B.job.pk = B.job.pdone = B.job.ahead = 0
    return (slot, blocks, local, values, indices_copy, indptr_copy, y_copy, sw_copy, segments)


def epoch(int loss, const floating[::1] data, const int[::1] indices,
          const int[::1] indptr, Py_ssize_t d, const floating[::1] y,
          const floating[::1] sample_weight, floating[:, ::1] W,
          floating[::1] b, const Py_ssize_t[::1] order, Py_ssize_t batch_size,
          double alpha, bint fit_intercept, UpdateRule rule,
          double[:, ::1] state_W, double[:, ::1] state_b, long t,
          const double[::1] lr_table, Py_ssize_t block_size=0,
          Py_ssize_t buffer_blocks=0):
    """One pass over the rows (in ``order``, or sequentially when it is None)
    in steps of ``batch_size`` rows; returns (loss_sum, weight_sum, t, status),
    status STATUS_NONFINITE when a loss was non-finite (that step is not
    taken), STATUS_OVERFLOW when the last update left non-finite parameters.

    Block mode (block_size > 0): order visits whole blocks of block_size
    rows, at most buffer_blocks at a time (csrc/blocks.h).  Each buffer's
    blocks are copied, each in sequence, into a scratch buffer, whose rows
    the steps then read in the order's order: the same steps as without
    block mode, on rows read from the copy.
    A batch may span two buffers.  STATUS_BAD_ORDER (before any step of the
    buffer where it is found) when order is not such a block order.

    A step uses the gradient of the batch's mean loss plus ``alpha`` W.  With
    batch_size 1 and a plain rule the epoch is the loop of sgd_epoch.h: L2 is
    applied lazily (W is kept as ``wscale * V``, so a step costs O(nnz(x))
    instead of O(d)), and V and the intercepts are float64 throughout (for
    float32 parameters a working copy, rounded back at the end): a float32
    row then needs one conversion per value, not three, and the float64
    weights are the more accurate ones.  Other epochs round the parameters
    after every step.
    """
    # the number of steps of the epoch: one per entry of order (or per row)
    cdef Py_ssize_t n = order.shape[0] if order is not None else y.shape[0]
    cdef Py_ssize_t K = W.shape[0], KD = W.shape[0] * d
    cdef Py_ssize_t p, k, m, hi, step_no = 0
    cdef const int* idx_p = &indices[0] if indices is not None else NULL
    cdef const int* ptr_p = &indptr[0] if indptr is not None else NULL
    cdef const floating* sw_p = &sample_weight[0] if sample_weight is not None else NULL
    cdef const Py_ssize_t* order_p = &order[0] if order is not None else NULL
    cdef const double* table = &lr_table[0] if lr_table is not None else NULL
    cdef floating* Wp = &W[0, 0]
    cdef floating* bp = &b[0]
    cdef const Rule* r = &rule.c
    cdef bint lazy = batch_size == 1 and is_plain_sgd(r)
    # the third row of state, for the rules that keep one (rule_state_rows)
    cdef double* sW2 = &state_W[2, 0] if state_W.shape[0] > 2 else NULL
    cdef double* sb2 = &state_b[2, 0] if state_b.shape[0] > 2 else NULL
    cdef fastgd_sgd_epoch lazy_epoch
    # per-sample plain SGD: a rate for each step unless the rate is constant;
    # for float32 parameters float64 working weights and intercepts; for K
    # outputs the loop's scratch.  Mini-batch steps: G (K d), Gb (K) and the
    # scratch of accumulate.
    cdef double* rates = NULL
    cdef const double* rates_p
    cdef double* buf
    cdef double* G
    cdef double* Gb
    cdef double* V
    cdef double* Vb
    cdef double loss_sum = 0.0, weights = 0.0, eta, batch_loss, batch_weights
    cdef int status = _status.STATUS_OK
    cdef SignalWatch watch
    cdef bint stopped = False
    # block mode: the scratch buffer, and the arrays (owned) behind it
    cdef BlockBuffer B, B2
    cdef BlockBuffer* cur
    cdef BlockBuffer* nxt
    cdef bint more
    cdef bint blocked = block_size > 0 and order is not None
    cdef Py_ssize_t q, r_end
    cdef const floating* rows_p = &data[0]
    cdef const floating* y_p = &y[0]
    cdef const int* b_idx = idx_p
    cdef const int* b_ptr = ptr_p
    cdef const floating* b_sw = sw_p
    cdef const Py_ssize_t* b_order = order_p
    if not lazy and (state_W.shape[0] < rule_state_rows(r)
                     or state_b.shape[0] < rule_state_rows(r)):
        raise ValueError(f"state_W and state_b must have the rule's {rule_state_rows(r)} rows, "
                         f"got {state_W.shape[0]} and {state_b.shape[0]}")
    owner = None
    if blocked:
        # per-sample plain SGD copies the next buffer while it runs on this one
        owner = [make_buffer(&B, block_size, buffer_blocks,
                             np.float64 if floating is double else np.float32, indptr,
                             y.shape[0], d, sw_p != NULL)]
        if lazy:
            owner.append(make_buffer(&B2, block_size, buffer_blocks,
                                     np.float64 if floating is double else np.float32, indptr,
                                     y.shape[0], d, sw_p != NULL))
        rows_p, y_p, b_order = <const floating*> B.values, <const floating*> B.y, B.local
        b_sw = <const floating*> B.sw
        if ptr_p != NULL:
            b_idx, b_ptr = B.indices, B.indptr
    start_watch(&watch)
    if lazy:
        buf = <double*> malloc(((KD + K if floating is float else 0) + FASTGD_SGD_SCRATCH(K))
                               * sizeof(double))
        if buf != NULL and table == NULL and r.schedule != SCHEDULE_CONSTANT:
            rates = <double*> malloc(max(n, 1) * sizeof(double))
            if rates == NULL:
                free(buf)
                buf = NULL
    else:
        buf = <double*> calloc(KD + K + scratch_size(K), sizeof(double))
    if buf == NULL:
        # rates is allocated only after buf, and freed with it above
        raise MemoryError()
    with nogil:
        if lazy:
            if floating is double:
                V, Vb = Wp, bp
            else:
                V, Vb = buf + FASTGD_SGD_SCRATCH(K), buf + FASTGD_SGD_SCRATCH(K) + KD
                copy_to_float64(Wp, KD, V)
                copy_to_float64(bp, K, Vb)
            lazy_epoch.n, lazy_epoch.d, lazy_epoch.K, lazy_epoch.order = n, d, K, order_p
            lazy_epoch.indices, lazy_epoch.indptr, lazy_epoch.scratch = idx_p, ptr_p, buf
            lazy_epoch.rates, lazy_epoch.rate, lazy_epoch.alpha = table, r.lr, alpha
            lazy_epoch.loss, lazy_epoch.fit_intercept = loss, fit_intercept
            if rates != NULL:
                for p in range(n):
                    rates[p] = scheduled_lr(r, t + p + 1)
                lazy_epoch.rates = rates
            if not blocked:
                # in calls of a few milliseconds each, between which Ctrl-C
                # is looked for; their lengths depend on X's shape alone
                rates_p = lazy_epoch.rates
                m = rows_per_call(y.shape[0], data.shape[0])
                p = 0
                while p < n:
                    if signal_pending(&watch):
                        stopped = True
                        break
                    hi = min(p + m, n)
                    lazy_epoch.n = hi - p
                    lazy_epoch.rates = rates_p + p if rates_p != NULL else NULL
                    if order_p != NULL:
                        lazy_epoch.order = order_p + p
                        rows_p, y_p, b_sw, b_ptr = &data[0], &y[0], sw_p, ptr_p
                    else:
                        # rows p:hi in order: the rows from p on (CSR row
                        # starts index the whole data)
                        rows_p = &data[0] + (p * d if ptr_p == NULL else 0)
                        y_p, b_sw = &y[0] + p, sw_p + p if sw_p != NULL else NULL
                        b_ptr = ptr_p + p if ptr_p != NULL else NULL
                    lazy_epoch.indptr = b_ptr
                    if floating is double:
                        fastgd_sgd_epoch_f64(rows_p, y_p, b_sw, V, Vb, &lazy_epoch)
                    else:
                        fastgd_sgd_epoch_f32(rows_p, y_p, b_sw, V, Vb, &lazy_epoch)
                    loss_sum += lazy_epoch.loss_sum
                    weights += lazy_epoch.weights
                    t += lazy_epoch.steps
                    if lazy_epoch.nonfinite:
                        status = _status.STATUS_NONFINITE
                        break
                    p = hi
            else:
                # the same loop, buffer by buffer, each on its copy; the copy
                # of the next buffer is made during the steps on this one
                rates_p = lazy_epoch.rates
                cur, nxt = &B, &B2
                if load_buffer(cur, order_p, &data[0], idx_p, ptr_p, d, &y[0], sw_p, 0) < 0:
                    status = _status.STATUS_BAD_ORDER
                while status == _status.STATUS_OK:
                    if interrupted(&watch):
                        stopped = True
                        break
                    more = cur.end < n
                    if more:
                        if plan_buffer(nxt, order_p, &data[0], idx_p, ptr_p, d, &y[0], sw_p,
                                       cur.end) < 0:
                            status = _status.STATUS_BAD_ORDER
                            break
                        # the quota: the copy spread over this buffer's steps, in whole lines
                        q = 0
                        for k in range(nxt.job.count):
                            q += nxt.bytes[k]
                        nxt.job.quota = (q // (cur.end - cur.start) + 64) // 64 * 64
                    lazy_epoch.n, lazy_epoch.order = cur.end - cur.start, cur.local
                    lazy_epoch.rates = rates_p + cur.start if rates_p != NULL else NULL
                    if ptr_p != NULL:
                        lazy_epoch.indices, lazy_epoch.indptr = cur.indices, cur.indptr
                    if floating is double:
                        fastgd_sgd_epoch_copying_f64(<const double*> cur.values,
                                                     <const double*> cur.y,
                                                     <const double*> cur.sw, V, Vb,
                                                     &lazy_epoch, &nxt.job if more else NULL)
                    else:
                        fastgd_sgd_epoch_copying_f32(<const float*> cur.values,
                                                     <const float*> cur.y,
                                                     <const float*> cur.sw, V, Vb,
                                                     &lazy_epoch, &nxt.job if more else NULL)
                    loss_sum += lazy_epoch.loss_sum
                    weights += lazy_epoch.weights
                    t += lazy_epoch.steps
                    if lazy_epoch.nonfinite:
                        status = _status.STATUS_NONFINITE
                    if not more or status != _status.STATUS_OK:
                        break
                    fastgd_copy_some(&nxt.job, PY_SSIZE_T_MAX)
                    cur, nxt = nxt, cur
            if floating is float:
                for k in range(KD):
                    Wp[k] = <float>V[k]
                for k in range(K):
                    bp[k] = <float>Vb[k]
        else:
            G, Gb = buf, buf + KD
            p = 0
            while p < n:
                if interrupted(&watch):
                    stopped = True
                    break
                hi = min(p + batch_size, n)
                memset(G, 0, (KD + K) * sizeof(double))
                batch_weights = 0.0
                if not blocked:
                    batch_loss = accumulate(loss, &data[0], idx_p, ptr_p, d, &y[0],
                                            sw_p, Wp, bp, K, order_p, p, hi, n,
                                            G, Gb, Gb + K, &batch_weights)
                else:
                    # the batch's rows, from the buffers that hold them
                    batch_loss = 0.0
                    q = p
                    while q < hi:
                        if q == B.end and load_buffer(&B, order_p, &data[0], idx_p, ptr_p,
                                                      d, &y[0], sw_p, q) < 0:
                            status = _status.STATUS_BAD_ORDER
                            break
                        r_end = min(hi, B.end)
                        batch_loss += accumulate(loss, rows_p, b_idx, b_ptr, d, y_p, b_sw,
                                                 Wp, bp, K, b_order, q - B.start,
                                                 r_end - B.start, B.end - B.start,
                                                 G, Gb, Gb + K, &batch_weights)
                        q = r_end
                    if status != _status.STATUS_OK:
                        break
                if not isfinite(batch_loss):
                    status = _status.STATUS_NONFINITE
                    break
                loss_sum += batch_loss
                weights += batch_weights
                t += 1
                eta = table[step_no] if table != NULL else scheduled_lr(r, t)
                step_no += 1
                m = hi - p
                for k in range(KD):
                    G[k] = G[k] / m + alpha * Wp[k]
                rule_step3(r, eta, t, Wp, G, &state_W[0, 0], &state_W[1, 0], sW2, KD, True)
                if fit_intercept:
                    for k in range(K):
                        Gb[k] /= m
                    rule_step3(r, eta, t, bp, Gb, &state_b[0, 0], &state_b[1, 0], sb2, K,
                               False)
                p = hi
        # an update can overflow the parameters at a step whose loss was
        # finite (the last one, say): no later loss would reveal it
        if status == _status.STATUS_OK and not (all_finite(Wp, KD) and all_finite(bp, K)):
            status = _status.STATUS_OVERFLOW
    free(buf)
    free(rates)
    if stopped:
        raise KeyboardInterrupt
    return loss_sum, weights, t, status
