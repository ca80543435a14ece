"""The client side of training on Dask collections: validation, placement of
the data on the workers, and the map-reduce of each epoch.

A :class:`DaskProblem` stands where the in-memory fit has its ``_Problem``
(the linear models) or ``_NetProblem`` (the network): the one fit loop of
:class:`fastgd._fit.GradientDescentEstimator` drives it, so that schedules,
early stopping, ``loss_history_``, divergence and ``partial_fit`` behave as
in memory.  The models' hooks (objective and gradient, epoch, curvature,
held-out score, the shuffling order) hand it their parameters; it runs the
compiled kernels chunk by chunk on the workers (:mod:`fastgd.dask._chunks`)
and returns sums of d x K numbers.
"""
import math
import time

import numpy as np
import scipy.sparse as sp

import dask.array as da
from dask import delayed
import distributed

from .._validation import _float_dtype
from ..exceptions import ClusterError
from ..kernels import _common, _linear
from . import _chunks

# Fan-in of the reduction tree (dask.array's split_every default).
SPLIT_EVERY = 8
# Parameters up to this size travel inside each task; larger ones are
# scattered once per epoch and fetched by the tasks.
SCATTER_BYTES = 1 << 20
# Data persisted on the workers when they take at most this fraction of the
# cluster's memory limit; larger data are read from their source every
# epoch (one chunk per task: a worker holds a few chunks, never X).
PERSIST_FRACTION = 0.5
# A fit whose cluster has had no worker for this long gives up (seconds).
NO_WORKERS_TIMEOUT = 30.0
# How often a waiting fit looks at the cluster (seconds).
_POLL = 0.5

_NUMERIC = "biuf"


def get_client():
    """The distributed.Client the fit runs on (the default one)."""
    try:
        return distributed.default_client()
    except ValueError:
        raise ValueError("X is a Dask collection, and fastgd trains on Dask collections "
                         "through a distributed.Client: start one first (for example "
                         "distributed.Client() for a local cluster, or "
                         "distributed.Client(address)), or pass NumPy arrays") from None


def _lost(exc):
    return ClusterError(f"the Dask cluster could not finish the fit: {exc}; the estimator "
                        "keeps the state it had before this fit")


def _wait(client, futures):
    """client.gather(futures), but an error that says so when the cluster
    has lost every worker (instead of waiting for ever), or a task was lost
    with the workers that ran it."""
    flat = (list(futures.values()) if isinstance(futures, dict) else
            list(futures) if isinstance(futures, list) else [futures])
    flat = [f for f in flat for f in (f if isinstance(f, list) else [f])]
    empty_since = None
    while True:
        try:
            distributed.wait(flat, timeout=_POLL)
            break
        except (distributed.TimeoutError, TimeoutError):
            pass
        except (OSError, distributed.comm.CommClosedError) as exc:
            raise _lost(f"the connection to its scheduler was lost ({exc})") from exc
        try:
            n_workers = len(client.scheduler_info(n_workers=-1)["workers"])
        except (OSError, distributed.comm.CommClosedError) as exc:
            raise _lost(f"the connection to its scheduler was lost ({exc})") from exc
        if n_workers:
            empty_since = None
        elif empty_since is None:
            empty_since = time.monotonic()
        elif time.monotonic() - empty_since > NO_WORKERS_TIMEOUT:
            client.cancel(flat)
            raise _lost(f"it has had no worker for {NO_WORKERS_TIMEOUT:g} s (every worker "
                        "is gone)")
    try:
        return client.gather(futures)
    except distributed.scheduler.KilledWorker as exc:
        raise _lost(exc) from exc
    except (OSError, distributed.comm.CommClosedError) as exc:
        raise _lost(f"the connection to its scheduler was lost ({exc})") from exc


def _tree(parts, combine):
    """Reduce delayed parts by ``combine`` in a tree of fan-in SPLIT_EVERY."""
    while len(parts) > 1:
        parts = [delayed(combine, pure=True)(*parts[i:i + SPLIT_EVERY])
                 for i in range(0, len(parts), SPLIT_EVERY)]
    return parts[0]


# -- input ---------------------------------------------------------------------

def _is_dataframe(obj):
    return hasattr(obj, "to_dask_array") and hasattr(obj, "dtypes")


def _as_dask_array(obj, name, client):
    """A Dask collection (array, dataframe or series) as a dask.array with
    known chunk sizes."""
    if _is_dataframe(obj):
        dtypes = obj.dtypes if hasattr(obj.dtypes, "items") else {obj.name: obj.dtypes}
        bad = [str(c) for c, t in dtypes.items() if np.dtype(t).kind not in _NUMERIC]
        if bad and name != "y":
            raise TypeError(f"{name} must hold numbers; the columns {bad} of the dataframe "
                            "do not (select or encode the numeric features first)")
        obj = obj.to_dask_array(lengths=True)
    if not isinstance(obj, da.Array):
        raise TypeError(f"{name} is a Dask collection of type {type(obj).__name__}; fastgd "
                        "takes a dask.array.Array or a dask.dataframe of numeric columns")
    if any(math.isnan(c) for c in obj.chunks[0]):
        obj = obj.compute_chunk_sizes()
    return obj


def _rows_like(obj, name, X, client):
    """y or sample_weight as a dask.array chunked like X's rows."""
    if obj is None:
        return None
    if not is_dask(obj):
        arr = np.asarray(obj)
        if arr.ndim == 0 and name == "sample_weight":
            arr = np.full(X.shape[0], arr)
        if arr.ndim == 0 or arr.shape[0] != X.shape[0]:
            raise ValueError(f"{name} has {arr.shape[0] if arr.ndim else 0} samples but X has "
                             f"{X.shape[0]}: found input variables with inconsistent numbers "
                             "of samples")
        return da.from_array(arr, chunks=(X.chunks[0],) + arr.shape[1:])
    obj = _as_dask_array(obj, name, client)
    if obj.shape[0] != X.shape[0]:
        raise ValueError(f"{name} has {obj.shape[0]} samples but X has {X.shape[0]}: found "
                         "input variables with inconsistent numbers of samples")
    if obj.chunks[0] != X.chunks[0]:
        raise ValueError(f"{name} is chunked into rows {obj.chunks[0]} but X into "
                         f"{X.chunks[0]}: chunk {name} like X's rows, e.g. "
                         f"{name}.rechunk({{0: X.chunks[0]}})")
    if obj.ndim == 2 and len(obj.chunks[1]) > 1:
        obj = obj.rechunk({1: -1})
    return obj


def is_dask(obj):
    return type(obj).__module__.split(".")[0] in ("dask", "dask_expr")


def _blocks(arr):
    return None if arr is None else list(arr.to_delayed().ravel())


def _memory_limit(client):
    workers = client.scheduler_info(n_workers=-1)["workers"].values()
    limits = [w.get("memory_limit") or 0 for w in workers]
    if not limits:
        raise ClusterError("the Dask cluster has no workers: start some before fitting")
    return math.inf if any(lim == 0 for lim in limits) else float(sum(limits))


def make_problem(model, X, y, sample_weight, *, reset, network, hidden=None):
    """Validate Dask (or mixed) input and place it on the workers.

    Sets on ``model`` what the in-memory validation sets (classes_, the
    loss, the layer sizes, n_features_in_) and returns a DaskProblem."""
    if not is_dask(X):
        raise TypeError("y or sample_weight is a Dask collection but X is not: pass X as a "
                        "dask.array (or dask.dataframe) too, or compute them")
    client = get_client()
    X = _as_dask_array(X, "X", client)
    if X.ndim != 2:
        raise ValueError(f"Expected 2D array for X, got {X.ndim}D Dask array of shape {X.shape}")
    kind = np.dtype(X.dtype).kind
    if kind in "OUSV":
        raise TypeError(f"X must hold numbers, got a Dask array of dtype {X.dtype}: convert "
                        "it first, e.g. X.astype(float)")
    if kind == "c":
        raise ValueError("Complex data not supported in X")
    if kind not in _NUMERIC:
        raise TypeError(f"X must hold numbers, got dtype {X.dtype}")
    if X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"Found array with shape {X.shape} in X: at least one sample and one "
                         "feature are required")
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})      # the kernels read whole rows
    dtype = np.dtype(_float_dtype(X.dtype))
    n, d = X.shape
    if not reset:
        if d != model.n_features_in_:
            raise ValueError(f"X has {d} features, but {type(model).__name__} is expecting "
                             f"{model.n_features_in_} features as input.")
        trained = model._theta.dtype if network else model._coef.dtype
        if dtype != trained:
            raise ValueError(f"X has dtype {dtype} but the model was trained in {trained}: "
                             f"pass X as {trained} to continue training it (or fit anew)")
    if y is None:
        raise ValueError("requires y to be passed, but the target y is None")
    y = _rows_like(y, "y", X, client)
    if y.ndim not in (1, 2):
        raise ValueError(f"y should be 1-D or 2-D, got shape {y.shape}")
    sw = _rows_like(sample_weight, "sample_weight", X, client)
    if sw is not None and sw.ndim != 1:
        raise ValueError(f"sample_weight must be 1-dimensional, got shape {sw.shape}")
    sizes = X.chunks[0]
    row0 = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    keep = [k for k, s in enumerate(sizes) if s > 0]
    xb, yb, swb = _blocks(X), _blocks(y), _blocks(sw)
    nbytes = n * d * dtype.itemsize
    sparse = sp.issparse(getattr(X, "_meta", None))
    persist = sparse or nbytes <= PERSIST_FRACTION * _memory_limit(client)
    if not persist:
        # X is read anew every pass, its small columns once: kept on the
        # workers, each pass's tasks wait on X alone.  Read beside X every
        # pass, y's chunks can come from the scheduler in another order than
        # X's (that of the pass before), and chunks of X wait in memory for
        # their y.
        yb = client.persist(yb)
        swb = None if swb is None else client.persist(swb)

    # pass A: labels and weights, the small columns only
    classifier = hasattr(type(model), "predict_proba")
    tasks = {}
    if classifier:
        tasks["labels"] = [delayed(_chunks.chunk_labels)(yb[k], k, int(row0[k])) for k in keep]
    if sw is not None:
        tasks["weights"] = [delayed(_chunks.weight_sum)(swb[k], k, int(row0[k]), dtype)
                            for k in keep]
    found = _wait(client, client.compute(tasks)) if tasks else {}
    scale = 1.0
    if sw is not None:
        total = sum(s for s, _ in found["weights"])
        largest = max(m for _, m in found["weights"])
        if not total > 0:
            raise ValueError("sample_weight must have at least one positive weight; "
                             "all weights are zero")
        if not np.isfinite(total) or largest < np.finfo(dtype).tiny:
            raise ValueError(f"sample_weight is out of scale (sum {total:.3g}, largest "
                             f"{largest:.3g}): its sum must be finite and its largest weight "
                             f"at least {np.finfo(dtype).tiny:.3g}; divide the weights by "
                             "their mean (only their ratios matter to the objective)")
        scale = n / total
    classes = None
    if classifier:
        target, classes, n_outputs = _bind_classes(model, found["labels"], reset, network)
    elif network:
        target, n_outputs = "regression-2d", (1 if y.ndim == 1 else y.shape[1])
    else:
        target, n_outputs = "regression", 1
        if y.ndim == 2:
            if y.shape[1] != 1:
                raise ValueError(f"y should be a 1d array, got an array of shape {y.shape} "
                                 "instead")
            yb = [block[:, 0] for block in yb]
    if network:
        layer_sizes = np.array((d,) + tuple(hidden) + (n_outputs,), dtype=np.intp)
        model._set_layer_sizes(layer_sizes, reset)
    model.n_features_in_ = d

    prepared = [delayed(_chunks.prepare)(xb[k], yb[k], None if swb is None else swb[k], k,
                                         int(row0[k]), d, dtype, target, classes, scale, network)
                for k in keep]
    if persist:
        prepared = client.persist(prepared)
    summaries = _wait(client, client.compute([delayed(_chunks.summary)(p) for p in prepared]))
    return DaskProblem(client, prepared, summaries, d, dtype, persist, network)


def _bind_classes(model, labels, reset, network):
    """classes_ from the chunks' labels (or check them against the known
    ones); returns (target encoding, classes, number of outputs)."""
    multilabel = [x[1] for x in labels if x[0] == "multilabel"]
    if multilabel:
        if not network or len(multilabel) != len(labels) or len(set(multilabel)) != 1:
            raise ValueError("y mixes label columns and a 2-D indicator matrix across chunks"
                             if network else "y should be a 1d array of class labels")
        K = multilabel[0]
        if reset and not getattr(model, "_partial_classes", False):
            model.classes_ = np.arange(K)
        elif len(model.classes_) != K or not getattr(model, "_multilabel", True):
            raise ValueError(f"y has {K} label columns but the network was trained on "
                             f"{len(model.classes_)} classes")
        model.classes_ = np.arange(K)
        model._multilabel, model._output, model._partial_classes = True, "logistic", False
        return "multilabel", model.classes_, K
    found = np.unique(np.concatenate([x[1] for x in labels]))
    if reset and not getattr(model, "_partial_classes", False):
        if len(found) < 2:
            raise ValueError(f"y needs samples of at least 2 classes; got 1 class "
                             f"({found[0]!r}). A classifier can't train when only one class "
                             "is present.")
        model.classes_ = found
    else:
        if network and getattr(model, "_multilabel", False):
            raise ValueError("the network was trained on a multilabel indicator y; y must "
                             f"have shape (n_samples, {len(model.classes_)})")
        unknown = np.setdiff1d(found, model.classes_)
        if len(unknown):
            raise ValueError(f"y holds labels not in classes_ {model.classes_!r}: "
                             f"{unknown[:5]!r}")
    K = len(model.classes_)
    if not network:
        model._set_loss()
        return "index", model.classes_, model._n_outputs
    model._multilabel, model._partial_classes = False, False
    model._output = "logistic" if K == 2 else "softmax"
    return ("column", model.classes_, 1) if K == 2 else ("onehot", model.classes_, K)


class DaskProblem:
    """Training data on a Dask cluster, one prepared chunk per row block.

    ``chunks`` are Delayed objects: persisted on the workers (backed by
    futures, recomputed from their source by Dask if a worker is lost) or,
    for data larger than the cluster's memory, the graph that reads and
    prepares each chunk again every epoch."""

    distributed = True
    sample_weight = None        # the fit loop's in-memory split check; see weight_total

    def __init__(self, client, chunks, summaries, n_features, dtype, persisted, network):
        """``summaries``: _chunks.summary of each chunk, in order."""
        self.client, self.chunks = client, chunks
        self.sizes = [int(rows) for rows, _, _ in summaries]
        self.n_samples, self.n_features = int(sum(self.sizes)), n_features
        self.dtype, self.persisted, self.network = dtype, persisted, network
        self.weight_total = sum(weight for _, weight, _ in summaries)
        self._column_square_sums = np.zeros(n_features)
        for _, _, sums in summaries:
            self._column_square_sums += sums
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.intp)

    # -- plumbing -------------------------------------------------------------
    def _scatter(self, value):
        """Parameters to the workers: sent once per call and fetched by the
        tasks when large (a network's), inside each task when small (a
        linear model's d x K numbers: a scatter would cost a round trip)."""
        size = sum(getattr(v, "nbytes", 0) for v in (value if isinstance(value, tuple)
                                                        else (value,)))
        if size <= SCATTER_BYTES:
            return value
        return self.client.scatter(value, hash=False)

    def _map_reduce(self, fn, args, combine, per_chunk=None):
        """combine(fn(chunk, *args) for every chunk), run where the chunks
        are.  Persisted chunks: one task per group of chunks (_groups) on
        their futures, the parts summed in a tree of fan-in SPLIT_EVERY on
        the workers, the last level on the client; streamed chunks: the
        same as one graph that reads each chunk first.  ``per_chunk``: an
        argument of each chunk's own (its shuffling seed), passed after the
        chunk."""
        own = [()] * len(self.chunks) if per_chunk is None else [(a,) for a in per_chunk]
        if not self.persisted:
            parts = [delayed(fn, pure=False)(c, *o, *args) for c, o in zip(self.chunks, own)]
            if len(parts) <= SPLIT_EVERY:
                return combine(*self._run(parts))
            return self._run(_tree(parts, combine))
        futures = self._futures()
        parts = [self.client.submit(_chunks.apply_group, fn, combine, [own[i] for i in group],
                                    len(group), *[futures[i] for i in group], *args,
                                    pure=False)
                 for group in self._groups()]
        while len(parts) > SPLIT_EVERY:
            parts = [self.client.submit(combine, *parts[i:i + SPLIT_EVERY], pure=False)
                     for i in range(0, len(parts), SPLIT_EVERY)]
        return combine(*_wait(self.client, parts))

    def _futures(self):
        if getattr(self, "_chunk_futures", None) is None:
            self._chunk_futures = [distributed.futures_of(c)[0] for c in self.chunks]
        return self._chunk_futures

    def _groups(self):
        """The persisted chunks' indices grouped by the worker that holds
        them, one group per worker thread.  A map runs one task a group:
        a round trip through the scheduler costs by the task, and more than
        the kernels on a few chunks.  A chunk whose worker is not known
        (yet) is a group of its own; wherever a chunk moves later (a worker
        lost), its group's task fetches it, so the groups are drawn once."""
        if getattr(self, "_chunk_groups", None) is None:
            futures = self._futures()
            holders = self.client.who_has(futures)
            threads = {address: info.get("nthreads", 1) for address, info in
                       self.client.scheduler_info(n_workers=-1)["workers"].items()}
            by_worker = {}
            for i, future in enumerate(futures):
                where = holders.get(future.key) or ()
                by_worker.setdefault(where[0] if where else ("unknown", i), []).append(i)
            self._chunk_groups = [chunks[j::k] for worker, chunks in by_worker.items()
                                  for k in [max(1, min(len(chunks), threads.get(worker, 1)))]
                                  for j in range(k)]
        return self._chunk_groups

    def _run(self, graph):
        return _wait(self.client, self.client.compute(graph))

    def _takes(self, index):
        """The rows ``index`` (sorted), as one lazy take a chunk that holds any."""
        index = np.asarray(index, dtype=np.intp)
        takes = []
        for k, chunk in enumerate(self.chunks):
            lo, hi = self.offsets[k], self.offsets[k + 1]
            local = index[(index >= lo) & (index < hi)] - lo
            if local.size:
                takes.append(delayed(_chunks.take)(chunk, local))
        return takes

    def gather_rows(self, index, max_bytes):
        """(X, sample weights or None) of the rows ``index`` (sorted), brought
        to the client in one round trip; None when, as dense values, they
        would take more than ``max_bytes``."""
        if len(index) * self.n_features * np.dtype(self.dtype).itemsize > max_bytes:
            return None
        parts = self._run(self._takes(index))
        Xs = [X for X, _, _ in parts]
        X = sp.vstack(Xs, format="csr") if sp.issparse(Xs[0]) else np.concatenate(Xs)
        weights = [sw for _, _, sw in parts]
        return X, None if weights[0] is None else np.concatenate(weights)

    def subset(self, index, persist=None):
        """The rows ``index`` (sorted), taken on the workers chunk by chunk;
        kept in the workers' memory if ``persist`` (default: as this
        problem's chunks are)."""
        chunks = self._takes(index)
        persist = self.persisted if persist is None else persist
        if persist:
            chunks = self.client.persist(chunks)
        summaries = self._run([delayed(_chunks.summary)(c) for c in chunks])
        return DaskProblem(self.client, chunks, summaries, self.n_features, self.dtype,
                           persist, self.network)

    def draw_order(self, rng):
        """The shuffling of an epoch: one seed per chunk, from the fit's
        random stream; each chunk's rows are shuffled on its worker."""
        return rng.integers(0, 2**63, size=len(self.chunks), dtype=np.int64)

    # -- full batch ----------------------------------------------------------
    def _sums(self, fn, *args):
        args = [self._scatter(a) if isinstance(a, np.ndarray) else a for a in args]
        return self._map_reduce(fn, args, _chunks.add)

    def column_square_sums(self):
        """sum_i x_ij^2 of each column (summed by the chunks' summaries)."""
        return self._column_square_sums.copy()

    def objective_gradient(self, model):
        """The objective at the model's parameters; its gradient into the
        segments' .grad: the chunks' sums, then the mean and the penalty
        once, as the in-memory kernel forms them."""
        alpha = float(model.alpha)
        if self.network:
            theta = model._theta
            loss, weight, grad = self._sums(_chunks.mlp_sums, theta, model._layer_sizes,
                                            model._activation_code, model._output_code)
            nw = model._n_weights
            with np.errstate(all="ignore"):
                model._grad[...] = grad / weight
                model._grad[:nw] += alpha * theta[:nw]
                return loss / weight + _common.penalty(theta[:nw], alpha)
        coef, intercept = model._coef, model._intercept
        loss, weight, grad = self._sums(_chunks.linear_sums, _linear.LOSSES[model._loss], coef,
                                        intercept, int(model.n_jobs))
        K, d = coef.shape
        with np.errstate(all="ignore"):
            model._segments[0].grad[...] = grad[:K * d] / weight + alpha * coef.reshape(-1)
            model._segments[1].grad[...] = grad[K * d:] / weight
            return loss / weight + _common.penalty(model._segments[0].values, alpha)

    # -- stochastic: parameter averaging ---------------------------------------
    def averaged_epoch(self, model, rule, seeds, batch_size, lr_table):
        """One epoch of every chunk from the same parameters and optimizer
        state, then their average weighted by the chunks' weights (rows,
        without sample weights); returns (objective, t)."""
        t = int(model.t_)
        longest = max(self.sizes)
        if lr_table is not None:
            lr_table = np.ascontiguousarray(lr_table[:-(-longest // batch_size)])
        alpha = float(model.alpha)
        if self.network:
            state = None
            if rule_keeps_state(rule):
                nw = model._n_weights
                state = np.concatenate([model._segments[0].state, model._segments[1].state],
                                       axis=1)
            shared = self._scatter((model._theta, state))
            fn, args = _epoch_mlp, (shared, batch_size, model._layer_sizes,
                                    model._activation_code, model._output_code, alpha, rule,
                                    t, lr_table)
        else:
            coef_seg, intercept_seg = model._segments
            shared = self._scatter((model._coef, model._intercept, coef_seg.state,
                                    intercept_seg.state))
            fn, args = _epoch_linear, (shared, _linear.LOSSES[model._loss], batch_size, alpha,
                                       bool(model.fit_intercept), rule, t, lr_table)
        seeds = [None] * len(self.chunks) if seeds is None else [int(s) for s in seeds]
        out = self._map_reduce(fn, args, _chunks.combine, per_chunk=seeds)
        if out is None or out["status"] != 0:
            return np.inf, t
        mean = [v / out["w"] for v in out["sums"]]
        if self.network:
            model._theta[...] = mean[0]
            if len(mean) > 1:
                state = mean[1].reshape(model._segments[0].state.shape[0], -1)
                nw = model._n_weights
                model._segments[0].state[...] = state[:, :nw]
                model._segments[1].state[...] = state[:, nw:]
            weights = model._segments[0].values
        else:
            coef_seg, intercept_seg = model._segments
            coef_seg.values[...] = mean[0]
            intercept_seg.values[...] = mean[1]
            coef_seg.state[...] = mean[2].reshape(coef_seg.state.shape)
            intercept_seg.state[...] = mean[3].reshape(intercept_seg.state.shape)
            weights = coef_seg.values
        if not (np.isfinite(weights).all()):
            return np.inf, t
        return out["loss"] / out["weights"] + _common.penalty(weights, alpha), t + out["steps"]

    # -- the automatic rate's curvature -----------------------------------------
    def largest_row_curvature(self, fit_intercept):
        return self._map_reduce(_chunks.row_curvature, (fit_intercept,), _chunks.largest)

    def linear_gram(self, rows, fit_intercept):
        """A function v -> A^T S A v / sum(s) on the rows ``rows`` (the
        in-memory estimate's subsample), evaluated on the workers.  The
        subsample is small and read by every iteration: it is kept in the
        workers' memory even when X is streamed from its source."""
        sub = self.subset(rows, persist=True)
        c = float(fit_intercept)
        total = sub.weight_total

        def apply_gram(v):
            return sub._map_reduce(_chunks.gram_apply, (self._scatter(v), c), _sum_arrays) / total
        return apply_gram

    def hidden_rows(self, rows, layers, activation):
        """[H, 1] and the weights of the rows ``rows``, gathered: the last
        hidden layer of a small subsample, not X."""
        sub = self.subset(rows)
        out = self._run([delayed(_chunks.hidden_activations)(c, layers, activation)
                         for c in sub.chunks])
        return np.concatenate([a for a, _ in out]), np.concatenate([s for _, s in out])

    # -- held-out score ------------------------------------------------------------
    def score(self, model, kind):
        sums = self._map_reduce(_chunks.score_sums, (kind, model), _sum_arrays)
        if kind == "accuracy":
            return float(sums[0] / sums[1])
        total_w, sy, syy, resid = sums
        total = syy - sy ** 2 / total_w
        r2 = np.where(total > 0, 1.0 - resid / np.where(total > 0, total, 1.0), 0.0)
        return float(r2.mean())


def rule_keeps_state(rule):
    from ..kernels.rules import rule_keeps_state as keeps
    return keeps(rule)


def _epoch_linear(chunk, seed, shared, loss, batch_size, alpha, fit_intercept, rule, t, lr_table):
    coef, intercept, state_W, state_b = shared
    return _chunks.linear_epoch(chunk, loss, coef, intercept, state_W, state_b, seed, batch_size,
                                alpha, fit_intercept, rule, t, lr_table)


def _epoch_mlp(chunk, seed, shared, batch_size, layer_sizes, activation, output, alpha, rule,
               t, lr_table):
    theta, state = shared
    return _chunks.mlp_epoch(chunk, theta, state, seed, batch_size, layer_sizes, activation,
                             output, alpha, rule, t, lr_table)


def _sum_arrays(*arrays):
    total = np.array(arrays[0], dtype=np.float64, copy=True)
    for a in arrays[1:]:
        total += a
    return total


# -- prediction -------------------------------------------------------------------

def predict_blocks(estimator, method, X):
    """``estimator.method`` on each block of rows of a Dask X: a lazy Dask
    array with X's row chunks."""
    from .._validation import check_is_fitted
    check_is_fitted(estimator, "coefs_" if hasattr(estimator, "_theta") else "coef_")
    X = _as_dask_array(X, "X", None)
    if X.ndim != 2:
        raise ValueError(f"Expected 2D array for X, got {X.ndim}D Dask array of shape {X.shape}")
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(f"X has {X.shape[1]} features, but {type(estimator).__name__} is "
                         f"expecting {estimator.n_features_in_} features as input.")
    if np.dtype(X.dtype).kind not in _NUMERIC:
        raise TypeError(f"X must hold numbers, got a Dask array of dtype {X.dtype}")
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    probe = getattr(estimator, method)(np.zeros((1, X.shape[1]), dtype=X.dtype))
    probe = np.asarray(probe)
    meta = np.empty((0,) * probe.ndim, dtype=probe.dtype)
    if probe.ndim == 1:
        return X.map_blocks(_chunks.apply_method, estimator, method, drop_axis=1,
                            dtype=probe.dtype, meta=meta)
    return X.map_blocks(_chunks.apply_method, estimator, method, dtype=probe.dtype, meta=meta,
                        chunks=(X.chunks[0], (probe.shape[1],)))
