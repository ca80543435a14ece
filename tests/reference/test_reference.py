"""The NumPy reference is a trustworthy specification.

:mod:`fastgd.reference` is what the kernels are tested against, so it is
tested on its own terms here: its gradients against finite differences of
its objective, its losses against their textbook formulas and stable for
large outputs, its update rules against torch.optim (when torch is
installed) and the compiled rules, its schedules against the compiled ones,
its epoch against its full-batch gradient, its normal equation against a
zero gradient; and it never modifies its arguments.
"""
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import LOSSES, make_problem, problems
from fastgd import reference
from fastgd.optim import OPTIMIZERS, make_rule

SCHEDULES = ("constant", "invscaling", "step", "exponential", "optimal")


def _theta(p):
    return np.concatenate([p.coef.ravel(), p.intercept]).astype(np.float64)


def _split(p, theta):
    K, d = p.coef.shape
    return theta[:K * d].reshape(K, d), theta[K * d:]


def _central_differences(f, theta, h):
    return np.array([(f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])


# ------------------------------------------------ gradients vs finite differences

@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("alpha", [0.0, 0.4])
@pytest.mark.parametrize("weighted", [False, True])
def test_reference_gradient_matches_finite_differences(loss, alpha, weighted, rng):
    p = make_problem(loss, 15, 3, rng=rng, weighted=weighted, n_classes=4)

    def objective(theta):
        W, b = _split(p, theta)
        return reference.loss_gradient(p.X, p.y, W, b, loss=loss, alpha=alpha,
                                       sample_weight=p.sample_weight)[0]

    _, gW, gb = reference.loss_gradient(p.X, p.y, p.coef, p.intercept, loss=loss,
                                        alpha=alpha, sample_weight=p.sample_weight)
    g = np.concatenate([gW.ravel(), gb])
    fd = _central_differences(objective, _theta(p), 1e-5)
    assert np.linalg.norm(fd - g) < 1e-6 * np.linalg.norm(g)


@given(p=problems(dtypes=(np.float64,), weighted=False))
def test_sample_loss_derivatives_match_finite_differences(p):
    Z = p.dense() @ p.coef.T + p.intercept
    L, dZ = reference.sample_losses(p.loss, Z, p.y)
    h = 1e-6
    for k in range(Z.shape[1]):
        E = np.zeros_like(Z)
        E[:, k] = h
        fd = (reference.sample_losses(p.loss, Z + E, p.y)[0]
              - reference.sample_losses(p.loss, Z - E, p.y)[0]) / (2 * h)
        # the rounding of L (~eps |L| / h) and the h^2 term bound the error
        tol = 1e-6 * (1.0 + np.abs(L) + np.abs(Z[:, k]))
        assert np.all(np.abs(fd - dZ[:, k]) <= tol)


# ------------------------------------------------------ the losses themselves

@given(z=hnp.arrays(np.float64, st.integers(1, 10), elements=st.floats(-30, 30)),
       data=st.data())
def test_logistic_loss_is_the_cross_entropy(z, data):
    y = data.draw(hnp.arrays(np.float64, z.shape, elements=st.floats(0.0, 1.0)))
    L, dz = reference.sample_losses("logistic", z[:, None], y)
    p = 1.0 / (1.0 + np.exp(-z))
    # -[y log p + (1 - y) log(1 - p)] with p = 1 / (1 + e^-z) and
    # 1 - p = 1 / (1 + e^z), written so that |z| <= 30 loses no digits
    np.testing.assert_allclose(L, y * np.log1p(np.exp(-z)) + (1 - y) * np.log1p(np.exp(z)),
                               rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dz[:, 0], p - y, rtol=1e-12, atol=1e-15)


@given(Z=hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(2, 5)),
                    elements=st.floats(-30, 30)),
       data=st.data())
def test_softmax_loss_is_the_negative_log_likelihood(Z, data):
    n, K = Z.shape
    y = data.draw(hnp.arrays(np.float64, n, elements=st.integers(0, K - 1)))
    L, dZ = reference.sample_losses("softmax", Z, y)
    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    rows = np.arange(n)
    np.testing.assert_allclose(L, -np.log(P[rows, y.astype(int)]), rtol=1e-9, atol=1e-12)
    onehot = np.eye(K)[y.astype(int)]
    np.testing.assert_allclose(dZ, P - onehot, rtol=1e-12, atol=1e-15)


@given(z=hnp.arrays(np.float64, st.integers(1, 10), elements=st.floats(-1e4, 1e4)),
       data=st.data())
def test_softmax_of_two_classes_is_logistic(z, data):
    # softmax over outputs (0, z) is the logistic model of z
    y = data.draw(hnp.arrays(np.float64, z.shape, elements=st.sampled_from([0.0, 1.0])))
    L_log, dz = reference.sample_losses("logistic", z[:, None], y)
    L_soft, dZ = reference.sample_losses("softmax", np.stack([np.zeros_like(z), z], axis=1), y)
    np.testing.assert_allclose(L_soft, L_log, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dZ[:, 1], dz[:, 0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(dZ[:, 0], -dz[:, 0], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("loss", ["logistic", "softmax"])
def test_losses_are_stable_for_large_outputs(loss):
    z = np.array([-1e4, -745.0, -40.0, 0.0, 40.0, 710.0, 1e4])
    Z = z[:, None] if loss == "logistic" else np.stack([z, -z, np.zeros_like(z)], axis=1)
    for label in (0.0, 1.0):
        y = np.full(z.size, label)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            L, dZ = reference.sample_losses(loss, Z, y)
        assert np.all(np.isfinite(L)) and np.all(np.isfinite(dZ))
        assert np.all(L >= 0.0)
        if loss == "logistic":
            # confidently wrong costs |z|, confidently right costs ~0
            big, wrong = np.abs(z) >= 40, (z > 0) != (label == 1.0)
            np.testing.assert_allclose(L[big & wrong], np.abs(z[big & wrong]), rtol=1e-12)
            assert np.all(L[big & ~wrong] < 1e-16)


# ------------------------------------------------ update rules and schedules

def _rule(optimizer, lr=0.05, schedule="constant"):
    extra = {"momentum": {"dampening": 0.1, "weight_decay": 0.02},
             "adagrad": {"lr_decay": 0.01, "weight_decay": 0.02},
             "rmsprop": {"momentum": 0.5, "weight_decay": 0.02},
             "adam": {"weight_decay": 0.02},
             "adamw": {"weight_decay": 0.1}}.get(optimizer, {})
    return make_rule(optimizer, lr, schedule, **extra)


def _torch_optimizer(optimizer, params, tensor):
    torch = pytest.importorskip("torch")
    lr, wd = params["lr"], params["weight_decay"]
    if optimizer in ("sgd", "momentum", "nesterov"):
        return torch.optim.SGD([tensor], lr=lr, momentum=params["momentum"],
                               dampening=params["dampening"], nesterov=bool(params["nesterov"]),
                               weight_decay=wd)
    if optimizer == "adagrad":
        return torch.optim.Adagrad([tensor], lr=lr, lr_decay=params["lr_decay"],
                                   weight_decay=wd, eps=params["eps"])
    if optimizer == "rmsprop":
        return torch.optim.RMSprop([tensor], lr=lr, alpha=params["rho"], eps=params["eps"],
                                   weight_decay=wd, momentum=params["momentum"])
    cls = torch.optim.Adam if optimizer == "adam" else torch.optim.AdamW
    return cls([tensor], lr=lr, betas=(params["beta1"], params["beta2"]),
               eps=params["eps"], weight_decay=wd)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_rule_step_follows_torch_optim(optimizer, rng):
    torch = pytest.importorskip("torch")
    params = _rule(optimizer).params
    p = rng.standard_normal(7)
    tensor = torch.tensor(p.copy(), dtype=torch.float64, requires_grad=True)
    opt = _torch_optimizer(optimizer, params, tensor)
    state = np.zeros((2, 7))
    for t in range(1, 7):
        g = rng.standard_normal(7)
        p, state = reference.rule_step(params, p, g, state, t, params["lr"])
        tensor.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        np.testing.assert_allclose(p, tensor.detach().numpy(), rtol=1e-12, atol=1e-14,
                                   err_msg=f"step {t}")


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("decay", [True, False])
def test_compiled_rule_step_matches_reference(optimizer, decay, rng):
    rule = _rule(optimizer)
    params = rule.params
    p_ref = rng.standard_normal(9)
    p = p_ref.copy()
    state = np.zeros((2, 9))
    s_ref = state.copy()
    for t in range(1, 6):
        g = rng.standard_normal(9)
        p_ref, s_ref = reference.rule_step(params, p_ref, g, s_ref, t, params["lr"], decay=decay)
        rule.step(p, g, state, t, decay=decay)
        np.testing.assert_allclose(p, p_ref, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(state, s_ref, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_compiled_rule_step_float32_rounds_the_reference(optimizer, rng):
    # the compiled rule computes in double and stores float32: one step is the
    # reference step rounded to float32 (to one unit in the last place)
    rule = _rule(optimizer)
    p = rng.standard_normal(9).astype(np.float32)
    state = np.abs(rng.standard_normal((2, 9)))
    g = rng.standard_normal(9)
    want, s_want = reference.rule_step(rule.params, p, g, state, 3, rule.params["lr"])
    got, s_got = p.copy(), state.copy()
    rule.step(got, g, s_got, 3)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=2.0 ** -23, atol=0)
    np.testing.assert_allclose(s_got, s_want, rtol=1e-13)


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_scheduled_lr_matches_compiled_schedule(schedule):
    rule = make_rule("sgd", 0.3, schedule, alpha=0.2, gamma=0.8, step_size=4, power_t=0.7)
    ts = np.arange(1, 60)
    want = np.array([reference.scheduled_lr(rule.params, t) for t in ts])
    got = np.array([rule.learning_rate(t) for t in ts])
    np.testing.assert_allclose(got, want, rtol=1e-14)
    # every schedule starts at the base rate and never increases
    assert want[0] == pytest.approx(0.3, rel=1e-14)
    assert np.all(np.diff(want) <= 0)
    if schedule == "step":   # constant within each block of step_size updates
        np.testing.assert_array_equal(want[:4], want[0])
        assert want[4] == pytest.approx(0.8 * want[0], rel=1e-14)


# ------------------------------------------- the epoch against the full batch

@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("weighted", [False, True])
def test_full_batch_epoch_is_one_gradient_step(loss, weighted, rng):
    # one batch holding every row: a single plain step along the gradient of
    # the batch's mean weighted loss sum s_i L_i / n, which is (S / n) times
    # the data part of loss_gradient's sum s_i L_i / S
    p = make_problem(loss, 12, 3, rng=rng, weighted=weighted)
    lr, alpha = 0.3, 0.2
    rule = make_rule("sgd", lr)
    J, W, b, _, _, t = reference.epoch(p.X, p.y, p.coef, p.intercept, rule, loss=loss,
                                       alpha=alpha, batch_size=100,
                                       sample_weight=p.sample_weight, t=4)
    J0, gW, gb = reference.loss_gradient(p.X, p.y, p.coef, p.intercept, loss=loss,
                                         alpha=alpha, sample_weight=p.sample_weight)
    S = 12.0 if p.sample_weight is None else p.sample_weight.sum()
    ratio = S / 12.0
    np.testing.assert_allclose(W, p.coef - lr * (ratio * (gW - alpha * p.coef) + alpha * p.coef),
                               rtol=1e-12)
    np.testing.assert_allclose(b, p.intercept - lr * ratio * gb, rtol=1e-12)
    assert t == 5
    # the reported objective: losses met at the start, penalty at the end
    np.testing.assert_allclose(J - 0.5 * alpha * np.sum(W ** 2),
                               J0 - 0.5 * alpha * np.sum(p.coef ** 2), rtol=1e-12)


def test_epoch_order_none_is_the_identity_order(rng):
    p = make_problem("softmax", 9, 3, rng=rng)
    rule = make_rule("adam", 0.05)
    a = reference.epoch(p.X, p.y, p.coef, p.intercept, rule, loss="softmax", batch_size=2)
    b = reference.epoch(p.X, p.y, p.coef, p.intercept, rule, loss="softmax", batch_size=2,
                        order=np.arange(9))
    for x, z in zip(a, b):
        np.testing.assert_array_equal(x, z)


# ------------------------------------------------------ the normal equation

@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [0.0, 0.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_normal_equation_zeroes_the_gradient(fit_intercept, alpha, weighted, rng):
    p = make_problem("squared", 30, 4, rng=rng, weighted=weighted)
    coef, intercept = reference.normal_equation(p.X, p.y, alpha=alpha, fit_intercept=fit_intercept,
                                                sample_weight=p.sample_weight)
    assert coef.shape == (4,)
    if not fit_intercept:
        assert intercept == 0.0
    _, gW, gb = reference.loss_gradient(p.X, p.y, coef[None, :], np.array([intercept]),
                                        alpha=alpha, sample_weight=p.sample_weight)
    # relative to the gradient at zero, the optimum's gradient is rounding
    _, gW0, gb0 = reference.loss_gradient(p.X, p.y, np.zeros((1, 4)), np.zeros(1),
                                          alpha=alpha, sample_weight=p.sample_weight)
    scale = np.linalg.norm(gW0) + np.abs(gb0).sum()
    assert np.linalg.norm(gW) < 1e-10 * scale
    if fit_intercept:
        assert np.abs(gb).sum() < 1e-10 * scale


# --------------------------------------------- the reference modifies nothing

def test_reference_never_modifies_its_arguments(rng):
    p = make_problem("softmax", 10, 3, rng=rng, weighted=True)
    order = rng.permutation(10)
    state = (np.ones((2, p.coef.size)), np.ones((2, p.intercept.size)))
    table = np.full(10, 0.1)
    args = [p.X, p.y, p.coef, p.intercept, p.sample_weight, order, *state, table]
    before = [a.copy() for a in args]
    reference.loss_gradient(p.X, p.y, p.coef, p.intercept, loss="softmax", alpha=0.3,
                            sample_weight=p.sample_weight)
    W, b, *_ = reference.epoch(p.X, p.y, p.coef, p.intercept, make_rule("adam", 0.1),
                               loss="softmax", alpha=0.3, order=order,
                               sample_weight=p.sample_weight, state_coef=state[0],
                               state_intercept=state[1], t=3, lr_table=table)[1:]
    assert W is not p.coef and b is not p.intercept
    g = rng.standard_normal(p.coef.size)
    reference.rule_step(make_rule("rmsprop", 0.1, momentum=0.5).params, p.coef.ravel(), g,
                        state[0], 2, 0.1)
    q = make_problem("squared", 10, 3, rng=rng, weighted=True)
    Xq, yq, swq = q.X.copy(), q.y.copy(), q.sample_weight.copy()
    reference.normal_equation(q.X, q.y, alpha=0.1, sample_weight=q.sample_weight)
    for a, b0 in zip(args + [q.X, q.y, q.sample_weight], before + [Xq, yq, swq]):
        np.testing.assert_array_equal(a, b0)
