"""Checks for lesson 08 (OpenCV pipelines): four tables for the engine in core."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from course_lib.exercises.core import Case, Mistake, Probes, Returns, Table, Technique, exercise
from course_lib.solutions import lesson08 as solutions

# ---------------------------------------------------------------------------------------------
# 08.count_objects. Thresholds never come near an object's area, however area is measured
# (contour area or pixel count), so both right answers pass.


def _ring(mask: np.ndarray, centre: tuple[int, int], outer: int, inner: int) -> np.ndarray:
    """``mask`` with a ring drawn on it: a disc of radius ``outer`` with a hole of radius ``inner``."""
    cv2.circle(mask, centre, outer, 255, -1)
    cv2.circle(mask, centre, inner, 0, -1)
    return mask


def _test_mask() -> np.ndarray:
    """Five blobs (one of them a ring with a big hole) and three specks of noise."""
    mask = np.zeros((120, 200), np.uint8)
    for x, y in ((25, 30), (75, 30), (125, 30), (175, 30)):
        cv2.circle(mask, (x, y), 15, 255, -1)
    _ring(mask, (60, 85), 28, 16)  # the ring's hole: 800 px, larger than min_area
    for x, y in ((150, 90), (170, 100), (185, 80)):
        cv2.rectangle(mask, (x, y), (x + 2, y + 2), 255, -1)  # 3x3 specks
    return mask


_SIDES = (5, 10, 15, 25, 40)  # squares whose areas lie far apart, whichever way area is measured


def _squares_mask() -> np.ndarray:
    mask = np.zeros((50, 130), np.uint8)
    x = 0  # the first square touches the left and top borders
    for side in _SIDES:
        cv2.rectangle(mask, (x, 0), (x + side - 1, side - 1), 255, -1)
        x += side + 3
    return mask


def _contours(mask: np.ndarray, mode: int = cv2.RETR_EXTERNAL) -> Any:
    return cv2.findContours(mask, mode, cv2.CHAIN_APPROX_SIMPLE)[0]


def _areas(canvas: np.ndarray) -> tuple[float, float] | None:
    """(contour area, pixel count) of the one object on ``canvas``; None if it is not one object."""
    contours = _contours(canvas)
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
                cv2.circle(canvas, (13, 13), int(rng.integers(1, 13)), 255, -1)
            elif kind == 2:  # a ring
                r = int(rng.integers(8, 13))
                _ring(canvas, (13, 13), r, int(rng.integers(3, r - 3)))
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


def _count_cases(rng: np.random.Generator) -> list[Case]:
    square = np.zeros((30, 40), np.uint8)
    cv2.rectangle(square, (5, 5), (15, 15), 255, -1)  # an 11 x 11 square: contour area 100
    line = np.zeros((1, 40), np.uint8)  # a size-1 axis: two line segments one pixel high
    line[0, 3:12] = line[0, 20:35] = 255
    cases = [Case("count_objects(empty 40 x 60 mask, min_area=1)", (np.zeros((40, 60), np.uint8), 1)),
             Case("count_objects(mask with one ring, min_area=50)",  # a hole of about 700 px, not square
                  (_ring(np.zeros((70, 90), np.uint8), (45, 35), 30, 15), 50)),
             Case("count_objects(mask of 5 blobs and 3 specks, min_area=100)", (_test_mask(), 100))]
    cases += [Case(f"count_objects(5 squares of sides {_SIDES} px, min_area={t})", (_squares_mask(), t))
              for t in (10, 50, 150, 400, 1000, 3000)]
    cases += [Case("count_objects(one square of contour area 100, min_area=100)", (square, 100)),
              Case("count_objects(1 x 40 mask holding two lines, min_area=0)", (line, 0)),
              Case("count_objects(40 x 1 mask holding two lines, min_area=0)", (line.T.copy(), 0)),
              Case("count_objects(9 x 40 mask holding two lines one pixel high, min_area=0)",
                   (np.pad(line, ((4, 4), (0, 0))), 0))]
    for _ in range(3):
        mask, gaps = _random_mask(rng)
        for gap in rng.choice(gaps, size=min(2, len(gaps)), replace=False):
            area = round(float(gap), 1)
            cases.append(Case(f"count_objects(random {mask.shape[0]} x {mask.shape[1]} mask, "
                              f"min_area={area})", (mask, area)))
    return cases


def _opens_in_place(mask: np.ndarray, min_area: float) -> int:
    cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8), dst=mask)  # removes specks
    return len(_contours(mask))


def _opens_a_copy(mask: np.ndarray, min_area: float) -> int:
    opened = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return sum(1 for c in _contours(opened) if cv2.contourArea(c) >= min_area)


_COUNT_HOW = ("cv2.findContours(mask, cv2.RETR_EXTERNAL, ...) finds each object's outline; keep "
              "those whose cv2.contourArea is at least min_area.")
_AN_INT = "count the contours that pass the area test and return the number, an int."
_MASK_COPY = ("your function changed the mask: work on a copy if a step draws into the image or filters "
              "it in place.")

exercise("08.count_objects", "Count the objects in a binary mask", solutions.count_objects, Table(
    cases=_count_cases, seed=8,
    returns=Returns("int", type_hint=_AN_INT),
    probes=Probes(mutation_hint=_MASK_COPY),
    mistakes=(
        Mistake(lambda m, a: len(_contours(m)), "you count every object, the 3x3 specks too: keep "
                "only objects whose area is at least min_area."),
        Mistake(lambda m, a: sum(1 for c in _contours(m, cv2.RETR_LIST) if cv2.contourArea(c) >= a),
                "a ring's hole was counted as a second object: cv2.RETR_EXTERNAL ignores contours "
                "that lie inside another one."),
        Mistake(lambda m, a: cv2.connectedComponents(m)[0], "you counted the background: label 0 of "
                "cv2.connectedComponents is the background."),
        Mistake(lambda m, a: sum(1 for c in _contours(m) if cv2.contourArea(c) >= 100), "your count "
                "does not change with min_area: compare each area with the min_area argument, not "
                "with a number of your own."),
        Mistake(lambda m, a: sum(1 for c in _contours(m) if cv2.contourArea(c) > a), "an object whose "
                "area equals min_area counts: 'at least' is >=, not >."),
        Mistake(_opens_in_place, _MASK_COPY),
        Mistake(lambda m, a: sum(1 for c in _contours(m) if cv2.arcLength(c, True) >= a),
                "you compare the outline's length (cv2.arcLength) with min_area: compare its area, "
                "cv2.contourArea."),
        Mistake(_opens_a_copy, "an opening also removes objects thinner than its kernel (a line one "
                "pixel high): the area test alone is what drops the specks."),
        Mistake(lambda m, a: float(solutions.count_objects(m, a)), _AN_INT),
    ),
    fallback=_COUNT_HOW,
    success="count_objects counts each white object once (holes don't count, a ring is one object), "
            "keeps those of at least min_area pixels for thresholds on both sides of the objects' "
            "areas, works on masks one pixel high or wide, and leaves the mask unchanged.",
))

# ---------------------------------------------------------------------------------------------
# 08.apply_homography: write it yourself, so cv2.perspectiveTransform is off limits.


def _random_homography(rng: np.random.Generator, scale: float) -> np.ndarray:
    h = np.eye(3) + np.vstack([rng.uniform(-0.2, 0.2, (2, 3)), rng.uniform(-5e-4, 5e-4, (1, 3))])
    h[:2, 2] = rng.uniform(-60, 60, 2)
    h[2, 2] = 1.0
    return h * scale  # a homography means the same up to scale; h[2, 2] need not be 1


def _homography_cases(rng: np.random.Generator) -> list[Case]:
    h0 = np.array([[0.9, -0.05, 40.0], [0.06, 0.92, 30.0], [2e-4, 1e-4, 1.0]])
    pts = np.array([[0.0, 0.0], [511.0, 0.0], [511.0, 511.0], [100.0, 300.0]])
    cases = [Case(f"apply_homography(h, {pts[:n].astype(int).tolist()})", (h0, pts[:n])) for n in (2, 4)]
    for n, scale in ((1, 2.5), (7, 0.4), (50, 1.7), (3, -0.8), (2000, 1.1)):  # -0.8 flips w' too
        h, points = _random_homography(rng, scale), rng.uniform(0, [640, 480], (n, 2))
        cases.append(Case(f"apply_homography(h with h[2, 2] = {h[2, 2]:g}, {n} float64 points)",
                          (h, points)))
    h, whole = _random_homography(rng, 1.3), rng.integers(0, 640, (5, 2))
    cases.append(Case(f"apply_homography(h with h[2, 2] = {h[2, 2]:g}, 5 int64 points)", (h, whole)))
    return cases


def _mapped(h: np.ndarray, points: np.ndarray, flip: bool = False) -> np.ndarray:
    """(x', y', w') for each point, as if the points were (y, x) when ``flip``."""
    points = points[:, ::-1] if flip else points
    return np.hstack([points, np.ones((len(points), 1))]) @ h.T


def _divided(q: np.ndarray) -> np.ndarray:
    return q[:, :2] / q[:, 2:3]


_OWN_W = "each point has its own w': divide row i by q[i, 2], keeping the axis (q[:, 2:3])"
_XY = "points are (x, y): column 0 is x (the column in the image), column 1 is y."
_ROWS = "return one (x, y) row per input point: drop the third, homogeneous coordinate."
_YOURSELF = ("the exercise asks you to write it yourself: append the 1, multiply by h and divide by w' "
             "with NumPy, without cv2.perspectiveTransform.")
_WHOLE_PIXELS = ("you return whole pixels: a rounding step, astype(int) or an integer array (such as "
                 "np.empty_like of integer points) cuts off the fractions; return floats.")

exercise("08.apply_homography", "Send points through a homography", solutions.apply_homography, Table(
    cases=_homography_cases, seed=88,
    returns=Returns("array", shape=lambda c: (len(c.args[1]), 2), dtype="float", rtol=1e-6, atol=1e-3,
                    shape_hint=_ROWS, dtype_hint="return the coordinates as floats."),
    probes=Probes(techniques=(Technique(cv2, "perspectiveTransform", False, _YOURSELF),)),
    mistakes=(
        Mistake(lambda h, p: _mapped(h, p)[:, :2], "divide x' and y' by the third coordinate "
                                                    "w' = h[2] @ (x, y, 1)."),
        Mistake(lambda h, p: _divided(_mapped(h.T, p)), "multiply (x, y, 1) by h, not by its "
                "transpose: row i of the result is h @ p_i."),
        Mistake(lambda h, p: _divided(_mapped(np.linalg.inv(h), p)), "use h itself, not its inverse: "
                "h maps the points given to the new view."),
        Mistake(lambda h, p: _mapped(h, p)[:, :2] / _mapped(h, p)[:, 2], f"{_OWN_W}; q[:, :2] / "
                "q[:, 2] divides the columns."),
        Mistake(lambda h, p: _mapped(h, p)[:, :2] / _mapped(h, p)[0, 2], f"{_OWN_W}, not the first "
                                                                          "point's."),
        Mistake(lambda h, p: _divided(_mapped(h, p, flip=True)), _XY),
        Mistake(lambda h, p: _divided(_mapped(h, p, flip=True))[:, ::-1], _XY),
        Mistake(lambda h, p: np.round(solutions.apply_homography(h, p)), _WHOLE_PIXELS),
        Mistake(lambda h, p: cv2.perspectiveTransform(p.reshape(-1, 1, 2).astype(np.float64),
                                                      h).reshape(-1, 2), _YOURSELF),
        Mistake(lambda h, p: solutions.apply_homography(h, p[:1000]), _ROWS),
    ),
    fallback="append a 1 to each point, multiply by h, then divide the first two coordinates by the "
             "third (w').",
    diagnose=lambda case, got, want: (
        _WHOLE_PIXELS if np.all(got == np.round(got)) and np.allclose(got, want, atol=1.0) else None),
    success="apply_homography agrees with cv2.perspectiveTransform, perspective divide included, for "
            "1 to 2000 points (float and integer), and for homographies scaled so that h[2, 2] != 1, "
            "computed without cv2.perspectiveTransform.",
))

# ---------------------------------------------------------------------------------------------
# 08.disparity_to_depth. The threshold is 0: cases hold 0, -1, other negatives and values
# between -1 and 0.

# calibration of scikit-image's down-sampled Middlebury motorcycle pair, as the notebook gives it
_FOCAL, _BASELINE, _DOFFS = 994.978, 0.193001, 31.086


def _random_disparity(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    d = rng.uniform(0.5, 120, shape)
    if np.issubdtype(dtype, np.integer):
        d = np.round(d)
    flat = d.reshape(-1)
    where = rng.permutation(flat.size)
    flat[where[0]] = 0.0  # a disparity of 0 is a match
    flat[where[1]] = -1.0  # SGBM's "no match"
    others = where[2:2 + flat.size // 4]
    negatives = [-16.0, -2.0, -5.0] if np.issubdtype(dtype, np.integer) else [-16.0, -0.5, -0.0625]
    flat[others] = rng.choice(negatives, size=len(others))  # other "no match" values
    return d.astype(dtype)


def _depth_cases(rng: np.random.Generator) -> list[Case]:
    cases = [Case(f"disparity_to_depth([[10, 40], [59, -1]], {_FOCAL}, {_BASELINE}, {_DOFFS})",
                  (np.array([[10.0, 40.0], [59.0, -1.0]]), _FOCAL, _BASELINE, _DOFFS))]
    for shape, dtype in (((3, 7), np.float64), ((6, 1), np.float32), ((2, 3, 4), np.float64),
                         ((1, 9), np.int16), ((1, 1), np.float64)):
        d = _random_disparity(rng, shape, dtype) if shape != (1, 1) else np.array([[-0.5]])
        focal, baseline, doffs = (round(float(rng.uniform(low, high)), digits)
                                  for low, high, digits in ((300, 3000, 3), (0.05, 0.6, 5), (3, 200, 3)))
        cases.append(Case(f"disparity_to_depth({d.shape} {d.dtype} disparity, focal_px={focal}, "
                          f"baseline_m={baseline}, doffs_px={doffs})", (d, focal, baseline, doffs)))
    return cases


def _depth(d: np.ndarray, focal: float, baseline: float, doffs: float, matched: Any = None) -> np.ndarray:
    matched = d >= 0 if matched is None else matched
    return np.where(matched, baseline * focal / (d.astype(np.float64) + doffs), np.nan)


def _writes_into_input(d: np.ndarray, focal_px: float, baseline_m: float, doffs_px: float) -> np.ndarray:
    d = d.astype(np.float64, copy=False)  # no copy for a float64 input
    d[d < 0] = np.nan
    return baseline_m * focal_px / (d + doffs_px)


_COPY = ("your function changed the disparity array it was given: work on a copy (np.where, or "
         "np.full for the result) instead of writing into the input.")
_TEXT = "your depths do not change with {}: use the argument, not the number given in the text."
_FLOAT = "return a float array: an integer array cannot hold NaN or fractions of a metre."

exercise("08.disparity_to_depth", "Turn disparity into depth", solutions.disparity_to_depth, Table(
    cases=_depth_cases, seed=808,
    returns=Returns("array", shape=lambda c: c.args[0].shape, dtype="float", rtol=1e-5,
                    shape_hint="return one depth per disparity pixel.",
                    dtype_hint=_FLOAT),
    probes=Probes(mutation_hint=_COPY),
    mistakes=(
        Mistake(lambda d, f, b, o: _depth(d, f, b, 0.0), "the two cameras' principal points differ by "
                                                          "doffs: divide by (disparity + doffs)."),
        Mistake(lambda d, f, b, o: np.where(d >= 0, f * (d + o) / b, np.nan),
                "depth = baseline * focal / (disparity + doffs): far objects have small disparity."),
        Mistake(lambda d, f, b, o: b * f / (d + o), "mark unmatched pixels (negative disparity) as "
                                                     "np.nan, not a depth."),
        Mistake(lambda d, f, b, o: _depth(d, f, b, o, d != -1), "every negative disparity means no "
                                                                 "match, not only -1."),
        Mistake(lambda d, f, b, o: _depth(d, f, b, o, d > -1), "every negative disparity means no "
                "match, -0.5 too: test disparity < 0 (or >= 0 for a match), not > -1."),
        Mistake(lambda d, f, b, o: _depth(d, f, b, o, d > 0), "0 is not negative: a disparity of 0 is "
                                                               "a match; only negative disparities are "
                                                               "np.nan."),
        Mistake(lambda d, f, b, o: _depth(d, f, b, _DOFFS), _TEXT.format("doffs_px")),
        Mistake(lambda d, f, b, o: _depth(d, _FOCAL, b, o), _TEXT.format("focal_px")),
        Mistake(lambda d, f, b, o: _depth(d, f, _BASELINE, o), _TEXT.format("baseline_m")),
        Mistake(_writes_into_input, _COPY),
        Mistake(lambda d, f, b, o: _depth(d, f, b, o).astype(np.float16), "float16 keeps about three "
                "digits: compute in float64 (or float32), as NumPy does by default."),
        Mistake(lambda d, f, b, o: np.nan_to_num(_depth(d, f, b, o)).astype(np.int64), _FLOAT),
    ),
    fallback="depth = baseline * focal / (disparity + doffs), and np.nan where the disparity is "
             "negative.",
    success="disparity_to_depth gives metres from pixels for several calibrations, shapes and dtypes, "
            "NaN for every negative disparity (-0.5 too) and a depth for disparity 0, and leaves its "
            "input alone.",
))

# ---------------------------------------------------------------------------------------------
# 08.remove_red_eye. Thresholds on both sides: red 150 and 151, red equal to green + blue.

_SKIN = (90, 120, 180)  # B, G, R: red above 150 but below green + blue (210), so not red-eye
_PUPIL = (40, 30, 220)  # red-eye: red above 150 and above green + blue
_PINK = (140, 140, 200)  # not red-eye (140 + 140 = 280 > 200), but 140 + 140 wraps to 24 in uint8
_BLUE = (220, 30, 40)  # not red-eye; it would be if channel 0 were red
_EDGES = ((10, 20, 150), (10, 20, 151), (60, 90, 150), (60, 91, 151), (60, 90, 151))  # thresholds

Box = tuple[int, int, int, int]


def _eye_scene() -> tuple[np.ndarray, Box]:
    """A 60 x 90 skin-coloured photo; its (x, y, w, h) eye box holds a red pupil, a pink and a blue
    patch and pixels on both sides of each threshold; a red spot lies outside the box."""
    image = np.full((60, 90, 3), _SKIN, np.uint8)
    cv2.circle(image, (50, 22), 8, _PUPIL, -1)
    image[10:16, 33:39] = _PINK
    image[28:34, 60:66] = _BLUE
    image[34, 32:32 + 2 * len(_EDGES):2] = _EDGES  # every other pixel of one row
    cv2.circle(image, (12, 45), 7, _PUPIL, -1)  # outside the box
    return image, (30, 8, 40, 30)


def _random_eye(rng: np.random.Generator) -> tuple[np.ndarray, Box]:
    """Random colours everywhere (about one pixel in six red-eye) and a random box, often on the border."""
    height, width = int(rng.integers(20, 70)), int(rng.integers(20, 90))
    image = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    w, h = int(rng.integers(5, width + 1)), int(rng.integers(5, height + 1))
    x = int(rng.choice([0, width - w, int(rng.integers(0, width - w + 1))]))
    y = int(rng.choice([0, height - h, int(rng.integers(0, height - h + 1))]))
    return image, (x, y, w, h)


def _eye_cases(rng: np.random.Generator) -> list[Case]:
    found = [_eye_scene(), *(_random_eye(rng) for _ in range(6))]
    strip = rng.integers(0, 256, size=(1, 40, 3), dtype=np.uint8)  # one row: a size-1 axis
    strip[0, ::3] = _PUPIL
    found += [(strip, (0, 0, 40, 1)), (found[1][0], (0, 0, found[1][0].shape[1], found[1][0].shape[0]))]
    return [Case(f"remove_red_eye({im.shape[0]} x {im.shape[1]} "
                 f"{'test photo' if k == 0 else 'random image'}, box={box})", (im, box))
            for k, (im, box) in enumerate(found)]


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal up to one grey level (rounding the mean either way is fine)."""
    return a.shape == b.shape and int(np.abs(a.astype(np.int32) - b.astype(np.int32)).max(initial=0)) <= 1


def _repair(image: np.ndarray, box: Box, *, red_channel: int = 2, in_uint8: bool = False,
            threshold_only: bool = False, all_channels: bool = True, box_as_rows: bool = False,
            whole_image: bool = False, at_least: bool = False) -> np.ndarray:
    """Red-eye removal with one known mistake switched on (the reference when none is)."""
    x, y, w, h = box
    out = image.copy()
    window = (slice(None), slice(None)) if whole_image else \
        (slice(x, x + w), slice(y, y + h)) if box_as_rows else (slice(y, y + h), slice(x, x + w))
    eye = out[window]
    eye = eye if in_uint8 else eye.astype(np.int32)
    r, g, b = eye[:, :, red_channel], eye[:, :, 1], eye[:, :, 2 - red_channel]
    red = r > 150 if threshold_only else (r >= 150) & (r >= g + b) if at_least else (r > 150) & (r > g + b)
    mean = (g.astype(np.int32) + b) // 2
    if all_channels:
        eye[red] = mean[red][:, None].astype(eye.dtype)
    else:
        eye[:, :, red_channel][red] = mean[red].astype(eye.dtype)
    out[window] = eye.astype(np.uint8)
    return out


def _repairs_in_place(image: np.ndarray, box: Box) -> np.ndarray:
    image[:] = solutions.remove_red_eye(image, box)
    return image


def _differ(case: Case, want: np.ndarray, got: np.ndarray) -> tuple[str, str]:
    return ("the red-eye pixels inside the box darkened",
            f"{np.count_nonzero(np.any(got != want, axis=2))} pixel(s) that differ")


def _outside(case: Case, got: np.ndarray, want: np.ndarray) -> str | None:
    (image, (x, y, w, h)) = case.args
    changed = np.any(got != image, axis=2)
    changed[y:y + h, x:x + w] = False
    return "only pixels inside the box may change: the eye is image[y:y + h, x:x + w]." \
        if changed.any() else None


_IN_PLACE = "your function changed the image it was given: work on a copy (image.copy()) and return that."
_WHOLE = "return the whole image (the repaired box and everything else as it was), not only the box."
_UINT8 = "convert back with .astype(np.uint8) before returning: OpenCV expects uint8 images."

exercise("08.remove_red_eye", "Remove red eye inside a box", solutions.remove_red_eye, Table(
    cases=_eye_cases, seed=808,
    returns=Returns("array", shape=lambda c: c.args[0].shape, dtype="uint8", equal=_close,
                    shape_hint=_WHOLE, dtype_hint=_UINT8),
    probes=Probes(mutation_hint=_IN_PLACE),
    shown=_differ, diagnose=_outside,
    mistakes=(
        Mistake(lambda i, b: _repair(i, b, red_channel=0), "OpenCV images are BGR: red is channel 2 "
                "(image[:, :, 2]) and blue is channel 0."),
        Mistake(lambda i, b: _repair(i, b, in_uint8=True), "green + blue overflowed: uint8 arithmetic "
                "wraps around above 255 (140 + 140 gives 24), so convert the channels with "
                ".astype(int) before adding."),
        Mistake(lambda i, b: _repair(i, b, threshold_only=True), "red above 150 is not enough: skin has "
                "red above 150 too; a pixel is red-eye only if its red is also above green + blue."),
        Mistake(lambda i, b: _repair(i, b, all_channels=False), "set all three channels of a red-eye "
                "pixel to (green + blue) // 2, so the pupil turns dark grey instead of green-blue."),
        Mistake(lambda i, b: _repair(i, b, box_as_rows=True), "the box is (x, y, w, h) and x counts "
                "columns: the eye is image[y:y + h, x:x + w], rows first."),
        Mistake(lambda i, b: _repair(i, b, whole_image=True), "only pixels inside the box may change: "
                                                               "a red spot outside it stays red."),
        Mistake(lambda i, b: _repair(i, b, at_least=True), "'above' is strict: a red of exactly 150, "
                "or exactly green + blue, is not red-eye (use >, not >=)."),
        Mistake(_repairs_in_place, _IN_PLACE),
        Mistake(lambda i, b: solutions.remove_red_eye(i, b)[b[1]:b[1] + b[3], b[0]:b[0] + b[2]], _WHOLE),
        Mistake(lambda i, b: solutions.remove_red_eye(i, b).astype(np.int32), _UINT8),
    ),
    fallback="a pixel is red-eye when red > 150 and red > green + blue (computed in int); give it "
             "(green + blue) // 2 in all three channels, and leave every other pixel as it was.",
    success="remove_red_eye darkens exactly the red-eye pixels inside the box (red above 150 and above "
            "green + blue, with pixels on both sides of each threshold), in BGR order and without uint8 "
            "overflow, on a test photo, a one-row strip and random images with boxes on the border, "
            "and leaves its input alone.",
))
