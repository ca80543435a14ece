"""Bad input to the estimators and the linear kernels: a named error before
any compiled loop runs, the model and the inputs left as they were.

Each case here once reached the unchecked loops: a segfault, a write
outside a caller's buffer, or a silently wrong result (found by an audit of
the public API; the reproducers became these tests).
"""
import numbers
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp

from fastgd import (LinearRegression, LogisticRegression, MLPClassifier, MLPRegressor,
                    SoftmaxRegression, kernels, minimize)
from fastgd.optim import UpdateRule
from fastgd._validation import check_array, check_scalar

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 3))
Y_REG = X @ np.array([1.0, -2.0, 0.5])
Y_CLS = (X[:, 0] > 0).astype(int)
Y_MULTI = np.arange(40) % 3

ESTIMATORS = [
    (lambda: LinearRegression(max_epochs=5), Y_REG),
    (lambda: LinearRegression(solver="sgd", max_epochs=5, random_state=0), Y_REG),
    (lambda: LogisticRegression(max_epochs=5), Y_CLS),
    (lambda: SoftmaxRegression(max_epochs=5), Y_MULTI),
    (lambda: MLPRegressor((3,), max_epochs=5, random_state=0), Y_REG),
    (lambda: MLPClassifier((3,), max_epochs=5, random_state=0), Y_MULTI),
]
pytestmark = pytest.mark.filterwarnings("ignore::fastgd.exceptions.ConvergenceWarning")


def _state(model):
    """What predict and a warm start read: every fitted attribute's value."""
    return {k: (v.copy() if isinstance(v, np.ndarray) else v)
            for k, v in vars(model).items() if k.endswith("_") or k in ("_coef", "_theta")}


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], np.ndarray):
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        elif not isinstance(a[k], list):
            assert a[k] == b[k] or (a[k] != a[k] and b[k] != b[k]), k


@pytest.mark.parametrize("make, y", ESTIMATORS)
@pytest.mark.parametrize("failure", ["split", "random_state", "sample_weight"])
def test_a_failed_fit_leaves_the_model_as_it_was(make, y, failure):
    # the new data are wider, with other labels: a fit that records their
    # shapes and then fails must not leave them beside the old parameters
    model = make().fit(X, y)
    before, prediction = _state(model), model.predict(X)
    wide = np.hstack([X, X])
    new_y = np.arange(40) % 4 if y is not Y_REG else y
    kwargs = {}
    if failure == "split":
        model.set_params(early_stopping=True, validation_fraction=0.999)
    elif failure == "random_state":
        model.set_params(random_state="bad")
    else:
        kwargs["sample_weight"] = -np.ones(40)
    with pytest.raises((ValueError, TypeError)):
        model.fit(wide, new_y, **kwargs)
    _same(before, _state(model))
    np.testing.assert_array_equal(model.predict(X), prediction)
    # and it trains on as before
    model.set_params(early_stopping=False, random_state=0, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(wide)


@pytest.mark.parametrize("make, y", ESTIMATORS)
def test_a_failed_partial_fit_leaves_the_model_as_it_was(make, y):
    model = make()
    extra = {"classes": np.unique(y)} if y is not Y_REG else {}
    model.partial_fit(X, y, **extra)
    before = _state(model)
    with pytest.raises(ValueError):
        model.partial_fit(X, y, sample_weight=-np.ones(40))
    _same(before, _state(model))
    model.partial_fit(X, y)


@pytest.mark.parametrize("make, y", ESTIMATORS)
def test_early_stopping_switched_on_for_a_warm_start(make, y):
    model = make().set_params(warm_start=True).fit(X, y)
    model.set_params(early_stopping=True, validation_fraction=0.25).fit(X, y)
    assert len(model.validation_scores_) >= 1
    assert all(np.isfinite(model.validation_scores_))


@pytest.mark.parametrize("name", ["early_stopping", "warm_start", "nesterov"])
@pytest.mark.parametrize("value", ["no", 1, None])
def test_true_false_settings_must_be_bools(name, value):
    if value is None and name == "nesterov":
        return                      # None is nesterov's default: the rule decides
    for model in (LinearRegression(), MLPRegressor((2,))):
        with pytest.raises(TypeError, match=name):
            model.set_params(**{name: value}).fit(X, Y_REG)
    with pytest.raises(TypeError, match="fit_intercept"):
        LinearRegression(fit_intercept="no").fit(X, Y_REG)


@pytest.mark.parametrize("value", ["no", "Blocks", 1, None, 0.5])
def test_shuffle_is_true_false_or_blocks(value):
    for model in (LinearRegression(solver="sgd"), MLPRegressor((2,))):
        with pytest.raises(ValueError, match="shuffle must be True, False or 'blocks'"):
            model.set_params(shuffle=value).fit(X, Y_REG)


def _malformed(kind):
    A = sp.csr_matrix(np.abs(X) + 1.0)
    if kind == "large index":
        A.indices[3] = 10 ** 7
    elif kind == "negative index":
        A.indices[3] = -5
    elif kind == "index beyond int32":
        A.indices = A.indices.astype(np.int64)
        A.indices[3] = 2 ** 32 + 1      # would wrap to column 1 as int32
    elif kind == "indptr going down":
        A.indptr[5] = A.indptr[7]
        A.indptr[6] = A.indptr[4]
    elif kind == "indptr beyond the entries":
        A.indptr[-1] = 10 ** 6
    elif kind == "csc row index":
        A = sp.csc_matrix(A)
        A.indices[3] = 10 ** 6
    elif kind == "bsr block index":
        A = sp.bsr_matrix(np.abs(X[:40, :2]) + 1.0, blocksize=(2, 2))
        A.indices[0] = 10 ** 6
    elif kind == "coo column":
        A = sp.coo_matrix(A)
        A.col[0] = 10 ** 6
    elif kind == "coo negative row":
        A = sp.coo_matrix(A)
        A.row[0] = -1
    elif kind == "lil column":
        A = sp.lil_matrix(A)
        A.rows[0][0] = 10 ** 6
    return A


MALFORMED = ["large index", "negative index", "index beyond int32", "indptr going down",
             "indptr beyond the entries", "csc row index", "bsr block index", "coo column",
             "coo negative row", "lil column"]


@pytest.mark.parametrize("kind", MALFORMED)
def test_malformed_sparse_input_is_refused(kind):
    A = _malformed(kind)
    width = A.shape[1]
    attrs = [a for a in ("data", "indices", "indptr", "row", "col", "rows") if hasattr(A, a)]
    saved = {a: [list(r) for r in A.rows] if a == "rows" else getattr(A, a).copy()
             for a in attrs}
    with pytest.raises(ValueError, match="X is a malformed"):
        LinearRegression(solver="sgd").fit(A, Y_REG)
    with pytest.raises(ValueError, match="X is a malformed"):
        LogisticRegression().fit(A, Y_CLS)
    model = LinearRegression().fit(X[:, :width], Y_REG)
    with pytest.raises(ValueError, match="X is a malformed"):
        model.predict(A)
    coef, intercept = np.zeros((1, width)), np.zeros(1)
    with pytest.raises(ValueError, match="X is a malformed"):
        kernels.loss_gradient(A, Y_REG, coef, intercept, np.zeros((1, width)), np.zeros(1))
    with pytest.raises(ValueError, match="X is a malformed"):
        kernels.epoch(A, Y_REG, coef, intercept)
    for attr in attrs:
        after = [list(r) for r in A.rows] if attr == "rows" else getattr(A, attr)
        assert np.array_equal(saved[attr], after) if attr != "rows" else saved[attr] == after
    assert not coef.any()


def test_well_formed_sparse_input_still_trains():
    # unsorted and duplicate indices and explicit zeros are valid CSR
    A = sp.csr_matrix(X)
    A.data[::5] = 0.0
    B = sp.csr_matrix((np.r_[A.data, [0.5]], np.r_[A.indices, [0]],
                       np.r_[A.indptr[:-1], A.indptr[-1] + 1]), shape=A.shape)
    B.indices[B.indptr[0]:B.indptr[1]] = B.indices[B.indptr[0]:B.indptr[1]][::-1].copy()
    B.data[B.indptr[0]:B.indptr[1]] = B.data[B.indptr[0]:B.indptr[1]][::-1].copy()
    dense = B.toarray()
    a = LinearRegression(solver="normal").fit(B, Y_REG)
    b = LinearRegression(solver="normal").fit(dense, Y_REG)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10)


def _problem():
    coef, intercept = np.zeros((1, 3)), np.zeros(1)
    return X.copy(), Y_REG.copy(), coef, intercept


def test_gradient_outputs_that_overlap_an_input_are_refused():
    Xc, y, coef, intercept = _problem()
    with pytest.raises(ValueError, match="grad_coef and coef overlap"):
        kernels.loss_gradient(Xc, y, coef, intercept, coef, np.zeros(1))
    G = np.zeros(4)
    with pytest.raises(ValueError, match="grad_coef and grad_intercept overlap"):
        kernels.loss_gradient(Xc, y, coef, intercept, G[:3].reshape(1, 3), G[2:3])
    with pytest.raises(ValueError, match="grad_coef and X overlap"):
        kernels.loss_gradient(Xc, y, coef, intercept, Xc[:1], np.zeros(1))
    # separate views of one buffer are fine
    kernels.loss_gradient(Xc, y, coef, intercept, G[:3].reshape(1, 3), G[3:])


def test_epoch_buffers_that_overlap_are_refused():
    Xc, y, coef, intercept = _problem()
    rule = kernels.make_rule("adam", 0.01)
    S = np.zeros((2, 3))
    with pytest.raises(ValueError, match="state_coef and X overlap"):
        kernels.epoch(Xc[:2].reshape(2, 3), y[:2], coef, intercept, rule=rule,
                      state_coef=Xc[:2], state_intercept=np.zeros((2, 1)))
    with pytest.raises(ValueError, match="coef and state_coef overlap"):
        kernels.epoch(Xc, y, S[:1], intercept, rule=rule, state_coef=S,
                      state_intercept=np.zeros((2, 1)))
    state = np.zeros(6)
    with pytest.raises(ValueError, match="state_coef and state_intercept overlap"):
        kernels.epoch(Xc, y, coef, intercept, rule=rule, state_coef=state.reshape(2, 3),
                      state_intercept=state[1:3].reshape(2, 1))
    big = np.zeros(40)
    with pytest.raises(ValueError, match="coef and y overlap"):
        kernels.epoch(Xc, big, big[:3].reshape(1, 3), intercept)
    np.testing.assert_array_equal(Xc, X)
    assert not coef.any() and not big.any()


def test_fit_intercept_must_be_a_bool_in_the_kernel():
    Xc, y, coef, intercept = _problem()
    with pytest.raises(TypeError, match="fit_intercept"):
        kernels.epoch(Xc, y, coef, intercept, fit_intercept="False")
    assert not coef.any()


def test_more_jobs_than_cpus_runs_on_the_cpus_and_stays_deterministic():
    # a thread per chunk for 40,000 chunks once failed to start and ended
    # the process; the chunks (and so the result) still follow n_jobs
    Xl = rng.normal(size=(40000, 1))
    y = Xl[:, 0] * 2.0
    coef, intercept = np.ones((1, 1)), np.zeros(1)
    grads = []
    for _ in range(2):
        g, gb = np.zeros((1, 1)), np.zeros(1)
        J = kernels.loss_gradient(Xl, y, coef, intercept, g, gb, n_jobs=40000)
        grads.append((J, g.copy(), gb.copy()))
    assert grads[0][0] == grads[1][0]
    np.testing.assert_array_equal(grads[0][1], grads[1][1])
    g1, gb1 = np.zeros((1, 1)), np.zeros(1)
    J1 = kernels.loss_gradient(Xl, y, coef, intercept, g1, gb1, n_jobs=1)
    np.testing.assert_allclose(grads[0][1], g1, rtol=1e-12)
    np.testing.assert_allclose(grads[0][0], J1, rtol=1e-12)


@pytest.mark.parametrize("value, kind, match", [
    (10 ** 400, numbers.Real, "finite"),
    (Fraction(10 ** 400), numbers.Real, "finite"),
    (2 ** 70, numbers.Integral, "2\\*\\*62"),
    (2 ** 63 - 1, numbers.Integral, "2\\*\\*62"),
])
def test_scalars_beyond_what_the_loops_take_are_named(value, kind, match):
    with pytest.raises(ValueError, match=f"alpha must .*{match}"):
        check_scalar(value, "alpha", kind=kind)


def test_numpy_integers_are_integers():
    assert check_scalar(np.int64(3), "t", kind=int) == 3
    Xc, y, coef, intercept = _problem()
    kernels.epoch(Xc, y, coef, intercept, t=np.int64(3), batch_size=np.int32(2))
    with pytest.raises(TypeError, match="t must be an integer"):
        kernels.epoch(Xc, y, coef, intercept, t=1.0)


@pytest.mark.parametrize("t", [2 ** 63 - 1, 2 ** 63])
def test_update_counts_that_would_overflow_are_named(t):
    Xc, y, coef, intercept = _problem()
    with pytest.raises(ValueError, match="t must be below"):
        kernels.epoch(Xc, y, coef, intercept, t=t)


@pytest.mark.parametrize("name", ["X", "y", "sample_weight", "order", "lr_table"])
def test_ragged_input_names_the_argument(name):
    Xc, y, coef, intercept = _problem()
    args = {"X": Xc, "y": y, "sample_weight": None, "order": None, "lr_table": None}
    args[name] = [[1.0, 2.0], [3.0]] if name == "X" else [1, [2, 3]]
    with pytest.raises(ValueError, match=f"{name} could not be read"):
        kernels.epoch(args["X"], args["y"], coef, intercept, sample_weight=args["sample_weight"],
                      order=args["order"], lr_table=args["lr_table"])


def test_loss_of_the_wrong_type_is_named():
    Xc, y, coef, intercept = _problem()
    with pytest.raises(ValueError, match="loss must be one of"):
        kernels.epoch(Xc, y, coef, intercept, loss=["squared"])


@pytest.mark.filterwarnings("error::RuntimeWarning")    # said without numpy's warnings
@pytest.mark.parametrize("X_, y_, alpha, match", [
    # the optimum's coefficients exceed float32 / float64
    ((X * 1e-30).astype(np.float32), Y_REG * 1e10, 0.0, "does not fit in float32"),
    (X * 1e-310, Y_REG, 0.0, "does not fit in float64"),
    # the normal equations' products overflow
    (X * 1e300, Y_REG, 1.0, "too large in magnitude"),
    (sp.csr_matrix(X * 1e300), Y_REG, 1.0, "too large in magnitude"),
])
def test_the_closed_form_never_returns_a_non_finite_model(X_, y_, alpha, match):
    with pytest.raises(ValueError, match=match):
        LinearRegression(solver="normal", alpha=alpha).fit(X_, y_)


def test_the_closed_form_of_huge_but_representable_targets_is_finite():
    model = LinearRegression(solver="normal").fit(X, Y_REG * 1e300)
    np.testing.assert_allclose(model.coef_, [1e300, -2e300, 0.5e300], rtol=1e-8)


@pytest.mark.parametrize("scale", [1e308, 1e-320])
@pytest.mark.parametrize("make, y", ESTIMATORS[:2] + ESTIMATORS[4:5])
def test_sample_weights_out_of_scale_are_named(make, y, scale):
    with pytest.raises(ValueError, match="sample_weight is out of scale"):
        make().fit(X, y, sample_weight=np.full(40, scale))
    with pytest.raises(ValueError, match="sample_weight is out of scale"):
        LinearRegression(solver="normal").fit(X, y, sample_weight=np.full(40, scale))


@pytest.mark.parametrize("solver", ["gd", "sgd"])
@pytest.mark.parametrize("X_, y_", [(X * 1e200, Y_REG), (X, Y_REG * 1e200)])
def test_data_too_large_is_not_blamed_on_the_learning_rate(solver, X_, y_):
    with pytest.raises(ValueError, match="X or y is too large in magnitude"):
        LinearRegression(solver=solver).fit(X_, y_)


@pytest.mark.parametrize("solver", ["gd", "sgd"])
def test_features_of_1e150_train_at_the_auto_rate(solver):
    # X^T X's entries (1e300) are finite but their squares are not: the
    # power iteration's norm once overflowed, read as curvature 0, and set a
    # learning rate of 1e12
    model = LinearRegression(solver=solver).fit(np.full((40, 3), 1e150), Y_REG)
    assert 0 < model.learning_rate_ < 1e-299
    assert np.isfinite(model.coef_).all() and np.isfinite(model.intercept_)


def test_continuing_in_another_dtype_is_named():
    model = LinearRegression().partial_fit(X, Y_REG)
    with pytest.raises(ValueError, match="X has dtype float32 but the model was trained in float64"):
        model.partial_fit(X.astype(np.float32), Y_REG)
    with pytest.raises(ValueError, match="X has dtype float32"):
        model.set_params(warm_start=True).fit(X.astype(np.float32), Y_REG)


def test_partial_fit_continues_from_the_closed_form():
    model = LinearRegression(solver="normal").fit(X, Y_REG)
    coef = model.coef_.copy()
    model.set_params(solver="sgd").partial_fit(X, Y_REG)
    np.testing.assert_allclose(model.coef_, coef, atol=1e-6)
    assert model.learning_rate_ > 0


@pytest.mark.parametrize("momentum", [1.0, 5.0])
def test_auto_rate_with_a_momentum_of_1_or_more_is_named(momentum):
    with pytest.raises(ValueError, match="momentum"):
        LinearRegression(solver="minibatch", optimizer="momentum", momentum=momentum).fit(X, Y_REG)


def test_rule_settings_are_checked_before_the_automatic_rate():
    with pytest.raises(TypeError, match="momentum"):
        LinearRegression(optimizer="momentum", momentum="0.9").fit(X, Y_REG)


@pytest.mark.parametrize("batch_size", [np.uint64(32), np.int8(3)])
def test_numpy_integer_batch_sizes(batch_size):
    model = LinearRegression(solver="minibatch", batch_size=batch_size, max_epochs=2).fit(X, Y_REG)
    assert np.isfinite(model.coef_).all()


def test_negative_random_state_is_named():
    with pytest.raises(ValueError, match="random_state must be a non-negative int"):
        LinearRegression(solver="sgd", random_state=-1).fit(X, Y_REG)


@pytest.mark.parametrize("y", [np.arange(40).astype("datetime64[D]"),
                               np.arange(40).astype("timedelta64[s]")])
def test_dates_are_not_regression_targets(y):
    with pytest.raises(ValueError, match="y must hold numbers"):
        LinearRegression().fit(X, y)


def test_python_ints_beyond_the_float_range_are_named():
    Xo = X.astype(object)
    Xo[0, 0] = 10 ** 400
    with pytest.raises(ValueError, match="X must hold numbers"):
        LinearRegression().fit(Xo, Y_REG)
    yo = Y_REG.astype(object)
    yo[0] = 10 ** 400
    with pytest.raises(ValueError, match="y must hold numbers"):
        LinearRegression().fit(X, yo)


class _InterruptingGenerator(np.random.Generator):
    """A Ctrl-C arriving during the early-stopping split, before any epoch."""

    def permutation(self, *args, **kwargs):
        raise KeyboardInterrupt


@pytest.mark.parametrize("make, y", [ESTIMATORS[0], ESTIMATORS[4]])
def test_an_interrupt_before_the_first_epoch_restores_the_model(make, y):
    model = make().fit(X, y)
    before, prediction = _state(model), model.predict(X)
    model.set_params(early_stopping=True,
                     random_state=_InterruptingGenerator(np.random.PCG64(0)))
    with pytest.raises(KeyboardInterrupt):
        model.fit(np.hstack([X, X]), y)
    _same(before, _state(model))
    np.testing.assert_array_equal(model.predict(X), prediction)


class _FailingSchedule:
    """A callable schedule that raises from its fail-th call on."""

    def __init__(self, fail=None):
        self.fail, self.calls = fail, 0

    def __call__(self, t):
        self.calls += 1
        if self.fail is not None and self.calls >= self.fail:
            raise RuntimeError("schedule failed")
        return 0.01


@pytest.mark.parametrize("make, y", [ESTIMATORS[1], ESTIMATORS[4]])
def test_a_refit_that_fails_after_its_first_epochs_keeps_the_model_from_before(make, y):
    model = make().set_params(max_epochs=2, tol=None).fit(X, y)
    before, history = model.predict(X), list(model.loss_history_)
    steps = -(-40 // model._batch_size(40))           # schedule calls per epoch
    model.set_params(schedule=_FailingSchedule(fail=3 * steps + 1), max_epochs=10)
    with pytest.raises(RuntimeError, match="schedule failed"):
        model.fit(X, y)
    assert model.n_iter_ == 2 and model.loss_history_ == history
    np.testing.assert_array_equal(model.predict(X), before)


def test_a_partial_fit_whose_schedule_fails_can_be_retried():
    # the failing call leaves the shuffling stream untouched, so a retry
    # trains exactly as if it had never failed
    a = LinearRegression(solver="sgd", schedule=_FailingSchedule(), random_state=0)
    b = LinearRegression(solver="sgd", schedule=_FailingSchedule(), random_state=0)
    a.partial_fit(X, Y_REG)
    b.partial_fit(X, Y_REG)
    b.schedule.fail = b.schedule.calls + 1
    with pytest.raises(RuntimeError):
        b.partial_fit(X, Y_REG)
    b.schedule.fail = None
    a.partial_fit(X, Y_REG)
    b.partial_fit(X, Y_REG)
    np.testing.assert_array_equal(a.coef_, b.coef_)


def test_a_diverging_refit_leaves_its_public_attributes_consistent():
    model = LinearRegression(max_epochs=5).fit(X, Y_REG)
    wide = np.hstack([X, X]) * 1e3
    with pytest.raises(Exception, match="diverged|no progress"):
        model.set_params(learning_rate=10.0).fit(wide, Y_REG)
    # the model from before the refit, whole and consistent
    assert model.coef_.shape == (3,) and np.shares_memory(model.coef_, model._coef)
    assert model.n_iter_ == len(model.loss_history_) and model.n_features_in_ == 3
    assert np.isfinite(model.predict(X)).all()


def test_disjoint_strided_views_of_one_buffer_are_not_overlapping():
    buf = np.zeros((40, 4))
    Xs, coef_buf = buf[:, :3], np.zeros((2, 3))
    Xs[...] = X
    kernels.loss_gradient(Xs, Y_REG, coef_buf[:1], np.zeros(1), coef_buf[1:], np.zeros(1))
    theta_and_X = np.zeros((40, 4))
    theta_and_X[:, :3] = X
    from fastgd import mlp_kernels
    sizes = (3, 1)
    theta = theta_and_X[:4, 3]                      # strided, beside X's columns
    with pytest.raises(ValueError, match="C-contiguous"):
        mlp_kernels.epoch(theta_and_X[:, :3], Y_REG[:, None], theta, sizes)


def test_a_gradient_output_over_the_callers_non_contiguous_coef_is_refused():
    # validation copies a strided coef; the kernel reads the copy, but
    # writing grad_coef would still change the caller's array
    buf = np.zeros(6)
    coef = buf[::2].reshape(1, 3)
    with pytest.raises(ValueError, match="grad_coef and coef overlap"):
        kernels.loss_gradient(X, Y_REG, coef, np.zeros(1), buf[1:4].reshape(1, 3), np.zeros(1))
    assert not buf.any()


class _StatelessClaim(UpdateRule):
    keeps_state = False             # Adam does keep state: the claim is false


@pytest.mark.parametrize("which", ["kernels", "mlp_kernels"])
def test_a_rule_subclass_cannot_claim_to_keep_no_state(which):
    # the loops read the rule's compiled fields: deciding from the attribute
    # once wrote Adam's moments through a null pointer
    rule = _StatelessClaim(3, 0.01)
    if which == "kernels":
        with pytest.raises(ValueError, match="keeps state"):
            kernels.epoch(X, Y_REG, np.zeros((1, 3)), np.zeros(1), rule=rule, batch_size=4)
    else:
        from fastgd import mlp_kernels
        theta = mlp_kernels.init_params((3, 4, 1), random_state=0)
        with pytest.raises(ValueError, match="keeps state"):
            mlp_kernels.epoch(X, Y_REG[:, None], theta, (3, 4, 1), rule=rule, batch_size=4)


def test_a_rule_made_without_its_constructor_is_refused():
    with pytest.raises(ValueError, match="make_rule"):
        kernels.epoch(X, Y_REG, np.zeros((1, 3)), np.zeros(1), rule=UpdateRule.__new__(UpdateRule))


def test_minimize_runs_on_when_a_schedule_decays_to_zero():
    # 1e-6 * 0.5**t underflows to 0 after about 1,050 steps: no more steps, no error
    result = minimize(lambda x: float(x @ x), np.ones(2), jac=lambda x: 2 * x, method="sgd",
                      learning_rate=1e-6, schedule="exponential", gamma=0.5, max_iter=1200,
                      tol=0.0)
    assert result.nit == 1200 and np.isfinite(result.x).all()


@pytest.mark.parametrize("make, y", [ESTIMATORS[0], ESTIMATORS[4]])
def test_training_on_the_models_own_parameters_is_refused(make, y):
    model = make().set_params(warm_start=True)
    if isinstance(model, MLPRegressor):
        model.set_params(hidden_layer_sizes=(3,))
        model.fit(X, y)
        data = model.coefs_[0]                  # (3, 3): a view of the parameters
        y_ = y[:3]
    else:
        model.set_params(solver="gd").fit(X[:, :1], y)
        data = model._coef.reshape(1, 1)
        y_ = y[:1]
    before = data.copy()
    with pytest.raises(ValueError, match="the model's parameters .* and X overlap"):
        model.fit(data, y_)
    np.testing.assert_array_equal(data, before)


@pytest.mark.parametrize("rate", ["0.01", np.complex128(0.01 + 5j), True])
def test_a_schedule_must_return_real_rates(rate):
    with pytest.raises(TypeError, match="real numbers"):
        LinearRegression(solver="sgd", schedule=lambda t: rate).fit(X, Y_REG)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(noise=float("nan")), ValueError, "noise"),
    (dict(noise=-1.0), ValueError, "noise"),
    (dict(n_classes=1), ValueError, "n_classes"),
    (dict(n_samples=0), ValueError, "n_samples"),
    (dict(n_features=0), ValueError, "n_features"),
    (dict(random_state=-1), ValueError, "random_state"),
    (dict(dtype=np.int64), TypeError, "dtype"),
    (dict(dtype="complex128"), TypeError, "dtype"),
])
def test_make_problem_checks_its_arguments(kwargs, error, match):
    from fastgd.datasets import make_problem
    with pytest.raises(error, match=match):
        make_problem("multiclass", **{"n_samples": 20, "n_features": 3, **kwargs})


def test_make_problem_keeps_its_data_for_a_seed():
    from fastgd.datasets import make_problem
    X1, y1 = make_problem("binary", 50, 4, random_state=3)
    rng = np.random.default_rng(3)
    np.testing.assert_array_equal(X1, rng.standard_normal((50, 4)))


def test_a_schedule_may_return_any_real_number_type():
    from fractions import Fraction as F
    model = LinearRegression(solver="sgd", schedule=lambda t: F(1, 100)).fit(X, Y_REG)
    assert np.isfinite(model.coef_).all()


def test_make_problem_names_a_dtype_that_is_not_one():
    from fastgd.datasets import make_problem
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got 'foo'"):
        make_problem("binary", dtype="foo")


def test_the_reference_refuses_what_the_kernels_refuse():
    # the specification has the kernels' domain: a softmax label of -1 once
    # read the last class, a logistic target of 5 gave a negative loss
    from fastgd import reference
    with pytest.raises(ValueError, match="class indices"):
        reference.sample_losses("softmax", np.zeros((4, 3)), np.array([0, 1, 2, -1]))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        reference.sample_losses("logistic", np.zeros((2, 1)), np.array([0.0, 5.0]))
    coef, intercept = np.zeros((1, 3)), np.zeros(1)
    with pytest.raises(ValueError, match="sample_weight"):
        reference.loss_gradient(X, Y_REG, coef, intercept, sample_weight=np.zeros(40))
    with pytest.raises(ValueError, match="order"):
        reference.epoch(X, Y_REG, coef, intercept, kernels.make_rule("sgd", 0.01), order=[-1])
    with pytest.raises(ValueError, match="alpha"):
        reference.normal_equation(X, Y_REG, alpha=-1.0)
    with pytest.raises(ValueError, match="theta must have shape"):
        reference.mlp.predict(X, np.zeros(100), (3, 2, 1))


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_finite_values_beyond_float32_are_not_called_infinite():
    X32 = X.astype(np.float32)
    model = MLPRegressor((2,), max_epochs=2, random_state=0).fit(X32, Y_REG)
    with pytest.raises(ValueError, match="X holds values beyond the range of float32"):
        model.predict(X * 1e300)
    with pytest.raises(ValueError, match="y holds values beyond the range of float32"):
        LinearRegression().fit(X32, Y_REG * 1e40)
    with pytest.raises(ValueError, match="y contains infinity"):
        LinearRegression().fit(X32, np.full(40, np.inf))


def test_fuzz_findings_are_rejected_by_name():
    # reproducers of the fuzz driver (tools/fuzz.py): each call once raised
    # an unnamed TypeError or AttributeError, or returned inf silently
    from fastgd import mlp_kernels
    with pytest.raises(TypeError, match="y must hold real numbers"):
        MLPRegressor((2,), max_epochs=1).partial_fit(X, np.array([1.0] * 39 + [1j], dtype=object))
    state_coef, state_intercept = kernels.init_state([[0.0, 0.0]], [0.0])
    assert state_coef.shape == (2, 2) and state_intercept.shape == (2, 1)
    theta = np.full(mlp_kernels.count_params((1, 1))[1], 1e200)
    with pytest.raises(ValueError, match="overflowed"):
        mlp_kernels.loss_gradient(np.ones((2, 1)), np.ones((2, 1)), theta, np.empty(2), (1, 1),
                                  activation="identity")


def test_block_geometry_names_a_bad_X():
    with pytest.raises(TypeError, match="X must be"):
        kernels.block_geometry([[1.0, 2.0]])
    with pytest.raises(ValueError, match="X must be 2-dimensional"):
        kernels.block_geometry(np.zeros(3))


def test_an_mlp_gradient_that_overflows_raises():
    # a finite objective (1.1e76, summed in double) with a gradient of -inf
    # and inf (float32 products): loss_gradient used to return them silently
    from fastgd import mlp_kernels
    X, Y = np.array([[-3e38]], np.float32), np.zeros((1, 1), np.float32)
    theta = np.array([-0.5, 1.0, 0.0, 0.0], np.float32)
    with pytest.raises(ValueError, match="gradient overflowed"):
        mlp_kernels.loss_gradient(X, Y, theta, np.empty(4), (1, 1, 1), activation="relu",
                                  output="identity")


@pytest.mark.parametrize("labels", [
    np.array([1, 0, 1, 1]), np.array([-128, 127, -128], dtype=np.int8),
    np.array([7, 3, 3, 250], dtype=np.uint8), np.array([2**64 - 1, 2**64 - 2], dtype=np.uint64),
    np.array([-2**63, -2**63 + 5, 0]), np.array([0, 1 << 20, 5]),        # a range too wide to count
    np.array([True, False]), np.array([0.0, 2.0, 2.0]), np.array(["b", "a", "b"]),
])
def test_encode_labels_equals_numpys_unique(labels):
    from fastgd._validation import encode_labels
    classes, encoded = encode_labels(labels, len(labels))
    want_classes, want_encoded = np.unique(labels, return_inverse=True)
    assert classes.dtype == want_classes.dtype
    np.testing.assert_array_equal(classes, want_classes)
    np.testing.assert_array_equal(encoded, want_encoded.reshape(-1))


def test_pandas_missing_values_are_named_as_nan():
    """A nullable pandas column's pd.NA is a missing value: the error says
    NaN, as scikit-learn's does, not that X holds no numbers."""
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": pd.array([1, None, 3], dtype="Int64"), "b": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="NaN"):
        check_array(frame, "X")
    whole = pd.DataFrame({"a": pd.array([1, 2, 3], dtype="Int64")})
    np.testing.assert_array_equal(check_array(whole, "X"), [[1.0], [2.0], [3.0]])
