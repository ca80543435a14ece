"""The compiled plain-SGD epoch equals its NumPy reference, and refuses bad input.

:func:`fastgd.reference.sgd.plain_sgd_epoch` is the specification, one
Python step per sample; :func:`fastgd.kernels.plain_sgd_epoch` runs the same
steps without the GIL, in scikit-learn's order of operations without an
order and with simd.h's vector loops with one (the sums then round
differently): rtol 1e-10 in float64 over three epochs either way.
"""
import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from fastgd import kernels, reference
from fastgd.kernels import _sgd
from fastgd.kernels.plain_sgd import optimal_init, plain_sgd_config

RTOL = 1e-10
LOSSES = [("hinge", 1.0), ("hinge", 0.0), ("squared_hinge", 1.0), ("modified_huber", 0.0),
          ("log_loss", 0.0), ("squared_error", 0.0), ("huber", 0.3),
          ("epsilon_insensitive", 0.1), ("squared_epsilon_insensitive", 0.1)]


def _problem(loss, rng, n=30, d=7):
    X = rng.standard_normal((n, d))
    X[rng.random((n, d)) < 0.4] = 0.0
    z = X @ rng.standard_normal(d)
    if loss in ("squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive"):
        y = z
    else:
        y = np.where(z > 0, 1.0, 0.0 if loss == "log_loss" else -1.0)
    return X, y


def _run_both(X, y, config, shuffled, rng, sample_weight=None, epochs=3, average=0):
    d = X.shape[1]
    state = kernels.PlainSGDState(rng.standard_normal(d) * 0.1, 0.2,
                                  average_coef=np.zeros(d) if average else None)
    spec = state.as_dict()
    t0 = optimal_init(config["loss"], config["loss_param"], config["alpha"])
    order = rng.permutation(X.shape[0]) if shuffled else None
    for _ in range(epochs):
        got = kernels.plain_sgd_epoch(X, y, state, order=order, sample_weight=sample_weight,
                                      average=average, **config)
        spec, *want = reference.plain_sgd_epoch(X, y, spec, order=order, optimal_init=t0,
                                                sample_weight=sample_weight, average=average,
                                                **config)
        np.testing.assert_allclose(got, want, rtol=RTOL)
    w, aw = reference.sgd.plain_sgd_finish(spec)
    np.testing.assert_allclose(state.weights, w, rtol=RTOL, atol=1e-13)
    assert state.intercept == pytest.approx(spec["intercept"], rel=RTOL, abs=1e-13)
    if average:
        np.testing.assert_allclose(state.average_weights, aw, rtol=RTOL, atol=1e-13)
        assert state.average_intercept == pytest.approx(spec["avg_intercept"], rel=RTOL,
                                                        abs=1e-13)
    assert state.t == spec["t"]


@pytest.mark.parametrize("shuffled", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("average", [0, 1, 9])
@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet", None])
@pytest.mark.parametrize("loss, param", LOSSES)
def test_kernel_equals_reference(loss, param, penalty, average, sparse, shuffled, rng):
    X, y = _problem(loss, rng)
    # a constant rate: the 'optimal' one starts near 1 / alpha, and its
    # first steps carry rounding differences across the kinks of the
    # losses and of the L1 truncation (the schedules' test runs it)
    config = dict(loss=loss, loss_param=param, penalty=penalty, alpha=0.01, l1_ratio=0.3,
                  learning_rate="constant", eta0=0.05)
    _run_both(sp.csr_matrix(X) if sparse else X, y, config, shuffled, rng, average=average)


@pytest.mark.parametrize("schedule", ["constant", "optimal", "invscaling", "adaptive"])
def test_kernel_equals_reference_with_weights_and_schedules(schedule, rng):
    X, y = _problem("hinge", rng)
    config = dict(loss="hinge", loss_param=1.0, penalty="elasticnet", alpha=0.01,
                  learning_rate=schedule, eta0=0.05, power_t=0.3, weight_pos=2.0,
                  weight_neg=0.5, intercept_decay=0.01)
    for shuffled, sparse in itertools.product([False, True], [False, True]):
        _run_both(sp.csr_matrix(X) if sparse else X, y, config, shuffled, rng,
                  sample_weight=rng.uniform(0.5, 2.0, X.shape[0]), average=4)


@pytest.mark.parametrize("schedule", ["pa1", "pa2"])
@pytest.mark.parametrize("loss, param", [("hinge", 1.0), ("epsilon_insensitive", 0.1)])
def test_kernel_equals_reference_with_passive_aggressive_steps(loss, param, schedule, rng):
    X, y = _problem(loss, rng)
    X[3] = 0.0                  # a row that 'pa1' skips without a step
    for penalty, average in (("l2", 4), ("elasticnet", 0), (None, 1)):
        config = dict(loss=loss, loss_param=param, penalty=penalty, alpha=0.01,
                      learning_rate=schedule, eta0=0.3, weight_pos=2.0, weight_neg=0.5)
        for shuffled, sparse in itertools.product([False, True], [False, True]):
            _run_both(sp.csr_matrix(X) if sparse else X, y, config, shuffled, rng,
                      sample_weight=rng.uniform(0.5, 2.0, X.shape[0]), average=average)


def test_passive_aggressive_step_makes_the_loss_zero():
    """PA-I with a large C: one step on one row moves w to the hinge's
    margin (loss 0 after it), and a row of zeros takes no step at all."""
    X = np.array([[3.0, 4.0], [0.0, 0.0]])
    state = kernels.PlainSGDState(np.zeros(2), 0.0)
    kernels.plain_sgd_epoch(X, np.array([1.0, -1.0]), state, loss="hinge", penalty=None,
                            learning_rate="pa1", eta0=1e6, fit_intercept=False)
    np.testing.assert_allclose(state.weights @ X[0], 1.0)
    assert state.t == 2.0       # one step: the zero row is skipped


def test_large_shrink_folds_the_scale_as_the_reference_does(rng):
    """eta alpha near 1 sends wscale below 1e-9 within a few steps: the
    scale is multiplied into the weights (and the average) mid-epoch."""
    X, y = _problem("squared_error", rng)
    config = dict(loss="squared_error", loss_param=0.0, penalty="l2", alpha=0.9,
                  learning_rate="constant", eta0=1.0)
    for shuffled in (False, True):
        _run_both(X, y, config, shuffled, rng, average=1)


def test_float32_rows_are_read_exactly(rng):
    X, y = _problem("log_loss", rng)
    X32 = X.astype(np.float32)
    config = dict(loss="log_loss", loss_param=0.0, penalty="elasticnet", alpha=0.01)
    for shuffled in (False, True):
        _run_both(X32, y, config, shuffled, rng, average=1)


def test_skipped_rows_are_not_trained_on(rng):
    X, y = _problem("hinge", rng)
    skip = np.zeros(X.shape[0], dtype=bool)
    skip[::3] = True
    a, b = kernels.PlainSGDState(np.zeros(X.shape[1])), kernels.PlainSGDState(np.zeros(X.shape[1]))
    kernels.plain_sgd_epoch(X, y, a, skip=skip)
    kernels.plain_sgd_epoch(X[~skip], y[~skip], b)
    np.testing.assert_array_equal(a.weights, b.weights)
    assert a.t == b.t == 1 + (~skip).sum()


def test_loss_functions_equal_the_reference():
    for (loss, param), y, p in itertools.product(LOSSES, [-1.0, 0.0, 1.0, 2.5],
                                                 np.linspace(-40, 40, 81)):
        got = _sgd.loss_dloss(_sgd.LOSSES[loss], param, y, p)
        want = reference.sgd.sgd_loss_dloss(loss, param, y, p)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_overflow_raises(rng):
    X, y = _problem("squared_error", rng)
    state = kernels.PlainSGDState(np.zeros(X.shape[1]))
    with pytest.raises(ValueError, match="overflow"):
        kernels.plain_sgd_epoch(X * 1e200, y * 1e200, state, loss="squared_error",
                                learning_rate="constant", eta0=1.0, penalty=None)


@pytest.mark.parametrize("kwargs, word", [
    (dict(loss="logistic"), "loss"),
    (dict(penalty="l3"), "penalty"),
    (dict(learning_rate="fast"), "learning_rate"),
    (dict(alpha=-1.0), "alpha"),
    (dict(alpha=0.0), "alpha"),
    (dict(l1_ratio=2.0), "l1_ratio"),
    (dict(eta0=0.0), "eta0"),
    (dict(average=3), "average"),
    (dict(order=[0, 99]), "order"),
    (dict(sample_weight=[1.0]), "sample_weight"),
])
def test_bad_arguments_are_refused(kwargs, word, rng):
    X, y = _problem("hinge", rng)
    state = kernels.PlainSGDState(np.zeros(X.shape[1]))
    saved = state.weights.copy()
    with pytest.raises((ValueError, TypeError), match=word):
        kernels.plain_sgd_epoch(X, y, state, **kwargs)
    np.testing.assert_array_equal(state.weights, saved)


def test_state_must_match_the_data(rng):
    X, y = _problem("hinge", rng)
    with pytest.raises(ValueError, match="features"):
        kernels.plain_sgd_epoch(X, y, kernels.PlainSGDState(np.zeros(3)))
    with pytest.raises(TypeError, match="PlainSGDState"):
        kernels.plain_sgd_epoch(X, y, np.zeros(X.shape[1]))


@pytest.mark.parametrize("ordered", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("penalty, average, alpha, l1_ratio", [
    ("l1", 0, 1e-3, 1.0), ("l1", 1, 1e-3, 1.0), ("elasticnet", 1, 1e-3, 0.5),
    # eta alpha near 1: the scale is folded into v and aw mid-epoch
    ("elasticnet", 0, 0.9, 1e-3), ("elasticnet", 1, 0.9, 1e-3),
    # averaging alone interleaves v and aw
    ("l2", 1, 1e-3, 0.0), ("l2", 1, 0.9, 0.0), (None, 1, 1e-3, 0.0)])
def test_interleaved_csr_epochs_take_the_same_steps_bit_for_bit(
        penalty, average, alpha, l1_ratio, dtype, ordered, rng, monkeypatch):
    """CSR epochs with an L1 penalty or averaging run on v, q (with L1) and
    aw interleaved in one buffer: the same steps, to the bit, as on the
    arrays apart."""
    X, y = _problem("hinge", rng, n=200, d=40)
    X = sp.csr_matrix(X.astype(dtype))
    state = kernels.PlainSGDState(rng.standard_normal(40) * 0.1, 0.2,
                                  average_coef=np.zeros(40) if average else None, eta0=1.0)
    v, q, scalars = state.v.copy(), state.q.copy(), state.scalars.copy()
    aw = state.aw.copy() if average else None
    config = plain_sgd_config(loss="hinge", penalty=penalty, alpha=alpha, l1_ratio=l1_ratio,
                              learning_rate="constant", eta0=1.0, average=average,
                              ordered=ordered)
    apart, strides = _sgd.sgd_epoch, []

    def recording(*args, stride=1, **kwargs):
        strides.append(stride)
        return apart(*args, stride=stride, **kwargs)

    monkeypatch.setattr(_sgd, "sgd_epoch", recording)
    order = rng.permutation(X.shape[0])
    for _ in range(3):
        got = state.epoch(X, y, None, order, None, **config)
        want = apart(X.data, X.indices, X.indptr, 40, y, None, order, None, v, aw, q,
                     scalars, **config)
        assert got == want
    assert strides == [1 + (penalty in ("l1", "elasticnet")) + bool(average)] * 3
    np.testing.assert_array_equal(state.v, v)
    np.testing.assert_array_equal(state.q, q)
    np.testing.assert_array_equal(state.scalars, scalars)
    if average:
        np.testing.assert_array_equal(state.aw, aw)
    assert np.any(state.v != 0.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("penalty, average", [("l1", 0), ("elasticnet", 0), ("elasticnet", 2)])
def test_csr_steps_without_the_objective_take_the_same_steps_bit_for_bit(
        penalty, average, dtype, rng):
    """Without the objective to sum, a shuffled CSR step adds and truncates
    each weight in one pass: the same weights, to the bit, as the two
    passes the objective's norms are summed between."""
    X, y = _problem("hinge", rng, n=200, d=40)
    X = sp.csr_matrix(X.astype(dtype))
    order = rng.permutation(X.shape[0])
    start = rng.standard_normal(40) * 0.1
    results = []
    for objective in (False, True):
        v, q = start.copy(), np.zeros(40)
        aw = np.zeros(40) if average else None
        state = kernels.PlainSGDState(np.zeros(40)).scalars.copy()
        config = plain_sgd_config(loss="hinge", penalty=penalty, alpha=0.01, l1_ratio=0.5,
                                  learning_rate="constant", eta0=0.5, average=average,
                                  objective=objective, ordered=False)
        for _ in range(3):
            _sgd.sgd_epoch(X.data, X.indices, X.indptr, 40, y, None, order, None, v, aw, q,
                           state, **config)
        results.append((v, q, aw, state))
    (v0, q0, aw0, s0), (v1, q1, aw1, s1) = results
    np.testing.assert_array_equal(v0, v1)
    np.testing.assert_array_equal(q0, q1)
    if average:
        np.testing.assert_array_equal(aw0, aw1)
    keep = [i for name, i in _sgd.STATE.items() if name not in ("sq_norm", "l1_norm")]
    np.testing.assert_array_equal(s0[keep], s1[keep])
    assert np.any(q0 != 0.0)


def test_a_state_whose_arrays_do_not_match_is_refused(rng):
    X, y = _problem("hinge", rng)
    state = kernels.PlainSGDState(np.zeros(X.shape[1]), average_coef=np.zeros(X.shape[1]))
    state.q = np.zeros(X.shape[1] - 1)
    with pytest.raises(ValueError, match="state.q"):
        kernels.plain_sgd_epoch(sp.csr_matrix(X), y, state, penalty="l1")
    state.q, state.aw = np.zeros(X.shape[1]), np.zeros(X.shape[1] + 1)
    with pytest.raises(ValueError, match="state.aw"):
        kernels.plain_sgd_epoch(X, y, state, average=1)


def test_the_kernel_refuses_a_stride_for_dense_rows(rng):
    X, y = _problem("hinge", rng)
    v = np.zeros(2 * X.shape[1])
    with pytest.raises(ValueError, match="stride"):
        _sgd.sgd_epoch(X.reshape(-1), None, None, X.shape[1], y, None, None, None, v, None, v,
                       kernels.PlainSGDState(np.zeros(X.shape[1])).scalars,
                       **plain_sgd_config(penalty="l1"), stride=2)


def _sklearn_dataset_shuffle(order, seed):
    """scikit-learn's SequentialDataset.shuffle, written out: Fisher-Yates,
    j = i + r % (n - i), r from its 32-bit XorShift rand_r (0 taken as 1)."""
    state = seed
    for i in range(len(order) - 1):
        state = state or 1
        state ^= (state << 13) & 0xFFFFFFFF
        state ^= state >> 17
        state ^= (state << 5) & 0xFFFFFFFF
        j = i + (state % 2 ** 31) % (len(order) - i)
        order[i], order[j] = order[j], order[i]


@pytest.mark.parametrize("n", [0, 1, 2, 7, 1000])
@pytest.mark.parametrize("seed", [0, 1, 12345, 2 ** 31 - 2])
def test_sklearn_shuffle_permutes_as_sklearns_dataset(n, seed):
    from fastgd.kernels import _common
    ours = np.arange(n, dtype=np.intp)
    theirs = list(range(n))
    for _ in range(3):      # epochs permute the last epoch's order again
        _common.sklearn_shuffle(ours, seed)
        _sklearn_dataset_shuffle(theirs, seed)
        np.testing.assert_array_equal(ours, theirs)
    assert sorted(ours) == list(range(n))


@pytest.mark.parametrize("n", [1, 2, 17, 1000])
@pytest.mark.parametrize("seed", [0, 1, 2 ** 31, 2 ** 32 - 1])
def test_sklearn_shuffle_visits_sklearns_dataset_order(n, seed):
    """Against scikit-learn's own dataset (its test hooks), over epochs."""
    seq_dataset = pytest.importorskip("sklearn.utils._seq_dataset")
    from fastgd.kernels import _common
    dataset = seq_dataset.ArrayDataset64(np.zeros((n, 1)), np.arange(n, dtype=np.float64),
                                         np.ones(n), seed=1)
    ours = np.arange(n, dtype=np.intp)
    for _ in range(3):
        dataset._shuffle_py(seed)
        _common.sklearn_shuffle(ours, seed)
        # _next_py gives ((values, indices, indptr), y, weight, row index)
        np.testing.assert_array_equal(ours, [int(dataset._next_py()[3]) for _ in range(n)])
