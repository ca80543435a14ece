"""The plain-SGD reference is a trustworthy specification: its losses'
derivatives are the derivatives of its losses, its lazily kept average is
the mean of the iterates when no L1 step moves them, and it never modifies
its arguments."""
import numpy as np
import pytest

from fastgd import reference
from fastgd.reference.sgd import plain_sgd_finish, sgd_loss_dloss

LOSSES = [("hinge", 1.0), ("hinge", 0.0), ("squared_hinge", 1.0), ("modified_huber", 0.0),
          ("log_loss", 0.0), ("squared_error", 0.0), ("huber", 0.3),
          ("epsilon_insensitive", 0.1), ("squared_epsilon_insensitive", 0.1)]


@pytest.mark.parametrize("loss, param", LOSSES)
def test_dloss_is_the_derivative_of_the_loss(loss, param):
    h = 1e-6
    for y in (-1.0, 0.0, 1.0, 0.7):
        for p in np.linspace(-3.0, 3.0, 37) + 0.0123:      # off the kinks
            numeric = (sgd_loss_dloss(loss, param, y, p + h)[0]
                       - sgd_loss_dloss(loss, param, y, p - h)[0]) / (2 * h)
            assert sgd_loss_dloss(loss, param, y, p)[1] == pytest.approx(numeric, abs=1e-5)


def _state(d, average):
    return dict(v=np.zeros(d), wscale=1.0, aw=np.zeros(d) if average else None, avg_a=0.0,
                avg_b=1.0, q=np.zeros(d), u=0.0, sq_norm=0.0, l1_norm=0.0, intercept=0.0,
                avg_intercept=0.0, t=1.0, eta=0.05)


@pytest.mark.parametrize("average", [1, 6])
def test_lazy_average_is_the_mean_of_the_iterates(average, rng):
    X, y = rng.standard_normal((20, 4)), rng.standard_normal(20)
    config = dict(loss="squared_error", loss_param=0.0, penalty="l2", alpha=0.1,
                  learning_rate="constant", eta0=0.05)
    state, iterates, intercepts = _state(4, average), [], []
    for i in range(20):     # one step at a time, to record each iterate
        state, _, _ = reference.plain_sgd_epoch(X[i:i + 1], y[i:i + 1], state,
                                                average=average, **config)
        if state["t"] - 1 >= average:
            iterates.append(state["v"] * state["wscale"])
            intercepts.append(state["intercept"])
    _, aw = plain_sgd_finish(state)
    np.testing.assert_allclose(aw, np.mean(iterates, axis=0), rtol=1e-12)
    assert state["avg_intercept"] == pytest.approx(np.mean(intercepts), rel=1e-12)


def test_l1_truncates_toward_zero_without_crossing(rng):
    X, y = rng.standard_normal((40, 6)), rng.standard_normal(40)
    state, _, _ = reference.plain_sgd_epoch(X, y, _state(6, False), loss="squared_error",
                                            loss_param=0.0, penalty="l1", alpha=0.5,
                                            learning_rate="constant", eta0=0.05)
    w, _ = plain_sgd_finish(state)
    assert (w == 0).sum() >= 3         # a strong L1 penalty zeroes weights exactly


def test_reference_never_modifies_its_arguments(rng):
    X, y = rng.standard_normal((10, 3)), rng.standard_normal(10)
    state = _state(3, True)
    state["v"] = rng.standard_normal(3)
    saved = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in state.items()}
    reference.plain_sgd_epoch(X, y, state, loss="huber", loss_param=0.5,
                              penalty="elasticnet", average=1, learning_rate="constant")
    plain_sgd_finish(state)
    for key, value in saved.items():
        np.testing.assert_array_equal(state[key], value)
