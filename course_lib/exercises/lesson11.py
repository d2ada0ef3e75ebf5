"""Checks for lesson 11 (distributed training)."""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.exercises.core import Exercise, Mismatch, Wrong, register, require
from course_lib.solutions import lesson11 as solutions

# --- 11.my_shard ------------------------------------------------------------------------------


def _rows(got: Any) -> tuple[list[int] | None, str]:
    """The row indices a rank got, as Python ints (or None), and what it got, in words."""
    if isinstance(got, (str, bytes, dict)) or not hasattr(got, "__iter__"):
        return None, type(got).__name__
    rows = []
    for i in got:
        try:
            if isinstance(i, (bool, np.bool_)):
                raise TypeError
            rows.append(operator.index(i))  # int, NumPy integers, integer 0-d tensors; not floats
        except TypeError:
            return None, f"a {type(got).__name__} holding {type(i).__name__} {i!r}"
    return rows, ""


def _shard_cases() -> list[tuple[int, int]]:
    """(n, world_size) pairs: n is always a multiple of world_size, as the exercise says."""
    rng = np.random.default_rng(11)
    cases = [(12, 3), (16, 2), (6, 1), (5, 5)]  # 5 ranks of one row each
    for world_size in (4, 7, 3, 8, 6, 5):
        cases.append((world_size * int(rng.integers(2, 30)), world_size))
    return cases


def _check_shard(fn: Callable[[int, int, int], list[int]]) -> str:
    for n, world_size in _shard_cases():
        call = f"my_shard({n}, rank, {world_size}) for rank = 0 .. {world_size - 1}"
        shards = []
        for rank in range(world_size):
            rows, words = _rows(fn(n, rank, world_size))
            require(rows is not None, f"my_shard({n}, {rank}, {world_size})", "a list of int row indices",
                    words, "return a list of ints, e.g. list(range(...)).")
            assert rows is not None  # require() above raised otherwise
            shards.append(rows)
        want = [solutions.my_shard(n, rank, world_size) for rank in range(world_size)]
        share = n // world_size
        sizes = [len(s) for s in shards]
        if world_size > 1:
            require(not all(s == list(range(n)) for s in shards), call, f"{share} row(s) per rank",
                    f"all {n} rows on every rank",
                    "every rank got all n rows: pick this rank's share with rank and world_size.")
            same = bool(shards[0]) and all(s == shards[0] for s in shards)
            require(not same, call, "different rows on each rank",
                    f"the same rows {shards[0][:8]}... on every rank",
                    "every rank got the same rows: the rows a rank gets must depend on its rank.")
        one_based = [[i + 1 for i in s] for s in want]
        require(shards != one_based, call, f"rows 0..{n - 1}",
                f"rows 1..{n}", "row indices start at 0, as Python's do: the last row is n - 1.")
        stride_two = [list(range(rank, n, 2)) for rank in range(world_size)]
        if stride_two != want:
            require(shards != stride_two, call,
                    f"{share} row(s) per rank", f"sizes {sizes}",
                    "that deals the rows as if world_size were 2: world_size is not always 2, "
                    "step through the rows by world_size.")
        sixteen = [list(range(rank, 16, world_size)) for rank in range(world_size)]
        if sixteen != want:
            require(shards != sixteen, call, f"the rows of a data set of {n}", "the rows of 16",
                    "those are the rows for n = 16, the lesson's batch: deal the n rows you are given.")
        outside = sorted({i for s in shards for i in s if not 0 <= i < n})
        require(not outside, call, f"row indices from 0 to {n - 1}", f"row(s) {outside[:8]}",
                "row indices run from 0 to n - 1: a data set of n rows has no row n, nor any beyond it.")
        blocks = [list(range(rank, rank + share)) for rank in range(world_size)]
        if blocks != want:
            require(shards != blocks, call,
                    "blocks that do not overlap", "rank r gets rows r .. r + n // world_size - 1",
                    "neighbouring ranks share all but one row: start rank r's block at "
                    "r * (n // world_size), or deal every world_size-th row from row r.")
        require(all(size == share for size in sizes), call, f"{share} row(s) on every rank",
                f"sizes {sizes}", "each rank should get n // world_size rows, the same number on each.")
        counts = Counter(i for s in shards for i in s)
        twice = sorted(i for i, c in counts.items() if c > 1)
        require(not twice, call, "no row on two ranks", f"row(s) {twice[:8]} on more than one rank",
                "two ranks that train on the same row count it twice; make the slices disjoint.")
        missing = sorted(set(range(n)) - set(counts))
        require(not missing, call, f"every row 0..{n - 1} exactly once", f"row(s) {missing[:8]} on no rank",
                "together the ranks must cover the whole data set.")
    return ("for world sizes 1 to 8 and several n (multiples of the world size), every rank gets "
            "n // world_size rows, no row goes to two ranks, and together they cover all n rows.")


def _every_rank_all_rows(n: int, rank: int, world_size: int) -> list[int]:
    return list(range(n))


def _ignores_rank(n: int, rank: int, world_size: int) -> list[int]:
    return list(range(0, n, world_size))


def _overlapping_blocks(n: int, rank: int, world_size: int) -> list[int]:
    return list(range(rank, rank + n // world_size))


def _short_blocks(n: int, rank: int, world_size: int) -> list[int]:
    return list(range(rank, n // world_size))


def _one_based(n: int, rank: int, world_size: int) -> list[int]:
    return list(range(rank + 1, n + 1, world_size))


def _world_size_two(n: int, rank: int, world_size: int) -> list[int]:  # the lesson's 2 ranks
    return list(range(rank, n, 2))


def _sixteen_rows(n: int, rank: int, world_size: int) -> list[int]:  # the lesson's 16 rows
    return list(range(rank, 16, world_size))


register(Exercise(
    id="11.my_shard",
    title="Deal the rows of a data set to the ranks",
    checker=_check_shard,
    solution=solutions.my_shard,
    wrong=(
        Wrong(_every_rank_all_rows, "every rank got all n rows"),
        Wrong(_ignores_rank, "must depend on its rank"),
        Wrong(_overlapping_blocks, "start rank r's block at"),
        Wrong(_short_blocks, "should get n // world_size rows"),
        Wrong(_one_based, "row indices start at 0"),
        Wrong(_world_size_two, "world_size is not always 2"),
        Wrong(_sixteen_rows, "the rows for n = 16"),
    ),
))

# --- 11.combine_gradients ---------------------------------------------------------------------


def _shard_gradients(rng: np.random.Generator, sizes: list[int], shape: tuple[int, ...],
                     dtype: Any) -> tuple[list[np.ndarray], np.ndarray]:
    """Per-shard gradients of a linear model's mean squared error, and the full-batch gradient.

    ``shape`` is the weight's shape: (d,) for one output, (d, m) for m outputs."""
    n = sum(sizes)
    x = rng.standard_normal((n, shape[0]))
    y = rng.standard_normal((n, *shape[1:]))
    w = rng.standard_normal(shape)

    def grad(rows: slice) -> np.ndarray:  # gradient of the mean over these rows (and outputs)
        xs, ys = x[rows], y[rows]
        return 2 * xs.T @ (xs @ w - ys) / len(ys)

    bounds = np.cumsum([0, *sizes])
    grads = [grad(slice(int(a), int(b))).astype(dtype) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return grads, grad(slice(0, n))


def _coefficients(got: np.ndarray, grads: list[np.ndarray]) -> np.ndarray | None:
    """c with got == sum(c[i] * grads[i]), if the answer is such a combination (else None)."""
    g = np.stack([np.ravel(gr) for gr in grads], axis=1).astype(float)
    if g.shape[0] < g.shape[1] + 2:
        return None
    c, *_ = np.linalg.lstsq(g, got.ravel(), rcond=None)
    scale = np.abs(got).max() + np.abs(g).max()
    return c if np.allclose(g @ c, got.ravel(), atol=1e-6 * scale) else None


def _diagnose(got: np.ndarray, grads: list[np.ndarray], sizes: list[int]) -> str:
    """A hint for a wrong combination, specific only when it is sure what the answer did."""
    k = len(sizes)
    generic = ("the full-batch mean is the mean of the ranks' means weighted by their rows: "
               "the sum over ranks of sizes[i] / sum(sizes) * grads[i].")
    if np.allclose(got, 0):
        return ("the result is all zeros. Is it integer division, sizes[i] // sum(sizes), which "
                "rounds the weights down to 0? Divide with /.")
    c = _coefficients(got, grads)
    if c is None:
        return generic
    s = np.asarray(sizes, dtype=float)
    if k > 1 and np.allclose(c, np.eye(k)[0], atol=1e-6):
        return "that is rank 0's gradient alone: every rank's gradient must be in the result."
    if k > 1 and np.allclose(c, 1, atol=1e-6):
        return ("a sum counts each rank's mean once: the result is about world_size times too big; "
                "the weights must be each rank's share of the rows.")
    if np.allclose(c, 1 / k, atol=1e-6) and len(set(sizes)) > 1:
        return ("that is the plain mean, right only when every rank has as many rows as the others: "
                "a rank with more rows should weigh more: weight each gradient by its share of rows.")
    unused = [i for i in range(k) if abs(c[i]) < 1e-6]
    if unused:
        return (f"rank(s) {unused} do not count in your result (weight 0), out of {k} ranks: every "
                f"rank's gradient must be in the combination, however many ranks there are.")
    ratio = c / s
    if np.allclose(ratio, ratio[0], rtol=1e-6) and not np.isclose(c.sum(), 1):
        return (f"your weights are proportional to the sizes but add up to {c.sum():.4g}: the weights "
                "must add up to 1, so divide by the total number of rows, sum(sizes).")
    return generic


def _check_combine(fn: Callable[[list[np.ndarray], list[int]], np.ndarray]) -> str:
    rng = np.random.default_rng(11)
    cases: list[tuple[list[int], tuple[int, ...], Any]] = [
        ([5, 5], (6,), np.float64),  # equal shards, as DDP has them
        ([3, 7], (6,), np.float64),
        ([4, 1, 6], (7,), np.float64),
        ([2, 9, 3, 5], (4, 3), np.float64),  # a gradient with two axes (a weight matrix)
        ([6, 2, 2, 1, 8], (8,), np.float32),
        ([3, 3, 3], (5, 2), np.float32),
        ([int(rng.integers(1, 20)) for _ in range(6)], (3, 4), np.float64),
        ([10], (6,), np.float64),  # one rank: its gradient is the full one
    ]
    for sizes, shape, dtype in cases:
        grads, full = _shard_gradients(rng, sizes, shape, dtype)
        result = fn([g.copy() for g in grads], list(sizes))
        what = (f"combine_gradients(grads, sizes={sizes}) for {len(sizes)} rank(s), gradients of shape "
                f"{shape} ({np.dtype(dtype).name})")
        try:
            got = np.asarray(result, dtype=float)
        except (TypeError, ValueError):
            raise Mismatch(what, f"an array of shape {shape}", type(result).__name__,
                           "return one array, of the shape of each rank's gradient.") from None
        require(not (len(shape) > 1 and got.shape == shape[::-1]), what, f"shape {shape}",
                f"shape {got.shape}", "the result is transposed. If you used .T on the stack of gradients: "
                "it reverses every axis, not only the rank axis; combine along axis 0 instead.")
        require(got.shape == shape, what, f"an array of shape {shape}", f"shape {got.shape}",
                "combine the per-rank gradients element by element: the result has the shape of one "
                "rank's gradient.")
        tol = 1e-5 if dtype == np.float32 else 1e-9
        if not np.allclose(got, full, rtol=tol, atol=tol * np.abs(full).max()):
            raise Mismatch(what, np.round(full.ravel()[:4], 4), np.round(got.ravel()[:4], 4),
                           _diagnose(got, grads, sizes))
    return ("for 1 to 6 ranks, with equal and unequal shards and gradients of one and two axes, the "
            "result is the full-batch gradient: with equal shards the plain mean (what DDP does), "
            "otherwise the mean weighted by each rank's rows.")


def _plain_mean(grads: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    return np.mean(grads, axis=0)


def _plain_sum(grads: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    return np.sum(grads, axis=0)


def _first_rank(grads: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    return grads[0]


def _first_and_last_rank(grads: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    return (sizes[0] * grads[0] + sizes[-1] * grads[-1]) / (sizes[0] + sizes[-1])


def _unnormalized(grads: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    return sum((s * g for s, g in zip(sizes, grads, strict=True)), np.zeros_like(grads[0]))


def _integer_weights(grads: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    weights = np.asarray(sizes) // sum(sizes)
    return sum(w * g for w, g in zip(weights, grads, strict=True))


def _transposes_the_stack(grads: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    weights = np.asarray(sizes) / sum(sizes)
    return np.asarray(grads).T @ weights  # right for 1-D gradients only


register(Exercise(
    id="11.combine_gradients",
    title="Combine per-rank gradients into the full-batch gradient",
    checker=_check_combine,
    solution=solutions.combine_gradients,
    wrong=(
        Wrong(_plain_mean, "a rank with more rows should weigh more"),
        Wrong(_plain_sum, "a sum counts each rank's mean once"),
        Wrong(_first_rank, "rank 0's gradient alone"),
        Wrong(_first_and_last_rank, "do not count in your result"),
        Wrong(_unnormalized, "must add up to 1"),
        Wrong(_integer_weights, "rounds the weights down to 0"),
        Wrong(_transposes_the_stack, "reverses every axis"),
    ),
))
