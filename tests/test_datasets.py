"""Tests of course_lib.datasets: the shipped image folder, datasets, transforms, collate, timing."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from course_lib import datasets as D
from course_lib.data import DataIntegrityError
from course_lib.errors import CourseInputError

# OpenCV's thread pool does not survive fork(): a forked DataLoader worker that calls OpenCV after
# the parent used the pool can hang. One OpenCV thread in this process prevents that.
cv2.setNumThreads(1)

CLASSES = ["astronaut", "cat", "coffee", "hubble", "motorcycle", "rocket"]


@pytest.fixture(scope="module")
def root() -> Path:
    return D.image_folder_root()


def test_image_folder_root_is_verified(root: Path) -> None:
    assert root.is_dir() and sorted(p.name for p in root.iterdir()) == CLASSES
    assert sum(1 for _ in root.rglob("*.jpg")) == 192


def test_image_folder_root_detects_a_changed_file(tmp_path: Path, root: Path) -> None:
    fake = tmp_path / "data"
    shutil.copytree(root, fake / "image_folder")
    shutil.copyfile(root.parent / "MANIFEST.sha256", fake / "MANIFEST.sha256")
    assert D.image_folder_root(data_dir=fake) == fake / "image_folder"
    (fake / "image_folder" / "cat" / "000.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DataIntegrityError, match="cat/000.jpg"):
        D.image_folder_root(data_dir=fake)
    assert D.image_folder_root(verify=False, data_dir=fake) == fake / "image_folder"
    with pytest.raises(DataIntegrityError, match="not in"):
        D.image_folder_root(data_dir=tmp_path)
    assert D.image_folder_root(verify=False, data_dir=str(fake)) == fake / "image_folder"  # a str works too
    with pytest.raises(CourseInputError, match="data_dir"):
        D.image_folder_root(data_dir=3)  # type: ignore[arg-type]
    with pytest.raises(CourseInputError, match="data_dir: expected an existing folder"):
        D.image_folder_root(data_dir=tmp_path / "missing")
    with pytest.raises(CourseInputError, match="verify"):
        D.image_folder_root(verify="no")  # type: ignore[arg-type]


def test_read_rgb(root: Path, tmp_path: Path) -> None:
    img = D.read_rgb(root / "coffee" / "000.jpg")
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    bgr = cv2.imread(str(root / "coffee" / "000.jpg"))
    assert np.array_equal(img[..., 0], bgr[..., 2])  # channels swapped to RGB
    with pytest.raises(CourseInputError, match="readable image"):
        D.read_rgb(tmp_path / "missing.jpg")
    with pytest.raises(CourseInputError, match="path"):
        D.read_rgb(42)  # type: ignore[arg-type]


def test_to_tensor() -> None:
    x = D.to_tensor(np.full((4, 5, 3), 255, np.uint8))
    assert x.shape == (3, 4, 5) and x.dtype == torch.float32 and float(x.max()) == 1.0
    with pytest.raises(CourseInputError, match="image_rgb"):
        D.to_tensor(np.zeros((4, 5), np.uint8))


def test_resize() -> None:
    x = D.Resize(32)(np.zeros((50, 70, 3), np.uint8))
    assert x.shape == (3, 32, 32)
    with pytest.raises(CourseInputError, match="size"):
        D.Resize(0)


def test_resize_refuses_a_bool_size() -> None:
    # Resize(True) used to be accepted (True is an int) and make 1 x 1 images
    with pytest.raises(CourseInputError, match="size: expected an int"):
        D.Resize(True)


@pytest.mark.parametrize("bad, match", [
    ([1, 2], "NumPy array"),
    (np.zeros((0, 5, 3), np.uint8), "non-empty"),
    (np.zeros((5, 5, 3), np.int64), "uint8"),
    (np.zeros((5, 5), np.uint8), "grey"),
    (np.zeros((5, 5, 4), np.uint8), "4 channels"),
])
def test_transforms_refuse_bad_images_without_opencv_messages(bad, match) -> None:
    for transform in (D.Resize(8), D.Augment(8)):
        with pytest.raises(CourseInputError, match=match) as info:
            transform(bad)
        assert "OpenCV" not in str(info.value) and "cv::" not in str(info.value)


def test_augment_refuses_a_float_image() -> None:
    # a float image in [0, 1] used to be divided by 255 a second time: a near-black result (mean 0.0019)
    img = np.random.default_rng(0).random((60, 50, 3)).astype(np.float32)
    with pytest.raises(CourseInputError, match="uint8"):
        D.Augment(32)(img)
    x = D.Augment(32)((img * 255).round().astype(np.uint8))
    assert float(x.mean()) > 0.2


def test_augment_is_random_but_seedable() -> None:
    img = (np.arange(120 * 90 * 3) % 251).astype(np.uint8).reshape(120, 90, 3)
    aug = D.Augment(64)
    torch.manual_seed(0)
    a = aug(img)
    b = aug(img)
    torch.manual_seed(0)
    a2 = aug(img)
    assert a.shape == (3, 64, 64) and a.dtype == torch.float32
    assert 0.0 <= float(a.min()) and float(a.max()) <= 1.0
    assert torch.equal(a, a2) and not torch.equal(a, b)
    torch.manual_seed(0)
    u8 = D.Augment(64, as_uint8=True)(img)
    assert u8.dtype == torch.uint8 and (u8.float() / 255 - a).abs().max() <= 0.5 / 255 + 1e-6
    with pytest.raises(CourseInputError, match="max_degrees"):
        D.Augment(64, max_degrees=-1)
    with pytest.raises(CourseInputError, match="noise_std"):
        D.Augment(64, noise_std=-0.1)
    with pytest.raises(CourseInputError, match="as_uint8"):
        D.Augment(64, as_uint8=1)  # type: ignore[arg-type]
    with pytest.raises(CourseInputError, match="max_degrees: expected a finite number"):
        D.Augment(64, max_degrees=float("inf"))
    with pytest.raises(CourseInputError, match="size: expected an int"):
        D.Augment(True)


def test_image_folder_dataset(root: Path) -> None:
    ds = D.ImageFolder(root)
    assert len(ds) == 192 and ds.classes == CLASSES
    x, y = ds[40]
    assert x.shape[0] == 3 and y == 1  # items 32..63 are the cat
    assert ds[-1][1] == 5
    sizes = {tuple(ds[i][0].shape) for i in range(0, 192, 16)}
    assert len(sizes) > 1  # the images differ in size on purpose
    with pytest.raises(IndexError, match="index"):
        ds[192]
    with pytest.raises(CourseInputError, match="index"):
        ds[192]
    with pytest.raises(CourseInputError, match="index: expected an int"):
        ds[True]  # used to return item 1
    with pytest.raises(CourseInputError, match="transform"):
        D.ImageFolder(root, transform="resize")  # type: ignore[arg-type]
    with pytest.raises(CourseInputError, match="root"):
        D.ImageFolder(root / "no_such_folder")


def test_image_folder_with_an_empty_class_folder(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    with pytest.raises(CourseInputError, match="found none"):
        D.ImageFolder(tmp_path)


def test_pad_collate() -> None:
    batch = [(torch.ones(3, 4, 6), 0), (torch.ones(3, 5, 2), 1)]
    images, labels, sizes = D.pad_collate(batch)
    assert images.shape == (2, 3, 5, 6)
    assert labels.tolist() == [0, 1] and sizes.tolist() == [[4, 6], [5, 2]]
    assert float(images[0, :, 4:, :].abs().sum()) == 0.0  # padding is zero
    assert float(images[1, :, :, 2:].abs().sum()) == 0.0
    assert float(images[1, :, :5, :2].sum()) == 30.0
    with pytest.raises(CourseInputError, match="batch"):
        D.pad_collate([])
    with pytest.raises(CourseInputError, match="batch item"):
        D.pad_collate([(torch.ones(4, 6), 0)])
    with pytest.raises(CourseInputError, match="channels"):
        D.pad_collate([(torch.ones(3, 4, 6), 0), (torch.ones(1, 4, 6), 0)])
    with pytest.raises(CourseInputError, match="label"):
        D.pad_collate([(torch.ones(3, 4, 6), 1.5)])  # used to become label 1
    with pytest.raises(CourseInputError, match="same dtype"):  # 0.5 used to be cast to uint8 0
        D.pad_collate([(torch.ones(3, 4, 6, dtype=torch.uint8), 0), (torch.full((3, 4, 6), 0.5), 1)])
    assert D.pad_collate([(torch.ones(3, 4, 6), torch.tensor(2))])[1].tolist() == [2]


def test_dataloader_with_workers_and_pad_collate(root: Path) -> None:
    ds = D.ImageFolder(root)
    loader = DataLoader(ds, batch_size=8, shuffle=True, num_workers=2,
                        collate_fn=D.pad_collate, worker_init_fn=D.single_thread_worker,
                        generator=torch.Generator().manual_seed(0))
    seen = 0
    for images, labels, sizes in loader:
        assert images.shape[0] == labels.shape[0] == sizes.shape[0]
        assert images.shape[2] == int(sizes[:, 0].max())
        seen += len(labels)
    assert seen == 192


def test_dataset_works_under_spawn(root: Path) -> None:
    ds = D.ImageFolder(root, transform=D.Resize(32))
    loader = DataLoader(ds, batch_size=64, num_workers=1, multiprocessing_context="spawn",
                        worker_init_fn=D.single_thread_worker)
    x, y = next(iter(loader))
    assert x.shape == (64, 3, 32, 32) and y[0] == 0


def test_image_stream_shards_across_workers(root: Path) -> None:
    samples = D.ImageFolder(root).samples[:12]
    good = DataLoader(D.ImageStream(samples, D.Resize(16)), batch_size=4, num_workers=2)
    bad = DataLoader(D.ImageStream(samples, D.Resize(16), shard=False), batch_size=4,
                     num_workers=2)
    assert D.count_items(good) == 12
    assert D.count_items(bad) == 24  # every worker streams every file
    # without batching each item counts once (it used to count the 3 channels of each image)
    assert D.count_items(DataLoader(D.ImageStream(samples), batch_size=None)) == 12
    with pytest.raises(CourseInputError, match="samples"):
        D.ImageStream([])
    with pytest.raises(CourseInputError, match="samples"):
        D.ImageStream("abc")  # type: ignore[arg-type]
    with pytest.raises(CourseInputError, match=r"samples\[0\]"):
        D.ImageStream([("a.jpg", "cat")])  # type: ignore[list-item]
    with pytest.raises(CourseInputError, match="shard"):
        D.ImageStream(samples, shard="yes")  # type: ignore[arg-type]


def test_single_thread_worker() -> None:
    before_cv, before_torch = cv2.getNumThreads(), torch.get_num_threads()
    try:
        D.single_thread_worker(0)
        assert cv2.getNumThreads() == 1 and torch.get_num_threads() == 1
    finally:
        cv2.setNumThreads(before_cv)
        torch.set_num_threads(before_torch)


def test_count_items() -> None:
    assert D.count_items([(torch.zeros(4, 2), torch.zeros(4))] * 3) == 12
    assert D.count_items([torch.zeros(5, 2)]) == 5
    assert D.count_items([{"x": torch.zeros(4, 2), "y": torch.zeros(4)}] * 2) == 8  # used to count keys: 4
    with pytest.raises(CourseInputError, match="loader"):
        D.count_items(3)  # type: ignore[arg-type]
    with pytest.raises(CourseInputError, match="batch"):
        D.count_items([torch.tensor(1.0)])


def test_time_steps() -> None:
    loader = [(torch.zeros(2), 0)] * 5
    times = D.time_steps(loader, lambda batch: None, max_steps=3)
    assert len(times.wait) == len(times.compute) == 3
    assert 0.0 <= times.wait_fraction <= 1.0
    assert "3 steps" in times.summary() and "first batch after" in times.summary()
    assert D.StepTimes().summary() == "0 steps" and D.StepTimes().wait_fraction == 0.0
    assert len(D.time_steps(loader, lambda batch: None).wait) == 5
    with pytest.raises(CourseInputError, match="step"):
        D.time_steps(loader, "not a function")  # type: ignore[arg-type]
    with pytest.raises(CourseInputError, match="max_steps"):
        D.time_steps(loader, lambda b: None, max_steps=0)
    with pytest.raises(CourseInputError, match="max_steps: expected an int"):
        D.time_steps(loader, lambda b: None, max_steps=True)  # used to run one step


def test_worker_cpu_seconds_counts_busy_workers(root: Path) -> None:
    ds = D.ImageFolder(root, transform=D.Augment(96))
    loader = DataLoader(ds, batch_size=32, num_workers=2, persistent_workers=True,
                        worker_init_fn=D.single_thread_worker)
    D.count_items(loader)  # start the workers
    before = D.worker_cpu_seconds()
    D.count_items(loader)
    D.count_items(loader)
    assert D.worker_cpu_seconds() - before > 0.0
    del loader
