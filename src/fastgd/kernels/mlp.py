"""The compiled kernels of the multilayer perceptron, for callers who own the
buffers.

A network is given by ``layer_sizes`` = (n_features, hidden..., n_outputs):
layers l = 0..L, a^(0) = x, z^(l) = a^(l-1) W_l + b_l, a^(l) = g(z^(l)) with
the hidden ``activation`` g, and the ``output`` function on the last layer:

* ``'softmax'``  -- multiclass; Y one-hot (n, K), loss -log p_y;
* ``'logistic'`` -- binary / multilabel; K sigmoid outputs, Y in [0, 1],
  loss sum_k -[y log h + (1 - y) log(1 - h)];
* ``'identity'`` -- regression; loss 1/2 ||h - y||^2.

All parameters are ONE flat C-contiguous vector ``theta`` in the dtype of X
(float32 or float64): the weight matrices first, in layer order, each
row-major of shape (n_{l-1}, n_l) like scikit-learn's ``coefs_[l]``, then the
biases (``intercepts_[l]``).  The L2-penalized weights are the prefix
``theta[:n_weights]``.  :func:`unpack` returns the matrices as views, so an
estimator's ``coefs_`` and ``intercepts_`` stay in step with theta.
Gradients and optimizer state are float64 (everything summed is summed in
double); matrix products are BLAS gemm in the dtype of X.

Examples
--------
>>> import numpy as np
>>> from fastgd import mlp_kernels
>>> X = np.array([[0.0, 1.0], [1.0, 0.0]]); Y = np.array([[1.0, 0.0], [0.0, 1.0]])
>>> sizes = (2, 3, 2)
>>> theta = mlp_kernels.init_params(sizes, random_state=0)
>>> grad = np.empty_like(theta)
>>> J = mlp_kernels.loss_gradient(X, Y, theta, grad, sizes, activation="tanh",
...                               output="softmax")
>>> coefs, intercepts = mlp_kernels.unpack(theta, sizes)
>>> [c.shape for c in coefs], [b.shape for b in intercepts]
([(2, 3), (3, 2)], [(3,), (2,)])
"""
import numbers

import numpy as np

from . import _common, _mlp
from .._validation import (check_array, check_consistent_length, check_finite,
                          check_layer_widths, check_lr_table, check_no_overlap, check_order,
                          check_output, check_random_state, check_sample_weight,
                          check_scalar, check_visited_weight)
from . import EpochResult
from ._blocks import check_blocks
from ._exclusive import writing
from ._interface import STATUS_OK, EpochBackup, epoch_divergence, epoch_objective
from .rules import check_state, make_rule, rule_keeps_state, state_shape

ACTIVATIONS = tuple(_mlp.ACTIVATIONS)
OUTPUTS = tuple(_mlp.OUTPUTS)
# scikit-learn calls the sigmoid activation 'logistic'
_ACTIVATION_ALIASES = {"logistic": "sigmoid"}
# Rows per block of the compiled loops: a work buffer holds at most this
# many rows of every layer.
_BLOCK_ROWS = _mlp.BLOCK_ROWS
# The compiled loops index theta, the gradient and the work buffers with a
# Py_ssize_t and size them in bytes (8 for a float64): no buffer may hold
# more values than that can address.
_MAX_VALUES = np.iinfo(np.intp).max // np.dtype(np.float64).itemsize


def _network_size(widths):
    """(n_weights, n_params, n_work) of a network, in values, as exact Python
    ints.

    n_work is the largest work buffer a kernel allocates from the widths
    (see _mlp.epoch): the activations and errors of a block of rows, the
    product of the widest layer pair (in X's dtype), and the gathered rows of X.
    Python ints, since an int64 sum of the layer products wraps silently
    (and the compiled layout() wraps the same way) for wide layers.
    """
    widths = [int(w) for w in widths]
    fans = [n_in * n_out for n_in, n_out in zip(widths[:-1], widths[1:])]
    units = sum(widths[1:])
    n_weights = sum(fans)
    n_work = 2 * _BLOCK_ROWS * units + max(fans) + _BLOCK_ROWS * widths[0]
    return n_weights, n_weights + units, n_work


def _check_layer_sizes(layer_sizes):
    """layer_sizes as an intp array of at least two positive sizes, for a
    network whose buffers the compiled code can index.

    Checked before any compiled call, _mlp.layout included: it sums the
    sizes in Py_ssize_t without overflow checks.
    """
    if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__len__"):
        raise TypeError("layer_sizes must be a sequence of layer widths "
                        f"(n_features, hidden..., n_outputs), got {layer_sizes!r}")
    sizes = check_layer_widths(layer_sizes, "layer_sizes")
    if len(sizes) < 2:
        raise ValueError("layer_sizes needs at least the input and output sizes, "
                         f"got {layer_sizes!r}")
    _, n_params, n_work = _network_size(sizes)
    if max(n_params, n_work) > _MAX_VALUES:
        raise ValueError(f"layer_sizes describe a network too large for the compiled "
                         f"kernels: {n_params} parameters and work buffers of {n_work} "
                         f"values, where at most {_MAX_VALUES} can be indexed")
    return np.asarray(sizes, dtype=np.intp)


def count_params(layer_sizes):
    """The sizes of theta for this network.

    Parameters
    ----------
    layer_sizes : sequence of int
        (n_features, hidden..., n_outputs).

    Returns
    -------
    n_weights : int
        Length of the penalized prefix (all weight matrices).
    n_params : int
        Length of theta (weights, then biases).
    """
    n_weights, n_params, _ = _network_size(_check_layer_sizes(layer_sizes))
    return n_weights, n_params


def check_activation(activation):
    """The kernels' name of a hidden layer's ``activation`` (scikit-learn's
    'logistic' is the 'sigmoid'); a ValueError naming it when unknown."""
    name = _ACTIVATION_ALIASES.get(activation, activation) if isinstance(activation, str) else None
    if name not in _mlp.ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS + tuple(_ACTIVATION_ALIASES)}, "
                         f"got {activation!r}")
    return name


def _check_names(activation, output):
    name = check_activation(activation)
    if not isinstance(output, str) or output not in _mlp.OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    return _mlp.ACTIVATIONS[name], _mlp.OUTPUTS[output]


def _check_theta(theta, n_params, dtype, writeable):
    """theta: the flat parameters, finite, in the dtype of X."""
    if not isinstance(theta, np.ndarray):
        raise TypeError(f"theta must be a numpy.ndarray, got {type(theta).__name__}")
    if theta.dtype != dtype:
        raise TypeError(f"theta has dtype {theta.dtype} but X has dtype {np.dtype(dtype).name}: "
                        "parameters must have the dtype of X")
    if theta.shape != (n_params,):
        raise ValueError(f"theta must have shape ({n_params},) for these layer_sizes, "
                         f"got {theta.shape}")
    # a NaN can hide in a forward pass (relu(NaN) is 0): predict would return
    # finite values, and epoch would train on and then blame the learning rate
    check_finite(theta, "theta")
    if writeable:
        return check_output(theta, "theta", (n_params,), dtype)
    return np.ascontiguousarray(theta)


def _check_problem(X, Y, theta, layer_sizes, activation, output, sample_weight,
                   writeable):
    """Validate a training call; return what the compiled loops read."""
    sizes = _check_layer_sizes(layer_sizes)
    act, out = _check_names(activation, output)
    # unlike the linear loops, a network can hide a NaN in X (relu(NaN) is 0),
    # so X's values are checked before the loop, by the cheap sum test
    X = check_array(X, "X", accept_sparse=False)
    dtype = X.dtype
    n, d = X.shape
    if sizes[0] != d:
        raise ValueError(f"layer_sizes[0] must be the number of features of X ({d}), "
                         f"got {sizes[0]}")
    K = int(sizes[-1])
    if output == "softmax" and K < 2:
        raise ValueError(f"output='softmax' needs at least 2 outputs, got layer_sizes[-1] = {K}")
    Y = check_array(Y, "Y", accept_sparse=False, dtype=dtype)
    check_consistent_length(n, Y.shape[0], "Y")
    if Y.shape[1] != K:
        raise ValueError(f"Y must have shape ({n}, {K}) (one column per output), got {Y.shape}")
    if output == "logistic" and ((Y < 0) | (Y > 1)).any():
        raise ValueError("Y must lie in [0, 1] for output='logistic' (encode the labels as 0/1)")
    if output == "softmax":
        tol = np.sqrt(np.finfo(dtype).eps)
        if (Y < 0).any() or (np.abs(Y.sum(axis=1, dtype=np.float64) - 1.0) > tol).any():
            raise ValueError("Y must hold one-hot rows (or class probabilities summing "
                             "to 1) for output='softmax'")
    _, n_params = count_params(sizes)
    theta = _check_theta(theta, n_params, dtype, writeable)
    sample_weight = check_sample_weight(sample_weight, n, dtype)
    return X, Y, theta, sizes, act, out, sample_weight


def init_params(layer_sizes, dtype=np.float64, random_state=None):
    """Initial parameters: Glorot-uniform weights, zero biases.

    Each W_l is drawn uniformly from [-eps, eps] with
    eps = sqrt(6 / (n_{l-1} + n_l)) -- the textbook's epsilon_init, which
    breaks the symmetry between hidden units.

    Parameters
    ----------
    layer_sizes : sequence of int
        (n_features, hidden..., n_outputs).
    dtype : {numpy.float64, numpy.float32}
        The dtype of the data the network will be trained on.
    random_state : None, int, numpy.random.Generator or numpy.random.RandomState
        The source of the draws; an int gives reproducible parameters.

    Returns
    -------
    theta : ndarray of shape (n_params,)
    """
    sizes = _check_layer_sizes(layer_sizes)
    if np.dtype(dtype) not in (np.float32, np.float64):
        raise TypeError(f"dtype must be float32 or float64, got {np.dtype(dtype).name}")
    rng = check_random_state(random_state)
    n_weights, n_params = count_params(sizes)
    theta = np.zeros(n_params, dtype=dtype)
    pos = 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        eps = np.sqrt(6.0 / (n_in + n_out))
        theta[pos:pos + n_in * n_out] = rng.uniform(-eps, eps, size=n_in * n_out)
        pos += n_in * n_out
    return theta


def unpack(theta, layer_sizes):
    """The weight matrices and bias vectors of theta, as views.

    Parameters
    ----------
    theta : ndarray of shape (n_params,), C-contiguous
    layer_sizes : sequence of int

    Returns
    -------
    coefs : list of ndarray
        ``coefs[l]`` of shape (layer_sizes[l], layer_sizes[l + 1]).
    intercepts : list of ndarray
        ``intercepts[l]`` of shape (layer_sizes[l + 1],).
        Writing into these arrays writes into theta.
    """
    sizes = _check_layer_sizes(layer_sizes)
    _, n_params = count_params(sizes)
    if not isinstance(theta, np.ndarray):
        raise TypeError(f"theta must be a numpy.ndarray, got {type(theta).__name__}")
    if theta.shape != (n_params,):
        raise ValueError(f"theta must have shape ({n_params},) for these layer_sizes, "
                         f"got {theta.shape}")
    if not theta.flags.c_contiguous:
        raise ValueError("theta must be C-contiguous (the views share its memory)")
    coefs, intercepts, pos = [], [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        coefs.append(theta[pos:pos + n_in * n_out].reshape(n_in, n_out))
        pos += n_in * n_out
    for n_out in sizes[1:]:
        intercepts.append(theta[pos:pos + n_out])
        pos += n_out
    return coefs, intercepts


def init_state(theta, rule=None):
    """Zeroed optimizer state for theta.

    Parameters
    ----------
    theta : array-like
        The parameters (only their size is read).
    rule : UpdateRule or None, default None
        As in :func:`fastgd.kernels.init_state`: the rule whose
        ``state_rows`` rows to make.

    Returns
    -------
    ndarray
        float64 of shape (rows, theta.size).
    """
    return np.zeros(state_shape(rule, np.asarray(theta).size))


def loss_gradient(X, Y, theta, grad, layer_sizes, *, activation="relu",
                  output="identity", alpha=0.0, sample_weight=None):
    """Objective and gradient over all samples (backpropagation).

    J = sum_i s_i L_i / sum_i s_i + alpha / 2 sum_l ||W_l||^2 (s_i = 1
    without weights); the biases are not penalized.  The rows are processed
    in blocks of 256, so memory stays bounded whatever n_samples.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Dense; float32 stays float32, anything else becomes float64.
    Y : array-like of shape (n_samples, n_outputs)
        Encoded targets: one-hot rows for 'softmax', 0/1 for 'logistic',
        values for 'identity'.
    theta : ndarray of shape (n_params,), dtype of X
        Finite.
    grad : ndarray of shape (n_params,), float64, C-contiguous
        Output: dJ/dtheta, in the layout of theta; overwritten.  It must not
        share memory with any other array of the call.
    layer_sizes : sequence of int
        (n_features, hidden..., n_outputs).
    activation : {'relu', 'tanh', 'sigmoid', 'identity'}
        The hidden layers' g ('logistic' is accepted for 'sigmoid').
    output : {'identity', 'logistic', 'softmax'}
    alpha : float, default 0
        L2 penalty on the weights.
    sample_weight : array-like of shape (n_samples,) or None

    Returns
    -------
    objective : float

    Raises
    ------
    ValueError
        For invalid arguments, and when the objective or the gradient
        overflows for finite inputs (grad is then not meaningful).
    """
    given = dict(X=X, Y=Y, theta=theta, sample_weight=sample_weight)
    X, Y, theta, sizes, act, out, sample_weight = _check_problem(
        X, Y, theta, layer_sizes, activation, output, sample_weight, writeable=False)
    alpha = check_scalar(alpha, "alpha", low=0.0)
    check_output(grad, "grad", theta.shape, np.float64)
    check_no_overlap(dict(grad=grad), dict(X=X, Y=Y, theta=theta, sample_weight=sample_weight),
                     given)
    with writing(grad):
        objective = _mlp.loss_gradient(X, Y, theta, grad, sizes, act, out, float(alpha),
                                       sample_weight)
    # a saturated unit can keep the loss finite while the gradient overflows
    if not (np.isfinite(objective) and np.isfinite(grad).all()):
        raise ValueError(
            "the objective or its gradient overflowed (it is not finite) for finite X, Y and theta: X's or "
            "Y's values, theta or alpha are too large; rescale X and Y (e.g. "
            "sklearn.preprocessing.StandardScaler)")
    return objective


def epoch(X, Y, theta, layer_sizes, *, activation="relu", output="identity",
          alpha=0.0, batch_size=1, rule=None, learning_rate=0.01, order=None,
          sample_weight=None, state=None, t=0, lr_table=None, blocks=None):
    """One epoch of stochastic / mini-batch gradient descent, updating theta
    in place.

    The samples are visited in ``order`` (all rows in sequence when None) in
    steps of ``batch_size``; each step runs forward and back over the batch
    and moves theta by the update rule along the gradient of
    sum_i s_i L_i / m (m rows in the batch) plus alpha W; the rule's
    ``weight_decay`` applies to the weights only, never to the biases.

    Parameters
    ----------
    X, Y, layer_sizes, activation, output, alpha, sample_weight
        As in :func:`loss_gradient`.
    theta : ndarray of shape (n_params,), dtype of X
        Updated in place; must be finite, C-contiguous and writeable.
    batch_size : int, default 1
        Rows per step; a value >= n_samples is full-batch gradient descent.
    rule : UpdateRule or None
        From :func:`fastgd.optim.make_rule`; None means plain SGD at a
        constant ``learning_rate``.
    learning_rate : float
        Used only when ``rule`` is None.
    order : array-like of int or None
        Row indices to visit, each in [0, n_samples).
    state : ndarray of shape (rows, n_params), float64, or None
        The rule's state (momentum, moments), updated in place; required by
        every rule but plain SGD.  ``rows`` is the rule's ``state_rows``: 2,
        or 3 for amsgrad and for centered RMSprop with momentum.
        ``init_state(theta, rule)`` makes a zeroed one.
        theta and state must not share memory with each other or with any
        other array of the call.
    t : int
        Updates made before this epoch (for bias corrections and schedules).
    lr_table : array-like of float or None
        The learning rate of each step of this epoch, overriding the rule's
        schedule.
    blocks : (block_size, buffer_blocks) or None
        ``order`` visits whole blocks of ``block_size`` rows, at most
        ``buffer_blocks`` at a time, as :func:`fastgd.kernels.block_order`
        draws it; checked, and otherwise the same epoch: this loop copies
        the rows of every step into a work buffer before it reads them,
        whatever the order.

    Returns
    -------
    EpochResult
        (objective, t): the weighted mean of the losses met before each step
        plus the penalty at the end of the epoch, and the update count.

    Raises
    ------
    ValueError
        For invalid input, before theta is touched: among others a
        non-finite theta, overlapping arrays, or no positive sample_weight
        among the rows visited.
    DivergenceError
        When a loss or a gradient becomes non-finite, or an update overflows
        theta.  theta and state are then left finite: as the last good step
        left them, or, when a step overflowed them, as they were before the
        epoch.
    """
    given = dict(X=X, Y=Y, sample_weight=sample_weight, order=order, lr_table=lr_table)
    X, Y, theta, sizes, act, out, sample_weight = _check_problem(
        X, Y, theta, layer_sizes, activation, output, sample_weight, writeable=True)
    alpha = check_scalar(alpha, "alpha", low=0.0)
    batch_size = check_scalar(batch_size, "batch_size", kind=numbers.Integral, low=1)
    t = check_scalar(t, "t", kind=numbers.Integral, low=0)
    if rule is None:
        rule = make_rule("sgd", learning_rate)
    stateful = rule_keeps_state(rule)
    n = X.shape[0]
    order = check_order(order, n)
    check_blocks(blocks, order, n)
    n_rows = order.size if order is not None else n
    n_steps = -(-n_rows // batch_size)
    lr_table = check_lr_table(lr_table, n_steps)
    # a batch larger than the epoch is the whole epoch (and fits a Py_ssize_t)
    batch_size = int(min(batch_size, n_rows))
    if state is None and stateful:
        raise ValueError("this update rule keeps state: pass state "
                         "(fastgd.kernels.mlp.init_state(theta, rule) makes a zeroed one)")
    if state is not None:
        check_state(state, "state", rule, theta.size)
    check_visited_weight(sample_weight, order)
    check_no_overlap(dict(theta=theta, state=state),
                     dict(X=X, Y=Y, sample_weight=sample_weight, order=order, lr_table=lr_table),
                     given)
    t_start = int(t)
    with writing(theta, state):
        backup = EpochBackup(theta, state)
        loss_sum, weight_sum, t, status = _mlp.epoch(
            X, Y, theta, order, batch_size, sizes, act, out,
            float(alpha), rule, state, t_start, lr_table, sample_weight)
        if status != STATUS_OK:
            backup.keep_finite()
    if status != STATUS_OK:
        raise epoch_divergence(status, t, t_start, what="the loss or its gradient")
    n_weights, _ = count_params(sizes)
    return EpochResult(epoch_objective(loss_sum, weight_sum,
                                       _common.penalty(theta[:n_weights], alpha), t, t_start), t)


def predict(X, theta, layer_sizes, *, activation="relu", output="identity", out=None):
    """The network's outputs h(x) for every row of X (forward pass).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    theta : ndarray of shape (n_params,), dtype of X
        Finite.
    layer_sizes, activation, output
        As in :func:`loss_gradient`.
    out : ndarray of shape (n_samples, n_outputs), dtype of X, or None
        Where to write the outputs (C-contiguous, writeable, sharing no
        memory with X or theta); allocated when None.

    Returns
    -------
    out : ndarray of shape (n_samples, n_outputs)
        Class probabilities for 'softmax' and 'logistic', values for
        'identity'.
    """
    given = dict(X=X, theta=theta)
    sizes = _check_layer_sizes(layer_sizes)
    act, code = _check_names(activation, output)
    X = check_array(X, "X", accept_sparse=False)
    if sizes[0] != X.shape[1]:
        raise ValueError(f"layer_sizes[0] must be the number of features of X ({X.shape[1]}), "
                         f"got {sizes[0]}")
    if output == "softmax" and sizes[-1] < 2:
        raise ValueError(f"output='softmax' needs at least 2 outputs, got layer_sizes[-1] = {sizes[-1]}")
    _, n_params = count_params(sizes)
    theta = _check_theta(theta, n_params, X.dtype, writeable=False)
    shape = (X.shape[0], int(sizes[-1]))
    if out is None:
        out = np.empty(shape, dtype=X.dtype)
    else:
        check_output(out, "out", shape, X.dtype)
    check_no_overlap(dict(out=out), dict(X=X, theta=theta), given)
    with writing(out):
        _mlp.predict(X, theta, sizes, act, code, out)
    return out


__all__ = ["ACTIVATIONS", "OUTPUTS", "EpochResult", "count_params", "epoch",
           "init_params", "init_state", "loss_gradient", "predict", "unpack"]
