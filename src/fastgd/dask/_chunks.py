"""What runs on the workers: one chunk of rows at a time, through the compiled
kernels.  Nothing here imports Dask; the functions take and return NumPy
arrays (and SciPy CSR chunks), so that the scheduler can run them wherever
the chunk lives and ship back only sums and parameters.

A prepared chunk is a tuple ``(X, Y, sample_weight)``: X validated as the
kernels read it (C-contiguous float32/float64, or CSR with int32 indices),
Y the encoded targets, the weights already scaled by the fit's global
factor (mean one over all rows, as :func:`fastgd._fit.training_weights`
does in memory) or None.
"""
import numpy as np
import scipy.sparse as sp

from .._validation import (check_array, check_target, column_or_1d,
                           encode_known_labels, _check_finite)
from ..kernels import _linear, _mlp, shuffled_order
from ..kernels._interface import (STATUS_OK, available_cpus, column_square_sums, row_square_sums,
                                  rows)

# The target encodings a chunk may need (see _encode_chunk_target).
TARGETS = ("regression", "regression-2d", "index", "column", "onehot", "multilabel")


def _where(index, row0, n):
    return f"chunk {index} (rows {row0} to {row0 + n - 1})" if n else f"chunk {index} (no rows)"


def _in_chunk(exc, index, row0, n):
    """The same error with the chunk's rows named (raised on the worker and
    re-raised unchanged on the client by distributed)."""
    return type(exc)(f"{exc} [in {_where(index, row0, n)}]")


def chunk_labels(y, index, row0):
    """The distinct labels of a chunk of a classifier's y (1-D, or the
    column count of a 2-D indicator), with encode_labels' checks."""
    try:
        arr = np.asarray(y)
        if arr.ndim == 2 and arr.shape[1] > 1:
            if arr.dtype.kind not in "biuf" or not np.isin(arr, (0, 1)).all():
                raise ValueError("a 2-D y must be a multilabel indicator matrix of 0/1 values "
                                 "(multiclass-multioutput targets are not supported)")
            return ("multilabel", arr.shape[1])
        arr = column_or_1d(arr, "y")
        if arr.dtype.kind == "f":
            _check_finite(arr, "y")
            if not np.all(arr == np.round(arr)):
                raise ValueError("Unknown label type: 'continuous'. y holds non-integer "
                                 "numbers; a classifier needs class labels (use a regressor "
                                 "for continuous targets)")
        elif arr.dtype.kind == "c":
            raise ValueError("Complex data not supported in y")
        try:
            return ("labels", np.unique(arr))
        except TypeError as exc:
            raise ValueError(f"Unknown label type: y mixes types that cannot be "
                             f"sorted ({exc})") from None
    except (ValueError, TypeError) as exc:
        raise _in_chunk(exc, index, row0, len(y)) from None


def weight_sum(sample_weight, index, row0, dtype):
    """The chunk's validated sample weights' sum (float64)."""
    try:
        sw = np.asarray(sample_weight)
        if sw.ndim != 1:
            raise ValueError(f"sample_weight must be 1-dimensional, got shape {sw.shape}")
        if sw.dtype.kind not in "biuf":
            raise TypeError(f"sample_weight must hold numbers, got dtype {sw.dtype}")
        sw = np.ascontiguousarray(sw, dtype=dtype)
        _check_finite(sw, "sample_weight")
        if (sw < 0).any():
            raise ValueError("sample_weight must be non-negative")
        return float(np.sum(sw, dtype=np.float64)), float(sw.max(initial=0.0))
    except (ValueError, TypeError) as exc:
        raise _in_chunk(exc, index, row0, len(sample_weight)) from None


def _encode_chunk_target(y, n, dtype, target, classes):
    if target == "regression":
        return check_target(y, n, dtype)
    if target == "regression-2d":
        arr = np.asarray(y)
        if arr.ndim == 1:
            return check_target(arr, n, dtype).reshape(-1, 1)
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"y must hold numbers for regression, got dtype {arr.dtype}")
        Y = check_array(arr, "y", accept_sparse=False, dtype=dtype)
        if Y.shape[0] != n:
            raise ValueError(f"y has {Y.shape[0]} samples but X has {n}")
        return Y
    if target == "multilabel":
        arr = np.asarray(y)
        if arr.ndim != 2 or arr.shape[1] != len(classes):
            raise ValueError(f"y must have shape (n_samples, {len(classes)}) in every chunk")
        if arr.dtype.kind not in "biuf" or not np.isin(arr, (0, 1)).all():
            raise ValueError("a 2-D y must be a multilabel indicator matrix of 0/1 values")
        return np.ascontiguousarray(arr, dtype=dtype)
    index = encode_known_labels(y, classes, n)
    if target == "index":
        return np.ascontiguousarray(index, dtype=dtype)
    if target == "column":
        return np.ascontiguousarray(index.reshape(-1, 1), dtype=dtype)
    Y = np.zeros((n, len(classes)), dtype=dtype)
    Y[np.arange(n), index] = 1.0
    return Y


def prepare(x, y, sample_weight, index, row0, n_features, dtype, target, classes, scale,
            dense_only):
    """Validate and convert one chunk: the in-memory fit's checks, with the
    chunk's rows named in any error; returns (X, Y, sample_weight)."""
    n = x.shape[0]
    try:
        if dense_only and sp.issparse(x):
            raise TypeError("the network does not accept sparse X: the MLP kernels are "
                            "dense only")
        X = check_array(x, "X", accept_sparse=not dense_only, dtype=dtype)
        if X.shape[1] != n_features:
            raise ValueError(f"X has {X.shape[1]} columns in this chunk but {n_features} "
                             "in the array's metadata: every chunk needs the same columns")
        if y is None or len(y) != n:
            raise ValueError(f"y has {0 if y is None else len(y)} rows in this chunk but X "
                             f"has {n}: chunk y like X's rows")
        Y = _encode_chunk_target(y, n, dtype, target, classes)
        sw = None
        if sample_weight is not None:
            # validated by weight_sum; scaled by the global factor of
            # training_weights, with its arithmetic (in X's dtype, times a float)
            sw = np.ascontiguousarray(sample_weight, dtype=dtype)
            if sw.shape != (n,):
                raise ValueError(f"sample_weight has {sw.shape[0]} rows in this chunk but X "
                                 f"has {n}: chunk sample_weight like X's rows")
            sw = np.ascontiguousarray(sw * scale, dtype=dtype)
    except (ValueError, TypeError) as exc:
        raise _in_chunk(exc, index, row0, n) from None
    return X, Y, sw


def summary(chunk):
    """(rows, weight sum, sum_i x_ij^2 of each column) of a prepared chunk:
    what a fit needs of it before any epoch, in the pass that prepares it."""
    X, _, sw = chunk
    n = X.shape[0]
    w = float(n) if sw is None else float(np.sum(sw, dtype=np.float64))
    return n, w, column_square_sums(X)


def take(chunk, local):
    """The rows ``local`` (sorted indices) of a prepared chunk."""
    X, Y, sw = chunk
    X = X[local]
    if not sp.issparse(X):
        X = np.ascontiguousarray(X)
    return X, np.ascontiguousarray(Y[local]), None if sw is None else np.ascontiguousarray(sw[local])


def _weights(chunk):
    X, _, sw = chunk
    return float(X.shape[0]) if sw is None else float(np.sum(sw, dtype=np.float64))


# -- full batch: un-normalized sums ------------------------------------------

def linear_sums(chunk, loss, coef, intercept, n_jobs):
    """(loss sum, weight sum, gradient sum) of a linear model on a chunk: the
    kernel's weighted mean (computed with alpha = 0: the penalty is added
    once, on the client) times the chunk's weight sum."""
    X, y, sw = chunk
    K, d = coef.shape
    grad = np.zeros(K * d + K)
    w = _weights(chunk)
    if X.shape[0] == 0 or w == 0.0:
        return 0.0, 0.0, grad
    data, indices, indptr, _ = rows(X)
    gW, gb = grad[:K * d].reshape(K, d), grad[K * d:]
    mean = _linear.loss_gradient(loss, data, indices, indptr, d, y, sw, coef, intercept, 0.0,
                                 gW, gb, int(n_jobs), available_cpus())
    grad *= w
    return mean * w, w, grad


def mlp_sums(chunk, theta, layer_sizes, activation, output):
    """(loss sum, weight sum, gradient sum) of the network on a chunk."""
    X, Y, sw = chunk
    grad = np.zeros(theta.shape[0])
    w = _weights(chunk)
    if X.shape[0] == 0 or w == 0.0:
        return 0.0, 0.0, grad
    mean = _mlp.loss_gradient(X, Y, theta, grad, layer_sizes, activation, output, 0.0, sw)
    grad *= w
    return mean * w, w, grad


def apply_group(fn, combine, owns, n_chunks, *chunks_then_args):
    """combine(fn(chunk, *own, *args) for each chunk of one task): the
    chunks one worker holds, reduced where they are."""
    chunks, args = chunks_then_args[:n_chunks], chunks_then_args[n_chunks:]
    return combine(*[fn(chunk, *own, *args) for chunk, own in zip(chunks, owns)])


def add(*parts):
    """Sum of (loss, weight, vector) triples: one node of the reduction tree."""
    loss = sum(p[0] for p in parts)
    weight = sum(p[1] for p in parts)
    vector = parts[0][2].copy()
    for p in parts[1:]:
        vector += p[2]
    return loss, weight, vector


# -- stochastic: one epoch per chunk, then the weighted average ----------------

def _order(n, seed):
    return None if seed is None else shuffled_order(n, int(seed))


def linear_epoch(chunk, loss, coef, intercept, state_W, state_b, seed, batch_size, alpha,
                 fit_intercept, rule, t, lr_table):
    """One compiled epoch of a linear model over this chunk's rows, from the
    given parameters and optimizer state; returns the contribution of the
    chunk to the weighted average (see _averaged)."""
    X, y, sw = chunk
    n = X.shape[0]
    w = _weights(chunk)
    if n == 0 or w == 0.0:
        return None
    # copies: tasks on one worker share the arguments they were sent
    coef, intercept = coef.copy(), intercept.copy()
    state_W, state_b = state_W.copy(), state_b.copy()
    data, indices, indptr, d = rows(X)
    loss_sum, weights, t_end, status = _linear.epoch(
        loss, data, indices, indptr, d, y, sw, coef, intercept, _order(n, seed),
        min(int(batch_size), n), float(alpha), bool(fit_intercept), rule, state_W, state_b,
        int(t), lr_table)
    return _averaged(w, loss_sum, weights, t_end - t, status,
                     [coef.reshape(-1), intercept, state_W.reshape(-1), state_b.reshape(-1)])


def mlp_epoch(chunk, theta, state, seed, batch_size, layer_sizes, activation, output, alpha,
              rule, t, lr_table):
    """One compiled epoch of the network over this chunk's rows."""
    X, Y, sw = chunk
    n = X.shape[0]
    w = _weights(chunk)
    if n == 0 or w == 0.0:
        return None
    theta = theta.copy()
    state = None if state is None else state.copy()
    loss_sum, weights, t_end, status = _mlp.epoch(
        X, Y, theta, _order(n, seed), min(int(batch_size), n), layer_sizes, activation, output,
        float(alpha), rule, state, int(t), lr_table, sw)
    vectors = [theta] if state is None else [theta, state.reshape(-1)]
    return _averaged(w, loss_sum, weights, t_end - t, status, vectors)


def _averaged(w, loss_sum, weights, steps, status, vectors):
    """A chunk's part of the epoch: its weight w times each of its
    parameter and state vectors (float64), to be summed and divided by the
    total weight on the client."""
    if status != STATUS_OK:
        return dict(status=status, loss=loss_sum, weights=weights, steps=steps, w=w, sums=None)
    return dict(status=STATUS_OK, loss=loss_sum, weights=weights, steps=steps, w=w,
                sums=[w * np.asarray(v, dtype=np.float64) for v in vectors])


def combine(*parts):
    """Sum the chunks' epoch parts: one node of the reduction tree."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return None
    out = dict(status=max(p["status"] for p in parts), loss=sum(p["loss"] for p in parts),
               weights=sum(p["weights"] for p in parts), steps=max(p["steps"] for p in parts),
               w=sum(p["w"] for p in parts), sums=None)
    if out["status"] == STATUS_OK:
        out["sums"] = [v.copy() for v in parts[0]["sums"]]
        for p in parts[1:]:
            for total, v in zip(out["sums"], p["sums"]):
                total += v
    return out


# -- curvature of the automatic rate ------------------------------------------

def largest(*parts):
    """The largest of the parts (``max`` wants two of them, or an iterable)."""
    return max(parts)


def row_curvature(chunk, fit_intercept):
    """max_i s_i (||x_i||^2 + c) over the chunk (the per-sample smoothness)."""
    X, _, sw = chunk
    if X.shape[0] == 0:
        return 0.0
    s = np.ones(X.shape[0]) if sw is None else sw.astype(np.float64)
    return float(np.max(s * (row_square_sums(X) + float(fit_intercept))))


def gram_apply(chunk, v, c):
    """[X, c]^T S [X, c] v over the chunk, S the (unnormalized) weights."""
    X, _, sw = chunk
    if X.shape[0] == 0:
        return np.zeros_like(v)
    s = np.ones(X.shape[0]) if sw is None else sw.astype(np.float64)
    u = X @ v[:-1] + c * v[-1]
    return np.concatenate([np.asarray(X.T @ (s * u)).ravel(), [c * (s @ u)]])


def hidden_activations(chunk, theta_layers, activation):
    """The last hidden layer's activations [H, 1] with the weights s, for the
    network's output-layer curvature."""
    from ..reference.mlp import g
    X, _, sw = chunk
    A = X.astype(np.float64)
    for W, b in theta_layers:
        A = g(activation, A @ W + b)
    A = np.column_stack([A, np.ones(X.shape[0])])
    s = np.ones(X.shape[0]) if sw is None else sw.astype(np.float64)
    return A, s


# -- held-out scores ------------------------------------------------------------

def score_sums(chunk, kind, model):
    """Sums from which the client forms a held-out score, at the model's
    current parameters: for accuracy (sum s correct, sum s); for R^2, per
    output, (sum s, sum s y, sum s y^2, sum s (y - p)^2)."""
    X, Y, sw = chunk
    s = np.ones(X.shape[0]) if sw is None else sw.astype(np.float64)
    if hasattr(model, "_theta"):
        P = model._outputs(X)
        if kind == "accuracy":
            correct = (P.argmax(axis=1) == Y.argmax(axis=1) if model._output == "softmax"
                       else ((P > 0.5) == (Y > 0.5)).all(axis=1))
    else:
        Z = np.asarray(X @ model._coef.T + model._intercept, dtype=np.float64)
        if model._loss == "squared":
            P = Z[:, 0]
        elif model._loss == "logistic":
            correct = (Z[:, 0] > 0) == Y
        else:
            correct = Z.argmax(axis=1) == Y
    if kind == "accuracy":
        return np.array([float(s @ correct), float(s.sum())])
    Y = np.asarray(Y, dtype=np.float64).reshape(X.shape[0], -1)
    P = np.asarray(P, dtype=np.float64).reshape(Y.shape)
    return np.stack([np.full(Y.shape[1], s.sum()), s @ Y, s @ Y ** 2, s @ (Y - P) ** 2])


def apply_method(block, estimator, method):
    """A fitted estimator's method on one block of rows (prediction)."""
    return getattr(estimator, method)(block)
