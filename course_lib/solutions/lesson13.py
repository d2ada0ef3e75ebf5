"""Reference solutions for lesson 13 (language models)."""

import math

import torch


def kv_cache_bytes(layers, width, tokens, bytes_per_number=2):
    return 2 * layers * width * tokens * bytes_per_number  # a key and a value per layer and token


def multi_head_attention(x, qkv, proj, n_heads):
    b, t, d = x.shape
    d_head = d // n_heads
    q, k, v = qkv(x).split(d, dim=-1)  # each (b, t, d)
    q, k, v = (z.view(b, t, n_heads, d_head).transpose(1, 2) for z in (q, k, v))  # (b, heads, t, d_head)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_head)  # (b, heads, t, t)
    future = torch.triu(torch.ones(t, t, dtype=torch.bool, device=x.device), diagonal=1)
    weights = torch.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
    y = (weights @ v).transpose(1, 2).reshape(b, t, d)  # the heads side by side again
    return proj(y)


def sampling_probs(logits, temperature=1.0, top_k=None):
    scaled = logits / temperature
    if top_k is not None:
        kth = torch.topk(scaled, top_k, dim=-1).values[..., -1:]  # the k-th largest of each row
        scaled = scaled.masked_fill(scaled < kth, float("-inf"))
    return torch.softmax(scaled, dim=-1)


def kv_cache_update(cache, k_new, v_new):
    if cache is None:  # the first token: the cache starts with its key and value
        return k_new, v_new
    k, v = cache
    return torch.cat([k, k_new], dim=2), torch.cat([v, v_new], dim=2)  # along time: (b, heads, time, d)
