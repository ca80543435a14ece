"""Input guards of the update rules and of the optimizers built on them.

The compiled step reads an :class:`~fastgd.optim.UpdateRule`'s fields and
its buffers without any check, so a hand-built rule, a bad update number or
learning rate, and a buffer of the wrong dtype, layout or aliasing must each
be rejected first, with an error naming the argument: never a silent NaN,
an ascending step, or Cython's unnamed buffer errors.
"""
import pickle

import numpy as np
import pytest

from fastgd.optim import OPTIMIZERS, SCHEDULES, UpdateRule, make_rule
from fastgd.optim import check_grad, minimize


def _bowl(x):
    return float(x @ x)


def _bowl_grad(x):
    return 2.0 * x


def _short_lived_bowl():
    """_bowl that fails after a few calls: an accepted max_iter=2**64 or
    n_directions=2**70 must fail the test, not run for ever."""
    calls = []

    def bowl(x):
        calls.append(1)
        assert len(calls) < 20, "ran instead of rejecting its arguments"
        return _bowl(x)
    return bowl


# --- UpdateRule built by hand ------------------------------------------------

@pytest.mark.parametrize("args, kwargs, error, name", [
    ((99, 0.1), {}, ValueError, "kind"),          # ran as Adam
    ((-1, 0.1), {}, ValueError, "kind"),
    ((1.5, 0.1), {}, TypeError, "kind"),
    ((True, 0.1), {}, TypeError, "kind"),
    ((0, 0.1), {"schedule": 42}, ValueError, "schedule"),   # ran as constant
    ((0, 0.1), {"schedule": "step"}, TypeError, "schedule"),
    ((0, -0.1), {}, ValueError, "lr"),             # climbed the loss
    ((0, 0.0), {}, ValueError, "lr"),
    ((0, float("nan")), {}, ValueError, "lr"),
    ((0, 10 ** 400), {}, ValueError, "lr"),        # OverflowError before
    ((0, "0.1"), {}, TypeError, "lr"),
    ((3, 0.1), {"beta1": 1.0}, ValueError, "beta1"),   # blamed the learning rate
    ((3, 0.1), {"beta2": -0.1}, ValueError, "beta2"),
    ((3, 0.1), {"eps": 0.0}, ValueError, "eps"),
    ((2, 0.1), {"rho": 1.0}, ValueError, "rho"),
    ((0, 0.1), {"momentum": -0.5}, ValueError, "momentum"),
    ((0, 0.1), {"weight_decay": float("inf")}, ValueError, "weight_decay"),
    ((0, 0.1), {"momentum": 0.9, "nesterov": "False"}, TypeError, "nesterov"),
    ((0, 0.1), {"nesterov": True}, ValueError, "nesterov"),
    ((0, 0.1), {"schedule": 3, "gamma": 0.0}, ValueError, "gamma"),
    ((0, 0.1), {"schedule": 2, "step_size": 0.0}, ValueError, "step_size"),
    ((0, 0.1), {"schedule": 4, "optimal_alpha": 0.0}, ValueError, "optimal_alpha"),
    ((0, 0.1), {"schedule": 4, "optimal_t0": -1.0}, ValueError, "optimal_t0"),
    ((3, 0.1), {"amsgrad": 1}, TypeError, "amsgrad"),              # the third slot's switch
    ((4, 0.1), {"amsgrad": "True"}, TypeError, "amsgrad"),
    ((2, 0.1), {"centered": None}, TypeError, "centered"),
    ((1, 0.1), {"initial_accumulator_value": -1.0}, ValueError, "initial_accumulator_value"),
    ((1, 0.1), {"initial_accumulator_value": float("nan")}, ValueError,
     "initial_accumulator_value"),
])
def test_hand_built_rule_is_checked(args, kwargs, error, name):
    with pytest.raises(error, match=name):
        UpdateRule(*args, **kwargs)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("schedule", SCHEDULES)
def test_every_rule_make_rule_builds_can_be_built_by_hand(optimizer, schedule):
    rule = make_rule(optimizer, 0.05, schedule, alpha=0.01)
    assert UpdateRule(**rule.params).params == rule.params
    assert pickle.loads(pickle.dumps(rule)).params == rule.params


def test_hand_built_rule_reports_its_state_rows():
    assert UpdateRule(3, 0.1, amsgrad=np.bool_(True)).state_rows == 3
    assert UpdateRule(2, 0.1, centered=True, momentum=0.5).state_rows == 3
    assert UpdateRule(2, 0.1, centered=True).state_rows == 2
    # an option of another rule changes nothing there
    assert UpdateRule(0, 0.1, amsgrad=True, centered=True).state_rows == 2


def test_hand_built_rule_takes_numpy_scalars():
    rule = UpdateRule(np.int64(3), np.float32(0.5), beta1=np.float64(0.8), nesterov=np.bool_(False))
    assert rule.params["kind"] == 3 and rule.params["beta1"] == 0.8


# --- make_rule ---------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, name", [
    ({"optimizer": "momentum", "nesterov": "False"}, TypeError, "nesterov"),   # was True
    ({"optimizer": "momentum", "nesterov": 1}, TypeError, "nesterov"),
    ({"learning_rate": 10 ** 400}, ValueError, "learning_rate"),
    ({"optimizer": "adam", "betas": (0.9, 10 ** 400)}, ValueError, r"betas\[1\]"),
    ({"schedule": "optimal", "alpha": 5e-324}, ValueError, "alpha"),   # ZeroDivisionError
    ({"schedule": "step", "step_size": 10 ** 400}, ValueError, "step_size"),
])
def test_make_rule_rejects_with_the_argument_name(kwargs, error, name):
    kwargs = {"optimizer": "sgd", "learning_rate": 0.1, **kwargs}
    with pytest.raises(error, match=name):
        make_rule(**kwargs)


def test_make_rule_takes_a_numpy_bool():
    assert make_rule("momentum", 0.1, nesterov=np.bool_(True)).params["nesterov"] is True


# --- UpdateRule.step ---------------------------------------------------------

def _args(n=3):
    return {"params": np.ones(n), "grad": np.ones(n), "state": np.zeros((2, n)), "t": 1.0}


def _read_only(array):
    array.flags.writeable = False
    return array


@pytest.mark.parametrize("change, error, match", [
    ({"t": 0.0}, ValueError, "t must be >= 1"),             # NaN parameters
    ({"t": -1.0}, ValueError, "t must be >= 1"),
    ({"t": float("nan")}, ValueError, "t must be finite"),
    ({"t": "1"}, TypeError, "t must be a real"),
    ({"lr": -5.0}, ValueError, "lr must be > 0"),            # ascended
    ({"lr": 0.0}, ValueError, "lr must be > 0"),
    ({"lr": float("nan")}, ValueError, "lr must be finite"),
    ({"decay": "no"}, TypeError, "decay"),
    ({"grad": np.ones(3, np.float32)}, TypeError, "grad must have dtype float64"),
    ({"grad": [1.0, 1.0, 1.0]}, TypeError, "grad must be a numpy.ndarray"),
    ({"grad": np.ones(6)[::2]}, ValueError, "grad must be C-contiguous"),
    ({"params": np.ones(6)[::2]}, ValueError, "params must be C-contiguous"),
    ({"params": np.ones(3, dtype=int)}, TypeError, "params must have dtype"),
    ({"params": np.ones((1, 3))}, ValueError, "params must be 1-dimensional"),
    ({"params": _read_only(np.ones(3))}, ValueError, "params must be writeable"),
    ({"state": np.zeros((2, 3), order="F")}, ValueError, "state must be C-contiguous"),
    ({"state": np.zeros((2, 3), np.float32)}, TypeError, "state must have dtype float64"),
    ({"state": _read_only(np.zeros((2, 3)))}, ValueError, "state must be writeable"),
    ({"state": np.zeros((2, 4))}, ValueError, "grad and state must match params"),
])
def test_step_rejects_bad_arguments_by_name(change, error, match):
    args = {**_args(), **change}
    before = None if isinstance(args["params"], list) else np.array(args["params"], copy=True)
    with pytest.raises(error, match=match):
        make_rule("adam", 0.1).step(**args)
    assert np.array_equal(args["params"], before)    # nothing ran


def test_step_rejects_overlapping_buffers():
    rule = make_rule("adam", 0.1)
    p = np.ones(3)
    with pytest.raises(ValueError, match="params and grad overlap"):
        rule.step(p, p, np.zeros((2, 3)), 1)
    buf = np.zeros(9)
    with pytest.raises(ValueError, match="params and state overlap"):
        rule.step(buf[:3], np.ones(3), buf[:6].reshape(2, 3), 1)
    state = np.zeros((2, 3))
    with pytest.raises(ValueError, match="state and grad overlap"):
        rule.step(np.ones(3), state[1], state, 1)


def test_step_accepts_what_the_kernels_take():
    # float32 parameters, a read-only gradient, numpy scalars for t and lr
    p = np.ones(3, np.float32)
    grad = _read_only(np.ones(3))
    make_rule("adam", 0.1).step(p, grad, np.zeros((2, 3)), np.float64(1.0), np.bool_(True),
                                lr=np.float32(0.1))
    assert p.dtype == np.float32 and np.all(p < 1.0)
    make_rule("sgd", 0.1).step(np.ones(0), np.ones(0), np.zeros((2, 0)), 1)


@pytest.mark.parametrize("t, error", [(0, ValueError), (float("nan"), ValueError),
                                      ("1", TypeError)])
def test_learning_rate_rejects_a_bad_update_number(t, error):
    with pytest.raises(error, match="t must"):
        make_rule("sgd", 0.1, "invscaling").learning_rate(t)


# --- minimize and check_grad -------------------------------------------------

@pytest.mark.parametrize("kwargs, error, name", [
    ({"method": "nesterov", "nesterov": "false"}, TypeError, "nesterov"),
    ({"learning_rate": 10 ** 400}, ValueError, "learning_rate"),
    ({"tol": 10 ** 400}, ValueError, "tol"),
    ({"max_iter": 2 ** 64}, ValueError, "max_iter"),
    ({"callback": lambda xk: xk}, TypeError, "callback"),          # truth value ambiguous
    ({"callback": lambda xk: "stop"}, TypeError, "callback"),
])
def test_minimize_rejects_with_the_argument_name(kwargs, error, name):
    with pytest.raises(error, match=name):
        minimize(_short_lived_bowl(), [1.0, 2.0], jac=_bowl_grad, **kwargs)


def test_minimize_callback_may_return_none_or_a_numpy_bool():
    res = minimize(_bowl, [1.0, 2.0], jac=_bowl_grad, method="sgd", learning_rate=0.1,
                   max_iter=5, tol=0.0, callback=lambda xk: None)
    assert res.status == 1 and res.nit == 5
    res = minimize(_bowl, [1.0, 2.0], jac=_bowl_grad, method="sgd", learning_rate=0.1,
                   max_iter=5, tol=0.0, callback=lambda xk: np.bool_(xk[0] < 0.7))
    assert res.status == 2 and res.nit == 2


@pytest.mark.parametrize("kwargs, error, name", [
    ({"random_state": -1}, ValueError, "random_state"),
    ({"random_state": "x"}, TypeError, "random_state"),
    ({"eps": 10 ** 400}, ValueError, "eps"),
    ({"n_directions": 2 ** 70}, ValueError, "n_directions"),
])
def test_check_grad_rejects_with_the_argument_name(kwargs, error, name):
    with pytest.raises(error, match=name):
        check_grad(_short_lived_bowl(), _bowl_grad, [1.0], **kwargs)


def test_check_grad_keeps_a_random_state_stream():
    rs = np.random.RandomState(0)
    assert check_grad(_bowl, _bowl_grad, [1.0, 2.0], random_state=rs) < 1e-8
    assert not np.array_equal(rs.get_state()[1], np.random.RandomState(0).get_state()[1])
