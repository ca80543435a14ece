"""Reading a .npy file lazily on the workers."""
import numpy as np

import dask.array as da


class _NpyFile:
    """An array-like view of a .npy file that pickles as its path: each
    task opens the file (memory-mapped) on its worker and reads its slice.
    ``np.load(path, mmap_mode='r')`` itself pickles as its values, so a
    graph built on it would carry the whole file to the scheduler."""

    def __init__(self, path):
        self.path = str(path)
        array = np.load(self.path, mmap_mode="r")
        self.shape, self.dtype, self.ndim = array.shape, array.dtype, array.ndim

    def __getitem__(self, index):
        return np.array(np.load(self.path, mmap_mode="r")[index])

    def __reduce__(self):
        return type(self), (self.path,)


def from_npy(path, chunks="auto"):
    """A Dask array of a .npy file, read lazily by the workers.

    Parameters
    ----------
    path : str or path-like
        A .npy file every worker can read (a shared or local disk).
    chunks : as for :func:`dask.array.from_array`
        Give whole rows (e.g. ``(100_000, -1)``) to train on it.

    Returns
    -------
    dask.array.Array
    """
    view = _NpyFile(path)
    return da.from_array(view, chunks=chunks, name=f"from-npy-{view.path}", asarray=False,
                         meta=np.empty((0,) * view.ndim, dtype=view.dtype))
