#!/usr/bin/env bash
# Set up the course (if needed), lint (ruff, notebooks included), type-check course_lib (mypy),
# then run the whole test suite: course_lib's unit tests,
# the real-server tests, and every notebook through nbval in strict mode.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh tests/test_data.py -x`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
.venv/bin/ruff check course_lib tests scripts benchmarks notebooks  # ruff reads the notebooks too
.venv/bin/mypy  # course_lib, as configured in pyproject.toml
exec .venv/bin/python -m pytest "$@"
