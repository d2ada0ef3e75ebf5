"""course_lib.profiling: labelled spans read from a torch.profiler Chrome trace, and their timeline."""

from __future__ import annotations

import json
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch.profiler import ProfilerActivity, profile, record_function  # noqa: E402

from course_lib.errors import CourseInputError  # noqa: E402
from course_lib.profiling import Span, plot_timeline, read_spans, seconds_by_label, wait_fraction  # noqa: E402


def _event(name, ts, dur, cat="user_annotation", ph="X"):
    return {"ph": ph, "cat": cat, "name": name, "pid": 1, "tid": 1, "ts": ts, "dur": dur}


TRACE = {"traceEvents": [
    _event("step", 3000.0, 1000.0),
    _event("data", 1000.0, 2000.0),  # out of order on purpose
    _event("aten::mm", 3100.0, 500.0, cat="cpu_op"),  # an operator, not a label
    _event("data", 4000.0, 500.0),
    _event("step", 4500.0, 1500.0),
    _event("other", 4600.0, 10.0),  # a label nobody asked for
    {"ph": "M", "name": "process_name", "pid": 1},
]}


def test_spans_come_in_time_order_from_the_first_one_in_seconds():
    spans = read_spans(TRACE)
    assert [s.label for s in spans] == ["data", "step", "data", "step"]
    assert spans[0] == Span("data", 0.0, 0.002)
    assert spans[1].start_s == pytest.approx(0.002) and spans[1].end_s == pytest.approx(0.003)
    assert spans[-1].end_s == pytest.approx(0.005)


def test_the_wait_share_is_the_data_time_over_the_wall_time():
    spans = read_spans(TRACE)
    assert seconds_by_label(spans) == pytest.approx({"data": 0.0025, "step": 0.0025})
    assert wait_fraction(spans) == pytest.approx(0.0025 / 0.005)
    assert wait_fraction(spans, wait="step") == pytest.approx(0.5)
    gap = read_spans({"traceEvents": [_event("data", 0, 1000), _event("step", 3000, 1000)]})
    assert wait_fraction(gap) == pytest.approx(0.25)  # the idle gap counts as wall time


def test_a_real_profile_of_a_loop_gives_one_span_per_labelled_part(tmp_path):
    model = torch.nn.Linear(8, 2)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(3):
            with record_function("data"):
                x = torch.randn(4, 8)
                time.sleep(0.02)  # a slow loader
            with record_function("step"):
                model(x).sum().backward()
    path = tmp_path / "trace.json"
    prof.export_chrome_trace(str(path))
    spans = read_spans(path)
    assert [s.label for s in spans] == ["data", "step"] * 3
    assert all(s.duration_s >= 0.02 for s in spans if s.label == "data")
    assert 0.5 < wait_fraction(spans) < 1.0
    steps = read_spans(str(path), labels=("step",))  # times count from the first step now
    assert [s.duration_s for s in steps] == [s.duration_s for s in spans if s.label == "step"]
    assert steps[0].start_s == 0.0
    assert os.environ["KINETO_LOG_LEVEL"]  # the module keeps Kineto's log lines out of notebooks


def test_the_timeline_draws_one_bar_per_span_and_one_row_per_run():
    spans = read_spans(TRACE)
    fig, ax = plt.subplots()
    try:
        plot_timeline(ax, {"slow": spans, "fast": spans[1:2]}, names={"data": "waiting"})
        bars = [c for c in ax.collections]
        assert sum(len(c.get_paths()) for c in bars) == 5
        assert [t.get_text() for t in ax.get_yticklabels()] == ["slow", "fast"]
        legend = [h.get_label() for h in ax.get_legend_handles_labels()[0]]
        assert legend == ["waiting", "step"]
        assert ax.get_xlim()[1] == pytest.approx(5.0 * 1.01)
    finally:
        plt.close(fig)


@pytest.mark.parametrize("trace, message", [
    ({"traceEvents": [_event("aten::mm", 0, 5, cat="cpu_op")]}, "no span named 'data' or 'step'"),
    ({"events": []}, "a Chrome trace"),
    ([1, 2], "a Chrome trace"),
    ({"traceEvents": [_event("data", "soon", 5)]}, "no valid 'ts' and 'dur'"),
    ({"traceEvents": [_event("data", 0, -5)]}, "no valid 'ts' and 'dur'"),
    ("no/such/trace.json", "an existing file"),
])
def test_a_trace_without_labelled_spans_is_refused_with_a_hint(trace, message):
    with pytest.raises(CourseInputError, match=message):
        read_spans(trace)


def test_a_damaged_trace_file_is_refused(tmp_path):
    path = tmp_path / "cut.json"
    path.write_text(json.dumps(TRACE)[:50])
    with pytest.raises(CourseInputError, match="cut.json"):
        read_spans(path)


@pytest.mark.parametrize("labels", [(), "data", ("data", "data"), ("data", 3), ("",)])
def test_labels_must_be_distinct_names(labels):
    with pytest.raises(CourseInputError, match="labels"):
        read_spans(TRACE, labels=labels)


def test_bad_spans_and_arguments_are_refused():
    spans = read_spans(TRACE)
    with pytest.raises(CourseInputError, match="spans"):
        wait_fraction([])
    with pytest.raises(CourseInputError, match="spans"):
        seconds_by_label([("data", 0, 1)])
    with pytest.raises(CourseInputError, match="wait"):
        wait_fraction(spans, wait="load")
    with pytest.raises(CourseInputError, match="no time"):
        wait_fraction([Span("data", 1.0, 0.0)])
    fig, ax = plt.subplots()
    try:
        with pytest.raises(CourseInputError, match="ax"):
            plot_timeline("axes", {"run": spans})
        with pytest.raises(CourseInputError, match="runs"):
            plot_timeline(ax, {})
        with pytest.raises(CourseInputError, match="names and colors"):
            plot_timeline(ax, {"run": spans}, colors={"data": 1})
    finally:
        plt.close(fig)
