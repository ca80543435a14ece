"""The compiled SAGA epoch equals its NumPy reference, and refuses bad input.

:func:`fastgd.reference.saga_epoch` is the specification (eager updates, a
Python loop over steps); :func:`fastgd.kernels.saga_epoch` updates dense rows
directly and CSR rows just in time (a lazy scale and per-column catch-up), so
the two agree to rounding: rtol 1e-10 in float64 over three epochs.  Float32
data are read exactly and the parameters trained in float64, rounded to
float32 at the end of each epoch: the next epoch starts from the rounded
values, so float32 is compared at rtol 1e-5.
"""
import numpy as np
import pytest
import scipy.sparse as sp

from conftest import LOSSES, make_problem
from fastgd import DivergenceError, kernels, reference

RTOL64 = 1e-10
RTOL32 = 1e-5


def _state(p):
    n, K = p.X.shape[0], p.coef.shape[0]
    return np.zeros((n, K)), np.zeros(p.coef.shape), np.zeros(K)


def run_both(p, epochs=3, order=None, **kw):
    """(kernel results, reference results) after ``epochs`` epochs, each a
    list [objectives, coef, intercept, table, avg_grad_coef, avg_grad_intercept]."""
    coef, intercept = p.coef.copy(), p.intercept.copy()
    table, g, gb = _state(p)
    ref = [p.coef, p.intercept, table.copy(), g.copy(), gb.copy()]
    got_obj, ref_obj = [], []
    t = 0
    for _ in range(epochs):
        result = kernels.saga_epoch(p.X, p.y, coef, intercept, table, g, gb, loss=p.loss,
                                    order=order, sample_weight=p.sample_weight, t=t, **kw)
        t = result.t
        got_obj.append(result.objective)
        objective, *ref = reference.saga_epoch(p.X, p.y, *ref, loss=p.loss, order=order,
                                               sample_weight=p.sample_weight, **kw)
        ref_obj.append(objective)
    n_steps = len(order) if order is not None else p.X.shape[0]
    assert t == epochs * n_steps
    return [np.array(got_obj), coef, intercept, table, g, gb], [np.array(ref_obj), *ref]


def assert_match(got, want, rtol):
    names = ("objective", "coef", "intercept", "table", "avg_grad_coef", "avg_grad_intercept")
    for name, g, w in zip(names, got, want):
        g, w = np.asarray(g, np.float64), np.asarray(w, np.float64)
        assert g.shape == w.shape, name
        assert np.all(np.isfinite(g)), name
        # entries that cancel to ~0 are compared to the array's scale
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * 1e-2 * max(np.abs(w).max(), 1e-300),
                                   err_msg=name)


def _problem(loss, sparse, weighted, dtype=np.float64, rng=None, n=40, d=7):
    return make_problem(loss, n, d, rng=rng, weighted=weighted, sparse=sparse,
                        density=0.4, dtype=dtype, n_classes=3)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_saga_epoch_matches_reference(loss, sparse, weighted, fit_intercept, rng):
    p = _problem(loss, sparse, weighted, rng=rng)
    order = rng.permutation(p.X.shape[0])
    got, want = run_both(p, order=order, alpha=0.05, learning_rate=0.04,
                         fit_intercept=fit_intercept)
    assert_match(got, want, RTOL64)
    if not fit_intercept:
        np.testing.assert_array_equal(got[2], p.intercept)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_saga_epoch_sequential_and_repeating_orders(loss, sparse, rng):
    p = _problem(loss, sparse, True, rng=rng)
    for order in (None, rng.integers(0, p.X.shape[0], 25)):
        got, want = run_both(p, order=order, alpha=0.01, learning_rate=0.05)
        assert_match(got, want, RTOL64)


@pytest.mark.parametrize("loss", LOSSES)
def test_saga_csr_folds_the_scale_back(loss, rng):
    # eta alpha = 0.45: wscale falls below 1e-9 every 26 steps, so an epoch of
    # 60 rows folds it into the weights twice and ends between folds
    p = _problem(loss, True, False, rng=rng, n=60, d=9)
    got, want = run_both(p, epochs=2, order=rng.permutation(60), alpha=1.5, learning_rate=0.3)
    assert_match(got, want, RTOL64)


@pytest.mark.parametrize("loss", LOSSES)
def test_saga_csr_equals_dense(loss, rng):
    p = _problem(loss, True, True, rng=rng)
    order = rng.permutation(p.X.shape[0])
    got_sparse, _ = run_both(p, order=order, alpha=0.02, learning_rate=0.05)
    got_dense, _ = run_both(p.replace(X=p.X.toarray()), order=order, alpha=0.02,
                            learning_rate=0.05)
    assert_match(got_sparse, got_dense, RTOL64)


def test_saga_csr_with_empty_rows_and_columns(rng):
    p = _problem("logistic", True, False, rng=rng)
    X = p.X.toarray()
    X[3] = 0.0
    X[:, 2] = 0.0
    p = p.replace(X=sp.csr_matrix(X))
    got, want = run_both(p, alpha=0.1, learning_rate=0.05)
    assert_match(got, want, RTOL64)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_saga_epoch_float32(loss, sparse, rng):
    p = _problem(loss, sparse, True, dtype=np.float32, rng=rng)
    order = rng.permutation(p.X.shape[0])
    coef, intercept = p.coef.copy(), p.intercept.copy()
    table, g, gb = _state(p)
    kernels.saga_epoch(p.X, p.y, coef, intercept, table, g, gb, loss=p.loss, order=order,
                       sample_weight=p.sample_weight, alpha=0.05, learning_rate=0.04)
    assert coef.dtype == intercept.dtype == np.float32
    # one epoch: the float64 weights are rounded once, at its end
    _, W, b, T, G, gb_ref = reference.saga_epoch(
        p.X, p.y, p.coef, p.intercept, *_state(p), loss=p.loss, order=order,
        sample_weight=p.sample_weight, alpha=0.05, learning_rate=0.04)
    np.testing.assert_allclose(coef, W, rtol=1e-6, atol=1e-7 * np.abs(W).max())
    np.testing.assert_allclose(intercept, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(table, T, rtol=1e-10, atol=1e-13)
    # three epochs start twice from rounded weights
    got, want = run_both(p, order=order, alpha=0.05, learning_rate=0.04)
    assert_match(got, want, RTOL32)


@pytest.mark.parametrize("loss", LOSSES)
def test_saga_averages_stay_the_table_averages(loss, rng):
    p = _problem(loss, True, True, rng=rng)
    coef, intercept = p.coef.copy(), p.intercept.copy()
    table, g, gb = _state(p)
    for _ in range(3):
        kernels.saga_epoch(p.X, p.y, coef, intercept, table, g, gb, loss=loss, alpha=0.01,
                           learning_rate=0.05, sample_weight=p.sample_weight,
                           order=rng.permutation(p.X.shape[0]))
    n = p.X.shape[0]
    np.testing.assert_allclose(g, (p.X.T @ table).T / n, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gb, table.sum(axis=0) / n, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_saga_converges_to_the_zero_of_the_full_gradient(loss, sparse, rng):
    p = _problem(loss, sparse, True, rng=rng, n=50, d=5)
    n = p.X.shape[0]
    sw = p.sample_weight * (n / p.sample_weight.sum())      # mean one
    coef, intercept = p.coef.copy(), p.intercept.copy()
    table, g, gb = _state(p)
    alpha = 0.05
    X2 = (p.X.multiply(p.X).sum(axis=1).A.ravel() if sparse else (p.X ** 2).sum(axis=1))
    L = {"squared": 1.0, "logistic": 0.25, "softmax": 0.5}[loss] * np.max(sw * (X2 + 1)) + alpha
    eta = 1.0 / (2 * L + min(2 * n * alpha, L))
    for _ in range(600):
        kernels.saga_epoch(p.X, p.y, coef, intercept, table, g, gb, loss=loss, alpha=alpha,
                           learning_rate=eta, sample_weight=sw, order=rng.permutation(n))
    _, gW, gB = reference.loss_gradient(p.X, p.y, coef, intercept, loss=loss, alpha=alpha,
                                        sample_weight=sw)
    _, gW0, gB0 = reference.loss_gradient(p.X, p.y, 0 * coef, 0 * intercept, loss=loss,
                                          alpha=alpha, sample_weight=sw)
    scale = max(np.abs(gW0).max(), np.abs(gB0).max())
    assert max(np.abs(gW).max(), np.abs(gB).max()) < 1e-10 * scale
    # and the cheap estimate the estimators watch is the same gradient there
    np.testing.assert_allclose(g + alpha * coef, gW, atol=1e-9 * scale)
    np.testing.assert_allclose(gb, gB, atol=1e-9 * scale)


def test_saga_epoch_returns_the_update_count():
    p = make_problem("squared", 6, 3)
    table, g, gb = _state(p)
    coef, intercept = p.coef.copy(), p.intercept.copy()
    result = kernels.saga_epoch(p.X, p.y, coef, intercept, table, g, gb, learning_rate=0.1,
                                order=[0, 2, 4], t=10)
    assert result.t == 13 and np.isfinite(result.objective)


# ------------------------------------------------------ divergence

@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_absurd_learning_rate_raises_divergence_error_with_finite_parameters(sparse, dtype, rng):
    p = make_problem("squared", 200, 5, rng=rng, sparse=sparse, dtype=dtype, x_scale=100.0)
    coef, intercept = p.coef.copy(), p.intercept.copy()
    table, g, gb = _state(p)
    with pytest.raises(DivergenceError, match="non-finite"):
        for _ in range(20):
            kernels.saga_epoch(p.X, p.y, coef, intercept, table, g, gb, learning_rate=1e3)
    assert np.isfinite(coef).all() and np.isfinite(intercept).all()
    assert np.isfinite(table).all() and np.isfinite(g).all() and np.isfinite(gb).all()


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_a_weighted_gradient_that_overflows_is_not_stepped(sparse):
    """A finite loss times a huge sample weight overflows: that step is not
    taken, the steps before it are kept, and the table and its averages
    stay finite, each other's averages."""
    X = np.array([[1.0, 0.0, 2.0], [0.5, 1.0, 0.0], [0.0, 0.0, 0.0]])
    X = sp.csr_matrix(X) if sparse else X
    y = np.array([1.0, -2.0, 2.0])
    weight = np.array([1.0, 1.0, 1.5e308])
    coef, intercept = np.zeros((1, 3)), np.zeros(1)
    table, g, gb = np.zeros((3, 1)), np.zeros((1, 3)), np.zeros(1)
    with pytest.raises(DivergenceError, match="non-finite at update 3"):
        kernels.saga_epoch(X, y, coef, intercept, table, g, gb, learning_rate=0.1,
                           sample_weight=weight)
    for array in (coef, intercept, table, g, gb):
        assert np.isfinite(array).all()
    assert table[2, 0] == 0.0 and table[0, 0] != 0.0 and table[1, 0] != 0.0
    np.testing.assert_allclose(g, (X.T @ table).T / 3, rtol=1e-12)
    np.testing.assert_allclose(gb, table.mean(axis=0), rtol=1e-12)


def test_averages_that_overflow_start_the_table_anew():
    """Finite gradients whose averages overflow: the table and averages are
    reset to zeros, a consistent fresh start, and the error says so."""
    X = np.array([[1e300, 1.0], [1.0, 1.0]])
    y = np.array([1e10, 0.0])
    coef, intercept = np.zeros((1, 2)), np.zeros(1)
    table, g, gb = np.zeros((2, 1)), np.zeros((1, 2)), np.zeros(1)
    with pytest.raises(DivergenceError):
        kernels.saga_epoch(X, y, coef, intercept, table, g, gb, learning_rate=1e-300)
    for array in (coef, intercept, table, g, gb):
        assert np.isfinite(array).all()
    assert not table.any() and not g.any() and not gb.any()


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_nan_in_x_is_named(sparse):
    p = make_problem("logistic", 6, 3)
    X = p.X.copy()
    X[4, 1] = np.nan
    X = sp.csr_matrix(X) if sparse else X
    table, g, gb = _state(p)
    with pytest.raises(ValueError, match="X"):
        kernels.saga_epoch(X, p.y, p.coef.copy(), p.intercept.copy(), table, g, gb,
                           loss="logistic", learning_rate=0.1)


# ------------------------------------------------------ bad input

def _valid_call(loss="squared"):
    p = make_problem(loss, 6, 3, weighted=True)
    table, g, gb = _state(p)
    return dict(X=p.X, y=p.y, coef=p.coef.copy(), intercept=p.intercept.copy(), table=table,
                avg_grad_coef=g, avg_grad_intercept=gb, loss=loss,
                sample_weight=p.sample_weight, learning_rate=0.1, alpha=0.01)


def _read_only(a):
    a = np.array(a)
    a.setflags(write=False)
    return a


def _nan_at(a):
    a = np.array(a, dtype=np.float64)
    a.flat[-1] = np.nan
    return a


def _shared_average(c):
    buf = np.zeros(4)
    c.update(avg_grad_coef=buf[:3].reshape(1, 3), avg_grad_intercept=buf[2:3])


CASES = [
    ("table-shape", lambda c: c.update(table=np.zeros((5, 1))), ValueError, "table"),
    ("table-dtype", lambda c: c.update(table=np.zeros((6, 1), np.float32)), TypeError, "table"),
    ("table-list", lambda c: c.update(table=[[0.0]] * 6), TypeError, "table"),
    ("table-read-only", lambda c: c.update(table=_read_only(np.zeros((6, 1)))), ValueError, "table"),
    ("table-fortran", lambda c: c.update(table=np.asfortranarray(np.zeros((6, 3))),
                                         **{k: v for k, v in _valid_call("softmax").items()
                                            if k != "table"}), ValueError, "table"),
    ("table-nan", lambda c: c.update(table=_nan_at(np.zeros((6, 1)))), ValueError, "table"),
    ("avg_grad_coef-shape", lambda c: c.update(avg_grad_coef=np.zeros((1, 4))), ValueError,
     "avg_grad_coef"),
    ("avg_grad_coef-dtype", lambda c: c.update(avg_grad_coef=np.zeros((1, 3), np.float32)),
     TypeError, "avg_grad_coef"),
    ("avg_grad_coef-inf", lambda c: c.update(avg_grad_coef=np.full((1, 3), np.inf)), ValueError,
     "avg_grad_coef"),
    ("avg_grad_intercept-shape", lambda c: c.update(avg_grad_intercept=np.zeros(2)), ValueError,
     "avg_grad_intercept"),
    ("averages-overlap", _shared_average, ValueError, "overlap"),
    ("table-is-y", lambda c: c.update(y=c["table"][:, 0]), ValueError, "overlap"),
    ("coef-nan", lambda c: c.update(coef=_nan_at(c["coef"])), ValueError, "coef"),
    ("coef-dtype", lambda c: c.update(coef=c["coef"].astype(np.float32)), TypeError, "coef"),
    ("coef-read-only", lambda c: c.update(coef=_read_only(c["coef"])), ValueError, "coef"),
    ("intercept-shape", lambda c: c.update(intercept=np.zeros(2)), ValueError, "intercept"),
    ("learning_rate-zero", lambda c: c.update(learning_rate=0.0), ValueError, "learning_rate"),
    ("learning_rate-nan", lambda c: c.update(learning_rate=np.nan), ValueError, "learning_rate"),
    ("learning_rate-string", lambda c: c.update(learning_rate="0.1"), TypeError, "learning_rate"),
    ("learning_rate-times-alpha", lambda c: c.update(learning_rate=2.0, alpha=0.5), ValueError,
     "learning_rate \\* alpha"),
    ("alpha-negative", lambda c: c.update(alpha=-1.0), ValueError, "alpha"),
    ("loss-unknown", lambda c: c.update(loss="hinge"), ValueError, "loss"),
    ("order-high", lambda c: c.update(order=np.array([0, 6])), ValueError, "order"),
    ("order-float", lambda c: c.update(order=np.array([0.0, 1.0])), TypeError, "order"),
    ("order-zero-weight", lambda c: c.update(sample_weight=np.array([0, 1, 1, 1, 1, 1.0]),
                                             order=[0, 0]), ValueError, "sample_weight"),
    ("sample_weight-negative", lambda c: c.update(sample_weight=-np.ones(6)), ValueError,
     "sample_weight"),
    ("y-short", lambda c: c.update(y=c["y"][:-1]), ValueError, "y"),
    ("y-nan", lambda c: c.update(y=_nan_at(c["y"])), ValueError, "y"),
    ("fit_intercept-string", lambda c: c.update(fit_intercept="yes"), TypeError, "fit_intercept"),
    ("t-negative", lambda c: c.update(t=-1), ValueError, "t must"),
]


@pytest.mark.parametrize("case, change, exc, match", CASES, ids=[c[0] for c in CASES])
def test_saga_epoch_refuses_bad_input(case, change, exc, match):
    call = _valid_call()
    change(call)
    before = {k: v.copy() for k, v in call.items() if isinstance(v, np.ndarray)}
    with pytest.raises(exc, match=match):
        kernels.saga_epoch(**call)
    for name, value in before.items():
        np.testing.assert_array_equal(call[name], value, err_msg=f"{name} was modified")


def test_saga_valid_call_is_accepted():
    for loss in LOSSES:
        assert np.isfinite(kernels.saga_epoch(**_valid_call(loss)).objective)


def test_saga_epoch_never_modifies_its_inputs(rng):
    p = _problem("softmax", True, True, rng=rng)
    X = p.X.copy()
    saved = [a.copy() for a in (p.y, p.sample_weight, X.data, X.indices, X.indptr)]
    order = rng.permutation(p.X.shape[0])
    order_saved = order.copy()
    table, g, gb = _state(p)
    kernels.saga_epoch(X, p.y, p.coef.copy(), p.intercept.copy(), table, g, gb, loss="softmax",
                       learning_rate=0.1, order=order, sample_weight=p.sample_weight)
    for a, b in zip((p.y, p.sample_weight, X.data, X.indices, X.indptr), saved):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(order, order_saved)


# ------------------------------------------------------ the optimum of scikit-learn

def _run_to_convergence(X, y, loss, K, alpha, epochs, rng):
    n, d = X.shape
    coef, intercept = np.zeros((K, d)), np.zeros(K)
    table, g, gb = np.zeros((n, K)), np.zeros((K, d)), np.zeros(K)
    sq = np.asarray(X.multiply(X).sum(axis=1)).ravel() if sp.issparse(X) else (X ** 2).sum(1)
    L = {"squared": 1.0, "logistic": 0.25, "softmax": 0.5}[loss] * (sq.max() + 1) + alpha
    eta = 1.0 / (2 * L + min(2 * n * alpha, L))
    for _ in range(epochs):
        kernels.saga_epoch(X, y, coef, intercept, table, g, gb, loss=loss, alpha=alpha,
                           learning_rate=eta, order=rng.permutation(n))
    return coef, intercept


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("loss", LOSSES)
def test_saga_reaches_scikit_learns_optimum(loss, sparse, rng):
    sklearn_linear = pytest.importorskip("sklearn.linear_model")
    n, d, alpha = 300, 6, 1e-2
    X = rng.standard_normal((n, d)) + 0.5
    if sparse:
        X[rng.random(X.shape) < 0.5] = 0.0
        X = sp.csr_matrix(X)
    Z = X @ rng.standard_normal((d, 3))
    if loss == "squared":
        y, K = Z[:, 0] + 0.3 * rng.standard_normal(n), 1
        model = sklearn_linear.Ridge(alpha=n * alpha, solver="cholesky" if not sparse else "sparse_cg",
                                     tol=1e-14)
    else:
        K = 1 if loss == "logistic" else 3
        y = (Z[:, 0] > 0).astype(float) if K == 1 else np.argmax(Z, axis=1).astype(float)
        model = sklearn_linear.LogisticRegression(C=1.0 / (n * alpha), tol=1e-14, max_iter=10000)
    model.fit(X, y)
    coef, intercept = _run_to_convergence(X, y, loss, K, alpha, 400, rng)
    want_coef = np.atleast_2d(model.coef_)
    want_intercept = np.atleast_1d(model.intercept_)
    np.testing.assert_allclose(coef, want_coef, rtol=1e-6, atol=1e-8 * np.abs(want_coef).max())
    np.testing.assert_allclose(intercept, want_intercept, rtol=1e-6,
                               atol=1e-8 * np.abs(want_coef).max())
