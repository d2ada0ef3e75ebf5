"""`course class`: a class's results from real `course progress --json` reports.

tests/class_reports/ holds four learners' reports made by real runs of
`course progress --json --learner NAME` on copies of lessons 00 and 03 with their exercise cells
filled in (reference solutions, known wrong answers, or left as committed); one test makes a
fresh report the same way, on lesson 00 cut down to its exercise, and adds it to the class.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from course_process import ROOT, exercises_only

from course_lib.tools.class_report import class_rows, collect, format_html, read_report
from course_lib.tools.progress import exercise_cells

REPORTS = ROOT / "tests" / "class_reports"
LEARNERS = ["ann", "bob", "cy", "dee"]


def _course(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "course_lib.tools.cli", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def test_the_table_counts_each_exercise_and_names_the_usual_failure(tmp_path):
    page = tmp_path / "class.html"
    proc = _course("class", REPORTS, "--html", page)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "Class of 4 learner(s)"
    rows = {line.split()[0]: line.split()[1:4] for line in lines if line.startswith("  0")}
    assert rows == {"00.mean_squared_error": ["1", "2", "1"], "03.backward_by_hand": ["1", "2", "1"],
                    "03.my_leaky_relu": ["2", "0", "2"], "03.accumulated_grad": ["2", "0", "2"]}
    mse = next(line for line in lines if "00.mean_squared_error" in line)
    assert "(2×) mean_squared_error(y_pred, y): expected 0.5625, got 2.25." in mse
    assert lines[-1] == f"wrote {page}"
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text and "ann, bob, cy, dee" in text
    assert not re.search(r"""(src|href)=|<script|@import|url\(""", text), "the page must load nothing"
    assert text.count("<rect") == 10 + 3  # the stacked bars' non-empty parts (3+3+2+2), and the legend
    assert "sum of squared errors" in text  # the full feedback, unclipped


@pytest.mark.parametrize("name, content, reason", [
    ("truncated.json", '{"learner": "eve", "lessons": [{"notebook": "00_welcome.ipynb"',
     "not valid JSON (line 1"),
    ("malformed.json", "{'learner': 'eve'}", "not valid JSON"),
    ("foreign.json", '{"name": "some-package", "version": "1.0.0"}', "not a `course progress --json` report"),
    ("list.json", "[1, 2, 3]", "not a `course progress --json` report"),
    ("odd_status.json", '{"lessons": [{"notebook": "00_welcome.ipynb", "exercises": '
                        '[{"id": "00.a", "status": "done"}]}]}', "unknown exercise status 'done'"),
    ("no_ids.json", '{"lessons": [{"notebook": "00_welcome.ipynb", "exercises": [{}]}]}',
     "not a `course progress --json` report (a lesson"),
    ("binary.json", b"\xff\xfe\x00\x01", "not a text file"),
])
def test_a_bad_file_is_skipped_in_one_line_and_the_rest_reported(tmp_path, name, content, reason):
    folder = tmp_path / "reports"
    shutil.copytree(REPORTS, folder)
    bad = folder / name
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    page = tmp_path / "class.html"
    proc = _course("class", folder, "--html", page)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [proc.stderr.strip()] and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"course class: {bad}: {reason}")
    assert proc.stderr.strip().endswith("; skipped")
    assert "Class of 4 learner(s)" in proc.stdout
    assert f"{bad}: {reason}" in page.read_text().replace("&#x27;", "'").replace("&quot;", '"')


def test_two_reports_of_one_learner_keep_the_first(tmp_path):
    folder = tmp_path / "reports"
    shutil.copytree(REPORTS, folder)
    shutil.copy(REPORTS / "bob.json", folder / "bob-again.json")
    proc = _course("class", folder)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (f"course class: {folder / 'bob.json'}: a second report of learner 'bob' "
                                   f"(the first is {folder / 'bob-again.json'}); skipped")
    assert "Class of 4 learner(s)" in proc.stdout


@pytest.mark.parametrize("make, message", [
    (lambda tmp: tmp / "empty", "no *.json reports in this folder"),
    (lambda tmp: tmp / "missing", "no such file or folder"),
    (lambda tmp: tmp / "only_bad", "no valid report among the files given"),
])
def test_nothing_to_report_exits_2_in_one_line(tmp_path, make, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "only_bad").mkdir()
    (tmp_path / "only_bad" / "x.json").write_text("{")
    proc = _course("class", make(tmp_path))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip().splitlines()[-1].endswith(message) and "Traceback" not in proc.stderr
    assert all(line.startswith("course class: ") for line in proc.stderr.splitlines())


@pytest.mark.parametrize("args, message", [([], "the following arguments are required: reports"),
                                           (["--html", "/no/such/folder/x.html", "."], "--html: no folder"),
                                           (["--html", "tests", "."], "--html: cannot write tests")])
def test_bad_arguments_exit_2_in_one_line(args, message):
    proc = _course("class", *[REPORTS if a == "." else a for a in args])
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert message in proc.stderr


def test_a_learner_without_a_name_is_their_file_and_a_missing_lesson_is_not_attempted(tmp_path):
    report = json.loads((REPORTS / "ann.json").read_text())
    del report["learner"]
    report["lessons"] = report["lessons"][:1]  # lesson 00 only
    (tmp_path / "zoe.json").write_text(json.dumps(report))
    learner, lessons = read_report(tmp_path / "zoe.json")
    assert learner == "zoe" and list(lessons) == ["00_welcome.ipynb"]
    learners, skipped = collect([REPORTS / "ann.json", tmp_path / "zoe.json"])
    assert skipped == []
    rows = {r.exercise: r.counts for r in class_rows(learners)}
    assert rows["03.my_leaky_relu"] == {"passed": 1, "not_attempted": 1}
    assert rows["00.mean_squared_error"] == {"passed": 2}
    assert "<svg" in format_html(class_rows(learners), list(learners), [])


def test_a_fresh_progress_report_joins_the_class(tmp_path):
    """A real run: lesson 00 (its set-up and exercise cells) with the reference solution, as learner
    'fay' (JUPYTERHUB_USER)."""
    src = ROOT / "notebooks" / "00_welcome.ipynb"
    nb = nbformat.read(src, as_version=4)
    [cell] = exercise_cells(nb)
    nb.cells[cell.stub_index].source = ("from course_lib.solutions.lesson00 import mean_squared_error "
                                        f"as {cell.answer}")
    nbformat.write(exercises_only(nb), tmp_path / src.name)
    proc = subprocess.run([sys.executable, "-m", "course_lib.tools.cli", "progress", "--json",
                           tmp_path / src.name], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "JUPYTERHUB_USER": "fay"})
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "reports"
    shutil.copytree(REPORTS, folder)
    (folder / "fay.json").write_text(proc.stdout)
    assert json.loads(proc.stdout)["learner"] == "fay"
    out = _course("class", folder)
    assert out.returncode == 0 and "Class of 5 learner(s)" in out.stdout
    assert re.search(r"00\.mean_squared_error\s+2\s+2\s+1\s", out.stdout), out.stdout
