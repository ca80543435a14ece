"""LogisticRegression and SoftmaxRegression: the cross-entropy classifiers."""
import numpy as np
from scipy.special import expit

from .._sklearn_compat import ProbabilisticClassifierMixin
from .._validation import check_partial_fit_classes, encode_known_labels, encode_labels
from ._base import _LinearModel
from ..dask import predicts_dask

# The parameters and fitted attributes the two classifiers share.
_CLASSIFIER_PARAMETERS = """\
    Parameters
    ----------
    solver, optimizer, learning_rate, schedule, alpha, max_epochs, tol, \
n_iter_no_change, batch_size, shuffle, random_state, fit_intercept, \
early_stopping, validation_fraction, warm_start, n_jobs, momentum, \
dampening, nesterov, betas, eps, rho, weight_decay, lr_decay, amsgrad, \
centered, initial_accumulator_value, power_t, gamma, step_size, verbose, callback
        As in :class:`LinearRegression` (without the 'normal' solver;
        'saga' included).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
"""
_CLASSIFIER_ATTRIBUTES = """\
    n_iter_, loss_history_, validation_scores_, converged_, learning_rate_, t_, \
n_features_in_, feature_names_in_
        As in :class:`LinearRegression` (validation scores are accuracies).
"""


class _Classifier(ProbabilisticClassifierMixin, _LinearModel):
    """Label encoding and the probability outputs of the classifiers."""

    def _encode_target(self, y, n_samples, dtype, reset):
        if reset and not getattr(self, "_partial_classes", False):
            self.classes_, encoded = encode_labels(y, n_samples)
        else:
            encoded = encode_known_labels(y, self.classes_, n_samples)
        self._set_loss()
        return np.ascontiguousarray(encoded, dtype=dtype)

    def _partial_fit_setup(self, first, classes=None):
        if first:
            self.classes_ = check_partial_fit_classes(classes)
            self._partial_classes = True
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes {classes!r} differ from those of the first call {self.classes_!r}")

    def _expose_fitted_attributes(self, training=False):
        self.coef_ = self._coef
        self.intercept_ = self._intercept

    @predicts_dask
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

    @predicts_dask
    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        U, scale = self._scaled_decision(X)
        U = U.astype(np.float64)
        with np.errstate(over="ignore"):
            # scaled after the maximum is subtracted: finite rows of any size
            # give probabilities, the overflowing ones 0 and 1
            if self._loss == "logistic":
                p = expit(U[:, 0] * scale)
                return np.column_stack([1.0 - p, p])
            Z = (U - U.max(axis=1, keepdims=True)) * scale[:, None]
        P = np.exp(Z)
        return P / P.sum(axis=1, keepdims=True)

    @predicts_dask
    def predict(self, X):
        """The most probable class of each sample.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        U, _ = self._scaled_decision(X)       # the sign and argmax need no scale
        index = (U[:, 0] > 0).astype(np.intp) if self._loss == "logistic" else U.argmax(axis=1)
        return self.classes_[index]


class LogisticRegression(_Classifier):
    __doc__ = """Logistic regression (cross-entropy) trained by gradient descent.

    Two classes: the binary model with labels encoded 0/1 (``classes_[1]`` is
    the positive class) and J = mean cross-entropy + alpha/2 ||w||^2, which is
    scikit-learn's LogisticRegression with C = 1 / (n_samples * alpha).  More
    than two classes: the multinomial (softmax) model, as
    :class:`SoftmaxRegression`.

""" + _CLASSIFIER_PARAMETERS + """    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
""" + _CLASSIFIER_ATTRIBUTES

    def _set_loss(self):
        binary = len(self.classes_) == 2
        self._loss = "logistic" if binary else "softmax"
        self._n_outputs = 1 if binary else len(self.classes_)


class SoftmaxRegression(_Classifier):
    __doc__ = """Multinomial (softmax) regression trained by gradient descent.

    J = mean_i -log softmax(x_i W^T + b)_{y_i} + alpha/2 ||W||^2, with one
    row of W per class (also for two classes).

""" + _CLASSIFIER_PARAMETERS + """    coef_ : ndarray of shape (n_classes, n_features)
    intercept_ : ndarray of shape (n_classes,)
""" + _CLASSIFIER_ATTRIBUTES

    _loss = "softmax"

    def _set_loss(self):
        self._n_outputs = len(self.classes_)
