"""The multilayer perceptron: one epoch of a 784 -> 128 -> 10
network, fastgd beside torch.nn, scikit-learn's MLPClassifier and the floor
set by the matrix products alone.

The problem is MNIST-shaped synthetic data (60,000 x 784 times
``FASTGD_BENCH_SCALE``, at least 1,000 rows): pixels in [0, 1), labels of a
noisy linear teacher.  The network has a sigmoid hidden layer and softmax
outputs with the cross-entropy, trained by plain SGD at a constant rate,
without penalty, from the same Glorot-uniform start for every
implementation.  Groups ``mlp-epoch-<dtype>-B<batch size>`` (float32 and
float64, batches of 32 and 200):

``fastgd-kernel``
    :func:`fastgd.kernels.mlp.epoch`, a fresh order (``kernels.shuffled_order``) drawn in the
    timed call.
``fastgd-estimator``
    ``MLPClassifier.partial_fit``: input validation, target encoding, the
    divergence yardstick and the epoch.
``torch``
    ``Sequential(Linear, Sigmoid, Linear)``, ``CrossEntropyLoss``,
    ``torch.optim.SGD``, batches gathered through ``torch.randperm`` as a
    torch user writes it (skipped when torch is absent).
``sklearn``
    ``MLPClassifier(solver='sgd', momentum=0).partial_fit`` (it shuffles).
``gemm-floor``
    Only the five matrix products of each batch that every implementation
    performs (two forward, three backward), as NumPy matmuls of the same
    shapes into preallocated outputs: no activation, loss, update or gather.

Threads: the MLP epoch's work is BLAS gemm, so fastgd runs on as many
threads as the BLAS library (``FASTGD_BENCH_BLAS_THREADS`` limits them);
torch gets the same number unless ``FASTGD_BENCH_TORCH_THREADS`` is set.
On a loaded machine threaded timings are unreliable: run on an idle one.

Before timing, each peer runs one epoch in the rows' order from the start
parameters, and the test asserts that it reaches fastgd's loss and
parameters (relative 1e-9 in float64, 1e-4 in float32).
"""
import warnings

import numpy as np
import pytest

import workloads

from fastgd import kernels
from fastgd.kernels import mlp as mk
from fastgd.neural_network import MLPClassifier
from fastgd.optim import make_rule

N_ROWS, MIN_ROWS = 60_000, 1_000
N_FEATURES, N_HIDDEN, N_CLASSES = 784, 128, 10
SIZES = (N_FEATURES, N_HIDDEN, N_CLASSES)
# Constant SGD rate: inputs in [0, 1)^784 have ||x||^2 ~ 260, at which 0.1
# sits at the edge of stability of the hidden layer (a small-scale epoch of
# batches of 32 can end above its start); 0.03 is stable at every scale.
RATE = 0.03
SEED = 20240601
DTYPES = {"float64": np.float64, "float32": np.float32}
BATCH_SIZES = (32, 200)
# The same arithmetic in another order, over up to ~2,000 steps: measured
# differences are ~1e-15 (float64) and ~1e-6 (float32) after 400 steps.
RTOL = {"float64": 1e-9, "float32": 1e-4}

CASES = [pytest.param(dt, bs, id=f"{dt}-B{bs}") for dt in DTYPES for bs in BATCH_SIZES]


def group(dtype_name, batch_size):
    return f"mlp-epoch-{dtype_name}-B{batch_size}"


_DATA = {}


def mnist_like(dtype_name, scale):
    """(X, y, Y): X (n, 784) in the dtype, labels y, one-hot Y in the dtype."""
    key = (dtype_name, scale)
    if key not in _DATA:
        n = max(MIN_ROWS, round(N_ROWS * scale))
        rng = np.random.default_rng(SEED)
        X = rng.random((n, N_FEATURES))
        teacher = rng.normal(size=(N_FEATURES, N_CLASSES))
        y = ((X - 0.5) @ teacher + rng.gumbel(size=(n, N_CLASSES))).argmax(axis=1)
        X = X.astype(DTYPES[dtype_name])
        _DATA[key] = (X, y, np.eye(N_CLASSES, dtype=X.dtype)[y])
    return _DATA[key]


def start_params(dtype):
    """The flat start shared by every implementation (drawn in float64)."""
    return mk.init_params(SIZES, np.float64, random_state=SEED).astype(dtype)


def blas_threads_in_use():
    """Threads of the BLAS libraries as they are now (after any limit)."""
    from threadpoolctl import threadpool_info
    counts = [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
    return max(counts) if counts else 1


# -- the implementations: reset() untimed, run() timed ---------------------------

class FastgdKernelEpoch:
    def __init__(self, X, Y, batch_size, seed=SEED):
        self.X, self.Y, self.batch_size = X, Y, batch_size
        self.rule = make_rule("sgd", RATE)
        self.rng = np.random.default_rng(seed)
        self.reset()

    def reset(self):
        self.theta = start_params(self.X.dtype)

    def run(self, order="shuffle"):
        if isinstance(order, str):
            order = kernels.shuffled_order(self.X.shape[0], self.rng)
        result = mk.epoch(self.X, self.Y, self.theta, SIZES, activation="sigmoid",
                          output="softmax", batch_size=self.batch_size, rule=self.rule,
                          order=order)
        coefs, intercepts = mk.unpack(self.theta, SIZES)
        return result.objective, coefs + intercepts


class FastgdEstimatorEpoch:
    def __init__(self, X, y, batch_size, shuffle=True):
        self.X, self.y = X, y
        self.estimator = MLPClassifier(
            (N_HIDDEN,), activation="sigmoid", solver="minibatch", batch_size=batch_size,
            optimizer="sgd", learning_rate=RATE, shuffle=shuffle, random_state=SEED)
        # a first call on a few rows sets the network up; reset() then writes
        # the start into it through the coefs_ / intercepts_ views
        self.estimator.partial_fit(X[:batch_size], y[:batch_size], classes=np.arange(N_CLASSES))
        self.reset()

    def reset(self):
        coefs, intercepts = mk.unpack(start_params(self.X.dtype), SIZES)
        est = self.estimator
        for view, value in zip(est.coefs_ + est.intercepts_, coefs + intercepts):
            view[...] = value

    def run(self):
        est = self.estimator.partial_fit(self.X, self.y)
        return est.loss_history_[-1], est.coefs_ + est.intercepts_


class TorchEpoch:
    def __init__(self, X, y, batch_size, shuffle=True):
        import torch
        torch.set_num_threads(workloads.env_positive_int("FASTGD_BENCH_TORCH_THREADS", None)
                              or blas_threads_in_use())
        self.torch = torch
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)
        self.batch_size, self.shuffle = batch_size, shuffle
        self.model = torch.nn.Sequential(
            torch.nn.Linear(N_FEATURES, N_HIDDEN), torch.nn.Sigmoid(),
            torch.nn.Linear(N_HIDDEN, N_CLASSES)).to(self.X.dtype)
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=RATE)
        self.reset()

    def reset(self):
        coefs, intercepts = mk.unpack(start_params(np.float64), SIZES)
        with self.torch.no_grad():
            # torch's Linear keeps W as (fan_out, fan_in): ours transposed
            for layer, W, b in zip((self.model[0], self.model[2]), coefs, intercepts):
                layer.weight.copy_(self.torch.from_numpy(W.T.copy()))
                layer.bias.copy_(self.torch.from_numpy(b))

    def run(self):
        torch, B, n = self.torch, self.batch_size, self.X.shape[0]
        perm = torch.randperm(n) if self.shuffle else None
        total = 0.0
        for lo in range(0, n, B):
            index = perm[lo:lo + B] if perm is not None else slice(lo, lo + B)
            xb, yb = self.X[index], self.y[index]
            self.optimizer.zero_grad()
            loss = self.loss_fn(self.model(xb), yb)
            loss.backward()
            self.optimizer.step()
            total += loss.item() * len(yb)
        m = self.model
        params = [m[0].weight.detach().numpy().T, m[2].weight.detach().numpy().T,
                  m[0].bias.detach().numpy(), m[2].bias.detach().numpy()]
        return total / n, params


class SklearnEpoch:
    def __init__(self, X, y, batch_size, shuffle=True):
        from sklearn.neural_network import MLPClassifier as SkMLPClassifier
        self.X, self.y = X, y
        self.estimator = SkMLPClassifier(
            (N_HIDDEN,), activation="logistic", solver="sgd", momentum=0.0,
            learning_rate="constant", learning_rate_init=RATE, alpha=0.0,
            batch_size=batch_size, shuffle=shuffle, random_state=SEED)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.estimator.partial_fit(X[:batch_size], y[:batch_size],
                                       classes=np.arange(N_CLASSES))
        self.reset()

    def reset(self):
        # plain SGD without momentum keeps no optimizer state: the start
        # parameters are all there is to reset
        coefs, intercepts = mk.unpack(start_params(self.X.dtype), SIZES)
        self.estimator.coefs_ = [c.copy() for c in coefs]
        self.estimator.intercepts_ = [b.copy() for b in intercepts]

    def run(self):
        est = self.estimator.partial_fit(self.X, self.y)
        # scikit-learn's epoch loss is also the mean of the losses met before
        # each step
        return est.loss_curve_[-1], est.coefs_ + est.intercepts_


class GemmFloor:
    def __init__(self, X, batch_size):
        self.X, self.batch_size = X, batch_size
        dtype, n = X.dtype, X.shape[0]
        self.W1, self.W2 = (c.copy() for c in mk.unpack(start_params(dtype), SIZES)[0])
        self.G1, self.G2 = np.empty_like(self.W1), np.empty_like(self.W2)

        def buffers(m):
            # moderate values: garbage could hold denormals, which slow BLAS
            return tuple(np.full((m, k), 0.01, dtype)
                         for k in (N_HIDDEN, N_CLASSES, N_HIDDEN, N_CLASSES))

        self.work = {m: buffers(m) for m in {batch_size, n % batch_size} if m}

    def reset(self):
        pass

    def run(self):
        X, W1, W2, G1, G2 = self.X, self.W1, self.W2, self.G1, self.G2
        for lo in range(0, X.shape[0], self.batch_size):
            xb = X[lo:lo + self.batch_size]
            H, Z, D1, D2 = self.work[xb.shape[0]]
            np.matmul(xb, W1, out=H)        # forward: hidden
            np.matmul(H, W2, out=Z)         # forward: output
            np.matmul(H.T, D2, out=G2)      # backward: output weights' gradient
            np.matmul(D2, W2.T, out=D1)     # backward: hidden errors
            np.matmul(xb.T, D1, out=G1)     # backward: hidden weights' gradient
        return G1, G2


# -- agreement -------------------------------------------------------------------

_SEQUENTIAL = {}


def fastgd_sequential(dtype_name, batch_size, scale):
    """fastgd's epoch in the rows' order from the start: the yardstick."""
    key = (dtype_name, batch_size, scale)
    if key not in _SEQUENTIAL:
        X, _, Y = mnist_like(dtype_name, scale)
        _SEQUENTIAL[key] = FastgdKernelEpoch(X, Y, batch_size).run(order=None)
    return _SEQUENTIAL[key]


def assert_agrees(dtype_name, batch_size, scale, result):
    loss, params = result
    ref_loss, ref_params = fastgd_sequential(dtype_name, batch_size, scale)
    rtol = RTOL[dtype_name]
    np.testing.assert_allclose(loss, ref_loss, rtol=rtol)
    assert len(params) == len(ref_params)
    for theirs, ours in zip(params, ref_params):
        np.testing.assert_allclose(theirs, ours, rtol=rtol, atol=rtol * np.abs(ours).max())


def objective(X, Y, params):
    """The full-batch cross-entropy at params (W1, W2, b1, b2: fastgd's
    layout, which is also the order of every workload's result)."""
    theta = np.concatenate([np.ravel(p) for p in params]).astype(X.dtype)
    return mk.loss_gradient(X, Y, theta, np.empty(theta.size), SIZES, activation="sigmoid",
                            output="softmax")


def assert_trained(X, Y, result):
    """A shuffled epoch from the start lowers the objective."""
    loss, params = result
    assert np.isfinite(loss)
    start = mk.unpack(start_params(X.dtype), SIZES)
    assert objective(X, Y, params) < objective(X, Y, start[0] + start[1])


# -- the benchmarks --------------------------------------------------------------

@pytest.mark.parametrize("dtype_name, batch_size", CASES)
def test_fastgd_kernel(measure, scale, dtype_name, batch_size):
    X, _, Y = mnist_like(dtype_name, scale)
    workload = FastgdKernelEpoch(X, Y, batch_size)
    assert_trained(X, Y, measure(workload, group(dtype_name, batch_size), impl="fastgd-kernel"))
    # the shuffled loop visits exactly the rows of its permutation: the same
    # epoch as a sequential one over the rows permuted into that order
    order = np.random.default_rng(1).permutation(X.shape[0])
    workload.reset()
    shuffled = workload.run(order=order)
    again = FastgdKernelEpoch(np.ascontiguousarray(X[order]), np.ascontiguousarray(Y[order]),
                              batch_size).run(order=None)
    np.testing.assert_allclose(shuffled[0], again[0], rtol=1e-12)
    for a, b in zip(shuffled[1], again[1]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype_name, batch_size", CASES)
def test_fastgd_estimator(measure, scale, dtype_name, batch_size):
    X, y, Y = mnist_like(dtype_name, scale)
    assert_trained(X, Y, measure(FastgdEstimatorEpoch(X, y, batch_size),
                                 group(dtype_name, batch_size), impl="fastgd-estimator"))
    assert_agrees(dtype_name, batch_size, scale,
                  FastgdEstimatorEpoch(X, y, batch_size, shuffle=False).run())


@pytest.mark.parametrize("dtype_name, batch_size", CASES)
def test_torch(measure, scale, dtype_name, batch_size):
    pytest.importorskip("torch")
    X, y, Y = mnist_like(dtype_name, scale)
    assert_trained(X, Y, measure(TorchEpoch(X, y, batch_size), group(dtype_name, batch_size),
                                 impl="torch"))
    assert_agrees(dtype_name, batch_size, scale, TorchEpoch(X, y, batch_size, shuffle=False).run())


@pytest.mark.parametrize("dtype_name, batch_size", CASES)
def test_sklearn(measure, scale, dtype_name, batch_size):
    pytest.importorskip("sklearn")
    X, y, Y = mnist_like(dtype_name, scale)
    assert_trained(X, Y, measure(SklearnEpoch(X, y, batch_size), group(dtype_name, batch_size),
                                 impl="sklearn"))
    assert_agrees(dtype_name, batch_size, scale,
                  SklearnEpoch(X, y, batch_size, shuffle=False).run())


@pytest.mark.parametrize("dtype_name, batch_size", CASES)
def test_gemm_floor(measure, scale, dtype_name, batch_size):
    X, _, _ = mnist_like(dtype_name, scale)
    workload = GemmFloor(X, batch_size)
    G1, G2 = measure(workload, group(dtype_name, batch_size), impl="gemm-floor")
    # the last batch's products, against an independent computation
    lo = (X.shape[0] - 1) // batch_size * batch_size
    H, _, D1, D2 = workload.work[X.shape[0] - lo]
    # relative to the largest entry: a float32 sum of terms of both signs
    # can land near zero, where its rounding is large relative to itself
    for got, want in ((G1, X[lo:].T.astype(np.float64) @ D1), (G2, H.T.astype(np.float64) @ D2)):
        np.testing.assert_allclose(got, want, rtol=RTOL[dtype_name],
                                   atol=RTOL[dtype_name] * np.abs(want).max())
