"""How Python values reach the compiled loops, and how their results come
back: the row layout of X, the number of threads, and the loops' status.

Private to the package: :mod:`fastgd.kernels`, :mod:`fastgd.kernels.mlp`
and the estimators share these, so that each is said once.
"""
import os

import scipy.sparse as sp

from ..exceptions import DivergenceError
# what an epoch's status says: the codes of the compiled loops (_status.pxd)
from ._linear import STATUS_NONFINITE, STATUS_OK, STATUS_OVERFLOW  # noqa: F401


def rows(X):
    """(data, indices, indptr, n_features) of a validated X: the row layout
    the compiled loops read, with indices None for dense X."""
    if sp.issparse(X):
        return X.data, X.indices, X.indptr, X.shape[1]
    return X.reshape(-1), None, None, X.shape[1]


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
