"""Calls that write the same caller-owned buffers run one at a time.

The kernel API takes its outputs (parameters, optimizer state, gradients)
from the caller and writes them without the GIL.  Two threads passing the
same buffers would interleave their writes: not a crash (the sizes are
checked first), but a result that is neither call's.  So each entry point
claims the memory of the arrays it writes before its compiled call; a call
whose buffers overlap a running call's waits for it to finish, and calls on
disjoint buffers run in parallel, as before.  Private to fastgd.kernels.
"""
import contextlib
import threading

import numpy as np

try:                                    # NumPy 2
    from numpy.lib.array_utils import byte_bounds
except ImportError:                     # NumPy 1
    byte_bounds = np.byte_bounds

_claimed = []                       # (low, high) byte ranges being written
_changed = threading.Condition()


def _overlaps(ranges, others):
    return any(lo < hi_other and lo_other < hi
               for lo, hi in ranges for lo_other, hi_other in others)


@contextlib.contextmanager
def writing(*arrays):
    """Hold the memory of ``arrays`` (None entries ignored) for one call;
    wait while another call holds any of it.  All ranges are claimed at
    once, so two calls never hold part of each other's (no deadlock)."""
    ranges = [byte_bounds(a) for a in arrays if a is not None and a.size]
    with _changed:
        while _overlaps(ranges, _claimed):
            _changed.wait()
        _claimed.extend(ranges)
    try:
        yield
    finally:
        with _changed:
            for r in ranges:
                _claimed.remove(r)
            _changed.notify_all()
