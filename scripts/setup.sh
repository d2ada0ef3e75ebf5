#!/usr/bin/env bash
# Set up the course on this machine: a virtual environment (.venv/, or COURSE_VENV) with every
# pinned package, course_lib installed in editable mode, and Visdom's front-end files
# provisioned for offline use. Python 3.11, 3.12 or 3.13: PYTHON=/path/to/python picks one,
# otherwise the environment's own Python, else the first of python3.11, python3.12, python3.13,
# python3 that runs and is supported. Safe to re-run: it redoes nothing when nothing it installs changed.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

supported="3.11 3.12 3.13"  # keep in step with requires-python in pyproject.toml
venv="${COURSE_VENV:-.venv}"
minor_of() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true; }
is_supported() { case " $supported " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

python_bin="${PYTHON:-}"
if [ -z "$python_bin" ] && [ -x "$venv/bin/python" ]; then
  python_bin="$venv/bin/python"
fi
if [ -z "$python_bin" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && is_supported "$(minor_of "$candidate")"; then
      python_bin="$candidate"; break
    fi
  done
fi
minor="$(minor_of "${python_bin:-python3}")"
if ! is_supported "$minor"; then
  echo "The course runs on Python 3.11, 3.12 or 3.13; '${python_bin:-python3}' is ${minor:-not a Python that runs here}: install one of them and run again with PYTHON=/path/to/python3.13 (or 3.12, 3.11)." >&2
  exit 1
fi

if [ -x "$venv/bin/python" ] && [ "$(minor_of "$venv/bin/python")" != "$minor" ]; then
  echo "$venv/ was made with Python $(minor_of "$venv/bin/python"), not $minor: remove $venv/ to remake it, or set COURSE_VENV=.venv-$minor to keep both." >&2
  exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "[setup] creating $venv/ with $("$python_bin" --version)"
  "$python_bin" -m venv "$venv"
fi

# The install is redone only when what it depends on changes.
want="$({ "$venv/bin/python" --version; cat pyproject.toml requirements.lock scripts/build-constraints.txt; } | sha256sum | cut -d' ' -f1)"
stamp="$venv/.course-installed"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[setup] installing the pinned packages (a few minutes the first time)"
  # visdom 0.2.4 is an sdist whose setup.py imports pkg_resources: build it with setuptools<81.
  # Every version comes from requirements.lock (scripts/lock.py), transitive ones included.
  PIP_CONSTRAINT="$root/scripts/build-constraints.txt" \
    "$venv/bin/python" -m pip install --disable-pip-version-check -q -c requirements.lock \
    -e ".[dev]" setuptools wheel
  echo "$want" > "$stamp"
else
  echo "[setup] packages already installed"
fi

# Visdom's JavaScript and CSS come from the npm registry, never from a CDN at start.
"$venv/bin/python" -m course_lib.tools.visdom_assets

# JupyterHub's proxy for a class's hub (deploy/, tests/test_hub.py): configurable-http-proxy 5.3.0
# from npm (npm ci against its pinned lock) into the venv; nothing to do once it is there.
"$venv/bin/python" -m course_lib.tools.hub_proxy

# The website's MathJax and the accessibility tests' axe-core come from npm too (pinned, sha512-checked).
"$venv/bin/python" -m course_lib.tools.site --provision

# The lessons' kernel. MALLOC_ARENA_MAX=2 stops glibc from giving each of TensorFlow's many
# threads a memory arena of its own that keeps what it frees (about 200 MiB in lesson 06).
"$venv/bin/python" -m ipykernel install --sys-prefix --name python3 \
  --display-name "Python 3 (ipykernel)" --env MALLOC_ARENA_MAX 2 > /dev/null

# JupyterLab's own settings for this environment (never the user's home): no news pop-up.
mkdir -p "$venv/share/jupyter/lab/settings"
cp scripts/lab-overrides.json "$venv/share/jupyter/lab/settings/overrides.json"
