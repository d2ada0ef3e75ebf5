"""Throughput sweeps for lesson 02 (matmul, elementwise add, host-to-device copy) and GPU records.

Every figure comes from :func:`course_lib.timing.benchmark` (warm-up, synchronisation,
repeats, median). Recorded runs from other machines live in ``data/gpu_benchmarks/*.json``,
written by ``benchmarks/gpu_matmul.py`` and verified against ``data/MANIFEST.sha256``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import json
import os
import platform
import statistics
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from course_lib.data import DATA_DIR, DataIntegrityError, manifest_entries, sha256
from course_lib.devices import as_device, list_devices
from course_lib.errors import (
    CourseInputError,
    expect,
    expect_bool,
    expect_choice,
    expect_int,
    expect_number,
    expect_path,
)
from course_lib.load import BUSY_THRESHOLD
from course_lib.timing import MAX_ROUNDS, MAX_RUN_TIME, benchmark, matmul_flops

OPS = ("matmul", "add", "copy_h2d")
LIBRARIES = ("torch", "numpy")
PRECISIONS = ("fp32", "fp64", "tf32")
RECORD_DIR = "gpu_benchmarks"
RECORD_FORMAT = 1
BYTES_FLOAT32 = 4
MAX_SIZE = 32768  # the largest n of an n x n measurement

# Vendor specifications (datasheet peaks, not measurements), for comparison with measured figures.
VENDOR_SPECS: dict[str, dict[str, float | str]] = {
    "NVIDIA H100 SXM5 80GB": {
        "fp32_tflops": 67.0, "tf32_tensor_tflops_dense": 495.0, "memory_tb_per_s": 3.35,
        "source": "NVIDIA H100 datasheet (vendor peak figures)"},
    "NVIDIA H100 PCIe 80GB": {
        "fp32_tflops": 51.0, "tf32_tensor_tflops_dense": 378.0, "memory_tb_per_s": 2.0,
        "source": "NVIDIA H100 datasheet (vendor peak figures)"},
    "NVIDIA H200 SXM 141GB": {
        "fp32_tflops": 67.0, "tf32_tensor_tflops_dense": 495.0, "memory_tb_per_s": 4.8,
        "source": "NVIDIA H200 datasheet (vendor peak figures)"},
}


@dataclass(frozen=True)
class Point:
    """One measured point of a sweep: an operation on ``size`` x ``size`` arrays (float32 unless
    ``precision`` is ``"fp64"``)."""

    op: str  # "matmul", "add" or "copy_h2d"
    library: str  # "torch" or "numpy"
    device: str  # "cpu", "cuda:0", "mps"
    threads: int  # CPU threads the library was allowed to use
    size: int  # n: the arrays are n x n
    seconds: float  # median seconds per call
    flops: float  # floating-point operations per call (0 for a copy)
    bytes: float  # the least memory traffic one call needs (read inputs, write output)
    precision: str = "fp32"  # "fp32", "fp64", or "tf32" when a GPU may use TF32 tensor cores
    other_share: float | None = None  # share of the CPU other programs used while it was timed

    def __post_init__(self) -> None:
        expect_choice(self.op, "op", OPS)
        expect_choice(self.library, "library", LIBRARIES)
        expect(isinstance(self.device, str) and self.device != "", "device", "a device name such as 'cpu'",
               self.device)
        expect_int(self.threads, "threads", low=1)
        expect_int(self.size, "size", low=1)
        expect_number(self.seconds, "seconds", low=0, low_open=True)
        expect_number(self.flops, "flops", low=0)
        expect_number(self.bytes, "bytes", low=0, low_open=True)
        expect_choice(self.precision, "precision", PRECISIONS)
        if self.other_share is not None:
            expect_number(self.other_share, "other_share", low=0, high=1)

    @property
    def busy(self) -> bool:
        """True when other programs used more than course_lib.load's threshold meanwhile."""
        return self.other_share is not None and self.other_share > BUSY_THRESHOLD

    @property
    def gflops(self) -> float:
        """Achieved GFLOP/s (billions of floating-point operations per second)."""
        return self.flops / self.seconds / 1e9

    @property
    def gbytes_per_s(self) -> float:
        """Achieved memory traffic in GB/s (10**9 bytes per second)."""
        return self.bytes / self.seconds / 1e9

    @property
    def intensity(self) -> float:
        """Arithmetic intensity: FLOPs per byte of memory traffic."""
        return self.flops / self.bytes

    @property
    def series(self) -> str:
        """A label naming library, device, threads and precision, e.g. ``"torch cpu 2 threads"``."""
        text = f"{self.library} {self.device}"
        if self.device == "cpu":
            text += f" {self.threads} thread{'s' if self.threads != 1 else ''}"
        if self.precision != "fp32":
            text += f" {self.precision}"
        return text


def op_cost(op: str, n: int, bytes_per_element: int = BYTES_FLOAT32) -> tuple[float, float]:
    """(FLOPs, least bytes moved) of one call of ``op`` on n x n arrays."""
    expect_choice(op, "op", OPS)
    expect_int(n, "n", low=1)
    expect_int(bytes_per_element, "bytes_per_element", low=1)
    elements = n * n
    if op == "matmul":  # read a and b, write c; 2·n³ multiply-adds
        return matmul_flops(n), 3.0 * elements * bytes_per_element
    if op == "add":  # read a and b, write c; one addition per element
        return float(elements), 3.0 * elements * bytes_per_element
    return 0.0, float(elements * bytes_per_element)  # copy: move the bytes once


def _threads_ctx(library: str, threads: int) -> AbstractContextManager[Any]:
    if library == "numpy":
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=threads)
    return nullcontext()


def _expect_points(points: Any, non_empty: bool = False) -> list[Point]:
    """``points`` as a list if it is a list (or tuple) of :class:`Point`."""
    ok = isinstance(points, (list, tuple)) and all(isinstance(p, Point) for p in points)
    expect(ok and (len(points) > 0 or not non_empty), "points",
           f"a {'non-empty ' if non_empty else ''}list of Point (from measure or sweep)", points)
    return list(points)


def measure(op: str, n: int, *, library: str = "torch", device: str | torch.device = "cpu",
            threads: int | None = None, min_run_time: float = 0.2, precision: str = "fp32",
            pinned: bool = True) -> Point:
    """Measure one operation on n x n arrays with the honest timer; return a :class:`Point`.

    ``precision`` is ``"fp32"`` (float32), ``"fp64"`` (float64) or ``"tf32"`` (float32 data;
    a CUDA GPU may use its TF32 tensor cores for matmul). ``matmul`` is ``a @ b``, ``add`` is
    ``a + b`` written into a preallocated output, and
    ``copy_h2d`` copies one array from the CPU to ``device`` (a GPU only; ``pinned`` picks
    page-locked host memory).
    """
    expect_choice(op, "op", OPS)
    expect_choice(library, "library", LIBRARIES)
    expect_int(n, "n", low=1, high=MAX_SIZE)
    expect_choice(precision, "precision", PRECISIONS)
    expect_bool(pinned, "pinned")
    expect_number(min_run_time, "min_run_time", low=0, high=MAX_RUN_TIME, low_open=True)
    dev = as_device(device)
    if library == "numpy" and dev.type != "cpu":
        raise CourseInputError(f"device: NumPy runs on the CPU only, got {str(dev)!r}.")
    if op == "copy_h2d" and dev.type == "cpu":
        raise CourseInputError("device: a host-to-device copy needs a GPU ('cuda' or 'mps'), "
                               "got 'cpu'.")
    threads = torch.get_num_threads() if threads is None else threads
    expect_int(threads, "threads", low=1)
    width = 8 if precision == "fp64" else BYTES_FLOAT32
    flops, nbytes = op_cost(op, n, bytes_per_element=width)
    np_dtype = np.float64 if precision == "fp64" else np.float32
    torch_dtype = torch.float64 if precision == "fp64" else torch.float32

    fn: Callable[[], object]
    if op == "copy_h2d":
        host = torch.randn(n, n, dtype=torch_dtype)
        if pinned and dev.type == "cuda":
            host = host.pin_memory()

        def fn() -> object:
            return host.to(dev, non_blocking=False)
    else:
        a: Any
        b: Any
        if library == "numpy":
            rng = np.random.default_rng(0)
            a = rng.standard_normal((n, n), dtype=np_dtype)
            b = rng.standard_normal((n, n), dtype=np_dtype)
            kernel: Callable[..., object] = np.matmul if op == "matmul" else np.add
        else:
            gen = torch.Generator().manual_seed(0)
            a = torch.randn(n, n, generator=gen, dtype=torch_dtype).to(dev)
            b = torch.randn(n, n, generator=gen, dtype=torch_dtype).to(dev)
            kernel = torch.matmul if op == "matmul" else torch.add
        c = a * 0  # a preallocated output of the same kind, dtype and device

        def fn() -> object:
            return kernel(a, b, out=c)

    previous = torch.backends.cuda.matmul.fp32_precision if dev.type == "cuda" else None
    if dev.type == "cuda":
        torch.backends.cuda.matmul.fp32_precision = "tf32" if precision == "tf32" else "ieee"
    try:
        with _threads_ctx(library, threads):
            timing = benchmark(fn, label=f"{library} {op} {n}", device=dev, threads=threads,
                               min_run_time=min_run_time)
    finally:
        if previous is not None:
            torch.backends.cuda.matmul.fp32_precision = previous
    return Point(op=op, library=library, device=str(dev), threads=threads, size=n,
                 seconds=timing.median, flops=flops, bytes=nbytes,
                 precision="fp32" if precision == "tf32" and dev.type != "cuda" else precision,
                 other_share=None if timing.load is None else round(timing.load.other_share, 4))


def sweep(op: str, sizes: Iterable[int], *, library: str = "torch",
          device: str | torch.device = "cpu", threads: int | None = None,
          min_run_time: float = 0.2, precision: str = "fp32") -> list[Point]:
    """:func:`measure` at every size in ``sizes`` (smallest first); one :class:`Point` per size."""
    expect_choice(op, "op", OPS)
    expect_choice(library, "library", LIBRARIES)
    expect_choice(precision, "precision", PRECISIONS)
    expect(isinstance(sizes, Iterable) and not isinstance(sizes, (str, bytes)), "sizes",
           "a non-empty list of ints", sizes)
    sizes = list(sizes)
    expect(len(sizes) > 0, "sizes", "a non-empty list of ints", sizes)
    for i, n in enumerate(sizes):
        expect_int(n, f"sizes[{i}]", low=1, high=MAX_SIZE)
    return [measure(op, n, library=library, device=device, threads=threads,
                    min_run_time=min_run_time, precision=precision) for n in sorted(sizes)]


_MEASURE_ARGS = frozenset(inspect.signature(measure).parameters) - {"min_run_time"}


def measure_interleaved(specs: Sequence[dict[str, Any]], *, rounds: int = 3,
                        min_run_time: float = 0.1) -> list[Point]:
    """:func:`measure` each spec in turn, ``rounds`` times over; one :class:`Point` per spec.

    Each spec is a dict of :func:`measure`'s arguments (``op`` and ``n`` at least). A point's
    time is the median of its rounds' medians, so a slow spell of the machine hits every spec
    alike; its ``other_share`` is the busiest of its rounds.
    """
    expect(isinstance(specs, (list, tuple)) and len(specs) > 0
           and all(isinstance(s, dict) and "op" in s and "n" in s for s in specs), "specs",
           "a non-empty list of dicts of measure()'s arguments, each with 'op' and 'n'", specs)
    expect_int(rounds, "rounds", low=1, high=MAX_ROUNDS)
    expect_number(min_run_time, "min_run_time", low=0, high=MAX_RUN_TIME, low_open=True)
    for i, spec in enumerate(specs):
        unknown = sorted(set(spec) - _MEASURE_ARGS)
        expect(not unknown and "min_run_time" not in spec, f"specs[{i}]",
               "only measure()'s arguments (min_run_time is given once, for all)", spec)
    runs: list[list[Point]] = [[] for _ in specs]
    for _ in range(rounds):
        for spec, done in zip(specs, runs, strict=True):  # round-robin: every spec once per round
            done.append(measure(**spec, min_run_time=min_run_time))
    points = []
    for done in runs:
        shares = [p.other_share for p in done]
        points.append(dataclasses.replace(
            done[0], seconds=statistics.median(p.seconds for p in done),
            other_share=None if None in shares else max(s for s in shares if s is not None)))
    return points


BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16", "bf16")  # x86 AVX-512 BF16 and AMX; Arm's BF16


def _bf16_flags_in(cpuinfo: str) -> list[str] | None:
    """The bfloat16 flags listed in the text of Linux's /proc/cpuinfo (None if it lists no flags)."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in ("flags", "features"):  # x86 says flags, Arm says Features
            present = set(value.split())
            return [flag for flag in BF16_CPU_FLAGS if flag in present]
    return None


def cpu_bf16_flags() -> list[str] | None:
    """The bfloat16 instruction flags this CPU lists (Linux); None where the system lists none."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            return _bf16_flags_in(f.read())
    except OSError:  # macOS, Windows: the flags are not listed in a file
        return None


def points_from_results(results: Sequence[dict[str, Any]]) -> list[Point]:
    """:class:`Point` objects from a course_lib.records record's ``02.matmul``/``02.add`` results."""
    expect(isinstance(results, (list, tuple)), "results",
           "a list of results (course_lib.records.find(record, '02.matmul'))", results)
    points = []
    for i, r in enumerate(results):
        expect(isinstance(r, dict) and r.get("id") in ("02.matmul", "02.add"), f"results[{i}]",
               "results with id '02.matmul' or '02.add' (course_lib.records.find)", r)
        missing = [k for k in ("library", "device", "threads", "n", "median_s") if k not in r]
        if missing:
            raise CourseInputError(f"results[{i}]: missing {', '.join(missing)}.")
        op = r["id"].split(".", 1)[1]
        n = expect_int(r["n"], f"results[{i}] n", low=1)
        seconds = expect_number(r["median_s"], f"results[{i}] median_s", low=0, low_open=True)
        flops, nbytes = op_cost(op, n)
        points.append(Point(op=op, library=r["library"], device=r["device"], threads=r["threads"],
                            size=n, seconds=seconds, flops=flops,
                            bytes=nbytes, other_share=r.get("other_share")))
    return points


def table(points: Sequence[Point]) -> str:
    """A plain-text table of points: op, series, size, time, GFLOP/s and GB/s; busy rows are marked."""
    points = _expect_points(points)
    head = f"{'op':8s} {'series':26s} {'n':>5s} {'median':>10s} {'GFLOP/s':>9s} {'GB/s':>8s}"
    rows = [head, "-" * len(head)]
    for p in points:
        rows.append(f"{p.op:8s} {p.series:26s} {p.size:5d} {p.seconds * 1e3:8.3f} ms "
                    f"{p.gflops:9.1f} {p.gbytes_per_s:8.1f}"
                    + (f"  BUSY: others used {p.other_share:.0%} of the CPU" if p.busy else ""))
    return "\n".join(rows)


def best(points: Sequence[Point], series: str | None = None, op: str = "matmul") -> Point:
    """The point with the highest GFLOP/s (or GB/s for a copy) among ``op`` points of a series."""
    points = _expect_points(points)
    expect_choice(op, "op", OPS)
    expect(series is None or isinstance(series, str), "series", "None or a str such as 'torch cpu 1 thread'",
           series)
    chosen = [p for p in points if p.op == op and (series is None or p.series == series)]
    if not chosen:
        names = sorted({p.series for p in points if p.op == op})
        raise CourseInputError(f"series: no {op!r} points for {series!r}; present: {names}.")
    key = (lambda p: p.gbytes_per_s) if op == "copy_h2d" else (lambda p: p.gflops)
    return max(chosen, key=key)


def plot_gflops(points: Sequence[Point], *, op: str = "matmul", title: str | None = None,
                ax: Any = None) -> Any:
    """Draw GFLOP/s (GB/s for copies) against size, one line per series; returns the Axes."""
    points = _expect_points(points)
    expect_choice(op, "op", OPS)
    expect(title is None or isinstance(title, str), "title", "None or a str", title)
    expect(ax is None or callable(getattr(ax, "plot", None)), "ax", "None or a matplotlib Axes", ax)
    import matplotlib.pyplot as plt

    chosen = [p for p in points if p.op == op]
    if not chosen:
        raise CourseInputError(f"points: expected at least one {op!r} point, got none.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5), dpi=90)
    for name in dict.fromkeys(p.series for p in chosen):
        pts = sorted((p for p in chosen if p.series == name), key=lambda p: p.size)
        ys = [p.gbytes_per_s if op == "copy_h2d" else p.gflops for p in pts]
        ax.plot([p.size for p in pts], ys, marker="o", label=name)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("matrix size n (n x n, float32)")
    ax.set_ylabel("GB/s" if op == "copy_h2d" else "GFLOP/s")
    ax.set_title(title or f"{op} throughput against size")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return ax


# -- Records: a run on another machine, saved as JSON ---------------------------------------

def machine_info() -> dict[str, Any]:
    """This machine and its software: devices, CPU count, OS, Python, torch, NumPy, CUDA."""
    info: dict[str, Any] = {
        "devices": [f"{d.name}: {d.description}" for d in list_devices()],
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "cuda": torch.version.cuda,
    }
    if torch.backends.cudnn.is_available():
        info["cudnn"] = torch.backends.cudnn.version()
    return info


def make_record(points: Sequence[Point], *, note: str = "",
                when: dt.datetime | None = None) -> dict[str, Any]:
    """A JSON-ready record of measured points with the machine, date and versions."""
    points = _expect_points(points, non_empty=True)
    expect(isinstance(note, str), "note", "a str", note)
    expect(when is None or (isinstance(when, dt.datetime) and when.utcoffset() is not None), "when",
           "None or a timezone-aware datetime such as datetime.now(timezone.utc)", when)
    when = when or dt.datetime.now(dt.UTC)
    return {"format": RECORD_FORMAT, "kind": "recorded measurement",
            "date": when.isoformat(timespec="seconds"), "machine": machine_info(), "note": note,
            "points": [asdict(p) for p in points]}


def points_from_record(record: dict[str, Any]) -> list[Point]:
    """The :class:`Point` list stored in a record (checks the record's format first)."""
    expect(isinstance(record, dict) and record.get("format") == RECORD_FORMAT
           and isinstance(record.get("points"), list), "record",
           f"a dict written by make_record (format {RECORD_FORMAT}) with a 'points' list", record)
    points = []
    for i, p in enumerate(record["points"]):
        expect(isinstance(p, dict), f"record points[{i}]", "a dict of Point fields", p)
        unknown = sorted(set(p) - set(Point.__dataclass_fields__))
        missing = sorted(k for k, f in Point.__dataclass_fields__.items() if k not in p
                         and f.default is dataclasses.MISSING)
        if unknown or missing:
            raise CourseInputError(f"record points[{i}]: a point has unexpected fields {unknown} or "
                                   f"lacks fields {missing}.")
        points.append(Point(**p))
    return points


def write_record(record: dict[str, Any], name: str, data_dir: Path = DATA_DIR) -> Path:
    """Write ``record`` to ``data_dir/gpu_benchmarks/<name>.json`` (then update the manifest)."""
    points_from_record(record)
    expect(isinstance(name, str) and len(name) <= 100 and name.replace("-", "").replace("_", "").isalnum(),
           "name", "a file stem of at most 100 letters, digits, '-' and '_'", name)
    path = expect_path(data_dir, "data_dir") / RECORD_DIR / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def load_records(data_dir: Path = DATA_DIR) -> list[dict[str, Any]]:
    """Every recorded run under ``data_dir/gpu_benchmarks/``, each checked against the manifest.

    Returns an empty list when none is shipped. A file the manifest does not list, or whose
    SHA-256 differs, raises DataIntegrityError.
    """
    data_dir = expect_path(data_dir, "data_dir", exists="dir")
    manifest = manifest_entries(data_dir / "MANIFEST.sha256")
    records = []
    for path in sorted((data_dir / RECORD_DIR).glob("*.json")):
        rel = path.relative_to(data_dir).as_posix()
        if rel not in manifest:
            raise DataIntegrityError(f"data/{rel} is not listed in data/MANIFEST.sha256; run "
                                     "course_lib.data.write_manifest() after adding a record.")
        if sha256(path) != manifest[rel]:
            raise DataIntegrityError(f"data/{rel} does not match its SHA-256 in the manifest.")
        record = json.loads(path.read_text(encoding="utf-8"))
        points_from_record(record)
        record["file"] = rel
        records.append(record)
    return records
