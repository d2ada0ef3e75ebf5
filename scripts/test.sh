#!/usr/bin/env bash
# Set up the course (if needed), lint (ruff, notebooks included), type-check course_lib (mypy),
# then run the whole test suite: course_lib's unit tests,
# the real-server tests, and every notebook through nbval in strict mode.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/test_data.py -x`.
# PYTHON=python3.13 picks the Python (see scripts/setup.sh), COURSE_VENV=.venv-3.13 the environment.
# On Python 3.12 and 3.13 the browser and server tests are left out (they run on 3.11, CI's
# first leg): the unit tests and every lesson in strict mode run on each of them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="${COURSE_VENV:-.venv}"
# --fast: the quick unit tests only (no browser, server, multi-process, notebook or slow test; see
# CONTRIBUTING, "Changing the code"), for the loop while you work. Run the whole command before a commit.
fast=()
if [ "${1:-}" = "--fast" ]; then
  shift
  fast=(tests -m "not (browser or server or multiprocess or notebook or slow)")
fi
bash scripts/setup.sh
"$venv/bin/ruff" check course_lib tests scripts benchmarks notebooks website  # the notebooks too
"$venv/bin/mypy"  # course_lib, as configured in pyproject.toml
only_311=()
if [ "$("$venv/bin/python" -c 'import sys; print(sys.version_info[:2] == (3, 11))')" != True ]; then
  echo "[test] $("$venv/bin/python" --version): the browser, server, hub and website tests run on Python 3.11 only"
  for glob in test_browser test_start_command test_tensorboard_server test_visdom test_training_visdom \
              test_binder_launch test_hub test_class test_site; do
    only_311+=("--ignore-glob=tests/$glob*")
  done
fi
# Two pytest-xdist workers share the tests, each file (a lesson, one server's tests) whole on one
# worker, in order. COURSE_TEST_WORKERS=0 runs everything in this one process (for --pdb, say).
workers="${COURSE_TEST_WORKERS:-2}"
parallel=()
if [ "$workers" != 0 ]; then
  parallel=(-n "$workers" --dist loadfile)
fi
# ${a[@]+"${a[@]}"}: an empty array under `set -u` is an error in macOS's bash 3.2
exec "$venv/bin/python" -m pytest ${parallel[@]+"${parallel[@]}"} ${only_311[@]+"${only_311[@]}"} \
  ${fast[@]+"${fast[@]}"} "$@"
