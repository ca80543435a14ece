"""Dense linear models: the full-batch gradient and one SGD epoch, fastgd
beside NumPy, scikit-learn and the memory floor.

Groups (read the ratios of one group in one run):

``grad-<loss>-<dtype>``
    fastgd.kernels.loss_gradient with n_jobs=1 and 2 against the vectorized
    NumPy gradient X^T (h(X w + b) - y) / n + alpha w, on 200,000 x 100.
``sgd-<loss>-<dtype>``
    One per-sample SGD epoch (constant rate, alpha=1e-4): fastgd shuffled and
    sequential, scikit-learn's SGDRegressor / SGDClassifier shuffled with the
    same settings, and X.sum(), the cost of one read of X.

Every test checks its result against an independent computation: the
gradients against fastgd.reference; fastgd's sequential epoch against
scikit-learn's sequential epoch (the same algorithm: lazy L2 scale, then the
step); fastgd's shuffled epoch against a sequential epoch over the rows
permuted into the same order, and against fastgd.reference on a slice;
scikit-learn's shuffled epoch (its own order) by the objective it reaches,
against its sequential epoch's.
"""
import functools

import numpy as np
import pytest

import workloads
from workloads import relative_error

pytest.importorskip("sklearn")

DTYPES = ("float64", "float32")


@functools.lru_cache(maxsize=None)
def expected_gradient(loss, dtype, scale):
    X, y = workloads.dense_problem(loss, dtype, scale)
    return workloads.expected_gradient(X, y, loss)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", ("squared", "logistic", "softmax"))
@pytest.mark.parametrize("impl", ("fastgd-n_jobs=1", "fastgd-n_jobs=2", "numpy"))
def test_gradient(measure, scale, impl, loss, dtype):
    X, y = workloads.dense_problem(loss, dtype, scale)
    if impl == "numpy":
        workload = workloads.NumpyGradient(X, y, loss)
    else:
        workload = workloads.FastgdGradient(X, y, loss, n_jobs=int(impl[-1]))
    grad_coef, grad_intercept = measure(workload, f"grad-{loss}-{dtype}", shape=X.shape)
    expected_coef, expected_intercept = expected_gradient(loss, dtype, scale)
    # fastgd reads float32 values exactly and sums in double, as the
    # reference does: only the order of the sums differs.  NumPy computes in
    # float32 for float32 data.
    tol = 1e-3 if (impl == "numpy" and dtype == "float32") else 1e-10
    assert relative_error(grad_coef, expected_coef) <= tol
    assert relative_error(grad_intercept, expected_intercept) <= tol


@functools.lru_cache(maxsize=None)
def sequential_sklearn(loss, dtype, scale):
    """scikit-learn's sequential epoch (shuffle=False) and its objective."""
    X, y = workloads.dense_problem(loss, dtype, scale)
    workload = workloads.SklearnSGDEpoch(X, y, loss, shuffle=False)
    coef, intercept = workload.run()
    return coef, intercept, workloads.objective(X, y, coef, intercept, loss)


def assert_objective_near_sequential(X, y, loss, dtype, scale, coef, intercept):
    """scikit-learn's shuffled epoch ends in the neighbourhood of its
    sequential one: its objective is within 10% of the decrease the
    sequential epoch made from the zero start (the order is scikit-learn's
    own, so nothing closer can be asked)."""
    _, _, sequential = sequential_sklearn(loss, dtype, scale)
    start = workloads.objective(X, y, np.zeros(X.shape[1]), 0.0, loss)
    reached = workloads.objective(X, y, coef, intercept, loss)
    assert abs(reached - sequential) <= 0.1 * (start - sequential)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss", ("squared", "logistic"))
@pytest.mark.parametrize("impl", ("fastgd-shuffled", "fastgd-sequential", "sklearn-shuffled", "X.sum"))
def test_sgd_epoch(measure, scale, impl, loss, dtype):
    X, y = workloads.dense_problem(loss, dtype, scale)
    group = f"sgd-{loss}-{dtype}"
    if impl == "X.sum":
        total = measure(workloads.MemoryFloor(X), group)
        assert relative_error(total, X.sum(dtype=np.float64)) <= (1e-4 if dtype == "float32" else 1e-10)
        return
    if impl == "sklearn-shuffled":
        coef, intercept = measure(workloads.SklearnSGDEpoch(X, y, loss, shuffle=True), group)
        assert_objective_near_sequential(X, y, loss, dtype, scale, coef, intercept)
        return
    shuffle = impl == "fastgd-shuffled"
    workload = workloads.FastgdSGDEpoch(X, y, loss, shuffle=shuffle)
    coef, intercept = measure(workload, group)
    if shuffle:
        replayed_coef, replayed_intercept = workload.replay()
        assert relative_error(coef, replayed_coef) <= 1e-10
        assert abs(intercept - replayed_intercept) <= 1e-10 * max(1.0, abs(replayed_intercept))
        rule = workloads.make_rule("sgd", workloads.SGD_RATE[loss])
        # float32 parameters are rounded after each step; the reference keeps float64
        tol = 1e-4 if dtype == "float32" else 1e-10
        assert workloads.reference_epoch_agrees(X, y, loss, rule, 1) <= tol
    else:
        expected_coef, expected_intercept, _ = sequential_sklearn(loss, dtype, scale)
        # float32: scikit-learn computes in float32, fastgd in double
        tol = 1e-3 if dtype == "float32" else 1e-10
        assert relative_error(coef, expected_coef) <= tol
        assert abs(intercept - expected_intercept) <= tol * max(1.0, abs(expected_intercept))
