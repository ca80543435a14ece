"""Block-shuffled epochs: the visiting order, and the geometry of its buffers.

Layers: the fit loop (``shuffle='blocks'``) and callers of the kernel API
draw a block order here and pass it to an epoch kernel; with its geometry,
the kernel's block mode copies each buffer into a scratch buffer first
(_linear.pyx, csrc/blocks.h), which the linear models ask for when X is
file-mapped only.

A block order visits contiguous blocks of ``block_size`` rows in a random
order, at most ``buffer_blocks`` blocks at a time, all the rows of such a
buffer before the next's (CorgiPile, Xu et al., SIGMOD 2022): the data are
read in sequential pieces, and the rows still mix across the whole data
set.  The buffers are stratified: each takes one block at random from each
of ``buffer_blocks`` equal stretches of the data, so that a buffer spans the
whole data set even when its rows are stored sorted by label.  A buffer's
rows are visited round-robin: one row of each block, the blocks in a fresh
random order every round, so that the steps read ``buffer_blocks``
sequential streams at once and every ``buffer_blocks`` consecutive steps
take a row from every stretch.
"""
import mmap
import numbers

import numpy as np
import scipy.sparse as sp

from . import _common
from .._validation import check_random_state, check_scalar

# In memory: blocks of 16 rows, 8 a buffer, read where the rows are.  The
# steps then read 8 sequential streams at a time: as many as the hardware
# prefetchers follow (with more streams the steps wait on memory again; see
# "Block-shuffled epochs" in docs/performance.md).  The blocks are short
# because a buffer's label mix strays from the data set's (on rows stored
# sorted by label) by up to one block in 8 for as long as its blocks last,
# 8 x 16 steps: with longer blocks a constant-rate fit ends measurably
# worse than with a full shuffle.
BLOCK_ROWS = 16
BUFFER_BLOCKS = 8
# Smaller data get smaller blocks, in memory or in a file, so that an epoch
# has at least this many buffers (a buffer's rows mix only with each other).
MIN_BUFFERS = 16
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

    In memory, blocks of BLOCK_ROWS rows, BUFFER_BLOCKS a buffer.  X in a
    file (np.memmap, np.load with mmap_mode) is read in blocks of
    MAPPED_BLOCK_BYTES (whole rows, at least one), MAPPED_BUFFER_BLOCKS a
    buffer.  Either way the blocks are smaller when X has fewer rows than
    MIN_BUFFERS buffers of them.

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
    >>> kernels.block_geometry(np.zeros((200000, 100)))
    (16, 8)
    >>> kernels.block_geometry(np.zeros((1000, 100)))      # 16 buffers of 8 blocks
    (7, 8)
    """
    if not (sp.issparse(X) or isinstance(X, np.ndarray)):
        raise TypeError("X must be a numpy.ndarray or a scipy.sparse matrix, got "
                        f"{type(X).__name__}")
    if X.ndim != 2:
        raise ValueError(f"X must be 2-dimensional, got shape {X.shape}")
    if not sp.issparse(X) and is_mapped(X):
        block_size = MAPPED_BLOCK_BYTES // max(X.dtype.itemsize * X.shape[1], 1)
        buffer_blocks = MAPPED_BUFFER_BLOCKS
    else:
        block_size, buffer_blocks = BLOCK_ROWS, BUFFER_BLOCKS
    block_size = min(block_size, X.shape[0] // (MIN_BUFFERS * buffer_blocks))
    return max(1, block_size), buffer_blocks


def block_order(n_samples, block_size, buffer_blocks=BUFFER_BLOCKS, random_state=None):
    """The visiting order of a block-shuffled epoch.

    The rows are cut into blocks of ``block_size`` contiguous rows (the
    last may be shorter), and the blocks into ``buffer_blocks`` stretches
    of consecutive blocks (equal but for one block; one a block when there
    are fewer blocks).  Each stretch's blocks are put in a random order;
    buffer t holds the t-th block of every stretch.  A buffer's rows are
    visited in rounds: round r takes row r of each of its blocks, the
    blocks in a fresh random order every round.  Every buffer holds
    ``buffer_blocks`` blocks but the first when the stretches differ in
    size.  Pass the order with ``blocks=(block_size, buffer_blocks)`` to
    :func:`epoch` (or :func:`fastgd.kernels.mlp.epoch`) to have each buffer
    copied into a scratch buffer first; any function that takes ``order``,
    :mod:`fastgd.reference` included, visits the same rows.

    Parameters
    ----------
    n_samples : int
        The number of rows, at least 1.
    block_size : int
        Rows in a block, at least 1 (:func:`block_geometry` gives the
        estimators' choice).
    buffer_blocks : int, default 8
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
    >>> kernels.block_order(6, block_size=3, buffer_blocks=2, random_state=0) % 3
    array([0, 0, 1, 1, 2, 2])
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
    for None; the order must then visit whole blocks of that geometry a
    buffer at a time (_common.is_block_order)."""
    if blocks is None:
        return 0, 0
    if (not isinstance(blocks, (tuple, list)) or len(blocks) != 2):
        raise TypeError(f"blocks must be (block_size, buffer_blocks) or None, got {blocks!r}")
    block_size = int(check_scalar(blocks[0], "block_size", kind=numbers.Integral, low=1))
    buffer_blocks = int(check_scalar(blocks[1], "buffer_blocks", kind=numbers.Integral, low=1))
    if order is None or order.size != n_samples or not _common.is_block_order(
            order, block_size, buffer_blocks):
        raise ValueError(f"blocks=({block_size}, {buffer_blocks}) needs an order of "
                         f"{n_samples} positions that visits whole blocks of {block_size} "
                         f"rows, at most {buffer_blocks} at a time (a block order, as "
                         "fastgd.kernels.block_order draws it)")
    return block_size, buffer_blocks
