"""Lessons 03-13 run their PyTorch work on ``best_device()`` and say which steps stay on the CPU.

CI has no GPU, so the nbval run of every lesson is the CPU run of its device path. These tests
make sure nothing bypasses that path: each PyTorch lesson picks its device with
``best_device()`` and prints it, no cell names a GPU by hand, a device written as ``"cpu"`` says
why on its own line, and every lesson tells the learner where its steps run.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from conftest import ROOT

LESSONS = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if 3 <= int(p.name[:2]) <= 13)
WHERE = "**Where this lesson runs.**"
ANNOUNCE = "PyTorch runs on:"


def _cells(path: Path, kind: str) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == kind]


def _code(path: Path) -> str:
    return "\n".join(_cells(path, "code"))


def _uses_torch(path: Path) -> bool:
    return bool(re.search(r"^\s*(import torch|from torch\b)", _code(path), re.MULTILINE))


def _device_literals(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string literal that names a device where a device is expected."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        args = list(node.args)
        if name in {"to", "device", "load_efficientnet_lite0", "as_device"}:
            args = args[:1]
        else:
            args = []
        args += [k.value for k in node.keywords if k.arg == "device"]
        for arg in args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append((arg.lineno, arg.value))
    return found


def test_the_range_of_lessons_is_all_there():
    assert [p.name[:2] for p in LESSONS] == [f"{n:02d}" for n in range(3, 14)]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name[:2])
def test_every_lesson_says_where_it_runs(path):
    paragraphs = [m for m in _cells(path, "markdown") if WHERE in m]
    assert len(paragraphs) == 1, f"{path.name}: needs one markdown paragraph starting {WHERE!r}"
    text = paragraphs[0].split(WHERE, 1)[1]
    assert "CPU" in text, f"{path.name}: the paragraph must say what stays on the CPU (or that nothing does)"


@pytest.mark.parametrize("path", [p for p in LESSONS if _uses_torch(p)], ids=lambda p: p.name[:2])
def test_pytorch_lessons_pick_and_print_the_best_device(path):
    code = _code(path)
    assert re.search(r"^device = best_device\(\)$", code, re.MULTILINE), \
        f"{path.name}: the setup needs `device = best_device()`"
    assert f'print("{ANNOUNCE}", device)' in code, \
        f"{path.name}: print({ANNOUNCE!r}, device) after picking it"
    uses = len(re.findall(r"\bdevice\b", code))
    assert uses >= 4, f"{path.name}: `device` is picked but used only {uses - 1} times after that"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name[:2])
def test_no_cell_names_a_gpu_by_hand(path):
    for source in _cells(path, "code"):
        assert ".cuda(" not in source, f"{path.name}: use .to(device), not .cuda()"
        clean = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
        for line, value in _device_literals(clean):
            text = clean.splitlines()[line - 1]
            assert not value.startswith(("cuda", "mps")), f"{path.name}: {text.strip()!r} names a GPU"
            if value == "cpu":
                assert "#" in text and "CPU" in text.split("#", 1)[1], \
                    f"{path.name}: {text.strip()!r} keeps a step on the CPU; say why in a comment on it"


@pytest.mark.parametrize("path", [p for p in LESSONS if _uses_torch(p)], ids=lambda p: p.name[:2])
def test_the_stored_output_is_the_cpu_run(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    printed = "".join("".join(o.get("text", "")) for o in outputs)
    assert f"{ANNOUNCE} cpu\n" in printed, f"{path.name}: the stored run must be the CPU's"


def test_the_device_line_is_masked_for_nbval():
    config = (ROOT / "tests" / "nbval_sanitize.cfg").read_text(encoding="utf-8")
    blocks = re.findall(r"regex: (.*)\nreplace: (.*)", config)
    pattern = next(re.compile(r) for r, _ in blocks if ANNOUNCE in r)
    for name in ("cpu", "cuda:0", "cuda:3", "mps"):
        assert pattern.sub("X", f"{ANNOUNCE} {name}\n") == "X\n"
    assert pattern.sub("X", f"{ANNOUNCE} cpu-ish\n") != "X\n"


def test_device_literals_are_found():
    code = ('a.to("cuda")\nb = f(x, device="mps")\n'
            'm = load_efficientnet_lite0("cpu")  # CPU: why\nc.to(torch.float32)\n')
    assert _device_literals(code) == [(1, "cuda"), (2, "mps"), (3, "cpu")]
