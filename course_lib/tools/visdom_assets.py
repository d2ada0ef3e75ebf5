"""Visdom's front-end files, fetched once from the npm registry so the server never downloads.

Visdom 0.2.4 downloads its JavaScript, CSS and fonts from CDNs each time its server starts
(``visdom/server/build.py``) unless ``static/version.built`` names the installed version and
every file is already there. This module puts those files in place at set-up time, from
npm tarballs (``npm pack``), under exactly the names build.py uses, and writes
``version.built``. After that, the server starts with the network unplugged.

Run it as ``python -m course_lib.tools.visdom_assets`` (``scripts/setup.sh`` does), or with
``--check`` to verify, without the network, that every file is present.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from course_lib.errors import CourseInputError, describe, expect_bool
from course_lib.tools.parsing import OneLineParser

MATHJAX = "js/mathjax/2.7.5/"


@dataclass(frozen=True)
class Asset:
    """One front-end file: where build.py would fetch it, and which npm file replaces it."""

    target: str  # path under visdom's static/ folder, exactly as build.py names it
    package: str  # npm package name
    version: str  # exact npm version
    member: str  # path inside the npm tarball (after its top folder, usually "package/")
    source: str  # the URL visdom's build.py downloads this file from (for the record)

    @property
    def spec(self) -> str:
        """The npm spec, ``name@version``."""
        return f"{self.package}@{self.version}"


_UNPKG = "https://unpkg.com/"
_MATHJAX_CDN = "https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.5/"


def _npm(target: str, spec: str, member: str, source: str | None = None) -> Asset:
    # Most of build.py's URLs are unpkg.com's copy of the very file the npm tarball holds.
    package, version = spec.rsplit("@", 1)
    return Asset(target, package, version, member, source or f"{_UNPKG}{spec}/{member}")


# build.py's download list, file by file, with the npm package that ships the same file.
# The unpkg.com URLs are npm packages already, so the mapping is one to one. The others:
#   https://cdn.plot.ly/plotly-2.11.1.min.js  -> plotly.js-dist-min@2.11.1  plotly.min.js
#       (its banner reads "plotly.js v2.11.1")
#   http://d3js.org/d3.v3.min.js              -> d3@3.5.17  d3.min.js
#       (d3js.org serves the last 3.x release, 3.5.17, as "v3")
#   https://d3js.org/d3-selection-multi.v1.js -> d3-selection-multi@1.0.1  build/d3-selection-multi.js
#       (1.0.1 is the last 1.x release; the "v1" file is its unminified build)
#   cdnjs MathJax 2.7.5                       -> mathjax@2.7.5, only the 8 files build.py lists
#   unpkg classnames@2.2.5 (no file named)    -> the package's "main", index.js; build.py stores it
#       as fonts/classnames, and so do we
# The svg font keeps build.py's odd name (with "#glyphicons_halflingsregular"): the server checks
# for that exact file at start and would try to download it if it were missing.
_GLYPHS = "fonts/glyphicons-halflings-regular"
ASSETS: tuple[Asset, ...] = (
    _npm("js/jquery.min.js", "jquery@3.1.1", "dist/jquery.min.js"),
    _npm("js/bootstrap.min.js", "bootstrap@3.3.7", "dist/js/bootstrap.min.js"),
    _npm("js/react-react.min.js", "react@16.2.0", "umd/react.production.min.js"),
    _npm("js/react-dom.min.js", "react-dom@16.2.0", "umd/react-dom.production.min.js"),
    _npm("js/react-modal.min.js", "react-modal@3.1.10", "dist/react-modal.min.js"),
    _npm("js/plotly-plotly.min.js", "plotly.js-dist-min@2.11.1", "plotly.min.js",
         "https://cdn.plot.ly/plotly-2.11.1.min.js"),
    _npm("js/sjcl.js", "sjcl@1.0.7", "sjcl.js"),
    _npm("js/layout-bin-packer.js.map", "layout-bin-packer@1.4.0", "dist/layout-bin-packer.js.map"),
    _npm("js/d3.v3.min.js", "d3@3.5.17", "d3.min.js", "http://d3js.org/d3.v3.min.js"),
    _npm("js/d3-selection-multi.v1.js", "d3-selection-multi@1.0.1", "build/d3-selection-multi.js",
         "https://d3js.org/d3-selection-multi.v1.js"),
    _npm("js/saveSvgAsPng.js", "save-svg-as-png@1.4.17", "lib/saveSvgAsPng.js"),
    _npm("css/react-resizable-styles.css", "react-resizable@1.4.6", "css/styles.css"),
    _npm("css/react-grid-layout-styles.css", "react-grid-layout@0.16.3", "css/styles.css"),
    _npm("css/bootstrap.min.css", "bootstrap@3.3.7", "dist/css/bootstrap.min.css"),
    _npm("fonts/classnames", "classnames@2.2.5", "index.js", _UNPKG + "classnames@2.2.5"),
    _npm("js/layout_bin_packer.js", "layout-bin-packer@1.4.0", "dist/layout-bin-packer.js"),
    *(_npm(f"{_GLYPHS}.{ext}", "bootstrap@3.3.7", f"dist/{_GLYPHS}.{ext}")
      for ext in ("eot", "woff2", "woff", "ttf")),
    _npm(f"{_GLYPHS}.svg#glyphicons_halflingsregular", "bootstrap@3.3.7", f"dist/{_GLYPHS}.svg",
         f"{_UNPKG}bootstrap@3.3.7/dist/{_GLYPHS}.svg#glyphicons_halflingsregular"),
    *(_npm(MATHJAX + path, "mathjax@2.7.5", path, _MATHJAX_CDN + path)
      for path in ("config/Safe.js", "config/TeX-AMS-MML_HTMLorMML.js", "extensions/Safe.js",
                   "jax/output/SVG/fonts/TeX/fontdata.js", "jax/output/SVG/jax.js",
                   "jax/output/SVG/fonts/TeX/Size1/Regular/Main.js", "jax/output/SVG/config.js",
                   "MathJax.js")),
)

# SHA-512 of each tarball (npm's "integrity" field), checked after every `npm pack`.
INTEGRITY: dict[str, str] = {
    "bootstrap@3.3.7":
        "qcFaisBrcBhTFkz1IUnGDYnX6ZWfFzH8zOixUDtHW9Ip+r+7MfMFav2rzy7cIHc7rgIg7xjhWBoo1mS/U26j4g==",
    "classnames@2.2.5":
        "DTt3GhOUDKhh4ONwIJW4lmhyotQmV2LjNlGK/J2hkwUcqcbKkCLAdJPtxQnxnlc7SR3f1CEXCyMmc7WLUsWbNA==",
    "d3@3.5.17":
        "yFk/2idb8OHPKkbAL8QaOaqENNoMhIaSHZerk3oQsECwkObkCpJyjYwCe+OHiq6UEdhe1m8ZGARRRO3ljFjlKg==",
    "d3-selection-multi@1.0.1":
        "mEnRkJ6A+Otd1LuRPV3az+s/RLDmIEhuz/MnT21O2nPcWNH7wZotdIlRjMA4Wpr+n7AESQ5fD8v1J3nL2Mnw9g==",
    "jquery@3.1.1":
        "zuiWRmx65Kd1oFGdWLvAjbsumdOBFvs3r1vuqCyKFF79R7exBHNbiNEJ8LR+xkzgfxqBznMD/4Cv6PHXS6mvEw==",
    "layout-bin-packer@1.4.0":
        "dQOZnajbOBGIcS9YlzKrkRtMCGa2oEpyf1zGRn93suphSvPclJe54Sbgtb053GJ21DUk84IBzaeQvjn+Gb10fA==",
    "mathjax@2.7.5":
        "OzsJNitEHAJB3y4IIlPCAvS0yoXwYjlo2Y4kmm9KQzyIBZt2d8yKRalby3uTRNN4fZQiGL2iMXjpdP1u2Rq2DQ==",
    "plotly.js-dist-min@2.11.1":
        "F9WWNht0D3yBLZGHbLoJNfvplXvy+GUPSsA/lCbMuYd/UwzSu6Vmyprxlps9Einw1LDS1hYBrJeioK0lE3ieXA==",
    "react@16.2.0":
        "ZmIomM7EE1DvPEnSFAHZn9Vs9zJl5A9H7el0EGTE6ZbW9FKe/14IYAlPbC8iH25YarEQxZL+E8VW7Mi7kfQrDQ==",
    "react-dom@16.2.0":
        "zpGAdwHVn9K0091d+hr+R0qrjoJ84cIBFL2uU60KvWBPfZ7LPSrfqviTxGHWN0sjPZb2hxWzMexwrvJdKePvjg==",
    "react-grid-layout@0.16.3":
        "ytP92EqUjqcFhGzvdeKrK610dQ04GdFwRCWtD6PoeL5wR3liETcFISO7k8RBqnosV86JtXf/DwIfrL0COLs0gg==",
    "react-modal@3.1.10":
        "7b77AGWCkdg0YOf/qcYIGCpuwbxRwOA8P3UrUovk4grUNv+idOmHovJAx/Dcd3fuwHtgixxVjpcjVG60985MSA==",
    "react-resizable@1.4.6":
        "4zLORO51u0/mlDsrVCAA4p266d+3mb2ZMNdiWOotAh/PdnfrRzZhgePmKE08PSQatXVIfMjmyD+Sapay8tmxdQ==",
    "save-svg-as-png@1.4.17":
        "7QDaqJsVhdFPwviCxkgHiGm9omeaMBe1VKbHySWU6oFB2LtnGCcYS13eVoslUgq6VZC6Tjq/HddBd1K6p2PGpA==",
    "sjcl@1.0.7":
        "xQbiwKfiAj6vyk44ANJ5RRymALRdRZOuRoKNYkWUU404p/RFXmMaay1Z5vRn30GJjkD+psox4Jd38jZojSuNYA==",
}

VISDOM_VERSION = "0.2.4"  # the visdom release whose build.py the list above mirrors
VERSION_FILE = "version.built"
SETUP_COMMAND = "python -m course_lib.tools.visdom_assets"


class VisdomAssetsError(RuntimeError):
    """Provisioning failed: npm is missing, npm failed, or a tarball is not what was pinned."""


def _package_dir() -> Path:
    # The same lookup as visdom.utils.shared_utils.get_visdom_path, without importing visdom
    # (its import pulls in numpy, requests and PIL and takes about 2 s).
    spec = importlib.util.find_spec("visdom")
    if spec is None or spec.origin is None:
        raise VisdomAssetsError("visdom is not installed in this environment; run the set-up first.")
    return Path(spec.origin).parent


def visdom_version() -> str:
    """The installed visdom's version string, as build.py writes it to ``version.built``."""
    # visdom/__init__.py reads its version from the VERSION file beside it, the same way.
    try:
        return (_package_dir() / "VERSION").read_text().strip()
    except OSError:
        return "no_version_file"


def static_dir() -> Path:
    """The installed visdom package's ``static/`` folder (where its server looks for files)."""
    return _package_dir() / "static"


def default_cache_dir() -> Path:
    """Where npm tarballs are kept: ``visdom-npm/`` inside the environment (``.venv/``)."""
    return Path(sys.prefix) / "visdom-npm"


def _as_dir(value: object, name: str) -> Path:
    if not isinstance(value, (str, os.PathLike)) or not str(value):
        raise CourseInputError(f"{name}: expected a folder path (str or Path), got {describe(value)}.")
    return Path(value)


def missing_assets(static: str | os.PathLike[str] | None = None) -> list[str]:
    """Paths under ``static/`` that are missing or empty; ``version.built`` if stale. [] = ready."""
    root = static_dir() if static is None else _as_dir(static, "static")
    missing = []
    for asset in ASSETS:
        path = root / asset.target
        if not path.is_file() or path.stat().st_size == 0:
            missing.append(asset.target)
    built = root / VERSION_FILE
    try:
        stale = built.read_text().strip() != visdom_version()
    except OSError:
        stale = True
    if stale:
        missing.append(VERSION_FILE)
    return missing


def _integrity(path: Path) -> str:
    digest = hashlib.sha512(path.read_bytes()).digest()
    return base64.b64encode(digest).decode("ascii")


def _tarball_name(spec: str) -> str:
    name, version = spec.rsplit("@", 1)
    return f"{name}-{version}.tgz"


def _npm_pack(specs: Sequence[str], cache: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise VisdomAssetsError(
            "npm was not found on PATH. Visdom's front-end files come from the npm registry: "
            "install Node.js (it ships npm), then run `" + SETUP_COMMAND + "` again.")
    cmd = [npm, "pack", "--silent", "--json", *specs]
    try:
        proc = subprocess.run(cmd, cwd=cache, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VisdomAssetsError(f"`npm pack {' '.join(specs)}` could not run: {exc}") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip()[-1500:]
        raise VisdomAssetsError(
            f"`npm pack {' '.join(specs)}` failed with exit code {proc.returncode}. "
            f"Is the npm registry reachable? npm said:\n{tail}")
    try:  # npm reports the file names it wrote; fall back to its usual naming
        for entry in json.loads(proc.stdout):
            wanted = _tarball_name(f"{entry['name']}@{entry['version']}")
            if entry.get("filename") and entry["filename"] != wanted:
                os.replace(cache / entry["filename"], cache / wanted)
    except (ValueError, KeyError, TypeError, OSError):
        pass


def fetch_tarballs(specs: Sequence[str], cache: str | os.PathLike[str] | None = None,
                   integrity: Mapping[str, str] = INTEGRITY) -> dict[str, Path]:
    """Tarballs for the npm ``specs`` (``name@version``), from the cache or ``npm pack``, checked
    against ``integrity`` (spec -> npm's sha512; Visdom's pins by default)."""
    if isinstance(specs, str) or not all(isinstance(s, str) and s in integrity for s in specs):
        raise CourseInputError(
            f"specs: expected a list of pinned npm specs such as 'jquery@3.1.1' (one of "
            f"{len(integrity)} in INTEGRITY), got {specs!r}.")
    folder = default_cache_dir() if cache is None else _as_dir(cache, "cache")
    folder.mkdir(parents=True, exist_ok=True)
    paths = {spec: folder / _tarball_name(spec) for spec in specs}
    stale = [s for s, p in paths.items() if not (p.is_file() and _integrity(p) == integrity[s])]
    if stale:
        _npm_pack(stale, folder)
        for spec in stale:
            path = paths[spec]
            if not path.is_file():
                raise VisdomAssetsError(f"`npm pack {spec}` reported success but wrote no {path.name}.")
            got = _integrity(path)
            if got != integrity[spec]:
                path.unlink()
                raise VisdomAssetsError(
                    f"{spec}: the tarball's sha512 is {got}, expected {integrity[spec]} "
                    "(the registry served different bytes; refusing to use them).")
    return paths


def extract(tarball: Path, members: dict[str, list[Path]]) -> None:
    """Copy the wanted members (path after the top folder -> destinations) out of a tarball."""
    left = dict(members)
    with tarfile.open(tarball, "r:gz") as tar:
        for info in tar:
            if not left:
                break
            inner = info.name.split("/", 1)[1] if "/" in info.name else info.name
            if inner not in left or not info.isfile():
                continue
            data = tar.extractfile(info).read()  # type: ignore[union-attr]
            for dest in left.pop(inner):
                dest.parent.mkdir(parents=True, exist_ok=True)
                tmp = dest.with_name(dest.name + ".part")
                tmp.write_bytes(data)
                os.replace(tmp, dest)
    if left:
        raise VisdomAssetsError(f"{tarball.name} has no {sorted(left)}: the pinned mapping is wrong.")


def provision(static: str | os.PathLike[str] | None = None,
              cache: str | os.PathLike[str] | None = None, *, force: bool = False) -> list[str]:
    """Put every front-end file in ``static/`` and write ``version.built``; returns what it wrote."""
    root = static_dir() if static is None else _as_dir(static, "static")
    expect_bool(force, "force")
    if visdom_version() != VISDOM_VERSION:
        raise VisdomAssetsError(
            f"visdom {visdom_version()} is installed, but this file list is visdom "
            f"{VISDOM_VERSION}'s (visdom/server/build.py): compare the two and update ASSETS.")
    missing = missing_assets(root)
    todo = [a for a in ASSETS if force or a.target in missing]
    if not todo and VERSION_FILE not in missing:
        return []
    by_spec: dict[str, dict[str, list[Path]]] = {}
    for asset in todo:
        by_spec.setdefault(asset.spec, {}).setdefault(asset.member, []).append(root / asset.target)
    tarballs = fetch_tarballs(sorted(by_spec), cache)
    for spec, members in by_spec.items():
        extract(tarballs[spec], members)
    (root / VERSION_FILE).write_text(visdom_version())
    return [a.target for a in todo] + [VERSION_FILE]


def _size(root: Path) -> int:
    return sum((root / a.target).stat().st_size for a in ASSETS if (root / a.target).is_file())


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: provision the files (default) or ``--check`` them; returns the exit status."""
    parser = OneLineParser(
        prog="python -m course_lib.tools.visdom_assets",
        description="Provision Visdom's front-end files from the npm registry (offline afterwards).")
    parser.add_argument("--check", action="store_true",
                        help="only verify that every file is present (no network); exit 1 if not")
    parser.add_argument("--cache", default=None,
                        help="folder for npm tarballs (default: visdom-npm/ inside the environment)")
    parser.add_argument("--force", action="store_true", help="rewrite every file")
    args = parser.parse_args(argv)
    root = static_dir()
    if args.check:
        missing = missing_assets(root)
        if missing:
            print(f"[visdom] {len(missing)} missing or stale (of {len(ASSETS)} front-end files "
                  f"and {VERSION_FILE}), e.g. {missing[0]}. Run `{SETUP_COMMAND}` "
                  "(it needs npm and the network once).",
                  file=sys.stderr)
            return 1
        print(f"[visdom] all {len(ASSETS)} front-end files present "
              f"({_size(root) / 1e6:.1f} MB) and version.built = {visdom_version()}")
        return 0
    start = time.perf_counter()
    try:
        wrote = provision(root, args.cache, force=args.force)
    except VisdomAssetsError as exc:
        print(f"[visdom] {exc}", file=sys.stderr)
        return 1
    took = time.perf_counter() - start
    if wrote:
        print(f"[visdom] wrote {len(wrote)} front-end files from npm ({_size(root) / 1e6:.1f} MB) "
              f"in {took:.1f} s")
    else:
        print("[visdom] front-end files already provisioned")
    return 0


if __name__ == "__main__":
    sys.exit(main())
