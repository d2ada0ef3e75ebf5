#!/usr/bin/env bash
# Set up the course on this machine: .venv/ with every pinned package, course_lib
# installed in editable mode, and Visdom's front-end files provisioned for offline use.
# Safe to re-run: it redoes nothing when pyproject.toml has not changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

python_bin="${PYTHON:-}"
if [ -z "$python_bin" ]; then
  if command -v python3.11 >/dev/null 2>&1; then python_bin=python3.11; else python_bin=python3; fi
fi
if ! "$python_bin" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "The course needs Python 3.11; '$python_bin' is $("$python_bin" --version 2>&1)." >&2
  echo "Set PYTHON=/path/to/python3.11 and run again." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv/ with $("$python_bin" --version)"
  "$python_bin" -m venv .venv
fi

# The install is redone only when what it depends on changes.
want="$(cat pyproject.toml requirements.lock scripts/build-constraints.txt | sha256sum | cut -d' ' -f1)"
stamp=.venv/.course-installed
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[setup] installing the pinned packages (a few minutes the first time)"
  # visdom 0.2.4 is an sdist whose setup.py imports pkg_resources: build it with setuptools<81.
  # Every version comes from requirements.lock (scripts/lock.py), transitive ones included.
  PIP_CONSTRAINT="$root/scripts/build-constraints.txt" \
    .venv/bin/python -m pip install --disable-pip-version-check -q -c requirements.lock \
    -e ".[dev]" setuptools wheel
  echo "$want" > "$stamp"
else
  echo "[setup] packages already installed"
fi

# Visdom's JavaScript and CSS come from the npm registry, never from a CDN at start.
.venv/bin/python -m course_lib.tools.visdom_assets

# The lessons' kernel. MALLOC_ARENA_MAX=2 stops glibc from giving each of TensorFlow's many
# threads a memory arena of its own that keeps what it frees (about 200 MiB in lesson 06).
.venv/bin/python -m ipykernel install --sys-prefix --name python3 \
  --display-name "Python 3 (ipykernel)" --env MALLOC_ARENA_MAX 2 > /dev/null

# JupyterLab's own settings for this environment (never the user's home): no news pop-up.
mkdir -p .venv/share/jupyter/lab/settings
cp scripts/lab-overrides.json .venv/share/jupyter/lab/settings/overrides.json
