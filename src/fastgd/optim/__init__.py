"""Optimization, as torch.optim names it: update rules, schedules, and descent
on a user's own function.

* :func:`make_rule` and :class:`UpdateRule`: the compiled update rules (SGD
  with momentum and Nesterov, AdaGrad, RMSProp, Adam, AdamW) and learning-rate
  schedules the estimators and kernels run; :data:`OPTIMIZERS` and
  :data:`SCHEDULES` name them.
* :func:`minimize` runs any rule on a function of a vector and records its
  path; :func:`check_grad` checks a gradient against finite differences.
* :mod:`fastgd.optim.functions`: two-dimensional test functions (valleys,
  saddle points, local minima) with analytic gradients.
"""
from ..kernels.rules import OPTIMIZERS, SCHEDULES, UpdateRule, make_rule, rule_keeps_state
from . import functions
from ._minimize import DEFAULT_LEARNING_RATES, check_grad, minimize

__all__ = ["DEFAULT_LEARNING_RATES", "OPTIMIZERS", "SCHEDULES", "UpdateRule", "check_grad",
           "functions", "make_rule", "minimize", "rule_keeps_state"]
