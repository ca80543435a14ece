"""Fully-connected networks trained by backpropagation: :class:`MLPClassifier`
and :class:`MLPRegressor`, on the compiled kernels of
:mod:`fastgd.kernels.mlp` and the fit loop of :mod:`fastgd._fit`.
"""
from ._multilayer_perceptron import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
