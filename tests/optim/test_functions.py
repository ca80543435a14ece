"""The 2-D test functions: analytic gradients, known minima, vectorization;
and check_grad itself (it must pass correct gradients and catch wrong ones)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from fastgd.functions import (FUNCTIONS, Bowl, EllipticQuadratic, Function2D, Himmelblau,
                              MonkeySaddle, Rastrigin, Rosenbrock, Saddle)
from fastgd.optim import check_grad

# the defaults plus non-default parameters, so a gradient ignoring one shows
ALL = list(FUNCTIONS.values()) + [EllipticQuadratic(condition=7.5), Rosenbrock(a=-0.5, b=20.0),
                                  Rastrigin(A=3.0)]
IDS = [repr(f) for f in ALL]


def test_registry_holds_each_textbook_situation():
    kinds = {type(f) for f in FUNCTIONS.values()}
    assert kinds == {Bowl, EllipticQuadratic, Rosenbrock, Saddle, MonkeySaddle, Himmelblau,
                     Rastrigin}
    for name, f in FUNCTIONS.items():
        assert isinstance(f, Function2D)
        assert isinstance(f.name, str) and f.name
        (x0, x1), (y0, y1) = f.bounds
        assert x0 < x1 and y0 < y1, name


def _point_in(f, u, v):
    """The point at fractions (u, v) of f's plotting box."""
    (x0, x1), (y0, y1) = f.bounds
    return np.array([x0 + u * (x1 - x0), y0 + v * (y1 - y0)])


@pytest.mark.parametrize("f", ALL, ids=IDS)
@given(u=st.floats(0.0, 1.0), v=st.floats(0.0, 1.0), seed=st.integers(0, 2 ** 32 - 1))
def test_gradient_matches_finite_differences(f, u, v, seed):
    x = _point_in(f, u, v)
    assert check_grad(f.fun, f.grad, x, n_directions=4, random_state=seed) < 1e-6


@pytest.mark.parametrize("f", ALL, ids=IDS)
def test_known_minima_are_stationary_local_minima(f):
    for m in f.minima:
        assert np.linalg.norm(f.grad(m)) < 1e-10
        # every nearby point is higher: a minimum, not a saddle
        angles = np.linspace(0.0, 2.0 * np.pi, 16, endpoint=False)
        ring = m + 1e-3 * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
        assert np.all(f.fun(ring) > f.fun(m))
        (x0, x1), (y0, y1) = f.bounds
        assert x0 <= m[0] <= x1 and y0 <= m[1] <= y1, "the plot box must show the minimum"


@pytest.mark.parametrize("f", [FUNCTIONS["saddle"], FUNCTIONS["monkey_saddle"]], ids=repr)
def test_saddle_points_are_stationary_but_not_minima(f):
    assert f.minima == ()
    for s in f.saddle_points:
        assert np.linalg.norm(f.grad(s)) == 0.0
        angles = np.linspace(0.0, 2.0 * np.pi, 16, endpoint=False)
        ring = s + 1e-3 * np.stack([np.cos(angles), np.sin(angles)], axis=-1)
        values = f.fun(ring)
        assert values.min() < f.fun(s) < values.max()


def test_minima_values():
    assert FUNCTIONS["bowl"].fun([0.0, 0.0]) == 0.0
    assert FUNCTIONS["rastrigin"].fun([0.0, 0.0]) == 0.0
    assert Rosenbrock(a=-0.5, b=20.0).fun([-0.5, 0.25]) == 0.0
    himmelblau = FUNCTIONS["himmelblau"]
    assert len(himmelblau.minima) == 4
    assert max(himmelblau.fun(m) for m in himmelblau.minima) < 1e-20


def test_rastrigin_has_local_minima_away_from_the_global_one():
    # a start near (1, 1) ends in a local minimum with a positive value
    f = FUNCTIONS["rastrigin"]
    x = np.array([1.0, 1.0])
    for _ in range(200):
        x = x - 0.002 * f.grad(x)
    assert np.linalg.norm(f.grad(x)) < 1e-6
    assert f.fun(x) > 1.0
    assert np.linalg.norm(x) > 1.0


def test_condition_number_of_elliptic_quadratic():
    f = EllipticQuadratic(condition=30.0)
    # the gradient is the Hessian times x: its diagonal is (2, 2 * condition)
    assert_allclose(f.grad([1.0, 0.0]), [2.0, 0.0])
    assert_allclose(f.grad([0.0, 1.0]), [0.0, 60.0])


@pytest.mark.parametrize("f", ALL, ids=IDS)
def test_vectorized_over_leading_axes(f, rng):
    points = rng.uniform(-2.0, 2.0, size=(3, 4, 2))
    values = f.fun(points)
    grads = f.grad(points)
    assert values.shape == (3, 4) and grads.shape == (3, 4, 2)
    for idx in np.ndindex(3, 4):
        assert values[idx] == f.fun(points[idx])
        assert_allclose(grads[idx], f.grad(points[idx]), rtol=0, atol=0)
    value, grad = f.value_and_grad(points)
    assert_allclose(value, values, rtol=0, atol=0)
    assert_allclose(grad, grads, rtol=0, atol=0)


@pytest.mark.parametrize("f", ALL, ids=IDS)
def test_single_point_gives_float(f):
    value = f.fun([0.5, -0.25])
    assert type(value) is float
    assert f([0.5, -0.25]) == value
    assert f.grad([0.5, -0.25]).shape == (2,)


@pytest.mark.parametrize("bad, error", [
    (np.zeros(3), ValueError),
    (np.zeros((4, 3)), ValueError),
    (1.0, ValueError),
    (np.array(["a", "b"]), TypeError),
])
def test_functions_reject_points_not_in_the_plane(bad, error):
    with pytest.raises(error, match="x must"):
        FUNCTIONS["rosenbrock"].fun(bad)
    with pytest.raises(error, match="x must"):
        FUNCTIONS["rosenbrock"].grad(bad)


@pytest.mark.parametrize("make, name", [
    (lambda: EllipticQuadratic(condition=0.0), "condition"),
    (lambda: EllipticQuadratic(condition=float("inf")), "condition"),
    (lambda: Rosenbrock(b=-1.0), "b"),
    (lambda: Rosenbrock(a=float("nan")), "a"),
    (lambda: Rastrigin(A=-2.0), "A"),
])
def test_parameters_are_validated(make, name):
    with pytest.raises(ValueError, match=f"^{name} must"):
        make()


# --- check_grad -------------------------------------------------------------

def test_check_grad_catches_a_wrong_gradient():
    f = FUNCTIONS["rosenbrock"]
    x = np.array([-1.2, 1.0])
    assert check_grad(f.fun, f.grad, x, random_state=0) < 1e-8
    assert check_grad(f.fun, lambda x: 1.01 * f.grad(x), x, random_state=0) > 1e-3
    # a gradient wrong in one coordinate only is caught along random directions
    assert check_grad(f.fun, lambda x: f.grad(x) * [1.0, 1.001], x, random_state=0) > 1e-5


def test_check_grad_measures_absolute_error_for_small_derivatives():
    # at the minimum both derivatives are ~0: a wrong gradient of size 1e-3
    # shows as an error ~1e-3 instead of a meaningless relative 1
    f = FUNCTIONS["bowl"]
    x = np.zeros(2)
    assert check_grad(f.fun, f.grad, x, random_state=1) < 1e-10
    err = check_grad(f.fun, lambda x: f.grad(x) + 1e-3, x, random_state=1)
    assert 1e-5 < err < 2e-3


def test_check_grad_is_reproducible_and_uses_the_directions():
    f = FUNCTIONS["himmelblau"]
    wrong = lambda x: f.grad(x) * [1.0, 1.01]  # noqa: E731
    x = np.array([1.0, 2.0])
    a = check_grad(f.fun, wrong, x, random_state=3)
    assert a == check_grad(f.fun, wrong, x, random_state=np.random.default_rng(3))
    assert a == check_grad(f.fun, wrong, x, random_state=3, n_directions=10)
    assert a >= check_grad(f.fun, wrong, x, random_state=3, n_directions=1)


def test_check_grad_works_in_more_dimensions():
    A = np.diag([1.0, 4.0, 9.0, 16.0])
    fun = lambda x: 0.5 * x @ A @ x  # noqa: E731
    assert check_grad(fun, lambda x: A @ x, np.ones(4), random_state=0) < 1e-8
    assert check_grad(fun, lambda x: A.T.diagonal() * x * 1.1, np.ones(4), random_state=0) > 1e-2


def test_check_grad_explicit_step():
    f = FUNCTIONS["rastrigin"]
    x = np.array([0.3, -0.7])
    # a coarse step makes the truncation error O(h^2) visible
    assert check_grad(f.fun, f.grad, x, eps=1e-1, random_state=0) > 1e-3
    assert check_grad(f.fun, f.grad, x, eps=1e-5, random_state=0) < 1e-6


@pytest.mark.parametrize("kwargs, error, name", [
    ({"x": np.zeros((2, 2))}, ValueError, "x must be a 1-D"),
    ({"x": [np.nan, 0.0]}, ValueError, "x must be finite"),
    ({"x": []}, ValueError, "x is empty"),
    ({"n_directions": 0}, ValueError, "n_directions"),
    ({"n_directions": 2.5}, TypeError, "n_directions"),
    ({"eps": 0.0}, ValueError, "eps"),
    ({"eps": -1e-6}, ValueError, "eps"),
    ({"jac": "grad"}, TypeError, "jac must be callable"),
    ({"fun": None}, TypeError, "fun must be callable"),
    ({"jac": lambda x: np.zeros(3)}, ValueError, r"jac must return an array of shape \(2,\)"),
    ({"fun": lambda x: np.zeros(2)}, ValueError, "fun must return a scalar"),
])
def test_check_grad_rejects_bad_input(kwargs, error, name):
    f = FUNCTIONS["bowl"]
    args = {"fun": f.fun, "jac": f.grad, "x": np.array([0.5, 0.5]), **kwargs}
    with pytest.raises(error, match=name):
        check_grad(args.pop("fun"), args.pop("jac"), args.pop("x"), **args)


@pytest.mark.parametrize("f", [Himmelblau(), Rosenbrock(), MonkeySaddle()])
def test_known_points_are_shared_read_only(f):
    # the class's points are shared by all its instances: no instance may
    # change them for the others
    for point in f.minima + f.saddle_points:
        with pytest.raises(ValueError):
            point[0] = 5.0
    with pytest.raises(AttributeError):
        f.minima.append(np.zeros(2))
