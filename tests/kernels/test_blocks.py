"""Block-shuffled epochs: the block order, and the block mode of the epoch
kernels, which copies each buffer of blocks before visiting its rows.

The block mode changes where the rows are read from, never the steps: a
kernel given a block order with its geometry equals the NumPy reference
given the same order (rtol 1e-10 in float64), and the same kernel without
block mode.
"""
import numpy as np
import pytest
import scipy.sparse as sp

from fastgd import kernels, mlp_kernels, reference
from fastgd.optim import make_rule
from fastgd.reference import mlp as mlp_reference

RTOL64 = 1e-10


def buffers_of(order, block_size, buffer_blocks):
    """The blocks of each buffer of a block order, in the order met.  A
    buffer ends where the rows of the blocks met are used up; it holds at
    most buffer_blocks blocks, and its rows must be those of its blocks."""
    n = order.size
    p, buffers = 0, []
    while p < n:
        start, blocks, owed = p, [], 0
        while True:
            b = int(order[p]) // block_size
            if b not in blocks:
                blocks.append(b)
                owed += min(n, (b + 1) * block_size) - b * block_size
            p += 1
            if p - start == owed:
                break
        assert len(blocks) <= buffer_blocks
        assert sorted(order[start:p].tolist()) == sorted(
            r for b in blocks for r in range(b * block_size, min(n, (b + 1) * block_size)))
        buffers.append(blocks)
    return buffers


def stretch_of(blocks, n_blocks, buffer_blocks):
    """The stretch of the data each block lies in: stretch s holds the
    blocks from s * n_blocks // S on, S = min(buffer_blocks, n_blocks)."""
    strata = min(buffer_blocks, n_blocks)
    starts = np.arange(strata) * n_blocks // strata
    return np.searchsorted(starts, blocks, side="right") - 1


@pytest.mark.parametrize("n, block_size, buffer_blocks", [(1, 1, 1), (10, 3, 2), (100, 7, 4),
                                                          (64, 8, 8), (50, 100, 3), (37, 2, 5),
                                                          (201, 4, 8), (37, 1, 5)])
@pytest.mark.parametrize("seed", range(6))
def test_block_order_visits_whole_blocks_a_buffer_at_a_time(n, block_size, buffer_blocks,
                                                            seed):
    order = kernels.block_order(n, block_size, buffer_blocks, random_state=seed)
    assert order.dtype == np.intp
    assert sorted(order.tolist()) == list(range(n))
    n_blocks = -(-n // block_size)
    sizes = [len(b) for b in buffers_of(order, block_size, buffer_blocks)]
    if block_size == 1:
        # a block of one row is used up as soon as it is met
        assert sizes == [1] * n
    else:
        # the buffer with fewer blocks, if any, comes first; a last block of
        # one row (10 = 3 + 3 + 3 + 1, 37 = 18 x 2 + 1, 201 = 50 x 4 + 1)
        # never ends its buffer early
        short = n_blocks % buffer_blocks if n_blocks > buffer_blocks else n_blocks
        assert sizes == [short] * (short > 0) + [buffer_blocks] * (
            (n_blocks - short) // buffer_blocks)


@pytest.mark.parametrize("n, block_size, buffer_blocks", [(3000, 3, 8), (3009, 3, 8),
                                                          (1000, 7, 64), (20, 3, 64)])
def test_each_buffer_takes_one_block_from_every_stretch_of_the_data(n, block_size,
                                                                    buffer_blocks):
    """So that a buffer's rows are a sample of the whole data set even when
    they are stored sorted by label."""
    n_blocks = -(-n // block_size)
    order = kernels.block_order(n, block_size, buffer_blocks, random_state=5)
    buffers = buffers_of(order, block_size, buffer_blocks)
    for blocks in buffers[1:]:
        stretches = stretch_of(blocks, n_blocks, buffer_blocks)
        assert sorted(stretches.tolist()) == list(range(min(buffer_blocks, n_blocks)))
    first = stretch_of(buffers[0], n_blocks, buffer_blocks)
    assert len(set(first.tolist())) == len(first)


def test_a_buffer_is_visited_in_rounds_of_one_row_from_every_stretch():
    """Round r of a buffer takes row r of each of its blocks, the blocks in
    a fresh random order every round: every buffer_blocks consecutive steps
    of a full buffer see every stretch of the data, so on rows stored
    sorted by label they hold the data set's label mix."""
    n, block_size, buffer_blocks = 10000, 25, 8
    y = np.repeat([0, 1, 2, 3], n // 4)          # stored sorted by label
    order = kernels.block_order(n, block_size, buffer_blocks, random_state=0)
    n_blocks = n // block_size
    assert len(buffers_of(order, block_size, buffer_blocks)) == n_blocks // buffer_blocks
    rounds = order.reshape(-1, buffer_blocks)
    assert np.all(rounds % block_size == (np.arange(rounds.shape[0]) % block_size)[:, None])
    stretches = stretch_of(rounds // block_size, n_blocks, buffer_blocks)
    assert np.all(np.sort(stretches, axis=1) == np.arange(buffer_blocks))
    assert np.all(np.bincount(y[rounds[0]], minlength=4) == 2)
    # the blocks' order changes from round to round
    first_rounds = stretches[:block_size]
    assert len({tuple(r) for r in first_rounds.tolist()}) > block_size // 2


def test_block_order_is_reproducible_and_random():
    a = kernels.block_order(1000, 10, 4, random_state=0)
    assert np.array_equal(a, kernels.block_order(1000, 10, 4, random_state=0))
    assert not np.array_equal(a, kernels.block_order(1000, 10, 4, random_state=1))
    assert not np.array_equal(a, np.arange(1000))
    # consecutive steps take rows of different blocks
    assert len(set((a[:4] // 10).tolist())) == 4
    # the work is that of the rows, whatever the block size
    assert sorted(kernels.block_order(5, 10 ** 15, 8, random_state=0).tolist()) == list(range(5))


@pytest.mark.parametrize("kwargs, match", [(dict(block_size=0), "block_size"),
                                           (dict(buffer_blocks=0), "buffer_blocks"),
                                           (dict(n_samples=0), "n_samples")])
def test_block_order_checks_its_arguments(kwargs, match):
    args = dict(n_samples=10, block_size=2, buffer_blocks=2) | kwargs
    with pytest.raises(ValueError, match=match):
        kernels.block_order(**args)


def test_block_geometry_cuts_blocks_of_16_rows_8_a_buffer():
    assert kernels.block_geometry(np.zeros((200000, 100))) == (16, 8)
    assert kernels.block_geometry(np.zeros((200000, 3), np.float32)) == (16, 8)
    assert kernels.block_geometry(sp.random(2048, 10, density=0.5, format="csr")) == (16, 8)
    # smaller data get smaller blocks: at least 16 buffers an epoch
    assert kernels.block_geometry(np.zeros((1000, 100))) == (1000 // (16 * 8), 8)
    assert kernels.block_geometry(np.zeros((10, 10 ** 6))) == (1, 8)


def test_a_file_is_read_in_larger_blocks(tmp_path):
    # 280 MB that the file system does not write until they are
    big = np.memmap(tmp_path / "big.dat", dtype=np.float32, mode="w+", shape=(700_000, 100))
    bs, bb = kernels.block_geometry(big)
    assert bs == 2 ** 20 // 400 and bb == 16         # 1 MiB blocks: two buffers, 32 MiB
    np.save(tmp_path / "X.npy", np.zeros((1000, 100), np.float32))
    small = np.load(tmp_path / "X.npy", mmap_mode="r")
    assert kernels.block_geometry(small) == (1000 // (16 * 16), 16)


def _problem(loss, sparse, n=203, d=6, K=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if sparse:
        X = sp.csr_matrix(np.where(rng.random((n, d)) < 0.4, X, 0.0))
    if loss == "squared":
        y = rng.standard_normal(n)
    elif loss == "logistic":
        y = (rng.random(n) < 0.5).astype(float)
    else:
        y = rng.integers(0, K, n).astype(float)
    k = K if loss == "softmax" else 1
    coef = 0.1 * rng.standard_normal((k, d))
    intercept = 0.1 * rng.standard_normal(k)
    return X, y, coef, intercept, rng.random(n) + 0.5


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("loss", ["squared", "logistic", "softmax"])
@pytest.mark.parametrize("batch_size, optimizer", [(1, "sgd"), (1, "adam"), (7, "sgd"),
                                                   (7, "momentum")])
@pytest.mark.parametrize("geometry, drawn", [((5, 3), True), ((16, 2), True), ((1, 1), True),
                                             ((300, 4), True), ((2, 4), True), ((4, 3), False)])
def test_block_mode_equals_the_reference_on_the_same_order(sparse, loss, batch_size, optimizer,
                                                           geometry, drawn):
    """On orders block_order draws (203 rows: last blocks of 3, 11, 1 and
    all 203 rows), and on the rows in sequence: every buffer one block."""
    X, y, coef, intercept, sw = _problem(loss, sparse)
    order = (kernels.block_order(X.shape[0], *geometry, random_state=1) if drawn
             else np.arange(X.shape[0]))
    rule = make_rule(optimizer, 0.05, "invscaling", alpha=0.01)
    state = kernels.init_state(coef, intercept)
    want = reference.epoch(X, y, coef, intercept, rule, loss=loss, alpha=0.01,
                           batch_size=batch_size, order=order, sample_weight=sw,
                           state_coef=state[0], state_intercept=state[1], t=3)
    c, b = coef.copy(), intercept.copy()
    got = kernels.epoch(X, y, c, b, loss=loss, alpha=0.01, batch_size=batch_size, rule=rule,
                        order=order, blocks=geometry, sample_weight=sw,
                        state_coef=state[0], state_intercept=state[1], t=3)
    np.testing.assert_allclose(c, want[1], rtol=RTOL64, atol=1e-13)
    np.testing.assert_allclose(b, want[2], rtol=RTOL64, atol=1e-13)
    np.testing.assert_allclose(got.objective, want[0], rtol=RTOL64)
    assert got.t == want[5]


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("loss", ["squared", "logistic", "softmax"])
@pytest.mark.parametrize("batch_size", [1, 4])
def test_float32_block_mode_takes_the_steps_of_the_same_order(sparse, loss, batch_size):
    X, y, coef, intercept, _ = _problem(loss, sparse, n=500)
    X, y = X.astype(np.float32), y.astype(np.float32)
    coef, intercept = coef.astype(np.float32), intercept.astype(np.float32)
    order = kernels.block_order(500, 9, 4, random_state=2)
    results = []
    for blocks in (None, (9, 4)):
        c, b = coef.copy(), intercept.copy()
        kernels.epoch(X, y, c, b, loss=loss, batch_size=batch_size, learning_rate=0.02,
                      order=order, blocks=blocks, lr_table=np.linspace(0.03, 0.01,
                                                                         -(-500 // batch_size)))
        results.append((c, b))
    # the float64 working weights of per-sample SGD are rounded back once a
    # buffer in block mode, once an epoch without: equal to float32 rounding
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5, atol=1e-6)


def test_block_mode_reads_a_file_mapped_X(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3000, 8)).astype(np.float32)
    np.save(tmp_path / "X.npy", X)
    mapped = np.load(tmp_path / "X.npy", mmap_mode="r")
    y = (X[:, 0] > 0).astype(np.float32)
    order = kernels.block_order(3000, 100, 4, random_state=0)
    got = []
    for data in (X, mapped):
        c, b = np.zeros((1, 8), np.float32), np.zeros(1, np.float32)
        kernels.sgd_epoch(data, y, c, b, loss="logistic", learning_rate=0.1, order=order,
                          blocks=(100, 4))
        got.append(c)
    np.testing.assert_array_equal(got[0], got[1])


@pytest.mark.parametrize("order, blocks, match", [
    (None, (4, 2), "block order"),
    (np.random.default_rng(0).permutation(20), (4, 2), "block order"),
    (np.r_[np.arange(8), np.arange(8)], (4, 2), "block order"),  # not every row
    (np.arange(20), (0, 2), "block_size"),
    (np.arange(20), 4, "blocks must be"),
])
def test_block_mode_needs_a_block_order_of_its_geometry(order, blocks, match):
    X, y, coef, intercept, _ = _problem("squared", False, n=20)
    with pytest.raises((ValueError, TypeError), match=match):
        kernels.epoch(X, y, coef, intercept, order=order, blocks=blocks)


def test_a_block_order_of_another_geometry_is_refused():
    X, y, coef, intercept, _ = _problem("squared", False, n=64)
    order = kernels.block_order(64, 8, 2, random_state=0)
    with pytest.raises(ValueError, match="block order"):
        kernels.epoch(X, y, coef, intercept, order=order, blocks=(8, 1))
    kernels.epoch(X, y, coef, intercept, order=order, blocks=(8, 2))


@pytest.mark.parametrize("batch_size, optimizer", [(1, "sgd"), (5, "adam")])
def test_network_epoch_on_a_block_order_equals_the_reference(batch_size, optimizer):
    rng = np.random.default_rng(0)
    sizes = (4, 6, 3)
    X = rng.standard_normal((97, 4))
    Y = np.eye(3)[rng.integers(0, 3, 97)]
    theta = mlp_kernels.init_params(sizes, random_state=0)
    order = kernels.block_order(97, 6, 3, random_state=4)
    rule = make_rule(optimizer, 0.05)
    state = mlp_kernels.init_state(theta)
    want = mlp_reference.epoch(X, Y, theta, sizes, rule, activation="tanh", output="softmax",
                               alpha=0.01, batch_size=batch_size, order=order,
                               state=state.copy())
    got_theta, got_state = theta.copy(), state.copy()
    got = mlp_kernels.epoch(X, Y, got_theta, sizes, activation="tanh", output="softmax",
                            alpha=0.01, batch_size=batch_size, rule=rule, order=order,
                            blocks=(6, 3), state=got_state)
    np.testing.assert_allclose(got_theta, want[1], rtol=RTOL64, atol=1e-13)
    np.testing.assert_allclose(got.objective, want[0], rtol=RTOL64)
    with pytest.raises(ValueError, match="block order"):
        mlp_kernels.epoch(X, Y, theta.copy(), sizes, order=rng.permutation(97), blocks=(6, 3))
