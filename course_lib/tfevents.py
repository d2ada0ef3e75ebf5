"""TensorBoard logs: a fresh run folder under ``runs/`` for a lesson, the scalars read back, and
them drawn the way TensorBoard's scalar charts draw them."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Real
from pathlib import Path
from typing import Any

from course_lib.errors import CourseInputError, expect, expect_number, expect_path, wrapped
from course_lib.frameworks import import_tensorflow

TENSORBOARD_SMOOTHING = 0.6  # the default of the smoothing slider in TensorBoard's scalar charts


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
    folder = expect_path(logdir, "logdir", exists="dir")
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


def smooth(values: Sequence[float], weight: float = TENSORBOARD_SMOOTHING) -> list[float]:
    """``values`` smoothed as TensorBoard smooths a scalar curve: a debiased exponential moving average."""
    expect_number(weight, "weight", low=0, high=0.999)
    expect(isinstance(values, Sequence) and not isinstance(values, str), "values",
           "a sequence of numbers", values)
    numbers = []
    for i, v in enumerate(values):  # NaN and infinities are allowed: a diverged run logs them
        expect(isinstance(v, Real) and not isinstance(v, bool), f"values[{i}]", "a number", v)
        numbers.append(float(v))
    if len(set(numbers)) <= 1:  # a constant curve stays as it is
        return numbers
    out, average, count = [], 0.0, 0
    for v in numbers:
        if not math.isfinite(v):  # TensorBoard passes a NaN or an infinity through
            out.append(v)
            continue
        average = weight * average + (1 - weight) * v
        count += 1
        out.append(average / (1 - weight ** count))  # without this the curve would start near 0
    return out


def plot_scalars(scalars: Mapping[str, Sequence[tuple[int, float]]], tags: Sequence[str] | None = None, *,
                 smoothing: float = TENSORBOARD_SMOOTHING, xlabel: str = "step", title: str | None = None,
                 ax: Any = None) -> Any:
    """Draw scalar curves as TensorBoard does: each raw curve faint, smoothed over it; return the axes."""
    import matplotlib.pyplot as plt

    expect(isinstance(scalars, Mapping) and len(scalars) > 0, "scalars",
           "a non-empty dict {tag: [(step, value), ...]} such as read_scalars returns", scalars)
    tags = list(scalars) if tags is None else list(tags)
    missing = [t for t in tags if t not in scalars]
    if missing or not tags:
        raise CourseInputError(f"tags: expected tags of scalars ({', '.join(map(repr, scalars))}), "
                               f"got {missing or tags!r}.")
    expect_number(smoothing, "smoothing", low=0, high=0.999)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2), dpi=90)
    for i, tag in enumerate(tags):
        points = list(scalars[tag])
        expect(len(points) > 0 and all(len(p) == 2 for p in points), f"scalars[{tag!r}]",
               "a non-empty list of (step, value) pairs", points)
        steps, values = [p[0] for p in points], [float(p[1]) for p in points]
        color = f"C{i}"
        ax.plot(steps, values, color=color, alpha=0.3, linewidth=1)
        ax.plot(steps, smooth(values, smoothing), color=color, linewidth=2,
                label=f"{tag} (smoothed {smoothing:g})" if smoothing else tag)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("value")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title is not None:
        ax.set_title(title)
    return ax
