# cython: language_level=3
"""Per-sample losses of one sample, for Cython code that cimports them.

Layers: part of the kernels' public cimport API (with rules.pxd), below
the estimators and the fit loop; the NumPy reference (fastgd.reference)
specifies the same formulas.  The network's layers (_mlp.pyx) use
``sigmoid``, ``log1pexp`` and ``softmax``; ``loss_and_dz`` is the scalar
loss of the linear models for other packages (tests/kernels/test_cimport.py
builds such a consumer).  fastgd's own linear loops compute the same
formulas in C: the per-sample SGD epoch of ``csrc/sgd_epoch.h`` (with this
file's sigmoid and exponential, which are ``csrc/simd.h``'s), and the
blocks of rows of the full-batch gradient and mini-batch steps four samples
at a time (``fastgd_logistic_d``, ``fastgd_softmax_d``); tests hold them to
each other, to libm and to the NumPy reference.  A model has K linear
outputs z = W x + b (K = 1 for the squared and logistic losses).
``loss_and_dz`` returns the loss of one sample and writes dL/dz_k into ``dz``.

All arithmetic is in double, whatever the dtype of the data.
"""
from cython cimport floating
from libc.math cimport exp, fabs, log, log1p

cdef extern from "csrc/simd.h":
    # the numbering is the C loops' (one place for it)
    enum:
        SQUARED "FASTGD_SQUARED"    # 0.5 (z - y)^2
        LOGISTIC "FASTGD_LOGISTIC"  # -[y log s(z) + (1 - y) log(1 - s(z))], y in {0, 1}
        SOFTMAX "FASTGD_SOFTMAX"    # -log softmax(z)[y], y a class index stored as a float


cdef inline double log1pexp(double z) noexcept nogil:
    """log(1 + exp(z)) without overflow for any finite z."""
    if z > 0:
        return z + log1p(exp(-z))
    return log1p(exp(z))


cdef extern from "csrc/simd.h":
    # sigmoid(z) given e = exp(-|z|), without overflow, and e itself: the
    # scalar sigmoid and exponential, shared with the C loops (sgd_epoch.h)
    double sigmoid_given "fastgd_sigmoid_given1"(double z, double e) noexcept nogil
    double exp_neg_abs "fastgd_exp_neg_abs1"(double z) noexcept nogil


cdef inline double sigmoid(double z) noexcept nogil:
    """1 / (1 + exp(-z)) without overflow for any finite z."""
    return sigmoid_given(z, exp_neg_abs(z))


cdef inline double softmax(const floating* z, Py_ssize_t K, floating* p) noexcept nogil:
    """p = softmax(z); returns log sum_k exp(z_k).  The maximum is subtracted
    first so nothing overflows, and each exponential is computed once."""
    cdef Py_ssize_t k
    cdef double zmax = z[0], total = 0.0, e
    for k in range(1, K):
        if z[k] > zmax:
            zmax = z[k]
    for k in range(K):
        e = exp(<double>z[k] - zmax)
        p[k] = <floating>e
        total += e
    for k in range(K):
        p[k] = <floating>(p[k] / total)
    return zmax + log(total)


cdef inline double loss_and_dz(int loss, const double* z, Py_ssize_t K, double y,
                               double* dz) noexcept nogil:
    """Loss of one sample with outputs z[0:K] and target y; dL/dz into dz."""
    cdef Py_ssize_t label
    cdef double lse, e
    if loss == SQUARED:
        dz[0] = z[0] - y
        return 0.5 * dz[0] * dz[0]
    if loss == LOGISTIC:
        # one exponential serves the loss and the derivative: with
        # e = exp(-|z|) in [0, 1] (0 past |z| = 708), log(1 + e^z) = max(z, 0) + log1p(e) and
        # sigmoid(z) = 1 / (1 + e) or e / (1 + e)
        e = exp_neg_abs(z[0])
        if z[0] >= 0:
            dz[0] = 1.0 / (1.0 + e) - y
            return z[0] + log1p(e) - y * z[0]
        dz[0] = e / (1.0 + e) - y
        return log1p(e) - y * z[0]
    # softmax: dL/dz_k = p_k - [k == y], -log p_y = log-sum-exp(z) - z_y
    label = <Py_ssize_t>y
    lse = softmax(z, K, dz)
    dz[label] -= 1.0
    return lse - z[label]


# The losses of scikit-learn's SGDClassifier and SGDRegressor, on one
# prediction p and target y (y in {-1, 1} for the margin losses, {0, 1} for
# LOG_LOSS); ``param`` is the hinge threshold (0 gives the perceptron) or
# the epsilon of the Huber and epsilon-insensitive losses.  The squared
# loss is loss_and_dz's SQUARED; the log loss is rounded as scikit-learn
# rounds it (sklearn_log_dloss and sklearn_log_loss, above).
cdef enum SGDLoss:
    SGD_HINGE = 0                        # max(0, param - y p)
    SGD_SQUARED_HINGE = 1                # max(0, param - y p)^2
    SGD_MODIFIED_HUBER = 2               # (1 - y p)^2 on [-1, 1], -4 y p below
    SGD_LOG_LOSS = 3                     # log(1 + e^p) - y p, y in {0, 1}
    SGD_SQUARED_ERROR = 4                # SQUARED
    SGD_HUBER = 5                        # quadratic within param of y, linear outside
    SGD_EPSILON_INSENSITIVE = 6          # max(0, |y - p| - param)
    SGD_SQUARED_EPSILON_INSENSITIVE = 7  # max(0, |y - p| - param)^2


cdef inline double sklearn_log_dloss(double y, double p) noexcept nogil:
    """dL/dp of the logistic loss (y in {0, 1}) rounded as scikit-learn's
    SGD rounds it (its half-binomial loss's gradient, from exp(-p))."""
    cdef double e
    if p > -37.0:
        e = exp(-p)
        return ((1.0 - y) - y * e) / (1.0 + e)
    return exp(p) - y


cdef inline double sklearn_log_loss(double y, double p) noexcept nogil:
    """The logistic loss log(1 + e^p) - y p rounded as scikit-learn's SGD
    rounds it (piecewise, with an exponential of its own).

    These two give the same values as LOGISTIC's loss_and_dz to a few ulps,
    from two exponentials where it takes one; but those ulps, repeated over
    thousands of steps at the 'optimal' rate, move the epoch at which the
    objective stops improving, so the SGD estimators, whose steps and
    orders are scikit-learn's, round as it does."""
    cdef double value
    if p <= -37.0:
        value = exp(p)
    elif p <= -2.0:
        value = log1p(exp(p))
    elif p <= 18.0:
        value = log(1.0 + exp(p))
    elif p <= 33.3:
        value = p + exp(-p)
    else:
        value = p
    return value - y * p


cdef inline double sgd_loss_dloss(int loss, double param, double y, double p,
                                  double* dloss) noexcept nogil:
    """Loss of one sample at prediction p; dL/dp into dloss."""
    cdef double z, r
    if loss == SGD_HINGE:
        z = p * y
        if z <= param:
            dloss[0] = -y
            return param - z
        dloss[0] = 0.0
        return 0.0
    if loss == SGD_SQUARED_HINGE:
        z = param - p * y
        if z > 0:
            dloss[0] = -2.0 * y * z
            return z * z
        dloss[0] = 0.0
        return 0.0
    if loss == SGD_MODIFIED_HUBER:
        z = p * y
        if z >= 1.0:
            dloss[0] = 0.0
            return 0.0
        if z >= -1.0:
            dloss[0] = 2.0 * (1.0 - z) * -y
            return (1.0 - z) * (1.0 - z)
        dloss[0] = -4.0 * y
        return -4.0 * z
    if loss == SGD_LOG_LOSS:
        dloss[0] = sklearn_log_dloss(y, p)
        return sklearn_log_loss(y, p)
    if loss == SGD_SQUARED_ERROR:
        return loss_and_dz(SQUARED, &p, 1, y, dloss)
    if loss == SGD_HUBER:
        # r clipped to [-param, param], and the loss, without a branch (the
        # selections compile to min and max): residuals on both sides of
        # param at random mispredict it, and each miss discards the next
        # row's work begun meanwhile.  The same values as the two pieces:
        # z (z - z / 2) rounds as r r / 2
        r = p - y
        z = r if r > -param else -param
        dloss[0] = z if z < param else param
        r = fabs(r)
        z = r if r < param else param
        return z * (r - 0.5 * z)
    r = y - p
    if loss == SGD_EPSILON_INSENSITIVE:
        dloss[0] = -1.0 if r > param else (1.0 if -r > param else 0.0)
        z = fabs(r) - param
        return z if z > 0 else 0.0
    # SGD_SQUARED_EPSILON_INSENSITIVE
    if r > param:
        dloss[0] = -2.0 * (r - param)
    elif r < -param:
        dloss[0] = 2.0 * (-r - param)
    else:
        dloss[0] = 0.0
    z = fabs(r) - param
    return z * z if z > 0 else 0.0
