"""``scripts/site.sh``: build the course website from the committed notebooks, never executing them.

It stages ``website/index.md``, ``README.md`` and ``notebooks/*.ipynb`` in ``build/site-src/``
(so a lesson's page path is its path in the repository), runs Sphinx with warnings as errors, and
writes the site to ``build/site/``. MathJax (for the lessons' formulas) and axe-core (for the
accessibility tests) come from the npm registry once, pinned and checked, like Visdom's files;
after that the build works offline. ``--provision`` fetches them and builds nothing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from course_lib import settings
from course_lib.settings import REPO_ROOT
from course_lib.tools.parsing import OneLineParser
from course_lib.tools.visdom_assets import VisdomAssetsError, extract, fetch_tarballs

BUILD = REPO_ROOT / "build"
SITE = BUILD / "site"
VENDOR = BUILD / "site-vendor"  # html_static_path entry: vendor/mathjax/... ends up in _static/
AXE = VENDOR.parent / "axe-core" / "axe.min.js"  # for the browser tests only, not published
MATHJAX_FONTS = "es5/output/chtml/fonts/woff-v2/"
MATHJAX_FONT_NAMES = ("AMS-Regular", "Calligraphic-Bold", "Calligraphic-Regular", "Fraktur-Bold",
                      "Fraktur-Regular", "Main-Bold", "Main-Italic", "Main-Regular", "Math-BoldItalic",
                      "Math-Italic", "Math-Regular", "SansSerif-Bold", "SansSerif-Italic",
                      "SansSerif-Regular", "Script-Regular", "Size1-Regular", "Size2-Regular",
                      "Size3-Regular", "Size4-Regular", "Typewriter-Regular", "Vector-Bold",
                      "Vector-Regular", "Zero")
# npm spec -> the registry's sha512 ("integrity"), checked after every download.
INTEGRITY = {
    "mathjax@3.2.2":
        "Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
    "axe-core@4.14.1":
        "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
}


def _wanted() -> dict[str, dict[str, list[Path]]]:
    """npm spec -> {file in the tarball: where it goes}."""
    mathjax, woff = VENDOR / "mathjax", "output/chtml/fonts/woff-v2"
    fonts = {f"{MATHJAX_FONTS}MathJax_{n}.woff": [mathjax / woff / f"MathJax_{n}.woff"]
             for n in MATHJAX_FONT_NAMES}
    return {"mathjax@3.2.2": {"es5/tex-chtml.js": [mathjax / "tex-chtml.js"], **fonts},
            "axe-core@4.14.1": {"axe.min.js": [AXE]}}


def provision(cache: Path | None = None) -> list[str]:
    """Put MathJax and axe-core in place from npm tarballs (cached in the environment); returns
    the specs it had to extract ([] when everything was there)."""
    wanted = _wanted()
    todo = [spec for spec, files in wanted.items()
            if not all(p.is_file() for dests in files.values() for p in dests)]
    if todo:
        tarballs = fetch_tarballs(todo, cache or Path(sys.prefix) / "site-npm", integrity=INTEGRITY)
        for spec in todo:
            extract(tarballs[spec], wanted[spec])
    return todo


def readme_for_site(text: str, repo: str, branch: str) -> str:
    """The README with the links that only work on the repository (to a README section or to a
    file that is not a lesson or a picture) pointing at the repository's copy."""
    def point(match: re.Match[str]) -> str:
        bang, label, target = match.groups()
        if bang or re.match(r"[a-z]+:|notebooks/|docs/", target):
            return match.group(0)
        file = "README.md" + target if target.startswith("#") else target
        return f"[{label}]({repo}/blob/{branch}/{file})"

    return re.sub(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)", point, text)


def stage(target: Path) -> None:
    """Copy the site's sources into ``target``: index.md, README.md (see ``readme_for_site``),
    its pictures and the lessons."""
    shutil.rmtree(target, ignore_errors=True)
    (target / "notebooks").mkdir(parents=True)
    shutil.copy2(REPO_ROOT / "website" / "index.md", target / "index.md")
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    (target / "README.md").write_text(
        readme_for_site(readme, settings.repository_url(), settings.REPOSITORY_BRANCH), encoding="utf-8")
    pictures = (".png", ".jpg", ".jpeg", ".svg", ".gif")
    shutil.copytree(REPO_ROOT / "docs", target / "docs",
                    ignore=lambda _, names: [n for n in names if not n.lower().endswith(pictures)])
    for lesson in sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        shutil.copy2(lesson, target / "notebooks" / lesson.name)


def size_of(folder: Path) -> int:
    """Bytes of every file under ``folder``."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def build(out: Path = SITE, source: Path | None = None) -> int:
    """Run Sphinx (warnings are errors) on ``source`` (default: the staged course) into ``out``;
    returns Sphinx's exit status."""
    if source is None:
        source = BUILD / "site-src"
        stage(source)
    shutil.rmtree(out, ignore_errors=True)
    doctrees = out.with_name(out.name + "-doctrees")
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q", "-E",
           "-c", str(REPO_ROOT / "website"), "-d", str(doctrees), str(source), str(out)]
    return subprocess.run(cmd, cwd=REPO_ROOT).returncode


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build the site (default) or only ``--provision`` its npm files."""
    parser = OneLineParser(prog="bash scripts/site.sh", description=__doc__.split("\n")[0])
    parser.add_argument("--provision", action="store_true", help="fetch MathJax and axe-core only")
    args = parser.parse_args(argv)
    try:
        fetched = provision()
    except VisdomAssetsError as exc:
        print(f"[site] {exc}", file=sys.stderr)
        return 1
    if fetched:
        print(f"[site] unpacked {', '.join(fetched)} from npm tarballs (fetched once, kept in the venv)")
    if args.provision:
        return 0
    start = time.perf_counter()
    status = build()
    took = time.perf_counter() - start
    if status != 0:
        print(f"[site] Sphinx failed (exit status {status}); see its messages above", file=sys.stderr)
        return status
    print(f"[site] built {SITE.relative_to(REPO_ROOT)}/ in {took:.1f} s, {size_of(SITE) / 1e6:.1f} MB; "
          f"open it with: python -m http.server -d {SITE.relative_to(REPO_ROOT)} -b 127.0.0.1 8000")
    return 0


if __name__ == "__main__":
    sys.exit(main())
