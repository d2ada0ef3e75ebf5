"""The text ``course solution ID`` prints, shaped to be pasted over the exercise cell, and its audit.

A ``function`` exercise's reference is a function with the name and parameters of the cell's
stub, printed as it is. A ``value`` exercise's reference is a builder of no arguments whose body
is the cell: its last ``return NAME`` (a class or function the body defines) is left out, and a
``return EXPR`` becomes ``answer = EXPR``. Lines such as ``tf = import_tensorflow()`` in a builder
are left out too, since every lesson that uses the framework has bound that name already.

:func:`audit` reads a lesson and says, for each exercise, what its cell defines, the names the
lesson has imported before that cell, and what is wrong with the printed text, if anything::

    python -m course_lib.tools.solutions_text notebooks/03_*.ipynb
"""

from __future__ import annotations

import ast
import builtins
import inspect
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VALUE_NAME = "answer"  # the variable a value exercise's cell defines and its check passes


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
        and isinstance(stmt.value.value, str)


def _is_framework_import(stmt: ast.stmt) -> bool:
    """``tf = import_tensorflow()``: a lesson binds that name in its imports cell."""
    return isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
        and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.Call) \
        and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id.startswith("import_")


def builder_cell(source: str) -> str:
    """The cell a value exercise's builder (the source of a function of no arguments) stands for."""
    source = textwrap.dedent(source)
    tree = ast.parse(source)
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef | ast.AsyncFunctionDef):
        raise ValueError("expected the source of one function")
    fn = tree.body[0]
    last = fn.body[-1]
    if not isinstance(last, ast.Return) or last.value is None:
        raise ValueError(f"{fn.name}: a builder must end with `return ...`")
    lines = source.splitlines()
    drop: set[int] = set()  # 0-based line numbers
    for stmt in fn.body:
        if _is_docstring(stmt) or _is_framework_import(stmt):
            drop.update(range(stmt.lineno - 1, (stmt.end_lineno or stmt.lineno)))
    defined = {s.name for s in fn.body if isinstance(s, ast.FunctionDef | ast.ClassDef)}
    if isinstance(last.value, ast.Name) and last.value.id in defined:
        drop.update(range(last.lineno - 1, (last.end_lineno or last.lineno)))  # the cell defines it
    else:
        row = lines[last.lineno - 1]
        col = last.col_offset
        lines[last.lineno - 1] = row[:col] + f"{VALUE_NAME} = " + row[col + len("return "):]
    start = fn.body[0].lineno - 1
    while start > fn.lineno and lines[start - 1].strip().startswith("#"):
        start -= 1  # comments above the first statement belong to the cell
    body = [line for i, line in enumerate(lines[start:fn.end_lineno], start) if i not in drop]
    return textwrap.dedent("\n".join(body)).strip("\n") + "\n"


def paste_text(solution: Callable[..., Any], kind: str) -> str:
    """What to paste over the exercise cell: the reference itself, or its builder's cell."""
    source = textwrap.dedent(inspect.getsource(solution))
    return source if kind == "function" else builder_cell(source)


# --- reading a lesson -------------------------------------------------------------------------

def _parse_cell(source: str) -> ast.Module:
    """A code cell as Python (IPython's magics turned into the calls they stand for)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return ast.parse(TransformerManager().transform_cell(source))


def defined_names(source: str) -> list[str]:
    """The names a cell binds at its top level (functions, classes, variables), in order."""
    names: list[str] = []
    for stmt in _parse_cell(source).body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.append(stmt.name)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names += [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return names


def import_statements(sources: list[str]) -> list[ast.stmt]:
    """The cells' top-level imports (and ``tf = import_tensorflow()`` and the like), in order."""
    return [stmt for source in sources for stmt in _parse_cell(source).body
            if isinstance(stmt, ast.Import | ast.ImportFrom) or _is_framework_import(stmt)]


def imported_names(sources: list[str]) -> set[str]:
    """Names the cells bind by their top-level imports (see :func:`import_statements`)."""
    names: set[str] = set()
    for stmt in import_statements(sources):
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in stmt.names}
        elif isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
            names.add(stmt.targets[0].id)
    return names


def free_names(text: str) -> set[str]:
    """Names the text reads but neither binds anywhere nor gets from Python's builtins."""
    tree = ast.parse(text)
    bound: set[str] = set(dir(builtins))
    read: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return read - bound


def _shape(text: str, name: str) -> str:
    """How ``name`` is defined at the top level of ``text``: a def's parameters and decorators, a
    class's bases, or "variable"; "" when it is not defined there."""
    for stmt in ast.parse(text).body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == name:
            args = stmt.args
            params = ast.dump(ast.arguments(
                posonlyargs=[ast.arg(a.arg) for a in args.posonlyargs],
                args=[ast.arg(a.arg) for a in args.args], vararg=args.vararg and ast.arg(args.vararg.arg),
                kwonlyargs=[ast.arg(a.arg) for a in args.kwonlyargs], kw_defaults=args.kw_defaults,
                kwarg=args.kwarg and ast.arg(args.kwarg.arg), defaults=args.defaults))
            decorators = [ast.unparse(d) for d in stmt.decorator_list]
            return f"def {params} decorated {decorators}"
        if isinstance(stmt, ast.ClassDef) and stmt.name == name:
            return f"class ({', '.join(ast.unparse(b) for b in stmt.bases)})"
    return "variable" if name in defined_names(text) else ""


@dataclass(frozen=True)
class Audit:
    """One exercise as its lesson sets it: the cell, what it defines, what the solution prints."""

    id: str
    answer: str  # the name the check cell passes
    stub_index: int  # the cell tagged ``exercise`` (-1: none)
    check_index: int
    defines: list[str]  # what the stub cell binds at its top level
    imported: set[str]  # what the lesson imported before the stub cell
    text: str  # what ``course solution ID`` prints below its header
    problems: list[str]  # why the text would not work in the cell ([] when it would)


def audit(nb: Any) -> list[Audit]:
    """Each exercise of the notebook ``nb``: its cells, and whether the printed solution fits."""
    from course_lib.exercises import core
    from course_lib.tools.progress import exercise_cells

    found = []
    for cell in exercise_cells(nb):
        problems: list[str] = []
        stub = nb["cells"][cell.stub_index]["source"] if cell.stub_index >= 0 else ""
        before = [c["source"] for c in nb["cells"][:max(cell.stub_index, 0)] if c["cell_type"] == "code"]
        defines = defined_names(stub) if stub else []
        imported = imported_names(before)
        if cell.stub_index < 0:
            problems.append("no cell tagged exercise right before the check cell")
        ex = core.get(cell.id)
        try:
            text = paste_text(ex.solution, ex.kind)
            compile(text, f"<solution {cell.id}>", "exec")
        except (OSError, TypeError, ValueError, SyntaxError) as exc:
            found.append(Audit(cell.id, cell.answer, cell.stub_index, cell.check_index, defines, imported,
                               "", [*problems, f"no pasteable text: {exc}"]))
            continue
        if cell.answer not in defines:
            problems.append(f"the stub cell does not define {cell.answer!r}, the name the check passes")
        for name in defines:
            want, got = _shape(stub, name), _shape(text, name)
            if not got:
                problems.append(f"does not define {name!r}")
            elif want != got:
                problems.append(f"defines {name!r} as {got}, the cell as {want}")
        unknown = free_names(text) - imported
        if unknown:
            problems.append(f"uses names the lesson has not imported by then: {', '.join(sorted(unknown))}")
        found.append(Audit(cell.id, cell.answer, cell.stub_index, cell.check_index, defines, imported,
                           text, problems))
    return found


def main(argv: list[str] | None = None) -> int:
    """Print the audit of the given lessons (default: all); exit status 1 if any text does not fit."""
    import nbformat

    from course_lib.tools.progress import default_notebooks

    paths = [Path(a) for a in (sys.argv[1:] if argv is None else argv)] or default_notebooks()
    bad = 0
    for path in paths:
        for a in audit(nbformat.read(path, as_version=4)):
            bad += bool(a.problems)
            status = "fits" if not a.problems else "; ".join(a.problems)
            print(f"{a.id:<28} cell {a.stub_index:>3} defines {', '.join(a.defines) or '-'}: {status}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
