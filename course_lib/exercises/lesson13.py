"""Checks for lesson 13 (language models): four tables for the engine in core."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from course_lib.exercises.core import Case, Mismatch, Mistake, Probes, Returns, Table, exercise
from course_lib.solutions import lesson13 as solutions

# --- 13.kv_cache_bytes: the text asks for an int ----------------------------------------------


def _kv_cases(rng: np.random.Generator) -> list[Case]:
    """Every argument varies on its own; one sequence of a million tokens (a loop runs long)."""
    found: list[tuple[tuple[int, int, int], dict[str, int]]] = [
        ((32, 4096, 100), {}),  # the lesson's 7B model, bfloat16 by default
        ((3, 64, 7), {"bytes_per_number": 1}), ((12, 768, 1024), {"bytes_per_number": 4}),
        ((1, 4096, 1), {}), ((80, 8192, 32768), {"bytes_per_number": 2}), ((2, 64, 1_000_000), {})]
    for bytes_per_number in (None, 1, 2, 4):
        args = (int(rng.integers(1, 97)), 64 * int(rng.integers(1, 129)), int(rng.integers(1, 100_001)))
        found.append((args, {} if bytes_per_number is None else {"bytes_per_number": bytes_per_number}))
    return [Case(f"kv_cache_bytes({n}, {w}, {t}{''.join(f', {k}={v}' for k, v in kw.items())})",
                 (n, w, t), tuple(kw.items())) for (n, w, t), kw in found]


def _formula(count: Callable[[int, int, int, int], Any] = lambda n, w, t, b: 2 * n * w * t * b,
             default: int = 2, times: float = 1) -> Callable[..., Any]:
    """A kv_cache_bytes with one known mistake: ``count(layers, width, tokens, bpn) * times``, with
    ``default`` bytes per number when none is given."""
    def kv_cache_bytes(layers: int, width: int, tokens: int, bytes_per_number: int = default) -> Any:
        return count(layers, width, tokens, bytes_per_number) * times
    return kv_cache_bytes


_INT = "return the number of bytes, an int."

exercise("13.kv_cache_bytes", "The size of a KV cache", solutions.kv_cache_bytes, Table(
    cases=_kv_cases, seed=13, returns=Returns("int", type_hint=_INT),
    mistakes=(
        Mistake(_formula(lambda n, w, t, b: n * w * t * b),
                "each layer keeps a key AND a value per token: count both."),
        Mistake(_formula(lambda n, w, t, b: 2 * w * t * b),
                "every layer has its own keys and values: multiply by the number of layers."),
        Mistake(_formula(lambda n, w, t, b: 2 * n * w * t * 2),
                "that counts 2 bytes per number whatever you pass: use bytes_per_number."),
        Mistake(_formula(lambda n, w, t, b: 2 * n * w * b),
                "that is the cache for one token: multiply by the number of tokens."),
        Mistake(_formula(lambda n, w, t, b: 2 * n * t * b),
                "each key and each value holds width numbers: multiply by the width."),
        Mistake(_formula(default=4), "the default is bytes_per_number=2 (bfloat16); with no bytes_per_number "
                                     "given, count 2 bytes per number."),
        Mistake(_formula(times=8), "that counts bits: a byte is 8 bits, and the answer is in bytes."),
        Mistake(_formula(times=2**-20), "that is MiB: return bytes, not MiB (the lesson divides by 2**20 "
                                         "only to print)."),
        Mistake(_formula(times=2**-30), "that is GiB: return bytes, not GiB (the lesson divides by 2**30 "
                                         "only to print)."),
        Mistake(_formula(lambda n, w, t, b: float(2 * n * w * t * b)), _INT),
        Mistake(_formula(lambda n, w, t, b: min(t, 100_000) * 2 * n * w * b),
                "your count stops growing at 100,000 tokens: multiply by tokens, however many there are."),
    ),
    fallback="2 x layers x width x tokens x bytes_per_number: a key and a value per layer and token.",
    success="kv_cache_bytes is 2 x layers x width x tokens x bytes_per_number, an int, for every size "
            "tried (up to a million tokens), with the default 2 bytes (bfloat16) and with 1, 2 or 4 given: "
            "0.5 MiB per token for the 7B model.",
))


def _close(got: np.ndarray, want: np.ndarray) -> bool:
    """Equal to the reference: to 1e-5, or 1e-3 where either side was computed in half precision."""
    if got.shape != want.shape:
        return False
    tol = 1e-5 if got.dtype.itemsize >= 4 and want.dtype.itemsize >= 4 else 1e-3
    return bool(np.allclose(got.astype(np.float64), want.astype(np.float64), atol=tol, rtol=tol,
                            equal_nan=True))


def _values(case: Case, want: Any, got: Any) -> tuple[str, str]:
    diff = float(np.nanmax(np.abs(np.asarray(got, np.float64) - np.asarray(want, np.float64)), initial=0))
    return "the reference's values", f"values off by up to {diff:.3g}"


# --- 13.multi_head_attention: qkv and proj are only read, so the probes watch their weights and mode

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
    future = torch.triu(torch.ones(t, t, dtype=torch.bool, device=x.device),
                        diagonal=0 if mask == "diagonal" else 1)
    if mask in ("before", "diagonal"):
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
    ({"mask": "diagonal"}, "the mask hides the diagonal too: position i may attend to itself, so set "
                           "only the scores where j > i to -inf (torch.triu(..., diagonal=1))."),
)


def _mha_cases(rng: np.random.Generator) -> list[Case]:
    """(batch, time, width, heads, dtype): the first tells every mistake apart; size-1 axes, batch 128."""
    shapes = [(2, 6, 16, 4, torch.float32), (1, 1, 8, 2, torch.float32), (3, 9, 12, 3, torch.float64),
              (2, 5, 24, 1, torch.float32), (1, 17, 32, 8, torch.float32), (128, 3, 8, 2, torch.float32)]
    for _ in range(3):
        h = int(rng.choice([1, 2, 4, 8]))
        shapes.append((int(rng.integers(1, 4)), int(rng.integers(2, 33)), h * int(rng.integers(1, 9)), h,
                       torch.float32))
    cases = []
    for n, (b, t, d, h, dtype) in enumerate(shapes):
        gen = torch.Generator().manual_seed(1300 + n)
        qkv, proj = torch.nn.Linear(d, 3 * d, dtype=dtype), torch.nn.Linear(d, d, dtype=dtype)
        with torch.no_grad():
            for p in (*qkv.parameters(), *proj.parameters()):
                p.copy_(torch.randn(p.shape, generator=gen, dtype=dtype) / math.sqrt(d))
        x = torch.randn(b, t, d, generator=gen, dtype=dtype) * 2
        cases.append(Case(f"multi_head_attention(x of shape {(b, t, d)}, qkv, proj, n_heads={h}) [{dtype}]",
                          (x, qkv, proj, h)))
    return cases


def _scales_proj(x: torch.Tensor, qkv: torch.nn.Module, proj: torch.nn.Linear, n_heads: int) -> torch.Tensor:
    with torch.no_grad():
        proj.bias.add_(0.5)  # a model's weights are not the learner's to change
    return _mha(x, qkv, proj, n_heads)


def _float_tensor_like_first_argument(hint: str) -> Returns:
    """The contract of 13's tensor answers: a float tensor of the first argument's shape."""
    return Returns("tensor", shape=lambda c: tuple(c.args[0].shape), dtype="float", equal=_close,
                   type_hint=hint, shape_hint=hint)


_OUT = "return proj(y): one vector of width d per position, shape (b, t, d)."
_READ_ONLY = ("your function changed qkv or proj (their weights, or their train/eval mode): the layers "
              "are only read here, so use them as they are.")

exercise("13.multi_head_attention", "Multi-head causal self-attention, all heads at once",
         solutions.multi_head_attention, Table(
             cases=_mha_cases, seed=13, shown=_values,
             returns=_float_tensor_like_first_argument(_OUT),
             probes=Probes(mutation_hint=_READ_ONLY),
             mistakes=(*(Mistake(functools.partial(_mha, **kw), hint) for kw, hint in _MHA_MISTAKES),
                       Mistake(lambda x, qkv, proj, h: (_mha(x, qkv, proj, h), None), _OUT),
                       Mistake(_scales_proj, _READ_ONLY),
                       Mistake(lambda x, qkv, proj, h: (proj.eval(), _mha(x, qkv, proj, h))[1], _READ_ONLY)),
             fallback="q, k, v from qkv(x); split the width into heads; softmax(q·kᵀ/√d_head with the future "
                      "at -inf); weights @ v; heads side by side again; proj.",
             success="multi_head_attention equals the reference (to 1e-5) for 9 seeded shapes (batch 1 to "
                     "128, 1 to 32 positions, 1 to 8 heads, float32 and float64), and leaves the layers' "
                     "weights and mode as they were.",
         ))

# --- 13.sampling_probs ---------------------------------------------------------------------------

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


def _prob_cases(rng: np.random.Generator) -> list[Case]:
    """Defaults, both sides of temperature 1, top-k from 1 to the whole vocabulary, or none."""
    found: list[tuple[tuple[int, ...], dict[str, Any]]] = [
             ((3, 10), {"temperature": 0.5, "top_k": 3}), ((12,), {}), ((89,), {"temperature": 2.0}),
             ((4, 7), {"temperature": 0.8}), ((2, 6), {"top_k": 1}), ((5,), {"temperature": 1.5, "top_k": 5}),
             ((2, 3, 20), {"temperature": 0.25, "top_k": 7}), ((30,), {"top_k": 4}), ((1, 1), {}),
             ((1, 9), {"temperature": 1.0, "top_k": 9})]
    cases = []
    for n, (shape, kwargs) in enumerate(found):
        logits = torch.randn(shape, generator=torch.Generator().manual_seed(1310 + n)) * 3
        args = "".join(f", {k}={v}" for k, v in kwargs.items())
        cases.append(Case(f"sampling_probs(logits of shape {shape}{args})", (logits,), tuple(kwargs.items())))
    return cases


def _divides_in_place(logits: torch.Tensor, temperature: float = 1.0,
                      top_k: int | None = None) -> torch.Tensor:
    logits /= temperature
    return _probs(logits, 1.0, top_k)


_SHAPE = "return one probability per logit: a tensor of the logits' shape."
_IN_PLACE = ("your function changed logits in place (logits /= ..., or masked_fill_): compute new "
             "tensors and leave the logits as they were.")

exercise("13.sampling_probs", "Temperature and top-k: the probabilities to sample from",
         solutions.sampling_probs, Table(
             cases=_prob_cases, seed=13, shown=_values,
             returns=_float_tensor_like_first_argument(_SHAPE),
             probes=Probes(mutation_hint=_IN_PLACE),
             mistakes=(*(Mistake(functools.partial(_probs, **kw), hint) for kw, hint in _PROB_MISTAKES),
                       Mistake(_divides_in_place, _IN_PLACE)),
             fallback="divide the logits by temperature; if top_k, set all but the k largest to -inf; "
                      "softmax over the last axis.",
             success="sampling_probs equals the reference for 10 seeded cases: 1 to 3 axes (a single logit "
                     "too), temperatures 0.25 to 2 and the default 1, top_k from 1 to the whole vocabulary "
                     "and None, and leaves the logits unchanged.",
         ))

# --- 13.kv_cache_update --------------------------------------------------------------------------

def _update(cache: Any, k_new: torch.Tensor, v_new: torch.Tensor, *, dim: int = 2, order: str = "append",
            keep: str = "all", swap: bool = False, handles_none: bool = True
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """The cache with one more position, right by default; keywords make the known mistakes."""
    if (cache is None and handles_none) or keep == "none":
        out = (k_new, v_new)
    else:
        k, v = (z[:, :, :-1] for z in cache) if keep == "replace_last" else cache
        first, last = ((k_new, v_new), (k, v)) if order == "prepend" else ((k, v), (k_new, v_new))
        out = (torch.cat([first[0], last[0]], dim=dim), torch.cat([first[1], last[1]], dim=dim))
    return (out[1], out[0]) if swap else out


_PAIR = "return the new keys and the new values, as a tuple of two tensors."
_TIME_AXIS = ("the keys and values grow along the time axis, dim 2 of (batch, heads, time, d_head): "
              "torch.cat([cached, new], dim=2).")
_FIRST = "the first token comes with cache=None: then the cache is just (k_new, v_new)."
_WROTE = ("your function wrote into the cache it was given: build new tensors with torch.cat and leave "
          "the old ones as they were.")

_UPDATE_MISTAKES = (  # (keyword arguments of _update, the hint)
    ({"dim": 1}, _TIME_AXIS),
    ({"order": "prepend"}, "the new token is put first: it is the LAST position, so it goes after the "
                           "cache."),
    ({"keep": "none"}, "the earlier positions are lost: concatenate the cache and the new key (and value)."),
    ({"keep": "replace_last"}, "the cache's last position is overwritten: keep every earlier position "
                               "and add one."),
    ({"swap": True}, "keys and values are swapped: return (keys, values) in that order."),
    ({"handles_none": False}, _FIRST),  # unpacks cache=None
)


def _update_cases(rng: np.random.Generator) -> list[Case]:
    """(batch, heads, positions already cached, d_head, dtype); 0 cached means cache=None."""
    shapes = [(2, 4, 5, 8, torch.float32), (1, 1, 1, 4, torch.float32), (3, 2, 9, 16, torch.float64),
              (1, 8, 31, 2, torch.bfloat16), (2, 3, 0, 6, torch.float32), (1, 2, 2000, 4, torch.float32)]
    for _ in range(3):
        shapes.append((int(rng.integers(1, 4)), int(rng.integers(1, 9)), int(rng.integers(0, 40)),
                       int(rng.integers(1, 33)), torch.float32))
    cases = []
    for n, (b, h, cached, d, dtype) in enumerate(shapes):
        gen = torch.Generator().manual_seed(1320 + n)
        k, v = (torch.randn(b, h, cached, d, generator=gen).to(dtype) for _ in range(2))
        k_new, v_new = (torch.randn(b, h, 1, d, generator=gen).to(dtype) for _ in range(2))
        shown = "None" if cached == 0 else f"(keys, values) of shape {(b, h, cached, d)}"
        cases.append(Case(f"kv_cache_update({shown}, k_new, v_new of shape {(b, h, 1, d)}) [{dtype}]",
                          (None if cached == 0 else (k, v), k_new, v_new)))
    return cases


def _pair(value: Any, what: str, case: Case | None) -> tuple[np.ndarray, np.ndarray]:
    """The learner's (keys, values), checked, as float arrays."""
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise Mismatch(what, "a pair (keys, values)", type(value).__name__, _PAIR)
    out = []
    for name, g in zip(("keys", "values"), value, strict=True):
        if not isinstance(g, torch.Tensor) or not g.is_floating_point():
            raise Mismatch(f"{what}, the {name}", "a float tensor", type(g).__name__, _PAIR)
        if case is not None:
            b, h, _, d = case.args[1].shape
            cached = 0 if case.args[0] is None else case.args[0][0].shape[2]
            if tuple(g.shape) != (b, h, cached + 1, d):
                raise Mismatch(f"{what}, the {name}", f"shape {(b, h, cached + 1, d)}", f"shape "
                               f"{tuple(g.shape)}", _TIME_AXIS)
        out.append(g.detach().float().numpy())
    return out[0], out[1]


def _raised(case: Case, exc: Exception) -> tuple[str, str] | None:
    if case.args[0] is None and isinstance(exc, (TypeError, ValueError, RuntimeError)):
        return "(k_new, v_new)", _FIRST
    if isinstance(exc, RuntimeError) and "Sizes of tensors must match" in str(exc):
        return "keys and values one position longer", _TIME_AXIS
    return None


def _writes_into_cache(cache: Any, k_new: torch.Tensor, v_new: torch.Tensor) -> Any:
    if cache is None:
        return k_new, v_new
    k, v = cache
    k[:, :, -1:] = k_new  # overwrites the caller's tensors, then adds a copy of the same
    return torch.cat([k, k_new], dim=2), torch.cat([v, v_new], dim=2)


exercise("13.kv_cache_update", "The KV cache: add one token's key and value", solutions.kv_cache_update,
         Table(
             cases=_update_cases, seed=13, raised=_raised,
             shown=lambda c, want, got: ("the reference's keys and values", "different values"),
             returns=Returns("any", convert=_pair,
                             equal=lambda g, w: all(_close(a, b) for a, b in zip(g, w, strict=True))),
             probes=Probes(mutation_hint=_WROTE),
             mistakes=(
                 *(Mistake(functools.partial(_update, **kw), hint) for kw, hint in _UPDATE_MISTAKES),
                 Mistake(_writes_into_cache, _WROTE),
             ),
             fallback="append the new key after the cached keys and the new value after the cached values, "
                      "along the time axis (dim 2).",
             success="kv_cache_update appends one position along the time axis for 9 seeded cases: an "
                     "empty cache (None), 1 to 2000 cached positions, 1 to 8 heads, float32, float64 and "
                     "bfloat16, and leaves the old cache as it was.",
         ))
