"""The NumPy reference of the update rules and learning-rate schedules.

The specification of ``fastgd/kernels/rules.pxd``: torch.optim's formulas,
written plainly.  ``params`` is :attr:`fastgd.optim.UpdateRule.params`, whose
``kind`` and ``schedule`` are the compiled enums' codes, read here by name.
"""
import numpy as np

from ..kernels.rules import RULE_KINDS, SCHEDULE_KINDS


def scheduled_lr(params, t):
    """Learning rate of update t (1-based) for a rule's fields (UpdateRule.params)."""
    lr, kind = params["lr"], params["schedule"]
    if kind == SCHEDULE_KINDS["invscaling"]:
        return lr / t ** params["power_t"]
    if kind == SCHEDULE_KINDS["step"]:
        return lr * params["gamma"] ** np.floor((t - 1) / params["step_size"])
    if kind == SCHEDULE_KINDS["exponential"]:
        return lr * params["gamma"] ** (t - 1)
    if kind == SCHEDULE_KINDS["optimal"]:
        return 1.0 / (params["optimal_alpha"] * (params["optimal_t0"] + t - 1))
    return lr


def rule_step(params, p, g, state, t, lr, decay=True):
    """One update by torch.optim's formulas: returns (new p, new state (2, n))."""
    p = np.array(p, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    s0, s1 = np.array(state, dtype=np.float64)
    kind = params["kind"]
    wd = params["weight_decay"] if decay else 0.0
    if kind == RULE_KINDS["sgd"]:
        g = g + wd * p
        if params["momentum"] != 0:
            s0 = g.copy() if t <= 1 else params["momentum"] * s0 + (1 - params["dampening"]) * g
            g = g + params["momentum"] * s0 if params["nesterov"] else s0
        p = p - lr * g
    elif kind == RULE_KINDS["adagrad"]:
        g = g + wd * p
        s0 = s0 + g * g
        p = p - lr / (1 + (t - 1) * params["lr_decay"]) * g / (np.sqrt(s0) + params["eps"])
    elif kind == RULE_KINDS["rmsprop"]:
        g = g + wd * p
        s0 = params["rho"] * s0 + (1 - params["rho"]) * g * g
        avg = np.sqrt(s0) + params["eps"]
        if params["momentum"] > 0:
            s1 = params["momentum"] * s1 + g / avg
            p = p - lr * s1
        else:
            p = p - lr * g / avg
    else:
        if kind == RULE_KINDS["adamw"]:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        b1, b2 = params["beta1"], params["beta2"]
        s0 = b1 * s0 + (1 - b1) * g
        s1 = b2 * s1 + (1 - b2) * g * g
        p = p - lr / (1 - b1 ** t) * s0 / (np.sqrt(s1) / np.sqrt(1 - b2 ** t) + params["eps"])
    return p, np.stack([s0, s1])
