"""The matplotlib helpers draw what they are given and write a real PNG."""
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from fastgd.exceptions import NotFittedError  # noqa: E402
from fastgd.functions import FUNCTIONS  # noqa: E402
from fastgd.optim import minimize  # noqa: E402
from fastgd.plotting import plot_loss_history, plot_trajectory  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def rosenbrock_runs():
    f = FUNCTIONS["rosenbrock"]
    return {method: minimize(f.fun, [-1.2, 1.0], jac=f.grad, method=method,
                             learning_rate=lr, max_iter=500)
            for method, lr in [("sgd", 1e-3), ("momentum", 1e-3), ("adam", 2e-2)]}


class FittedModel:
    """Stands for a fitted estimator: all plot_loss_history reads."""

    def __init__(self, history):
        self.loss_history_ = history


class UnfittedModel:
    def fit(self, X, y):  # pragma: no cover - never called
        return self


def _assert_png(path):
    assert path.exists()
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 5000       # a blank 640x480 canvas is about 2 kB


def test_loss_history_png(tmp_path, rosenbrock_runs):
    ax = plot_loss_history(rosenbrock_runs)
    assert ax.get_yscale() == "log"
    assert [line.get_label() for line in ax.get_lines()] == list(rosenbrock_runs)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(rosenbrock_runs)
    for line, res in zip(ax.get_lines(), rosenbrock_runs.values()):
        np.testing.assert_array_equal(line.get_ydata(), res.losses)
        np.testing.assert_array_equal(line.get_xdata(), np.arange(res.nit + 1))
    out = tmp_path / "loss.png"
    ax.figure.savefig(out)
    _assert_png(out)


def test_trajectory_png(tmp_path, rosenbrock_runs):
    f = FUNCTIONS["rosenbrock"]
    ax = plot_trajectory(f, rosenbrock_runs)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == list(rosenbrock_runs) + ["minimum"]
    drawn = {line.get_label(): line for line in ax.get_lines()}
    for name, res in rosenbrock_runs.items():
        np.testing.assert_array_equal(drawn[name].get_xdata(), res.path[:, 0])
        np.testing.assert_array_equal(drawn[name].get_ydata(), res.path[:, 1])
    assert ax.collections, "no contour lines were drawn"
    assert ax.get_xlim() == f.bounds[0] and ax.get_ylim() == f.bounds[1]
    assert ax.get_title() == f.name
    out = tmp_path / "trajectory.png"
    ax.figure.savefig(out)
    _assert_png(out)


def test_loss_history_accepts_each_kind(rosenbrock_runs):
    res = rosenbrock_runs["adam"]
    history = np.geomspace(10.0, 0.1, 12)
    _, ax = plt.subplots()
    returned = plot_loss_history({"model": FittedModel(history), "result": res,
                                  "array": history, "list": list(history)}, ax=ax)
    assert returned is ax
    lines = ax.get_lines()
    assert len(lines) == 4
    # an estimator's history is per epoch, counted from 1
    np.testing.assert_array_equal(lines[0].get_xdata(), np.arange(1, 13))
    np.testing.assert_array_equal(lines[1].get_ydata(), res.losses)
    np.testing.assert_array_equal(lines[3].get_ydata(), history)
    assert ax.get_xlabel() == "iteration / epoch"


def test_loss_history_single_and_labels(rosenbrock_runs):
    ax = plot_loss_history(FittedModel([3.0, 2.0, 1.0]))
    assert len(ax.get_lines()) == 1 and ax.get_legend() is None
    assert ax.get_xlabel() == "epoch"
    ax = plot_loss_history([rosenbrock_runs["sgd"], rosenbrock_runs["adam"]], labels=["a", "b"])
    assert [line.get_label() for line in ax.get_lines()] == ["a", "b"]


def test_loss_history_negative_values_use_symlog():
    f = FUNCTIONS["saddle"]
    res = minimize(f.fun, [1.0, 0.1], jac=f.grad, method="sgd", learning_rate=0.1, max_iter=30)
    assert res.losses.min() < 0
    assert plot_loss_history(res).get_yscale() == "symlog"


@pytest.mark.parametrize("bad, error, match", [
    (UnfittedModel(), NotFittedError, "fit"),
    ("losses", TypeError, "fitted estimator"),
    (np.zeros((3, 2)), ValueError, "1-D"),
    ([], ValueError, "1-D"),
    ({}, ValueError, "empty"),
])
def test_loss_history_rejects_bad_input(bad, error, match):
    with pytest.raises(error, match=match):
        plot_loss_history(bad)


def test_loss_history_labels_must_match():
    with pytest.raises(ValueError, match="labels"):
        plot_loss_history([np.ones(3), np.ones(3)], labels=["only one"])


def test_trajectory_with_plain_callable_and_paths():
    fun = lambda x: (x[0] - 1.0) ** 2 + 3.0 * x[1] ** 2  # noqa: E731
    path = np.array([[-2.0, 1.0], [-1.0, 0.5], [0.0, 0.1], [1.0, 0.0]])
    ax = plot_trajectory(fun, [path, path[::-1]], levels=[0.5, 1.0, 4.0])
    assert [line.get_label() for line in ax.get_lines()][::2] == ["run 0", "run 1"]
    # no bounds given: the box covers the paths
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert x0 < -2.0 and x1 > 1.0 and y0 < 0.0 and y1 > 1.0
    ax = plot_trajectory(fun, path, bounds=((-3, 3), (-2, 2)))
    assert ax.get_xlim() == (-3.0, 3.0)


def test_trajectory_marks_every_himmelblau_minimum():
    f = FUNCTIONS["himmelblau"]
    res = minimize(f.fun, [0.0, 0.0], jac=f.grad, method="sgd", learning_rate=0.01)
    ax = plot_trajectory(f, {"gd": res})
    stars = [line for line in ax.get_lines() if line.get_label() == "minima"]
    assert len(stars) == 1 and len(stars[0].get_xdata()) == 4


@pytest.mark.parametrize("kwargs, error, match", [
    ({"results": np.zeros((3, 3))}, ValueError, r"shape \(k, 2\)"),
    ({"bounds": ((1, 0), (0, 1))}, ValueError, "bounds"),
    ({"bounds": (0, 1)}, ValueError, "bounds"),
    ({"fun": 3}, TypeError, "fun must be"),
    ({"levels": 0}, ValueError, "levels"),
    ({"results": {}}, ValueError, "empty"),
])
def test_trajectory_rejects_bad_input(kwargs, error, match):
    args = {"fun": FUNCTIONS["bowl"], "results": np.zeros((2, 2)), **kwargs}
    with pytest.raises(error, match=match):
        plot_trajectory(**args)


def test_missing_matplotlib_says_how_to_install(monkeypatch):
    # a None entry in sys.modules makes the import fail as if not installed
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install fastgd\[plot\]"):
        plot_loss_history(np.ones(3))
