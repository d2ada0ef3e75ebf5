"""The drift run's report: parsing an executed lesson, pytest's JUnit file, and benchmarks/drift.md."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict

import pytest

from course_lib.errors import CourseInputError
from course_lib.tools.drift import HOOK, MARK, LessonResult, Warned, lesson_result, render, unit_summary


def _warning(category: str, message: str, line: int | None, origin: str = "lib.py:3") -> str:
    return MARK + json.dumps({"category": category, "message": message, "origin": origin, "cell_line": line})


def _cell(source: str, *outputs: dict) -> dict:
    return {"cell_type": "code", "source": source, "outputs": list(outputs)}


def _stderr(*lines: str) -> dict:
    return {"output_type": "stream", "name": "stderr", "text": "".join(line + "\n" for line in lines)}


def test_a_lesson_s_warnings_are_listed_once_with_the_line_that_triggered_them():
    nb = {"cells": [
        _cell(HOOK),
        {"cell_type": "markdown", "source": "# title"},
        _cell("import numpy as np\nx = np.old()\n",
              _stderr(_warning("DeprecationWarning", "old is deprecated", 2), "other text")),
        _cell("y = np.old()", _stderr(_warning("DeprecationWarning", "old is deprecated", 1),
                                      _warning("FutureWarning", "will change", None, "torch/x.py:9"),
                                      _warning("DeprecationWarning", "older is deprecated", 1),
                                      _warning("DeprecationWarning", "older is deprecated", 1))),
    ]}
    result = lesson_result("01_x.ipynb", nb, 3.14159)
    assert result == LessonResult("01_x.ipynb", "ran", "", 3.1, [
        Warned("DeprecationWarning", "old is deprecated", "code cell 1, line 2: `x = np.old()`", similar=1),
        Warned("FutureWarning", "will change", "outside the lesson's code: torch/x.py:9")])


def test_the_first_error_is_the_lesson_s_result():
    nb = {"cells": [
        _cell(HOOK),
        _cell("a", {"output_type": "error", "ename": "ValueError", "evalue": "bad\nmore", "traceback": []}),
        _cell("b", {"output_type": "error", "ename": "KeyError", "evalue": "k", "traceback": []}),
    ]}
    assert lesson_result("x", nb).error == "code cell 1: ValueError: bad"
    usage = {"cells": [_cell(HOOK), _cell("c", _stderr("UsageError: Cloning x failed: check the network"))]}
    assert lesson_result("x", usage).error == "code cell 1: UsageError: Cloning x failed: check the network"
    crashed = lesson_result("x", {"cells": [_cell(HOOK)]}, crash="DeadKernelError: Kernel died")
    assert crashed.status == "failed" and crashed.error == "DeadKernelError: Kernel died"
    with pytest.raises(CourseInputError, match="expected an executed notebook"):
        lesson_result("x", {"nope": 1})


def test_the_hook_tags_a_warning_with_the_innermost_cell_line(tmp_path):
    """The hook's own code, run in a plain Python with a stand-in cell file name."""
    library = "import warnings\ndef f():\n    warnings.warn('gone soon', FutureWarning, stacklevel=2)\n"
    cell = "x = 1\n\nlib.f()\n"
    script = HOOK + (f"\nlib = type(_sys)('lib')\n"
                     f"exec(compile({library!r}, 'lib.py', 'exec'), lib.__dict__)\n"
                     f"exec(compile({cell!r}, '/tmp/ipykernel_1/123.py', 'exec'))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    [line] = [x for x in proc.stderr.splitlines() if x.startswith(MARK)]
    record = json.loads(line[len(MARK):])
    assert record["category"] == "FutureWarning" and record["message"] == "gone soon"
    assert record["cell_line"] == 3 and record["origin"] == "/tmp/ipykernel_1/123.py:3", record


def test_unit_summary_reads_pytest_s_junit_file(tmp_path):
    xml = tmp_path / "u.xml"
    xml.write_text('<testsuites><testsuite tests="3" failures="1" errors="0" skipped="1">'
                   '<testcase classname="tests.test_a" name="test_ok"/>'
                   '<testcase classname="tests.test_a" name="test_bad">'
                   '<failure message="assert 1 == 2&#10;more"/></testcase></testsuite></testsuites>')
    assert unit_summary(xml) == {"tests": 3, "failures": 1, "errors": 0, "skipped": 1,
                                 "failed": ["tests.test_a::test_bad: assert 1 == 2"]}
    (tmp_path / "empty.xml").write_text("<testsuites/>")
    with pytest.raises(CourseInputError, match="holds no <testsuite>"):
        unit_summary(tmp_path / "empty.xml")


def test_render_lists_versions_lessons_and_warnings():
    lesson = asdict(LessonResult("00_welcome.ipynb", "ran", "", 9.5,
                                 [Warned("FutureWarning", "will change", "code cell 2, line 1: `f()`", 2)]))
    failed = asdict(LessonResult("01_tensors.ipynb", "failed", "code cell 3: ValueError: bad", 4.0))
    text = render({"date": "2026-12-07", "python": "3.13.0",
                   "versions": {"numpy": "2.5.0", "torch": "2.13.0"},
                   "locked": {"numpy": "2.4.6", "torch": "2.13.0"}, "drift": [lesson, failed],
                   "unit": {"tests": 5, "failures": 1, "errors": 0, "skipped": 0, "failed": ["t::x: boom"]},
                   "hosted": [lesson], "hosted_about": "A venv.", "notes": "Fixed X."})
    assert "on 2026-12-07 (Python 3.13.0)" in text
    assert "| numpy | 2.5.0 (differs) | 2.4.6 |" in text and "| torch | 2.13.0 | 2.13.0 |" in text
    assert "| 01_tensors.ipynb | failed: code cell 3: ValueError: bad | 4.0 |" in text
    assert ("- FutureWarning: will change (and 2 more like it from the same place) — "
            "code cell 2, line 1: `f()`") in text
    assert "Unit tests: 5 run, 1 failed, 0 skipped." in text and "- t::x: boom" in text
    assert "## A simulated hosted runtime" in text and text.endswith("Fixed X.\n")
