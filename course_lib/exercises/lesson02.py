"""Checks for lesson 02 (GPU versus CPU)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.exercises.core import Exercise, Mismatch, Wrong, register, require
from course_lib.solutions import lesson02 as solutions


def _close(a: Any, b: float, rel: float = 1e-6) -> bool:
    return isinstance(a, (int, float)) and not isinstance(a, bool) and math.isclose(float(a), b, rel_tol=rel)


def _gflops_cases() -> list[tuple[int, float]]:
    """The worked example first, then random sizes and times (seconds below and above 1)."""
    rng = np.random.default_rng(2)
    cases = [(1000, 0.05), (512, 0.001)]
    for low, high in ((8, 64), (100, 900), (1500, 5000)):
        cases.append((int(rng.integers(low, high)), float(10 ** rng.uniform(-4, 1.3))))
    cases.append((int(rng.integers(200, 800)), float(rng.uniform(1.5, 9.0))))
    return cases


def _check_gflops(fn: Callable[[int, float], Any]) -> str:
    for n, seconds in _gflops_cases():
        what = f"achieved_gflops({n}, {seconds:.6g})"
        got = fn(n, seconds)
        require(isinstance(got, (int, float)) and not isinstance(got, bool), what, "a number",
                type(got).__name__)
        want = 2 * n**3 / seconds / 1e9
        if _close(got, want):
            continue
        expected = f"{want:.6g}"
        require(not _close(got, want / 2), what, expected, got,
                "each of the n³ terms needs a multiply AND an add: 2·n³ FLOPs.")
        require(not _close(got, want * 1e9), what, expected, got,
                "that is FLOP/s; divide by 1e9 for GFLOP/s.")
        require(not _close(got, 2 * n**2 / seconds / 1e9), what, expected, got,
                "n² counts the dot products, but each has n multiplies and n adds: 2·n³ FLOPs.")
        require(n == 1000 or not _close(got, 2 * 1000**3 / seconds / 1e9), what, expected, got,
                "use n, not a fixed 1000.")
        require(not _close(got, 2 * n**3 / 1e9), what, expected, got,
                "the time is missing: divide the FLOPs by `seconds`.")
        require(not _close(got, 2 * n**3 * seconds / 1e9), what, expected, got,
                "you multiplied by the seconds: a rate is FLOPs divided by time.")
        require(not _close(got, (2 * n**3 - n**2) / seconds / 1e9), what, expected, got,
                "n - 1 adds per dot product is the exact count, but the convention (the lesson's "
                "and benchmark's) is 2·n³ FLOPs.")
        raise Mismatch(what, expected, got, "GFLOP/s = 2·n³ FLOPs / seconds / 1e9.")
    return ("achieved_gflops gives 2·n³ / seconds / 1e9 (a 1000 x 1000 matmul in 50 ms is 40 GFLOP/s), "
            "for sizes from a few to thousands and times below and above a second.")


def _check_intensity(fn: Callable[..., Any]) -> str:
    rng = np.random.default_rng(2)
    sizes = [1024, int(rng.integers(2, 64)), int(rng.integers(300, 5000))]
    cases: list[tuple[str, int, int | None, bool]] = []  # op, n, bytes_per_element, by keyword
    for op in ("add", "matmul"):
        cases += [(op, n, None, True) for n in sizes]  # the default, float32
        cases += [(op, sizes[0], 8, True), (op, sizes[1], 2, True), (op, sizes[2], 8, False)]
    for op, n, size, keyword in cases:
        if size is None:
            got, call, bpe = fn(op, n), f"arithmetic_intensity({op!r}, {n})", 4
        elif keyword:
            got, call, bpe = fn(op, n, bytes_per_element=size), \
                f"arithmetic_intensity({op!r}, {n}, bytes_per_element={size})", size
        else:
            got, call, bpe = fn(op, n, size), f"arithmetic_intensity({op!r}, {n}, {size})", size
        require(isinstance(got, (int, float)) and not isinstance(got, bool), call, "a number",
                type(got).__name__)
        flops = 2 * n**3 if op == "matmul" else n * n
        want = flops / (3 * n * n * bpe)
        if _close(got, want):
            continue
        expected = f"{want:.6g}"
        require(not (op == "matmul" and _close(got, want / 2)), call, expected, got,
                "a matmul does 2·n³ FLOPs, not n³.")
        require(bpe == 4 or not _close(got, want * bpe / 4), call, expected, got,
                "use bytes_per_element, not a fixed 4 bytes: float64 moves 8 bytes per element, "
                "float16 2, for the same FLOPs.")
        require(not (op == "matmul" and n != 1024 and _close(got, 2 * 1024 / (3 * bpe))), call, expected,
                got, "use n: a matmul's FLOPs grow as n³ but its bytes only as n², so its intensity "
                "grows with n.")
        require(not _close(got, want * 3 / 2), call, expected, got,
                "count the bytes of all three arrays: two inputs read AND one output written, 3·n² "
                "elements.")
        require(op != "add", call, expected, got,
                "one addition per element, and 3 values of bytes_per_element bytes move per element.")
        raise Mismatch(call, expected, got, "2·n³ FLOPs over 3·n²·bytes_per_element bytes.")
    return ("add stays at 1 / (3·bytes_per_element) FLOP/byte whatever n, and matmul's intensity, "
            "2·n / (3·bytes_per_element), grows with n (170.7 FLOP/byte at n = 1024 in float32); checked "
            "for several n and 2-, 4- and 8-byte elements.")


def _roofline_cases() -> list[tuple[float, float, float]]:
    """The lesson's two examples, then random chips, each on both sides of its ridge point."""
    rng = np.random.default_rng(2)
    cases = [(1 / 12, 1000.0, 100.0), (170.0, 1000.0, 100.0)]
    for _ in range(3):
        peak, bandwidth = float(rng.uniform(50, 5000)), float(rng.uniform(20, 3000))
        ridge = peak / bandwidth  # the intensity where the two limits meet
        cases += [(ridge * float(rng.uniform(0.02, 0.7)), peak, bandwidth),
                  (ridge * float(rng.uniform(1.5, 40)), peak, bandwidth)]
    return cases


def _check_roofline(fn: Callable[[float, float, float], Any]) -> str:
    cases = _roofline_cases()
    got = []
    for intensity, peak, bandwidth in cases:
        value = fn(intensity, peak, bandwidth)
        require(isinstance(value, (int, float)) and not isinstance(value, bool),
                f"roofline({intensity:.4g}, {peak:.4g}, {bandwidth:.4g})", "a number", type(value).__name__)
        got.append(value)

    def every(rule: Callable[[float, float, float], float]) -> bool:
        return all(_close(g, rule(*case)) for g, case in zip(got, cases, strict=True))

    if every(lambda i, p, b: min(p, i * b)):
        return ("roofline gives min(peak, bandwidth × intensity) on both sides of the ridge point "
                "(peak / bandwidth) for several chips: low intensity is capped by bandwidth, high "
                "intensity by the peak.")
    failing = [k for k, case in enumerate(cases) if not _close(got[k], min(case[1], case[2] * case[0]))]
    intensity, peak, bandwidth = cases[failing[0]]
    what = (f"roofline({intensity:.4g}, peak_gflops={peak:.4g}, bandwidth_gb_per_s={bandwidth:.4g}) "
            f"(the two limits meet at intensity {peak / bandwidth:.4g})")
    expected, value = f"{min(peak, intensity * bandwidth):.6g}", got[failing[0]]
    require(not every(lambda i, p, b: max(p, i * b)), what, expected, value,
            "max() gives the larger limit; the one that binds is the smaller one: use min().")
    require(not every(lambda i, p, b: i * b), what, expected, value,
            "above the ridge point the arithmetic peak caps the speed, however fast memory is.")
    require(not every(lambda i, p, b: p), what, expected, value,
            "below the ridge point memory bandwidth × intensity caps the speed, below the peak.")
    require(not every(lambda i, p, b: min(1000.0, i * b)), what, expected, value,
            "use peak_gflops, not a fixed peak of 1000.")
    require(not every(lambda i, p, b: min(p, i * 100.0)), what, expected, value,
            "use bandwidth_gb_per_s, not a fixed bandwidth of 100.")
    require(not every(lambda i, p, b: min(p, b / i)), what, expected, value,
            "multiply the bandwidth by the intensity (GB/s × FLOP/byte = GFLOP/s), don't divide.")
    raise Mismatch(what, expected, value,
                   "the attainable GFLOP/s is the smaller of the peak and bandwidth × intensity; the ridge "
                   "point peak / bandwidth moves with the chip.")


class _AsyncDevice:
    """A stand-in for a GPU: ``launch()`` queues ``cost`` seconds of work and returns at once;
    the first ``cold_calls`` launches cost ``cold_cost`` (start-up), and launch number
    ``slow_call`` (counted from 0) costs ``slow_cost``, a hiccup such as another program would
    cause. The work is a sleep in ``synchronize()``, so the check gives the same verdict on a busy
    machine."""

    def __init__(self, cost: float, cold_calls: int, cold_cost: float, slow_call: int = -1,
                 slow_cost: float = 0.0) -> None:
        self.cost, self.cold_calls, self.cold_cost = cost, cold_calls, cold_cost
        self.slow_call, self.slow_cost = slow_call, slow_cost
        self.work: list[float] = []  # the seconds of device work of each launch, in order
        self._lock = threading.Lock()
        self._done_at = time.perf_counter()  # when the queued work will be finished

    @property
    def launched(self) -> int:
        return len(self.work)

    def launch(self) -> None:
        with self._lock:
            k = len(self.work)
            work = self.cold_cost if k < self.cold_calls else self.slow_cost if k == self.slow_call \
                else self.cost
            self.work.append(work)
            self._done_at = max(self._done_at, time.perf_counter()) + work

    def synchronize(self) -> None:
        with self._lock:
            wait = self._done_at - time.perf_counter()
        if wait > 0:
            time.sleep(wait)


def _near(got: float, target: float) -> bool:
    """``got`` is a measurement of ``target`` seconds (of device work, plus a little overhead)."""
    return 0.85 * target <= got <= 1.2 * target


def _check_honest_time(fn: Callable[..., Any]) -> str:
    # (cost, cold calls, their cost, warmup, repeats, hiccup): a warmup other than the default 3 and
    # repeats other than 10, and in the second case one slow timed call that a median ignores and a
    # mean does not
    for cost, cold_calls, cold_cost, warmup, repeats, hiccup in ((0.02, 3, 0.06, 3, 5, False),
                                                                 (0.006, 5, 0.08, 5, 7, True)):
        dev = _AsyncDevice(cost, cold_calls, cold_cost, slow_call=warmup + 2 if hiccup else -1,
                           slow_cost=0.15)
        what = (f"honest_time(launch, synchronize, warmup={warmup}, repeats={repeats}) on a device "
                f"whose calls take {cost * 1e3:.0f} ms after {cold_calls} slow start-up calls"
                + (", one timed call taking 150 ms" if hiccup else ""))
        got = fn(dev.launch, dev.synchronize, warmup=warmup, repeats=repeats)
        require(isinstance(got, (int, float)) and not isinstance(got, bool), what,
                "a number of seconds", type(got).__name__)
        calls, want = dev.launched, warmup + repeats
        expected = f"{want} calls of launch()"
        require(calls > 0, what, expected, "none", "you never called launch(): time the device's work.")
        require(calls != repeats, what, expected, calls,
                "you made no warm-up calls: make `warmup` untimed calls before the timed ones.")
        require(warmup == 3 or calls != 3 + repeats, what, expected, calls,
                "use the argument `warmup`, not a fixed 3 warm-up calls.")
        require(repeats == 10 or calls != warmup + 10, what, expected, calls,
                "use the argument `repeats`, not a fixed 10 timed calls.")
        require(calls == want, what, expected, calls,
                "make exactly `warmup` untimed calls, then `repeats` timed ones.")
        require(got >= 0.5 * cost, what, f"about {cost:.3f} s", f"{got:.6f} s",
                "launch() only queues the work and returns at once, so you timed the queueing. "
                "Call synchronize() before you read the clock.")
        if got <= 3 * cost:
            continue
        timed = dev.work[warmup:]
        shown = f"{got:.6g} s"
        require(not _near(got, sum(timed) / len(timed)), what, f"about {cost:.3f} s", shown,
                "that is the mean of the timed calls, and one slow call pulls a mean up: return the "
                "median (statistics.median), which ignores it.")
        require(not _near(got, 1000 * cost), what, f"about {cost:.3f} s", shown,
                "that is milliseconds: return seconds, as time.perf_counter() gives them.")
        require(not _near(got, sum(timed)), what, f"about {cost:.3f} s", shown,
                "that is the total of the timed calls: return the time per call (the median).")
        raise Mismatch(what, f"about {cost:.3f} s", shown,
                       f"your time is more than 3 times the device's time per call. The first {cold_calls} "
                       "calls pay a one-off start-up: make sure no timed call includes that work "
                       "(`warmup` untimed calls, then synchronize before the clock starts), and return the "
                       "median of the per-call times.")
    return ("warm-up calls first, then synchronize before each reading of the clock: the time you "
            "return is the device's real time per call, for other warmup and repeats than the "
            "defaults, and with a slow outlier among the timed calls.")


def _per_call_times(launch: Callable[[], None], synchronize: Callable[[], None], warmup: int,
                    repeats: int, sync: bool = True) -> list[float]:
    for _ in range(warmup):
        launch()
    synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        launch()
        if sync:
            synchronize()
        times.append(time.perf_counter() - start)
    return times


def _median(times: list[float]) -> float:
    return sorted(times)[len(times) // 2]


def _gflops_n_cubed(n: int, seconds: float) -> float:
    return n**3 / seconds / 1e9


def _gflops_in_flops(n: int, seconds: float) -> float:
    return 2 * n**3 / seconds


def _gflops_fixed_1000(n: int, seconds: float) -> float:
    return 2 * 1000**3 / seconds / 1e9


def _gflops_n_squared(n: int, seconds: float) -> float:
    return 2 * n**2 / seconds / 1e9


def _gflops_times_seconds(n: int, seconds: float) -> float:
    return 2 * n**3 * seconds / 1e9


def _gflops_exact_adds(n: int, seconds: float) -> float:
    return (2 * n**3 - n**2) / seconds / 1e9  # n - 1 adds per dot product


def _intensity_n_cubed(op: str, n: int, bytes_per_element: int = 4) -> float:
    return (n**3 if op == "matmul" else n * n) / (3 * n * n * bytes_per_element)


def _intensity_fixed_4_bytes(op: str, n: int, bytes_per_element: int = 4) -> float:
    return (2 * n**3 if op == "matmul" else n * n) / (3 * n * n * 4)


def _intensity_constant(op: str, n: int, bytes_per_element: int = 4) -> float:
    return 1.0


def _intensity_fixed_n(op: str, n: int, bytes_per_element: int = 4) -> float:
    return 2 * 1024 / (3 * bytes_per_element) if op == "matmul" else 1 / (3 * bytes_per_element)


def _intensity_reads_only(op: str, n: int, bytes_per_element: int = 4) -> float:
    return (2 * n**3 if op == "matmul" else n * n) / (2 * n * n * bytes_per_element)


def _roofline_max(intensity: float, peak_gflops: float, bandwidth_gb_per_s: float) -> float:
    return max(peak_gflops, intensity * bandwidth_gb_per_s)


def _roofline_bandwidth_only(intensity: float, peak_gflops: float, bandwidth_gb_per_s: float) -> float:
    return intensity * bandwidth_gb_per_s


def _roofline_peak_only(intensity: float, peak_gflops: float, bandwidth_gb_per_s: float) -> float:
    return peak_gflops


def _roofline_fixed_peak(intensity: float, peak_gflops: float, bandwidth_gb_per_s: float) -> float:
    return min(1000.0, intensity * bandwidth_gb_per_s)


def _roofline_fixed_bandwidth(intensity: float, peak_gflops: float, bandwidth_gb_per_s: float) -> float:
    return min(peak_gflops, intensity * 100.0)


def _roofline_divides(intensity: float, peak_gflops: float, bandwidth_gb_per_s: float) -> float:
    return min(peak_gflops, bandwidth_gb_per_s / intensity)


def _roofline_fixed_ridge(intensity: float, peak_gflops: float, bandwidth_gb_per_s: float) -> float:
    return peak_gflops if intensity >= 10 else intensity * bandwidth_gb_per_s  # 10 = 1000 / 100


def _honest_no_sync(launch: Callable[[], None], synchronize: Callable[[], None], warmup: int = 3,
                    repeats: int = 10) -> float:
    return _median(_per_call_times(launch, synchronize, warmup, repeats, sync=False))


def _honest_no_warm_up(launch: Callable[[], None], synchronize: Callable[[], None], warmup: int = 3,
                       repeats: int = 10) -> float:
    return _median(_per_call_times(launch, synchronize, 0, repeats))


def _honest_constant(launch: Callable[[], None], synchronize: Callable[[], None], warmup: int = 3,
                     repeats: int = 10) -> float:
    return 0.02


def _honest_fixed_warmup(launch: Callable[[], None], synchronize: Callable[[], None], warmup: int = 3,
                         repeats: int = 10) -> float:
    return _median(_per_call_times(launch, synchronize, 3, repeats))


def _honest_fixed_repeats(launch: Callable[[], None], synchronize: Callable[[], None], warmup: int = 3,
                          repeats: int = 10) -> float:
    return _median(_per_call_times(launch, synchronize, warmup, 10))


def _honest_mean(launch: Callable[[], None], synchronize: Callable[[], None], warmup: int = 3,
                 repeats: int = 10) -> float:
    times = _per_call_times(launch, synchronize, warmup, repeats)
    return sum(times) / len(times)


def _honest_milliseconds(launch: Callable[[], None], synchronize: Callable[[], None], warmup: int = 3,
                         repeats: int = 10) -> float:
    return 1000 * _median(_per_call_times(launch, synchronize, warmup, repeats))


def _honest_total(launch: Callable[[], None], synchronize: Callable[[], None], warmup: int = 3,
                  repeats: int = 10) -> float:
    return sum(_per_call_times(launch, synchronize, warmup, repeats))


register(Exercise(
    id="02.achieved_gflops",
    title="Turn a matmul time into GFLOP/s",
    checker=_check_gflops,
    solution=solutions.achieved_gflops,
    wrong=(
        Wrong(_gflops_n_cubed, "a multiply AND an add"),
        Wrong(_gflops_in_flops, "divide by 1e9"),
        Wrong(_gflops_fixed_1000, "not a fixed 1000"),
        Wrong(_gflops_n_squared, "n² counts the dot products"),
        Wrong(_gflops_times_seconds, "you multiplied by the seconds"),
        Wrong(_gflops_exact_adds, "the convention"),
    ),
))

register(Exercise(
    id="02.arithmetic_intensity",
    title="Arithmetic intensity of add and matmul",
    checker=_check_intensity,
    solution=solutions.arithmetic_intensity,
    wrong=(
        Wrong(_intensity_n_cubed, "2·n³ FLOPs, not n³"),
        Wrong(_intensity_fixed_4_bytes, "not a fixed 4 bytes"),
        Wrong(_intensity_constant, "one addition per element"),
        Wrong(_intensity_fixed_n, "its intensity grows with n"),
        Wrong(_intensity_reads_only, "one output written"),
    ),
))

register(Exercise(
    id="02.roofline",
    title="The roofline: which limit binds?",
    checker=_check_roofline,
    solution=solutions.roofline,
    wrong=(
        Wrong(_roofline_max, "max() gives the larger limit"),
        Wrong(_roofline_bandwidth_only, "above the ridge point"),
        Wrong(_roofline_peak_only, "below the ridge point"),
        Wrong(_roofline_fixed_peak, "not a fixed peak of 1000"),
        Wrong(_roofline_fixed_bandwidth, "not a fixed bandwidth of 100"),
        Wrong(_roofline_divides, "don't divide"),
        Wrong(_roofline_fixed_ridge, "moves with the chip"),
    ),
))

register(Exercise(
    id="02.honest_time",
    title="Time an asynchronous call honestly",
    checker=_check_honest_time,
    solution=solutions.honest_time,
    wrong=(
        Wrong(_honest_no_sync, "only queues the work"),
        Wrong(_honest_no_warm_up, "you made no warm-up calls"),
        Wrong(_honest_constant, "you never called launch()"),
        Wrong(_honest_fixed_warmup, "not a fixed 3 warm-up calls"),
        Wrong(_honest_fixed_repeats, "not a fixed 10 timed calls"),
        Wrong(_honest_mean, "one slow call pulls a mean up"),
        Wrong(_honest_milliseconds, "that is milliseconds"),
        Wrong(_honest_total, "the total of the timed calls"),
    ),
))
