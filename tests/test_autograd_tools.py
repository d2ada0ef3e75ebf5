"""Unit tests for course_lib.autograd_tools: printing the grad_fn graph."""

import pytest
import torch

from course_lib.autograd_tools import graph_nodes, graph_tree
from course_lib.errors import CourseInputError


def _lecture_graph():
    x, y, z = (torch.randn(3, 4, requires_grad=True) for _ in range(3))
    return (x * y + z).sum(), x, y, z


def test_graph_tree_prints_the_lecture_graph():
    c, x, y, z = _lecture_graph()
    assert graph_tree(c, {"x": x, "y": y, "z": z}).splitlines() == [
        "SumBackward0",
        "└─ AddBackward0",
        "   ├─ MulBackward0",
        "   │  ├─ AccumulateGrad -> x (3, 4)",
        "   │  └─ AccumulateGrad -> y (3, 4)",
        "   └─ AccumulateGrad -> z (3, 4)",
    ]
    assert "AccumulateGrad -> leaf (3, 4)" in graph_tree(c)


def test_graph_tree_cuts_deep_graphs():
    h = torch.ones(2, requires_grad=True)
    for _ in range(10):
        h = h * 2
    text = graph_tree(h.sum(), max_depth=3)
    assert text.count("MulBackward0") == 3 and text.endswith("└─ ...")


def test_graph_nodes_follow_the_data():
    w = torch.randn(4, 4, requires_grad=True)
    one = torch.tanh(torch.ones(1, 4) @ w).sum()
    three = torch.tanh(torch.tanh(torch.ones(1, 4) @ w) @ w).sum()
    assert graph_nodes(one) == ["SumBackward0", "TanhBackward0", "MmBackward0", "AccumulateGrad"]
    assert graph_nodes(three).count("MmBackward0") == 2
    assert graph_nodes(three).count("AccumulateGrad") == 1  # w is shared, visited once


@pytest.mark.parametrize("bad, match", [
    ([1, 2], "expected a torch.Tensor"),
    (torch.ones(2), "no input had requires_grad"),
    (torch.ones(2, requires_grad=True), "leaf that requires grad"),
])
def test_bad_input_raises(bad, match):
    with pytest.raises(CourseInputError, match=match):
        graph_tree(bad)
    with pytest.raises(CourseInputError, match=match):
        graph_nodes(bad)


def test_bad_names_and_depth_raise():
    c, x, _, _ = _lecture_graph()
    with pytest.raises(CourseInputError, match="names"):
        graph_tree(c, {"x": [1, 2]})
    with pytest.raises(CourseInputError, match="max_depth"):
        graph_tree(c, max_depth=0)


def test_bad_names_that_used_to_be_ignored_raise():
    c, x, _, _ = _lecture_graph()
    with pytest.raises(CourseInputError, match=r"names\['c'\]: expected a leaf tensor"):
        graph_tree(c, {"c": c})  # an intermediate result never gets a label
    with pytest.raises(CourseInputError, match="names"):
        graph_tree(c, False)
    with pytest.raises(CourseInputError, match="max_depth: expected an int"):
        graph_tree(c, max_depth=True)  # used to cut the graph at depth 1
