"""The compiled MLP kernels against the NumPy reference (per-sample
backpropagation), against finite differences, and at their boundary."""
import numpy as np
import pytest

from fastgd import mlp_kernels as mk
from fastgd.reference import mlp as ref
from fastgd.exceptions import DivergenceError
from fastgd.optim import make_rule

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")
OUTPUTS = ("identity", "logistic", "softmax")
HIDDEN = {1: (5,), 2: (4, 3), 3: (6, 5, 3)}


def problem(n, sizes, output, dtype=np.float64, seed=0):
    """Random X and encoded Y for a network of these sizes."""
    rng = np.random.default_rng(seed)
    d, K = sizes[0], sizes[-1]
    X = rng.normal(size=(n, d))
    if output == "softmax":
        Y = np.eye(K)[rng.integers(0, K, n)]
    elif output == "logistic":
        Y = (rng.random((n, K)) < 0.5).astype(float)
    else:
        Y = rng.normal(size=(n, K))
    return X.astype(dtype), Y.astype(dtype)


def weights(n, seed=1):
    return np.random.default_rng(seed).uniform(0.2, 2.0, size=n)


def assert_close32(actual, desired):
    """float32 kernel vs float64 reference: rtol 1e-4; entries that cancel to
    near zero are compared at 1e-6 of the largest entry's magnitude."""
    desired = np.asarray(desired, dtype=np.float64)
    np.testing.assert_allclose(actual, desired, rtol=1e-4, atol=1e-6 * np.abs(desired).max())


# --- loss and gradient -------------------------------------------------------

@pytest.mark.parametrize("depth", sorted(HIDDEN))
@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_loss_gradient_matches_reference(dtype, activation, output, depth):
    sizes = (4,) + HIDDEN[depth] + (3,)
    X, Y = problem(37, sizes, output, dtype)
    theta = mk.init_params(sizes, dtype, random_state=2)
    sw = weights(37)
    grad = np.empty(theta.size)
    J = mk.loss_gradient(X, Y, theta, grad, sizes, activation=activation, output=output,
                         alpha=0.1, sample_weight=sw)
    J_ref, grad_ref = ref.loss_gradient(X, Y, theta, sizes, activation, output, 0.1, sw)
    if dtype == np.float64:
        np.testing.assert_allclose(J, J_ref, rtol=1e-10)
        np.testing.assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-14)
    else:
        np.testing.assert_allclose(J, J_ref, rtol=1e-4)
        assert_close32(grad, grad_ref)


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_matches_finite_differences(activation, output):
    """The textbook's gradient check: ||num - grad|| / ||num + grad|| < 1e-9."""
    sizes = (3, 5, 4, 3)
    X, Y = problem(10, sizes, output)
    rng = np.random.default_rng(3)
    theta = mk.init_params(sizes, random_state=3)
    theta += 0.1 * rng.normal(size=theta.size)      # non-zero biases too
    sw = weights(10)
    kw = dict(activation=activation, output=output, alpha=0.3, sample_weight=sw)
    grad, scratch = np.empty(theta.size), np.empty(theta.size)
    mk.loss_gradient(X, Y, theta, grad, sizes, **kw)
    eps = 1e-5
    numeric = np.empty_like(theta)
    for j in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[j] += eps
        minus[j] -= eps
        numeric[j] = (mk.loss_gradient(X, Y, plus, scratch, sizes, **kw)
                      - mk.loss_gradient(X, Y, minus, scratch, sizes, **kw)) / (2 * eps)
    assert np.linalg.norm(numeric - grad) / np.linalg.norm(numeric + grad) < 1e-9


def test_loss_gradient_many_blocks():
    """More rows than one work block (256): blocks are summed, not lost."""
    sizes = (3, 6, 2)
    X, Y = problem(600, sizes, "softmax")
    theta = mk.init_params(sizes, random_state=4)
    grad = np.empty(theta.size)
    J = mk.loss_gradient(X, Y, theta, grad, sizes, activation="tanh", output="softmax")
    J_ref, grad_ref = ref.loss_gradient(X, Y, theta, sizes, "tanh", "softmax")
    np.testing.assert_allclose(J, J_ref, rtol=1e-10)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-14)


def test_integer_sample_weight_equals_repeated_rows():
    sizes = (3, 4, 2)
    X, Y = problem(8, sizes, "logistic")
    theta = mk.init_params(sizes, random_state=5)
    sw = np.ones(8)
    sw[[0, 5]] = 3.0
    rep = np.r_[np.arange(8), [0, 0, 5, 5]]
    g_w, g_rep = np.empty(theta.size), np.empty(theta.size)
    kw = dict(activation="sigmoid", output="logistic", alpha=0.2)
    J_w = mk.loss_gradient(X, Y, theta, g_w, sizes, sample_weight=sw, **kw)
    J_rep = mk.loss_gradient(X[rep], Y[rep], theta, g_rep, sizes, **kw)
    np.testing.assert_allclose(J_w, J_rep, rtol=1e-10)
    np.testing.assert_allclose(g_w, g_rep, rtol=1e-10, atol=1e-14)


def test_biases_are_not_penalized():
    sizes = (3, 4, 2)
    X, Y = problem(9, sizes, "identity")
    theta = mk.init_params(sizes, random_state=6)
    n_weights, _ = mk.count_params(sizes)
    theta[n_weights:] = 1.5
    g0, g1 = np.empty(theta.size), np.empty(theta.size)
    J0 = mk.loss_gradient(X, Y, theta, g0, sizes, activation="relu", alpha=0.0)
    J1 = mk.loss_gradient(X, Y, theta, g1, sizes, activation="relu", alpha=0.7)
    w = theta[:n_weights]
    np.testing.assert_allclose(J1 - J0, 0.35 * w @ w, rtol=1e-10)
    np.testing.assert_allclose(g1[:n_weights] - g0[:n_weights], 0.7 * w, rtol=1e-10, atol=1e-15)
    np.testing.assert_array_equal(g1[n_weights:], g0[n_weights:])


@pytest.mark.parametrize("output, loss", [("identity", "squared"), ("logistic", "logistic"),
                                          ("softmax", "softmax")])
def test_no_hidden_layer_is_the_linear_model(output, loss):
    """With no hidden layer the network is linear / logistic / softmax
    regression: compare with the linear models' reference (coef = W^T)."""
    from fastgd import reference
    K = 3 if output == "softmax" else 1
    sizes = (4, K)
    X, Y = problem(25, sizes, output)
    y = Y.argmax(axis=1) if output == "softmax" else Y[:, 0]
    theta = mk.init_params(sizes, random_state=18)
    theta[-K:] = np.linspace(-0.5, 0.5, K)
    coefs, intercepts = mk.unpack(theta, sizes)
    sw = weights(25)
    grad = np.empty(theta.size)
    J = mk.loss_gradient(X, Y, theta, grad, sizes, activation="relu", output=output,
                         alpha=0.2, sample_weight=sw)
    J_lin, gW, gb = reference.loss_gradient(X, y, coefs[0].T, intercepts[0], loss, 0.2, sw)
    np.testing.assert_allclose(J, J_lin, rtol=1e-10)
    np.testing.assert_allclose(grad, np.r_[gW.T.ravel(), gb], rtol=1e-10, atol=1e-15)


def test_logistic_is_an_alias_of_sigmoid():
    sizes = (3, 4, 2)
    X, _ = problem(7, sizes, "logistic")
    theta = mk.init_params(sizes, random_state=19)
    np.testing.assert_array_equal(
        mk.predict(X, theta, sizes, activation="logistic", output="logistic"),
        mk.predict(X, theta, sizes, activation="sigmoid", output="logistic"))


# --- predict -----------------------------------------------------------------

@pytest.mark.parametrize("depth", sorted(HIDDEN))
@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_predict_matches_reference(dtype, activation, output, depth):
    sizes = (4,) + HIDDEN[depth] + (3,)
    X, _ = problem(29, sizes, output, dtype)
    theta = mk.init_params(sizes, dtype, random_state=7)
    out = mk.predict(X, theta, sizes, activation=activation, output=output)
    expected = ref.predict(X, theta, sizes, activation, output)
    assert out.dtype == dtype and out.shape == (29, 3)
    if dtype == np.float64:
        np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-15)
    else:
        assert_close32(out, expected)


def test_predict_into_caller_buffer_and_many_blocks():
    sizes = (3, 5, 2)
    X, _ = problem(600, sizes, "softmax")
    theta = mk.init_params(sizes, random_state=8)
    out = np.full((600, 2), np.nan)
    returned = mk.predict(X, theta, sizes, activation="relu", output="softmax", out=out)
    assert returned is out
    np.testing.assert_allclose(out, ref.predict(X, theta, sizes, "relu", "softmax"), rtol=1e-10)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-12)


# --- epochs ------------------------------------------------------------------

@pytest.mark.parametrize("batch_size", [1, 7, 50])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("output", OUTPUTS)
def test_epoch_matches_reference(output, optimizer, batch_size):
    sizes = (4, 5, 3, 3)
    X, Y = problem(23, sizes, output)
    theta = mk.init_params(sizes, random_state=9)
    state = mk.init_state(theta)
    state[:] = np.random.default_rng(9).uniform(0, 0.01, size=state.shape)  # a resumed run
    order = np.random.default_rng(10).permutation(23)
    sw = weights(23)
    rule = make_rule(optimizer, 0.05)
    theta0, state0 = theta.copy(), state.copy()
    result = mk.epoch(X, Y, theta, sizes, activation="tanh", output=output, alpha=0.01,
                      batch_size=batch_size, rule=rule, order=order, sample_weight=sw,
                      state=state, t=4)
    objective, theta_ref, state_ref, t_ref = ref.epoch(
        X, Y, theta0, sizes, rule, "tanh", output, 0.01, batch_size, order, sw, state0, 4)
    assert result.t == t_ref == 4 + -(-23 // batch_size)
    np.testing.assert_allclose(result.objective, objective, rtol=1e-10)
    np.testing.assert_allclose(theta, theta_ref, rtol=1e-10, atol=1e-14)
    if optimizer == "adam":
        np.testing.assert_allclose(state, state_ref, rtol=1e-10, atol=1e-16)
    else:
        np.testing.assert_array_equal(state, state0)  # plain SGD keeps no state


# torch.optim's options that change a rule's formula; amsgrad and centered
# with momentum keep a third row of state
OPTION_RULES = [("adam", {"amsgrad": True, "weight_decay": 0.05}),
                ("adamw", {"amsgrad": True}),
                ("rmsprop", {"centered": True}),
                ("rmsprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.05}),
                ("adagrad", {"initial_accumulator_value": 0.3})]


@pytest.mark.parametrize("batch_size", [1, 7])
@pytest.mark.parametrize("optimizer, hyper", OPTION_RULES,
                         ids=[f"{o}-{'-'.join(h)}" for o, h in OPTION_RULES])
def test_epoch_rule_options_match_reference(optimizer, hyper, batch_size):
    sizes = (4, 5, 3)
    X, Y = problem(23, sizes, "softmax")
    theta = mk.init_params(sizes, random_state=9)
    rule = make_rule(optimizer, 0.02, **hyper)
    state = mk.init_state(theta, rule)
    assert state.shape == (rule.state_rows, theta.size)
    theta_ref, state_ref, t, t_ref = theta.copy(), state.copy(), 0, 0
    order = np.random.default_rng(10).permutation(23)
    for _ in range(2):      # the second epoch continues from the first's state
        result = mk.epoch(X, Y, theta, sizes, activation="tanh", output="softmax", alpha=0.01,
                          batch_size=batch_size, rule=rule, order=order, state=state, t=t)
        objective, theta_ref, state_ref, t_ref = ref.epoch(
            X, Y, theta_ref, sizes, rule, "tanh", "softmax", 0.01, batch_size, order, None,
            state_ref, t_ref)
        t = result.t
        assert t == t_ref
        np.testing.assert_allclose(result.objective, objective, rtol=1e-10)
        np.testing.assert_allclose(theta, theta_ref, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(state, state_ref, rtol=1e-10, atol=1e-16)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_epoch_batch_larger_than_a_block(dtype):
    """One 300-row batch runs through two work blocks; sequential rows."""
    sizes = (3, 4, 2)
    X, Y = problem(300, sizes, "logistic", dtype)
    theta = mk.init_params(sizes, dtype, random_state=11)
    rule = make_rule("momentum", 0.1)
    state = mk.init_state(theta)
    theta0 = theta.copy()
    result = mk.epoch(X, Y, theta, sizes, activation="relu", output="logistic",
                      batch_size=300, rule=rule, state=state)
    objective, theta_ref, state_ref, _ = ref.epoch(X, Y, theta0, sizes, rule, "relu",
                                                   "logistic", 0.0, 300)
    if dtype == np.float64:
        np.testing.assert_allclose(result.objective, objective, rtol=1e-10)
        np.testing.assert_allclose(theta, theta_ref, rtol=1e-10)
        np.testing.assert_allclose(state, state_ref, rtol=1e-10, atol=1e-16)
    else:
        np.testing.assert_allclose(result.objective, objective, rtol=1e-4)
        assert_close32(theta, theta_ref)


def test_epoch_float32_follows_reference():
    sizes = (4, 6, 3)
    X, Y = problem(40, sizes, "softmax", np.float32)
    theta = mk.init_params(sizes, np.float32, random_state=12)
    rule = make_rule("adam", 0.01)
    state = mk.init_state(theta)
    theta0 = theta.copy()
    result = mk.epoch(X, Y, theta, sizes, activation="sigmoid", output="softmax",
                      batch_size=8, rule=rule, state=state)
    objective, theta_ref, _, _ = ref.epoch(X, Y, theta0, sizes, rule, "sigmoid", "softmax",
                                           0.0, 8)
    assert theta.dtype == np.float32
    np.testing.assert_allclose(result.objective, objective, rtol=1e-4)
    assert_close32(theta, theta_ref)


def test_epoch_lr_table_overrides_schedule():
    sizes = (3, 4, 1)
    X, Y = problem(12, sizes, "identity")
    rule = make_rule("sgd", 0.5, "invscaling")
    table = np.linspace(0.01, 0.05, 4)
    theta = mk.init_params(sizes, random_state=13)
    theta0 = theta.copy()
    mk.epoch(X, Y, theta, sizes, activation="tanh", batch_size=3, rule=rule, lr_table=table)
    _, theta_ref, _, _ = ref.epoch(X, Y, theta0, sizes, rule, "tanh", "identity",
                                   batch_size=3, lr_table=table)
    np.testing.assert_allclose(theta, theta_ref, rtol=1e-10)


def test_full_batch_epochs_decrease_the_objective():
    sizes = (4, 8, 3)
    X, Y = problem(60, sizes, "softmax")
    theta = mk.init_params(sizes, random_state=14)
    grad = np.empty(theta.size)
    kw = dict(activation="relu", output="softmax", alpha=1e-3)
    before = mk.loss_gradient(X, Y, theta, grad, sizes, **kw)
    for _ in range(20):
        mk.epoch(X, Y, theta, sizes, batch_size=60, learning_rate=0.5, **kw)
    assert mk.loss_gradient(X, Y, theta, grad, sizes, **kw) < 0.9 * before


def test_epoch_divergence_raises_and_keeps_theta_finite():
    sizes = (3, 4, 1)
    X, Y = problem(20, sizes, "identity")
    X *= 1e3
    theta = mk.init_params(sizes, random_state=15)
    with pytest.raises(DivergenceError, match="non-finite"):
        for _ in range(50):
            mk.epoch(X, Y, theta, sizes, activation="identity", learning_rate=10.0)
    assert np.isfinite(theta).all()


# --- helpers -----------------------------------------------------------------

def test_count_params_and_unpack_views():
    sizes = (4, 5, 3)
    n_weights, n_params = mk.count_params(sizes)
    assert (n_weights, n_params) == (4 * 5 + 5 * 3, 4 * 5 + 5 * 3 + 5 + 3)
    theta = np.arange(n_params, dtype=np.float64)
    coefs, intercepts = mk.unpack(theta, sizes)
    assert [c.shape for c in coefs] == [(4, 5), (5, 3)]
    assert [b.shape for b in intercepts] == [(5,), (3,)]
    np.testing.assert_array_equal(coefs[1], np.arange(20, 35).reshape(5, 3))
    np.testing.assert_array_equal(intercepts[0], np.arange(35, 40))
    coefs[0][1, 2] = -1.0
    intercepts[1][0] = -2.0
    assert theta[1 * 5 + 2] == -1.0 and theta[40] == -2.0
    # the reference reads the same layout
    Ws, bs = ref._unpack(theta, sizes)
    for a, b in zip(coefs + intercepts, Ws + bs):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_init_params(dtype):
    sizes = (30, 20, 4)
    theta = mk.init_params(sizes, dtype, random_state=0)
    assert theta.dtype == dtype and theta.flags.c_contiguous
    coefs, intercepts = mk.unpack(theta, sizes)
    for W, (n_in, n_out) in zip(coefs, [(30, 20), (20, 4)]):
        bound = np.sqrt(6.0 / (n_in + n_out))
        assert np.abs(W).max() <= bound and np.abs(W).max() > 0.8 * bound
        assert abs(W.mean()) < 0.2 * bound           # symmetric around 0
    assert all((b == 0).all() for b in intercepts)
    np.testing.assert_array_equal(theta, mk.init_params(sizes, dtype, random_state=0))
    assert not np.array_equal(theta, mk.init_params(sizes, dtype, random_state=1))
    rs = np.random.RandomState(0)
    assert mk.init_params(sizes, dtype, random_state=rs).shape == theta.shape


def test_inputs_never_modified_and_read_only_accepted():
    sizes = (3, 4, 2)
    X, Y = problem(15, sizes, "softmax")
    theta = mk.init_params(sizes, random_state=16)
    X_copy, Y_copy, theta_copy = X.copy(), Y.copy(), theta.copy()
    for a in (X, Y, theta):
        a.flags.writeable = False
    kw = dict(activation="tanh", output="softmax")
    grad = np.empty(theta.size)
    mk.loss_gradient(X, Y, theta, grad, sizes, **kw)
    mk.predict(X, theta, sizes, **kw)
    trained = theta.copy()
    mk.epoch(X, Y, trained, sizes, batch_size=4, order=np.arange(15)[::-1], **kw)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(Y, Y_copy)
    np.testing.assert_array_equal(theta, theta_copy)
    assert not np.array_equal(trained, theta)


def test_non_contiguous_and_integer_X():
    sizes = (3, 4, 1)
    X, Y = problem(10, sizes, "identity")
    theta = mk.init_params(sizes, random_state=17)
    expected = mk.predict(X, theta, sizes, activation="relu")
    np.testing.assert_allclose(mk.predict(np.asfortranarray(X), theta, sizes, activation="relu"),
                               expected, rtol=1e-15)
    Xi = np.arange(30).reshape(10, 3) % 4
    np.testing.assert_allclose(mk.predict(Xi, theta, sizes, activation="relu"),
                               ref.predict(Xi, theta, sizes, "relu", "identity"), rtol=1e-10)


def _bad_calls():
    sizes = (3, 4, 2)
    X, Y = problem(6, sizes, "softmax")
    theta = mk.init_params(sizes, random_state=0)
    grad = np.empty(theta.size)
    kw = dict(activation="relu", output="softmax")

    def lg(**over):
        args = dict(X=X, Y=Y, theta=theta, grad=grad, layer_sizes=sizes, **kw)
        args.update(over)
        return lambda: mk.loss_gradient(args.pop("X"), args.pop("Y"), args.pop("theta"),
                                        args.pop("grad"), args.pop("layer_sizes"), **args)

    def ep(**over):
        args = dict(X=X, Y=Y, theta=theta.copy(), layer_sizes=sizes, **kw)
        args.update(over)
        return lambda: mk.epoch(args.pop("X"), args.pop("Y"), args.pop("theta"),
                                args.pop("layer_sizes"), **args)

    return [
        (lg(activation="softplus"), ValueError, "activation"),
        (lg(output="sigmoid"), ValueError, "output"),
        (lg(layer_sizes=(3,)), ValueError, "layer_sizes"),
        (lg(layer_sizes=(3, 0, 2)), ValueError, "layer_sizes"),
        (lg(layer_sizes=(3, 4.0, 2)), TypeError, "layer_sizes"),
        (lg(layer_sizes="342"), TypeError, "layer_sizes"),
        (lg(layer_sizes=(5, 4, 2)), ValueError, "layer_sizes"),
        (lg(X=X[:, :2]), ValueError, "layer_sizes"),
        (lg(X=np.where(X > 1, np.nan, X)), ValueError, "X"),
        (lg(Y=Y[:5]), ValueError, "Y"),
        (lg(Y=Y[:, :1]), ValueError, "Y"),
        (lg(Y=2 * Y), ValueError, "Y"),
        (lg(Y=Y[:, ::-1] * 0.5), ValueError, "Y"),
        (lg(output="logistic", Y=Y - 0.5), ValueError, "Y"),
        (lg(output="softmax", layer_sizes=(3, 4, 1), Y=Y[:, :1],
            theta=mk.init_params((3, 4, 1))), ValueError, "softmax"),
        (lg(theta=theta[:-1]), ValueError, "theta"),
        (lg(theta=theta.astype(np.float32)), TypeError, "theta"),
        (lg(theta=list(theta)), TypeError, "theta"),
        (lg(grad=np.empty(theta.size, np.float32)), TypeError, "grad"),
        (lg(grad=np.empty(theta.size + 1)), ValueError, "grad"),
        (lg(grad=np.empty(2 * theta.size)[::2]), ValueError, "grad"),
        (lg(alpha=-1.0), ValueError, "alpha"),
        (lg(sample_weight=-np.ones(6)), ValueError, "sample_weight"),
        (lg(sample_weight=np.ones(5)), ValueError, "sample_weight"),
        (ep(batch_size=0), ValueError, "batch_size"),
        (ep(batch_size=2.0), TypeError, "batch_size"),
        (ep(order=np.array([0, 6])), ValueError, "order"),
        (ep(order=np.array([-1, 0])), ValueError, "order"),
        (ep(order=np.array([0.0, 1.0])), TypeError, "order"),
        (ep(rule="adam"), TypeError, "rule"),
        (ep(rule=make_rule("adam", 0.01)), ValueError, "state"),
        (ep(rule=make_rule("adam", 0.01), state=np.zeros((2, 3))), ValueError, "state"),
        # amsgrad keeps a third row: a (2, n) state is refused before any step
        (ep(rule=make_rule("adam", 0.01, amsgrad=True), state=mk.init_state(theta)),
         ValueError, "state must have 3 rows"),
        (ep(rule=make_rule("rmsprop", 0.01, centered=True, momentum=0.5),
            state=mk.init_state(theta)), ValueError, "state must have 3 rows"),
        (ep(rule=make_rule("adam", 0.01), state=np.zeros((3, theta.size))), ValueError,
         "state must have 2 rows"),
        (lambda: mk.init_state(theta, rule="adam"), TypeError, "rule"),
        (ep(lr_table=np.ones(2)), ValueError, "lr_table"),
        (ep(lr_table=-np.ones(6)), ValueError, "lr_table"),
        (ep(t=-1), ValueError, "t"),
        (ep(theta=_read_only(theta)), ValueError, "writeable"),
        (lambda: mk.predict(X, theta, sizes, out=np.empty((6, 2), np.float32), **kw),
         TypeError, "out"),
        (lambda: mk.predict(X, theta, sizes, out=np.empty((6, 3)), **kw), ValueError, "out"),
        (lambda: mk.predict(X[:, :2], theta, sizes, **kw), ValueError, "layer_sizes"),
        (lambda: mk.unpack(theta[:-1], sizes), ValueError, "theta"),
        (lambda: mk.unpack(np.empty(2 * theta.size)[::2], sizes), ValueError, "theta"),
        (lambda: mk.init_params(sizes, np.int64), TypeError, "dtype"),
        (lambda: mk.init_params(sizes, random_state="seed"), TypeError, "random_state"),
    ]


def _read_only(theta):
    theta = theta.copy()
    theta.flags.writeable = False
    return theta


@pytest.mark.parametrize("index", range(len(_bad_calls())))
def test_bad_input_names_the_argument(index):
    call, exc, match = _bad_calls()[index]
    with pytest.raises(exc, match=match):
        call()


def test_sparse_X_is_refused():
    sp = pytest.importorskip("scipy.sparse")
    sizes = (3, 4, 1)
    X, _ = problem(5, sizes, "identity")
    with pytest.raises(TypeError, match="X"):
        mk.predict(sp.csr_matrix(X), mk.init_params(sizes), sizes)
