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

from course_lib.errors import CourseInputError, expect
from course_lib.settings import REPO_ROOT

RECORDS_DIR = REPO_ROOT / "benchmarks" / "records"
REQUIRED = ("recorded", "machine", "quiet", "results")
MACHINE_FIELDS = ("cpu", "logical_cores", "memory_gib", "os", "python", "libraries", "device")
LIBRARIES = ("torch", "numpy", "tensorflow-cpu", "keras", "opencv-python-headless", "onnxruntime")


def cpu_name() -> str:
    """The processor's model name (from /proc/cpuinfo on Linux), or the platform's best guess."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(device: str = "cpu") -> dict[str, Any]:
    """The fields a record needs to name its machine: CPU, cores, memory, OS, Python, libraries."""
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
    """Return ``record`` if it has every required field, else raise CourseInputError saying which."""
    expect(isinstance(record, dict), where, "a JSON object", record)
    missing = [k for k in REQUIRED if k not in record]
    missing += [f"machine.{k}" for k in MACHINE_FIELDS if k not in record.get("machine", {})]
    missing += [f"quiet.{k}" for k in ("measured", "threshold", "ok") if k not in record.get("quiet", {})]
    if missing:
        raise CourseInputError(f"{where}: missing {', '.join(missing)}.")
    results = record["results"]
    if not isinstance(results, list) or not results:
        raise CourseInputError(f"{where}: 'results' must be a non-empty list.")
    for i, r in enumerate(results):
        if not (isinstance(r, dict) and isinstance(r.get("id"), str) and "unit" in r):
            raise CourseInputError(f"{where}: result {i} needs an 'id' and a 'unit', got {r!r}.")
    return record


def names(directory: Path = RECORDS_DIR) -> list[str]:
    """The names of the records shipped in ``directory`` (file stems), sorted."""
    return sorted(p.stem for p in Path(directory).glob("*.json"))


def load(name: str, directory: Path = RECORDS_DIR) -> dict[str, Any]:
    """The record ``benchmarks/records/<name>.json``, checked for every required field."""
    expect(isinstance(name, str) and re.fullmatch(r"[\w.-]+", name) is not None, "name",
           "a record name such as '02_gpu_vs_cpu'", name)
    path = Path(directory) / f"{name}.json"
    if not path.is_file():
        known = ", ".join(names(directory)) or "none"
        raise CourseInputError(f"name: no record {name!r} (known: {known}).")
    return validate(json.loads(path.read_text(encoding="utf-8")), f"record {name}")


def find(record: dict[str, Any], id: str, **match: Any) -> list[dict[str, Any]]:
    """The results of ``record`` with this ``id`` whose fields equal every ``match`` value."""
    return [r for r in record["results"]
            if r["id"] == id and all(r.get(k) == v for k, v in match.items())]


def one(record: dict[str, Any], id: str, **match: Any) -> dict[str, Any]:
    """The single result with this ``id`` and fields; a clear error if there are none or several."""
    found = find(record, id, **match)
    if len(found) != 1:
        wanted = ", ".join([repr(id)] + [f"{k}={v!r}" for k, v in match.items()])
        raise CourseInputError(f"record: expected one result {wanted}, found {len(found)}.")
    return found[0]


def describe(record: dict[str, Any]) -> str:
    """One line naming the machine and the quiet check, e.g. for a lesson's output."""
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
    rows = record["results"] if id is None else find(record, id)
    if not rows:
        raise CourseInputError(f"id: record {name!r} has no result {id!r}.")
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

    claims = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("claim", [])
    for i, c in enumerate(claims):
        missing = [k for k in ("id", "record", "notebook", "prose", "check") if k not in c]
        if missing:
            raise CourseInputError(f"claim {i} ({c.get('id', '?')}): missing {', '.join(missing)}.")
    return claims


def check_claim(claim: dict[str, Any], record: dict[str, Any]) -> bool:
    """Evaluate a claim's ``check`` expression against ``record``.

    The expression sees ``one(id, **fields)`` and ``find(id, **fields)`` (results of this
    record), ``cores`` (the recording machine's logical cores), ``abs``, ``min``, ``max``, ``all``,
    ``any``, ``len`` and ``median``.
    """
    names = {"__builtins__": {}, "one": lambda id, **m: one(record, id, **m),
             "find": lambda id, **m: find(record, id, **m), "cores": record["machine"]["logical_cores"],
             "abs": abs, "min": min, "max": max, "all": all, "any": any, "len": len,
             "median": statistics.median}
    return bool(eval(claim["check"], names))  # noqa: S307 - the course's own file
