"""Exercises: ``check(id, answer)`` gives feedback, ``solution(id)`` reveals the reference answer."""

from course_lib.exercises.core import (
    Exercise,
    Mismatch,
    Result,
    check,
    evaluate,
    get,
    load_all,
    register,
    require,
    solution,
)

__all__ = ["Exercise", "Mismatch", "Result", "check", "evaluate", "get", "load_all", "register",
           "require", "solution"]
