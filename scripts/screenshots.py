#!/usr/bin/env python3
"""Make the README's screenshots from a real run, and store them under docs/.

    .venv/bin/python scripts/screenshots.py [NAME ...]

It runs the browser tests (tests/test_browser.py: the start command, JupyterLab running lesson
05 through its menu, the Visdom page the start command printed; tests/test_site.py: lesson 05 on
the course website) with COURSE_SCREENSHOTS set, so the pictures are taken at the moments those
tests check. Each is then reduced to a palette PNG of at most 150 kB: docs/lab-lesson-05.png,
docs/visdom-lesson-05.png and docs/site-lesson-05.png. Given NAMEs (such as site-lesson-05.png),
it runs only the tests that make those and stores only them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
MAKERS = {"lab-lesson-05.png": "tests/test_browser.py", "visdom-lesson-05.png": "tests/test_browser.py",
          "site-lesson-05.png": "tests/test_site.py"}  # picture -> the test file that takes it
LIMIT = 150_000


def shrink(source: Path, target: Path, limit: int = LIMIT) -> int:
    """Save ``source`` as a palette PNG no larger than ``limit`` bytes; returns its size."""
    image = Image.open(source).convert("RGB")
    for colours, scale in ((128, 1.0), (64, 1.0), (64, 0.85), (32, 0.75)):
        resized = image if scale == 1.0 else image.resize(
            (int(image.width * scale), int(image.height * scale)), Image.LANCZOS)
        resized.quantize(colors=colours, method=Image.Quantize.MEDIANCUT).save(target, optimize=True)
        if target.stat().st_size <= limit:
            return target.stat().st_size
    raise SystemExit(f"{target.name} is still {target.stat().st_size} bytes, over {limit}")


def main(names: list[str]) -> int:
    names = names or list(MAKERS)
    if unknown := sorted(set(names) - set(MAKERS)):
        print(f"unknown screenshots {unknown}; known: {sorted(MAKERS)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, COURSE_SCREENSHOTS=tmp)
        tests = sorted({MAKERS[name] for name in names})
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *tests],
                              cwd=ROOT, env=env)
        if done.returncode != 0:
            print("the browser tests failed; no screenshots were stored", file=sys.stderr)
            return done.returncode
        DOCS.mkdir(exist_ok=True)
        for name in names:
            size = shrink(Path(tmp) / name, DOCS / name)
            print(f"docs/{name}: {size / 1000:.0f} kB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
