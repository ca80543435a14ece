# cython: language_level=3
"""Python access to the compiled update rules (see ``_optim.pxd``)."""
import numpy as np
from cython cimport floating

from fastgd._optim cimport (Rule, UpdateRule, is_plain_sgd, rule_step, scheduled_lr)


cdef class UpdateRule:
    """A compiled update rule with its learning-rate schedule.

    Built by :func:`fastgd.optim.make_rule`, which validates the names and
    values; the kernels read its C struct without the GIL.
    """

    def __init__(self, int kind, double lr, *, double momentum=0.0,
                 double dampening=0.0, bint nesterov=False, double beta1=0.9,
                 double beta2=0.999, double eps=1e-8, double rho=0.99,
                 double weight_decay=0.0, double lr_decay=0.0,
                 int schedule=0, double power_t=0.5, double gamma=1.0,
                 double step_size=1.0, double optimal_alpha=1.0,
                 double optimal_t0=1.0):
        self.c.kind = kind
        self.c.lr = lr
        self.c.momentum = momentum
        self.c.dampening = dampening
        self.c.nesterov = nesterov
        self.c.beta1 = beta1
        self.c.beta2 = beta2
        self.c.eps = eps
        self.c.rho = rho
        self.c.weight_decay = weight_decay
        self.c.lr_decay = lr_decay
        self.c.schedule = schedule
        self.c.power_t = power_t
        self.c.gamma = gamma
        self.c.step_size = step_size
        self.c.optimal_alpha = optimal_alpha
        self.c.optimal_t0 = optimal_t0

    @property
    def params(self):
        """The rule's fields as a dict (for repr and tests)."""
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

    def learning_rate(self, double t):
        """The scheduled learning rate of update number ``t`` (1-based)."""
        return scheduled_lr(&self.c, t)

    def step(self, floating[::1] params, const double[::1] grad,
             double[:, ::1] state, double t, bint decay=True, lr=None):
        """Apply one update in place; ``state`` has shape (2, n)."""
        cdef Py_ssize_t n = params.shape[0]
        cdef double eta = scheduled_lr(&self.c, t) if lr is None else <double>lr
        if grad.shape[0] != n or state.shape[0] != 2 or state.shape[1] != n:
            raise ValueError("grad and state must match params: got params %d, "
                             "grad %d, state %r" % (n, grad.shape[0],
                                                    (state.shape[0], state.shape[1])))
        if n == 0:
            return
        with nogil:
            rule_step(&self.c, eta, t, &params[0], &grad[0], &state[0, 0],
                      &state[1, 0], n, decay)


def _rebuild_rule(kind, lr, fields):
    return UpdateRule(kind, lr, **fields)
