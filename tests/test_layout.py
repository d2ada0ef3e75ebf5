"""The package's layout: the index names every module; the lessons keep to the lesson-facing ones."""

import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

import course_lib
import course_lib.tools

LESSON_FACING = sorted(i.name for i in pkgutil.iter_modules(course_lib.__path__) if i.name != "tools")
TOOLS = sorted(i.name for i in pkgutil.iter_modules(course_lib.tools.__path__))


def test_the_index_names_every_module():
    index = course_lib.__doc__
    missing = [m for m in LESSON_FACING if f"``{m}``" not in index]
    assert not missing, f"course_lib/__init__.py's index lacks {missing}"
    tools_index = course_lib.tools.__doc__
    assert not [m for m in TOOLS if f"``{m}``" not in tools_index]


def test_lessons_import_tooling_only_for_the_doctor():
    pattern = re.compile(r"course_lib\.tools(?:\.(\w+)| import (\w+))")
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        code = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                       if c["cell_type"] == "code")
        used = {a or b for a, b in pattern.findall(code)}
        assert used <= ({"doctor"} if path.name.startswith("00_") else set()), (path.name, used)


def _lesson_numbers(spec: str) -> set[int]:
    """{3, 5, 6, 7} from "03, 05-07" (ranges included)."""
    numbers: set[int] = set()
    for first, last in re.findall(r"\b(\d\d)(?:-(\d\d))?\b", spec):
        numbers |= set(range(int(first), int(last or first) + 1))
    return numbers


def _imports_by_lesson() -> dict[str, set[int]]:
    """{module: the lessons whose code imports it} for course_lib's lesson-facing modules."""
    pattern = re.compile(r"course_lib\.(\w+)|from course_lib import (?:\(([^)]*)\)|([\w ,]+))")
    used: dict[str, set[int]] = {}
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        code = "".join("".join(c["source"]) for c in json.loads(path.read_text())["cells"]
                       if c["cell_type"] == "code")
        for dotted, bracketed, listed in pattern.findall(code):
            names = [dotted] if dotted else [n.split()[0] for n in (bracketed or listed).split(",")
                                             if n.strip()]
            for name in names:
                used.setdefault(name, set()).add(int(path.name[:2]))
    return used


def test_the_index_says_which_lessons_import_each_module():
    """Each entry of the index ends with the lessons that import it (words in brackets aside)."""
    used = _imports_by_lesson()
    used["solutions"] = used.get("exercises", set())  # exercises.solution() reads it for the lesson
    wrong = []
    for names, text in re.findall(r"^- ((?:``\w+``(?: / )?)+): (.*?)(?=^- |^\s*$)", course_lib.__doc__,
                                  re.S | re.M):
        claimed = _lesson_numbers(re.sub(r"\(.*?\)", "", text.rsplit(";", 1)[-1]))
        for name in re.findall(r"``(\w+)``", names):
            if name not in ("errors",) and claimed != used.get(name, set()):
                wrong.append(f"{name}: the index says {sorted(claimed)}, the lessons import it in "
                             f"{sorted(used.get(name, set()))}")
    assert not wrong, "\n".join(wrong)


def test_the_checkout_is_read_without_anything_beside_it():
    """A fresh clone is all a contributor has: no committed text sends them outside the repository."""
    tracked = subprocess.run(["git", "ls-files", "*.md"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    outside = [name for name in tracked if "../shared" in (ROOT / name).read_text(encoding="utf-8")]
    assert not outside, outside


def test_import_contracts_hold_and_cover_every_lesson_module():
    """import-linter's contracts in pyproject.toml hold, and name every module a lesson may import."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    [lessons] = [c for c in config["contracts"] if c["name"].startswith("the lessons' modules")]
    assert sorted(m.removeprefix("course_lib.") for m in lessons["source_modules"]) == \
        sorted(m for m in LESSON_FACING if m not in ("exercises", "solutions"))
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
