"""Two-dimensional test functions with analytic gradients.

Each shows one of the situations every account of gradient descent draws:

==========================  ===================================================
:class:`Bowl`               x^2 + y^2: the round bowl, where every method works
:class:`EllipticQuadratic`  x^2 + kappa y^2: ill-conditioned; plain descent zig-zags
                            and diverges once the rate exceeds 2 / (2 kappa)
:class:`Rosenbrock`         the curved, flat-bottomed valley of (a - x)^2 + b (y - x^2)^2
:class:`Saddle`             x^2 - y^2: a saddle point with a stable direction
:class:`MonkeySaddle`       x^3 - 3 x y^2: a degenerate (flat) saddle
:class:`Himmelblau`         four minima: where descent ends depends on the start
:class:`Rastrigin`          a bowl covered in local minima
==========================  ===================================================

Every function is an object with ``fun(x)``, ``grad(x)``,
``value_and_grad(x)``, a ``name``, a plotting box ``bounds``
(``((xmin, xmax), (ymin, ymax))``), its known ``minima`` (a tuple of points,
empty when it has none) and ``saddle_points``.  They are vectorized over
leading axes: ``x`` of shape ``(..., 2)`` gives values of shape ``(...)`` and
gradients of shape ``(..., 2)``, so a whole contour grid is one call; a
single point of shape ``(2,)`` gives a Python float.  They plug straight into
:func:`fastgd.minimize` (``fun=f.fun, jac=f.grad``, or
``fun=f.value_and_grad, jac=True``).

:data:`FUNCTIONS` maps each name to an instance with the default parameters.
"""
import numbers

import numpy as np

__all__ = ["Function2D", "Bowl", "EllipticQuadratic", "Rosenbrock", "Saddle",
           "MonkeySaddle", "Himmelblau", "Rastrigin", "FUNCTIONS"]


def _points(x):
    """x as a float64 array whose last axis holds the 2 coordinates."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"x must hold real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim == 0 or arr.shape[-1] != 2:
        raise ValueError(f"x must have shape (..., 2) (points in the plane), got shape {arr.shape}")
    return arr


def _point(x, y):
    """A known point of a landscape: read-only, as the class shares it."""
    point = np.array([x, y], dtype=np.float64)
    point.flags.writeable = False
    return point


def _check_positive(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


class Function2D:
    """Base of the test functions: a value, its gradient, and what is known.

    Subclasses write ``_value(x, y)`` and ``_gradient(x, y)`` on coordinate
    arrays; this class handles shapes.

    Attributes
    ----------
    name : str
        A short name for titles and legends.
    bounds : tuple of two (low, high) pairs
        A box that shows the interesting part of the landscape.
    minima : tuple of read-only ndarray of shape (2,)
        The known local minima (all of them for these functions), or empty.
        Read-only, since they are shared by every instance of the class.
    saddle_points : tuple of read-only ndarray of shape (2,)
        The known saddle points, or empty.
    """

    name = "function"
    bounds = ((-2.0, 2.0), (-2.0, 2.0))
    minima = ()
    saddle_points = ()

    def _value(self, x, y):  # pragma: no cover - every subclass writes it
        raise NotImplementedError

    def _gradient(self, x, y):  # pragma: no cover - every subclass writes it
        raise NotImplementedError

    def fun(self, x):
        """The value at ``x``.

        Parameters
        ----------
        x : array-like of shape (..., 2)

        Returns
        -------
        float or ndarray of shape (...)
            A Python float for a single point of shape (2,).
        """
        p = _points(x)
        value = self._value(p[..., 0], p[..., 1])
        return float(value) if p.ndim == 1 else value

    def grad(self, x):
        """The gradient at ``x``: an array of the shape of ``x``, (..., 2)."""
        p = _points(x)
        gx, gy = self._gradient(p[..., 0], p[..., 1])
        return np.stack(np.broadcast_arrays(gx, gy), axis=-1)

    def value_and_grad(self, x):
        """``(fun(x), grad(x))``, for ``minimize(f.value_and_grad, x0, jac=True)``."""
        return self.fun(x), self.grad(x)

    __call__ = fun

    def __repr__(self):
        return f"{type(self).__name__}()"


class Bowl(Function2D):
    """The round bowl f(x, y) = x^2 + y^2, minimum 0 at the origin.

    Its Hessian is 2 I: plain gradient descent converges for any rate below
    1 and reaches the minimum in one step at rate 1/2.
    """

    name = "bowl"
    minima = (_point(0.0, 0.0),)

    def _value(self, x, y):
        return x * x + y * y

    def _gradient(self, x, y):
        return 2.0 * x, 2.0 * y


class EllipticQuadratic(Function2D):
    """The elongated bowl f(x, y) = x^2 + condition * y^2.

    Parameters
    ----------
    condition : float, default=50
        The condition number of the Hessian diag(2, 2 * condition).  Plain
        gradient descent is stable only for rates below 2 / (2 * condition),
        and then crawls along x at a rate set by the small curvature 2.
    """

    name = "elliptic quadratic"
    minima = (_point(0.0, 0.0),)

    def __init__(self, condition=50.0):
        self.condition = _check_positive(condition, "condition")
        self.name = f"elliptic quadratic (condition {self.condition:g})"

    def _value(self, x, y):
        return x * x + self.condition * y * y

    def _gradient(self, x, y):
        return 2.0 * x, 2.0 * self.condition * y

    def __repr__(self):
        return f"EllipticQuadratic(condition={self.condition!r})"


class Rosenbrock(Function2D):
    """Rosenbrock's valley f(x, y) = (a - x)^2 + b (y - x^2)^2.

    The minimum 0 is at (a, a^2), at the end of a narrow curved valley whose
    floor is nearly flat: descent quickly reaches the valley and then crawls.

    Parameters
    ----------
    a, b : float, default=1, 100
    """

    name = "Rosenbrock"
    bounds = ((-2.0, 2.0), (-1.0, 3.0))

    def __init__(self, a=1.0, b=100.0):
        # the minimum is (a, a^2): a^2 must be finite too
        if (isinstance(a, bool) or not isinstance(a, numbers.Real) or not np.isfinite(a)
                or abs(a) > 1e150):
            raise ValueError(f"a must be a finite real number below 1e150 in magnitude, got {a!r}")
        self.a = float(a)
        self.b = _check_positive(b, "b")
        self.minima = (_point(self.a, self.a ** 2),)
        if (self.a, self.b) != (1.0, 100.0):
            self.name = f"Rosenbrock (a={self.a:g}, b={self.b:g})"
            span = max(2.0, abs(self.a) + 1.0)
            self.bounds = ((-span, span), (-1.0, max(3.0, self.a ** 2 + 1.0)))

    def _value(self, x, y):
        return (self.a - x) ** 2 + self.b * (y - x * x) ** 2

    def _gradient(self, x, y):
        r = y - x * x
        return -2.0 * (self.a - x) - 4.0 * self.b * x * r, 2.0 * self.b * r

    def __repr__(self):
        return f"Rosenbrock(a={self.a!r}, b={self.b!r})"


class Saddle(Function2D):
    """The saddle f(x, y) = x^2 - y^2, unbounded below.

    The origin is a saddle point: a minimum along x, a maximum along y.
    Started exactly on the x axis (its stable direction) gradient descent
    converges to it; the slightest y component grows geometrically.
    """

    name = "saddle"
    saddle_points = (_point(0.0, 0.0),)

    def _value(self, x, y):
        return x * x - y * y

    def _gradient(self, x, y):
        return 2.0 * x, -2.0 * y


class MonkeySaddle(Function2D):
    """The monkey saddle f(x, y) = x^3 - 3 x y^2, unbounded below.

    The origin is a degenerate saddle point: the Hessian vanishes there, so
    the gradient (quadratic in the distance) gives descent almost no push
    near it.
    """

    name = "monkey saddle"
    saddle_points = (_point(0.0, 0.0),)

    def _value(self, x, y):
        return x ** 3 - 3.0 * x * y * y

    def _gradient(self, x, y):
        return 3.0 * (x * x - y * y), -6.0 * x * y


class Himmelblau(Function2D):
    """Himmelblau's function f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2.

    Four minima of value 0, one near each corner of the box [-5, 5]^2, so
    the start decides which one descent finds.  The three irrational minima
    are roots of a polynomial system, refined here to double precision by
    Newton's method.
    """

    name = "Himmelblau"
    bounds = ((-5.0, 5.0), (-5.0, 5.0))
    minima = (_point(3.0, 2.0),
              _point(-2.805118086952745, 3.131312518250573),
              _point(-3.779310253377747, -3.283185991286169),
              _point(3.5844283403304917, -1.8481265269644034))

    def _value(self, x, y):
        return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2

    def _gradient(self, x, y):
        u = x * x + y - 11.0
        v = x + y * y - 7.0
        return 4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v


class Rastrigin(Function2D):
    """Rastrigin's function 2 A + sum_i (x_i^2 - A cos(2 pi x_i)).

    A bowl covered by a grid of local minima near the integer points; the
    global minimum 0 is at the origin.  Descent stops in the local minimum
    of the start's basin.  Only the global minimum is listed in ``minima``.

    Parameters
    ----------
    A : float, default=10
        The height of the ripples.
    """

    name = "Rastrigin"
    bounds = ((-5.12, 5.12), (-5.12, 5.12))
    minima = (_point(0.0, 0.0),)

    def __init__(self, A=10.0):
        self.A = _check_positive(A, "A")

    def _value(self, x, y):
        two_pi = 2.0 * np.pi
        return (2.0 * self.A + x * x - self.A * np.cos(two_pi * x)
                + y * y - self.A * np.cos(two_pi * y))

    def _gradient(self, x, y):
        two_pi = 2.0 * np.pi
        return (2.0 * x + self.A * two_pi * np.sin(two_pi * x),
                2.0 * y + self.A * two_pi * np.sin(two_pi * y))

    def __repr__(self):
        return f"Rastrigin(A={self.A!r})"


#: Each test function with its default parameters, by name.
FUNCTIONS = {
    "bowl": Bowl(),
    "elliptic": EllipticQuadratic(),
    "rosenbrock": Rosenbrock(),
    "saddle": Saddle(),
    "monkey_saddle": MonkeySaddle(),
    "himmelblau": Himmelblau(),
    "rastrigin": Rastrigin(),
}
