"""Exercise checks that give specific feedback, and reference solutions kept out of sight.

A lesson's stub cell carries the Jupyter tag ``exercise``; the cell after it, tagged
``check``, calls :func:`check`. Checks live in ``course_lib/exercises/lessonNN.py``;
reference solutions in ``course_lib/solutions/lessonNN.py``, shown only by :func:`solution`.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from course_lib.errors import CourseInputError, expect

Status = Literal["passed", "failed", "not_attempted"]


class Mismatch(Exception):
    """Raised by a checker: what was checked, what was expected, what came back, and a hint."""

    def __init__(self, what: str, expected: Any, got: Any, hint: str = "") -> None:
        super().__init__(what)
        self.what, self.expected, self.got, self.hint = what, expected, got, hint

    def feedback(self) -> str:
        text = f"{self.what}: expected {self.expected}, got {self.got}."
        return f"{text} Hint: {self.hint}" if self.hint else text


def require(condition: bool, what: str, expected: Any, got: Any, hint: str = "") -> None:
    """Raise :class:`Mismatch` with this feedback unless ``condition`` holds."""
    if not condition:
        raise Mismatch(what, expected, got, hint)


@dataclass(frozen=True)
class Exercise:
    """One exercise: its checker, its reference solution and answers known to be wrong."""

    id: str  # "NN.name": NN is the lesson number
    title: str
    checker: Callable[[Any], str]  # returns a success message or raises Mismatch
    solution: Callable[..., Any]  # the reference solution (see ``kind``)
    kind: Literal["function", "value"] = "function"
    wrong: tuple[Callable[[], Any], ...] = field(default=())  # each returns a wrong answer

    def reference_answer(self) -> Any:
        """What a learner who solved it would pass to :func:`check`."""
        return self.solution if self.kind == "function" else self.solution()


@dataclass(frozen=True)
class Result:
    """The outcome of one check."""

    id: str
    status: Status
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __str__(self) -> str:
        mark = {"passed": "✅ Correct", "failed": "❌ Not yet", "not_attempted": "⏳ Not attempted yet"}
        return f"{mark[self.status]} [{self.id}]: {self.message}"


_REGISTRY: dict[str, Exercise] = {}


def register(ex: Exercise) -> Exercise:
    """Add an exercise to the registry (called by the lessonNN modules at import)."""
    if ex.id in _REGISTRY and _REGISTRY[ex.id] is not ex:
        raise ValueError(f"exercise {ex.id!r} is registered twice")
    _REGISTRY[ex.id] = ex
    return ex


def _load_lesson(exercise_id: str) -> None:
    lesson = exercise_id.split(".", 1)[0]
    try:
        importlib.import_module(f"course_lib.exercises.lesson{lesson}")
    except ModuleNotFoundError:
        pass


def load_all() -> dict[str, Exercise]:
    """Import every lesson's exercises; return the registry (id -> Exercise)."""
    import course_lib.exercises as pkg

    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("lesson"):
            importlib.import_module(f"course_lib.exercises.{info.name}")
    return dict(_REGISTRY)


def get(exercise_id: str) -> Exercise:
    """The exercise with this id, e.g. ``"00.mean_squared_error"``."""
    expect(isinstance(exercise_id, str), "exercise_id", "a string such as '00.mean_squared_error'",
           exercise_id)
    _load_lesson(exercise_id)
    if exercise_id not in _REGISTRY:
        lesson = exercise_id.split(".", 1)[0]
        known = sorted(k for k in _REGISTRY if k.startswith(lesson + ".")) or sorted(load_all())
        raise CourseInputError(f"exercise_id: no exercise {exercise_id!r}; known: {', '.join(known)}.")
    return _REGISTRY[exercise_id]


def _not_attempted(answer: Any) -> bool:
    return answer is ... or answer is NotImplemented


def evaluate(exercise_id: str, answer: Any) -> Result:
    """Run the check and return its :class:`Result`; never raises for a learner's mistake."""
    ex = get(exercise_id)
    todo = "fill in the exercise cell above, run it, then run this cell again."
    if _not_attempted(answer):
        return Result(ex.id, "not_attempted", todo)
    if ex.kind == "function" and not callable(answer):
        return Result(ex.id, "failed",
                      f"expected a function (the one you defined in the exercise cell), got "
                      f"{type(answer).__name__}. Hint: pass the function itself, without calling it.")
    try:
        message = ex.checker(answer)
    except NotImplementedError:
        return Result(ex.id, "not_attempted", todo)
    except Mismatch as m:
        return Result(ex.id, "failed", m.feedback())
    except Exception as exc:  # the learner's code raised: say what, not a traceback
        return Result(ex.id, "failed", f"your code raised {type(exc).__name__}: {exc}")
    return Result(ex.id, "passed", message)


def check(exercise_id: str, answer: Any) -> None:
    """Check a learner's answer and print specific feedback (used in cells tagged ``check``)."""
    print(evaluate(exercise_id, answer))


def solution(exercise_id: str) -> None:
    """Print the reference solution's source code (only when you ask for it)."""
    ex = get(exercise_id)
    print(f"# Reference solution for {ex.id}: {ex.title}")
    print(inspect.getsource(ex.solution))
