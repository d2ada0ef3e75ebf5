"""Tests of course_lib.distributed: real gloo processes, and no process left behind in any outcome."""

from __future__ import annotations

import os
import threading
import time
from multiprocessing import resource_tracker

import numpy as np
import psutil
import pytest
from conftest import alive, descendants

from course_lib import distributed as D
from course_lib.devices import best_device
from course_lib.errors import CourseInputError

_BEFORE: set[int] = set()


@pytest.fixture(autouse=True)
def _baseline():
    """Remember the processes that existed before the test (e.g. multiprocessing's resource
    tracker, which a spawn-based DataLoader test starts once per interpreter)."""
    _BEFORE.clear()
    _BEFORE.update(p.pid for p in descendants())
    yield


def _children() -> list[psutil.Process]:
    """Processes this test started that are still running."""
    return [p for p in descendants() if p.pid not in _BEFORE and alive([p.pid])]


def _gives_up_on_rank_1(rank: int, world_size: int, config: dict) -> int:
    """A worker for the tests (the spawned processes import it from this module)."""
    if rank == 1:
        raise ValueError("rank 1 gives up")
    return rank


def _exits_on_rank_0(rank: int, world_size: int, config: dict) -> int:
    if rank == 0:
        os._exit(3)  # no exception, no traceback: only an exit code
    return rank


def _aborts_on_rank_1(rank: int, world_size: int, config: dict) -> int:
    if rank == 1:
        os.write(2, b"fatal: the C++ side gave up\n")  # as a C++ library writes before it aborts
        os.abort()
    return rank


class _Unpicklable:
    def __init__(self) -> None:
        self.lock = threading.Lock()

    def __call__(self, rank: int, world_size: int, config: dict) -> int:
        return rank


def test_spawn_workers_matches_one_process_and_leaves_no_child():
    config = {"steps": 3, "seed": 1}
    results = D.spawn_workers(D.ddp_worker, world_size=2, config=config, timeout=120)
    assert [r["rank"] for r in results] == [0, 1]
    assert all(r["allreduce_sum"] == 3.0 for r in results)  # 1 + 2
    assert sorted(results[0]["rows"] + results[1]["rows"]) == list(range(16))
    ref = D.reference_training(config)
    for r in results:
        for got, want in zip(r["grads"], ref["grads"], strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        for got, want in zip(r["params"], ref["params"], strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # the two local losses average to the full-batch loss (equal shards)
    np.testing.assert_allclose((results[0]["local_losses"][0] + results[1]["local_losses"][0]) / 2,
                               ref["losses"][0], rtol=1e-5)
    # the timeline's times: one all-reduce (one bucket) inside each step, and the phases add up
    for r in results:
        assert len(r["step_spans"]) == len(r["all_reduce_spans"]) == len(r["step_seconds"]) == 3
        for (begin, end), (a, b) in zip(r["step_spans"], r["all_reduce_spans"], strict=True):
            assert begin <= a <= b <= end
        for (begin, end), phases in zip(r["step_spans"], D.step_phases(r), strict=True):
            assert min(phases) >= 0 and sum(phases) == pytest.approx(end - begin)
    # an all-reduce ends for both ranks at about the same time: no rank has the sum before both sent
    ends = [[b for _, b in r["all_reduce_spans"]] for r in results]
    assert all(abs(e0 - e1) < 0.5 for e0, e1 in zip(*ends, strict=True))
    assert _children() == []  # the workers, and the resource tracker that spawn started


def test_timeout_stops_every_worker():
    start = time.monotonic()
    with pytest.raises(TimeoutError, match=r"workers \[0, 1\] of 2 were still running after 3 s"):
        D.spawn_workers(D.mismatched_worker, world_size=2, timeout=3)
    assert time.monotonic() - start < 30
    assert _children() == []


def test_a_worker_that_raises_is_named_and_a_running_tracker_is_left_alone():
    resource_tracker.ensure_running()  # as if a DataLoader had started it before
    tracker = D._TRACKER._pid
    try:
        with pytest.raises(D.WorkerError, match="worker rank 1 of 2 failed:") as info:
            D.spawn_workers(_gives_up_on_rank_1, world_size=2, timeout=120)
        assert "ValueError: rank 1 gives up" in str(info.value)  # the end of its traceback
        assert alive([tracker]) == [tracker]
        assert [p for p in _children() if p.pid != tracker] == []
    finally:
        if tracker not in _BEFORE:
            D._TRACKER._stop()


def test_a_worker_that_exits_is_named_with_its_exit_code_and_said_nothing():
    with pytest.raises(D.WorkerError, match="rank 0 of 2 failed:\nprocess 0 terminated with exit code 3\n"
                                            "\\(it wrote no error output\\)"):
        D.spawn_workers(_exits_on_rank_0, world_size=2, timeout=120)
    assert _children() == []


def test_a_worker_killed_by_a_signal_is_shown_with_its_last_error_output():
    with pytest.raises(D.WorkerError, match="rank 1 of 2 failed:\nprocess 1 terminated with signal SIGABRT") \
            as info:
        D.spawn_workers(_aborts_on_rank_1, world_size=2, timeout=120)
    message = str(info.value)
    assert "its last error output:\nfatal: the C++ side gave up" in message
    assert "Fatal Python error: Aborted" in message  # faulthandler's report, with the Python stack
    assert "_aborts_on_rank_1" in message
    assert _children() == []


def test_failing_ddp_worker_raises_with_its_error_and_leaves_no_child():
    # 15 rows do not split between 2 ranks: shard_indices raises inside the workers
    with pytest.raises(D.WorkerError, match="n: expected a multiple of world_size=2, got int 15"):
        D.spawn_workers(D.ddp_worker, world_size=2, config={"n": 15}, timeout=120)
    assert _children() == []


def test_spawn_workers_rejects_bad_input():
    with pytest.raises(CourseInputError, match="world_size"):
        D.spawn_workers(D.ddp_worker, world_size=0)
    with pytest.raises(CourseInputError, match="target"):
        D.spawn_workers(lambda r, w, c: r)
    with pytest.raises(CourseInputError, match="target"):
        D.spawn_workers("course_lib.distributed.ddp_worker")
    with pytest.raises(CourseInputError, match="target: expected a function that pickle can send"):
        D.spawn_workers(_Unpicklable())
    with pytest.raises(CourseInputError, match="config"):
        D.spawn_workers(D.ddp_worker, config={"x": object()})
    with pytest.raises(CourseInputError, match="timeout"):
        D.spawn_workers(D.ddp_worker, timeout=-1)
    assert _children() == []


@pytest.mark.parametrize("kwargs, match", [
    ({"config": {"step": 3}}, "config: unknown key 'step'"),  # a typo used to run the default 5 steps
    ({"config": {"steps": 0}}, "steps: expected an int"),  # used to return no losses and no gradients
    ({"config": {"lr": -1}}, "lr: expected a finite number above 0"),
    ({"config": {1: 2}}, "config: expected a dict with str keys"),
    ({"timeout": float("inf")}, "timeout: expected a finite number"),  # a deadlock would never end
    ({"threads_per_worker": True}, "threads_per_worker: expected an int"),
])
def test_spawn_workers_refuses_bad_settings_before_starting_any_process(kwargs, match):
    with pytest.raises(CourseInputError, match=match):
        D.spawn_workers(D.ddp_worker, **kwargs)
    assert _children() == []


def test_a_worker_called_outside_spawn_workers_says_so():
    with pytest.raises(CourseInputError, match="ddp_worker: runs inside spawn_workers"):
        D.ddp_worker(0, 2, {})
    with pytest.raises(CourseInputError, match="target: expected a function taking"):
        D.spawn_workers(D.reference_training)


def test_shard_indices_partition_the_rows():
    shards = [D.shard_indices(12, r, 3) for r in range(3)]
    assert shards[1] == [1, 4, 7, 10]
    assert sorted(sum(shards, [])) == list(range(12))
    with pytest.raises(CourseInputError, match="rank"):
        D.shard_indices(12, 3, 3)
    with pytest.raises(CourseInputError, match="n"):
        D.shard_indices(10, 0, 3)


def test_make_problem_and_model_are_deterministic():
    x1, y1 = D.make_problem(3, 8)
    x2, y2 = D.make_problem(3, 8)
    assert x1.shape == (8, 8) and y1.shape == (8, 2)
    assert (x1 == x2).all() and (y1 == y2).all()
    a, b = D.make_model(5), D.make_model(5)
    assert all((p == q).all() for p, q in zip(a.parameters(), b.parameters(), strict=True))
    with pytest.raises(CourseInputError, match="n"):
        D.make_problem(0, 0)
    with pytest.raises(CourseInputError, match="hidden"):
        D.make_model(0, hidden=0)


def test_reference_training_lowers_the_loss():
    ref = D.reference_training({"steps": 4})
    assert len(ref["losses"]) == 4 and ref["losses"][-1] < ref["losses"][0]
    assert all(isinstance(g, np.ndarray) for g in ref["grads"] + ref["params"])
    with pytest.raises(CourseInputError, match="config"):
        D.reference_training([1, 2])
    with pytest.raises(CourseInputError, match="config: unknown key 'step'"):
        D.reference_training({"step": 4})


def test_reference_training_runs_on_the_best_device_within_float32_rounding():
    config = {"steps": 5}
    on_cpu = D.reference_training(config, device="cpu")  # CPU: the ranks' device, the baseline
    on_best = D.reference_training(config, device=best_device())  # the CPU here, a GPU elsewhere
    for got, want in zip(on_best["params"], on_cpu["params"], strict=True):
        assert np.abs(got - want).max() < 1e-5  # the lesson's tolerance
    with pytest.raises(CourseInputError, match="device"):
        D.reference_training(config, device="tpu")


def _timed_result(rank, steps, reduces):
    return {"rank": rank, "step_spans": steps, "all_reduce_spans": reduces}


def test_step_phases_split_each_step_around_its_all_reduces():
    result = _timed_result(0, [(10.0, 10.010), (10.020, 10.025)], [(10.002, 10.008), (10.021, 10.023)])
    phases = D.step_phases(result)
    assert phases == [pytest.approx((0.002, 0.006, 0.002)), pytest.approx((0.001, 0.002, 0.002))]
    # two buckets in one step: from the first's start to the second's result counts as the
    # all-reduce; a step without one was all computing
    two = D.step_phases(_timed_result(0, [(0.0, 1.0), (2.0, 3.0)], [(0.2, 0.4), (0.5, 0.7)]))
    assert two == [pytest.approx((0.2, 0.5, 0.3)), pytest.approx((1.0, 0.0, 0.0))]


def test_plot_step_timeline_draws_each_phase_on_its_rank_row():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = [_timed_result(0, [(5.000, 5.010)], [(5.002, 5.008)]),
               _timed_result(1, [(5.001, 5.009)], [(5.004, 5.008)])]
    ax = D.plot_step_timeline(results)
    corners = [p.get_paths()[0].vertices for p in ax.collections]
    assert len(corners) == 6  # computing, all-reduce, the rest: on each of the two ranks
    rank0 = sorted((round(v[:, 0].min(), 3), round(v[:, 0].max(), 3)) for v in corners if v[:, 1].min() < 0)
    assert rank0 == [(0.0, 2.0), (2.0, 8.0), (8.0, 10.0)]  # ms since the first step began, at 5.000
    assert [t.get_text() for t in ax.get_yticklabels()] == ["rank 0", "rank 1"]
    with pytest.raises(CourseInputError, match="results: expected the list spawn_workers"):
        D.plot_step_timeline([])
    with pytest.raises(CourseInputError, match=r"results\[0\]\['step_spans'\]: expected a list of"):
        D.plot_step_timeline([{"rank": 0}])
    plt.close("all")
