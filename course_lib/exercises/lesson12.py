"""Checks for lesson 12 (choosing a framework)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from course_lib.exercises.core import Exercise, register, require
from course_lib.solutions import lesson12 as solutions
from course_lib.twolayer import two_layer_problem


def _leaky_reference(x: np.ndarray, y: np.ndarray, w1: np.ndarray,
                     w2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w1_t = torch.tensor(w1, requires_grad=True)
    w2_t = torch.tensor(w2, requires_grad=True)
    h = torch.nn.functional.leaky_relu(torch.from_numpy(x) @ w1_t, negative_slope=0.01)
    loss = (h @ w2_t - torch.from_numpy(y)).pow(2).sum()
    loss.backward()
    return w1_t.grad.numpy(), w2_t.grad.numpy()


def _check_gradients(fn: Callable[..., Any]) -> str:
    x, y, w1, w2 = two_layer_problem(seed=3, n=8, d_in=5, h=6, d_out=3, dtype=np.float64)
    want1, want2 = _leaky_reference(x, y, w1, w2)
    got = fn(x.copy(), y.copy(), w1.copy(), w2.copy())
    what = "leaky_gradients(x, y, w1, w2)"
    require(isinstance(got, (tuple, list)) and len(got) == 2, what,
            "a pair (grad_w1, grad_w2)", type(got).__name__, "return grad_w1, grad_w2")
    g1, g2 = (np.asarray(g, dtype=float) for g in got)
    require(g2.shape == w2.shape, "grad_w2.shape", w2.shape, g2.shape,
            "a gradient has the shape of its weight: h_act.T @ grad_y_pred.")
    require(g1.shape == w1.shape, "grad_w1.shape", w1.shape, g1.shape,
            "a gradient has the shape of its weight: x.T @ grad_h.")
    require(not np.allclose(g2, want2 / 2), "grad_w2", "the autograd gradient", "half of it",
            "the derivative of (y_pred - y)**2 is 2 * (y_pred - y).")
    require(np.allclose(g2, want2), "grad_w2", np.round(want2[0], 3), np.round(g2[0], 3),
            "the forward pass uses leaky ReLU too: h_act = where(h > 0, h, 0.01 * h).")
    require(np.allclose(g1, want1), "grad_w1", np.round(want1[0], 3), np.round(g1[0], 3),
            "leaky ReLU passes the gradient unchanged where h > 0 and times 0.01 where h <= 0.")
    return "your hand-written backward pass equals PyTorch autograd's for leaky ReLU."


def _relu_gradients(x: np.ndarray, y: np.ndarray, w1: np.ndarray,
                    w2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A known-wrong answer: the plain ReLU backward pass, not updated for leaky ReLU."""
    h = x @ w1
    h_relu = np.maximum(h, 0)
    grad_y_pred = 2.0 * (h_relu @ w2 - y)
    grad_h = grad_y_pred @ w2.T
    grad_h[h < 0] = 0
    return x.T @ grad_h, h_relu.T @ grad_y_pred


def _check_learning_rate(answer: Any) -> str:
    require(isinstance(answer, (int, float)) and not isinstance(answer, bool), "answer", "a number",
            type(answer).__name__)
    require(not np.isclose(answer, 1e-6), "learning rate for loss='mse'", 6.4e-4, answer,
            "'mse' averages the squared errors, so its gradient is smaller than the sum's.")
    require(not np.isclose(answer, 6.4e-5), "learning rate for loss='mse'", 6.4e-4, answer,
            "the mean is over every element, n * d_out of them, not only over the n rows.")
    require(not np.isclose(answer, 1e-5), "learning rate for loss='mse'", 6.4e-4, answer,
            "the mean is over every element, n * d_out of them, not only over the d_out columns.")
    require(np.isclose(answer, 6.4e-4), "learning rate for loss='mse'", 6.4e-4, answer,
            "the mean divides the sum by n * d_out = 640; scale the step size up by the same factor.")
    return "1e-6 * 64 * 10 = 6.4e-4: the same steps with the mean loss."


def _check_linear_weight(fn: Callable[[np.ndarray], Any]) -> str:
    rng = np.random.default_rng(12)
    w = rng.standard_normal((5, 3))  # (in_features, out_features), as x @ w uses it
    x = rng.standard_normal((4, 5))
    got = fn(w.copy())
    require(isinstance(got, torch.Tensor), "to_linear_weight(w)", "a torch.Tensor",
            type(got).__name__, "convert with torch.from_numpy (or torch.tensor).")
    require(tuple(got.shape) == (3, 5), "to_linear_weight(w).shape", (3, 5), tuple(got.shape),
            "nn.Linear(5, 3).weight has shape (out_features, in_features) = (3, 5).")
    layer = torch.nn.Linear(5, 3, bias=False).double()
    with torch.no_grad():
        layer.weight.copy_(got)
        out = layer(torch.from_numpy(x)).numpy()
    require(np.allclose(out, x @ w), "nn.Linear with your weight, applied to x", "x @ w",
            "different numbers",
            "reshape keeps the memory order and scrambles the matrix: transpose it (w.T).")
    return "nn.Linear(5, 3) with that weight computes x @ w: PyTorch stores the transpose."


register(Exercise(
    id="12.leaky_gradients",
    title="Backpropagation by hand after a change to the forward pass",
    checker=_check_gradients,
    solution=solutions.leaky_gradients,
    wrong=(
        lambda: (lambda x, y, w1, w2: _relu_gradients(x, y, w1, w2)),
        lambda: (lambda x, y, w1, w2: tuple(g / 2 for g in solutions.leaky_gradients(x, y, w1, w2))),
        lambda: (lambda x, y, w1, w2: (solutions.leaky_gradients(x, y, w1, w2)[0],
                                       solutions.leaky_gradients(x, y, w1, w2)[1].T)),
    ),
))

register(Exercise(
    id="12.keras_mse_learning_rate",
    title="The learning rate that makes a mean loss take the lecture's steps",
    checker=_check_learning_rate,
    solution=solutions.keras_mse_learning_rate,
    kind="value",
    wrong=(lambda: 1e-6, lambda: 6.4e-5, lambda: 1e-5),
))

register(Exercise(
    id="12.to_linear_weight",
    title="Load a NumPy weight matrix into nn.Linear",
    checker=_check_linear_weight,
    solution=solutions.to_linear_weight,
    wrong=(
        lambda: (lambda w: torch.from_numpy(w)),
        lambda: (lambda w: torch.from_numpy(w.reshape(w.shape[1], w.shape[0]).copy())),
        lambda: (lambda w: w.T),
    ),
))
