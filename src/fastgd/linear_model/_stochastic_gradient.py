"""SGDClassifier and SGDRegressor: scikit-learn's estimators of the same
names, with its parameters, defaults, attributes and results, on fastgd's
compiled core.

Layers: these estimators validate input, own the fitted state and run the
stopping rules between epochs; each epoch of each binary (one-vs-rest) or
regression problem is one call of :func:`fastgd.kernels._sgd.sgd_epoch`
without the GIL, specified by :func:`fastgd.reference.sgd.sgd_epoch`.

The bookkeeping of the averaged and the standard parameters across fit and
partial_fit calls follows scikit-learn's own, attribute for attribute, so
that a sequence of calls gives its coefficients; where the two differ it is
said in the docstrings (the rounding of shuffled dense epochs, float32).
"""
import functools
import numbers
import threading
import time
import types
import warnings
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from .._fit import check_shuffle, keeps_model_on_error, lock_of
from .._sklearn_compat import (BaseEstimator, ClassifierMixin, ProbabilisticClassifierMixin,
                               RegressorMixin, r2_score, sklearn_assumes_finite,
                               sparse_coefficients)
from .._validation import (check_array, check_feature_names, check_is_fitted, check_n_features,
                           check_partial_fit_classes, check_sample_weight,
                           check_target, encode_known_labels, encode_labels)
from ..exceptions import ConvergenceWarning, InvalidParameterError
from ..kernels import _common
from ..kernels._blocks import block_geometry
from ..kernels._interface import STATUS_OK, available_cpus
from ..kernels.plain_sgd import PENALTIES, SCHEDULES, PlainSGDState, plain_sgd_config

CLASSIFICATION_LOSSES = ("hinge", "log_loss", "modified_huber", "squared_hinge", "perceptron")
REGRESSION_LOSSES = ("squared_error", "huber", "epsilon_insensitive",
                     "squared_epsilon_insensitive")
# each loss's parameter: the hinge threshold (0: the perceptron), or None
# for the epsilon parameter
_LOSS_PARAM = {"hinge": 1.0, "perceptron": 0.0, "squared_hinge": 1.0, "modified_huber": 0.0,
               "log_loss": 0.0, "squared_error": 0.0, "huber": None,
               "epsilon_insensitive": None, "squared_epsilon_insensitive": None}


def _loss_functions(losses):
    """The ``loss_functions`` of an estimator, as scikit-learn's estimators
    list theirs: each loss name with its kernel loss and fixed parameter
    (None where ``epsilon`` sets it)."""
    return {loss: (loss if loss != "perceptron" else "hinge", _LOSS_PARAM[loss])
            for loss in losses}


_ETA = PlainSGDState.SLOTS["eta"]
_SQ_NORM = PlainSGDState.SLOTS["sq_norm"]
# scikit-learn's intercept step on sparse data: its rows are mostly zero, so
# the intercept would otherwise move much more than any weight
_SPARSE_INTERCEPT_DECAY = 0.01
# the problems' seeds are below scikit-learn's MAX_INT, as its are; an epoch's
# order draws from a 64-bit seed
_MAX_INT = np.iinfo(np.int32).max
_MAX_RANDOM_STATE = 2 ** 32 - 1
_EPOCH_SEEDS = 2 ** 64


def _held_out(y, fraction, random_state, stratify):
    """The samples scikit-learn's SGD estimators hold out for early stopping:
    its ShuffleSplit (regression) or StratifiedShuffleSplit (classification,
    y the class codes in the order of the sorted classes), drawn from the
    same legacy RandomState stream, so the same random_state holds out the
    same samples.  Where a stratified split is impossible (a class of one
    sample, or fewer samples on a side than classes), which scikit-learn
    refuses, the samples are held out at random, as for regression.  An
    empty side is the caller's to refuse."""
    rng = _legacy_random_state(random_state)
    n = y.shape[0]
    n_test = int(np.ceil(fraction * n))
    n_train = n - n_test
    if stratify:
        classes, codes, counts = np.unique(y, return_inverse=True, return_counts=True)
        stratify = counts.min() >= 2 and min(n_train, n_test) >= classes.shape[0]
    if not stratify:
        return rng.permutation(n)[:n_test]
    members = np.split(np.argsort(codes, kind="stable"), np.cumsum(counts)[:-1])
    n_i = _approximate_mode(counts, n_train, rng)
    t_i = _approximate_mode(counts - n_i, n_test, rng)
    train, test = [], []
    for k in range(classes.shape[0]):
        drawn = members[k].take(rng.permutation(counts[k]), mode="clip")
        train.extend(drawn[:n_i[k]])
        test.extend(drawn[n_i[k]:n_i[k] + t_i[k]])
    rng.permutation(train)      # drawn as scikit-learn draws it: the stream moves on
    return np.asarray(rng.permutation(test), dtype=np.intp)


def _legacy_random_state(random_state):
    """The stream scikit-learn's SGD estimators draw from: numpy's global
    RandomState for None (so that np.random.seed makes a fit reproducible,
    and the global stream moves on as it does with scikit-learn), a new
    RandomState for an int, a given RandomState or Generator itself."""
    if random_state is None:
        return np.random.mtrand._rand
    if isinstance(random_state, (np.random.RandomState, np.random.Generator)):
        return random_state
    return np.random.RandomState(random_state)


def _draw_seeds(rng, low=0, size=None):
    """Seeds in [low, 2**31 - 1) from a stream of _legacy_random_state, one
    (size None) or ``size``.  The estimators seed their problems' shuffles
    with draws made where scikit-learn's make theirs (its own shuffle's seed
    and its dataset's): the stream is left where scikit-learn leaves it."""
    if isinstance(rng, np.random.Generator):
        return rng.integers(low, _MAX_INT, size=size)
    return rng.randint(low, _MAX_INT, size=size)


def _second_seed(rng):
    """The seed scikit-learn's fit_binary draws when no split comes between
    its dataset's seed and its own: the second of two draws."""
    _draw_seeds(rng, low=1)
    return int(_draw_seeds(rng))


def _approximate_mode(counts, draws, rng):
    """How many of ``draws`` samples each class gives (scikit-learn's
    approximate mode of the multivariate hypergeometric): the floor of each
    class's share, the rest to the largest remainders, ties broken at random."""
    share = counts / counts.sum() * draws
    taken = np.floor(share)
    missing = int(draws - taken.sum())
    remainder = share - taken
    for value in np.sort(np.unique(remainder))[::-1]:
        if missing <= 0:
            break
        (tied,) = np.where(remainder == value)
        chosen = rng.choice(tied, size=min(len(tied), missing), replace=False)
        taken[chosen] += 1
        missing -= len(chosen)
    return taken.astype(int)


class _probability_method:
    """A predict_proba-like method present only for the losses that give
    probabilities: hasattr is False for the others, as with scikit-learn's
    ``available_if``.  The bound method keeps the function's name, by which
    scikit-learn's helpers (thresholds, calibration, partial dependence)
    choose the positive class's column; from the class it is a function
    that checks its instance when called."""

    def __init__(self, method):
        self.method = method
        functools.update_wrapper(self, method)

    @staticmethod
    def _check(estimator):
        if estimator.loss not in ("log_loss", "modified_huber"):
            raise AttributeError(f"probability estimates are not available for "
                                 f"loss={estimator.loss!r}")

    def __get__(self, estimator, owner=None):
        if estimator is None:
            @functools.wraps(self.method)
            def checked(estimator, *args, **kwargs):
                self._check(estimator)
                return self.method(estimator, *args, **kwargs)
            return checked
        self._check(estimator)
        return types.MethodType(self.method, estimator)


class _Problem:
    """One binary (one-vs-rest) or regression problem in training, an epoch
    at a time: coef (a 1-D array, written at the end) trained from its
    values for up to max_iter epochs, stopped as scikit-learn's _plain_sgd
    stops.  Each problem draws its own orders from its own seed, so its
    result does not depend on which thread runs which epoch: with
    shuffle=True the orders scikit-learn's dataset visits for that seed
    (the same permutation applied once more each epoch), with 'blocks'
    block orders of fastgd's."""

    def __init__(self, est, X, y, sample_weight, coef, intercept, average_coef,
                 average_intercept, weight_pos, weight_neg, max_iter, mask, score, seed):
        self.est, self.X, self.y, self.sample_weight = est, X, y, sample_weight
        self.coef, self.average_coef, self.max_iter, self.score = (coef, average_coef,
                                                                   max_iter, score)
        self.state = PlainSGDState(coef, intercept, average_coef=average_coef,
                                   average_intercept=average_intercept, t=est.t_,
                                   eta0=est.eta0)
        _, param = est._loss_code()
        self.tol = -np.inf if est.tol is None else float(est.tol)
        self.skip = mask if mask.any() else None
        self.train_count = X.shape[0] - int(mask.sum())
        self.order = np.arange(X.shape[0], dtype=np.intp) if est.shuffle else None
        self.seed = seed
        self.blocks = block_geometry(X) if isinstance(est.shuffle, str) else None
        if self.blocks is not None:
            self.block_work = np.empty(-(-X.shape[0] // self.blocks[0]), dtype=np.intp)
        self.rng = np.random.default_rng(seed)
        self.config = plain_sgd_config(
            loss=est.loss if est.loss != "perceptron" else "hinge", loss_param=param,
            penalty=est.penalty, alpha=est.alpha, l1_ratio=est.l1_ratio or 0.0,
            learning_rate=est.learning_rate, eta0=est.eta0, power_t=est.power_t,
            fit_intercept=est.fit_intercept,
            intercept_decay=_SPARSE_INTERCEPT_DECAY if sp.issparse(X) else 1.0,
            average=est.average, weight_pos=weight_pos, weight_neg=weight_neg,
            # scikit-learn sums the objective only to stop on it or to print it
            objective=bool(est.verbose) or not est.early_stopping and self.tol > -np.inf,
            ordered=not est.shuffle)
        self.no_improvement = 0
        # what verbose output counts from: this fit's steps and time
        self.t_start, self.clock_start = self.state.t, time.perf_counter()
        self.best = -np.inf if est.early_stopping else np.inf
        self.epochs, self.done = 0, max_iter == 0

    def step(self):
        """One epoch (the compiled loop, without the GIL), then the stopping rule."""
        est, state = self.est, self.state
        if self.order is not None:
            if self.blocks is None:
                _common.sklearn_shuffle(self.order, self.seed)
            else:
                seed = int(self.rng.integers(_EPOCH_SEEDS, dtype=np.uint64))
                _common.block_order_into(self.order, self.block_work, *self.blocks, seed)
        if est.verbose:
            print(f"-- Epoch {self.epochs + 1}")
        losses, total, status = state.epoch(self.X, self.y, self.sample_weight, self.order,
                                            self.skip, **self.config)
        self.epochs += 1
        if status != STATUS_OK:
            raise ValueError(f"Floating-point under-/overflow occurred at epoch "
                             f"#{self.epochs}. Scaling input data with StandardScaler or "
                             "MinMaxScaler might help.")
        if est.early_stopping:
            # scored as scikit-learn's loop scores it: the stored weights v
            # without their scale (w = wscale v), so that both stop at the
            # same epoch and give the same model
            value = self.score(state.v, state.intercept)
            worse = value < self.best + self.tol
            self.best = max(self.best, value)
        else:
            value = total / self.train_count
            worse = value > self.best - self.tol
            self.best = min(self.best, value)
        if est.verbose:
            self._report(losses, total, value if est.early_stopping else None)
        self.no_improvement = self.no_improvement + 1 if self.tol > -np.inf and worse else 0
        if self.no_improvement >= est.n_iter_no_change:
            if est.learning_rate == "adaptive" and state.eta > 1e-6:
                state.scalars[_ETA] /= 5.0
                self.no_improvement = 0
            else:
                self.done = True
                if est.verbose:
                    print(f"Convergence after {self.epochs} epochs took "
                          f"{time.perf_counter() - self.clock_start:.2f} seconds")
        if self.epochs >= self.max_iter:
            self.done = True

    def _report(self, losses, total, score):
        """The epoch's lines of verbose output, in scikit-learn's words."""
        state = self.state
        weights = state.v
        # the norm scikit-learn keeps for its objective, kept by the kernel
        # the same way (over a CSR step's own features)
        line = (f"Norm: {np.sqrt(state.scalars[_SQ_NORM]):.2f}, "
                f"NNZs: {np.count_nonzero(weights)}, Bias: {state.intercept:.6f}, "
                f"T: {int(state.t - self.t_start)}, Avg. loss: {losses / self.train_count:f}, "
                f"Objective: {total / self.train_count:f}")
        if score is not None:
            line += f", Validation score: {score:f}"
        print(line)
        print(f"Total training time: {time.perf_counter() - self.clock_start:.2f} seconds.")

    def finish(self):
        """Write the weights (and their average) back: (intercept,
        average_intercept, n_iter)."""
        self.state.fold()
        self.coef[...] = self.state.v
        if self.average_coef is not None:
            self.average_coef[...] = self.state.aw
        return self.state.intercept, self.state.average_intercept, self.epochs


def _round_robin(problems, threads):
    """Train the problems in ``threads`` threads, an epoch of one problem at
    a time, each problem going back to the end of the queue: every problem
    advances evenly, so K problems take about K / threads of one's time
    (five on two threads: 2.5, where a problem a thread takes 3)."""
    queue, lock, failed = deque(problems), threading.Lock(), []

    def worker():
        while True:
            with lock:
                if not queue or failed:
                    return
                problem = queue.popleft()
            try:
                problem.step()
            except BaseException as exc:   # raised in the caller's thread below
                with lock:
                    failed.append(exc)
                return
            if not problem.done:
                with lock:
                    queue.append(problem)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(worker) for _ in range(threads)]
        try:
            for future in futures:
                future.result()
        except BaseException as exc:
            # Ctrl-C reaches the caller's thread only: the workers, which
            # cannot see it, stop after the epoch each is running
            with lock:
                failed.append(exc)
            raise
    if failed:
        raise failed[0]


class _BaseSGD(BaseEstimator):
    """Parameters, validation and the epochs of one binary or regression problem."""

    loss_functions = {}

    def _store_parameters(self, arguments):
        """Keep the constructor's arguments (its ``locals()``) as attributes
        of the same names, all that scikit-learn lets ``__init__`` do: the
        names of this class's constructor, not a subclass's (which may fix
        some of them or add its own)."""
        for name, value in arguments.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    def _warm_start_init(self, coef_init, intercept_init):
        """The initial parameters of a fit: the given ones, else the fitted
        ones with warm_start (coef_init and intercept_init stay None
        otherwise, and the fitted model is forgotten)."""
        if self.warm_start and getattr(self, "coef_", None) is not None:
            coef_init = self.coef_ if coef_init is None else coef_init
            if sp.issparse(coef_init):
                coef_init = coef_init.toarray()
            intercept_init = self.intercept_ if intercept_init is None else intercept_init
        else:
            self.coef_ = self.intercept_ = None
        return coef_init, intercept_init

    # -- parameters ---------------------------------------------------------
    def _invalid(self, name, constraint):
        """scikit-learn's InvalidParameterError message, word for word (code
        and tests match on it)."""
        return InvalidParameterError(
            f"The '{name}' parameter of {type(self).__name__} must be {constraint}. "
            f"Got {getattr(self, name)!r} instead.")

    def _check_params(self, for_partial_fit=False):
        booleans = "an instance of 'bool' or an instance of 'numpy.bool'"

        def real(name, low=None, high=None, low_open=False, high_open=False, none=False):
            # scikit-learn's Interval: a side without a bound is open, so
            # +-inf are refused there too (tol=inf would never stop, nor
            # power_t=inf ever step)
            value = getattr(self, name)
            if value is None and none:
                return
            interval = (f"a float in the range {'(' if low_open or low is None else '['}"
                        f"{'-inf' if low is None else float(low)}, "
                        f"{'inf' if high is None else float(high)}"
                        f"{')' if high_open or high is None else ']'}"
                        f"{' or None' if none else ''}")
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise self._invalid(name, interval)
            above = (value > low if low_open else value >= low) if low is not None else (
                value > -np.inf)
            below = (value < high if high_open else value <= high) if high is not None else (
                value < np.inf)
            if not (above and below):       # False for NaN
                raise self._invalid(name, interval)

        def integer(name, low, also=""):
            value = getattr(self, name)
            if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
                    or value < low):
                raise self._invalid(name, f"an int in the range [{low}, inf){also}")

        def one_of(name, options, also=""):
            value = getattr(self, name)
            if not (isinstance(value, str) and value in options):
                raise self._invalid(name, "a str among {" + ", ".join(map(repr, options))
                                    + "}" + also)

        one_of("loss", list(self.loss_functions))
        if self.penalty is not None:
            one_of("penalty", [p for p in PENALTIES if p], " or None")
        one_of("learning_rate", SCHEDULES)
        real("alpha", 0.0)
        real("l1_ratio", 0.0, 1.0, none=True)
        if self.penalty == "elasticnet" and self.l1_ratio is None:
            raise InvalidParameterError("l1_ratio must be set when penalty is 'elasticnet'")
        real("tol", 0.0, none=True)
        real("epsilon", 0.0)
        real("eta0", 0.0, low_open=True)
        real("power_t")
        real("validation_fraction", 0.0, 1.0, low_open=True, high_open=True)
        integer("max_iter", 1)
        integer("n_iter_no_change", 1)
        if not isinstance(self.verbose, (bool, np.bool_)):
            integer("verbose", 0, also=", " + booleans)
        for name in ("fit_intercept", "early_stopping", "warm_start"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise self._invalid(name, booleans)
        try:
            check_shuffle(self.shuffle)
        except ValueError:
            raise self._invalid("shuffle", booleans + " or the str 'blocks'") from None
        average = self.average
        if not isinstance(average, (bool, np.bool_)) and (
                not isinstance(average, numbers.Integral) or average <= 0):
            raise self._invalid("average", "an int in the range (0, inf) or " + booleans)
        seed = self.random_state
        if not (seed is None or isinstance(seed, (np.random.RandomState, np.random.Generator))
                or isinstance(seed, numbers.Integral) and not isinstance(seed, bool)
                and 0 <= seed <= _MAX_RANDOM_STATE):
            # an int seeds a RandomState, as in scikit-learn: 32 bits
            raise self._invalid("random_state", f"an int in the range [0, {_MAX_RANDOM_STATE}], "
                                "an instance of 'numpy.random.mtrand.RandomState', a numpy "
                                "Generator or None")
        if self.early_stopping and for_partial_fit:
            raise ValueError("early_stopping should be False with partial_fit")
        if self.learning_rate == "optimal" and self.alpha == 0:
            raise ValueError("alpha must be > 0 since learning_rate is 'optimal'. alpha is "
                             "used to compute the optimal learning rate.")
        if self.learning_rate in ("pa1", "pa2") and self.loss != self._passive_aggressive_loss:
            raise ValueError(f"Learning rate '{self.learning_rate}' only works with loss "
                             f"'{self._passive_aggressive_loss}'.")

    def _loss_code(self):
        param = _LOSS_PARAM[self.loss]
        return self.loss, float(self.epsilon) if param is None else param

    # -- data ---------------------------------------------------------------
    def _validate_X(self, X, reset):
        check_feature_names(self, X, reset)
        # sklearn.config_context(assume_finite=True) skips the scan, as it
        # does for scikit-learn's estimators: the loop then meets the
        # non-finite values as scikit-learn's does (a NaN row's hinge step
        # is no step; a squared loss overflows and raises)
        X = check_array(X, "X", check_finite=not sklearn_assumes_finite())
        if not reset:
            check_n_features(self, X)
        return X

    def _sample_weight(self, sample_weight, n, dtype):
        """float64 weights, or None for unit weights (which the loop then
        does not read: the same steps, one random read fewer a step)."""
        if sample_weight is None:
            return None
        if self.early_stopping and not isinstance(sample_weight, numbers.Number):
            # all-zero weights are left to the split's clearer message
            sw = np.asarray(sample_weight)
            if sw.ndim == 1 and sw.shape[0] == n and sw.dtype.kind in "biuf" and not sw.any():
                return np.zeros(n)
        return np.asarray(check_sample_weight(sample_weight, n, dtype, signed=True),
                          dtype=np.float64)

    def _validation_mask(self, y, sample_weight, stratify):
        """True on the samples held out for early stopping (none without it):
        the split of scikit-learn's SGD estimators, the same samples for the
        same ``random_state`` (see _held_out)."""
        n = y.shape[0]
        mask = np.zeros(n, dtype=np.uint8)
        if not self.early_stopping:
            return mask
        val = _held_out(y, self.validation_fraction, self.random_state, stratify)
        if val.size == 0 or val.size == n:
            raise ValueError(
                f"Splitting {n} samples into a train set and a validation set with "
                f"validation_fraction={self.validation_fraction!r} led to an empty set "
                f"({n - val.size} and {val.size} samples). Please either change "
                "validation_fraction, increase number of samples, or disable early_stopping.")
        if sample_weight is not None and not np.any(sample_weight[val] > 0):
            raise ValueError("The sample weights for validation set are all zero, consider "
                             "using a different random state.")
        mask[val] = 1
        return mask

    # -- one binary or regression problem ------------------------------------
    def _run(self, *args):
        """Train one problem to its end (see _Problem): (intercept,
        average_intercept, n_iter)."""
        problem = _Problem(self, *args)
        while not problem.done:
            problem.step()
        return problem.finish()

    # -- parameters' memory, as scikit-learn allocates it ---------------------
    def _allocate(self, n_outputs, n_features, dtype, coef_init, intercept_init):
        if n_outputs > 2:
            shape, intercept_shape = (n_outputs, n_features), (n_outputs,)
        else:
            shape, intercept_shape = (n_features,), (1,)
        if coef_init is not None:
            coef = np.array(coef_init, dtype=dtype, order="C")
            if n_outputs <= 2:
                coef = coef.ravel()
            if coef.shape != shape:
                raise ValueError(f"coef_init has shape {np.shape(coef_init)}, which does "
                                 f"not match the data: expected {shape}")
        else:
            coef = np.zeros(shape, dtype=dtype)
        if intercept_init is not None:
            intercept = np.array(intercept_init, dtype=dtype).reshape(-1)
            if intercept.shape != intercept_shape:
                raise ValueError(f"intercept_init has shape {np.shape(intercept_init)}, "
                                 f"which does not match the data: expected {intercept_shape}")
        else:
            intercept = np.zeros(intercept_shape, dtype=dtype)
        self.coef_, self.intercept_ = coef, intercept
        if self.average > 0:
            self._standard_coef = self.coef_
            self._average_coef = np.zeros(self.coef_.shape, dtype=dtype)
            self._standard_intercept = self.intercept_
            self._average_intercept = np.zeros(self.intercept_.shape, dtype=dtype)

    def _warn_not_converged(self):
        if self.tol is not None and self.n_iter_ == self.max_iter:
            warnings.warn("Maximum number of iteration reached before convergence. Consider "
                          "increasing max_iter to improve the fit.", ConvergenceWarning)
        if self.power_t < 0:
            # scikit-learn's warning, word for word (a filter may match its text)
            warnings.warn("Negative values for `power_t` are deprecated in version 1.8 and "
                          "will raise an error in 1.10. Use values in the range [0.0, inf) "
                          "instead.", FutureWarning)

    def _scores(self, X):
        check_is_fitted(self)
        check_feature_names(self, X, reset=False)
        X = check_array(X, "X", check_finite=not sklearn_assumes_finite())
        if hasattr(self, "n_features_in_"):
            # a model whose coef_ was set by hand has none, and scikit-learn
            # predicts with it (the product below checks the widths)
            check_n_features(self, X)
        coef = self.coef_
        if sp.issparse(coef):
            Z = (coef @ X.T).T
            Z = Z.toarray() if sp.issparse(Z) else np.asarray(Z)
        else:
            Z = np.asarray(X @ coef.T)
        return Z + self.intercept_

    def densify(self):
        """Convert ``coef_`` to a dense array (the default format).

        Returns
        -------
        self
        """
        check_is_fitted(self)
        if sp.issparse(self.coef_):
            # SGDRegressor's coef_ is one-dimensional, also where scipy's
            # sparse form of it had to be a row
            self.coef_ = self.coef_.toarray().reshape(self._coef_shape(self.coef_.shape[-1]))
        return self

    def sparsify(self):
        """Convert ``coef_`` to a scipy.sparse CSR matrix, which predicts
        faster and takes less memory when most coefficients are zero (as
        L1 or elastic-net penalties make them).

        Returns
        -------
        self
        """
        check_is_fitted(self)
        self.coef_ = sparse_coefficients(self.coef_)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


_PARAMETERS_DOC = """
    penalty : {'l2', 'l1', 'elasticnet', None}, default='l2'
        The regularization term: l1 and elasticnet are applied as the
        cumulative truncated penalty of Tsuruoka et al. (2009), so weights
        can become exactly zero.
    alpha : float, default=0.0001
        Multiplies the penalty; also sets the 'optimal' learning rate.
    l1_ratio : float or None, default=0.15
        The elastic-net mix (0 is l2, 1 is l1); used with 'elasticnet' only.
    fit_intercept : bool, default=True
        Whether to fit an intercept.
    max_iter : int, default=1000
        The most epochs of ``fit`` (``partial_fit`` runs one).
    tol : float or None, default=1e-3
        Training stops when the epoch's objective (the validation score
        with early_stopping) has not improved by tol for n_iter_no_change
        epochs in a row.  None never stops early.
    shuffle : bool or 'blocks', default=True
        Visit the samples in a new random order every epoch.  'blocks'
        (beyond scikit-learn): a block order, as the other estimators'
        ``shuffle='blocks'`` (:func:`fastgd.kernels.block_order` with
        :func:`fastgd.kernels.block_geometry`), its rows read where they
        are: contiguous blocks of rows in a random order, 8 at a time with
        their rows taken round-robin.  An epoch in memory is up to 2x
        faster than with a full permutation on dense rows (1.1x on CSR
        rows), and an X memory-mapped from a file is read in sequential
        pieces.
    verbose : int or bool, default=0
        Print each epoch's norm of the weights, their non-zeros, the
        intercept, the steps so far, mean loss and objective (and validation
        score), and the time, in scikit-learn's lines.
    epsilon : float, default=0.1
        The epsilon of 'huber', 'epsilon_insensitive' and
        'squared_epsilon_insensitive'.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the shuffling and the early-stopping split.  The split is
        scikit-learn's for the same seed (stratified for a classifier,
        where every class has two samples or more), and so are the shuffled
        epochs' orders, which then give scikit-learn's model to the last
        digits on CSR X, and on dense X for the hinge, the perceptron and
        the regression losses at the 'invscaling' rate; on dense X the
        losses whose step varies with the score ('log_loss',
        'modified_huber', 'squared_hinge', the regression losses at the
        'optimal' rate) carry the rounding of fastgd's faster sums
        forward, to a model as good but not the same.  None draws from numpy's global
        RandomState, as scikit-learn does: ``np.random.seed`` makes a fit
        reproducible, and the global stream (or a RandomState passed here)
        is left where scikit-learn leaves it.
    learning_rate : {'constant', 'optimal', 'invscaling', 'adaptive', 'pa1', 'pa2'}
        The schedule: eta0; 1 / (alpha (t + t0)); eta0 / t^power_t; eta0
        divided by 5 whenever n_iter_no_change epochs fail to improve.
        'pa1' and 'pa2' take the passive-aggressive steps of Crammer et
        al. (2006), the loss over ||x||^2 capped at eta0 (PA-I) or the loss
        over ||x||^2 + 1 / (2 eta0) (PA-II), with the hinge loss
        (SGDClassifier) or 'epsilon_insensitive' (SGDRegressor) only.
    eta0 : float, default=0.01
        The initial rate of 'constant', 'invscaling' and 'adaptive'; the
        aggressiveness C of 'pa1' and 'pa2'.
    power_t : float
        The exponent of 'invscaling'.
    early_stopping : bool, default=False
        Hold out validation_fraction of the samples (stratified for a
        classifier) and stop on its score instead of the objective.
    validation_fraction : float, default=0.1
        The held-out fraction for early stopping.
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping (or, with 'adaptive',
        dividing the rate).
    warm_start : bool, default=False
        Start ``fit`` from the previous solution.
    average : bool or int, default=False
        Keep the average of the iterates from step ``average`` on (True is
        1) and use it as ``coef_`` and ``intercept_``."""

_ATTRIBUTES_DOC = """
    Attributes
    ----------
    coef_ : ndarray
        The weights.
    intercept_ : ndarray
        The intercepts.
    n_iter_ : int
        The epochs of the last fit (the most of any one-vs-rest problem).
    t_ : float
        The number of weight updates, plus one: n_iter_ * n_samples + 1.
    n_features_in_ : int
        The number of features seen during fit.
    feature_names_in_ : ndarray of str
        The feature names seen during fit, when X had string names."""

_NOTES_DOC = """
    Notes
    -----
    Calls on one estimator from several threads take turns (``fit``,
    ``partial_fit``, ``predict`` and the rest hold its lock).  A ``fit`` or
    ``partial_fit`` that raises, Ctrl-C included (``KeyboardInterrupt``
    passes through, as from scikit-learn's), leaves the estimator as it was
    before the call.  The compiled epochs look for Ctrl-C about every 0.1 s;
    with ``n_jobs`` threads, each worker stops after the epoch it is running.
"""


class SGDClassifier(ClassifierMixin, _BaseSGD):
    __doc__ = """Linear classifiers (SVM, logistic regression, ...) trained by SGD:
    scikit-learn's ``SGDClassifier`` on fastgd's compiled core.

    With ``shuffle=False`` the fitted ``coef_`` and ``intercept_`` equal
    scikit-learn's for the same parameters and data (float64); each epoch
    runs without the GIL, and ``n_jobs`` one-vs-rest problems train in as
    many threads.  float32 input trains in float32 rows with float64
    weights.

    Parameters
    ----------
    loss : str, default='hinge'
        'hinge' (linear SVM), 'log_loss' (logistic regression),
        'modified_huber', 'squared_hinge', 'perceptron', or a regression
        loss ('squared_error', 'huber', 'epsilon_insensitive',
        'squared_epsilon_insensitive') on targets -1 and 1.
    """ + _PARAMETERS_DOC + """
    n_jobs : int or None, default=None
        Threads for the one-vs-rest problems of more than two classes
        (None is 1, -1 every CPU).
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes (multiplying the sample weights); 'balanced'
        gives n_samples / (n_classes * count of the class).
    """ + _ATTRIBUTES_DOC + """
    classes_ : ndarray
        The class labels.
    """ + _NOTES_DOC + """
    Examples
    --------
    >>> import numpy as np
    >>> from fastgd import SGDClassifier
    >>> X = np.array([[-1.0, -1.0], [-2.0, -1.0], [1.0, 1.0], [2.0, 1.0]])
    >>> clf = SGDClassifier(random_state=0).fit(X, [1, 1, 2, 2])
    >>> clf.predict([[-0.8, -1.0]])
    array([1])
    """

    loss_functions = _loss_functions(CLASSIFICATION_LOSSES + REGRESSION_LOSSES)
    _passive_aggressive_loss = "hinge"

    def _coef_shape(self, n_features):
        return (-1, n_features)

    def __init__(self, loss="hinge", *, penalty="l2", alpha=0.0001, l1_ratio=0.15,
                 fit_intercept=True, max_iter=1000, tol=1e-3, shuffle=True, verbose=0,
                 epsilon=0.1, n_jobs=None, random_state=None, learning_rate="optimal",
                 eta0=0.01, power_t=0.5, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, class_weight=None, warm_start=False, average=False):
        self._store_parameters(locals())

    def _check_params(self, for_partial_fit=False):
        super()._check_params(for_partial_fit)
        cw = self.class_weight
        if not (cw is None or isinstance(cw, dict) or isinstance(cw, str) and cw == "balanced"):
            raise self._invalid("class_weight",
                                "a str among {'balanced'}, an instance of 'dict' or None")
        if self.n_jobs is not None and (isinstance(self.n_jobs, bool)
                                        or not isinstance(self.n_jobs, numbers.Integral)):
            raise self._invalid("n_jobs", "an instance of 'int' or None")

    def _class_weights(self, encoded):
        """The weight of each class of classes_ (scikit-learn's compute_class_weight)."""
        k = self.classes_.shape[0]
        cw = self.class_weight
        if cw is None or (isinstance(cw, dict) and not cw):
            return np.ones(k)
        if cw == "balanced":
            counts = np.bincount(encoded, minlength=k).astype(np.float64)
            if (counts == 0).any():
                raise ValueError("classes should have valid labels that are in y")
            return encoded.shape[0] / (k * counts)
        weights = np.ones(k)
        unknown = [c for c in cw if not np.any(self.classes_ == c)]
        if unknown:
            raise ValueError(f"The classes, {unknown}, are not in class_weight")
        for label, value in cw.items():
            weights[np.flatnonzero(self.classes_ == label)[0]] = value
        return weights

    def _n_threads(self):
        if self.n_jobs is None:
            return 1
        if self.n_jobs < 0:
            return max(1, available_cpus() + 1 + self.n_jobs)
        return max(1, self.n_jobs)

    @keeps_model_on_error
    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit the linear model by stochastic gradient descent.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        coef_init : ndarray of shape (n_classes, n_features), optional
            Initial coefficients (copied, never modified).
        intercept_init : ndarray of shape (n_classes,), optional
            Initial intercepts.
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the samples, multiplied by the class weights; as in
            scikit-learn, each multiplies its sample's step, so they may be
            negative, but not all zero.

        Returns
        -------
        self
        """
        self._check_params()
        if hasattr(self, "classes_"):
            del self.classes_
        coef_init, intercept_init = self._warm_start_init(coef_init, intercept_init)
        if self.average > 0:
            self._standard_coef, self._standard_intercept = self.coef_, self.intercept_
            self._average_coef = self._average_intercept = None
        self.t_ = 1.0
        self._partial_fit(X, y, self.max_iter, None, sample_weight, coef_init,
                          intercept_init, first=True)
        self._warn_not_converged()
        return self

    @keeps_model_on_error
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch of stochastic gradient descent on the given samples.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), optional
            All the classes, required on the first call.
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        first = not hasattr(self, "classes_")
        if first:
            self._check_params(for_partial_fit=True)
            if self.class_weight == "balanced":
                raise ValueError(
                    "class_weight 'balanced' is not supported for partial_fit. In order "
                    "to use 'balanced' weights, compute the weights from a large enough "
                    "sample of the targets and pass them as the class_weight parameter.")
        return self._partial_fit(X, y, 1, classes, sample_weight, None, None, first=False)

    def _partial_fit(self, X, y, max_iter, classes, sample_weight, coef_init, intercept_init,
                     first):
        reset = not hasattr(self, "classes_")
        X = self._validate_X(X, reset)
        n, d = X.shape
        if first:
            self.classes_, encoded = encode_labels(y, n)
        else:
            if reset:
                self.classes_ = check_partial_fit_classes(classes)
            elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(f"`classes={classes!r}` is not the same as on last call to "
                                 f"partial_fit, was: {self.classes_!r}")
            encoded = encode_known_labels(y, self.classes_, n)
        self.n_features_in_ = d
        class_weight = self._class_weights(encoded)
        sample_weight = self._sample_weight(sample_weight, n, X.dtype)
        if getattr(self, "coef_", None) is None or coef_init is not None:
            self._allocate(self.classes_.shape[0], d, X.dtype, coef_init, intercept_init)
        elif d != self.coef_.shape[-1]:
            raise ValueError(f"Number of features {d} does not match previous data "
                             f"{self.coef_.shape[-1]}.")
        if sp.issparse(self.coef_):
            self.coef_ = self.coef_.toarray()
        if not hasattr(self, "t_"):
            self.t_ = 1.0
        if self.classes_.shape[0] > 2:
            self._fit_multiclass(X, encoded, sample_weight, class_weight, max_iter)
        else:
            self._fit_binary(X, encoded, sample_weight, class_weight, max_iter)
        return self

    def _binary_problem(self, X, encoded, i, sample_weight, weight_pos, weight_neg, max_iter,
                        mask, seed):
        """Class i against the rest, ready to train: a _Problem."""
        negative = 0.0 if self.loss == "log_loss" else -1.0
        y_i = np.where(encoded == i, 1.0, negative)
        binary = self.classes_.shape[0] == 2
        k = 0 if binary else i

        def row(array):         # the problem's coefficients, a view written in place
            return array.reshape(-1) if binary else array[i]

        if self.average:
            coef, intercept = row(self._standard_coef), self._standard_intercept[k]
            average_coef, average_intercept = row(self._average_coef), self._average_intercept[k]
        else:
            coef, intercept = row(self.coef_), self.intercept_[k]
            average_coef, average_intercept = None, 0.0

        def score(w, b):        # accuracy of the sign on the held-out samples
            held = mask == 1
            Xv, yv = X[held], y_i[held]
            sv = None if sample_weight is None else sample_weight[held]
            z = np.asarray(Xv @ w).ravel() + b
            if self.loss == "log_loss":
                # as scikit-learn scores it, so that both stop at the same
                # epoch: its prediction, -1 or 1, against targets encoded 0
                # or 1, agrees on the positives predicted positive only
                return float(np.average((z > 0) & (yv > 0), weights=sv))
            return float(np.average((z > 0) == (yv > 0), weights=sv))

        return _Problem(self, X, y_i, sample_weight, coef, intercept, average_coef,
                        average_intercept, weight_pos, weight_neg, max_iter, mask, score, seed)

    def _finish_binary(self, problem, i):
        """The trained problem of class i written back: (intercept, n_iter)."""
        intercept, average_intercept, n_iter = problem.finish()
        if self.average:
            self._average_intercept[0 if self.classes_.shape[0] == 2 else i] = average_intercept
        return intercept, n_iter

    def _fit_binary(self, X, encoded, sample_weight, class_weight, max_iter):
        rng = _legacy_random_state(self.random_state)
        _draw_seeds(rng, low=1)         # scikit-learn's dataset's seed, drawn first
        mask = self._validation_mask(encoded, sample_weight, stratify=True)
        seed = int(_draw_seeds(rng))
        problem = self._binary_problem(X, encoded, 1, sample_weight, class_weight[1],
                                       class_weight[0], max_iter, mask, seed)
        while not problem.done:
            problem.step()
        intercept, n_iter = self._finish_binary(problem, 1)
        self.t_ += n_iter * X.shape[0]
        self.n_iter_ = n_iter
        if self.average > 0:
            if self.average <= self.t_ - 1:
                self.coef_ = self._average_coef.reshape(1, -1)
                self.intercept_ = self._average_intercept
            else:
                self.coef_ = self._standard_coef.reshape(1, -1)
                self._standard_intercept = np.atleast_1d(intercept)
                self.intercept_ = self._standard_intercept
        else:
            self.coef_ = self.coef_.reshape(1, -1)
            self.intercept_ = np.atleast_1d(intercept)

    def _fit_multiclass(self, X, encoded, sample_weight, class_weight, max_iter):
        mask = self._validation_mask(encoded, sample_weight, stratify=True)
        k = self.classes_.shape[0]
        seeds = _draw_seeds(_legacy_random_state(self.random_state), size=k)
        # each problem's own seed, as scikit-learn's fit_binary draws it from
        # RandomState(seeds[i]): after its dataset's
        seeds = [_second_seed(np.random.RandomState(seed)) for seed in seeds]

        problems = [self._binary_problem(X, encoded, i, sample_weight, class_weight[i], 1.0,
                                         max_iter, mask, seeds[i]) for i in range(k)]
        threads = min(self._n_threads(), k)
        if threads > 1:
            _round_robin(problems, threads)
        else:
            for problem in problems:
                while not problem.done:
                    problem.step()
        results = [self._finish_binary(problem, i) for i, problem in enumerate(problems)]
        n_iter = 0
        for i, (intercept, n_iter_i) in enumerate(results):
            self.intercept_[i] = intercept
            n_iter = max(n_iter, n_iter_i)
        self.t_ += n_iter * X.shape[0]
        self.n_iter_ = n_iter
        if self.average > 0:
            if self.average <= self.t_ - 1.0:
                self.coef_ = self._average_coef
                self.intercept_ = self._average_intercept
            else:
                self.coef_ = self._standard_coef
                self._standard_intercept = np.atleast_1d(self.intercept_)
                self.intercept_ = self._standard_intercept

    # -- prediction ---------------------------------------------------------
    def decision_function(self, X):
        """Confidence scores: X coef_^T + intercept_, of shape (n_samples,)
        for two classes (positive means ``classes_[1]``), else (n_samples,
        n_classes).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray
        """
        with lock_of(self):
            Z = self._scores(X)
            return Z.ravel() if Z.shape[1] == 1 else Z

    def predict(self, X):
        """Class labels of the samples in X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        Z = self.decision_function(X)
        index = (Z > 0).astype(np.intp) if Z.ndim == 1 else Z.argmax(axis=1)
        return self.classes_[index]

    @_probability_method
    def predict_proba(self, X):
        """Probability estimates (loss 'log_loss' or 'modified_huber' only).

        For 'log_loss' the sigmoid of each one-vs-rest score; for
        'modified_huber' (clip(score, -1, 1) + 1) / 2 (Zhang 2004); with more
        than two classes normalized to sum to one (Zadrozny and Elkan 2002).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        Z = self.decision_function(X)
        if self.loss == "log_loss":
            prob = expit(Z)     # exact in the tails too, where 1 + tanh loses all digits
        else:
            prob = (np.clip(Z, -1.0, 1.0) + 1.0) / 2.0
        if Z.ndim == 1:
            return np.column_stack([1.0 - prob, prob])
        total = prob.sum(axis=1)
        if self.loss == "modified_huber":
            zero = total == 0
            prob[zero] = 1.0
            total[zero] = prob.shape[1]
        return prob / total[:, None]

    predict_log_proba = _probability_method(ProbabilisticClassifierMixin.predict_log_proba)


class SGDRegressor(RegressorMixin, _BaseSGD):
    __doc__ = """Linear regression trained by SGD: scikit-learn's ``SGDRegressor`` on
    fastgd's compiled core.

    With ``shuffle=False`` the fitted ``coef_`` and ``intercept_`` equal
    scikit-learn's for the same parameters and data (float64); each epoch
    runs without the GIL.  float32 input trains in float32 rows with
    float64 weights.

    Parameters
    ----------
    loss : str, default='squared_error'
        'squared_error', 'huber', 'epsilon_insensitive' or
        'squared_epsilon_insensitive'.
    """ + _PARAMETERS_DOC + _ATTRIBUTES_DOC + "\n" + _NOTES_DOC + """
    Examples
    --------
    >>> import numpy as np
    >>> from fastgd import SGDRegressor
    >>> X = np.arange(8.0).reshape(4, 2); y = X @ [1.0, 2.0]
    >>> reg = SGDRegressor(shuffle=False, max_iter=5, tol=None).fit(X, y)
    >>> reg.predict(X).shape
    (4,)
    """

    loss_functions = _loss_functions(REGRESSION_LOSSES)
    _passive_aggressive_loss = "epsilon_insensitive"

    def _coef_shape(self, n_features):
        return (n_features,)

    def __init__(self, loss="squared_error", *, penalty="l2", alpha=0.0001, l1_ratio=0.15,
                 fit_intercept=True, max_iter=1000, tol=1e-3, shuffle=True, verbose=0,
                 epsilon=0.1, random_state=None, learning_rate="invscaling", eta0=0.01,
                 power_t=0.25, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, warm_start=False, average=False):
        self._store_parameters(locals())

    @keeps_model_on_error
    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit the linear model by stochastic gradient descent.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        coef_init : ndarray of shape (n_features,), optional
            Initial coefficients (copied, never modified).
        intercept_init : ndarray of shape (1,), optional
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        self._check_params()
        coef_init, intercept_init = self._warm_start_init(coef_init, intercept_init)
        self.t_ = 1.0
        self._partial_fit(X, y, self.max_iter, sample_weight, coef_init, intercept_init)
        self._warn_not_converged()
        return self

    @keeps_model_on_error
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch of stochastic gradient descent on the given samples.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        if getattr(self, "coef_", None) is None:
            self._check_params(for_partial_fit=True)
        return self._partial_fit(X, y, 1, sample_weight, None, None)

    def _partial_fit(self, X, y, max_iter, sample_weight, coef_init, intercept_init):
        first = getattr(self, "coef_", None) is None
        X = self._validate_X(X, reset=first)
        n, d = X.shape
        y = np.asarray(check_target(y, n, X.dtype), dtype=np.float64)
        sample_weight = self._sample_weight(sample_weight, n, X.dtype)
        self.n_features_in_ = d
        if first:
            self._allocate(1, d, X.dtype, coef_init, intercept_init)
        elif d != np.shape(self.coef_)[-1]:
            raise ValueError(f"Number of features {d} does not match previous data "
                             f"{np.shape(self.coef_)[-1]}.")
        if sp.issparse(self.coef_):
            self.coef_ = self.coef_.toarray().ravel()
        if self.average > 0 and getattr(self, "_average_coef", None) is None:
            self._average_coef = np.zeros(d, dtype=X.dtype)
            self._average_intercept = np.zeros(1, dtype=X.dtype)
        if not hasattr(self, "t_"):
            self.t_ = 1.0
        mask = self._validation_mask(y, sample_weight, stratify=False)
        rng = _legacy_random_state(self.random_state)
        seed = int(_draw_seeds(rng))
        _draw_seeds(rng, low=1)         # scikit-learn's dataset's seed, drawn after
        if self.average:
            coef, intercept = self._standard_coef, self._standard_intercept
            average_coef, average_intercept = self._average_coef, self._average_intercept[0]
        else:
            coef, intercept = self.coef_, self.intercept_
            average_coef, average_intercept = None, 0.0

        def score(w, b):        # R^2 on the held-out samples
            held = mask == 1
            Xv, yv = X[held], y[held]
            sv = None if sample_weight is None else sample_weight[held]
            return r2_score(yv, np.asarray(Xv @ w).ravel() + b, sv)

        intercept, average_intercept, self.n_iter_ = self._run(
            X, y, sample_weight, coef, intercept[0], average_coef, average_intercept, 1.0, 1.0,
            max_iter, mask, score, seed)
        self.t_ += self.n_iter_ * n
        if self.average > 0:
            self._average_intercept = np.atleast_1d(average_intercept)
            self._standard_intercept = np.atleast_1d(intercept)
            if self.average <= self.t_ - 1.0:
                self.coef_, self.intercept_ = average_coef, self._average_intercept
            else:
                self.coef_, self.intercept_ = coef, self._standard_intercept
        else:
            self.intercept_ = np.atleast_1d(intercept)
        return self

    def predict(self, X):
        """Predicted targets: X coef_ + intercept_.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        with lock_of(self):
            return self._scores(X).ravel()


__all__ = ["SGDClassifier", "SGDRegressor"]
