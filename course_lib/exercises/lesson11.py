"""Checks for lesson 11 (distributed training)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from course_lib.exercises.core import Exercise, register, require
from course_lib.solutions import lesson11 as solutions


def _check_shard(fn: Callable[[int, int, int], list[int]]) -> str:
    for n, world_size in ((12, 3), (16, 2), (8, 4), (6, 1)):
        shards = [[int(i) for i in fn(n, rank, world_size)] for rank in range(world_size)]
        sizes = [len(s) for s in shards]
        call = f"my_shard({n}, rank, {world_size}) for every rank"
        require(all(size == n // world_size for size in sizes), call,
                f"{n // world_size} rows per rank", f"sizes {sizes}",
                "each rank should get an equal share, n / world_size rows.")
        together = sorted(i for s in shards for i in s)
        require(len(set(together)) == len(together), call, "no row on two ranks",
                f"row(s) {sorted({i for i in together if together.count(i) > 1})} more than once",
                "two ranks that train on the same row count it twice; make the slices disjoint.")
        require(together == list(range(n)), call, f"every row 0..{n - 1} exactly once",
                f"rows {together}", "together the ranks must cover the whole data set.")
    return "every rank gets its own equal, disjoint share, and together they cover all rows."


def _check_combine(fn: Callable[[list[np.ndarray], list[int]], np.ndarray]) -> str:
    rng = np.random.default_rng(11)
    x = rng.standard_normal((10, 3))
    y = rng.standard_normal(10)
    w = rng.standard_normal(3)

    def grad(rows: slice) -> np.ndarray:  # gradient of the mean squared error over these rows
        xs, ys = x[rows], y[rows]
        return 2 * xs.T @ (xs @ w - ys) / len(ys)

    full = grad(slice(0, 10))
    for cut in (5, 3):  # equal shards, then unequal ones (3 rows and 7 rows)
        grads, sizes = [grad(slice(0, cut)), grad(slice(cut, 10))], [cut, 10 - cut]
        got = np.asarray(fn(grads, sizes), dtype=float)
        what = f"combine_gradients(grads, sizes={sizes})"
        require(got.shape == full.shape, what, f"an array of shape {full.shape}", f"shape {got.shape}",
                "combine the per-rank gradients element by element.")
        require(not np.allclose(got, grads[0] + grads[1]), what, np.round(full, 4), np.round(got, 4),
                "a sum counts each rank's mean once: the result is world_size times too big.")
        require(np.allclose(got, full), what, np.round(full, 4), np.round(got, 4),
                "a rank with more rows should weigh more: weight each gradient by its share of rows."
                if cut != 5 else "average the gradients.")
    return "with equal shards it is the plain mean (what DDP does); with unequal shards, a weighted one."


register(Exercise(
    id="11.my_shard",
    title="Deal the rows of a data set to the ranks",
    checker=_check_shard,
    solution=solutions.my_shard,
    wrong=(
        lambda: (lambda n, rank, world_size: list(range(n))),
        lambda: (lambda n, rank, world_size: list(range(rank, rank + n // world_size))),
        lambda: (lambda n, rank, world_size: list(range(rank, n // world_size))),
    ),
))

register(Exercise(
    id="11.combine_gradients",
    title="Combine per-rank gradients into the full-batch gradient",
    checker=_check_combine,
    solution=solutions.combine_gradients,
    wrong=(
        lambda: (lambda grads, sizes: np.mean(grads, axis=0)),
        lambda: (lambda grads, sizes: np.sum(grads, axis=0)),
        lambda: (lambda grads, sizes: grads[0]),
    ),
))
