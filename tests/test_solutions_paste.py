"""`course solution ID` prints code a stuck learner can paste over the exercise cell, and it passes.

The quick tests read each lesson: the printed text compiles, defines what the exercise cell
defines (same name, same parameters), uses only names the lesson has imported before that cell,
and passes the check when run beside just those imports. In every strict nbval run of the lessons
the plugin course_lib.tools.pasted_solutions pastes each printed solution at its exercise, in the
lesson's own kernel, and fails the check cell unless the check prints "✅ Correct"; the last test
here shows that plugin refusing a solution that does not run in its lesson.
"""

from __future__ import annotations

import ast
import linecache
import os
import subprocess
import sys
import textwrap

import nbformat
import pytest
from conftest import ROOT

from course_lib import exercises
from course_lib.tools.pasted_solutions import printed_solution
from course_lib.tools.solutions_text import (
    VALUE_NAME,
    Audit,
    audit,
    builder_cell,
    free_names,
    import_statements,
    paste_text,
)

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _audits(path) -> tuple[object, list[Audit]]:
    nb = nbformat.read(path, as_version=4)
    return nb, audit(nb)


@pytest.fixture(scope="module")
def audits() -> dict[str, tuple[object, list[Audit]]]:
    return {p.name[:2]: _audits(p) for p in LESSONS}


@pytest.mark.parametrize("lesson", [p.name[:2] for p in LESSONS])
def test_each_printed_solution_fits_its_cell(audits, lesson):
    """Same names and parameters as the stub, only names the lesson has imported by then."""
    _, found = audits[lesson]
    problems = [f"{a.id}: {p}" for a in found for p in a.problems]
    assert not problems, "\n".join(problems)
    for a in found:
        printed = printed_solution(a.id)
        assert printed.startswith(f"# Reference solution for {a.id}: ")
        assert a.text in printed
        compile(printed, a.id, "exec")


@pytest.mark.parametrize("lesson", [p.name[:2] for p in LESSONS])
def test_each_printed_solution_passes_beside_the_lessons_imports(audits, lesson):
    """The printed code, run after only the import lines of the cells above it, passes its check."""
    nb, found = audits[lesson]
    failed = []
    for a in found:
        imports = import_statements([c.source for c in nb.cells[:a.stub_index] if c.cell_type == "code"])
        namespace: dict[str, object] = {}
        exec(compile(ast.Module(body=imports, type_ignores=[]), "imports", "exec"), namespace)  # noqa: S102
        text, name = printed_solution(a.id), f"<solution {a.id}>"
        linecache.cache[name] = (len(text), None, text.splitlines(True), name)  # for AutoGraph
        exec(compile(text, name, "exec"), namespace)  # noqa: S102
        result = exercises.evaluate(a.id, namespace[a.answer])
        if not result.passed:
            failed.append(str(result))
    assert not failed, "\n".join(failed)


def test_a_value_builder_prints_as_the_assignment_its_cell_makes():
    def build() -> float:
        """Not part of the cell."""
        tf = import_tensorflow()  # noqa: F821, F841 - the lesson has bound tf already
        # two calls add up
        return 6.0 + 6.0  # twelve

    text = builder_cell(textwrap.dedent('''\
        def build() -> float:
            """Not part of the cell."""
            tf = import_tensorflow()  # the lesson has bound tf already
            # two calls add up
            return 6.0 + 6.0  # twelve
        '''))
    assert text == f"# two calls add up\n{VALUE_NAME} = 6.0 + 6.0  # twelve\n"
    assert paste_text(build, "value") == text


def test_a_builder_of_a_class_prints_the_class_alone():
    text = builder_cell("def build():\n    class Thing(Base):\n        x = 1\n\n    return Thing\n")
    assert text == "class Thing(Base):\n    x = 1\n"
    assert free_names(text) == {"Base"}
    with pytest.raises(ValueError, match="must end with `return"):
        builder_cell("def build():\n    pass\n")


def test_free_names_are_what_the_cell_would_need_from_the_lesson():
    text = "def f(a, b=1):\n    import math\n    c = [i for i in a]\n    return np.sum(c) + math.pi + f(b)\n"
    assert free_names(text) == {"np"}


def _lesson_00_cut_down(folder, before_stub: str = ""):
    """Lesson 00's set-up, exercise and check cells (see course_process.exercises_only), with
    ``before_stub`` as a cell in front of the exercise, and a cell after the check that prints
    what the check says of the exercise cell's function then."""
    from course_process import exercises_only

    nb = exercises_only(nbformat.read(LESSONS[0], as_version=4))
    [stub] = [i for i, c in enumerate(nb.cells) if "exercise" in c.metadata.get("tags", [])]
    if before_stub:
        nb.cells.insert(stub, nbformat.v4.new_code_cell(before_stub))
    nb.cells.append(nbformat.v4.new_code_cell(
        'print(exercises.evaluate("00.mean_squared_error", mean_squared_error).status)', execution_count=1,
        outputs=[nbformat.v4.new_output("stream", name="stdout", text="not_attempted\n")]))
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / LESSONS[0].name)


def test_nbval_checks_each_pasted_solution_in_its_lesson(tmp_path):
    """The plugin course_lib.tools.pasted_solutions (in every strict run of the lessons) runs what
    `course solution` prints at the exercise, in the lesson's kernel, and the check must pass; the
    exercise cell's stub is back for the cells after it."""
    _lesson_00_cut_down(tmp_path / "good")
    _lesson_00_cut_down(tmp_path / "bad", "float = None  # a lesson that rebinds a name the solution uses")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {**os.environ, "COURSE_VERIFIED_FILE": str(tmp_path / "verified.json")}
    env.pop(exercises.PROGRESS_LOG_ENV, None)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
                           "--nbval-current-env", "-p", "course_lib.tools.pasted_solutions", "-rf",
                           "good", "bad"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    out = done.stdout
    assert "1 failed" in out and " passed" in out, out[-3000:]
    [failure] = [line for line in out.splitlines() if line.startswith("FAILED")]
    assert failure.startswith("FAILED bad/00_welcome.ipynb::Cell "), failure
    assert "a printed solution failed in its lesson" in out
    assert "00.mean_squared_error: with the printed solution pasted, the check said \"❌ Not yet " \
           "[00.mean_squared_error]: your code raised TypeError: 'NoneType' object is not callable" in out
