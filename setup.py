"""Build the Cython kernels.

Compiler directives are set once here.  ``FASTGD_DEBUG=1`` in the environment
builds the kernels with bounds checking and wraparound on, for debugging a
crash, and ``FASTGD_SANITIZE=1`` with AddressSanitizer and
UndefinedBehaviorSanitizer (run under them with ``tools/sanitize.sh``); the
default build is portable (no ``-march=native``).  OpenMP is used
when the compiler supports it (``FASTGD_OPENMP=0`` disables it); it is never
required to build.
"""
import os
import subprocess
import sys
import sysconfig
import tempfile

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("FASTGD_DEBUG", "0") == "1"
NATIVE = os.environ.get("FASTGD_NATIVE", "0") == "1"
SANITIZE = os.environ.get("FASTGD_SANITIZE", "0") == "1"


def _openmp_flags():
    """Return the OpenMP compile/link flags if the C compiler accepts them."""
    if os.environ.get("FASTGD_OPENMP", "1") == "0" or sys.platform == "win32":
        return []
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    cc = cc.split()
    src = "#include <omp.h>\nint main(void){return omp_get_max_threads() < 1;}\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "t.c")
        with open(path, "w") as f:
            f.write(src)
        try:
            res = subprocess.run(cc + ["-fopenmp", path, "-o", os.path.join(tmp, "t")],
                                 capture_output=True)
        except OSError:
            return []
    return ["-fopenmp"] if res.returncode == 0 else []


OPENMP = _openmp_flags()
# -Wno-psabi: GCC notes that the 32-byte vectors simd.h's inline helpers
# return change the ABI without AVX; they never cross an object file.
COMPILE_ARGS = ["-O3", "-Wno-psabi"] + OPENMP + (["-march=native"] if NATIVE else [])
if DEBUG:
    COMPILE_ARGS = ["-O0", "-g"] + OPENMP
# the sanitizer runtimes must be loaded first: Python is not built with
# them, so tools/sanitize.sh runs it with LD_PRELOAD
SANITIZE_FLAGS = (["-fsanitize=address,undefined", "-fno-omit-frame-pointer"]
                  if SANITIZE else [])
if SANITIZE:
    COMPILE_ARGS = SANITIZE_FLAGS + ["-g", "-O1", "-Wno-psabi"] + OPENMP

DIRECTIVES = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "cdivision": not DEBUG,
    "initializedcheck": DEBUG,
    "nonecheck": DEBUG,
    "embedsignature": True,
}


def _ext(name):
    return Extension(
        f"fastgd.kernels.{name}",
        [f"src/fastgd/kernels/{name}.pyx"],
        include_dirs=[numpy.get_include(), "src/fastgd/kernels"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=COMPILE_ARGS,
        extra_link_args=SANITIZE_FLAGS + OPENMP,
    )


setup(
    ext_modules=cythonize(
        [_ext(name) for name in ("rules", "_common", "_linear", "_mlp", "_saga", "_sgd")],
        compiler_directives=DIRECTIVES,
        include_path=["src"],
    ),
)
