"""MLPClassifier and MLPRegressor: training, reproducibility, dtypes, the
scikit-learn parameter layout, digits accuracy beside scikit-learn's, multilabel and
regression, bad input, divergence, and scikit-learn's estimator checks.

The kernels' gradients are checked against finite differences and the
reference in tests/kernels/test_mlp.py; here the estimators are tested on top of
them.
"""
import warnings

import numpy as np
from numpy.testing import assert_array_equal
import pytest
import scipy.sparse as sp

from fastgd.reference import mlp as ref
from fastgd.exceptions import ConvergenceWarning, DivergenceError, NotFittedError
from fastgd.neural_network import MLPClassifier, MLPRegressor
from fastgd.neural_network._multilayer_perceptron import AUTO_PLAIN_RATE
from fastgd.optim import make_rule

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import (load_diabetes, load_digits,  # noqa: E402
                              make_classification, make_multilabel_classification)
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier as SkMLPClassifier  # noqa: E402
from sklearn.neural_network import MLPRegressor as SkMLPRegressor  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

# Short fits stop at max_epochs on purpose; the warning has its own test.
pytestmark = pytest.mark.filterwarnings("ignore::" + ConvergenceWarning.__module__ + "."
                                        + ConvergenceWarning.__name__)

SOLVERS = ("gd", "sgd", "minibatch")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")


def blobs(n=240, d=6, k=3, seed=0, dtype=np.float64):
    """A standardized multiclass problem a small network learns well."""
    X, y = make_classification(n_samples=n, n_features=d, n_informative=4,
                               n_redundant=0, n_classes=k, n_clusters_per_class=1,
                               class_sep=2.0, random_state=seed)
    return StandardScaler().fit_transform(X).astype(dtype), y


def flat_theta(est):
    """The flat parameter vector, rebuilt from the public attributes."""
    return np.concatenate([c.ravel() for c in est.coefs_] + [b.ravel() for b in est.intercepts_])


def layer_sizes(est):
    return [est.coefs_[0].shape[0]] + [c.shape[1] for c in est.coefs_]


# --- training ----------------------------------------------------------------

@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_solver_and_rule_decreases_the_loss(solver, optimizer):
    X, y = blobs()
    # the adaptive rules' torch default rates (1e-3...) are made for long
    # runs; a larger rate shows the decrease in a few epochs (and full batch
    # takes one step per epoch, so it gets more of them)
    rate = "auto" if optimizer in ("sgd", "momentum", "nesterov") else (
        0.05 if solver == "gd" else 0.01)
    epochs = 200 if solver == "gd" else 40
    clf = MLPClassifier((10,), solver=solver, optimizer=optimizer, learning_rate=rate,
                        batch_size=32, max_epochs=epochs, tol=None, random_state=0).fit(X, y)
    history = clf.loss_history_
    assert len(history) == clf.n_iter_ == epochs
    assert history[-1] < 0.8 * history[0]
    assert clf.t_ == epochs * {"gd": 1, "sgd": len(X), "minibatch": -(-len(X) // 32)}[solver]
    assert clf.score(X, y) > 0.9


@pytest.mark.parametrize("activation", ["sigmoid", "logistic", "tanh", "relu"])
def test_activations_and_depth(activation):
    X, y = blobs()
    clf = MLPClassifier((8, 6, 5), activation=activation, optimizer="adam",
                        learning_rate=0.01, max_epochs=60, batch_size=32, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    assert clf.n_layers_ == 5
    assert [c.shape for c in clf.coefs_] == [(6, 8), (8, 6), (6, 5), (5, 3)]
    assert [b.shape for b in clf.intercepts_] == [(8,), (6,), (5,), (3,)]
    assert clf.out_activation_ == "softmax" and clf.n_outputs_ == 3
    assert clf.loss_history_[-1] < 0.5 * clf.loss_history_[0]


def test_same_seed_gives_identical_results_and_another_seed_does_not():
    X, y = blobs()
    kw = dict(hidden_layer_sizes=(7,), batch_size=16, max_epochs=5, tol=None)
    a = MLPClassifier(random_state=3, **kw).fit(X, y)
    b = MLPClassifier(random_state=3, **kw).fit(X, y)
    c = MLPClassifier(random_state=4, **kw).fit(X, y)
    np.testing.assert_array_equal(flat_theta(a), flat_theta(b))
    assert a.loss_history_ == b.loss_history_
    assert not np.array_equal(flat_theta(a), flat_theta(c))


def test_initial_weights_are_glorot_uniform_and_biases_zero():
    X, y = blobs(n=50, d=30)
    # one step at a tiny rate leaves the draw visible
    clf = MLPClassifier((40,), solver="gd", learning_rate=1e-12, max_epochs=1,
                        tol=None, random_state=0).fit(X, y)
    for W, (fan_in, fan_out) in zip(clf.coefs_, [(30, 40), (40, 3)]):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        assert np.abs(W).max() <= bound
        assert np.abs(W).max() > 0.9 * bound          # spread over the whole range
        assert abs(W.mean()) < 0.1 * bound
    for b in clf.intercepts_:
        assert np.abs(b).max() < 1e-9


def test_float32_trains_in_float32():
    X, y = blobs(dtype=np.float32)
    kw = dict(hidden_layer_sizes=(8,), batch_size=32, max_epochs=10, tol=None, random_state=0)
    clf32 = MLPClassifier(**kw).fit(X, y)
    assert all(c.dtype == np.float32 for c in clf32.coefs_ + clf32.intercepts_)
    assert clf32.predict_proba(X).dtype == np.float32
    assert clf32.loss_history_[-1] < clf32.loss_history_[0]
    # the same seed draws the same initial weights: float64 training of the
    # same data follows the same path up to float32 rounding
    clf64 = MLPClassifier(**kw).fit(X.astype(np.float64), y)
    assert clf64.coefs_[0].dtype == np.float64
    np.testing.assert_allclose(clf32.predict_proba(X), clf64.predict_proba(X), atol=1e-3)
    np.testing.assert_allclose(clf32.loss_history_, clf64.loss_history_, rtol=1e-4)


def test_early_stopping_records_validation_scores():
    X, y = blobs(n=400)
    clf = MLPClassifier((10,), optimizer="adam", learning_rate=0.01, early_stopping=True,
                        validation_fraction=0.2, n_iter_no_change=3, max_epochs=300,
                        random_state=0).fit(X, y)
    assert clf.converged_ and clf.n_iter_ < 300
    assert len(clf.validation_scores_) == clf.n_iter_
    assert max(clf.validation_scores_) > 0.85
    assert all(0.0 <= s <= 1.0 for s in clf.validation_scores_)


def test_sample_weight_of_two_equals_a_repeated_row():
    X, y = blobs(n=60)
    sw = np.ones(len(X))
    sw[:5] = 2.0
    Xr, yr = np.vstack([X, X[:5]]), np.concatenate([y, y[:5]])
    kw = dict(hidden_layer_sizes=(6,), solver="gd", learning_rate=0.5, max_epochs=20,
              tol=None, random_state=0)
    a = MLPClassifier(**kw).fit(X, y, sample_weight=sw)
    b = MLPClassifier(**kw).fit(Xr, yr)
    # same initial draw (it depends on the shapes only), same full-batch
    # objective: the same path up to the summation order
    np.testing.assert_allclose(flat_theta(a), flat_theta(b), rtol=1e-9, atol=1e-12)


# --- the parameters are views of theta, in scikit-learn's layout ---------------

def test_coefs_and_intercepts_are_views_that_partial_fit_updates():
    X, y = blobs()
    clf = MLPClassifier((5,), batch_size=32, random_state=0)
    clf.partial_fit(X, y, classes=np.unique(y))
    W0, b1 = clf.coefs_[0], clf.intercepts_[1]
    W0_before, b1_before = W0.copy(), b1.copy()
    t_before = clf.t_
    clf.partial_fit(X, y)
    assert clf.t_ == t_before + -(-len(X) // 32)
    # the arrays the user holds moved with the model
    assert not np.array_equal(W0, W0_before) and not np.array_equal(b1, b1_before)
    np.testing.assert_array_equal(W0, clf.coefs_[0])
    assert np.shares_memory(W0, clf.coefs_[0]) and np.shares_memory(b1, clf.intercepts_[1])
    # and writing into them changes the model
    p = clf.predict_proba(X)
    clf.coefs_[1][...] = 0.0
    clf.intercepts_[1][...] = 0.0
    np.testing.assert_allclose(clf.predict_proba(X), 1.0 / 3.0, rtol=1e-12)
    assert not np.allclose(p, 1.0 / 3.0)


@pytest.mark.parametrize("solver", SOLVERS)
def test_views_survive_pickle_and_deepcopy(solver):
    import copy
    import pickle
    X, y = blobs()
    kw = dict(hidden_layer_sizes=(5,), solver=solver, batch_size=32, random_state=0)
    clf = MLPClassifier(**kw).partial_fit(X, y, classes=np.unique(y))
    for twin in (pickle.loads(pickle.dumps(clf)), copy.deepcopy(clf)):
        np.testing.assert_array_equal(twin.predict_proba(X), clf.predict_proba(X))
        W0 = twin.coefs_[0]
        before = W0.copy()
        twin.partial_fit(X, y)
        assert not np.array_equal(W0, before)
        np.testing.assert_array_equal(W0, twin.coefs_[0])
    # the copies trained on as the original does
    clf.partial_fit(X, y)
    np.testing.assert_array_equal(flat_theta(twin), flat_theta(clf))


def _sklearn_twin(est, X, y, **kw):
    """A fitted scikit-learn MLP of the same shape, its parameters then
    overwritten with copies of ours."""
    cls = SkMLPClassifier if isinstance(est, MLPClassifier) else SkMLPRegressor
    sk = cls(hidden_layer_sizes=est.hidden_layer_sizes, max_iter=1, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk.fit(X, y)
    assert [c.shape for c in sk.coefs_] == [c.shape for c in est.coefs_]
    assert [b.shape for b in sk.intercepts_] == [b.shape for b in est.intercepts_]
    assert sk.n_layers_ == est.n_layers_ and sk.n_outputs_ == est.n_outputs_
    assert sk.out_activation_ == est.out_activation_
    sk.coefs_ = [c.copy() for c in est.coefs_]
    sk.intercepts_ = [b.copy() for b in est.intercepts_]
    return sk


@pytest.mark.parametrize("n_classes", [2, 4])
def test_layout_matches_sklearn_classifier(n_classes):
    """Our coefs_ / intercepts_ put into scikit-learn's MLPClassifier give our
    probabilities: the same layout, sigmoid = its 'logistic', softmax
    (multiclass) and logistic (binary) outputs alike."""
    X, y = blobs(k=n_classes)
    clf = MLPClassifier((7, 5), activation="sigmoid", max_epochs=20, batch_size=32,
                        random_state=0).fit(X, y)
    sk = _sklearn_twin(clf, X, y, activation="logistic")
    np.testing.assert_allclose(clf.predict_proba(X), sk.predict_proba(X), rtol=1e-10, atol=1e-15)
    np.testing.assert_array_equal(clf.predict(X), sk.predict(X))


def test_layout_matches_sklearn_multilabel_and_regressor():
    X, Y = make_multilabel_classification(n_samples=120, n_features=6, n_classes=4,
                                          random_state=0)
    X = StandardScaler().fit_transform(X)
    clf = MLPClassifier((6,), activation="tanh", max_epochs=10, batch_size=32,
                        random_state=0).fit(X, Y)
    sk = _sklearn_twin(clf, X, Y, activation="tanh")
    np.testing.assert_allclose(clf.predict_proba(X), sk.predict_proba(X), rtol=1e-10, atol=1e-15)
    np.testing.assert_array_equal(clf.predict(X), sk.predict(X))

    y2 = np.column_stack([X[:, 0] - X[:, 1], X[:, 2] * X[:, 3]])
    reg = MLPRegressor((9,), activation="relu", max_epochs=10, batch_size=32,
                       random_state=0).fit(X, y2)
    sk = _sklearn_twin(reg, X, y2, activation="relu")
    np.testing.assert_allclose(reg.predict(X), sk.predict(X), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("batch_size", [200, 50])
def test_alpha_maps_to_sklearn_alpha_over_batch_size(batch_size):
    """scikit-learn adds alpha_sk / (2 B) ||W||^2 to each batch's mean loss;
    fastgd adds alpha / 2 ||W||^2.  From the same parameters, one epoch of
    plain SGD with alpha = alpha_sk / B takes the same steps."""
    X, y = blobs(n=200)
    alpha_sk, lr = 0.5, 0.3
    clf = MLPClassifier((6,), optimizer="sgd", learning_rate=lr, alpha=alpha_sk / batch_size,
                        batch_size=batch_size, shuffle=False, random_state=0)
    clf.partial_fit(X, y, classes=np.unique(y))
    sk = _sklearn_twin(clf, X, y, activation="logistic", solver="sgd", momentum=0.0,
                       learning_rate_init=lr, alpha=alpha_sk, batch_size=batch_size,
                       shuffle=False)
    clf.partial_fit(X, y)
    sk.partial_fit(X, y)
    for ours, theirs in zip(clf.coefs_ + clf.intercepts_, sk.coefs_ + sk.intercepts_):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)


# --- digits: the accuracy of scikit-learn's network ------------------------------

@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_digits_accuracy_at_least_sklearn(solver):
    """On the bundled digits (inputs / 16), a (25,) sigmoid network reaches
    scikit-learn's test accuracy with the same architecture, penalty
    (alpha = alpha_sk / batch_size), update rule, batch size, epochs and
    stopping rule.

    The two start from different initial weights (scikit-learn draws from
    +-sqrt(2 / (fan_in + fan_out)) for the logistic activation with its own
    random stream), so at a given seed either can land a few test digits
    ahead: one seed's accuracy on 450 digits varies by about +-1% across
    seeds.  The comparison is therefore of the mean over three seeds, with a
    margin of 0.01 (about 1.5 standard deviations of a three-seed mean) so
    that it tests "as accurate", not the luck of one draw.
    """
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.25, random_state=0, stratify=y)
    alpha_sk, batch = 1e-4, 200
    if solver == "adam":
        sk_kw, our_kw = dict(solver="adam", learning_rate_init=1e-3), dict(optimizer="adam",
                                                                            learning_rate=1e-3)
    else:
        # scikit-learn's 'sgd' is Nesterov momentum 0.9, the same formula as
        # torch's (v = mu v - eta g, w += mu v - eta g)
        sk_kw = dict(solver="sgd", learning_rate_init=0.1, momentum=0.9, nesterovs_momentum=True)
        our_kw = dict(optimizer="nesterov", learning_rate=0.1, momentum=0.9)
    ours, theirs = [], []
    for seed in range(3):
        sk = SkMLPClassifier((25,), activation="logistic", alpha=alpha_sk, batch_size=batch,
                             max_iter=200, tol=1e-4, n_iter_no_change=10, random_state=seed,
                             **sk_kw)
        clf = MLPClassifier((25,), activation="sigmoid", alpha=alpha_sk / batch,
                            batch_size=batch, max_epochs=200, tol=1e-4, n_iter_no_change=10,
                            random_state=seed, **our_kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # both may stop at max_epochs
            sk.fit(X_train, y_train)
            clf.fit(X_train, y_train)
        theirs.append(sk.score(X_test, y_test))
        ours.append(clf.score(X_test, y_test))
    assert np.mean(ours) >= np.mean(theirs) - 0.01, (ours, theirs)
    assert min(ours) > 0.93


# --- multilabel and regression ---------------------------------------------------

def test_multilabel_uses_k_sigmoid_outputs_and_the_textbook_cost():
    X, Y = make_multilabel_classification(n_samples=300, n_features=10, n_classes=4,
                                          random_state=1)
    X = StandardScaler().fit_transform(X)
    clf = MLPClassifier((16,), solver="gd", optimizer="adam", learning_rate=0.05,
                        alpha=1e-3, max_epochs=150, tol=None, random_state=0).fit(X, Y)
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 4
    np.testing.assert_array_equal(clf.classes_, np.arange(4))
    pred = clf.predict(X)
    assert pred.shape == Y.shape and set(np.unique(pred)) <= {0, 1}
    P = clf.predict_proba(X)
    assert P.shape == Y.shape and (P > 0).all() and (P < 1).all()
    np.testing.assert_array_equal(pred, (P > 0.5).astype(int))
    # better than predicting each label's majority value
    baseline = np.mean((Y == (Y.mean(axis=0) > 0.5)).all(axis=1))
    assert clf.score(X, Y) > baseline + 0.2
    # the reported objective is the textbook cost, sum over labels of the
    # cross-entropy, mean over samples, plus alpha/2 ||W||^2
    theta = flat_theta(clf)
    J_ref, _ = ref.loss_gradient(X, Y, theta, layer_sizes(clf), "sigmoid", "logistic", 1e-3)
    np.testing.assert_allclose(clf.loss_history_[-1], J_ref, rtol=1e-10)


def test_regressor_on_diabetes():
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    mean, std = y_train.mean(), y_train.std()
    reg = MLPRegressor((20,), random_state=0).fit(scaler.transform(X_train),
                                                   (y_train - mean) / std)
    assert reg.out_activation_ == "identity" and reg.n_outputs_ == 1
    pred = reg.predict(scaler.transform(X_test)) * std + mean
    assert pred.shape == y_test.shape
    r2 = 1.0 - np.sum((pred - y_test) ** 2) / np.sum((y_test - y_test.mean()) ** 2)
    assert r2 > 0.3     # a linear model gets about 0.36 on this split


def test_regressor_fits_a_nonlinear_multi_output_target():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(400, 2))
    Y = np.column_stack([np.sin(2 * X[:, 0]), X[:, 0] * X[:, 1]])
    reg = MLPRegressor((32,), activation="tanh", optimizer="adam", learning_rate=0.01,
                       batch_size=32, max_epochs=300, random_state=0).fit(X, Y)
    assert reg.predict(X).shape == (400, 2) and reg.n_outputs_ == 2
    assert reg.score(X, Y) > 0.95
    # what a linear model cannot do
    from sklearn.linear_model import LinearRegression
    assert LinearRegression().fit(X, Y).score(X, Y) < 0.5


# torch.optim's rule options; amsgrad and centered with momentum keep a third
# row of state
RULE_OPTIONS = [("rmsprop", {"centered": True}), ("rmsprop", {"centered": True, "momentum": 0.5}),
                ("adam", {"amsgrad": True}), ("adamw", {"amsgrad": True}),
                ("adagrad", {"initial_accumulator_value": 0.2})]
RULE_OPTION_IDS = [f"{o}-{'-'.join(h)}" for o, h in RULE_OPTIONS]


@pytest.mark.parametrize("optimizer, hyper", RULE_OPTIONS, ids=RULE_OPTION_IDS)
def test_rule_options_train(optimizer, hyper):
    X, y = blobs()
    clf = MLPClassifier((10,), solver="minibatch", optimizer=optimizer, learning_rate=0.01,
                        batch_size=32, max_epochs=40, tol=None, random_state=0,
                        **hyper).fit(X, y)
    assert clf.loss_history_[-1] < 0.8 * clf.loss_history_[0]
    assert clf.score(X, y) > 0.9
    rows = make_rule(optimizer, 0.01, **hyper).state_rows
    assert [seg.state.shape[0] for seg in clf._segments] == [rows, rows]


@pytest.mark.parametrize("optimizer, hyper", RULE_OPTIONS, ids=RULE_OPTION_IDS)
def test_rule_options_epoch_equals_reference(optimizer, hyper):
    X, y = blobs(n=60)
    clf = MLPClassifier((5,), activation="tanh", solver="minibatch", optimizer=optimizer,
                        learning_rate=0.01, batch_size=16, shuffle=False, alpha=1e-3,
                        max_epochs=1, tol=None, warm_start=True, random_state=0, **hyper)
    clf.fit(X, y)
    theta0, t0 = flat_theta(clf), clf.t_
    state0 = np.concatenate([seg.state for seg in clf._segments], axis=1)
    clf.fit(X, y)           # a second epoch, from the first one's state
    objective, theta, state, t = ref.epoch(
        X, np.eye(3)[y], theta0, layer_sizes(clf), make_rule(optimizer, 0.01, **hyper),
        "tanh", "softmax", 1e-3, 16, None, None, state0, t0)
    assert clf.t_ == t
    np.testing.assert_allclose(clf.loss_history_[-1], objective, rtol=1e-10)
    np.testing.assert_allclose(flat_theta(clf), theta, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(np.concatenate([seg.state for seg in clf._segments], axis=1),
                               state, rtol=1e-10, atol=1e-16)


def test_rule_options_survive_pickle_and_partial_fit():
    import pickle
    X, y = blobs()
    clf = MLPRegressor((5,), optimizer="rmsprop", centered=True, momentum=0.5,
                       learning_rate=0.01, batch_size=32, random_state=0)
    clf.partial_fit(X, y.astype(float))
    twin = pickle.loads(pickle.dumps(clf))
    clf.partial_fit(X, y.astype(float))
    twin.partial_fit(X, y.astype(float))
    np.testing.assert_array_equal(flat_theta(twin), flat_theta(clf))
    assert clf._state.shape[0] == 3


def test_warm_start_continues_and_fit_restarts():
    X, y = blobs()
    kw = dict(hidden_layer_sizes=(6,), batch_size=32, max_epochs=5, tol=None, random_state=0)
    warm = MLPClassifier(warm_start=True, **kw).fit(X, y)
    first = flat_theta(warm)
    warm.fit(X, y)
    assert warm.t_ == 2 * 5 * 8 and len(warm.loss_history_) == 10
    cold = MLPClassifier(**kw).fit(X, y)
    np.testing.assert_array_equal(flat_theta(cold), first)
    cold.fit(X, y)      # fit anew: the same first five epochs again
    np.testing.assert_array_equal(flat_theta(cold), first)
    assert not np.array_equal(flat_theta(warm), first)
    # a warm fit reads a changed learning_rate
    warm.set_params(learning_rate=0.02).fit(X, y)
    assert warm.learning_rate_ == 0.02 and warm.t_ == 3 * 5 * 8


def test_partial_fit_classes():
    X, y = blobs()
    clf = MLPClassifier((5,), random_state=0)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    # a batch may lack some of the classes
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert clf.n_outputs_ == 3 and clf.predict_proba(X).shape == (len(X), 3)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="labels not in classes_"):
        clf.partial_fit(X, y + 1)
    # a later fit starts anew, with the labels it is given
    clf.fit(X, y + 5)
    np.testing.assert_array_equal(clf.classes_, [5, 6, 7])
    reg = MLPRegressor((5,), random_state=0).partial_fit(X, y.astype(float))
    assert reg.n_iter_ == 1


def test_auto_rate_is_capped_by_the_output_layer_curvature():
    """Inputs around 100 saturate the sigmoid units: ||h||^2 is near the
    width, and the fixed rate 0.1 diverges on the output layer, which the
    automatic rate avoids."""
    rng = np.random.default_rng(0)
    X = rng.normal(loc=100.0, size=(100, 2))
    y = rng.normal(size=100)
    reg = MLPRegressor(random_state=0, max_epochs=20).fit(X, y)
    assert reg.learning_rate_ < AUTO_PLAIN_RATE
    assert np.isfinite(reg.predict(X)).all()
    with pytest.raises(DivergenceError):
        MLPRegressor(learning_rate=AUTO_PLAIN_RATE, random_state=0, max_epochs=20).fit(X, y)
    # on standardized inputs of a narrow net the cap is what applies
    X, y = blobs()
    assert MLPClassifier((5,), max_epochs=1, tol=None).fit(X, y).learning_rate_ == AUTO_PLAIN_RATE
    assert MLPClassifier((5,), optimizer="momentum", max_epochs=1,
                         tol=None).fit(X, y).learning_rate_ == pytest.approx(0.1 * AUTO_PLAIN_RATE)
    adam = MLPClassifier((5,), optimizer="adam", max_epochs=1, tol=None).fit(X, y)
    assert adam.learning_rate_ == 1e-3


def test_convergence_warning_only_when_tol_is_set():
    X, y = blobs()
    with pytest.warns(ConvergenceWarning, match="max_epochs=2"):
        clf = MLPClassifier((5,), max_epochs=2, random_state=0).fit(X, y)
    assert not clf.converged_ and clf.n_iter_ == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        MLPClassifier((5,), max_epochs=2, tol=None, random_state=0).fit(X, y)
    clf = MLPClassifier((5,), solver="sgd", max_epochs=500, tol=1e-2, n_iter_no_change=2,
                        random_state=0).fit(X, y)
    assert clf.converged_ and clf.n_iter_ < 500


# --- bad input and divergence -----------------------------------------------------

@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_sparse_X_is_refused_clearly(Est):
    X, y = blobs(n=30)
    with pytest.raises(TypeError, match="sparse.*dense only"):
        Est((3,)).fit(sp.csr_matrix(X), y)
    est = Est((3,), max_epochs=2).fit(X, y)
    with pytest.raises(TypeError, match="sparse"):
        est.predict(sp.csr_matrix(X))


@pytest.mark.parametrize("params, error, match", [
    (dict(hidden_layer_sizes=(0,)), ValueError, "hidden_layer_sizes"),
    (dict(hidden_layer_sizes=(5, -1)), ValueError, "hidden_layer_sizes"),
    (dict(hidden_layer_sizes=(2.5,)), TypeError, "hidden_layer_sizes"),
    (dict(hidden_layer_sizes="10"), TypeError, "hidden_layer_sizes"),
    (dict(activation="softplus"), ValueError, "activation"),
    (dict(solver="lbfgs"), ValueError, "solver"),
    (dict(optimizer="lion"), ValueError, "optimizer"),
    (dict(optimizer="auto"), ValueError, "optimizer"),     # the linear models' default only
    (dict(learning_rate=-1.0), ValueError, "learning_rate"),
    (dict(alpha=-0.1), ValueError, "alpha"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(max_epochs=0), ValueError, "max_epochs"),
    (dict(validation_fraction=1.0, early_stopping=True), ValueError, "validation_fraction"),
    (dict(momentum=-0.5), ValueError, "momentum"),
])
def test_bad_hyperparameters_name_the_argument(params, error, match):
    X, y = blobs(n=30)
    with pytest.raises(error, match=match):
        MLPClassifier(**params).fit(X, y)


def test_bad_data_names_the_argument():
    X, y = blobs(n=30)
    clf = MLPClassifier((3,), max_epochs=2)
    with pytest.raises(NotFittedError):
        clf.predict(X)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(bad, y)
    with pytest.raises(ValueError, match="y has 29 samples"):
        clf.fit(X, y[:-1])
    with pytest.raises(ValueError, match="sample_weight"):
        clf.fit(X, y, sample_weight=np.ones(5))
    with pytest.raises(ValueError, match="multilabel indicator"):
        clf.fit(X, np.column_stack([y, y]))          # multiclass-multioutput
    with pytest.raises(ValueError, match="continuous"):
        clf.fit(X, X[:, 0])
    with pytest.raises(ValueError, match="regression"):
        MLPRegressor((3,)).fit(X, np.array(["a"] * 30))
    clf.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :4])
    with pytest.raises(ValueError, match="dtype"):
        clf.partial_fit(X.astype(np.float32), y)     # trained in float64
    clf.set_params(warm_start=True, hidden_layer_sizes=(4,))
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        clf.fit(X, y)


@pytest.mark.parametrize("solver", SOLVERS)
def test_absurd_learning_rate_raises_divergence_and_keeps_the_model_from_before(solver):
    X, y = blobs(n=60)
    reg = MLPRegressor((8,), solver=solver, learning_rate=1e4, max_epochs=20, random_state=0)
    with pytest.raises(DivergenceError, match="learning_rate"):
        reg.fit(X, y * 10.0)
    assert not hasattr(reg, "coefs_")
    reg.set_params(learning_rate=1e-3, max_epochs=2, warm_start=True).fit(X, y)
    before = [c.copy() for c in reg.coefs_ + reg.intercepts_]
    with pytest.raises(DivergenceError, match="learning_rate"):
        reg.set_params(learning_rate=1e4, max_epochs=20).fit(X, y * 10.0)
    for kept, was in zip(reg.coefs_ + reg.intercepts_, before):
        assert_array_equal(kept, was)
    clf = MLPClassifier((8,), solver=solver, learning_rate=1e9, max_epochs=20, random_state=0)
    with pytest.raises(DivergenceError):
        clf.fit(X * 100.0, y)


def test_get_set_params_and_clone():
    clf = MLPClassifier((4, 3), activation="tanh", optimizer="adam", betas=(0.8, 0.9))
    params = clf.get_params()
    assert params["hidden_layer_sizes"] == (4, 3) and params["betas"] == (0.8, 0.9)
    assert params["solver"] == "minibatch" and params["batch_size"] == 200
    twin = clone(clf).set_params(alpha=0.5)
    assert twin.alpha == 0.5 and clf.alpha == 0.0 and twin.activation == "tanh"
    X, y = blobs(n=40)
    twin.fit(X, y)
    assert hasattr(twin, "coefs_") and not hasattr(clf, "coefs_")


# --- scikit-learn's estimator checks ----------------------------------------------

# Every check passes (scikit-learn 1.9); a check that starts to fail shows up
# here with its reason.
EXPECTED_FAILED_CHECKS = {}


@parametrize_with_checks([MLPClassifier(), MLPRegressor()],
                         expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)
