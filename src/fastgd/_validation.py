"""Input checks shared by every public entry of fastgd.

A compiled loop runs without bounds checks, so everything it reads is checked
here first: dtypes, shapes, finiteness, index ranges.  Each rule is written
once; messages name the argument and say what was wrong.  Input arrays are
never modified: a conversion makes a copy, and the kernels only read them.
"""
import math
import numbers
import sys
import warnings

import numpy as np
import scipy.sparse as sp

from .exceptions import (DataConversionWarning, InvalidDataError, InvalidParameterError,
                         NotFittedError)

FLOAT_DTYPES = (np.float64, np.float32)
_INT32_MAX = np.iinfo(np.int32).max
_TooHardError = getattr(np, "exceptions", np).TooHardError     # numpy >= 1.25 / older
# integer hyperparameters (counts, steps, threads) are passed to C as 64-bit
_INT_LIMIT = 2 ** 62


def check_scalar(value, name, *, kind=numbers.Real, low=None, high=None,
                 low_open=False, high_open=False):
    """Check one hyperparameter: its type, finiteness and range.

    kind is numbers.Real or numbers.Integral (int means the latter, so numpy
    integers pass).  An integer must fit a C long long with room to spare
    (|value| < 2**62), since the compiled loops take it as one.
    """
    if kind is int:
        kind = numbers.Integral
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be {'an integer' if kind is numbers.Integral else 'a real number'}, "
                        f"got {value!r} of type {type(value).__name__}")
    if kind is numbers.Integral:
        if abs(int(value)) >= _INT_LIMIT:
            raise ValueError(f"{name} must be below 2**62 in magnitude, got {_short(value)}")
    else:
        try:
            finite = math.isfinite(value)
        except OverflowError:       # an int or Fraction beyond the float range
            finite = False
        if not finite:
            raise ValueError(f"{name} must be finite, got {_short(value)}")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and (value > high or (high_open and value == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {value!r}")
    return value


def check_bool(value, name):
    """A True/False setting: a bool or numpy.bool_, nothing else (a string
    such as "no" would otherwise count as True)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {_short(value)} of type "
                        f"{type(value).__name__}")
    return bool(value)


def _as_array(value, name, dtype=None):
    """np.asarray, with the argument's name in its errors (a ragged list)."""
    try:
        return np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name} could not be read as an array of numbers: {exc}") from None


def _missing_as_nan(arr):
    """An object array with pandas' missing values (pd.NA of a nullable
    column) as NaN, which the finite check then names, as scikit-learn
    does; other arrays as they are."""
    pandas = sys.modules.get("pandas")
    if pandas is None:
        return arr
    missing = pandas.isna(arr)
    if not missing.any():
        return arr
    arr = arr.copy()
    arr[missing] = np.nan
    return arr


def _short(value):
    """repr of a value for a message, cut short (an int of 400 digits)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _float_dtype(dtype):
    """float32 stays float32 (the model then trains in float32); every other
    numeric dtype becomes float64."""
    return np.float32 if dtype == np.float32 else np.float64


def check_finite(X, name="X"):
    """Raise ValueError if X (dense or sparse) holds NaN or infinity."""
    _check_finite(X.data if sp.issparse(X) else X, name)


def _check_finite_after_conversion(given, converted, name):
    """_check_finite on converted values, saying so when the conversion made
    them infinite (finite float64 values beyond float32's range), not the
    caller."""
    try:
        _check_finite(converted, name)
    except ValueError:
        if given is converted or given.dtype.kind not in "fiu" or not np.isfinite(given).all():
            raise
        raise ValueError(f"{name} holds values beyond the range of {converted.dtype} "
                         f"(largest magnitude {np.max(np.abs(given)):.3g}); scale it, or "
                         "pass float64 data") from None


def _check_finite(values, name):
    # A sum is finite only if every value is (NaN and inf propagate, and
    # inf - inf is NaN): one read of the data and no boolean temporary the
    # size of X.  Only a non-finite sum (a bad value, or finite values whose
    # sum overflows) pays for the element-wise scan.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(values)):
            return
    if not np.isfinite(values).all():
        kind = "NaN" if np.isnan(values).any() else "infinity"
        raise ValueError(f"Input {name} contains {kind}; {name} must be finite (no NaN or inf).")


def check_array(X, name="X", *, accept_sparse=True, dtype=None, ensure_2d=True,
                check_finite=True):
    """Return X as a C-contiguous float32/float64 array or a canonical CSR matrix.

    Parameters
    ----------
    X : array-like or scipy.sparse matrix
    name : str
        The argument's name, used in error messages.
    accept_sparse : bool
        Accept scipy.sparse input (converted to CSR with int32 indices).
    dtype : numpy dtype or None
        Convert to this dtype; by default float32 stays float32 and every
        other numeric dtype becomes float64.
    ensure_2d : bool
        Require a 2-D array (else a 1-D one).
    check_finite : bool
        Reject NaN and infinity.  The public kernels skip this scan (as
        costly as an epoch) and call :func:`check_finite` only when a loop
        reports a non-finite value, which any NaN or inf in X produces.
    """
    if X is None:
        raise ValueError(f"{name} is None; expected an array-like of numbers")
    if sp.issparse(X):
        if not accept_sparse:
            raise TypeError(f"{name} is a sparse matrix; this function needs dense input")
        # ask the dtype, not .data: not every format (DOK) has a data array
        if np.issubdtype(X.dtype, np.complexfloating):
            raise ValueError(f"Complex data not supported in {name}")
        if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
            raise InvalidDataError(f"{name} must hold numbers, got dtype {X.dtype}")
        # scipy converts CSC, BSR and COO with their indices unchecked: those
        # (and CSR) are checked first; what any other format became, after
        given_format = X.format
        if given_format in ("csr", "csc", "bsr"):
            _check_compressed_structure(X, name)
        elif given_format == "coo":
            _check_coordinates(X, name)
        X = sp.csr_matrix(X, dtype=dtype or _float_dtype(X.dtype))
        if given_format not in ("csr", "csc", "bsr", "coo"):
            _check_compressed_structure(X, name, given_format)
        if X.shape[1] > _INT32_MAX:
            raise ValueError(f"{name} has {X.shape[1]} columns; at most {_INT32_MAX} are supported")
        if X.nnz > _INT32_MAX:
            raise ValueError(f"{name} has {X.nnz} stored values; at most {_INT32_MAX} are supported")
        _check_shape(X, name)
        if check_finite:
            _check_finite(X.data, name)
        X.indices = np.ascontiguousarray(X.indices, dtype=np.int32)
        X.indptr = np.ascontiguousarray(X.indptr, dtype=np.int32)
        X.data = np.ascontiguousarray(X.data)
        return X
    arr = _as_array(X, name)
    if np.iscomplexobj(arr):
        raise ValueError(f"Complex data not supported in {name}")
    if arr.dtype.kind in "USV":
        raise InvalidDataError(f"{name} must hold numbers, got strings (dtype {arr.dtype})")
    if arr.dtype.kind == "O":
        try:
            arr = _missing_as_nan(arr).astype(np.float64)
        except (TypeError, ValueError, OverflowError) as exc:
            # numpy's message names the bad value but not the argument
            raise (InvalidDataError if isinstance(exc, TypeError) else ValueError)(
                f"{name} must hold numbers: {exc}") from None
    elif arr.dtype.kind not in "biuf":
        raise InvalidDataError(f"{name} must hold numbers, got dtype {arr.dtype}")
    given = arr
    with np.errstate(over="ignore"):    # an overflow to float32 is reported below
        arr = np.ascontiguousarray(arr, dtype=dtype or _float_dtype(arr.dtype))
    if ensure_2d and arr.ndim != 2:
        # "Reshape your data" is scikit-learn's wording, which its estimator
        # checks (and users' habits) look for
        raise ValueError(f"Expected 2D array for {name}, got {arr.ndim}D array of shape "
                         f"{arr.shape}. Reshape your data either using {name}.reshape(-1, 1) "
                         "if it has a single feature or "
                         f"{name}.reshape(1, -1) if it holds a single sample.")
    if not ensure_2d and arr.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional, got shape {arr.shape}")
    _check_shape(arr, name)
    if check_finite:
        _check_finite_after_conversion(given, arr, name)
    return arr


def _check_compressed_structure(X, name, given_format=None):
    """The index arrays of a CSR, CSC or BSR matrix within bounds.

    scipy's constructor checks only their lengths, and both its conversions
    and fastgd's loops index memory with them unchecked: a column index out
    of range, or row starts that go down, would read or write outside the
    arrays.  This is scipy's check_format(full_check=True) in fewer passes:
    the indices are tested in one (0.45 ms for 5 million int32 indices).
    given_format names the format X was converted from, for the message."""
    label = (given_format or X.format).upper()
    major, minor = X.shape if X.format != "csc" else X.shape[::-1]
    if X.format == "bsr":           # indptr and indices count blocks
        major, minor = major // X.blocksize[0], minor // X.blocksize[1]
    indptr, indices = np.asarray(X.indptr), np.asarray(X.indices)
    stored = min(indices.size, np.asarray(X.data).shape[0] if X.data.ndim else 0)
    nnz = int(indptr[-1]) if indptr.size else -1
    if (indptr.ndim != 1 or indptr.size != major + 1 or indptr[0] != 0 or nnz > stored
            or (np.diff(indptr) < 0).any()):
        raise ValueError(f"{name} is a malformed {label} matrix: its indptr must "
                         f"start at 0, never decrease and end within its {indices.size} "
                         "stored entries")
    if nnz > 0 and not _indices_within(indices[:nnz], minor):
        raise ValueError(f"{name} is a malformed {label} matrix: it holds "
                         f"{'row' if X.format == 'csc' else 'column'} indices outside "
                         f"[0, {minor})")


def _check_coordinates(X, name):
    """A COO matrix's row and column indices within its shape."""
    for axis, coords in (("row", X.row), ("column", X.col)):
        bound = X.shape[0] if axis == "row" else X.shape[1]
        coords = np.asarray(coords)
        if coords.size and not _indices_within(coords, bound):
            raise ValueError(f"{name} is a malformed COO matrix: it holds {axis} indices "
                             f"outside [0, {bound})")


def _indices_within(indices, bound):
    """All integer indices in [0, bound), in one pass: viewed as unsigned, a
    negative index reads as a huge one."""
    indices = np.ascontiguousarray(indices)
    return int(indices.view(np.dtype(f"u{indices.dtype.itemsize}")).max()) < bound


def _check_shape(X, name):
    if X.shape[0] < 1:
        raise ValueError(f"Found array with 0 sample(s) (shape={X.shape}) while a minimum "
                         f"of 1 is required in {name}")
    if len(X.shape) == 2 and X.shape[1] < 1:
        raise ValueError(f"Found array with 0 feature(s) (shape={X.shape}) while a minimum "
                         f"of 1 is required in {name}")


def _nullable_as_float(y):
    """A pandas Series of a nullable numeric dtype (Int64, Float64, ...) as
    float64 with its missing values NaN, as scikit-learn reads it: its
    classes are then floats, and a missing label is named as NaN."""
    pandas = sys.modules.get("pandas")
    if pandas is None or not isinstance(y, pandas.Series):
        return y
    if isinstance(y.dtype, pandas.api.extensions.ExtensionDtype) and y.dtype.kind in "iuf":
        return y.to_numpy(dtype=np.float64, na_value=np.nan)
    return y


def column_or_1d(y, name="y"):
    """y as a 1-D array; a column vector is accepted with a warning."""
    if y is None:
        raise ValueError(f"requires y to be passed, but the target {name} is None")
    arr = _as_array(_nullable_as_float(y), name)
    if arr.ndim == 2 and arr.shape[1] == 1:
        warnings.warn(f"A column-vector {name} was passed when a 1d array was expected. "
                      f"Please change the shape of {name} to (n_samples,), for example "
                      "using ravel().", DataConversionWarning, stacklevel=3)
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"{name} should be a 1d array, got an array of shape {arr.shape} instead")
    return arr


def check_target(y, n_samples, dtype, name="y"):
    """Regression targets: finite numbers, one per sample, in the model's dtype."""
    arr = column_or_1d(y, name)
    if arr.dtype.kind in "USVMm" or arr.dtype.kind == "O" and not _all_numbers(arr):
        # dates and durations convert to floats silently, and mean nothing here
        raise ValueError(f"{name} must hold numbers for regression, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise ValueError(f"Complex data not supported in {name}")
    given = arr
    try:
        with np.errstate(over="ignore"):    # an overflow to float32 is reported below
            arr = np.ascontiguousarray(arr, dtype=dtype)
    except OverflowError as exc:        # a Python int beyond the float range
        raise ValueError(f"{name} must hold numbers within the float range: {exc}") from None
    except TypeError as exc:            # a complex number among Python objects
        raise TypeError(f"{name} must hold real numbers: {exc}") from None
    check_consistent_length(n_samples, arr.shape[0], name)
    _check_finite_after_conversion(given, arr, name)
    return arr


def _all_numbers(arr):
    return all(isinstance(v, numbers.Number) for v in arr)


# Integer labels spanning at most this many values are counted, not sorted.
_COUNTED_LABEL_RANGE = 1 << 16


def _unique_inverse(arr):
    """np.unique(arr, return_inverse=True), the inverse 1-D: by counting
    for integer labels of a small range (a sort of the labels costs ten
    times as much, a share of a short fit's time)."""
    if arr.dtype.kind in "iu" and arr.size:
        low, high = int(arr.min()), int(arr.max())
        if high - low < _COUNTED_LABEL_RANGE and high < 2**63:
            offset = arr.astype(np.int64) - low        # no wrap-around in small dtypes
            present = np.bincount(offset, minlength=high - low + 1) > 0
            index = np.cumsum(present, dtype=np.intp) - 1
            classes = (np.flatnonzero(present) + low).astype(arr.dtype)
            return classes, index[offset]
    classes, encoded = np.unique(arr, return_inverse=True)
    return classes, encoded.reshape(-1)


def encode_labels(y, n_samples, name="y"):
    """Classes (sorted) and each sample's class index, for a classifier."""
    arr = column_or_1d(y, name)
    check_consistent_length(n_samples, arr.shape[0], name)
    if arr.dtype.kind == "f":
        _check_finite(arr, name)
        if not np.all(arr == np.round(arr)):
            raise ValueError(f"Unknown label type: 'continuous'. {name} holds non-integer "
                             "numbers; a classifier needs class labels (use a regressor "
                             "for continuous targets)")
    elif arr.dtype.kind == "c":
        raise ValueError(f"Complex data not supported in {name}")
    arr = _strings_as_str(arr)
    try:
        classes, encoded = _unique_inverse(arr)
    except TypeError as exc:
        raise ValueError(f"Unknown label type: {name} mixes types that cannot be "
                         f"sorted ({exc})") from None
    if classes.shape[0] < 2:
        raise ValueError(f"{name} needs samples of at least 2 classes; got 1 class "
                         f"({classes[0]!r}). A classifier can't train when only one class "
                         "is present.")
    return classes, encoded.reshape(-1)


def encode_known_labels(y, classes, n_samples, name="y"):
    """The index in ``classes`` of each label of y, for a classifier that
    already knows its classes (a warm start, partial_fit, scoring)."""
    y = column_or_1d(y, name)
    check_consistent_length(n_samples, y.shape[0], name)
    index = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
    if not np.all(classes[index] == y):
        raise ValueError(f"{name} holds labels not in classes_ {classes!r}")
    return index


def _strings_as_str(labels):
    """String labels held as objects (a pandas column of strings) as a str
    array: classes_ and predictions are then a string array, as
    scikit-learn's are.  Other labels unchanged."""
    if labels.dtype.kind == "O" and all(isinstance(v, str) for v in labels):
        return labels.astype(str)
    return labels


def check_partial_fit_classes(classes):
    """The sorted distinct labels of partial_fit's ``classes``, given on its
    first call: at least two."""
    if classes is None:
        raise ValueError("classes must be passed on the first call to partial_fit "
                         "(all the labels that y may hold)")
    classes = np.unique(_strings_as_str(np.asarray(classes).reshape(-1)))
    if len(classes) < 2:
        raise ValueError("classes must hold at least 2 classes")
    return classes


def check_consistent_length(n_samples, n_other, name):
    if n_other != n_samples:
        raise ValueError(f"{name} has {n_other} samples but X has {n_samples}: "
                         "found input variables with inconsistent numbers of samples")


def check_sample_weight(sample_weight, n_samples, dtype, *, signed=False):
    """Finite weights, one per sample, not all zero; None stays None.

    Non-negative ones, which the objectives of a weighted mean need (their
    sum divides it), unless ``signed``: scikit-learn's SGD estimators accept
    negative weights (a step's weight multiplies its update), and so do
    theirs here."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, sample_weight)
    sw = _as_array(sample_weight, "sample_weight")
    if sw.ndim != 1:
        raise ValueError(f"sample_weight must be 1-dimensional, got shape {sw.shape}")
    if sw.dtype.kind not in "biuf":
        raise InvalidDataError(f"sample_weight must hold numbers, got dtype {sw.dtype}")
    sw = np.ascontiguousarray(sw, dtype=dtype)
    if sw.shape[0] != n_samples:
        raise ValueError(f"sample_weight.shape == ({sw.shape[0]},), expected ({n_samples},)")
    _check_finite(sw, "sample_weight")
    if signed:
        if not sw.any():
            raise ValueError("sample_weight must contain at least one non-zero number; "
                             "all weights are zero")
        return sw
    if (sw < 0).any():
        raise ValueError("sample_weight must be non-negative")
    if not (sw > 0).any():
        raise ValueError("sample_weight must have at least one positive weight; "
                         "all weights are zero")
    # only the weights' ratios matter to the objective, but the loops sum
    # them (and weigh each step by them) in floating point
    with np.errstate(over="ignore"):
        total = np.sum(sw, dtype=np.float64)
    if not np.isfinite(total) or sw.max() < np.finfo(dtype).tiny:
        raise ValueError(f"sample_weight is out of scale (sum {total:.3g}, largest "
                         f"{float(sw.max()):.3g}): its sum must be finite and its largest "
                         f"weight at least {np.finfo(dtype).tiny:.3g}; divide the weights "
                         "by their mean (only their ratios matter to the objective)")
    return sw


def check_n_features(estimator, X):
    """Check that X has the features the fitted estimator expects."""
    n = X.shape[1]
    if n != estimator.n_features_in_:
        raise ValueError(f"X has {n} features, but {type(estimator).__name__} is expecting "
                         f"{estimator.n_features_in_} features as input.")


def feature_names(X):
    """The column names of a pandas DataFrame X as an object array, when
    they are all strings; None for any other X (scikit-learn's rule: a
    DataFrame with mixed string and other names is refused)."""
    pandas = sys.modules.get("pandas")
    if pandas is None or not isinstance(X, pandas.DataFrame) or len(X.columns) == 0:
        return None
    names = np.asarray(X.columns, dtype=object)
    types = sorted({type(name).__qualname__ for name in names})
    if len(types) > 1 and "str" in types:
        raise TypeError(
            "Feature names are only supported if all input features have string names, "
            f"but your input has {types} as feature name / column name types. If you want "
            "feature names to be stored and validated, you must convert them all to strings, "
            "by using X.columns = X.columns.astype(str) for example. Otherwise you can remove "
            "feature / column names from your input data, or convert them all to a "
            "non-string data type.")
    return names if types == ["str"] else None


def _listed(names, most=5):
    lines = [f"- {name}\n" for name in names[:most]]
    return "".join(lines) + ("- ...\n" if len(names) > most else "")


def check_feature_names(estimator, X, reset):
    """Keep (reset) or check the feature names of X, as scikit-learn does.

    A fit on a DataFrame sets ``feature_names_in_``; a fit on anything else
    removes it.  Later calls must pass the same names in the same order
    (scikit-learn's ValueError otherwise), and mixing named and unnamed
    input warns, with scikit-learn's messages.
    """
    names = feature_names(X)
    if reset:
        if names is not None:
            estimator.feature_names_in_ = names
        else:
            estimator.__dict__.pop("feature_names_in_", None)
        return
    fitted = getattr(estimator, "feature_names_in_", None)
    cls = type(estimator).__name__
    if names is None and fitted is None:
        return
    if names is not None and fitted is None:
        warnings.warn(f"X has feature names, but {cls} was fitted without feature names",
                      UserWarning, stacklevel=4)
        return
    if names is None:
        warnings.warn(f"X does not have valid feature names, but {cls} was fitted with "
                      "feature names", UserWarning, stacklevel=4)
        return
    if len(names) == len(fitted) and (names == fitted).all():
        return
    message = "The feature names should match those that were passed during fit.\n"
    unexpected = sorted(set(names) - set(fitted))
    missing = sorted(set(fitted) - set(names))
    if unexpected:
        message += "Feature names unseen at fit time:\n" + _listed(unexpected)
    if missing:
        message += "Feature names seen at fit time, yet now missing:\n" + _listed(missing)
    if not unexpected and not missing:
        message += "Feature names must be in the same order as they were in fit.\n"
    raise ValueError(message)


def check_is_fitted(estimator, attribute="coef_"):
    if not hasattr(estimator, attribute):
        raise NotFittedError(f"This {type(estimator).__name__} instance is not fitted yet. "
                             "Call 'fit' with appropriate arguments before using this estimator.")


def check_output(array, name, shape, dtype):
    """A caller-owned output buffer: exactly this shape and dtype, C-contiguous
    and writable, since the kernel writes into it in place."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(array).__name__}")
    if array.dtype != dtype:
        raise TypeError(f"{name} must have dtype {np.dtype(dtype).name}, got {array.dtype}")
    if array.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {array.shape}")
    if not array.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous")
    if not array.flags.writeable:
        raise ValueError(f"{name} must be writeable: the kernel updates it in place")
    return array


def check_no_overlap(written, used, given=None):
    """Raise ValueError if an array a kernel writes shares memory with any
    other array of the call.

    A write into a buffer that is also an input, or into two views of one
    buffer, would make the kernel read values it has just overwritten (a
    wrong result), or modify the caller's input.

    Parameters
    ----------
    written : dict (or sequence of pairs) of name -> ndarray or None
        The buffers the kernel writes in place, as the caller passed them
        (:func:`check_output` never copies).
    used : dict of name -> ndarray or None
        The arrays the kernel only reads, as validated.
    given : dict of name -> argument, optional
        The same inputs as the caller passed them.  Where validation made a
        copy, the kernel reads the copy, but a written buffer overlapping
        the caller's array would still modify that input: both are checked.
    """
    written, used, given = dict(written), dict(used), dict(given or {})
    arrays = [(name, a) for name, a in written.items() if a is not None]
    n_written = len(arrays)
    arrays += [(name, a) for name, a in used.items() if a is not None]
    arrays += [(name, a) for name, a in given.items()
               if isinstance(a, np.ndarray) and a is not used.get(name)]
    for i, (name, array) in enumerate(arrays[:n_written]):
        for other_name, other in arrays[i + 1:]:
            if _overlap(array, other):
                raise ValueError(f"{name} and {other_name} overlap in memory; the kernel "
                                 f"writes {name} in place, so pass separate arrays")


def _overlap(a, b):
    """Whether two arrays share an element.  Their memory bounds decide for
    contiguous arrays; strided ones (a caller's column slice) may interleave
    without sharing, which np.shares_memory settles (a problem too hard for
    it counts as overlapping)."""
    if not np.may_share_memory(a, b):
        return False
    if a.flags.contiguous and b.flags.contiguous:
        return True
    try:
        return np.shares_memory(a, b, max_work=10 ** 6)
    except _TooHardError:
        return True


def check_loss_targets(y, loss, K):
    """Targets a loss is defined for: y in [0, 1] for the logistic loss,
    class indices 0..K-1 for softmax (the loops index the outputs with
    them)."""
    if loss == "logistic" and ((y < 0) | (y > 1)).any():
        raise ValueError("y must lie in [0, 1] for loss='logistic' (encode the labels as 0/1)")
    if loss == "softmax" and (((y < 0) | (y >= K)).any() or (y != np.floor(y)).any()):
        raise ValueError(f"y must hold class indices 0..{K - 1} for loss='softmax'")


def check_visited_weight(sample_weight, order):
    """An epoch's objective is a mean weighted by the rows it visits: with no
    positive weight among them it is undefined (the loop would run, then
    divide by zero)."""
    if sample_weight is not None and not (
            sample_weight[order] if order is not None else sample_weight).any():
        raise ValueError("every sample visited (order) has zero sample_weight: the "
                         "epoch's mean loss is undefined")


def check_order(order, n_samples):
    """Row indices an epoch visits: a non-empty 1-D integer array within
    [0, n_samples), as intp; None (every row in sequence) stays None."""
    if order is None:
        return None
    order = _as_array(order, "order")
    if order.ndim != 1 or order.dtype.kind not in "iu":
        raise TypeError("order must be a 1-D array of integer row indices")
    if order.size == 0:
        raise ValueError("order must hold at least one row index")
    if order.min() < 0 or order.max() >= n_samples:
        raise ValueError(f"order holds row indices outside [0, {n_samples})")
    return np.ascontiguousarray(order, dtype=np.intp)


def check_lr_table(lr_table, n_steps, name="lr_table"):
    """One finite positive learning rate per step of an epoch, as float64."""
    if lr_table is None:
        return None
    lr_table = _as_array(lr_table, name)
    if lr_table.dtype.kind == "O" and all(
            isinstance(v, numbers.Real) and not isinstance(v, bool) for v in lr_table.flat):
        lr_table = lr_table.astype(np.float64)      # Fractions are reals too
    if lr_table.dtype.kind not in "iuf":
        # a string would convert, a complex number lose its imaginary part,
        # True count as 1.0
        raise TypeError(f"{name} must hold real numbers, got dtype {lr_table.dtype}")
    lr_table = np.ascontiguousarray(lr_table, dtype=np.float64)
    if lr_table.ndim != 1 or lr_table.size < n_steps:
        raise ValueError(f"{name} must hold one rate per step ({n_steps}), got shape {lr_table.shape}")
    if not (np.isfinite(lr_table) & (lr_table > 0)).all():
        raise ValueError(f"{name} must hold finite positive learning rates")
    return lr_table


def check_random_state(random_state):
    """A numpy Generator from None, an int, a Generator or a RandomState
    (whose stream seeds a new Generator)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(np.iinfo(np.int32).max))
    if random_state is not None and (isinstance(random_state, bool)
                                     or not isinstance(random_state, numbers.Integral)):
        raise InvalidParameterError("random_state must be None, an int, a numpy Generator "
                                    f"or a RandomState, got {random_state!r}")
    if random_state is not None and random_state < 0:
        raise ValueError(f"random_state must be a non-negative int, got {random_state}")
    return np.random.default_rng(random_state)


def check_layer_widths(widths, name):
    """A sequence of layer widths: positive ints below 2**31 (BLAS takes int
    dimensions); returned as a tuple of ints."""
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__iter__"):
        raise TypeError(f"{name} must be a sequence of layer widths, got {widths!r}")
    widths = tuple(widths)
    for size in widths:
        if isinstance(size, bool) or not isinstance(size, numbers.Integral):
            raise TypeError(f"{name} must hold integers, got {size!r} of type "
                            f"{type(size).__name__}")
        if size < 1:
            raise ValueError(f"{name} must all be >= 1, got {widths!r}")
        if size > np.iinfo(np.int32).max:
            raise ValueError(f"{name} must be below 2**31, got {size}")
    return tuple(int(s) for s in widths)
