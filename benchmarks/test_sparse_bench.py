"""Sparse linear models: CSR 100,000 x 100,000 with 50 non-zeros a
row, logistic loss, L2 (alpha=1e-4).

Groups:

``sparse-sgd``
    One shuffled per-sample SGD epoch: fastgd.kernels.sgd_epoch on the CSR
    rows against scikit-learn's SGDClassifier (same settings), beside
    X.data.sum(), one read of the stored values.
``sparse-grad``
    The full-batch gradient: fastgd.kernels.loss_gradient (n_jobs=1 and 2)
    against SciPy's X^T (sigmoid(X w + b) - y) / n + alpha w.

Checks: the gradients against the reference formula in float64; fastgd's
sequential epoch without intercept against scikit-learn's (the same
algorithm; with an intercept scikit-learn damps its updates on sparse data
by 0.01, so the epochs differ there); fastgd's shuffled epoch against a
sequential epoch over the rows permuted into its order; scikit-learn's
shuffled epoch (its own order) by its objective, against its sequential
epoch's.
"""
import functools

import numpy as np
import pytest

import workloads
from workloads import relative_error

pytest.importorskip("sklearn")

LOSS = "logistic"


@functools.lru_cache(maxsize=None)
def expected_gradient(scale):
    return workloads.expected_gradient(*workloads.sparse_problem(scale), LOSS)


@pytest.mark.parametrize("impl", ("fastgd-n_jobs=1", "fastgd-n_jobs=2", "scipy"))
def test_sparse_gradient(measure, scale, impl):
    X, y = workloads.sparse_problem(scale)
    if impl == "scipy":
        workload = workloads.NumpyGradient(X, y, LOSS)
    else:
        workload = workloads.FastgdGradient(X, y, LOSS, n_jobs=int(impl[-1]))
    grad_coef, grad_intercept = measure(workload, "sparse-grad", shape=X.shape, nnz=X.nnz)
    expected_coef, expected_intercept = expected_gradient(scale)
    assert relative_error(grad_coef, expected_coef) <= 1e-10
    assert relative_error(grad_intercept, expected_intercept) <= 1e-10


@functools.lru_cache(maxsize=None)
def sequential(scale):
    """The sequential epochs without intercept of scikit-learn and fastgd,
    and the objectives at zero and after scikit-learn's sequential epoch
    with intercept (its settings of the benchmark)."""
    X, y = workloads.sparse_problem(scale)
    kwargs = dict(shuffle=False, rate=workloads.SPARSE_SGD_RATE)
    sklearn_coef, _ = workloads.SklearnSGDEpoch(X, y, LOSS, fit_intercept=False, **kwargs).run()
    fastgd_coef, _ = workloads.FastgdSGDEpoch(X, y, LOSS, fit_intercept=False, **kwargs).run()
    start = workloads.objective(X, y, np.zeros(X.shape[1]), 0.0, LOSS)
    reached = workloads.objective(X, y, *workloads.SklearnSGDEpoch(X, y, LOSS, **kwargs).run(), LOSS)
    return sklearn_coef, fastgd_coef, start, reached


@pytest.mark.parametrize("impl", ("fastgd-shuffled", "sklearn-shuffled", "X.data.sum"))
def test_sparse_sgd_epoch(measure, scale, impl):
    X, y = workloads.sparse_problem(scale)
    if impl == "X.data.sum":
        total = measure(workloads.MemoryFloor(X.data), "sparse-sgd")
        assert relative_error(total, np.sum(X.data)) <= 1e-10
        return
    cls = workloads.FastgdSGDEpoch if impl.startswith("fastgd") else workloads.SklearnSGDEpoch
    workload = cls(X, y, LOSS, shuffle=True, rate=workloads.SPARSE_SGD_RATE)
    coef, intercept = measure(workload, "sparse-sgd", shape=X.shape, nnz=X.nnz)
    sklearn_coef, fastgd_coef, start, reached = sequential(scale)
    if impl.startswith("fastgd"):
        assert relative_error(fastgd_coef, sklearn_coef) <= 1e-10
        replayed_coef, replayed_intercept = workload.replay()
        assert relative_error(coef, replayed_coef) <= 1e-10
        assert abs(intercept - replayed_intercept) <= 1e-10 * max(1.0, abs(replayed_intercept))
    else:
        # scikit-learn's own order: its objective lands near its sequential one's
        objective = workloads.objective(X, y, coef, intercept, LOSS)
        assert abs(objective - reached) <= 0.1 * (start - reached)
