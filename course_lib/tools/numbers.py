"""Quantitative statements in lesson prose: find each number with a unit, and match it to outputs.

``tests/test_numbers.py`` uses this module to require that every number-with-a-unit in a
lesson's markdown is printed by a stored output of the lesson, backed by a claim in
``benchmarks/claims.toml``, or listed with its source in ``benchmarks/external_facts.toml``.

What counts as a statement: a number written with digits followed by a unit of time (ns, µs,
ms, s, min, h), data size (bits, bytes, KB, MB, GB, TB, KiB, MiB, GiB), work (FLOP, GFLOP,
TFLOP, "floating-point operations"), a rate (FLOP/s, GFLOP/s, TFLOP/s, GB/s, MB/s, TB/s,
tokens/s, images/s, frames per second, ...), a clock (MHz, GHz), cores, a share (%,
percent), a ratio (``18x``, ``18×``, ``18 times``), pixels of error (px) or decibels (dB); a
scale word may stand between number and unit ("268 million floating-point operations"). A
range or list that shares one unit gives one statement per number: in "1-4 ms", "0.9 to 1.0
ms" and "6.8 and 0.54 ms" every number is a statement in ms.

Left out, as classes (never as particular sentences):

- anything inside code: fenced blocks and inline code spans (code is checked by running it);
- LaTeX math (``$...$``, ``$$...$$``): formulas, not measurements;
- link targets and bare web addresses, and HTML tags;
- numbers glued to letters (``H100``, ``fp32``, ``x16``, ``7B``) or to a dot-separated version
  (``3.11.2``): names and versions, not quantities; and compound adjectives joined by a hyphen
  (``a 2-core machine``, ``16-bit formats``), which name a kind of thing;
- fractions written ``a/b`` (``1/12``);
- sizes and shapes written ``N x M`` or ``N × M`` (``512 × 512``, ``3 x 224 x 224``): a shape is
  not a ratio. A ratio is written with the ``x`` or ``×`` glued to its number (``18x``) or
  with ``times``; a spaced multiplication sign (``6 × parameters``) is arithmetic, not a ratio;
- bare numbers in a table column whose header names no unit in brackets (a column "time
  (ms)" makes its numbers statements in ms; a column "lesson" or "year" does not);
- numbers spelled in words ("a thousand times", "four and five times"): words carry no digits
  to check, and a writer uses them for round, loose figures.

Matching a written number to a printed one (the rounding a writer uses): the written number
stands for every value within half a unit of its last significant digit. "0.67" covers
[0.665, 0.675], "37" covers [36.5, 37.5], "1.0" covers [0.95, 1.05]; an integer's trailing
zeros are not significant, so "20" covers [15, 25] and "180" covers [175, 185]. A printed
value in another unit of the same kind is converted first (670 µs matches "0.67 ms").
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from course_lib.errors import expect

# unit as written (lower-cased where case does not matter) -> (canonical unit, kind, scale to the kind's base)
_UNITS: dict[str, tuple[str, str, float]] = {}


def _add(kind: str, canonical: str, scale: float, *spellings: str) -> None:
    for s in (canonical, *spellings):
        _UNITS[s] = (canonical, kind, scale)


_add("time", "ns", 1e-9, "nanoseconds", "nanosecond")
_add("time", "µs", 1e-6, "μs", "us", "microseconds", "microsecond")
_add("time", "ms", 1e-3, "milliseconds", "millisecond")
_add("time", "s", 1.0, "seconds", "second", "sec")
_add("time", "min", 60.0, "minutes", "minute")
_add("time", "h", 3600.0, "hours", "hour")
_add("bytes", "bits", 1 / 8, "bit")
_add("bytes", "bytes", 1.0, "byte")
_add("bytes", "KB", 1e3, "kB")
_add("bytes", "MB", 1e6)
_add("bytes", "GB", 1e9)
_add("bytes", "TB", 1e12)
_add("bytes", "KiB", 2.0**10)
_add("bytes", "MiB", 2.0**20)
_add("bytes", "GiB", 2.0**30)
_add("flop", "FLOP", 1.0, "FLOPs", "floating-point operations")
_add("flop", "MFLOP", 1e6, "MFLOPs")
_add("flop", "GFLOP", 1e9, "GFLOPs")
_add("flop", "TFLOP", 1e12, "TFLOPs")
_add("flop", "PFLOP", 1e15, "PFLOPs")
_add("flop_rate", "FLOP/s", 1.0, "FLOPS")
_add("flop_rate", "MFLOP/s", 1e6)
_add("flop_rate", "GFLOP/s", 1e9, "GFLOPS")
_add("flop_rate", "TFLOP/s", 1e12, "TFLOPS")
_add("flop_rate", "PFLOP/s", 1e15)
_add("byte_rate", "MB/s", 1e6, "MB per second")
_add("byte_rate", "GB/s", 1e9, "GB per second")
_add("byte_rate", "TB/s", 1e12, "TB per second")
_add("byte_rate", "GiB/s", 2.0**30)
_add("byte_rate", "MiB/s", 2.0**20)
_add("intensity", "FLOP per byte", 1.0, "FLOP/byte", "FLOPs per byte")
_add("inverse_intensity", "bytes per FLOP", 1.0, "bytes/FLOP")
for _thing in ("tokens", "images", "frames", "files", "steps", "samples", "batches", "items"):
    _add(f"{_thing}_rate", f"{_thing}/s", 1.0, f"{_thing} per second", f"{_thing} a second")
_add("frames_rate", "fps", 1.0, "FPS")
_add("clock", "MHz", 1e6)
_add("clock", "GHz", 1e9)
_add("share", "%", 1.0, "percent", "per cent")
_add("ratio", "x", 1.0, "×", "times")
_add("pixels", "px", 1.0)
_add("cores", "cores", 1.0, "core")
_add("decibels", "dB", 1.0)

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:e[+-]?\d+)?"
# the units, longest first so that "GFLOP/s" wins over "GFLOP"; "x" and "×" are handled apart
_UNIT_RE = "|".join(re.escape(u) for u in sorted((u for u in _UNITS if u not in ("x", "×")),
                                                      key=len, reverse=True))
_APPROXIMATE = r"about|around|roughly|approximately|nearly|almost|some|~"
_QUALIFIER = rf"(?:(?:{_APPROXIMATE}|over|under|at\s+most|at\s+least|more\s+than|" \
             r"less\s+than|fewer\s+than|just)\s+)?"
_JOIN = r"\s*(?:-|–|—|,\s+(?:and\s+|or\s+)?|\s(?:and|or|to)\s)\s*" + _QUALIFIER
_CHAIN = rf"(?P<chain>(?:(?:{_NUMBER}){_JOIN})*)"
_STATEMENT = re.compile(
    rf"(?P<approx>(?:\b(?:{_APPROXIMATE})\s+|~\s?))?(?<![\w.,/^]){_CHAIN}(?P<num>{_NUMBER})(?!(?![x×])\w|\.\d|,\d)"
    rf"(?:(?P<glued>[x×])(?![\w×]|\s*\d)|(?:\s(?P<scale>thousand|million|billion|trillion))?"
    rf"[\s\u00a0\u202f]?(?P<unit>{_UNIT_RE})(?![\w/-]))")
_SCALES = {None: 1.0, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
_CHAIN_NUMBER = re.compile(_NUMBER)
_SHAPE_BEFORE = re.compile(r"\d\s*[x×]\s*$")


@dataclass(frozen=True)
class Statement:
    """One number with its unit, as found in a text: where it is and what it says."""

    number: str  # the digits as written, e.g. "0.67" or "3,840"
    unit: str  # the canonical unit, e.g. "ms", "%", "x"
    start: int  # where the whole match (a range or list with its unit) starts in the text
    end: int  # and where it ends
    text: str  # the whole match as written, e.g. "0.9 to 1.0 ms"
    scale: float = 1.0  # a word between number and unit: "268 million FLOP" has scale 1e6
    approximate: bool = False  # said with "about", "roughly", "some", ...: round figures allowed

    @property
    def value(self) -> float:
        """The number's value."""
        return float(self.number.replace(",", "")) * self.scale

    @property
    def kind(self) -> str:
        """What the unit measures: time, bytes, ratio, share, ..."""
        return _UNITS[self.unit][1]

    def __str__(self) -> str:
        return self.text


def _blank(match: re.Match[str]) -> str:
    """The match replaced by spaces, keeping every offset (and line breaks) of the text."""
    return re.sub(r"[^\n]", " ", match.group(0))


_HIDDEN = [
    re.compile(r"```.*?```", re.S),  # fenced code
    re.compile(r"(`+).+?\1", re.S),  # inline code spans
    re.compile(r"\$\$.+?\$\$", re.S),  # display math
    re.compile(r"(?<![\\\w])\$(?!\s)[^$\n]+?(?<!\s)\$"),  # inline math
    re.compile(r"\\\(.+?\\\)|\\\[.+?\\\]", re.S),  # LaTeX \( \) and \[ \]
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"https?://\S+"),  # bare addresses
    re.compile(r"<[^>\n]+>"),  # HTML tags
]


def prose_only(markdown: str) -> str:
    """``markdown`` with code, math, link targets, addresses and HTML tags blanked out (same length)."""
    expect(isinstance(markdown, str), "markdown", "a str", markdown)
    for pattern in _HIDDEN:
        markdown = pattern.sub(_blank, markdown)
    return markdown


def find_statements(text: str, *, markdown: bool = True) -> list[Statement]:
    """Every number-with-a-unit in ``text``; with ``markdown``, code, math and links are skipped."""
    expect(isinstance(text, str), "text", "a str", text)
    visible = prose_only(text) if markdown else text
    found = []
    for m in _STATEMENT.finditer(visible):
        if _SHAPE_BEFORE.search(visible[:m.start("num")]):
            continue  # the last side of a shape such as 3 x 3x: not a ratio
        unit = "x" if m.group("glued") else _UNITS[m.group("unit")][0]
        numbers = _CHAIN_NUMBER.findall(m.group("chain") or "") + [m.group("num")]
        start = m.start("chain") if m.group("chain") else m.start("num")
        for n in numbers:
            found.append(Statement(number=n, unit=unit, start=start, end=m.end(),
                                   text=" ".join(text[start:m.end()].split()),
                                   scale=_SCALES[m.group("scale")],
                                   approximate=m.group("approx") is not None))
    if markdown:
        found += _table_columns(visible)
    return sorted(found, key=lambda st: st.start)


_BRACKETED_UNIT = re.compile(r"[(\[]\s*([^()\[\]]+?)\s*[)\]]")
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?(\s*:?-+:?\s*\|)+\s*:?-*:?\s*$")
_CELL_NUMBER = re.compile(rf"\s*(?P<approx>(?:{_APPROXIMATE})\s+|~\s?)?(?P<num>{_NUMBER})\s*")


def _cells(line: str, offset: int) -> list[tuple[int, str]]:
    """The cells of a markdown table row: (where each starts in the text, its text)."""
    cells, start = [], line.index("|") + 1
    for part in line[start:].rstrip().rstrip("|").split("|"):
        cells.append((offset + start, part))
        start += len(part) + 1
    return cells


def _table_columns(text: str) -> list[Statement]:
    """Bare numbers in a markdown table column whose header names a unit in brackets: "time (ms)"."""
    found: list[Statement] = []
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    i = 0
    while i + 1 < len(lines):
        if not (_TABLE_ROW.match(lines[i]) and _TABLE_RULE.match(lines[i + 1])):
            i += 1
            continue
        units = {}
        for col, (_, head) in enumerate(_cells(lines[i], offsets[i])):
            named = [u for u in _BRACKETED_UNIT.findall(head) if u in _UNITS]
            if named:
                units[col] = canonical(named[-1])
        i += 2
        while i < len(lines) and _TABLE_ROW.match(lines[i]):
            for col, (start, cell) in enumerate(_cells(lines[i], offsets[i])):
                m = _CELL_NUMBER.fullmatch(cell)
                if col in units and m:
                    found.append(Statement(number=m.group("num"), unit=units[col],
                                           start=start + m.start("num"), end=start + m.end("num"),
                                           text=f"{cell.strip()} ({units[col]})",
                                           approximate=m.group("approx") is not None))
            i += 1
    return found


def half_step(number: str, approximate: bool = False) -> float:
    """Half a unit of the last digit of ``number`` as written: the writer's rounding.

    With ``approximate`` (the prose said "about"), an integer's trailing zeros do not count:
    "about 20" is one significant figure."""
    expect(isinstance(number, str) and _CHAIN_NUMBER.fullmatch(number) is not None, "number",
           "a number as written, such as '0.67' or '3,840'", number)
    digits = number.replace(",", "").lower()
    mantissa, _, exponent = digits.partition("e")
    scale = 10.0 ** int(exponent) if exponent else 1.0
    if "." in mantissa:
        return 0.5 * 10.0 ** -len(mantissa.split(".")[1]) * scale
    stripped = mantissa.rstrip("0")
    zeros = len(mantissa) - len(stripped) if stripped and approximate else 0
    return 0.5 * 10.0 ** zeros * scale


def convert(value: float, unit: str, to: str) -> float | None:
    """``value`` in ``unit`` expressed in ``to``; None when the two measure different things."""
    expect(unit in _UNITS and to in _UNITS, "unit", f"units known to this module ({', '.join(_UNITS)})",
           (unit, to))
    _, kind_from, scale_from = _UNITS[unit]
    _, kind_to, scale_to = _UNITS[to]
    if kind_from != kind_to:
        return None
    return value * scale_from / scale_to


def rounds_to(value: float, number: str, approximate: bool = False) -> bool:
    """Whether a printed ``value`` rounds to the written ``number`` (within half its last digit)."""
    written = float(number.replace(",", ""))
    step = half_step(number, approximate)
    return abs(value - written) <= step * (1 + 1e-9) + 1e-12


def unit_kind(unit: str) -> str:
    """What a unit (as written, e.g. 'ms' or 'GB per second') measures: 'time', 'bytes', ..."""
    expect(unit in _UNITS, "unit", "a unit known to this module", unit)
    return _UNITS[unit][1]


def canonical(unit: str) -> str:
    """The canonical spelling of a unit as written ('milliseconds' -> 'ms')."""
    expect(unit in _UNITS, "unit", "a unit known to this module", unit)
    return _UNITS[unit][0]


# Column names of printed tables that carry a unit (course_lib.records.show prints result fields).
_COLUMN_UNITS = {"median_s": "s", "iqr_s": "s", "epoch_s": "s", "first_s": "s", "seconds": "s",
                 "ms": "ms", "ms_per_image": "ms", "gflops": "GFLOP/s", "gb_per_s": "GB/s",
                 "images_per_s": "images/s", "tokens_per_s": "tokens/s", "%": "%"}
_BARE = re.compile(rf"(?<![\w.]){_NUMBER}(?![\w]|\.\d)")
_WORD = re.compile(r"[A-Za-z_%/µμ]+(?:/s)?")
_BRACKETED = re.compile(r"[(\[]\s*([A-Za-z%µμ/]+)\s*[)\]]")  # "(ms)", "[px]": a unit for the numbers


@dataclass(frozen=True)
class Printed:
    """A number an output printed, with the unit it printed it in (None: a bare number)."""

    value: float
    unit: str | None
    table_units: tuple[str, ...] = ()  # units a bare number may carry: its table's column units


def printed_numbers(output: str) -> list[Printed]:
    """The numbers an output text prints: with their units, and bare ones with their table's units.

    A bare number may stand for a unit when its line names the unit in brackets ("errors (px):
    [0.2 0.3]") or when a header line of the output (one without digits) names it: in brackets,
    or as a field name that ``course_lib.records.show`` prints (``median_s``, ``ms``, ``gflops``).
    A number the output prints with ``x``/``×``/``times`` is a ratio."""
    expect(isinstance(output, str), "output", "a str", output)
    found = [Printed(s.value, s.unit) for s in find_statements(output, markdown=False)]
    lines = output.splitlines()
    header: set[str] = set()
    for line in lines:
        if not re.search(r"\d", line):  # a header line without numbers: column names with units
            header |= {_COLUMN_UNITS[w] for w in _WORD.findall(line) if w in _COLUMN_UNITS}
            header |= {canonical(u) for u in _BRACKETED.findall(line) if u in _UNITS}
    for line in lines:
        units = header | {canonical(u) for u in _BRACKETED.findall(line) if u in _UNITS}
        for m in _BARE.finditer(line):
            found.append(Printed(float(m.group(0).replace(",", "")), None, tuple(sorted(units))))
    return found


def printed_match(statement: Statement, printed: list[Printed]) -> bool:
    """Whether some printed number is ``statement`` (same kind of unit, within the writer's rounding)."""
    for p in printed:
        units = [p.unit] if p.unit is not None else list(p.table_units)
        for unit in units:
            value = convert(p.value, unit, statement.unit)
            if value is not None and rounds_to(value / statement.scale, statement.number,
                                               statement.approximate):
                return True
    return False


def output_text(output: dict) -> str:
    """The text of one stored notebook output (stream, text/plain, markdown or HTML without tags)."""
    expect(isinstance(output, dict), "output", "a notebook output (a dict)", output)
    if "text" in output:
        text = output["text"]
        return "".join(text) if isinstance(text, list) else str(text)
    data = output.get("data", {})
    parts = []
    for mime in ("text/plain", "text/markdown", "text/html"):
        if mime in data:
            t = data[mime]
            t = "".join(t) if isinstance(t, list) else str(t)
            if mime == "text/html":
                t = html.unescape(re.sub(r"<[^>]+>", " ", t))
            parts.append(t)
    return "\n".join(parts)
