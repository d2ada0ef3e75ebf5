"""`course progress`: run lessons in fresh kernels and report each exercise's outcome.

The committed lesson 00 runs whole; the tests about passing, failing and broken answers run copies
of lessons cut down to their set-up, exercise and check cells (course_process.exercises_only), since
what they check is the report, and nbval runs every whole lesson."""

import hashlib
import json
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT
from course_process import exercises_only

from course_lib import exercises
from course_lib.tools.progress import LessonReport, Outcome, exercise_cells, format_table

ALL = exercises.load_all()


def _course(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "course_lib.tools.cli", "progress", *map(str, args)],
                          cwd=cwd, capture_output=True, text=True, timeout=600)


def _copy_with(tmp_path, lesson, answer_cell):
    """A copy of the lesson, cut down to its exercises, whose exercise cells hold what
    ``answer_cell(exercise, answer name)`` gives."""
    src = next((ROOT / "notebooks").glob(f"{lesson}_*.ipynb"))
    nb = nbformat.read(src, as_version=4)
    for cell in exercise_cells(nb):
        nb.cells[cell.stub_index].source = answer_cell(ALL[cell.id], cell.answer)
    dest = tmp_path / src.name
    nbformat.write(exercises_only(nb), dest)
    return dest


def _solved(ex, name):
    module = f"course_lib.solutions.lesson{ex.id[:2]}"
    if ex.kind == "function":
        return f"from {module} import {ex.solution.__name__} as {name}"
    return f"from {module} import {ex.solution.__name__}\n{name} = {ex.solution.__name__}()"


def test_a_committed_lesson_reads_not_attempted_and_is_not_modified():
    path = ROOT / "notebooks" / "00_welcome.ipynb"
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    proc = _course(path, "--json")
    assert proc.returncode == 1, proc.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    report = json.loads(proc.stdout)
    assert report["network"] in ("cut", "not cut")
    if subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0:
        assert report["network"] == "cut"
    [lesson] = report["lessons"]
    assert lesson["notebook"] == "00_welcome.ipynb" and lesson["note"] == ""
    assert [(e["id"], e["status"]) for e in lesson["exercises"]] == [("00.mean_squared_error",
                                                                      "not_attempted")]


def test_reference_solutions_all_pass(tmp_path):
    copies = [_copy_with(tmp_path, lesson, _solved) for lesson in ("00", "01")]
    proc = _course(*copies)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "✅ passed          00.mean_squared_error" in proc.stdout
    assert "4 passed, 0 failed, 0 not attempted, of 4 exercises in 2 lesson(s)." in proc.stdout


def test_wrong_answers_fail_with_their_hints(tmp_path):
    [wrong] = [w for w in ALL["00.mean_squared_error"].wrong if "sum of squared errors" in w.hint]

    def answer(ex, name):  # that known wrong answer, as a learner would write it
        return f"def {name}(y_pred, y):\n    return float(((y_pred - y) ** 2).sum())"

    copy = _copy_with(tmp_path, "00", answer)
    proc = _course(copy, "--json")
    assert proc.returncode == 1
    [result] = json.loads(proc.stdout)["lessons"][0]["exercises"]
    assert result["status"] == "failed" and wrong.hint in result["message"]
    assert "\u274c failed" in _course(copy).stdout


def test_a_lesson_that_breaks_says_where(tmp_path):
    copy = _copy_with(tmp_path, "00", lambda ex, name: "this is not Python")
    proc = _course(copy)
    assert proc.returncode == 1
    assert "❌ failed          00.mean_squared_error: the exercise cell raised NameError: name 'this' " \
        "is not defined" in proc.stdout


@pytest.mark.parametrize("bad", ["missing.ipynb", "README.md", "garbage.ipynb", "--timeout=0"])
def test_bad_arguments_exit_2_with_one_line(tmp_path, bad):
    (tmp_path / "garbage.ipynb").write_text("{not json")
    (tmp_path / "README.md").write_text("# hi")
    proc = _course(bad, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("course progress: ")


def test_the_table_reads_per_lesson():
    rep = LessonReport("03_x.ipynb", 12.0, 400, "", [Outcome("03.a", "passed", "ok"),
                                               Outcome("03.b", "failed", "expected 1, got 2."),
                                               Outcome("03.c", "not_attempted", "fill in")])
    text = format_table([rep])
    assert "03_x.ipynb  (12 s, 400 MiB)" in text and "❌ failed          03.b: expected 1, got 2." in text
    assert text.endswith("1 passed, 1 failed, 1 not attempted, of 3 exercises in 1 lesson(s).")


def test_a_notebook_with_nothing_to_check_or_a_cell_past_its_time_is_said_and_fails(tmp_path):
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    empty = nbformat.v4.new_notebook(metadata={"kernelspec": kernel})
    nbformat.write(empty, tmp_path / "98_empty.ipynb")
    slow = nbformat.v4.new_notebook(metadata={"kernelspec": kernel}, cells=[
        nbformat.v4.new_code_cell("print('first')"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(60)")])
    nbformat.write(slow, tmp_path / "97_slow.ipynb")
    proc = _course("98_empty.ipynb", "97_slow.ipynb", "--timeout", "3", cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # was 0: nothing failed, nothing was checked
    assert proc.stdout.count("nothing to check: this notebook has no exercises") == 2, proc.stdout
    # was reported as a KeyboardInterrupt, or not at all
    assert "stopped early: code cell 2 ran past the time-out of 3 s per cell" in proc.stdout, proc.stdout
    assert "97_slow.ipynb: running..." in proc.stderr, proc.stderr  # a sign of life before each lesson
