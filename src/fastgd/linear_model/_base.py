"""What the three linear models share: parameters, data layout, the solvers' glue.

The objective of each model (alpha is the textbook's lambda / m, and the
intercept is never penalized; s_i are sample weights, all ones by default):

* linear    J = sum_i s_i 1/2 (x_i w + b - y_i)^2 / sum_i s_i + alpha/2 ||w||^2
* logistic  J = sum_i s_i [log(1 + e^{z_i}) - y_i z_i] / sum_i s_i + alpha/2 ||w||^2
* softmax   J = sum_i s_i [-log softmax(x_i W^T + b)_{y_i}] / sum_i s_i + alpha/2 ||W||^2
"""

import numpy as np
import scipy.sparse as sp

from ..kernels import _common, _linear, _saga
from .._fit import (SAGA, SOLVERS, GradientDescentEstimator, Segment, keeps_model_on_error,
                    largest_eigenvalue, minibatch_smoothness, training_weights)
from .._sklearn_compat import r2_score
from .._validation import check_array, check_feature_names, check_is_fitted, check_n_features
from ..kernels.rules import OPTIMIZERS
from ..kernels import LOSSES
from ..kernels._blocks import is_mapped
from ..kernels._interface import (STATUS_OK, available_cpus, column_square_sums, row_square_sums,
                                  rows)
from ..dask import is_dask_collection

# Bound on the second derivative of each loss in z: the curvature constant
# that turns ||x||^2 into a safe step 1 / L.
_LOSS_CURVATURE = {"squared": 1.0, "logistic": 0.25, "softmax": 0.5}
# Rows used to estimate the largest eigenvalue of X^T X / n by power iteration.
_POWER_ROWS, _POWER_ITERATIONS = 20000, 20
# A Dask X's subsample for that estimate is brought to the client up to this
# size (as dense values); beyond, each iteration is a map-reduce.
_GATHER_BYTES = 64 << 20


class _Problem:
    """Validated training data in the row layout the compiled loops read."""

    distributed = False     # in this process (fastgd.dask's DaskProblem: on a cluster)

    def __init__(self, X, y, sample_weight):
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.data, self.indices, self.indptr, self.n_features = rows(X)
        self.n_samples, self.dtype = X.shape[0], self.data.dtype

    def subset(self, index):
        sw = None if self.sample_weight is None else self.sample_weight[index]
        return _Problem(self.X[index], self.y[index], sw)

    def column_square_sums(self):
        return column_square_sums(self.X)


class _LinearModel(GradientDescentEstimator):
    """Shared parameters and machinery of the three linear models."""

    _solvers = SOLVERS + (SAGA,)
    _optimizers = OPTIMIZERS + ("auto",)
    _stochastic_stops_on_gradient = True

    @property
    def _bounded_gradient(self):
        return self._loss in ("logistic", "softmax")

    def __init__(self, *, solver="gd", optimizer="auto", learning_rate="auto",
                 schedule="auto", alpha=0.0, max_epochs=1000, tol=1e-6,
                 n_iter_no_change=5, batch_size=32, shuffle=True,
                 random_state=None, fit_intercept=True, early_stopping=False,
                 validation_fraction=0.1, warm_start=False, n_jobs=1,
                 momentum=None, dampening=None, nesterov=None, betas=None,
                 eps=None, rho=None, weight_decay=None, lr_decay=None,
                 amsgrad=None, centered=None, initial_accumulator_value=None,
                 power_t=None, gamma=None, step_size=None, verbose=0, callback=None):
        self._store_parameters(locals())

    def __sklearn_tags__(self):
        # the compiled loops read CSR rows directly: tell scikit-learn (its
        # estimator checks and meta-estimators) that sparse X is accepted
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -- the model, for the fit loop of GradientDescentEstimator -------------
    def _relink_segments(self):
        self._segments[0].values = self._coef.reshape(-1)
        self._segments[1].values = self._intercept

    def _init_segments(self, problem, rng):
        dtype = problem.dtype
        self._coef = np.zeros((self._n_outputs, problem.n_features), dtype=dtype)
        self._intercept = np.zeros(self._n_outputs, dtype=dtype)
        return [Segment(self._coef.reshape(-1), True), Segment(self._intercept, False)]

    def _feature_units(self, problem):
        """Each coefficient's gradient entry is read in units of its
        feature's root mean square (the gradient of the coefficient of the
        standardized feature), so that the stopping rule does not depend on
        the features' scales: in raw units one large feature's entry would
        dwarf the others' and stop the fit once that feature alone is fit."""
        rms = np.sqrt(problem.column_square_sums() / problem.n_samples)
        rms[~(rms > 0)] = 1.0               # a column of zeros: nothing to read
        return [np.tile(rms, self._n_outputs), None]

    def _objective_gradient(self, problem):
        if problem.distributed:
            return problem.objective_gradient(self)
        grad_W = self._segments[0].grad.reshape(self._coef.shape)
        return _linear.loss_gradient(
            LOSSES[self._loss], problem.data, problem.indices, problem.indptr,
            problem.n_features, problem.y, problem.sample_weight, self._coef,
            self._intercept, float(self.alpha), grad_W, self._segments[1].grad,
            int(self.n_jobs), available_cpus())

    def _epoch(self, problem, rule, order, batch_size, lr_table, blocks=(0, 0)):
        if problem.distributed:
            return problem.averaged_epoch(self, rule, order, batch_size, lr_table)
        if not is_mapped(problem.X):
            # in memory a block order is read in place: copying its buffers
            # into cache costs more than the misses it saves (dense or CSR);
            # a file-mapped X is copied a buffer at a time, so that the
            # file is read in sequential pieces
            blocks = (0, 0)
        coef_seg, intercept_seg = self._segments
        loss_sum, weight_sum, t, status = _linear.epoch(
            LOSSES[self._loss], problem.data, problem.indices, problem.indptr,
            problem.n_features, problem.y, problem.sample_weight, self._coef,
            self._intercept, order, batch_size, float(self.alpha),
            bool(self.fit_intercept), rule, coef_seg.state, intercept_seg.state,
            self.t_, lr_table, blocks[0], blocks[1])
        if status != STATUS_OK:
            return np.inf, self.t_      # the fit loop restores the last epoch and reports
        return loss_sum / weight_sum + _common.penalty(self._segments[0].values, float(self.alpha)), t

    # -- SAGA: the table of per-sample gradients and its averages ----------
    def _saga_start(self, problem, reset):
        """Make the SAGA state for this fit: a zero table (no sample met)
        for a new fit or data of another size; for a warm start, the table
        kept and its averages recomputed on this X (one pass), so that they
        are the averages of the table whatever data the warm start brings."""
        n, K, d = problem.n_samples, self._n_outputs, problem.n_features
        state = getattr(self, "_saga_state", None)
        if reset or state is None or state[0].shape != (n, K) or state[1].shape != (K, d):
            self._saga_state = (np.zeros((n, K)), np.zeros((K, d)), np.zeros(K))
            return
        table, avg_coef, avg_intercept = state
        avg_coef[...] = np.asarray(problem.X.T @ table, dtype=np.float64).T / n
        avg_intercept[...] = table.mean(axis=0)

    def _saga_epoch(self, problem, order):
        """One compiled SAGA epoch at the rate learning_rate_: (objective, t)."""
        table, avg_coef, avg_intercept = self._saga_state
        try:
            loss_sum, weight_sum, steps, status = _saga.saga_epoch(
                LOSSES[self._loss], problem.data, problem.indices, problem.indptr,
                problem.n_features, problem.y, problem.sample_weight, self._coef,
                self._intercept, order, float(self.alpha), float(self.learning_rate_),
                bool(self.fit_intercept), table, avg_coef, avg_intercept)
        except KeyboardInterrupt:
            del self._saga_state        # it met the steps the interrupt undoes
            raise
        if status != STATUS_OK:
            # the fit loop restores the last epoch's parameters and reports;
            # the table met the failing steps, so the next fit starts anew
            del self._saga_state
            return np.inf, self.t_
        objective = loss_sum / weight_sum + _common.penalty(self._segments[0].values,
                                                            float(self.alpha))
        return objective, self.t_ + steps

    def _saga_gradient_estimate(self):
        """SAGA's running estimate of the full gradient, measured as
        _gradient_norm measures the gradient: the table's average gradient
        plus alpha W, and the intercepts' part.  At a fixed point of SAGA it
        is the gradient."""
        _, avg_coef, avg_intercept = self._saga_state
        return self._gradient_norm([avg_coef + float(self.alpha) * self._coef, avg_intercept])

    def _curvature(self, problem, batch_size):
        """Curvature bound of a batch's objective: the loss's bound times the
        mini-batch smoothness of A = [X, 1] (L the top eigenvalue of
        A^T S A / sum(s), L_max the largest s_i ||a_i||^2)."""
        n = problem.n_samples
        if problem.distributed:
            L_B = minibatch_smoothness(
                n, batch_size, lambda: problem.largest_row_curvature(self.fit_intercept),
                lambda: self._largest_eigenvalue(problem))
            return _LOSS_CURVATURE[self._loss] * L_B
        X = problem.X

        def largest_row_curvature():
            s = np.ones(n) if problem.sample_weight is None else problem.sample_weight
            return float(np.max(s * (row_square_sums(X) + float(self.fit_intercept))))

        L_B = minibatch_smoothness(n, batch_size, largest_row_curvature,
                                   lambda: self._largest_eigenvalue(problem))
        return _LOSS_CURVATURE[self._loss] * L_B

    def _largest_eigenvalue(self, problem):
        """The top eigenvalue of A^T S A / sum(s) on at most _POWER_ROWS rows
        (a deterministic subsample: an estimate suffices)."""
        idx = np.linspace(0, problem.n_samples - 1, min(problem.n_samples, _POWER_ROWS)).astype(np.intp)
        if not problem.distributed:
            X, sw = problem.X[idx], None if problem.sample_weight is None else problem.sample_weight[idx]
        else:
            # the subsample brought to the client in one round trip, when it
            # is small: a round trip an iteration costs more than the products
            rows = problem.gather_rows(idx, _GATHER_BYTES)
            if rows is None:
                return largest_eigenvalue(problem.linear_gram(idx, self.fit_intercept),
                                          problem.n_features + 1, _POWER_ITERATIONS)
            X, sw = rows
        s = np.ones(len(idx)) if sw is None else sw.astype(np.float64)
        s = s / s.sum()
        c = float(self.fit_intercept)

        def apply_gram(v):     # A^T S A v with A = [X, c], never formed
            u = X @ v[:-1] + c * v[-1]
            return np.concatenate([X.T @ (s * u), [c * (s @ u)]])

        return largest_eigenvalue(apply_gram, problem.n_features + 1, _POWER_ITERATIONS)

    # -- fitting ------------------------------------------------------------
    def _validate_data(self, X, y, sample_weight, reset):
        if any(map(is_dask_collection, (X, y, sample_weight))):
            from ..dask._problem import make_problem
            return make_problem(self, X, y, sample_weight, reset=reset, network=False)
        check_feature_names(self, X, reset)
        X = check_array(X, "X")
        if not reset:
            check_n_features(self, X)
            if X.dtype != self._coef.dtype:
                raise ValueError(f"X has dtype {X.dtype} but the model was trained in "
                                 f"{self._coef.dtype}: pass X as {self._coef.dtype} to "
                                 "continue training it (or fit anew)")
        y = self._encode_target(y, X.shape[0], X.dtype, reset)
        sw = training_weights(sample_weight, X.shape[0], X.dtype)
        return _Problem(X, y, sw)

    @keeps_model_on_error
    def fit(self, X, y, sample_weight=None):
        """Fit the model by the chosen solver.

        Parameters
        ----------
        X : array-like or scipy.sparse matrix of shape (n_samples, n_features)
            float32 input trains in float32; any other numeric input in float64.
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional
            A weight of 2 counts like the sample repeated.

        Returns
        -------
        self
        """
        self._check_hyperparameters()
        self._partial_classes = False       # classes= of partial_fit do not bind fit
        warm = self.warm_start and hasattr(self, "_segments")
        problem = self._validate_data(X, y, sample_weight, reset=not warm)
        self.n_features_in_ = problem.n_features
        if self.solver == "normal":
            if problem.distributed:
                raise ValueError("solver='normal' gathers X^T X on one machine; on Dask input "
                                 "use solver='gd' (the distributed full-batch descent)")
            return self._fit_normal(problem)
        if self.solver == SAGA and problem.distributed:
            raise ValueError("solver='saga' keeps a table of every sample's last gradient in "
                             "one process; on Dask input use solver='gd' (the distributed "
                             "full-batch descent) or 'sgd' / 'minibatch'")
        return self._run_fit(problem, warm)

    @keeps_model_on_error
    def partial_fit(self, X, y, sample_weight=None, **kwargs):
        """One more epoch from where the last call stopped (parameters, update
        count and optimizer state continue).

        Parameters
        ----------
        X, y, sample_weight
            As in :meth:`fit`.

        Returns
        -------
        self
        """
        self._check_hyperparameters()
        if self.solver == "normal":
            raise ValueError("partial_fit needs a gradient solver; solver='normal' has no epochs")
        if self.solver == SAGA:
            raise ValueError("partial_fit cannot continue solver='saga': its table of "
                             "per-sample gradients belongs to one data set, and the batches "
                             "of partial_fit are different data.  Use fit (warm_start=True "
                             "continues it on the same data), or solver='sgd'")
        first = not hasattr(self, "_segments")
        self._partial_fit_setup(first, **kwargs)
        problem = self._validate_data(X, y, sample_weight, reset=first)
        self.n_features_in_ = problem.n_features
        return self._run_partial_fit(problem, first)

    def _partial_fit_setup(self, first, **kwargs):
        if kwargs:
            raise TypeError(f"partial_fit got unexpected arguments {sorted(kwargs)}")

    def _validation_score(self, validation):
        """Accuracy (classifiers) or R^2 (regression) on the held-out split.

        Computed here on the validated, encoded targets rather than by
        ``self.score`` on the raw labels: scikit-learn's metrics reject label
        arrays fastgd accepts (object dtype), and are not a run-time
        dependency.
        """
        self._expose_fitted_attributes()
        if validation.distributed:
            return validation.score(self, "r2" if self._loss == "squared" else "accuracy")
        Z = np.asarray(validation.X @ self._coef.T + self._intercept, dtype=np.float64)
        y = validation.y.astype(np.float64)
        sw = None if validation.sample_weight is None else validation.sample_weight.astype(np.float64)
        if self._loss == "squared":
            return r2_score(y, Z[:, 0], sw)
        index = (Z[:, 0] > 0) if self._loss == "logistic" else Z.argmax(axis=1)
        return float(np.average(index == y, weights=sw))

    def _decision(self, X):
        """X W^T + b, in X's dtype; a row whose products overflow gets +-inf
        (by _scaled_decision), never NaN."""
        Z, scale = self._scaled_decision(X)
        if (scale != 1.0).any():
            with np.errstate(over="ignore"):
                Z = (Z * scale[:, None]).astype(Z.dtype)
        return Z

    def _scaled_decision(self, X):
        """(U, s) with X W^T + b = s[:, None] * U and U finite, in X's dtype.

        For most rows s = 1 and U is the decision in X's dtype.  A finite
        row whose decision overflows (entries near the dtype's largest value,
        or terms of opposite sign whose sum is inf - inf) is divided by its
        largest |x_ij| = s and computed in float64, so that the sign, the
        argmax and the differences between classes the probabilities need
        stay exact where X W^T + b itself is not representable."""
        check_is_fitted(self)
        check_feature_names(self, X, reset=False)
        X = check_array(X, "X")
        check_n_features(self, X)
        with np.errstate(over="ignore", invalid="ignore"):
            Z = np.asarray(X @ self._coef.T + self._intercept)
        scale = np.ones(Z.shape[0])
        overflowed = ~np.isfinite(Z).all(axis=1)
        if overflowed.any():
            X_big = X[overflowed].astype(np.float64)
            s = np.asarray(abs(X_big).max(axis=1).todense() if sp.issparse(X_big)
                           else np.abs(X_big).max(axis=1), dtype=np.float64).ravel()
            X_big = (sp.diags(1.0 / s) @ X_big) if sp.issparse(X_big) else X_big / s[:, None]
            U = np.asarray(X_big @ self._coef.T.astype(np.float64)
                           + self._intercept.astype(np.float64) / s[:, None])
            Z[overflowed] = U
            scale[overflowed] = s
        return Z, scale
