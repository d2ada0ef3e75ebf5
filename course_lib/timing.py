"""Honest timing: warm-up, device synchronisation, repeats and the median, on torch.utils.benchmark."""

from __future__ import annotations

import inspect
import logging
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch

from course_lib.devices import as_device, synchronize
from course_lib.errors import CourseInputError, expect, expect_callable, expect_int, expect_number
from course_lib.load import LoadMonitor, LoadReport

# torch.utils.benchmark imports torch.utils.cpp_extension, which in PyTorch's CUDA build (the
# default wheel on Python 3.12 and 3.13) logs "No CUDA runtime is found, using CUDA_HOME=..." on a
# machine that has nvcc but no GPU. The course builds no C++ extension, so that line is noise.
_CPP_EXTENSION_LOG = logging.getLogger("torch.utils.cpp_extension")
_level = _CPP_EXTENSION_LOG.level
_CPP_EXTENSION_LOG.setLevel(logging.ERROR)
try:
    import torch.utils.benchmark as tb
finally:
    _CPP_EXTENSION_LOG.setLevel(_level)

MAX_THREADS = 1024
MAX_RUN_TIME = 600.0  # seconds: min_run_time above this is surely a mistake (e.g. milliseconds)
MAX_ROUNDS = 100  # compare(): more rounds than this is surely a mistake


@dataclass(frozen=True)
class Timing:
    """The result of :func:`benchmark`: per-call times in seconds and what they mean."""

    label: str
    device: str
    threads: int
    times: list[float] = field(repr=False)  # seconds per call, one value per measured block
    flops: float | None = None  # floating-point operations in one call, if given
    load: LoadReport | None = field(default=None, repr=False)  # other programs' CPU use meanwhile

    def __post_init__(self) -> None:
        expect(isinstance(self.label, str), "label", "a str", self.label)
        expect(isinstance(self.device, str), "device", "a device name (str)", self.device)
        expect_int(self.threads, "threads", low=1)
        expect(isinstance(self.times, list) and len(self.times) > 0, "times",
               "a non-empty list of seconds per call", self.times)
        for t in self.times:
            expect_number(t, "times", low=0)
        if self.flops is not None:
            expect_number(self.flops, "flops", low=0, low_open=True)
        expect(self.load is None or isinstance(self.load, LoadReport), "load", "None or a LoadReport",
               self.load)

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
    expect_number(seconds, "seconds", low=0)
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
        expect_int(v, name, low=1)
    return 2.0 * n * m * k


def _expect_no_argument_function(fn: object) -> None:
    """``fn`` if it can be called as ``fn()``: benchmark calls it with no arguments."""
    expect_callable(fn, "fn")
    try:
        inspect.signature(fn).bind()  # type: ignore[arg-type]
    except TypeError:
        raise CourseInputError(f"fn: expected a function that takes no arguments (wrap a call in a "
                               f"lambda: lambda: f(x)), got {getattr(fn, '__name__', fn)!r} that needs "
                               "some.") from None
    except ValueError:  # a builtin without a signature: let it be
        pass


def _expect_min_run_time(min_run_time: object) -> float:
    """``min_run_time`` in seconds: a finite number above 0 and at most MAX_RUN_TIME."""
    return expect_number(min_run_time, "min_run_time", low=0, high=MAX_RUN_TIME, low_open=True)


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
    _expect_no_argument_function(fn)
    expect(isinstance(label, str), "label", "a str", label)
    expect_int(warmup, "warmup", low=0)
    _expect_min_run_time(min_run_time)
    if threads is None:
        threads = torch.get_num_threads()
    expect_int(threads, "threads", low=1, high=MAX_THREADS)
    if flops is not None:
        expect_number(flops, "flops", low=0, low_open=True)
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


def _pooled_load(reports: list[LoadReport | None]) -> LoadReport | None:
    """One report for several measurements: their seconds added up (None if any is missing)."""
    if not reports or any(r is None for r in reports):
        return None
    known = [r for r in reports if r is not None]
    return LoadReport(wall_s=sum(r.wall_s for r in known), cores=known[0].cores,
                      own_cpu_s=sum(r.own_cpu_s for r in known),
                      other_cpu_s=sum(r.other_cpu_s for r in known),
                      steal_s=sum(r.steal_s for r in known), threshold=known[0].threshold)


def compare(
    fns: Mapping[str, Callable[[], object]],
    *,
    rounds: int = 3,
    min_run_time: float = 0.2,
    device: str | torch.device = "cpu",
    warmup: int = 3,
    threads: int | None = None,
) -> dict[str, Timing]:
    """Time several functions interleaved: :func:`benchmark` each in turn, ``rounds`` times over.

    A slow spell of the machine then hits every function alike instead of one of them. Each
    result pools the timed blocks of all its rounds (``min_run_time`` seconds per round), and
    its ``load`` adds up the CPU counters of those rounds.
    """
    expect(isinstance(fns, Mapping) and len(fns) > 0 and all(isinstance(k, str) for k in fns), "fns",
           "a non-empty dict of {name: function taking no arguments}", fns)
    for name, fn in fns.items():
        try:
            _expect_no_argument_function(fn)
        except CourseInputError as err:
            raise CourseInputError(f"fns[{name!r}]: {str(err).removeprefix('fn: ')}") from None
    expect_int(rounds, "rounds", low=1, high=MAX_ROUNDS)
    _expect_min_run_time(min_run_time)
    runs: dict[str, list[Timing]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():  # round-robin: every function once per round
            runs[name].append(benchmark(fn, label=name, device=device, warmup=warmup,
                                        min_run_time=min_run_time, threads=threads))
    return {name: Timing(label=name, device=done[0].device, threads=done[0].threads,
                         times=[t for timing in done for t in timing.times],
                         load=_pooled_load([timing.load for timing in done]))
            for name, done in runs.items()}
