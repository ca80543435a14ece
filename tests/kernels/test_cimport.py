"""fastgd's .pxd files are a C-level API: another package can cimport the
per-sample losses and update rules.  This test builds such a consumer against
the installed fastgd (as numpy.random tests its cimport interface) and checks
its results against the NumPy reference."""
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import fastgd
from fastgd import reference
from fastgd.optim import make_rule

pytest.importorskip("Cython")

CONSUMER = textwrap.dedent("""
    # cython: language_level=3
    from fastgd.kernels.loss cimport loss_and_dz, LOGISTIC, SOFTMAX
    from fastgd.kernels.rules cimport UpdateRule, rule_step, rule_step3, rule_state_rows

    def logistic(double z, double y):
        cdef double dz
        cdef double loss = loss_and_dz(LOGISTIC, &z, 1, y, &dz)
        return loss, dz

    def softmax(double[::1] z, double y):
        cdef double[3] dz
        cdef double loss = loss_and_dz(SOFTMAX, &z[0], 3, y, dz)
        return loss, [dz[0], dz[1], dz[2]]

    def adam_step(UpdateRule rule, double[::1] p, double[::1] g, double[:, ::1] state, double t):
        rule_step(&rule.c, rule.c.lr, t, &p[0], &g[0], &state[0, 0], &state[1, 0], p.shape[0], True)

    def state_rows(UpdateRule rule):
        return rule_state_rows(&rule.c)

    def step3(UpdateRule rule, double[::1] p, double[::1] g, double[:, ::1] state, double t):
        cdef double* s2 = &state[2, 0] if state.shape[0] > 2 else NULL
        return rule_step3(&rule.c, rule.c.lr, t, &p[0], &g[0], &state[0, 0], &state[1, 0], s2,
                          p.shape[0], True)
""")

# What the README's "From Cython" section tells a consumer to write.
SETUP = textwrap.dedent("""
    import fastgd
    from Cython.Build import cythonize
    from setuptools import Extension, setup

    setup(name="consumer", version="1.0",
          ext_modules=cythonize([Extension("consumer", ["consumer.pyx"],
                                           include_dirs=[fastgd.get_include()])]))
""")
PYPROJECT = textwrap.dedent("""
    [build-system]
    requires = ["setuptools>=64", "Cython>=3.0", "fastgd"]
    build-backend = "setuptools.build_meta"
""")
REPO = Path(__file__).resolve().parents[2]


def test_get_include_is_the_headers_folder():
    include = Path(fastgd.get_include())
    assert include.is_dir() and (include / "csrc" / "simd.h").is_file()
    assert (include / "loss.pxd").is_file() and (include / "rules.pxd").is_file()


@pytest.fixture(scope="module")
def consumer(tmp_path_factory):
    where = tmp_path_factory.mktemp("consumer")
    (where / "consumer.pyx").write_text(CONSUMER)
    (where / "setup.py").write_text(SETUP)
    # Cython finds fastgd's .pxd files on sys.path, as in a consumer's build
    env = dict(os.environ, PYTHONPATH=str(Path(fastgd.__file__).resolve().parents[1]))
    result = subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace"], cwd=where,
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    sys.path.insert(0, str(where))
    try:
        import consumer
        yield consumer
    finally:
        sys.path.remove(str(where))


def test_pxd_files_are_installed():
    package = Path(fastgd.kernels.__file__).parent
    for name in ("loss.pxd", "rules.pxd", "csrc/simd.h", "csrc/prefetch.h"):
        assert (package / name).is_file(), name


def test_consumer_logistic_loss_matches_reference(consumer):
    for z, y in [(0.3, 1.0), (-40.0, 0.0), (1e4, 0.0), (-1e4, 1.0)]:
        loss, dz = consumer.logistic(z, y)
        ref_loss, ref_dz = reference.sample_losses("logistic", np.array([[z]]), np.array([y]))
        np.testing.assert_allclose([loss, dz], [ref_loss[0], ref_dz[0, 0]], rtol=1e-12)


def test_consumer_softmax_loss_matches_reference(consumer):
    z = np.array([0.5, -2.0, 3.0])
    loss, dz = consumer.softmax(z, 2.0)
    ref_loss, ref_dz = reference.sample_losses("softmax", z[None, :], np.array([2.0]))
    np.testing.assert_allclose(loss, ref_loss[0], rtol=1e-12)
    np.testing.assert_allclose(dz, ref_dz[0], rtol=1e-12)


def test_consumer_update_rule_matches_reference(consumer):
    rule = make_rule("adam", 0.1, betas=(0.8, 0.99))
    rng = np.random.default_rng(0)
    p, state = rng.normal(size=5), np.zeros((2, 5))
    p_ref, state_ref = p.copy(), state.copy()
    for t in range(1, 6):
        g = rng.normal(size=5)
        consumer.adam_step(rule, p, g, state, float(t))
        p_ref, state_ref = reference.rule_step(rule.params, p_ref, g, state_ref, t, 0.1)
    np.testing.assert_allclose(p, p_ref, rtol=1e-12)
    np.testing.assert_allclose(state, state_ref, rtol=1e-12)


@pytest.mark.parametrize("hyper", [{"amsgrad": True}, {"amsgrad": False}])
def test_consumer_three_slot_step_matches_reference(consumer, hyper):
    rule = make_rule("adam", 0.1, betas=(0.8, 0.99), **hyper)
    assert consumer.state_rows(rule) == rule.state_rows
    rng = np.random.default_rng(1)
    p, state = rng.normal(size=5), np.zeros((rule.state_rows, 5))
    p_ref, state_ref = p.copy(), state.copy()
    for t in range(1, 6):
        g = rng.normal(size=5) * (10.0 if t == 1 else 1.0)
        assert consumer.step3(rule, p, g, state, float(t)) == 0
        p_ref, state_ref = reference.rule_step(rule.params, p_ref, g, state_ref, t, 0.1)
    np.testing.assert_allclose(p, p_ref, rtol=1e-12)
    np.testing.assert_allclose(state, state_ref, rtol=1e-12)


def test_consumer_without_the_third_slot_changes_nothing(consumer):
    # a rule that needs s2 is never run through a NULL one: rule_step3
    # says so, and rule_step (two slots) leaves everything as it was
    rule = make_rule("adam", 0.1, amsgrad=True)
    p, state = np.ones(4), np.zeros((2, 4))
    assert consumer.step3(rule, p, np.ones(4), state, 1.0) == -1
    consumer.adam_step(rule, p, np.ones(4), state, 1.0)
    assert np.all(p == 1.0) and np.all(state == 0.0)


# -- a consumer built the way pip builds it: build isolation, fastgd a wheel --
def _pip(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pip", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def isolated_build(tmp_path_factory):
    """fastgd's wheel built from this checkout (pip's default build
    isolation), then a consumer package that lists fastgd in its build
    requirements, built by pip under build isolation from that wheel."""
    if not (REPO / "pyproject.toml").is_file():
        pytest.skip("needs fastgd's source checkout")
    where = tmp_path_factory.mktemp("isolated")
    wheels = where / "wheels"
    result = _pip("wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO))
    assert result.returncode == 0, result.stderr[-3000:]
    wheel = next(wheels.glob("fastgd-*.whl"))
    package = where / "consumer"
    package.mkdir()
    (package / "consumer.pyx").write_text(CONSUMER)
    (package / "setup.py").write_text(SETUP)
    (package / "pyproject.toml").write_text(PYPROJECT)
    result = _pip("wheel", "--no-deps", "-v", "--find-links", str(wheels), "-w",
                  str(where / "out"), str(package))
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    target = where / "site"
    installed = _pip("install", "--no-deps", "-q", "--target", str(target),
                     str(next((where / "out").glob("consumer-*.whl"))))
    assert installed.returncode == 0, installed.stderr[-3000:]
    return {"wheel": wheel, "log": result.stdout + result.stderr, "site": target}


@pytest.mark.slow
def test_the_wheel_ships_the_cimport_api_and_no_generated_c(isolated_build):
    import zipfile
    names = zipfile.ZipFile(isolated_build["wheel"]).namelist()
    for name in ("fastgd/kernels/loss.pxd", "fastgd/kernels/rules.pxd",
                 "fastgd/kernels/csrc/simd.h", "fastgd/kernels/csrc/sgd_epoch.h",
                 "fastgd/kernels/csrc/prefetch.h"):
        assert name in names, name
    assert not [n for n in names if n.endswith((".c", ".pyx"))]
    assert any(n.startswith("fastgd-") and n.endswith("LICENSE") for n in names)


@pytest.mark.slow
def test_a_consumer_builds_under_build_isolation_and_agrees(isolated_build):
    code = ("import consumer; loss, dz = consumer.logistic(0.3, 1.0); "
            "import math; assert abs(loss - math.log1p(math.exp(-0.3))) < 1e-12, loss")
    env = dict(os.environ, PYTHONPATH=str(isolated_build["site"]))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, cwd=isolated_build["site"])
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_a_consumers_build_prints_no_warning_from_fastgd_headers(isolated_build):
    lines = [line for line in isolated_build["log"].splitlines()
             if "warning" in line and ("csrc/" in line or "fastgd" in line)]
    assert not lines, "\n".join(lines)


@pytest.mark.parametrize("flags", [[], ["-DFASTGD_SCALAR"], ["-DFASTGD_NO_CLONES"]],
                         ids=["as-shipped", "scalar", "one-version"])
def test_the_headers_compile_without_warnings_where_they_are_included(flags, tmp_path):
    """What a consumer's C file meets: every header included, a few of its
    functions used, -Wall -Wextra, and not one warning from fastgd."""
    import shutil
    import sysconfig
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()
    if shutil.which(cc[0]) is None:
        pytest.skip("no C compiler")
    source = tmp_path / "consumer.c"
    source.write_text('#include "csrc/simd.h"\n#include "csrc/prefetch.h"\n'
                      '#include "csrc/sgd_epoch.h"\n#include "csrc/sigmoid_layer.h"\n'
                      "int main(void) { return 0; }\n")
    result = subprocess.run(cc + ["-c", "-Wall", "-Wextra", "-O2", *flags,
                                  f"-I{fastgd.get_include()}", str(source), "-o",
                                  str(tmp_path / "consumer.o")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "warning" not in result.stderr, result.stderr[-3000:]
