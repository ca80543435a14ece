"""The command line, run as a user runs it: ``python -m fastgd`` in a
subprocess (and the ``fastgd`` script when it is installed)."""
import os
import pickle
import shutil
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

import fastgd
from fastgd.datasets import make_problem

SRC = os.path.dirname(os.path.dirname(os.path.abspath(fastgd.__file__)))


def run(*args, cwd=None, timeout=180):
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "fastgd", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def assert_one_line_error(result, *fragments, code=1):
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    for fragment in fragments:
        assert fragment in last, last
    return last


def write_csv(path, X, y, names=None, target="target"):
    names = names or [f"x{j}" for j in range(X.shape[1])]
    with open(path, "w") as f:
        f.write(",".join(names + [target]) + "\n")
        for row, label in zip(X, y):
            f.write(",".join(repr(float(v)) for v in row) + f",{label}\n")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    where = tmp_path_factory.mktemp("cli")
    X, y = make_problem("multiclass", 300, 4, n_classes=3, random_state=0)
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    Xr, yr = make_problem("regression", 300, 4, random_state=1)
    out = {"X": X, "y": y, "labels": labels, "Xr": Xr, "yr": yr, "dir": where}
    out["csv"] = write_csv(where / "flowers.csv", X, labels, target="species")
    out["reg_csv"] = write_csv(where / "prices.csv", Xr, yr, target="price")
    out["npy"] = where / "table.npy"
    np.save(out["npy"], np.column_stack([Xr, yr]))
    out["npz"] = where / "arrays.npz"
    np.savez(out["npz"], X=X, y=y)
    return out


# -- help and version ---------------------------------------------------------
def test_version():
    result = run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"fastgd {fastgd.__version__}"


@pytest.mark.parametrize("command", [[], ["train"], ["predict"], ["bench"], ["demo"]])
def test_help_is_plain_text(command):
    result = run(*command, "--help")
    assert result.returncode == 0
    assert "usage: fastgd" in result.stdout
    for markup in ("``", ":class:", ":func:", ":mod:", ".. "):
        assert markup not in result.stdout


def test_no_command_is_a_usage_error():
    result = run()
    assert result.returncode == 2 and "usage: fastgd" in result.stderr


def test_the_installed_script_runs_when_installed():
    script = os.path.join(os.path.dirname(sys.executable), "fastgd")
    if not os.access(script, os.X_OK):
        script = shutil.which("fastgd")
    if script is None or not os.access(script, os.X_OK):
        pytest.skip("the fastgd script is not installed in this environment")
    env = dict(os.environ, PYTHONPATH=SRC)
    result = subprocess.run([script, "--version"], capture_output=True, text=True, env=env)
    assert result.returncode == 0 and result.stdout.startswith("fastgd ")


# -- train and predict --------------------------------------------------------
def test_train_on_csv_with_text_labels_then_predict(files, tmp_path):
    model = tmp_path / "flowers.model"
    result = run("train", files["csv"], "--target", "species", "--model", "softmax",
                 "--epochs", "30", "--tol", "none", "--seed", "0", "--out", model)
    assert result.returncode == 0, result.stderr
    # the progress bar: epochs, objective, validation score and the time left
    bar = [line for line in result.stderr.splitlines() if line.startswith("[")]
    assert bar and "epoch 1/30" in bar[0] and "epoch 30/30" in bar[-1]
    assert all("objective" in line and "validation" in line and "left" in line for line in bar)
    assert "SoftmaxRegression: 30 epochs" in result.stdout
    assert "validation accuracy (held-out 20%)" in result.stdout
    assert "accuracy on all 300 rows" in result.stdout
    assert model.read_bytes().startswith(b"FASTGD-MODEL\n")

    result = run("predict", model, files["csv"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "prediction" and len(lines) == 301
    accuracy = np.mean(np.array(lines[1:]) == files["labels"])
    assert accuracy > 0.5                       # three classes: chance is 1/3

    result = run("predict", model, files["csv"], "--proba", "--out", tmp_path / "p.npy")
    assert result.returncode == 0, result.stderr
    P = np.load(tmp_path / "p.npy")
    assert P.shape == (300, 3)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    # the model file's estimator is the fitted model, predicting the same
    with open(model, "rb") as f:
        f.readline(), f.readline()
        estimator = pickle.load(f)["estimator"]
    np.testing.assert_allclose(estimator.predict_proba(files["X"]), P)


def test_predict_reads_the_training_columns_by_name(files, tmp_path):
    model = tmp_path / "m.model"
    assert run("train", files["csv"], "--target", "species", "--model", "logistic",
               "--epochs", "5", "--quiet", "--out", model).returncode == 0
    # the same columns in another order, without the target, and one more
    X = files["X"]
    shuffled = tmp_path / "shuffled.csv"
    with open(shuffled, "w") as f:
        f.write("x3,extra,x1,x0,x2\n")
        for row in X:
            a, b, c, d = map(float, row)
            f.write(f"{d!r},7,{b!r},{a!r},{c!r}\n")
    a = run("predict", model, files["csv"], "--proba", "--out", tmp_path / "a.csv")
    b = run("predict", model, shuffled, "--proba", "--out", tmp_path / "b.csv")
    assert a.returncode == b.returncode == 0, b.stderr
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
    header = (tmp_path / "a.csv").read_text().splitlines()[0]
    assert header == "P(setosa),P(versicolor),P(virginica)"


@pytest.mark.parametrize("model, extra", [
    ("linear", ["--solver", "normal"]),
    ("linear", ["--solver", "minibatch", "--batch-size", "16", "--optimizer", "adam",
                "--learning-rate", "0.05", "--standardize"]),
    ("mlp-regressor", ["--hidden", "16,8", "--activation", "tanh", "--optimizer", "adam",
                       "--learning-rate", "0.01", "--standardize"]),
])
def test_train_a_regressor_on_npy(files, tmp_path, model, extra):
    out = tmp_path / "r.model"
    result = run("train", files["npy"], "--target", "-1", "--model", model, "--epochs", "60",
                 "--seed", "0", "--validation", "0", "--quiet", "--out", out, *extra)
    assert result.returncode == 0, result.stderr
    assert "validation" not in result.stdout
    r2 = float(result.stdout.split("R^2 on all 300 rows: ")[1].split()[0])
    assert r2 > 0.8
    # predicting on the training table (its target column is dropped) or on X alone
    np.save(tmp_path / "X.npy", files["Xr"])
    for data in (files["npy"], tmp_path / "X.npy"):
        result = run("predict", out, data, "--out", tmp_path / "pred.npy")
        assert result.returncode == 0, result.stderr
        pred = np.load(tmp_path / "pred.npy")
        assert pred.shape == (300,)
        assert 1 - np.sum((pred - files["yr"]) ** 2) / np.sum((files["yr"] - files["yr"].mean()) ** 2) > 0.8


def test_a_stalled_fit_is_reported_as_such(files, tmp_path):
    """A constant rate stalls at its noise floor: the summary says so (with
    the ConvergenceWarning as a note), not that max_epochs was reached."""
    result = run("train", files["csv"], "--target", "species", "--model", "softmax",
                 "--solver", "sgd", "--schedule", "constant", "--learning-rate", "0.5",
                 "--seed", "0", "--validation", "0", "--quiet", "--out", tmp_path / "m.model")
    assert result.returncode == 0, result.stderr
    assert "(stalled before converging)" in result.stdout, result.stdout
    assert "note:" in result.stderr and "stalled" in result.stderr


def test_train_a_network_classifier_on_npz(files, tmp_path):
    out = tmp_path / "net.model"
    result = run("train", files["npz"], "--model", "mlp-classifier", "--hidden", "16",
                 "--optimizer", "adam", "--learning-rate", "0.01", "--epochs", "40",
                 "--tol", "none", "--seed", "0", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "MLPClassifier" in result.stdout
    result = run("predict", out, files["npz"])
    assert result.returncode == 0, result.stderr
    pred = np.array(result.stdout.split()[1:], dtype=int)
    assert np.mean(pred == files["y"]) > 0.5


def _write_svmlight(path, X, y, zero_based=False):
    X = sp.csr_matrix(X)
    with open(path, "w") as f:
        f.write("# a comment line\n")
        for i in range(X.shape[0]):
            row = X.getrow(i)
            fields = " ".join(f"{j + (0 if zero_based else 1)}:{float(v)!r}"
                              for j, v in zip(row.indices, row.data))
            f.write(f"{y[i]:g} {fields}\n")


def test_svmlight_reader_agrees_with_scikit_learns(files, tmp_path):
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    from fastgd.cli._data import read_table
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 7)) * (rng.random((50, 7)) < 0.3)
    X[:, -1] = np.where(np.arange(50) == 3, 1.5, 0.0)          # the last column used once
    y = (rng.random(50) < 0.5).astype(float)
    for zero_based in (False, True):
        path = tmp_path / f"data{zero_based}.svm"
        _write_svmlight(path, X, y, zero_based)
        ours = read_table(str(path))
        X_ref, y_ref = sklearn_datasets.load_svmlight_file(str(path))
        assert sp.issparse(ours.X) and ours.X.shape == X_ref.shape
        np.testing.assert_array_equal(ours.X.toarray(), X_ref.toarray())
        np.testing.assert_array_equal(ours.y, y_ref)


def test_train_and_predict_on_svmlight(tmp_path):
    X, y = make_problem("binary", 400, 30, random_state=0)
    X[np.abs(X) < 1.0] = 0.0
    path = tmp_path / "sparse.svm"
    _write_svmlight(path, X, y)
    model = tmp_path / "svm.model"
    result = run("train", path, "--model", "logistic", "--solver", "sgd", "--epochs", "20",
                 "--seed", "0", "--quiet", "--out", model)
    assert result.returncode == 0, result.stderr
    result = run("predict", model, path)
    assert result.returncode == 0, result.stderr
    assert np.mean(np.array(result.stdout.split()[1:], dtype=float) == y) > 0.7


def test_ctrl_c_during_train_saves_the_last_finished_epoch(tmp_path):
    import signal
    X, y = make_problem("binary", 100_000, 50, random_state=0)
    data = tmp_path / "big.npz"
    np.savez(data, X=X, y=y)
    model = tmp_path / "big.model"
    env = dict(os.environ, PYTHONPATH=SRC)
    proc = subprocess.Popen([sys.executable, "-m", "fastgd", "train", str(data), "--model",
                             "logistic", "--solver", "sgd", "--epochs", "1000", "--tol", "none",
                             "--validation", "0", "--out", str(model)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        for line in proc.stderr:
            if "epoch 1/" in line:            # off a terminal, the bar's first line
                proc.send_signal(signal.SIGINT)
                break
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "interrupted" in out and "note: LogisticRegression: the fit was interrupted" in err
    assert model.read_bytes().startswith(b"FASTGD-MODEL\n")


# -- the person's mistakes ------------------------------------------------------
def test_missing_file(tmp_path):
    assert_one_line_error(run("train", tmp_path / "nope.csv", "--target", "y", "--model",
                              "linear", "--out", tmp_path / "m"), "nope.csv: no such file")
    assert_one_line_error(run("predict", tmp_path / "nope.model", tmp_path / "x.csv"),
                          "nope.model: no such file")


def test_target_column_not_there(files, tmp_path):
    last = assert_one_line_error(run("train", files["csv"], "--target", "specie", "--model",
                                     "softmax", "--out", tmp_path / "m"), "no column 'specie'")
    assert "species" in last        # the columns there are listed


def test_text_in_a_numeric_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,y\n1,2,0\n3,oops,1\n5,6,0\n")
    assert_one_line_error(run("train", path, "--target", "y", "--model", "logistic",
                              "--out", tmp_path / "m"),
                          "line 3, column 'b'", "'oops' is not a number")
    path.write_text("a,b,y\n1,2,0\n3,,1\n")
    assert_one_line_error(run("train", path, "--target", "y", "--model", "logistic",
                              "--out", tmp_path / "m"), "an empty value is not a number")


def test_text_target_for_a_regressor(files, tmp_path):
    assert_one_line_error(run("train", files["csv"], "--target", "species", "--model",
                              "linear", "--out", tmp_path / "m"),
                          "holds text", "--model linear needs numbers")


def test_a_model_file_from_another_program(files, tmp_path):
    other = tmp_path / "other.pkl"
    other.write_bytes(pickle.dumps({"not": "fastgd"}))
    assert_one_line_error(run("predict", other, files["csv"]), "not a fastgd model file")


def test_a_model_file_from_a_newer_fastgd(files, tmp_path):
    model = tmp_path / "m.model"
    assert run("train", files["csv"], "--target", "species", "--model", "softmax",
               "--epochs", "2", "--quiet", "--out", model).returncode == 0
    lines = model.read_bytes().split(b"\n", 2)
    newer = tmp_path / "newer.model"
    newer.write_bytes(lines[0] + b"\n" + lines[1].replace(b'"format": 1', b'"format": 99')
                      + b"\n" + lines[2])
    assert_one_line_error(run("predict", newer, files["csv"]), "model format 99",
                          "upgrade fastgd")
    truncated = tmp_path / "truncated.model"
    truncated.write_bytes(model.read_bytes()[:-40])
    assert_one_line_error(run("predict", truncated, files["csv"]), "damaged")


@pytest.mark.parametrize("args, fragment", [
    (["--model", "linear", "--hidden", "8"], "--hidden applies to the networks"),
    (["--model", "logistic", "--activation", "relu"], "--activation applies to the networks"),
    (["--model", "softmax", "--solver", "normal"], "--solver normal (the closed form) applies"),
    (["--model", "softmax", "--batch-size", "8"], "--batch-size applies to --solver minibatch"),
    (["--model", "mlp-classifier", "--optimizer", "auto"], "--optimizer auto applies"),
])
def test_an_option_that_does_not_apply(files, tmp_path, args, fragment):
    assert_one_line_error(run("train", files["csv"], "--target", "species", *args,
                              "--out", tmp_path / "m"), fragment)


def test_proba_for_a_regressor_and_target_for_svmlight(files, tmp_path):
    model = tmp_path / "r.model"
    assert run("train", files["reg_csv"], "--target", "price", "--model", "linear",
               "--solver", "normal", "--quiet", "--out", model).returncode == 0
    assert_one_line_error(run("predict", model, files["reg_csv"], "--proba"),
                          "--proba applies to classifiers")
    svm = tmp_path / "d.svm"
    svm.write_text("1 1:0.5\n0 2:1.5\n")
    assert_one_line_error(run("train", svm, "--target", "y", "--model", "logistic",
                              "--out", tmp_path / "m"), "--target does not apply")


def test_predict_on_data_of_another_width(files, tmp_path):
    model = tmp_path / "r.model"
    assert run("train", files["npy"], "--target", "-1", "--model", "linear", "--solver",
               "normal", "--quiet", "--out", model).returncode == 0
    np.save(tmp_path / "narrow.npy", np.ones((3, 2)))
    assert_one_line_error(run("predict", model, tmp_path / "narrow.npy"),
                          "2 feature columns, but the model was trained on 4")


def test_divergence_is_one_line(files, tmp_path):
    assert_one_line_error(run("train", files["reg_csv"], "--target", "price", "--model",
                              "linear", "--learning-rate", "50", "--out", tmp_path / "m"),
                          "training failed", "learning rate")


@pytest.mark.parametrize("args, fragment", [
    (["--learning-rate", "fast"], "argument --learning-rate"),
    (["--validation", "1.5"], "argument --validation"),
    (["--hidden", "64,x"], "argument --hidden"),
    (["--epochs", "0"], "argument --epochs"),
    (["--model", "tree"], "argument --model"),
])
def test_bad_option_values_are_usage_errors(files, tmp_path, args, fragment):
    base = ["--model", "linear"] if "--model" not in args else []
    assert_one_line_error(run("train", files["reg_csv"], "--target", "price", *base, *args,
                              "--out", tmp_path / "m"), fragment, code=2)


def test_unknown_file_type_and_a_directory(tmp_path):
    (tmp_path / "data.xlsx").write_text("")
    assert_one_line_error(run("train", tmp_path / "data.xlsx", "--target", "y", "--model",
                              "linear", "--out", tmp_path / "m"), "unknown file type '.xlsx'")
    assert_one_line_error(run("predict", tmp_path, tmp_path / "x.csv"), "is a directory")


def test_an_out_directory_that_does_not_exist(files, tmp_path):
    assert_one_line_error(run("train", files["csv"], "--target", "species", "--model",
                              "softmax", "--epochs", "2", "--quiet",
                              "--out", tmp_path / "missing" / "m.model"), "does not exist")


def test_a_save_leaves_no_temporary_file_and_replaces_the_old_model(files, tmp_path):
    model = tmp_path / "m.model"
    model.write_bytes(b"old")
    assert run("train", files["csv"], "--target", "species", "--model", "softmax",
               "--epochs", "2", "--quiet", "--out", model).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.model"]
    assert model.read_bytes().startswith(b"FASTGD-MODEL\n")


# -- bench and demo ---------------------------------------------------------------
def test_bench_quick_prints_the_machine_and_a_table():
    result = run("bench", "--quick", "--repeats", "1", timeout=600)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "| CPU |" in out and "| numpy |" in out
    assert "| Workload | Peer | fastgd | Peer | Ratio |" in out
    assert "full-batch gradient" in out and "NumPy" in out


def test_demo_trains_every_model_and_compares_nothing():
    result = run("demo", "--n-samples", "400", "--n-features", "5", "--epochs", "3")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for name in ("LinearRegression", "LogisticRegression", "SoftmaxRegression",
                 "MLPClassifier", "MLPRegressor"):
        assert f"== {name}" in out
    assert out.count("epoch  objective") == 5
    assert out.count("R^2: train") == 2 and out.count("accuracy: train") == 3
    assert "NumPy reference" not in out and "faster" not in out
    assert "fastgd bench --quick" in out


def test_demo_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "loss.png"
    result = run("demo", "--n-samples", "300", "--n-features", "4", "--epochs", "2",
                 "--plot", target)
    assert result.returncode == 0, result.stderr
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
