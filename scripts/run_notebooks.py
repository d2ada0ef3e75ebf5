#!/usr/bin/env python3
"""Execute notebooks in fresh kernels; record wall time and peak memory per notebook.

    .venv/bin/python scripts/run_notebooks.py                 # all lessons, write benchmarks/notebooks.md
    .venv/bin/python scripts/run_notebooks.py --write NB ...  # also store the outputs in NB (for authors)

A lesson with a record (benchmarks/records/<lesson>.json, made by scripts/record_benchmarks.py)
keeps the outputs of the run that made its record, so that its timings and its record agree:
``--write`` refuses to overwrite them unless ``--no-record-check`` is given, and then drops the
notebook's record stamp, so that tests/test_record_sync.py says the lesson needs re-recording.

Peak memory is the largest PSS (proportional set size) of the kernel process and all its
children, sampled every 100 ms: a page shared by several processes (forked DataLoader workers,
say) is split between them instead of being counted once per process, as summed RSS would.
The notebook's own cells decide what it prints; this script only runs them.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import os
import platform
import sys
from pathlib import Path

import nbformat
import psutil

from course_lib.tools.notebook_runner import execute

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
BUDGET_MIB = 1.2e9 / 2**20  # 1.2 GB of PSS per lesson


def harvested() -> set[str]:
    """The lessons scripts/record_benchmarks.py records (the keys of its HARVEST), read, not imported."""
    tree = ast.parse((ROOT / "scripts" / "record_benchmarks.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "HARVEST" \
                and isinstance(node.value, ast.Dict):
            return {k.value for k in node.value.keys if isinstance(k, ast.Constant)}
    raise RuntimeError("scripts/record_benchmarks.py has no HARVEST dict")


def recorded(path: Path) -> bool:
    """Whether the lesson at ``path`` has a record, or a recording recipe, whose outputs it keeps."""
    return (ROOT / "benchmarks" / "records" / f"{path.stem}.json").is_file() or path.stem in harvested()


def refusal(path: Path) -> str:
    """The one line --write prints for a lesson whose outputs belong to its record."""
    return (f"{path.name} has a record: store its outputs with scripts/record_benchmarks.py "
            f"{path.stem[:2]}, so that they come from the run that makes the record "
            f"(or pass --no-record-check to write anyway; the lesson then needs re-recording)")


def run(path: Path, write: bool, timeout: int) -> tuple[float, float]:
    """Execute one notebook top to bottom; return (wall seconds, peak MiB)."""
    nb = nbformat.read(path, as_version=4)
    result = execute(nb, path.parent, timeout=timeout)
    if write:
        nb.metadata.get("course", {}).pop("record", None)  # these outputs are not the record's run
        if not nb.metadata.get("course", True):
            del nb.metadata["course"]
        nbformat.write(nb, path)
    return result.seconds, result.peak_mib


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--write", action="store_true", help="store the new outputs in each notebook")
    parser.add_argument("--table", type=Path, default=None,
                        help="where to write the markdown table (default: benchmarks/notebooks.md "
                             "when every notebook runs)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    parser.add_argument("--no-record-check", action="store_true",
                        help="with --write, overwrite even a lesson whose outputs belong to its record")
    args = parser.parse_args()
    paths = [p.resolve() for p in args.notebooks] or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if args.write and not args.no_record_check:
        refused = [refusal(p) for p in paths if recorded(p)]
        if refused:
            print("\n".join(refused), file=sys.stderr)
            return 2
    table = args.table or (ROOT / "benchmarks" / "notebooks.md" if not args.notebooks else None)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    rows, failed = [], False
    for p in paths:
        try:
            wall, peak = run(p, args.write, args.timeout)
            status = "ok"
        except Exception as exc:  # report and go on to the next notebook
            wall, peak, status, failed = float("nan"), float("nan"), f"failed: {type(exc).__name__}", True
        rows.append((p.name, wall, peak, status))
        print(f"{p.name:40s} {wall:7.1f} s  {peak:7.0f} MiB PSS  {status}", flush=True)
    total = sum(r[1] for r in rows if r[3] == "ok")
    print(f"{'total':40s} {total:7.1f} s")
    if table is not None:
        import torch

        lines = [
            "# Notebook run times",
            "",
            f"Made by `scripts/run_notebooks.py` on {dt.date.today().isoformat()}: each notebook "
            "executed top to bottom in a fresh kernel.",
            f"Machine: {platform.machine()}, {os.cpu_count()} logical cores, "
            f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, Python {platform.python_version()}, "
            f"torch {torch.__version__}, no GPU used."
            if not torch.cuda.is_available() else "Machine: with a CUDA GPU.",
            "Budget: each lesson at most 45 s and at most 1.2 GB peak PSS (kernel and children, so that a",
            "lesson fits Binder's 2 GB beside JupyterLab, Visdom and TensorBoard); the course at most 8 min.",
            "",
            "| notebook | wall time (s) | peak PSS (MiB) | within 1.2 GB | status |",
            "|---|---:|---:|---|---|",
            *[f"| {n} | {w:.1f} | {m:.0f} | {'yes' if m <= BUDGET_MIB else '**no**'} | {s} |"
              for n, w, m, s in rows],
            f"| **total** | **{total:.1f}** | | | |",
            "",
        ]
        table.parent.mkdir(exist_ok=True)
        table.write_text("\n".join(lines), encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
