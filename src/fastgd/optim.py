"""Update rules and learning-rate schedules, named as in torch.optim.

:func:`make_rule` turns the names a user writes into a compiled
:class:`UpdateRule`; the kernels then read it without the GIL and without
checks.  The valid values of its fields are written once, in
``_check_fields``, which both make_rule and a hand-built UpdateRule go
through.  The formulas are torch.optim's (see ``_optim.pxd``).
"""
import math

from ._optim import UpdateRule
from ._validation import check_bool, check_scalar

# name -> (kind in _optim.pxd, defaults of its hyperparameters, as torch.optim)
_RULES = {
    "sgd": (0, {"momentum": 0.0, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}),
    "momentum": (0, {"momentum": 0.9, "dampening": 0.0, "nesterov": False, "weight_decay": 0.0}),
    "nesterov": (0, {"momentum": 0.9, "dampening": 0.0, "nesterov": True, "weight_decay": 0.0}),
    "adagrad": (1, {"lr_decay": 0.0, "eps": 1e-10, "weight_decay": 0.0}),
    "rmsprop": (2, {"rho": 0.99, "eps": 1e-8, "momentum": 0.0, "weight_decay": 0.0}),
    "adam": (3, {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0}),
    "adamw": (4, {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01}),
}
OPTIMIZERS = tuple(_RULES)

# name -> (kind in _optim.pxd, defaults of its parameters)
_SCHEDULES = {
    "constant": (0, {}),
    "invscaling": (1, {"power_t": 0.5}),
    "step": (2, {"gamma": 0.1, "step_size": 1000}),
    "exponential": (3, {"gamma": 0.999}),
    "optimal": (4, {}),
    # 'adaptive' runs at constant rate inside an epoch; the estimator divides
    # the rate by 5 between epochs when the objective stops improving.
    "adaptive": (0, {}),
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
}
# the codes the kernels know (anything else would run as the last branch)
_KIND_CODES = {"kind": sorted({code for code, _ in _RULES.values()}),
               "schedule": sorted({code for code, _ in _SCHEDULES.values()})}


def _check_fields(fields, names=None):
    """Check the fields of an :class:`UpdateRule` and return them normalized.

    Parameters
    ----------
    fields : dict
        Some or all of UpdateRule's fields: ``kind`` and ``schedule`` (the
        integer codes of ``_optim.pxd``), ``nesterov`` (a bool) and the real
        hyperparameters of ``_FIELD_RANGES``.
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
        elif field == "nesterov":
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
        ``nesterov``, ``lr_decay``, ``rho`` (RMSProp's smoothing constant,
        torch's ``alpha``), ``eps``, ``betas``, ``weight_decay``,
        ``power_t``, ``gamma``, ``step_size``.

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
