"""Checks for lesson 03 (autograd and computational graphs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from course_lib.exercises.core import Exercise, register, require
from course_lib.solutions import lesson03 as solutions


def _check_backward(fn: Callable[..., Any]) -> str:
    rng = np.random.default_rng(3)
    x, y, z = (rng.standard_normal((2, 3)) for _ in range(3))
    got = fn(x.copy(), y.copy(), z.copy())
    require(isinstance(got, tuple) and len(got) == 3, "backward_by_hand(x, y, z)",
            "a tuple (grad_x, grad_y, grad_z)", type(got).__name__)
    tx, ty, tz = (torch.tensor(a, requires_grad=True) for a in (x, y, z))
    ((tx * ty + tz) ** 2).sum().backward()
    for name, g, ref, hint in (
        ("grad_z", got[2], tz.grad, "f = sum(b**2) gives grad_b = 2*b, and an add passes "
                                    "the gradient through unchanged."),
        ("grad_x", got[0], tx.grad, "a multiply swaps its inputs: grad_x = grad_a * y."),
        ("grad_y", got[1], ty.grad, "a multiply swaps its inputs: grad_y = grad_a * x."),
    ):
        g = np.asarray(g)
        require(g.shape == (2, 3), f"the shape of {name}", (2, 3), g.shape,
                "a gradient has the shape of its input.")
        require(np.allclose(g, ref.numpy()), name, "what torch autograd computes",
                np.round(g[0], 3).tolist(), hint)
    return "your hand-written backward pass matches torch autograd."


def _check_function(cls: Any) -> str:
    require(isinstance(cls, type) and issubclass(cls, torch.autograd.Function), "MyLeakyReLU",
            "a subclass of torch.autograd.Function", repr(cls))
    x = torch.tensor([-2.0, -0.5, 0.5, 3.0], dtype=torch.float64)
    out = cls.apply(x)
    expected = torch.nn.functional.leaky_relu(x, 0.1)
    require(torch.allclose(out, expected), "MyLeakyReLU.apply([-2, -0.5, 0.5, 3])",
            expected.tolist(), out.tolist(), "forward: x where x > 0, else 0.1 * x.")
    g = torch.Generator().manual_seed(0)
    xs = torch.randn(20, dtype=torch.float64, generator=g)
    xs = (xs + 0.05 * torch.sign(xs)).requires_grad_()  # stay away from the kink at 0
    xs.grad = None
    cls.apply(xs).sum().backward()
    expected_grad = torch.where(xs > 0, 1.0, 0.1).to(torch.float64)
    require(xs.grad is not None and torch.allclose(xs.grad, expected_grad), "the gradient of "
            "sum(MyLeakyReLU(x))", "1 where x > 0 and 0.1 elsewhere",
            None if xs.grad is None else sorted(set(round(v, 3) for v in xs.grad.tolist())),
            "backward: multiply grad_output by the local slope (1 or 0.1).")
    ok = torch.autograd.gradcheck(cls.apply, (xs.detach().requires_grad_(),), raise_exception=False)
    require(bool(ok), "torch.autograd.gradcheck", True, ok,
            "compare your backward with finite differences.")
    return "forward matches leaky_relu and gradcheck passes in float64."


def _check_accumulated(answer: Any) -> str:
    require(isinstance(answer, (int, float)), "answer", "a number", repr(answer))
    require(float(answer) != 6.0, "w.grad after two backward calls", "a different number", answer,
            "backward ADDS into .grad; nothing reset it between the two calls.")
    require(abs(float(answer) - 12.0) < 1e-9, "w.grad after two backward calls", "12.0", answer,
            "d(w**2)/dw = 2w = 6 at w = 3, and each backward call adds its gradient.")
    return "gradients accumulate: zero them (optimizer.zero_grad()) before each step."


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


register(Exercise(
    id="03.backward_by_hand",
    title="Backward pass by hand for f = sum((x*y + z)**2)",
    checker=_check_backward,
    solution=solutions.backward_by_hand,
    wrong=(
        lambda: (lambda x, y, z: ((x * y + z) * y, (x * y + z) * x, x * y + z)),
        lambda: (lambda x, y, z: (y, x, np.ones_like(z))),
        lambda: (lambda x, y, z: (2 * (x * y + z) * x, 2 * (x * y + z) * y, 2 * (x * y + z))),
    ),
))

register(Exercise(
    id="03.my_leaky_relu",
    title="A custom autograd Function: leaky ReLU",
    checker=_check_function,
    solution=solutions.my_leaky_relu,
    kind="value",
    wrong=(lambda: _IdentityBackward, lambda: _ReluBackward),
))

register(Exercise(
    id="03.accumulated_grad",
    title="What is w.grad after two backward calls?",
    checker=_check_accumulated,
    solution=solutions.accumulated_grad,
    kind="value",
    wrong=(lambda: 6.0, lambda: 36.0),
))
