"""The two-layer ReLU network problem from the lecture: random data and initial weights, seeded.

Lessons that train this network in several ways (NumPy, torch, TensorFlow) start from the
arrays returned here, so their losses can be compared step by step.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from course_lib.errors import CourseInputError, expect, expect_array, expect_int

LEARNING_RATE = 1e-6  # the lecture's step size for the summed squared error below
MAX_NUMBERS = 50_000_000  # x, y, w1 and w2 together: 400 MB in float64


class TwoLayerProblem(NamedTuple):
    """Inputs ``x`` (n, d_in), targets ``y`` (n, d_out), weights ``w1`` (d_in, h), ``w2`` (h, d_out)."""

    x: np.ndarray
    y: np.ndarray
    w1: np.ndarray
    w2: np.ndarray


def _as_float_dtype(dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype) if dtype is not None else None  # np.dtype(None) would be float64
    except (TypeError, ValueError) as exc:
        raise CourseInputError(f"dtype: expected np.float32 or np.float64, got {dtype!r}.") from exc
    if dt is None or dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        got = dtype if dt is None else dt
        raise CourseInputError(f"dtype: expected np.float32 or np.float64, got {got}.")
    return dt


def two_layer_problem(seed: int = 0, n: int = 64, d_in: int = 1000, h: int = 100,
                      d_out: int = 10, dtype: Any = np.float32) -> TwoLayerProblem:
    """Standard-normal data and weights for the two-layer net, the same for any ``dtype``.

    The numbers are drawn in float64 from ``np.random.default_rng(seed)`` and then cast, so
    the float32 and float64 problems for one seed hold the same values up to rounding.
    """
    expect_int(seed, "seed", low=0)
    for name, v in (("n", n), ("d_in", d_in), ("h", h), ("d_out", d_out)):
        expect_int(v, name, low=1, high=100_000)
    total = n * d_in + n * d_out + d_in * h + h * d_out
    if total > MAX_NUMBERS:
        raise CourseInputError(f"n, d_in, h, d_out: expected at most {MAX_NUMBERS:,} numbers in all "
                               f"(x, y, w1, w2), got {total:,}.")
    dt = _as_float_dtype(dtype)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d_in))
    y = rng.standard_normal((n, d_out))
    w1 = rng.standard_normal((d_in, h))
    w2 = rng.standard_normal((h, d_out))
    return TwoLayerProblem(*(a.astype(dt) for a in (x, y, w1, w2)))


def numpy_loss(x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> float:
    """The network's loss in NumPy: sum of squared errors of relu(x @ w1) @ w2 against y."""
    for name, a in (("x", x), ("y", y), ("w1", w1), ("w2", w2)):
        expect_array(a, name, ndim=2, dtype=("float", "int"))
    expect(x.shape[1] == w1.shape[0] and w1.shape[1] == w2.shape[0]
           and y.shape == (x.shape[0], w2.shape[1]), "shapes",
           "x (n, d_in), y (n, d_out), w1 (d_in, h), w2 (h, d_out)",
           f"x {x.shape}, y {y.shape}, w1 {w1.shape}, w2 {w2.shape}")
    for name, a in (("x", x), ("y", y), ("w1", w1), ("w2", w2)):  # NaN in, NaN out: refuse it here
        expect_array(a, name, finite=True)
    y_pred = np.maximum(x @ w1, 0) @ w2
    return float(np.square(y_pred - y).sum())
