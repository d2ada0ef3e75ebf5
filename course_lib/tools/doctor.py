"""The environment report: versions, devices, Visdom and the shipped data, checked."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version


@dataclass(frozen=True)
class Finding:
    """One line of the report; ``required`` checks decide the exit status."""

    name: str
    ok: bool
    detail: str
    required: bool = True

    def __str__(self) -> str:
        mark = "ok  " if self.ok else ("FAIL" if self.required else "info")
        return f"[{mark}] {self.name}: {self.detail}"


TESTED_PYTHONS = ("3.11", "3.12", "3.13")  # requires-python in pyproject.toml; CI tests 3.11 and 3.13


def _python_check() -> Finding:
    v = Version(platform.python_version())
    return Finding("python", f"{v.major}.{v.minor}" in TESTED_PYTHONS,
                 f"{v} (the course is tested on Python {', '.join(TESTED_PYTHONS)})")


def _package_checks() -> list[Finding]:
    """Each pinned dependency of course_lib: installed, at the pinned version."""
    try:
        requirements = metadata.requires("course_lib") or []
    except metadata.PackageNotFoundError:
        return [Finding("course_lib", False, "not installed: run the README's set-up command")]
    checks = []
    for line in requirements:
        req = Requirement(line)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        try:
            have = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            checks.append(Finding(req.name, False, f"missing (want {req.specifier})"))
            continue
        ok = req.specifier.contains(Version(have).public, prereleases=True) or \
            req.specifier.contains(have, prereleases=True)
        checks.append(Finding(req.name, ok, have if ok else f"{have}, but the course pins {req.specifier}"))
    return checks


def _device_checks() -> list[Finding]:
    try:
        from course_lib.devices import best_device, list_devices
    except Exception as exc:  # torch missing or broken: already reported by the package checks
        return [Finding("devices", False, f"torch could not be imported ({type(exc).__name__}: {exc})")]
    from course_lib.devices import DEVICE_ENV
    from course_lib.errors import CourseInputError

    checks = [Finding(f"device {d.name}", True, d.description, required=False) for d in list_devices()]
    chosen = os.environ.get(DEVICE_ENV, "").strip()
    try:
        best = best_device()
    except CourseInputError as err:  # COURSE_DEVICE names a device this machine lacks
        checks.append(Finding("best device", False, str(err)))
        return checks
    how = f"chosen by {DEVICE_ENV}" if chosen else "used by the lessons"
    checks.append(Finding("best device", True, f"{best} ({how})", required=False))
    return checks


def _visdom_checks(port: int) -> list[Finding]:
    checks = []
    from course_lib.tools.visdom_assets import VisdomAssetsError, missing_assets

    try:
        missing = missing_assets()
        detail = "front-end files provisioned" if not missing else (
            f"{len(missing)} front-end files missing (first: {missing[0]}); run the set-up command")
        checks.append(Finding("visdom assets", not missing, detail))
    except (ImportError, VisdomAssetsError) as exc:  # e.g. a hosted runtime, which has no Visdom
        checks.append(Finding("visdom assets", False, f"cannot check ({exc})"))
    from course_lib.live import visdom_answers

    up = visdom_answers(port)
    checks.append(Finding("visdom server", up,
                        f"answering on 127.0.0.1:{port}" if up else
                        f"not running on 127.0.0.1:{port} (plots draw inline; the start command runs it)",
                        required=False))
    return checks


def checkout_data_dir() -> tuple[Path, str]:
    """The data/ folder to check, and how to name it: the checkout the command runs in, if any,
    else the one beside the installed course_lib."""
    from course_lib import data

    installed = data.DATA_DIR
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "course_lib").is_dir() and (folder / "data").is_dir():
            here = folder / "data"
            if here.resolve() == installed.resolve():
                return installed, "this checkout"
            return here, f"the checkout at {folder} (course_lib itself is installed from {installed.parent})"
    return installed, f"the installed copy at {installed.parent}"


def _data_checks() -> list[Finding]:
    from course_lib.data import DataIntegrityError, read_manifest, verify_all

    data_dir, which = checkout_data_dir()
    manifest = data_dir / "MANIFEST.sha256"
    if not manifest.is_file():
        return [Finding("data manifest", False, f"data/MANIFEST.sha256 of {which} is missing: nothing can be "
                                              "verified. Restore it with `git checkout -- data/`.")]
    try:
        entries = read_manifest(manifest)
    except DataIntegrityError as exc:
        return [Finding("data manifest", False, str(exc))]
    if not entries:
        return [Finding("data manifest", False, f"data/MANIFEST.sha256 of {which} lists no files")]
    results = verify_all(data_dir)
    bad = [r for r in results if not r.ok]
    checks = [Finding(f"data/{r.path}", False, r.status) for r in bad]
    checks.append(Finding("data manifest", not bad,
                        f"{len(entries) - len(bad)}/{len(entries)} files verified, in {which}"))
    return checks


def _extra_checks() -> list[Finding]:
    """Checks contributed by other modules (e.g. the pretrained weights' checksum)."""
    checks: list[Finding] = []
    try:
        from course_lib import pretrained
    except ImportError:
        return checks
    verify = getattr(pretrained, "verify_weights", None)
    if verify is not None:
        try:
            detail = verify()
            if hasattr(detail, "name"):  # a path: name the file, never the machine's folders
                detail = f"{detail.name}: SHA-256 verified"
            checks.append(Finding("pretrained weights", True, str(detail)))
        except Exception as exc:
            checks.append(Finding("pretrained weights", False, f"{type(exc).__name__}: {exc}"))
    return checks


def run_checks(port: int | None = None) -> list[Finding]:
    """Every check, in the order the report prints them (Visdom on ``port``, default the setting)."""
    from course_lib.settings import expect_port, visdom_port

    port = visdom_port() if port is None else expect_port(port)
    return [_python_check(), *_package_checks(), *_device_checks(), *_visdom_checks(port),
            *_data_checks(), *_extra_checks()]


KEY_PACKAGES = ("torch", "tensorflow-cpu", "tensorflow", "keras", "opencv-python-headless", "numpy")


def _compact(checks: list[Finding]) -> list[Finding]:
    """Fold the passing package checks into one line naming the key versions."""
    names = {Requirement(r).name for r in (metadata.requires("course_lib") or [])} \
        if _installed("course_lib") else set()
    pkgs = [c for c in checks if c.name in names]
    passing = [c for c in pkgs if c.ok]
    if not passing:
        return checks
    key = ", ".join(f"{c.name} {c.detail}" for c in passing if c.name in KEY_PACKAGES)
    line = Finding("packages", True, f"{len(passing)}/{len(pkgs)} pinned packages at their pins ({key})")
    rest = [c for c in checks if c not in passing]
    return [rest[0], line, *rest[1:]]


def _installed(dist: str) -> bool:
    try:
        metadata.version(dist)
        return True
    except metadata.PackageNotFoundError:
        return False


def report(port: int | None = None, out=None, verbose: bool = False) -> int:
    """Print the report; return 0 when every required check passed, else 1.

    Visdom is looked for on ``port``, by default ``$COURSE_VISDOM_PORT`` (else 8097)."""
    from course_lib.settings import expect_port, visdom_port

    port = visdom_port() if port is None else expect_port(port)
    out = out or sys.stdout
    checks = run_checks(port)
    checks = checks if verbose else _compact(checks)
    for c in checks:
        print(c, file=out)
    failed = [c for c in checks if c.required and not c.ok]
    print(f"\n{len(checks) - len(failed)}/{len(checks)} checks passed; "
          + ("the course is ready." if not failed else f"{len(failed)} problem(s) to fix above."), file=out)
    return 0 if not failed else 1


def main(argv: list[str] | None = None) -> int:
    """``course doctor [--port N] [-v]`` (also ``python -m course_lib.tools.doctor``)."""
    from course_lib.errors import CourseInputError
    from course_lib.tools.parsing import OneLineParser

    parser = OneLineParser(prog="course doctor",
                           description="Finding versions, devices, Visdom and the shipped data.")
    parser.add_argument("--port", type=int, default=None,
                        help="where to look for Visdom (default: $COURSE_VISDOM_PORT, else 8097)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every pinned package")
    args = parser.parse_args(argv)
    try:
        from course_lib.settings import expect_port

        return report(port=None if args.port is None else expect_port(args.port, "--port"),
                      verbose=args.verbose)
    except CourseInputError as exc:
        parser.error(str(exc))


if __name__ == "__main__":
    sys.exit(main())
