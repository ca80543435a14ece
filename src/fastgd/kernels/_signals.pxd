# cython: language_level=3
"""Ctrl-C inside a compiled loop: a loop that runs for seconds without the
GIL calls ``interrupted`` once per step, or ``signal_pending`` once per
call of a few milliseconds; about every 0.1 s either takes the GIL and
asks Python whether a signal is pending.  A pending KeyboardInterrupt (or
another exception a signal handler raised) is cleared here; the loop stops
after its last whole step, frees what it allocated and raises
KeyboardInterrupt (the estimators then put back the parameters from the
start of the epoch).  Only the main thread runs signal handlers, so in
other threads (a Dask worker's, say) the check never fires.

Every compiled loop that can run long checks: the network's epoch and
gradient, the linear models' epochs (per-sample, mini-batch, SAGA,
scikit-learn's SGD) and their full-batch gradient, whose calls last as
long as the data are large.
"""
from cpython.exc cimport PyErr_Clear

cdef extern from *:
    """
    #include <time.h>
    /* Seconds on a monotonic clock: clock_gettime(CLOCK_MONOTONIC) is read
     * in user space on Linux (tens of nanoseconds), where C's clock(), the
     * process's CPU time, is a system call (about a microsecond, a few
     * percent of a fast loop's time when read every 64 steps). */
    static double fastgd_monotonic_seconds(void)
    {
    #if defined(CLOCK_MONOTONIC)
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
    #else
        return (double)clock() / CLOCKS_PER_SEC;
    #endif
    }
    """
    double monotonic_seconds "fastgd_monotonic_seconds"() noexcept nogil

cdef extern from "Python.h":
    # declared without Cython's ``except -1``: the error is handled here
    int check_signals "PyErr_CheckSignals"() noexcept

# a step can be a microsecond: read the clock only every CHECK_EVERY calls
cdef enum:
    CHECK_EVERY = 64

cdef struct SignalWatch:
    long calls
    double next_check


cdef inline void start_watch(SignalWatch* watch) noexcept nogil:
    watch.calls = 0
    watch.next_check = monotonic_seconds() + 0.1


cdef inline bint signal_pending(SignalWatch* watch) noexcept nogil:
    """Whether a signal asked the loop to stop, asked of Python at most every
    0.1 s: for loops whose iterations take milliseconds."""
    cdef bint pending = False
    cdef double now = monotonic_seconds()
    if now < watch.next_check:
        return False
    watch.next_check = now + 0.1
    with gil:
        if check_signals() != 0:
            PyErr_Clear()
            pending = True
    return pending


cdef inline bint interrupted(SignalWatch* watch) noexcept nogil:
    """signal_pending for loops whose steps can take a microsecond: the
    clock is read only every CHECK_EVERY calls."""
    watch.calls += 1
    if watch.calls % CHECK_EVERY != 0:
        return False
    return signal_pending(watch)
