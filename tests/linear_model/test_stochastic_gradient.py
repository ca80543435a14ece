"""SGDClassifier and SGDRegressor: equal to scikit-learn's, and its contract.

With ``shuffle=False`` fastgd repeats scikit-learn's steps in its order of
operations, so the fitted ``coef_`` and ``intercept_`` (and ``n_iter_``,
``t_``) equal its to rtol 1e-8 in float64 over the grid of every loss x
penalty x average x class_weight, dense and CSR, binary and multi-class,
with and without sample weights, and across partial_fit calls.  Shuffled
fits visit scikit-learn's orders: those of the losses whose rounding does
not grow equal its too; the others' held-out scores agree within noise.
"""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from fastgd import SGDClassifier, SGDRegressor
from fastgd.exceptions import NotFittedError

sklearn_lm = pytest.importorskip("sklearn.linear_model")

# fastgd follows scikit-learn's current stopping rule, which since 1.8 compares
# the objective per sample (loss and penalty) with an unscaled tol; against an
# older scikit-learn the grid compares the steps alone, over exactly max_iter.
SKLEARN_STOPS_ON_OBJECTIVE = tuple(
    int(part) for part in __import__("sklearn").__version__.split(".")[:2]) >= (1, 8)

CLASSIFIER_LOSSES = ("hinge", "log_loss", "modified_huber", "squared_hinge", "perceptron")
REGRESSION_LOSSES = ("squared_error", "huber", "epsilon_insensitive",
                     "squared_epsilon_insensitive")
PENALTIES = ("l2", "l1", "elasticnet", None)
AVERAGES = (False, True, 7)
RTOL, ATOL = 1e-8, 1e-12


def _data(seed=0, n=50, d=8):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[rng.random((n, d)) < 0.5] = 0.0      # sparse-looking rows, some features idle
    w = rng.standard_normal(d)
    y_binary = (X @ w + 0.3 * rng.standard_normal(n) > 0).astype(int)
    y_multi = np.digitize(X @ w, [-0.7, 0.7])
    y_reg = X @ w + 0.1 * rng.standard_normal(n)
    sample_weight = rng.uniform(0.5, 1.5, n)
    return X, y_binary, y_multi, y_reg, sample_weight


X, Y_BINARY, Y_MULTI, Y_REG, SW = _data()


def _fit_both(cls, params, X, y, sample_weight):
    if not SKLEARN_STOPS_ON_OBJECTIVE:
        params = {"tol": None, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # ConvergenceWarning from both
        ours = getattr(__import__("fastgd"), cls)(**params).fit(X, y, sample_weight=sample_weight)
        theirs = getattr(sklearn_lm, cls)(**params).fit(X, y, sample_weight=sample_weight)
    return ours, theirs


def _assert_equal_models(ours, theirs):
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=RTOL, atol=ATOL)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("class_weight", [None, "balanced"])
@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("loss", CLASSIFIER_LOSSES)
def test_classifier_equals_sklearn(loss, penalty, average, class_weight, n_classes):
    params = dict(loss=loss, penalty=penalty, average=average, class_weight=class_weight,
                  alpha=0.01, max_iter=8, shuffle=False, random_state=0)
    y = Y_BINARY if n_classes == 2 else Y_MULTI
    for data in (X, sp.csr_matrix(X)):
        for sample_weight in (None, SW):
            _assert_equal_models(*_fit_both("SGDClassifier", params, data, y, sample_weight))


@pytest.mark.parametrize("learning_rate", ["invscaling", "optimal", "constant", "adaptive"])
@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("loss", REGRESSION_LOSSES)
def test_regressor_equals_sklearn(loss, penalty, average, learning_rate):
    params = dict(loss=loss, penalty=penalty, average=average, learning_rate=learning_rate,
                  alpha=0.01, max_iter=8, shuffle=False, random_state=0)
    for data in (X, sp.csr_matrix(X)):
        for sample_weight in (None, SW):
            _assert_equal_models(*_fit_both("SGDRegressor", params, data, Y_REG, sample_weight))


SKLEARN_HAS_PASSIVE_AGGRESSIVE = SKLEARN_STOPS_ON_OBJECTIVE     # both since 1.8


@pytest.mark.skipif(not SKLEARN_HAS_PASSIVE_AGGRESSIVE,
                    reason="learning_rate='pa1' and 'pa2' are scikit-learn 1.8's")
@pytest.mark.parametrize("average", [False, 7])
@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("learning_rate", ["pa1", "pa2"])
def test_passive_aggressive_equals_sklearn(learning_rate, penalty, average):
    Xz = X.copy()
    Xz[5] = 0.0                 # a row of zeros: 'pa1' takes no step on it
    for cls, y, extra in (("SGDClassifier", Y_BINARY, dict(class_weight="balanced")),
                          ("SGDClassifier", Y_MULTI, {}),
                          ("SGDRegressor", Y_REG, dict(loss="epsilon_insensitive"))):
        params = dict(learning_rate=learning_rate, eta0=0.5, penalty=penalty, average=average,
                      alpha=0.01, max_iter=8, shuffle=False, random_state=0, **extra)
        for data in (Xz, sp.csr_matrix(Xz)):
            for sample_weight in (None, SW):
                _assert_equal_models(*_fit_both(cls, params, data, y, sample_weight))


@pytest.mark.parametrize("cls, loss", [(SGDClassifier, "log_loss"), (SGDRegressor, "huber")])
def test_passive_aggressive_needs_its_loss(cls, loss):
    with pytest.raises(ValueError, match="only works with loss"):
        cls(loss=loss, learning_rate="pa1").fit(X, Y_BINARY)


@pytest.mark.skipif(not SKLEARN_STOPS_ON_OBJECTIVE,
                    reason="scikit-learn before 1.8 stops on the summed loss alone")
@pytest.mark.parametrize("average", [False, True])
@pytest.mark.parametrize("validation_fraction", [0.1, 0.3])
def test_early_stopping_holds_out_and_stops_as_sklearn(validation_fraction, average):
    """The same held-out samples for the same random_state (scikit-learn's
    stratified split for classifiers), scored as scikit-learn scores them:
    the same epochs and the same model."""
    for cls, y in (("SGDClassifier", Y_BINARY), ("SGDClassifier", Y_MULTI),
                   ("SGDRegressor", Y_REG)):
        params = dict(early_stopping=True, validation_fraction=validation_fraction,
                      n_iter_no_change=3, average=average, shuffle=False, random_state=3)
        for data in (X, sp.csr_matrix(X)):
            for sample_weight in (None, SW):
                _assert_equal_models(*_fit_both(cls, params, data, y, sample_weight))


def test_early_stopping_without_enough_samples_to_stratify_holds_out_at_random():
    """scikit-learn refuses a stratified split with a class of one sample;
    fastgd holds out at random instead, and still fits."""
    y = Y_MULTI.copy()
    y[0] = 7
    clf = SGDClassifier(early_stopping=True, random_state=0).fit(X, y)
    assert set(clf.classes_) == {0, 1, 2, 7}
    tiny = SGDClassifier(early_stopping=True, validation_fraction=0.05, random_state=0)
    assert tiny.fit(X[:20], Y_MULTI[:20]).n_iter_ >= 1       # one held-out sample, 3 classes


@pytest.mark.parametrize("loss", ["squared_error", "huber"])
def test_classifier_with_regression_losses_equals_sklearn(loss):
    params = dict(loss=loss, alpha=0.01, max_iter=8, shuffle=False)
    _assert_equal_models(*_fit_both("SGDClassifier", params, X, Y_MULTI, None))


@pytest.mark.skipif(not SKLEARN_STOPS_ON_OBJECTIVE,
                    reason="scikit-learn before 1.8 stops on the summed loss alone")
def test_default_stopping_rule_equals_sklearn():
    """Defaults (tol=1e-3, n_iter_no_change=5, max_iter=1000): the same
    epoch count, as the objective scikit-learn tracks is tracked alike."""
    for cls, y in (("SGDClassifier", Y_MULTI), ("SGDRegressor", Y_REG)):
        ours, theirs = _fit_both(cls, dict(shuffle=False), X, y, None)
        _assert_equal_models(ours, theirs)
        assert ours.n_iter_ < 1000


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("average", [False, True, 30])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_partial_fit_equals_sklearn(n_classes, average, sparse):
    data = sp.csr_matrix(X) if sparse else X
    y = Y_BINARY if n_classes == 2 else Y_MULTI
    classes = np.unique(y)
    params = dict(loss="log_loss", penalty="elasticnet", alpha=0.01, average=average,
                  shuffle=False, class_weight={classes[0]: 2.0})
    ours, theirs = SGDClassifier(**params), sklearn_lm.SGDClassifier(**params)
    reg_params = {k: v for k, v in params.items() if k not in ("class_weight", "loss")}
    ours_reg, theirs_reg = SGDRegressor(**reg_params), sklearn_lm.SGDRegressor(**reg_params)
    for start in range(0, 50, 10):
        rows = slice(start, start + 10)
        ours.partial_fit(data[rows], y[rows], classes=classes, sample_weight=SW[rows])
        theirs.partial_fit(data[rows], y[rows], classes=classes, sample_weight=SW[rows])
        ours_reg.partial_fit(data[rows], Y_REG[rows])
        theirs_reg.partial_fit(data[rows], Y_REG[rows])
        _assert_equal_models(ours, theirs)
        _assert_equal_models(ours_reg, theirs_reg)


def test_warm_start_and_initial_coefficients_equal_sklearn():
    rng = np.random.default_rng(3)
    coef_init, intercept_init = rng.standard_normal((3, X.shape[1])), rng.standard_normal(3)
    saved = coef_init.copy(), intercept_init.copy()
    params = dict(shuffle=False, max_iter=5, tol=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = SGDClassifier(**params).fit(X, Y_MULTI, coef_init=coef_init,
                                           intercept_init=intercept_init)
        theirs = sklearn_lm.SGDClassifier(**params).fit(X, Y_MULTI, coef_init=saved[0].copy(),
                                                        intercept_init=saved[1].copy())
        _assert_equal_models(ours, theirs)
        np.testing.assert_array_equal(coef_init, saved[0])     # never written
        np.testing.assert_array_equal(intercept_init, saved[1])
        ours = SGDRegressor(warm_start=True, **params).fit(X, Y_REG).fit(X, Y_REG)
        theirs = sklearn_lm.SGDRegressor(warm_start=True, **params).fit(X, Y_REG).fit(X, Y_REG)
        _assert_equal_models(ours, theirs)


# Shuffled fits visit scikit-learn's orders for the same random_state; the
# losses whose step is a step function of the score (or a contraction at
# the regressors' small rates) then give its model to the last digits.
SHUFFLED_EQUAL = [("SGDClassifier", loss) for loss in ("hinge", "perceptron")] + [
    ("SGDRegressor", loss) for loss in REGRESSION_LOSSES]


@pytest.mark.skipif(not SKLEARN_STOPS_ON_OBJECTIVE,
                    reason="scikit-learn before 1.8 stops on another objective")
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("cls, loss", SHUFFLED_EQUAL)
def test_shuffled_fits_equal_sklearn(cls, loss, sparse):
    Xs = sp.csr_matrix(X) if sparse else X
    targets = (Y_BINARY, Y_MULTI) if cls == "SGDClassifier" else (Y_REG,)
    for y in targets:
        for params in (dict(), dict(average=True, penalty="elasticnet"),
                       dict(early_stopping=True, validation_fraction=0.2)):
            for random_state in (0, 7):
                ours, theirs = _fit_both(cls, dict(loss=loss, random_state=random_state,
                                                   **params), Xs, y, SW)
                _assert_equal_models(ours, theirs)


@pytest.mark.skipif(not SKLEARN_STOPS_ON_OBJECTIVE,
                    reason="scikit-learn before 1.8 stops on another objective")
@pytest.mark.parametrize("cls, loss", [
    ("SGDClassifier", "log_loss"), ("SGDClassifier", "modified_huber"),
    ("SGDClassifier", "squared_hinge"), ("SGDClassifier", "huber"),
    ("SGDRegressor", "squared_epsilon_insensitive")])
def test_shuffled_csr_fits_of_score_dependent_losses_equal_sklearn(cls, loss):
    """These steps carry each rounding forward through the 'optimal'
    rate's large first steps; on CSR rows every sum and every truncation
    is scikit-learn's (dense rows' sums are not: see row_dot)."""
    targets = (Y_BINARY, Y_MULTI) if cls == "SGDClassifier" else (Y_REG,)
    for y in targets:
        for params in (dict(), dict(average=True), dict(max_iter=6, tol=None),
                       dict(penalty="elasticnet"), dict(penalty="l1")):
            for random_state in (0, 7):
                ours, theirs = _fit_both(cls, dict(
                    loss=loss, learning_rate="optimal", random_state=random_state, **params),
                    sp.csr_matrix(X), y, SW)
                _assert_equal_models(ours, theirs)


@pytest.mark.skipif(not SKLEARN_STOPS_ON_OBJECTIVE,
                    reason="scikit-learn before 1.8 stops on another objective")
@pytest.mark.parametrize("sparse", [False, True])
def test_log_loss_early_stopping_stops_where_sklearn_stops(sparse):
    """scikit-learn scores a log_loss problem's held-out samples with
    predictions of -1 or 1 against targets encoded 0 or 1; scored as
    accuracy, these fits stop at other epochs than its own."""
    Xs = sp.csr_matrix(X) if sparse else X
    for y in (Y_BINARY, Y_MULTI):
        for random_state in (3, 5):
            ours, theirs = _fit_both("SGDClassifier", dict(
                loss="log_loss", shuffle=False, early_stopping=True, validation_fraction=0.2,
                random_state=random_state), Xs, y, SW)
            _assert_equal_models(ours, theirs)


def _with_each_value_stored_twice(A):
    """CSR A with each row's values stored twice, a quarter and then three
    quarters of each (not summed: not canonical)."""
    indptr = 2 * A.indptr
    indices = np.empty(2 * A.nnz, dtype=np.int32)
    data = np.empty(2 * A.nnz)
    for i in range(A.shape[0]):
        start, end = A.indptr[i], A.indptr[i + 1]
        m = end - start
        indices[2 * start:2 * start + m] = indices[2 * start + m:2 * end] = A.indices[start:end]
        data[2 * start:2 * start + m] = 0.25 * A.data[start:end]
        data[2 * start + m:2 * end] = 0.75 * A.data[start:end]
    return sp.csr_matrix((data, indices, indptr), shape=A.shape)


@pytest.mark.skipif(not SKLEARN_STOPS_ON_OBJECTIVE,
                    reason="scikit-learn before 1.8 stops on another objective")
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_csr_rows_that_store_a_feature_twice_take_scikit_learns_l1_steps(penalty):
    """A CSR row may store a feature twice (scipy sums them only when
    asked): the L1 steps then add every stored value before they truncate,
    as scikit-learn's loop does, rather than four distinct weights at a time."""
    twice = _with_each_value_stored_twice(sp.csr_matrix(X))
    assert not twice.has_canonical_format
    for params in (dict(max_iter=5, tol=None), dict(max_iter=5, tol=None, average=True),
                   dict(max_iter=5)):
        ours, theirs = _fit_both("SGDClassifier", dict(
            loss="log_loss", penalty=penalty, random_state=0, **params), twice, Y_MULTI, SW)
        _assert_equal_models(ours, theirs)


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("cls, loss", [
    ("SGDClassifier", "hinge"), ("SGDClassifier", "log_loss"),
    ("SGDClassifier", "modified_huber"), ("SGDRegressor", "squared_error")])
def test_csr_averaged_steps_without_the_objective_equal_sklearn(cls, loss, shuffle):
    """Without norms to sum (tol=None, early stopping) a CSR step adds to
    each weight and to its average in one pass over the row."""
    targets = (Y_BINARY, Y_MULTI) if cls == "SGDClassifier" else (Y_REG,)
    for y in targets:
        for params in (dict(average=True, max_iter=6, tol=None),
                       dict(average=40, max_iter=4, tol=None, eta0=0.01,
                            learning_rate="invscaling"),
                       dict(average=True, early_stopping=True, validation_fraction=0.2)):
            ours, theirs = _fit_both(cls, dict(loss=loss, shuffle=shuffle, random_state=3,
                                               **params), sp.csr_matrix(X), y, SW)
            _assert_equal_models(ours, theirs)


@pytest.mark.skipif(not SKLEARN_STOPS_ON_OBJECTIVE,
                    reason="scikit-learn before 1.8 stops on another objective")
def test_shuffled_partial_fit_and_global_seed_equal_sklearn():
    models = []
    for lib in (__import__("fastgd"), sklearn_lm):
        np.random.seed(3)           # random_state=None: numpy's global stream
        est = lib.SGDClassifier()
        for _ in range(3):
            est.partial_fit(X, Y_MULTI, classes=[0, 1, 2])
        models.append(est)
    _assert_equal_models(*models)


@pytest.mark.parametrize("loss", ["hinge", "log_loss", "modified_huber"])
def test_shuffled_held_out_accuracy_within_noise(loss):
    rng = np.random.default_rng(7)
    n, d = 4000, 20
    Xs = rng.standard_normal((n, d))
    y = np.digitize(Xs @ rng.standard_normal(d) + rng.standard_normal(n), [-1.0, 1.0])
    train, test = slice(0, 3000), slice(3000, None)
    scores = []
    for cls in (SGDClassifier, sklearn_lm.SGDClassifier):
        fits = [cls(loss=loss, random_state=seed).fit(Xs[train], y[train]).score(Xs[test], y[test])
                for seed in range(3)]
        scores.append(np.mean(fits))
    assert abs(scores[0] - scores[1]) < 0.03


def test_shuffled_held_out_r2_within_noise():
    rng = np.random.default_rng(8)
    Xs = rng.standard_normal((4000, 20))
    y = Xs @ rng.standard_normal(20) + 0.5 * rng.standard_normal(4000)
    ours = SGDRegressor(random_state=0).fit(Xs[:3000], y[:3000]).score(Xs[3000:], y[3000:])
    theirs = sklearn_lm.SGDRegressor(random_state=0).fit(Xs[:3000], y[:3000]).score(
        Xs[3000:], y[3000:])
    assert abs(ours - theirs) < 0.01


def _recorded_orders(monkeypatch):
    """The visiting orders the estimators pass to the compiled epoch."""
    from fastgd.kernels.plain_sgd import PlainSGDState
    orders, epoch = [], PlainSGDState.epoch

    def recording(self, X, y, sample_weight, order, skip, **config):
        orders.append(None if order is None else order.copy())
        return epoch(self, X, y, sample_weight, order, skip, **config)
    monkeypatch.setattr(PlainSGDState, "epoch", recording)
    return orders


@pytest.mark.parametrize("sparse", [False, True])
def test_shuffle_blocks_visits_a_fresh_block_order_each_epoch(monkeypatch, sparse):
    from fastgd.kernels import _common, block_geometry
    rng = np.random.default_rng(3)
    n = 3072                            # 192 blocks of 16 rows: 24 buffers of 8 blocks
    Xs = rng.standard_normal((n, 12))
    y = (Xs[:, 0] + 0.5 * rng.standard_normal(n) > 0).astype(int)
    Xs = sp.csr_matrix(Xs) if sparse else Xs
    orders = _recorded_orders(monkeypatch)
    kw = dict(shuffle="blocks", max_iter=3, tol=None, random_state=0)
    first = SGDClassifier(**kw).fit(Xs, y)
    block_size, buffer_blocks = block_geometry(Xs)
    assert (block_size, buffer_blocks) == (16, 8)
    assert len(orders) == 3 and not np.array_equal(orders[0], orders[1])
    for order in orders:
        assert np.array_equal(np.sort(order), np.arange(n))
        assert _common.is_block_order(order, block_size, buffer_blocks)
        # every 8 steps, a round: the same row of 8 blocks of 8 stretches
        rounds = order.reshape(-1, buffer_blocks)
        assert np.all(rounds % block_size == rounds[:, :1] % block_size)
        stretches = rounds // block_size // (n // block_size // buffer_blocks)
        assert np.all(np.sort(stretches, axis=1) == np.arange(buffer_blocks))
    again = SGDClassifier(**kw).fit(Xs, y)              # reproducible from random_state
    np.testing.assert_array_equal(again.coef_, first.coef_)
    assert all(np.array_equal(a, b) for a, b in zip(orders[:3], orders[3:]))


def test_shuffle_blocks_scores_as_a_full_shuffle_on_data_sorted_by_label(tmp_path):
    rng = np.random.default_rng(9)
    n, d = 6000, 20
    Xs = rng.standard_normal((n, d))
    y = (Xs @ rng.standard_normal(d) + rng.standard_normal(n) > 0).astype(int)
    test = slice(4000, None)
    train = np.argsort(y[:4000], kind="stable")         # stored sorted: the worst case
    X_train, y_train = Xs[train], y[train]
    path = tmp_path / "X.npy"
    np.save(path, X_train)
    mapped = np.load(path, mmap_mode="r")               # read in place, not copied
    scores = {}
    for shuffle, data in ((True, X_train), ("blocks", X_train), ("blocks", mapped)):
        fits = [SGDClassifier(loss="log_loss", shuffle=shuffle, random_state=seed)
                .fit(data, y_train).score(Xs[test], y[test]) for seed in range(3)]
        scores.setdefault(shuffle, []).append(np.mean(fits))
    for score in scores["blocks"]:                      # in memory, and from the file
        assert abs(score - scores[True][0]) < 0.02, scores
    reg = [SGDRegressor(shuffle=shuffle, random_state=0).fit(Xs[:4000], Xs[:4000, 0])
           .score(Xs[test], Xs[test, 0]) for shuffle in (True, "blocks")]
    assert abs(reg[0] - reg[1]) < 0.01


def test_shuffle_blocks_with_partial_fit_and_threads():
    rng = np.random.default_rng(4)
    Xs = rng.standard_normal((2000, 10))
    y = np.digitize(Xs[:, 0] + Xs[:, 1], [-1.0, 0.0, 1.0])
    one = SGDClassifier(shuffle="blocks", random_state=0, n_jobs=1).fit(Xs, y)
    two = SGDClassifier(shuffle="blocks", random_state=0, n_jobs=2).fit(Xs, y)
    np.testing.assert_array_equal(one.coef_, two.coef_)
    model = SGDClassifier(shuffle="blocks", random_state=0)
    for _ in range(3):
        model.partial_fit(Xs, y, classes=np.arange(4))
    assert model.score(Xs, y) > 0.6


# -- the estimators' own contract ---------------------------------------------

@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("cls, y", [("SGDClassifier", Y_BINARY), ("SGDClassifier", Y_MULTI),
                                    ("SGDRegressor", Y_REG)])
def test_random_state_streams_are_drawn_as_sklearn_draws_them(cls, y, early_stopping):
    """random_state=None draws from numpy's global stream: np.random.seed
    makes a fit reproducible, and the program's later np.random draws (or
    a RandomState it passed) see the stream where scikit-learn leaves it."""
    after = {}
    for lib in (__import__("fastgd"), sklearn_lm):
        est = getattr(lib, cls)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            coefs = []
            for _ in range(2):
                np.random.seed(42)
                coefs.append(est(early_stopping=early_stopping).fit(X, y).coef_)
            stream = np.random.RandomState(7)
            est(random_state=stream, early_stopping=early_stopping).fit(X, y)
        np.testing.assert_array_equal(coefs[0], coefs[1])
        after[lib] = (np.random.rand(), stream.rand())
    assert after[sklearn_lm] == after[__import__("fastgd")]


def test_threads_give_the_same_model_as_one():
    params = dict(loss="log_loss", random_state=0, max_iter=20, tol=None)
    one = SGDClassifier(n_jobs=1, **params).fit(X, Y_MULTI)
    two = SGDClassifier(n_jobs=2, **params).fit(X, Y_MULTI)
    np.testing.assert_array_equal(one.coef_, two.coef_)
    np.testing.assert_array_equal(one.intercept_, two.intercept_)


def test_float32_trains_in_float32():
    clf = SGDClassifier(random_state=0).fit(X.astype(np.float32), Y_MULTI)
    assert clf.coef_.dtype == np.float32 and clf.intercept_.dtype == np.float32
    reference = SGDClassifier(random_state=0).fit(X, Y_MULTI)
    assert abs(clf.score(X, Y_MULTI) - reference.score(X, Y_MULTI)) < 0.1


@pytest.mark.parametrize("average", [False, True, 10_000])
def test_float32_fits_have_sklearns_dtypes(average):
    """scikit-learn keeps coef_ in the input's float32, and intercept_ in
    float64 where its loop returns a Python float (binary fits without the
    average, every regressor fit): the same dtypes, so the same predictions."""
    X32 = X.astype(np.float32)
    for cls, y in (("SGDClassifier", Y_BINARY), ("SGDClassifier", Y_MULTI),
                   ("SGDRegressor", Y_REG)):
        ours, theirs = _fit_both(cls, dict(average=average, max_iter=5, tol=None,
                                           random_state=0), X32, y, None)
        assert ours.coef_.dtype == theirs.coef_.dtype
        assert ours.intercept_.dtype == theirs.intercept_.dtype
        assert ours.predict(X32).dtype == theirs.predict(X32).dtype


def test_probabilities_only_for_log_and_modified_huber():
    assert not hasattr(SGDClassifier(), "predict_proba")
    assert not hasattr(SGDClassifier(loss="hinge"), "predict_log_proba")
    for loss in ("log_loss", "modified_huber"):
        clf = SGDClassifier(loss=loss, random_state=0).fit(X, Y_MULTI)
        proba = clf.predict_proba(X)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        params = dict(loss=loss, shuffle=False, alpha=0.01, max_iter=8, tol=None)
        theirs = sklearn_lm.SGDClassifier(**params).fit(X, Y_MULTI)
        ours = SGDClassifier(**params).fit(X, Y_MULTI)
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-8,
                                   atol=1e-12)
        with np.errstate(divide="ignore"):
            np.testing.assert_allclose(ours.predict_log_proba(X), theirs.predict_log_proba(X),
                                       rtol=1e-8, atol=1e-12)


def test_probability_methods_go_by_their_names():
    """scikit-learn's helpers pick the positive class's column of a binary
    predict_proba by the method's name: thresholds, calibration and partial
    dependence then work as with scikit-learn's estimator."""
    from sklearn.inspection import partial_dependence
    from sklearn.model_selection import FixedThresholdClassifier
    clf = SGDClassifier(loss="log_loss", shuffle=False, random_state=0).fit(X, Y_BINARY)
    assert clf.predict_proba.__name__ == "predict_proba"
    assert clf.predict_log_proba.__name__ == "predict_log_proba"
    np.testing.assert_array_equal(SGDClassifier.predict_proba(clf, X), clf.predict_proba(X))
    with pytest.raises(AttributeError, match="hinge"):
        SGDClassifier.predict_proba(SGDClassifier(), X)
    params = dict(loss="log_loss", shuffle=False, random_state=0)
    for threshold in (0.3, 0.7):
        ours, theirs = (FixedThresholdClassifier(est, threshold=threshold,
                                                 response_method="predict_proba").fit(X, Y_BINARY)
                        for est in (SGDClassifier(**params), sklearn_lm.SGDClassifier(**params)))
        np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    theirs = sklearn_lm.SGDClassifier(**params).fit(X, Y_BINARY)
    ours, theirs = (partial_dependence(est, X, [0], grid_resolution=5,
                                       response_method="predict_proba")["average"]
                    for est in (clf, theirs))
    assert ours.shape == theirs.shape == (1, 5)
    np.testing.assert_allclose(ours, theirs, rtol=1e-8)


def test_loss_functions_list_sklearns_losses():
    """Code that lists the valid losses from the class finds the same names."""
    for name in ("SGDClassifier", "SGDRegressor"):
        assert (set(getattr(__import__("fastgd"), name).loss_functions)
                == set(getattr(sklearn_lm, name).loss_functions))


def test_a_model_set_by_hand_predicts_as_sklearns():
    """Parameters loaded from elsewhere (no n_features_in_) still predict."""
    for lib in (__import__("fastgd"), sklearn_lm):
        model = lib.SGDClassifier()
        model.coef_, model.intercept_ = np.array([[1.0, -2.0, 0.5]]), np.array([0.1])
        model.classes_ = np.array([3, 7])
        np.testing.assert_array_equal(model.predict(np.eye(3)), [7, 3, 7])


def test_sparsify_and_densify_keep_the_predictions():
    clf = SGDClassifier(penalty="l1", random_state=0).fit(X, Y_MULTI)
    dense = clf.decision_function(X)
    assert sp.issparse(clf.sparsify().coef_)
    np.testing.assert_allclose(clf.decision_function(sp.csr_matrix(X)), dense)
    np.testing.assert_allclose(clf.decision_function(X), dense)
    assert isinstance(clf.densify().coef_, np.ndarray)
    np.testing.assert_allclose(clf.decision_function(X), dense)


def test_probabilities_keep_their_digits_in_the_tails():
    clf = SGDClassifier(loss="log_loss", random_state=0).fit(X, Y_BINARY)
    clf.coef_ = clf.coef_ * 0.0
    clf.intercept_ = np.array([-400.0])
    proba = clf.predict_proba(X[:1])
    assert proba[0, 1] == pytest.approx(np.exp(-400.0), rel=1e-12)
    assert clf.predict_log_proba(X[:1])[0, 1] == pytest.approx(-400.0, rel=1e-12)


def test_regressor_sparsify_keeps_the_shape_of_coef():
    reg = SGDRegressor(penalty="l1", random_state=0).fit(X, Y_REG)
    dense = reg.predict(X)
    one_dimensional = sp.csr_array(np.ones(3)).ndim == 1       # scipy >= 1.13
    assert reg.sparsify().coef_.shape == ((X.shape[1],) if one_dimensional
                                          else (1, X.shape[1]))
    np.testing.assert_allclose(reg.predict(X), dense)
    assert reg.densify().coef_.shape == (X.shape[1],)
    np.testing.assert_allclose(reg.predict(X), dense)
    reg.partial_fit(X, Y_REG)
    assert reg.coef_.shape == (X.shape[1],)


def test_sparsify_follows_sklearns_sparse_interface():
    sklearn = pytest.importorskip("sklearn")
    if "sparse_interface" not in sklearn.get_config():
        pytest.skip("this scikit-learn has no sparse_interface setting")
    clf = SGDClassifier(random_state=0).fit(X, Y_BINARY)
    with sklearn.config_context(sparse_interface="sparray"):
        assert isinstance(clf.sparsify().coef_, sp.csr_array)
    assert isinstance(clf.densify().sparsify().coef_, sp.csr_matrix)


def test_non_numeric_data_raise_what_sklearn_code_catches():
    """scikit-learn raises ValueError for strings in X or sample_weight;
    fastgd's InvalidDataError is a ValueError and a TypeError."""
    strings = X.astype(str)
    strings[0, 0] = "a"
    for call in (lambda: SGDClassifier().fit(strings, Y_BINARY),
                 lambda: SGDRegressor().fit(X, Y_REG, sample_weight=np.array(["a"] * len(X)))):
        with pytest.raises(ValueError, match="must hold numbers"):
            call()
        with pytest.raises(TypeError, match="must hold numbers"):
            call()
    with pytest.raises(ValueError, match="random_state"):
        SGDClassifier(random_state="a").fit(X, Y_BINARY)


def test_string_labels_held_as_objects_give_string_classes():
    labels = np.where(Y_BINARY == 1, "spam", "ham").astype(object)
    clf = SGDClassifier(random_state=0).fit(X, labels)
    assert clf.classes_.dtype.kind == "U" and clf.predict(X).dtype.kind == "U"
    online = SGDClassifier(random_state=0).partial_fit(X, labels, classes=["spam", "ham"])
    assert online.partial_fit(X, labels).classes_.dtype.kind == "U"
    assert clf.score(X, labels) == pytest.approx(np.mean(clf.predict(X) == labels))


def test_verbose_takes_a_bool(capsys):
    SGDClassifier(verbose=False, max_iter=2, tol=None).fit(X, Y_BINARY)
    assert capsys.readouterr().out == ""
    SGDClassifier(verbose=True, max_iter=2, tol=None).fit(X, Y_BINARY)
    assert "Epoch 2" in capsys.readouterr().out


def _printed(capsys, estimator, *args):
    """What a verbose fit prints, its timings blanked (they differ run to run)."""
    import re
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator.fit(*args)
    return re.sub(r"\d+\.\d\d seconds", "- seconds", capsys.readouterr().out)


@pytest.mark.skipif(not SKLEARN_STOPS_ON_OBJECTIVE,
                    reason="scikit-learn before 1.8 prints another objective")
@pytest.mark.parametrize("cls, y, params", [
    ("SGDClassifier", Y_BINARY, dict(max_iter=40)),                 # stops: Convergence line
    ("SGDClassifier", Y_MULTI, dict(max_iter=3, tol=None)),          # a problem a class
    ("SGDClassifier", Y_BINARY, dict(early_stopping=True, max_iter=5)),
    ("SGDRegressor", Y_REG, dict(penalty="elasticnet", average=True, max_iter=4)),
    ("SGDClassifier", Y_BINARY, dict(penalty="l1", max_iter=4, tol=None)),
    ("SGDClassifier", Y_MULTI, dict(penalty=None, max_iter=3, tol=None)),
])
@pytest.mark.parametrize("sparse", [False, True])
def test_verbose_output_is_sklearns(capsys, cls, y, params, sparse):
    """Log parsers written for scikit-learn's lines read fastgd's."""
    params = dict(verbose=1, shuffle=False, random_state=0, **params)
    Xs = sp.csr_matrix(X) if sparse else X
    ours = _printed(capsys, getattr(__import__("fastgd"), cls)(**params), Xs, y)
    theirs = _printed(capsys, getattr(sklearn_lm, cls)(**params), Xs, y)
    assert "Norm: " in ours and "Avg. loss: " in ours
    assert ours == theirs


@pytest.mark.skipif(not SKLEARN_STOPS_ON_OBJECTIVE,
                    reason="scikit-learn before 1.8 stops on another objective")
@pytest.mark.parametrize("seed", range(6))
def test_log_loss_rounds_as_sklearn_over_many_steps(seed):
    """The logistic loss rounded by another formula differs from
    scikit-learn's by ulps a step; at the 'optimal' rate over thousands of
    steps that moved the epoch at which the objective stopped improving
    (26 against 132 epochs on one of these sets), and averaged multi-class
    coefficients by 0.6%.  Sequential fits round as scikit-learn does."""
    rng = np.random.RandomState(seed)
    Xs = rng.randn(200, 5)
    y = (Xs @ rng.randn(5, 3) + 0.5 * rng.randn(200, 3)).argmax(1)
    for labels, average in ((y, True), ((y == 2).astype(int), False)):
        ours, theirs = _fit_both("SGDClassifier", dict(loss="log_loss", shuffle=False,
                                                       average=average), Xs, labels, None)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-12, atol=1e-13)
        assert ours.n_iter_ == theirs.n_iter_


@pytest.mark.parametrize("cls, y", [("SGDClassifier", Y_MULTI), ("SGDRegressor", Y_REG)])
def test_negative_sample_weights_train_as_in_sklearn(cls, y):
    """scikit-learn's SGD estimators take signed weights (each multiplies
    its step), so fastgd's do."""
    sw = SW.copy()
    sw[::7] *= -1.0
    ours, theirs = _fit_both(cls, dict(shuffle=False, max_iter=5, tol=None), X, y, sw)
    _assert_equal_models(ours, theirs)
    # all-zero weights are refused (scikit-learn refuses them from 1.8 on)
    estimators = [getattr(__import__("fastgd"), cls)()]
    if SKLEARN_STOPS_ON_OBJECTIVE:
        estimators.append(getattr(sklearn_lm, cls)())
    for est in estimators:
        with pytest.raises(ValueError, match="(?i)non-zero"):
            est.fit(X, y, sample_weight=np.zeros(X.shape[0]))


@pytest.mark.parametrize("name, value", [
    ("tol", np.inf), ("power_t", np.inf), ("power_t", -np.inf), ("eta0", np.inf),
    ("alpha", np.inf), ("epsilon", np.inf), ("alpha", np.nan), ("l1_ratio", np.nan),
])
def test_infinite_parameters_refused_as_in_sklearn(name, value):
    """A side of a parameter's range without a bound is open, as in
    scikit-learn's Interval: tol=inf would never stop a fit."""
    from fastgd.exceptions import InvalidParameterError
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter of SGDRegressor"):
        SGDRegressor(**{name: value}).fit(X, Y_REG)
    with pytest.raises(ValueError, match=name):
        sklearn_lm.SGDRegressor(**{name: value}).fit(X, Y_REG)


def test_subclasses_that_fix_or_add_parameters_work():
    class LogisticSGD(SGDClassifier):
        def __init__(self, alpha=1e-4):
            super().__init__(loss="log_loss", alpha=alpha)

    class WithThreshold(SGDClassifier):
        def __init__(self, alpha=1e-4, threshold=0.5):
            super().__init__(alpha=alpha)
            self.threshold = threshold

    class ComparedByParameters(SGDRegressor):     # __eq__ without __hash__: unhashable
        def __eq__(self, other):
            return self.get_params() == other.get_params()

    assert LogisticSGD().fit(X, Y_BINARY).predict_proba(X).shape == (X.shape[0], 2)
    assert WithThreshold(threshold=0.2).fit(X, Y_BINARY).threshold == 0.2
    a, b = ComparedByParameters(random_state=0), ComparedByParameters(random_state=0)
    assert a == b
    a.fit(X, Y_REG)
    b.partial_fit(X, Y_REG)
    assert a.predict(X).shape == b.predict(X).shape == (X.shape[0],)


def test_inputs_are_never_modified():
    Xc, y, sw = X.copy(), Y_MULTI.copy(), SW.copy()
    SGDClassifier(random_state=0).fit(Xc, y, sample_weight=sw)
    SGDRegressor(random_state=0).partial_fit(Xc, Y_REG, sample_weight=sw)
    np.testing.assert_array_equal(Xc, X)
    np.testing.assert_array_equal(y, Y_MULTI)
    np.testing.assert_array_equal(sw, SW)


@pytest.mark.parametrize("params, error, word", [
    (dict(loss="hinge_loss"), ValueError, "loss"),
    (dict(penalty="l3"), ValueError, "penalty"),
    (dict(alpha=-1.0), ValueError, "alpha"),
    (dict(l1_ratio=1.5), ValueError, "l1_ratio"),
    (dict(learning_rate="fast"), ValueError, "learning_rate"),
    (dict(eta0=0.0), ValueError, "eta0"),
    (dict(max_iter=0), ValueError, "max_iter"),
    (dict(max_iter=2.5), TypeError, "max_iter"),
    (dict(average=-3), ValueError, "average"),
    (dict(validation_fraction=1.0), ValueError, "validation_fraction"),
    (dict(alpha=0.0), ValueError, "alpha"),     # the 'optimal' rate divides by it
    (dict(penalty="elasticnet", l1_ratio=None), ValueError, "l1_ratio"),
    (dict(shuffle="yes"), TypeError, "shuffle"),
    (dict(shuffle="block"), ValueError, "shuffle"),
    (dict(class_weight="auto"), ValueError, "class_weight"),
])
def test_bad_parameters_name_the_argument(params, error, word):
    with pytest.raises(error, match=word):
        SGDClassifier(**params).fit(X, Y_MULTI)


def test_bad_calls_raise_clear_errors():
    with pytest.raises(NotFittedError):
        SGDClassifier().predict(X)
    with pytest.raises(ValueError, match="classes"):
        SGDClassifier().partial_fit(X, Y_MULTI)
    clf = SGDClassifier().partial_fit(X, Y_MULTI, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, Y_MULTI, classes=[0, 1])
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :3], Y_MULTI)
    with pytest.raises(ValueError, match="early_stopping"):
        SGDClassifier(early_stopping=True).partial_fit(X, Y_MULTI, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="balanced"):
        SGDClassifier(class_weight="balanced").partial_fit(X, Y_MULTI, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="coef_init"):
        SGDClassifier().fit(X, Y_MULTI, coef_init=np.zeros((2, X.shape[1])))
    with pytest.raises(ValueError, match="class"):
        SGDClassifier().fit(X, np.zeros(X.shape[0]))
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN|finite"):
        SGDRegressor().fit(bad, Y_REG)


@pytest.mark.parametrize("sparse", [False, True])
def test_assume_finite_skips_the_scan_as_in_scikit_learn(sparse):
    """Under sklearn.config_context(assume_finite=True) X is not scanned for
    NaN: the loop meets it as scikit-learn's does.  The hinge step of a NaN
    row is no step (the same model), a squared loss overflows and raises."""
    sklearn = pytest.importorskip("sklearn")
    bad = X.copy()
    bad[3, 1] = np.nan
    data = sp.csr_matrix(bad) if sparse else bad
    kw = dict(max_iter=5, tol=None, shuffle=False)
    with pytest.raises(ValueError, match="NaN"):
        SGDClassifier(**kw).fit(data, Y_BINARY)
    with sklearn.config_context(assume_finite=True):
        ours = SGDClassifier(**kw).fit(data, Y_BINARY)
        theirs = sklearn_lm.SGDClassifier(**kw).fit(data, Y_BINARY)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-8)
        np.testing.assert_array_equal(ours.predict(data), theirs.predict(data))
        with pytest.raises(ValueError, match="under-/overflow"):
            sklearn_lm.SGDRegressor(**kw).fit(data, Y_REG)
        with pytest.raises(ValueError, match="under-/overflow"):
            SGDRegressor(**kw).fit(data, Y_REG)
    with pytest.raises(ValueError, match="NaN"):
        ours.predict(data)


def test_divergence_raises_instead_of_a_nan_model():
    huge = X * 1e200
    with pytest.raises(ValueError, match="under-/overflow"):
        SGDRegressor(learning_rate="constant", eta0=1.0, shuffle=False).fit(huge, Y_REG * 1e200)


def test_early_stopping_stops_on_the_held_out_score():
    rng = np.random.default_rng(0)
    Xs = rng.standard_normal((600, 5))
    y = (Xs[:, 0] > 0).astype(int)
    clf = SGDClassifier(early_stopping=True, random_state=0, max_iter=1000).fit(Xs, y)
    assert clf.n_iter_ < 1000 and clf.score(Xs, y) > 0.9
    reg = SGDRegressor(early_stopping=True, random_state=0).fit(Xs, Xs[:, 0])
    assert reg.n_iter_ < 1000 and reg.score(Xs, Xs[:, 0]) > 0.9


def test_nullable_pandas_targets_are_read_as_floats_as_scikit_learn_reads_them():
    """An Int64 or Float64 column as y: float classes (and predictions), as
    scikit-learn's; a pd.NA label is named as NaN."""
    pd = pytest.importorskip("pandas")
    y = pd.Series(Y_MULTI, dtype="Int64")
    clf = SGDClassifier(random_state=0).fit(X, y)
    assert clf.classes_.dtype == np.float64 and clf.predict(X).dtype == np.float64
    np.testing.assert_array_equal(clf.classes_, np.unique(Y_MULTI).astype(float))
    np.testing.assert_array_equal(
        clf.coef_, SGDClassifier(random_state=0).fit(X, Y_MULTI.astype(float)).coef_)
    missing = y.copy()
    missing[3] = pd.NA
    with pytest.raises(ValueError, match="NaN"):
        SGDClassifier().fit(X, missing)
    target = pd.Series(X[:, 0], dtype="Float64")
    np.testing.assert_array_equal(SGDRegressor(random_state=0).fit(X, target).coef_,
                                  SGDRegressor(random_state=0).fit(X, X[:, 0]).coef_)
    assert clf.classes_.dtype == sklearn_lm.SGDClassifier().fit(X, y).classes_.dtype


def test_feature_names_are_kept():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    clf = SGDClassifier(random_state=0).fit(frame, Y_MULTI)
    assert list(clf.feature_names_in_) == list(frame.columns)
    assert clf.n_features_in_ == X.shape[1]


@pytest.mark.parametrize("params", [
    dict(loss="bogus"), dict(penalty="l3"), dict(learning_rate="fast"), dict(alpha="x"),
    dict(tol=-1.0), dict(l1_ratio=2.0), dict(max_iter=2.5), dict(n_iter_no_change=0),
    dict(average=-3), dict(verbose=-1), dict(early_stopping=1), dict(warm_start=None),
    dict(class_weight="auto"), dict(n_jobs="x"), dict(eta0=0.0), dict(validation_fraction=1.0),
])
@pytest.mark.skipif(not SKLEARN_STOPS_ON_OBJECTIVE,
                    reason="the wording and options of scikit-learn 1.8 and later")
def test_parameter_messages_are_sklearns(params):
    """Tests and wrappers match on scikit-learn's wording; the sets of
    options are compared as sets (scikit-learn prints a set's own order)."""
    import re

    def message(cls):
        with pytest.raises(ValueError) as info:
            cls(**params).fit(X, Y_MULTI)
        return re.sub(r"\{([^}]*)\}", lambda m: str(sorted(m.group(1).split(", "))),
                      str(info.value))
    assert message(SGDClassifier) == message(sklearn_lm.SGDClassifier)


def test_parameter_errors_are_value_and_type_errors_as_in_sklearn():
    """scikit-learn's InvalidParameterError is both: code catching either
    kind for scikit-learn's estimators catches fastgd's."""
    for params in (dict(max_iter=2.5), dict(alpha=-1.0), dict(loss="nope")):
        for kind in (ValueError, TypeError):
            with pytest.raises(kind):
                SGDClassifier(**params).fit(X, Y_MULTI)
            with pytest.raises(kind):
                sklearn_lm.SGDClassifier(**params).fit(X, Y_MULTI)


@pytest.mark.skipif(not SKLEARN_STOPS_ON_OBJECTIVE,
                    reason="scikit-learn deprecated a negative power_t in 1.8")
@pytest.mark.parametrize("cls", ["SGDClassifier", "SGDRegressor"])
def test_a_negative_power_t_warns_in_scikit_learns_words(cls):
    messages = []
    for lib in (__import__("fastgd"), sklearn_lm):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            getattr(lib, cls)(power_t=-0.5, learning_rate="invscaling", max_iter=3,
                              tol=None).fit(X, Y_BINARY)
        messages.append([str(w.message) for w in caught if w.category is FutureWarning])
    assert messages[0] == messages[1] and len(messages[0]) == 1
