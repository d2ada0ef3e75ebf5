"""Reference solutions for lesson 06 (data loaders)."""

from __future__ import annotations

import torch


def batches_per_epoch(n_items: int, batch_size: int, drop_last: bool) -> int:
    if drop_last:
        return n_items // batch_size
    return (n_items + batch_size - 1) // batch_size  # rounded up: the last batch may be smaller


def pad_collate_multiple(batch: list[tuple[torch.Tensor, int]], multiple: int = 32
                         ) -> tuple[torch.Tensor, torch.Tensor]:
    h = max(x.shape[1] for x, _ in batch)
    w = max(x.shape[2] for x, _ in batch)
    h = (h + multiple - 1) // multiple * multiple  # rounded up to a multiple
    w = (w + multiple - 1) // multiple * multiple
    images = torch.zeros(len(batch), batch[0][0].shape[0], h, w, dtype=batch[0][0].dtype)
    for i, (x, _) in enumerate(batch):
        images[i, :, :x.shape[1], :x.shape[2]] = x
    labels = torch.tensor([y for _, y in batch])
    return images, labels


def worker_items(n_items: int, worker_id: int, num_workers: int) -> list[int]:
    return list(range(worker_id, n_items, num_workers))


def slowest_stage(stages, items, warmup=1):
    import statistics
    import time

    medians = {}
    for name, stage in stages.items():
        for item in items[:warmup]:  # untimed: the first call may pay a one-off cost
            stage(item)
        times = []
        for item in items:
            start = time.perf_counter()
            stage(item)
            times.append(time.perf_counter() - start)
        medians[name] = statistics.median(times)
    return max(medians, key=medians.get)
