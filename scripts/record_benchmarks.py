#!/usr/bin/env python3
"""Record the figures lessons rely on: run each lesson on a quiet machine, keep what it measured.

    .venv/bin/python scripts/record_benchmarks.py              # every lesson listed in HARVEST
    .venv/bin/python scripts/record_benchmarks.py 02 07        # some of them
    .venv/bin/python scripts/record_benchmarks.py 02 --force   # write even on a busy machine

For each lesson it first watches the machine for a few seconds and refuses to start if other
programs use more than course_lib.load's threshold of the CPU. It then executes the notebook in
a fresh kernel, watching the load all the while, and runs the lesson's harvest code in the same
kernel: the figures the timing cells measured become the ``results`` of
``benchmarks/records/<lesson>.json``, beside the machine and the load measured. The notebook's
outputs are stored too, so its timing cells and its record come from the same run. Cells
tagged ``record`` (each stands alone and prints a record) run in their place like any
other and are executed again afterwards, in a fresh kernel, so that they show the new
record; they keep their place in the top-to-bottom execution order. On a busy machine
nothing is written unless ``--force`` is given, and then the record says ``"ok": false``.

The notebook's metadata keeps the record's time (``metadata["course"]["record"]``), so that
``tests/test_record_sync.py`` can tell whether its outputs come from the run that made its
record; ``scripts/run_notebooks.py --write`` refuses to overwrite such a lesson's outputs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from course_lib import records
from course_lib.load import BUSY_THRESHOLD, LoadMonitor, sample_load

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

# Code run in the lesson's kernel after its last cell; it prints the results as JSON. Each
# result: an "id" (lesson.measurement), the value(s), their "unit", and "other_share", the
# share of the CPU other programs used while that figure was timed (None if not measured).
_COMMON = '''
import json as _json
def _share(t):
    return None if getattr(t, "load", None) is None else round(t.load.other_share, 4)
_r = []
'''
HARVEST: dict[str, str] = {
    "02_gpu_vs_cpu": _COMMON + '''
for _p in points + adds:
    _r.append({"id": f"02.{_p.op}", "library": _p.library, "device": _p.device,
               "threads": _p.threads, "dtype": "float32", "n": _p.size, "median_s": _p.seconds,
               "gflops": round(_p.gflops, 3), "gb_per_s": round(_p.gbytes_per_s, 3),
               "other_share": _p.other_share, "unit": "GFLOP/s" if _p.op == "matmul" else "GB/s"})
for _p in (slow, fast, fair):
    _r.append({"id": "02.precision", "library": _p.library, "threads": _p.threads,
               "dtype": "float64" if _p.precision == "fp64" else "float32", "n": _p.size,
               "median_s": _p.seconds, "gflops": round(_p.gflops, 3),
               "other_share": _p.other_share, "unit": "s"})
_r.append({"id": "02.stopwatch", "first_s": naive[0], "later_s": naive[1:],
           "benchmark_median_s": t.median, "benchmark_iqr_s": t.iqr, "other_share": _share(t),
           "unit": "s"})
_r.append({"id": "02.under_load", "quiet_median_s": load_demo["quiet"].median,
           "loaded_median_s": load_demo["loaded"].median,
           "quiet_other_cores": round(load_demo["quiet"].load.other_cores, 3),
           "loaded_other_cores": round(load_demo["loaded"].load.other_cores, 3), "unit": "s"})
_r.append({"id": "02.cpu_bf16", "flags": bf16_flags, "unit": "CPU flags"})
for _name, _t in mixed.items():
    _r.append({"id": "02.autocast", "what": _name, "threads": _t.threads, "median_s": _t.median,
               "iqr_s": _t.iqr, "blocks": len(_t.times), "other_share": _share(_t), "unit": "s"})
for _name, _l in losses.items():
    _r.append({"id": "02.autocast_loss", "what": _name, "steps": len(_l), "first": _l[0],
               "last": _l[-1], "unit": "cross-entropy"})
''',
    "04_tensorflow_graphs": _COMMON + '''
for _name, _t in (("feed_dict", t_feed), ("variables", t_var), ("copy_4mb", t_copy)):
    _r.append({"id": "04.step", "what": _name, "median_s": _t.median, "iqr_s": _t.iqr,
               "other_share": _share(_t), "unit": "s"})
''',
    "06_data_loaders": _COMMON + '''
for _name, _s in epoch.items():
    _r.append({"id": "06.loader", "loader": _name, "images_per_s": round(len(train_ds) / _s, 2),
               "epoch_s": _s, "unit": "images/s"})
_r.append({"id": "06.worker_cores", "cores": round(worker_cpu / worker_wall, 3), "unit": "cores"})
for _name, _s in tf_epoch.items():
    _r.append({"id": "06.tf_data", "pipeline": _name, "images_per_s": round(len(paths) / _s, 2),
               "unit": "images/s"})
for _name, _ms in stage_ms.items():
    _r.append({"id": "06.stage", "stage": _name, "ms_per_image": round(_ms, 4), "unit": "ms"})
for _run, _spans in spans.items():  # the torch.profiler section: labelled spans of one epoch
    _r.append({"id": "06.profiled_wait", "loader": _run, "wait_share": round(wait_fraction(_spans), 4),
               "unit": "share of the epoch's wall time"})
''',
    "07_pretrained_models": _COMMON + '''
for _name, _ips in speed.items():
    _r.append({"id": "07.inference", "setting": _name, "images_per_s": round(_ips, 2),
               "unit": "images/s"})
''',
    "09_opencv_meets_deep_learning": _COMMON + '''
for _name, _t in (("PyTorch eager", t_torch), ("OpenCV dnn", t_opencv)):
    _r.append({"id": "09.inference", "engine": _name, "threads": _t.threads,
               "median_s": _t.median, "other_share": _share(_t), "unit": "s"})
''',
    "10_static_vs_dynamic_graphs": _COMMON + '''
for (_size, _name), _s in medians.items():
    _r.append({"id": "10.many_small_ops", "elements": _size, "version": _name, "median_s": _s,
               "unit": "s"})
# Inductor's compile cost and speed, measured in fresh processes by scripts/time_inductor.py
# (the lesson prints them from the record instead of compiling live)
import subprocess as _sp
import sys as _sys
from course_lib.settings import REPO_ROOT as _root
_done = _sp.run([_sys.executable, str(_root / "scripts" / "time_inductor.py")], capture_output=True,
                text=True, timeout=3600, check=False)
if _done.returncode:
    raise RuntimeError("scripts/time_inductor.py failed: " + _done.stderr[-2000:])
_r.extend(_json.loads(_done.stdout.strip().splitlines()[-1]))
''',
    "11_distributed_training": _COMMON + '''
_r.append({"id": "11.launch", "seconds": launch_seconds, "unit": "s"})
for _res in results:
    _r.append({"id": "11.step", "what": f"DDP rank {_res['rank']}",
               "median_s": float(np.median(_res["step_seconds"])), "unit": "s"})
_r.append({"id": "11.step", "what": "one process", "median_s": float(np.median(one_process)), "unit": "s"})
for _res in results:  # the timeline's phases: computing, and in the gradient all-reduce
    _ph = np.array(distributed.step_phases(_res))
    _r.append({"id": "11.phase", "what": f"DDP rank {_res['rank']}",
               "computing_median_s": float(np.median(_ph[:, 0] + _ph[:, 2])),
               "all_reduce_median_s": float(np.median(_ph[:, 1])), "unit": "s"})
''',
    "12_choosing_a_framework": _COMMON + '''
for _name, _ms in step_ms.items():
    _r.append({"id": "12.step", "trainer": _name, "ms": round(_ms, 4), "unit": "ms"})
''',
    "13_language_models": _COMMON + '''
for _mode, _t in (("KV cache", t_cache), ("recompute the prefix", t_full)):
    _r.append({"id": "13.generate", "mode": _mode, "tokens": 110, "median_s": _t.median,
               "tokens_per_s": round(110 / _t.median, 1), "other_share": _share(_t), "unit": "tokens/s"})
''',
}


def stamp(nb: nbformat.NotebookNode, recorded: str) -> None:
    """Mark ``nb``'s outputs as made by the run that wrote the record of time ``recorded``."""
    nb.metadata.setdefault("course", {})["record"] = recorded


def _is_record_cell(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and "record" in cell.metadata.get("tags", [])


def _run(nb: nbformat.NotebookNode, path: Path, harvest: str | None) -> list[dict]:
    """Execute the cells of ``nb`` in a fresh kernel, then ``harvest``; return its results.

    With a harvest, a cell tagged ``record`` may fail (the record it shows is about to be
    rewritten, or does not exist yet); :func:`_refresh_record_cells` replaces its output.
    """
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            try:
                client.execute_cell(cell, index)
            except CellExecutionError:
                if harvest is None or not _is_record_cell(cell):
                    raise
        if harvest is None:
            return []
        probe = nbformat.v4.new_code_cell(harvest + "\nprint(_json.dumps(_r))")
        nb.cells.append(probe)
        try:
            client.execute_cell(probe, len(nb.cells) - 1)
        finally:
            nb.cells.pop()
    text = "".join(o.get("text", "") for o in probe.outputs if o.get("name") == "stdout")
    return json.loads(text.strip().splitlines()[-1])


def _refresh_record_cells(nb: nbformat.NotebookNode, path: Path) -> int:
    """Execute the cells tagged ``record`` again (each stands alone); return how many."""
    tagged = [i for i, c in enumerate(nb.cells) if _is_record_cell(c)]
    if not tagged:
        return 0
    counts = [nb.cells[i].execution_count for i in tagged]
    copy = nbformat.v4.new_notebook(cells=[nb.cells[i] for i in tagged], metadata=nb.metadata)
    _run(copy, path, None)
    for i, count in zip(tagged, counts, strict=True):  # their place in the top-to-bottom run
        nb.cells[i].execution_count = count
        for out in nb.cells[i].outputs:
            if "execution_count" in out:
                out["execution_count"] = count
    return len(tagged)


def record(name: str, force: bool) -> bool:
    """Record one lesson; return whether its record was written."""
    path = NOTEBOOKS / f"{name}.ipynb"
    before = sample_load(3.0)
    print(f"[{name}] before: {before}", flush=True)
    if not before.ok and not force:
        print(f"[{name}] the machine is busy: nothing recorded (close other programs, or --force)")
        return False
    nb = nbformat.read(path, as_version=4)
    started = dt.datetime.now(dt.UTC)
    with LoadMonitor() as monitor:
        results = _run(nb, path, HARVEST[name])
    during = monitor.report
    assert during is not None
    shares = [r["other_share"] for r in results if r.get("other_share") is not None]
    worst = max(shares, default=0.0)  # the busiest single timing the prose may rely on
    ok = before.ok and during.ok and worst <= BUSY_THRESHOLD
    print(f"[{name}] during the run: {during}; busiest timing: {worst:.0%}", flush=True)
    if not ok and not force:
        print(f"[{name}] the machine was busy: nothing recorded (close other programs, or --force)")
        return False
    data = {
        "recorded": started.isoformat(timespec="seconds"),
        "notebook": f"notebooks/{path.name}",
        "machine": records.machine_info(),
        "quiet": {
            "measured": "CPU time of every other program and the hypervisor's steal time, from the "
                        "system's counters (psutil), while the lesson ran in a fresh kernel, as a "
                        "share of all logical cores; 'before' is a 3 s look before it started, "
                        "'worst_result_share' the busiest single timing among the results",
            "threshold": BUSY_THRESHOLD, "other_share": round(during.other_share, 4),
            "worst_result_share": worst,
            "before": before.as_dict(), "during": during.as_dict(), "ok": ok,
        },
        "results": results,
    }
    records.validate(data, f"record {name}")
    out = records.RECORDS_DIR / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    refreshed = _refresh_record_cells(nb, path)
    stamp(nb, data["recorded"])
    nbformat.write(nb, path)
    print(f"[{name}] wrote {out.relative_to(ROOT)} ({len(results)} results) and the notebook's "
          f"outputs ({refreshed} record cells refreshed)", flush=True)
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="lesson numbers such as 02 07 (default: all)")
    parser.add_argument("--force", action="store_true", help="write even if the machine was busy")
    parser.add_argument("--refresh-only", action="store_true",
                        help="measure nothing: only run the cells tagged 'record' again")
    args = parser.parse_args()
    chosen = [n for n in HARVEST if not args.lessons or n[:2] in args.lessons]
    unknown = set(args.lessons) - {n[:2] for n in HARVEST}
    if unknown:
        parser.error(f"no recording for lesson(s) {', '.join(sorted(unknown))}; "
                     f"these have one: {', '.join(n[:2] for n in HARVEST)}")
    if args.refresh_only:
        for name in chosen:
            path = NOTEBOOKS / f"{name}.ipynb"
            nb = nbformat.read(path, as_version=4)
            print(f"[{name}] {_refresh_record_cells(nb, path)} record cells refreshed", flush=True)
            nbformat.write(nb, path)
        return 0
    written = [record(name, args.force) for name in chosen]
    return 0 if all(written) else 1


if __name__ == "__main__":
    sys.exit(main())
