"""Checks for lesson 01 (tensors)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from course_lib.exercises.core import Exercise, register, require
from course_lib.solutions import lesson01 as solutions


def _check_to_model_input(fn: Callable[[np.ndarray], Any]) -> str:
    a = np.linspace(-1.0, 1.0, 6).reshape(2, 3)  # float64, NumPy's default
    got = fn(a)
    require(isinstance(got, torch.Tensor), "to_model_input(a)", "a torch.Tensor",
            type(got).__name__, "torch.from_numpy or torch.as_tensor turn an array into a tensor.")
    require(got.dtype == torch.float32, "the dtype of to_model_input(a)", "torch.float32",
            got.dtype, "NumPy made float64; convert with .float() or .to(torch.float32).")
    require(tuple(got.shape) == (2, 3), "the shape of to_model_input(a)", (2, 3),
            tuple(got.shape), "keep the shape; only the dtype changes.")
    require(torch.allclose(got, torch.tensor(a, dtype=torch.float32)), "the values",
            "the same numbers as the array", got.tolist(), "convert, don't round or rescale.")
    out = torch.nn.Linear(3, 1)(got)
    return f"to_model_input gives float32 and nn.Linear accepts it (output shape {tuple(out.shape)})."


def _check_standardize(fn: Callable[[torch.Tensor], Any]) -> str:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(5, 3, generator=g) * torch.tensor([1.0, 10.0, 100.0]) + torch.tensor(
        [0.0, 5.0, -50.0])
    got = fn(x.clone())
    require(isinstance(got, torch.Tensor), "standardize_columns(x)", "a torch.Tensor",
            type(got).__name__)
    require(tuple(got.shape) == (5, 3), "the shape of standardize_columns(x)", (5, 3),
            tuple(got.shape), "subtract a (1, 3) mean so it broadcasts over the 5 rows.")
    col_means = got.mean(dim=0)
    rows_done = bool(torch.allclose(got.mean(dim=1), torch.zeros(5), atol=1e-5))
    cols_done = bool(torch.allclose(col_means, torch.zeros(3), atol=1e-5))
    rounded = [round(v, 3) for v in col_means.tolist()]
    require(cols_done or not rows_done, "the mean of each column", "0 for every column", rounded,
            "you standardized the rows: use dim=0 (down the rows), with keepdim=True.")
    require(cols_done, "the mean of each column", "0 for every column", rounded,
            "subtract x.mean(dim=0, keepdim=True).")
    stds = got.std(dim=0)
    require(bool(torch.allclose(stds, torch.ones(3), atol=1e-4)), "the standard deviation of each "
            "column", "1 for every column", [round(v, 3) for v in stds.tolist()],
            "divide by x.std(dim=0, keepdim=True) (torch's std is the sample std, with n - 1).")
    return "every column now has mean 0 and standard deviation 1, without a Python loop."


def _check_shares(answer: Any) -> str:
    expected = solutions.shares_memory()
    require(isinstance(answer, dict), "answer", "a dict like {'t.view(6)': True, ...}",
            type(answer).__name__)
    require(set(answer) == set(expected), "the keys of the dict", sorted(expected),
            sorted(answer), "keep the keys given in the exercise cell.")
    if any(v is ... for v in answer.values()):
        raise NotImplementedError  # the learner has not filled in every entry yet
    for key, value in expected.items():
        require(isinstance(answer[key], bool), f"answer[{key!r}]", "True or False",
                repr(answer[key]))
        require(answer[key] == value, f"answer[{key!r}]", value, answer[key],
                "test it: change one element of the result and look at the original "
                "(or compare .data_ptr() / np.shares_memory).")
    return "you can tell views (shared memory) from copies."


register(Exercise(
    id="01.to_model_input",
    title="Fix the float64 bug: turn a NumPy array into a float32 tensor",
    checker=_check_to_model_input,
    solution=solutions.to_model_input,
    wrong=(
        lambda: (lambda a: torch.from_numpy(a)),
        lambda: (lambda a: torch.tensor(a, dtype=torch.int64)),
        lambda: (lambda a: a.astype(np.float32)),
    ),
))

register(Exercise(
    id="01.standardize_columns",
    title="Standardize every column with broadcasting",
    checker=_check_standardize,
    solution=solutions.standardize_columns,
    wrong=(
        lambda: (lambda x: (x - x.mean(dim=1, keepdim=True)) / x.std(dim=1, keepdim=True)),
        lambda: (lambda x: x - x.mean(dim=0, keepdim=True)),
        lambda: (lambda x: (x - x.mean()) / x.std()),
    ),
))

register(Exercise(
    id="01.shares_memory",
    title="Views or copies: which results share memory with their source?",
    checker=_check_shares,
    solution=solutions.shares_memory,
    kind="value",
    wrong=(
        lambda: dict.fromkeys(solutions.shares_memory(), True),
        lambda: {**solutions.shares_memory(), "torch.tensor(a)": True},
        lambda: {**solutions.shares_memory(), "t.T": False},
    ),
))
