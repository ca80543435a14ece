# cython: language_level=3
"""The compiled SAGA epoch of the linear models (Defazio, Bach and
Lacoste-Julien 2014).

A model has K outputs z = W x + b; ``table`` (n, K) holds the last s_i dL/dz
met for each sample, ``G`` (K, d) and ``Gb`` (K,) their averages
(1/n) sum_i table_i x_i and (1/n) sum_i table_i.  A step on row i:

    dz = s_i dL/dz(W x_i + b),  D = dz - table_i
    W <- (1 - eta alpha) W - eta (D x_i^T + G)
    b <- b - eta (D + Gb)                  (with fit_intercept)
    G += D x_i^T / n,  Gb += D / n,  table_i = dz

Dense rows update every coordinate directly (O(d) a step, as the dot
product is anyway).  CSR rows are updated just in time, so a step costs
O(non-zeros of the row): W = wscale V, and a column j not in the row moves
only by -eta G_j, with G_j constant until a row holding j is met; so each
column remembers the running sum ``cum`` of eta / wscale at its last
update, and is brought up to date (V_j -= G_j (cum - last_j)) when a row
holds it, when wscale is folded back into V (below 1e-9), and at the end of
the epoch.  A column's last update, V_j and G_j sit together in one record
(32 bytes for K = 1, within one cache line): three arrays of d values
would miss the cache three times per non-zero.

Parameters are trained as a float64 copy and rounded to the data's dtype
at the end of the epoch; everything is accumulated in double.  These
functions trust their input: :func:`fastgd.kernels.saga_epoch` and the
estimators validate it.
"""
from cython cimport floating
from libc.math cimport isfinite, fabs
from libc.stdlib cimport malloc, free
from libc.string cimport memset

from fastgd.kernels.loss cimport loss_and_dz
from fastgd.kernels._numeric cimport all_finite

from fastgd.kernels._signals cimport SignalWatch, interrupted, start_watch
from fastgd.kernels._status cimport (STATUS_OK, STATUS_NONFINITE, STATUS_OVERFLOW,
                                     STATUS_INTERRUPTED)

cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define FASTGD_SAGA_PREFETCH(p) __builtin_prefetch((p), 1, 3)
    #define FASTGD_SAGA_PREFETCH_READ(p) __builtin_prefetch((p), 0, 3)
    #else
    #define FASTGD_SAGA_PREFETCH(p) ((void)(p))
    #define FASTGD_SAGA_PREFETCH_READ(p) ((void)(p))
    #endif
    """
    void prefetch_for_write "FASTGD_SAGA_PREFETCH"(const void* p) noexcept nogil
    void prefetch_for_read "FASTGD_SAGA_PREFETCH_READ"(const void* p) noexcept nogil

# wscale is folded back into V below this (as the plain SGD loop does)
cdef double MIN_WSCALE = 1e-9


cdef inline double dense_dot(const floating* x, const double* w, Py_ssize_t m) noexcept nogil:
    """x . w in double, four independent partial sums."""
    cdef Py_ssize_t j = 0
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
    while j + 4 <= m:
        a0 += x[j] * w[j]
        a1 += x[j + 1] * w[j + 1]
        a2 += x[j + 2] * w[j + 2]
        a3 += x[j + 3] * w[j + 3]
        j += 4
    while j < m:
        a0 += x[j] * w[j]
        j += 1
    return (a0 + a1) + (a2 + a3)


cdef inline double sparse_dot(const floating* x, const int* idx, const double* w,
                              Py_ssize_t m) noexcept nogil:
    cdef Py_ssize_t q
    cdef double a = 0.0
    for q in range(m):
        a += x[q] * w[idx[q]]
    return a


cdef inline void dense_step(const floating* x, Py_ssize_t d, double* w, double* g,
                            double shrink, double eta, double delta,
                            double inv_n) noexcept nogil:
    """w = shrink w - eta (delta x + g); g += delta x / n, one pass."""
    cdef Py_ssize_t j
    cdef double u
    for j in range(d):
        u = delta * x[j]
        w[j] = shrink * w[j] - eta * (u + g[j])
        g[j] += u * inv_n


cdef inline Py_ssize_t record_size(Py_ssize_t K) noexcept nogil:
    """Doubles in one column record: 2 K + 1, padded to a multiple of four
    (32 bytes), so that with the records 64-byte aligned the record of
    K = 1 never straddles two cache lines."""
    return (2 * K + 4) & ~3


cdef inline void catch_up(double* c, Py_ssize_t K, double cum) noexcept nogil:
    """Bring one column record up to date: the steps since its last update
    moved each V_k by -G_k times the sum of their eta / wscale."""
    cdef Py_ssize_t k
    cdef double lag = cum - c[0]
    if lag != 0.0:
        for k in range(K):
            c[1 + k] -= c[1 + K + k] * lag
        c[0] = cum


cdef inline void fold(double* cols, Py_ssize_t K, Py_ssize_t d, double cum,
                      double wscale) noexcept nogil:
    """Every column up to date and wscale multiplied into V: W = V again."""
    cdef Py_ssize_t j, k, S = record_size(K)
    cdef double* c
    for j in range(d):
        c = cols + j * S
        catch_up(c, K, cum)
        for k in range(K):
            c[1 + k] *= wscale
        c[0] = 0.0


cdef inline bint rounds_finite(const floating* dtype_of, const double* v,
                              Py_ssize_t m) noexcept nogil:
    """Whether v[0:m] rounded to the dtype of ``dtype_of`` is finite."""
    cdef Py_ssize_t j
    for j in range(m):
        if not isfinite(<floating>v[j]):
            return False
    return True


cdef int saga_loop(int loss, const floating* data, const int* indices, const int* indptr,
                   Py_ssize_t n, Py_ssize_t d, const floating* y, const floating* sw,
                   double* V, double* b, Py_ssize_t K, const Py_ssize_t* order,
                   Py_ssize_t steps, double alpha, double eta, bint fit_intercept,
                   double* table, double* G, double* Gb, double* scratch, double* cols,
                   double* loss_sum, double* weight_sum, Py_ssize_t* done) noexcept nogil:
    """The epoch; V (K, d) and b are the float64 parameters.  ``scratch``
    holds 3 K doubles; ``cols`` (CSR only) d records of record_size(K)
    doubles, one per column j: the running sum at its last update,
    V[:, j], G[:, j].  A CSR step then finds all it needs of a column in
    one place, not in three arrays of d values each.  Returns the
    status; ``done`` is the number of steps taken."""
    cdef double* z = scratch
    cdef double* dz = scratch + K
    cdef double* delta = scratch + 2 * K
    cdef double shrink = 1.0 - eta * alpha, inv_n = 1.0 / n
    cdef double wscale = 1.0, cum = 0.0, step, s, l, u, xq, total = 0.0, weights = 0.0
    cdef Py_ssize_t p, i, k, q, j, start, m, S = record_size(K)
    cdef const int* idx
    cdef const floating* x
    cdef double* c
    cdef int status = STATUS_OK
    cdef bint sparse = indptr != NULL
    cdef bint finite
    cdef SignalWatch watch
    start_watch(&watch)
    if sparse:
        for j in range(d):
            c = cols + j * S
            c[0] = 0.0
            for k in range(K):
                c[1 + k] = V[k * d + j]
                c[1 + K + k] = G[k * d + j]
    for p in range(steps):
        if interrupted(&watch):
            status = STATUS_INTERRUPTED
            break
        i = order[p] if order != NULL else p
        if sparse:
            if p + 2 < steps:
                # the row after next: its indices and values, two steps
                # ahead, so that the next step can read where its records are
                j = order[p + 2] if order != NULL else p + 2
                for q in range(indptr[j], indptr[j + 1], 8):
                    prefetch_for_read(indices + q)
                    prefetch_for_read(data + q)
            if p + 1 < steps:
                # the next row's column records: random places in d of them,
                # requested a step ahead
                j = order[p + 1] if order != NULL else p + 1
                for q in range(indptr[j], indptr[j + 1]):
                    prefetch_for_write(cols + indices[q] * S)
            start = indptr[i]
            m = indptr[i + 1] - start
            idx = indices + start
            x = data + start
            if K == 1:
                # one output (squared, logistic): the loops over k unrolled
                u = 0.0
                for q in range(m):
                    c = cols + idx[q] * S
                    catch_up(c, 1, cum)
                    u += x[q] * c[1]
                z[0] = wscale * u + b[0]
            else:
                for k in range(K):
                    z[k] = 0.0
                for q in range(m):
                    c = cols + idx[q] * S
                    catch_up(c, K, cum)
                    for k in range(K):
                        z[k] += x[q] * c[1 + k]
                for k in range(K):
                    z[k] = wscale * z[k] + b[k]
        else:
            x = data + i * d
            for k in range(K):
                z[k] = dense_dot(x, V + k * d, d) + b[k]
        l = loss_and_dz(loss, z, K, y[i], dz)
        if not isfinite(l):
            status = STATUS_NONFINITE
            break
        s = sw[i] if sw != NULL else 1.0
        # a huge sample weight can overflow what the loss did not: the step
        # is then not taken, and the table keeps finite entries
        finite = isfinite(s * l)
        for k in range(K):
            dz[k] *= s
            delta[k] = dz[k] - table[i * K + k]
            finite = finite and isfinite(delta[k])
        if not finite:
            status = STATUS_NONFINITE
            break
        total += s * l
        weights += s
        for k in range(K):
            table[i * K + k] = dz[k]
        if sparse:
            # W = wscale V: the shrink goes into wscale, the step into V,
            # with the old G_j for the row's columns, then G_j moves
            wscale *= shrink
            step = eta / wscale
            cum += step
            if K == 1:
                for q in range(m):
                    c = cols + idx[q] * S
                    u = delta[0] * x[q]
                    c[1] -= step * (u + c[2])
                    c[2] += u * inv_n
                    c[0] = cum
            else:
                for q in range(m):
                    c = cols + idx[q] * S
                    xq = x[q]
                    for k in range(K):
                        u = delta[k] * xq
                        c[1 + k] -= step * (u + c[1 + K + k])
                        c[1 + K + k] += u * inv_n
                    c[0] = cum
            if fabs(wscale) < MIN_WSCALE:
                fold(cols, K, d, cum, wscale)
                wscale, cum = 1.0, 0.0
        else:
            for k in range(K):
                dense_step(x, d, V + k * d, G + k * d, shrink, eta, delta[k], inv_n)
        for k in range(K):
            if fit_intercept:
                b[k] -= eta * (delta[k] + Gb[k])
            Gb[k] += delta[k] * inv_n
        done[0] = p + 1
    if sparse:
        fold(cols, K, d, cum, wscale)
        for j in range(d):
            c = cols + j * S
            for k in range(K):
                V[k * d + j] = c[1 + k]
                G[k * d + j] = c[1 + K + k]
    loss_sum[0], weight_sum[0] = total, weights
    return status


def saga_epoch(int loss, const floating[::1] data, const int[::1] indices,
               const int[::1] indptr, Py_ssize_t d, const floating[::1] y,
               const floating[::1] sample_weight, floating[:, ::1] W, floating[::1] b,
               const Py_ssize_t[::1] order, double alpha, double eta, bint fit_intercept,
               double[:, ::1] table, double[:, ::1] avg_W, double[::1] avg_b):
    """One SAGA pass over the rows (in ``order``, or sequentially when it is
    None), updating W, b, table, avg_W and avg_b in place; returns
    (loss_sum, weight_sum, steps, status): the weighted sum of the losses
    met and of their weights, the steps taken, and status 0 (ok), 1 (a
    non-finite loss: that step was not taken and the epoch stopped) or 2
    (the parameters became non-finite)."""
    cdef Py_ssize_t n = table.shape[0], K = W.shape[0], KD = W.shape[0] * d
    cdef Py_ssize_t steps = order.shape[0] if order is not None else n
    cdef Py_ssize_t j, done = 0
    cdef const int* idx_p = &indices[0] if indices is not None else NULL
    cdef const int* ptr_p = &indptr[0] if indptr is not None else NULL
    cdef const floating* sw_p = &sample_weight[0] if sample_weight is not None else NULL
    cdef const Py_ssize_t* order_p = &order[0] if order is not None else NULL
    cdef floating* Wp = &W[0, 0]
    cdef floating* bp = &b[0]
    # the float64 parameters (K d + K), the scratch (3 K), the column
    # records (CSR only: d of record_size(K), and 8 doubles to align them
    # to a cache line)
    cdef double* buf = <double*> malloc((KD + 4 * K + (d * record_size(K) + 8 if ptr_p != NULL
                                                      else 0)) * sizeof(double))
    cdef double* records
    cdef double* V
    cdef double* Vb
    cdef double loss_sum = 0.0, weight_sum = 0.0
    cdef int status
    if buf == NULL:
        raise MemoryError()
    V, Vb = buf, buf + KD
    records = <double*> ((<size_t> (buf + KD + 4 * K) + 63) & ~(<size_t> 63))
    with nogil:
        for j in range(KD):
            V[j] = Wp[j]
        for j in range(K):
            Vb[j] = bp[j]
        status = saga_loop(loss, &data[0], idx_p, ptr_p, n, d, &y[0], sw_p, V, Vb, K,
                           order_p, steps, alpha, eta, fit_intercept, &table[0, 0],
                           &avg_W[0, 0], &avg_b[0], buf + KD + K, records,
                           &loss_sum, &weight_sum, &done)
        # parameters that are not finite in their dtype (float32 rounding can
        # overflow what float64 held) are not written: coef and intercept
        # are then left as before the epoch
        if rounds_finite(Wp, V, KD) and rounds_finite(bp, Vb, K):
            for j in range(KD):
                Wp[j] = <floating>V[j]
            for j in range(K):
                bp[j] = <floating>Vb[j]
        elif status == STATUS_OK:
            status = STATUS_OVERFLOW
        # averages that overflowed cannot be taken back step by step: the
        # table and its averages start anew (zeros are each other's average)
        if not (all_finite(&avg_W[0, 0], KD) and all_finite(&avg_b[0], K)):
            memset(&table[0, 0], 0, n * K * sizeof(double))
            memset(&avg_W[0, 0], 0, KD * sizeof(double))
            memset(&avg_b[0], 0, K * sizeof(double))
            if status == STATUS_OK:
                status = STATUS_OVERFLOW
    free(buf)
    if status == STATUS_INTERRUPTED:
        raise KeyboardInterrupt
    return loss_sum, weight_sum, done, status
