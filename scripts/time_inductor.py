#!/usr/bin/env python3
"""Measure what torch.compile with Inductor costs and buys for lesson 10's element-wise test function.

    .venv/bin/python scripts/time_inductor.py        # prints the results as one JSON list

Lesson 10 does not compile with Inductor live (its first call does not fit the lesson's time
budget), so its record carries these figures instead: ``scripts/record_benchmarks.py 10`` runs
this script on the quiet machine and adds its results to ``benchmarks/records/
10_static_vs_dynamic_graphs.json``. The function is read from the lesson itself (the cell that
defines ``many_small_ops_torch``), so the figures are about the code the learner sees.

Each first call runs in a new process with ``TORCHINDUCTOR_CACHE_DIR`` pointing at a new, empty
folder: the first process compiles from nothing (a *cold* compile: Dynamo's capture, Inductor's
code generation and the C++ compiler); the second starts again with that folder filled, as a
learner's second session does. The second process then times eager and compiled calls on a
million numbers.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSON = ROOT / "notebooks" / "10_static_vs_dynamic_graphs.ipynb"
FUNCTION = "many_small_ops_torch"
ELEMENTS = 1_000_000

# Run in a fresh interpreter: compile the lesson's function, time its first call, optionally
# time eager against compiled calls. argv: the function's source, then "time" or "first".
_CHILD = '''
import json, sys, time
import torch
from course_lib.timing import benchmark

namespace = {"torch": torch}
exec(sys.argv[1], namespace)
fn = namespace[sys.argv[2]]
x = torch.randn(int(sys.argv[3]), generator=torch.Generator().manual_seed(0))
compiled = torch.compile(fn)  # Inductor, the default backend
start = time.perf_counter()
compiled(x)
out = {"first_call_s": time.perf_counter() - start}
if sys.argv[4] == "time":
    assert torch.allclose(compiled(x), fn(x), atol=1e-5)
    out["eager_s"] = benchmark(lambda: fn(x), min_run_time=1.0).median
    out["inductor_s"] = benchmark(lambda: compiled(x), min_run_time=1.0).median
print(json.dumps(out))
'''


def function_source(lesson: Path = LESSON, name: str = FUNCTION) -> str:
    """The source of the function ``name`` as a cell of ``lesson`` defines it."""
    cells = json.loads(lesson.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        source = "".join(cell["source"]) if cell["cell_type"] == "code" else ""
        if f"def {name}(" not in source:
            continue
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and node.name == name:
                return ast.get_source_segment(source, node) or ""
    raise SystemExit(f"{lesson.name} defines no function {name}")


def _child(source: str, cache: str, mode: str) -> dict[str, float]:
    env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": cache, "KINETO_LOG_LEVEL": "6"}
    done = subprocess.run([sys.executable, "-c", _CHILD, source, FUNCTION, str(ELEMENTS), mode],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode:
        raise SystemExit(f"the {mode} run failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure() -> list[dict[str, object]]:
    """The record's results: Inductor's first call with an empty and a warm cache, and the medians."""
    source = function_source()
    with tempfile.TemporaryDirectory() as cache:
        cold = _child(source, cache, "first")
        warm = _child(source, cache, "time")
    return [
        {"id": "10.inductor_compile", "cache": "empty", "elements": ELEMENTS,
         "first_call_s": round(cold["first_call_s"], 3), "unit": "s"},
        {"id": "10.inductor_compile", "cache": "warm", "elements": ELEMENTS,
         "first_call_s": round(warm["first_call_s"], 3), "unit": "s"},
        {"id": "10.torch_many_small_ops", "elements": ELEMENTS, "version": "eager",
         "median_s": warm["eager_s"], "unit": "s"},
        {"id": "10.torch_many_small_ops", "elements": ELEMENTS, "version": "torch.compile (Inductor)",
         "median_s": warm["inductor_s"], "unit": "s"},
    ]


if __name__ == "__main__":
    print(json.dumps(measure()))
