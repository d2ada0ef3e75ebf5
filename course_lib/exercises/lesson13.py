"""Checks for lesson 13 (language models)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from course_lib.exercises.core import Exercise, register, require
from course_lib.solutions import lesson13 as solutions


def _check_mask(fn: Callable[[int], Any]) -> str:
    for t in (1, 4, 7):
        got = fn(t)
        what = f"causal_mask({t})"
        require(isinstance(got, torch.Tensor) and got.dtype == torch.bool, what,
                "a torch.bool tensor", getattr(got, "dtype", type(got).__name__),
                "build it with torch.ones(t, t, dtype=torch.bool) and torch.triu.")
        require(tuple(got.shape) == (t, t), what, (t, t), tuple(got.shape),
                "one row per query, one column per key.")
        want = solutions.causal_mask(t)
        require(not torch.equal(got, ~want) or t == 1, what, "True where j > i", "True where j <= i",
                "the mask marks what must be HIDDEN: the future, above the diagonal.")
        require(not torch.equal(got, torch.triu(torch.ones(t, t, dtype=torch.bool))), what,
                "False on the diagonal", "True on the diagonal",
                "a position may see itself: use diagonal=1, so the diagonal stays False.")
        require(torch.equal(got, want), what, want.int().tolist(), got.int().tolist(),
                "True exactly where the key position j is later than the query position i.")
    return "causal_mask hides exactly the future: above the diagonal, for every size."


def _check_kv(fn: Callable[..., Any]) -> str:
    cases = [((32, 4096, 1), 2 * 32 * 4096 * 2), ((32, 4096, 4096), 2 * 32 * 4096 * 4096 * 2),
             ((2, 64, 128), 2 * 2 * 64 * 128 * 2)]
    for (layers, width, tokens), want in cases:
        got = fn(layers, width, tokens)
        what = f"kv_cache_bytes({layers}, {width}, {tokens})"
        require(isinstance(got, (int, float)) and not isinstance(got, bool), what, "a number",
                type(got).__name__)
        require(got != want // 2, what, want, got, "each layer keeps a key AND a value per token.")
        require(got != want // 2 // layers or layers == 1, what, want, got,
                "every layer has its own keys and values: multiply by the number of layers.")
        require(got == want, what, want, got, "2 x layers x width x tokens x bytes per number.")
    got = fn(32, 4096, 10, bytes_per_number=4)
    require(got == 2 * 32 * 4096 * 10 * 4, "kv_cache_bytes(32, 4096, 10, bytes_per_number=4)",
            2 * 32 * 4096 * 10 * 4, got, "float32 takes 4 bytes per number: use bytes_per_number.")
    return "kv_cache_bytes: 0.5 MiB per token for a 7B model in bfloat16, as the lesson printed."


register(Exercise(
    id="13.causal_mask",
    title="The causal mask",
    checker=_check_mask,
    solution=solutions.causal_mask,
    wrong=(
        lambda: (lambda t: torch.tril(torch.ones(t, t, dtype=torch.bool))),
        lambda: (lambda t: torch.triu(torch.ones(t, t, dtype=torch.bool))),
        lambda: (lambda t: torch.triu(torch.ones(t, t), diagonal=1)),
    ),
))

register(Exercise(
    id="13.kv_cache_bytes",
    title="The size of a KV cache",
    checker=_check_kv,
    solution=solutions.kv_cache_bytes,
    wrong=(
        lambda: (lambda layers, width, tokens, bytes_per_number=2:
                 layers * width * tokens * bytes_per_number),
        lambda: (lambda layers, width, tokens, bytes_per_number=2: 2 * width * tokens * bytes_per_number),
        lambda: (lambda layers, width, tokens, bytes_per_number=2: 2 * layers * width * tokens * 2),
    ),
))
