"""Checks for lesson 03 (autograd and computational graphs)."""

from __future__ import annotations

import contextlib
import functools
import math
import numbers
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

from course_lib.exercises.core import Exercise, Mismatch, Wrong, register, require
from course_lib.solutions import lesson03 as solutions


def _backward_cases() -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Independent random x, y and z, with 2, 1 and 3 axes."""
    rng = np.random.default_rng(3)
    return [(rng.standard_normal(shape), rng.standard_normal(shape), rng.standard_normal(shape))
            for shape in ((2, 3), (7,), (2, 3, 4))]


class _AutogradUsed(RuntimeError):
    """Raised inside a learner's backward_by_hand that called autograd while the check had it off."""


@contextlib.contextmanager
def _autograd_switched_off() -> Iterator[list[str]]:
    """Inside: no graph is recorded (torch.no_grad), and Tensor.backward, torch.autograd.backward
    and torch.autograd.grad (which torch.func.grad and torch.autograd.functional call) raise
    _AutogradUsed. Yields the list of the names called, so a swallowed error still counts."""
    called: list[str] = []
    patched = [(torch.Tensor, "backward", "Tensor.backward"),
               (torch.autograd, "backward", "torch.autograd.backward"),
               (torch.autograd, "grad", "torch.autograd.grad")]
    originals = [getattr(owner, attr) for owner, attr, _ in patched]

    def refusing(name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def refuse(*args: Any, **kwargs: Any) -> Any:
            called.append(name)
            raise _AutogradUsed(f"{name} is switched off while backward_by_hand runs")

        return refuse

    for (owner, attr, name), original in zip(patched, originals, strict=True):
        setattr(owner, attr, refusing(name, original))
    try:
        with torch.no_grad():
            yield called
    finally:
        for (owner, attr, _), original in zip(patched, originals, strict=True):
            setattr(owner, attr, original)


def _by_hand(fn: Callable[..., Any], x: np.ndarray, y: np.ndarray, z: np.ndarray, what: str) -> Any:
    """``fn(x, y, z)`` on copies, run with autograd switched off; refuse an answer that called it."""
    with _autograd_switched_off() as called:
        try:
            got = fn(x.copy(), y.copy(), z.copy())
        except _AutogradUsed:
            got = None
    require(not called, what, "gradients worked out node by node, without autograd",
            f"a call of {called[0]}" if called else "",
            f"your code called {called[0] if called else ''}: this exercise is the backward pass "
            "by hand, so the check runs your function with autograd switched off. Start from "
            "grad_b = 2*b and apply the chain rule node by node, with NumPy.")
    return got


def _check_backward(fn: Callable[..., Any]) -> str:
    names = ("grad_x", "grad_y", "grad_z")
    for x, y, z in _backward_cases():
        what = f"backward_by_hand(x, y, z) for x, y and z of shape {x.shape}"
        got = _by_hand(fn, x, y, z, what)
        require(isinstance(got, (tuple, list)) and len(got) == 3, what, "a tuple (grad_x, grad_y, grad_z)",
                f"{type(got).__name__} of length {len(got)}" if isinstance(got, (tuple, list))
                else type(got).__name__)
        grads = [np.asarray(g) for g in got]
        for name, g in zip(names, grads, strict=True):
            require(g.shape == x.shape, f"the shape of {name} ({what})", x.shape, g.shape,
                    "a gradient has the shape of its input: one number per element, not a sum.")
        tx, ty, tz = (torch.tensor(a, requires_grad=True) for a in (x, y, z))
        ((tx * ty + tz) ** 2).sum().backward()
        ref = [t.grad.numpy() for t in (tx, ty, tz) if t.grad is not None]
        if all(np.allclose(g, r) for g, r in zip(grads, ref, strict=True)):
            continue

        def matches(*candidates: np.ndarray, grads: list[np.ndarray] = grads) -> bool:
            return all(np.allclose(g, c) for g, c in zip(grads, candidates, strict=True))

        a, b = x * y, x * y + z
        firsts = f"(grad_x, grad_y, grad_z) starting {tuple(round(float(r.flat[0]), 3) for r in ref)}"
        shown = str(tuple(round(float(g.flat[0]), 3) for g in grads))
        require(not matches(b * y, b * x, b), what, firsts, shown,
                "the factor 2 is missing: d(b**2)/db = 2*b, so grad_b = 2*b.")
        require(not matches(y, x, np.ones_like(z)), what, firsts, shown,
                "that is the gradient of sum(x*y + z): the square puts grad_b = 2*b in front of it.")
        require(not matches(2 * b * x, 2 * b * y, 2 * b), what, firsts, shown,
                "grad_x and grad_y are swapped: the gradient of a product with respect to x is the "
                "OTHER factor, grad_x = grad_a * y.")
        require(not matches(2 * a * y, 2 * a * x, 2 * a), what, firsts, shown,
                "z is missing from the forward pass: b = x*y + z, so grad_b = 2*(x*y + z).")
        for name, g, r, hint in zip(names, grads, ref, (
                "multiply grad_a by y (the other input of the product).",
                "multiply grad_a by x (the other input of the product).",
                "f = sum(b**2) gives grad_b = 2*b, and an add passes the gradient through unchanged."),
                strict=True):
            require(np.allclose(g, r), f"{name} ({what})",
                    f"what torch autograd computes, starting {np.round(r.ravel()[:3], 3).tolist()}",
                    np.round(g.ravel()[:3], 3).tolist(), hint)
    return ("your backward pass, run with autograd switched off, matches what torch autograd computes, "
            "for arrays of 1, 2 and 3 axes.")


def _forward_ok(cls: Any, x: torch.Tensor) -> None:
    what = f"MyLeakyReLU.apply(x) for a {str(x.dtype).replace('torch.', '')} x of shape {tuple(x.shape)}"
    before = x.clone()
    out = cls.apply(x)
    require(isinstance(out, torch.Tensor), what, "a tensor", type(out).__name__)
    require(torch.equal(x, before), f"x after {what}", "x unchanged", "x changed",
            "forward changed its input in place: compute a new tensor, e.g. with torch.where, and "
            "leave x as it is.")
    require(tuple(out.shape) == tuple(x.shape), f"the shape of {what}", tuple(x.shape), tuple(out.shape),
            "work elementwise: the output has x's shape, whatever it is.")
    require(out.dtype == x.dtype, f"the dtype of {what}", x.dtype, out.dtype,
            "keep x's dtype: 0.1 * x does, a tensor built anew from a list or with a fixed dtype does not.")
    expected = torch.nn.functional.leaky_relu(x, 0.1)
    shown = [round(v, 4) for v in out.detach().flatten()[:4].tolist()]
    want = [round(v, 4) for v in expected.flatten()[:4].tolist()]
    require(not torch.allclose(out, torch.nn.functional.leaky_relu(x)), what, want, shown,
            "0.01 is torch's default negative_slope; this leaky ReLU uses 0.1.")
    require(torch.allclose(out, expected), what, want, shown, "forward: x where x > 0, else 0.1 * x.")


def _check_function(cls: Any) -> str:
    require(isinstance(cls, type) and issubclass(cls, torch.autograd.Function), "MyLeakyReLU",
            "a subclass of torch.autograd.Function", repr(cls))
    g = torch.Generator().manual_seed(0)
    _forward_ok(cls, torch.tensor([-2.0, -0.5, 0.5, 3.0], dtype=torch.float64))
    _forward_ok(cls, torch.randn(3, 4, generator=g))  # float32, 2-D
    _forward_ok(cls, torch.randn(2, 3, 2, generator=g, dtype=torch.float64))
    xs = torch.randn(4, 5, dtype=torch.float64, generator=g)
    xs = (xs + 0.05 * torch.sign(xs)).requires_grad_()  # stay away from the kink at 0
    grad_output = torch.randn(4, 5, dtype=torch.float64, generator=g)  # not all ones: the chain rule shows
    cls.apply(xs).backward(grad_output)
    what = "the gradient of MyLeakyReLU.apply(x) for a 4 x 5 x, with a random grad_output"
    expected = "grad_output × (1 where x > 0, else 0.1)"
    require(xs.grad is not None, what, expected, None, "backward must return the gradient with respect "
            "to x (a tensor of x's shape).")
    assert xs.grad is not None  # require() above raised otherwise
    grad = xs.grad.detach()
    positive = xs.detach() > 0
    slope = torch.where(positive, 1.0, 0.1).to(torch.float64)
    if not torch.allclose(grad, grad_output * slope):
        ratios = sorted({round(v, 3) for v in (grad / grad_output).flatten().tolist()})
        shown = f"local slopes (gradient / grad_output) {ratios[:4]}{' ...' if len(ratios) > 4 else ''}"
        require(not torch.allclose(grad, grad_output), what, expected, "grad_output unchanged",
                "backward returned grad_output unchanged: multiply it by the local slope.")
        require(not torch.allclose(grad, grad_output * positive), what, expected, "0 where x <= 0",
                "slope 0 for negative x is ReLU's gradient; a leaky ReLU's slope there is 0.1.")
        require(not torch.allclose(grad, slope), what, expected, "the slopes alone",
                "backward ignores grad_output: the chain rule multiplies grad_output by the local slope.")
        require(not torch.allclose(grad, grad_output * torch.where(positive, 0.1, 1.0).to(torch.float64)),
                what, expected, "0.1 where x > 0, 1 elsewhere",
                "the two slopes are swapped: 1 where x > 0, 0.1 where x <= 0.")
        raise Mismatch(what, expected, shown,
                       "backward: multiply grad_output by the local slope (1 where x > 0, else 0.1).")
    xs = torch.randn(20, dtype=torch.float64, generator=g)
    xs = (xs + 0.05 * torch.sign(xs)).requires_grad_()
    ok = torch.autograd.gradcheck(cls.apply, (xs,), raise_exception=False)
    require(bool(ok), "torch.autograd.gradcheck", True, ok,
            "compare your backward with finite differences.")
    return ("forward matches leaky_relu (slope 0.1) for float32 and float64 inputs of 1, 2 and 3 axes "
            "and leaves its input alone; backward multiplies grad_output by the local slope, and "
            "gradcheck passes in float64.")


def _check_accumulated(answer: Any) -> str:
    if isinstance(answer, torch.Tensor) and answer.numel() == 1:
        answer = answer.item()  # w.grad itself is fine too
    require(isinstance(answer, numbers.Real) and not isinstance(answer, bool), "answer", "a number",
            repr(answer), "set answer to the number itself, such as 1.5 (w.grad.item() turns a tensor "
            "into one).")
    got = float(answer)
    what = "w.grad after two backward calls"
    require(not math.isclose(got, 6.0), what, "a different number", answer,
            "backward ADDS into .grad; nothing reset it between the two calls.")
    require(not math.isclose(got, 36.0), what, "a different number", answer,
            "36 = 6 × 6, but the two gradients add up, they don't multiply.")
    require(not math.isclose(got, 9.0), what, "a different number", answer,
            "9 is the value of w**2 at w = 3, not its gradient.")
    require(math.isclose(got, 12.0), what, "12.0", answer,
            "d(w**2)/dw = 2w = 6 at w = 3, and each backward call adds its gradient.")
    return "gradients accumulate: zero them (optimizer.zero_grad()) before each step."


def _grads_without_2(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    b = x * y + z
    return b * y, b * x, b


def _grads_without_square(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    return y, x, np.ones_like(z)


def _grads_swapped(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    b = x * y + z
    return 2 * b * x, 2 * b * y, 2 * b


def _grads_without_z(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    b = x * y
    return 2 * b * y, 2 * b * x, 2 * b


def _grads_summed(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[float, ...]:
    b = x * y + z
    return float(np.sum(2 * b * y)), float(np.sum(2 * b * x)), float(np.sum(2 * b))


def _grads_by_rows_and_columns(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    grads = np.zeros_like(x), np.zeros_like(y), np.zeros_like(z)
    for i in range(x.shape[0]):  # right for 2-D arrays only
        for j in range(x.shape[1]):
            grad_b = 2 * (x[i, j] * y[i, j] + z[i, j])
            grads[0][i, j], grads[1][i, j], grads[2][i, j] = grad_b * y[i, j], grad_b * x[i, j], grad_b
    return grads


def _grads_by_backward(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    tx, ty, tz = (torch.tensor(a, requires_grad=True) for a in (x, y, z))
    ((tx * ty + tz) ** 2).sum().backward()  # autograd does the work the exercise asks for
    return tuple(t.grad.numpy() for t in (tx, ty, tz))  # type: ignore[union-attr]


def _grads_by_autograd_grad(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    inputs = [torch.tensor(a, requires_grad=True) for a in (x, y, z)]
    with torch.enable_grad():  # a learner who noticed no_grad switches it back on
        f = ((inputs[0] * inputs[1] + inputs[2]) ** 2).sum()
    return tuple(g.numpy() for g in torch.autograd.grad(f, inputs))


def _grads_swallowing_autograd(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    tx, ty, tz = (torch.tensor(a, requires_grad=True) for a in (x, y, z))
    try:
        torch.autograd.backward(((tx * ty + tz) ** 2).sum())
        return tuple(t.grad.numpy() for t in (tx, ty, tz))  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 - hides the refusal, then answers with a formula
        b = x * y + z
        return 2 * b * y, 2 * b * x, 2 * b


class _IdentityBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        return torch.where(x > 0, x, 0.1 * x)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        return grad_output


class _ReluBackward(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return torch.where(x > 0, x, 0.1 * x)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return grad_output * (x > 0)


class _SlopesOnly(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return torch.where(x > 0, x, 0.1 * x)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return torch.where(x > 0, 1.0, 0.1).to(x.dtype)  # forgets grad_output


class _SwappedSlopes(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return torch.where(x > 0, x, 0.1 * x)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return torch.where(x > 0, 0.1 * grad_output, grad_output)


class _TorchDefaultSlope(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return torch.nn.functional.leaky_relu(x)  # negative_slope=0.01

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return torch.where(x > 0, grad_output, 0.01 * grad_output)


class _InPlaceForward(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x > 0)
        x[x <= 0] *= 0.1  # changes the caller's tensor
        return x

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        (positive,) = ctx.saved_tensors
        return torch.where(positive, grad_output, 0.1 * grad_output)


class _ListForward(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(x)
        return torch.tensor([v if v > 0 else 0.1 * v for v in x.tolist()])  # float32, 1-D only

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        (x,) = ctx.saved_tensors
        return torch.where(x > 0, grad_output, 0.1 * grad_output)


register(Exercise(
    id="03.backward_by_hand",
    title="Backward pass by hand for f = sum((x*y + z)**2)",
    checker=_check_backward,
    solution=solutions.backward_by_hand,
    wrong=(
        Wrong(_grads_without_2, "the factor 2 is missing"),
        Wrong(_grads_without_square, "the gradient of sum(x*y + z)"),
        Wrong(_grads_swapped, "grad_x and grad_y are swapped"),
        Wrong(_grads_without_z, "z is missing from the forward pass"),
        Wrong(_grads_summed, "the shape of its input"),
        Wrong(_grads_by_rows_and_columns, "your code raised IndexError"),
        Wrong(_grads_by_backward, "your code called Tensor.backward: this exercise is the backward pass"),
        Wrong(_grads_by_autograd_grad, "your code called torch.autograd.grad"),
        Wrong(_grads_swallowing_autograd, "called torch.autograd.backward"),
    ),
))

register(Exercise(
    id="03.my_leaky_relu",
    title="A custom autograd Function: leaky ReLU",
    checker=_check_function,
    solution=solutions.my_leaky_relu,
    kind="value",
    wrong=(
        Wrong(lambda: _IdentityBackward, "returned grad_output unchanged"),
        Wrong(lambda: _ReluBackward, "ReLU's gradient"),
        Wrong(lambda: _SlopesOnly, "backward ignores grad_output"),
        Wrong(lambda: _SwappedSlopes, "the two slopes are swapped"),
        Wrong(lambda: _TorchDefaultSlope, "torch's default negative_slope"),
        Wrong(lambda: _InPlaceForward, "changed its input in place"),
        Wrong(lambda: _ListForward, "keep x's dtype"),
    ),
))

register(Exercise(
    id="03.accumulated_grad",
    title="What is w.grad after two backward calls?",
    checker=_check_accumulated,
    solution=solutions.accumulated_grad,
    kind="value",
    wrong=(
        Wrong(lambda: 6.0, "backward ADDS into .grad"),
        Wrong(lambda: 36.0, "they don't multiply"),
        Wrong(lambda: 9.0, "not its gradient"),
        Wrong(lambda: "12", "set answer to the number itself"),
    ),
))
