# cython: language_level=3
"""Update rules and learning-rate schedules: the one place each is written.

Layers: part of the kernels' public cimport API (with loss.pxd).  The
compiled loops (_linear.pyx, _mlp.pyx) take their steps with ``rule_step3``;
rules.pyx builds the ``Rule`` struct from the names users write; the NumPy
reference (fastgd.reference) specifies each formula.

A rule updates ``n`` parameters ``p`` (float32 or float64) from a gradient
``g`` and up to three state slots ``s0``, ``s1`` and ``s2`` (float64, owned
by the caller so that training can resume).  The formulas are torch.optim's:

* SGD (momentum mu, dampening, nesterov): s0 the momentum buffer
* Adagrad (lr_decay, eps, initial_accumulator_value): s0 the sum of squares
* RMSprop (rho, eps, momentum, centered): s0 the square average, s1 the
  momentum buffer; centered keeps the gradient average in the next free
  slot, s1 without momentum and s2 with it
* Adam (beta1, beta2, eps, amsgrad): s0 and s1 the moment estimates, s2
  amsgrad's running maximum of s1
* AdamW as Adam, with decoupled weight decay

A caller's state is an array of ``rule_state_rows(r)`` rows of n values:
2 for every rule but the two that need the third slot (amsgrad; centered
with momentum), so that a (2, n) buffer serves every rule without those
options.  ``rule_step`` passes no third slot and so needs
``rule_state_rows(r) == 2``; ``rule_step3`` takes all three.  Rows a rule
does not use are neither read nor written, and a rule's slots start at zero:
Adagrad adds ``initial_accumulator_value`` to its sum at the first update,
as torch fills the sum with it when the optimizer is made.

``t`` is the 1-based number of the update being made (torch's ``step``).
``decay`` says whether ``weight_decay`` applies to these parameters: it never
applies to intercepts / biases, as the L2 penalty ``alpha`` never does.
"""
from cython cimport floating
from libc.math cimport sqrt, pow, floor

cdef enum:
    RULE_SGD = 0
    RULE_ADAGRAD = 1
    RULE_RMSPROP = 2
    RULE_ADAM = 3
    RULE_ADAMW = 4

cdef enum:
    SCHEDULE_CONSTANT = 0
    SCHEDULE_INVSCALING = 1
    SCHEDULE_STEP = 2
    SCHEDULE_EXPONENTIAL = 3
    SCHEDULE_OPTIMAL = 4

cdef struct Rule:
    int kind
    double momentum
    double dampening
    bint nesterov
    double beta1
    double beta2
    double eps
    double rho
    double weight_decay
    double lr_decay
    # the schedule of the learning rate over the update count t
    int schedule
    double lr
    double power_t
    double gamma
    double step_size
    double optimal_alpha
    double optimal_t0
    # torch.optim's variants, after the fields above so that their offsets
    # stay as they were for code compiled against them
    bint amsgrad                        # Adam, AdamW
    bint centered                       # RMSprop
    double initial_accumulator_value    # Adagrad, >= 0


cdef class UpdateRule:
    cdef Rule c


cdef inline double scheduled_lr(const Rule* r, double t) noexcept nogil:
    """The learning rate of update number t (1-based)."""
    if r.schedule == SCHEDULE_INVSCALING:
        return r.lr / pow(t, r.power_t)
    if r.schedule == SCHEDULE_STEP:
        return r.lr * pow(r.gamma, floor((t - 1.0) / r.step_size))
    if r.schedule == SCHEDULE_EXPONENTIAL:
        return r.lr * pow(r.gamma, t - 1.0)
    if r.schedule == SCHEDULE_OPTIMAL:
        # Bottou's rate 1 / (alpha (t0 + t)), as scikit-learn's 'optimal'
        return 1.0 / (r.optimal_alpha * (r.optimal_t0 + t - 1.0))
    return r.lr


cdef inline bint is_plain_sgd(const Rule* r) noexcept nogil:
    """True when the rule is a plain step: it then needs no state at all."""
    return r.kind == RULE_SGD and r.momentum == 0.0 and r.weight_decay == 0.0


cdef inline int rule_state_rows(const Rule* r) noexcept nogil:
    """The rows of state the rule reads and writes: 3 for Adam and AdamW
    with amsgrad and for centered RMSprop with momentum, else 2."""
    if r.kind == RULE_ADAM or r.kind == RULE_ADAMW:
        return 3 if r.amsgrad else 2
    if r.kind == RULE_RMSPROP and r.centered and r.momentum > 0.0:
        return 3
    return 2


cdef inline int rule_step3(const Rule* r, double lr, double t, floating* p,
                           const double* g, double* s0, double* s1, double* s2,
                           Py_ssize_t n, bint decay) noexcept nogil:
    """One update of p[0:n] by rule r with learning rate lr at update t,
    with up to three state slots (s2 may be NULL when
    ``rule_state_rows(r) == 2``).

    Returns 0, or -1 without touching p or the state when the rule needs
    the third slot and s2 is NULL.
    """
    cdef Py_ssize_t i
    cdef double gi, wd = r.weight_decay if decay else 0.0
    cdef double denom, step, bias2, v
    cdef double* grad_avg
    if s2 == NULL and rule_state_rows(r) > 2:
        return -1
    if r.kind == RULE_SGD:
        if r.momentum == 0.0:
            for i in range(n):
                p[i] = p[i] - lr * (g[i] + wd * p[i])
            return 0
        for i in range(n):
            gi = g[i] + wd * p[i]
            if t <= 1.0:
                s0[i] = gi          # torch starts the buffer at the first gradient
            else:
                s0[i] = r.momentum * s0[i] + (1.0 - r.dampening) * gi
            if r.nesterov:
                gi = gi + r.momentum * s0[i]
            else:
                gi = s0[i]
            p[i] = p[i] - lr * gi
    elif r.kind == RULE_ADAGRAD:
        step = lr / (1.0 + (t - 1.0) * r.lr_decay)
        for i in range(n):
            gi = g[i] + wd * p[i]
            if t <= 1.0:
                s0[i] += r.initial_accumulator_value
            s0[i] += gi * gi
            p[i] = p[i] - step * gi / (sqrt(s0[i]) + r.eps)
    elif r.kind == RULE_RMSPROP:
        grad_avg = s2 if r.momentum > 0.0 else s1
        for i in range(n):
            gi = g[i] + wd * p[i]
            s0[i] = r.rho * s0[i] + (1.0 - r.rho) * gi * gi
            if r.centered:
                grad_avg[i] = r.rho * grad_avg[i] + (1.0 - r.rho) * gi
                # the variance estimate; rounding can leave it just below 0,
                # where torch's root is NaN.  Only a negative one is raised
                # to 0: an overflowed one (inf - inf) stays NaN, as torch's
                # does, rather than leaving eps alone to divide the step
                v = s0[i] - grad_avg[i] * grad_avg[i]
                if v < 0.0:
                    v = 0.0
                denom = sqrt(v) + r.eps
            else:
                denom = sqrt(s0[i]) + r.eps
            if r.momentum > 0.0:
                s1[i] = r.momentum * s1[i] + gi / denom
                p[i] = p[i] - lr * s1[i]
            else:
                p[i] = p[i] - lr * gi / denom
    else:   # Adam and AdamW
        step = lr / (1.0 - pow(r.beta1, t))
        bias2 = sqrt(1.0 - pow(r.beta2, t))
        if r.kind == RULE_ADAMW:
            wd, gi = 0.0, (1.0 - lr * r.weight_decay) if decay else 1.0
            if gi != 1.0:
                for i in range(n):
                    p[i] = p[i] * gi
        for i in range(n):
            gi = g[i] + wd * p[i]
            s0[i] = r.beta1 * s0[i] + (1.0 - r.beta1) * gi
            s1[i] = r.beta2 * s1[i] + (1.0 - r.beta2) * gi * gi
            v = s1[i]
            if r.amsgrad:
                # the largest second moment so far divides the step
                if s2[i] > v:
                    v = s2[i]
                s2[i] = v
            p[i] = p[i] - step * s0[i] / (sqrt(v) / bias2 + r.eps)
    return 0


cdef inline void rule_step(const Rule* r, double lr, double t, floating* p,
                           const double* g, double* s0, double* s1,
                           Py_ssize_t n, bint decay) noexcept nogil:
    """One update of p[0:n] by rule r with learning rate lr at update t,
    for a rule with ``rule_state_rows(r) == 2``; with a rule that needs a
    third slot it changes nothing (call rule_step3)."""
    rule_step3(r, lr, t, p, g, s0, s1, NULL, n, decay)
