"""fastgd: the textbook models trained by gradient descent, from a compiled core."""
from .exceptions import ConvergenceWarning, DivergenceError, NotFittedError

__version__ = "0.1.0"

__all__ = ["ConvergenceWarning", "DivergenceError", "NotFittedError", "__version__"]

from .linear_model import LinearRegression, LogisticRegression, SoftmaxRegression

__all__ += ["LinearRegression", "LogisticRegression", "SoftmaxRegression"]
