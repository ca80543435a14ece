"""Each script of examples/ runs at a small size and writes its figure."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import fastgd

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SRC = os.path.dirname(os.path.dirname(os.path.abspath(fastgd.__file__)))
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("_")) \
    if EXAMPLES.is_dir() else []


def test_the_examples_are_there():
    if not EXAMPLES.is_dir():
        pytest.skip("needs the source checkout's examples/")
    assert len(SCRIPTS) >= 7


@pytest.mark.parametrize("script", SCRIPTS)
def test_an_example_runs_and_writes_its_figure(script, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "figure.png"
    env = dict(os.environ, PYTHONPATH=SRC, MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, str(EXAMPLES / script), "--small", "--out",
                             str(out)], cwd=EXAMPLES, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10000
    assert "figure written to" in result.stdout
