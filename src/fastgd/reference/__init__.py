"""The NumPy specification of every compiled kernel: the same math, written
plainly.

Each function computes what a kernel computes, with whole-array NumPy where
the math allows and an explicit Python loop where the algorithm is
sequential; the tests hold the kernels to it (rtol 1e-10 in float64).
:mod:`fastgd.reference.linear` specifies :mod:`fastgd.kernels` (and is
re-exported here), :mod:`fastgd.reference.mlp` specifies
:mod:`fastgd.kernels.mlp`, and :mod:`fastgd.reference.rules` the update rules, :mod:`fastgd.reference.sgd`
the plain-SGD epoch of SGDClassifier and SGDRegressor.
"""
from . import linear, mlp, rules, sgd
from .linear import epoch, loss_gradient, normal_equation, saga_epoch, sample_losses
from .rules import rule_step, scheduled_lr, state_rows
from .sgd import plain_sgd_epoch

__all__ = ["epoch", "linear", "loss_gradient", "mlp", "normal_equation", "plain_sgd_epoch",
           "rule_step", "rules", "saga_epoch", "sample_losses", "scheduled_lr", "sgd",
           "state_rows"]
