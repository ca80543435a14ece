"""The fit loop shared by every fastgd estimator.

An estimator's parameters are a few flat *segments* (for a linear model, the
weights and the intercepts), each with its optimizer state and a flag saying
whether the L2 penalty and weight decay apply to it.  A subclass supplies the
model: how to make the segments, the full-batch objective and gradient, one
compiled SGD / mini-batch epoch, and a bound on the curvature (for the
automatic learning rate).  This class owns everything else, once: the epochs,
schedules, early stopping, history, divergence and convergence reports, and
the state that lets ``partial_fit`` and ``warm_start`` continue.
"""
import copy
import difflib
import functools
import inspect
import numbers
import threading
import warnings
import weakref

import numpy as np

from . import callbacks
from ._sklearn_compat import BaseEstimator
from ._validation import (check_bool, check_lr_table, check_no_overlap, check_random_state,
                          check_sample_weight, check_scalar)
from .exceptions import ClusterError, ConvergenceWarning, DivergenceError, FitInterruptedWarning
from .kernels import block_geometry as kernel_block_geometry, block_order, shuffled_order
from .kernels.rules import OPTIMIZERS, SCHEDULES, make_rule

SOLVERS = ("gd", "sgd", "minibatch")
# SAGA (Defazio, Bach and Lacoste-Julien 2014): the linear models' variance-
# reduced per-sample solver, with a table of each sample's last gradient.
SAGA = "saga"
# An objective this many times its starting value (plus one) has diverged.
DIVERGENCE_FACTOR = 1e6
# Barzilai-Borwein steps may raise the objective above the last one, but not
# above the highest of this many (Grippo, Lampariello and Lucidi 1986).
NONMONOTONE_WINDOW = 10
# ... nor take a step longer than this many times 1 / L: in nearly flat
# directions (no penalty, separable classes, more features than samples) the
# rate s.s / s.y grows without bound and would amplify the rounding of the
# gradient, so that fits of the same objective (weighted rows or repeated
# ones) would end apart.
BB_MAX_RATE = 1e4
# Which of the two Barzilai-Borwein rates to take (ABBmin, Frassoldati, Zanni
# and Zanghirati 2008): the long one, s.s / s.y, unless the short one,
# s.y / y.y, is below BB_SHORT_RATIO times it (the step met curvature of many
# scales), then the smallest short rate of the last BB_SHORT_MEMORY steps.
BB_SHORT_RATIO = 0.8
BB_SHORT_MEMORY = 3
# The stochastic solvers' starting objective, the yardstick of divergence, is
# taken on this many rows: no extra pass over a large X.
START_OBJECTIVE_ROWS = 1000
# 'adaptive' divides the rate by this when the objective stops improving, and
# gives up below MIN_ADAPTIVE_RATE (as scikit-learn's SGD does).
ADAPTIVE_DIVISOR = 5.0
MIN_ADAPTIVE_RATE = 1e-6
# The linear models' per-sample and mini-batch fits have converged when,
# the epoch objective having stalled, the full gradient has shrunk by this
# (or by tol when that is larger): a stochastic fit reaches tol=1e-6 only at
# a rate so small that it takes hundreds of epochs, while a shrink of 1e-2
# puts the objective within 1e-4 (relative) of the optimum on
# well-conditioned data ...
STOCHASTIC_GRADIENT_TOL = 1e-2
# ... and the exact objective (from the same pass) has not come down by this,
# relative, below its value at the last stall where it did, at the current rate
# and (with 'adaptive') at the rate divided once more.  On ill-conditioned
# data the gradient has shrunk by 1e-2 while the objective is still 4e-3
# above the optimum and falling at every epoch (the noisy epoch objective
# hides it): the rate is kept while it falls.  The objective's scale is
# floored at STOCHASTIC_PROGRESS_FLOOR times where the fit started: an
# objective falling toward 0 (an exact fit, separable classes without a
# penalty) would otherwise always seem to progress.
STOCHASTIC_PROGRESS_TOL = 1e-4
STOCHASTIC_PROGRESS_FLOOR = 1e-2
# The exact objective at one stall is that of one noisy iterate: on small
# data, where a stall comes every few dozen steps, it can sit above the last
# stall's while the fit still descends.  The rate is divided (or the fit
# stops) only after this many stalls in a row without progress.
STALL_PATIENCE = 4
# At fastgd's own rate and schedule, a logistic or softmax fit by 'sgd' or
# 'minibatch' doubles its rate after every RATE_GROWTH_WINDOW times
# n_iter_no_change epochs of descent without a stall, up to RATE_GROWTH_CAP
# times the automatic rate, until its first stall; its stalls then halve it
# back down to the automatic rate before they divide it.  The automatic rate
# is set by the largest rows: on data with a few large rows it is many
# times smaller than the steps most rows allow, and directions of low
# curvature then need thousands of epochs.  The losses' gradients are
# bounded, so a rate too large adds noise, which the stall test divides
# away, not divergence; the rate never grows past 1 / alpha, beyond which
# the penalty's own step would overshoot.
RATE_GROWTH_WINDOW = 4
RATE_GROWTH_CAP = 8.0
# A fit whose rate grew has shown such directions: they come down by less
# than STOCHASTIC_PROGRESS_TOL over four stalls while the objective is still
# 1e-3 above the optimum, so its progress test asks for this instead.
GROWN_PROGRESS_TOL = 5e-6
# A fit by 'sgd' or 'minibatch' at fastgd's own rate and schedule with at
# most this many steps an epoch divides its rate only after STALL_PATIENCE
# stalls without progress, while its gradient is still large too: a stall
# then spans a few hundred steps, too few to tell the rate's noise floor
# from a slow descent, and a rate divided too soon leaves the directions of
# curvature near alpha thousands of epochs from the optimum (diabetes by
# mini-batches, 14 steps an epoch).  It also keeps the mean of its epoch
# ends at the current rate, judges it beside the iterate at each stall
# and, stopping there, ends at the better of the two: at a constant rate
# the mean comes nearer the optimum than the iterate (Polyak-Ruppert; for
# least squares at every curvature, Bach and Moulines 2013).  With a few
# dozen steps between them the epoch ends stand for the steps; with
# thousands they are too sparse a sample, and on the 200,000-row problems
# dividing the rate at the first stall ends 2.2 to 2.6 times sooner.
SHORT_EPOCH_STEPS = 100
STOCHASTIC_SOLVERS = ("sgd", "minibatch")
# The estimators' schedule names: the rules' own, and 'auto' (see _schedule).
ESTIMATOR_SCHEDULES = SCHEDULES + ("auto",)
# torch.optim's default rates of the adaptive rules, used by learning_rate='auto'.
_ADAPTIVE_DEFAULT_RATE = {"adagrad": 1e-2, "rmsprop": 1e-2, "adam": 1e-3, "adamw": 1e-3}
# Data whose arithmetic overflows float64 before training starts: not a
# learning rate's fault, so the error says so.
_TOO_LARGE = ("X or y is too large in magnitude to train on ({what}); standardize the "
              "features and targets, e.g. with sklearn.preprocessing.StandardScaler")
# The settings of the update rule and of the schedule that every estimator
# takes, under torch.optim's names; None leaves the rule's own default.
RULE_HYPERPARAMETERS = ("momentum", "dampening", "nesterov", "betas", "eps", "rho",
                        "weight_decay", "lr_decay", "amsgrad", "centered",
                        "initial_accumulator_value", "power_t", "gamma", "step_size")
# The stopping rule, in every estimator's docstring (with the estimator's
# defaults of tol and n_iter_no_change).
STOPPING_DOCS = """\
    tol : float or None, default {tol}
        When to stop.  'gd' (full batch) stops once the largest entry of the
        gradient has fallen to tol times its value where the model started
        (the gradient test of scikit-learn's lbfgs, made relative; for the
        linear models each coefficient's entry is taken in units of its
        feature's root mean square, so that the test does not depend on the
        features' scales).  'saga'
        (linear models) stops by the same test: after each epoch it reads
        its own running estimate of the gradient (the average of its table
        of per-sample gradients plus alpha W), free, and when that has
        fallen to tol times the gradient at the start it confirms with one
        exact full-batch gradient, stopping when that passes too.  The
        other stochastic solvers watch the epoch objective: when it has not
        improved by tol for n_iter_no_change epochs, the linear models
        measure the full gradient and objective (one pass).  They stop,
        converged, when the gradient has fallen to tol times its value at
        the start.  When it has fallen to 1e-2 times that, they go on at
        the same rate while the objective still comes down (by more than
        1e-4, relative, below its value at the last stall where it did),
        and stop, converged, once it has not for 4 stalls in a row, at this
        rate nor (with 'adaptive') at the rate divided once more.  Otherwise
        schedule='adaptive' (the linear models' default, through 'auto')
        divides the rate by 5 and goes on, and the fit stops unconverged,
        with a ConvergenceWarning, once the rate would fall below 1e-6, or
        at once with any other schedule.  Before its first stall, a
        logistic or softmax fit at learning_rate='auto' and schedule='auto'
        (plain steps) doubles its rate after every 4 * n_iter_no_change
        epochs, up to 8 times the automatic rate (that rate is set by the
        longest rows, and on data with a few long rows it is many times
        smaller than the other rows allow); its stalls then halve it
        back down to the automatic rate before they divide it by 5, and its
        progress test asks for 5e-6 instead of 1e-4 (its directions of low
        curvature come down slowly).  A fit at the automatic rate and
        schedule with at most 100 steps an epoch (a few hundred steps a
        stall, too few to tell a noise floor from a slow descent) divides
        its rate only after 4 stalls in a row without progress, whatever
        its gradient, and judges the mean of its epoch ends at the current
        rate beside its iterate: stopping at a stall, it ends at the better
        of the two.  The network stops at the stall.
        Every solver with early stopping stops when the validation score
        has not improved by tol for n_iter_no_change epochs.  None runs
        exactly max_epochs.
    n_iter_no_change : int, default {n_iter_no_change}
        Epochs without improvement after which the stochastic solvers and
        early stopping stop, or the linear models take the test of tol
        above (with schedule='adaptive', that divide the rate instead,
        until it falls below 1e-6).
"""
# ... and the rule's hyperparameters, in every estimator's docstring.
RULE_HYPERPARAMETER_DOCS = """\
    momentum, dampening, nesterov, betas, eps, rho, weight_decay, lr_decay : optional
        Hyperparameters of the update rule, torch.optim's names and defaults
        (``rho`` is RMSProp's smoothing constant, torch's ``alpha``).
        ``weight_decay`` applies to the weights, never to the intercepts.
    amsgrad : bool or None, default None
        'adam' and 'adamw' only: torch's AMSGrad variant, which divides each
        step by the largest second-moment estimate so far instead of the
        current one (None: False).
    centered : bool or None, default None
        'rmsprop' only: divide by the root of the gradient's variance
        estimate (the mean square less the squared mean gradient) instead
        of the root mean square (None: False).
    initial_accumulator_value : float or None, default None
        'adagrad' only: where its sum of squared gradients starts, >= 0
        (None: 0).
    power_t, gamma, step_size : optional
        Parameters of the schedule.
    verbose : int, default 0
        Print one line an epoch (epoch, objective, validation score,
        learning rate, seconds) on standard output when positive.
    callback : callable or None, default None
        Called after each epoch with a :class:`fastgd.callbacks.EpochRecord`
        (epoch, objective, validation_score, learning_rate, seconds); a true
        return value stops the fit after that epoch.  Meanwhile the
        estimator's fitted attributes (``coef_``, ``intercept_``,
        ``coefs_``, ``intercepts_``) show the parameters of that epoch.
        Ctrl-C stops a fit after its last finished epoch, with a
        ``FitInterruptedWarning``.
"""


def largest_eigenvalue(apply_gram, n, iterations=20):
    """Top eigenvalue of a symmetric positive semi-definite n x n matrix M by
    power iteration, given only ``apply_gram(v) = M v``.  It approaches from
    below; for a step size an estimate suffices: plain gradient descent with
    step 1/L is stable for any L above half the true value (Nesterov's, whose
    first step is (1 + momentum) / L, above 0.95 of it)."""
    v = np.ones(n) / np.sqrt(n)
    lam = 0.0
    for _ in range(iterations):
        with np.errstate(over="ignore", invalid="ignore"):
            w = apply_gram(v)
            # the norm of w scaled by its largest entry: a plain norm squares
            # entries of 1e300 (features of 1e150) to infinity
            largest = float(np.max(np.abs(w)))
            lam = largest * float(np.linalg.norm(w / largest)) if largest > 0 else largest
        if not np.isfinite(lam):
            return np.inf           # the caller reports data too large to train on
        if lam == 0.0:
            return 0.0
        v = w / lam
    return lam


def minibatch_smoothness(n, batch_size, per_sample_curvature, full_curvature):
    """Smoothness constant of a batch's objective (Gower et al. 2019):
    L_B = n (B-1) / (B (n-1)) L + (n-B) / (B (n-1)) L_max, from (callables
    giving) the largest per-sample curvature L_max and the full-batch one L.
    Each is computed only when it counts: L_max (a pass over X) not for the
    full batch, where L_B is L, and L not for single samples."""
    if batch_size == 1 or n == 1:
        return per_sample_curvature()
    L = full_curvature()
    if batch_size >= n:
        return L
    return (n * (batch_size - 1) * L + (n - batch_size) * per_sample_curvature()) / (
        batch_size * (n - 1))


def training_weights(sample_weight, n_samples, dtype):
    """Validated sample weights scaled to mean one (None stays None): a
    step's sum_i s_i grad L_i / m is then an unbiased estimate of the
    gradient of the weighted mean sum_i s_i L_i / sum_i s_i."""
    sw = check_sample_weight(sample_weight, n_samples, dtype)
    if sw is None:
        return None
    return np.ascontiguousarray(sw * (n_samples / sw.sum(dtype=np.float64)), dtype=dtype)


# One re-entrant lock per estimator object, held by every call that reads or
# writes its model: the compiled loops run without the GIL over the model's
# buffers, so two threads training one object at once would each free and
# rewrite buffers the other is using (heap corruption, not an exception).
# Kept beside the object, not in it: an attribute would be a parameter to
# scikit-learn's clone and get_params, and would not pickle.
_LOCKS = {}
_LOCKS_GUARD = threading.Lock()


def lock_of(estimator):
    """The lock that serializes the calls on one estimator object: found by
    the object's identity, not its hash (a subclass may define __eq__
    without __hash__, and two equal estimators are still two objects), and
    dropped when the object is collected."""
    key = id(estimator)
    with _LOCKS_GUARD:
        lock = _LOCKS.get(key)
        if lock is None:
            lock = _LOCKS[key] = threading.RLock()
            weakref.finalize(estimator, _LOCKS.pop, key, None).atexit = False
        return lock


def serialized(method):
    """Make an estimator method hold the object's lock (see lock_of)."""
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        with lock_of(self):
            return method(self, *args, **kwargs)
    return call


# ... said in every public estimator's docstring.
THREADS_DOCS = """\
    Notes
    -----
    Threads: the calls on one estimator object (``fit``, ``partial_fit``,
    ``predict``, ``predict_proba``, ``score``, ``get_params``,
    ``set_params``, pickling, ``copy.deepcopy``) run one at a time, each
    whole: a thread that calls ``predict`` during another's ``fit`` waits
    for it and sees the fitted model.  Different estimator objects train in
    parallel, their compiled loops running without the GIL.

    Errors: a ``fit`` or ``partial_fit`` that raises (a ``DivergenceError``,
    an exception from a schedule or callback, at any epoch) leaves the
    estimator exactly as it was before the call.  Ctrl-C during the epochs
    is not an error: the fit stops after the last finished epoch, warns
    with ``FitInterruptedWarning`` and keeps that epoch's model.
"""
# The public methods that read a fitted model: each runs whole, never beside
# a fit of the same object (GradientDescentEstimator.__init_subclass__).
_SERIALIZED_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function",
                       "score", "densify", "sparsify")


def keeps_model_on_error(fit_method):
    """Make a fit method leave the estimator exactly as it was when it raises.

    Whatever raises (bad input found late, a DivergenceError, a user's
    schedule or callback, a cluster that could not finish) and whenever
    (before the first epoch or at the fiftieth), the estimator's attributes,
    its parameter arrays and optimizer state are put back as they were before
    the call, so a failed ``fit`` or ``partial_fit`` never leaves a model
    half trained on the new data, with the new data's shapes and the old
    parameters, or with parameters from a diverging epoch.  Ctrl-C once the
    epochs have begun is not a failure: ``_train`` stops the fit cleanly
    after the last finished epoch and the call returns normally.
    """
    @functools.wraps(fit_method)
    def fit(self, *args, **kwargs):
        with lock_of(self):
            return _fit_keeping_model_on_error(fit_method, self, args, kwargs)
    return fit


def _fit_keeping_model_on_error(fit_method, self, args, kwargs):
    """Run fit_method; on an error, put back the estimator as it was."""
    saved = self.__dict__.copy()
    # the parameters are arrays updated in place: keep copies of them
    arrays = {name: value.copy() for name, value in saved.items()
              if isinstance(value, np.ndarray)}
    segment_states = [seg.state.copy() for seg in saved.get("_segments", ())]
    lists = {name: list(value) for name, value in saved.items() if isinstance(value, list)}
    # partial_fit's shuffling stream advances in place
    streams = {name: copy.deepcopy(value) for name, value in saved.items()
               if isinstance(value, (np.random.RandomState, np.random.Generator))}
    try:
        return fit_method(self, *args, **kwargs)
    except BaseException:
        self.__dict__.clear()
        self.__dict__.update(saved)
        for name, value in arrays.items():
            saved[name][...] = value
        for name, value in lists.items():
            saved[name][:] = value
        self.__dict__.update(streams)
        if hasattr(self, "_segments"):
            self._relink_segments()
            for seg, state in zip(self._segments, segment_states):
                seg.state = state           # its rows may have changed with the rule
        raise
    finally:
        self.__dict__.pop("_training", None)


# The values of the estimators' shuffle parameter.
SHUFFLES = (True, False, "blocks")


def check_shuffle(shuffle):
    """The shuffle parameter: True, False or 'blocks' (numpy bools too)."""
    if isinstance(shuffle, str):
        if shuffle == "blocks":
            return shuffle
    elif isinstance(shuffle, (bool, np.bool_)):
        return bool(shuffle)
    raise ValueError(f"shuffle must be True, False or 'blocks', got {shuffle!r}")


def _draw_order(problem, rng, blocks=None):
    """The order of an epoch's samples: a shuffled permutation in memory, or
    with blocks=(block_size, buffer_blocks) a block order; for data on a
    Dask cluster, one seed per chunk (see DaskProblem)."""
    draw = getattr(problem, "draw_order", None)
    if draw is not None:
        return draw(rng)
    if blocks is not None:
        return block_order(problem.n_samples, blocks[0], blocks[1], rng)
    return shuffled_order(problem.n_samples, rng)


def block_geometry(problem):
    """(block_size, buffer_blocks) of the block-shuffled epochs over a
    problem's rows (see fastgd.kernels.block_geometry); None for data on a
    Dask cluster, whose chunks shuffle their own rows."""
    if problem.distributed:
        return None
    return kernel_block_geometry(problem.X)


class Segment:
    """A flat block of parameters with its optimizer state (float64, of the
    rule's rows: (UpdateRule.state_rows, n))."""

    def __init__(self, values, decay):
        self.values = values                # a flat view into the model's arrays
        self.decay = decay                  # penalized / decayed (weights) or not (biases)
        self.state = np.zeros((2, values.size))
        self.grad = np.zeros(values.size)   # full-batch gradient buffer

    def fit_state_rows(self, rows):
        """Give the state the rows a rule keeps (3 with amsgrad, say): the
        rows both rules have are kept, a new one starts at zero.  A warm
        start or an unpickled model may bring a state made for another rule."""
        if self.state.shape[0] != rows:
            state = np.zeros((rows, self.values.size))
            kept = min(rows, self.state.shape[0])
            state[:kept] = self.state[:kept]
            self.state = state


# Names users bring from torch.optim and scikit-learn, and fastgd's for them.
_PARAMETER_HINTS = {"lr": "learning_rate", "max_iter": "max_epochs", "epochs": "max_epochs",
                    "n_epochs": "max_epochs", "hidden_sizes": "hidden_layer_sizes",
                    "weight_decay_rate": "weight_decay", "C": "alpha", "l2": "alpha",
                    "seed": "random_state"}


def _named_constructor(cls):
    """The inherited ``__init__`` of a public estimator, under the class's
    own name: a misspelt parameter is reported against the class the user
    wrote (with the parameter meant, when it is clear), not a private base."""
    original = inspect.unwrap(cls.__init__)
    signature = inspect.signature(original)

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        try:
            signature.bind(self, *args, **kwargs)
        except TypeError as error:
            names = [p for p in signature.parameters if p != "self"]
            hint = ""
            unknown = [k for k in kwargs if k not in signature.parameters]
            if unknown:
                meant = _PARAMETER_HINTS.get(unknown[0]) or next(
                    iter(difflib.get_close_matches(unknown[0], names, n=1)), None)
                if meant in names:
                    hint = f" (did you mean {meant!r}?)"
            raise TypeError(f"{cls.__name__}: {error}{hint}") from None
        original(self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


class GradientDescentEstimator(BaseEstimator):
    """Base class: the fit loop.  Not for direct use."""

    _optimizers = OPTIMIZERS
    # whether a stall of the stochastic solvers is judged by the full
    # gradient (convex models) or ends the fit (the network)
    _stochastic_stops_on_gradient = False
    # whether the loss's gradient is bounded (see _rate_grows)
    _bounded_gradient = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith("_") and "__init__" not in cls.__dict__:
            cls.__init__ = _named_constructor(cls)
        for name in _SERIALIZED_METHODS:
            if name in cls.__dict__:
                setattr(cls, name, serialized(cls.__dict__[name]))
        if not cls.__name__.startswith("_") and cls.__doc__:
            # numpydoc's order: Notes before Examples
            doc, examples, rest = cls.__doc__.rstrip().partition("\n    Examples\n    --------\n")
            cls.__doc__ = doc.rstrip() + "\n\n" + THREADS_DOCS + (
                "\n" + examples.lstrip("\n") + rest + "\n" if examples else "")

    @serialized
    def get_params(self, deep=True):
        """The constructor's parameters, as scikit-learn's get_params gives
        them, read while no fit of this object runs."""
        return super().get_params(deep=deep)

    @serialized
    def set_params(self, **params):
        """Set constructor parameters, as scikit-learn's set_params does,
        once no fit of this object runs; returns self."""
        return super().set_params(**params)

    def __getstate__(self):
        # a consistent copy, taken while no fit of this object runs: pickle
        # and deepcopy read the state after this returns
        with lock_of(self):
            parent = getattr(super(), "__getstate__", None)
            state = parent() if parent is not None else self.__dict__
            return copy.deepcopy(dict(state))

    def _store_parameters(self, arguments):
        """Keep the constructor's arguments (its ``locals()``) as attributes
        of the same names: all that scikit-learn lets ``__init__`` do."""
        for name in self._get_param_names():
            setattr(self, name, arguments[name])

    def _optimizer(self):
        """The update rule to use: ``optimizer`` itself, or for 'auto' (the
        linear models' default) plain steps: at Barzilai-Borwein rates in
        full-batch descent (see _barzilai_borwein), and in the stochastic
        solvers because momentum would amplify the noise of the steps and a
        plain per-sample step is the fast loop (lazy L2, no state)."""
        if self.optimizer == "auto":
            return "sgd"
        return self.optimizer

    def _barzilai_borwein(self):
        """Whether 'auto' takes Barzilai-Borwein steps: full-batch descent by
        fit at the rate fastgd picks, with no schedule or momentum setting
        of the user's.  Otherwise 'auto' is torch's SGD: the textbook's
        plain gradient descent at a rate or schedule of the user's, with the
        momentum the user gives, and in partial_fit, whose calls may see
        different data (the steps' memory would mix them)."""
        return (self.optimizer == "auto" and self.solver == "gd"
                and not getattr(self, "_partial", False)
                and isinstance(self.learning_rate, str)
                and self._schedule() == "constant"
                and all(getattr(self, name, None) is None
                        for name in ("momentum", "dampening", "nesterov")))

    def _check_hyperparameters(self):
        """Validate the constructor's parameters once per fit, before any kernel."""
        if self.solver not in self._solvers:
            raise ValueError(f"solver must be one of {self._solvers}, got {self.solver!r}")
        if self.solver == SAGA:
            self._check_saga_hyperparameters()
        if not (isinstance(self.optimizer, str) and self.optimizer in self._optimizers):
            raise ValueError(f"optimizer must be one of {self._optimizers}, "
                             f"got {self.optimizer!r}")
        if not (callable(self.schedule) or self.schedule in ESTIMATOR_SCHEDULES):
            raise ValueError(f"schedule must be one of {ESTIMATOR_SCHEDULES} or a callable, "
                             f"got {self.schedule!r}")
        check_scalar(self.alpha, "alpha", low=0.0)
        if not (isinstance(self.learning_rate, str) and self.learning_rate == "auto"):
            check_scalar(self.learning_rate, "learning_rate", low=0.0, low_open=True)
        check_scalar(self.max_epochs, "max_epochs", kind=numbers.Integral, low=1)
        if self.tol is not None:
            check_scalar(self.tol, "tol", low=0.0)
        check_scalar(self.n_iter_no_change, "n_iter_no_change", kind=numbers.Integral, low=1)
        check_scalar(self.batch_size, "batch_size", kind=numbers.Integral, low=1)
        check_scalar(self.validation_fraction, "validation_fraction", low=0.0, high=1.0,
                     low_open=True, high_open=True)
        check_scalar(self.n_jobs, "n_jobs", kind=numbers.Integral, low=1)
        params = self.get_params(deep=False)
        check_shuffle(self.shuffle)
        for name in ("fit_intercept", "early_stopping", "warm_start", "nesterov"):
            # nesterov=None leaves the choice to the update rule
            if name in params and not (name == "nesterov" and params[name] is None):
                check_bool(params[name], name)
        check_scalar(getattr(self, "verbose", 0), "verbose", kind=numbers.Integral, low=0)
        callback = getattr(self, "callback", None)
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be a callable or None, got {callback!r}")
        if self.schedule == "optimal" and self.alpha <= 0:
            raise ValueError("schedule='optimal' is 1 / (alpha (t0 + t)) and needs alpha > 0")
        # the rule's own settings (momentum, betas, ...), checked where the
        # rule is made, before the automatic rate computes with them
        self._make_rule(1.0)

    def _check_saga_hyperparameters(self):
        """SAGA makes its own steps, at a constant rate: it takes no update
        rule, schedule or rule settings (they would be silently ignored)."""
        if self.optimizer != "auto":
            raise ValueError("solver='saga' makes its own variance-reduced steps: optimizer must "
                             f"be 'auto', got optimizer={self.optimizer!r}")
        if self._schedule() != "constant":
            raise ValueError("solver='saga' converges at a constant rate: schedule must be "
                             f"'constant' or 'auto', got schedule={self.schedule!r}")
        given = [name for name in RULE_HYPERPARAMETERS if getattr(self, name, None) is not None]
        if given:
            raise ValueError(f"solver='saga' has no update rule to set: {', '.join(given)} "
                             "must be None")
        if not isinstance(self.learning_rate, str):
            rate = check_scalar(self.learning_rate, "learning_rate", low=0.0, low_open=True)
            alpha = check_scalar(self.alpha, "alpha", low=0.0)
            if not rate * alpha < 1.0:
                raise ValueError(f"solver='saga' shrinks the weights by 1 - learning_rate * alpha "
                                 f"each step: learning_rate * alpha must be below 1, got "
                                 f"{rate} * {alpha}")

    def _hyperparameters(self):
        return {name: getattr(self, name) for name in RULE_HYPERPARAMETERS
                if getattr(self, name, None) is not None}

    def _batch_size(self, n_samples):
        # int(): a numpy uint64 or int8 batch_size would wrap in the arithmetic
        return {"gd": n_samples, "sgd": 1, SAGA: 1}.get(self.solver,
                                                         min(int(self.batch_size), n_samples))

    def _initial_rate(self, problem):
        """The base learning rate; 'auto' is 1 / L for the plain rules, where L
        bounds the curvature of a step's objective (the mini-batch
        smoothness constant), scaled by (1 - momentum); torch's defaults for
        the adaptive rules.  With Barzilai-Borwein steps 1 / L is the first
        step and the fallback (see _barzilai_borwein_step).

        Heavy ball and Nesterov momentum with stochastic gradients multiply
        the noise by 1 / (1 - mu): they keep the effective step 1 / L."""
        if not (isinstance(self.learning_rate, str)):
            return float(self.learning_rate)
        if self.solver == SAGA:
            # scikit-learn's SAGA step (its get_auto_step_size), with L the
            # largest per-sample curvature plus alpha: 1 / (2 L + mu n)
            L = self._auto_curvature(problem)
            return 1.0 / (2.0 * L + min(2.0 * problem.n_samples * float(self.alpha), L))
        optimizer = self._optimizer()
        if optimizer in _ADAPTIVE_DEFAULT_RATE:
            return _ADAPTIVE_DEFAULT_RATE[optimizer]
        L = self._auto_curvature(problem)
        if self._barzilai_borwein():
            return 1.0 / L
        return self._momentum_factor(optimizer) / L

    def _start_rate(self, problem):
        """learning_rate_ at the start of a fit, and the rate that a growing
        rate is measured against (see _rate_grows)."""
        self.learning_rate_ = self._automatic_rate = self._initial_rate(problem)

    def _auto_curvature(self, problem):
        """The curvature bound the automatic rate divides by: finite (data
        whose squares overflow are not a learning rate's fault) and not 0."""
        curvature = self._curvature(problem, self._batch_size(problem.n_samples))
        if not np.isfinite(curvature):
            raise ValueError(_TOO_LARGE.format(what="X's squared row norms overflow"))
        L = curvature + self.alpha
        if not np.isfinite(L):
            raise ValueError(f"alpha={self.alpha!r} is too large: the curvature bound "
                             "(the data's plus alpha) overflows")
        return max(L, 1e-12)

    def _momentum_factor(self, optimizer):
        """1 - momentum, which scales the automatic rate of a plain rule with
        momentum (torch's default 0.9 for 'momentum' and 'nesterov')."""
        momentum = self.momentum if self.momentum is not None else (
            0.9 if optimizer in ("momentum", "nesterov") else 0.0)
        if momentum >= 1.0:
            raise ValueError(f"learning_rate='auto' scales the step by 1 - momentum, which "
                             f"momentum={momentum} makes <= 0: give a momentum below 1 or "
                             "a learning_rate")
        return 1.0 - momentum

    def _make_rule(self, rate):
        return make_rule(self._optimizer(), rate, self._schedule(), alpha=self.alpha,
                         **self._hyperparameters())

    def _lr_table(self, n_steps):
        """Rates of the next n_steps updates from a callable schedule of the
        update count t (1-based), evaluated before the compiled loop runs."""
        if not callable(self.schedule):
            return None
        t0 = self.t_
        table = [self.schedule(t0 + k + 1) for k in range(n_steps)]
        return check_lr_table(table, n_steps, name="the rates the schedule returned")

    def _fit_epochs(self, problem, validation, rng, max_epochs, reset):
        """Run up to max_epochs epochs on problem; record history; stop."""
        if reset or not hasattr(self, "_segments"):
            self._segments = self._init_segments(problem, rng)
            self.t_ = 0
            self.loss_history_ = []
            self.validation_scores_ = [] if validation is not None else None
            self._start_rate(problem)
        elif validation is not None and self.validation_scores_ is None:
            self.validation_scores_ = []    # early stopping switched on for a warm start
        if self.learning_rate_ is None:     # continuing from the closed form (solver='normal')
            self._start_rate(problem)
        # the data must not be the model's own parameters (coefs_ are views
        # of them): the loops would read X while rewriting it
        check_no_overlap({f"the model's parameters (block {k})": seg.values
                          for k, seg in enumerate(self._segments)},
                         {name: value for name, value in vars(problem).items()
                          if isinstance(value, np.ndarray)})
        rule = self._make_rule(self.learning_rate_)
        for seg in self._segments:
            seg.fit_state_rows(rule.state_rows)
        batch_size = self._batch_size(problem.n_samples)
        n_steps = -(-problem.n_samples // batch_size)
        blocks = (block_geometry(problem) if check_shuffle(self.shuffle) == "blocks"
                  and self.solver != "gd" else None)
        best = np.inf if not self.loss_history_ else min(self.loss_history_)
        best_score, no_improve, self.converged_ = -np.inf, 0, False
        self._gradient_fresh = False        # parameters may have changed since the last fit
        start = self._start = self._start_objective(problem)
        if not np.isfinite(start):
            # the initial weights' penalty can overflow too
            raise ValueError(_TOO_LARGE.format(what=f"the objective is {start} before any step")
                             + (f"; or alpha={self.alpha!r} is too large" if self.alpha else ""))
        self._bb_memory = None      # Barzilai-Borwein steps start afresh at 1 / L
        gradient_stop = (self._stochastic_stops_on_gradient and self.solver in STOCHASTIC_SOLVERS
                         and validation is None and self.tol is not None
                         and max_epochs > self.n_iter_no_change)
        if (self.solver in ("gd", SAGA) or gradient_stop) and (
                reset or not hasattr(self, "_gradient_scale")):
            # the yardstick of the gradient stopping rule: the gradient where
            # the model started (zero weights for the linear models), kept
            # across warm starts so that a continued fit stops where a long
            # one would; full batch has it already, the others pay one pass
            if self.solver != "gd":
                self._full_gradient(problem)
            self._gradient_units = self._feature_units(problem)
            self._gradient_scale = self._gradient_norm()
        checked = np.inf                    # the exact objective at the last stall
        divided = False                     # whether the last stall divided the rate
        misses = 0                          # stalls in a row without progress
        # epochs at this rate, while the rate may still grow (None: no more)
        steady = 0 if gradient_stop and self._rate_grows() else None
        grew = False                        # whether it has (see GROWN_PROGRESS_TOL)
        short_epochs = gradient_stop and self._short_epochs(n_steps)
        mean, mean_epochs = None, 0         # the mean of the epoch ends at mean_rate
        mean_rate = None
        iterate = None                      # the iterate, while the mean stands in for it
        if self.solver == SAGA:
            self._saga_start(problem, reset)
        first = len(self.loss_history_)
        # from here the model is the one being trained (see keeps_model_on_error):
        # its public attributes are views of its parameters, its history grows
        self._training = True
        self._expose_fitted_attributes(training=True)
        # n_iter_ counts the epochs of this fit (partial_fit: of every call)
        counted_from = 0 if getattr(self, "_partial", False) else first
        self.n_iter_ = first - counted_from
        for epoch in range(max_epochs):
            if iterate is not None:         # the fit goes on from its iterate
                for seg, values in zip(self._segments, iterate):
                    seg.values[...] = values
                iterate = None
                self._gradient_fresh = False
            self._remember_epoch_start(counted_from)
            # the schedule's rates first: a callable that raises then leaves
            # the shuffling stream where it was
            lr_table = self._lr_table(n_steps)
            order = _draw_order(problem, rng, blocks) if (
                self.shuffle and self.solver != "gd") else None
            objective = self._one_epoch(problem, rule, order, batch_size, lr_table, blocks)
            if not np.isfinite(objective) or objective > DIVERGENCE_FACTOR * (abs(start) + 1.0):
                # keeps_model_on_error puts back the model from before the fit
                raise self._divergence(
                    f"diverged at epoch {len(self.loss_history_) + 1}: the objective "
                    f"reached {objective:.6g} (it started at {start:.6g})")
            self.loss_history_.append(float(objective))
            self.n_iter_ = len(self.loss_history_) - counted_from
            if short_epochs:
                if mean_rate != self.learning_rate_:    # a new rate: a new mean
                    mean, mean_epochs = [seg.values.copy() for seg in self._segments], 1
                    mean_rate = self.learning_rate_
                else:
                    mean_epochs += 1
                    for m, seg in zip(mean, self._segments):
                        m += (seg.values - m) / mean_epochs
            if validation is not None:
                score = self._validation_score(validation)
                self.validation_scores_.append(score)
                improved = score > best_score + (self.tol or 0.0)
                best_score = max(best_score, score)
            else:
                improved = objective < best - (self.tol or 0.0)
            best = min(best, objective)
            no_improve = 0 if improved else no_improve + 1
            if self._report_epoch(objective, validation, rule, lr_table):
                break                       # the callback asked to stop
            if self.tol is None:
                continue
            if validation is None and self.solver == SAGA:
                # SAGA's running gradient estimate is free; the exact
                # gradient (a pass over X) only confirms it
                threshold = self.tol * self._gradient_scale
                if self._saga_gradient_estimate() <= threshold:
                    self._full_gradient(problem)
                    if self._gradient_norm() <= threshold:
                        self.converged_ = True
                        break
                continue
            if validation is None and self.solver == "gd":
                # full batch knows its gradient: stop when it has shrunk by
                # tol (the objective's own progress stalls long before the
                # optimum on an ill-conditioned problem)
                if self._gradient_norm() <= self.tol * self._gradient_scale:
                    self.converged_ = True
                    break
                if no_improve >= self.n_iter_no_change and self._adapt_rate():
                    rule = self._make_rule(self.learning_rate_)
                    no_improve = 0
                continue
            if steady is not None and no_improve < self.n_iter_no_change:
                steady += 1
                if (steady >= RATE_GROWTH_WINDOW * self.n_iter_no_change
                        and 2.0 * self.learning_rate_ <= RATE_GROWTH_CAP * self._automatic_rate
                        and 2.0 * self.learning_rate_ * self.alpha <= 1.0):
                    self.learning_rate_ *= 2.0
                    rule = self._make_rule(self.learning_rate_)
                    steady, grew = 0, True
            if no_improve >= self.n_iter_no_change:
                steady = None               # the first stall: the rate grows no more
                if gradient_stop:
                    # the stall may be the optimum, the rate's noise floor,
                    # or slow progress the epoch objective's noise hides:
                    # the exact objective and gradient (one pass) tell them apart
                    exact = self._full_gradient(problem)
                    if short_epochs and mean_epochs > 1:
                        exact, iterate = self._judge_mean(problem, mean, exact)
                    scale = max(abs(exact), STOCHASTIC_PROGRESS_FLOOR * abs(start))
                    progress_tol = GROWN_PROGRESS_TOL if grew else STOCHASTIC_PROGRESS_TOL
                    progressed = exact < checked - progress_tol * scale
                    if progressed or not np.isfinite(checked):
                        # progress is measured from here: a slow descent
                        # adds up over the stalls that follow
                        checked = exact
                    gradient = self._gradient_norm()
                    if gradient <= self.tol * self._gradient_scale:
                        # full batch's own test: the optimum, progress or not
                        self.converged_ = True
                        break
                    small = gradient <= STOCHASTIC_GRADIENT_TOL * self._gradient_scale
                    if small or short_epochs:
                        if progressed:
                            # still coming down: the rate is not the limit
                            no_improve, divided, misses = 0, False, 0
                            continue
                        misses += 1
                        if misses < STALL_PATIENCE:
                            # one stall's exact objective is as noisy as the
                            # iterate: a slow descent shows over a few
                            no_improve = 0
                            continue
                        misses = 0
                    if small:
                        # the optimum, once a smaller rate has not moved it either
                        if divided or not self._adapt_rate():
                            self.converged_ = True
                            break
                        rule = self._make_rule(self.learning_rate_)
                        no_improve, divided = 0, True
                        continue
                if self._adapt_rate():
                    rule = self._make_rule(self.learning_rate_)
                    no_improve, divided, misses = 0, True, 0
                    continue
                self.converged_ = not gradient_stop
                if gradient_stop:
                    self._stop_reason = "stalled"
                break
        self.n_iter_ = len(self.loss_history_) - counted_from
        # Full-batch descent at a stable rate never ends above where it
        # started.  A rate too large for the feature scale can instead bounce
        # between points of bounded loss (the logistic loss grows only
        # linearly), which the growth test above never sees: that is
        # divergence too, whether or not a stopping rule fired.
        if (self.solver == "gd" and len(self.loss_history_) > first
                and min(self.loss_history_[first:]) > start + (self.tol or 0.0)):
            self.converged_ = False
            raise self._divergence(
                f"made no progress in {len(self.loss_history_) - first} epochs: the objective stayed at "
                f"{min(self.loss_history_[first:]):.6g} or above, higher than where it "
                f"started ({start:.6g})")
        return self

    def _remember_epoch_start(self, counted_from):
        """Note what an interrupted epoch must put back (see _train)."""
        self._epoch_start = {
            "values": [seg.values.copy() for seg in self._segments], "state": [seg.state.copy() for seg in self._segments],
            "t": self.t_, "epochs": len(self.loss_history_),
            "scores": len(self.validation_scores_ or ()), "learning_rate": self.learning_rate_,
            "counted_from": counted_from, "clock": callbacks.now()}

    def _report_epoch(self, objective, validation, rule, lr_table):
        """The epoch's line (verbose) and callback; True if the callback
        asks to stop."""
        verbose, callback = getattr(self, "verbose", 0), getattr(self, "callback", None)
        if not verbose and callback is None:
            return False
        if lr_table is not None:
            rate = float(lr_table[-1])
        else:
            rate = float(rule.learning_rate(max(float(self.t_), 1.0)))
        record = callbacks.EpochRecord(
            epoch=self.n_iter_, objective=float(objective),
            validation_score=None if validation is None else self.validation_scores_[-1],
            learning_rate=rate, seconds=callbacks.now() - self._epoch_start["clock"])
        if verbose:
            print(record, flush=True)
        if callback is not None and callback(record):
            self._stop_reason = "callback"
            return True
        return False

    def _train(self, problem, validation, rng, max_epochs, reset):
        """_fit_epochs, stopped cleanly by Ctrl-C once the epochs have begun.

        A KeyboardInterrupt raised during an epoch (by the signal, or by a
        schedule or callback) undoes the unfinished epoch: the parameters,
        optimizer state, update count and history go back to where it
        began, and the fit returns with the last finished epoch's model and
        a FitInterruptedWarning.  Before the epochs begin it propagates, and
        keeps_model_on_error restores the estimator as it was."""
        self._stop_reason = None
        try:
            self._fit_epochs(problem, validation, rng, max_epochs, reset)
        except KeyboardInterrupt:
            if not self.__dict__.get("_training", False) or not hasattr(self, "_epoch_start"):
                raise
            start = self._epoch_start
            scores = self.validation_scores_ if validation is not None else None
            finished = len(self.loss_history_) > start["epochs"] and (
                scores is None or len(scores) > start["scores"])
            if not finished:
                for seg, values, state in zip(self._segments, start["values"], start["state"]):
                    seg.values[...] = values
                    seg.state[...] = state
                self.t_, self.learning_rate_ = start["t"], start["learning_rate"]
                del self.loss_history_[start["epochs"]:]
                if scores is not None:
                    del scores[start["scores"]:]
            self._gradient_fresh = False
            self.converged_ = False
            self.n_iter_ = len(self.loss_history_) - start["counted_from"]
            self._stop_reason = "interrupt"
            warnings.warn(f"{type(self).__name__}: the fit was interrupted (KeyboardInterrupt); it "
                          f"stopped after {self.n_iter_} finished epoch(s) and the model keeps "
                          "the parameters of the last one", FitInterruptedWarning, stacklevel=5)
        finally:
            self.__dict__.pop("_epoch_start", None)

    def _divergence(self, what):
        return DivergenceError(
            f"{type(self).__name__} {what}, with learning_rate={self.learning_rate_:.6g} "
            f"(schedule={self.schedule!r}): {DivergenceError.ADVICE}, or "
            "learning_rate='auto'.")

    def _run_fit(self, problem, warm):
        """What every model's fit does once its data are validated."""
        rng = check_random_state(self.random_state)
        validation = None
        if self.early_stopping:
            problem, validation = self._split_validation(problem, rng)
        if warm:
            # a new fit reads the learning_rate parameter again (set_params
            # may have changed it, as scikit-learn's warm start does); only
            # partial_fit carries the running rate from call to call
            self._start_rate(problem)
        self._train(problem, validation, rng, self.max_epochs, reset=not warm)
        self._expose_fitted_attributes()
        self._warn_if_not_converged()
        return self

    def _run_partial_fit(self, problem, first):
        """One epoch continuing the previous calls (parameters, optimizer
        state, update count and the shuffling stream)."""
        if first or not hasattr(self, "_rng_state"):
            self._rng_state = check_random_state(self.random_state)
        self._partial = True
        try:
            self._train(problem, None, self._rng_state, 1, reset=first)
        finally:
            self._partial = False
        self._expose_fitted_attributes()
        return self

    def _split_validation(self, problem, rng):
        """Hold out validation_fraction of the samples for early stopping."""
        n = problem.n_samples
        n_val = int(np.ceil(self.validation_fraction * n))
        if n_val < 1 or n - n_val < 1:
            raise ValueError(f"validation_fraction={self.validation_fraction} leaves no "
                             f"training or validation samples out of {n}")
        perm = rng.permutation(n)
        val, train = np.sort(perm[:n_val]), np.sort(perm[n_val:])
        if getattr(problem, "distributed", False):
            problem, validation = problem.subset(train), problem.subset(val)
            for part, split in (("training", problem), ("validation", validation)):
                if not split.weight_total > 0:
                    raise ValueError(
                        f"early_stopping: every sample of the {part} split "
                        f"(validation_fraction={self.validation_fraction}) has zero "
                        "sample_weight; change validation_fraction or random_state")
            return problem, validation
        if problem.sample_weight is not None:
            for part, index in (("training", train), ("validation", val)):
                if not (problem.sample_weight[index] > 0).any():
                    raise ValueError(
                        f"early_stopping: every sample of the {part} split "
                        f"(validation_fraction={self.validation_fraction}) has zero "
                        "sample_weight; change validation_fraction or random_state")
        return problem.subset(train), problem.subset(val)

    def __setstate__(self, state):
        # pickle and deepcopy store each view as an array of its own: make
        # the segments (and the public attributes) views of the model's
        # arrays again, or training would update one copy and report another
        parent = getattr(super(), "__setstate__", None)
        if parent is not None:
            parent(state)
        else:
            self.__dict__.update(state)
        if hasattr(self, "_segments"):
            self._relink_segments()
            self._expose_fitted_attributes()

    def _one_epoch(self, problem, rule, order, batch_size, lr_table, blocks=None):
        if self.solver == SAGA:
            # SAGA reads its table at every row: it visits a block order in place
            objective, self.t_ = self._saga_epoch(problem, order)
            return objective
        if self.solver != "gd":
            if blocks is None:
                objective, self.t_ = self._epoch(problem, rule, order, batch_size, lr_table)
            else:
                objective, self.t_ = self._epoch(problem, rule, order, batch_size, lr_table,
                                                 blocks=blocks)
            return objective
        # full batch: one step along the gradient at the current parameters,
        # then the objective (and next gradient) at the new ones, in one pass
        if not self._gradient_fresh:
            self._full_gradient(problem)
        if self._barzilai_borwein():
            return self._barzilai_borwein_step(problem, rule)
        self.t_ += 1
        lr = None if lr_table is None else lr_table[0]
        self._step(rule, lr)
        return self._full_gradient(problem)

    def _step(self, rule, lr):
        for seg in self._segments:
            if seg.decay or self.fit_intercept:
                rule.step(seg.values, seg.grad, seg.state, float(self.t_), seg.decay, lr)

    def _barzilai_borwein_step(self, problem, rule):
        """One full-batch step at a Barzilai-Borwein rate (1988), safeguarded.

        From the last step s and the change y of the gradient along it, the
        long rate s.s / s.y and the short rate s.y / y.y are each the inverse
        of a curvature the step met: large in flat directions, small in steep
        ones, without any line search.  The step takes the long rate, or,
        when the short one is below BB_SHORT_RATIO times it, the smallest
        short rate of the last BB_SHORT_MEMORY steps (ABBmin).  On logistic
        regression of standardized breast_cancer (alpha = 1 / n) the
        gradient falls by 1e-6 in 62 epochs, where Nesterov's method at
        1 / L needs over 1000.  The objective is not monotone: a step that
        rises above the highest of the last NONMONOTONE_WINDOW objectives
        (Grippo, Lampariello and Lucidi's test) or leaves them non-finite
        is taken again at 1 / L, which always descends, and the rates start
        over from there.
        """
        now = [seg.values.copy() for seg in self._segments]
        grad = [seg.grad.copy() for seg in self._segments]
        lr = self.learning_rate_
        short_rates = []
        if self._bb_memory is not None:
            short_rates = self._bb_memory[2]
            s = np.concatenate([a - b for a, b in zip(now, self._bb_memory[0])])
            y = np.concatenate([a - b for a, b in zip(grad, self._bb_memory[1])])
            sy, yy = float(s @ y), float(y @ y)
            # either quotient underflows to 0 (or is NaN) beside huge features:
            # such a rate is neither taken nor remembered
            if sy > 0.0 and yy > 0.0:
                long_rate, short_rate = float(s @ s) / sy, sy / yy
                if short_rate > 0.0 and np.isfinite(short_rate):
                    short_rates = (short_rates + [short_rate])[-BB_SHORT_MEMORY:]
                if short_rate < BB_SHORT_RATIO * long_rate and short_rates:
                    rate = min(short_rates)
                else:
                    rate = long_rate
                if rate > 0.0:
                    lr = min(rate, BB_MAX_RATE * self.learning_rate_)
        self._bb_memory = (now, grad, short_rates)
        self.t_ += 1
        self._step(rule, lr)
        objective = self._full_gradient(problem)
        recent = self.loss_history_[-NONMONOTONE_WINDOW:] or [self._start]
        if lr != self.learning_rate_ and not objective <= max(recent):
            for seg, values, g in zip(self._segments, now, grad):
                seg.values[...] = values
                seg.grad[...] = g
            self._bb_memory = None
            self._step(rule, self.learning_rate_)
            objective = self._full_gradient(problem)
        return objective

    def _automatic_plain_steps(self):
        """Whether a stochastic fit takes plain steps at fastgd's own rate
        and schedule, which it may then adjust (see _rate_grows,
        _short_epochs)."""
        return (self.solver in STOCHASTIC_SOLVERS
                and self.optimizer == "auto"
                and isinstance(self.learning_rate, str)
                and isinstance(self.schedule, str) and self.schedule == "auto"
                and hasattr(self, "_automatic_rate")
                and all(getattr(self, name, None) is None
                        for name in ("momentum", "dampening", "nesterov")))

    def _rate_grows(self):
        """Whether a stochastic fit's rate doubles while it descends steadily
        (see RATE_GROWTH_WINDOW): a logistic or softmax fit (the losses
        say so with _bounded_gradient)."""
        return self._bounded_gradient and self._automatic_plain_steps()

    def _short_epochs(self, n_steps):
        """Whether a stochastic fit of n_steps steps an epoch judges every
        stall by its progress and keeps the mean of its epoch ends (see
        SHORT_EPOCH_STEPS)."""
        return n_steps <= SHORT_EPOCH_STEPS and self._automatic_plain_steps()

    def _judge_mean(self, problem, mean, exact):
        """At a stall, with the iterate's exact objective: the mean of the
        epoch ends in its place when its objective is lower.  Returns the
        lower objective, with that point's gradient in the segments, and
        the iterate's values when the mean took its place (else None)."""
        iterate = [seg.values.copy() for seg in self._segments]
        gradients = [seg.grad.copy() for seg in self._segments]
        for m, seg in zip(mean, self._segments):
            seg.values[...] = m
        better = False
        try:
            at_mean = self._full_gradient(problem)
            better = at_mean < exact
            return (at_mean, iterate) if better else (exact, None)
        finally:
            # the iterate back, also when the pass is interrupted: the
            # model is then that of its last epoch
            if not better:
                for seg, values, gradient in zip(self._segments, iterate, gradients):
                    seg.values[...] = values
                    seg.grad[...] = gradient

    def _schedule(self):
        """The schedule in force (a name, or the user's callable): 'auto' is
        'adaptive' for the stochastic solvers ('sgd', 'minibatch'), whose
        constant rate leaves them at a noise floor above the optimum, and
        'constant' for full batch and SAGA, which converge at a constant
        rate."""
        if isinstance(self.schedule, str) and self.schedule == "auto":
            return "adaptive" if self.solver in STOCHASTIC_SOLVERS else "constant"
        return self.schedule

    def _adapt_rate(self):
        """schedule='adaptive': divide the rate when the objective stalls;
        False once it would fall below MIN_ADAPTIVE_RATE (or for any other
        schedule).  A rate that grew (see _rate_grows) comes back the way
        it went up, halved at each stall down to the automatic rate."""
        if self._schedule() != "adaptive":
            return False
        if self._rate_grows() and self.learning_rate_ > self._automatic_rate:
            self.learning_rate_ /= 2.0
            return True
        if self.learning_rate_ / ADAPTIVE_DIVISOR < MIN_ADAPTIVE_RATE:
            return False
        self.learning_rate_ /= ADAPTIVE_DIVISOR
        return True

    def _gradient_norm(self, grads=None):
        """The largest entry of the full-batch gradient last computed (or of
        ``grads``, one array a segment), over the parameters being trained
        (the intercepts only with fit_intercept), each entry in the units of
        _feature_units."""
        grads = [seg.grad for seg in self._segments] if grads is None else grads
        units = getattr(self, "_gradient_units", None) or [None] * len(grads)
        return max((float(np.max(np.abs(np.reshape(g, -1) if u is None
                                        else np.reshape(g, -1) / u), initial=0.0))
                    for seg, g, u in zip(self._segments, grads, units)
                    if seg.decay or self.fit_intercept), default=0.0)

    def _feature_units(self, problem):
        """The units in which the stopping rule reads each segment's gradient
        (an array of its size, or None for raw units)."""
        return [None] * len(self._segments)

    def _full_gradient(self, problem):
        """Objective at the current parameters; the gradient into each segment."""
        objective = self._objective_gradient(problem)
        self._gradient_fresh = True
        return objective

    def _start_objective(self, problem):
        """The yardstick of divergence: the objective where this fit starts.

        Full batch computes it anyway (with the first gradient); the
        stochastic solvers evaluate it on at most START_OBJECTIVE_ROWS rows, so it
        costs no extra pass over a large X.
        """
        if self.solver == "gd":
            return self._full_gradient(problem)
        if self.loss_history_:
            return self.loss_history_[-1]    # continuing: the last accepted epoch
        n = min(problem.n_samples, START_OBJECTIVE_ROWS)
        objective = self._objective_gradient(problem.subset(np.arange(n)))
        self._gradient_fresh = False
        return objective

    def _warn_if_not_converged(self):
        # tol=None asks for exactly max_epochs epochs (as scikit-learn's SGD):
        # reaching them is then what was asked, not a failure to converge
        if self.converged_ or self.tol is None:
            return
        if self._stop_reason == "stalled":
            warnings.warn(
                f"{type(self).__name__} stopped when the objective stalled, with the "
                f"gradient still above max(tol, {STOCHASTIC_GRADIENT_TOL}) times its value "
                f"at the start (learning_rate_={self.learning_rate_:.3g}, "
                f"schedule={self.schedule!r}): use schedule='auto' or 'adaptive', a "
                "smaller learning_rate, or solver='gd' or 'saga' for the exact optimum.",
                ConvergenceWarning, stacklevel=3)
        elif self._stop_reason is None:
            rule = ("the gradient shrank by tol"
                    if self.solver in ("gd", SAGA) and not self.early_stopping
                    else "the objective settled")
            warnings.warn(f"{type(self).__name__} stopped at max_epochs={self.max_epochs} before "
                          f"{rule} (tol={self.tol}); increase max_epochs, or the "
                          "learning_rate, or standardize the features.", ConvergenceWarning,
                          stacklevel=3)
