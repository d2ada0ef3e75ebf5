"""Reading a ``torch.profiler`` trace: the labelled parts of a training loop, and a timeline of them.

Wrap the parts of a loop in ``torch.profiler.record_function("data")`` and ``("step")``, export
the profile with ``prof.export_chrome_trace(path)``, then :func:`read_spans` returns those parts,
:func:`wait_fraction` the share of the time spent in one of them, and :func:`plot_timeline`
draws them. Importing this module sets ``KINETO_LOG_LEVEL`` (unless you set it yourself), so the
profiler's C++ layer, Kineto, does not print a start and a stop line into the notebook.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course_lib.errors import CourseInputError, expect, expect_fields, expect_path, wrapped

os.environ.setdefault("KINETO_LOG_LEVEL", "6")  # above Kineto's highest level: no log lines

LABELS = ("data", "step")
COLORS = {"data": "tab:red", "step": "tab:blue"}


@dataclass(frozen=True)
class Span:
    """One labelled interval of a trace, in seconds from the start of the first labelled one."""

    label: str
    start_s: float
    duration_s: float

    def __post_init__(self) -> None:
        expect_fields(self)
        expect(self.duration_s >= 0, "duration_s", "a duration of at least 0 s", self.duration_s)

    @property
    def end_s(self) -> float:
        """When the span ended, in seconds from the start of the first labelled span."""
        return self.start_s + self.duration_s


def _expect_labels(labels: Any) -> tuple[str, ...]:
    ok = isinstance(labels, (tuple, list)) and len(labels) > 0 and \
        all(isinstance(x, str) and x != "" for x in labels) and len(set(labels)) == len(labels)
    expect(ok, "labels", "a non-empty tuple of distinct record_function names such as ('data', 'step')",
           labels)
    return tuple(labels)


def _events(trace: Any) -> list[Any]:
    """The ``traceEvents`` list of a Chrome trace given as a file path or as its loaded JSON."""
    if isinstance(trace, (str, Path)):
        path = expect_path(trace, "trace", exists="file")
        with wrapped(f"trace file {path.name}"):
            trace = json.loads(path.read_text(encoding="utf-8"))
    expect(isinstance(trace, Mapping) and isinstance(trace.get("traceEvents"), list), "trace",
           "a Chrome trace: the path of a file from prof.export_chrome_trace, or its JSON as a dict "
           "with a 'traceEvents' list", trace if not isinstance(trace, Mapping) else "a dict without it")
    return list(trace["traceEvents"])


def read_spans(trace: str | Path | Mapping[str, Any], labels: Sequence[str] = LABELS) -> list[Span]:
    """The ``record_function`` spans named in ``labels`` from a Chrome trace, in time order."""
    wanted = _expect_labels(labels)
    raw = []
    for e in _events(trace):
        if isinstance(e, Mapping) and e.get("ph") == "X" and e.get("cat") == "user_annotation" \
                and e.get("name") in wanted:
            ts, dur = e.get("ts"), e.get("dur")
            if not (isinstance(ts, (int, float)) and isinstance(dur, (int, float)) and dur >= 0):
                raise CourseInputError(f"trace: the event {e.get('name')!r} has no valid 'ts' and 'dur' "
                                       f"(microseconds), got ts={ts!r}, dur={dur!r}.")
            raw.append((float(ts), float(dur), str(e["name"])))
    if not raw:
        raise CourseInputError(f"trace: no span named {' or '.join(map(repr, wanted))}; wrap those parts "
                               "of the loop in torch.profiler.record_function(name) while profiling.")
    raw.sort()
    t0 = raw[0][0]
    return [Span(name, (ts - t0) / 1e6, dur / 1e6) for ts, dur, name in raw]


def _expect_spans(spans: Any) -> list[Span]:
    ok = isinstance(spans, (list, tuple)) and len(spans) > 0 and all(isinstance(s, Span) for s in spans)
    expect(ok, "spans", "a non-empty list of Span (from read_spans)", spans)
    return list(spans)


def seconds_by_label(spans: Sequence[Span]) -> dict[str, float]:
    """The total seconds of the spans of each label, in the order the labels first appear."""
    totals: dict[str, float] = {}
    for s in _expect_spans(spans):
        totals[s.label] = totals.get(s.label, 0.0) + s.duration_s
    return totals


def wait_fraction(spans: Sequence[Span], wait: str = "data") -> float:
    """The share of the wall time, from the first span's start to the last one's end, in ``wait`` spans."""
    checked = _expect_spans(spans)
    totals = seconds_by_label(checked)
    expect(isinstance(wait, str) and wait in totals, "wait", f"one of the spans' labels {sorted(totals)}",
           wait)
    wall = max(s.end_s for s in checked) - min(s.start_s for s in checked)
    if wall <= 0:
        raise CourseInputError("spans: they last no time at all, so no share of it can be computed.")
    return totals[wait] / wall


def plot_timeline(ax: Any, runs: Mapping[str, Sequence[Span]], names: Mapping[str, str] | None = None,
                  colors: Mapping[str, str] | None = None) -> None:
    """Draw each run as one row of bars along time (ms), one bar per span, coloured by its label."""
    expect(hasattr(ax, "broken_barh"), "ax", "a matplotlib Axes (from plt.subplots)", ax)
    expect(isinstance(runs, Mapping) and len(runs) > 0 and all(isinstance(k, str) for k in runs), "runs",
           "a non-empty dict from a run's name to its spans", runs)
    checked = {name: _expect_spans(spans) for name, spans in runs.items()}
    names = dict(names or {})
    colors = {**COLORS, **(colors or {})}
    expect(all(isinstance(v, str) for v in [*names.values(), *colors.values()]), "names and colors",
           "dicts from a label to a str", (names, colors))
    labels = list(dict.fromkeys(s.label for spans in checked.values() for s in spans))
    cycle = ["tab:green", "tab:orange", "tab:purple", "tab:gray"]
    for label in labels:
        colors.setdefault(label, cycle[labels.index(label) % len(cycle)])
    rows, shown = list(checked), set()
    for row, run in enumerate(rows):
        for label in labels:
            bars = [(s.start_s * 1e3, s.duration_s * 1e3) for s in checked[run] if s.label == label]
            if bars:
                ax.broken_barh(bars, (row - 0.35, 0.7), facecolors=colors[label], edgecolor="white",
                               linewidth=0.5, label=None if label in shown else names.get(label, label))
                shown.add(label)
    ax.set_yticks(range(len(rows)), rows)
    ax.set_ylim(len(rows) - 0.5, -0.5)  # the first run on top
    ax.set_xlabel("milliseconds since the first labelled span")
    ax.set_xlim(0, max(s.end_s for spans in checked.values() for s in spans) * 1e3 * 1.01)
