"""Known truths for three OpenCV applications of lesson 08: panoramas, camera motion, point clouds.

Each helper either makes test data whose answer is known (overlapping views cut from a photo
with their true homographies, the frames a camera window sees along a known path) or measures
how far an answer is from that truth, in units that mean something (grey levels, pixels,
percent of the depth). The OpenCV calls themselves stay in the lesson.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from course_lib.errors import (
    CourseInputError,
    describe,
    expect,
    expect_array,
    expect_fields,
    expect_int,
    expect_number,
    wrapped,
)


# -- shared checks ------------------------------------------------------------------------------
def _expect_image(image: object, name: str) -> np.ndarray:
    """A uint8 image of shape (H, W) or (H, W, 3), at least 16 x 16 pixels."""
    arr = expect_array(image, name, ndim=(2, 3), dtype="uint8",
                      what="a uint8 image of shape (H, W) or (H, W, 3)")
    expect(arr.ndim == 2 or arr.shape[2] == 3, name, "a grey (H, W) or colour (H, W, 3) image", image)
    expect(arr.shape[0] >= 16 and arr.shape[1] >= 16, name, "an image of at least 16 x 16 pixels", image)
    return arr


def _expect_homography(h: object, name: str) -> np.ndarray:
    arr = expect_array(h, name, shape=(3, 3), finite=True, what="a 3x3 NumPy array (a homography)")
    expect(abs(np.linalg.det(arr.astype(np.float64))) > 1e-12, name, "an invertible 3x3 homography", h)
    return arr.astype(np.float64)


def _expect_size(size: object, name: str = "size") -> tuple[int, int]:
    expect(isinstance(size, tuple) and len(size) == 2, name, "a (width, height) tuple of ints", size)
    assert isinstance(size, tuple)
    width = expect_int(size[0], f"{name}[0] (width)", low=16)
    height = expect_int(size[1], f"{name}[1] (height)", low=16)
    return width, height


def _corners(width: float, height: float) -> np.ndarray:
    return np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float64)


def _fits(h: np.ndarray, width: float, height: float, shape: tuple[int, ...]) -> bool:
    """Whether a (width x height) window sent through ``h`` stays inside an image of ``shape``."""
    c = cv2.perspectiveTransform(_corners(width, height).reshape(-1, 1, 2), h).reshape(-1, 2)
    return bool((c >= -1e-6).all() and (c[:, 0] <= shape[1] + 1e-6).all()
                and (c[:, 1] <= shape[0] + 1e-6).all())


# -- panoramas ----------------------------------------------------------------------------------
def overlapping_views(image: np.ndarray, n_views: int = 3, overlap: float = 0.45,
                      angles_deg: Sequence[float] | None = None, scales: Sequence[float] | None = None,
                      height_fraction: float = 0.8,
                      margin_fraction: float = 0.04) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Cut ``n_views`` overlapping views out of ``image``, left to right; return them and their homographies.

    Neighbouring views share ``overlap`` of their width. View ``i`` is turned by ``angles_deg[i]``
    degrees (its window turns counter-clockwise on the screen for a positive angle) and magnified
    by ``scales[i]`` about its centre. Each homography maps a view's pixel (x, y) to the photo's."""
    img = _expect_image(image, "image")
    n = expect_int(n_views, "n_views", low=2, high=8)
    ov = expect_number(overlap, "overlap", low=0.05, high=0.9)
    frac = expect_number(height_fraction, "height_fraction", low=0.2, high=1.0)
    margin = expect_number(margin_fraction, "margin_fraction", low=0.0, high=0.25)
    angles = _per_view(angles_deg, n, "angles_deg", 0.0, low=-30.0, high=30.0)
    zooms = _per_view(scales, n, "scales", 1.0, low=0.5, high=2.0)
    height, width = img.shape[:2]
    m = margin * width
    view_w = int(round((width - 2 * m) / (1 + (n - 1) * (1 - ov))))
    view_h = int(round(height * frac))
    step = (width - 2 * m - view_w) / (n - 1)
    top = (height - view_h) / 2
    views, homographies = [], []
    for i in range(n):
        turn = np.vstack([cv2.getRotationMatrix2D((view_w / 2, view_h / 2), angles[i], 1.0 / zooms[i]),
                          [0.0, 0.0, 1.0]])
        shift = np.array([[1.0, 0.0, m + i * step], [0.0, 1.0, top], [0.0, 0.0, 1.0]])
        h = shift @ turn
        if not _fits(h, view_w, view_h, img.shape):
            raise CourseInputError(
                f"overlapping_views: expected views that fit inside the {width} x {height} image, got "
                f"view {i} (angle {angles[i]:g} deg, scale {zooms[i]:g}) reaching outside it; use a "
                "smaller angle, a larger scale, a lower height_fraction or a wider margin_fraction.")
        views.append(cv2.warpPerspective(img, h, (view_w, view_h),
                                         flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                         borderMode=cv2.BORDER_REPLICATE))
        homographies.append(h)
    return views, homographies


def _per_view(values: Sequence[float] | None, n: int, name: str, default: float, *, low: float,
              high: float) -> list[float]:
    if values is None:
        return [default] * n
    expect(isinstance(values, (list, tuple, np.ndarray)) and len(values) == n, name,
           f"a list of {n} numbers, one per view", values)
    return [expect_number(v, f"{name}[{i}]", low=low, high=high) for i, v in enumerate(values)]


@dataclass(frozen=True)
class PanoramaError:
    """How far a panorama, put into the photo's frame, is from the photo where it has content."""

    mean_abs: float  # mean |panorama - photo|, grey levels (0-255), over covered pixels and channels
    median_abs: float  # median of the same
    coverage: float  # share of the photo's pixels that the panorama covers

    def __post_init__(self) -> None:
        expect_fields(self)

    def __str__(self) -> str:
        return (f"mean |difference| {self.mean_abs:.1f} grey levels, median {self.median_abs:.1f}, "
                f"over {100 * self.coverage:.0f}% of the photo")


def panorama_error(panorama: np.ndarray, image: np.ndarray, h_to_image: np.ndarray | None = None,
                   mask: np.ndarray | None = None, border: int = 3) -> PanoramaError:
    """Warp ``panorama`` into ``image``'s frame (``h_to_image``: panorama pixel -> photo pixel) and compare.

    ``mask`` marks the panorama's pixels that hold content (default: those that are not pure
    black, which is what cv2.Stitcher leaves empty); ``border`` pixels along its edge are dropped."""
    pano = _expect_image(panorama, "panorama")
    img = _expect_image(image, "image")
    expect(pano.ndim == img.ndim, "panorama", f"the image's channels ({describe(img)})", panorama)
    h = np.eye(3) if h_to_image is None else _expect_homography(h_to_image, "h_to_image")
    if mask is None:
        content = (pano.reshape(*pano.shape[:2], -1).max(axis=2) > 0)
    else:
        arr = expect_array(mask, "mask", shape=pano.shape[:2], dtype=("bool", "uint8"),
                          what="a bool or uint8 mask of the panorama's (H, W)")
        content = arr > 0
    expect(bool(content.any()), "mask" if mask is not None else "panorama",
           "some pixels that hold content (the panorama is all black, or the mask all False; pass mask= "
           "to say which pixels count)", mask if mask is not None else panorama)
    b = expect_int(border, "border", low=0, high=50)
    height, width = img.shape[:2]
    with wrapped(f"panorama_error(panorama of shape {pano.shape}, image of shape {img.shape})"):
        warped = cv2.warpPerspective(pano, h, (width, height), flags=cv2.INTER_LINEAR)
        valid = cv2.warpPerspective(content.astype(np.uint8) * 255, h, (width, height),
                                    flags=cv2.INTER_NEAREST)
    if b:
        valid = cv2.erode(valid, np.ones((2 * b + 1, 2 * b + 1), np.uint8))
    covered = valid == 255
    if not covered.any():
        raise CourseInputError("h_to_image: expected a homography that puts the panorama onto the image, "
                               "got one that leaves no pixel in common (is it inverted?).")
    diff = np.abs(warped.astype(np.float64) - img.astype(np.float64))
    per_pixel = diff.reshape(height, width, -1).mean(axis=2)[covered]
    return PanoramaError(float(per_pixel.mean()), float(np.median(per_pixel)), float(covered.mean()))


# -- camera motion ------------------------------------------------------------------------------
def camera_path(image: np.ndarray, n_frames: int = 60, size: tuple[int, int] = (240, 180),
                amplitude: tuple[float, float] = (100.0, 80.0),
                max_angle_deg: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """The frames a camera window sees on a figure-of-eight over ``image``; return frames and true poses.

    The window (``size`` = width, height) starts at the photo's centre, swings ``amplitude``
    pixels left/right and up/down and turns back and forth by up to ``max_angle_deg``, ending
    where it began. Frames: (N, h, w) or (N, h, w, 3) uint8; poses: (N, 3, 3), frame pixel -> photo pixel."""
    img = _expect_image(image, "image")
    n = expect_int(n_frames, "n_frames", low=2, high=1000)
    width, height = _expect_size(size)
    expect(isinstance(amplitude, tuple) and len(amplitude) == 2, "amplitude",
           "an (x, y) tuple of pixels", amplitude)
    ax = expect_number(amplitude[0], "amplitude[0] (x)", low=0.0)
    ay = expect_number(amplitude[1], "amplitude[1] (y)", low=0.0)
    turn = expect_number(max_angle_deg, "max_angle_deg", low=0.0, high=45.0)
    t = np.arange(n) / (n - 1)
    centres = np.stack([img.shape[1] / 2 + ax * np.sin(2 * np.pi * t),
                        img.shape[0] / 2 + ay * np.sin(4 * np.pi * t)], axis=1)
    angles = np.deg2rad(turn * np.sin(2 * np.pi * t))
    frame_centre = np.array([(width - 1) / 2, (height - 1) / 2])
    frames, poses = [], []
    for (x, y), a in zip(centres, angles, strict=True):
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        pose = np.eye(3)
        pose[:2, :2] = rot
        pose[:2, 2] = np.array([x, y]) - rot @ frame_centre
        if not _fits(pose, width - 1, height - 1, img.shape):
            raise CourseInputError(
                f"camera_path: expected a path that keeps the {width} x {height} window inside the "
                f"{img.shape[1]} x {img.shape[0]} image, got amplitude {amplitude} and max_angle_deg "
                f"{turn:g} that take it outside; use a smaller size, amplitude or angle.")
        frames.append(cv2.warpAffine(img, pose[:2], (width, height),
                                     flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                                     borderMode=cv2.BORDER_REPLICATE))
        poses.append(pose)
    return np.stack(frames), np.stack(poses)


def _expect_poses(poses: object, name: str) -> np.ndarray:
    arr = expect_array(poses, name, ndim=3, finite=True, what="an (N, 3, 3) NumPy array of poses")
    expect(arr.shape[1:] == (3, 3) and arr.shape[0] >= 1, name, "an (N, 3, 3) array of poses, N >= 1", poses)
    return arr.astype(np.float64)


def centre_path(poses: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Where the centre of a (width, height) frame lies in the photo for each pose: an (N, 2) array (x, y)."""
    p = _expect_poses(poses, "poses")
    width, height = _expect_size(size)
    centre = np.array([(width - 1) / 2, (height - 1) / 2, 1.0])
    out = p @ centre
    return out[:, :2] / out[:, 2:]


@dataclass(frozen=True)
class MotionError:
    """How far an estimated camera path is from the true one, measured at the frame's centre."""

    mean_step: float  # mean |estimated - true| motion from one frame to the next, pixels
    max_step: float  # the largest such error, pixels
    drift: float  # distance between the estimated and the true last position, pixels

    def __post_init__(self) -> None:
        expect_fields(self)

    def __str__(self) -> str:
        return (f"per-frame motion error: mean {self.mean_step:.2f} px, max {self.max_step:.2f} px; "
                f"end-point drift {self.drift:.2f} px")


def motion_error(estimated: np.ndarray, truth: np.ndarray, size: tuple[int, int]) -> MotionError:
    """Compare two (N, 3, 3) pose sequences (frame pixel -> photo pixel) step by step and at the end."""
    est = _expect_poses(estimated, "estimated")
    true = _expect_poses(truth, "truth")
    if est.shape != true.shape:
        raise CourseInputError(f"estimated: expected the truth's shape {true.shape}, "
                               f"got {describe(estimated)}.")
    expect(est.shape[0] >= 2, "estimated", "at least 2 poses (one step of motion)", estimated)
    a, b = centre_path(est, size), centre_path(true, size)
    step = np.linalg.norm(np.diff(a, axis=0) - np.diff(b, axis=0), axis=1)
    return MotionError(float(step.mean()), float(step.max()), float(np.linalg.norm(a[-1] - b[-1])))


# -- stereo point clouds ------------------------------------------------------------------------
def stereo_q_matrix(focal_px: float, baseline_m: float, cx_px: float, cy_px: float,
                    doffs_px: float = 0.0) -> np.ndarray:
    """The 4x4 matrix Q that cv2.reprojectImageTo3D needs for a rectified pair, from its calibration.

    Q sends (x, y, disparity, 1) to (X, Y, Z, W) with W = (disparity + doffs) / baseline, so
    Z / W = focal * baseline / (disparity + doffs), in the baseline's unit."""
    f = expect_number(focal_px, "focal_px", low=0.0, low_open=True)
    b = expect_number(baseline_m, "baseline_m", low=0.0, low_open=True)
    cx = expect_number(cx_px, "cx_px")
    cy = expect_number(cy_px, "cy_px")
    doffs = expect_number(doffs_px, "doffs_px")
    return np.array([[1.0, 0.0, 0.0, -cx],
                     [0.0, 1.0, 0.0, -cy],
                     [0.0, 0.0, 0.0, f],
                     [0.0, 0.0, 1.0 / b, doffs / b]])


@dataclass(frozen=True)
class DepthError:
    """How far a depth map is from the depth of a ground-truth disparity, relative to that depth."""

    median_relative: float  # median |depth - true depth| / true depth over pixels both know
    within: float  # share of those pixels off by at most ``tolerance`` (relative)
    tolerance: float
    coverage: float  # share of the ground-truth pixels that got a depth at all

    def __post_init__(self) -> None:
        expect_fields(self, nan_ok=("median_relative", "within") if self.coverage == 0 else ())

    def __str__(self) -> str:
        return (f"median relative depth error {100 * self.median_relative:.2f}%, "
                f"{100 * self.within:.1f}% of pixels within {100 * self.tolerance:g}%, "
                f"{100 * self.coverage:.1f}% of pixels covered")


def depth_error(depth: np.ndarray, disparity_true: np.ndarray, focal_px: float, baseline_m: float,
                doffs_px: float = 0.0, tolerance: float = 0.05) -> DepthError:
    """Compare a depth map (NaN, inf or <= 0: no depth) with focal * baseline / (disparity_true + doffs).

    ``disparity_true`` is a ground-truth disparity map in pixels, inf or NaN where unknown."""
    z = expect_array(depth, "depth", ndim=2, dtype="float", what="a 2-D float NumPy array (H, W) of depths")
    d = expect_array(disparity_true, "disparity_true", ndim=2, dtype="float",
                    what="a 2-D float NumPy array (H, W) of disparities")
    if z.shape != d.shape:
        raise CourseInputError(f"depth: expected the ground truth's shape {d.shape}, got {describe(depth)}.")
    f = expect_number(focal_px, "focal_px", low=0.0, low_open=True)
    b = expect_number(baseline_m, "baseline_m", low=0.0, low_open=True)
    doffs = expect_number(doffs_px, "doffs_px")
    tol = expect_number(tolerance, "tolerance", low=0.0, high=1.0, low_open=True)
    with np.errstate(invalid="ignore"):
        known = np.isfinite(d) & (d + doffs > 0)
    expect(bool(known.any()), "disparity_true", "at least one finite disparity above -doffs", disparity_true)
    z_true = np.where(known, f * b / np.where(known, d + doffs, 1.0), np.nan)
    with np.errstate(invalid="ignore"):
        both = known & np.isfinite(z) & (z > 0)
    if not both.any():
        return DepthError(float("nan"), float("nan"), tol, 0.0)
    rel = np.abs(z[both].astype(np.float64) - z_true[both]) / z_true[both]
    return DepthError(float(np.median(rel)), float(np.mean(rel <= tol)), tol, float(both.sum() / known.sum()))
