"""The bad-input sweep: calls a hostile learner might make, and the outcome each must get.

Each ``tests/bad_inputs/<group>.py`` lists ``CASES`` (a call that must raise CourseInputError
naming the problem) and ``COVERED_ELSEWHERE`` (public names whose bad input is tested in another
test file, with that file named, or that take no arguments). ``tests/test_bad_inputs.py`` runs the
cases and fails for a public name of ``course_lib`` that appears in neither.

``cd tests && python -m bad_inputs`` prints the sweep's counts (clear / raw / silently accepted) for
whatever course_lib is importable, so an older checkout can be measured with the same calls.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class Case:
    """``call(module)`` must raise CourseInputError whose message contains ``match``."""

    name: str  # "module.function" within course_lib, e.g. "vision.box_iou"
    call: Callable[[ModuleType], Any]
    match: str  # a phrase the message must contain (case-insensitive)

    @property
    def module(self) -> str:
        return self.name.split(".", 1)[0]


def groups() -> list[ModuleType]:
    """Every ``tests/bad_inputs/<group>.py`` module."""
    import bad_inputs as pkg

    return [importlib.import_module(f"bad_inputs.{i.name}") for i in pkgutil.iter_modules(pkg.__path__)
            if not i.name.startswith("_")]


def all_cases() -> list[Case]:
    return [c for g in groups() for c in g.CASES]


def covered_elsewhere() -> dict[str, str]:
    out: dict[str, str] = {}
    for g in groups():
        out.update(getattr(g, "COVERED_ELSEWHERE", {}))
    return out


def outcome(case: Case) -> tuple[str, str]:
    """("clear" | "raw" | "silent", detail) for one case against the importable course_lib."""
    from course_lib.errors import CourseInputError

    module = importlib.import_module(f"course_lib.{case.module}")
    try:
        case.call(module)
    except CourseInputError as exc:
        text = str(exc)
        return ("clear" if case.match.lower() in text.lower() and len(text) < 600 else "raw"), text
    except Exception as exc:  # noqa: BLE001 - counting what escapes
        return "raw", f"{type(exc).__name__}: {exc}"[:300]
    return "silent", "no error"
