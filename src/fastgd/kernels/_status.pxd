# cython: language_level=3
"""The status codes the compiled training loops return (_linear.epoch,
_mlp.epoch), written once.  The loops return them in their result tuples;
the Python wrappers (fastgd.kernels, fastgd.kernels.mlp, the estimators)
turn them into exceptions, comparing against the Python-level copies that
_linear and _mlp export under the same names."""

cdef enum Status:
    STATUS_OK = 0
    STATUS_NONFINITE = 1    # a loss (or gradient) was non-finite: that step was not taken
    STATUS_OVERFLOW = 2     # an update left non-finite parameters
    STATUS_BAD_ORDER = 3    # block mode: the order is not a block order of the geometry given
    STATUS_INTERRUPTED = 4  # Ctrl-C: the loop stopped after a whole step (raised as KeyboardInterrupt)
