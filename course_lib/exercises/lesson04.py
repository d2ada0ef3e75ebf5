"""Checks for lesson 04 (TensorFlow graphs, tapes and Keras): tables for the engine in core."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from course_lib.exercises.core import (
    Case,
    Exercise,
    Mismatch,
    Mistake,
    Probes,
    Returns,
    Table,
    Technique,
    as_number,
    exercise,
    register,
    run_table,
)
from course_lib.frameworks import import_tensorflow
from course_lib.solutions import lesson04 as solutions

N_CALLS = 6  # the calls in measured_traces, shown in the lesson's exercise cell


# ---------------------------------------------------------------------------------------------
# 04.count_traces: a value table, judged against the count TensorFlow measures when it runs the calls.


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


_WHOLE = "set answer to a whole number, such as 7, not a float, string or bool."
_ONE_BY_ONE = ("go through the calls one by one: new shape, new Python value or tensor-instead-of-number "
               "each mean a new trace.")

_TRACES = Table(  # the hints explain the lesson's answer, 4; were TensorFlow to count otherwise, the
    # measured truth still decides, and only the fallback speaks to a wrong answer
    cases=lambda rng: [Case("traces of scale_sum", ())],
    returns=Returns("int", type_hint=_WHOLE),
    mistakes=(
        Mistake(lambda: N_CALLS, "not every call traces: a call whose inputs match an earlier signature "
                                 "(same shapes, same dtypes, same Python values) reuses its graph."),
        Mistake(lambda: 5, "a tensor's values are not part of the signature, only its shape and dtype: "
                           "the second tensor scale, tf.constant(4.0), reuses the trace of "
                           "tf.constant(3.0) (as call 2 reuses call 1's)."),
        Mistake(lambda: 3, "a tf.constant(3.0) is not the Python number 3.0: the first tensor scale "
                           "traces once, then any float32 scalar tensor reuses that trace."),
        Mistake(lambda: 2, "a new Python number (2.0, then 3.0) is part of the signature, so it traces "
                           "too."),
        Mistake(lambda: 1, "tf.function traces again whenever the signature changes: a new shape of x "
                           "(call 3) is one."),
        Mistake(lambda: 7, _ONE_BY_ONE),
        *(Mistake(lambda v=v: v, _WHOLE) for v in ("4", 4.0, True)),  # a string, a float, a bool
    ),
    fallback=_ONE_BY_ONE,
    success="",  # the grader below says how many
)


def _grade_count_traces(answer: Any) -> str:
    run_table(_TRACES, measured_traces, answer, "value")
    return f"{as_number(answer)} traces for {N_CALLS} calls: TensorFlow measured the same when it ran them."


register(Exercise("04.count_traces", "Predict how many times a tf.function traces", _grade_count_traces,
                  solutions.count_traces, kind="value", wrong=_TRACES.mistakes))

# ---------------------------------------------------------------------------------------------
# 04.mse_gradient: a table judged against the gradient worked out by hand, 2/N · xᵀ(xw − y). The
# tape is required (the engine's required-call probe), and a watch around the learner's function
# (the table's adapter) refuses a result that no tape computed and a w that changed (the stock
# probes do not see TensorFlow Variables).

_GRADIENT_CASES = ((8, 3, np.float32), (13, 3, np.float32), (5, 4, np.float64), (1, 2, np.float32),
                   (6, 1, np.float64), (300, 3, np.float32))  # rows N, features D, dtype


def _what(x: Any) -> str:
    n, d = x.shape
    return f"mse_gradient(w, x, y) with x of shape ({n}, {d}), {x.dtype.name}" + (
        " (a tf.Variable)" if hasattr(x, "assign") else "")


def _gradient_cases(rng: np.random.Generator) -> list[Case]:
    tf = import_tensorflow()
    cases = []
    for k, (n, d, dtype) in enumerate(_GRADIENT_CASES):
        x, y, w = (rng.standard_normal(s).astype(dtype) for s in ((n, d), (n, 1), (d, 1)))
        tx = tf.Variable(x) if k == 0 else tf.constant(x)  # first a Variable x: its gradient is not None
        cases.append(Case(_what(tx), (tf.Variable(w), tx, tf.constant(y))))
    return cases


def _by_hand(w: Any, x: Any, y: Any) -> np.ndarray:
    """The truth: d/dw mean((xw - y)^2) = 2/N · xᵀ(xw − y), in float64."""
    x, y, w = (np.asarray(a.numpy(), dtype=np.float64) for a in (x, y, w))
    return 2.0 / x.shape[0] * x.T @ (x @ w - y)


_NONE = ("tape.gradient gives None when the loss was computed outside the `with tf.GradientTape() as "
         "tape:` block, or from a copy of w (such as w.numpy()): compute it from w, inside the block.")
_AS_LIST = "you passed [w], so tape.gradient returned a list: pass w itself, tape.gradient(loss, w)."
_A_SCALAR = ("that is a single number, the loss perhaps: return tape.gradient(loss, w), one number per "
             "weight.")
_W_SHAPE = "return tape.gradient(loss, w): one number per weight, the shape of w."
_WRT_X = ("that is the gradient with respect to x (None when x is a constant, which the tape does not "
          "watch): take tape.gradient(loss, w).")
_NO_UPDATE = "computing a gradient must not update the weights."
_NOT_FROM_TAPE = ("you returned a gradient that your tape did not compute: return what "
                  "tape.gradient(loss, w) gave you.")
_ABOUT_TAPE = ("this exercise is about tf.GradientTape, not the formula: compute the loss inside `with "
               "tf.GradientTape() as tape:` and return tape.gradient(loss, w).")
_TIMES_N = ("yours is N times too large, N being the number of rows of x: take the mean "
            "(tf.reduce_mean), not the sum.")
_FIXED = ("you divided by a fixed {k}, not by the number of rows of x: tf.reduce_mean divides by the "
          "actual number of elements; don't hard-code it.")
_HALF = "yours is half the right gradient: the loss is mean((xw - y)^2), without a factor 1/2."
_FORGETS_Y = "that is the gradient of mean((xw)^2): subtract y first, mean((xw - y)^2)."


def _as_gradient(value: Any, what: str, case: Case | None) -> np.ndarray:
    """A float64 array of w's shape, from a TensorFlow tensor, a NumPy array or a list."""
    shape = tuple(case.args[0].shape) if case is not None else None
    expected = f"a tensor of shape {shape}"
    if value is None:
        raise Mismatch(what, expected, "None", _NONE)
    if isinstance(value, (list, tuple)) and len(value) == 1:
        raise Mismatch(what, expected, f"a {type(value).__name__} of one tensor", _AS_LIST)
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Mismatch(what, expected, type(value).__name__, _W_SHAPE) from None
    if shape is not None and array.shape != shape:
        raise Mismatch(f"shape of {what}", shape, array.shape, _A_SCALAR if array.size == 1 else _W_SHAPE)
    return array


def _scale_hint(case: Case, got: np.ndarray, want: np.ndarray) -> str | None:
    """A hint for a gradient of the right shape but wrong values that no known mistake explains."""
    x = np.asarray(case.args[1].numpy(), dtype=np.float64)
    w = np.asarray(case.args[0].numpy(), dtype=np.float64)
    n = x.shape[0]
    scale = float(np.vdot(got, want) / np.vdot(want, want))
    if np.allclose(got, scale * want, rtol=1e-4, atol=1e-6):
        if np.isclose(scale, 0.5, rtol=1e-3):
            return _HALF
        if np.isclose(scale, n, rtol=1e-3) and n > 1:
            return _TIMES_N
        divisor = n / scale
        if np.isclose(divisor, round(divisor), rtol=1e-3) and round(divisor) > 0:
            return _FIXED.format(k=round(divisor))
        return (f"yours is {scale:.3g} times the right gradient: the loss is the plain mean of the "
                "squared errors, mean((xw - y)^2).")
    if np.allclose(got, 2.0 / n * x.T @ (x @ w), rtol=1e-4, atol=1e-6):
        return _FORGETS_Y
    return None


@contextlib.contextmanager
def _watching_tapes() -> Iterator[list[Any]]:
    """Inside: every GradientTape.gradient call (however the tape was made) appends its result to
    the yielded list; the class is restored on leaving."""
    tape_class = import_tensorflow().GradientTape
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
    for result in import_tensorflow().nest.flatten(results):
        if result is None:
            continue
        if not hasattr(result, "numpy"):  # symbolic, from a trace
            return True
        value = np.asarray(result.numpy(), dtype=np.float64)
        if value.shape == got.shape and np.allclose(value, got, rtol=1e-6, atol=1e-8):
            return True
    return False


def _watched(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, refused when it changes w or returns a gradient that none of its tapes computed."""

    def mse_gradient(w: Any, x: Any, y: Any) -> Any:
        start = w.numpy().copy()
        with _watching_tapes() as results:
            got = fn(w, x, y)
        if not np.array_equal(w.numpy(), start):
            raise Mismatch(f"w after {_what(x)}", "unchanged", "changed", _NO_UPDATE)
        try:
            array = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return got  # the contract says what is wrong with it
        if results and array.shape == tuple(w.shape) and not _from_the_tape(array, results):
            raise Mismatch(_what(x), "the gradient that your tape computed", "another array",
                           _NOT_FROM_TAPE)
        return got

    return mse_gradient


def _taped(loss: Callable[[Any, Any, Any, Any], Any] = lambda tf, x, w, y: (x @ w - y) ** 2,
           of: Callable[[Any, Any], Any] = lambda w, x: w, mean: bool = True,
           step: float = 0.0) -> Callable[..., Any]:
    """An mse_gradient with one known mistake: another loss (of x, w, y), its gradient with
    respect to another thing, the sum of the errors instead of their mean, or a step on w."""

    def mse_gradient(w: Any, x: Any, y: Any) -> Any:
        tf = import_tensorflow()
        with tf.GradientTape() as tape:
            errors = loss(tf, x, w, y)
            value = tf.reduce_mean(errors) if mean else tf.reduce_sum(errors)
        grad = tape.gradient(value, of(w, x))
        if step:
            w.assign_sub(step * grad)
        return grad

    return mse_gradient


def _gradient_outside_tape(w: Any, x: Any, y: Any) -> Any:
    tf = import_tensorflow()
    loss = tf.reduce_mean((tf.matmul(x, w) - y) ** 2)
    with tf.GradientTape() as tape:
        pass
    return tape.gradient(loss, w)


def _gradient_tape_beside_formula(w: Any, x: Any, y: Any) -> Any:
    _taped()(w, x, y)  # a tape's gradient, computed and not used
    return x.shape[0] * _by_hand(w, x, y)  # the sum's gradient, by formula


exercise("04.mse_gradient", "A gradient with tf.GradientTape", solutions.mse_gradient, Table(
    cases=_gradient_cases, seed=4, truth=_by_hand, adapt=_watched,
    returns=Returns("any", convert=_as_gradient, rtol=1e-4, atol=1e-5),
    # the stock probes cannot see a tf.Variable: _watched checks that w stays as it was
    probes=Probes(techniques=(Technique(import_tensorflow().GradientTape, "gradient", True, _ABOUT_TAPE),)),
    mistakes=(
        Mistake(_taped(mean=False), _TIMES_N),
        Mistake(_taped(lambda tf, x, w, y: (x @ w - y) ** 2 / 8, mean=False), _FIXED.format(k=8)),
        Mistake(_taped(lambda tf, x, w, y: (x @ w - y) ** 2 / 2), _HALF),
        Mistake(_taped(lambda tf, x, w, y: tf.abs(x @ w - y)),
                "that is the gradient of the mean absolute error: square the errors, don't take tf.abs."),
        Mistake(_taped(lambda tf, x, w, y: (x @ w) ** 2), _FORGETS_Y),
        Mistake(_taped(lambda tf, x, w, y: (x[:100] @ w - y[:100]) ** 2),  # a batch that stops at 100
                "your gradient uses only the first 100 rows of x (a slice such as x[:100]): take the mean "
                "over every row, however many."),
        Mistake(_gradient_outside_tape, _NONE),
        Mistake(lambda w, x, y: import_tensorflow().reduce_mean((x @ w - y) ** 2), _A_SCALAR),  # the loss
        Mistake(_taped(of=lambda w, x: x), _WRT_X),
        Mistake(_taped(of=lambda w, x: [w]), _AS_LIST),
        Mistake(_taped(step=0.1), _NO_UPDATE),
        Mistake(_by_hand, _ABOUT_TAPE),  # right, but no tape
        Mistake(_gradient_tape_beside_formula, _NOT_FROM_TAPE),
    ),
    diagnose=_scale_hint,
    fallback="loss = tf.reduce_mean((tf.matmul(x, w) - y) ** 2) inside the tape, then "
             "tape.gradient(loss, w).",
    success="your function returned a gradient that tape.gradient computed, and it matches 2/N · xᵀ(xw − y), "
            "the gradient worked out by hand, for x of shapes (8, 3), (13, 3), (5, 4), (1, 2), (6, 1) and "
            "(300, 3), in float32 and float64; w stays as it was.",
))

# ---------------------------------------------------------------------------------------------
# 04.sgd_step: in-place work on a Variable, so the engine judges the Variable after the call: the
# table's adapter makes the learner's function, the truth and every mistake return w's new value.


def _sgd_cases(rng: np.random.Generator) -> list[Case]:
    tf = import_tensorflow()

    def drawn(shape: tuple[int, ...], lr: float, dtype: Any = np.float32) -> tuple[Any, Any, float]:
        return rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype), lr

    starts: list[tuple[np.ndarray, np.ndarray, float]] = [
        (np.array([1.0, 2.0, 3.0], np.float32), np.array([0.5, -1.0, 2.0], np.float32), 0.1),
        drawn((4, 3), 0.01), drawn((5,), 0.5, np.float64),
        (np.array(2.0), np.array(-3.0), 0.25),  # a 0-d weight
        drawn((1, 1), 1.0), drawn((10_000,), 0.03),
    ]
    return [Case(f"w after sgd_step(w, grad, {lr:g}), w of shape {w.shape}, {w.dtype}",
                 (tf.Variable(w), tf.constant(g), lr)) for w, g, lr in starts]


def _after(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, returning the Variable's value after the call instead of what it returns."""

    def sgd_step(w: Any, grad: Any, lr: float) -> np.ndarray:
        fn(w, grad, lr)
        return np.asarray(w.numpy())

    return sgd_step


def _descent(w: Any, grad: Any, lr: float) -> None:
    """The truth: w - lr * grad, computed with NumPy in w's dtype and assigned to w."""
    start = np.asarray(w.numpy())
    w.assign(np.asarray(start - np.asarray(lr, start.dtype) * np.asarray(grad.numpy()), dtype=start.dtype))


_TIMES_LR = "your step is {m} × lr * grad: apply the step once."


def _step_hint(case: Case, got: np.ndarray, want: np.ndarray) -> str | None:
    """A hint for a step along grad but of the wrong size, that no known mistake explains."""
    start, grad, lr = np.asarray(case.args[0].numpy()), np.asarray(case.args[1].numpy()), case.args[2]
    step = (start - got).astype(np.float64)
    k = float(np.vdot(step, grad) / np.vdot(grad, grad))
    if not np.allclose(step, k * grad, rtol=1e-4, atol=1e-6):
        return None
    if round(k / lr) >= 2 and np.isclose(k / lr, round(k / lr), rtol=1e-4):
        return _TIMES_LR.format(m=round(k / lr))
    return f"your step is {k:.3g} × grad, but it should be lr * grad = {lr:g} × grad."


_UNCHANGED = ("the Variable did not change: `w = w - lr * grad` (or `w -= ...`) makes a new tensor and only "
              "rebinds the name w inside your function. Update the Variable in place with w.assign_sub(...).")


def _sgd_rebinds(w: Any, grad: Any, lr: float) -> None:
    w = w - lr * grad  # noqa: F841 - the known mistake: a new tensor, the Variable untouched


def _sgd_twice(w: Any, grad: Any, lr: float) -> None:
    w.assign_sub(lr * grad)
    w.assign(w - lr * grad)


exercise("04.sgd_step", "Update a tf.Variable in place", solutions.sgd_step, Table(
    cases=_sgd_cases, seed=4, truth=_descent, adapt=_after,
    returns=Returns("array", rtol=1e-5, atol=1e-6),
    # in-place work on w is the exercise (and the stock probes cannot see a tf.Variable); grad is a
    # constant, which nothing can change
    probes=Probes(inputs_unchanged=False),
    mistakes=(
        Mistake(_sgd_rebinds, _UNCHANGED),
        Mistake(lambda w, grad, lr: w - lr * grad, _UNCHANGED),  # returns the new value, w untouched
        Mistake(lambda w, grad, lr: w.assign_add(lr * grad), "you stepped uphill: gradient descent "
                                                              "subtracts lr * grad."),
        Mistake(lambda w, grad, lr: w.assign(w - grad), "you left out the learning rate: the step is "
                                                        "lr * grad, not grad."),
        Mistake(lambda w, grad, lr: w.assign_sub(0.1 * grad), "your step does not change with lr (0.1 "
                "whatever lr is): use the lr argument, step = lr * grad."),
        Mistake(lambda w, grad, lr: w.assign(lr * grad), "w.assign(v) replaces w by v: subtract the step "
                                                         "with w.assign_sub(lr * grad)."),
        Mistake(_sgd_twice, _TIMES_LR.format(m=2)),
        Mistake(lambda w, grad, lr: w.assign_sub(lr ** 2 * grad), "your step is lr² × grad (lr squared, "
                "or lr applied twice): the step is lr * grad."),
    ),
    diagnose=_step_hint,
    fallback="the new value is w - lr * grad.",
    success="the Variable itself moved by -lr * grad, in place, as an optimizer's step does, for 0-d, 1-D "
            "and 2-D weights (1 x 1 and 10,000 elements too), float32 and float64, and learning rates "
            "from 0.01 to 1.",
))
