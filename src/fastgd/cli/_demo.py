"""``fastgd demo``: every model trained on built-in data."""
import time
import warnings

from ..datasets import make_problem
from ..exceptions import ConvergenceWarning
from ..linear_model import LinearRegression, LogisticRegression, SoftmaxRegression
from ..neural_network import MLPClassifier, MLPRegressor

MODELS = (
    ("LinearRegression", LinearRegression, "regression", "squared", {}),
    ("LogisticRegression", LogisticRegression, "binary", "logistic", {}),
    ("SoftmaxRegression", SoftmaxRegression, "multiclass", "softmax", {}),
    ("MLPClassifier", MLPClassifier, "multiclass", "softmax, one hidden layer of 32 tanh units",
     {"hidden_layer_sizes": (32,), "activation": "tanh"}),
    ("MLPRegressor", MLPRegressor, "regression", "squared, one hidden layer of 32 tanh units",
     {"hidden_layer_sizes": (32,), "activation": "tanh"}),
)

# The demo holds out 20% of the samples: with at least 20, the test split has
# 4 (R^2 needs 2) and the training split (seed 0) holds every class.
MIN_SAMPLES = 20


def demo(args, out=print):
    """Train each model; print its objective per epoch and its metrics."""
    out("fastgd demo: each model trained by mini-batch SGD with Adam on synthetic data "
        f"({args.n_samples} x {args.n_features}, seed 0; 80% train / 20% test)\n")
    histories = {}
    for name, cls, kind, loss, extra in MODELS:
        X, y = make_problem(kind, args.n_samples, args.n_features)
        split = int(0.8 * len(y))
        model = cls(solver="minibatch", optimizer="adam", learning_rate=0.01, batch_size=32,
                    max_epochs=args.epochs, random_state=0, **extra)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X[:split], y[:split])
        seconds = time.perf_counter() - start
        histories[name] = model.loss_history_
        out(f"== {name} (loss: {loss})")
        out("   epoch  objective")
        for i, value in enumerate(model.loss_history_, 1):
            out(f"   {i:5d}  {value:.6f}")
        metric = "R^2" if kind == "regression" else "accuracy"
        out(f"   {metric}: train {model.score(X[:split], y[:split]):.4f}, "
            f"test {model.score(X[split:], y[split:]):.4f}; "
            f"{model.n_iter_} epochs in {seconds * 1e3:.1f} ms\n")
    out("Speed beside scikit-learn, NumPy and torch on problems large enough to measure: "
        "fastgd bench --quick")
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        from ..plotting import plot_loss_history
        ax = plot_loss_history(histories)
        ax.set_title("fastgd demo: objective per epoch")
        ax.figure.savefig(args.plot, dpi=100, bbox_inches="tight")
        out(f"loss curves written to {args.plot}")
    return 0
