"""``course progress``: run lessons in fresh kernels and report every exercise's outcome.

    course progress                      # every lesson of this checkout
    course progress notebooks/03_*.ipynb # some lessons; --json for an instructor's collection

Each notebook is read, executed in memory in a fresh kernel (never written back), with the
network cut where the system allows it, and each check cell's result is collected through
:data:`course_lib.exercises.PROGRESS_LOG_ENV`. Exit status: 0 when every exercise passed,
1 otherwise, 2 for a bad argument.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CHECK_CALL = re.compile(r"""exercises\.check\(\s*["'](?P<id>\d\d\.\w+)["']\s*,\s*(?P<answer>\w+)\s*\)""")
OFFLINE_ENV = "COURSE_PROGRESS_OFFLINE"  # set in the child that runs with the network cut
MARK = {"passed": "✅ passed", "failed": "❌ failed", "not_attempted": "⏳ not attempted"}


@dataclass(frozen=True)
class ExerciseCell:
    """Where one exercise sits in a notebook: its id, the name its check passes, its cells."""

    id: str
    answer: str
    stub_index: int  # the cell tagged ``exercise`` before the check (-1 if there is none)
    check_index: int


@dataclass(frozen=True)
class Outcome:
    """One exercise's status after a run, with the check's feedback."""

    id: str
    status: str  # passed, failed or not_attempted
    message: str


@dataclass(frozen=True)
class LessonReport:
    """What running one notebook found."""

    notebook: str
    seconds: float
    peak_mib: float  # the kernel's largest PSS, its children included
    note: str  # why some checks did not run (an error, a time-out), or ""
    exercises: list[Outcome]


def _tags(cell: Any) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def exercise_cells(nb: Any) -> list[ExerciseCell]:
    """Every ``exercises.check("NN.name", answer)`` call in the notebook's cells tagged ``check``."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code" or "check" not in _tags(cell):
            continue
        stub = i - 1 if i > 0 and "exercise" in _tags(nb["cells"][i - 1]) else -1
        for m in CHECK_CALL.finditer("".join(cell["source"])):
            found.append(ExerciseCell(m["id"], m["answer"], stub, i))
    return found


class UsageError(Exception):
    """A bad command-line argument (reported in one line, exit status 2)."""


def read_notebook(path: Path) -> Any:
    """The notebook at ``path``, or :class:`UsageError` saying why it is not one."""
    import nbformat

    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if not path.is_file() or path.suffix != ".ipynb":
        raise UsageError(f"{path}: not a Jupyter notebook (expected a .ipynb file)")
    try:
        return nbformat.read(path, as_version=4)
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not a notebook"
        raise UsageError(f"{path}: not a Jupyter notebook ({type(exc).__name__})") from None


def _error_in(cell: Any) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename')}: {out.get('evalue', '')}"[:300]
    return ""


def _first_error(nb: Any) -> str:
    for n, cell in enumerate((c for c in nb["cells"] if c["cell_type"] == "code"), start=1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return f"code cell {n} raised {out.get('ename')}: {out.get('evalue', '')}"[:300]
    return ""


DEFAULT_TIMEOUT = 120  # seconds per cell: the longest whole lesson takes under a minute here


def _show_cell(name: str) -> Callable[[int, int], None]:
    """Progress on a terminal: the lesson and the code cell now running, on one line."""
    def show(k: int, n: int) -> None:
        if sys.stderr.isatty():
            print(f"\r  {name}: code cell {k}/{n}", end="", file=sys.stderr, flush=True)
    return show


def run_lesson(path: Path, timeout: int = DEFAULT_TIMEOUT) -> LessonReport:
    """Execute one notebook in a fresh kernel (in memory) and collect its checks' outcomes."""
    from course_lib.exercises import PROGRESS_LOG_ENV, core
    from course_lib.tools.notebook_runner import execute

    nb = read_notebook(path)
    cells = exercise_cells(nb)
    lesson = path.name[:2]
    ids = [c.id for c in cells]
    ids += [i for i in core.lesson_ids(lesson) if i not in ids]  # registered but never checked
    with tempfile.TemporaryDirectory(prefix="course-progress-") as tmp:
        log = Path(tmp) / "results.jsonl"
        env = {**os.environ, PROGRESS_LOG_ENV: str(log), "HF_HUB_OFFLINE": "1",
               "PYDEVD_DISABLE_FILE_VALIDATION": "1", "MPLBACKEND": "agg"}
        run = execute(nb, path.parent, timeout=timeout, allow_errors=True, env=env,
                      on_cell=_show_cell(path.name))
        note = f"{run.stopped}; the checks after it did not run" if run.stopped else ""
        results: dict[str, Outcome] = {}
        if log.exists():
            for line in log.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                results[row["id"]] = Outcome(row["id"], row["status"], row["message"])  # the last wins
    note = note or _first_error(nb)
    missing = "its check cell did not run" + (f" ({note})" if note else "")
    broken = {}  # exercises whose own cells raised: the learner's code does not run yet
    for c in cells:
        for what, index in (("exercise", c.stub_index), ("check", c.check_index)):
            error = _error_in(nb.cells[index]) if index >= 0 else ""
            if error and c.id not in broken:
                broken[c.id] = Outcome(c.id, "failed", f"the {what} cell raised {error}")
    outcomes = [results.get(i) or broken.get(i) or Outcome(i, "not_attempted", missing) for i in ids]
    return LessonReport(path.name, round(run.seconds, 1), round(run.peak_mib), note, outcomes)


def _bring_loopback_up() -> None:
    """In a new network namespace only ``lo`` exists, and it is down: the kernel needs it."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, siocgifflags, request))[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sH14x", b"lo", flags | iff_up))


def _can_cut_network() -> bool:
    unshare = shutil.which("unshare")
    if not unshare:
        return False
    try:
        return subprocess.run([unshare, "-rn", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def default_notebooks() -> list[Path]:
    """The lessons of the checkout in the current folder, else those beside course_lib."""
    for root in (Path.cwd(), *Path.cwd().parents, Path(__file__).resolve().parents[2]):
        found = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        if found and (root / "course_lib").is_dir():
            return found
    return []


def format_table(reports: list[LessonReport]) -> str:
    """The human-readable report: one block per lesson, then the totals."""
    lines = []
    counts = {"passed": 0, "failed": 0, "not_attempted": 0}
    for rep in reports:
        lines.append(f"{rep.notebook}  ({rep.seconds:.0f} s, {rep.peak_mib:.0f} MiB)")
        if rep.note:
            lines.append(f"  stopped early: {rep.note}")
        if not rep.exercises:
            lines.append("  nothing to check: this notebook has no exercises")
        for o in rep.exercises:
            counts[o.status] += 1
            text = "" if o.status == "passed" else f": {o.message}"
            lines.append(f"  {MARK[o.status]:<17} {o.id}{text}")
        lines.append("")
    total = sum(counts.values())
    lines.append(f"{counts['passed']} passed, {counts['failed']} failed, {counts['not_attempted']} not "
                 f"attempted, of {total} exercises in {len(reports)} lesson(s).")
    return "\n".join(lines)


def learner_name() -> str:
    """Who runs the report: ``$JUPYTERHUB_USER`` on a hub, else the login name."""
    import getpass

    try:
        return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()
    except (KeyError, OSError):  # a user id with no name (some containers)
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    from course_lib.tools.parsing import OneLineParser

    parser = OneLineParser(prog="course progress",
                                     description="Run lessons in fresh kernels and report each "
                                                 "exercise: passed, failed (with feedback) or not "
                                                 "attempted. Never modifies the notebooks.")
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every lesson")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT,
                        help=f"seconds per cell (default {DEFAULT_TIMEOUT})")
    parser.add_argument("--learner", default=None,
                        help="the name the JSON report carries for `course class` "
                             "(default: $JUPYTERHUB_USER, else the login name)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``course progress``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its one-line usage error
        return int(exc.code or 0)
    try:
        if args.timeout <= 0:
            raise UsageError(f"--timeout: expected a positive number of seconds, got {args.timeout}")
        learner = args.learner if args.learner is not None else learner_name()
        if not learner.strip():
            raise UsageError("--learner: expected a name, got ''")
        paths = [p.resolve() for p in args.notebooks] or default_notebooks()
        if not paths:
            raise UsageError("no lessons found: run it inside the course's folder, or name notebooks")
        for p in paths:
            read_notebook(p)
    except UsageError as exc:
        print(f"course progress: {exc}", file=sys.stderr)
        return 2
    if OFFLINE_ENV not in os.environ:
        if _can_cut_network():
            child = [shutil.which("unshare") or "unshare", "-rn", sys.executable, "-m",
                     "course_lib.tools.progress",
                     *map(str, paths), *(["--json"] if args.json else []), "--timeout", str(args.timeout),
                     "--learner", learner]
            return subprocess.run(child, env={**os.environ, OFFLINE_ENV: "cut"}).returncode
        os.environ[OFFLINE_ENV] = "not cut"
    if os.environ[OFFLINE_ENV] == "cut":
        _bring_loopback_up()
    print(f"network: {os.environ[OFFLINE_ENV]}; running {len(paths)} lesson(s) in fresh kernels...",
          file=sys.stderr)
    reports = []
    for p in paths:
        print(f"  {p.name}: running...", file=sys.stderr, flush=True)
        rep = run_lesson(p, timeout=args.timeout)
        end = f"stopped early ({rep.note})" if rep.note else "done"
        print(f"\r  {rep.notebook}: {end} in {rep.seconds:.0f} s", file=sys.stderr)
        reports.append(rep)
    if args.json:
        print(json.dumps({"learner": learner, "network": os.environ[OFFLINE_ENV],
                          "lessons": [asdict(r) for r in reports]}, indent=1, ensure_ascii=False))
    else:
        print(format_table(reports))
    checked = all(r.exercises for r in reports)  # a notebook with nothing to check is no pass
    return 0 if checked and all(o.status == "passed" for r in reports for o in r.exercises) else 1


if __name__ == "__main__":
    sys.exit(main())
