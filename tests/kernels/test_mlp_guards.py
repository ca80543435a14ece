"""The guards of :mod:`fastgd.mlp_kernels` in front of its unchecked compiled
loops: every rejected call raises a ValueError naming the argument before any
compiled code runs, and leaves every array of the call as it was.

The ``no_kernel`` fixture replaces the compiled entry points by functions that
fail the test, so a guard that lets a call through shows as a test failure
instead of a crash (an oversized network makes the real kernels segfault).
"""
import numpy as np
import pytest

from fastgd.kernels import _mlp
from fastgd import mlp_kernels as mk
from fastgd.optim import make_rule

DTYPES = (np.float64, np.float32)
SIZES = (3, 4, 2)
N = 20
# Every width is below 2**31, yet the layer products sum to 2**64 + 64: an
# int64 count wraps to n_params == 64 (found by /tmp/audit_kernels).
WRAPPING_SIZES = [1, 2147483647, 1073741810, 2147483647, 1073741810, 2147483647,
                  1073741810, 2147483647, 1073741810, 2147483647, 107, 1, 130940, 1,
                  536772682, 2, 1]


@pytest.fixture
def no_kernel(monkeypatch):
    """Make any compiled call of mlp_kernels fail the test."""
    def kernel_called(*args, **kwargs):
        raise AssertionError("a compiled kernel ran on input that should be rejected")
    for name in ("layout", "loss_gradient", "epoch", "predict"):
        monkeypatch.setattr(_mlp, name, kernel_called)


def problem(dtype=np.float64, seed=0):
    """X, Y, theta of a small regression network."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, SIZES[0])).astype(dtype)
    Y = rng.standard_normal((N, SIZES[-1])).astype(dtype)
    return X, Y, mk.init_params(SIZES, dtype, random_state=seed)


def call(function, X, Y, theta, *, grad=None, out=None, **kwargs):
    """Call one public kernel on the problem, with a fresh grad when None."""
    if function == "loss_gradient":
        grad = np.full(theta.size, np.nan) if grad is None else grad
        return mk.loss_gradient(X, Y, theta, grad, SIZES, **kwargs)
    if function == "epoch":
        return mk.epoch(X, Y, theta, SIZES, **kwargs)
    return mk.predict(X, theta, SIZES, out=out, **kwargs)


def assert_rejected(run, arrays, *names):
    """run() raises a ValueError naming every one of names, and leaves the
    arrays (a dict of name -> array) exactly as they were."""
    before = {name: np.array(a, copy=True) for name, a in arrays.items()}
    with pytest.raises(ValueError) as info:
        run()
    for name in names:
        assert name in str(info.value), (name, str(info.value))
    for name, a in arrays.items():
        np.testing.assert_array_equal(a, before[name], err_msg=f"{name} was modified")


# --- 1. networks too large for the compiled code to index -----------------------

def test_count_params_of_a_huge_network_is_exact():
    # 2**59 weights: large, yet within what the compiled code can index
    counts = mk.count_params((2**30, 2**29))
    assert counts == (2**59, 2**59 + 2**29)
    assert all(type(c) is int for c in counts)


@pytest.mark.parametrize("sizes", [WRAPPING_SIZES, (2**30, 2**30), (2**31 - 1,) * 3],
                         ids=["wraps-to-64", "2**60-weights", "three-widest"])
def test_count_params_rejects_a_network_too_large(no_kernel, sizes):
    with pytest.raises(ValueError, match="layer_sizes"):
        mk.count_params(sizes)


def test_work_buffer_bound_rejects_layer_sizes(no_kernel, monkeypatch):
    # the work buffers (2 * 256 rows of every layer's units, ...) outgrow the
    # parameters; a lowered bound shows that they are checked too
    _, n_params = mk.count_params(SIZES)
    monkeypatch.setattr(mk, "_MAX_VALUES", 10 * n_params)
    with pytest.raises(ValueError, match="layer_sizes"):
        mk.count_params(SIZES)


@pytest.mark.parametrize("function", ["loss_gradient", "epoch", "predict", "init_params",
                                      "unpack"])
def test_network_too_large_is_rejected_before_any_kernel(no_kernel, function):
    # the 64-element theta matches the wrapped count: before the fix it passed
    # validation and loss_gradient and epoch segfaulted
    X, Y, theta, grad = np.ones((1, 1)), np.ones((1, 1)), np.zeros(64), np.zeros(64)
    calls = {
        "loss_gradient": lambda: mk.loss_gradient(X, Y, theta, grad, WRAPPING_SIZES),
        "epoch": lambda: mk.epoch(X, Y, theta, WRAPPING_SIZES),
        "predict": lambda: mk.predict(X, theta, WRAPPING_SIZES),
        "init_params": lambda: mk.init_params(WRAPPING_SIZES),
        "unpack": lambda: mk.unpack(theta, WRAPPING_SIZES),
    }
    assert_rejected(calls[function], dict(X=X, Y=Y, theta=theta, grad=grad), "layer_sizes")


# --- 2. a written buffer overlapping another array of the call ------------------

def carve(buf, offset, shape, dtype):
    """A C-contiguous array of this shape and dtype inside the bytes buf,
    offset items of dtype from its start."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape))
    start = offset * dtype.itemsize
    return buf[start:start + size * dtype.itemsize].view(dtype).reshape(shape)


def overlap_case(case, dtype):
    """(run, arrays, names): a call where the written buffer names[0] shares
    memory with names[1]; arrays holds every array of the call."""
    X, Y, theta = problem(dtype)
    n_params = theta.size
    buf = np.zeros(64 * 1024, dtype=np.uint8)
    adam = make_rule("adam", 0.01)

    def inside(array, offset=0):
        """array copied into buf at offset (items of its dtype)."""
        view = carve(buf, offset, array.shape, array.dtype)
        view[...] = array
        return view

    if case == "grad-is-theta":
        theta = theta.astype(np.float64)    # grad is float64: only then can it be theta
        X, Y = X.astype(np.float64), Y.astype(np.float64)
        return (lambda: mk.loss_gradient(X, Y, theta, theta, SIZES),
                dict(X=X, Y=Y, theta=theta), ("grad", "theta"))
    if case in ("grad-in-X", "grad-in-Y", "grad-in-theta", "grad-in-sample_weight"):
        arrays = dict(X=X, Y=Y, theta=theta, sample_weight=np.ones(N, dtype))
        read = case.split("-in-")[1]
        arrays[read] = inside(arrays[read])
        # a float64 grad starting one byte-aligned float64 into the read array
        grad = carve(buf, 1, (n_params,), np.float64)
        arrays["grad"] = grad
        return (lambda: mk.loss_gradient(arrays["X"], arrays["Y"], arrays["theta"], grad,
                                         SIZES, sample_weight=arrays["sample_weight"]),
                arrays, ("grad", read))
    if case == "grad-in-copied-X":
        # a Fortran-ordered X is copied for the kernel: writing grad would
        # still modify the caller's X
        Xf = carve(buf, 0, (SIZES[0], N), dtype).T
        Xf[...] = X
        grad = carve(buf, 0, (n_params,), np.float64)
        return (lambda: mk.loss_gradient(Xf, Y, theta, grad, SIZES),
                dict(X=Xf, Y=Y, theta=theta, grad=grad), ("grad", "X"))
    if case in ("state-in-theta", "state-in-X", "state-in-Y", "state-in-order",
                "state-in-lr_table", "state-in-sample_weight"):
        read = case.split("-in-")[1]
        arrays = dict(X=X, Y=Y, theta=theta, order=np.arange(N)[::-1].copy(),
                      lr_table=np.full(N, 0.01), sample_weight=np.ones(N, dtype))
        arrays[read] = inside(arrays[read], 3)
        state = carve(buf, 1, (2, n_params), np.float64)    # holds part of arrays[read]
        arrays["state"] = state
        return (lambda: mk.epoch(arrays["X"], arrays["Y"], arrays["theta"], SIZES,
                                 rule=adam, state=state, order=arrays["order"],
                                 lr_table=arrays["lr_table"],
                                 sample_weight=arrays["sample_weight"]),
                arrays, ("state", read))
    if case in ("theta-in-X", "theta-in-Y"):
        read = case.split("-in-")[1]
        arrays = dict(X=X, Y=Y)
        arrays[read] = inside(arrays[read])
        arrays["theta"] = theta = inside(theta, 2)
        return (lambda: mk.epoch(arrays["X"], arrays["Y"], theta, SIZES, batch_size=4),
                arrays, ("theta", read))
    if case in ("out-in-X", "out-in-theta"):
        read = case.split("-in-")[1]
        arrays = dict(X=X, theta=theta)
        arrays[read] = inside(arrays[read])
        out = carve(buf, 1, (N, SIZES[-1]), dtype)
        arrays["out"] = out
        return (lambda: mk.predict(arrays["X"], arrays["theta"], SIZES, out=out),
                arrays, ("out", read))
    raise AssertionError(case)


OVERLAP_CASES = ["grad-is-theta", "grad-in-X", "grad-in-Y", "grad-in-theta",
                 "grad-in-sample_weight", "grad-in-copied-X", "state-in-theta",
                 "state-in-X", "state-in-Y", "state-in-order", "state-in-lr_table",
                 "state-in-sample_weight", "theta-in-X", "theta-in-Y", "out-in-X",
                 "out-in-theta"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", OVERLAP_CASES)
def test_overlapping_buffers_are_rejected(no_kernel, case, dtype):
    run, arrays, names = overlap_case(case, dtype)
    assert_rejected(run, arrays, *names)


@pytest.mark.parametrize("dtype", DTYPES)
def test_disjoint_views_of_one_buffer_are_accepted(dtype):
    # parameters and state side by side in one allocation are fine
    X, Y, theta0 = problem(dtype)
    n_params = theta0.size
    itemsize = np.dtype(dtype).itemsize
    buf = np.zeros(2 * n_params * 8 + n_params * itemsize, dtype=np.uint8)
    state = carve(buf, 0, (2, n_params), np.float64)
    theta = buf[2 * n_params * 8:].view(dtype)
    theta[...] = theta0
    mk.epoch(X, Y, theta, SIZES, rule=make_rule("adam", 0.01), state=state, batch_size=4)
    assert not np.array_equal(theta, theta0) and state.any()


# --- 3. non-finite parameters ---------------------------------------------------

@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("function", ["loss_gradient", "epoch", "predict"])
def test_non_finite_theta_is_rejected(no_kernel, function, dtype, bad):
    X, Y, theta = problem(dtype)
    theta[0] = bad            # a first-layer weight: relu(NaN) is 0 in the kernel
    grad = np.full(theta.size, 7.0)
    assert_rejected(lambda: call(function, X, Y, theta, grad=grad),
                    dict(X=X, Y=Y, theta=theta, grad=grad), "theta")


# --- 4. no positive weight among the rows an epoch visits -----------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("order", [[0], [2, 0, 2]])
def test_epoch_with_zero_weight_on_every_visited_row(no_kernel, dtype, order):
    X, Y, theta = problem(dtype)
    sample_weight = np.ones(N, dtype)
    sample_weight[[0, 2]] = 0.0
    order = np.array(order)
    assert_rejected(lambda: mk.epoch(X, Y, theta, SIZES, order=order,
                                     sample_weight=sample_weight),
                    dict(X=X, Y=Y, theta=theta, order=order, sample_weight=sample_weight),
                    "sample_weight")


def test_epoch_with_one_positive_visited_weight_runs():
    X, Y, theta = problem()
    sample_weight = np.zeros(N)
    sample_weight[1] = 0.5
    result = mk.epoch(X, Y, theta, SIZES, order=np.array([0, 1, 2]),
                      sample_weight=sample_weight)
    assert np.isfinite(result.objective)
