# cython: language_level=3
"""Ctrl-C inside a compiled loop: a loop that runs for seconds without the
GIL calls ``interrupted`` once per step (or block of rows); about every
CHECK_SECONDS it takes the GIL and asks Python whether a signal is pending.
A pending KeyboardInterrupt (or another exception a signal handler raised)
is cleared here; the loop stops after its last whole step, frees what it
allocated and raises KeyboardInterrupt (the estimators then put back the
parameters from the start of the epoch).  Only the main thread runs signal handlers, so in other
threads (a Dask worker's, say) the check never fires.

Used by the network's epoch and gradient and the linear models' mini-batch
and stateful-rule epochs, whose calls can last minutes.  The per-sample
linear loops (csrc/sgd_epoch.h, SAGA) and the linear full-batch gradient
read each stored value once a call, at memory speed (tens of milliseconds
for 20 million values): Python sees the signal when the call returns.
"""
from cpython.exc cimport PyErr_Clear
from libc.time cimport clock, clock_t, CLOCKS_PER_SEC

cdef extern from "Python.h":
    # declared without Cython's ``except -1``: the error is handled here
    int check_signals "PyErr_CheckSignals"() noexcept

# a step can be a microsecond: read the clock only every CHECK_EVERY calls
cdef enum:
    CHECK_EVERY = 64

cdef struct SignalWatch:
    long calls
    clock_t next_check


cdef inline void start_watch(SignalWatch* watch) noexcept nogil:
    watch.calls = 0
    watch.next_check = clock() + <clock_t>(0.1 * CLOCKS_PER_SEC)


cdef inline bint interrupted(SignalWatch* watch) noexcept nogil:
    """Whether a signal asked the loop to stop (see the module's docstring)."""
    cdef bint pending = False
    watch.calls += 1
    if watch.calls % CHECK_EVERY != 0:
        return False
    if clock() < watch.next_check:
        return False
    watch.next_check = clock() + <clock_t>(0.1 * CLOCKS_PER_SEC)
    with gil:
        if check_signals() != 0:
            PyErr_Clear()
            pending = True
    return pending
