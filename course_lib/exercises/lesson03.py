"""Checks for lesson 03 (autograd and computational graphs): tables for the engine in core."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import torch

from course_lib.exercises.core import (
    STATE_HINTS,
    Case,
    Exercise,
    Mismatch,
    Mistake,
    Probes,
    Returns,
    Table,
    Technique,
    exercise,
    register,
    require,
    show,
)
from course_lib.solutions import lesson03 as solutions

# ---------------------------------------------------------------------------------------------
# 03.backward_by_hand: a table judged against torch autograd (an independent truth). The answer
# must not call autograd: the probes watch torch.autograd.backward (which Tensor.backward calls)
# and torch.autograd.grad (which torch.func and torch.autograd.functional call).

_NAMES = ("grad_x", "grad_y", "grad_z")


def _backward_cases(rng: np.random.Generator) -> list[Case]:
    """Independent random x, y and z: 1, 2 and 3 axes, size-1 axes and a 60,000-element case."""
    shapes = ((2, 3), (7,), (2, 3, 4), (1,), (1, 5), (4, 1, 3), (300, 200))
    return [Case(f"backward_by_hand(x, y, z) for x, y and z of shape {s}",
                 tuple(rng.standard_normal(s) for _ in range(3))) for s in shapes]


def _autograd(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    """The truth: what torch autograd computes for f = sum((x*y + z)**2)."""
    tx, ty, tz = (torch.tensor(a, requires_grad=True) for a in (x, y, z))
    with torch.enable_grad():
        grads = torch.autograd.grad(((tx * ty + tz) ** 2).sum(), (tx, ty, tz))
    return tuple(g.numpy() for g in grads)


_TUPLE = "return grad_x, grad_y, grad_z: three arrays, in that order."
_SHAPE = "a gradient has the shape of its input: one number per element, not a sum."
_SQUEEZED = ("an axis of size 1 went missing (np.squeeze, reshape(-1) or an index [0] drops it): a "
             "gradient has its input's shape, size-1 axes included.")


def _as_grads(value: Any, what: str, case: Case | None) -> tuple[np.ndarray, ...]:
    """Three float arrays (NumPy, torch or lists), each of its input's shape."""
    require(isinstance(value, (tuple, list)) and len(value) == 3, what, "a tuple (grad_x, grad_y, grad_z)",
            f"{type(value).__name__} of length {len(value)}" if isinstance(value, (tuple, list))
            else type(value).__name__, _TUPLE)
    shape = case.args[0].shape if case is not None else None
    grads = []
    for name, g in zip(_NAMES, value, strict=True):
        if isinstance(g, torch.Tensor):
            g = g.detach().cpu().numpy()
        try:
            array = np.asarray(g, dtype=np.float64)
        except (TypeError, ValueError):
            raise Mismatch(f"{name} ({what})", "an array of numbers", type(g).__name__, _TUPLE) from None
        require(shape is None or array.shape == shape, f"the shape of {name} ({what})", shape, array.shape,
                _SQUEEZED if shape is not None and array.size == int(np.prod(shape)) else _SHAPE)
        grads.append(array)
    return tuple(grads)


def _same_grads(got: tuple[np.ndarray, ...], want: tuple[np.ndarray, ...]) -> bool:
    return all(g.shape == w.shape and np.allclose(g, w) for g, w in zip(got, want, strict=True))


def _show_grads(grads: tuple[np.ndarray, ...]) -> str:
    return ", ".join(f"{n} starting {show(np.round(g.ravel()[:3], 3))}" for n, g in
                     zip(_NAMES, grads, strict=True))


_ONE_GRADIENT = {  # the hint for the first gradient that is wrong, when no known mistake explains it
    "grad_x": "multiply grad_a by y (the other input of the product).",
    "grad_y": "multiply grad_a by x (the other input of the product).",
    "grad_z": "f = sum(b**2) gives grad_b = 2*b, and an add passes the gradient through unchanged.",
}


def _first_wrong(case: Case, got: Any, want: Any) -> str | None:
    return next((_ONE_GRADIENT[n] for n, g, w in zip(_NAMES, got, want, strict=True)
                 if not np.allclose(g, w)), None)


def _grads(x: np.ndarray, y: np.ndarray, b: np.ndarray, factor: float = 2.0) -> tuple[np.ndarray, ...]:
    return factor * b * y, factor * b * x, factor * b


def _each_grad(then: Any) -> Any:
    """The right gradients, each passed through ``then`` (a known mistake's last step)."""
    return lambda x, y, z: tuple(then(g) for g in _grads(x, y, x * y + z))


def _grads_by_rows_and_columns(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    grads = np.zeros_like(x), np.zeros_like(y), np.zeros_like(z)
    for i in range(x.shape[0]):  # right for arrays of 2 axes or more: x.shape[1] fails on 1-D ones
        for j in range(x.shape[1]):
            grad_b = 2 * (x[i, j] * y[i, j] + z[i, j])
            grads[0][i, j], grads[1][i, j], grads[2][i, j] = grad_b * y[i, j], grad_b * x[i, j], grad_b
    return grads


def _grads_in_place(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    b = z
    b += x * y  # writes b = x*y + z into the caller's z
    return _grads(x, y, b.copy())


def _grads_grad_mode_off(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    torch.set_grad_enabled(False)  # for the whole session, not for a block
    tx, ty, tz = (torch.from_numpy(a) for a in (x, y, z))
    grad_b = 2 * (tx * ty + tz)
    return (grad_b * ty).numpy(), (grad_b * tx).numpy(), grad_b.numpy()


def _grads_by_backward(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    tx, ty, tz = (torch.tensor(a, requires_grad=True) for a in (x, y, z))
    ((tx * ty + tz) ** 2).sum().backward()  # autograd does the work the exercise asks for
    return tuple(t.grad.numpy() for t in (tx, ty, tz))  # type: ignore[union-attr]


def _grads_by_torch_func(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    def f(tx: torch.Tensor, ty: torch.Tensor, tz: torch.Tensor) -> torch.Tensor:
        return ((tx * ty + tz) ** 2).sum()

    grads = torch.func.grad(f, argnums=(0, 1, 2))(*(torch.from_numpy(a) for a in (x, y, z)))
    return tuple(g.numpy() for g in grads)


def _grads_swallowing_autograd(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    tx, ty, tz = (torch.tensor(a, requires_grad=True) for a in (x, y, z))
    try:
        torch.autograd.backward(((tx * ty + tz) ** 2).sum())
        return tuple(t.grad.numpy() for t in (tx, ty, tz))  # type: ignore[union-attr]
    except Exception:  # noqa: BLE001 - hides a refusal, then answers with a formula
        return _grads(x, y, x * y + z)


_BY_HAND = ("this exercise is the backward pass by hand, so the check refuses autograd (Tensor.backward, "
            "torch.autograd.backward or .grad, torch.func): start from grad_b = 2*b and apply the chain "
            "rule node by node, with NumPy.")
_IN_PLACE = ("your function changed one of its arguments in place (`+=`, `*=` or out= on x, y or z writes "
             "into the caller's array): build new arrays, such as b = x * y + z.")

_TWO_AXES = ("your loops index two axes, x[i, j], so an x of one axis breaks them: work on whole arrays "
             "(b = x * y + z, grad_b = 2 * b, ...), which fit any number of axes.")


def _raised(case: Case, exc: Exception) -> tuple[str, str] | None:
    """Loops written for two axes fail on an x of one axis."""
    one_axis = isinstance(exc, IndexError) and case.args[0].ndim == 1
    return (f"three gradients of shape {case.args[0].shape}", _TWO_AXES) if one_axis else None


exercise("03.backward_by_hand", "Backward pass by hand for f = sum((x*y + z)**2)",
         solutions.backward_by_hand, Table(  # judged against torch autograd (truth), not the reference
    cases=_backward_cases, seed=3, truth=_autograd, raised=_raised,
    returns=Returns("any", convert=_as_grads, equal=_same_grads, show=_show_grads),
    probes=Probes(mutation_hint=_IN_PLACE, techniques=(
        Technique(torch.autograd, "backward", False, _BY_HAND),
        Technique(torch.autograd, "grad", False, _BY_HAND))),
    mistakes=(
        Mistake(lambda x, y, z: _grads(x, y, x * y + z, 1.0),
                "the factor 2 is missing: d(b**2)/db = 2*b, so grad_b = 2*b."),
        Mistake(lambda x, y, z: (y, x, np.ones_like(z)),
                "that is the gradient of sum(x*y + z): the square puts grad_b = 2*b in front of it."),
        Mistake(lambda x, y, z: _grads(y, x, x * y + z),
                "grad_x and grad_y are swapped: the gradient of a product with respect to x is the "
                "OTHER factor, grad_x = grad_a * y."),
        Mistake(lambda x, y, z: _grads(x, y, x * y),
                "z is missing from the forward pass: b = x*y + z, so grad_b = 2*(x*y + z)."),
        Mistake(_each_grad(lambda g: float(np.sum(g))), _SHAPE),
        Mistake(_each_grad(np.squeeze), _SQUEEZED),
        Mistake(_grads_in_place, _IN_PLACE),
        Mistake(_grads_grad_mode_off, STATE_HINTS["grad"][1]),
        Mistake(_grads_by_backward, _BY_HAND),
        Mistake(_autograd, _BY_HAND),  # the truth itself: torch.autograd.grad, under enable_grad
        Mistake(_grads_by_torch_func, _BY_HAND),
        Mistake(_grads_by_rows_and_columns, _TWO_AXES),
        Mistake(_grads_swallowing_autograd, _BY_HAND),
    ),
    diagnose=_first_wrong,
    fallback="f = sum(b**2) gives grad_b = 2*b; then grad_a = grad_z = grad_b, grad_x = grad_a * y and "
             "grad_y = grad_a * x.",
    success="your backward pass calls no autograd and matches what torch autograd computes, for arrays "
            "of 1, 2 and 3 axes (size-1 axes and 60,000 elements too), leaving x, y and z unchanged.",
))

# ---------------------------------------------------------------------------------------------
# 03.my_leaky_relu: a hand-written grader (it runs forward and backward), on one Mistake list.

_IDENTITY = "backward returned grad_output unchanged: multiply it by the local slope."
_RELU = "slope 0 for negative x is ReLU's gradient; a leaky ReLU's slope there is 0.1."
_SLOPES_ONLY = "backward ignores grad_output: the chain rule multiplies grad_output by the local slope."
_SWAPPED = "the two slopes are swapped: 1 where x > 0, 0.1 where x <= 0."
_DEFAULT_SLOPE = "0.01 is torch's default negative_slope; this leaky ReLU uses 0.1."
_FORWARD_IN_PLACE = ("forward changed its input in place: compute a new tensor, e.g. with torch.where, and "
                     "leave x as it is.")
_GRAD_OUTPUT_IN_PLACE = ("backward changed grad_output in place (`*=` or an indexed assignment): it belongs "
                         "to the caller, so return a new tensor, grad_output times the local slope.")
_DTYPE = "keep x's dtype: 0.1 * x does, a tensor built anew from a list or with a fixed dtype does not."
_SHAPE_ANY = "work elementwise: the output has x's shape, whatever it is (a 0-d x too)."
_BACKWARDS = (  # known wrong backward(x, grad_output): the grader names each, and each is a Mistake
    (lambda x, g: g, "grad_output unchanged", _IDENTITY),
    (lambda x, g: g * (x > 0), "0 where x <= 0", _RELU),
    (lambda x, g: torch.where(x > 0, 1.0, 0.1).to(x.dtype), "the slopes alone", _SLOPES_ONLY),
    (lambda x, g: torch.where(x > 0, 0.1 * g, g), "0.1 where x > 0, 1 elsewhere", _SWAPPED),
)


def _forward_ok(cls: Any, x: torch.Tensor) -> None:
    what = f"MyLeakyReLU.apply(x) for a {str(x.dtype).replace('torch.', '')} x of shape {tuple(x.shape)}"
    before = x.clone()
    out = cls.apply(x)
    require(isinstance(out, torch.Tensor), what, "a tensor", type(out).__name__)
    require(torch.equal(x, before), f"x after {what}", "unchanged", "changed", _FORWARD_IN_PLACE)
    require(out is not x, what, "a new tensor", "x itself", _FORWARD_IN_PLACE)
    require(tuple(out.shape) == tuple(x.shape), f"the shape of {what}", tuple(x.shape), tuple(out.shape),
            _SHAPE_ANY)
    require(out.dtype == x.dtype, f"the dtype of {what}", x.dtype, out.dtype, _DTYPE)
    expected = torch.nn.functional.leaky_relu(x, 0.1)
    shown = [round(v, 4) for v in out.detach().flatten()[:4].tolist()]
    want = [round(v, 4) for v in expected.flatten()[:4].tolist()]
    require(not torch.allclose(out, torch.nn.functional.leaky_relu(x)), what, want, shown, _DEFAULT_SLOPE)
    require(torch.allclose(out, expected), what, want, shown, "forward: x where x > 0, else 0.1 * x.")


def _grade_function(cls: Any) -> str:
    require(isinstance(cls, type) and issubclass(cls, torch.autograd.Function), "MyLeakyReLU",
            "a subclass of torch.autograd.Function", repr(cls))
    g = torch.Generator().manual_seed(0)
    _forward_ok(cls, torch.tensor([-2.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 3.0], dtype=torch.float64))
    _forward_ok(cls, torch.randn(3, 4, generator=g))  # float32, 2-D
    _forward_ok(cls, torch.randn(2, 3, 2, generator=g, dtype=torch.float64))
    _forward_ok(cls, torch.randn(1, 5, 1, generator=g))  # size-1 axes
    _forward_ok(cls, torch.tensor(-1.5))  # a 0-d tensor
    xs = torch.randn(4, 5, dtype=torch.float64, generator=g)
    xs = (xs + 0.05 * torch.sign(xs)).requires_grad_()  # stay away from the kink at 0
    grad_output = torch.randn(4, 5, dtype=torch.float64, generator=g)  # not all ones: the chain rule shows
    given = grad_output.clone()
    cls.apply(xs).backward(grad_output)
    what = "the gradient of MyLeakyReLU.apply(x) for a 4 x 5 x, with a random grad_output"
    require(torch.equal(grad_output, given), f"grad_output after {what}", "unchanged", "changed",
            _GRAD_OUTPUT_IN_PLACE)
    expected = "grad_output × (1 where x > 0, else 0.1)"
    require(xs.grad is not None, what, expected, None, "backward must return the gradient with respect "
            "to x (a tensor of x's shape).")
    assert xs.grad is not None  # require() above raised otherwise
    grad = xs.grad.detach()
    if not torch.allclose(grad, grad_output * torch.where(xs > 0, 1.0, 0.1)):
        for backward, got, hint in _BACKWARDS:
            require(not torch.allclose(grad, backward(xs.detach(), grad_output)), what, expected, got, hint)
        ratios = sorted({round(v, 3) for v in (grad / grad_output).flatten().tolist()})
        shown = f"local slopes (gradient / grad_output) {ratios[:4]}{' ...' if len(ratios) > 4 else ''}"
        raise Mismatch(what, expected, shown,
                       "backward: multiply grad_output by the local slope (1 where x > 0, else 0.1).")
    xs = torch.randn(20, dtype=torch.float64, generator=g)
    xs = (xs + 0.05 * torch.sign(xs)).requires_grad_()
    ok = torch.autograd.gradcheck(cls.apply, (xs,), raise_exception=False)
    require(bool(ok), "torch.autograd.gradcheck", True, ok,
            "compare your backward with finite differences.")
    return ("forward matches leaky_relu (slope 0.1) for float32 and float64 inputs of 0, 1, 2 and 3 axes "
            "and leaves its input alone; backward multiplies grad_output by the local slope without "
            "changing it, and gradcheck passes in float64.")


def _leaky(forward: Any = None, backward: Any = None) -> type:
    """A MyLeakyReLU with one known mistake: forward(x) or backward(x, grad_output) replaced."""

    class Leaky(torch.autograd.Function):
        @staticmethod
        def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:
            ctx.x = x.detach().clone()  # before a forward that changes x in place
            return forward(x) if forward else torch.where(x > 0, x, 0.1 * x)

        @staticmethod
        def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
            x = ctx.x
            if backward:
                return backward(x, grad_output)
            return torch.where(x > 0, grad_output, 0.1 * grad_output)

    return Leaky


def _scale_in_place(x: torch.Tensor) -> torch.Tensor:
    x[x <= 0] *= 0.1  # changes the caller's tensor
    return x


def _scale_grad_output_in_place(x: torch.Tensor, grad_output: torch.Tensor) -> torch.Tensor:
    grad_output[x <= 0] *= 0.1  # changes the caller's grad_output
    return grad_output


register(Exercise(
    id="03.my_leaky_relu",
    title="A custom autograd Function: leaky ReLU",
    grader=_grade_function,
    solution=solutions.my_leaky_relu,
    kind="value",
    wrong=(
        *(Mistake(functools.partial(_leaky, backward=backward), hint) for backward, _, hint in _BACKWARDS),
        Mistake(lambda: _leaky(forward=torch.nn.functional.leaky_relu,
                               backward=lambda x, g: torch.where(x > 0, g, 0.01 * g)), _DEFAULT_SLOPE),
        Mistake(lambda: _leaky(forward=_scale_in_place), _FORWARD_IN_PLACE),
        Mistake(lambda: _leaky(forward=lambda x: torch.nn.functional.leaky_relu(x, 0.1, inplace=True)),
                _FORWARD_IN_PLACE),
        Mistake(lambda: _leaky(backward=_scale_grad_output_in_place), _GRAD_OUTPUT_IN_PLACE),
        Mistake(lambda: _leaky(forward=lambda x: torch.tensor([v if v > 0 else 0.1 * v for v in x.tolist()])),
                _DTYPE),  # float32 from a list, right only for 1-D x
        Mistake(lambda: _leaky(forward=lambda x: torch.where(x > 0, x, 0.1 * x).float()), _DTYPE),
        Mistake(lambda: _leaky(forward=lambda x: torch.where(x > 0, x, 0.1 * x).squeeze()), _SHAPE_ANY),
    ),
))

# ---------------------------------------------------------------------------------------------
# 03.accumulated_grad: a value table (a number; w.grad itself, a 0-d tensor, is one too).

_A_NUMBER = ("set answer to the number itself, such as 1.5 (w.grad.item() turns a tensor into one).")

exercise("03.accumulated_grad", "What is w.grad after two backward calls?", solutions.accumulated_grad,
         kind="value", table=Table(
    cases=lambda rng: [Case("w.grad after two backward calls", ())],
    returns=Returns("number", type_hint=_A_NUMBER),
    mistakes=(
        Mistake(lambda: 6.0, "backward ADDS into .grad; nothing reset it between the two calls."),
        Mistake(lambda: 36.0, "36 = 6 × 6, but the two gradients add up, they don't multiply."),
        Mistake(lambda: 9.0, "9 is the value of w**2 at w = 3, not its gradient."),
        Mistake(lambda: 3.0, "3 is w itself: the question asks for w.grad, d(w**2)/dw summed over the two "
                             "calls."),
        Mistake(lambda: 0.0, "nothing zeroes .grad between the calls here (only zero_grad() or w.grad = None "
                             "would): each backward call adds 6."),
        Mistake(lambda: "12", _A_NUMBER),
        Mistake(lambda: None, _A_NUMBER),
    ),
    fallback="d(w**2)/dw = 2w = 6 at w = 3, and each backward call adds its gradient.",
    success="gradients accumulate: zero them (optimizer.zero_grad()) before each step.",
))
