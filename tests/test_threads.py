"""Threads sharing one estimator object: every call runs whole, one at a
time, and the process never corrupts memory; different objects train in
parallel.

The stress runs in a subprocess: a heap corruption aborts the interpreter,
and that must fail this test, not end the test session.
"""
import copy
import pickle
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from fastgd import LinearRegression, LogisticRegression, MLPClassifier, SoftmaxRegression

STRESS = textwrap.dedent("""
    import copy, pickle, sys, threading
    import numpy as np
    import fastgd

    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 20))
    X_other = rng.standard_normal((2000, 7))            # another width: other buffers
    y = (X[:, 0] > 0).astype(int)
    y_other = (X_other[:, 1] > 0).astype(int)
    models = {{
        "linear": fastgd.LinearRegression(solver="sgd", max_epochs=5, tol=None, random_state=0),
        "logistic": fastgd.LogisticRegression(solver="minibatch", optimizer="adam",
                                              max_epochs=5, tol=None, random_state=0),
        "mlp": fastgd.MLPClassifier((16,), max_epochs=3, tol=None, random_state=0),
    }}
    model = models[sys.argv[1]]
    errors = []

    def work(seed):
        local = np.random.default_rng(seed)
        for _ in range({rounds}):
            action = local.integers(7)
            try:
                if action == 0:
                    model.fit(X, y)
                elif action == 1:
                    model.fit(X_other, y_other)
                elif action == 2:
                    model.partial_fit(X, y, **({{}} if sys.argv[1] == "linear"
                                              else {{"classes": [0, 1]}}))
                elif action == 3:
                    model.predict(X if model.n_features_in_ == 20 else X_other)
                elif action == 4:
                    pickle.loads(pickle.dumps(model))
                elif action == 5:
                    copy.deepcopy(model)
                else:
                    model.set_params(max_epochs=int(local.integers(1, 5)))
                    model.get_params()
            except (ValueError, AttributeError) as exc:
                # an unfitted model, or data of the other width: refused by name
                errors.append(type(exc).__name__)

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # the model left behind predicts as its own parameters say
    Xp = X if model.n_features_in_ == 20 else X_other
    again = pickle.loads(pickle.dumps(model))
    assert np.array_equal(model.predict(Xp), again.predict(Xp))
    print("ok", len(errors))
""")


@pytest.mark.parametrize("which", ["linear", "logistic", "mlp"])
def test_one_estimator_shared_by_threads_never_corrupts_memory(which):
    result = subprocess.run([sys.executable, "-c", STRESS.format(rounds=25), which],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("ok")


def test_a_predict_during_a_fit_waits_and_sees_the_fitted_model():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((20000, 30))
    y = X @ rng.standard_normal(30)
    fitting = threading.Event()
    seen = {}

    def schedule(t):            # called inside the fit, which holds the lock
        fitting.set()
        time.sleep(0.001)
        return 1e-3

    model = LinearRegression(solver="minibatch", schedule=schedule, max_epochs=5, tol=None)
    model.fit(X[:100], y[:100])
    fitting.clear()

    def predict_during_fit():
        fitting.wait()
        seen["prediction"] = model.predict(X)

    reader = threading.Thread(target=predict_during_fit)
    reader.start()
    model.fit(X, y)
    reader.join()
    # the reader ran whole after the fit: it saw the final model, not a mix
    np.testing.assert_array_equal(seen["prediction"], model.predict(X))


@pytest.mark.parametrize("Est", [LinearRegression, LogisticRegression, SoftmaxRegression,
                                 MLPClassifier])
def test_the_lock_is_not_state(Est):
    """The lock lives beside the object: not a parameter, not pickled,
    and a copy gets its own."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((60, 4))
    y = (X[:, 0] > 0).astype(int)
    model = Est(max_epochs=3, tol=None).fit(X, y)
    assert not any("lock" in name for name in model.get_params())
    assert not any("lock" in name for name in vars(model))
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        np.testing.assert_array_equal(clone.predict(X), model.predict(X))


def test_different_estimators_fit_in_parallel():
    """Two objects do not share a lock: fits of two estimators on two
    threads are in progress at the same time."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40000, 50))
    y = X @ rng.standard_normal(50)
    # each fit's first step waits until the other fit has reached its own:
    # were the two serialized by a shared lock, the second could never get
    # there, the wait would time out and both fits would raise
    both_fitting = threading.Barrier(2, timeout=30)
    errors = []

    def first_step_waits():
        first = [True]

        def schedule(t):
            if first[0]:
                first[0] = False
                both_fitting.wait()
            return 1e-4
        return schedule

    models = [LinearRegression(solver="minibatch", schedule=first_step_waits(), max_epochs=30,
                               tol=None) for k in range(2)]

    def fit(k):
        try:
            models[k].fit(X, y)
        except Exception as exc:        # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=fit, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert all(hasattr(m, "coef_") for m in models)


# -- the kernel API: threads passing the same output buffers -------------------
def _run_in_threads(call, n_threads=6):
    errors = []

    def target():
        try:
            call()
        except BaseException as exc:       # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=target) for _ in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.parametrize("repeat", range(3))
def test_kernel_epochs_sharing_parameters_and_state_run_one_at_a_time(repeat):
    from fastgd import kernels
    rng = np.random.default_rng(repeat)
    X, y = rng.standard_normal((20_000, 20)), rng.standard_normal(20_000)
    rule = kernels.make_rule("adam", 1e-3)
    order = kernels.shuffled_order(len(y), random_state=0)

    def epoch(coef, intercept, state):
        kernels.epoch(X, y, coef, intercept, rule=rule, order=order, batch_size=4,
                      state_coef=state[0], state_intercept=state[1])

    def fresh():
        coef, intercept = np.zeros((1, 20)), np.zeros(1)
        return coef, intercept, kernels.init_state(coef, intercept)
    serial = fresh()
    for _ in range(6):
        epoch(*serial)
    shared = fresh()
    assert _run_in_threads(lambda: epoch(*shared)) == []
    # six whole epochs one after another (each the same call): the serial result
    np.testing.assert_array_equal(shared[0], serial[0])
    np.testing.assert_array_equal(shared[2][0], serial[2][0])


def test_network_epochs_and_gradients_sharing_buffers_run_one_at_a_time():
    from fastgd.kernels import mlp as mk
    rng = np.random.default_rng(0)
    sizes = (10, 16, 1)
    X, Y = rng.standard_normal((5_000, 10)), rng.standard_normal((5_000, 1))
    serial, shared = mk.init_params(sizes, random_state=0), mk.init_params(sizes, random_state=0)
    for _ in range(6):
        mk.epoch(X, Y, serial, sizes, learning_rate=1e-3, batch_size=8)
    assert _run_in_threads(lambda: mk.epoch(X, Y, shared, sizes, learning_rate=1e-3,
                                            batch_size=8)) == []
    np.testing.assert_array_equal(shared, serial)
    # gradients into one buffer: each call leaves the whole, same gradient
    grad, expected = np.empty_like(serial), np.empty_like(serial)
    mk.loss_gradient(X, Y, serial, expected, sizes)
    assert _run_in_threads(lambda: mk.loss_gradient(X, Y, serial, grad, sizes)) == []
    np.testing.assert_array_equal(grad, expected)


def test_minimize_with_a_raising_callback_in_many_threads_leaves_x0_untouched():
    from fastgd import minimize
    x0 = np.array([1.5, -2.0])

    def failing(xk):
        raise RuntimeError("callback failed")
    calls = lambda: minimize(lambda x: float(x @ x), x0, jac=lambda x: 2 * x,  # noqa: E731
                             method="adam", callback=failing)
    errors = _run_in_threads(calls, n_threads=8)
    assert len(errors) == 8 and all(isinstance(e, RuntimeError) for e in errors)
    np.testing.assert_array_equal(x0, [1.5, -2.0])
