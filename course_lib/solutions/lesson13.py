"""Reference solutions for lesson 13 (language models)."""

import torch


def causal_mask(t):
    return torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)  # True where j > i


def kv_cache_bytes(layers, width, tokens, bytes_per_number=2):
    return 2 * layers * width * tokens * bytes_per_number  # a key and a value per layer and token
