"""Every number with a unit in a lesson's prose is printed by the lesson, claimed, or cited.

The test reads every markdown cell of every lesson (tables and summaries included) and finds
each quantitative statement with ``course_lib.tools.numbers.find_statements`` (its docstring
says what counts as a statement, and which classes of number are left out: code, math, links,
names and versions, shapes such as ``512 × 512``, numbers in words). Each statement must be

(a) printed by a stored output of the same lesson: the same number, up to the writer's
    rounding (the written number covers every value within half a unit of its last
    significant digit: "0.67 ms" covers a printed 0.6712 ms, "37 ms" a printed 36.8 ms,
    "about 20 GB/s" a printed 18.7 GB/s), in the same unit or one of the same kind
    (670 µs is 0.67 ms); a bare number counts in the units its table's header names;
(b) inside the prose of a claim in ``benchmarks/claims.toml`` for the same lesson (the claim's
    ``prose`` occurs in the cell and the statement lies within it; tests/test_claims.py
    checks the claim against its record); or
(c) inside the ``text`` of an entry in ``benchmarks/external_facts.toml`` for the lesson: a fact
    from outside the lesson, with its ``source`` (a datasheet, a paper, documentation, the
    course design). An entry may also give ``value``, an arithmetic expression (for a figure
    the prose computes, such as a matrix's bytes): the statement must then round-trip to it;
    or ``code``, a piece of code that must appear in the lesson's code cells or in course_lib
    (for a setting the lesson's code makes, such as the share of images kept aside).

A stored output must not show a timing flagged BUSY (course_lib.timing's "[BUSY MACHINE: ...]",
course_lib.load's "BUSY: the timing is not trustworthy", course_lib.benchmarks' "BUSY: others
used ...", course_lib.records' "...: BUSY") unless its cell is tagged ``busy-on-purpose``: the
lesson shows a busy measurement deliberately and says so.
"""

from __future__ import annotations

import ast
import copy
import json
import operator
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from course_lib import records
from course_lib.tools import numbers
from course_lib.tools.numbers import find_statements

ROOT = records.REPO_ROOT
FACTS_FILE = ROOT / "benchmarks" / "external_facts.toml"
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
BUSY = re.compile(r"\bBUSY\b")
BUSY_TAG = "busy-on-purpose"


def _norm(text: str) -> str:
    return " ".join(text.split())


def load_facts(path: Path = FACTS_FILE) -> list[dict[str, Any]]:
    """The entries of benchmarks/external_facts.toml."""
    facts = tomllib.loads(path.read_text(encoding="utf-8")).get("fact", [])
    assert isinstance(facts, list)
    return facts


_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow, ast.USub: operator.neg}


def arithmetic(expression: str) -> float:
    """The value of an arithmetic expression of numbers and + - * / ** (nothing else)."""
    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.operand))
        raise ValueError(f"not plain arithmetic: {ast.dump(node)[:80]}")
    return ev(ast.parse(expression, mode="eval").body)


def _normalized(text: str) -> tuple[str, list[int]]:
    """``text`` with its whitespace collapsed, and where each character of ``text`` went in it."""
    norm, where = [], []
    for m in re.finditer(r"\S+|\s+", text):
        if m.group(0).isspace():
            space = bool(norm) and m.end() < len(text)
            where += [len(norm)] * len(m.group(0))
            norm += [" "] if space else []
        else:
            where += range(len(norm), len(norm) + len(m.group(0)))
            norm += list(m.group(0))
    return "".join(norm), where


def _spans(needle: str, haystack: str) -> list[tuple[int, int]]:
    needle = _norm(needle)
    if not needle:
        return []
    return [(m.start(), m.start() + len(needle)) for m in re.finditer(re.escape(needle), haystack)]


def _sentence(text: str, begin: int, finish: int) -> str:
    start = max([i + 2 for i in (text.rfind(". ", 0, begin), text.rfind("| ", 0, begin)) if i != -1] + [0])
    stops = [i for i in (text.find(". ", finish), text.find(" |", finish)) if i != -1]
    end = min(stops) + 1 if stops else len(text)
    sentence = text[start:end].strip()
    return sentence if len(sentence) <= 220 else sentence[:217] + "..."


def problems(nb: dict[str, Any], lesson: str, claims: list[dict[str, Any]],
             facts: list[dict[str, Any]]) -> list[str]:
    """What is wrong with the quantitative statements of one lesson's notebook (empty: all backed)."""
    name = f"{lesson}.ipynb"
    printed: list[numbers.Printed] = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            printed += numbers.printed_numbers(numbers.output_text(out))
    lesson_claims = [c["prose"] for c in claims if c["notebook"] == name]
    lesson_facts = [f["text"] for f in facts if f["lesson"] == lesson[:2]]
    found = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        raw = "".join(cell["source"])
        text, where = _normalized(raw)  # claims and facts quote the prose with whitespace collapsed
        backing = [sp for p in lesson_claims + lesson_facts for sp in _spans(p, text)]
        for s in find_statements(raw):
            start, end = where[s.start], where[s.end - 1] + 1
            if any(a <= start and end <= b for a, b in backing):
                continue
            if numbers.printed_match(s, printed):
                continue
            found.append(
                f"{lesson} cell {index}: {s.number} {s.unit} in {s.text!r} is not backed; sentence: "
                f"{_sentence(text, start, end)!r}. Fix: print it in a stored output of the lesson, or say it "
                f"as a claim in benchmarks/claims.toml (checked against a record), or cite it in "
                f"benchmarks/external_facts.toml (lesson, text, source), or reword it.")
    return found


def _lesson(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


CLAIMS = records.load_claims()
FACTS = load_facts()


# --- the detector -------------------------------------------------------------------------

def _found(text: str) -> list[tuple[str, str]]:
    return [(s.number, s.unit) for s in find_statements(text)]


@pytest.mark.parametrize("text, expected", [
    ("it took 0.67 ms", [("0.67", "ms")]),
    ("420 µs, 420 us and 420 μs", [("420", "µs")] * 3),
    ("about 2 s, 3 seconds, 1.5 min", [("2", "s"), ("3", "s"), ("1.5", "min")]),
    ("4 MB, 13 GiB, 100 MiB, 8 bytes, 2 KB", [("4", "MB"), ("13", "GiB"), ("100", "MiB"), ("8", "bytes"),
                                              ("2", "KB")]),
    ("14 GFLOP of arithmetic at 100 GFLOP/s, 67 TFLOP/s",
     [("14", "GFLOP"), ("100", "GFLOP/s"), ("67", "TFLOP/s")]),
    ("3.35 TB/s and 18.7 GB/s, about 20 GB per second", [("3.35", "TB/s"), ("18.7", "GB/s"), ("20", "GB/s")]),
    ("400 tokens/s, 35 images per second, 727 frames per second",
     [("400", "tokens/s"), ("35", "images/s"), ("727", "frames/s")]),
    ("3-5 GHz", [("3", "GHz"), ("5", "GHz")]),
    ("8 bits of precision on 4-10 cores", [("8", "bits"), ("4", "cores"), ("10", "cores")]),
])
def test_the_detector_finds_units(text, expected):
    assert _found(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("took 1-4 ms", [("1", "ms"), ("4", "ms")]),
    ("took 1–4 ms", [("1", "ms"), ("4", "ms")]),
    ("6.8 and 0.54 ms", [("6.8", "ms"), ("0.54", "ms")]),
    ("about 0.9 to 1.0 ms", [("0.9", "ms"), ("1.0", "ms")]),
    ("from about 1.3 to more than 2 times", [("1.3", "x"), ("2", "x")]),
    ("1.2, 3.4 and 5.6 ms", [("1.2", "ms"), ("3.4", "ms"), ("5.6", "ms")]),
    ("7.3 ms against 4.8 ms", [("7.3", "ms"), ("4.8", "ms")]),
    ("a 65-75x speed-up", [("65", "x"), ("75", "x")]),
])
def test_the_detector_gives_each_number_of_a_range_or_list_its_unit(text, expected):
    assert _found(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("about 18x faster", [("18", "x")]),
    ("about 18× faster", [("18", "x")]),
    ("about 12 times faster", [("12", "x")]),
    ("down-sampled 4x, with", [("4", "x")]),
    ("12 %, 97% and 30 percent", [("12", "%"), ("97", "%"), ("30", "%")]),
])
def test_the_detector_finds_ratios_and_percentages(text, expected):
    assert _found(text) == expected


def test_a_scale_word_multiplies_the_number():
    s = find_statements("it takes 2·512³ ≈ 268 million floating-point operations (FLOPs)")
    assert [(x.number, x.unit, x.scale) for x in s] == [("268", "FLOP", 1e6)]
    assert s[0].value == 268e6
    assert numbers.printed_match(s[0], numbers.printed_numbers("0.268 GFLOP per call"))
    assert not numbers.printed_match(s[0], numbers.printed_numbers("0.27 GFLOP per call"))


def test_the_detector_reads_tables_and_keeps_positions():
    table = "| trainer | step |\n|---|---:|\n| NumPy | 0.67 ms |\n| Keras | 5.6 ms |\n"
    assert _found(table) == [("0.67", "ms"), ("5.6", "ms")]
    columns = ("| trainer | step (ms) | year | rate [GB/s] |\n|---|--:|---|---|\n"
               "| NumPy | 0.67 | 2006 | ~18 |\n")
    assert _found(columns) == [("0.67", "ms"), ("18", "GB/s")]
    assert [s.approximate for s in find_statements(columns)] == [False, True]
    assert _found("67,000 GFLOP/s, 1, 2 ms") == [("67,000", "GFLOP/s"), ("1", "ms"), ("2", "ms")]
    s = find_statements("| wins: one call (0.54 ms in the record) |")[0]
    assert s.text == "0.54 ms" and "| wins: one call (0.54 ms in the record) |"[s.start:s.end] == "0.54 ms"


@pytest.mark.parametrize("text", [
    "a 512 × 512 matrix", "a 3 x 224 x 224 batch", "a 3x3 kernel, 5x5 median",  # shapes
    "about **6 × parameters × tokens**",  # arithmetic with a spaced sign
    "call `f(0.5 ms)` or ```\nt = 3 ms\n```",  # code
    "the cost $2 n^3$ FLOP and $$10 ms$$",  # math
    "see [the card](https://example.org/80GB) and https://x.org/4ms",  # link targets, addresses
    "Python 3.11.2 s, an H100, fp32, PCIe 5.0 x16, Llama 3 8B, a 7B model",  # names and versions
    "a thousand times more, between four and five times",  # numbers in words
    "a 2-core machine, 16-bit floats, at 1/12 FLOP per byte",  # compound adjectives, fractions
])
def test_the_detector_leaves_out_the_documented_classes(text):
    assert _found(text) == []


def test_link_text_is_prose_but_its_target_is_not():
    assert _found("see [the 80 GB card](https://example.org/80GB)") == [("80", "GB")]


@pytest.mark.parametrize("number, value, ok", [
    ("0.67", 0.6712, True), ("0.67", 0.6651, True), ("0.67", 0.676, False),
    ("37", 36.8, True), ("37", 36.4, False),
    ("1.0", 0.98, True), ("1.0", 0.94, False),
    ("20", 20.4, True), ("20", 18.7, False),  # every written digit counts...
    ("3,840", 3840, True), ("7e9", 7.4e9, True), ("7e9", 7.6e9, False),
])
def test_the_rounding_rule(number, value, ok):
    assert numbers.rounds_to(value, number) is ok


@pytest.mark.parametrize("number, value, ok", [
    ("20", 18.7, True), ("20", 14.9, False),  # ...but "about 20" is one significant figure
    ("180", 179.2, True), ("180", 186, False), ("0.67", 0.676, False),
])
def test_the_rounding_rule_after_about(number, value, ok):
    assert numbers.rounds_to(value, number, approximate=True) is ok


def test_about_marks_a_statement_approximate():
    s = find_statements("about 20 GB/s, 20 GB/s, roughly 0.9 to 1.0 ms")
    assert [x.approximate for x in s] == [True, False, True, True]
    assert numbers.printed_match(s[0], numbers.printed_numbers("18.7 GB/s"))
    assert not numbers.printed_match(s[1], numbers.printed_numbers("18.7 GB/s"))


def test_printed_numbers_convert_units_and_read_table_headers():
    s = find_statements("it took 0.67 ms")[0]
    assert numbers.printed_match(s, numbers.printed_numbers("step: 671 µs"))
    assert numbers.printed_match(s, numbers.printed_numbers("step: 0.000671 s"))
    assert not numbers.printed_match(s, numbers.printed_numbers("step: 0.671 MB"))  # another kind
    assert not numbers.printed_match(s, numbers.printed_numbers("0.6712 steps"))  # a bare number, no table
    shown = "Record 12: recorded on a CPU (2 logical cores, 8 GiB, cpu)\n trainer      ms\n   NumPy  0.6712\n"
    assert numbers.printed_match(s, numbers.printed_numbers(shown))
    assert numbers.printed_match(s, numbers.printed_numbers("step times (ms): [0.6712 0.7]"))
    assert not numbers.printed_match(s, numbers.printed_numbers("unit\n0.6712 msec"))
    ratio = find_statements("about 12 times faster")[0]
    assert numbers.printed_match(ratio, numbers.printed_numbers("graph: 12.4x faster"))


def test_output_text_reads_streams_and_rich_outputs():
    assert numbers.output_text({"output_type": "stream", "text": ["a 1 ms\n", "b"]}) == "a 1 ms\nb"
    html = {"output_type": "display_data", "data": {"text/html": ["<td>5&nbsp;ms</td>"]}}
    assert "5\xa0ms" in numbers.output_text(html)
    assert numbers.output_text({"output_type": "display_data", "data": {"image/png": "..."}}) == ""


# --- the lessons ----------------------------------------------------------------------------

def _one(path: Path) -> str:
    return path.name[:2]


@pytest.mark.parametrize("path", LESSONS, ids=_one)
def test_every_number_in_the_prose_is_printed_claimed_or_cited(path):
    found = problems(_lesson(path), path.stem, CLAIMS, FACTS)
    assert not found, f"{len(found)} unbacked number(s) in {path.name}:\n" + "\n".join(found)


def test_a_changed_number_fails():
    """Lesson 08 says what share of the pixels SGBM covered, as its output prints it; change it."""
    path = ROOT / "notebooks" / "08_opencv_pipelines.ipynb"
    nb = _lesson(path)
    index = next(i for i, c in enumerate(nb["cells"])
                 if c["cell_type"] == "markdown" and "87%" in "".join(c["source"]))
    assert not [p for p in problems(nb, path.stem, CLAIMS, FACTS) if f"cell {index}:" in p and "87" in p]
    wrong = copy.deepcopy(nb)
    wrong["cells"][index]["source"] = "".join(nb["cells"][index]["source"]).replace("87%", "78%")
    reported = [p for p in problems(wrong, path.stem, CLAIMS, FACTS) if f"cell {index}:" in p]
    assert any("78 %" in p and "Fix:" in p for p in reported), reported


def test_whitespace_is_collapsed_with_every_position_kept():
    text, where = _normalized("  In the\n record  it took\n37 ms. ")
    assert text == "In the record it took 37 ms."
    s = find_statements("  In the\n record  it took\n37 ms. ")[0]
    assert text[where[s.start]:where[s.end - 1] + 1] == "37 ms"


def test_a_claim_or_a_fact_covers_only_its_own_words():
    nb = {"cells": [{"cell_type": "markdown", "source": "In the record it took 37 ms. Elsewhere 12 ms."}]}
    claim = [{"notebook": "99_x.ipynb", "prose": "In the record it took 37 ms"}]
    found = problems(nb, "99_x", claim, [])
    assert len(found) == 1 and "99_x cell 0: 12 ms" in found[0] and "sentence: 'Elsewhere 12 ms.'" in found[0]
    fact = [{"lesson": "99", "text": "Elsewhere 12 ms", "source": "x"}]
    assert problems(nb, "99_x", claim, fact) == []
    assert len(problems(nb, "98_y", claim, fact)) == 2  # another lesson's claims and facts do not count


def test_the_external_facts_are_well_formed_and_still_said():
    prose = {_one(p): _norm(" ".join("".join(c["source"]) for c in _lesson(p)["cells"]
                                     if c["cell_type"] == "markdown")) for p in LESSONS}
    code = {_one(p): "\n".join("".join(c["source"]) for c in _lesson(p)["cells"] if c["cell_type"] == "code")
            for p in LESSONS}
    library = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "course_lib").rglob("*.py")))
    for i, f in enumerate(FACTS):
        where = f"benchmarks/external_facts.toml entry {i} ({f.get('text')!r})"
        assert {"lesson", "text", "source"} <= set(f), f"{where}: needs lesson, text and source"
        assert set(f) <= {"lesson", "text", "source", "note", "value", "code"}, f"{where}: unknown keys"
        assert f["lesson"] in prose, f"{where}: no lesson {f['lesson']}"
        assert len(f["source"].strip()) >= 10, f"{where}: say where the fact comes from"
        assert _norm(f["text"]) in prose[f["lesson"]], f"{where}: lesson {f['lesson']} no longer says this"
        said = find_statements(_norm(f["text"]))
        assert said, f"{where}: the text holds no number with a unit"
        if "value" in f:
            value = arithmetic(f["value"])
            assert all(numbers.rounds_to(value / s.scale, s.number, s.approximate) for s in said), \
                f"{where}: {f['value']} = {value:.6g}, which the text does not round to"
        if "code" in f:
            assert f["code"] in code[f["lesson"]] or f["code"] in library, \
                f"{where}: neither the lesson's code nor course_lib has {f['code']!r}"


def test_arithmetic_reads_only_arithmetic():
    assert arithmetic("1000 * 1000 * 4 / 1e6") == 4.0
    assert arithmetic("-2 ** 3") == -8.0
    with pytest.raises(ValueError):
        arithmetic("__import__('os')")


@pytest.mark.parametrize("path", LESSONS, ids=_one)
def test_no_stored_output_shows_a_busy_timing_unless_on_purpose(path):
    bad = []
    for index, cell in enumerate(_lesson(path)["cells"]):
        if cell["cell_type"] != "code" or BUSY_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        for out in cell.get("outputs", []):
            for line in numbers.output_text(out).splitlines():
                if BUSY.search(line):
                    bad.append(f"{path.stem[:2]} cell {index}: {line.strip()[:160]!r}")
    assert not bad, ("stored outputs flagged BUSY (re-run the lesson on a quiet machine with "
                     "scripts/record_benchmarks.py NN, or tag the cell 'busy-on-purpose' if the lesson "
                     "shows a busy measurement on purpose and says so):\n" + "\n".join(bad))


def test_the_busy_markers_are_what_the_library_prints():
    from course_lib.load import LoadReport
    from course_lib.timing import Timing

    busy = LoadReport(wall_s=1.0, cores=2, own_cpu_s=1.0, other_cpu_s=1.5, steal_s=0.0)
    quiet = LoadReport(wall_s=1.0, cores=2, own_cpu_s=1.0, other_cpu_s=0.0, steal_s=0.0)
    assert BUSY.search(str(busy)) and not BUSY.search(str(quiet))
    timing = Timing(label="t", times=[1e-3, 2e-3], device="cpu", threads=1, load=busy)
    assert BUSY.search(str(timing))
