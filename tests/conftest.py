"""Shared test fixtures and helpers: the checkout's root, pinned versions, HTTP, processes, data."""

from __future__ import annotations

import tomllib
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# visdom 0.2.4's client calls logger.warn; that is its business, not a failure of ours.
VISDOM_WARNINGS = pytest.mark.filterwarnings("ignore:The 'warn' method is deprecated:DeprecationWarning")


def pinned(name: str) -> str:
    """The version pyproject.toml pins for ``name`` (a dependency or a dev extra)."""
    lines = PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["dev"]
    for line in lines:
        req = Requirement(line)
        if req.name == name and (req.marker is None or req.marker.evaluate()):
            [spec] = req.specifier
            return spec.version
    raise KeyError(f"{name} is not pinned in pyproject.toml")


def course_version() -> str:
    """course_lib's own version, from pyproject.toml."""
    return PYPROJECT["project"]["version"]


def http_get(url: str, timeout: float = 10, *, token: str | None = None,
             strict: bool = False) -> tuple[int, bytes]:
    """(status, body) of a GET (with Jupyter's ``token`` if given). An HTTP error status is
    returned, or raised with ``strict`` (so a wait loop can retry until the server is ready)."""
    headers = {"Authorization": f"token {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        if strict:
            raise
        return exc.code, exc.read()


def descendants(pid: int | None = None) -> list[psutil.Process]:
    """The live child processes (recursively) of ``pid``, by default this test process."""
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def live_children(pid: int | None = None) -> set[int]:
    """The pids of ``pid``'s descendants (default: this process) that are running, not zombies."""
    return set(alive([p.pid for p in descendants(pid)]))


def alive(pids: list[int]) -> list[int]:
    """Those of ``pids`` still running (zombies count as gone)."""
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.NoSuchProcess:
            pass
    return out


def small_net(seed: int = 0) -> Any:
    """The 64 -> 32 -> 10 classifier the training tests use on the digits, seeded."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))


@pytest.fixture(scope="session")
def split():
    """scikit-learn's digits as the course's train/validation split (loaded once)."""
    from course_lib.digits import load_digits_split

    return load_digits_split()


# The slow kinds of test, by file, so that `bash scripts/test.sh --fast` (see CONTRIBUTING,
# "Changing the code") can leave them out. A lesson run by nbval is a "notebook".
SLOW_KINDS = {
    "browser": {"test_browser.py", "test_site.py"},
    "server": {"test_start_command.py", "test_visdom.py", "test_training_visdom.py", "test_doctor_cli.py",
               "test_tensorboard_server.py", "test_binder_launch.py", "test_hub.py", "test_hub_tools.py"},
    "multiprocess": {"test_torchrun.py", "test_distributed.py"},
    "notebook": {"test_progress.py"},
    "slow": {"test_pretrained.py", "test_onnx_tools.py"},  # load EfficientNet, export ONNX
}
# Single tests of otherwise quick files, by node id: each runs a kernel, a subprocess that imports
# TensorFlow, or trains for seconds.
SLOW_TESTS = {
    "notebook": {"test_class_report.py::test_a_fresh_progress_report_joins_the_class",
                 "test_verified.py::test_a_real_nbval_run_records_the_passing_lesson_only",
                 "test_solutions_paste.py::test_nbval_checks_each_pasted_solution_in_its_lesson"},
    "slow": {"test_gpt.py::test_training_beats_the_unigram_baseline_on_a_repetitive_text",
             "test_gpt.py::test_the_gpt_exports_to_onnx_despite_its_input_checks",
             "test_errors_seed_frameworks.py::test_tensorflow_comes_without_jax_and_jax_still_imports_after",
             "test_errors_seed_frameworks.py::test_triton_is_loaded_before_tensorflow",
             "test_benchmarks.py::test_gpu_matmul_script_refuses_without_a_gpu",
             "test_benchmarks.py::test_gpu_matmul_script_records_a_run",
             "test_training.py::test_fit_learns_and_streams_to_a_live_plot",
             "test_timing.py::test_importing_timing_prints_nothing_beside_an_nvcc_without_a_gpu",
             "test_notebooks_meta.py::test_every_notebook_is_collected_by_nbval",
             "test_exercises.py::test_a_learners_except_exception_cannot_swallow_the_time_limit",
             "test_training.py::test_fit_is_the_lesson_loop"},
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test with its slow kind (see SLOW_KINDS); every nbval cell is a "notebook"."""
    for item in items:
        name = item.path.name
        if item.path.suffix == ".ipynb":
            item.add_marker("notebook")
        for kind, files in SLOW_KINDS.items():
            if name in files:
                item.add_marker(kind)
        for kind, tests in SLOW_TESTS.items():
            if f"{name}::{item.name.split('[')[0]}" in tests:
                item.add_marker(kind)
