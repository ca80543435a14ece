"""The command line: ``python -m fastgd demo``."""
import argparse
import os
import sys
import time
import warnings

import numpy as np

from .. import reference
from ..datasets import make_problem
from ..exceptions import ConvergenceWarning
from ..kernels import epoch as kernel_epoch, loss_gradient
from ..linear_model import LinearRegression, LogisticRegression, SoftmaxRegression
from ..kernels.rules import make_rule

_DEMO_MODELS = (
    ("LinearRegression", LinearRegression, "regression", "squared"),
    ("LogisticRegression", LogisticRegression, "binary", "logistic"),
    ("SoftmaxRegression", SoftmaxRegression, "multiclass", "softmax"),
)


# The demo holds out 20% of the samples: with at least 20, the test split has
# 4 (R^2 needs 2) and the training split (seed 0) holds every class.
_MIN_DEMO_SAMPLES = 20


def _int_at_least(low):
    """An argparse ``type``: an integer >= low.  Its errors become argparse's
    usage error naming the option (exit code 2), not a traceback from deep
    inside the demo naming an internal argument."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}, got {value}")
        return value
    return parse


def _check_plot_target(parser, path):
    """Fail before the training, not after it, when --plot cannot be written."""
    try:
        import matplotlib  # noqa: F401  (the plot imports it anyway, after the training)
    except ImportError:
        parser.error("argument --plot: needs matplotlib, which is not installed "
                     "(pip install matplotlib), or leave out --plot")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        parser.error(f"argument --plot: the directory {directory!r} does not exist")


def _best_time(fn, repeat=3):
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _time_kernels(X, target, model, loss):
    """Seconds of one plain SGD epoch and of one full-batch gradient: fastgd's
    kernels beside the NumPy reference (a Python loop for the sequential SGD
    epoch, whole-array NumPy for the gradient)."""
    coef = np.zeros_like(model.coef_).reshape(-1, X.shape[1])
    intercept = np.zeros(coef.shape[0], dtype=X.dtype)
    grad_coef, grad_intercept = np.empty(coef.shape), np.empty(coef.shape[0])
    rule = make_rule("sgd", 0.01)
    order = np.random.default_rng(0).permutation(X.shape[0])

    def sgd():
        kernel_epoch(X, target, coef.copy(), intercept.copy(), loss=loss, alpha=1e-4,
                     rule=rule, order=order)

    return {
        "SGD epoch": (_best_time(sgd), _best_time(lambda: reference.epoch(
            X, target, coef, intercept, rule, loss=loss, alpha=1e-4, order=order), repeat=1)),
        "full-batch gradient": (
            _best_time(lambda: loss_gradient(X, target, coef, intercept, grad_coef,
                                             grad_intercept, loss=loss, alpha=1e-4)),
            _best_time(lambda: reference.loss_gradient(X, target, coef, intercept, loss, 1e-4))),
    }


def demo(args):
    """Train each model on built-in data; print the loss per epoch, the final
    metrics and the time of an SGD epoch beside the NumPy reference."""
    print("fastgd demo: each model trained by mini-batch SGD with Adam on synthetic data "
          f"({args.n_samples} x {args.n_features}, seed 0; 80% train / 20% test)\n")
    histories = {}
    for name, cls, kind, loss in _DEMO_MODELS:
        X, y = make_problem(kind, args.n_samples, args.n_features)
        split = int(0.8 * len(y))
        model = cls(solver="minibatch", optimizer="adam", learning_rate=0.01, batch_size=32,
                    max_epochs=args.epochs, random_state=0)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X[:split], y[:split])
        fit_seconds = time.perf_counter() - start
        histories[name] = model.loss_history_
        print(f"== {name} (loss: {loss})")
        print("   epoch  objective")
        for i, value in enumerate(model.loss_history_, 1):
            print(f"   {i:5d}  {value:.6f}")
        metric = "R^2" if kind == "regression" else "accuracy"
        print(f"   {metric}: train {model.score(X[:split], y[:split]):.4f}, "
              f"test {model.score(X[split:], y[split:]):.4f}; "
              f"{model.n_iter_} epochs in {fit_seconds * 1e3:.1f} ms")
        target = y if kind == "regression" else np.searchsorted(model.classes_, y)
        for what, (fast, ref) in _time_kernels(X, target.astype(X.dtype), model, loss).items():
            print(f"   {what}: fastgd {fast * 1e3:.2f} ms, NumPy reference "
                  f"{ref * 1e3:.2f} ms ({ref / fast:.1f}x)")
        print()
    if args.plot:
        from ..plotting import plot_loss_history
        import matplotlib
        matplotlib.use("Agg")
        ax = plot_loss_history(histories)
        ax.set_title("fastgd demo: objective per epoch")
        ax.figure.savefig(args.plot, dpi=100, bbox_inches="tight")
        print(f"loss curves written to {args.plot}")
    return 0


def main(argv=None):
    """Entry point of ``python -m fastgd`` and the ``fastgd`` script."""
    parser = argparse.ArgumentParser(prog="fastgd", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="train each model on built-in data")
    p.add_argument("--n-samples", type=_int_at_least(_MIN_DEMO_SAMPLES), default=5000,
                   help=f"samples of each problem (>= {_MIN_DEMO_SAMPLES}; default 5000)")
    p.add_argument("--n-features", type=_int_at_least(1), default=20,
                   help="features of each problem (>= 1; default 20)")
    p.add_argument("--epochs", type=_int_at_least(1), default=10,
                   help="training epochs of each model (>= 1; default 10)")
    p.add_argument("--plot", metavar="FILE", help="also save the loss curves as a PNG "
                   "(needs matplotlib)")
    p.set_defaults(func=demo)
    args = parser.parse_args(argv)
    if args.command == "demo" and args.plot is not None:
        _check_plot_target(p, args.plot)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
