"""Small binary trees as nested tuples, and a recursive network that follows their shape.

A tree is either a leaf, an ``int`` word id, or a pair ``(left, right)`` of trees:
``((0, 1), 2)`` has three leaves and two internal nodes.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from course_lib.errors import CourseInputError, expect

Tree = int | tuple["Tree", "Tree"]


def check_tree(tree: object, vocab_size: int | None = None) -> None:
    """Raise CourseInputError unless ``tree`` is an int leaf or a nested pair of trees."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            if len(node) != 2:
                raise CourseInputError(
                    f"tree: expected each internal node to be a pair (left, right), got a tuple of "
                    f"length {len(node)}.")
            stack.extend(node)
        elif isinstance(node, (int, np.integer)) and not isinstance(node, bool):
            if node < 0 or (vocab_size is not None and node >= vocab_size):
                limit = "" if vocab_size is None else f" and < {vocab_size}"
                raise CourseInputError(f"tree: expected leaf ids >= 0{limit}, got leaf {int(node)}.")
        else:
            raise CourseInputError(
                f"tree: expected an int leaf or a pair (left, right) of trees, got "
                f"{type(node).__name__} {node!r}.")


def count_leaves(tree: Tree) -> int:
    """Number of leaves (words) in ``tree``."""
    check_tree(tree)
    if isinstance(tree, tuple):
        return count_leaves(tree[0]) + count_leaves(tree[1])
    return 1


def random_tree(n_leaves: int, vocab_size: int, rng: np.random.Generator) -> Tree:
    """A random binary tree with ``n_leaves`` leaves whose ids are drawn below ``vocab_size``."""
    expect(isinstance(n_leaves, int) and n_leaves >= 1, "n_leaves", "an int >= 1", n_leaves)
    expect(isinstance(vocab_size, int) and vocab_size >= 1, "vocab_size", "an int >= 1", vocab_size)
    expect(isinstance(rng, np.random.Generator), "rng", "a numpy.random.Generator", rng)
    if n_leaves == 1:
        return int(rng.integers(vocab_size))
    n_left = int(rng.integers(1, n_leaves))
    return (random_tree(n_left, vocab_size, rng), random_tree(n_leaves - n_left, vocab_size, rng))


def linearize(tree: Tree) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flatten ``tree`` in post-order into (leaf_ids, left, right): children come before parents.

    Node ``i`` is a leaf when ``leaf_ids[i] >= 0`` (then ``left[i] == right[i] == -1``);
    otherwise ``left[i]`` and ``right[i]`` are the positions of its children. The root is last.
    """
    check_tree(tree)
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
        expect(isinstance(vocab_size, int) and vocab_size >= 1, "vocab_size", "an int >= 1", vocab_size)
        expect(isinstance(dim, int) and dim >= 1, "dim", "an int >= 1", dim)
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
        check_tree(tree, self.vocab_size)
        return self.node(tree)
