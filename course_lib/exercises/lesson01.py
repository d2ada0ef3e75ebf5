"""Checks for lesson 01 (tensors): two tables for the engine in core, one value grader."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from course_lib.exercises.core import (
    STATE_HINTS,
    Case,
    Exercise,
    Mistake,
    Probes,
    Returns,
    Table,
    exercise,
    register,
    require,
)
from course_lib.solutions import lesson01 as solutions

# ---------------------------------------------------------------------------------------------
# 01.to_model_input. Edge cases: a 0-d array, size-1 axes, a large array, float32 input.


def _model_input_cases(rng: np.random.Generator) -> list[Case]:
    arrays = [np.linspace(-1.0, 1.0, 6).reshape(2, 3),
              rng.normal(0.0, 10.0, size=7) + 0.25,  # 1-D, values beyond [-1, 1]
              rng.normal(3.0, 50.0, size=(3, 4)) + 0.25,
              rng.normal(0.0, 5.0, size=(2, 3, 4)) + 0.25,
              rng.normal(0.0, 5.0, size=(4, 2)).astype(np.float32) + np.float32(0.25),
              np.array(-0.375), rng.normal(0.0, 5.0, size=(1, 5)) + 0.25,
              rng.normal(0.0, 5.0, size=(1000, 50)) + 0.25]
    return [Case(f"to_model_input(a) for a {a.dtype} array of shape {a.shape}", (a,)) for a in arrays]


def _sets_default_dtype(a: np.ndarray) -> torch.Tensor:
    torch.set_default_dtype(torch.float64)  # changes every tensor made after it, in the whole session
    return torch.tensor(a).float()


_ARRAY_TO_TENSOR = "torch.from_numpy or torch.as_tensor turn an array into a tensor."
_ONLY_DTYPE = ("convert only the dtype; the numbers must not change (no rescaling, clipping or new "
               "values).")

exercise("01.to_model_input", "Fix the float64 bug: turn a NumPy array into a float32 tensor",
         solutions.to_model_input, Table(
    cases=_model_input_cases, seed=1,
    returns=Returns("tensor", shape=lambda c: c.args[0].shape, dtype="float32",
                    type_hint=_ARRAY_TO_TENSOR,
                    shape_hint="keep the shape of a, whatever it is; only the dtype changes.",
                    dtype_hint="nn.Linear's weights are torch.float32: convert with .to(torch.float32)."),
    mistakes=(
        Mistake(lambda a: torch.from_numpy(a), "NumPy made float64; convert with .float() or "
                                               ".to(torch.float32)."),
        Mistake(lambda a: torch.tensor(a, dtype=torch.int64), "an integer dtype drops the "
                "fractions: convert to torch.float32 instead."),
        Mistake(lambda a: a.astype(np.float32), _ARRAY_TO_TENSOR),
        Mistake(lambda a: torch.from_numpy(a).half(), "nn.Linear's weights are torch.float32: "
                "use .to(torch.float32), not another float type."),
        Mistake(lambda a: torch.tensor(a.ravel(), dtype=torch.float32),
                "you flattened the array: keep all of its axes."),
        Mistake(lambda a: torch.from_numpy(a / np.abs(a).max()).float(), _ONLY_DTYPE),
        Mistake(lambda a: torch.from_numpy(np.round(a)).float(), "you rounded to whole numbers: "
                                                                 "only the dtype changes."),
        Mistake(lambda a: torch.from_numpy(a).float().squeeze(), "squeeze() drops every axis of "
                "length 1: keep all of a's axes, those of length 1 too."),
        Mistake(_sets_default_dtype, STATE_HINTS["dtype"][1]),
    ),
    fallback=_ONLY_DTYPE,
    success="to_model_input keeps the shape and values of arrays with 0 to 3 axes (size-1 axes "
            "and 50,000 elements too) and gives float32 for float64 and float32 input, without "
            "changing torch's defaults.",
))

# ---------------------------------------------------------------------------------------------
# 01.standardize_columns. Edge cases: 2 rows (the fewest a std allows), one column, 300 rows.


def _standardize_cases(rng: np.random.Generator) -> list[Case]:
    g = torch.Generator().manual_seed(1)
    cases = []
    for rows, cols, dtype in ((5, 3, torch.float32), (3, 7, torch.float32), (40, 2, torch.float64),
                              (2, 4, torch.float64), (6, 1, torch.float32), (300, 5, torch.float64)):
        scale = torch.rand(cols, generator=g, dtype=dtype) * 100 + 0.5  # columns of different spread
        shift = torch.randn(cols, generator=g, dtype=dtype) * 50
        x = torch.randn(rows, cols, generator=g, dtype=dtype) * scale + shift
        cases.append(Case(f"standardize_columns(x) for x of shape ({rows}, {cols})", (x,)))
    return cases


def _standardized(x: torch.Tensor, dim: int | None = 0, unbiased: bool = True) -> torch.Tensor:
    if dim is None:
        return (x - x.mean()) / x.std()
    return (x - x.mean(dim=dim, keepdim=True)) / x.std(dim=dim, keepdim=True, unbiased=unbiased)


_SHAPE = "give back a tensor of x's own shape, for any number of rows and columns."
_TENSOR = "give back a torch tensor, computed with torch operations."
_IN_PLACE = ("your function changed x in place (x -= ..., x /= ...): compute a new tensor, "
             "(x - mean) / std, and leave x as it was.")

exercise("01.standardize_columns", "Standardize every column with broadcasting",
         solutions.standardize_columns, Table(
    cases=_standardize_cases, seed=1,
    returns=Returns("tensor", shape=lambda c: tuple(c.args[0].shape), rtol=1e-4, atol=1e-4,
                    type_hint=_TENSOR, shape_hint=_SHAPE),
    probes=Probes(mutation_hint=_IN_PLACE),
    mistakes=(
        Mistake(lambda x: _standardized(x, dim=1), "you standardized the rows: use dim=0 (down "
                                                   "the rows), with keepdim=True."),
        Mistake(lambda x: x - x.mean(dim=0, keepdim=True), "divide by each column's std, "
                                                           "x.std(dim=0, keepdim=True)."),
        Mistake(lambda x: _standardized(x, dim=None), "you used one mean and one std for the "
                "whole tensor: take them per column, with x.mean(dim=0, keepdim=True)."),
        Mistake(lambda x: _standardized(x, unbiased=False), "you divided by the population std "
                "(unbiased=False, or np.std): torch's x.std uses n - 1, and that is the one meant here."),
        Mistake(lambda x: torch.stack([(x[:, j] - x[:, j].mean()) / x[:, j].std()
                                       for j in range(3)], dim=1), _SHAPE),
        Mistake(lambda x: (x - x.sum(dim=0, keepdim=True) / x.shape[1]) / x.std(dim=0, keepdim=True),
                "subtract each column's own mean, x.mean(dim=0, keepdim=True)."),
        Mistake(lambda x: x.sub_(x.mean(dim=0, keepdim=True)).div_(x.std(dim=0, keepdim=True)),
                _IN_PLACE),
        Mistake(lambda x: _standardized(x).squeeze(), "squeeze() drops every axis of length 1 "
                                                      "(a single column too): keep x's own shape."),
        Mistake(lambda x: _standardized(x).numpy(), _TENSOR),
    ),
    fallback="subtract each column's mean and divide by its std: x.mean(dim=0, keepdim=True) "
             "and x.std(dim=0, keepdim=True).",
    success="every column comes out with mean 0 and standard deviation 1 (torch's x.std), for "
            "tall, wide and single-column float32 and float64 tensors, and x is left as it was.",
))

# ---------------------------------------------------------------------------------------------
# 01.shares_memory: a hand-written grader (one hint per key), on a Mistake list.

_SHARE_HINTS = {
    "torch.from_numpy(a)": "torch.from_numpy shares the array's memory: change a[0, 0] and the tensor "
                           "changes too.",
    "torch.tensor(a)": "torch.tensor always copies its data: the new tensor has memory of its own.",
    "t.view(6)": "a view reuses the same storage with a new shape: compare t.view(6).data_ptr() "
                 "with t.data_ptr().",
    "t.T": "a transpose is a view with swapped strides: no number is moved.",
    "t.T.contiguous()": "t.T is not contiguous, so contiguous() must copy it into a new layout.",
    "t.clone()": "clone() always makes a copy, contiguous or not.",
}
_ALL_TRUE = "you answered True for every entry, but three of these results are copies."
_ALL_FALSE = "you answered False for every entry, but three of these results share memory."
_BOOL = "write True or False (not 1 or 0, and without quotes)."


def _grade_shares(answer: Any) -> str:
    expected = solutions.shares_memory()
    require(isinstance(answer, dict), "answer", "a dict like {'t.view(6)': True, ...}",
            type(answer).__name__, "keep the dict of the exercise cell and fill in its values.")
    require(set(answer) == set(expected), "the keys of the dict", sorted(expected),
            sorted(answer), "keep the keys given in the exercise cell.")
    if any(v is ... for v in answer.values()):
        raise NotImplementedError  # the learner has not filled in every entry yet
    for key in expected:
        require(isinstance(answer[key], (bool, np.bool_)), f"answer[{key!r}]", "True or False",
                repr(answer[key]), _BOOL)
    values = {bool(v) for v in answer.values()}
    require(values != {True}, "answer", "some True and some False", "True for every entry", _ALL_TRUE)
    require(values != {False}, "answer", "some True and some False", "False for every entry", _ALL_FALSE)
    for key, value in expected.items():
        require(bool(answer[key]) == value, f"answer[{key!r}]", value, answer[key], _SHARE_HINTS[key])
    return "you can tell views (shared memory) from copies, for all six results."


def _but(key: str) -> dict[str, bool]:
    """The right answer with one entry flipped."""
    right = solutions.shares_memory()
    return {**right, key: not right[key]}


register(Exercise(
    "01.shares_memory", "Views or copies: which results share memory with their source?", _grade_shares,
    solutions.shares_memory, kind="value", wrong=(
        Mistake(lambda: dict.fromkeys(solutions.shares_memory(), True), _ALL_TRUE),
        Mistake(lambda: dict.fromkeys(solutions.shares_memory(), False), _ALL_FALSE),
        *(Mistake(lambda key=key: _but(key), hint) for key, hint in _SHARE_HINTS.items()),
        *(Mistake(lambda t=t: {k: t(v) for k, v in solutions.shares_memory().items()}, _BOOL)
          for t in (int, str)),  # 1 and 0, or 'True' and 'False'
    )))
