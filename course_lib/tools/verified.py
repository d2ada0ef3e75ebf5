"""Which lessons last passed nbval in strict mode, when, and with which versions.

pyproject.toml's pytest options load this module as a plugin (``-p course_lib.tools.verified``).
At the end of a session that ran nbval strictly (``--nbval``, not ``--nbval-lax``), every lesson
under a ``notebooks/`` folder
whose cells were all selected and all passed gets a record in ``benchmarks/verified.json``
(or ``$COURSE_VERIFIED_FILE``): the date (UTC), Python, torch and TensorFlow versions, and a
hash of its code and stored outputs, so a lesson whose code or outputs changed since counts as not
verified (a prose edit does not). The website shows it.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import platform
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from course_lib.settings import REPO_ROOT

NOT_VERIFIED = "Not verified"


def record_path() -> Path:
    """The verification file: ``$COURSE_VERIFIED_FILE`` or ``benchmarks/verified.json``."""
    raw = os.environ.get("COURSE_VERIFIED_FILE", "").strip()
    return Path(raw) if raw else REPO_ROOT / "benchmarks" / "verified.json"


def notebook_hash(path: Path) -> str:
    """SHA-256 of what nbval checks: every code cell's source and stored outputs (prose, metadata,
    key order and line endings do not count)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    checked = [["".join(c["source"]), c.get("outputs", [])] for c in cells if c["cell_type"] == "code"]
    canonical = json.dumps(checked, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _version(*names: str) -> str:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "absent"


def environment() -> dict[str, str]:
    """The versions a record names, read from this environment (nbval's kernel runs in it)."""
    return {"python": platform.python_version(), "torch": _version("torch"),
            "tensorflow": _version("tensorflow-cpu", "tensorflow")}


def load(path: Path | None = None) -> dict[str, dict[str, str]]:
    """The records, lesson stem -> record; {} when there is no file yet."""
    try:
        data = json.loads((path or record_path()).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return dict(data.get("lessons", {}))


def line(notebook: Path, records: dict[str, dict[str, str]]) -> str:
    """What a lesson's page says: ``Last verified: <date> · Python x · torch y · TensorFlow z``,
    or ``Not verified`` when there is no record or the lesson's code or outputs changed since."""
    rec = records.get(notebook.stem)
    if not rec or rec.get("sha256") != notebook_hash(notebook):
        return NOT_VERIFIED
    return (f"Last verified: {rec['date']} · Python {rec['python']} · torch {rec['torch']} · "
            f"TensorFlow {rec['tensorflow']}")


@dataclass
class Tally:
    """One session's nbval results per notebook: cells collected, selected, passed, failed."""

    collected: dict[Path, set[str]] = field(default_factory=dict)
    selected: dict[Path, set[str]] = field(default_factory=dict)
    passed: dict[Path, set[str]] = field(default_factory=dict)
    failed: set[Path] = field(default_factory=set)

    def verified(self) -> list[Path]:
        """Notebooks whose every collected cell was selected, passed, and none failed."""
        return sorted(nb for nb, cells in self.collected.items()
                      if cells and nb not in self.failed
                      and self.selected.get(nb) == cells == self.passed.get(nb))


def _notebook_of(nodeid: str, rootpath: Path) -> Path | None:
    """The lesson file of an nbval item or collector id (``notebooks/x.ipynb::Cell 3``), else None."""
    file = Path(nodeid.split("::", 1)[0].split("@", 1)[0])  # pytest-xdist's loadgroup adds "@group"
    if file.suffix != ".ipynb" or file.parent.name != "notebooks":
        return None
    return (rootpath / file).resolve()


def _strip_group(nodeid: str) -> str:
    """``nodeid`` without the "@group" that pytest-xdist's loadgroup adds once collection is done."""
    file, sep, rest = nodeid.partition("::")
    return file + sep + rest.rsplit("@", 1)[0] if "@" in rest else nodeid


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (test workers of one run write the same file)."""
    try:
        import fcntl
    except ImportError:  # Windows: one writer at a time is up to the caller
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def update(tally: Tally, today: datetime.date, env: dict[str, str], path: Path) -> list[str]:
    """Write a record for every verified notebook of ``tally`` into ``path``; returns their stems."""
    done = tally.verified()
    if not done:
        return []
    with _locked(path.parent):
        records = load(path)
        for nb in done:
            records[nb.stem] = {"date": today.isoformat(), **env, "sha256": notebook_hash(nb)}
        text = json.dumps({"lessons": dict(sorted(records.items()))}, indent=2, ensure_ascii=False) + "\n"
        tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return [nb.stem for nb in done]


# --- the pytest plugin (pyproject.toml's addopts load this module) -------------------------------


def pytest_configure(config: Any) -> None:
    """Count results only when nbval runs in strict mode (``--nbval`` without ``--nbval-lax``)."""
    if config.getoption("nbval", False) and not config.getoption("nbval_lax", False):
        config.pluginmanager.register(Recorder(Path(config.rootpath)), "course-verified")


class Recorder:
    """Pytest hooks that fill a ``Tally`` and write the records when the session ends."""

    def __init__(self, rootpath: Path) -> None:
        self.root, self.tally = rootpath, Tally()

    def pytest_collectreport(self, report: Any) -> None:
        """Remember every cell nbval collected from a lesson (before -k or any deselection)."""
        nb = _notebook_of(report.nodeid, self.root)
        if nb is None or "::" in report.nodeid:
            return
        if report.failed:
            self.tally.failed.add(nb)
        self.tally.collected.setdefault(nb, set()).update(_strip_group(item.nodeid) for item in report.result)

    def pytest_collection_finish(self, session: Any) -> None:
        """Remember which cells this session will run."""
        for item in session.items:
            nb = _notebook_of(item.nodeid, self.root)
            if nb is not None:
                self.tally.selected.setdefault(nb, set()).add(_strip_group(item.nodeid))

    def pytest_runtest_logreport(self, report: Any) -> None:
        """A cell passes when its call passed; a failure or skip anywhere fails its lesson."""
        nb = _notebook_of(report.nodeid, self.root)
        if nb is None:
            return
        if report.failed or (report.skipped and report.when == "call"):
            self.tally.failed.add(nb)
        elif report.when == "call" and report.passed:
            self.tally.passed.setdefault(nb, set()).add(_strip_group(report.nodeid))

    def pytest_sessionfinish(self, session: Any) -> None:
        """Write the records of the lessons this session verified."""
        update(self.tally, datetime.datetime.now(datetime.UTC).date(), environment(), record_path())
