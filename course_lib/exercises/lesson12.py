"""Checks for lesson 12 (choosing a framework): three tables for the engine in core."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import torch

from course_lib.exercises.core import (
    STATE_HINTS,
    Case,
    Mismatch,
    Mistake,
    Probes,
    Returns,
    Table,
    Technique,
    exercise,
)
from course_lib.solutions import lesson12 as solutions
from course_lib.twolayer import two_layer_problem

# --- 12.leaky_gradients: backpropagation by hand, so autograd is off limits -------------------

Grads = tuple[np.ndarray, np.ndarray]
_SWAPPED = "the pair is swapped: return grad_w1 first, then grad_w2."
_W2_SHAPE = "a gradient has the shape of its weight: h_act.T @ grad_y_pred."


def _gradient_cases(rng: np.random.Generator) -> list[Case]:
    cases = []  # (seed, n, d_in, h, d_out, dtype): every size differs, so no weight is square...
    for seed, n, d_in, hidden, d_out, dtype in (
            (3, 8, 5, 6, 3, np.float64), (4, 5, 3, 7, 2, np.float64), (5, 1, 6, 4, 1, np.float64),
            (6, 12, 4, 5, 5, np.float64),  # ... except w2 here (h == d_out)
            (7, 16, 9, 11, 4, np.float32), (8, 200, 3, 2, 6, np.float64)):
        x, y, w1, w2 = two_layer_problem(seed=seed, n=n, d_in=d_in, h=hidden, d_out=d_out, dtype=dtype)
        cases.append(Case(f"leaky_gradients(x, y, w1, w2) with x {x.shape}, w1 {w1.shape}, w2 "
                          f"{w2.shape} ({np.dtype(dtype).name})", (x, y, w1, w2)))
    return cases


def _pair(value: Any, what: str, case: Case | None) -> Grads:
    """The learner's (grad_w1, grad_w2) as float64 arrays of the weights' shapes."""
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise Mismatch(what, "a pair (grad_w1, grad_w2)", type(value).__name__, "return grad_w1, grad_w2.")
    try:
        g1, g2 = (np.asarray(g, dtype=np.float64) for g in value)
    except (TypeError, ValueError, RuntimeError):
        raise Mismatch(what, "two NumPy arrays", ", ".join(type(g).__name__ for g in value),
                       "return NumPy arrays (a torch tensor that requires grad needs .detach()).") from None
    if case is not None:
        w1, w2 = case.args[2], case.args[3]
        if g1.shape == w2.shape and g2.shape == w1.shape and w1.shape != w2.shape:
            raise Mismatch(f"the shapes, {what}", f"grad_w1 {w1.shape}, grad_w2 {w2.shape}",
                           f"{g1.shape}, {g2.shape}", _SWAPPED)
        for name, g, w, hint in (("grad_w2", g2, w2, _W2_SHAPE),
                                 ("grad_w1", g1, w1, "the gradient of w1 has w1's shape: x.T @ grad_h.")):
            if g.shape != w.shape:
                raise Mismatch(f"{name}.shape, {what}", w.shape, g.shape, hint)
    return g1, g2


def _close_pair(got: Grads, want: Grads) -> bool:
    return all(a.shape == b.shape and np.allclose(a, b, rtol=1e-4, atol=1e-4 * (np.abs(b).max() + 1e-12))
               for a, b in zip(got, want, strict=True))


def _backprop(x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray, *, forward: float = 0.01,
              backward: float | None = 0.01, sets: bool = False) -> Grads:
    """A backward pass by hand: slope ``forward`` below 0 going forward, ``backward`` going back
    (``sets``: the gradient there is set to that number instead of scaled by it)."""
    h = x @ w1
    h_act = np.where(h > 0, h, forward * h)
    grad_y_pred = 2.0 * (h_act @ w2 - y)
    g = grad_y_pred @ w2.T
    grad_h = np.where(h > 0, g, backward if sets else (backward or 0.0) * g)
    return x.T @ grad_h, h_act.T @ grad_y_pred


def _reference_then(change: Callable[[Grads, np.ndarray], Any]) -> Callable[..., Any]:
    """The reference gradients, then ``change(grads, y)``: a mistake made after a right backward pass."""
    return lambda x, y, w1, w2: change(solutions.leaky_gradients(x, y, w1, w2), y)


def _autograd(x: np.ndarray, y: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> Grads:
    w1_t, w2_t = (torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in (w1, w2))
    x_t, y_t = (torch.tensor(a, dtype=torch.float64) for a in (x, y))
    h = torch.nn.functional.leaky_relu(x_t @ w1_t, negative_slope=0.01)
    (h @ w2_t - y_t).pow(2).sum().backward()
    assert w1_t.grad is not None and w2_t.grad is not None
    return w1_t.grad.numpy(), w2_t.grad.numpy()


_BY_HAND = ("the exercise is backpropagation by hand: compute the gradients with NumPy, without "
            "autograd (.backward() or torch.autograd.grad).")

exercise("12.leaky_gradients", "Backpropagation by hand after a change to the forward pass",
         solutions.leaky_gradients, Table(
    cases=_gradient_cases, seed=12,
    returns=Returns("any", convert=_pair, equal=_close_pair,
                    show=lambda g: f"grad_w1[0] = {np.round(g[0][0], 3).tolist()}, "
                                   f"grad_w2[0] = {np.round(g[1][0], 3).tolist()}"),
    probes=Probes(techniques=(Technique(torch.autograd, "backward", False, _BY_HAND),
                              Technique(torch.autograd, "grad", False, _BY_HAND))),
    mistakes=(
        Mistake(partial(_backprop, forward=0.0, backward=0.0), "that is the plain ReLU network's backward "
                "pass: with leaky ReLU, the forward pass and the backward pass both change."),
        Mistake(_reference_then(lambda g, y: (g[0] * 0.5, g[1] * 0.5)), "both gradients are half "
                "the right ones: the derivative of (y_pred - y)**2 is 2 * (y_pred - y)."),
        Mistake(_reference_then(lambda g, y: (g[0] / y.size, g[1] / y.size)), "that is the gradient of the "
                "mean squared error; the loss here is the sum of the squared errors, as in the lecture."),
        Mistake(partial(_backprop, forward=0.0), "the backward pass is leaky, but the forward "
                "pass still uses plain ReLU: h_act = where(h > 0, h, 0.01 * h) there too."),
        Mistake(partial(_backprop, backward=0.0), "grad_w2 is right, but the backward pass still "
                "sets the gradient to 0 where h <= 0: leaky ReLU lets 0.01 times it through there."),
        Mistake(partial(_backprop, sets=True), "grad_w2 is right, but grad_h is the number 0.01 "
                "where h <= 0: the gradient there is 0.01 times grad_h_act, so multiply it by 0.01 "
                "instead of setting it."),
        Mistake(_reference_then(lambda g, y: (g[0], g[1].T)), _W2_SHAPE),
        Mistake(_reference_then(lambda g, y: g[::-1]), _SWAPPED),
        Mistake(_autograd, _BY_HAND),
    ),
    fallback="grad_w2 = h_act.T @ grad_y_pred and grad_w1 = x.T @ grad_h, where grad_h equals "
             "grad_y_pred @ w2.T where h > 0 and 0.01 times that where h <= 0.",
    success="your backward pass, written without autograd, equals the reference for leaky ReLU "
            "on six networks of different sizes (one of a single row, one of 200), in float64 "
            "and float32.",
))

# --- 12.keras_mse_learning_rate -----------------------------------------------------------------

_NUMBER = "write the number itself (a float such as 1e-3), without quotes or brackets."

exercise("12.keras_mse_learning_rate", "The learning rate that makes a mean loss take the lecture's steps",
         solutions.keras_mse_learning_rate, kind="value", table=Table(
    cases=lambda rng: [Case("learning rate for loss='mse'", ())],
    returns=Returns("number", rtol=1e-6, atol=0.0, type_hint=_NUMBER),
    mistakes=(
        Mistake(lambda: 1e-6, "'mse' averages the squared errors, so its gradient is smaller "
                              "than the sum's."),
        Mistake(lambda: 1e-6 / 640, "that divides the step size by 640, but the mean's gradient "
                "is already 640 times smaller: the learning rate must grow by that factor."),
        Mistake(lambda: 6.4e-5, "the mean is over every element, n * d_out of them, not only "
                                "over the n rows."),
        Mistake(lambda: 1e-5, "the mean is over every element, n * d_out of them, not only over "
                              "the d_out columns."),
        Mistake(lambda: 1e-6 * 64 * 1000, "the mean is over the outputs and targets, 64 x 10 "
                                          "numbers, not over the 1000 inputs."),
        Mistake(lambda: "6.4e-4", _NUMBER),
        Mistake(lambda: [6.4e-4], _NUMBER),
    ),
    fallback="the mean divides the sum by n * d_out = 640; scale the step size up by the same factor.",
    success="1e-6 * 64 * 10 = 6.4e-4: the same steps with the mean loss.",
))

# --- 12.to_linear_weight ------------------------------------------------------------------------


def _weight_cases(rng: np.random.Generator) -> list[Case]:
    shapes = [((5, 3), np.float64), ((2, 7), np.float32), ((4, 4), np.float64), ((1, 6), np.float64),
              ((9, 1), np.float32), ((1, 1), np.float64), ((300, 200), np.float32),
              ((int(rng.integers(2, 12)), int(rng.integers(2, 12))), np.float64)]
    return [Case(f"to_linear_weight(w) for w of shape {s} ({np.dtype(t).name})",
                 (rng.standard_normal(s).astype(t),)) for s, t in shapes]


_SHAPE = ("nn.Linear(d_in, d_out).weight has shape (out_features, in_features) = (d_out, d_in): the "
          "shape of w.T.")
_CONVERT = "convert with torch.from_numpy (or torch.tensor)."

exercise("12.to_linear_weight", "Load a NumPy weight matrix into nn.Linear",
         solutions.to_linear_weight, Table(
    cases=_weight_cases, seed=12,
    returns=Returns("tensor", shape=lambda c: c.args[0].shape[::-1], dtype="float", rtol=1e-5,
                    atol=1e-6, type_hint=_CONVERT, shape_hint=_SHAPE),
    mistakes=(
        Mistake(lambda w: torch.from_numpy(w), "that is w's own shape, (in_features, "
                "out_features): nn.Linear stores its weight the other way round."),
        Mistake(lambda w: torch.from_numpy(w.reshape(w.shape[1], w.shape[0]).copy()),
                "reshape keeps the memory order and scrambles the matrix: transpose it (w.T)."),
        Mistake(lambda w: w.T, _CONVERT),
        Mistake(lambda w: torch.from_numpy(np.ascontiguousarray(w.T)).flatten(), _SHAPE),
        Mistake(lambda w: torch.from_numpy(w if w.shape[0] == w.shape[1] else np.ascontiguousarray(w.T)),
                "that is w itself: with a square w the shape fits, but nn.Linear computes x @ "
                "weight.T, so the weight must be w.T."),
        Mistake(lambda w: torch.from_numpy(np.ascontiguousarray(w.T)).half(), "float16 keeps "
                "about three digits: keep w's float32 or float64."),
        Mistake(lambda w: (torch.set_grad_enabled(False), torch.from_numpy(w).T)[1], STATE_HINTS["grad"][1]),
    ),
    fallback="the layer computes x @ weight.T; its weight must hold w's numbers, transposed.",
    success="for eight shapes of w (square, 1 x 1 and 300 x 200 too, in float32 and float64), "
            "your tensor is the weight that makes nn.Linear compute x @ w: PyTorch stores the "
            "transpose.",
))
