"""Unit tests for course_lib.devices: picking, listing and naming devices."""

import pytest
import torch

from course_lib.devices import DeviceInfo, as_device, best_device, list_devices, synchronize
from course_lib.errors import CourseInputError


def test_best_device_follows_cuda_then_mps_then_cpu():
    dev = best_device()
    if torch.cuda.is_available():
        assert dev.type == "cuda"
    elif getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        assert dev.type == "mps"
    else:
        assert dev == torch.device("cpu")


def test_list_devices_ends_with_the_cpu():
    found = list_devices()
    assert found and all(isinstance(d, DeviceInfo) for d in found)
    assert found[-1].kind == "cpu" and found[-1].name == "cpu"
    assert "threads" in found[-1].description
    assert str(found[-1]).startswith("cpu")
    assert found[0].name == str(best_device()) or found[0].name.startswith("cuda")


def test_as_device_accepts_names_devices_and_none():
    assert as_device("cpu") == torch.device("cpu")
    assert as_device(torch.device("cpu")) == torch.device("cpu")
    assert as_device(None) == best_device()


@pytest.mark.parametrize("bad, match", [
    (3, "expected a torch.device"),
    (["cpu"], "expected a torch.device"),
    ("gpu", "expected a name such as"),
    ("", "expected a name such as"),
])
def test_as_device_rejects_bad_input(bad, match):
    with pytest.raises(CourseInputError, match=match):
        as_device(bad)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_as_device_rejects_a_missing_gpu():
    with pytest.raises(CourseInputError, match="not present on this machine"):
        as_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_as_device_rejects_a_gpu_index_out_of_range():
    with pytest.raises(CourseInputError, match="does not exist"):
        as_device(f"cuda:{torch.cuda.device_count()}")


def test_synchronize_is_safe_on_every_present_device():
    for d in list_devices():
        synchronize(d.name)
    with pytest.raises(CourseInputError):
        synchronize("not-a-device")


def test_as_device_names_a_malformed_index():
    with pytest.raises(CourseInputError, match="expected a name such as"):
        as_device("cuda:-1")


def test_course_device_names_the_device(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert best_device() == torch.device("cpu")
    assert as_device(None) == torch.device("cpu")
    monkeypatch.setenv("COURSE_DEVICE", "  ")
    assert best_device() == as_device(None)


@pytest.mark.parametrize("value, match", [
    ("gpu", "expected a name such as"),
    ("cuda:99", "cuda"),
])
def test_course_device_that_cannot_be_used_is_a_clear_error(monkeypatch, value, match):
    monkeypatch.setenv("COURSE_DEVICE", value)
    with pytest.raises(CourseInputError, match=match) as caught:
        best_device()
    message = str(caught.value)
    assert message.startswith(f"COURSE_DEVICE={value!r}") and "Unset it" in message
    assert len(message) < 300


def test_device_of_reads_the_first_parameter_or_buffer():
    from course_lib.devices import device_of

    assert device_of(torch.nn.Linear(2, 3)) == torch.device("cpu")
    assert device_of(torch.nn.ReLU()) == torch.device("cpu")  # nothing held: the CPU
    assert device_of(torch.nn.BatchNorm1d(3, affine=False)) == torch.device("cpu")  # buffers only
    with pytest.raises(CourseInputError, match="torch.nn.Module"):
        device_of("cpu")
