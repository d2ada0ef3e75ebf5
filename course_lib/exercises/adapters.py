"""The adapter for answers judged only together: shares of items.

``my_shard`` (lesson 11) and ``worker_items`` (lesson 06) are called once per rank or worker, and
any split that the text allows passes. The engine calls a function once per case, so
:func:`on_every_share` (a ``Table.adapt``) turns such a function into one that answers a whole
case; the engine puts it around the answer, the reference and every mistake alike.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.exercises.core import Case, Mismatch

Adapter = Callable[[Callable[..., Any]], Callable[..., Any]]


def int_list(got: Any, call: str, hint: str) -> list[int]:
    """``got`` as a list of Python ints; raises Mismatch with ``hint`` for anything else.

    Any iterable of integers counts (a list, a range, an integer array or tensor); floats and
    bools do not, whole or not."""
    if isinstance(got, (str, bytes, dict)) or not hasattr(got, "__iter__"):
        raise Mismatch(call, "a list of int indices", type(got).__name__, hint)
    items = []
    for i in got:
        try:
            if isinstance(i, (bool, np.bool_)):
                raise TypeError
            items.append(operator.index(i))  # int, NumPy integers, integer 0-d tensors; not floats
        except TypeError:
            raise Mismatch(call, "a list of int indices",
                           f"a {type(got).__name__} holding {type(i).__name__} {i!r}", hint) from None
    return items


def on_every_share(name: str, hint: str) -> Adapter:
    """An adapter: ``fn(n, k, parts)`` becomes ``f(n, parts)``, the list of every part's indices."""

    def adapt(fn: Callable[[int, int, int], Any]) -> Callable[[int, int], list[list[int]]]:
        def every_share(n: int, parts: int) -> list[list[int]]:
            return [int_list(fn(n, k, parts), f"{name}({n}, {k}, {parts})", hint) for k in range(parts)]

        return every_share

    return adapt


def is_split(shares: list[list[int]], spread: int = 0) -> bool:
    """Shares whose sizes differ by at most ``spread`` and that hold each of 0 .. n - 1 once."""
    items = sorted(i for s in shares for i in s)
    sizes = [len(s) for s in shares]
    return max(sizes, default=0) - min(sizes, default=0) <= spread and items == list(range(len(items)))


def same_split(spread: int = 0) -> Callable[[list[list[int]], list[list[int]]], bool]:
    """``Returns.equal`` for shares: equal lists, or two allowed splits of as many items."""

    def equal(got: list[list[int]], want: list[list[int]]) -> bool:
        return got == want or (len(got) == len(want) and is_split(got, spread) and is_split(want, spread)
                               and sum(map(len, got)) == sum(map(len, want)))

    return equal


def _listed(items: list[int]) -> str:
    return str(items) if len(items) <= 8 else f"[{', '.join(map(str, items[:6]))}, ...]"


def shown_shares(who: str, expected: Callable[[int, int], str]
                 ) -> Callable[[Case, Any, Any], tuple[str, str]]:
    """``Table.shown`` for shares: what a right split holds, and the sizes and first items got."""

    def shown(case: Case, want: Any, got: list[list[int]]) -> tuple[str, str]:
        sizes = [len(s) for s in got]
        told = "; ".join(f"{who} {k} {_listed(s)}" for k, s in enumerate(got[:3]))
        return (expected(*case.args),
                f"sizes {_listed(sizes)}: {told}{'; ...' if len(got) > 3 else ''}")

    return shown
