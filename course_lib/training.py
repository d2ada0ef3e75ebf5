"""The training loop of lesson 05 as one reusable call, ``fit``, for the lessons after it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from course_lib.errors import CourseInputError, describe, expect

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


def _check_tensors(data: Any, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    ok = (isinstance(data, (tuple, list)) and len(data) == 2
          and all(isinstance(t, torch.Tensor) for t in data))
    expect(ok, name, "a DataLoader or a pair (x, y) of tensors", data)
    x, y = data
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise CourseInputError(f"{name}: expected x and y with the same number of rows, got "
                               f"{describe(x)} and {describe(y)}.")
    return x, y


def make_loader(x: torch.Tensor, y: torch.Tensor, batch_size: int = 64, shuffle: bool = True,
                seed: int = 0) -> DataLoader:
    """A DataLoader over the tensors ``x`` and ``y``, shuffled reproducibly with ``seed``."""
    x, y = _check_tensors((x, y), "x, y")
    expect(isinstance(batch_size, int) and not isinstance(batch_size, bool) and batch_size > 0,
           "batch_size", "a positive int", batch_size)
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle,
                      generator=generator)


def _as_batches(data: Any, name: str, batch_size: int, shuffle: bool, seed: int) -> Iterable:
    if isinstance(data, DataLoader):
        return data
    x, y = _check_tensors(data, name)
    return make_loader(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed)


def _device_of(model: nn.Module) -> torch.device:
    first = next(model.parameters(), None)
    return torch.device("cpu") if first is None else first.device


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """The fraction of rows of ``logits`` whose largest score is at the label in ``y``."""
    expect(isinstance(logits, torch.Tensor) and logits.ndim == 2, "logits",
           "a 2-D tensor (examples x classes)", logits)
    expect(isinstance(y, torch.Tensor) and y.ndim == 1 and len(y) == len(logits), "y",
           f"a 1-D tensor of {len(logits)} labels", y)
    return (logits.argmax(dim=1) == y).float().mean().item()


def evaluate(model: nn.Module, data: Batches, loss_fn: LossFn | None = None,
             batch_size: int = 512) -> tuple[float, float]:
    """Mean loss and accuracy of a classifier on ``data``, in eval mode and without gradients."""
    expect(isinstance(model, nn.Module), "model", "a torch.nn.Module", model)
    loss_fn = loss_fn or nn.functional.cross_entropy
    batches = _as_batches(data, "data", batch_size, shuffle=False, seed=0)
    device = _device_of(model)
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    try:
        with torch.no_grad():
            for xb, yb in batches:
                xb, yb = xb.to(device), yb.to(device)
                logits = model(xb)
                total_loss += loss_fn(logits, yb).item() * len(yb)
                correct += int((logits.argmax(dim=1) == yb).sum())
                count += len(yb)
    finally:
        model.train(was_training)
    if count == 0:
        raise CourseInputError("data: expected at least one example, got an empty data set.")
    return total_loss / count, correct / count


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
    expect(isinstance(epochs, int) and not isinstance(epochs, bool) and epochs > 0, "epochs",
           "a positive int", epochs)
    expect(isinstance(log_every, int) and not isinstance(log_every, bool) and log_every > 0,
           "log_every", "a positive int", log_every)
    expect(live is None or callable(getattr(live, "log", None)), "live",
           "None or a LivePlot (anything with .log(step, **values))", live)
    loss_fn = loss_fn or nn.functional.cross_entropy
    train_batches = _as_batches(train, "train", batch_size, shuffle=True, seed=seed)
    if val is not None:
        val = _as_batches(val, "val", 512, shuffle=False, seed=seed)
    device = _device_of(model)
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
            loss = loss_fn(model(xb), yb)
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
