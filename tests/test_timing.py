"""Unit tests for course_lib.timing: the honest timer, FLOP counts and time formatting."""

import time

import pytest
import torch

from course_lib.errors import CourseInputError
from course_lib.load import other_programs_busy
from course_lib.timing import Timing, benchmark, compare, format_seconds, matmul_flops


def test_matmul_flops_counts_a_multiply_and_an_add_per_term():
    assert matmul_flops(10) == 2000.0
    assert matmul_flops(2, 3, 4) == 2 * 2 * 3 * 4


@pytest.mark.parametrize("bad", [0, -3, 2.5, "8", True, None])
def test_matmul_flops_rejects_bad_sizes(bad):
    with pytest.raises(CourseInputError, match="n: expected an int of at least 1"):
        matmul_flops(bad)


@pytest.mark.parametrize("seconds, text", [
    (2.0, "2 s"), (0.0123, "12.3 ms"), (4.5e-6, "4.5 µs"), (3e-9, "3 ns"), (0.0, "0 ns"),
    (1234.0, "1234 s"),
])
def test_format_seconds_picks_a_readable_unit(seconds, text):
    assert format_seconds(seconds) == text


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf"), "1 s", None])
def test_format_seconds_rejects_bad_input(bad):
    with pytest.raises(CourseInputError, match="seconds"):
        format_seconds(bad)


def test_timing_properties():
    t = Timing(label="x", device="cpu", threads=1, times=[1.0, 2.0, 3.0, 4.0, 100.0], flops=4e9)
    assert t.median == 3.0
    assert t.iqr > 0
    assert t.gflops == pytest.approx(4e9 / 3.0 / 1e9)
    assert "GFLOP/s" in str(t) and "median 3 s" in str(t)
    single = Timing(label="y", device="cpu", threads=2, times=[0.5])
    assert single.iqr == 0.0 and single.gflops is None and "GFLOP/s" not in str(single)


def test_a_timing_refuses_times_that_would_give_a_wrong_or_no_median():
    with pytest.raises(CourseInputError, match="times: expected a non-empty list"):
        Timing(label="x", device="cpu", threads=1, times=[])  # median() used to raise StatisticsError
    with pytest.raises(CourseInputError, match="times: expected a finite number of at least 0"):
        Timing(label="x", device="cpu", threads=1, times=[0.1, -0.2])  # a negative duration, silently
    with pytest.raises(CourseInputError, match="threads: expected an int of at least 1, got bool"):
        Timing(label="x", device="cpu", threads=True, times=[0.1])


def test_benchmark_builtins_without_a_signature_are_still_timed():
    t = benchmark(list, warmup=0, min_run_time=0.01)  # list() works; so does a NumPy .copy
    assert t.median > 0


def test_benchmark_measures_a_known_sleep():
    t = benchmark(lambda: time.sleep(0.01), label="sleep", warmup=1, min_run_time=0.1)
    assert 0.009 < t.median < 0.05, t.median
    assert t.label == "sleep" and t.device == "cpu" and len(t.times) >= 1


def test_benchmark_warms_up_and_restores_threads():
    calls = []
    before = torch.get_num_threads()
    benchmark(lambda: calls.append(torch.get_num_threads()), warmup=3, threads=1, min_run_time=0.01)
    assert len(calls) > 3 and set(calls) == {1}
    assert torch.get_num_threads() == before


def test_benchmark_reports_gflops_of_a_matmul():
    a = torch.randn(128, 128)
    t = benchmark(lambda: a @ a, flops=matmul_flops(128), min_run_time=0.05)
    assert t.gflops is not None and t.gflops > 0


@pytest.mark.parametrize("kwargs, match", [
    ({"fn": 3}, "fn: expected a function"),
    ({"fn": lambda: None, "warmup": -1}, "warmup"),
    ({"fn": lambda: None, "min_run_time": 0}, "min_run_time"),
    ({"fn": lambda: None, "threads": 0}, "threads"),
    ({"fn": lambda: None, "flops": -5.0}, "flops"),
    ({"fn": lambda: None, "device": "tpu"}, "device"),
    ({"fn": lambda x: x, "warmup": 0}, "fn: expected a function that takes no arguments"),
    ({"fn": lambda: None, "min_run_time": True}, "min_run_time: expected a finite number"),
    ({"fn": lambda: None, "min_run_time": float("inf")}, "min_run_time: expected a finite number"),
    ({"fn": lambda: None, "flops": True}, "flops: expected a finite number above 0"),
    ({"fn": lambda: None, "flops": float("inf")}, "flops: expected a finite number above 0"),
    ({"fn": lambda: None, "threads": 100_000}, "threads: expected an int from 1 to 1024"),
    ({"fn": lambda: None, "label": 3}, "label: expected a str"),
])
def test_benchmark_rejects_bad_arguments(kwargs, match):
    fn = kwargs.pop("fn")
    with pytest.raises(CourseInputError, match=match):
        benchmark(fn, **kwargs)


def test_benchmark_says_when_another_program_shared_the_cpu():
    quiet = benchmark(lambda: time.sleep(0.002), min_run_time=0.3)
    assert quiet.load is not None and quiet.load.wall_s >= 0.3
    with other_programs_busy() as pids:  # every core busy
        busy = benchmark(lambda: time.sleep(0.002), min_run_time=0.5)
    assert busy.quiet is False and busy.load.other_cores > 0.5 * len(pids), busy.load
    assert "BUSY MACHINE" in str(busy)


def test_importing_timing_prints_nothing_beside_an_nvcc_without_a_gpu(tmp_path):
    """PyTorch's CUDA build (3.12, 3.13) logs "No CUDA runtime is found" when nvcc is on PATH."""
    import os
    import subprocess
    import sys

    nvcc = tmp_path / "bin" / "nvcc"
    nvcc.parent.mkdir()
    nvcc.write_text("#!/bin/sh\nexit 1\n")
    nvcc.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("CUDA_HOME", "CUDA_PATH")}
    env.update(PATH=f"{nvcc.parent}{os.pathsep}{env.get('PATH', '')}", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, "-c", "import course_lib.timing"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


def test_compare_goes_round_robin_and_pools_the_rounds():
    calls = []
    fns = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    result = compare(fns, rounds=3, warmup=1, min_run_time=0.01)
    assert list(result) == ["a", "b"]
    runs = [name for i, name in enumerate(calls) if i == 0 or calls[i - 1] != name]
    assert runs == ["a", "b"] * 3, runs  # a's calls, then b's, three rounds over
    for name, timing in result.items():
        assert timing.label == name and timing.device == "cpu" and len(timing.times) >= 3
        assert timing.load is not None and timing.load.wall_s >= 3 * 0.01


def test_compare_tells_two_known_durations_apart():
    result = compare({"short": lambda: time.sleep(0.002), "long": lambda: time.sleep(0.01)},
                     rounds=2, warmup=0, min_run_time=0.05)
    assert 0.0015 < result["short"].median < 0.006 < result["long"].median < 0.03, result


@pytest.mark.parametrize("kwargs, match", [
    ({"fns": {}}, "fns: expected a non-empty dict"),
    ({"fns": [lambda: None]}, "fns: expected a non-empty dict"),
    ({"fns": {1: lambda: None}}, "fns: expected a non-empty dict"),
    ({"fns": {"x": lambda y: y}}, r"fns\['x'\]: expected a function that takes no arguments"),
    ({"fns": {"x": 3}}, r"fns\['x'\]: expected a function"),
    ({"rounds": 0}, "rounds: expected an int from 1 to 100"),
    ({"rounds": 2.0}, "rounds: expected an int"),
    ({"min_run_time": 0}, "min_run_time"),
    ({"device": "tpu"}, "device"),
])
def test_compare_rejects_bad_arguments(kwargs, match):
    args = {"fns": {"x": lambda: None}, "min_run_time": 0.01, **kwargs}
    with pytest.raises(CourseInputError, match=match):
        compare(args.pop("fns"), **args)
