"""`course solution ID` prints code a stuck learner can paste over the exercise cell, and it passes.

The quick tests read each lesson: the printed text compiles, defines what the exercise cell
defines (same name, same parameters), uses only names the lesson has imported before that cell,
and passes the check when run beside just those imports. The slow test pastes every printed
solution into its lesson, runs the lesson up to its last check in one fresh kernel, and requires
every check cell to print "✅ Correct".
"""

from __future__ import annotations

import ast
import contextlib
import io
import linecache
import os
import textwrap

import nbformat
import pytest
from conftest import ROOT

from course_lib import exercises
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


def _printed(exercise_id: str) -> str:
    """Exactly what `course solution ID` prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exercises.solution(exercise_id)
    return out.getvalue()


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
        printed = _printed(a.id)
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
        text, name = _printed(a.id), f"<solution {a.id}>"
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


def _check_outputs(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")


def _first_error(cell) -> str:
    for o in cell.get("outputs", []):
        if o.get("output_type") == "error":
            return f"{o.get('ename')}: {o.get('evalue', '')}"[:300]
    return ""


@pytest.mark.parametrize("path", LESSONS, ids=[p.name[:2] for p in LESSONS])
def test_every_pasted_solution_passes_in_its_lesson(path):
    """Each exercise cell holds what `course solution` prints; the lesson runs up to its last check."""
    from course_lib.tools.notebook_runner import execute

    nb, found = _audits(path)
    for a in found:
        nb.cells[a.stub_index].source = _printed(a.id)
    nb.cells = nb.cells[:max(a.check_index for a in found) + 1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "MPLBACKEND": "agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    env.pop(exercises.PROGRESS_LOG_ENV, None)
    run = execute(nb, path.parent, timeout=300, allow_errors=True, env=env)
    failed = []
    for a in found:
        out = _check_outputs(nb.cells[a.check_index])
        if f"✅ Correct [{a.id}]" not in out:
            why = _first_error(nb.cells[a.stub_index]) or _first_error(nb.cells[a.check_index]) or out.strip()
            failed.append(f"{a.id}: {why or run.stopped or 'the check printed nothing'}")
    assert not failed, "\n".join(failed)
