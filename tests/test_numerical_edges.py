"""Numerical edge cases with defined behaviour: no non-finite value leaves
the library silently, and a fit that did not reach the optimum never says
it did."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from fastgd import (ConvergenceWarning, LinearRegression, LogisticRegression,
                    SoftmaxRegression, kernels)
from fastgd.exceptions import DivergenceError
from fastgd.kernels import mlp as mlp_kernels


def _data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    z = X @ np.array([1.0, 2.0, 3.0])
    return X, z + 0.1 * rng.standard_normal(n), (z > 0).astype(int), np.digitize(z, [-1.0, 1.0])


def _fit_quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


# -- probabilities of huge finite inputs --------------------------------------
@pytest.mark.parametrize("dtype, big", [(np.float32, 3e38), (np.float64, 1e308)])
@pytest.mark.parametrize("Est, which", [(LogisticRegression, 2), (LogisticRegression, 3),
                                        (SoftmaxRegression, 3)])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_probabilities_of_huge_finite_inputs_are_finite(dtype, big, Est, which, sparse):
    X, _, y2, y3 = _data()
    model = _fit_quietly(Est(alpha=1e-2), X.astype(dtype), y2 if which == 2 else y3)
    # rows whose products overflow, with terms of both signs (inf - inf)
    X_big = np.full((4, 3), big, dtype=dtype)
    X_big[1] *= -1
    X_big[2, 0] *= -1
    X_big[3] = [big, -big, 0.0]
    X_big = sp.csr_matrix(X_big) if sparse else X_big
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # no overflow warning either
        P = model.predict_proba(X_big)
        Z = model.decision_function(X_big)
        labels = model.predict(X_big)
    assert np.isfinite(P).all() and np.allclose(P.sum(axis=1), 1.0)
    assert not np.isnan(Z).any()
    np.testing.assert_array_equal(labels, model.classes_[P.argmax(axis=1)])
    # the limit of the same rows scaled down: the probabilities' argmax
    small = (X_big / big) if not sparse else (X_big / big).toarray()
    np.testing.assert_array_equal(labels, model.predict(small * 1e3))


def test_ordinary_rows_keep_their_probabilities_beside_huge_ones():
    X, _, _, y3 = _data()
    model = _fit_quietly(SoftmaxRegression(), X, y3)
    mixed = np.vstack([X[:5], np.full((1, 3), 1e308)])
    np.testing.assert_array_equal(model.predict_proba(mixed)[:5], model.predict_proba(X[:5]))


# -- the kernels never hand back non-finite parameters or objectives ----------
def test_loss_gradient_refuses_an_objective_that_overflows_for_finite_inputs():
    X = np.full((2, 3), 1e308)
    coef, intercept = np.ones((1, 3)), np.zeros(1)
    with pytest.raises(ValueError, match="overflowed"):
        kernels.loss_gradient(X, np.ones(2), coef, intercept, np.zeros((1, 3)), np.zeros(1))


def test_an_update_that_overflows_leaves_the_linear_parameters_as_before_the_epoch():
    X = np.random.default_rng(0).standard_normal((1, 3)) * 1e3
    coef, intercept = np.full((1, 3), 0.5), np.full(1, 0.25)
    with pytest.raises(DivergenceError, match="parameters became non-finite"):
        kernels.epoch(X, np.ones(1), coef, intercept, learning_rate=1e307)
    np.testing.assert_array_equal(coef, 0.5)
    np.testing.assert_array_equal(intercept, 0.25)


def test_an_update_that_overflows_leaves_the_network_as_before_the_epoch():
    # per-sample ReLU steps at an absurd rate: the step that overflows theta
    # is taken inside backpropagation, before any loss could reveal it
    sizes = (3, 4, 1)
    rng = np.random.default_rng(8)        # data on which a step overflows theta
    X, Y = rng.standard_normal((5, 3)) * 1e3, rng.standard_normal((5, 1))
    theta = mlp_kernels.init_params(sizes, random_state=15)
    with pytest.raises(DivergenceError, match="non-finite"):
        for _ in range(5):
            mlp_kernels.epoch(X, Y, theta, sizes, activation="relu", learning_rate=1e10)
    assert np.isfinite(theta).all()


# -- a fit that did not converge never says it did ----------------------------
@pytest.mark.parametrize("scales", [[1e6, 1e-6, 1.0], [1e8, 1.0, 1.0], [1e-8, 1.0, 1.0]])
@pytest.mark.parametrize("solver", ["gd", "saga"])
def test_features_of_wildly_different_scales_are_not_called_converged(scales, solver):
    X, y, _, _ = _data()
    model = LinearRegression(solver=solver, max_epochs=200, random_state=0)
    with pytest.warns(ConvergenceWarning, match="standardize"):
        model.fit(X * np.array(scales), y)
    assert not model.converged_
    # the same data standardized converge (the rule reads the gradient in
    # the features' own units, so their scale alone does not decide)
    assert LinearRegression(solver=solver, random_state=0).fit(X, y).converged_


def test_float32_near_its_largest_value_is_not_called_converged():
    X, y, _, _ = _data()
    X = X.astype(np.float32)
    X[0, 0] = X[1, 1] = 3e38
    model = LinearRegression(max_epochs=100)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    assert not model.converged_ and np.isfinite(model.coef_).all()


def test_rescaling_a_feature_does_not_change_when_the_fit_stops():
    X, y, _, _ = _data()
    a = LinearRegression().fit(X, y)
    b = LinearRegression().fit(X * np.array([1.0, 4.0, 1.0]), y)
    assert a.converged_ and b.converged_
    np.testing.assert_allclose(b.coef_ * [1.0, 4.0, 1.0], a.coef_, rtol=1e-4)


@pytest.mark.parametrize("Est", [LogisticRegression, SoftmaxRegression])
@pytest.mark.parametrize("solver", ["gd", "sgd"])
def test_separable_classes_without_penalty_stop_with_a_warning_and_finite_weights(Est, solver):
    X, _, y, _ = _data()
    model = Est(alpha=0.0, solver=solver, max_epochs=300, random_state=0)
    with pytest.warns(ConvergenceWarning):
        model.fit(X, y)
    assert not model.converged_
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_).all()
    assert model.score(X, y) == 1.0


# -- degenerate designs ----------------------------------------------------------
def _least_squares_predictions(X, y, at):
    A = np.column_stack([X, np.ones(len(X))])
    w = np.linalg.lstsq(A, y, rcond=None)[0]        # the minimum-norm solution
    return np.column_stack([at, np.ones(len(at))]) @ w


@pytest.mark.parametrize("design", ["constant", "duplicated", "zero"])
def test_constant_duplicated_or_zero_features_fit_the_least_squares_predictions(design):
    X, y, _, _ = _data()
    extra = {"constant": np.full(len(X), 3.0), "duplicated": X[:, 0], "zero": np.zeros(len(X))}
    X = np.column_stack([X, extra[design]])
    model = LinearRegression().fit(X, y)
    assert model.converged_ and np.isfinite(model.coef_).all()
    np.testing.assert_allclose(model.predict(X), _least_squares_predictions(X, y, X),
                               rtol=1e-5, atol=1e-5)
    if design == "duplicated":
        # gradient descent from zero keeps the two copies' weights equal
        np.testing.assert_allclose(model.coef_[0], model.coef_[3], rtol=1e-10)


def test_one_sample_is_fit_exactly():
    X, y, _, _ = _data()
    model = LinearRegression().fit(X[:1], y[:1])
    np.testing.assert_allclose(model.predict(X[:1]), y[:1], rtol=1e-6)
    with pytest.raises(ValueError, match="2 classes"):
        LogisticRegression().fit(X[:1], [1])


def test_many_more_features_than_samples_fit_the_minimum_norm_solution():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 10_000))
    y = X[:, :5].sum(axis=1)
    model = LinearRegression(max_epochs=5000).fit(X, y)
    assert model.converged_
    np.testing.assert_allclose(model.predict(X), y, atol=1e-4)
    test = rng.standard_normal((5, 10_000))
    np.testing.assert_allclose(model.predict(test), _least_squares_predictions(X, y, test),
                               rtol=1e-3, atol=1e-3)


# -- determinism -------------------------------------------------------------------
@pytest.mark.parametrize("Est, which", [(LinearRegression, 1), (LogisticRegression, 2),
                                        (SoftmaxRegression, 3)])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_a_full_batch_model_is_bit_identical_whatever_n_jobs(Est, which, sparse):
    X, y, y2, y3 = _data(n=3001)
    X = sp.csr_matrix(X) if sparse else X
    target = {1: y, 2: y2, 3: y3}[which]
    models = [Est(n_jobs=n_jobs, alpha=1e-3).fit(X, target) for n_jobs in (1, 2, 3, 8)]
    for other in models[1:]:
        assert other.n_iter_ == models[0].n_iter_
        np.testing.assert_array_equal(other.coef_, models[0].coef_)
        np.testing.assert_array_equal(other.intercept_, models[0].intercept_)


@pytest.mark.parametrize("which", ["epoch", "saga_epoch", "mlp"])
def test_an_epoch_whose_penalty_overflows_raises(which):
    # one huge step leaves finite coefficients of about 1e300, whose L2
    # penalty is infinite: the epoch used to return objective=inf silently
    from fastgd import DivergenceError, kernels, mlp_kernels
    X = np.ones((4, 1))
    y = np.array([0.0, 1.0, 2.0, 1.0])
    if which == "mlp":
        theta = np.array([1.0, 0.0])
        call = lambda: mlp_kernels.epoch(X, y[:, None], theta, (1, 1), activation="identity",
                                         alpha=1.0, batch_size=4, lr_table=[1e300])
        params = theta
    else:
        coef, intercept = np.zeros((1, 1)), np.zeros(1)
        params = coef
        if which == "epoch":
            call = lambda: kernels.epoch(X, y, coef, intercept, alpha=1.0, batch_size=4,
                                         lr_table=[1e300])
        else:
            call = lambda: kernels.saga_epoch(X, y, coef, intercept, np.zeros((4, 1)),
                                              np.zeros((1, 1)), np.zeros(1),
                                              learning_rate=1e300, alpha=1e-301, order=[1])
    with pytest.raises(DivergenceError, match="objective became non-finite"):
        call()
    assert np.isfinite(params).all()


def test_a_barzilai_borwein_rate_that_underflows_is_not_taken():
    # beside a feature of -3e38 the Barzilai-Borwein quotient underflowed to
    # 0, and the step was refused with "lr must be > 0.0", an argument the
    # user never passed
    X = np.array([[-3e38, -2.1, -0.81], [1.93, -0.17, -0.92], [0.18, -1.58, -0.16],
                  [0.27, 1.28, 1.37], [-0.02, 0.017, 0.52]], dtype=np.float32)
    y = np.array([0, 1, 1, 0, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LogisticRegression(fit_intercept=False, max_epochs=5).fit(X, y)
    assert np.isfinite(model.coef_).all()


def test_an_alpha_whose_penalty_overflows_is_named():
    from fastgd import MLPRegressor
    # the penalty of the initial weights is infinite: the message blamed X or y
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]])
    with pytest.raises(ValueError, match=r"alpha=1e\+308 is too large"):
        MLPRegressor((3,), alpha=1e308, max_epochs=2, random_state=0).fit(X, [1.0, 2.0, 3.0])
