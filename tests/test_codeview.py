"""Tests of course_lib.codeview."""

import pytest

from course_lib.codeview import side_by_side, side_by_side_html, source_of
from course_lib.errors import CourseInputError


def sample(x):
    return x < 1  # '<' must be escaped in HTML


def test_source_of_returns_the_code():
    assert source_of(sample).startswith("def sample(x):")
    with pytest.raises(CourseInputError, match="function"):
        source_of(3)
    with pytest.raises(CourseInputError, match="source"):
        source_of(len)


def test_side_by_side_html_has_one_column_per_entry():
    page = side_by_side_html({"A": sample, "B <b>": "y = 2"})
    assert page.count("<th ") == 2 and page.count("<td ") == 2
    assert "x &lt; 1" in page and "B &lt;b&gt;" in page and "y = 2" in page
    with pytest.raises(CourseInputError, match="columns"):
        side_by_side_html({})
    with pytest.raises(CourseInputError, match="columns"):
        side_by_side_html([sample])


def test_side_by_side_gives_a_displayable_object():
    shown = side_by_side({"A": sample})
    assert "<table>" in shown._repr_html_()
