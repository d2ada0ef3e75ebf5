"""The training loop of lesson 05 as reusable calls: ``fit``, ``train_epoch``, ``evaluate``, checkpoints.

Each public function checks its arguments first, with one clear line (CourseInputError) for what
is wrong; after those checks its body is the code lesson 05 teaches.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler
from torch.utils.data import DataLoader, TensorDataset

from course_lib.devices import device_of
from course_lib.errors import (
    CourseInputError,
    describe,
    expect,
    expect_bool,
    expect_callable,
    expect_int,
    expect_number,
    expect_path,
    expect_tensor,
    wrapped,
)

Batches = DataLoader | tuple[torch.Tensor, torch.Tensor]
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
T = TypeVar("T")
CHECKPOINT_KEYS = ("epoch", "model", "optimizer", "scheduler", "torch_rng", "generator_rng")


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


# --- argument checks: each raises CourseInputError with one line naming the argument --------------

def _expect_pair(x: Any, y: Any, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """``x`` and ``y``: tensors with one row per example, the same number of rows, finite values."""
    prefix = f"{name} " if name else ""
    expect_tensor(x, f"{prefix}x")
    expect_tensor(y, f"{prefix}y")
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise CourseInputError(f"{name or 'x, y'}: expected x and y with the same number of rows, got "
                               f"{describe(x)} and {describe(y)}.")
    if x.shape[0] == 0:
        raise CourseInputError(f"{name or 'x, y'}: expected at least one example, got an empty data set.")
    for label, t in ((f"{prefix}x", x), (f"{prefix}y", y)):  # torch.isfinite: no copy of the data
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise CourseInputError(f"{label}: expected finite values, got {describe(t)} containing NaN "
                                   "or infinity.")
    return x, y


def _expect_batches(data: Any, name: str, batch_size: int, shuffle: bool, seed: int) -> DataLoader:
    """``data`` as a DataLoader: one given as is, or a pair ``(x, y)`` of tensors batched here."""
    if isinstance(data, DataLoader):
        return data
    ok = (isinstance(data, (tuple, list)) and len(data) == 2
          and all(isinstance(t, torch.Tensor) for t in data))
    expect(ok, name, "a DataLoader or a pair (x, y) of tensors", data)
    x, y = _expect_pair(data[0], data[1], name)
    return make_loader(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed)


def _expect_model(model: Any) -> nn.Module:
    expect(isinstance(model, nn.Module), "model", "a torch.nn.Module", model)
    return model


def _expect_optimizer(optimizer: Any, model: nn.Module) -> torch.optim.Optimizer:
    """An optimizer holding some of ``model``'s trainable parameters (all of them, or a head's)."""
    expect(isinstance(optimizer, torch.optim.Optimizer), "optimizer",
           "a torch.optim.Optimizer built on model.parameters()", optimizer)
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    if not trainable:
        raise CourseInputError("model: has no trainable parameters (every parameter has "
                               "requires_grad=False), so training would change nothing.")
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    if not trainable & held:
        raise CourseInputError(
            f"optimizer: holds none of the model's {len(trainable)} trainable parameters, so training "
            "would change nothing; build it on this model, e.g. torch.optim.SGD(model.parameters(), lr=0.1).")
    return optimizer


def _expect_scheduler(scheduler: Any, optimizer: torch.optim.Optimizer | None) -> LRScheduler | None:
    """None, or a learning-rate scheduler built on ``optimizer`` (when one is given)."""
    if scheduler is None:
        return None
    expect(isinstance(scheduler, LRScheduler), "scheduler",
           "None or a torch.optim.lr_scheduler scheduler (OneCycleLR, CosineAnnealingLR, ...)", scheduler)
    if optimizer is not None and scheduler.optimizer is not optimizer:
        raise CourseInputError("scheduler: expected a scheduler built on the optimizer passed with it, "
                               "got one built on another optimizer.")
    return scheduler


def _expect_generator(generator: Any) -> torch.Generator | None:
    expect(generator is None or isinstance(generator, torch.Generator), "generator",
           "None or a torch.Generator (a DataLoader's is loader.generator)", generator)
    return generator


def _expect_loss_fn(loss_fn: Any) -> LossFn:
    """``loss_fn`` (cross-entropy when None), made to refuse a result that is not one number."""
    loss_fn = nn.functional.cross_entropy if loss_fn is None else expect_callable(loss_fn, "loss_fn")

    def scalar_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        loss = loss_fn(logits, y)
        expect(isinstance(loss, torch.Tensor) and loss.numel() == 1, "loss_fn",
               "a function returning a scalar tensor (one number, e.g. reduction='mean')", loss)
        return loss

    return scalar_loss


def _naming_the_batch(xb: torch.Tensor, yb: torch.Tensor) -> AbstractContextManager[None]:
    """An error inside torch (a shape or dtype that does not fit the model) names the batch."""
    return wrapped(f"model(x) and loss_fn on a batch with x {tuple(xb.shape)} {xb.dtype}, "
                   f"y {tuple(yb.shape)} {yb.dtype}")


# --- the public calls ---------------------------------------------------------------------------

def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def progress_bar(iterable: Iterable[T], desc: str, unit: str = "it") -> Iterable[T]:
    """``iterable`` with tqdm's progress bar: the widget in a notebook, saved finished; stderr elsewhere."""
    expect(isinstance(iterable, Iterable), "iterable", "something to loop over, e.g. range(epochs)",
           iterable)
    expect(isinstance(desc, str), "desc", "a str, the bar's label", desc)
    expect(isinstance(unit, str) and unit != "", "unit", "a non-empty str, e.g. 'epoch'", unit)
    if not _in_notebook():
        from tqdm import tqdm

        return tqdm(iterable, desc=desc, unit=unit)
    return _notebook_bar(iterable, desc, unit)


def _notebook_bar(iterable: Iterable[T], desc: str, unit: str) -> Iterator[T]:
    """tqdm's widget, shown once more when the loop ends: a saved notebook keeps what a display
    showed last, so its text (what a page without widgets shows) is the finished bar, not an empty one."""
    from IPython.display import display
    from tqdm.notebook import tqdm as notebook_tqdm

    bar = notebook_tqdm(iterable, desc=desc, unit=unit, display=False)
    handle = display(bar.container, display_id=True)
    try:
        yield from bar
    finally:
        if handle is not None:
            handle.update(bar.container)


def make_loader(x: torch.Tensor, y: torch.Tensor, batch_size: int = 64, shuffle: bool = True,
                seed: int = 0) -> DataLoader:
    """A DataLoader over the tensors ``x`` and ``y``, shuffled reproducibly with ``seed``.

    Its shuffling draws from its own ``loader.generator``, never from torch's global one."""
    x, y = _expect_pair(x, y, "")
    expect_int(batch_size, "batch_size", low=1)
    expect_bool(shuffle, "shuffle")
    expect_int(seed, "seed", low=0, high=2**32 - 1)

    generator = torch.Generator().manual_seed(seed)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle, generator=generator)


def accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """The fraction of rows of ``logits`` whose largest score is at the label in ``y``."""
    expect_tensor(logits, "logits", ndim=2)
    n, classes = logits.shape
    expect_tensor(y, "y", shape=(n,), dtype="int", what="a 1-D tensor of labels")
    expect(n > 0, "logits", "at least one row (one example)", logits)
    expect_tensor(logits, "logits", finite=True)
    expect_tensor(y, "y", low=0, high=classes - 1)

    return (logits.argmax(dim=1) == y).float().mean().item()


def evaluate(model: nn.Module, data: Batches, loss_fn: LossFn | None = None,
             batch_size: int = 512) -> tuple[float, float]:
    """Mean loss and accuracy of a classifier on ``data``, in eval mode and without gradients."""
    _expect_model(model)
    loss_fn = _expect_loss_fn(loss_fn)
    expect_int(batch_size, "batch_size", low=1)
    batches = _expect_batches(data, "data", batch_size, shuffle=False, seed=0)

    device = device_of(model)
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    try:
        with torch.no_grad():
            for xb, yb in batches:
                xb, yb = xb.to(device), yb.to(device)
                with _naming_the_batch(xb, yb):
                    logits = model(xb)
                    loss = loss_fn(logits, yb)
                total_loss += loss.item() * len(yb)
                correct += int((logits.argmax(dim=1) == yb).sum())
                count += len(yb)
    finally:
        model.train(was_training)
    if count == 0:
        raise CourseInputError("data: expected at least one example, got an empty data set.")
    return total_loss / count, correct / count


def train_epoch(model: nn.Module, loader: DataLoader, optimizer: torch.optim.Optimizer, *,
                loss_fn: LossFn | None = None, scheduler: LRScheduler | None = None,
                max_grad_norm: float | None = None,
                on_step: Callable[[float], None] | None = None) -> list[float]:
    """One pass over ``loader``: a step per batch; returns the batch losses.

    ``scheduler`` (if given) steps after every batch, as OneCycleLR and warm-up schedules expect;
    ``max_grad_norm`` (if given) clips the gradients' total norm before each step; ``on_step(loss)``
    is called after each step.
    """
    _expect_model(model)
    expect(isinstance(loader, DataLoader), "loader", "a torch DataLoader (make_loader(x, y) makes one)",
           loader)
    _expect_optimizer(optimizer, model)
    loss_fn = _expect_loss_fn(loss_fn)
    _expect_scheduler(scheduler, optimizer)
    if max_grad_norm is not None:
        expect_number(max_grad_norm, "max_grad_norm", low=0, low_open=True)
    expect(on_step is None or callable(on_step), "on_step", "None or a function of the loss", on_step)

    device = device_of(model)
    model.train()
    losses = []
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        with _naming_the_batch(xb, yb):
            loss = loss_fn(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        if max_grad_norm is not None:
            nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(loss.item())
        if on_step is not None:
            on_step(losses[-1])
    if not losses:
        raise CourseInputError("loader: expected at least one batch, got an empty data set.")
    return losses


def fit(model: nn.Module, train: Batches, optimizer: torch.optim.Optimizer, epochs: int, *,
        val: Batches | None = None, loss_fn: LossFn | None = None, batch_size: int = 64,
        live: Any = None, log_every: int = 1, progress: bool = True, seed: int = 0,
        scheduler: LRScheduler | None = None, max_grad_norm: float | None = None) -> History:
    """Train ``model`` for ``epochs`` passes over ``train``; stream losses to ``live`` if given.

    ``train`` and ``val`` are DataLoaders or pairs ``(x, y)`` of tensors (then batched with
    ``batch_size`` and shuffled with ``seed``). ``live`` is a :class:`course_lib.live.LivePlot`:
    it gets ``train=`` every ``log_every`` steps and ``val=`` after each epoch. ``scheduler`` and
    ``max_grad_norm`` are passed to :func:`train_epoch`.
    """
    _expect_model(model)
    _expect_optimizer(optimizer, model)
    expect_int(epochs, "epochs", low=1)
    expect_int(log_every, "log_every", low=1)
    expect_int(seed, "seed", low=0, high=2**32 - 1)
    expect_int(batch_size, "batch_size", low=1)
    expect_bool(progress, "progress")
    expect(live is None or callable(getattr(live, "log", None)), "live",
           "None or a LivePlot (anything with .log(step, **values))", live)
    _expect_loss_fn(loss_fn)
    _expect_scheduler(scheduler, optimizer)
    if max_grad_norm is not None:
        expect_number(max_grad_norm, "max_grad_norm", low=0, low_open=True)
    train_loader = _expect_batches(train, "train", batch_size, shuffle=True, seed=seed)
    val_loader = None if val is None else _expect_batches(val, "val", 512, shuffle=False, seed=seed)

    history = History()

    def log_step(loss: float) -> None:
        step = history.steps + 1
        history.step_loss.append((step, loss))
        if live is not None and step % log_every == 0:
            live.log(step, train=loss)

    for _ in progress_bar(range(epochs), "epochs", unit="epoch") if progress else range(epochs):
        losses = train_epoch(model, train_loader, optimizer, loss_fn=loss_fn, scheduler=scheduler,
                             max_grad_norm=max_grad_norm, on_step=log_step)
        history.train_loss.append(sum(losses) / len(losses))
        if val_loader is not None:
            val_loss, val_acc = evaluate(model, val_loader, loss_fn)
            history.val_loss.append(val_loss)
            history.val_accuracy.append(val_acc)
            if live is not None:
                live.log(history.steps, val=val_loss)
    if live is not None and callable(getattr(live, "close", None)):
        live.close()
    return history


def save_checkpoint(path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer, epoch: int, *,
                    scheduler: LRScheduler | None = None,
                    generator: torch.Generator | None = None) -> Path:
    """Save what an exact resume needs after ``epoch`` finished epochs; returns the file's path.

    The file holds the model's and optimizer's ``state_dict``, the scheduler's (or None), torch's
    random state (and CUDA's, where a GPU is present), ``generator``'s state (a DataLoader's
    ``loader.generator``, or None) and ``epoch``: :func:`load_checkpoint` puts them all back.
    """
    path = expect_path(path, "path")
    expect(path.parent.is_dir() and not path.is_dir(), "path", "a file in a folder that exists", str(path))
    _expect_model(model)
    _expect_optimizer(optimizer, model)
    expect_int(epoch, "epoch", low=0)
    _expect_scheduler(scheduler, optimizer)
    _expect_generator(generator)

    checkpoint = {
        "epoch": epoch,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "generator_rng": None if generator is None else generator.get_state(),
    }
    if torch.cuda.is_available():
        checkpoint["cuda_rng"] = torch.cuda.get_rng_state_all()
    torch.save(checkpoint, path)
    return path


def _read_checkpoint(path: Path, scheduler: LRScheduler | None,
                     generator: torch.Generator | None) -> dict[str, Any]:
    """The checkpoint in ``path``, refused unless it holds a state for each object passed, and only those."""
    with wrapped(f"torch.load({path.name!r}, weights_only=True)"):
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    missing = [k for k in CHECKPOINT_KEYS if not isinstance(checkpoint, dict) or k not in checkpoint]
    expect(not missing, "path", "a checkpoint written by save_checkpoint (keys "
           f"{', '.join(CHECKPOINT_KEYS)})", f"{path.name}, without {', '.join(missing)}")
    for name, given in (("scheduler", scheduler), ("generator", generator)):
        saved = checkpoint["scheduler" if name == "scheduler" else "generator_rng"] is not None
        if saved != (given is not None):
            raise CourseInputError(
                f"{name}: the checkpoint {'holds' if saved else 'holds no'} {name} state, but "
                f"{'none was' if saved else 'one was'} passed; pass the same objects as to save_checkpoint, "
                "or the resumed run will differ from the uninterrupted one.")
    return checkpoint


def load_checkpoint(path: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer, *,
                    scheduler: LRScheduler | None = None,
                    generator: torch.Generator | None = None) -> int:
    """Put back everything :func:`save_checkpoint` saved; returns the epoch to continue from.

    The file is read with ``weights_only=True`` (tensors and plain containers only, no code).
    """
    path = expect_path(path, "path", exists="file")
    _expect_model(model)
    _expect_optimizer(optimizer, model)
    _expect_scheduler(scheduler, optimizer)
    _expect_generator(generator)
    checkpoint = _read_checkpoint(path, scheduler, generator)

    with wrapped("model.load_state_dict (the checkpoint was saved from another architecture?)"):
        model.load_state_dict(checkpoint["model"])
    with wrapped("optimizer.load_state_dict (the checkpoint was saved with another optimizer?)"):
        optimizer.load_state_dict(checkpoint["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(checkpoint["scheduler"])
    torch.set_rng_state(checkpoint["torch_rng"])
    if generator is not None:
        generator.set_state(checkpoint["generator_rng"])
    if "cuda_rng" in checkpoint and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(checkpoint["cuda_rng"])
    return checkpoint["epoch"]
