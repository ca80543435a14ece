"""The linear models' per-sample and mini-batch solvers at their defaults end
near the exact optimum, and say they converged only when the full gradient
agrees: the default schedule ('auto', adaptive for these solvers) divides
the rate when the objective stalls, and a stall is judged by the gradient."""
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp

from fastgd import LinearRegression, LogisticRegression, SoftmaxRegression, reference
from fastgd.exceptions import ConvergenceWarning, FitInterruptedWarning

sklearn_linear = pytest.importorskip("sklearn.linear_model")

ALPHA = 1e-3


def _data(kind, n=3000, d=8, seed=0):
    """Correlated, standardized features (two groups sharing a factor)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) + rng.standard_normal((n, 2))[:, np.arange(d) % 2]
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    W = rng.standard_normal((3, d)) * (2.0 / np.sqrt(d))
    if kind == "squared":
        return X, X @ W[0] + 0.5 + rng.standard_normal(n)
    if kind == "logistic":
        return X, (rng.random(n) < 1.0 / (1.0 + np.exp(-(X @ W[0] - 0.3)))).astype(int)
    return X, (X @ W.T + rng.gumbel(size=(n, 3))).argmax(axis=1)


def _objective(kind, X, y, coef, intercept, alpha=ALPHA):
    coef = np.atleast_2d(coef)
    Z = X @ coef.T + intercept
    penalty = 0.5 * alpha * float(np.sum(coef ** 2))
    if kind == "squared":
        return 0.5 * float(np.mean((Z[:, 0] - y) ** 2)) + penalty
    if kind == "logistic":
        z = Z[:, 0]
        return float(np.mean(np.logaddexp(0.0, z) - y * z)) + penalty
    return float(np.mean(logsumexp(Z, axis=1) - Z[np.arange(len(y)), y])) + penalty


def _optimum(kind, X, y, alpha=ALPHA):
    if kind == "squared":
        coef, intercept = reference.normal_equation(X, y, alpha=alpha)
        return _objective(kind, X, y, coef, intercept, alpha)
    exact = sklearn_linear.LogisticRegression(C=1.0 / (len(y) * alpha), tol=1e-12,
                                              max_iter=100_000).fit(X, y)
    return _objective(kind, X, y, exact.coef_, exact.intercept_, alpha)


MODELS = {"squared": LinearRegression, "logistic": LogisticRegression,
          "softmax": SoftmaxRegression}


@pytest.mark.parametrize("solver", ["sgd", "minibatch"])
@pytest.mark.parametrize("kind", sorted(MODELS))
def test_the_default_stochastic_fit_ends_near_the_optimum(kind, solver):
    X, y = _data(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = MODELS[kind](solver=solver, alpha=ALPHA, random_state=0).fit(X, y)
    best = _optimum(kind, X, y)
    gap = (_objective(kind, X, y, model.coef_, model.intercept_) - best) / abs(best)
    assert 0.0 <= gap <= 1e-3
    assert model.converged_
    # it got there by dividing its rate: at the rate it started with, the
    # fit stalls at its noise floor, well above the optimum
    constant = MODELS[kind](solver=solver, alpha=ALPHA, schedule="constant", random_state=0)
    with pytest.warns(ConvergenceWarning, match="stalled"):
        constant.fit(X, y)
    assert model.learning_rate_ < constant.learning_rate_
    assert _objective(kind, X, y, constant.coef_, constant.intercept_) - best > 1e-3 * abs(best)


@pytest.mark.parametrize("solver", ["sgd", "minibatch"])
def test_a_stall_at_a_constant_rate_is_not_called_converged(solver):
    """A constant rate stalls at its noise floor: the gradient is still
    large there, so the fit warns and reports converged_ False."""
    X, y = _data("logistic")
    model = LogisticRegression(solver=solver, schedule="constant", alpha=ALPHA,
                               learning_rate=2.0 if solver == "sgd" else 20.0, random_state=0)
    with pytest.warns(ConvergenceWarning, match="stalled"):
        model.fit(X, y)
    assert not model.converged_
    assert model.n_iter_ < model.max_epochs        # it stopped at the stall


def test_the_schedule_auto_is_adaptive_only_for_the_stochastic_solvers():
    X, y = _data("squared", n=500)
    for solver in ("gd", "saga"):
        auto = LinearRegression(solver=solver, alpha=ALPHA, random_state=0).fit(X, y)
        constant = LinearRegression(solver=solver, alpha=ALPHA, schedule="constant",
                                    random_state=0).fit(X, y)
        np.testing.assert_array_equal(auto.coef_, constant.coef_)
    auto = LinearRegression(solver="sgd", alpha=ALPHA, random_state=0, max_epochs=60).fit(X, y)
    adaptive = LinearRegression(solver="sgd", alpha=ALPHA, schedule="adaptive",
                                random_state=0, max_epochs=60).fit(X, y)
    np.testing.assert_array_equal(auto.coef_, adaptive.coef_)
    assert auto.learning_rate_ == adaptive.learning_rate_


def test_a_stochastic_fit_with_tol_none_runs_every_epoch():
    X, y = _data("logistic", n=500)
    model = LogisticRegression(solver="sgd", alpha=ALPHA, tol=None, max_epochs=7,
                               random_state=0).fit(X, y)
    assert model.n_iter_ == 7 and not model.converged_


def _bundled(name):
    """A dataset bundled with scikit-learn, standardized: correlated features
    whose Hessian has directions of curvature near alpha = 1/n."""
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    std = X.std(axis=0)
    X = (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)     # digits has blank pixels
    if name == "diabetes":
        return "squared", X, (y - y.mean()) / y.std()
    return "logistic", X, y


@pytest.mark.parametrize("solver", ["sgd", "minibatch"])
@pytest.mark.parametrize("name", ["breast_cancer", "wine", "diabetes", "digits"])
def test_a_default_stochastic_fit_on_ill_conditioned_data_ends_near_the_optimum(name, solver):
    """On these data the gradient has shrunk by 1e-2 while the objective is
    still well above the optimum and coming down epoch after epoch: the fit
    keeps its rate while the exact objective falls, and stops only once
    neither that rate nor a smaller one moves it for several stalls in a
    row (mini-batches of 32 give these data 6 to 57 steps an epoch, and the
    exact objective at one stall is as noisy as the iterate).  On digits
    the automatic rate, set by rows with pixels 40 standard deviations out,
    would need thousands of epochs: the rate grows while the fit descends.
    On diabetes by mini-batches (14 steps an epoch) the rate is kept and the
    mean of the epoch ends converges."""
    kind, X, y = _bundled(name)
    if kind == "logistic" and len(np.unique(y)) > 2:
        kind = "softmax"
    alpha = 1.0 / len(y)
    model = MODELS[kind](solver=solver, alpha=alpha, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
    best = _optimum(kind, X, y, alpha)
    gap = (_objective(kind, X, y, model.coef_, model.intercept_, alpha) - best) / abs(best)
    assert model.converged_
    assert 0.0 <= gap <= 1e-3


@pytest.mark.parametrize("solver", ["sgd", "minibatch"])
def test_a_noise_free_fit_stops_once_its_gradient_meets_tol(solver):
    """An exact fit's objective falls toward 0 at every stall, relatively
    fast however close it is: the gradient test of tol ends the fit."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2000, 8)) * np.geomspace(1.0, 0.1, 8)
    y = X @ rng.standard_normal(8) + 0.5
    model = LinearRegression(solver=solver, alpha=0.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y)
    assert model.converged_
    assert model.n_iter_ <= 50
    np.testing.assert_allclose(model.predict(X), y, atol=1e-4)


def _epoch_ends(model, X, y, unconverged="error"):
    """The coefficients and the rate at the end of every epoch of a fit; a
    ConvergenceWarning raised (or, unconverged="ignore", ignored)."""
    ends, rates = [], []

    def record(epoch):
        ends.append(np.array(model.coef_, copy=True))
        rates.append(epoch.learning_rate)
        return False

    model.set_params(callback=record)
    with warnings.catch_warnings():
        warnings.simplefilter(unconverged, ConvergenceWarning)
        model.fit(X, y)
    return np.array(ends), np.array(rates)


def _rates(model, X, y):
    return _epoch_ends(model, X, y, unconverged="ignore")[1]


def test_a_steady_descent_doubles_the_rate_until_the_first_stall():
    """On digits the automatic rate 1 / L_max is set by rows with pixels 40
    standard deviations out, and the fit descends for hundreds of epochs
    without a stall.  Meanwhile it doubles its rate every
    4 * n_iter_no_change epochs, up to 8 times the automatic rate, and its
    stalls bring it back down by halves; the user's rate or schedule,
    momentum, and the squared loss (whose steps diverge past 2 / L) keep
    theirs."""
    _, X, y = _bundled("digits")
    alpha = 1.0 / len(y)
    rates = _rates(SoftmaxRegression(solver="sgd", alpha=alpha, max_epochs=70,
                                     random_state=0), X, y)
    first = rates[0]
    np.testing.assert_allclose(rates[[19, 20, 39, 40, 59, 60, 69]] / first,
                               [1, 2, 2, 4, 4, 8, 8])
    full = _rates(SoftmaxRegression(solver="sgd", alpha=alpha, random_state=0), X, y)
    changes = full[np.r_[True, full[1:] != full[:-1]]] / first
    peak = int(np.argmax(changes))
    np.testing.assert_allclose(changes[:peak + 1], [1, 2, 4, 8])
    back = changes[peak:][changes[peak:] >= 1.0]
    assert len(back) >= 2
    np.testing.assert_allclose(back, 8.0 / 2.0 ** np.arange(len(back)))
    patient = SoftmaxRegression(solver="sgd", alpha=alpha, max_epochs=45, random_state=0,
                                n_iter_no_change=10)
    np.testing.assert_allclose(_rates(patient, X, y)[[39, 40]] / first, [1, 2])
    for other in (dict(schedule="adaptive"), dict(learning_rate=float(first)),
                  dict(momentum=0.5)):
        model = SoftmaxRegression(solver="sgd", alpha=alpha, max_epochs=25, random_state=0,
                                  **other)
        assert _rates(model, X, y).max() <= first * (1 + 1e-12), other
    # a warm start measures the growth from its own automatic rate, not from
    # the rate the fit before it started at
    warm = SoftmaxRegression(solver="sgd", alpha=alpha, max_epochs=3, random_state=0,
                             learning_rate=1e-5)
    _rates(warm, X, y)
    warm.set_params(learning_rate="auto", warm_start=True, max_epochs=25)
    np.testing.assert_allclose(_rates(warm, X, y)[[19, 20]] / first, [1, 2])
    squared = LinearRegression(solver="sgd", alpha=alpha, max_epochs=25, random_state=0)
    squared_rates = _rates(squared, X, (y - y.mean()) / y.std())
    assert squared_rates.max() == squared_rates[0]


def test_a_fit_of_short_epochs_ends_at_the_better_of_its_iterate_and_their_mean():
    """With 14 steps an epoch (diabetes by mini-batches of 32) a fit keeps
    the mean of its epoch ends at each rate and ends at the mean or at the
    iterate, whichever has the lower objective; with 442 steps an epoch
    (per-sample) the epoch ends are too sparse a sample of the steps, and
    the fit ends at its iterate.  (No intercept: the data are centred, and
    the callback sees the coefficients as they train.)"""
    _, X, y = _bundled("diabetes")
    alpha = 1.0 / len(y)
    objective = lambda coef: _objective("squared", X, y, coef, 0.0, alpha)
    ended_at_mean = []
    for seed in range(6):
        model = LinearRegression(solver="minibatch", alpha=alpha, fit_intercept=False,
                                 random_state=seed)
        ends, rates = _epoch_ends(model, X, y)
        mean = ends[rates == rates[-1]].mean(axis=0)
        better = min((mean, ends[-1]), key=objective)
        np.testing.assert_allclose(model.coef_, better, rtol=1e-12, atol=1e-15)
        ended_at_mean.append(objective(mean) < objective(ends[-1]))
        model = LinearRegression(solver="sgd", alpha=alpha, fit_intercept=False,
                                 random_state=seed)
        ends, _ = _epoch_ends(model, X, y)
        np.testing.assert_array_equal(model.coef_, ends[-1])
    assert 0 < sum(ended_at_mean) < len(ended_at_mean)


def test_a_fit_of_short_epochs_goes_on_from_its_iterate_after_judging_the_mean():
    """The mean stands in for the iterate only at the stall that judged it:
    every epoch starts where the epoch before it ended."""
    _, X, y = _bundled("diabetes")
    model = LinearRegression(solver="minibatch", alpha=1.0 / len(y), fit_intercept=False,
                             random_state=4)
    starts, judged = [], []
    remember, judge = model._remember_epoch_start, model._judge_mean

    def remember_start(*args):
        starts.append(np.array(model._coef[0], copy=True))
        return remember(*args)

    def judge_mean(*args):
        objective, iterate = judge(*args)
        judged.append(iterate is not None)
        return objective, iterate

    model._remember_epoch_start, model._judge_mean = remember_start, judge_mean
    ends, _ = _epoch_ends(model, X, y)
    assert sum(judged) >= 2                 # the mean stood in at some stalls
    for start, end in zip(starts[1:], ends[:-1]):
        np.testing.assert_array_equal(start, end)


def test_an_interrupt_while_the_mean_is_judged_leaves_the_last_epochs_model():
    _, X, y = _bundled("diabetes")
    model = LinearRegression(solver="minibatch", alpha=1.0 / len(y), fit_intercept=False,
                             random_state=4)
    full_gradient, judge = model._full_gradient, model._judge_mean
    judging = []

    def judge_mean(*args):
        judging.append(True)
        try:
            return judge(*args)
        finally:
            judging.pop()

    def interrupted(problem):
        if judging:
            raise KeyboardInterrupt
        return full_gradient(problem)

    model._full_gradient, model._judge_mean = interrupted, judge_mean
    with pytest.warns(FitInterruptedWarning):
        ends, _ = _epoch_ends(model, X, y)
    assert 5 < len(ends) == model.n_iter_
    np.testing.assert_array_equal(model.coef_, ends[-1])
