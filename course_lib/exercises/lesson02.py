"""Checks for lesson 02 (GPU versus CPU): three tables for the engine in core, and a timing grader.

``honest_time`` measures a simulated device, so it keeps a hand-written grader on one Mistake list.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.exercises.core import (
    Case,
    Exercise,
    Mistake,
    Probes,
    Returns,
    Table,
    Technique,
    as_number,
    exercise,
    probed_call,
    register,
    require,
)
from course_lib.solutions import lesson02 as solutions

# ---------------------------------------------------------------------------------------------
# 02.achieved_gflops. Edge cases: n = 1, n = 100 000 (past int32 for n³), times from a
# microsecond to 20 seconds.


def _gflops_cases(rng: np.random.Generator) -> list[Case]:
    """The worked example first, then edge and random sizes and times (below and above 1 s)."""
    pairs = [(1000, 0.05), (512, 0.001), (1, 1e-6), (100_000, 20.0)]
    pairs += [(int(rng.integers(low, high)), float(10 ** rng.uniform(-4, 1.3)))
              for low, high in ((8, 64), (100, 900), (1500, 5000))]
    pairs.append((int(rng.integers(200, 800)), float(rng.uniform(1.5, 9.0))))
    return [Case(f"achieved_gflops({n}, {s:.6g})", (n, s)) for n, s in pairs]


exercise("02.achieved_gflops", "Turn a matmul time into GFLOP/s", solutions.achieved_gflops, Table(
    cases=_gflops_cases, seed=2,
    returns=Returns("number"),
    mistakes=(
        Mistake(lambda n, s: n**3 / s / 1e9, "each of the n³ terms needs a multiply AND an add: 2·n³ FLOPs."),
        Mistake(lambda n, s: 2 * n**3 / s, "that is FLOP/s; divide by 1e9 for GFLOP/s."),
        Mistake(lambda n, s: 2 * n**3 / s / 1e6, "that is MFLOP/s: giga is 1e9, so divide by 1e9, "
                                                 "not 1e6."),
        Mistake(lambda n, s: 2 * 1000**3 / s / 1e9, "use n, not a fixed 1000."),
        Mistake(lambda n, s: 2 * n**2 / s / 1e9, "n² counts the dot products, but each has n multiplies "
                                                 "and n adds: 2·n³ FLOPs."),
        Mistake(lambda n, s: 2 * n**3 / 1e9, "the time is missing: divide the FLOPs by `seconds`."),
        Mistake(lambda n, s: 2 * n**3 * s / 1e9, "you multiplied by the seconds: a rate is FLOPs "
                                                 "divided by time."),
        Mistake(lambda n, s: (2 * n**3 - n**2) / s / 1e9, "n - 1 adds per dot product is the exact "
                "count, but the convention (the lesson's and benchmark's) is 2·n³ FLOPs."),
        Mistake(lambda n, s: (2 * n ^ 3) / s / 1e9, "in Python ^ is bitwise XOR, not a power: n cubed "
                                                    "is n ** 3."),
    ),
    fallback="GFLOP/s = 2·n³ FLOPs / seconds / 1e9.",
    success="achieved_gflops gives 2·n³ / seconds / 1e9 (a 1000 x 1000 matmul in 50 ms is 40 GFLOP/s), "
            "for sizes from 1 to 100 000 and times from a microsecond to 20 seconds.",
))

# ---------------------------------------------------------------------------------------------
# 02.arithmetic_intensity. Edge cases: n = 1 and 100 000; 2-, 4- and 8-byte elements.


def _intensity_cases(rng: np.random.Generator) -> list[Case]:
    sizes = [1024, int(rng.integers(2, 64)), int(rng.integers(300, 5000)), 1, 100_000]
    cases = []
    for op in ("add", "matmul"):
        cases += [Case(f"arithmetic_intensity({op!r}, {n})", (op, n)) for n in sizes]  # float32
        cases += [Case(f"arithmetic_intensity({op!r}, {n}, {b})", (op, n, b))
                  for n, b in ((sizes[0], 8), (sizes[1], 2), (sizes[2], 8))]
    return cases


def _intensity(op: str, n: int, bytes_per_element: int = 4, *, matmul: Callable[[int], float] =
               lambda n: 2 * n**3, add: Callable[[int], float] = lambda n: n * n, arrays: int = 3) -> float:
    """The intensity with one part of the count swapped for a mistake's."""
    return (matmul(n) if op == "matmul" else add(n)) / (arrays * n * n * bytes_per_element)


exercise("02.arithmetic_intensity", "Arithmetic intensity of add and matmul",
         solutions.arithmetic_intensity, Table(
    cases=_intensity_cases, seed=2,
    returns=Returns("number"),
    mistakes=(
        Mistake(lambda op, n, b=4: _intensity(op, n, b, matmul=lambda n: n**3),
                "a matmul does 2·n³ FLOPs, not n³."),
        Mistake(lambda op, n, b=4: _intensity(op, n, 4), "use bytes_per_element, not a fixed 4 bytes: "
                "float64 moves 8 bytes per element, float16 2, for the same FLOPs."),
        Mistake(lambda op, n, b=4: 1.0, "one addition per element, and 3 values of bytes_per_element "
                                        "bytes move per element."),
        Mistake(lambda op, n, b=4: _intensity(op, 1024, b), "use n: a matmul's FLOPs grow as n³ but its "
                "bytes only as n², so its intensity grows with n."),
        Mistake(lambda op, n, b=4: _intensity(op, n, b, arrays=2), "count the bytes of all three arrays: "
                "two inputs read AND one output written, 3·n² elements."),
        Mistake(lambda op, n, b=4: _intensity(op, n, b, add=lambda n: 2 * n * n), "an element-wise add "
                "does one FLOP per element (there is no multiply): n² FLOPs, not 2·n²."),
        Mistake(lambda op, n, b=4: (2 * n**3 if op == "matmul" else n * n) // (3 * n * n * b),
                "// rounds the intensity down to a whole number (an add's 1/12 becomes 0): divide "
                "with /."),
        Mistake(lambda op, n, b=4: _intensity(op, n, 8 * b), "bytes_per_element is in bytes already: "
                "multiplying by 8 counts bits, and intensity is FLOPs per byte."),
    ),
    fallback="2·n³ FLOPs over 3·n²·bytes_per_element bytes.",
    success="add stays at 1 / (3·bytes_per_element) FLOP/byte whatever n, and matmul's intensity, "
            "2·n / (3·bytes_per_element), grows with n (170.7 FLOP/byte at n = 1024 in float32); "
            "checked for n from 1 to 100 000 and 2-, 4- and 8-byte elements.",
))

# ---------------------------------------------------------------------------------------------
# 02.roofline. Each chip on both sides of its ridge point, and exactly at it.


def _roofline_cases(rng: np.random.Generator) -> list[Case]:
    """The lesson's two examples, then random chips below, at and above their ridge points."""
    triples = [(1 / 12, 1000.0, 100.0), (170.0, 1000.0, 100.0), (10.0, 1000.0, 100.0)]
    for _ in range(3):
        peak, bandwidth = float(rng.uniform(50, 5000)), float(rng.uniform(20, 3000))
        ridge = peak / bandwidth  # the intensity where the two limits meet
        triples += [(ridge * float(rng.uniform(0.02, 0.7)), peak, bandwidth),
                    (ridge * float(rng.uniform(1.5, 40)), peak, bandwidth)]
    return [Case(f"roofline({i:.4g}, peak_gflops={p:.4g}, bandwidth_gb_per_s={b:.4g}) (the two limits "
                 f"meet at intensity {p / b:.4g})", (i, p, b)) for i, p, b in triples]


exercise("02.roofline", "The roofline: which limit binds?", solutions.roofline, Table(
    cases=_roofline_cases, seed=2,
    returns=Returns("number"),
    mistakes=(
        Mistake(lambda i, p, b: max(p, i * b), "max() gives the larger limit; the one that binds is the "
                                               "smaller one: use min()."),
        Mistake(lambda i, p, b: i * b, "above the ridge point the arithmetic peak caps the speed, "
                                       "however fast memory is."),
        Mistake(lambda i, p, b: p, "below the ridge point memory bandwidth × intensity caps the speed, "
                                   "below the peak."),
        Mistake(lambda i, p, b: min(1000.0, i * b), "use peak_gflops, not a fixed peak of 1000."),
        Mistake(lambda i, p, b: min(p, i * 100.0), "use bandwidth_gb_per_s, not a fixed bandwidth of 100."),
        Mistake(lambda i, p, b: min(p, b / i), "multiply the bandwidth by the intensity (GB/s × "
                                               "FLOP/byte = GFLOP/s), don't divide."),
        Mistake(lambda i, p, b: p if i >= 10 else i * b, "the ridge point peak / bandwidth moves with "
                "the chip: compare the two limits (min), not the intensity with the lesson's 10."),
        Mistake(lambda i, p, b: min(p, i * b / 1e9), "GB/s × FLOP/byte is already GFLOP/s: no factor "
                                                     "of 1e9."),
    ),
    fallback="the attainable GFLOP/s is the smaller of the peak and bandwidth × intensity; the ridge "
             "point peak / bandwidth moves with the chip.",
    success="roofline gives min(peak, bandwidth × intensity) below, at and above the ridge point "
            "(peak / bandwidth) for several chips: low intensity is capped by bandwidth, high "
            "intensity by the peak.",
))

# ---------------------------------------------------------------------------------------------
# 02.honest_time: a timing exercise, so a hand-written grader on one Mistake list. A simulated
# device sleeps for known times, so the verdict does not depend on how busy the machine is. The
# cases make each part of the method necessary: start-up calls (warm-up), an asynchronous queue
# (synchronize, after the warm-up and after each call), a hiccup among the timed calls (median,
# not mean) and a device that slows down as it runs (median, not the fastest call).


class _AsyncDevice:
    """A stand-in for a GPU: ``launch()`` queues ``start_up`` seconds for each of the first ``cold``
    launches, then ``cost(k)`` for the k-th launch after them, and returns at once;
    ``synchronize()`` sleeps until the queue is done. Records each launch's work and whether
    earlier work was still queued when it came."""

    def __init__(self, cold: int, start_up: float, cost: Callable[[int], float]) -> None:
        self.plan = lambda k: start_up if k < cold else cost(k - cold)
        self.work: list[float] = []
        self.queued: list[bool] = []  # was earlier work unfinished when launch k came?
        self._lock = threading.Lock()
        self._done_at = time.perf_counter()  # when the queued work will be finished

    def launch(self) -> None:
        with self._lock:
            now = time.perf_counter()
            self.queued.append(self._done_at - now > 1e-3)
            self.work.append(self.plan(len(self.work)))
            self._done_at = max(self._done_at, now) + self.work[-1]

    def synchronize(self) -> None:
        with self._lock:
            wait = self._done_at - time.perf_counter()
        if wait > 0:
            time.sleep(wait)

    def __deepcopy__(self, memo: dict[int, Any]) -> _AsyncDevice:
        return self  # the probes copy the arguments; the grader reads this device's records


# (how it is described, a start-up call's work, the k-th timed call's work, warmup = start-up calls, repeats)
_HONEST_CASES: tuple[tuple[str, float, Callable[[int], float], int, int], ...] = (
    ("whose calls take 20 ms after 3 start-up calls of 60 ms", 0.06, lambda k: 0.02, 3, 5),
    ("whose calls take 6 ms after 5 start-up calls of 80 ms, the third timed call taking 150 ms",
     0.08, lambda k: 0.15 if k == 2 else 0.006, 5, 7),
    ("that slows down as it runs: 10 ms on the first timed call, 5 ms more on each next one, after 2 "
     "start-up calls of 40 ms", 0.04, lambda k: 0.01 + 0.005 * k, 2, 9),
)

_NUMBER = "return one number: the median seconds per call."
_NEVER = "you never called launch(): time the device's work."
_NO_WARMUP = "you made no warm-up calls: make `warmup` untimed calls before the timed ones."
_FIXED_WARMUP = "use the argument `warmup`, not a fixed 3 warm-up calls."
_FIXED_REPEATS = "use the argument `repeats`, not a fixed 10 timed calls."
_NO_SYNC = ("launch() only queues the work and returns at once, so you timed the queueing. Call "
            "synchronize() before you read the clock.")
_QUEUED_WARMUP = ("your first timed call started while the warm-up work was still queued, so its time "
                  "includes that work (a median hides one such call, but the time is still wrong): call "
                  "synchronize() after the warm-up calls, before the clock starts.")
_ONE_SYNC = ("you synchronized once, after all the timed launches, so you know only their total: time "
             "each call on its own (launch, synchronize, read the clock) and return the median.")
_MEAN = ("that is the mean of the timed calls, and one slow call pulls a mean up: return the median "
         "(statistics.median), which ignores it.")
_MS = "that is milliseconds: return seconds, as time.perf_counter() gives them."
_TOTAL = "that is the total of the timed calls: return the time per call (the median)."
_MIN = ("that is the fastest timed call (min): this device slows down as it runs (as a GPU does when "
        "it heats up), and the text asks for the typical call, the median.")
_PROCESS = ("time.process_time counts only this process's CPU time, and the device works in the "
            "background: time with time.perf_counter(), wall time.")
_HONEST_PROBES = Probes(techniques=(Technique(time, "process_time", required=False, hint=_PROCESS),))


def _grade_honest_time(fn: Callable[..., Any]) -> str:
    for words, start_up, cost, warmup, repeats in _HONEST_CASES:
        dev = _AsyncDevice(warmup, start_up, cost)
        what = f"honest_time(launch, synchronize, warmup={warmup}, repeats={repeats}) on a device {words}"
        calls: dict[str, int] = {}
        value = probed_call(fn, Case(what, (dev.launch, dev.synchronize, warmup, repeats)),
                            ["launch", "synchronize", "warmup", "repeats"], _HONEST_PROBES, calls)
        got = as_number(value)
        require(got is not None, what, "a number of seconds", type(value).__name__, _NUMBER)
        assert got is not None
        used = calls.get("process_time", 0)
        require(not used, f"time.process_time in your function on {what}", "not called",
                f"called {used} time(s)", _PROCESS)
        launched, want = len(dev.work), warmup + repeats
        expected = f"{want} calls of launch()"
        require(launched > 0, what, expected, "none", _NEVER)
        require(launched != repeats, what, expected, launched, _NO_WARMUP)
        require(warmup == 3 or launched != 3 + repeats, what, expected, launched, _FIXED_WARMUP)
        require(repeats == 10 or launched != warmup + 10, what, expected, launched, _FIXED_REPEATS)
        require(launched == want, what, expected, launched,
                "make exactly `warmup` untimed calls, then `repeats` timed ones.")
        timed = dev.work[warmup:]
        median = statistics.median(timed)
        seconds = f"about {median:.3f} s"
        require(got >= 0.5 * min(timed), what, seconds, f"{got:.6f} s", _NO_SYNC)
        require(not any(dev.queued[warmup + 1:]), what, "each timed call on an empty queue",
                "launches while earlier ones were still running", _ONE_SYNC)
        require(not dev.queued[warmup], what, "the first timed call on an empty queue",
                "the warm-up work still running", _QUEUED_WARMUP)
        if 0.8 * median <= got <= 1.2 * median + 0.01:  # sleeps overshoot a little on a busy machine
            continue
        shown = f"{got:.6g} s"
        for target, hint in ((statistics.mean(timed), _MEAN), (1000 * median, _MS), (sum(timed), _TOTAL),
                             (min(timed), _MIN)):
            require(not 0.85 * target <= got <= 1.2 * target + 0.005, what, seconds, shown, hint)
        require(False, what, seconds, shown,
                "your time is not the device's time per call. The first calls pay a one-off start-up: "
                "make sure no timed call includes that work (`warmup` untimed calls, then synchronize "
                "before the clock starts), and return the median of the per-call times.")
    return ("warm-up calls first, then synchronize before each reading of the clock: the time you "
            "return is the device's real time per call, for other warmup and repeats than the "
            "defaults, with a slow outlier among the timed calls and on a device that slows down.")


def _honest_by(*, warmup_calls: int | None = None, timed_calls: int | None = None, sync: bool = True,
               sync_after_warmup: bool = True, one_sync: bool = False,
               summary: Callable[[list[float]], Any] = statistics.median, clock: str = "perf_counter"
               ) -> Callable[..., Any]:
    """A learner's honest_time with one way of measuring switched (None: as the arguments say)."""

    def honest_time(launch: Callable[[], None], synchronize: Callable[[], None], warmup: int = 3,
                    repeats: int = 10) -> Any:
        now = getattr(time, clock)  # looked up at the call, as a learner's time.process_time() is
        for _ in range(warmup if warmup_calls is None else warmup_calls):
            launch()
        if sync_after_warmup:
            synchronize()
        n = repeats if timed_calls is None else timed_calls
        if one_sync:
            start = now()
            for _ in range(n):
                launch()
            synchronize()
            return (now() - start) / n
        times = []
        for _ in range(n):
            start = now()
            launch()
            if sync:
                synchronize()
            times.append(now() - start)
        return summary(times)

    return honest_time


register(Exercise(
    "02.honest_time", "Time an asynchronous call honestly", _grade_honest_time, solutions.honest_time,
    wrong=(
        Mistake(_honest_by(sync=False), _NO_SYNC),
        Mistake(_honest_by(warmup_calls=0), _NO_WARMUP),
        Mistake(lambda launch, synchronize, warmup=3, repeats=10: 0.02, _NEVER),
        Mistake(_honest_by(warmup_calls=3), _FIXED_WARMUP),
        Mistake(_honest_by(timed_calls=10), _FIXED_REPEATS),
        Mistake(_honest_by(summary=statistics.mean), _MEAN),
        Mistake(_honest_by(summary=lambda t: 1000 * statistics.median(t)), _MS),
        Mistake(_honest_by(summary=sum), _TOTAL),
        Mistake(_honest_by(summary=min), _MIN),
        Mistake(_honest_by(sync_after_warmup=False), _QUEUED_WARMUP),
        Mistake(_honest_by(one_sync=True), _ONE_SYNC),
        Mistake(_honest_by(summary=lambda t: t), _NUMBER),
        Mistake(_honest_by(clock="process_time"), _PROCESS),
    )))
