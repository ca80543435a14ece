"""How Python values reach the compiled loops, and how their results come
back: the row layout of X, the number of threads, and the loops' status.

Private to the package: :mod:`fastgd.kernels`, :mod:`fastgd.kernels.mlp`
and the estimators share these, so that each is said once.
"""
import math
import os

import numpy as np
import scipy.sparse as sp

from ..exceptions import DivergenceError
# what an epoch's status says: the codes of the compiled loops (_status.pxd)
from ._linear import STATUS_NONFINITE, STATUS_OK, STATUS_OVERFLOW  # noqa: F401
from ._common import csr_square_sums


def rows(X):
    """(data, indices, indptr, n_features) of a validated X: the row layout
    the compiled loops read, with indices None for dense X."""
    if sp.issparse(X):
        return X.data, X.indices, X.indptr, X.shape[1]
    return X.reshape(-1), None, None, X.shape[1]


def column_square_sums(X):
    """sum_i x_ij^2 for each column j of a validated X, in float64, without
    a float64 copy of X (dense rows are read a block at a time)."""
    sums = np.zeros(X.shape[1])
    if sp.issparse(X):
        csr_square_sums(X.data, X.indices, X.indptr, None, sums)
        return sums
    for start in range(0, X.shape[0], 4096):
        block = np.asarray(X[start:start + 4096], dtype=np.float64)
        sums += np.einsum("ij,ij->j", block, block)
    return sums


def row_square_sums(X):
    """||x_i||^2 for each row i of a validated X, in float64, without a
    float64 copy of X."""
    if sp.issparse(X):
        sums = np.empty(X.shape[0])
        csr_square_sums(X.data, X.indices, X.indptr, sums, None)
        return sums
    return np.einsum("ij,ij->i", X, X, dtype=np.float64)


def available_cpus():
    """The CPUs this process may run on: the most threads a kernel starts."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def epoch_divergence(status, t, t_start, what="the loss"):
    """The DivergenceError a kernel call raises for an epoch that stopped
    with ``status`` at update count ``t`` (it began after ``t_start``)."""
    if status == STATUS_NONFINITE:
        where = f"{what} became non-finite at update {t + 1}"
    else:
        where = f"the parameters became non-finite at update {t}"
    return DivergenceError(
        f"{where} (this epoch began after update {t_start}): "
        f"{DivergenceError.ADVICE}")


def epoch_objective(loss_sum, weight_sum, penalty, t, t_start):
    """The objective an epoch returns: its mean loss plus the penalty at its
    end.  A DivergenceError when that is not finite: the steps can leave
    finite parameters so large that the L2 penalty overflows."""
    objective = loss_sum / weight_sum + penalty
    if not math.isfinite(objective):
        raise DivergenceError(
            f"the objective became non-finite at the end of the epoch (updates {t_start + 1} "
            f"to {t}): the parameters grew too large: {DivergenceError.ADVICE}")
    return objective


class EpochBackup:
    """Copies of what an epoch writes (parameters, optimizer state), taken
    before it: O(parameters), small beside the epoch's O(n_samples x
    parameters).  An epoch that stops on a non-finite value leaves the
    arrays as its last good step did; when that step itself overflowed them
    (an update is taken before the next loss can reveal it), ``keep_finite``
    puts back the values from before the epoch, so that no non-finite
    parameter leaves a kernel call."""

    def __init__(self, *arrays):
        self._saved = [(array, array.copy()) for array in arrays if array is not None]

    def keep_finite(self):
        if not all(np.isfinite(array).all() for array, _ in self._saved):
            for array, copy in self._saved:
                array[...] = copy
