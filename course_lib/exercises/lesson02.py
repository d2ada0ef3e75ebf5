"""Checks for lesson 02 (GPU versus CPU)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from course_lib.exercises.core import Exercise, register, require
from course_lib.solutions import lesson02 as solutions


def _close(a: Any, b: float) -> bool:
    return isinstance(a, (int, float)) and math.isclose(float(a), b, rel_tol=1e-6)


def _check_gflops(fn: Callable[[int, float], Any]) -> str:
    got = fn(1000, 0.05)
    require(isinstance(got, (int, float)), "achieved_gflops(1000, 0.05)", "a number",
            type(got).__name__)
    require(not _close(got, 20.0), "achieved_gflops(1000, 0.05)", 40.0, got,
            "each of the n³ terms needs a multiply AND an add: 2·n³ FLOPs.")
    require(not _close(got, 40e9), "achieved_gflops(1000, 0.05)", 40.0, got,
            "that is FLOP/s; divide by 1e9 for GFLOP/s.")
    require(_close(got, 40.0), "achieved_gflops(1000, 0.05)", 40.0, got,
            "FLOPs of the product divided by the seconds, then by 1e9.")
    require(_close(fn(512, 0.001), 268.435456), "achieved_gflops(512, 0.001)", 268.435456,
            fn(512, 0.001), "use n, not a fixed 1000.")
    return "a 1000 x 1000 matmul in 50 ms is 40 GFLOP/s."


def _check_intensity(fn: Callable[..., Any]) -> str:
    add = fn("add", 1024)
    require(_close(add, 1 / 12), "arithmetic_intensity('add', 1024)", f"{1 / 12:.4f}", add,
            "one addition per element, and 3 float32 values (12 bytes) move per element.")
    mm = fn("matmul", 1024)
    require(not _close(mm, 1024 / 12), "arithmetic_intensity('matmul', 1024)",
            f"{2048 / 12:.2f}", mm, "a matmul does 2·n³ FLOPs, not n³.")
    require(_close(mm, 2048 / 12), "arithmetic_intensity('matmul', 1024)", f"{2048 / 12:.2f}",
            mm, "2·n³ FLOPs over 3·n²·4 bytes.")
    mm64 = fn("matmul", 1024, bytes_per_element=8)
    require(_close(mm64, 2048 / 24), "arithmetic_intensity('matmul', 1024, bytes_per_element=8)",
            f"{2048 / 24:.2f}", mm64, "float64 moves twice the bytes for the same FLOPs.")
    return "matmul's intensity grows with n (170.7 FLOP/byte at n = 1024); add stays at 1/12."


def _check_roofline(fn: Callable[[float, float, float], Any]) -> str:
    low = fn(1 / 12, 1000.0, 100.0)
    require(_close(low, 100.0 / 12), "roofline(1/12, peak=1000, bandwidth=100)",
            f"{100 / 12:.3f}", low, "a low-intensity op is limited by bandwidth × intensity.")
    high = fn(170.0, 1000.0, 100.0)
    require(_close(high, 1000.0), "roofline(170, peak=1000, bandwidth=100)", 1000.0, high,
            "a high-intensity op is limited by the peak: take the smaller of the two limits.")
    return "add is capped by memory bandwidth, matmul by the arithmetic peak."


class _AsyncDevice:
    """A stand-in for a GPU: ``launch()`` queues ``cost`` seconds of work and returns at once;
    the first ``cold_calls`` launches cost ``cold_cost`` (start-up). The work is a sleep on a
    background thread, so the check gives the same verdict on a busy machine."""

    def __init__(self, cost: float, cold_calls: int, cold_cost: float) -> None:
        self.cost, self.cold_calls, self.cold_cost = cost, cold_calls, cold_cost
        self.launched = 0
        self._lock = threading.Lock()
        self._done_at = time.perf_counter()  # when the queued work will be finished

    def launch(self) -> None:
        with self._lock:
            work = self.cold_cost if self.launched < self.cold_calls else self.cost
            self.launched += 1
            self._done_at = max(self._done_at, time.perf_counter()) + work

    def synchronize(self) -> None:
        with self._lock:
            wait = self._done_at - time.perf_counter()
        if wait > 0:
            time.sleep(wait)


def _honest_time_without(sync: bool = True, warm_up: bool = True) -> Callable[..., float]:
    """A learner's answer that forgets to synchronise, or to warm up (for the tests)."""

    def answer(launch: Callable[[], None], synchronize: Callable[[], None], warmup: int = 3,
               repeats: int = 10) -> float:
        for _ in range(warmup if warm_up else 0):
            launch()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            launch()
            if sync:
                synchronize()
            times.append(time.perf_counter() - start)
        return sorted(times)[len(times) // 2]

    return answer


def _check_honest_time(fn: Callable[..., Any]) -> str:
    for cost, cold_calls, warmup, repeats in ((0.02, 3, 3, 5), (0.006, 2, 2, 7)):
        dev = _AsyncDevice(cost, cold_calls, cold_cost=0.15)
        what = (f"honest_time(launch, synchronize, warmup={warmup}, repeats={repeats}) on a device "
                f"whose calls take {cost * 1e3:.0f} ms after {cold_calls} slow start-up calls")
        got = fn(dev.launch, dev.synchronize, warmup=warmup, repeats=repeats)
        require(isinstance(got, (int, float)) and not isinstance(got, bool), what,
                "a number of seconds", type(got).__name__)
        require(got >= 0.5 * cost, what, f"about {cost:.3f} s", f"{got:.6f} s",
                "launch() only queues the work and returns at once, so you timed the queueing. "
                "Call synchronize() before you read the clock.")
        require(got <= 3 * cost, what, f"about {cost:.3f} s", f"{got:.3f} s",
                f"the first {cold_calls} calls pay a one-off start-up of 150 ms each. Make "
                "`warmup` untimed calls first, and synchronize before the clock starts, so their "
                "work is not counted in the first timed call.")
        require(dev.launched >= warmup + repeats, what, f"at least {warmup + repeats} launches",
                f"{dev.launched}", "make `warmup` untimed calls, then `repeats` timed ones.")
    return ("warm-up calls first, then synchronize before each reading of the clock: the median is "
            "the device's real time per call.")


register(Exercise(
    id="02.achieved_gflops",
    title="Turn a matmul time into GFLOP/s",
    checker=_check_gflops,
    solution=solutions.achieved_gflops,
    wrong=(
        lambda: (lambda n, seconds: n**3 / seconds / 1e9),
        lambda: (lambda n, seconds: 2 * n**3 / seconds),
        lambda: (lambda n, seconds: 2 * 1000**3 / seconds / 1e9),
    ),
))

register(Exercise(
    id="02.arithmetic_intensity",
    title="Arithmetic intensity of add and matmul",
    checker=_check_intensity,
    solution=solutions.arithmetic_intensity,
    wrong=(
        lambda: (lambda op, n, bytes_per_element=4:
                 (n**3 if op == "matmul" else n * n) / (3 * n * n * bytes_per_element)),
        lambda: (lambda op, n, bytes_per_element=4:
                 (2 * n**3 if op == "matmul" else n * n) / (3 * n * n * 4)),
        lambda: (lambda op, n, bytes_per_element=4: 1.0),
    ),
))

register(Exercise(
    id="02.roofline",
    title="The roofline: which limit binds?",
    checker=_check_roofline,
    solution=solutions.roofline,
    wrong=(
        lambda: (lambda intensity, peak, bandwidth: max(peak, intensity * bandwidth)),
        lambda: (lambda intensity, peak, bandwidth: intensity * bandwidth),
        lambda: (lambda intensity, peak, bandwidth: peak),
    ),
))

register(Exercise(
    id="02.honest_time",
    title="Time an asynchronous call honestly",
    checker=_check_honest_time,
    solution=solutions.honest_time,
    wrong=(
        lambda: _honest_time_without(sync=False),
        lambda: _honest_time_without(warm_up=False),
        lambda: (lambda launch, synchronize, warmup=3, repeats=10: 0.02),
    ),
))
