"""Find the compute devices torch can use and pick the best one (CUDA, then Apple MPS, then CPU)."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass

import torch

from course_lib.errors import CourseInputError, expect, expect_fields


@dataclass(frozen=True)
class DeviceInfo:
    """One device torch can run on, described for a learner."""

    name: str  # torch's name: "cuda:0", "mps" or "cpu"
    kind: str  # "cuda", "mps" or "cpu"
    description: str  # e.g. "NVIDIA H100 80GB HBM3, 79.1 GiB, compute capability 9.0"

    def __post_init__(self) -> None:
        expect_fields(self)

    def __str__(self) -> str:
        return f"{self.name:7s} {self.description}"


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


DEVICE_ENV = "COURSE_DEVICE"  # e.g. COURSE_DEVICE=cpu: run the lessons on the CPU even beside a GPU


def best_device() -> torch.device:
    """The fastest device present (the first CUDA GPU, else Apple's MPS, else the CPU), or
    the one named by ``$COURSE_DEVICE``, which must be present."""
    chosen = os.environ.get(DEVICE_ENV, "").strip()
    if chosen:
        try:
            return as_device(chosen)
        except CourseInputError as err:
            raise CourseInputError(
                f"{DEVICE_ENV}={chosen!r}: {err} Unset it to let the course choose.") from None
    if torch.cuda.is_available():
        return torch.device("cuda:0")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def cpu_name() -> str:
    """The processor's model name (from /proc/cpuinfo on Linux), or the platform's best guess."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpu_description() -> str:
    name = cpu_name()
    cores = os.cpu_count() or 1
    return f"{name}, {cores} logical cores, torch uses {torch.get_num_threads()} threads"


def list_devices() -> list[DeviceInfo]:
    """Every device present, best first; the CPU is always last."""
    found: list[DeviceInfo] = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            desc = (f"{p.name}, {p.total_memory / 2**30:.1f} GiB, "
                    f"compute capability {p.major}.{p.minor}, {p.multi_processor_count} SMs")
            found.append(DeviceInfo(f"cuda:{i}", "cuda", desc))
    if _mps_available():
        found.append(DeviceInfo("mps", "mps", f"Apple GPU through Metal ({platform.machine()})"))
    found.append(DeviceInfo("cpu", "cpu", _cpu_description()))
    return found


def as_device(device: str | torch.device | None) -> torch.device:
    """Turn ``None`` (meaning the best device), a name or a torch.device into a usable torch.device."""
    if device is None:
        return best_device()
    expect(isinstance(device, (str, torch.device)), "device",
           "a torch.device, a name such as 'cpu', 'cuda' or 'mps', or None", device)
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise CourseInputError(
            f"device: expected a name such as 'cpu', 'cuda' or 'mps', got {device!r}.") from exc
    present = {"cpu"}
    if torch.cuda.is_available():
        present.add("cuda")
    if _mps_available():
        present.add("mps")
    if dev.type not in present:
        raise CourseInputError(
            f"device: {device!r} is not present on this machine; present: {sorted(present)}.")
    if dev.type != "cuda" and dev.index not in (None, 0):
        raise CourseInputError(f"device: {device!r} does not exist; the {dev.type} device has no index "
                               f"but 0 (write {dev.type!r}).")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise CourseInputError(f"device: {device!r} does not exist; this machine has "
                               f"{torch.cuda.device_count()} CUDA device(s).")
    return dev


def device_of(model: torch.nn.Module) -> torch.device:
    """The device of ``model``'s first parameter (or buffer); the CPU for a model that holds none."""
    expect(isinstance(model, torch.nn.Module), "model", "a torch.nn.Module", model)
    first: torch.Tensor | None = next(model.parameters(), None)
    if first is None:
        first = next(model.buffers(), None)
    return torch.device("cpu") if first is None else first.device


def synchronize(device: str | torch.device) -> None:
    """Wait until all work queued on ``device`` has finished (a no-op on the CPU)."""
    dev = as_device(device)
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    elif dev.type == "mps":
        torch.mps.synchronize()
