"""The compiled update rules against the NumPy reference and torch.optim.

``UpdateRule.step`` (``fastgd/kernels/rules.pxd``) must equal ``fastgd.reference.rule_step``
step by step (rtol 1e-10 in float64: the same formulas in the same order),
and both must be torch.optim's formulas: the same gradient sequence fed to
torch's optimizer gives the same parameters and the same optimizer state.
"""
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from fastgd import reference
from fastgd.optim import OPTIMIZERS, SCHEDULES, make_rule

N_STEPS = 50
N_PARAMS = 7

# Each optimizer with hyperparameters away from their defaults, so that a
# formula ignoring one of them shows.
RULE_CASES = [
    ("sgd", {}),
    ("sgd", {"weight_decay": 0.1}),
    ("momentum", {"momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05}),
    ("nesterov", {"momentum": 0.7, "weight_decay": 0.02}),
    ("adagrad", {"lr_decay": 0.01, "eps": 1e-6, "weight_decay": 0.1}),
    ("adagrad", {"initial_accumulator_value": 0.5, "lr_decay": 0.01, "weight_decay": 0.1}),
    ("adagrad", {"initial_accumulator_value": 0.1}),
    ("rmsprop", {"rho": 0.9, "eps": 1e-6, "weight_decay": 0.05}),
    ("rmsprop", {"rho": 0.95, "eps": 1e-7, "momentum": 0.5}),
    ("rmsprop", {"centered": True, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.05}),
    ("rmsprop", {"centered": True, "rho": 0.95}),
    ("rmsprop", {"centered": True, "rho": 0.95, "momentum": 0.5, "weight_decay": 0.02}),
    ("rmsprop", {"centered": True, "momentum": 0.7}),
    ("adam", {"betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.05}),
    ("adam", {"amsgrad": True, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.05}),
    ("adam", {"amsgrad": True}),
    ("adamw", {"betas": (0.85, 0.995), "eps": 1e-7, "weight_decay": 0.1}),
    ("adamw", {"amsgrad": True, "betas": (0.85, 0.995), "eps": 1e-7, "weight_decay": 0.1}),
    ("adamw", {"amsgrad": True, "weight_decay": 0.0}),
]
RULE_IDS = [f"{name}-{'-'.join(sorted(h)) or 'plain'}" for name, h in RULE_CASES]

SCHEDULE_CASES = [
    ("constant", {}),
    ("invscaling", {"power_t": 0.3}),
    ("step", {"gamma": 0.5, "step_size": 7}),
    ("exponential", {"gamma": 0.97}),
]
SCHEDULE_IDS = [name for name, _ in SCHEDULE_CASES]


def test_cases_cover_every_optimizer():
    assert {name for name, _ in RULE_CASES} == set(OPTIMIZERS)
    # ... and each of torch's options that changes a formula
    given = {option for _, hyper in RULE_CASES for option, value in hyper.items() if value}
    assert {"amsgrad", "centered", "initial_accumulator_value"} <= given
    assert len(set(RULE_IDS)) == len(RULE_IDS)


def _sequence(seed, n=N_PARAMS, steps=N_STEPS):
    """A start point and a gradient sequence, some gradients large, some tiny."""
    rng = np.random.default_rng(seed)
    p0 = rng.normal(size=n)
    grads = rng.normal(size=(steps, n)) * rng.choice([1e-3, 1.0, 10.0], size=(steps, 1))
    return p0, grads


def _compare_with_reference(rule, dtype, p0, grads, decay=True, rtol=1e-10):
    """Run the kernel and the reference side by side over the gradients.

    In float64 the two trajectories run independently and agree to rtol.
    In float32 the kernel computes each update in double and stores it in
    float32, so each step is checked from the kernel's own float32 state:
    the update must be the reference's double update rounded to float32,
    within one float32 ulp (AdamW stores one intermediate, the decayed
    parameter, which may round differently).
    """
    params = rule.params
    n = p0.shape[0]
    p = p0.astype(dtype)
    state = np.zeros((rule.state_rows, n))
    p_ref, state_ref = p.astype(np.float64), state.copy()
    for t, g in enumerate(grads, start=1):
        lr = reference.scheduled_lr(params, t)
        assert rule.learning_rate(t) == pytest.approx(lr, rel=1e-12)
        if dtype == np.float32:
            p_ref, state_ref = p.astype(np.float64), state.copy()
        p_before = p.copy()
        rule.step(p, g, state, t, decay=decay)
        p_ref, state_ref = reference.rule_step(params, p_ref, g, state_ref, t, lr, decay=decay)
        assert p.dtype == dtype
        if dtype == np.float32:
            ulp = np.spacing(np.maximum(np.abs(p_before), np.abs(p)))
            assert np.all(np.abs(p - p_ref.astype(np.float32)) <= ulp), f"params after step {t}"
        else:
            assert_allclose(p, p_ref, rtol=rtol, atol=0, err_msg=f"params after step {t}")
        assert_allclose(state, state_ref, rtol=rtol, atol=0, err_msg=f"state after step {t}")


@pytest.mark.parametrize("schedule, schedule_hyper", SCHEDULE_CASES, ids=SCHEDULE_IDS)
@pytest.mark.parametrize("optimizer, hyper", RULE_CASES, ids=RULE_IDS)
def test_step_equals_reference_float64(optimizer, hyper, schedule, schedule_hyper):
    rule = make_rule(optimizer, 0.05, schedule, **hyper, **schedule_hyper)
    p0, grads = _sequence(seed=1)
    _compare_with_reference(rule, np.float64, p0, grads)


@pytest.mark.parametrize("schedule, schedule_hyper", SCHEDULE_CASES, ids=SCHEDULE_IDS)
@pytest.mark.parametrize("optimizer, hyper", RULE_CASES, ids=RULE_IDS)
def test_step_equals_reference_float32(optimizer, hyper, schedule, schedule_hyper):
    rule = make_rule(optimizer, 0.05, schedule, **hyper, **schedule_hyper)
    p0, grads = _sequence(seed=2)
    _compare_with_reference(rule, np.float32, p0, grads)


@pytest.mark.parametrize("optimizer, hyper", RULE_CASES, ids=RULE_IDS)
def test_step_without_decay_equals_reference(optimizer, hyper):
    # decay=False (intercepts) must ignore weight_decay in every rule
    rule = make_rule(optimizer, 0.05, "constant", **hyper)
    p0, grads = _sequence(seed=3)
    _compare_with_reference(rule, np.float64, p0, grads, decay=False)


@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_centered_rmsprop_keeps_an_overflowed_variance_nan(momentum):
    # the square of this gradient overflows: the variance estimate is
    # inf - inf, which the step must not treat as a rounded-down zero (a
    # denominator of eps alone); the reference and torch give NaN
    rule = make_rule("rmsprop", 0.5, rho=0.0, centered=True, momentum=momentum)
    g = np.array([1e200, 1.0])
    p, state = np.zeros(2), np.zeros((rule.state_rows, 2))
    with np.errstate(over="ignore", invalid="ignore"):
        p_ref, _ = reference.rule_step(rule.params, p, g, state, 1, 0.5)
        rule.step(p, g, state, 1)
    assert np.isnan(p_ref[0]) and np.isnan(p[0])
    assert_allclose(p[1], p_ref[1], rtol=1e-12)


def test_no_decay_differs_from_decay_when_weight_decay_set():
    # guards the test above: decay=False must actually change the result
    rule = make_rule("adamw", 0.05, weight_decay=0.5)
    p0, grads = _sequence(seed=4, steps=5)
    p_decay, p_plain = p0.copy(), p0.copy()
    s_decay, s_plain = np.zeros((2, N_PARAMS)), np.zeros((2, N_PARAMS))
    for t, g in enumerate(grads, start=1):
        rule.step(p_decay, g, s_decay, t, decay=True)
        rule.step(p_plain, g, s_plain, t, decay=False)
    assert not np.allclose(p_decay, p_plain, rtol=1e-6)


def test_optimal_schedule_equals_reference():
    rule = make_rule("sgd", 1.0, "optimal", alpha=0.01)
    p0, grads = _sequence(seed=5)
    _compare_with_reference(rule, np.float64, p0, grads)


def test_explicit_lr_overrides_schedule():
    # the estimators' 'adaptive' schedule and minimize's callable schedules pass lr
    rule = make_rule("momentum", 0.05, "exponential", gamma=0.5, momentum=0.6)
    p0, grads = _sequence(seed=6, steps=10)
    p, state = p0.copy(), np.zeros((2, N_PARAMS))
    p_ref, state_ref = p0.copy(), np.zeros((2, N_PARAMS))
    for t, g in enumerate(grads, start=1):
        lr = 0.3 / t
        rule.step(p, g, state, t, lr=lr)
        p_ref, state_ref = reference.rule_step(rule.params, p_ref, g, state_ref, t, lr)
        assert_allclose(p, p_ref, rtol=1e-10, atol=0)


_unit = st.floats(0.0, 0.99)


@st.composite
def _rules(draw):
    optimizer = draw(st.sampled_from(OPTIMIZERS))
    hyper = {"weight_decay": draw(st.floats(0.0, 1.0))}
    if optimizer in ("sgd", "momentum", "nesterov"):
        hyper["momentum"] = draw(st.floats(0.01, 0.99) if optimizer == "nesterov" else _unit)
        if optimizer != "nesterov":
            hyper["dampening"] = draw(st.floats(0.0, 1.0))
    elif optimizer == "adagrad":
        hyper["lr_decay"] = draw(st.floats(0.0, 1.0))
        hyper["eps"] = draw(st.floats(1e-10, 1e-3))
        hyper["initial_accumulator_value"] = draw(st.sampled_from([0.0, 1e-3, 0.5, 3.0]))
    elif optimizer == "rmsprop":
        hyper["rho"] = draw(_unit)
        hyper["momentum"] = draw(_unit)
        hyper["eps"] = draw(st.floats(1e-10, 1e-3))
        hyper["centered"] = draw(st.booleans())
    else:
        hyper["betas"] = (draw(_unit), draw(st.floats(0.0, 0.9999)))
        hyper["eps"] = draw(st.floats(1e-10, 1e-3))
        hyper["amsgrad"] = draw(st.booleans())
    lr = draw(st.floats(1e-4, 0.5))
    return make_rule(optimizer, lr, **hyper)


@settings(max_examples=40, deadline=None)
@given(rule=_rules(), seed=st.integers(0, 2 ** 32 - 1), n=st.integers(1, 9))
def test_step_equals_reference_for_any_hyperparameters(rule, seed, n):
    p0, grads = _sequence(seed, n=n, steps=20)
    _compare_with_reference(rule, np.float64, p0, grads)


def test_step_rejects_mismatched_shapes():
    rule = make_rule("adam", 0.1)
    p = np.zeros(3)
    with pytest.raises(ValueError, match="grad and state must match params"):
        rule.step(p, np.zeros(4), np.zeros((2, 3)), 1)
    with pytest.raises(ValueError, match="grad and state must match params"):
        rule.step(p, np.zeros(3), np.zeros((2, 4)), 1)


@pytest.mark.parametrize("optimizer, hyper, rows", [
    ("adam", {"amsgrad": True}, 3),
    ("adamw", {"amsgrad": True}, 3),
    ("rmsprop", {"centered": True, "momentum": 0.5}, 3),
    ("rmsprop", {"centered": True}, 2),        # the gradient average takes the free s1
    ("rmsprop", {"momentum": 0.5}, 2),
    ("adam", {}, 2),
    ("adagrad", {"initial_accumulator_value": 1.0}, 2),
    ("sgd", {}, 2),
])
def test_state_rows_is_what_the_rule_keeps(optimizer, hyper, rows):
    rule = make_rule(optimizer, 0.1, **hyper)
    assert rule.state_rows == rows == reference.state_rows(rule.params)
    p = np.ones(3)
    for wrong in {2, 3} - {rows}:
        # a state of the other number of rows is refused, naming it, before any step
        with pytest.raises(ValueError, match=f"state must have {rows} rows"):
            rule.step(p, np.ones(3), np.zeros((wrong, 3)), 1)
        assert np.all(p == 1.0)
    rule.step(p, np.ones(3), np.zeros((rows, 3)), 1)
    assert np.all(p < 1.0)


def test_rows_a_rule_does_not_use_are_untouched():
    # centered RMSprop without momentum writes s0 and s1 only; Adam without
    # amsgrad never reads a third row given to a kernel that has one
    rule = make_rule("rmsprop", 0.1, centered=True)
    state = np.zeros((2, 3))
    rule.step(np.ones(3), np.ones(3), state, 1)
    assert np.all(state[1] != 0)                 # the gradient average
    p_ref, s_ref = reference.rule_step(rule.params, np.ones(3), np.ones(3), np.zeros((2, 3)),
                                       1, 0.1)
    assert_allclose(state, s_ref, rtol=1e-15)


def test_amsgrad_divides_by_the_largest_second_moment():
    # a large gradient then small ones: plain Adam's second moment decays,
    # AMSGrad's maximum keeps the steps small
    grads = [np.array([10.0])] + [np.array([0.01])] * 30
    steps = {}
    for amsgrad in (False, True):
        rule = make_rule("adam", 0.1, amsgrad=amsgrad, betas=(0.5, 0.9))
        p, state = np.zeros(1), np.zeros((rule.state_rows, 1))
        for t, g in enumerate(grads, start=1):
            before = p.copy()
            rule.step(p, g, state, t)
        steps[amsgrad] = abs(p - before)[0]
        if amsgrad:
            assert state[2, 0] >= state[1, 0] > 0
    assert steps[True] < steps[False] / 3


def test_initial_accumulator_value_starts_adagrad_sum():
    rule = make_rule("adagrad", 0.1, initial_accumulator_value=4.0)
    p, state = np.zeros(2), np.zeros((2, 2))
    rule.step(p, np.array([1.0, 2.0]), state, 1)
    assert_allclose(state[0], [5.0, 8.0])
    assert_allclose(p, -0.1 * np.array([1.0, 2.0]) / (np.sqrt([5.0, 8.0]) + 1e-10))
    rule.step(p, np.array([1.0, 1.0]), state, 2)     # added once, at the first update
    assert_allclose(state[0], [6.0, 9.0])

def test_rule_pickles_with_its_fields():
    rule = make_rule("rmsprop", 0.02, "step", rho=0.9, momentum=0.3, gamma=0.5, step_size=3,
                     centered=True)
    clone = pickle.loads(pickle.dumps(rule))
    assert clone.params == rule.params and clone.state_rows == 3
    for rule in (make_rule("adam", 0.1, amsgrad=True),
                 make_rule("adagrad", 0.1, initial_accumulator_value=0.25)):
        clone = pickle.loads(pickle.dumps(rule))
        assert clone.params == rule.params and clone.state_rows == rule.state_rows


# --- make_rule validation ---------------------------------------------------

@pytest.mark.parametrize("kwargs, error, name", [
    ({"learning_rate": -0.1}, ValueError, "learning_rate"),
    ({"learning_rate": 0.0}, ValueError, "learning_rate"),
    ({"learning_rate": float("nan")}, ValueError, "learning_rate"),
    ({"learning_rate": "0.1"}, TypeError, "learning_rate"),
    ({"optimizer": "adam", "betas": (1.0, 0.999)}, ValueError, r"betas\[0\]"),
    ({"optimizer": "adam", "betas": (-0.1, 0.999)}, ValueError, r"betas\[0\]"),
    ({"optimizer": "adamw", "betas": (0.9, 1.5)}, ValueError, r"betas\[1\]"),
    ({"optimizer": "adam", "betas": 0.9}, ValueError, "betas"),
    ({"optimizer": "adagrad_typo"}, ValueError, "optimizer"),
    ({"optimizer": None}, ValueError, "optimizer"),
    ({"schedule": "cosine"}, ValueError, "schedule"),
    ({"optimizer": "sgd", "betas": (0.9, 0.99)}, TypeError, "betas"),
    ({"optimizer": "adam", "momentum": 0.9}, TypeError, "momentum"),
    ({"optimizer": "momentum", "momentum": -0.5}, ValueError, "momentum"),
    ({"optimizer": "rmsprop", "rho": 1.0}, ValueError, "rho"),
    ({"optimizer": "adam", "eps": 0.0}, ValueError, "eps"),
    ({"optimizer": "adagrad", "lr_decay": -1.0}, ValueError, "lr_decay"),
    ({"optimizer": "sgd", "weight_decay": -0.1}, ValueError, "weight_decay"),
    ({"optimizer": "sgd", "nesterov": True}, ValueError, "nesterov"),
    ({"schedule": "exponential", "gamma": 1.5}, ValueError, "gamma"),
    ({"schedule": "step", "step_size": 0}, ValueError, "step_size"),
    ({"schedule": "optimal", "alpha": 0.0}, ValueError, "alpha"),
    ({"optimizer": "adam", "amsgrad": 1}, TypeError, "amsgrad"),
    ({"optimizer": "adamw", "amsgrad": "yes"}, TypeError, "amsgrad"),
    ({"optimizer": "rmsprop", "centered": "False"}, TypeError, "centered"),
    ({"optimizer": "rmsprop", "centered": 0}, TypeError, "centered"),
    ({"optimizer": "adagrad", "initial_accumulator_value": -0.1}, ValueError,
     "initial_accumulator_value"),
    ({"optimizer": "adagrad", "initial_accumulator_value": float("inf")}, ValueError,
     "initial_accumulator_value"),
    ({"optimizer": "adagrad", "initial_accumulator_value": "1"}, TypeError,
     "initial_accumulator_value"),
    # each option belongs to its optimizer, as torch's do
    ({"optimizer": "sgd", "amsgrad": True}, TypeError, "amsgrad"),
    ({"optimizer": "rmsprop", "amsgrad": True}, TypeError, "amsgrad"),
    ({"optimizer": "adam", "centered": True}, TypeError, "centered"),
    ({"optimizer": "momentum", "centered": False}, TypeError, "centered"),
    ({"optimizer": "adam", "initial_accumulator_value": 0.1}, TypeError,
     "initial_accumulator_value"),
])
def test_make_rule_rejects_bad_values(kwargs, error, name):
    kwargs = {"optimizer": "sgd", "learning_rate": 0.1, **kwargs}
    with pytest.raises(error, match=name):
        make_rule(**kwargs)


def test_every_schedule_name_builds():
    for schedule in SCHEDULES:
        rule = make_rule("sgd", 0.1, schedule, alpha=0.01)
        assert rule.learning_rate(1) > 0


# --- torch.optim ------------------------------------------------------------

def _torch_optimizer(torch, optimizer, param, lr, hyper):
    hyper = dict(hyper)
    if optimizer in ("sgd", "momentum", "nesterov"):
        defaults = {"sgd": {}, "momentum": {"momentum": 0.9},
                    "nesterov": {"momentum": 0.9, "nesterov": True}}[optimizer]
        return torch.optim.SGD([param], lr=lr, **{**defaults, **hyper})
    if optimizer == "adagrad":
        return torch.optim.Adagrad([param], lr=lr, **hyper)
    if optimizer == "rmsprop":
        hyper["alpha"] = hyper.pop("rho", 0.99)   # torch's name for our rho
        return torch.optim.RMSprop([param], lr=lr, **hyper)
    if optimizer == "adam":
        return torch.optim.Adam([param], lr=lr, **hyper)
    return torch.optim.AdamW([param], lr=lr, **hyper)


def _torch_scheduler(torch, opt, schedule, hyper):
    sched = torch.optim.lr_scheduler
    if schedule == "constant":
        return None
    if schedule == "invscaling":
        power_t = hyper["power_t"]
        # LambdaLR multiplies by f(k) after k scheduler steps: update t = k + 1
        return sched.LambdaLR(opt, lambda k: 1.0 / (k + 1.0) ** power_t)
    if schedule == "step":
        return sched.StepLR(opt, step_size=hyper["step_size"], gamma=hyper["gamma"])
    return sched.ExponentialLR(opt, gamma=hyper["gamma"])


def _torch_state(opt, param, optimizer):
    """torch's optimizer state in our (2, n) layout."""
    st_ = opt.state[param]
    n = param.numel()

    def get(key):
        value = st_.get(key)
        return np.zeros(n) if value is None else value.detach().double().numpy()

    if optimizer in ("sgd", "momentum", "nesterov"):
        return np.stack([get("momentum_buffer"), np.zeros(n)])
    if optimizer == "adagrad":
        return np.stack([get("sum"), np.zeros(n)])
    if optimizer == "rmsprop":
        if not opt.param_groups[0]["centered"]:
            return np.stack([get("square_avg"), get("momentum_buffer")])
        if opt.param_groups[0]["momentum"] > 0:
            return np.stack([get("square_avg"), get("momentum_buffer"), get("grad_avg")])
        return np.stack([get("square_avg"), get("grad_avg")])
    rows = [get("exp_avg"), get("exp_avg_sq")]
    if opt.param_groups[0]["amsgrad"]:
        rows.append(get("max_exp_avg_sq"))
    return np.stack(rows)


def _compare_with_torch(torch, optimizer, hyper, schedule, schedule_hyper, dtype, rtol, atol):
    lr = 0.05
    rule = make_rule(optimizer, lr, schedule, **hyper, **schedule_hyper)
    p0, grads = _sequence(seed=7)
    torch_dtype = torch.float64 if dtype == np.float64 else torch.float32
    param = torch.tensor(p0.astype(dtype), dtype=torch_dtype, requires_grad=True)
    opt = _torch_optimizer(torch, optimizer, param, lr, hyper)
    scheduler = _torch_scheduler(torch, opt, schedule, schedule_hyper)
    p = p0.astype(dtype)
    state = np.zeros((rule.state_rows, N_PARAMS))
    for t, g in enumerate(grads, start=1):
        rule.step(p, g, state, t)
        param.grad = torch.tensor(g.astype(dtype), dtype=torch_dtype)
        opt.step()
        if scheduler is not None:
            scheduler.step()
        assert_allclose(p, param.detach().numpy(), rtol=rtol, atol=atol,
                        err_msg=f"params after step {t}")
    # the state slots hold what torch holds: a run can move between the two
    if optimizer != "sgd" or hyper.get("momentum", 0):
        assert_allclose(state, _torch_state(opt, param, optimizer), rtol=rtol, atol=atol)


@pytest.mark.parametrize("schedule, schedule_hyper", SCHEDULE_CASES, ids=SCHEDULE_IDS)
@pytest.mark.parametrize("optimizer, hyper", RULE_CASES, ids=RULE_IDS)
def test_step_equals_torch_float64(optimizer, hyper, schedule, schedule_hyper):
    torch = pytest.importorskip("torch")
    # torch evaluates the same formulas with a few operations reordered
    # (lerp for Adam's first moment), so agreement is to rounding, not bits
    _compare_with_torch(torch, optimizer, hyper, schedule, schedule_hyper,
                        np.float64, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("optimizer, hyper", RULE_CASES, ids=RULE_IDS)
def test_step_equals_torch_float32(optimizer, hyper):
    torch = pytest.importorskip("torch")
    # torch computes in float32, the kernel in double rounded to float32
    _compare_with_torch(torch, optimizer, hyper, "constant", {}, np.float32,
                        rtol=1e-5, atol=1e-6)
