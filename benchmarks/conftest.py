"""pytest-benchmark configuration of the fastgd benchmark suites.

Run them from the repository's root with ``pytest --benchmark-only``,
against the installed fastgd (``pip install ".[test]"``), at a small size
that takes a few minutes; ``FASTGD_BENCH_SCALE=1 pytest --benchmark-only``
runs the standard sizes of docs/performance.md.  Each group puts fastgd beside its peers on the same data,
so the ratios are read in one run from the table pytest-benchmark prints;
each test also asserts that its implementation computes the same result as
the others (never a wall-clock time).

Environment:

``FASTGD_BENCH_SCALE`` (default 0.05)
    Multiplies the standard sizes (200,000 x 100 dense, 100,000 x
    100,000 sparse); 1 for the standard sizes.
``FASTGD_BENCH_ROUNDS`` (default 5)
    Timed repeats of each benchmark (after one warm-up round).
``FASTGD_BENCH_TORCH_THREADS`` (default 1)
    Threads torch may use (fastgd's epoch runs on one).
``FASTGD_BENCH_BLAS_THREADS`` (default: unset, the BLAS library's choice)
    Limit the BLAS threads of NumPy / SciPy / scikit-learn.
"""

import pytest

import workloads

# The suite's default size: a run of a few minutes.  The standard sizes are
# FASTGD_BENCH_SCALE=1.
DEFAULT_SCALE = "0.05"


def _rounds():
    return workloads.env_positive_int("FASTGD_BENCH_ROUNDS", 5)


# held for the whole session: the limit lasts as long as this object
_BLAS_LIMIT = workloads.limit_blas_threads(workloads.blas_threads())


def pytest_report_header(config):
    lines = [f"fastgd benchmarks: FASTGD_BENCH_SCALE={workloads.env_scale(DEFAULT_SCALE)}, "
             f"FASTGD_BENCH_ROUNDS={_rounds()}"]
    lines += [f"  {label}: {value}" for label, value in workloads.machine_info()]
    return lines


@pytest.fixture(scope="session")
def scale():
    """The size factor of every benchmark (FASTGD_BENCH_SCALE)."""
    return workloads.env_scale(DEFAULT_SCALE)


@pytest.fixture
def measure(benchmark):
    """Time ``workload.run`` with pytest-benchmark, after ``workload.reset``
    (untimed) before each round, in the named group; return run's result of
    the last round."""
    rounds = _rounds()

    def measure(workload, group, **extra_info):
        benchmark.group = group
        benchmark.extra_info.update(extra_info)

        def setup():
            workload.reset()

        return benchmark.pedantic(workload.run, setup=setup, rounds=rounds,
                                  warmup_rounds=1, iterations=1)

    return measure
