"""The NumPy reference of every kernel: the same math, written plainly.

This module is the specification.  Each function computes what a compiled
kernel computes, with whole-array NumPy where the math allows and an explicit
Python loop where the algorithm is sequential (SGD, SAGA); tests and benchmarks
compare the kernels against it.  Functions return new arrays and never modify
their arguments.

Conventions are those of :mod:`fastgd.kernels`: K outputs, ``coef`` (K, d),
``intercept`` (K,), L2 ``alpha / 2 ||W||^2`` never on the intercept, weighted
means ``sum s_i L_i / sum s_i``.
"""
import numpy as np
import scipy.sparse as sp

from .._validation import (check_loss_targets, check_order, check_sample_weight, check_scalar,
                          check_visited_weight)

from .rules import rule_step, scheduled_lr, state_rows


def _dense(X):
    return np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)


def _weights(sample_weight, n):
    """Sample weights as the kernels take them (non-negative, finite, not all
    zero); ones when None."""
    if sample_weight is None:
        return np.ones(n)
    return check_sample_weight(sample_weight, n, np.float64)


def _visits(sample_weight, order, n):
    """An epoch's sample weights and the rows it visits, in order, checked
    as the kernels check them (some visited row must weigh)."""
    s = _weights(sample_weight, n)
    order = check_order(order, n)
    check_visited_weight(s, order)
    return s, np.arange(n) if order is None else order


def sigmoid(z):
    """The logistic function 1 / (1 + e^-z), computed from e^-|z| so that no
    exponential overflows, whatever z."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


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
        return L, (sigmoid(z) - y)[:, None]
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


def epoch(X, y, coef, intercept, rule, loss="squared", alpha=0.0, batch_size=1,
          order=None, fit_intercept=True, sample_weight=None, state_coef=None,
          state_intercept=None, t=0, lr_table=None):
    """One SGD / mini-batch epoch, written as the textbook loop.

    Returns (objective, coef, intercept, state_coef, state_intercept, t): the
    objective is the weighted mean of the losses met before each step plus
    the penalty at the end, as :func:`fastgd.kernels.epoch` reports it.
    ``rule`` is an :class:`~fastgd.optim.UpdateRule` (only its fields are read).
    """
    X = _dense(X)
    params = rule.params
    W = np.array(coef, dtype=np.float64)
    b = np.array(intercept, dtype=np.float64)
    K, d = W.shape
    rows = state_rows(params)
    sW = np.zeros((rows, K * d)) if state_coef is None else np.array(state_coef, np.float64)
    sb = np.zeros((rows, K)) if state_intercept is None else np.array(state_intercept, np.float64)
    s, order = _visits(sample_weight, order, X.shape[0])
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


def saga_epoch(X, y, coef, intercept, table, avg_grad_coef, avg_grad_intercept,
               loss="squared", alpha=0.0, learning_rate=0.01, order=None,
               sample_weight=None, fit_intercept=True):
    """One SAGA epoch (Defazio, Bach and Lacoste-Julien 2014), eagerly, one
    step at a time.

    ``table`` (n_samples, K) holds the last s_i dL/dz of each sample and
    ``avg_grad_coef`` (K, d), ``avg_grad_intercept`` (K,) their averages
    (1/n) sum_i table_i x_i and (1/n) sum_i table_i.  A step on row i with
    rate eta:

        dz = s_i dL/dz(W x_i + b),  D = dz - table_i
        W <- (1 - eta alpha) W - eta (D x_i^T + G)
        b <- b - eta (D + g_b)                    (with fit_intercept)
        G += D x_i^T / n,  g_b += D / n,  table_i = dz

    Run to a fixed point it minimizes (1/n) sum_i s_i L_i + alpha/2 ||W||^2
    (the weighted mean objective when the weights have mean one, as the
    estimators scale them).  Returns (objective, coef, intercept, table,
    avg_grad_coef, avg_grad_intercept); the objective is the weighted mean
    of the losses met before each step plus the penalty at the end, as
    :func:`fastgd.kernels.saga_epoch` reports it.
    """
    X = _dense(X)
    n = X.shape[0]
    y = np.asarray(y, np.float64)
    W = np.array(coef, dtype=np.float64)
    b = np.array(intercept, dtype=np.float64)
    T = np.array(table, dtype=np.float64)
    G = np.array(avg_grad_coef, dtype=np.float64)
    gb = np.array(avg_grad_intercept, dtype=np.float64)
    eta = float(learning_rate)
    s, order = _visits(sample_weight, order, n)
    loss_sum = weight_sum = 0.0
    for i in order:
        x = X[i]
        L, dZ = sample_losses(loss, (W @ x + b)[None, :], y[i:i + 1])
        dz = s[i] * dZ[0]
        loss_sum += s[i] * L[0]
        weight_sum += s[i]
        delta = dz - T[i]
        W = (1.0 - eta * alpha) * W - eta * (np.outer(delta, x) + G)
        if fit_intercept:
            b = b - eta * (delta + gb)
        G = G + np.outer(delta, x) / n
        gb = gb + delta / n
        T[i] = dz
    objective = loss_sum / weight_sum + 0.5 * alpha * np.sum(W ** 2)
    return objective, W, b, T, G, gb


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
