"""Checks for lesson 00 (welcome)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_lib.exercises.core import Exercise, register, require
from course_lib.solutions import lesson00 as solutions


def _check_mse(fn: Callable[[np.ndarray, np.ndarray], float]) -> str:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    y_pred = np.array([1.5, 2.0, 2.0, 5.0])
    got = fn(y_pred, y)
    require(np.ndim(got) == 0, "mean_squared_error(y_pred, y)", "a single number",
            f"an array of shape {np.shape(got)}", "average over all elements, e.g. with np.mean.")
    got = float(got)
    expected = 0.5625  # (0.25 + 0 + 1 + 1) / 4
    require(not np.isclose(got, 0.625), "mean_squared_error(y_pred, y)",
            expected, got, "0.625 is the mean absolute error: square the differences, don't take |.|.")
    require(not np.isclose(got, 2.25), "mean_squared_error(y_pred, y)", expected, got,
            "2.25 is the sum of squared errors: divide by the number of elements.")
    require(np.isclose(got, expected), "mean_squared_error(y_pred, y)", expected, round(got, 6),
            "subtract, square each difference, then take the mean.")
    require(np.isclose(float(fn(y, y)), 0.0), "mean_squared_error(y, y)", 0.0,
            float(fn(y, y)), "a perfect prediction has zero error.")
    return "mean_squared_error gives 0.5625 on the test arrays and 0 for a perfect prediction."


register(Exercise(
    id="00.mean_squared_error",
    title="Write the mean squared error loss",
    checker=_check_mse,
    solution=solutions.mean_squared_error,
    wrong=(
        lambda: (lambda y_pred, y: float(np.mean(np.abs(y_pred - y)))),
        lambda: (lambda y_pred, y: float(np.sum((y_pred - y) ** 2))),
        lambda: (lambda y_pred, y: (y_pred - y) ** 2),
    ),
))
