"""The workloads of the benchmarks: data, and each implementation as a callable.

Shared by the pytest-benchmark suites (``test_*_bench.py``) and by
``compare.py``, so that both time exactly the same code on the same data.

Every workload is an object with ``reset()`` (untimed: fresh parameters,
fresh estimator) and ``run()`` (timed: the work itself, returning its
result), so that a timing harness can call ``reset`` before each repeat and
time only ``run``.  Whatever a user of the library would pay on each call is
inside ``run``: input validation of the public API, the shuffled order of an
epoch (drawn by ``kernels.shuffled_order``, as fastgd's estimators draw it;
scikit-learn draws its own inside ``fit``), allocation of
temporaries by NumPy.

The standard sizes (dense 200,000 x 100; CSR 100,000 x 100,000 with 50
non-zeros a row; 1,000,000 x 100 for time to a good model) are multiplied by a
scale factor, ``FASTGD_BENCH_SCALE`` in the environment (default 1.0), so that the
suite can be smoke-tested on a small machine: ``FASTGD_BENCH_SCALE=0.01``.
"""
import functools
import os
import sys
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

try:
    import fastgd  # noqa: F401
except ImportError:  # running from a checkout without PYTHONPATH=src
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "src"))

from fastgd import kernels
from fastgd.optim import make_rule

# -- the standard settings -----------------------------------------------------
DENSE_ROWS, DENSE_FEATURES = 200_000, 100
SPARSE_ROWS, SPARSE_FEATURES, SPARSE_NNZ_PER_ROW = 100_000, 100_000, 50
MODEL_ROWS, MODEL_FEATURES, MODEL_TEST_FRACTION = 1_000_000, 100, 0.2
SOFTMAX_CLASSES = 5
ALPHA = 1e-4
# Constant SGD rates, the same for fastgd and scikit-learn.  With standardized
# features ||x||^2 ~ d = 100: eta ||x||^2 L'' stays well below 2 (stable) for
# the squared loss (L'' = 1) and the logistic loss (L'' <= 1/4); sparse rows
# are scaled to ||x|| ~ 1.
SGD_RATE = {"squared": 0.001, "logistic": 0.01}
SPARSE_SGD_RATE = 0.1
MINIBATCH = 32
ADAM_RATE = 1e-3
# Rates of the update rules, each stable on the logistic problem.
RULE_RATES = {"sgd": 0.01, "momentum": 0.001, "nesterov": 0.001, "adagrad": 0.01,
              "rmsprop": 0.001, "adam": 0.001, "adamw": 0.001}
RULES = tuple(RULE_RATES)
# Smallest sizes a scale may shrink to: below them the timings mean nothing.
MIN_DENSE_ROWS, MIN_SPARSE_SIZE, MIN_MODEL_ROWS = 1_000, 1_000, 5_000
SEED = 20240601
DTYPES = {"float64": np.float64, "float32": np.float32}


def parse_scale(value, name="FASTGD_BENCH_SCALE"):
    """A positive finite scale factor from a string (environment or command line)."""
    try:
        scale = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not (np.isfinite(scale) and scale > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return scale


def env_scale(default="1.0"):
    """The scale factor of the sizes, from ``FASTGD_BENCH_SCALE`` (else ``default``)."""
    return parse_scale(os.environ.get("FASTGD_BENCH_SCALE") or default)


def dense_shape(scale):
    return max(MIN_DENSE_ROWS, round(DENSE_ROWS * scale)), DENSE_FEATURES


def sparse_shape(scale):
    """(rows, columns, non-zeros per row): rows and columns shrink together."""
    n = max(MIN_SPARSE_SIZE, round(SPARSE_ROWS * scale))
    d = max(MIN_SPARSE_SIZE, round(SPARSE_FEATURES * scale))
    return n, d, min(SPARSE_NNZ_PER_ROW, d)


def model_shape(scale):
    return max(MIN_MODEL_ROWS, round(MODEL_ROWS * scale)), MODEL_FEATURES


# -- data ----------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def dense_features(n, d, dtype_name):
    """Standard normal features (standardized by construction), C-contiguous;
    the float32 matrix is the float64 one rounded, so both dtypes see the
    same problem."""
    if dtype_name == "float32":
        return dense_features(n, d, "float64").astype(np.float32)
    return np.random.default_rng(SEED).standard_normal((n, d))


@functools.lru_cache(maxsize=None)
def dense_problem(loss, dtype_name, scale):
    """(X, y) of the dense benchmarks: y from a random linear model, with
    noise (squared), Bernoulli draws (logistic) or the arg-max of noisy
    scores (softmax, classes 0..K-1)."""
    n, d = dense_shape(scale)
    X = dense_features(n, d, dtype_name)
    rng = np.random.default_rng(SEED + 1)
    X64 = dense_features(n, d, "float64")
    if loss == "softmax":
        W = rng.standard_normal((SOFTMAX_CLASSES, d)) / np.sqrt(d)
        y = (X64 @ W.T + rng.gumbel(size=(n, SOFTMAX_CLASSES))).argmax(axis=1)
    else:
        z = X64 @ (rng.standard_normal(d) / np.sqrt(d)) + 0.5
        if loss == "squared":
            y = z + 0.1 * rng.standard_normal(n)
        else:
            y = rng.random(n) < expit(2.0 * z)
    return X, np.ascontiguousarray(y, dtype=DTYPES[dtype_name])


@functools.lru_cache(maxsize=None)
def sparse_problem(scale):
    """(X, y): CSR float64 with exactly ``nnz`` distinct sorted columns per
    row, values scaled so that ||x|| ~ 1, and 0/1 labels of a logistic model."""
    n, d, nnz = sparse_shape(scale)
    rng = np.random.default_rng(SEED + 2)
    # k sorted draws from [0, d - k] plus 0..k-1 are k distinct sorted columns
    cols = np.sort(rng.integers(0, d - nnz + 1, size=(n, nnz)), axis=1) + np.arange(nnz)
    data = rng.standard_normal(n * nnz) / np.sqrt(nnz)
    indptr = np.arange(0, n * nnz + 1, nnz)
    X = sp.csr_matrix((data, cols.ravel().astype(np.int32), indptr.astype(np.int32)), shape=(n, d))
    z = X @ (3.0 * rng.standard_normal(d)) + 0.3
    y = (rng.random(n) < expit(z)).astype(np.float64)
    return X, y


def model_problem(scale):
    """(X_train, y_train, X_test, y_test): correlated Gaussian features (five
    groups sharing a factor, correlation 0.5 within a group, so that the
    problem is not perfectly conditioned), standardized with the training
    statistics, labels drawn from a logistic model; the last 20% held out."""
    n, d = model_shape(scale)
    rng = np.random.default_rng(SEED + 3)
    X = rng.standard_normal((n, d))
    X *= np.sqrt(0.5)
    X += np.sqrt(0.5) * rng.standard_normal((n, 5))[:, np.arange(d) % 5]
    n_train = n - round(MODEL_TEST_FRACTION * n)
    mean, std = X[:n_train].mean(axis=0), X[:n_train].std(axis=0)
    X -= mean
    X /= std
    w = rng.standard_normal(d) * (2.0 / np.sqrt(d))
    y = (rng.random(n) < expit(X @ w - 0.5)).astype(np.float64)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def heldout_log_loss(decision, y):
    """Mean log-loss of 0/1 labels y at decision values z: log(1 + e^z) - y z."""
    z = np.asarray(decision, dtype=np.float64).ravel()
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


# -- the full-batch gradient ---------------------------------------------------
def zero_params(K, d, dtype):
    return np.zeros((K, d), dtype=dtype), np.zeros(K, dtype=dtype)


def start_params(loss, d, dtype):
    """Small non-zero parameters (fixed seed), so that a gradient is not
    computed at a special point."""
    K = SOFTMAX_CLASSES if loss == "softmax" else 1
    rng = np.random.default_rng(SEED + 4)
    return ((0.1 * rng.standard_normal((K, d))).astype(dtype),
            (0.1 * rng.standard_normal(K)).astype(dtype))


class FastgdGradient:
    """fastgd.kernels.loss_gradient into caller-owned buffers (as the kernel
    API is meant to be used)."""

    def __init__(self, X, y, loss, n_jobs, alpha=ALPHA):
        self.X, self.y, self.loss, self.n_jobs, self.alpha = X, y, loss, n_jobs, alpha
        self.coef, self.intercept = start_params(loss, X.shape[1], X.dtype)
        self.grad_coef = np.empty(self.coef.shape)
        self.grad_intercept = np.empty(self.intercept.shape)

    def reset(self):
        pass

    def run(self):
        kernels.loss_gradient(self.X, self.y, self.coef, self.intercept, self.grad_coef,
                              self.grad_intercept, loss=self.loss, alpha=self.alpha,
                              n_jobs=self.n_jobs)
        return self.grad_coef, self.grad_intercept


class NumpyGradient:
    """The vectorized NumPy / SciPy gradient, in the dtype of X:
    X^T (h(X w + b) - y) / n + alpha w with h the identity, the sigmoid or
    the softmax (minus the one-hot labels)."""

    def __init__(self, X, y, loss, alpha=ALPHA):
        self.X, self.y, self.loss, self.alpha = X, y, loss, alpha
        self.coef, self.intercept = start_params(loss, X.shape[1], X.dtype)
        if loss == "softmax":
            self.labels = y.astype(np.intp)

    def reset(self):
        pass

    def run(self):
        X, n, alpha = self.X, self.X.shape[0], self.alpha
        if self.loss == "softmax":
            # scores as (K, n): the reductions over the K classes then run
            # along contiguous rows, far faster in NumPy than along axis 1
            # of an (n, K) array
            Z = self.coef @ X.T + self.intercept[:, None]
            Z -= Z.max(axis=0)
            np.exp(Z, out=Z)
            Z /= Z.sum(axis=0)
            Z[self.labels, np.arange(n)] -= 1.0
            return Z @ X / n + alpha * self.coef, Z.sum(axis=1) / n
        # a 1-D w makes X @ w a matrix-vector product (gemv)
        w = self.coef[0]
        z = X @ w + self.intercept[0]
        r = z - self.y if self.loss == "squared" else expit(z) - self.y
        return (X.T @ r / n + alpha * w)[None, :], np.array([r.sum() / n])


def expected_gradient(X, y, loss, alpha=ALPHA):
    """The reference gradient (fastgd.reference, in float64) at start_params."""
    from fastgd import reference
    coef, intercept = start_params(loss, X.shape[1], X.dtype)
    if sp.issparse(X):
        # the reference densifies X: use the same formula through scipy in float64
        _, dz = reference.sample_losses(loss, X @ coef.T.astype(np.float64) + intercept, y)
        n = X.shape[0]
        return (X.T @ dz).T / n + alpha * coef, dz.sum(axis=0) / n
    _, gW, gb = reference.loss_gradient(X, y, coef, intercept, loss=loss, alpha=alpha)
    return gW, gb


def relative_error(a, b):
    """max |a - b| / max |b|: an error relative to the size of the result."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


# -- one SGD epoch -------------------------------------------------------------
def objective(X, y, coef, intercept, loss, alpha=ALPHA):
    """The full-batch objective at these parameters (fastgd's kernel, float64)."""
    coef = np.ascontiguousarray(coef, dtype=X.dtype).reshape(1, -1)
    intercept = np.ascontiguousarray(intercept, dtype=X.dtype).reshape(1)
    return kernels.loss_gradient(X, y, coef, intercept, np.empty(coef.shape),
                                 np.empty(1), loss=loss, alpha=alpha)


class FastgdSGDEpoch:
    """One per-sample SGD epoch of fastgd.kernels.sgd_epoch from zero
    parameters, constant rate, L2 alpha; ``shuffle`` draws a fresh
    order inside the timed call (scikit-learn shuffles inside fit)."""

    def __init__(self, X, y, loss, shuffle, rate=None, alpha=ALPHA, fit_intercept=True, seed=SEED):
        self.X, self.y, self.loss, self.shuffle = X, y, loss, shuffle
        self.rate = SGD_RATE[loss] if rate is None else rate
        self.alpha, self.fit_intercept = alpha, fit_intercept
        self.rng = np.random.default_rng(seed)
        self.reset()

    def reset(self):
        self.coef, self.intercept = zero_params(1, self.X.shape[1], self.X.dtype)

    def run(self):
        order = kernels.shuffled_order(self.X.shape[0], self.rng) if self.shuffle else None
        kernels.sgd_epoch(self.X, self.y, self.coef, self.intercept, loss=self.loss,
                          alpha=self.alpha, learning_rate=self.rate, order=order,
                          fit_intercept=self.fit_intercept)
        self.order = order
        return self.coef[0], self.intercept[0]

    def replay(self):
        """The last epoch again, as a sequential epoch over the rows permuted
        into its order (untimed check that the shuffled loop visits exactly
        those rows): (coef, intercept)."""
        X, y = (self.X, self.y) if self.order is None else (self.X[self.order], self.y[self.order])
        again = FastgdSGDEpoch(X, y, self.loss, shuffle=False, rate=self.rate,
                               alpha=self.alpha, fit_intercept=self.fit_intercept)
        return again.run()


class SklearnSGDEpoch:
    """One epoch of scikit-learn's SGDRegressor / SGDClassifier with the same
    settings (L2, alpha, constant rate eta0, no averaging, no early stopping):
    a fresh estimator's ``fit`` with max_iter=1 and tol=None."""

    def __init__(self, X, y, loss, shuffle, rate=None, alpha=ALPHA, fit_intercept=True, seed=SEED):
        self.X, self.y, self.loss = X, y, loss
        self.params = dict(penalty="l2", alpha=alpha, learning_rate="constant",
                           eta0=SGD_RATE[loss] if rate is None else rate, max_iter=1,
                           tol=None, shuffle=shuffle, fit_intercept=fit_intercept,
                           average=False, early_stopping=False, random_state=seed)
        self.reset()

    def reset(self):
        from sklearn.linear_model import SGDClassifier, SGDRegressor
        if self.loss == "squared":
            self.estimator = SGDRegressor(loss="squared_error", **self.params)
        else:
            self.estimator = SGDClassifier(loss="log_loss", **self.params)

    def run(self):
        from sklearn.exceptions import ConvergenceWarning
        with warnings.catch_warnings():
            # max_iter=1 is the point: one epoch, not convergence
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.estimator.fit(self.X, self.y)
        return np.ravel(self.estimator.coef_), float(np.ravel(self.estimator.intercept_)[0])


class MemoryFloor:
    """X.sum(): one streaming read of X, the floor of any epoch over it."""

    def __init__(self, X):
        self.X = X

    def reset(self):
        pass

    def run(self):
        return self.X.sum()


def reference_epoch_agrees(X, y, loss, rule, batch_size, rows=300, seed=SEED, **kwargs):
    """Run fastgd's epoch and fastgd.reference's on the first ``rows`` rows in
    the same shuffled order from the same parameters; return the largest
    relative difference of (coef, intercept)."""
    from fastgd import reference
    Xs, ys = X[:rows], y[:rows]
    order = np.random.default_rng(seed).permutation(rows)
    coef, intercept = start_params(loss, X.shape[1], X.dtype)
    state_coef, state_intercept = kernels.init_state(coef, intercept)
    ref = reference.epoch(Xs, ys, coef, intercept, rule, loss=loss, alpha=ALPHA,
                          batch_size=batch_size, order=order,
                          state_coef=state_coef, state_intercept=state_intercept)
    kernels.epoch(Xs, ys, coef, intercept, loss=loss, alpha=ALPHA, batch_size=batch_size,
                  rule=rule, order=order, state_coef=state_coef,
                  state_intercept=state_intercept, **kwargs)
    return max(relative_error(coef, ref[1]), relative_error(intercept, ref[2]))


# -- update rules, and Adam against torch ----------------------------------------
class FastgdRuleEpoch:
    """One epoch of fastgd.kernels.epoch with an update rule (batch 1 or a
    mini-batch), shuffled, from zero parameters and zero state."""

    def __init__(self, X, y, loss, rule_name, batch_size, rate=None, alpha=ALPHA, seed=SEED):
        self.X, self.y, self.loss, self.batch_size, self.alpha = X, y, loss, batch_size, alpha
        self.rule = make_rule(rule_name, RULE_RATES[rule_name] if rate is None else rate)
        self.rng = np.random.default_rng(seed)
        self.reset()

    def reset(self):
        self.coef, self.intercept = zero_params(1, self.X.shape[1], self.X.dtype)
        self.state = kernels.init_state(self.coef, self.intercept)

    def run(self, order=None):
        if order is None:
            order = kernels.shuffled_order(self.X.shape[0], self.rng)
        kernels.epoch(self.X, self.y, self.coef, self.intercept, loss=self.loss,
                      alpha=self.alpha, batch_size=self.batch_size, rule=self.rule,
                      order=order, state_coef=self.state[0], state_intercept=self.state[1])
        return self.coef[0], self.intercept[0]


def env_positive_int(name, default):
    """The positive integer in environment variable ``name``; ``default``
    (which may be None) when it is unset or empty."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return number


def torch_threads():
    """Threads given to torch: FASTGD_BENCH_TORCH_THREADS, default 1 (the
    fastgd epoch it is compared with runs on one thread)."""
    return env_positive_int("FASTGD_BENCH_TORCH_THREADS", 1)


def blas_threads():
    """FASTGD_BENCH_BLAS_THREADS as an int, or None when unset (the BLAS
    library then picks its own number of threads)."""
    return env_positive_int("FASTGD_BENCH_BLAS_THREADS", None)


def limit_blas_threads(threads):
    """Limit the BLAS threads of NumPy / SciPy / scikit-learn (threadpoolctl)
    for the rest of the process; None leaves them alone.  Returns the
    limiter (keep a reference to it)."""
    if threads is None:
        return None
    from threadpoolctl import threadpool_limits
    return threadpool_limits(limits=threads, user_api="blas")


class TorchAdamEpoch:
    """One mini-batch epoch of torch.optim.Adam on torch.nn.Linear(d, 1), the
    loss mean 1/2 (x w + b - y)^2 (fastgd's squared loss), in the dtype of X,
    batches of a fresh permutation as a torch user writes it."""

    def __init__(self, X, y, batch_size=MINIBATCH, rate=ADAM_RATE, seed=SEED):
        import torch
        torch.set_num_threads(torch_threads())
        self.torch = torch
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)
        self.batch_size, self.rate = batch_size, rate
        self.rng = np.random.default_rng(seed)
        self.reset()

    def reset(self):
        torch = self.torch
        self.model = torch.nn.Linear(self.X.shape[1], 1, dtype=self.X.dtype)
        with torch.no_grad():
            self.model.weight.zero_()
            self.model.bias.zero_()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=self.rate)

    def run(self, order=None):
        torch = self.torch
        if order is None:
            order = self.rng.permutation(self.X.shape[0])
        order = torch.from_numpy(order)
        X, y, model, optimizer, B = self.X, self.y, self.model, self.optimizer, self.batch_size
        for lo in range(0, X.shape[0], B):
            index = order[lo:lo + B]
            optimizer.zero_grad()
            residual = model(X[index]).squeeze(1) - y[index]
            loss = 0.5 * (residual * residual).mean()
            loss.backward()
            optimizer.step()
        return (model.weight.detach().numpy()[0].copy(),
                float(model.bias.detach().numpy()[0]))


# -- the machine -----------------------------------------------------------------
def machine_info():
    """(label, value) pairs describing the machine and the library versions."""
    import platform
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    info = [("CPU", cpu), ("cores", f"{cores} ({usable} usable)"),
            ("Python", platform.python_version()), ("numpy", np.__version__)]
    import scipy
    info.append(("scipy", scipy.__version__))
    try:
        import sklearn
        info.append(("scikit-learn", sklearn.__version__))
    except ImportError:
        info.append(("scikit-learn", "absent"))
    try:
        import torch
        info.append(("torch", f"{torch.__version__} ({torch_threads()} thread(s))"))
    except ImportError:
        info.append(("torch", "absent"))
    try:
        from threadpoolctl import threadpool_info
        blas = [f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads)"
                for p in threadpool_info() if p.get("user_api") == "blas"]
        info.append(("BLAS", "; ".join(blas) or "unknown"))
    except ImportError:
        pass
    info.append(("fastgd", fastgd.__version__))
    return info
