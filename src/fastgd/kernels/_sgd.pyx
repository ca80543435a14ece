# cython: language_level=3
"""The compiled epoch of SGDClassifier and SGDRegressor: scikit-learn's
plain SGD (its ``_plain_sgd``), step for step, for one binary or regression
problem.

Layers: :func:`fastgd.kernels.sgd_plain_epoch` validates and calls
:func:`sgd_epoch`; the estimators of ``fastgd.linear_model._stochastic_gradient``
call it once per epoch (the stopping rules between epochs are theirs);
:func:`fastgd.reference.sgd.sgd_epoch` is the same loop in NumPy.

A step on row x with target y, weight s (the sample's times its class's)::

    p = w . x + b;  eta from the schedule at t
    update = -eta s clip(dL/dp(y, p), +-1e12)
             (passive-aggressive: s sign min(eta0, L / ||x||^2) for 'pa1',
              s sign L / (||x||^2 + 1 / (2 eta0)) for 'pa2', a row with
              ||x|| = 0 skipped by 'pa1'; sign y for the hinge, else that
              of y - p)
    w *= max(0, 1 - (1 - l1_ratio) eta alpha)          (l2, elasticnet)
    w += update x;  b += update * intercept_decay       (fit_intercept)
    averaged w and b brought up to step t               (t >= average > 0)
    cumulative L1 penalty on x's features               (l1, elasticnet)
    t += 1

w is kept as ``wscale * v``, so the L2 shrink is one multiplication and a
CSR step costs O(non-zeros of x); the average is kept as ``(aw + a v) /
b_avg`` (Xu 2011, as scikit-learn keeps it), so averaging a sparse step is
O(non-zeros) too; the L1 penalty is the cumulative truncated gradient of
Tsuruoka, Tsujii and Ananiadou (2009): ``u`` is the total penalty any
weight could have received, ``q[j]`` what weight j did receive, and a step
applies the difference to x's features only.

Weight j of v, q and aw is at index ``stride * j``: with CSR rows and an L1
penalty the caller may interleave them in one buffer (v at offset 0, q at
1, aw at 2), so that each of a step's scattered features costs one cache
line, not two or three (dense rows: stride 1).

The weights are float64 whatever the dtype of X: the products of float32
rows are accumulated in double.  Dense rows are read directly (not through
an index array, as scikit-learn's dataset does), with the next rows
prefetched.  These functions trust their input.
"""
from cython cimport floating
from libc.math cimport fabs, isfinite, pow, sqrt

from fastgd.kernels.loss cimport (sgd_loss_dloss, sklearn_log_dloss, SGD_HINGE,
                                  SGD_SQUARED_HINGE, SGD_MODIFIED_HUBER, SGD_LOG_LOSS,
                                  SGD_SQUARED_ERROR, SGD_HUBER, SGD_EPSILON_INSENSITIVE,
                                  SGD_SQUARED_EPSILON_INSENSITIVE)
from fastgd.kernels._signals cimport SignalWatch, interrupted, start_watch
from fastgd.kernels._status cimport STATUS_OK, STATUS_OVERFLOW, STATUS_INTERRUPTED

cdef extern from "csrc/prefetch.h":
    void prefetch "fastgd_prefetch"(const void* p, Py_ssize_t nbytes) noexcept nogil
    void prefetch_rows_ahead "fastgd_prefetch_rows_ahead"(
        const void* data, const Py_ssize_t* order, Py_ssize_t p, Py_ssize_t n,
        Py_ssize_t row_bytes, int near) noexcept nogil
    void prefetch_csr_rows_ahead "fastgd_prefetch_csr_rows_ahead"(
        const void* values, Py_ssize_t value_bytes, const int* indices, const int* indptr,
        const void* targets, Py_ssize_t target_bytes, const Py_ssize_t* order,
        Py_ssize_t p, Py_ssize_t n, int near) noexcept nogil

cdef extern from "csrc/sgd_steps.h":
    # simd.h's row primitives, and sgd_steps.h's for the norms and L1
    double dot_d "fastgd_dot_d"(const double* x, const double* w, Py_ssize_t m) noexcept nogil
    double dot_fd "fastgd_dot_fd"(const float* x, const double* w, Py_ssize_t m) noexcept nogil
    double dot_f "fastgd_dot_f"(const float* x, const float* w, Py_ssize_t m) noexcept nogil
    void axpy_d "fastgd_axpy_d"(double c, const double* x, double* w, Py_ssize_t m) noexcept nogil
    void axpy_fd "fastgd_axpy_fd"(double c, const float* x, double* w, Py_ssize_t m) noexcept nogil
    void axpy_norms_d "fastgd_sgd_axpy_norms_d"(double c, const double* x, double* w,
                                               Py_ssize_t m, double* sq, double* l1) noexcept nogil
    void axpy_norms_fd "fastgd_sgd_axpy_norms_fd"(double c, const float* x, double* w,
                                                 Py_ssize_t m, double* sq,
                                                 double* l1) noexcept nogil
    void l1_dense "fastgd_sgd_l1_dense"(double* v, double* q, Py_ssize_t m, double s,
                                        double u) noexcept nogil
    void l1_sparse "fastgd_sgd_l1_sparse"(double* v, double* q, const int* idx, Py_ssize_t m,
                                          Py_ssize_t stride, double s, double u) noexcept nogil
    void l1_sparse_distinct "fastgd_sgd_l1_sparse_distinct"(
        double* v, double* q, const int* idx, Py_ssize_t m, Py_ssize_t stride, double s,
        double u) noexcept nogil
    void add_l1_sparse_d "fastgd_sgd_add_l1_sparse_d"(
        double* v, double* q, const int* idx, const double* x, Py_ssize_t m, Py_ssize_t stride,
        double c, double s, double u) noexcept nogil
    void add_l1_sparse_f "fastgd_sgd_add_l1_sparse_f"(
        double* v, double* q, const int* idx, const float* x, Py_ssize_t m, Py_ssize_t stride,
        double c, double s, double u) noexcept nogil
    void add_average_pairs_d "fastgd_sgd_add_average_pairs_d"(
        double* va, const int* idx, const double* x, Py_ssize_t m, double c, double b,
        double scale) noexcept nogil
    void add_average_pairs_f "fastgd_sgd_add_average_pairs_f"(
        double* va, const int* idx, const float* x, Py_ssize_t m, double c, double b,
        double scale) noexcept nogil


# the kernel's numbers of the losses (loss.pxd); perceptron is the hinge at 0
LOSSES = {"hinge": SGD_HINGE, "squared_hinge": SGD_SQUARED_HINGE,
          "modified_huber": SGD_MODIFIED_HUBER, "log_loss": SGD_LOG_LOSS,
          "squared_error": SGD_SQUARED_ERROR, "huber": SGD_HUBER,
          "epsilon_insensitive": SGD_EPSILON_INSENSITIVE,
          "squared_epsilon_insensitive": SGD_SQUARED_EPSILON_INSENSITIVE}

# the penalties and schedules, numbered as scikit-learn numbers them
PENALTIES = {None: 0, "l1": 1, "l2": 2, "elasticnet": 3}
SCHEDULES = {"constant": 1, "optimal": 2, "invscaling": 3, "adaptive": 4, "pa1": 5, "pa2": 6}
cdef enum:
    L1 = 1
    L2 = 2
    ELASTICNET = 3
    OPTIMAL = 2
    INVSCALING = 3
    PA1 = 5
    PA2 = 6

# scikit-learn's bound on |dL/dp|, and the wscale below which the scale is
# multiplied back into the weights (its threshold for float64)
cdef double MAX_DLOSS = 1e12
# how far ahead a shuffled epoch asks for a row's target and weight
cdef Py_ssize_t TARGET_AHEAD = 16
cdef double MIN_WSCALE = 1e-9

# the slots of ``state``, the scalars carried from epoch to epoch
STATE_SIZE = 10
STATE = {"wscale": 0, "sq_norm": 1, "l1_norm": 2, "u": 3, "avg_a": 4, "avg_b": 5,
         "intercept": 6, "avg_intercept": 7, "t": 8, "eta": 9}
cdef enum:
    WSCALE = 0       # w = wscale * v
    SQ_NORM = 1      # ||w||^2 and ||w||_1 as scikit-learn tracks them for
    L1_NORM = 2      #   the objective (over the features of the last step)
    U = 3            # the cumulative L1 penalty
    AVG_A = 4        # averaged w = (aw + AVG_A v) / AVG_B
    AVG_B = 5
    INTERCEPT = 6
    AVG_INTERCEPT = 7
    T = 8            # the step count (from 1), as scikit-learn's t
    ETA = 9          # the rate of 'constant' and 'adaptive'


# how row_add keeps the norms
cdef enum:
    NO_NORMS = 0
    SEQUENTIAL_NORMS = 1
    VECTOR_NORMS = 2


cdef struct Config:
    int loss
    double loss_param
    int penalty
    double alpha
    double l1_ratio
    int schedule
    double eta0
    double power_t
    double optimal_init
    bint fit_intercept
    double intercept_decay
    double average
    double weight_pos
    double weight_neg
    bint objective
    bint ordered
    bint distinct       # no CSR row stores a feature twice (canonical CSR)


cdef inline void fold_scale(double* v, double* aw, Py_ssize_t d, Py_ssize_t S,
                            double* st) noexcept nogil:
    """Multiply wscale into v (and bring aw up to date): wscale = 1 again."""
    cdef Py_ssize_t j
    cdef double a, inv_b, s
    if aw != NULL:
        a = st[AVG_A]
        inv_b = 1.0 / st[AVG_B]
        for j in range(d):
            aw[S * j] = (aw[S * j] + a * v[S * j]) * inv_b
        st[AVG_A] = 0.0
        st[AVG_B] = 1.0
    s = st[WSCALE]
    for j in range(d):
        v[S * j] *= s
    st[WSCALE] = 1.0


cdef inline double row_dot(const floating* x, const int* idx, Py_ssize_t m,
                           const double* v, Py_ssize_t S, bint sequential) noexcept nogil:
    """x . v over the m stored values of a row (all features when idx is
    NULL), summed in sequence, as scikit-learn sums it, so that rounding is
    its own: a shuffled epoch visits scikit-learn's orders, and the losses
    whose step varies with the score ('log_loss', 'modified_huber',
    'squared_hinge') carry a sum's rounding forward through the 'optimal'
    rate's large first steps.  A CSR row's sum costs little that way (its
    reads of v wait longer); a dense row, a chain of 100 additions on each
    step's critical path, is summed by simd.h in sixteen chains unless
    ``sequential``."""
    cdef Py_ssize_t j
    cdef double a = 0.0
    if idx != NULL:
        for j in range(m):
            a += x[j] * v[S * idx[j]]
        return a
    if not sequential:
        if floating is double:
            return dot_d(x, v, m)
        else:
            return dot_fd(x, v, m)
    for j in range(m):
        a += x[j] * v[j]
    return a


cdef inline double row_dot_and_sq_norm(const floating* x, const int* idx, Py_ssize_t m,
                                       const double* v, Py_ssize_t S,
                                       double* sq_norm) noexcept nogil:
    """x . v and ||x||^2 of a row, each summed in sequence (x . v as row_dot
    sums it, ||x||^2 as scikit-learn's passive-aggressive step does) in one
    loop: that step needs both, and two chains of additions side by side
    take the time of one."""
    cdef Py_ssize_t j
    cdef double a = 0.0, b = 0.0
    cdef double xj
    for j in range(m):
        xj = x[j]
        a += xj * v[S * idx[j] if idx != NULL else j]
        b += xj * xj
    sq_norm[0] = b
    return a


cdef inline double row_sq_norm(const floating* x, Py_ssize_t m) noexcept nogil:
    """||x||^2 of a dense row."""
    if floating is double:
        return dot_d(x, x, m)
    else:
        return dot_f(x, x, m)


cdef inline void row_add(const floating* x, const int* idx, Py_ssize_t m, double* v,
                         Py_ssize_t S, double c, double wscale, int norms, bint ordered,
                         double* sq, double* l1) noexcept nogil:
    """v += c x (c already divided by wscale).  ``norms``: NO_NORMS; or
    SEQUENTIAL_NORMS, sq and l1 become the squared and L1 norms of the
    touched weights times wscale^2 and wscale, as scikit-learn's objective
    reads them, summed in its order; or VECTOR_NORMS, the same in four
    chains a norm (sgd_steps.h's vectors for dense rows).  ``ordered`` dense rows are
    added without simd.h's axpy, whose x86-64-v3 build fuses the multiply
    and the add (a rounding scikit-learn's loop does not make)."""
    cdef Py_ssize_t j, k, r
    cdef double s0 = 0.0, s1 = 0.0, wj
    cdef double sq4[4]
    cdef double ab4[4]
    for r in range(4):
        sq4[r] = 0.0
        ab4[r] = 0.0
    if norms == VECTOR_NORMS and idx != NULL:
        # four chains for each norm: summed in sequence, a 50-value row
        # waits about 60 ns on the two sums alone
        j = 0
        while j + 4 <= m:
            for r in range(4):
                k = S * idx[j + r]
                wj = v[k] + x[j + r] * c
                v[k] = wj
                sq4[r] += wj * wj
                ab4[r] += fabs(wj)
            j += 4
        while j < m:
            k = S * idx[j]
            wj = v[k] + x[j] * c
            v[k] = wj
            sq4[0] += wj * wj
            ab4[0] += fabs(wj)
            j += 1
        s0 = (sq4[0] + sq4[1]) + (sq4[2] + sq4[3])
        s1 = (ab4[0] + ab4[1]) + (ab4[2] + ab4[3])
    elif norms == VECTOR_NORMS:
        if floating is double:
            axpy_norms_d(c, x, v, m, &s0, &s1)
        else:
            axpy_norms_fd(c, x, v, m, &s0, &s1)
    elif idx == NULL:
        if norms == SEQUENTIAL_NORMS:
            for j in range(m):
                wj = v[j] + x[j] * c
                v[j] = wj
                s0 += wj * wj
                s1 += fabs(wj)
        elif ordered:
            for j in range(m):
                v[j] += x[j] * c
        elif floating is double:
            axpy_d(c, x, v, m)
        else:
            axpy_fd(c, x, v, m)
    elif norms == SEQUENTIAL_NORMS:
        for j in range(m):
            k = S * idx[j]
            wj = v[k] + x[j] * c
            v[k] = wj
            s0 += wj * wj
            s1 += fabs(wj)
    else:
        for j in range(m):
            v[S * idx[j]] += x[j] * c
    if norms != NO_NORMS:
        sq[0] = s0 * (wscale * wscale)
        l1[0] = s1 * wscale


cdef inline void row_add_and_average(const floating* x, const int* idx, Py_ssize_t m,
                                     double* v, double* aw, Py_ssize_t S, double c,
                                     double b_avg, double scale_aw) noexcept nogil:
    """A CSR row's v += c x (unless c is 0) and aw += b_avg x scale_aw in one
    pass: the same values as row_add without norms and then the averaging
    step, since each touches v_k and aw_k of its own feature only; one pass
    reads the row and its scattered lines once, and where v_k and aw_k lie
    side by side (sgd_steps.h) writes them as one."""
    cdef Py_ssize_t j, k
    if c == 0.0:
        for j in range(m):
            aw[S * idx[j]] += b_avg * x[j] * scale_aw
        return
    if S == 2 and aw == v + 1:
        if floating is double:
            add_average_pairs_d(v, idx, x, m, c, b_avg, scale_aw)
        else:
            add_average_pairs_f(v, idx, x, m, c, b_avg, scale_aw)
        return
    for j in range(m):
        k = S * idx[j]
        v[k] += x[j] * c
        aw[k] += b_avg * x[j] * scale_aw


cdef inline void row_l1(const int* idx, Py_ssize_t m, double* v, double* q, Py_ssize_t S,
                        double s, double u, bint ordered, bint distinct) noexcept nogil:
    """The cumulative truncated L1 penalty on the row's features: each weight
    of w = s v moves toward zero by what it is still owed (u minus what
    q[j] says it received), never across it.  ``ordered`` divides by s as
    scikit-learn does; shuffled rows go to sgd_steps.h's branch-free loops,
    four weights at a time when the row's features are ``distinct``."""
    cdef Py_ssize_t j, k
    cdef double z, nv
    if not ordered:
        if idx == NULL:
            l1_dense(v, q, m, s, u)
        elif distinct:
            l1_sparse_distinct(v, q, idx, m, S, s, u)
        else:
            l1_sparse(v, q, idx, m, S, s, u)
        return
    for j in range(m):
        k = S * idx[j] if idx != NULL else j
        z = v[k]
        nv = z
        if s * z > 0.0:
            nv = z - (u + q[k]) / s
            if nv < 0.0:
                nv = 0.0
        elif s * z < 0.0:
            nv = z + (u - q[k]) / s
            if nv > 0.0:
                nv = 0.0
        v[k] = nv
        q[k] += s * (nv - z)


cdef int epoch_loop(const floating* data, const int* indices, const int* indptr,
                    Py_ssize_t n, Py_ssize_t d, const double* y, const double* sw,
                    const Py_ssize_t* order, const unsigned char* skip,
                    double* v, double* aw, double* q, Py_ssize_t S, double* st, Config* c,
                    double* sums) noexcept nogil:
    cdef Py_ssize_t p, i, m, j
    cdef const floating* x
    cdef const int* idx = NULL
    cdef double t = st[T], eta = st[ETA], wscale = st[WSCALE]
    cdef double intercept = st[INTERCEPT], avg_intercept = st[AVG_INTERCEPT]
    cdef double z, dot, yi, dloss, lossv, update, shrink, k_avg, mu, scale_aw, b_avg
    cdef double x_sq = 0.0        # ||x||^2, read by the passive-aggressive steps only
    cdef double sumloss = 0.0, objective = 0.0
    cdef double sq_norm = st[SQ_NORM], l1_norm = st[L1_NORM]
    cdef bint sparse = indptr != NULL
    cdef bint l1 = c.penalty == L1 or c.penalty == ELASTICNET
    # kept with the objective, penalized or not: verbose fits print the norm
    cdef bint norms = c.objective
    cdef double l1_ratio = 1.0 if c.penalty == L1 else (0.0 if c.penalty == L2 else c.l1_ratio)
    # dense shuffled L2 steps keep ||w||^2 from the step's own products,
    # ||w + u x||^2 = ||w||^2 + 2 u w.x + u^2 ||x||^2, rather than summing
    # it anew after every update (with l1 and elasticnet the truncation
    # moves w too, and both norms are summed anew, in vector chains)
    cdef bint incremental = norms and not sparse and not c.ordered and c.penalty == L2
    cdef int how = NO_NORMS
    if norms and not incremental:
        how = SEQUENTIAL_NORMS if c.ordered else VECTOR_NORMS
    cdef SignalWatch watch
    cdef bint stopped = False
    cdef bint fused, averaging, add_both
    start_watch(&watch)
    for p in range(n):
        if interrupted(&watch):
            stopped = True
            break
        i = order[p] if order != NULL else p
        # a shuffled row, its target and its weight are each a cache miss:
        # rows go to L2 from far ahead and on to L1 from near ahead, the
        # targets and weights (random reads too) to L1 from far ahead
        if sparse:
            prefetch_csr_rows_ahead(data, sizeof(floating), indices, indptr, y, sizeof(double),
                                    order, p, n, 0)
        else:
            prefetch_rows_ahead(data, order, p, n, d * sizeof(floating), 0)
            if order != NULL:
                prefetch_rows_ahead(data, order, p, n, d * sizeof(floating), 1)
                if p + TARGET_AHEAD < n:
                    prefetch(y + order[p + TARGET_AHEAD], sizeof(double))
        if order != NULL and sw != NULL and p + TARGET_AHEAD < n:
            prefetch(sw + order[p + TARGET_AHEAD], sizeof(double))
        if skip != NULL and skip[i]:
            continue
        if sparse:
            x = data + indptr[i]
            idx = indices + indptr[i]
            m = indptr[i + 1] - indptr[i]
        else:
            x = data + i * d
            m = d
        if c.schedule >= PA1 and (sparse or c.ordered):
            dot = row_dot_and_sq_norm(x, idx, m, v, S, &x_sq)
        else:
            dot = row_dot(x, idx, m, v, S, c.ordered)
        z = dot * wscale + intercept
        if c.schedule == OPTIMAL:
            eta = 1.0 / (c.alpha * (c.optimal_init + t - 1.0))
        elif c.schedule == INVSCALING:
            eta = c.eta0 / pow(t, c.power_t)
        yi = y[i]
        if c.loss == SGD_LOG_LOSS and not c.objective:
            # the loss value would cost an exponential and a logarithm
            lossv = 0.0
            dloss = sklearn_log_dloss(yi, z)
        else:
            lossv = sgd_loss_dloss(c.loss, c.loss_param, yi, z, &dloss)
        if c.objective:
            sumloss += lossv
            objective += lossv
            # passive-aggressive fits count the loss alone, as scikit-learn's do
            if c.penalty > 0 and c.schedule < PA1:
                objective += c.alpha * ((1.0 - l1_ratio) * 0.5 * sqrt(sq_norm) ** 2
                                        + l1_ratio * l1_norm)
        if c.schedule >= PA1:
            if not (sparse or c.ordered):
                x_sq = row_sq_norm(x, m)
            if c.schedule == PA1:
                if x_sq == 0.0:
                    # scikit-learn's loop moves on without a step (t unchanged)
                    continue
                update = min(c.eta0, lossv / x_sq)
            else:
                update = lossv / (x_sq + 0.5 / c.eta0)
            if c.loss == SGD_HINGE:
                update *= yi
            elif yi - z < 0.0:
                update = -update
        else:
            if dloss < -MAX_DLOSS:
                dloss = -MAX_DLOSS
            elif dloss > MAX_DLOSS:
                dloss = MAX_DLOSS
            update = -eta * dloss
        update *= (c.weight_pos if yi > 0.0 else c.weight_neg) * (sw[i] if sw != NULL else 1.0)
        if c.penalty >= L2:
            # the shrink is floored at 0: a too large eta alpha zeroes w
            shrink = 1.0 - (1.0 - l1_ratio) * eta * c.alpha
            if shrink < 0.0:
                shrink = 0.0
            wscale *= shrink
            sq_norm *= shrink * shrink
            l1_norm *= shrink
            if wscale < MIN_WSCALE:
                st[WSCALE] = wscale
                fold_scale(v, aw, d, S, st)
                wscale = 1.0
                if incremental:
                    dot = row_dot(x, idx, m, v, S, c.ordered)
        st[WSCALE] = wscale
        if l1:
            # the penalty any weight could have received, this step's included
            # (read only by the truncation below)
            st[U] += l1_ratio * eta * c.alpha
        # a shuffled CSR step with L1 and no norms to sum adds and truncates
        # each weight in one pass over the row (sgd_steps.h), the same values
        # when no row stores a feature twice
        fused = (l1 and sparse and c.distinct and not c.ordered and how == NO_NORMS
                 and update != 0.0)
        averaging = 0 < c.average <= t
        # a CSR step that averages and sums no norms updates each weight and
        # its average in one pass over the row (v and aw lie side by side)
        add_both = averaging and sparse and not l1 and how == NO_NORMS
        if fused:
            if floating is double:
                add_l1_sparse_d(v, q, idx, x, m, S, update / wscale, wscale, st[U])
            else:
                add_l1_sparse_f(v, q, idx, x, m, S, update / wscale, wscale, st[U])
        elif add_both:
            row_add_and_average(x, idx, m, v, aw, S, update / wscale, st[AVG_A],
                                -update / wscale)
        elif update != 0.0:
            row_add(x, idx, m, v, S, update / wscale, wscale, how, c.ordered, &sq_norm,
                    &l1_norm)
            if incremental:
                # w' = w + update x, and w.x = wscale v.x
                sq_norm += update * (2.0 * wscale * dot + update * row_sq_norm(x, m))
        if c.fit_intercept and update != 0.0:
            intercept += update * c.intercept_decay
        if averaging:
            # the average of the iterates from step `average` on, kept lazily
            k_avg = t - c.average + 1.0
            mu = 1.0 / k_avg
            scale_aw = -update / wscale
            b_avg = st[AVG_A]
            if add_both:
                pass                # added with the update, above
            elif sparse:
                row_add_and_average(x, idx, m, v, aw, S, 0.0, b_avg, scale_aw)
            elif c.ordered:
                for j in range(m):
                    aw[j] += b_avg * x[j] * scale_aw
            elif floating is double:
                # simd.h's axpy, built for x86-64-v3 too (this loop in the
                # .pyx is built for the portable baseline only)
                axpy_d(b_avg * scale_aw, x, aw, m)
            else:
                axpy_fd(b_avg * scale_aw, x, aw, m)
            if k_avg > 1.0:
                st[AVG_B] /= (1.0 - mu)
            st[AVG_A] += mu * st[AVG_B] * wscale
            avg_intercept += (intercept - avg_intercept) / k_avg
        if l1 and not fused:
            row_l1(idx, m, v, q, S, wscale, st[U], c.ordered, c.distinct)
        t += 1.0
    st[SQ_NORM] = sq_norm
    st[L1_NORM] = l1_norm
    st[T] = t
    st[ETA] = eta
    st[INTERCEPT] = intercept
    st[AVG_INTERCEPT] = avg_intercept
    sums[0] = sumloss
    sums[1] = objective
    if stopped:
        return STATUS_INTERRUPTED
    if not isfinite(intercept):
        return STATUS_OVERFLOW
    for p in range(d):
        if not isfinite(v[S * p]):
            return STATUS_OVERFLOW
    return STATUS_OK


def sgd_epoch(const floating[::1] data, const int[::1] indices, const int[::1] indptr,
              Py_ssize_t n_features, const double[::1] y, const double[::1] sample_weight,
              const Py_ssize_t[::1] order, const unsigned char[::1] skip,
              double[::1] v, double[::1] aw, double[::1] q, double[::1] state,
              int loss, double loss_param, int penalty, double alpha, double l1_ratio,
              int schedule, double eta0, double power_t, double optimal_init,
              bint fit_intercept, double intercept_decay, double average,
              double weight_pos, double weight_neg, bint objective, bint ordered,
              Py_ssize_t stride=1, bint distinct_rows=False):
    """One epoch over the rows in ``order`` (all, in sequence, when None),
    skipping rows where ``skip`` is set; updates v, aw, q and state in place.
    Weight j of v, aw and q is at ``stride * j`` (stride 1 for dense X).
    ``distinct_rows``: no CSR row stores a feature twice (canonical CSR),
    which the L1 steps' four-weights-at-a-time loops need.
    Returns (sum of losses, sum of losses plus penalties, status)."""
    cdef Config c
    cdef double sums[2]
    cdef Py_ssize_t n = y.shape[0]
    cdef int status
    c.loss, c.loss_param, c.penalty = loss, loss_param, penalty
    c.alpha, c.l1_ratio = alpha, l1_ratio
    c.schedule, c.eta0, c.power_t, c.optimal_init = schedule, eta0, power_t, optimal_init
    c.fit_intercept, c.intercept_decay, c.average = fit_intercept, intercept_decay, average
    c.weight_pos, c.weight_neg, c.objective = weight_pos, weight_neg, objective
    c.ordered, c.distinct = ordered, distinct_rows
    cdef const floating* data_p = &data[0] if data.shape[0] > 0 else NULL
    cdef const int* indices_p = (&indices[0] if indices is not None and indices.shape[0] > 0
                                 else NULL)
    cdef const int* indptr_p = &indptr[0] if indptr is not None else NULL
    cdef const double* sw_p = &sample_weight[0] if sample_weight is not None else NULL
    cdef const Py_ssize_t* order_p = &order[0] if order is not None else NULL
    cdef const unsigned char* skip_p = &skip[0] if skip is not None else NULL
    cdef double* aw_p = &aw[0] if aw is not None else NULL
    cdef double* q_p = &q[0] if q is not None else NULL
    if order is not None:
        n = order.shape[0]
    if stride < 1 or (indptr is None and stride != 1):
        raise ValueError(f"stride must be 1 for dense X and at least 1 for CSR X, got {stride}")
    with nogil:
        status = epoch_loop(data_p, indices_p, indptr_p, n, n_features, &y[0], sw_p, order_p,
                            skip_p, &v[0], aw_p, q_p, stride, &state[0], &c, sums)
    if status == STATUS_INTERRUPTED:
        raise KeyboardInterrupt
    return sums[0], sums[1], status


def sgd_fold_scale(double[::1] v, double[::1] aw, double[::1] state):
    """Multiply the scale of ``state`` into v and bring aw up to date, as at
    the end of a fit: afterwards v is w and aw the averaged w."""
    cdef double* aw_p = &aw[0] if aw is not None else NULL
    with nogil:
        fold_scale(&v[0], aw_p, v.shape[0], 1, &state[0])


def loss_dloss(int loss, double param, double y, double p):
    """(loss, dL/dp) of one sample: the per-sample function the epoch uses."""
    cdef double dloss
    cdef double value = sgd_loss_dloss(loss, param, y, p, &dloss)
    return value, dloss
