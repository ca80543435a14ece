"""The compiled kernels of the linear models equal the NumPy reference.

:mod:`fastgd.reference` is the specification; every test here runs a public
kernel of :mod:`fastgd.kernels` and the reference on the same values and
compares.  The kernel reads float32 data exactly and accumulates in double,
so for the full-batch gradient the math is the same in both dtypes and the
comparison is at rtol 1e-10 (scaled by the size of the summed terms, since a
sum that cancels to ~0 has no relative accuracy).  A mini-batch or stateful
epoch rounds the parameters to their dtype after every step, so float32
epochs are compared at rtol 1e-4; a per-sample plain-SGD epoch rounds once,
at its end, and is compared to one float32 spacing.
"""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conftest import LOSSES, make_problem, problems
from fastgd import DivergenceError, kernels, reference
from fastgd.optim import OPTIMIZERS, make_rule

RTOL64 = 1e-10
RTOL32 = 1e-4
SCHEDULES = ("constant", "invscaling", "step", "exponential", "optimal")


# ---------------------------------------------------------------- helpers

def call_loss_gradient(p, X=None, **kwargs):
    """(J, grad_coef, grad_intercept) from the kernel; the output buffers
    start as NaN so that an entry the kernel forgets to write shows."""
    g_coef = np.full(p.coef.shape, np.nan)
    g_int = np.full(p.intercept.shape, np.nan)
    J = kernels.loss_gradient(p.X if X is None else X, p.y, p.coef, p.intercept,
                              g_coef, g_int, loss=p.loss,
                              sample_weight=p.sample_weight, **kwargs)
    return J, g_coef, g_int


def reference_loss_gradient(p, alpha=0.0):
    return reference.loss_gradient(p.X, p.y, p.coef, p.intercept, loss=p.loss,
                                   alpha=alpha, sample_weight=p.sample_weight)


def rounding_scales(p, alpha=0.0):
    """Magnitudes that bound the rounding error of (J, dJ/dW, dJ/db).

    An output z = x.w + b is known to eps times sum_j |x_j w_j| + |b| (+ |y|
    for the residual of the squared loss); every loss here has a second
    derivative <= 1, so a term s_i dL_i/dz x_i is known to eps times
    s_i (|dL_i/dz| + that magnitude) |x_i|.  Each scale is >= the absolute
    value of what it bounds, so ``|got - want| <= rtol * scale`` is at least
    as strict as a relative test wherever there is no cancellation.
    """
    X = np.asarray(p.dense(), dtype=np.float64)
    W = p.coef.astype(np.float64)
    b = p.intercept.astype(np.float64)
    y = p.y.astype(np.float64)
    s = np.ones(X.shape[0]) if p.sample_weight is None else p.sample_weight.astype(np.float64)
    L, dZ = reference.sample_losses(p.loss, X @ W.T + b, y)
    zs = (np.abs(X) @ np.abs(W).T + np.abs(b)).sum(axis=1, keepdims=True)
    if p.loss == "squared":
        zs = zs + np.abs(y)[:, None]
    S = s.sum()
    J = s @ (np.abs(L) + (np.abs(dZ) * zs).sum(axis=1)) / S + 0.5 * alpha * np.sum(W ** 2)
    gW = ((np.abs(dZ) + zs) * s[:, None]).T @ np.abs(X) / S + alpha * np.abs(W)
    gb = s @ (np.abs(dZ) + zs) / S
    return J, gW, gb


def assert_within(got, want, scales, rtol, names=("objective", "grad_coef", "grad_intercept")):
    for name, g, w, s in zip(names, got, want, scales):
        g, w, s = np.asarray(g, np.float64), np.asarray(w, np.float64), np.asarray(s)
        assert g.shape == w.shape, f"{name}: shape {g.shape} != {w.shape}"
        assert np.all(np.isfinite(g)), f"{name} is not finite: {g}"
        err, bound = np.abs(g - w), rtol * s
        assert np.all(err <= bound), (
            f"{name}: max |got - want| / bound = {np.max(err / np.maximum(bound, 1e-300)):.3g}"
            f"\ngot  {g}\nwant {w}")


def assert_params_close(got, want, rtol, what):
    """Arrays compared relative to their largest entry (parameters of an
    epoch: an entry near zero has no relative accuracy of its own)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape, what
    assert np.all(np.isfinite(got)), f"{what} is not finite"
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * np.max(np.abs(want), initial=0.0),
                               err_msg=what)


def run_epoch(p, X=None, state=True, **kwargs):
    """One kernel epoch on copies of p's parameters; returns what
    reference.epoch returns: (objective, coef, intercept, state_coef,
    state_intercept, t)."""
    coef, intercept = p.coef.copy(), p.intercept.copy()
    s_coef, s_int = (kernels.init_state(coef, intercept, kwargs.get("rule")) if state
                     else (None, None))
    res = kernels.epoch(p.X if X is None else X, p.y, coef, intercept, loss=p.loss,
                        sample_weight=p.sample_weight, state_coef=s_coef,
                        state_intercept=s_int, **kwargs)
    assert isinstance(res, kernels.EpochResult)
    return res.objective, coef, intercept, s_coef, s_int, res.t


def run_reference_epoch(p, rule, **kwargs):
    return reference.epoch(p.X, p.y, p.coef, p.intercept, rule, loss=p.loss,
                           sample_weight=p.sample_weight, **kwargs)


def assert_epochs_match(got, want, rtol, check_state=True):
    assert np.isfinite(got[0])
    np.testing.assert_allclose(got[0], want[0], rtol=rtol, err_msg="objective")
    assert_params_close(got[1], want[1], rtol, "coef")
    assert_params_close(got[2], want[2], rtol, "intercept")
    if check_state:
        assert_params_close(got[3], want[3], rtol, "state_coef")
        assert_params_close(got[4], want[4], rtol, "state_intercept")
    assert got[5] == want[5], f"t: {got[5]} != {want[5]}"


def rule_for(optimizer, schedule="constant", lr=None, alpha=0.1):
    """A rule whose schedule changes the rate within a 20-step epoch."""
    if lr is None:
        lr = {"adagrad": 0.1, "rmsprop": 0.01, "adam": 0.02, "adamw": 0.02}.get(optimizer, 0.05)
    extra = {"step": {"step_size": 3, "gamma": 0.5},
             "exponential": {"gamma": 0.9}}.get(schedule, {})
    if optimizer == "rmsprop":
        extra["momentum"] = 0.5   # exercise its second state slot
    if optimizer in ("momentum", "adagrad", "adam") and schedule == "constant":
        extra["weight_decay"] = 0.05   # plain 'sgd' stays plain: the lazy-L2 path
    return make_rule(optimizer, lr, schedule, alpha=alpha, **extra)


# ------------------------------------------------- 1. loss_gradient vs reference

@given(p=problems(), alpha=st.sampled_from([0.0, 0.37]))
def test_loss_gradient_matches_reference(p, alpha):
    got = call_loss_gradient(p, alpha=alpha)
    assert isinstance(got[0], float)
    assert_within(got, reference_loss_gradient(p, alpha), rounding_scales(p, alpha), RTOL64)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
def test_loss_gradient_one_sample_one_feature(loss, dtype, weighted, rng):
    # the smallest problem, whatever hypothesis happens to draw
    p = make_problem(loss, 1, 1, rng=rng, dtype=dtype, weighted=weighted)
    for alpha in (0.0, 0.37):
        assert_within(call_loss_gradient(p, alpha=alpha), reference_loss_gradient(p, alpha),
                      rounding_scales(p, alpha), RTOL64)


def _as_dtype(p, dtype):
    return p.replace(X=p.X.astype(dtype), y=p.y.astype(dtype), coef=p.coef.astype(dtype),
                     intercept=p.intercept.astype(dtype),
                     sample_weight=None if p.sample_weight is None
                     else p.sample_weight.astype(dtype))


@given(p=problems(dtypes=(np.float64,)), alpha=st.sampled_from([0.0, 0.37]))
def test_loss_gradient_float32_within_float32_tolerance_of_float64(p, alpha):
    # the kernel on float32 data against the reference on the float64 values
    # that data was rounded from: only the input rounding separates them
    assert_within(call_loss_gradient(_as_dtype(p, np.float32), alpha=alpha),
                  reference_loss_gradient(p, alpha), rounding_scales(p, alpha), RTOL32)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_loss_gradient_float32_accumulates_in_double(n_jobs):
    # 1e8 + 1 - 1e8 is 0 in float32 (its spacing at 1e8 is 8) but 1 in double:
    # the gradient of 0.5 (0 - (-1))^2 summed over these rows is x_1 + x_2 + x_3
    X = np.array([[1e8], [1.0], [-1e8]], dtype=np.float32)
    p = make_problem("squared", 3, 1, dtype=np.float32).replace(
        X=X, y=-np.ones(3, np.float32), coef=np.zeros((1, 1), np.float32),
        intercept=np.zeros(1, np.float32))
    J, g_coef, g_int = call_loss_gradient(p, n_jobs=n_jobs)
    _, want_coef, want_int = reference_loss_gradient(p)
    assert want_coef[0, 0] == pytest.approx(1.0 / 3.0, rel=1e-15)
    np.testing.assert_allclose(g_coef, want_coef, rtol=1e-15)
    np.testing.assert_allclose(g_int, want_int, rtol=1e-15)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_loss_gradient_input_layouts_give_identical_results(loss, dtype, rng):
    p = make_problem(loss, 13, 5, dtype=dtype, rng=rng, weighted=True)
    base = call_loss_gradient(p, alpha=0.2)
    n, d = p.X.shape

    wide = np.zeros((n, 2 * d), dtype)
    wide[:, ::2] = p.X
    tall = np.zeros((2 * n, d), dtype)
    tall[::2] = p.X
    frozen = {name: getattr(p, name).copy() for name in ("X", "y", "coef", "intercept", "sample_weight")}
    for arr in frozen.values():
        arr.setflags(write=False)
    y_strided = np.repeat(p.y, 2)[::2]
    variants = {
        "read-only": p.replace(**frozen),
        "X[:, ::2]": p.replace(X=wide[:, ::2]),
        "X[::2]": p.replace(X=tall[::2]),
        "Fortran": p.replace(X=np.asfortranarray(p.X)),
        "strided y, coef": p.replace(y=y_strided, coef=np.asfortranarray(p.coef)),
    }
    assert not variants["X[:, ::2]"].X.flags.c_contiguous
    assert not variants["X[::2]"].X.flags.c_contiguous
    assert variants["Fortran"].X.flags.f_contiguous and not variants["Fortran"].X.flags.c_contiguous
    for name, q in variants.items():
        got = call_loss_gradient(q, alpha=0.2)
        # the kernel sees the same contiguous values, so the result is bitwise equal
        assert got[0] == base[0], name
        np.testing.assert_array_equal(got[1], base[1], err_msg=name)
        np.testing.assert_array_equal(got[2], base[2], err_msg=name)


def _non_canonical_csr(X, rng):
    """X as a CSR matrix with unsorted column indices and each stored value
    split into two duplicate entries (a valid, non-canonical CSR)."""
    C = sp.csr_matrix(X)
    rows, cols, vals = [], [], []
    for i in range(C.shape[0]):
        lo, hi = C.indptr[i], C.indptr[i + 1]
        perm = rng.permutation(hi - lo)
        for j, v in zip(C.indices[lo:hi][perm], C.data[lo:hi][perm]):
            half = v / 2   # exact, so the two entries add up to v exactly
            rows += [i, i]
            cols += [j, j]
            vals += [half, v - half]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=C.shape[0]))])
    M = sp.csr_matrix((np.array(vals, X.dtype), np.array(cols), indptr), shape=X.shape)
    assert not M.has_canonical_format
    return M


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "csr-non-canonical", "csr-read-only"])
def test_loss_gradient_sparse_equals_dense(loss, dtype, fmt, rng):
    p = make_problem(loss, 17, 6, dtype=dtype, rng=rng, weighted=True, sparse=True, density=0.4)
    dense = p.dense()
    if fmt == "csr-non-canonical":
        X = _non_canonical_csr(dense, rng)
    else:
        X = sp.csr_matrix(dense).asformat(fmt.split("-")[0])
        if fmt == "csr-read-only":
            X.data.setflags(write=False)
            X.indices.setflags(write=False)
            X.indptr.setflags(write=False)
    np.testing.assert_array_equal(X.toarray(), dense)
    q = p.replace(X=dense)
    scales = rounding_scales(q, 0.3)
    assert_within(call_loss_gradient(p.replace(X=X), alpha=0.3), call_loss_gradient(q, alpha=0.3),
                  scales, RTOL64)


@pytest.mark.parametrize("loss", LOSSES)
def test_loss_gradient_sparse_with_empty_rows_and_columns(loss, rng):
    p = make_problem(loss, 9, 5, rng=rng, sparse=True)
    dense = p.dense().copy()
    dense[[0, 4]] = 0.0
    dense[:, 2] = 0.0
    q = p.replace(X=dense)
    got = call_loss_gradient(p.replace(X=sp.csr_matrix(dense)), alpha=0.1)
    assert_within(got, reference_loss_gradient(q, 0.1), rounding_scales(q, 0.1), RTOL64)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("n_samples", [101, 2])
def test_loss_gradient_n_jobs(loss, sparse, n_samples, rng):
    # n=101 splits unevenly over 2 and 3 threads; n=2 has fewer rows than n_jobs=3
    p = make_problem(loss, n_samples, 7, rng=rng, weighted=True, sparse=sparse)
    scales = rounding_scales(p, 0.1)
    first = {}
    for n_jobs in (1, 2, 3):
        runs = [call_loss_gradient(p, alpha=0.1, n_jobs=n_jobs) for _ in range(3)]
        for other in runs[1:]:   # bitwise reproducible for a given n_jobs
            assert other[0] == runs[0][0]
            np.testing.assert_array_equal(other[1], runs[0][1])
            np.testing.assert_array_equal(other[2], runs[0][2])
        first[n_jobs] = runs[0]
        assert_within(runs[0], reference_loss_gradient(p, 0.1), scales, RTOL64)
    for n_jobs in (2, 3):   # and bitwise the same whatever n_jobs
        assert first[n_jobs][0] == first[1][0]
        np.testing.assert_array_equal(first[n_jobs][1], first[1][1])
        np.testing.assert_array_equal(first[n_jobs][2], first[1][2])


# ------------------------------------------------------- 2. epoch vs reference

@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("batch_size", [1, 3, 25])
def test_epoch_optimizers_match_reference(loss, optimizer, batch_size, rng):
    p = make_problem(loss, 20, 4, rng=rng, weighted=True, x_scale=0.5)
    rule = rule_for(optimizer)
    order = rng.permutation(20)
    kw = dict(alpha=0.1, batch_size=batch_size, order=order, t=0)
    got = run_epoch(p, rule=rule, **kw)
    want = run_reference_epoch(p, rule, **kw)
    assert_epochs_match(got, want, RTOL64)


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "adam"])
@pytest.mark.parametrize("batch_size", [1, 3, 25])
def test_epoch_schedules_match_reference(schedule, optimizer, batch_size, rng):
    loss = "logistic" if optimizer == "adam" else "softmax"
    p = make_problem(loss, 20, 4, rng=rng, x_scale=0.5)
    rule = rule_for(optimizer, schedule, alpha=0.5)
    # t > 0: a resumed epoch, where the schedules are far from their start
    kw = dict(alpha=0.5, batch_size=batch_size, order=rng.permutation(20), t=7)
    assert_epochs_match(run_epoch(p, rule=rule, **kw), run_reference_epoch(p, rule, **kw), RTOL64)


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
def test_sgd_epoch_schedules_match_reference(schedule, loss, dtype, sparse, rng):
    # each variant of sgd_epoch.h's C loop (dense or CSR rows, one output or
    # softmax's K) with plain per-sample steps and the table of a rate for
    # each step from t + 1 on that epoch() builds: a resumed epoch at t = 7
    p = make_problem(loss, 30, 4, rng=rng, dtype=dtype, weighted=True, x_scale=0.5,
                     sparse=sparse)
    rule = rule_for("sgd", schedule, alpha=0.5)
    kw = dict(alpha=0.5, batch_size=1, order=rng.permutation(30), t=7)
    assert_epochs_match(run_epoch(p, rule=rule, **kw), run_reference_epoch(p, rule, **kw),
                        RTOL64 if dtype == np.float64 else RTOL32)


@pytest.mark.parametrize("order_kind", ["none", "permutation", "with-repeats", "subset"])
@pytest.mark.parametrize("batch_size", [1, 4])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum"])
def test_epoch_orders_match_reference(order_kind, batch_size, optimizer, rng):
    p = make_problem("squared", 15, 3, rng=rng, weighted=True)
    order = {"none": None, "permutation": rng.permutation(15),
             "with-repeats": rng.integers(0, 15, 23).astype(np.int32),
             "subset": rng.choice(15, 6, replace=False).astype(np.uint16)}[order_kind]
    rule = rule_for(optimizer)
    kw = dict(alpha=0.05, batch_size=batch_size, order=order, t=2)
    assert_epochs_match(run_epoch(p, rule=rule, **kw), run_reference_epoch(p, rule, **kw), RTOL64)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("batch_size", [1, 3])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_epoch_lr_table_matches_reference(loss, batch_size, optimizer, rng):
    p = make_problem(loss, 14, 3, rng=rng, weighted=True, x_scale=0.5)
    n_steps = -(-14 // batch_size)
    # one more entry than needed: extra rates are allowed and unused
    table = rng.uniform(0.001, 0.2, n_steps + 1)
    rule = make_rule(optimizer, 0.05, "invscaling")   # the table overrides its schedule
    kw = dict(alpha=0.2, batch_size=batch_size, order=rng.permutation(14), lr_table=table)
    got = run_epoch(p, rule=rule, **kw)
    assert_epochs_match(got, run_reference_epoch(p, rule, **kw), RTOL64)
    # the table really is used: without it the schedule gives other parameters
    kw.pop("lr_table")
    assert not np.allclose(run_epoch(p, rule=rule, **kw)[1], got[1], rtol=1e-6)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("batch_size", [1, 4])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adamw"])
def test_epoch_without_intercept(loss, batch_size, optimizer, rng):
    p = make_problem(loss, 12, 3, rng=rng, x_scale=0.5)
    rule = rule_for(optimizer)
    kw = dict(alpha=0.1, batch_size=batch_size, fit_intercept=False)
    got = run_epoch(p, rule=rule, **kw)
    np.testing.assert_array_equal(got[2], p.intercept)
    np.testing.assert_array_equal(got[4], 0.0)
    assert_epochs_match(got, run_reference_epoch(p, rule, **kw), RTOL64)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("batch_size", [1, 3, 40])
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adagrad"])
def test_epoch_sparse_equals_dense(loss, batch_size, optimizer, rng):
    p = make_problem(loss, 18, 6, rng=rng, weighted=True, sparse=True, x_scale=0.7)
    rule = rule_for(optimizer)
    kw = dict(alpha=0.15, batch_size=batch_size, order=rng.permutation(18))
    got_sparse = run_epoch(p, rule=rule, **kw)
    got_dense = run_epoch(p, X=p.dense(), rule=rule, **kw)
    assert_epochs_match(got_sparse, got_dense, RTOL64)
    assert_epochs_match(got_sparse, run_reference_epoch(p, rule, **kw), RTOL64)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("batch_size", [1, 3])
@pytest.mark.parametrize("optimizer", ["sgd", "nesterov", "rmsprop", "adam"])
@pytest.mark.parametrize("sparse", [False, True])
def test_epoch_float32_matches_reference(loss, batch_size, optimizer, sparse, rng):
    p = make_problem(loss, 16, 4, rng=rng, dtype=np.float32, weighted=True,
                     sparse=sparse, x_scale=0.5)
    rule = rule_for(optimizer)
    kw = dict(alpha=0.1, batch_size=batch_size, order=rng.permutation(16))
    got = run_epoch(p, rule=rule, **kw)
    assert got[1].dtype == np.float32 and got[2].dtype == np.float32
    assert_epochs_match(got, run_reference_epoch(p, rule, **kw), RTOL32)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "rmsprop", "adam"])
@pytest.mark.parametrize("batch_size", [1, 5])
def test_epochs_resume_from_state_and_t(optimizer, batch_size, rng):
    # three epochs, each continuing from the state and t of the one before
    p = make_problem("logistic", 11, 3, rng=rng, x_scale=0.5)
    rule = rule_for(optimizer)
    coef, intercept = p.coef.copy(), p.intercept.copy()
    s_coef, s_int = kernels.init_state(coef, intercept)
    ref = (None, p.coef, p.intercept, None, None, 0)
    t = 0
    for _ in range(3):
        order = rng.permutation(11)
        res = kernels.epoch(p.X, p.y, coef, intercept, loss="logistic", alpha=0.1,
                            batch_size=batch_size, rule=rule, order=order,
                            state_coef=s_coef, state_intercept=s_int, t=t)
        t = res.t
        ref = reference.epoch(p.X, p.y, ref[1], ref[2], rule, loss="logistic", alpha=0.1,
                              batch_size=batch_size, order=order, state_coef=ref[3],
                              state_intercept=ref[4], t=ref[5])
        assert_epochs_match((res.objective, coef, intercept, s_coef, s_int, res.t), ref, RTOL64)


# torch.optim's options that change a rule's formula, two of them with a
# third row of state (amsgrad; centered with momentum)
OPTION_RULES = {
    "adam-amsgrad": ("adam", {"amsgrad": True, "weight_decay": 0.05}),
    "adamw-amsgrad": ("adamw", {"amsgrad": True}),
    "rmsprop-centered": ("rmsprop", {"centered": True, "weight_decay": 0.05}),
    "rmsprop-centered-momentum": ("rmsprop", {"centered": True, "momentum": 0.5}),
    "adagrad-initial": ("adagrad", {"initial_accumulator_value": 0.3, "weight_decay": 0.05}),
}


@pytest.mark.parametrize("case", OPTION_RULES)
@pytest.mark.parametrize("loss", ["logistic", "softmax"])
@pytest.mark.parametrize("batch_size", [1, 3, 25])
def test_epoch_rule_options_match_reference(case, loss, batch_size, rng):
    optimizer, hyper = OPTION_RULES[case]
    rule = make_rule(optimizer, 0.02, **hyper)
    p = make_problem(loss, 20, 4, rng=rng, weighted=True, x_scale=0.5)
    coef, intercept = p.coef.copy(), p.intercept.copy()
    s_coef, s_int = kernels.init_state(coef, intercept, rule)
    assert s_coef.shape[0] == s_int.shape[0] == rule.state_rows
    ref = (None, p.coef, p.intercept, None, None, 0)
    t = 0
    for _ in range(2):      # the second epoch continues from the first's state
        order = rng.permutation(20)
        kw = dict(loss=loss, alpha=0.1, batch_size=batch_size, order=order,
                  sample_weight=p.sample_weight)
        res = kernels.epoch(p.X, p.y, coef, intercept, rule=rule, state_coef=s_coef,
                            state_intercept=s_int, t=t, **kw)
        t = res.t
        ref = reference.epoch(p.X, p.y, ref[1], ref[2], rule, state_coef=ref[3],
                              state_intercept=ref[4], t=ref[5], **kw)
        assert_epochs_match((res.objective, coef, intercept, s_coef, s_int, res.t), ref, RTOL64)


@pytest.mark.parametrize("case", OPTION_RULES)
def test_epoch_rule_options_float32_match_reference(case, rng):
    optimizer, hyper = OPTION_RULES[case]
    rule = make_rule(optimizer, 0.02, **hyper)
    p = make_problem("logistic", 16, 4, rng=rng, dtype=np.float32, x_scale=0.5)
    kw = dict(alpha=0.1, batch_size=3, order=rng.permutation(16))
    assert_epochs_match(run_epoch(p, rule=rule, **kw), run_reference_epoch(p, rule, **kw),
                        RTOL32)


def test_init_state_has_the_rule_rows():
    coef, intercept = np.zeros((2, 3)), np.zeros(2)
    assert [a.shape for a in kernels.init_state(coef, intercept)] == [(2, 6), (2, 2)]
    rule = make_rule("adam", 0.1, amsgrad=True)
    assert [a.shape for a in kernels.init_state(coef, intercept, rule)] == [(3, 6), (3, 2)]
    with pytest.raises(TypeError, match="rule"):
        kernels.init_state(coef, intercept, "adam")


def test_sgd_and_minibatch_epoch_are_epoch(rng):
    p = make_problem("softmax", 10, 3, rng=rng, weighted=True)
    rule = rule_for("momentum")
    order = rng.permutation(10)
    for batch_size, wrapper in ((1, kernels.sgd_epoch),
                                (4, lambda *a, **k: kernels.minibatch_epoch(*a, 4, **k))):
        kw = dict(alpha=0.1, order=order, rule=rule)
        a = p.coef.copy(), p.intercept.copy(), *kernels.init_state(p.coef, p.intercept)
        b = p.coef.copy(), p.intercept.copy(), *kernels.init_state(p.coef, p.intercept)
        ra = wrapper(p.X, p.y, a[0], a[1], loss="softmax", state_coef=a[2], state_intercept=a[3],
                     sample_weight=p.sample_weight, **kw)
        rb = kernels.epoch(p.X, p.y, b[0], b[1], loss="softmax", batch_size=batch_size,
                           state_coef=b[2], state_intercept=b[3], sample_weight=p.sample_weight, **kw)
        assert ra == rb
        for x, z in zip(a, b):
            np.testing.assert_array_equal(x, z)
    with pytest.raises(ValueError, match="batch_size"):
        kernels.sgd_epoch(p.X, p.y, p.coef.copy(), p.intercept.copy(), loss="softmax",
                          batch_size=2)


def test_epoch_default_rule_is_plain_sgd_at_learning_rate(rng):
    p = make_problem("squared", 12, 3, rng=rng)
    got = run_epoch(p, state=False, alpha=0.3, learning_rate=0.07)
    assert_epochs_match(got, run_reference_epoch(p, make_rule("sgd", 0.07), alpha=0.3),
                        RTOL64, check_state=False)


@given(p=problems(losses=LOSSES, dtypes=(np.float64,), max_samples=10, max_features=4),
       batch_size=st.integers(1, 12), alpha=st.sampled_from([0.0, 0.3, 1.5]),
       optimizer=st.sampled_from(["sgd", "momentum"]), fit_intercept=st.booleans())
@settings(max_examples=40)
def test_epoch_matches_reference_on_any_shape(p, batch_size, alpha, optimizer, fit_intercept):
    # |x|^2 <= 80, so lr 0.01 keeps a step contracting: no chaotic growth of
    # rounding differences
    rule = make_rule(optimizer, 0.01)
    kw = dict(alpha=alpha, batch_size=batch_size, fit_intercept=fit_intercept)
    assert_epochs_match(run_epoch(p, rule=rule, **kw), run_reference_epoch(p, rule, **kw), RTOL64)


# ----------------------------------------- the lazy L2 scale of plain per-sample SGD

@pytest.mark.parametrize("lr, alpha, n_samples", [
    (0.5, 1.9, 400),          # shrink 0.05: the scale falls below 1e-9 every 7 steps
    (0.5, 2.0 - 4e-9, 60),    # shrink 2e-9: just above the rescale threshold
    (0.5, 2.0 - 2e-10, 40),   # shrink 1e-10: below it, rescaled at once
    (0.01, 1.0, 2500),        # shrink 0.99: a rescale after ~2000 steps
    (0.5, 2.0, 30),           # lr alpha = 1: the decay zeroes W at each step
    (0.5, 3.0, 30),           # lr alpha > 1: the decay flips the sign of W
    (0.9, 1.5, 30),
])
@pytest.mark.parametrize("sparse", [False, True])
def test_lazy_l2_scale_matches_plain_update(lr, alpha, n_samples, sparse, rng):
    p = make_problem("squared", n_samples, 5, rng=rng, sparse=sparse, x_scale=0.3)
    # positive weights: a step with s = 0 would leave W (1 - lr alpha), whose
    # cancellation near lr alpha = 1 makes the reference itself inaccurate
    p = p.replace(coef=rng.standard_normal(p.coef.shape),
                  sample_weight=rng.uniform(0.2, 3.0, n_samples))
    rule = make_rule("sgd", lr)
    kw = dict(alpha=alpha, batch_size=1, order=rng.permutation(n_samples))
    got = run_epoch(p, rule=rule, state=False, **kw)
    assert_epochs_match(got, run_reference_epoch(p, rule, **kw), RTOL64, check_state=False)


@pytest.mark.parametrize("loss", ["logistic", "softmax"])
@pytest.mark.parametrize("sparse", [False, True])
def test_lazy_l2_scale_with_classification_losses(loss, sparse, rng):
    p = make_problem(loss, 300, 4, rng=rng, sparse=sparse)
    rule = make_rule("sgd", 0.4)
    kw = dict(alpha=2.3, batch_size=1)
    got = run_epoch(p, rule=rule, state=False, **kw)
    assert_epochs_match(got, run_reference_epoch(p, rule, **kw), RTOL64, check_state=False)


# --------------------------------------------- 3. gradients vs finite differences

@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("alpha", [0.0, 0.4])
@pytest.mark.parametrize("weighted", [False, True])
def test_kernel_gradient_matches_finite_differences(loss, alpha, weighted, rng):
    p = make_problem(loss, 15, 3, rng=rng, weighted=weighted)
    J0, g_coef, g_int = call_loss_gradient(p, alpha=alpha)
    theta = np.concatenate([p.coef.ravel(), p.intercept])
    K, d = p.coef.shape

    def objective(th):
        q = p.replace(coef=th[:K * d].reshape(K, d).copy(), intercept=th[K * d:].copy())
        return call_loss_gradient(q, alpha=alpha)[0]

    h = 1e-5
    fd = np.array([(objective(theta + h * e) - objective(theta - h * e)) / (2 * h)
                   for e in np.eye(theta.size)])
    g = np.concatenate([g_coef.ravel(), g_int])
    assert np.linalg.norm(fd - g) < 1e-6 * np.linalg.norm(g)


# ----------------------------------------------------- 4. numerical stability

@given(z=hnp.arrays(np.float64, st.integers(1, 8),
                    elements=st.one_of(st.sampled_from([-1e4, 1e4, 0.0]), st.floats(-1e4, 1e4))),
       data=st.data())
def test_logistic_is_stable_for_large_outputs(z, data):
    # X is the column z and coef 1, so the outputs are z itself
    y = data.draw(hnp.arrays(np.float64, z.shape, elements=st.sampled_from([0.0, 1.0])))
    p = make_problem("logistic", z.size, 1).replace(
        X=z[:, None].copy(), y=y, coef=np.ones((1, 1)), intercept=np.zeros(1), sample_weight=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = call_loss_gradient(p)
        want = reference_loss_gradient(p)
    assert_within(got, want, rounding_scales(p), RTOL64)


@given(Z=hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(2, 5)),
                    elements=st.one_of(st.sampled_from([-1e4, 1e4, 0.0]), st.floats(-1e4, 1e4))),
       data=st.data())
def test_softmax_is_stable_for_large_outputs(Z, data):
    # X = Z and coef = I: the outputs are Z itself
    n, K = Z.shape
    y = data.draw(hnp.arrays(np.float64, n, elements=st.integers(0, K - 1)))
    p = make_problem("softmax", n, K, n_classes=K).replace(
        X=Z.copy(), y=y, coef=np.eye(K), intercept=np.zeros(K), sample_weight=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = call_loss_gradient(p)
        want = reference_loss_gradient(p)
    assert_within(got, want, rounding_scales(p), RTOL64)


@pytest.mark.parametrize("loss", ["logistic", "softmax"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", [1, 3])
def test_epoch_is_stable_for_large_outputs(loss, dtype, batch_size, rng):
    # rows of norm ~1e4 against unit weights: |z| ~ 1e4, confidently right or wrong
    p = make_problem(loss, 9, 3, rng=rng, dtype=dtype)
    X = 1e4 * np.sign(rng.standard_normal((9, 3))) / 3
    coef = np.array([[1.0, 1.0, 1.0], [-1.0, -1.0, -1.0], [1.0, -1.0, 1.0]])[:p.coef.shape[0]]
    # the first sample is confidently wrong: its output for class 0 is 1e4,
    # and its label is another class
    X[0] = 1e4 / 3
    y = p.y.copy()
    y[0] = 0.0 if loss == "logistic" else 1.0
    p = p.replace(X=X.astype(dtype), y=y, coef=coef.astype(dtype))
    rule = make_rule("sgd", 1e-9)
    kw = dict(alpha=0.1, batch_size=batch_size)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = run_epoch(p, rule=rule, state=False, **kw)
        want = run_reference_epoch(p, rule, **kw)
    assert np.isfinite(got[0]) and got[0] > 100.0   # some sample is confidently wrong
    assert_epochs_match(got, want, RTOL64 if dtype == np.float64 else RTOL32, check_state=False)


# -------------------------------------------------- 5. bad input is refused

def _valid_call(loss="squared"):
    p = make_problem(loss, 6, 3, weighted=True)
    return dict(X=p.X, y=p.y, coef=p.coef, intercept=p.intercept, loss=loss,
                sample_weight=p.sample_weight)


def _nan_at(a, value=np.nan):
    """A copy of a with its last entry replaced: in the last row of X, the
    row an epoch meets last."""
    a = np.array(a, dtype=np.float64)
    a.flat[-1] = value
    return a


def _switch(call, loss, y):
    """Make ``call`` a valid call for ``loss``, then give it these targets."""
    call.update(_valid_call(loss))
    call["y"] = y


def _read_only(a):
    a = np.array(a)
    a.setflags(write=False)
    return a


# (id, change to a valid squared-loss call, exception, text naming the argument)
PROBLEM_CASES = [
    ("X-nan", lambda c: c.update(X=_nan_at(c["X"])), ValueError, "X"),
    ("X-inf", lambda c: c.update(X=_nan_at(c["X"], np.inf)), ValueError, "X"),
    ("X-sparse-nan", lambda c: c.update(X=sp.csr_matrix(_nan_at(c["X"]))), ValueError, "X"),
    ("y-nan", lambda c: c.update(y=_nan_at(c["y"])), ValueError, "y"),
    ("y-inf", lambda c: c.update(y=_nan_at(c["y"], -np.inf)), ValueError, "y"),
    ("y-short", lambda c: c.update(y=c["y"][:-1]), ValueError, "y"),
    ("y-2d", lambda c: c.update(y=np.stack([c["y"]] * 2, axis=1)), ValueError, "y"),
    ("X-empty", lambda c: c.update(X=np.empty((0, 3)), y=np.empty(0), sample_weight=None),
     ValueError, "X"),
    ("X-no-features", lambda c: c.update(X=np.empty((6, 0)), coef=np.empty((1, 0))),
     ValueError, "X"),
    ("X-1d", lambda c: c.update(X=c["X"][:, 0]), ValueError, "X"),
    ("X-strings", lambda c: c.update(X=c["X"].astype(str)), TypeError, "X"),
    ("coef-dtype", lambda c: c.update(coef=c["coef"].astype(np.float32)), TypeError, "coef"),
    ("coef-int", lambda c: c.update(coef=c["coef"].astype(np.int64)), TypeError, "coef"),
    ("coef-list", lambda c: c.update(coef=c["coef"].tolist()), TypeError, "coef"),
    ("coef-features", lambda c: c.update(coef=np.zeros((1, 4))), ValueError, "coef"),
    ("coef-1d", lambda c: c.update(coef=c["coef"][0]), ValueError, "coef"),
    ("coef-outputs", lambda c: c.update(coef=np.zeros((2, 3)), intercept=np.zeros(2)),
     ValueError, "coef"),
    ("intercept-shape", lambda c: c.update(intercept=np.zeros(2)), ValueError, "intercept"),
    ("intercept-dtype", lambda c: c.update(intercept=c["intercept"].astype(np.float32)),
     TypeError, "intercept"),
    ("intercept-list", lambda c: c.update(intercept=[0.0]), TypeError, "intercept"),
    ("sample_weight-negative", lambda c: c.update(sample_weight=-c["sample_weight"]),
     ValueError, "sample_weight"),
    ("sample_weight-nan", lambda c: c.update(sample_weight=_nan_at(c["sample_weight"])),
     ValueError, "sample_weight"),
    ("sample_weight-short", lambda c: c.update(sample_weight=c["sample_weight"][:-1]),
     ValueError, "sample_weight"),
    ("sample_weight-zero", lambda c: c.update(sample_weight=np.zeros(6)),
     ValueError, "sample_weight"),
    ("alpha-negative", lambda c: c.update(alpha=-0.1), ValueError, "alpha"),
    ("alpha-nan", lambda c: c.update(alpha=np.nan), ValueError, "alpha"),
    ("alpha-string", lambda c: c.update(alpha="0.1"), TypeError, "alpha"),
    ("loss-unknown", lambda c: c.update(loss="hinge"), ValueError, "loss"),
    ("softmax-one-output", lambda c: c.update(loss="softmax", y=np.zeros(6)), ValueError, "coef"),
    ("softmax-label-high", lambda c: _switch(c, "softmax", np.array([0, 1, 2, 3, 0, 1.0])),
     ValueError, "y"),
    ("softmax-label-negative", lambda c: _switch(c, "softmax", np.array([0, -1, 2, 1, 0, 1.0])),
     ValueError, "y"),
    ("softmax-label-fraction", lambda c: _switch(c, "softmax", np.array([0, 0.5, 2, 1, 0, 1])),
     ValueError, "y"),
    ("logistic-y-above-1", lambda c: _switch(c, "logistic", np.array([0, 1, 2, 1, 0, 1.0])),
     ValueError, "y"),
    ("logistic-y-negative", lambda c: _switch(c, "logistic", np.array([0, 1, -0.5, 1, 0, 1])),
     ValueError, "y"),
]

GRADIENT_CASES = [
    ("grad_coef-dtype", lambda c: c.update(grad_coef=np.zeros((1, 3), np.float32)), TypeError, "grad_coef"),
    ("grad_coef-shape", lambda c: c.update(grad_coef=np.zeros((1, 4))), ValueError, "grad_coef"),
    ("grad_coef-list", lambda c: c.update(grad_coef=[[0.0, 0.0, 0.0]]), TypeError, "grad_coef"),
    ("grad_coef-strided", lambda c: c.update(grad_coef=np.zeros((1, 6))[:, ::2]), ValueError, "grad_coef"),
    ("grad_coef-read-only", lambda c: c.update(grad_coef=_read_only(np.zeros((1, 3)))), ValueError, "grad_coef"),
    ("grad_intercept-dtype", lambda c: c.update(grad_intercept=np.zeros(1, np.float32)), TypeError, "grad_intercept"),
    ("grad_intercept-shape", lambda c: c.update(grad_intercept=np.zeros(2)), ValueError, "grad_intercept"),
    ("n_jobs-zero", lambda c: c.update(n_jobs=0), ValueError, "n_jobs"),
    ("n_jobs-float", lambda c: c.update(n_jobs=2.0), TypeError, "n_jobs"),
]

EPOCH_CASES = [
    ("coef-strided", lambda c: c.update(coef=np.zeros((1, 6))[:, ::2]), ValueError, "coef"),
    ("coef-fortran", lambda c: c.update(coef=np.asfortranarray(np.zeros((2, 3))), loss="softmax",
                                        y=np.zeros(6), intercept=np.zeros(2)), ValueError, "coef"),
    ("coef-read-only", lambda c: c.update(coef=_read_only(c["coef"])), ValueError, "coef"),
    ("intercept-read-only", lambda c: c.update(intercept=_read_only(c["intercept"])), ValueError, "intercept"),
    ("order-high", lambda c: c.update(order=np.array([0, 6, 1])), ValueError, "order"),
    ("order-negative", lambda c: c.update(order=np.array([0, -1, 1])), ValueError, "order"),
    ("order-float", lambda c: c.update(order=np.array([0.0, 1.0])), TypeError, "order"),
    ("order-2d", lambda c: c.update(order=np.zeros((2, 2), int)), TypeError, "order"),
    ("order-empty", lambda c: c.update(order=np.array([], int)), ValueError, "order"),
    ("batch_size-zero", lambda c: c.update(batch_size=0), ValueError, "batch_size"),
    ("batch_size-float", lambda c: c.update(batch_size=1.5), TypeError, "batch_size"),
    ("t-negative", lambda c: c.update(t=-1), ValueError, "^t must"),
    ("rule-type", lambda c: c.update(rule="adam"), TypeError, "rule"),
    ("learning_rate-zero", lambda c: c.update(learning_rate=0.0), ValueError, "learning_rate"),
    ("stateful-without-state", lambda c: c.update(rule=make_rule("adam", 0.1)), ValueError, "state"),
    ("momentum-half-state", lambda c: c.update(rule=make_rule("momentum", 0.1),
                                               state_coef=np.zeros((2, 3))), ValueError, "state"),
    ("state_coef-shape", lambda c: c.update(rule=make_rule("adam", 0.1), state_coef=np.zeros((2, 4)),
                                            state_intercept=np.zeros((2, 1))), ValueError, "state_coef"),
    ("state_intercept-dtype", lambda c: c.update(rule=make_rule("adam", 0.1), state_coef=np.zeros((2, 3)),
                                                 state_intercept=np.zeros((2, 1), np.float32)),
     TypeError, "state_intercept"),
    ("state_coef-read-only", lambda c: c.update(rule=make_rule("adam", 0.1),
                                                state_coef=_read_only(np.zeros((2, 3))),
                                                state_intercept=np.zeros((2, 1))), ValueError, "state_coef"),
    # amsgrad, and centered with momentum, keep a third row of state
    ("amsgrad-two-row-state", lambda c: c.update(rule=make_rule("adam", 0.1, amsgrad=True),
                                                 state_coef=np.zeros((2, 3)),
                                                 state_intercept=np.zeros((3, 1))),
     ValueError, "state_coef must have 3 rows"),
    ("centered-two-row-state", lambda c: c.update(
        rule=make_rule("rmsprop", 0.1, centered=True, momentum=0.5),
        state_coef=np.zeros((3, 3)), state_intercept=np.zeros((2, 1))),
     ValueError, "state_intercept must have 3 rows"),
    ("adam-three-row-state", lambda c: c.update(rule=make_rule("adam", 0.1),
                                                state_coef=np.zeros((3, 3)),
                                                state_intercept=np.zeros((3, 1))),
     ValueError, "state_coef must have 2 rows"),
    ("lr_table-short", lambda c: c.update(lr_table=np.full(5, 0.1)), ValueError, "lr_table"),
    ("lr_table-short-batches", lambda c: c.update(batch_size=4, lr_table=np.full(1, 0.1)), ValueError, "lr_table"),
    ("lr_table-2d", lambda c: c.update(lr_table=np.full((6, 1), 0.1)), ValueError, "lr_table"),
    ("lr_table-nan", lambda c: c.update(lr_table=_nan_at(np.full(6, 0.1))), ValueError, "lr_table"),
    ("lr_table-zero", lambda c: c.update(lr_table=np.zeros(6)), ValueError, "lr_table"),
    ("lr_table-negative", lambda c: c.update(lr_table=np.full(6, -0.1)), ValueError, "lr_table"),
]


def _snapshot(call):
    """Deep copies of every array argument (dense or the parts of a CSR)."""
    out = {}
    for name, v in call.items():
        if sp.issparse(v):
            out[name] = (v.data.copy(), v.indices.copy(), v.indptr.copy())
        elif isinstance(v, np.ndarray):
            out[name] = v.copy()
    return out


def _assert_unchanged(call, snapshot):
    for name, before in snapshot.items():
        after = call[name]
        if sp.issparse(after):
            for a, b in zip((after.data, after.indices, after.indptr), before):
                np.testing.assert_array_equal(a, b, err_msg=name)
        else:
            assert after.dtype == before.dtype and after.shape == before.shape, name
            np.testing.assert_array_equal(after, before, err_msg=f"{name} was modified")


# X's values are checked only when a loop meets a non-finite loss (a scan up
# front costs as much as an epoch), so these cases are refused after the loop
# has written its outputs; every other case is refused before anything is
# written, and then the outputs are unchanged too.
FOUND_BY_THE_LOOP = {"X-nan", "X-inf", "X-sparse-nan"}
OUTPUTS = {"grad_coef", "grad_intercept", "coef", "intercept", "state_coef", "state_intercept"}


def _check_refused(function, call, exc, match, case):
    snapshot = _snapshot(call)
    if case in FOUND_BY_THE_LOOP:
        snapshot = {k: v for k, v in snapshot.items() if k not in OUTPUTS}
    with pytest.raises(exc, match=match):
        function(**call)
    _assert_unchanged(call, snapshot)


@pytest.mark.parametrize("case, change, exc, match", PROBLEM_CASES + GRADIENT_CASES,
                         ids=[c[0] for c in PROBLEM_CASES + GRADIENT_CASES])
def test_loss_gradient_refuses_bad_input(case, change, exc, match):
    call = _valid_call()
    call.update(grad_coef=np.full((1, 3), 7.0), grad_intercept=np.full(1, 7.0))
    change(call)
    if call["loss"] == "softmax" and "grad" not in case and call["coef"].shape[0] > 1:
        call.update(grad_coef=np.full(call["coef"].shape, 7.0),
                    grad_intercept=np.full(call["intercept"].shape, 7.0))
    _check_refused(kernels.loss_gradient, call, exc, match, case)


@pytest.mark.parametrize("case, change, exc, match", PROBLEM_CASES + EPOCH_CASES,
                         ids=[c[0] for c in PROBLEM_CASES + EPOCH_CASES])
def test_epoch_refuses_bad_input(case, change, exc, match):
    call = _valid_call()
    call["coef"], call["intercept"] = call["coef"].copy(), call["intercept"].copy()
    change(call)
    _check_refused(kernels.epoch, call, exc, match, case)


def test_valid_calls_are_accepted():
    # the baseline every refusal case changes one thing of is itself valid
    for loss in LOSSES:
        call = _valid_call(loss)
        g = np.empty(call["coef"].shape), np.empty(call["intercept"].shape)
        assert np.isfinite(kernels.loss_gradient(**call, grad_coef=g[0], grad_intercept=g[1]))
        call["coef"], call["intercept"] = call["coef"].copy(), call["intercept"].copy()
        assert np.isfinite(kernels.epoch(**call, lr_table=np.full(6, 0.1)).objective)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_size", [1, 4])
@pytest.mark.parametrize("sparse", [False, True])
def test_absurd_learning_rate_raises_divergence_error(dtype, batch_size, sparse, rng):
    p = make_problem("squared", 50, 5, rng=rng, dtype=dtype, x_scale=100.0, sparse=sparse)
    coef, intercept = p.coef.copy(), p.intercept.copy()
    with pytest.raises(DivergenceError, match="learning rate"):
        kernels.epoch(p.X, p.y, coef, intercept, learning_rate=1e10, batch_size=batch_size)
    assert issubclass(DivergenceError, ValueError)


def test_divergence_at_the_last_step_raises():
    # z = 1e150 gives a finite loss (5e299); the step then moves the weight by
    # 1e10 * 1e150 * 1e150 = inf
    coef, intercept = np.ones((1, 1)), np.zeros(1)
    with pytest.raises(DivergenceError):
        kernels.epoch(np.array([[1e150]]), np.zeros(1), coef, intercept, learning_rate=1e10)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("batch_size", [1, 2])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_samples", [8, 45])
@pytest.mark.parametrize("loss", LOSSES)
def test_nan_in_a_late_row_is_reported_with_the_parameters_of_that_step(sparse, batch_size,
                                                                        dtype, n_samples, loss,
                                                                        rng):
    # the loop meets the last row at the last step; the parameters are those
    # after the steps before it, as the docstring says (float32 per-sample:
    # the float64 working copy is rounded back on the way out; 45 rows: a
    # full group of deferred logistic losses is summed before the break)
    p = make_problem(loss, n_samples, 3, rng=rng, dtype=dtype)
    X = p.X.copy()
    X[-1, 1] = np.nan
    coef, intercept = p.coef.copy(), p.intercept.copy()
    with pytest.raises(ValueError, match="X contains NaN"):
        kernels.epoch(sp.csr_matrix(X) if sparse else X, p.y, coef, intercept, loss=loss,
                      learning_rate=0.1, alpha=0.1, batch_size=batch_size)
    rows_before = (n_samples - 1) // batch_size * batch_size
    _, want_coef, want_int, *_ = reference.epoch(
        X, p.y, p.coef, p.intercept, make_rule("sgd", 0.1), loss=loss, alpha=0.1,
        batch_size=batch_size, order=np.arange(rows_before))
    rtol = RTOL64 if dtype == np.float64 else RTOL32
    assert coef.dtype == dtype and intercept.dtype == dtype
    assert_params_close(coef, want_coef, rtol, "coef")
    assert_params_close(intercept, want_int, rtol, "intercept")


@pytest.mark.parametrize("function", ["loss_gradient", "epoch"])
@pytest.mark.parametrize("name", ["coef", "intercept"])
def test_nan_parameters_are_named(function, name):
    call = _valid_call()
    call["coef"], call["intercept"] = call["coef"].copy(), call["intercept"].copy()
    call[name].flat[0] = np.nan
    if function == "loss_gradient":
        call.update(grad_coef=np.empty((1, 3)), grad_intercept=np.empty(1))
    with pytest.raises(ValueError, match=f"{name} contains NaN"):
        getattr(kernels, function)(**call)


# ----------------------------------------------------- 6. X is never modified

@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
def test_kernels_never_modify_their_inputs(loss, dtype, sparse, rng):
    p = make_problem(loss, 20, 5, rng=rng, dtype=dtype, weighted=True, sparse=sparse)
    order = rng.permutation(20)
    table = np.full(20, 0.05)
    inputs = dict(X=p.X, y=p.y, sample_weight=p.sample_weight, order=order, lr_table=table)
    snapshot = _snapshot(inputs)
    for n_jobs in (1, 2):
        call_loss_gradient(p, alpha=0.1, n_jobs=n_jobs)
    coef = p.coef.copy()
    call_loss_gradient(p.replace(coef=coef), alpha=0.1)
    np.testing.assert_array_equal(coef, p.coef)   # loss_gradient only reads coef
    for batch_size, rule in ((1, make_rule("sgd", 0.05)), (1, make_rule("adam", 0.05)),
                             (3, make_rule("momentum", 0.05)), (50, make_rule("sgd", 0.05))):
        run_epoch(p, rule=rule, alpha=0.5, batch_size=batch_size, order=order)
        run_epoch(p, rule=rule, alpha=0.5, batch_size=batch_size, lr_table=table)
    _assert_unchanged(inputs, snapshot)


def test_epoch_over_zero_weight_samples_only_is_refused():
    X, y = np.array([[1.0], [2.0]]), np.array([0.0, 0.0])
    coef, intercept = np.zeros((1, 1)), np.zeros(1)
    with pytest.raises(ValueError, match="zero sample_weight"):
        kernels.epoch(X, y, coef, intercept, sample_weight=np.array([0.0, 1.0]),
                      order=np.array([0]))
    assert coef[0, 0] == 0.0 and intercept[0] == 0.0


def test_overflow_at_the_last_step_names_that_update():
    # one sample with a finite loss (1/2 1e200) whose update overflows the
    # weight (1e10 * 1e100 * 1e200): no later loss can reveal it
    X, y = np.array([[1e200]]), np.array([1e100])
    coef, intercept = np.zeros((1, 1)), np.zeros(1)
    with pytest.raises(DivergenceError, match="parameters became non-finite at update 1"):
        kernels.epoch(X, y, coef, intercept, learning_rate=1e10)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("sparse", [False, True])
def test_float32_sgd_epoch_keeps_float64_weights_and_rounds_once(loss, sparse, rng):
    # a per-sample plain-SGD epoch on float32 data trains a float64 working
    # copy and rounds it to float32 once, at the end: the result is the
    # float64 reference's, rounded (3e-8 of the largest weight, measured).
    # Rounding after every one of the 1,500 steps drifts by about 2e-7
    # (measured, logistic), outside the bound of one float32 spacing.
    p = make_problem(loss, 1500, 5, rng=rng, dtype=np.float32, sparse=sparse, x_scale=0.5)
    rule = rule_for("sgd", lr=0.05)
    kw = dict(alpha=0.01, batch_size=1, order=rng.permutation(1500))
    got = run_epoch(p, rule=rule, **kw)
    want = run_reference_epoch(p, rule, **kw)
    for name, g, w in (("coef", got[1], want[1]), ("intercept", got[2], want[2])):
        assert g.dtype == np.float32, name
        rounded = np.asarray(w, np.float32)
        np.testing.assert_allclose(g, rounded, rtol=0,
                                   atol=2.0 ** -23 * np.max(np.abs(w)), err_msg=name)


def test_shuffled_order_is_a_uniform_permutation():
    n = 50_000
    order = kernels.shuffled_order(n, random_state=7)
    assert order.dtype == np.intp and order.shape == (n,)
    assert np.array_equal(np.sort(order), np.arange(n))
    assert np.array_equal(order, kernels.shuffled_order(n, random_state=7))
    assert not np.array_equal(order, kernels.shuffled_order(n, random_state=8))
    # each of the 24 orders of 4 rows about equally often: chi-square with 23
    # degrees of freedom stays below 60 with probability 1 - 4e-5
    gen = np.random.default_rng(0)
    draws = 24_000
    counts = {}
    for _ in range(draws):
        key = tuple(kernels.shuffled_order(4, gen))
        counts[key] = counts.get(key, 0) + 1
    assert len(counts) == 24
    expected = draws / 24
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2 < 60, chi2


@pytest.mark.parametrize("n_samples, error", [(0, ValueError), (2.5, TypeError), (True, TypeError)])
def test_shuffled_order_rejects_bad_n_samples(n_samples, error):
    with pytest.raises(error, match="n_samples"):
        kernels.shuffled_order(n_samples, random_state=0)


@pytest.mark.parametrize("n_samples", [1, 3, 4, 37, 64])
def test_logistic_block_losses_match_libm_at_every_output_size(n_samples):
    # the full-batch gradient computes logistic losses four lanes at a time
    # with its own exp and log1p (simd.h): outputs from 0 to past the
    # -708 cut, both signs, partial groups of four, against the reference
    zs = np.array([0.0, -0.0, 1e-300, 1e-12, 0.3, -0.3, 0.6931, 0.8814, 1.0, 2.5, -7.0,
                   20.0, -36.0, 40.0, 700.0, -707.9, 708.5, -745.0, 800.0, -1e4])
    z = np.resize(zs, n_samples) * np.where(np.arange(n_samples) % 3 == 0, -1.0, 1.0)
    y = (np.arange(n_samples) % 2).astype(np.float64)
    # row i is z_i e_i and every weight is 1, so row i's output is z_i
    Xz = np.diag(z)
    coef, intercept = np.ones((1, n_samples)), np.zeros(1)
    g_coef, g_int = np.empty((1, n_samples)), np.empty(1)
    J = kernels.loss_gradient(Xz, y, coef, intercept, g_coef, g_int, loss="logistic")
    J_ref, g_ref, gb_ref = reference.loss_gradient(Xz, y, coef, intercept, loss="logistic")
    np.testing.assert_allclose(J, J_ref, rtol=1e-13)
    np.testing.assert_allclose(g_coef, g_ref, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(g_int, gb_ref, rtol=1e-13)


@pytest.mark.parametrize("n_samples", [31, 32, 33, 100])
def test_logistic_sgd_epoch_objective_with_deferred_losses(n_samples, rng):
    # a per-sample logistic epoch sums its losses 32 steps at a time, after
    # the steps: full and partial groups give the reference's objective
    p = make_problem("logistic", n_samples, 6, rng=rng, weighted=True, x_scale=0.5)
    rule = rule_for("sgd", lr=0.1)
    kw = dict(alpha=0.01, batch_size=1, order=rng.permutation(n_samples))
    assert_epochs_match(run_epoch(p, rule=rule, **kw), run_reference_epoch(p, rule, **kw),
                        RTOL64, check_state=False)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("n_samples, n_features", [(32, 1), (33, 5), (67, 17), (130, 3)])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_loss_gradient_blocks_of_rows_match_reference(loss, dtype, sparse, n_samples,
                                                      n_features, n_jobs, rng):
    # the gradient goes through rows in blocks of 32, four rows at a time
    # into G: full and partial blocks, groups of four and their remainders,
    # in one chunk or two (each with its own padded buffer)
    p = make_problem(loss, n_samples, n_features, rng=rng, dtype=dtype, weighted=True,
                     sparse=sparse)
    p64 = _as_dtype(p, np.float64) if dtype == np.float32 else p
    assert_within(call_loss_gradient(p, alpha=0.1, n_jobs=n_jobs),
                  reference_loss_gradient(p64, 0.1), rounding_scales(p64, 0.1), RTOL64)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("sparse", [False, True])
def test_minibatch_epoch_blocks_in_a_shuffled_order_match_reference(loss, sparse, rng):
    # batches of 70 rows: two blocks of 32 and a partial one, read through
    # a shuffled order, in every batch
    p = make_problem(loss, 150, 6, rng=rng, weighted=True, sparse=sparse, x_scale=0.5)
    rule = rule_for("momentum")
    kw = dict(alpha=0.01, batch_size=70, order=rng.permutation(150))
    assert_epochs_match(run_epoch(p, rule=rule, **kw), run_reference_epoch(p, rule, **kw),
                        RTOL64)


@pytest.mark.parametrize("n_samples", [1, 3, 4, 37])
@pytest.mark.parametrize("n_classes", [2, 3, 7])
def test_softmax_block_losses_match_libm(n_samples, n_classes):
    # the gradient's softmax losses run four samples at a time with their own
    # exp and log (simd.h): outputs far apart (terms that underflow), equal
    # (ties for the maximum), large and small, against the reference
    gen = np.random.default_rng(n_samples * 10 + n_classes)
    Z = gen.choice([0.0, -0.0, 1e-12, 0.5, -3.0, 30.0, -30.0, 700.0, -745.0, 1e3],
                   size=(n_samples, n_classes))
    y = gen.integers(0, n_classes, n_samples).astype(np.float64)
    # sample i is e_i and the weights of class k are column k of Z, so the
    # outputs of sample i are row i of Z
    X = np.eye(n_samples)
    coef, intercept = np.ascontiguousarray(Z.T), np.zeros(n_classes)
    g_coef, g_int = np.empty_like(coef), np.empty(n_classes)
    J = kernels.loss_gradient(X, y, coef, intercept, g_coef, g_int, loss="softmax")
    J_ref, g_ref, gb_ref = reference.loss_gradient(X, y, coef, intercept, loss="softmax")
    np.testing.assert_allclose(J, J_ref, rtol=1e-13)
    np.testing.assert_allclose(g_coef, g_ref, rtol=1e-13, atol=1e-300)
    # each intercept gradient is a mean of terms in [-1, 1] that may cancel
    np.testing.assert_allclose(g_int, gb_ref, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("loss", ["logistic", "softmax"])
@pytest.mark.parametrize("n_samples", [1, 5, 40])
def test_block_losses_report_an_overflowed_output(loss, n_samples):
    # finite X and coef whose product overflows to inf - inf = NaN in one
    # output (for softmax not the first class, so its maximum stays finite):
    # the vectorized losses must come out non-finite, not a finite number
    # over NaN derivatives (the objective is what callers check)
    K = 3 if loss == "softmax" else 1
    # (the penalty's |coef|^2 stays finite, so only the loss can be NaN; 16
    # features put the two infinite terms in different partial sums)
    X = np.ones((n_samples, 16))
    X[-1] = 1e160
    coef = np.zeros((K, 16))
    coef[K - 1, :2] = [1e153, -1e153]
    y = np.zeros(n_samples)
    g_coef, g_int = np.empty_like(coef), np.empty(K)
    # (the kernel API reports the non-finite objective of finite inputs)
    with pytest.raises(ValueError, match="overflowed"):
        kernels.loss_gradient(X, y, coef, np.zeros(K), g_coef, g_int, loss=loss)


# ------------------------------------------------- square sums of rows and columns

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, density", [((60, 40), 0.2), ((5, 3), 0.0), ((1, 7), 1.0)])
def test_row_and_column_square_sums_equal_numpy(dtype, shape, density):
    from fastgd.kernels._interface import column_square_sums, row_square_sums
    X = sp.random(*shape, density=density, format="csr", random_state=3, dtype=dtype)
    X.data -= 0.5                                    # negative values too
    X_before = X.copy()
    dense = X.toarray().astype(np.float64)
    for A in (X, X.toarray()):
        np.testing.assert_allclose(row_square_sums(A), (dense ** 2).sum(axis=1), rtol=1e-12)
        np.testing.assert_allclose(column_square_sums(A), (dense ** 2).sum(axis=0),
                                   rtol=1e-12)
        assert row_square_sums(A).dtype == column_square_sums(A).dtype == np.float64
    assert (X != X_before).nnz == 0
