"""The compiled plain-SGD epoch of SGDClassifier and SGDRegressor, for
callers who own the buffers.

scikit-learn's ``_plain_sgd`` step (see ``fastgd/kernels/_sgd.pyx``) on one
binary or regression problem: a :class:`PlainSGDState` holds the weights
and what a fit carries between epochs, and each :func:`plain_sgd_epoch`
call advances it in place, without the GIL.
:func:`fastgd.reference.sgd.plain_sgd_epoch` is the specification.

Examples
--------
>>> import numpy as np
>>> from fastgd import kernels
>>> X = np.array([[1.0, 0.0], [0.0, 1.0]]); y = np.array([1.0, -1.0])
>>> state = kernels.PlainSGDState(np.zeros(2), eta0=0.1)
>>> for _ in range(3):
...     _ = kernels.plain_sgd_epoch(X, y, state, loss="hinge", learning_rate="constant",
...                                 eta0=0.1, alpha=0.0, penalty=None)
>>> state.weights
array([ 0.3, -0.3])
"""
import numbers

import numpy as np

from . import _sgd
from ._interface import STATUS_OK, rows
from .._validation import (check_array, check_bool, check_consistent_length, check_order,
                           check_sample_weight, check_scalar)

LOSSES = tuple(_sgd.LOSSES)
PENALTIES = tuple(_sgd.PENALTIES)
SCHEDULES = tuple(_sgd.SCHEDULES)
_SLOT = _sgd.STATE
# the penalties whose epochs keep a record q of the L1 penalty each weight received
_PENALTIES_L1 = (_sgd.PENALTIES["l1"], _sgd.PENALTIES["elasticnet"])
# CSR epochs interleave the weights from this many non-zeros a feature on:
# the copies in and out cost about what a few scattered reads save
_INTERLEAVE_NNZ_PER_FEATURE = 4


class PlainSGDState:
    """The weights of one problem and the scalars a fit carries from epoch
    to epoch: the scale of the weights, the cumulative L1 penalty, the
    averages, the step count and the rate.

    Parameters
    ----------
    coef : array-like of shape (n_features,)
        Initial weights (copied).
    intercept : float, default 0
    average_coef : array-like of shape (n_features,) or None
        Initial averaged weights; None trains without an average.
    average_intercept : float, default 0
    t : float, default 1
        The step count to start from (scikit-learn's ``t_``).
    eta0 : float, default 0.01
        The rate of the 'constant' and 'adaptive' schedules.

    Attributes
    ----------
    weights, average_weights : ndarray
        The current weights (and their average), computed from the lazily
        scaled storage.
    intercept, average_intercept, t, eta : float
    """

    SLOTS = _SLOT       # the place of each scalar in ``scalars``

    def __init__(self, coef, intercept=0.0, *, average_coef=None, average_intercept=0.0,
                 t=1.0, eta0=0.01):
        v = np.array(coef, dtype=np.float64).reshape(-1)
        if not np.isfinite(v).all():
            raise ValueError("coef must be finite")
        self.v = v
        self.aw = (None if average_coef is None
                   else np.array(average_coef, dtype=np.float64).reshape(-1))
        if self.aw is not None and self.aw.shape != v.shape:
            raise ValueError(f"average_coef has shape {self.aw.shape}, coef {v.shape}")
        self.q = np.zeros_like(v)
        self.scalars = np.zeros(_sgd.STATE_SIZE)
        self.scalars[_SLOT["wscale"]] = 1.0
        if v.any():     # zero weights (a fresh fit's) have zero norms, exactly
            self.scalars[_SLOT["sq_norm"]] = v @ v
            self.scalars[_SLOT["l1_norm"]] = np.abs(v).sum()
        self.scalars[_SLOT["avg_b"]] = 1.0
        self.scalars[_SLOT["intercept"]] = check_scalar(intercept, "intercept")
        self.scalars[_SLOT["avg_intercept"]] = check_scalar(average_intercept,
                                                            "average_intercept")
        self.scalars[_SLOT["t"]] = check_scalar(t, "t", low=1.0)
        self.scalars[_SLOT["eta"]] = check_scalar(eta0, "eta0", low=0.0, low_open=True)

    intercept = property(lambda self: float(self.scalars[_SLOT["intercept"]]))
    average_intercept = property(lambda self: float(self.scalars[_SLOT["avg_intercept"]]))
    t = property(lambda self: float(self.scalars[_SLOT["t"]]))
    eta = property(lambda self: float(self.scalars[_SLOT["eta"]]))

    @property
    def weights(self):
        return self.v * self.scalars[_SLOT["wscale"]]

    @property
    def average_weights(self):
        if self.aw is None:
            return None
        return (self.aw + self.scalars[_SLOT["avg_a"]] * self.v) / self.scalars[_SLOT["avg_b"]]

    def as_dict(self):
        """The state as :func:`fastgd.reference.sgd.plain_sgd_epoch` takes it."""
        d = {name: float(self.scalars[slot]) for name, slot in _SLOT.items()}
        d.update(v=self.v.copy(), aw=None if self.aw is None else self.aw.copy(),
                 q=self.q.copy())
        return d

    def fold(self):
        """Multiply the scale into the stored weights (and bring the stored
        average up to date), as at the end of a fit; the state means the same."""
        _sgd.sgd_fold_scale(self.v, self.aw, self.scalars)

    def epoch(self, X, y, sample_weight, order, skip, **config):
        """One epoch on validated input: what the estimators call.

        With CSR rows and an L1 penalty (l1, elasticnet) or averaging, the
        epoch runs on v, q (with L1) and aw (averaging) interleaved in one
        buffer, weight j of each side by side, copied in and back out: a
        step then reads each of its row's scattered features from one cache
        line instead of two or three,
        for two copies of O(n_features) an epoch (made only when X holds
        at least _INTERLEAVE_NNZ_PER_FEATURE non-zeros a feature).

        Parameters
        ----------
        X : ndarray or CSR matrix
            As ``rows`` takes it (float32 or float64).
        y, sample_weight : float64 ndarray
        order, skip : ndarray or None
            As :func:`fastgd.kernels._sgd.sgd_epoch` takes them.
        **config
            From :func:`plain_sgd_config`.

        Returns
        -------
        (sum of losses, sum of losses and penalties, status)
        """
        data, indices, indptr, d = rows(X)
        l1 = config["penalty"] in _PENALTIES_L1
        # asked of L1 steps only, which alone read it (a scan of the indices,
        # which scipy then keeps on the matrix)
        distinct = l1 and indptr is not None and X.has_canonical_format
        config = dict(config, distinct_rows=distinct)
        if (indptr is None or not (l1 or self.aw is not None)
                or data.shape[0] < _INTERLEAVE_NNZ_PER_FEATURE * d):
            return _sgd.sgd_epoch(data, indices, indptr, d, y, sample_weight, order, skip,
                                  self.v, self.aw, self.q, self.scalars, **config)
        parts = [self.v] + ([self.q] if l1 else []) + ([self.aw] if self.aw is not None else [])
        stride = len(parts)
        # made for each epoch: a buffer kept would hold K of them in a
        # one-vs-rest fit
        records = np.empty((d, stride))
        for k, part in enumerate(parts):
            records[:, k] = part
        flat = records.reshape(-1)
        try:
            # without L1 the epoch never reads q
            return _sgd.sgd_epoch(data, indices, indptr, d, y, sample_weight, order, skip,
                                  flat, flat[stride - 1:] if self.aw is not None else None,
                                  flat[1:] if l1 else self.q, self.scalars, stride=stride,
                                  **config)
        finally:
            # also after Ctrl-C: the state is where the epoch stopped
            for k, part in enumerate(parts):
                part[...] = records[:, k]


def optimal_init(loss, loss_param, alpha):
    """scikit-learn's t0 of the 'optimal' schedule (Bottou's heuristic): the
    first rate is typw / max(1, dL/dp(1, -typw)) with typw = alpha^(-1/4)."""
    typw = np.sqrt(1.0 / np.sqrt(alpha))
    initial_eta0 = typw / max(1.0, _sgd.loss_dloss(_sgd.LOSSES[loss], loss_param, 1.0, -typw)[1])
    return 1.0 / (initial_eta0 * alpha)


def plain_sgd_config(*, loss="hinge", loss_param=1.0, penalty="l2", alpha=1e-4, l1_ratio=0.15,
                     learning_rate="optimal", eta0=0.01, power_t=0.5, fit_intercept=True,
                     intercept_decay=1.0, average=0, weight_pos=1.0, weight_neg=1.0,
                     objective=True, ordered=True):
    """The keyword arguments of the compiled epoch for these settings."""
    return dict(loss=_sgd.LOSSES[loss], loss_param=float(loss_param),
                penalty=_sgd.PENALTIES[penalty], alpha=float(alpha),
                l1_ratio=float(l1_ratio), schedule=_sgd.SCHEDULES[learning_rate],
                eta0=float(eta0), power_t=float(power_t),
                optimal_init=(optimal_init(loss, loss_param, alpha)
                              if learning_rate == "optimal" else 0.0),
                fit_intercept=bool(fit_intercept), intercept_decay=float(intercept_decay),
                average=float(average), weight_pos=float(weight_pos),
                weight_neg=float(weight_neg), objective=bool(objective), ordered=bool(ordered))


def plain_sgd_epoch(X, y, state, *, loss="hinge", loss_param=1.0, penalty="l2", alpha=1e-4,
                    l1_ratio=0.15, learning_rate="optimal", eta0=0.01, power_t=0.5,
                    fit_intercept=True, intercept_decay=1.0, average=0, weight_pos=1.0,
                    weight_neg=1.0, sample_weight=None, order=None, skip=None):
    """One epoch of scikit-learn's plain SGD on one problem, updating
    ``state`` in place.

    Each visited row x with target y and weight s takes the step::

        p = w . x + b;  eta from the schedule at t
        update = -eta s c(y) clip(dL/dp(y, p), -1e12, 1e12)
        w *= max(0, 1 - (1 - l1_ratio) eta alpha)            (l2, elasticnet)
        w += update x;  b += update intercept_decay            (fit_intercept)
        average updated                                        (t >= average > 0)
        truncated L1 step on x's features                      (l1, elasticnet)
        t += 1

    with c(y) = weight_pos for y > 0, else weight_neg; 'pa1' and 'pa2' take
    the passive-aggressive step instead (Crammer et al. 2006)::

        update = s c(y) sign min(eta0, L(y, p) / ||x||^2)          ('pa1')
        update = s c(y) sign L(y, p) / (||x||^2 + 1 / (2 eta0))    ('pa2')

    with sign = y for the hinge loss, else that of y - p, the L2 and L1
    penalties at eta = eta0, and rows with ||x|| = 0 skipped by 'pa1'
    (t unchanged).  A CSR step costs
    O(non-zeros of x).  Rows are visited in ``order`` (all, in sequence,
    when None); without an order the arithmetic is scikit-learn's own
    (the dot product summed in sequence), with one the vector loops run.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        -1 or 1 for the classification losses, 0 or 1 for 'log_loss'.
    state : PlainSGDState
    loss : str
        One of ``LOSSES`` ('hinge' with loss_param 0 is the perceptron).
    loss_param : float
        The hinge threshold, or the epsilon of 'huber' and the
        epsilon-insensitive losses.
    penalty : {'l2', 'l1', 'elasticnet', None}
    alpha, l1_ratio, eta0, power_t : float
    learning_rate : {'constant', 'optimal', 'invscaling', 'adaptive', 'pa1', 'pa2'}
    fit_intercept : bool
    intercept_decay : float
        scikit-learn takes 0.01 for sparse X.
    average : int
        The step from which the average is kept (0: none; state must hold
        average weights then).
    weight_pos, weight_neg : float
        Class weights.
    sample_weight : array-like of shape (n_samples,) or None
    order : array-like of int or None
    skip : array-like of bool of shape (n_samples,) or None
        Rows not to train on (a held-out set).

    Returns
    -------
    (sum of losses, sum of losses plus penalties)
        Over the rows trained on, as scikit-learn sums its objective.

    Raises
    ------
    ValueError
        For invalid arguments, or when the weights overflow.
    """
    if not isinstance(state, PlainSGDState):
        raise TypeError(f"state must be a PlainSGDState, got {type(state).__name__}")
    for name, value, options in (("loss", loss, LOSSES), ("penalty", penalty, PENALTIES),
                                 ("learning_rate", learning_rate, SCHEDULES)):
        if value not in options:
            raise ValueError(f"{name} must be one of {options}, got {value!r}")
    X = check_array(X, "X")
    n, d = X.shape
    if state.v.shape[0] != d:
        raise ValueError(f"state has {state.v.shape[0]} weights but X has {d} features")
    for name in ("v", "q", "aw"):
        part = getattr(state, name)
        if (part is not None or name != "aw") and not (
                isinstance(part, np.ndarray) and part.dtype == np.float64
                and part.shape == (d,) and part.flags.c_contiguous and part.flags.writeable):
            raise ValueError(f"state.{name} must be a writeable contiguous float64 array of "
                             f"shape ({d},)")
    y = np.asarray(check_array(y, "y", accept_sparse=False, dtype=np.float64, ensure_2d=False))
    check_consistent_length(n, y.shape[0], "y")
    sw = check_sample_weight(sample_weight, n, np.float64)
    order = check_order(order, n)
    if skip is not None:
        skip = np.ascontiguousarray(skip, dtype=bool).view(np.uint8)
        check_consistent_length(n, skip.shape[0], "skip")
    average = check_scalar(average, "average", kind=numbers.Integral, low=0)
    if average and state.aw is None:
        raise ValueError("average > 0 needs a state made with average_coef")
    alpha = check_scalar(alpha, "alpha", low=0.0)
    if learning_rate == "optimal" and alpha == 0:
        raise ValueError("alpha must be > 0 with learning_rate='optimal'")
    config = plain_sgd_config(
        loss=loss, loss_param=check_scalar(loss_param, "loss_param", low=0.0), penalty=penalty,
        alpha=alpha, l1_ratio=check_scalar(l1_ratio, "l1_ratio", low=0.0, high=1.0),
        learning_rate=learning_rate, eta0=check_scalar(eta0, "eta0", low=0.0, low_open=True),
        power_t=check_scalar(power_t, "power_t"), fit_intercept=check_bool(fit_intercept,
                                                                           "fit_intercept"),
        intercept_decay=check_scalar(intercept_decay, "intercept_decay", low=0.0),
        average=average, weight_pos=check_scalar(weight_pos, "weight_pos", low=0.0),
        weight_neg=check_scalar(weight_neg, "weight_neg", low=0.0), objective=True,
        ordered=order is None)
    sumloss, objective, status = state.epoch(X, y, sw, order, skip, **config)
    if status != STATUS_OK:
        raise ValueError("the weights overflowed: scale X (StandardScaler) or lower the rate")
    return sumloss, objective


__all__ = ["LOSSES", "PENALTIES", "PlainSGDState", "SCHEDULES", "plain_sgd_epoch"]
