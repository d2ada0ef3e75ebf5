"""Every quantitative claim in the lessons' prose is backed by a shipped record from a quiet machine.

The claims live in benchmarks/claims.toml: the phrase the lesson says, the record it rests on,
and a check on that record's results. Nothing here measures or downloads anything.
"""

from __future__ import annotations

import copy
import json
import re

import pytest

from course_lib import records

ROOT = records.REPO_ROOT
CLAIMS = records.load_claims()
NAMES = records.names()


def _prose(notebook: str) -> str:
    nb = json.loads((ROOT / "notebooks" / notebook).read_text(encoding="utf-8"))
    text = " ".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return " ".join(text.split())


def test_there_are_records_and_claims():
    assert NAMES, "benchmarks/records/ holds no record"
    assert {c["record"] for c in CLAIMS} == set(NAMES), \
        "every record backs a claim, and no claim lacks its record"
    assert len({c["id"] for c in CLAIMS}) == len(CLAIMS), "claim ids are unique"


@pytest.mark.parametrize("name", NAMES)
def test_a_record_names_its_machine_and_was_made_on_a_quiet_machine(name):
    rec = records.load(name)  # checks every required field
    assert rec["quiet"]["ok"] is True, rec["quiet"]
    assert rec["quiet"]["other_share"] <= rec["quiet"]["threshold"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", rec["recorded"])
    assert rec["machine"]["logical_cores"] >= 1 and rec["machine"]["cpu"]
    assert (ROOT / rec["notebook"]).is_file()


@pytest.mark.parametrize("claim", CLAIMS, ids=[c["id"] for c in CLAIMS])
def test_the_record_supports_the_claim(claim):
    assert records.claim_holds(claim, records.load(claim["record"])), (
        f"{claim['record']} no longer supports: {claim['prose']!r} ({claim['check']})")


@pytest.mark.parametrize("claim", CLAIMS, ids=[c["id"] for c in CLAIMS])
def test_the_claim_is_what_the_lesson_says(claim):
    assert " ".join(claim["prose"].split()) in _prose(claim["notebook"]), claim["id"]


def test_the_cpu_matmul_record_has_every_field_and_threads_do_not_lose():
    rec = records.load("02_gpu_vs_cpu")
    rows = records.find(rec, "02.matmul")
    for r in rows:
        assert {"library", "device", "threads", "dtype", "n", "median_s", "gflops"} <= set(r)
    cores = rec["machine"]["logical_cores"]
    largest = max(r["n"] for r in rows if r["library"] == "torch")
    many = records.one(rec, "02.matmul", library="torch", threads=cores, n=largest)
    one = records.one(rec, "02.matmul", library="torch", threads=1, n=largest)
    assert many["gflops"] >= 0.9 * one["gflops"]


def test_a_claim_fails_when_its_record_no_longer_supports_it():
    claim = next(c for c in CLAIMS if c["id"] == "02.threads_at_1024")
    rec = copy.deepcopy(records.load(claim["record"]))
    for r in records.find(rec, "02.matmul", library="torch", threads=1):
        r["gflops"] *= 3  # one thread faster than two: the claim must fail
    assert not records.claim_holds(claim, rec)


def test_record_cells_show_records_that_exist():
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if "record" in cell.get("metadata", {}).get("tags", []):
                for name in re.findall(r"records\.show\(\s*\"([\w.-]+)\"", "".join(cell["source"])):
                    assert name in NAMES, f"{path.name} shows a record that does not exist: {name}"
