# cython: language_level=3
"""Compiled helpers that the linear models and the network share: the
shuffled and block-shuffled orders of an epoch and the L2 penalty of a flat
weight array.

Layers: the estimators and the fit loop call these through fastgd.kernels
and fastgd.kernels.mlp, between calls to the model kernels (_linear, _mlp),
which do not depend on this module.
"""
import numpy as np

from cython cimport floating
from libc.stdint cimport uint32_t, uint64_t

from fastgd.kernels._numeric cimport half_sq_norm

cdef extern from "csrc/blocks.h":
    Py_ssize_t fastgd_block_rows(Py_ssize_t b, Py_ssize_t bs, Py_ssize_t n) noexcept nogil
    Py_ssize_t fastgd_scan_buffer(const Py_ssize_t* order, Py_ssize_t n, Py_ssize_t start,
                                  Py_ssize_t bs, Py_ssize_t bb, Py_ssize_t* slot,
                                  Py_ssize_t* blocks, Py_ssize_t* count,
                                  Py_ssize_t* local) noexcept nogil


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


cdef inline uint32_t xorshift32(uint32_t* state) noexcept nogil:
    """scikit-learn's rand_r replacement (its utils/_random.pxd): a 32-bit
    XorShift (Marsaglia 2003) from state (0 taken as 1), below 2**31."""
    if state[0] == 0:
        state[0] = 1
    state[0] ^= <uint32_t>(state[0] << 13)
    state[0] ^= <uint32_t>(state[0] >> 17)
    state[0] ^= <uint32_t>(state[0] << 5)
    return state[0] % (<uint32_t>2147483647 + 1)


def sklearn_shuffle(Py_ssize_t[::1] order, uint32_t seed):
    """Permute ``order`` in place as scikit-learn's SGD datasets permute
    their index each shuffled epoch: Fisher-Yates with j = i + r % (n - i),
    r from xorshift32 started at ``seed``.  scikit-learn starts an epoch
    from the last one's order with the same seed, so epoch k visits this
    permutation applied k times to 0..n-1: the caller keeps ``order``."""
    cdef Py_ssize_t n = order.shape[0], v
    cdef uint32_t i, j, state = seed
    if n >= 2 ** 31:
        raise ValueError(f"scikit-learn's shuffle indexes rows with 32-bit ints, got {n} rows")
    with nogil:
        for i in range(<uint32_t>(n - 1) if n > 0 else 0):
            j = i + xorshift32(&state) % (<uint32_t>n - i)
            v = order[i]
            order[i] = order[j]
            order[j] = v


cdef inline void shuffle_in_place(Py_ssize_t* a, Py_ssize_t n, uint64_t* state) noexcept nogil:
    """Fisher-Yates: a uniformly random permutation of a[:n], in place."""
    cdef Py_ssize_t i, j, v
    for i in range(n - 1, 0, -1):
        j = <Py_ssize_t>uniform_below(<uint64_t>i + 1, state)
        v = a[i]
        a[i] = a[j]
        a[j] = v


def block_order_into(Py_ssize_t[::1] order, Py_ssize_t[::1] block_work, Py_ssize_t block_size,
                     Py_ssize_t buffer_blocks, uint64_t seed):
    """Fill ``order`` (n entries) with a block order (csrc/blocks.h) drawn
    from ``seed``: the nb = ceil(n / block_size) blocks (``block_work``
    holds one entry a block) cut into ``buffer_blocks`` strata of
    consecutive blocks, each stratum's blocks in a random order, buffer t
    made of the t-th block of every stratum, and each buffer's rows visited
    in rounds: round r takes row r of every block of the buffer that has
    one, the blocks in a fresh random order each round (but that a block of
    one row, the data's last, never comes first: used up at once, it would
    end its buffer there).  When the strata differ in size the last buffer
    holds fewer blocks; it is visited first, where a run of rows from few
    strata weighs least on the model.  The work is O(n) whatever
    block_size."""
    cdef Py_ssize_t n = order.shape[0], nb = block_work.shape[0]
    cdef Py_ssize_t strata = min(buffer_blocks, nb)
    cdef Py_ssize_t buffers = (nb + strata - 1) // strata
    cdef Py_ssize_t u, t, s, lo, hi, b, r, p, k, count, rows
    cdef Py_ssize_t[::1] members = np.empty(strata, dtype=np.intp)
    cdef uint64_t state = seed
    with nogil:
        for b in range(nb):
            block_work[b] = b
        for s in range(strata):
            lo = s * nb // strata
            hi = (s + 1) * nb // strata
            shuffle_in_place(&block_work[lo], hi - lo, &state)
        p = 0
        for u in range(buffers):
            t = (u + buffers - 1) % buffers
            count = 0
            for s in range(strata):
                lo = s * nb // strata
                hi = (s + 1) * nb // strata
                if lo + t < hi:
                    members[count] = block_work[lo + t]
                    count += 1
            rows = 0
            for k in range(count):
                rows = max(rows, fastgd_block_rows(members[k], block_size, n))
            for r in range(rows):
                shuffle_in_place(&members[0], count, &state)
                if r == 0 and count > 1 and fastgd_block_rows(members[0], block_size, n) == 1:
                    # a last block of one row met first would be used up
                    # at once, and end its buffer there
                    k = 1 + <Py_ssize_t>uniform_below(<uint64_t>(count - 1), &state)
                    b = members[0]
                    members[0] = members[k]
                    members[k] = b
                for k in range(count):
                    b = members[k]
                    if r < fastgd_block_rows(b, block_size, n):
                        order[p] = b * block_size + r
                        p += 1


def is_block_order(const Py_ssize_t[::1] order, Py_ssize_t block_size, Py_ssize_t buffer_blocks):
    """Whether ``order`` (n positions, rows of X in 0..n-1) visits whole
    blocks of ``block_size`` rows, at most ``buffer_blocks`` at a time, all
    of a buffer's positions before the next buffer's: what the block mode
    of an epoch reads (csrc/blocks.h).  Every order block_order draws with
    this geometry is one."""
    cdef Py_ssize_t n = order.shape[0], nb = (n + block_size - 1) // block_size
    cdef Py_ssize_t p = 0, count, k
    cdef Py_ssize_t[::1] slot = np.full(nb, -1, dtype=np.intp)
    cdef Py_ssize_t[::1] blocks = np.empty(buffer_blocks, dtype=np.intp)
    cdef Py_ssize_t[::1] local = np.empty(min(n, block_size * buffer_blocks), dtype=np.intp)
    with nogil:
        while p < n:
            p = fastgd_scan_buffer(&order[0], n, p, block_size, buffer_blocks, &slot[0],
                                   &blocks[0], &count, &local[0])
            for k in range(count):
                slot[blocks[k]] = -1
            if p < 0:
                break
    return p == n


def penalty(const floating[::1] w, double alpha):
    """alpha / 2 ||w||^2 of a flat array of penalized weights (a linear
    model's coef, a network's weight prefix of theta), summed in double
    without a float64 copy."""
    if w.shape[0] == 0:
        return 0.0
    return alpha * half_sq_norm(&w[0], w.shape[0])


def csr_square_sums(const floating[::1] data, const int[::1] indices, const int[::1] indptr,
                    double[::1] row_sums, double[::1] column_sums):
    """sum_j x_ij^2 of each row of a CSR matrix into ``row_sums`` and sum_i
    x_ij^2 of each column added into ``column_sums`` (either may be None),
    in double, in one pass over the stored values and without a copy of
    them."""
    cdef Py_ssize_t i, q, n = indptr.shape[0] - 1
    cdef double v, total
    cdef bint rows = row_sums is not None, columns = column_sums is not None
    if data.shape[0] == 0 or n == 0:
        if rows:
            row_sums[:] = 0.0
        return
    with nogil:
        for i in range(n):
            total = 0.0
            for q in range(indptr[i], indptr[i + 1]):
                v = <double>data[q] * data[q]
                total += v
                if columns:
                    column_sums[indices[q]] += v
            if rows:
                row_sums[i] = total
