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


def test_side_by_side_html_refuses_bad_cells_and_font_sizes():
    with pytest.raises(CourseInputError, match=r"columns\['A'\]: expected a function or source string"):
        side_by_side_html({"A": 3})
    with pytest.raises(CourseInputError, match="font_size"):
        side_by_side_html({"A": "x"}, font_size=11)  # used to write font-size:11, which browsers ignore
    with pytest.raises(CourseInputError, match="font_size"):
        side_by_side_html({"A": "x"}, font_size="1px'><b>")  # used to go into the HTML unescaped
    assert "font-size:0.9em" in side_by_side_html({"A": "x"}, font_size="0.9em")
