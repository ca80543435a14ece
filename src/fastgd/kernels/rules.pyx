# cython: language_level=3
"""Update rules and learning-rate schedules, named as in torch.optim.

Layers: the estimators and fastgd.optim build a rule here once per fit; the
compiled loops (_linear, _mlp) then read its C struct at every step.

:func:`make_rule` turns the names a user writes into a compiled
:class:`UpdateRule`, whose C struct the loops read without the GIL and
without checks; the formulas are in ``rules.pxd``.  The valid values of the
struct's fields are written once, in ``_check_fields``, which both make_rule
and a hand-built UpdateRule go through.  :mod:`fastgd.optim` re-exports the
public names.
"""
import math

import numpy as np

from fastgd.kernels.rules cimport (Rule, UpdateRule, is_plain_sgd, rule_state_rows, rule_step3,
                                   scheduled_lr,
                                   RULE_SGD, RULE_ADAGRAD, RULE_RMSPROP, RULE_ADAM, RULE_ADAMW,
                                   SCHEDULE_CONSTANT, SCHEDULE_INVSCALING, SCHEDULE_STEP,
                                   SCHEDULE_EXPONENTIAL, SCHEDULE_OPTIMAL)
from fastgd._validation import check_bool, check_no_overlap, check_output, check_scalar
from fastgd.kernels._exclusive import writing

# The codes of the compiled enums (rules.pxd), by the names users write; the
# reference (fastgd.reference) reads them from here too.
RULE_KINDS = {"sgd": RULE_SGD, "adagrad": RULE_ADAGRAD, "rmsprop": RULE_RMSPROP,
              "adam": RULE_ADAM, "adamw": RULE_ADAMW}
SCHEDULE_KINDS = {"constant": SCHEDULE_CONSTANT, "invscaling": SCHEDULE_INVSCALING,
                  "step": SCHEDULE_STEP, "exponential": SCHEDULE_EXPONENTIAL,
                  "optimal": SCHEDULE_OPTIMAL}

# name -> (kind, defaults of its hyperparameters, as torch.optim)
_RULES = {
    "sgd": (RULE_SGD, {"momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}),
    "momentum": (RULE_SGD, {"momentum": 0.9, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}),
    "nesterov": (RULE_SGD, {"momentum": 0.9, "dampening": 0.0, "nesterov": True, "weight_decay": 0.0}),
    "adagrad": (RULE_ADAGRAD, {"lr_decay": 0.0, "eps": 1e-10, "weight_decay": 0.0,
                               "initial_accumulator_value": 0.0}),
    "rmsprop": (RULE_RMSPROP, {"rho": 0.99, "eps": 1e-8, "momentum": 0.0, "weight_decay": 0.0,
                               "centered": False}),
    "adam": (RULE_ADAM, {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
                         "amsgrad": False}),
    "adamw": (RULE_ADAMW, {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01,
                           "amsgrad": False}),
}
OPTIMIZERS = tuple(_RULES)

# name -> (kind, defaults of its parameters)
_SCHEDULES = {
    "constant": (SCHEDULE_CONSTANT, {}),
    "invscaling": (SCHEDULE_INVSCALING, {"power_t": 0.5}),
    "step": (SCHEDULE_STEP, {"gamma": 0.1, "step_size": 1000}),
    "exponential": (SCHEDULE_EXPONENTIAL, {"gamma": 0.999}),
    "optimal": (SCHEDULE_OPTIMAL, {}),
    # 'adaptive' runs at constant rate inside an epoch; the estimator divides
    # the rate by 5 between epochs when the objective stops improving.
    "adaptive": (SCHEDULE_CONSTANT, {}),
}
SCHEDULES = tuple(_SCHEDULES)


# The valid values of UpdateRule's fields, written once: make_rule checks them
# under the names its caller wrote (learning_rate, betas[0], alpha) and
# UpdateRule.__init__ checks a hand-built rule under its own argument names,
# since the kernels read the fields without any further check.
# field -> the range given to check_scalar
_POSITIVE = {"low": 0.0, "low_open": True}
_NON_NEGATIVE = {"low": 0.0}
_UNIT_INTERVAL = {"low": 0.0, "high": 1.0, "high_open": True}   # [0, 1)
_FIELD_RANGES = {
    "lr": _POSITIVE,
    "momentum": _NON_NEGATIVE,
    "dampening": _NON_NEGATIVE,
    "beta1": _UNIT_INTERVAL,
    "beta2": _UNIT_INTERVAL,
    "eps": _POSITIVE,
    "rho": _UNIT_INTERVAL,
    "weight_decay": _NON_NEGATIVE,
    "lr_decay": _NON_NEGATIVE,
    "power_t": _NON_NEGATIVE,
    "gamma": {"low": 0.0, "high": 1.0, "low_open": True},        # (0, 1]
    "step_size": _POSITIVE,
    "optimal_alpha": _POSITIVE,
    "optimal_t0": _POSITIVE,
    "initial_accumulator_value": _NON_NEGATIVE,
}
# the fields that are flags: bools (numpy's too), never 0 / 1 or a string
_FLAGS = ("nesterov", "amsgrad", "centered")
# the codes the kernels know (anything else would run as the last branch)
_KIND_CODES = {"kind": sorted(RULE_KINDS.values()),
               "schedule": sorted(SCHEDULE_KINDS.values())}


def _check_fields(fields, names=None):
    """Check the fields of an :class:`UpdateRule` and return them normalized.

    Parameters
    ----------
    fields : dict
        Some or all of UpdateRule's fields: ``kind`` and ``schedule`` (the
        integer codes of ``rules.pxd``), the flags of ``_FLAGS`` (bools) and
        the real hyperparameters of ``_FIELD_RANGES``.
    names : dict, optional
        The name to give a field in an error message, when the caller knows
        it by another (make_rule's ``learning_rate`` is the field ``lr``).

    Returns
    -------
    dict
        The same fields as int, bool and float.

    Raises
    ------
    TypeError, ValueError
        Naming the first field of the wrong type or out of its range.
    """
    names = names or {}
    checked = {}
    for field, value in fields.items():
        name = names.get(field, field)
        if field in _KIND_CODES:
            value = int(check_scalar(value, name, kind=int))
            if value not in _KIND_CODES[field]:
                raise ValueError(f"{name} must be one of the codes {_KIND_CODES[field]}, "
                                 f"got {value!r}")
        elif field in _FLAGS:
            value = check_bool(value, name)
        else:
            value = float(check_scalar(value, name, **_FIELD_RANGES[field]))
        checked[field] = value
    if checked.get("nesterov") and (checked.get("momentum", 0.0) <= 0
                                    or checked.get("dampening", 0.0) != 0):
        raise ValueError("nesterov momentum requires momentum > 0 and dampening = 0")
    return checked


# make_rule's names of the fields it fills from its own arguments
_MAKE_RULE_NAMES = {"lr": "learning_rate", "beta1": "betas[0]", "beta2": "betas[1]",
                    "optimal_alpha": "alpha"}


def rule_keeps_state(rule):
    """Check that ``rule`` is an update rule the kernels can run, and say
    whether it reads and writes state.

    Asked of the rule's compiled fields, which the loops read, and not of an
    attribute a subclass could override (a subclass saying a stateful rule
    keeps no state once led a loop to write Adam's moments through a null
    pointer).

    Parameters
    ----------
    rule : UpdateRule
        The rule a kernel is about to run.

    Returns
    -------
    bool
        Whether the rule reads and writes state (every rule but a plain step
        without weight decay).

    Raises
    ------
    TypeError
        When rule is not an UpdateRule.
    ValueError
        When its learning rate is 0: made by ``__new__`` without its
        constructor.
    """
    if not isinstance(rule, UpdateRule):
        raise TypeError("rule must be an UpdateRule from fastgd.optim.make_rule, "
                        f"got {type(rule).__name__}")
    if not rule.params["lr"] > 0:
        raise ValueError("rule has a learning rate of 0: it was made without its "
                         "constructor; use fastgd.optim.make_rule")
    return UpdateRule.keeps_state.__get__(rule)


def make_rule(optimizer="sgd", learning_rate=0.01, schedule="constant", *,
              alpha=0.0, **hyperparameters):
    """Build a compiled update rule from torch.optim-style names.

    Parameters
    ----------
    optimizer : {'sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw'}
        The update rule.  'momentum' and 'nesterov' are torch's SGD with
        ``momentum=0.9`` (and ``nesterov=True``) by default.
    learning_rate : float
        The base step size eta (torch's ``lr``), > 0.
    schedule : {'constant', 'invscaling', 'step', 'exponential', 'optimal', 'adaptive'}
        How the rate changes with the update count t (1-based):
        eta, eta / t**power_t, eta * gamma**((t-1) // step_size),
        eta * gamma**(t-1), 1 / (alpha (t0 + t - 1)) with t0 = 1 / (alpha eta)
        (Bottou's rate, starting at eta); 'adaptive' is constant
        within an epoch (the estimators divide it by 5 between epochs when
        the objective stops improving).
    alpha : float
        The L2 penalty; only the 'optimal' schedule reads it.
    **hyperparameters
        Those of the rule and the schedule: ``momentum``, ``dampening``,
        ``nesterov``, ``lr_decay``, ``initial_accumulator_value``, ``rho``
        (RMSProp's smoothing constant, torch's ``alpha``), ``centered``,
        ``eps``, ``betas``, ``amsgrad``, ``weight_decay``, ``power_t``,
        ``gamma``, ``step_size``.  ``amsgrad`` (Adam and AdamW) divides by
        the largest second moment seen so far; ``centered`` (RMSprop)
        divides by the root of the gradient's estimated variance instead of
        its mean square; ``initial_accumulator_value`` (Adagrad, >= 0) is
        where its sum of squared gradients starts.  These three are
        torch.optim's options of the same names; amsgrad, and centered with
        momentum, keep a third row of state (:attr:`UpdateRule.state_rows`).

    Returns
    -------
    UpdateRule

    Raises
    ------
    ValueError, TypeError
        Naming the argument (or hyperparameter) of the wrong type or out of
        its range; a flag such as ``nesterov`` must be a bool.
    """
    if not isinstance(optimizer, str) or optimizer not in _RULES:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    if callable(schedule):
        schedule = "constant"   # the caller evaluates a callable per step
    if not isinstance(schedule, str) or schedule not in _SCHEDULES:
        raise ValueError(f"schedule must be one of {SCHEDULES} or a callable, got {schedule!r}")
    kind, defaults = _RULES[optimizer]
    schedule_kind, schedule_defaults = _SCHEDULES[schedule]
    params = {**defaults, **schedule_defaults}
    unknown = set(hyperparameters) - set(params)
    # the schedule parameters of other schedules are accepted and ignored, so
    # an estimator can carry them all as constructor parameters
    unknown -= {"power_t", "gamma", "step_size"}
    if unknown:
        raise TypeError(f"unexpected hyperparameters for optimizer={optimizer!r}: "
                        f"{sorted(unknown)}; it takes {sorted(params)}")
    params.update({k: v for k, v in hyperparameters.items() if v is not None})
    fields = {"lr": learning_rate}
    if "betas" in params:
        betas = params.pop("betas")
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        fields["beta1"], fields["beta2"] = betas
    fields.update(params)
    if schedule == "optimal":
        fields["optimal_alpha"] = alpha
    fields = _check_fields(fields, _MAKE_RULE_NAMES)
    lr = fields.pop("lr")
    if schedule == "optimal":
        # Bottou's t0 makes the first rate eta: a rate known to be stable
        # (learning_rate='auto' gives 1 / L) rather than a guess about the loss
        product = fields["optimal_alpha"] * lr
        t0 = 1.0 / product if product > 0 else math.inf
        if not 0 < t0 < math.inf:
            # alpha * learning_rate under- or overflowed: the kernels would
            # divide by alpha * (t0 + t - 1) = 0, or run at rate 1 / (alpha t)
            raise ValueError(f"alpha * learning_rate = {fields['optimal_alpha']!r} * {lr!r} is "
                             "out of range for schedule='optimal': t0 = 1 / (alpha "
                             "learning_rate) must be a finite positive number")
        fields["optimal_t0"] = t0
    return UpdateRule(kind, lr, schedule=schedule_kind, **fields)


cdef class UpdateRule:
    """A compiled update rule with its learning-rate schedule.

    Usually built by :func:`fastgd.optim.make_rule` from torch.optim-style
    names; the kernels read its C struct without the GIL and without any
    further check, so a rule built by hand is checked here by the same rules
    as make_rule's (``_check_fields``).

    Parameters
    ----------
    kind : int
        The update rule's code in ``rules.pxd``: 0 SGD, 1 Adagrad,
        2 RMSprop, 3 Adam, 4 AdamW.
    lr : float
        The base learning rate, > 0.
    momentum, dampening, weight_decay, lr_decay, power_t : float
        >= 0.
    nesterov : bool
        Nesterov momentum; needs momentum > 0 and dampening = 0.
    beta1, beta2, rho : float
        In [0, 1).
    eps, step_size, optimal_alpha, optimal_t0 : float
        > 0.
    schedule : int
        The schedule's code: 0 constant, 1 invscaling, 2 step,
        3 exponential, 4 optimal.
    gamma : float
        In (0, 1].
    amsgrad : bool
        Adam's and AdamW's AMSGrad variant: the step divides by the largest
        second moment estimate so far (a third row of state).
    centered : bool
        RMSprop divides by the root of the gradient's variance estimate
        (the square average less the squared gradient average).
    initial_accumulator_value : float
        >= 0: where Adagrad's sum of squared gradients starts.

    Raises
    ------
    TypeError, ValueError
        Naming the argument of the wrong type or out of its range.
    """

    def __init__(self, kind, lr, *, momentum=0.0, dampening=0.0, nesterov=False,
                 beta1=0.9, beta2=0.999, eps=1e-8, rho=0.99, weight_decay=0.0,
                 lr_decay=0.0, schedule=0, power_t=0.5, gamma=1.0, step_size=1.0,
                 optimal_alpha=1.0, optimal_t0=1.0, amsgrad=False, centered=False,
                 initial_accumulator_value=0.0):
        self.c = _check_fields(dict(
            kind=kind, lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
            beta1=beta1, beta2=beta2, eps=eps, rho=rho, weight_decay=weight_decay,
            lr_decay=lr_decay, schedule=schedule, power_t=power_t, gamma=gamma,
            step_size=step_size, optimal_alpha=optimal_alpha, optimal_t0=optimal_t0,
            amsgrad=amsgrad, centered=centered,
            initial_accumulator_value=initial_accumulator_value))

    @property
    def params(self):
        """The rule's fields as a dict (for repr, tests and
        fastgd.optim.rule_keeps_state)."""
        return dict(self.c)

    @property
    def keeps_state(self):
        """Whether the rule reads and writes state (momentum, moments): every
        rule but a plain step without weight decay."""
        return not is_plain_sgd(&self.c)

    @property
    def state_rows(self):
        """The rows of the state arrays the rule reads and writes, each of
        one value per parameter: 3 for Adam and AdamW with ``amsgrad`` and
        for RMSprop ``centered`` with momentum, 2 for every other rule."""
        return rule_state_rows(&self.c)

    def __reduce__(self):
        c = dict(self.c)
        kind, lr = c.pop("kind"), c.pop("lr")
        return (_rebuild_rule, (kind, lr, c))

    def learning_rate(self, t):
        """The scheduled learning rate of update number ``t`` (a real >= 1)."""
        return scheduled_lr(&self.c, _check_t(t))

    def step(self, params, grad, state, t, decay=True, lr=None):
        """Apply one update to ``params`` in place.

        Parameters
        ----------
        params : ndarray of shape (n,), float64 or float32
            C-contiguous and writeable: updated in place.
        grad : ndarray of shape (n,), float64
            C-contiguous; only read.
        state : ndarray of shape (state_rows, n), float64
            The rule's state (momentum buffer, moment estimates), C-contiguous
            and writeable: updated in place.  ``state_rows`` is 2, or 3 for
            the rules that keep a third row (:attr:`state_rows`).
        t : float
            The 1-based number of this update (torch's ``step``), >= 1.
        decay : bool, default=True
            Whether ``weight_decay`` applies to these parameters.
        lr : float, optional
            A learning rate > 0 to use instead of the scheduled one.

        Raises
        ------
        TypeError, ValueError
            Naming the argument of the wrong type, dtype, shape or layout,
            out of range, or sharing memory with another.
        """
        # The compiled step has no bounds checks: every argument is checked
        # here, in O(1) (the estimators' full-batch path calls this per epoch).
        cdef double[::1] p64
        cdef float[::1] p32
        cdef const double[::1] g
        cdef double[:, ::1] s
        cdef double eta, step_t = _check_t(t)
        cdef bint apply_decay = check_bool(decay, "decay")
        cdef Py_ssize_t n = _check_step_arrays(params, grad, state, rule_state_rows(&self.c))
        eta = (scheduled_lr(&self.c, step_t) if lr is None
               else check_scalar(lr, "lr", low=0.0, low_open=True))
        if n == 0:
            return
        g = grad
        s = state
        cdef double* s2 = &s[2, 0] if s.shape[0] > 2 else NULL
        with writing(params, state):
            if params.dtype == np.float32:
                p32 = params
                with nogil:
                    rule_step3(&self.c, eta, step_t, &p32[0], &g[0], &s[0, 0], &s[1, 0], s2, n,
                               apply_decay)
            else:
                p64 = params
                with nogil:
                    rule_step3(&self.c, eta, step_t, &p64[0], &g[0], &s[0, 0], &s[1, 0], s2, n,
                               apply_decay)


def _check_t(t):
    """The update number: a finite real >= 1 (the schedules and Adam's bias
    correction are undefined, or NaN, at t <= 0)."""
    return float(check_scalar(t, "t", low=1.0))


def _check_array(array, name, dtypes):
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(array).__name__}")
    if array.dtype not in dtypes:
        raise TypeError(f"{name} must have dtype "
                        f"{' or '.join(np.dtype(d).name for d in dtypes)}, got {array.dtype}")


def _check_step_arrays(params, grad, state, rows):
    """Check the arrays of :meth:`UpdateRule.step` and return n, their length.

    Each must have the dtype, shape and layout the typed loop reads (state
    ``rows`` rows, the rule's), and the arrays it writes (params, state)
    must not share memory with another.
    """
    _check_array(params, "params", (np.float64, np.float32))
    _check_array(grad, "grad", (np.float64,))
    _check_array(state, "state", (np.float64,))
    if params.ndim != 1:
        raise ValueError(f"params must be 1-dimensional, got shape {params.shape}")
    n = params.shape[0]
    if grad.shape != (n,) or state.shape[1:] != (n,):
        raise ValueError(f"grad and state must match params: got params {n}, "
                         f"grad {grad.shape}, state {state.shape}")
    check_output(params, "params", (n,), params.dtype)
    _check_state_rows(state, "state", rows)
    check_output(state, "state", (rows, n), np.float64)
    if not grad.flags.c_contiguous:
        raise ValueError("grad must be C-contiguous")
    check_no_overlap([("params", params), ("state", state)], [("grad", grad)])
    return n


def _check_state_rows(state, name, rows):
    """Say why a state array of the wrong number of rows is refused: the
    compiled step indexes the rows the rule keeps without bounds checks."""
    if isinstance(state, np.ndarray) and state.ndim == 2 and state.shape[0] != rows:
        raise ValueError(f"{name} must have {rows} rows for this update rule (its "
                         f"state_rows), got shape {state.shape}: amsgrad, and centered "
                         "with momentum, keep a third row")


def state_shape(rule, n):
    """The shape of the state ``rule`` reads and writes for ``n`` parameters.

    Asked of the rule's compiled fields, as :func:`rule_keeps_state` does.

    Parameters
    ----------
    rule : UpdateRule or None
        None: no rule in particular, the two rows every rule without a
        third slot needs.
    n : int
        The number of parameters.

    Returns
    -------
    tuple
        ``(rule.state_rows, n)``.
    """
    if rule is None:
        return (2, n)
    rule_keeps_state(rule)
    return (UpdateRule.state_rows.__get__(rule), n)


def check_state(state, name, rule, n):
    """Check a caller's state array for ``rule`` and ``n`` parameters, before
    any kernel runs: float64, C-contiguous and writeable, of
    :func:`state_shape`.

    Raises
    ------
    TypeError, ValueError
        Naming the argument ``name``.
    """
    shape = state_shape(rule, n)
    _check_state_rows(state, name, shape[0])
    return check_output(state, name, shape, np.float64)


def _rebuild_rule(kind, lr, fields):
    return UpdateRule(kind, lr, **fields)
