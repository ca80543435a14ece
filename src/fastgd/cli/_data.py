"""Reading the command line's data files: CSV, .npy, .npz, svmlight/libsvm.

Every mistake in a file is a :class:`CommandError` whose message names the
file, the column or line, and what was wrong, so the command line can end
with that one line instead of a traceback.
"""
import csv
import os

import numpy as np
import scipy.sparse as sp

FORMATS = {".csv": "csv", ".txt": "csv", ".npy": "npy", ".npz": "npz",
           ".svm": "svmlight", ".svmlight": "svmlight", ".libsvm": "svmlight"}


class CommandError(Exception):
    """A mistake of the person running the command: reported as one line."""


class Table:
    """Features X (ndarray or CSR), the target y or None, and the column
    names of X (None when the file has none)."""

    def __init__(self, X, y, columns, target):
        self.X, self.y, self.columns, self.target = X, y, columns, target


def data_format(path):
    kind = FORMATS.get(os.path.splitext(path)[1].lower())
    if kind is None:
        raise CommandError(f"{path}: unknown file type {os.path.splitext(path)[1]!r}; "
                           f"fastgd reads {', '.join(sorted(FORMATS))}")
    return kind


def _check_readable(path):
    if not os.path.exists(path):
        raise CommandError(f"{path}: no such file")
    if os.path.isdir(path):
        raise CommandError(f"{path}: is a directory, not a data file")


def read_table(path, target=None, *, need_target=True, columns=None, n_features=None):
    """Read ``path``; split off the ``target`` column (or array).

    ``columns`` (the names a model was trained on) selects the CSV's
    feature columns by name, in that order; ``n_features`` is the width a
    model expects (svmlight files give no width of their own).
    """
    _check_readable(path)
    kind = data_format(path)
    try:
        if kind == "csv":
            return _read_csv(path, target, need_target, columns)
        if kind == "npy":
            return _read_npy(path, target, need_target)
        if kind == "npz":
            return _read_npz(path, target, need_target)
        if target is not None:
            raise CommandError(f"--target does not apply to {path}: an svmlight file's "
                               "target is the first field of each line")
        return _read_svmlight(path, n_features)
    except UnicodeDecodeError:
        raise CommandError(f"{path}: not a text file (it is not UTF-8)") from None
    except OSError as error:
        raise CommandError(f"{path}: {error.strerror or error}") from None


def _number_or_none(text):
    try:
        return float(text)
    except ValueError:
        return None


def _read_csv(path, target, need_target, columns):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    rows = [row for row in rows if row]           # blank lines
    if not rows:
        raise CommandError(f"{path}: the file is empty")
    header = [name.strip() for name in rows[0]]
    if all(_number_or_none(name) is not None for name in header):
        raise CommandError(f"{path}: the first line must name the columns (it holds numbers)")
    body = rows[1:]
    if not body:
        raise CommandError(f"{path}: no data rows below the header")
    for line, row in enumerate(body, 2):
        if len(row) != len(header):
            raise CommandError(f"{path}, line {line}: {len(row)} fields, but the header "
                               f"names {len(header)} columns")
    if target is not None and target not in header:
        raise CommandError(f"{path}: no column {target!r} (the columns are "
                           f"{', '.join(header)})")
    if target is None and need_target:
        raise CommandError(f"{path}: give the target column with --target (the columns are "
                           f"{', '.join(header)})")
    if columns is None:
        features = [name for name in header if name != target]
    else:
        missing = [name for name in columns if name not in header]
        if missing:
            raise CommandError(f"{path}: the model was trained on columns it lacks: "
                               f"{', '.join(missing)}")
        features = list(columns)
    if not features:
        raise CommandError(f"{path}: no feature columns besides the target {target!r}")
    index = [header.index(name) for name in features]
    cells = np.array(body, dtype=object)
    X = np.empty((len(body), len(features)))
    for j, (name, col) in enumerate(zip(features, index)):
        try:
            X[:, j] = np.asarray(cells[:, col], dtype=str).astype(np.float64)
        except ValueError:
            for line, text in enumerate(cells[:, col], 2):
                if _number_or_none(text) is None:
                    shown = "an empty value" if not text.strip() else f"{text!r}"
                    raise CommandError(f"{path}, line {line}, column {name!r}: {shown} is "
                                       "not a number (feature columns must be numeric)") from None
            raise
    if not np.isfinite(X).all():
        row, col = np.argwhere(~np.isfinite(X))[0]
        raise CommandError(f"{path}, line {row + 2}, column {features[col]!r}: "
                           f"{cells[row, index[col]]!r} is not a finite number")
    y = None
    if target is not None:
        values = [text.strip() for text in cells[:, header.index(target)]]
        numbers = [_number_or_none(text) for text in values]
        y = (np.array(numbers, dtype=np.float64) if all(v is not None for v in numbers)
             else np.array(values, dtype=object))
    return Table(X, y, features, target)


def _column_index(text, width, path):
    try:
        k = int(text)
    except ValueError:
        raise CommandError(f"--target for {path} (an array without column names) must be a "
                           f"column number, got {text!r}") from None
    if not -width <= k < width:
        raise CommandError(f"--target {k}: {path} has {width} columns (0 to {width - 1}, "
                           "or negative from the end)")
    return k % width


def _numeric(array, what):
    if array.dtype.kind not in "biuf":
        raise CommandError(f"{what} holds {array.dtype} values, not numbers")
    return array


def _load_npy(path, **kwargs):
    try:
        return np.load(path, allow_pickle=False, **kwargs)
    except ValueError as error:
        if "pickle" in str(error):
            raise CommandError(f"{path}: holds Python objects, not a numeric array") from None
        raise CommandError(f"{path}: not a NumPy file ({error})") from None


def _read_npy(path, target, need_target):
    array = _load_npy(path)
    if not isinstance(array, np.ndarray):
        raise CommandError(f"{path}: not a .npy array")
    array = _numeric(array, path)
    if array.ndim != 2:
        raise CommandError(f"{path}: a {array.ndim}-D array; fastgd reads a 2-D table "
                           "(rows are samples)")
    if target is None:
        if need_target:
            raise CommandError(f"{path}: give the target column number with --target")
        return Table(array.astype(np.float64), None, None, None)
    k = _column_index(target, array.shape[1], path)
    X = np.delete(array, k, axis=1).astype(np.float64)
    return Table(X, array[:, k], None, target)


def _read_npz(path, target, need_target):
    with _load_npy(path) as archive:
        if not hasattr(archive, "files"):
            raise CommandError(f"{path}: not a .npz archive")
        if "X" not in archive.files:
            raise CommandError(f"{path}: needs an array named 'X' (it has "
                               f"{', '.join(archive.files) or 'none'})")
        X = _numeric(archive["X"], f"{path}: X")
        key = "y" if target is None else target
        if key not in archive.files:
            if need_target or target is not None:
                raise CommandError(f"{path}: no array {key!r} for the target (it has "
                                   f"{', '.join(archive.files)})")
            y = None
        else:
            y = archive[key]
    if X.ndim != 2:
        raise CommandError(f"{path}: X is {X.ndim}-D; it must be 2-D (rows are samples)")
    if y is not None and len(y) != len(X):
        raise CommandError(f"{path}: X has {len(X)} rows but {key} has {len(y)}")
    return Table(X.astype(np.float64), y, None, key if y is not None else None)


def _read_svmlight(path, n_features):
    """The svmlight / libsvm text format: ``label index:value ...`` a line,
    ``#`` comments, indices from 1 (from 0 when some line uses index 0, as
    scikit-learn's reader decides); into CSR."""
    labels, data, indices, indptr = [], [], [], [0]
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            label = _number_or_none(fields[0])
            if label is None:
                raise CommandError(f"{path}, line {line_no}: the label {fields[0]!r} is not "
                                   "a number")
            labels.append(label)
            last = -1
            for field in fields[1:]:
                if field.startswith("qid:"):
                    continue
                index, sep, value = field.partition(":")
                number = _number_or_none(value) if sep else None
                if not index.isdigit() or number is None:
                    raise CommandError(f"{path}, line {line_no}: {field!r} is not "
                                       "index:value")
                if int(index) <= last:
                    raise CommandError(f"{path}, line {line_no}: the indices must increase "
                                       f"({index} after {last})")
                last = int(index)
                indices.append(last)
                data.append(number)
            indptr.append(len(indices))
    if not labels:
        raise CommandError(f"{path}: no data lines")
    indices = np.asarray(indices, dtype=np.int64)
    if indices.size and indices.min() > 0:
        indices -= 1                          # one-based, the format's own convention
    width = int(indices.max()) + 1 if indices.size else 0
    if n_features is not None:
        if width > n_features:
            raise CommandError(f"{path}: feature index {width} is beyond the model's "
                               f"{n_features} features")
        width = n_features
    X = sp.csr_matrix((np.asarray(data, dtype=np.float64), indices.astype(np.int32),
                       np.asarray(indptr, dtype=np.int64)), shape=(len(labels), max(width, 1)))
    if not np.isfinite(X.data).all():
        raise CommandError(f"{path}: holds a value that is not a finite number")
    return Table(X, np.asarray(labels), None, None)


def write_table(path, values, header):
    """Predictions to ``path`` (.npy, or CSV with a header row), or to
    standard output as CSV when path is '-'."""
    import sys
    if path != "-" and os.path.splitext(path)[1].lower() == ".npy":
        np.save(path, np.asarray(values))
        return
    values = np.asarray(values)
    if values.ndim == 1:
        values = values[:, None]
    out = sys.stdout if path == "-" else open(path, "w", newline="", encoding="utf-8")
    try:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        for row in values:
            writer.writerow([_cell(v) for v in row])
    finally:
        if out is not sys.stdout:
            out.close()


def _cell(value):
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return str(value)
