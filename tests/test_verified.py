"""The "Last verified" record: written by a test run only for lessons whose every cell passed nbval
in strict mode, and read back by the website as one line per lesson."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
from conftest import ROOT

from course_lib.tools import verified

ENV = {"python": "3.11.7", "torch": "2.13.0", "tensorflow": "2.21.0"}
DAY = datetime.date(2026, 12, 7)


def _notebook(path: Path, *cells: tuple[str, str]) -> Path:
    """A notebook of code cells (source, stored stdout), as nbval reads it."""
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell(src, execution_count=i, outputs=[
        nbformat.v4.new_output("stream", name="stdout", text=out)]) for i, (src, out) in enumerate(cells, 1)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _tally(nb: Path, cells: int, selected: int, passed: int, failed: bool = False) -> verified.Tally:
    ids = [f"{nb.name}::Cell {i}" for i in range(cells)]
    return verified.Tally(collected={nb: set(ids)}, selected={nb: set(ids[:selected])},
                          passed={nb: set(ids[:passed])}, failed={nb} if failed else set())


def test_a_lesson_counts_only_when_every_cell_was_run_and_passed(tmp_path):
    nb = tmp_path / "notebooks" / "00_x.ipynb"
    assert _tally(nb, 3, 3, 3).verified() == [nb]
    assert _tally(nb, 3, 3, 3, failed=True).verified() == []
    assert _tally(nb, 3, 2, 2).verified() == []  # -k ran only some cells
    assert _tally(nb, 3, 3, 2).verified() == []  # the run stopped early (-x, Ctrl-C)
    assert _tally(nb, 0, 0, 0).verified() == []


def test_records_are_written_read_and_void_once_the_lesson_changes(tmp_path):
    nb = _notebook(tmp_path / "notebooks" / "00_x.ipynb", ("print(1)", "1\n"))
    other = tmp_path / "notebooks" / "01_y.ipynb"
    path = tmp_path / "verified.json"
    assert verified.update(_tally(nb, 1, 1, 0), DAY, ENV, path) == [] and not path.exists()
    path.write_text(json.dumps({"lessons": {"01_y": {"date": "2026-01-01", **ENV, "sha256": "0"}}}))
    assert verified.update(_tally(nb, 1, 1, 1), DAY, ENV, path) == ["00_x"]
    records = verified.load(path)
    assert sorted(records) == ["00_x", "01_y"]  # the other lesson's record stays
    assert verified.line(nb, records) == ("Last verified: 2026-12-07 · Python 3.11.7 · torch 2.13.0 · "
                                          "TensorFlow 2.21.0")
    assert verified.line(other, {}) == verified.NOT_VERIFIED
    lesson = json.loads(nb.read_text())
    lesson["cells"].insert(0, nbformat.v4.new_markdown_cell("# A prose edit keeps the record"))
    nb.write_text(json.dumps(lesson, indent=2))
    assert verified.line(nb, records).startswith("Last verified: 2026-12-07")
    _notebook(nb, ("print(2)", "2\n"))
    assert verified.line(nb, records) == verified.NOT_VERIFIED


def test_only_a_strict_nbval_run_records():
    registered = []

    def config(**options):
        return SimpleNamespace(getoption=lambda name, default=None: options.get(name, default),
                               rootpath=ROOT, pluginmanager=SimpleNamespace(
                                   register=lambda plugin, name: registered.append(name)))

    verified.pytest_configure(config(nbval=True, nbval_lax=True))
    verified.pytest_configure(config())
    assert registered == []
    verified.pytest_configure(config(nbval=True))
    assert registered == ["course-verified"]


def test_a_real_nbval_run_records_the_passing_lesson_only(tmp_path):
    folder = tmp_path / "notebooks"
    _notebook(folder / "00_good.ipynb", ("print('a')", "a\n"), ("print(1 + 1)", "2\n"))
    _notebook(folder / "01_bad.ipynb", ("print('a')", "a\n"), ("print(1 + 1)", "3\n"))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    record = tmp_path / "verified.json"
    env = {**os.environ, "COURSE_VERIFIED_FILE": str(record)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
                           "--nbval-current-env", "-p", "course_lib.tools.verified", "notebooks"],
                          cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=240)
    assert "1 failed, 3 passed" in done.stdout, done.stdout[-3000:]
    records = verified.load(record)
    assert list(records) == ["00_good"]
    assert verified.line(folder / "00_good.ipynb", records).startswith(
        f"Last verified: {datetime.datetime.now(datetime.UTC).date()} · Python ")
