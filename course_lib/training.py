"""The training loop of lesson 05 as one reusable call, ``fit``, for the lessons after it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_lib.devices import device_of
from course_lib.errors import (
    CourseInputError,
    check_bool,
    check_callable,
    check_int,
    check_tensor,
    describe,
    expect,
    wrapped,
)

Batches = DataLoader | tuple[torch.Tensor, torch.Tensor]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class History:
    """What ``fit`` measured: the loss of every step and the per-epoch averages."""

    step_loss: list[tuple[int, float]] = field(default_factory=list)  # (step, batch loss)
    train_loss: list[float] = field(default_factory=list)  # mean batch loss of each epoch
    val_loss: list[float] = field(default_factory=list)  # after each epoch, when val is given
    val_accuracy: list[float] = field(default_factory=list)  # fraction correct, after each epoch

    @property
    def steps(self) -> int:
        """How many optimizer steps were taken."""
        return len(self.step_loss)

    def summary(self) -> str:
        """One line per epoch: training loss, and validation loss and accuracy when measured."""
        lines = []
        for i, train in enumerate(self.train_loss):
            line = f"epoch {i + 1:2d}: train loss {train:.4f}"
            if i < len(self.val_loss):
                line += f", val loss {self.val_loss[i]:.4f}, val accuracy {self.val_accuracy[i]:.1%}"
            lines.append(line)
        return "\n".join(lines) if lines else "no epochs yet"

    def __post_init__(self) -> None:
        for name in ("step_loss", "train_loss", "val_loss", "val_accuracy"):
            expect(isinstance(getattr(self, name), list), name, "a list", getattr(self, name))
        expect(all(isinstance(p, tuple) and len(p) == 2 for p in self.step_loss), "step_loss",
               "a list of (step, loss) pairs", self.step_loss)


def _check_pair(x: Any, y: Any, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``x`` and ``y``: tensors with one row per example, the same number of rows, finite values."""
    prefix = f"{name} " if name else ""
    check_tensor(x, f"{prefix}x")
    check_tensor(y, f"{prefix}y")
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise CourseInputError(f"{name or 'x, y'}: expected x and y with the same number of rows, got "
                               f"{describe(x)} and {describe(y)}.")
    for label, t in ((f"{prefix}x", x), (f"{prefix}y", y)):  # torch.isfinite: no copy of the data
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise CourseInputError(f"{label}: expected finite values, got {describe(t)} containing NaN "
                                   "or infinity.")
    return x, y


def _check_tensors(data: Any, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    ok = (isinstance(data, (tuple, list)) and len(data) == 2
          and all(isinstance(t, torch.Tensor) for t in data))
    expect(ok, name, "a DataLoader or a pair (x, y) of tensors", data)
    return _check_pair(data[0], data[1], name)


def make_loader(x: torch.Tensor, y: torch.Tensor, batch_size: int = 64, shuffle: bool = True,
                seed: int = 0) -> DataLoader:
    """A DataLoader over the tensors ``x`` and ``y``, shuffled reproducibly with ``seed``."""
    x, y = _check_pair(x, y, "")
    check_int(batch_size, "batch_size", low=1)
    check_bool(shuffle, "shuffle")
    generator = torch.Generator().manual_seed(check_int(seed, "seed", low=0, high=2**32 - 1))
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle,
                      generator=generator)


def _as_batches(data: Any, name: str, batch_size: int, shuffle: bool, seed: int) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    x, y = _check_tensors(data, name)
    return make_loader(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed)


def _scalar_loss(loss: Any) -> torch.Tensor:
    """``loss`` if it is what a loss function must return: a tensor holding one number."""
    expect(isinstance(loss, torch.Tensor) and loss.numel() == 1, "loss_fn",
           "a function returning a scalar tensor (one number, e.g. reduction='mean')", loss)
    return loss


def _run_batch(model: nn.Module, loss_fn: LossFn, xb: torch.Tensor, yb: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits, loss) of one batch; an error inside torch names the batch's shapes."""
    with wrapped(f"model(x) and loss_fn on a batch with x {tuple(xb.shape)} {xb.dtype}, "
                 f"y {tuple(yb.shape)} {yb.dtype}"):
        logits = model(xb)
        loss = loss_fn(logits, yb)
    return logits, _scalar_loss(loss)


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """The fraction of rows of ``logits`` whose largest score is at the label in ``y``."""
    check_tensor(logits, "logits", ndim=2)
    n, classes = logits.shape
    check_tensor(y, "y", shape=(n,), dtype="int", what="a 1-D tensor of labels")
    expect(n > 0, "logits", "at least one row (one example)", logits)
    check_tensor(logits, "logits", finite=True)
    check_tensor(y, "y", low=0, high=classes - 1)
    return (logits.argmax(dim=1) == y).float().mean().item()


def evaluate(model: nn.Module, data: Batches, loss_fn: LossFn | None = None,
             batch_size: int = 512) -> tuple[float, float]:
    """Mean loss and accuracy of a classifier on ``data``, in eval mode and without gradients."""
    expect(isinstance(model, nn.Module), "model", "a torch.nn.Module", model)
    loss_fn = nn.functional.cross_entropy if loss_fn is None else check_callable(loss_fn, "loss_fn")
    check_int(batch_size, "batch_size", low=1)
    batches = _as_batches(data, "data", batch_size, shuffle=False, seed=0)
    device = device_of(model)
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    try:
        with torch.no_grad():
            for xb, yb in batches:
                xb, yb = xb.to(device), yb.to(device)
                logits, loss = _run_batch(model, loss_fn, xb, yb)
                total_loss += loss.item() * len(yb)
                correct += int((logits.argmax(dim=1) == yb).sum())
                count += len(yb)
    finally:
        model.train(was_training)
    if count == 0:
        raise CourseInputError("data: expected at least one example, got an empty data set.")
    return total_loss / count, correct / count


def _check_optimizer_holds(model: nn.Module, optimizer: torch.optim.Optimizer) -> None:
    """Refuse an optimizer that would train nothing: one holding none of the model's trainable parameters.

    An optimizer that holds only some of them (fine-tuning a head) is fine: the rest stay as they are.
    """
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    if not trainable:
        raise CourseInputError("model: has no trainable parameters (every parameter has "
                               "requires_grad=False), so fit would change nothing.")
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    if not trainable & held:
        raise CourseInputError(
            f"optimizer: holds none of the model's {len(trainable)} trainable parameters, so training "
            "would change nothing; build it on this model, e.g. torch.optim.SGD(model.parameters(), lr=0.1).")


def fit(model: nn.Module, train: Batches, optimizer: torch.optim.Optimizer, epochs: int, *,
        val: Batches | None = None, loss_fn: LossFn | None = None, batch_size: int = 64,
        live: Any = None, log_every: int = 1, progress: bool = True, seed: int = 0) -> History:
    """Train ``model`` for ``epochs`` passes over ``train``; stream losses to ``live`` if given.

    ``train`` and ``val`` are DataLoaders or pairs ``(x, y)`` of tensors (then batched with
    ``batch_size`` and shuffled with ``seed``). ``live`` is a :class:`course_lib.live.LivePlot`:
    it gets ``train=`` every ``log_every`` steps and ``val=`` after each epoch.
    """
    expect(isinstance(model, nn.Module), "model", "a torch.nn.Module", model)
    expect(isinstance(optimizer, torch.optim.Optimizer), "optimizer",
           "a torch.optim.Optimizer built on model.parameters()", optimizer)
    _check_optimizer_holds(model, optimizer)
    check_int(epochs, "epochs", low=1)
    check_int(log_every, "log_every", low=1)
    check_int(seed, "seed", low=0, high=2**32 - 1)
    check_int(batch_size, "batch_size", low=1)
    check_bool(progress, "progress")
    expect(live is None or callable(getattr(live, "log", None)), "live",
           "None or a LivePlot (anything with .log(step, **values))", live)
    loss_fn = nn.functional.cross_entropy if loss_fn is None else check_callable(loss_fn, "loss_fn")
    train_batches = _as_batches(train, "train", batch_size, shuffle=True, seed=seed)
    if val is not None:
        val = _as_batches(val, "val", 512, shuffle=False, seed=seed)
    device = device_of(model)
    history = History()
    epoch_range: Iterable[int] = range(epochs)
    if progress:
        from tqdm.auto import tqdm

        epoch_range = tqdm(epoch_range, desc="epochs", unit="epoch")
    step = 0
    for _ in epoch_range:
        model.train()
        losses = []
        for xb, yb in train_batches:
            xb, yb = xb.to(device), yb.to(device)
            _, loss = _run_batch(model, loss_fn, xb, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            losses.append(loss.item())
            history.step_loss.append((step, losses[-1]))
            if live is not None and step % log_every == 0:
                live.log(step, train=losses[-1])
        if not losses:
            raise CourseInputError("train: expected at least one batch, got an empty data set.")
        history.train_loss.append(sum(losses) / len(losses))
        if val is not None:
            val_loss, val_acc = evaluate(model, val, loss_fn)
            history.val_loss.append(val_loss)
            history.val_accuracy.append(val_acc)
            if live is not None:
                live.log(step, val=val_loss)
    if live is not None and callable(getattr(live, "close", None)):
        live.close()
    return history
