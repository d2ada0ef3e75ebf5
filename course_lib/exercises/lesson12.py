"""Checks for lesson 12 (choosing a framework)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from course_lib.exercises.core import Exercise, Mismatch, Wrong, register, require
from course_lib.solutions import lesson12 as solutions
from course_lib.twolayer import two_layer_problem

# --- 12.leaky_gradients -----------------------------------------------------------------------

Grads = tuple[np.ndarray, np.ndarray]


def _leaky_reference(x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> Grads:
    """The right gradients, from PyTorch autograd (in float64 whatever the data's type)."""
    w1_t = torch.tensor(w1, dtype=torch.float64, requires_grad=True)
    w2_t = torch.tensor(w2, dtype=torch.float64, requires_grad=True)
    x_t, y_t = (torch.tensor(a, dtype=torch.float64) for a in (x, y))
    h = torch.nn.functional.leaky_relu(x_t @ w1_t, negative_slope=0.01)
    loss = (h @ w2_t - y_t).pow(2).sum()
    loss.backward()
    assert w1_t.grad is not None and w2_t.grad is not None  # both are leaves with requires_grad
    return w1_t.grad.numpy(), w2_t.grad.numpy()


def _backprop(x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray, forward_slope: float,
              backward: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Grads:
    """A backward pass by hand: activation slope ``forward_slope`` below 0, ``backward`` for grad_h."""
    x, y, w1, w2 = (np.asarray(a, dtype=np.float64) for a in (x, y, w1, w2))
    h = x @ w1
    h_act = np.where(h > 0, h, forward_slope * h)
    grad_y_pred = 2.0 * (h_act @ w2 - y)
    grad_h = backward(grad_y_pred @ w2.T, h)
    return x.T @ grad_h, h_act.T @ grad_y_pred


def _leaky_back(g: np.ndarray, h: np.ndarray) -> np.ndarray:
    return np.where(h > 0, g, 0.01 * g)


def _relu_back(g: np.ndarray, h: np.ndarray) -> np.ndarray:
    return np.where(h > 0, g, 0.0)


def _constant_back(g: np.ndarray, h: np.ndarray) -> np.ndarray:  # grad_h[h < 0] = 0.01
    return np.where(h > 0, g, 0.01)


def _known_mistakes(x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray,
                    want: Grads) -> list[tuple[Grads, str]]:
    """(the gradients a known mistake gives, the hint for it), most specific first."""
    n, d_out = y.shape
    return [
        (_backprop(x, y, w1, w2, 0.0, _relu_back),
         "that is the plain ReLU network's backward pass: with leaky ReLU, the forward pass and the "
         "backward pass both change."),
        ((want[0] / 2, want[1] / 2), "both gradients are half the right ones: the derivative of "
         "(y_pred - y)**2 is 2 * (y_pred - y)."),
        ((want[0] / (n * d_out), want[1] / (n * d_out)),
         "that is the gradient of the mean squared error; the loss here is the sum of the squared "
         "errors, as in the lecture."),
        (_backprop(x, y, w1, w2, 0.0, _leaky_back),
         "the backward pass is leaky, but the forward pass still uses plain ReLU: "
         "h_act = where(h > 0, h, 0.01 * h) there too."),
        (_backprop(x, y, w1, w2, 0.01, _relu_back),
         "grad_w2 is right, but the backward pass still sets the gradient to 0 where h <= 0: "
         "leaky ReLU lets 0.01 times it through there."),
        (_backprop(x, y, w1, w2, 0.01, _constant_back),
         "grad_w2 is right, but grad_h is the number 0.01 where h <= 0: the gradient there is "
         "0.01 times grad_h_act, so multiply it by 0.01 instead of setting it."),
        ((want[0], want[1].T), "grad_w2 is the transpose of the right one: h_act.T @ grad_y_pred."),
    ]


def _as_array(g: Any, what: str) -> np.ndarray:
    try:
        return np.asarray(g, dtype=float)
    except (TypeError, ValueError, RuntimeError):
        raise Mismatch(what, "a NumPy array", type(g).__name__,
                       "return NumPy arrays (a torch tensor that requires grad needs .detach()).") from None


def _check_gradients(fn: Callable[..., Any]) -> str:
    cases = [  # (seed, n, d_in, h, d_out, dtype): every size differs, so no weight is square...
        (3, 8, 5, 6, 3, np.float64), (4, 5, 3, 7, 2, np.float64), (5, 1, 6, 4, 1, np.float64),
        (6, 12, 4, 5, 5, np.float64),  # ... except w2 here (h == d_out)
        (7, 16, 9, 11, 4, np.float32),
    ]
    for seed, n, d_in, hidden, d_out, dtype in cases:
        x, y, w1, w2 = two_layer_problem(seed=seed, n=n, d_in=d_in, h=hidden, d_out=d_out, dtype=dtype)
        want = _leaky_reference(x, y, w1, w2)
        got = fn(x.copy(), y.copy(), w1.copy(), w2.copy())
        what = (f"leaky_gradients(x, y, w1, w2) with x {x.shape}, w1 {w1.shape}, w2 {w2.shape} "
                f"({np.dtype(dtype).name})")
        require(isinstance(got, (tuple, list)) and len(got) == 2, what,
                "a pair (grad_w1, grad_w2)", type(got).__name__, "return grad_w1, grad_w2")
        g1, g2 = _as_array(got[0], "grad_w1"), _as_array(got[1], "grad_w2")
        require(not (g1.shape == w2.shape and g2.shape == w1.shape), f"the shapes, {what}",
                f"grad_w1 {w1.shape}, grad_w2 {w2.shape}", f"{g1.shape}, {g2.shape}",
                "the pair is swapped: return grad_w1 first, then grad_w2.")
        require(g2.shape == w2.shape, f"grad_w2.shape, {what}", w2.shape, g2.shape,
                "a gradient has the shape of its weight: h_act.T @ grad_y_pred.")
        require(g1.shape == w1.shape, f"grad_w1.shape, {what}", w1.shape, g1.shape,
                "the gradient of w1 has w1's shape: x.T @ grad_h.")
        tol = 1e-4 if dtype == np.float32 else 1e-7

        def close(a: np.ndarray, b: np.ndarray, tol: float = tol) -> bool:
            return a.shape == b.shape and np.allclose(a, b, rtol=tol, atol=tol * (np.abs(b).max() + 1e-12))

        if close(g1, want[0]) and close(g2, want[1]):
            continue
        for (m1, m2), hint in _known_mistakes(x, y, w1, w2, want):
            differs = not (close(m1, want[0]) and close(m2, want[1]))
            if differs and close(g1, m1) and close(g2, m2):
                raise Mismatch(f"the gradients, {what}", "PyTorch autograd's", "different ones", hint)
        require(close(g2, want[1]), f"grad_w2, {what}", np.round(want[1][0], 3), np.round(g2[0], 3),
                "grad_w2 = h_act.T @ grad_y_pred, with h_act the leaky ReLU of h = x @ w1 and "
                "grad_y_pred the derivative of the summed squared error.")
        require(close(g1, want[0]), f"grad_w1, {what}", np.round(want[0][0], 3), np.round(g1[0], 3),
                "grad_w1 = x.T @ grad_h, where grad_h equals grad_y_pred @ w2.T where h > 0 and 0.01 "
                "times that where h <= 0.")
    return ("your hand-written backward pass equals PyTorch autograd's for leaky ReLU, on five "
            "networks of different sizes, in float64 and float32.")


def _relu_gradients(x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> Grads:
    """The plain ReLU backward pass of the lesson, not updated for leaky ReLU."""
    h = x @ w1
    h_relu = np.maximum(h, 0)
    grad_y_pred = 2.0 * (h_relu @ w2 - y)
    grad_h = grad_y_pred @ w2.T
    grad_h[h < 0] = 0
    return x.T @ grad_h, h_relu.T @ grad_y_pred


def _half_gradients(x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> Grads:
    g1, g2 = solutions.leaky_gradients(x, y, w1, w2)
    return g1 / 2, g2 / 2


def _transposed_grad_w2(x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> Grads:
    g1, g2 = solutions.leaky_gradients(x, y, w1, w2)
    return g1, g2.T


def _mean_loss(x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> Grads:
    g1, g2 = solutions.leaky_gradients(x, y, w1, w2)
    return g1 / y.size, g2 / y.size


def _forward_still_relu(x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> Grads:
    h = x @ w1
    h_act = np.maximum(h, 0)  # not changed
    grad_y_pred = 2.0 * (h_act @ w2 - y)
    grad_h = grad_y_pred @ w2.T
    grad_h[h < 0] *= 0.01
    return x.T @ grad_h, h_act.T @ grad_y_pred


def _backward_still_relu(x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> Grads:
    h = x @ w1
    h_act = np.where(h > 0, h, 0.01 * h)
    grad_y_pred = 2.0 * (h_act @ w2 - y)
    grad_h = grad_y_pred @ w2.T
    grad_h[h < 0] = 0  # not changed
    return x.T @ grad_h, h_act.T @ grad_y_pred


def _sets_grad_to_slope(x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> Grads:
    h = x @ w1
    h_act = np.where(h > 0, h, 0.01 * h)
    grad_y_pred = 2.0 * (h_act @ w2 - y)
    grad_h = grad_y_pred @ w2.T
    grad_h[h < 0] = 0.01  # sets instead of scaling
    return x.T @ grad_h, h_act.T @ grad_y_pred


register(Exercise(
    id="12.leaky_gradients",
    title="Backpropagation by hand after a change to the forward pass",
    checker=_check_gradients,
    solution=solutions.leaky_gradients,
    wrong=(
        Wrong(_relu_gradients, "plain ReLU network's backward pass"),
        Wrong(_half_gradients, "is 2 * (y_pred - y)"),
        Wrong(_transposed_grad_w2, "a gradient has the shape of its weight"),
        Wrong(_mean_loss, "the loss here is the sum"),
        Wrong(_forward_still_relu, "forward pass still uses plain ReLU"),
        Wrong(_backward_still_relu, "still sets the gradient to 0"),
        Wrong(_sets_grad_to_slope, "multiply it by 0.01 instead of setting it"),
    ),
))

# --- 12.keras_mse_learning_rate ---------------------------------------------------------------


def _check_learning_rate(answer: Any) -> str:
    require(not isinstance(answer, str), "answer", "a number", f"the string {answer!r}",
            "write the number itself, without quotes.")
    require(isinstance(answer, numbers.Real) and not isinstance(answer, (bool, np.bool_)), "answer",
            "a number", type(answer).__name__)
    answer = float(answer)
    want = 6.4e-4

    def near(value: float) -> bool:
        return math.isclose(answer, value, rel_tol=1e-6)

    what = "learning rate for loss='mse'"
    require(not near(1e-6), what, want, answer,
            "'mse' averages the squared errors, so its gradient is smaller than the sum's.")
    require(not near(1e-6 / 640), what, want, answer,
            "that divides the step size by 640, but the mean's gradient is already 640 times smaller: "
            "the learning rate must grow by that factor.")
    require(not near(6.4e-5), what, want, answer,
            "the mean is over every element, n * d_out of them, not only over the n rows.")
    require(not near(1e-5), what, want, answer,
            "the mean is over every element, n * d_out of them, not only over the d_out columns.")
    require(not near(6.4e-2), what, want, answer,
            "the mean is over the outputs and targets, 64 x 10 numbers, not over the 1000 inputs.")
    require(near(want), what, want, answer,
            "the mean divides the sum by n * d_out = 640; scale the step size up by the same factor.")
    return "1e-6 * 64 * 10 = 6.4e-4: the same steps with the mean loss."


# --- 12.to_linear_weight ----------------------------------------------------------------------


def _check_linear_weight(fn: Callable[[np.ndarray], Any]) -> str:
    rng = np.random.default_rng(12)
    cases = [((5, 3), np.float64), ((2, 7), np.float32), ((4, 4), np.float64), ((1, 6), np.float64),
             ((9, 1), np.float32), ((int(rng.integers(2, 12)), int(rng.integers(2, 12))), np.float64)]
    for (d_in, d_out), dtype in cases:
        w = rng.standard_normal((d_in, d_out)).astype(dtype)  # (in_features, out_features): x @ w
        x = rng.standard_normal((4, d_in)).astype(dtype)
        got = fn(w.copy())
        what = f"to_linear_weight(w) for w of shape {w.shape} ({np.dtype(dtype).name})"
        require(isinstance(got, torch.Tensor), what, "a torch.Tensor", type(got).__name__,
                "convert with torch.from_numpy (or torch.tensor).")
        shape = tuple(got.shape)
        require(not (shape == w.shape and d_in != d_out), f"{what}: its shape", (d_out, d_in), shape,
                "that is w's own shape, (in_features, out_features): nn.Linear stores its weight "
                "the other way round.")
        require(shape == (d_out, d_in), f"{what}: its shape", (d_out, d_in), shape,
                f"nn.Linear({d_in}, {d_out}).weight has shape (out_features, in_features) = "
                f"{(d_out, d_in)}.")
        layer = torch.nn.Linear(d_in, d_out, bias=False).to(torch.float64 if dtype == np.float64
                                                             else torch.float32)
        with torch.no_grad():
            layer.weight.copy_(got)
            out = layer(torch.from_numpy(x)).numpy()
        if np.allclose(out, x @ w, rtol=1e-5, atol=1e-5):  # a float32 weight is fine for both
            continue
        values = got.detach().cpu().double().numpy()
        require(not (d_in != d_out and min(d_in, d_out) > 1
                     and np.allclose(values, w.reshape(d_out, d_in), atol=1e-6)),
                f"nn.Linear with your weight, applied to x, {what}", "x @ w", "different numbers",
                "reshape keeps the memory order and scrambles the matrix: transpose it (w.T).")
        require(not np.allclose(values, w, atol=1e-6), f"nn.Linear with your weight, applied to x, {what}",
                "x @ w", "different numbers",
                "that is w itself: with a square w the shape fits, but nn.Linear computes x @ weight.T, "
                "so the weight must be w.T.")
        raise Mismatch(f"nn.Linear with your weight, applied to x, {what}", "x @ w", "different numbers",
                       "the layer computes x @ weight.T; its weight must hold w's numbers, transposed.")
    return ("for six shapes of w (square too, in float32 and float64), nn.Linear with that weight "
            "computes x @ w: PyTorch stores the transpose.")


def _not_transposed(w: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(w)


def _reshaped(w: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(w.reshape(w.shape[1], w.shape[0]).copy())


def _numpy_transpose(w: np.ndarray) -> np.ndarray:
    return w.T


def _flattened(w: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(w.T)).flatten()


def _transposed_unless_square(w: np.ndarray) -> torch.Tensor:  # right only when the shape shows it
    return torch.from_numpy(w if w.shape[0] == w.shape[1] else np.ascontiguousarray(w.T))


register(Exercise(
    id="12.keras_mse_learning_rate",
    title="The learning rate that makes a mean loss take the lecture's steps",
    checker=_check_learning_rate,
    solution=solutions.keras_mse_learning_rate,
    kind="value",
    wrong=(
        Wrong(lambda: 1e-6, "its gradient is smaller than the sum's"),
        Wrong(lambda: 1e-6 / 640, "the learning rate must grow"),
        Wrong(lambda: 6.4e-5, "not only over the n rows"),
        Wrong(lambda: 1e-5, "not only over the d_out columns"),
        Wrong(lambda: 1e-6 * 64 * 1000, "not over the 1000 inputs"),
        Wrong(lambda: "6.4e-4", "without quotes"),
    ),
))

register(Exercise(
    id="12.to_linear_weight",
    title="Load a NumPy weight matrix into nn.Linear",
    checker=_check_linear_weight,
    solution=solutions.to_linear_weight,
    wrong=(
        Wrong(_not_transposed, "that is w's own shape"),
        Wrong(_reshaped, "reshape keeps the memory order"),
        Wrong(_numpy_transpose, "convert with torch.from_numpy"),
        Wrong(_flattened, "(out_features, in_features) ="),
        Wrong(_transposed_unless_square, "with a square w the shape fits"),
    ),
))
