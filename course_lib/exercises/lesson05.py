"""Checks for lesson 05 (PyTorch modules, losses, optimizers and the training loop)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from course_lib.exercises.core import Exercise, register, require
from course_lib.solutions import lesson05 as solutions


def _small_net(seed: int, dropout: float = 0.0) -> nn.Sequential:
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        layers: list[nn.Module] = [nn.Linear(64, 32), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        layers.append(nn.Linear(32, 10))
        return nn.Sequential(*layers)


def _batch(seed: int, n: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 64, generator=g), torch.randint(0, 10, (n,), generator=g)


# -- 05.count_parameters -------------------------------------------------------------------
def _check_count_parameters(fn: Callable[[nn.Module], Any]) -> str:
    model = _small_net(0)
    expected = 64 * 32 + 32 + 32 * 10 + 10
    got = fn(model)
    require(isinstance(got, int) and not isinstance(got, bool), "count_parameters(model)",
            "an int", type(got).__name__, "sum p.numel() over the parameters, a Python int.")
    require(got != 4, "count_parameters(model)", expected, got,
            "4 is the number of parameter tensors (two weights, two biases): count the numbers "
            "inside them with p.numel().")
    require(got != 64 * 32 + 32 * 10, "count_parameters(model)", expected, got,
            "you counted the weights only: the biases are parameters too.")
    require(got == expected, "count_parameters(model)", expected, got,
            "64·32 + 32 for the first layer, 32·10 + 10 for the second.")
    frozen = _small_net(0)
    for p in frozen[0].parameters():
        p.requires_grad_(False)
    got_frozen = fn(frozen)
    require(got_frozen == 32 * 10 + 10, "count_parameters(model with its first layer frozen)",
            32 * 10 + 10, got_frozen,
            "count only the parameters the optimizer will train: those with requires_grad.")
    return f"{expected} trainable numbers, and {32 * 10 + 10} once the first layer is frozen."


register(Exercise(
    id="05.count_parameters",
    title="Count a model's trainable parameters",
    checker=_check_count_parameters,
    solution=solutions.count_parameters,
    wrong=(
        lambda: (lambda model: len(list(model.parameters()))),
        lambda: (lambda model: sum(p.numel() for p in model.parameters())),
        lambda: (lambda model: sum(p.numel() for n, p in model.named_parameters()
                                   if n.endswith("weight"))),
    ),
))


# -- 05.train_step -------------------------------------------------------------------------
def _check_train_step(fn: Callable[..., Any]) -> str:
    model, reference = _small_net(1), _small_net(1)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    ref_opt = torch.optim.SGD(reference.parameters(), lr=0.5)
    for step in range(1, 4):
        x, y = _batch(step)
        got = fn(model, opt, x, y)
        expected = solutions.train_step(reference, ref_opt, x, y)
        require(isinstance(got, float), f"train_step's return value at step {step}",
                "a Python float (the loss)", type(got).__name__,
                "return loss.item(): a plain number, detached from the graph.")
        same = all(torch.allclose(p, q, atol=1e-6)
                   for p, q in zip(model.parameters(), reference.parameters(), strict=True))
        require(abs(got - expected) < 1e-5, f"loss at step {step}", round(expected, 5),
                round(got, 5), "use nn.functional.cross_entropy(model(x), y), computed before "
                "the update." if step == 1 else
                "the loss drifted after step 1: is the update applied once per call?")
        require(same, f"weights after step {step}", "the same as one SGD step from the reference",
                "different weights",
                "the first step updated nothing: call loss.backward() before optimizer.step()."
                if step == 1 else
                "gradients piled up from the previous step: call optimizer.zero_grad() before "
                "loss.backward().")
    return "three steps give the same losses and weights as the reference loop."


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


register(Exercise(
    id="05.train_step",
    title="One training step",
    checker=_check_train_step,
    solution=solutions.train_step,
    wrong=(
        lambda: _step_without_zero_grad,
        lambda: _step_before_backward,
        lambda: (lambda model, optimizer, x, y: solutions.train_step(model, optimizer, x, y) * 2),
    ),
))


# -- 05.predict ----------------------------------------------------------------------------
def _check_predict(fn: Callable[[nn.Module, torch.Tensor], Any]) -> str:
    model = _small_net(2, dropout=0.5)
    model.train()
    grad_modes: list[bool] = []
    model.register_forward_hook(lambda module, args, out: grad_modes.append(torch.is_grad_enabled()))
    x, _ = _batch(7, n=64)
    reference = copy.deepcopy(model).eval()
    with torch.no_grad():
        expected = reference(x).argmax(dim=1)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        got = fn(model, x)
    require(isinstance(got, torch.Tensor), "predict(model, x)", "a tensor of class indices",
            type(got).__name__, "return model(x).argmax(dim=1).")
    require(got.shape == expected.shape, "shape of predict(model, x)", tuple(expected.shape),
            tuple(got.shape), "one class per row: argmax over dim=1, the class scores.")
    require(torch.equal(got.long(), expected), "predict(model, x)",
            "the predictions of the model in eval mode",
            f"{int((got.long() != expected).sum())} of {len(x)} rows different",
            "the model has dropout: call model.eval() first, or it drops random units.")
    require(grad_modes and not any(grad_modes), "autograd during predict", "switched off",
            "on", "wrap the forward pass in `with torch.no_grad():` so no graph is recorded.")
    return "eval-mode predictions, computed without recording a graph."


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


register(Exercise(
    id="05.predict",
    title="Predict classes in eval mode without gradients",
    checker=_check_predict,
    solution=solutions.predict,
    wrong=(
        lambda: _predict_train_mode,
        lambda: _predict_with_grad,
        lambda: _predict_wrong_dim,
    ),
))
