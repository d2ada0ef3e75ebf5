"""Unit tests for course_lib.benchmarks and the benchmarks/gpu_matmul.py recording script."""

import json
import statistics
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest
import torch
import torch.utils.benchmark as tb

from course_lib import benchmarks as bm
from course_lib.data import DataIntegrityError, write_manifest
from course_lib.errors import CourseInputError

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parent.parent


def _point(**kw):
    base = dict(op="matmul", library="torch", device="cpu", threads=2, size=100, seconds=0.002,
                flops=2e6, bytes=120_000.0)
    base.update(kw)
    return bm.Point(**base)


def test_op_cost_counts_flops_and_bytes():
    assert bm.op_cost("matmul", 10) == (2000.0, 1200.0)
    assert bm.op_cost("add", 10) == (100.0, 1200.0)
    assert bm.op_cost("copy_h2d", 10) == (0.0, 400.0)
    assert bm.op_cost("add", 10, bytes_per_element=8) == (100.0, 2400.0)


@pytest.mark.parametrize("args, match", [
    (("conv", 10), "op"), (("add", 0), "n"), (("add", True), "n"), (("add", 10, 0), "bytes"),
])
def test_op_cost_rejects_bad_input(args, match):
    with pytest.raises(CourseInputError, match=match):
        bm.op_cost(*args)


def test_point_properties_and_series():
    p = _point()
    assert p.gflops == pytest.approx(1.0)
    assert p.gbytes_per_s == pytest.approx(0.06)
    assert p.intensity == pytest.approx(2e6 / 120_000)
    assert p.series == "torch cpu 2 threads"
    assert _point(threads=1).series == "torch cpu 1 thread"
    assert _point(device="cuda:0", precision="tf32").series == "torch cuda:0 tf32"


@pytest.mark.parametrize("library", ["torch", "numpy"])
@pytest.mark.parametrize("op", ["matmul", "add"])
def test_measure_gives_a_positive_point(library, op):
    p = bm.measure(op, 64, library=library, threads=1, min_run_time=0.02)
    assert (p.op, p.library, p.device, p.threads, p.size, p.precision) == (
        op, library, "cpu", 1, 64, "fp32")
    assert p.seconds > 0 and p.gflops > 0


def test_measure_float64_moves_twice_the_bytes():
    p = bm.measure("matmul", 32, library="numpy", threads=1, precision="fp64", min_run_time=0.02)
    assert p.precision == "fp64" and p.bytes == 3 * 32 * 32 * 8
    assert p.series == "numpy cpu 1 thread fp64"


@pytest.mark.parametrize("kwargs, match", [
    ({"op": "conv"}, "op"),
    ({"library": "jax"}, "library"),
    ({"n": 0}, "n: expected an int from 1 to 32768"),
    ({"n": "64"}, "n: expected an int"),
    ({"pinned": "no"}, "pinned: expected True or False"),
    ({"threads": 0}, "threads"),
    ({"precision": "fp16"}, "precision"),
    ({"device": "tpu"}, "device"),
    ({"op": "copy_h2d"}, "needs a GPU"),
])
def test_measure_rejects_bad_input(kwargs, match):
    args = {"op": "matmul", "n": 16, **kwargs}
    op, n = args.pop("op"), args.pop("n")
    with pytest.raises(CourseInputError, match=match):
        bm.measure(op, n, min_run_time=0.01, **args)


def test_sweep_sorts_sizes_and_rejects_empty():
    pts = bm.sweep("add", [64, 16], library="numpy", threads=1, min_run_time=0.01)
    assert [p.size for p in pts] == [16, 64]
    with pytest.raises(CourseInputError, match="sizes"):
        bm.sweep("add", [])
    with pytest.raises(CourseInputError, match=r"sizes\[1\]: expected an int"):
        bm.sweep("add", [16, -1])
    with pytest.raises(CourseInputError, match="sizes: expected a non-empty list"):
        bm.sweep("add", 64)


def test_table_and_best():
    pts = [_point(size=100, seconds=0.002), _point(size=200, seconds=0.001, flops=1.6e7),
           _point(op="add", size=100, flops=1e4)]
    text = bm.table(pts)
    assert text.splitlines()[0].split()[:3] == ["op", "series", "n"]
    assert len(text.splitlines()) == 2 + len(pts)
    assert bm.best(pts).size == 200
    assert bm.best(pts, op="add").op == "add"
    with pytest.raises(CourseInputError, match="no 'matmul' points"):
        bm.best(pts, series="numpy cpu 1 thread")
    with pytest.raises(CourseInputError, match="Point"):
        bm.table(["not a point"])


def test_plot_gflops_draws_one_line_per_series():
    pts = [_point(size=s) for s in (64, 128)] + [_point(threads=1, size=s) for s in (64, 128)]
    ax = bm.plot_gflops(pts, title="t")
    assert len(ax.lines) == 2 and ax.get_title() == "t" and ax.get_ylabel() == "GFLOP/s"
    with pytest.raises(CourseInputError, match="copy_h2d"):
        bm.plot_gflops(pts, op="copy_h2d")


def test_machine_info_names_versions():
    info = bm.machine_info()
    assert info["torch"] == torch.__version__ and info["devices"][-1].startswith("cpu")


def test_record_round_trip_through_the_manifest(tmp_path):
    rec = bm.make_record([_point(), _point(size=200)], note="test")
    assert rec["format"] == bm.RECORD_FORMAT and rec["note"] == "test" and "date" in rec
    assert bm.load_records(tmp_path) == []  # nothing shipped yet
    path = bm.write_record(rec, "test-gpu_2026", data_dir=tmp_path)
    assert path == tmp_path / "gpu_benchmarks" / "test-gpu_2026.json"
    with pytest.raises(DataIntegrityError, match="not listed"):
        bm.load_records(tmp_path)
    write_manifest(tmp_path)
    (loaded,) = bm.load_records(tmp_path)
    assert loaded["file"] == "gpu_benchmarks/test-gpu_2026.json"
    assert bm.points_from_record(loaded) == [_point(), _point(size=200)]
    path.write_text(path.read_text().replace('"test"', '"changed"'))
    with pytest.raises(DataIntegrityError, match="SHA-256"):
        bm.load_records(tmp_path)


@pytest.mark.parametrize("bad", [{}, {"format": 1}, {"format": 99, "points": []}, [1, 2]])
def test_points_from_record_rejects_bad_records(bad):
    with pytest.raises(CourseInputError, match="record"):
        bm.points_from_record(bad)


@pytest.mark.parametrize("change, match", [
    ({"seconds": 0.0}, "seconds: expected a finite number above 0"),  # GFLOP/s: ZeroDivisionError
    ({"seconds": -0.002}, "seconds: expected a finite number above 0"),  # was: negative GFLOP/s
    ({"threads": True}, "threads: expected an int"),
    ({"op": "conv"}, "op: expected one of"),
    ({"other_share": 1.5}, "other_share: expected a finite number from 0 to 1"),
])
def test_a_point_refuses_values_that_would_give_wrong_figures(change, match):
    with pytest.raises(CourseInputError, match=match):
        _point(**change)


def test_a_record_whose_point_holds_a_bad_value_is_refused():
    rec = bm.make_record([_point()])
    rec["points"][0]["seconds"] = "fast"
    with pytest.raises(CourseInputError, match="seconds: expected a finite number"):
        bm.points_from_record(rec)


def test_points_from_record_rejects_unknown_fields():
    rec = bm.make_record([_point()])
    rec["points"][0]["colour"] = "red"
    with pytest.raises(CourseInputError, match="unexpected fields"):
        bm.points_from_record(rec)


def test_write_record_rejects_bad_names_and_records(tmp_path):
    with pytest.raises(CourseInputError, match="name"):
        bm.write_record(bm.make_record([_point()]), "../escape", data_dir=tmp_path)
    with pytest.raises(CourseInputError, match="points"):
        bm.make_record([])


def test_cpu_matmul_figure_agrees_with_torch_utils_benchmark():
    """The lesson's CPU figure against an independent torch.utils.benchmark measurement.

    On a shared machine the speed of one core can jump by 2x when another program lands on
    it, so the two measurements are interleaved in A B B A order, nine times; each adjacent
    pair gives a ratio, and the median ratio must lie within 25% of 1 (it failed at 15% with
    other programs keeping both cores busy): a wrong FLOP count or unit is off by 2x or more. The
    medians of the two series are reported for diagnosis.
    """
    n = 512
    a, b = torch.randn(n, n), torch.randn(n, n)
    # into a preallocated output, as the lesson's figure is measured: `a @ b` allocates 1 MB per
    # call, and in a VM its page faults once made the reference 1.8x slower with every ratio alike
    timer = tb.Timer(stmt="torch.matmul(a, b, out=c)", globals={"a": a, "b": b, "c": torch.empty(n, n),
                                                                 "torch": torch}, num_threads=1)

    def ours() -> float:
        return bm.measure("matmul", n, threads=1, min_run_time=0.1).gflops

    def theirs() -> float:
        return 2 * n**3 / timer.blocked_autorange(min_run_time=0.1).median / 1e9

    mine, ref, ratios = [], [], []
    for i in range(9):
        if i % 2 == 0:
            m, r = ours(), theirs()
        else:
            r, m = theirs(), ours()
        mine.append(m)
        ref.append(r)
        ratios.append(m / r)
    ratio = statistics.median(ratios)
    assert 0.75 < ratio < 1.25, (statistics.median(mine), statistics.median(ref), mine, ref)


def test_gpu_matmul_script_records_a_run(tmp_path):
    script = ROOT / "benchmarks" / "gpu_matmul.py"
    data_dir = tmp_path / "data"
    proc = subprocess.run([sys.executable, str(script), "--quick", "--allow-cpu-only",
                           "--min-run-time", "0.02", "--data-dir", str(data_dir),
                           "--name", "quick"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    record = json.loads((data_dir / "gpu_benchmarks" / "quick.json").read_text())
    assert record["machine"]["torch"] == torch.__version__
    ops = {p.op for p in bm.points_from_record(record)}
    assert {"matmul", "add"} <= ops
    (loaded,) = bm.load_records(data_dir)
    assert loaded["file"] == "gpu_benchmarks/quick.json"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU")
def test_gpu_matmul_script_refuses_without_a_gpu(tmp_path):
    script = ROOT / "benchmarks" / "gpu_matmul.py"
    proc = subprocess.run([sys.executable, str(script), "--data-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "No GPU found" in proc.stdout
    assert not (tmp_path / "gpu_benchmarks").exists()


def test_points_come_back_from_record_results():
    from course_lib.benchmarks import points_from_results

    rows = [{"id": "02.matmul", "library": "torch", "device": "cpu", "threads": 1, "n": 512,
             "median_s": 0.01, "other_share": 0.01, "unit": "GFLOP/s"}]
    (p,) = points_from_results(rows)
    assert p.series == "torch cpu 1 thread" and p.gflops == pytest.approx(2 * 512**3 / 0.01 / 1e9)
    assert not p.busy
    with pytest.raises(CourseInputError, match="results"):
        points_from_results([{"id": "07.inference"}])


def test_measure_interleaved_goes_round_robin_and_takes_the_median_of_rounds(monkeypatch):
    calls, seconds = [], iter([0.001, 0.010, 0.003, 0.011, 0.002, 0.050])  # a, b, a, b, a, b
    shares = iter([0.0, 0.02, 0.05, 0.0, 0.01, 0.0])

    def fake_measure(op, n, **kw):
        calls.append((kw["library"], kw["min_run_time"]))
        return _point(op=op, size=n, library=kw["library"], seconds=next(seconds),
                      other_share=next(shares))

    monkeypatch.setattr(bm, "measure", fake_measure)
    a, b = bm.measure_interleaved([{"op": "matmul", "n": 64, "library": "torch"},
                                   {"op": "matmul", "n": 64, "library": "numpy"}],
                                  rounds=3, min_run_time=0.05)
    assert calls == [("torch", 0.05), ("numpy", 0.05)] * 3
    assert (a.library, a.seconds, a.other_share) == ("torch", 0.002, 0.05)  # median; busiest round
    assert (b.library, b.seconds, b.other_share) == ("numpy", 0.011, 0.02)


def test_measure_interleaved_measures_for_real():
    fp64, fp32 = bm.measure_interleaved(
        [{"op": "matmul", "n": 32, "library": "numpy", "threads": 1, "precision": "fp64"},
         {"op": "matmul", "n": 32, "library": "numpy", "threads": 1}], rounds=2, min_run_time=0.02)
    assert fp64.series == "numpy cpu 1 thread fp64" and fp32.series == "numpy cpu 1 thread"
    assert fp64.seconds > 0 and fp32.seconds > 0 and fp64.other_share is not None


@pytest.mark.parametrize("kwargs, match", [
    ({"specs": []}, "specs: expected a non-empty list"),
    ({"specs": [{"op": "matmul"}]}, "specs: expected a non-empty list of dicts"),
    ({"specs": {"op": "matmul", "n": 8}}, "specs: expected a non-empty list"),
    ({"specs": [{"op": "matmul", "n": 8, "colour": "red"}]}, r"specs\[0\]: expected only measure"),
    ({"specs": [{"op": "matmul", "n": 8, "min_run_time": 1}]}, r"specs\[0\]: expected only measure"),
    ({"rounds": 0}, "rounds: expected an int from 1 to 100"),
    ({"min_run_time": -1}, "min_run_time"),
    ({"specs": [{"op": "conv", "n": 8}]}, "op: expected one of"),
])
def test_measure_interleaved_rejects_bad_input(kwargs, match):
    args = {"specs": [{"op": "matmul", "n": 8}], "min_run_time": 0.01, **kwargs}
    with pytest.raises(CourseInputError, match=match):
        bm.measure_interleaved(args.pop("specs"), **args)


@pytest.mark.parametrize("text, flags", [
    ("processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni\n", ["avx512_bf16"]),
    ("flags\t: fpu avx2 amx_bf16 amx_tile avx512_bf16\n", ["avx512_bf16", "amx_bf16"]),
    ("flags\t: fpu sse2 avx2 fma\n", []),
    ("Features\t: fp asimd bf16 i8mm\n", ["bf16"]),  # an Arm CPU
    ("processor\t: 0\n", None),
])
def test_the_bf16_flags_are_read_from_cpuinfo(text, flags):
    assert bm._bf16_flags_in(text) == flags


def test_cpu_bf16_flags_of_this_machine():
    flags = bm.cpu_bf16_flags()
    if Path("/proc/cpuinfo").is_file():
        assert isinstance(flags, list) and set(flags) <= set(bm.BF16_CPU_FLAGS)
    else:
        assert flags is None
