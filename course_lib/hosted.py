"""A hosted notebook runtime (Colab and similar): install the course into it from a clone.

Each lesson's first code cell does nothing where ``course_lib`` is importable (the course's own
environment). Elsewhere it clones the repository (``settings.REPOSITORY_URL``, or
``$COURSE_REPOSITORY_URL``) for its ``data/`` and calls :func:`install`, which installs the
course with ``--no-deps`` on top of the runtime's own torch, TensorFlow and NumPy, plus only
the packages the lessons import that the runtime lacks. This module uses the standard library
only: it runs before anything else of the course is installed.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

# What the runtime brings and the cell never installs or replaces (a lesson needing a missing
# one says so when it imports it); compared by import name, so opencv-python counts for cv2.
RUNTIME_OWN = {"torch", "tensorflow", "tensorflow-cpu", "numpy", "keras"}
OLDEST_PYTHON = (3, 11)
# The course's set-up and test tools: a hosted runtime has its own Jupyter, and no Visdom server.
NOT_FOR_LESSONS = {"jupyterlab", "ipykernel", "nbval", "nbclient", "pytest", "visdom", "tornado"}
IMPORT_NAMES = {"opencv-python-headless": "cv2", "scikit-learn": "sklearn", "scikit-image": "skimage"}


# Each lesson's first code cell; scripts/hosted_cell.py writes it with settings.REPOSITORY_URL.
CELL_MARK = "# On a hosted runtime (Colab and similar)"
CELL_TEMPLATE = CELL_MARK + """ this installs the course; in its own set-up it does nothing.
import importlib.util

if importlib.util.find_spec("course_lib") is None:
    import os
    import subprocess
    import sys

    from IPython.core.error import UsageError  # IPython shows it as one line, without a traceback

    url = os.environ.get("COURSE_REPOSITORY_URL") or "{url}"
    clone = ["git", "clone", "-q", "--depth=1", url, "course"]
    if not os.path.isdir("course") and subprocess.run(clone).returncode:
        raise UsageError(f"Cloning {{url}} failed: check the network and the address, then run this again.")
    sys.path.insert(0, os.path.abspath("course"))
    from course_lib.hosted import install

    install("course")"""


def first_cell(url: str) -> str:
    """The source of every lesson's first code cell, for the repository at ``url``."""
    if not re.fullmatch(r"https://\S+", url):
        raise CourseSetupError(f"url: expected the repository's https address, got {url!r}.")
    return CELL_TEMPLATE.format(url=url)


class CourseSetupError(RuntimeError):
    """Set-up failed for a reason the learner can fix: IPython shows only the message, no traceback."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


def requirement_names(pyproject_text: str) -> list[str]:
    """The distribution names of ``[project] dependencies`` in a pyproject.toml's text, in order."""
    match = re.search(r"^dependencies = \[(.*?)^\]", pyproject_text, re.MULTILINE | re.DOTALL)
    if match is None:
        raise CourseSetupError("pyproject.toml has no [project] dependencies: is this a clone of the course?")
    names = re.findall(r'^\s*"([A-Za-z0-9][A-Za-z0-9._-]*)', match.group(1), re.MULTILINE)
    return list(dict.fromkeys(name.lower() for name in names))


def missing_packages(names: Sequence[str]) -> list[str]:
    """Those of ``names`` the lessons import that this Python cannot import (runtime's own ones left out)."""
    wanted = [n for n in names if n not in RUNTIME_OWN and n not in NOT_FOR_LESSONS]
    return [n for n in wanted if importlib.util.find_spec(IMPORT_NAMES.get(n, n.replace("-", "_"))) is None]


def _pip(args: list[str], what: str) -> None:
    """``pip install -q ARGS`` in this Python; a failure is one line naming ``what`` and pip's last line."""
    command = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", *args]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode:
        lines = [line for line in (proc.stderr + proc.stdout).splitlines() if line.strip()]
        last = lines[-1].strip() if lines else f"exit status {proc.returncode}"
        raise CourseSetupError(f"Installing {what} failed ({last}): check the network and run this cell "
                               "again; Runtime > Restart session starts afresh.")


def runtime_pins() -> list[str]:
    """``name==version`` of the runtime's own frameworks that are installed, to keep pip off them."""
    pins = []
    for name in sorted(RUNTIME_OWN):
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return pins


def install(clone: str | Path) -> list[str]:
    """Install the course from ``clone`` into this runtime; returns the packages it had to add."""
    root = Path(clone).resolve()
    if not (root / "pyproject.toml").is_file() or not (root / "course_lib").is_dir():
        raise CourseSetupError(f"{root} is not a clone of the course: delete that folder and run this cell "
                               "again to clone it afresh.")
    if not (root / "data" / "MANIFEST.sha256").is_file():
        raise CourseSetupError(f"{root} has no data/: delete that folder and run this cell again to clone "
                               "the course with its data.")
    if sys.version_info[:2] < OLDEST_PYTHON:
        raise CourseSetupError(f"This runtime's Python is {sys.version.split()[0]}; the course needs 3.11 or "
                               "newer: pick a newer runtime and run this cell again.")
    missing = missing_packages(requirement_names((root / "pyproject.toml").read_text(encoding="utf-8")))
    if missing:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as keep:
            keep.write("".join(pin + "\n" for pin in runtime_pins()))
        _pip(["-c", keep.name, *missing], ", ".join(missing))
        Path(keep.name).unlink()
    _pip(["--no-deps", "-e", str(root)], "the course")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))  # the editable install's path file is read at the next start only
    importlib.invalidate_caches()
    added = f" and {', '.join(missing)}" if missing else ""
    print(f"Installed the course from {root.name}/{added} on this runtime's own torch, TensorFlow and NumPy.")
    return missing
