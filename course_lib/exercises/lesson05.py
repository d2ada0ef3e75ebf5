"""Checks for lesson 05 (PyTorch modules, losses, optimizers and the training loop)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
import torch
from torch import nn

from course_lib.errors import is_int
from course_lib.exercises.core import Exercise, Wrong, register, require
from course_lib.solutions import lesson05 as solutions

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
