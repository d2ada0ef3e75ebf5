"""Exercises: ``check(id, answer)`` gives feedback, ``solution(id)`` reveals the reference answer."""

from course_lib.exercises.core import (
    PROGRESS_LOG_ENV,
    Case,
    Exercise,
    Mismatch,
    Mistake,
    Probes,
    Result,
    Returns,
    Table,
    Technique,
    TimeLimitExceeded,
    as_number,
    check,
    evaluate,
    exercise,
    get,
    load_all,
    register,
    require,
    solution,
    time_limit,
)

__all__ = ["PROGRESS_LOG_ENV", "Case", "Exercise", "Mismatch", "Mistake", "Probes", "Result", "Returns",
           "Table", "Technique", "TimeLimitExceeded", "as_number", "check", "evaluate", "exercise", "get",
           "load_all", "register", "require", "solution", "time_limit"]
