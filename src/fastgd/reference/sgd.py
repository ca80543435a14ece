"""The NumPy specification of the plain-SGD epoch of SGDClassifier and
SGDRegressor (:func:`fastgd.kernels.plain_sgd_epoch`).

One Python step per sample, in the order visited, written as scikit-learn's
``_plain_sgd`` states its algorithm.  The weights are kept as ``wscale * v``
and the average as ``(aw + avg_a v) / avg_b``, as there: these are not only
a speed-up but part of the results, since the truncated L1 step moves v
without correcting aw (so its truncation reaches the average in proportion
to avg_a / avg_b), and the objective's norms are those of the weights the
last update touched.  With an L2 penalty only, the average is the plain
mean of the iterates (the tests check it).  Dense rows are rows of all d
features; CSR rows their stored values.
"""
import numpy as np
import scipy.sparse as sp

MAX_DLOSS = 1e12
MIN_WSCALE = 1e-9
LOSSES = ("hinge", "squared_hinge", "modified_huber", "log_loss", "squared_error", "huber",
          "epsilon_insensitive", "squared_epsilon_insensitive")


def sgd_loss_dloss(loss, param, y, p):
    """(loss, dL/dp) of one sample with prediction p and target y.

    ``param`` is the hinge threshold (0 for the perceptron) or the epsilon
    of 'huber' and the epsilon-insensitive losses; y is -1 or 1 for the
    classification losses, 0 or 1 for 'log_loss'.
    """
    if loss == "hinge":
        z = p * y
        return (param - z, -y) if z <= param else (0.0, 0.0)
    if loss == "squared_hinge":
        z = param - p * y
        return (z * z, -2.0 * y * z) if z > 0 else (0.0, 0.0)
    if loss == "modified_huber":
        z = p * y
        if z >= 1.0:
            return 0.0, 0.0
        if z >= -1.0:
            return (1.0 - z) ** 2, 2.0 * (1.0 - z) * -y
        return -4.0 * z, -4.0 * y
    if loss == "log_loss":
        return np.logaddexp(0.0, p) - y * p, 0.5 * (1.0 + np.tanh(0.5 * p)) - y
    if loss == "squared_error":
        return 0.5 * (p - y) ** 2, p - y
    if loss == "huber":
        r = p - y
        if abs(r) <= param:
            return 0.5 * r * r, r
        return param * (abs(r) - 0.5 * param), (param if r >= 0 else -param)
    r = y - p
    excess = max(abs(r) - param, 0.0)
    if loss == "epsilon_insensitive":
        return excess, (-1.0 if r > param else (1.0 if -r > param else 0.0))
    if loss == "squared_epsilon_insensitive":
        dloss = -2.0 * (r - param) if r > param else (2.0 * (-r - param) if r < -param else 0.0)
        return excess * excess, dloss
    raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")


def _rows(X):
    """(values, feature indices) of each row: all features of a dense row."""
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        for i in range(X.shape[0]):
            lo, hi = X.indptr[i], X.indptr[i + 1]
            yield np.asarray(X.data[lo:hi], np.float64), X.indices[lo:hi]
    else:
        X = np.asarray(X, np.float64)
        everything = np.arange(X.shape[1])
        for i in range(X.shape[0]):
            yield X[i], everything


def plain_sgd_epoch(X, y, state, *, loss="hinge", loss_param=1.0, penalty="l2", alpha=1e-4,
                    l1_ratio=0.15, learning_rate="optimal", eta0=0.01, power_t=0.5,
                    optimal_init=0.0, fit_intercept=True, intercept_decay=1.0, average=0,
                    weight_pos=1.0, weight_neg=1.0, sample_weight=None, order=None,
                    skip=None):
    """One epoch; returns (new state, sum of losses, sum of losses and penalties).

    ``state`` is a dict with ``v``, ``wscale`` (w = wscale v), ``aw``,
    ``avg_a``, ``avg_b`` (the average (aw + avg_a v) / avg_b; aw None
    without averaging), ``q`` and ``u`` (the L1 penalty received by each
    weight and the most any could have), ``sq_norm``, ``l1_norm``,
    ``intercept``, ``avg_intercept``, ``t`` and ``eta``; it is not modified.
    Rows are visited in ``order`` (all in sequence when None), skipping
    those where ``skip`` is set.
    """
    st = {k: (np.array(v, dtype=np.float64) if isinstance(v, np.ndarray) else v)
          for k, v in state.items()}
    rows = list(_rows(X))
    n = len(rows)
    y = np.asarray(y, np.float64)
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, np.float64)
    l1_ratio = {"l1": 1.0, "l2": 0.0}.get(penalty, l1_ratio)
    penalized = penalty is not None
    passive_aggressive = learning_rate in ("pa1", "pa2")
    v, q = st["v"], st["q"]      # updated in place, as is st["aw"]
    sumloss = objective = 0.0
    for i in (range(n) if order is None else order):
        if skip is not None and skip[i]:
            continue
        x, idx = rows[i]
        t = st["t"]
        p = float(np.sum(x * v[idx])) * st["wscale"] + st["intercept"]
        if learning_rate == "optimal":
            st["eta"] = 1.0 / (alpha * (optimal_init + t - 1.0))
        elif learning_rate == "invscaling":
            st["eta"] = eta0 / t ** power_t
        eta = st["eta"]
        value, dloss = sgd_loss_dloss(loss, loss_param, y[i], p)
        sumloss += value
        objective += value
        if penalized and not passive_aggressive:
            objective += alpha * ((1.0 - l1_ratio) * 0.5 * st["sq_norm"]
                                  + l1_ratio * st["l1_norm"])
        if passive_aggressive:
            # Crammer et al. (2006): the step that makes the loss 0, capped
            # at eta0 (PA-I) or softened by 1 / (2 eta0) (PA-II)
            x_sq = float(np.sum(x * x))
            if learning_rate == "pa1":
                if x_sq == 0.0:
                    continue            # no step, t unchanged
                update = min(eta0, value / x_sq)
            else:
                update = value / (x_sq + 0.5 / eta0)
            if loss == "hinge":
                update *= y[i]
            elif y[i] - p < 0.0:
                update = -update
        else:
            update = -eta * min(max(dloss, -MAX_DLOSS), MAX_DLOSS)
        update *= (weight_pos if y[i] > 0.0 else weight_neg) * s[i]
        if penalty in ("l2", "elasticnet"):
            shrink = max(0.0, 1.0 - (1.0 - l1_ratio) * eta * alpha)
            st["wscale"] *= shrink
            st["sq_norm"] *= shrink * shrink
            st["l1_norm"] *= shrink
            if st["wscale"] < MIN_WSCALE:
                _fold(st)
        if update != 0.0:
            v[idx] += x * (update / st["wscale"])
            st["sq_norm"] = float(np.sum(v[idx] ** 2)) * st["wscale"] ** 2
            st["l1_norm"] = float(np.sum(np.abs(v[idx]))) * st["wscale"]
            if fit_intercept:
                st["intercept"] += update * intercept_decay
        if 0 < average <= t:
            k = t - average + 1.0
            st["aw"][idx] += st["avg_a"] * x * (-update / st["wscale"])
            if k > 1.0:
                st["avg_b"] /= 1.0 - 1.0 / k
            st["avg_a"] += st["avg_b"] * st["wscale"] / k
            st["avg_intercept"] += (st["intercept"] - st["avg_intercept"]) / k
        if penalty in ("l1", "elasticnet"):
            st["u"] += l1_ratio * eta * alpha
            w = st["wscale"]
            z = v[idx].copy()
            owed_pos = np.maximum(0.0, z - (st["u"] + q[idx]) / w)
            owed_neg = np.minimum(0.0, z + (st["u"] - q[idx]) / w)
            v[idx] = np.where(w * z > 0, owed_pos, np.where(w * z < 0, owed_neg, z))
            q[idx] += w * (v[idx] - z)
        st["t"] = t + 1.0
    return st, sumloss, objective


def _fold(st):
    """Multiply wscale into v and bring the average up to date."""
    if st["aw"] is not None:
        st["aw"][:] = (st["aw"] + st["avg_a"] * st["v"]) / st["avg_b"]
        st["avg_a"], st["avg_b"] = 0.0, 1.0
    st["v"] *= st["wscale"]
    st["wscale"] = 1.0


def plain_sgd_finish(state):
    """The weights and averaged weights a state holds: (w, average w or None)."""
    st = {k: (np.array(v, dtype=np.float64) if isinstance(v, np.ndarray) else v)
          for k, v in state.items()}
    _fold(st)
    return st["v"], st["aw"]
