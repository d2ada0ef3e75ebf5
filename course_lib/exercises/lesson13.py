"""Checks for lesson 13 (language models)."""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from course_lib.exercises.core import Exercise, Mismatch, Wrong, register, require
from course_lib.solutions import lesson13 as solutions

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

# --- shared: name the known mistake whose output the learner's answer equals --------------------


def _close(got: torch.Tensor, want: torch.Tensor) -> bool:
    tol = 1e-3 if want.dtype in (torch.float16, torch.bfloat16) else 1e-5
    return got.shape == want.shape and bool(torch.allclose(got.to(want.dtype), want, atol=tol, rtol=tol,
                                                           equal_nan=True))


def _diagnose(what: str, want: torch.Tensor, got: torch.Tensor, make: Callable[..., torch.Tensor],
              mistakes: Sequence[tuple[dict[str, Any], str]], hint: str) -> None:
    """Raise Mismatch with the hint of the first mistake ``make(**keywords)`` that gives ``got``."""
    for keywords, mistake_hint in mistakes:
        value = make(**keywords)
        if not _close(value, want) and _close(got, value):
            raise Mismatch(what, "the reference's values", "different values", mistake_hint)
    diff = float((got.double() - want.double()).abs().max())
    raise Mismatch(what, "the reference's values", f"values off by up to {diff:.3g}", hint)


def _check_tensor_out(got: Any, what: str, shape: tuple[int, ...], hint: str) -> torch.Tensor:
    require(isinstance(got, torch.Tensor), what, "a torch tensor", type(got).__name__, hint)
    require(tuple(got.shape) == shape, what, f"shape {shape}", f"shape {tuple(got.shape)}", hint)
    require(got.is_floating_point(), what, "a float tensor", got.dtype, hint)
    return got


# --- 13.multi_head_attention -----------------------------------------------------------------


def _mha(x: torch.Tensor, qkv: torch.nn.Module, proj: torch.nn.Module, n_heads: int, *, scale: str = "head",
         mask: str = "before", split: str = "time", merge: str = "transpose", project: bool = True
         ) -> torch.Tensor:
    """Multi-head attention, right by default; each keyword argument makes one known mistake."""
    b, t, d = x.shape
    d_head = d // n_heads
    q, k, v = qkv(x).split(d, dim=-1)
    if split == "time":
        q, k, v = (z.view(b, t, n_heads, d_head).transpose(1, 2) for z in (q, k, v))
    else:  # the numbers reinterpreted as (b, heads, t, d_head): each "head" mixes positions
        q, k, v = (z.reshape(b, n_heads, t, d_head) for z in (q, k, v))
    scores = q @ k.transpose(-2, -1)
    scores = scores / {"head": math.sqrt(d_head), "model": math.sqrt(d), "none": 1.0}[scale]
    future = torch.triu(torch.ones(t, t, dtype=torch.bool, device=x.device), diagonal=1)
    if mask == "before":
        scores = scores.masked_fill(future, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    if mask == "after":
        weights = weights.masked_fill(future, 0.0)
    y = weights @ v  # (b, heads, t, d_head)
    y = y.transpose(1, 2).reshape(b, t, d) if merge == "transpose" else y.reshape(b, t, d)
    return proj(y) if project else y


_MHA_MISTAKES = (  # (keyword arguments of _mha, the hint)
    ({"scale": "none"}, "the scores are not scaled: divide q·k by √d_head, or the softmax saturates as "
                        "the width grows."),
    ({"scale": "model"}, "the scores are divided by √d_model: each head's dot products have d_head terms, "
                         "so divide by √d_head = √(d_model / n_heads)."),
    ({"mask": "after"}, "the mask is applied after the softmax: the weights of a row no longer sum to 1. "
                        "Set the future scores to -inf BEFORE the softmax."),
    ({"mask": "none"}, "no causal mask: each position sees the future. Set the scores where j > i to -inf."),
    ({"split": "heads"}, "the heads are split along the wrong axis: view the last axis (the width) as "
                         "(n_heads, d_head), i.e. .view(b, t, n_heads, d_head).transpose(1, 2)."),
    ({"merge": "reshape"}, "the heads are merged without transposing back: (b, heads, t, d_head) must become "
                           "(b, t, heads, d_head) with .transpose(1, 2) before .reshape(b, t, d)."),
    ({"project": False}, "no output projection: the concatenated heads go through proj at the end."),
)


def _mha_cases() -> list[tuple[int, int, int, int, torch.dtype]]:
    """(batch, time, width, heads, dtype): the first tells every mistake apart."""
    rng = np.random.default_rng(13)
    cases = [(2, 6, 16, 4, torch.float32), (1, 1, 8, 2, torch.float32), (3, 9, 12, 3, torch.float64),
             (2, 5, 24, 1, torch.float32), (1, 17, 32, 8, torch.float32)]
    for _ in range(3):
        h = int(rng.choice([1, 2, 4, 8]))
        cases.append((int(rng.integers(1, 4)), int(rng.integers(2, 33)), h * int(rng.integers(1, 9)), h,
                      torch.float32))
    return cases


def _check_mha(fn: Callable[..., Any]) -> str:
    cases = _mha_cases()
    for n, (b, t, d, h, dtype) in enumerate(cases):
        gen = torch.Generator().manual_seed(1300 + n)
        qkv, proj = torch.nn.Linear(d, 3 * d, dtype=dtype), torch.nn.Linear(d, d, dtype=dtype)
        with torch.no_grad():
            for p in (*qkv.parameters(), *proj.parameters()):
                p.copy_(torch.randn(p.shape, generator=gen, dtype=dtype) / math.sqrt(d))
        x = torch.randn(b, t, d, generator=gen, dtype=dtype) * 2
        what = f"multi_head_attention(x of shape {(b, t, d)}, qkv, proj, n_heads={h}) [{dtype}]"
        with torch.no_grad():
            want = solutions.multi_head_attention(x, qkv, proj, h)
            got = _check_tensor_out(fn(x, qkv, proj, h), what, (b, t, d),
                                    "return proj(y): one vector of width d per position, shape (b, t, d).")
            if _close(got.detach(), want):
                continue
            _diagnose(what, want, got.detach(), functools.partial(_mha, x, qkv, proj, h), _MHA_MISTAKES,
                      "q, k, v from qkv(x); split the width into heads; softmax(q·kᵀ/√d_head with the "
                      "future at -inf); weights @ v; heads side by side again; proj.")
    return (f"multi_head_attention equals the reference (to 1e-5) for {len(cases)} seeded shapes "
            "(batch 1-3, 1-32 positions, 1-8 heads, float32 and float64).")


def _mha_with(**mistake: Any) -> Callable[..., torch.Tensor]:
    """A learner's multi_head_attention that makes this mistake."""
    def multi_head_attention(x, qkv, proj, n_heads):
        return _mha(x, qkv, proj, n_heads, **mistake)
    return multi_head_attention


def _mha_returns_a_tuple(x, qkv, proj, n_heads):
    return _mha(x, qkv, proj, n_heads), None


register(Exercise(
    id="13.multi_head_attention",
    title="Multi-head causal self-attention, all heads at once",
    checker=_check_mha,
    solution=solutions.multi_head_attention,
    wrong=(
        Wrong(_mha_with(scale="none"), "the scores are not scaled"),
        Wrong(_mha_with(scale="model"), "divided by √d_model"),
        Wrong(_mha_with(mask="after"), "applied after the softmax"),
        Wrong(_mha_with(mask="none"), "no causal mask"),
        Wrong(_mha_with(split="heads"), "split along the wrong axis"),
        Wrong(_mha_with(merge="reshape"), "merged without transposing back"),
        Wrong(_mha_with(project=False), "no output projection"),
        Wrong(_mha_returns_a_tuple, "return proj(y)"),
    ),
))

# --- 13.sampling_probs -----------------------------------------------------------------------


def _probs(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None, *, scale: str = "divide",
           keep: str = "largest", extra: int = 0, renormalise: bool = True, dim: int = -1,
           softmax: bool = True) -> torch.Tensor:
    """Temperature and top-k sampling probabilities, right by default; keywords make mistakes."""
    scaled = {"multiply": logits * temperature, "after": logits}.get(scale, logits / temperature)
    keep_mask = torch.ones_like(scaled, dtype=torch.bool)
    if top_k is not None and keep != "all":
        k = min(top_k + extra, scaled.shape[-1])
        if keep == "largest":
            kth = torch.topk(scaled, k, dim=-1).values[..., -1:]
            keep_mask = scaled >= kth
        else:
            kth = torch.topk(scaled, k, dim=-1, largest=False).values[..., -1:]
            keep_mask = scaled <= kth
    if not softmax:
        return scaled.masked_fill(~keep_mask, float("-inf"))
    if renormalise:
        out = torch.softmax(scaled.masked_fill(~keep_mask, float("-inf")), dim=dim)
    else:
        out = torch.softmax(scaled, dim=dim).masked_fill(~keep_mask, 0.0)
    return out / temperature if scale == "after" else out


_PROB_MISTAKES = (
    ({"scale": "multiply"}, "the logits are multiplied by the temperature: DIVIDE them, so a temperature "
                            "below 1 sharpens the distribution."),
    ({"scale": "after"}, "the temperature is applied after the softmax: divide the LOGITS by it, then take "
                         "the softmax."),
    ({"keep": "all"}, "top_k is ignored: keep only the k largest logits and set the rest to -inf."),
    ({"keep": "smallest"}, "that keeps the k SMALLEST logits: keep the k largest (torch.topk)."),
    ({"extra": 1}, "that keeps k + 1 tokens: the k-th largest is topk(...).values[..., -1], the last of k."),
    ({"renormalise": False}, "the other tokens are zeroed after the softmax, so the kept ones no longer sum "
                             "to 1: set the dropped logits to -inf BEFORE the softmax."),
    ({"dim": 0}, "the softmax runs over the wrong axis: over the last one, the vocabulary (dim=-1)."),
    ({"softmax": False}, "those are scores, not probabilities: finish with torch.softmax(..., dim=-1)."),
)


def _prob_cases() -> list[tuple[tuple[int, ...], dict[str, Any]]]:
    """(shape of the logits, keyword arguments): defaults, both sides of temperature 1, top-k or not."""
    return [((3, 10), {"temperature": 0.5, "top_k": 3}), ((12,), {}), ((89,), {"temperature": 2.0}),
            ((4, 7), {"temperature": 0.8}), ((2, 6), {"top_k": 1}), ((5,), {"temperature": 1.5, "top_k": 5}),
            ((2, 3, 20), {"temperature": 0.25, "top_k": 7}), ((30,), {"top_k": 4})]


def _check_probs(fn: Callable[..., Any]) -> str:
    cases = _prob_cases()
    for n, (shape, kwargs) in enumerate(cases):
        logits = torch.randn(shape, generator=torch.Generator().manual_seed(1310 + n)) * 3
        args = "".join(f", {k}={v}" for k, v in kwargs.items())
        what = f"sampling_probs(logits of shape {shape}{args})"
        want = solutions.sampling_probs(logits, **kwargs)
        got = _check_tensor_out(fn(logits.clone(), **kwargs), what, shape,
                                "return one probability per logit: a tensor of the logits' shape.")
        if _close(got, want):
            continue
        _diagnose(what, want, got, functools.partial(_probs, logits, **kwargs), _PROB_MISTAKES,
                  "divide the logits by temperature; if top_k, set all but the k largest to -inf; softmax "
                  "over the last axis.")
    return (f"sampling_probs equals the reference for {len(cases)} seeded cases: 1 to 3 axes, temperatures "
            "0.25 to 2 and the default 1, top_k from 1 to 7 and None.")


def _probs_with(**mistake: Any) -> Callable[..., torch.Tensor]:
    """A learner's sampling_probs that makes this mistake."""
    def sampling_probs(logits, temperature=1.0, top_k=None):
        return _probs(logits, temperature, top_k, **mistake)
    return sampling_probs


register(Exercise(
    id="13.sampling_probs",
    title="Temperature and top-k: the probabilities to sample from",
    checker=_check_probs,
    solution=solutions.sampling_probs,
    wrong=(
        Wrong(_probs_with(scale="multiply"), "multiplied by the temperature"),
        Wrong(_probs_with(scale="after"), "applied after the softmax"),
        Wrong(_probs_with(keep="all"), "top_k is ignored"),
        Wrong(_probs_with(keep="smallest"), "k SMALLEST"),
        Wrong(_probs_with(extra=1), "keeps k + 1 tokens"),
        Wrong(_probs_with(renormalise=False), "no longer sum to 1"),
        Wrong(_probs_with(dim=0), "wrong axis"),
        Wrong(_probs_with(softmax=False), "not probabilities"),
    ),
))

# --- 13.kv_cache_update ----------------------------------------------------------------------


def _update(cache: Any, k_new: torch.Tensor, v_new: torch.Tensor, *, dim: int = 2, order: str = "append",
            keep: str = "all", swap: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """The cache with one more position, right by default; keywords make the known mistakes."""
    if cache is None:
        out = (k_new, v_new)
    else:
        k, v = cache
        if keep == "none":
            out = (k_new, v_new)
        elif keep == "replace_last":
            out = (torch.cat([k[:, :, :-1], k_new], dim=2), torch.cat([v[:, :, :-1], v_new], dim=2))
        elif order == "prepend":
            out = (torch.cat([k_new, k], dim=dim), torch.cat([v_new, v], dim=dim))
        else:
            out = (torch.cat([k, k_new], dim=dim), torch.cat([v, v_new], dim=dim))
    return (out[1], out[0]) if swap else out


_UPDATE_MISTAKES = (
    ({"order": "prepend"}, "the new token is put first: it is the LAST position, so it goes after the "
                           "cache."),
    ({"keep": "none"}, "the earlier positions are lost: concatenate the cache and the new key (and value)."),
    ({"keep": "replace_last"}, "the cache's last position is overwritten: keep every earlier position "
                               "and add one."),
    ({"swap": True}, "keys and values are swapped: return (keys, values) in that order."),
)


def _stacked_update(cache: Any, k_new: torch.Tensor, v_new: torch.Tensor, **keywords: Any) -> torch.Tensor:
    return torch.stack(_update(cache, k_new, v_new, **keywords))


def _update_cases() -> list[tuple[int, int, int, int, torch.dtype]]:
    """(batch, heads, positions already cached, d_head, dtype); 0 cached means cache=None."""
    rng = np.random.default_rng(13)
    cases = [(2, 4, 5, 8, torch.float32), (1, 1, 1, 4, torch.float32), (3, 2, 9, 16, torch.float64),
             (1, 8, 31, 2, torch.bfloat16), (2, 3, 0, 6, torch.float32)]
    for _ in range(3):
        cases.append((int(rng.integers(1, 4)), int(rng.integers(1, 9)), int(rng.integers(0, 40)),
                      int(rng.integers(1, 33)), torch.float32))
    return cases


def _check_update(fn: Callable[..., Any]) -> str:
    cases = _update_cases()
    for n, (b, h, cached, d, dtype) in enumerate(cases):
        gen = torch.Generator().manual_seed(1320 + n)
        k, v = (torch.randn(b, h, cached, d, generator=gen).to(dtype) for _ in range(2))
        k_new, v_new = (torch.randn(b, h, 1, d, generator=gen).to(dtype) for _ in range(2))
        cache = None if cached == 0 else (k, v)
        shown = "None" if cache is None else f"(keys, values) of shape {(b, h, cached, d)}"
        what = f"kv_cache_update({shown}, k_new, v_new of shape {(b, h, 1, d)}) [{dtype}]"
        try:
            got = fn(None if cache is None else (k.clone(), v.clone()), k_new.clone(), v_new.clone())
        except (TypeError, ValueError, RuntimeError) as exc:
            if cache is None:
                raise Mismatch(what, "(k_new, v_new)", f"{type(exc).__name__}: {exc}",
                               "the first token comes with cache=None: then the cache is just "
                               "(k_new, v_new).") from None
            if isinstance(exc, RuntimeError) and "Sizes of tensors must match" in str(exc):
                raise Mismatch(what, f"keys and values of shape {(b, h, cached + 1, d)}", "torch.cat refused",
                               "the cache grows along the time axis, dim 2 of (batch, heads, time, d_head): "
                               "torch.cat([cached, new], dim=2).") from None
            raise
        require(isinstance(got, (tuple, list)) and len(got) == 2, what, "a pair (keys, values)",
                type(got).__name__, "return the new keys and the new values, as a tuple of two tensors.")
        want = solutions.kv_cache_update(cache, k_new, v_new)
        for name, g in (("keys", got[0]), ("values", got[1])):
            hint = (f"the {name} grow along the time axis, dim 2 of (batch, heads, time, d_head): "
                    f"torch.cat([cached, new], dim=2) gives {(b, h, cached + 1, d)}.")
            g_shape = tuple(g.shape) if isinstance(g, torch.Tensor) else ()
            if cached and g_shape == (b, h, 1, d):
                hint = _UPDATE_MISTAKES[1][1]
            elif cached > 1 and g_shape == (b, h, cached, d):
                hint = _UPDATE_MISTAKES[2][1]
            g = _check_tensor_out(g, f"{what}, the {name}", (b, h, cached + 1, d), hint)
        if _close(got[0], want[0]) and _close(got[1], want[1]):
            continue
        _diagnose(what, torch.stack(want), torch.stack([got[0], got[1]]),
                  functools.partial(_stacked_update, cache, k_new, v_new), _UPDATE_MISTAKES,
                  "append the new key after the cached keys and the new value after the cached values, "
                  "along the time axis (dim 2).")
    return (f"kv_cache_update appends one position along the time axis for {len(cases)} seeded cases: "
            "an empty cache (None), 1 to 39 cached positions, 1 to 8 heads, float32, float64 and bfloat16.")


def _update_with(**mistake: Any) -> Callable[..., tuple[torch.Tensor, torch.Tensor]]:
    """A learner's kv_cache_update that makes this mistake."""
    def kv_cache_update(cache, k_new, v_new):
        return _update(cache, k_new, v_new, **mistake)
    return kv_cache_update


def _update_no_first_token(cache, k_new, v_new):
    k, v = cache
    return torch.cat([k, k_new], dim=2), torch.cat([v, v_new], dim=2)


register(Exercise(
    id="13.kv_cache_update",
    title="The KV cache: add one token's key and value",
    checker=_check_update,
    solution=solutions.kv_cache_update,
    wrong=(
        Wrong(_update_with(dim=1), "along the time axis"),
        Wrong(_update_with(order="prepend"), "it is the LAST position"),
        Wrong(_update_with(keep="none"), "the earlier positions are lost"),
        Wrong(_update_with(keep="replace_last"), "last position is overwritten"),
        Wrong(_update_with(swap=True), "keys and values are swapped"),
        Wrong(_update_no_first_token, "the first token comes with cache=None"),
    ),
))
