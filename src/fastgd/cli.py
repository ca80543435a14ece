"""The command line: ``python -m fastgd demo``."""
import argparse
import sys
import time
import warnings

import numpy as np

from . import reference
from .datasets import make_problem
from .exceptions import ConvergenceWarning
from .kernels import epoch as kernel_epoch, loss_gradient
from .linear_model import LinearRegression, LogisticRegression, SoftmaxRegression
from .optim import make_rule

_DEMO_MODELS = (
    ("LinearRegression", LinearRegression, "regression", "squared"),
    ("LogisticRegression", LogisticRegression, "binary", "logistic"),
    ("SoftmaxRegression", SoftmaxRegression, "multiclass", "softmax"),
)


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
        from .plotting import plot_loss_history
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
    p.add_argument("--n-samples", type=int, default=5000)
    p.add_argument("--n-features", type=int, default=20)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--plot", metavar="FILE", help="also save the loss curves as a PNG")
    p.set_defaults(func=demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
