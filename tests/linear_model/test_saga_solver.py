"""solver='saga' on the linear models: the exact optimum (scikit-learn's
converged solvers, the closed form), its stopping rule, its automatic rate,
warm starts of its table, and what it refuses."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from fastgd import DivergenceError, LinearRegression, LogisticRegression, SoftmaxRegression
from fastgd import reference
from fastgd.exceptions import ConvergenceWarning

sklearn_linear = pytest.importorskip("sklearn.linear_model")


def _data(kind, rng, n=400, d=6, sparse=False, dtype=np.float64):
    X = rng.standard_normal((n, d)) + 0.3
    if sparse:
        X[rng.random(X.shape) < 0.5] = 0.0
    Z = X @ rng.standard_normal((d, 3))
    if kind == "regression":
        y = Z[:, 0] + 0.5 * rng.standard_normal(n)
    elif kind == "binary":
        y = np.where(Z[:, 0] + rng.standard_normal(n) > 0, "yes", "no")
    else:
        y = np.argmax(Z + rng.gumbel(size=Z.shape), axis=1)
    X = X.astype(dtype)
    return (sp.csr_matrix(X) if sparse else X), y


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_saga_equals_scikit_learns_logistic_regression(kind, weighted, sparse, rng):
    X, y = _data(kind, rng, sparse=sparse)
    n, alpha = X.shape[0], 1e-2
    sw = rng.uniform(0.2, 3.0, n) if weighted else None
    want = sklearn_linear.LogisticRegression(C=1.0 / (n * alpha), tol=1e-14, max_iter=10000)
    # scikit-learn's C multiplies the summed loss: its weights are not rescaled
    want.fit(X, y, sample_weight=None if sw is None else sw * (n / sw.sum()))
    Model = LogisticRegression if kind == "binary" else SoftmaxRegression
    got = Model(solver="saga", alpha=alpha, tol=1e-10, max_epochs=5000, random_state=0)
    got.fit(X, y, sample_weight=sw)
    assert got.converged_
    np.testing.assert_allclose(got.coef_, want.coef_, rtol=1e-6,
                               atol=1e-7 * np.abs(want.coef_).max())
    np.testing.assert_allclose(got.predict_proba(X), want.predict_proba(X), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("weighted", [False, True])
def test_saga_equals_ridge_and_the_closed_form(weighted, sparse, rng):
    X, y = _data("regression", rng, sparse=sparse)
    n, alpha = X.shape[0], 1e-2
    sw = rng.uniform(0.2, 3.0, n) if weighted else None
    got = LinearRegression(solver="saga", alpha=alpha, tol=1e-10, max_epochs=5000,
                           random_state=0).fit(X, y, sample_weight=sw)
    assert got.converged_
    coef, intercept = reference.normal_equation(X, y, alpha=alpha, sample_weight=sw)
    np.testing.assert_allclose(got.coef_, coef, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(got.intercept_, intercept, rtol=1e-6, atol=1e-8)
    if not weighted:
        ridge = sklearn_linear.Ridge(alpha=n * alpha, solver="sparse_cg" if sparse else "cholesky",
                                     tol=1e-14).fit(X, y)
        np.testing.assert_allclose(got.coef_, ridge.coef_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("Model, kind", [(LogisticRegression, "binary"),
                                         (SoftmaxRegression, "multiclass"),
                                         (LinearRegression, "regression")])
def test_saga_float32_trains_in_float32_near_the_float64_optimum(Model, kind, sparse, rng):
    X, y = _data(kind, rng, sparse=sparse)
    X32 = X.astype(np.float32)
    m64 = Model(solver="saga", alpha=1e-2, tol=1e-8, random_state=0).fit(X, y)
    # tol 1e-6: above float32's floor (the gradient at weights rounded to
    # float32 after each epoch is ~1e-7 of its start)
    m32 = Model(solver="saga", alpha=1e-2, tol=1e-6, random_state=0).fit(X32, y)
    assert m32.coef_.dtype == np.float32 and m32.converged_
    np.testing.assert_allclose(m32.coef_, m64.coef_, rtol=1e-4,
                               atol=1e-5 * np.abs(m64.coef_).max())


@pytest.mark.parametrize("shuffle", [True, False])
def test_saga_stops_on_the_exact_gradient(shuffle, rng):
    X, y = _data("binary", rng)
    model = LogisticRegression(solver="saga", alpha=1e-3, tol=1e-6, shuffle=shuffle,
                               random_state=0).fit(X, y)
    assert model.converged_ and model.n_iter_ < 1000
    yy = (y == "yes").astype(float)
    _, gW, gb = reference.loss_gradient(X, yy, model._coef, model._intercept, loss="logistic",
                                        alpha=1e-3)
    _, gW0, gb0 = reference.loss_gradient(X, yy, 0 * model._coef, 0 * model._intercept,
                                          loss="logistic", alpha=1e-3)
    assert max(np.abs(gW).max(), np.abs(gb).max()) <= 1e-6 * max(np.abs(gW0).max(),
                                                                   np.abs(gb0).max())


def test_saga_tol_none_runs_max_epochs(rng):
    X, y = _data("regression", rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = LinearRegression(solver="saga", tol=None, max_epochs=7, random_state=0).fit(X, y)
    assert model.n_iter_ == 7 and model.t_ == 7 * X.shape[0] and not model.converged_


def test_saga_warns_when_max_epochs_ends_it(rng):
    X, y = _data("regression", rng)
    with pytest.warns(ConvergenceWarning, match="gradient"):
        LinearRegression(solver="saga", tol=1e-12, max_epochs=2, random_state=0).fit(X, y)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_saga_auto_rate_is_scikit_learns_saga_step(sparse, rng):
    X, y = _data("binary", rng, sparse=sparse)
    n, alpha = X.shape[0], 1e-3
    sw = rng.uniform(0.5, 2.0, n)
    model = LogisticRegression(solver="saga", alpha=alpha, max_epochs=1, tol=None)
    model.fit(X, y, sample_weight=sw)
    s = sw * n / sw.sum()
    sq = np.asarray(X.multiply(X).sum(axis=1)).ravel() if sparse else (X ** 2).sum(axis=1)
    L = 0.25 * np.max(s * (sq + 1.0)) + alpha
    assert model.learning_rate_ == pytest.approx(1.0 / (2 * L + min(2 * n * alpha, L)), rel=1e-12)


def test_saga_warm_start_continues_the_table(rng):
    X, y = _data("multiclass", rng)
    kw = dict(solver="saga", alpha=1e-2, tol=None, shuffle=False)
    long = SoftmaxRegression(max_epochs=6, **kw).fit(X, y)
    warm = SoftmaxRegression(max_epochs=3, warm_start=True, **kw).fit(X, y)
    table = warm._saga_state[0].copy()
    warm.fit(X, y)
    # the table went on (its averages recomputed from it, to rounding)
    assert not np.array_equal(warm._saga_state[0], table)
    np.testing.assert_allclose(warm.coef_, long.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(warm.intercept_, long.intercept_, rtol=1e-9, atol=1e-12)
    # a fresh fit forgets it
    cold = SoftmaxRegression(max_epochs=3, **kw).fit(X, y)
    cold.fit(X, y)
    np.testing.assert_array_equal(cold._saga_state[0], table)


def test_saga_warm_start_on_other_data_keeps_averages_of_the_table(rng):
    X, y = _data("regression", rng)
    model = LinearRegression(solver="saga", alpha=1e-2, tol=1e-10, max_epochs=5000,
                             warm_start=True, random_state=0).fit(X, y)
    X2, y2 = _data("regression", rng)
    model.fit(X2, y2)
    coef, intercept = reference.normal_equation(X2, y2, alpha=1e-2)
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-6, atol=1e-8)
    # and data of another size start a new table
    model.fit(X2[:100], y2[:100])
    assert model._saga_state[0].shape == (100, 1)


@pytest.mark.parametrize("change, match", [
    (dict(optimizer="adam"), "optimizer"),
    (dict(optimizer="sgd"), "optimizer"),
    (dict(schedule="invscaling"), "schedule"),
    (dict(schedule=lambda t: 0.1), "schedule"),
    (dict(momentum=0.9), "momentum"),
    (dict(learning_rate=10.0, alpha=0.2), "learning_rate \\* alpha"),
    (dict(learning_rate=-1.0), "learning_rate"),
])
def test_saga_refuses_settings_it_cannot_use(change, match, rng):
    X, y = _data("binary", rng, n=40)
    model = LogisticRegression(solver="saga", **change)
    with pytest.raises(ValueError, match=match):
        model.fit(X, y)
    assert not hasattr(model, "coef_")


@pytest.mark.parametrize("Model, kind", [(LogisticRegression, "binary"),
                                         (LinearRegression, "regression")])
def test_saga_partial_fit_is_refused(Model, kind, rng):
    X, y = _data(kind, rng, n=40)
    kwargs = dict(classes=np.unique(y)) if kind == "binary" else {}
    model = Model(solver="saga")
    with pytest.raises(ValueError, match="partial_fit.*saga"):
        model.partial_fit(X, y, **kwargs)
    assert not hasattr(model, "coef_")


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_saga_absurd_rate_raises_divergence_error_without_nan(sparse, rng):
    X, y = _data("regression", rng, sparse=sparse)
    X = X * 100.0
    model = LinearRegression(solver="saga", learning_rate=10.0, random_state=0)
    with pytest.raises(DivergenceError, match="learning_rate"):
        model.fit(X, y)
    # the failed fit leaves the estimator as it was: unfitted
    assert not hasattr(model, "coef_") and not hasattr(model, "_saga_state")
    # a warm start after it begins a new table
    model.set_params(learning_rate="auto", warm_start=True, max_epochs=3, tol=None).fit(X, y)
    assert np.isfinite(model.coef_).all()


def test_saga_pickles_with_its_table(rng):
    import pickle
    X, y = _data("binary", rng)
    model = LogisticRegression(solver="saga", max_epochs=2, tol=None, warm_start=True,
                               shuffle=False).fit(X, y)
    copy = pickle.loads(pickle.dumps(model))
    model.fit(X, y)
    copy.fit(X, y)
    np.testing.assert_array_equal(copy.coef_, model.coef_)


def test_saga_with_early_stopping(rng):
    X, y = _data("binary", rng)
    model = LogisticRegression(solver="saga", early_stopping=True, random_state=0).fit(X, y)
    assert model.score(X, y) > 0.8 and len(model.validation_scores_) == model.n_iter_


def test_saga_without_intercept_keeps_it_zero(rng):
    X, y = _data("multiclass", rng)
    model = SoftmaxRegression(solver="saga", fit_intercept=False, alpha=1e-2,
                              random_state=0).fit(X, y)
    assert np.all(model.intercept_ == 0.0) and model.converged_
