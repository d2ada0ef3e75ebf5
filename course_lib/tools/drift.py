"""The drift run's lesson runner and report (``bash scripts/drift.sh`` writes benchmarks/drift.md).

Each lesson runs in a fresh kernel, every cell, outputs not compared (what ``nbval --nbval-lax``
checks), with a first cell added in memory that shows every DeprecationWarning and
FutureWarning once and tags it with the lesson's cell and line that triggered it.

    python -m course_lib.tools.drift lessons OUT.json [--cwd DIR] [--kernel NAME] [NOTEBOOK ...]
    python -m course_lib.tools.drift report --drift D.json --hosted H.json --unit U.xml ... --out drift.md
"""

from __future__ import annotations

import datetime
import json
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from course_lib.errors import CourseInputError
from course_lib.settings import REPO_ROOT as ROOT  # the one way to find the checkout
from course_lib.tools.parsing import OneLineParser

MARK = "@@drift-warning@@ "
# Runs first in every lesson's kernel: warnings of both kinds are shown, each once per place, as a
# tagged line naming the lesson's line (the innermost frame that is a cell's code).
HOOK = f"""\
import json as _json, sys as _sys, warnings as _warnings  # noqa: E401
_warnings.simplefilter("default", DeprecationWarning)
_warnings.simplefilter("default", FutureWarning)
_show = _warnings.showwarning
def _drift_show(message, category, filename, lineno, file=None, line=None):
    if not issubclass(category, (DeprecationWarning, FutureWarning)):
        return _show(message, category, filename, lineno, file, line)
    frame, cell_line = _sys._getframe(1), None
    while frame is not None:
        name = frame.f_code.co_filename
        if "ipykernel_" in name or name.startswith("<ipython-input"):
            cell_line = frame.f_lineno
            break
        frame = frame.f_back
    record = dict(category=category.__name__, message=str(message).splitlines()[0][:300],
                  origin=f"{{filename}}:{{lineno}}", cell_line=cell_line)
    print({MARK!r} + _json.dumps(record), file=_sys.stderr, flush=True)
_warnings.showwarning = _drift_show
"""


@dataclass
class Warned:
    """One warning, once per lesson and place that raised it: its kind, first line, the lesson's line
    that triggered it, and how many other messages the same place raised (AutoGraph: one per AST node)."""

    category: str
    message: str
    where: str
    similar: int = 0


@dataclass
class LessonResult:
    """How one lesson ran: ``status`` is ran / failed (with the error's first line) / skipped."""

    lesson: str
    status: str
    error: str = ""
    seconds: float = 0.0
    warnings: list[Warned] = field(default_factory=list)


def _stderr_lines(cell: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            text = out["text"] if isinstance(out["text"], str) else "".join(out["text"])
            lines += text.splitlines()
    return lines


def lesson_result(name: str, nb: dict[str, Any], seconds: float = 0.0, crash: str = "") -> LessonResult:
    """The result of an executed notebook ``nb`` (the hook cell first): its first error and its warnings."""
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise CourseInputError(f"nb: expected an executed notebook (a dict with 'cells'), got "
                               f"{type(nb).__name__}.")
    codes = [c for c in nb["cells"] if c.get("cell_type") == "code"][1:]  # the hook cell is not the lesson's
    error = crash
    warned: dict[tuple[str, str], tuple[Warned, set[str]]] = {}
    for number, cell in enumerate(codes, 1):
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and not error:
                evalue = (out.get("evalue") or "").strip().splitlines()
                error = f"code cell {number}: {out.get('ename')}: {evalue[0] if evalue else ''}".rstrip(": ")
        for line in _stderr_lines(cell):
            if line.startswith("UsageError:") and not error:
                error = f"code cell {number}: {line}"
            if not line.startswith(MARK):
                continue
            record = json.loads(line[len(MARK):])
            key = (record["category"], record["origin"])
            if key in warned:
                first, messages = warned[key]
                if record["message"] not in messages:
                    messages.add(record["message"])
                    first.similar += 1
                continue
            at = record.get("cell_line")
            lines = source.splitlines()
            where = (f"code cell {number}, line {at}: `{lines[at - 1].strip()}`"
                     if isinstance(at, int) and 0 < at <= len(lines)
                     else f"outside the lesson's code: {record['origin']}")
            warned[key] = (Warned(record["category"], record["message"], where), {record["message"]})
    return LessonResult(name, "failed" if error else "ran", error, round(seconds, 1),
                        [w for w, _ in warned.values()])


def run_lesson(path: Path, cwd: Path, timeout: int = 900, kernel: str = "python3") -> LessonResult:
    """Execute the lesson at ``path`` in a fresh kernel (the kernelspec ``kernel``), in the folder ``cwd``."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(HOOK))
    client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name=kernel,
                            resources={"metadata": {"path": str(cwd)}})
    start, crash = time.monotonic(), ""
    try:
        client.execute()
    except Exception as exc:  # a dead kernel or a timeout ends the lesson; its message is the result
        crash = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    return lesson_result(path.name, nb, time.monotonic() - start, crash)


def unit_summary(junit_xml: Path) -> dict[str, Any]:
    """Counts and failed test ids from a pytest ``--junitxml`` file."""
    root = ET.parse(junit_xml).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is None:
        raise CourseInputError(f"junit_xml: {junit_xml} holds no <testsuite>.")
    failed = []
    for case in suite.iter("testcase"):
        bad = case.find("failure")
        bad = bad if bad is not None else case.find("error")
        if bad is not None:
            first = (bad.get("message") or "").strip().splitlines()
            failed.append(f"{case.get('classname')}::{case.get('name')}: {first[0][:200] if first else ''}")
    counts = {k: int(suite.get(k, "0")) for k in ("tests", "failures", "errors", "skipped")}
    return {**counts, "failed": failed}


def _versions_table(got: dict[str, str], locked: dict[str, str]) -> list[str]:
    rows = ["| package | newest here | locked |", "|---|---|---|"]
    for name in sorted(got):
        mark = "" if got[name] == locked.get(name) else " (differs)"
        rows.append(f"| {name} | {got[name]}{mark} | {locked.get(name, '-')} |")
    return rows


def _lessons_table(results: list[LessonResult]) -> list[str]:
    rows = ["| lesson | result | time (s) |", "|---|---|---:|"]
    for r in results:
        rows.append(f"| {r.lesson} | {r.status}{': ' + r.error if r.error else ''} | {r.seconds} |")
    for r in results:
        if r.warnings:
            rows += ["", f"**{r.lesson}** warnings:"]
            for w in r.warnings:
                more = f" (and {w.similar} more like it from the same place)" if w.similar else ""
                rows.append(f"- {w.category}: {w.message}{more} — {w.where}")
    return rows


def render(data: dict[str, Any]) -> str:
    """benchmarks/drift.md's text from the collected run (see ``main``'s report command)."""
    out = ["# Drift: the newest releases, and a hosted runtime", "",
           f"Made by `bash scripts/drift.sh` on {data['date']} (Python {data['python']}).", ""]
    if "drift" in data:
        out += ["## The newest release of every direct dependency (no lock, no pins)", "",
                *_versions_table(data["versions"], data["locked"]), ""]
        unit = data.get("unit")
        if unit:
            out += [f"Unit tests: {unit['tests']} run, {unit['failures'] + unit['errors']} failed, "
                    f"{unit['skipped']} skipped.", *[f"- {f}" for f in unit["failed"]], ""]
        out += ["Lessons, executed in fresh kernels (outputs not compared):", "",
                *_lessons_table([LessonResult(**_lesson(d)) for d in data["drift"]]), ""]
    if "hosted" in data:
        out += ["## A simulated hosted runtime", "", data.get("hosted_about", ""), "",
                *_lessons_table([LessonResult(**_lesson(d)) for d in data["hosted"]]), ""]
    if data.get("notes"):
        out += ["## What the runs found, and what was done", "", data["notes"].strip(), ""]
    return "\n".join(out).rstrip() + "\n"


def _lesson(d: dict[str, Any]) -> dict[str, Any]:
    return {**d, "warnings": [Warned(**w) for w in d.get("warnings", [])]}


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m course_lib.tools.drift",
                           description="The drift run's lessons and report.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("lessons", help="run lessons, write their results as JSON")
    run.add_argument("out", type=Path)
    run.add_argument("notebooks", nargs="*", type=Path)
    run.add_argument("--cwd", type=Path, default=ROOT / "notebooks")
    run.add_argument("--kernel", default="python3", help="the kernelspec to run the lessons in")
    run.add_argument("--before-each", default="", help="a shell command run before each lesson")
    rep = sub.add_parser("report", help="write benchmarks/drift.md")
    rep.add_argument("--json", type=Path, required=True, help="the collected run (date, versions, results)")
    rep.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "drift.md")
    args = parser.parse_args(argv)
    if args.command == "lessons":
        import subprocess

        results = []
        for path in args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
            if args.before_each:
                subprocess.run(args.before_each, shell=True, check=True)
            result = run_lesson(path, args.cwd, kernel=args.kernel)
            print(f"[drift] {result.lesson}: {result.status} {result.error} ({result.seconds} s, "
                  f"{len(result.warnings)} warnings)", flush=True)
            results.append(asdict(result))
        args.out.write_text(json.dumps(results, indent=1) + "\n")
        return 0
    data = json.loads(args.json.read_text())
    data.setdefault("date", datetime.date.today().isoformat())
    data.setdefault("python", sys.version.split()[0])
    args.out.write_text(render(data))
    print(f"[drift] wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
