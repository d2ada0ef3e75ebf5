"""Checks for lesson 09 (OpenCV meets deep learning)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np

from course_lib.exercises.core import Exercise, Wrong, register, require
from course_lib.solutions import lesson09 as solutions

# EfficientNet-Lite0's input scaling, as course_lib.pretrained applies it: (x - 127) / 128
_MEAN, _STD = 127.0, 128.0

# ---------------------------------------------------------------------------------------------
# 09.blob_from_crop


def _blob_mistakes(crop: np.ndarray, expected: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """What known mistakes return for this crop, each with its hint."""
    rgb = crop[:, :, ::-1]
    return [
        (expected[:, ::-1], "OpenCV's images are BGR and the network was trained on RGB: set swapRB=True."),
        (rgb.transpose(2, 0, 1)[None] / 255.0,
         "this network expects mean=127 and scalefactor=1/128, not plain 1/255."),
        (expected.transpose(0, 1, 3, 2), "rows and columns swapped: the blob is (batch, channels, "
                                         "height, width), so transpose(2, 0, 1), not (2, 1, 0)."),
        ((rgb - np.uint8(127)).astype(np.float32).transpose(2, 0, 1)[None] / _STD,
         "subtracting from a uint8 array wraps around below 0 (3 - 127 gives 132): convert to "
         "float32 before you subtract the mean."),
    ]


def _check_blob(fn: Callable[[np.ndarray], np.ndarray]) -> str:
    rng = np.random.default_rng(9)
    crops = []
    for strong in (0, 2):  # a strong blue, then a strong red channel, so a missing swap is obvious
        crop = rng.integers(0, 256, size=(224, 224, 3), dtype=np.uint8)
        crop[:, :, strong] = np.maximum(crop[:, :, strong], 200)
        crops.append(crop)
    blobs = []
    for k, crop in enumerate(crops):
        got = np.asarray(fn(crop.copy()))
        what = f"blob_from_crop(crop {k + 1})"
        require(got.shape == (1, 3, 224, 224), f"{what}.shape", (1, 3, 224, 224), got.shape,
                "networks want (batch, channels, height, width): blobFromImage already gives that.")
        require(got.dtype == np.float32, f"{what}.dtype", "float32", got.dtype,
                "the network computes in float32.")
        blobs.append(got)
    expected = [((c[:, :, ::-1].astype(np.float32) - _MEAN) / _STD).transpose(2, 0, 1)[None]
                for c in crops]
    require(not np.allclose(blobs[0], blobs[1], atol=1e-4), "blob_from_crop(crop 1) and "
            "blob_from_crop(crop 2)", "two different blobs", "the same blob twice",
            "your blob does not change with crop_bgr: build it from the argument, not from an "
            "image of your own (or the notebook's crop_bgr).")
    for k, (crop, got, want) in enumerate(zip(crops, blobs, expected, strict=True)):
        err = float(np.abs(got - want).max())
        if err < 1e-5:
            continue
        what = f"blob_from_crop(crop {k + 1})"
        for mistake, hint in _blob_mistakes(crop, want):
            require(not np.allclose(got, mistake, atol=1e-4), f"max |{what} - expected|", "< 1e-5",
                    f"{err:.4g}", hint)
        require(False, f"max |{what} - expected|", "< 1e-5", f"{err:.4g}",
                "blobFromImage computes (x - mean) * scalefactor: mean=(127, 127, 127), "
                "scalefactor=1/128.")
    return ("your blob equals the network's input tensor for two random crops: BGR->RGB, "
            "(x - 127) / 128, NCHW, float32.")


def _no_swap(crop_bgr: np.ndarray) -> np.ndarray:
    return cv2.dnn.blobFromImage(crop_bgr, 1 / 128, (224, 224), (127, 127, 127), swapRB=False)


def _divides_by_255(crop_bgr: np.ndarray) -> np.ndarray:
    return cv2.dnn.blobFromImage(crop_bgr, 1 / 255, (224, 224), swapRB=True)


def _no_scale(crop_bgr: np.ndarray) -> np.ndarray:
    return cv2.dnn.blobFromImage(crop_bgr, 1.0, (224, 224), (127, 127, 127), swapRB=True)


def _height_and_width_swapped(crop_bgr: np.ndarray) -> np.ndarray:
    rgb = crop_bgr[:, :, ::-1].astype(np.float32)
    return ((rgb - 127) / 128).transpose(2, 1, 0)[None]


def _uint8_wraps(crop_bgr: np.ndarray) -> np.ndarray:
    return ((crop_bgr[:, :, ::-1] - 127) / 128).astype(np.float32).transpose(2, 0, 1)[None]


def _float64(crop_bgr: np.ndarray) -> np.ndarray:
    return ((crop_bgr[:, :, ::-1] - 127.0) / 128).transpose(2, 0, 1)[None]


def _a_crop_of_its_own(crop_bgr: np.ndarray) -> np.ndarray:
    grey = np.full((224, 224, 3), 120, np.uint8)  # not the argument
    return cv2.dnn.blobFromImage(grey, 1 / 128, (224, 224), (127, 127, 127), swapRB=True)


# ---------------------------------------------------------------------------------------------
# 09.top1_agreement


def _agreement_mistakes() -> list[tuple[Callable[[np.ndarray, np.ndarray], float], str]]:
    """Known mistakes, as functions, each with its hint."""
    def matches(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a.argmax(axis=1) == b.argmax(axis=1)

    return [
        (lambda a, b: float(matches(a, b).sum()),
         "that is the number of matching rows: divide by the number of rows to get a fraction."),
        (lambda a, b: 100 * float(matches(a, b).mean()),
         "return a fraction from 0 to 1, not a percentage."),
        (lambda a, b: float(np.mean(a.argmax(axis=0) == b.argmax(axis=0))),
         "take the argmax along axis=1, over the classes of each image, not over images."),
        (lambda a, b: float(np.argmax(a) == np.argmax(b)),
         "np.argmax without an axis finds the largest logit of the whole array: give axis=1, "
         "one per row."),
    ]


_AGREE_HOW = "take the argmax of each row (axis=1) in both arrays and average the matches."


def _agreement(fn: Callable[[np.ndarray, np.ndarray], float], a: np.ndarray, b: np.ndarray,
               what: str) -> float:
    got = fn(a.copy(), b.copy())
    require(np.ndim(got) == 0, what, "one number", f"shape {np.shape(got)}",
            "compare the two argmax vectors and average the matches.")
    return float(got)


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


def _check_agreement(fn: Callable[[np.ndarray, np.ndarray], float]) -> str:
    a = np.array([[3.0, 1.0, 0.0, 0.0], [0.0, 2.0, 1.0, 0.0], [0.0, 0.0, 5.0, 1.0],
                  [1.0, 0.0, 0.0, 4.0], [2.0, 2.5, 0.0, 0.0]])
    b = np.array([[2.5, 1.1, 0.0, 0.0], [0.0, 1.0, 1.5, 0.0], [0.0, 0.0, 4.0, 1.0],
                  [1.0, 0.0, 0.0, 4.1], [2.6, 1.0, 0.0, 0.0]])  # rows 0, 2, 3 agree with a
    c = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 2.0, 0.0, 3.0], [5.0, 0.0, 1.0, 0.0],
                  [1.0, 2.0, 0.0, 0.0], [2.0, 3.0, 0.0, 0.0]])  # row 4 agrees with a, none with b
    d = a.copy()
    d[1] = [3.0, 0.0, 0.0, 0.0]  # 4 of 5 rows agree with a, and so does the largest logit
    pairs = {"a, b": (a, b), "a, a": (a, a), "a, c": (a, c), "b, b": (b, b), "c, b": (c, b),
             "a, d": (a, d)}
    got = {k: _agreement(fn, x, y, f"top1_agreement({k})") for k, (x, y) in pairs.items()}
    want = {k: solutions.top1_agreement(x, y) for k, (x, y) in pairs.items()}
    wrong = [k for k in pairs if not np.isclose(got[k], want[k])]
    if wrong:
        k = wrong[0]
        what = f"top1_agreement({k})"
        for mistake, hint in _agreement_mistakes():  # a known mistake that explains every result
            require(not all(np.isclose(got[j], mistake(*pairs[j])) for j in pairs), what,
                    round(want[k], 4), round(got[k], 4), hint)
        values = {round(v, 9) for v in got.values()}
        require(len(values) > 1, f"top1_agreement({'), ('.join(pairs)})", list(want.values()),
                list(got.values()), "your answer was the same for every pair of logits tried: compare "
                "each row's top class in logits_a with the one in logits_b.")
        for name, keys in (("logits_b", ("a, b", "a, a", "a, c")), ("logits_a", ("a, b", "b, b", "c, b"))):
            require(len({round(got[j], 9) for j in keys}) > 1, f"top1_agreement({'), ('.join(keys)})",
                    [want[j] for j in keys], [round(got[j], 4) for j in keys],
                    f"your answer was the same for three {name} with different top classes: compare "
                    "each row's top class in logits_a with the one in logits_b.")
        require(k != "a, b", what, 0.6, round(got[k], 4),
                f"rows 0, 2 and 3 have the same top class in both, rows 1 and 4 do not: 3 of 5. "
                f"{_AGREE_HOW[0].upper()}{_AGREE_HOW[1:]}")
        require(False, what, round(want[k], 4), round(got[k], 4), _AGREE_HOW)
    rng = np.random.default_rng(99)
    for n, classes, agree, dtype in ((7, 10, 4, np.float64), (40, 3, 31, np.float32),
                                     (1, 5, 0, np.float64), (25, 1000, 19, np.float32),
                                     (6, 6, 5, np.float64)):
        x, y = _random_logits(rng, n, classes, agree, dtype)
        what = f"top1_agreement on random ({n}, {classes}) {np.dtype(dtype).name} logits"
        expected, result = solutions.top1_agreement(x, y), _agreement(fn, x, y, what)
        require(np.isclose(result, expected), what, round(expected, 4), round(result, 4), _AGREE_HOW)
    return ("top1_agreement gives the fraction of rows whose top class agrees, for arrays of 1 to 40 "
            "rows and 3 to 1000 classes, float32 and float64, whichever argument changes.")


def _over_images(logits_a: np.ndarray, logits_b: np.ndarray) -> float:
    return float(np.mean(logits_a.argmax(axis=0) == logits_b.argmax(axis=0)))


def _count(logits_a: np.ndarray, logits_b: np.ndarray) -> int:
    return int((logits_a.argmax(axis=1) == logits_b.argmax(axis=1)).sum())


def _close_logits(logits_a: np.ndarray, logits_b: np.ndarray) -> float:
    return float(np.mean(np.isclose(logits_a, logits_b, atol=0.2)))


def _argmax_without_axis(logits_a: np.ndarray, logits_b: np.ndarray) -> float:
    return float(np.mean(np.argmax(logits_a) == np.argmax(logits_b)))


def _percentage(logits_a: np.ndarray, logits_b: np.ndarray) -> float:
    return 100 * float(np.mean(logits_a.argmax(axis=1) == logits_b.argmax(axis=1)))


def _compares_a_with_itself(logits_a: np.ndarray, logits_b: np.ndarray) -> float:
    return float(np.mean(logits_a.argmax(axis=1) == logits_a.argmax(axis=1)))  # a typo: a for b


# ---------------------------------------------------------------------------------------------
# 09.crop_with_margin

Box = tuple[int, int, int, int]


def _crop(image: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    return image[y0:y1, x0:x1]


def _crop_mistakes(image: np.ndarray, box: Box, margin: float) -> list[tuple[np.ndarray, str]]:
    """What known mistakes return for these inputs, each with its hint."""
    x, y, w, h = box
    mx, my = round(margin * w), round(margin * h)
    height, width = image.shape[:2]
    tx, ty = int(margin * w), int(margin * h)
    nx, ny = round(0.2 * w), round(0.2 * h)  # the notebook's margin
    from_height = "the margin above and below is round(margin * h), from the box's height; left and " \
                  "right it is round(margin * w)."
    swapped = "box is (x, y, w, h): rows come from y and h, columns from x and w."
    return [
        (image[y:y + h, x:x + w], "the crop has no margin: grow the box by round(margin * w) on the "
                                  "left and right and round(margin * h) above and below."),
        (image[max(0, x - mx):x + w + mx, max(0, y - my):y + h + my], swapped),
        (image[x - mx:x + w + mx, y - my:y + h + my], swapped),
        (image[y - my:y + h + my, x - mx:x + w + mx],
         "a negative start index makes NumPy count from the other end: clip each start at 0 "
         "with max(0, ...)."),
        (_crop(image, max(0, x - tx), max(0, y - ty), x + w + tx, y + h + ty),
         "round the margin with round(margin * w): int() cuts off the fraction."),
        (_crop(image, max(0, x - my), max(0, y - mx), x + w + my, y + h + mx), from_height),
        (_crop(image, max(0, x - mx), max(0, y - mx), x + w + mx, y + h + mx), from_height),
        (_crop(image, max(0, x - my), max(0, y - my), x + w + my, y + h + my), from_height),
        (_crop(image, max(0, x - mx), max(0, y - my), min(height, x + w + mx), min(width, y + h + my)),
         "clip x to the image's width, image.shape[1], and y to its height, image.shape[0]."),
        (_crop(image, x, y, x + w + mx, y + h + my),
         "grow the box on both sides: the crop starts at x - round(margin * w) and y - round(margin * h)."),
        (_crop(image, max(0, x - nx), max(0, y - ny), x + w + nx, y + h + ny),
         "your crop does not change with margin: use the argument, not the notebook's 0.2."),
    ]


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
    x, y = place(width, w, mx, kind_x), place(height, h, my, kind_y)
    return image, (x, y, w, h), margin


def _check_crop(fn: Callable[[np.ndarray, Box, float], np.ndarray]) -> str:
    image = np.arange(100 * 160, dtype=np.int32).reshape(100, 160)
    cases = [(image, (50, 30, 40, 20), 0.25), (image, (5, 4, 40, 30), 0.5),
             (image, (130, 70, 20, 20), 1.0), (image, (60, 40, 30, 10), 0.0)]
    rng = np.random.default_rng(909)
    for where in ("start-start", "end-end", "start-end", "end-start", "inside-start", "end-inside",
                  "inside-inside"):
        cases.append(_random_crop_case(rng, where))
    results = []
    for img, box, margin in cases:
        got = np.asarray(fn(img.copy(), box, margin))
        results.append((img, box, margin, solutions.crop_with_margin(img, box, margin), got))
    if all(np.array_equal(got, want) for *_, want, got in results):
        return ("crop_with_margin grows the box by round(margin * w) and round(margin * h) and clips "
                "it at all four borders, for grey and colour images of several shapes.")
    def call(img: np.ndarray, box: Box, margin: float) -> str:
        return f"crop_with_margin({' x '.join(map(str, img.shape))} image, box={box}, margin={margin})"

    def fail(img: np.ndarray, box: Box, margin: float, want: np.ndarray, got: np.ndarray,
             hint: str) -> None:
        if got.shape != want.shape:
            require(False, f"{call(img, box, margin)}.shape", want.shape, got.shape, hint)
        require(False, f"{call(img, box, margin)} values", "the pixels inside the grown box",
                "other pixels", hint)

    first_wrong = next(r for r in results if not np.array_equal(r[4], r[3]))
    for k in range(len(_crop_mistakes(*cases[0]))):  # one known mistake that explains every result
        if all(np.array_equal(got, _crop_mistakes(img, box, margin)[k][0])
               for img, box, margin, want, got in results):
            fail(*first_wrong, _crop_mistakes(*first_wrong[:3])[k][1])
    img, box, margin, want, got = first_wrong
    if got.shape != want.shape:
        fail(*first_wrong, "the crop runs from (x - round(margin * w), y - round(margin * h)) to "
             "(x + w + round(margin * w), y + h + round(margin * h)), clipped to the image on all "
             "four sides.")
    fail(*first_wrong, "slice image[y0:y1, x0:x1] (rows first, then columns).")
    raise AssertionError("unreachable")  # pragma: no cover


def _no_margin(image: np.ndarray, box: Box, margin: float) -> np.ndarray:
    x, y, w, h = box
    return image[y:y + h, x:x + w]


def _x_and_y_swapped(image: np.ndarray, box: Box, margin: float) -> np.ndarray:
    x, y, w, h = box
    mx, my = round(margin * w), round(margin * h)
    return image[x - mx:x + w + mx, y - my:y + h + my]


def _no_clipping(image: np.ndarray, box: Box, margin: float) -> np.ndarray:
    x, y, w, h = box
    mx, my = round(margin * w), round(margin * h)
    return image[y - my:y + h + my, x - mx:x + w + mx]


def _truncates_margin(image: np.ndarray, box: Box, margin: float) -> np.ndarray:
    x, y, w, h = box
    mx, my = int(margin * w), int(margin * h)
    return image[max(0, y - my):y + h + my, max(0, x - mx):x + w + mx]


def _margin_from_width_only(image: np.ndarray, box: Box, margin: float) -> np.ndarray:
    x, y, w, h = box
    m = round(margin * w)
    return image[max(0, y - m):y + h + m, max(0, x - m):x + w + m]


def _clips_to_the_wrong_side(image: np.ndarray, box: Box, margin: float) -> np.ndarray:
    x, y, w, h = box
    mx, my = round(margin * w), round(margin * h)
    height, width = image.shape[:2]
    return image[max(0, y - my):min(width, y + h + my), max(0, x - mx):min(height, x + w + mx)]


def _notebook_margin(image: np.ndarray, box: Box, margin: float) -> np.ndarray:
    x, y, w, h = box
    mx, my = round(0.2 * w), round(0.2 * h)
    return image[max(0, y - my):y + h + my, max(0, x - mx):x + w + mx]


register(Exercise(
    id="09.blob_from_crop",
    title="One blobFromImage call that equals the network's preprocessing",
    checker=_check_blob,
    solution=solutions.blob_from_crop,
    wrong=(
        Wrong(_no_swap, "set swapRB=True"),
        Wrong(_divides_by_255, "not plain 1/255"),
        Wrong(_no_scale, "computes (x - mean) * scalefactor"),
        Wrong(_height_and_width_swapped, "rows and columns swapped"),
        Wrong(_uint8_wraps, "wraps around below 0"),
        Wrong(_float64, "computes in float32"),
        Wrong(_a_crop_of_its_own, "does not change with crop_bgr"),
    ),
))

register(Exercise(
    id="09.top1_agreement",
    title="How often do two runtimes pick the same class?",
    checker=_check_agreement,
    solution=solutions.top1_agreement,
    wrong=(
        Wrong(_over_images, "not over images"),
        Wrong(_count, "divide by the number of rows"),
        Wrong(_close_logits, "rows 0, 2 and 3 have the same top class"),
        Wrong(_argmax_without_axis, "without an axis"),
        Wrong(_percentage, "not a percentage"),
        Wrong(_compares_a_with_itself, "the same for every pair of logits"),
    ),
))

register(Exercise(
    id="09.crop_with_margin",
    title="Crop a detection with a margin, safely at the borders",
    checker=_check_crop,
    solution=solutions.crop_with_margin,
    wrong=(
        Wrong(_no_margin, "the crop has no margin"),
        Wrong(_x_and_y_swapped, "rows come from y and h"),
        Wrong(_no_clipping, "count from the other end"),
        Wrong(_truncates_margin, "int() cuts off the fraction"),
        Wrong(_margin_from_width_only, "from the box's height"),
        Wrong(_clips_to_the_wrong_side, "image.shape[1]"),
        Wrong(_notebook_margin, "does not change with margin"),
    ),
))
