"""Every ```python block of README.md runs as a script on its own."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import fastgd

README = Path(__file__).resolve().parents[2] / "README.md"
SRC = os.path.dirname(os.path.dirname(os.path.abspath(fastgd.__file__)))


def python_blocks():
    if not README.is_file():
        return []
    return re.findall(r"^```python\n(.*?)^```", README.read_text(), flags=re.S | re.M)


def test_the_readme_has_python_blocks():
    if not README.is_file():
        pytest.skip("needs the source checkout's README.md")
    assert len(python_blocks()) >= 3


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_a_readme_block_runs_as_a_script_and_prints(index, tmp_path):
    code = python_blocks()[index]
    if "sklearn" in code:
        pytest.importorskip("sklearn")
    if "distributed" in code:
        pytest.importorskip("distributed")
    env = dict(os.environ, PYTHONPATH=SRC, MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip(), "a README example should print what it shows"
