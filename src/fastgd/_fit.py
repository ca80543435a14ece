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
import functools
import numbers
import warnings

import numpy as np

from ._sklearn_compat import BaseEstimator
from ._validation import (check_bool, check_lr_table, check_no_overlap, check_random_state,
                          check_sample_weight, check_scalar)
from .exceptions import ClusterError, ConvergenceWarning, DivergenceError
from .kernels import shuffled_order
from .kernels.rules import OPTIMIZERS, SCHEDULES, make_rule

SOLVERS = ("gd", "sgd", "minibatch")
# An objective this many times its starting value (plus one) has diverged.
DIVERGENCE_FACTOR = 1e6
# The stochastic solvers' starting objective, the yardstick of divergence, is
# taken on this many rows: no extra pass over a large X.
START_OBJECTIVE_ROWS = 1000
# 'adaptive' divides the rate by this when the objective stops improving, and
# gives up below MIN_ADAPTIVE_RATE (as scikit-learn's SGD does).
ADAPTIVE_DIVISOR = 5.0
MIN_ADAPTIVE_RATE = 1e-6
# torch.optim's default rates of the adaptive rules, used by learning_rate='auto'.
_ADAPTIVE_DEFAULT_RATE = {"adagrad": 1e-2, "rmsprop": 1e-2, "adam": 1e-3, "adamw": 1e-3}
# Data whose arithmetic overflows float64 before training starts: not a
# learning rate's fault, so the error says so.
_TOO_LARGE = ("X or y is too large in magnitude to train on ({what}); standardize the "
              "features and targets, e.g. with sklearn.preprocessing.StandardScaler")
# The settings of the update rule and of the schedule that every estimator
# takes, under torch.optim's names; None leaves the rule's own default.
RULE_HYPERPARAMETERS = ("momentum", "dampening", "nesterov", "betas", "eps", "rho",
                        "weight_decay", "lr_decay", "power_t", "gamma", "step_size")
# ... and their documentation, in every estimator's docstring.
RULE_HYPERPARAMETER_DOCS = """\
    momentum, dampening, nesterov, betas, eps, rho, weight_decay, lr_decay : optional
        Hyperparameters of the update rule, torch.optim's names and defaults
        (``rho`` is RMSProp's smoothing constant, torch's ``alpha``).
        ``weight_decay`` applies to the weights, never to the intercepts.
    power_t, gamma, step_size : optional
        Parameters of the schedule.
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


def keeps_model_on_error(fit_method):
    """Make a fit method leave the estimator as it was when it raises before
    its first epoch.

    A fit records what it learns of the new data (n_features_in_, classes_,
    the loss, the layer sizes) as it validates them, and the checks that can
    still fail come after (sample_weight, the early-stopping split,
    random_state, the learning rate).  A model left with the new data's
    shapes but its old parameters would run the unchecked kernels on buffers
    of the wrong size at its next predict or warm start.  So on an error
    (an interrupt too) before the epochs begin, the estimator's attributes
    are put back as they were.  Once they have begun (_fit_epochs marks it)
    the model is kept as its last epoch left it, consistent with the data it
    was training on: a DivergenceError restores the last good epoch's
    parameters, and an interrupted fit keeps what it has learned.  A
    ClusterError (a fit on Dask input whose cluster could not finish) puts
    back the state from before the fit, epochs or not: its last epoch may
    not have been completed by every chunk.
    """
    @functools.wraps(fit_method)
    def fit(self, *args, **kwargs):
        saved = self.__dict__.copy()
        # the parameters are arrays updated in place: keep copies of them
        arrays = {name: value.copy() for name, value in saved.items()
                  if isinstance(value, np.ndarray)}
        segment_states = [seg.state.copy() for seg in saved.get("_segments", ())]
        lists = {name: list(value) for name, value in saved.items() if isinstance(value, list)}
        try:
            return fit_method(self, *args, **kwargs)
        except BaseException as exc:
            if isinstance(exc, ClusterError):
                self.__dict__.clear()
                self.__dict__.update(saved)
                for name, value in arrays.items():
                    saved[name][...] = value
                for name, value in lists.items():
                    saved[name][:] = value
                if hasattr(self, "_segments"):
                    self._relink_segments()
                    for seg, state in zip(self._segments, segment_states):
                        seg.state[...] = state
            elif not self.__dict__.get("_training", False):
                self.__dict__.clear()
                self.__dict__.update(saved)
            raise
        finally:
            self.__dict__.pop("_training", None)
    return fit


def _draw_order(problem, rng):
    """The order of an epoch's samples: a shuffled permutation in memory;
    for data on a Dask cluster, one seed per chunk (see DaskProblem)."""
    draw = getattr(problem, "draw_order", None)
    return draw(rng) if draw is not None else shuffled_order(problem.n_samples, rng)


class Segment:
    """A flat block of parameters with its optimizer state (float64, (2, n))."""

    def __init__(self, values, decay):
        self.values = values                # a flat view into the model's arrays
        self.decay = decay                  # penalized / decayed (weights) or not (biases)
        self.state = np.zeros((2, values.size))
        self.grad = np.zeros(values.size)   # full-batch gradient buffer


class GradientDescentEstimator(BaseEstimator):
    """Base class: the fit loop.  Not for direct use."""

    _optimizers = OPTIMIZERS

    def _store_parameters(self, arguments):
        """Keep the constructor's arguments (its ``locals()``) as attributes
        of the same names: all that scikit-learn lets ``__init__`` do."""
        for name in self._get_param_names():
            setattr(self, name, arguments[name])

    def _optimizer(self):
        """The update rule to use: ``optimizer`` itself, or for 'auto' (the
        linear models' default) Nesterov's accelerated gradient in full-batch
        gradient descent at the 'auto' rate (restarted when the objective
        rises, see _fit_epochs), plain steps otherwise: in the stochastic
        solvers momentum would amplify the noise of the steps, and a plain
        per-sample step is the fast loop (lazy L2, no state)."""
        if self.optimizer == "auto":
            return "nesterov" if self._accelerated() else "sgd"
        return self.optimizer

    def _accelerated(self):
        """Whether 'auto' means Nesterov's method: full-batch descent by fit
        at the constant rate fastgd picks, with no momentum setting of the
        user's.  Otherwise 'auto' is torch's SGD: the textbook's plain
        gradient descent at a rate or schedule of the user's, with the
        momentum the user gives, and in partial_fit, whose calls may see
        different data (a restart would compare their objectives)."""
        return (self.optimizer == "auto" and self.solver == "gd"
                and not getattr(self, "_partial", False)
                and isinstance(self.learning_rate, str)
                and isinstance(self.schedule, str) and self.schedule == "constant"
                and all(getattr(self, name, None) is None
                        for name in ("momentum", "dampening", "nesterov")))

    def _check_hyperparameters(self):
        """Validate the constructor's parameters once per fit, before any kernel."""
        if self.solver not in self._solvers:
            raise ValueError(f"solver must be one of {self._solvers}, got {self.solver!r}")
        if not (isinstance(self.optimizer, str) and self.optimizer in self._optimizers):
            raise ValueError(f"optimizer must be one of {self._optimizers}, "
                             f"got {self.optimizer!r}")
        if not (callable(self.schedule) or self.schedule in SCHEDULES):
            raise ValueError(f"schedule must be one of {SCHEDULES} or a callable, got {self.schedule!r}")
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
        for name in ("fit_intercept", "shuffle", "early_stopping", "warm_start", "nesterov"):
            # nesterov=None leaves the choice to the update rule
            if name in params and not (name == "nesterov" and params[name] is None):
                check_bool(params[name], name)
        if self.schedule == "optimal" and self.alpha <= 0:
            raise ValueError("schedule='optimal' is 1 / (alpha (t0 + t)) and needs alpha > 0")
        # the rule's own settings (momentum, betas, ...), checked where the
        # rule is made, before the automatic rate computes with them
        self._make_rule(1.0)

    def _hyperparameters(self):
        return {name: getattr(self, name) for name in RULE_HYPERPARAMETERS
                if getattr(self, name, None) is not None}

    def _batch_size(self, n_samples):
        # int(): a numpy uint64 or int8 batch_size would wrap in the arithmetic
        return {"gd": n_samples, "sgd": 1}.get(self.solver, min(int(self.batch_size), n_samples))

    def _initial_rate(self, problem):
        """The base learning rate; 'auto' is 1 / L for the plain rules, where L
        bounds the curvature of a step's objective (the mini-batch
        smoothness constant), scaled by (1 - momentum) but for the
        accelerated default of full-batch gradient descent (optimizer='auto',
        see _accelerated); torch's defaults for the adaptive rules.

        Nesterov's step is a gradient step of 1 / L from the look-ahead point
        (Nesterov 1983); on a quadratic it is stable for any momentum below
        1 (each eigenvalue h = lr lambda in (0, 1] gives roots of
        r^2 - (1 + mu)(1 - h) r + mu (1 - h) inside the unit circle).  Heavy
        ball ('momentum') has no such guarantee beyond quadratics, and with
        stochastic gradients momentum multiplies the noise by 1 / (1 - mu):
        those keep the effective step 1 / L, as does an explicit 'nesterov'
        (torch's rule as the user runs it, without the restart).  The first
        step after a start or restart is (1 + mu) / L: stable while the
        estimate of L is above 0.95 of the true value (power iteration gets
        there from below).  On a 200,000 x 100 logistic problem with
        correlated features it reaches 1% of the optimal held-out loss in 12
        epochs instead of plain descent's 64."""
        if not (isinstance(self.learning_rate, str)):
            return float(self.learning_rate)
        optimizer = self._optimizer()
        if optimizer in _ADAPTIVE_DEFAULT_RATE:
            return _ADAPTIVE_DEFAULT_RATE[optimizer]
        L = self._auto_curvature(problem)
        if self._accelerated():
            return 1.0 / L
        return self._momentum_factor(optimizer) / L

    def _auto_curvature(self, problem):
        """The curvature bound the automatic rate divides by: finite (data
        whose squares overflow are not a learning rate's fault) and not 0."""
        L = self._curvature(problem, self._batch_size(problem.n_samples)) + self.alpha
        if not np.isfinite(L):
            raise ValueError(_TOO_LARGE.format(what="X's squared row norms overflow"))
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
        return make_rule(self._optimizer(), rate, self.schedule, alpha=self.alpha,
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
            self.learning_rate_ = self._initial_rate(problem)
        elif validation is not None and self.validation_scores_ is None:
            self.validation_scores_ = []    # early stopping switched on for a warm start
        if self.learning_rate_ is None:     # continuing from the closed form (solver='normal')
            self.learning_rate_ = self._initial_rate(problem)
        # the data must not be the model's own parameters (coefs_ are views
        # of them): the loops would read X while rewriting it
        check_no_overlap({f"the model's parameters (block {k})": seg.values
                          for k, seg in enumerate(self._segments)},
                         {name: value for name, value in vars(problem).items()
                          if isinstance(value, np.ndarray)})
        rule = self._make_rule(self.learning_rate_)
        batch_size = self._batch_size(problem.n_samples)
        n_steps = -(-problem.n_samples // batch_size)
        best = np.inf if not self.loss_history_ else min(self.loss_history_)
        best_score, no_improve, self.converged_ = -np.inf, 0, False
        self._gradient_fresh = False        # parameters may have changed since the last fit
        start = self._start_objective(problem)
        if not np.isfinite(start):
            raise ValueError(_TOO_LARGE.format(what=f"the objective is {start} before any step"))
        first = len(self.loss_history_)
        # from here the model is the one being trained (see keeps_model_on_error):
        # its public attributes are views of its parameters, its history grows
        self._training = True
        self._expose_fitted_attributes()
        self.n_iter_ = first
        for epoch in range(max_epochs):
            saved = [seg.values.copy() for seg in self._segments]
            # the schedule's rates first: a callable that raises then leaves
            # the shuffling stream where it was
            lr_table = self._lr_table(n_steps)
            order = _draw_order(problem, rng) if (
                self.shuffle and self.solver != "gd") else None
            objective = self._one_epoch(problem, rule, order, batch_size, lr_table)
            if not np.isfinite(objective) or objective > DIVERGENCE_FACTOR * (abs(start) + 1.0):
                for seg, values in zip(self._segments, saved):
                    seg.values[...] = values    # never leave a NaN model behind
                raise self._divergence(
                    f"diverged at epoch {len(self.loss_history_) + 1}: the objective "
                    f"reached {objective:.6g} (it started at {start:.6g})")
            self.loss_history_.append(float(objective))
            self.n_iter_ = len(self.loss_history_)
            if (self._accelerated() and len(self.loss_history_) > 1
                    and objective > self.loss_history_[-2]):
                # the adaptive restart of O'Donoghue and Candes (2015): the
                # objective went up, so the momentum has carried the iterate
                # past the valley; dropping it keeps the accelerated rate
                # without the oscillation of a fixed momentum
                for seg in self._segments:
                    seg.state[0] = 0.0
            if validation is not None:
                score = self._validation_score(validation)
                self.validation_scores_.append(score)
                improved = score > best_score + (self.tol or 0.0)
                best_score = max(best_score, score)
            else:
                improved = objective < best - (self.tol or 0.0)
            best = min(best, objective)
            no_improve = 0 if improved else no_improve + 1
            if self.tol is not None and no_improve >= self.n_iter_no_change:
                if self.schedule == "adaptive" and self.learning_rate_ / ADAPTIVE_DIVISOR >= MIN_ADAPTIVE_RATE:
                    self.learning_rate_ /= ADAPTIVE_DIVISOR
                    rule = self._make_rule(self.learning_rate_)
                    no_improve = 0
                    continue
                self.converged_ = True
                break
        self.n_iter_ = len(self.loss_history_)
        # Full-batch descent at a stable rate never ends above where it
        # started.  A rate too large for the feature scale can instead bounce
        # between points of bounded loss (the logistic loss grows only
        # linearly), which the growth test above never sees and the stopping
        # rule would report as converged: that is divergence too.
        if (self.converged_ and self.solver == "gd"
                and min(self.loss_history_[first:]) > start + (self.tol or 0.0)):
            self.converged_ = False
            raise self._divergence(
                f"made no progress in {self.n_iter_ - first} epochs: the objective stayed at "
                f"{min(self.loss_history_[first:]):.6g} or above, higher than where it "
                f"started ({start:.6g})")
        return self

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
            self.learning_rate_ = self._initial_rate(problem)
        self._fit_epochs(problem, validation, rng, self.max_epochs, reset=not warm)
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
            self._fit_epochs(problem, None, self._rng_state, 1, reset=first)
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

    def _one_epoch(self, problem, rule, order, batch_size, lr_table):
        if self.solver != "gd":
            objective, self.t_ = self._epoch(problem, rule, order, batch_size, lr_table)
            return objective
        # full batch: one step along the gradient at the current parameters,
        # then the objective (and next gradient) at the new ones, in one pass
        if not self._gradient_fresh:
            self._full_gradient(problem)
        self.t_ += 1
        lr = None if lr_table is None else lr_table[0]
        for seg in self._segments:
            if seg.decay or self.fit_intercept:
                rule.step(seg.values, seg.grad, seg.state, float(self.t_), seg.decay, lr)
        return self._full_gradient(problem)

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
        if not self.converged_ and self.tol is not None:
            warnings.warn(f"{type(self).__name__} stopped at max_epochs={self.max_epochs} before "
                          f"the objective settled (tol={self.tol}); increase max_epochs, or the "
                          "learning_rate, or standardize the features.", ConvergenceWarning,
                          stacklevel=3)
