"""Checks for lesson 04 (TensorFlow graphs, tapes and Keras)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from course_lib.errors import is_int
from course_lib.exercises.core import Exercise, Wrong, register, require
from course_lib.frameworks import import_tensorflow
from course_lib.solutions import lesson04 as solutions

N_CALLS = 6  # the calls in measured_traces, shown in the lesson's exercise cell


def _show(a: Any) -> list[float]:
    return [round(float(v), 4) for v in np.ravel(a)]


def measured_traces() -> int:
    """Run the six calls of exercise 04.count_traces on a fresh tf.function; count its traces."""
    tf = import_tensorflow()

    @tf.function
    def scale_sum(x: Any, scale: Any) -> Any:
        return tf.reduce_sum(x) * scale

    scale_sum(tf.constant([1.0, 2.0]), 2.0)
    scale_sum(tf.constant([3.0, 4.0]), 2.0)
    scale_sum(tf.constant([1.0, 2.0, 3.0]), 2.0)
    scale_sum(tf.constant([1.0, 2.0]), 3.0)
    scale_sum(tf.constant([1.0, 2.0]), tf.constant(3.0))
    scale_sum(tf.constant([5.0, 6.0]), tf.constant(4.0))
    return int(scale_sum.experimental_get_tracing_count())


_TRACE_HINTS = {  # what each wrong prediction misunderstands, when the lesson's answer (4) holds
    N_CALLS: "not every call traces: a call whose inputs match an earlier signature (same shapes, "
             "same dtypes, same Python values) reuses its graph.",
    5: "a tensor's values are not part of the signature, only its shape and dtype: the second "
       "tensor scale, tf.constant(4.0), reuses the trace of tf.constant(3.0) (as call 2 reuses "
       "call 1's).",
    3: "a tf.constant(3.0) is not the Python number 3.0: the first tensor scale traces once, "
       "then any float32 scalar tensor reuses that trace.",
    2: "a new Python number (2.0, then 3.0) is part of the signature, so it traces too.",
    1: "tf.function traces again whenever the signature changes: a new shape of x (call 3) is one.",
}


def _check_count_traces(answer: Any) -> str:
    require(is_int(answer), "answer",
            "a whole number of traces", repr(answer),
            "set answer to a whole number, such as 7, not a float, string or bool.")
    truth = measured_traces()
    generic = ("go through the calls one by one: new shape, new Python value or tensor-instead-of-"
               "number each mean a new trace.")
    hint = _TRACE_HINTS.get(int(answer), generic) if truth == solutions.count_traces() else generic
    require(answer == truth, "traces of scale_sum", truth, int(answer), hint)
    return f"{truth} traces for {N_CALLS} calls: TensorFlow measured the same when it ran them."


register(Exercise(
    id="04.count_traces",
    title="Predict how many times a tf.function traces",
    checker=_check_count_traces,
    solution=solutions.count_traces,
    kind="value",
    wrong=(
        Wrong(lambda: N_CALLS, "not every call traces"),
        Wrong(lambda: 5, "a tensor's values are not part of the signature"),
        Wrong(lambda: 3, "is not the Python number 3.0"),
        Wrong(lambda: 2, "a new Python number (2.0, then 3.0)"),
        Wrong(lambda: 1, "a new shape of x (call 3) is one"),
        Wrong(lambda: 7, "go through the calls one by one"),
        Wrong(lambda: "4", "a whole number, such as 7"),
    ),
))


# -- 04.mse_gradient -----------------------------------------------------------------------
_GRADIENT_CASES = ((8, 3, np.float32, 4), (13, 3, np.float32, 5), (5, 4, np.float64, 6),
                   (1, 2, np.float32, 7))  # rows N, features D, dtype, seed


def _gradient_hint(got: np.ndarray, expected: np.ndarray, x: np.ndarray, w: np.ndarray) -> str:
    """The hint for a gradient of the right shape but wrong values."""
    n = x.shape[0]
    scale = float(np.vdot(got, expected) / np.vdot(expected, expected))
    if np.allclose(got, scale * expected, rtol=1e-4, atol=1e-6):
        if np.isclose(scale, 0.5, rtol=1e-3):
            return ("yours is half the right gradient: the loss is mean((xw - y)^2), without a "
                    "factor 1/2.")
        if np.isclose(scale, n, rtol=1e-3):
            return (f"yours is {n} times too large, N = {n} being the number of rows: take the mean "
                    "(tf.reduce_mean), not the sum.")
        divisor = n / scale
        if np.isclose(divisor, round(divisor), rtol=1e-3) and round(divisor) > 0:
            return (f"you divided by {round(divisor)}, but this x has {n} rows: tf.reduce_mean "
                    "divides by the actual number of elements; don't hard-code it.")
        return (f"yours is {scale:.3g} times the right gradient: the loss is the plain mean of the "
                "squared errors, mean((xw - y)^2).")
    if np.allclose(got, 2.0 / n * x.T @ (x @ w), rtol=1e-4, atol=1e-6):
        return "that is the gradient of mean((xw)^2): subtract y first, mean((xw - y)^2)."
    return ("loss = tf.reduce_mean((tf.matmul(x, w) - y) ** 2) inside the tape, then "
            "tape.gradient(loss, w).")


@contextlib.contextmanager
def _watching_tapes() -> Iterator[list[Any]]:
    """Inside: every GradientTape.gradient call (however the tape was made) appends its result to
    the yielded list; the class is restored on leaving."""
    tf = import_tensorflow()
    tape_class = tf.GradientTape
    original = tape_class.gradient
    results: list[Any] = []

    @functools.wraps(original)
    def gradient(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        results.append(result)
        return result

    tape_class.gradient = gradient
    try:
        yield results
    finally:
        tape_class.gradient = original


def _from_the_tape(got: np.ndarray, results: list[Any]) -> bool:
    """Whether ``got`` equals one of the gradients the tapes computed (within float rounding). A
    tape traced inside a tf.function gives symbolic tensors, without values: its use counts then."""
    tf = import_tensorflow()
    for result in tf.nest.flatten(results):
        if result is None:
            continue
        if not hasattr(result, "numpy"):  # symbolic, from a trace
            return True
        value = np.asarray(result.numpy(), dtype=np.float64)
        if value.shape == got.shape and np.allclose(value, got, rtol=1e-6, atol=1e-8):
            return True
    return False


def _check_mse_gradient(fn: Callable[[Any, Any, Any], Any]) -> str:
    tf = import_tensorflow()
    for n, d, dtype, seed in _GRADIENT_CASES:
        rng = np.random.default_rng(seed)
        x_np: np.ndarray = rng.standard_normal((n, d)).astype(dtype)
        y_np: np.ndarray = rng.standard_normal((n, 1)).astype(dtype)
        w_np: np.ndarray = rng.standard_normal((d, 1)).astype(dtype)
        w = tf.Variable(w_np)
        what = f"mse_gradient(w, x, y) with x of shape ({n}, {d}), {np.dtype(dtype).name}"
        with _watching_tapes() as tape_results:
            got = fn(w, tf.constant(x_np), tf.constant(y_np))
        if got is None:  # ask again with x and y Variables too: is it the gradient for one of them?
            again = fn(tf.Variable(w_np), tf.Variable(x_np), tf.Variable(y_np))
            wrt_x = again is not None and np.shape(again) == (n, d)
            require(False, what, f"a tensor of shape ({d}, 1)", "None",
                    "that is the gradient with respect to x (you got None because x is a constant, "
                    "not watched): take tape.gradient(loss, w)." if wrt_x else
                    "tape.gradient gives None when the loss was computed outside the `with "
                    "tf.GradientTape() as tape:` block, or from a copy of w (such as w.numpy()): "
                    "compute it from w, inside the block.")
        if isinstance(got, list | tuple) and len(got) == 1:
            require(False, what, f"a tensor of shape ({d}, 1)", f"a {type(got).__name__} of one tensor",
                    "you passed [w], so tape.gradient returned a list: pass w itself, "
                    "tape.gradient(loss, w).")
        got = np.asarray(got, dtype=np.float64)
        expected = 2.0 / n * x_np.T.astype(np.float64) @ (x_np @ w_np - y_np)  # d/dw mean((xw - y)^2)
        if got.shape != expected.shape:
            require(False, f"shape of {what}", expected.shape, got.shape,
                    "that is a single number, the loss perhaps: return tape.gradient(loss, w), one "
                    "number per weight." if got.size == 1 else
                    "return tape.gradient(loss, w): one number per weight, the shape of w.")
        if not tape_results:
            require(False, what, "the gradient that a tf.GradientTape computed",
                    "a gradient that no tape computed",
                    "this exercise is about tf.GradientTape, not the formula: compute the loss inside "
                    "`with tf.GradientTape() as tape:` and return tape.gradient(loss, w).")
        require(_from_the_tape(got, tape_results), what, "the gradient that your tape computed",
                "another array", "you returned a gradient that your tape did not compute: return "
                "what tape.gradient(loss, w) gave you.")
        require(np.allclose(got, expected, rtol=1e-4, atol=1e-5), what, _show(expected), _show(got),
                _gradient_hint(got, expected, x_np.astype(np.float64), w_np.astype(np.float64)))
        require(np.allclose(w.numpy(), w_np), f"w after {what}", "unchanged", "changed",
                "computing a gradient must not update the weights.")
    return ("your function returned a gradient that tape.gradient computed, and it matches 2/N · xᵀ(xw − y), "
            "the gradient worked out by hand, for x of shapes (8, 3), (13, 3), (5, 4) and (1, 2), in "
            "float32 and float64; w stays as it was.")


def _tape_gradient(loss_of_error: Callable[[Any, Any], Any]) -> Callable[[Any, Any, Any], Any]:
    def mse_gradient(w: Any, x: Any, y: Any) -> Any:
        tf = import_tensorflow()
        with tf.GradientTape() as tape:
            loss = loss_of_error(tf, tf.matmul(x, w) - y)
        return tape.gradient(loss, w)

    return mse_gradient


_gradient_of_sum = _tape_gradient(lambda tf, e: tf.reduce_sum(e ** 2))
_gradient_divided_by_8 = _tape_gradient(lambda tf, e: tf.reduce_sum(e ** 2) / 8)
_gradient_of_half = _tape_gradient(lambda tf, e: tf.reduce_mean(e ** 2) / 2)


def _gradient_outside_tape(w: Any, x: Any, y: Any) -> Any:
    tf = import_tensorflow()
    loss = tf.reduce_mean((tf.matmul(x, w) - y) ** 2)
    with tf.GradientTape() as tape:
        pass
    return tape.gradient(loss, w)


def _gradient_returns_loss(w: Any, x: Any, y: Any) -> Any:
    tf = import_tensorflow()
    return tf.reduce_mean((x @ w - y) ** 2)


def _gradient_wrt_x(w: Any, x: Any, y: Any) -> Any:
    tf = import_tensorflow()
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((tf.matmul(x, w) - y) ** 2)
    return tape.gradient(loss, x)


def _gradient_as_list(w: Any, x: Any, y: Any) -> Any:
    tf = import_tensorflow()
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((tf.matmul(x, w) - y) ** 2)
    return tape.gradient(loss, [w])


def _gradient_forgets_y(w: Any, x: Any, y: Any) -> Any:
    tf = import_tensorflow()
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.matmul(x, w) ** 2)
    return tape.gradient(loss, w)


def _gradient_then_step(w: Any, x: Any, y: Any) -> Any:
    tf = import_tensorflow()
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((tf.matmul(x, w) - y) ** 2)
    grad = tape.gradient(loss, w)
    w.assign_sub(0.1 * grad)
    return grad


def _gradient_by_formula(w: Any, x: Any, y: Any) -> Any:
    tf = import_tensorflow()
    n = tf.cast(tf.shape(x)[0], x.dtype)
    return 2 / n * tf.matmul(x, tf.matmul(x, w) - y, transpose_a=True)  # right, but no tape


def _gradient_tape_beside_formula(w: Any, x: Any, y: Any) -> Any:
    tf = import_tensorflow()
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((tf.matmul(x, w) - y) ** 2)
    tape.gradient(loss, w)  # called, then not used
    return 2 * tf.matmul(x, tf.matmul(x, w) - y, transpose_a=True)  # the sum's gradient, by formula


register(Exercise(
    id="04.mse_gradient",
    title="A gradient with tf.GradientTape",
    checker=_check_mse_gradient,
    solution=solutions.mse_gradient,
    wrong=(
        Wrong(_gradient_of_sum, "not the sum"),
        Wrong(_gradient_outside_tape, "computed outside the `with"),
        Wrong(_gradient_returns_loss, "a single number, the loss perhaps"),
        Wrong(_gradient_divided_by_8, "you divided by 8"),
        Wrong(_gradient_wrt_x, "the gradient with respect to x"),
        Wrong(_gradient_as_list, "you passed [w]"),
        Wrong(_gradient_forgets_y, "subtract y first"),
        Wrong(_gradient_of_half, "without a factor 1/2"),
        Wrong(_gradient_then_step, "must not update the weights"),
        Wrong(_gradient_by_formula, "this exercise is about tf.GradientTape"),
        Wrong(_gradient_tape_beside_formula, "your tape did not compute"),
    ),
))


# -- 04.sgd_step ---------------------------------------------------------------------------
def _sgd_cases() -> list[tuple[np.ndarray, np.ndarray, float]]:
    rng = np.random.default_rng(4)
    return [
        (np.array([1.0, 2.0, 3.0], dtype=np.float32), np.array([0.5, -1.0, 2.0], dtype=np.float32), 0.1),
        (rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32),
         0.01),
        (rng.standard_normal(5), rng.standard_normal(5), 0.5),  # float64
    ]


def _ignores_lr(fn: Callable[[Any, Any, float], Any], start: np.ndarray, grad: np.ndarray, lr: float,
                step: np.ndarray) -> bool:
    """Whether ``fn`` makes the same (non-zero) step when asked again with three times the lr."""
    tf = import_tensorflow()
    w = tf.Variable(start)
    fn(w, tf.constant(grad), 3 * lr)
    return bool(np.any(step)) and np.allclose(start - w.numpy(), step, rtol=1e-5, atol=1e-7)


def _check_sgd_step(fn: Callable[[Any, Any, float], Any]) -> str:
    tf = import_tensorflow()
    for start, grad_np, lr in _sgd_cases():
        w = tf.Variable(start)
        fn(w, tf.constant(grad_np), lr)
        got = w.numpy()
        expected = start - lr * grad_np
        if np.allclose(got, expected, rtol=1e-5, atol=1e-6):
            continue
        what = f"w after sgd_step(w, grad, {lr:g}), w of shape {start.shape}, {start.dtype}"
        step = (start - got).astype(np.float64)
        k = float(np.vdot(step, grad_np) / np.vdot(grad_np, grad_np))
        if np.allclose(got, start):
            hint = ("the Variable did not change: `w = w - lr * grad` (or `w -= ...`) makes a new "
                    "tensor and only rebinds the name w inside your function. Update the Variable "
                    "in place with w.assign_sub(...).")
        elif np.allclose(got, lr * grad_np, rtol=1e-5, atol=1e-6):
            hint = "w.assign(v) replaces w by v: subtract the step with w.assign_sub(lr * grad)."
        elif np.allclose(step, k * grad_np, rtol=1e-4, atol=1e-6) and np.isclose(k, -lr, rtol=1e-4):
            hint = "you stepped uphill: gradient descent subtracts lr * grad."
        elif np.allclose(step, k * grad_np, rtol=1e-4, atol=1e-6) and np.isclose(k, 1.0, rtol=1e-4):
            hint = "you left out the learning rate: the step is lr * grad, not grad."
        elif _ignores_lr(fn, start, grad_np, lr, step):
            hint = (f"your step does not change with lr (it was the same with lr={3 * lr:g}): use the "
                    "lr argument, step = lr * grad.")
        elif np.allclose(step, k * grad_np, rtol=1e-4, atol=1e-6) and round(k / lr) >= 2 \
                and np.isclose(k / lr, round(k / lr), rtol=1e-4):
            hint = f"your step is {round(k / lr)} × lr * grad: apply the step once."
        elif np.allclose(step, k * grad_np, rtol=1e-4, atol=1e-6):
            hint = f"your step is {k:.3g} × grad, but it should be lr * grad = {lr:g} × grad."
        else:
            hint = "the new value is w - lr * grad."
        require(False, what, _show(expected), _show(got), hint)
    return ("the Variable itself moved by -lr * grad, in place, as an optimizer's step does, for 1-D and "
            "2-D weights, float32 and float64, and learning rates 0.1, 0.01 and 0.5.")


def _sgd_rebinds(w: Any, grad: Any, lr: float) -> None:
    w = w - lr * grad  # noqa: F841 - the known mistake: a new tensor, the Variable untouched


def _sgd_uphill(w: Any, grad: Any, lr: float) -> None:
    w.assign_add(lr * grad)


def _sgd_without_lr(w: Any, grad: Any, lr: float) -> None:
    w.assign(w - grad)


def _sgd_lr_fixed(w: Any, grad: Any, lr: float) -> None:
    w.assign_sub(0.1 * grad)


def _sgd_twice(w: Any, grad: Any, lr: float) -> None:
    w.assign_sub(lr * grad)
    w.assign(w - lr * grad)


def _sgd_lr_squared(w: Any, grad: Any, lr: float) -> None:
    w.assign_sub(lr ** 2 * grad)


def _sgd_assign_step(w: Any, grad: Any, lr: float) -> None:
    w.assign(lr * grad)


register(Exercise(
    id="04.sgd_step",
    title="Update a tf.Variable in place",
    checker=_check_sgd_step,
    solution=solutions.sgd_step,
    wrong=(
        Wrong(_sgd_rebinds, "only rebinds the name w"),
        Wrong(_sgd_uphill, "you stepped uphill"),
        Wrong(_sgd_without_lr, "you left out the learning rate"),
        Wrong(_sgd_lr_fixed, "use the lr argument"),
        Wrong(_sgd_assign_step, "replaces w by v"),
        Wrong(_sgd_twice, "apply the step once"),
        Wrong(_sgd_lr_squared, "but it should be lr * grad"),
    ),
))
