# cython: language_level=3
"""Compiled forward and backward passes of the multilayer perceptron.

Layers: the estimators (fastgd.neural_network) run the fit loop, which calls
:mod:`fastgd.kernels.mlp`; that validates shapes, dtypes, sizes and index
ranges and calls the functions here, which trust their input.  The NumPy
reference (fastgd.reference) specifies what each computes.

The network has layers l = 0..L with n_l units; a^(0) = x,
z^(l) = a^(l-1) W_l + b_l, a^(l) = g(z^(l)) for the hidden layers and the
output function h for the last (identity, logistic or softmax, each the
canonical link of its loss, so the output error is a^(L) - y for all three).

All parameters live in ONE flat buffer ``theta`` in the data's dtype: the
weight matrices first, in layer order, each row-major (n_{l-1}, n_l) as
scikit-learn's ``coefs_[l]``, then all the biases.  The L2-penalized weights
are thus the prefix ``theta[:n_weights]`` and an update rule runs over two
contiguous segments (decay on the prefix, none on the biases).

Rows are processed in blocks of at most ``MAX_BLOCK_ROWS`` rows, so the work
buffers (activations and errors of one block, allocated once per call) stay
small whatever the size of X or of a batch.  Matrix products are BLAS gemm in
the data's dtype (sgemm for float32: the products of one block are float32
sums of at most max(n_l, MAX_BLOCK_ROWS) terms); everything that is summed
across blocks, the loss and the gradient, is accumulated in double.
"""
import numpy as np

from cython cimport floating
from libc.math cimport exp, log, tanh, isfinite
from libc.stdlib cimport malloc, free
from libc.string cimport memset, memcpy
from scipy.linalg.cython_blas cimport dgemm, sgemm

from fastgd.kernels.loss cimport sigmoid, log1pexp, softmax
from fastgd.kernels._numeric cimport all_finite
from fastgd.kernels cimport _status
from fastgd.kernels._signals cimport SignalWatch, interrupted, start_watch
from fastgd.kernels.rules cimport (Rule, UpdateRule, is_plain_sgd, rule_state_rows,
                                   rule_step3, scheduled_lr)

cdef extern from "csrc/sigmoid_layer.h":
    void fastgd_sigmoid_bias_d(double* z, const double* b, Py_ssize_t rows,
                               Py_ssize_t cols) noexcept nogil
    void fastgd_sigmoid_bias_f(float* z, const float* b, Py_ssize_t rows,
                               Py_ssize_t cols) noexcept nogil

cdef enum:
    ACT_IDENTITY = 0
    ACT_SIGMOID = 1
    ACT_TANH = 2
    ACT_RELU = 3

cdef enum:
    OUT_IDENTITY = 0    # loss 0.5 ||h - y||^2 (regression)
    OUT_LOGISTIC = 1    # K sigmoid outputs, loss sum_k -[y log h + (1-y) log(1-h)]
    OUT_SOFTMAX = 2     # loss -sum_k y_k log softmax(z)_k (one-hot y: -log p_y)

# The codes the public face maps names to (one home for the numbering).
ACTIVATIONS = {"identity": ACT_IDENTITY, "sigmoid": ACT_SIGMOID,
               "tanh": ACT_TANH, "relu": ACT_RELU}
OUTPUTS = {"identity": OUT_IDENTITY, "logistic": OUT_LOGISTIC,
           "softmax": OUT_SOFTMAX}

cdef enum:
    # Rows per block: enough for gemm to run near peak, small enough that the
    # work buffers of a wide network stay in cache.
    MAX_BLOCK_ROWS = 256

# For fastgd.kernels.mlp, which bounds the work buffers' size before any call here.
BLOCK_ROWS = MAX_BLOCK_ROWS

# The status codes epoch returns (_status.pxd), as Python ints.
STATUS_OK = _status.STATUS_OK
STATUS_NONFINITE = _status.STATUS_NONFINITE
STATUS_OVERFLOW = _status.STATUS_OVERFLOW


cdef struct Net:
    Py_ssize_t L                # number of weight layers
    const Py_ssize_t* size      # n_0 .. n_L
    const Py_ssize_t* w_off     # [l]: offset of W_l in theta (l = 1..L)
    const Py_ssize_t* b_off     # [l]: offset of b_l in theta
    const Py_ssize_t* units_before  # [l]: units of layers 1..l-1: where layer l
                                    #   starts in a work buffer (its rows times this)
    Py_ssize_t units            # units of layers 1..L
    Py_ssize_t max_fan          # largest n_{l-1} n_l (the float32 gradient buffer)
    Py_ssize_t n_weights
    Py_ssize_t n_params
    Py_ssize_t block_rows       # rows of the work buffers
    int activation
    int output


def layout(const Py_ssize_t[::1] layer_sizes):
    """(4, L + 1) intp array: the layer sizes and, for l = 1..L, the offsets
    of W_l and b_l in theta and of layer l in the work buffers; then
    (n_weights, n_params)."""
    cdef Py_ssize_t L = layer_sizes.shape[0] - 1, l, nw = 0, nb = 0, units = 0
    out = np.zeros((4, L + 1), dtype=np.intp)
    cdef Py_ssize_t[:, ::1] o = out
    for l in range(L + 1):
        o[0, l] = layer_sizes[l]
    for l in range(1, L + 1):
        o[1, l] = nw
        nw += layer_sizes[l - 1] * layer_sizes[l]
        o[3, l] = units
        units += layer_sizes[l]
    for l in range(1, L + 1):
        o[2, l] = nw + nb
        nb += layer_sizes[l]
    return out, nw, nw + nb


cdef object make_net(Net* net, const Py_ssize_t[::1] layer_sizes, int activation,
                     int output, Py_ssize_t block_rows):
    """Fill net from layer_sizes; returns the array its pointers point into
    (the caller keeps it alive for as long as net is used)."""
    arr, nw, npar = layout(layer_sizes)
    cdef Py_ssize_t[:, ::1] o = arr
    cdef Py_ssize_t l
    net.L = layer_sizes.shape[0] - 1
    net.size = &o[0, 0]
    net.w_off = &o[1, 0]
    net.b_off = &o[2, 0]
    net.units_before = &o[3, 0]
    net.units = 0
    net.max_fan = 0
    for l in range(1, net.L + 1):
        net.units += layer_sizes[l]
        net.max_fan = max(net.max_fan, layer_sizes[l - 1] * layer_sizes[l])
    net.n_weights = nw
    net.n_params = npar
    net.block_rows = block_rows
    net.activation = activation
    net.output = output
    return arr


# --- row-major products through column-major BLAS --------------------------
# A row-major (r, c) matrix is, to Fortran, the column-major (c, r) matrix
# of its transpose; so row-major C = A B is computed as column-major
# C^T = B^T A^T, i.e. gemm with the operands swapped.

cdef inline void gemm(char ta, char tb, int m, int n, int k, floating alpha,
                      const floating* a, int lda, const floating* b, int ldb,
                      floating beta, floating* c, int ldc) noexcept nogil:
    if floating is float:
        sgemm(&ta, &tb, &m, &n, &k, &alpha, <float*>a, &lda, <float*>b, &ldb,
              &beta, c, &ldc)
    else:
        dgemm(&ta, &tb, &m, &n, &k, &alpha, <double*>a, &lda, <double*>b, &ldb,
              &beta, c, &ldc)


cdef inline void mm(Py_ssize_t M, Py_ssize_t N, Py_ssize_t K, const floating* A,
                    const floating* B, floating* C) noexcept nogil:
    """C (M, N) = A (M, K) @ B (K, N), all row-major."""
    gemm(c'N', c'N', <int>N, <int>M, <int>K, 1.0, B, <int>N, A, <int>K, 0.0, C, <int>N)


cdef inline void mm_bt(Py_ssize_t M, Py_ssize_t N, Py_ssize_t K, const floating* A,
                       const floating* B, floating* C) noexcept nogil:
    """C (M, N) = A (M, K) @ B^T, B row-major (N, K)."""
    gemm(c'T', c'N', <int>N, <int>M, <int>K, 1.0, B, <int>K, A, <int>K, 0.0, C, <int>N)


cdef inline void mm_at(Py_ssize_t M, Py_ssize_t N, Py_ssize_t K, floating alpha,
                       const floating* A, const floating* B, floating beta,
                       floating* C) noexcept nogil:
    """C (M, N) = alpha A^T @ B + beta C, A row-major (K, M), B row-major (K, N)."""
    gemm(c'N', c'T', <int>N, <int>M, <int>K, alpha, B, <int>N, A, <int>M, beta, C, <int>N)


# --- activations ------------------------------------------------------------

cdef inline double activate(int g, double z) noexcept nogil:
    if g == ACT_SIGMOID:
        return sigmoid(z)
    if g == ACT_TANH:
        return tanh(z)
    if g == ACT_RELU:
        return z if z > 0.0 else 0.0
    return z


cdef inline double derivative(int g, double a) noexcept nogil:
    """g'(z) written with a = g(z), which the forward pass kept."""
    if g == ACT_SIGMOID:
        return a * (1.0 - a)
    if g == ACT_TANH:
        return 1.0 - a * a
    if g == ACT_RELU:
        return 1.0 if a > 0.0 else 0.0
    return 1.0


cdef inline floating* layer(const Net* net, floating* buf, Py_ssize_t l) noexcept nogil:
    """Rows of layer l (1..L) in a work buffer of net.block_rows rows."""
    return buf + net.block_rows * net.units_before[l]


cdef void forward(const Net* net, const floating* theta, const floating* X0,
                  Py_ssize_t m, floating* A) noexcept nogil:
    """Activations of the m rows X0 into A; the last layer gets z^(L), the
    output function being applied by the caller (loss or prediction)."""
    cdef Py_ssize_t l, i, j, n_in, n_out
    cdef const floating* prev = X0
    cdef const floating* b
    cdef floating* cur
    for l in range(1, net.L + 1):
        n_in, n_out = net.size[l - 1], net.size[l]
        cur = layer(net, A, l)
        mm(m, n_out, n_in, prev, theta + net.w_off[l], cur)
        b = theta + net.b_off[l]
        if l < net.L and net.activation == ACT_SIGMOID:
            # the textbook's activation, four lanes at a time (sigmoid_layer.h)
            if floating is double:
                fastgd_sigmoid_bias_d(cur, b, m, n_out)
            else:
                fastgd_sigmoid_bias_f(cur, b, m, n_out)
        elif l < net.L and net.activation != ACT_IDENTITY:
            for i in range(m):
                for j in range(n_out):
                    cur[i * n_out + j] = <floating>activate(
                        net.activation, <double>cur[i * n_out + j] + b[j])
        else:
            for i in range(m):
                for j in range(n_out):
                    cur[i * n_out + j] = cur[i * n_out + j] + b[j]
        prev = cur


cdef double output_error(int output, const floating* z, const floating* y,
                         Py_ssize_t K, double s, floating* delta) noexcept nogil:
    """Loss of one row with output pre-activations z[0:K] and targets y;
    writes s (h(z) - y), the weighted output error, into delta."""
    cdef Py_ssize_t k
    cdef double zk, lse, loss = 0.0
    if output == OUT_IDENTITY:
        for k in range(K):
            zk = <double>z[k] - y[k]
            loss += 0.5 * zk * zk
            delta[k] = <floating>(s * zk)
        return loss
    if output == OUT_LOGISTIC:
        for k in range(K):
            zk = z[k]
            # -[y log s(z) + (1 - y) log(1 - s(z))] = log(1 + e^z) - y z
            loss += log1pexp(zk) - y[k] * zk
            delta[k] = <floating>(s * (sigmoid(zk) - y[k]))
        return loss
    lse = softmax(z, K, delta)
    for k in range(K):
        # -y_k log p_k, with log p_k = z_k - lse
        if y[k] != 0.0:
            loss += y[k] * (lse - z[k])
        delta[k] = <floating>(s * (delta[k] - y[k]))
    return loss


cdef double forward_errors(const Net* net, const floating* theta, const floating* X0,
                           const floating* Y, const Py_ssize_t* order, Py_ssize_t lo,
                           Py_ssize_t hi, const floating* sw, floating* A, floating* D,
                           double* weight_sum) noexcept nogil:
    """Forward the block of rows at positions lo:hi (X0 holds them, in that
    order) and put each row's weighted output error in layer L of D; return
    sum_i s_i L_i and add sum_i s_i to weight_sum.  Row p's target and weight
    are those of sample order[p] (sample p when order is NULL)."""
    cdef Py_ssize_t p, i, K = net.size[net.L]
    cdef floating* out
    cdef floating* err = layer(net, D, net.L)
    cdef double s, loss_sum = 0.0
    forward(net, theta, X0, hi - lo, A)
    out = layer(net, A, net.L)
    for p in range(lo, hi):
        i = order[p] if order != NULL else p
        s = sw[i] if sw != NULL else 1.0
        loss_sum += s * output_error(net.output, out + (p - lo) * K, Y + i * K, K, s,
                                     err + (p - lo) * K)
        weight_sum[0] += s
    return loss_sum


cdef void output_function(int output, const floating* z, Py_ssize_t K,
                          floating* h) noexcept nogil:
    """h = the output function of z (one row of K outputs)."""
    cdef Py_ssize_t k
    if output == OUT_IDENTITY:
        for k in range(K):
            h[k] = z[k]
    elif output == OUT_LOGISTIC:
        for k in range(K):
            h[k] = <floating>sigmoid(z[k])
    else:
        softmax(z, K, h)


cdef void backward(const Net* net, floating* theta, const floating* X0,
                   Py_ssize_t m, const floating* A, floating* D, double* grad,
                   floating* gwork, double step, double shrink) noexcept nogil:
    """Backpropagate the output errors already in layer L of D over m rows.

    With step = 0, add sum_i a^(l-1)_i^T delta^(l)_i and sum_i delta^(l)_i
    into grad.  With step > 0 (plain SGD on a batch of one block), take the
    step itself instead: W_l <- shrink W_l - step a^T delta (one gemm, beta =
    shrink = 1 - eta alpha, alpha = -step = -eta / m) and b_l <- b_l - step
    sum delta, with no gradient buffer to clear, fill and read back.  Each
    layer's error is propagated down through W_l before W_l changes.
    """
    cdef Py_ssize_t l, i, j, n_in, n_out
    cdef const floating* a_prev
    cdef floating* d_cur
    cdef floating* d_prev
    cdef double* gb
    cdef double bias_sum
    for l in range(net.L, 0, -1):
        n_in, n_out = net.size[l - 1], net.size[l]
        d_cur = layer(net, D, l)
        a_prev = X0 if l == 1 else layer(net, <floating*>A, l - 1)
        if l > 1:
            # delta^(l-1) = (delta^(l) W_l^T) * g'(z^(l-1)), with W_l as it
            # was before this step
            d_prev = layer(net, D, l - 1)
            mm_bt(m, n_in, n_out, d_cur, theta + net.w_off[l], d_prev)
            if net.activation != ACT_IDENTITY:
                for j in range(m * n_in):
                    d_prev[j] = <floating>(d_prev[j] * derivative(net.activation, a_prev[j]))
        if step > 0.0:
            mm_at(n_in, n_out, m, <floating>(-step), a_prev, d_cur, <floating>shrink,
                  theta + net.w_off[l])
            for j in range(n_out):
                bias_sum = 0.0
                for i in range(m):
                    bias_sum += d_cur[i * n_out + j]
                theta[net.b_off[l] + j] = <floating>(theta[net.b_off[l] + j] - step * bias_sum)
            continue
        if floating is double:
            # float64: gemm accumulates straight into the gradient
            mm_at(n_in, n_out, m, 1.0, a_prev, d_cur, 1.0, grad + net.w_off[l])
        else:
            # float32: the block's product in float32, summed into double
            mm_at(n_in, n_out, m, 1.0, a_prev, d_cur, 0.0, gwork)
            for j in range(n_in * n_out):
                grad[net.w_off[l] + j] += gwork[j]
        gb = grad + net.b_off[l]
        for i in range(m):
            for j in range(n_out):
                gb[j] += d_cur[i * n_out + j]


def loss_gradient(const floating[:, ::1] X, const floating[:, ::1] Y,
                  const floating[::1] theta, double[::1] grad,
                  const Py_ssize_t[::1] layer_sizes, int activation, int output,
                  double alpha, const floating[::1] sample_weight):
    """Objective J = sum_i s_i L_i / sum_i s_i + alpha / 2 sum_l ||W_l||^2 and
    its gradient (into grad, float64, the layout of theta), over all rows in
    blocks of MAX_BLOCK_ROWS rows."""
    cdef Net net
    cdef Py_ssize_t n = X.shape[0], K = Y.shape[1]
    cdef Py_ssize_t lo, hi, j, block_rows = min(n, MAX_BLOCK_ROWS)
    net_layout = make_net(&net, layer_sizes, activation, output, block_rows)
    cdef const floating* th = &theta[0]
    cdef const floating* sw = &sample_weight[0] if sample_weight is not None else NULL
    cdef floating* A = <floating*> malloc((2 * block_rows * net.units + net.max_fan) * sizeof(floating))
    cdef floating* D = A + block_rows * net.units
    cdef floating* gwork = D + block_rows * net.units
    cdef double loss_sum = 0.0, weights = 0.0, penalty = 0.0
    cdef SignalWatch watch
    cdef bint stopped = False
    if A == NULL:
        raise MemoryError()
    start_watch(&watch)
    with nogil:
        memset(&grad[0], 0, net.n_params * sizeof(double))
        lo = 0
        while lo < n:
            if interrupted(&watch):
                stopped = True
                break
            hi = min(lo + block_rows, n)
            loss_sum += forward_errors(&net, th, &X[lo, 0], &Y[0, 0], NULL, lo, hi,
                                       sw, A, D, &weights)
            backward(&net, <floating*>th, &X[lo, 0], hi - lo, A, D, &grad[0], gwork, 0.0, 1.0)
            lo = hi
        for j in range(net.n_weights):
            grad[j] = grad[j] / weights + alpha * th[j]
            penalty += <double>th[j] * th[j]
        for j in range(net.n_weights, net.n_params):
            grad[j] /= weights
    free(A)
    if stopped:
        raise KeyboardInterrupt
    return loss_sum / weights + 0.5 * alpha * penalty


def epoch(const floating[:, ::1] X, const floating[:, ::1] Y, floating[::1] theta,
          const Py_ssize_t[::1] order, Py_ssize_t batch_size,
          const Py_ssize_t[::1] layer_sizes, int activation, int output,
          double alpha, UpdateRule rule, double[:, ::1] state, long t,
          const double[::1] lr_table, const floating[::1] sample_weight):
    """One pass over the rows (in ``order``, or sequentially when it is None)
    in steps of ``batch_size`` rows; returns (loss_sum, weight_sum, t, status).

    A step moves theta by the rule along the gradient of the batch's
    sum_i s_i L_i / m (m rows) plus alpha W; the rule decays the weights
    (the prefix of theta) and not the biases.  STATUS_NONFINITE: a loss or
    a gradient became non-finite; theta is then as it was before that step.
    STATUS_OVERFLOW: a plain-SGD step (taken inside backward, unchecked) left
    non-finite parameters.
    """
    cdef Net net
    cdef Py_ssize_t n = order.shape[0] if order is not None else X.shape[0]
    cdef Py_ssize_t d = X.shape[1], K = Y.shape[1]
    cdef Py_ssize_t p, q, hi, r, i, j, m, step_no = 0, block_rows = min(min(batch_size, n), MAX_BLOCK_ROWS)
    net_layout = make_net(&net, layer_sizes, activation, output, block_rows)
    cdef Py_ssize_t nw = net.n_weights, nb = net.n_params - net.n_weights
    cdef const Py_ssize_t* order_p = &order[0] if order is not None else NULL
    cdef const double* table = &lr_table[0] if lr_table is not None else NULL
    cdef const floating* sw = &sample_weight[0] if sample_weight is not None else NULL
    cdef double* s0 = &state[0, 0] if state is not None else NULL
    cdef double* s1 = &state[1, 0] if state is not None else NULL
    cdef double* s2 = &state[2, 0] if state is not None and state.shape[0] > 2 else NULL
    cdef floating* th = &theta[0]
    cdef const Rule* rp = &rule.c
    if state is not None and state.shape[0] < rule_state_rows(rp):
        raise ValueError(f"state must have the rule's {rule_state_rows(rp)} rows, "
                         f"got {state.shape[0]}")
    cdef floating* A = <floating*> malloc(
        (2 * block_rows * net.units + net.max_fan + (block_rows * d if order_p != NULL else 0)) * sizeof(floating))
    cdef floating* D = A + block_rows * net.units
    cdef floating* gwork = D + block_rows * net.units
    cdef floating* Xbuf = gwork + net.max_fan
    cdef const floating* X0
    cdef double* grad = <double*> malloc(net.n_params * sizeof(double))
    cdef double eta, batch_loss, batch_weights, loss_sum = 0.0, weights = 0.0
    cdef int status = _status.STATUS_OK
    cdef bint plain = is_plain_sgd(rp), direct
    cdef SignalWatch watch
    cdef bint stopped = False
    if A == NULL or grad == NULL:
        free(A)
        free(grad)
        raise MemoryError()
    start_watch(&watch)
    with nogil:
        p = 0
        while p < n:
            if interrupted(&watch):
                stopped = True
                break
            hi = min(p + batch_size, n)
            # plain SGD on a batch of one block steps inside backward
            direct = plain and hi - p <= block_rows
            if not direct:
                memset(grad, 0, net.n_params * sizeof(double))
            batch_loss = 0.0
            batch_weights = 0.0
            # a batch larger than the work buffers is done in blocks of block_rows rows
            q = p
            while q < hi:
                r = min(q + block_rows, hi)
                if order_p != NULL:
                    for i in range(q, r):
                        memcpy(Xbuf + (i - q) * d, &X[order_p[i], 0], d * sizeof(floating))
                    X0 = Xbuf
                else:
                    X0 = &X[q, 0]
                batch_loss += forward_errors(&net, th, X0, &Y[0, 0], order_p, q, r,
                                             sw, A, D, &batch_weights)
                if direct:
                    if not isfinite(batch_loss):
                        status = _status.STATUS_NONFINITE
                        break
                    t += 1
                    eta = table[step_no] if table != NULL else scheduled_lr(rp, t)
                    step_no += 1
                    backward(&net, th, X0, r - q, A, D, grad, gwork,
                             eta / (r - q), 1.0 - eta * alpha)
                else:
                    backward(&net, th, X0, r - q, A, D, grad, gwork, 0.0, 1.0)
                q = r
            if status != _status.STATUS_OK:
                break
            if direct:
                loss_sum += batch_loss
                weights += batch_weights
                p = hi
                continue
            # inf or nan anywhere in the gradient makes this sum non-finite
            if not (isfinite(batch_loss) and all_finite(grad, net.n_params)):
                status = _status.STATUS_NONFINITE
                break
            loss_sum += batch_loss
            weights += batch_weights
            m = hi - p
            for j in range(nw):
                grad[j] = grad[j] / m + alpha * th[j]
            for j in range(nw, net.n_params):
                grad[j] /= m
            t += 1
            eta = table[step_no] if table != NULL else scheduled_lr(rp, t)
            step_no += 1
            rule_step3(rp, eta, t, th, grad, s0, s1, s2, nw, True)
            rule_step3(rp, eta, t, th + nw, grad + nw,
                       s0 + nw if s0 != NULL else NULL,
                       s1 + nw if s1 != NULL else NULL,
                       s2 + nw if s2 != NULL else NULL, nb, False)
            p = hi
        # a direct step is not checked before it is taken: an update that
        # overflowed shows here (or in a later batch's loss)
        if status == _status.STATUS_OK and not all_finite(th, net.n_params):
            status = _status.STATUS_OVERFLOW
    free(A)
    free(grad)
    if stopped:
        raise KeyboardInterrupt
    return loss_sum, weights, t, status


def predict(const floating[:, ::1] X, const floating[::1] theta,
            const Py_ssize_t[::1] layer_sizes, int activation, int output,
            floating[:, ::1] out):
    """Forward pass of all rows: h(x) into out (n, K), in blocks of MAX_BLOCK_ROWS rows."""
    cdef Net net
    cdef Py_ssize_t n = X.shape[0], K = out.shape[1]
    cdef Py_ssize_t lo, hi, i, block_rows = min(n, MAX_BLOCK_ROWS)
    net_layout = make_net(&net, layer_sizes, activation, output, block_rows)
    cdef floating* A = <floating*> malloc(block_rows * net.units * sizeof(floating))
    cdef floating* z
    if A == NULL:
        raise MemoryError()
    with nogil:
        lo = 0
        while lo < n:
            hi = min(lo + block_rows, n)
            forward(&net, &theta[0], &X[lo, 0], hi - lo, A)
            z = layer(&net, A, net.L)
            for i in range(lo, hi):
                output_function(output, z + (i - lo) * K, K, &out[i, 0])
            lo = hi
    free(A)
