"""Recorded measurements: what a lesson's prose relies on, measured on a named, quiet machine.

``scripts/record_benchmarks.py`` runs a lesson on a quiet machine, takes the figures its
timing cells measured and writes them to ``benchmarks/records/<lesson>.json`` with the
machine and the load measured meanwhile. Lessons print a record with :func:`show`;
``benchmarks/claims.toml`` states what the prose claims and ``tests/test_claims.py`` checks
every claim against the records.
"""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

from course_lib.errors import CourseInputError, expect, expect_int, expect_number, expect_path, wrapped
from course_lib.settings import REPO_ROOT

RECORDS_DIR = REPO_ROOT / "benchmarks" / "records"
REQUIRED = ("recorded", "machine", "quiet", "results")
MACHINE_FIELDS = ("cpu", "logical_cores", "memory_gib", "os", "python", "libraries", "device")
LIBRARIES = ("torch", "numpy", "tensorflow-cpu", "keras", "opencv-python-headless", "onnxruntime")


def machine_info(device: str = "cpu") -> dict[str, Any]:
    """The fields a record needs to name its machine: CPU, cores, memory, OS, Python, libraries."""
    expect(isinstance(device, str) and device.strip() != "", "device", "a device name such as 'cpu'",
           device)
    from course_lib.devices import cpu_name  # here, not at the top: reading a record needs no torch

    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {"cpu": cpu_name(), "logical_cores": os.cpu_count() or 1,
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "libraries": versions, "device": device}


def validate(record: Any, where: str = "record") -> dict[str, Any]:
    """Return ``record`` if it has every required field, else raise CourseInputError saying which.

    The fields a printout or a claim reads must also have the right kind of value, and a record that
    says it is quiet must not show other programs above its own threshold."""
    expect(isinstance(where, str), "where", "a str", where)
    expect(isinstance(record, dict), where, "a JSON object", record)
    for part in ("machine", "quiet"):
        if part in record:
            expect(isinstance(record[part], dict), f"{where} {part}", "a JSON object", record[part])
    missing = [k for k in REQUIRED if k not in record]
    missing += [f"machine.{k}" for k in MACHINE_FIELDS if k not in record.get("machine", {})]
    missing += [f"quiet.{k}" for k in ("measured", "threshold", "ok") if k not in record.get("quiet", {})]
    if missing:
        raise CourseInputError(f"{where}: missing {', '.join(missing)}.")
    _expect_values(record, where)
    results = record["results"]
    if not isinstance(results, list) or not results:
        raise CourseInputError(f"{where}: 'results' must be a non-empty list.")
    for i, r in enumerate(results):
        if not (isinstance(r, dict) and isinstance(r.get("id"), str) and "unit" in r):
            raise CourseInputError(f"{where}: result {i} needs an 'id' and a 'unit', got {r!r}.")
    return record


def _expect_values(record: dict[str, Any], where: str) -> None:
    """The kinds of value :func:`describe` and the claims rely on, and a quiet flag that agrees."""
    expect(isinstance(record["recorded"], str), f"{where} recorded", "a date as an ISO string",
           record["recorded"])
    m, q = record["machine"], record["quiet"]
    for k in ("cpu", "os", "python", "device"):
        expect(isinstance(m[k], str), f"{where} machine.{k}", "a str", m[k])
    expect_int(m["logical_cores"], f"{where} machine.logical_cores", low=1)
    expect_number(m["memory_gib"], f"{where} machine.memory_gib", low=0)
    expect(isinstance(m["libraries"], dict), f"{where} machine.libraries", "a JSON object", m["libraries"])
    threshold = expect_number(q["threshold"], f"{where} quiet.threshold", low=0, high=1)
    expect(isinstance(q["ok"], bool), f"{where} quiet.ok", "True or False", q["ok"])
    share = q.get("other_share")
    if share is not None:
        share = expect_number(share, f"{where} quiet.other_share", low=0, high=1)
        if q["ok"] and share > threshold:
            raise CourseInputError(f"{where}: quiet.ok is true, but other programs used {share:.0%} of the "
                                   f"CPU, above the threshold of {threshold:.0%}.")


def _results(record: Any) -> list[dict[str, Any]]:
    """The results list of a record (a dict with a 'results' list of dicts with an 'id')."""
    expect(isinstance(record, dict), "record", "a JSON object (a record from records.load)", record)
    results = record.get("results")
    if not (isinstance(results, list) and all(isinstance(r, dict) and "id" in r for r in results)):
        raise CourseInputError("record: missing a 'results' list of results with an 'id' "
                               "(load records with records.load).")
    return results


def _expect_directory(directory: Any) -> Path:
    return expect_path(directory, "directory", exists="dir")


def names(directory: Path = RECORDS_DIR) -> list[str]:
    """The names of the records shipped in ``directory`` (file stems), sorted."""
    return sorted(p.stem for p in _expect_directory(directory).glob("*.json"))


def load(name: str, directory: Path = RECORDS_DIR) -> dict[str, Any]:
    """The record ``benchmarks/records/<name>.json``, checked for every required field."""
    expect(isinstance(name, str) and re.fullmatch(r"[\w.-]+", name) is not None, "name",
           "a record name such as '02_gpu_vs_cpu'", name)
    path = _expect_directory(directory) / f"{name}.json"
    if not path.is_file():
        known = ", ".join(names(directory)) or "none"
        raise CourseInputError(f"name: no record {name!r} (known: {known}).")
    with wrapped(f"record {name!r} ({path.name})"):
        data = json.loads(path.read_text(encoding="utf-8"))
    return validate(data, f"record {name}")


def find(record: dict[str, Any], id: str, **match: Any) -> list[dict[str, Any]]:
    """The results of ``record`` with this ``id`` whose fields equal every ``match`` value.

    An ``id`` the record does not have, or a field that none of its results has, is an error
    (a typo would otherwise find nothing and say nothing)."""
    results = _results(record)
    expect(isinstance(id, str), "id", "a str such as '02.matmul'", id)
    same_id = [r for r in results if r["id"] == id]
    if not same_id:
        ids = ", ".join(sorted({str(r["id"]) for r in results}))
        raise CourseInputError(f"id: the record has no result {id!r} (it has: {ids[:300]}).")
    fields = {k for r in same_id for k in r}
    for k in match:
        if k not in fields:
            raise CourseInputError(f"{k}: no result {id!r} has a field {k!r} (fields: "
                                   f"{', '.join(sorted(fields))[:300]}).")
    return [r for r in same_id if all(r.get(k) == v for k, v in match.items())]


def one(record: dict[str, Any], id: str, **match: Any) -> dict[str, Any]:
    """The single result with this ``id`` and fields; a clear error if there are none or several."""
    found = find(record, id, **match)
    if len(found) != 1:
        wanted = ", ".join([repr(id)] + [f"{k}={v!r}" for k, v in match.items()])
        raise CourseInputError(f"record: expected one result {wanted}, found {len(found)}.")
    return found[0]


def describe(record: dict[str, Any]) -> str:
    """One line naming the machine and the quiet check, e.g. for a lesson's output."""
    validate(record)
    m, q = record["machine"], record["quiet"]
    libs = ", ".join(f"{k} {v}" for k, v in m["libraries"].items() if k in ("torch", "tensorflow-cpu"))
    share = q.get("other_share")
    load = f"other programs used {share:.0%} of the CPU" if share is not None else q["measured"]
    return (f"recorded {record['recorded'][:16].replace('T', ' ')} UTC on {m['cpu']} "
            f"({m['logical_cores']} logical cores, {m['memory_gib']:.0f} GiB, {m['device']}), "
            f"{m['os']}, Python {m['python']}, {libs}; {load} meanwhile "
            f"(threshold {q['threshold']:.0%}): {'quiet' if q['ok'] else 'BUSY'}")


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def show(name: str, id: str | None = None, columns: tuple[str, ...] | None = None,
         directory: Path = RECORDS_DIR) -> dict[str, Any]:
    """Print a record's machine line and a table of its results (those with ``id``); return it."""
    record = load(name, directory)
    expect(id is None or isinstance(id, str), "id", "None or a str such as '02.matmul'", id)
    names_ok = isinstance(columns, (tuple, list)) and all(isinstance(c, str) for c in columns)
    expect(columns is None or names_ok, "columns",
           "None or a tuple of column names such as ('n', 'median_s')", columns)
    rows = record["results"] if id is None else find(record, id)
    if not rows:
        raise CourseInputError(f"id: record {name!r} has no result {id!r}.")
    fields = {k for r in rows for k in r}
    unknown = [c for c in columns or () if c not in fields]
    if unknown:
        raise CourseInputError(f"columns: no result has {', '.join(map(repr, unknown))} (fields: "
                               f"{', '.join(sorted(fields))[:300]}).")
    cols = list(columns) if columns else [k for k in rows[0] if k != "id"]
    print(f"Record {name}: {describe(record)}")
    widths = [max(len(c), *(len(_fmt(r.get(c, ""))) for r in rows)) for c in cols]
    print("  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True)))
    for r in rows:
        print("  ".join(_fmt(r.get(c, "")).rjust(w) for c, w in zip(cols, widths, strict=True)))
    return record


CLAIMS_FILE = REPO_ROOT / "benchmarks" / "claims.toml"


def load_claims(path: Path = CLAIMS_FILE) -> list[dict[str, Any]]:
    """The claims of ``benchmarks/claims.toml``: what the prose says and how a record backs it."""
    import tomllib

    path = expect_path(path, "path", exists="file")
    with wrapped(f"claims file {path.name}"):
        claims = tomllib.loads(path.read_text(encoding="utf-8")).get("claim", [])
    expect(isinstance(claims, list) and all(isinstance(c, dict) for c in claims), "path",
           "a TOML file of [[claim]] tables", str(path))
    for i, c in enumerate(claims):
        missing = [k for k in ("id", "record", "notebook", "prose", "check") if k not in c]
        if missing:
            raise CourseInputError(f"claim {i} ({c.get('id', '?')}): missing {', '.join(missing)}.")
    return claims


def claim_holds(claim: dict[str, Any], record: dict[str, Any]) -> bool:
    """Evaluate a claim's ``check`` expression against ``record``.

    The expression sees ``one(id, **fields)`` and ``find(id, **fields)`` (results of this
    record), ``cores`` (the recording machine's logical cores), ``abs``, ``min``, ``max``, ``all``,
    ``any``, ``len`` and ``median``.
    """
    expect(isinstance(claim, dict) and isinstance(claim.get("check"), str), "claim",
           "a dict with a 'check' expression (from records.load_claims)", claim)
    validate(record)
    names = {"__builtins__": {}, "one": lambda id, **m: one(record, id, **m),
             "find": lambda id, **m: find(record, id, **m), "cores": record["machine"]["logical_cores"],
             "abs": abs, "min": min, "max": max, "all": all, "any": any, "len": len,
             "median": statistics.median}
    with wrapped(f"claim {claim.get('id', '?')!r}, check {claim['check'][:80]!r}"):
        return bool(eval(claim["check"], names))  # noqa: S307 - the course's own file
