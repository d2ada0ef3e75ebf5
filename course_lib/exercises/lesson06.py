"""Checks for lesson 06 (data loaders)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from course_lib.errors import is_int
from course_lib.exercises.core import Exercise, Wrong, register, require
from course_lib.solutions import lesson06 as solutions


# -- 06.batches_per_epoch ------------------------------------------------------------------
def _loader_len(n: int, batch_size: int, drop_last: bool) -> int:
    """What the real DataLoader says: len(DataLoader(...)) over n items."""
    return len(DataLoader(TensorDataset(torch.arange(n)), batch_size=batch_size, drop_last=drop_last))


def _batch_cases() -> list[tuple[int, int, bool]]:
    fixed = [(192, 20, False), (192, 20, True), (192, 16, False), (192, 16, True),
             (5, 8, False), (5, 8, True), (1, 1, True), (64, 64, False), (0, 4, False)]
    rng = np.random.default_rng(6)
    drawn: list[tuple[int, int, bool]] = []
    for _ in range(12):
        bs = int(rng.integers(2, 40))
        # every other case a multiple of the batch size, so both sides of "divides evenly" are tried
        n = bs * int(rng.integers(1, 30)) + (0 if len(drawn) % 2 else int(rng.integers(1, bs)))
        drawn.append((n, bs, bool(rng.integers(0, 2))))
    return fixed + drawn


def _diagnose_batches(fn: Callable[[int, int, bool], int]) -> str | None:
    """The hint for a known mistake, found by asking ``fn`` a few more questions; None if none fits."""
    probes = ((100, 30), (192, 20), (64, 16), (7, 2))  # remainders below, above and at half; none
    keep = [fn(n, bs, False) for n, bs in probes]
    drop = [fn(n, bs, True) for n, bs in probes]
    up = [-(-n // bs) for n, bs in probes]
    down = [n // bs for n, bs in probes]
    if keep == drop == up:
        return ("your count does not change with drop_last: it always rounds up, but drop_last=True "
                "throws away the incomplete last batch.")
    if keep == drop == down:
        return ("your count does not change with drop_last: it always rounds down, but with "
                "drop_last=False the last, smaller batch still counts.")
    if keep == drop == [round(n / bs) for n, bs in probes]:
        return ("round() goes to the nearest whole number; a partial batch is either kept whole "
                "(round up, drop_last=False) or dropped (round down, drop_last=True).")
    if keep == down and drop == up:
        return ("you swapped the two cases: drop_last=True drops the incomplete last batch (round "
                "down), drop_last=False keeps it (round up).")
    if keep == [n // bs + 1 for n, bs in probes]:
        return ("n_items // batch_size + 1 counts one batch too many when batch_size divides n_items "
                "exactly, as 16 divides 64: there is no smaller last batch then. math.ceil(n_items / "
                "batch_size) is right in both cases.")
    return None


def _check_batches(fn: Callable[[int, int, bool], int]) -> str:
    cases = _batch_cases()
    for n, bs, drop in cases:
        got = fn(n, bs, drop)
        expected = _loader_len(n, bs, drop)
        what = f"batches_per_epoch({n}, {bs}, drop_last={drop})"
        require(is_int(got), what, "an int", repr(got),
                "return a whole number of batches, e.g. with // or math.ceil (np.ceil and / give "
                "floats).")
        if got == expected:
            continue
        if n % bs == 0:
            generic = (f"{bs} divides {n} exactly: {n // bs} full batches, no smaller last one to keep "
                       "or drop.")
        elif drop:
            generic = "drop_last=True throws away the incomplete last batch: round down."
        else:
            generic = "with drop_last=False a last, smaller batch still counts: round up."
        hint = _diagnose_batches(fn) or generic
        require(False, what, expected, got, hint)
    return (f"batches_per_epoch agrees with len(DataLoader(...)) on {len(cases)} cases, drop_last "
            "True and False, with batch sizes that divide the data set evenly and ones that don't.")


def _always_ceil(n_items: int, batch_size: int, drop_last: bool) -> int:
    return math.ceil(n_items / batch_size)


def _always_floor(n_items: int, batch_size: int, drop_last: bool) -> int:
    return n_items // batch_size


def _plus_one(n_items: int, batch_size: int, drop_last: bool) -> int:
    return n_items // batch_size if drop_last else n_items // batch_size + 1


def _swapped(n_items: int, batch_size: int, drop_last: bool) -> int:
    return math.ceil(n_items / batch_size) if drop_last else n_items // batch_size


def _rounded(n_items: int, batch_size: int, drop_last: bool) -> int:
    return round(n_items / batch_size)


register(Exercise(
    id="06.batches_per_epoch",
    title="How many batches does an epoch have?",
    checker=_check_batches,
    solution=solutions.batches_per_epoch,
    wrong=(
        Wrong(_always_ceil, "it always rounds up"),
        Wrong(_always_floor, "it always rounds down"),
        Wrong(_plus_one, "counts one batch too many"),
        Wrong(_swapped, "you swapped the two cases"),
        Wrong(_rounded, "round() goes to the nearest"),
    ),
))


# -- 06.pad_collate_multiple ---------------------------------------------------------------
def _round_up(size: int, multiple: int) -> int:
    return -(-size // multiple) * multiple


def _pad_cases() -> list[tuple[list[tuple[torch.Tensor, int]], int | None]]:
    """(batch, multiple) pairs; multiple None means: call with the default."""
    a = torch.arange(3 * 40 * 50, dtype=torch.float32).reshape(3, 40, 50) + 1
    b = torch.ones(3, 70, 20)
    g = torch.Generator().manual_seed(6)
    rng = np.random.default_rng(6)

    def image(c: int, h: int, w: int, dtype: torch.dtype) -> torch.Tensor:
        if dtype == torch.uint8:
            return torch.randint(1, 256, (c, h, w), generator=g, dtype=torch.uint8)
        return (torch.rand(c, h, w, generator=g) + 0.5).to(dtype)  # > 0, so padding shows

    def labels(k: int) -> list[int]:
        return [int(v) for v in rng.integers(0, 10, k)]

    cases: list[tuple[list[tuple[torch.Tensor, int]], int | None]] = [([(a, 2), (b, 5)], 32)]
    # multiple=8, one channel, uint8: the widest image is exactly 24 = 3 x 8 wide, the tallest 17
    y = labels(3)
    cases.append(([(image(1, 17, 11, torch.uint8), y[0]), (image(1, 9, 24, torch.uint8), y[1]),
                   (image(1, 16, 24, torch.uint8), y[2])], 8))
    # the default multiple, two channels, float64, five images of random sizes
    y = labels(5)
    cases.append(([(image(2, int(rng.integers(20, 90)), int(rng.integers(20, 90)), torch.float64),
                    y[i]) for i in range(5)], None))
    # a multiple that is not a power of two
    y = labels(4)
    cases.append(([(image(3, int(rng.integers(5, 40)), int(rng.integers(5, 40)), torch.float32),
                    y[i]) for i in range(4)], 7))
    # one image whose sizes already are multiples: nothing to add
    cases.append(([(torch.ones(1, 32, 64), 0)], 32))
    return cases


def _check_pad(fn: Callable[..., tuple[torch.Tensor, torch.Tensor]]) -> str:
    for batch, multiple in _pad_cases():
        m = 32 if multiple is None else multiple
        n, c = len(batch), batch[0][0].shape[0]
        sizes = [tuple(x.shape[1:]) for x, _ in batch]
        call = f"pad_collate_multiple(<{n} images of {c} channel(s), dtype {batch[0][0].dtype}, " \
               f"(H, W) {sizes}>" + (")" if multiple is None else f", multiple={multiple})")
        out = fn(batch) if multiple is None else fn(batch, multiple=multiple)
        require(isinstance(out, tuple) and len(out) == 2, f"the return value of {call}",
                "a pair (images, labels)", type(out).__name__, "return images, labels")
        images, labels = out
        require(isinstance(images, torch.Tensor) and images.ndim == 4, f"images from {call}",
                "a 4-d tensor (N, C, H, W)", getattr(images, "shape", type(images).__name__),
                "stack the padded images into one tensor (N, C, H, W).")
        big_h, big_w = max(h for h, _ in sizes), max(w for _, w in sizes)
        h, w = _round_up(big_h, m), _round_up(big_w, m)
        got = tuple(images.shape)
        require(got[:2] == (n, c), f"images.shape[:2] from {call}", (n, c), got[:2],
                f"one image per pair, with the images' own number of channels ({c} here): take it "
                "from the images (x.shape[0]), don't assume 3." if got[0] == n else
                "one row of images per (image, label) pair in the batch.")
        if got[2:] != (h, w):
            if got[2:] == (big_h, big_w):
                hint = (f"the largest height is {big_h} and width {big_w}; round each UP to a "
                        f"multiple of {m}, not just to the largest size.")
            elif m != 32 and got[2:] == (_round_up(big_h, 32), _round_up(big_w, 32)):
                hint = (f"you rounded to a multiple of 32 whatever `multiple` is; here multiple={m}: "
                        "use the argument.")
            elif got[2:] == ((big_h // m + 1) * m, (big_w // m + 1) * m):
                hint = (f"a size that is already a multiple of {m} stays as it is: (size // m + 1) * m "
                        "adds a whole multiple too many; math.ceil(size / m) * m does not.")
            elif m & (m - 1) and got[2:] == ((big_h + m - 1) & ~(m - 1), (big_w + m - 1) & ~(m - 1)):
                hint = (f"the bit trick (size + m - 1) & ~(m - 1) works only when m is a power of two, "
                        f"and {m} is not: use math.ceil(size / m) * m.")
            else:
                hint = (f"the largest height is {big_h} and width {big_w}; rounded up to multiples "
                        f"of {m} they are {h} and {w}" + (" (called without `multiple`, so with the "
                        "default, 32)." if multiple is None else "."))
            require(False, f"images.shape from {call}", (n, c, h, w), got, hint)
        require(images.dtype == batch[0][0].dtype, f"images.dtype from {call}", batch[0][0].dtype,
                images.dtype, "keep the images' dtype: torch.zeros(..., dtype=x.dtype); by default "
                "torch.zeros makes float32.")
        for i, (x, _) in enumerate(batch):
            xh, xw = x.shape[1:]
            require(torch.equal(images[i, :, :xh, :xw], x), f"images[{i}][:, :{xh}, :{xw}] from {call}",
                    f"image {i}", "something else",
                    "copy each image into the top-left corner; pad after it (bottom and right).")
            padding = images[i].clone()
            padding[:, :xh, :xw] = 0
            require(not padding.any(), f"the padding of image {i} from {call}", "all zeros",
                    f"{int((padding != 0).sum())} non-zero values",
                    "start from torch.zeros, not torch.empty or torch.ones.")
        want = [y for _, y in batch]
        require(isinstance(labels, torch.Tensor) and labels.tolist() == want, f"labels from {call}",
                f"tensor({want})", labels, "collect the labels in order with torch.tensor.")
    return ("pad_collate_multiple pads to the right multiples (32 by default, also 8, 7 and a size "
            "already a multiple), keeps channels and dtype, puts the zeros after each image and keeps "
            "the labels.")


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


def _pad_always_32(batch: list[tuple[torch.Tensor, int]], multiple: int = 32
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """A known-wrong answer: ignores `multiple`."""
    return solutions.pad_collate_multiple(batch, 32)


def _pad_one_too_many(batch: list[tuple[torch.Tensor, int]], multiple: int = 32
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """A known-wrong answer: (size // m + 1) * m, a multiple too many when the size is one already."""
    h = (max(x.shape[1] for x, _ in batch) // multiple + 1) * multiple
    w = (max(x.shape[2] for x, _ in batch) // multiple + 1) * multiple
    images = torch.zeros(len(batch), batch[0][0].shape[0], h, w, dtype=batch[0][0].dtype)
    for i, (x, _) in enumerate(batch):
        images[i, :, :x.shape[1], :x.shape[2]] = x
    return images, torch.tensor([y for _, y in batch])


def _pad_bit_trick(batch: list[tuple[torch.Tensor, int]], multiple: int = 32
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """A known-wrong answer: rounds up with a bit mask, right for powers of two only."""
    h = (max(x.shape[1] for x, _ in batch) + multiple - 1) & ~(multiple - 1)
    w = (max(x.shape[2] for x, _ in batch) + multiple - 1) & ~(multiple - 1)
    images = torch.zeros(len(batch), batch[0][0].shape[0], h, w, dtype=batch[0][0].dtype)
    for i, (x, _) in enumerate(batch):
        images[i, :, :x.shape[1], :x.shape[2]] = x
    return images, torch.tensor([y for _, y in batch])


def _pad_three_channels_float(batch: list[tuple[torch.Tensor, int]], multiple: int = 32
                              ) -> tuple[torch.Tensor, torch.Tensor]:
    """A known-wrong answer: torch.zeros(N, 3, H, W), whatever the images' channels and dtype."""
    h = math.ceil(max(x.shape[1] for x, _ in batch) / multiple) * multiple
    w = math.ceil(max(x.shape[2] for x, _ in batch) / multiple) * multiple
    images = torch.zeros(len(batch), 3, h, w)
    for i, (x, _) in enumerate(batch):
        images[i, :, :x.shape[1], :x.shape[2]] = x
    return images, torch.tensor([y for _, y in batch])


def _pad_float(batch: list[tuple[torch.Tensor, int]], multiple: int = 32
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """A known-wrong answer: the padded images always come back as float32."""
    images, labels = solutions.pad_collate_multiple(batch, multiple)
    return images.float(), labels


def _pad_with_ones(batch: list[tuple[torch.Tensor, int]], multiple: int = 32
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """A known-wrong answer: pads with ones."""
    images, labels = solutions.pad_collate_multiple(batch, multiple)
    for i, (x, _) in enumerate(batch):
        images[i, :, x.shape[1]:, :] = 1
        images[i, :, :, x.shape[2]:] = 1
    return images, labels


register(Exercise(
    id="06.pad_collate_multiple",
    title="A collate function that pads to a multiple of 32",
    checker=_check_pad,
    solution=solutions.pad_collate_multiple,
    wrong=(
        Wrong(_pad_to_largest, "not just to the largest size"),
        Wrong(_pad_before, "copy each image into the top-left corner"),
        Wrong(_pad_always_32, "whatever `multiple` is"),
        Wrong(_pad_one_too_many, "adds a whole multiple too many"),
        Wrong(_pad_bit_trick, "works only when m is a power of two"),
        Wrong(_pad_three_channels_float, "don't assume 3"),
        Wrong(_pad_float, "keep the images' dtype"),
        Wrong(_pad_with_ones, "start from torch.zeros"),
    ),
))


# -- 06.worker_items -----------------------------------------------------------------------
def _worker_cases() -> list[tuple[int, int]]:
    rng = np.random.default_rng(6)
    fixed = [(10, 2), (11, 3), (2, 4), (192, 2), (7, 1), (0, 3), (12, 4), (10, 4)]
    drawn = [(int(rng.integers(0, 60)), int(rng.integers(2, 9))) for _ in range(10)]
    return fixed + drawn


def _as_indices(share: Any) -> list[int] | None:
    """``share`` as a list of Python ints, or None if it is not a sequence of whole numbers."""
    if not isinstance(share, list | tuple | range | np.ndarray | torch.Tensor):
        return None
    values = share.tolist() if isinstance(share, np.ndarray | torch.Tensor) else list(share)
    if not all(is_int(i) for i in values):
        return None
    return [int(i) for i in values]


def _check_worker_items(fn: Callable[[int, int, int], list[int]]) -> str:
    cases = _worker_cases()
    for n, workers in cases:
        parts = []
        for w in range(workers):
            share = fn(n, w, workers)
            indices = _as_indices(share)
            require(indices is not None, f"worker_items({n}, {w}, {workers})", "a list of ints",
                    repr(share)[:80], "return the item indices as a list of ints.")
            assert indices is not None  # require() above raised otherwise
            parts.append(indices)
        what = f"the shares of {workers} worker(s) for {n} items"
        outside = sorted({i for p in parts for i in p if not 0 <= i < n})
        require(not outside, what, f"indices from 0 to {n - 1}", f"also {outside[:5]}",
                "worker_id runs from 0 to num_workers - 1, and the items from 0 to n_items - 1.")
        stride = next((s for s in range(1, 9) if s != workers and n > 2 * max(s, workers) and
                       all(p == list(range(w, n, s)) for w, p in enumerate(parts))), None)
        require(stride is None, what, f"a stride of num_workers = {workers}", f"a stride of {stride}",
                f"the stride must be num_workers ({workers} here), not a fixed {stride}.")
        owners: dict[int, list[int]] = {}
        for w, p in enumerate(parts):
            for i in p:
                owners.setdefault(i, []).append(w)
        twice = sorted(i for i, ws in owners.items() if len(ws) > 1)
        if twice:
            every = n > 0 and all(sorted(p) == list(range(n)) for p in parts)
            require(False, what, "no item in two shares",
                    f"item {twice[0]} in the shares of workers {owners[twice[0]]}",
                    "every worker returns every item: each epoch would yield every item once per "
                    "worker. Give each worker a different share." if every else
                    "each item belongs to exactly one worker's share.")
        missing = [i for i in range(n) if i not in owners]
        if missing:
            k = n // workers
            blocks = all(p == list(range(w * k, (w + 1) * k)) for w, p in enumerate(parts))
            require(False, what, f"every index 0..{n - 1} in some share",
                    f"{len(missing)} missing, e.g. {missing[0]}",
                    f"blocks of n_items // num_workers = {k} items leave the last {n % workers} "
                    "to nobody: don't lose the remainder (a stride of num_workers starting at "
                    "worker_id has none)." if blocks else
                    "every item must be in some worker's share.")
        sizes = [len(p) for p in parts]
        if max(sizes) - min(sizes) > 1:
            if sizes[-1] == max(sizes) and len(set(sizes[:-1])) == 1:
                hint = ("the last worker takes all the leftover items, so it works longest: spread "
                        "the remainder, e.g. give each worker every num_workers-th item.")
            elif sorted(sizes, reverse=True) == sizes and sizes[0] == math.ceil(n / workers):
                hint = (f"blocks of ceil(n_items / num_workers) = {sizes[0]} items leave the last "
                        "workers short: give each worker every num_workers-th item instead.")
            else:
                hint = "give the workers equal shares, e.g. every num_workers-th item."
            require(False, f"the share sizes for {n} items, {workers} workers",
                    "shares that differ by at most one", sizes, hint)
    return (f"for {len(cases)} pairs of n_items and num_workers (more workers than items, no items, "
            "one worker, remainders or none), the shares cover every item exactly once and differ in "
            "size by at most one.")


def _every_item(n_items: int, worker_id: int, num_workers: int) -> list[int]:
    return list(range(n_items))


def _blocks_lose_remainder(n_items: int, worker_id: int, num_workers: int) -> list[int]:
    k = n_items // num_workers
    return list(range(worker_id * k, (worker_id + 1) * k))


def _last_takes_remainder(n_items: int, worker_id: int, num_workers: int) -> list[int]:
    k = n_items // num_workers
    end = n_items if worker_id == num_workers - 1 else (worker_id + 1) * k
    return list(range(worker_id * k, end))


def _ceil_blocks(n_items: int, worker_id: int, num_workers: int) -> list[int]:
    k = math.ceil(n_items / num_workers)
    return list(range(worker_id * k, min(n_items, (worker_id + 1) * k)))


def _stride_two(n_items: int, worker_id: int, num_workers: int) -> list[int]:
    return list(range(worker_id, n_items, 2))


def _one_based(n_items: int, worker_id: int, num_workers: int) -> list[int]:
    return list(range(worker_id - 1, n_items, num_workers))


register(Exercise(
    id="06.worker_items",
    title="Split a stream between DataLoader workers",
    checker=_check_worker_items,
    solution=solutions.worker_items,
    wrong=(
        Wrong(_every_item, "every worker returns every item"),
        Wrong(_blocks_lose_remainder, "don't lose the remainder"),
        Wrong(_last_takes_remainder, "the last worker takes all the leftover items"),
        Wrong(_ceil_blocks, "leave the last workers short"),
        Wrong(_stride_two, "the stride must be num_workers"),
        Wrong(_one_based, "worker_id runs from 0"),
    ),
))


# -- 06.slowest_stage ----------------------------------------------------------------------
class _Stage:
    """A pipeline stage that takes ``seconds`` per item (``cold`` on each of its first ``n_cold``
    calls), by sleeping, so the check's verdict does not depend on how busy the machine is."""

    def __init__(self, seconds: float, cold: float = 0.0, n_cold: int = 1) -> None:
        self.seconds, self.cold, self.n_cold, self.calls = seconds, cold, n_cold, 0

    def __call__(self, item: Any) -> Any:
        time.sleep(self.cold if self.cold and self.calls < self.n_cold else self.seconds)
        self.calls += 1
        return item


# (per-item seconds, cold seconds, calls that are cold) by stage, the number of items, warmup
_SLOW_CASES: tuple[tuple[dict[str, tuple[float, float, int]], int, int], ...] = (
    ({"read": (0.001, 0.09, 1), "decode": (0.004, 0.0, 0), "augment": (0.012, 0.0, 0)}, 6, 1),
    ({"load": (0.001, 0.05, 1), "resize": (0.003, 0.0, 0), "normalize": (0.009, 0.0, 0),
      "to_tensor": (0.002, 0.0, 0)}, 4, 1),
    ({"read": (0.001, 0.02, 4), "decode": (0.005, 0.0, 0)}, 5, 4),
)


def _check_slowest(fn: Callable[..., Any]) -> str:
    for costs, n_items, warmup in _SLOW_CASES:
        stages = {name: _Stage(*cost) for name, cost in costs.items()}
        expected = max(costs, key=lambda name: costs[name][0])
        fastest = min(costs, key=lambda name: costs[name][0])
        cold_name = next(name for name, cost in costs.items() if cost[1])
        cold_ms, n_cold = costs[cold_name][1] * 1e3, costs[cold_name][2]
        what = (f"slowest_stage(stages, items=list(range({n_items})), warmup={warmup}) with stages "
                f"costing " + ", ".join(f"{name} {s * 1e3:.0f} ms" for name, (s, _, _) in costs.items())
                + f" per item ({cold_name}: {cold_ms:.0f} ms on its first "
                + ("call)" if n_cold == 1 else f"{n_cold} calls)"))
        got = fn(stages, list(range(n_items)), warmup=warmup)
        require(isinstance(got, str) and got in costs, what, f"one of {sorted(costs)}", repr(got),
                "return the stage's name, a key of the `stages` dict, not its time.")
        if got == expected:
            continue
        calls = stages[cold_name].calls
        if not any(stage.calls for stage in stages.values()):
            hint = ("your function never called the stages: time every stage on every item after "
                    "its warm-up and compare the medians per item.")
        elif calls < n_items:
            hint = (f"{cold_name} ran only {calls} time(s) for {n_items} items: one call (or a few) "
                    "says nothing about the steady state; time every stage on every item.")
        elif got == cold_name and calls == n_items:
            hint = (f"you timed {cold_name}'s slow first call(s): warm up each stage on the first "
                    "`warmup` items, untimed, before timing every item (and compare medians: one slow "
                    "call pulls a mean up, not a median).")
        elif got == cold_name and calls == n_items + 1 and warmup > 1:
            hint = (f"you warmed up with one item whatever `warmup` is; here warmup={warmup}, and "
                    f"{cold_name} is slow on its first {n_cold} calls.")
        elif got == cold_name and calls < n_items + warmup:
            hint = f"warm up each stage on the first `warmup` = {warmup} items before timing it."
        elif got == fastest:
            hint = (f"{got} is the fastest stage: take the stage with the largest median "
                    "(max), not the smallest.")
        else:
            hint = "time every stage on every item after its warm-up and compare the medians."
        require(False, what, repr(expected), repr(got), hint)
    return ("slowest_stage found the slowest stage in three pipelines (2 to 4 stages, warmup 1 and "
            "4): it warms up as told, times every item and compares medians, so slow first calls "
            "do not fool it.")


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
        return max(cost, key=lambda name: cost[name])

    return answer


_slowest_one_call = _slowest_by(one_call=True)
_slowest_mean_no_warmup = _slowest_by(mean=True)


def _slowest_always_augment(stages: dict[str, Callable[[Any], Any]], items: list[Any],
                            warmup: int = 1) -> str:
    return "augment"


def _slowest_last_stage(stages: dict[str, Callable[[Any], Any]], items: list[Any],
                        warmup: int = 1) -> str:
    return list(stages)[-1]


def _slowest_warmup_one(stages: dict[str, Callable[[Any], Any]], items: list[Any],
                        warmup: int = 1) -> str:
    """A known-wrong answer: warms up with one item whatever `warmup` is."""
    return solutions.slowest_stage(stages, items, warmup=1)


def _fastest_stage(stages: dict[str, Callable[[Any], Any]], items: list[Any], warmup: int = 1) -> str:
    """A known-wrong answer: min instead of max."""
    medians = {}
    for name, stage in stages.items():
        for item in items[:warmup]:
            stage(item)
        times = []
        for item in items:
            start = time.perf_counter()
            stage(item)
            times.append(time.perf_counter() - start)
        medians[name] = sorted(times)[len(times) // 2]
    return min(medians, key=lambda name: medians[name])


register(Exercise(
    id="06.slowest_stage",
    title="Find the stage that starves the model",
    checker=_check_slowest,
    solution=solutions.slowest_stage,
    wrong=(
        Wrong(_slowest_one_call, "says nothing about the steady state"),
        Wrong(_slowest_mean_no_warmup, "slow first call"),
        Wrong(_slowest_always_augment, "a key of the `stages` dict"),
        Wrong(_slowest_last_stage, "compare the medians per item"),
        Wrong(_slowest_warmup_one, "whatever `warmup` is"),
        Wrong(_fastest_stage, "is the fastest stage"),
    ),
))
