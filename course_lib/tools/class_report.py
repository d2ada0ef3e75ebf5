"""``course class``: a class's exercise results from the learners' ``course progress --json`` reports.

    course class reports/                       # a folder of reports (*.json), or files
    course class reports/ --html class.html     # also a self-contained page with a bar chart

Per lesson and exercise it counts the learners who passed, failed and did not attempt it (a
learner whose report lacks the lesson counts as not attempted) and names the most frequent
feedback among the failures. A file that is not a report, or a second report of one learner,
is skipped with one line on stderr; the rest is still reported. Exit status: 0, 1 when a file
was skipped, 2 when there is nothing to report or an argument is wrong.
"""

from __future__ import annotations

import html
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

STATUSES = ("passed", "failed", "not_attempted")


class ReportError(Exception):
    """A file that is not a usable ``course progress --json`` report (the message says why)."""


@dataclass
class Row:
    """One exercise across the class."""

    lesson: str
    exercise: str
    counts: Counter[str] = field(default_factory=Counter)
    feedback: Counter[str] = field(default_factory=Counter)  # failure messages

    def top_feedback(self) -> tuple[str, int]:
        """The most frequent failure message and how many learners got it ("", 0 if none failed)."""
        return self.feedback.most_common(1)[0] if self.feedback else ("", 0)


def read_report(path: Path) -> tuple[str, dict[str, dict[str, tuple[str, str]]]]:
    """(learner, {lesson: {exercise id: (status, message)}}) from one report file, or ReportError."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ReportError("not a text file") from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"not valid JSON (line {exc.lineno}: {exc.msg}; truncated?)") from None
    except OSError as exc:
        raise ReportError(f"cannot be read ({exc.strerror})") from None
    if not isinstance(data, dict) or not isinstance(data.get("lessons"), list):
        raise ReportError("not a `course progress --json` report (no \"lessons\" list)")
    lessons: dict[str, dict[str, tuple[str, str]]] = {}
    for lesson in data["lessons"]:
        try:
            found = {str(e["id"]): (str(e["status"]), str(e.get("message", ""))) for e in lesson["exercises"]}
            name = str(lesson["notebook"])
        except (KeyError, TypeError):
            raise ReportError("not a `course progress --json` report (a lesson without "
                              "\"notebook\" and \"exercises\" with \"id\" and \"status\")") from None
        bad = sorted({s for s, _ in found.values()} - set(STATUSES))
        if bad:
            raise ReportError(f"unknown exercise status {bad[0]!r} (expected one of {', '.join(STATUSES)})")
        lessons[name] = found
    learner = data.get("learner")
    return (learner if isinstance(learner, str) and learner.strip() else path.stem), lessons


def report_files(args: list[Path]) -> list[Path]:
    """The report files the arguments name: files as given, folders' ``*.json``; ReportError if none."""
    files: list[Path] = []
    for arg in args:
        if arg.is_dir():
            inside = sorted(arg.glob("*.json"))
            if not inside:
                raise ReportError(f"{arg}: no *.json reports in this folder")
            files += inside
        elif arg.is_file():
            files.append(arg)
        else:
            raise ReportError(f"{arg}: no such file or folder")
    return files


def collect(files: list[Path]) -> tuple[dict[str, dict[str, dict[str, tuple[str, str]]]], list[str]]:
    """({learner: lessons}, skip lines) for the files; a learner's second report is skipped."""
    learners: dict[str, dict[str, dict[str, tuple[str, str]]]] = {}
    first: dict[str, Path] = {}
    skipped = []
    for path in files:
        try:
            learner, lessons = read_report(path)
        except ReportError as exc:
            skipped.append(f"{path}: {exc}; skipped")
            continue
        if learner in learners:
            skipped.append(f"{path}: a second report of learner {learner!r} (the first is {first[learner]}); "
                           "skipped")
            continue
        learners[learner], first[learner] = lessons, path
    return learners, skipped


def class_rows(learners: dict[str, dict[str, dict[str, tuple[str, str]]]]) -> list[Row]:
    """One row per lesson and exercise, sorted, with the class's counts and failure feedback."""
    seen = {(lesson, ex): None for lessons in learners.values()
            for lesson, exs in lessons.items() for ex in exs}
    ids = sorted(seen, key=lambda pair: pair[0])  # lessons in order, exercises as the notebook has them
    rows = [Row(lesson, ex) for lesson, ex in ids]
    for row in rows:
        for lessons in learners.values():
            status, message = lessons.get(row.lesson, {}).get(row.exercise, ("not_attempted", ""))
            row.counts[status] += 1
            if status == "failed":
                row.feedback[message] += 1
    return rows


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_table(rows: list[Row], learners: int) -> str:
    """The terminal table: one line per exercise, the most frequent failure feedback last."""
    head = (f"{'exercise':<28} {'passed':>6} {'failed':>6} {'not att.':>8}  "
            "most frequent feedback among failures")
    lines = [f"Class of {learners} learner(s)", "", head, "-" * len(head)]
    lesson = ""
    for row in rows:
        if row.lesson != lesson:
            lesson = row.lesson
            lines.append(lesson)
        text, n = row.top_feedback()
        feedback = f"({n}×) {_clip(text, 70)}" if n else ""
        lines.append(f"  {row.exercise:<26} {row.counts['passed']:>6} {row.counts['failed']:>6} "
                     f"{row.counts['not_attempted']:>8}  {feedback}".rstrip())
    return "\n".join(lines)


COLOURS = {"passed": "#2e7d32", "failed": "#c62828", "not_attempted": "#9e9e9e"}
LABELS = {"passed": "passed", "failed": "failed", "not_attempted": "not attempted"}


def _bars(rows: list[Row], learners: int) -> str:
    """An inline SVG: one stacked horizontal bar per exercise (passed, failed, not attempted)."""
    label_w, bar_w, row_h = 230, 420, 26
    height = row_h * len(rows) + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 20}" height="{height}" '
             f'role="img" aria-label="Exercise results of the class">']
    for i, row in enumerate(rows):
        y = 10 + i * row_h
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">'
                     f'{html.escape(row.exercise)}</text>')
        x = float(label_w)
        for status in STATUSES:
            n = row.counts[status]
            if n:
                w = bar_w * n / max(learners, 1)
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="18" '
                             f'fill="{COLOURS[status]}"><title>{LABELS[status]}: {n}</title></rect>'
                             f'<text x="{x + w / 2:.1f}" y="{y + 14}" text-anchor="middle" '
                             f'fill="#fff">{n}</text>')
                x += w
    legend_y = height - 12
    for j, status in enumerate(STATUSES):
        x = label_w + j * 130
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" fill="{COLOURS[status]}"/>'
                     f'<text x="{x + 18}" y="{legend_y}">{LABELS[status]}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def format_html(rows: list[Row], learners: list[str], skipped: list[str]) -> str:
    """A self-contained page (no script, no external file): the bar chart and the table."""
    body = []
    lesson = ""
    for row in rows:
        if row.lesson != lesson:
            lesson = row.lesson
            body.append(f'<tr class="lesson"><th colspan="5">{html.escape(lesson)}</th></tr>')
        text, n = row.top_feedback()
        body.append(f"<tr><td>{html.escape(row.exercise)}</td>"
                    + "".join(f'<td class="n">{row.counts[s]}</td>' for s in STATUSES)
                    + f"<td>{f'({n}×) ' + html.escape(text) if n else ''}</td></tr>")
    skipped_html = ("<h2>Skipped files</h2><ul>" + "".join(f"<li>{html.escape(s)}</li>" for s in skipped)
                    + "</ul>") if skipped else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Class report</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 70em; }}
svg text {{ font-size: 13px; font-family: system-ui, sans-serif; }}
table {{ border-collapse: collapse; margin-top: 1em; }}
th, td {{ border-bottom: 1px solid #ddd; padding: 4px 10px; text-align: left; vertical-align: top; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
tr.lesson th {{ background: #f3f3f3; }}
</style></head><body>
<h1>Class report</h1>
<p>{len(learners)} learner(s): {html.escape(", ".join(sorted(learners)))}. A learner whose report lacks a
lesson counts as not attempted there.</p>
{_bars(rows, len(learners))}
<table><thead><tr><th>exercise</th><th>passed</th><th>failed</th><th>not attempted</th>
<th>most frequent feedback among failures</th></tr></thead>
<tbody>
{chr(10).join(body)}
</tbody></table>
{skipped_html}
</body></html>
"""


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``course class``; returns the exit status."""
    from course_lib.tools.parsing import OneLineParser

    parser = OneLineParser(prog="course class", description="A class's exercise results from the learners' "
                                                            "`course progress --json` reports.")
    parser.add_argument("reports", nargs="+", type=Path, help="report files, or folders of *.json reports")
    parser.add_argument("--html", type=Path, default=None, help="also write a self-contained HTML page here")
    try:
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:  # argparse has printed its one-line usage error
        return int(exc.code or 0)
    try:
        learners, skipped = collect(report_files(args.reports))
        if args.html is not None and not args.html.parent.is_dir():
            raise ReportError(f"--html: no folder {args.html.parent} to write {args.html.name} in")
    except ReportError as exc:
        print(f"course class: {exc}", file=sys.stderr)
        return 2
    for line in skipped:
        print(f"course class: {line}", file=sys.stderr)
    if not learners:
        print("course class: no valid report among the files given", file=sys.stderr)
        return 2
    rows = class_rows(learners)
    print(format_table(rows, len(learners)))
    if args.html is not None:
        try:
            args.html.write_text(format_html(rows, list(learners), skipped), encoding="utf-8")
        except OSError as exc:
            print(f"course class: --html: cannot write {args.html} ({exc.strerror})", file=sys.stderr)
            return 2
        print(f"\nwrote {args.html}")
    return 1 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
