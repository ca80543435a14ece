"""MLPClassifier and MLPRegressor: multilayer perceptrons trained by gradient
descent on the compiled kernels of :mod:`fastgd.kernels.mlp`.

The network maps x through hidden layers a^(l) = g(a^(l-1) W_l + b_l) (g the
``activation``) to outputs h = o(a^(L-1) W_L + b_L), with the output
function o and its loss chosen by the task:

* multiclass  softmax outputs, L = -log h_y;
* binary and multilabel  sigmoid outputs (one, or one per label),
  L = sum_k -[y_k log h_k + (1 - y_k) log(1 - h_k)] (the textbook's cost);
* regression  identity outputs, L = 1/2 ||h - y||^2.

The objective is J = mean_i L_i + alpha/2 sum_l ||W_l||^2 (means weighted
by ``sample_weight``); the biases are never penalized.  ``alpha`` is the
textbook's lambda / m.  scikit-learn's MLP adds alpha_sk / (2 B) ||W||^2 to
the mean loss of each batch of B rows instead, so its ``alpha=a`` is
fastgd's ``alpha = a / batch_size`` (``a / n_samples`` for full batch).

All parameters live in one flat array ``theta`` in the dtype of X (float32
data trains in float32): the weight matrices first, then the biases.  The
fit loop of :class:`fastgd._fit.GradientDescentEstimator` sees them as two
segments: the weights (L2 penalty and weight decay) and the biases (none).
``coefs_`` and ``intercepts_`` are views into theta, in scikit-learn's
layout: ``coefs_[l]`` has shape (fan_in, fan_out).
"""
import numbers

import numpy as np
import scipy.sparse as sp

from ..kernels import _common, _mlp
from .._fit import (RULE_HYPERPARAMETER_DOCS, STOPPING_DOCS, _ADAPTIVE_DEFAULT_RATE, SOLVERS,
                    GradientDescentEstimator, Segment, keeps_model_on_error,
                    largest_eigenvalue, minibatch_smoothness, training_weights)
from .._sklearn_compat import ProbabilisticClassifierMixin, RegressorMixin, r2_score
from .._validation import (check_array, check_consistent_length, check_feature_names,
                          check_is_fitted,
                          check_layer_widths, check_n_features, check_partial_fit_classes,
                          check_target, encode_known_labels, encode_labels)
from ..kernels._interface import STATUS_OK
# the hidden layers in NumPy, for the automatic rate's curvature estimate:
# the reference's activation, the same math as the kernels'
from ..reference.mlp import g as activation_function
from ..kernels.mlp import check_activation, count_params, init_params, unpack
from ..kernels.rules import rule_keeps_state
from ..dask import is_dask_collection, predicts_dask

# learning_rate='auto' for the plain rules (sgd, momentum, nesterov): the
# curvature bound that gives the linear models a safe 1/L is not available
# for a whole network, so the rate is the usual one for plain SGD on
# standardized inputs, lowered to 1/L of the output layer where that is
# smaller (wide or saturated layers), times (1 - momentum) so that the
# effective step eta / (1 - momentum) stays the same with momentum.
AUTO_PLAIN_RATE = 0.1
# Bound on the second derivative of each output's loss in z (as for the
# linear models), and the rows the automatic rate's curvature estimate reads.
_OUTPUT_CURVATURE = {"identity": 1.0, "logistic": 0.25, "softmax": 0.5}
_CURVATURE_ROWS, _POWER_ITERATIONS = 2000, 30


class _NetProblem:
    """Validated training data: X (n, d) and the encoded targets Y (n, K),
    both C-contiguous in the model's dtype, and mean-one sample weights."""

    distributed = False     # in this process (fastgd.dask's DaskProblem: on a cluster)

    def __init__(self, X, Y, sample_weight):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.n_samples, self.n_features = X.shape
        self.dtype = X.dtype

    def subset(self, index):
        sw = None if self.sample_weight is None else self.sample_weight[index]
        return _NetProblem(np.ascontiguousarray(self.X[index]),
                           np.ascontiguousarray(self.Y[index]), sw)


def _check_hidden_layer_sizes(hidden_layer_sizes):
    """hidden_layer_sizes as a tuple of positive ints (an int is one layer)."""
    sizes = hidden_layer_sizes
    if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
        sizes = (sizes,)
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError("hidden_layer_sizes must be an int or a sequence of ints, "
                        f"got {hidden_layer_sizes!r}")
    return check_layer_widths(sizes, "hidden_layer_sizes")


def _reject_sparse(X, estimator):
    if sp.issparse(X):
        raise TypeError(f"{type(estimator).__name__} does not accept sparse X: the MLP "
                        "kernels are dense only. Convert it with X.toarray() if it fits "
                        "in memory.")


class _BaseMLP(GradientDescentEstimator):
    """The network, its parameters and the fit loop's hooks; the subclasses
    encode the targets and read the outputs."""

    _solvers = SOLVERS
    # Read by the shared fit loop: a network always has biases (its
    # full-batch step updates the bias segment), and its parallelism is the
    # BLAS library's threads, not an OpenMP loop of fastgd's.
    fit_intercept = True
    n_jobs = 1

    def __init__(self, hidden_layer_sizes=(100,), activation="sigmoid", *,
                 solver="minibatch", optimizer="sgd", learning_rate="auto",
                 schedule="constant", alpha=0.0, batch_size=200, max_epochs=200,
                 tol=1e-4, n_iter_no_change=10, shuffle=True, random_state=None,
                 early_stopping=False, validation_fraction=0.1, warm_start=False,
                 momentum=None, dampening=None, nesterov=None, betas=None,
                 eps=None, rho=None, weight_decay=None, lr_decay=None,
                 amsgrad=None, centered=None, initial_accumulator_value=None,
                 power_t=None, gamma=None, step_size=None, verbose=0, callback=None):
        self._store_parameters(locals())

    # -- hyperparameters ----------------------------------------------------
    def _check_hyperparameters(self):
        super()._check_hyperparameters()
        hidden = _check_hidden_layer_sizes(self.hidden_layer_sizes)
        check_activation(self.activation)
        return hidden

    def _initial_rate(self, problem):
        """The base rate: learning_rate itself; for 'auto', torch's default of
        the adaptive rules, and for the plain ones
        (1 - momentum) * min(AUTO_PLAIN_RATE, 1 / L_out), L_out the curvature
        bound of the output layer at the initial weights (see
        :meth:`_curvature`)."""
        if not isinstance(self.learning_rate, str):
            return float(self.learning_rate)
        if self.optimizer in _ADAPTIVE_DEFAULT_RATE:
            return _ADAPTIVE_DEFAULT_RATE[self.optimizer]
        return self._momentum_factor(self.optimizer) * min(
            AUTO_PLAIN_RATE, 1.0 / self._auto_curvature(problem))

    def _curvature(self, problem, batch_size):
        """Smoothness constant of a batch's objective in the output layer's
        parameters alone, at the current (initial) weights.

        The output layer is a linear model (softmax, logistic or least
        squares) on the last hidden layer's activations H, so the bound of
        the linear models applies to it: the loss's curvature constant times
        Gower et al.'s L_B of [H, 1].  It is the top eigenvalue of a
        principal block of the network's Hessian (of its Gauss-Newton part),
        hence at most the whole one's: a step above 2 / L_out is unstable
        for certain, as it is with saturated sigmoid units on unscaled
        inputs (||h||^2 near the width).  It is no guarantee for the hidden
        layers, whence the cap AUTO_PLAIN_RATE.
        """
        n = problem.n_samples
        idx = np.linspace(0, n - 1, min(n, _CURVATURE_ROWS)).astype(np.intp)
        layers = [(W.astype(np.float64), b) for W, b in zip(self.coefs_[:-1], self.intercepts_[:-1])]
        if problem.distributed:
            # the last hidden layer of the subsample, computed on the workers
            A, s = problem.hidden_rows(idx, layers, self._activation)
        else:
            A = problem.X[idx].astype(np.float64)
            for W, b in layers:
                A = activation_function(self._activation, A @ W + b)
            A = np.column_stack([A, np.ones(len(idx))])
            s = (np.ones(len(idx)) if problem.sample_weight is None
                 else problem.sample_weight[idx].astype(np.float64))
        L_max = float(np.max(s * np.einsum("ij,ij->i", A, A)))
        s = s / s.sum()
        L_B = minibatch_smoothness(n, batch_size, lambda: L_max, lambda: largest_eigenvalue(
            lambda v: A.T @ (s * (A @ v)), A.shape[1], _POWER_ITERATIONS))
        return _OUTPUT_CURVATURE[self._output] * L_B

    # -- the model, for the fit loop of GradientDescentEstimator -------------
    def _init_segments(self, problem, rng):
        dtype = problem.dtype
        self._theta = init_params(self._layer_sizes, dtype=dtype, random_state=rng)
        n_weights, n_params = count_params(self._layer_sizes)
        self._n_weights = n_weights
        # one gradient buffer; the segments' gradients are views of it, so the
        # compiled full-batch gradient fills both at once
        self._grad = np.zeros(n_params)
        # the compiled epoch reads the optimizer state as one (rows, n_params)
        # block; the segments keep theirs as (rows, n) blocks of their own
        # (rows: the rule's state_rows, given to the block in _epoch)
        self._state = np.zeros((2, n_params))
        weights = Segment(self._theta[:n_weights], True)
        biases = Segment(self._theta[n_weights:], False)
        weights.grad, biases.grad = self._grad[:n_weights], self._grad[n_weights:]
        self._expose_fitted_attributes()
        return [weights, biases]

    def _objective_gradient(self, problem):
        if problem.distributed:
            return problem.objective_gradient(self)
        return _mlp.loss_gradient(problem.X, problem.Y, self._theta, self._grad,
                                  self._layer_sizes, self._activation_code,
                                  self._output_code, float(self.alpha),
                                  problem.sample_weight)

    def _epoch(self, problem, rule, order, batch_size, lr_table, blocks=None):
        # a block order needs no block mode here: the compiled loop copies
        # the rows of every step (at most MAX_BLOCK_ROWS) into a work buffer
        # before it reads them, block order or not
        if problem.distributed:
            return problem.averaged_epoch(self, rule, order, batch_size, lr_table)
        stateful = rule_keeps_state(rule)
        state = None
        if stateful:
            # the state goes into the compiled loop's (rows, n_params) layout
            # and back: O(n_params) copies, against an epoch's O(n_samples n_params)
            rows, nw = self._segments[0].state.shape[0], self._n_weights
            if self._state.shape[0] != rows:
                self._state = np.zeros((rows, self._theta.size))
            state = self._state
            state[:, :nw] = self._segments[0].state
            state[:, nw:] = self._segments[1].state
        loss_sum, weight_sum, t, status = _mlp.epoch(
            problem.X, problem.Y, self._theta, order, batch_size, self._layer_sizes,
            self._activation_code, self._output_code, float(self.alpha), rule, state,
            int(self.t_), lr_table, problem.sample_weight)
        if stateful:
            self._segments[0].state[...] = state[:, :nw]
            self._segments[1].state[...] = state[:, nw:]
        if status != STATUS_OK:
            return np.inf, self.t_      # the fit loop restores the last epoch and reports
        return loss_sum / weight_sum + _common.penalty(self._segments[0].values, float(self.alpha)), t

    def _relink_segments(self):
        nw = self._n_weights
        weights, biases = self._segments
        weights.values, biases.values = self._theta[:nw], self._theta[nw:]
        weights.grad, biases.grad = self._grad[:nw], self._grad[nw:]

    def _expose_fitted_attributes(self, training=False):
        self.coefs_, self.intercepts_ = unpack(self._theta, self._layer_sizes)
        self.n_layers_ = len(self._layer_sizes)
        self.n_outputs_ = int(self._layer_sizes[-1])
        self.out_activation_ = self._output

    # -- fitting --------------------------------------------------------------
    def _validate_data(self, X, y, sample_weight, reset, hidden):
        if any(map(is_dask_collection, (X, y, sample_weight))):
            from ..dask._problem import make_problem
            return make_problem(self, X, y, sample_weight, reset=reset, network=True,
                                hidden=hidden)
        _reject_sparse(X, self)
        check_feature_names(self, X, reset)
        X = check_array(X, "X", accept_sparse=False)
        if not reset:
            check_n_features(self, X)
            if X.dtype != self._theta.dtype:
                raise ValueError(f"X has dtype {X.dtype} but the network was trained in "
                                 f"{self._theta.dtype}: pass X as {self._theta.dtype} to "
                                 "continue training it (or fit anew)")
        Y = self._encode_target(y, X.shape[0], X.dtype, reset)
        sw = training_weights(sample_weight, X.shape[0], X.dtype)
        sizes = np.array((X.shape[1],) + hidden + (Y.shape[1],), dtype=np.intp)
        self._set_layer_sizes(sizes, reset)
        return _NetProblem(X, Y, sw)

    def _set_layer_sizes(self, sizes, reset):
        """Record the layer sizes of new data (reset), or check that they
        are the network's (a warm start, partial_fit)."""
        if reset:
            self._layer_sizes = sizes
            self._activation = check_activation(self.activation)
            self._activation_code = _mlp.ACTIVATIONS[self._activation]
            self._output_code = _mlp.OUTPUTS[self._output]
            self.n_features_in_ = int(sizes[0])
        elif not np.array_equal(sizes, self._layer_sizes) or (
                check_activation(self.activation) != self._activation):
            raise ValueError(
                f"the network has layer sizes {tuple(int(s) for s in self._layer_sizes)} and "
                f"activation {self._activation!r}; continuing to train it needs the same "
                f"hidden_layer_sizes, activation and number of outputs (got "
                f"{tuple(int(s) for s in sizes)}, {self.activation!r}); fit anew with "
                "warm_start=False")

    @keeps_model_on_error
    def fit(self, X, y, sample_weight=None):
        """Fit the network by the chosen solver and update rule.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Dense; float32 input trains in float32, any other numeric input
            in float64.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, a 0/1 label-indicator matrix (multilabel), or
            regression targets.
        sample_weight : array-like of shape (n_samples,), optional
            A weight of 2 counts like the sample repeated in the objective.

        Returns
        -------
        self
        """
        hidden = self._check_hyperparameters()
        self._partial_classes = False       # classes= of partial_fit do not bind fit
        warm = self.warm_start and hasattr(self, "_segments")
        problem = self._validate_data(X, y, sample_weight, not warm, hidden)
        return self._run_fit(problem, warm)

    @keeps_model_on_error
    def _partial_fit(self, X, y, sample_weight, classes=None):
        hidden = self._check_hyperparameters()
        first = not hasattr(self, "_segments")
        if first:
            self._partial_fit_setup(classes)
        elif classes is not None:
            self._check_same_classes(classes)
        problem = self._validate_data(X, y, sample_weight, first, hidden)
        return self._run_partial_fit(problem, first)

    def _outputs(self, X):
        """h(x) for X already validated in the model's dtype: (n, n_outputs)."""
        out = np.empty((X.shape[0], int(self._layer_sizes[-1])), dtype=self._theta.dtype)
        _mlp.predict(X, self._theta, self._layer_sizes, self._activation_code,
                     self._output_code, out)
        return out

    def _forward(self, X):
        """Validate X for prediction and run the forward pass."""
        check_is_fitted(self, "coefs_")
        _reject_sparse(X, self)
        check_feature_names(self, X, reset=False)
        X = check_array(X, "X", accept_sparse=False, dtype=self._theta.dtype)
        check_n_features(self, X)
        return self._outputs(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


_MLP_PARAMETERS = """\
    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (100,)
        The widths of the hidden layers, any number of them (``()`` is a
        network without hidden layer: a linear model).
    activation : {'sigmoid', 'logistic', 'tanh', 'relu', 'identity'}, default 'sigmoid'
        The hidden layers' g; 'logistic' is scikit-learn's name of the
        sigmoid (the textbook's choice).
    solver : {'gd', 'sgd', 'minibatch'}, default 'minibatch'
        Full-batch gradient descent, per-sample SGD or mini-batch SGD.
    optimizer : {'sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw'}
        The update rule, with torch.optim's formulas and defaults.
    learning_rate : float or 'auto', default 'auto'
        The step size.  'auto' is torch's default rate for the adaptive rules
        (1e-3 for Adam) and, for the plain ones,
        (1 - momentum) * min(0.1, 1 / L_out): 0.1 for 'sgd' and 0.01 for
        'momentum' and 'nesterov' unless the curvature L_out of the output
        layer at the initial weights (a linear model on the last hidden
        layer) asks for less, as wide or saturated layers do.  A network has
        no cheap curvature bound as a whole, so unlike the linear models
        'auto' does not guarantee a stable step: standardize the inputs (and
        regression targets), or lower the rate, if the fit diverges.
    schedule : str or callable, default 'constant'
        As in :class:`fastgd.LinearRegression`: 'constant', 'invscaling',
        'step', 'exponential', 'optimal', 'adaptive', 'auto' (adaptive for
        'sgd' and 'minibatch', constant for 'gd'), or a callable of the
        update count t (1-based) returning the rate.
    alpha : float, default 0
        L2 penalty on the weights (never the biases): J = mean loss +
        alpha/2 sum_l ||W_l||^2, the textbook's lambda / m.  scikit-learn's
        ``alpha=a`` corresponds to ``alpha = a / batch_size``.
    batch_size : int, default 200
        Rows per step of the 'minibatch' solver (at most n_samples).
    max_epochs : int, default 200
        Passes over the data (full-batch steps for 'gd').
""" + STOPPING_DOCS.format(tol='1e-4', n_iter_no_change=10) + """\
    shuffle : bool or 'blocks', default True
        Visit the samples in a fresh random order each epoch: True draws a
        full permutation; 'blocks' visits contiguous blocks of rows in a
        random order, a buffer of several blocks at a time with its rows
        taken round-robin (see :func:`fastgd.kernels.block_order`), so that
        X is read in sequential pieces (an X memory-mapped from a file is
        never read into memory whole); False visits the rows in their
        stored order.
    random_state : int, numpy Generator or None
        Seeds the initial weights, the shuffling and the validation split:
        the same seed gives identical results.
    early_stopping : bool, default False
        Stop on the score of a held-out ``validation_fraction`` of the data.
    validation_fraction : float, default 0.1
    warm_start : bool, default False
        ``fit`` continues from the previous parameters and optimizer state.
""" + RULE_HYPERPARAMETER_DOCS

_MLP_ATTRIBUTES = """\
    coefs_ : list of ndarray
        ``coefs_[l]`` of shape (fan_in, fan_out), the weights from layer l to
        layer l + 1, as in scikit-learn.  Views into the flat parameters:
        ``partial_fit`` updates them in place, and writing into them changes
        the model.
    intercepts_ : list of ndarray
        ``intercepts_[l]`` of shape (fan_out,), views as ``coefs_``.
    n_layers_ : int
        Layers including the input and output layers.
    n_outputs_ : int
    out_activation_ : {'softmax', 'logistic', 'identity'}
    loss_history_ : list of float
        The objective after each epoch (for the stochastic solvers, the mean
        of the losses met during the epoch plus the penalty at its end).
    n_iter_ : int
        Epochs run by the last ``fit`` (a warm start counts its own);
        ``partial_fit`` counts its calls since the first.
    t_ : int
        Updates made (continues across partial_fit calls).
    converged_ : bool
        Whether the stopping rule ended the fit (else max_epochs did).
    validation_scores_ : list of float or None
        The held-out score after each epoch, with early stopping.
    learning_rate_ : float
        The base rate used (after 'auto' and 'adaptive').
    n_features_in_ : int
    feature_names_in_ : ndarray of str, shape (n_features_in_,)
        The column names of X, when ``fit`` was given a pandas DataFrame
        with string column names; later calls must give the same columns in
        the same order.
"""


class MLPClassifier(ProbabilisticClassifierMixin, _BaseMLP):
    __doc__ = """Multilayer perceptron classifier trained by gradient descent.

    Two classes: one sigmoid output (``classes_[1]`` is the positive class);
    more: softmax outputs; a 2-D 0/1 label-indicator y (multilabel): one
    sigmoid output per label, with the textbook's cost
    sum_k -[y_k log h_k + (1 - y_k) log(1 - h_k)].  Initial weights are
    Glorot-uniform in +-sqrt(6 / (fan_in + fan_out)), biases zero.

""" + _MLP_PARAMETERS + """
    Attributes
    ----------
    classes_ : ndarray
        The class labels; for multilabel y, ``arange(n_labels)``.
""" + _MLP_ATTRIBUTES + """
    Examples
    --------
    >>> import numpy as np
    >>> from fastgd.neural_network import MLPClassifier
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> y = np.array([0, 1, 1, 0])
    >>> clf = MLPClassifier((8,), solver="gd", optimizer="adam", learning_rate=0.1,
    ...                     max_epochs=500, random_state=0).fit(X, y)
    >>> clf.predict(X)
    array([0, 1, 1, 0])
    """

    def _encode_target(self, y, n_samples, dtype, reset):
        arr = None if y is None else np.asarray(y)
        if arr is not None and arr.ndim == 2 and arr.shape[1] > 1:
            return self._encode_multilabel(arr, n_samples, dtype, reset)
        if reset and not getattr(self, "_partial_classes", False):
            self.classes_, index = encode_labels(y, n_samples)
            self._multilabel = False
        else:
            if self._multilabel:
                raise ValueError("the network was trained on a multilabel indicator y; "
                                 f"y must have shape (n_samples, {len(self.classes_)})")
            index = encode_known_labels(y, self.classes_, n_samples)
        self._partial_classes = False
        K = len(self.classes_)
        if K == 2:
            self._output = "logistic"
            return np.ascontiguousarray(index.reshape(-1, 1), dtype=dtype)
        self._output = "softmax"
        Y = np.zeros((n_samples, K), dtype=dtype)
        Y[np.arange(n_samples), index] = 1.0
        return Y

    def _encode_multilabel(self, arr, n_samples, dtype, reset):
        check_consistent_length(n_samples, arr.shape[0], "y")
        if arr.dtype.kind not in "biuf" or not np.isin(arr, (0, 1)).all():
            raise ValueError("a 2-D y must be a multilabel indicator matrix of 0/1 values "
                             "(multiclass-multioutput targets are not supported)")
        K = arr.shape[1]
        if not reset and not getattr(self, "_partial_classes", False):
            if not self._multilabel or K != len(self.classes_):
                raise ValueError(f"y has {K} label columns but the network was trained "
                                 f"on {'a multilabel y with ' if self._multilabel else ''}"
                                 f"{len(self.classes_)} classes")
        elif getattr(self, "_partial_classes", False):
            if len(self.classes_) != K:
                raise ValueError(f"classes has {len(self.classes_)} entries but the "
                                 f"multilabel y has {K} columns")
            self.classes_ = np.arange(K)
        else:
            self.classes_ = np.arange(K)
        self._partial_classes = False
        self._multilabel = True
        self._output = "logistic"
        return np.ascontiguousarray(arr, dtype=dtype)

    def _partial_fit_setup(self, classes):
        self.classes_ = check_partial_fit_classes(classes)
        self._multilabel = False
        self._partial_classes = True

    def _check_same_classes(self, classes):
        if not self._multilabel and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes {classes!r} differ from those of the first call "
                             f"{self.classes_!r}")

    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One more epoch from where the last call stopped (parameters, update
        count and optimizer state continue).

        Parameters
        ----------
        X, y, sample_weight
            As in :meth:`fit`.
        classes : array-like, required on the first call
            Every label y may hold in any call (for a multilabel y, any
            sequence of n_labels entries).

        Returns
        -------
        self
        """
        return self._partial_fit(X, y, sample_weight, classes)

    def _validation_score(self, validation):
        """Accuracy on the held-out split (subset accuracy for multilabel)."""
        if validation.distributed:
            return validation.score(self, "accuracy")
        P = self._outputs(validation.X)
        Y = validation.Y
        if self._output == "softmax":
            correct = P.argmax(axis=1) == Y.argmax(axis=1)
        else:
            correct = ((P > 0.5) == (Y > 0.5)).all(axis=1)
        sw = validation.sample_weight
        return float(np.average(correct, weights=None if sw is None else sw.astype(np.float64)))

    @predicts_dask
    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_`` (for
        multilabel y, each label's probability).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        P = self._forward(X)
        if self._output == "logistic" and not self._multilabel:
            return np.column_stack([1.0 - P[:, 0], P[:, 0]])
        return P

    @predicts_dask
    def predict(self, X):
        """The most probable class of each sample (for multilabel y, the 0/1
        indicator of each label with probability above 1/2).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        P = self._forward(X)
        if self._multilabel:
            return (P > 0.5).astype(np.int64)
        index = (P[:, 0] > 0.5).astype(np.intp) if self._output == "logistic" else P.argmax(axis=1)
        return self.classes_[index]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    __doc__ = """Multilayer perceptron regressor trained by gradient descent.

    Identity outputs, one per target column, with the loss 1/2 ||h - y||^2 per
    sample (scikit-learn's squared loss is the mean over outputs, 1/K of
    it).  Initial weights are Glorot-uniform in
    +-sqrt(6 / (fan_in + fan_out)), biases zero.  Standardize the targets
    as well as the features: with the plain rules' automatic rate a target
    scale in the hundreds makes the first steps overshoot.

""" + _MLP_PARAMETERS + """
    Attributes
    ----------
""" + _MLP_ATTRIBUTES + """
    Examples
    --------
    >>> import numpy as np
    >>> from fastgd.neural_network import MLPRegressor
    >>> X = np.linspace(-1, 1, 50).reshape(-1, 1); y = X[:, 0] ** 2
    >>> reg = MLPRegressor((16,), activation="tanh", optimizer="adam",
    ...                    learning_rate=0.01, batch_size=10, max_epochs=300,
    ...                    random_state=0).fit(X, y)
    >>> bool(reg.score(X, y) > 0.9)
    True
    """

    _output = "identity"

    def _encode_target(self, y, n_samples, dtype, reset):
        arr = None if y is None else np.asarray(y)
        if arr is not None and arr.ndim == 2 and arr.shape[1] > 1:
            if arr.dtype.kind not in "biuf":
                raise ValueError(f"y must hold numbers for regression, got dtype {arr.dtype}")
            Y = check_array(arr, "y", accept_sparse=False, dtype=dtype)
            check_consistent_length(n_samples, Y.shape[0], "y")
            return Y
        return check_target(y, n_samples, dtype).reshape(-1, 1)

    def partial_fit(self, X, y, sample_weight=None):
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
        return self._partial_fit(X, y, sample_weight)

    def _partial_fit_setup(self, classes):
        pass

    def _check_same_classes(self, classes):
        pass

    def _validation_score(self, validation):
        """R^2 on the held-out split, averaged over the outputs."""
        if validation.distributed:
            return validation.score(self, "r2")
        return r2_score(validation.Y, self._outputs(validation.X), validation.sample_weight)

    @predicts_dask
    def predict(self, X):
        """The network's outputs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            1-D when the network was fit on a 1-D y.
        """
        P = self._forward(X)
        return P[:, 0] if P.shape[1] == 1 else P

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


__all__ = ["MLPClassifier", "MLPRegressor"]
