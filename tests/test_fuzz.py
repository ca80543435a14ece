"""A fixed slice of the fuzz campaign (tools/fuzz.py): random, often
malformed calls of every public kernel and estimator entry point, in a worker
process, with no crash, no hang, and every rejection a ValueError or
TypeError that names an argument."""
import json
import os
import subprocess
import sys

TOOL = os.path.join(os.path.dirname(__file__), os.pardir, "tools", "fuzz.py")


def test_a_fixed_fuzz_slice_finds_nothing():
    result = subprocess.run([sys.executable, TOOL, "--calls", "1000", "--seed", "20261205",
                             "--timeout", "60", "--json"],
                            capture_output=True, text=True, timeout=600)
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["ok"] + summary["rejected"] + summary["known"] == 1000
    assert (summary["crash"], summary["hang"], summary["finding"]) == (0, 0, 0), \
        summary["findings"]
    # the slice exercises both outcomes, not only one
    assert summary["ok"] > 50 and summary["rejected"] > 50
