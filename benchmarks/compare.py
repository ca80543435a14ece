"""Measure fastgd beside its peers against the project's targets; print one Markdown table.

Usage (from a checkout, after ``python setup.py build_ext --inplace``)::

    PYTHONPATH=src python benchmarks/compare.py               # the standard sizes
    PYTHONPATH=src python benchmarks/compare.py --scale 0.01  # every size x 0.01
    PYTHONPATH=src python benchmarks/compare.py --quick       # smoke run
    PYTHONPATH=src python benchmarks/compare.py --sections dense,adam

The table on stdout is ready to paste into docs/performance.md (progress goes
to stderr).  Ratios are fastgd's time / the peer's time unless the target says
"faster" (then the peer's time / fastgd's).  The kernel figures (dense,
sparse, adam) are timed in ``--rounds`` rounds; in each, a timing is the
median of ``--repeats`` runs after a pause and WARM_SECONDS of warm-up runs
(the memory floor X.sum() takes the best run), and the table shows each
timing's median over the rounds.  Time to a good model is measured once.  The
workloads are those of the pytest-benchmark suites
(``workloads.py``), whose tests also check that the implementations agree.
"""
import argparse
import math
import statistics
import sys
import time
import warnings

import numpy as np

import workloads as W

SECTIONS = ("dense", "sparse", "adam", "model")


def log(message):
    print(message, file=sys.stderr, flush=True)


# -- timing --------------------------------------------------------------------
# Seconds to wait before timing a workload.  OpenBLAS's worker threads keep
# spinning for a while after a call (and so may OpenMP's): without a pause
# the contender timed next shares its cores with the last one's idle threads.
SETTLE_SECONDS = 0.3
# Seconds of untimed runs before the timed ones (at least one run).  One
# warm-up run is not enough on a small virtual machine: after the pause an
# idle core wakes slowly, and a two-thread gradient can take 18 ms for its
# first runs against 12.6 ms once both cores are busy (float32 softmax).
WARM_SECONDS = 0.25


def timings(workload, repeats):
    """Seconds of ``workload.run()`` for each of ``repeats`` runs, after a
    settling pause and WARM_SECONDS of untimed warm-up runs; ``reset()``
    (untimed) before every run."""
    time.sleep(SETTLE_SECONDS)
    warm_until = time.perf_counter() + WARM_SECONDS
    while True:
        workload.reset()
        workload.run()
        if time.perf_counter() >= warm_until:
            break
    times = []
    for _ in range(repeats):
        workload.reset()
        start = time.perf_counter()
        workload.run()
        times.append(time.perf_counter() - start)
    return times


def median_time(workload, repeats):
    return statistics.median(timings(workload, repeats))


def best_time(workload, repeats):
    return min(timings(workload, repeats))


def fmt_time(seconds):
    if seconds is None or not math.isfinite(seconds):
        return "—"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1.0:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


# -- the table -----------------------------------------------------------------
class Row:
    """One figure: fastgd's time beside a peer's, and the target it must meet.

    ``kind`` is 'ratio' (fastgd / peer <= target), 'faster' (peer / fastgd >=
    target) or 'sooner' (fastgd / peer < target: time to a good model).
    A time of None means 'did not happen' (no good model within the budgets).
    """

    def __init__(self, section, figure, fastgd, peer, peer_time, kind, target, extra_targets=()):
        self.section, self.figure, self.fastgd, self.peer = section, figure, fastgd, peer
        self.peer_time, self.kind, self.target = peer_time, kind, target
        self.extra_targets = extra_targets      # (label, target) also judged on this figure

    def value(self):
        if self.fastgd is None or self.peer_time is None:
            return None
        if self.kind == "faster":
            return self.peer_time / self.fastgd
        return self.fastgd / self.peer_time

    def _met(self, target):
        value = self.value()
        if value is None:
            # only fastgd reaching a good model that the peer never reached counts
            return self.kind == "sooner" and self.fastgd is not None
        if self.kind == "faster":
            return value >= target
        if self.kind == "sooner":
            return value < target
        return value <= target

    def cells(self):
        value = self.value()
        if value is None:
            measured = "fastgd: not reached" if self.fastgd is None else "peer: not reached"
        elif self.kind == "faster":
            measured = f"{value:.2f}× faster"
        else:
            measured = f"{value:.2f}×"
        if self.kind == "faster":
            target = f"≥ {self.target:g}× faster"
        elif self.kind == "sooner":
            target = f"< {self.target:g}× (sooner)"
        else:
            target = f"≤ {self.target:g}×"
        met = "yes" if self._met(self.target) else "**no**"
        for label, extra in self.extra_targets:
            target += f"; {label} {extra:g}×"
            met += f"; {'yes' if self._met(extra) else '**no**'}"
        return [self.section, self.figure, fmt_time(self.fastgd), self.peer,
                fmt_time(self.peer_time), measured, target, met]


def merge_rounds(rounds):
    """One Row per figure from several rounds of the same figures (lists of
    Rows in the same order): the median of each time over the rounds.  The
    rounds are minutes apart, so a slow spell of this shared machine moves one
    round, not every figure's median."""
    merged = []
    for same in zip(*rounds, strict=True):
        first = same[0]
        if any(r.figure != first.figure or r.peer != first.peer for r in same):
            raise RuntimeError(f"rounds measured different figures: {[r.figure for r in same]}")
        merged.append(Row(first.section, first.figure, statistics.median(r.fastgd for r in same),
                          first.peer, statistics.median(r.peer_time for r in same),
                          first.kind, first.target, first.extra_targets))
    return merged


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# -- the sections --------------------------------------------------------------
def dense_rows(scale, repeats):
    rows = []
    n, d = W.dense_shape(scale)
    shape = f"{n:,}×{d}"
    shuffled = {}
    for dtype in W.DTYPES:
        for loss in ("squared", "logistic"):
            X, y = W.dense_problem(loss, dtype, scale)
            what = f"{shape} {dtype}, {loss}"
            log(f"dense SGD epoch: {what}")
            floor = best_time(W.MemoryFloor(X), repeats)
            seq = median_time(W.FastgdSGDEpoch(X, y, loss, shuffle=False), repeats)
            shuf = median_time(W.FastgdSGDEpoch(X, y, loss, shuffle=True), repeats)
            skl = median_time(W.SklearnSGDEpoch(X, y, loss, shuffle=True), repeats)
            shuffled[dtype, loss] = (shuf, seq)
            peer = "SGDRegressor" if loss == "squared" else "SGDClassifier"
            rows.append(Row("dense", f"SGD epoch, sequential — {what}", seq, "X.sum()", floor, "ratio", 1.5))
            rows.append(Row("dense", f"SGD epoch, shuffled — {what}", shuf, "X.sum()", floor, "ratio", 2.5))
            rows.append(Row("dense", f"SGD epoch, shuffled — {what}", shuf, f"sklearn {peer}", skl,
                            "faster", 4, extra_targets=[("minimum", 2)]))
    for loss in ("squared", "logistic"):
        for i, order in enumerate(("shuffled", "sequential")):
            rows.append(Row("dense", f"SGD epoch, {order}, float32 vs float64 — {shape}, {loss}",
                            shuffled["float32", loss][i], "fastgd float64",
                            shuffled["float64", loss][i], "faster", 1.5))
    for dtype in W.DTYPES:
        for loss in ("squared", "logistic", "softmax"):
            X, y = W.dense_problem(loss, dtype, scale)
            what = f"{shape} {dtype}, {loss}" + (f" K={W.SOFTMAX_CLASSES}" if loss == "softmax" else "")
            log(f"dense gradient: {what}")
            numpy = median_time(W.NumpyGradient(X, y, loss), repeats)
            one = median_time(W.FastgdGradient(X, y, loss, n_jobs=1), repeats)
            two = median_time(W.FastgdGradient(X, y, loss, n_jobs=2), repeats)
            rows.append(Row("dense", f"full-batch gradient, n_jobs=2 — {what}", two,
                            "NumPy X.T @ (h(X @ w) − y)", numpy, "ratio", 0.7))
            rows.append(Row("dense", f"full-batch gradient, n_jobs=1 — {what}", one,
                            "NumPy X.T @ (h(X @ w) − y)", numpy, "ratio", 1.0))
    W.dense_problem.cache_clear()
    W.dense_features.cache_clear()
    return rows


def sparse_rows(scale, repeats):
    X, y = W.sparse_problem(scale)
    n, d = X.shape
    what = f"CSR {n:,}×{d:,}, {X.nnz // n} nnz/row, logistic"
    log(f"sparse: {what}")
    kwargs = dict(shuffle=True, rate=W.SPARSE_SGD_RATE)
    fastgd = median_time(W.FastgdSGDEpoch(X, y, "logistic", **kwargs), repeats)
    skl = median_time(W.SklearnSGDEpoch(X, y, "logistic", **kwargs), repeats)
    scipy_time = median_time(W.NumpyGradient(X, y, "logistic"), repeats)
    one = median_time(W.FastgdGradient(X, y, "logistic", n_jobs=1), repeats)
    two = median_time(W.FastgdGradient(X, y, "logistic", n_jobs=2), repeats)
    W.sparse_problem.cache_clear()
    peer = "SciPy X.T @ (σ(X @ w) − y)"
    return [Row("sparse", f"SGD epoch, shuffled — {what}", fastgd, "sklearn SGDClassifier", skl, "faster", 3),
            Row("sparse", f"full-batch gradient, n_jobs=1 — {what}", one, peer, scipy_time, "ratio", 1.0),
            Row("sparse", f"full-batch gradient, n_jobs=2 — {what}", two, peer, scipy_time, "ratio", 1.0)]


def adam_rows(scale, repeats):
    try:
        import torch  # noqa: F401
    except ImportError:
        log("adam: torch is not installed, rows skipped")
        return []
    rows = []
    n, d = W.dense_shape(scale)
    for dtype in W.DTYPES:
        X, y = W.dense_problem("squared", dtype, scale)
        what = f"batch {W.MINIBATCH}, {n:,}×{d} {dtype}, squared"
        log(f"adam: {what}")
        fastgd = median_time(W.FastgdRuleEpoch(X, y, "squared", "adam", W.MINIBATCH,
                                               rate=W.ADAM_RATE, alpha=0.0), repeats)
        torch_time = median_time(W.TorchAdamEpoch(X, y), repeats)
        rows.append(Row("adam", f"mini-batch Adam epoch — {what}", fastgd,
                        "torch.optim.Adam + nn.Linear", torch_time, "faster", 2))
    W.dense_problem.cache_clear()
    W.dense_features.cache_clear()
    return rows


# -- time to a good model ------------------------------------------------------
# The fastgd setting for solver='sgd': a decaying rate (eta / t**0.25) reaches
# within 1% of the optimum in about one epoch on this problem.
SGD_SETTING = dict(learning_rate=0.01, schedule="invscaling", power_t=0.25)


def model_candidates(n_train):
    """[(label, constructor as written, make(budget))]: each candidate as a
    user would fit it, with the same L2 (alpha = 1e-4 on the mean loss;
    C = 1 / (n alpha) for LogisticRegression), the budget as its max_epochs
    / max_iter."""
    import fastgd
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    C = 1.0 / (n_train * W.ALPHA)
    sgd = ", ".join(f"{k}={v!r}" for k, v in SGD_SETTING.items())
    return [
        ("fastgd gd (defaults)", "fastgd.LogisticRegression(alpha)",
         lambda b: fastgd.LogisticRegression(alpha=W.ALPHA, max_epochs=b)),
        ("fastgd gd, n_jobs=2", "fastgd.LogisticRegression(alpha, n_jobs=2)",
         lambda b: fastgd.LogisticRegression(alpha=W.ALPHA, max_epochs=b, n_jobs=2)),
        ("fastgd sgd", f"fastgd.LogisticRegression(alpha, solver='sgd', {sgd})",
         lambda b: fastgd.LogisticRegression(solver="sgd", alpha=W.ALPHA, max_epochs=b,
                                             random_state=0, **SGD_SETTING)),
        ("sklearn lbfgs", "sklearn LogisticRegression(C) (lbfgs)",
         lambda b: LogisticRegression(C=C, max_iter=b)),
        ("sklearn SGDClassifier", "sklearn SGDClassifier(loss='log_loss', alpha)",
         lambda b: SGDClassifier(loss="log_loss", alpha=W.ALPHA, max_iter=b, random_state=0)),
        ("sklearn SGDClassifier, invscaling",
         "sklearn SGDClassifier(loss='log_loss', alpha, learning_rate='invscaling', eta0=0.01, power_t=0.25)",
         lambda b: SGDClassifier(loss="log_loss", alpha=W.ALPHA, max_iter=b, random_state=0,
                                 learning_rate="invscaling", eta0=0.01, power_t=0.25)),
    ]


def fit_quietly(model, X, y):
    with warnings.catch_warnings():
        # small budgets are the point: not converging is expected
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        model.fit(X, y)
        return time.perf_counter() - start


def next_budget(budget):
    """The budget after ``budget`` in 1, 2, 3, 4, 6, 8, 12, 16, ...: powers of
    two and the halfway points between them, so that a method's time to
    the target is not rounded up to the next doubling of its epochs."""
    if budget < 2:
        return budget + 1
    return budget * 3 // 2 if budget & (budget - 1) == 0 else budget * 4 // 3


def model_curve(make, data, target, repeats, max_budget, max_seconds):
    """[(budget, median seconds, held-out loss, epochs run)] for budgets 1, 2,
    3, 4, 6, 8, 12, ... (see next_budget; after one untimed warm-up fit) until the held-out loss reaches
    ``target``, the fit stops short of its budget (larger budgets would
    repeat it), the budget passes ``max_budget`` or one fit takes longer
    than ``max_seconds``."""
    X_train, y_train, X_test, y_test = data
    fit_quietly(make(1), X_train, y_train)     # warm-up: first-call costs are not the method's
    curve, budget = [], 1
    while budget <= max_budget:
        seconds, model = [], None
        for _ in range(repeats):
            model = make(budget)
            seconds.append(fit_quietly(model, X_train, y_train))
        loss = W.heldout_log_loss(model.decision_function(X_test), y_test)
        epochs = int(np.max(model.n_iter_))
        curve.append((budget, statistics.median(seconds), loss, epochs))
        if loss <= target or epochs < budget or min(seconds) > max_seconds:
            break
        budget = next_budget(budget)
    return curve


def time_to_target(curve, target):
    for _, seconds, loss, _ in curve:
        if loss <= target:
            return seconds
    return None


def model_section(scale, repeats, max_budget, max_seconds):
    """(rows, Markdown text of the optimum and the curves)."""
    from sklearn.linear_model import LogisticRegression
    data = W.model_problem(scale)
    X_train, y_train, X_test, y_test = data
    n_train = len(y_train)
    log(f"model: optimum on {n_train:,}×{X_train.shape[1]} by lbfgs (tol=1e-10)")
    optimum_model = LogisticRegression(C=1.0 / (n_train * W.ALPHA), tol=1e-10, max_iter=10_000)
    optimum_seconds = fit_quietly(optimum_model, X_train, y_train)
    optimum = W.heldout_log_loss(optimum_model.decision_function(X_test), y_test)
    target = 1.01 * optimum
    curves, reached, written = {}, {}, {}
    for label, constructor, make in model_candidates(n_train):
        log(f"model: {constructor}")
        written[label] = constructor
        curves[label] = model_curve(make, data, target, repeats, max_budget, max_seconds)
        reached[label] = time_to_target(curves[label], target)
    # the targets: fastgd sooner than lbfgs and than SGDClassifier as a user
    # runs it; fastgd's tuned SGD also beside SGDClassifier with the same schedule
    pairs = [(mine, peer) for mine in ("fastgd gd (defaults)", "fastgd gd, n_jobs=2", "fastgd sgd")
             for peer in ("sklearn lbfgs", "sklearn SGDClassifier")]
    pairs.append(("fastgd sgd", "sklearn SGDClassifier, invscaling"))
    what = f"{n_train:,}×{X_train.shape[1]} logistic"
    rows = [Row("model", f"time to a good model — {mine}, {what}", reached[mine], peer,
                reached[peer], "sooner", 1) for mine, peer in pairs]
    text = [f"Time to a good model: {n_train:,} training rows × {X_train.shape[1]} features, "
            f"{len(y_test):,} held out; alpha = {W.ALPHA:g} for every model (C = 1 / (n alpha)). "
            f"Optimum held-out log-loss {optimum:.6f} (sklearn lbfgs, tol=1e-10, "
            f"{int(np.max(optimum_model.n_iter_))} iterations, {fmt_time(optimum_seconds)}); "
            f"target ≤ {target:.6f}. Each point is a fresh fit with max_epochs / max_iter = budget "
            f"(median of {repeats} fits)."]
    for label, curve in curves.items():
        body = [[b, fmt_time(t), f"{loss:.6f}", f"{100 * (loss / optimum - 1):+.2f}%", e,
                 "yes" if loss <= target else ""] for b, t, loss, e in curve]
        text.append(f"**{label}**: `{written[label]}`\n\n" + markdown_table(
            ["budget", "fit time", "held-out log-loss", "vs optimum", "epochs run", "reached"], body))
    return rows, "\n\n".join(text)


# -- main ------------------------------------------------------------------------
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default=None,
                        help="multiply every size by this (default: $FASTGD_BENCH_SCALE or 1.0)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: scale 0.01 unless --scale is given, 1 round of 1 repeat, "
                             "small budgets")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed runs per figure, the median is reported (default 5; 1 with --quick)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="measure the dense, sparse and adam sections this many times, one "
                             "after the other, and report each time's median over the rounds "
                             "(default 3; 1 with --quick)")
    parser.add_argument("--sections", default=",".join(SECTIONS),
                        help=f"comma-separated subset of {','.join(SECTIONS)}")
    parser.add_argument("--max-budget", type=int, default=None,
                        help="largest max_epochs / max_iter tried for time to a good model "
                             "(default 512; 8 with --quick)")
    parser.add_argument("--model-repeats", type=int, default=None,
                        help="fits per budget for time to a good model (default 3; 1 with --quick)")
    parser.add_argument("--max-seconds", type=float, default=60.0,
                        help="stop a model's curve once one fit takes longer than this")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="limit the BLAS threads of NumPy / SciPy / scikit-learn "
                             "(threadpoolctl; default: $FASTGD_BENCH_BLAS_THREADS, else the "
                             "library's own choice)")
    args = parser.parse_args(argv)
    if args.scale is None:
        args.scale = 0.01 if args.quick else W.env_scale()
    else:
        try:
            args.scale = W.parse_scale(args.scale, "--scale")
        except ValueError as error:
            parser.error(str(error))
    if args.repeats is None:
        args.repeats = 1 if args.quick else 5
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    if args.rounds is None:
        args.rounds = 1 if args.quick else 3
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    if args.model_repeats is None:
        args.model_repeats = 1 if args.quick else 3
    if args.model_repeats < 1:
        parser.error(f"--model-repeats must be at least 1, got {args.model_repeats}")
    if args.blas_threads is None:
        args.blas_threads = W.blas_threads()
    elif args.blas_threads < 1:
        parser.error(f"--blas-threads must be at least 1, got {args.blas_threads}")
    if args.max_budget is None:
        args.max_budget = 8 if args.quick else 512
    if args.max_budget < 1:
        parser.error(f"--max-budget must be at least 1, got {args.max_budget}")
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"--sections: unknown {sorted(unknown)}; choose from {SECTIONS}")
    args.sections = sections
    return args


def main(argv=None):
    args = parse_args(argv)
    limit = W.limit_blas_threads(args.blas_threads)   # held until the run ends
    try:
        return run(args)
    finally:
        if limit is not None:
            limit.restore_original_limits()


def run(args):
    if args.repeats < 3 and not args.quick:
        log(f"warning: --repeats {args.repeats}: the targets ask for the median of at least 3")
    rounds = []
    kernel_sections = [s for s in args.sections if s != "model"]
    for number in range(args.rounds if kernel_sections else 0):
        log(f"round {number + 1} of {args.rounds}")
        rows = []
        if "dense" in args.sections:
            rows += dense_rows(args.scale, args.repeats)
        if "sparse" in args.sections:
            rows += sparse_rows(args.scale, args.repeats)
        if "adam" in args.sections:
            rows += adam_rows(args.scale, args.repeats)
        rounds.append(rows)
    rows, notes = (merge_rounds(rounds) if rounds else []), []
    if "model" in args.sections:
        model_rows, text = model_section(args.scale, args.model_repeats, args.max_budget, args.max_seconds)
        rows += model_rows
        notes.append(text)

    out = ["## fastgd speed: measured against the project's targets", ""]
    out.append(markdown_table(["machine", ""], W.machine_info()))
    out.append("")
    out.append(f"Scale {args.scale:g} of the standard sizes; each kernel time is the median over "
               f"{args.rounds} round(s) of the round's median of {args.repeats} run(s) after a "
               "warm-up (X.sum(): of the round's best); a round measures every kernel figure "
               "once; time to a good model is measured once. "
               "Ratios are fastgd / peer; 'faster' is peer / fastgd.")
    out.append("")
    out.append(markdown_table(["section", "figure", "fastgd", "peer", "peer time", "measured",
                               "target", "met"], [row.cells() for row in rows]))
    for text in notes:
        out += ["", text]
    print("\n".join(out))
    met = sum(row.cells()[-1].split(";")[0].strip() == "yes" for row in rows)
    log(f"{met} of {len(rows)} figures meet their target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
