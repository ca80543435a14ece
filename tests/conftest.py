"""Shared fixtures, data makers and hypothesis strategies for the fastgd tests.

Everything here is generic: any test file may use the ``rng`` fixture, the
problem makers (:func:`make_problem`, :func:`make_targets`) and the
hypothesis strategy :func:`problems`.  A :class:`Problem` carries every array
already in its dtype, so a test can hand the very same values to a kernel and
to :mod:`fastgd.reference` (which upcasts them exactly to float64).
"""
import os
import sys
import zlib
from typing import NamedTuple, Optional

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

try:
    import fastgd  # noqa: F401
except ImportError:  # running from a checkout without PYTHONPATH=src
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "src"))

# Compiled loops make single examples fast but the first call of a module can
# be slow on a loaded machine: a wall-clock deadline would only add flakiness.
settings.register_profile("fastgd", max_examples=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("FASTGD_HYPOTHESIS_PROFILE", "fastgd"))

LOSSES = ("squared", "logistic", "softmax")
DTYPES = (np.float64, np.float32)


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true",
                     help="also run the tests marked slow (building wheels: minutes)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow") or os.environ.get("FASTGD_RUN_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow (or FASTGD_RUN_SLOW=1)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def rng(request):
    """A NumPy Generator seeded from the test's name: reproducible, yet each
    test (and each parametrization) sees different data."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


def n_outputs(loss, n_classes=3):
    """K, the number of linear outputs a loss needs."""
    return n_classes if loss == "softmax" else 1


class Problem(NamedTuple):
    """A linear-model problem; every array is in ``dtype``."""
    loss: str
    X: object            # ndarray (n, d) or scipy.sparse CSR
    y: np.ndarray        # (n,)
    coef: np.ndarray     # (K, d)
    intercept: np.ndarray  # (K,)
    sample_weight: Optional[np.ndarray]  # (n,) or None

    @property
    def dtype(self):
        return self.X.dtype

    @property
    def n_outputs(self):
        return self.coef.shape[0]

    def dense(self):
        """X as a dense ndarray of its own dtype."""
        return self.X.toarray() if sp.issparse(self.X) else self.X

    def replace(self, **fields):
        return self._replace(**fields)


def make_targets(loss, Z, rng, noise=0.5):
    """Targets for outputs Z (n, K): y = z + noise (squared), a Bernoulli draw
    of sigmoid(z) in {0, 1} (logistic), a draw of softmax(Z) as a class index
    stored as float (softmax)."""
    Z = np.asarray(Z, dtype=np.float64)
    if loss == "squared":
        return Z[:, 0] + noise * rng.standard_normal(Z.shape[0])
    if loss == "logistic":
        return (rng.random(Z.shape[0]) < 1.0 / (1.0 + np.exp(-Z[:, 0]))).astype(np.float64)
    if loss == "softmax":
        # Gumbel-max: argmax(z + G) is a draw from softmax(z)
        return np.argmax(Z + rng.gumbel(size=Z.shape), axis=1).astype(np.float64)
    raise ValueError(f"unknown loss {loss!r}")


def make_problem(loss, n_samples=20, n_features=4, *, n_classes=3, dtype=np.float64,
                 rng=None, x_scale=1.0, weighted=False, sparse=False, density=0.5):
    """A random problem whose targets follow a linear model of the features.

    ``coef`` and ``intercept`` are a random starting point near zero (not the
    model that made y), so gradients are not zero.  With ``weighted`` the
    sample weights are positive with some zeros; with ``sparse`` X is CSR
    with about ``density`` non-zeros.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    K = n_outputs(loss, n_classes)
    X = x_scale * rng.standard_normal((n_samples, n_features))
    if sparse:
        X[rng.random(X.shape) > density] = 0.0
    true_W = rng.standard_normal((K, n_features))
    y = make_targets(loss, X @ true_W.T + 0.3, rng)
    coef = 0.1 * rng.standard_normal((K, n_features))
    intercept = 0.1 * rng.standard_normal(K)
    sw = None
    if weighted:
        sw = rng.uniform(0.2, 3.0, n_samples)
        sw[rng.random(n_samples) < 0.2] = 0.0
        sw[0] = 1.0   # at least one positive weight
    X = X.astype(dtype)
    return Problem(loss, sp.csr_matrix(X) if sparse else X, y.astype(dtype),
                   coef.astype(dtype), intercept.astype(dtype),
                   None if sw is None else sw.astype(dtype))


def _finite(low, high):
    """Floats in [low, high]; magnitudes below 1e-30 become 0, so that a
    problem drawn in float64 casts to float32 without underflow."""
    return st.floats(low, high).map(lambda v: 0.0 if abs(v) < 1e-30 else v)


_values = _finite(-4.0, 4.0)
_params = _finite(-2.0, 2.0)
_weights = st.one_of(st.just(0.0), st.floats(1.0 / 64, 3.0))


@st.composite
def problems(draw, losses=LOSSES, dtypes=DTYPES, max_samples=12, max_features=5,
             max_classes=5, weighted=None):
    """Hypothesis strategy of :class:`Problem`: any loss, n >= 1, d >= 1,
    2..max_classes classes for softmax, float32 or float64, bounded values
    (|z| stays below ~50, so the losses stay in their informative range);
    logistic targets anywhere in [0, 1]; weights None or non-negative with at
    least one positive (``weighted`` forces one or the other)."""
    loss = draw(st.sampled_from(losses))
    dtype = draw(st.sampled_from(dtypes))
    n = draw(st.integers(1, max_samples))
    d = draw(st.integers(1, max_features))
    K = draw(st.integers(2, max_classes)) if loss == "softmax" else 1
    X = draw(hnp.arrays(np.float64, (n, d), elements=_values))
    if loss == "squared":
        y = draw(hnp.arrays(np.float64, n, elements=_finite(-5.0, 5.0)))
    elif loss == "logistic":
        y = draw(hnp.arrays(np.float64, n, elements=_finite(0.0, 1.0)))
    else:
        y = draw(hnp.arrays(np.float64, n, elements=st.integers(0, K - 1)))
    coef = draw(hnp.arrays(np.float64, (K, d), elements=_params))
    intercept = draw(hnp.arrays(np.float64, K, elements=_params))
    if weighted is None:
        weighted = draw(st.booleans())
    sw = None
    if weighted:
        sw = draw(hnp.arrays(np.float64, n, elements=_weights))
        sw[draw(st.integers(0, n - 1))] = draw(st.floats(0.5, 3.0))
    return Problem(loss, X.astype(dtype), y.astype(dtype), coef.astype(dtype),
                   intercept.astype(dtype), None if sw is None else sw.astype(dtype))
