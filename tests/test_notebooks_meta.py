"""Guards on the committed notebooks: all collected by nbval, well formed, stubs committed."""

import json
import re
import subprocess
import sys

import pytest
from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MACHINE_PATH = re.compile(r"(/root/|/tmp/|/home/|/work/|/opt/|site-packages|[A-Z]:\\\\Users)")


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _tags(cell):
    return set(cell.get("metadata", {}).get("tags", []))


def _text(output):
    text = output.get("text", "")
    text = "".join(text) if isinstance(text, list) else text
    plain = output.get("data", {}).get("text/plain", "")
    return text + ("".join(plain) if isinstance(plain, list) else plain)


def test_every_notebook_is_collected_by_nbval():
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "notebooks"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    collected = {line.split("::")[0] for line in proc.stdout.splitlines() if ".ipynb::" in line}
    expected = {f"notebooks/{p.name}" for p in NOTEBOOKS}
    assert expected and collected == expected, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_lessons_are_numbered_without_gaps():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(len(numbers))), [p.name for p in NOTEBOOKS]
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name) for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_well_formed(path):
    nb = _load(path)
    cells = nb["cells"]
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    # JupyterLab rewrites a kernelspec that differs from the kernel's own and marks the lesson
    # modified as soon as it opens; store exactly what the installed kernel announces.
    from jupyter_client.kernelspec import get_kernel_spec

    assert nb["metadata"]["kernelspec"]["display_name"] == get_kernel_spec("python3").display_name, \
        f"{path.name}: kernelspec display_name makes Lab mark the lesson modified on opening"
    assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).startswith("# ")
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    for heading in ("You will learn", "You need", "Summary"):
        assert heading in text, f"{path.name}: no '{heading}' section"
    code = [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), \
        f"{path.name}: run it top to bottom in a fresh kernel before committing"
    for i, c in enumerate(code):
        for out in c["outputs"]:
            assert out["output_type"] != "error", f"{path.name}: code cell {i} stores an error"
            assert out.get("name") != "stderr", f"{path.name}: cell {i} stores stderr: {_text(out)[:200]}"
            assert not MACHINE_PATH.search(_text(out)), f"{path.name}: cell {i} shows a machine path"
    assert path.stat().st_size < 1_500_000, f"{path.name} is {path.stat().st_size / 1e6:.1f} MB"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_are_committed_as_stubs(path):
    cells = _load(path)["cells"]
    stubs = [i for i, c in enumerate(cells) if "exercise" in _tags(c)]
    checks = [i for i, c in enumerate(cells) if "check" in _tags(c)]
    low = 1 if path.name.startswith("00_") else 2
    assert low <= len(stubs) <= 4, f"{path.name}: {len(stubs)} exercises; a lesson has 2-4"
    assert len(checks) == len(stubs)
    for i in checks:
        printed = "".join(_text(o) for o in cells[i]["outputs"])
        assert "Not attempted yet" in printed, f"{path.name}: check cell {i} should show the untouched stub"
        assert "exercises.check(" in "".join(cells[i]["source"])
