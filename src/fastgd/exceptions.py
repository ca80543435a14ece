"""Exceptions and warnings of fastgd.

scikit-learn is not a run-time dependency; where it is installed its warning
and error classes are used, so that ``warnings.filterwarnings`` and
``except NotFittedError`` written for scikit-learn also catch fastgd's.
"""
try:  # pragma: no cover - which branch runs depends on the environment
    from sklearn.exceptions import (ConvergenceWarning, DataConversionWarning,
                                    NotFittedError)
except ImportError:  # pragma: no cover
    class ConvergenceWarning(UserWarning):
        """The fit stopped at ``max_epochs`` before its stopping rule was met."""

    class DataConversionWarning(UserWarning):
        """The input was converted (for example a column-vector ``y``)."""

    class NotFittedError(ValueError, AttributeError):
        """The estimator is used before ``fit``."""


class DivergenceError(ValueError):
    """Gradient descent diverged: the objective became non-finite or grew
    by orders of magnitude.  The message gives the epoch, the objective, the
    learning rate and the usual cures (a smaller rate, standardized features).
    """

    #: How every divergence of training on data ends its message.
    ADVICE = ("the learning rate is too large for this data: use a smaller learning rate, "
              "or standardize the features (e.g. sklearn.preprocessing.StandardScaler)")


class InvalidDataError(TypeError, ValueError):
    """Input data that are not numbers (strings, objects, a pandas ``NA``).
    Both a TypeError and a ValueError: scikit-learn raises ValueError for
    such data, and code written for it catches that."""


class InvalidParameterError(ValueError, TypeError):
    """A constructor parameter has a value (or a type) it cannot take.  Both
    a ValueError and a TypeError, as scikit-learn's error of that name is,
    so that code written for scikit-learn's estimators catches it."""


class FitInterruptedWarning(UserWarning):
    """A fit was interrupted (Ctrl-C, ``KeyboardInterrupt``): it stopped
    after its last finished epoch and the model keeps that epoch's
    parameters."""


class ClusterError(RuntimeError):
    """A fit on Dask input could not finish because its cluster could not:
    every worker gone, the scheduler unreachable, or a task lost with the
    workers that ran it too often.  The estimator keeps the state it had
    before that fit (a half-trained model is never returned)."""


__all__ = ["ClusterError", "ConvergenceWarning", "DataConversionWarning", "DivergenceError",
           "FitInterruptedWarning", "InvalidDataError", "InvalidParameterError", "NotFittedError"]
