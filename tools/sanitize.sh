#!/usr/bin/env bash
# Build fastgd with AddressSanitizer and UndefinedBehaviorSanitizer in a
# scratch copy of this checkout and run the kernel, guard, concurrency and
# fuzz tests under them.  Any report aborts the run (exit status != 0).
#
#   tools/sanitize.sh                 the default test selection
#   tools/sanitize.sh tests/optim     other pytest arguments instead
#
# Needs gcc (for the sanitizer runtimes) and the test dependencies in the
# active Python environment.  The build and the tests take the lock
# /tmp/fastgd-cpu.lock, shared with other CPU-heavy jobs on the machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/fastgd-sanitize.XXXXXX")"
trap 'rm -rf "$work"' EXIT
lock="${FASTGD_LOCK:-/tmp/fastgd-cpu.lock}"

# the working tree as it is (committed or not), without built files
(cd "$root" && tar --exclude='*.so' --exclude='*.c' --exclude='__pycache__' \
    -cf - src tests tools setup.py pyproject.toml conftest.py README.md docs examples) \
    | tar -xf - -C "$work"
cd "$work"
echo "building with FASTGD_SANITIZE=1 in $work"
FASTGD_SANITIZE=1 flock "$lock" python setup.py build_ext --inplace -q >build.log 2>&1 \
    || { cat build.log; exit 1; }

if [ "$#" -eq 0 ]; then
    # test_cimport compiles and pip-installs consumers: minutes, and no
    # fastgd code of its own runs there
    set -- tests/kernels tests/optim tests/test_threads.py tests/test_validation.py \
        tests/test_numerical_edges.py tests/test_callbacks.py tests/test_block_shuffle.py \
        tests/test_layout.py tests/test_fuzz.py tests/reference \
        --ignore=tests/kernels/test_cimport.py
fi

export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
# CPython's allocator is not instrumented, so leaks are out of scope
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export PYTHONPATH="$work/src"
export FASTGD_SANITIZED=1
start=$(date +%s)
flock "$lock" python -m pytest -q -p no:cacheprovider "$@"
echo "sanitized run: $(( $(date +%s) - start )) s, no sanitizer reports"
