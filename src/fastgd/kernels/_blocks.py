"""Block-shuffled epochs: the visiting order, and the geometry of its buffers.

Layers: the fit loop (``shuffle='blocks'``) and callers of the kernel API
draw a block order here and pass it to an epoch kernel; with its geometry,
the kernel's block mode copies each buffer into cache first (_linear.pyx,
csrc/blocks.h), which the linear models ask for when X is file-mapped only.

A block order visits contiguous blocks of ``block_size`` rows in a random
order, ``buffer_blocks`` blocks at a time, and the rows of each such buffer
in a random order (CorgiPile, Xu et al., SIGMOD 2022): the data are read in
sequential pieces, and the rows still mix across the whole data set.  The
buffers are stratified: each takes one block at random from each of
``buffer_blocks`` equal stretches of the data, so that a buffer spans the
whole data set even when its rows are stored sorted by label (a buffer of
blocks drawn at random from anywhere strays from the data's label mix by
about 1/sqrt(buffer_blocks), and the model follows the last buffers).
"""
import mmap
import numbers

import numpy as np
import scipy.sparse as sp

from . import _common
from .._validation import check_random_state, check_scalar

# The scratch buffer a block-shuffled epoch copies its rows into: 256 KiB,
# a quarter of this machine's 1 MiB L2 per core, so that the buffer, the
# next rows the copy brings and the model stay in L2 together.
BUFFER_BYTES = 256 * 1024
# Blocks a buffer mixes: the more, the closer a buffer's rows are to a
# sample of the whole data set (data stored sorted by label are the worst
# case), until a block stops being a sequential read: 64 blocks of 4 KiB,
# a page each.
BUFFER_BLOCKS = 64
# X that lives in a file (np.memmap) is read in blocks of this many bytes,
# large enough that a read from disk runs at its sequential speed, 16 a
# buffer (two buffers, 32 MiB, are the memory a fit adds).
MAPPED_BLOCK_BYTES = 1 << 20
MAPPED_BUFFER_BLOCKS = 16


def is_mapped(X):
    """Whether X (an ndarray) is a view of a memory-mapped file."""
    while isinstance(X, np.ndarray):
        if isinstance(X, np.memmap):
            return True
        X = X.base
    return isinstance(X, mmap.mmap)


def block_geometry(X):
    """(block_size, buffer_blocks) of the block-shuffled epochs over X: the
    geometry the estimators use with ``shuffle='blocks'``.

    In memory, BUFFER_BLOCKS blocks fill the scratch buffer (BUFFER_BYTES)
    with X's rows, dense or CSR (by their mean size).  X in a file
    (np.memmap, np.load with mmap_mode) is read in blocks of at least
    MAPPED_BLOCK_BYTES, MAPPED_BUFFER_BLOCKS a buffer.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)

    Returns
    -------
    block_size : int
        Rows in a block, at least 1.
    buffer_blocks : int
        Blocks in a buffer.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgd import kernels
    >>> kernels.block_geometry(np.zeros((10000, 100)))     # 4 KiB blocks: 5 rows of 800 bytes
    (5, 64)
    """
    if not (sp.issparse(X) or isinstance(X, np.ndarray)):
        raise TypeError("X must be a numpy.ndarray or a scipy.sparse matrix, got "
                        f"{type(X).__name__}")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-dimensional, got shape {X.shape}")
    if sp.issparse(X):
        row_bytes = (X.nnz * (X.dtype.itemsize + 4)) / max(X.shape[0], 1) + 4
    else:
        row_bytes = X.dtype.itemsize * max(X.shape[1], 1)
    row_bytes = max(row_bytes, 1.0)
    if not sp.issparse(X) and is_mapped(X):
        return max(1, int(MAPPED_BLOCK_BYTES / row_bytes)), MAPPED_BUFFER_BLOCKS
    return max(1, int(BUFFER_BYTES / (BUFFER_BLOCKS * row_bytes))), BUFFER_BLOCKS


def block_order(n_samples, block_size, buffer_blocks=BUFFER_BLOCKS, random_state=None):
    """The visiting order of a block-shuffled epoch.

    The rows are cut into blocks of ``block_size`` contiguous rows (the
    last may be shorter), and the blocks into ``buffer_blocks`` stretches
    of consecutive blocks (equal but for one block; one a block when there
    are fewer blocks).  Each stretch's blocks are put in a random order;
    buffer t holds the t-th block of every stretch, and the rows of each
    buffer are visited in a random order.  Every buffer but the last holds
    ``buffer_blocks`` blocks.  Pass the order with ``blocks=(block_size,
    buffer_blocks)`` to :func:`epoch` (or :func:`fastgd.kernels.mlp.epoch`)
    to have each buffer copied into cache first; any function that takes
    ``order``, :mod:`fastgd.reference` included, visits the same rows.

    Parameters
    ----------
    n_samples : int
        The number of rows, at least 1.
    block_size : int
        Rows in a block, at least 1 (:func:`block_geometry` fits a
        buffer in cache).
    buffer_blocks : int, default 64
        Blocks in a buffer, at least 1.
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
        The source of the order's one 64-bit seed; an int gives the same
        order every time.

    Returns
    -------
    order : ndarray of intp, shape (n_samples,)
        Every row index once.

    Examples
    --------
    >>> from fastgd import kernels
    >>> order = kernels.block_order(8, block_size=2, buffer_blocks=2, random_state=0)
    >>> sorted(order.tolist())
    [0, 1, 2, 3, 4, 5, 6, 7]
    >>> len(set((order[:4] // 2).tolist()))     # the first buffer: two whole blocks
    2
    """
    n_samples = int(check_scalar(n_samples, "n_samples", kind=numbers.Integral, low=1))
    block_size = int(check_scalar(block_size, "block_size", kind=numbers.Integral, low=1))
    buffer_blocks = int(check_scalar(buffer_blocks, "buffer_blocks", kind=numbers.Integral,
                                     low=1))
    seed = check_random_state(random_state).integers(0, 2**64, dtype=np.uint64)
    order = np.empty(n_samples, dtype=np.intp)
    work = np.empty(-(-n_samples // block_size), dtype=np.intp)
    _common.block_order_into(order, work, block_size, buffer_blocks, int(seed))
    return order


def check_blocks(blocks, order, n_samples):
    """(block_size, buffer_blocks) of an epoch's ``blocks`` argument, (0, 0)
    for None; the order must then be a block order of every row with that
    geometry."""
    if blocks is None:
        return 0, 0
    if (not isinstance(blocks, (tuple, list)) or len(blocks) != 2):
        raise TypeError(f"blocks must be (block_size, buffer_blocks) or None, got {blocks!r}")
    block_size = int(check_scalar(blocks[0], "block_size", kind=numbers.Integral, low=1))
    buffer_blocks = int(check_scalar(blocks[1], "buffer_blocks", kind=numbers.Integral, low=1))
    if order is None or order.size != n_samples or not _common.is_block_order(
            order, block_size, buffer_blocks):
        raise ValueError(f"blocks=({block_size}, {buffer_blocks}) needs order to be a block "
                         "order of every row with that geometry (from "
                         "fastgd.kernels.block_order)")
    return block_size, buffer_blocks
