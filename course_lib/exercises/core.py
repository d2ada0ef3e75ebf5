"""Exercise checks that give specific feedback, and reference solutions kept out of sight.

A lesson's stub cell carries the Jupyter tag ``exercise``; the cell after it, tagged
``check``, calls :func:`check`. Checks live in ``course_lib/exercises/lessonNN.py``;
reference solutions in ``course_lib/solutions/lessonNN.py``, shown only by :func:`solution`.
A learner's function runs under a time limit, and whatever it raises becomes feedback.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import os
import pkgutil
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

from course_lib.errors import CourseInputError, expect

Status = Literal["passed", "failed", "not_attempted"]

PROGRESS_LOG_ENV = "COURSE_PROGRESS_LOG"  # when set, check() appends each result here (JSON lines)
DEFAULT_TIME_LIMIT = 5.0  # seconds a learner's function may run per call


class Mismatch(Exception):
    """Raised by a checker: what was checked, what was expected, what came back, and a hint."""

    def __init__(self, what: str, expected: Any, got: Any, hint: str = "") -> None:
        super().__init__(what)
        self.what, self.expected, self.got, self.hint = what, expected, got, hint

    def feedback(self) -> str:
        text = f"{self.what}: expected {self.expected}, got {self.got}."
        return f"{text} Hint: {self.hint}" if self.hint else text


class TimeLimitExceeded(BaseException):
    """Raised inside a learner's function that ran past its time limit.

    A BaseException, so that a learner's ``except Exception`` cannot swallow it."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"ran past {seconds:g} s")
        self.seconds = seconds


def require(condition: object, what: str, expected: Any, got: Any, hint: str = "") -> None:
    """Raise :class:`Mismatch` with this feedback unless ``condition`` holds."""
    if not condition:
        raise Mismatch(what, expected, got, hint)


class Wrong(NamedTuple):
    """A known-wrong answer and a phrase its feedback must contain (for the tests).

    For a ``function`` exercise ``answer`` is the wrong function itself; for a ``value``
    exercise it is a function of no arguments that builds the wrong value."""

    answer: Callable[..., Any]
    hint: str


@dataclass(frozen=True)
class Exercise:
    """One exercise: its checker, its reference solution and answers known to be wrong."""

    id: str  # "NN.name": NN is the lesson number
    title: str
    checker: Callable[[Any], str]  # returns a success message or raises Mismatch
    solution: Callable[..., Any]  # the reference solution (see ``kind``)
    kind: Literal["function", "value"] = "function"
    wrong: tuple[Wrong, ...] = field(default=())
    time_limit: float = DEFAULT_TIME_LIMIT  # per call of a learner's function (the whole check
    # for a ``value`` exercise)

    def __post_init__(self) -> None:
        object.__setattr__(self, "wrong", tuple(Wrong(*w) for w in self.wrong))

    def reference_answer(self) -> Any:
        """What a learner who solved it would pass to :func:`check`."""
        return self.solution if self.kind == "function" else self.solution()

    def wrong_answer(self, wrong: Wrong) -> Any:
        """What a learner who gave this wrong answer would pass to :func:`check`."""
        return wrong.answer if self.kind == "function" else wrong.answer()


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


def lesson_ids(lesson: str) -> list[str]:
    """The ids of lesson ``lesson``'s registered exercises (``"03"`` -> ``["03.a", ...]``), sorted."""
    _load_lesson(lesson + ".")
    return sorted(i for i in _REGISTRY if i.startswith(lesson + "."))


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


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`TimeLimitExceeded` in the code inside after ``seconds`` of wall time.

    Uses SIGALRM, so it works only in the main thread (where a notebook's cells run);
    elsewhere the code runs without a limit."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or signal.getitimer(signal.ITIMER_REAL)[0] > 0:  # no timer, or one already runs
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise TimeLimitExceeded(seconds)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _limited(fn: Callable[..., Any], seconds: float) -> Callable[..., Any]:
    """``fn``, with each call stopped after ``seconds``."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        with time_limit(seconds):
            return fn(*args, **kwargs)

    return call


_LIBRARY_DIR = str(Path(__file__).resolve().parent.parent)


def _where_in_learner_code(exc: BaseException) -> str:
    """' (line N of your code: `...`)' for the innermost frame outside course_lib and libraries."""
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        name = frame.filename
        if name.startswith(_LIBRARY_DIR) or "site-packages" in name or name.startswith(sys.prefix) \
                or name.startswith(sys.base_prefix):
            continue
        code = f": `{frame.line.strip()}`" if frame.line else ""
        found = f" (line {frame.lineno} of your code{code})"
    return found


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
        if ex.kind == "function":
            message = ex.checker(_limited(answer, ex.time_limit))
        else:
            with time_limit(ex.time_limit):
                message = ex.checker(answer)
    except NotImplementedError:
        return Result(ex.id, "not_attempted", todo)
    except Mismatch as m:
        return Result(ex.id, "failed", m.feedback())
    except TimeLimitExceeded as t:
        return Result(ex.id, "failed",
                      f"stopped your code after {t.seconds:g} s{_where_in_learner_code(t)}: the check "
                      "takes well under a second when the answer is right. Hint: look for a loop "
                      "that never ends (a `while` whose condition never changes), or work done "
                      "element by element in Python where one tensor operation would do.")
    except Exception as exc:  # the learner's code raised: say what and where, not a traceback
        return Result(ex.id, "failed",
                      f"your code raised {type(exc).__name__}: {exc}{_where_in_learner_code(exc)}")
    return Result(ex.id, "passed", message)


def _log(result: Result) -> None:
    path = os.environ.get(PROGRESS_LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"id": result.id, "status": result.status,
                                  "message": result.message}) + "\n")


def check(exercise_id: str, answer: Any) -> None:
    """Check a learner's answer and print specific feedback (used in cells tagged ``check``)."""
    result = evaluate(exercise_id, answer)
    _log(result)
    print(result)


def solution(exercise_id: str) -> None:
    """Print the reference solution's source code (only when you ask for it)."""
    ex = get(exercise_id)
    print(f"# Reference solution for {ex.id}: {ex.title}")
    print(inspect.getsource(ex.solution))
