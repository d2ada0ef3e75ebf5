"""Checks for lesson 10 (static versus dynamic graphs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.errors import is_int
from course_lib.exercises.core import Exercise, Wrong, register, require
from course_lib.frameworks import import_tensorflow
from course_lib.solutions import lesson10 as solutions

# ---------------------------------------------------------------------------------------------
# 10.tree_depth

TREES = (1, (0, 1), ((0, 1), 2), (0, (1, (2, 3))), (((0, 1), (2, 3)), ((4, 5), 6)))


def _depth(tree: Any, combine: Callable[[int, int], int] = max, leaf: int = 1) -> int:
    if isinstance(tree, tuple):
        return 1 + combine(_depth(tree[0], combine, leaf), _depth(tree[1], combine, leaf))
    return leaf


def _leaves(tree: Any) -> int:
    return _leaves(tree[0]) + _leaves(tree[1]) if isinstance(tree, tuple) else 1


def _chain(n: int, left: bool) -> Any:
    tree: Any = 0
    for leaf in range(1, n):
        tree = (tree, leaf) if left else (leaf, tree)
    return tree


def _random_tree(rng: np.random.Generator, n_leaves: int) -> Any:
    if n_leaves == 1:
        return int(rng.integers(0, 10))
    n_left = int(rng.integers(1, n_leaves))
    return (_random_tree(rng, n_left), _random_tree(rng, n_leaves - n_left))


_TREE_MISTAKES: tuple[tuple[Callable[[Any], int], str], ...] = (
    (lambda t: _depth(t) - 1, "count the nodes on the path, including the leaf (a leaf is 1)."),
    (lambda t: _depth(t, lambda a, b: a), "you follow only the left child: a pair is 1 more than the "
                                          "deeper of its two children, so look at both."),
    (lambda t: _depth(t, lambda a, b: b), "you follow only the right child: a pair is 1 more than the "
                                          "deeper of its two children, so look at both."),
    (lambda t: len(t) if isinstance(t, tuple) else 1,
     "the depth is not the tuple's length (always 2 for a pair): recurse into both children."),
    (_leaves, "that is the number of leaves: a pair is 1 more than the deeper of its two children, "
              "whatever the other child holds."),
    (lambda t: _depth(t, lambda a, b: a + b), "that counts every node of the tree: the path goes "
                                              "through one child of each pair, so take the max of "
                                              "the two children's depths, not their sum."),
    (lambda t: _depth(t, min), "take the deeper child (max), not the shallower one (min)."),
)


def _check_tree_depth(fn: Callable[[Any], int]) -> str:
    rng = np.random.default_rng(10)
    trees = [*TREES, _chain(7, left=True), _chain(9, left=False),
             *(_random_tree(rng, n) for n in (5, 8, 13, 21, 34))]
    results = []
    for tree in trees:
        got = fn(tree)
        require(is_int(got),
                f"tree_depth({tree!r})", "an int", type(got).__name__,
                "return the depth as a whole number.")
        results.append(int(got))
    wrong = [(t, g) for t, g in zip(trees, results, strict=True) if g != solutions.tree_depth(t)]
    if not wrong:
        return ("tree_depth follows the tree recursively, leaf = 1, pair = 1 + max(children), on "
                "balanced trees, left- and right-leaning chains and random trees of up to 34 leaves.")
    tree, got = wrong[0]
    what = f"tree_depth({tree!r})" if len(repr(tree)) < 60 else \
        f"tree_depth(a tree of {_leaves(tree)} leaves)"
    for mistake, hint in _TREE_MISTAKES:  # one known mistake that explains every result
        require(results != [mistake(t) for t in trees], what, solutions.tree_depth(tree), got, hint)
    require(False, what, solutions.tree_depth(tree), got,
            "a leaf counts 1; a pair is 1 more than the deeper of its two children.")
    raise AssertionError("unreachable")  # pragma: no cover


def _leaf_is_zero(tree: Any) -> int:
    if isinstance(tree, tuple):
        return 1 + max(_leaf_is_zero(tree[0]), _leaf_is_zero(tree[1]))
    return 0


def _left_only(tree: Any) -> int:
    return 1 + _left_only(tree[0]) if isinstance(tree, tuple) else 1


def _right_only(tree: Any) -> int:
    return 1 + _right_only(tree[1]) if isinstance(tree, tuple) else 1


def _length(tree: Any) -> int:
    return len(tree) if isinstance(tree, tuple) else 1


def _counts_leaves(tree: Any) -> int:
    return _counts_leaves(tree[0]) + _counts_leaves(tree[1]) if isinstance(tree, tuple) else 1


def _adds_depths(tree: Any) -> int:
    return 1 + _adds_depths(tree[0]) + _adds_depths(tree[1]) if isinstance(tree, tuple) else 1


def _shallower_child(tree: Any) -> int:
    return 1 + min(_shallower_child(tree[0]), _shallower_child(tree[1])) if isinstance(tree, tuple) else 1


# ---------------------------------------------------------------------------------------------
# 10.collatz_steps


def _collatz(n: int) -> int:
    steps = 0
    while n > 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


_COLLATZ_HOW = ("replace n by n // 2 when it is even and by 3 * n + 1 when it is odd; count one step "
                "per update of n, and stop as soon as n is 1.")


def _steps(fn: Any, tf: Any, n: int, how: str) -> int:
    got = fn(tf.constant(n, tf.int32))
    require(np.ndim(got) == 0, f"collatz_steps(tf.constant({n})) {how}", "one number",
            f"shape {np.shape(got)}", "return the step counter, a scalar tensor.")
    return int(got)


def _check_collatz(fn: Any) -> str:
    tf = import_tensorflow()
    require(hasattr(fn, "get_concrete_function"), "collatz_steps", "a function decorated with @tf.function",
            f"a plain {type(fn).__name__}", "put @tf.function on the line above def collatz_steps(n):.")
    graph = fn.get_concrete_function(tf.TensorSpec([], tf.int32)).graph
    ops = {op.type for op in graph.get_operations()}
    require(bool(ops & {"While", "StatelessWhile"}), "operations in the graph for an int32 scalar",
            "a While loop", f"no loop ({len(ops)} kinds of operation)",
            "loop with `while n > 1:` on the tensor n; AutoGraph turns that into tf.while_loop.")
    rng = np.random.default_rng(1010)
    ns = [1, 2, 3, 6, 7, 27, *sorted(int(n) for n in rng.choice(np.arange(28, 3000), 5, replace=False))]
    ns.append(871)  # 178 steps, the most below 1000
    # First run the Python function eagerly, smallest n first: the time limit can stop a Python loop
    # that never ends, but not a While loop running inside a graph. Only then run the graph.
    eager: dict[int, int] = {}
    eager_before = tf.config.functions_run_eagerly()
    tf.config.run_functions_eagerly(True)
    try:
        for n in ns:
            want = _collatz(n)
            got = eager[n] = _steps(fn, tf, n, "run eagerly")
            what = f"collatz_steps(tf.constant({n}))"
            require(got != want + 1, what, want, got,
                    "one step too many: start the counter at 0, and stop as soon as n is 1.")
            require(got != want - 1, what, want, got,
                    "one step too few: count every update of n, the last one (to 1) included.")
            if got < want:
                longer = [m for m in ns if _collatz(m) > want][-2:]
                same = [m for m in longer if _steps(fn, tf, m, "run eagerly") == got]
                require(not same, what, want, got,
                        f"your count stops at {got} for n = {', '.join(map(str, [n, *same]))}, which "
                        "need more steps: something ends the loop before n reaches 1 (a "
                        "maximum_iterations, or a range of fixed length).")
            require(got == want, what, want, got, _COLLATZ_HOW)
    finally:
        tf.config.run_functions_eagerly(eager_before)
    for n in ns:
        got = _steps(fn, tf, n, "in its graph")
        require(got == eager[n], f"collatz_steps(tf.constant({n})) in its graph", eager[n], got,
                "the graph counts differently from the same code run eagerly: use tensor operations "
                "(not Python ints or NumPy) for everything inside the loop.")
    return ("collatz_steps is a tf.function whose graph for an int32 scalar holds a While loop, and its "
            "graph counts the right number of steps for n = 1, 2, 3, 6, 7, 27 (111 steps), 871 (178) "
            "and five random n up to 3000.")


def _plain_python() -> Callable[[Any], int]:
    def collatz_steps(n):
        return _collatz(int(n))

    return collatz_steps


def _no_loop() -> Any:
    return import_tensorflow().function(lambda n: n)


def _counter_starts_at_one() -> Any:
    tf = import_tensorflow()

    @tf.function
    def collatz_steps(n):
        steps = tf.constant(1)
        while n > 1:
            if n % 2 == 0:
                n = n // 2
            else:
                n = 3 * n + 1
            steps += 1
        return steps

    return collatz_steps


def _capped_loop() -> Any:
    tf = import_tensorflow()

    @tf.function
    def collatz_steps(n):
        def body(n, steps):
            return tf.where(n % 2 == 0, n // 2, 3 * n + 1), steps + 1

        return tf.while_loop(lambda n, steps: n > 1, body, (n, tf.constant(0)),
                             maximum_iterations=100)[1]

    return collatz_steps


def _rules_swapped() -> Any:
    tf = import_tensorflow()

    @tf.function
    def collatz_steps(n):
        steps = tf.constant(0)
        while n > 1:
            if n % 2 == 0:
                n = 3 * n + 1
            else:
                n = n // 2
            steps += 1
        return steps

    return collatz_steps


# ---------------------------------------------------------------------------------------------
# 10.count_traces


def _check_count(answer: Any) -> str:
    require(isinstance(answer, int) and not isinstance(answer, bool), "answer", "an int",
            f"{type(answer).__name__} {answer!r}",
            "write the number itself, a plain int without quotes or a decimal point.")
    require(answer != 6, "number of traces", 4, answer,
            "calls with a tree seen before reuse its graph: repeated trees do not trace again.")
    require(answer != 1, "number of traces", 4, answer,
            "a Python argument is part of the signature, so a new tree means a new trace.")
    require(answer != 3, "number of traces", 4, answer,
            "not only the shape counts: Python ints are compared by value, so (0, 1) and (1, 0) differ.")
    require(answer == 4, "number of traces", 4, answer, "count the distinct trees in the list.")
    return "4 distinct trees, 4 traces: with Python data as input, every new value builds a new graph."


register(Exercise(
    id="10.tree_depth",
    title="Depth of a tree, by recursion",
    checker=_check_tree_depth,
    solution=solutions.tree_depth,
    wrong=(
        Wrong(_leaf_is_zero, "including the leaf"),
        Wrong(_left_only, "only the left child"),
        Wrong(_right_only, "only the right child"),
        Wrong(_length, "not the tuple's length"),
        Wrong(_counts_leaves, "the number of leaves"),
        Wrong(_adds_depths, "counts every node"),
        Wrong(_shallower_child, "not the shallower one"),
    ),
))

register(Exercise(
    id="10.collatz_steps",
    title="A data-dependent while loop in one TensorFlow graph",
    checker=_check_collatz,
    solution=solutions.collatz_steps_solution,
    kind="value",
    wrong=(
        Wrong(_plain_python, "put @tf.function on the line above"),
        Wrong(_no_loop, "AutoGraph turns that into tf.while_loop"),
        Wrong(_counter_starts_at_one, "one step too many"),
        Wrong(_capped_loop, "before n reaches 1"),
        Wrong(_rules_swapped, "by 3 * n + 1 when it is odd"),
    ),
))

register(Exercise(
    id="10.count_traces",
    title="How many graphs does a tf.function build for Python trees?",
    checker=_check_count,
    solution=solutions.count_traces_answer,
    kind="value",
    wrong=(
        Wrong(lambda: 6, "repeated trees do not trace again"),
        Wrong(lambda: 1, "a Python argument is part of the signature"),
        Wrong(lambda: 3, "Python ints are compared by value"),
        Wrong(lambda: "4", "a plain int without quotes"),
        Wrong(lambda: 5, "count the distinct trees"),
    ),
))
