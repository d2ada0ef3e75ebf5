"""Unit tests for course_lib.twolayer: the seeded two-layer network problem."""

import numpy as np
import pytest
import torch

from course_lib.errors import CourseInputError
from course_lib.twolayer import LEARNING_RATE, TwoLayerProblem, numpy_loss, two_layer_problem


def test_shapes_and_dtype():
    p = two_layer_problem()
    assert isinstance(p, TwoLayerProblem)
    assert [a.shape for a in p] == [(64, 1000), (64, 10), (1000, 100), (100, 10)]
    assert all(a.dtype == np.float32 for a in p)
    small = two_layer_problem(n=4, d_in=5, h=3, d_out=2, dtype="float64")
    assert [a.shape for a in small] == [(4, 5), (4, 2), (5, 3), (3, 2)]
    assert all(a.dtype == np.float64 for a in small)


def test_same_seed_same_numbers_in_both_dtypes():
    a, b = two_layer_problem(seed=3), two_layer_problem(seed=3)
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    c = two_layer_problem(seed=3, dtype=np.float64)
    assert all(np.array_equal(u, v.astype(np.float32)) for u, v in zip(a, c, strict=True))
    assert not np.array_equal(a.x, two_layer_problem(seed=4).x)


@pytest.mark.parametrize("kwargs, match", [
    ({"seed": -1}, "seed"), ({"seed": 1.5}, "seed"), ({"n": 0}, "n"), ({"h": "100"}, "h"),
    ({"dtype": np.int32}, "dtype"), ({"dtype": "nonsense"}, "dtype"),
])
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(CourseInputError, match=match):
        two_layer_problem(**kwargs)


def test_numpy_loss_matches_torch_and_one_step_lowers_it():
    p = two_layer_problem(seed=0, dtype=np.float64)
    loss = numpy_loss(*p)
    x, y, w1, w2 = (torch.tensor(a) for a in p)
    assert loss == pytest.approx(((x @ w1).clamp(min=0) @ w2 - y).pow(2).sum().item())
    w1.requires_grad_()
    w2.requires_grad_()
    ((x @ w1).clamp(min=0) @ w2 - y).pow(2).sum().backward()
    w1n = (w1 - LEARNING_RATE * w1.grad).detach().numpy()
    w2n = (w2 - LEARNING_RATE * w2.grad).detach().numpy()
    assert numpy_loss(p.x, p.y, w1n, w2n) < loss


def test_numpy_loss_rejects_bad_shapes():
    p = two_layer_problem(n=4, d_in=5, h=3, d_out=2)
    with pytest.raises(CourseInputError, match="shapes"):
        numpy_loss(p.x, p.y, p.w2, p.w1)
    with pytest.raises(CourseInputError, match="x"):
        numpy_loss(p.x.tolist(), p.y, p.w1, p.w2)


def test_numpy_loss_refuses_nan_instead_of_returning_it():
    p = two_layer_problem(n=4, d_in=5, h=3, d_out=2)
    w1 = p.w1.copy()
    w1[0, 0] = np.nan
    with pytest.raises(CourseInputError, match="w1: expected finite values"):
        numpy_loss(p.x, p.y, w1, p.w2)  # was: nan, silently


def test_dtype_none_is_refused_not_read_as_float64():
    with pytest.raises(CourseInputError, match="dtype: expected np.float32 or np.float64, got None"):
        two_layer_problem(dtype=None)  # np.dtype(None) is float64: it used to give float64 silently


def test_a_problem_too_large_for_memory_is_refused_before_allocating():
    with pytest.raises(CourseInputError, match="numbers in all"):
        two_layer_problem(n=100_000, d_in=100_000)
