"""The error course_lib raises when a learner passes something it cannot use."""

from __future__ import annotations

from typing import Any


class CourseInputError(ValueError, TypeError):
    """A bad argument: the message names what was passed and what was expected.

    It subclasses both ValueError and TypeError so ``except`` clauses written for
    either keep working.
    """


def describe(value: Any) -> str:
    """A short description of a value for an error message (type, and shape if any)."""
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    text = type(value).__name__
    if shape is not None:
        text += f" of shape {tuple(shape)}"
    if dtype is not None:
        text += f" and dtype {dtype}"
    if shape is None and isinstance(value, (int, float, str, bool)):
        text += f" {value!r}"
    return text


def expect(condition: bool, name: str, expected: str, got: Any) -> None:
    """Raise CourseInputError naming ``name``, what was expected and what came, unless ``condition``."""
    if not condition:
        raise CourseInputError(f"{name}: expected {expected}, got {describe(got)}.")
