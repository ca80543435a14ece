"""scikit-learn base classes, or minimal stand-ins when it is not installed.

scikit-learn is a test dependency, not a run-time one.  When it is present the
estimators inherit its BaseEstimator and mixins (so clone, pipelines, tags and
check_estimator work as for any scikit-learn estimator); without it these
stand-ins give the same get_params / set_params / score contract.
"""
import inspect
import sys

import numpy as np



def r2_score(y, pred, sample_weight=None):
    """Weighted coefficient of determination, averaged over the outputs
    (scikit-learn's 'uniform_average'); an output with constant targets
    scores 0."""
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    pred = np.asarray(pred, dtype=np.float64).reshape(y.shape)
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    resid = np.average((y - pred) ** 2, axis=0, weights=w)
    total = np.average((y - np.average(y, axis=0, weights=w)) ** 2, axis=0, weights=w)
    r2 = np.where(total > 0, 1.0 - resid / np.where(total > 0, total, 1.0), 0.0)
    return float(r2.mean())


try:  # pragma: no cover - depends on the environment
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
except ImportError:  # pragma: no cover
    class BaseEstimator:
        """get_params / set_params from the constructor's signature."""

        @classmethod
        def _get_param_names(cls):
            sig = inspect.signature(cls.__init__)
            return sorted(p.name for p in sig.parameters.values()
                          if p.name != "self" and p.kind != p.VAR_KEYWORD)

        def get_params(self, deep=True):
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params):
            valid = self._get_param_names()
            for key, value in params.items():
                if key not in valid:
                    raise ValueError(f"Invalid parameter {key!r} for estimator "
                                     f"{type(self).__name__}. Valid parameters are: {valid!r}.")
                setattr(self, key, value)
            return self

        def __repr__(self):
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
            return f"{type(self).__name__}({args})"

    class ClassifierMixin:
        _estimator_type = "classifier"

        def score(self, X, y, sample_weight=None):
            """Mean accuracy of ``predict(X)`` against y."""
            return float(np.average(self.predict(X) == np.asarray(y), weights=sample_weight))

    class RegressorMixin:
        _estimator_type = "regressor"

        def score(self, X, y, sample_weight=None):
            """Coefficient of determination R^2 of ``predict(X)`` against y."""
            return r2_score(y, self.predict(X), sample_weight)



class ProbabilisticClassifierMixin(ClassifierMixin):
    """A classifier with ``predict_proba``: its ``predict_log_proba`` too."""

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba` (-inf where a probability is 0).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))


def _sklearn_setting(name, default):
    """scikit-learn's configuration value ``name`` (``sklearn.set_config`` or
    ``sklearn.config_context``), or ``default``.  Asked only when
    scikit-learn is already imported: a program that set it has imported it,
    and otherwise its value is the default."""
    get_config = getattr(sys.modules.get("sklearn"), "get_config", None)
    return default if get_config is None else get_config().get(name, default)


def sklearn_assumes_finite():
    """Whether scikit-learn's configuration says ``assume_finite=True``,
    which skips its estimators' scan of X for NaN and infinity."""
    return bool(_sklearn_setting("assume_finite", False))


def sparse_coefficients(coef):
    """``coef`` as ``sparsify`` leaves it, in CSR: a sparse array of its
    shape (one-dimensional too, where scipy has 1-D sparse arrays), a sparse
    matrix unless scikit-learn's ``sparse_interface`` setting asks for arrays."""
    import scipy.sparse as sp
    coef = sp.csr_array(coef)
    if _sklearn_setting("sparse_interface", "spmatrix") == "sparray":
        return coef
    return sp.csr_matrix(coef)

__all__ = ["BaseEstimator", "ClassifierMixin", "ProbabilisticClassifierMixin", "RegressorMixin",
           "r2_score", "sklearn_assumes_finite", "sparse_coefficients"]
