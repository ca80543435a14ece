"""The SAGA reference is a trustworthy specification: run long enough it
reaches the zero of the reference's own full gradient (the exact
L2-regularized optimum), its table averages stay the averages of its table,
and it never modifies its arguments."""
import numpy as np
import pytest

from conftest import LOSSES, make_problem
from fastgd import reference


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("weighted", [False, True])
def test_reference_saga_reaches_the_zero_of_the_gradient(loss, weighted, rng):
    p = make_problem(loss, 12, 3, rng=rng, weighted=weighted, n_classes=3)
    n = p.X.shape[0]
    sw = None if p.sample_weight is None else p.sample_weight * (n / p.sample_weight.sum())
    alpha = 0.1
    s = np.ones(n) if sw is None else sw
    curvature = {"squared": 1.0, "logistic": 0.25, "softmax": 0.5}[loss]
    L = curvature * np.max(s * ((np.asarray(p.X, np.float64) ** 2).sum(axis=1) + 1)) + alpha
    eta = 1.0 / (2 * L + min(2 * n * alpha, L))     # scikit-learn's SAGA step
    state = [p.coef, p.intercept, np.zeros((n, p.coef.shape[0])), np.zeros(p.coef.shape),
             np.zeros(p.coef.shape[0])]
    for epoch in range(400):
        _, *state = reference.saga_epoch(p.X, p.y, *state, loss=loss, alpha=alpha,
                                         learning_rate=eta, sample_weight=sw,
                                         order=rng.permutation(n))
    W, b, T, G, gb = state
    _, gW, gB = reference.loss_gradient(p.X, p.y, W, b, loss=loss, alpha=alpha, sample_weight=sw)
    assert max(np.abs(gW).max(), np.abs(gB).max()) < 1e-9
    X = np.asarray(p.X, np.float64)
    np.testing.assert_allclose(G, T.T @ X / n, atol=1e-12)
    np.testing.assert_allclose(gb, T.mean(axis=0), atol=1e-12)


def test_reference_saga_never_modifies_its_arguments(rng):
    p = make_problem("softmax", 8, 3, rng=rng, weighted=True)
    args = [p.X, p.y, p.coef, p.intercept, np.ones((8, 3)), np.ones((3, 3)), np.ones(3)]
    saved = [a.copy() for a in args]
    reference.saga_epoch(*args, loss="softmax", alpha=0.1, learning_rate=0.1,
                         sample_weight=p.sample_weight)
    for a, b in zip(args, saved):
        np.testing.assert_array_equal(a, b)
