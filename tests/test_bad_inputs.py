"""The bad-input sweep (tests/bad_inputs/): every public name of course_lib refuses bad input clearly."""

import importlib
import inspect
import pkgutil

import pytest
from bad_inputs import all_cases, covered_elsewhere, outcome

import course_lib

CASES = all_cases()
LESSON_FACING = sorted(i.name for i in pkgutil.iter_modules(course_lib.__path__)
                       if i.name not in {"exercises", "solutions", "tools"})


def public_names() -> list[str]:
    """module.name for each public function and class that a course_lib module defines."""
    names = []
    for mod_name in LESSON_FACING:
        module = importlib.import_module(f"course_lib.{mod_name}")
        for name, obj in vars(module).items():
            if not name.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj)) \
                    and obj.__module__ == module.__name__:
                names.append(f"{mod_name}.{name}")
    return sorted(names)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.name}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_gets_a_clear_course_input_error(case):
    kind, detail = outcome(case)
    assert kind == "clear", f"{case.name}: expected a CourseInputError saying {case.match!r}; got {detail}"


def test_every_public_name_has_bad_input_tests():
    covered = {c.name for c in CASES} | set(covered_elsewhere())
    missing = [n for n in public_names() if n not in covered]
    assert not missing, ("public names without bad-input tests (add cases to tests/bad_inputs/, or "
                         f"say in COVERED_ELSEWHERE where they are tested): {missing}")


def test_the_sweep_names_only_real_functions():
    real = set(public_names())
    stale = sorted({c.name for c in CASES} - real) + sorted(set(covered_elsewhere()) - real)
    assert not stale, f"cases for names that do not exist: {stale}"


def test_every_public_name_of_a_swept_kind_has_an_example():
    """The sweep by class (tests/bad_inputs/by_class.py) derives bad calls from one valid call."""
    from bad_inputs.by_class import missing_examples

    missing = missing_examples()
    assert not missing, ("public names with int, float, bool, path or tensor parameters, or dataclasses, "
                         "without a valid example call in tests/bad_inputs/by_class.py EXAMPLES (or a "
                         f"reason in NO_EXAMPLE): {missing}")
