"""course_lib.records: the record format, clear errors, and a stable printout."""

from __future__ import annotations

import json

import pytest

from course_lib import records
from course_lib.errors import CourseInputError


def _record(**over):
    rec = {"recorded": "2026-12-01T23:00:00+00:00", "machine": records.machine_info(),
           "quiet": {"measured": "test", "threshold": 0.1, "other_share": 0.01, "ok": True},
           "results": [{"id": "x.a", "n": 1, "value": 2.0, "unit": "s"},
                       {"id": "x.a", "n": 2, "value": 3.0, "unit": "s"}]}
    rec.update(over)
    return rec


def test_machine_info_has_every_field_a_record_needs():
    info = records.machine_info()
    assert set(records.MACHINE_FIELDS) <= set(info)
    assert info["logical_cores"] >= 1 and info["memory_gib"] > 0 and "torch" in info["libraries"]


def test_validate_names_what_is_missing():
    rec = _record()
    del rec["quiet"]["ok"]
    del rec["machine"]["cpu"]
    with pytest.raises(CourseInputError, match=r"machine\.cpu, quiet\.ok"):
        records.validate(rec)
    with pytest.raises(CourseInputError, match="needs an 'id' and a 'unit'"):
        records.validate(_record(results=[{"id": "x"}]))
    with pytest.raises(CourseInputError, match="non-empty"):
        records.validate(_record(results=[]))


def test_load_find_one_and_show(tmp_path, capsys):
    (tmp_path / "demo.json").write_text(json.dumps(_record()))
    rec = records.load("demo", tmp_path)
    assert [r["n"] for r in records.find(rec, "x.a")] == [1, 2]
    assert records.one(rec, "x.a", n=2)["value"] == 3.0
    with pytest.raises(CourseInputError, match="found 2"):
        records.one(rec, "x.a")
    with pytest.raises(CourseInputError, match="found 0"):
        records.one(rec, "x.a", n=3)
    records.show("demo", "x.a", columns=("n", "value"), directory=tmp_path)
    out = capsys.readouterr().out
    assert "Record demo: recorded 2026-12-01 23:00 UTC on" in out and "quiet" in out
    assert out.splitlines()[1].split() == ["n", "value"] and out.splitlines()[3].split() == ["2", "3"]


def test_a_missing_or_badly_named_record_is_a_clear_error(tmp_path):
    with pytest.raises(CourseInputError, match="no record 'nope'"):
        records.load("nope", tmp_path)
    with pytest.raises(CourseInputError, match="name"):
        records.load("../etc/passwd", tmp_path)


def test_a_claim_check_sees_only_the_record():
    rec = _record()
    assert records.claim_holds({"check": "all(one('x.a', n=k)['value'] > 1 for k in (1, 2))"}, rec)
    with pytest.raises(CourseInputError, match="NameError from the library below: name 'open' is not"):
        records.claim_holds({"check": "open('/etc/passwd')"}, rec)  # no builtins: nothing to open with


def test_a_typo_in_an_id_or_a_field_is_an_error_not_an_empty_list():
    """find used to return [] for an id or a field name that no result has, saying nothing."""
    rec = _record()
    with pytest.raises(CourseInputError, match="the record has no result 'x.b' \\(it has: x.a\\)"):
        records.find(rec, "x.b")
    with pytest.raises(CourseInputError, match="no result 'x.a' has a field 'size'"):
        records.find(rec, "x.a", size=1)
    assert records.find(rec, "x.a", n=3) == []  # a field that exists, a value that does not: nothing


def test_a_record_claiming_quiet_with_a_busy_share_is_refused():
    rec = _record()
    rec["quiet"]["other_share"] = 0.5  # above the 10 % threshold, yet "ok": True
    with pytest.raises(CourseInputError, match="quiet.ok is true, but other programs used 50%"):
        records.validate(rec)
    with pytest.raises(CourseInputError, match="machine: expected a JSON object"):
        records.validate(_record(machine="a laptop"))  # used to raise TypeError from 'in'


def test_show_refuses_columns_given_as_one_string_or_unknown(tmp_path):
    (tmp_path / "demo.json").write_text(json.dumps(_record()))
    with pytest.raises(CourseInputError, match="columns: expected None or a tuple of column names"):
        records.show("demo", "x.a", columns="value", directory=tmp_path)  # was: a column per letter
    with pytest.raises(CourseInputError, match="columns: no result has 'valu'"):
        records.show("demo", "x.a", columns=("valu",), directory=tmp_path)  # was: a blank column
