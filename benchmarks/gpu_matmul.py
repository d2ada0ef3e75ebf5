#!/usr/bin/env python3
"""Measure lesson 02's benchmark on every device present and save it as a recorded run.

    .venv/bin/python benchmarks/gpu_matmul.py                  # on a machine with a GPU
    .venv/bin/python benchmarks/gpu_matmul.py --quick --allow-cpu-only --data-dir /some/dir

It times, with course_lib's honest timer (warm-up, synchronisation, median):
float32 matmul (GFLOP/s) and elementwise add (GB/s) against size on the CPU (torch and
NumPy) and on each GPU (FP32, and TF32 tensor cores for matmul), plus host-to-device copies
from pinned memory. The record (machine, date, versions, figures) goes to
``<data-dir>/gpu_benchmarks/<name>.json`` and the data manifest is rewritten, so lesson 02
can plot it after checking its SHA-256.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_lib import benchmarks as bm  # noqa: E402
from course_lib.data import DATA_DIR, write_manifest  # noqa: E402
from course_lib.devices import list_devices  # noqa: E402

CPU_MATMUL = [64, 128, 256, 512, 1024, 2048, 4096]
GPU_MATMUL = [64, 128, 256, 512, 1024, 2048, 4096, 8192]
ADD = [256, 512, 1024, 2048, 4096, 8192]
COPY = [256, 512, 1024, 2048, 4096, 8192]
QUICK = [64, 128]


def measure_all(quick: bool, min_run_time: float) -> list[bm.Point]:
    """Every series of the benchmark on every device present."""
    points: list[bm.Point] = []

    def run(op: str, sizes: list[int], **kw: object) -> None:
        got = bm.sweep(op, QUICK if quick else sizes, min_run_time=min_run_time, **kw)
        points.extend(got)
        for p in got:
            print(f"{p.op:8s} {p.series:28s} n={p.size:5d} {p.gflops:10.1f} GFLOP/s "
                  f"{p.gbytes_per_s:8.1f} GB/s", flush=True)

    for dev in list_devices():
        if dev.kind == "cpu":
            run("matmul", CPU_MATMUL, library="torch", device="cpu")
            run("matmul", CPU_MATMUL, library="numpy", device="cpu")
            run("matmul", CPU_MATMUL, library="torch", device="cpu", threads=1)
            run("add", ADD, library="torch", device="cpu")
        else:
            run("matmul", GPU_MATMUL, library="torch", device=dev.name)
            if dev.kind == "cuda":
                run("matmul", GPU_MATMUL, library="torch", device=dev.name, precision="tf32")
            run("add", ADD, library="torch", device=dev.name)
            run("copy_h2d", COPY, library="torch", device=dev.name)
    return points


def default_name() -> str:
    """A file stem from the first GPU's name and today's date, e.g. ``nvidia-h100-80gb-hbm3_2026-11-21``."""
    gpus = [d for d in list_devices() if d.kind != "cpu"]
    label = gpus[0].description.split(",")[0] if gpus else "cpu-only"
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    return f"{slug}_{dt.date.today().isoformat()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default=None, help="file stem (default: GPU name and date)")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR,
                        help="where data/ is (default: the repository's data/)")
    parser.add_argument("--quick", action="store_true", help="two small sizes only (for tests)")
    parser.add_argument("--min-run-time", type=float, default=0.3,
                        help="seconds of timed calls per point")
    parser.add_argument("--allow-cpu-only", action="store_true",
                        help="write a record even when no GPU is present (for tests)")
    args = parser.parse_args(argv)
    if not args.allow_cpu_only and all(d.kind == "cpu" for d in list_devices()):
        print("No GPU found: nothing to record (use --allow-cpu-only to record the CPU anyway).")
        return 2
    points = measure_all(args.quick, args.min_run_time)
    note = ("Recorded with benchmarks/gpu_matmul.py: float32 n x n arrays; matmul FLOPs 2n^3; "
            "add and copy bytes are the least traffic (inputs read, output written); "
            "copies are from pinned host memory.")
    record = bm.make_record(points, note=note)
    path = bm.write_record(record, args.name or default_name(), data_dir=args.data_dir)
    write_manifest(args.data_dir)
    print(f"wrote {path.relative_to(args.data_dir.parent)} and updated the manifest "
          f"({len(points)} points)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
