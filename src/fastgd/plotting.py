"""Matplotlib helpers: loss curves and optimization paths on contour plots.

matplotlib is an optional dependency (``pip install fastgd[plot]``); it is
imported inside each function, so ``import fastgd.plotting`` works without it
and only drawing needs it.
"""
import numbers

import numpy as np
from scipy.optimize import OptimizeResult

from .exceptions import NotFittedError

__all__ = ["plot_loss_history", "plot_trajectory"]

# a path of many thousands of iterates would bury the line under markers
_MAX_MARKERS = 60
_GRID_VECTORIZED = 200   # grid points per axis when fun takes a whole grid
_GRID_POINTWISE = 80     # ... and when it is called once per point


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("fastgd.plotting needs matplotlib, an optional dependency of "
                          "fastgd: install it with `pip install fastgd[plot]` "
                          "(or `pip install matplotlib`)") from exc
    return plt


def _axes(ax):
    if ax is None:
        _, ax = _pyplot().subplots()
    return ax


def _is_number_sequence(obj):
    return (isinstance(obj, (list, tuple))
            and all(isinstance(v, (numbers.Real, np.number)) for v in obj))


def _history(obj, what):
    """(values, x offset, axis label) of one history: an estimator's
    per-epoch ``loss_history_`` (epochs from 1) or a result's per-iterate
    ``losses`` (iterations from 0, the start point)."""
    if hasattr(obj, "loss_history_"):
        values, start, unit = obj.loss_history_, 1, "epoch"
    elif isinstance(obj, OptimizeResult):
        if "losses" not in obj:
            raise TypeError(f"{what} is an OptimizeResult without 'losses'; "
                            "use one returned by fastgd.minimize")
        values, start, unit = obj["losses"], 0, "iteration"
    elif isinstance(obj, np.ndarray) or _is_number_sequence(obj):
        values, start, unit = obj, 0, "iteration"
    elif hasattr(obj, "fit"):
        raise NotFittedError(f"{what}: this {type(obj).__name__} instance has no "
                             "loss_history_; call 'fit' before plotting its loss history")
    else:
        raise TypeError(f"{what} must be a fitted estimator (with loss_history_), an "
                        "OptimizeResult from fastgd.minimize (with losses), a 1-D array "
                        f"of losses, or a dict of those; got {type(obj).__name__}")
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.shape[0] == 0:
        raise ValueError(f"{what} must hold a non-empty 1-D history of losses, "
                         f"got shape {values.shape}")
    return values, start, unit


def _named_items(obj, labels, argument, default_label):
    """[(label or None, item)] from a single item, a sequence or a dict."""
    if isinstance(obj, dict) and not isinstance(obj, OptimizeResult):
        items = [(str(k), v) for k, v in obj.items()]
    elif isinstance(obj, (list, tuple)) and not _is_number_sequence(obj):
        items = [(default_label(v, i), v) for i, v in enumerate(obj)]
    else:
        items = [(None, obj)]
    if not items:
        raise ValueError(f"{argument} is empty: nothing to plot")
    if labels is not None:
        if isinstance(labels, str):
            labels = [labels]
        labels = list(labels)
        if len(labels) != len(items):
            raise ValueError(f"labels has {len(labels)} entries but {argument} holds "
                             f"{len(items)} item(s)")
        items = [(str(label), item) for label, (_, item) in zip(labels, items)]
    return items


def _default_label(obj, i):
    if isinstance(obj, OptimizeResult) and "method" in obj:
        return f"{obj['method']} ({i})"
    if hasattr(obj, "loss_history_") or hasattr(obj, "fit"):
        return f"{type(obj).__name__} ({i})"
    return f"run {i}"


def plot_loss_history(model_or_histories, ax=None, labels=None):
    """Plot loss curves on a logarithmic scale.

    Parameters
    ----------
    model_or_histories : estimator, OptimizeResult, array-like or dict
        A fitted fastgd estimator (its ``loss_history_``, one value per
        epoch), a result of :func:`fastgd.minimize` (its ``losses``, one per
        iterate from ``x0``), a 1-D array of losses, or a dict mapping a
        label to any of these (or a list of them) to compare several runs.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    labels : str or sequence of str, optional
        The legend entries, one per history (a dict's keys by default).

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The y axis is logarithmic when every loss is positive and 'symlog'
    otherwise (a function unbounded below, such as a saddle, has negative
    values).
    """
    items = _named_items(model_or_histories, labels, "model_or_histories", _default_label)
    histories = []
    for label, item in items:
        what = "model_or_histories" if label is None else f"model_or_histories[{label!r}]"
        histories.append((label,) + _history(item, what))
    ax = _axes(ax)
    for label, values, start, _ in histories:
        ax.plot(np.arange(start, start + values.shape[0]), values, label=label)
    finite = np.concatenate([v[np.isfinite(v)] for _, v, _, _ in histories])
    ax.set_yscale("log" if finite.size and finite.min() > 0 else "symlog")
    units = {unit for _, _, _, unit in histories}
    ax.set_xlabel(units.pop() if len(units) == 1 else "iteration / epoch")
    ax.set_ylabel("loss")
    if any(label is not None for label, *_ in histories):
        ax.legend()
    return ax


def _check_bounds(bounds):
    try:
        (x0, x1), (y0, y1) = bounds
        box = np.array([[x0, x1], [y0, y1]], dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("bounds must be ((xmin, xmax), (ymin, ymax)), "
                         f"got {bounds!r}") from None
    if not np.isfinite(box).all() or not (box[:, 0] < box[:, 1]).all():
        raise ValueError(f"bounds must be finite with xmin < xmax and ymin < ymax, got {bounds!r}")
    return box


def _path(item, what):
    path = item
    if isinstance(item, OptimizeResult):
        if "path" not in item:
            raise TypeError(f"{what} is an OptimizeResult without 'path'; use one returned "
                            "by fastgd.minimize")
        path = item["path"]
    try:
        path = np.asarray(path, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be an OptimizeResult from fastgd.minimize or an "
                        f"array of shape (k, 2), got {type(item).__name__}") from None
    if path.ndim != 2 or path.shape[1] != 2 or path.shape[0] == 0:
        raise ValueError(f"{what} must be a path of 2-D points, shape (k, 2), got shape "
                         f"{path.shape}; plot_trajectory draws functions of two variables")
    return path


def _grid_values(fun, box):
    """The function on a grid over box: one call for a fastgd test function
    (vectorized over leading axes), one call per point for any callable."""
    vectorized = hasattr(fun, "fun") and hasattr(fun, "bounds")
    size = _GRID_VECTORIZED if vectorized else _GRID_POINTWISE
    X, Y = np.meshgrid(np.linspace(box[0, 0], box[0, 1], size),
                       np.linspace(box[1, 0], box[1, 1], size))
    points = np.stack([X, Y], axis=-1)
    if vectorized:
        Z = np.asarray(fun.fun(points), dtype=np.float64)
    else:
        Z = np.array([float(fun(p)) for p in points.reshape(-1, 2)]).reshape(X.shape)
    return X, Y, Z


def _contour_levels(Z, levels):
    """Levels at quantiles of the values: contours crowd where the function
    is low (valleys, minima) instead of where it is steep."""
    if isinstance(levels, bool) or not isinstance(levels, numbers.Integral):
        return np.asarray(levels, dtype=np.float64)
    if levels < 1:
        raise ValueError(f"levels must be a positive integer or a sequence of values, "
                         f"got {levels!r}")
    finite = Z[np.isfinite(Z)]
    if finite.size == 0:
        raise ValueError("fun is not finite anywhere in bounds: nothing to draw")
    quantiles = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, levels + 2)[1:-1]))
    return quantiles if quantiles.size >= 2 else int(levels)


def plot_trajectory(fun, results, ax=None, bounds=None, levels=30):
    """Draw optimization paths over the contours of a function of two variables.

    Parameters
    ----------
    fun : fastgd.optim.functions test function or callable
        A test function of :mod:`fastgd.optim.functions` (evaluated on the whole
        grid at once; its known minima are marked with stars), or any
        callable ``fun(x) -> float`` for ``x`` of shape (2,).
    results : OptimizeResult, array of shape (k, 2), list or dict
        Results of :func:`fastgd.minimize` (their ``path``) or paths; a dict
        maps legend labels to them.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    bounds : ((xmin, xmax), (ymin, ymax)), optional
        The box to show; by default the test function's ``bounds``, or, for
        a plain callable, the extent of the paths with a margin.
    levels : int or sequence of float, default=30
        The number of contour lines (placed at quantiles of the function's
        values over the box) or the contour values themselves.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not callable(fun) and not hasattr(fun, "fun"):
        raise TypeError(f"fun must be a fastgd.optim.functions test function or a callable, got {fun!r}")
    items = _named_items(results, None, "results", _default_label)
    paths = [(label, _path(item, "results" if label is None else f"results[{label!r}]"))
             for label, item in items]
    if bounds is not None:
        box = _check_bounds(bounds)
    elif hasattr(fun, "bounds"):
        box = _check_bounds(fun.bounds)
    else:
        points = np.concatenate([p for _, p in paths])
        points = points[np.isfinite(points).all(axis=1)]
        low, high = points.min(axis=0), points.max(axis=0)
        margin = np.maximum(0.1 * (high - low), 0.5)
        box = np.stack([low - margin, high + margin], axis=1)
    X, Y, Z = _grid_values(fun, box)
    ax = _axes(ax)
    ax.contour(X, Y, Z, levels=_contour_levels(Z, levels), cmap="viridis", linewidths=0.7)
    for label, path in paths:
        (line,) = ax.plot(path[:, 0], path[:, 1], marker="o", markersize=3, linewidth=1.2,
                          markevery=max(1, path.shape[0] // _MAX_MARKERS), label=label)
        # the start, in the path's colour, so the direction of travel shows
        ax.plot(path[0, 0], path[0, 1], marker="s", markersize=7, color=line.get_color())
    minima = [m for m in getattr(fun, "minima", []) if
              box[0, 0] <= m[0] <= box[0, 1] and box[1, 0] <= m[1] <= box[1, 1]]
    if minima:
        minima = np.array(minima)
        ax.plot(minima[:, 0], minima[:, 1], linestyle="none", marker="*", markersize=12,
                color="black", label="minimum" if len(minima) == 1 else "minima")
    ax.set_xlim(box[0])
    ax.set_ylim(box[1])
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    name = getattr(fun, "name", None)
    if isinstance(name, str):
        ax.set_title(name)
    if any(label is not None for label, _ in paths) or len(minima):
        ax.legend()
    return ax
