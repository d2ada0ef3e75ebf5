#!/usr/bin/env bash
# Build the course website into build/site/ from the committed notebooks and their stored outputs
# (nothing is executed; a Sphinx warning fails the build). Works offline once set-up has run.
# Open it with: python -m http.server -d build/site -b 127.0.0.1 8000
set -euo pipefail
cd "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "${COURSE_VENV:-.venv}/bin/python" -m course_lib.tools.site "$@"
