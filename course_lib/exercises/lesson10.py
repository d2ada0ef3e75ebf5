"""Checks for lesson 10 (static versus dynamic graphs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from course_lib.exercises.core import (
    Case,
    Exercise,
    Mistake,
    Returns,
    Table,
    as_number,
    exercise,
    register,
    require,
)
from course_lib.frameworks import import_tensorflow
from course_lib.solutions import lesson10 as solutions

# ---------------------------------------------------------------------------------------------
# 10.tree_depth: a table. Edge cases: a lone leaf, left- and right-leaning chains (one of 40
# leaves, past any fixed cap), a tree whose deeper side switches, random trees.


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


def _tree_cases(rng: np.random.Generator) -> list[Case]:
    trees = [1, (0, 1), ((0, 1), 2), (0, (1, (2, 3))), (((0, 1), (2, 3)), ((4, 5), 6)),
             ((0, (1, (2, 3))), ((4, 5), 6)), _chain(7, left=True), _chain(9, left=False),
             _chain(40, left=True), *(_random_tree(rng, n) for n in (5, 8, 13, 21, 34))]
    return [Case(f"tree_depth({t!r})" if len(repr(t)) < 60 else f"tree_depth(a tree of {_leaves(t)} "
                 "leaves)", (t,)) for t in trees]


_BOTH = "a pair is 1 more than the deeper of its two children, so look at both."
_AN_INT = "return the depth as an int (a whole number, not 3.0)."

exercise("10.tree_depth", "Depth of a tree, by recursion", solutions.tree_depth, Table(
    cases=_tree_cases, seed=10,
    returns=Returns("int", type_hint=_AN_INT),
    mistakes=(
        Mistake(lambda t: _depth(t, leaf=0), "count the nodes on the path, including the leaf (a "
                                             "leaf is 1)."),
        Mistake(lambda t: _depth(t, lambda a, b: a), f"you follow only the left child: {_BOTH}"),
        Mistake(lambda t: _depth(t, lambda a, b: b), f"you follow only the right child: {_BOTH}"),
        Mistake(lambda t: len(t) if isinstance(t, tuple) else 1,
                "the depth is not the tuple's length (always 2 for a pair): recurse into both children."),
        Mistake(_leaves, "that is the number of leaves: a pair is 1 more than the deeper of its two "
                         "children, whatever the other child holds."),
        Mistake(lambda t: _depth(t, lambda a, b: a + b), "that counts every node of the tree: the path "
                "goes through one child of each pair, so take the max of the two children's depths, "
                "not their sum."),
        Mistake(lambda t: _depth(t, min), "take the deeper child (max), not the shallower one (min)."),
        Mistake(lambda t: min(_depth(t), 20), "your depth stops at 20 on a chain of 40 leaves: "
                "something caps the recursion or the loop; follow the tree all the way down."),
        Mistake(lambda t: float(_depth(t)), _AN_INT),
    ),
    fallback="a leaf counts 1; a pair is 1 more than the deeper of its two children.",
    success="tree_depth follows the tree recursively, leaf = 1, pair = 1 + max(children), on a lone "
            "leaf, balanced trees, left- and right-leaning chains of up to 40 leaves and random trees "
            "of up to 34 leaves.",
))

# ---------------------------------------------------------------------------------------------
# 10.collatz_steps: a hand-written grader (it needs the graph), on the same Mistake list.


def _collatz(n: int) -> int:
    steps = 0
    while n > 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


_COLLATZ_HOW = ("replace n by n // 2 when it is even and by 3 * n + 1 when it is odd; count one step "
                "per update of n, and stop as soon as n is 1.")
_NOT_TF = "put @tf.function on the line above def collatz_steps(n):."
_NO_LOOP = "loop with `while n > 1:` on the tensor n; AutoGraph turns that into tf.while_loop."
_TOO_MANY = "one step too many: start the counter at 0, and stop as soon as n is 1."
_TOO_FEW = "one step too few: count every update of n, the last one (to 1) included."
_CAPPED = ("your count stops short for the n that need the most steps (871 needs 178, 6171 needs 261, "
           "77031 needs 350): something ends the loop before n reaches 1 (a maximum_iterations, or a "
           "range of fixed length).")
_GRAPH_DIFFERS = ("the graph counts differently from the same code run eagerly: use tensor operations "
                  "(not Python ints or NumPy) for everything inside the loop.")
_SCALAR = "return the step counter, an integer scalar tensor."


def _steps(fn: Any, tf: Any, n: int, how: str) -> int:
    got = as_number(fn(tf.constant(n, tf.int32)), whole=True)
    require(got is not None, f"collatz_steps(tf.constant({n})) {how}", "an integer scalar",
            "something else", _SCALAR)
    return int(got)  # type: ignore[arg-type]


def _grade_collatz(fn: Any) -> str:
    tf = import_tensorflow()
    require(hasattr(fn, "get_concrete_function"), "collatz_steps", "a function decorated with @tf.function",
            f"a plain {type(fn).__name__}", _NOT_TF)
    graph = fn.get_concrete_function(tf.TensorSpec([], tf.int32)).graph
    ops = {op.type for op in graph.get_operations()}
    require(bool(ops & {"While", "StatelessWhile"}), "operations in the graph for an int32 scalar",
            "a While loop", f"no loop ({len(ops)} kinds of operation)", _NO_LOOP)
    rng = np.random.default_rng(1010)
    ns = [1, 2, 3, 6, 7, 27, *sorted(int(n) for n in rng.choice(np.arange(28, 3000), 5, replace=False))]
    ns += [871, 6171, 77031]  # 178, 261 and 350 steps: past any small cap on the loop
    # First run the Python function eagerly, smallest n first: the time limit can stop a Python loop
    # that never ends, but not a While loop running inside a graph. Only then run the graph.
    eager: dict[int, int] = {}
    eager_before = tf.config.functions_run_eagerly()
    tf.config.run_functions_eagerly(True)
    try:
        for n in ns:
            want, got = _collatz(n), _steps(fn, tf, n, "run eagerly")
            eager[n] = got
            what = f"collatz_steps(tf.constant({n}))"
            require(got != want + 1, what, want, got, _TOO_MANY)
            require(got != want - 1, what, want, got, _TOO_FEW)
            if got < want:
                longer = [m for m in ns if _collatz(m) > want][-2:]
                same = [m for m in longer if _steps(fn, tf, m, "run eagerly") == got]
                require(not same, what, want, got, _CAPPED)
            require(got == want, what, want, got, _COLLATZ_HOW)
    finally:
        tf.config.run_functions_eagerly(eager_before)
    for n in ns:
        got = _steps(fn, tf, n, "in its graph")
        require(got == eager[n], f"collatz_steps(tf.constant({n})) in its graph", eager[n], got,
                _GRAPH_DIFFERS)
    return ("collatz_steps is a tf.function whose graph for an int32 scalar holds a While loop, and its "
            "graph counts the right number of steps for n = 1, 2, 3, 6, 7, 27 (111 steps), 871 (178), "
            "6171 (261), 77031 (350) and five random n up to 3000.")


def _collatz_tf(*, start: int = 0, swapped: bool = False, cap: int | None = None,
                as_float: bool = False) -> Any:
    """A tf.function for collatz_steps with one known mistake switched on."""
    tf = import_tensorflow()

    @tf.function
    def collatz_steps(n: Any) -> Any:
        def body(n: Any, steps: Any) -> Any:
            even, odd = n // 2, 3 * n + 1
            return tf.where(n % 2 == 0, odd if swapped else even, even if swapped else odd), steps + 1

        kwargs = {"maximum_iterations": cap} if cap else {}
        steps = tf.while_loop(lambda n, steps: n > 1, body, (n, tf.constant(start)), **kwargs)[1]
        return tf.cast(steps, tf.float32) if as_float else steps

    return collatz_steps


register(Exercise(
    id="10.collatz_steps",
    title="A data-dependent while loop in one TensorFlow graph",
    grader=_grade_collatz,
    solution=solutions.collatz_steps_solution,
    kind="value",
    wrong=(
        Mistake(lambda: lambda n: _collatz(int(n)), _NOT_TF),  # plain Python, no @tf.function
        Mistake(lambda: import_tensorflow().function(lambda n: n), _NO_LOOP),
        Mistake(lambda: _collatz_tf(start=1), _TOO_MANY),
        Mistake(lambda: _collatz_tf(start=-1), _TOO_FEW),
        Mistake(lambda: _collatz_tf(cap=100), _CAPPED),
        Mistake(lambda: _collatz_tf(cap=200), _CAPPED),  # passes 871 (178 steps), not 6171 (261)
        Mistake(lambda: _collatz_tf(swapped=True), _COLLATZ_HOW),
        Mistake(lambda: _collatz_tf(as_float=True), _SCALAR),
    ),
))

# ---------------------------------------------------------------------------------------------
# 10.count_traces: a value table.

_COUNT_TYPE = "write the number itself, a plain int without quotes or a decimal point."
_DISTINCT = "count the distinct trees in the list."

exercise("10.count_traces", "How many graphs does a tf.function build for Python trees?",
         solutions.count_traces_answer, kind="value", table=Table(
    cases=lambda rng: [Case("number of traces", ())],
    returns=Returns("int", type_hint=_COUNT_TYPE),
    mistakes=(
        Mistake(lambda: 6, "calls with a tree seen before reuse its graph: repeated trees do not trace "
                           "again."),
        Mistake(lambda: 1, "a Python argument is part of the signature, so a new tree means a new trace."),
        Mistake(lambda: 3, "not only the shape counts: Python ints are compared by value, so (0, 1) and "
                           "(1, 0) differ."),
        Mistake(lambda: "4", _COUNT_TYPE),
        Mistake(lambda: 4.0, _COUNT_TYPE),
        Mistake(lambda: 5, _DISTINCT),
    ),
    fallback=_DISTINCT,
    success="4 distinct trees, 4 traces: with Python data as input, every new value builds a new graph.",
))
