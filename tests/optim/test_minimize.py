"""minimize(): the textbook behaviours of gradient descent, and the contract
of the function (OptimizeResult fields, callbacks, finite differences,
divergence, validation)."""
import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.optimize import OptimizeResult

from fastgd import reference
from fastgd.exceptions import DivergenceError
from fastgd.functions import FUNCTIONS, EllipticQuadratic
from fastgd.optim import OPTIMIZERS, make_rule
from fastgd.optim import DEFAULT_LEARNING_RATES, minimize

bowl = FUNCTIONS["bowl"]
rosenbrock = FUNCTIONS["rosenbrock"]
saddle = FUNCTIONS["saddle"]
himmelblau = FUNCTIONS["himmelblau"]


# --- textbook claims --------------------------------------------------------

@pytest.mark.parametrize("f, lr", [
    # plain GD on a quadratic with largest Hessian eigenvalue L is stable
    # exactly for rates below 2 / L: L = 2 for the bowl, 2 * 50 here
    (bowl, 1.5),
    (EllipticQuadratic(condition=50.0), 0.03),
])
def test_too_large_rate_diverges(f, lr):
    with pytest.raises(DivergenceError, match="learning rate") as info:
        minimize(f.fun, [1.0, 1.0], jac=f.grad, method="sgd", learning_rate=lr, max_iter=1000)
    message = str(info.value)
    assert f"{lr:g}" in message                   # the rate used
    assert "iteration" in message and "smaller learning rate" in message


def test_stability_limit_of_plain_gd_is_two_over_largest_curvature():
    f = EllipticQuadratic(condition=50.0)
    limit = 2.0 / (2.0 * f.condition)
    res = minimize(f.fun, [1.0, 1.0], jac=f.grad, method="sgd", learning_rate=0.95 * limit,
                   max_iter=5000, tol=1e-8)
    assert res.success
    with pytest.raises(DivergenceError):
        minimize(f.fun, [1.0, 1.0], jac=f.grad, method="sgd", learning_rate=1.05 * limit,
                 max_iter=5000, tol=1e-8)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_divergence_message_for_unbounded_function():
    # descent on x^2 - y^2 off the stable axis runs to -inf: not a rate problem
    # alone, and the message says the function may be unbounded below
    with pytest.raises(DivergenceError, match="bounded below"):
        minimize(saddle.fun, [0.0, 1.0], jac=saddle.grad, method="sgd", learning_rate=0.5,
                 max_iter=10000, tol=0.0)


# Rosenbrock from the classic start (-1.2, 1).  Plain GD is run at 1e-3, half
# its stability limit at the minimum (2 / 1001.6); momentum and Nesterov at
# the same rate with momentum 0.9; Adam at 2e-2 (the rate that suits its
# normalized steps here).  All stop at gradient norm 1e-5.
ROSENBROCK_START = [-1.2, 1.0]
ROSENBROCK_RATES = {"sgd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3, "adam": 2e-2}


def _rosenbrock_run(method):
    return minimize(rosenbrock.fun, ROSENBROCK_START, jac=rosenbrock.grad, method=method,
                    learning_rate=ROSENBROCK_RATES[method], max_iter=50000, tol=1e-5)


@pytest.fixture(scope="module")
def plain_gd_on_rosenbrock():
    return _rosenbrock_run("sgd")


@pytest.mark.parametrize("method", ["momentum", "nesterov", "adam"])
def test_accelerated_methods_reach_rosenbrock_minimum_faster(method, plain_gd_on_rosenbrock):
    gd = plain_gd_on_rosenbrock
    res = _rosenbrock_run(method)
    assert gd.success and res.success
    for r in (gd, res):
        assert np.linalg.norm(r.x - rosenbrock.minima[0]) < 1e-4
    # momentum 0.9 multiplies the effective step along the flat valley by
    # up to 1 / (1 - 0.9); require at least a factor 2 over plain GD
    assert 2 * res.nit < gd.nit


def test_gd_converges_to_saddle_point_from_its_stable_direction():
    # on the x axis the y-gradient is exactly 0: GD slides into the saddle
    res = minimize(saddle.fun, [1.0, 0.0], jac=saddle.grad, method="sgd", learning_rate=0.1,
                   max_iter=1000, tol=1e-8)
    assert res.success
    assert np.linalg.norm(res.jac) <= 1e-8
    assert np.linalg.norm(res.x - saddle.saddle_points[0]) < 1e-8
    # a stationary point that is not a minimum: a step along y goes down
    assert saddle.fun(res.x + [0.0, 1e-3]) < res.fun


def _escape_iterations(method, y0):
    """Updates until |y| > 1 on x^2 - y^2 from (1, y0), or None if never."""
    res = minimize(saddle.fun, [1.0, y0], jac=saddle.grad, method=method, learning_rate=0.1,
                   max_iter=2000, tol=0.0, callback=lambda xk: abs(xk[1]) > 1.0)
    if res.status != 2:
        return None
    assert res.fun < 0.0 and saddle.fun(res.x) == res.fun
    return res.nit


def test_tiny_perturbation_escapes_the_saddle_and_momentum_escapes_faster():
    assert _escape_iterations("sgd", 0.0) is None
    gd = _escape_iterations("sgd", 1e-8)
    momentum = _escape_iterations("momentum", 1e-8)
    adam = _escape_iterations("adam", 1e-8)
    # GD multiplies y by 1 + 2 lr = 1.2 per step: log(1e8) / log(1.2) ~ 101 steps
    assert gd == pytest.approx(np.log(1e8) / np.log(1.2), abs=2)
    assert momentum is not None and momentum < gd
    # Adam normalizes the tiny y-gradient to a step of about lr
    assert adam is not None and adam < momentum


def test_himmelblau_minimum_depends_on_the_start():
    starts = [(1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)]
    found = set()
    for x0 in starts:
        res = minimize(himmelblau.fun, x0, jac=himmelblau.grad, method="sgd",
                       learning_rate=0.01, max_iter=5000, tol=1e-8)
        assert res.success
        distances = [np.linalg.norm(res.x - m) for m in himmelblau.minima]
        assert min(distances) < 1e-8
        found.add(int(np.argmin(distances)))
    assert len(found) >= 3


# --- gradients --------------------------------------------------------------

def test_finite_differences_give_the_analytic_answer():
    kwargs = dict(method="momentum", learning_rate=1e-3, max_iter=3000, tol=1e-6)
    exact = minimize(rosenbrock.fun, ROSENBROCK_START, jac=rosenbrock.grad, **kwargs)
    approx = minimize(rosenbrock.fun, ROSENBROCK_START, jac=None, **kwargs)
    assert approx.nit == pytest.approx(exact.nit, abs=5)
    # central differences err by ~1e-10; 3000 momentum steps amplify it a little
    n = min(exact.nit, approx.nit) + 1
    assert_allclose(approx.path[:n], exact.path[:n], rtol=0, atol=1e-6)
    assert_allclose(approx.x, exact.x, rtol=0, atol=1e-6)
    assert "finite differences" in approx.message
    assert "finite differences" not in exact.message
    assert approx.njev == 0 and approx.nfev == (2 * 2 + 1) * (approx.nit + 1)


def test_finite_differences_on_a_quadratic_are_exact_to_rounding():
    f = EllipticQuadratic(condition=5.0)
    kwargs = dict(method="sgd", learning_rate=0.05, max_iter=40, tol=0.0)
    exact = minimize(f.fun, [1.0, -2.0], jac=f.grad, **kwargs)
    approx = minimize(f.fun, [1.0, -2.0], **kwargs)
    assert_allclose(approx.path, exact.path, rtol=1e-8, atol=1e-12)


def test_jac_true_equals_separate_jac():
    a = minimize(rosenbrock.value_and_grad, [0.0, 0.0], jac=True, method="adam",
                 learning_rate=0.05, max_iter=200)
    b = minimize(rosenbrock.fun, [0.0, 0.0], jac=rosenbrock.grad, method="adam",
                 learning_rate=0.05, max_iter=200)
    assert_allclose(a.path, b.path, rtol=0, atol=0)
    assert a.nfev == a.njev == 201 and b.nfev == b.njev == 201


# --- the result and the steps ----------------------------------------------

def test_result_fields():
    x0 = np.array([-1.0, 1.5])
    x0_copy = x0.copy()
    res = minimize(rosenbrock.fun, x0, jac=rosenbrock.grad, method="nesterov",
                   learning_rate=1e-3, max_iter=50, tol=1e-6)
    assert isinstance(res, OptimizeResult)
    assert_allclose(x0, x0_copy, rtol=0, atol=0)          # x0 is not modified
    assert res.nit == 50 and res.status == 1 and not res.success
    assert "max_iter=50" in res.message
    assert res.path.shape == (51, 2) and res.losses.shape == (51,)
    assert_allclose(res.path[0], x0, rtol=0, atol=0)
    assert_allclose(res.path[-1], res.x, rtol=0, atol=0)
    assert_allclose(res.losses, rosenbrock.fun(res.path), rtol=1e-15)
    assert res.fun == rosenbrock.fun(res.x)
    assert_allclose(res.jac, rosenbrock.grad(res.x), rtol=0, atol=0)
    assert res.method == "nesterov" and res.learning_rate == 1e-3
    assert res.x is not x0 and not np.shares_memory(res.x, res.path)


@pytest.mark.parametrize("method", OPTIMIZERS)
def test_steps_are_the_update_rule(method):
    # each step of the path is reference.rule_step of the previous one with
    # the gradient there: minimize runs the rule, state and step count right
    hyper = {"weight_decay": 0.1} if method != "sgd" else {}
    res = minimize(himmelblau.fun, [0.5, -0.5], jac=himmelblau.grad, method=method,
                   learning_rate=0.01, schedule="exponential", gamma=0.9, max_iter=20,
                   tol=0.0, **hyper)
    params = make_rule(method, 0.01, "exponential", gamma=0.9, **hyper).params
    p, state = res.path[0], np.zeros((2, 2))
    for t in range(1, 21):
        lr = reference.scheduled_lr(params, t)
        p, state = reference.rule_step(params, p, himmelblau.grad(p), state, t, lr)
        assert_allclose(res.path[t], p, rtol=1e-10)


def test_callable_schedule_sets_each_rate():
    # on the bowl GD multiplies x by (1 - 2 lr_t): with lr_t = 0.1 / t
    res = minimize(bowl.fun, [1.0, -3.0], jac=bowl.grad, method="sgd",
                   schedule=lambda t: 0.1 / t, max_iter=10, tol=0.0)
    factors = np.cumprod([1.0 - 0.2 / t for t in range(1, 11)])
    assert_allclose(res.path[1:], factors[:, None] * [1.0, -3.0], rtol=1e-12)
    assert res.learning_rate is None


def test_default_learning_rate_is_documented_value():
    for method in OPTIMIZERS:
        res = minimize(bowl.fun, [1.0, 1.0], jac=bowl.grad, method=method, max_iter=1, tol=0.0)
        assert res.learning_rate == DEFAULT_LEARNING_RATES[method]
    # plain GD on the bowl: one step multiplies x by 1 - 2 lr
    res = minimize(bowl.fun, [1.0, 1.0], jac=bowl.grad, method="sgd", max_iter=1, tol=0.0)
    assert_allclose(res.x, 1.0 - 2.0 * DEFAULT_LEARNING_RATES["sgd"], rtol=1e-15)


def test_default_learning_rates_are_torchs():
    torch = pytest.importorskip("torch")
    import inspect
    classes = {"sgd": torch.optim.SGD, "momentum": torch.optim.SGD, "nesterov": torch.optim.SGD,
               "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop,
               "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
    for method, cls in classes.items():
        assert DEFAULT_LEARNING_RATES[method] == inspect.signature(cls).parameters["lr"].default


def test_converged_at_start_makes_no_step():
    res = minimize(bowl.fun, [0.0, 0.0], jac=bowl.grad, max_iter=100)
    assert res.success and res.status == 0 and res.nit == 0
    assert res.path.shape == (1, 2)


def test_max_iter_zero():
    res = minimize(bowl.fun, [1.0, 1.0], jac=bowl.grad, max_iter=0)
    assert res.nit == 0 and res.status == 1 and not res.success


def test_callback_stops_the_run():
    seen = []

    def callback(xk):
        seen.append(xk.copy())
        xk[:] = 1e9             # a copy: changing it cannot disturb the run
        return len(seen) == 5

    res = minimize(rosenbrock.fun, [0.0, 0.0], jac=rosenbrock.grad, method="adam",
                   learning_rate=0.01, max_iter=100, callback=callback)
    assert res.nit == 5 and res.status == 2 and not res.success
    assert "callback" in res.message
    assert_allclose(np.array(seen), res.path[1:], rtol=0, atol=0)


def test_callback_returning_none_does_not_stop():
    calls = []
    res = minimize(bowl.fun, [1.0, 1.0], jac=bowl.grad, method="sgd", learning_rate=0.1,
                   max_iter=7, tol=0.0, callback=calls.append)
    assert res.nit == 7 and len(calls) == 7


def test_function_receives_a_copy():
    def fun(x):
        value = float(x @ x)
        x[:] = 100.0
        return value

    res = minimize(fun, [1.0, 1.0], jac=lambda x: 2 * x, method="sgd", learning_rate=0.1,
                   max_iter=3, tol=0.0)
    assert_allclose(res.x, 0.8 ** 3, rtol=1e-15)


def test_integer_and_list_x0_and_more_dimensions():
    A = np.diag([1.0, 2.0, 3.0])
    res = minimize(lambda x: 0.5 * x @ A @ x, [3, -2, 1], jac=lambda x: A @ x, method="sgd",
                   learning_rate=0.3, max_iter=1000, tol=1e-10)
    assert res.success and res.x.dtype == np.float64
    assert_allclose(res.x, 0.0, atol=1e-9)


# --- bad input --------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, match", [
    ({"x0": [[1.0, 2.0]]}, ValueError, "x0 must be a 1-D"),
    ({"x0": [np.nan, 1.0]}, ValueError, "x0 must be finite"),
    ({"x0": [np.inf, 1.0]}, ValueError, "x0 must be finite"),
    ({"x0": []}, ValueError, "x0 is empty"),
    ({"x0": None}, ValueError, "x0 is None"),
    ({"x0": ["a", "b"]}, TypeError, "x0 must hold real numbers"),
    ({"x0": [1 + 1j, 0]}, TypeError, "x0 must hold real numbers"),
    ({"fun": "rosenbrock"}, TypeError, "fun must be callable"),
    ({"fun": lambda x: x}, ValueError, "fun must return a scalar"),
    ({"fun": lambda x: "1.0"}, TypeError, "fun must return a real number"),
    ({"fun": lambda x: np.nan}, ValueError, r"fun\(x0\) must be finite"),
    ({"jac": lambda x: np.zeros(3)}, ValueError, r"jac must return an array of shape \(2,\)"),
    ({"jac": lambda x: np.zeros((2, 1))}, ValueError, "jac must return an array of shape"),
    ({"jac": lambda x: np.array([np.inf, 0.0])}, ValueError, "gradient at x0 must be finite"),
    ({"jac": "2-point"}, TypeError, "jac must be True"),
    ({"jac": True}, TypeError, "fun must return a pair"),
    ({"method": "lbfgs"}, ValueError, "method must be one of"),
    ({"learning_rate": -0.1}, ValueError, "learning_rate"),
    ({"learning_rate": 0.0}, ValueError, "learning_rate"),
    ({"schedule": "optimal"}, ValueError, "schedule must be one of"),
    ({"schedule": "cosine"}, ValueError, "schedule must be one of"),
    ({"schedule": lambda t: -1.0}, ValueError, r"schedule\(1\) must return"),
    ({"max_iter": -1}, ValueError, "max_iter"),
    ({"max_iter": 10.5}, TypeError, "max_iter"),
    ({"tol": -1e-3}, ValueError, "tol"),
    ({"tol": "small"}, TypeError, "tol"),
    ({"callback": 3}, TypeError, "callback must be callable"),
    ({"betas": (0.9, 0.999), "method": "sgd"}, TypeError, "betas"),
    ({"alpha": 0.99, "method": "rmsprop"}, TypeError, "rho"),
    ({"momentum": -0.5, "method": "momentum"}, ValueError, "momentum"),
])
def test_bad_input(kwargs, error, match):
    args = {"fun": bowl.fun, "x0": [1.0, 1.0], "jac": bowl.grad, **kwargs}
    with pytest.raises(error, match=match):
        minimize(args.pop("fun"), args.pop("x0"), **args)


def test_gradient_shape_checked_with_jac_true():
    with pytest.raises(ValueError, match=r"gradient\) must return an array of shape \(2,\)"):
        minimize(lambda x: (bowl.fun(x), np.zeros(5)), [1.0, 1.0], jac=True)


def test_non_finite_value_later_is_divergence():
    # finite at x0, NaN once x leaves the unit disc: reported, never returned
    fun = lambda x: -x @ x if x @ x < 4.0 else np.nan  # noqa: E731
    with pytest.raises(DivergenceError, match="iteration"):
        minimize(fun, [1.0, 0.0], jac=lambda x: -2.0 * x, method="sgd", learning_rate=0.1)


def test_check_grad_names_eps_when_its_step_leaves_the_float_range():
    from fastgd import check_grad
    with pytest.raises(ValueError, match="eps"), np.errstate(over="ignore"):
        check_grad(lambda x: float(x @ x) * 10.0, lambda x: 20.0 * x, np.ones(2), eps=1e308)
