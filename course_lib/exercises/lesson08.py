"""Checks for lesson 08 (OpenCV pipelines)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from course_lib.errors import is_int
from course_lib.exercises.core import Exercise, Wrong, register, require
from course_lib.solutions import lesson08 as solutions

# ---------------------------------------------------------------------------------------------
# 08.count_objects


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


def _ring_mask() -> np.ndarray:
    """One ring (an object with a hole of about 700 px) in a non-square mask."""
    mask = np.zeros((70, 90), np.uint8)
    cv2.circle(mask, (45, 35), 30, 255, -1)
    cv2.circle(mask, (45, 35), 15, 0, -1)
    return mask


_SIDES = (5, 10, 15, 25, 40)  # squares whose areas lie far apart, whichever way area is measured


def _squares_mask() -> np.ndarray:
    mask = np.zeros((50, 130), np.uint8)
    x = 0  # the first square touches the left and top borders
    for side in _SIDES:
        cv2.rectangle(mask, (x, 0), (x + side - 1, side - 1), 255, -1)
        x += side + 3
    return mask


def _areas(canvas: np.ndarray) -> tuple[float, float] | None:
    """(contour area, pixel count) of the one object on ``canvas``; None if it is not one object."""
    contours, _ = cv2.findContours(canvas, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if len(contours) != 1 or cv2.connectedComponents(canvas)[0] != 2:
        return None
    return float(cv2.contourArea(contours[0])), float(np.count_nonzero(canvas))


def _random_mask(rng: np.random.Generator) -> tuple[np.ndarray, list[float]]:
    """A mask of random size with random rectangles, discs, rings and specks (some cut by the
    border), and thresholds that no object's area comes near, however area is measured."""
    height, width = int(rng.integers(60, 260)), int(rng.integers(60, 320))
    if height == width:
        width += 17
    mask = np.zeros((height, width), np.uint8)
    spans: list[tuple[float, float]] = []
    cell = 30  # one object per 30 x 30 cell, at most 26 px wide: they never touch
    for top in range(0, height, cell):
        for left in range(0, width, cell):
            canvas = np.zeros((cell, cell), np.uint8)
            kind = rng.integers(4)
            if kind == 0:  # a rectangle, from a speck to a large block
                w, h = (int(v) for v in rng.integers(1, 27, size=2))
                x, y = (int(v) for v in rng.integers(0, 28 - np.array([w, h])))
                cv2.rectangle(canvas, (x, y), (x + w - 1, y + h - 1), 255, -1)
            elif kind == 1:  # a disc
                r = int(rng.integers(1, 13))
                cv2.circle(canvas, (13, 13), r, 255, -1)
            elif kind == 2:  # a ring
                r = int(rng.integers(8, 13))
                cv2.circle(canvas, (13, 13), r, 255, -1)
                cv2.circle(canvas, (13, 13), int(rng.integers(3, r - 3)), 0, -1)
            else:
                continue  # an empty cell
            canvas = canvas[:height - top, :width - left]  # cut by the bottom or right border
            areas = _areas(canvas)
            if areas is None:
                continue
            spans.append((min(areas), max(areas)))
            mask[top:top + canvas.shape[0], left:left + canvas.shape[1]] = canvas
    gaps = []  # thresholds at least 2 px^2 away from every object's area
    edges = sorted({0.0, *(v for span in spans for v in span)})
    for low, high in zip(edges, edges[1:], strict=False):
        middle = (low + high) / 2
        if high - low >= 4 and not any(a - 2 <= middle <= b + 2 for a, b in spans):
            gaps.append(middle)
    if edges[-1] > 0:
        gaps.append(edges[-1] + 50.0)  # above every object: nothing counts
    return mask, gaps


def _count(fn: Callable[[np.ndarray, float], Any], mask: np.ndarray, min_area: float,
           what: str) -> int:
    before = mask.copy()
    got = fn(mask, min_area)
    require(np.array_equal(mask, before), f"the mask after {what}", "unchanged", "a modified mask",
            "work on a copy if a step draws into the image or filters it in place.")
    require(is_int(got), what, "an int",
            type(got).__name__, "count the contours that pass the area test and return the number.")
    return int(got)


_COUNT_HOW = ("cv2.findContours(mask, cv2.RETR_EXTERNAL, ...) finds each object's outline; keep "
              "those whose cv2.contourArea is at least min_area.")


def _check_count(fn: Callable[[np.ndarray, float], int]) -> str:
    what = "count_objects(empty 40 x 60 mask, min_area=1)"
    got = _count(fn, np.zeros((40, 60), np.uint8), 1, what)
    require(got != 1, what, 0, got,
            "you counted the background: label 0 of cv2.connectedComponents is the background.")
    require(got == 0, what, 0, got, "an empty mask holds no objects.")

    what = "count_objects(mask with one ring, min_area=50)"
    got = _count(fn, _ring_mask(), 50, what)
    require(got != 2, what, 1, got,
            "the ring's hole was counted as a second object: cv2.RETR_EXTERNAL ignores contours "
            "that lie inside another one.")
    require(got == 1, what, 1, got, f"a ring is one object. {_COUNT_HOW}")

    what = "count_objects(mask of 5 blobs and 3 specks, min_area=100)"
    got = _count(fn, _test_mask(), 100, what)
    require(got != 8, what, 5, got,
            "8 counts the three 3x3 specks too: keep only objects whose area is at least min_area.")
    require(got == 5, what, 5, got, _COUNT_HOW)

    squares = _squares_mask()
    sweep = {t: solutions.count_objects(squares, t) for t in (10, 50, 150, 400, 1000, 3000)}
    counts = {t: _count(fn, squares, t, f"count_objects(5 squares, min_area={t})") for t in sweep}
    require(len(set(counts.values())) > 1, "count_objects(5 squares of sides 5 to 40 px, min_area="
            "10, 50, 150, 400, 1000, 3000)", list(sweep.values()), list(counts.values()),
            "your count does not change with min_area: compare each area with the min_area "
            "argument, not with a number of your own.")
    for t, want in sweep.items():
        require(counts[t] == want, f"count_objects(5 squares of sides {_SIDES} px, min_area={t})",
                want, counts[t], _COUNT_HOW)

    square = np.zeros((30, 40), np.uint8)
    cv2.rectangle(square, (5, 5), (15, 15), 255, -1)  # an 11 x 11 square: contour area 100
    what = "count_objects(one square of contour area 100, min_area=100)"
    got = _count(fn, square, 100, what)
    require(got == 1, what, 1, got,
            "an object whose area equals min_area counts: 'at least' is >=, not >.")

    rng = np.random.default_rng(8)
    for _ in range(3):
        mask, gaps = _random_mask(rng)
        for gap in rng.choice(gaps, size=min(2, len(gaps)), replace=False):
            area = round(float(gap), 1)
            want = solutions.count_objects(mask, area)
            what = f"count_objects(random {mask.shape[0]} x {mask.shape[1]} mask, min_area={area})"
            got = _count(fn, mask, area, what)
            require(got == want, what, want, got, _COUNT_HOW)
    return ("count_objects counts each white object once (holes don't count, a ring is one object), "
            "keeps those of at least min_area pixels for thresholds on both sides of the objects' "
            "areas, and leaves the mask unchanged, on masks of several sizes and shapes.")


def _counts_specks(mask: np.ndarray, min_area: float) -> int:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return len(contours)


def _counts_holes(mask: np.ndarray, min_area: float) -> int:
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    return sum(1 for c in contours if cv2.contourArea(c) >= min_area)


def _connected_components(mask: np.ndarray, min_area: float) -> int:
    return cv2.connectedComponents(mask)[0]


def _fixed_min_area(mask: np.ndarray, min_area: float) -> int:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return sum(1 for c in contours if cv2.contourArea(c) >= 100)


def _strictly_greater(mask: np.ndarray, min_area: float) -> int:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return sum(1 for c in contours if cv2.contourArea(c) > min_area)


def _opens_in_place(mask: np.ndarray, min_area: float) -> int:
    cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8), dst=mask)  # removes specks
    return len(cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0])


def _perimeter_not_area(mask: np.ndarray, min_area: float) -> int:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return sum(1 for c in contours if cv2.arcLength(c, True) >= min_area)


# ---------------------------------------------------------------------------------------------
# 08.apply_homography


def _homogeneous(points: np.ndarray) -> np.ndarray:
    return np.hstack([np.asarray(points, np.float64), np.ones((len(points), 1))])


def _homography_mistakes(h: np.ndarray, points: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """What known mistakes return for these inputs, each with its hint."""
    q = _homogeneous(points) @ h.T
    q_t = _homogeneous(points) @ h
    inv = _homogeneous(points) @ np.linalg.inv(h).T
    swapped = _homogeneous(points[:, ::-1]) @ h.T
    swapped = swapped[:, :2] / swapped[:, 2:3]
    own_w = "each point has its own w': divide row i by q[i, 2], keeping the axis (q[:, 2:3])"
    out = [(q[:, :2], "divide x' and y' by the third coordinate w' = h[2] @ (x, y, 1).")]
    out.append((q_t[:, :2] / q_t[:, 2:3],
                "multiply (x, y, 1) by h, not by its transpose: row i of the result is h @ p_i."))
    out.append((inv[:, :2] / inv[:, 2:3],
                "use h itself, not its inverse: h maps the points given to the new view."))
    if len(points) == 2:  # (N, 2) / (N,) broadcasts, wrongly, only when N is 2
        out.append((q[:, :2] / q[:, 2], f"{own_w}; q[:, :2] / q[:, 2] divides the columns."))
    out.append((q[:, :2] / q[0, 2], f"{own_w}, not the first point's."))
    out.append((swapped, "points are (x, y): column 0 is x (the column in the image), column 1 is y."))
    out.append((swapped[:, ::-1], "points are (x, y): column 0 is x (the column in the image), "
                                  "column 1 is y."))
    return out


def _random_homography(rng: np.random.Generator, scale: float) -> np.ndarray:
    h = np.eye(3) + np.vstack([rng.uniform(-0.2, 0.2, (2, 3)), rng.uniform(-5e-4, 5e-4, (1, 3))])
    h[:2, 2] = rng.uniform(-60, 60, 2)
    h[2, 2] = 1.0
    return h * scale  # a homography means the same up to scale; h[2, 2] need not be 1


def _check_homography(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> str:
    h0 = np.array([[0.9, -0.05, 40.0], [0.06, 0.92, 30.0], [2e-4, 1e-4, 1.0]])
    rng = np.random.default_rng(88)
    cases = [(h0, np.array([[0.0, 0.0], [511.0, 0.0]])),
             (h0, np.array([[0.0, 0.0], [511.0, 0.0], [511.0, 511.0], [100.0, 300.0]]))]
    for n, scale in ((1, 2.5), (7, 0.4), (50, 1.7), (3, -0.8)):  # a negative scale flips w' too
        cases.append((_random_homography(rng, scale), rng.uniform(0, [640, 480], (n, 2))))
    cases.append((_random_homography(rng, 1.3), rng.integers(0, 640, (5, 2))))  # integer points
    for h, points in cases:
        expected = cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float64),
                                            h).reshape(-1, 2)
        desc = (f"apply_homography(h with h[2, 2] = {h[2, 2]:g}, {len(points)} {points.dtype} points)"
                if h is not h0
                else f"apply_homography(h, {np.round(points).astype(int).tolist()})")
        got = np.asarray(fn(h.copy(), points.copy()))
        n = len(points)
        require(got.shape == (n, 2), f"{desc}.shape", (n, 2), got.shape,
                "return one (x, y) row per input point: drop the third, homogeneous coordinate.")
        require(np.issubdtype(got.dtype, np.number) and not np.issubdtype(got.dtype, np.complexfloating),
                f"{desc}.dtype", "floats", got.dtype, "return the coordinates as numbers.")
        got = got.astype(np.float64)
        if np.allclose(got, expected, rtol=1e-6, atol=1e-3):
            continue
        shown_exp, shown_got = np.round(expected, 2).tolist(), np.round(got, 2).tolist()
        if n > 4:
            shown_exp, shown_got = shown_exp[:3] + ["..."], shown_got[:3] + ["..."]
        for mistake, hint in _homography_mistakes(h, points):
            if not np.allclose(mistake, expected, rtol=1e-6, atol=1e-3):
                require(not np.allclose(got, mistake, rtol=1e-6, atol=1e-3), desc, shown_exp,
                        shown_got, hint)
        whole = bool(np.all(got == np.round(got)))
        require(not (whole and np.allclose(got, expected, atol=1.0)), desc, shown_exp, shown_got,
                "you return whole pixels: a rounding step, astype(int) or an integer array (such "
                "as np.empty_like of integer points) cuts off the fractions; return floats.")
        require(False, desc, shown_exp, shown_got,
                "append a 1 to each point, multiply by h, then divide the first two coordinates "
                "by the third (w').")
    return ("apply_homography agrees with cv2.perspectiveTransform, perspective divide included, for "
            "1 to 50 points (float and integer), and for homographies scaled so that h[2, 2] != 1.")


def _no_divide(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    return (np.hstack([points, np.ones((len(points), 1))]) @ h.T)[:, :2]


def _by_transpose(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    q = np.hstack([points, np.ones((len(points), 1))]) @ h
    return q[:, :2] / q[:, 2:3]


def _rounds_to_pixels(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    q = np.hstack([points, np.ones((len(points), 1))]) @ h.T
    return np.round(q[:, :2] / q[:, 2:3])


def _divides_columns(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    q = np.hstack([points, np.ones((len(points), 1))]) @ h.T
    return q[:, :2] / q[:, 2]


def _uses_inverse(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    q = np.hstack([points, np.ones((len(points), 1))]) @ np.linalg.inv(h).T
    return q[:, :2] / q[:, 2:3]


def _rows_and_columns(h: np.ndarray, points: np.ndarray) -> np.ndarray:
    q = np.hstack([points[:, ::-1], np.ones((len(points), 1))]) @ h.T  # as if points were (y, x)
    return q[:, :2] / q[:, 2:3]


# ---------------------------------------------------------------------------------------------
# 08.disparity_to_depth

# calibration of scikit-image's down-sampled Middlebury motorcycle pair, as the notebook gives it
_FOCAL, _BASELINE, _DOFFS = 994.978, 0.193001, 31.086
_CALIBRATION = {"focal_px": _FOCAL, "baseline_m": _BASELINE, "doffs_px": _DOFFS}


def _random_disparity(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    d = rng.uniform(0.5, 120, shape)
    if np.issubdtype(dtype, np.integer):
        d = np.round(d)
    flat = d.reshape(-1)
    where = rng.permutation(flat.size)
    flat[where[0]] = 0.0  # a disparity of 0 is a match
    flat[where[1]] = -1.0  # SGBM's "no match"
    others = where[2:2 + flat.size // 4]
    flat[others] = rng.choice([-16.0, -2.0, -5.0], size=len(others))  # other "no match" values
    return d.astype(dtype)


def _check_depth(fn: Callable[[np.ndarray, float, float, float], np.ndarray]) -> str:
    rng = np.random.default_rng(808)
    cases = [(np.array([[10.0, 40.0], [59.0, -1.0]]), _FOCAL, _BASELINE, _DOFFS)]
    for shape, dtype in (((3, 7), np.float64), ((6, 1), np.float32), ((2, 3, 4), np.float64),
                         ((1, 9), np.int16)):
        focal, baseline, doffs = rng.uniform(300, 3000), rng.uniform(0.05, 0.6), rng.uniform(3, 200)
        cases.append((_random_disparity(rng, shape, dtype), round(focal, 3), round(baseline, 5),
                      round(doffs, 3)))
    for disparity, focal, baseline, doffs in cases:
        expected = solutions.disparity_to_depth(disparity, focal, baseline, doffs)
        desc = (f"disparity_to_depth({disparity.shape} {disparity.dtype} disparity, focal_px={focal}, "
                f"baseline_m={baseline}, doffs_px={doffs})")
        before = disparity.copy()
        got = np.asarray(fn(disparity, focal, baseline, doffs))
        require(np.array_equal(before, disparity), f"the disparity after {desc}", "unchanged",
                "a modified array", "your function changed the disparity array it was given: work on "
                "a copy (np.where, or np.full for the result) instead of writing into the input.")
        require(got.shape == disparity.shape, f"{desc}.shape", disparity.shape, got.shape,
                "return one depth per disparity pixel.")
        require(np.issubdtype(got.dtype, np.floating), f"{desc}.dtype", "floats", got.dtype,
                "return a float array: an integer array cannot hold NaN or fractions of a metre.")
        got = got.astype(np.float64)
        positive = disparity > 0
        if not np.allclose(got[positive], expected[positive], rtol=1e-5):
            shown = f"{desc}: depth where the disparity is > 0"
            exp_show, got_show = np.round(expected[positive][:4], 3).tolist(), \
                np.round(got[positive][:4], 3).tolist()
            no_doffs = baseline * focal / disparity[positive].astype(np.float64)
            require(not np.allclose(got[positive], no_doffs, rtol=1e-5), shown, exp_show, got_show,
                    "the two cameras' principal points differ by doffs: divide by (disparity + doffs).")
            for name, text_value in _CALIBRATION.items():
                args = {"focal_px": focal, "baseline_m": baseline, "doffs_px": doffs, name: text_value}
                fixed = solutions.disparity_to_depth(disparity, **args)
                if not np.allclose(fixed[positive], expected[positive], rtol=1e-5):
                    require(not np.allclose(got[positive], fixed[positive], rtol=1e-5), shown, exp_show,
                            got_show, f"your depths do not change with {name}: use the argument, not "
                            "the number given in the text.")
            require(False, shown, exp_show, got_show,
                    "depth = baseline * focal / (disparity + doffs): far objects have small disparity.")
        negative = disparity < 0
        if not np.all(np.isnan(got[negative])):
            minus_one = disparity == -1
            require(not np.all(np.isnan(got[minus_one])), f"{desc}: depth where the disparity is "
                    f"{sorted(set(disparity[negative].tolist()))}", "nan everywhere",
                    f"nan only at -1, {np.round(got[negative & ~minus_one][:3], 3).tolist()} elsewhere",
                    "every negative disparity means no match, not only -1.")
            require(False, f"{desc}: depth where the disparity is negative (no match)", "nan",
                    np.round(got[negative][:3], 3).tolist(),
                    "mark unmatched pixels (negative disparity) as np.nan, not a depth.")
        zero = disparity == 0
        require(np.allclose(got[zero], expected[zero], rtol=1e-5), f"{desc}: depth where the "
                "disparity is 0", np.round(expected[zero], 3).tolist(), np.round(got[zero], 3).tolist(),
                "0 is not negative: a disparity of 0 is a match; only negative "
                "disparities are np.nan.")
    return ("disparity_to_depth gives metres from pixels for several calibrations, shapes and dtypes, "
            "NaN for every negative disparity and a depth for disparity 0, and leaves its input alone.")


def _no_doffs(d: np.ndarray, focal_px: float, baseline_m: float, doffs_px: float) -> np.ndarray:
    return np.where(d >= 0, baseline_m * focal_px / d, np.nan)


def _inverted(d: np.ndarray, focal_px: float, baseline_m: float, doffs_px: float) -> np.ndarray:
    return np.where(d >= 0, focal_px * (d + doffs_px) / baseline_m, np.nan)


def _no_nan(d: np.ndarray, focal_px: float, baseline_m: float, doffs_px: float) -> np.ndarray:
    return baseline_m * focal_px / (d + doffs_px)


def _only_minus_one(d: np.ndarray, focal_px: float, baseline_m: float, doffs_px: float) -> np.ndarray:
    return np.where(d == -1, np.nan, baseline_m * focal_px / (d + doffs_px))


def _zero_is_no_match(d: np.ndarray, focal_px: float, baseline_m: float,
                      doffs_px: float) -> np.ndarray:
    return np.where(d > 0, baseline_m * focal_px / (d + doffs_px), np.nan)


def _doffs_from_the_text(d: np.ndarray, focal_px: float, baseline_m: float,
                         doffs_px: float) -> np.ndarray:
    return np.where(d >= 0, baseline_m * focal_px / (d + 31.086), np.nan)


def _writes_into_input(d: np.ndarray, focal_px: float, baseline_m: float,
                       doffs_px: float) -> np.ndarray:
    d = d.astype(np.float64, copy=False)  # no copy for a float64 input
    d[d < 0] = np.nan
    return baseline_m * focal_px / (d + doffs_px)


# ---------------------------------------------------------------------------------------------
# 08.remove_red_eye

_SKIN = (90, 120, 180)  # B, G, R: red above 150 but below green + blue (210), so not red-eye
_PUPIL = (40, 30, 220)  # red-eye: red above 150 and above green + blue
_PINK = (140, 140, 200)  # not red-eye (140 + 140 = 280 > 200), but 140 + 140 wraps to 24 in uint8
_BLUE = (220, 30, 40)  # not red-eye; it would be if channel 0 were red


def _eye_scene() -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A 60 x 90 skin-coloured photo; its (x, y, w, h) eye box holds a red pupil, a pink and a blue
    patch, and a red spot lies outside the box."""
    image = np.empty((60, 90, 3), np.uint8)
    image[:] = _SKIN
    cv2.circle(image, (50, 22), 8, _PUPIL, -1)
    image[10:16, 33:39] = _PINK
    image[28:34, 60:66] = _BLUE
    cv2.circle(image, (12, 45), 7, _PUPIL, -1)  # outside the box
    return image, (30, 8, 40, 30)


def _random_eye(rng: np.random.Generator) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Random colours everywhere (about one pixel in six red-eye) and a random box, often on the border."""
    height, width = int(rng.integers(20, 70)), int(rng.integers(20, 90))
    image = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    w, h = int(rng.integers(5, width + 1)), int(rng.integers(5, height + 1))
    x = int(rng.choice([0, width - w, int(rng.integers(0, width - w + 1))]))
    y = int(rng.choice([0, height - h, int(rng.integers(0, height - h + 1))]))
    return image, (x, y, w, h)


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal up to one grey level (rounding the mean either way is fine)."""
    return a.shape == b.shape and int(np.abs(a.astype(np.int32) - b.astype(np.int32)).max(initial=0)) <= 1


def _check_red_eye(fn: Callable[[np.ndarray, tuple[int, int, int, int]], np.ndarray]) -> str:
    rng = np.random.default_rng(808)
    cases = [_eye_scene()] + [_random_eye(rng) for _ in range(6)]
    for k, (image, box) in enumerate(cases):
        desc = (f"remove_red_eye({image.shape[0]} x {image.shape[1]} "
                f"{'test photo' if k == 0 else 'random image'}, box={box})")
        before = image.copy()
        got = fn(image, box)
        require(np.array_equal(image, before), f"the image after {desc}", "unchanged", "a modified image",
                "your function changed the image it was given: work on a copy (image.copy()) and "
                "return that.")
        require(isinstance(got, np.ndarray), desc, "a NumPy array", type(got).__name__,
                "return the repaired image as a NumPy array.")
        require(got.shape == image.shape, f"{desc}.shape", image.shape, got.shape,
                "return the whole image (the repaired box and everything else as it was), not "
                "only the box.")
        require(got.dtype == np.uint8, f"{desc}.dtype", "uint8", got.dtype,
                "convert back with .astype(np.uint8) before returning: OpenCV expects uint8 images.")
        expected = solutions.remove_red_eye(image, box)
        if _close(got, expected):
            continue
        x, y, w, h = box
        changed = np.any(got != image, axis=2)
        changed[y:y + h, x:x + w] = False
        for mistake, hint in _RED_EYE_MISTAKES:
            wrong = mistake(image.copy(), box)
            if not _close(wrong, expected):
                require(not _close(got, wrong), desc, "the red-eye pixels inside the box darkened",
                        f"{np.count_nonzero(np.any(got != expected, axis=2))} pixel(s) that differ", hint)
        require(not changed.any(), desc, "no change outside the box",
                f"{np.count_nonzero(changed)} pixel(s) changed outside it",
                "only pixels inside the box may change: the eye is image[y:y + h, x:x + w].")
        require(False, desc, "the red-eye pixels inside the box darkened",
                f"{np.count_nonzero(np.any(got != expected, axis=2))} pixel(s) that differ",
                "a pixel is red-eye when red > 150 and red > green + blue (computed in int); give it "
                "(green + blue) // 2 in all three channels, and leave every other pixel as it was.")
    return ("remove_red_eye darkens exactly the red-eye pixels inside the box (red above 150 and above "
            "green + blue), in BGR order and without uint8 overflow, on a test photo and random "
            "images with boxes on the border, and leaves its input alone.")


def _repair(image: np.ndarray, box: tuple[int, int, int, int], *, red_channel: int = 2,
            in_uint8: bool = False, threshold_only: bool = False, all_channels: bool = True,
            box_as_rows: bool = False, whole_image: bool = False) -> np.ndarray:
    """Red-eye removal with one known mistake switched on (the reference when none is)."""
    x, y, w, h = box
    out = image.copy()
    if whole_image:
        window = (slice(None), slice(None))
    elif box_as_rows:
        window = (slice(x, x + w), slice(y, y + h))
    else:
        window = (slice(y, y + h), slice(x, x + w))
    eye = out[window]
    eye = eye if in_uint8 else eye.astype(np.int32)
    r = eye[:, :, red_channel]
    g, b = eye[:, :, 1], eye[:, :, 2 - red_channel]
    red = r > 150 if threshold_only else (r > 150) & (r > g + b)
    mean = (g.astype(np.int32) + b) // 2
    if all_channels:
        eye[red] = mean[red][:, None].astype(eye.dtype)
    else:
        eye[:, :, red_channel][red] = mean[red].astype(eye.dtype)
    out[window] = eye.astype(np.uint8)
    return out


def _red_as_channel_0(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    return _repair(image, box, red_channel=0)


def _sum_in_uint8(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    return _repair(image, box, in_uint8=True)


def _red_above_150_only(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    return _repair(image, box, threshold_only=True)


def _only_the_red_channel(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    return _repair(image, box, all_channels=False)


def _box_rows_and_columns(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    return _repair(image, box, box_as_rows=True)


def _ignores_the_box(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    return _repair(image, box, whole_image=True)


def _repairs_in_place(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    image[:] = solutions.remove_red_eye(image, box)
    return image


def _returns_the_box(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = box
    return solutions.remove_red_eye(image, box)[y:y + h, x:x + w]


_RED_EYE_MISTAKES = (
    (_red_as_channel_0, "OpenCV images are BGR: red is channel 2 (image[:, :, 2]) and blue is channel 0."),
    (_sum_in_uint8, "green + blue overflowed: uint8 arithmetic wraps around above 255 (140 + 140 gives "
                    "24), so convert the channels with .astype(int) before adding."),
    (_red_above_150_only, "red above 150 is not enough: skin has red above 150 too; a pixel is red-eye "
                          "only if its red is also above green + blue."),
    (_only_the_red_channel, "set all three channels of a red-eye pixel to (green + blue) // 2, so the "
                            "pupil turns dark grey instead of green-blue."),
    (_box_rows_and_columns, "the box is (x, y, w, h) and x counts columns: the eye is image[y:y + h, "
                            "x:x + w], rows first."),
    (_ignores_the_box, "only pixels inside the box may change: a red spot outside it stays red."),
)


register(Exercise(
    id="08.count_objects",
    title="Count the objects in a binary mask",
    checker=_check_count,
    solution=solutions.count_objects,
    wrong=(
        Wrong(_counts_specks, "counts the three 3x3 specks"),
        Wrong(_counts_holes, "the ring's hole was counted"),
        Wrong(_connected_components, "you counted the background"),
        Wrong(_fixed_min_area, "does not change with min_area"),
        Wrong(_strictly_greater, "'at least' is >=, not >"),
        Wrong(_opens_in_place, "work on a copy"),
        Wrong(_perimeter_not_area, "keep those whose cv2.contourArea"),
    ),
))

register(Exercise(
    id="08.apply_homography",
    title="Send points through a homography",
    checker=_check_homography,
    solution=solutions.apply_homography,
    wrong=(
        Wrong(_no_divide, "divide x' and y' by the third coordinate"),
        Wrong(_by_transpose, "not by its transpose"),
        Wrong(_rounds_to_pixels, "you return whole pixels"),
        Wrong(_divides_columns, "q[:, :2] / q[:, 2] divides the columns"),
        Wrong(_uses_inverse, "not its inverse"),
        Wrong(_rows_and_columns, "column 0 is x"),
    ),
))

register(Exercise(
    id="08.disparity_to_depth",
    title="Turn disparity into depth",
    checker=_check_depth,
    solution=solutions.disparity_to_depth,
    wrong=(
        Wrong(_no_doffs, "divide by (disparity + doffs)"),
        Wrong(_inverted, "far objects have small disparity"),
        Wrong(_no_nan, "as np.nan, not a depth"),
        Wrong(_only_minus_one, "not only -1"),
        Wrong(_zero_is_no_match, "0 is not negative"),
        Wrong(_doffs_from_the_text, "do not change with doffs_px"),
        Wrong(_writes_into_input, "changed the disparity array"),
    ),
))

register(Exercise(
    id="08.remove_red_eye",
    title="Remove red eye inside a box",
    checker=_check_red_eye,
    solution=solutions.remove_red_eye,
    wrong=(
        Wrong(_red_as_channel_0, "red is channel 2"),
        Wrong(_sum_in_uint8, "uint8 arithmetic wraps around"),
        Wrong(_red_above_150_only, "skin has red above 150 too"),
        Wrong(_only_the_red_channel, "set all three channels"),
        Wrong(_box_rows_and_columns, "x counts columns"),
        Wrong(_ignores_the_box, "a red spot outside it stays red"),
        Wrong(_repairs_in_place, "changed the image it was given"),
        Wrong(_returns_the_box, "return the whole image"),
    ),
))
