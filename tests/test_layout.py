"""The package's layout: the index names every module; the lessons keep to the lesson-facing ones."""

import json
import pkgutil
import re

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
