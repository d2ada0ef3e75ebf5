"""The course's shipped data: paths under data/, verified against data/MANIFEST.sha256."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from course_lib.errors import CourseInputError, expect

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"


class DataIntegrityError(RuntimeError):
    """A shipped file is missing or its SHA-256 differs from the manifest."""


def sha256(path: str | Path) -> str:
    """The SHA-256 of a file, as 64 hex digits."""
    expect(isinstance(path, (str, Path)), "path", "a str or pathlib.Path", path)
    p = Path(path)
    if not p.is_file():
        raise CourseInputError(f"path: expected an existing file, got {str(path)!r}.")
    h = hashlib.sha256()
    with p.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(manifest: Path | None = None) -> dict[str, str]:
    """The manifest as {path relative to data/: sha256}; lines look like ``<sha256>  <path>``."""
    manifest = manifest or DATA_DIR / "MANIFEST.sha256"
    entries: dict[str, str] = {}
    if not manifest.is_file():
        return entries
    for n, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        digest, _, rel = line.partition("  ")
        if len(digest) != 64 or not rel:
            raise DataIntegrityError(f"{manifest.name} line {n} is not '<sha256>  <path>': {line!r}")
        entries[rel] = digest
    return entries


@dataclass(frozen=True)
class FileCheck:
    """The outcome of checking one manifest entry."""

    path: str
    status: str  # "ok", "missing" or "corrupt"

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def verify_all(data_dir: Path | None = None) -> list[FileCheck]:
    """Check every file the manifest lists; never raises for a bad file, reports it instead."""
    data_dir = data_dir or DATA_DIR
    manifest = data_dir / "MANIFEST.sha256"
    results = []
    for rel, digest in sorted(read_manifest(manifest).items()):
        p = data_dir / rel
        if not p.is_file():
            results.append(FileCheck(rel, "missing"))
        else:
            results.append(FileCheck(rel, "ok" if sha256(p) == digest else "corrupt"))
    return results


def data_path(name: str, *, verify: bool = True) -> Path:
    """The path of a shipped file under data/ (e.g. ``"gpu_benchmarks/h100.json"``), checksum-verified."""
    expect(isinstance(name, str) and name != "", "name", "a file name relative to data/", name)
    entries = read_manifest()
    if name not in entries:
        known = ", ".join(sorted(entries)) or "(the manifest is empty)"
        raise CourseInputError(f"name: {name!r} is not in data/MANIFEST.sha256; known: {known}.")
    p = DATA_DIR / name
    if not p.is_file():
        raise DataIntegrityError(f"data/{name} is missing; restore it with `git checkout -- data/`.")
    if verify and sha256(p) != entries[name]:
        raise DataIntegrityError(
            f"data/{name} does not match its SHA-256 in the manifest: the file is corrupt or was "
            "changed. Restore it with `git checkout -- data/`.")
    return p


def write_manifest(data_dir: Path | None = None) -> Path:
    """Rewrite the manifest from every file under ``data_dir`` (for maintainers who add data)."""
    data_dir = data_dir or DATA_DIR
    manifest = data_dir / "MANIFEST.sha256"
    lines = [f"{sha256(p)}  {p.relative_to(data_dir).as_posix()}"
             for p in sorted(data_dir.rglob("*"))
             if p.is_file() and p.name not in {"MANIFEST.sha256", "README.md"}
             and "__pycache__" not in p.parts]
    manifest.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return manifest
