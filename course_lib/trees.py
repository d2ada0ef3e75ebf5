"""Small binary trees as nested tuples, and a recursive network that follows their shape.

A tree is either a leaf, an ``int`` word id, or a pair ``(left, right)`` of trees:
``((0, 1), 2)`` has three leaves and two internal nodes.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import torch
from torch import nn

from course_lib.errors import CourseInputError, expect, expect_int, is_int

Tree = int | tuple["Tree", "Tree"]
MAX_DEPTH = 500  # levels: the recursive functions below (and TreeNet.node) stay far from Python's limit
MAX_LEAVES = 100_000


def expect_tree(tree: object, vocab_size: int | None = None) -> None:
    """Raise CourseInputError unless ``tree`` is an int leaf or a nested pair of trees.

    A tree deeper than MAX_DEPTH levels is refused too: walking it recursively would overflow."""
    expect(vocab_size is None or (is_int(vocab_size) and vocab_size >= 1), "vocab_size",
           "None or an int of at least 1", vocab_size)
    stack: list[tuple[object, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CourseInputError(f"tree: expected at most {MAX_DEPTH} levels, got a deeper tree.")
        if isinstance(node, tuple):
            if len(node) != 2:
                raise CourseInputError(
                    f"tree: expected each internal node to be a pair (left, right), got a tuple of "
                    f"length {len(node)}.")
            stack.extend((child, depth + 1) for child in node)
        elif is_int(node):
            leaf = int(cast(int, node))
            if leaf < 0 or (vocab_size is not None and leaf >= vocab_size):
                limit = "" if vocab_size is None else f" and < {vocab_size}"
                raise CourseInputError(f"tree: expected leaf ids >= 0{limit}, got leaf {leaf}.")
        else:
            raise CourseInputError(
                f"tree: expected an int leaf or a pair (left, right) of trees, got "
                f"{type(node).__name__} {node!r}.")


def count_leaves(tree: Tree) -> int:
    """Number of leaves (words) in ``tree``."""
    expect_tree(tree)
    return _leaves(tree)


def _leaves(tree: Tree) -> int:
    return _leaves(tree[0]) + _leaves(tree[1]) if isinstance(tree, tuple) else 1


def random_tree(n_leaves: int, vocab_size: int, rng: np.random.Generator) -> Tree:
    """A random binary tree with ``n_leaves`` leaves whose ids are drawn below ``vocab_size``."""
    expect_int(n_leaves, "n_leaves", low=1, high=MAX_LEAVES)
    expect_int(vocab_size, "vocab_size", low=1)
    expect(isinstance(rng, np.random.Generator), "rng", "a numpy.random.Generator", rng)
    return _random_tree(int(n_leaves), int(vocab_size), rng)


def _random_tree(n_leaves: int, vocab_size: int, rng: np.random.Generator) -> Tree:
    if n_leaves == 1:
        return int(rng.integers(vocab_size))
    n_left = int(rng.integers(1, n_leaves))
    return (_random_tree(n_left, vocab_size, rng), _random_tree(n_leaves - n_left, vocab_size, rng))


def linearize(tree: Tree) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flatten ``tree`` in post-order into (leaf_ids, left, right): children come before parents.

    Node ``i`` is a leaf when ``leaf_ids[i] >= 0`` (then ``left[i] == right[i] == -1``);
    otherwise ``left[i]`` and ``right[i]`` are the positions of its children. The root is last.
    """
    expect_tree(tree)
    leaf_ids: list[int] = []
    left: list[int] = []
    right: list[int] = []

    def visit(node: Tree) -> int:
        if isinstance(node, tuple):
            a, b = visit(node[0]), visit(node[1])
            leaf_ids.append(-1)
            left.append(a)
            right.append(b)
        else:
            leaf_ids.append(int(node))
            left.append(-1)
            right.append(-1)
        return len(leaf_ids) - 1

    visit(tree)
    as_array = lambda v: np.asarray(v, dtype=np.int32)  # noqa: E731
    return as_array(leaf_ids), as_array(left), as_array(right)


class TreeNet(nn.Module):
    """A recursive network: leaves look up an embedding, a node mixes its two children.

    ``h(leaf) = embedding[id]`` and ``h((l, r)) = tanh(W [h(l); h(r)] + b)``.
    """

    def __init__(self, vocab_size: int = 10, dim: int = 4) -> None:
        super().__init__()
        expect_int(vocab_size, "vocab_size", low=1)
        expect_int(dim, "dim", low=1)
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, dim)
        self.combine = nn.Linear(2 * dim, dim)

    def node(self, tree: Tree) -> torch.Tensor:
        """The vector for one (sub)tree, computed by plain Python recursion."""
        if isinstance(tree, tuple):
            children = torch.cat([self.node(tree[0]), self.node(tree[1])])
            return torch.tanh(self.combine(children))
        return self.embedding.weight[tree]

    def forward(self, tree: Tree) -> torch.Tensor:
        expect_tree(tree, self.vocab_size)
        return self.node(tree)
