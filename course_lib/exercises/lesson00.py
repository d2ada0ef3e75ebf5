"""Checks for lesson 00 (welcome)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_lib.exercises.core import Exercise, Wrong, register, require
from course_lib.solutions import lesson00 as solutions


def _check_mse(fn: Callable[[np.ndarray, np.ndarray], float]) -> str:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    y_pred = np.array([1.5, 2.0, 2.0, 5.0])
    got = fn(y_pred, y)
    what = "mean_squared_error(y_pred, y)"
    require(np.ndim(got) == 0, what, "a single number", f"an array of shape {np.shape(got)}",
            "average over all elements, e.g. with np.mean.")
    got = float(got)
    expected = 0.5625  # (0.25 + 0 + 1 + 1) / 4
    require(not np.isclose(got, 0.625), what, expected, got,
            "0.625 is the mean absolute error: square the differences, don't take |.|.")
    require(not np.isclose(got, 2.25), what, expected, got,
            "2.25 is the sum of squared errors: divide by the number of elements.")
    require(not np.isclose(got, float(np.mean(y_pred**2))), what, expected, got,
            "that is the mean of y_pred squared: subtract y first.")
    require(np.isclose(got, expected), what, expected, round(got, 6),
            "subtract, square each difference, then take the mean.")
    require(np.isclose(float(fn(y, y)), 0.0), "mean_squared_error(y, y)", 0.0,
            float(fn(y, y)), "a perfect prediction has zero error.")
    rng = np.random.default_rng(0)
    for shape in ((7,), (3, 5), (2, 3, 4)):  # other sizes, and arrays with more than one axis
        y, y_pred = rng.standard_normal(shape), rng.standard_normal(shape)
        got = fn(y_pred, y)
        want = float(np.mean((y_pred - y) ** 2))
        require(np.ndim(got) == 0 and np.isclose(float(got), want),
                f"mean_squared_error on random arrays of shape {shape}", round(want, 6),
                np.round(got, 6), "average over every element, not over the first axis: "
                "len(y) counts only the rows of a 2-D array; y.size or np.mean counts them all.")
    return ("mean_squared_error gives 0.5625 on the test arrays, 0 for a perfect prediction, and the "
            "right mean on random arrays of 1, 2 and 3 axes.")


def _mean_absolute_error(y_pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.abs(y_pred - y)))


def _sum_squared_error(y_pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum((y_pred - y) ** 2))


def _squared_errors(y_pred: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (y_pred - y) ** 2


def _divides_by_rows(y_pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.sum((y_pred - y) ** 2) / len(y))


def _forgets_y(y_pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(y_pred**2))


register(Exercise(
    id="00.mean_squared_error",
    title="Write the mean squared error loss",
    checker=_check_mse,
    solution=solutions.mean_squared_error,
    wrong=(
        Wrong(_mean_absolute_error, "mean absolute error"),
        Wrong(_sum_squared_error, "sum of squared errors"),
        Wrong(_squared_errors, "a single number"),
        Wrong(_divides_by_rows, "len(y) counts only the rows"),
        Wrong(_forgets_y, "subtract y first"),
    ),
))
