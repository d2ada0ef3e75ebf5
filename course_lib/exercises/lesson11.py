"""Checks for lesson 11 (distributed training): two tables for the engine in core.

Both run behind an adapter (``Table.adapt``): ``my_shard`` is called once per rank and judged as
one split of the rows (any split the text allows passes), and ``combine_gradients`` must not hand
back one of the gradients it was given.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.exercises.adapters import on_every_share, same_split, shown_shares
from course_lib.exercises.core import Case, Mismatch, Mistake, Probes, Returns, Table, exercise
from course_lib.solutions import lesson11 as solutions

# ---------------------------------------------------------------------------------------------
# 11.my_shard: one case is a data set of n rows dealt to world_size ranks. The engine sees all
# ranks' rows at once; any partition into equal shares passes (strided or in blocks). Edge
# cases: one rank, one row per rank, 64 ranks, and 1050 rows (past what a uint8 index holds).

_INTS = "return a list of ints, e.g. list(range(...))."


def _shard_cases(rng: np.random.Generator) -> list[Case]:
    """(n, world_size) pairs: n is always a multiple of world_size, as the exercise says."""
    pairs = [(12, 3), (16, 2), (6, 1), (5, 5), (1, 1), (128, 64), (1050, 7)]
    pairs += [(ws * int(rng.integers(2, 30)), ws) for ws in (4, 7, 3, 8, 6, 5)]
    return [Case(f"my_shard({n}, rank, {ws}) for rank = 0 .. {ws - 1}", (n, ws)) for n, ws in pairs]


_SAME = "every rank got the same rows: the rows a rank gets must depend on its rank."
_OUTSIDE = "row indices run from 0 to n - 1: a data set of n rows has no row n, nor any beyond it."
_SIZES = "each rank should get n // world_size rows, the same number on each."
_TWICE = "two ranks that train on the same row count it twice; make the slices disjoint."
_MISSING = "together the ranks must cover the whole data set."


def _diagnose_shards(case: Case, got: list[list[int]], want: list[list[int]]) -> str | None:
    n, world_size = case.args
    counts = Counter(i for s in got for i in s)
    if any(not 0 <= i < n for i in counts):
        return _OUTSIDE
    if world_size > 1 and got[0] and all(s == got[0] for s in got):
        return _SAME
    if any(len(s) != n // world_size for s in got):
        return _SIZES
    return _TWICE if any(c > 1 for c in counts.values()) else _MISSING


exercise("11.my_shard", "Deal the rows of a data set to the ranks", solutions.my_shard, Table(
    cases=_shard_cases, seed=11, adapt=on_every_share("my_shard", _INTS),
    returns=Returns(equal=same_split()),
    mistakes=(
        Mistake(lambda n, rank, ws: list(range(n)), "every rank got all n rows: pick this rank's share "
                                                    "with rank and world_size."),
        Mistake(lambda n, rank, ws: list(range(0, n, ws)), _SAME),
        Mistake(lambda n, rank, ws: list(range(rank, rank + n // ws)), "neighbouring ranks share all "
                "but one row: start rank r's block at r * (n // world_size), or deal every "
                "world_size-th row from row r."),
        Mistake(lambda n, rank, ws: list(range(rank, n // ws)), "rank r's rows run from r up to "
                "n // world_size, so each later rank gets one row fewer: each rank should get "
                "n // world_size rows, starting at r * (n // world_size)."),
        Mistake(lambda n, rank, ws: list(range(rank + 1, n + 1, ws)), "row indices start at 0, as "
                                                                       "Python's do: the last row is n - 1."),
        Mistake(lambda n, rank, ws: list(range(rank, n, 2)), "that deals the rows as if world_size "
                "were 2: world_size is not always 2, step through the rows by world_size."),
        Mistake(lambda n, rank, ws: list(range(rank, 16, ws)), "those are the rows for n = 16, the "
                "lesson's batch: deal the n rows you are given."),
        Mistake(lambda n, rank, ws: list(range(rank * (n // ws), (rank + 1) * (n // ws) + 1)),
                "neighbouring blocks overlap by one row: range's end is excluded already, so rank r's "
                "block ends at (r + 1) * (n // world_size), with no + 1."),
        Mistake(lambda n, rank, ws: list(range(rank * ws, (rank + 1) * ws)), "each block holds "
                "world_size rows, but it should hold n // world_size (the two agree only when "
                "n = world_size ** 2): start rank r's block at r * (n // world_size)."),
        Mistake(lambda n, rank, ws: list(np.arange(n, dtype=np.uint8)[rank::ws]), "row indices past "
                "255 wrapped around to 0: a uint8 (or int8) array cannot hold them; use Python ints "
                "(range) or int64."),
        Mistake(lambda n, rank, ws: [float(i) for i in range(rank, n, ws)], _INTS),
    ),
    diagnose=_diagnose_shards, fallback=_MISSING,
    shown=shown_shares("rank", lambda n, ws: f"{n // ws} row(s) on each rank, each of the rows "
                                             f"0..{n - 1} on exactly one"),
    success="for world sizes 1 to 64 and n from 1 to 1050 (multiples of the world size), every rank "
            "gets n // world_size rows, no row goes to two ranks, and together they cover all n rows.",
))

# ---------------------------------------------------------------------------------------------
# 11.combine_gradients: the reference is the full-batch gradient (the solution, which equals
# the gradient computed from all rows at once). Edge cases: one rank, a rank of one row,
# 40 ranks, float32 gradients, gradients with two axes.


def _shard_gradients(rng: np.random.Generator, sizes: list[int], shape: tuple[int, ...],
                     dtype: Any) -> list[np.ndarray]:
    """Per-shard gradients of a linear model's mean squared error.

    ``shape`` is the weight's shape: (d,) for one output, (d, m) for m outputs."""
    n = sum(sizes)
    x = rng.standard_normal((n, shape[0]))
    y = rng.standard_normal((n, *shape[1:]))
    w = rng.standard_normal(shape)

    def grad(rows: slice) -> np.ndarray:  # gradient of the mean over these rows (and outputs)
        xs, ys = x[rows], y[rows]
        return 2 * xs.T @ (xs @ w - ys) / len(ys)

    bounds = np.cumsum([0, *sizes])
    return [grad(slice(int(a), int(b))).astype(dtype) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _combine_cases(rng: np.random.Generator) -> list[Case]:
    specs: list[tuple[list[int], tuple[int, ...], Any]] = [
        ([5, 5], (6,), np.float64),  # equal shards, as DDP has them
        ([3, 7], (6,), np.float64),
        ([4, 1, 6], (7,), np.float64),
        ([2, 9, 3, 5], (4, 3), np.float64),  # a gradient with two axes (a weight matrix)
        ([6, 2, 2, 1, 8], (8,), np.float32),
        ([3, 3, 3], (5, 2), np.float32),
        ([int(rng.integers(1, 20)) for _ in range(6)], (3, 4), np.float64),
        ([10], (6,), np.float64),  # one rank: its gradient is the full one
        ([int(rng.integers(1, 30)) for _ in range(40)], (5,), np.float64),  # 40 ranks
    ]
    return [Case(f"combine_gradients(grads, sizes={sizes if len(sizes) <= 8 else '[...]'}) for "
                 f"{len(sizes)} rank(s), gradients of shape {shape} ({np.dtype(dtype).name})",
                 (_shard_gradients(rng, sizes, shape, dtype), list(sizes))) for sizes, shape, dtype in specs]


_A_GRADIENT = "one of the arrays in grads (or a view of it)"


def _new_array(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, refused when it hands back one of the gradients (the stock probe sees only ``grads``)."""

    def combine_gradients(grads: list[np.ndarray], sizes: list[int]) -> Any:
        got = fn(grads, sizes)
        if any(got is g or (isinstance(got, np.ndarray) and np.shares_memory(got, g)) for g in grads):
            raise Mismatch(f"combine_gradients(grads, sizes={sizes})", "a new object", _A_GRADIENT,
                           _ALIASED)
        return got

    return combine_gradients


def _coefficients(got: np.ndarray, grads: list[np.ndarray]) -> np.ndarray | None:
    """c with got == sum(c[i] * grads[i]), if the answer is such a combination (else None)."""
    g = np.stack([np.ravel(gr) for gr in grads], axis=1).astype(float)
    if g.shape[0] < g.shape[1] + 2:
        return None
    c, *_ = np.linalg.lstsq(g, got.ravel(), rcond=None)
    scale = np.abs(got).max() + np.abs(g).max()
    return c if np.allclose(g @ c, got.ravel(), atol=1e-6 * scale) else None


def _diagnose_combination(case: Case, got: np.ndarray, want: np.ndarray) -> str | None:
    """A hint for an unknown wrong combination, specific only when it is sure what the answer did."""
    grads, sizes = case.args
    if got.shape != want.shape:
        return _SHAPE
    c = _coefficients(got, grads) if got.size > len(grads) else None
    if c is None:
        return None
    unused = [i for i in range(len(sizes)) if abs(c[i]) < 1e-6]
    if unused:
        return (f"rank(s) {unused} do not count in your result (weight 0), out of {len(sizes)} ranks: "
                "every rank's gradient must be in the combination, however many ranks there are.")
    ratio = c / np.asarray(sizes, dtype=float)
    if np.allclose(ratio, ratio[0], rtol=1e-6) and not np.isclose(c.sum(), 1):
        return (f"your weights are proportional to the sizes but add up to {c.sum():.4g}: the weights "
                "must add up to 1, so divide by the total number of rows, sum(sizes).")
    return None


def _weighted(grads: list[np.ndarray], weights: Any) -> np.ndarray:
    return sum((w * g for w, g in zip(weights, grads, strict=True)), np.zeros(grads[0].shape))


def _scales_in_place(grads: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    for g, s in zip(grads, sizes, strict=True):
        g *= s / sum(sizes)
    return np.sum(grads, axis=0)


def _shortcut_for_one_rank(grads: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    return grads[0] if len(grads) == 1 else solutions.combine_gradients(grads, sizes)


_IN_PLACE = ("your function changed the gradients it was given (an in-place *=, += or [...] =): the "
             "ranks still need them, so build the weighted sum in a new array.")
_ALIASED = ("you returned one of the gradients you were given (with one rank, its gradient itself): a "
            "caller who then changes the result changes that rank's gradient too. Return a new array "
            "(the weighted sum, or a .copy()).")
_SHAPE = ("combine the per-rank gradients element by element: the result has the shape of one "
          "rank's gradient.")

_ONE_ARRAY = f"return one array, of the shape of each rank's gradient: {_SHAPE}"

exercise("11.combine_gradients", "Combine per-rank gradients into the full-batch gradient",
         solutions.combine_gradients, Table(
    cases=_combine_cases, seed=11, adapt=_new_array,
    returns=Returns("array", dtype="float", rtol=1e-5, atol=1e-7,
                    type_hint=_ONE_ARRAY,
                    dtype_hint="return floating-point values, as the gradients are."),
    probes=Probes(mutation_hint=_IN_PLACE),
    mistakes=(
        Mistake(lambda g, s: np.mean(g, axis=0), "that is the plain mean, right only when "
                "every rank has as many rows as the others: a rank with more rows should "
                "weigh more: weight each gradient by its share of rows."),
        Mistake(lambda g, s: np.sum(g, axis=0), "a sum counts each rank's mean once: the result is about "
                "world_size times too big; the weights must be each rank's share of the rows."),
        Mistake(lambda g, s: g[0].copy(), "that is rank 0's gradient alone: every rank's "
                                          "gradient must be in the result."),
        Mistake(lambda g, s: (s[0] * g[0] + s[-1] * g[-1]) / (s[0] + s[-1]), "only the first "
                "and the last rank count in your result: every rank's gradient must be in "
                "the combination, however many ranks there are."),
        Mistake(lambda g, s: _weighted(g, s), "your weights are the sizes themselves, so they add up to "
                "sum(sizes), not 1: divide each by the total number of rows, sum(sizes)."),
        Mistake(lambda g, s: _weighted(g, np.asarray(s) // sum(s)), "the result is all zeros. Is it integer "
                "division, sizes[i] // sum(sizes), which rounds the weights down to 0? Divide with /."),
        Mistake(lambda g, s: np.asarray(g).T @ (np.asarray(s) / sum(s)), "the result is "
                "transposed. If you used .T on the stack of gradients: it reverses every "
                "axis, not only the rank axis; combine along axis 0 instead."),
        Mistake(lambda g, s: _weighted(g, 1 / np.asarray(s) / np.sum(1 / np.asarray(s))),
                "you weight each rank by 1 / its rows: a rank with more rows holds more of "
                "the data, so it must weigh more, not less (weight sizes[i] / sum(sizes))."),
        Mistake(lambda g, s: np.mean(g), _ONE_ARRAY),
        Mistake(_scales_in_place, _IN_PLACE),
        Mistake(_shortcut_for_one_rank, _ALIASED),
        Mistake(lambda g, s: solutions.combine_gradients(g, s).astype(np.float16),
                "float16 keeps only about 3 significant digits, so the result is off in the "
                "fourth: return float64 (or the gradients' own dtype)."),
    ),
    diagnose=_diagnose_combination,
    fallback="the full-batch mean is the mean of the ranks' means weighted by their rows: "
             "the sum over ranks of sizes[i] / sum(sizes) * grads[i].",
    success="for 1 to 40 ranks, with equal and unequal shards and gradients of one and two axes, "
            "the result is the full-batch gradient: with equal shards the plain mean (what DDP "
            "does), otherwise the mean weighted by each rank's rows.",
))
