"""fastgd: the textbook models trained by gradient descent, from a compiled core.

Estimators (scikit-learn compatible): :class:`LinearRegression`,
:class:`LogisticRegression`, :class:`SoftmaxRegression`, :class:`MLPClassifier`,
:class:`MLPRegressor`.  Optimization of a
user's own function: :func:`minimize`, :func:`check_grad`, with test
functions in :mod:`fastgd.functions` and plots in :mod:`fastgd.plotting`
(matplotlib, imported lazily).  The compiled kernels, for callers who own the
buffers: :mod:`fastgd.kernels`, :mod:`fastgd.mlp_kernels`; their NumPy
specification: :mod:`fastgd.reference`.
"""
from .exceptions import ConvergenceWarning, DivergenceError, NotFittedError
from .linear_model import LinearRegression, LogisticRegression, SoftmaxRegression
from .neural_network import MLPClassifier, MLPRegressor
from .optimize import check_grad, minimize

__version__ = "0.1.0"

__all__ = ["ConvergenceWarning", "DivergenceError", "LinearRegression",
           "LogisticRegression", "MLPClassifier", "MLPRegressor", "NotFittedError",
           "SoftmaxRegression",
           "__version__", "check_grad", "minimize"]
