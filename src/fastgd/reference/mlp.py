"""The NumPy reference of the neural-network kernels: the textbook's
backpropagation, one sample at a time.

This module is the specification of :mod:`fastgd.kernels.mlp`.  It follows
the course notes literally: for each sample, a forward pass
a^(0) = x, z^(l) = a^(l-1) W_l + b_l, a^(l) = g(z^(l)); the output error
delta^(L) = a^(L) - y (the canonical link of each output); backpropagation
delta^(l) = (delta^(l+1) W_{l+1}^T) * g'(z^(l)); and the accumulation
Delta_l += a^(l-1)^T delta^(l).  Everything is computed in float64 and new
arrays are returned; arguments are never modified.

Parameters are one flat vector ``theta``: the weight matrices W_l of shapes
(n_{l-1}, n_l), row-major, in layer order, then the biases b_l.  The
objective is J = sum_i s_i L_i / sum_i s_i + alpha / 2 sum_l ||W_l||^2.
"""
import numpy as np

from .linear import _visits, _weights, sigmoid
from .rules import rule_step, scheduled_lr, state_rows


def _unpack(theta, layer_sizes):
    """Lists of W_l (n_{l-1}, n_l) and b_l (n_l,) as float64 copies."""
    theta = np.asarray(theta, dtype=np.float64)
    sizes = list(layer_sizes)
    n_params = sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) + sum(sizes[1:])
    if theta.shape != (n_params,):
        raise ValueError(f"theta must have shape ({n_params},) for layer_sizes {tuple(sizes)}, "
                         f"got {theta.shape}")
    Ws, bs, pos = [], [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        Ws.append(theta[pos:pos + n_in * n_out].reshape(n_in, n_out).copy())
        pos += n_in * n_out
    for n_out in sizes[1:]:
        bs.append(theta[pos:pos + n_out].copy())
        pos += n_out
    return Ws, bs


def g(activation, z):
    """The hidden activation."""
    if activation == "sigmoid":
        return sigmoid(z)
    if activation == "tanh":
        return np.tanh(z)
    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "identity":
        return z.copy()
    raise ValueError(f"unknown activation {activation!r}")


def g_prime(activation, z):
    """Its derivative at z (0 for relu at z = 0)."""
    if activation == "sigmoid":
        s = sigmoid(z)
        return s * (1.0 - s)
    if activation == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if activation == "relu":
        return (z > 0).astype(np.float64)
    if activation == "identity":
        return np.ones_like(z)
    raise ValueError(f"unknown activation {activation!r}")


def h(output, z):
    """The output function of one sample's z^(L)."""
    if output == "identity":
        return z.copy()
    if output == "logistic":
        return sigmoid(z)
    if output == "softmax":
        e = np.exp(z - z.max())
        return e / e.sum()
    raise ValueError(f"unknown output {output!r}")


def sample_loss(output, z, y):
    """The loss of one sample with output pre-activations z and target y."""
    if output == "identity":
        return 0.5 * np.sum((z - y) ** 2)
    if output == "logistic":
        # -[y log h + (1-y) log(1-h)] with log h = -log(1 + e^-z), log(1-h) = -log(1 + e^z)
        return np.sum(y * np.logaddexp(0.0, -z) + (1.0 - y) * np.logaddexp(0.0, z))
    if output == "softmax":
        log_p = z - (z.max() + np.log(np.sum(np.exp(z - z.max()))))
        return -np.sum(y * log_p)
    raise ValueError(f"unknown output {output!r}")


def forward_sample(x, Ws, bs, activation):
    """(zs, activations) of one sample: zs[l-1] = z^(l), activations[l] = a^(l),
    the last activation left as z^(L) (the output function is the caller's)."""
    a, zs, acts = x, [], [x]
    for l, (W, b) in enumerate(zip(Ws, bs), start=1):
        z = a @ W + b
        zs.append(z)
        a = g(activation, z) if l < len(Ws) else z
        acts.append(a)
    return zs, acts


def predict(X, theta, layer_sizes, activation="relu", output="identity"):
    """h(x) for every row of X: (n, K) float64."""
    X = np.asarray(X, dtype=np.float64)
    Ws, bs = _unpack(theta, layer_sizes)
    out = np.empty((X.shape[0], layer_sizes[-1]))
    for i, x in enumerate(X):
        zs, _ = forward_sample(x, Ws, bs, activation)
        out[i] = h(output, zs[-1])
    return out


def _accumulate(X, Y, s, rows, Ws, bs, activation, output):
    """sum_i s_i L_i, and the Deltas sum_i s_i dL_i/dW_l, dL_i/db_l over rows."""
    dWs = [np.zeros_like(W) for W in Ws]
    dbs = [np.zeros_like(b) for b in bs]
    loss = 0.0
    L = len(Ws)
    for i in rows:
        zs, acts = forward_sample(X[i], Ws, bs, activation)
        loss += s[i] * sample_loss(output, zs[-1], Y[i])
        delta = s[i] * (h(output, zs[-1]) - Y[i])
        for l in range(L, 0, -1):           # layer l has weights Ws[l-1]
            dWs[l - 1] += np.outer(acts[l - 1], delta)
            dbs[l - 1] += delta
            if l > 1:
                delta = (delta @ Ws[l - 1].T) * g_prime(activation, zs[l - 2])
    return loss, dWs, dbs


def _flat(dWs, dbs):
    return np.concatenate([d.ravel() for d in dWs] + [d.ravel() for d in dbs])


def loss_gradient(X, Y, theta, layer_sizes, activation="relu", output="identity",
                  alpha=0.0, sample_weight=None):
    """(J, gradient): the full-batch objective and its gradient, in the layout
    of theta, by per-sample backpropagation."""
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    n = X.shape[0]
    s = _weights(sample_weight, n)
    Ws, bs = _unpack(theta, layer_sizes)
    loss, dWs, dbs = _accumulate(X, Y, s, range(n), Ws, bs, activation, output)
    S = s.sum()
    J = loss / S + 0.5 * alpha * sum(np.sum(W ** 2) for W in Ws)
    grad = _flat([dW / S + alpha * W for dW, W in zip(dWs, Ws)], [db / S for db in dbs])
    return J, grad


def epoch(X, Y, theta, layer_sizes, rule, activation="relu", output="identity",
          alpha=0.0, batch_size=1, order=None, sample_weight=None, state=None,
          t=0, lr_table=None):
    """One SGD / mini-batch epoch as the textbook loop.

    Returns (objective, theta, state, t): the objective is the weighted mean
    of the losses met before each step plus the penalty at the end, as
    :func:`fastgd.kernels.mlp.epoch` reports it; ``state`` is (state_rows, n_params)
    (:func:`fastgd.reference.rules.state_rows`).
    ``rule`` is an :class:`~fastgd.optim.UpdateRule` (only its fields are read).
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    params = rule.params
    theta = np.array(theta, dtype=np.float64)
    n_weights = sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
    state = (np.zeros((state_rows(params), theta.size)) if state is None
             else np.array(state, np.float64))
    s, order = _visits(sample_weight, order, X.shape[0])
    loss_sum = weight_sum = 0.0
    for step, lo in enumerate(range(0, len(order), batch_size)):
        batch = order[lo:lo + batch_size]
        Ws, bs = _unpack(theta, layer_sizes)
        loss, dWs, dbs = _accumulate(X, Y, s, batch, Ws, bs, activation, output)
        loss_sum += loss
        weight_sum += s[batch].sum()
        m = len(batch)
        grad = _flat([dW / m + alpha * W for dW, W in zip(dWs, Ws)], [db / m for db in dbs])
        t += 1
        lr = lr_table[step] if lr_table is not None else scheduled_lr(params, t)
        w, sw = rule_step(params, theta[:n_weights], grad[:n_weights],
                          state[:, :n_weights], t, lr, decay=True)
        b, sb = rule_step(params, theta[n_weights:], grad[n_weights:],
                          state[:, n_weights:], t, lr, decay=False)
        theta = np.concatenate([w, b])
        state = np.concatenate([sw, sb], axis=1)
    objective = loss_sum / weight_sum + 0.5 * alpha * np.sum(theta[:n_weights] ** 2)
    return objective, theta, state, t
