"""Every ```python block of README.md runs as a script on its own, and
prints what the README shows after it."""
import math
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
    """(code, output) of each python block: output is what the README shows
    in a plain ``` block right after it, or None where it shows none."""
    if not README.is_file():
        return []
    text = README.read_text()
    blocks = list(re.finditer(r"^```(\w*)\n(.*?)^```\n", text, flags=re.S | re.M))
    found = []
    for i, block in enumerate(blocks):
        if block.group(1) != "python":
            continue
        after = blocks[i + 1] if i + 1 < len(blocks) else None
        shown = (after.group(2) if after is not None and after.group(1) == ""
                 and not text[block.end():after.start()].strip() else None)
        found.append((block.group(2), shown))
    return found


def test_the_readme_has_python_blocks():
    if not README.is_file():
        pytest.skip("needs the source checkout's README.md")
    assert len(python_blocks()) >= 3
    assert sum(shown is not None for _, shown in python_blocks()) >= 3


_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _agree(printed, shown):
    """The same words, and numbers equal to 1e-3 relative (or 1e-6 absolute:
    a converged error of 1e-7 may round otherwise on another platform)."""
    if _NUMBER.sub("#", printed) != _NUMBER.sub("#", shown):
        return False
    return all(math.isclose(float(a), float(b), rel_tol=1e-3, abs_tol=1e-6)
               for a, b in zip(_NUMBER.findall(printed), _NUMBER.findall(shown)))


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_a_readme_block_runs_as_a_script_and_prints_what_the_readme_shows(index, tmp_path):
    code, shown = python_blocks()[index]
    if "sklearn" in code:
        pytest.importorskip("sklearn")
    if "distributed" in code:
        pytest.importorskip("distributed")
    env = dict(os.environ, PYTHONPATH=SRC, MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    printed = result.stdout.strip()
    assert printed, "a README example should print what it shows"
    if shown is not None:
        assert _agree(printed, shown.strip()), (f"README shows:\n{shown}\n"
                                                f"the block printed:\n{printed}")
