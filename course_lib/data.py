"""The course's shipped data: paths under data/, verified against data/MANIFEST.sha256."""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path

from course_lib.errors import (
    CourseInputError,
    expect,
    expect_bool,
    expect_choice,
    expect_fields,
    expect_path,
    wrapped,
)
from course_lib.hosted import CourseSetupError
from course_lib.settings import REPO_ROOT

DATA_DIR = REPO_ROOT / "data"


class DataIntegrityError(RuntimeError):
    """A shipped file is missing or its SHA-256 differs from the manifest."""


class MissingDataError(DataIntegrityError, CourseSetupError):
    """The whole data/ folder is absent (course_lib installed without its clone); shown as one line."""


def expect_data_dir(data_dir: Path | None = None) -> Path:
    """``data_dir`` (default: the shipped data/) if it exists, else a :class:`MissingDataError` saying why.

    An explicit ``data_dir`` that is not a folder is the caller's mistake: a CourseInputError."""
    if data_dir is not None:
        return expect_path(data_dir, "data_dir", exists="dir")
    data_dir = DATA_DIR
    if not data_dir.is_dir():
        raise MissingDataError(
            f"data/ is missing beside course_lib ({data_dir.parent.name}/): on a hosted runtime delete "
            "the folder 'course' and run the lesson's first cell again, which clones the course with its "
            "data; in a clone, restore it with `git checkout -- data/`.")
    return data_dir


def sha256(path: str | Path) -> str:
    """The SHA-256 of a file, as 64 hex digits."""
    p = expect_path(path, "path", exists="file")
    h = hashlib.sha256()
    with p.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(manifest: str | Path | None = None) -> dict[str, str]:
    """The manifest as {path relative to data/: sha256}; lines look like ``<sha256>  <path>``.

    ``manifest``: a str or Path of an existing file; None: data/MANIFEST.sha256, or ``{}`` if the
    shipped data/ has none."""
    if manifest is None:
        return manifest_entries(expect_data_dir() / "MANIFEST.sha256")
    path = expect_path(manifest, "manifest")
    if path.exists():
        return manifest_entries(path)
    return manifest_entries(expect_path(path, "manifest", exists="file"))


def manifest_entries(manifest: Path) -> dict[str, str]:
    """The entries of a manifest file that may be absent (absent: ``{}``); see :func:`read_manifest`."""
    manifest = expect_path(manifest, "manifest")
    if manifest.is_dir():
        raise CourseInputError(f"manifest: expected the manifest file (such as data/MANIFEST.sha256), got a "
                               f"folder {str(manifest)!r}.")
    entries: dict[str, str] = {}
    if not manifest.is_file():
        return entries
    with wrapped(f"manifest {manifest.name!r}, which is not a text file"):
        text = manifest.read_text(encoding="utf-8")
    for n, line in enumerate(text.splitlines(), 1):
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

    def __post_init__(self) -> None:
        expect_fields(self)
        expect_choice(self.status, "status", ("ok", "missing", "corrupt"))

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def verify_all(data_dir: str | Path | None = None) -> list[FileCheck]:
    """Check every file the manifest lists; never raises for a bad file, reports it instead.

    ``data_dir`` (a str or Path; None: the shipped data/) must hold a MANIFEST.sha256."""
    data_dir = DATA_DIR if data_dir is None else expect_path(data_dir, "data_dir", exists="dir")
    manifest = data_dir / "MANIFEST.sha256"
    if not manifest.is_file():
        raise CourseInputError(f"data_dir: expected a folder holding MANIFEST.sha256, got {str(data_dir)!r}, "
                               "which has none: nothing could be verified.")
    results = []
    for rel, digest in sorted(read_manifest(manifest).items()):
        p = data_dir / rel
        if not p.is_file():
            results.append(FileCheck(rel, "missing"))
        else:
            results.append(FileCheck(rel, "ok" if sha256(p) == digest else "corrupt"))
    return results


def data_path(name: str | Path, *, verify: bool = True) -> Path:
    """The path of a shipped file under data/ (e.g. ``"gpu_benchmarks/h100.json"``), checksum-verified."""
    expect(isinstance(name, (str, Path)) and str(name) not in ("", "."), "name",
           "a file name relative to data/ (a str or Path)", name)
    expect_bool(verify, "verify")
    name = Path(name).as_posix()
    entries = read_manifest()
    if name not in entries:
        close = difflib.get_close_matches(name, entries, n=3)
        hint = (f"did you mean {', '.join(map(repr, close))}?" if close
                else f"e.g. {', '.join(map(repr, sorted(entries)[:3]))}" if entries else "it is empty")
        raise CourseInputError(f"name: {name!r} is not in data/MANIFEST.sha256, which lists {len(entries)} "
                               f"files; {hint}")
    p = DATA_DIR / name
    if not p.is_file():
        raise DataIntegrityError(f"data/{name} is missing; restore it with `git checkout -- data/`.")
    if verify and sha256(p) != entries[name]:
        raise DataIntegrityError(
            f"data/{name} does not match its SHA-256 in the manifest: the file is corrupt or was "
            "changed. Restore it with `git checkout -- data/`.")
    return p


def write_manifest(data_dir: str | Path | None = None) -> Path:
    """Rewrite the manifest from every file under ``data_dir`` (for maintainers who add data)."""
    data_dir = DATA_DIR if data_dir is None else expect_path(data_dir, "data_dir", exists="dir")
    manifest = data_dir / "MANIFEST.sha256"
    lines = [f"{sha256(p)}  {p.relative_to(data_dir).as_posix()}"
             for p in sorted(data_dir.rglob("*"))
             if p.is_file() and p.name not in {"MANIFEST.sha256", "README.md"}
             and "__pycache__" not in p.parts]
    manifest.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")
    return manifest
