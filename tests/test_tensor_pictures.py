"""Unit tests for course_lib.tensor_pictures: the broadcasting picture."""

import matplotlib
import numpy as np
import pytest

from course_lib.errors import CourseInputError
from course_lib.tensor_pictures import plot_broadcast

matplotlib.use("Agg")


def test_plot_broadcast_draws_three_grids_of_the_result_shape():
    fig = plot_broadcast(np.array([[0], [10], [20]]), np.arange(4))
    axes = fig.axes
    assert len(axes) == 3
    assert [ax.get_title() for ax in axes] == ["a (3, 1)", "b (4,)", "a + b (3, 4)"]
    assert all(len(ax.patches) == 12 for ax in axes)
    grey = [p for p in axes[0].patches if p.get_facecolor()[:3] != axes[2].patches[0].get_facecolor()[:3]]
    assert len(grey) == 9  # 3 real cells, 9 repeated ones
    assert "23" in [t.get_text() for t in axes[2].texts]


def test_plot_broadcast_rejects_incompatible_or_large_input():
    with pytest.raises(CourseInputError, match="do not broadcast"):
        plot_broadcast(np.ones((3, 2)), np.ones(4))
    with pytest.raises(CourseInputError, match="at most 64 elements"):
        plot_broadcast(np.ones((10, 10)), np.ones(10))
    with pytest.raises(CourseInputError, match="1-D or 2-D"):
        plot_broadcast(np.ones((2, 2, 2)), np.ones(2))


def test_plot_broadcast_rejects_non_numbers_empty_arrays_and_bad_axes():
    with pytest.raises(CourseInputError, match="a: expected an array of numbers"):
        plot_broadcast(["a", "b"], [1, 2])
    with pytest.raises(CourseInputError, match="a: expected a 1-D or 2-D array"):
        plot_broadcast([[1, 2], [3]], [1])
    with pytest.raises(CourseInputError, match="at least one element"):
        plot_broadcast([], [1])  # used to draw three empty grids
    with pytest.raises(CourseInputError, match="ax: expected None or 3 matplotlib Axes"):
        plot_broadcast([1, 2], [1, 2], ax=3)


def test_plot_broadcast_draws_into_given_axes():
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3)
    assert plot_broadcast([1, 2], [[1], [2]], ax=axes) is fig
    plt.close(fig)
