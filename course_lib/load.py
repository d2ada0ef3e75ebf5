"""Was the machine quiet? The CPU time that other programs used while something was measured.

A timing means little if another program shared the cores: threads wait for each other, and
one slow thread slows the whole call. :class:`LoadMonitor` reads the system's CPU counters
(psutil, from ``/proc/stat`` on Linux) before and after a measurement and subtracts what this
process and its children used; what remains was used by other programs. On a virtual machine
the *steal* time (cores the hypervisor gave to other machines) counts as other load too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import psutil

from course_lib.errors import CourseInputError, expect, expect_int, expect_number

BUSY_THRESHOLD = 0.10  # more than 10 % of all cores used by others: the machine was busy


def _machine_busy_seconds() -> tuple[float, float]:
    """CPU seconds all cores spent working, and those stolen by the hypervisor, since boot."""
    t = psutil.cpu_times()
    busy = t.user + t.system + getattr(t, "nice", 0.0) + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
    return busy, getattr(t, "steal", 0.0)


def _own_seconds(proc: psutil.Process) -> float:
    """CPU seconds used by this process, its live children and the children it has waited for."""
    t = proc.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for child in proc.children(recursive=True):
        try:
            c = child.cpu_times()  # with what its own finished children used (a kernel's workers)
            total += c.user + c.system + c.children_user + c.children_system
        except psutil.Error:  # it ended between listing and asking
            pass
    return total


@dataclass(frozen=True)
class LoadReport:
    """What other programs used of the CPU during one measurement."""

    wall_s: float  # how long the measurement lasted
    cores: int  # logical cores of the machine
    own_cpu_s: float  # CPU seconds of this process and its children
    other_cpu_s: float  # CPU seconds of every other program
    steal_s: float  # CPU seconds the hypervisor gave to other virtual machines
    threshold: float = BUSY_THRESHOLD  # the share of all cores above which the machine was busy

    def __post_init__(self) -> None:
        for name in ("wall_s", "own_cpu_s", "other_cpu_s", "steal_s"):
            expect_number(getattr(self, name), name, low=0)
        expect_int(self.cores, "cores", low=1)
        _expect_threshold(self.threshold)

    @property
    def other_cores(self) -> float:
        """How many cores other programs (and steal) kept busy, on average."""
        return (self.other_cpu_s + self.steal_s) / self.wall_s if self.wall_s > 0 else 0.0

    @property
    def other_share(self) -> float:
        """The share of all cores other programs (and steal) used, from 0 to 1."""
        return min(1.0, self.other_cores / self.cores)

    @property
    def ok(self) -> bool:
        """True when other programs used at most ``threshold`` of the machine."""
        return self.other_share <= self.threshold

    def as_dict(self) -> dict[str, Any]:
        """The report as plain numbers, for a JSON record."""
        return {**asdict(self), "other_share": round(self.other_share, 4), "ok": self.ok}

    def __str__(self) -> str:
        verdict = "quiet" if self.ok else "BUSY: the timing is not trustworthy"
        return (f"other programs used {self.other_share:.0%} of {self.cores} cores "
                f"({self.other_cores:.2f} cores) over {self.wall_s:.2f} s "
                f"(threshold {self.threshold:.0%}): {verdict}")


def _expect_threshold(threshold: object) -> float:
    value = expect_number(threshold, "threshold", low=0, high=1, low_open=True)
    expect(value < 1, "threshold", "a share of the machine above 0 and below 1", threshold)
    return value


class LoadMonitor:
    """A context manager: ``with LoadMonitor() as m: ...`` then ``m.report`` says how busy it was."""

    def __init__(self, threshold: float = BUSY_THRESHOLD) -> None:
        self.threshold = _expect_threshold(threshold)
        self._proc = psutil.Process(os.getpid())
        self._start: tuple[float, float, float, float] | None = None
        self.report: LoadReport | None = None

    def __enter__(self) -> LoadMonitor:
        busy, steal = _machine_busy_seconds()
        self._start = (time.perf_counter(), busy, steal, _own_seconds(self._proc))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._start is None:
            raise CourseInputError("LoadMonitor: use it as `with LoadMonitor() as m: ...`; it was "
                                   "left without being entered.")
        busy, steal = _machine_busy_seconds()
        own = _own_seconds(self._proc)
        t0, busy0, steal0, own0 = self._start
        own_used = max(0.0, own - own0)
        self.report = LoadReport(
            wall_s=time.perf_counter() - t0, cores=psutil.cpu_count() or 1, own_cpu_s=own_used,
            other_cpu_s=max(0.0, (busy - busy0) - own_used), steal_s=max(0.0, steal - steal0),
            threshold=self.threshold)


def sample_load(seconds: float = 1.0, threshold: float = BUSY_THRESHOLD) -> LoadReport:
    """Watch the machine for ``seconds`` while this process sleeps: how busy is it right now?"""
    expect_number(seconds, "seconds", low=0, high=60, low_open=True)
    with LoadMonitor(threshold) as monitor:
        time.sleep(seconds)
    assert monitor.report is not None
    return monitor.report


_SPINNER = "import time\nend = time.time() + {seconds}\nwhile time.time() < end:\n    pass\n"
_LAUNCHER = ("import subprocess, sys\n"
             "p = subprocess.Popen([sys.executable, '-c', sys.argv[1]], stdout=subprocess.DEVNULL, "
             "stderr=subprocess.DEVNULL, start_new_session=True)\n"
             "print(p.pid)\n")


@contextmanager
def other_programs_busy(processes: int | None = None, seconds: float = 30.0) -> Iterator[list[int]]:
    """For a demonstration: keep ``processes`` cores (default: all) busy with other programs.

    Each is a Python busy loop started through a short-lived launcher, so that it is not a child
    of this process and counts as another program's load. They stop when the block ends, or
    after ``seconds`` at the latest. Yields their process ids.
    """
    processes = (os.cpu_count() or 1) if processes is None else processes
    expect_int(processes, "processes", low=1, high=256)
    expect_number(seconds, "seconds", low=0, high=300, low_open=True)
    spinner = _SPINNER.format(seconds=float(seconds))
    pids: list[int] = []
    try:
        for _ in range(processes):
            out = subprocess.run([sys.executable, "-c", _LAUNCHER, spinner], capture_output=True,
                                 text=True, check=True, timeout=30)
            pids.append(int(out.stdout.strip()))
        time.sleep(0.2)  # let them start spinning
        yield pids
    finally:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:  # it has ended already
                pass
