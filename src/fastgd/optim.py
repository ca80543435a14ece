"""Update rules and learning-rate schedules, named as in torch.optim.

:func:`make_rule` turns the names a user writes into a compiled
:class:`UpdateRule`, validating every value once; the kernels then read it
without the GIL.  The formulas are torch.optim's (see ``_optim.pxd``).
"""
import numbers

from ._optim import UpdateRule

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


def _check_real(name, value, low=None, high=None, low_open=False, high_open=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value!r}")
    return value


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
    lr = _check_real("learning_rate", learning_rate, low=0.0, low_open=True)
    fields = {}
    if "betas" in params:
        betas = params.pop("betas")
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        fields["beta1"] = _check_real("betas[0]", betas[0], 0.0, 1.0, high_open=True)
        fields["beta2"] = _check_real("betas[1]", betas[1], 0.0, 1.0, high_open=True)
    for name in ("momentum", "dampening", "weight_decay", "lr_decay", "power_t"):
        if name in params:
            fields[name] = _check_real(name, params[name], low=0.0)
    if "rho" in params:
        fields["rho"] = _check_real("rho", params["rho"], 0.0, 1.0, high_open=True)
    if "eps" in params:
        fields["eps"] = _check_real("eps", params["eps"], 0.0, low_open=True)
    if "gamma" in params:
        fields["gamma"] = _check_real("gamma", params["gamma"], 0.0, 1.0, low_open=True)
    if "step_size" in params:
        fields["step_size"] = _check_real("step_size", params["step_size"], 0.0, low_open=True)
    if "nesterov" in params:
        fields["nesterov"] = bool(params["nesterov"])
        if fields["nesterov"] and (fields["momentum"] <= 0 or fields["dampening"] != 0):
            raise ValueError("nesterov momentum requires momentum > 0 and dampening = 0")
    if schedule == "optimal":
        alpha = _check_real("alpha", alpha, 0.0, low_open=True)
        fields["optimal_alpha"] = alpha
        # Bottou's t0 makes the first rate eta: a rate known to be stable
        # (learning_rate='auto' gives 1 / L) rather than a guess about the loss
        fields["optimal_t0"] = 1.0 / (alpha * lr)
    return UpdateRule(kind, lr, schedule=schedule_kind, **fields)
