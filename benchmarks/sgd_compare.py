"""fastgd.SGDClassifier / SGDRegressor against scikit-learn's, side by side.

Three tables, one run:

1. **Per epoch, shuffled**, every loss x penalty ('l2', 'l1', 'elasticnet')
   and every loss with ``average=True``, and the passive-aggressive steps
   (``learning_rate='pa1'``, ``'pa2'``): each estimator is fitted with
   ``max_iter=EPOCHS, tol=None`` (exactly that many shuffled epochs, the
   input validation included) and the time divided by the epochs; the best
   of ``--repeats`` fits.  On 200,000 x 100 float64 dense rows and on CSR
   100,000 x 100,000 with 50 non-zeros a row (the benchmarks' workloads).
   Target: fastgd at least 3x faster.
2. **Threads**: a 5-class problem (one-vs-rest, dense), fastgd with
   ``n_jobs=2`` against ``n_jobs=1``, per epoch (``--thread-epochs`` a
   fit).  Target: 1.6x (the problems advance an epoch at a time, round
   robin, so two threads can give up to 2x).
3. **Default fit**: ``SGDClassifier().fit`` of each library on both data
   sets, with scikit-learn's defaults (tol=1e-3, the 'optimal' rate,
   shuffled): wall time, epochs, training accuracy.  Target: 3x.

Classification losses get labels in {0, 1} (logistic draws of a linear
model); regression losses the linear model's scores plus noise.  Run with
nothing else busy (the machine's cores are shared)::

    PYTHONPATH=src python benchmarks/sgd_compare.py
    PYTHONPATH=src python benchmarks/sgd_compare.py --scale 0.1 --repeats 1   # a quick look
    PYTHONPATH=src python benchmarks/sgd_compare.py --fastgd-shuffle blocks     # block order
"""
import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads  # noqa: E402

import fastgd  # noqa: E402

try:
    import sklearn.linear_model as sklearn_lm
except ImportError:     # pragma: no cover - the comparison needs it
    sys.exit("sgd_compare.py compares against scikit-learn: pip install scikit-learn")

CLASSIFICATION = ("hinge", "log_loss", "modified_huber", "squared_hinge", "perceptron")
REGRESSION = ("squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive")
EPOCH_TARGET, THREAD_TARGET, FIT_TARGET = 3.0, 1.6, 3.0


def data(scale):
    """{name: (X, classification labels, regression targets)}."""
    X, y = workloads.dense_problem("logistic", "float64", scale)
    Xs, ys = workloads.sparse_problem(scale)
    rng = np.random.default_rng(workloads.SEED + 3)
    dense_reg = X @ (rng.standard_normal(X.shape[1]) / np.sqrt(X.shape[1])) \
        + 0.1 * rng.standard_normal(X.shape[0])
    sparse_reg = np.asarray(Xs @ rng.standard_normal(Xs.shape[1])).ravel() \
        + 0.1 * rng.standard_normal(Xs.shape[0])
    return {"dense 200,000 x 100": (X, y.astype(np.int64), dense_reg),
            "CSR 100,000 x 100,000, 50 nnz/row": (Xs, ys.astype(np.int64), sparse_reg)}


def best_time(make, X, y, repeats):
    """(best seconds of a fit over ``repeats`` fresh estimators, last estimator)."""
    best, est = np.inf, None
    for _ in range(repeats):
        est = make()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            est.fit(X, y)
            best = min(best, time.perf_counter() - start)
    return best, est


def configurations():
    """(loss, penalty, average, learning_rate or None for the default)."""
    for loss in CLASSIFICATION + REGRESSION:
        for penalty in ("l2", "l1", "elasticnet"):
            yield loss, penalty, False, None
        yield loss, "l2", True, None
    # the passive-aggressive steps, with the one loss each estimator allows
    for loss in ("hinge", "epsilon_insensitive"):
        for schedule in ("pa1", "pa2"):
            yield loss, "l2", False, schedule


def per_epoch_table(sets, epochs, repeats, shuffle=True):
    print(f"## Per shuffled epoch (fit with max_iter={epochs}, tol=None; best of {repeats}; "
          f"fastgd shuffle={shuffle!r})\n")
    print("| data | loss | penalty | average | fastgd ms | scikit-learn ms | ratio | target "
          "| met |")
    print("|---|---|---|---|---|---|---|---|---|")
    worst = np.inf
    for name, (X, y_cls, y_reg) in sets.items():
        for loss, penalty, average, schedule in configurations():
            regression = loss in REGRESSION
            cls = "SGDRegressor" if regression else "SGDClassifier"
            y = y_reg if regression else y_cls
            params = dict(loss=loss, penalty=penalty, average=average, max_iter=epochs,
                          tol=None, random_state=0)
            if loss in ("squared_hinge", "squared_error", "squared_epsilon_insensitive",
                        "huber") and not regression:
                params.update(learning_rate="invscaling", eta0=0.01)
            if schedule is not None:
                params.update(learning_rate=schedule, eta0=1.0)
            ours, _ = best_time(lambda: getattr(fastgd, cls)(shuffle=shuffle, **params), X, y,
                                repeats)
            theirs, _ = best_time(lambda: getattr(sklearn_lm, cls)(**params), X, y, repeats)
            ratio = theirs / ours
            worst = min(worst, ratio)
            label = loss if schedule is None else f"{loss} ({schedule})"
            print(f"| {name} | {label} | {penalty} | {average} | {1e3 * ours / epochs:.1f} | "
                  f"{1e3 * theirs / epochs:.1f} | {ratio:.2f}x | >= {EPOCH_TARGET:.0f}x | "
                  f"{'yes' if ratio >= EPOCH_TARGET else '**no**'} |", flush=True)
    print(f"\nsmallest per-epoch ratio: {worst:.2f}x\n")


def threads_table(scale, epochs, repeats):
    X, y = workloads.dense_problem("softmax", "float64", scale)
    y = y.astype(np.int64)
    print(f"## Threads: {len(np.unique(y))}-class one-vs-rest, dense {X.shape[0]:,} x "
          f"{X.shape[1]} (fit with max_iter={epochs}, tol=None; best of {repeats})\n")
    print("| loss | n_jobs=1 ms/epoch | n_jobs=2 ms/epoch | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    for loss in ("hinge", "log_loss"):
        times = {}
        for n_jobs in (1, 2):
            times[n_jobs], _ = best_time(
                lambda: fastgd.SGDClassifier(loss=loss, n_jobs=n_jobs, max_iter=epochs,
                                             tol=None, random_state=0), X, y, repeats)
        ratio = times[1] / times[2]
        print(f"| {loss} | {1e3 * times[1] / epochs:.1f} | {1e3 * times[2] / epochs:.1f} | "
              f"{ratio:.2f}x | >= {THREAD_TARGET}x | "
              f"{'yes' if ratio >= THREAD_TARGET else '**no**'} |", flush=True)
    print()


def default_fit_table(sets, repeats, shuffle=True):
    print(f"## Default fit: SGDClassifier() and SGDRegressor() (best of {repeats}; fastgd "
          f"shuffle={shuffle!r})\n")
    print("| data | estimator | fastgd s (epochs) | scikit-learn s (epochs) | fastgd score | "
          "scikit-learn score | ratio | target | met |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (X, y_cls, y_reg) in sets.items():
        for cls, y in (("SGDClassifier", y_cls), ("SGDRegressor", y_reg)):
            ours, a = best_time(lambda: getattr(fastgd, cls)(random_state=0, shuffle=shuffle),
                                X, y, repeats)
            theirs, b = best_time(lambda: getattr(sklearn_lm, cls)(random_state=0), X, y,
                                  repeats)
            ratio = theirs / ours
            print(f"| {name} | {cls} | {ours:.3f} ({a.n_iter_}) | {theirs:.3f} ({b.n_iter_}) | "
                  f"{a.score(X, y):.4f} | {b.score(X, y):.4f} | {ratio:.2f}x | "
                  f">= {FIT_TARGET:.0f}x | {'yes' if ratio >= FIT_TARGET else '**no**'} |",
                  flush=True)
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="rows (and CSR columns) as a fraction of the standard sizes")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per timed fit")
    parser.add_argument("--thread-epochs", type=int, default=10,
                        help="epochs per timed fit of the threads table (the validation of "
                             "X, once a fit, is not threaded)")
    parser.add_argument("--repeats", type=int, default=3, help="fits per figure (best kept)")
    parser.add_argument("--sections", default="epoch,threads,fit",
                        help="comma-separated: epoch, threads, fit")
    parser.add_argument("--data", default="dense,csr", help="comma-separated: dense, csr")
    parser.add_argument("--fastgd-shuffle", choices=("true", "blocks"), default="true",
                        help="fastgd's shuffle: a full permutation (scikit-learn's own "
                             "choice) or 'blocks' (fastgd only)")
    args = parser.parse_args(argv)
    shuffle = True if args.fastgd_shuffle == "true" else "blocks"
    sections = set(args.sections.split(","))
    sets = {name: value for name, value in data(args.scale).items()
            if ("csr" if name.startswith("CSR") else "dense") in args.data.split(",")}
    import sklearn
    print(f"fastgd {fastgd.__version__}, scikit-learn {sklearn.__version__}, "
          f"numpy {np.__version__}; load average at the start "
          f"{os.getloadavg()[0]:.2f} (other processes on the machine slow both sides)\n")
    if "epoch" in sections:
        per_epoch_table(sets, args.epochs, args.repeats, shuffle)
    if "threads" in sections:
        threads_table(args.scale, args.thread_epochs, args.repeats)
    if "fit" in sections:
        default_fit_table(sets, args.repeats, shuffle)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
