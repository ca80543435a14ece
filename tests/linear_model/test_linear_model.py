"""Estimator-level tests of LinearRegression, LogisticRegression and SoftmaxRegression.

Three kinds of evidence that the estimators are right:

* every solver and update rule reaches the same optimum as an independent
  one (the closed-form normal equation, or a long full-batch run);
* on scikit-learn's bundled real data sets they reproduce scikit-learn's
  Ridge and LogisticRegression, whose objectives are the same up to the
  documented change of parameter (alpha_ridge = n alpha, C = 1 / (n alpha));
* the contract around the math: bad input is refused naming the argument,
  inputs are never modified, divergence and non-convergence are reported,
  and partial_fit / warm_start / schedules / random_state behave as documented.
"""
import copy
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

import fastgd
from fastgd import kernels
from fastgd.optim import make_rule
from fastgd import (ConvergenceWarning, DivergenceError, LinearRegression,
                    LogisticRegression, NotFittedError, SoftmaxRegression)

ESTIMATORS = (LinearRegression, LogisticRegression, SoftmaxRegression)
GRADIENT_SOLVERS = ("gd", "sgd", "minibatch")


# -- data ------------------------------------------------------------------
def make_data(kind, n=300, d=5, seed=0, noise=0.1):
    """Well-conditioned data (standard normal features) whose targets follow
    a linear model: real-valued ('regression'), two labels ('binary', drawn
    from the logistic model so the classes overlap and the optimum is
    finite) or three ('multiclass', drawn from the softmax model)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    w = rng.standard_normal(d)
    if kind == "regression":
        return X, X @ w + 0.5 + noise * rng.standard_normal(n)
    if kind == "binary":
        return X, (rng.random(n) < 1.0 / (1.0 + np.exp(-(X @ w + 0.3)))).astype(np.int64)
    W = rng.standard_normal((3, d))
    return X, np.argmax(X @ W.T + rng.gumbel(size=(n, 3)), axis=1)


def data_for(Est, **kwargs):
    kind = {LinearRegression: "regression", LogisticRegression: "binary",
            SoftmaxRegression: "multiclass"}[Est]
    return make_data(kind, **kwargs)


def params(model):
    """coef and intercept as float64 arrays, whatever the model's shapes.
    A softmax model's intercepts are defined up to a common shift (only
    their differences enter the probabilities, and they are not penalized):
    they are centered."""
    coef = np.asarray(model.coef_, dtype=np.float64)
    intercept = np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))
    if intercept.size > 1:
        intercept = intercept - intercept.mean()
    return coef, intercept


def assert_same_model(a, b, rtol, atol_scale=None):
    """coef_ and intercept_ of a and b agree to rtol relative to the size of
    b's coefficients (so near-zero entries are judged on the model's scale)."""
    (ca, ia), (cb, ib) = params(a), params(b)
    scale = max(np.abs(cb).max(), np.abs(ib).max())
    atol = rtol * scale if atol_scale is None else atol_scale
    assert_allclose(ca, cb, rtol=rtol, atol=atol)
    assert_allclose(ia, ib, rtol=rtol, atol=atol)


def quiet(model, *args, **kwargs):
    """fit without the ConvergenceWarning of a deliberately short run."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(*args, **kwargs)


@pytest.fixture(scope="module")
def sklearn():
    return pytest.importorskip("sklearn")


def standardized(loader):
    from sklearn.preprocessing import StandardScaler
    X, y = loader(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# == 1. every solver reaches the same optimum ================================
ALPHA = 0.05


@pytest.fixture(scope="module")
def regression_optimum():
    X, y = make_data("regression")
    return X, y, LinearRegression(solver="normal", alpha=ALPHA).fit(X, y)


@pytest.fixture(scope="module")
def classification_optima():
    """Long full-batch runs (checked against scikit-learn below)."""
    out = {}
    for Est in (LogisticRegression, SoftmaxRegression):
        X, y = data_for(Est)
        out[Est] = (X, y, Est(alpha=ALPHA, optimizer="nesterov", tol=None,
                              max_epochs=3000).fit(X, y))
    return out


def test_gd_reaches_the_normal_equation_solution(regression_optimum):
    X, y, exact = regression_optimum
    model = LinearRegression(solver="gd", alpha=ALPHA, tol=None, max_epochs=1000).fit(X, y)
    assert_same_model(model, exact, rtol=1e-10)


# (solver, extra parameters, epochs, rtol): the stochastic solvers need a
# decaying rate to settle on the optimum rather than around it
STOCHASTIC = [
    ("sgd", dict(schedule="invscaling"), 300, 1e-3),
    ("sgd", dict(schedule="optimal"), 300, 1e-3),
    ("minibatch", dict(schedule="invscaling"), 3000, 1e-3),
    ("minibatch", dict(schedule="optimal"), 3000, 1e-3),
    ("minibatch", dict(optimizer="nesterov", schedule="invscaling"), 3000, 1e-3),
    ("minibatch", dict(optimizer="adam", learning_rate=0.05, schedule="invscaling"), 3000, 2e-3),
    ("sgd", dict(optimizer="adagrad", learning_rate=0.1), 1000, 1e-3),
]


@pytest.mark.parametrize("solver, extra, epochs, rtol", STOCHASTIC)
def test_stochastic_solvers_reach_the_normal_equation_solution(regression_optimum, solver,
                                                               extra, epochs, rtol):
    X, y, exact = regression_optimum
    model = LinearRegression(solver=solver, alpha=ALPHA, tol=None, max_epochs=epochs,
                             random_state=0, **extra).fit(X, y)
    assert_same_model(model, exact, rtol=rtol)


# full-batch runs of every update rule: the deterministic ones converge to
# rounding; RMSProp at a constant rate hovers, so its rate decays
ADAPTIVE = [
    (dict(optimizer="momentum"), 1000, 1e-8),
    (dict(optimizer="nesterov"), 1000, 1e-8),
    (dict(optimizer="adam", learning_rate=0.1), 3000, 1e-8),
    (dict(optimizer="adamw", learning_rate=0.05, weight_decay=0.0), 3000, 1e-8),
    (dict(optimizer="adagrad", learning_rate=0.5), 3000, 1e-8),
    (dict(optimizer="rmsprop", learning_rate=0.01, schedule="invscaling"), 3000, 1e-3),
]


@pytest.mark.parametrize("extra, epochs, rtol", ADAPTIVE)
def test_every_update_rule_reaches_the_normal_equation_solution(regression_optimum, extra,
                                                                epochs, rtol):
    X, y, exact = regression_optimum
    model = LinearRegression(solver="gd", alpha=ALPHA, tol=None, max_epochs=epochs,
                             **extra).fit(X, y)
    assert_same_model(model, exact, rtol=rtol)


@pytest.mark.parametrize("Est", [LogisticRegression, SoftmaxRegression])
@pytest.mark.parametrize("solver, extra, epochs, rtol", [
    ("sgd", dict(schedule="invscaling"), 300, 2e-3),
    ("sgd", dict(schedule="optimal"), 300, 1e-3),
    ("minibatch", dict(schedule="optimal"), 3000, 3e-3),
    ("gd", dict(), 3000, 1e-8),
    ("gd", dict(optimizer="adam", learning_rate=0.1, schedule="exponential", gamma=0.999),
     5000, 1e-8),
])
def test_classifier_solvers_reach_the_same_optimum(classification_optima, Est, solver, extra,
                                                   epochs, rtol):
    X, y, optimum = classification_optima[Est]
    model = Est(solver=solver, alpha=ALPHA, tol=None, max_epochs=epochs, random_state=0,
                **extra).fit(X, y)
    assert_same_model(model, optimum, rtol=rtol)


def test_binary_softmax_is_logistic_with_half_the_penalty():
    """Two softmax rows W_0, W_1 with the penalty on both settle at
    W_1 = -W_0 = w / 2, so SoftmaxRegression(alpha=2a) is the binary logistic
    model with alpha=a: the same log-odds and probabilities."""
    X, y = make_data("binary")
    logistic = LogisticRegression(alpha=0.01, optimizer="nesterov", tol=None,
                                  max_epochs=2000).fit(X, y)
    softmax = SoftmaxRegression(alpha=0.02, optimizer="nesterov", tol=None,
                                max_epochs=2000).fit(X, y)
    assert softmax.coef_.shape == (2, X.shape[1])
    assert_allclose(softmax.coef_[1] - softmax.coef_[0], logistic.coef_[0], rtol=1e-8)
    assert_allclose(softmax.decision_function(X), logistic.decision_function(X),
                    rtol=1e-8, atol=1e-10)
    assert_allclose(softmax.predict_proba(X), logistic.predict_proba(X), rtol=1e-8, atol=1e-12)
    assert_array_equal(softmax.predict(X), logistic.predict(X))


# == 2. fastgd against scikit-learn on its bundled real data ================
def test_linear_regression_normal_equals_sklearn_ridge_on_diabetes(sklearn):
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    X, y = standardized(load_diabetes)
    n, alpha = X.shape[0], 0.01
    ridge = Ridge(alpha=n * alpha).fit(X, y)
    model = LinearRegression(solver="normal", alpha=alpha).fit(X, y)
    assert_allclose(model.coef_, ridge.coef_, rtol=1e-10)
    assert_allclose(model.intercept_, ridge.intercept_, rtol=1e-10)


def test_linear_regression_gd_equals_sklearn_ridge_on_diabetes(sklearn):
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    X, y = standardized(load_diabetes)
    n, alpha = X.shape[0], 0.01
    ridge = Ridge(alpha=n * alpha).fit(X, y)
    model = LinearRegression(solver="gd", alpha=alpha, tol=None, max_epochs=5000).fit(X, y)
    assert_allclose(model.coef_, ridge.coef_, rtol=1e-6, atol=1e-6 * np.abs(ridge.coef_).max())
    assert_allclose(model.intercept_, ridge.intercept_, rtol=1e-8)


def sklearn_logistic(X, y, alpha):
    """scikit-learn's LogisticRegression with fastgd's objective; its Newton
    solver reaches the optimum to rounding, which lbfgs does not."""
    from sklearn.linear_model import LogisticRegression as SkLogistic
    return SkLogistic(C=1.0 / (X.shape[0] * alpha), tol=1e-12, max_iter=1000,
                      solver="newton-cholesky").fit(X, y)


@pytest.mark.parametrize("dataset, Est, epochs", [
    ("breast_cancer", LogisticRegression, 6000),   # binary
    ("iris", LogisticRegression, 3000),            # multinomial
    ("wine", LogisticRegression, 6000),            # multinomial
    ("iris", SoftmaxRegression, 3000),
])
def test_logistic_equals_sklearn(sklearn, dataset, Est, epochs):
    from sklearn import datasets
    X, y = standardized(getattr(datasets, f"load_{dataset}"))
    alpha = 0.01
    reference = sklearn_logistic(X, y, alpha)
    model = Est(alpha=alpha, optimizer="nesterov", tol=None, max_epochs=epochs).fit(X, y)
    assert model.coef_.shape == reference.coef_.shape
    assert_allclose(model.coef_, reference.coef_, rtol=1e-6,
                    atol=1e-6 * np.abs(reference.coef_).max())
    assert_allclose(params(model)[1], params(reference)[1], atol=1e-6)
    assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-7)
    assert_array_equal(model.predict(X), reference.predict(X))


def test_binary_softmax_matches_sklearn_probabilities(sklearn):
    """scikit-learn's two-class model is the binary logistic one; the 2-row
    softmax parametrization is not comparable coefficient by coefficient,
    but with twice the penalty it predicts the same probabilities."""
    from sklearn.datasets import load_breast_cancer
    X, y = standardized(load_breast_cancer)
    alpha = 0.01
    reference = sklearn_logistic(X, y, alpha)
    model = SoftmaxRegression(alpha=2 * alpha, optimizer="nesterov", tol=None,
                              max_epochs=6000).fit(X, y)
    assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-7)
    assert_allclose(model.decision_function(X), reference.decision_function(X),
                    rtol=1e-6, atol=1e-6)


# -- sample_weight: an integer weight counts like repeated samples --------
@pytest.fixture(scope="module")
def integer_weights():
    rng = np.random.default_rng(7)
    w = rng.integers(0, 4, size=300)
    w[:3] = (0, 1, 3)
    return w


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_integer_sample_weight_equals_repetition_gd(Est, integer_weights):
    X, y = data_for(Est)
    kwargs = dict(solver="gd", alpha=0.01, tol=None, max_epochs=200)
    weighted = Est(**kwargs).fit(X, y, sample_weight=integer_weights)
    repeated = Est(**kwargs).fit(np.repeat(X, integer_weights, axis=0),
                                 np.repeat(y, integer_weights))
    # the same full-batch objective, so the same iterates up to rounding
    # (the automatic rate is computed from different rows: pin it)
    kwargs["learning_rate"] = weighted.learning_rate_
    weighted = Est(**kwargs).fit(X, y, sample_weight=integer_weights)
    repeated = Est(**kwargs).fit(np.repeat(X, integer_weights, axis=0),
                                 np.repeat(y, integer_weights))
    assert_same_model(weighted, repeated, rtol=1e-10)


@pytest.mark.parametrize("alpha", [0.0, 0.01])
@pytest.mark.parametrize("sparse", [False, True])
def test_integer_sample_weight_equals_repetition_normal(integer_weights, alpha, sparse):
    X, y = make_data("regression")
    convert = sp.csr_matrix if sparse else np.asarray
    weighted = LinearRegression(solver="normal", alpha=alpha).fit(
        convert(X), y, sample_weight=integer_weights)
    repeated = LinearRegression(solver="normal", alpha=alpha).fit(
        convert(np.repeat(X, integer_weights, axis=0)), np.repeat(y, integer_weights))
    assert_same_model(weighted, repeated, rtol=1e-10)


@pytest.mark.parametrize("sparse", [False, True])
def test_normal_equation_rank_deficient_weighted_equals_repeated(sparse):
    """More features than weighted samples: the least-squares problem has a
    family of solutions and the minimum-norm one must not depend on rounding
    noise (zero-weight rows, repeated rows)."""
    rng = np.random.default_rng(42)
    X = rng.random((15, 30))
    y = rng.integers(0, 3, 15).astype(float)
    w = rng.integers(0, 5, 15)
    convert = sp.csr_matrix if sparse else np.asarray
    weighted = LinearRegression(solver="normal").fit(convert(X), y, sample_weight=w)
    repeated = LinearRegression(solver="normal").fit(convert(np.repeat(X, w, axis=0)),
                                                     np.repeat(y, w))
    assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-9, atol=1e-9)
    # it is the minimum-norm solution of the centered weighted problem
    s = w / w.sum()
    A = np.sqrt(s)[:, None] * (X - s @ X)
    expected = np.linalg.lstsq(A, np.sqrt(s) * (y - s @ y), rcond=None)[0]
    assert_allclose(weighted.coef_, expected, rtol=1e-9, atol=1e-12)


def test_sample_weight_scale_does_not_matter():
    X, y = make_data("binary")
    w = np.random.default_rng(3).uniform(0.5, 2.0, X.shape[0])
    kwargs = dict(solver="gd", alpha=0.01, tol=None, max_epochs=100, learning_rate=0.5)
    a = LogisticRegression(**kwargs).fit(X, y, sample_weight=w)
    b = LogisticRegression(**kwargs).fit(X, y, sample_weight=10.0 * w)
    assert_same_model(a, b, rtol=1e-10)


# -- float32 ---------------------------------------------------------------
@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("solver", GRADIENT_SOLVERS)
def test_float32_input_trains_in_float32(Est, solver):
    X, y = data_for(Est, n=200)
    kwargs = dict(solver=solver, alpha=0.01, tol=None, max_epochs=100, random_state=0)
    if solver != "gd":
        kwargs["schedule"] = "invscaling"
    m32 = Est(**kwargs).fit(X.astype(np.float32), y)
    m64 = Est(**kwargs).fit(X, y)
    assert m32.coef_.dtype == np.float32
    assert np.asarray(m32.intercept_).dtype == np.float32
    assert m64.coef_.dtype == np.float64
    assert_same_model(m32, m64, rtol=1e-4)


def test_float32_normal_equation():
    X, y = make_data("regression")
    m32 = LinearRegression(solver="normal", alpha=0.01).fit(X.astype(np.float32), y)
    m64 = LinearRegression(solver="normal", alpha=0.01).fit(X, y)
    assert m32.coef_.dtype == np.float32
    assert_same_model(m32, m64, rtol=1e-6)


def test_integer_input_trains_in_float64():
    X, y = make_data("regression")
    Xi = np.round(4 * X).astype(np.int32)
    model = LinearRegression(solver="gd", tol=None, max_epochs=50).fit(Xi, y)
    assert model.coef_.dtype == np.float64
    expected = LinearRegression(solver="gd", tol=None, max_epochs=50).fit(Xi.astype(float), y)
    assert_same_model(model, expected, rtol=1e-12)


# -- sparse CSR gives the dense model --------------------------------------
@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("solver", GRADIENT_SOLVERS)
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_gives_the_dense_model(Est, solver, fmt):
    X, y = data_for(Est, n=120)
    X[np.random.default_rng(1).random(X.shape) < 0.6] = 0.0
    kwargs = dict(solver=solver, alpha=0.01, tol=None, max_epochs=30, random_state=5,
                  batch_size=16)
    dense = Est(**kwargs).fit(X, y)
    # pin the automatic rate: it is estimated from the rows in either layout
    # and may differ in the last bit
    kwargs["learning_rate"] = dense.learning_rate_
    dense = Est(**kwargs).fit(X, y)
    sparse = Est(**kwargs).fit(sp.csr_matrix(X).asformat(fmt), y)
    assert_same_model(sparse, dense, rtol=1e-10)
    assert_allclose(sparse.predict(sp.csr_matrix(X)), dense.predict(X), rtol=1e-10)


def test_sparse_normal_equation_equals_dense():
    X, y = make_data("regression")
    X[np.random.default_rng(2).random(X.shape) < 0.5] = 0.0
    for alpha in (0.0, 0.1):
        dense = LinearRegression(solver="normal", alpha=alpha).fit(X, y)
        sparse = LinearRegression(solver="normal", alpha=alpha).fit(sp.csr_matrix(X), y)
        assert_same_model(sparse, dense, rtol=1e-10)


# == 5. the contract: bad input, errors, warnings, state ===================
def fitted(Est, **kwargs):
    X, y = data_for(Est, n=60)
    return quiet(Est(max_epochs=20, **kwargs), X, y)


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("where", ["X", "y", "sample_weight"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_is_refused(Est, where, bad):
    X, y = data_for(Est, n=30)
    X, y, w = X.copy(), y.astype(np.float64), np.ones(30)
    {"X": X[3], "y": y[3:4], "sample_weight": w[3:4]}[where][0] = bad
    with pytest.raises(ValueError, match=rf"\b{where}\b.*finite"):
        Est().fit(X, y, sample_weight=w)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_non_finite_sparse_input_is_refused(Est):
    X, y = data_for(Est, n=30)
    X = sp.csr_matrix(X)
    X.data[5] = np.nan
    with pytest.raises(ValueError, match=r"\bX\b.*finite"):
        Est().fit(X, y)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_mismatched_lengths_are_refused(Est):
    X, y = data_for(Est, n=30)
    with pytest.raises(ValueError, match=r"^y has 29 samples but X has 30"):
        Est().fit(X, y[:-1])
    with pytest.raises(ValueError, match="sample_weight"):
        Est().fit(X, y, sample_weight=np.ones(29))
    with pytest.raises(ValueError, match="sample_weight"):
        Est().fit(X, y, sample_weight=np.ones((30, 1)))


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("shape", [(0, 3), (5, 0)])
def test_empty_input_is_refused(Est, shape):
    with pytest.raises(ValueError, match=r"required in X$"):
        Est().fit(np.empty(shape), np.zeros(shape[0]))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_wrong_dimensions_are_refused(Est):
    X, y = data_for(Est, n=30)
    with pytest.raises(ValueError, match="2D"):
        Est().fit(X[:, 0], y)
    with pytest.raises(ValueError, match=r"^y should be a 1d array"):
        Est().fit(X, np.column_stack([y, y]))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_non_numeric_input_is_refused(Est):
    X, y = data_for(Est, n=4)
    with pytest.raises(TypeError, match="X"):
        Est().fit(np.array([["a", "b"], ["c", "d"], ["e", "f"], ["g", "h"]]), y)
    with pytest.raises(TypeError, match=r"^X must hold numbers"):
        Est().fit(np.array([[1.0, {"a": 1}]] * 4, dtype=object), y)
    with pytest.raises(ValueError, match=r"^X must hold numbers"):
        Est().fit(np.array([[1.0, "one"]] * 4, dtype=object), y)
    # object arrays of numbers are numbers
    assert quiet(Est(max_epochs=2), X.astype(object), y).coef_.dtype == np.float64
    with pytest.raises(ValueError, match="[Cc]omplex"):
        Est().fit(X + 1j, y)
    with pytest.raises(TypeError, match="sample_weight"):
        Est().fit(X, y, sample_weight=np.array(["a"] * 4))


def test_regression_target_must_be_numeric():
    X, _ = make_data("regression", n=4)
    with pytest.raises(ValueError, match=r"^y must hold numbers"):
        LinearRegression().fit(X, np.array(["a", "b", "c", "d"]))


@pytest.mark.parametrize("Est", [LogisticRegression, SoftmaxRegression])
def test_classifier_needs_two_classes_and_labels(Est):
    X, _ = make_data("binary", n=10)
    with pytest.raises(ValueError, match="class"):
        Est().fit(X, np.ones(10))
    with pytest.raises(ValueError, match="continuous"):
        Est().fit(X, np.linspace(0, 1, 10))


@pytest.mark.parametrize("Est", [LogisticRegression, SoftmaxRegression])
def test_string_labels_round_trip(Est):
    X, y = make_data("multiclass" if Est is SoftmaxRegression else "binary", n=90)
    names = np.array(["ant", "bee", "cat"])[y]
    model = quiet(Est(max_epochs=50), X, names)
    assert set(model.predict(X)) <= set(names)
    assert_array_equal(model.classes_, np.unique(names))
    codes = quiet(Est(max_epochs=50), X, y)
    assert_array_equal(model.predict(X), model.classes_[np.searchsorted(codes.classes_,
                                                                          codes.predict(X))])


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("name, value, exc", [
    ("learning_rate", 0.0, ValueError),
    ("learning_rate", -0.1, ValueError),
    ("learning_rate", np.nan, ValueError),
    ("learning_rate", "fast", TypeError),
    ("batch_size", 0, ValueError),
    ("batch_size", 2.5, TypeError),
    ("alpha", -1e-3, ValueError),
    ("max_epochs", 0, ValueError),
    ("tol", -1.0, ValueError),
    ("n_iter_no_change", 0, ValueError),
    ("validation_fraction", 1.0, ValueError),
    ("n_jobs", 0, ValueError),
    ("solver", "newton", ValueError),
    ("optimizer", "lbfgs", ValueError),
    ("schedule", "cosine", ValueError),
    ("momentum", -0.5, ValueError),
    ("betas", (0.9, 1.5), ValueError),
    ("random_state", "seed", TypeError),
])
def test_bad_hyperparameters_are_refused_by_name(Est, name, value, exc):
    X, y = data_for(Est, n=20)
    optimizer = {"momentum": "momentum", "betas": "adam"}.get(name, "sgd")
    kwargs = {"optimizer": optimizer, name: value}
    with pytest.raises(exc, match=rf"^{name}\b"):
        Est(**kwargs).fit(X, y)


@pytest.mark.parametrize("Est", [LogisticRegression, SoftmaxRegression])
def test_normal_solver_is_regression_only(Est):
    X, y = data_for(Est, n=20)
    with pytest.raises(ValueError, match="solver"):
        Est(solver="normal").fit(X, y)


def test_optimal_schedule_needs_a_penalty():
    X, y = make_data("regression", n=20)
    with pytest.raises(ValueError, match="alpha"):
        LinearRegression(solver="sgd", schedule="optimal", alpha=0.0).fit(X, y)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_predict_before_fit_raises_not_fitted(Est):
    X, _ = data_for(Est, n=5)
    methods = ["predict"] + (["predict_proba", "decision_function"]
                             if Est is not LinearRegression else [])
    for method in methods:
        with pytest.raises(NotFittedError, match="fit"):
            getattr(Est(), method)(X)
    assert issubclass(NotFittedError, ValueError)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_predict_with_wrong_number_of_features(Est):
    model = fitted(Est)
    X, _ = data_for(Est, n=5)
    methods = ["predict"] + (["predict_proba", "decision_function"]
                             if Est is not LinearRegression else [])
    for method in methods:
        with pytest.raises(ValueError, match="features"):
            getattr(model, method)(X[:, :-1])
    with pytest.raises(ValueError, match="features"):
        model.set_params(warm_start=True).fit(X[:, :-1], data_for(Est, n=5)[1])


@pytest.mark.parametrize("Est, solver", [(Est, solver) for Est in ESTIMATORS
                                          for solver in GRADIENT_SOLVERS]
                         + [(LinearRegression, "normal")])
@pytest.mark.parametrize("layout", ["float64", "float32", "fortran", "csr", "readonly"])
def test_inputs_are_never_modified(Est, solver, layout):
    X, y = data_for(Est, n=50)
    X = {"float64": X, "float32": X.astype(np.float32), "fortran": np.asfortranarray(X),
         "csr": sp.csr_matrix(X), "readonly": X.copy()}[layout]
    w = np.random.default_rng(0).uniform(0.5, 2.0, 50)
    if layout == "readonly":
        for arr in (X, y, w):
            arr.flags.writeable = False
    copies = [a.copy() for a in (X, y, w)]
    model = quiet(Est(solver=solver, max_epochs=5, random_state=0), X, y, sample_weight=w)
    model.predict(X)
    if Est is not LinearRegression:
        model.predict_proba(X)
    for before, after in zip(copies, (X, y, w)):
        if sp.issparse(after):
            assert_array_equal(before.toarray(), after.toarray())
            assert after.dtype == before.dtype
        else:
            assert_array_equal(before, after)
            assert after.dtype == before.dtype


# -- divergence -----------------------------------------------------------
def wide_scale_regression():
    """Features of very different scales (as raw data often has)."""
    X, y = make_data("regression", n=100, d=3)
    return X * np.array([1.0, 100.0, 1000.0]), y


@pytest.mark.parametrize("solver", GRADIENT_SOLVERS)
def test_divergence_raises_a_helpful_error_and_leaves_no_nan(solver):
    X, y = wide_scale_regression()
    model = LinearRegression(solver=solver, learning_rate=0.1, max_epochs=100, random_state=0)
    with pytest.raises(DivergenceError) as info:
        model.fit(X, y)
    message = str(info.value)
    assert "learning_rate" in message and "standardize" in message
    assert isinstance(info.value, ValueError)
    # the failed fit leaves the estimator as it was: unfitted
    assert not hasattr(model, "coef_") and not hasattr(model, "_coef")


def test_divergence_of_a_warm_start_leaves_the_model_from_before_it():
    X, y = wide_scale_regression()
    # a few epochs at the auto rate (stable), short of the optimum
    model = quiet(LinearRegression(solver="gd", warm_start=True, max_epochs=3, tol=None), X, y)
    # a warm start reads the changed learning_rate (and diverges with it)
    before = copy.deepcopy(model)
    model.set_params(learning_rate=0.1, max_epochs=100, tol=1e-4)
    with pytest.raises(DivergenceError, match="learning_rate=0.1"):
        model.fit(X, y)
    assert_array_equal(model.coef_, before.coef_)
    assert model.intercept_ == before.intercept_
    assert model.n_iter_ == before.n_iter_ == 3
    assert model.loss_history_ == before.loss_history_
    assert_array_equal(model.predict(X), before.predict(X))


def test_bounded_oscillation_is_divergence_too():
    """The logistic loss grows only linearly: a full-batch rate far too
    large for raw features makes the iterates bounce at a high, bounded loss.
    That must not end as a 'converged' model."""
    X, y = make_data("binary", n=100, d=2)
    X = 50.0 + 20.0 * X                     # raw, exam-score-like features
    model = LogisticRegression(solver="gd", learning_rate=1.0)
    with pytest.raises(DivergenceError, match="standardize"):
        model.fit(X, y)
    # the automatic rate is safe on the same data
    quiet(LogisticRegression(solver="gd", max_epochs=50), X, y)


def test_auto_learning_rate_does_not_diverge_on_raw_features():
    X, y = wide_scale_regression()
    for solver in GRADIENT_SOLVERS:
        model = quiet(LinearRegression(solver=solver, max_epochs=30, random_state=0), X, y)
        assert np.isfinite(model.coef_).all()
        assert model.loss_history_[-1] < model.loss_history_[0] * 1.5


# -- convergence reporting ------------------------------------------------
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_convergence_warning_when_max_epochs_ends_the_fit(Est):
    X, y = data_for(Est, n=60)
    model = Est(max_epochs=3, tol=1e-12)
    with pytest.warns(ConvergenceWarning, match="max_epochs"):
        model.fit(X, y)
    assert not model.converged_ and model.n_iter_ == 3 and len(model.loss_history_) == 3


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_tol_none_runs_every_epoch_without_warning(Est):
    X, y = data_for(Est, n=60)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = Est(max_epochs=7, tol=None).fit(X, y)
    assert model.n_iter_ == 7


_LOSS_OF = {LinearRegression: "squared", LogisticRegression: "logistic",
            SoftmaxRegression: "softmax"}


def objective_and_gradient(Est, X, y, coef, intercept, alpha=0.0):
    """The objective and its gradient (coef's entries, then the
    intercepts'), by the kernel API, at any parameters."""
    if Est is not LinearRegression:
        y = np.searchsorted(np.unique(y), y)
    coef = np.array(np.atleast_2d(coef), dtype=np.float64, order="C")
    intercept = np.array(np.atleast_1d(intercept), dtype=np.float64)
    g_coef, g_intercept = np.empty_like(coef), np.empty_like(intercept)
    objective = kernels.loss_gradient(X, y.astype(np.float64), coef, intercept, g_coef,
                                      g_intercept, loss=_LOSS_OF[Est], alpha=alpha)
    return objective, np.concatenate([g_coef.ravel(), g_intercept])


def largest_gradient(Est, X, y, coef, intercept):
    """The largest entry of the objective's gradient, by the kernel API, each
    coefficient's entry in units of its feature's root mean square (as the
    stopping rule reads it)."""
    gradient = objective_and_gradient(Est, X, y, coef, intercept)[1]
    K = np.atleast_2d(coef).shape[0]
    rms = np.sqrt(np.mean(np.asarray(X, dtype=np.float64) ** 2, axis=0))
    units = np.concatenate([np.tile(rms, K), np.ones(K)])
    return np.abs(gradient / units).max()


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_full_batch_stops_when_the_gradient_has_shrunk_by_tol(Est):
    X, y = data_for(Est, n=100)
    tol = 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = Est(tol=tol, max_epochs=100000).fit(X, y)
    assert model.converged_ and model.n_iter_ < 100000
    K = model.coef_.shape[0] if model.coef_.ndim == 2 else 1
    d = X.shape[1]
    at_start = largest_gradient(Est, X, y, np.zeros((K, d)), np.zeros(K))
    assert largest_gradient(Est, X, y, model.coef_, model.intercept_) <= tol * at_start
    # the same path one epoch shorter had not got there
    shorter = Est(tol=None, max_epochs=model.n_iter_ - 1).fit(X, y)
    assert largest_gradient(Est, X, y, shorter.coef_, shorter.intercept_) > tol * at_start


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_stochastic_solvers_stop_when_the_objective_stalls(Est):
    X, y = data_for(Est, n=100)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = Est(solver="sgd", tol=1e-6, n_iter_no_change=3, max_epochs=100000,
                    random_state=0).fit(X, y)
    assert model.converged_ and model.n_iter_ < 100000
    # it stopped at a stall: none of the last n_iter_no_change epochs improved
    # by tol on the best before it, and the epochs since the last improvement
    # are whole stalls (the fit goes on after a stall without progress, up to
    # a few in a row)
    h = model.loss_history_
    improved = [i for i in range(1, len(h)) if h[i] < min(h[:i]) - 1e-6]
    since = len(h) - 1 - improved[-1]
    assert since >= 3 and since % 3 == 0


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_gd_objective_decreases_at_the_auto_rate(Est):
    # plain steps of 1 / L never raise the objective
    X, y = data_for(Est, n=100)
    model = Est(solver="gd", optimizer="sgd", tol=None, max_epochs=50).fit(X, y)
    history = np.array(model.loss_history_)
    assert (np.diff(history) <= 1e-12 * np.abs(history[:-1])).all()


def correlated_features(n, d, rng):
    """Five groups of features sharing a factor (correlation 0.5): with d
    features, curvatures from 0.5 to about 0.5 + d / 10 across directions."""
    X = np.sqrt(0.5) * (rng.standard_normal((n, d))
                        + rng.standard_normal((n, 5))[:, np.arange(d) % 5])
    return (X - X.mean(axis=0)) / X.std(axis=0)


def correlated_problem(Est, rng, n=400, d=20):
    X = correlated_features(n, d, rng)
    w = rng.standard_normal(d) / np.sqrt(d)
    z = X @ w
    y = {LinearRegression: z + 0.3 * rng.standard_normal(n),
         LogisticRegression: (rng.random(n) < 1 / (1 + np.exp(-3 * z))).astype(float),
         SoftmaxRegression: np.digitize(z + 0.3 * rng.standard_normal(n), [-0.5, 0.5])}[Est]
    return X, y


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_default_gd_is_faster_than_plain_steps(Est, rng):
    """optimizer='auto' in full-batch descent takes Barzilai-Borwein steps:
    within a budget of epochs it ends far closer to the optimum than plain
    steps of 1 / L, and the optimum is the same."""
    X, y = correlated_problem(Est, rng)
    kw = dict(solver="gd", alpha=1e-3, tol=None)
    optimum = Est(optimizer="sgd", max_epochs=20000, **kw).fit(X, y).loss_history_[-1]
    default = Est(max_epochs=40, **kw).fit(X, y)
    plain = Est(optimizer="sgd", max_epochs=40, **kw).fit(X, y)
    assert default.learning_rate_ == pytest.approx(plain.learning_rate_, rel=1e-12)
    gap_default = default.loss_history_[-1] - optimum
    gap_plain = plain.loss_history_[-1] - optimum
    assert gap_default < 0.01 * gap_plain
    converged = Est(max_epochs=2000, **kw).fit(X, y)
    assert converged.loss_history_[-1] == pytest.approx(optimum, rel=1e-6)


def flat_parameters(model):
    return np.concatenate([np.ravel(model.coef_), np.ravel(model.intercept_)]).astype(np.float64)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_default_gd_steps_at_the_barzilai_borwein_rates(Est, rng):
    """The first step is 1 / L; each later one, from the last step s and the
    change y of the gradient, takes the long rate s.s / s.y, or when the
    short rate s.y / y.y is below 0.8 times it, the smallest short rate of
    the last three steps (while the objective stays below the highest of
    the last ten)."""
    X, y = correlated_problem(Est, rng, n=300)
    kw = dict(solver="gd", alpha=1e-3, tol=None)
    fits = [Est(max_epochs=k, **kw).fit(X, y) for k in (1, 2, 3, 4)]
    history = fits[-1].loss_history_
    assert all(history[k] <= max([np.inf] + history[max(0, k - 10):k]) for k in range(4))
    K = np.atleast_2d(fits[0].coef_).shape[0]

    def gradient(coef, intercept):
        return objective_and_gradient(Est, X, y, coef, intercept, alpha=1e-3)[1]

    points = [np.zeros_like(flat_parameters(fits[0]))] + [flat_parameters(f) for f in fits]
    grads = ([gradient(np.zeros((K, X.shape[1])), np.zeros(K))]
             + [gradient(f.coef_, f.intercept_) for f in fits])
    # the first step: 1 / L
    assert_allclose(points[1], -fits[0].learning_rate_ * grads[0], rtol=1e-10, atol=1e-14)
    short_rates, took = [], set()
    for k in (1, 2, 3):
        s, g = points[k] - points[k - 1], grads[k] - grads[k - 1]
        long_rate, short_rate = (s @ s) / (s @ g), (s @ g) / (g @ g)
        short_rates = (short_rates + [short_rate])[-3:]
        short = short_rate < 0.8 * long_rate
        took.add(bool(short))
        rate = min(short_rates) if short else long_rate
        assert_allclose(points[k + 1], points[k] - rate * grads[k], rtol=1e-8, atol=1e-12)
    assert took == {True, False}        # both rates were taken


def test_auto_optimizer_elsewhere_is_torch_sgd(rng):
    """'auto' is 'sgd' for the stochastic solvers, partial_fit, and with a
    momentum setting of the user's."""
    X, y = make_data("regression", n=60)
    for kw in (dict(solver="sgd", random_state=0), dict(solver="minibatch", random_state=0),
               dict(solver="gd", momentum=0.0), dict(solver="gd", momentum=0.5)):
        auto = LinearRegression(max_epochs=5, tol=None, **kw).fit(X, y)
        sgd = LinearRegression(optimizer="sgd", max_epochs=5, tol=None, **kw).fit(X, y)
        assert_same_model(auto, sgd, rtol=0)
    auto, sgd = LinearRegression(), LinearRegression(optimizer="sgd")
    for _ in range(3):
        auto.partial_fit(X, y)
        sgd.partial_fit(X, y)
    assert_same_model(auto, sgd, rtol=0)


def test_one_sample_fit_gets_the_exact_curvature():
    # a single row orthogonal to the power iteration's start vector
    model = LinearRegression(solver="gd", max_epochs=50, tol=None).fit([[-1.0]], [1.0])
    assert model.learning_rate_ == pytest.approx(1.0 / 2.0)
    assert model.predict([[-1.0]]) == pytest.approx([1.0])


def test_auto_optimizer_is_plain_at_a_rate_of_the_users(rng):
    """With a rate or schedule given, 'auto' is the textbook's gradient descent."""
    X, y = make_data("regression", n=50)
    for kw in (dict(learning_rate=0.05), dict(schedule="invscaling"),
               dict(schedule=lambda t: 0.05)):
        auto = LinearRegression(solver="gd", max_epochs=7, tol=None, **kw).fit(X, y)
        plain = LinearRegression(solver="gd", optimizer="sgd", max_epochs=7, tol=None,
                                 **kw).fit(X, y)
        assert_same_model(auto, plain, rtol=0)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_early_stopping_records_validation_scores(Est):
    X, y = data_for(Est, n=400)
    model = Est(solver="sgd", early_stopping=True, validation_fraction=0.25,
                n_iter_no_change=3, random_state=0, max_epochs=200).fit(X, y)
    scores = model.validation_scores_
    assert len(scores) == model.n_iter_ == len(model.loss_history_)
    assert model.converged_
    assert all(s <= 1.0 for s in scores)
    # the score is the estimator's own on the held-out quarter: a good model
    assert max(scores) > (0.9 if Est is LinearRegression else 0.6)
    # without early stopping there are no validation scores
    assert quiet(Est(max_epochs=2), X, y).validation_scores_ is None


def test_early_stopping_accepts_object_labels():
    X, y = make_data("binary", n=200)
    model = LogisticRegression(early_stopping=True, random_state=0).fit(X, y.astype(object))
    assert len(model.validation_scores_) == model.n_iter_


def test_early_stopping_refuses_a_zero_weight_validation_split():
    X, y = make_data("regression", n=20)
    w = np.zeros(20)
    w[0] = 1.0
    with pytest.raises(ValueError, match="sample_weight"):
        LinearRegression(early_stopping=True, validation_fraction=0.5,
                         random_state=0).fit(X, y, sample_weight=w)


# -- partial_fit and warm_start ------------------------------------------
@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("solver, optimizer", [("gd", "sgd"), ("sgd", "adam"),
                                               ("minibatch", "nesterov")])
def test_partial_fit_continues_like_more_epochs_of_fit(Est, solver, optimizer):
    X, y = data_for(Est, n=80)
    kwargs = dict(solver=solver, optimizer=optimizer, random_state=3, batch_size=16,
                  alpha=0.01)
    steps_per_epoch = {"gd": 1, "sgd": 80, "minibatch": 5}[solver]
    model = Est(**kwargs)
    classes = {} if Est is LinearRegression else {"classes": np.unique(y)}
    for k in range(1, 4):
        model.partial_fit(X, y, **classes)
        assert model.t_ == k * steps_per_epoch
        assert len(model.loss_history_) == k
    # three epochs of one fit: the same shuffles, updates and optimizer state
    whole = Est(tol=None, max_epochs=3, **kwargs).fit(X, y)
    assert_same_model(model, whole, rtol=1e-12)
    assert model.t_ == whole.t_


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_warm_start_fit_continues_like_partial_fit(Est):
    X, y = data_for(Est, n=80)
    kwargs = dict(solver="gd", optimizer="adam", learning_rate=0.05)
    warm = Est(warm_start=True, tol=None, max_epochs=1, **kwargs)
    partial = Est(**kwargs)
    classes = {} if Est is LinearRegression else {"classes": np.unique(y)}
    for _ in range(4):
        warm.fit(X, y)
        partial.partial_fit(X, y, **classes)
    assert warm.t_ == partial.t_ == 4
    assert_same_model(warm, partial, rtol=1e-12)
    cold = Est(tol=None, max_epochs=1, **kwargs).fit(X, y)
    assert cold.t_ == 1


def test_partial_fit_needs_classes_first_and_a_gradient_solver():
    X, y = make_data("binary", n=20)
    with pytest.raises(ValueError, match="classes"):
        LogisticRegression().partial_fit(X, y)
    model = LogisticRegression().partial_fit(X[:10], y[:10], classes=[0, 1, 2])
    assert_array_equal(model.classes_, [0, 1, 2])
    assert model.coef_.shape == (3, X.shape[1])
    with pytest.raises(ValueError, match="classes"):
        model.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="label"):
        model.partial_fit(X, y + 5)
    with pytest.raises(ValueError, match="solver"):
        LinearRegression(solver="normal").partial_fit(X, y.astype(float))


# -- schedules --------------------------------------------------------------
def test_adaptive_schedule_lowers_the_learning_rate():
    X, y = make_data("regression", n=100, noise=1.0)
    model = LinearRegression(solver="sgd", schedule="adaptive", learning_rate=0.05,
                             random_state=0, max_epochs=500).fit(X, y)
    divisions = np.log(0.05 / model.learning_rate_) / np.log(5.0)
    assert model.learning_rate_ < 0.05
    assert divisions >= 1 and abs(divisions - round(divisions)) < 1e-9
    constant = quiet(LinearRegression(solver="sgd", schedule="constant", learning_rate=0.05,
                                      random_state=0, max_epochs=500), X, y)
    assert constant.learning_rate_ == 0.05


@pytest.mark.parametrize("solver, n_calls", [("gd", 4), ("sgd", 40), ("minibatch", 12)])
def test_callable_schedule_gets_the_update_count(solver, n_calls):
    X, y = make_data("regression", n=10)
    seen = []

    def schedule(t):
        seen.append(t)
        return 0.01

    model = LinearRegression(solver=solver, schedule=schedule, batch_size=4, tol=None,
                             max_epochs=4, random_state=0).fit(X, y)
    assert seen == list(range(1, n_calls + 1))
    assert model.t_ == n_calls
    # a callable returning a constant is the constant schedule
    constant = LinearRegression(solver=solver, learning_rate=0.01, batch_size=4, tol=None,
                                max_epochs=4, random_state=0).fit(X, y)
    assert_same_model(model, constant, rtol=1e-12)


def test_callable_schedule_rates_are_used():
    X, y = make_data("regression", n=10)
    # 1/t decays: after 3 steps the model has moved less than at 1/1 throughout
    slow = LinearRegression(solver="gd", schedule=lambda t: 0.1 / t, tol=None,
                            max_epochs=3).fit(X, y)
    fast = LinearRegression(solver="gd", learning_rate=0.1, tol=None, max_epochs=3).fit(X, y)
    assert slow.loss_history_[-1] > fast.loss_history_[-1]
    with pytest.raises(ValueError, match="schedule"):
        LinearRegression(solver="gd", schedule=lambda t: -1.0).fit(X, y)


# -- reproducibility -------------------------------------------------------
@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("solver", ["sgd", "minibatch"])
def test_same_random_state_same_model(Est, solver):
    X, y = data_for(Est, n=80)
    kwargs = dict(solver=solver, max_epochs=5, tol=None)
    a = Est(random_state=11, **kwargs).fit(X, y)
    b = Est(random_state=11, **kwargs).fit(X, y)
    c = Est(random_state=12, **kwargs).fit(X, y)
    assert_array_equal(a.coef_, b.coef_)
    assert_array_equal(a.intercept_, b.intercept_)
    assert not np.array_equal(a.coef_, c.coef_)
    # a Generator is accepted too
    d = Est(random_state=np.random.default_rng(11), **kwargs).fit(X, y)
    assert np.isfinite(d.coef_).all()


def test_no_shuffle_visits_rows_in_order_regardless_of_seed():
    X, y = make_data("regression", n=50)
    a = LinearRegression(solver="sgd", shuffle=False, random_state=1, tol=None,
                         max_epochs=3).fit(X, y)
    b = LinearRegression(solver="sgd", shuffle=False, random_state=2, tol=None,
                         max_epochs=3).fit(X, y)
    assert_array_equal(a.coef_, b.coef_)


# -- outputs ---------------------------------------------------------------
@pytest.mark.parametrize("Est", [LogisticRegression, SoftmaxRegression])
@pytest.mark.parametrize("kind", ["binary", "multiclass"])
def test_classifier_outputs_are_consistent(Est, kind):
    X, y = make_data(kind, n=120)
    model = quiet(Est(max_epochs=50), X, y)
    P = model.predict_proba(X)
    k = len(model.classes_)
    assert P.shape == (120, k)
    assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    assert_array_equal(model.classes_[P.argmax(axis=1)], model.predict(X))
    assert_allclose(model.predict_log_proba(X), np.log(P), rtol=1e-12)
    D = model.decision_function(X)
    if k == 2:
        # one score per sample, the log-odds of classes_[1]
        assert D.shape == (120,)
        assert_allclose(1.0 / (1.0 + np.exp(-D)), P[:, 1], rtol=1e-10)
    else:
        assert D.shape == (120, k)
    assert model.score(X, y) == np.mean(model.predict(X) == y)


def test_linear_regression_outputs():
    X, y = make_data("regression", n=100)
    model = LinearRegression(solver="normal").fit(X, y)
    assert model.coef_.shape == (X.shape[1],)
    assert np.ndim(model.intercept_) == 0
    assert_allclose(model.predict(X), X @ model.coef_ + model.intercept_, rtol=1e-12)
    assert model.score(X, y) > 0.95
    assert model.n_iter_ == 0 and model.n_features_in_ == X.shape[1]


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_fit_intercept_false_keeps_the_intercept_at_zero(Est):
    X, y = data_for(Est, n=100)
    model = quiet(Est(fit_intercept=False, max_epochs=30), X, y)
    assert_array_equal(np.atleast_1d(model.intercept_), 0.0)
    if Est is LinearRegression:
        exact = LinearRegression(solver="normal", fit_intercept=False).fit(X, y)
        assert_allclose(exact.coef_, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-10)
        assert exact.intercept_ == 0.0


@pytest.mark.parametrize("copy", ["pickle", "deepcopy"])
def test_a_copied_model_keeps_training_its_public_coef(copy):
    import copy as copy_module
    import pickle
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 3)), rng.normal(size=50)
    model = fastgd.LinearRegression(solver="gd", max_epochs=2, tol=None).fit(X, y)
    clone = pickle.loads(pickle.dumps(model)) if copy == "pickle" else copy_module.deepcopy(model)
    before = clone.coef_.copy()
    clone.partial_fit(X, y)
    # coef_ must be the trained parameters, not a stale copy made by pickling
    assert not np.array_equal(clone.coef_, before)
    np.testing.assert_array_equal(clone.coef_, clone._coef[0])


def test_fit_after_partial_fit_learns_the_new_classes():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(60, 3)), rng.integers(0, 3, 60)
    model = fastgd.LogisticRegression().partial_fit(X, y, classes=[0, 1, 2])
    model.fit(X, y + 5)
    np.testing.assert_array_equal(model.classes_, [5, 6, 7])


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("alpha", [1e-2, 1e-3])
def test_default_fit_ends_at_the_optimum_of_an_independent_solver(Est, alpha):
    """The default full-batch fit stops on its gradient close to the exact
    L2-regularized optimum: the objective within 1e-6 (relative) and every
    coefficient within 1e-3 of the largest, against scikit-learn's solvers
    run to tol 1e-12."""
    sklearn_linear = pytest.importorskip("sklearn.linear_model")
    X, y = make_data({LinearRegression: "regression", LogisticRegression: "binary",
                      SoftmaxRegression: "multiclass"}[Est], n=2000)
    n = X.shape[0]
    model = Est(alpha=alpha).fit(X, y)
    if Est is LinearRegression:
        exact = sklearn_linear.Ridge(alpha=n * alpha, tol=1e-14).fit(X, y)
    else:
        exact = sklearn_linear.LogisticRegression(C=1.0 / (n * alpha), tol=1e-12,
                                                  max_iter=100000).fit(X, y)
    coef, intercept = params(model)
    want_coef, want_intercept = params(exact)
    coef, want_coef = np.atleast_2d(coef), np.atleast_2d(want_coef)
    if want_coef.shape[0] > 1:      # softmax: defined up to a shift common to the classes
        coef, want_coef = coef - coef.mean(axis=0), want_coef - want_coef.mean(axis=0)
    assert np.abs(coef - want_coef).max() <= 1e-3 * np.abs(want_coef).max()
    K = coef.shape[0]
    got = objective_of(Est, X, y, model.coef_, model.intercept_, alpha)
    best = objective_of(Est, X, y, exact.coef_.reshape(K, -1), exact.intercept_, alpha)
    assert got - best <= 1e-6 * abs(best)


def objective_of(Est, X, y, coef, intercept, alpha):
    return objective_and_gradient(Est, X, y, coef, intercept, alpha)[0]


# -- torch.optim's rule options: amsgrad, centered, initial_accumulator_value --
RULE_OPTIONS = [("adam", {"amsgrad": True}), ("adamw", {"amsgrad": True}),
                ("rmsprop", {"centered": True}),
                ("rmsprop", {"centered": True, "momentum": 0.5}),
                ("adagrad", {"initial_accumulator_value": 0.5})]
RULE_OPTION_IDS = [f"{o}-{'-'.join(h)}" for o, h in RULE_OPTIONS]


@pytest.mark.parametrize("optimizer, hyper", RULE_OPTIONS, ids=RULE_OPTION_IDS)
def test_rule_options_minibatch_epochs_equal_reference(optimizer, hyper):
    X, y = make_data("regression", n=40, d=3)
    model = LinearRegression(solver="minibatch", batch_size=8, shuffle=False,
                             optimizer=optimizer, learning_rate=0.05, alpha=0.01,
                             max_epochs=4, tol=None, weight_decay=0.05, **hyper).fit(X, y)
    rule = make_rule(optimizer, 0.05, weight_decay=0.05, **hyper)
    coef, intercept, s_coef, s_int, t = np.zeros((1, 3)), np.zeros(1), None, None, 0
    for epoch in range(4):
        objective, coef, intercept, s_coef, s_int, t = fastgd.reference.epoch(
            X, y, coef, intercept, rule, loss="squared", alpha=0.01, batch_size=8,
            state_coef=s_coef, state_intercept=s_int, t=t)
        assert_allclose(model.loss_history_[epoch], objective, rtol=1e-10)
    assert_allclose(model.coef_, coef[0], rtol=1e-10)
    assert_allclose(model.intercept_, intercept[0], rtol=1e-10)
    assert model.t_ == t
    assert [seg.state.shape[0] for seg in model._segments] == [rule.state_rows] * 2


@pytest.mark.parametrize("optimizer, hyper", RULE_OPTIONS, ids=RULE_OPTION_IDS)
def test_rule_options_full_batch_equals_a_torch_loop(optimizer, hyper):
    torch = pytest.importorskip("torch")
    X, y = make_data("regression", n=50, d=4)
    alpha, lr, epochs = 0.01, 0.05, 12
    model = LinearRegression(solver="gd", optimizer=optimizer, learning_rate=lr, alpha=alpha,
                             max_epochs=epochs, tol=None, **hyper).fit(X, y)
    Xt, yt = torch.tensor(X), torch.tensor(y)
    w = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
           "rmsprop": torch.optim.RMSprop, "adagrad": torch.optim.Adagrad}[optimizer]
    # weight decay (AdamW's default 0.01) applies to the weights, never the intercept
    opt = cls([{"params": [w]}, {"params": [b], "weight_decay": 0.0}], lr=lr, **hyper)
    for _ in range(epochs):
        opt.zero_grad()
        J = 0.5 * torch.mean((Xt @ w + b - yt) ** 2) + 0.5 * alpha * (w @ w)
        J.backward()
        opt.step()
    assert_allclose(model.coef_, w.detach().numpy(), rtol=1e-9, atol=1e-12)
    assert_allclose(model.intercept_, b.detach().numpy()[0], rtol=1e-9, atol=1e-12)


def test_rule_options_survive_pickling_and_warm_starts():
    import pickle
    X, y = make_data("regression", n=60, d=3)
    model = LinearRegression(solver="minibatch", optimizer="adam", amsgrad=True,
                             learning_rate=0.05, max_epochs=3, tol=None, random_state=0)
    model.fit(X, y)
    clone = pickle.loads(pickle.dumps(model))
    model.set_params(warm_start=True).fit(X, y)
    clone.set_params(warm_start=True).fit(X, y)
    assert_same_model(clone, model, rtol=0)
    # a warm start with another rule gets that rule's rows
    model.set_params(amsgrad=False, max_epochs=1)
    model.fit(X, y)
    assert model._segments[0].state.shape == (2, 3)
    model.set_params(amsgrad=True)
    model.fit(X, y)
    assert model._segments[0].state.shape == (3, 3)


def test_segment_keeps_the_state_rows_both_rules_share():
    from fastgd._fit import Segment
    seg = Segment(np.zeros(4), True)
    seg.state[...] = [[1.0] * 4, [2.0] * 4]
    seg.fit_state_rows(3)
    assert_array_equal(seg.state, [[1.0] * 4, [2.0] * 4, [0.0] * 4])
    seg.fit_state_rows(2)
    assert_array_equal(seg.state, [[1.0] * 4, [2.0] * 4])


def test_failed_fit_puts_back_the_state_rows():
    X, y = make_data("regression", n=40, d=3)
    model = LinearRegression(solver="minibatch", optimizer="adam", learning_rate=0.05,
                             max_epochs=2, tol=None, random_state=0).fit(X, y)
    before = model._segments[0].state.copy()

    def explode(record):
        raise RuntimeError("stop")
    model.set_params(warm_start=True, amsgrad=True, callback=explode)
    with pytest.raises(RuntimeError):
        model.fit(X, y)
    assert_array_equal(model._segments[0].state, before)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(optimizer="sgd", amsgrad=True), TypeError, "amsgrad"),
    (dict(optimizer="adam", centered=True), TypeError, "centered"),
    (dict(optimizer="rmsprop", initial_accumulator_value=0.1), TypeError,
     "initial_accumulator_value"),
    (dict(optimizer="adam", amsgrad="yes"), TypeError, "amsgrad"),
    (dict(optimizer="rmsprop", centered=1), TypeError, "centered"),
    (dict(optimizer="adagrad", initial_accumulator_value=-1.0), ValueError,
     "initial_accumulator_value"),
    (dict(solver="saga", amsgrad=True), ValueError, "amsgrad"),
])
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_rule_options_are_checked_before_any_epoch(Est, kwargs, error, match):
    X, y = data_for(Est, n=30)
    with pytest.raises(error, match=match):
        Est(**kwargs).fit(X, y)
