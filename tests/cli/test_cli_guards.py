"""Option checks of ``python -m fastgd demo``.

A bad option value must end in argparse's usage error naming the option
(exit code 2), before any training, not in a traceback about an internal
argument (X, y, max_epochs) after it.
"""
import subprocess
import sys
import types

import pytest

from fastgd.cli import main

SMALL = ["--n-samples", "20", "--n-features", "2", "--epochs", "1"]


@pytest.mark.parametrize("option, value", [
    ("--n-samples", "1"),
    ("--n-samples", "2"),
    ("--n-samples", "-5"),
    ("--n-samples", "19"),
    ("--n-samples", "many"),
    ("--n-features", "0"),
    ("--n-features", "-1"),
    ("--epochs", "0"),
    ("--epochs", "1.5"),
])
def test_bad_option_is_a_usage_error_naming_it(option, value, capsys):
    with pytest.raises(SystemExit) as info:
        main(["demo", *SMALL, option, value])
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert f"argument {option}" in captured.err and "usage: fastgd demo" in captured.err
    assert "==" not in captured.out          # nothing was trained


def test_plot_without_matplotlib_fails_before_training(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)    # import matplotlib -> ImportError
    with pytest.raises(SystemExit) as info:
        main(["demo", *SMALL, "--plot", str(tmp_path / "loss.png")])
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert "argument --plot" in captured.err and "matplotlib" in captured.err
    assert "==" not in captured.out


def test_plot_into_a_missing_directory_fails_before_training(monkeypatch, capsys, tmp_path):
    # whether or not matplotlib is installed here, the directory is checked
    monkeypatch.setitem(sys.modules, "matplotlib", types.ModuleType("matplotlib"))
    with pytest.raises(SystemExit) as info:
        main(["demo", *SMALL, "--plot", str(tmp_path / "missing" / "loss.png")])
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert "argument --plot" in captured.err and "does not exist" in captured.err
    assert "==" not in captured.out


def test_smallest_accepted_demo_runs(capsys):
    assert main(["demo", *SMALL]) == 0
    assert capsys.readouterr().out.count("epoch  objective") == 5


def test_python_dash_m_reports_a_bad_option_without_a_traceback():
    result = subprocess.run([sys.executable, "-m", "fastgd", "demo", "--n-samples", "1"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "argument --n-samples" in result.stderr and "Traceback" not in result.stderr
