"""Linear models trained by gradient descent: :class:`LinearRegression`
(also solved by the normal equation), :class:`LogisticRegression` and
:class:`SoftmaxRegression`; :class:`SGDClassifier` and :class:`SGDRegressor`,
scikit-learn's estimators of those names on fastgd's compiled core.

Each estimator validates its input and owns its state; the epochs, schedules
and stopping rules are :mod:`fastgd._fit`'s, and the per-sample and
full-batch work runs in the compiled loops of :mod:`fastgd.kernels`.
"""
from ._linear_regression import LinearRegression
from ._logistic import LogisticRegression, SoftmaxRegression
from ._stochastic_gradient import SGDClassifier, SGDRegressor

__all__ = ["LinearRegression", "LogisticRegression", "SGDClassifier", "SGDRegressor",
           "SoftmaxRegression"]
