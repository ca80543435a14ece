"""The published results of the Coursera / Stanford Machine Learning exercises.

External evidence: the course's own scripts print these numbers for data no
one on this project produced (see ../shared/reference-data/coursera-ml/README.md).
Everything goes through the public API (fastgd.LinearRegression,
LogisticRegression and fastgd.kernels).  The data are read in place and
never copied into this tree; the tests skip, saying why, without them.

The course's conventions map onto fastgd's directly: θ₀ is ``intercept_``,
θ₁.. are ``coef_``, its cost 1/(2m) Σ(Xθ − y)² is fastgd's squared objective
and its logistic cost is the mean cross-entropy (alpha = λ/m = 0 here).
The published values are given to the digits the course prints, so each
comparison allows half a unit in the last printed digit.
"""
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

import fastgd
from fastgd import kernels

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "reference-data" / "coursera-ml"


def load(name):
    path = DATA / name
    if not path.is_file():
        pytest.skip(f"Coursera reference data not found at {path} "
                    "(../shared/reference-data/coursera-ml/ beside the project)")
    return np.loadtxt(path, delimiter=",")


def cost_and_gradient(X, y, theta, loss):
    """The course's J(θ) and ∂J/∂θ (θ₀ first), by fastgd's public kernel."""
    coef = np.asarray(theta[1:], dtype=np.float64).reshape(1, -1)
    intercept = np.array([theta[0]], dtype=np.float64)
    grad_coef, grad_intercept = np.empty_like(coef), np.empty(1)
    cost = kernels.loss_gradient(X, y, coef, intercept, grad_coef, grad_intercept, loss=loss)
    return cost, np.concatenate([grad_intercept, grad_coef[0]])


def to_raw_scale(model, mean, std):
    """θ on the raw features of a model trained on (x - mean) / std."""
    w = model.coef_.ravel() / std
    return np.concatenate([[model.intercept_.ravel()[0] - w @ mean], w])


# -- ex1: linear regression ---------------------------------------------
@pytest.fixture(scope="module")
def ex1():
    data = load("ex1data1.txt")
    assert data.shape == (97, 2)
    return data[:, :1], data[:, 1]


@pytest.mark.parametrize("theta, published", [([0.0, 0.0], 32.07), ([-1.0, 2.0], 54.24)])
def test_ex1_cost(ex1, theta, published):
    X, y = ex1
    cost, _ = cost_and_gradient(X, y, theta, "squared")
    assert abs(cost - published) <= 0.005


def test_ex1_gradient_descent_1500_iterations(ex1):
    """Batch gradient descent from zeros, rate 0.01, 1500 steps, raw features."""
    X, y = ex1
    model = fastgd.LinearRegression(solver="gd", learning_rate=0.01, max_epochs=1500,
                                    tol=None).fit(X, y)
    assert model.n_iter_ == model.t_ == 1500
    assert_allclose([model.intercept_, model.coef_[0]], [-3.6303, 1.1664], atol=5e-5)


def test_ex1_gradient_descent_cost_falls_every_step(ex1):
    X, y = ex1
    model = fastgd.LinearRegression(solver="gd", learning_rate=0.01, max_epochs=1500,
                                    tol=None).fit(X, y)
    history = np.array(model.loss_history_)
    assert (np.diff(history) < 0).all()
    cost, _ = cost_and_gradient(X, y, [model.intercept_, model.coef_[0]], "squared")
    assert_allclose(history[-1], cost, rtol=1e-12)


def test_ex1_normal_equation_multivariate():
    """ex1data2 (house size, bedrooms -> price).  The README publishes no
    value for it, so the normal equation is checked against numpy's least
    squares on the design matrix with a column of ones."""
    data = load("ex1data2.txt")
    assert data.shape == (47, 3)
    X, y = data[:, :2], data[:, 2]
    model = fastgd.LinearRegression(solver="normal").fit(X, y)
    theta = np.linalg.lstsq(np.column_stack([np.ones(len(y)), X]), y, rcond=None)[0]
    assert_allclose(np.concatenate([[model.intercept_], model.coef_]), theta, rtol=1e-10)
    # and gradient descent on standardized features (the course's feature
    # normalization) reaches the same model on the raw scale
    mean, std = X.mean(axis=0), X.std(axis=0)
    gd = fastgd.LinearRegression(solver="gd", learning_rate=1.0, tol=None,
                                 max_epochs=400).fit((X - mean) / std, y)
    assert_allclose(to_raw_scale(gd, mean, std), theta, rtol=1e-8)


# -- ex2: logistic regression ---------------------------------------------
@pytest.fixture(scope="module")
def ex2():
    data = load("ex2data1.txt")
    assert data.shape == (100, 3)
    return data[:, :2], data[:, 2]


@pytest.mark.parametrize("theta, cost_published, grad_published, digits", [
    ([0.0, 0.0, 0.0], 0.693, [-0.1000, -12.0092, -11.2628], 4),
    ([-24.0, 0.2, 0.2], 0.218, [0.043, 2.566, 2.647], 3),
])
def test_ex2_cost_and_gradient(ex2, theta, cost_published, grad_published, digits):
    X, y = ex2
    cost, grad = cost_and_gradient(X, y, theta, "logistic")
    assert abs(cost - cost_published) <= 5e-4
    assert_allclose(grad, grad_published, atol=0.5 * 10.0 ** -digits)


@pytest.fixture(scope="module")
def ex2_model(ex2):
    """The optimum by full-batch gradient descent on standardized features at
    rate 1, as the README suggests: the raw features (scores 30..100) make
    the cost so ill-conditioned that plain descent needs millions of steps.
    Standardizing is an affine change of variables, so the optimum maps back
    exactly to θ on the raw features."""
    X, y = ex2
    mean, std = X.mean(axis=0), X.std(axis=0)
    model = fastgd.LogisticRegression(solver="gd", learning_rate=1.0, tol=None,
                                      max_epochs=3000).fit((X - mean) / std, y)
    return model, mean, std


def test_ex2_optimum(ex2, ex2_model):
    X, y = ex2
    model, mean, std = ex2_model
    theta = to_raw_scale(model, mean, std)
    assert_allclose(theta, [-25.161, 0.206, 0.201], atol=5e-4)
    cost, grad = cost_and_gradient(X, y, theta, "logistic")
    assert abs(cost - 0.203) <= 5e-4
    # an optimum: the gradient on the raw scale vanishes too
    assert np.abs(grad).max() < 1e-8
    assert_allclose(model.loss_history_[-1], cost, rtol=1e-10)


def test_ex2_admission_probability_and_training_accuracy(ex2, ex2_model):
    X, y = ex2
    model, mean, std = ex2_model
    p = model.predict_proba((np.array([[45.0, 85.0]]) - mean) / std)[0, 1]
    assert abs(p - 0.776) <= 0.002
    accuracy = np.mean(model.predict((X - mean) / std) == y)
    assert accuracy == pytest.approx(0.89, abs=1e-12)
    assert model.score((X - mean) / std, y) == pytest.approx(0.89, abs=1e-12)


@pytest.mark.parametrize("learning_rate", [0.01, 1.0, 1e4])
def test_ex2_raw_features_at_a_large_rate_raise_divergence(ex2, learning_rate):
    """On raw scores a rate that suits standardized features makes the
    iterates jump between points far worse than the start; fastgd says so
    and says what to do instead of returning a useless model."""
    X, y = ex2
    model = fastgd.LogisticRegression(solver="gd", learning_rate=learning_rate)
    with pytest.raises(fastgd.DivergenceError) as info:
        model.fit(X, y)
    message = str(info.value)
    assert "learning_rate" in message and "standardize" in message


def test_ex2_raw_features_small_rate_descends(ex2):
    """The safe path on raw features: the automatic rate descends (slowly)."""
    X, y = ex2
    with pytest.warns(fastgd.ConvergenceWarning):
        model = fastgd.LogisticRegression(solver="gd", tol=1e-12, max_epochs=200).fit(X, y)
    assert np.isfinite(model.coef_).all()
    assert model.loss_history_[-1] < np.log(2.0)
