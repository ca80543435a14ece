"""The command line: ``python -m fastgd demo``."""
import subprocess
import sys

import pytest

from fastgd.cli import main


def test_demo_prints_each_model_with_history_metrics_and_timing(capsys):
    assert main(["demo", "--n-samples", "400", "--n-features", "5", "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    for name in ("LinearRegression", "LogisticRegression", "SoftmaxRegression"):
        assert f"== {name}" in out
    assert out.count("epoch  objective") == 3
    assert "R^2: train" in out and out.count("accuracy: train") == 2
    assert out.count("SGD epoch: fastgd") == 3
    assert out.count("full-batch gradient: fastgd") == 3


def test_demo_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "loss.png"
    assert main(["demo", "--n-samples", "300", "--n-features", "4", "--epochs", "2",
                 "--plot", str(target)]) == 0
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert target.stat().st_size > 5000


def test_python_dash_m_runs_the_demo():
    result = subprocess.run([sys.executable, "-m", "fastgd", "demo", "--n-samples", "200",
                             "--n-features", "3", "--epochs", "1"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "SoftmaxRegression" in result.stdout


def test_unknown_command_exits_with_usage():
    with pytest.raises(SystemExit):
        main(["nonsense"])
