"""While nbval runs a lesson, every printed solution is pasted at its exercise and checked there.

pyproject.toml's pytest options load this module as a plugin (``-p course_lib.tools.pasted_solutions``).
Right after nbval has run a cell tagged ``check`` and compared its stored output, the plugin runs in
the same kernel, at that point of the lesson, exactly what ``course solution ID`` prints, then the
check cell's code, and fails that cell unless every check in it prints "✅ Correct". It then runs
the exercise cell again and puts the random generators, grad mode and default dtype back, so the
cells after it run as they would without it. So a solution that a stuck learner pastes runs in
their lesson, with the names the lesson has bound by then, in every strict run of the lessons.
"""

from __future__ import annotations

import queue
from typing import Any

import pytest

CORRECT = "✅ Correct [{id}]"
TIMEOUT = 300.0  # seconds for one pasted run, as nbval's cell time-out
_STATE = "__course_pasted_state"


def save_state() -> dict[str, Any]:
    """What the pasted run must leave as it found it: random generators, grad mode, default dtype
    (the same state the exercise engine guards around a learner's call)."""
    from course_lib.exercises import core

    return core._global_state(rng=True)


def restore_state(state: dict[str, Any]) -> None:
    """Put back what :func:`save_state` saved."""
    from course_lib.exercises import core

    core._restore(state)


def run_in_kernel(kernel: Any, code: str, timeout: float = TIMEOUT) -> tuple[str, str]:
    """Run ``code`` in nbval's running kernel; return (what it printed, its error or "")."""
    msg_id = kernel.execute_cell_input(code, allow_stdin=False)
    try:
        kernel.await_reply(msg_id, timeout=timeout)
    except queue.Empty:
        kernel.interrupt()
        return "", f"no reply within {timeout:g} s"
    printed: list[str] = []
    error = ""
    while True:
        msg = kernel.get_message("iopub", timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status" and content["execution_state"] == "idle":
            return "".join(printed), error
        if kind == "stream":
            printed.append(content["text"])
        elif kind == "error":
            error = f"{content['ename']}: {content['evalue']}"


def _audits(notebook_file: Any) -> list[Any]:
    """The lesson's exercises (solutions_text.audit), read once per lesson."""
    from course_lib.tools.solutions_text import audit

    found = getattr(notebook_file, "_course_audits", None)
    if found is None:
        found = audit(notebook_file.nb)
        notebook_file._course_audits = found
    return found


def printed_solution(exercise_id: str) -> str:
    """Exactly what ``course solution ID`` prints."""
    import contextlib
    import io

    from course_lib import exercises

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exercises.solution(exercise_id)
    return out.getvalue()


def paste_and_check(item: Any) -> list[str]:
    """Run each printed solution checked by ``item``'s cell, then that cell; the problems found."""
    nb_file, kernel = item.parent, item.parent.kernel
    index = next(i for i, cell in enumerate(nb_file.nb.cells) if cell is item.cell)
    found = [a for a in _audits(nb_file) if a.check_index == index]
    if not found:
        return []
    stubs = sorted({a.stub_index for a in found if a.stub_index >= 0})
    _, error = run_in_kernel(kernel, f"import course_lib.tools.pasted_solutions as {_STATE}_module\n"
                                     f"{_STATE} = {_STATE}_module.save_state()")
    problems = [f"saving the session's state: {error}"] if error else []
    try:
        for a in found:
            _, error = run_in_kernel(kernel, printed_solution(a.id))
            if error:
                problems.append(f"{a.id}: the printed solution raised {error}")
        printed, error = run_in_kernel(kernel, item.cell.source)
        for a in found:
            if CORRECT.format(id=a.id) not in printed:
                said = next((line for line in printed.splitlines() if f"[{a.id}]" in line), "")
                problems.append(f"{a.id}: with the printed solution pasted, the check said "
                                f"{(said or error or 'nothing')[:400]!r}")
    finally:
        for i in stubs:  # the exercise cells as the lesson has them, for the cells after
            _, error = run_in_kernel(kernel, nb_file.nb.cells[i].source)
            if error:
                problems.append(f"running the exercise cell again: {error}")
        _, error = run_in_kernel(kernel, f"{_STATE}_module.restore_state({_STATE})\n"
                                         f"del {_STATE}, {_STATE}_module")
        if error:
            problems.append(f"restoring the session's state: {error}")
    return problems


def _is_nbval_cell(item: Any) -> bool:
    return hasattr(item, "cell") and hasattr(item, "cell_num") and getattr(item.parent, "kernel", None) \
        is not None and "check" in item.cell.get("metadata", {}).get("tags", [])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """After nbval has run and compared a check cell, paste the solutions it checks and check them."""
    result = yield
    if _is_nbval_cell(item):
        problems = paste_and_check(item)
        if problems:
            raise AssertionError("a printed solution failed in its lesson:\n" + "\n".join(problems))
    return result
