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
    from fastgd.kernels.rules cimport UpdateRule, rule_step

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
""")

SETUP = textwrap.dedent("""
    from setuptools import setup, Extension
    from Cython.Build import cythonize
    pkg = {package_root!r}   # the folder that holds the installed fastgd
    setup(ext_modules=cythonize([Extension("consumer", ["consumer.pyx"])],
                                include_path=[pkg], quiet=True),
          script_args=["build_ext", "--inplace"])
""")


@pytest.fixture(scope="module")
def consumer(tmp_path_factory):
    where = tmp_path_factory.mktemp("consumer")
    (where / "consumer.pyx").write_text(CONSUMER)
    package_root = str(Path(fastgd.__file__).resolve().parents[1])
    (where / "setup.py").write_text(SETUP.format(package_root=package_root))
    result = subprocess.run([sys.executable, "setup.py"], cwd=where, capture_output=True, text=True)
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
