"""Update rules: one epoch per rule, and mini-batch Adam against torch.

Groups:

``rules-batch1``, ``rules-batch32``
    One shuffled epoch of fastgd.kernels.epoch on the dense 200,000 x 100
    logistic problem (float64, alpha=1e-4) with each update rule; plain SGD
    ('sgd') is the baseline of the group.
``adam-torch-<dtype>``
    One mini-batch Adam epoch (batch 32, linear model, squared loss, no
    penalty): fastgd.kernels.minibatch_epoch against torch.optim.Adam on
    torch.nn.Linear (skipped when torch is absent).

Each fastgd epoch is checked against fastgd.reference on a slice of the data
in the same order; torch and fastgd are checked against each other on a
slice in the same order from the same start.
"""
import numpy as np
import pytest

import workloads
from workloads import relative_error


@pytest.mark.parametrize("batch_size", (1, workloads.MINIBATCH))
@pytest.mark.parametrize("rule_name", workloads.RULES)
def test_rule_epoch(measure, scale, rule_name, batch_size):
    X, y = workloads.dense_problem("logistic", "float64", scale)
    workload = workloads.FastgdRuleEpoch(X, y, "logistic", rule_name, batch_size)
    coef, intercept = measure(workload, f"rules-batch{batch_size}", rule=rule_name)
    assert workloads.reference_epoch_agrees(X, y, "logistic", workload.rule, batch_size) <= 1e-10
    start = workloads.objective(X, y, np.zeros(X.shape[1]), 0.0, "logistic")
    assert workloads.objective(X, y, coef, intercept, "logistic") < start


# rows of the slice on which torch and fastgd are compared step by step
AGREEMENT_ROWS = 50 * workloads.MINIBATCH


def adam_workloads(X, y, impl):
    if impl == "torch":
        return workloads.TorchAdamEpoch(X, y)
    # torch's Adam here has no weight decay and the loss no penalty: alpha=0
    return workloads.FastgdRuleEpoch(X, y, "squared", "adam", workloads.MINIBATCH,
                                     rate=workloads.ADAM_RATE, alpha=0.0)


@pytest.mark.parametrize("dtype", ("float64", "float32"))
@pytest.mark.parametrize("impl", ("fastgd", "torch"))
def test_adam_epoch(measure, scale, impl, dtype):
    pytest.importorskip("torch")
    X, y = workloads.dense_problem("squared", dtype, scale)
    measure(adam_workloads(X, y, impl), f"adam-torch-{dtype}")
    # the same epoch on a slice, in the same order, from the same start
    Xs, ys = X[:AGREEMENT_ROWS], y[:AGREEMENT_ROWS]
    order = np.random.default_rng(workloads.SEED).permutation(len(ys))
    mine = adam_workloads(Xs, ys, impl).run(order)
    other = adam_workloads(Xs, ys, "fastgd" if impl == "torch" else "torch").run(order)
    # float64: the same formulas, rounding apart; float32: torch computes in
    # float32, fastgd accumulates in double
    tol = 1e-4 if dtype == "float32" else 1e-10
    assert relative_error(mine[0], other[0]) <= tol
    assert abs(mine[1] - other[1]) <= tol * max(1.0, abs(other[1]))
