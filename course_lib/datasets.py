"""Datasets, transforms and collate functions for lesson 06 (and any lesson that reads images).

Everything a DataLoader worker runs lives here, at module level, rather than in a notebook:
on macOS and Windows Python *spawns* worker processes, which import the dataset's class by
name; a class defined in a notebook cell cannot be imported that way. Randomness in the
transforms comes from torch's generator, which the DataLoader seeds differently in each worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset, IterableDataset, get_worker_info

from course_lib.data import DATA_DIR, DataIntegrityError, manifest_entries, sha256
from course_lib.errors import (
    CourseInputError,
    describe,
    expect,
    expect_bool,
    expect_callable,
    expect_fields,
    expect_int,
    expect_number,
    expect_path,
    is_int,
    wrapped,
)
from course_lib.vision import _expect_color_image, bgr_to_rgb, image_to_tensor

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp")
Transform = Callable[[np.ndarray], torch.Tensor]


class _IndexInputError(CourseInputError, IndexError):
    """An index out of range: a CourseInputError that is also the IndexError Python's protocols expect."""


def _expect_index(index: object, length: int) -> int:
    """``index`` if it is an int that can index ``length`` items (bool refused)."""
    expect(is_int(index), "index", f"an int in [0, {length})", index)
    assert isinstance(index, (int, np.integer))
    if not -length <= index < length:
        raise _IndexInputError(f"index: expected an int in [0, {length}), got {describe(index)}.")
    return int(index)


def _expect_transform(transform: object) -> None:
    if transform is not None:
        expect_callable(transform, "transform")


def _expect_rgb_u8(image_rgb: object) -> np.ndarray:
    return _expect_color_image(image_rgb, "image_rgb", uint8=True)


# -- reading images -----------------------------------------------------------------------------
def image_folder_root(verify: bool = True, data_dir: Path | None = None) -> Path:
    """The shipped data/image_folder, with every image checked against data/MANIFEST.sha256."""
    expect_bool(verify, "verify")
    data_dir = DATA_DIR if data_dir is None else expect_path(data_dir, "data_dir", exists="dir")
    root = data_dir / "image_folder"
    manifest = manifest_entries(data_dir / "MANIFEST.sha256")
    entries = {k: v for k, v in manifest.items() if k.startswith("image_folder/")}
    if not entries:
        raise DataIntegrityError("data/image_folder is not in data/MANIFEST.sha256; "
                                 "run scripts/make_image_folder.py.")
    if verify:
        bad = [k for k, v in sorted(entries.items()) if not (data_dir / k).is_file()
               or sha256(data_dir / k) != v]
        if bad:
            raise DataIntegrityError(
                f"{len(bad)} file(s) under data/image_folder are missing or changed (first: "
                f"{bad[0]}); restore them with `git checkout -- data/` or rerun "
                "scripts/make_image_folder.py.")
    return root


def read_rgb(path: str | Path) -> np.ndarray:
    """Decode an image file with OpenCV into a uint8 RGB array (H, W, 3)."""
    if not expect_path(path, "path").is_file():  # (before OpenCV, which would also print a warning)
        raise CourseInputError(f"path: expected a readable image file, got {str(path)!r}: no such file.")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise CourseInputError(f"path: expected a readable image file, got {str(path)!r}.")
    return bgr_to_rgb(image)


def to_tensor(image_rgb: np.ndarray) -> torch.Tensor:
    """A uint8 RGB array (H, W, 3) as a float32 tensor (3, H, W) scaled to [0, 1]."""
    return image_to_tensor(_expect_rgb_u8(image_rgb))[0]


# -- transforms (classes, so that worker processes can pickle them) -----------------------------
class Resize:
    """Resize to ``size`` x ``size`` pixels and turn into a tensor: the cheap pipeline."""

    def __init__(self, size: int = 128) -> None:
        self.size = expect_int(size, "size", low=1)

    def __call__(self, image_rgb: np.ndarray) -> torch.Tensor:
        image = _expect_rgb_u8(image_rgb)
        with wrapped(f"Resize({self.size}) on an image {describe(image)}"):
            out = cv2.resize(image, (self.size, self.size), interpolation=cv2.INTER_AREA)
        return to_tensor(out)


class Augment:
    """Random rotated crop with flip, colour jitter, Gaussian blur and Gaussian noise.

    The expensive pipeline, in the spirit of the usual ImageNet training augmentation: every
    call draws new random numbers from torch's generator (seeded per DataLoader worker).
    It takes a uint8 RGB image (a float image is refused: it would be divided by 255 twice) and
    returns float32 in [0, 1], or with ``as_uint8=True`` the same values times 255, rounded
    to uint8 (4x fewer bytes to move between processes).
    """

    def __init__(self, size: int = 224, max_degrees: float = 15.0, blur_sigma: float = 1.0,
                 noise_std: float = 0.02, as_uint8: bool = False) -> None:
        self.size = expect_int(size, "size", low=1)
        self.as_uint8 = expect_bool(as_uint8, "as_uint8")
        self.max_degrees = expect_number(max_degrees, "max_degrees", low=0, high=180)
        self.blur_sigma = expect_number(blur_sigma, "blur_sigma", low=0, high=self.size)
        self.noise_std = expect_number(noise_std, "noise_std", low=0, high=1)

    def __call__(self, image_rgb: np.ndarray) -> torch.Tensor:
        image_rgb = _expect_rgb_u8(image_rgb)
        with wrapped(f"Augment({self.size}) on an image {describe(image_rgb)}"):
            return self._augment(image_rgb)

    def _augment(self, image_rgb: np.ndarray) -> torch.Tensor:
        h, w = image_rgb.shape[:2]
        r = torch.rand(9).tolist()
        # 1. one affine warp = random square crop (50-100 % of the shorter side's square),
        #    rotation, horizontal flip and resize to size x size, with bicubic interpolation.
        side = min(h, w) * (0.5 + 0.5 * r[0]) ** 0.5
        cx = side / 2 + r[1] * (w - side)
        cy = side / 2 + r[2] * (h - side)
        angle = np.deg2rad((2 * r[3] - 1) * self.max_degrees)
        scale = side / self.size
        flip = -1.0 if r[4] < 0.5 else 1.0
        cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
        m = np.array([[flip * cos, -sin, 0.0], [flip * sin, cos, 0.0]])
        half = self.size / 2
        m[:, 2] = [cx, cy] - m[:, :2] @ [half, half]  # output centre -> crop centre
        x = cv2.warpAffine(image_rgb.astype(np.float32) / 255.0, m, (self.size, self.size),
                           flags=cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REFLECT)
        # 2. colour jitter in HSV: hue +-18 degrees, saturation x0.7-1.3
        hsv = cv2.cvtColor(np.clip(x, 0.0, 1.0), cv2.COLOR_RGB2HSV)
        hsv[..., 0] = (hsv[..., 0] + (2 * r[5] - 1) * 18.0) % 360.0
        hsv[..., 1] = np.clip(hsv[..., 1] * (0.7 + 0.6 * r[6]), 0.0, 1.0)
        x = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
        # 3. brightness and contrast x0.8-1.2, then a slight blur
        mean = float(x.mean())
        x = (x - mean) * (0.8 + 0.4 * r[7]) + mean * (0.8 + 0.4 * r[8])
        if self.blur_sigma > 0:
            x = cv2.GaussianBlur(x, (0, 0), self.blur_sigma)
        # 4. sensor-like Gaussian noise, drawn from torch's generator as well
        if self.noise_std > 0:
            x = x + self.noise_std * torch.randn(x.shape).numpy()
        x = np.clip(x, 0.0, 1.0)
        if self.as_uint8:  # a quarter of the bytes to send from a worker; divide by 255 later
            x = np.rint(x * 255.0).astype(np.uint8)
        return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))


# -- a map-style dataset ------------------------------------------------------------------------
class ImageFolder(Dataset):
    """Images stored as ``root/<class name>/<file>``: item ``i`` is (image tensor, class index)."""

    def __init__(self, root: str | Path, transform: Transform | None = None) -> None:
        self.root = expect_path(root, "root")
        if not self.root.is_dir():
            raise CourseInputError(
                f"root: expected a folder with one sub-folder per class, got {str(root)!r}.")
        self.classes = sorted(p.name for p in self.root.iterdir() if p.is_dir())
        self.samples: list[tuple[Path, int]] = [
            (f, label) for label, c in enumerate(self.classes)
            for f in sorted((self.root / c).iterdir()) if f.suffix.lower() in IMAGE_EXTENSIONS]
        if not self.samples:
            raise CourseInputError(f"root: expected image files in class sub-folders of "
                                   f"{self.root.name!r}, found none.")
        _expect_transform(transform)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        path, label = self.samples[_expect_index(index, len(self))]
        image = read_rgb(path)
        x = self.transform(image) if self.transform is not None else to_tensor(image)
        return x, label


# -- an iterable-style dataset ------------------------------------------------------------------
class ImageStream(IterableDataset):
    """Streams (image tensor, label) from a list of files, in order, like records from a shard.

    With ``shard=True`` each DataLoader worker reads only its own slice of the files
    (``files[worker_id::num_workers]``); with ``shard=False`` every worker reads every file,
    which is the classic bug that makes an epoch yield each item once per worker.
    """

    def __init__(self, samples: Sequence[tuple[str | Path, int]],
                 transform: Transform | None = None, shard: bool = True) -> None:
        expect(isinstance(samples, Sequence) and not isinstance(samples, str) and len(samples) > 0, "samples",
               "a non-empty list of (path, label) pairs", samples)
        for i, item in enumerate(samples):
            ok = isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], (str, Path)) \
                and is_int(item[1])
            expect(ok, f"samples[{i}]", "a (path, label) pair: a str or Path and an int", item)
        _expect_transform(transform)
        self.samples = list(samples)
        self.transform, self.shard = transform, expect_bool(shard, "shard")

    def __iter__(self) -> Iterator[tuple[torch.Tensor, int]]:
        info = get_worker_info()
        mine = self.samples
        if self.shard and info is not None:
            mine = self.samples[info.id::info.num_workers]
        for path, label in mine:
            image = read_rgb(path)
            yield (self.transform(image) if self.transform is not None else to_tensor(image),
                   label)


# -- collate functions and worker set-up --------------------------------------------------------
def pad_collate(batch: Sequence[tuple[torch.Tensor, int]]
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Batch images of different sizes: zero-pad each to the largest (H, W); also return the sizes."""
    expect(isinstance(batch, Sequence) and not isinstance(batch, str) and len(batch) > 0, "batch",
           "a non-empty list of (image tensor (C, H, W), label) pairs", batch)
    for item in batch:
        ok = (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], torch.Tensor)
              and item[0].ndim == 3)
        expect(ok, "batch item", "a pair (image tensor of shape (C, H, W), label)", item)
        y = item[1]
        expect(is_int(y) or (isinstance(y, torch.Tensor) and y.ndim == 0 and not y.is_floating_point()
                             and y.dtype != torch.bool), "batch item's label", "an int class index", y)
    channels = {x.shape[0] for x, _ in batch}
    if len(channels) != 1:
        raise CourseInputError(f"batch: expected images with the same number of channels, got "
                               f"{sorted(channels)}.")
    dtypes = {x.dtype for x, _ in batch}
    if len(dtypes) != 1:
        raise CourseInputError(f"batch: expected images of the same dtype, got {sorted(map(str, dtypes))}.")
    h = max(x.shape[1] for x, _ in batch)
    w = max(x.shape[2] for x, _ in batch)
    images = batch[0][0].new_zeros((len(batch), channels.pop(), h, w))
    for i, (x, _) in enumerate(batch):
        images[i, :, :x.shape[1], :x.shape[2]] = x
    labels = torch.tensor([int(y) for _, y in batch])
    sizes = torch.tensor([[x.shape[1], x.shape[2]] for x, _ in batch])
    return images, labels, sizes


def single_thread_worker(worker_id: int) -> None:
    """A worker_init_fn: one OpenCV and torch thread per worker, so processes give the speed-up.

    Call ``cv2.setNumThreads(1)`` in the main process too, before the DataLoader forks its
    workers: OpenCV's thread pool does not survive ``fork()``, and a forked worker that uses
    it can hang.
    """
    expect_int(worker_id, "worker_id", low=0)
    cv2.setNumThreads(1)
    torch.set_num_threads(1)


# -- measuring a loader -------------------------------------------------------------------------
def worker_cpu_seconds() -> float:
    """CPU seconds (user + system) used so far by this process's live child processes, e.g. workers."""
    import psutil

    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            t = child.cpu_times()
        except psutil.Error:  # it ended between listing and asking
            continue
        total += t.user + t.system
    return total


def count_items(loader: Iterable[Any]) -> int:
    """Run through one epoch of ``loader`` and return how many items (not batches) it yielded.

    A batch counts the length of its first part (of its first value for a dict); a DataLoader
    with ``batch_size=None`` yields single items, each counted once."""
    expect(isinstance(loader, Iterable), "loader", "an iterable of batches, such as a DataLoader", loader)
    if isinstance(loader, torch.utils.data.DataLoader) and loader.batch_size is None \
            and loader.batch_sampler is None:
        return sum(1 for _ in loader)
    n = 0
    for batch in loader:
        first = batch[0] if isinstance(batch, (tuple, list)) else batch
        if isinstance(first, dict):
            first = next(iter(first.values()), [])
        ok = hasattr(first, "__len__") and getattr(first, "ndim", 1) != 0 and not isinstance(first, str)
        expect(ok, "batch", "a batch with a length (a tensor, list or tuple of items)", first)
        n += len(first)
    return n


@dataclass
class StepTimes:
    """Per-step seconds spent waiting for the next batch and computing on it."""

    wait: list[float] = field(default_factory=list)
    compute: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        expect_fields(self)

    @property
    def wait_fraction(self) -> float:
        """Share of the total time spent waiting for data."""
        total = sum(self.wait) + sum(self.compute)
        return sum(self.wait) / total if total else 0.0

    def summary(self) -> str:
        """One line: steps, first wait, median wait and compute per step, share of time waiting."""
        if not self.wait:
            return "0 steps"
        w, c = float(np.median(self.wait)) * 1e3, float(np.median(self.compute)) * 1e3
        return (f"{len(self.wait)} steps: first batch after {self.wait[0] * 1e3:.0f} ms, then "
                f"median wait {w:.1f} ms, median compute {c:.1f} ms; "
                f"{100 * self.wait_fraction:.0f} % of the time waiting for data")


def time_steps(loader: Iterable[Any], step: Callable[[Any], object],
               max_steps: int | None = None) -> StepTimes:
    """Time each training step in two parts: waiting for ``next(loader)`` and running ``step(batch)``."""
    expect(isinstance(loader, Iterable), "loader", "an iterable of batches, such as a DataLoader", loader)
    expect_callable(step, "step")
    if max_steps is not None:
        expect_int(max_steps, "max_steps", low=1)
    times = StepTimes()
    it = iter(loader)
    while max_steps is None or len(times.wait) < max_steps:
        t0 = time.perf_counter()
        try:
            batch = next(it)
        except StopIteration:
            break
        t1 = time.perf_counter()
        step(batch)
        t2 = time.perf_counter()
        times.wait.append(t1 - t0)
        times.compute.append(t2 - t1)
    return times
