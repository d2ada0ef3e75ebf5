"""Reference solutions for lesson 11 (distributed training)."""

import numpy as np


def my_shard(n: int, rank: int, world_size: int) -> list[int]:
    return list(range(rank, n, world_size))


def combine_gradients(grads: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    weights = np.asarray(sizes, dtype=float) / sum(sizes)
    return sum(w * g for w, g in zip(weights, grads, strict=True))
