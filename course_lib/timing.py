"""Honest timing: warm-up, device synchronisation, repeats and the median, on torch.utils.benchmark."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.utils.benchmark as tb

from course_lib.devices import as_device, synchronize
from course_lib.errors import CourseInputError, expect
from course_lib.load import LoadMonitor, LoadReport


@dataclass(frozen=True)
class Timing:
    """The result of :func:`benchmark`: per-call times in seconds and what they mean."""

    label: str
    device: str
    threads: int
    times: list[float] = field(repr=False)  # seconds per call, one value per measured block
    flops: float | None = None  # floating-point operations in one call, if given
    load: LoadReport | None = field(default=None, repr=False)  # other programs' CPU use meanwhile

    @property
    def quiet(self) -> bool | None:
        """False when other programs used more than the threshold of the CPU during the timing."""
        return None if self.load is None else self.load.ok

    @property
    def median(self) -> float:
        """Median seconds per call."""
        return statistics.median(self.times)

    @property
    def iqr(self) -> float:
        """Inter-quartile range of the per-call times, in seconds (the spread)."""
        if len(self.times) < 2:
            return 0.0
        q = statistics.quantiles(self.times, n=4)
        return q[2] - q[0]

    @property
    def gflops(self) -> float | None:
        """Achieved GFLOP/s at the median time, when ``flops`` was given."""
        return None if self.flops is None else self.flops / self.median / 1e9

    def __str__(self) -> str:
        text = f"{self.label}: median {format_seconds(self.median)} ± {format_seconds(self.iqr)} (IQR)"
        if self.gflops is not None:
            text += f", {self.gflops:.1f} GFLOP/s"
        text = f"{text} on {self.device}, {self.threads} thread(s), {len(self.times)} blocks"
        if self.load is not None and not self.load.ok:
            text += (f" [BUSY MACHINE: other programs used {self.load.other_share:.0%} of the CPU "
                     "meanwhile; do not trust this number]")
        return text


def format_seconds(seconds: float) -> str:
    """Seconds in the unit a person reads best (ns, µs, ms or s)."""
    expect(isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
           and math.isfinite(seconds) and seconds >= 0, "seconds", "a finite number >= 0", seconds)
    if seconds >= 1000:  # .3g would switch to scientific notation here
        return f"{seconds:.0f} s"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def matmul_flops(n: int, m: int | None = None, k: int | None = None) -> float:
    """FLOPs of an (n x k) @ (k x m) matrix product: one multiply and one add per term, 2·n·m·k."""
    m = n if m is None else m
    k = n if k is None else k
    for name, v in (("n", n), ("m", m), ("k", k)):
        expect(isinstance(v, int) and not isinstance(v, bool) and v > 0, name, "a positive int", v)
    return 2.0 * n * m * k


def benchmark(
    fn: Callable[[], object],
    *,
    label: str = "",
    device: str | torch.device = "cpu",
    warmup: int = 3,
    min_run_time: float = 0.5,
    threads: int | None = None,
    flops: float | None = None,
) -> Timing:
    """Time ``fn()``: ``warmup`` untimed calls, then torch.utils.benchmark's blocked autorange.

    Work on a GPU runs asynchronously, so the device is synchronised before the clock
    starts and after every timed block; ``threads`` defaults to all the threads torch uses.
    The result's ``load`` says how much CPU other programs used while it was timed.
    """
    if not callable(fn):
        raise CourseInputError(f"fn: expected a function taking no arguments, got {type(fn).__name__}.")
    expect(isinstance(warmup, int) and not isinstance(warmup, bool) and warmup >= 0, "warmup",
           "an int >= 0", warmup)
    expect(isinstance(min_run_time, (int, float)) and min_run_time > 0, "min_run_time",
           "a positive number of seconds", min_run_time)
    if threads is None:
        threads = torch.get_num_threads()
    expect(isinstance(threads, int) and not isinstance(threads, bool) and threads > 0, "threads",
           "a positive int", threads)
    expect(flops is None or (isinstance(flops, (int, float)) and flops > 0), "flops",
           "None or a positive number", flops)
    dev = as_device(device)

    call: Callable[[], object] = fn
    if dev.type == "mps":  # torch's Timer synchronises CUDA itself, but not MPS
        def call() -> object:
            out = fn()
            synchronize(dev)
            return out

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for _ in range(warmup):
            call()
        synchronize(dev)
        timer = tb.Timer(stmt="call()", globals={"call": call}, num_threads=threads,
                         label=label or getattr(fn, "__name__", "fn"))
        with LoadMonitor() as monitor:
            measurement = timer.blocked_autorange(min_run_time=min_run_time)
    finally:
        torch.set_num_threads(previous)
    return Timing(label=label or getattr(fn, "__name__", "fn"), device=str(dev), threads=threads,
                  times=list(measurement.times), flops=None if flops is None else float(flops),
                  load=monitor.report)
