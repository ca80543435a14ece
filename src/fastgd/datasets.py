"""Built-in synthetic data sets (generated from a seed; nothing to download)."""
import numbers

import numpy as np
from scipy.special import expit

from ._validation import check_random_state, check_scalar

_KINDS = ("regression", "binary", "multiclass")


def make_problem(kind, n_samples=5000, n_features=20, n_classes=3, noise=0.5,
                 random_state=0, dtype=np.float64):
    """A standardized synthetic problem for one of the textbook models.

    Parameters
    ----------
    kind : {'regression', 'binary', 'multiclass'}
        Targets from a linear model with Gaussian noise; labels drawn from
        the logistic / softmax model of random weights.
    n_samples, n_features, n_classes : int
    noise : float
        Standard deviation of the regression noise, >= 0.
    random_state : int, numpy Generator or None
    dtype : float32 or float64, the dtype of X

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    """
    if not (isinstance(kind, str) and kind in _KINDS):
        raise ValueError(f"kind must be 'regression', 'binary' or 'multiclass', got {kind!r}")
    check_scalar(n_samples, "n_samples", kind=numbers.Integral, low=1)
    check_scalar(n_features, "n_features", kind=numbers.Integral, low=1)
    check_scalar(n_classes, "n_classes", kind=numbers.Integral, low=2)
    check_scalar(noise, "noise", low=0.0)
    try:
        valid = np.dtype(dtype) in (np.float32, np.float64)
    except TypeError:           # not a dtype at all
        valid = False
    if not valid:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}")
    rng = check_random_state(random_state)
    X = rng.standard_normal((n_samples, n_features))
    if kind == "regression":
        w = rng.standard_normal(n_features)
        y = X @ w + 1.0 + noise * rng.standard_normal(n_samples)
    elif kind == "binary":
        z = X @ rng.standard_normal(n_features) * 0.5 + 0.3
        y = (rng.random(n_samples) < expit(z)).astype(np.int64)
    else:
        Z = X @ rng.standard_normal((n_features, n_classes)) * 0.5
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        y = (rng.random((n_samples, 1)) > P.cumsum(axis=1)).sum(axis=1)
    return X.astype(dtype), y
