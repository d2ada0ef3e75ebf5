"""Pictures of tensors for lesson 01: how broadcasting stretches two arrays to a common shape."""

from __future__ import annotations

from typing import Any

import numpy as np

from course_lib.errors import CourseInputError, expect, wrapped


def _as_2d(a: Any, name: str) -> np.ndarray:
    with wrapped(f"{name}: expected a 1-D or 2-D array of numbers"):
        arr = np.asarray(a)
    expect(arr.ndim in (1, 2) and arr.size <= 64, name,
           "a 1-D or 2-D array with at most 64 elements", a)
    expect(arr.size >= 1, name, "an array with at least one element", a)
    expect(arr.dtype.kind in "biuf", name, "an array of numbers (bool, int or float)", a)
    return arr.reshape(1, -1) if arr.ndim == 1 else arr


def plot_broadcast(a: Any, b: Any, *, ax: Any = None) -> Any:
    """Draw ``a``, ``b`` and ``a + b`` as grids; cells that broadcasting repeats are shaded grey.

    Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt

    a2, b2 = _as_2d(a, "a"), _as_2d(b, "b")
    if ax is not None:
        from matplotlib.axes import Axes

        expect(isinstance(ax, (list, tuple, np.ndarray)) and len(ax) == 3
               and all(isinstance(x, Axes) for x in ax), "ax", "None or 3 matplotlib Axes (a, b, a + b)", ax)
    try:
        shape = np.broadcast_shapes(a2.shape, b2.shape)
    except ValueError as exc:
        raise CourseInputError(f"a, b: shapes {np.shape(a)} and {np.shape(b)} do not broadcast "
                               "(each dimension must match or be 1).") from exc
    total = a2 + b2
    if ax is None:
        fig, axes = plt.subplots(1, 3, figsize=(6.4, 2.4), dpi=90)
    else:
        axes, fig = ax, ax[0].figure
    panels = ((a2, f"a {np.shape(a)}"), (b2, f"b {np.shape(b)}"), (total, f"a + b {shape}"))
    for axis, (arr, title) in zip(axes, panels, strict=True):
        axis.set_xlim(-0.5, shape[1] - 0.5)
        axis.set_ylim(shape[0] - 0.5, -0.5)
        axis.set_aspect("equal")
        axis.set_xticks([])
        axis.set_yticks([])
        axis.set_title(title, fontsize=9)
        for i in range(shape[0]):
            for j in range(shape[1]):
                real = i < arr.shape[0] and j < arr.shape[1]
                stretched = arr is not total and not real
                value = arr[min(i, arr.shape[0] - 1), min(j, arr.shape[1] - 1)]
                face = "#dddddd" if stretched else "#9ecae1"
                axis.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=face,
                                             edgecolor="black", linewidth=0.8))
                axis.text(j, i, f"{value:g}", ha="center", va="center", fontsize=8,
                          color="#666666" if stretched else "black")
        for side in axis.spines.values():
            side.set_visible(False)
    fig.suptitle("Broadcasting: grey cells are repeated copies, not stored", fontsize=9)
    fig.tight_layout()
    return fig
