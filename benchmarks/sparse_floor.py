"""The floor of a shuffled CSR epoch, beside scikit-learn's, in one process.

The per-epoch targets of SGDClassifier and SGDRegressor on CSR 100,000 x
100,000 with 50 non-zeros a row (``sgd_compare.py``) ask fastgd to be 3x
faster than scikit-learn.  For three L2 steps (SGDClassifier's default
hinge, the perceptron, SGDRegressor's default squared error) this script
times, interleaved in random order so that the machine's drift falls on all
alike:

- ``sparse_floor.c``: the bare loop of the same step and nothing else,
  compiled here with the package's own optimization level (checked first
  to give the package's weights bit for bit), in scikit-learn's shuffled
  order; for the hinge also in sequence, and reading the rows alone;
- fastgd's compiled epoch (``kernels._sgd.sgd_epoch``) in the same order;
- both estimators' ``fit(max_iter=3, tol=None) / 3`` (``sgd_compare.py``'s
  figure, the validation of X included) and their marginal epoch
  ``(fit(max_iter=4) - fit(max_iter=1)) / 3``.

Run with nothing else busy::

    PYTHONPATH=src python benchmarks/sparse_floor.py [--rounds 9] [--march x86-64-v3]

Needs a C compiler (``cc``) and scikit-learn.  Not part of the tests.
"""
import argparse
import ctypes
import os
import random
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sgd_compare  # noqa: E402  (its data, and scikit-learn's estimators)

import fastgd  # noqa: E402
from fastgd.kernels import _common  # noqa: E402
from fastgd.kernels.plain_sgd import PlainSGDState, plain_sgd_config  # noqa: E402
from fastgd.linear_model._stochastic_gradient import (  # noqa: E402
    _SPARSE_INTERCEPT_DECAY as INTERCEPT_DECAY)

HERE = os.path.dirname(os.path.abspath(__file__))
CSRC = os.path.join(HERE, os.pardir, "src", "fastgd", "kernels", "csrc")
SEED = 12345        # of the shuffled order


def build(tmp, march):
    """The probe as a shared library, built as the package's C is (-O3, no
    -march) unless ``march`` names a level."""
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    lib = os.path.join(tmp, "sparse_floor.so")
    flags = ["-O3", "-shared", "-fPIC", "-I", CSRC] + ([f"-march={march}"] if march else [])
    subprocess.run([cc, *flags, os.path.join(HERE, "sparse_floor.c"), "-o", lib], check=True)
    probe = ctypes.CDLL(lib)
    P, N, D = ctypes.c_void_p, ctypes.c_ssize_t, ctypes.c_double
    probe.floor_epoch.argtypes = [P, P, P, N, P, P, P, N, P, D, D, D, D, D, D, ctypes.c_int]
    probe.floor_epoch.restype = D
    return probe


# (name, estimator, its parameters, the kernel's loss and loss parameter)
CASES = (("SGDClassifier(), hinge", "SGDClassifier", {}, "hinge", 1.0),
         ("SGDClassifier(loss='perceptron')", "SGDClassifier", {"loss": "perceptron"},
          "hinge", 0.0),
         ("SGDRegressor(), squared error", "SGDRegressor", {}, "squared_error", 0.0))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--march", default=None,
                        help="build the bare loop for this -march level (x86-64-v3, native)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    # sgd_compare.py's CSR problem: 0/1 labels, and regression targets
    X, labels, scores = next(value for name, value in sgd_compare.data(1.0).items()
                             if name.startswith("CSR"))
    n, d = X.shape
    order = np.arange(n, dtype=np.intp)
    _common.sklearn_shuffle(order, SEED)
    address = lambda a: None if a is None else a.ctypes.data       # noqa: E731
    print(f"CSR {n:,} x {d:,}, {X.nnz // n} non-zeros a row, L2; medians of {args.rounds} "
          "rounds, each figure beside scikit-learn's marginal epoch of the same estimator\n")
    print("| estimator | epoch | ms | scikit-learn's marginal epoch / this |")
    print("|---|---|---|---|")

    with tempfile.TemporaryDirectory() as tmp:
        probe = build(tmp, args.march)
        for name, estimator, params, loss, threshold in CASES:
            sklearn_cls = getattr(sgd_compare.sklearn_lm, estimator)
            fastgd_cls = getattr(fastgd, estimator)
            est = sklearn_cls(**params)
            regression = estimator == "SGDRegressor"
            y = scores if regression else labels
            # the kernel's targets: +-1 for the classifier, the values for the regressor
            targets = scores if regression else np.where(labels > 0, 1.0, -1.0)
            config = plain_sgd_config(
                loss=loss, loss_param=threshold, penalty="l2", alpha=est.alpha,
                learning_rate=est.learning_rate, eta0=est.eta0, power_t=est.power_t,
                intercept_decay=INTERCEPT_DECAY, objective=False, ordered=False)

            def bare(rows, mode=0):
                v, st = np.zeros(d), np.array([1.0, 0.0, 1.0])
                start = time.perf_counter()
                probe.floor_epoch(address(X.data), address(X.indices), address(X.indptr), n,
                                  address(targets), address(rows), address(v), d, address(st),
                                  est.alpha, -1.0 if regression else threshold,
                                  config["optimal_init"], est.eta0, est.power_t,
                                  INTERCEPT_DECAY, mode)
                return time.perf_counter() - start, v, st

            def package():
                state = PlainSGDState(np.zeros(d), eta0=est.eta0)
                start = time.perf_counter()
                state.epoch(X, targets, None, order, None, **config)
                return time.perf_counter() - start, state

            def fit(cls, epochs):
                model = cls(max_iter=epochs, tol=None, random_state=0, **params)
                start = time.perf_counter()
                model.fit(X, y)
                return time.perf_counter() - start

            _, v, st = bare(order)
            _, state = package()
            if not (np.array_equal(v, state.v)
                    and st[0] == state.scalars[PlainSGDState.SLOTS["wscale"]]
                    and st[1] == state.intercept and st[2] == state.t):
                sys.exit(f"{name}: the bare loop's weights differ from the package's")
            jobs = {
                "bare loop, scikit-learn's order": lambda: bare(order)[0],
                "fastgd's compiled epoch": lambda: package()[0],
                "fastgd fit(max_iter=3) / 3": lambda: fit(fastgd_cls, 3) / 3,
                "scikit-learn fit(max_iter=3) / 3": lambda: fit(sklearn_cls, 3) / 3,
                "fastgd (fit(4) - fit(1)) / 3":
                    lambda: (fit(fastgd_cls, 4) - fit(fastgd_cls, 1)) / 3,
                "scikit-learn (fit(4) - fit(1)) / 3":
                    lambda: (fit(sklearn_cls, 4) - fit(sklearn_cls, 1)) / 3,
            }
            if name == CASES[0][0]:
                jobs["bare loop, rows in sequence"] = lambda: bare(None)[0]
                jobs["bare loop, rows read alone (no weights)"] = lambda: bare(order, 1)[0]
            times = {job: [] for job in jobs}
            for _ in range(args.rounds):
                names = list(jobs)
                random.shuffle(names)
                for job in names:
                    times[job].append(jobs[job]())
            median = {job: float(np.median(t)) for job, t in times.items()}
            theirs = median["scikit-learn (fit(4) - fit(1)) / 3"]
            for job, value in median.items():
                print(f"| {name} | {job} | {1e3 * value:.2f} | {theirs / value:.2f}x |",
                      flush=True)
            ratio = (median["scikit-learn fit(max_iter=3) / 3"]
                     / median["fastgd fit(max_iter=3) / 3"])
            print(f"| {name} | sgd_compare.py's figure: fit(3) / 3, scikit-learn's over "
                  f"fastgd's | | {ratio:.2f}x (target 3x) |", flush=True)
    print("\nThe bare loop gives the package's weights bit for bit in every case.")


if __name__ == "__main__":
    main()
