"""Guards that tie exercises, checks, stubs and solutions together across the notebooks."""

import ast
import inspect
import json
import textwrap
from collections import Counter

import pytest
from conftest import ROOT

from course_lib import exercises
from course_lib.tools.progress import exercise_cells

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ALL = exercises.load_all()


def _nb(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


CELLS = {p.name: exercise_cells(_nb(p)) for p in NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_cell_is_followed_by_its_check(path):
    cells = _nb(path)["cells"]
    for i, cell in enumerate(cells):
        if "exercise" in _tags(cell):
            assert i + 1 < len(cells) and "check" in _tags(cells[i + 1]), (
                f"{path.name}: exercise cell {i} is not followed by a cell tagged check")
        if "check" in _tags(cell):
            assert "exercise" in _tags(cells[i - 1]), f"{path.name}: check cell {i} follows no exercise"
    checks = [i for i, c in enumerate(cells) if "check" in _tags(c)]
    assert [c.check_index for c in CELLS[path.name]] == checks, (
        f"{path.name}: each check cell makes exactly one exercises.check(\"NN.name\", answer) call")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_ids_lesson_number_matches_the_notebook(path):
    for cell in CELLS[path.name]:
        assert cell.id[:2] == path.name[:2], f"{path.name} checks {cell.id}, an exercise of another lesson"


def test_every_registered_exercise_appears_in_exactly_one_notebook():
    seen = Counter(c.id for cells in CELLS.values() for c in cells)
    assert sorted(seen) == sorted(ALL), (
        f"checked but not registered: {sorted(set(seen) - set(ALL))}; "
        f"registered but never checked: {sorted(set(ALL) - set(seen))}")
    assert all(n == 1 for n in seen.values()), [i for i, n in seen.items() if n > 1]


def _args(fn_def):
    """Parameter names and defaults, without annotations."""
    a = fn_def.args
    plain = a.posonlyargs + a.args
    defaults = [None] * (len(plain) - len(a.defaults)) + [ast.unparse(d) for d in a.defaults]
    return ([(p.arg, d) for p, d in zip(plain, defaults, strict=True)],
            a.vararg and a.vararg.arg, [(k.arg, d and ast.unparse(d)) for k, d in
                                        zip(a.kwonlyargs, a.kw_defaults, strict=True)],
            a.kwarg and a.kwarg.arg)


FUNCTION_CELLS = [(path.name, c) for path in NOTEBOOKS for c in CELLS[path.name]
                  if c.id in ALL and ALL[c.id].kind == "function"]


@pytest.mark.parametrize(("name", "cell"), FUNCTION_CELLS, ids=[c.id for _, c in FUNCTION_CELLS])
def test_the_stubs_signature_equals_the_solutions(name, cell):
    stub_source = "".join(_nb(ROOT / "notebooks" / name)["cells"][cell.stub_index]["source"])
    stubs = [n for n in ast.walk(ast.parse(stub_source)) if isinstance(n, ast.FunctionDef)
             and n.name == cell.answer]
    assert stubs, f"{name}: the exercise cell of {cell.id} defines no function {cell.answer}()"
    solution = ALL[cell.id].solution
    [sol_def] = [n for n in ast.parse(textwrap.dedent(inspect.getsource(solution))).body
                 if isinstance(n, ast.FunctionDef)]
    assert _args(stubs[0]) == _args(sol_def), f"{cell.id}: the stub and the reference solution differ"
    assert list(inspect.signature(solution).parameters) == [a.arg for a in stubs[0].args.args]
