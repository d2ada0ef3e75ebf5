"""Look inside torch's autograd graph: print the ``grad_fn`` tree behind a tensor as text."""

from __future__ import annotations

from typing import Any

import torch

from course_lib.errors import CourseInputError, expect, expect_int


def _node_label(node: Any, names: dict[int, str]) -> str:
    label = type(node).__name__
    variable = getattr(node, "variable", None)  # AccumulateGrad nodes hold their leaf tensor
    if isinstance(variable, torch.Tensor):
        name = names.get(id(variable), "leaf")
        label += f" -> {name} {tuple(variable.shape)}"
    return label


def _root(tensor: Any) -> Any:
    expect(isinstance(tensor, torch.Tensor), "tensor", "a torch.Tensor", tensor)
    if tensor.grad_fn is None:
        hint = ("it is a leaf that requires grad" if tensor.requires_grad
                else "no input had requires_grad=True")
        raise CourseInputError(f"tensor: expected the result of an operation on tensors with "
                               f"requires_grad=True, got a tensor without grad_fn ({hint}).")
    return tensor.grad_fn


def graph_tree(tensor: torch.Tensor, names: dict[str, torch.Tensor] | None = None,
               max_depth: int = 30) -> str:
    """The backward graph of ``tensor`` as an indented tree, from its ``grad_fn`` down to the leaves.

    ``names`` maps a label to a leaf tensor (``{"x": x}``) so its AccumulateGrad node says which.
    """
    root = _root(tensor)
    names = {} if names is None else names
    expect(isinstance(names, dict) and all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                           for k, v in names.items()),
           "names", "a dict of label -> torch.Tensor", names)
    for label, v in names.items():
        if not (v.requires_grad and v.grad_fn is None):
            raise CourseInputError(f"names[{label!r}]: expected a leaf tensor with requires_grad=True (only "
                                   f"leaves get an AccumulateGrad node to label), got {_tensor_kind(v)}.")
    expect_int(max_depth, "max_depth", low=1)
    by_id = {id(v): k for k, v in names.items()}
    lines = [_node_label(root, by_id)]

    def walk(node: Any, prefix: str, depth: int) -> None:
        children = [n for n, _ in node.next_functions if n is not None]
        for i, child in enumerate(children):
            last = i == len(children) - 1
            lines.append(prefix + ("└─ " if last else "├─ ") + _node_label(child, by_id))
            if depth < max_depth:
                walk(child, prefix + ("   " if last else "│  "), depth + 1)
            elif child.next_functions:
                lines.append(prefix + ("   " if last else "│  ") + "└─ ...")

    walk(root, "", 1)
    return "\n".join(lines)


def _tensor_kind(v: torch.Tensor) -> str:
    if v.grad_fn is not None:
        return f"a tensor made by {type(v.grad_fn).__name__}"
    return "a tensor without requires_grad"


def graph_nodes(tensor: torch.Tensor) -> list[str]:
    """The type of each node of ``tensor``'s backward graph, in the order a walk first meets the node
    (each node once; a type repeats when several nodes have it, as two matmuls do)."""
    root = _root(tensor)
    seen: set[int] = set()
    order: list[str] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(type(node).__name__)
        stack.extend(reversed([n for n, _ in node.next_functions if n is not None]))
    return order
