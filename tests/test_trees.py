"""Tests of course_lib.trees."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib.errors import CourseInputError
from course_lib.trees import TreeNet, count_leaves, expect_tree, linearize, random_tree


def test_check_tree_accepts_nested_pairs_and_rejects_the_rest():
    expect_tree(((0, 1), 2))
    expect_tree(3, vocab_size=4)
    with pytest.raises(CourseInputError, match="pair"):
        expect_tree((0, 1, 2))
    with pytest.raises(CourseInputError, match="str"):
        expect_tree((0, "a"))
    with pytest.raises(CourseInputError, match="leaf 7"):
        expect_tree((0, 7), vocab_size=5)


def test_count_leaves():
    assert count_leaves(4) == 1
    assert count_leaves(((0, 1), (2, (3, 4)))) == 5
    with pytest.raises(CourseInputError):
        count_leaves([0, 1])


def test_random_tree_has_the_requested_leaves():
    rng = np.random.default_rng(0)
    for n in (1, 2, 7):
        tree = random_tree(n, 5, rng)
        assert count_leaves(tree) == n
        expect_tree(tree, vocab_size=5)
    with pytest.raises(CourseInputError, match="n_leaves"):
        random_tree(0, 5, rng)
    with pytest.raises(CourseInputError, match="rng"):
        random_tree(3, 5, 0)


def test_linearize_puts_children_before_parents():
    leaf_ids, left, right = linearize(((0, 1), 2))
    assert leaf_ids.tolist() == [0, 1, -1, 2, -1]
    assert left.tolist() == [-1, -1, 0, -1, 2]
    assert right.tolist() == [-1, -1, 1, -1, 3]
    with pytest.raises(CourseInputError):
        linearize((0,))


def test_tree_net_follows_the_tree():
    torch.manual_seed(0)
    net = TreeNet(vocab_size=3, dim=4)
    leaf = net(2)
    assert torch.equal(leaf, net.embedding.weight[2])
    out = net((0, (1, 2)))
    inner = torch.tanh(net.combine(torch.cat([net.embedding.weight[1], net.embedding.weight[2]])))
    expected = torch.tanh(net.combine(torch.cat([net.embedding.weight[0], inner])))
    torch.testing.assert_close(out, expected)
    out.sum().backward()
    assert net.combine.weight.grad is not None
    with pytest.raises(CourseInputError, match="leaf 3"):
        net((0, 3))
    with pytest.raises(CourseInputError, match="dim"):
        TreeNet(3, 0)


def _deep(levels):
    tree = 0
    for _ in range(levels):
        tree = (tree, 0)
    return tree


def test_a_tree_too_deep_to_walk_is_refused_clearly():
    """count_leaves, linearize and TreeNet recurse: a 2000-level tree used to raise RecursionError."""
    assert count_leaves(_deep(400)) == 401
    for fn in (expect_tree, count_leaves, linearize, TreeNet(3, 2)):
        with pytest.raises(CourseInputError, match="at most 500 levels"):
            fn(_deep(2000))


def test_a_bool_is_not_a_size():
    with pytest.raises(CourseInputError, match="vocab_size: expected None or an int"):
        expect_tree(0, vocab_size=True)  # leaf 0 was checked against "< True"
    with pytest.raises(CourseInputError, match="n_leaves: expected an int"):
        random_tree(True, 5, np.random.default_rng(0))  # used to return a leaf
    with pytest.raises(CourseInputError, match="vocab_size: expected an int"):
        TreeNet(vocab_size=True)
