"""fastgd: the textbook models trained by gradient descent, from a compiled core.

The package is layered; each layer imports only the ones below it:

* estimators (scikit-learn compatible): :mod:`fastgd.linear_model`
  (:class:`LinearRegression`, :class:`LogisticRegression`,
  :class:`SoftmaxRegression`, :class:`SGDClassifier`, :class:`SGDRegressor`) and :mod:`fastgd.neural_network`
  (:class:`MLPClassifier`, :class:`MLPRegressor`), all trained by the one
  fit loop of ``fastgd._fit``;
* :mod:`fastgd.optim`: update rules and schedules, :func:`minimize` and
  :func:`check_grad` for a user's own function, and test functions
  (:mod:`fastgd.optim.functions`);
* :mod:`fastgd.kernels`: the compiled core, for callers who own the buffers
  (:mod:`fastgd.kernels.mlp` for the network), with its cimport-able
  ``.pxd`` API;
* :mod:`fastgd.reference`: the NumPy specification every kernel is tested
  against.

Plots are in :mod:`fastgd.plotting` (matplotlib, imported lazily), synthetic
problems in :mod:`fastgd.datasets`, the command line in ``fastgd.cli``.
"""
import os
import sys

from . import callbacks, kernels, optim, reference
from .callbacks import EpochRecord, ProgressBar
from .exceptions import ConvergenceWarning, DivergenceError, FitInterruptedWarning, NotFittedError
from .kernels import mlp as mlp_kernels
from .linear_model import (LinearRegression, LogisticRegression, SGDClassifier, SGDRegressor,
                           SoftmaxRegression)
from .neural_network import MLPClassifier, MLPRegressor
from .optim import check_grad, functions, minimize

# Stable import paths that name a module of a subpackage: ``import
# fastgd.mlp_kernels`` and ``import fastgd.functions`` give the same module
# objects as fastgd.kernels.mlp and fastgd.optim.functions.
sys.modules[__name__ + ".mlp_kernels"] = mlp_kernels
sys.modules[__name__ + ".functions"] = functions

__version__ = "0.1.0"


def get_include():
    """The folder of fastgd's C headers, for the ``include_dirs`` of an
    extension that cimports fastgd.

    Cython finds the ``.pxd`` files themselves on ``sys.path``
    (``from fastgd.kernels.loss cimport loss_and_dz``); the C compiler
    needs this folder for the headers they include (``csrc/simd.h``).
    List fastgd in the consumer's build requirements
    (``[build-system] requires``) so that it is installed where pip builds::

        Extension("consumer", ["consumer.pyx"],
                  include_dirs=[fastgd.get_include(), numpy.get_include()])

    Returns
    -------
    str
    """
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "kernels")


__all__ = ["ConvergenceWarning", "DivergenceError", "EpochRecord", "FitInterruptedWarning",
           "LinearRegression",
           "LogisticRegression", "MLPClassifier", "MLPRegressor", "NotFittedError",
           "ProgressBar", "SGDClassifier", "SGDRegressor", "SoftmaxRegression", "__version__", "callbacks", "check_grad", "get_include", "functions", "kernels",
           "minimize", "mlp_kernels", "optim", "reference"]
