"""Checks for lesson 08 (OpenCV pipelines)."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from course_lib.exercises.core import Exercise, register, require
from course_lib.solutions import lesson08 as solutions


def _test_mask() -> np.ndarray:
    """Five blobs (one of them a ring with a big hole) and three specks of noise."""
    mask = np.zeros((120, 200), np.uint8)
    for x, y in ((25, 30), (75, 30), (125, 30), (175, 30)):
        cv2.circle(mask, (x, y), 15, 255, -1)
    cv2.circle(mask, (60, 85), 28, 255, -1)
    cv2.circle(mask, (60, 85), 16, 0, -1)  # the ring's hole: 800 px, larger than min_area
    for x, y in ((150, 90), (170, 100), (185, 80)):
        cv2.rectangle(mask, (x, y), (x + 2, y + 2), 255, -1)  # 3x3 specks
    return mask


def _check_count(fn: Callable[[np.ndarray, float], int]) -> str:
    mask = _test_mask()
    before = mask.copy()
    got = fn(mask, 100)
    require(np.array_equal(mask, before), "the mask after count_objects", "unchanged",
            "a modified mask", "work on a copy if a step draws into the image.")
    require(isinstance(got, (int, np.integer)), "count_objects(mask, 100)", "an int",
            type(got).__name__, "count the contours that pass the area test and return the number.")
    got = int(got)
    require(got != 8, "count_objects(mask, 100)", 5, got,
            "8 counts the three 3x3 specks too: keep only contours with area >= min_area.")
    require(got not in (6, 9), "count_objects(mask, 100)", 5, got,
            "the ring's hole or the background was counted as an object: use cv2.RETR_EXTERNAL.")
    require(got == 5, "count_objects(mask, 100)", 5, got,
            "cv2.findContours(mask, cv2.RETR_EXTERNAL, ...) then filter with cv2.contourArea.")
    require(int(fn(np.zeros((40, 40), np.uint8), 1)) == 0, "count_objects(empty mask, 1)", 0,
            int(fn(np.zeros((40, 40), np.uint8), 1)), "an empty mask holds no objects.")
    return "count_objects finds the 5 blobs and ignores the ring's hole and the specks."


def _check_homography(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> str:
    h = np.array([[0.9, -0.05, 40.0], [0.06, 0.92, 30.0], [2e-4, 1e-4, 1.0]])
    points = np.array([[0.0, 0.0], [511.0, 0.0], [511.0, 511.0], [100.0, 300.0]])
    expected = cv2.perspectiveTransform(points.reshape(-1, 1, 2), h).reshape(-1, 2)
    got = np.asarray(fn(h, points.copy()), dtype=np.float64)
    require(got.shape == (4, 2), "apply_homography(h, points).shape", (4, 2), got.shape,
            "return one (x, y) row per input point: drop the third, homogeneous coordinate.")
    no_divide = (np.hstack([points, np.ones((4, 1))]) @ h.T)[:, :2]
    require(not np.allclose(got, no_divide), "apply_homography(h, points)",
            np.round(expected, 2).tolist(), np.round(got, 2).tolist(),
            "divide x' and y' by the third coordinate w' = h[2] @ (x, y, 1).")
    require(np.allclose(got, expected, atol=1e-6), "apply_homography(h, points)",
            np.round(expected, 2).tolist(), np.round(got, 2).tolist(),
            "multiply (x, y, 1) by h (not by its transpose), then divide by the third entry.")
    return "apply_homography agrees with cv2.perspectiveTransform, perspective divide included."


def _check_depth(fn: Callable[[np.ndarray, float, float, float], np.ndarray]) -> str:
    # calibration of scikit-image's down-sampled Middlebury motorcycle pair
    focal, baseline, doffs = 994.978, 0.193001, 31.086
    disparity = np.array([[10.0, 40.0], [59.0, -1.0]])
    expected = solutions.disparity_to_depth(disparity, focal, baseline, doffs)
    got = np.asarray(fn(disparity.copy(), focal, baseline, doffs), dtype=np.float64)
    require(got.shape == disparity.shape, "depth.shape", disparity.shape, got.shape,
            "return one depth per disparity pixel.")
    no_doffs = baseline * focal / disparity[0, 0]
    require(not np.isclose(got[0, 0], no_doffs), "depth at disparity 10 px",
            f"{expected[0, 0]:.3f} m", f"{got[0, 0]:.3f} m",
            "the two cameras' principal points differ by doffs: divide by (disparity + doffs).")
    require(np.allclose(got[np.isfinite(expected)], expected[np.isfinite(expected)], rtol=1e-6),
            "depth for disparities 10, 40, 59 px",
            np.round(expected[np.isfinite(expected)], 3).tolist(),
            np.round(got[np.isfinite(expected)], 3).tolist(),
            "depth = baseline * focal / (disparity + doffs): far objects have small disparity.")
    require(bool(np.isnan(got[1, 1])), "depth where disparity is -1 (no match)", "nan",
            got[1, 1], "mark unmatched pixels (negative disparity) as np.nan, not a depth.")
    return "disparity_to_depth gives metres from pixels and NaN where the matcher found nothing."


register(Exercise(
    id="08.count_objects",
    title="Count the objects in a binary mask",
    checker=_check_count,
    solution=solutions.count_objects,
    wrong=(
        lambda: (lambda m, a: len(cv2.findContours(m, cv2.RETR_EXTERNAL,
                                                   cv2.CHAIN_APPROX_SIMPLE)[0])),
        lambda: (lambda m, a: sum(1 for c in cv2.findContours(m, cv2.RETR_LIST,
                                                              cv2.CHAIN_APPROX_SIMPLE)[0]
                                  if cv2.contourArea(c) >= a)),
        lambda: (lambda m, a: cv2.connectedComponents(m)[0]),
    ),
))

register(Exercise(
    id="08.apply_homography",
    title="Send points through a homography",
    checker=_check_homography,
    solution=solutions.apply_homography,
    wrong=(
        lambda: (lambda h, p: (np.hstack([p, np.ones((len(p), 1))]) @ h.T)[:, :2]),
        lambda: (lambda h, p: (lambda q: q[:, :2] / q[:, 2:3])(
            np.hstack([p, np.ones((len(p), 1))]) @ h)),
    ),
))

register(Exercise(
    id="08.disparity_to_depth",
    title="Turn disparity into depth",
    checker=_check_depth,
    solution=solutions.disparity_to_depth,
    wrong=(
        lambda: (lambda d, f, b, o: b * f / d),
        lambda: (lambda d, f, b, o: np.where(d >= 0, f * d / b, np.nan)),
        lambda: (lambda d, f, b, o: b * f / (d + o)),
    ),
))
