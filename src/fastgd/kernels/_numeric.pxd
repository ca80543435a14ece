# cython: language_level=3
"""Numerical helpers shared by the compiled loops (_linear, _mlp, _common)."""
from cython cimport floating


cdef inline bint all_finite(const floating* w, Py_ssize_t n) noexcept nogil:
    """True when w[0:n] holds no inf or NaN.  Each value times zero is 0
    unless the value is inf or NaN, so the sum cannot overflow, as a plain
    sum of large finite values could."""
    cdef Py_ssize_t j
    cdef double total = 0.0
    for j in range(n):
        total += w[j] * 0.0
    return total == 0.0


cdef inline double half_sq_norm(const floating* w, Py_ssize_t n) noexcept nogil:
    """||w[0:n]||^2 / 2, summed in double."""
    cdef Py_ssize_t j
    cdef double total = 0.0
    for j in range(n):
        total += <double>w[j] * w[j]
    return 0.5 * total
