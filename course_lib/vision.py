"""OpenCV images and torch tensors: conversions, plus small measuring helpers for the OpenCV lessons.

OpenCV keeps an image as a NumPy array of shape (height, width, channels) with the
channels in blue-green-red order and, usually, dtype uint8. A torch vision model wants a
float tensor of shape (batch, channels, height, width). The functions here convert between
the two and refuse, with a clear :class:`~course_lib.errors.CourseInputError`, anything
that does not have the layout they expect.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from course_lib.errors import (
    CourseInputError,
    describe,
    expect,
    expect_array,
    expect_fields,
    expect_int,
    expect_number,
    expect_path,
    expect_tensor,
)


def _expect_color_image(image: object, name: str = "image", *, uint8: bool = False,
                       grey: bool = False) -> np.ndarray:
    """``image`` if it is a non-empty (H, W, 3) NumPy image; ``grey``: (H, W) too; ``uint8``: dtype uint8."""
    shapes = "(H, W, 3) or (H, W)" if grey else "(H, W, 3)"
    arr = expect_array(image, name, what=f"a NumPy array of shape {shapes}")
    if arr.ndim == 3 and arr.shape[2] == 4:
        raise CourseInputError(f"{name}: expected a colour image of shape {shapes}, got {describe(arr)}: its "
                               "4 channels are colour plus alpha (RGBA or BGRA); drop the alpha with "
                               "image[:, :, :3].")
    if arr.ndim == 2 and not grey:
        raise CourseInputError(f"{name}: expected a colour image of shape (H, W, 3), got {describe(arr)}, a "
                               "grey image with no colour channels; make it colour with "
                               "cv2.cvtColor(image, cv2.COLOR_GRAY2RGB).")
    expect((arr.ndim == 3 and arr.shape[2] == 3) or (grey and arr.ndim == 2), name,
           f"a colour image of shape {shapes}", arr)
    expect(arr.shape[0] > 0 and arr.shape[1] > 0, name, "a non-empty image", arr)
    if uint8:
        expect(arr.dtype == np.uint8, name, "a uint8 image (values 0 to 255, as cv2.imread gives); scale a "
               "float image in [0, 1] with (x * 255).round().astype(np.uint8)", arr)
    return arr


def bgr_to_rgb(image: np.ndarray) -> np.ndarray:
    """Swap the channel order of an (H, W, 3) image from OpenCV's BGR to RGB (a new array)."""
    image = _expect_color_image(image)
    return np.ascontiguousarray(image[:, :, ::-1])


def rgb_to_bgr(image: np.ndarray) -> np.ndarray:
    """Swap the channel order of an (H, W, 3) image from RGB to OpenCV's BGR (a new array)."""
    image = _expect_color_image(image)
    return np.ascontiguousarray(image[:, :, ::-1])


def image_to_tensor(image: np.ndarray, mean: tuple[float, ...] | None = None,
                    std: tuple[float, ...] | None = None) -> torch.Tensor:
    """Turn an (H, W) or (H, W, C) uint8 image into a (1, C, H, W) float32 tensor in [0, 1], then normalise.

    With ``mean`` and ``std`` (one value per channel, on the [0, 1] scale: values above 1, on the
    0-255 scale, are refused) each channel becomes ``(x - mean) / std``. The channel order is
    kept: convert BGR to RGB first if your model was trained on RGB.
    """
    expect_array(image, "image", ndim=(2, 3), what="a NumPy array of shape (H, W) or (H, W, C)")
    expect(image.dtype == np.uint8, "image",
           "dtype uint8 (values 0-255, as cv2.imread gives); scale floats with "
           "(x * 255).round().astype(np.uint8) first", image)
    hwc = image[:, :, None] if image.ndim == 2 else image
    channels = hwc.shape[2]
    expect(channels in (1, 3, 4), "image", "1, 3 or 4 channels in the last axis", image)
    expect(hwc.shape[0] > 0 and hwc.shape[1] > 0, "image", "a non-empty image", image)
    x = torch.from_numpy(np.ascontiguousarray(hwc)).permute(2, 0, 1).float().div_(255.0)
    if (mean is None) != (std is None):
        raise CourseInputError("mean, std: expected both or neither, got "
                               f"mean={mean!r} and std={std!r}.")
    if mean is not None and std is not None:
        values: dict[str, list[float]] = {}
        for name, v in (("mean", mean), ("std", std)):
            expect(isinstance(v, (tuple, list)) and len(v) == channels, name,
                   f"a tuple of {channels} numbers (one per channel)", v)
            values[name] = [expect_number(e, f"{name}[{i}]", low=0, low_open=name == "std")
                            for i, e in enumerate(v)]
            if max(values[name]) > 1:
                raise CourseInputError(f"{name}: expected values on the [0, 1] scale (the image is divided "
                                       f"by 255 first), got {tuple(v)!r}: divide 0-255 values by 255.")
        m = torch.tensor(values["mean"]).view(-1, 1, 1)
        s = torch.tensor(values["std"]).view(-1, 1, 1)
        x = (x - m) / s
    return x.unsqueeze(0)


def tensor_to_image(tensor: torch.Tensor) -> np.ndarray:
    """Turn a (1, C, H, W) or (C, H, W) float tensor with values in [0, 1] into an (H, W, C) uint8 image.

    Values are clipped to [0, 1] and rounded; one channel gives an (H, W) image. This undoes
    :func:`image_to_tensor` without ``mean``/``std``. Refused: NaN, values far outside [0, 1]
    (below -1 or above 2: a 0-255 or normalised tensor) and channels-last (H, W, C) tensors.
    """
    expect_tensor(tensor, "tensor", ndim=(3, 4), what="a torch.Tensor of shape (1, C, H, W) or (C, H, W)")
    x = tensor
    if x.ndim == 4:
        expect(x.shape[0] == 1, "tensor", "a batch of exactly one image, shape (1, C, H, W); "
               "index one image out first, e.g. tensor[0]", tensor)
        x = x[0]
    last = ("; a channels-last (H, W, C) tensor needs .permute(2, 0, 1) first" if x.shape[-1] in (1, 3, 4)
            else "")
    expect(x.shape[0] in (1, 3, 4), "tensor",
           f"1, 3 or 4 channels in the channel axis (channels first, as torch orders them){last}", tensor)
    if x.shape[-1] in (1, 3, 4) and x.shape[-1] < x.shape[0]:
        raise CourseInputError(f"tensor: expected channels first (C, H, W), got {describe(tensor)}, which "
                               f"looks channels-last (H, W, C) with {x.shape[-1]} channels; use "
                               ".permute(2, 0, 1) first.")
    expect(x.is_floating_point(), "tensor", "a floating-point tensor with values in [0, 1]", tensor)
    expect_tensor(x, "tensor", finite=True)
    low, high = (float(v) for v in torch.aminmax(x.detach().float())) if x.numel() else (0.0, 0.0)
    if low < -1.0 or high > 2.0:
        raise CourseInputError(f"tensor: expected values in [0, 1], got {describe(tensor)} with values from "
                               f"{low:.4g} to {high:.4g}: divide by 255 a tensor on the 0-255 scale, and "
                               "undo a mean/std normalisation first.")
    hwc = x.detach().to("cpu", torch.float32).clamp(0.0, 1.0).mul(255.0).round()
    out = hwc.to(torch.uint8).permute(1, 2, 0).contiguous().numpy()
    return out[:, :, 0] if out.shape[2] == 1 else out


def _expect_box(box: Any, name: str) -> None:
    expect(isinstance(box, (tuple, list)) and len(box) == 4, name, "a box (x, y, width, height) of 4 numbers",
           box)
    _, _, w, h = (expect_number(v, f"{name}[{i}] of the box (x, y, width, height)")
                  for i, v in enumerate(box))
    if not (w > 0 and h > 0):
        raise CourseInputError(f"{name}: expected a box (x, y, width, height) with width and height above 0, "
                               f"got {tuple(box)!r}.")


def box_iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two (x, y, width, height) boxes: 1 for the same box, 0 apart."""
    _expect_box(a, "a")
    _expect_box(b, "b")
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    inter = max(0.0, float(w)) * max(0.0, float(h))
    return inter / (float(a[2]) * float(a[3]) + float(b[2]) * float(b[3]) - inter)


def homography_corner_error(h_est: np.ndarray, h_true: np.ndarray, width: int,
                            height: int) -> float:
    """Mean distance in pixels between where two 3x3 homographies send the image's four corners.

    Refused: NaN or infinite entries, and a homography that sends a corner to infinity."""
    for name, v in (("width", width), ("height", height)):
        expect_int(v, name, low=1)
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]],
                       dtype=np.float64).reshape(-1, 1, 2)
    for name, h in (("h_est", h_est), ("h_true", h_true)):
        expect_array(h, name, shape=(3, 3), dtype=("float", "int"), finite=True, what="a 3x3 NumPy array")
        w = corners.reshape(-1, 2) @ h[2, :2].astype(np.float64) + float(h[2, 2])
        if not (np.abs(w) > 1e-12 * max(float(np.abs(h).max()), 1e-300)).all():
            raise CourseInputError(f"{name}: expected a homography that maps the image's corners to points, "
                                   f"got one that sends a corner to infinity (third row {h[2].tolist()}).")
    a = cv2.perspectiveTransform(corners, h_est.astype(np.float64))
    b = cv2.perspectiveTransform(corners, h_true.astype(np.float64))
    return float(np.linalg.norm(a - b, axis=2).mean())


@dataclass(frozen=True)
class DisparityError:
    """How far a computed disparity map is from the ground truth, over pixels both have."""

    mean_abs: float  # mean |disparity - ground truth| in pixels
    median_abs: float  # median of the same
    bad_fraction: float  # share of compared pixels that are off by more than ``threshold``
    threshold: float  # pixels
    coverage: float  # share of ground-truth pixels that got a disparity at all

    def __post_init__(self) -> None:
        expect_fields(self, nan_ok=("mean_abs", "median_abs", "bad_fraction") if self.coverage == 0 else ())

    def __str__(self) -> str:
        return (f"mean |error| {self.mean_abs:.2f} px, median {self.median_abs:.2f} px, "
                f"{100 * self.bad_fraction:.1f}% off by > {self.threshold:g} px, "
                f"{100 * self.coverage:.1f}% of pixels covered")


def disparity_error(disparity: np.ndarray, ground_truth: np.ndarray,
                    threshold: float = 2.0) -> DisparityError:
    """Compare a disparity map (negative = no match, OpenCV's mark) with ground truth (inf/NaN = unknown)."""
    expect_array(disparity, "disparity", ndim=2, what="a 2-D NumPy array (H, W)")
    expect_array(ground_truth, "ground_truth", ndim=2, dtype=("float", "int"),
                 what="a 2-D NumPy array (H, W)")
    if disparity.shape != ground_truth.shape:
        raise CourseInputError(f"disparity: expected the ground truth's shape "
                               f"{ground_truth.shape}, got {describe(disparity)}.")
    expect(np.issubdtype(disparity.dtype, np.floating), "disparity",
           "float pixels (OpenCV's StereoSGBM gives int16 in 1/16 px: divide by 16.0 first)",
           disparity)
    expect_number(threshold, "threshold", low=0, low_open=True)
    known = np.isfinite(ground_truth)
    expect(bool(known.any()), "ground_truth", "at least one finite value", ground_truth)
    both = known & np.isfinite(disparity) & (disparity >= 0)
    if not both.any():
        return DisparityError(float("nan"), float("nan"), float("nan"), float(threshold), 0.0)
    err = np.abs(disparity[both].astype(np.float64) - ground_truth[both])
    return DisparityError(float(err.mean()), float(np.median(err)), float(np.mean(err > threshold)),
                          float(threshold), float(both.sum() / known.sum()))


def write_moving_disc_video(path: str | Path, n_frames: int = 60, size: tuple[int, int] = (320, 240),
                            fps: float = 25.0, radius: int = 14,
                            background: np.ndarray | None = None,
                            empty_frames: int = 0) -> np.ndarray:
    """Write an MJPG .avi of a bright disc gliding over a static background; return its true centres.

    The first ``empty_frames`` frames show the background alone (as a camera sees a scene
    before anything enters it); then the disc moves on a smooth figure-of-eight. The
    returned array has shape (n_frames, 2) and holds the (x, y) centre drawn in each frame,
    NaN for the empty ones. ``background`` is a BGR uint8 image resized to ``size``
    (width, height); without one, a fixed grey gradient is used.
    """
    p = expect_path(path, "path")
    expect(p.suffix.lower() == ".avi", "path", "a file name ending in .avi (MJPG works everywhere)",
           str(path))
    expect(p.parent.is_dir(), "path", "a file in an existing folder", str(path))
    n_frames = expect_int(n_frames, "n_frames", low=2)
    expect(isinstance(size, tuple) and len(size) == 2, "size", "a (width, height) tuple of ints >= 32", size)
    width, height = (expect_int(v, "size", low=32) for v in size)
    expect_number(fps, "fps", low=1)  # OpenCV's MJPG writer needs at least 1 frame per second
    empty_frames = expect_int(empty_frames, "empty_frames", low=0, high=n_frames - 1)
    radius = expect_int(radius, "radius", low=2, high=min(width, height) // 4 - 1)
    if background is None:
        ramp = np.linspace(40, 120, width, dtype=np.float32)[None, :] + np.linspace(
            0, 40, height, dtype=np.float32)[:, None]
        bg = cv2.cvtColor(ramp.astype(np.uint8), cv2.COLOR_GRAY2BGR)
    else:
        bg = _expect_color_image(background, "background", uint8=True)
        bg = cv2.resize(bg, (width, height), interpolation=cv2.INTER_AREA)
    writer = cv2.VideoWriter(str(p), cv2.VideoWriter.fourcc(*"MJPG"), float(fps), (width, height))
    if not writer.isOpened():  # pragma: no cover - MJPG is built into every OpenCV wheel
        raise RuntimeError("OpenCV could not open a video writer for MJPG .avi files.")
    t = np.arange(n_frames - empty_frames) / (n_frames - empty_frames)
    margin = radius + 4
    xs = width / 2 + (width / 2 - margin) * np.sin(2 * np.pi * t)
    ys = height / 2 + (height / 2 - margin) * np.sin(4 * np.pi * t) * 0.8
    centres = np.full((n_frames, 2), np.nan)
    centres[empty_frames:] = np.round(np.stack([xs, ys], axis=1))
    try:
        for centre in centres:
            frame = bg.copy()
            if not np.isnan(centre[0]):
                cv2.circle(frame, (int(centre[0]), int(centre[1])), radius, (40, 220, 250),
                           thickness=-1, lineType=cv2.LINE_AA)
            writer.write(frame)
    finally:
        writer.release()
    return centres


@lru_cache(maxsize=1)
def _face_cascade() -> object:
    from skimage import data
    from skimage.feature import Cascade

    return Cascade(data.lbp_frontal_face_cascade_filename())


def detect_faces(image_rgb: np.ndarray, scale_factor: float = 1.2, min_size: int = 60,
                 max_size: int = 300) -> list[tuple[int, int, int, int]]:
    """Frontal faces as OpenCV-style (x, y, w, h) boxes, left to right, found by OpenCV's LBP cascade.

    OpenCV 5 moved ``CascadeClassifier`` to opencv-contrib, so the trained cascade that
    scikit-image ships (``lbpcascade_frontalface_opencv.xml``) runs in scikit-image's reader.
    """
    _expect_color_image(image_rgb, "image_rgb", uint8=True, grey=True)
    expect_number(scale_factor, "scale_factor (the step between window sizes)", low=1, low_open=True)
    min_size = expect_int(min_size, "min_size", low=24)
    max_size = expect_int(max_size, "max_size", low=min_size)
    found = _face_cascade().detect_multi_scale(  # type: ignore[attr-defined]
        img=np.ascontiguousarray(image_rgb), scale_factor=float(scale_factor), step_ratio=1,
        min_size=(min_size, min_size), max_size=(max_size, max_size))
    boxes = [(int(d["c"]), int(d["r"]), int(d["width"]), int(d["height"])) for d in found]
    return sorted(boxes)
