"""feature_names_in_ from pandas DataFrames, checked as scikit-learn checks it."""
import warnings

import numpy as np
import pytest

from fastgd import (LinearRegression, LogisticRegression, MLPClassifier, MLPRegressor,
                    SoftmaxRegression)

pd = pytest.importorskip("pandas")

ESTIMATORS = [LinearRegression, LogisticRegression, SoftmaxRegression, MLPClassifier,
              MLPRegressor]
COLUMNS = ["age", "income", "height"]


def data_for(Est, n=150):
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.standard_normal((n, 3)) * [1.0, 3.0, 0.2], columns=COLUMNS)
    z = X.to_numpy() @ np.array([1.0, -1.0, 5.0])
    if Est in (LinearRegression, MLPRegressor):
        return X, z
    if Est is SoftmaxRegression:
        return X, np.digitize(z, [-1.0, 1.0])
    return X, (z > 0).astype(int)


def fitted(Est, X, y):
    extra = {"hidden_layer_sizes": (4,)} if Est in (MLPClassifier, MLPRegressor) else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Est(max_epochs=20, random_state=0, **extra).fit(X, y)


def predictions(model, X):
    return [getattr(model, m)(X) for m in ("predict", "predict_proba", "decision_function")
            if hasattr(model, m)]


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_a_dataframe_keeps_its_column_names(Est):
    X, y = data_for(Est)
    model = fitted(Est, X, y)
    np.testing.assert_array_equal(model.feature_names_in_, COLUMNS)
    assert model.feature_names_in_.dtype == object
    # the same columns predict as the bare array does
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        bare = predictions(model, X.to_numpy())
    for a, b in zip(predictions(model, X), bare):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_columns_in_another_order_are_refused(Est):
    X, y = data_for(Est)
    model = fitted(Est, X, y)
    with pytest.raises(ValueError, match="The feature names should match those that were "
                                         "passed during fit.\nFeature names must be in the "
                                         "same order as they were in fit."):
        model.predict(X[["income", "age", "height"]])


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_columns_with_other_names_are_refused_and_listed(Est):
    X, y = data_for(Est)
    model = fitted(Est, X, y)
    other = X.rename(columns={"age": "years"})
    with pytest.raises(ValueError) as info:
        model.predict(other)
    message = str(info.value)
    assert message.startswith("The feature names should match those that were passed during fit.")
    assert "Feature names unseen at fit time:\n- years\n" in message
    assert "Feature names seen at fit time, yet now missing:\n- age\n" in message


@pytest.mark.parametrize("Est", ESTIMATORS)
def test_named_then_unnamed_warns_and_unnamed_then_named_warns(Est):
    X, y = data_for(Est)
    model = fitted(Est, X, y)
    with pytest.warns(UserWarning, match=f"X does not have valid feature names, but "
                                         f"{Est.__name__} was fitted with feature names"):
        model.predict(X.to_numpy())
    plain = fitted(Est, X.to_numpy(), y)
    assert not hasattr(plain, "feature_names_in_")
    with pytest.warns(UserWarning, match=f"X has feature names, but {Est.__name__} was "
                                         "fitted without feature names"):
        plain.predict(X)


def test_refit_on_an_array_forgets_the_names():
    X, y = data_for(LinearRegression)
    model = fitted(LinearRegression, X, y)
    fitted_again = model.set_params(tol=None).fit(X.to_numpy(), y)
    assert not hasattr(fitted_again, "feature_names_in_")


def test_partial_fit_checks_the_names_of_later_calls():
    X, y = data_for(LogisticRegression)
    model = LogisticRegression(solver="sgd", random_state=0).partial_fit(X, y, classes=[0, 1])
    np.testing.assert_array_equal(model.feature_names_in_, COLUMNS)
    with pytest.raises(ValueError, match="should match"):
        model.partial_fit(X[COLUMNS[::-1]], y)


def test_non_string_names_are_not_kept_and_mixed_names_are_refused():
    X, y = data_for(LinearRegression)
    numbered = X.set_axis([0, 1, 2], axis=1)
    assert not hasattr(fitted(LinearRegression, numbered, y), "feature_names_in_")
    mixed = X.set_axis(["a", 1, "c"], axis=1)
    with pytest.raises(TypeError, match="all input features have string names"):
        LinearRegression().fit(mixed, y)


def test_a_failed_fit_keeps_the_old_names():
    X, y = data_for(LinearRegression)
    model = fitted(LinearRegression, X, y)
    with pytest.raises(ValueError):
        model.fit(X.rename(columns=str.upper), y[:10])
    np.testing.assert_array_equal(model.feature_names_in_, COLUMNS)
