"""Checks for lesson 09 (OpenCV meets deep learning): three tables for the engine in core."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from course_lib.exercises.core import Case, Mistake, Probes, Returns, Table, Technique, exercise
from course_lib.solutions import lesson09 as solutions

# ---------------------------------------------------------------------------------------------
# 09.blob_from_crop: the text asks for one cv2.dnn.blobFromImage call, so the check requires it.


def _blob_cases(rng: np.random.Generator) -> list[Case]:
    crops = []
    for strong in (0, 2):  # a strong blue, then a strong red channel, so a missing swap is obvious
        crop = rng.integers(0, 256, size=(224, 224, 3), dtype=np.uint8)
        crop[:, :, strong] = np.maximum(crop[:, :, strong], 200)
        crops.append(crop)
    extremes = np.zeros((224, 224, 3), np.uint8)  # 0, 126, 127, 128 and 255: both sides of the mean
    extremes[::2, :, 2], extremes[1::2, :, 0], extremes[:, ::3, 1] = 255, 126, 128
    extremes[:, 1::3, 2] = 127
    crops.append(extremes)
    return [Case(f"blob_from_crop(crop {k + 1})", (c,)) for k, c in enumerate(crops)]


def _rgb(crop: np.ndarray) -> np.ndarray:
    return crop[:, :, ::-1]


_SCALE = "blobFromImage computes (x - mean) * scalefactor: mean=(127, 127, 127), scalefactor=1/128."
_NCHW = "networks want (batch, channels, height, width): blobFromImage already gives that."
_ONE_CALL = ("the exercise asks for a single cv2.dnn.blobFromImage call: it swaps the channels, "
             "scales and lays out the tensor in one go.")
_FLOAT32 = "the network computes in float32."
_IGNORES_INPUT = Table.ignores_input_hint  # the engine's own hint, for a known answer that does so

exercise("09.blob_from_crop", "One blobFromImage call that equals the network's preprocessing",
         solutions.blob_from_crop, Table(
    cases=_blob_cases, seed=9,
    returns=Returns("array", shape=lambda c: (1, 3, 224, 224), dtype="float32", rtol=0,
                    atol=1e-5, shape_hint=_NCHW, dtype_hint=_FLOAT32),
    probes=Probes(techniques=(Technique(cv2.dnn, "blobFromImage", True, _ONE_CALL),)),
    mistakes=(
        Mistake(lambda c: cv2.dnn.blobFromImage(c, 1 / 128, (224, 224), (127, 127, 127), swapRB=False),
                "OpenCV's images are BGR and the network was trained on RGB: set swapRB=True."),
        Mistake(lambda c: cv2.dnn.blobFromImage(c, 1 / 255, (224, 224), swapRB=True),
                "this network expects mean=127 and scalefactor=1/128, not plain 1/255."),
        Mistake(lambda c: cv2.dnn.blobFromImage(c, 1.0, (224, 224), (127, 127, 127), swapRB=True), _SCALE),
        Mistake(lambda c: ((_rgb(c).astype(np.float32) - 127) / 128).transpose(2, 1, 0)[None],
                "rows and columns swapped: the blob is (batch, channels, height, width), so "
                "transpose(2, 0, 1), not (2, 1, 0)."),
        Mistake(lambda c: ((_rgb(c) - np.uint8(127)) / 128).astype(np.float32).transpose(2, 0, 1)[None],
                "subtracting from a uint8 array wraps around below 0 (3 - 127 gives 132): "
                "convert to float32 before you subtract the mean."),
        Mistake(lambda c: ((_rgb(c) - 127.0) / 128).transpose(2, 0, 1)[None], _FLOAT32),
        Mistake(lambda c: cv2.dnn.blobFromImage(np.full((224, 224, 3), 120, np.uint8), 1 / 128,
                                                (224, 224), (127, 127, 127), swapRB=True), _IGNORES_INPUT),
        Mistake(lambda c: ((_rgb(c).astype(np.float32) - 127) / 128).transpose(2, 0, 1)[None], _ONE_CALL),
        Mistake(lambda c: solutions.blob_from_crop(c)[0], _NCHW),
    ),
    fallback=_SCALE,
    success="your blob, from one cv2.dnn.blobFromImage call, equals the network's input tensor for two "
            "random crops and one of extreme values: BGR->RGB, (x - 127) / 128, NCHW, float32.",
))

# ---------------------------------------------------------------------------------------------
# 09.top1_agreement


def _random_logits(rng: np.random.Generator, n: int, classes: int, agree: int,
                   dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """Two (n, classes) logit arrays whose top classes agree on about ``agree`` rows."""
    a = rng.standard_normal((n, classes))
    b = a + rng.normal(0, 0.01, (n, classes))
    top = a.argmax(axis=1)
    for i in rng.permutation(n)[agree:]:  # give these rows another top class in b
        other = (top[i] + rng.integers(1, classes)) % classes
        b[i, other] = a[i].max() + 1.0
    return a.astype(dtype), b.astype(dtype)


def _agreement_cases(rng: np.random.Generator) -> list[Case]:
    a = np.array([[3.0, 1.0, 0.0, 0.0], [0.0, 2.0, 1.0, 0.0], [0.0, 0.0, 5.0, 1.0],
                  [1.0, 0.0, 0.0, 4.0], [2.0, 2.5, 0.0, 0.0]])
    b = np.array([[2.5, 1.1, 0.0, 0.0], [0.0, 1.0, 1.5, 0.0], [0.0, 0.0, 4.0, 1.0],
                  [1.0, 0.0, 0.0, 4.1], [2.6, 1.0, 0.0, 0.0]])  # rows 0, 2, 3 agree with a
    c = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 2.0, 0.0, 3.0], [5.0, 0.0, 1.0, 0.0],
                  [1.0, 2.0, 0.0, 0.0], [2.0, 3.0, 0.0, 0.0]])  # row 4 agrees with a, none with b
    d = a.copy()
    d[1] = [3.0, 0.0, 0.0, 0.0]  # 4 of 5 rows agree with a, and so does the largest logit
    named = {"a, b": (a, b), "a, a": (a, a), "a, c": (a, c), "b, b": (b, b), "c, b": (c, b), "a, d": (a, d)}
    cases = [Case(f"top1_agreement({k})", pair) for k, pair in named.items()]
    for n, classes, agree, dtype in ((7, 10, 4, np.float64), (40, 3, 31, np.float32),
                                     (1, 5, 0, np.float64), (1, 5, 1, np.float32),
                                     (25, 1000, 19, np.float32), (6, 6, 5, np.float64),
                                     (500, 4, 170, np.float64)):
        x, y = _random_logits(rng, n, classes, agree, dtype)
        cases.append(Case(f"top1_agreement on random ({n}, {classes}) {np.dtype(dtype).name} logits",
                          (x, y)))
    return cases


def _matches(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a.argmax(axis=1) == b.argmax(axis=1)


_AGREE_HOW = "take the argmax of each row (axis=1) in both arrays and average the matches."
_ONE_NUMBER = "compare the two argmax vectors and average the matches: return one number."
_AB = ("rows 0, 2 and 3 have the same top class in both, rows 1 and 4 do not: 3 of 5. Take the argmax "
       "of each row (axis=1) in both arrays and average the matches.")

exercise("09.top1_agreement", "How often do two runtimes pick the same class?",
         solutions.top1_agreement, Table(
    cases=_agreement_cases, seed=99,
    returns=Returns("number", type_hint=_ONE_NUMBER),
    mistakes=(
        Mistake(lambda a, b: float(_matches(a, b).sum()), "that is the number of matching rows: "
                "divide by the number of rows to get a fraction."),
        Mistake(lambda a, b: 100 * float(_matches(a, b).mean()), "return a fraction from 0 to 1, not a "
                                                                 "percentage."),
        Mistake(lambda a, b: float(np.mean(a.argmax(axis=0) == b.argmax(axis=0))),
                "take the argmax along axis=1, over the classes of each image, not over images."),
        Mistake(lambda a, b: float(np.argmax(a) == np.argmax(b)), "np.argmax without an axis "
                "finds the largest logit of the whole array: give axis=1, one per row."),
        Mistake(lambda a, b: float(np.mean(np.isclose(a, b, atol=0.2))), _AB),
        Mistake(lambda a, b: float(_matches(a, a).mean()), _IGNORES_INPUT),
        Mistake(lambda a, b: float(_matches(a[:100], b[:100]).mean()), "you look at the first "
                "100 rows only: average over all N rows, however many there are."),
        Mistake(lambda a, b: _matches(a, b), _ONE_NUMBER),
    ),
    fallback=_AGREE_HOW,
    diagnose=lambda case, got, want: _AB if case.what == "top1_agreement(a, b)" else None,
    success="top1_agreement gives the fraction of rows whose top class agrees, for arrays of 1 to "
            "500 rows and 3 to 1000 classes, float32 and float64, whichever argument changes.",
))

# ---------------------------------------------------------------------------------------------
# 09.crop_with_margin. Boxes are placed so that the margin crosses each border, or not.

Box = tuple[int, int, int, int]


def _random_crop_case(rng: np.random.Generator, where: str) -> tuple[np.ndarray, Box, float]:
    height, width = int(rng.integers(60, 300)), int(rng.integers(60, 300))
    if abs(height - width) < 10:
        width += 37
    shape = (height, width) if rng.random() < 0.5 else (height, width, 3)
    image = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    while True:  # a margin whose products are far from .5, one of them rounding up
        w, h = int(rng.integers(8, 50)), int(rng.integers(8, 50))
        margin = round(float(rng.uniform(0.1, 0.9)), 2)
        fractions = [(margin * w) % 1, (margin * h) % 1]
        if w != h and all(abs(f - 0.5) > 0.1 for f in fractions) and max(fractions) > 0.6:
            break
    mx, my = round(margin * w), round(margin * h)

    def place(size: int, side: int, m: int, kind: str) -> int:
        """A start near the low border (the margin crosses it), the high one, or inside."""
        low, high = {"start": (0, m - 1), "end": (size - side - m + 1, size - side),
                     "inside": (m, size - side - m)}[kind]
        low, high = max(0, low), min(size - side, high)
        return int(rng.integers(low, high + 1)) if low <= high else max(0, min(low, size - side))

    kind_x, kind_y = where.split("-")
    return image, (place(width, w, mx, kind_x), place(height, h, my, kind_y), w, h), margin


def _crop_cases(rng: np.random.Generator) -> list[Case]:
    image = np.arange(100 * 160, dtype=np.int32).reshape(100, 160)
    found = [(image, (50, 30, 40, 20), 0.25), (image, (5, 4, 40, 30), 0.5),
             (image, (130, 70, 20, 20), 1.0), (image, (60, 40, 30, 10), 0.0)]
    found += [_random_crop_case(rng, where) for where in ("start-start", "end-end", "start-end",
                                                         "end-start", "inside-start", "end-inside",
                                                         "inside-inside")]
    return [Case(f"crop_with_margin({' x '.join(map(str, img.shape))} image, box={box}, margin={m})",
                 (img, box, m)) for img, box, m in found]


def _crop(image: np.ndarray, box: Box, margin: float, *, grow: Any = round, swap_margins: bool = False,
          margins_from: str = "", clip_low: bool = True, clip_high: Any = None, both_sides: bool = True,
          swap_xy: bool = False) -> np.ndarray:
    """A crop with one known mistake switched on (the reference when none is)."""
    x, y, w, h = box
    mx, my = grow(margin * w), grow(margin * h)
    if swap_margins:
        mx, my = my, mx
    if margins_from:
        mx = my = mx if margins_from == "w" else my
    if swap_xy:
        x, y, w, h = y, x, h, w
    height, width = image.shape[:2]
    x0, y0 = (x - mx, y - my) if both_sides else (x, y)
    if clip_low:
        x0, y0 = max(0, x0), max(0, y0)
    x1, y1 = x + w + mx, y + h + my
    if clip_high is not None:
        x1, y1 = clip_high(x1, y1, height, width)
    return image[y0:y1, x0:x1]


def _shown(case: Case, want: np.ndarray, got: np.ndarray) -> tuple[Any, Any]:
    if got.shape != want.shape:
        return f"shape {want.shape}", f"shape {got.shape}"
    return "the pixels inside the grown box", "other pixels"


_HEIGHT = ("the margin above and below is round(margin * h), from the box's height; left and right it is "
           "round(margin * w).")
_SWAPPED = "box is (x, y, w, h): rows come from y and h, columns from x and w."

exercise("09.crop_with_margin", "Crop a detection with a margin, safely at the borders",
         solutions.crop_with_margin, Table(
    cases=_crop_cases, seed=909, returns=Returns("array"), shown=_shown,
    mistakes=(
        Mistake(lambda i, b, m: _crop(i, b, 0.0), "the crop has no margin: grow the box by "
                "round(margin * w) on the left and right and round(margin * h) above and below."),
        Mistake(lambda i, b, m: _crop(i, b, m, swap_xy=True), _SWAPPED),
        Mistake(lambda i, b, m: _crop(i, b, m, swap_xy=True, clip_low=False), _SWAPPED),
        Mistake(lambda i, b, m: _crop(i, b, m, clip_low=False), "a negative start index makes "
                "NumPy count from the other end: clip each start at 0 with max(0, ...)."),
        Mistake(lambda i, b, m: _crop(i, b, m, grow=int), "round the margin with round(margin * w): int() "
                                                          "cuts off the fraction."),
        Mistake(lambda i, b, m: _crop(i, b, m, swap_margins=True), _HEIGHT),
        Mistake(lambda i, b, m: _crop(i, b, m, margins_from="w"), _HEIGHT),
        Mistake(lambda i, b, m: _crop(i, b, m, margins_from="h"), _HEIGHT),
        Mistake(lambda i, b, m: _crop(i, b, m, clip_high=lambda x1, y1, hh, ww: (min(hh, x1), min(ww, y1))),
                "clip x to the image's width, image.shape[1], and y to its height, image.shape[0]."),
        Mistake(lambda i, b, m: _crop(i, b, m, both_sides=False), "grow the box on both sides: "
                "the crop starts at x - round(margin * w) and y - round(margin * h)."),
        Mistake(lambda i, b, m: _crop(i, b, 0.2), "your crop does not change with margin: use "
                                                  "the argument, not the notebook's 0.2."),
        Mistake(lambda i, b, m: _crop(i, b, m, clip_high=lambda x1, y1, hh, ww: (min(ww - 1, x1),
                                                                              min(hh - 1, y1))),
                "clip the end at image.shape[1] (and shape[0]), not one less: a slice's end is already "
                "left out."),
    ),
    fallback="the crop runs from (x - round(margin * w), y - round(margin * h)) to (x + w + "
             "round(margin * w), y + h + round(margin * h)), clipped to the image on all four "
             "sides; slice image[y0:y1, x0:x1], rows first.",
    success="crop_with_margin grows the box by round(margin * w) and round(margin * h) and clips "
            "it at all four borders, for grey and colour images of several shapes.",
))
