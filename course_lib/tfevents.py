"""TensorBoard logs: a fresh run folder under ``runs/`` for a lesson, and the scalars read back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from course_lib.errors import CourseInputError, check_path, expect, wrapped
from course_lib.frameworks import import_tensorflow


def fresh_run_dir(name: str) -> Path:
    """``runs/<name>`` (``$COURSE_RUNS_DIR/<name>``), emptied, for one run's logs: a rerun replaces it."""
    import shutil

    from course_lib.settings import runs_dir

    expect(isinstance(name, str) and name.strip() == name != "" and not set(name) & set("/\\.:"),
           "name", "a plain folder name such as '04_keras'", name)
    folder = runs_dir() / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def event_files(logdir: str | Path) -> list[Path]:
    """The TensorFlow event files under ``logdir`` (any depth), oldest name first."""
    folder = check_path(logdir, "logdir", exists="dir")
    return sorted(folder.rglob("events.out.tfevents.*"))


def read_scalars(logdir: str | Path) -> dict[str, list[tuple[int, float]]]:
    """Every scalar summary under ``logdir`` as {tag: [(step, value), ...]}, sorted by step."""
    files = event_files(logdir)
    if not files:
        raise CourseInputError(f"logdir: expected a folder with events.out.tfevents.* files "
                               f"(written by tf.summary), found none in {Path(logdir).name!r}.")
    tf = import_tensorflow()
    scalars: dict[str, list[tuple[int, float]]] = {}
    for path in files:
        with wrapped(f"read_scalars on the event file {path.name} (damaged or not written by tf.summary?)"):
            _read_file(tf, path, scalars)
    return {tag: sorted(points) for tag, points in scalars.items()}


def _read_file(tf: Any, path: Path, scalars: dict[str, list[tuple[int, float]]]) -> None:
    """Add the scalar summaries of one event file to ``scalars``."""
    for record in tf.data.TFRecordDataset(str(path)):
        event = tf.compat.v1.Event.FromString(record.numpy())
        for value in event.summary.value:
            if value.HasField("tensor"):  # TF 2 writes scalars as 0-d tensors
                array = tf.make_ndarray(value.tensor)
                if array.ndim != 0 or array.dtype.kind not in "biuf":
                    continue  # text, images, histograms: not scalars
                number = float(array)
            elif value.HasField("simple_value"):  # TF 1 style
                number = float(value.simple_value)
            else:
                continue
            scalars.setdefault(value.tag, []).append((int(event.step), number))
