"""Which suite a pytest run from the repository's root collects.

``pytest`` (or ``python -m pytest tests``) runs the unit tests in tests/;
``pytest --benchmark-only`` runs the benchmark suite in benchmarks/ (at a
small size; ``FASTGD_BENCH_SCALE=1`` for the standard sizes).  Naming a
path runs what is there.  Both test the installed fastgd.
"""
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _named(config, folder):
    """Whether the command line named ``folder`` (or a path inside it)."""
    for arg in config.args:
        path = (Path(config.invocation_params.dir) / arg.split("::")[0]).resolve()
        if path == folder or folder in path.parents:
            return True
    return False


def pytest_ignore_collect(collection_path, config):
    path = Path(collection_path).resolve()
    benchmark_only = bool(getattr(config.option, "benchmark_only", False))
    for folder, wanted in ((ROOT / "tests", not benchmark_only),
                           (ROOT / "benchmarks", benchmark_only)):
        if (path == folder or folder in path.parents) and not wanted and not _named(config, folder):
            return True
    return None
