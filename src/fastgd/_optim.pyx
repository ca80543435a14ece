# cython: language_level=3
"""Python access to the compiled update rules (see ``_optim.pxd``)."""
import numpy as np

from fastgd._optim cimport (Rule, UpdateRule, is_plain_sgd, rule_step, scheduled_lr)
from fastgd._validation import check_bool, check_no_overlap, check_output, check_scalar


cdef class UpdateRule:
    """A compiled update rule with its learning-rate schedule.

    Usually built by :func:`fastgd.optim.make_rule` from torch.optim-style
    names; the kernels read its C struct without the GIL and without any
    further check, so a rule built by hand is checked here by the same rules
    as make_rule's (``fastgd.optim._check_fields``).

    Parameters
    ----------
    kind : int
        The update rule's code in ``_optim.pxd``: 0 SGD, 1 Adagrad,
        2 RMSprop, 3 Adam, 4 AdamW.
    lr : float
        The base learning rate, > 0.
    momentum, dampening, weight_decay, lr_decay, power_t : float
        >= 0.
    nesterov : bool
        Nesterov momentum; needs momentum > 0 and dampening = 0.
    beta1, beta2, rho : float
        In [0, 1).
    eps, step_size, optimal_alpha, optimal_t0 : float
        > 0.
    schedule : int
        The schedule's code: 0 constant, 1 invscaling, 2 step,
        3 exponential, 4 optimal.
    gamma : float
        In (0, 1].

    Raises
    ------
    TypeError, ValueError
        Naming the argument of the wrong type or out of its range.
    """

    def __init__(self, kind, lr, *, momentum=0.0, dampening=0.0, nesterov=False,
                 beta1=0.9, beta2=0.999, eps=1e-8, rho=0.99, weight_decay=0.0,
                 lr_decay=0.0, schedule=0, power_t=0.5, gamma=1.0, step_size=1.0,
                 optimal_alpha=1.0, optimal_t0=1.0):
        # imported here: fastgd.optim imports this module
        from fastgd.optim import _check_fields
        self.c = _check_fields(dict(
            kind=kind, lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
            beta1=beta1, beta2=beta2, eps=eps, rho=rho, weight_decay=weight_decay,
            lr_decay=lr_decay, schedule=schedule, power_t=power_t, gamma=gamma,
            step_size=step_size, optimal_alpha=optimal_alpha, optimal_t0=optimal_t0))

    @property
    def params(self):
        """The rule's fields as a dict (for repr, tests and
        fastgd.optim.rule_keeps_state)."""
        return dict(self.c)

    @property
    def keeps_state(self):
        """Whether the rule reads and writes state (momentum, moments): every
        rule but a plain step without weight decay."""
        return not is_plain_sgd(&self.c)

    def __reduce__(self):
        c = dict(self.c)
        kind, lr = c.pop("kind"), c.pop("lr")
        return (_rebuild_rule, (kind, lr, c))

    def learning_rate(self, t):
        """The scheduled learning rate of update number ``t`` (a real >= 1)."""
        return scheduled_lr(&self.c, _check_t(t))

    def step(self, params, grad, state, t, decay=True, lr=None):
        """Apply one update to ``params`` in place.

        Parameters
        ----------
        params : ndarray of shape (n,), float64 or float32
            C-contiguous and writeable: updated in place.
        grad : ndarray of shape (n,), float64
            C-contiguous; only read.
        state : ndarray of shape (2, n), float64
            The rule's state (momentum buffer, moment estimates), C-contiguous
            and writeable: updated in place.
        t : float
            The 1-based number of this update (torch's ``step``), >= 1.
        decay : bool, default=True
            Whether ``weight_decay`` applies to these parameters.
        lr : float, optional
            A learning rate > 0 to use instead of the scheduled one.

        Raises
        ------
        TypeError, ValueError
            Naming the argument of the wrong type, dtype, shape or layout,
            out of range, or sharing memory with another.
        """
        # The compiled step has no bounds checks: every argument is checked
        # here, in O(1) (the estimators' full-batch path calls this per epoch).
        cdef double[::1] p64
        cdef float[::1] p32
        cdef const double[::1] g
        cdef double[:, ::1] s
        cdef double eta, step_t = _check_t(t)
        cdef bint apply_decay = check_bool(decay, "decay")
        cdef Py_ssize_t n = _check_step_arrays(params, grad, state)
        eta = (scheduled_lr(&self.c, step_t) if lr is None
               else check_scalar(lr, "lr", low=0.0, low_open=True))
        if n == 0:
            return
        g = grad
        s = state
        if params.dtype == np.float32:
            p32 = params
            with nogil:
                rule_step(&self.c, eta, step_t, &p32[0], &g[0], &s[0, 0], &s[1, 0], n,
                          apply_decay)
        else:
            p64 = params
            with nogil:
                rule_step(&self.c, eta, step_t, &p64[0], &g[0], &s[0, 0], &s[1, 0], n,
                          apply_decay)


def _check_t(t):
    """The update number: a finite real >= 1 (the schedules and Adam's bias
    correction are undefined, or NaN, at t <= 0)."""
    return float(check_scalar(t, "t", low=1.0))


def _check_array(array, name, dtypes):
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(array).__name__}")
    if array.dtype not in dtypes:
        raise TypeError(f"{name} must have dtype "
                        f"{' or '.join(np.dtype(d).name for d in dtypes)}, got {array.dtype}")


def _check_step_arrays(params, grad, state):
    """Check the arrays of :meth:`UpdateRule.step` and return n, their length.

    Each must have the dtype, shape and layout the typed loop reads, and
    the arrays it writes (params, state) must not share memory with another.
    """
    _check_array(params, "params", (np.float64, np.float32))
    _check_array(grad, "grad", (np.float64,))
    _check_array(state, "state", (np.float64,))
    if params.ndim != 1:
        raise ValueError(f"params must be 1-dimensional, got shape {params.shape}")
    n = params.shape[0]
    if grad.shape != (n,) or state.shape != (2, n):
        raise ValueError(f"grad and state must match params: got params {n}, "
                         f"grad {grad.shape}, state {state.shape}")
    check_output(params, "params", (n,), params.dtype)
    check_output(state, "state", (2, n), np.float64)
    if not grad.flags.c_contiguous:
        raise ValueError("grad must be C-contiguous")
    check_no_overlap([("params", params), ("state", state)], [("grad", grad)])
    return n


def _rebuild_rule(kind, lr, fields):
    return UpdateRule(kind, lr, **fields)
