"""A lesson's stored timing outputs and its record come from the same run.

scripts/record_benchmarks.py runs a lesson once, writes its record and stores the notebook's
outputs from that run, with the record's time in the notebook's metadata
(``metadata["course"]["record"]``). scripts/run_notebooks.py --write refuses to overwrite the
outputs of such a lesson (``--no-record-check`` overrides it and drops the stamp).

test_every_record_matches_its_notebooks_outputs fails until the lead re-records the lessons
with scripts/record_benchmarks.py on a quiet machine (the records made before this check
have no stamp in their notebooks): that failure is expected until then and must not be skipped.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from course_lib import records

ROOT = records.REPO_ROOT
NAMES = records.names()


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_script_{name}", ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", NAMES)
def test_every_record_matches_its_notebooks_outputs(name):
    rec = records.load(name)
    nb = json.loads((ROOT / rec["notebook"]).read_text(encoding="utf-8"))
    stamp = nb["metadata"].get("course", {}).get("record")
    assert stamp == rec["recorded"], (
        f"{rec['notebook']}'s stored outputs are not from the run that made benchmarks/records/{name}.json "
        f"(recorded {rec['recorded']}, notebook stamp {stamp}): re-record with "
        f"scripts/record_benchmarks.py {name[:2]} on a quiet machine")


def test_every_harvested_lesson_has_a_record_and_the_guard_sees_it():
    run_notebooks = _script("run_notebooks")
    assert run_notebooks.harvested() == set(NAMES), "every HARVEST entry has a record, and every record one"
    for name in NAMES:
        assert run_notebooks.recorded(ROOT / "notebooks" / f"{name}.ipynb")
    assert not run_notebooks.recorded(ROOT / "notebooks" / "00_welcome.ipynb")
    line = run_notebooks.refusal(ROOT / "notebooks" / "02_gpu_vs_cpu.ipynb")
    assert "\n" not in line and "scripts/record_benchmarks.py 02" in line


def test_record_benchmarks_stamps_the_notebook():
    import nbformat

    nb = nbformat.v4.new_notebook()
    _script("record_benchmarks").stamp(nb, "2026-01-02T03:04:05+00:00")
    assert nb.metadata["course"]["record"] == "2026-01-02T03:04:05+00:00"


def test_run_notebooks_write_refuses_a_recorded_lesson(tmp_path: Path):
    """A copy named like a recorded lesson: refused before anything runs (exit 2, one line)."""
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('ran')")])
    nb.metadata["course"] = {"record": "2026-01-02T03:04:05+00:00"}
    path = tmp_path / "02_gpu_vs_cpu.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "run_notebooks.py"), "--write", str(path)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip().count("\n") == 0 and "scripts/record_benchmarks.py 02" in done.stderr
    assert path.read_bytes() == before
