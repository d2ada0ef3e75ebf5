"""Checks for lesson 13 (language models)."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from course_lib.exercises.core import Exercise, Mismatch, Wrong, register, require
from course_lib.solutions import lesson13 as solutions

# --- 13.causal_mask ---------------------------------------------------------------------------


def _check_mask(fn: Callable[[int], Any]) -> str:
    rng = np.random.default_rng(13)
    sizes = [4, 1, 2, 7, 13, 32, *(int(t) for t in rng.integers(3, 150, size=3))]
    for t in sizes:
        got = fn(t)
        what = f"causal_mask({t})"
        require(isinstance(got, torch.Tensor), what, "a torch.bool tensor", type(got).__name__,
                "return a torch tensor (masked_fill takes a tensor), e.g. from torch.ones and torch.triu.")
        require(got.dtype == torch.bool, what, "a torch.bool tensor", got.dtype,
                "masked_fill needs a bool mask: build it with torch.ones(t, t, dtype=torch.bool).")
        require(tuple(got.shape) == (t, t), what, (t, t), tuple(got.shape),
                "one row per query position and one column per key position, t of each: build the "
                "mask from t itself, not from a mask of a fixed size.")
        want = solutions.causal_mask(t)
        if torch.equal(got, want):
            continue
        shown = got.int().tolist() if t <= 8 else "a different pattern"
        expected = want.int().tolist() if t <= 8 else "True exactly where j > i"
        require(not torch.equal(got, ~want), what, expected, shown,
                "that is True where j <= i, the opposite: the mask marks what must be HIDDEN, the "
                "future, above the diagonal.")
        require(not torch.equal(got, want.T), what, expected, shown,
                "that is True below the diagonal, where j < i: it hides the past. The future, j > i, "
                "lies above the diagonal: torch.triu, not torch.tril.")
        require(not torch.equal(got, want | torch.eye(t, dtype=torch.bool)), what, expected, shown,
                "True on the diagonal too: a position may see itself, so use diagonal=1 and the "
                "diagonal stays False.")
        raise Mismatch(what, expected, shown,
                       "True exactly where the key position j is later than the query position i, and "
                       "nowhere else.")
    return (f"causal_mask(t) is a (t, t) torch.bool tensor, True exactly above the diagonal (the future), "
            f"for t = {', '.join(map(str, sizes))}.")


def _tril(t: int) -> torch.Tensor:
    return torch.tril(torch.ones(t, t, dtype=torch.bool))


def _triu_with_diagonal(t: int) -> torch.Tensor:
    return torch.triu(torch.ones(t, t, dtype=torch.bool))


def _float_mask(t: int) -> torch.Tensor:
    return torch.triu(torch.ones(t, t), diagonal=1)


def _hides_the_past(t: int) -> torch.Tensor:
    return torch.tril(torch.ones(t, t, dtype=torch.bool), diagonal=-1)


def _diagonal_two(t: int) -> torch.Tensor:
    return torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=2)


_BLOCK = torch.triu(torch.ones(8, 8, dtype=torch.bool), diagonal=1)


def _fixed_block(t: int) -> torch.Tensor:  # a mask made once for 8 positions, then cut to t
    return _BLOCK[:t, :t]


def _numpy_mask(t: int) -> np.ndarray:
    return np.triu(np.ones((t, t), dtype=bool), k=1)


register(Exercise(
    id="13.causal_mask",
    title="The causal mask",
    checker=_check_mask,
    solution=solutions.causal_mask,
    wrong=(
        Wrong(_tril, "the mask marks what must be HIDDEN"),
        Wrong(_triu_with_diagonal, "a position may see itself"),
        Wrong(_float_mask, "masked_fill needs a bool mask"),
        Wrong(_hides_the_past, "it hides the past"),
        Wrong(_diagonal_two, "is later than the query position"),
        Wrong(_fixed_block, "not from a mask of a fixed size"),
        Wrong(_numpy_mask, "return a torch tensor"),
    ),
))

# --- 13.kv_cache_bytes ------------------------------------------------------------------------


def _kv_cases() -> list[tuple[tuple[int, int, int], dict[str, int]]]:
    """(layers, width, tokens) and keyword arguments: every argument varies on its own."""
    rng = np.random.default_rng(13)
    cases: list[tuple[tuple[int, int, int], dict[str, int]]] = [
        ((32, 4096, 100), {}),  # the lesson's 7B model, bfloat16 by default
        ((3, 64, 7), {"bytes_per_number": 1}),
        ((12, 768, 1024), {"bytes_per_number": 4}),
        ((1, 4096, 1), {}),
        ((80, 8192, 32768), {"bytes_per_number": 2}),
    ]
    for bytes_per_number in (None, 1, 2, 4):
        args = (int(rng.integers(1, 97)), 64 * int(rng.integers(1, 129)), int(rng.integers(1, 100_001)))
        cases.append((args, {} if bytes_per_number is None else {"bytes_per_number": bytes_per_number}))
    return cases


def _check_kv(fn: Callable[..., Any]) -> str:
    for (layers, width, tokens), kwargs in _kv_cases():
        bpn = kwargs.get("bytes_per_number", 2)
        want = solutions.kv_cache_bytes(layers, width, tokens, **kwargs)
        got = fn(layers, width, tokens, **kwargs)
        extra = "".join(f", {k}={v}" for k, v in kwargs.items())
        what = f"kv_cache_bytes({layers}, {width}, {tokens}{extra})"
        require(isinstance(got, numbers.Real) and not isinstance(got, (bool, np.bool_)), what,
                "a number", type(got).__name__, "return the number of bytes, an int.")
        if got == want:
            continue
        mistakes = [  # (what a known mistake gives, its hint): a hint is given only if one matches
            (want // 2, "each layer keeps a key AND a value per token: count both."),
            (want // layers, "every layer has its own keys and values: multiply by the number of layers."),
            (want // tokens, "that is the cache for one token: multiply by the number of tokens."),
            (want // width, "each key and each value holds width numbers: multiply by the width."),
            (want // bpn * 2, "that counts 2 bytes per number whatever you pass: use bytes_per_number."),
            (want // bpn * 4, "the default is bytes_per_number=2 (bfloat16); with no bytes_per_number "
                              "given, count 2 bytes per number."),
            (want * 8, "that counts bits: a byte is 8 bits, and the answer is in bytes."),
            (want / 2**20, "that is MiB: return bytes, not MiB (the lesson divides by 2**20 only to print)."),
            (want / 2**30, "that is GiB: return bytes, not GiB (the lesson divides by 2**30 only to print)."),
        ]
        if "bytes_per_number" in kwargs:  # a wrong default cannot be seen when it is passed
            mistakes = [m for m in mistakes if "the default is" not in m[1]]
        matching = [hint for value, hint in mistakes if value != want and np.isclose(got, value, rtol=1e-9)]
        hint = matching[0] if len(matching) == 1 else \
            "2 x layers x width x tokens x bytes_per_number: a key and a value per layer and token."
        raise Mismatch(what, want, got, hint)
    return ("kv_cache_bytes is 2 x layers x width x tokens x bytes_per_number for every size tried, with "
            "the default 2 bytes (bfloat16) and with 1, 2 or 4 given: 0.5 MiB per token for the 7B model.")


def _key_only(layers: int, width: int, tokens: int, bytes_per_number: int = 2) -> int:
    return layers * width * tokens * bytes_per_number


def _one_layer(layers: int, width: int, tokens: int, bytes_per_number: int = 2) -> int:
    return 2 * width * tokens * bytes_per_number


def _ignores_bytes_per_number(layers: int, width: int, tokens: int, bytes_per_number: int = 2) -> int:
    return 2 * layers * width * tokens * 2


def _per_token(layers: int, width: int, tokens: int, bytes_per_number: int = 2) -> int:
    return 2 * layers * width * bytes_per_number


def _float32_default(layers: int, width: int, tokens: int, bytes_per_number: int = 4) -> int:
    return 2 * layers * width * tokens * bytes_per_number


def _in_mib(layers: int, width: int, tokens: int, bytes_per_number: int = 2) -> float:
    return 2 * layers * width * tokens * bytes_per_number / 2**20


register(Exercise(
    id="13.kv_cache_bytes",
    title="The size of a KV cache",
    checker=_check_kv,
    solution=solutions.kv_cache_bytes,
    wrong=(
        Wrong(_key_only, "a key AND a value"),
        Wrong(_one_layer, "multiply by the number of layers"),
        Wrong(_ignores_bytes_per_number, "whatever you pass"),
        Wrong(_per_token, "multiply by the number of tokens"),
        Wrong(_float32_default, "the default is bytes_per_number=2"),
        Wrong(_in_mib, "return bytes, not MiB"),
    ),
))
