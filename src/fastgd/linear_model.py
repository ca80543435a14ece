"""LinearRegression, LogisticRegression and SoftmaxRegression by gradient descent.

The objective of each model (alpha is the textbook's lambda / m, and the
intercept is never penalized; s_i are sample weights, all ones by default):

* linear    J = sum_i s_i 1/2 (x_i w + b - y_i)^2 / sum_i s_i + alpha/2 ||w||^2
* logistic  J = sum_i s_i [log(1 + e^{z_i}) - y_i z_i] / sum_i s_i + alpha/2 ||w||^2
* softmax   J = sum_i s_i [-log softmax(x_i W^T + b)_{y_i}] / sum_i s_i + alpha/2 ||W||^2
"""

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from . import _linear
from ._base import (SOLVERS, GradientDescentEstimator, Segment, keeps_model_on_error,
                    largest_eigenvalue, minibatch_smoothness, training_weights)
from ._sklearn_compat import ClassifierMixin, RegressorMixin, r2_score
from ._validation import (check_array, check_is_fitted, check_n_features,
                          check_target, encode_labels)
from .exceptions import DivergenceError
from .optim import OPTIMIZERS
from .kernels import LOSSES, available_cpus, rows

# Bound on the second derivative of each loss in z: the curvature constant
# that turns ||x||^2 into a safe step 1 / L.
_LOSS_CURVATURE = {"squared": 1.0, "logistic": 0.25, "softmax": 0.5}
# Rows used to estimate the largest eigenvalue of X^T X / n by power iteration.
_POWER_ROWS, _POWER_ITERATIONS = 20000, 20


class _Problem:
    """Validated training data in the row layout the compiled loops read."""

    def __init__(self, X, y, sample_weight):
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.data, self.indices, self.indptr, self.n_features = rows(X)
        self.n_samples = X.shape[0]

    def subset(self, index):
        sw = None if self.sample_weight is None else self.sample_weight[index]
        return _Problem(self.X[index], self.y[index], sw)


def _check_normal_scale(*arrays):
    """The normal equations' products, finite: X or y so large that they
    overflow in float64 (|x| above about 1e154) leave nothing to solve."""
    if not all(np.isfinite(a).all() for a in arrays):
        raise ValueError("X or y is too large in magnitude for solver='normal' (its products "
                         "overflow float64); standardize X and y, e.g. with "
                         "sklearn.preprocessing.StandardScaler")


class _LinearModel(GradientDescentEstimator):
    """Shared parameters and machinery of the three linear models."""

    _solvers = SOLVERS
    _optimizers = OPTIMIZERS + ("auto",)

    def __init__(self, *, solver="gd", optimizer="auto", learning_rate="auto",
                 schedule="constant", alpha=0.0, max_epochs=1000, tol=1e-4,
                 n_iter_no_change=5, batch_size=32, shuffle=True,
                 random_state=None, fit_intercept=True, early_stopping=False,
                 validation_fraction=0.1, warm_start=False, n_jobs=1,
                 momentum=None, dampening=None, nesterov=None, betas=None,
                 eps=None, rho=None, weight_decay=None, lr_decay=None,
                 power_t=None, gamma=None, step_size=None):
        self.solver = solver
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.alpha = alpha
        self.max_epochs = max_epochs
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.fit_intercept = fit_intercept
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.betas = betas
        self.eps = eps
        self.rho = rho
        self.weight_decay = weight_decay
        self.lr_decay = lr_decay
        self.power_t = power_t
        self.gamma = gamma
        self.step_size = step_size

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
        dtype = problem.data.dtype
        self._coef = np.zeros((self._n_outputs, problem.n_features), dtype=dtype)
        self._intercept = np.zeros(self._n_outputs, dtype=dtype)
        return [Segment(self._coef.reshape(-1), True), Segment(self._intercept, False)]

    def _objective_gradient(self, problem):
        grad_W = self._segments[0].grad.reshape(self._coef.shape)
        return _linear.loss_gradient(
            LOSSES[self._loss], problem.data, problem.indices, problem.indptr,
            problem.n_features, problem.y, problem.sample_weight, self._coef,
            self._intercept, float(self.alpha), grad_W, self._segments[1].grad,
            int(self.n_jobs), available_cpus())

    def _epoch(self, problem, rule, order, batch_size, lr_table):
        coef_seg, intercept_seg = self._segments
        loss_sum, weight_sum, t, status = _linear.epoch(
            LOSSES[self._loss], problem.data, problem.indices, problem.indptr,
            problem.n_features, problem.y, problem.sample_weight, self._coef,
            self._intercept, order, batch_size, float(self.alpha),
            bool(self.fit_intercept), rule, coef_seg.state, intercept_seg.state,
            self.t_, lr_table)
        if status:
            raise DivergenceError("non-finite loss")
        return loss_sum / weight_sum + _linear.penalty(self._segments[0].values, float(self.alpha)), t

    def _curvature(self, problem, batch_size):
        """Curvature bound of a batch's objective: the loss's bound times the
        mini-batch smoothness of A = [X, 1] (L the top eigenvalue of
        A^T S A / sum(s), L_max the largest s_i ||a_i||^2)."""
        X, n = problem.X, problem.n_samples

        def largest_row_curvature():
            s = np.ones(n) if problem.sample_weight is None else problem.sample_weight
            sq = (np.asarray(X.multiply(X).sum(axis=1)).ravel() if sp.issparse(X)
                  else np.einsum("ij,ij->i", X, X, dtype=np.float64))
            return float(np.max(s * (sq + float(self.fit_intercept))))

        L_B = minibatch_smoothness(n, batch_size, largest_row_curvature,
                                   lambda: self._largest_eigenvalue(problem))
        return _LOSS_CURVATURE[self._loss] * L_B

    def _largest_eigenvalue(self, problem):
        """The top eigenvalue of A^T S A / sum(s) on at most _POWER_ROWS rows
        (a deterministic subsample: an estimate suffices)."""
        idx = np.linspace(0, problem.n_samples - 1, min(problem.n_samples, _POWER_ROWS)).astype(np.intp)
        X = problem.X[idx]
        s = np.ones(len(idx)) if problem.sample_weight is None else problem.sample_weight[idx].astype(np.float64)
        s = s / s.sum()
        c = float(self.fit_intercept)

        def apply_gram(v):     # A^T S A v with A = [X, c], never formed
            u = X @ v[:-1] + c * v[-1]
            return np.concatenate([X.T @ (s * u), [c * (s @ u)]])

        return largest_eigenvalue(apply_gram, problem.n_features + 1, _POWER_ITERATIONS)

    # -- fitting ------------------------------------------------------------
    def _validate_data(self, X, y, sample_weight, reset):
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
            return self._fit_normal(problem)
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
        self._publish()
        Z = np.asarray(validation.X @ self._coef.T + self._intercept, dtype=np.float64)
        y = validation.y.astype(np.float64)
        sw = None if validation.sample_weight is None else validation.sample_weight.astype(np.float64)
        if self._loss == "squared":
            return r2_score(y, Z[:, 0], sw)
        index = (Z[:, 0] > 0) if self._loss == "logistic" else Z.argmax(axis=1)
        return float(np.average(index == y, weights=sw))

    def _decision(self, X):
        check_is_fitted(self)
        X = check_array(X, "X")
        check_n_features(self, X)
        Z = X @ self._coef.T + self._intercept
        return np.asarray(Z)


class LinearRegression(RegressorMixin, _LinearModel):
    """Linear least squares with optional L2, trained by gradient descent or
    solved in closed form.

    Minimizes J(w, b) = mean_i 1/2 (x_i w + b - y_i)^2 + alpha/2 ||w||^2 (means
    weighted by ``sample_weight``); the intercept b is not penalized.  This is
    scikit-learn's Ridge with ``alpha_ridge = n_samples * alpha``.

    Parameters
    ----------
    solver : {'gd', 'sgd', 'minibatch', 'normal'}, default 'gd'
        Full-batch gradient descent, per-sample SGD, mini-batch SGD, or the
        normal equation (closed form: least squares on the centered data
        without a penalty, a Cholesky solve of the regularized d x d system
        with one; the minimum-norm solution when the problem is singular).
    optimizer : {'auto', 'sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw'}, \
default 'auto'
        The update rule, with torch.optim's formulas and defaults.  'auto' is
        'nesterov' at step 1 / L (Nesterov's accelerated gradient, with its
        momentum dropped whenever the epoch objective rises: O'Donoghue and
        Candes' adaptive restart) when ``fit`` runs the 'gd' solver with
        ``learning_rate='auto'``, the constant schedule and no momentum,
        dampening or nesterov given; 'sgd' (torch's SGD: plain steps unless
        you give momentum) otherwise: the stochastic solvers, ``partial_fit``,
        and gradient descent at a rate or schedule of the user's (the
        textbook's method).
    learning_rate : float or 'auto', default 'auto'
        The step size.  'auto' is 1 / L for the plain rules, with L the
        curvature bound of a step's objective (so it does not diverge), times
        (1 - momentum) but for the accelerated 'auto' (Nesterov's step, 1 /
        L, is stable with any momentum below 1 on a quadratic); torch's
        default rate for the adaptive rules.
    schedule : str or callable, default 'constant'
        'constant', 'invscaling' (eta / t**power_t), 'step' (eta *
        gamma**((t-1) // step_size)), 'exponential' (eta * gamma**(t-1)),
        'optimal' (Bottou's 1 / (alpha (t0 + t - 1)), t0 = 1 / (alpha eta), so
        it starts at the learning rate), 'adaptive' (divide by
        5 when the objective stops improving), or a callable of the update
        count t (1-based) returning the rate.
    alpha : float, default 0
        L2 penalty (the textbook's lambda / m).
    max_epochs : int, default 1000
        Passes over the data (full-batch steps for 'gd').
    tol, n_iter_no_change : float or None, int, default 1e-4, 5
        Stop when the epoch objective (or, with early stopping, the validation
        score) has not improved by tol for n_iter_no_change epochs; tol=None
        runs all max_epochs.
    batch_size : int, default 32
        Rows per step of the 'minibatch' solver.
    shuffle : bool, default True
        Visit the samples in a fresh random order each epoch ('sgd' and
        'minibatch').
    random_state : int, numpy Generator or None
        Seeds the shuffling and the validation split.
    fit_intercept : bool, default True
    early_stopping : bool, default False
        Stop on the score of a held-out ``validation_fraction`` of the data.
    validation_fraction : float, default 0.1
    warm_start : bool, default False
        ``fit`` continues from the previous solution and optimizer state.
    n_jobs : int, default 1
        Chunks of rows of the full-batch gradient, summed in parallel (OpenMP)
        by at most as many threads as there are CPUs; the result depends on
        n_jobs, not on the threads.
    momentum, dampening, nesterov, betas, eps, rho, weight_decay, lr_decay : optional
        Hyperparameters of the update rule, torch.optim's names and defaults
        (``rho`` is RMSProp's smoothing constant, torch's ``alpha``).
    power_t, gamma, step_size : optional
        Parameters of the schedule.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
        Epochs run.
    loss_history_ : list of float
        The objective after each epoch (for the stochastic solvers, the mean
        of the losses met during the epoch plus the penalty at its end).
    validation_scores_ : list of float or None
        R^2 on the held-out set after each epoch, with early stopping.
    converged_ : bool
        Whether the stopping rule ended the fit (else max_epochs did).
    learning_rate_ : float
        The base rate used (after 'auto' and 'adaptive').
    t_ : int
        Updates made (continues across partial_fit calls).
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from fastgd import LinearRegression
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])
    >>> LinearRegression(solver="normal").fit(X, y).coef_
    array([2.])
    """

    _solvers = SOLVERS + ("normal",)
    _loss = "squared"
    _n_outputs = 1

    def _encode_target(self, y, n_samples, dtype, reset):
        return check_target(y, n_samples, dtype)

    # overflow is tested for by _check_normal_scale and _set_normal_solution,
    # which name the data: numpy's warnings on the way would only add noise
    @np.errstate(over="ignore", invalid="ignore")
    def _fit_normal(self, problem):
        """The regularized least-squares optimum in closed form."""
        X, y = problem.X, problem.y.astype(np.float64)
        n, d = X.shape
        s = np.ones(n) if problem.sample_weight is None else problem.sample_weight.astype(np.float64)
        s = s / s.sum()
        # weighted means: centering by them leaves the intercept unpenalized
        mean_x = np.asarray(X.T @ s, dtype=np.float64).ravel() if self.fit_intercept else np.zeros(d)
        mean_y = float(s @ y) if self.fit_intercept else 0.0
        # singular values below this fraction of the largest are rounding
        # noise, not directions of the data (numpy's lstsq / matrix_rank cutoff)
        cutoff = np.finfo(np.float64).eps * max(n, d)
        if sp.issparse(X):
            if d > 20000:
                raise ValueError(f"solver='normal' forms a d x d matrix; d={d} is too large for it, "
                                 "use a gradient solver")
            XtS = X.T.multiply(s).tocsr()
            gram = np.asarray((XtS @ X).todense(), dtype=np.float64) - np.outer(mean_x, mean_x)
            xty = np.asarray(XtS @ y).ravel() - mean_x * mean_y
        else:
            # dense rows are centered before any product: X^T S X - m m^T
            # loses digits to cancellation when the means dwarf the spread
            root = np.sqrt(s)
            A = (X.astype(np.float64) - mean_x) * root[:, None]
            b = (y - mean_y) * root
            _check_normal_scale(A, b)
            if self.alpha <= 0:
                # no penalty: least squares on A itself (the gram would square
                # its condition number); minimum norm when A is rank deficient
                coef = scipy.linalg.lstsq(A, b, cond=cutoff, lapack_driver="gelsd")[0]
                return self._set_normal_solution(problem, coef, mean_x, mean_y)
            gram, xty = A.T @ A, A.T @ b
        _check_normal_scale(gram, xty)
        gram[np.diag_indices(d)] += self.alpha
        try:
            if self.alpha <= 0:
                raise np.linalg.LinAlgError
            coef = scipy.linalg.cho_solve(scipy.linalg.cho_factor(gram), xty)
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
            # singular: the minimum-norm solution from the eigenvectors of the
            # symmetric gram (a general SVD of it, as gelsd does, puts noise
            # singular values above the cutoff); eigenvalues under the cutoff
            # are dropped, so a zero-weight sample changes nothing
            w, V = np.linalg.eigh(gram)
            keep = w > cutoff * max(w.max(), 0.0)
            coef = V[:, keep] @ ((V[:, keep].T @ xty) / w[keep])
        return self._set_normal_solution(problem, coef, mean_x, mean_y)

    def _set_normal_solution(self, problem, coef, mean_x, mean_y):
        d = problem.n_features
        intercept = mean_y - mean_x @ coef if self.fit_intercept else 0.0
        dtype = problem.data.dtype
        if not (np.isfinite(coef.astype(dtype)).all() and np.isfinite(dtype.type(intercept))):
            # the optimum itself overflows (features near zero, or beyond
            # float32's range in float32): a model of inf / NaN would only
            # mislead, so say which data cannot be solved at this scale
            raise ValueError(f"the least-squares solution for X and y does not fit in {dtype}: "
                             "the features are too small for the targets (or in float32, the "
                             "coefficients exceed its range); standardize X (e.g. "
                             "sklearn.preprocessing.StandardScaler) or pass float64 X")
        self._coef = coef.astype(dtype).reshape(1, d)
        self._intercept = np.array([intercept], dtype=dtype)
        self._segments = [Segment(self._coef.reshape(-1), True), Segment(self._intercept, False)]
        self.n_iter_, self.t_, self.converged_ = 0, 0, True
        self.loss_history_, self.validation_scores_, self.learning_rate_ = [], None, None
        self._publish()
        return self

    def _publish(self):
        self.coef_ = self._coef[0]
        self.intercept_ = self._intercept[0]

    def predict(self, X):
        """Predicted targets x w + b.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self._decision(X)[:, 0]


class _Classifier(ClassifierMixin, _LinearModel):
    """Label encoding and the probability outputs of the classifiers."""

    def _encode_target(self, y, n_samples, dtype, reset):
        if reset and not getattr(self, "_partial_classes", False):
            self.classes_, encoded = encode_labels(y, n_samples)
        else:
            encoded = self._encode_known(y, n_samples)
        self._set_loss()
        return np.ascontiguousarray(encoded, dtype=dtype)

    def _encode_known(self, y, n_samples):
        from ._validation import check_consistent_length, column_or_1d
        y = column_or_1d(y)
        check_consistent_length(n_samples, y.shape[0], "y")
        encoded = np.searchsorted(self.classes_, y)
        encoded = np.clip(encoded, 0, len(self.classes_) - 1)
        if not np.all(self.classes_[encoded] == y):
            raise ValueError(f"y holds labels not in classes_ {self.classes_!r}")
        return encoded

    def _partial_fit_setup(self, first, classes=None):
        if first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            classes = np.unique(np.asarray(classes))
            if len(classes) < 2:
                raise ValueError("classes must hold at least 2 classes")
            self.classes_ = classes
            self._partial_classes = True
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes {classes!r} differ from those of the first call {self.classes_!r}")

    def _publish(self):
        self.coef_ = self._coef
        self.intercept_ = self._intercept

    def decision_function(self, X):
        """Scores z = X W^T + b: shape (n_samples,) for two classes (positive
        means ``classes_[1]``), (n_samples, n_classes) for more.

        For two classes a softmax model's score is the log-odds z_1 - z_0, so
        that every binary classifier has scikit-learn's one-column decision
        function whose sign gives the prediction.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray
        """
        Z = self._decision(X)
        if self._loss == "logistic":
            return Z[:, 0]
        return Z[:, 1] - Z[:, 0] if Z.shape[1] == 2 else Z

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        Z = self._decision(X).astype(np.float64)
        if self._loss == "logistic":
            p = 0.5 * (1.0 + np.tanh(0.5 * Z[:, 0]))    # the sigmoid, overflow-free
            return np.column_stack([1.0 - p, p])
        Z -= Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        return P / P.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class of each sample.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        Z = self._decision(X)
        index = (Z[:, 0] > 0).astype(np.intp) if self._loss == "logistic" else Z.argmax(axis=1)
        return self.classes_[index]


class LogisticRegression(_Classifier):
    """Logistic regression (cross-entropy) trained by gradient descent.

    Two classes: the binary model with labels encoded 0/1 (``classes_[1]`` is
    the positive class) and J = mean cross-entropy + alpha/2 ||w||^2, which is
    scikit-learn's LogisticRegression with C = 1 / (n_samples * alpha).  More
    than two classes: the multinomial (softmax) model, as
    :class:`SoftmaxRegression`.

    Parameters
    ----------
    solver, optimizer, learning_rate, schedule, alpha, max_epochs, tol, \
n_iter_no_change, batch_size, shuffle, random_state, fit_intercept, \
early_stopping, validation_fraction, warm_start, n_jobs, momentum, \
dampening, nesterov, betas, eps, rho, weight_decay, lr_decay, power_t, \
gamma, step_size
        As in :class:`LinearRegression` (without the 'normal' solver).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_, loss_history_, validation_scores_, converged_, learning_rate_, t_, n_features_in_
        As in :class:`LinearRegression` (validation scores are accuracies).
    """

    def _set_loss(self):
        binary = len(self.classes_) == 2
        self._loss = "logistic" if binary else "softmax"
        self._n_outputs = 1 if binary else len(self.classes_)


class SoftmaxRegression(_Classifier):
    """Multinomial (softmax) regression trained by gradient descent.

    J = mean_i -log softmax(x_i W^T + b)_{y_i} + alpha/2 ||W||^2, with one
    row of W per class (also for two classes).

    Parameters
    ----------
    solver, optimizer, learning_rate, schedule, alpha, max_epochs, tol, \
n_iter_no_change, batch_size, shuffle, random_state, fit_intercept, \
early_stopping, validation_fraction, warm_start, n_jobs, momentum, \
dampening, nesterov, betas, eps, rho, weight_decay, lr_decay, power_t, \
gamma, step_size
        As in :class:`LinearRegression` (without the 'normal' solver).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (n_classes, n_features)
    intercept_ : ndarray of shape (n_classes,)
    n_iter_, loss_history_, validation_scores_, converged_, learning_rate_, t_, n_features_in_
        As in :class:`LinearRegression` (validation scores are accuracies).
    """

    _loss = "softmax"

    def _set_loss(self):
        self._n_outputs = len(self.classes_)
