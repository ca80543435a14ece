"""Block-shuffled epochs (``shuffle='blocks'``): speed, statistical quality,
and data read from disk, each table with its ratios beside their targets.

1. speed: one per-sample SGD epoch (alpha 1e-4, constant rate) over the
   benchmarks' 200,000 x 100 dense problems (squared and logistic, float64
   and float32) and the CSR 100,000 x 100,000 problem with 50 non-zeros a
   row: in order, with a block order (read in place, as the estimators
   read X in memory; and copied into cache by the kernel's block mode, as
   they read a file-mapped X), with a full permutation, against ``X.sum()`` and against
   scikit-learn's shuffled SGDRegressor / SGDClassifier epoch.  The order
   is drawn inside the timed call, as an estimator draws it.  scikit-learn's
   epoch is (fit with max_iter=3 - fit with max_iter=1) / 2, tol=None: the
   fit's own validation and set-up cancel.
2. quality: held-out loss after 1, 3 and 10 epochs (partial_fit, one epoch
   a call) with shuffle='blocks' over that with shuffle=True, the mean over
   5 seeds of each (--seeds), for logistic, softmax and squared loss (solver 'sgd')
   and an MLP classifier (its defaults: mini-batches of 200, plain steps),
   on 20,000 x 20 training rows (a) in random order, (b) sorted by label or
   target.
3. disk: a float32 file of --disk-gb GB (100 features) read through
   np.load(mmap_mode='r'), the page cache dropped before each pass
   (posix_fadvise DONTNEED, checked by timing a cold and a warm read): a
   logistic SGD epoch with a block order against one sequential read of the
   file, and a full permutation on a fraction of an epoch, scaled up.
4. fits: the stochastic solvers' default fits ('sgd', 'minibatch', 'saga')
   on optimum_compare.py's 200,000 x 100 problems (logistic, softmax with 5
   classes, squared; float64, in memory), shuffle=True against 'blocks':
   seconds, epochs and the relative gap to the exact optimum.  Not part of
   the default run (--tables fits).

Run::

    PYTHONPATH=src flock /tmp/fastgd-cpu.lock python benchmarks/block_shuffle_compare.py
    PYTHONPATH=src python benchmarks/block_shuffle_compare.py --tables quality --scale 0.1

Every kernel runs on one thread; run it with nothing else busy.
"""
import argparse
import os
import shutil
import sys
import tempfile
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workloads import ALPHA, dense_problem, sparse_problem  # noqa: E402

from fastgd import (LinearRegression, LogisticRegression, MLPClassifier,  # noqa: E402
                    SoftmaxRegression, kernels)

RATE = 1e-3
QUALITY_EPOCHS = (1, 3, 10)
QUALITY_SEEDS = 5


def median_time(run, repeats, reset=None):
    times = []
    for _ in range(repeats):
        if reset is not None:
            reset()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def verdict(ok):
    return "ok" if ok else "MISSED"


# -- 1. speed ------------------------------------------------------------------
def fastgd_epochs(X, y, loss, repeats):
    """Seconds of an epoch in order, with a block order, with a full permutation."""
    n, d = X.shape
    coef, intercept = np.zeros((1, d), X.dtype), np.zeros(1, X.dtype)
    rule = kernels.make_rule("sgd", RATE)
    block_size, buffer_blocks = kernels.block_geometry(X)
    rng = np.random.default_rng(0)

    def reset():
        coef[...] = 0.0
        intercept[...] = 0.0

    def epoch(order=None, blocks=None):
        kernels.sgd_epoch(X, y, coef, intercept, loss=loss, alpha=ALPHA, rule=rule,
                          order=order, blocks=blocks)

    return {
        "in order": median_time(lambda: epoch(), repeats, reset),
        "blocks": median_time(lambda: epoch(kernels.block_order(n, block_size, buffer_blocks, rng)),
                              repeats, reset),
        "blocks copied": median_time(
            lambda: epoch(kernels.block_order(n, block_size, buffer_blocks, rng),
                          (block_size, buffer_blocks)), repeats, reset),
        "full shuffle": median_time(lambda: epoch(kernels.shuffled_order(n, rng)), repeats, reset),
    }


def sklearn_epoch(X, y, loss, repeats):
    """Seconds of one shuffled scikit-learn SGD epoch, or None without it."""
    try:
        from sklearn.linear_model import SGDClassifier, SGDRegressor
    except ImportError:
        return None
    peer = SGDClassifier if loss == "logistic" else SGDRegressor
    name = "log_loss" if loss == "logistic" else "squared_error"

    def fit(epochs):
        model = peer(loss=name, penalty="l2", alpha=ALPHA, learning_rate="constant",
                     eta0=RATE, max_iter=epochs, tol=None, shuffle=True, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)

    return max(median_time(lambda: fit(3), repeats) - median_time(lambda: fit(1), repeats),
               0.0) / 2


def speed_table(scale, repeats):
    print("\n1. speed: one per-sample SGD epoch (median of %d; ms)" % repeats)
    print(f"{'problem':<34}{'X.sum':>8}{'order':>8}{'blocks':>8}{'copied':>8}{'full':>8}"
          f"{'sklearn':>9}"
          f"{'blocks/sum':>12}{'target':>8}{'sk/blocks':>11}{'target':>8}{'full/blocks':>12}")
    rows = [(loss, dtype) for loss in ("squared", "logistic") for dtype in ("float64", "float32")]
    for loss, dtype in rows:
        X, y = dense_problem(loss, dtype, scale)
        t_sum = median_time(X.sum, repeats)
        ours = fastgd_epochs(X, y, loss, repeats)
        theirs = sklearn_epoch(X, y, loss, max(3, repeats // 2))
        b = ours["blocks"]
        sk = "" if theirs is None else f"{1e3 * theirs:9.1f}"
        sk_ratio = "" if theirs is None else f"{theirs / b:10.1f}x {verdict(theirs / b >= 10):>7}"
        print(f"{f'{loss} {dtype} {X.shape[0]:,} x {X.shape[1]}':<34}{1e3 * t_sum:8.1f}"
              f"{1e3 * ours['in order']:8.1f}{1e3 * b:8.1f}{1e3 * ours['blocks copied']:8.1f}"
              f"{1e3 * ours['full shuffle']:8.1f}"
              f"{sk:>9}{b / t_sum:11.2f}x {verdict(b / t_sum <= 1.5):>7} <=1.5"
              f"{sk_ratio:>19} >=10{ours['full shuffle'] / b:11.2f}x")
    X, y = sparse_problem(scale)
    ours = fastgd_epochs(X, y, "logistic", repeats)
    theirs = sklearn_epoch(X, y, "logistic", max(3, repeats // 2))
    b = ours["blocks"]
    label = f"logistic CSR {X.shape[0]:,} x {X.shape[1]:,}"
    line = (f"{label:<34}{'':>8}{1e3 * ours['in order']:8.1f}{1e3 * b:8.1f}"
            f"{1e3 * ours['blocks copied']:8.1f}{1e3 * ours['full shuffle']:8.1f}")
    if theirs is not None:
        line += (f"{1e3 * theirs:9.1f}{'':>20}{theirs / b:10.1f}x {verdict(theirs / b >= 6):>7}"
                 f" >=6 {ours['full shuffle'] / b:10.2f}x")
    print(line)


# -- 2. quality ----------------------------------------------------------------
def quality_data(kind, n, d, seed):
    rng = np.random.default_rng(1000 + seed)
    X = rng.standard_normal((n, d))
    W = rng.standard_normal((4, d)) / np.sqrt(d)
    if kind == "squared":
        y = X @ W[0] + 0.3 * rng.standard_normal(n)
    elif kind == "softmax" or kind == "mlp":
        scores = 2.0 * X @ W.T
        if kind == "mlp":
            scores = scores + 1.5 * np.tanh(X[:, :4] * X[:, 4:8]) @ rng.standard_normal((4, 4))
        y = (scores + rng.gumbel(size=(n, 4))).argmax(axis=1)
    else:
        y = (rng.random(n) < 1.0 / (1.0 + np.exp(-2.0 * X @ W[0]))).astype(int)
    return X, y


def heldout_loss(model, kind, X, y):
    if kind == "squared":
        return float(np.mean((model.predict(X) - y) ** 2))
    P = np.clip(model.predict_proba(X), 1e-15, 1.0)
    if P.ndim == 1 or P.shape[1] == 1:
        P = np.column_stack([1 - P.ravel(), P.ravel()])
    return float(-np.mean(np.log(P[np.arange(len(y)), np.searchsorted(model.classes_, y)])))


MODELS = {
    "logistic": lambda **kw: LogisticRegression(solver="sgd", **kw),
    "softmax": lambda **kw: SoftmaxRegression(solver="sgd", **kw),
    "squared": lambda **kw: LinearRegression(solver="sgd", **kw),
    "mlp": lambda **kw: MLPClassifier((32,), **kw),
}


def losses_by_epoch(kind, shuffle, seed, sort, n, d):
    X, y = quality_data(kind, n + n // 2, d, seed)
    X_train, y_train, X_test, y_test = X[:n], y[:n], X[n:], y[n:]
    if sort:
        index = np.argsort(y_train, kind="stable")
        X_train, y_train = np.ascontiguousarray(X_train[index]), y_train[index]
    model = MODELS[kind](shuffle=shuffle, random_state=seed)
    extra = {} if kind == "squared" else {"classes": np.unique(y)}
    out = []
    for epoch in range(1, max(QUALITY_EPOCHS) + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.partial_fit(X_train, y_train, **extra)
        if epoch in QUALITY_EPOCHS:
            out.append(heldout_loss(model, kind, X_test, y_test))
    return np.array(out)


def quality_table(scale, seeds=QUALITY_SEEDS):
    n, d = max(2000, round(20000 * scale)), 20
    print(f"\n2. quality: held-out loss, shuffle='blocks' / shuffle=True, mean of "
          f"{seeds} seeds, {n:,} x {d} (target <= 1.01)")
    print(f"{'model':<10}{'data':<8}" + "".join(f"{f'epoch {e}: blocks/full ratio':>36}"
                                               for e in QUALITY_EPOCHS))
    for kind in MODELS:
        for sort in (False, True):
            runs = {shuffle: np.mean([losses_by_epoch(kind, shuffle, seed, sort, n, d)
                                      for seed in range(seeds)], axis=0)
                    for shuffle in ("blocks", True)}
            cells = "".join(
                f"{f'{b:.4f}/{f:.4f} {b / f:.3f} {verdict(b / f <= 1.01)}':>36}"
                for b, f in zip(runs["blocks"], runs[True]))
            print(f"{kind:<10}{'sorted' if sort else 'random':<8}{cells}")


# -- 3. disk -------------------------------------------------------------------
def drop_cache(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def read_in_order(path, chunk=16 << 20):
    buf = bytearray(chunk)
    view = memoryview(buf)
    start = time.perf_counter()
    with open(path, "rb", buffering=0) as f:
        while f.readinto(view):
            pass
    return time.perf_counter() - start


def write_file(path, n, d):
    rng = np.random.default_rng(0)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, d))
    step = 1 << 18
    for lo in range(0, n, step):
        out[lo:lo + step] = rng.random((min(step, n - lo), d), dtype=np.float32) - 0.5
    out.flush()
    del out
    fd = os.open(path, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)


def disk_table(gigabytes, fraction):
    d = 100
    n = int(gigabytes * 1e9) // (4 * d)
    directory = tempfile.mkdtemp(prefix="fastgd-blocks-", dir="/tmp")
    path = os.path.join(directory, "X.npy")
    print(f"\n3. disk: float32 {n:,} x {d} ({n * d * 4 / 1e9:.1f} GB) in {path}, "
          "page cache dropped before each pass (s)")
    free = shutil.disk_usage(directory).free
    if free < 2 * n * d * 4:
        print(f"   not run: {free / 1e9:.1f} GB free")
        return
    try:
        write_file(path, n, d)
        y = (np.random.default_rng(1).random(n) < 0.5).astype(np.float32)
        drop_cache(path)
        cold = read_in_order(path)
        warm = read_in_order(path)
        print(f"   sequential read: cold {cold:.2f}, warm {warm:.2f} "
              f"({'the drop works' if cold > 1.5 * warm else 'THE DROP HAS NO EFFECT'})")
        drop_cache(path)
        X = np.load(path, mmap_mode="r")
        block_size, buffer_blocks = kernels.block_geometry(X)
        order = kernels.block_order(n, block_size, buffer_blocks, 0)
        coef, intercept = np.zeros((1, d), np.float32), np.zeros(1, np.float32)
        start = time.perf_counter()
        kernels.sgd_epoch(X, y, coef, intercept, loss="logistic", learning_rate=RATE,
                          order=order, blocks=(block_size, buffer_blocks))
        blocks = time.perf_counter() - start
        del X
        drop_cache(path)
        X = np.load(path, mmap_mode="r")
        part = kernels.shuffled_order(n, 0)[:max(1, int(n * fraction))]
        start = time.perf_counter()
        kernels.sgd_epoch(X, y, coef, intercept, loss="logistic", learning_rate=RATE,
                          order=part)
        full = (time.perf_counter() - start) * n / part.size
        del X
        print(f"   blocks epoch {blocks:.2f} (blocks of {block_size:,} rows, "
              f"{block_size * d * 4 / 2**20:.1f} MiB, {buffer_blocks} a buffer): "
              f"{blocks / cold:.2f}x the cold read, target <= 1.5 {verdict(blocks / cold <= 1.5)}")
        print(f"   full shuffle epoch {full:.1f} (from {part.size:,} rows, {fraction:.2%}): "
              f"{full / blocks:.1f}x the blocks epoch, target >= 20 "
              f"{verdict(full / blocks >= 20)}")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


# -- 4. default fits -----------------------------------------------------------
def fits_table(scale):
    """The stochastic solvers' default fits with a full shuffle and with a
    block order, on the problems optimum_compare.py solves exactly."""
    import optimum_compare as oc
    rows = max(1000, round(200_000 * scale))
    print(f"\n4. fits: default stochastic fits, {rows:,} x 100, random_state=0 "
          "(seconds, epochs, relative gap to the optimum; full shuffle | blocks)")
    print("| problem | solver | full shuffle | blocks | full / blocks time |\n|---|---|---|---|---|")
    problems = (("logistic", LogisticRegression, oc.correlated_logistic(rows)),
                ("softmax K=5", SoftmaxRegression, oc.correlated_logistic(rows, classes=5)),
                ("squared", LinearRegression, oc.correlated_regression(rows)))
    for name, Est, (X, y) in problems:
        kind = name.split()[0]
        _, best = oc.exact_optimum(kind, X, y, oc.ALPHA)
        for solver in ("sgd", "minibatch", "saga"):
            cells, seconds = [], []
            for shuffle in (True, "blocks"):
                start = time.perf_counter()
                model = Est(alpha=oc.ALPHA, solver=solver, shuffle=shuffle,
                            random_state=0).fit(X, y)
                seconds.append(time.perf_counter() - start)
                gap = oc.relative_gap(kind, X, y, model.coef_, model.intercept_, oc.ALPHA, best)
                cells.append(f"{seconds[-1]:.2f} s, {model.n_iter_}, {gap:.1e}")
            print(f"| {name} | '{solver}' | {cells[0]} | {cells[1]} | "
                  f"{seconds[0] / seconds[1]:.2f}x |", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", nargs="*", default=["speed", "quality", "disk"],
                        choices=["speed", "quality", "disk", "fits"])
    parser.add_argument("--scale", type=float, default=1.0, help="size factor (default 1)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seeds", type=int, default=QUALITY_SEEDS,
                        help="seeds the quality table averages over (the last steps' noise "
                             "moves a 5-seed mean by a few percent; 30 resolve 1%%)")
    parser.add_argument("--disk-gb", type=float, default=4.0)
    parser.add_argument("--disk-fraction", type=float, default=0.002,
                        help="share of a full-shuffle epoch timed on the cold file")
    args = parser.parse_args(argv)
    if "speed" in args.tables:
        speed_table(args.scale, args.repeats)
    if "quality" in args.tables:
        quality_table(args.scale, args.seeds)
    if "disk" in args.tables:
        disk_table(args.disk_gb, args.disk_fraction)
    if "fits" in args.tables:
        fits_table(args.scale)


if __name__ == "__main__":
    main()
