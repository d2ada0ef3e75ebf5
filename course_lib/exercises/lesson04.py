"""Checks for lesson 04 (TensorFlow graphs, tapes and Keras)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.exercises.core import Exercise, register, require
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


def _check_count_traces(answer: Any) -> str:
    require(isinstance(answer, int) and not isinstance(answer, bool), "answer",
            "a whole number of traces", repr(answer), "count how many calls make a new graph.")
    truth = measured_traces()
    hints = {
        N_CALLS: "not every call traces: a call whose inputs match an earlier "
                          "signature (same shapes, same dtypes, same Python values) reuses it.",
        2: "a new Python number (2.0, then 3.0) is part of the signature, so it traces too.",
        3: "a tf.constant(3.0) is not the Python number 3.0: the first tensor scale traces once, "
           "then any float32 scalar tensor reuses that trace.",
    }
    require(answer == truth, "traces of scale_sum", truth, answer,
            hints.get(answer, "go through the calls one by one: new shape, new Python value "
                              "or tensor-instead-of-number each mean a new trace."))
    return (f"{truth} traces for {N_CALLS} calls: TensorFlow measured the same when it "
            "ran them.")


register(Exercise(
    id="04.count_traces",
    title="Predict how many times a tf.function traces",
    checker=_check_count_traces,
    solution=solutions.count_traces,
    kind="value",
    wrong=(lambda: 6, lambda: 2, lambda: 3),
))


def _check_mse_gradient(fn: Callable[[Any, Any, Any], Any]) -> str:
    tf = import_tensorflow()
    rng = np.random.default_rng(4)
    x_np = rng.standard_normal((8, 3)).astype(np.float32)
    y_np = rng.standard_normal((8, 1)).astype(np.float32)
    w_np = rng.standard_normal((3, 1)).astype(np.float32)
    w = tf.Variable(w_np)
    got = fn(w, tf.constant(x_np), tf.constant(y_np))
    require(got is not None, "mse_gradient(w, x, y)", "a tensor of shape (3, 1)", "None",
            "tape.gradient gives None when the loss was computed outside the "
            "`with tf.GradientTape() as tape:` block: compute it inside.")
    got = np.asarray(got, dtype=np.float64)
    expected = 2.0 / y_np.size * x_np.T @ (x_np @ w_np - y_np)  # d/dw mean((xw - y)^2)
    require(got.shape == expected.shape, "shape of mse_gradient(w, x, y)", expected.shape,
            got.shape, "return tape.gradient(loss, w): one number per weight, not the loss.")
    require(not np.allclose(got, expected * y_np.size, rtol=1e-4), "mse_gradient(w, x, y)",
            _show(expected), _show(got),
            f"yours is {y_np.size} times too large: take the mean (tf.reduce_mean), not the sum.")
    require(np.allclose(got, expected, rtol=1e-4, atol=1e-5), "mse_gradient(w, x, y)",
            _show(expected), _show(got),
            "loss = tf.reduce_mean((tf.matmul(x, w) - y) ** 2) inside the tape, then "
            "tape.gradient(loss, w).")
    require(np.allclose(w.numpy(), w_np), "w after mse_gradient", "unchanged", "changed",
            "computing a gradient must not update the weights.")
    return "the tape's gradient matches 2/N · xᵀ(xw − y), the gradient worked out by hand."


register(Exercise(
    id="04.mse_gradient",
    title="A gradient with tf.GradientTape",
    checker=_check_mse_gradient,
    solution=solutions.mse_gradient,
    wrong=(
        # the sum instead of the mean
        lambda: _tape_gradient(lambda tf, e: tf.reduce_sum(e ** 2)),
        # the loss computed before the tape starts recording
        lambda: _gradient_outside_tape,
        # the loss instead of its gradient
        lambda: (lambda w, x, y: import_tensorflow().reduce_mean((x @ w - y) ** 2)),
    ),
))


def _tape_gradient(loss_of_error: Callable[[Any, Any], Any]) -> Callable[[Any, Any, Any], Any]:
    def mse_gradient(w: Any, x: Any, y: Any) -> Any:
        tf = import_tensorflow()
        with tf.GradientTape() as tape:
            loss = loss_of_error(tf, tf.matmul(x, w) - y)
        return tape.gradient(loss, w)

    return mse_gradient


def _gradient_outside_tape(w: Any, x: Any, y: Any) -> Any:
    tf = import_tensorflow()
    loss = tf.reduce_mean((tf.matmul(x, w) - y) ** 2)
    with tf.GradientTape() as tape:
        pass
    return tape.gradient(loss, w)


def _check_sgd_step(fn: Callable[[Any, Any, float], Any]) -> str:
    tf = import_tensorflow()
    start = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    grad_np = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    w = tf.Variable(start)
    fn(w, tf.constant(grad_np), 0.1)
    got = w.numpy()
    expected = start - 0.1 * grad_np
    require(not np.allclose(got, start), "w after sgd_step(w, grad, 0.1)",
            _show(expected), _show(got),
            "`w = w - lr * grad` makes a new tensor and leaves the Variable as it was: "
            "update it in place with w.assign_sub(...).")
    require(not np.allclose(got, start + 0.1 * grad_np), "w after sgd_step(w, grad, 0.1)",
            _show(expected), _show(got),
            "you stepped uphill: gradient descent subtracts lr * grad.")
    require(np.allclose(got, expected), "w after sgd_step(w, grad, 0.1)",
            _show(expected), _show(got),
            "the new value is w - lr * grad.")
    return "the Variable itself moved by -lr * grad, in place, as an optimizer's step does."


register(Exercise(
    id="04.sgd_step",
    title="Update a tf.Variable in place",
    checker=_check_sgd_step,
    solution=solutions.sgd_step,
    wrong=(
        lambda: (lambda w, grad, lr: w - lr * grad),
        lambda: (lambda w, grad, lr: w.assign_add(lr * grad)),
        lambda: (lambda w, grad, lr: w.assign(w - grad)),
    ),
))
