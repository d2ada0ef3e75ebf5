"""Checks for lesson 09 (OpenCV meets deep learning)."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from course_lib.exercises.core import Exercise, register, require
from course_lib.solutions import lesson09 as solutions

# EfficientNet-Lite0's input scaling, as course_lib.pretrained applies it: (x - 127) / 128
_MEAN, _STD = 127.0, 128.0


def _check_blob(fn: Callable[[np.ndarray], np.ndarray]) -> str:
    rng = np.random.default_rng(9)
    crop = rng.integers(0, 256, size=(224, 224, 3), dtype=np.uint8)
    crop[:, :, 0] = 255  # a strong blue channel, so a missing swap is obvious
    expected = ((crop[:, :, ::-1].astype(np.float32) - _MEAN) / _STD).transpose(2, 0, 1)[None]
    got = np.asarray(fn(crop.copy()))
    require(got.shape == (1, 3, 224, 224), "blob.shape", (1, 3, 224, 224), got.shape,
            "networks want (batch, channels, height, width): blobFromImage already gives that.")
    require(got.dtype == np.float32, "blob.dtype", "float32", got.dtype,
            "the network computes in float32.")
    require(not np.allclose(got[0, 0], expected[0, 2], atol=1e-4), "channel 0 of the blob",
            "the red channel", "the blue channel",
            "OpenCV's images are BGR and the network was trained on RGB: set swapRB=True.")
    require(not np.allclose(got, crop[:, :, ::-1].transpose(2, 0, 1)[None] / 255.0, atol=1e-4),
            "the blob's values", "(x - 127) / 128, in about [-1, 1]", "x / 255, in [0, 1]",
            "this network expects mean=127 and scalefactor=1/128, not plain 1/255.")
    err = float(np.abs(got - expected).max())
    require(err < 1e-5, "max |blob - expected|", "< 1e-5", f"{err:.4g}",
            "blobFromImage computes (x - mean) * scalefactor: mean=(127, 127, 127), "
            "scalefactor=1/128.")
    return "your blob equals the network's input tensor: BGR->RGB, (x - 127) / 128, NCHW."


def _check_agreement(fn: Callable[[np.ndarray, np.ndarray], float]) -> str:
    a = np.array([[3.0, 1.0, 0.0, 0.0], [0.0, 2.0, 1.0, 0.0], [0.0, 0.0, 5.0, 1.0],
                  [1.0, 0.0, 0.0, 4.0], [2.0, 2.5, 0.0, 0.0]])
    b = np.array([[2.9, 1.1, 0.0, 0.0], [0.0, 1.0, 1.5, 0.0], [0.0, 0.0, 5.0, 1.0],
                  [1.0, 0.0, 0.0, 4.1], [2.6, 2.5, 0.0, 0.0]])
    got = fn(a.copy(), b.copy())
    require(np.ndim(got) == 0, "top1_agreement(a, b)", "one number", f"shape {np.shape(got)}",
            "compare the two argmax vectors and average the matches.")
    got = float(got)
    require(not np.isclose(got, 3.0), "top1_agreement(a, b)", 0.6, got,
            "3 is the number of matching rows: divide by the number of rows to get a fraction.")
    over_images = float(np.mean(a.argmax(axis=0) == b.argmax(axis=0)))
    require(not np.isclose(got, over_images), "top1_agreement(a, b)", 0.6, got,
            "take the argmax along axis=1, over the classes of each image, not over images.")
    require(np.isclose(got, 0.6), "top1_agreement(a, b)", 0.6, round(got, 4),
            "rows 0, 2 and 3 have the same top class in both, rows 1 and 4 do not: 3 of 5.")
    same = float(fn(a, a))
    require(np.isclose(same, 1.0), "top1_agreement(a, a)", 1.0, same,
            "identical logits agree on every row.")
    return "top1_agreement gives 0.6 on the test logits and 1.0 for identical ones."


def _check_crop(fn: Callable[[np.ndarray, tuple[int, int, int, int], float], np.ndarray]) -> str:
    image = np.arange(100 * 160, dtype=np.int32).reshape(100, 160)
    cases = [((50, 30, 40, 20), 0.25), ((5, 4, 40, 30), 0.5), ((130, 70, 20, 20), 1.0)]
    for box, margin in cases:
        expected = solutions.crop_with_margin(image, box, margin)
        got = np.asarray(fn(image.copy(), box, margin))
        call = f"crop_with_margin(image, box={box}, margin={margin})"
        if box == (50, 30, 40, 20):
            require(got.shape != (60, 30), f"{call}.shape", expected.shape, got.shape,
                    "box is (x, y, w, h): rows come from y and h, columns from x and w.")
            require(got.shape != (20, 40), f"{call}.shape", expected.shape, got.shape,
                    "add margin * w on the left and right and margin * h above and below.")
        require(got.shape == expected.shape, f"{call}.shape", expected.shape, got.shape,
                "clip the corners to the image (0 and its width/height): a negative start "
                "index makes NumPy count from the other end.")
        require(np.array_equal(got, expected), f"{call} values", "the pixels inside the box",
                "other pixels", "slice image[y0:y1, x0:x1] (rows first, then columns).")
    return "crop_with_margin grows the box by the margin and stays inside the image."


register(Exercise(
    id="09.blob_from_crop",
    title="One blobFromImage call that equals the network's preprocessing",
    checker=_check_blob,
    solution=solutions.blob_from_crop,
    wrong=(
        lambda: (lambda c: cv2.dnn.blobFromImage(c, 1 / 128, (224, 224), (127, 127, 127),
                                                 swapRB=False)),
        lambda: (lambda c: cv2.dnn.blobFromImage(c, 1 / 255, (224, 224), swapRB=True)),
        lambda: (lambda c: cv2.dnn.blobFromImage(c, 1.0, (224, 224), (127, 127, 127),
                                                 swapRB=True)),
    ),
))

register(Exercise(
    id="09.top1_agreement",
    title="How often do two runtimes pick the same class?",
    checker=_check_agreement,
    solution=solutions.top1_agreement,
    wrong=(
        lambda: (lambda a, b: float(np.mean(a.argmax(axis=0) == b.argmax(axis=0)))),
        lambda: (lambda a, b: int((a.argmax(axis=1) == b.argmax(axis=1)).sum())),
        lambda: (lambda a, b: float(np.mean(np.isclose(a, b, atol=0.2)))),
    ),
))

register(Exercise(
    id="09.crop_with_margin",
    title="Crop a detection with a margin, safely at the borders",
    checker=_check_crop,
    solution=solutions.crop_with_margin,
    wrong=(
        lambda: (lambda im, b, m: im[b[1]:b[1] + b[3], b[0]:b[0] + b[2]]),
        lambda: (lambda im, b, m: im[b[0] - round(m * b[2]):b[0] + b[2] + round(m * b[2]),
                                     b[1] - round(m * b[3]):b[1] + b[3] + round(m * b[3])]),
        lambda: (lambda im, b, m: im[b[1] - round(m * b[3]):b[1] + b[3] + round(m * b[3]),
                                     b[0] - round(m * b[2]):b[0] + b[2] + round(m * b[2])]),
    ),
))
