"""Checks for lesson 01 (tensors)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from course_lib.exercises.core import Exercise, Mismatch, Wrong, register, require
from course_lib.solutions import lesson01 as solutions


def _model_input_cases() -> list[np.ndarray]:
    """Float64 arrays (as NumPy makes them) of 1, 2 and 3 axes, and one already float32."""
    rng = np.random.default_rng(1)
    return [
        np.linspace(-1.0, 1.0, 6).reshape(2, 3),
        rng.normal(0.0, 10.0, size=7) + 0.25,  # 1-D, values beyond [-1, 1]
        rng.normal(3.0, 50.0, size=(3, 4)) + 0.25,
        rng.normal(0.0, 5.0, size=(2, 3, 4)) + 0.25,
        rng.normal(0.0, 5.0, size=(4, 2)).astype(np.float32) + np.float32(0.25),
    ]


def _check_to_model_input(fn: Callable[[np.ndarray], Any]) -> str:
    for a in _model_input_cases():
        what = f"to_model_input(a) for a {a.dtype} array of shape {a.shape}"
        got = fn(a.copy())
        require(isinstance(got, torch.Tensor), what, "a torch.Tensor", type(got).__name__,
                "torch.from_numpy or torch.as_tensor turn an array into a tensor.")
        require(got.dtype != torch.float64, f"the dtype of {what}", "torch.float32", got.dtype,
                "NumPy made float64; convert with .float() or .to(torch.float32).")
        require(got.is_floating_point(), f"the dtype of {what}", "torch.float32", got.dtype,
                "an integer dtype drops the fractions: convert to torch.float32 instead.")
        require(got.dtype == torch.float32, f"the dtype of {what}", "torch.float32", got.dtype,
                "nn.Linear's weights are torch.float32: use .to(torch.float32), not another float type.")
        require(not (a.ndim > 1 and got.ndim == 1), f"the shape of {what}", a.shape, tuple(got.shape),
                "you flattened the array: keep all of its axes.")
        require(tuple(got.shape) == a.shape, f"the shape of {what}", a.shape, tuple(got.shape),
                "keep the shape of a, whatever it is; only the dtype changes.")
        want = torch.from_numpy(a.astype(np.float32))
        if not torch.allclose(got, want):
            first = f"the same numbers as the array, starting {np.round(a.ravel()[:4], 4).tolist()}"
            shown = np.round(got.detach().flatten()[:4].numpy(), 4).tolist()
            require(not torch.allclose(got, torch.round(want)), f"the values of {what}", first, shown,
                    "you rounded to whole numbers: only the dtype changes.")
            raise Mismatch(f"the values of {what}", first, shown, "convert only the dtype; the numbers "
                           "must not change (no rescaling, clipping or new values).")
        out = torch.nn.functional.linear(got, torch.ones(1, a.shape[-1]))  # a float32 layer's product
    return (f"to_model_input keeps the shape and values of arrays with 1, 2 and 3 axes, gives float32 "
            f"for float64 and float32 input, and a float32 linear layer accepts it (output shape "
            f"{tuple(out.shape)} for the last).")


def _standardize_cases() -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    cases = []
    for rows, cols, dtype in ((5, 3, torch.float32), (3, 7, torch.float32), (40, 2, torch.float64)):
        scale = torch.rand(cols, generator=g, dtype=dtype) * 100 + 0.5  # columns of different spread
        shift = torch.randn(cols, generator=g, dtype=dtype) * 50
        cases.append(torch.randn(rows, cols, generator=g, dtype=dtype) * scale + shift)
    return cases


def _check_standardize(fn: Callable[[torch.Tensor], Any]) -> str:
    for x in _standardize_cases():
        n, d = x.shape
        what = f"standardize_columns(x) for x of shape ({n}, {d})"
        got = fn(x.clone())
        require(isinstance(got, torch.Tensor), what, "a torch.Tensor", type(got).__name__)
        require(tuple(got.shape) == (n, d), f"the shape of {what}", (n, d), tuple(got.shape),
                "give back a tensor of x's own shape, for any number of rows and columns.")
        got = got.to(x.dtype)
        mean = x.mean(dim=0, keepdim=True)
        want = (x - mean) / x.std(dim=0, keepdim=True)
        if torch.allclose(got, want, atol=1e-4):
            continue
        col_means = [round(v, 3) for v in got.mean(dim=0).tolist()]
        rows_done = torch.allclose(got.mean(dim=1), torch.zeros(n, dtype=x.dtype), atol=1e-4)
        require(not rows_done, "the mean of each column", "0 for every column", col_means,
                "you standardized the rows: use dim=0 (down the rows), with keepdim=True.")
        require(not torch.allclose(got, (x - x.mean()) / x.std(), atol=1e-4), "the mean of each column",
                "0 for every column", col_means, "you used one mean and one std for the whole tensor: "
                "take them per column, with x.mean(dim=0, keepdim=True).")
        require(torch.allclose(got.mean(dim=0), torch.zeros(d, dtype=x.dtype), atol=1e-4),
                "the mean of each column", "0 for every column", col_means,
                "subtract each column's own mean, x.mean(dim=0, keepdim=True).")
        stds = [round(v, 3) for v in got.std(dim=0).tolist()]
        population = (x - mean) / x.std(dim=0, keepdim=True, unbiased=False)
        require(not torch.allclose(got, population, atol=1e-4), "the standard deviation of each column",
                "1 for every column (torch's x.std)", stds, "you divided by the population std "
                "(unbiased=False, or np.std): torch's x.std uses n - 1, and that is the one meant here.")
        raise Mismatch("the standard deviation of each column", "1 for every column", stds,
                       "divide by each column's std, x.std(dim=0, keepdim=True).")
    return ("every column comes out with mean 0 and standard deviation 1 (torch's x.std), for tall and "
            "wide float32 and float64 tensors.")


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


def _check_shares(answer: Any) -> str:
    expected = solutions.shares_memory()
    require(isinstance(answer, dict), "answer", "a dict like {'t.view(6)': True, ...}",
            type(answer).__name__)
    require(set(answer) == set(expected), "the keys of the dict", sorted(expected),
            sorted(answer), "keep the keys given in the exercise cell.")
    if any(v is ... for v in answer.values()):
        raise NotImplementedError  # the learner has not filled in every entry yet
    for key in expected:
        require(isinstance(answer[key], (bool, np.bool_)), f"answer[{key!r}]", "True or False",
                repr(answer[key]))
    values = {bool(v) for v in answer.values()}
    require(values != {True}, "answer", "some True and some False", "True for every entry",
            "you answered True for every entry, but three of these results are copies.")
    require(values != {False}, "answer", "some True and some False", "False for every entry",
            "you answered False for every entry, but three of these results share memory.")
    for key, value in expected.items():
        require(bool(answer[key]) == value, f"answer[{key!r}]", value, answer[key],
                _SHARE_HINTS[key])
    return "you can tell views (shared memory) from copies, for all six results."


def _keeps_float64(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(a)


def _to_int64(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.int64)


def _returns_array(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float32)


def _to_half(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(a).half()


def _flattens(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a.ravel(), dtype=torch.float32)


def _rescales(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(a / np.abs(a).max()).float()  # right only when the largest |value| is 1


def _rounds(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.round(a)).float()


def _standardizes_rows(x: torch.Tensor) -> torch.Tensor:
    return (x - x.mean(dim=1, keepdim=True)) / x.std(dim=1, keepdim=True)


def _only_centres(x: torch.Tensor) -> torch.Tensor:
    return x - x.mean(dim=0, keepdim=True)


def _whole_tensor(x: torch.Tensor) -> torch.Tensor:
    return (x - x.mean()) / x.std()


def _population_std(x: torch.Tensor) -> torch.Tensor:
    return (x - x.mean(dim=0, keepdim=True)) / x.std(dim=0, keepdim=True, unbiased=False)


def _three_columns(x: torch.Tensor) -> torch.Tensor:
    return torch.stack([(x[:, j] - x[:, j].mean()) / x[:, j].std() for j in range(3)], dim=1)


def _mean_of_rows_count(x: torch.Tensor) -> torch.Tensor:
    mean = x.sum(dim=0, keepdim=True) / x.shape[1]  # divides by the number of columns
    return (x - mean) / x.std(dim=0, keepdim=True)


register(Exercise(
    id="01.to_model_input",
    title="Fix the float64 bug: turn a NumPy array into a float32 tensor",
    checker=_check_to_model_input,
    solution=solutions.to_model_input,
    wrong=(
        Wrong(_keeps_float64, "NumPy made float64"),
        Wrong(_to_int64, "an integer dtype drops the fractions"),
        Wrong(_returns_array, "torch.from_numpy or torch.as_tensor"),
        Wrong(_to_half, "not another float type"),
        Wrong(_flattens, "you flattened the array"),
        Wrong(_rescales, "convert only the dtype"),
        Wrong(_rounds, "you rounded to whole numbers"),
    ),
))

register(Exercise(
    id="01.standardize_columns",
    title="Standardize every column with broadcasting",
    checker=_check_standardize,
    solution=solutions.standardize_columns,
    wrong=(
        Wrong(_standardizes_rows, "you standardized the rows"),
        Wrong(_only_centres, "divide by each column's std"),
        Wrong(_whole_tensor, "one mean and one std for the whole tensor"),
        Wrong(_population_std, "population std"),
        Wrong(_three_columns, "for any number of rows and columns"),
        Wrong(_mean_of_rows_count, "subtract each column's own mean"),
    ),
))

register(Exercise(
    id="01.shares_memory",
    title="Views or copies: which results share memory with their source?",
    checker=_check_shares,
    solution=solutions.shares_memory,
    kind="value",
    wrong=(
        Wrong(lambda: dict.fromkeys(solutions.shares_memory(), True), "True for every entry"),
        Wrong(lambda: dict.fromkeys(solutions.shares_memory(), False), "False for every entry"),
        Wrong(lambda: {**solutions.shares_memory(), "torch.tensor(a)": True}, "torch.tensor always copies"),
        Wrong(lambda: {**solutions.shares_memory(), "t.T": False}, "a transpose is a view"),
        Wrong(lambda: {**solutions.shares_memory(), "t.T.contiguous()": True}, "contiguous() must copy"),
        Wrong(lambda: {**solutions.shares_memory(), "torch.from_numpy(a)": False},
              "torch.from_numpy shares the array's memory"),
    ),
))
