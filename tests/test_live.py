"""course_lib.live without a server: inline mode, the history, bad input, the figure.

The tests with a real Visdom server (streaming, and the fall-back when the server stops in
the middle of a run) are in tests/test_training_visdom.py.
"""

import numpy as np
import pytest
import torch

from course_lib.errors import CourseInputError
from course_lib.live import LivePlot, visdom_answers
from course_lib.tools.visdom_server import free_port


def test_inline_when_visdom_is_not_wanted_or_not_there():
    plot = LivePlot("loss", use_visdom=False, show=False)
    assert plot.mode == "inline" and plot.url is None and plot.window is None
    nobody = LivePlot("loss", port=free_port(), show=False)  # nothing listens on that port
    assert nobody.mode == "inline" and nobody.messages == []


def test_visdom_answers_is_false_on_a_silent_port_and_checks_the_port():
    assert visdom_answers(free_port(), timeout=0.2) is False
    for bad in (0, 70000, "8097", 8097.0, True):
        with pytest.raises(CourseInputError, match="port: expected an int between 1 and 65535"):
            visdom_answers(bad)
    with pytest.raises(CourseInputError, match="timeout: expected a finite number above 0"):
        visdom_answers(8097, timeout=0)  # used to answer False at once, whatever listened
    with pytest.raises(CourseInputError, match="base_url: expected '' or a path starting with '/'"):
        visdom_answers(8097, base_url="visdom")


def test_history_keeps_every_point_of_every_series():
    plot = LivePlot("loss", use_visdom=False, show=False)
    for step in range(5):
        plot.log(step, train=1.0 / (step + 1))
    plot.log(4, val=np.float32(0.5))  # NumPy scalars and 0-d tensors are numbers too
    plot.log(5, train=torch.tensor(0.1), val=0.4)
    assert plot.history["train"] == [(0.0, 1.0), (1.0, 0.5), (2.0, 1 / 3), (3.0, 0.25),
                                     (4.0, 0.2), (5.0, pytest.approx(0.1))]
    assert plot.history["val"] == [(4.0, 0.5), (5.0, 0.4)]
    assert plot.last("val") == 0.4
    assert plot.summary().splitlines() == ["train: 1.0000 -> 0.1000 over 6 points",
                                           "val: 0.5000 -> 0.4000 over 2 points"]
    assert LivePlot(use_visdom=False, show=False).summary() == "no points yet"


def test_bad_input_raises_and_names_what_was_passed():
    plot = LivePlot("loss", use_visdom=False, show=False)
    with pytest.raises(CourseInputError, match="step: expected a finite number, got str '1'"):
        plot.log("1", train=0.5)
    with pytest.raises(CourseInputError, match="step: expected a finite number, got bool"):
        plot.log(True, train=0.5)
    with pytest.raises(CourseInputError, match="step: expected a finite number, got float nan"):
        plot.log(float("nan"), train=0.5)
    with pytest.raises(CourseInputError, match="train: expected a number"):
        plot.log(1, train="0.5")  # float("0.5") used to accept a string silently
    with pytest.raises(CourseInputError, match="train: expected a number"):
        plot.log(1, train=True)  # and a bool as 1.0
    with pytest.raises(CourseInputError, match="at least one named value"):
        plot.log(1)
    with pytest.raises(CourseInputError, match=r"train: expected a number \(use loss.item\(\)"):
        plot.log(1, train=torch.ones(3))
    with pytest.raises(CourseInputError, match="train: expected a number"):
        plot.log(1, train="low")
    assert plot.history == {}  # nothing half-recorded
    with pytest.raises(CourseInputError, match=r"series: expected one of \[\], got 'val'"):
        plot.last("val")
    with pytest.raises(CourseInputError, match="title: expected a str, got int 3"):
        LivePlot(3)
    with pytest.raises(CourseInputError, match="redraw_every: expected a finite number of at least 0"):
        LivePlot("x", redraw_every=-1)
    with pytest.raises(CourseInputError, match="xlabel: expected a str"):
        LivePlot("x", xlabel=3, use_visdom=False, show=False)
    with pytest.raises(CourseInputError, match="use_visdom: expected True or False"):
        LivePlot("x", use_visdom="no", show=False)  # a non-empty string used to mean True
    with pytest.raises(CourseInputError, match="show: expected None, True or False"):
        LivePlot("x", use_visdom=False, show="no")


def test_window_ids_of_different_titles_never_collide():
    """Two titles with the same letters used to share one Visdom window: the second overwrote the first."""
    from course_lib.live import window_id

    assert window_id("rerun check") == "live_rerun_check"  # a plain title keeps its readable id
    titles = ["loss · train", "loss train", "Loss Train", "loss_train", "loss: train", "损失", "损益", ""]
    ids = [window_id(t) for t in titles]
    assert len(set(ids)) == len(ids), ids
    assert window_id("05 · digits: cross-entropy").startswith("live_05_digits_cross_entropy__")
    assert window_id("损失") == window_id("损失")  # the same title, the same window: a rerun replaces it
    with pytest.raises(CourseInputError, match="title: expected a str"):
        window_id(None)


def test_figure_has_title_labels_legend_and_a_log_scale_for_wide_ranges():
    plot = LivePlot("05 · digits", xlabel="step", ylabel="cross-entropy", use_visdom=False,
                    show=False)
    for step in range(1, 50):
        plot.log(step, train=1000.0 / step**2)
    fig = plot.figure()
    ax = fig.axes[0]
    assert ax.get_title() == "05 · digits" and ax.get_xlabel() == "step"
    assert ax.get_ylabel() == "cross-entropy" and ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train"]
    png = plot._image().data
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) < 200_000
    narrow = LivePlot(use_visdom=False, show=False)
    narrow.log(0, train=1.0)
    narrow.log(1, train=0.5)
    assert narrow.figure().axes[0].get_yscale() == "linear"


def test_context_manager_and_close_without_a_display(capsys):
    with LivePlot(use_visdom=False, show=False) as plot:
        plot.log(0, train=1.0)
    plot.close()  # closing twice is harmless
    assert capsys.readouterr().out == ""


def test_a_dollar_in_a_label_is_text_not_mathtext():
    plot = LivePlot("cost in $ (a $x_ typo)", ylabel="$", use_visdom=False, show=False)
    plot.log(0, train=1.0)
    plot.log(1, train=0.5)
    assert plot._image().data[:8] == b"\x89PNG\r\n\x1a\n"  # mathtext would raise on "$x_ typo)"


def test_a_loss_that_diverges_is_said_once_and_kept(capsys):
    plot = LivePlot(use_visdom=False, show=False)
    for step, value in enumerate([1.0, float("nan"), float("nan"), float("inf")]):
        plot.log(step, train=value)
    [message] = plot.messages
    assert message.startswith("train is nan at step 1: training has diverged")
    assert capsys.readouterr().out.strip() == message
    assert len(plot.history["train"]) == 4
