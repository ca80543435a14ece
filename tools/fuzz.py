"""Fuzz every public entry point of fastgd with random, often malformed, input.

Each case is one call of a kernel (fastgd.kernels, fastgd.kernels.mlp, the
update rules), an estimator method (fit, partial_fit, predict, predict_proba,
decision_function, score) or fastgd.minimize / check_grad, with arguments
drawn from a numpy Generator seeded by (seed, index): the same pair gives the
same case on any machine with the same numpy.  A call must either

* succeed, with finite outputs (the returned values, the buffers it writes,
  a fitted model's parameters and predictions), or
* raise ValueError or TypeError (DivergenceError is a ValueError) whose
  message names one of the arguments the case drew at random;

and in both cases leave its input arrays as they were.  Anything else is a
finding.  The cases run in a worker process that announces each index before
running it, so that a crash (a signal, an abort, a sanitizer report) or a
hang (no answer within --timeout seconds) is pinned on its case; the worker
is then restarted after it.

    python tools/fuzz.py --calls 100000 --seed 1      a campaign
    python tools/fuzz.py --seed 1 --case 4242         one case, in process, verbosely

The exit status is 1 when anything was found.
"""
import argparse
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings

import numpy as np
import scipy.sparse as sp

# -- value pools --------------------------------------------------------------

SPECIAL = [np.nan, np.inf, -np.inf, 1e308, -1e308, 3e38, 5e-324, 1e-45, 1e-310, 0.0]
BAD_NUMBERS = [-1, -1.0, 0, 0.0, np.nan, np.inf, -np.inf, 1e308, 10 ** 30, -(10 ** 30),
               2 ** 63, 1e-320, True, None, "abc", "1", [1.0], (1, 2), 1j, object(),
               np.float32(np.nan), np.int64(-5), 2.5]
ROWS = [0, 1, 1, 2, 3, 5, 8, 17, 40]
FEATURES = [0, 1, 1, 2, 3, 5]


class UserError(Exception):
    """Raised by the fuzzer's own callables: it must reach the caller as is."""


class Case:
    """One call: what to run, the arguments drawn at random (the suspects a
    rejection must name), the input arrays to compare after the call and
    the buffers that must stay finite."""

    def __init__(self, rng):
        self.rng = rng
        self.suspects = set()
        self.inputs = {}        # name -> array-like the call only reads
        self.written = {}       # name -> ndarray the call writes
        self.label = ""

    # -- drawing helpers -----------------------------------------------------
    def chance(self, p):
        return self.rng.random() < p

    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def number(self, name, good, p_bad=0.15, bad=BAD_NUMBERS):
        """A hyperparameter: one of ``good`` usually, a bad value sometimes."""
        if self.chance(p_bad):
            self.suspects.add(name)
            return self.pick(bad)
        value = self.pick(good)
        if len(good) > 1:
            self.suspects.add(name)
        return value

    def values(self, shape, scale=1.0, special=0.1, name=None):
        out = self.rng.normal(scale=scale, size=shape)
        if out.size and self.chance(special):
            if name:
                self.suspects.add(name)
            flat = out.reshape(-1)
            for _ in range(int(self.rng.integers(1, 3))):
                flat[int(self.rng.integers(flat.size))] = self.pick(SPECIAL)
        return out

    def layout(self, arr, name, p=0.3):
        """arr in another dtype, layout or container, sometimes."""
        if not self.chance(p):
            return arr
        try:
            return self._layout(arr, name)
        except Exception:           # labels that are strings, say
            return np.asarray(arr).astype(object)

    def _layout(self, arr, name):
        self.suspects.add(name)
        kind = self.pick(["float32", "float16", "int64", "int32", "uint8", "bool", "complex",
                          "object", "object_str", "F", "slice", "negative", "readonly",
                          "list", "3d", "scalar", "string"])
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind in ("float32", "float16", "int64", "int32", "uint8"):
                try:
                    return arr.astype(kind)
                except ValueError:          # labels that are strings
                    return arr.astype(object)
            if kind == "bool":
                return arr.astype(bool)
            if kind == "complex":
                return arr + 1j * self.chance(0.5)
            if kind == "object":
                return arr.astype(object)
            if kind == "object_str":
                obj = arr.astype(object)
                if obj.size:
                    obj.reshape(-1)[0] = self.pick(["x", None, [1], 1j])
                return obj
            if kind == "F":
                return np.asfortranarray(arr)
            if kind == "slice":
                big = np.repeat(arr, 2, axis=-1) if arr.ndim else arr
                return big[..., ::2]
            if kind == "negative":
                return arr[::-1]
            if kind == "readonly":
                arr = arr.copy()
                arr.flags.writeable = False
                return arr
            if kind == "list":
                return arr.tolist()
            if kind == "3d":
                return arr[..., None]
            if kind == "scalar":
                return 1.0
            return np.asarray(arr).astype(str)

    def sparse(self, dense, name):
        """dense as a scipy.sparse matrix of a random format and structure."""
        self.suspects.add(name)
        fmt = self.pick(["csr", "csr", "csc", "coo", "lil", "dok", "bsr"])
        n, d = dense.shape
        mask = self.rng.random(dense.shape) < 0.5
        dense = np.where(mask, dense, 0.0)
        if n and self.chance(0.3):
            dense[int(self.rng.integers(n))] = 0.0          # an empty row
        X = sp.csr_matrix(dense)
        if fmt == "csr" and X.nnz:
            data, indices, indptr = X.data.copy(), X.indices.copy(), X.indptr.copy()
            mutation = self.pick(["unsorted", "duplicate", "int64", "explicit_zero", "oob",
                                  "negative_index", "indptr_down", "indptr_end", "indptr_start",
                                  "none", "none"])
            if mutation == "unsorted":
                for i in range(n):
                    a, b = indptr[i], indptr[i + 1]
                    indices[a:b] = indices[a:b][::-1]
                    data[a:b] = data[a:b][::-1]
            elif mutation == "duplicate":
                i = int(self.rng.integers(X.nnz))
                row = int(np.searchsorted(indptr, i, side="right") - 1)
                indices = np.insert(indices, i, indices[i])
                data = np.insert(data, i, data[i])
                indptr = indptr.copy()
                indptr[row + 1:] += 1
            elif mutation == "int64":
                indices, indptr = indices.astype(np.int64), indptr.astype(np.int64)
            elif mutation == "explicit_zero":
                data[int(self.rng.integers(data.size))] = 0.0
            X = sp.csr_matrix((data, indices, indptr), shape=(n, d))
            # out-of-range structures are set after construction, which checks them
            if mutation == "oob":
                X.indices[int(self.rng.integers(X.nnz))] = d + int(self.rng.integers(1, 10**6))
            elif mutation == "negative_index":
                X.indices[int(self.rng.integers(X.nnz))] = -1
            elif mutation == "indptr_down" and n >= 2:
                X.indptr[1] = X.indptr[-1] + 1
            elif mutation == "indptr_end":
                X.indptr[-1] = X.indptr[-1] + 5
            elif mutation == "indptr_start":
                X.indptr[0] = 1
            self.label += f" csr:{mutation}"
            return X
        if fmt == "coo" and X.nnz and self.chance(0.2):
            X = X.tocoo()
            X.col[0] = d + 3
            self.label += " coo:oob"
            return X
        self.label += f" {fmt}"
        return X.asformat(fmt)

    def X(self, n, d, name="X", sparse_ok=True, scale=1.0):
        dense = self.values((n, d), scale=scale, name=name)
        if dense.size and self.chance(0.1):
            self.suspects.add(name)
            if self.chance(0.5):
                dense = dense.astype(np.float32)   # float32 data near its limits
                dense.reshape(-1)[0] = np.float32(self.pick([3e38, -3e38, 1e-45]))
            else:
                dense.reshape(-1)[0] = self.pick([np.nan, np.inf, 1e308])
        if dense.dtype != np.float32 and self.chance(0.3):
            dense = dense.astype(np.float32)
        if dense.size and not np.isfinite(dense).all() or n == 0 or d == 0:
            self.suspects.add(name)
        if sparse_ok and self.chance(0.2):
            return self.sparse(np.asarray(dense, dtype=np.float64), name)
        return self.layout(dense, name, p=0.2)

    def dtype_of(self, X):
        """The dtype fastgd trains X in (float64 when X is refused)."""
        from fastgd._validation import check_array
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return check_array(X, check_finite=False).dtype.type
        except Exception:
            return np.float64

    def array_arg(self, name, good, p=0.1):
        """A numpy array argument the kernel writes, sometimes malformed."""
        if not self.chance(p):
            return good
        self.suspects.add(name)
        kind = self.pick(["dtype", "shape", "F", "readonly", "slice", "list", "none", "view"])
        if kind == "dtype":
            return good.astype(np.float32 if good.dtype == np.float64 else np.float64)
        if kind == "shape":
            return np.zeros(good.size + 1, good.dtype)
        if kind == "F":
            return np.asfortranarray(np.zeros(good.shape[::-1], good.dtype)).T \
                if good.ndim == 2 else good[::-1].copy()
        if kind == "readonly":
            good.flags.writeable = False
            return good
        if kind == "slice":
            return np.zeros(tuple(s * 2 for s in good.shape), good.dtype)[
                tuple(slice(None, None, 2) for _ in good.shape)]
        if kind == "list":
            return good.tolist()
        if kind == "none":
            return None
        return good                                     # shared below, sometimes

    def maybe_alias(self, kwargs, names):
        """Two written buffers, or a written one and an input, sharing memory."""
        if self.chance(0.05):
            a, b = self.pick(names), self.pick(names)
            if (a != b and isinstance(kwargs.get(a), np.ndarray)
                    and isinstance(kwargs.get(b), np.ndarray)
                    and kwargs[a].shape == kwargs[b].shape and kwargs[a].dtype == kwargs[b].dtype):
                kwargs[b] = kwargs[a]
                self.suspects.update({a, b})


# -- the cases ----------------------------------------------------------------

def _targets_for(loss, n, K, rng_case):
    if loss == "squared":
        return rng_case.values(n, name="y")
    if loss == "logistic":
        return (rng_case.rng.random(n) < 0.5).astype(float)
    return rng_case.rng.integers(0, K, n).astype(float)


def _fuzz_y(c, y, name="y"):
    if c.chance(0.1):
        c.suspects.add(name)
        y = np.asarray(y, dtype=float).copy()
        if y.size:
            y.reshape(-1)[0] = c.pick([np.nan, np.inf, -1.0, 7.5, 1e308, 2.0])
    return c.layout(np.asarray(y), name, p=0.1)


def _sample_weight(c, n):
    if not c.chance(0.3):
        return None
    c.suspects.add("sample_weight")
    kind = c.pick(["good", "good", "zeros", "negative", "nan", "huge", "tiny", "short", "scalar"])
    w = np.abs(c.rng.normal(size=n)) + 0.1
    if kind == "zeros":
        w[:] = 0
    elif kind == "negative" and n:
        w[0] = -1
    elif kind == "nan" and n:
        w[0] = np.nan
    elif kind == "huge":
        w *= 1e308
    elif kind == "tiny":
        w *= 1e-320
    elif kind == "short":
        w = w[:-1]
    elif kind == "scalar":
        return c.pick([1.0, 0.0, -1.0, np.nan])
    return c.layout(w, "sample_weight", p=0.1)


def _order(c, n):
    if not c.chance(0.3):
        return None
    c.suspects.add("order")
    kind = c.pick(["perm", "perm", "repeat", "oob", "negative", "float", "empty", "2d"])
    if kind == "perm":
        return c.rng.permutation(max(n, 1)).astype(c.pick([np.intp, np.int32, np.uint8]))
    if kind == "repeat":
        return np.zeros(3, dtype=np.intp)
    if kind == "oob":
        return np.array([0, n + 5])
    if kind == "negative":
        return np.array([-1])
    if kind == "float":
        return np.arange(max(n, 1), dtype=float)
    if kind == "empty":
        return np.array([], dtype=np.intp)
    return np.zeros((1, 1), dtype=np.intp)


def _rule(c, fastgd):
    if c.chance(0.05):
        c.suspects.add("rule")
        return c.pick(["adam", 1, object()])
    if c.chance(0.4):
        return None
    opt = c.pick(list(fastgd.optim.OPTIMIZERS))
    sched = c.pick(["constant", "invscaling", "step", "exponential"])
    c.suspects.add("rule")
    # torch's options, two of them with a third row of state
    options = {"adam": {"amsgrad": True}, "adamw": {"amsgrad": True},
               "rmsprop": {"centered": True, "momentum": c.pick([0.0, 0.5])},
               "adagrad": {"initial_accumulator_value": 0.1}}.get(opt, {})
    return fastgd.optim.make_rule(opt, c.pick([1e-3, 0.01, 0.1, 1.0, 100.0]), sched,
                                  **(options if c.chance(0.3) else {}))


def case_linear_loss_gradient(c, fastgd):
    k = fastgd.kernels
    n, d = c.pick(ROWS), c.pick(FEATURES)
    loss = c.number("loss", ["squared", "logistic", "softmax"], bad=["hinge", None, 1])
    K = int(c.pick([2, 3])) if loss == "softmax" else 1
    X = c.X(n, d)
    dtype = c.dtype_of(X)
    y = _fuzz_y(c, _targets_for(loss if isinstance(loss, str) else "squared", n, K, c))
    coef = c.array_arg("coef", c.values((K, d), special=0.05, name="coef").astype(dtype))
    intercept = c.array_arg("intercept", np.zeros(K, dtype))
    gc = c.array_arg("grad_coef", np.empty((K, d)))
    gi = c.array_arg("grad_intercept", np.empty(K))
    kw = dict(X=X, y=y, coef=coef, intercept=intercept, grad_coef=gc, grad_intercept=gi)
    c.maybe_alias(kw, ["coef", "grad_coef", "X"])
    c.inputs.update(X=X, y=y, coef=kw["coef"], intercept=intercept)
    c.written.update(grad_coef=kw["grad_coef"], grad_intercept=gi)
    sw = _sample_weight(c, n)
    c.inputs["sample_weight"] = sw
    alpha = c.number("alpha", [0.0, 0.0, 0.1, 10.0])
    n_jobs = c.number("n_jobs", [1, 1, 2])
    return lambda: k.loss_gradient(**kw, loss=loss, alpha=alpha, sample_weight=sw,
                                   n_jobs=n_jobs)


def _linear_epoch_args(c, fastgd):
    n, d = c.pick(ROWS), c.pick(FEATURES)
    loss = c.number("loss", ["squared", "logistic", "softmax"], bad=["hinge", None])
    K = int(c.pick([2, 3])) if loss == "softmax" else 1
    X = c.X(n, d)
    dtype = c.dtype_of(X)
    y = _fuzz_y(c, _targets_for(loss if isinstance(loss, str) else "squared", n, K, c))
    coef = c.array_arg("coef", (c.values((K, d), special=0.05, name="coef") * 0.1).astype(dtype))
    intercept = c.array_arg("intercept", np.zeros(K, dtype))
    sw = _sample_weight(c, n)
    c.inputs.update(X=X, y=y, sample_weight=sw)
    c.written.update(coef=coef, intercept=intercept)
    return n, d, K, loss, X, y, coef, intercept, sw


def case_linear_epoch(c, fastgd):
    k = fastgd.kernels
    n, d, K, loss, X, y, coef, intercept, sw = _linear_epoch_args(c, fastgd)
    rule = _rule(c, fastgd)
    kw = dict(loss=loss, sample_weight=sw, rule=rule,
              alpha=c.number("alpha", [0.0, 0.01, 1.0]),
              batch_size=c.number("batch_size", [1, 1, 2, 7, 1000]),
              learning_rate=c.number("learning_rate", [1e-3, 0.01, 0.1, 10.0]),
              fit_intercept=c.number("fit_intercept", [True, False], bad=[1, "no", None]),
              t=c.number("t", [0, 0, 5]))
    if rule is not None and isinstance(rule, fastgd.optim.UpdateRule) and rule.keeps_state \
            or c.chance(0.1):
            # state buffers, when the rule needs them (and sometimes when not)
        sc, si = k.init_state(coef if isinstance(coef, np.ndarray) else np.zeros((K, d)),
                              np.zeros(K), rule if isinstance(rule, fastgd.optim.UpdateRule)
                              else None)
        kw["state_coef"] = c.array_arg("state_coef", sc)
        kw["state_intercept"] = c.array_arg("state_intercept", si)
        c.written.update(state_coef=kw["state_coef"], state_intercept=kw["state_intercept"])
    order = _order(c, n)
    kw["order"] = order
    c.inputs["order"] = order
    if c.chance(0.15):
        c.suspects.add("lr_table")
        steps = max(n, 1)
        kw["lr_table"] = c.pick([np.full(steps, 0.01), np.full(steps, -1.0), np.full(1, 0.01),
                                 np.full(steps, np.nan), ["a"] * steps, np.full(steps, 1e300)])
        c.inputs["lr_table"] = kw["lr_table"]
    if c.chance(0.1) and n:
        c.suspects.update({"blocks", "order"})
        bs, bb = c.pick([(1, 1), (2, 2), (4, 1), (0, 1), (2, -1)])
        if bs > 0 and bb > 0 and c.chance(0.7):
            kw["order"] = k.block_order(n, bs, bb, random_state=0)
            c.inputs["order"] = kw["order"]
        kw["blocks"] = (bs, bb) if c.chance(0.9) else "x"
    which = c.pick(["epoch", "epoch", "sgd_epoch", "minibatch_epoch"])
    if which == "sgd_epoch":
        kw.pop("batch_size")
        return lambda: k.sgd_epoch(X, y, coef, intercept, **kw)
    if which == "minibatch_epoch":
        bs = kw.pop("batch_size")
        return lambda: k.minibatch_epoch(X, y, coef, intercept, bs, **kw)
    return lambda: k.epoch(X, y, coef, intercept, **kw)


def case_saga_epoch(c, fastgd):
    k = fastgd.kernels
    n, d, K, loss, X, y, coef, intercept, sw = _linear_epoch_args(c, fastgd)
    table = c.array_arg("table", np.zeros((max(n, 1) if c.chance(0.05) else n, K)))
    g = c.array_arg("avg_grad_coef", np.zeros((K, d)))
    gb = c.array_arg("avg_grad_intercept", np.zeros(K))
    kw = dict(table=table, avg_grad_coef=g, avg_grad_intercept=gb)
    c.maybe_alias(kw, ["avg_grad_coef", "table", "avg_grad_intercept"])
    c.written.update(kw)
    order = _order(c, n)
    c.inputs["order"] = order
    lr = c.number("learning_rate", [1e-3, 0.01, 0.1, 1.0])
    alpha = c.number("alpha", [0.0, 0.01, 1.0])
    fi = c.number("fit_intercept", [True, False], bad=[1, "no"])
    t = c.number("t", [0, 3])
    return lambda: k.saga_epoch(X, y, coef, intercept, kw["table"], kw["avg_grad_coef"],
                                kw["avg_grad_intercept"], loss=loss, alpha=alpha,
                                learning_rate=lr, order=order, sample_weight=sw,
                                fit_intercept=fi, t=t)


def case_small_kernels(c, fastgd):
    k = fastgd.kernels
    which = c.pick(["shuffled_order", "block_order", "block_geometry", "init_state"])
    if which == "shuffled_order":
        n = c.number("n_samples", [1, 2, 100])
        rs = c.number("random_state", [None, 0, 7], bad=[-1, "x", 1.5, 2 ** 70])
        return lambda: k.shuffled_order(n, random_state=rs)
    if which == "block_order":
        n = c.number("n_samples", [1, 5, 100])
        bs = c.number("block_size", [1, 3, 64])
        bb = c.number("buffer_blocks", [1, 2, 64])
        rs = c.number("random_state", [None, 0], bad=[-1, "x"])
        return lambda: k.block_order(n, bs, bb, random_state=rs)
    if which == "block_geometry":
        X = c.X(c.pick(ROWS), c.pick(FEATURES))
        c.inputs["X"] = X
        return lambda: k.block_geometry(X)
    coef = c.layout(np.zeros((1, 3)), "coef", p=0.3)
    return lambda: k.init_state(coef, np.zeros(1))


def case_rules(c, fastgd):
    optim = fastgd.optim
    which = c.pick(["make_rule", "make_rule", "step", "UpdateRule", "learning_rate"])
    if which == "UpdateRule":
        names = ["momentum", "dampening", "beta1", "beta2", "eps", "rho", "weight_decay",
                 "lr_decay", "power_t", "gamma", "step_size", "optimal_alpha", "optimal_t0"]
        kw = {name: c.number(name, [0.5], p_bad=0.15) for name in names if c.chance(0.3)}
        kw["nesterov"] = c.number("nesterov", [False], bad=[True, 1, "yes"])
        for flag in ("amsgrad", "centered"):
            if c.chance(0.3):
                kw[flag] = c.number(flag, [False, True], bad=[1, "yes", None])
        if c.chance(0.3):
            kw["initial_accumulator_value"] = c.number("initial_accumulator_value", [0.0, 0.5])
        kw["schedule"] = c.number("schedule", [0, 1, 2, 3, 4], bad=[5, -1, "x", 1.5])
        kind = c.number("kind", [0, 1, 2, 3, 4], bad=[5, -1, None, 2.0])
        lr = c.number("lr", [0.1])
        return lambda: optim.UpdateRule(kind, lr, **kw)
    opt = c.number("optimizer", list(optim.OPTIMIZERS), bad=["lbfgs", None, 3])
    sched = c.number("schedule", list(optim.SCHEDULES), bad=["cosine", None, 3])
    lr = c.number("learning_rate", [1e-3, 0.1, 1.0])
    hyper = {}
    for name, good in (("momentum", [0.0, 0.9]), ("nesterov", [False, True]),
                       ("betas", [(0.9, 0.999), (0.5, 0.5)]), ("eps", [1e-8]),
                       ("weight_decay", [0.0, 0.01]), ("rho", [0.9]), ("power_t", [0.5]),
                       ("gamma", [0.5]), ("step_size", [10]), ("lr_decay", [0.0]),
                       ("dampening", [0.0]), ("amsgrad", [False, True]),
                       ("centered", [False, True]), ("initial_accumulator_value", [0.0, 0.1])):
        if c.chance(0.15):
            hyper[name] = c.number(name, good, p_bad=0.3,
                                   bad=BAD_NUMBERS + [(2.0, 0.5), (0.5,), "ab"])
    alpha = c.number("alpha", [0.0, 0.1], p_bad=0.1)
    if which == "make_rule":
        return lambda: optim.make_rule(opt, lr, sched, alpha=alpha, **hyper)
    try:
        rule = optim.make_rule(c.pick(list(optim.OPTIMIZERS)), 0.1,
                               c.pick(["constant", "invscaling", "step", "exponential"]))
    except Exception:
        rule = optim.make_rule("sgd", 0.1)
    if which == "learning_rate":
        t = c.number("t", [1, 2.5, 1000])
        return lambda: rule.learning_rate(t)
    n = c.pick([0, 1, 3, 10])
    dtype = c.pick([np.float64, np.float32])
    params = c.array_arg("params", c.values(n, special=0.05, name="params").astype(dtype))
    grad = c.array_arg("grad", c.values(n, special=0.05, name="grad"))
    # mostly the rule's rows of state, sometimes the two that suit most rules
    rows = rule.state_rows if c.chance(0.8) else 2
    if rows != rule.state_rows:
        c.suspects.add("state")
    state = c.array_arg("state", np.zeros((rows, n)))
    kw = dict(params=params, grad=grad, state=state)
    c.maybe_alias(kw, ["params", "grad", "state"])
    c.inputs["grad"] = kw["grad"]
    c.written.update(params=kw["params"], state=kw["state"])
    t = c.number("t", [1, 2, 100])
    decay = c.number("decay", [True, False], bad=[1, "no", None])
    step_lr = c.number("lr", [None, 0.01])
    return lambda: rule.step(kw["params"], kw["grad"], kw["state"], t, decay=decay, lr=step_lr)


def _mlp_common(c, fastgd):
    n, d = c.pick(ROWS), c.pick(FEATURES)
    output = c.number("output", ["identity", "logistic", "softmax"], bad=["relu", None])
    K = c.pick([2, 3]) if output == "softmax" else c.pick([1, 2])
    hidden = [c.pick([1, 2, 4]) for _ in range(c.pick([0, 1, 2]))]
    sizes = [d, *hidden, K]
    if d == 0:
        c.suspects.add("layer_sizes")
    if c.chance(0.1):
        c.suspects.add("layer_sizes")
        sizes = c.pick([[d], [d, 0, K], [d, -1, K], [d, 2 ** 31, K], [d, 2 ** 40, 2 ** 40],
                        "abc", [d, 2.0, K], [d + 1, K], 5, [d, True, K]])
    activation = c.number("activation", ["relu", "tanh", "sigmoid", "logistic", "identity"],
                          bad=["softmax", None, 1])
    X = c.X(n, d, sparse_ok=c.chance(0.1))
    dtype = c.dtype_of(X)
    if output == "softmax":
        Y = np.eye(K)[c.rng.integers(0, K, n)]
    elif output == "logistic":
        Y = (c.rng.random((n, K)) < 0.5).astype(float)
    else:
        Y = c.values((n, K), name="Y")
    Y = _fuzz_y(c, Y, "Y")
    try:
        _, n_params = fastgd.mlp_kernels.count_params(sizes)
    except (TypeError, ValueError):
        n_params = 5
    n_params = n_params if n_params < 10 ** 6 else 5
    theta = c.array_arg("theta", (c.values(n_params, special=0.03, name="theta") * 0.3).astype(dtype))
    c.inputs.update(X=X, Y=Y)
    return n, X, Y, theta, sizes, activation, output, n_params


def case_mlp(c, fastgd):
    m = fastgd.mlp_kernels
    which = c.pick(["loss_gradient", "epoch", "epoch", "predict", "small"])
    if which == "small":
        sizes = c.number("layer_sizes", [[2, 3, 1]],
                         bad=[[1], [0, 1], "ab", [2, -3], [2, 2 ** 40, 2 ** 40], None, [1.5, 2]])
        f = c.pick(["count_params", "init_params", "unpack", "init_state"])
        if f == "count_params":
            return lambda: m.count_params(sizes)
        if f == "init_params":
            dtype = c.number("dtype", [np.float64, np.float32], bad=[np.int32, "float16"])
            rs = c.number("random_state", [None, 0], bad=[-1, "x"])
            return lambda: m.init_params(sizes, dtype=dtype, random_state=rs)
        if f == "unpack":
            theta = c.layout(np.zeros(13), "theta", p=0.4)
            c.inputs["theta"] = theta
            return lambda: m.unpack(theta, sizes)
        return lambda: m.init_state(np.zeros(13))
    n, X, Y, theta, sizes, activation, output, n_params = _mlp_common(c, fastgd)
    sw = _sample_weight(c, n)
    c.inputs["sample_weight"] = sw
    alpha = c.number("alpha", [0.0, 0.01])
    if which == "loss_gradient":
        grad = c.array_arg("grad", np.empty(n_params))
        kw = dict(theta=theta, grad=grad)
        c.maybe_alias(kw, ["theta", "grad"])
        c.inputs["theta"] = kw["theta"]
        c.written["grad"] = kw["grad"]
        return lambda: m.loss_gradient(X, Y, kw["theta"], kw["grad"], sizes,
                                       activation=activation, output=output, alpha=alpha,
                                       sample_weight=sw)
    if which == "predict":
        c.inputs["theta"] = theta
        out = None
        if c.chance(0.2):
            K = sizes[-1] if isinstance(sizes, list) and sizes else 1
            K = K if isinstance(K, int) and 0 < K < 1000 else 1
            out = c.array_arg("out", np.empty((n, K), c.dtype_of(X)), p=0.5)
            c.written["out"] = out
        return lambda: m.predict(X, theta, sizes, activation=activation, output=output, out=out)
    rule = _rule(c, fastgd)
    state = None
    if isinstance(rule, fastgd.optim.UpdateRule) and rule.keeps_state or c.chance(0.05):
        rows = rule.state_rows if isinstance(rule, fastgd.optim.UpdateRule) else 2
        state = c.array_arg("state", np.zeros((rows, n_params)))
        c.written["state"] = state
    c.written["theta"] = theta
    order = _order(c, n)
    c.inputs["order"] = order
    kw = dict(activation=activation, output=output, alpha=alpha, sample_weight=sw, rule=rule,
              batch_size=c.number("batch_size", [1, 3, 500, 2 ** 40]),
              learning_rate=c.number("learning_rate", [1e-3, 0.1, 10.0]),
              order=order, state=state, t=c.number("t", [0, 2]))
    return lambda: m.epoch(X, Y, theta, sizes, **kw)


# estimator constructors, their hyperparameters with good values
_COMMON = dict(
    optimizer=["auto", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"],
    learning_rate=["auto", "auto", 0.01, 0.1, 10.0],
    schedule=["constant", "invscaling", "step", "exponential", "optimal", "adaptive"],
    alpha=[0.0, 0.0, 1e-3, 1.0],
    max_epochs=[1, 2, 5],
    tol=[1e-6, 1e-3, 0.0],
    n_iter_no_change=[1, 5],
    batch_size=[1, 8, 32, 10 ** 6],
    shuffle=[True, False, "blocks"],
    random_state=[0, 1, None],
    early_stopping=[False, True],
    validation_fraction=[0.1, 0.5],
    warm_start=[False, True],
    momentum=[None, 0.5, 0.9],
    nesterov=[None, True],
    betas=[None, (0.9, 0.999)],
    eps=[None, 1e-8],
    weight_decay=[None, 0.01],
    gamma=[None, 0.5],
    step_size=[None, 3],
    power_t=[None, 0.5],
    amsgrad=[None, True],
    centered=[None, True],
    initial_accumulator_value=[None, 0.1],
    callback=[None],
)
_LINEAR = dict(_COMMON, solver=["gd", "sgd", "minibatch", "saga"], fit_intercept=[True, False],
               n_jobs=[1, 2])
_MLP = dict(_COMMON, solver=["gd", "sgd", "minibatch"],
            hidden_layer_sizes=[(3,), (2, 2), ()],
            activation=["relu", "tanh", "sigmoid", "logistic", "identity"])
_MLP.pop("optimizer")
_MLP["optimizer"] = ["sgd", "momentum", "adam", "rmsprop"]

_FITTED = {}


def _estimator(c, fastgd, name):
    cls = getattr(fastgd, name)
    grid = _MLP if name.startswith("MLP") else _LINEAR
    if name == "LinearRegression":
        grid = dict(grid, solver=grid["solver"] + ["normal"])
    params = {}
    for key, good in grid.items():
        if c.chance(0.35):
            params[key] = c.number(key, good, p_bad=0.12)
    if "max_epochs" not in params or not isinstance(params["max_epochs"], int) \
            or params["max_epochs"] > 5:
        if "max_epochs" not in c.suspects:
            params["max_epochs"] = c.pick([1, 3, 5])
    if c.chance(0.03):
        c.suspects.add("callback")
        params["callback"] = c.pick([_raising_callback, "x", _stop_callback])
    return cls, params


def _raising_callback(record):
    raise UserError("callback")


def _stop_callback(record):
    return True


def _labels(c, name, n):
    if name == "LinearRegression" or name == "MLPRegressor":
        return c.values(n, name="y")
    if name == "LogisticRegression":
        return c.rng.integers(0, 2, n)
    labels = c.pick([np.array([0, 1, 2]), np.array(["a", "b", "c"]), np.array([-1.0, 1.0])])
    return labels[c.rng.integers(0, len(labels), n)]


def case_estimator(c, fastgd):
    name = c.pick(["LinearRegression", "LogisticRegression", "SoftmaxRegression",
                   "MLPClassifier", "MLPRegressor"])
    method = c.pick(["fit", "fit", "fit", "partial_fit", "predict", "predict_proba",
                     "decision_function"])
    n, d = c.pick(ROWS), c.pick(FEATURES)
    X = c.X(n, d, sparse_ok=True)
    y = _labels(c, name, n)
    if "Regressor" not in name and name != "LinearRegression" and len(np.unique(y)) < 2:
        c.suspects.update({"y", "classes"})     # one class: nothing to learn
    if c.chance(0.1):
        c.suspects.add("y")
        y = c.pick([y[:-1] if n else y, np.full(n, np.nan), np.zeros(n) + 0.5,
                    y.reshape(-1, 1), np.zeros(n) + 1j, np.full(n, "a"),
                    np.array([None] * n), np.zeros((n, 3))])
    y = c.layout(np.asarray(y), "y", p=0.05)
    sw = _sample_weight(c, n)
    c.inputs.update(X=X, y=y, sample_weight=sw)
    c.label = f"{name}.{method}" + c.label
    if method in ("fit", "partial_fit"):
        cls, params = _estimator(c, fastgd, name)
        c.label += f" {params}"
        model = cls(**params) if method == "fit" or not c.chance(0.5) else cls()
        kwargs = {}
        if method == "partial_fit" and name not in ("LinearRegression", "MLPRegressor"):
            try:
                kwargs["classes"] = np.unique(y) if not c.chance(0.1) else None
            except TypeError:
                kwargs["classes"] = None
            if "y" in c.suspects:
                c.suspects.add("classes")
            c.inputs["classes"] = kwargs["classes"]
            if kwargs["classes"] is None:
                c.suspects.add("classes")

        def run():
            fitted = getattr(model, method)(X, y, sample_weight=sw, **kwargs)
            return _fitted_outputs(fitted)
        return run
    if method == "predict_proba" and name in ("LinearRegression", "MLPRegressor"):
        method = "predict"
    if method == "decision_function" and name.startswith("MLP") or \
            method == "decision_function" and name == "LinearRegression":
        method = "predict"
    key = (name, d, c.dtype_of(X) if c.chance(0.8) else np.float64)
    if key not in _FITTED:
        rng = np.random.default_rng(0)
        Xf = rng.normal(size=(30, max(d, 1))).astype(key[2])
        yf = _labels(Case(np.random.default_rng(1)), name, 30)
        if name != "LinearRegression" and name != "MLPRegressor":
            yf = np.arange(30) % (2 if name == "LogisticRegression" else 3)
        cls = getattr(fastgd, name)
        model = cls(max_epochs=3, random_state=0) if name.startswith("MLP") else \
            cls(max_epochs=3, random_state=0)
        if name.startswith("MLP"):
            model.set_params(hidden_layer_sizes=(3,))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _FITTED[key] = model.fit(Xf, yf)
    model = _FITTED[key]
    if method == "score":
        return lambda: getattr(model, "score")(X, y, sample_weight=sw)
    return lambda: getattr(model, method)(X)


def _fitted_outputs(model):
    out = {}
    for attr in ("coef_", "intercept_", "coefs_", "intercepts_"):
        if hasattr(model, attr):
            out[attr] = getattr(model, attr)
    return out


def _quadratic(x):
    return float(np.sum((x - 1.0) ** 2))


def case_minimize(c, fastgd):
    which = c.pick(["minimize", "minimize", "check_grad"])
    n = c.pick([1, 2, 5])
    x_name = "x" if which == "check_grad" else "x0"
    x0 = c.values(n, special=0.1, name=x_name)
    x0 = c.layout(x0, x_name, p=0.2)
    if c.chance(0.1):
        c.suspects.add(x_name)
        x0 = c.pick([None, [], np.zeros((2, 2)), "ab", [1, "a"]])
    c.inputs["x0"] = x0
    fun_kind = c.pick(["good", "good", "good", "nan", "string", "raise", "array", "bool", "huge"])
    if fun_kind != "good":
        c.suspects.add("fun")

    def fun(x):
        if fun_kind == "nan":
            return np.nan
        if fun_kind == "string":
            return "x"
        if fun_kind == "raise":
            raise UserError("fun")
        if fun_kind == "array":
            return np.zeros(3)
        if fun_kind == "bool":
            return True
        if fun_kind == "huge":
            return 1e308 * float(np.sum(x * x)) * 10
        return _quadratic(x)
    jac_kind = c.pick([None, "good", "good", "wrong_shape", "nan", True])
    if jac_kind not in (None, "good"):
        c.suspects.add("jac")

    def jac(x):
        if jac_kind == "wrong_shape":
            return np.zeros(len(x) + 1)
        if jac_kind == "nan":
            return np.full(len(x), np.nan)
        return 2 * (x - 1.0)
    jac_arg = None if jac_kind is None else (True if jac_kind is True else jac)
    if jac_kind is True:
        f0 = fun

        def fun(x):  # noqa: F811
            return f0(x), 2 * (np.asarray(x) - 1.0)
    if which == "check_grad":
        nd = c.number("n_directions", [1, 10])
        eps = c.number("eps", [None, 1e-6])
        rs = c.number("random_state", [None, 0], bad=[-1, "x"])
        return lambda: fastgd.check_grad(_quadratic, jac if jac_kind != True else None,
                                         x0, n_directions=nd, eps=eps, random_state=rs)
    method = c.number("method", list(fastgd.optim.OPTIMIZERS), bad=["bfgs", None])
    lr = c.number("learning_rate", [None, 0.01, 0.5])
    sched = c.number("schedule", ["constant", "invscaling", "step", "exponential"],
                     bad=["optimal", "adaptive", 3, lambda t: -1.0, lambda t: "a"])
    max_iter = c.number("max_iter", [1, 10, 50])
    tol = c.number("tol", [1e-6, 0.0])
    callback = None
    if c.chance(0.1):
        c.suspects.add("callback")
        callback = c.pick([_raising_callback, lambda r: True, 3])
    return lambda: fastgd.minimize(fun, x0, jac=jac_arg, method=method, learning_rate=lr,
                                   schedule=sched, max_iter=max_iter, tol=tol,
                                   callback=callback)


CASES = [(case_linear_loss_gradient, 3), (case_linear_epoch, 4), (case_saga_epoch, 2),
         (case_small_kernels, 1), (case_rules, 2), (case_mlp, 4), (case_estimator, 6),
         (case_minimize, 2)]
_WEIGHTS = np.array([w for _, w in CASES], dtype=float)
_WEIGHTS /= _WEIGHTS.sum()


def make_case(fastgd, seed, index):
    rng = np.random.default_rng([seed, index])
    c = Case(rng)
    maker = CASES[int(rng.choice(len(CASES), p=_WEIGHTS))][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        call = maker(c, fastgd)
    c.label = maker.__name__[5:] + (" " + c.label.strip() if c.label.strip() else "")
    return c, call


# -- checking one call --------------------------------------------------------

def _snapshot(value):
    if sp.issparse(value):
        return ("sparse", value.format, {k: np.array(getattr(value, k), copy=True)
                                         for k in ("data", "indices", "indptr", "row", "col")
                                         if isinstance(getattr(value, k, None), np.ndarray)},
                value.shape)
    if isinstance(value, np.ndarray):
        return ("array", value.copy(), value.flags.writeable)
    if isinstance(value, list):
        return ("list", repr(value))
    return None


def _same(before, value):
    if before is None:
        return True
    if before[0] == "sparse":
        return all(np.array_equal(arrays, getattr(value, k), equal_nan=arrays.dtype.kind in "fc")
                   for k, arrays in before[2].items()) and value.shape == before[3]
    if before[0] == "array":
        old = before[1]
        try:
            if old.dtype.kind == "O" or old.shape != value.shape:
                raise TypeError
            equal = np.array_equal(old, value, equal_nan=old.dtype.kind in "fc")
        except TypeError:
            equal = all(a is b or a == b or (a != a and b != b)
                        for a, b in zip(old.reshape(-1), np.asarray(value).reshape(-1))) \
                and old.shape == np.shape(value)
        return equal and value.flags.writeable == before[2]
    return repr(value) == before[1]


def _finite(value):
    """Whether every float in a returned value is finite."""
    if isinstance(value, (float, np.floating)):
        return bool(np.isfinite(value))
    if isinstance(value, np.ndarray):
        return value.dtype.kind not in "fc" or bool(np.isfinite(value).all())
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_finite(v) for v in value)
    if sp.issparse(value):
        return _finite(value.data)
    return True


def _all_finite(array):
    return not isinstance(array, np.ndarray) or array.dtype.kind not in "fc" \
        or bool(np.isfinite(array).all())


def _names(message, suspects):
    for name in suspects:
        if re.search(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])", message):
            return True
    # a structured argument is named by its parts
    aliases = {"blocks": ("block_size", "buffer_blocks"), "betas": ("beta1", "beta2"),
               "sample_weight": ("weights",), "hidden_layer_sizes": ("layer_sizes",),
               "fun": ("gradient",), "jac": ("gradient",),
               "early_stopping": ("validation_fraction",)}
    return any(alias in message for name in suspects for alias in aliases.get(name, ()))


# Open findings, counted apart so that a campaign reports what is new.
# UpdateRule.step writes what the rule computes, also from a non-finite or
# huge gradient: its callers (the fit loop, minimize) test the result.  The
# epoch kernels test the parameters, not the optimizer state: an adaptive
# rule's sum of squared gradients can overflow while the parameters stay
# finite.
KNOWN = [
    (re.compile(r"^rules"), re.compile(r"^(params|state) left non-finite$")),
    (re.compile(r"^(linear_epoch|mlp)"), re.compile(r"^state(_coef|_intercept)? left non-finite$")),
]


def _known(label, problems):
    return any(case.search(label) and all(problem.search(p) for p in problems)
               for case, problem in KNOWN)


def run_case(fastgd, seed, index):
    """Run one case; return (verdict, detail): verdict 'ok', 'rejected',
    'known' (a finding listed in KNOWN) or 'finding'."""
    c, call = make_case(fastgd, seed, index)
    before = {name: _snapshot(v) for name, v in c.inputs.items()}
    finite_before = {name: _all_finite(a) for name, a in c.written.items()}
    result, error = None, None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            result = call()
        except UserError:
            pass
        except Exception as exc:        # classified below
            error = exc
    problems = []
    for name, v in c.inputs.items():
        if not _same(before[name], v):
            problems.append(f"input {name} was modified")
    for name, a in c.written.items():
        # a gradient or prediction output is meaningless after an error
        if error is not None and name in ("grad_coef", "grad_intercept", "grad", "out"):
            continue
        if finite_before[name] and not _all_finite(a):
            problems.append(f"{name} left non-finite")
    if error is None:
        if not _finite(result):
            problems.append(f"non-finite output {_short(result)}")
        verdict = "ok"
    else:
        message = str(error)
        if not isinstance(error, (ValueError, TypeError)):
            problems.append(f"{type(error).__name__}: {message[:300]}")
        elif not (isinstance(error, fastgd.DivergenceError) or _names(message, c.suspects)):
            problems.append(f"{type(error).__name__} names none of {sorted(c.suspects)}: "
                            f"{message[:300]}")
        verdict = "rejected"
    if problems:
        return ("known" if _known(c.label, problems) else "finding",
                f"{c.label}: " + "; ".join(problems))
    return verdict, c.label


def _short(value):
    text = repr(value)
    return text if len(text) < 200 else text[:197] + "..."


# -- the worker and the parent ------------------------------------------------

def worker(seed, start, stop, fd):
    """Run cases start..stop-1, announcing each before it runs."""
    import fastgd
    out = os.fdopen(fd, "w", buffering=1)
    sys.stdout = sys.stderr                 # nothing else may write to the pipe
    for index in range(start, stop):
        out.write(json.dumps({"start": index}) + "\n")
        out.flush()
        try:
            verdict, detail = run_case(fastgd, seed, index)
        except Exception:                   # the driver itself failed
            verdict, detail = "finding", "fuzz driver error: " + traceback.format_exc()[-500:]
        out.write(json.dumps({"index": index, "verdict": verdict, "detail": detail}) + "\n")
        out.flush()


def reproducer(seed, index):
    return f"python tools/fuzz.py --seed {seed} --case {index}"


def campaign(seed, calls, timeout, start=0, quiet=False, log=None):
    """Run calls cases in restarted workers; return the summary dict."""
    counts = {"ok": 0, "rejected": 0, "known": 0, "finding": 0, "crash": 0, "hang": 0}
    findings = []
    index, stop = start, start + calls
    t0 = time.time()
    env = dict(os.environ)
    src = _built_source_tree()
    if "PYTHONPATH" not in env and src is not None:
        env["PYTHONPATH"] = src
    while index < stop:
        read_fd, write_fd = os.pipe()
        with tempfile.TemporaryFile() as errfile:
            proc = subprocess.Popen(
                [sys.executable, os.path.abspath(__file__), "--worker", "--seed", str(seed),
                 "--start", str(index), "--stop", str(stop), "--fd", str(write_fd)],
                pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=errfile, env=env)
            os.close(write_fd)
            reader = os.fdopen(read_fd, "r")
            running = None
            last = time.time()
            # the first case also imports fastgd and numpy
            limit = timeout + 30
            outcome = None
            while True:
                ready, _, _ = select.select([reader], [], [], max(0.0, limit - (time.time() - last)))
                if not ready:
                    outcome = "hang"
                    proc.kill()
                    proc.wait()
                    break
                line = reader.readline()
                if not line:
                    proc.wait()
                    outcome = "exit"
                    break
                message = json.loads(line)
                last, limit = time.time(), timeout
                if "start" in message:
                    running = message["start"]
                    continue
                running = None
                index = message["index"] + 1
                counts[message["verdict"]] += 1
                if message["verdict"] == "finding":
                    findings.append({"index": message["index"], "kind": "finding",
                                     "detail": message["detail"]})
                    if not quiet:
                        print(f"finding at case {message['index']}: {message['detail']}\n"
                              f"  reproduce: {reproducer(seed, message['index'])}", flush=True)
                done = index - start
                if log and done % 10000 == 0:
                    print(f"{done} calls, {time.time() - t0:.0f} s, {counts}", file=log,
                          flush=True)
            reader.close()
            if running is not None:
                errfile.seek(0)
                tail = errfile.read().decode(errors="replace")[-3000:]
                kind = "hang" if outcome == "hang" else "crash"
                counts[kind] += 1
                code = proc.returncode
                how = (f"signal {-code} ({signal.Signals(-code).name})" if code and code < 0
                       else f"exit status {code}")
                detail = (f"no answer within {timeout} s" if kind == "hang" else how)
                findings.append({"index": running, "kind": kind, "detail": detail,
                                 "stderr": tail})
                if not quiet:
                    print(f"{kind} at case {running}: {detail}\n  reproduce: "
                          f"{reproducer(seed, running)}\n{tail}", flush=True)
                index = running + 1
            elif outcome == "exit" and index < stop:
                errfile.seek(0)
                raise RuntimeError("the fuzz worker stopped between cases:\n"
                                   + errfile.read().decode(errors="replace")[-3000:])
    return {"seed": seed, "calls": calls, "seconds": round(time.time() - t0, 1),
            **counts, "findings": findings}


def _built_source_tree():
    """The checkout's src/ when it holds an in-place build, else None (the
    installed fastgd is used: a source tree without its compiled kernels
    would shadow it and fail to import)."""
    src = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                       os.pardir, "src"))
    kernels = os.path.join(src, "fastgd", "kernels")
    built = os.path.isdir(kernels) and any(
        name.startswith("_common.") and name.endswith((".so", ".pyd"))
        for name in os.listdir(kernels))
    return src if built else None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000, help="cases to run (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="the campaign's seed (default 0)")
    parser.add_argument("--start", type=int, default=0, help="first case index (default 0)")
    parser.add_argument("--timeout", type=float, default=20.0,
                        help="seconds a case may run before it counts as a hang (default 20)")
    parser.add_argument("--case", type=int, help="run this one case in this process and "
                        "show what it does")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--stop", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.seed, args.start, args.stop, args.fd)
        return 0
    if args.case is not None:
        if _built_source_tree() is not None:
            sys.path.insert(0, _built_source_tree())
        import fastgd
        c, call = make_case(fastgd, args.seed, args.case)
        print(f"case {args.case} of seed {args.seed}: {c.label}\n"
              f"  random arguments: {sorted(c.suspects)}")
        for name, value in c.inputs.items():
            print(f"  {name} = {_short(value)}")
        verdict, detail = run_case(fastgd, args.seed, args.case)
        print(f"{verdict}: {detail}")
        if verdict != "ok":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    make_case(fastgd, args.seed, args.case)[1]()
                except Exception:
                    traceback.print_exc()
        return 1 if verdict == "finding" else 0
    summary = campaign(args.seed, args.calls, args.timeout, start=args.start,
                       quiet=args.json, log=sys.stderr)
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"{summary['calls']} calls (seed {args.seed}, cases {args.start}.."
              f"{args.start + args.calls - 1}) in {summary['seconds']} s: "
              f"{summary['ok']} succeeded, {summary['rejected']} rejected with a named "
              f"argument, {summary['known']} known open findings, {summary['finding']} findings, {summary['crash']} crashes, "
              f"{summary['hang']} hangs")
    bad = summary["finding"] + summary["crash"] + summary["hang"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
