"""Show the source code of several functions side by side, for comparing frameworks line by line."""

from __future__ import annotations

import html
import inspect
import re
import textwrap
from collections.abc import Callable, Mapping

from course_lib.errors import CourseInputError, expect, expect_callable

_CSS_SIZE = re.compile(r"\d+(\.\d+)?(px|pt|em|rem|%)")


def source_of(fn: Callable) -> str:
    """The source code of ``fn``, dedented (works for functions defined in notebook cells too)."""
    expect_callable(fn, "fn")
    try:
        return textwrap.dedent(inspect.getsource(fn)).rstrip()
    except (OSError, TypeError) as exc:
        raise CourseInputError(f"fn: expected a function whose source Python can find, got "
                               f"{getattr(fn, '__name__', fn)!r} ({exc}).") from exc


def side_by_side_html(columns: Mapping[str, Callable | str], font_size: str = "11px") -> str:
    """An HTML table with one column per entry: a title over the code of a function (or a string)."""
    expect(isinstance(columns, Mapping) and len(columns) >= 1, "columns",
           "a non-empty dict of title -> function or source string", columns)
    expect(isinstance(font_size, str) and _CSS_SIZE.fullmatch(font_size) is not None, "font_size",
           "a CSS size such as '11px', '0.9em' or '80%'", font_size)
    cells_head, cells_body = [], []
    for title, item in columns.items():
        expect(isinstance(title, str), "columns key", "a str title", title)
        expect(isinstance(item, str) or callable(item), f"columns[{title!r}]", "a function or source string",
               item)
        code = item if isinstance(item, str) else source_of(item)
        cells_head.append(f"<th style='text-align:left'>{html.escape(title)}</th>")
        cells_body.append("<td style='vertical-align:top;text-align:left'>"
                          f"<pre style='font-size:{font_size};margin:0'>{html.escape(code)}</pre></td>")
    return ("<table><thead><tr>" + "".join(cells_head) + "</tr></thead><tbody><tr>"
            + "".join(cells_body) + "</tr></tbody></table>")


def side_by_side(columns: Mapping[str, Callable | str], font_size: str = "11px") -> object:
    """Display-ready HTML (for a notebook) of :func:`side_by_side_html`."""
    from IPython.display import HTML

    return HTML(side_by_side_html(columns, font_size))
