"""``fastgd bench``: fastgd beside whichever peers are installed.

A small comparison that ships with the package (the full one, with the
project's targets and the time-to-a-good-model curves, is
``benchmarks/compare.py`` in a source checkout).  Each row times the same
work on the same data: one shuffled per-sample SGD epoch against
scikit-learn's ``SGDClassifier`` / ``SGDRegressor`` (``max_iter=1``), a
full-batch gradient against NumPy's ``X.T @ (h(X @ w) - y)``, one
mini-batch Adam epoch against ``torch.optim.Adam`` on a ``torch.nn.Linear``,
and one epoch of a network against scikit-learn's ``MLPClassifier``.  A
time is the best of ``repeats`` runs.
"""
import os
import platform
import time
import warnings

import numpy as np
from scipy.special import expit

from .. import __version__, kernels
from ..datasets import make_problem
from ..kernels import mlp as mlp_kernels
from ..optim import make_rule

ALPHA, RATE = 1e-4, 0.01


def _best(fn, repeats, setup=None):
    best = np.inf
    for _ in range(repeats):
        if setup is not None:
            setup()
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(module):
    try:
        return __import__(module).__version__
    except ImportError:
        return None


def machine():
    rows = [("CPU", f"{_cpu()}, {os.cpu_count()} logical cores"),
            ("System", f"{platform.system()} {platform.release()}"),
            ("Python", platform.python_version()), ("fastgd", __version__)]
    for name in ("numpy", "scipy", "sklearn", "torch"):
        version = _version(name)
        rows.append((name, version or "not installed"))
    return rows


def _sgd_rows(n, d, repeats):
    try:
        from sklearn.linear_model import SGDClassifier, SGDRegressor
    except ImportError:
        return [("per-sample SGD epoch", "scikit-learn", None, None)]
    rows = []
    for kind, loss, peer in (("binary", "logistic", SGDClassifier),
                             ("regression", "squared", SGDRegressor)):
        X, y = make_problem(kind, n, d, random_state=0)
        y = y.astype(np.float64)
        coef, intercept = np.zeros((1, d)), np.zeros(1)
        rule = make_rule("sgd", RATE)

        def ours():
            order = kernels.shuffled_order(n, random_state=0)
            kernels.epoch(X, y, coef, intercept, loss=loss, alpha=ALPHA, rule=rule, order=order)

        def reset():
            coef[...] = 0.0
            intercept[...] = 0.0

        model = peer(loss="log_loss" if loss == "logistic" else "squared_error",
                     penalty="l2", alpha=ALPHA, learning_rate="constant", eta0=RATE,
                     max_iter=1, tol=None, shuffle=True, random_state=0)

        def theirs():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(X, y)

        rows.append((f"per-sample SGD epoch, {loss}, {n:,} x {d}", f"scikit-learn {peer.__name__}",
                     _best(ours, repeats, reset), _best(theirs, repeats)))
    return rows


def _gradient_row(n, d, repeats):
    X, y = make_problem("binary", n, d, random_state=0)
    y = y.astype(np.float64)
    coef, intercept = np.full((1, d), 0.01), np.zeros(1)
    grad_coef, grad_intercept = np.empty_like(coef), np.empty_like(intercept)

    def ours():
        kernels.loss_gradient(X, y, coef, intercept, grad_coef, grad_intercept,
                              loss="logistic", alpha=ALPHA)

    def theirs():
        r = expit(X @ coef[0] + intercept[0]) - y
        return X.T @ r / n + ALPHA * coef[0], r.mean()

    return [(f"full-batch gradient, logistic, {n:,} x {d}", "NumPy",
             _best(ours, repeats), _best(theirs, repeats))]


def _adam_row(n, d, repeats):
    try:
        import torch
    except ImportError:
        return [("mini-batch Adam epoch", "torch", None, None)]
    torch.set_num_threads(1)
    X, y = make_problem("regression", n, d, random_state=0)
    coef, intercept = np.zeros((1, d)), np.zeros(1)
    state_coef, state_intercept = kernels.init_state(coef, intercept)
    rule = make_rule("adam", 1e-3)

    def ours():
        order = kernels.shuffled_order(n, random_state=0)
        kernels.minibatch_epoch(X, y, coef, intercept, 32, loss="squared", rule=rule,
                                order=order, state_coef=state_coef,
                                state_intercept=state_intercept)

    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    layer = torch.nn.Linear(d, 1, dtype=torch.float64)
    optimizer = torch.optim.Adam(layer.parameters(), lr=1e-3)

    def theirs():
        order = torch.randperm(n)
        for start in range(0, n, 32):
            rows = order[start:start + 32]
            optimizer.zero_grad()
            loss = 0.5 * ((layer(Xt[rows])[:, 0] - yt[rows]) ** 2).mean()
            loss.backward()
            optimizer.step()

    return [(f"mini-batch Adam epoch (batch 32), {n:,} x {d}", "torch.optim.Adam",
             _best(ours, repeats), _best(theirs, repeats))]


def _mlp_row(n, d, repeats):
    try:
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        return [("network epoch", "scikit-learn MLPClassifier", None, None)]
    X, y = make_problem("multiclass", n, d, n_classes=10, random_state=0)
    sizes = np.array([d, 64, 10], dtype=np.intp)
    Y = np.eye(10)[y]
    theta = mlp_kernels.init_params(sizes, random_state=0)
    rule = make_rule("sgd", RATE)

    def ours():
        order = kernels.shuffled_order(n, random_state=0)
        mlp_kernels.epoch(X, Y, theta, sizes, activation="logistic", output="softmax",
                          rule=rule, order=order, batch_size=32)

    model = MLPClassifier((64,), activation="logistic", solver="sgd", momentum=0.0,
                          learning_rate_init=RATE, batch_size=32, max_iter=1, tol=0.0,
                          random_state=0)

    def theirs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)

    return [(f"network epoch {d} -> 64 -> 10, batch 32, {n:,} rows",
             "scikit-learn MLPClassifier", _best(ours, repeats), _best(theirs, repeats))]


def run(quick=False, repeats=None, out=print):
    n, d = (20_000, 20) if quick else (200_000, 100)
    repeats = repeats or (2 if quick else 3)
    out("fastgd bench" + (" --quick" if quick else "") +
        f": best of {repeats} runs; ratio = the peer's time / fastgd's (above 1: fastgd is faster)")
    out("")
    out("| Machine | |\n|---|---|")
    for label, value in machine():
        out(f"| {label} | {value} |")
    out("")
    rows = (_sgd_rows(n, d, repeats) + _gradient_row(n, d, repeats) +
            _adam_row(n // 4, d, repeats) + _mlp_row(n // 4, d, repeats))
    out("| Workload | Peer | fastgd | Peer | Ratio |\n|---|---|---|---|---|")
    for what, peer, ours, theirs in rows:
        if ours is None:
            out(f"| {what} | {peer} | | not installed | |")
        else:
            out(f"| {what} | {peer} | {ours * 1e3:.2f} ms | {theirs * 1e3:.2f} ms | "
                f"{theirs / ours:.2f}x |")
    return 0
