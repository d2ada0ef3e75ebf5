"""Checks for lesson 06 (data loaders)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import torch

from course_lib.exercises.core import Exercise, register, require
from course_lib.solutions import lesson06 as solutions


def _sleeper(seconds: float, cold: float = 0.0) -> Callable[[Any], Any]:
    """A pipeline stage that takes ``seconds`` per item (``cold`` on its first call), by sleeping,
    so the check's verdict does not depend on how busy the machine is."""
    calls = [0]

    def stage(item: Any) -> Any:
        time.sleep(cold if calls[0] == 0 and cold else seconds)
        calls[0] += 1
        return item

    return stage


def _slowest_by(one_call: bool = False, mean: bool = False) -> Callable[..., str]:
    """A learner's answer that times one call per stage, or takes the mean without warm-up."""

    def answer(stages: dict[str, Callable[[Any], Any]], items: list[Any], warmup: int = 1) -> str:
        cost = {}
        for name, stage in stages.items():
            times = []
            for item in items[:1] if one_call else items:
                start = time.perf_counter()
                stage(item)
                times.append(time.perf_counter() - start)
            cost[name] = sum(times) / len(times) if mean or one_call else sorted(times)[len(times) // 2]
        return max(cost, key=cost.get)

    return answer


def _check_slowest(fn: Callable[..., Any]) -> str:
    cases = (
        ({"read": (0.001, 0.09), "decode": (0.004, 0.0), "augment": (0.012, 0.0)}, "augment"),
        ({"read": (0.001, 0.09), "decode": (0.012, 0.0), "augment": (0.003, 0.0)}, "decode"),
    )
    for costs, expected in cases:
        stages = {name: _sleeper(s, cold) for name, (s, cold) in costs.items()}
        what = ("slowest_stage(stages, items=range(6)) with stages costing "
                + ", ".join(f"{n} {s * 1e3:.0f} ms" for n, (s, _) in costs.items())
                + " per item (read: 90 ms on its first call)")
        got = fn(stages, list(range(6)), warmup=1)
        require(isinstance(got, str) and got in costs, what, f"one of {sorted(costs)}", repr(got),
                "return the stage's name, a key of the `stages` dict.")
        require(got != "read", what, repr(expected), repr(got),
                "read is slow only on its first call (a one-off cost, like opening a file or a "
                "cold cache). Warm up each stage, and compare medians over the items, not one "
                "call or the mean.")
        require(got == expected, what, repr(expected), repr(got),
                "time every stage on every item and compare the medians per item.")
    return ("slowest_stage warms up, times every stage on every item and compares medians, so a "
            "one-off first call does not fool it.")


def _check_batches(fn: Callable[[int, int, bool], int]) -> str:
    cases = [(192, 20, False, 10), (192, 20, True, 9), (192, 16, False, 12), (192, 16, True, 12),
             (5, 8, False, 1), (5, 8, True, 0), (1, 1, True, 1)]
    for n, bs, drop, expected in cases:
        got = fn(n, bs, drop)
        what = f"batches_per_epoch({n}, {bs}, drop_last={drop})"
        hint = ("with drop_last=False the last, smaller batch still counts: round up."
                if not drop else "drop_last=True throws away the incomplete last batch: round down.")
        require(isinstance(got, int) and not isinstance(got, bool), what, "an int", repr(got),
                "return a whole number of batches, e.g. with // or math.ceil.")
        require(got == expected, what, expected, got, hint)
    return "batches_per_epoch agrees with len(DataLoader(...)) on every case, drop_last or not."


def _check_pad(fn: Callable[..., tuple[torch.Tensor, torch.Tensor]]) -> str:
    a = torch.arange(3 * 40 * 50, dtype=torch.float32).reshape(3, 40, 50) + 1
    b = torch.ones(3, 70, 20)
    out = fn([(a, 2), (b, 5)], multiple=32)
    require(isinstance(out, tuple) and len(out) == 2, "the return value", "a pair (images, labels)",
            type(out).__name__, "return images, labels")
    images, labels = out
    require(isinstance(images, torch.Tensor) and images.ndim == 4, "images",
            "a 4-d tensor (N, C, H, W)", getattr(images, "shape", type(images).__name__))
    require(tuple(images.shape) == (2, 3, 96, 64), "images.shape", (2, 3, 96, 64),
            tuple(images.shape), "the largest height is 70 and width 50; round each UP to a "
            "multiple of 32 (96 and 64), not just to the largest size.")
    require(torch.equal(images[0, :, :40, :50], a), "images[0] top-left 40x50", "the first image",
            "something else", "copy each image into the top-left corner; pad after it.")
    require(torch.equal(images[1, :, :70, :20], b), "images[1] top-left 70x20", "the second image",
            "something else", "copy each image into the top-left corner; pad after it.")
    pad = images.sum() - a.sum() - b.sum()
    require(float(pad) == 0.0, "the padding", "all zeros", f"values summing to {float(pad):g}",
            "start from torch.zeros, not torch.empty or ones.")
    require(isinstance(labels, torch.Tensor) and labels.tolist() == [2, 5], "labels",
            "tensor([2, 5])", labels, "collect the labels in order with torch.tensor.")
    small = fn([(torch.ones(1, 32, 32), 0)], multiple=32)[0]
    require(tuple(small.shape) == (1, 1, 32, 32), "a 32x32 image with multiple=32",
            (1, 1, 32, 32), tuple(small.shape), "a size that is already a multiple stays as it is.")
    return "pad_collate_multiple pads to (96, 64) with zeros after each image and keeps the labels."


def _check_worker_items(fn: Callable[[int, int, int], list[int]]) -> str:
    for n, workers in ((10, 2), (11, 3), (2, 4), (192, 2)):
        parts = [list(fn(n, w, workers)) for w in range(workers)]
        flat = sorted(i for p in parts for i in p)
        what = f"the items of {workers} workers together, for {n} items"
        require(len(flat) == len(set(flat)), what, "no item twice",
                f"{len(flat) - len(set(flat))} duplicates",
                "each worker must take a different share; returning every item makes each "
                "epoch yield every item once per worker.")
        require(flat == list(range(n)), what, f"every index 0..{n - 1} exactly once",
                f"{len(flat)} indices", "don't lose the remainder when n is not a multiple of "
                "the number of workers: a stride of num_workers starting at worker_id works.")
        sizes = [len(p) for p in parts]
        require(max(sizes) - min(sizes) <= 1, f"the share sizes for {n} items, {workers} workers",
                "shares that differ by at most one", sizes,
                "give the workers equal shares, e.g. every num_workers-th item.")
    return "the workers' shares cover every item exactly once and are balanced."


register(Exercise(
    id="06.batches_per_epoch",
    title="How many batches does an epoch have?",
    checker=_check_batches,
    solution=solutions.batches_per_epoch,
    wrong=(
        lambda: (lambda n, bs, drop: math.ceil(n / bs)),
        lambda: (lambda n, bs, drop: n // bs),
        lambda: (lambda n, bs, drop: n // bs if drop else n // bs + 1),
    ),
))

register(Exercise(
    id="06.pad_collate_multiple",
    title="A collate function that pads to a multiple of 32",
    checker=_check_pad,
    solution=solutions.pad_collate_multiple,
    wrong=(
        lambda: _pad_to_largest,
        lambda: _pad_before,
    ),
))

register(Exercise(
    id="06.worker_items",
    title="Split a stream between DataLoader workers",
    checker=_check_worker_items,
    solution=solutions.worker_items,
    wrong=(
        lambda: (lambda n, worker_id, num_workers: list(range(n))),
        lambda: (lambda n, worker_id, num_workers: list(
            range(worker_id * (n // num_workers), (worker_id + 1) * (n // num_workers)))),
    ),
))


def _pad_to_largest(batch: list[tuple[torch.Tensor, int]], multiple: int = 32
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """A known-wrong answer: pads to the largest size without rounding up."""
    return solutions.pad_collate_multiple(batch, multiple=1)


def _pad_before(batch: list[tuple[torch.Tensor, int]], multiple: int = 32
                ) -> tuple[torch.Tensor, torch.Tensor]:
    """A known-wrong answer: puts the padding before the image (bottom-right aligned)."""
    images, labels = solutions.pad_collate_multiple(batch, multiple)
    out = torch.zeros_like(images)
    for i, (x, _) in enumerate(batch):
        out[i, :, out.shape[2] - x.shape[1]:, out.shape[3] - x.shape[2]:] = x
    return out, labels

register(Exercise(
    id="06.slowest_stage",
    title="Find the stage that starves the model",
    checker=_check_slowest,
    solution=solutions.slowest_stage,
    wrong=(
        lambda: _slowest_by(one_call=True),
        lambda: _slowest_by(mean=True),
        lambda: (lambda stages, items, warmup=1: "augment"),
    ),
))
