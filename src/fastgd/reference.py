"""The NumPy reference of every kernel: the same math, written plainly.

This module is the specification.  Each function computes what a compiled
kernel computes, with whole-array NumPy where the math allows and an explicit
Python loop where the algorithm is sequential (SGD); tests and benchmarks
compare the kernels against it.  Functions return new arrays and never modify
their arguments.

Conventions are those of :mod:`fastgd.kernels`: K outputs, ``coef`` (K, d),
``intercept`` (K,), L2 ``alpha / 2 ||W||^2`` never on the intercept, weighted
means ``sum s_i L_i / sum s_i``.
"""
import numpy as np
import scipy.sparse as sp

from ._validation import (check_loss_targets, check_order, check_sample_weight, check_scalar,
                          check_visited_weight)

RULE_SGD, RULE_ADAGRAD, RULE_RMSPROP, RULE_ADAM, RULE_ADAMW = range(5)
SCHEDULE_CONSTANT, SCHEDULE_INVSCALING, SCHEDULE_STEP, SCHEDULE_EXPONENTIAL, SCHEDULE_OPTIMAL = range(5)


def _dense(X):
    return np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)


def _weights(sample_weight, n):
    """Sample weights as the kernels take them (non-negative, finite, not all
    zero); ones when None."""
    if sample_weight is None:
        return np.ones(n)
    return check_sample_weight(sample_weight, n, np.float64)


def sample_losses(loss, Z, y):
    """Per-sample losses L (n,) and their derivatives dL/dz (n, K) at outputs Z (n, K)."""
    Z = np.asarray(Z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    # the same domain as the kernels': a label of -1 would index the last class
    check_loss_targets(y, loss, Z.shape[1])
    if loss == "squared":
        r = Z[:, 0] - y
        return 0.5 * r ** 2, r[:, None]
    if loss == "logistic":
        z = Z[:, 0]
        # log(1 + e^z) - y z, with log(1 + e^z) = logaddexp(0, z) (stable)
        L = np.logaddexp(0.0, z) - y * z
        with np.errstate(over="ignore"):
            p = np.where(z >= 0, 1.0 / (1.0 + np.exp(-np.abs(z))),
                         np.exp(-np.abs(z)) / (1.0 + np.exp(-np.abs(z))))
        return L, (p - y)[:, None]
    if loss == "softmax":
        labels = y.astype(np.intp)
        zmax = Z.max(axis=1, keepdims=True)
        E = np.exp(Z - zmax)
        total = E.sum(axis=1, keepdims=True)
        P = E / total
        lse = zmax[:, 0] + np.log(total[:, 0])
        rows = np.arange(Z.shape[0])
        L = lse - Z[rows, labels]
        dZ = P.copy()
        dZ[rows, labels] -= 1.0
        return L, dZ
    raise ValueError(f"unknown loss {loss!r}")


def loss_gradient(X, y, coef, intercept, loss="squared", alpha=0.0, sample_weight=None):
    """(J, dJ/dW, dJ/db) over all samples: the full-batch objective and gradient."""
    X = _dense(X)
    W = np.asarray(coef, dtype=np.float64)
    b = np.asarray(intercept, dtype=np.float64)
    s = _weights(sample_weight, X.shape[0])
    L, dZ = sample_losses(loss, X @ W.T + b, y)
    S = s.sum()
    J = s @ L / S + 0.5 * alpha * np.sum(W ** 2)
    gW = (dZ * s[:, None]).T @ X / S + alpha * W
    gb = s @ dZ / S
    return J, gW, gb


def scheduled_lr(params, t):
    """Learning rate of update t (1-based) for a rule's fields (UpdateRule.params)."""
    lr, kind = params["lr"], params["schedule"]
    if kind == SCHEDULE_INVSCALING:
        return lr / t ** params["power_t"]
    if kind == SCHEDULE_STEP:
        return lr * params["gamma"] ** np.floor((t - 1) / params["step_size"])
    if kind == SCHEDULE_EXPONENTIAL:
        return lr * params["gamma"] ** (t - 1)
    if kind == SCHEDULE_OPTIMAL:
        return 1.0 / (params["optimal_alpha"] * (params["optimal_t0"] + t - 1))
    return lr


def rule_step(params, p, g, state, t, lr, decay=True):
    """One update by torch.optim's formulas: returns (new p, new state (2, n))."""
    p = np.array(p, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    s0, s1 = np.array(state, dtype=np.float64)
    kind = params["kind"]
    wd = params["weight_decay"] if decay else 0.0
    if kind == RULE_SGD:
        g = g + wd * p
        if params["momentum"] != 0:
            s0 = g.copy() if t <= 1 else params["momentum"] * s0 + (1 - params["dampening"]) * g
            g = g + params["momentum"] * s0 if params["nesterov"] else s0
        p = p - lr * g
    elif kind == RULE_ADAGRAD:
        g = g + wd * p
        s0 = s0 + g * g
        p = p - lr / (1 + (t - 1) * params["lr_decay"]) * g / (np.sqrt(s0) + params["eps"])
    elif kind == RULE_RMSPROP:
        g = g + wd * p
        s0 = params["rho"] * s0 + (1 - params["rho"]) * g * g
        avg = np.sqrt(s0) + params["eps"]
        if params["momentum"] > 0:
            s1 = params["momentum"] * s1 + g / avg
            p = p - lr * s1
        else:
            p = p - lr * g / avg
    else:
        if kind == RULE_ADAMW:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        b1, b2 = params["beta1"], params["beta2"]
        s0 = b1 * s0 + (1 - b1) * g
        s1 = b2 * s1 + (1 - b2) * g * g
        p = p - lr / (1 - b1 ** t) * s0 / (np.sqrt(s1) / np.sqrt(1 - b2 ** t) + params["eps"])
    return p, np.stack([s0, s1])


def epoch(X, y, coef, intercept, rule, loss="squared", alpha=0.0, batch_size=1,
          order=None, fit_intercept=True, sample_weight=None, state_coef=None,
          state_intercept=None, t=0, lr_table=None):
    """One SGD / mini-batch epoch, written as the textbook loop.

    Returns (objective, coef, intercept, state_coef, state_intercept, t): the
    objective is the weighted mean of the losses met before each step plus
    the penalty at the end, as :func:`fastgd.kernels.epoch` reports it.
    ``rule`` is an :class:`~fastgd._optim.UpdateRule` (only its fields are read).
    """
    X = _dense(X)
    params = rule.params
    W = np.array(coef, dtype=np.float64)
    b = np.array(intercept, dtype=np.float64)
    K, d = W.shape
    sW = np.zeros((2, K * d)) if state_coef is None else np.array(state_coef, np.float64)
    sb = np.zeros((2, K)) if state_intercept is None else np.array(state_intercept, np.float64)
    s = _weights(sample_weight, X.shape[0])
    order = check_order(order, X.shape[0])
    check_visited_weight(s, order)
    order = np.arange(X.shape[0]) if order is None else order
    loss_sum = weight_sum = 0.0
    for step, lo in enumerate(range(0, len(order), batch_size)):
        batch = order[lo:lo + batch_size]
        L, dZ = sample_losses(loss, X[batch] @ W.T + b, np.asarray(y, np.float64)[batch])
        loss_sum += s[batch] @ L
        weight_sum += s[batch].sum()
        m = len(batch)
        gW = (dZ * s[batch, None]).T @ X[batch] / m + alpha * W
        gb = s[batch] @ dZ / m
        t += 1
        lr = lr_table[step] if lr_table is not None else scheduled_lr(params, t)
        flat, sW = rule_step(params, W.ravel(), gW.ravel(), sW, t, lr, decay=True)
        W = flat.reshape(K, d)
        if fit_intercept:
            b, sb = rule_step(params, b, gb, sb, t, lr, decay=False)
    objective = loss_sum / weight_sum + 0.5 * alpha * np.sum(W ** 2)
    return objective, W, b, sW, sb, t


def normal_equation(X, y, alpha=0.0, fit_intercept=True, sample_weight=None):
    """The ridge optimum (coef (d,), intercept) of the squared objective,
    by a least-squares solve of the weighted, augmented system."""
    X = _dense(X)
    y = np.asarray(y, np.float64)
    n, d = X.shape
    check_scalar(alpha, "alpha", low=0.0)
    s = _weights(sample_weight, n)
    w = s / s.sum()
    A = np.hstack([X, np.ones((n, 1))]) if fit_intercept else X
    # minimize sum_i w_i (a_i theta - y_i)^2 / 2 + alpha/2 ||theta_W||^2
    reg = np.sqrt(alpha) * np.eye(A.shape[1])[:d]
    M = np.vstack([A * np.sqrt(w)[:, None], reg])
    rhs = np.concatenate([y * np.sqrt(w), np.zeros(d)])
    theta = np.linalg.lstsq(M, rhs, rcond=None)[0]
    return (theta[:d], theta[d]) if fit_intercept else (theta, 0.0)
