"""course_lib.load: other programs' CPU time is seen; this process's own work is not counted."""

from __future__ import annotations

import resource
import subprocess
import sys
import threading
import time

import psutil
import pytest

from course_lib.errors import CourseInputError
from course_lib.load import BUSY_THRESHOLD, LoadMonitor, LoadReport, other_programs_busy, sample_load

SPIN = "import time\nend = time.time() + 20\nwhile time.time() < end:\n    pass\n"


def test_another_programs_busy_core_is_measured():
    with other_programs_busy(1) as pids:
        assert len(pids) == 1 and pids[0] not in {c.pid for c in psutil.Process().children(recursive=True)}
        report = sample_load(1.5)
    assert report.other_cores > 0.7, report
    assert report.other_share > BUSY_THRESHOLD and not report.ok
    assert "BUSY" in str(report)


# The two tests below hold on a busy machine too: they compare what the monitor counted as this
# process's own with the CPU time the work itself used (measured by the work, not by the monitor),
# so other programs' load, which the monitor leaves out of "own", cannot make them fail.

def test_this_process_own_work_is_not_other_load():
    stop = time.time() + 1.5
    used: list[float] = []

    def spin() -> None:
        start = time.thread_time()
        while time.time() < stop:
            pass
        used.append(time.thread_time() - start)

    with LoadMonitor() as monitor:
        worker = threading.Thread(target=spin)
        worker.start()
        worker.join()
    report = monitor.report
    assert report is not None
    [spun] = used
    assert spun > 0.3, f"the spinning thread got only {spun:.2f} s of CPU in 1.5 s"
    assert report.own_cpu_s >= 0.9 * spun, (spun, report)


def test_a_childs_work_is_own_work():
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with LoadMonitor() as monitor:
        subprocess.run([sys.executable, "-c", SPIN.replace("20", "1.5")], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert child > 0.3, f"the child got only {child:.2f} s of CPU in 1.5 s"
    assert monitor.report.own_cpu_s >= 0.9 * child, (child, monitor.report)


def test_report_arithmetic_and_record_form():
    r = LoadReport(wall_s=2.0, cores=4, own_cpu_s=1.0, other_cpu_s=0.6, steal_s=0.2, threshold=0.1)
    assert r.other_cores == pytest.approx(0.4) and r.other_share == pytest.approx(0.1)
    assert r.ok  # exactly at the threshold
    d = r.as_dict()
    assert d["ok"] is True and d["other_share"] == 0.1 and d["threshold"] == 0.1 and d["cores"] == 4
    assert not LoadReport(2.0, 4, 1.0, 0.7, 0.2).ok


@pytest.mark.parametrize("bad", [0, 1, True, -0.1, "0.1"])
def test_a_bad_threshold_is_refused(bad):
    with pytest.raises(CourseInputError, match="threshold"):
        LoadMonitor(bad)


@pytest.mark.parametrize("bad", [0, -1, 61, True])
def test_a_bad_sampling_time_is_refused(bad):
    with pytest.raises(CourseInputError, match="seconds"):
        sample_load(bad)


def test_the_demonstration_load_ends_with_its_block():
    with other_programs_busy(2, seconds=20) as pids:
        assert all(psutil.pid_exists(p) for p in pids)
    time.sleep(0.3)
    assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
                   for p in pids)


@pytest.mark.parametrize("kwargs", [{"processes": 0}, {"processes": True}, {"seconds": 0},
                                    {"seconds": 301}])
def test_bad_demonstration_arguments_are_refused(kwargs):
    with pytest.raises(CourseInputError):
        with other_programs_busy(**kwargs):
            pass


@pytest.mark.parametrize("change, match", [
    ({"cores": 0}, "cores: expected an int of at least 1"),  # other_share used to divide by zero
    ({"other_cpu_s": -1.0}, "other_cpu_s: expected a finite number of at least 0"),  # was: "quiet"
    ({"wall_s": float("nan")}, "wall_s: expected a finite number"),
    ({"threshold": 1.0}, "threshold: expected a share of the machine above 0 and below 1"),
])
def test_a_report_refuses_numbers_that_would_give_a_wrong_verdict(change, match):
    kwargs = {**dict(wall_s=2.0, cores=4, own_cpu_s=1.0, other_cpu_s=0.6, steal_s=0.2), **change}
    with pytest.raises(CourseInputError, match=match):
        LoadReport(**kwargs)


def test_a_monitor_left_without_being_entered_says_how_to_use_it():
    with pytest.raises(CourseInputError, match=r"with LoadMonitor\(\) as m"):
        LoadMonitor().__exit__(None, None, None)
