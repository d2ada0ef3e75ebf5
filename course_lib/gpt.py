"""A tiny decoder-only transformer (a GPT) for lesson 13: tokens, blocks, training and sampling.

Small enough to train on a laptop CPU in seconds, written with plain ``nn.Module`` s so that
every part can be read: token and position embeddings, blocks of causal self-attention and
an MLP with residual connections and layer norm, and a head that scores the next token.
Generation can keep each layer's keys and values (the *KV cache*) instead of recomputing
them for the whole prefix at every step. This is the reference the lesson's hand-built model
is checked against: the model code first, the checks of its inputs after it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import torch
from torch import nn
from torch.nn import functional as F

from course_lib.devices import device_of
from course_lib.errors import (
    CourseInputError,
    describe,
    expect,
    expect_bool,
    expect_int,
    expect_number,
    expect_tensor,
    is_int,
)

KVCache = list[tuple[torch.Tensor, torch.Tensor]]
MAX_PARAMETERS = 2_000_000_000  # a GPT bigger than this would not fit in a laptop's memory


def _positive_int(value: object, name: str, most: int = 1_000_000) -> int:
    return expect_int(value, name, low=1, high=most)


class CharTokenizer:
    """Characters as tokens: one id per distinct character of the training text."""

    def __init__(self, text: str) -> None:
        expect(isinstance(text, str) and len(text) > 0, "text", "a non-empty str", text)
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        """The id of every character; a character the tokenizer never saw is a clear error."""
        expect(isinstance(text, str), "text", "a str", text)
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            raise CourseInputError(f"text: characters not in the vocabulary: {unknown[:10]!r}.")
        return [self.index[c] for c in text]

    def decode(self, ids: Sequence[int]) -> str:
        """The text of token ids (a list of ints, or a 1-d integer tensor)."""
        if isinstance(ids, torch.Tensor):
            ids = _expect_ids(ids, "ids", self.vocab_size, ndim=1).tolist()
        ok = isinstance(ids, (list, tuple, range)) and all(is_int(i) and 0 <= i < self.vocab_size
                                                           for i in ids)
        expect(ok, "ids", f"token ids from 0 to {self.vocab_size - 1} (a list of ints)", ids)
        return "".join(self.chars[int(i)] for i in ids)


@dataclass(frozen=True)
class GPTConfig:
    """The sizes of a :class:`GPT`; ``n_kv_heads`` below ``n_heads`` makes it grouped-query attention."""

    vocab_size: int
    context: int = 64  # the most tokens the model looks back over
    d_model: int = 64  # the width of every token's vector
    n_heads: int = 4
    n_layers: int = 2
    mlp_ratio: int = 4
    n_kv_heads: int | None = None  # heads of keys and values; None: one per query head

    def __post_init__(self) -> None:
        for name in ("vocab_size", "context", "d_model", "n_heads", "n_layers", "mlp_ratio"):
            _positive_int(getattr(self, name), name)
        if self.d_model % self.n_heads:
            raise CourseInputError(f"n_heads: must divide d_model={self.d_model}, got {self.n_heads}.")
        if self.n_kv_heads is not None:
            _positive_int(self.n_kv_heads, "n_kv_heads")
            if self.n_heads % self.n_kv_heads:
                raise CourseInputError(f"n_kv_heads: must divide n_heads={self.n_heads}, "
                                       f"got {self.n_kv_heads}.")

    @property
    def kv_heads(self) -> int:
        """The number of key and value heads (``n_heads`` unless grouped-query attention)."""
        return self.n_heads if self.n_kv_heads is None else self.n_kv_heads


# --- The model, in the order lesson 13 builds it. Its inputs are checked at the public entry
# --- points (GPT.forward, Block.forward, CausalSelfAttention.forward), one line each.


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which each position sees only itself and earlier positions.

    With ``cfg.n_kv_heads < cfg.n_heads`` (grouped-query attention) each key and value head
    serves ``n_heads // n_kv_heads`` query heads, and the cache holds only the key heads."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        _expect_cfg(cfg)
        self.d_model, self.n_heads, self.kv_heads = cfg.d_model, cfg.n_heads, cfg.kv_heads
        self.d_head = cfg.d_model // cfg.n_heads
        self.qkv = nn.Linear(cfg.d_model, (cfg.n_heads + 2 * cfg.kv_heads) * self.d_head)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)

    def forward(self, x: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """The attention output (batch, time, d_model) and this layer's keys and values so far."""
        _expect_attention_input(x, cache, self.d_model, self.kv_heads, self.d_head)
        b, t, d = x.shape
        q, k, v = self.qkv(x).split([d, self.kv_heads * self.d_head, self.kv_heads * self.d_head], dim=2)
        q = q.view(b, t, self.n_heads, self.d_head).transpose(1, 2)  # (batch, heads, time, d_head)
        k = k.view(b, t, self.kv_heads, self.d_head).transpose(1, 2)
        v = v.view(b, t, self.kv_heads, self.d_head).transpose(1, 2)
        if cache is not None:  # the keys and values of the earlier positions, kept from before
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
        group = self.n_heads // self.kv_heads  # query heads per key head (1 without GQA)
        k_all, v_all = (k.repeat_interleave(group, 1), v.repeat_interleave(group, 1)) if group > 1 else (k, v)
        if cache is None or t == 1:  # the t new queries are the last t positions
            y = F.scaled_dot_product_attention(q, k_all, v_all, is_causal=cache is None and t > 1)
        else:  # several new tokens after a cache: query i sees the cache and new tokens up to i
            seen = torch.ones(t, k.shape[2], dtype=torch.bool, device=x.device).tril(k.shape[2] - t)
            y = F.scaled_dot_product_attention(q, k_all, v_all, attn_mask=seen)
        return self.proj(y.transpose(1, 2).reshape(b, t, d)), (k, v)


class Block(nn.Module):
    """Layer norm, attention and a residual connection; then layer norm, an MLP and another."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        _expect_cfg(cfg)
        self.ln1, self.ln2 = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
        self.attn = CausalSelfAttention(cfg)
        self.mlp = nn.Sequential(nn.Linear(cfg.d_model, cfg.mlp_ratio * cfg.d_model), nn.GELU(),
                                 nn.Linear(cfg.mlp_ratio * cfg.d_model, cfg.d_model))

    def forward(self, x: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """The block's output (same shape as ``x``) and its attention's keys and values."""
        _expect_width(x, self.attn.d_model)
        a, kv = self.attn(self.ln1(x), cache)
        x = x + a
        return x + self.mlp(self.ln2(x)), kv


class GPT(nn.Module):
    """Token ids (batch, time) in, next-token logits (batch, time, vocab) out."""

    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        _expect_size(_expect_cfg(cfg))
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos = nn.Embedding(cfg.context, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)

    def forward(self, ids: torch.Tensor, cache: KVCache | None = None, start: int = 0
                ) -> tuple[torch.Tensor, KVCache]:
        """Logits for every position, and every layer's keys and values (for the next call).

        ``cache`` and ``start`` continue a sequence: ``ids`` are the tokens at positions
        ``start``, ``start + 1``, ... and ``cache`` holds the keys and values before them.
        """
        _expect_gpt_input(self.cfg, ids, cache, start)
        t = ids.shape[1]
        x = self.tok(ids) + self.pos(torch.arange(start, start + t, device=ids.device))
        new_cache: KVCache = []
        for i, block in enumerate(self.blocks):
            x, kv = block(x, None if cache is None else cache[i])
            new_cache.append(kv)
        return self.head(self.ln(x)), new_cache

    def loss(self, ids: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of the next-token predictions (natural log, nats per token)."""
        expect(isinstance(targets, torch.Tensor) and isinstance(ids, torch.Tensor)
               and targets.shape == ids.shape, "targets", f"a tensor of the shape of ids, "
               f"{tuple(getattr(ids, 'shape', ()))}", targets)
        _expect_ids(targets, "targets", self.cfg.vocab_size, ndim=2)
        logits, _ = self(ids)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1))


# --- The checks of the entry points above.


def _expect_cfg(cfg: object) -> GPTConfig:
    expect(isinstance(cfg, GPTConfig), "cfg", "a GPTConfig", cfg)
    assert isinstance(cfg, GPTConfig)
    return cfg


def _expect_ids(ids: object, name: str, vocab_size: int, ndim: int) -> torch.Tensor:
    """``ids`` if it is an integer tensor of this rank with every id from 0 to vocab_size - 1."""
    if not (isinstance(ids, torch.Tensor) and ids.ndim == ndim and not ids.is_floating_point()
            and not ids.is_complex() and ids.dtype != torch.bool):
        expect_tensor(ids, name, ndim=ndim, dtype="int")
    assert isinstance(ids, torch.Tensor)
    if ids.dtype not in (torch.int64, torch.int32):  # what nn.Embedding takes
        raise CourseInputError(f"{name}: expected token ids as a torch.long (or int32) tensor, got "
                               f"{describe(ids)}; convert it with .long().")
    if ids.numel() and not torch.compiler.is_compiling():  # values are unknown while exporting
        low, high = (int(v) for v in torch.aminmax(ids))
        if low < 0 or high >= vocab_size:
            raise CourseInputError(f"{name}: expected values from 0 to {vocab_size - 1} (token ids), got "
                                   f"{describe(ids)} with values from {low} to {high}.")
    return ids


def _expect_width(x: object, d_model: int) -> None:
    """``x`` is a float tensor (batch, time, d_model); the message comes from expect_tensor."""
    if not (isinstance(x, torch.Tensor) and x.ndim == 3 and x.shape[2] == d_model and x.is_floating_point()):
        expect_tensor(x, "x", ndim=3, shape=(None, None, d_model), dtype="float")


def _expect_layer_cache(cache: object, b: int, heads: int, d_head: int) -> None:
    """``cache`` is one layer's (keys, values): two tensors (b, heads, positions, d_head) of one shape."""
    ok = isinstance(cache, (tuple, list)) and len(cache) == 2 and all(isinstance(c, torch.Tensor)
                                                                      for c in cache)
    if ok:
        k, v = cast(tuple[torch.Tensor, torch.Tensor], cache)
        ok = k.ndim == 4 and k.shape == v.shape and k.shape[0] == b and k.shape[1] == heads \
            and k.shape[3] == d_head
    if not ok:
        expect(ok, "cache", f"a pair (keys, values) of tensors of shape ({b}, {heads}, positions, {d_head}) "
               "from an earlier call", cache)


def _expect_model(model: object) -> GPT:
    expect(isinstance(model, GPT), "model", "a GPT (course_lib.gpt.GPT)", model)
    assert isinstance(model, GPT)
    return model


def _expect_size(cfg: GPTConfig) -> None:
    d, size = cfg.d_model, (cfg.vocab_size * 2 + cfg.context) * cfg.d_model
    size += cfg.n_layers * (4 * d * d + 2 * cfg.mlp_ratio * d * d)
    if size > MAX_PARAMETERS:
        raise CourseInputError(f"cfg: expected a model of at most {MAX_PARAMETERS:,} parameters, got "
                               f"about {size:,} (vocab_size, context, d_model or n_layers too large).")


def _expect_attention_input(x: object, cache: object, d_model: int, kv_heads: int, d_head: int) -> None:
    """``x`` is (batch, time, d_model) floats; ``cache`` None or that batch's keys and values."""
    _expect_width(x, d_model)
    assert isinstance(x, torch.Tensor)
    if cache is not None:
        _expect_layer_cache(cache, x.shape[0], kv_heads, d_head)


def _expect_gpt_input(cfg: GPTConfig, ids: object, cache: object, start: object) -> None:
    """Token ids (batch, time) in range; a cache of every layer that ends just before ``start``."""
    expect(isinstance(ids, torch.Tensor) and ids.ndim == 2 and not ids.is_floating_point(),
           "ids", "an integer tensor of shape (batch, time)", ids)
    _expect_ids(ids, "ids", cfg.vocab_size, ndim=2)
    assert isinstance(ids, torch.Tensor)
    expect_int(start, "start", low=0)
    assert isinstance(start, int)
    if cache is not None:
        ok = isinstance(cache, list) and len(cache) == cfg.n_layers and all(
            isinstance(kv, tuple) and len(kv) == 2 and isinstance(kv[0], torch.Tensor) and kv[0].ndim == 4
            for kv in cache)
        if not ok:
            expect(ok, "cache", f"the list of {cfg.n_layers} (keys, values) pairs an earlier call "
                   "returned", cache)
        cached = cast(KVCache, cache)[0][0].shape[2]
        if start != cached:  # the new tokens' positions must follow the cached ones
            raise CourseInputError(f"start: expected {cached}, the number of positions the cache holds, "
                                   f"got {start!r}.")
    if start + ids.shape[1] > cfg.context:
        raise CourseInputError(f"ids: positions up to {start + ids.shape[1]} exceed the model's context "
                               f"of {cfg.context} tokens.")


def batches(data: torch.Tensor, batch_size: int, context: int, generator: torch.Generator
            ) -> tuple[torch.Tensor, torch.Tensor]:
    """Random windows of ``context`` tokens and, as targets, the same windows shifted by one."""
    _positive_int(batch_size, "batch_size")
    _positive_int(context, "context")
    expect(isinstance(data, torch.Tensor) and data.ndim == 1 and len(data) > context + 1, "data",
           f"a 1-d tensor of more than {context + 1} token ids", data)
    expect_tensor(data, "data", dtype="int", what="a 1-d tensor of token ids")
    expect(isinstance(generator, torch.Generator), "generator", "a torch.Generator", generator)
    starts = torch.randint(0, len(data) - context - 1, (batch_size,), generator=generator)
    x = torch.stack([data[s:s + context] for s in starts.tolist()])
    y = torch.stack([data[s + 1:s + context + 1] for s in starts.tolist()])
    return x, y


@torch.no_grad()
def mean_loss(model: GPT, data: torch.Tensor, context: int, max_windows: int = 64) -> float:
    """The mean next-token loss over consecutive windows of ``data`` (no randomness)."""
    _expect_model(model)
    expect_tensor(data, "data", ndim=1, dtype="int", what="a 1-d tensor of token ids")
    _positive_int(context, "context", model.cfg.context)
    _positive_int(max_windows, "max_windows")
    n = min(max_windows, (len(data) - 1) // context)
    expect(n > 0, "data", f"more than {context + 1} tokens", data)
    device = device_of(model)
    x = data[: n * context].view(n, context).to(device)
    y = data[1: n * context + 1].view(n, context).to(device)
    was_training = model.training
    model.eval()
    try:
        return float(model.loss(x, y))
    finally:
        model.train(was_training)


def unigram_loss(train: torch.Tensor, held_out: torch.Tensor, vocab_size: int) -> float:
    """The loss of a model that ignores context: each token's frequency in ``train`` (add-one)."""
    _positive_int(vocab_size, "vocab_size")
    _expect_ids(train, "train", vocab_size, ndim=1)
    _expect_ids(held_out, "held_out", vocab_size, ndim=1)
    expect(held_out.numel() > 0, "held_out", "at least one token id", held_out)
    train, held_out = train.cpu(), held_out.cpu()  # counted in float64 on the CPU (MPS has no float64)
    counts = torch.bincount(train, minlength=vocab_size).double() + 1
    logp = (counts / counts.sum()).log()
    return float(-logp[held_out].mean())


@torch.no_grad()
def generate(model: GPT, prompt: Sequence[int], steps: int, *, temperature: float = 1.0,
             top_k: int | None = None, greedy: bool = False, use_cache: bool = True,
             generator: torch.Generator | None = None) -> list[int]:
    """``prompt`` followed by ``steps`` sampled tokens.

    ``greedy`` takes the most likely token; otherwise the logits are divided by
    ``temperature``, cut to the ``top_k`` best if given, and sampled with ``generator``. With
    ``use_cache`` only the newest token goes through the network at each step.
    """
    _expect_model(model)
    _positive_int(steps, "steps")
    if isinstance(prompt, torch.Tensor):
        prompt = _expect_ids(prompt, "prompt", model.cfg.vocab_size, ndim=1).tolist()
    expect(isinstance(prompt, (list, tuple, range)) and all(
        is_int(i) and 0 <= i < model.cfg.vocab_size for i in prompt), "prompt",
        f"token ids from 0 to {model.cfg.vocab_size - 1} (a list of ints)", prompt)
    expect(len(prompt) > 0, "prompt", "at least one token id", prompt)
    expect_number(temperature, "temperature", low=0, low_open=True)
    expect(top_k is None or (is_int(top_k) and top_k > 0), "top_k", "None or an int of at least 1", top_k)
    expect_bool(greedy, "greedy")
    expect_bool(use_cache, "use_cache")
    expect(generator is None or isinstance(generator, torch.Generator), "generator",
           "None or a torch.Generator", generator)
    if len(prompt) + steps > model.cfg.context:
        raise CourseInputError(f"steps: the prompt ({len(prompt)}) and {steps} new tokens exceed the "
                               f"model's context of {model.cfg.context} tokens.")
    was_training = model.training
    model.eval()
    try:
        return _generate(model, list(prompt), steps, temperature, top_k, greedy, use_cache, generator)
    finally:
        model.train(was_training)


def _generate(model: GPT, ids: list[int], steps: int, temperature: float, top_k: int | None, greedy: bool,
              use_cache: bool, generator: torch.Generator | None) -> list[int]:
    cache: KVCache | None = None
    device = device_of(model)
    for _ in range(steps):
        if use_cache:
            new = torch.tensor([ids if cache is None else ids[-1:]], device=device)
            logits, cache = model(new, cache, start=0 if cache is None else len(ids) - 1)
        else:
            logits, _ = model(torch.tensor([ids], device=device))
        last = logits[0, -1].cpu().double()  # sampled on the CPU: float64 (MPS has none), a CPU generator
        if greedy:
            ids.append(int(last.argmax()))
            continue
        probs = _sampling_probs(last, temperature, top_k)
        ids.append(int(torch.multinomial(probs, 1, generator=generator)))
    return ids


def sampling_probs(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None) -> torch.Tensor:
    """The probabilities to sample the next token from: ``logits / temperature``, only the
    ``top_k`` largest kept (ties with the k-th kept too), softmax over the last axis."""
    expect_tensor(logits, "logits", dtype="float", what="a float tensor of logits (..., vocab)")
    expect(logits.ndim >= 1 and logits.shape[-1] > 0, "logits", "a tensor of shape (..., vocab)", logits)
    expect(not (torch.isnan(logits).any() or torch.isposinf(logits).any()
                or torch.isneginf(logits).all(-1).any()), "logits",
           "no NaN or +inf, and a finite logit in every row (-inf masks a token)", logits)
    expect_number(temperature, "temperature", low=0, low_open=True)
    expect(top_k is None or (is_int(top_k) and top_k > 0), "top_k", "None or an int of at least 1", top_k)
    return _sampling_probs(logits, temperature, top_k)


def _sampling_probs(logits: torch.Tensor, temperature: float, top_k: int | None) -> torch.Tensor:
    # the largest logit becomes 0 and the rest <= 0: a tiny temperature gives -inf, never nan
    scaled = (logits - logits.amax(-1, keepdim=True)) / temperature
    if top_k is not None:
        kth = torch.topk(scaled, min(top_k, scaled.shape[-1]), dim=-1).values[..., -1:]
        scaled = scaled.masked_fill(scaled < kth, -math.inf)
    return torch.softmax(scaled, dim=-1)


def cache_bytes(cache: KVCache) -> int:
    """The bytes held by a KV cache that :class:`GPT` returned (every layer's keys and values)."""
    ok = isinstance(cache, list) and all(isinstance(kv, tuple) and len(kv) == 2 and all(
        isinstance(z, torch.Tensor) for z in kv) for kv in cache)
    expect(ok, "cache", "the list of (keys, values) pairs a GPT returned", cache)
    return sum(z.numel() * z.element_size() for kv in cache for z in kv)


CHECKPOINT = "gpt/char_gpt.pt"  # made by scripts/train_gpt.py


def load_pretrained(device: torch.device | str | None = None) -> tuple[GPT, CharTokenizer, dict[str, object]]:
    """The long-trained character GPT of data/gpt/ (SHA-256 checked, read with weights_only=True),
    its tokenizer, and how it was made (steps, seconds, loss curve, machine)."""
    from course_lib.data import data_path  # checks the file against data/MANIFEST.sha256

    expect(device is None or isinstance(device, (str, torch.device)), "device",
           "None, a str or a torch.device", device)
    checkpoint = torch.load(data_path(CHECKPOINT), map_location="cpu", weights_only=True)
    model = GPT(GPTConfig(**checkpoint["config"]))
    model.load_state_dict(checkpoint["state_dict"])
    chars = CharTokenizer(checkpoint["chars"])
    info = {k: v for k, v in checkpoint.items() if k not in ("state_dict", "chars")}
    return model.to(device if device is not None else "cpu").eval(), chars, info


def count_parameters(model: nn.Module) -> int:
    """The number of trainable numbers in ``model``."""
    expect(isinstance(model, nn.Module), "model", "a torch.nn.Module", model)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def forward_flops(cfg: GPTConfig, tokens: int) -> float:
    """Multiply-add FLOPs (2 per multiply-add) of the matrix products in one forward pass over
    ``tokens`` positions of one sequence: the linear layers, attention's two products, the head."""
    _expect_cfg(cfg)
    _positive_int(tokens, "tokens", cfg.context)
    d, t, kv_width = cfg.d_model, tokens, cfg.kv_heads * (cfg.d_model // cfg.n_heads)
    per_layer = (2 * t * d * (d + 2 * kv_width)  # queries; keys and values (narrower with GQA)
                 + 2 * t * t * d * 2  # scores q·k and the weighted sum of values (full t x t)
                 + 2 * t * d * d  # the output projection
                 + 2 * t * d * cfg.mlp_ratio * d * 2)  # the MLP's two layers
    return float(cfg.n_layers * per_layer + 2 * t * d * cfg.vocab_size)
