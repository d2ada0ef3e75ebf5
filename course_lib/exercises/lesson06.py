"""Checks for lesson 06 (data loaders): three tables for the engine in core, and a timing grader.

``batches_per_epoch`` is compared with the real ``len(DataLoader(...))``; ``worker_items`` runs
behind the shares adapter (see :mod:`adapters`), so any split the text allows passes;
``slowest_stage`` measures, so it keeps a hand-written grader on the same Mistake list.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from course_lib.exercises.adapters import on_every_share, same_split, shown_shares
from course_lib.exercises.core import (
    Case,
    Exercise,
    Mistake,
    Probes,
    Returns,
    Table,
    Technique,
    exercise,
    probed_call,
    register,
    require,
)
from course_lib.solutions import lesson06 as solutions

# ---------------------------------------------------------------------------------------------
# 06.batches_per_epoch: the truth is the real DataLoader. Edge cases: no items, one item, a
# batch larger than the data (kept and dropped), batches of 128 and 300, sizes that divide.


def _loader_len(n_items: int, batch_size: int, drop_last: bool) -> int:
    """What the real DataLoader says: len(DataLoader(...)) over n items."""
    return len(DataLoader(TensorDataset(torch.arange(n_items)), batch_size=batch_size, drop_last=drop_last))


def _batch_cases(rng: np.random.Generator) -> list[Case]:
    fixed = [(192, 20, False), (192, 20, True), (192, 16, False), (192, 16, True), (64, 16, False),
             (5, 8, False), (5, 8, True), (1, 1, True), (64, 64, False), (0, 4, False),
             (1000, 128, False), (1000, 128, True), (250, 300, True)]
    drawn: list[tuple[int, int, bool]] = []
    for _ in range(12):
        bs = int(rng.integers(2, 40))
        # every other case a multiple of the batch size, so both sides of "divides evenly" are tried
        n = bs * int(rng.integers(1, 30)) + (0 if len(drawn) % 2 else int(rng.integers(1, bs)))
        drawn.append((n, bs, bool(rng.integers(0, 2))))
    return [Case(f"batches_per_epoch({n}, {bs}, drop_last={d})", (n, bs, d)) for n, bs, d in fixed + drawn]


def _diagnose_batches(case: Case, got: Any, want: Any) -> str:
    n, bs, drop = case.args
    if n % bs == 0:
        return f"{bs} divides {n} exactly: {n // bs} full batches, no smaller last one to keep or drop."
    if drop:
        return "drop_last=True throws away the incomplete last batch: round down."
    return "with drop_last=False a last, smaller batch still counts: round up."


_WHOLE = "return a whole number of batches, e.g. with // or math.ceil (np.ceil and / give floats)."

exercise("06.batches_per_epoch", "How many batches does an epoch have?", solutions.batches_per_epoch, Table(
    cases=_batch_cases, seed=6, truth=_loader_len,
    returns=Returns("int", type_hint=_WHOLE),
    mistakes=(
        Mistake(lambda n, bs, d: math.ceil(n / bs), "your count does not change with drop_last: it "
                "always rounds up, but drop_last=True throws away the incomplete last batch."),
        Mistake(lambda n, bs, d: n // bs, "your count does not change with drop_last: it always "
                "rounds down, but with drop_last=False the last, smaller batch still counts."),
        Mistake(lambda n, bs, d: n // bs if d else n // bs + 1, "n_items // batch_size + 1 counts one "
                "batch too many when batch_size divides n_items exactly, as 16 divides 192: there is no "
                "smaller last batch then. math.ceil(n_items / batch_size) is right in both cases."),
        Mistake(lambda n, bs, d: math.ceil(n / bs) if d else n // bs, "you swapped the two cases: "
                "drop_last=True drops the incomplete last batch (round down), drop_last=False keeps "
                "it (round up)."),
        Mistake(lambda n, bs, d: round(n / bs), "round() goes to the nearest whole number; a partial "
                "batch is either kept whole (round up, drop_last=False) or dropped (round down, "
                "drop_last=True)."),
        Mistake(lambda n, bs, d: max(1, solutions.batches_per_epoch(n, bs, d)), "an epoch can have "
                "0 batches: with no items, or with drop_last=True and fewer items than batch_size "
                "(the only batch is incomplete, so it is dropped); don't force at least one."),
        Mistake(lambda n, bs, d: np.floor(n / bs) if d else np.ceil(n / bs), _WHOLE),
    ),
    diagnose=_diagnose_batches, fallback="count the batches len(DataLoader(...)) would yield.",
    success="batches_per_epoch agrees with len(DataLoader(...)) on 25 cases, drop_last True and False, "
            "with batch sizes that divide the data set evenly and ones that don't, no items, and "
            "batches larger than the data set.",
))

# ---------------------------------------------------------------------------------------------
# 06.pad_collate_multiple: the result is a pair, compared whole (shape, dtype, every value, the
# labels' dtype). Edge cases: an image one pixel high, multiple=1 and 7, a size already a
# multiple, 130 images, uint8, float32 and float64, the tallest image not the widest.

Batch = list[tuple[torch.Tensor, int]]


def _round_up(size: int, multiple: int) -> int:
    return -(-size // multiple) * multiple


def _pad_cases(rng: np.random.Generator) -> list[Case]:
    """(batch,) calls with the default multiple, (batch, multiple) calls with another."""
    g = torch.Generator().manual_seed(6)

    def image(c: int, h: int, w: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        if dtype == torch.uint8:
            return torch.randint(1, 256, (c, h, w), generator=g, dtype=torch.uint8)
        return (torch.rand(c, h, w, generator=g) + 0.5).to(dtype)  # > 0, so padding shows

    def batch(*shapes: tuple[int, int, int], dtype: torch.dtype = torch.float32) -> Batch:
        return [(image(*s, dtype=dtype), int(rng.integers(0, 10))) for s in shapes]

    def size() -> int:
        return int(rng.integers(5, 90))

    a = torch.arange(3 * 40 * 50, dtype=torch.float32).reshape(3, 40, 50) + 1
    cases = [([(a, 2), (torch.ones(3, 70, 20), 5)], 32),  # the tallest image is not the widest
             (batch((1, 17, 11), (1, 9, 24), (1, 16, 24), dtype=torch.uint8), 8),  # 24 = 3 x 8 wide
             (batch(*((2, size(), size()) for _ in range(5)), dtype=torch.float64), None),  # default
             (batch(*((3, size(), size()) for _ in range(4))), 7),  # not a power of two
             ([(torch.ones(1, 32, 64), 0)], 32),  # already multiples: nothing to add
             (batch((3, 1, 30), (3, 12, 1)), 4),  # one pixel high, one pixel wide
             (batch((2, 5, 9), (2, 8, 3)), 1),  # multiple=1: the largest sizes themselves
             (batch(*((1, int(rng.integers(1, 20)), int(rng.integers(1, 20))) for _ in range(130)),
                    dtype=torch.uint8), 16)]  # 130 images
    out = []
    for images, m in cases:
        shapes = [tuple(x.shape[1:]) for x, _ in images]
        listed = shapes if len(shapes) <= 5 else f"{shapes[:3]} ..."
        what = (f"pad_collate_multiple(<{len(images)} images of {images[0][0].shape[0]} channel(s), "
                f"dtype {images[0][0].dtype}, (H, W) {listed}>" + (")" if m is None else f", multiple={m})"))
        out.append(Case(what, (images,) if m is None else (images, m)))
    return out


def _same_pair(got: Any, want: Any) -> bool:
    if not (isinstance(got, tuple | list) and len(got) == 2):
        return False
    return all(isinstance(g, torch.Tensor) and g.dtype == w.dtype and g.shape == w.shape and
               bool(torch.equal(g, w)) for g, w in zip(got, want, strict=True))


def _described(pair: Any) -> str:
    if not (isinstance(pair, tuple | list) and len(pair) == 2):
        return f"a {type(pair).__name__}, not a pair (images, labels)"
    images, labels = pair
    return (f"images of shape {tuple(images.shape)}, {images.dtype}; labels {labels.tolist()[:8]}, "
            f"{labels.dtype}" if isinstance(images, torch.Tensor) and isinstance(labels, torch.Tensor)
            else f"({type(images).__name__}, {type(labels).__name__})")


_PAIR = "return images, labels (a pair of tensors)."
_STACK = "stack the padded images into one tensor (N, C, H, W)."
_CORNER = "copy each image into the top-left corner; pad after it (bottom and right)."
_ZEROS = "start from torch.zeros, not torch.empty or torch.ones."
_DTYPE = "keep the images' dtype: torch.zeros(..., dtype=x.dtype); by default torch.zeros makes float32."
_LABELS = "collect the labels in order with torch.tensor."
_FLOAT_LABELS = ("torch.Tensor(labels) makes float32 labels, and cross_entropy refuses float class "
                 "labels: torch.tensor(labels) keeps them int64.")


def _diagnose_pad(case: Case, got: Any, want: Any) -> str | None:
    """The old grader's questions in order, for an answer no known mistake explains."""
    if not (isinstance(got, tuple | list) and len(got) == 2):
        return _PAIR
    images, labels = got
    if not (isinstance(images, torch.Tensor) and images.ndim == 4):
        return _STACK
    batch, m = case.args[0], (case.args[1] if len(case.args) > 1 else 32)
    n, c = len(batch), batch[0][0].shape[0]
    if tuple(images.shape[:2]) != (n, c):
        return (f"one image per pair, with the images' own number of channels ({c} here): take it "
                "from the images (x.shape[0]), don't assume 3." if images.shape[0] == n else
                "one row of images per (image, label) pair in the batch.")
    if images.shape != want[0].shape:
        big_h, big_w = (max(x.shape[k] for x, _ in batch) for k in (1, 2))
        return (f"the largest height is {big_h} and width {big_w}; rounded up to multiples of {m} "
                f"they are {_round_up(big_h, m)} and {_round_up(big_w, m)}"
                + (" (called without `multiple`, so with the default, 32)." if len(case.args) == 1 else "."))
    if images.dtype != want[0].dtype:
        return _DTYPE
    for i, (x, _) in enumerate(batch):
        h, w = x.shape[1:]
        if not torch.equal(images[i, :, :h, :w], x):
            return _CORNER
        padding = images[i].clone()
        padding[:, :h, :w] = 0
        if padding.any():
            return _ZEROS
    if isinstance(labels, torch.Tensor) and labels.dtype.is_floating_point:
        return _FLOAT_LABELS
    return _LABELS


def _pad_to(batch: Batch, multiple: int, *, round_up: Callable[[int, int], int] = _round_up,
            channels: int | None = None, dtype: Any = None, fill: int = 0, at_end: bool = False,
            labels: Callable[[list[int]], torch.Tensor] = torch.tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The reference collate with each step open to a mistake's twist (``at_end``: images bottom-right)."""
    h, w = (round_up(max(x.shape[k] for x, _ in batch), multiple) for k in (1, 2))
    c = batch[0][0].shape[0] if channels is None else channels
    images = torch.full((len(batch), c, h, w), fill, dtype=dtype or batch[0][0].dtype)
    for i, (x, _) in enumerate(batch):
        top, left = (h - x.shape[1], w - x.shape[2]) if at_end else (0, 0)
        images[i, :, top:top + x.shape[1], left:left + x.shape[2]] = x
    return images, labels([y for _, y in batch])


def _pads_the_batch(batch: Batch, multiple: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = solutions.pad_collate_multiple(batch, multiple)
    for i, (_, y) in enumerate(batch):
        batch[i] = (images[i], y)
    return images, labels


def _by_image(batch: Batch, multiple: int, pick: Callable[[Batch], tuple[torch.Tensor, int]]
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """Pads with F.pad to one image's size: negative padding crops a larger image silently."""
    x = pick(batch)[0]
    h, w = _round_up(x.shape[1], multiple), _round_up(x.shape[2], multiple)
    images = [torch.nn.functional.pad(x, (0, w - x.shape[2], 0, h - x.shape[1])) for x, _ in batch]
    return torch.stack(images), torch.tensor([y for _, y in batch])


_IN_PLACE = ("your function changed the batch it was given (it replaced or padded the pairs in the "
             "list): build the padded tensor on its own and leave the pairs as they came.")

exercise("06.pad_collate_multiple", "A collate function that pads to a multiple of 32",
         solutions.pad_collate_multiple, Table(
    cases=_pad_cases, seed=6,
    returns=Returns(equal=_same_pair, show=_described),
    probes=Probes(mutation_hint=_IN_PLACE),
    mistakes=(
        Mistake(lambda b, m=32: solutions.pad_collate_multiple(b, 1), "you padded to the largest "
                "height and width; round each UP to a multiple of `multiple`, not just to the largest "
                "size."),
        Mistake(lambda b, m=32: _pad_to(b, m, at_end=True), _CORNER),
        Mistake(lambda b, m=32: solutions.pad_collate_multiple(b, 32), "you rounded to a multiple of "
                "32 whatever `multiple` is: use the argument (32 is only its default)."),
        Mistake(lambda b, m=32: _pad_to(b, m, round_up=lambda s, m: (s // m + 1) * m), "a size that "
                "is already a multiple of m stays as it is: (size // m + 1) * m adds a whole multiple "
                "too many; math.ceil(size / m) * m does not."),
        Mistake(lambda b, m=32: _pad_to(b, m, round_up=lambda s, m: (s + m - 1) & ~(m - 1)), "the "
                "bit trick (size + m - 1) & ~(m - 1) works only when m is a power of two, and 7 is "
                "not: use math.ceil(size / m) * m."),
        Mistake(lambda b, m=32: _pad_to(b, m, channels=3, dtype=torch.float32),
                "one image per pair, with the images' own number of channels and dtype: take them "
                "from the images (x.shape[0], x.dtype), don't assume 3 channels of float32."),
        Mistake(lambda b, m=32: _pad_to(b, m, dtype=torch.float32), _DTYPE),
        Mistake(lambda b, m=32: _pad_to(b, m, fill=1), _ZEROS),
        Mistake(lambda b, m=32: _pad_to(b, m, labels=torch.Tensor), _FLOAT_LABELS),
        Mistake(lambda b, m=32: _by_image(b, m, lambda b: b[0]), "you took the first image's size: "
                "take the largest height and the largest width over all the images in the batch."),
        Mistake(lambda b, m=32: _by_image(b, m, lambda b: max(b, key=lambda p: int(p[0].numel()))),
                "you took the size of the largest image (by area): the tallest image and the widest "
                "may be different ones, so take the largest height and the largest width separately."),
        Mistake(_pads_the_batch, _IN_PLACE),
    ),
    diagnose=_diagnose_pad, fallback=_LABELS,
    success="pad_collate_multiple pads to the right multiples (32 by default, also 16, 8, 7, 4, 1 and "
            "a size already a multiple), keeps channels and dtype, puts the zeros after each image, "
            "keeps the labels as int64, works for images one pixel high or wide and for 130 images, "
            "and leaves the batch unchanged.",
))

# ---------------------------------------------------------------------------------------------
# 06.worker_items: called once per worker and judged as one split; shares may differ by one.
# Edge cases: no items, more workers than items, one worker, 300 items.

_INTS = "return the item indices as a list of ints."


def _worker_cases(rng: np.random.Generator) -> list[Case]:
    fixed = [(10, 2), (11, 3), (2, 4), (192, 2), (7, 1), (0, 3), (12, 4), (10, 4), (300, 7)]
    pairs = fixed + [(int(rng.integers(0, 60)), int(rng.integers(2, 9))) for _ in range(10)]
    return [Case(f"the shares of {w} worker(s) for {n} items", (n, w)) for n, w in pairs]


_EVERY = ("every worker returns every item: each epoch would yield every item once per worker. Give "
          "each worker a different share.")


def _diagnose_workers(case: Case, got: list[list[int]], want: list[list[int]]) -> str | None:
    n, workers = case.args
    if any(not 0 <= i < n for p in got for i in p):
        return "worker_id runs from 0 to num_workers - 1, and the items from 0 to n_items - 1."
    stride = next((s for s in range(1, 9) if s != workers and n > 2 * max(s, workers) and
                   all(p == list(range(w, n, s)) for w, p in enumerate(got))), None)
    if stride is not None:
        return f"the stride must be num_workers ({workers} here), not a fixed {stride}."
    counts = Counter(i for p in got for i in p)
    if any(c > 1 for c in counts.values()):
        return _EVERY if n > 0 and all(sorted(p) == list(range(n)) for p in got) else \
            "each item belongs to exactly one worker's share."
    if len(counts) < n:
        return "every item must be in some worker's share."
    return None


def _blocks(n: int, w: int, workers: int, size: int, last_takes_rest: bool = False) -> list[int]:
    end = n if last_takes_rest and w == workers - 1 else min(n, (w + 1) * size)
    return list(range(w * size, end))


exercise("06.worker_items", "Split a stream between DataLoader workers", solutions.worker_items, Table(
    cases=_worker_cases, seed=6, adapt=on_every_share("worker_items", _INTS),
    returns=Returns(equal=same_split(spread=1)),
    mistakes=(
        Mistake(lambda n, w, k: list(range(n)), _EVERY),
        Mistake(lambda n, w, k: _blocks(n, w, k, n // k), "blocks of n_items // num_workers items "
                "leave the last n_items % num_workers items to nobody: don't lose the remainder (a "
                "stride of num_workers starting at worker_id has none)."),
        Mistake(lambda n, w, k: _blocks(n, w, k, n // k, last_takes_rest=True), "the last worker "
                "takes all the leftover items, so it works longest: spread the remainder, e.g. give "
                "each worker every num_workers-th item."),
        Mistake(lambda n, w, k: _blocks(n, w, k, math.ceil(n / k)), "blocks of ceil(n_items / "
                "num_workers) items leave the last workers short: give each worker every "
                "num_workers-th item instead."),
        Mistake(lambda n, w, k: list(range(w, n, 2)), "the stride must be num_workers, not a fixed 2 "
                                                      "(the lesson's two workers)."),
        Mistake(lambda n, w, k: list(range(w - 1, n, k)), "worker_id runs from 0 to num_workers - 1, "
                "so worker 0 starts at item 0: index -1 is no item (Python reads it as the last)."),
        Mistake(lambda n, w, k: _blocks(n, w, k, round(n / k), last_takes_rest=True),
                "blocks of round(n_items / num_workers) items leave the last worker too many items when "
                "the division rounds down (and too few when it rounds up): give each worker every "
                "num_workers-th item."),
        Mistake(lambda n, w, k: [float(i) for i in range(w, n, k)], _INTS),
    ),
    diagnose=_diagnose_workers, fallback="give the workers equal shares, e.g. every num_workers-th item.",
    shown=shown_shares("worker", lambda n, k: f"shares of {n // k}{'' if n % k == 0 else f' or {n // k + 1}'}"
                                              f" items holding each of the items 0..{n - 1} once"),
    success="for 19 pairs of n_items and num_workers (more workers than items, no items, one worker, "
            "300 items, remainders or none), the shares cover every item exactly once and differ in "
            "size by at most one.",
))

# ---------------------------------------------------------------------------------------------
# 06.slowest_stage: a timing exercise, so a hand-written grader on one Mistake list. The stages
# sleep for known times, so the verdict does not depend on how busy the machine is. Each case
# needs one part of the method: a cold first call (warm-up), a hiccup in the middle of the timed
# calls (the median; a mean is pulled up), and a stage slow on its first four calls (warmup=4).


class _Stage:
    """A stage that takes ``seconds`` per item, ``cold`` on its first ``n_cold`` calls and
    ``spike`` on call number ``spike_at``; it counts its calls."""

    def __init__(self, seconds: float, cold: float = 0.0, n_cold: int = 0, spike: float = 0.0,
                 spike_at: int = -1) -> None:
        self.seconds, self.cold, self.n_cold = seconds, cold, n_cold
        self.spike, self.spike_at, self.calls = spike, spike_at, 0

    def __call__(self, item: Any) -> Any:
        pause = self.cold if self.calls < self.n_cold else self.spike if self.calls == self.spike_at \
            else self.seconds
        time.sleep(pause)
        self.calls += 1
        return item

    def __deepcopy__(self, memo: dict[int, Any]) -> _Stage:
        return self  # the probes copy the arguments; the grader needs to count these calls


_SLOW_CASES: tuple[tuple[dict[str, dict[str, Any]], int, int], ...] = (  # stages, items, warmup
    ({"read": {"seconds": 0.001, "cold": 0.2, "n_cold": 1}, "decode": {"seconds": 0.004},
      "augment": {"seconds": 0.012}}, 6, 1),
    ({"load": {"seconds": 0.001, "cold": 0.12, "n_cold": 1},
      "resize": {"seconds": 0.003, "spike": 0.15, "spike_at": 2}, "normalize": {"seconds": 0.009},
      "to_tensor": {"seconds": 0.002}}, 4, 1),
    ({"read": {"seconds": 0.001, "cold": 0.02, "n_cold": 4}, "decode": {"seconds": 0.008}}, 5, 4),
)  # every verdict a wrong answer reaches is at least 8 ms away from another, and those of the
# mean-based mistakes over 20 ms, so that a busy machine's late wake-ups from sleep move none of them

_NAME = "return the stage's name, a key of the `stages` dict, not its time."
_NEVER = ("your function never called the stages: time every stage on every item after its warm-up "
          "and compare the medians per item.")
_ONE_CALL = ("you timed each stage on one item (or a few): one call says nothing about the steady "
             "state; time every stage on every item.")
_NO_WARMUP = ("you timed the stages' slow first call(s): warm up each stage on the first `warmup` "
              "items, untimed, before timing every item.")
_MEAN = ("one slow call in the middle of the timed ones (a hiccup) pulled a mean up: compare the "
         "medians (statistics.median), which one outlier does not move.")
_WARMUP_ONE = ("you warmed up with one item whatever `warmup` is; here warmup=4, and a stage is slow "
               "on its first 4 calls.")
_FASTEST = "that is the fastest stage: take the stage with the largest median (max), not the smallest."
_PROCESS = ("time.process_time counts only the CPU time of this process, and a stage that waits (for "
            "a disk, or here a sleep) uses almost none: time with time.perf_counter(), wall time.")
_SLOW_PROBES = Probes(techniques=(Technique(time, "process_time", required=False, hint=_PROCESS),))


def _grade_slowest(fn: Callable[..., Any]) -> str:
    for costs, n_items, warmup in _SLOW_CASES:
        stages = {name: _Stage(**cost) for name, cost in costs.items()}
        per_item = {name: cost["seconds"] for name, cost in costs.items()}
        expected, fastest = max(per_item, key=per_item.__getitem__), min(per_item, key=per_item.__getitem__)
        cold_name = next(name for name, cost in costs.items() if cost.get("cold"))
        spiky = next((name for name, cost in costs.items() if cost.get("spike")), None)
        what = (f"slowest_stage(stages, items=list(range({n_items})), warmup={warmup}) with stages costing "
                + ", ".join(f"{name} {s * 1e3:.0f} ms" for name, s in per_item.items()) + " per item ("
                + "; ".join(f"{name}: {c['cold'] * 1e3:.0f} ms on its first "
                            + ("call" if c["n_cold"] == 1 else f"{c['n_cold']} calls") if c.get("cold") else
                            f"{name}: {c['spike'] * 1e3:.0f} ms on call {c['spike_at'] + 1}"
                            for name, c in costs.items() if c.get("cold") or c.get("spike")) + ")")
        calls: dict[str, int] = {}
        got = probed_call(fn, Case(what, (stages, list(range(n_items)), warmup)),
                          ["stages", "items", "warmup"], _SLOW_PROBES, calls)
        require(isinstance(got, str) and got in costs, what, f"one of {sorted(costs)}", repr(got), _NAME)
        cold_calls = stages[cold_name].calls
        used = calls.get("process_time", 0)
        require(not used, f"time.process_time in your function on {what}", "not called",
                f"called {used} time(s)", _PROCESS)
        if got == expected:
            continue
        hint = (_NEVER if not any(s.calls for s in stages.values()) else
                _ONE_CALL if cold_calls < n_items else
                _NO_WARMUP if cold_calls == n_items and got == cold_name else
                _WARMUP_ONE if cold_calls == n_items + 1 and warmup > 1 else
                f"warm up each stage on the first `warmup` = {warmup} items before timing it."
                if cold_calls < n_items + warmup else
                _FASTEST if got == fastest else
                _MEAN if got == spiky else
                "time every stage on every item after its warm-up and compare the medians.")
        require(False, what, repr(expected), repr(got), hint)
    return ("slowest_stage found the slowest stage in three pipelines (2 to 4 stages, warmup 1 and "
            "4): it warms up as told, times every item and compares medians, so slow first calls "
            "and a hiccup in the middle do not fool it.")


def _slowest_by(*, warmup_items: int | None = None, timed: int | None = None, mean: bool = False,
                pick: Callable[..., Any] = max, clock: str = "perf_counter",
                give_time: bool = False) -> Callable[..., Any]:
    """A learner's answer with one way of measuring: how many warm-up items (None: as told),
    how many timed items (None: all), mean or median, max or min, which clock of ``time``."""

    def slowest_stage(stages: dict[str, Callable[[Any], Any]], items: list[Any], warmup: int = 1) -> Any:
        now = getattr(time, clock)  # looked up at the call, as a learner's time.process_time() is
        cost = {}
        for name, stage in stages.items():
            for item in items[:warmup if warmup_items is None else warmup_items]:
                stage(item)
            times = []
            for item in items[:timed]:
                start = now()
                stage(item)
                times.append(now() - start)
            cost[name] = sum(times) / len(times) if mean else sorted(times)[len(times) // 2]
        name = pick(cost, key=cost.__getitem__)
        return cost[name] if give_time else name

    return slowest_stage


register(Exercise(
    id="06.slowest_stage",
    title="Find the stage that starves the model",
    grader=_grade_slowest,
    solution=solutions.slowest_stage,
    wrong=(
        Mistake(_slowest_by(warmup_items=0, timed=1), _ONE_CALL),
        Mistake(_slowest_by(warmup_items=0, mean=True), _NO_WARMUP),
        Mistake(_slowest_by(mean=True), _MEAN),
        Mistake(lambda stages, items, warmup=1: "augment", _NAME),
        Mistake(_slowest_by(give_time=True), _NAME),
        Mistake(lambda stages, items, warmup=1: list(stages)[-1], _NEVER),
        Mistake(_slowest_by(warmup_items=1), _WARMUP_ONE),
        Mistake(_slowest_by(pick=min), _FASTEST),
        Mistake(_slowest_by(clock="process_time"), _PROCESS),
    ),
))
