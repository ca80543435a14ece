"""Gradient descent on a user's own function, by the compiled update rules.

:func:`minimize` runs any rule of :mod:`fastgd.optim` (plain, momentum and
Nesterov SGD, AdaGrad, RMSProp, Adam, AdamW, with their torch.optim
hyperparameters and the learning-rate schedules) on a function of a vector
and records the whole path, so that the textbook pictures (zig-zags,
divergence, saddle points, valleys) can be reproduced and plotted with
:mod:`fastgd.plotting`.  :func:`check_grad` checks an analytic gradient
against finite differences.

Each step is the compiled :meth:`fastgd.optim.UpdateRule.step`, the same
code the estimators run; only the calls to the user's function are Python.
"""
import numpy as np
from scipy.optimize import OptimizeResult

from .._validation import check_bool, check_random_state, check_scalar
from ..exceptions import DivergenceError
from ..kernels.rules import OPTIMIZERS, SCHEDULES, make_rule

__all__ = ["minimize", "check_grad", "DEFAULT_LEARNING_RATES"]

#: The default ``learning_rate`` of each method: torch.optim's default ``lr``
#: of the same rule (SGD 1e-3, Adagrad 1e-2, RMSprop 1e-2, Adam and AdamW 1e-3).
#: They suit well-scaled problems; a textbook function usually needs its own.
DEFAULT_LEARNING_RATES = {
    "sgd": 1e-3,
    "momentum": 1e-3,
    "nesterov": 1e-3,
    "adagrad": 1e-2,
    "rmsprop": 1e-2,
    "adam": 1e-3,
    "adamw": 1e-3,
}

# The central-difference step that balances truncation (h^2) against
# rounding (eps / h): the cube root of the machine epsilon, scaled by |x|.
_FD_STEP = np.finfo(np.float64).eps ** (1.0 / 3.0)

# The value may grow by this factor of (|f(x0)| + 1) before the run is
# declared divergent: far beyond any oscillation of a stable run.
_DIVERGENCE_GROWTH = 1e6

# 'optimal' needs an L2 penalty and 'adaptive' an epoch structure; both belong
# to the estimators, not to a single function.
_MINIMIZE_SCHEDULES = tuple(s for s in SCHEDULES if s not in ("optimal", "adaptive"))

STATUS_CONVERGED, STATUS_MAX_ITER, STATUS_CALLBACK = 0, 1, 2


def _norm(g):
    """The Euclidean norm; a run heading for divergence may have gradients
    whose squares overflow, and that is reported by the divergence check."""
    with np.errstate(over="ignore"):
        return float(np.linalg.norm(g))


def _check_point(x, name):
    """A finite 1-D float64 copy of x (the caller's array is never touched)."""
    if x is None:
        raise ValueError(f"{name} is None; expected a 1-D array of real numbers")
    arr = np.asarray(x)
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must hold real numbers, got complex dtype {arr.dtype}")
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must hold real numbers, got {x!r}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}; "
                         f"pass np.ravel({name}) and reshape inside the function")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty; it needs at least one coordinate")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite (no NaN or inf), got {arr!r}")
    return np.array(arr, dtype=np.float64)


def _scalar(value, what):
    """The float of a function value; TypeError/ValueError naming ``what``."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what} must return a real number, got {value!r}")
    try:
        arr = np.asarray(value)
    except Exception:  # a type NumPy cannot read at all
        raise TypeError(f"{what} must return a real number, got {value!r}") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{what} must return a real number, got {value!r} "
                        f"(dtype {arr.dtype})")
    if arr.ndim != 0:
        raise ValueError(f"{what} must return a scalar, got an array of shape {arr.shape}")
    return float(arr)


def _gradient(value, n, what):
    """The gradient as a new contiguous float64 array of shape (n,)."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what} must return an array of real numbers, got dtype {arr.dtype}")
    if arr.shape != (n,):
        raise ValueError(f"{what} must return an array of shape ({n},), the shape of x0, "
                         f"got shape {arr.shape}")
    return np.array(arr, dtype=np.float64)


class _Objective:
    """Evaluates (value, gradient) at x in one of the three ways of ``jac``,
    counting calls.  The function always receives a copy of x."""

    def __init__(self, fun, jac, n):
        if not callable(fun):
            raise TypeError(f"fun must be callable, got {fun!r}")
        if not (jac is None or isinstance(jac, bool) or callable(jac)):
            raise TypeError("jac must be True (fun returns (value, gradient)), a callable "
                            f"returning the gradient, or None (finite differences), got {jac!r}")
        self.fun, self.jac, self.n = fun, jac, n
        self.finite_differences = jac is None or jac is False
        self.nfev = self.njev = 0

    def value(self, x):
        self.nfev += 1
        return _scalar(self.fun(x.copy()), "fun")

    def __call__(self, x):
        if self.jac is True:
            self.nfev += 1
            self.njev += 1
            out = self.fun(x.copy())
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError("with jac=True, fun must return a pair (value, gradient), "
                                f"got {type(out).__name__}")
            return (_scalar(out[0], "fun (its value)"),
                    _gradient(out[1], self.n, "fun (its gradient)"))
        f = self.value(x)
        if self.finite_differences:
            return f, self._central_differences(x)
        self.njev += 1
        return f, _gradient(self.jac(x.copy()), self.n, "jac")

    def _central_differences(self, x):
        g = np.empty(self.n)
        for i in range(self.n):
            h = _FD_STEP * max(1.0, abs(x[i]))
            up, down = x.copy(), x.copy()
            up[i] += h
            down[i] -= h
            # divide by the step actually taken after rounding x[i] +- h
            g[i] = (self.value(up) - self.value(down)) / (up[i] - down[i])
        return g


def _check_schedule(schedule):
    if callable(schedule):
        return schedule
    if not isinstance(schedule, str) or schedule not in _MINIMIZE_SCHEDULES:
        raise ValueError(f"schedule must be one of {_MINIMIZE_SCHEDULES} or a callable "
                         f"t -> learning rate, got {schedule!r}")
    return schedule


def _scheduled_rate(schedule, t):
    eta = schedule(t)
    try:
        return float(check_scalar(eta, f"schedule({t})", low=0.0, low_open=True))
    except (TypeError, ValueError):
        # one message for every bad value, naming the call that returned it
        raise ValueError(f"schedule({t}) must return a finite learning rate > 0, "
                         f"got {eta!r}") from None


def minimize(fun, x0, jac=None, method="adam", learning_rate=None, schedule="constant",
             max_iter=1000, tol=1e-6, callback=None, **hyperparameters):
    """Minimize a function of a vector by gradient descent with a compiled update rule.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> float`` for ``x`` of shape (n,); with ``jac=True``,
        ``fun(x) -> (float, gradient)``.  It receives a copy of the iterate.
    x0 : array-like of shape (n,)
        The starting point: finite real numbers.  It is not modified; the
        computation is in float64.
    jac : True, callable or None, default=None
        How the gradient is obtained: ``True`` when ``fun`` returns it with
        the value, ``jac(x) -> ndarray of shape (n,)``, or ``None`` for
        central finite differences (2 n extra calls of ``fun`` per
        iteration, step ``eps**(1/3) * max(1, |x_i|)``).
    method : {'adam', 'sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adamw'}, default='adam'
        The update rule, with torch.optim's formulas
        (see :func:`fastgd.optim.make_rule`).
    learning_rate : float, optional
        The base step size (torch's ``lr``).  By default torch.optim's
        default of the rule (:data:`DEFAULT_LEARNING_RATES`): 1e-3 for
        'sgd', 'momentum', 'nesterov', 'adam' and 'adamw', 1e-2 for
        'adagrad' and 'rmsprop'.  Unused when ``schedule`` is a callable.
    schedule : {'constant', 'invscaling', 'step', 'exponential'} or callable, default='constant'
        How the rate changes with the iteration ``t`` (1-based), as in
        :func:`fastgd.optim.make_rule`; a callable ``schedule(t)`` returns
        the rate of iteration ``t`` itself.
    max_iter : int, default=1000
        The maximum number of updates.
    tol : float, default=1e-6
        Stop, successfully, once the Euclidean norm of the gradient is at
        most ``tol`` (checked at ``x0`` too).
    callback : callable, optional
        ``callback(xk)`` after each update, with a copy of the new iterate;
        it returns None or False to go on, ``True`` to stop the run
        (``status`` 2); any other value (an array, say) is a TypeError.
    **hyperparameters
        Those of the rule and schedule, named as in torch.optim:
        ``momentum``, ``dampening``, ``nesterov``, ``weight_decay``,
        ``betas``, ``eps``, ``amsgrad`` (Adam, AdamW), ``rho`` (torch
        RMSprop's ``alpha``), ``centered`` (RMSprop), ``lr_decay``,
        ``initial_accumulator_value`` (Adagrad), ``power_t``, ``gamma``,
        ``step_size``.

    Returns
    -------
    scipy.optimize.OptimizeResult
        ``x`` the last iterate, ``fun`` and ``jac`` the value and gradient
        there, ``nit`` the number of updates, ``nfev`` and ``njev`` the calls
        made, ``status`` (0: the gradient norm fell to ``tol``; 1:
        ``max_iter`` reached; 2: stopped by the callback), ``success``
        (``status == 0``), ``message``, ``path`` (ndarray of shape
        (nit + 1, n): x0 and every iterate), ``losses`` (ndarray of shape
        (nit + 1,): the value at each), ``method`` and ``learning_rate``.

    Raises
    ------
    fastgd.DivergenceError
        When the value or gradient becomes non-finite, or the value rises by
        more than 1e6 times (|f(x0)| + 1) above f(x0): the learning rate is
        too large (or ``fun`` is unbounded below).  The message gives the
        iteration, the value and the learning rate.
    ValueError, TypeError
        On invalid arguments, or when ``fun`` / ``jac`` return something
        other than a finite scalar / an array of the shape of ``x0``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgd.optim import minimize
    >>> from fastgd.optim.functions import Rosenbrock
    >>> f = Rosenbrock()
    >>> res = minimize(f.fun, [-1.2, 1.0], jac=f.grad, method="momentum",
    ...                learning_rate=1e-3, max_iter=20000, tol=1e-6)
    >>> bool(np.allclose(res.x, [1.0, 1.0], atol=1e-4))
    True
    """
    x = _check_point(x0, "x0")
    n = x.shape[0]
    if not isinstance(method, str) or method not in OPTIMIZERS:
        raise ValueError(f"method must be one of {OPTIMIZERS}, got {method!r}")
    schedule = _check_schedule(schedule)
    max_iter = int(check_scalar(max_iter, "max_iter", kind=int, low=0))
    tol = float(check_scalar(tol, "tol", low=0.0))
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None, got {callback!r}")
    if "alpha" in hyperparameters:
        # make_rule would take it as the L2 penalty of the 'optimal' schedule
        # and ignore it; a torch user means RMSprop's smoothing constant
        raise TypeError("unexpected hyperparameter 'alpha' for minimize (RMSProp's smoothing "
                        "constant, torch's alpha, is called rho here)")
    if learning_rate is None:
        learning_rate = DEFAULT_LEARNING_RATES[method]
    rule = make_rule(method, learning_rate, "constant" if callable(schedule) else schedule,
                     **hyperparameters)
    objective = _Objective(fun, jac, n)

    f0, g = objective(x)
    if not np.isfinite(f0):
        raise ValueError(f"fun(x0) must be finite, got {f0!r}")
    if not np.isfinite(g).all():
        how = " (estimated by finite differences)" if objective.finite_differences else ""
        raise ValueError(f"the gradient at x0 must be finite, got {g!r}{how}")
    f = f0
    path, losses = [x.copy()], [f0]
    state = np.zeros((rule.state_rows, n))
    ceiling = f0 + _DIVERGENCE_GROWTH * (abs(f0) + 1.0)
    gnorm = _norm(g)
    status, nit = (STATUS_CONVERGED if gnorm <= tol else STATUS_MAX_ITER), 0
    while status == STATUS_MAX_ITER and nit < max_iter:
        t = nit + 1
        # a built-in schedule's rate comes from the rule itself, also when it
        # has decayed to 0 (no step): only a callable's rate is an override
        eta = _scheduled_rate(schedule, t) if callable(schedule) else None
        rule.step(x, g, state, t, lr=eta)
        f, g = objective(x)
        nit = t
        if not (np.isfinite(f) and np.isfinite(g).all()) or f > ceiling:
            raise DivergenceError(_divergence_message(
                method, t, f, f0, g, rule.learning_rate(t) if eta is None else eta))
        path.append(x.copy())
        losses.append(f)
        gnorm = _norm(g)
        stop = callback is not None and _callback_says_stop(callback(x.copy()))
        if gnorm <= tol:
            status = STATUS_CONVERGED
        elif stop:
            status = STATUS_CALLBACK

    if status == STATUS_CONVERGED:
        message = f"Optimization terminated successfully: gradient norm {gnorm:.3g} <= tol={tol:g}."
    elif status == STATUS_CALLBACK:
        message = f"Stopped by the callback after {nit} iterations (gradient norm {gnorm:.3g})."
    else:
        message = (f"Maximum number of iterations reached (max_iter={max_iter}) with gradient "
                   f"norm {gnorm:.3g} > tol={tol:g}.")
    if objective.finite_differences:
        message += " The gradient was estimated by central finite differences (jac=None)."
    return OptimizeResult(
        x=x, fun=f, jac=g, nit=nit, nfev=objective.nfev, njev=objective.njev,
        status=status, success=status == STATUS_CONVERGED, message=message,
        path=np.array(path), losses=np.array(losses), method=method,
        learning_rate=None if callable(schedule) else float(learning_rate))


def _callback_says_stop(answer):
    """Whether the callback's return value asks to stop: None (a callback
    that returns nothing) does not; otherwise it must be a bool, since an
    array or a string has no clear truth value here."""
    return answer is not None and check_bool(answer, "callback's return value")


def _divergence_message(method, t, f, f0, g, eta):
    if not np.isfinite(f):
        what = f"fun became {f!r}"
    elif not np.isfinite(g).all():
        what = f"the gradient became non-finite (fun = {f:.6g})"
    else:
        what = f"fun grew to {f:.6g}"
    cure = f"Use a smaller learning rate, for example learning_rate={eta / 10:.3g}"
    if f == -np.inf:
        cure += ", or check whether fun is bounded below"
    return (f"minimize with method={method!r} diverged at iteration {t}: {what} "
            f"(fun(x0) = {f0:.6g}) with learning rate {eta:.6g}: the learning rate is "
            f"too large for this function. {cure}.")


def check_grad(fun, jac, x, *, n_directions=10, eps=None, random_state=None):
    """Compare an analytic gradient with central finite differences.

    Along random unit directions ``v`` the directional derivative
    ``(fun(x + h v) - fun(x - h v)) / (2 h)`` is compared with
    ``jac(x) @ v``.  The error of one direction is
    ``|fd - analytic| / max(1, |fd|, |analytic|)``: relative where the
    derivative exceeds 1 in magnitude, absolute below (so that a gradient
    that is zero at a minimum still compares meaningfully).

    Parameters
    ----------
    fun : callable
        ``fun(x) -> float`` for ``x`` of shape (n,).
    jac : callable
        ``jac(x) -> ndarray of shape (n,)``, the gradient to check.
    x : array-like of shape (n,)
        The point at which to check; finite.
    n_directions : int, default=10
        How many random directions to try.
    eps : float, optional
        The finite-difference step ``h``; by default
        ``eps_machine**(1/3) * max(1, ||x||)``, which balances truncation
        and rounding errors (about 1e-10 relative error for smooth functions
        of moderate scale).
    random_state : None, int >= 0, numpy.random.Generator or RandomState
        The source of the directions.

    Returns
    -------
    float
        The largest error over the directions; a correct gradient gives
        well below 1e-6.

    Raises
    ------
    ValueError, TypeError
        On invalid arguments (the message names the argument), or when
        ``fun`` / ``jac`` return something other than a finite scalar / an
        array of the shape of ``x``.
    """
    x = _check_point(x, "x")
    if not callable(fun):
        raise TypeError(f"fun must be callable, got {fun!r}")
    if not callable(jac):
        raise TypeError(f"jac must be callable, got {jac!r}")
    n_directions = int(check_scalar(n_directions, "n_directions", kind=int, low=1))
    h = (_FD_STEP * max(1.0, float(np.linalg.norm(x))) if eps is None
         else float(check_scalar(eps, "eps", low=0.0, low_open=True)))
    # a RandomState is drawn from directly, advancing the caller's own stream
    rng = (random_state if isinstance(random_state, np.random.RandomState)
           else check_random_state(random_state))
    g = _gradient(jac(x.copy()), x.shape[0], "jac")
    if not np.isfinite(g).all():
        raise ValueError(f"jac(x) must be finite, got {g!r}")
    worst = 0.0
    for _ in range(n_directions):
        v = rng.standard_normal(x.shape[0])
        v /= np.linalg.norm(v)
        up = _scalar(fun(x + h * v), "fun")
        down = _scalar(fun(x - h * v), "fun")
        fd = (up - down) / (2.0 * h)
        analytic = float(g @ v)
        err = abs(fd - analytic) / max(1.0, abs(fd), abs(analytic))
        if not np.isfinite(err):
            raise ValueError(f"fun is not finite within {h:g} of x (the finite-difference "
                             "step, set by eps)")
        worst = max(worst, err)
    return worst
