"""LinearRegression: least squares by gradient descent or the normal equation."""
import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .._fit import RULE_HYPERPARAMETER_DOCS, SAGA, SOLVERS, STOPPING_DOCS, Segment
from .._sklearn_compat import RegressorMixin
from .._validation import check_target
from ._base import _LinearModel
from ..dask import predicts_dask


def _check_normal_scale(*arrays):
    """The normal equations' products, finite: X or y so large that they
    overflow in float64 (|x| above about 1e154) leave nothing to solve."""
    if not all(np.isfinite(a).all() for a in arrays):
        raise ValueError("X or y is too large in magnitude for solver='normal' (its products "
                         "overflow float64); standardize X and y, e.g. with "
                         "sklearn.preprocessing.StandardScaler")

class LinearRegression(RegressorMixin, _LinearModel):
    __doc__ = """Linear least squares with optional L2, trained by gradient descent or
    solved in closed form.

    Minimizes J(w, b) = mean_i 1/2 (x_i w + b - y_i)^2 + alpha/2 ||w||^2 (means
    weighted by ``sample_weight``); the intercept b is not penalized.  This is
    scikit-learn's Ridge with ``alpha_ridge = n_samples * alpha``.

    Parameters
    ----------
    solver : {'gd', 'sgd', 'minibatch', 'saga', 'normal'}, default 'gd'
        Full-batch gradient descent, per-sample SGD, mini-batch SGD, SAGA,
        or the normal equation (closed form: least squares on the centered
        data without a penalty, a Cholesky solve of the regularized d x d
        system with one; the minimum-norm solution when the problem is
        singular).  'saga' (Defazio, Bach and Lacoste-Julien 2014) takes
        per-sample steps corrected by a table of each sample's last
        gradient, at a constant rate: it converges linearly to the exact
        optimum, a CSR step costs O(non-zeros of the row), and it stops on
        the gradient as 'gd' does (see ``tol``).  It takes
        ``optimizer='auto'``, a constant schedule and no rule settings;
        its table is fit state (``warm_start`` continues it), so it has no
        ``partial_fit``.
    optimizer : {'auto', 'sgd', 'momentum', 'nesterov', 'adagrad', 'rmsprop', 'adam', 'adamw'}, \
default 'auto'
        The update rule, with torch.optim's formulas and defaults.  'auto' is
        plain gradient steps at Barzilai and Borwein's rates (the inverse of
        the curvature the last step met: the long rate s.s / s.y, or the
        smallest short rate s.y / y.y of the last 3 steps when the short one
        is below 0.8 times the long one; a step that rises above the highest
        of the last 10 objectives is taken again at 1 / L) when ``fit`` runs
        the 'gd' solver with
        ``learning_rate='auto'``, a constant schedule and no momentum,
        dampening or nesterov given; 'sgd' (torch's SGD: plain steps unless
        you give momentum) otherwise: the stochastic solvers, ``partial_fit``,
        and gradient descent at a rate or schedule of the user's (the
        textbook's method).
    learning_rate : float or 'auto', default 'auto'
        The step size.  'auto' is 1 / L for the plain rules, with L the
        curvature bound of a step's objective (so it does not diverge), times
        (1 - momentum); the first step of Barzilai-Borwein 'auto'; torch's
        default rate for the adaptive rules.  For 'saga', scikit-learn's
        SAGA step 1 / (2 L + min(2 n alpha, L)), L the largest per-sample
        curvature s_i (||x_i||^2 + fit_intercept) times the loss's bound,
        plus alpha.
    schedule : str or callable, default 'auto'
        'auto' is 'adaptive' for the 'sgd' and 'minibatch' solvers (a
        constant rate leaves them at a noise floor above the optimum;
        dividing it as the objective stalls lets them converge, see
        ``tol``; the classifiers' automatic rate may also grow before the
        first stall) and 'constant' for the others.
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
""" + STOPPING_DOCS.format(tol='1e-6', n_iter_no_change=5) + """\
    batch_size : int, default 32
        Rows per step of the 'minibatch' solver.
    shuffle : bool or 'blocks', default True
        Visit the samples in a fresh random order each epoch ('sgd',
        'minibatch' and 'saga'): True draws a full permutation; 'blocks'
        visits contiguous blocks of rows in a random order, a buffer of 8
        blocks (one from each of 8 stretches of the data) at a time, its
        rows round-robin, one from each block, the blocks in a fresh random
        order every round (see :func:`fastgd.kernels.block_order`).  X is
        then read in sequential pieces: in memory in place (1.5-2.4x faster
        than a full permutation on dense rows); an X memory-mapped from a file
        (``np.load(..., mmap_mode='r')``) in blocks of 1 MiB, copied a
        buffer at a time, never read into memory whole.  It converges like
        a full shuffle even on data stored sorted by label (within 1% of
        its held-out loss, see docs/performance.md).  False visits the rows
        in their stored order.
    random_state : int, numpy Generator or None
        Seeds the shuffling and the validation split.
    fit_intercept : bool, default True
    early_stopping : bool, default False
        Stop on the score of a held-out ``validation_fraction`` of the data.
    validation_fraction : float, default 0.1
    warm_start : bool, default False
        ``fit`` continues from the previous solution and optimizer state.
    n_jobs : int, default 1
        Threads (OpenMP) that sum the full-batch gradient's chunks of rows,
        at most as many as there are CPUs.  The model is bit-identical
        whatever n_jobs: the chunks, and the order they are added in, depend
        on the data alone.
""" + RULE_HYPERPARAMETER_DOCS + """
    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : float
    n_iter_ : int
        Epochs run by the last ``fit`` (a warm start counts its own; 0 for
        ``solver='normal'``); ``partial_fit`` counts its calls since the first.
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
    feature_names_in_ : ndarray of str, shape (n_features_in_,)
        The column names of X, when ``fit`` was given a pandas DataFrame
        with string column names; later calls must give the same columns in
        the same order.

    Examples
    --------
    >>> import numpy as np
    >>> from fastgd import LinearRegression
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([1.0, 3.0, 5.0])
    >>> LinearRegression(solver="normal").fit(X, y).coef_
    array([2.])
    """

    _solvers = SOLVERS + (SAGA, "normal")
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
            nonsingular = w > cutoff * max(w.max(), 0.0)
            coef = V[:, nonsingular] @ ((V[:, nonsingular].T @ xty) / w[nonsingular])
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
        self._expose_fitted_attributes()
        return self

    def _expose_fitted_attributes(self, training=False):
        self.coef_ = self._coef[0]
        # a number, as scikit-learn's; while the model trains, a 0-d view,
        # so that a callback reads the intercept of the epoch it is called for
        self.intercept_ = self._intercept.reshape(()) if training else self._intercept[0]

    @predicts_dask
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
