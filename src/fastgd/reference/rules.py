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


def state_rows(params):
    """Rows of state a rule keeps (UpdateRule.state_rows): a third for Adam's
    and AdamW's amsgrad maximum, and for centered RMSprop's gradient average
    when the momentum buffer takes the second."""
    kind = params["kind"]
    if kind in (RULE_KINDS["adam"], RULE_KINDS["adamw"]) and params["amsgrad"]:
        return 3
    if kind == RULE_KINDS["rmsprop"] and params["centered"] and params["momentum"] > 0:
        return 3
    return 2


def rule_step(params, p, g, state, t, lr, decay=True):
    """One update by torch.optim's formulas: returns (new p, new state).

    ``state`` has :func:`state_rows` rows (a zeroed state is a fresh one);
    the new state has as many.
    """
    p = np.array(p, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    state = np.array(state, dtype=np.float64)    # the new state, row by row
    if state.shape[0] != state_rows(params):
        raise ValueError(f"state must have the rule's {state_rows(params)} rows, "
                         f"got shape {state.shape}")
    s0, s1 = state[0].copy(), state[1].copy()
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
        if t <= 1:
            # torch's sum starts at initial_accumulator_value
            s0 = s0 + params["initial_accumulator_value"]
        s0 = s0 + g * g
        p = p - lr / (1 + (t - 1) * params["lr_decay"]) * g / (np.sqrt(s0) + params["eps"])
    elif kind == RULE_KINDS["rmsprop"]:
        rho, momentum = params["rho"], params["momentum"]
        g = g + wd * p
        s0 = rho * s0 + (1 - rho) * g * g
        if params["centered"]:
            # the gradient average, in the row after the momentum buffer's
            if momentum > 0:
                state[2] = grad_avg = rho * state[2] + (1 - rho) * g
            else:
                s1 = grad_avg = rho * s1 + (1 - rho) * g
            # a variance: >= 0 but for rounding (where torch's root is NaN)
            avg = np.sqrt(np.maximum(s0 - grad_avg * grad_avg, 0.0)) + params["eps"]
        else:
            avg = np.sqrt(s0) + params["eps"]
        if momentum > 0:
            s1 = momentum * s1 + g / avg
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
        v = s1
        if params["amsgrad"]:
            # the largest second moment so far
            state[2] = v = np.maximum(state[2], s1)
        p = p - lr / (1 - b1 ** t) * s0 / (np.sqrt(v) / np.sqrt(1 - b2 ** t) + params["eps"])
    state[0], state[1] = s0, s1
    return p, state
