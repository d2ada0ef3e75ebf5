"""course_lib.tfevents: tf.summary scalars read back without TensorBoard, and drawn as it does."""

import math

import pytest

from course_lib.errors import CourseInputError
from course_lib.frameworks import import_tensorflow
from course_lib.tfevents import TENSORBOARD_SMOOTHING, event_files, plot_scalars, read_scalars, smooth

tf = import_tensorflow()
AS_SCALAR = tf.compat.v1.SummaryMetadata(
    plugin_data=tf.compat.v1.SummaryMetadata.PluginData(plugin_name="scalars"))


def _write(logdir, values, tag="loss"):
    writer = tf.summary.create_file_writer(str(logdir))
    with writer.as_default():
        for step, value in values:
            tf.summary.write(tag, tf.constant(value), step=step, metadata=AS_SCALAR)
        tf.summary.write("note", tf.constant("text, not a scalar"), step=0)
    writer.close()


def test_scalars_round_trip(tmp_path):
    _write(tmp_path, [(2, 0.25), (1, 0.5), (3, 0.125)])
    files = event_files(tmp_path)
    assert len(files) == 1 and files[0].name.startswith("events.out.tfevents.")
    scalars = read_scalars(tmp_path)
    assert set(scalars) == {"loss"}  # the text summary is skipped
    assert scalars["loss"] == [(1, 0.5), (2, 0.25), (3, 0.125)]  # sorted by step


def test_subfolders_and_tf1_simple_values(tmp_path):
    _write(tmp_path / "train", [(0, 1.0)], tag="train/loss")
    event = tf.compat.v1.Event(step=7, summary=tf.compat.v1.Summary(
        value=[tf.compat.v1.Summary.Value(tag="old/loss", simple_value=0.75)]))
    (tmp_path / "tf1").mkdir()
    with tf.io.TFRecordWriter(str(tmp_path / "tf1" / "events.out.tfevents.1.test")) as w:
        w.write(event.SerializeToString())
    assert len(event_files(tmp_path)) == 2
    assert read_scalars(tmp_path) == {"train/loss": [(0, 1.0)], "old/loss": [(7, 0.75)]}


def test_bad_folders_raise(tmp_path):
    with pytest.raises(CourseInputError, match="logdir: expected an existing folder"):
        read_scalars(tmp_path / "nope")
    with pytest.raises(CourseInputError, match="found none"):
        read_scalars(tmp_path)
    with pytest.raises(CourseInputError, match=r"logdir: expected a path \(a str or pathlib.Path\)"):
        event_files(42)


def test_a_damaged_event_file_names_the_file(tmp_path):
    (tmp_path / "events.out.tfevents.1.broken").write_bytes(b"\x00\x01 not a TFRecord at all" * 3)
    with pytest.raises(CourseInputError, match="events.out.tfevents.1.broken .*from the library below"):
        read_scalars(tmp_path)


def test_an_empty_path_is_not_the_current_folder():
    with pytest.raises(CourseInputError, match="logdir: expected a path"):
        event_files("")  # Path("") is ".": it used to list the event files of the current folder


def test_smoothing_is_tensorboards_debiased_moving_average():
    assert smooth([1.0, 0.0], 0.5) == pytest.approx([1.0, 0.25 / 0.75])  # (0.5*0.5 + 0) / (1 - 0.25)
    assert smooth([3.0, 1.0, 2.0], 0.0) == [3.0, 1.0, 2.0]  # weight 0: no smoothing
    assert smooth([2.0, 2.0, 2.0]) == [2.0, 2.0, 2.0]  # a constant curve is left alone
    nan_in = smooth([1.0, float("nan"), 0.0], 0.5)
    assert math.isnan(nan_in[1]) and nan_in[2] == pytest.approx(0.25 / 0.75)  # NaN passes, skipped
    rough = [1.0, 0.2, 0.9, 0.1, 0.8, 0.0]
    smoothed = smooth(rough, TENSORBOARD_SMOOTHING)
    assert smoothed[0] == rough[0]  # the debiasing: the first point is not pulled towards 0
    assert max(smoothed) - min(smoothed) < max(rough) - min(rough)


def test_smoothing_refuses_bad_input():
    with pytest.raises(CourseInputError, match="weight: expected a finite number"):
        smooth([1.0, 2.0], 1.0)
    with pytest.raises(CourseInputError, match=r"values\[1\]: expected a number"):
        smooth([1.0, "2"])
    with pytest.raises(CourseInputError, match="values: expected a sequence"):
        smooth("12")


def test_plot_scalars_draws_raw_and_smoothed_curves(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _write(tmp_path, [(1, 1.0), (2, 0.4), (3, 0.5), (4, 0.1)])
    scalars = read_scalars(tmp_path)
    ax = plot_scalars(scalars, smoothing=0.5, xlabel="epoch", title="a run")
    raw, smoothed = ax.get_lines()
    assert list(raw.get_xdata()) == [1, 2, 3, 4]
    assert list(raw.get_ydata()) == pytest.approx([1.0, 0.4, 0.5, 0.1])  # float32 in the file
    assert list(smoothed.get_ydata()) == pytest.approx(smooth([1.0, 0.4, 0.5, 0.1], 0.5))
    assert raw.get_alpha() < 1 and smoothed.get_label() == "loss (smoothed 0.5)"
    assert (ax.get_title(), ax.get_xlabel()) == ("a run", "epoch")
    with pytest.raises(CourseInputError, match="tags: expected tags of scalars"):
        plot_scalars(scalars, ["accuracy"])
    with pytest.raises(CourseInputError, match="scalars: expected a non-empty dict"):
        plot_scalars({})
    plt.close("all")
