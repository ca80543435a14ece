"""shuffle='blocks' on the estimators: block-shuffled epochs, reproducible,
the steps of the reference on the order drawn, and data read from a file
without a copy of X."""
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from fastgd import (LinearRegression, LogisticRegression, MLPClassifier, MLPRegressor,
                    SoftmaxRegression, kernels, reference)
from fastgd._validation import check_array

RNG = np.random.default_rng(0)
X = RNG.standard_normal((2000, 10))
Y_REG = X @ RNG.standard_normal(10) + 0.1 * RNG.standard_normal(2000)
Y_BIN = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
Y_MULTI = np.digitize(X[:, 0], [-0.5, 0.5])

ESTIMATORS = [
    (lambda: LinearRegression(solver="sgd"), Y_REG),
    (lambda: LinearRegression(solver="minibatch", optimizer="adam"), Y_REG),
    (lambda: LogisticRegression(solver="sgd"), Y_BIN),
    (lambda: LogisticRegression(solver="minibatch", optimizer="momentum"), Y_BIN),
    (lambda: SoftmaxRegression(solver="sgd"), Y_MULTI),
    (lambda: SoftmaxRegression(solver="minibatch", optimizer="rmsprop"), Y_MULTI),
    (lambda: MLPClassifier((8,), max_epochs=20), Y_MULTI),
    (lambda: MLPRegressor((8,), max_epochs=20), Y_REG),
]
IDS = ["linear-sgd", "linear-minibatch", "logistic-sgd", "logistic-minibatch",
       "softmax-sgd", "softmax-minibatch", "mlp-classifier", "mlp-regressor"]


@pytest.mark.parametrize("make, y", ESTIMATORS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_blocks_fits_reproducibly(make, y, dtype):
    Xd = X.astype(dtype)
    a = make().set_params(shuffle="blocks", random_state=0, tol=None, max_epochs=5).fit(Xd, y)
    b = make().set_params(shuffle="blocks", random_state=0, tol=None, max_epochs=5).fit(Xd, y)
    c = make().set_params(shuffle=True, random_state=0, tol=None, max_epochs=5).fit(Xd, y)
    assert a.loss_history_ == b.loss_history_
    assert a.loss_history_ != c.loss_history_
    # as good a fit as the full shuffle's
    assert a.score(Xd, y) >= c.score(Xd, y) - 0.05


@pytest.mark.parametrize("make, y", ESTIMATORS[:6], ids=IDS[:6])
def test_blocks_trains_on_sparse_X(make, y):
    model = make().set_params(shuffle="blocks", random_state=1, tol=None, max_epochs=5)
    dense_score = make().set_params(shuffle="blocks", random_state=1, tol=None,
                                    max_epochs=5).fit(X, y).score(X, y)
    assert model.fit(sp.csr_matrix(X), y).score(X, y) >= dense_score - 0.05


@pytest.mark.parametrize("make, y", ESTIMATORS, ids=IDS)
def test_blocks_partial_fit_continues_the_stream(make, y):
    kwargs = {"classes": np.unique(y)} if hasattr(make(), "predict_proba") else {}
    a, b = (make().set_params(shuffle="blocks", random_state=3) for _ in range(2))
    for _ in range(3):
        a.partial_fit(X, y, **kwargs)
        b.partial_fit(X, y, **kwargs)
    assert a.loss_history_ == b.loss_history_ and len(a.loss_history_) == 3
    assert np.isfinite(a.loss_history_).all()


@pytest.mark.parametrize("solver, batch_size", [("sgd", 1), ("minibatch", 16)])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_a_blocks_epoch_is_the_reference_epoch_on_the_order_drawn(solver, batch_size, sparse):
    data = sp.csr_matrix(X) if sparse else X
    model = LogisticRegression(solver=solver, batch_size=batch_size, shuffle="blocks",
                               random_state=5, learning_rate=0.05, alpha=0.001, tol=None,
                               max_epochs=1).fit(data, Y_BIN)
    # the fit's stream draws one block order an epoch, from random_state
    order = kernels.block_order(X.shape[0], *kernels.block_geometry(data),
                                random_state=np.random.default_rng(5))
    _, coef, intercept, *_ = reference.epoch(
        data, Y_BIN.astype(float), np.zeros((1, 10)), np.zeros(1),
        kernels.make_rule("sgd", 0.05), loss="logistic", alpha=0.001,
        batch_size=batch_size, order=order)
    np.testing.assert_allclose(np.ravel(model.coef_), coef[0], rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(np.ravel(model.intercept_), intercept, rtol=1e-10, atol=1e-14)


def test_shuffle_true_keeps_its_full_permutation():
    model = LinearRegression(solver="sgd", shuffle=True, random_state=2, learning_rate=0.01,
                             tol=None, max_epochs=1).fit(X, Y_REG)
    order = kernels.shuffled_order(X.shape[0], np.random.default_rng(2))
    _, coef, *_ = reference.epoch(X, Y_REG, np.zeros((1, 10)), np.zeros(1),
                                  kernels.make_rule("sgd", 0.01), order=order)
    np.testing.assert_allclose(model.coef_, coef[0], rtol=1e-10)


def test_validation_does_not_copy_a_memmap(tmp_path):
    np.save(tmp_path / "X.npy", X.astype(np.float32))
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    assert np.shares_memory(check_array(mapped, "X"), mapped)
    assert kernels._blocks.is_mapped(check_array(mapped, "X"))
    assert not kernels._blocks.is_mapped(X)


def test_blocks_trains_on_a_file_without_copying_it(tmp_path):
    rng = np.random.default_rng(0)
    n, d = 320_000, 100          # 128 MB of float32
    mapped = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=np.float32,
                                       shape=(n, d))
    for lo in range(0, n, 40_000):
        mapped[lo:lo + 40_000] = rng.standard_normal((40_000, d), dtype=np.float32)
    mapped.flush()
    w = rng.standard_normal(d).astype(np.float32)
    y = np.concatenate([(np.asarray(mapped[lo:lo + 40_000]) @ w > 0)
                        for lo in range(0, n, 40_000)]).astype(int)
    del mapped
    X_file = np.load(tmp_path / "X.npy", mmap_mode="r")
    model = LogisticRegression(solver="sgd", shuffle="blocks", random_state=0, tol=None,
                               max_epochs=1, learning_rate=0.01)
    tracemalloc.start()
    try:
        model.fit(X_file, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < X_file.nbytes / 2.5, f"peak {peak / 1e6:.0f} MB for {X_file.nbytes / 1e6:.0f} MB"
    assert model.score(X_file[:5000], y[:5000]) > 0.9


def test_in_memory_the_block_order_is_read_in_place_and_a_file_a_buffer_at_a_time(
        tmp_path, monkeypatch):
    from fastgd.linear_model import _base
    calls, epoch = [], _base._linear.epoch

    def recording(*args):
        calls.append(args[-2:])                     # block_size, buffer_blocks
        return epoch(*args)
    monkeypatch.setattr(_base._linear, "epoch", recording)
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3000, 8))
    y = (X[:, 0] > 0).astype(float)
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    kw = dict(solver="sgd", shuffle="blocks", max_epochs=2, tol=None, random_state=0)
    for A in (X, sp.csr_matrix(X), mapped):
        LogisticRegression(**kw).fit(A, y)
    assert calls[:4] == [(0, 0)] * 4                 # dense and CSR in memory: in place
    assert calls[4:] == [kernels.block_geometry(mapped)] * 2
