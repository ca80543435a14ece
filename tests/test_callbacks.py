"""Watching and stopping a fit: verbose, callback, Ctrl-C, n_iter_ of a warm
start, and a misspelt parameter named against the public class."""
import io
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

import fastgd
from fastgd import (EpochRecord, FitInterruptedWarning, LinearRegression, LogisticRegression,
                    MLPClassifier, MLPRegressor, ProgressBar, SoftmaxRegression)
from fastgd.exceptions import ConvergenceWarning

ESTIMATORS = [LinearRegression, LogisticRegression, SoftmaxRegression, MLPClassifier,
              MLPRegressor]


def data_for(Est, n=120, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    z = X @ np.array([1.0, -2.0, 0.5])
    if Est in (LinearRegression, MLPRegressor):
        return X, z + 0.1 * rng.standard_normal(n)
    if Est is SoftmaxRegression:
        return X, np.digitize(z, [-1.0, 1.0])
    return X, (z > 0).astype(int)


def make(Est, **params):
    extra = {"hidden_layer_sizes": (4,)} if Est in (MLPClassifier, MLPRegressor) else {}
    return Est(random_state=0, **extra, **params)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_verbose_prints_one_line_an_epoch(Est, capsys):
    X, y = data_for(Est)
    make(Est, verbose=1, max_epochs=4, tol=None, early_stopping=True).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    for k, line in enumerate(lines, 1):
        assert line.startswith(f"Epoch {k}, objective = ")
        assert "validation score = " in line and "learning rate = " in line
        assert line.endswith(" s")


def test_verbose_zero_prints_nothing(capsys):
    X, y = data_for(LinearRegression)
    LinearRegression(max_epochs=3, tol=None).fit(X, y)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_callback_sees_each_epochs_record(Est):
    X, y = data_for(Est)
    records = []
    model = make(Est, callback=records.append, max_epochs=5, tol=None, early_stopping=True,
                 solver="minibatch", batch_size=16, schedule="invscaling")
    model.fit(X, y)
    assert [r.epoch for r in records] == [1, 2, 3, 4, 5]
    assert all(isinstance(r, EpochRecord) for r in records)
    assert [r.objective for r in records] == model.loss_history_
    assert [r.validation_score for r in records] == model.validation_scores_
    assert all(r.seconds >= 0 for r in records)
    # invscaling: the rate of each epoch's last update, eta / t**power_t
    steps = -(-int(0.9 * len(y)) // 16)
    for r in records:
        t = r.epoch * steps
        assert r.learning_rate == pytest.approx(model.learning_rate_ / t ** 0.5, rel=1e-6)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_callback_reads_the_parameters_of_its_epoch(Est):
    """The fitted attributes are the training parameters while the fit runs:
    a callback that copies them gets each epoch's model, the last one the
    fitted model; after the fit the intercept of a regression is a number,
    as scikit-learn's."""
    X, y = data_for(Est)
    mlp = Est in (MLPClassifier, MLPRegressor)
    names = ("coefs_", "intercepts_") if mlp else ("coef_", "intercept_")
    seen = []

    def parameters():
        return [np.array(part, copy=True) for name in names
                for part in (getattr(model, name) if mlp else [getattr(model, name)])]

    model = make(Est, callback=lambda record: seen.append(parameters()), max_epochs=4, tol=None)
    model.fit(X, y)
    final = parameters()
    assert len(seen) == 4
    for got, want in zip(seen[-1], final):
        np.testing.assert_array_equal(got, want)
    for earlier, later in zip(seen, seen[1:]):
        assert all(not np.array_equal(a, b) for a, b in zip(earlier, later))
    if Est is LinearRegression:
        assert isinstance(model.intercept_, float)


def test_callback_reports_a_callable_schedules_rate_and_no_validation():
    X, y = data_for(LinearRegression)
    records = []
    LinearRegression(solver="sgd", learning_rate=0.01, schedule=lambda t: 0.01 / t,
                     callback=records.append, max_epochs=2, tol=None,
                     random_state=0).fit(X, y)
    assert records[0].validation_score is None
    assert records[1].learning_rate == pytest.approx(0.01 / (2 * len(y)))


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_callback_returning_true_stops_without_a_convergence_warning(Est):
    X, y = data_for(Est)
    model = make(Est, callback=lambda r: r.epoch == 3, max_epochs=50, tol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, y)
    assert model.n_iter_ == 3 and len(model.loss_history_) == 3 and not model.converged_
    # the model is the one of its third epoch
    again = make(Est, max_epochs=3, tol=None).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), again.predict(X))


@pytest.mark.parametrize("param, value, error", [
    ("verbose", -1, ValueError), ("verbose", 0.5, TypeError), ("verbose", "yes", TypeError),
    ("callback", 3, TypeError), ("callback", "print", TypeError),
])
@pytest.mark.parametrize("Est", [LinearRegression, MLPClassifier])
def test_bad_verbose_or_callback_is_refused_naming_it(Est, param, value, error):
    X, y = data_for(Est)
    with pytest.raises(error, match=param):
        make(Est, **{param: value}).fit(X, y)


def test_new_parameters_survive_get_params_clone_and_pickle():
    sklearn_base = pytest.importorskip("sklearn.base")
    model = LogisticRegression(verbose=2, callback=print)
    assert model.get_params()["verbose"] == 2 and model.get_params()["callback"] is print
    cloned = sklearn_base.clone(model)
    assert cloned.verbose == 2 and cloned.callback is print
    X, y = data_for(LogisticRegression)
    fitted = LogisticRegression(max_epochs=3, tol=None).fit(X, y)
    assert pickle.loads(pickle.dumps(fitted)).n_iter_ == 3


# -- n_iter_ ----------------------------------------------------------------
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_n_iter_counts_the_epochs_of_the_last_fit(Est):
    X, y = data_for(Est)
    model = make(Est, max_epochs=5, tol=None, warm_start=True).fit(X, y)
    assert model.n_iter_ == 5
    model.set_params(max_epochs=3).fit(X, y)
    assert model.n_iter_ == 3 and len(model.loss_history_) == 8


def test_partial_fit_counts_its_calls():
    X, y = data_for(LinearRegression)
    model = LinearRegression(solver="sgd", random_state=0)
    for k in range(1, 4):
        model.partial_fit(X, y)
        assert model.n_iter_ == k == len(model.loss_history_)


# -- Ctrl-C -----------------------------------------------------------------
def _interrupt_at(epoch):
    def callback(record):
        if record.epoch == epoch:
            raise KeyboardInterrupt
    return callback


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_interrupt_from_a_callback_keeps_the_finished_epoch(Est):
    X, y = data_for(Est)
    model = make(Est, callback=_interrupt_at(3), max_epochs=50, tol=None, early_stopping=True)
    with pytest.warns(FitInterruptedWarning, match="after 3 finished epoch"):
        assert model.fit(X, y) is model
    assert model.n_iter_ == 3 == len(model.loss_history_) == len(model.validation_scores_)
    again = make(Est, max_epochs=3, tol=None, early_stopping=True).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), again.predict(X))


class _InterruptingSchedule:
    """A schedule of rate 0.05 that raises KeyboardInterrupt at update ``at``."""

    def __init__(self, at):
        self.at = at

    def __call__(self, t):
        if t == self.at:
            raise KeyboardInterrupt
        return 0.05


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("solver", ["gd", "minibatch"])
def test_interrupt_during_an_epoch_undoes_that_epoch(Est, solver):
    X, y = data_for(Est)
    steps = 1 if solver == "gd" else -(-len(y) // 20)
    params = dict(solver=solver, batch_size=20, tol=None, optimizer="adam", learning_rate=0.05)
    model = make(Est, schedule=_InterruptingSchedule(at=3 * steps + min(2, steps)), max_epochs=50, **params)
    with pytest.warns(FitInterruptedWarning):
        model.fit(X, y)
    assert model.n_iter_ == 3 == len(model.loss_history_) and model.t_ == 3 * steps
    again = make(Est, schedule=lambda t: 0.05, max_epochs=3, **params).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), again.predict(X))
    # and it trains on from there exactly as the uninterrupted model does
    model.set_params(schedule=lambda t: 0.05, warm_start=True, max_epochs=2).fit(X, y)
    again.set_params(warm_start=True, max_epochs=2).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), again.predict(X))


class _FailingSchedule:
    """A schedule of rate 0.05 that raises RuntimeError at update ``at``."""

    def __init__(self, at):
        self.at = at

    def __call__(self, t):
        if t >= self.at:
            raise RuntimeError("schedule failed")
        return 0.05


def _fitted_state(model):
    """What a model has learned (not its parameters), copied for comparing."""
    params = model.get_params()
    return {name: (value.copy() if isinstance(value, (np.ndarray, list)) else value)
            for name, value in vars(model).items() if name not in params}


def _assert_same_state(model, state):
    assert set(vars(model)) - set(model.get_params()) == set(state)
    for name, value in state.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(model, name), value, err_msg=name)
        elif isinstance(value, (list, int, float, str, bool)) or value is None:
            assert getattr(model, name) == value, name


@pytest.mark.parametrize("Est", ESTIMATORS)
@pytest.mark.parametrize("solver", ["gd", "minibatch"])
def test_a_fit_that_raises_mid_way_leaves_the_estimator_as_it_was(Est, solver):
    X, y = data_for(Est)
    steps = 1 if solver == "gd" else -(-len(y) // 20)
    params = dict(solver=solver, batch_size=20, tol=None, optimizer="adam", learning_rate=0.05)
    fresh = make(Est, schedule=_FailingSchedule(at=4 * steps + 1), max_epochs=50, **params)
    with pytest.raises(RuntimeError, match="schedule failed"):
        fresh.fit(X, y)
    assert not any(name.endswith("_") for name in vars(fresh))   # still unfitted
    # a warm start that fails at its fifth epoch: the three-epoch model stays
    model = make(Est, schedule=lambda t: 0.05, max_epochs=3, warm_start=True, **params).fit(X, y)
    state, predictions = _fitted_state(model), model.predict(X)
    model.set_params(schedule=_FailingSchedule(at=3 * steps + 4 * steps + 1), max_epochs=50)
    with pytest.raises(RuntimeError, match="schedule failed"):
        model.fit(X, y)
    _assert_same_state(model, state)
    np.testing.assert_array_equal(model.predict(X), predictions)
    # and a callback that raises at its fifth epoch, the same
    def failing(record):
        if record.epoch == 5:
            raise ValueError("callback failed")
    model.set_params(schedule=lambda t: 0.05, callback=failing)
    with pytest.raises(ValueError, match="callback failed"):
        model.fit(X, y)
    _assert_same_state(model, state)
    np.testing.assert_array_equal(model.predict(X), predictions)


def test_a_partial_fit_that_raises_leaves_the_stream_as_it_was():
    X, y = data_for(LinearRegression)
    model = LinearRegression(solver="sgd", random_state=0).partial_fit(X, y)
    twin = LinearRegression(solver="sgd", random_state=0).partial_fit(X, y)
    def failing(record):
        raise RuntimeError("callback failed")
    model.set_params(callback=failing)
    with pytest.raises(RuntimeError):
        model.partial_fit(X, y)
    model.set_params(callback=None)
    # the next call draws the same order as an untroubled model's next call
    np.testing.assert_array_equal(model.partial_fit(X, y).coef_, twin.partial_fit(X, y).coef_)


def test_interrupt_in_the_first_epoch_leaves_the_initial_model():
    X, y = data_for(LogisticRegression)
    model = LogisticRegression(schedule=_InterruptingSchedule(at=1), max_epochs=5)
    with pytest.warns(FitInterruptedWarning, match="after 0 finished"):
        model.fit(X, y)
    assert model.n_iter_ == 0 and model.loss_history_ == []
    np.testing.assert_array_equal(model.coef_, 0.0)


def test_interrupt_in_partial_fit_undoes_the_call():
    X, y = data_for(LinearRegression)
    model = LinearRegression(solver="sgd", random_state=0).partial_fit(X, y)
    coef, t = model.coef_.copy(), model.t_
    model.set_params(schedule=_InterruptingSchedule(at=t + 1))
    with pytest.warns(FitInterruptedWarning):
        model.partial_fit(X, y)
    np.testing.assert_array_equal(model.coef_, coef)
    assert model.t_ == t and model.n_iter_ == 1


SIGINT_SCRIPT = textwrap.dedent("""
    import sys, warnings
    import numpy as np
    from fastgd import {name}

    rng = np.random.default_rng(0)
    X = rng.standard_normal(({n}, 50))
    y = (X @ rng.standard_normal(50) > 0).astype(int)

    def announce(record):
        print("epoch", record.epoch, flush=True)

    params = dict(solver="minibatch", batch_size=1, optimizer="adam", learning_rate=1e-3,
                  max_epochs=10000, tol=None, random_state=0{extra})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = {name}(callback=announce, **params).fit(X, y)
    print("caught", [type(w.message).__name__ for w in caught], flush=True)
    done = model.n_iter_
    assert len(model.loss_history_) == done >= 1
    again = {name}(**dict(params, max_epochs=done)).fit(X, y)
    assert np.array_equal(model.predict_proba(X), again.predict_proba(X))
    print("consistent after", done, flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("name, n, extra", [("LogisticRegression", 60000, ""),
                                            ("MLPClassifier", 6000, ", hidden_layer_sizes=(32,)")])
def test_a_real_sigint_stops_the_fit_after_an_epoch(name, n, extra):
    code = SIGINT_SCRIPT.format(name=name, n=n, extra=extra)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stdout:
            if line.startswith("epoch 2"):
                os.kill(proc.pid, signal.SIGINT)
                break
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    assert "caught ['FitInterruptedWarning']" in out and "consistent after" in out


# -- the progress bar -------------------------------------------------------
def test_progress_bar_draws_epochs_and_time_left():
    out = io.StringIO()
    bar = ProgressBar(total=4, stream=out)
    X, y = data_for(LogisticRegression)
    LogisticRegression(max_epochs=4, tol=None, early_stopping=True, random_state=0,
                       callback=bar).fit(X, y)
    bar.close()
    lines = out.getvalue().splitlines()
    assert len(lines) == 4
    assert "epoch 1/4" in lines[0] and "epoch 4/4" in lines[3]
    assert all("objective" in line and "validation" in line and "left" in line
               for line in lines)
    assert lines[3].endswith("00:00 left")


def test_progress_bar_redraws_in_place_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    out = Terminal()
    bar = ProgressBar(total=3, stream=out)
    for k in range(1, 4):
        bar(EpochRecord(k, 1.0 / k, None, 0.1, 0.5))
    bar.close()
    text = out.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and text.count("\n") == 1


def test_progress_bar_total_is_checked():
    with pytest.raises(ValueError, match="total"):
        ProgressBar(total=0)


# -- a misspelt parameter ----------------------------------------------------
@pytest.mark.parametrize("Est", ESTIMATORS)
def test_a_misspelt_parameter_names_the_public_class(Est):
    with pytest.raises(TypeError, match=rf"^{Est.__name__}: .*'lr' \(did you mean 'learning_rate'\?\)"):
        Est(lr=0.1)
    with pytest.raises(TypeError, match=rf"^{Est.__name__}: .*'max_epoch'"):
        Est(max_epoch=3)


def test_the_constructors_signature_is_the_estimators_own():
    import inspect
    for Est in ESTIMATORS:
        assert "learning_rate" in inspect.signature(Est).parameters
        assert Est.__init__.__qualname__ == f"{Est.__name__}.__init__"
    assert fastgd.MLPClassifier((3,), "tanh").activation == "tanh"


INSIDE_ONE_CALL_SCRIPT = textwrap.dedent("""
    import numpy as np
    import scipy.sparse as sp
    from fastgd import kernels
    from fastgd.kernels import mlp as mk

    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, 200))
    Y = rng.standard_normal((20_000, 1))
    labels = rng.integers(0, 50, 20_000).astype(float)
    visits = np.tile(np.arange(20_000), 500)    # one call: seconds to minutes of work
    sizes = (200, 512, 512, 1)
    theta = mk.init_params(sizes, random_state=0)
    coef = np.zeros((50, 200))
    {setup}
    print("ready", flush=True)
    try:
        {call}
        print("finished", flush=True)
    except KeyboardInterrupt:
        print("interrupted", np.isfinite(theta).all() and np.isfinite(coef).all(), flush=True)
""")

_LONG_CALLS = {
    "mlp-epoch": "mk.epoch(X, Y, theta, sizes, batch_size=1, learning_rate=1e-6, order=visits)",
    "mlp-gradient": "mk.loss_gradient(np.tile(X, (5, 1)), np.tile(Y, (5, 1)), theta, "
                    "np.empty_like(theta), sizes)",
    "linear-minibatch": "kernels.epoch(X, rng.integers(0, 50, 20_000).astype(float), coef, "
                        "np.zeros(50), loss='softmax', batch_size=2, order=visits, "
                        "rule=kernels.make_rule('momentum', 1e-4, momentum=0.9), "
                        "state_coef=np.zeros((2, coef.size)), state_intercept=np.zeros((2, 50)))",
    # plain per-sample SGD takes the lazy-penalty path, dense and CSR
    "linear-per-sample": "kernels.epoch(X, labels, coef, np.zeros(50), loss='softmax', "
                         "alpha=1e-4, learning_rate=1e-4, order=visits)",
    "linear-per-sample-csr": "kernels.epoch(sp.csr_matrix(X), labels, coef, np.zeros(50), "
                             "loss='softmax', alpha=1e-4, learning_rate=1e-4, order=visits)",
    "linear-gradient": "kernels.loss_gradient(tall, np.tile(labels, 5), wide, np.zeros(5000), "
                       "np.empty_like(wide), np.empty(5000), loss='softmax', n_jobs=2)",
    "saga": "kernels.saga_epoch(X, labels, coef, np.zeros(50), np.zeros((20_000, 50)), "
            "np.zeros_like(coef), np.zeros(50), loss='softmax', learning_rate=1e-4, "
            "order=visits)",
    "plain-sgd": "kernels.plain_sgd_epoch(long_rows, np.sign(Y[:, 0]), "
                 "kernels.PlainSGDState(np.zeros(4000), eta0=1e-4), loss='hinge', "
                 "learning_rate='constant', eta0=1e-4, order=visits)",
}

# large inputs are made before "ready", so that the signal meets the call
_SETUPS = {
    "linear-gradient": "tall, wide = np.tile(X, (5, 1)), np.zeros((5000, 200))",
    "plain-sgd": "long_rows = np.tile(X, (1, 20))",
}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("which", sorted(_LONG_CALLS))
def test_ctrl_c_stops_a_long_compiled_call_part_way(which):
    code = INSIDE_ONE_CALL_SCRIPT.format(call=_LONG_CALLS[which], setup=_SETUPS.get(which, ""))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.5)                       # inside the compiled loop by now
        os.kill(proc.pid, signal.SIGINT)
        # the loop checks for signals about every 0.1 s of work; without the
        # check the call runs on to its end and prints "finished"
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert "interrupted True" in out, (out, err)


INSIDE_ONE_EPOCH_SCRIPT = textwrap.dedent("""
    import warnings
    import numpy as np
    from fastgd import SGDClassifier, SoftmaxRegression
    from fastgd.kernels.plain_sgd import PlainSGDState
    from fastgd.linear_model._base import _LinearModel


    # says "in epoch" before the first call: the signal is to meet the
    # compiled epoch, not the fit's setup (slow in a sanitized build)
    def announced(call):
        said = []

        def first_says(*args, **kwargs):
            if not said:
                said.append(True)
                print("in epoch", flush=True)
            return call(*args, **kwargs)
        return first_says


    PlainSGDState.epoch = announced(PlainSGDState.epoch)
    _LinearModel._saga_epoch = announced(_LinearModel._saga_epoch)
    rng = np.random.default_rng(0)
    X = rng.standard_normal(({n}, 200))
    y = rng.integers(0, {classes}, {n})
    model = {make}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.fit(X, y)
            print("finished", flush=True)
        except KeyboardInterrupt:
            print("raised", flush=True)
    print("caught", [type(w.message).__name__ for w in caught], flush=True)
    print("fitted", hasattr(model, "coef_"), flush=True)
    if hasattr(model, "coef_"):
        print("epochs", model.n_iter_, "initial", not model.coef_.any(), flush=True)
        model.set_params(max_epochs=1).fit(X[:500], y[:500])   # and it trains on
        print("refit", np.isfinite(model.coef_).all(), flush=True)
""")

# a first epoch that lasts seconds (a check-less loop would run on to its end)
_LONG_EPOCHS = {
    "saga": (dict(n=200_000, classes=50, make="SoftmaxRegression(solver='saga', max_epochs=1, "
                  "tol=None, alpha=1e-4)"),
             ["finished", "caught ['FitInterruptedWarning']", "fitted True", "epochs 0 initial True",
              "refit True"]),
    "sgd-classifier": (dict(n=100_000, classes=20, make="SGDClassifier(max_iter=1000, tol=None, "
                            "n_jobs=1, random_state=0)"),
                       ["raised", "fitted False"]),
    # the worker threads cannot see the signal: they stop after their epoch
    "sgd-classifier-threads": (dict(n=100_000, classes=20, make="SGDClassifier(max_iter=1000, "
                                    "tol=None, n_jobs=2, random_state=0)"),
                               ["raised", "fitted False"]),
}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("which", sorted(_LONG_EPOCHS))
def test_ctrl_c_inside_an_estimators_epoch_leaves_it_consistent(which):
    """SAGA's fit stops with the model of the last finished epoch (the
    initial one here) and trains on; SGDClassifier, like scikit-learn's,
    lets the KeyboardInterrupt through and is left as it was (unfitted)."""
    options, expected = _LONG_EPOCHS[which]
    code = INSIDE_ONE_EPOCH_SCRIPT.format(**options)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "in epoch"
        time.sleep(0.3)                       # inside the compiled epoch by now
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    assert proc.returncode == 0, err[-2000:]
    for line in expected:
        assert line in out, (out, err)
