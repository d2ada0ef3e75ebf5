"""Checks for lesson 10 (static versus dynamic graphs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from course_lib.exercises.core import Exercise, register, require
from course_lib.frameworks import import_tensorflow
from course_lib.solutions import lesson10 as solutions

TREES = (1, (0, 1), ((0, 1), 2), (0, (1, (2, 3))), (((0, 1), (2, 3)), ((4, 5), 6)))
DEPTHS = (1, 2, 3, 4, 4)


def _check_tree_depth(fn: Callable[[Any], int]) -> str:
    for tree, depth in zip(TREES, DEPTHS, strict=True):
        got = fn(tree)
        require(got == depth, f"tree_depth({tree!r})", depth, got,
                "a leaf counts 1; a pair is 1 more than the deeper of its two children."
                if got != depth - 1 else "count the nodes on the path, including the leaf (a leaf is 1).")
    return "tree_depth follows the tree recursively, leaf = 1, pair = 1 + max(children)."


def _collatz(n: int) -> int:
    steps = 0
    while n > 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def _check_collatz(fn: Any) -> str:
    tf = import_tensorflow()
    require(hasattr(fn, "get_concrete_function"), "collatz_steps", "a function decorated with @tf.function",
            f"a plain {type(fn).__name__}", "put @tf.function on the line above def collatz_steps(n):.")
    graph = fn.get_concrete_function(tf.TensorSpec([], tf.int32)).graph
    ops = {op.type for op in graph.get_operations()}
    require(bool(ops & {"While", "StatelessWhile"}), "operations in the graph for an int32 scalar",
            "a While loop", f"no loop ({len(ops)} kinds of operation)",
            "loop with `while n > 1:` on the tensor n; AutoGraph turns that into tf.while_loop.")
    for n in (1, 2, 6, 7, 27):
        got = int(fn(tf.constant(n)))
        require(got == _collatz(n), f"collatz_steps(tf.constant({n}))", _collatz(n), got,
                "count one step per update of n, and stop as soon as n is 1.")
    return "one graph with a While loop handles every n (27 takes 111 steps)."


def _check_count(answer: Any) -> str:
    require(isinstance(answer, int) and not isinstance(answer, bool), "answer", "an int",
            type(answer).__name__)
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
        lambda: (lambda tree: 0 if not isinstance(tree, tuple) else 1 + max(
            solutions.tree_depth(tree[0]), solutions.tree_depth(tree[1])) - 1),
        lambda: (lambda tree: 1 + solutions.tree_depth(tree[0]) if isinstance(tree, tuple) else 1),
        lambda: (lambda tree: len(tree) if isinstance(tree, tuple) else 1),
    ),
))

register(Exercise(
    id="10.collatz_steps",
    title="A data-dependent while loop in one TensorFlow graph",
    checker=_check_collatz,
    solution=solutions.collatz_steps_solution,
    kind="value",
    wrong=(
        lambda: (lambda n: _collatz(int(n))),
        lambda: import_tensorflow().function(lambda n: n),
    ),
))

register(Exercise(
    id="10.count_traces",
    title="How many graphs does a tf.function build for Python trees?",
    checker=_check_count,
    solution=solutions.count_traces_answer,
    kind="value",
    wrong=(lambda: 6, lambda: 1, lambda: 3),
))
