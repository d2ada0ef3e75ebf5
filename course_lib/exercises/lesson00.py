"""Checks for lesson 00 (welcome): one table for the engine in core."""

from __future__ import annotations

import numpy as np

from course_lib.exercises.core import Case, Mistake, Returns, Table, exercise
from course_lib.solutions import lesson00 as solutions


def _cases(rng: np.random.Generator) -> list[Case]:
    y, y_pred = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.5, 2.0, 2.0, 5.0])  # MSE 0.5625
    cases = [Case("mean_squared_error(y_pred, y)", (y_pred, y)), Case("mean_squared_error(y, y)", (y, y))]
    for shape in ((7,), (3, 5), (2, 3, 4), (1,), (1, 1), (300, 200)):  # size-1 axes, and a large array
        cases.append(Case(f"mean_squared_error on random arrays of shape {shape}",
                          (rng.standard_normal(shape), rng.standard_normal(shape))))
    return cases


_ONE = "average over all elements, e.g. with np.mean: the result is a single number."
_HOW = "subtract, square each difference, then take the mean (of every element, however many)."

exercise("00.mean_squared_error", "Write the mean squared error loss", solutions.mean_squared_error, Table(
    cases=_cases, returns=Returns("number", type_hint=_ONE),
    mistakes=(
        Mistake(lambda p, y: float(np.mean(np.abs(p - y))), "that is the mean absolute error: square the "
                                                             "differences, don't take |.|."),
        Mistake(lambda p, y: float(np.sum((p - y) ** 2)), "that is the sum of squared errors: divide by "
                                                           "the number of elements."),
        Mistake(lambda p, y: (p - y) ** 2, _ONE),
        Mistake(lambda p, y: np.mean((p - y) ** 2, axis=0), _ONE),
        Mistake(lambda p, y: float(np.sum((p - y) ** 2) / len(y)), "average over every element, not over the "
                "first axis: len(y) counts only the rows of a 2-D array; y.size or np.mean counts them all."),
        Mistake(lambda p, y: float(np.mean(p**2)), "that is the mean of y_pred squared: subtract y first."),
        Mistake(lambda p, y: float(np.sqrt(np.mean((p - y) ** 2))), "that is the root mean squared "
                                                                     "error: leave out the square root."),
        Mistake(lambda p, y: float(np.mean((p - y) ** 2)) if p.size < 10_000 else 0.0, _HOW),
    ),
    fallback=_HOW,
    success="mean_squared_error gives 0.5625 on the test arrays, 0 for a perfect prediction, and the "
            "right mean on random arrays of 1, 2 and 3 axes (size-1 axes and 60,000 elements too), "
            "leaving its inputs unchanged.",
))
