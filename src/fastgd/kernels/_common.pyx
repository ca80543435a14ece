# cython: language_level=3
"""Compiled helpers that the linear models and the network share: the
shuffled order of an epoch and the L2 penalty of a flat weight array.

Layers: the estimators and the fit loop call these through fastgd.kernels
and fastgd.kernels.mlp, between calls to the model kernels (_linear, _mlp),
which do not depend on this module.
"""
from cython cimport floating
from libc.stdint cimport uint64_t

from fastgd.kernels._numeric cimport half_sq_norm


cdef inline uint64_t splitmix64(uint64_t* state) noexcept nogil:
    """The next output of SplitMix64 (Steele, Lea and Flood 2014)."""
    cdef uint64_t z
    state[0] += 0x9E3779B97F4A7C15ULL
    z = state[0]
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef inline uint64_t uniform_below(uint64_t bound, uint64_t* state) noexcept nogil:
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
    from ``seed`` (inside-out Fisher-Yates, one pass).  Written here rather
    than drawn with numpy's permutation because it is ten times faster, and
    an epoch draws one."""
    cdef Py_ssize_t i, j, n = order.shape[0]
    cdef uint64_t state = seed
    with nogil:
        for i in range(n):
            j = <Py_ssize_t>uniform_below(<uint64_t>i + 1, &state)
            order[i] = order[j]
            order[j] = i


def penalty(const floating[::1] w, double alpha):
    """alpha / 2 ||w||^2 of a flat array of penalized weights (a linear
    model's coef, a network's weight prefix of theta), summed in double
    without a float64 copy."""
    if w.shape[0] == 0:
        return 0.0
    return alpha * half_sq_norm(&w[0], w.shape[0])
