"""The command line: ``fastgd`` (or ``python -m fastgd``).

Commands: ``train`` a model on a data file and save it, ``predict`` with a
saved model, ``bench`` (fastgd beside the installed peers), ``demo`` (every
model on built-in data).  A mistake in the command or its files ends with
one line on standard error and a non-zero exit status (1; 2 for a usage
error), never a traceback.
"""
import argparse
import os
import sys
import time
import warnings

import numpy as np

from .. import __version__
from ..callbacks import ProgressBar
from ..exceptions import ConvergenceWarning, FitInterruptedWarning
from .._fit import ESTIMATOR_SCHEDULES
from ..kernels.rules import OPTIMIZERS
from ..linear_model import LinearRegression, LogisticRegression, SoftmaxRegression
from ..neural_network import MLPClassifier, MLPRegressor
from ._data import CommandError, read_table, write_table
from ._demo import MIN_SAMPLES, demo
from ._model_file import load_model, save_model

MODELS = {"linear": LinearRegression, "logistic": LogisticRegression,
          "softmax": SoftmaxRegression, "mlp-classifier": MLPClassifier,
          "mlp-regressor": MLPRegressor}
NETWORKS = ("mlp-classifier", "mlp-regressor")
CLASSIFIERS = ("logistic", "softmax", "mlp-classifier")

DESCRIPTION = """\
fastgd: linear, logistic and softmax regression and neural networks,
trained by gradient descent from a compiled core.
'fastgd COMMAND --help' describes a command's options."""

TRAIN_EPILOG = """\
data files:
  CSV (.csv, .txt)   a header row naming the columns; numeric feature columns;
                     --target names the target column (class labels may be text)
  .npy               a 2-D array; --target is the target's column number
  .npz               arrays X and y (--target names another array for y)
  svmlight/libsvm    (.svm, .svmlight, .libsvm) "label index:value ..." lines,
                     read into a sparse matrix; no --target

example:
  fastgd train iris.csv --target species --model softmax --epochs 200 --out iris.model
  fastgd predict iris.model new.csv --proba --out probabilities.csv"""


class _Parser(argparse.ArgumentParser):
    """argparse, with plain-text help kept as written."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)


def _int_at_least(low):
    """An argparse type: an integer >= low (its errors name the option)."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}, got {value}")
        return value
    return parse


def _float_in(low, high=None, *, words=()):
    def parse(text):
        if text in words:
            return text
        try:
            value = float(text)
        except ValueError:
            extra = "".join(f" or {w!r}" for w in words)
            raise argparse.ArgumentTypeError(f"invalid number: {text!r} (give a number{extra})") \
                from None
        if not (np.isfinite(value) and value >= low and (high is None or value < high)):
            bound = f">= {low}" + (f" and < {high}" if high is not None else "")
            raise argparse.ArgumentTypeError(f"must be a number {bound}, got {text}")
        return value
    return parse


def _layer_widths(text):
    try:
        widths = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"give the widths as integers separated by commas, "
                                         f"like 64,32 (got {text!r})") from None
    if not widths or min(widths) < 1:
        raise argparse.ArgumentTypeError(f"every width must be a positive integer (got {text!r})")
    return widths


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


def _one_line(error):
    return " ".join(str(error).split())


# -- train ----------------------------------------------------------------------
def _estimator_params(args):
    """The estimator's parameters from the options given (None: its default),
    refusing an option that does not apply to the model."""
    network = args.model in NETWORKS
    for option, value in (("--hidden", args.hidden), ("--activation", args.activation)):
        if value is not None and not network:
            raise CommandError(f"{option} applies to the networks (--model mlp-classifier or "
                               f"mlp-regressor), not to --model {args.model}")
    if args.solver == "normal" and args.model != "linear":
        raise CommandError(f"--solver normal (the closed form) applies to --model linear only, "
                           f"not to --model {args.model}")
    default_solver = "minibatch" if network else "gd"
    if args.batch_size is not None and (args.solver or default_solver) != "minibatch":
        raise CommandError(f"--batch-size applies to --solver minibatch (the {args.model} "
                           f"model's solver here is {args.solver or default_solver!r})")
    if args.optimizer == "auto" and network:
        raise CommandError("--optimizer auto applies to the linear models; give the "
                           "network's rule (sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw)")
    params = {"solver": args.solver, "optimizer": args.optimizer,
              "learning_rate": args.learning_rate, "schedule": args.schedule,
              "alpha": args.alpha, "max_epochs": args.epochs, "batch_size": args.batch_size,
              "momentum": args.momentum, "random_state": args.seed,
              "hidden_layer_sizes": args.hidden, "activation": args.activation}
    if args.validation:
        params.update(early_stopping=True, validation_fraction=args.validation)
    params = {name: value for name, value in params.items() if value is not None}
    if args.tol is not None:
        params["tol"] = None if args.tol == "none" else args.tol
    return params


def _target(table, args):
    y = table.y
    if y is None:
        raise CommandError(f"{args.data}: no target to train on")
    if args.model in CLASSIFIERS:
        if y.dtype == np.float64 and np.all(np.mod(y, 1) == 0):
            y = y.astype(np.int64)         # integer class labels print as integers
        return y
    if y.dtype == object:
        bad = next(v for v in y if not _is_number(v))
        raise CommandError(f"{args.data}: the target {table.target!r} holds text ({bad!r}); "
                           f"--model {args.model} needs numbers (a classifier: --model "
                           "logistic, softmax or mlp-classifier)")
    return y.astype(np.float64)


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def _standardize(X, path):
    import scipy.sparse as sp
    if sp.issparse(X):
        raise CommandError(f"--standardize centers the columns, which would make the sparse "
                           f"data of {path} dense; leave it out for svmlight files")
    center = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    return (X - center) / scale, center, scale


def train(args):
    params = _estimator_params(args)
    table = read_table(args.data, args.target)
    y = _target(table, args)
    X, center, scale = table.X, None, None
    if args.standardize:
        X, center, scale = _standardize(X, args.data)
    model = MODELS[args.model](**params)
    bar = None if args.quiet else ProgressBar(total=model.max_epochs, every=0.05)
    model.set_params(callback=bar)
    n_rows = X.shape[0]
    if not args.quiet:
        print(f"training {type(model).__name__} on {n_rows:,} rows x {X.shape[1]:,} features "
              f"of {args.data}" + (f", {args.validation:.0%} held out" if args.validation else ""),
              file=sys.stderr, flush=True)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        warnings.simplefilter("always", FitInterruptedWarning)
        try:
            model.fit(X, y)
        except (ValueError, TypeError, MemoryError) as error:
            raise CommandError(f"training failed: {_one_line(error)}") from None
        finally:
            if bar is not None:
                bar.close()
    seconds = time.perf_counter() - start
    for warning in caught:
        print(f"fastgd train: note: {_one_line(warning.message)}", file=sys.stderr)
    model.set_params(callback=None)           # a model file holds no function of this run
    metric = "accuracy" if args.model in CLASSIFIERS else "R^2"
    reason = getattr(model, "_stop_reason", None)
    how = ("interrupted" if reason == "interrupt" else
           "converged" if model.converged_ else
           "stalled before converging" if reason == "stalled" else "max epochs reached")
    print(f"{type(model).__name__}: {model.n_iter_} epochs in {seconds:.2f} s ({how})")
    print(f"final objective: {model.loss_history_[-1]:.6g}" if model.loss_history_ else
          "final objective: (no epoch finished)")
    if model.validation_scores_:
        print(f"validation {metric} (held-out {args.validation:.0%}): "
              f"{model.validation_scores_[-1]:.4f} (best {max(model.validation_scores_):.4f})")
    print(f"{metric} on all {n_rows:,} rows: {model.score(X, y):.4f}")
    metadata = {"model": args.model, "class": type(model).__name__,
                "columns": table.columns, "target": table.target,
                "n_features": int(X.shape[1]), "data": os.path.basename(args.data),
                "classes": ([str(c) for c in model.classes_] if hasattr(model, "classes_")
                            else None)}
    save_model(args.out, {"estimator": model, "center": center, "scale": scale}, metadata)
    print(f"saved to {args.out}")
    return 0


# -- predict --------------------------------------------------------------------
def _prediction_features(table, metadata, path):
    X = table.X
    n = metadata["n_features"]
    if X.shape[1] == n + 1 and metadata.get("columns") is None and metadata.get("target") is not None \
            and path.lower().endswith(".npy"):
        X = np.delete(X, int(metadata["target"]), axis=1)   # the training table's layout
    if X.shape[1] != n:
        raise CommandError(f"{path}: {X.shape[1]} feature columns, but the model was trained "
                           f"on {n}")
    return X


def predict(args):
    payload, metadata = load_model(args.model_file)
    model = payload["estimator"]
    is_classifier = metadata["model"] in CLASSIFIERS
    if args.proba and not is_classifier:
        raise CommandError(f"--proba applies to classifiers (logistic, softmax, "
                           f"mlp-classifier); {args.model_file} is a {metadata['model']} model")
    table = read_table(args.data, None, need_target=False, columns=metadata.get("columns"),
                       n_features=metadata["n_features"])
    X = _prediction_features(table, metadata, args.data)
    if payload.get("center") is not None:
        X = (X - payload["center"]) / payload["scale"]
    try:
        if args.proba:
            values = model.predict_proba(X)
            header = [f"P({c})" for c in model.classes_]
        else:
            values = model.predict(X)
            header = ["prediction"]
    except (ValueError, TypeError) as error:
        raise CommandError(f"{args.data}: {_one_line(error)}") from None
    try:
        write_table(args.out, values, header)
    except OSError as error:
        raise CommandError(f"--out {args.out}: {error.strerror or error}") from None
    if args.out != "-":
        print(f"{len(values):,} predictions written to {args.out}", file=sys.stderr)
    return 0


def bench(args):
    from ._bench import run
    return run(quick=args.quick, repeats=args.repeats)


# -- the parser ------------------------------------------------------------------
def _parser():
    parser = _Parser(prog="fastgd", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"fastgd {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("train", help="train a model on a CSV, .npy, .npz or svmlight file "
                                     "and save it",
                       description="Train a model on a data file and save it.",
                       epilog=TRAIN_EPILOG)
    p.add_argument("data", metavar="DATA", help="the training data (CSV, .npy, .npz, svmlight)")
    p.add_argument("--target", metavar="COLUMN",
                   help="the target column (CSV: its name; .npy: its number; .npz: an array)")
    p.add_argument("--model", required=True, choices=sorted(MODELS), help="the model to train")
    p.add_argument("--out", required=True, metavar="MODEL", help="the model file to write")
    p.add_argument("--solver", choices=("gd", "sgd", "minibatch", "normal"),
                   help="full batch, per sample, mini-batch; normal: linear's closed form "
                        "(default: gd for the linear models, minibatch for the networks)")
    p.add_argument("--optimizer", choices=("auto",) + tuple(OPTIMIZERS),
                   help="the update rule (default: auto for the linear models, sgd for the networks)")
    p.add_argument("--learning-rate", type=_float_in(0.0, words=("auto",)), metavar="RATE",
                   help="the step size, or auto (the default)")
    p.add_argument("--schedule", choices=ESTIMATOR_SCHEDULES,
                   help="the learning-rate schedule (default: the model's)")
    p.add_argument("--momentum", type=_float_in(0.0, 1.0), help="momentum of the update rule")
    p.add_argument("--alpha", type=_float_in(0.0), help="L2 penalty (default 0)")
    p.add_argument("--epochs", type=_int_at_least(1), metavar="N",
                   help="the most epochs to run (default: 1000 linear, 200 networks)")
    p.add_argument("--tol", type=_float_in(0.0, words=("none",)),
                   help="stop when the objective (or validation score) improves by less for "
                        "several epochs; none runs every epoch")
    p.add_argument("--batch-size", type=_int_at_least(1), metavar="N",
                   help="rows per step of --solver minibatch")
    p.add_argument("--hidden", type=_layer_widths, metavar="64,32",
                   help="the networks' hidden layer widths (default 100)")
    p.add_argument("--activation", choices=("sigmoid", "logistic", "tanh", "relu", "identity"),
                   help="the networks' hidden activation (default sigmoid)")
    p.add_argument("--validation", type=_float_in(0.0, 1.0), default=0.2, metavar="FRACTION",
                   help="fraction of rows held out to score each epoch and stop early on "
                        "(default 0.2; 0 turns it off)")
    p.add_argument("--standardize", action="store_true",
                   help="center and scale each feature (kept in the model file for predict)")
    p.add_argument("--seed", type=_int_at_least(0), help="random seed (default: fresh randomness)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=train)

    p = sub.add_parser("predict", help="predict with a saved model",
                       description="Predict with a model saved by 'fastgd train'.  Only load "
                                   "model files you trust: loading runs Python's unpickler.")
    p.add_argument("model_file", metavar="MODEL", help="a model file written by fastgd train")
    p.add_argument("data", metavar="DATA",
                   help="the rows to predict (CSV with the training columns, .npy, .npz, svmlight)")
    p.add_argument("--proba", action="store_true", help="class probabilities (classifiers)")
    p.add_argument("--out", default="-", metavar="FILE",
                   help="where to write: FILE.npy, or CSV (default: standard output)")
    p.set_defaults(func=predict)

    p = sub.add_parser("bench", help="time fastgd beside the installed peers",
                       description="Time fastgd's kernels beside scikit-learn, NumPy and torch "
                                   "(those installed) on the same data; print a table with the "
                                   "machine's description.  From a source checkout, "
                                   "benchmarks/compare.py runs the full comparison.")
    p.add_argument("--quick", action="store_true", help="small problems (a smoke run)")
    p.add_argument("--repeats", type=_int_at_least(1), help="runs per timing (the best counts)")
    p.set_defaults(func=bench)

    p = sub.add_parser("demo", help="train every model on built-in data",
                       description="Train every model on built-in synthetic data; print the "
                                   "objective per epoch and the metrics.")
    p.add_argument("--n-samples", type=_int_at_least(MIN_SAMPLES), default=5000,
                   help=f"samples of each problem (>= {MIN_SAMPLES}; default 5000)")
    p.add_argument("--n-features", type=_int_at_least(1), default=20,
                   help="features of each problem (>= 1; default 20)")
    p.add_argument("--epochs", type=_int_at_least(1), default=10,
                   help="training epochs of each model (>= 1; default 10)")
    p.add_argument("--plot", metavar="FILE", help="also save the loss curves as a PNG "
                   "(needs matplotlib)")
    p.set_defaults(func=demo)
    return parser, sub


def main(argv=None):
    """Entry point of ``python -m fastgd`` and the ``fastgd`` script."""
    parser, sub = _parser()
    args = parser.parse_args(argv)
    if args.command == "demo" and args.plot is not None:
        _check_plot_target(sub.choices["demo"], args.plot)
    try:
        return args.func(args)
    except CommandError as error:
        print(f"fastgd {args.command}: error: {_one_line(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"fastgd {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:                  # e.g. 'fastgd predict ... | head'
        sys.stderr.close()
        return 1


if __name__ == "__main__":
    sys.exit(main())
