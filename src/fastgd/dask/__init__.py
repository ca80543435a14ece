"""Training on Dask collections across a ``distributed`` cluster.

The estimators take Dask input themselves (``fit``, ``partial_fit``,
``predict``...); this subpackage is where that scale-out lives.  Importing
:mod:`fastgd` imports nothing of Dask: the estimators recognise a Dask
collection by its type's module and only then import
:mod:`fastgd.dask._problem` (which needs ``pip install "fastgd[dask]"``).

What a fit on a ``dask.array.Array`` X (dense float32/float64 chunks of rows,
or scipy.sparse CSR chunks; or a ``dask.dataframe`` of numeric columns) does,
on the default ``distributed.Client``:

1. **Validation, before any epoch.**  A pass over y (and sample_weight)
   finds the classes and the weights' sum; a pass over X validates every
   chunk on its worker with the in-memory checks (an error names the
   chunk and its rows) and converts it to the kernels' layout.  The
   prepared chunks are persisted on the workers when they take at most
   half the cluster's memory limit (``PERSIST_FRACTION``); larger data are
   read from their source, chunk by chunk, every epoch, and their y and
   sample_weight, read once, are kept on the workers.

2. **Full-batch solver ('gd'): a map-reduce per epoch.**  Every chunk's
   weighted loss sum and gradient sum is computed by the compiled kernel on
   the worker holding it (with alpha = 0), the sums are added in a tree of
   fan-in 8, and on the client the mean, the L2 penalty and the update rule
   are applied once: exactly the in-memory step, so the iterates equal the
   in-memory fit's to rounding (rtol 1e-10 in float64) whatever the
   chunking.  Only the parameters (scattered once per epoch) and the
   d x K sums travel.

3. **Stochastic solvers ('sgd', 'minibatch'): parameter averaging.**  Every
   epoch, each chunk runs the compiled epoch (its rows shuffled on its
   worker by a seed drawn from the fit's random stream) from the same
   parameters and optimizer state; the results (parameters and state) are
   averaged, weighted by the chunks' weight sums (their rows, without
   sample weights): iterative parameter mixing (McDonald et al. 2010), the
   per-epoch form of Zinkevich et al.'s (2010) averaged parallel SGD.  The
   result depends on the chunking but not on the workers: the same chunks
   and seed give the same model on any cluster, also after a worker is
   lost.  ``t_`` counts the steps of the longest chunk's epoch (the steps
   each replica took), which is what the schedules decay by.

4. **The networks** (MLPClassifier, MLPRegressor) use the same two
   schemes: data-parallel full-batch gradients for solver='gd', parameter
   averaging for 'sgd' and 'minibatch' (their default).

Faults: a worker lost mid-fit is replaced by Dask, which recomputes the
chunks it held from their source; the fit continues with the same result.
If the cluster cannot finish (no worker for ``NO_WORKERS_TIMEOUT`` seconds,
or a task lost with its workers too often), the fit raises
:class:`fastgd.exceptions.ClusterError` and the estimator keeps the state it
had before that fit.

Larger than memory: ``da.from_array(np.load(path, mmap_mode='r'))`` puts
the whole array into the task graph (a memmap pickles as its values); use
:func:`from_npy`, whose tasks open the file on the workers.
"""
import functools

__all__ = ["from_npy", "is_dask_collection"]


def is_dask_collection(obj):
    """Whether obj is a Dask collection (array, dataframe, series), known
    without importing Dask."""
    return type(obj).__module__.split(".")[0] in ("dask", "dask_expr")


def predicts_dask(method):
    """Make a prediction method take a Dask array (or dataframe) X and return
    a lazy Dask array with X's row chunks, computed block by block."""
    @functools.wraps(method)
    def predict(self, X, *args, **kwargs):
        if is_dask_collection(X):
            from ._problem import predict_blocks
            return predict_blocks(self, method.__name__, X)
        return method(self, X, *args, **kwargs)
    return predict


def __getattr__(name):
    if name == "from_npy":
        from ._io import from_npy
        return from_npy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
