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
from libc.math cimport exp, log, log1p

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
