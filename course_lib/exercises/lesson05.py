"""Checks for lesson 05 (PyTorch modules, losses, optimizers and the training loop)."""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast
from unittest import mock

import numpy as np
import torch
from torch import nn
from torch.optim.lr_scheduler import LRScheduler
from torch.utils.data import DataLoader

from course_lib.errors import is_int
from course_lib.exercises.core import Exercise, Wrong, register, require
from course_lib.solutions import lesson05 as solutions
from course_lib.training import make_loader, save_checkpoint, train_epoch

ModuleT = TypeVar("ModuleT", bound=nn.Module)


def _seeded(seed: int, build: Callable[[], ModuleT]) -> ModuleT:
    """``build()`` with its weights drawn from ``seed``, leaving the global RNG as it was."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return build()


def _small_net(seed: int, dropout: float = 0.0) -> nn.Sequential:
    def build() -> nn.Sequential:
        layers: list[nn.Module] = [nn.Linear(64, 32), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(32, 10))
        return nn.Sequential(*layers)

    return _seeded(seed, build)


def _batch(seed: int, n: int = 16, features: int = 64, classes: int = 10
           ) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, features, generator=g), torch.randint(0, classes, (n,), generator=g)


# -- 05.count_parameters -------------------------------------------------------------------
class _Custom(nn.Module):
    """Not a Sequential: nested layers, a bare nn.Parameter and a buffer."""

    mean: torch.Tensor  # the buffer registered in __init__

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(5, 7), nn.Tanh())
        self.head = nn.Linear(7, 3)
        self.scale = nn.Parameter(torch.ones(3))
        self.register_buffer("mean", torch.zeros(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x - self.mean)) * self.scale


def _count_models() -> list[tuple[str, nn.Module]]:
    frozen = _small_net(0)
    for p in frozen[0].parameters():
        p.requires_grad_(False)
    shared = _seeded(3, lambda: nn.Linear(16, 16))
    return [
        ("the lesson's net (Linear(64, 32), ReLU, Linear(32, 10))", _small_net(0)),
        ("a conv net (Conv2d(3, 8, 3), BatchNorm2d(8), ReLU, pooling, Linear(8, 4, bias=False))",
         _seeded(1, lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(),
                                          nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                                          nn.Linear(8, 4, bias=False)))),
        ("the lesson's net with its first layer frozen", frozen),
        ("a net that uses the same Linear(16, 16) twice (shared weights)",
         nn.Sequential(shared, nn.ReLU(), shared)),
        ("a custom nn.Module (nested layers, an nn.Parameter of its own, a buffer)",
         _seeded(2, _Custom)),
    ]


def _count_hint(model: nn.Module, got: Any) -> str:
    """The hint for a wrong count: a known mistake if ``got`` is what it gives, else the rule."""
    params = list(model.parameters())
    trainable = [p for p in params if p.requires_grad]
    by_layer = None  # layer by layer, a layer used twice counted twice
    if isinstance(model, nn.Sequential):
        by_layer = sum(p.numel() for layer in model for p in layer.parameters() if p.requires_grad)
    known = [
        (len(trainable), f"{len(trainable)} is the number of parameter tensors (weights, biases): "
                         "count the numbers inside them with p.numel()."),
        (len(params), f"{len(params)} is the number of parameter tensors: count the numbers inside "
                      "them with p.numel()."),
        (sum(p.numel() for p in params),
         "count only the parameters the optimizer will train: those with requires_grad."),
        (by_layer, "a layer used twice (shared weights) is trained once: model.parameters() lists each "
                   "parameter once; summing layer by layer counts it twice."),
        (sum(v.numel() for v in model.state_dict().values()),
         "state_dict() also holds buffers (here BatchNorm's running statistics, or a registered "
         "buffer), which are saved but not trained: count model.parameters()."),
        (sum(p.numel() for name, p in model.named_parameters() if name.endswith("weight")
             and p.requires_grad),
         "you counted the weights only: the biases (and any other nn.Parameter) are parameters too."),
        (sum(p.numel() for m in model.modules() for p in m.parameters()),
         "model.modules() lists the model itself and every layer inside it, so m.parameters() counts "
         "nested parameters more than once: sum over model.parameters() once."),
        (sum(p.shape[0] for p in trainable),
         "len(p) or p.shape[0] is only the first axis: p.numel() multiplies all of them."),
        (sum(p.shape[0] * (p.shape[1] if p.ndim > 1 else 1) for p in trainable),
         "p.shape[0] * p.shape[1] counts two axes only; a conv weight has four (out, in, kh, kw): "
         "p.numel() multiplies them all."),
        (0, "0, though the model has trainable parameters: p.grad stays None until a backward "
            "pass, so test p.requires_grad."),
    ]
    expected = sum(p.numel() for p in trainable)
    for value, hint in known:
        if got == value != expected:
            return hint
    return "sum p.numel() over model.parameters(), keeping those with p.requires_grad."


def _check_count_parameters(fn: Callable[[nn.Module], Any]) -> str:
    models = _count_models()
    for name, model in models:
        expected = sum(p.numel() for p in model.parameters() if p.requires_grad)
        what = f"count_parameters({name})"
        got = fn(model)
        require(is_int(got), what, "an int", f"{got!r} ({type(got).__name__})",
                "sum p.numel() over the parameters: a plain int (use .item() on a tensor).")
        require(got == expected, what, expected, got, _count_hint(model, got))
    return (f"the right count of trainable numbers for {len(models)} models: a linear net, a conv net "
            "with BatchNorm, a partly frozen net, one with shared weights and a custom module.")


def _count_tensors(model: nn.Module) -> int:
    return len(list(model.parameters()))


def _count_all(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _count_weights(model: nn.Module) -> int:
    return sum(p.numel() for n, p in model.named_parameters() if n.endswith("weight") and p.requires_grad)


def _count_first_axis(model: nn.Module) -> int:
    return sum(len(p) for p in model.parameters() if p.requires_grad)


def _count_two_axes(model: nn.Module) -> int:
    return sum(p.shape[0] * (p.shape[1] if p.ndim > 1 else 1) for p in model.parameters()
               if p.requires_grad)


def _count_state_dict(model: nn.Module) -> int:
    return sum(v.numel() for v in model.state_dict().values())


def _count_per_module(model: nn.Module) -> int:
    return sum(p.numel() for m in model.modules() for p in m.parameters() if p.requires_grad)


def _count_layer_by_layer(model: nn.Module) -> int:
    # the mistake: iterating over the model, as if every model were an nn.Sequential
    return sum(p.numel() for layer in cast(nn.Sequential, model) for p in layer.parameters()
               if p.requires_grad)


def _count_with_grad(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.grad is not None)


register(Exercise(
    id="05.count_parameters",
    title="Count a model's trainable parameters",
    checker=_check_count_parameters,
    solution=solutions.count_parameters,
    wrong=(
        Wrong(_count_tensors, "the number of parameter tensors (weights, biases)"),
        Wrong(_count_all, "those with requires_grad"),
        Wrong(_count_weights, "you counted the weights only"),
        Wrong(_count_first_axis, "is only the first axis"),
        Wrong(_count_two_axes, "a conv weight has four"),
        Wrong(_count_state_dict, "also holds buffers"),
        Wrong(_count_per_module, "counts nested parameters more than once"),
        Wrong(_count_layer_by_layer, "a layer used twice (shared weights)"),
        Wrong(_count_with_grad, "p.grad stays None"),
    ),
))


# -- 05.train_step -------------------------------------------------------------------------
def _train_runs() -> list[tuple[str, nn.Module, Callable[[Any], torch.optim.Optimizer], int, int,
                                tuple[int, ...]]]:
    """(description, model, optimizer factory, features, classes, batch sizes of its steps)."""
    tanh_net = _seeded(5, lambda: nn.Sequential(nn.Linear(20, 16), nn.Tanh(), nn.Linear(16, 5)))
    return [
        ("the lesson's net, SGD(lr=0.1, momentum=0.9)", _small_net(1),
         lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9), 64, 10, (16, 7, 33)),
        ("a Linear(20, 16), Tanh, Linear(16, 5) net, Adam(lr=0.01)", tanh_net,
         lambda params: torch.optim.Adam(params, lr=0.01), 20, 5, (12, 5)),
    ]


def _close(a: list[torch.Tensor | None], b: list[torch.Tensor]) -> bool:
    return all(p is not None and torch.allclose(p, q, rtol=1e-4, atol=1e-6)
               for p, q in zip(a, b, strict=True))


def _check_train_step(fn: Callable[..., Any]) -> str:
    runs = _train_runs()
    for run, model, make_optimizer, features, classes, sizes in runs:
        reference = copy.deepcopy(model)
        opt, ref_opt = make_optimizer(model.parameters()), make_optimizer(reference.parameters())
        seen: dict[str, Any] = {}

        def before_step(optimizer: Any, args: Any, kwargs: Any, seen: dict[str, Any] = seen,
                        model: nn.Module = model) -> None:
            seen["steps"] += 1  # and the gradients optimizer.step() is about to use
            seen["grads"] = [None if p.grad is None else p.grad.detach().clone()
                             for p in model.parameters()]

        opt.register_step_pre_hook(before_step)
        previous_grads: list[torch.Tensor] | None = None
        for step, n in enumerate(sizes, 1):
            x, y = _batch(100 * step + n, n, features, classes)
            with torch.no_grad():
                soft_loss = nn.functional.cross_entropy(torch.softmax(reference(x), dim=1), y).item()
            before = [p.detach().clone() for p in model.parameters()]
            seen.update(steps=0, grads=None)
            got = fn(model, opt, x, y)
            expected = solutions.train_step(reference, ref_opt, x, y)
            ref_grads = []
            for p in reference.parameters():
                assert p.grad is not None  # the reference train_step has just run backward()
                ref_grads.append(p.grad.detach().clone())
            with torch.no_grad():
                after_loss = nn.functional.cross_entropy(reference(x), y).item()
            where = f"step {step} of {run}, a batch of {n}"
            require(isinstance(got, float), f"train_step's return value at {where}",
                    "a Python float (the loss)", type(got).__name__,
                    "return loss.item(): a plain number, detached from the graph.")
            if abs(got - expected) > 1e-4:
                if abs(got - after_loss) < 1e-4:
                    hint = ("that is the loss after the update: return the loss you called backward "
                            "on, computed before optimizer.step().")
                elif abs(got - soft_loss) < 1e-4:
                    hint = ("cross_entropy takes the raw scores (logits) and applies log-softmax "
                            "itself: don't apply softmax first.")
                else:
                    hint = ("the loss is nn.functional.cross_entropy(model(x), y), with the model as "
                            "it was when train_step was called.")
                require(False, f"loss at {where}", round(expected, 5), round(got, 5), hint)
            if all(torch.allclose(p, q, rtol=1e-5, atol=1e-6)
                   for p, q in zip(model.parameters(), reference.parameters(), strict=True)):
                previous_grads = ref_grads
                continue
            unchanged = all(torch.equal(p, q) for p, q in zip(model.parameters(), before, strict=True))
            grads = seen["grads"]
            if seen["steps"] == 0:
                hint = ("the weights did not change: call optimizer.step() after loss.backward()."
                        if unchanged else
                        "the weights changed, but the optimizer passed in never stepped: update them "
                        "with optimizer.step(), not with a new optimizer (its settings and state "
                        "would be lost) or a hand-written update.")
            elif seen["steps"] > 1:
                hint = f"optimizer.step() ran {seen['steps']} times in one call: once per train_step."
            elif (grads is None or all(g is None or not g.any() for g in grads)) and any(
                    p.grad is not None and p.grad.any() for p in model.parameters()):
                hint = ("optimizer.step() ran before loss.backward(): there were no gradients yet "
                        "when it ran. Call loss.backward() first.")
            elif grads is None or all(g is None or not g.any() for g in grads):
                hint = ("when optimizer.step() ran there were no gradients: the order is "
                        "optimizer.zero_grad(), loss.backward(), optimizer.step() (zero_grad "
                        "between backward and step wipes them).")
            elif previous_grads is not None and _close(
                    grads, [a + b for a, b in zip(previous_grads, ref_grads, strict=True)]):
                hint = ("gradients piled up from the previous step: call optimizer.zero_grad() "
                        "before loss.backward().")
            elif _close(grads, ref_grads):
                hint = ("optimizer.step() saw the right gradients, yet the weights differ: change "
                        "them only through optimizer.step().")
            else:
                hint = ("optimizer.step() saw other gradients than those of "
                        "nn.functional.cross_entropy(model(x), y): zero them, then call "
                        "loss.backward() once on that loss.")
            require(False, f"weights after {where}",
                    "those of one step of the optimizer passed in", "different weights", hint)
            previous_grads = ref_grads
    return ("losses and weights match a reference loop over five steps, with two models, batches of "
            "several sizes and two optimizers (SGD with momentum, Adam).")


def _step_without_zero_grad(model: nn.Module, optimizer: Any, x: torch.Tensor,
                            y: torch.Tensor) -> float:
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_before_backward(model: nn.Module, optimizer: Any, x: torch.Tensor,
                          y: torch.Tensor) -> float:
    loss = nn.functional.cross_entropy(model(x), y)
    optimizer.zero_grad()
    optimizer.step()
    loss.backward()
    return loss.item()


def _step_zero_grad_late(model: nn.Module, optimizer: Any, x: torch.Tensor,
                         y: torch.Tensor) -> float:
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()


def _step_doubles_loss(model: nn.Module, optimizer: Any, x: torch.Tensor, y: torch.Tensor) -> float:
    return solutions.train_step(model, optimizer, x, y) * 2


def _step_own_optimizer(model: nn.Module, optimizer: Any, x: torch.Tensor, y: torch.Tensor) -> float:
    own = torch.optim.SGD(model.parameters(), lr=0.1)
    return solutions.train_step(model, own, x, y)


def _step_loss_after_update(model: nn.Module, optimizer: Any, x: torch.Tensor,
                            y: torch.Tensor) -> float:
    solutions.train_step(model, optimizer, x, y)
    with torch.no_grad():
        return nn.functional.cross_entropy(model(x), y).item()


def _step_softmax_first(model: nn.Module, optimizer: Any, x: torch.Tensor, y: torch.Tensor) -> float:
    loss = nn.functional.cross_entropy(torch.softmax(model(x), dim=1), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def _step_returns_tensor(model: nn.Module, optimizer: Any, x: torch.Tensor,
                         y: torch.Tensor) -> torch.Tensor:
    loss = nn.functional.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss


def _step_twice(model: nn.Module, optimizer: Any, x: torch.Tensor, y: torch.Tensor) -> float:
    loss = nn.functional.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    optimizer.step()
    return loss.item()


register(Exercise(
    id="05.train_step",
    title="One training step",
    checker=_check_train_step,
    solution=solutions.train_step,
    wrong=(
        Wrong(_step_without_zero_grad, "gradients piled up"),
        Wrong(_step_before_backward, "there were no gradients yet"),
        Wrong(_step_zero_grad_late, "wipes them"),
        Wrong(_step_doubles_loss, "with the model as it was when train_step was called"),
        Wrong(_step_own_optimizer, "the optimizer passed in never stepped"),
        Wrong(_step_loss_after_update, "that is the loss after the update"),
        Wrong(_step_softmax_first, "don't apply softmax first"),
        Wrong(_step_returns_tensor, "return loss.item()"),
        Wrong(_step_twice, "once per train_step"),
    ),
))


# -- 05.predict ----------------------------------------------------------------------------
def _bn_net() -> nn.Sequential:
    def build() -> nn.Sequential:
        net = nn.Sequential(nn.Linear(20, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.3),
                            nn.Linear(16, 5))
        with torch.no_grad():  # running statistics unlike any one batch's, so eval mode shows
            bn = net[1]
            assert isinstance(bn, nn.BatchNorm1d)
            assert bn.running_mean is not None and bn.running_var is not None  # track_running_stats
            bn.running_mean.copy_(torch.randn(16))
            bn.running_var.copy_(torch.rand(16) + 0.5)
        return net

    return _seeded(3, build)


def _predict_cases() -> list[tuple[str, nn.Module, torch.Tensor]]:
    return [
        ("a net with BatchNorm and dropout, 5 rows, 5 classes", _bn_net(), _batch(8, 5, 20, 5)[0]),
        ("a net with dropout, 64 rows, 10 classes", _small_net(2, dropout=0.5), _batch(7, n=64)[0]),
        ("a net with dropout, 1 row", _small_net(4, dropout=0.5), _batch(9, n=1)[0]),
    ]


def _check_predict(fn: Callable[[nn.Module, torch.Tensor], Any]) -> str:
    cases = _predict_cases()
    for name, model, x in cases:
        model.train()
        with torch.no_grad():
            scores = copy.deepcopy(model).eval()(x)
        seen: list[tuple[bool, bool]] = []  # (autograd on, some layer in training mode) per forward
        first = next(m for m in model.modules() if isinstance(m, nn.Linear))
        first.register_forward_pre_hook(lambda module, args, model=model, seen=seen: seen.append(
            (torch.is_grad_enabled(), any(m.training for m in model.modules()))))
        expected = scores.argmax(dim=1)
        with torch.random.fork_rng():
            torch.manual_seed(0)
            got = fn(model, x)
        what = f"predict(model, x) for {name}"
        require(not (isinstance(got, tuple) and len(got) == 2), what, "a tensor of class indices",
                "a pair", "torch.max returns (values, indices): keep the indices, or use argmax(dim=1).")
        require(isinstance(got, torch.Tensor), what, "a tensor of class indices",
                type(got).__name__, "return a torch tensor, not a NumPy array: model(x).argmax(dim=1)."
                if isinstance(got, np.ndarray) else "return model(x).argmax(dim=1).")
        n, c = scores.shape
        if got.shape != expected.shape:
            if tuple(got.shape) == (n, c):
                hint = (f"those are scores (or probabilities), {c} per row: the class is the index of "
                        "the largest, argmax(dim=1).")
            elif got.ndim == 0 and n == 1:
                hint = ("with one row, argmax() without dim or .squeeze() gives a 0-d tensor: "
                        "argmax(dim=1) keeps one class per row, shape (1,).")
            else:
                hint = "one class per row: argmax over dim=1, the class scores, gives shape (N,)."
            require(False, f"shape of {what}", tuple(expected.shape), tuple(got.shape), hint)
        require(not got.is_floating_point() and not got.is_complex() and got.dtype != torch.bool,
                f"dtype of {what}", "integers (torch.int64)", got.dtype,
                "argmax gives integer class indices: keep them as integers, don't convert to float.")
        if not torch.equal(got.long(), expected):
            if any(training for _, training in seen):
                hint = ("the model was in training mode during your forward pass: dropout drops random "
                        "units (and BatchNorm uses the batch's own statistics). Call model.eval() first.")
            elif not seen:
                hint = "your function did not run the model: compute model(x), then argmax(dim=1)."
            elif torch.equal(got.long(), scores.argmax(dim=0)):
                hint = ("argmax over dim=0 picks, for each class, the row that scores highest: take "
                        "dim=1, over the classes of each row.")
            else:
                hint = "the class of a row is the index of its largest score: model(x).argmax(dim=1)."
            require(False, what, "the predictions of the model in eval mode",
                    f"{int((got.long() != expected).sum())} of {n} rows different", hint)
        require(bool(seen) and not any(grad for grad, _ in seen), f"autograd during {what}",
                "switched off", "on", "autograd was recording during your forward pass: wrap it in "
                "`with torch.no_grad():` so no graph is recorded.")
    return ("eval-mode predictions, one integer class per row, computed without recording a graph, for "
            "three models (dropout, BatchNorm) and batches of 5, 64 and 1 rows.")


def _predict_train_mode(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return model(x).argmax(dim=1)


def _predict_with_grad(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    model.eval()
    return model(x).argmax(dim=1)


def _predict_wrong_dim(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model(x).argmax(dim=0)


def _predict_flat_argmax(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model(x).argmax()


def _predict_scores(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return torch.softmax(model(x), dim=1)


def _predict_max_pair(model: nn.Module, x: torch.Tensor) -> Any:
    model.eval()
    with torch.no_grad():
        return torch.max(model(x), 1)


def _predict_squeezed(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model(x).argmax(dim=1).squeeze()


def _predict_float(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model(x).argmax(dim=1).float()


register(Exercise(
    id="05.predict",
    title="Predict classes in eval mode without gradients",
    checker=_check_predict,
    solution=solutions.predict,
    wrong=(
        Wrong(_predict_train_mode, "in training mode during your forward pass"),
        Wrong(_predict_with_grad, "autograd was recording"),
        Wrong(_predict_wrong_dim, "argmax over dim=0 picks"),
        Wrong(_predict_flat_argmax, "one class per row: argmax over dim=1"),
        Wrong(_predict_scores, "those are scores"),
        Wrong(_predict_max_pair, "torch.max returns (values, indices)"),
        Wrong(_predict_squeezed, "with one row"),
        Wrong(_predict_float, "keep them as integers"),
    ),
))


# -- 05.resume -----------------------------------------------------------------------------
class _ResumeRun(NamedTuple):
    """One training run the check interrupts: its optimizer and schedule, its length and where it stops."""

    name: str
    make_optimizer: Callable[[Any], torch.optim.Optimizer]
    make_scheduler: Callable[[torch.optim.Optimizer, int], LRScheduler]  # (optimizer, total steps)
    epochs: int
    stop_after: int  # the checkpoint is saved after this many finished epochs


_RESUME_RUNS = (
    _ResumeRun("AdamW with a one-cycle schedule, 4 epochs, stopped after 2",
               lambda params: torch.optim.AdamW(params, lr=1e-2, weight_decay=0.01),
               lambda opt, total: torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=total),
               4, 2),
    _ResumeRun("SGD with momentum and a cosine schedule, 3 epochs, stopped after 1",
               lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9),
               lambda opt, total: torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total),
               3, 1),
)


class _Trainer(NamedTuple):
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: LRScheduler
    loader: DataLoader


def _resume_trainer(run: _ResumeRun, weights_seed: int) -> _Trainer:
    """A net with dropout, its optimizer and schedule, and a shuffling loader over 80 examples."""
    model = _seeded(weights_seed, lambda: nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Dropout(0.3),
                                                        nn.Linear(16, 3)))
    x, y = _batch(21, n=80, features=8, classes=3)
    loader = make_loader(x, y, batch_size=16, seed=0)
    optimizer = run.make_optimizer(model.parameters())
    return _Trainer(model, optimizer, run.make_scheduler(optimizer, run.epochs * len(loader)), loader)


def _train_epochs(t: _Trainer, epochs: range) -> list[list[float]]:
    """The batch losses of each epoch in ``epochs`` (the loop of the lesson, from course_lib)."""
    return [train_epoch(t.model, t.loader, t.optimizer, scheduler=t.scheduler) for _ in epochs]


class _Restored(NamedTuple):
    """The states a resume left in the objects it was given, taken before training goes on."""

    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    scheduler_step: int
    torch_rng: torch.Tensor
    generator_rng: torch.Tensor


def _restored(t: _Trainer) -> _Restored:
    assert t.loader.generator is not None  # make_loader gives each loader its own generator
    return _Restored(copy.deepcopy(t.model.state_dict()), copy.deepcopy(t.optimizer.state_dict()["state"]),
                     t.scheduler.last_epoch, torch.get_rng_state(), t.loader.generator.get_state())


def _same_optimizer_state(got: dict[str, Any], saved: dict[str, Any]) -> bool:
    return got.keys() == saved.keys() and all(
        got[k].keys() == saved[k].keys()
        and all(torch.equal(torch.as_tensor(got[k][n]), torch.as_tensor(saved[k][n])) for n in saved[k])
        for k in saved)


def _resume_hint(checkpoint: dict[str, Any], got: _Restored) -> str:
    """What the resume left out, found by comparing each restored state with the checkpoint."""
    if not all(torch.equal(got.model[k], v) for k, v in checkpoint["model"].items()):
        return "the weights are not the saved ones: model.load_state_dict(checkpoint['model'])."
    if not _same_optimizer_state(got.optimizer, checkpoint["optimizer"]["state"]):
        return ("the optimizer started afresh, without its momentum (or Adam's running averages and step "
                "count): restore them with optimizer.load_state_dict(checkpoint['optimizer']).")
    if got.scheduler_step != checkpoint["scheduler"]["last_epoch"]:
        return (f"the schedule is at step {got.scheduler_step} instead of "
                f"{checkpoint['scheduler']['last_epoch']}, so the learning rate starts over: restore it "
                "with scheduler.load_state_dict(checkpoint['scheduler']).")
    if not torch.equal(got.torch_rng, checkpoint["torch_rng"]):
        return ("dropout drew other masks than the uninterrupted run: put torch's random state back "
                "with torch.set_rng_state(checkpoint['torch_rng']).")
    if not torch.equal(got.generator_rng, checkpoint["generator_rng"]):
        return ("the batches came in another order: the DataLoader shuffles with its own generator; "
                "put its state back with generator.set_state(checkpoint['generator_rng']).")
    return ("restore the model, the optimizer, the scheduler, torch's random state and the generator's "
            "from the checkpoint, and return checkpoint['epoch'].")


def _watching_loads(fn: Callable[..., Any], *args: Any) -> tuple[Any, list[dict[str, Any]]]:
    """``fn(*args)``, and the keyword arguments of each torch.load it made."""
    loaded_with: list[dict[str, Any]] = []
    real_load = torch.load

    def spy(*load_args: Any, **kwargs: Any) -> Any:
        loaded_with.append(kwargs)
        return real_load(*load_args, **kwargs)

    with mock.patch.object(torch, "load", spy):
        return fn(*args), loaded_with


def _check_resume(fn: Callable[..., Any]) -> str:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # nets this small train faster on one thread, far faster on a busy machine
    try:
        return _check_resume_runs(fn)
    finally:
        torch.set_num_threads(threads)


def _check_resume_runs(fn: Callable[..., Any]) -> str:
    for run in _RESUME_RUNS:
        with torch.random.fork_rng(), tempfile.TemporaryDirectory() as folder:
            torch.manual_seed(1)
            truth = _train_epochs(_resume_trainer(run, weights_seed=5), range(run.epochs))

            torch.manual_seed(1)  # the same run again, stopped and saved after run.stop_after epochs
            first = _resume_trainer(run, weights_seed=5)
            _train_epochs(first, range(run.stop_after))
            path = save_checkpoint(Path(folder) / "checkpoint.pt", first.model, first.optimizer,
                                   run.stop_after, scheduler=first.scheduler,
                                   generator=first.loader.generator)
            checkpoint = torch.load(path, weights_only=True)

            torch.manual_seed(99)  # a new session: other weights, fresh objects, another random state
            t = _resume_trainer(run, weights_seed=6)
            start, loaded_with = _watching_loads(fn, path, t.model, t.optimizer, t.scheduler,
                                                 t.loader.generator)
            require(is_int(start), f"what resume returned for {run.name}",
                    "the epoch to continue from (an int)", f"{start!r} ({type(start).__name__})",
                    "return checkpoint['epoch'].")
            require(all(kw.get("weights_only", True) is not False for kw in loaded_with),
                    f"how resume read the file ({run.name})", "torch.load(path, weights_only=True)",
                    "weights_only=False", "you loaded with weights_only=False, which lets the file run "
                    "code while it is read: keep weights_only=True (tensors and plain containers only).")
            if start != run.stop_after:
                hint = ("restarting at epoch 0 trains the finished epochs twice: return "
                        "checkpoint['epoch'], the number of epochs already done."
                        if start == 0 else
                        f"checkpoint['epoch'] counts the finished epochs ({run.stop_after}), so the next "
                        f"epoch's index is {run.stop_after}: return it as it is.")
                require(False, f"the epoch resume returned for {run.name}", run.stop_after, start, hint)
            got = _restored(t)
            resumed = _train_epochs(t, range(start, run.epochs))
            expected = f"the {run.epochs - run.stop_after} epochs of the uninterrupted run, bit for bit"
            require(resumed == truth[run.stop_after:], f"the losses after resuming {run.name}", expected,
                    "other losses from the first resumed step on", _resume_hint(checkpoint, got))
    return ("resumed mid-run, the losses equal an uninterrupted run's bit for bit, for two runs (AdamW "
            "with one-cycle, SGD with momentum and cosine), with dropout and shuffled batches.")


def _resume_without(*skip: str) -> Callable[..., int]:
    """The reference resume, leaving out the restores named in ``skip``."""

    def resume(path: Any, model: nn.Module, optimizer: Any, scheduler: Any,
               generator: torch.Generator) -> int:
        checkpoint = torch.load(path, weights_only=True)
        if "model" not in skip:
            model.load_state_dict(checkpoint["model"])
        if "optimizer" not in skip:
            optimizer.load_state_dict(checkpoint["optimizer"])
        if "scheduler" not in skip:
            scheduler.load_state_dict(checkpoint["scheduler"])
        if "torch_rng" not in skip:
            torch.set_rng_state(checkpoint["torch_rng"])
        if "generator_rng" not in skip:
            generator.set_state(checkpoint["generator_rng"])
        return checkpoint["epoch"]

    return resume


def _resume_from_zero(path: Any, model: nn.Module, optimizer: Any, scheduler: Any,
                      generator: torch.Generator) -> int:
    solutions.resume(path, model, optimizer, scheduler, generator)
    return 0


def _resume_one_late(path: Any, model: nn.Module, optimizer: Any, scheduler: Any,
                     generator: torch.Generator) -> int:
    return solutions.resume(path, model, optimizer, scheduler, generator) + 1


def _resume_unsafe_load(path: Any, model: nn.Module, optimizer: Any, scheduler: Any,
                        generator: torch.Generator) -> int:
    real_load = torch.load
    with mock.patch.object(torch, "load", lambda p, **kw: real_load(p, weights_only=False)):
        return solutions.resume(path, model, optimizer, scheduler, generator)


register(Exercise(
    id="05.resume",
    title="Resume training exactly from a checkpoint",
    checker=_check_resume,
    solution=solutions.resume,
    wrong=(
        Wrong(_resume_without("optimizer"), "optimizer.load_state_dict(checkpoint['optimizer'])"),
        Wrong(_resume_without("scheduler"), "scheduler.load_state_dict(checkpoint['scheduler'])"),
        Wrong(_resume_without("torch_rng"), "torch.set_rng_state(checkpoint['torch_rng'])"),
        Wrong(_resume_without("generator_rng"), "generator.set_state(checkpoint['generator_rng'])"),
        Wrong(_resume_without("model"), "model.load_state_dict(checkpoint['model'])"),
        Wrong(_resume_from_zero, "restarting at epoch 0"),
        Wrong(_resume_one_late, "counts the finished epochs"),
        Wrong(_resume_unsafe_load, "you loaded with weights_only=False"),
    ),
))
